/* SPDX-License-Identifier: Apache-2.0 */
/* test_engine_workflow.c: the run: starts and their policies, run timeouts, workflow retries.
 * */
#include "engine_tests.h"

#include <sqlite3.h>

/* ==== start ==== */

SG_TEST(engine_start_writes_started_and_first_task)
{
    eh h;
    eh_init(&h, NULL);
    eh_start_opts o = { .task_timeout_ms = 7000, .run_timeout_ms = 60000 };
    const char *run = eh_start_ok(&h, "wf-1", &o);
    CHECK(strlen(run) == 36);
    pb_history *hist = EXPECT_HISTORY(&h, run, E(WORKFLOW_EXECUTION_STARTED), E(WORKFLOW_TASK_SCHEDULED));
    Temporal__Api__History__V1__WorkflowExecutionStartedEventAttributes *s =
        EV(hist, 1)->workflow_execution_started_event_attributes;
    CHECK(s != NULL);
    CHECK(s->workflow_task_timeout != NULL);
    CHECK_EQ_INT(sg_dur_to_ms(s->workflow_task_timeout), 7000);
    CHECK_EQ_INT(sg_dur_to_ms(s->workflow_run_timeout), 60000);
    CHECK_EQ_STR(s->original_execution_run_id, run);
    CHECK_EQ_STR(s->first_execution_run_id, run);
    CHECK_EQ_INT(s->attempt, 1);
    CHECK_EQ_STR(s->workflow_type->name, "wf-type");
    CHECK_EQ_STR(s->task_queue->name, EH_TQ);
    CHECK_EQ_INT(sg_ts_to_ms(EV(hist, 1)->event_time), EH_T0_MS);
    Temporal__Api__History__V1__WorkflowTaskScheduledEventAttributes *ws =
        EV(hist, 2)->workflow_task_scheduled_event_attributes;
    CHECK_EQ_INT(ws->attempt, 1);
    CHECK_EQ_STR(ws->task_queue->name, EH_TQ);
    CHECK_EQ_INT(ws->task_queue->kind, TQ_KIND(NORMAL));
    CHECK_EQ_INT(sg_dur_to_ms(ws->start_to_close_timeout), 7000);
    CHECK_EQ_INT(eh_state(&h, run)->status, ST_RUNNING);

    /* No task timeout given: 10 s. */
    const char *run2 = eh_start_ok(&h, "wf-2", NULL);
    hist = EXPECT_HISTORY(&h, run2, E(WORKFLOW_EXECUTION_STARTED), E(WORKFLOW_TASK_SCHEDULED));
    CHECK_EQ_INT(sg_dur_to_ms(EV(hist, 1)->workflow_execution_started_event_attributes->workflow_task_timeout),
                 10000);
    CHECK(EV(hist, 1)->workflow_execution_started_event_attributes->workflow_run_timeout == NULL);
    eh_deinit(&h);
}

SG_TEST(engine_start_same_request_id_returns_same_run)
{
    eh h;
    eh_init(&h, NULL);
    eh_start_opts o = { .request_id = "req-A" };
    const char *run = eh_start_ok(&h, "wf-1", &o);
    Temporal__Api__Workflowservice__V1__StartWorkflowExecutionResponse out;
    sg_engine_err err;
    CHECK_EQ_INT(eh_start(&h, "wf-1", &o, &out, &err), 0);
    CHECK_EQ_STR(out.run_id, run);
    CHECK(out.started);
    EXPECT_HISTORY(&h, run, E(WORKFLOW_EXECUTION_STARTED), E(WORKFLOW_TASK_SCHEDULED));
    eh_deinit(&h);
}

SG_TEST(engine_start_while_running_is_already_started)
{
    eh h;
    eh_init(&h, NULL);
    const char *run = eh_start_ok(&h, "wf-1", &(eh_start_opts){ .request_id = "req-A" });
    Temporal__Api__Workflowservice__V1__StartWorkflowExecutionResponse out;
    sg_engine_err err;
    CHECK_EQ_INT(eh_start(&h, "wf-1", &(eh_start_opts){ .request_id = "req-B" }, &out, &err),
                 SG_EEXIST);
    CHECK_EQ_STR(err.existing_run_id, run);
    CHECK_EQ_STR(err.existing_request_id, "req-A");
    CHECK(err.message && strstr(err.message, run));
    EXPECT_HISTORY(&h, run, E(WORKFLOW_EXECUTION_STARTED), E(WORKFLOW_TASK_SCHEDULED));
    eh_deinit(&h);
}

SG_TEST(engine_start_reject_duplicate_after_close)
{
    eh h;
    eh_init(&h, NULL);
    const char *run = open_run(&h, "wf-1", NULL, CMDS(eh_cmd_complete(&h, "done")));
    CHECK_EQ_INT(eh_state(&h, run)->status, ST_COMPLETED);
    Temporal__Api__Workflowservice__V1__StartWorkflowExecutionResponse out;
    sg_engine_err err;
    eh_start_opts rej = { .reuse_policy = REUSE(REJECT_DUPLICATE) };
    CHECK_EQ_INT(eh_start(&h, "wf-1", &rej, &out, &err), SG_EEXIST);
    CHECK_EQ_STR(err.existing_run_id, run);
    /* The default (ALLOW_DUPLICATE) starts a new run, which becomes current. */
    const char *run2 = eh_start_ok(&h, "wf-1", NULL);
    CHECK(strcmp(run, run2) != 0);
    sg_current_rec cur;
    CHECK_EQ_INT(sg_store_current_get(h.st, EH_NS_ID, "wf-1", &cur), 0);
    CHECK_EQ_STR(cur.run_id, run2);
    CHECK_EQ_INT(cur.status, ST_RUNNING);
    sg_current_rec_deinit(&cur);
    eh_deinit(&h);
}

SG_TEST(engine_start_conflict_use_existing)
{
    eh h;
    eh_init(&h, NULL);
    const char *run = eh_start_ok(&h, "wf-1", NULL);
    Temporal__Api__Workflowservice__V1__StartWorkflowExecutionResponse out;
    sg_engine_err err;
    CHECK_EQ_INT(eh_start(&h, "wf-1", &(eh_start_opts){ .conflict_policy = CONFLICT(USE_EXISTING) },
                          &out, &err),
                 0);
    CHECK_EQ_STR(out.run_id, run);
    CHECK(!out.started);
    EXPECT_HISTORY(&h, run, E(WORKFLOW_EXECUTION_STARTED), E(WORKFLOW_TASK_SCHEDULED));
    eh_deinit(&h);
}

SG_TEST(engine_run_timeout_times_out_the_workflow)
{
    eh h;
    eh_init(&h, NULL);
    const char *run = eh_start_ok(&h, "wf-1", &(eh_start_opts){ .run_timeout_ms = 5000 });
    eh_advance(&h, 4999);
    CHECK_EQ_INT(eh_history(&h, run)->n_events, 2);
    eh_advance(&h, 1);
    pb_history *hist = EXPECT_HISTORY(&h, run, E(WORKFLOW_EXECUTION_STARTED),
                                      E(WORKFLOW_TASK_SCHEDULED), E(WORKFLOW_EXECUTION_TIMED_OUT));
    CHECK_EQ_INT(EV(hist, 3)->workflow_execution_timed_out_event_attributes->retry_state,
                 RETRY_STATE(RETRY_POLICY_NOT_SET));
    ms_t *ms = eh_state(&h, run);
    CHECK_EQ_INT(ms->status, ST_TIMED_OUT);
    CHECK_EQ_INT(ms->close_event_id, 3);
    eh_wft t;
    CHECK(!eh_poll_wft(&h, EH_TQ, false, &t));
    CHECK_EQ_INT(t.stale, 1);
    eh_deinit(&h);
}

SG_TEST(engine_run_timeout_force_closes_a_started_task)
{
    eh h;
    eh_init(&h, NULL);
    const char *run = eh_start_ok(&h, "wf-1", &(eh_start_opts){ .run_timeout_ms = 5000 });
    eh_advance(&h, 2000);
    eh_wft *t1 = eh_take_wft(&h, EH_TQ, false); /* its own timeout would be at +7000 */
    eh_advance(&h, 3000);
    pb_history *hist = EXPECT_HISTORY(&h, run, E(WORKFLOW_EXECUTION_STARTED),
                                      E(WORKFLOW_TASK_SCHEDULED), E(WORKFLOW_TASK_STARTED),
                                      E(WORKFLOW_TASK_FAILED), E(WORKFLOW_EXECUTION_TIMED_OUT));
    Temporal__Api__History__V1__WorkflowTaskFailedEventAttributes *f =
        EV(hist, 4)->workflow_task_failed_event_attributes;
    CHECK_EQ_INT(f->cause, WFT_CAUSE(FORCE_CLOSE_COMMAND));
    CHECK_EQ_INT(f->scheduled_event_id, 2);
    CHECK_EQ_INT(f->started_event_id, 3);
    CHECK_EQ_INT(eh_complete(&h, t1, CMDS(eh_cmd_complete(&h, NULL)), NULL), SG_ENOTFOUND);
    CHECK_EQ_INT(eh_state(&h, run)->status, ST_TIMED_OUT);
    eh_deinit(&h);
}

/* Temporal's ValidateRetryPolicy at start: each bad policy is INVALID_ARGUMENT with its
 * message, and nothing is stored (the id is still free). */
SG_TEST(engine_start_rejects_invalid_retry_policies)
{
    eh h;
    eh_init(&h, NULL);
    struct {
        Temporal__Api__Common__V1__RetryPolicy *p;
        const char *msg;
    } cases[] = {
        { eh_retry(&h, 1000, 0.5, 0, 0), "BackoffCoefficient cannot be less than 1 on retry policy." },
        { eh_retry(&h, 1000, NAN, 0, 0), "BackoffCoefficient cannot be less than 1 on retry policy." },
        { eh_retry(&h, 1000, INFINITY, 0, 0), "BackoffCoefficient cannot be less than 1 on retry policy." },
        { eh_retry(&h, -1000, 2, 0, 0), "InitialInterval cannot be negative on retry policy." },
        { eh_retry(&h, 1000, 2, -5, 0), "MaximumInterval cannot be negative on retry policy." },
        { eh_retry(&h, 5000, 2, 1000, 0), "MaximumInterval cannot be less than InitialInterval on retry policy." },
        { eh_retry(&h, 0, 2, 500, 0), "MaximumInterval cannot be less than InitialInterval on retry policy." },
        { eh_retry(&h, 1000, 2, 0, -1), "MaximumAttempts cannot be negative on retry policy." },
    };
    for (size_t i = 0; i < SG_ARRAY_LEN(cases); i++) {
        Temporal__Api__Workflowservice__V1__StartWorkflowExecutionResponse out;
        sg_engine_err err;
        CHECK_EQ_INT(eh_start(&h, "wf-1", &(eh_start_opts){ .retry = cases[i].p }, &out, &err),
                     SG_EINVAL);
        CHECK_EQ_STR(err.message, cases[i].msg);
    }
    const char *run = eh_start_ok(&h, "wf-1", &(eh_start_opts){ .retry = eh_retry(&h, 1000, 1, 0, 3) });
    CHECK_EQ_INT(eh_history(&h, run)->n_events, 2);
    eh_deinit(&h);
}

/* The poison pill: a retry policy with an absurd interval reached the store (written before
 * requests were range-checked). The run times out, the retry backoff is computed, the durable
 * wake-up survives a restart: nothing overflows (UBSan runs this in `make sanitize`). */
SG_TEST(engine_workflow_retry_with_absurd_stored_interval)
{
    char *path = sg_asprintf("%s/engine.db", sg_test_tmpdir());
    eh h;
    eh_init(&h, path);
    Temporal__Api__Common__V1__RetryPolicy *p = eh_retry(&h, 0, 0, 0, 0);
    p->initial_interval = sg_dur_ms(&h.a, 0);
    p->initial_interval->seconds = (int64_t)1 << 53;
    p->maximum_interval = sg_dur_ms(&h.a, 0);
    p->maximum_interval->seconds = INT64_MAX;
    const char *run = eh_start_ok(&h, "wf-1", &(eh_start_opts){ .run_timeout_ms = 1000, .retry = p });
    eh_advance(&h, 1000);
    pb_history *hist = EXPECT_HISTORY(&h, run, E(WORKFLOW_EXECUTION_STARTED),
                                      E(WORKFLOW_TASK_SCHEDULED), E(WORKFLOW_EXECUTION_TIMED_OUT));
    Temporal__Api__History__V1__WorkflowExecutionTimedOutEventAttributes *to =
        EV(hist, 3)->workflow_execution_timed_out_event_attributes;
    CHECK_EQ_INT(to->retry_state, RETRY_STATE(IN_PROGRESS));
    CHECK(*to->new_execution_run_id);
    /* The retry waits (at most protobuf's longest Duration); a restart re-arms it. */
    eh_restart(&h, path);
    CHECK(sg_engine_recover(h.e) >= 1);
    eh_advance(&h, 1000);
    eh_wft t;
    CHECK(!eh_poll_wft(&h, EH_TQ, false, &t));
    eh_deinit(&h);
    sg_free(path);
}

/* A start with TERMINATE_EXISTING closes the running run (its started task is failed with
 * FORCE_CLOSE_COMMAND first) and starts the new one, which becomes current. */
SG_TEST(engine_start_terminate_existing_terminates_the_running_run)
{
    eh h;
    eh_init(&h, NULL);
    const char *run1 = eh_start_ok(&h, "wf-1", NULL);
    eh_take_wft(&h, EH_TQ, false); /* started, never completed */
    eh_start_opts o = { .conflict_policy = CONFLICT(TERMINATE_EXISTING) };
    const char *run2 = eh_start_ok(&h, "wf-1", &o);
    CHECK(strcmp(run1, run2) != 0);
    pb_history *hist = EXPECT_HISTORY(&h, run1, E(WORKFLOW_EXECUTION_STARTED),
                                      E(WORKFLOW_TASK_SCHEDULED), E(WORKFLOW_TASK_STARTED),
                                      E(WORKFLOW_TASK_FAILED), E(WORKFLOW_EXECUTION_TERMINATED));
    CHECK_EQ_INT(EV(hist, 4)->workflow_task_failed_event_attributes->cause,
                 WFT_CAUSE(FORCE_CLOSE_COMMAND));
    Temporal__Api__History__V1__WorkflowExecutionTerminatedEventAttributes *t =
        EV(hist, 5)->workflow_execution_terminated_event_attributes;
    CHECK(strstr(t->reason, "TERMINATE_EXISTING") != NULL);
    CHECK_EQ_INT(eh_state(&h, run1)->status, ST_TERMINATED);
    sg_current_rec cur;
    CHECK_EQ_INT(sg_store_current_get(h.st, EH_NS_ID, "wf-1", &cur), 0);
    CHECK_EQ_STR(cur.run_id, run2);
    CHECK_EQ_INT(cur.status, ST_RUNNING);
    sg_current_rec_deinit(&cur);
    EXPECT_HISTORY(&h, run2, E(WORKFLOW_EXECUTION_STARTED), E(WORKFLOW_TASK_SCHEDULED));
    eh_deinit(&h);
}

/* Legacy cron: the first run waits for the first activation; each close (completed, failed,
 * run timeout) names the next run, which starts with the same input at the next activation
 * and carries the last result; terminate ends the chain. */
SG_TEST(engine_cron_chain)
{
    eh h;
    eh_init(&h, NULL);
    eh_start_opts o = { .cron = "@every 10s", .run_timeout_ms = 5000 };
    const char *run1 = eh_start_ok(&h, "cron-1", &o);
    pb_history *hist = EXPECT_HISTORY(&h, run1, E(WORKFLOW_EXECUTION_STARTED));
    Temporal__Api__History__V1__WorkflowExecutionStartedEventAttributes *s1 =
        EV(hist, 1)->workflow_execution_started_event_attributes;
    CHECK_EQ_STR(s1->cron_schedule, "@every 10s");
    CHECK_EQ_INT(sg_dur_to_ms(s1->first_workflow_task_backoff), 10000);
    CHECK(no_wft(&h, EH_TQ, false));
    eh_advance(&h, 10000);
    eh_wft *t = eh_take_wft(&h, EH_TQ, false);
    eh_advance(&h, 2000);
    CHECK_EQ_INT(eh_complete(&h, t, CMDS(eh_cmd_complete(&h, "r1")), NULL), 0);
    hist = EXPECT_HISTORY(&h, run1, E(WORKFLOW_EXECUTION_STARTED), E(WORKFLOW_TASK_SCHEDULED),
                          E(WORKFLOW_TASK_STARTED), E(WORKFLOW_TASK_COMPLETED),
                          E(WORKFLOW_EXECUTION_COMPLETED));
    const char *run2 = EV(hist, 5)->workflow_execution_completed_event_attributes->new_execution_run_id;
    CHECK(*run2);
    CHECK_EQ_INT(eh_state(&h, run1)->status, ST_COMPLETED);
    hist = EXPECT_HISTORY(&h, run2, E(WORKFLOW_EXECUTION_STARTED));
    Temporal__Api__History__V1__WorkflowExecutionStartedEventAttributes *s2 =
        EV(hist, 1)->workflow_execution_started_event_attributes;
    CHECK_EQ_INT(s2->initiator,
                 TEMPORAL__API__ENUMS__V1__CONTINUE_AS_NEW_INITIATOR__CONTINUE_AS_NEW_INITIATOR_CRON_SCHEDULE);
    CHECK_EQ_STR(s2->continued_execution_run_id, run1);
    CHECK_EQ_STR(s2->first_execution_run_id, run1);
    CHECK_EQ_STR(eh_payload_str(&h, s2->last_completion_result), "r1");
    CHECK_EQ_STR(s2->cron_schedule, "@every 10s");
    /* Scheduled for t0+10 s, ended at t0+12 s: the next activation is t0+20 s. */
    CHECK_EQ_INT(sg_dur_to_ms(s2->first_workflow_task_backoff), 8000);
    /* The run timeout starts after the backoff; the second run times out unpolled. */
    eh_advance(&h, 8000);
    eh_advance(&h, 5000);
    hist = EXPECT_HISTORY(&h, run2, E(WORKFLOW_EXECUTION_STARTED), E(WORKFLOW_TASK_SCHEDULED),
                          E(WORKFLOW_EXECUTION_TIMED_OUT));
    const char *run3 = EV(hist, 3)->workflow_execution_timed_out_event_attributes->new_execution_run_id;
    CHECK(*run3);
    hist = EXPECT_HISTORY(&h, run3, E(WORKFLOW_EXECUTION_STARTED));
    Temporal__Api__History__V1__WorkflowExecutionStartedEventAttributes *s3 =
        EV(hist, 1)->workflow_execution_started_event_attributes;
    CHECK(s3->continued_failure != NULL);
    CHECK_EQ_STR(eh_payload_str(&h, s3->last_completion_result), "r1"); /* past the failure */
    CHECK_EQ_INT(sg_dur_to_ms(s3->first_workflow_task_backoff), 5000);  /* t0+25 s -> t0+30 s */
    /* Terminate ends the chain. */
    Temporal__Api__Workflowservice__V1__TerminateWorkflowExecutionRequest req =
        TEMPORAL__API__WORKFLOWSERVICE__V1__TERMINATE_WORKFLOW_EXECUTION_REQUEST__INIT;
    Temporal__Api__Common__V1__WorkflowExecution we = TEMPORAL__API__COMMON__V1__WORKFLOW_EXECUTION__INIT;
    we.workflow_id = "cron-1";
    we.run_id = "";
    req.namespace_ = EH_NS;
    req.workflow_execution = &we;
    sg_engine_err err;
    memset(&err, 0, sizeof err);
    CHECK_EQ_INT(sg_engine_terminate(h.e, &h.a, EH_NS_ID, &req, &err), 0);
    eh_flush(&h);
    CHECK_EQ_INT(eh_state(&h, run3)->status, ST_TERMINATED);
    eh_advance(&h, 60000);
    CHECK(no_wft(&h, EH_TQ, false));
    eh_deinit(&h);
}

SG_TEST(engine_cron_invalid_schedule_is_refused)
{
    eh h;
    eh_init(&h, NULL);
    Temporal__Api__Workflowservice__V1__StartWorkflowExecutionResponse out;
    sg_engine_err err;
    eh_start_opts o = { .cron = "61 * * * *" };
    CHECK_EQ_INT(eh_start(&h, "cron-bad", &o, &out, &err), SG_EINVAL);
    CHECK(strstr(err.message, "Invalid CronSchedule") != NULL);
    eh_deinit(&h);
}

/* A run started before the store had visibility (schema < 3, so no row) still closes: its row
 * is written at the close, with its search attributes. */
SG_TEST(engine_close_of_a_run_without_visibility_row_writes_one)
{
    char *path = sg_asprintf("%s/engine.db", sg_test_tmpdir());
    eh h;
    eh_init(&h, path);
    const char *run = eh_start_ok(&h, "wf-old", NULL);
    sqlite3 *db = NULL;
    CHECK_EQ_INT(sqlite3_open(path, &db), SQLITE_OK);
    CHECK_EQ_INT(sqlite3_exec(db, "DELETE FROM visibility", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
    eh_wft *t = eh_take_wft(&h, EH_TQ, false);
    CHECK_EQ_INT(eh_complete(&h, t, CMDS(eh_cmd_complete(&h, "done")), NULL), 0);
    CHECK_EQ_INT(h.last_flush_rc, 0);
    sg_vq *q = NULL;
    const char *err = NULL;
    CHECK_EQ_INT(sg_vq_parse(&h.a, "ExecutionStatus = 'Completed' AND WorkflowId = 'wf-old'", NULL,
                             NULL, &q, &err), 0);
    int64_t total = 0;
    CHECK_EQ_INT(sg_store_visibility_count(h.st, EH_NS_ID, q, &total, NULL, 0), 0);
    CHECK_EQ_INT(total, 1);
    EXPECT_HISTORY(&h, run, E(WORKFLOW_EXECUTION_STARTED), E(WORKFLOW_TASK_SCHEDULED),
                   E(WORKFLOW_TASK_STARTED), E(WORKFLOW_TASK_COMPLETED),
                   E(WORKFLOW_EXECUTION_COMPLETED));
    eh_deinit(&h);
    sg_free(path);
}
