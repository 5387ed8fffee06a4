/* SPDX-License-Identifier: Apache-2.0 */
/* fe_batch.c: StartBatchOperation, DescribeBatchOperation, ListBatchOperations and
 * StopBatchOperation — one operation (terminate, cancel, signal, delete) applied to every run a
 * visibility query matches, or to a list of executions.
 *
 * Design note. A job of up to MAX_SYNC runs is carried out inside the call: each run's
 * operation goes through the engine as its own RPC would, all of them and the job's record join
 * the same group-commit batch, and the reply waits for that batch. So a job is durable with
 * every effect or not at all, and the runs it reaches are exactly those whose visibility rows
 * matched when it started (rows committed before the call). Signals carry a request id per job
 * and run, so a run hears a job's signal once. A larger job is recorded RUNNING and carried out
 * in the background by the batch runner (batch/runner.c), at a rate, resumable after a
 * restart; as in Temporal, one such job runs at a time per namespace. */
#include "rpc/handlers.h"

#include "batch/batch.h"
#include "batch/runner.h"
#include "core/clock.h"
#include "core/pbwire.h"
#include "history/pbutil.h"
#include "visibility/visibility.h"

#include <stdio.h>
#include <string.h>

#define MAX_SYNC SG_BATCH_MAX_SYNC

/* `executions` is deprecated in favour of `target_executions` (another message type, for the
 * generic executions of later servers); clients still send it, so it is read here, and only
 * here. */
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"

typedef Temporal__Api__Workflowservice__V1__StartBatchOperationRequest start_req;

/* The runs a job acts on: its executions, or what its query matches; for a query matching more
 * than MAX_SYNC runs, only *n = MAX_SYNC + 1 (a job for the background, which pages itself). */
static int targets(sg_call *call, const char *ns_id, const start_req *req,
                   Temporal__Api__Common__V1__WorkflowExecution ***out, size_t *n)
{
    *out = NULL;
    *n = 0;
    if (req->n_executions) {
        /* Checked as each run's own RPC would check it, before anything is done. */
        for (size_t i = 0; i < req->n_executions; i++)
            if (!sg_fe_check_execution(call, req->executions[i]) ||
                !sg_fe_check_id(call, req->executions[i]->run_id, "RunId", true))
                return SG_EINVAL;
        *out = req->executions;
        *n = req->n_executions;
        return 0;
    }
    sg_buf rows;
    sg_buf_init(&rows);
    ProtobufCBinaryData next;
    const char *err;
    sg_visibility *vis = sg_frontend_visibility(call->fe);
    int rc = sg_visibility_list(vis, call->arena, ns_id, req->visibility_query, MAX_SYNC, NULL,
                                &rows, &next, &err);
    if (rc == 0 && next.len) {
        /* A page holds at most MAX_SYNC runs: one more tells a job for the background. */
        sg_buf more;
        sg_buf_init(&more);
        ProtobufCBinaryData after = next;
        rc = sg_visibility_list(vis, call->arena, ns_id, req->visibility_query, 1, &after, &more,
                                &next, &err);
        if (rc == 0 && more.len)
            *n = MAX_SYNC + 1;
        sg_buf_deinit(&more);
        if (*n) {
            sg_buf_deinit(&rows);
            return 0;
        }
    }
    if (rc < 0) {
        sg_buf_deinit(&rows);
        sg_call_fail(call, rc, "%s", err ? err : "cannot list workflows");
        return rc;
    }
    /* The rows are a ListWorkflowExecutionsResponse's executions field as stored. */
    Temporal__Api__Workflowservice__V1__ListWorkflowExecutionsResponse *page =
        (void *)protobuf_c_message_unpack(
            &temporal__api__workflowservice__v1__list_workflow_executions_response__descriptor,
            &call->arena->pb, rows.len, sg_buf_head(&rows));
    sg_buf_deinit(&rows);
    if (!page) {
        sg_call_fail(call, SG_ECORRUPT, "cannot read the visibility rows");
        return SG_ECORRUPT;
    }
    *out = sg_arena_alloc(call->arena, (page->n_executions + 1) * sizeof **out);
    for (size_t i = 0; i < page->n_executions; i++)
        if (page->executions[i]->execution)
            (*out)[(*n)++] = page->executions[i]->execution;
    return 0;
}

/* A job of more runs than the call handles: recorded RUNNING with the number of runs it will
 * act on (as counted now), then carried out by the runner once this batch commits. */
static void start_background(sg_call *call, const char *ns_id, const start_req *req)
{
    sg_batch_runner *r = sg_frontend_batch_runner(call->fe);
    if (sg_batch_runner_count(r, ns_id) > 0) {
        sg_call_fail(call, SG_ELIMIT, "Max concurrent batch operations is reached");
        return;
    }
    int64_t total = (int64_t)req->n_executions;
    const char *why = NULL;
    if (!total) {
        bool grouped;
        int64_t by_status[9];
        int rc = sg_visibility_count(sg_frontend_visibility(call->fe), call->arena, ns_id,
                                     req->visibility_query, &total, &grouped, by_status, &why);
        if (rc < 0) {
            sg_call_fail(call, rc, "%s", why ? why : "cannot count the workflows");
            return;
        }
    }
    sg_txn *txn = sg_frontend_txn(call->fe);
    int rc = sg_txn_write(txn);
    if (rc == 0)
        rc = sg_batch_runner_start(r, call->arena, ns_id, req, total, sg_clock_now_ms(), &why);
    if (rc < 0) {
        if (rc != SG_EEXIST && rc != SG_EINVAL)
            sg_txn_poison(txn, rc);
        if (rc == SG_EEXIST)
            sg_call_fail(call, rc, "batch operation %s already exists", req->job_id);
        else
            sg_call_fail(call, rc, "%s", why ? why : "cannot record the batch operation");
        return;
    }
    Temporal__Api__Workflowservice__V1__StartBatchOperationResponse out =
        TEMPORAL__API__WORKFLOWSERVICE__V1__START_BATCH_OPERATION_RESPONSE__INIT;
    sg_call_reply(call, &out.base);
}

void sg_fe_start_batch_operation(sg_call *call, const ProtobufCMessage *m)
{
    const start_req *req = (const void *)m;
    char *ns_id = sg_fe_namespace_id(call, req->namespace_);
    if (!ns_id || !sg_fe_check_id(call, req->job_id, "JobId", false))
        return;
    if (!req->reason || !*req->reason) {
        sg_call_fail(call, SG_EINVAL, "Reason is not set on request.");
        return;
    }
    bool has_query = req->visibility_query && *req->visibility_query;
    if (has_query == (req->n_executions > 0)) {
        sg_call_fail(call, SG_EINVAL, "Exactly one of visibility query and executions must be set "
                                      "on request.");
        return;
    }
    if (req->n_target_executions) {
        sg_call_fail(call, SG_ENOTSUP, "target_executions is not supported by Sandglass "
                                              "yet; use executions or a visibility query");
        return;
    }
    if (!sg_batch_op_type(req)) {
        sg_call_fail(call, SG_ENOTSUP, "this batch operation type is not supported by "
                                              "Sandglass yet (terminate, cancel, signal, delete "
                                              "and reset are)");
        return;
    }
    if (req->operation_case ==
            TEMPORAL__API__WORKFLOWSERVICE__V1__START_BATCH_OPERATION_REQUEST__OPERATION_SIGNAL_OPERATION &&
        !sg_fe_check_id(call, req->signal_operation->signal, "SignalName", false))
        return;
    if (req->operation_case ==
        TEMPORAL__API__WORKFLOWSERVICE__V1__START_BATCH_OPERATION_REQUEST__OPERATION_RESET_OPERATION) {
        const Temporal__Api__Batch__V1__BatchOperationReset *r = req->reset_operation;
        if (r->n_post_reset_operations) {
            sg_call_fail(call, SG_ENOTSUP, "post-reset operations are not supported by Sandglass yet");
            return;
        }
        if (r->options && r->options->target_case ==
                              TEMPORAL__API__COMMON__V1__RESET_OPTIONS__TARGET_BUILD_ID) {
            sg_call_fail(call, SG_ENOTSUP, "reset to a build id is not supported by Sandglass yet");
            return;
        }
        if (r->options ? r->options->target_case == TEMPORAL__API__COMMON__V1__RESET_OPTIONS__TARGET__NOT_SET
                       : r->reset_type == TEMPORAL__API__ENUMS__V1__RESET_TYPE__RESET_TYPE_UNSPECIFIED) {
            sg_call_fail(call, SG_EINVAL, "Reset options or reset type must be set on request.");
            return;
        }
    }
    sg_batch *b = sg_frontend_batch(call->fe);
    sg_batch_rec *existing;
    if (sg_batch_get(b, call->arena, ns_id, req->job_id, &existing) == 0) {
        sg_call_fail(call, SG_EEXIST, "batch operation %s already exists", req->job_id);
        return;
    }
    Temporal__Api__Common__V1__WorkflowExecution **runs;
    size_t n;
    if (targets(call, ns_id, req, &runs, &n) < 0)
        return;
    if (n > MAX_SYNC) {
        start_background(call, ns_id, req);
        return;
    }
    int64_t start_ms = sg_clock_now_ms();
    int64_t done = 0, failed = 0;
    for (size_t i = 0; i < n; i++) {
        const char *why;
        if (sg_batch_apply(sg_frontend_engine(call->fe), call->arena, ns_id, req, runs[i], &why) < 0)
            failed++;
        else
            done++;
    }
    sg_batch_rec rec = TEMPORAL__API__WORKFLOWSERVICE__V1__DESCRIBE_BATCH_OPERATION_RESPONSE__INIT;
    rec.operation_type = (Temporal__Api__Enums__V1__BatchOperationType)sg_batch_op_type(req);
    rec.job_id = req->job_id;
    rec.state = TEMPORAL__API__ENUMS__V1__BATCH_OPERATION_STATE__BATCH_OPERATION_STATE_COMPLETED;
    rec.start_time = sg_ts_ms(call->arena, start_ms);
    rec.close_time = sg_ts_ms(call->arena, sg_clock_now_ms());
    rec.total_operation_count = (int64_t)n;
    rec.complete_operation_count = done;
    rec.failure_operation_count = failed;
    rec.identity = (char *)sg_batch_op_identity(req);
    rec.reason = req->reason;
    rec.query = has_query ? req->visibility_query : "";
    sg_txn *txn = sg_frontend_txn(call->fe);
    int rc = sg_txn_write(txn);
    if (rc == 0)
        rc = sg_batch_save(b, ns_id, &rec, NULL);
    if (rc < 0) {
        if (rc != SG_EEXIST)
            sg_txn_poison(txn, rc);
        sg_call_fail(call, rc, rc == SG_EEXIST ? "batch operation %s already exists"
                                               : "cannot record batch operation %s", req->job_id);
        return;
    }
    Temporal__Api__Workflowservice__V1__StartBatchOperationResponse out =
        TEMPORAL__API__WORKFLOWSERVICE__V1__START_BATCH_OPERATION_RESPONSE__INIT;
    sg_call_reply(call, &out.base);
}

/* The job a Describe or Stop names: its record, or NULL once the call has been answered. */
static sg_batch_rec *load_job(sg_call *call, const char *namespace_name, const char *job_id)
{
    char *ns_id = sg_fe_namespace_id(call, namespace_name);
    if (!ns_id || !sg_fe_check_id(call, job_id, "JobId", false))
        return NULL;
    sg_batch_rec *rec;
    int rc = sg_batch_get(sg_frontend_batch(call->fe), call->arena, ns_id, job_id, &rec);
    if (rc < 0) {
        sg_call_fail(call, rc, rc == SG_ENOTFOUND ? "batch operation %s not found"
                                                  : "cannot read batch operation %s", job_id);
        return NULL;
    }
    return rec;
}

void sg_fe_describe_batch_operation(sg_call *call, const ProtobufCMessage *m)
{
    const Temporal__Api__Workflowservice__V1__DescribeBatchOperationRequest *req = (const void *)m;
    sg_batch_rec *rec = load_job(call, req->namespace_, req->job_id);
    if (rec)
        sg_call_reply(call, &rec->base);
}

void sg_fe_list_batch_operations(sg_call *call, const ProtobufCMessage *m)
{
    const Temporal__Api__Workflowservice__V1__ListBatchOperationsRequest *req = (const void *)m;
    char *ns_id = sg_fe_namespace_id(call, req->namespace_);
    if (!ns_id)
        return;
    Temporal__Api__Workflowservice__V1__ListBatchOperationsResponse out =
        TEMPORAL__API__WORKFLOWSERVICE__V1__LIST_BATCH_OPERATIONS_RESPONSE__INIT;
    int rc = sg_batch_list(sg_frontend_batch(call->fe), call->arena, ns_id, req->page_size,
                           &req->next_page_token, &out);
    if (rc < 0) {
        sg_call_fail(call, rc, rc == SG_EINVAL ? "invalid next_page_token" : "cannot list batch operations");
        return;
    }
    sg_call_reply(call, &out.base);
}

void sg_fe_stop_batch_operation(sg_call *call, const ProtobufCMessage *m)
{
    const Temporal__Api__Workflowservice__V1__StopBatchOperationRequest *req = (const void *)m;
    if (!req->reason || !*req->reason) {
        sg_call_fail(call, SG_EINVAL, "Reason is not set on request.");
        return;
    }
    if (!load_job(call, req->namespace_, req->job_id))
        return;
    char *ns_id = sg_fe_namespace_id(call, req->namespace_);
    sg_txn *txn = sg_frontend_txn(call->fe);
    int rc = sg_txn_write(txn);
    if (rc == 0)
        rc = sg_batch_runner_stop(sg_frontend_batch_runner(call->fe), ns_id, req->job_id);
    if (rc == SG_ENOTFOUND) {
        sg_call_fail(call, SG_EPRECOND, "batch operation %s has already completed", req->job_id);
        return;
    }
    if (rc < 0) {
        sg_call_fail(call, rc, "cannot stop batch operation %s", req->job_id);
        return;
    }
    Temporal__Api__Workflowservice__V1__StopBatchOperationResponse out =
        TEMPORAL__API__WORKFLOWSERVICE__V1__STOP_BATCH_OPERATION_RESPONSE__INIT;
    sg_call_reply(call, &out.base);
}
