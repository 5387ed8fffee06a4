/* SPDX-License-Identifier: Apache-2.0 */
/* token.c: task tokens — opaque to clients, a serialized sandglass.v1.TaskToken to us.
 *
 * A token names the run and the task's scheduled event, plus the attempt and the stamp the
 * task had when it was handed out: a token from an earlier attempt or dispatch no longer
 * matches and is refused as stale (NOT_FOUND), as Temporal does. */
#include "history/hist.h"
#include "core/pbenc.h"
#include "history/token.h"

uint8_t *sg_token_encode(sg_arena *a, const Sandglass__V1__TaskToken *t, size_t *len)
{
    return sg_pb_encode_arena(&t->base, a, len);
}

Sandglass__V1__TaskToken *sg_token_decode(sg_arena *a, const uint8_t *p, size_t len)
{
    if (!p || !len)
        return NULL;
    Sandglass__V1__TaskToken *t = sandglass__v1__task_token__unpack(&a->pb, len, p);
    /* A task names its scheduled event; a query task names its query instead. */
    if (t && (!*t->namespace_id || !*t->run_id || (t->scheduled_event_id <= 0 && !*t->query_id)))
        return NULL;
    return t;
}
