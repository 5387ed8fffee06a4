/* SPDX-License-Identifier: Apache-2.0 */
/* runner.h: carrying out batch operations (runner.c) — one run's operation through the engine,
 * used alike by jobs done inside their StartBatchOperation call and by background jobs, which
 * the runner paces, records after every slice and resumes after a restart. */
#ifndef SG_BATCH_RUNNER_H
#define SG_BATCH_RUNNER_H

#include "batch/batch.h"
#include "history/engine.h"
#include "store/txn.h"
#include "visibility/visibility.h"

#include <uv.h>

typedef Temporal__Api__Workflowservice__V1__StartBatchOperationRequest sg_batch_req;
typedef struct sg_batch_runner sg_batch_runner;

typedef struct sg_batch_runner_deps {
    uv_loop_t *loop;
    sg_txn *txn;
    sg_engine *engine;
    sg_visibility *visibility;
    sg_batch *batch;
    /* Operations per second of a job that asks for none, and the most any job gets
     * (Temporal's worker.batcherRPS, 50 by default). */
    double max_rps;
} sg_batch_runner_deps;

/* Borrows every dependency; they must outlive the runner. */
sg_batch_runner *sg_batch_runner_new(const sg_batch_runner_deps *deps);
/* Frees the jobs in memory (their progress is stored). Call after the last batch committed. */
void sg_batch_runner_free(sg_batch_runner *r);
/* Loads every job a previous process left running and goes on with them. Returns their
 * number or a store error. */
int sg_batch_runner_recover(sg_batch_runner *r);

/* The BatchOperationType of a request (0: an operation Sandglass does not run), and the
 * identity its operation names (never NULL). */
int sg_batch_op_type(const sg_batch_req *req);
const char *sg_batch_op_identity(const sg_batch_req *req);

/* One run's operation, through the engine as its own RPC would go: a signal or cancel carries
 * the request id "batch:<job>:<run>", so a run hears a job once; a reset goes back to the
 * run's first or last completed workflow task. < 0 when it could not be done (*why, in a,
 * says why, or is NULL). */
int sg_batch_apply(sg_engine *e, sg_arena *a, const char *namespace_id, const sg_batch_req *req,
                   Temporal__Api__Common__V1__WorkflowExecution *we, const char **why);

/* The most runs a job acts on inside its StartBatchOperation call; larger ones run here. */
#define SG_BATCH_MAX_SYNC 1000

/* Background jobs running in the namespace (Temporal allows one at a time per namespace). */
int sg_batch_runner_count(const sg_batch_runner *r, const char *namespace_id);
/* Records a background job (state RUNNING, total runs to act on as counted now) in the open
 * batch, which the caller has written to; the job begins once that batch commits, and is
 * forgotten if it does not. req is copied. SG_EEXIST for a job id taken; SG_EINVAL (*why, in
 * a) for a query the job cannot page through. */
int sg_batch_runner_start(sg_batch_runner *r, sg_arena *a, const char *namespace_id,
                          const sg_batch_req *req, int64_t total, int64_t start_ms, const char **why);
/* Ends a running job (state FAILED, as Temporal reports a stopped job) in the open batch.
 * SG_ENOTFOUND if no job of that id is running. */
int sg_batch_runner_stop(sg_batch_runner *r, const char *namespace_id, const char *job_id);

#endif
