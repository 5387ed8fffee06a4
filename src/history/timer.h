/* SPDX-License-Identifier: Apache-2.0 */
/* timer.h: the timer entity (timer.c has its diagram). */
#ifndef SG_HISTORY_TIMER_H
#define SG_HISTORY_TIMER_H

#include "history/hist.h"

ms_timer *sg_timer_find(const ms_t *ms, const char *timer_id, size_t *index);
/* TimerStarted for a validated command; returns its event id. */
int64_t sg_timer_start(sg_exec *x, sg_arena *a,
                    const Temporal__Api__Command__V1__StartTimerCommandAttributes *in, int64_t wtc,
                    Temporal__Api__Sdk__V1__UserMetadata *user_metadata);
/* TimerCanceled for the pending timer at index. */
void sg_timer_cancel(sg_exec *x, sg_arena *a, size_t index, int64_t wtc, const char *identity);
/* Fires every timer due at now (TimerFired, buffered while a task runs). */
void sg_timer_fire_due(sg_exec *x, sg_arena *a, int64_t now);
int64_t sg_timer_next_wakeup(const ms_t *ms);
/* Reset's rebuild: applies a timer event of the copied history to ms (a started timer fires
 * at its original time). False for an event that is not a timer's. */
bool sg_timer_replay(ms_t *ms, const pb_event *ev);
/* The run closed: pending timers go without events. */
void sg_timer_drop_all(ms_t *ms);
#endif
