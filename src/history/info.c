/* SPDX-License-Identifier: Apache-2.0 */
/* info.c: a run as WorkflowExecutionInfo — what Describe answers and what the visibility row
 * stores (and List splices into its replies). */
#include "history/info.h"
#include "history/pbutil.h"

static Temporal__Api__Common__V1__WorkflowExecution *execution(sg_arena *a, const char *wf,
                                                               const char *run)
{
    Temporal__Api__Common__V1__WorkflowExecution *we = sg_arena_alloc(a, sizeof *we);
    temporal__api__common__v1__workflow_execution__init(we);
    we->workflow_id = sg_arena_strdup(a, wf);
    we->run_id = sg_arena_strdup(a, run);
    return we;
}

int64_t sg_info_execution_time(const ms_t *ms)
{
    /* When the first task may run: after a start delay or a cron backoff (0 in states stored
     * before the field existed). */
    return ms->execution_time_ms ? ms->execution_time_ms : ms->start_time_ms;
}

Temporal__Api__Workflow__V1__WorkflowExecutionInfo *sg_info_build(sg_arena *a, const ms_t *ms)
{
    Temporal__Api__Workflow__V1__WorkflowExecutionInfo *info = sg_info_build_listed(a, ms);
    /* Describe's answer outlives ms (it is packed after the operation ends): own copies. */
    info->memo = sg_pb_clone_arena(a, ms->memo ? &ms->memo->base : NULL);
    info->search_attributes =
        sg_pb_clone_arena(a, ms->search_attributes ? &ms->search_attributes->base : NULL);
    info->auto_reset_points =
        sg_pb_clone_arena(a, ms->auto_reset_points ? &ms->auto_reset_points->base : NULL);
    return info;
}

Temporal__Api__Workflow__V1__WorkflowExecutionInfo *sg_info_build_listed(sg_arena *a,
                                                                        const ms_t *ms)
{
    Temporal__Api__Workflow__V1__WorkflowExecutionInfo *info = sg_arena_alloc(a, sizeof *info);
    temporal__api__workflow__v1__workflow_execution_info__init(info);
    Temporal__Api__Common__V1__WorkflowExecution *we = sg_arena_alloc(a, sizeof *we);
    temporal__api__common__v1__workflow_execution__init(we);
    we->workflow_id = sg_arena_strdup(a, ms->workflow_id);
    we->run_id = sg_arena_strdup(a, ms->run_id);
    info->execution = we;
    Temporal__Api__Common__V1__WorkflowType *wt = sg_arena_alloc(a, sizeof *wt);
    temporal__api__common__v1__workflow_type__init(wt);
    wt->name = sg_arena_strdup(a, ms->workflow_type);
    info->type = wt;
    info->start_time = sg_ts_ms(a, ms->start_time_ms);
    info->execution_time = sg_ts_ms(a, sg_info_execution_time(ms));
    if (ms->close_time_ms) {
        info->close_time = sg_ts_ms(a, ms->close_time_ms);
        info->execution_duration = sg_dur_ms(a, ms->close_time_ms - sg_info_execution_time(ms));
    }
    info->status = (Temporal__Api__Enums__V1__WorkflowExecutionStatus)ms->status;
    info->history_length = ms->next_event_id - 1;
    info->task_queue = sg_arena_strdup(a, ms->task_queue);
    info->state_transition_count = ms->state_transition_count;
    info->history_size_bytes = ms->history_size_bytes;
    info->first_run_id = sg_arena_strdup(a, ms->first_execution_run_id);
    info->memo = ms->memo;
    info->search_attributes = ms->search_attributes;
    if (*ms->parent_run_id) {
        info->parent_namespace_id = sg_arena_strdup(a, ms->namespace_id);
        info->parent_execution = execution(a, ms->parent_workflow_id, ms->parent_run_id);
    }
    info->root_execution = *ms->root_run_id ? execution(a, ms->root_workflow_id, ms->root_run_id)
                                            : execution(a, ms->workflow_id, ms->run_id);
    return info;
}
