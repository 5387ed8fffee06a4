/* SPDX-License-Identifier: Apache-2.0 */
/* fe_task.c: what workers call — task polls, completions, heartbeats, ShutdownWorker,
 * DescribeTaskQueue, ResetStickyTaskQueue.
 *
 * A poll parks in matching for up to 60 s (and at least 1 s short of the caller's deadline)
 * and is answered either with a task the engine recorded as started or, when the wait ends,
 * with the all-default message, which is what the SDK takes for "no task" (PROTOCOL.md 1.6).
 * A poll whose client goes away leaves matching at once. Once a reply is queued (it waits for
 * the group commit), a late cancel only lets the reply fall on the floor: the task it carried
 * was recorded as started and times out like any task a worker lost. */
#include "rpc/handlers.h"

#include "core/log.h"
#include "rpc/longpoll.h"

#include "temporal/api/taskqueue/v1/message.pb-c.h"

#include <string.h>

#define TASK_POLL_MS 60000

typedef struct task_poll {
    sg_long_poll lp; /* first: the long poll's callbacks get it back as a task_poll */
    sg_poller *poller; /* matching keeps the wait's timer */
    sg_task_kind kind;
    bool is_sticky;
    const char *identity;
    char request_id[40];
} task_poll;

static void poll_reply_empty(void *ud)
{
    task_poll *tp = ud;
    tp->poller = NULL;
    if (sg_long_poll_end(&tp->lp))
        sg_call_reply_bytes(tp->lp.call, NULL, 0);
}

static bool poll_offer(void *ud, const sg_task_ref *task)
{
    task_poll *tp = ud;
    sg_call *call = tp->lp.call;
    sg_engine *e = sg_frontend_engine(call->fe);
    int rc;
    if (tp->kind == SG_TASK_WORKFLOW) {
        Temporal__Api__Workflowservice__V1__PollWorkflowTaskQueueResponse resp =
            TEMPORAL__API__WORKFLOWSERVICE__V1__POLL_WORKFLOW_TASK_QUEUE_RESPONSE__INIT;
        sg_buf history;
        sg_buf_init(&history);
        rc = sg_engine_workflow_task_start(e, call->arena, task, tp->is_sticky, tp->identity,
                                           tp->request_id, &resp, &history);
        if (rc == 0) {
            sg_long_poll_end(&tp->lp);
            tp->poller = NULL;
            /* history = 8: required even when empty (PROTOCOL.md 3.1) */
            sg_call_reply_spliced(call, &resp.base, 8, sg_buf_head(&history), history.len);
        }
        sg_buf_deinit(&history);
    } else {
        Temporal__Api__Workflowservice__V1__PollActivityTaskQueueResponse resp =
            TEMPORAL__API__WORKFLOWSERVICE__V1__POLL_ACTIVITY_TASK_QUEUE_RESPONSE__INIT;
        rc = sg_engine_activity_task_start(e, call->arena, task, tp->identity, tp->request_id,
                                           &resp);
        if (rc == 0) {
            sg_long_poll_end(&tp->lp);
            tp->poller = NULL;
            sg_call_reply(call, &resp.base);
        }
    }
    if (rc == SG_ENOTFOUND)
        return false; /* stale reference: matching drops it and keeps this poller */
    if (rc < 0) {
        sg_log_error("handing out a task of run %s failed: %s", task->run_id, sg_strerror(rc));
        sg_long_poll_end(&tp->lp);
        tp->poller = NULL;
        sg_call_fail(call, rc, "cannot hand out the task: %s", sg_strerror(rc));
    }
    return true;
}

/* The client went away: the poller leaves matching at once. */
static void poll_release(sg_long_poll *lp)
{
    task_poll *tp = (task_poll *)lp;
    if (tp->poller) {
        sg_matching_cancel(sg_frontend_matching(lp->call->fe), tp->poller);
        tp->poller = NULL;
    }
}

static void start_poll(sg_call *call, const char *ns_name, sg_task_kind kind,
                       const Temporal__Api__Taskqueue__V1__TaskQueue *tq, const char *identity,
                       const char *worker_instance_key)
{
    char *ns_id = sg_fe_namespace_id(call, ns_name);
    if (!ns_id)
        return;
    if (!sg_fe_check_id(call, tq ? tq->name : NULL, "TaskQueue", false) ||
        !sg_fe_check_id(call, identity, "Identity", true))
        return;
    task_poll *tp = sg_arena_calloc(call->arena, sizeof *tp);
    tp->kind = kind;
    tp->is_sticky = tq->kind == TEMPORAL__API__ENUMS__V1__TASK_QUEUE_KIND__TASK_QUEUE_KIND_STICKY;
    tp->identity = identity;
    snprintf(tp->request_id, sizeof tp->request_id, "poll-%p", (void *)call);
    sg_long_poll_start(&tp->lp, call, -1, NULL, poll_release);
    const char *worker_key =
        worker_instance_key && *worker_instance_key ? worker_instance_key : identity;
    sg_poller *p = sg_matching_poll_as(sg_frontend_matching(call->fe), ns_id, kind, tq->name,
                                       identity, worker_key,
                                       sg_long_poll_wait_ms(call, TASK_POLL_MS),
                                    poll_offer, poll_reply_empty, tp);
    /* NULL means the poll was answered already, and tp may be gone with the call; a parked
     * poller means the call is still open. */
    if (p)
        tp->poller = p;
}

void sg_fe_poll_workflow_task_queue(sg_call *call, const ProtobufCMessage *m)
{
    const Temporal__Api__Workflowservice__V1__PollWorkflowTaskQueueRequest *req = (const void *)m;
    start_poll(call, req->namespace_, SG_TASK_WORKFLOW, req->task_queue, req->identity,
               req->worker_instance_key);
}

void sg_fe_poll_activity_task_queue(sg_call *call, const ProtobufCMessage *m)
{
    const Temporal__Api__Workflowservice__V1__PollActivityTaskQueueRequest *req = (const void *)m;
    start_poll(call, req->namespace_, SG_TASK_ACTIVITY, req->task_queue, req->identity,
               req->worker_instance_key);
}

void sg_fe_respond_workflow_task_completed(sg_call *call, const ProtobufCMessage *m)
{
    const Temporal__Api__Workflowservice__V1__RespondWorkflowTaskCompletedRequest *req =
        (const void *)m;
    if (!sg_fe_namespace_id(call, req->namespace_))
        return;
    Temporal__Api__Workflowservice__V1__RespondWorkflowTaskCompletedResponse resp =
        TEMPORAL__API__WORKFLOWSERVICE__V1__RESPOND_WORKFLOW_TASK_COMPLETED_RESPONSE__INIT;
    sg_engine_err err = { 0 };
    int rc = sg_engine_workflow_task_completed(sg_frontend_engine(call->fe), call->arena, req,
                                               &resp, &err);
    if (rc < 0) {
        sg_call_fail(call, rc, "%s", err.message ? err.message : sg_strerror(rc));
        return;
    }
    sg_call_reply(call, &resp.base);
}

void sg_fe_respond_workflow_task_failed(sg_call *call, const ProtobufCMessage *m)
{
    const Temporal__Api__Workflowservice__V1__RespondWorkflowTaskFailedRequest *req =
        (const void *)m;
    if (!sg_fe_namespace_id(call, req->namespace_))
        return;
    sg_engine_err err = { 0 };
    int rc = sg_engine_workflow_task_failed(sg_frontend_engine(call->fe), call->arena, req, &err);
    if (rc < 0) {
        sg_call_fail(call, rc, "%s", err.message ? err.message : sg_strerror(rc));
        return;
    }
    Temporal__Api__Workflowservice__V1__RespondWorkflowTaskFailedResponse resp =
        TEMPORAL__API__WORKFLOWSERVICE__V1__RESPOND_WORKFLOW_TASK_FAILED_RESPONSE__INIT;
    sg_call_reply(call, &resp.base);
}

/* ---- activities ---- */

/* Builds a by-token or by-id target; returns false (call finished) on bad input. */
static bool activity_target(sg_call *call, const char *ns_name, const ProtobufCBinaryData *token,
                            const char *workflow_id, const char *run_id, const char *activity_id,
                            sg_activity_target *t)
{
    memset(t, 0, sizeof *t);
    char *ns_id = sg_fe_namespace_id(call, ns_name);
    if (!ns_id)
        return false;
    t->namespace_id = ns_id;
    if (token) {
        if (!token->len) {
            sg_call_fail(call, SG_EINVAL, "Task token not set on request.");
            return false;
        }
        t->token = token->data;
        t->token_len = token->len;
        return true;
    }
    if (!sg_fe_check_id(call, workflow_id, "WorkflowId", false) ||
        !sg_fe_check_id(call, run_id, "RunId", true) ||
        !sg_fe_check_id(call, activity_id, "ActivityId", false))
        return false;
    t->workflow_id = workflow_id;
    t->run_id = run_id;
    t->activity_id = activity_id;
    return true;
}

static void activity_fail_reply(sg_call *call, int rc)
{
    if (rc == SG_EINVAL)
        sg_call_fail(call, rc, "Error deserializing task token.");
    else if (rc == SG_ENOTFOUND)
        sg_call_fail(call, rc, "Activity task not found.");
    else if (rc == SG_EPRECOND)
        sg_call_fail(call, rc, "The activity was not asked to cancel.");
    else
        sg_call_fail(call, rc, "cannot record the activity result: %s", sg_strerror(rc));
}

static void activity_end(sg_call *call, const sg_activity_target *t, sg_activity_outcome o,
                         const ProtobufCMessage *payload, const ProtobufCMessage *failure,
                         const ProtobufCMessage *hb_details, const char *identity,
                         const ProtobufCMessage *reply)
{
    int rc = sg_engine_activity_task_end(sg_frontend_engine(call->fe), call->arena, t, o, payload,
                                         failure, hb_details, identity);
    if (rc < 0)
        activity_fail_reply(call, rc);
    else
        sg_call_reply(call, reply);
}

#define PAYLOAD(p) ((p) ? &(p)->base : NULL)

void sg_fe_respond_activity_task_completed(sg_call *call, const ProtobufCMessage *m)
{
    const Temporal__Api__Workflowservice__V1__RespondActivityTaskCompletedRequest *req =
        (const void *)m;
    sg_activity_target t;
    if (!activity_target(call, req->namespace_, &req->task_token, NULL, NULL, NULL, &t))
        return;
    Temporal__Api__Workflowservice__V1__RespondActivityTaskCompletedResponse resp =
        TEMPORAL__API__WORKFLOWSERVICE__V1__RESPOND_ACTIVITY_TASK_COMPLETED_RESPONSE__INIT;
    activity_end(call, &t, SG_ACT_COMPLETED, PAYLOAD(req->result), NULL, NULL, req->identity,
                 &resp.base);
}

void sg_fe_respond_activity_task_completed_by_id(sg_call *call, const ProtobufCMessage *m)
{
    const Temporal__Api__Workflowservice__V1__RespondActivityTaskCompletedByIdRequest *req =
        (const void *)m;
    sg_activity_target t;
    if (!activity_target(call, req->namespace_, NULL, req->workflow_id, req->run_id,
                         req->activity_id, &t))
        return;
    Temporal__Api__Workflowservice__V1__RespondActivityTaskCompletedByIdResponse resp =
        TEMPORAL__API__WORKFLOWSERVICE__V1__RESPOND_ACTIVITY_TASK_COMPLETED_BY_ID_RESPONSE__INIT;
    activity_end(call, &t, SG_ACT_COMPLETED, PAYLOAD(req->result), NULL, NULL, req->identity,
                 &resp.base);
}

void sg_fe_respond_activity_task_failed(sg_call *call, const ProtobufCMessage *m)
{
    const Temporal__Api__Workflowservice__V1__RespondActivityTaskFailedRequest *req =
        (const void *)m;
    sg_activity_target t;
    if (!activity_target(call, req->namespace_, &req->task_token, NULL, NULL, NULL, &t))
        return;
    Temporal__Api__Workflowservice__V1__RespondActivityTaskFailedResponse resp =
        TEMPORAL__API__WORKFLOWSERVICE__V1__RESPOND_ACTIVITY_TASK_FAILED_RESPONSE__INIT;
    activity_end(call, &t, SG_ACT_FAILED, NULL, PAYLOAD(req->failure),
                 PAYLOAD(req->last_heartbeat_details), req->identity, &resp.base);
}

void sg_fe_respond_activity_task_failed_by_id(sg_call *call, const ProtobufCMessage *m)
{
    const Temporal__Api__Workflowservice__V1__RespondActivityTaskFailedByIdRequest *req =
        (const void *)m;
    sg_activity_target t;
    if (!activity_target(call, req->namespace_, NULL, req->workflow_id, req->run_id,
                         req->activity_id, &t))
        return;
    Temporal__Api__Workflowservice__V1__RespondActivityTaskFailedByIdResponse resp =
        TEMPORAL__API__WORKFLOWSERVICE__V1__RESPOND_ACTIVITY_TASK_FAILED_BY_ID_RESPONSE__INIT;
    activity_end(call, &t, SG_ACT_FAILED, NULL, PAYLOAD(req->failure),
                 PAYLOAD(req->last_heartbeat_details), req->identity, &resp.base);
}

void sg_fe_respond_activity_task_canceled(sg_call *call, const ProtobufCMessage *m)
{
    const Temporal__Api__Workflowservice__V1__RespondActivityTaskCanceledRequest *req =
        (const void *)m;
    sg_activity_target t;
    if (!activity_target(call, req->namespace_, &req->task_token, NULL, NULL, NULL, &t))
        return;
    Temporal__Api__Workflowservice__V1__RespondActivityTaskCanceledResponse resp =
        TEMPORAL__API__WORKFLOWSERVICE__V1__RESPOND_ACTIVITY_TASK_CANCELED_RESPONSE__INIT;
    activity_end(call, &t, SG_ACT_CANCELED, PAYLOAD(req->details), NULL, NULL, req->identity,
                 &resp.base);
}

void sg_fe_respond_activity_task_canceled_by_id(sg_call *call, const ProtobufCMessage *m)
{
    const Temporal__Api__Workflowservice__V1__RespondActivityTaskCanceledByIdRequest *req =
        (const void *)m;
    sg_activity_target t;
    if (!activity_target(call, req->namespace_, NULL, req->workflow_id, req->run_id,
                         req->activity_id, &t))
        return;
    Temporal__Api__Workflowservice__V1__RespondActivityTaskCanceledByIdResponse resp =
        TEMPORAL__API__WORKFLOWSERVICE__V1__RESPOND_ACTIVITY_TASK_CANCELED_BY_ID_RESPONSE__INIT;
    activity_end(call, &t, SG_ACT_CANCELED, PAYLOAD(req->details), NULL, NULL, req->identity,
                 &resp.base);
}

void sg_fe_record_activity_task_heartbeat(sg_call *call, const ProtobufCMessage *m)
{
    const Temporal__Api__Workflowservice__V1__RecordActivityTaskHeartbeatRequest *req =
        (const void *)m;
    sg_activity_target t;
    if (!activity_target(call, req->namespace_, &req->task_token, NULL, NULL, NULL, &t))
        return;
    bool cancel = false;
    int rc = sg_engine_activity_heartbeat(sg_frontend_engine(call->fe), call->arena, &t,
                                          PAYLOAD(req->details), req->identity, &cancel);
    if (rc < 0) {
        activity_fail_reply(call, rc);
        return;
    }
    Temporal__Api__Workflowservice__V1__RecordActivityTaskHeartbeatResponse resp =
        TEMPORAL__API__WORKFLOWSERVICE__V1__RECORD_ACTIVITY_TASK_HEARTBEAT_RESPONSE__INIT;
    resp.cancel_requested = cancel;
    sg_call_reply(call, &resp.base);
}

void sg_fe_record_activity_task_heartbeat_by_id(sg_call *call, const ProtobufCMessage *m)
{
    const Temporal__Api__Workflowservice__V1__RecordActivityTaskHeartbeatByIdRequest *req =
        (const void *)m;
    sg_activity_target t;
    if (!activity_target(call, req->namespace_, NULL, req->workflow_id, req->run_id,
                         req->activity_id, &t))
        return;
    bool cancel = false;
    int rc = sg_engine_activity_heartbeat(sg_frontend_engine(call->fe), call->arena, &t,
                                          PAYLOAD(req->details), req->identity, &cancel);
    if (rc < 0) {
        activity_fail_reply(call, rc);
        return;
    }
    Temporal__Api__Workflowservice__V1__RecordActivityTaskHeartbeatByIdResponse resp =
        TEMPORAL__API__WORKFLOWSERVICE__V1__RECORD_ACTIVITY_TASK_HEARTBEAT_BY_ID_RESPONSE__INIT;
    resp.cancel_requested = cancel;
    sg_call_reply(call, &resp.base);
}

/* ---- task queues and workers ---- */

typedef struct pollers_ctx {
    sg_arena *a;
    Temporal__Api__Taskqueue__V1__PollerInfo **items;
    size_t n, cap;
} pollers_ctx;

static void add_poller(void *ud, const char *identity, int64_t last_access_ms)
{
    pollers_ctx *c = ud;
    if (c->n == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 8;
        Temporal__Api__Taskqueue__V1__PollerInfo **p = sg_arena_alloc(c->a, cap * sizeof *p);
        if (c->n)
            memcpy(p, c->items, c->n * sizeof *p);
        c->items = p;
        c->cap = cap;
    }
    Temporal__Api__Taskqueue__V1__PollerInfo *pi = sg_arena_alloc(c->a, sizeof *pi);
    temporal__api__taskqueue__v1__poller_info__init(pi);
    pi->identity = sg_arena_strdup(c->a, identity);
    Google__Protobuf__Timestamp *ts = sg_arena_alloc(c->a, sizeof *ts);
    google__protobuf__timestamp__init(ts);
    ts->seconds = last_access_ms / 1000;
    ts->nanos = (int32_t)(last_access_ms % 1000) * 1000000;
    pi->last_access_time = ts;
    pi->rate_per_second = 100000;
    c->items[c->n++] = pi;
}

void sg_fe_describe_task_queue(sg_call *call, const ProtobufCMessage *m)
{
    const Temporal__Api__Workflowservice__V1__DescribeTaskQueueRequest *req = (const void *)m;
    char *ns_id = sg_fe_namespace_id(call, req->namespace_);
    if (!ns_id)
        return;
    if (!sg_fe_check_id(call, req->task_queue ? req->task_queue->name : NULL, "TaskQueue", false))
        return;
    sg_task_kind kind =
        req->task_queue_type == TEMPORAL__API__ENUMS__V1__TASK_QUEUE_TYPE__TASK_QUEUE_TYPE_ACTIVITY
            ? SG_TASK_ACTIVITY
            : SG_TASK_WORKFLOW;
    pollers_ctx c = { .a = call->arena };
    sg_matching_pollers(sg_frontend_matching(call->fe), ns_id, kind, req->task_queue->name,
                        add_poller, &c);
    Temporal__Api__Workflowservice__V1__DescribeTaskQueueResponse resp =
        TEMPORAL__API__WORKFLOWSERVICE__V1__DESCRIBE_TASK_QUEUE_RESPONSE__INIT;
    resp.pollers = c.items;
    resp.n_pollers = c.n;
    sg_call_reply(call, &resp.base);
}

void sg_fe_shutdown_worker(sg_call *call, const ProtobufCMessage *m)
{
    const Temporal__Api__Workflowservice__V1__ShutdownWorkerRequest *req = (const void *)m;
    char *ns_id = sg_fe_namespace_id(call, req->namespace_);
    if (!ns_id)
        return;
    /* Its sticky work goes back to the normal queue now instead of after a timeout, and its
     * parked polls end (PROTOCOL.md 1.7). */
    sg_engine_sticky_queue_gone(sg_frontend_engine(call->fe), ns_id, req->sticky_task_queue);
    /* Only a worker instance key is unique enough to refuse later polls by: an identity may
     * be reused at once by the next worker of the same process. */
    if (*req->worker_instance_key)
        sg_matching_worker_shutdown(sg_frontend_matching(call->fe), ns_id,
                                    req->worker_instance_key);
    else if (*req->identity)
        sg_matching_end_polls_of(sg_frontend_matching(call->fe), ns_id, req->identity);
    Temporal__Api__Workflowservice__V1__ShutdownWorkerResponse resp =
        TEMPORAL__API__WORKFLOWSERVICE__V1__SHUTDOWN_WORKER_RESPONSE__INIT;
    sg_call_reply(call, &resp.base);
}

void sg_fe_reset_sticky_task_queue(sg_call *call, const ProtobufCMessage *m)
{
    const Temporal__Api__Workflowservice__V1__ResetStickyTaskQueueRequest *req = (const void *)m;
    char *ns_id = sg_fe_namespace_id(call, req->namespace_);
    if (!ns_id)
        return;
    if (!sg_fe_check_execution(call, req->execution))
        return;
    int rc = sg_engine_reset_sticky(sg_frontend_engine(call->fe), ns_id,
                                    req->execution->workflow_id, req->execution->run_id);
    if (rc < 0) {
        sg_call_fail(call, rc, rc == SG_ENOTFOUND ? "workflow execution not found"
                                                  : "cannot reset the sticky task queue");
        return;
    }
    Temporal__Api__Workflowservice__V1__ResetStickyTaskQueueResponse resp =
        TEMPORAL__API__WORKFLOWSERVICE__V1__RESET_STICKY_TASK_QUEUE_RESPONSE__INIT;
    sg_call_reply(call, &resp.base);
}
