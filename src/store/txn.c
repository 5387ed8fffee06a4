/* SPDX-License-Identifier: Apache-2.0 */
/* txn.c: group commit on a uv_prepare handle, the loop's "before sleep" point.
 *
 * One batch is open at a time. Writes from any number of handlers accumulate in it; the
 * prepare callback, which libuv runs right before blocking for I/O, commits (one fsync for the
 * whole iteration) and then runs the queued completions in order. A poisoned batch or a failed
 * commit rolls back and hands every completion the error, so nothing in it is acknowledged.
 * Completions queued while completions run (a reply that triggers more work) open a new batch
 * on the next write and are handled on the next iteration. The "after flush" callbacks run
 * once all completions have: that is where recorded effects turn into new work. */
#include "store/txn.h"

#include "core/metrics.h"

#include "core/log.h"

typedef struct pending {
    sg_txn_done_fn fn;
    void *ud;
} pending;

typedef struct after {
    void (*fn)(void *ud);
    void *ud;
} after;

struct sg_txn {
    uv_prepare_t prep;
    /* Active while a batch opened by a flush's completions or after-flush pass is open: the
     * prepare phase has passed, so libuv would otherwise block for I/O before committing it.
     * (Batches opened by I/O callbacks need no help: prepare runs before the loop sleeps.) */
    uv_idle_t idle;
    bool in_flush;
    sg_store *st;
    bool is_open;
    int poison;
    pending *q;
    size_t n_q, cap_q;
    after *after;
    size_t n_after, cap_after;
    uint64_t commits;
    int open_handles; /* while closing */
};

static void on_prepare(uv_prepare_t *h)
{
    sg_txn *txn = h->data;
    if (txn->is_open)
        sg_txn_flush(txn);
}

static void on_idle(uv_idle_t *h)
{
    SG_UNUSED(h); /* its being active is the point; the prepare callback commits */
}

sg_txn *sg_txn_new(uv_loop_t *loop, sg_store *st)
{
    sg_txn *txn = sg_calloc(1, sizeof *txn);
    txn->st = st;
    uv_prepare_init(loop, &txn->prep);
    txn->prep.data = txn;
    uv_prepare_start(&txn->prep, on_prepare);
    uv_idle_init(loop, &txn->idle);
    txn->idle.data = txn;
    /* Neither handle may keep the loop alive on its own. */
    uv_unref((uv_handle_t *)&txn->prep);
    uv_unref((uv_handle_t *)&txn->idle);
    return txn;
}

/* Both handles close in the same loop turn; the second callback frees. */
static void on_handle_closed(uv_handle_t *h)
{
    sg_txn *txn = h->data;
    if (--txn->open_handles > 0)
        return;
    sg_free(txn->q);
    sg_free(txn->after);
    sg_free(txn);
}

void sg_txn_free(sg_txn *txn)
{
    if (!txn)
        return;
    if (txn->is_open)
        sg_txn_flush(txn);
    txn->open_handles = 2;
    uv_close((uv_handle_t *)&txn->prep, on_handle_closed);
    uv_close((uv_handle_t *)&txn->idle, on_handle_closed);
}

int sg_txn_write(sg_txn *txn)
{
    if (txn->is_open)
        return txn->poison;
    int rc = sg_store_begin(txn->st);
    if (rc < 0) {
        sg_log_error("cannot begin a store transaction: %s", sg_strerror(rc));
        return rc;
    }
    txn->is_open = true;
    txn->poison = 0;
    if (txn->in_flush)
        uv_idle_start(&txn->idle, on_idle);
    return 0;
}

void sg_txn_poison(sg_txn *txn, int err)
{
    sg_assert(err < 0);
    if (txn->is_open && !txn->poison)
        txn->poison = err;
}

bool sg_txn_is_open(const sg_txn *txn)
{
    return txn->is_open;
}

void sg_txn_on_commit(sg_txn *txn, sg_txn_done_fn fn, void *ud)
{
    if (!txn->is_open) {
        fn(ud, 0);
        return;
    }
    if (txn->n_q == txn->cap_q) {
        txn->cap_q = txn->cap_q ? txn->cap_q * 2 : 64;
        txn->q = sg_realloc(txn->q, txn->cap_q * sizeof *txn->q);
    }
    txn->q[txn->n_q++] = (pending){ fn, ud };
}

void sg_txn_after_flush(sg_txn *txn, void (*fn)(void *ud), void *ud)
{
    if (!txn->is_open) {
        fn(ud);
        return;
    }
    if (txn->n_after == txn->cap_after) {
        txn->cap_after = txn->cap_after ? txn->cap_after * 2 : 8;
        txn->after = sg_realloc(txn->after, txn->cap_after * sizeof *txn->after);
    }
    txn->after[txn->n_after++] = (after){ fn, ud };
}

int sg_txn_flush(sg_txn *txn)
{
    if (!txn->is_open)
        return 0;
    uv_idle_stop(&txn->idle);
    int rc = txn->poison;
    uint64_t t0 = uv_hrtime();
    if (rc < 0) {
        sg_store_rollback(txn->st);
    } else {
        rc = sg_store_commit(txn->st);
        if (rc < 0)
            sg_log_error("store commit failed, %zu reply(ies) will report it: %s", txn->n_q,
                         sg_strerror(rc));
        else
            txn->commits++;
    }
    sg_metrics_commit(txn->n_q, (double)(uv_hrtime() - t0) / 1e9, rc == 0);
    txn->is_open = false;
    txn->poison = 0;
    /* Completions may open the next batch; take the queue first so they append to a new one. */
    pending *q = txn->q;
    size_t n = txn->n_q;
    txn->q = NULL;
    txn->n_q = txn->cap_q = 0;
    after *af = txn->after;
    size_t n_af = txn->n_after;
    txn->after = NULL;
    txn->n_after = txn->cap_after = 0;
    bool nested = txn->in_flush;
    txn->in_flush = true;
    for (size_t i = 0; i < n; i++)
        q[i].fn(q[i].ud, rc);
    sg_free(q);
    for (size_t i = 0; i < n_af; i++)
        af[i].fn(af[i].ud);
    sg_free(af);
    txn->in_flush = nested;
    return rc;
}

uint64_t sg_txn_commit_count(const sg_txn *txn)
{
    return txn->commits;
}
