/* SPDX-License-Identifier: Apache-2.0 */
/* timeskip.c: the time-skipping clock (timeskip.h).
 *
 *   locked (count > 0) or busy --> time runs at wall-clock pace
 *   unlocked and idle          --> the clock jumps to the next wake-up (a run's or a sleeper's);
 *                                  what fires makes the server busy again until workers are done
 *
 * The decision is taken once per loop iteration (a uv_check handle), after the iteration's
 * requests and completions have changed what is busy, so one jump happens at a time. */
#include "timeskip/timeskip.h"

#include "core/clock.h"
#include "core/log.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#define SKEW_KEY "time_skipping_skew_ms"

struct sg_timeskip {
    uv_loop_t *loop;
    sg_engine *e;
    sg_txn *txn;
    sg_store *st;
    int locks;
    sg_timeskip_sleeper *sleepers; /* unordered; a test has a handful at most */
    uv_check_t check;
    uv_timer_t timer; /* the earliest sleeper, in wall-clock time */
    int64_t saved_skew;
};

static int64_t earliest_sleeper(const sg_timeskip *ts)
{
    int64_t best = 0;
    for (const sg_timeskip_sleeper *s = ts->sleepers; s; s = s->next)
        if (!best || s->due_ms < best)
            best = s->due_ms;
    return best;
}

static void unlink_sleeper(sg_timeskip *ts, sg_timeskip_sleeper *s)
{
    if (s->prev)
        s->prev->next = s->next;
    else
        ts->sleepers = s->next;
    if (s->next)
        s->next->prev = s->prev;
    s->next = s->prev = NULL;
}

static void on_timer(uv_timer_t *t);

static void arm_timer(sg_timeskip *ts)
{
    int64_t due = earliest_sleeper(ts);
    if (!due) {
        uv_timer_stop(&ts->timer);
        return;
    }
    int64_t delay = due - sg_clock_now_ms();
    uv_timer_start(&ts->timer, on_timer, delay > 0 ? (uint64_t)delay : 0, 0);
}

/* Wakes every sleeper whose time has come (each wakes once; a wake may add sleepers). */
static void wake_due(sg_timeskip *ts)
{
    for (;;) {
        int64_t now = sg_clock_now_ms();
        sg_timeskip_sleeper *s = ts->sleepers;
        while (s && s->due_ms > now)
            s = s->next;
        if (!s)
            break;
        unlink_sleeper(ts, s);
        if (s->relock)
            ts->locks++;
        s->wake(s);
    }
    arm_timer(ts);
}

static void on_timer(uv_timer_t *t)
{
    wake_due(t->data);
}

static void save_skew(sg_timeskip *ts)
{
    int64_t skew = sg_clock_skew_ms();
    if (skew == ts->saved_skew || sg_txn_write(ts->txn) < 0)
        return;
    char buf[32];
    snprintf(buf, sizeof buf, "%" PRId64, skew);
    /* A lost write only costs a restarted server the skipped time. */
    if (sg_store_meta_put(ts->st, SKEW_KEY, buf) == 0)
        ts->saved_skew = skew;
}

static void on_check(uv_check_t *h)
{
    sg_timeskip *ts = h->data;
    wake_due(ts);
    if (ts->locks > 0 || sg_engine_has_busy_runs(ts->e))
        return;
    int64_t now = sg_clock_now_ms();
    int64_t a = sg_engine_next_wakeup(ts->e), b = earliest_sleeper(ts);
    int64_t target = !a ? b : !b ? a : SG_MIN(a, b);
    if (target <= now)
        return; /* nothing to wait for, or already due: it fires on its own */
    sg_log_debug("time skipping: +%" PRId64 " ms", target - now);
    sg_clock_skip(target - now);
    save_skew(ts);
    sg_engine_clock_moved(ts->e);
    wake_due(ts);
}

sg_timeskip *sg_timeskip_new(uv_loop_t *loop, sg_engine *e, sg_txn *txn, sg_store *st,
                             bool locked)
{
    sg_timeskip *ts = sg_calloc(1, sizeof *ts);
    ts->loop = loop;
    ts->e = e;
    ts->txn = txn;
    ts->st = st;
    ts->locks = locked ? 1 : 0;
    ts->saved_skew = sg_clock_skew_ms();
    uv_check_init(loop, &ts->check);
    ts->check.data = ts;
    uv_check_start(&ts->check, on_check);
    uv_unref((uv_handle_t *)&ts->check);
    uv_timer_init(loop, &ts->timer);
    ts->timer.data = ts;
    uv_unref((uv_handle_t *)&ts->timer);
    return ts;
}

static void on_closed(uv_handle_t *h)
{
    sg_timeskip *ts = h->data;
    if (h == (uv_handle_t *)&ts->timer)
        sg_free(ts);
}

void sg_timeskip_free(sg_timeskip *ts)
{
    if (!ts)
        return;
    sg_assert(!ts->sleepers);
    uv_close((uv_handle_t *)&ts->check, on_closed);
    uv_close((uv_handle_t *)&ts->timer, on_closed); /* closes last: frees ts */
}

void sg_timeskip_lock(sg_timeskip *ts)
{
    ts->locks++;
}

int sg_timeskip_unlock(sg_timeskip *ts)
{
    if (ts->locks == 0)
        return SG_EINVAL;
    ts->locks--;
    return 0;
}

void sg_timeskip_sleep(sg_timeskip *ts, sg_timeskip_sleeper *s)
{
    s->prev = NULL;
    s->next = ts->sleepers;
    if (ts->sleepers)
        ts->sleepers->prev = s;
    ts->sleepers = s;
    arm_timer(ts);
}

void sg_timeskip_cancel(sg_timeskip *ts, sg_timeskip_sleeper *s)
{
    unlink_sleeper(ts, s);
    if (s->relock)
        ts->locks++; /* the unlock it made ends with it */
    arm_timer(ts);
}

int64_t sg_timeskip_stored_skew(sg_store *st)
{
    char *v = NULL;
    if (sg_store_meta_get(st, SKEW_KEY, &v) < 0 || !v)
        return 0;
    int64_t skew = strtoll(v, NULL, 10);
    sg_free(v);
    return skew > 0 ? skew : 0;
}
