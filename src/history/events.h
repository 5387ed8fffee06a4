/* SPDX-License-Identifier: Apache-2.0 */
/* events.h: the event log of a run: ids, the operation's batch, the buffer while a task runs
 * (events.c). */
#ifndef SG_HISTORY_EVENTS_H
#define SG_HISTORY_EVENTS_H

#include "history/hist.h"

/* Allocates an event of the given type in a, with time = now; attributes set by the caller. */
pb_event *sg_ev_new(sg_arena *a, int type);
/* Assigns the next event id and appends the event to the operation's batch. Returns its id. */
int64_t sg_ev_append(sg_exec *x, pb_event *ev);
/* While a workflow task is started, events from outside go to the buffer (ids assigned when
 * flushed); otherwise they are appended at once. Returns the id, or 0 when buffered. */
int64_t sg_ev_append_or_buffer(sg_exec *x, pb_event *ev);
/* Appends buffered events (assigning ids, fixing references to events in the same buffer). */
void sg_ev_flush_buffer(sg_exec *x, sg_arena *a);
bool sg_ev_has_buffered(const sg_exec *x);
/* Appends an event of another run as it is (its id must be the next one here): reset copies
 * the history before its reset point into the new run. */
void sg_ev_append_copy(sg_exec *x, const pb_event *ev);
#endif
