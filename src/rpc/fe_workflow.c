/* SPDX-License-Identifier: Apache-2.0 */
/* fe_workflow.c: StartWorkflowExecution, GetWorkflowExecutionHistory(+Reverse) and
 * DescribeWorkflowExecution — validation and replies; the work is the engine's.
 *
 * History replies are assembled by packing the response without its history and appending
 * the engine's History bytes as the history field, so stored event batches reach the client
 * without being decoded. GetWorkflowExecutionHistory with wait_new_event parks on an engine
 * watch plus a timer (20 s, Temporal's long-poll interval, less near the caller's deadline);
 * handle.result() rides on that with the close-event filter. */
#include "rpc/handlers.h"
#include "visibility/attrs.h"
#include "rpc/longpoll.h"

#include "core/clock.h"
#include "core/cron.h"
#include "core/log.h"

#include "temporal/api/errordetails/v1/message.pb-c.h"

#include <string.h>

#define HISTORY_LONG_POLL_MS 20000

bool sg_fe_check_id(sg_call *call, const char *value, const char *what, bool may_be_empty)
{
    if (!value || (!*value && !may_be_empty)) {
        sg_call_fail(call, SG_EINVAL, "%s is not set on request.", what);
        return false;
    }
    if (strlen(value) > SG_MAX_ID_LEN) {
        sg_call_fail(call, SG_EINVAL, "%s exceeds length limit.", what);
        return false;
    }
    return true;
}

bool sg_fe_check_execution(sg_call *call, const Temporal__Api__Common__V1__WorkflowExecution *we)
{
    if (!we) {
        sg_call_fail(call, SG_EINVAL, "Execution is not set on request.");
        return false;
    }
    return sg_fe_check_id(call, we->workflow_id, "WorkflowId", false);
}

/* Temporal's blob size limit (limit.blobSize.error, 2 MiB) on a request's payloads. */
#define BLOB_LIMIT_BYTES (2u * 1024 * 1024)

static bool check_blob(sg_call *call, const Temporal__Api__Common__V1__Payloads *p)
{
    if (p && protobuf_c_message_get_packed_size(&p->base) > BLOB_LIMIT_BYTES) {
        sg_call_fail(call, SG_EINVAL, "Blob data size exceeds limit.");
        return false;
    }
    return true;
}

char *sg_fe_namespace_id(sg_call *call, const char *name)
{
    sg_namespace_rec rec;
    if (sg_fe_namespace_resolve(call, name, &rec) < 0)
        return NULL;
    char *id = sg_arena_strdup(call->arena, rec.id);
    sg_namespace_rec_deinit(&rec);
    return id;
}

static bool check_duration(sg_call *call, const Google__Protobuf__Duration *d, const char *what)
{
    if (d && (d->seconds < 0 || d->nanos < 0)) {
        sg_call_fail(call, SG_EINVAL, "Invalid %s.", what);
        return false;
    }
    return true;
}

typedef struct attr_ctx {
    sg_call *call;
    const char *namespace_id;
} attr_ctx;

static int registered_type(void *ud, const char *name)
{
    attr_ctx *c = ud;
    int type;
    return sg_registry_search_attr_get(sg_frontend_registry(c->call->fe), c->namespace_id, name,
                                       &type) == 0
               ? type
               : 0;
}

/* Search attributes at a start: registered (or predefined) and of their type, as Temporal
 * checks them. */
bool sg_fe_check_search_attributes(sg_call *call, const char *namespace_id,
                                   const Temporal__Api__Common__V1__SearchAttributes *sa)
{
    attr_ctx c = { call, namespace_id };
    const char *bad = sg_vis_check_attrs(call->arena, sa, registered_type, &c);
    if (bad) {
        sg_call_fail(call, SG_EINVAL, "%s", bad);
        return false;
    }
    return true;
}

/* Legacy cron: a schedule Temporal's parser reads (UTC), never with a start delay. */
static bool check_cron(sg_call *call, const char *cron, const Google__Protobuf__Duration *delay)
{
    if (!*cron)
        return true;
    sg_cron c;
    const char *why;
    int rc = sg_cron_parse(cron, &c, &why);
    if (rc < 0) {
        sg_call_fail(call, rc, "Invalid CronSchedule: %s.", why);
        return false;
    }
    if (delay && (delay->seconds || delay->nanos)) {
        sg_call_fail(call, SG_EINVAL, "CronSchedule and WorkflowStartDelay may not be used together.");
        return false;
    }
    return true;
}

void sg_fe_start_workflow_execution(sg_call *call, const ProtobufCMessage *m)
{
    const Temporal__Api__Workflowservice__V1__StartWorkflowExecutionRequest *req = (const void *)m;
    char *ns_id = sg_fe_namespace_id(call, req->namespace_);
    if (!ns_id)
        return;
    if (!sg_fe_check_id(call, req->workflow_id, "WorkflowId", false) ||
        !sg_fe_check_id(call, req->workflow_type ? req->workflow_type->name : NULL,
                        "WorkflowType", false) ||
        !sg_fe_check_id(call, req->task_queue ? req->task_queue->name : NULL, "TaskQueue", false) ||
        !sg_fe_check_id(call, req->request_id, "RequestId", true) ||
        !sg_fe_check_id(call, req->identity, "Identity", true))
        return;
    if (!check_duration(call, req->workflow_execution_timeout, "WorkflowExecutionTimeout") ||
        !check_duration(call, req->workflow_run_timeout, "WorkflowRunTimeout") ||
        !check_duration(call, req->workflow_task_timeout, "WorkflowTaskTimeout"))
        return;
    if (!check_cron(call, req->cron_schedule, req->workflow_start_delay) ||
        !sg_fe_check_search_attributes(call, ns_id, req->search_attributes))
        return;
    if (!check_duration(call, req->workflow_start_delay, "WorkflowStartDelay") ||
        !check_blob(call, req->input))
        return;
    if (req->n_completion_callbacks) {
        sg_call_fail(call, SG_ENOTSUP, "completion callbacks are not supported by Sandglass yet");
        return;
    }
    Temporal__Api__Workflowservice__V1__StartWorkflowExecutionResponse resp =
        TEMPORAL__API__WORKFLOWSERVICE__V1__START_WORKFLOW_EXECUTION_RESPONSE__INIT;
    sg_engine_err err = { 0 };
    int rc = sg_engine_start_workflow(sg_frontend_engine(call->fe), call->arena, ns_id,
                                      req->namespace_, req, &resp, &err);
    if (rc == SG_EEXIST) {
        Temporal__Api__Errordetails__V1__WorkflowExecutionAlreadyStartedFailure d =
            TEMPORAL__API__ERRORDETAILS__V1__WORKFLOW_EXECUTION_ALREADY_STARTED_FAILURE__INIT;
        d.start_request_id = err.existing_request_id;
        d.run_id = err.existing_run_id;
        sg_call_fail_detail(call, rc, &d.base, "%s", err.message);
        return;
    }
    if (rc < 0) {
        sg_call_fail(call, rc, "%s", err.message ? err.message : "cannot start the workflow");
        return;
    }
    sg_call_reply(call, &resp.base);
}

/* Answers an engine error of a call that talks to a run (signal, cancel, terminate). */
static void fail_talk(sg_call *call, int rc, const sg_engine_err *err, const char *what)
{
    if (rc == SG_ENOTFOUND) {
        Temporal__Api__Errordetails__V1__NotFoundFailure d =
            TEMPORAL__API__ERRORDETAILS__V1__NOT_FOUND_FAILURE__INIT;
        sg_call_fail_detail(call, rc, &d.base, "%s", err->message ? err->message : "not found");
        return;
    }
    sg_call_fail(call, rc, "%s", err->message ? err->message : what);
}

/* The end of a handler whose success reply is an empty message (all defaults: no bytes). */
static void answer_empty(sg_call *call, int rc, const sg_engine_err *err, const char *what)
{
    if (rc < 0)
        fail_talk(call, rc, err, what);
    else
        sg_call_reply_bytes(call, NULL, 0);
}

void sg_fe_signal_workflow_execution(sg_call *call, const ProtobufCMessage *m)
{
    const Temporal__Api__Workflowservice__V1__SignalWorkflowExecutionRequest *req =
        (const void *)m;
    char *ns_id = sg_fe_namespace_id(call, req->namespace_);
    if (!ns_id || !sg_fe_check_execution(call, req->workflow_execution) ||
        !sg_fe_check_id(call, req->signal_name, "SignalName", false) ||
        !sg_fe_check_id(call, req->request_id, "RequestId", true) ||
        !sg_fe_check_id(call, req->identity, "Identity", true) || !check_blob(call, req->input))
        return;
    sg_engine_err err = { 0 };
    int rc = sg_engine_signal(sg_frontend_engine(call->fe), call->arena, ns_id, req, &err);
    answer_empty(call, rc, &err, "cannot signal the workflow");
}

void sg_fe_signal_with_start_workflow_execution(sg_call *call, const ProtobufCMessage *m)
{
    const Temporal__Api__Workflowservice__V1__SignalWithStartWorkflowExecutionRequest *req =
        (const void *)m;
    char *ns_id = sg_fe_namespace_id(call, req->namespace_);
    if (!ns_id)
        return;
    if (!sg_fe_check_id(call, req->workflow_id, "WorkflowId", false) ||
        !sg_fe_check_id(call, req->workflow_type ? req->workflow_type->name : NULL,
                        "WorkflowType", false) ||
        !sg_fe_check_id(call, req->task_queue ? req->task_queue->name : NULL, "TaskQueue", false) ||
        !sg_fe_check_id(call, req->signal_name, "SignalName", false) ||
        !sg_fe_check_id(call, req->request_id, "RequestId", true) ||
        !sg_fe_check_id(call, req->identity, "Identity", true))
        return;
    if (!check_duration(call, req->workflow_execution_timeout, "WorkflowExecutionTimeout") ||
        !check_duration(call, req->workflow_run_timeout, "WorkflowRunTimeout") ||
        !check_duration(call, req->workflow_task_timeout, "WorkflowTaskTimeout") ||
        !check_duration(call, req->workflow_start_delay, "WorkflowStartDelay") ||
        !check_blob(call, req->input) || !check_blob(call, req->signal_input))
        return;
    if (!check_cron(call, req->cron_schedule, req->workflow_start_delay) ||
        !sg_fe_check_search_attributes(call, ns_id, req->search_attributes))
        return;
    if (req->workflow_id_conflict_policy ==
        TEMPORAL__API__ENUMS__V1__WORKFLOW_ID_CONFLICT_POLICY__WORKFLOW_ID_CONFLICT_POLICY_FAIL) {
        sg_call_fail(call, SG_EINVAL,
                     "WorkflowIdConflictPolicy FAIL is not allowed for SignalWithStart: a "
                     "running workflow either takes the signal (USE_EXISTING) or is terminated "
                     "(TERMINATE_EXISTING).");
        return;
    }
    Temporal__Api__Workflowservice__V1__SignalWithStartWorkflowExecutionResponse resp =
        TEMPORAL__API__WORKFLOWSERVICE__V1__SIGNAL_WITH_START_WORKFLOW_EXECUTION_RESPONSE__INIT;
    sg_engine_err err = { 0 };
    int rc = sg_engine_signal_with_start(sg_frontend_engine(call->fe), call->arena, ns_id,
                                         req->namespace_, req, &resp, &err);
    if (rc == SG_EEXIST) {
        Temporal__Api__Errordetails__V1__WorkflowExecutionAlreadyStartedFailure d =
            TEMPORAL__API__ERRORDETAILS__V1__WORKFLOW_EXECUTION_ALREADY_STARTED_FAILURE__INIT;
        d.start_request_id = err.existing_request_id;
        d.run_id = err.existing_run_id;
        sg_call_fail_detail(call, rc, &d.base, "%s", err.message);
        return;
    }
    if (rc < 0) {
        fail_talk(call, rc, &err, "cannot signal-with-start the workflow");
        return;
    }
    sg_call_reply(call, &resp.base);
}

void sg_fe_request_cancel_workflow_execution(sg_call *call, const ProtobufCMessage *m)
{
    const Temporal__Api__Workflowservice__V1__RequestCancelWorkflowExecutionRequest *req =
        (const void *)m;
    char *ns_id = sg_fe_namespace_id(call, req->namespace_);
    if (!ns_id || !sg_fe_check_execution(call, req->workflow_execution) ||
        !sg_fe_check_id(call, req->request_id, "RequestId", true) ||
        !sg_fe_check_id(call, req->identity, "Identity", true))
        return;
    sg_engine_err err = { 0 };
    int rc = sg_engine_request_cancel(sg_frontend_engine(call->fe), call->arena, ns_id, req, &err);
    answer_empty(call, rc, &err, "cannot cancel the workflow");
}

void sg_fe_terminate_workflow_execution(sg_call *call, const ProtobufCMessage *m)
{
    const Temporal__Api__Workflowservice__V1__TerminateWorkflowExecutionRequest *req =
        (const void *)m;
    char *ns_id = sg_fe_namespace_id(call, req->namespace_);
    if (!ns_id || !sg_fe_check_execution(call, req->workflow_execution) ||
        !sg_fe_check_id(call, req->identity, "Identity", true))
        return;
    sg_engine_err err = { 0 };
    int rc = sg_engine_terminate(sg_frontend_engine(call->fe), call->arena, ns_id, req, &err);
    answer_empty(call, rc, &err, "cannot terminate the workflow");
}

void sg_fe_delete_workflow_execution(sg_call *call, const ProtobufCMessage *m)
{
    const Temporal__Api__Workflowservice__V1__DeleteWorkflowExecutionRequest *req =
        (const void *)m;
    char *ns_id = sg_fe_namespace_id(call, req->namespace_);
    if (!ns_id || !sg_fe_check_execution(call, req->workflow_execution))
        return;
    sg_engine_err err = { 0 };
    int rc = sg_engine_delete(sg_frontend_engine(call->fe), call->arena, ns_id,
                              req->workflow_execution, &err);
    answer_empty(call, rc, &err, "cannot delete the workflow");
}

void sg_fe_reset_workflow_execution(sg_call *call, const ProtobufCMessage *m)
{
    const Temporal__Api__Workflowservice__V1__ResetWorkflowExecutionRequest *req = (const void *)m;
    char *ns_id = sg_fe_namespace_id(call, req->namespace_);
    if (!ns_id || !sg_fe_check_execution(call, req->workflow_execution) ||
        !sg_fe_check_id(call, req->request_id, "RequestId", true) ||
        !sg_fe_check_id(call, req->identity, "Identity", true))
        return;
    if (req->workflow_task_finish_event_id <= 0) {
        sg_call_fail(call, SG_EINVAL, "WorkflowTaskFinishEventId is not set on request.");
        return;
    }
    sg_engine_err err = { 0 };
    Temporal__Api__Workflowservice__V1__ResetWorkflowExecutionResponse out =
        TEMPORAL__API__WORKFLOWSERVICE__V1__RESET_WORKFLOW_EXECUTION_RESPONSE__INIT;
    int rc = sg_engine_reset(sg_frontend_engine(call->fe), call->arena, ns_id, req, &out, &err);
    if (rc < 0)
        fail_talk(call, rc, &err, "cannot reset the workflow");
    else
        sg_call_reply(call, &out.base);
}

/* ---- QueryWorkflow: parked until a worker answers or the deadline ---- */

#define QUERY_WAIT_MS 60000

typedef struct query_call {
    sg_long_poll lp; /* first: the long poll's callbacks get it back as a query_call */
    sg_query *q;
} query_call;

static void query_done(void *ud, const sg_query_outcome *o)
{
    query_call *qc = ud;
    qc->q = NULL;
    if (!sg_long_poll_end(&qc->lp))
        return;
    sg_call *call = qc->lp.call;
    if (o->rc == SG_EINVAL) {
        /* The SDK raises QueryNotRegisteredError / QueryFailedError from this pair. */
        Temporal__Api__Errordetails__V1__QueryFailedFailure d =
            TEMPORAL__API__ERRORDETAILS__V1__QUERY_FAILED_FAILURE__INIT;
        d.failure = (Temporal__Api__Failure__V1__Failure *)o->failure;
        sg_call_fail_detail(call, SG_EINVAL, &d.base, "%s", o->error_message);
        return;
    }
    Temporal__Api__Workflowservice__V1__QueryWorkflowResponse resp =
        TEMPORAL__API__WORKFLOWSERVICE__V1__QUERY_WORKFLOW_RESPONSE__INIT;
    Temporal__Api__Query__V1__QueryRejected rej = TEMPORAL__API__QUERY__V1__QUERY_REJECTED__INIT;
    if (o->rejected_status) {
        rej.status = (Temporal__Api__Enums__V1__WorkflowExecutionStatus)o->rejected_status;
        resp.query_rejected = &rej;
    } else {
        resp.query_result = (Temporal__Api__Common__V1__Payloads *)o->answer;
    }
    sg_call_reply(call, &resp.base);
}

static void query_timeout(sg_long_poll *lp)
{
    query_call *qc = (query_call *)lp;
    if (qc->q) {
        sg_engine_query_cancel(sg_frontend_engine(lp->call->fe), qc->q);
        qc->q = NULL;
    }
    sg_long_poll_end(lp);
    sg_call_fail(lp->call, SG_ETIMEDOUT,
                 "query timed out: no worker answered it before the deadline (is a worker "
                 "polling the workflow's task queue?)");
}

static void query_release(sg_long_poll *lp)
{
    query_call *qc = (query_call *)lp;
    if (qc->q) {
        sg_engine_query_cancel(sg_frontend_engine(lp->call->fe), qc->q);
        qc->q = NULL;
    }
}

void sg_fe_query_workflow(sg_call *call, const ProtobufCMessage *m)
{
    const Temporal__Api__Workflowservice__V1__QueryWorkflowRequest *req = (const void *)m;
    char *ns_id = sg_fe_namespace_id(call, req->namespace_);
    if (!ns_id || !sg_fe_check_execution(call, req->execution))
        return;
    if (!req->query) {
        sg_call_fail(call, SG_EINVAL, "Query is not set on request.");
        return;
    }
    if (!sg_fe_check_id(call, req->query->query_type, "QueryType", false) ||
        !check_blob(call, req->query->query_args))
        return;
    query_call *qc = sg_arena_calloc(call->arena, sizeof *qc);
    qc->lp.call = call;
    sg_engine_err err = { 0 };
    int rc = sg_engine_query(sg_frontend_engine(call->fe), call->arena, ns_id, req, query_done, qc,
                             &qc->q, &err);
    if (rc < 0) {
        fail_talk(call, rc, &err, "cannot query the workflow");
        return;
    }
    if (qc->lp.is_done)
        return; /* answered at once (rejected) */
    sg_long_poll_start(&qc->lp, call, sg_long_poll_wait_ms(call, QUERY_WAIT_MS), query_timeout,
                       query_release);
}

void sg_fe_respond_query_task_completed(sg_call *call, const ProtobufCMessage *m)
{
    const Temporal__Api__Workflowservice__V1__RespondQueryTaskCompletedRequest *req =
        (const void *)m;
    if (!sg_fe_namespace_id(call, req->namespace_))
        return;
    sg_engine_err err = { 0 };
    int rc = sg_engine_query_task_completed(sg_frontend_engine(call->fe), call->arena, req, &err);
    answer_empty(call, rc, &err, "cannot complete the query task");
}

/* ---- UpdateWorkflowExecution / PollWorkflowExecutionUpdate: parked until the stage ---- */

/* Temporal answers an update call within ~20 s with the stage reached; the SDK asks again. */
#define UPDATE_WAIT_MS 20000

typedef struct update_call {
    sg_long_poll lp; /* first: the long poll's callbacks get it back as an update_call */
    sg_update_wait *w;
    const char *workflow_id, *update_id;
    bool is_poll; /* PollWorkflowExecutionUpdate */
    /* ExecuteMultiOperation (update-with-start): the start's answer goes first. */
    Temporal__Api__Workflowservice__V1__StartWorkflowExecutionResponse *start;
} update_call;

/* An ExecuteMultiOperation failure: the failed operation's status (with detail) and
 * "aborted" for the other, in MultiOperationExecutionFailure, as Temporal answers; the SDK
 * raises the failed operation's error. */
static void fail_multi(sg_call *call, int failed_index, int rc, const char *message,
                       const ProtobufCMessage *detail)
{
    typedef Temporal__Api__Errordetails__V1__MultiOperationExecutionFailure__OperationStatus st;
    st s0 = TEMPORAL__API__ERRORDETAILS__V1__MULTI_OPERATION_EXECUTION_FAILURE__OPERATION_STATUS__INIT;
    st s1 = TEMPORAL__API__ERRORDETAILS__V1__MULTI_OPERATION_EXECUTION_FAILURE__OPERATION_STATUS__INIT;
    st *failed = failed_index == 0 ? &s0 : &s1, *aborted = failed_index == 0 ? &s1 : &s0;
    failed->code = sg_call_grpc_status(rc);
    failed->message = (char *)message;
    Google__Protobuf__Any any = GOOGLE__PROTOBUF__ANY__INIT;
    Google__Protobuf__Any *anys[] = { &any };
    if (detail) {
        any.type_url = sg_arena_printf(call->arena, "type.googleapis.com/%s",
                                       detail->descriptor->name);
        any.value.len = protobuf_c_message_get_packed_size(detail);
        any.value.data = sg_arena_alloc(call->arena, any.value.len ? any.value.len : 1);
        protobuf_c_message_pack(detail, any.value.data);
        failed->details = anys;
        failed->n_details = 1;
    }
    aborted->code = SG_GRPC_ABORTED;
    aborted->message = "Operation was aborted.";
    st *sts[] = { &s0, &s1 };
    Temporal__Api__Errordetails__V1__MultiOperationExecutionFailure mf =
        TEMPORAL__API__ERRORDETAILS__V1__MULTI_OPERATION_EXECUTION_FAILURE__INIT;
    mf.statuses = sts;
    mf.n_statuses = 2;
    sg_call_fail_detail(call, rc, &mf.base, "Update-with-Start could not be executed: %s", message);
}

static void update_done(void *ud, const sg_update_result *r)
{
    update_call *uc = ud;
    uc->w = NULL;
    if (!sg_long_poll_end(&uc->lp))
        return;
    sg_call *call = uc->lp.call;
    if (r->rc < 0) {
        Temporal__Api__Errordetails__V1__NotFoundFailure d =
            TEMPORAL__API__ERRORDETAILS__V1__NOT_FOUND_FAILURE__INIT;
        if (uc->start)
            fail_multi(call, 1, r->rc, r->message ? r->message : "not found", NULL);
        else
            sg_call_fail_detail(call, r->rc, &d.base, "%s", r->message ? r->message : "not found");
        return;
    }
    Temporal__Api__Common__V1__WorkflowExecution we =
        TEMPORAL__API__COMMON__V1__WORKFLOW_EXECUTION__INIT;
    we.workflow_id = (char *)uc->workflow_id;
    we.run_id = (char *)r->run_id;
    Temporal__Api__Update__V1__UpdateRef ref = TEMPORAL__API__UPDATE__V1__UPDATE_REF__INIT;
    ref.workflow_execution = &we;
    ref.update_id = (char *)uc->update_id;
    Temporal__Api__Update__V1__Outcome *outcome = (Temporal__Api__Update__V1__Outcome *)r->outcome;
    Temporal__Api__Enums__V1__UpdateWorkflowExecutionLifecycleStage stage =
        (Temporal__Api__Enums__V1__UpdateWorkflowExecutionLifecycleStage)r->stage;
    if (uc->start) {
        Temporal__Api__Workflowservice__V1__UpdateWorkflowExecutionResponse ur =
            TEMPORAL__API__WORKFLOWSERVICE__V1__UPDATE_WORKFLOW_EXECUTION_RESPONSE__INIT;
        ur.update_ref = &ref;
        ur.outcome = outcome;
        ur.stage = stage;
        typedef Temporal__Api__Workflowservice__V1__ExecuteMultiOperationResponse__Response one;
        one r0 = TEMPORAL__API__WORKFLOWSERVICE__V1__EXECUTE_MULTI_OPERATION_RESPONSE__RESPONSE__INIT;
        one r1 = TEMPORAL__API__WORKFLOWSERVICE__V1__EXECUTE_MULTI_OPERATION_RESPONSE__RESPONSE__INIT;
        r0.response_case =
            TEMPORAL__API__WORKFLOWSERVICE__V1__EXECUTE_MULTI_OPERATION_RESPONSE__RESPONSE__RESPONSE_START_WORKFLOW;
        r0.start_workflow = uc->start;
        r1.response_case =
            TEMPORAL__API__WORKFLOWSERVICE__V1__EXECUTE_MULTI_OPERATION_RESPONSE__RESPONSE__RESPONSE_UPDATE_WORKFLOW;
        r1.update_workflow = &ur;
        one *rs[] = { &r0, &r1 };
        Temporal__Api__Workflowservice__V1__ExecuteMultiOperationResponse resp =
            TEMPORAL__API__WORKFLOWSERVICE__V1__EXECUTE_MULTI_OPERATION_RESPONSE__INIT;
        resp.responses = rs;
        resp.n_responses = 2;
        sg_call_reply(call, &resp.base);
    } else if (uc->is_poll) {
        Temporal__Api__Workflowservice__V1__PollWorkflowExecutionUpdateResponse resp =
            TEMPORAL__API__WORKFLOWSERVICE__V1__POLL_WORKFLOW_EXECUTION_UPDATE_RESPONSE__INIT;
        resp.update_ref = &ref;
        resp.outcome = outcome;
        resp.stage = stage;
        sg_call_reply(call, &resp.base);
    } else {
        Temporal__Api__Workflowservice__V1__UpdateWorkflowExecutionResponse resp =
            TEMPORAL__API__WORKFLOWSERVICE__V1__UPDATE_WORKFLOW_EXECUTION_RESPONSE__INIT;
        resp.update_ref = &ref;
        resp.outcome = outcome;
        resp.stage = stage;
        sg_call_reply(call, &resp.base);
    }
}

static void update_timeout(sg_long_poll *lp)
{
    update_call *uc = (update_call *)lp;
    sg_update_wait *w = uc->w;
    uc->w = NULL;
    if (w)
        sg_engine_update_wait_end(sg_frontend_engine(lp->call->fe), w, true); /* answers */
}

static void update_release(sg_long_poll *lp)
{
    update_call *uc = (update_call *)lp;
    if (uc->w) {
        sg_engine_update_wait_end(sg_frontend_engine(lp->call->fe), uc->w, false);
        uc->w = NULL;
    }
}

void sg_fe_update_workflow_execution(sg_call *call, const ProtobufCMessage *m)
{
    const Temporal__Api__Workflowservice__V1__UpdateWorkflowExecutionRequest *req =
        (const void *)m;
    char *ns_id = sg_fe_namespace_id(call, req->namespace_);
    if (!ns_id || !sg_fe_check_execution(call, req->workflow_execution))
        return;
    const Temporal__Api__Update__V1__Request *r = req->request;
    if (!r || !r->meta || !r->input) {
        sg_call_fail(call, SG_EINVAL, "Update request is not set on request.");
        return;
    }
    if (!sg_fe_check_id(call, r->meta->update_id, "UpdateId", false) ||
        !sg_fe_check_id(call, r->input->name, "UpdateName", false) ||
        !sg_fe_check_id(call, r->meta->identity, "Identity", true) ||
        !check_blob(call, r->input->args))
        return;
    update_call *uc = sg_arena_calloc(call->arena, sizeof *uc);
    uc->lp.call = call;
    uc->workflow_id = req->workflow_execution->workflow_id;
    uc->update_id = r->meta->update_id;
    sg_engine_err err = { 0 };
    int rc = sg_engine_update(sg_frontend_engine(call->fe), call->arena, ns_id, req, update_done,
                              uc, &uc->w, &err);
    if (rc < 0) {
        fail_talk(call, rc, &err, "cannot update the workflow");
        return;
    }
    if (uc->lp.is_done)
        return;
    sg_long_poll_start(&uc->lp, call, sg_long_poll_wait_ms(call, UPDATE_WAIT_MS), update_timeout,
                       update_release);
}

void sg_fe_execute_multi_operation(sg_call *call, const ProtobufCMessage *m)
{
    const Temporal__Api__Workflowservice__V1__ExecuteMultiOperationRequest *req = (const void *)m;
    char *ns_id = sg_fe_namespace_id(call, req->namespace_);
    if (!ns_id)
        return;
    if (req->n_operations != 2 ||
        req->operations[0]->operation_case !=
            TEMPORAL__API__WORKFLOWSERVICE__V1__EXECUTE_MULTI_OPERATION_REQUEST__OPERATION__OPERATION_START_WORKFLOW ||
        req->operations[1]->operation_case !=
            TEMPORAL__API__WORKFLOWSERVICE__V1__EXECUTE_MULTI_OPERATION_REQUEST__OPERATION__OPERATION_UPDATE_WORKFLOW) {
        sg_call_fail(call, SG_EINVAL,
                     "ExecuteMultiOperation takes exactly a StartWorkflow operation followed by an "
                     "UpdateWorkflow operation (update-with-start).");
        return;
    }
    const Temporal__Api__Workflowservice__V1__StartWorkflowExecutionRequest *sr =
        req->operations[0]->start_workflow;
    const Temporal__Api__Workflowservice__V1__UpdateWorkflowExecutionRequest *ur =
        req->operations[1]->update_workflow;
    if (!sg_fe_check_id(call, sr->workflow_id, "WorkflowId", false) ||
        !sg_fe_check_id(call, sr->workflow_type ? sr->workflow_type->name : NULL,
                        "WorkflowType", false) ||
        !sg_fe_check_id(call, sr->task_queue ? sr->task_queue->name : NULL, "TaskQueue", false) ||
        !sg_fe_check_id(call, sr->request_id, "RequestId", true) || !check_blob(call, sr->input) ||
        !sg_fe_check_execution(call, ur->workflow_execution))
        return;
    if (!ur->request || !ur->request->meta || !ur->request->input ||
        !sg_fe_check_id(call, ur->request->meta->update_id, "UpdateId", false) ||
        !sg_fe_check_id(call, ur->request->input->name, "UpdateName", false))
        return;
    if (strcmp(sr->workflow_id, ur->workflow_execution->workflow_id) != 0 ||
        *ur->workflow_execution->run_id) {
        sg_call_fail(call, SG_EINVAL,
                     "the UpdateWorkflow operation must name the started workflow's id and no run id");
        return;
    }
    update_call *uc = sg_arena_calloc(call->arena, sizeof *uc);
    uc->lp.call = call;
    uc->start = sg_arena_calloc(call->arena, sizeof *uc->start);
    temporal__api__workflowservice__v1__start_workflow_execution_response__init(uc->start);
    sg_engine_err err = { 0 };
    int rc = sg_engine_start_workflow(sg_frontend_engine(call->fe), call->arena, ns_id,
                                      req->namespace_, sr, uc->start, &err);
    if (rc == SG_EEXIST) {
        Temporal__Api__Errordetails__V1__WorkflowExecutionAlreadyStartedFailure d =
            TEMPORAL__API__ERRORDETAILS__V1__WORKFLOW_EXECUTION_ALREADY_STARTED_FAILURE__INIT;
        d.start_request_id = err.existing_request_id;
        d.run_id = err.existing_run_id;
        fail_multi(call, 0, rc, err.message, &d.base);
        return;
    }
    if (rc < 0) {
        fail_multi(call, 0, rc, err.message ? err.message : "cannot start the workflow", NULL);
        return;
    }
    /* The update goes to the run the start named (new, or existing with USE_EXISTING). */
    Temporal__Api__Workflowservice__V1__UpdateWorkflowExecutionRequest *u =
        sg_arena_alloc(call->arena, sizeof *u);
    *u = *ur;
    Temporal__Api__Common__V1__WorkflowExecution *we = sg_arena_alloc(call->arena, sizeof *we);
    *we = *ur->workflow_execution;
    we->run_id = uc->start->run_id;
    u->workflow_execution = we;
    uc->workflow_id = sr->workflow_id;
    uc->update_id = ur->request->meta->update_id;
    rc = sg_engine_update(sg_frontend_engine(call->fe), call->arena, ns_id, u, update_done, uc,
                          &uc->w, &err);
    if (rc < 0) {
        fail_multi(call, 1, rc, err.message ? err.message : "cannot update the workflow", NULL);
        return;
    }
    if (uc->lp.is_done)
        return;
    sg_long_poll_start(&uc->lp, call, sg_long_poll_wait_ms(call, UPDATE_WAIT_MS), update_timeout,
                       update_release);
}

void sg_fe_poll_workflow_execution_update(sg_call *call, const ProtobufCMessage *m)
{
    const Temporal__Api__Workflowservice__V1__PollWorkflowExecutionUpdateRequest *req =
        (const void *)m;
    char *ns_id = sg_fe_namespace_id(call, req->namespace_);
    if (!ns_id)
        return;
    if (!req->update_ref || !req->update_ref->workflow_execution) {
        sg_call_fail(call, SG_EINVAL, "UpdateRef is not set on request.");
        return;
    }
    if (!sg_fe_check_execution(call, req->update_ref->workflow_execution) ||
        !sg_fe_check_id(call, req->update_ref->update_id, "UpdateId", false))
        return;
    update_call *uc = sg_arena_calloc(call->arena, sizeof *uc);
    uc->lp.call = call;
    uc->is_poll = true;
    uc->workflow_id = req->update_ref->workflow_execution->workflow_id;
    uc->update_id = req->update_ref->update_id;
    sg_engine_err err = { 0 };
    int rc = sg_engine_poll_update(sg_frontend_engine(call->fe), call->arena, ns_id, req,
                                   update_done, uc, &uc->w, &err);
    if (rc < 0) {
        fail_talk(call, rc, &err, "cannot poll the update");
        return;
    }
    if (uc->lp.is_done)
        return;
    sg_long_poll_start(&uc->lp, call, sg_long_poll_wait_ms(call, UPDATE_WAIT_MS), update_timeout,
                       update_release);
}

static void fail_run_not_found(sg_call *call, const Temporal__Api__Common__V1__WorkflowExecution *we)
{
    Temporal__Api__Errordetails__V1__NotFoundFailure d =
        TEMPORAL__API__ERRORDETAILS__V1__NOT_FOUND_FAILURE__INIT;
    if (we && *we->run_id)
        sg_call_fail_detail(call, SG_ENOTFOUND, &d.base,
                            "workflow execution not found for workflow ID \"%s\" and run ID \"%s\"",
                            we->workflow_id, we->run_id);
    else
        sg_call_fail_detail(call, SG_ENOTFOUND, &d.base,
                            "workflow execution not found for workflow ID \"%s\"",
                            we ? we->workflow_id : "");
}

/* ---- GetWorkflowExecutionHistory, with its long poll ---- */

typedef struct history_poll {
    sg_long_poll lp; /* first: the long poll's callbacks get it back as a history_poll */
    const Temporal__Api__Workflowservice__V1__GetWorkflowExecutionHistoryRequest *req;
    char *ns_id;
    sg_watch *watch;
} history_poll;

static void history_unwatch(history_poll *hp)
{
    if (hp->watch) {
        sg_engine_unwatch(sg_frontend_engine(hp->lp.call->fe), hp->watch);
        hp->watch = NULL;
    }
}

/* Answers from the current state; with may_wait, parks instead when nothing is there yet.
 * Returns true if the call was answered. */
static bool history_answer(history_poll *hp, bool may_wait);

static void on_history_change(void *ud)
{
    history_poll *hp = ud;
    history_unwatch(hp);
    if (!hp->lp.is_done)
        history_answer(hp, true);
}

static void on_history_timeout(sg_long_poll *lp)
{
    history_answer((history_poll *)lp, false);
}

static void on_history_release(sg_long_poll *lp)
{
    history_unwatch((history_poll *)lp);
}

static bool history_answer(history_poll *hp, bool may_wait)
{
    sg_call *call = hp->lp.call;
    sg_engine *e = sg_frontend_engine(call->fe);
    Temporal__Api__Workflowservice__V1__GetWorkflowExecutionHistoryResponse resp =
        TEMPORAL__API__WORKFLOWSERVICE__V1__GET_WORKFLOW_EXECUTION_HISTORY_RESPONSE__INIT;
    sg_buf history;
    sg_buf_init(&history);
    bool is_waitable = false;
    /* Temporal shows transient workflow-task events to SDKs, not to its CLI and UI. */
    const char *client = sg_call_header(call, "client-name");
    bool with_transient = !client || (strcmp(client, "temporal-cli") != 0 &&
                                      strcmp(client, "temporal-ui") != 0);
    int rc = sg_engine_get_history(e, call->arena, hp->ns_id, hp->req, with_transient, &resp,
                                   &history, &is_waitable);
    if (rc == 0 && is_waitable && may_wait) {
        hp->watch = sg_engine_watch(e, hp->ns_id, hp->req->execution->workflow_id,
                                    hp->req->execution->run_id, on_history_change, hp);
        if (hp->watch) {
            sg_buf_deinit(&history);
            return false;
        }
    }
    history_unwatch(hp);
    sg_long_poll_end(&hp->lp);
    if (rc == SG_ENOTFOUND) {
        fail_run_not_found(call, hp->req->execution);
    } else if (rc == SG_EINVAL) {
        sg_call_fail(call, rc, "Invalid NextPageToken.");
    } else if (rc < 0) {
        sg_call_fail(call, rc, "cannot read the workflow history");
    } else {
        sg_call_reply_spliced(call, &resp.base, 1, sg_buf_head(&history), history.len);
    }
    sg_buf_deinit(&history);
    return true;
}

void sg_fe_get_workflow_execution_history(sg_call *call, const ProtobufCMessage *m)
{
    const Temporal__Api__Workflowservice__V1__GetWorkflowExecutionHistoryRequest *req =
        (const void *)m;
    char *ns_id = sg_fe_namespace_id(call, req->namespace_);
    if (!ns_id)
        return;
    if (!sg_fe_check_execution(call, req->execution))
        return;
    history_poll *hp = sg_arena_calloc(call->arena, sizeof *hp);
    hp->lp.call = call;
    hp->req = req;
    hp->ns_id = ns_id;
    if (history_answer(hp, req->wait_new_event))
        return;
    sg_long_poll_start(&hp->lp, call, sg_long_poll_wait_ms(call, HISTORY_LONG_POLL_MS - 1000),
                       on_history_timeout, on_history_release);
}

void sg_fe_get_workflow_execution_history_reverse(sg_call *call, const ProtobufCMessage *m)
{
    const Temporal__Api__Workflowservice__V1__GetWorkflowExecutionHistoryReverseRequest *req =
        (const void *)m;
    char *ns_id = sg_fe_namespace_id(call, req->namespace_);
    if (!ns_id)
        return;
    if (!sg_fe_check_execution(call, req->execution))
        return;
    Temporal__Api__Workflowservice__V1__GetWorkflowExecutionHistoryReverseResponse resp =
        TEMPORAL__API__WORKFLOWSERVICE__V1__GET_WORKFLOW_EXECUTION_HISTORY_REVERSE_RESPONSE__INIT;
    sg_buf history;
    sg_buf_init(&history);
    int rc = sg_engine_get_history_reverse(sg_frontend_engine(call->fe), call->arena, ns_id, req,
                                           &resp, &history);
    if (rc == SG_ENOTFOUND)
        fail_run_not_found(call, req->execution);
    else if (rc < 0)
        sg_call_fail(call, rc, rc == SG_EINVAL ? "Invalid NextPageToken." : "cannot read history");
    else
        sg_call_reply_spliced(call, &resp.base, 1, sg_buf_head(&history), history.len);
    sg_buf_deinit(&history);
}

void sg_fe_describe_workflow_execution(sg_call *call, const ProtobufCMessage *m)
{
    const Temporal__Api__Workflowservice__V1__DescribeWorkflowExecutionRequest *req =
        (const void *)m;
    char *ns_id = sg_fe_namespace_id(call, req->namespace_);
    if (!ns_id)
        return;
    if (!sg_fe_check_execution(call, req->execution))
        return;
    Temporal__Api__Workflowservice__V1__DescribeWorkflowExecutionResponse resp =
        TEMPORAL__API__WORKFLOWSERVICE__V1__DESCRIBE_WORKFLOW_EXECUTION_RESPONSE__INIT;
    int rc = sg_engine_describe(sg_frontend_engine(call->fe), call->arena, ns_id, req, &resp);
    if (rc == SG_ENOTFOUND)
        fail_run_not_found(call, req->execution);
    else if (rc < 0)
        sg_call_fail(call, rc, "cannot describe the workflow");
    else
        sg_call_reply(call, &resp.base);
}
