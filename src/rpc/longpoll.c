/* SPDX-License-Identifier: Apache-2.0 */
/* longpoll.c: parked calls (longpoll.h). */
#include "rpc/longpoll.h"

#include "core/clock.h"
#include "rpc/frontend.h"

static void timer_closed(uv_handle_t *h)
{
    sg_free(h);
}

static void stop_timer(sg_long_poll *lp)
{
    if (!lp->timer)
        return;
    uv_timer_stop(lp->timer);
    uv_close((uv_handle_t *)lp->timer, timer_closed);
    lp->timer = NULL;
}

static void on_timer(uv_timer_t *t)
{
    sg_long_poll *lp = t->data;
    if (!lp->is_done && lp->on_timeout)
        lp->on_timeout(lp);
}

static void on_cancel(void *ud, sg_grpc_call *g)
{
    sg_long_poll *lp = ud;
    if (lp->is_done)
        return; /* the reply is already queued; it is discarded with the stream */
    lp->is_done = true;
    stop_timer(lp);
    if (lp->on_release)
        lp->on_release(lp);
    sg_grpc_call_fail(g, SG_GRPC_CANCELLED, "the client cancelled the call", NULL, 0);
}

void sg_long_poll_start(sg_long_poll *lp, sg_call *call, int64_t wait_ms,
                        void (*on_timeout)(sg_long_poll *lp),
                        void (*on_release)(sg_long_poll *lp))
{
    lp->call = call;
    lp->on_timeout = on_timeout;
    lp->on_release = on_release;
    if (wait_ms >= 0) {
        lp->timer = sg_malloc(sizeof *lp->timer);
        uv_timer_init(sg_frontend_loop(call->fe), lp->timer);
        lp->timer->data = lp;
        uv_timer_start(lp->timer, on_timer, (uint64_t)wait_ms, 0);
    }
    sg_call_on_cancel(call, on_cancel, lp);
}

bool sg_long_poll_end(sg_long_poll *lp)
{
    if (lp->is_done)
        return false;
    lp->is_done = true;
    stop_timer(lp);
    return true;
}

int64_t sg_long_poll_wait_ms(const sg_call *call, int64_t cap_ms)
{
    int64_t deadline = sg_call_deadline_ms(call);
    if (!deadline)
        return cap_ms;
    int64_t left = deadline - sg_clock_mono_ms() - 1000;
    return left <= 0 ? 0 : SG_MIN(left, cap_ms);
}
