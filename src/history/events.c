/* SPDX-License-Identifier: Apache-2.0 */
/* events.c: history events — construction, ids, batching and the buffer of events that arrive
 * while a workflow task is running.
 *
 * Invariants: event ids of a run are contiguous from 1 (sg_ev_append is the only assigner); no
 * event lands between WorkflowTaskStarted and WorkflowTaskCompleted/Failed/TimedOut — external
 * events go to the buffer then (PROTOCOL.md 3.5). A buffered result event whose
 * ActivityTaskStarted sits in the same buffer refers to it with started_event_id = -1, fixed
 * up when the buffer is flushed and ids are known. */
#include "history/hist.h"
#include "history/events.h"
#include "history/pbutil.h"

#include "core/clock.h"
#include "core/pbenc.h"
#include "core/pbwire.h"

#include <string.h>

pb_event *sg_ev_new(sg_arena *a, int type)
{
    pb_event *ev = sg_arena_alloc(a, sizeof *ev);
    temporal__api__history__v1__history_event__init(ev);
    ev->event_type = (Temporal__Api__Enums__V1__EventType)type;
    ev->event_time = sg_ts_ms(a, sg_clock_now_ms());
    return ev;
}

static void pack_into(sg_buf *out, const pb_event *ev)
{
    sg_pb_encode_field(out, 1, &ev->base); /* History.events = 1 */
}

int64_t sg_ev_append(sg_exec *x, pb_event *ev)
{
    ms_t *ms = x->ms;
    ev->event_id = ms->next_event_id++;
    /* Task ids only need to grow; microseconds since the epoch do, across restarts too. */
    int64_t tid = sg_clock_now_ms() * 1000;
    x->e->last_task_id = tid > x->e->last_task_id ? tid : x->e->last_task_id + 1;
    ev->task_id = x->e->last_task_id;
    size_t before = x->batch.len;
    pack_into(&x->batch, ev);
    ms->history_size_bytes += (int64_t)(x->batch.len - before);
    if (!x->batch_first)
        x->batch_first = ev->event_id;
    x->batch_last = ev->event_id;
    x->has_new_events = true;
    return ev->event_id;
}

void sg_ev_append_copy(sg_exec *x, const pb_event *ev)
{
    ms_t *ms = x->ms;
    sg_assert(ev->event_id == ms->next_event_id);
    ms->next_event_id++;
    size_t before = x->batch.len;
    pack_into(&x->batch, ev);
    ms->history_size_bytes += (int64_t)(x->batch.len - before);
    if (!x->batch_first)
        x->batch_first = ev->event_id;
    x->batch_last = ev->event_id;
    x->has_new_events = true;
}

bool sg_ev_has_buffered(const sg_exec *x)
{
    return x->ms->buffered_events.len > 0;
}

int64_t sg_ev_append_or_buffer(sg_exec *x, pb_event *ev)
{
    ms_t *ms = x->ms;
    /* (An unstarted transient attempt whose reserved ids this takes is superseded at the
     * operation's commit: sg_wft_reconcile.) */
    if (!ms->wft || !ms->wft->started_event_id)
        return sg_ev_append(x, ev);
    sg_buf b;
    sg_buf_init(&b);
    sg_buf_append(&b, ms->buffered_events.data, ms->buffered_events.len);
    ev->event_id = 0;
    pack_into(&b, ev);
    sg_free(ms->buffered_events.data);
    ms->buffered_events.data = sg_buf_take(&b, &ms->buffered_events.len);
    return 0;
}

/* The started_event_id field of result events, which may refer into the buffer. */
static int64_t *started_ref(pb_event *ev)
{
    switch (ev->attributes_case) {
    case TEMPORAL__API__HISTORY__V1__HISTORY_EVENT__ATTRIBUTES_ACTIVITY_TASK_COMPLETED_EVENT_ATTRIBUTES:
        return &ev->activity_task_completed_event_attributes->started_event_id;
    case TEMPORAL__API__HISTORY__V1__HISTORY_EVENT__ATTRIBUTES_ACTIVITY_TASK_FAILED_EVENT_ATTRIBUTES:
        return &ev->activity_task_failed_event_attributes->started_event_id;
    case TEMPORAL__API__HISTORY__V1__HISTORY_EVENT__ATTRIBUTES_ACTIVITY_TASK_TIMED_OUT_EVENT_ATTRIBUTES:
        return &ev->activity_task_timed_out_event_attributes->started_event_id;
    case TEMPORAL__API__HISTORY__V1__HISTORY_EVENT__ATTRIBUTES_ACTIVITY_TASK_CANCELED_EVENT_ATTRIBUTES:
        return &ev->activity_task_canceled_event_attributes->started_event_id;
    default:
        return NULL;
    }
}

/* Buffered events land in arrival order, except activity results, which go last (Temporal's
 * reorderBuffer), so the workflow sees e.g. a timer that fired alongside before the result. */
static int64_t scheduled_ref(const pb_event *ev)
{
    switch (ev->attributes_case) {
    case ATTR_CASE(ACTIVITY_TASK_COMPLETED): return ev->activity_task_completed_event_attributes->scheduled_event_id;
    case ATTR_CASE(ACTIVITY_TASK_FAILED): return ev->activity_task_failed_event_attributes->scheduled_event_id;
    case ATTR_CASE(ACTIVITY_TASK_TIMED_OUT): return ev->activity_task_timed_out_event_attributes->scheduled_event_id;
    case ATTR_CASE(ACTIVITY_TASK_CANCELED): return ev->activity_task_canceled_event_attributes->scheduled_event_id;
    default: return 0;
    }
}

void sg_ev_flush_buffer(sg_exec *x, sg_arena *a)
{
    ms_t *ms = x->ms;
    if (!ms->buffered_events.len)
        return;
    Temporal__Api__History__V1__History *h = temporal__api__history__v1__history__unpack(
        &a->pb, ms->buffered_events.len, ms->buffered_events.data);
    sg_assert(h); /* we wrote these bytes ourselves */
    sg_free(ms->buffered_events.data);
    ms->buffered_events.data = NULL;
    ms->buffered_events.len = 0;
    /* scheduled event id -> id given to its ActivityTaskStarted in this flush */
    int64_t *sched = sg_arena_alloc(a, (h->n_events + 1) * sizeof *sched);
    int64_t *started = sg_arena_alloc(a, (h->n_events + 1) * sizeof *started);
    size_t n_started = 0;
    for (int pass = 0; pass < 2; pass++) {
        for (size_t i = 0; i < h->n_events; i++) {
            pb_event *ev = h->events[i];
            int64_t *ref = started_ref(ev);
            if ((ref != NULL) != (pass == 1))
                continue;
            if (ref && *ref == -1) {
                int64_t sid = scheduled_ref(ev);
                for (size_t k = 0; k < n_started; k++)
                    if (sched[k] == sid)
                        *ref = started[k];
            }
            int64_t id = sg_ev_append(x, ev);
            if (ev->event_type == EVT(ACTIVITY_TASK_STARTED)) {
                sched[n_started] = ev->activity_task_started_event_attributes->scheduled_event_id;
                started[n_started++] = id;
            }
        }
    }
}
