/* SPDX-License-Identifier: Apache-2.0 */
/* reset.c: ResetWorkflowExecution — a new run that re-does a run from one of its workflow
 * tasks.
 *
 *   base run events 1 .. P (P: the WorkflowTaskStarted of the chosen task)
 *       --copied as they are--> new run events 1 .. P, its state rebuilt from them
 *   new run: WorkflowTaskFailed (RESET_WORKFLOW, base and new run ids), then the base run's
 *       signals after P (unless excluded), then a new workflow task; pending activities are
 *       handed out again and timers keep their original fire times
 *   the workflow's current run, if running, is terminated; the new run becomes current
 *
 * All of it is one operation (one group-commit batch). The rebuild knows the workflow's own
 * events, workflow tasks, activities, timers, markers, signals, cancel requests, search
 * attribute and memo changes, external signals and cancels, and children that ended before P;
 * a child still running at P, updates or Nexus before P are refused as not supported yet
 * rather than rebuilt wrongly. A repeated request (same request_id) gets the run it made. */
#include "history/reset.h"
#include "history/activity.h"
#include "history/commit.h"
#include "history/events.h"
#include "history/mstate.h"
#include "history/op.h"
#include "history/pbutil.h"
#include "history/read.h"
#include "history/timer.h"
#include "history/wft.h"
#include "history/workflow.h"

#include "core/clock.h"
#include "core/uuid.h"

#include "temporal/api/enums/v1/event_type.pb-c.h"
#include "temporal/api/enums/v1/reset.pb-c.h"

#include <string.h>

#define REAPPLY(X) TEMPORAL__API__ENUMS__V1__RESET_REAPPLY_TYPE__RESET_REAPPLY_TYPE_##X
#define EXCLUDE(X) TEMPORAL__API__ENUMS__V1__RESET_REAPPLY_EXCLUDE_TYPE__RESET_REAPPLY_EXCLUDE_TYPE_##X

typedef Temporal__Api__Workflowservice__V1__ResetWorkflowExecutionRequest reset_req;

static int fail(sg_engine_err *err, sg_arena *a, int rc, const char *msg)
{
    err->message = sg_arena_strdup(a, msg);
    return rc;
}

static const char *event_name(int type)
{
    const ProtobufCEnumValue *v =
        protobuf_c_enum_descriptor_get_value(&temporal__api__enums__v1__event_type__descriptor, type);
    return v ? v->name : "unknown";
}

static bool is_wft_end(int type)
{
    return type == EVT(WORKFLOW_TASK_COMPLETED) || type == EVT(WORKFLOW_TASK_FAILED) ||
           type == EVT(WORKFLOW_TASK_TIMED_OUT);
}

/* The state of the new run from the copied events 1 .. last (events[0] is the start). NULL
 * with *why for an event the rebuild does not know. */
static ms_t *rebuild(const ms_t *base, pb_event **events, int64_t last, const char *new_run_id,
                     const char *request_id, sg_arena *a, const char **why)
{
    const Temporal__Api__History__V1__WorkflowExecutionStartedEventAttributes *st =
        events[0]->workflow_execution_started_event_attributes;
    wf_run_spec spec = {
        .namespace_id = base->namespace_id,
        .namespace_name = base->namespace_,
        .workflow_id = base->workflow_id,
        .run_id = new_run_id,
        .workflow_type = base->workflow_type,
        .task_queue = base->task_queue,
        .now = sg_clock_now_ms(),
        .execution_timeout_ms = base->execution_timeout_ms,
        .run_timeout_ms = base->run_timeout_ms,
        .task_timeout_ms = base->task_timeout_ms,
        .execution_expiration_ms = base->execution_expiration_ms,
        .first_execution_run_id = base->first_execution_run_id,
        .start_request_id = request_id,
        .attempt = st->attempt > 0 ? st->attempt : 1,
        .retry_policy = st->retry_policy,
        .memo = st->memo,
        .search_attributes = st->search_attributes,
    };
    sg_wf_spec_inherit(&spec, base);
    ms_t *ms = sg_wf_new_state(&spec);
    int64_t open_children = 0; /* started before the point, not ended before it */
    for (int64_t i = 1; i < last; i++) {
        const pb_event *ev = events[i];
        switch (ev->attributes_case) {
        /* Their outcome is written in the batch that starts them, so a prefix that holds one
         * holds both: nothing stays pending. */
        case ATTR_CASE(SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED):
        case ATTR_CASE(EXTERNAL_WORKFLOW_EXECUTION_SIGNALED):
        case ATTR_CASE(SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_FAILED):
        case ATTR_CASE(REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED):
        case ATTR_CASE(EXTERNAL_WORKFLOW_EXECUTION_CANCEL_REQUESTED):
        case ATTR_CASE(REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION_FAILED):
        case ATTR_CASE(START_CHILD_WORKFLOW_EXECUTION_INITIATED):
        case ATTR_CASE(START_CHILD_WORKFLOW_EXECUTION_FAILED):
            break;
        case ATTR_CASE(CHILD_WORKFLOW_EXECUTION_STARTED): open_children++; break;
        case ATTR_CASE(CHILD_WORKFLOW_EXECUTION_COMPLETED):
        case ATTR_CASE(CHILD_WORKFLOW_EXECUTION_FAILED):
        case ATTR_CASE(CHILD_WORKFLOW_EXECUTION_CANCELED):
        case ATTR_CASE(CHILD_WORKFLOW_EXECUTION_TIMED_OUT):
        case ATTR_CASE(CHILD_WORKFLOW_EXECUTION_TERMINATED): open_children--; break;
        case ATTR_CASE(WORKFLOW_TASK_SCHEDULED):
        case ATTR_CASE(WORKFLOW_TASK_STARTED):
        case ATTR_CASE(WORKFLOW_TASK_FAILED):
        case ATTR_CASE(WORKFLOW_TASK_TIMED_OUT):
        case ATTR_CASE(MARKER_RECORDED):
            break;
        case ATTR_CASE(WORKFLOW_TASK_COMPLETED):
            ms->last_completed_wft_started_id =
                ev->workflow_task_completed_event_attributes->started_event_id;
            break;
        case ATTR_CASE(WORKFLOW_EXECUTION_SIGNALED): ms->signal_count++; break;
        case ATTR_CASE(WORKFLOW_EXECUTION_CANCEL_REQUESTED): ms->cancel_requested = true; break;
        case ATTR_CASE(UPSERT_WORKFLOW_SEARCH_ATTRIBUTES):
            sg_ms_merge_search_attributes(&ms->search_attributes,
                                          ev->upsert_workflow_search_attributes_event_attributes->search_attributes);
            break;
        case ATTR_CASE(WORKFLOW_PROPERTIES_MODIFIED):
            sg_ms_merge_memo(&ms->memo, ev->workflow_properties_modified_event_attributes->upserted_memo);
            break;
        default:
            if (sg_act_replay(ms, ev) || sg_timer_replay(ms, ev))
                break;
            *why = sg_arena_printf(a,
                                   "resetting a history with a %s event (event %lld) before the "
                                   "reset point is not supported by Sandglass yet",
                                   event_name(ev->event_type), (long long)ev->event_id);
            protobuf_c_message_free_unpacked(&ms->base, NULL);
            return NULL;
        }
    }
    if (open_children > 0) {
        /* The children name the base run as their parent; re-parenting them is not built. */
        *why = "resetting to a point where a child workflow is still running is not supported by "
               "Sandglass yet";
        protobuf_c_message_free_unpacked(&ms->base, NULL);
        return NULL;
    }
    return ms;
}

int sg_engine_reset(sg_engine *e, sg_arena *a, const char *namespace_id, const reset_req *req,
                    Temporal__Api__Workflowservice__V1__ResetWorkflowExecutionResponse *out,
                    sg_engine_err *err)
{
    if (req->n_post_reset_operations)
        return fail(err, a, SG_ENOTSUP, "post-reset operations are not supported by Sandglass yet");
    sg_op op;
    sg_op_begin(&op, e, a);
    sg_exec *base;
    int rc = sg_op_load_current(&op, namespace_id, req->workflow_execution->workflow_id,
                                req->workflow_execution->run_id, &base);
    if (rc < 0)
        return sg_op_end(&op, rc);
    const ms_t *bms = base->ms;
    if (*req->request_id) {
        sg_exec *cur;
        rc = sg_op_load_current(&op, namespace_id, bms->workflow_id, "", &cur);
        if (rc < 0)
            return sg_op_end(&op, rc);
        if (strcmp(cur->ms->start_request_id, req->request_id) == 0 &&
            strcmp(cur->ms->run_id, bms->run_id) != 0) {
            out->run_id = sg_arena_strdup(a, cur->ms->run_id); /* a client retry */
            return sg_op_end(&op, 0);
        }
    }
    sg_buf hist;
    sg_buf_init(&hist);
    int64_t next;
    rc = sg_hist_read(e, a, namespace_id, bms->run_id, 1, 0, &hist, &next);
    Temporal__Api__History__V1__History *h =
        rc == 0 ? temporal__api__history__v1__history__unpack(&a->pb, hist.len, sg_buf_head(&hist)) : NULL;
    sg_buf_deinit(&hist);
    if (rc < 0)
        return sg_op_end(&op, rc);
    if (!h || !h->n_events || h->events[0]->attributes_case != ATTR_CASE(WORKFLOW_EXECUTION_STARTED))
        return sg_op_end(&op, SG_ECORRUPT);
    /* The copied history ends with the chosen task's WorkflowTaskStarted (id last). */
    int64_t id = req->workflow_task_finish_event_id, n = (int64_t)h->n_events, last = 0;
    if (id >= 2 && id <= n) {
        int type = h->events[id - 1]->event_type;
        if (type == EVT(WORKFLOW_TASK_STARTED))
            last = id;
        else if (is_wft_end(type) && h->events[id - 2]->event_type == EVT(WORKFLOW_TASK_STARTED))
            last = id - 1;
    }
    if (!last)
        return sg_op_end(&op, fail(err, a, SG_EINVAL,
                                   sg_arena_printf(a,
                                                   "Invalid WorkflowTaskFinishEventId %lld: it must "
                                                   "name a WorkflowTaskCompleted, WorkflowTaskFailed, "
                                                   "WorkflowTaskTimedOut or WorkflowTaskStarted event "
                                                   "of the run.",
                                                   (long long)id)));
    char run_id[SG_UUID_STR_LEN + 1];
    sg_uuid_v7(run_id);
    const char *why = NULL;
    ms_t *ms = rebuild(bms, h->events, last, run_id, req->request_id, a, &why);
    if (!ms)
        return sg_op_end(&op, fail(err, a, SG_ENOTSUP, why));

    /* The workflow's current run, if running, ends here (it may be the base run or a later one). */
    sg_exec *cur;
    rc = sg_op_load_current(&op, namespace_id, bms->workflow_id, "", &cur);
    if (rc < 0) {
        protobuf_c_message_free_unpacked(&ms->base, NULL);
        return sg_op_end(&op, rc);
    }
    if (cur->ms->status == ST_RUNNING) {
        sg_op_write(&op, cur);
        sg_wft_force_close(cur, a);
        sg_wf_terminate(cur, a, req->reason, req->identity);
    }

    sg_exec *x = sg_op_new_run(&op, ms);
    for (int64_t i = 0; i < last; i++)
        sg_ev_append_copy(x, h->events[i]);
    EV_NEW(a, ev, WORKFLOW_TASK_FAILED, WorkflowTaskFailed, workflow_task_failed);
    ev_attr->scheduled_event_id = h->events[last - 1]->workflow_task_started_event_attributes->scheduled_event_id;
    ev_attr->started_event_id = last;
    ev_attr->cause = TEMPORAL__API__ENUMS__V1__WORKFLOW_TASK_FAILED_CAUSE__WORKFLOW_TASK_FAILED_CAUSE_RESET_WORKFLOW;
    pb_failure *f = sg_failure_new(a, req->reason);
    Temporal__Api__Failure__V1__ResetWorkflowFailureInfo *ri = sg_arena_alloc(a, sizeof *ri);
    temporal__api__failure__v1__reset_workflow_failure_info__init(ri);
    f->failure_info_case = TEMPORAL__API__FAILURE__V1__FAILURE__FAILURE_INFO_RESET_WORKFLOW_FAILURE_INFO;
    f->reset_workflow_failure_info = ri;
    ev_attr->failure = f;
    ev_attr->identity = req->identity;
    ev_attr->base_run_id = sg_arena_strdup(a, bms->run_id);
    ev_attr->new_run_id = sg_arena_strdup(a, run_id);
    sg_ev_append(x, ev);

    /* Signals the base run received after the reset point reach the new run again. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
    bool reapply = req->reset_reapply_type != REAPPLY(NONE);
#pragma GCC diagnostic pop
    for (size_t k = 0; k < req->n_reset_reapply_exclude_types; k++)
        if (req->reset_reapply_exclude_types[k] == EXCLUDE(SIGNAL))
            reapply = false;
    for (int64_t i = last; reapply && i < n; i++) {
        const pb_event *sev = h->events[i];
        if (sev->attributes_case != ATTR_CASE(WORKFLOW_EXECUTION_SIGNALED))
            continue;
        const Temporal__Api__History__V1__WorkflowExecutionSignaledEventAttributes *s =
            sev->workflow_execution_signaled_event_attributes;
        sg_wf_signal_args sig = { .name = s->signal_name, .input = s->input, .header = s->header,
                                  .identity = s->identity, .external = s->external_workflow_execution };
        sg_wf_signal(x, a, &sig);
    }
    sg_act_restart_after_reset(x);
    x->need_wft = true;
    rc = sg_op_commit(&op);
    if (rc == 0)
        out->run_id = sg_arena_strdup(a, run_id);
    return sg_op_end(&op, rc);
}
