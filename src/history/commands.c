/* SPDX-License-Identifier: Apache-2.0 */
/* commands.c: the commands of a workflow task completion, one process_* per command type.
 *
 * Commands apply in order, each writing its event right after WorkflowTaskCompleted with the
 * ids and types the worker sent echoed unchanged (PROTOCOL.md 3.5). The first invalid command
 * stops the loop with SG_EINVAL and a WorkflowTaskFailedCause; the caller then undoes the whole
 * completion (engine.c keeps a snapshot) and fails the task, so a rejected completion leaves
 * no partial effects. A close command must be the last one, and is refused with
 * UNHANDLED_COMMAND while events wait in the buffer, so the workflow sees them first. */
#include "history/hist.h"
#include "history/activity.h"
#include "history/commands.h"
#include "history/events.h"
#include "history/child.h"
#include "history/external.h"
#include "history/op.h"
#include "history/pbutil.h"
#include "history/retry.h"
#include "history/timer.h"
#include "history/update.h"
#include "history/vis.h"
#include "history/workflow.h"

#include "core/clock.h"
#include "core/cron.h"
#include "core/uuid.h"


#include <string.h>

typedef Temporal__Api__Command__V1__Command pb_command;
#define CMD_CASE(NAME) TEMPORAL__API__COMMAND__V1__COMMAND__ATTRIBUTES_##NAME##_COMMAND_ATTRIBUTES


static int reject(sg_engine_err *err, sg_arena *a, int cause, const char *msg)
{
    err->wft_failed_cause = cause;
    err->message = sg_arena_strdup(a, msg);
    return SG_EINVAL;
}

static int process_schedule_activity(sg_exec *x, sg_arena *a, const pb_command *c, int64_t wtc,
                                     sg_engine_err *err)
{
    const Temporal__Api__Command__V1__ScheduleActivityTaskCommandAttributes *in =
        c->schedule_activity_task_command_attributes;
    int cause = WFT_CAUSE(BAD_SCHEDULE_ACTIVITY_ATTRIBUTES);
    ms_t *ms = x->ms;
    if (!in)
        return reject(err, a, cause, "ScheduleActivityTaskCommandAttributes is not set on command.");
    if (!*in->activity_id)
        return reject(err, a, cause, "ActivityId is not set on command.");
    if (strlen(in->activity_id) > SG_MAX_ID_LEN)
        return reject(err, a, cause, "ActivityId exceeds length limit.");
    if (!in->activity_type || !*in->activity_type->name)
        return reject(err, a, cause, "ActivityType is not set on command.");
    if (sg_act_find_by_id(x, in->activity_id))
        return reject(err, a, WFT_CAUSE(SCHEDULE_ACTIVITY_DUPLICATE_ID),
                      sg_arena_printf(a, "Activity ID %s is already in use.", in->activity_id));
    const char *queue = in->task_queue && *in->task_queue->name ? in->task_queue->name
                                                                 : ms->task_queue;
    int64_t s2c = sg_dur_to_ms(in->schedule_to_close_timeout);
    int64_t s2s = sg_dur_to_ms(in->schedule_to_start_timeout);
    int64_t st2c = sg_dur_to_ms(in->start_to_close_timeout);
    int64_t hb = sg_dur_to_ms(in->heartbeat_timeout);
    if (s2c < 0 || s2s < 0 || st2c < 0 || hb < 0)
        return reject(err, a, cause, "A valid timeout may not be negative.");
    if (s2c <= 0 && st2c <= 0)
        return reject(err, a, cause,
                      "A valid StartToClose or ScheduleToCloseTimeout is not set on "
                      "ScheduleActivityTaskCommand.");
    int64_t run = ms->run_timeout_ms;
    /* Temporal's normalization (PROTOCOL.md 5): derive the missing timeouts, cap by the run. */
    if (s2c > 0) {
        if (s2s <= 0 || s2s > s2c)
            s2s = s2c;
        if (st2c <= 0 || st2c > s2c)
            st2c = s2c;
    } else {
        s2c = run;
        if (s2s <= 0)
            s2s = run;
    }
    if (run > 0) {
        s2c = s2c > 0 ? SG_MIN(s2c, run) : run;
        s2s = s2s > 0 ? SG_MIN(s2s, run) : run;
        st2c = SG_MIN(st2c, run);
    }
    if (hb > st2c)
        hb = st2c;
    Temporal__Api__Common__V1__RetryPolicy *retry;
    const char *bad = sg_retry_policy_normalize(a, in->retry_policy, &retry);
    if (bad)
        return reject(err, a, cause, bad);

    sg_act_schedule(x, a, in, queue, (int64_t[4]){ s2c, s2s, st2c, hb }, retry, wtc,
                 c->user_metadata);
    return 0;
}

static int process_request_cancel_activity(sg_exec *x, sg_arena *a, const pb_command *c,
                                           int64_t wtc, sg_engine_err *err)
{
    const Temporal__Api__Command__V1__RequestCancelActivityTaskCommandAttributes *in =
        c->request_cancel_activity_task_command_attributes;
    int cause = WFT_CAUSE(BAD_REQUEST_CANCEL_ACTIVITY_ATTRIBUTES);
    if (!in)
        return reject(err, a, cause, "RequestCancelActivityTaskCommandAttributes is not set.");
    ms_activity *act = sg_act_find(x, in->scheduled_event_id);
    if (!act)
        return reject(err, a, cause,
                      sg_arena_printf(a, "Unable to find activity with scheduled event id %lld.",
                                      (long long)in->scheduled_event_id));
    sg_act_request_cancel(x, a, act, wtc);
    return 0;
}

static int process_start_timer(sg_exec *x, sg_arena *a, const pb_command *c, int64_t wtc,
                               sg_engine_err *err)
{
    const Temporal__Api__Command__V1__StartTimerCommandAttributes *in =
        c->start_timer_command_attributes;
    int cause = WFT_CAUSE(BAD_START_TIMER_ATTRIBUTES);
    ms_t *ms = x->ms;
    if (!in || !*in->timer_id)
        return reject(err, a, cause, "TimerId is not set on command.");
    if (strlen(in->timer_id) > SG_MAX_ID_LEN)
        return reject(err, a, cause, "TimerId exceeds length limit.");
    int64_t ms_to_fire = sg_dur_to_ms(in->start_to_fire_timeout);
    if (!in->start_to_fire_timeout || ms_to_fire <= 0)
        return reject(err, a, cause, "A valid StartToFireTimeout is not set on command.");
    if (sg_timer_find(ms, in->timer_id, NULL))
        return reject(err, a, WFT_CAUSE(START_TIMER_DUPLICATE_ID),
                      sg_arena_printf(a, "Timer ID %s is already in use.", in->timer_id));
    sg_timer_start(x, a, in, wtc, c->user_metadata);
    return 0;
}

static int process_cancel_timer(sg_exec *x, sg_arena *a, const pb_command *c, int64_t wtc,
                                const char *identity, sg_engine_err *err)
{
    const Temporal__Api__Command__V1__CancelTimerCommandAttributes *in =
        c->cancel_timer_command_attributes;
    ms_t *ms = x->ms;
    size_t i;
    ms_timer *t = in ? sg_timer_find(ms, in->timer_id, &i) : NULL;
    if (!t)
        return reject(err, a, WFT_CAUSE(BAD_CANCEL_TIMER_ATTRIBUTES),
                      sg_arena_printf(a, "Unable to find timer with ID %s.", in ? in->timer_id : ""));
    sg_timer_cancel(x, a, i, wtc, identity);
    return 0;
}

static int process_record_marker(sg_exec *x, sg_arena *a, const pb_command *c, int64_t wtc,
                                 sg_engine_err *err)
{
    const Temporal__Api__Command__V1__RecordMarkerCommandAttributes *in =
        c->record_marker_command_attributes;
    if (!in || !*in->marker_name)
        return reject(err, a, WFT_CAUSE(BAD_RECORD_MARKER_ATTRIBUTES),
                      "MarkerName is not set on command.");
    EV_NEW(a, ev, MARKER_RECORDED, MarkerRecorded, marker_recorded);
    ev_attr->marker_name = in->marker_name;
    ev_attr->workflow_task_completed_event_id = wtc;
    ev_attr->header = in->header;
    ev_attr->failure = in->failure;
    if (in->n_details) {
        typedef Temporal__Api__History__V1__MarkerRecordedEventAttributes__DetailsEntry entry;
        entry **d = sg_arena_alloc(a, in->n_details * sizeof *d);
        for (size_t i = 0; i < in->n_details; i++) {
            d[i] = sg_arena_alloc(a, sizeof *d[i]);
            temporal__api__history__v1__marker_recorded_event_attributes__details_entry__init(d[i]);
            d[i]->key = in->details[i]->key;
            d[i]->value = in->details[i]->value;
        }
        ev_attr->details = d;
        ev_attr->n_details = in->n_details;
    }
    ev->user_metadata = c->user_metadata;
    sg_ev_append(x, ev);
    return 0;
}

static int process_upsert_search_attributes(sg_exec *x, sg_arena *a, const pb_command *c,
                                            int64_t wtc, sg_engine_err *err)
{
    const Temporal__Api__Command__V1__UpsertWorkflowSearchAttributesCommandAttributes *in =
        c->upsert_workflow_search_attributes_command_attributes;
    if (!in || !in->search_attributes)
        return reject(err, a, WFT_CAUSE(BAD_SEARCH_ATTRIBUTES),
                      "SearchAttributes are not set on command.");
    /* Registered attributes of the right type only, as Temporal checks them; the SDK's
     * TemporalChangeVersion (patches, PROTOCOL.md 8.10) is predefined. */
    const char *bad = sg_vis_check(x->e, a, x->ms->namespace_id, in->search_attributes);
    if (bad)
        return reject(err, a, WFT_CAUSE(BAD_SEARCH_ATTRIBUTES), bad);
    EV_NEW(a, ev, UPSERT_WORKFLOW_SEARCH_ATTRIBUTES, UpsertWorkflowSearchAttributes,
           upsert_workflow_search_attributes);
    ev_attr->workflow_task_completed_event_id = wtc;
    ev_attr->search_attributes = in->search_attributes;
    sg_ev_append(x, ev);
    sg_ms_merge_search_attributes(&x->ms->search_attributes, in->search_attributes);
    x->vis_dirty = x->vis_attrs_dirty = true;
    return 0;
}

static int process_modify_properties(sg_exec *x, sg_arena *a, const pb_command *c, int64_t wtc,
                                     sg_engine_err *err)
{
    const Temporal__Api__Command__V1__ModifyWorkflowPropertiesCommandAttributes *in =
        c->modify_workflow_properties_command_attributes;
    if (!in)
        return reject(err, a, WFT_CAUSE(BAD_MODIFY_WORKFLOW_PROPERTIES_ATTRIBUTES),
                      "ModifyWorkflowPropertiesCommandAttributes is not set on command.");
    EV_NEW(a, ev, WORKFLOW_PROPERTIES_MODIFIED, WorkflowPropertiesModified,
           workflow_properties_modified);
    ev_attr->workflow_task_completed_event_id = wtc;
    ev_attr->upserted_memo = in->upserted_memo;
    sg_ev_append(x, ev);
    sg_ms_merge_memo(&x->ms->memo, in->upserted_memo);
    x->vis_dirty = true;
    return 0;
}

static int process_close(sg_exec *x, sg_arena *a, const pb_command *c, int64_t wtc,
                         bool is_last, sg_engine_err *err)
{
    if (!is_last)
        return reject(err, a, WFT_CAUSE(UNHANDLED_COMMAND),
                      "A workflow-closing command must be the last command.");
    if (sg_ev_has_buffered(x))
        return reject(err, a, WFT_CAUSE(UNHANDLED_COMMAND), "UnhandledCommand");
    switch (c->attributes_case) {
    case CMD_CASE(COMPLETE_WORKFLOW_EXECUTION): {
        EV_NEW(a, ev, WORKFLOW_EXECUTION_COMPLETED, WorkflowExecutionCompleted,
               workflow_execution_completed);
        ev_attr->result = c->complete_workflow_execution_command_attributes->result;
        ev_attr->workflow_task_completed_event_id = wtc;
        /* A cron run completes and names the next run of its chain. */
        int64_t cron = sg_wf_cron_delay(x->ms, sg_clock_now_ms());
        char run_id[SG_UUID_STR_LEN + 1];
        if (cron >= 0) {
            sg_uuid_v7(run_id);
            ev_attr->new_execution_run_id = sg_arena_strdup(a, run_id);
        }
        sg_ev_append(x, ev);
        sg_wf_close(x, ST_COMPLETED);
        if (cron >= 0)
            sg_op_start_cron(x->op, x, ev_attr->result, NULL, cron, run_id);
        return 0;
    }
    case CMD_CASE(FAIL_WORKFLOW_EXECUTION): {
        pb_failure *f = c->fail_workflow_execution_command_attributes->failure;
        if (!f)
            f = sg_failure_new(a, "workflow failed");
        int retry_state;
        int64_t delay = sg_wf_retry_delay(x, f, sg_clock_now_ms(), &retry_state);
        /* Retries come first; a cron chain goes on once they are exhausted. */
        int64_t cron = delay < 0 ? sg_wf_cron_delay(x->ms, sg_clock_now_ms()) : -1;
        EV_NEW(a, ev, WORKFLOW_EXECUTION_FAILED, WorkflowExecutionFailed, workflow_execution_failed);
        ev_attr->failure = f;
        ev_attr->retry_state = (Temporal__Api__Enums__V1__RetryState)retry_state;
        ev_attr->workflow_task_completed_event_id = wtc;
        char run_id[SG_UUID_STR_LEN + 1];
        if (delay >= 0 || cron >= 0) {
            sg_uuid_v7(run_id);
            ev_attr->new_execution_run_id = sg_arena_strdup(a, run_id);
        }
        sg_ev_append(x, ev);
        sg_wf_close(x, ST_FAILED);
        if (delay >= 0)
            sg_op_start_retry(x->op, x, f, delay, run_id);
        else if (cron >= 0)
            sg_op_start_cron(x->op, x, NULL, f, cron, run_id);
        return 0;
    }
    case CMD_CASE(CONTINUE_AS_NEW_WORKFLOW_EXECUTION): {
        const Temporal__Api__Command__V1__ContinueAsNewWorkflowExecutionCommandAttributes *in =
            c->continue_as_new_workflow_execution_command_attributes;
        int cause = WFT_CAUSE(BAD_CONTINUE_AS_NEW_ATTRIBUTES);
        if (!in)
            return reject(err, a, cause, "ContinueAsNewWorkflowExecutionCommandAttributes is not set on command.");
        if (*in->cron_schedule) {
            sg_cron cr;
            const char *why;
            int crc = sg_cron_parse(in->cron_schedule, &cr, &why);
            if (crc < 0)
                return reject(err, a, crc == SG_ENOTSUP ? WFT_CAUSE(FEATURE_DISABLED) : cause, why);
        }
        const char *bad = sg_retry_policy_problem(in->retry_policy);
        if (!bad)
            bad = sg_vis_check(x->e, a, x->ms->namespace_id, in->search_attributes);
        if (bad)
            return reject(err, a, cause, bad);
        if (sg_dur_to_ms(in->workflow_run_timeout) < 0 || sg_dur_to_ms(in->workflow_task_timeout) < 0 ||
            sg_dur_to_ms(in->backoff_start_interval) < 0)
            return reject(err, a, cause, "A valid timeout may not be negative.");
        char run_id[SG_UUID_STR_LEN + 1];
        sg_uuid_v7(run_id);
        ms_t *ms = x->ms;
        EV_NEW(a, ev, WORKFLOW_EXECUTION_CONTINUED_AS_NEW, WorkflowExecutionContinuedAsNew,
               workflow_execution_continued_as_new);
        ev_attr->new_execution_run_id = sg_arena_strdup(a, run_id);
        Temporal__Api__Common__V1__WorkflowType *wt = sg_arena_alloc(a, sizeof *wt);
        temporal__api__common__v1__workflow_type__init(wt);
        wt->name = in->workflow_type && *in->workflow_type->name ? in->workflow_type->name
                                                                 : sg_arena_strdup(a, ms->workflow_type);
        ev_attr->workflow_type = wt;
        ev_attr->task_queue = sg_tq_new(a,
                                        in->task_queue && *in->task_queue->name
                                            ? in->task_queue->name
                                            : sg_arena_strdup(a, ms->task_queue),
                                        TQ_KIND(NORMAL), NULL);
        ev_attr->input = in->input;
        ev_attr->workflow_run_timeout = in->workflow_run_timeout;
        ev_attr->workflow_task_timeout = in->workflow_task_timeout;
        ev_attr->workflow_task_completed_event_id = wtc;
        ev_attr->backoff_start_interval = in->backoff_start_interval;
        ev_attr->initiator =
            TEMPORAL__API__ENUMS__V1__CONTINUE_AS_NEW_INITIATOR__CONTINUE_AS_NEW_INITIATOR_WORKFLOW;
        ev_attr->last_completion_result = in->last_completion_result;
        ev_attr->header = in->header;
        ev_attr->memo = sg_memo_without_nils(a, in->memo);
        ev_attr->search_attributes = sg_sa_without_nils(a, in->search_attributes);
        sg_ev_append(x, ev);
        sg_wf_close(x, ST_CONTINUED_AS_NEW);
        sg_op_start_continued(x->op, x, in, run_id);
        return 0;
    }
    default: {
        EV_NEW(a, ev, WORKFLOW_EXECUTION_CANCELED, WorkflowExecutionCanceled,
               workflow_execution_canceled);
        ev_attr->details = c->cancel_workflow_execution_command_attributes->details;
        ev_attr->workflow_task_completed_event_id = wtc;
        sg_ev_append(x, ev);
        sg_wf_close(x, ST_CANCELED);
        return 0;
    }
    }
}

int sg_cmd_apply_all(sg_exec *x, sg_arena *a,
                  const Temporal__Api__Workflowservice__V1__RespondWorkflowTaskCompletedRequest *req,
                  int64_t wtc, sg_engine_err *err)
{
    for (size_t i = 0; i < req->n_commands; i++) {
        const pb_command *c = req->commands[i];
        bool is_last = i + 1 == req->n_commands;
        if (x->ms->status != ST_RUNNING)
            return reject(err, a, WFT_CAUSE(UNHANDLED_COMMAND),
                          "No command may follow a workflow-closing command.");
        int rc;
        switch (c->attributes_case) {
        case CMD_CASE(SCHEDULE_ACTIVITY_TASK): rc = process_schedule_activity(x, a, c, wtc, err); break;
        case CMD_CASE(REQUEST_CANCEL_ACTIVITY_TASK):
            rc = process_request_cancel_activity(x, a, c, wtc, err);
            break;
        case CMD_CASE(START_TIMER): rc = process_start_timer(x, a, c, wtc, err); break;
        case CMD_CASE(CANCEL_TIMER): rc = process_cancel_timer(x, a, c, wtc, req->identity, err); break;
        case CMD_CASE(RECORD_MARKER): rc = process_record_marker(x, a, c, wtc, err); break;
        case CMD_CASE(UPSERT_WORKFLOW_SEARCH_ATTRIBUTES):
            rc = process_upsert_search_attributes(x, a, c, wtc, err);
            break;
        case CMD_CASE(MODIFY_WORKFLOW_PROPERTIES): rc = process_modify_properties(x, a, c, wtc, err); break;
        case CMD_CASE(COMPLETE_WORKFLOW_EXECUTION):
        case CMD_CASE(FAIL_WORKFLOW_EXECUTION):
        case CMD_CASE(CANCEL_WORKFLOW_EXECUTION):
        case CMD_CASE(CONTINUE_AS_NEW_WORKFLOW_EXECUTION):
            rc = process_close(x, a, c, wtc, is_last, err);
            break;
        case CMD_CASE(SIGNAL_EXTERNAL_WORKFLOW_EXECUTION):
            rc = sg_external_signal_command(
                x, a, c->signal_external_workflow_execution_command_attributes, wtc, err);
            break;
        case CMD_CASE(REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION):
            rc = sg_external_cancel_command(
                x, a, c->request_cancel_external_workflow_execution_command_attributes, wtc, err);
            break;
        case CMD_CASE(START_CHILD_WORKFLOW_EXECUTION):
            rc = sg_child_command(x, a, c->start_child_workflow_execution_command_attributes,
                                  wtc, err);
            break;
        case CMD_CASE(PROTOCOL_MESSAGE): {
            const char *why = NULL;
            const Temporal__Api__Command__V1__ProtocolMessageCommandAttributes *pm =
                c->protocol_message_command_attributes;
            rc = pm ? sg_update_apply_message(x, a, req, pm->message_id, wtc, &why) : SG_EINVAL;
            if (rc < 0)
                rc = reject(err, a, WFT_CAUSE(BAD_UPDATE_WORKFLOW_EXECUTION_MESSAGE),
                            why ? why : "ProtocolMessageCommandAttributes is not set on command.");
            break;
        }
        default:
            rc = reject(err, a, WFT_CAUSE(FEATURE_DISABLED),
                        sg_arena_printf(a,
                                        "Sandglass does not support command type %d yet "
                                        "(see docs/compatibility.md).",
                                        (int)c->command_type));
            break;
        }
        if (rc < 0)
            return rc;
    }
    return 0;
}
