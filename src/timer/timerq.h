/* SPDX-License-Identifier: Apache-2.0 */
/* timerq.h: wake-ups by key at absolute wall-clock times, on one libuv timer.
 *
 * The history engine keeps one entry per workflow run: the earliest of its timers (user
 * timers, activity and workflow-task timeouts, retries, run expiry). Durability comes from the
 * runs' mutable state, from which the engine re-arms every entry at start-up; the queue itself
 * is memory only. */
#ifndef SG_TIMERQ_H
#define SG_TIMERQ_H

#include "core/sg.h"

#include <uv.h>

typedef struct sg_timerq sg_timerq;

/* Called once per due key, in fire-time order. The entry is already removed; fn may set it
 * again (and may set or clear other keys). */
typedef void (*sg_timerq_fire_fn)(void *ud, const char *key);

sg_timerq *sg_timerq_new(uv_loop_t *loop, sg_timerq_fire_fn fn, void *ud);
/* Frees the queue; its libuv handle closes asynchronously (run the loop once more). */
void sg_timerq_free(sg_timerq *q);
/* Sets key's wake-up to fire_at_ms (sg_clock_now_ms scale), replacing any earlier setting;
 * fire_at_ms <= 0 clears it. A time in the past fires on the next loop iteration. */
void sg_timerq_set(sg_timerq *q, const char *key, int64_t fire_at_ms);
/* The wake-up set for key, or 0. */
int64_t sg_timerq_get(const sg_timerq *q, const char *key);
/* Number of keys with a wake-up. */
size_t sg_timerq_len(const sg_timerq *q);
/* Fires every entry due at sg_clock_now_ms() now (tests with a virtual clock). */
void sg_timerq_run_due(sg_timerq *q);
/* The earliest wake-up set, or 0 if none. */
int64_t sg_timerq_next_due(sg_timerq *q);
/* Re-arms the libuv timer after the clock jumped (time skipping). */
void sg_timerq_clock_moved(sg_timerq *q);

#endif
