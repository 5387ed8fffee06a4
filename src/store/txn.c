/* SPDX-License-Identifier: Apache-2.0 */
/* txn.c: group commit on a uv_prepare handle, the loop's "before sleep" point.
 *
 * One batch is open at a time. Writes from any number of handlers accumulate in it; the
 * prepare callback, which libuv runs right before blocking for I/O, commits (one fsync for the
 * whole iteration) and then runs the queued completions in order. A poisoned batch or a failed
 * commit rolls back and hands every completion the error, so nothing in it is acknowledged.
 * Completions queued while completions run (a reply that triggers more work) open a new batch
 * on the next write and are handled on the next iteration. */
#include "store/txn.h"

#include "core/log.h"

typedef struct pending {
    sg_txn_done_fn fn;
    void *ud;
} pending;

struct sg_txn {
    uv_prepare_t prep;
    sg_store *st;
    bool is_open;
    int poison;
    pending *q;
    size_t n_q, cap_q;
    uint64_t commits;
};

static void on_prepare(uv_prepare_t *h)
{
    sg_txn *txn = h->data;
    if (txn->is_open)
        sg_txn_flush(txn);
}

sg_txn *sg_txn_new(uv_loop_t *loop, sg_store *st)
{
    sg_txn *txn = sg_calloc(1, sizeof *txn);
    txn->st = st;
    uv_prepare_init(loop, &txn->prep);
    txn->prep.data = txn;
    uv_prepare_start(&txn->prep, on_prepare);
    /* The prepare handle must not keep the loop alive on its own. */
    uv_unref((uv_handle_t *)&txn->prep);
    return txn;
}

static void on_closed(uv_handle_t *h)
{
    sg_txn *txn = h->data;
    sg_free(txn->q);
    sg_free(txn);
}

void sg_txn_free(sg_txn *txn)
{
    if (!txn)
        return;
    if (txn->is_open)
        sg_txn_flush(txn);
    uv_close((uv_handle_t *)&txn->prep, on_closed);
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

int sg_txn_flush(sg_txn *txn)
{
    if (!txn->is_open)
        return 0;
    int rc = txn->poison;
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
    txn->is_open = false;
    txn->poison = 0;
    /* Completions may open the next batch; take the queue first so they append to a new one. */
    pending *q = txn->q;
    size_t n = txn->n_q;
    txn->q = NULL;
    txn->n_q = txn->cap_q = 0;
    for (size_t i = 0; i < n; i++)
        q[i].fn(q[i].ud, rc);
    sg_free(q);
    return rc;
}

uint64_t sg_txn_commit_count(const sg_txn *txn)
{
    return txn->commits;
}
