/* SPDX-License-Identifier: Apache-2.0 */
/* read.c: reading history — spliced from stored batches for polls and
 * GetWorkflowExecutionHistory, including the close-event filter and reverse order.
 *
 * Stored batches concatenate into a valid History message, so a page is built by appending
 * their bytes. Only a batch that begins before the requested first event is decoded, to drop
 * the events before it; page boundaries otherwise fall on batch boundaries, so a page may
 * exceed the requested size by less than one batch. */
#include "history/hist.h"
#include "history/read.h"

#include "core/pbenc.h"
#include "core/pbwire.h"

#include <string.h>

typedef struct read_ctx {
    sg_arena *a;
    sg_buf *out;
    int64_t from;
    int64_t last; /* last event id appended */
    int err;
} read_ctx;

static int on_batch(void *ud, int64_t first, int64_t last, const uint8_t *data, size_t len)
{
    read_ctx *c = ud;
    if (first >= c->from) {
        sg_buf_append(c->out, data, len);
        c->last = last;
        return 0;
    }
    Temporal__Api__History__V1__History *h =
        temporal__api__history__v1__history__unpack(&c->a->pb, len, data);
    if (!h) {
        c->err = SG_ECORRUPT;
        return 1;
    }
    for (size_t i = 0; i < h->n_events; i++) {
        pb_event *ev = h->events[i];
        if (ev->event_id < c->from)
            continue;
        sg_pb_encode_field(c->out, 1, &ev->base);
        c->last = ev->event_id;
    }
    if (c->last < c->from)
        c->last = last;
    return 0;
}

int sg_hist_read(sg_engine *e, sg_arena *a, const char *namespace_id, const char *run_id,
              int64_t from_event_id, int64_t max_events, sg_buf *out, int64_t *next_event_id)
{
    read_ctx c = { .a = a, .out = out, .from = from_event_id };
    int rc = sg_store_history_read(e->st, namespace_id, run_id, from_event_id, max_events,
                                   on_batch, &c);
    if (c.err)
        return c.err;
    if (rc < 0)
        return rc;
    *next_event_id = c.last ? c.last + 1 : from_event_id;
    return 0;
}

char *sg_hist_page_token(sg_arena *a, const char *run_id, int64_t next_event_id, size_t *len)
{
    char *s = sg_arena_printf(a, "sg1:%s:%lld", run_id, (long long)next_event_id);
    *len = strlen(s);
    return s;
}
