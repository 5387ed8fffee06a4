/* SPDX-License-Identifier: Apache-2.0 */
/* test_engine_signals.c: talking to a running run — signals (buffered while a task runs,
 * de-duplicated by request id), signal-with-start, cancel requests and termination — and the
 * answers for runs that are gone (PROTOCOL.md 3.5, 4). */
#include "engine_tests.h"

static int signal_run(eh *h, const char *wf, const char *run, const char *name, const char *input,
                      const char *request_id, sg_engine_err *err)
{
    Temporal__Api__Workflowservice__V1__SignalWorkflowExecutionRequest req =
        TEMPORAL__API__WORKFLOWSERVICE__V1__SIGNAL_WORKFLOW_EXECUTION_REQUEST__INIT;
    Temporal__Api__Common__V1__WorkflowExecution we = TEMPORAL__API__COMMON__V1__WORKFLOW_EXECUTION__INIT;
    we.workflow_id = (char *)wf;
    we.run_id = (char *)(run ? run : "");
    req.namespace_ = EH_NS;
    req.workflow_execution = &we;
    req.signal_name = (char *)name;
    req.input = input ? eh_payloads(h, input) : NULL;
    req.identity = "client-1";
    req.request_id = (char *)(request_id ? request_id : "");
    sg_engine_err none;
    memset(err ? err : &none, 0, sizeof none);
    int rc = sg_engine_signal(h->e, &h->a, EH_NS_ID, &req, err ? err : &none);
    eh_flush(h);
    return rc;
}

static Temporal__Api__History__V1__WorkflowExecutionSignaledEventAttributes *signaled(pb_history *hist,
                                                                                     int64_t id)
{
    CHECK_EQ_INT(EV(hist, id)->event_type, E(WORKFLOW_EXECUTION_SIGNALED));
    return EV(hist, id)->workflow_execution_signaled_event_attributes;
}

SG_TEST(engine_signal_idle_run_asks_for_a_task)
{
    eh h;
    eh_init(&h, NULL);
    const char *run = open_run(&h, "wf-1", NULL, CMDS(eh_cmd_timer(&h, "t", 60000)));
    CHECK_EQ_INT(signal_run(&h, "wf-1", NULL, "resume", "go", "sig-1", NULL), 0);
    pb_history *hist = EXPECT_HISTORY(&h, run, E(WORKFLOW_EXECUTION_STARTED),
                                      E(WORKFLOW_TASK_SCHEDULED), E(WORKFLOW_TASK_STARTED),
                                      E(WORKFLOW_TASK_COMPLETED), E(TIMER_STARTED),
                                      E(WORKFLOW_EXECUTION_SIGNALED), E(WORKFLOW_TASK_SCHEDULED));
    CHECK_EQ_STR(signaled(hist, 6)->signal_name, "resume");
    CHECK_EQ_STR(eh_payload_str(&h, signaled(hist, 6)->input), "go");
    CHECK_EQ_STR(signaled(hist, 6)->identity, "client-1");
    /* The same request again (a client retry) is not a second signal. */
    CHECK_EQ_INT(signal_run(&h, "wf-1", run, "resume", "go", "sig-1", NULL), 0);
    CHECK_EQ_INT(eh_history(&h, run)->n_events, 7);
    /* Signals are delivered in order, all to the pending task. */
    CHECK_EQ_INT(signal_run(&h, "wf-1", run, "more", "2", "sig-2", NULL), 0);
    CHECK_EQ_INT(signal_run(&h, "wf-1", run, "more", "3", NULL, NULL), 0);
    hist = EXPECT_HISTORY(&h, run, E(WORKFLOW_EXECUTION_STARTED), E(WORKFLOW_TASK_SCHEDULED),
                          E(WORKFLOW_TASK_STARTED), E(WORKFLOW_TASK_COMPLETED), E(TIMER_STARTED),
                          E(WORKFLOW_EXECUTION_SIGNALED), E(WORKFLOW_TASK_SCHEDULED),
                          E(WORKFLOW_EXECUTION_SIGNALED), E(WORKFLOW_EXECUTION_SIGNALED));
    CHECK_EQ_STR(eh_payload_str(&h, signaled(hist, 9)->input), "3");
    eh_deinit(&h);
}

SG_TEST(engine_signal_during_a_task_is_buffered_until_it_completes)
{
    eh h;
    eh_init(&h, NULL);
    const char *run = eh_start_ok(&h, "wf-1", NULL);
    eh_wft *t1 = eh_take_wft(&h, EH_TQ, false);
    CHECK_EQ_INT(signal_run(&h, "wf-1", NULL, "s", "x", NULL, NULL), 0);
    /* Nothing lands between Started and Completed. */
    EXPECT_HISTORY(&h, run, E(WORKFLOW_EXECUTION_STARTED), E(WORKFLOW_TASK_SCHEDULED),
                   E(WORKFLOW_TASK_STARTED));
    /* Closing over a buffered signal is refused, so the workflow sees it first. */
    sg_engine_err err;
    CHECK_EQ_INT(eh_complete(&h, t1, CMDS(eh_cmd_complete(&h, "done")), &err), SG_EINVAL);
    CHECK_EQ_INT(err.wft_failed_cause, WFT_CAUSE(UNHANDLED_COMMAND));
    pb_history *hist = EXPECT_HISTORY(&h, run, E(WORKFLOW_EXECUTION_STARTED),
                                      E(WORKFLOW_TASK_SCHEDULED), E(WORKFLOW_TASK_STARTED),
                                      E(WORKFLOW_TASK_FAILED), E(WORKFLOW_EXECUTION_SIGNALED),
                                      E(WORKFLOW_TASK_SCHEDULED));
    CHECK_EQ_STR(signaled(hist, 5)->signal_name, "s");
    eh_wft *t2 = eh_take_wft(&h, EH_TQ, false);
    CHECK_EQ_INT(eh_complete(&h, t2, CMDS(eh_cmd_complete(&h, "done")), NULL), 0);
    CHECK_EQ_INT(eh_state(&h, run)->status, ST_COMPLETED);
    eh_deinit(&h);
}

SG_TEST(engine_signal_to_a_closed_or_missing_run_is_not_found)
{
    eh h;
    eh_init(&h, NULL);
    const char *run = open_run(&h, "wf-1", NULL, CMDS(eh_cmd_complete(&h, "done")));
    sg_engine_err err;
    CHECK_EQ_INT(signal_run(&h, "wf-1", NULL, "s", NULL, NULL, &err), SG_ENOTFOUND);
    CHECK_EQ_STR(err.message, "workflow execution already completed");
    CHECK_EQ_INT(signal_run(&h, "nope", NULL, "s", NULL, NULL, &err), SG_ENOTFOUND);
    CHECK(strstr(err.message, "not found") != NULL);
    /* A run id that belongs to another workflow id. */
    eh_start_ok(&h, "wf-2", NULL);
    CHECK_EQ_INT(signal_run(&h, "wf-2", run, "s", NULL, NULL, &err), SG_ENOTFOUND);
    CHECK_EQ_INT(eh_history(&h, run)->n_events, 5); /* nothing written */
    eh_deinit(&h);
}

static int signal_with_start(eh *h, const char *wf, const char *name, int conflict,
                             Temporal__Api__Workflowservice__V1__SignalWithStartWorkflowExecutionResponse *out)
{
    Temporal__Api__Workflowservice__V1__SignalWithStartWorkflowExecutionRequest req =
        TEMPORAL__API__WORKFLOWSERVICE__V1__SIGNAL_WITH_START_WORKFLOW_EXECUTION_REQUEST__INIT;
    Temporal__Api__Common__V1__WorkflowType wt = TEMPORAL__API__COMMON__V1__WORKFLOW_TYPE__INIT;
    Temporal__Api__Taskqueue__V1__TaskQueue tq = TEMPORAL__API__TASKQUEUE__V1__TASK_QUEUE__INIT;
    wt.name = "wf-type";
    tq.name = EH_TQ;
    req.namespace_ = EH_NS;
    req.workflow_id = (char *)wf;
    req.workflow_type = &wt;
    req.task_queue = &tq;
    req.signal_name = (char *)name;
    req.signal_input = eh_payloads(h, "payload");
    req.identity = "client-1";
    req.request_id = sg_arena_printf(&h->a, "req-%s-%s", wf, name);
    req.workflow_id_conflict_policy = (Temporal__Api__Enums__V1__WorkflowIdConflictPolicy)conflict;
    temporal__api__workflowservice__v1__signal_with_start_workflow_execution_response__init(out);
    sg_engine_err err = { 0 };
    int rc = sg_engine_signal_with_start(h->e, &h->a, EH_NS_ID, EH_NS, &req, out, &err);
    eh_flush(h);
    return rc;
}

SG_TEST(engine_signal_with_start_starts_or_signals)
{
    eh h;
    eh_init(&h, NULL);
    Temporal__Api__Workflowservice__V1__SignalWithStartWorkflowExecutionResponse out;
    CHECK_EQ_INT(signal_with_start(&h, "wf-1", "first", 0, &out), 0);
    CHECK(out.started);
    const char *run = sg_arena_strdup(&h.a, out.run_id);
    pb_history *hist = EXPECT_HISTORY(&h, run, E(WORKFLOW_EXECUTION_STARTED),
                                      E(WORKFLOW_EXECUTION_SIGNALED), E(WORKFLOW_TASK_SCHEDULED));
    CHECK_EQ_STR(signaled(hist, 2)->signal_name, "first");
    /* Running: the default (USE_EXISTING) signals it. */
    CHECK_EQ_INT(signal_with_start(&h, "wf-1", "second", 0, &out), 0);
    CHECK(!out.started);
    CHECK_EQ_STR(out.run_id, run);
    hist = EXPECT_HISTORY(&h, run, E(WORKFLOW_EXECUTION_STARTED), E(WORKFLOW_EXECUTION_SIGNALED),
                          E(WORKFLOW_TASK_SCHEDULED), E(WORKFLOW_EXECUTION_SIGNALED));
    /* TERMINATE_EXISTING: a new run carrying the signal. */
    CHECK_EQ_INT(signal_with_start(&h, "wf-1", "third", CONFLICT(TERMINATE_EXISTING), &out), 0);
    CHECK(out.started);
    CHECK(strcmp(out.run_id, run) != 0);
    EXPECT_HISTORY(&h, run, E(WORKFLOW_EXECUTION_STARTED), E(WORKFLOW_EXECUTION_SIGNALED),
                   E(WORKFLOW_TASK_SCHEDULED), E(WORKFLOW_EXECUTION_SIGNALED),
                   E(WORKFLOW_EXECUTION_TERMINATED));
    EXPECT_HISTORY(&h, out.run_id, E(WORKFLOW_EXECUTION_STARTED), E(WORKFLOW_EXECUTION_SIGNALED),
                   E(WORKFLOW_TASK_SCHEDULED));
    eh_deinit(&h);
}

static int cancel_run(eh *h, const char *wf, const char *request_id, sg_engine_err *err)
{
    Temporal__Api__Workflowservice__V1__RequestCancelWorkflowExecutionRequest req =
        TEMPORAL__API__WORKFLOWSERVICE__V1__REQUEST_CANCEL_WORKFLOW_EXECUTION_REQUEST__INIT;
    Temporal__Api__Common__V1__WorkflowExecution we = TEMPORAL__API__COMMON__V1__WORKFLOW_EXECUTION__INIT;
    we.workflow_id = (char *)wf;
    req.namespace_ = EH_NS;
    req.workflow_execution = &we;
    req.identity = "ops";
    req.request_id = (char *)request_id;
    req.reason = "no longer needed";
    memset(err, 0, sizeof *err);
    int rc = sg_engine_request_cancel(h->e, &h->a, EH_NS_ID, &req, err);
    eh_flush(h);
    return rc;
}

SG_TEST(engine_cancel_request_then_the_workflow_cancels)
{
    eh h;
    eh_init(&h, NULL);
    const char *run = open_run(&h, "wf-1", NULL, CMDS(eh_cmd_timer(&h, "t", 60000)));
    sg_engine_err err;
    CHECK_EQ_INT(cancel_run(&h, "wf-1", "c-1", &err), 0);
    CHECK_EQ_INT(cancel_run(&h, "wf-1", "c-2", &err), 0); /* idempotent */
    pb_history *hist = EXPECT_HISTORY(&h, run, E(WORKFLOW_EXECUTION_STARTED),
                                      E(WORKFLOW_TASK_SCHEDULED), E(WORKFLOW_TASK_STARTED),
                                      E(WORKFLOW_TASK_COMPLETED), E(TIMER_STARTED),
                                      E(WORKFLOW_EXECUTION_CANCEL_REQUESTED),
                                      E(WORKFLOW_TASK_SCHEDULED));
    Temporal__Api__History__V1__WorkflowExecutionCancelRequestedEventAttributes *c =
        EV(hist, 6)->workflow_execution_cancel_requested_event_attributes;
    CHECK_EQ_STR(c->cause, "no longer needed");
    CHECK_EQ_STR(c->identity, "ops");
    CHECK(eh_state(&h, run)->cancel_requested);
    Temporal__Api__Workflowservice__V1__DescribeWorkflowExecutionRequest dreq =
        TEMPORAL__API__WORKFLOWSERVICE__V1__DESCRIBE_WORKFLOW_EXECUTION_REQUEST__INIT;
    Temporal__Api__Common__V1__WorkflowExecution dwe = TEMPORAL__API__COMMON__V1__WORKFLOW_EXECUTION__INIT;
    dwe.workflow_id = "wf-1";
    dreq.execution = &dwe;
    Temporal__Api__Workflowservice__V1__DescribeWorkflowExecutionResponse dout =
        TEMPORAL__API__WORKFLOWSERVICE__V1__DESCRIBE_WORKFLOW_EXECUTION_RESPONSE__INIT;
    CHECK_EQ_INT(sg_engine_describe(h.e, &h.a, EH_NS_ID, &dreq, &dout), 0);
    CHECK(dout.workflow_extended_info && dout.workflow_extended_info->cancel_requested);
    eh_wft *t2 = eh_take_wft(&h, EH_TQ, false);
    CHECK_EQ_INT(eh_complete(&h, t2, CMDS(eh_cmd_cancel_timer(&h, "t"), eh_cmd_cancel_workflow(&h, NULL)),
                             NULL),
                 0);
    CHECK_EQ_INT(eh_state(&h, run)->status, ST_CANCELED);
    /* As Temporal: cancelling a finished run is a success that changes nothing. */
    int64_t n = eh_history(&h, run)->n_events;
    CHECK_EQ_INT(cancel_run(&h, "wf-1", "c-3", &err), 0);
    CHECK_EQ_INT(eh_history(&h, run)->n_events, n);
    CHECK_EQ_INT(cancel_run(&h, "nope", "c-4", &err), SG_ENOTFOUND);
    eh_deinit(&h);
}

SG_TEST(engine_terminate_drops_pending_work_and_refuses_old_tokens)
{
    eh h;
    eh_init(&h, NULL);
    const char *run = open_run(&h, "wf-1", NULL,
                               CMDS(eh_cmd_activity(&h, "a1", 0, 0, 60000, 0, NULL),
                                    eh_cmd_timer(&h, "t", 1000)));
    eh_act *act = eh_take_act(&h, EH_TQ);
    eh_advance(&h, 1000); /* timer fires: a task is scheduled */
    eh_wft *t2 = eh_take_wft(&h, EH_TQ, false);
    Temporal__Api__Workflowservice__V1__TerminateWorkflowExecutionRequest req =
        TEMPORAL__API__WORKFLOWSERVICE__V1__TERMINATE_WORKFLOW_EXECUTION_REQUEST__INIT;
    Temporal__Api__Common__V1__WorkflowExecution we = TEMPORAL__API__COMMON__V1__WORKFLOW_EXECUTION__INIT;
    we.workflow_id = "wf-1";
    req.namespace_ = EH_NS;
    req.workflow_execution = &we;
    req.reason = "stuck";
    req.details = eh_payloads(&h, "see ticket 42");
    req.identity = "ops";
    sg_engine_err err = { 0 };
    CHECK_EQ_INT(sg_engine_terminate(h.e, &h.a, EH_NS_ID, &req, &err), 0);
    eh_flush(&h);
    pb_history *hist = EXPECT_HISTORY(&h, run, E(WORKFLOW_EXECUTION_STARTED),
                                      E(WORKFLOW_TASK_SCHEDULED), E(WORKFLOW_TASK_STARTED),
                                      E(WORKFLOW_TASK_COMPLETED), E(ACTIVITY_TASK_SCHEDULED),
                                      E(TIMER_STARTED), E(TIMER_FIRED), E(WORKFLOW_TASK_SCHEDULED),
                                      E(WORKFLOW_TASK_STARTED), E(WORKFLOW_TASK_FAILED),
                                      E(WORKFLOW_EXECUTION_TERMINATED));
    CHECK_EQ_INT(EV(hist, 10)->workflow_task_failed_event_attributes->cause,
                 WFT_CAUSE(FORCE_CLOSE_COMMAND));
    Temporal__Api__History__V1__WorkflowExecutionTerminatedEventAttributes *t =
        EV(hist, 11)->workflow_execution_terminated_event_attributes;
    CHECK_EQ_STR(t->reason, "stuck");
    CHECK_EQ_STR(eh_payload_str(&h, t->details), "see ticket 42");
    CHECK_EQ_STR(t->identity, "ops");
    ms_t *ms = eh_state(&h, run);
    CHECK_EQ_INT(ms->status, ST_TERMINATED);
    CHECK_EQ_INT(ms->n_activities, 0);
    CHECK_EQ_INT(ms->n_timers, 0);
    /* The worker's task and activity tokens are stale now. */
    CHECK_EQ_INT(eh_act_complete(&h, act, "late"), SG_ENOTFOUND);
    CHECK_EQ_INT(eh_complete(&h, t2, CMDS(eh_cmd_complete(&h, "late")), NULL), SG_ENOTFOUND);
    CHECK_EQ_INT(sg_engine_terminate(h.e, &h.a, EH_NS_ID, &req, &err), SG_ENOTFOUND);
    CHECK_EQ_STR(err.message, "workflow execution already completed");
    eh_deinit(&h);
}

static int delete_run(eh *h, const char *wf, const char *run)
{
    Temporal__Api__Common__V1__WorkflowExecution we = TEMPORAL__API__COMMON__V1__WORKFLOW_EXECUTION__INIT;
    we.workflow_id = (char *)wf;
    we.run_id = (char *)(run ? run : "");
    sg_engine_err err = { 0 };
    int rc = sg_engine_delete(h->e, &h->a, EH_NS_ID, &we, &err);
    eh_flush(h);
    return rc;
}

static int read_history(eh *h, const char *wf, const char *run)
{
    Temporal__Api__Workflowservice__V1__GetWorkflowExecutionHistoryRequest req =
        TEMPORAL__API__WORKFLOWSERVICE__V1__GET_WORKFLOW_EXECUTION_HISTORY_REQUEST__INIT;
    Temporal__Api__Common__V1__WorkflowExecution we = TEMPORAL__API__COMMON__V1__WORKFLOW_EXECUTION__INIT;
    we.workflow_id = (char *)wf;
    we.run_id = (char *)(run ? run : "");
    req.execution = &we;
    Temporal__Api__Workflowservice__V1__GetWorkflowExecutionHistoryResponse out =
        TEMPORAL__API__WORKFLOWSERVICE__V1__GET_WORKFLOW_EXECUTION_HISTORY_RESPONSE__INIT;
    sg_buf b;
    sg_buf_init(&b);
    bool waitable;
    int rc = sg_engine_get_history(h->e, &h->a, EH_NS_ID, &req, true, &out, &b, &waitable);
    sg_buf_deinit(&b);
    return rc;
}

SG_TEST(engine_delete_running_and_closed_runs)
{
    eh h;
    eh_init(&h, NULL);
    size_t cached = sg_map_len(&h.e->cache);
    const char *run = open_run(&h, "wf-1", NULL,
                               CMDS(eh_cmd_activity(&h, "a1", 0, 0, 60000, 0, NULL)));
    eh_act *act = eh_take_act(&h, EH_TQ);
    CHECK_EQ_INT(delete_run(&h, "wf-1", NULL), 0);
    CHECK_EQ_INT(read_history(&h, "wf-1", NULL), SG_ENOTFOUND);
    CHECK_EQ_INT(read_history(&h, "wf-1", run), SG_ENOTFOUND);
    sg_execution_rec rec;
    CHECK_EQ_INT(sg_store_execution_get(h.st, EH_NS_ID, run, &rec), SG_ENOTFOUND);
    CHECK_EQ_INT(signal_run(&h, "wf-1", run, "s", NULL, NULL, NULL), SG_ENOTFOUND);
    CHECK_EQ_INT(eh_act_complete(&h, act, "late"), SG_ENOTFOUND);
    CHECK_EQ_INT(sg_map_len(&h.e->cache), cached);
    CHECK_EQ_INT(delete_run(&h, "wf-1", NULL), SG_ENOTFOUND);
    /* The id is free again. */
    const char *run2 = open_run(&h, "wf-1", NULL, CMDS(eh_cmd_complete(&h, "done")));
    CHECK(strcmp(run, run2) != 0);
    CHECK_EQ_INT(delete_run(&h, "wf-1", run2), 0); /* a closed run */
    CHECK_EQ_INT(read_history(&h, "wf-1", run2), SG_ENOTFOUND);
    CHECK_EQ_INT(sg_map_len(&h.e->cache), cached);
    eh_deinit(&h);
}

/* ---- queries ---- */

typedef struct query_seen {
    int calls;
    int rc;
    int rejected;
    char answer[64];
} query_seen;

static void on_query_done(void *ud, const sg_query_outcome *o)
{
    query_seen *s = ud;
    s->calls++;
    s->rc = o->rc;
    s->rejected = o->rejected_status;
    if (o->answer && o->answer->n_payloads)
        snprintf(s->answer, sizeof s->answer, "%.*s", (int)o->answer->payloads[0]->data.len,
                 (const char *)o->answer->payloads[0]->data.data);
}

static int query_run(eh *h, const char *wf, int reject, query_seen *seen, sg_query **q)
{
    Temporal__Api__Workflowservice__V1__QueryWorkflowRequest req =
        TEMPORAL__API__WORKFLOWSERVICE__V1__QUERY_WORKFLOW_REQUEST__INIT;
    Temporal__Api__Common__V1__WorkflowExecution we = TEMPORAL__API__COMMON__V1__WORKFLOW_EXECUTION__INIT;
    Temporal__Api__Query__V1__WorkflowQuery wq = TEMPORAL__API__QUERY__V1__WORKFLOW_QUERY__INIT;
    we.workflow_id = (char *)wf;
    wq.query_type = "status";
    req.namespace_ = EH_NS;
    req.execution = &we;
    req.query = &wq;
    req.query_reject_condition = (Temporal__Api__Enums__V1__QueryRejectCondition)reject;
    sg_engine_err err = { 0 };
    return sg_engine_query(h->e, &h->a, EH_NS_ID, &req, on_query_done, seen, q, &err);
}

static pb_payloads *answer_payloads(eh *h, const char *s)
{
    return eh_payloads(h, s);
}

/* A query while a workflow task is pending rides on it: the poll carries `queries`, the
 * completion's query_results answer it, and nothing is written. */
SG_TEST(engine_query_rides_on_the_pending_task)
{
    eh h;
    eh_init(&h, NULL);
    const char *run = eh_start_ok(&h, "wf-1", NULL);
    query_seen seen = { 0 };
    sg_query *q;
    CHECK_EQ_INT(query_run(&h, "wf-1", 0, &seen, &q), 0);
    CHECK(q != NULL);
    CHECK_EQ_INT(seen.calls, 0);
    eh_wft *t1 = eh_take_wft(&h, EH_TQ, false);
    CHECK_EQ_INT(t1->resp.n_queries, 1);
    CHECK(t1->resp.query == NULL);
    const char *qid = t1->resp.queries[0]->key;
    CHECK_EQ_STR(t1->resp.queries[0]->value->query_type, "status");
    /* The completion answers it. */
    Temporal__Api__Workflowservice__V1__RespondWorkflowTaskCompletedRequest req =
        TEMPORAL__API__WORKFLOWSERVICE__V1__RESPOND_WORKFLOW_TASK_COMPLETED_REQUEST__INIT;
    req.task_token = t1->resp.task_token;
    req.namespace_ = EH_NS;
    req.identity = "worker-1";
    typedef Temporal__Api__Workflowservice__V1__RespondWorkflowTaskCompletedRequest__QueryResultsEntry entry;
    entry en = TEMPORAL__API__WORKFLOWSERVICE__V1__RESPOND_WORKFLOW_TASK_COMPLETED_REQUEST__QUERY_RESULTS_ENTRY__INIT;
    Temporal__Api__Query__V1__WorkflowQueryResult r = TEMPORAL__API__QUERY__V1__WORKFLOW_QUERY_RESULT__INIT;
    r.result_type = TEMPORAL__API__ENUMS__V1__QUERY_RESULT_TYPE__QUERY_RESULT_TYPE_ANSWERED;
    r.answer = answer_payloads(&h, "\"waiting\"");
    en.key = (char *)qid;
    en.value = &r;
    entry *ens[] = { &en };
    req.query_results = ens;
    req.n_query_results = 1;
    Temporal__Api__Workflowservice__V1__RespondWorkflowTaskCompletedResponse out =
        TEMPORAL__API__WORKFLOWSERVICE__V1__RESPOND_WORKFLOW_TASK_COMPLETED_RESPONSE__INIT;
    sg_engine_err err = { 0 };
    CHECK_EQ_INT(sg_engine_workflow_task_completed(h.e, &h.a, &req, &out, &err), 0);
    eh_flush(&h);
    CHECK_EQ_INT(seen.calls, 1);
    CHECK_EQ_INT(seen.rc, 0);
    CHECK_EQ_STR(seen.answer, "\"waiting\"");
    EXPECT_HISTORY(&h, run, E(WORKFLOW_EXECUTION_STARTED), E(WORKFLOW_TASK_SCHEDULED),
                   E(WORKFLOW_TASK_STARTED), E(WORKFLOW_TASK_COMPLETED));
    CHECK_EQ_INT(sg_map_len(&h.e->queries), 0);
    eh_deinit(&h);
}

/* No task to ride on: a legacy query task (query set, started_event_id 0) goes to the queue;
 * RespondQueryTaskCompleted answers (here: the workflow failed it). A caller that gives up
 * leaves nothing behind. */
SG_TEST(engine_query_task_when_no_workflow_task_is_pending)
{
    eh h;
    eh_init(&h, NULL);
    open_run(&h, "wf-1", NULL, CMDS(eh_cmd_timer(&h, "t", 60000)));
    query_seen seen = { 0 };
    sg_query *q;
    CHECK_EQ_INT(query_run(&h, "wf-1", 0, &seen, &q), 0);
    eh_wft *qt = eh_take_wft(&h, EH_TQ, false);
    CHECK(qt->resp.query != NULL);
    CHECK_EQ_INT(qt->resp.n_queries, 0);
    CHECK_EQ_INT(qt->resp.started_event_id, 0);
    CHECK_EQ_INT(qt->resp.previous_started_event_id, 3);
    CHECK(qt->history && qt->history->n_events == 5); /* the full history so far */
    Temporal__Api__Workflowservice__V1__RespondQueryTaskCompletedRequest req =
        TEMPORAL__API__WORKFLOWSERVICE__V1__RESPOND_QUERY_TASK_COMPLETED_REQUEST__INIT;
    req.task_token = qt->resp.task_token;
    req.namespace_ = EH_NS;
    req.completed_type = TEMPORAL__API__ENUMS__V1__QUERY_RESULT_TYPE__QUERY_RESULT_TYPE_FAILED;
    req.error_message = "unknown queryType status";
    sg_engine_err err = { 0 };
    CHECK_EQ_INT(sg_engine_query_task_completed(h.e, &h.a, &req, &err), 0);
    CHECK_EQ_INT(seen.calls, 1);
    CHECK_EQ_INT(seen.rc, SG_EINVAL);
    /* Its token is now stale; a workflow-task completion with it is refused. */
    CHECK_EQ_INT(sg_engine_query_task_completed(h.e, &h.a, &req, &err), SG_ENOTFOUND);
    CHECK_EQ_INT(eh_complete(&h, qt, CMDS(eh_cmd_complete(&h, NULL)), &err), SG_EINVAL);
    /* A caller that gives up leaves nothing behind; its task reference turns stale. */
    query_seen seen2 = { 0 };
    CHECK_EQ_INT(query_run(&h, "wf-1", 0, &seen2, &q), 0);
    sg_engine_query_cancel(h.e, q);
    eh_wft none;
    CHECK(!eh_poll_wft(&h, EH_TQ, false, &none));
    CHECK_EQ_INT(seen2.calls, 0);
    eh_deinit(&h);
}

SG_TEST(engine_query_reject_condition)
{
    eh h;
    eh_init(&h, NULL);
    open_run(&h, "wf-1", NULL, CMDS(eh_cmd_cancel_workflow(&h, NULL)));
    query_seen seen = { 0 };
    sg_query *q;
    int not_open = TEMPORAL__API__ENUMS__V1__QUERY_REJECT_CONDITION__QUERY_REJECT_CONDITION_NOT_OPEN;
    int not_clean =
        TEMPORAL__API__ENUMS__V1__QUERY_REJECT_CONDITION__QUERY_REJECT_CONDITION_NOT_COMPLETED_CLEANLY;
    CHECK_EQ_INT(query_run(&h, "wf-1", not_open, &seen, &q), 0);
    CHECK(q == NULL);
    CHECK_EQ_INT(seen.calls, 1);
    CHECK_EQ_INT(seen.rejected, ST_CANCELED);
    memset(&seen, 0, sizeof seen);
    CHECK_EQ_INT(query_run(&h, "wf-1", not_clean, &seen, &q), 0);
    CHECK_EQ_INT(seen.rejected, ST_CANCELED);
    /* Without a condition a closed run is queried by replay: a query task goes out. */
    memset(&seen, 0, sizeof seen);
    CHECK_EQ_INT(query_run(&h, "wf-1", 0, &seen, &q), 0);
    CHECK(q != NULL);
    eh_wft *qt = eh_take_wft(&h, EH_TQ, false);
    CHECK(qt->resp.query != NULL);
    sg_engine_query_cancel(h.e, q);
    eh_deinit(&h);
}

/* ---- updates ---- */

typedef struct update_seen {
    int calls, rc, stage;
    bool failed;
} update_seen;

static void on_update(void *ud, const sg_update_result *r)
{
    update_seen *s = ud;
    s->calls++;
    s->rc = r->rc;
    s->stage = r->stage;
    s->failed = r->outcome &&
                r->outcome->value_case == TEMPORAL__API__UPDATE__V1__OUTCOME__VALUE_FAILURE;
}

static int update_run(eh *h, const char *wf, const char *id, update_seen *seen,
                      sg_update_wait **w)
{
    Temporal__Api__Workflowservice__V1__UpdateWorkflowExecutionRequest req =
        TEMPORAL__API__WORKFLOWSERVICE__V1__UPDATE_WORKFLOW_EXECUTION_REQUEST__INIT;
    Temporal__Api__Common__V1__WorkflowExecution we = TEMPORAL__API__COMMON__V1__WORKFLOW_EXECUTION__INIT;
    Temporal__Api__Update__V1__Request r = TEMPORAL__API__UPDATE__V1__REQUEST__INIT;
    Temporal__Api__Update__V1__Meta meta = TEMPORAL__API__UPDATE__V1__META__INIT;
    Temporal__Api__Update__V1__Input in = TEMPORAL__API__UPDATE__V1__INPUT__INIT;
    Temporal__Api__Update__V1__WaitPolicy wp = TEMPORAL__API__UPDATE__V1__WAIT_POLICY__INIT;
    we.workflow_id = (char *)wf;
    meta.update_id = (char *)id;
    in.name = "increment";
    r.meta = &meta;
    r.input = &in;
    wp.lifecycle_stage =
        TEMPORAL__API__ENUMS__V1__UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE__UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_COMPLETED;
    req.namespace_ = EH_NS;
    req.workflow_execution = &we;
    req.request = &r;
    req.wait_policy = &wp;
    sg_engine_err err = { 0 };
    int rc = sg_engine_update(h->e, &h->a, EH_NS_ID, &req, on_update, seen, w, &err);
    eh_flush(h);
    return rc;
}

/* An update a worker does not answer is rejected by the server (no event); one still pending
 * when the run closes fails NOT_FOUND; an unknown update id cannot be polled. */
SG_TEST(engine_update_unanswered_is_rejected_and_closing_fails_the_rest)
{
    eh h;
    eh_init(&h, NULL);
    const char *run = open_run(&h, "wf-1", NULL, CMDS(eh_cmd_timer(&h, "t", 60000)));
    update_seen s1 = { 0 };
    sg_update_wait *w1;
    CHECK_EQ_INT(update_run(&h, "wf-1", "u-1", &s1, &w1), 0);
    CHECK(w1 != NULL);
    eh_wft *t2 = eh_take_wft(&h, EH_TQ, false); /* the task that carries it */
    CHECK_EQ_INT(t2->resp.n_messages, 1);
    CHECK_EQ_STR(t2->resp.messages[0]->id, "u-1/request");
    CHECK_EQ_STR(t2->resp.messages[0]->protocol_instance_id, "u-1");
    CHECK_EQ_INT(t2->resp.messages[0]->event_id, t2->resp.started_event_id - 1);
    CHECK_EQ_INT(eh_complete(&h, t2, CMDS(eh_cmd_marker(&h, "m")), NULL), 0);
    CHECK_EQ_INT(s1.calls, 1);
    CHECK_EQ_INT(s1.rc, 0);
    CHECK(s1.failed);
    pb_history *hist = eh_history(&h, run);
    for (size_t i = 0; i < hist->n_events; i++)
        CHECK(hist->events[i]->event_type != E(WORKFLOW_EXECUTION_UPDATE_ACCEPTED));
    /* Admitted, then the run completes before any task carries it. */
    update_seen s2 = { 0 };
    sg_update_wait *w2;
    CHECK_EQ_INT(update_run(&h, "wf-1", "u-2", &s2, &w2), 0);
    eh_wft *t3 = eh_take_wft(&h, EH_TQ, false);
    CHECK_EQ_INT(t3->resp.n_messages, 1);
    /* (the worker answers nothing and closes: the update is rejected as unanswered) */
    CHECK_EQ_INT(eh_complete(&h, t3, CMDS(eh_cmd_complete(&h, NULL)), NULL), 0);
    CHECK_EQ_INT(s2.calls, 1);
    CHECK(s2.failed);
    /* Closed: a new update is NOT_FOUND. */
    update_seen s3 = { 0 };
    sg_update_wait *w3;
    CHECK_EQ_INT(update_run(&h, "wf-1", "u-3", &s3, &w3), SG_ENOTFOUND);
    CHECK_EQ_INT(s3.calls, 0);
    eh_deinit(&h);
}
