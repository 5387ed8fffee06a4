/* SPDX-License-Identifier: Apache-2.0 */
/* timeskip.h: the time-skipping clock of a test server (TestService), as the Java test server
 * defines it.
 *
 * Skipping is locked by a counter that starts at 1: clients unlock it while they wait for a
 * result (LockTimeSkipping / UnlockTimeSkipping). While the counter is 0 and no worker holds
 * or may take work (a workflow task, an activity not waiting for a retry), the clock jumps to
 * the next wake-up of any run or sleeper; otherwise it runs at wall-clock pace. Sleepers are
 * Sleep / SleepUntil / UnlockTimeSkippingWithSleep calls waiting for a (virtual) time. */
#ifndef SG_TIMESKIP_H
#define SG_TIMESKIP_H

#include "history/engine.h"
#include "store/txn.h"

#include <uv.h>

typedef struct sg_timeskip sg_timeskip;
typedef struct sg_timeskip_sleeper sg_timeskip_sleeper;
struct sg_timeskip_sleeper {
    int64_t due_ms;                     /* sg_clock_now_ms scale */
    bool relock;                        /* lock again when it wakes (UnlockTimeSkippingWithSleep) */
    void (*wake)(sg_timeskip_sleeper *s); /* once, when the clock reaches due_ms */
    sg_timeskip_sleeper *next, *prev;     /* owned by the timeskip while waiting */
};

/* Starts the clock control on loop (locked once unless !locked). The skew reached is saved in st's metadata
 * through txn, so a persistent server resumes on the same clock. All borrowed. */
sg_timeskip *sg_timeskip_new(uv_loop_t *loop, sg_engine *e, sg_txn *txn, sg_store *st,
                             bool locked);
/* Frees (no sleeper may be waiting). Run the loop once more to close its handles. */
void sg_timeskip_free(sg_timeskip *ts);
void sg_timeskip_lock(sg_timeskip *ts);
/* SG_EINVAL when the counter is already 0 (unbalanced lock and unlock calls). */
int sg_timeskip_unlock(sg_timeskip *ts);
/* Waits until sg_clock_now_ms() >= s->due_ms (s is the caller's, untouched until it wakes or
 * is cancelled). */
void sg_timeskip_sleep(sg_timeskip *ts, sg_timeskip_sleeper *s);
/* Stops waiting (the caller went away); s->wake is not called. */
void sg_timeskip_cancel(sg_timeskip *ts, sg_timeskip_sleeper *s);

/* The clock skew a store remembers from an earlier time-skipping run (0 if none). */
int64_t sg_timeskip_stored_skew(sg_store *st);

#endif
