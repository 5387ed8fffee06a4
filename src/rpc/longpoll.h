/* SPDX-License-Identifier: Apache-2.0 */
/* longpoll.h: one parked call — the part every long poll shares (task polls, history long
 * polls; query and update polls next).
 *
 * A long poll ends exactly once, in one of three ways: its handler answers (sg_long_poll_end,
 * then the reply), its wait elapses (on_timeout: the handler answers), or the client goes away
 * (on_release, then the call fails CANCELLED). Whatever the poll waits on (a matching poller,
 * a history watch) is released by on_release when the client goes, and by the handler itself
 * otherwise. The wait's timer is optional: matching keeps its own for task polls. */
#ifndef SG_LONGPOLL_H
#define SG_LONGPOLL_H

#include "rpc/call.h"

#include <uv.h>

typedef struct sg_long_poll sg_long_poll;
struct sg_long_poll {
    sg_call *call;
    bool is_done;
    uv_timer_t *timer; /* NULL without a wait of our own; freed in its close callback */
    void (*on_timeout)(sg_long_poll *lp);
    void (*on_release)(sg_long_poll *lp);
};

/* Parks lp (arena memory of call, zeroed) on call: with wait_ms >= 0 a timer calls on_timeout
 * (the poll is still open then: the handler ends and answers it); a client that goes away
 * calls on_release and fails the call. Either callback may be NULL. */
void sg_long_poll_start(sg_long_poll *lp, sg_call *call, int64_t wait_ms,
                        void (*on_timeout)(sg_long_poll *lp),
                        void (*on_release)(sg_long_poll *lp));
/* Ends the poll before its answer is queued: stops the timer. Returns false if it had ended
 * already (the client left), in which case nothing must be sent. */
bool sg_long_poll_end(sg_long_poll *lp);
/* How long a long poll may wait: cap_ms, shortened to end 1 s before the caller's deadline
 * (so the empty answer arrives before the client gives up). */
int64_t sg_long_poll_wait_ms(const sg_call *call, int64_t cap_ms);

#endif
