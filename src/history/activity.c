/* SPDX-License-Identifier: Apache-2.0 */
/* activity.c: activities — hand-over, heartbeats, completion, server-side retries, timeouts.
 *
 * State machine of one pending activity (ms->activities[i]):
 *
 *   SCHEDULED --poll--> STARTED --completed/failed(final)/canceled--> (closed, removed)
 *      ^  |               |  |
 *      |  |               |  +--failed or start-to-close/heartbeat timeout, retry left-->
 *      |  |               |         BACKOFF (retry_at_ms) --due--> SCHEDULED (attempt + 1)
 *      |  +--schedule-to-start timeout--> TimedOut (not retried)
 *      +------------- schedule-to-close timeout from any state --> TimedOut
 *
 * As in Temporal, attempts leave no events: ActivityTaskStarted (with the final attempt and
 * the previous attempt's failure) is written together with the closing event. A closing event
 * that arrives while a workflow task runs is buffered with its Started event (events.c).
 *
 * Invariants: stamp changes on every dispatch, so a token or task reference from an earlier
 * attempt is stale; started_time_ms != 0 exactly in STARTED; retry_at_ms != 0 exactly in
 * BACKOFF. */
#include "history/hist.h"

#include "core/clock.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

ms_activity *act_find(const sg_exec *x, int64_t scheduled_event_id)
{
    for (size_t i = 0; i < x->ms->n_activities; i++)
        if (x->ms->activities[i]->scheduled_event_id == scheduled_event_id)
            return x->ms->activities[i];
    return NULL;
}

ms_activity *act_find_by_id(const sg_exec *x, const char *activity_id)
{
    for (size_t i = 0; i < x->ms->n_activities; i++)
        if (strcmp(x->ms->activities[i]->activity_id, activity_id) == 0)
            return x->ms->activities[i];
    return NULL;
}

void act_remove(sg_exec *x, ms_activity *act)
{
    ms_t *ms = x->ms;
    for (size_t i = 0; i < ms->n_activities; i++) {
        if (ms->activities[i] != act)
            continue;
        protobuf_c_message_free_unpacked(&act->base, NULL);
        memmove(ms->activities + i, ms->activities + i + 1,
                (ms->n_activities - i - 1) * sizeof *ms->activities);
        ms->n_activities--;
        return;
    }
    sg_assert(!"activity not pending");
}

void act_dispatch(sg_exec *x, ms_activity *act)
{
    act->stamp++;
    exec_dispatch(x, SG_TASK_ACTIVITY, act->task_queue, act->scheduled_event_id, act->stamp);
}

int64_t act_next_wakeup(const ms_activity *act)
{
    int64_t best = 0;
#define CONSIDER(t)                                                                           \
    do {                                                                                      \
        int64_t t_ = (t);                                                                     \
        if (t_ > 0 && (!best || t_ < best))                                                   \
            best = t_;                                                                        \
    } while (0)
    if (act->schedule_to_close_ms > 0)
        CONSIDER(act->scheduled_time_ms + act->schedule_to_close_ms);
    if (act->retry_at_ms) {
        CONSIDER(act->retry_at_ms);
    } else if (!act->started_time_ms) {
        if (act->schedule_to_start_ms > 0)
            CONSIDER(act->current_attempt_scheduled_time_ms + act->schedule_to_start_ms);
    } else {
        if (act->start_to_close_ms > 0)
            CONSIDER(act->started_time_ms + act->start_to_close_ms);
        if (act->heartbeat_ms > 0)
            CONSIDER(SG_MAX(act->started_time_ms, act->last_heartbeat_time_ms) + act->heartbeat_ms);
    }
#undef CONSIDER
    return best;
}

/* ---- closing ---- */

/* Appends ActivityTaskStarted for the attempt now ending, then the closing event `close`
 * whose started_event_id field is *started_ref; both appended, or both buffered (then the
 * reference is -1, resolved at flush). Removes the activity; asks for a workflow task. */
static void act_close(sg_exec *x, sg_arena *a, ms_activity *act, pb_event *close,
                      int64_t *started_ref)
{
    if (act->started_time_ms) {
        EV_NEW(a, st, ACTIVITY_TASK_STARTED, ActivityTaskStarted, activity_task_started);
        st_attr->scheduled_event_id = act->scheduled_event_id;
        st_attr->identity = sg_arena_strdup(a, act->started_identity);
        st_attr->request_id = sg_arena_strdup(a, act->started_request_id);
        st_attr->attempt = act->attempt;
        st_attr->last_failure = pb_clone_arena(a, act->last_failure ? &act->last_failure->base : NULL);
        st->event_time = ts_ms(a, act->started_time_ms);
        int64_t id = ev_append_or_buffer(x, st);
        *started_ref = id ? id : -1;
    } else {
        *started_ref = 0;
    }
    if (ev_append_or_buffer(x, close))
        x->need_wft = true;
    act_remove(x, act);
}

static pb_failure *timeout_failure(sg_arena *a, const ms_activity *act, int type,
                                   const char *type_name)
{
    pb_failure *f = failure_new(a, sg_arena_printf(a, "activity %s timeout", type_name));
    Temporal__Api__Failure__V1__TimeoutFailureInfo *ti = sg_arena_alloc(a, sizeof *ti);
    temporal__api__failure__v1__timeout_failure_info__init(ti);
    ti->timeout_type = (Temporal__Api__Enums__V1__TimeoutType)type;
    if (act->heartbeat_details)
        ti->last_heartbeat_details = pb_clone_arena(a, &act->heartbeat_details->base);
    f->failure_info_case = TEMPORAL__API__FAILURE__V1__FAILURE__FAILURE_INFO_TIMEOUT_FAILURE_INFO;
    f->timeout_failure_info = ti;
    return f;
}

static void close_timed_out(sg_exec *x, sg_arena *a, ms_activity *act, pb_failure *f,
                            int retry_state)
{
    if (act->last_failure && !f->cause)
        f->cause = pb_clone_arena(a, &act->last_failure->base);
    EV_NEW(a, ev, ACTIVITY_TASK_TIMED_OUT, ActivityTaskTimedOut, activity_task_timed_out);
    ev_attr->failure = f;
    ev_attr->scheduled_event_id = act->scheduled_event_id;
    ev_attr->retry_state = (Temporal__Api__Enums__V1__RetryState)retry_state;
    act_close(x, a, act, ev, &ev_attr->started_event_id);
}

static void close_failed(sg_exec *x, sg_arena *a, ms_activity *act, const pb_failure *f,
                         int retry_state, const char *identity)
{
    EV_NEW(a, ev, ACTIVITY_TASK_FAILED, ActivityTaskFailed, activity_task_failed);
    ev_attr->failure = (pb_failure *)f;
    ev_attr->scheduled_event_id = act->scheduled_event_id;
    ev_attr->identity = (char *)(identity ? identity : "");
    ev_attr->retry_state = (Temporal__Api__Enums__V1__RetryState)retry_state;
    act_close(x, a, act, ev, &ev_attr->started_event_id);
}

/* ---- retries ---- */

/* Decides whether the attempt that failed with f gets another one (PROTOCOL.md 5): a cancel
 * request ends the activity (Temporal's rule); otherwise the policy decides, within
 * schedule-to-close. */
static int64_t retry_delay(const ms_activity *act, const pb_failure *f, int64_t now,
                           int *retry_state)
{
    if (act->cancel_requested) {
        *retry_state = RETRY_STATE(CANCEL_REQUESTED);
        return -1;
    }
    int64_t deadline = act->schedule_to_close_ms > 0
                           ? act->scheduled_time_ms + act->schedule_to_close_ms
                           : 0;
    return retry_next_delay(act->retry_policy, f, act->attempt, now, deadline, retry_state);
}

static void act_set_failure(ms_activity *act, const pb_failure *f)
{
    if (act->last_failure)
        protobuf_c_message_free_unpacked(&act->last_failure->base, NULL);
    act->last_failure = pb_clone_heap(&f->base);
}

/* The attempt ended with f: retry (no event) or close the activity. timeout_type is set for
 * start-to-close and heartbeat timeouts, which close as TimedOut rather than Failed. */
static void act_attempt_failed(sg_exec *x, sg_arena *a, ms_activity *act, pb_failure *f,
                               int timeout_type, const char *identity, int64_t now)
{
    int retry_state;
    int64_t delay = retry_delay(act, f, now, &retry_state);
    if (delay < 0) {
        if (timeout_type) {
            if (retry_state == RETRY_STATE(TIMEOUT))
                f = timeout_failure(a, act, TIMEOUT_TYPE(SCHEDULE_TO_CLOSE), "ScheduleToClose");
            close_timed_out(x, a, act, f, retry_state);
        } else {
            close_failed(x, a, act, f, retry_state, identity);
        }
        return;
    }
    act_set_failure(act, f);
    act->attempt++;
    act->started_time_ms = 0;
    act->last_heartbeat_time_ms = 0;
    ms_set_str(&act->started_identity, "");
    ms_set_str(&act->started_request_id, "");
    act->retry_at_ms = now + delay;
    act->stamp++; /* the failed attempt's token is now stale */
    if (delay == 0) {
        act->retry_at_ms = 0;
        act->current_attempt_scheduled_time_ms = now;
        act_dispatch(x, act);
    }
}

/* Timeouts due at the same instant are taken in Temporal's order: start-to-close,
 * schedule-to-start, schedule-to-close, heartbeat (its activity timer task ordering). */
void act_fire_timers(sg_exec *x, sg_arena *a, ms_activity *act, int64_t now)
{
    bool s2c_due = act->schedule_to_close_ms > 0 &&
                   now >= act->scheduled_time_ms + act->schedule_to_close_ms;
    if (act->retry_at_ms) {
        if (s2c_due) {
            close_timed_out(x, a, act,
                            timeout_failure(a, act, TIMEOUT_TYPE(SCHEDULE_TO_CLOSE),
                                            "ScheduleToClose"),
                            RETRY_STATE(TIMEOUT));
        } else if (now >= act->retry_at_ms) {
            act->retry_at_ms = 0;
            act->current_attempt_scheduled_time_ms = now;
            act_dispatch(x, act);
        }
        return;
    }
    if (!act->started_time_ms) {
        if (act->schedule_to_start_ms > 0 &&
            now >= act->current_attempt_scheduled_time_ms + act->schedule_to_start_ms)
            close_timed_out(x, a, act,
                            timeout_failure(a, act, TIMEOUT_TYPE(SCHEDULE_TO_START),
                                            "ScheduleToStart"),
                            RETRY_STATE(NON_RETRYABLE_FAILURE));
        else if (s2c_due)
            close_timed_out(x, a, act,
                            timeout_failure(a, act, TIMEOUT_TYPE(SCHEDULE_TO_CLOSE),
                                            "ScheduleToClose"),
                            RETRY_STATE(TIMEOUT));
        return;
    }
    if (act->start_to_close_ms > 0 && now >= act->started_time_ms + act->start_to_close_ms) {
        act_attempt_failed(x, a, act,
                           timeout_failure(a, act, TIMEOUT_TYPE(START_TO_CLOSE), "StartToClose"),
                           TIMEOUT_TYPE(START_TO_CLOSE), NULL, now);
        return;
    }
    if (s2c_due) {
        close_timed_out(x, a, act,
                        timeout_failure(a, act, TIMEOUT_TYPE(SCHEDULE_TO_CLOSE), "ScheduleToClose"),
                        RETRY_STATE(TIMEOUT));
        return;
    }
    if (act->heartbeat_ms > 0 &&
        now >= SG_MAX(act->started_time_ms, act->last_heartbeat_time_ms) + act->heartbeat_ms)
        act_attempt_failed(x, a, act, timeout_failure(a, act, TIMEOUT_TYPE(HEARTBEAT), "Heartbeat"),
                           TIMEOUT_TYPE(HEARTBEAT), NULL, now);
}

/* ---- RPC-facing operations ---- */

int sg_engine_activity_task_start(sg_engine *e, sg_arena *a, const sg_task_ref *task,
                                  const char *identity, const char *request_id,
                                  Temporal__Api__Workflowservice__V1__PollActivityTaskQueueResponse *out)
{
    sg_op op;
    op_begin(&op, e, a);
    sg_exec *x;
    int rc = op_load(&op, task->namespace_id, task->run_id, &x);
    if (rc < 0)
        return op_end(&op, rc);
    ms_t *ms = x->ms;
    ms_activity *act = act_find(x, task->scheduled_event_id);
    if (ms->status != ST_RUNNING || !act || act->started_time_ms || act->retry_at_ms ||
        act->stamp != task->stamp)
        return op_end(&op, SG_ENOTFOUND);
    op_write(&op, x);
    int64_t now = sg_clock_now_ms();
    act->started_time_ms = now;
    act->last_heartbeat_time_ms = 0;
    ms_set_str(&act->started_identity, identity);
    ms_set_str(&act->started_request_id, request_id);
    rc = op_commit(&op);
    if (rc < 0)
        return op_end(&op, rc);

    Sandglass__V1__TaskToken t = SANDGLASS__V1__TASK_TOKEN__INIT;
    t.namespace_id = ms->namespace_id;
    t.workflow_id = ms->workflow_id;
    t.run_id = ms->run_id;
    t.scheduled_event_id = act->scheduled_event_id;
    t.attempt = act->attempt;
    t.stamp = act->stamp;
    t.is_activity = true;
    t.activity_id = act->activity_id;
    out->task_token.data = token_encode(a, &t, &out->task_token.len);
    out->workflow_namespace = sg_arena_strdup(a, ms->namespace_);
    Temporal__Api__Common__V1__WorkflowType *wt = sg_arena_alloc(a, sizeof *wt);
    temporal__api__common__v1__workflow_type__init(wt);
    wt->name = sg_arena_strdup(a, ms->workflow_type);
    out->workflow_type = wt;
    Temporal__Api__Common__V1__WorkflowExecution *we = sg_arena_alloc(a, sizeof *we);
    temporal__api__common__v1__workflow_execution__init(we);
    we->workflow_id = sg_arena_strdup(a, ms->workflow_id);
    we->run_id = sg_arena_strdup(a, ms->run_id);
    out->workflow_execution = we;
    Temporal__Api__Common__V1__ActivityType *at = sg_arena_alloc(a, sizeof *at);
    temporal__api__common__v1__activity_type__init(at);
    at->name = sg_arena_strdup(a, act->activity_type);
    out->activity_type = at;
    out->activity_id = sg_arena_strdup(a, act->activity_id);
    out->header = pb_clone_arena(a, act->header ? &act->header->base : NULL);
    out->input = pb_clone_arena(a, act->input ? &act->input->base : NULL);
    out->heartbeat_details =
        pb_clone_arena(a, act->heartbeat_details ? &act->heartbeat_details->base : NULL);
    out->scheduled_time = ts_ms(a, act->scheduled_time_ms);
    out->current_attempt_scheduled_time = ts_ms(a, act->current_attempt_scheduled_time_ms);
    out->started_time = ts_ms(a, now);
    out->attempt = act->attempt;
    /* The TS SDK requires these even when zero (PROTOCOL.md 5). */
    out->schedule_to_close_timeout = dur_ms(a, act->schedule_to_close_ms);
    out->start_to_close_timeout = dur_ms(a, act->start_to_close_ms);
    out->heartbeat_timeout = dur_ms(a, act->heartbeat_ms);
    out->retry_policy = pb_clone_arena(a, act->retry_policy ? &act->retry_policy->base : NULL);
    return op_end(&op, 0);
}

/* Finds the running attempt a token or (workflow, run, activity id) names. */
static int act_resolve(sg_op *op, const sg_activity_target *t, sg_exec **xo, ms_activity **ao)
{
    sg_arena *a = op->a;
    sg_exec *x;
    ms_activity *act;
    int rc;
    if (t->token) {
        Sandglass__V1__TaskToken *tok = token_decode(a, t->token, t->token_len);
        if (!tok || !tok->is_activity)
            return SG_EINVAL;
        rc = op_load(op, tok->namespace_id, tok->run_id, &x);
        if (rc < 0)
            return rc;
        act = act_find(x, tok->scheduled_event_id);
        if (!act || act->attempt != tok->attempt || act->stamp != tok->stamp)
            return SG_ENOTFOUND;
    } else {
        rc = op_load_current(op, t->namespace_id, t->workflow_id, t->run_id, &x);
        if (rc < 0)
            return rc;
        act = act_find_by_id(x, t->activity_id);
        if (!act)
            return SG_ENOTFOUND;
    }
    if (x->ms->status != ST_RUNNING || !act->started_time_ms)
        return SG_ENOTFOUND;
    *xo = x;
    *ao = act;
    return 0;
}

int sg_engine_activity_task_end(sg_engine *e, sg_arena *a, const sg_activity_target *t,
                                sg_activity_outcome outcome, const ProtobufCMessage *payload,
                                const ProtobufCMessage *failure,
                                const ProtobufCMessage *last_heartbeat_details,
                                const char *identity)
{
    sg_op op;
    op_begin(&op, e, a);
    sg_exec *x;
    ms_activity *act;
    int rc = act_resolve(&op, t, &x, &act);
    if (rc < 0)
        return op_end(&op, rc);
    if (outcome == SG_ACT_CANCELED && !act->cancel_requested)
        return op_end(&op, SG_EPRECOND);
    op_write(&op, x);
    int64_t now = sg_clock_now_ms();
    switch (outcome) {
    case SG_ACT_COMPLETED: {
        EV_NEW(a, ev, ACTIVITY_TASK_COMPLETED, ActivityTaskCompleted, activity_task_completed);
        ev_attr->result = (pb_payloads *)payload;
        ev_attr->scheduled_event_id = act->scheduled_event_id;
        ev_attr->identity = (char *)(identity ? identity : "");
        act_close(x, a, act, ev, &ev_attr->started_event_id);
        break;
    }
    case SG_ACT_FAILED: {
        pb_failure *f = failure ? (pb_failure *)failure : failure_new(a, "activity failed");
        if (last_heartbeat_details) {
            if (act->heartbeat_details)
                protobuf_c_message_free_unpacked(&act->heartbeat_details->base, NULL);
            act->heartbeat_details = pb_clone_heap(last_heartbeat_details);
        }
        act_attempt_failed(x, a, act, f, 0, identity, now);
        break;
    }
    case SG_ACT_CANCELED: {
        EV_NEW(a, ev, ACTIVITY_TASK_CANCELED, ActivityTaskCanceled, activity_task_canceled);
        ev_attr->details = (pb_payloads *)payload;
        ev_attr->latest_cancel_requested_event_id = act->cancel_requested_event_id;
        ev_attr->scheduled_event_id = act->scheduled_event_id;
        ev_attr->identity = (char *)(identity ? identity : "");
        act_close(x, a, act, ev, &ev_attr->started_event_id);
        break;
    }
    }
    return op_end(&op, op_commit(&op));
}

int sg_engine_activity_heartbeat(sg_engine *e, sg_arena *a, const sg_activity_target *t,
                                 const ProtobufCMessage *details, const char *identity,
                                 bool *cancel_requested)
{
    SG_UNUSED(identity);
    sg_op op;
    op_begin(&op, e, a);
    sg_exec *x;
    ms_activity *act;
    int rc = act_resolve(&op, t, &x, &act);
    if (rc < 0)
        return op_end(&op, rc);
    op_write(&op, x);
    if (details) {
        if (act->heartbeat_details)
            protobuf_c_message_free_unpacked(&act->heartbeat_details->base, NULL);
        act->heartbeat_details = pb_clone_heap(details);
    }
    act->last_heartbeat_time_ms = sg_clock_now_ms();
    *cancel_requested = act->cancel_requested;
    return op_end(&op, op_commit(&op));
}
