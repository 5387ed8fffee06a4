/* SPDX-License-Identifier: Apache-2.0 */
/* describe.c: DescribeWorkflowExecution — a read of a run's mutable state as Temporal shows it
 * (configuration, status and times, parent and root, pending activities, children and
 * workflow task). */
#include "history/hist.h"
#include "history/op.h"
#include "history/info.h"
#include "history/pbutil.h"

#include "temporal/api/workflow/v1/message.pb-c.h"

typedef Temporal__Api__Workflow__V1__PendingActivityInfo pending_act;
typedef Temporal__Api__Workflow__V1__PendingChildExecutionInfo pending_child;

static pending_act *describe_activity(sg_arena *a, const ms_activity *act)
{
    pending_act *p = sg_arena_alloc(a, sizeof *p);
    temporal__api__workflow__v1__pending_activity_info__init(p);
    p->activity_id = sg_arena_strdup(a, act->activity_id);
    Temporal__Api__Common__V1__ActivityType *at = sg_arena_alloc(a, sizeof *at);
    temporal__api__common__v1__activity_type__init(at);
    at->name = sg_arena_strdup(a, act->activity_type);
    p->activity_type = at;
    if (act->cancel_requested)
        p->state = TEMPORAL__API__ENUMS__V1__PENDING_ACTIVITY_STATE__PENDING_ACTIVITY_STATE_CANCEL_REQUESTED;
    else if (act->started_time_ms)
        p->state = TEMPORAL__API__ENUMS__V1__PENDING_ACTIVITY_STATE__PENDING_ACTIVITY_STATE_STARTED;
    else
        p->state = TEMPORAL__API__ENUMS__V1__PENDING_ACTIVITY_STATE__PENDING_ACTIVITY_STATE_SCHEDULED;
    p->heartbeat_details =
        sg_pb_clone_arena(a, act->heartbeat_details ? &act->heartbeat_details->base : NULL);
    if (act->last_heartbeat_time_ms)
        p->last_heartbeat_time = sg_ts_ms(a, act->last_heartbeat_time_ms);
    if (act->started_time_ms)
        p->last_started_time = sg_ts_ms(a, act->started_time_ms);
    p->attempt = act->attempt;
    p->maximum_attempts = act->retry_policy ? act->retry_policy->maximum_attempts : 0;
    p->scheduled_time = sg_ts_ms(a, act->current_attempt_scheduled_time_ms);
    if (act->schedule_to_close_ms > 0)
        p->expiration_time = sg_ts_ms(a, act->scheduled_time_ms + act->schedule_to_close_ms);
    p->last_failure = sg_pb_clone_arena(a, act->last_failure ? &act->last_failure->base : NULL);
    p->last_worker_identity = sg_arena_strdup(a, act->started_identity);
    if (act->retry_at_ms)
        p->next_attempt_schedule_time = sg_ts_ms(a, act->retry_at_ms);
    return p;
}

int sg_engine_describe(sg_engine *e, sg_arena *a, const char *namespace_id,
                       const Temporal__Api__Workflowservice__V1__DescribeWorkflowExecutionRequest *req,
                       Temporal__Api__Workflowservice__V1__DescribeWorkflowExecutionResponse *out)
{
    sg_op op;
    sg_op_begin(&op, e, a);
    sg_exec *x;
    int rc = sg_op_load_current(&op, namespace_id, req->execution->workflow_id,
                              req->execution->run_id, &x);
    if (rc < 0)
        return sg_op_end(&op, rc);
    const ms_t *ms = x->ms;

    Temporal__Api__Workflow__V1__WorkflowExecutionConfig *cfg = sg_arena_alloc(a, sizeof *cfg);
    temporal__api__workflow__v1__workflow_execution_config__init(cfg);
    cfg->task_queue = sg_tq_new(a, sg_arena_strdup(a, ms->task_queue), TQ_KIND(NORMAL), NULL);
    if (ms->execution_timeout_ms)
        cfg->workflow_execution_timeout = sg_dur_ms(a, ms->execution_timeout_ms);
    if (ms->run_timeout_ms)
        cfg->workflow_run_timeout = sg_dur_ms(a, ms->run_timeout_ms);
    cfg->default_workflow_task_timeout = sg_dur_ms(a, ms->task_timeout_ms);
    out->execution_config = cfg;

    Temporal__Api__Workflow__V1__WorkflowExecutionInfo *info = sg_info_build(a, ms);
    out->workflow_execution_info = info;
    /* Temporal's extended info: expirations and whether a cancel was requested. */
    Temporal__Api__Workflow__V1__WorkflowExecutionExtendedInfo *ext = sg_arena_alloc(a, sizeof *ext);
    temporal__api__workflow__v1__workflow_execution_extended_info__init(ext);
    if (ms->execution_expiration_ms)
        ext->execution_expiration_time = sg_ts_ms(a, ms->execution_expiration_ms);
    if (ms->run_expiration_ms)
        ext->run_expiration_time = sg_ts_ms(a, ms->run_expiration_ms);
    ext->cancel_requested = ms->cancel_requested;
    ext->original_start_time = sg_ts_ms(a, ms->start_time_ms);
    out->workflow_extended_info = ext;

    if (ms->n_activities) {
        out->pending_activities = sg_arena_alloc(a, ms->n_activities * sizeof(pending_act *));
        for (size_t i = 0; i < ms->n_activities; i++)
            out->pending_activities[i] = describe_activity(a, ms->activities[i]);
        out->n_pending_activities = ms->n_activities;
    }
    if (ms->status == ST_RUNNING && ms->n_children) {
        out->pending_children = sg_arena_alloc(a, ms->n_children * sizeof(pending_child *));
        for (size_t i = 0; i < ms->n_children; i++) {
            const Sandglass__V1__Child *ch = ms->children[i];
            pending_child *p = sg_arena_alloc(a, sizeof *p);
            temporal__api__workflow__v1__pending_child_execution_info__init(p);
            p->workflow_id = sg_arena_strdup(a, ch->workflow_id);
            p->run_id = sg_arena_strdup(a, ch->run_id);
            p->workflow_type_name = sg_arena_strdup(a, ch->workflow_type);
            p->initiated_id = ch->initiated_event_id;
            p->parent_close_policy = (Temporal__Api__Enums__V1__ParentClosePolicy)ch->parent_close_policy;
            out->pending_children[i] = p;
        }
        out->n_pending_children = ms->n_children;
    }
    const ms_wft *w = ms->wft;
    if (ms->status == ST_RUNNING && w && w->scheduled_event_id) {
        Temporal__Api__Workflow__V1__PendingWorkflowTaskInfo *p = sg_arena_alloc(a, sizeof *p);
        temporal__api__workflow__v1__pending_workflow_task_info__init(p);
        p->state = w->started_event_id
                       ? TEMPORAL__API__ENUMS__V1__PENDING_WORKFLOW_TASK_STATE__PENDING_WORKFLOW_TASK_STATE_STARTED
                       : TEMPORAL__API__ENUMS__V1__PENDING_WORKFLOW_TASK_STATE__PENDING_WORKFLOW_TASK_STATE_SCHEDULED;
        p->scheduled_time = sg_ts_ms(a, w->scheduled_time_ms);
        p->original_scheduled_time = sg_ts_ms(a, w->original_scheduled_time_ms);
        if (w->started_time_ms)
            p->started_time = sg_ts_ms(a, w->started_time_ms);
        p->attempt = w->attempt;
        out->pending_workflow_task = p;
    }
    return sg_op_end(&op, 0);
}
