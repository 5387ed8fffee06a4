/* SPDX-License-Identifier: Apache-2.0 */
/* wft.c: the workflow task — one entity per run, ms->wft; attempt counts failures since the
 * last success.
 *
 *      NONE --sg_wft_schedule--> SCHEDULED --sg_wft_start (poll)--> STARTED --sg_wft_complete--> NONE
 *                              |   ^  ^                         |
 *   sticky schedule-to-start   |   |  |  sg_wft_fail / start-to-   |
 *   timeout (sg_wft_fire_due):    +---+  +--close timeout ---------+
 *   TimedOut, rescheduled on           (attempt + 1; a sticky task clears stickiness instead)
 *   the normal queue
 *
 *   SCHEDULED (transient, unstarted) --an event is written (sg_wft_reconcile)--> NONE, attempt 1
 *   any --sg_wft_force_close / run closed--> NONE
 *
 * Attempts >= 2 after a failure are transient, as in Temporal: their Scheduled/Started events
 * are not written (ids reserved, events synthesized for pollers) unless the attempt completes
 * (sg_wft_materialize); failing again leaves no trace. A new event supersedes an unstarted
 * transient attempt: the operation's commit (sg_wft_reconcile) turns it into a fresh first
 * attempt, whose events are written.
 *
 * Invariants: (1) at most one workflow task is pending; (2) while it is STARTED, events from
 * outside are buffered (events.c); (3) a closed run has no pending task; (4) the stamp changes
 * whenever the task is (re)dispatched, so older task references and tokens are stale.
 *
 * Transitions -> functions: schedule: sg_wft_schedule; start: sg_wft_start; complete: sg_wft_complete;
 * fail: sg_wft_fail (RespondWorkflowTaskFailed, invalid commands); time out: sg_wft_fire_due; leave
 * the sticky queue: sg_wft_unstick; abandon: sg_wft_force_close, sg_wft_clear; supersede: sg_wft_reconcile. */
#include "history/hist.h"
#include "history/events.h"
#include "history/mstate.h"
#include "history/pbutil.h"
#include "history/wft.h"

#include "core/clock.h"
#include "core/pbenc.h"
#include "core/pbwire.h"

#include <string.h>

/* A sticky queue nobody polled for this long is treated as gone (PROTOCOL.md 3.2). */
#define STICKY_IDLE_MS 10000

#define S(X) SANDGLASS__V1__WORKFLOW_TASK_STATE__WORKFLOW_TASK_STATE_##X

int sg_wft_state(const ms_wft *w)
{
    if (!w)
        return S(NONE);
    if (w->state != S(UNSPECIFIED))
        return w->state;
    if (!w->scheduled_event_id) /* stored before the field existed */
        return S(NONE);
    return w->started_event_id ? S(STARTED) : S(SCHEDULED);
}

const char *sg_wft_state_name(int s)
{
    switch (s) {
    case S(NONE): return "NONE";
    case S(SCHEDULED): return "SCHEDULED";
    case S(STARTED): return "STARTED";
    default: return "?";
    }
}

/* The legal moves of the diagram above; every state change goes through here. */
void sg_wft_move(ms_wft *w, int to)
{
    static const bool legal[4][4] = {
        /* to:            -      NONE   SCHEDULED STARTED */
        /* - */         { false, false, false,    false },
        /* NONE */      { false, true,  true,     false },
        /* SCHEDULED */ { false, true,  false,    true },
        /* STARTED */   { false, true,  false,    false },
    };
    int from = sg_wft_state(w);
    if (from < 1 || from > 3 || to < 1 || to > 3 || !legal[from][to])
        sg_panic("workflow task: illegal transition %s -> %s", sg_wft_state_name(from),
                 sg_wft_state_name(to));
    w->state = (Sandglass__V1__WorkflowTaskState)to;
}

static pb_event *wft_scheduled_event(const sg_exec *x, sg_arena *a)
{
    const ms_t *ms = x->ms;
    const ms_wft *w = ms->wft;
    EV_NEW(a, ev, WORKFLOW_TASK_SCHEDULED, WorkflowTaskScheduled, workflow_task_scheduled);
    ev_attr->task_queue = w->is_sticky
                              ? sg_tq_new(a, ms->sticky_queue, TQ_KIND(STICKY), ms->task_queue)
                              : sg_tq_new(a, ms->task_queue, TQ_KIND(NORMAL), NULL);
    ev_attr->start_to_close_timeout = sg_dur_ms(a, w->timeout_ms);
    ev_attr->attempt = w->attempt;
    ev->event_time = sg_ts_ms(a, w->scheduled_time_ms);
    return ev;
}

static pb_event *wft_started_event(const sg_exec *x, sg_arena *a)
{
    const ms_wft *w = x->ms->wft;
    EV_NEW(a, ev, WORKFLOW_TASK_STARTED, WorkflowTaskStarted, workflow_task_started);
    ev_attr->scheduled_event_id = w->scheduled_event_id;
    ev_attr->identity = sg_arena_strdup(a, w->identity);
    ev_attr->request_id = sg_arena_strdup(a, w->request_id);
    ev_attr->history_size_bytes = w->started_history_size_bytes;
    ev->event_time = sg_ts_ms(a, w->started_time_ms);
    return ev;
}

/* Writes the events of a transient attempt at the ids it reserved, when it completes. */
void sg_wft_materialize(sg_exec *x, sg_arena *a)
{
    ms_wft *w = x->ms->wft;
    if (!w->is_transient)
        return;
    sg_assert(x->ms->next_event_id == w->scheduled_event_id);
    sg_ev_append(x, wft_scheduled_event(x, a));
    if (w->started_event_id)
        sg_ev_append(x, wft_started_event(x, a));
    w->is_transient = false;
}

/* The History-encoded Scheduled (and Started, once started) events of a transient attempt,
 * appended to out for pollers and SDK history reads. */
void sg_wft_append_transient(const sg_exec *x, sg_arena *a, sg_buf *out)
{
    const ms_wft *w = x->ms->wft;
    if (!w || !w->is_transient || !w->scheduled_event_id)
        return;
    pb_event *evs[2] = { wft_scheduled_event(x, a), w->started_event_id ? wft_started_event(x, a) : NULL };
    evs[0]->event_id = w->scheduled_event_id;
    if (evs[1])
        evs[1]->event_id = w->started_event_id;
    for (int i = 0; i < 2 && evs[i]; i++) {
        sg_pb_encode_field(out, 1, &evs[i]->base);
    }
}

/* From attempt 4 a task gets more time, growing from 5 s up to 10 min on top of the default,
 * so a task that is merely slow eventually fits (Temporal's getStartToCloseTimeout). */
static int64_t wft_timeout_ms(int64_t base_ms, int32_t attempt)
{
    if (attempt < 4)
        return base_ms;
    int64_t extra = 5000;
    for (int32_t i = 4; i < attempt && extra < 600000; i++)
        extra *= 2;
    return base_ms + SG_MIN(extra, (int64_t)600000);
}

void sg_wft_schedule(sg_exec *x, sg_arena *a)
{
    ms_t *ms = x->ms;
    if (ms->status != ST_RUNNING)
        return;
    if (!ms->wft) {
        ms->wft = sg_malloc(sizeof *ms->wft);
        sandglass__v1__workflow_task__init(ms->wft);
    }
    ms_wft *w = ms->wft;
    if (sg_wft_state(w) != S(NONE))
        return;
    if (w->attempt < 1)
        w->attempt = 1;
    bool sticky = *ms->sticky_queue != '\0';
    if (sticky) {
        int64_t idle = sg_matching_idle_ms(x->e->matching, ms->namespace_id, SG_TASK_WORKFLOW,
                                           ms->sticky_queue);
        if (idle < 0 || idle > STICKY_IDLE_MS) {
            sg_ms_set_str(&ms->sticky_queue, "");
            sticky = false;
        }
    }
    int64_t now = sg_clock_now_ms();
    sg_wft_move(w, S(SCHEDULED));
    w->started_event_id = 0;
    w->scheduled_time_ms = now;
    if (!w->original_scheduled_time_ms)
        w->original_scheduled_time_ms = now;
    w->is_sticky = sticky;
    w->timeout_ms = (int32_t)wft_timeout_ms(ms->task_timeout_ms, w->attempt);
    w->is_transient = w->attempt > 1;
    if (w->is_transient)
        w->scheduled_event_id = ms->next_event_id; /* reserved; written if the attempt succeeds */
    else
        w->scheduled_event_id = sg_ev_append(x, wft_scheduled_event(x, a));
    w->stamp++;
    sg_exec_dispatch(x, SG_TASK_WORKFLOW, sticky ? ms->sticky_queue : ms->task_queue,
                  w->scheduled_event_id, w->stamp);
    x->need_wft = false;
}

void sg_wft_clear(ms_wft *w)
{
    sg_wft_move(w, S(NONE));
    w->scheduled_event_id = 0;
    w->started_event_id = 0;
    w->started_time_ms = 0;
    w->is_sticky = false;
    w->is_transient = false;
    w->original_scheduled_time_ms = 0;
}

void sg_wft_reconcile(sg_exec *x)
{
    ms_wft *w = x->ms->wft;
    if (sg_wft_state(w) != S(SCHEDULED) || !w->is_transient ||
        x->ms->next_event_id == w->scheduled_event_id)
        return;
    /* Events took the ids the attempt had reserved: they supersede the failing attempt, and
     * the next task is a fresh first attempt (written, unlike the transient one). */
    sg_wft_clear(w);
    w->attempt = 1;
    x->need_wft = true;
}

/* After a failed or timed-out attempt: buffered events land, then the next attempt. New
 * events make it a fresh first attempt (the failure may have been caused by missing them). */
static void wft_retry(sg_exec *x, sg_arena *a, bool bump_attempt)
{
    ms_t *ms = x->ms;
    ms_wft *w = ms->wft;
    bool sticky = w->is_sticky;
    sg_wft_clear(w);
    if (sticky) {
        /* A sticky failure clears stickiness instead of counting an attempt (PROTOCOL 3.2). */
        sg_ms_set_str(&ms->sticky_queue, "");
    } else if (bump_attempt) {
        w->attempt++;
    }
    int64_t before = ms->next_event_id;
    sg_ev_flush_buffer(x, a);
    if (ms->next_event_id != before)
        w->attempt = 1;
    sg_wft_schedule(x, a);
}

void sg_wft_fail(sg_exec *x, sg_arena *a, int cause, const pb_failure *failure, const char *identity)
{
    ms_wft *w = x->ms->wft;
    x->ms->last_wft_failure_cause = cause;
    if (w->is_transient) {
        /* A failing retry leaves no trace in history (Temporal's transient task); buffered
         * events then take its reserved ids and make the next task a first attempt. */
        wft_retry(x, a, true);
        return;
    }
    EV_NEW(a, ev, WORKFLOW_TASK_FAILED, WorkflowTaskFailed, workflow_task_failed);
    ev_attr->scheduled_event_id = w->scheduled_event_id;
    ev_attr->started_event_id = w->started_event_id;
    ev_attr->cause = (Temporal__Api__Enums__V1__WorkflowTaskFailedCause)cause;
    ev_attr->failure = (pb_failure *)failure;
    ev_attr->identity = (char *)(identity ? identity : "");
    sg_ev_append(x, ev);
    wft_retry(x, a, cause != WFT_CAUSE(UNHANDLED_COMMAND));
}

/* A started workflow task is abandoned when the run is closed from outside. */
void sg_wft_force_close(sg_exec *x, sg_arena *a)
{
    ms_wft *w = x->ms->wft;
    if (sg_wft_state(w) != S(STARTED))
        return;
    if (!w->is_transient) {
        EV_NEW(a, ev, WORKFLOW_TASK_FAILED, WorkflowTaskFailed, workflow_task_failed);
        ev_attr->scheduled_event_id = w->scheduled_event_id;
        ev_attr->started_event_id = w->started_event_id;
        ev_attr->cause = WFT_CAUSE(FORCE_CLOSE_COMMAND);
        sg_ev_append(x, ev);
    }
    sg_wft_clear(w);
}

int64_t sg_wft_start(sg_exec *x, sg_arena *a, bool from_sticky, const char *identity,
                  const char *request_id)
{
    ms_t *ms = x->ms;
    ms_wft *w = ms->wft;
    if (!from_sticky && *ms->sticky_queue)
        sg_ms_set_str(&ms->sticky_queue, ""); /* handed out on the normal queue: full history */
    sg_wft_move(w, S(STARTED));
    w->started_time_ms = sg_clock_now_ms();
    w->started_history_size_bytes = ms->history_size_bytes;
    sg_ms_set_str(&w->identity, identity);
    sg_ms_set_str(&w->request_id, request_id);
    int64_t started;
    if (w->is_transient) {
        started = w->scheduled_event_id + 1; /* reserved, like its Scheduled event */
    } else {
        w->started_event_id = 0;
        started = sg_ev_append(x, wft_started_event(x, a));
    }
    w->started_event_id = started;
    return started;
}

int64_t sg_wft_complete(sg_exec *x, sg_arena *a,
                     const Temporal__Api__Workflowservice__V1__RespondWorkflowTaskCompletedRequest *req,
                     int32_t *attempt)
{
    ms_t *ms = x->ms;
    ms_wft *w = ms->wft;
    sg_wft_materialize(x, a);
    EV_NEW(a, ev, WORKFLOW_TASK_COMPLETED, WorkflowTaskCompleted, workflow_task_completed);
    ev_attr->scheduled_event_id = w->scheduled_event_id;
    ev_attr->started_event_id = w->started_event_id;
    ev_attr->identity = req->identity;
    ev_attr->sdk_metadata = req->sdk_metadata;
    ev_attr->metering_metadata = req->metering_metadata;
    ev_attr->versioning_behavior = req->versioning_behavior;
    int64_t wtc = sg_ev_append(x, ev);
    ms->last_completed_wft_started_id = w->started_event_id;
    *attempt = w->attempt;
    sg_wft_clear(w);
    w->attempt = 1;
    return wtc;
}

void sg_wft_set_sticky(sg_exec *x,
                    const Temporal__Api__Taskqueue__V1__StickyExecutionAttributes *sa)
{
    ms_t *ms = x->ms;
    if (sa && sa->worker_task_queue && *sa->worker_task_queue->name) {
        sg_ms_set_str(&ms->sticky_queue, sa->worker_task_queue->name);
        ms->sticky_schedule_to_start_ms = sg_dur_to_ms(sa->schedule_to_start_timeout);
    } else {
        sg_ms_set_str(&ms->sticky_queue, "");
    }
}

void sg_wft_fire_due(sg_exec *x, sg_arena *a, int64_t now)
{
    ms_t *ms = x->ms;
    ms_wft *w = ms->wft;
    if (ms->wft_backoff_until_ms && now >= ms->wft_backoff_until_ms) {
        ms->wft_backoff_until_ms = 0;
        x->need_wft = true;
    }
    int state = sg_wft_state(w);
    if (state == S(STARTED) && now >= w->started_time_ms + w->timeout_ms) {
        if (!w->is_transient) {
            EV_NEW(a, ev, WORKFLOW_TASK_TIMED_OUT, WorkflowTaskTimedOut, workflow_task_timed_out);
            ev_attr->scheduled_event_id = w->scheduled_event_id;
            ev_attr->started_event_id = w->started_event_id;
            ev_attr->timeout_type = TIMEOUT_TYPE(START_TO_CLOSE);
            sg_ev_append(x, ev);
        }
        wft_retry(x, a, true);
    } else if (state == S(SCHEDULED) && w->is_sticky && ms->sticky_schedule_to_start_ms &&
               now >= w->scheduled_time_ms + ms->sticky_schedule_to_start_ms) {
        if (!w->is_transient) {
            EV_NEW(a, ev, WORKFLOW_TASK_TIMED_OUT, WorkflowTaskTimedOut, workflow_task_timed_out);
            ev_attr->scheduled_event_id = w->scheduled_event_id;
            ev_attr->timeout_type = TIMEOUT_TYPE(SCHEDULE_TO_START);
            sg_ev_append(x, ev);
        }
        /* Falls back to the normal queue with the same attempt. */
        sg_wft_clear(w);
        sg_ms_set_str(&ms->sticky_queue, "");
        sg_wft_schedule(x, a);
    }
}

int64_t sg_wft_next_wakeup(const ms_t *ms)
{
    int64_t best = ms->wft_backoff_until_ms;
    const ms_wft *w = ms->wft;
    int64_t t = 0;
    int state = sg_wft_state(w);
    if (state == S(STARTED))
        t = w->started_time_ms + w->timeout_ms;
    else if (state == S(SCHEDULED) && w->is_sticky && ms->sticky_schedule_to_start_ms)
        t = w->scheduled_time_ms + ms->sticky_schedule_to_start_ms;
    if (t > 0 && (!best || t < best))
        best = t;
    return best;
}

void sg_wft_unstick(sg_exec *x)
{
    ms_t *ms = x->ms;
    sg_ms_set_str(&ms->sticky_queue, "");
    ms_wft *w = ms->wft;
    if (sg_wft_state(w) == S(SCHEDULED) && w->is_sticky) {
        /* Move the waiting task to the normal queue now rather than after its timeout. */
        w->is_sticky = false;
        w->stamp++;
        sg_exec_dispatch(x, SG_TASK_WORKFLOW, ms->task_queue, w->scheduled_event_id, w->stamp);
    }
}

bool sg_wft_matches(const ms_wft *w, int64_t scheduled_event_id, int64_t stamp, bool started)
{
    return sg_wft_state(w) == (started ? S(STARTED) : S(SCHEDULED)) &&
           w->scheduled_event_id == scheduled_event_id && w->stamp == stamp;
}
