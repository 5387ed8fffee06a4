/* SPDX-License-Identifier: Apache-2.0 */
/* engine_harness.c: the engine test harness (see engine_harness.h).
 *
 * Design note. The harness plays both the frontend and the worker: polls go through matching
 * with a zero wait and an offer callback that calls the engine's *_task_start, exactly as
 * rpc/fe_task.c does (a stale reference is refused with SG_ENOTFOUND and matching offers the
 * next; any other error consumes the reference). Nothing here decides what the engine should
 * write; tests state that. */
#include "engine_harness.h"

#include "test.h"

#include "core/clock.h"

#include "temporal/api/enums/v1/command_type.pb-c.h"
#include "temporal/api/enums/v1/workflow.pb-c.h"

#include <string.h>

#define CMD_CASE(NAME) TEMPORAL__API__COMMAND__V1__COMMAND__ATTRIBUTES_##NAME##_COMMAND_ATTRIBUTES
#define CMD_TYPE(NAME) TEMPORAL__API__ENUMS__V1__COMMAND_TYPE__COMMAND_TYPE_##NAME

static void stack_open(eh *h, const char *path)
{
    CHECK_EQ_INT(uv_loop_init(&h->loop), 0);
    sg_store_options o = { .path = path };
    CHECK_EQ_INT(sg_store_open(&o, &h->st), 0);
    h->txn = sg_txn_new(&h->loop, h->st);
    h->m = sg_matching_new(&h->loop);
    sg_engine_deps d = { .loop = &h->loop, .st = h->st, .txn = h->txn, .matching = h->m };
    h->e = sg_engine_new(&d);
}

static void stack_close(eh *h)
{
    sg_txn_flush(h->txn); /* its completions refer to the engine's runs */
    sg_engine_free(h->e);
    sg_matching_free(h->m);
    sg_txn_free(h->txn);
    uv_run(&h->loop, UV_RUN_DEFAULT); /* closes the handles */
    CHECK_EQ_INT(uv_loop_close(&h->loop), 0);
    sg_store_close(h->st);
    h->e = NULL;
    h->m = NULL;
    h->txn = NULL;
    h->st = NULL;
}

void eh_init(eh *h, const char *path)
{
    memset(h, 0, sizeof *h);
    sg_clock_set_virtual(EH_T0_MS);
    sg_arena_init(&h->a);
    stack_open(h, path);
}

void eh_deinit(eh *h)
{
    stack_close(h);
    sg_arena_deinit(&h->a);
}

void eh_restart(eh *h, const char *path)
{
    stack_close(h);
    stack_open(h, path);
}

int eh_flush(eh *h)
{
    h->last_flush_rc = sg_txn_flush(h->txn);
    return h->last_flush_rc;
}

/* Ends an operation: commits it unless the test holds the batch open. */
static void settle(eh *h)
{
    if (!h->hold_batch)
        eh_flush(h);
}

/* ---- starting ---- */

int eh_start(eh *h, const char *workflow_id, const eh_start_opts *o,
             Temporal__Api__Workflowservice__V1__StartWorkflowExecutionResponse *out,
             sg_engine_err *err)
{
    static int counter;
    sg_arena *a = &h->a;
    eh_start_opts none = { 0 };
    if (!o)
        o = &none;
    Temporal__Api__Workflowservice__V1__StartWorkflowExecutionRequest *req =
        sg_arena_alloc(a, sizeof *req);
    temporal__api__workflowservice__v1__start_workflow_execution_request__init(req);
    req->namespace_ = EH_NS;
    req->workflow_id = (char *)workflow_id;
    Temporal__Api__Common__V1__WorkflowType *wt = sg_arena_alloc(a, sizeof *wt);
    temporal__api__common__v1__workflow_type__init(wt);
    wt->name = "wf-type";
    req->workflow_type = wt;
    req->task_queue = sg_tq_new(a, EH_TQ, TQ_KIND(NORMAL), NULL);
    req->identity = "client-1";
    req->request_id = o->request_id ? (char *)o->request_id
                                    : sg_arena_printf(a, "start-req-%d", ++counter);
    if (o->run_timeout_ms)
        req->workflow_run_timeout = sg_dur_ms(a, o->run_timeout_ms);
    if (o->execution_timeout_ms)
        req->workflow_execution_timeout = sg_dur_ms(a, o->execution_timeout_ms);
    if (o->task_timeout_ms)
        req->workflow_task_timeout = sg_dur_ms(a, o->task_timeout_ms);
    req->retry_policy = o->retry;
    req->cron_schedule = (char *)(o->cron ? o->cron : "");
    req->workflow_id_reuse_policy = (Temporal__Api__Enums__V1__WorkflowIdReusePolicy)o->reuse_policy;
    req->workflow_id_conflict_policy =
        (Temporal__Api__Enums__V1__WorkflowIdConflictPolicy)o->conflict_policy;
    temporal__api__workflowservice__v1__start_workflow_execution_response__init(out);
    memset(err, 0, sizeof *err);
    int rc = sg_engine_start_workflow(h->e, a, EH_NS_ID, EH_NS, req, out, err);
    settle(h);
    return rc;
}

const char *eh_start_ok(eh *h, const char *workflow_id, const eh_start_opts *o)
{
    Temporal__Api__Workflowservice__V1__StartWorkflowExecutionResponse out;
    sg_engine_err err;
    CHECK_EQ_INT(eh_start(h, workflow_id, o, &out, &err), 0);
    CHECK_EQ_INT(h->last_flush_rc, 0);
    CHECK(out.started);
    return out.run_id;
}

/* ---- polls ---- */

typedef struct poll_ctx {
    eh *h;
    bool sticky;
    eh_wft *wft;
    eh_act *act;
} poll_ctx;

static bool offer_wft(void *ud, const sg_task_ref *task)
{
    poll_ctx *c = ud;
    eh *h = c->h;
    eh_wft *t = c->wft;
    Temporal__Api__Workflowservice__V1__PollWorkflowTaskQueueResponse resp =
        TEMPORAL__API__WORKFLOWSERVICE__V1__POLL_WORKFLOW_TASK_QUEUE_RESPONSE__INIT;
    sg_buf hist;
    sg_buf_init(&hist);
    int rc = sg_engine_workflow_task_start(h->e, &h->a, task, c->sticky, "worker-1",
                                           "poll-req-1", &resp, &hist);
    if (rc == SG_ENOTFOUND) {
        t->stale++;
        sg_buf_deinit(&hist);
        return false;
    }
    t->rc = rc;
    if (rc == 0) {
        t->got = true;
        t->resp = resp;
        t->history = temporal__api__history__v1__history__unpack(&h->a.pb, hist.len,
                                                                  sg_buf_head(&hist));
        CHECK(t->history != NULL);
    }
    sg_buf_deinit(&hist);
    return true;
}

static bool offer_act(void *ud, const sg_task_ref *task)
{
    poll_ctx *c = ud;
    eh *h = c->h;
    eh_act *t = c->act;
    Temporal__Api__Workflowservice__V1__PollActivityTaskQueueResponse resp =
        TEMPORAL__API__WORKFLOWSERVICE__V1__POLL_ACTIVITY_TASK_QUEUE_RESPONSE__INIT;
    int rc = sg_engine_activity_task_start(h->e, &h->a, task, "worker-1", "poll-req-2", &resp);
    if (rc == SG_ENOTFOUND) {
        t->stale++;
        return false;
    }
    t->rc = rc;
    if (rc == 0) {
        t->got = true;
        t->resp = resp;
    }
    return true;
}

static void on_empty(void *ud)
{
    SG_UNUSED(ud);
}

bool eh_poll_wft(eh *h, const char *queue, bool sticky, eh_wft *t)
{
    memset(t, 0, sizeof *t);
    temporal__api__workflowservice__v1__poll_workflow_task_queue_response__init(&t->resp);
    poll_ctx c = { .h = h, .sticky = sticky, .wft = t };
    sg_poller *p = sg_matching_poll(h->m, EH_NS_ID, SG_TASK_WORKFLOW, queue, "worker-1", 0,
                                    offer_wft, on_empty, &c);
    CHECK(p == NULL);
    settle(h);
    return t->got;
}

eh_wft *eh_take_wft(eh *h, const char *queue, bool sticky)
{
    eh_wft *t = sg_arena_alloc(&h->a, sizeof *t);
    eh_poll_wft(h, queue, sticky, t);
    CHECK_EQ_INT(t->rc, 0);
    CHECK(t->got);
    CHECK_EQ_INT(h->last_flush_rc, 0);
    return t;
}

bool eh_poll_act(eh *h, const char *queue, eh_act *t)
{
    memset(t, 0, sizeof *t);
    temporal__api__workflowservice__v1__poll_activity_task_queue_response__init(&t->resp);
    poll_ctx c = { .h = h, .act = t };
    sg_poller *p = sg_matching_poll(h->m, EH_NS_ID, SG_TASK_ACTIVITY, queue, "worker-1", 0,
                                    offer_act, on_empty, &c);
    CHECK(p == NULL);
    settle(h);
    return t->got;
}

eh_act *eh_take_act(eh *h, const char *queue)
{
    eh_act *t = sg_arena_alloc(&h->a, sizeof *t);
    eh_poll_act(h, queue, t);
    CHECK_EQ_INT(t->rc, 0);
    CHECK(t->got);
    CHECK_EQ_INT(h->last_flush_rc, 0);
    return t;
}

/* ---- completing workflow tasks ---- */

int eh_complete_sticky(eh *h, const eh_wft *t, pb_cmd **cmds, size_t n, const char *sticky_queue,
                       int64_t sticky_s2s_ms, sg_engine_err *err)
{
    sg_arena *a = &h->a;
    sg_engine_err local;
    if (!err)
        err = &local;
    memset(err, 0, sizeof *err);
    Temporal__Api__Workflowservice__V1__RespondWorkflowTaskCompletedRequest *req =
        sg_arena_alloc(a, sizeof *req);
    temporal__api__workflowservice__v1__respond_workflow_task_completed_request__init(req);
    req->task_token = t->resp.task_token;
    req->commands = cmds;
    req->n_commands = n;
    req->identity = "worker-1";
    req->namespace_ = EH_NS;
    if (sticky_queue) {
        Temporal__Api__Taskqueue__V1__StickyExecutionAttributes *sa =
            sg_arena_alloc(a, sizeof *sa);
        temporal__api__taskqueue__v1__sticky_execution_attributes__init(sa);
        sa->worker_task_queue = sg_tq_new(a, sticky_queue, TQ_KIND(STICKY), EH_TQ);
        sa->schedule_to_start_timeout = sg_dur_ms(a, sticky_s2s_ms);
        req->sticky_attributes = sa;
        req->return_new_workflow_task = true;
    }
    Temporal__Api__Workflowservice__V1__RespondWorkflowTaskCompletedResponse out =
        TEMPORAL__API__WORKFLOWSERVICE__V1__RESPOND_WORKFLOW_TASK_COMPLETED_RESPONSE__INIT;
    int rc = sg_engine_workflow_task_completed(h->e, a, req, &out, err);
    settle(h);
    return rc;
}

int eh_complete(eh *h, const eh_wft *t, pb_cmd **cmds, size_t n, sg_engine_err *err)
{
    return eh_complete_sticky(h, t, cmds, n, NULL, 0, err);
}

int eh_fail_wft(eh *h, const eh_wft *t, int cause, const char *message)
{
    sg_arena *a = &h->a;
    Temporal__Api__Workflowservice__V1__RespondWorkflowTaskFailedRequest *req =
        sg_arena_alloc(a, sizeof *req);
    temporal__api__workflowservice__v1__respond_workflow_task_failed_request__init(req);
    req->task_token = t->resp.task_token;
    req->cause = (Temporal__Api__Enums__V1__WorkflowTaskFailedCause)cause;
    req->failure = sg_failure_new(a, message);
    req->identity = "worker-1";
    req->namespace_ = EH_NS;
    sg_engine_err err = { 0 };
    int rc = sg_engine_workflow_task_failed(h->e, a, req, &err);
    settle(h);
    return rc;
}

/* ---- commands ---- */

static pb_cmd *cmd_new(eh *h, int type)
{
    pb_cmd *c = sg_arena_alloc(&h->a, sizeof *c);
    temporal__api__command__v1__command__init(c);
    c->command_type = (Temporal__Api__Enums__V1__CommandType)type;
    return c;
}

Temporal__Api__Common__V1__RetryPolicy *eh_retry(eh *h, int64_t initial_ms, double coefficient,
                                                 int64_t maximum_ms, int32_t maximum_attempts)
{
    Temporal__Api__Common__V1__RetryPolicy *p = sg_arena_alloc(&h->a, sizeof *p);
    temporal__api__common__v1__retry_policy__init(p);
    if (initial_ms)
        p->initial_interval = sg_dur_ms(&h->a, initial_ms);
    p->backoff_coefficient = coefficient;
    if (maximum_ms)
        p->maximum_interval = sg_dur_ms(&h->a, maximum_ms);
    p->maximum_attempts = maximum_attempts;
    return p;
}

pb_cmd *eh_cmd_activity(eh *h, const char *activity_id, int64_t schedule_to_close_ms,
                        int64_t schedule_to_start_ms, int64_t start_to_close_ms,
                        int64_t heartbeat_ms, Temporal__Api__Common__V1__RetryPolicy *retry)
{
    sg_arena *a = &h->a;
    pb_cmd *c = cmd_new(h, CMD_TYPE(SCHEDULE_ACTIVITY_TASK));
    Temporal__Api__Command__V1__ScheduleActivityTaskCommandAttributes *in =
        sg_arena_alloc(a, sizeof *in);
    temporal__api__command__v1__schedule_activity_task_command_attributes__init(in);
    in->activity_id = (char *)activity_id;
    Temporal__Api__Common__V1__ActivityType *at = sg_arena_alloc(a, sizeof *at);
    temporal__api__common__v1__activity_type__init(at);
    at->name = "act-type";
    in->activity_type = at;
    in->task_queue = sg_tq_new(a, EH_TQ, TQ_KIND(NORMAL), NULL);
    in->input = eh_payloads(h, "input");
    if (schedule_to_close_ms)
        in->schedule_to_close_timeout = sg_dur_ms(a, schedule_to_close_ms);
    if (schedule_to_start_ms)
        in->schedule_to_start_timeout = sg_dur_ms(a, schedule_to_start_ms);
    if (start_to_close_ms)
        in->start_to_close_timeout = sg_dur_ms(a, start_to_close_ms);
    if (heartbeat_ms)
        in->heartbeat_timeout = sg_dur_ms(a, heartbeat_ms);
    in->retry_policy = retry;
    c->attributes_case = CMD_CASE(SCHEDULE_ACTIVITY_TASK);
    c->schedule_activity_task_command_attributes = in;
    return c;
}

pb_cmd *eh_cmd_timer(eh *h, const char *timer_id, int64_t ms)
{
    pb_cmd *c = cmd_new(h, CMD_TYPE(START_TIMER));
    Temporal__Api__Command__V1__StartTimerCommandAttributes *in = sg_arena_alloc(&h->a, sizeof *in);
    temporal__api__command__v1__start_timer_command_attributes__init(in);
    in->timer_id = (char *)timer_id;
    in->start_to_fire_timeout = sg_dur_ms(&h->a, ms);
    c->attributes_case = CMD_CASE(START_TIMER);
    c->start_timer_command_attributes = in;
    return c;
}

pb_cmd *eh_cmd_cancel_timer(eh *h, const char *timer_id)
{
    pb_cmd *c = cmd_new(h, CMD_TYPE(CANCEL_TIMER));
    Temporal__Api__Command__V1__CancelTimerCommandAttributes *in = sg_arena_alloc(&h->a, sizeof *in);
    temporal__api__command__v1__cancel_timer_command_attributes__init(in);
    in->timer_id = (char *)timer_id;
    c->attributes_case = CMD_CASE(CANCEL_TIMER);
    c->cancel_timer_command_attributes = in;
    return c;
}

pb_cmd *eh_cmd_marker(eh *h, const char *name)
{
    pb_cmd *c = cmd_new(h, CMD_TYPE(RECORD_MARKER));
    Temporal__Api__Command__V1__RecordMarkerCommandAttributes *in =
        sg_arena_alloc(&h->a, sizeof *in);
    temporal__api__command__v1__record_marker_command_attributes__init(in);
    in->marker_name = (char *)name;
    c->attributes_case = CMD_CASE(RECORD_MARKER);
    c->record_marker_command_attributes = in;
    return c;
}

pb_cmd *eh_cmd_complete(eh *h, const char *result)
{
    pb_cmd *c = cmd_new(h, CMD_TYPE(COMPLETE_WORKFLOW_EXECUTION));
    Temporal__Api__Command__V1__CompleteWorkflowExecutionCommandAttributes *in =
        sg_arena_alloc(&h->a, sizeof *in);
    temporal__api__command__v1__complete_workflow_execution_command_attributes__init(in);
    if (result)
        in->result = eh_payloads(h, result);
    c->attributes_case = CMD_CASE(COMPLETE_WORKFLOW_EXECUTION);
    c->complete_workflow_execution_command_attributes = in;
    return c;
}

pb_cmd *eh_cmd_cancel_workflow(eh *h, const char *details)
{
    pb_cmd *c = cmd_new(h, CMD_TYPE(CANCEL_WORKFLOW_EXECUTION));
    Temporal__Api__Command__V1__CancelWorkflowExecutionCommandAttributes *in =
        sg_arena_alloc(&h->a, sizeof *in);
    temporal__api__command__v1__cancel_workflow_execution_command_attributes__init(in);
    if (details)
        in->details = eh_payloads(h, details);
    c->attributes_case = CMD_CASE(CANCEL_WORKFLOW_EXECUTION);
    c->cancel_workflow_execution_command_attributes = in;
    return c;
}

pb_cmd *eh_cmd_upsert_memo(eh *h, const char *key, const char *value)
{
    pb_cmd *c = cmd_new(h, CMD_TYPE(MODIFY_WORKFLOW_PROPERTIES));
    Temporal__Api__Command__V1__ModifyWorkflowPropertiesCommandAttributes *in =
        sg_arena_alloc(&h->a, sizeof *in);
    temporal__api__command__v1__modify_workflow_properties_command_attributes__init(in);
    Temporal__Api__Common__V1__Memo *memo = sg_arena_alloc(&h->a, sizeof *memo);
    temporal__api__common__v1__memo__init(memo);
    Temporal__Api__Common__V1__Memo__FieldsEntry *e = sg_arena_alloc(&h->a, sizeof *e);
    temporal__api__common__v1__memo__fields_entry__init(e);
    e->key = sg_arena_strdup(&h->a, key);
    e->value = eh_payloads(h, value)->payloads[0];
    memo->fields = sg_arena_alloc(&h->a, sizeof *memo->fields);
    memo->fields[0] = e;
    memo->n_fields = 1;
    in->upserted_memo = memo;
    c->attributes_case = CMD_CASE(MODIFY_WORKFLOW_PROPERTIES);
    c->modify_workflow_properties_command_attributes = in;
    return c;
}

pb_cmd *eh_cmd_cancel_activity(eh *h, int64_t scheduled_event_id)
{
    pb_cmd *c = cmd_new(h, CMD_TYPE(REQUEST_CANCEL_ACTIVITY_TASK));
    Temporal__Api__Command__V1__RequestCancelActivityTaskCommandAttributes *in =
        sg_arena_alloc(&h->a, sizeof *in);
    temporal__api__command__v1__request_cancel_activity_task_command_attributes__init(in);
    in->scheduled_event_id = scheduled_event_id;
    c->attributes_case = CMD_CASE(REQUEST_CANCEL_ACTIVITY_TASK);
    c->request_cancel_activity_task_command_attributes = in;
    return c;
}

pb_cmd *eh_cmd_start_child(eh *h, const char *workflow_id)
{
    sg_arena *a = &h->a;
    pb_cmd *c = cmd_new(h, CMD_TYPE(START_CHILD_WORKFLOW_EXECUTION));
    Temporal__Api__Command__V1__StartChildWorkflowExecutionCommandAttributes *in =
        sg_arena_alloc(a, sizeof *in);
    temporal__api__command__v1__start_child_workflow_execution_command_attributes__init(in);
    in->workflow_id = (char *)workflow_id;
    Temporal__Api__Common__V1__WorkflowType *wt = sg_arena_alloc(a, sizeof *wt);
    temporal__api__common__v1__workflow_type__init(wt);
    wt->name = "child-type";
    in->workflow_type = wt;
    in->task_queue = sg_tq_new(a, EH_TQ, TQ_KIND(NORMAL), NULL);
    c->attributes_case = CMD_CASE(START_CHILD_WORKFLOW_EXECUTION);
    c->start_child_workflow_execution_command_attributes = in;
    return c;
}

pb_cmd *eh_cmd_fail_workflow(eh *h, const char *message)
{
    pb_cmd *c = cmd_new(h, CMD_TYPE(FAIL_WORKFLOW_EXECUTION));
    Temporal__Api__Command__V1__FailWorkflowExecutionCommandAttributes *in =
        sg_arena_alloc(&h->a, sizeof *in);
    temporal__api__command__v1__fail_workflow_execution_command_attributes__init(in);
    in->failure = sg_failure_new(&h->a, message);
    c->attributes_case = CMD_CASE(FAIL_WORKFLOW_EXECUTION);
    c->fail_workflow_execution_command_attributes = in;
    return c;
}

pb_cmd *eh_cmd_nexus(eh *h)
{
    sg_arena *a = &h->a;
    pb_cmd *c = cmd_new(h, CMD_TYPE(SCHEDULE_NEXUS_OPERATION));
    Temporal__Api__Command__V1__ScheduleNexusOperationCommandAttributes *in =
        sg_arena_alloc(a, sizeof *in);
    temporal__api__command__v1__schedule_nexus_operation_command_attributes__init(in);
    in->endpoint = "ep";
    in->service = "svc";
    in->operation = "op";
    c->attributes_case = CMD_CASE(SCHEDULE_NEXUS_OPERATION);
    c->schedule_nexus_operation_command_attributes = in;
    return c;
}

pb_payloads *eh_payloads(eh *h, const char *data)
{
    sg_arena *a = &h->a;
    Temporal__Api__Common__V1__Payload *p = sg_arena_alloc(a, sizeof *p);
    temporal__api__common__v1__payload__init(p);
    p->data.data = (uint8_t *)sg_arena_strdup(a, data);
    p->data.len = strlen(data);
    pb_payloads *ps = sg_arena_alloc(a, sizeof *ps);
    temporal__api__common__v1__payloads__init(ps);
    ps->payloads = sg_arena_alloc(a, sizeof *ps->payloads);
    ps->payloads[0] = p;
    ps->n_payloads = 1;
    return ps;
}

const char *eh_payload_str(eh *h, const pb_payloads *p)
{
    if (!p || !p->n_payloads)
        return NULL;
    return sg_arena_strndup(&h->a, (const char *)p->payloads[0]->data.data,
                            p->payloads[0]->data.len);
}

/* ---- activities ---- */

/* By token, or by (workflow id, run id, activity id) as the *ById RPCs address it. */
static sg_activity_target target_of(const eh *h, const eh_act *t)
{
    if (h->act_by_id)
        return (sg_activity_target){ .namespace_id = EH_NS_ID,
                                     .workflow_id = t->resp.workflow_execution->workflow_id,
                                     .run_id = h->act_by_id_current ? "" : t->resp.workflow_execution->run_id,
                                     .activity_id = t->resp.activity_id };
    return (sg_activity_target){ .token = t->resp.task_token.data,
                                 .token_len = t->resp.task_token.len };
}

int eh_act_complete(eh *h, const eh_act *t, const char *result)
{
    sg_activity_target tg = target_of(h, t);
    int rc = sg_engine_activity_task_end(h->e, &h->a, &tg, SG_ACT_COMPLETED,
                                         &eh_payloads(h, result)->base, NULL, NULL, "worker-1");
    settle(h);
    return rc;
}

int eh_act_fail(eh *h, const eh_act *t, const char *message, bool non_retryable,
                const char *hb_details)
{
    sg_arena *a = &h->a;
    pb_failure *f = sg_failure_new(a, message);
    Temporal__Api__Failure__V1__ApplicationFailureInfo *ai = sg_arena_alloc(a, sizeof *ai);
    temporal__api__failure__v1__application_failure_info__init(ai);
    ai->type = "AppError";
    ai->non_retryable = non_retryable;
    f->failure_info_case = TEMPORAL__API__FAILURE__V1__FAILURE__FAILURE_INFO_APPLICATION_FAILURE_INFO;
    f->application_failure_info = ai;
    sg_activity_target tg = target_of(h, t);
    int rc = sg_engine_activity_task_end(h->e, a, &tg, SG_ACT_FAILED, NULL, &f->base,
                                         hb_details ? &eh_payloads(h, hb_details)->base : NULL,
                                         "worker-1");
    settle(h);
    return rc;
}

int eh_act_canceled(eh *h, const eh_act *t)
{
    sg_activity_target tg = target_of(h, t);
    int rc = sg_engine_activity_task_end(h->e, &h->a, &tg, SG_ACT_CANCELED,
                                         &eh_payloads(h, "cancel-details")->base, NULL, NULL,
                                         "worker-1");
    settle(h);
    return rc;
}

int eh_act_heartbeat(eh *h, const eh_act *t, const char *details, bool *cancel_requested)
{
    sg_activity_target tg = target_of(h, t);
    *cancel_requested = false;
    int rc = sg_engine_activity_heartbeat(h->e, &h->a, &tg,
                                          details ? &eh_payloads(h, details)->base : NULL,
                                          "worker-1", cancel_requested);
    settle(h);
    return rc;
}

/* ---- time ---- */

void eh_advance(eh *h, int64_t ms)
{
    sg_clock_advance(ms);
    sg_timerq_run_due(h->e->timers);
    settle(h);
}

/* ---- reading back ---- */

const char *eh_event_name(int type)
{
    const ProtobufCEnumValue *v =
        protobuf_c_enum_descriptor_get_value(&temporal__api__enums__v1__event_type__descriptor, type);
    if (!v)
        return "?";
    return strncmp(v->name, "EVENT_TYPE_", 11) == 0 ? v->name + 11 : v->name;
}

void eh_check_ids(const pb_history *hist, int64_t first_id)
{
    for (size_t i = 0; i < hist->n_events; i++) {
        if (hist->events[i]->event_id != first_id + (int64_t)i) {
            fprintf(stderr, "  event ids not contiguous: position %zu has id %lld, expected %lld\n",
                    i, (long long)hist->events[i]->event_id, (long long)(first_id + (int64_t)i));
            exit(1);
        }
    }
}

pb_history *eh_history_raw(eh *h, const char *run_id)
{
    CHECK(!sg_txn_is_open(h->txn)); /* committed state only */
    sg_buf b;
    sg_buf_init(&b);
    int64_t next = 0;
    CHECK_EQ_INT(sg_hist_read(h->e, &h->a, EH_NS_ID, run_id, 1, 0, &b, &next), 0);
    pb_history *hist = temporal__api__history__v1__history__unpack(&h->a.pb, b.len, sg_buf_head(&b));
    sg_buf_deinit(&b);
    CHECK(hist != NULL);
    return hist;
}

void eh_print_history(const char *what, const pb_history *hist)
{
    fprintf(stderr, "  %s:", what);
    for (size_t i = 0; i < hist->n_events; i++)
        fprintf(stderr, " %lld:%s", (long long)hist->events[i]->event_id,
                eh_event_name(hist->events[i]->event_type));
    fprintf(stderr, "\n");
}

pb_history *eh_history(eh *h, const char *run_id)
{
    CHECK(!sg_txn_is_open(h->txn)); /* committed state only */
    sg_buf b;
    sg_buf_init(&b);
    int64_t next = 0;
    CHECK_EQ_INT(sg_hist_read(h->e, &h->a, EH_NS_ID, run_id, 1, 0, &b, &next), 0);
    pb_history *hist = temporal__api__history__v1__history__unpack(&h->a.pb, b.len, sg_buf_head(&b));
    sg_buf_deinit(&b);
    CHECK(hist != NULL);
    eh_check_ids(hist, 1);
    CHECK_EQ_INT(next, (int64_t)hist->n_events + 1);
    return hist;
}

void eh_check_types(const pb_history *hist, const int *types, size_t n, const char *file,
                    int line)
{
    bool same = hist->n_events == n;
    for (size_t i = 0; same && i < n; i++)
        same = (int)hist->events[i]->event_type == types[i];
    if (same)
        return;
    fprintf(stderr, "  %s:%d: history differs\n    expected:", file, line);
    for (size_t i = 0; i < n; i++)
        fprintf(stderr, " %zu:%s", i + 1, eh_event_name(types[i]));
    fprintf(stderr, "\n    actual:  ");
    for (size_t i = 0; i < hist->n_events; i++)
        fprintf(stderr, " %lld:%s", (long long)hist->events[i]->event_id,
                eh_event_name(hist->events[i]->event_type));
    fprintf(stderr, "\n");
    exit(1);
}

pb_history *eh_expect_history(eh *h, const char *run_id, const int *types, size_t n,
                              const char *file, int line)
{
    pb_history *hist = eh_history(h, run_id);
    eh_check_types(hist, types, n, file, line);
    return hist;
}

ms_t *eh_state(eh *h, const char *run_id)
{
    CHECK(!sg_txn_is_open(h->txn));
    sg_execution_rec rec;
    CHECK_EQ_INT(sg_store_execution_get(h->st, EH_NS_ID, run_id, &rec), 0);
    ms_t *ms = sandglass__v1__mutable_state__unpack(&h->a.pb, rec.state_len, rec.state);
    sg_execution_rec_deinit(&rec);
    CHECK(ms != NULL);
    return ms;
}

void eh_check_poll_history(const eh_wft *t, int64_t first_id, const int *types, size_t n,
                           const char *file, int line)
{
    CHECK(t->got && t->history != NULL);
    eh_check_types(t->history, types, n, file, line);
    eh_check_ids(t->history, first_id);
    if (!t->resp.next_page_token.len && t->history->n_events) {
        int64_t last = t->history->events[t->history->n_events - 1]->event_id;
        if (last != t->resp.started_event_id) {
            fprintf(stderr, "  %s:%d: poll history ends at %lld, started_event_id is %lld\n", file,
                    line, (long long)last, (long long)t->resp.started_event_id);
            exit(1);
        }
    }
}

bool eh_same_event(eh *h, const pb_event *x, const pb_event *y)
{
    sg_arena *a = &h->a;
    size_t nx = protobuf_c_message_get_packed_size(&x->base);
    size_t ny = protobuf_c_message_get_packed_size(&y->base);
    if (nx != ny)
        return false;
    uint8_t *bx = sg_arena_alloc(a, nx ? nx : 1), *by = sg_arena_alloc(a, ny ? ny : 1);
    protobuf_c_message_pack(&x->base, bx);
    protobuf_c_message_pack(&y->base, by);
    return memcmp(bx, by, nx) == 0;
}

void eh_check_transient_state(eh *h, const char *run_id, int64_t sched, bool started,
                              int32_t attempt)
{
    ms_t *ms = eh_state(h, run_id);
    CHECK(ms->wft != NULL);
    CHECK(ms->wft->is_transient);
    CHECK_EQ_INT(ms->wft->scheduled_event_id, sched);
    CHECK_EQ_INT(ms->wft->started_event_id, started ? sched + 1 : 0);
    CHECK_EQ_INT(ms->wft->attempt, attempt);
    CHECK_EQ_INT(ms->next_event_id, sched); /* the ids are reserved, not used */
}

void eh_check_transient_poll(eh *h, const char *run_id, const eh_wft *t, int64_t sched,
                             int32_t attempt)
{
    CHECK(t->got && t->history != NULL);
    const Temporal__Api__Workflowservice__V1__PollWorkflowTaskQueueResponse *r = &t->resp;
    CHECK_EQ_INT(r->attempt, attempt);
    CHECK_EQ_INT(r->started_event_id, sched + 1);
    CHECK_EQ_INT(r->next_page_token.len, 0);
    CHECK_EQ_STR(r->workflow_execution->run_id, run_id);
    const pb_history *ph = t->history;
    eh_check_ids(ph, 1);
    CHECK_EQ_INT(ph->n_events, sched + 1);

    /* Stored events first, exactly as stored. */
    pb_history *stored = eh_history(h, run_id);
    CHECK_EQ_INT(stored->n_events, sched - 1);
    for (size_t i = 0; i < stored->n_events; i++) {
        if (!eh_same_event(h, stored->events[i], ph->events[i])) {
            eh_print_history("stored", stored);
            eh_print_history("polled", ph);
            fprintf(stderr, "  polled event %zu differs from the stored one\n", i + 1);
            exit(1);
        }
    }

    /* Then the synthesized pair. */
    const pb_event *s = ph->events[sched - 1], *st = ph->events[sched];
    CHECK_EQ_INT(s->event_id, sched);
    CHECK_EQ_INT(s->event_type, EVT(WORKFLOW_TASK_SCHEDULED));
    const Temporal__Api__History__V1__WorkflowTaskScheduledEventAttributes *sa =
        s->workflow_task_scheduled_event_attributes;
    CHECK(sa != NULL);
    CHECK_EQ_INT(sa->attempt, attempt);
    CHECK(sa->task_queue != NULL);
    CHECK_EQ_STR(sa->task_queue->name, EH_TQ);
    CHECK_EQ_INT(sa->task_queue->kind, TQ_KIND(NORMAL));
    CHECK(sa->start_to_close_timeout != NULL);
    CHECK(s->event_time != NULL && r->scheduled_time != NULL);
    CHECK_EQ_INT(sg_ts_to_ms(s->event_time), sg_ts_to_ms(r->scheduled_time));

    CHECK_EQ_INT(st->event_id, sched + 1);
    CHECK_EQ_INT(st->event_type, EVT(WORKFLOW_TASK_STARTED));
    const Temporal__Api__History__V1__WorkflowTaskStartedEventAttributes *ta =
        st->workflow_task_started_event_attributes;
    CHECK(ta != NULL);
    CHECK_EQ_INT(ta->scheduled_event_id, sched);
    CHECK_EQ_STR(ta->identity, "worker-1");
    CHECK_EQ_STR(ta->request_id, "poll-req-1");
    CHECK(st->event_time != NULL && r->started_time != NULL);
    CHECK_EQ_INT(sg_ts_to_ms(st->event_time), sg_ts_to_ms(r->started_time));

    eh_check_transient_state(h, run_id, sched, true, attempt);
}
