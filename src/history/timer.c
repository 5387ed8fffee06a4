/* SPDX-License-Identifier: Apache-2.0 */
/* timer.c: user timers (StartTimer / CancelTimer commands) — one entity, ms->timers[i].
 *
 *     (none) --sg_timer_start--> STARTED --sg_timer_fire_due (fire_at_ms reached)--> (fired, removed)
 *                                |
 *                                +--sg_timer_cancel--> (canceled, removed)
 *                                +--sg_timer_drop_all (run closed)--> (removed, no event)
 *
 * Invariants: timer ids are unique among a run's pending timers; a timer exists exactly while
 * STARTED (a fired or canceled timer leaves no state); TimerFired is an event from outside the
 * workflow task, so it is buffered while a task runs (events.c) and asks for a new task.
 *
 * Transitions -> functions: start: sg_timer_start (TimerStarted); fire: sg_timer_fire_due
 * (TimerFired); cancel: sg_timer_cancel (TimerCanceled); drop: sg_timer_drop_all; rebuilt
 * from history by reset: sg_timer_replay. */
#include "history/hist.h"
#include "history/events.h"
#include "history/pbutil.h"
#include "history/timer.h"

#include "core/clock.h"

#include <string.h>

ms_timer *sg_timer_find(const ms_t *ms, const char *timer_id, size_t *index)
{
    for (size_t i = 0; i < ms->n_timers; i++)
        if (strcmp(ms->timers[i]->timer_id, timer_id) == 0) {
            if (index)
                *index = i;
            return ms->timers[i];
        }
    return NULL;
}

static void timer_remove(ms_t *ms, size_t i)
{
    protobuf_c_message_free_unpacked(&ms->timers[i]->base, NULL);
    memmove(ms->timers + i, ms->timers + i + 1, (ms->n_timers - i - 1) * sizeof *ms->timers);
    ms->n_timers--;
}

int64_t sg_timer_start(sg_exec *x, sg_arena *a,
                    const Temporal__Api__Command__V1__StartTimerCommandAttributes *in, int64_t wtc,
                    Temporal__Api__Sdk__V1__UserMetadata *user_metadata)
{
    ms_t *ms = x->ms;
    EV_NEW(a, ev, TIMER_STARTED, TimerStarted, timer_started);
    ev_attr->timer_id = in->timer_id;
    ev_attr->start_to_fire_timeout = in->start_to_fire_timeout;
    ev_attr->workflow_task_completed_event_id = wtc;
    ev->user_metadata = user_metadata;
    int64_t id = sg_ev_append(x, ev);
    ms_timer *t = sg_malloc(sizeof *t);
    sandglass__v1__timer__init(t);
    t->timer_id = sg_ms_strdup(in->timer_id);
    t->started_event_id = id;
    t->fire_at_ms = sg_clock_now_ms() + sg_dur_to_ms(in->start_to_fire_timeout);
    ms->timers = sg_realloc(ms->timers, (ms->n_timers + 1) * sizeof *ms->timers);
    ms->timers[ms->n_timers++] = t;
    return id;
}

void sg_timer_cancel(sg_exec *x, sg_arena *a, size_t index, int64_t wtc, const char *identity)
{
    ms_t *ms = x->ms;
    /* Only a STARTED timer can be canceled: one that fired or was canceled is gone. */
    sg_assert(index < ms->n_timers);
    ms_timer *t = ms->timers[index];
    EV_NEW(a, ev, TIMER_CANCELED, TimerCanceled, timer_canceled);
    ev_attr->timer_id = sg_arena_strdup(a, t->timer_id);
    ev_attr->started_event_id = t->started_event_id;
    ev_attr->workflow_task_completed_event_id = wtc;
    ev_attr->identity = (char *)(identity ? identity : "");
    sg_ev_append(x, ev);
    timer_remove(ms, index);
}

void sg_timer_fire_due(sg_exec *x, sg_arena *a, int64_t now)
{
    ms_t *ms = x->ms;
    for (size_t i = 0; i < ms->n_timers;) {
        ms_timer *t = ms->timers[i];
        if (t->fire_at_ms > now) {
            i++;
            continue;
        }
        EV_NEW(a, ev, TIMER_FIRED, TimerFired, timer_fired);
        ev_attr->timer_id = sg_arena_strdup(a, t->timer_id);
        ev_attr->started_event_id = t->started_event_id;
        if (sg_ev_append_or_buffer(x, ev))
            x->need_wft = true;
        timer_remove(ms, i);
    }
}

int64_t sg_timer_next_wakeup(const ms_t *ms)
{
    int64_t best = 0;
    for (size_t i = 0; i < ms->n_timers; i++)
        if (!best || ms->timers[i]->fire_at_ms < best)
            best = ms->timers[i]->fire_at_ms;
    return best;
}

void sg_timer_drop_all(ms_t *ms)
{
    while (ms->n_timers)
        timer_remove(ms, ms->n_timers - 1);
    sg_free(ms->timers);
    ms->timers = NULL;
}

bool sg_timer_replay(ms_t *ms, const pb_event *ev)
{
    size_t i;
    switch (ev->attributes_case) {
    case ATTR_CASE(TIMER_STARTED): {
        const Temporal__Api__History__V1__TimerStartedEventAttributes *in =
            ev->timer_started_event_attributes;
        ms_timer *t = sg_malloc(sizeof *t);
        sandglass__v1__timer__init(t);
        t->timer_id = sg_ms_strdup(in->timer_id);
        t->started_event_id = ev->event_id;
        t->fire_at_ms = sg_ts_to_ms(ev->event_time) + sg_dur_to_ms(in->start_to_fire_timeout);
        ms->timers = sg_realloc(ms->timers, (ms->n_timers + 1) * sizeof *ms->timers);
        ms->timers[ms->n_timers++] = t;
        return true;
    }
    case ATTR_CASE(TIMER_FIRED):
        if (sg_timer_find(ms, ev->timer_fired_event_attributes->timer_id, &i))
            timer_remove(ms, i);
        return true;
    case ATTR_CASE(TIMER_CANCELED):
        if (sg_timer_find(ms, ev->timer_canceled_event_attributes->timer_id, &i))
            timer_remove(ms, i);
        return true;
    default: return false;
    }
}
