/* SPDX-License-Identifier: Apache-2.0 */
/* activity.c: activities — one entity per ScheduleActivityTask, ms->activities[i].
 *
 *   (none) --sg_act_schedule--> SCHEDULED --sg_act_start (poll)--> STARTED
 *                              ^   |                           |  |
 *                              |   |   completed / canceled /  |  +--failed, or start-to-close
 *                              |   |   final failure (sg_act_end) |     or heartbeat timeout, a
 *                              |   |       --> (closed)  <-----+     retry left (sg_act_end,
 *                              |   |                                 sg_act_fire_due) --> BACKOFF
 *                              +---|---- retry_at_ms reached (sg_act_fire_due) <--------- BACKOFF
 *                                  +--schedule-to-start timeout --> (closed: TimedOut)
 *      any state --schedule-to-close timeout--> (closed: TimedOut)
 *      SCHEDULED/BACKOFF --sg_act_request_cancel--> (closed: Canceled); STARTED: cancel_requested
 *      any state --sg_act_drop_all (run closed)--> (removed, no event)
 *
 * As in Temporal, attempts leave no events: ActivityTaskStarted (with the final attempt and
 * the previous attempt's failure) is written together with the closing event. A closing event
 * that arrives while a workflow task runs is buffered with its Started event (events.c).
 * Timeouts due at the same instant are taken in Temporal's order (act_fire_timers).
 *
 * Invariants: the state moves only through sg_act_move's table (explicit ActivityState in
 * state.proto); stamp changes on every dispatch, so a token or task reference from an earlier
 * attempt is stale; started_time_ms != 0 exactly in STARTED; retry_at_ms != 0 exactly in
 * BACKOFF.
 *
 * Transitions -> functions: schedule: sg_act_schedule; start: sg_act_start; end: sg_act_end (and
 * act_attempt_failed for retries); time out / retry: sg_act_fire_due; cancel: sg_act_request_cancel;
 * drop: sg_act_drop_all; rebuilt from history by reset: sg_act_replay, then
 * sg_act_restart_after_reset (SCHEDULED again, a running attempt counted as over). */
#include "history/hist.h"
#include "history/activity.h"
#include "history/events.h"
#include "history/mstate.h"
#include "history/pbutil.h"
#include "history/retry.h"
#include "history/token.h"

#include "core/clock.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define AS(X) SANDGLASS__V1__ACTIVITY_STATE__ACTIVITY_STATE_##X

ms_activity *sg_act_find(const sg_exec *x, int64_t scheduled_event_id)
{
    for (size_t i = 0; i < x->ms->n_activities; i++)
        if (x->ms->activities[i]->scheduled_event_id == scheduled_event_id)
            return x->ms->activities[i];
    return NULL;
}

ms_activity *sg_act_find_by_id(const sg_exec *x, const char *activity_id)
{
    for (size_t i = 0; i < x->ms->n_activities; i++)
        if (strcmp(x->ms->activities[i]->activity_id, activity_id) == 0)
            return x->ms->activities[i];
    return NULL;
}

void sg_act_remove(sg_exec *x, ms_activity *act)
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

void sg_act_schedule(sg_exec *x, sg_arena *a,
                  const Temporal__Api__Command__V1__ScheduleActivityTaskCommandAttributes *in,
                  const char *queue, const int64_t timeouts_ms[4],
                  Temporal__Api__Common__V1__RetryPolicy *retry, int64_t wtc,
                  Temporal__Api__Sdk__V1__UserMetadata *user_metadata)
{
    ms_t *ms = x->ms;
    int64_t s2c = timeouts_ms[0], s2s = timeouts_ms[1], st2c = timeouts_ms[2], hb = timeouts_ms[3];
    EV_NEW(a, ev, ACTIVITY_TASK_SCHEDULED, ActivityTaskScheduled, activity_task_scheduled);
    ev_attr->activity_id = in->activity_id;
    ev_attr->activity_type = in->activity_type;
    ev_attr->task_queue = sg_tq_new(a, queue, TQ_KIND(NORMAL), NULL);
    ev_attr->header = in->header;
    ev_attr->input = in->input;
    ev_attr->schedule_to_close_timeout = sg_dur_ms(a, s2c);
    ev_attr->schedule_to_start_timeout = sg_dur_ms(a, s2s);
    ev_attr->start_to_close_timeout = sg_dur_ms(a, st2c);
    ev_attr->heartbeat_timeout = sg_dur_ms(a, hb);
    ev_attr->workflow_task_completed_event_id = wtc;
    ev_attr->retry_policy = retry;
    ev_attr->priority = in->priority;
    ev->user_metadata = user_metadata;
    int64_t id = sg_ev_append(x, ev);

    int64_t now = sg_clock_now_ms();
    ms_activity *act = sg_malloc(sizeof *act);
    sandglass__v1__activity__init(act);
    act->scheduled_event_id = id;
    act->activity_id = sg_ms_strdup(in->activity_id);
    act->activity_type = sg_ms_strdup(in->activity_type->name);
    act->task_queue = sg_ms_strdup(queue);
    act->header = sg_pb_clone_heap(in->header ? &in->header->base : NULL);
    act->input = sg_pb_clone_heap(in->input ? &in->input->base : NULL);
    act->scheduled_time_ms = now;
    act->current_attempt_scheduled_time_ms = now;
    act->attempt = 1;
    act->state = AS(SCHEDULED);
    act->schedule_to_close_ms = s2c;
    act->schedule_to_start_ms = s2s;
    act->start_to_close_ms = st2c;
    act->heartbeat_ms = hb;
    act->retry_policy = sg_pb_clone_heap(&retry->base);
    act->workflow_task_completed_event_id = wtc;
    ms->activities = sg_realloc(ms->activities, (ms->n_activities + 1) * sizeof *ms->activities);
    ms->activities[ms->n_activities++] = act;
    sg_act_dispatch(x, act);
}

void sg_act_request_cancel(sg_exec *x, sg_arena *a, ms_activity *act, int64_t wtc)
{
    EV_NEW(a, ev, ACTIVITY_TASK_CANCEL_REQUESTED, ActivityTaskCancelRequested,
           activity_task_cancel_requested);
    ev_attr->scheduled_event_id = act->scheduled_event_id;
    ev_attr->workflow_task_completed_event_id = wtc;
    int64_t req_id = sg_ev_append(x, ev);
    if (!act->started_time_ms) {
        /* Never handed out (or between attempts): canceled at once, and the workflow hears it. */
        EV_NEW(a, cev, ACTIVITY_TASK_CANCELED, ActivityTaskCanceled, activity_task_canceled);
        cev_attr->latest_cancel_requested_event_id = req_id;
        cev_attr->scheduled_event_id = act->scheduled_event_id;
        sg_ev_append(x, cev);
        sg_act_remove(x, act);
        x->need_wft = true;
        return;
    }
    act->cancel_requested = true;
    act->cancel_requested_event_id = req_id;
}

void sg_act_dispatch(sg_exec *x, ms_activity *act)
{
    act->stamp++;
    sg_exec_dispatch(x, SG_TASK_ACTIVITY, act->task_queue, act->scheduled_event_id, act->stamp);
}

static int64_t act_next_wakeup(const ms_activity *act)
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
        st_attr->last_failure = sg_pb_clone_arena(a, act->last_failure ? &act->last_failure->base : NULL);
        st->event_time = sg_ts_ms(a, act->started_time_ms);
        int64_t id = sg_ev_append_or_buffer(x, st);
        *started_ref = id ? id : -1;
    } else {
        *started_ref = 0;
    }
    if (sg_ev_append_or_buffer(x, close))
        x->need_wft = true;
    sg_act_remove(x, act);
}

static pb_failure *timeout_failure(sg_arena *a, const ms_activity *act, int type,
                                   const char *type_name)
{
    pb_failure *f = sg_failure_new(a, sg_arena_printf(a, "activity %s timeout", type_name));
    Temporal__Api__Failure__V1__TimeoutFailureInfo *ti = sg_arena_alloc(a, sizeof *ti);
    temporal__api__failure__v1__timeout_failure_info__init(ti);
    ti->timeout_type = (Temporal__Api__Enums__V1__TimeoutType)type;
    if (act->heartbeat_details)
        ti->last_heartbeat_details = sg_pb_clone_arena(a, &act->heartbeat_details->base);
    f->failure_info_case = TEMPORAL__API__FAILURE__V1__FAILURE__FAILURE_INFO_TIMEOUT_FAILURE_INFO;
    f->timeout_failure_info = ti;
    return f;
}

static void close_timed_out(sg_exec *x, sg_arena *a, ms_activity *act, pb_failure *f,
                            int retry_state)
{
    if (act->last_failure && !f->cause)
        f->cause = sg_pb_clone_arena(a, &act->last_failure->base);
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
    return sg_retry_next_delay(act->retry_policy, f, act->attempt, now, deadline, retry_state);
}

static void act_set_failure(ms_activity *act, const pb_failure *f)
{
    if (act->last_failure)
        protobuf_c_message_free_unpacked(&act->last_failure->base, NULL);
    act->last_failure = sg_pb_clone_heap(&f->base);
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
    sg_act_move(act, AS(BACKOFF));
    act->attempt++;
    act->started_time_ms = 0;
    act->last_heartbeat_time_ms = 0;
    sg_ms_set_str(&act->started_identity, "");
    sg_ms_set_str(&act->started_request_id, "");
    act->retry_at_ms = now + delay;
    act->stamp++; /* the failed attempt's token is now stale */
    if (delay == 0) {
        sg_act_move(act, AS(SCHEDULED));
        act->retry_at_ms = 0;
        act->current_attempt_scheduled_time_ms = now;
        sg_act_dispatch(x, act);
    }
}

/* Timeouts due at the same instant are taken in Temporal's order: start-to-close,
 * schedule-to-start, schedule-to-close, heartbeat (its activity timer task ordering). */
static void act_fire_timers(sg_exec *x, sg_arena *a, ms_activity *act, int64_t now)
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
            sg_act_move(act, AS(SCHEDULED));
            act->retry_at_ms = 0;
            act->current_attempt_scheduled_time_ms = now;
            sg_act_dispatch(x, act);
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

void sg_act_fire_due(sg_exec *x, sg_arena *a, int64_t now)
{
    ms_t *ms = x->ms;
    /* Activities may be removed while processing: walk by scheduled id. */
    size_t n = ms->n_activities;
    int64_t *ids = sg_arena_alloc(a, (n ? n : 1) * sizeof *ids);
    for (size_t i = 0; i < n; i++)
        ids[i] = ms->activities[i]->scheduled_event_id;
    for (size_t i = 0; i < n && ms->status == ST_RUNNING; i++) {
        ms_activity *act = sg_act_find(x, ids[i]);
        if (act)
            act_fire_timers(x, a, act, now);
    }
}

int64_t sg_act_next_wakeup_all(const ms_t *ms)
{
    int64_t best = 0;
    for (size_t i = 0; i < ms->n_activities; i++) {
        int64_t t = act_next_wakeup(ms->activities[i]);
        if (t > 0 && (!best || t < best))
            best = t;
    }
    return best;
}

void sg_act_drop_all(ms_t *ms)
{
    for (size_t i = 0; i < ms->n_activities; i++)
        protobuf_c_message_free_unpacked(&ms->activities[i]->base, NULL);
    sg_free(ms->activities);
    ms->activities = NULL;
    ms->n_activities = 0;
}

/* ---- transitions driven by workers ---- */

int sg_act_state(const ms_activity *act)
{
    if (act->state != AS(UNSPECIFIED))
        return act->state;
    if (act->retry_at_ms) /* stored before the field existed */
        return AS(BACKOFF);
    return act->started_time_ms ? AS(STARTED) : AS(SCHEDULED);
}

const char *sg_act_state_name(int s)
{
    switch (s) {
    case AS(SCHEDULED): return "SCHEDULED";
    case AS(STARTED): return "STARTED";
    case AS(BACKOFF): return "BACKOFF";
    default: return "?";
    }
}

void sg_act_move(ms_activity *act, int to)
{
    static const bool legal[4][4] = {
        /* to:            -      SCHEDULED STARTED BACKOFF */
        /* - */         { false, false,    false,  false },
        /* SCHEDULED */ { false, false,    true,   false },
        /* STARTED */   { false, false,    false,  true },
        /* BACKOFF */   { false, true,     false,  false },
    };
    int from = sg_act_state(act);
    if (from < 1 || from > 3 || to < 1 || to > 3 || !legal[from][to])
        sg_panic("activity %s: illegal transition %s -> %s", act->activity_id,
                 sg_act_state_name(from), sg_act_state_name(to));
    act->state = (Sandglass__V1__ActivityState)to;
}

bool sg_act_is_startable(const ms_activity *act, int64_t stamp)
{
    return sg_act_state(act) == AS(SCHEDULED) && act->stamp == stamp;
}

bool sg_act_is_started(const ms_activity *act)
{
    return sg_act_state(act) == AS(STARTED);
}

void sg_act_start(ms_activity *act, const char *identity, const char *request_id, int64_t now)
{
    sg_act_move(act, AS(STARTED));
    act->started_time_ms = now;
    act->last_heartbeat_time_ms = 0;
    sg_ms_set_str(&act->started_identity, identity);
    sg_ms_set_str(&act->started_request_id, request_id);
}

void sg_act_poll_response(sg_arena *a, const ms_t *ms, const ms_activity *act,
                       Temporal__Api__Workflowservice__V1__PollActivityTaskQueueResponse *out)
{
    Sandglass__V1__TaskToken t = SANDGLASS__V1__TASK_TOKEN__INIT;
    t.namespace_id = ms->namespace_id;
    t.workflow_id = ms->workflow_id;
    t.run_id = ms->run_id;
    t.scheduled_event_id = act->scheduled_event_id;
    t.attempt = act->attempt;
    t.stamp = act->stamp;
    t.is_activity = true;
    t.activity_id = act->activity_id;
    out->task_token.data = sg_token_encode(a, &t, &out->task_token.len);
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
    out->header = sg_pb_clone_arena(a, act->header ? &act->header->base : NULL);
    out->input = sg_pb_clone_arena(a, act->input ? &act->input->base : NULL);
    out->heartbeat_details =
        sg_pb_clone_arena(a, act->heartbeat_details ? &act->heartbeat_details->base : NULL);
    out->scheduled_time = sg_ts_ms(a, act->scheduled_time_ms);
    out->current_attempt_scheduled_time = sg_ts_ms(a, act->current_attempt_scheduled_time_ms);
    out->started_time = sg_ts_ms(a, act->started_time_ms);
    out->attempt = act->attempt;
    /* The TS SDK requires these even when zero (PROTOCOL.md 5). */
    out->schedule_to_close_timeout = sg_dur_ms(a, act->schedule_to_close_ms);
    out->start_to_close_timeout = sg_dur_ms(a, act->start_to_close_ms);
    out->heartbeat_timeout = sg_dur_ms(a, act->heartbeat_ms);
    out->retry_policy = sg_pb_clone_arena(a, act->retry_policy ? &act->retry_policy->base : NULL);
}

bool sg_act_matches_token(const ms_activity *act, int32_t attempt, int64_t stamp)
{
    return act->attempt == attempt && act->stamp == stamp;
}

void sg_act_end(sg_exec *x, sg_arena *a, ms_activity *act, sg_activity_outcome outcome,
             const ProtobufCMessage *payload, const ProtobufCMessage *failure,
             const ProtobufCMessage *last_heartbeat_details, const char *identity, int64_t now)
{
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
        pb_failure *f = failure ? (pb_failure *)failure : sg_failure_new(a, "activity failed");
        if (last_heartbeat_details) {
            if (act->heartbeat_details)
                protobuf_c_message_free_unpacked(&act->heartbeat_details->base, NULL);
            act->heartbeat_details = sg_pb_clone_heap(last_heartbeat_details);
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
}

bool sg_act_heartbeat(ms_activity *act, const ProtobufCMessage *details, int64_t now)
{
    if (details) {
        if (act->heartbeat_details)
            protobuf_c_message_free_unpacked(&act->heartbeat_details->base, NULL);
        act->heartbeat_details = sg_pb_clone_heap(details);
    }
    act->last_heartbeat_time_ms = now;
    return act->cancel_requested;
}

static ms_activity *find_in(const ms_t *ms, int64_t scheduled_event_id, size_t *index)
{
    for (size_t i = 0; i < ms->n_activities; i++)
        if (ms->activities[i]->scheduled_event_id == scheduled_event_id) {
            *index = i;
            return ms->activities[i];
        }
    return NULL;
}

bool sg_act_replay(ms_t *ms, const pb_event *ev)
{
    int64_t at = sg_ts_to_ms(ev->event_time);
    size_t i;
    ms_activity *act;
    switch (ev->attributes_case) {
    case ATTR_CASE(ACTIVITY_TASK_SCHEDULED): {
        const Temporal__Api__History__V1__ActivityTaskScheduledEventAttributes *in =
            ev->activity_task_scheduled_event_attributes;
        act = sg_malloc(sizeof *act);
        sandglass__v1__activity__init(act);
        act->scheduled_event_id = ev->event_id;
        act->activity_id = sg_ms_strdup(in->activity_id);
        act->activity_type = sg_ms_strdup(in->activity_type ? in->activity_type->name : "");
        act->task_queue = sg_ms_strdup(in->task_queue ? in->task_queue->name : ms->task_queue);
        act->header = sg_pb_clone_heap(in->header ? &in->header->base : NULL);
        act->input = sg_pb_clone_heap(in->input ? &in->input->base : NULL);
        act->scheduled_time_ms = at;
        act->current_attempt_scheduled_time_ms = at;
        act->attempt = 1;
        act->state = AS(SCHEDULED);
        act->schedule_to_close_ms = sg_dur_to_ms(in->schedule_to_close_timeout);
        act->schedule_to_start_ms = sg_dur_to_ms(in->schedule_to_start_timeout);
        act->start_to_close_ms = sg_dur_to_ms(in->start_to_close_timeout);
        act->heartbeat_ms = sg_dur_to_ms(in->heartbeat_timeout);
        act->retry_policy = sg_pb_clone_heap(in->retry_policy ? &in->retry_policy->base : NULL);
        act->workflow_task_completed_event_id = in->workflow_task_completed_event_id;
        ms->activities = sg_realloc(ms->activities, (ms->n_activities + 1) * sizeof *ms->activities);
        ms->activities[ms->n_activities++] = act;
        return true;
    }
    case ATTR_CASE(ACTIVITY_TASK_STARTED): {
        const Temporal__Api__History__V1__ActivityTaskStartedEventAttributes *in =
            ev->activity_task_started_event_attributes;
        if ((act = find_in(ms, in->scheduled_event_id, &i))) {
            act->started_time_ms = at;
            act->attempt = in->attempt > 0 ? in->attempt : 1;
            act->state = AS(STARTED);
            sg_ms_set_str(&act->started_identity, in->identity);
        }
        return true;
    }
    case ATTR_CASE(ACTIVITY_TASK_CANCEL_REQUESTED):
        if ((act = find_in(ms, ev->activity_task_cancel_requested_event_attributes->scheduled_event_id, &i))) {
            act->cancel_requested = true;
            act->cancel_requested_event_id = ev->event_id;
        }
        return true;
    case ATTR_CASE(ACTIVITY_TASK_COMPLETED):
    case ATTR_CASE(ACTIVITY_TASK_FAILED):
    case ATTR_CASE(ACTIVITY_TASK_TIMED_OUT):
    case ATTR_CASE(ACTIVITY_TASK_CANCELED): {
        int64_t sched =
            ev->attributes_case == ATTR_CASE(ACTIVITY_TASK_COMPLETED)  ? ev->activity_task_completed_event_attributes->scheduled_event_id
            : ev->attributes_case == ATTR_CASE(ACTIVITY_TASK_FAILED)   ? ev->activity_task_failed_event_attributes->scheduled_event_id
            : ev->attributes_case == ATTR_CASE(ACTIVITY_TASK_TIMED_OUT) ? ev->activity_task_timed_out_event_attributes->scheduled_event_id
                                                                      : ev->activity_task_canceled_event_attributes->scheduled_event_id;
        if ((act = find_in(ms, sched, &i))) {
            protobuf_c_message_free_unpacked(&act->base, NULL);
            memmove(ms->activities + i, ms->activities + i + 1,
                    (ms->n_activities - i - 1) * sizeof *ms->activities);
            ms->n_activities--;
        }
        return true;
    }
    default: return false;
    }
}

void sg_act_restart_after_reset(sg_exec *x)
{
    int64_t now = sg_clock_now_ms();
    for (size_t i = 0; i < x->ms->n_activities; i++) {
        ms_activity *act = x->ms->activities[i];
        if (act->started_time_ms) {
            /* The attempt that was running belongs to the old run: the next one starts now. */
            act->started_time_ms = 0;
            act->attempt++;
            act->state = AS(SCHEDULED);
            sg_ms_set_str(&act->started_identity, "");
        }
        act->current_attempt_scheduled_time_ms = now;
        sg_act_dispatch(x, act);
    }
}
