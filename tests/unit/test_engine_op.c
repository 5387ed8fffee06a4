/* SPDX-License-Identifier: Apache-2.0 */
/* test_engine_op.c: the operation context and the store: faults in a batch, recovery, watchers
 * and the cache. */
#include "engine_tests.h"

/* Writes of one engine operation on a running run that stays running: history batch and
 * execution row (the current-run row changes only when a run starts or closes); then the
 * commit. */
enum { FAULT_COMMIT = 3 };

SG_TEST(engine_fault_commit_of_completion_is_undone)
{
    eh h;
    eh_init(&h, NULL);
    const char *run = eh_start_ok(&h, "wf-1", NULL);
    eh_wft *t1 = eh_take_wft(&h, EH_TQ, false);
    sg_store_fault_inject(h.st, FAULT_COMMIT, SG_EIO);
    CHECK_EQ_INT(eh_complete(&h, t1, CMDS(eh_cmd_activity(&h, "a1", 0, 0, 10000, 0, NULL)), NULL), 0);
    CHECK_EQ_INT(h.last_flush_rc, SG_EIO);
    /* Nothing of it is stored, and its activity never reached matching. */
    EXPECT_HISTORY(&h, run, E(WORKFLOW_EXECUTION_STARTED), E(WORKFLOW_TASK_SCHEDULED),
                   E(WORKFLOW_TASK_STARTED));
    ms_t *ms = eh_state(&h, run);
    CHECK_EQ_INT(ms->wft->started_event_id, 3);
    CHECK_EQ_INT(ms->n_activities, 0);
    CHECK_EQ_INT(ms->next_event_id, 4);
    CHECK(no_act(&h));
    /* The run was dropped from the cache and reloads as stored: the worker's retry works. */
    CHECK_EQ_INT(eh_complete(&h, t1, CMDS(eh_cmd_activity(&h, "a1", 0, 0, 10000, 0, NULL)), NULL), 0);
    CHECK_EQ_INT(h.last_flush_rc, 0);
    EXPECT_HISTORY(&h, run, E(WORKFLOW_EXECUTION_STARTED), E(WORKFLOW_TASK_SCHEDULED),
                   E(WORKFLOW_TASK_STARTED), E(WORKFLOW_TASK_COMPLETED), E(ACTIVITY_TASK_SCHEDULED));
    eh_act *a = eh_take_act(&h, EH_TQ);
    CHECK_EQ_INT(eh_act_complete(&h, a, "r"), 0);
    EXPECT_HISTORY(&h, run, E(WORKFLOW_EXECUTION_STARTED), E(WORKFLOW_TASK_SCHEDULED),
                   E(WORKFLOW_TASK_STARTED), E(WORKFLOW_TASK_COMPLETED), E(ACTIVITY_TASK_SCHEDULED),
                   E(ACTIVITY_TASK_STARTED), E(ACTIVITY_TASK_COMPLETED), E(WORKFLOW_TASK_SCHEDULED));
    eh_deinit(&h);
}

SG_TEST(engine_fault_commit_of_activity_completion_is_undone)
{
    eh h;
    eh_init(&h, NULL);
    const char *run = open_run(&h, "wf-1", NULL, CMDS(eh_cmd_activity(&h, "a1", 0, 0, 10000, 0, NULL)));
    eh_act *a = eh_take_act(&h, EH_TQ);
    sg_store_fault_inject(h.st, FAULT_COMMIT, SG_EIO);
    CHECK_EQ_INT(eh_act_complete(&h, a, "r"), 0);
    CHECK_EQ_INT(h.last_flush_rc, SG_EIO);
    CHECK_EQ_INT(eh_history(&h, run)->n_events, 5);
    CHECK_EQ_INT(eh_state(&h, run)->n_activities, 1);
    CHECK(no_wft(&h, EH_TQ, false));
    CHECK_EQ_INT(eh_act_complete(&h, a, "r"), 0); /* the same token still names the attempt */
    CHECK_EQ_INT(h.last_flush_rc, 0);
    EXPECT_HISTORY(&h, run, E(WORKFLOW_EXECUTION_STARTED), E(WORKFLOW_TASK_SCHEDULED),
                   E(WORKFLOW_TASK_STARTED), E(WORKFLOW_TASK_COMPLETED), E(ACTIVITY_TASK_SCHEDULED),
                   E(ACTIVITY_TASK_STARTED), E(ACTIVITY_TASK_COMPLETED), E(WORKFLOW_TASK_SCHEDULED));
    eh_take_wft(&h, EH_TQ, false);
    eh_deinit(&h);
}

/* A write (not the commit) fails inside a completion: the batch is poisoned and rolled back,
 * so the run's cached state must be dropped like after a failed commit, and the worker's retry
 * of the completion must find the task still started. */
SG_TEST(engine_fault_write_in_completion_is_undone)
{
    eh h;
    eh_init(&h, NULL);
    const char *run = eh_start_ok(&h, "wf-1", NULL);
    eh_wft *t1 = eh_take_wft(&h, EH_TQ, false);
    sg_store_fault_inject(h.st, 1, SG_EIO); /* the history append */
    CHECK_EQ_INT(eh_complete(&h, t1, CMDS(eh_cmd_timer(&h, "t1", 1000)), NULL), SG_EIO);
    CHECK_EQ_INT(h.last_flush_rc, SG_EIO);
    EXPECT_HISTORY(&h, run, E(WORKFLOW_EXECUTION_STARTED), E(WORKFLOW_TASK_SCHEDULED),
                   E(WORKFLOW_TASK_STARTED));
    CHECK_EQ_INT(eh_state(&h, run)->wft->started_event_id, 3);
    int rc = eh_complete(&h, t1, CMDS(eh_cmd_timer(&h, "t1", 1000)), NULL);
    if (rc != 0) {
        fprintf(stderr, "  retrying the completion: %s\n", sg_strerror(rc));
        eh_advance(&h, 10000);
        eh_print_history("stored history 10 s later", eh_history_raw(&h, run));
    }
    CHECK_EQ_INT(rc, 0);
    CHECK_EQ_INT(h.last_flush_rc, 0);
    EXPECT_HISTORY(&h, run, E(WORKFLOW_EXECUTION_STARTED), E(WORKFLOW_TASK_SCHEDULED),
                   E(WORKFLOW_TASK_STARTED), E(WORKFLOW_TASK_COMPLETED), E(TIMER_STARTED));
    eh_deinit(&h);
}

/* Another run's operation lands in a batch that a failed write has already poisoned: it is
 * refused too (SG_EIO), so it must leave no trace in that run's cached state either. */
SG_TEST(engine_fault_poisoned_batch_leaves_other_runs_intact)
{
    eh h;
    eh_init(&h, NULL);
    const char *run_a = eh_start_ok(&h, "wf-a", NULL);
    eh_wft *ta = eh_take_wft(&h, EH_TQ, false);
    const char *run_b = eh_start_ok(&h, "wf-b", NULL);
    eh_wft *tb = eh_take_wft(&h, EH_TQ, false);
    CHECK_EQ_STR(tb->resp.workflow_execution->run_id, run_b);
    h.hold_batch = true; /* both completions in one group commit */
    sg_store_fault_inject(h.st, 1, SG_EIO);
    CHECK_EQ_INT(eh_complete(&h, ta, CMDS(eh_cmd_marker(&h, "m")), NULL), SG_EIO);
    CHECK_EQ_INT(eh_complete(&h, tb, CMDS(eh_cmd_marker(&h, "m")), NULL), SG_EIO);
    h.hold_batch = false;
    CHECK_EQ_INT(eh_flush(&h), SG_EIO);
    EXPECT_HISTORY(&h, run_b, E(WORKFLOW_EXECUTION_STARTED), E(WORKFLOW_TASK_SCHEDULED),
                   E(WORKFLOW_TASK_STARTED));
    int rc = eh_complete(&h, tb, CMDS(eh_cmd_marker(&h, "m")), NULL);
    if (rc != 0)
        fprintf(stderr, "  retrying run B's completion: %s\n", sg_strerror(rc));
    CHECK_EQ_INT(rc, 0);
    EXPECT_HISTORY(&h, run_b, E(WORKFLOW_EXECUTION_STARTED), E(WORKFLOW_TASK_SCHEDULED),
                   E(WORKFLOW_TASK_STARTED), E(WORKFLOW_TASK_COMPLETED), E(MARKER_RECORDED));
    SG_UNUSED(run_a);
    eh_deinit(&h);
}

SG_TEST(engine_fault_commit_of_activity_poll_keeps_the_task)
{
    eh h;
    eh_init(&h, NULL);
    const char *run = open_run(&h, "wf-1", NULL, CMDS(eh_cmd_activity(&h, "a1", 0, 0, 10000, 0, NULL)));
    sg_store_fault_inject(h.st, FAULT_COMMIT - 1, SG_EIO); /* no history batch: 1 write */
    eh_act lost;
    CHECK(eh_poll_act(&h, EH_TQ, &lost));
    CHECK_EQ_INT(h.last_flush_rc, SG_EIO);
    CHECK_EQ_INT(eh_state(&h, run)->activities[0]->started_time_ms, 0);
    eh_act *a = eh_take_act(&h, EH_TQ);
    CHECK_EQ_INT(a->resp.attempt, 1);
    CHECK_EQ_INT(eh_act_complete(&h, a, "r"), 0);
    EXPECT_HISTORY(&h, run, E(WORKFLOW_EXECUTION_STARTED), E(WORKFLOW_TASK_SCHEDULED),
                   E(WORKFLOW_TASK_STARTED), E(WORKFLOW_TASK_COMPLETED), E(ACTIVITY_TASK_SCHEDULED),
                   E(ACTIVITY_TASK_STARTED), E(ACTIVITY_TASK_COMPLETED), E(WORKFLOW_TASK_SCHEDULED));
    eh_deinit(&h);
}

/* A write fails while a workflow task is recorded as started: the poll fails and the task must
 * stay available. */
SG_TEST(engine_fault_write_in_poll_keeps_the_task)
{
    eh h;
    eh_init(&h, NULL);
    const char *run = eh_start_ok(&h, "wf-1", NULL);
    sg_store_fault_inject(h.st, 1, SG_EIO);
    eh_wft t;
    CHECK(!eh_poll_wft(&h, EH_TQ, false, &t));
    CHECK_EQ_INT(t.rc, SG_EIO);
    CHECK_EQ_INT(h.last_flush_rc, SG_EIO);
    EXPECT_HISTORY(&h, run, E(WORKFLOW_EXECUTION_STARTED), E(WORKFLOW_TASK_SCHEDULED));
    CHECK_EQ_INT(eh_state(&h, run)->wft->started_event_id, 0);
    eh_wft again;
    bool got = eh_poll_wft(&h, EH_TQ, false, &again);
    if (!got) {
        eh_advance(&h, 3600 * 1000);
        got = eh_poll_wft(&h, EH_TQ, false, &again);
        fprintf(stderr, "  task not re-pollable after the failed write; after 1 h: %s\n",
                got ? "pollable" : "still lost");
    }
    CHECK(got);
    CHECK_EQ_INT(again.resp.started_event_id, 3);
    eh_deinit(&h);
}

/* The commit that records a workflow task as started fails: the poller gets an error, and the
 * task must stay available (re-pollable), as in Temporal where matching keeps a task whose
 * RecordWorkflowTaskStarted failed. */
SG_TEST(engine_fault_commit_of_poll_keeps_the_task)
{
    eh h;
    eh_init(&h, NULL);
    const char *run = eh_start_ok(&h, "wf-1", NULL);
    sg_store_fault_inject(h.st, FAULT_COMMIT, SG_EIO);
    eh_wft t;
    CHECK(eh_poll_wft(&h, EH_TQ, false, &t));
    CHECK_EQ_INT(h.last_flush_rc, SG_EIO);
    EXPECT_HISTORY(&h, run, E(WORKFLOW_EXECUTION_STARTED), E(WORKFLOW_TASK_SCHEDULED));
    CHECK_EQ_INT(eh_state(&h, run)->wft->started_event_id, 0);
    eh_wft again;
    bool got = eh_poll_wft(&h, EH_TQ, false, &again);
    if (!got) {
        /* Not handed out again; see whether any timeout rescues it. */
        eh_advance(&h, 3600 * 1000);
        got = eh_poll_wft(&h, EH_TQ, false, &again);
        fprintf(stderr, "  task not re-pollable after the failed commit; after 1 h: %s\n",
                got ? "pollable" : "still lost");
    }
    CHECK(got);
    CHECK_EQ_INT(again.resp.started_event_id, 3);
    eh_deinit(&h);
}

/* ==== recovery ==== */

/* One iteration of the loop: a ref'd zero timer keeps it alive through the timers phase (the
 * engine's overdue wake-ups) and the prepare phase (the group commit). */
static void noop_timer(uv_timer_t *t)
{
    SG_UNUSED(t);
}

static void one_iteration(eh *h)
{
    uv_timer_t t;
    uv_timer_init(&h->loop, &t);
    uv_timer_start(&t, noop_timer, 0, 0);
    uv_run(&h->loop, UV_RUN_ONCE);
    uv_close((uv_handle_t *)&t, NULL);
    uv_run(&h->loop, UV_RUN_NOWAIT);
}

SG_TEST(engine_recover_requeues_tasks_and_fires_overdue_timers)
{
    char *path = sg_asprintf("%s/engine.db", sg_test_tmpdir());
    eh h;
    eh_init(&h, path);
    /* A: activity pending, timer due at +5 s. B: first task pending. C: first task started. */
    const char *run_a = open_run(&h, "wf-a", NULL,
                                 CMDS(eh_cmd_activity(&h, "a1", 0, 0, 30000, 0, NULL),
                                      eh_cmd_timer(&h, "t1", 5000)));
    const char *run_c = eh_start_ok(&h, "wf-c", NULL);
    eh_wft *tc = eh_take_wft(&h, EH_TQ, false);
    CHECK_EQ_STR(tc->resp.workflow_execution->run_id, run_c);
    const char *run_b = eh_start_ok(&h, "wf-b", NULL);

    eh_restart(&h, path);
    sg_clock_advance(10000); /* the server was down for 10 s */
    CHECK_EQ_INT(sg_engine_recover(h.e), 3);
    /* Pending tasks are back in matching. */
    eh_act *a = eh_take_act(&h, EH_TQ);
    CHECK_EQ_STR(a->resp.activity_id, "a1");
    CHECK_EQ_INT(a->resp.attempt, 1);
    eh_wft *tb = eh_take_wft(&h, EH_TQ, false);
    CHECK_EQ_STR(tb->resp.workflow_execution->run_id, run_b);
    CHECK_EQ_INT(tb->resp.started_event_id, 3);
    CHECK(no_wft(&h, EH_TQ, false));
    /* Overdue wake-ups fire on the next loop iteration: A's timer, C's task timeout. */
    one_iteration(&h);
    CHECK(!sg_txn_is_open(h.txn));
    EXPECT_HISTORY(&h, run_a, E(WORKFLOW_EXECUTION_STARTED), E(WORKFLOW_TASK_SCHEDULED),
                   E(WORKFLOW_TASK_STARTED), E(WORKFLOW_TASK_COMPLETED), E(ACTIVITY_TASK_SCHEDULED),
                   E(TIMER_STARTED), E(TIMER_FIRED), E(WORKFLOW_TASK_SCHEDULED));
    EXPECT_HISTORY(&h, run_c, E(WORKFLOW_EXECUTION_STARTED), E(WORKFLOW_TASK_SCHEDULED),
                   E(WORKFLOW_TASK_STARTED), E(WORKFLOW_TASK_TIMED_OUT));
    eh_check_transient_state(&h, run_c, 5, false, 2); /* the retry is transient */
    eh_wft *w1 = eh_take_wft(&h, EH_TQ, false);
    eh_wft *w2 = eh_take_wft(&h, EH_TQ, false);
    bool a_first = strcmp(w1->resp.workflow_execution->run_id, run_a) == 0;
    eh_wft *wa = a_first ? w1 : w2, *wc = a_first ? w2 : w1;
    CHECK_EQ_STR(wa->resp.workflow_execution->run_id, run_a);
    CHECK_EQ_STR(wc->resp.workflow_execution->run_id, run_c);
    CHECK_EQ_INT(wa->resp.previous_started_event_id, 3);
    CHECK_EQ_INT(wc->resp.attempt, 2);
    eh_check_transient_poll(&h, run_c, wc, 5, 2);
    /* The recovered activity completes normally. */
    CHECK_EQ_INT(eh_act_complete(&h, a, "r"), 0);
    CHECK_EQ_INT(eh_complete(&h, wa, CMDS(eh_cmd_complete(&h, NULL)), NULL), SG_EINVAL);
    EXPECT_HISTORY(&h, run_a, E(WORKFLOW_EXECUTION_STARTED), E(WORKFLOW_TASK_SCHEDULED),
                   E(WORKFLOW_TASK_STARTED), E(WORKFLOW_TASK_COMPLETED), E(ACTIVITY_TASK_SCHEDULED),
                   E(TIMER_STARTED), E(TIMER_FIRED), E(WORKFLOW_TASK_SCHEDULED),
                   E(WORKFLOW_TASK_STARTED), E(WORKFLOW_TASK_FAILED), E(ACTIVITY_TASK_STARTED),
                   E(ACTIVITY_TASK_COMPLETED), E(WORKFLOW_TASK_SCHEDULED));
    eh_deinit(&h);
    sg_free(path);
}

/* Recovery of runs with a transient attempt: A's waits unstarted and is re-queued, its poll
 * shows the synthesized pair; B's was started and times out while the server is down, which
 * writes nothing and leaves attempt 3 at the same ids. */
SG_TEST(engine_recover_transient_task)
{
    char *path = sg_asprintf("%s/engine.db", sg_test_tmpdir());
    eh h;
    eh_init(&h, path);
    const char *run_b = eh_start_ok(&h, "wf-b", NULL);
    eh_wft *b0 = eh_take_wft(&h, EH_TQ, false);
    CHECK_EQ_STR(b0->resp.workflow_execution->run_id, run_b);
    const char *run_a = failed_first_task_run(&h, "wf-a", NULL);
    CHECK_EQ_INT(eh_fail_wft(&h, b0, WFT_CAUSE(WORKFLOW_WORKER_UNHANDLED_FAILURE), "panic"), 0);
    eh_check_transient_state(&h, run_b, 5, false, 2);
    eh_wft *a1 = eh_take_wft(&h, EH_TQ, false);
    eh_wft *b1 = eh_take_wft(&h, EH_TQ, false);
    /* Take B's attempt 2 and leave A's waiting. */
    eh_wft *tb = strcmp(a1->resp.workflow_execution->run_id, run_b) == 0 ? a1 : b1;
    eh_wft *ta = tb == a1 ? b1 : a1;
    CHECK_EQ_INT(eh_fail_wft(&h, ta, WFT_CAUSE(WORKFLOW_WORKER_UNHANDLED_FAILURE), "x"), 0);
    eh_check_transient_poll(&h, run_b, tb, 5, 2);
    eh_check_transient_state(&h, run_a, 5, false, 3);

    eh_restart(&h, path);
    sg_clock_advance(10000); /* down for 10 s: B's attempt times out */
    CHECK_EQ_INT(sg_engine_recover(h.e), 2);
    eh_wft *wa = eh_take_wft(&h, EH_TQ, false);
    EXPECT_POLL_HISTORY(wa, 1, E(WORKFLOW_EXECUTION_STARTED), E(WORKFLOW_TASK_SCHEDULED),
                        E(WORKFLOW_TASK_STARTED), E(WORKFLOW_TASK_FAILED),
                        E(WORKFLOW_TASK_SCHEDULED), E(WORKFLOW_TASK_STARTED));
    eh_check_transient_poll(&h, run_a, wa, 5, 3);
    CHECK(no_wft(&h, EH_TQ, false));
    one_iteration(&h);
    CHECK(!sg_txn_is_open(h.txn));
    EXPECT_HISTORY(&h, run_b, E(WORKFLOW_EXECUTION_STARTED), E(WORKFLOW_TASK_SCHEDULED),
                   E(WORKFLOW_TASK_STARTED), E(WORKFLOW_TASK_FAILED));
    eh_check_transient_state(&h, run_b, 5, false, 3);
    CHECK_EQ_INT(eh_complete(&h, tb, NULL, 0, NULL), SG_ENOTFOUND);
    eh_wft *wb = eh_take_wft(&h, EH_TQ, false);
    eh_check_transient_poll(&h, run_b, wb, 5, 3);
    /* Both complete at their reserved ids. */
    CHECK_EQ_INT(eh_complete(&h, wa, NULL, 0, NULL), 0);
    CHECK_EQ_INT(eh_complete(&h, wb, NULL, 0, NULL), 0);
    for (int i = 0; i < 2; i++) {
        pb_history *hist = EXPECT_HISTORY(&h, i ? run_b : run_a, E(WORKFLOW_EXECUTION_STARTED),
                                          E(WORKFLOW_TASK_SCHEDULED), E(WORKFLOW_TASK_STARTED),
                                          E(WORKFLOW_TASK_FAILED), E(WORKFLOW_TASK_SCHEDULED),
                                          E(WORKFLOW_TASK_STARTED), E(WORKFLOW_TASK_COMPLETED));
        CHECK_EQ_INT(EV(hist, 5)->workflow_task_scheduled_event_attributes->attempt, 3);
        CHECK_EQ_INT(EV(hist, 7)->workflow_task_completed_event_attributes->started_event_id, 6);
    }
    eh_deinit(&h);
    sg_free(path);
}

/* ---- watchers and the cache ---- */

typedef struct watch_read {
    eh *h;
    sg_watch *w;
    int calls;
    int rc;
} watch_read;

static void on_change_read(void *ud)
{
    watch_read *r = ud;
    r->calls++;
    sg_engine_unwatch(r->h->e, r->w);
    r->w = NULL;
    Temporal__Api__Workflowservice__V1__GetWorkflowExecutionHistoryRequest req =
        TEMPORAL__API__WORKFLOWSERVICE__V1__GET_WORKFLOW_EXECUTION_HISTORY_REQUEST__INIT;
    Temporal__Api__Common__V1__WorkflowExecution ex =
        TEMPORAL__API__COMMON__V1__WORKFLOW_EXECUTION__INIT;
    ex.workflow_id = "wf-1";
    req.execution = &ex;
    Temporal__Api__Workflowservice__V1__GetWorkflowExecutionHistoryResponse out =
        TEMPORAL__API__WORKFLOWSERVICE__V1__GET_WORKFLOW_EXECUTION_HISTORY_RESPONSE__INIT;
    sg_buf b;
    sg_buf_init(&b);
    bool waitable;
    r->rc = sg_engine_get_history(r->h->e, &r->h->a, EH_NS_ID, &req, true, &out, &b, &waitable);
    sg_buf_deinit(&b);
}

/* A history long poll woken by the close reads the closed run, which then leaves the cache
 * from inside the wake-up; the pass that woke it must not touch the run afterwards (ASan). */
SG_TEST(engine_watcher_reading_a_closed_run_at_wake_up)
{
    eh h;
    eh_init(&h, NULL);
    const char *run = eh_start_ok(&h, "wf-1", NULL);
    eh_wft *t1 = eh_take_wft(&h, EH_TQ, false);
    size_t cached = sg_map_len(&h.e->cache);
    watch_read r = { .h = &h };
    r.w = sg_engine_watch(h.e, EH_NS_ID, "wf-1", run, on_change_read, &r);
    CHECK(r.w != NULL);
    CHECK_EQ_INT(eh_complete(&h, t1, CMDS(eh_cmd_complete(&h, "done")), NULL), 0);
    CHECK_EQ_INT(r.calls, 1);
    CHECK_EQ_INT(r.rc, 0);
    CHECK_EQ_INT(sg_map_len(&h.e->cache), cached - 1);
    eh_deinit(&h);
}

/* Reads of a closed run (every read RPC) leave the cache as they found it. */
SG_TEST(engine_reads_of_closed_runs_leave_no_cached_run)
{
    eh h;
    eh_init(&h, NULL);
    const char *run = open_run(&h, "wf-1", NULL, CMDS(eh_cmd_complete(&h, "done")));
    CHECK_EQ_INT(eh_state(&h, run)->status, ST_COMPLETED);
    size_t before = sg_map_len(&h.e->cache);
    Temporal__Api__Common__V1__WorkflowExecution ex =
        TEMPORAL__API__COMMON__V1__WORKFLOW_EXECUTION__INIT;
    ex.workflow_id = "wf-1";
    for (int filter = 0; filter < 2; filter++) {
        Temporal__Api__Workflowservice__V1__GetWorkflowExecutionHistoryRequest req =
            TEMPORAL__API__WORKFLOWSERVICE__V1__GET_WORKFLOW_EXECUTION_HISTORY_REQUEST__INIT;
        req.execution = &ex;
        if (filter)
            req.history_event_filter_type =
                TEMPORAL__API__ENUMS__V1__HISTORY_EVENT_FILTER_TYPE__HISTORY_EVENT_FILTER_TYPE_CLOSE_EVENT;
        Temporal__Api__Workflowservice__V1__GetWorkflowExecutionHistoryResponse out =
            TEMPORAL__API__WORKFLOWSERVICE__V1__GET_WORKFLOW_EXECUTION_HISTORY_RESPONSE__INIT;
        sg_buf b;
        sg_buf_init(&b);
        bool waitable;
        CHECK_EQ_INT(sg_engine_get_history(h.e, &h.a, EH_NS_ID, &req, true, &out, &b, &waitable), 0);
        CHECK(b.len > 0);
        sg_buf_deinit(&b);
        CHECK_EQ_INT(sg_map_len(&h.e->cache), before);
    }
    Temporal__Api__Workflowservice__V1__GetWorkflowExecutionHistoryReverseRequest rreq =
        TEMPORAL__API__WORKFLOWSERVICE__V1__GET_WORKFLOW_EXECUTION_HISTORY_REVERSE_REQUEST__INIT;
    rreq.execution = &ex;
    Temporal__Api__Workflowservice__V1__GetWorkflowExecutionHistoryReverseResponse rout =
        TEMPORAL__API__WORKFLOWSERVICE__V1__GET_WORKFLOW_EXECUTION_HISTORY_REVERSE_RESPONSE__INIT;
    sg_buf b;
    sg_buf_init(&b);
    CHECK_EQ_INT(sg_engine_get_history_reverse(h.e, &h.a, EH_NS_ID, &rreq, &rout, &b), 0);
    CHECK(b.len > 0);
    sg_buf_deinit(&b);
    CHECK_EQ_INT(sg_map_len(&h.e->cache), before);
    Temporal__Api__Workflowservice__V1__DescribeWorkflowExecutionRequest dreq =
        TEMPORAL__API__WORKFLOWSERVICE__V1__DESCRIBE_WORKFLOW_EXECUTION_REQUEST__INIT;
    dreq.execution = &ex;
    Temporal__Api__Workflowservice__V1__DescribeWorkflowExecutionResponse dout =
        TEMPORAL__API__WORKFLOWSERVICE__V1__DESCRIBE_WORKFLOW_EXECUTION_RESPONSE__INIT;
    CHECK_EQ_INT(sg_engine_describe(h.e, &h.a, EH_NS_ID, &dreq, &dout), 0);
    CHECK_EQ_INT(sg_map_len(&h.e->cache), before);
    /* A stale task token on the closed run, and a reset of its sticky queue, too. */
    CHECK_EQ_INT(sg_engine_reset_sticky(h.e, EH_NS_ID, "wf-1", run), 0);
    CHECK_EQ_INT(sg_map_len(&h.e->cache), before);
    eh_deinit(&h);
}
