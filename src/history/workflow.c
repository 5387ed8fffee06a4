/* SPDX-License-Identifier: Apache-2.0 */
/* workflow.c: the run's own lifecycle — its state built in one place, closing, timeouts,
 * termination and the retry that continues a failed run as a new one.
 *
 *     RUNNING --CompleteWorkflowExecution--> COMPLETED
 *        |----FailWorkflowExecution--------> FAILED     (retry policy: + a new RUNNING run)
 *        |----CancelWorkflowExecution------> CANCELED
 *        |----terminate (a new start with TERMINATE_EXISTING)--> TERMINATED
 *        +----run / execution timeout------> TIMED_OUT  (run timeout + retry policy: + new run)
 *
 * Closed states are final. Closing writes the close event (the caller writes the command's
 * event first), records close time and event id, and drops buffered events; the operation's
 * commit then drops the run's pending work (workflow task, activities, timers) and its tasks.
 *
 * Invariants: status moves only RUNNING -> closed (sg_wf_close asserts it); a retry run gets
 * attempt + 1, the same execution expiration and first run id, and is created in the same
 * operation as the close, saved after it, so the current-run row ends on it.
 *
 * While RUNNING a run also receives signals (sg_wf_signal: WorkflowExecutionSignaled, at most
 * SG_WF_MAX_SIGNALS, de-duplicated by request id) and one cancel request
 * (sg_wf_request_cancel: WorkflowExecutionCancelRequested; the workflow decides what to do —
 * usually CancelWorkflowExecution). Both are events from outside: buffered while a workflow
 * task runs, and they ask for a new one.
 *
 * Transitions -> functions: start: sg_wf_new_state (+ WorkflowExecutionStarted by the caller);
 * close: sg_wf_close; time out: sg_wf_time_out; terminate: sg_wf_terminate(_with); retry:
 * sg_wf_retry_delay, sg_wf_retry_state. */
#include "history/hist.h"
#include "history/events.h"
#include "history/pbutil.h"
#include "history/read.h"
#include "history/retry.h"
#include "history/workflow.h"

#include "core/clock.h"
#include "core/cron.h"
#include "core/log.h"
#include "core/uuid.h"

#include <string.h>

ms_t *sg_wf_new_state(const wf_run_spec *s)
{
    ms_t *ms = sg_malloc(sizeof *ms);
    sandglass__v1__mutable_state__init(ms);
    ms->namespace_id = sg_ms_strdup(s->namespace_id);
    ms->namespace_ = sg_ms_strdup(s->namespace_name);
    ms->workflow_id = sg_ms_strdup(s->workflow_id);
    ms->run_id = sg_ms_strdup(s->run_id);
    ms->workflow_type = sg_ms_strdup(s->workflow_type);
    ms->task_queue = sg_ms_strdup(s->task_queue);
    ms->status = ST_RUNNING;
    ms->next_event_id = 1;
    ms->start_time_ms = s->now;
    ms->execution_timeout_ms = s->execution_timeout_ms;
    ms->run_timeout_ms = s->run_timeout_ms;
    ms->task_timeout_ms = s->task_timeout_ms;
    ms->execution_expiration_ms = s->execution_expiration_ms;
    /* The run's own clock starts when its first task may: after any start backoff. */
    ms->run_expiration_ms = s->run_timeout_ms > 0 ? s->now + s->backoff_ms + s->run_timeout_ms : 0;
    if (ms->execution_expiration_ms && ms->run_expiration_ms > ms->execution_expiration_ms)
        ms->run_expiration_ms = ms->execution_expiration_ms;
    ms->first_execution_run_id = sg_ms_strdup(s->first_execution_run_id);
    ms->start_request_id = sg_ms_strdup(s->start_request_id);
    ms->continued_run_id = s->continued_run_id ? sg_ms_strdup(s->continued_run_id) : NULL;
    ms->attempt = s->attempt;
    if (s->retry_policy)
        ms->retry_policy = sg_pb_clone_heap(&s->retry_policy->base);
    sg_ms_merge_memo(&ms->memo, s->memo);
    sg_ms_merge_search_attributes(&ms->search_attributes, s->search_attributes);
    if (s->backoff_ms > 0)
        ms->wft_backoff_until_ms = s->now + s->backoff_ms;
    ms->execution_time_ms = s->now + (s->backoff_ms > 0 ? s->backoff_ms : 0);
    if (s->cron_schedule && *s->cron_schedule)
        ms->cron_schedule = sg_ms_strdup(s->cron_schedule);
    if (s->parent_run_id) {
        ms->parent_workflow_id = sg_ms_strdup(s->parent_workflow_id);
        ms->parent_run_id = sg_ms_strdup(s->parent_run_id);
        ms->parent_initiated_event_id = s->parent_initiated_event_id;
    }
    if (s->root_run_id) {
        ms->root_workflow_id = sg_ms_strdup(s->root_workflow_id);
        ms->root_run_id = sg_ms_strdup(s->root_run_id);
    }
    return ms;
}

void sg_wf_spec_inherit(wf_run_spec *spec, const ms_t *old)
{
    spec->cron_schedule = old->cron_schedule;
    if (*old->parent_run_id) {
        spec->parent_workflow_id = old->parent_workflow_id;
        spec->parent_run_id = old->parent_run_id;
        spec->parent_initiated_event_id = old->parent_initiated_event_id;
    }
    if (*old->root_run_id) {
        spec->root_workflow_id = old->root_workflow_id;
        spec->root_run_id = old->root_run_id;
    }
}

void sg_wf_close(sg_exec *x, int status)
{
    ms_t *ms = x->ms;
    if (ms->status != ST_RUNNING || status == ST_RUNNING)
        sg_panic("workflow %s: illegal transition %d -> %d", x->key, ms->status, status);
    ms->status = status;
    ms->close_time_ms = sg_clock_now_ms();
    ms->close_event_id = ms->next_event_id - 1;
    sg_free(ms->buffered_events.data);
    ms->buffered_events.data = NULL;
    ms->buffered_events.len = 0;
}

int sg_wf_timeout_due(const ms_t *ms, int64_t now)
{
    if (ms->status != ST_RUNNING)
        return 0;
    if (ms->execution_expiration_ms && now >= ms->execution_expiration_ms)
        return WF_EXECUTION_TIMEOUT;
    if (ms->run_expiration_ms && now >= ms->run_expiration_ms)
        return WF_RUN_TIMEOUT;
    return 0;
}

int64_t sg_wf_next_wakeup(const ms_t *ms)
{
    int64_t a = ms->run_expiration_ms, b = ms->execution_expiration_ms;
    if (!a)
        return b;
    return b && b < a ? b : a;
}

int64_t sg_wf_retry_delay(const sg_exec *x, const pb_failure *f, int64_t now, int *retry_state)
{
    const ms_t *ms = x->ms;
    return sg_retry_next_delay(ms->retry_policy, f, ms->attempt, now, ms->execution_expiration_ms,
                            retry_state);
}

const pb_failure *sg_wf_time_out(sg_exec *x, sg_arena *a, int which, int64_t *retry_delay_ms,
                              char *new_run_id, bool *cron)
{
    pb_failure *f = sg_failure_new(a, "workflow timeout");
    Temporal__Api__Failure__V1__TimeoutFailureInfo *ti = sg_arena_alloc(a, sizeof *ti);
    temporal__api__failure__v1__timeout_failure_info__init(ti);
    ti->timeout_type = TIMEOUT_TYPE(START_TO_CLOSE);
    f->failure_info_case = TEMPORAL__API__FAILURE__V1__FAILURE__FAILURE_INFO_TIMEOUT_FAILURE_INFO;
    f->timeout_failure_info = ti;
    /* Only a run timeout retries; the execution timeout spans every attempt. */
    int retry_state = RETRY_STATE(TIMEOUT);
    int64_t delay = which == WF_RUN_TIMEOUT
                        ? sg_wf_retry_delay(x, f, sg_clock_now_ms(), &retry_state)
                        : -1;
    *cron = false;
    if (delay < 0 && which == WF_RUN_TIMEOUT) {
        delay = sg_wf_cron_delay(x->ms, sg_clock_now_ms());
        *cron = delay >= 0;
    }
    EV_NEW(a, ev, WORKFLOW_EXECUTION_TIMED_OUT, WorkflowExecutionTimedOut,
           workflow_execution_timed_out);
    if (delay >= 0) {
        sg_uuid_v7(new_run_id);
        ev_attr->new_execution_run_id = sg_arena_strdup(a, new_run_id);
        retry_state = RETRY_STATE(IN_PROGRESS);
    }
    ev_attr->retry_state = (Temporal__Api__Enums__V1__RetryState)retry_state;
    sg_ev_append(x, ev);
    sg_wf_close(x, ST_TIMED_OUT);
    *retry_delay_ms = delay;
    return f;
}

void sg_wf_terminate_with(sg_exec *x, sg_arena *a, const char *reason,
                          const pb_payloads *details, const char *identity)
{
    EV_NEW(a, ev, WORKFLOW_EXECUTION_TERMINATED, WorkflowExecutionTerminated,
           workflow_execution_terminated);
    ev_attr->reason = (char *)(reason ? reason : "");
    ev_attr->details = (pb_payloads *)details;
    ev_attr->identity = (char *)(identity ? identity : "");
    sg_ev_append(x, ev);
    sg_wf_close(x, ST_TERMINATED);
}

void sg_wf_terminate(sg_exec *x, sg_arena *a, const char *reason, const char *identity)
{
    sg_wf_terminate_with(x, a, reason, NULL, identity);
}

bool sg_wf_signal_seen(const ms_t *ms, const char *request_id)
{
    if (!request_id || !*request_id)
        return false;
    for (size_t i = 0; i < ms->n_signal_request_ids; i++)
        if (strcmp(ms->signal_request_ids[i], request_id) == 0)
            return true;
    return false;
}

bool sg_wf_signals_exhausted(const ms_t *ms)
{
    return ms->signal_count >= SG_WF_MAX_SIGNALS;
}

void sg_wf_signal(sg_exec *x, sg_arena *a, const sg_wf_signal_args *sig)
{
    ms_t *ms = x->ms;
    EV_NEW(a, ev, WORKFLOW_EXECUTION_SIGNALED, WorkflowExecutionSignaled,
           workflow_execution_signaled);
    ev_attr->signal_name = (char *)sig->name;
    ev_attr->input = sig->input;
    ev_attr->header = sig->header;
    ev_attr->identity = (char *)(sig->identity ? sig->identity : "");
    ev_attr->external_workflow_execution = sig->external;
    /* While a workflow task runs the signal waits in the buffer and reaches the workflow with
     * the next task (PROTOCOL.md 3.5); otherwise it asks for one now. */
    if (sg_ev_append_or_buffer(x, ev))
        x->need_wft = true;
    ms->signal_count++;
    if (sig->request_id && *sig->request_id) {
        ms->signal_request_ids = sg_realloc(ms->signal_request_ids,
                                            (ms->n_signal_request_ids + 1) *
                                                sizeof *ms->signal_request_ids);
        ms->signal_request_ids[ms->n_signal_request_ids++] = sg_ms_strdup(sig->request_id);
    }
}

void sg_wf_request_cancel(sg_exec *x, sg_arena *a, const char *reason, const char *identity,
                          const char *request_id)
{
    ms_t *ms = x->ms;
    EV_NEW(a, ev, WORKFLOW_EXECUTION_CANCEL_REQUESTED, WorkflowExecutionCancelRequested,
           workflow_execution_cancel_requested);
    ev_attr->cause = (char *)(reason ? reason : "");
    ev_attr->identity = (char *)(identity ? identity : "");
    if (sg_ev_append_or_buffer(x, ev))
        x->need_wft = true;
    ms->cancel_requested = true;
    sg_ms_set_str(&ms->cancel_request_id, request_id);
}

void sg_wf_request_cancel_external(sg_exec *x, sg_arena *a, const char *reason,
                                   int64_t initiated_event_id,
                                   Temporal__Api__Common__V1__WorkflowExecution *by)
{
    ms_t *ms = x->ms;
    EV_NEW(a, ev, WORKFLOW_EXECUTION_CANCEL_REQUESTED, WorkflowExecutionCancelRequested,
           workflow_execution_cancel_requested);
    ev_attr->cause = (char *)(reason ? reason : "");
    ev_attr->external_initiated_event_id = initiated_event_id;
    ev_attr->external_workflow_execution = by;
    if (sg_ev_append_or_buffer(x, ev))
        x->need_wft = true;
    ms->cancel_requested = true;
}

/* The run's WorkflowExecutionStarted attributes (in a), or NULL if unreadable. */
static Temporal__Api__History__V1__WorkflowExecutionStartedEventAttributes *
read_started(sg_exec *x, sg_arena *a)
{
    const ms_t *ms = x->ms;
    sg_buf first;
    sg_buf_init(&first);
    int64_t next;
    Temporal__Api__History__V1__WorkflowExecutionStartedEventAttributes *prev = NULL;
    if (sg_hist_read(x->e, a, ms->namespace_id, ms->run_id, 1, 1, &first, &next) == 0) {
        Temporal__Api__History__V1__History *h =
            temporal__api__history__v1__history__unpack(&a->pb, first.len, sg_buf_head(&first));
        if (h && h->n_events && h->events[0]->attributes_case == ATTR_CASE(WORKFLOW_EXECUTION_STARTED))
            prev = h->events[0]->workflow_execution_started_event_attributes;
    }
    sg_buf_deinit(&first);
    return prev;
}

ms_t *sg_wf_retry_state(sg_exec *x, sg_arena *a, const pb_failure *f, int64_t delay_ms,
                     const char *new_run_id, pb_event **started)
{
    const ms_t *old = x->ms;
    int64_t now = sg_clock_now_ms();
    /* The new attempt starts with what the first one was given: its Started event. */
    Temporal__Api__History__V1__WorkflowExecutionStartedEventAttributes *prev = read_started(x, a);
    if (!prev) {
        sg_log_error("run %s: cannot read its start to retry it", x->key);
        return NULL;
    }
    wf_run_spec spec = {
        .namespace_id = old->namespace_id,
        .namespace_name = old->namespace_,
        .workflow_id = old->workflow_id,
        .run_id = new_run_id,
        .workflow_type = old->workflow_type,
        .task_queue = old->task_queue,
        .now = now,
        .execution_timeout_ms = old->execution_timeout_ms,
        .run_timeout_ms = old->run_timeout_ms,
        .task_timeout_ms = old->task_timeout_ms,
        .execution_expiration_ms = old->execution_expiration_ms,
        .first_execution_run_id = old->first_execution_run_id,
        .start_request_id = old->start_request_id,
        .continued_run_id = old->run_id,
        .attempt = old->attempt + 1,
        .retry_policy = old->retry_policy,
        .memo = prev->memo,
        .search_attributes = prev->search_attributes,
        .backoff_ms = delay_ms,
    };
    sg_wf_spec_inherit(&spec, old); /* a child's retry is still its parent's child */
    ms_t *ms = sg_wf_new_state(&spec);
    EV_NEW(a, ev, WORKFLOW_EXECUTION_STARTED, WorkflowExecutionStarted, workflow_execution_started);
    *ev_attr = *prev;
    ev_attr->continued_execution_run_id = sg_arena_strdup(a, old->run_id);
    ev_attr->initiator = TEMPORAL__API__ENUMS__V1__CONTINUE_AS_NEW_INITIATOR__CONTINUE_AS_NEW_INITIATOR_RETRY;
    ev_attr->continued_failure = (pb_failure *)f;
    ev_attr->original_execution_run_id = sg_arena_strdup(a, new_run_id);
    ev_attr->first_execution_run_id = sg_arena_strdup(a, ms->first_execution_run_id);
    ev_attr->attempt = ms->attempt;
    ev_attr->first_workflow_task_backoff = delay_ms > 0 ? sg_dur_ms(a, delay_ms) : NULL;
    *started = ev;
    return ms;
}

int64_t sg_wf_cron_delay(const ms_t *ms, int64_t now)
{
    if (!ms->cron_schedule || !*ms->cron_schedule)
        return -1;
    sg_cron c;
    const char *why;
    if (sg_cron_parse(ms->cron_schedule, &c, &why) < 0)
        return -1; /* validated at the start; a schedule no longer readable ends the chain */
    int64_t delay = sg_cron_backoff_ms(&c, ms->execution_time_ms, now);
    /* The execution timeout bounds the whole cron chain. */
    if (delay < 0 || (ms->execution_expiration_ms && now + delay >= ms->execution_expiration_ms))
        return -1;
    return delay;
}

ms_t *sg_wf_cron_state(sg_exec *x, sg_arena *a, const pb_payloads *result, const pb_failure *f,
                       int64_t delay_ms, const char *new_run_id, pb_event **started)
{
    const ms_t *old = x->ms;
    Temporal__Api__History__V1__WorkflowExecutionStartedEventAttributes *prev = read_started(x, a);
    if (!prev) {
        sg_log_error("run %s: cannot read its start to schedule its next cron run", x->key);
        return NULL;
    }
    wf_run_spec spec = {
        .namespace_id = old->namespace_id,
        .namespace_name = old->namespace_,
        .workflow_id = old->workflow_id,
        .run_id = new_run_id,
        .workflow_type = old->workflow_type,
        .task_queue = old->task_queue,
        .now = sg_clock_now_ms(),
        .execution_timeout_ms = old->execution_timeout_ms,
        .run_timeout_ms = old->run_timeout_ms,
        .task_timeout_ms = old->task_timeout_ms,
        .execution_expiration_ms = old->execution_expiration_ms,
        .first_execution_run_id = old->first_execution_run_id,
        .start_request_id = "",
        .continued_run_id = old->run_id,
        .attempt = 1,
        .retry_policy = old->retry_policy,
        .memo = old->memo,
        .search_attributes = old->search_attributes,
        .backoff_ms = delay_ms,
    };
    sg_wf_spec_inherit(&spec, old);
    ms_t *ms = sg_wf_new_state(&spec);
    /* Every run of the chain gets the first run's input and options. */
    EV_NEW(a, ev, WORKFLOW_EXECUTION_STARTED, WorkflowExecutionStarted, workflow_execution_started);
    *ev_attr = *prev;
    ev_attr->continued_execution_run_id = sg_arena_strdup(a, old->run_id);
    ev_attr->initiator =
        TEMPORAL__API__ENUMS__V1__CONTINUE_AS_NEW_INITIATOR__CONTINUE_AS_NEW_INITIATOR_CRON_SCHEDULE;
    ev_attr->continued_failure = (pb_failure *)f;
    /* The last successful result travels down the chain past failed runs. */
    ev_attr->last_completion_result = result ? (pb_payloads *)result : prev->last_completion_result;
    ev_attr->original_execution_run_id = sg_arena_strdup(a, new_run_id);
    ev_attr->first_execution_run_id = sg_arena_strdup(a, ms->first_execution_run_id);
    ev_attr->attempt = 1;
    ev_attr->first_workflow_task_backoff = sg_dur_ms(a, delay_ms);
    ev_attr->memo = old->memo;
    ev_attr->search_attributes = old->search_attributes;
    *started = ev;
    return ms;
}

ms_t *sg_wf_continue_state(sg_exec *x, sg_arena *a,
                           const Temporal__Api__Command__V1__ContinueAsNewWorkflowExecutionCommandAttributes *in,
                           const char *new_run_id, pb_event **started)
{
    const ms_t *old = x->ms;
    int64_t now = sg_clock_now_ms();
    Temporal__Api__History__V1__WorkflowExecutionStartedEventAttributes *prev = read_started(x, a);
    if (!prev) {
        sg_log_error("run %s: cannot read its start to continue it as new", x->key);
        return NULL;
    }
    /* What the command does not replace is carried over from this run. */
    const char *type = in->workflow_type && *in->workflow_type->name ? in->workflow_type->name
                                                                     : old->workflow_type;
    const char *queue = in->task_queue && *in->task_queue->name ? in->task_queue->name
                                                                : old->task_queue;
    int64_t run_ms = in->workflow_run_timeout ? sg_dur_to_ms(in->workflow_run_timeout)
                                              : old->run_timeout_ms;
    int64_t task_ms = in->workflow_task_timeout ? sg_dur_to_ms(in->workflow_task_timeout)
                                                : old->task_timeout_ms;
    int64_t backoff = sg_dur_to_ms(in->backoff_start_interval);
    const Temporal__Api__Common__V1__RetryPolicy *retry =
        in->retry_policy ? in->retry_policy : old->retry_policy;
    const Temporal__Api__Common__V1__Memo *memo = in->memo ? in->memo : old->memo;
    const Temporal__Api__Common__V1__SearchAttributes *sa =
        in->search_attributes ? in->search_attributes : old->search_attributes;
    wf_run_spec spec = {
        .namespace_id = old->namespace_id,
        .namespace_name = old->namespace_,
        .workflow_id = old->workflow_id,
        .run_id = new_run_id,
        .workflow_type = type,
        .task_queue = queue,
        .now = now,
        .execution_timeout_ms = old->execution_timeout_ms,
        .run_timeout_ms = run_ms > 0 ? run_ms : 0,
        .task_timeout_ms = task_ms > 0 ? task_ms : old->task_timeout_ms,
        .execution_expiration_ms = old->execution_expiration_ms, /* spans the whole chain */
        .first_execution_run_id = old->first_execution_run_id,
        .start_request_id = "",
        .continued_run_id = old->run_id,
        .attempt = 1,
        .retry_policy = retry,
        .memo = memo,
        .search_attributes = sa,
        .backoff_ms = backoff > 0 ? backoff : 0,
    };
    sg_wf_spec_inherit(&spec, old);
    spec.cron_schedule = in->cron_schedule; /* the command names the new run's schedule */
    ms_t *ms = sg_wf_new_state(&spec);
    EV_NEW(a, ev, WORKFLOW_EXECUTION_STARTED, WorkflowExecutionStarted, workflow_execution_started);
    Temporal__Api__Common__V1__WorkflowType *wt = sg_arena_alloc(a, sizeof *wt);
    temporal__api__common__v1__workflow_type__init(wt);
    wt->name = sg_arena_strdup(a, type);
    ev_attr->workflow_type = wt;
    ev_attr->task_queue = sg_tq_new(a, sg_arena_strdup(a, queue), TQ_KIND(NORMAL), NULL);
    ev_attr->input = in->input;
    if (ms->execution_timeout_ms > 0)
        ev_attr->workflow_execution_timeout = sg_dur_ms(a, ms->execution_timeout_ms);
    if (ms->run_timeout_ms > 0)
        ev_attr->workflow_run_timeout = sg_dur_ms(a, ms->run_timeout_ms);
    ev_attr->workflow_task_timeout = sg_dur_ms(a, ms->task_timeout_ms);
    ev_attr->continued_execution_run_id = sg_arena_strdup(a, old->run_id);
    ev_attr->initiator =
        TEMPORAL__API__ENUMS__V1__CONTINUE_AS_NEW_INITIATOR__CONTINUE_AS_NEW_INITIATOR_WORKFLOW;
    ev_attr->last_completion_result = in->last_completion_result;
    ev_attr->original_execution_run_id = sg_arena_strdup(a, new_run_id);
    ev_attr->identity = prev->identity;
    ev_attr->first_execution_run_id = sg_arena_strdup(a, ms->first_execution_run_id);
    ev_attr->retry_policy = (Temporal__Api__Common__V1__RetryPolicy *)retry;
    ev_attr->attempt = 1;
    if (ms->execution_expiration_ms)
        ev_attr->workflow_execution_expiration_time = sg_ts_ms(a, ms->execution_expiration_ms);
    ev_attr->first_workflow_task_backoff = backoff > 0 ? sg_dur_ms(a, backoff) : NULL;
    ev_attr->memo = sg_memo_without_nils(a, memo);
    ev_attr->search_attributes = sg_sa_without_nils(a, sa);
    ev_attr->header = in->header ? in->header : prev->header;
    ev_attr->workflow_id = sg_arena_strdup(a, old->workflow_id);
    ev_attr->priority = prev->priority;
    /* A child's next run is still its parent's child. */
    ev_attr->parent_workflow_namespace = prev->parent_workflow_namespace;
    ev_attr->parent_workflow_namespace_id = prev->parent_workflow_namespace_id;
    ev_attr->parent_workflow_execution = prev->parent_workflow_execution;
    ev_attr->parent_initiated_event_id = prev->parent_initiated_event_id;
    ev_attr->root_workflow_execution = prev->root_workflow_execution;
    *started = ev;
    return ms;
}

/* Temporal keeps this many auto-reset points per run. */
#define MAX_RESET_POINTS 20

void sg_wf_note_reset_point(ms_t *ms,
                            const Temporal__Api__Workflowservice__V1__RespondWorkflowTaskCompletedRequest *req,
                            int64_t wtc)
{
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
    const char *build = req->deployment_options && *req->deployment_options->build_id
                            ? req->deployment_options->build_id
                        : req->worker_version_stamp ? req->worker_version_stamp->build_id
                                                    : "";
    const char *sum = req->binary_checksum;
    if (!ms->auto_reset_points) {
        ms->auto_reset_points = sg_malloc(sizeof *ms->auto_reset_points);
        temporal__api__workflow__v1__reset_points__init(ms->auto_reset_points);
    }
    Temporal__Api__Workflow__V1__ResetPoints *rp = ms->auto_reset_points;
    for (size_t i = 0; i < rp->n_points; i++)
        if (strcmp(rp->points[i]->build_id, build) == 0 &&
            strcmp(rp->points[i]->binary_checksum, sum) == 0)
            return; /* this build has its point already */
    if (rp->n_points == MAX_RESET_POINTS) {
        protobuf_c_message_free_unpacked(&rp->points[0]->base, NULL);
        memmove(rp->points, rp->points + 1, --rp->n_points * sizeof *rp->points);
    }
    Temporal__Api__Workflow__V1__ResetPointInfo *p = sg_malloc(sizeof *p);
    temporal__api__workflow__v1__reset_point_info__init(p);
    p->build_id = sg_ms_strdup(build);
    p->binary_checksum = sg_ms_strdup(sum);
#pragma GCC diagnostic pop
    p->run_id = sg_ms_strdup(ms->run_id);
    p->first_workflow_task_completed_id = wtc;
    p->create_time = sg_malloc(sizeof *p->create_time);
    google__protobuf__timestamp__init(p->create_time);
    int64_t now = sg_clock_now_ms();
    p->create_time->seconds = now / 1000;
    p->create_time->nanos = (int32_t)(now % 1000) * 1000000;
    p->resettable = true;
    rp->points = sg_realloc(rp->points, (rp->n_points + 1) * sizeof *rp->points);
    rp->points[rp->n_points++] = p;
}
