/* SPDX-License-Identifier: Apache-2.0 */
/* op.h: the operation context (op.c): load, declare written, commit or abort, end. */
#ifndef SG_HISTORY_OP_H
#define SG_HISTORY_OP_H

#include "history/hist.h"

typedef struct sg_external sg_external;
typedef struct sg_child_start sg_child_start;
struct sg_op {
    sg_engine *e;
    sg_arena *a;
    sg_exec **runs; /* in the order they joined (arena) */
    size_t n_runs, cap_runs;
    /* Signals and cancels this operation's commands send to other runs (external.c). */
    sg_external *externals;
    size_t n_externals, cap_externals;
    /* Child workflows this operation's commands start (child.c). */
    sg_child_start *child_starts;
    size_t n_child_starts, cap_child_starts;
};
void sg_op_begin(sg_op *op, sg_engine *e, sg_arena *a);
/* Loads a run into the operation (from the cache or the store). SG_ENOTFOUND, SG_ECORRUPT,
 * store errors. */
int sg_op_load(sg_op *op, const char *namespace_id, const char *run_id, sg_exec **out);
/* The same; an empty run_id means the workflow's current run. */
int sg_op_load_current(sg_op *op, const char *namespace_id, const char *workflow_id,
                    const char *run_id, sg_exec **out);
/* Declares that the operation is about to change x: saved at commit, reloaded at abort. */
void sg_op_write(sg_op *op, sg_exec *x);
/* A new run (takes ms), written by this operation. */
sg_exec *sg_op_new_run(sg_op *op, ms_t *ms);
/* Saves every written run in order (callers use sg_op_commit, commit.h, which first carries
 * closes to parents and children) (scheduling a workflow task where one is needed). Returns
 * 0 or the first store error (the batch is then poisoned and every written run reset). The
 * runs stay loaded until sg_op_end. */
int sg_op_save(sg_op *op);
/* Every written run returns to its stored state; created runs are dropped. Returns 0 or a
 * store error. The operation stays usable (write again, then commit). */
int sg_op_abort(sg_op *op);
/* Ends the operation: rc < 0 aborts what is still written; then releases every run. Returns
 * rc (or the abort's store error in place of SG_EINVAL). */
int sg_op_end(sg_op *op, int rc);


/* Earliest time something of the run is due (its wake-up), or 0. */
int64_t sg_op_next_wakeup(const sg_exec *x);
/* Creates the run that continues closed run x as new (saved after x). */
void sg_op_start_continued(sg_op *op, sg_exec *x,
                           const Temporal__Api__Command__V1__ContinueAsNewWorkflowExecutionCommandAttributes *in,
                           const char *new_run_id);
/* Creates the next cron run of closed run x (saved after x). */
void sg_op_start_cron(sg_op *op, sg_exec *x, const pb_payloads *result, const pb_failure *f,
                      int64_t delay_ms, const char *new_run_id);
/* Creates the retry run of closed run x in op (saved after x). */
void sg_op_start_retry(sg_op *op, sg_exec *x, const pb_failure *f, int64_t delay_ms,
                    const char *new_run_id);
#endif
