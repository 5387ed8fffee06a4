/* SPDX-License-Identifier: Apache-2.0 */
/* txn.h: group commit — every write made during one event-loop iteration goes into a single
 * store transaction, committed just before the loop sleeps; only then do completions run
 * (and with them the replies), so an acknowledged write is always durable.
 *
 * Usage by a handler: rc = sg_txn_write(txn) before its first store write; if any of its writes
 * fails, sg_txn_poison(txn, rc) so the whole batch is rolled back; queue the reply with
 * sg_txn_on_commit. Validation happens before writing, so expected conflicts never poison.
 *
 * Completions only record outcomes (queue a reply, note the tasks and wake-ups a commit
 * released); work those outcomes cause runs in one pass afterwards, from the sg_txn_after_flush
 * callbacks, so no operation ever starts inside another's commit hook. Work that writes again
 * opens the next batch, which is committed on the next loop turn without waiting for I/O. */
#ifndef SG_TXN_H
#define SG_TXN_H

#include "store/store.h"

#include <uv.h>

typedef struct sg_txn sg_txn;

/* Runs after the batch's fate is known: status 0 when committed, else SG_EIO/SG_EBUSY/SG_ELIMIT
 * (nothing of the batch was kept). */
typedef void (*sg_txn_done_fn)(void *ud, int status);

/* Creates the batcher on loop over st (borrowed; must outlive the txn). */
sg_txn *sg_txn_new(uv_loop_t *loop, sg_store *st);
/* Commits any open batch (running its completions), then frees. Safe with NULL. The loop must
 * run once more to close the internal handle; sg_txn_free arranges that the memory is released
 * in the close callback. */
void sg_txn_free(sg_txn *txn);
/* Opens the iteration's transaction if not yet open. Returns 0 or the begin error. */
int sg_txn_write(sg_txn *txn);
/* Marks the open batch as failed: it will be rolled back and every completion gets err. */
void sg_txn_poison(sg_txn *txn, int err);
/* True while a batch is open (replies must wait for its commit). */
bool sg_txn_is_open(const sg_txn *txn);
/* Queues fn(ud, status) for the end of the open batch; if none is open, runs it at once with 0. */
void sg_txn_on_commit(sg_txn *txn, sg_txn_done_fn fn, void *ud);
/* Queues fn(ud) to run once, after every completion of the open batch has run (committed or
 * not); if no batch is open, runs it at once. For the pass that acts on what completions
 * recorded (tasks to hand out, long polls to wake). */
void sg_txn_after_flush(sg_txn *txn, void (*fn)(void *ud), void *ud);
/* Ends the open batch now (tests and shutdown); returns the commit status. */
int sg_txn_flush(sg_txn *txn);
/* Commits so far (for tests and benchmarks: replies per commit). */
uint64_t sg_txn_commit_count(const sg_txn *txn);

#endif
