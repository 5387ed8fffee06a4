/* SPDX-License-Identifier: Apache-2.0 */
/* test_engine_wft.c: the workflow task: hand-over, failures and timeouts, sticky queues,
 * transient attempts, and the buffer of events that arrive while a task runs. */
#include "engine_tests.h"

/* ==== workflow tasks ==== */

SG_TEST(engine_wft_poll_complete_and_previous_started_id)
{
    eh h;
    eh_init(&h, NULL);
    const char *run = eh_start_ok(&h, "wf-1", NULL);
    eh_wft *t1 = eh_take_wft(&h, EH_TQ, false);
    Temporal__Api__Workflowservice__V1__PollWorkflowTaskQueueResponse *r = &t1->resp;
    CHECK(r->task_token.len > 0);
    CHECK_EQ_INT(r->started_event_id, 3);
    CHECK_EQ_INT(r->previous_started_event_id, 0);
    CHECK_EQ_INT(r->attempt, 1);
    CHECK_EQ_STR(r->workflow_execution->run_id, run);
    CHECK_EQ_STR(r->workflow_execution->workflow_id, "wf-1");
    CHECK_EQ_STR(r->workflow_type->name, "wf-type");
    CHECK_EQ_STR(r->workflow_execution_task_queue->name, EH_TQ);
    CHECK_EQ_INT(r->workflow_execution_task_queue->kind, TQ_KIND(NORMAL));
    CHECK_EQ_INT(r->next_page_token.len, 0);
    CHECK_EQ_INT(t1->history->n_events, 3);
    eh_check_ids(t1->history, 1);
    CHECK_EQ_INT(t1->history->events[2]->event_type, E(WORKFLOW_TASK_STARTED));
    EXPECT_HISTORY(&h, run, E(WORKFLOW_EXECUTION_STARTED), E(WORKFLOW_TASK_SCHEDULED),
                   E(WORKFLOW_TASK_STARTED));

    CHECK_EQ_INT(eh_complete(&h, t1, CMDS(eh_cmd_timer(&h, "t1", 1000)), NULL), 0);
    pb_history *hist = EXPECT_HISTORY(&h, run, E(WORKFLOW_EXECUTION_STARTED),
                                      E(WORKFLOW_TASK_SCHEDULED), E(WORKFLOW_TASK_STARTED),
                                      E(WORKFLOW_TASK_COMPLETED), E(TIMER_STARTED));
    CHECK_EQ_INT(EV(hist, 4)->workflow_task_completed_event_attributes->scheduled_event_id, 2);
    CHECK_EQ_INT(EV(hist, 4)->workflow_task_completed_event_attributes->started_event_id, 3);
    CHECK_EQ_INT(EV(hist, 5)->timer_started_event_attributes->workflow_task_completed_event_id, 4);
    CHECK(no_wft(&h, EH_TQ, false));

    eh_advance(&h, 1000);
    eh_wft *t2 = eh_take_wft(&h, EH_TQ, false);
    CHECK_EQ_INT(t2->resp.started_event_id, 8);
    CHECK_EQ_INT(t2->resp.previous_started_event_id, 3);
    CHECK_EQ_INT(t2->history->n_events, 8);
    eh_check_ids(t2->history, 1);
    CHECK_EQ_INT(eh_complete(&h, t2, CMDS(eh_cmd_complete(&h, "done")), NULL), 0);
    hist = EXPECT_HISTORY(&h, run, E(WORKFLOW_EXECUTION_STARTED), E(WORKFLOW_TASK_SCHEDULED),
                          E(WORKFLOW_TASK_STARTED), E(WORKFLOW_TASK_COMPLETED), E(TIMER_STARTED),
                          E(TIMER_FIRED), E(WORKFLOW_TASK_SCHEDULED), E(WORKFLOW_TASK_STARTED),
                          E(WORKFLOW_TASK_COMPLETED), E(WORKFLOW_EXECUTION_COMPLETED));
    CHECK_EQ_INT(EV(hist, 9)->workflow_task_completed_event_attributes->scheduled_event_id, 7);
    CHECK_EQ_INT(EV(hist, 9)->workflow_task_completed_event_attributes->started_event_id, 8);
    Temporal__Api__History__V1__WorkflowExecutionCompletedEventAttributes *c =
        EV(hist, 10)->workflow_execution_completed_event_attributes;
    CHECK_EQ_INT(c->workflow_task_completed_event_id, 9);
    CHECK_EQ_STR(eh_payload_str(&h, c->result), "done");
    ms_t *ms = eh_state(&h, run);
    CHECK_EQ_INT(ms->status, ST_COMPLETED);
    CHECK_EQ_INT(ms->close_event_id, 10);
    CHECK(no_wft(&h, EH_TQ, false));
    eh_deinit(&h);
}

SG_TEST(engine_wft_stale_token_is_not_found)
{
    eh h;
    eh_init(&h, NULL);
    const char *run = eh_start_ok(&h, "wf-1", NULL);
    eh_wft *t1 = eh_take_wft(&h, EH_TQ, false);
    CHECK_EQ_INT(eh_complete(&h, t1, CMDS(eh_cmd_timer(&h, "t1", 1000)), NULL), 0);
    sg_engine_err err;
    CHECK_EQ_INT(eh_complete(&h, t1, CMDS(eh_cmd_timer(&h, "t2", 1000)), &err), SG_ENOTFOUND);
    CHECK_EQ_STR(err.message, "Workflow task not found.");
    CHECK_EQ_INT(eh_fail_wft(&h, t1, WFT_CAUSE(WORKFLOW_WORKER_UNHANDLED_FAILURE), "x"),
                 SG_ENOTFOUND);
    EXPECT_HISTORY(&h, run, E(WORKFLOW_EXECUTION_STARTED), E(WORKFLOW_TASK_SCHEDULED),
                   E(WORKFLOW_TASK_STARTED), E(WORKFLOW_TASK_COMPLETED), E(TIMER_STARTED));
    /* After the run closed (and left the cache) too. */
    eh_advance(&h, 1000);
    eh_wft *t2 = eh_take_wft(&h, EH_TQ, false);
    CHECK_EQ_INT(eh_complete(&h, t2, CMDS(eh_cmd_complete(&h, NULL)), NULL), 0);
    CHECK_EQ_INT(eh_complete(&h, t2, CMDS(eh_cmd_complete(&h, NULL)), &err), SG_ENOTFOUND);
    /* A token that is not one. */
    eh_wft bogus = { 0 };
    bogus.resp.task_token.data = (uint8_t *)"garbage";
    bogus.resp.task_token.len = 7;
    CHECK_EQ_INT(eh_complete(&h, &bogus, NULL, 0, &err), SG_EINVAL);
    EXPECT_HISTORY(&h, run, E(WORKFLOW_EXECUTION_STARTED), E(WORKFLOW_TASK_SCHEDULED),
                   E(WORKFLOW_TASK_STARTED), E(WORKFLOW_TASK_COMPLETED), E(TIMER_STARTED),
                   E(TIMER_FIRED), E(WORKFLOW_TASK_SCHEDULED), E(WORKFLOW_TASK_STARTED),
                   E(WORKFLOW_TASK_COMPLETED), E(WORKFLOW_EXECUTION_COMPLETED));
    eh_deinit(&h);
}

SG_TEST(engine_wft_failed_schedules_attempt_2)
{
    eh h;
    eh_init(&h, NULL);
    const char *run = eh_start_ok(&h, "wf-1", NULL);
    eh_wft *t1 = eh_take_wft(&h, EH_TQ, false);
    CHECK_EQ_INT(eh_fail_wft(&h, t1, WFT_CAUSE(WORKFLOW_WORKER_UNHANDLED_FAILURE), "panic"), 0);
    /* Attempt 2 is transient: its Scheduled event is not stored, id 5 is reserved for it. */
    pb_history *hist = EXPECT_HISTORY(&h, run, E(WORKFLOW_EXECUTION_STARTED),
                                      E(WORKFLOW_TASK_SCHEDULED), E(WORKFLOW_TASK_STARTED),
                                      E(WORKFLOW_TASK_FAILED));
    Temporal__Api__History__V1__WorkflowTaskFailedEventAttributes *f =
        EV(hist, 4)->workflow_task_failed_event_attributes;
    CHECK_EQ_INT(f->scheduled_event_id, 2);
    CHECK_EQ_INT(f->started_event_id, 3);
    CHECK_EQ_INT(f->cause, WFT_CAUSE(WORKFLOW_WORKER_UNHANDLED_FAILURE));
    CHECK_EQ_STR(f->failure->message, "panic");
    CHECK_EQ_STR(f->identity, "worker-1");
    eh_check_transient_state(&h, run, 5, false, 2);
    CHECK_EQ_INT(eh_fail_wft(&h, t1, WFT_CAUSE(WORKFLOW_WORKER_UNHANDLED_FAILURE), "x"),
                 SG_ENOTFOUND);
    eh_wft *t2 = eh_take_wft(&h, EH_TQ, false);
    CHECK_EQ_INT(t2->resp.attempt, 2);
    CHECK_EQ_INT(t2->resp.started_event_id, 6);
    CHECK_EQ_INT(t2->resp.previous_started_event_id, 0);
    EXPECT_POLL_HISTORY(t2, 1, E(WORKFLOW_EXECUTION_STARTED), E(WORKFLOW_TASK_SCHEDULED),
                        E(WORKFLOW_TASK_STARTED), E(WORKFLOW_TASK_FAILED),
                        E(WORKFLOW_TASK_SCHEDULED), E(WORKFLOW_TASK_STARTED));
    eh_check_transient_poll(&h, run, t2, 5, 2);
    CHECK_EQ_INT(eh_complete(&h, t2, NULL, 0, NULL), 0);
    hist = EXPECT_HISTORY(&h, run, E(WORKFLOW_EXECUTION_STARTED), E(WORKFLOW_TASK_SCHEDULED),
                          E(WORKFLOW_TASK_STARTED), E(WORKFLOW_TASK_FAILED),
                          E(WORKFLOW_TASK_SCHEDULED), E(WORKFLOW_TASK_STARTED),
                          E(WORKFLOW_TASK_COMPLETED));
    CHECK_EQ_INT(EV(hist, 5)->workflow_task_scheduled_event_attributes->attempt, 2);
    CHECK_EQ_INT(EV(hist, 6)->workflow_task_started_event_attributes->scheduled_event_id, 5);
    CHECK_EQ_INT(EV(hist, 7)->workflow_task_completed_event_attributes->scheduled_event_id, 5);
    CHECK_EQ_INT(EV(hist, 7)->workflow_task_completed_event_attributes->started_event_id, 6);
    ms_t *ms = eh_state(&h, run);
    CHECK_EQ_INT(ms->wft->attempt, 1);
    CHECK(!ms->wft->is_transient);
    CHECK_EQ_INT(ms->wft->scheduled_event_id, 0);
    CHECK_EQ_INT(ms->next_event_id, 8);
    CHECK(no_wft(&h, EH_TQ, false));
    eh_deinit(&h);
}

SG_TEST(engine_wft_start_to_close_timeout)
{
    eh h;
    eh_init(&h, NULL);
    const char *run = eh_start_ok(&h, "wf-1", &(eh_start_opts){ .task_timeout_ms = 5000 });
    eh_wft *t1 = eh_take_wft(&h, EH_TQ, false);
    eh_advance(&h, 4999);
    EXPECT_HISTORY(&h, run, E(WORKFLOW_EXECUTION_STARTED), E(WORKFLOW_TASK_SCHEDULED),
                   E(WORKFLOW_TASK_STARTED));
    eh_advance(&h, 1);
    pb_history *hist = EXPECT_HISTORY(&h, run, E(WORKFLOW_EXECUTION_STARTED),
                                      E(WORKFLOW_TASK_SCHEDULED), E(WORKFLOW_TASK_STARTED),
                                      E(WORKFLOW_TASK_TIMED_OUT));
    Temporal__Api__History__V1__WorkflowTaskTimedOutEventAttributes *to =
        EV(hist, 4)->workflow_task_timed_out_event_attributes;
    CHECK_EQ_INT(to->scheduled_event_id, 2);
    CHECK_EQ_INT(to->started_event_id, 3);
    CHECK_EQ_INT(to->timeout_type, TIMEOUT_TYPE(START_TO_CLOSE));
    eh_check_transient_state(&h, run, 5, false, 2);
    CHECK_EQ_INT(eh_complete(&h, t1, NULL, 0, NULL), SG_ENOTFOUND);
    eh_wft *t2 = eh_take_wft(&h, EH_TQ, false);
    CHECK_EQ_INT(t2->resp.attempt, 2);
    CHECK_EQ_INT(t2->resp.started_event_id, 6);
    EXPECT_POLL_HISTORY(t2, 1, E(WORKFLOW_EXECUTION_STARTED), E(WORKFLOW_TASK_SCHEDULED),
                        E(WORKFLOW_TASK_STARTED), E(WORKFLOW_TASK_TIMED_OUT),
                        E(WORKFLOW_TASK_SCHEDULED), E(WORKFLOW_TASK_STARTED));
    eh_check_transient_poll(&h, run, t2, 5, 2);
    CHECK_EQ_INT(sg_dur_to_ms(t2->history->events[4]->workflow_task_scheduled_event_attributes
                               ->start_to_close_timeout),
                 5000);
    CHECK_EQ_INT(sg_ts_to_ms(t2->resp.scheduled_time), EH_T0_MS + 5000); /* rescheduled on timeout */
    eh_deinit(&h);
}

/* Completes the first task with sticky attributes and a 1 s timer, and fires the timer while
 * the sticky queue has a (recent) poller. The next task, events 7 (scheduled) on, waits on
 * "sticky-1". */
static const char *sticky_run(eh *h)
{
    const char *run = eh_start_ok(h, "wf-1", NULL);
    eh_wft *t1 = eh_take_wft(h, EH_TQ, false);
    CHECK_EQ_INT(eh_complete_sticky(h, t1, CMDS(eh_cmd_timer(h, "t1", 1000)), "sticky-1", 5000,
                                    NULL),
                 0);
    CHECK(no_wft(h, "sticky-1", true)); /* the worker polls its sticky queue */
    eh_advance(h, 1000);
    pb_history *hist = EXPECT_HISTORY(h, run, E(WORKFLOW_EXECUTION_STARTED),
                                      E(WORKFLOW_TASK_SCHEDULED), E(WORKFLOW_TASK_STARTED),
                                      E(WORKFLOW_TASK_COMPLETED), E(TIMER_STARTED),
                                      E(TIMER_FIRED), E(WORKFLOW_TASK_SCHEDULED));
    Temporal__Api__Taskqueue__V1__TaskQueue *q =
        EV(hist, 7)->workflow_task_scheduled_event_attributes->task_queue;
    CHECK_EQ_STR(q->name, "sticky-1");
    CHECK_EQ_INT(q->kind, TQ_KIND(STICKY));
    CHECK_EQ_STR(q->normal_name, EH_TQ);
    return run;
}

SG_TEST(engine_wft_sticky_poll_gets_partial_history)
{
    eh h;
    eh_init(&h, NULL);
    sticky_run(&h);
    CHECK(no_wft(&h, EH_TQ, false));
    eh_wft *t2 = eh_take_wft(&h, "sticky-1", true);
    CHECK_EQ_INT(t2->resp.previous_started_event_id, 3);
    CHECK_EQ_INT(t2->resp.started_event_id, 8);
    CHECK_EQ_STR(t2->resp.workflow_execution_task_queue->name, EH_TQ);
    CHECK_EQ_INT(t2->resp.workflow_execution_task_queue->kind, TQ_KIND(NORMAL));
    /* previous_started + 1 .. started: WTC, TimerStarted, TimerFired, WTScheduled, WTStarted */
    eh_check_ids(t2->history, 4);
    eh_check_types(t2->history,
                   (int[]){ E(WORKFLOW_TASK_COMPLETED), E(TIMER_STARTED), E(TIMER_FIRED),
                            E(WORKFLOW_TASK_SCHEDULED), E(WORKFLOW_TASK_STARTED) },
                   5, __FILE__, __LINE__);
    eh_deinit(&h);
}

SG_TEST(engine_wft_sticky_queue_gone_sends_full_history_on_normal_queue)
{
    eh h;
    eh_init(&h, NULL);
    const char *run = sticky_run(&h);
    sg_engine_sticky_queue_gone(h.e, EH_NS_ID, "sticky-1");
    eh_flush(&h);
    CHECK_EQ_STR(eh_state(&h, run)->sticky_queue, "");
    eh_wft t;
    CHECK(!eh_poll_wft(&h, "sticky-1", true, &t));
    CHECK_EQ_INT(t.stale, 1); /* the sticky reference is stale now */
    eh_wft *t2 = eh_take_wft(&h, EH_TQ, false);
    CHECK_EQ_INT(t2->resp.previous_started_event_id, 3);
    CHECK_EQ_INT(t2->resp.started_event_id, 8);
    eh_check_ids(t2->history, 1);
    CHECK_EQ_INT(t2->history->n_events, 8);
    /* Completing without sticky attributes keeps it off the sticky queue. */
    CHECK_EQ_INT(eh_complete(&h, t2, CMDS(eh_cmd_timer(&h, "t2", 1000)), NULL), 0);
    eh_advance(&h, 1000);
    pb_history *hist = eh_history(&h, run);
    CHECK_EQ_STR(EV(hist, 12)->workflow_task_scheduled_event_attributes->task_queue->name, EH_TQ);
    eh_deinit(&h);
}

SG_TEST(engine_wft_sticky_queue_never_polled_falls_back_to_normal_queue)
{
    eh h;
    eh_init(&h, NULL);
    const char *run = eh_start_ok(&h, "wf-1", NULL);
    eh_wft *t1 = eh_take_wft(&h, EH_TQ, false);
    CHECK_EQ_INT(eh_complete_sticky(&h, t1, CMDS(eh_cmd_timer(&h, "t1", 1000)), "sticky-x", 5000,
                                    NULL),
                 0);
    CHECK_EQ_STR(eh_state(&h, run)->sticky_queue, "sticky-x");
    eh_advance(&h, 1000);
    pb_history *hist = eh_history(&h, run);
    CHECK_EQ_INT(hist->n_events, 7);
    CHECK_EQ_STR(EV(hist, 7)->workflow_task_scheduled_event_attributes->task_queue->name, EH_TQ);
    CHECK_EQ_INT(EV(hist, 7)->workflow_task_scheduled_event_attributes->task_queue->kind,
                 TQ_KIND(NORMAL));
    eh_wft *t2 = eh_take_wft(&h, EH_TQ, false);
    eh_check_ids(t2->history, 1);
    CHECK_EQ_INT(t2->history->n_events, 8);
    CHECK_EQ_STR(eh_state(&h, run)->sticky_queue, "");
    eh_deinit(&h);
}

SG_TEST(engine_wft_sticky_schedule_to_start_timeout)
{
    eh h;
    eh_init(&h, NULL);
    const char *run = sticky_run(&h);
    eh_advance(&h, 4999);
    CHECK_EQ_INT(eh_history(&h, run)->n_events, 7);
    eh_advance(&h, 1);
    pb_history *hist = EXPECT_HISTORY(&h, run, E(WORKFLOW_EXECUTION_STARTED),
                                      E(WORKFLOW_TASK_SCHEDULED), E(WORKFLOW_TASK_STARTED),
                                      E(WORKFLOW_TASK_COMPLETED), E(TIMER_STARTED), E(TIMER_FIRED),
                                      E(WORKFLOW_TASK_SCHEDULED), E(WORKFLOW_TASK_TIMED_OUT),
                                      E(WORKFLOW_TASK_SCHEDULED));
    Temporal__Api__History__V1__WorkflowTaskTimedOutEventAttributes *to =
        EV(hist, 8)->workflow_task_timed_out_event_attributes;
    CHECK_EQ_INT(to->scheduled_event_id, 7);
    CHECK_EQ_INT(to->started_event_id, 0);
    CHECK_EQ_INT(to->timeout_type, TIMEOUT_TYPE(SCHEDULE_TO_START));
    Temporal__Api__History__V1__WorkflowTaskScheduledEventAttributes *s =
        EV(hist, 9)->workflow_task_scheduled_event_attributes;
    CHECK_EQ_STR(s->task_queue->name, EH_TQ);
    CHECK_EQ_INT(s->task_queue->kind, TQ_KIND(NORMAL));
    CHECK_EQ_INT(s->attempt, 1);
    CHECK(no_wft(&h, "sticky-1", true));
    eh_wft *t2 = eh_take_wft(&h, EH_TQ, false);
    CHECK_EQ_INT(t2->resp.attempt, 1);
    CHECK_EQ_INT(t2->resp.started_event_id, 10);
    eh_check_ids(t2->history, 1);
    CHECK_EQ_INT(t2->history->n_events, 10);
    eh_deinit(&h);
}

/* A failed task on a sticky run clears stickiness instead of counting an attempt. */
SG_TEST(engine_wft_sticky_failure_clears_stickiness)
{
    eh h;
    eh_init(&h, NULL);
    const char *run = sticky_run(&h);
    eh_wft *t2 = eh_take_wft(&h, "sticky-1", true);
    CHECK_EQ_INT(eh_fail_wft(&h, t2, WFT_CAUSE(WORKFLOW_WORKER_UNHANDLED_FAILURE), "x"), 0);
    pb_history *hist = EXPECT_HISTORY(&h, run, E(WORKFLOW_EXECUTION_STARTED),
                                      E(WORKFLOW_TASK_SCHEDULED), E(WORKFLOW_TASK_STARTED),
                                      E(WORKFLOW_TASK_COMPLETED), E(TIMER_STARTED), E(TIMER_FIRED),
                                      E(WORKFLOW_TASK_SCHEDULED), E(WORKFLOW_TASK_STARTED),
                                      E(WORKFLOW_TASK_FAILED), E(WORKFLOW_TASK_SCHEDULED));
    Temporal__Api__History__V1__WorkflowTaskScheduledEventAttributes *s =
        EV(hist, 10)->workflow_task_scheduled_event_attributes;
    CHECK_EQ_INT(s->attempt, 1);
    CHECK_EQ_STR(s->task_queue->name, EH_TQ);
    CHECK_EQ_STR(eh_state(&h, run)->sticky_queue, "");
    eh_wft *t3 = eh_take_wft(&h, EH_TQ, false);
    eh_check_ids(t3->history, 1);
    eh_deinit(&h);
}

/* ==== the buffer ==== */

/* A task that times out while events wait in the buffer: they land after the TimedOut event
 * and, being new, make the next task a first attempt again. */
SG_TEST(engine_buffer_flushed_when_the_task_times_out)
{
    eh h;
    eh_init(&h, NULL);
    eh_act *act;
    eh_wft *t2;
    const char *run = act_and_timer_run(&h, true, 60000, &act, &t2);
    CHECK_EQ_INT(eh_act_complete(&h, act, "r"), 0);
    eh_advance(&h, 10000);
    pb_history *hist = EXPECT_HISTORY(&h, run, E(WORKFLOW_EXECUTION_STARTED),
                                      E(WORKFLOW_TASK_SCHEDULED), E(WORKFLOW_TASK_STARTED),
                                      E(WORKFLOW_TASK_COMPLETED), E(ACTIVITY_TASK_SCHEDULED),
                                      E(TIMER_STARTED), E(TIMER_FIRED), E(WORKFLOW_TASK_SCHEDULED),
                                      E(WORKFLOW_TASK_STARTED), E(WORKFLOW_TASK_TIMED_OUT),
                                      E(ACTIVITY_TASK_STARTED), E(ACTIVITY_TASK_COMPLETED),
                                      E(WORKFLOW_TASK_SCHEDULED));
    CHECK_EQ_INT(EV(hist, 12)->activity_task_completed_event_attributes->started_event_id, 11);
    CHECK_EQ_INT(EV(hist, 13)->workflow_task_scheduled_event_attributes->attempt, 1);
    CHECK_EQ_INT(eh_complete(&h, t2, NULL, 0, NULL), SG_ENOTFOUND);
    eh_deinit(&h);
}

SG_TEST(engine_buffer_activity_result_during_started_wft)
{
    eh h;
    eh_init(&h, NULL);
    eh_act *act;
    eh_wft *t2;
    const char *run = act_and_timer_run(&h, true, 60000, &act, &t2);
    CHECK_EQ_INT(eh_act_complete(&h, act, "r"), 0);
    /* Nothing lands between WorkflowTaskStarted and its completion. */
    CHECK_EQ_INT(eh_history(&h, run)->n_events, 9);
    CHECK_EQ_INT(eh_complete(&h, t2, CMDS(eh_cmd_marker(&h, "m")), NULL), 0);
    pb_history *hist = EXPECT_HISTORY(&h, run, E(WORKFLOW_EXECUTION_STARTED),
                                      E(WORKFLOW_TASK_SCHEDULED), E(WORKFLOW_TASK_STARTED),
                                      E(WORKFLOW_TASK_COMPLETED), E(ACTIVITY_TASK_SCHEDULED),
                                      E(TIMER_STARTED), E(TIMER_FIRED), E(WORKFLOW_TASK_SCHEDULED),
                                      E(WORKFLOW_TASK_STARTED), E(WORKFLOW_TASK_COMPLETED),
                                      E(MARKER_RECORDED), E(ACTIVITY_TASK_STARTED),
                                      E(ACTIVITY_TASK_COMPLETED), E(WORKFLOW_TASK_SCHEDULED));
    CHECK_EQ_INT(EV(hist, 11)->marker_recorded_event_attributes->workflow_task_completed_event_id, 10);
    CHECK_EQ_INT(EV(hist, 12)->activity_task_started_event_attributes->scheduled_event_id, 5);
    CHECK_EQ_INT(EV(hist, 13)->activity_task_completed_event_attributes->scheduled_event_id, 5);
    CHECK_EQ_INT(EV(hist, 13)->activity_task_completed_event_attributes->started_event_id, 12);
    eh_wft *t3 = eh_take_wft(&h, EH_TQ, false);
    CHECK_EQ_INT(t3->resp.previous_started_event_id, 9);
    eh_deinit(&h);
}

SG_TEST(engine_buffer_close_while_buffered_is_unhandled_command)
{
    eh h;
    eh_init(&h, NULL);
    eh_act *act;
    eh_wft *t2;
    const char *run = act_and_timer_run(&h, true, 60000, &act, &t2);
    CHECK_EQ_INT(eh_act_complete(&h, act, "r"), 0);
    sg_engine_err err;
    CHECK_EQ_INT(eh_complete(&h, t2, CMDS(eh_cmd_complete(&h, "done")), &err), SG_EINVAL);
    CHECK_EQ_STR(err.message, "UnhandledCommand");
    CHECK_EQ_INT(err.wft_failed_cause, WFT_CAUSE(UNHANDLED_COMMAND));
    pb_history *hist = EXPECT_HISTORY(&h, run, E(WORKFLOW_EXECUTION_STARTED),
                                      E(WORKFLOW_TASK_SCHEDULED), E(WORKFLOW_TASK_STARTED),
                                      E(WORKFLOW_TASK_COMPLETED), E(ACTIVITY_TASK_SCHEDULED),
                                      E(TIMER_STARTED), E(TIMER_FIRED), E(WORKFLOW_TASK_SCHEDULED),
                                      E(WORKFLOW_TASK_STARTED), E(WORKFLOW_TASK_FAILED),
                                      E(ACTIVITY_TASK_STARTED), E(ACTIVITY_TASK_COMPLETED),
                                      E(WORKFLOW_TASK_SCHEDULED));
    Temporal__Api__History__V1__WorkflowTaskFailedEventAttributes *f =
        EV(hist, 10)->workflow_task_failed_event_attributes;
    CHECK_EQ_INT(f->cause, WFT_CAUSE(UNHANDLED_COMMAND));
    CHECK_EQ_INT(f->scheduled_event_id, 8);
    CHECK_EQ_INT(f->started_event_id, 9);
    CHECK_EQ_INT(EV(hist, 12)->activity_task_completed_event_attributes->started_event_id, 11);
    CHECK_EQ_INT(EV(hist, 13)->workflow_task_scheduled_event_attributes->attempt, 1);
    CHECK_EQ_INT(eh_state(&h, run)->status, ST_RUNNING);
    eh_wft *t3 = eh_take_wft(&h, EH_TQ, false);
    CHECK_EQ_INT(t3->resp.previous_started_event_id, 3);
    CHECK_EQ_INT(eh_complete(&h, t3, CMDS(eh_cmd_complete(&h, "done")), NULL), 0);
    CHECK_EQ_INT(eh_state(&h, run)->status, ST_COMPLETED);
    CHECK_EQ_INT(eh_history(&h, run)->n_events, 16);
    eh_deinit(&h);
}

/* PROTOCOL.md 3.5 step 8 (Temporal's reorderBuffer): buffered result events (activity
 * completions) are written after the other buffered events. */
SG_TEST(engine_buffer_results_after_other_buffered_events)
{
    eh h;
    eh_init(&h, NULL);
    const char *run = open_run(&h, "wf-1", NULL,
                               CMDS(eh_cmd_activity(&h, "a1", 0, 0, 60000, 0, NULL),
                                    eh_cmd_timer(&h, "t1", 1000), eh_cmd_timer(&h, "t2", 2000)));
    eh_act *act = eh_take_act(&h, EH_TQ);
    eh_advance(&h, 1000);
    eh_wft *t2 = eh_take_wft(&h, EH_TQ, false);
    CHECK_EQ_INT(eh_act_complete(&h, act, "r"), 0); /* buffered first */
    eh_advance(&h, 1000);                           /* t2 fires: buffered second */
    CHECK_EQ_INT(eh_history(&h, run)->n_events, 10);
    CHECK_EQ_INT(eh_complete(&h, t2, NULL, 0, NULL), 0);
    pb_history *hist = EXPECT_HISTORY(&h, run, E(WORKFLOW_EXECUTION_STARTED),
                                      E(WORKFLOW_TASK_SCHEDULED), E(WORKFLOW_TASK_STARTED),
                                      E(WORKFLOW_TASK_COMPLETED), E(ACTIVITY_TASK_SCHEDULED),
                                      E(TIMER_STARTED), E(TIMER_STARTED), E(TIMER_FIRED),
                                      E(WORKFLOW_TASK_SCHEDULED), E(WORKFLOW_TASK_STARTED),
                                      E(WORKFLOW_TASK_COMPLETED), E(ACTIVITY_TASK_STARTED),
                                      E(TIMER_FIRED), E(ACTIVITY_TASK_COMPLETED),
                                      E(WORKFLOW_TASK_SCHEDULED));
    CHECK_EQ_INT(EV(hist, 14)->activity_task_completed_event_attributes->started_event_id, 12);
    eh_deinit(&h);
}

SG_TEST(engine_transient_poll_shows_synthesized_pair)
{
    eh h;
    eh_init(&h, NULL);
    const char *run = eh_start_ok(&h, "wf-1", &(eh_start_opts){ .task_timeout_ms = 7000 });
    eh_wft *t1 = eh_take_wft(&h, EH_TQ, false);
    eh_advance(&h, 100);
    CHECK_EQ_INT(eh_fail_wft(&h, t1, WFT_CAUSE(WORKFLOW_WORKER_UNHANDLED_FAILURE), "panic"), 0);
    eh_check_transient_state(&h, run, 5, false, 2); /* scheduled at +100 */
    eh_advance(&h, 200);
    CHECK_EQ_INT(eh_history(&h, run)->n_events, 4);
    eh_wft *t2 = eh_take_wft(&h, EH_TQ, false);
    EXPECT_POLL_HISTORY(t2, 1, E(WORKFLOW_EXECUTION_STARTED), E(WORKFLOW_TASK_SCHEDULED),
                        E(WORKFLOW_TASK_STARTED), E(WORKFLOW_TASK_FAILED),
                        E(WORKFLOW_TASK_SCHEDULED), E(WORKFLOW_TASK_STARTED));
    eh_check_transient_poll(&h, run, t2, 5, 2);
    Temporal__Api__Workflowservice__V1__PollWorkflowTaskQueueResponse *r = &t2->resp;
    CHECK_EQ_INT(r->attempt, 2);
    CHECK_EQ_INT(r->started_event_id, 6);
    CHECK_EQ_INT(r->previous_started_event_id, 0);
    CHECK_EQ_INT(sg_ts_to_ms(r->scheduled_time), EH_T0_MS + 100);
    CHECK_EQ_INT(sg_ts_to_ms(r->started_time), EH_T0_MS + 300);
    const pb_event *s = t2->history->events[4], *st = t2->history->events[5];
    CHECK_EQ_INT(s->event_id, 5);
    CHECK_EQ_INT(s->workflow_task_scheduled_event_attributes->attempt, 2);
    CHECK_EQ_INT(sg_dur_to_ms(s->workflow_task_scheduled_event_attributes->start_to_close_timeout),
                 7000);
    CHECK_EQ_INT(sg_ts_to_ms(s->event_time), EH_T0_MS + 100);
    CHECK_EQ_INT(st->event_id, 6);
    CHECK_EQ_INT(st->workflow_task_started_event_attributes->scheduled_event_id, 5);
    CHECK_EQ_INT(sg_ts_to_ms(st->event_time), EH_T0_MS + 300);
    /* Polling stored nothing, and the started attempt is not handed out again. */
    EXPECT_HISTORY(&h, run, E(WORKFLOW_EXECUTION_STARTED), E(WORKFLOW_TASK_SCHEDULED),
                   E(WORKFLOW_TASK_STARTED), E(WORKFLOW_TASK_FAILED));
    CHECK(no_wft(&h, EH_TQ, false));
    eh_deinit(&h);
}

static pb_history *get_history(eh *h, const char *wf, const char *run,
                               const ProtobufCBinaryData *page_token, bool with_transient,
                               ProtobufCBinaryData *next_page_token)
{
    Temporal__Api__Workflowservice__V1__GetWorkflowExecutionHistoryRequest req =
        TEMPORAL__API__WORKFLOWSERVICE__V1__GET_WORKFLOW_EXECUTION_HISTORY_REQUEST__INIT;
    Temporal__Api__Common__V1__WorkflowExecution we =
        TEMPORAL__API__COMMON__V1__WORKFLOW_EXECUTION__INIT;
    we.workflow_id = (char *)wf;
    we.run_id = (char *)run;
    req.namespace_ = EH_NS;
    req.execution = &we;
    if (page_token)
        req.next_page_token = *page_token;
    Temporal__Api__Workflowservice__V1__GetWorkflowExecutionHistoryResponse out =
        TEMPORAL__API__WORKFLOWSERVICE__V1__GET_WORKFLOW_EXECUTION_HISTORY_RESPONSE__INIT;
    sg_buf b;
    sg_buf_init(&b);
    bool waitable = true;
    CHECK_EQ_INT(sg_engine_get_history(h->e, &h->a, EH_NS_ID, &req, with_transient, &out, &b,
                                       &waitable),
                 0);
    CHECK(!waitable);
    pb_history *hist = temporal__api__history__v1__history__unpack(&h->a.pb, b.len, sg_buf_head(&b));
    sg_buf_deinit(&b);
    CHECK(hist != NULL);
    *next_page_token = out.next_page_token;
    return hist;
}

/* A history longer than one page: the poll's first page has a next-page token and the pair
 * ends the last page, which an SDK fetches with GetWorkflowExecutionHistory (PROTOCOL.md 3.3);
 * a CLI/UI read shows only what is stored. */
SG_TEST(engine_transient_pair_ends_the_last_page)
{
    eh h;
    eh_init(&h, NULL);
    enum { MARKERS = 300 };
    pb_cmd **cmds = sg_arena_alloc(&h.a, (MARKERS + 1) * sizeof *cmds);
    for (int i = 0; i < MARKERS; i++)
        cmds[i] = eh_cmd_marker(&h, "m");
    cmds[MARKERS] = eh_cmd_timer(&h, "t1", 1000);
    const char *run = open_run(&h, "wf-1", NULL, cmds, MARKERS + 1); /* events 1-305 */
    eh_advance(&h, 1000);                                            /* 306 fired, 307 WTS */
    eh_wft *t2 = eh_take_wft(&h, EH_TQ, false);                      /* 308 */
    CHECK_EQ_INT(t2->resp.started_event_id, 308);
    CHECK_EQ_INT(eh_fail_wft(&h, t2, WFT_CAUSE(WORKFLOW_WORKER_UNHANDLED_FAILURE), "x"), 0);
    CHECK_EQ_INT(eh_history(&h, run)->n_events, 309);
    eh_check_transient_state(&h, run, 310, false, 2);
    eh_wft *t3 = eh_take_wft(&h, EH_TQ, false);
    CHECK_EQ_INT(t3->resp.attempt, 2);
    CHECK_EQ_INT(t3->resp.started_event_id, 311);
    CHECK(t3->resp.next_page_token.len > 0);
    size_t first = t3->history->n_events; /* whole stored batches: events 1-305 */
    CHECK(first >= 256 && first < 309);
    eh_check_ids(t3->history, 1);
    ProtobufCBinaryData next;
    pb_history *last = get_history(&h, "wf-1", run, &t3->resp.next_page_token, true, &next);
    CHECK_EQ_INT(next.len, 0);
    eh_check_ids(last, (int64_t)first + 1);
    CHECK_EQ_INT(last->n_events, 311 - first);
    const pb_event *s = last->events[last->n_events - 2], *st = last->events[last->n_events - 1];
    CHECK_EQ_INT(s->event_type, E(WORKFLOW_TASK_SCHEDULED));
    CHECK_EQ_INT(s->event_id, 310);
    CHECK_EQ_INT(s->workflow_task_scheduled_event_attributes->attempt, 2);
    CHECK_EQ_INT(st->event_type, E(WORKFLOW_TASK_STARTED));
    CHECK_EQ_INT(st->event_id, 311);
    CHECK_EQ_INT(st->workflow_task_started_event_attributes->scheduled_event_id, 310);
    CHECK_EQ_INT(last->events[last->n_events - 3]->event_type, E(WORKFLOW_TASK_FAILED));
    /* Not for the CLI/UI, and the whole history in one page for an SDK. */
    pb_history *cli = get_history(&h, "wf-1", run, &t3->resp.next_page_token, false, &next);
    CHECK_EQ_INT(next.len, 0);
    eh_check_ids(cli, (int64_t)first + 1);
    CHECK_EQ_INT(cli->n_events, 309 - first);
    eh_deinit(&h);
}

SG_TEST(engine_transient_completion_writes_scheduled_started_completed)
{
    eh h;
    eh_init(&h, NULL);
    const char *run = failed_first_task_run(&h, "wf-1", NULL); /* attempt 2 scheduled at +0 */
    eh_advance(&h, 100);
    eh_wft *t2 = eh_take_wft(&h, EH_TQ, false);
    eh_check_transient_poll(&h, run, t2, 5, 2);
    eh_advance(&h, 200);
    CHECK_EQ_INT(eh_complete(&h, t2, CMDS(eh_cmd_timer(&h, "t1", 1000), eh_cmd_marker(&h, "m")),
                             NULL),
                 0);
    pb_history *hist = EXPECT_HISTORY(&h, run, E(WORKFLOW_EXECUTION_STARTED),
                                      E(WORKFLOW_TASK_SCHEDULED), E(WORKFLOW_TASK_STARTED),
                                      E(WORKFLOW_TASK_FAILED), E(WORKFLOW_TASK_SCHEDULED),
                                      E(WORKFLOW_TASK_STARTED), E(WORKFLOW_TASK_COMPLETED),
                                      E(TIMER_STARTED), E(MARKER_RECORDED));
    /* Written at the reserved ids, as the poller was shown them. */
    const pb_event *shown_s = t2->history->events[4], *shown_st = t2->history->events[5];
    Temporal__Api__History__V1__WorkflowTaskScheduledEventAttributes *ws =
        EV(hist, 5)->workflow_task_scheduled_event_attributes;
    CHECK_EQ_INT(ws->attempt, 2);
    CHECK_EQ_STR(ws->task_queue->name, EH_TQ);
    CHECK_EQ_INT(ws->task_queue->kind, TQ_KIND(NORMAL));
    CHECK_EQ_INT(sg_dur_to_ms(ws->start_to_close_timeout),
                 sg_dur_to_ms(shown_s->workflow_task_scheduled_event_attributes->start_to_close_timeout));
    CHECK_EQ_INT(sg_ts_to_ms(EV(hist, 5)->event_time), EH_T0_MS);
    CHECK_EQ_INT(sg_ts_to_ms(EV(hist, 5)->event_time), sg_ts_to_ms(shown_s->event_time));
    Temporal__Api__History__V1__WorkflowTaskStartedEventAttributes *wst =
        EV(hist, 6)->workflow_task_started_event_attributes;
    CHECK_EQ_INT(wst->scheduled_event_id, 5);
    CHECK_EQ_STR(wst->identity, "worker-1");
    CHECK_EQ_STR(wst->request_id, "poll-req-1");
    CHECK_EQ_INT(sg_ts_to_ms(EV(hist, 6)->event_time), EH_T0_MS + 100);
    CHECK_EQ_INT(sg_ts_to_ms(EV(hist, 6)->event_time), sg_ts_to_ms(shown_st->event_time));
    Temporal__Api__History__V1__WorkflowTaskCompletedEventAttributes *wtc =
        EV(hist, 7)->workflow_task_completed_event_attributes;
    CHECK_EQ_INT(wtc->scheduled_event_id, 5);
    CHECK_EQ_INT(wtc->started_event_id, 6);
    CHECK_EQ_STR(wtc->identity, "worker-1");
    CHECK_EQ_INT(sg_ts_to_ms(EV(hist, 7)->event_time), EH_T0_MS + 300);
    CHECK_EQ_INT(EV(hist, 8)->timer_started_event_attributes->workflow_task_completed_event_id, 7);
    CHECK_EQ_INT(EV(hist, 9)->marker_recorded_event_attributes->workflow_task_completed_event_id, 7);
    ms_t *ms = eh_state(&h, run);
    CHECK(!ms->wft->is_transient);
    CHECK_EQ_INT(ms->wft->attempt, 1);
    CHECK_EQ_INT(ms->wft->scheduled_event_id, 0);
    CHECK_EQ_INT(ms->next_event_id, 10);
    CHECK_EQ_INT(ms->last_completed_wft_started_id, 6);
    CHECK(no_wft(&h, EH_TQ, false));
    CHECK_EQ_INT(eh_complete(&h, t2, NULL, 0, NULL), SG_ENOTFOUND);
    /* The next task is a normal first attempt, written as usual. */
    eh_advance(&h, 1000);
    hist = EXPECT_HISTORY(&h, run, E(WORKFLOW_EXECUTION_STARTED), E(WORKFLOW_TASK_SCHEDULED),
                          E(WORKFLOW_TASK_STARTED), E(WORKFLOW_TASK_FAILED),
                          E(WORKFLOW_TASK_SCHEDULED), E(WORKFLOW_TASK_STARTED),
                          E(WORKFLOW_TASK_COMPLETED), E(TIMER_STARTED), E(MARKER_RECORDED),
                          E(TIMER_FIRED), E(WORKFLOW_TASK_SCHEDULED));
    CHECK_EQ_INT(EV(hist, 11)->workflow_task_scheduled_event_attributes->attempt, 1);
    eh_wft *t3 = eh_take_wft(&h, EH_TQ, false);
    CHECK_EQ_INT(t3->resp.attempt, 1);
    CHECK_EQ_INT(t3->resp.previous_started_event_id, 6);
    CHECK_EQ_INT(t3->resp.started_event_id, 12);
    EXPECT_POLL_HISTORY(t3, 1, E(WORKFLOW_EXECUTION_STARTED), E(WORKFLOW_TASK_SCHEDULED),
                        E(WORKFLOW_TASK_STARTED), E(WORKFLOW_TASK_FAILED),
                        E(WORKFLOW_TASK_SCHEDULED), E(WORKFLOW_TASK_STARTED),
                        E(WORKFLOW_TASK_COMPLETED), E(TIMER_STARTED), E(MARKER_RECORDED),
                        E(TIMER_FIRED), E(WORKFLOW_TASK_SCHEDULED), E(WORKFLOW_TASK_STARTED));
    hist = eh_history(&h, run);
    CHECK_EQ_INT(hist->n_events, 12);
    for (size_t i = 0; i < hist->n_events; i++)
        CHECK(eh_same_event(&h, hist->events[i], t3->history->events[i]));
    eh_deinit(&h);
}

SG_TEST(engine_transient_failure_writes_nothing)
{
    eh h;
    eh_init(&h, NULL);
    const char *run = failed_first_task_run(&h, "wf-1", NULL);
    eh_wft *t2 = eh_take_wft(&h, EH_TQ, false);
    eh_check_transient_poll(&h, run, t2, 5, 2);
    CHECK_EQ_INT(eh_fail_wft(&h, t2, WFT_CAUSE(NON_DETERMINISTIC_ERROR), "nde"), 0);
    EXPECT_HISTORY(&h, run, E(WORKFLOW_EXECUTION_STARTED), E(WORKFLOW_TASK_SCHEDULED),
                   E(WORKFLOW_TASK_STARTED), E(WORKFLOW_TASK_FAILED));
    eh_check_transient_state(&h, run, 5, false, 3);
    CHECK_EQ_INT(eh_fail_wft(&h, t2, WFT_CAUSE(NON_DETERMINISTIC_ERROR), "nde"), SG_ENOTFOUND);
    CHECK_EQ_INT(eh_complete(&h, t2, NULL, 0, NULL), SG_ENOTFOUND);
    eh_wft *t3 = eh_take_wft(&h, EH_TQ, false);
    EXPECT_POLL_HISTORY(t3, 1, E(WORKFLOW_EXECUTION_STARTED), E(WORKFLOW_TASK_SCHEDULED),
                        E(WORKFLOW_TASK_STARTED), E(WORKFLOW_TASK_FAILED),
                        E(WORKFLOW_TASK_SCHEDULED), E(WORKFLOW_TASK_STARTED));
    eh_check_transient_poll(&h, run, t3, 5, 3);
    /* Again: attempt 4, same ids. */
    CHECK_EQ_INT(eh_fail_wft(&h, t3, WFT_CAUSE(NON_DETERMINISTIC_ERROR), "nde"), 0);
    CHECK_EQ_INT(eh_history(&h, run)->n_events, 4);
    eh_wft *t4 = eh_take_wft(&h, EH_TQ, false);
    eh_check_transient_poll(&h, run, t4, 5, 4);
    CHECK_EQ_INT(eh_complete(&h, t4, NULL, 0, NULL), 0);
    pb_history *hist = EXPECT_HISTORY(&h, run, E(WORKFLOW_EXECUTION_STARTED),
                                      E(WORKFLOW_TASK_SCHEDULED), E(WORKFLOW_TASK_STARTED),
                                      E(WORKFLOW_TASK_FAILED), E(WORKFLOW_TASK_SCHEDULED),
                                      E(WORKFLOW_TASK_STARTED), E(WORKFLOW_TASK_COMPLETED));
    CHECK_EQ_INT(EV(hist, 5)->workflow_task_scheduled_event_attributes->attempt, 4);
    CHECK_EQ_INT(EV(hist, 7)->workflow_task_completed_event_attributes->scheduled_event_id, 5);
    CHECK_EQ_INT(EV(hist, 7)->workflow_task_completed_event_attributes->started_event_id, 6);
    CHECK_EQ_INT(eh_state(&h, run)->wft->attempt, 1);
    eh_deinit(&h);
}

SG_TEST(engine_transient_timeout_writes_nothing)
{
    eh h;
    eh_init(&h, NULL);
    const char *run = eh_start_ok(&h, "wf-1", &(eh_start_opts){ .task_timeout_ms = 5000 });
    eh_take_wft(&h, EH_TQ, false);
    eh_advance(&h, 5000); /* attempt 1 times out: recorded */
    pb_history *hist = EXPECT_HISTORY(&h, run, E(WORKFLOW_EXECUTION_STARTED),
                                      E(WORKFLOW_TASK_SCHEDULED), E(WORKFLOW_TASK_STARTED),
                                      E(WORKFLOW_TASK_TIMED_OUT));
    eh_check_transient_state(&h, run, 5, false, 2);
    eh_wft *t2 = eh_take_wft(&h, EH_TQ, false);
    eh_check_transient_poll(&h, run, t2, 5, 2);
    eh_advance(&h, 4999);
    eh_check_transient_state(&h, run, 5, true, 2);
    eh_advance(&h, 1); /* attempt 2 times out: not recorded */
    EXPECT_HISTORY(&h, run, E(WORKFLOW_EXECUTION_STARTED), E(WORKFLOW_TASK_SCHEDULED),
                   E(WORKFLOW_TASK_STARTED), E(WORKFLOW_TASK_TIMED_OUT));
    eh_check_transient_state(&h, run, 5, false, 3);
    CHECK_EQ_INT(eh_complete(&h, t2, NULL, 0, NULL), SG_ENOTFOUND);
    eh_wft *t3 = eh_take_wft(&h, EH_TQ, false);
    EXPECT_POLL_HISTORY(t3, 1, E(WORKFLOW_EXECUTION_STARTED), E(WORKFLOW_TASK_SCHEDULED),
                        E(WORKFLOW_TASK_STARTED), E(WORKFLOW_TASK_TIMED_OUT),
                        E(WORKFLOW_TASK_SCHEDULED), E(WORKFLOW_TASK_STARTED));
    eh_check_transient_poll(&h, run, t3, 5, 3);
    CHECK_EQ_INT(sg_ts_to_ms(t3->resp.scheduled_time), EH_T0_MS + 10000);
    CHECK_EQ_INT(eh_complete(&h, t3, NULL, 0, NULL), 0);
    hist = EXPECT_HISTORY(&h, run, E(WORKFLOW_EXECUTION_STARTED), E(WORKFLOW_TASK_SCHEDULED),
                          E(WORKFLOW_TASK_STARTED), E(WORKFLOW_TASK_TIMED_OUT),
                          E(WORKFLOW_TASK_SCHEDULED), E(WORKFLOW_TASK_STARTED),
                          E(WORKFLOW_TASK_COMPLETED));
    CHECK_EQ_INT(EV(hist, 5)->workflow_task_scheduled_event_attributes->attempt, 3);
    CHECK_EQ_INT(sg_ts_to_ms(EV(hist, 5)->event_time), EH_T0_MS + 10000);
    CHECK_EQ_INT(EV(hist, 6)->workflow_task_started_event_attributes->scheduled_event_id, 5);
    eh_deinit(&h);
}

/* The second task (8, 9) of act_and_timer_run fails: attempt 2 waits, transient, on 11-12. */
static const char *act_and_timer_transient_run(eh *h, bool poll_activity, eh_act **act)
{
    eh_wft *t2;
    const char *run = act_and_timer_run(h, poll_activity, 60000, act, &t2);
    CHECK_EQ_INT(eh_fail_wft(h, t2, WFT_CAUSE(WORKFLOW_WORKER_UNHANDLED_FAILURE), "x"), 0);
    EXPECT_HISTORY(h, run, E(WORKFLOW_EXECUTION_STARTED), E(WORKFLOW_TASK_SCHEDULED),
                   E(WORKFLOW_TASK_STARTED), E(WORKFLOW_TASK_COMPLETED),
                   E(ACTIVITY_TASK_SCHEDULED), E(TIMER_STARTED), E(TIMER_FIRED),
                   E(WORKFLOW_TASK_SCHEDULED), E(WORKFLOW_TASK_STARTED), E(WORKFLOW_TASK_FAILED));
    eh_check_transient_state(h, run, 11, false, 2);
    return run;
}

/* A new event while the transient attempt waits unstarted takes its reserved id; the next
 * task is a normal first attempt. */
SG_TEST(engine_transient_unstarted_dropped_by_activity_result)
{
    eh h;
    eh_init(&h, NULL);
    eh_act *act;
    const char *run = act_and_timer_transient_run(&h, true, &act);
    CHECK_EQ_INT(eh_act_complete(&h, act, "r"), 0);
    pb_history *hist = EXPECT_HISTORY(&h, run, E(WORKFLOW_EXECUTION_STARTED),
                                      E(WORKFLOW_TASK_SCHEDULED), E(WORKFLOW_TASK_STARTED),
                                      E(WORKFLOW_TASK_COMPLETED), E(ACTIVITY_TASK_SCHEDULED),
                                      E(TIMER_STARTED), E(TIMER_FIRED), E(WORKFLOW_TASK_SCHEDULED),
                                      E(WORKFLOW_TASK_STARTED), E(WORKFLOW_TASK_FAILED),
                                      E(ACTIVITY_TASK_STARTED), E(ACTIVITY_TASK_COMPLETED),
                                      E(WORKFLOW_TASK_SCHEDULED));
    CHECK_EQ_INT(EV(hist, 11)->activity_task_started_event_attributes->scheduled_event_id, 5);
    CHECK_EQ_INT(EV(hist, 12)->activity_task_completed_event_attributes->scheduled_event_id, 5);
    CHECK_EQ_INT(EV(hist, 12)->activity_task_completed_event_attributes->started_event_id, 11);
    Temporal__Api__History__V1__WorkflowTaskScheduledEventAttributes *ws =
        EV(hist, 13)->workflow_task_scheduled_event_attributes;
    CHECK_EQ_INT(ws->attempt, 1);
    CHECK_EQ_STR(ws->task_queue->name, EH_TQ);
    ms_t *ms = eh_state(&h, run);
    CHECK(!ms->wft->is_transient);
    CHECK_EQ_INT(ms->wft->attempt, 1);
    CHECK_EQ_INT(ms->wft->scheduled_event_id, 13);
    CHECK_EQ_INT(ms->next_event_id, 14);
    eh_wft *t3 = eh_take_wft(&h, EH_TQ, false);
    CHECK_EQ_INT(t3->stale, 1); /* the dropped attempt's reference */
    CHECK_EQ_INT(t3->resp.attempt, 1);
    CHECK_EQ_INT(t3->resp.started_event_id, 14);
    CHECK_EQ_INT(t3->resp.previous_started_event_id, 3);
    EXPECT_POLL_HISTORY(t3, 1, E(WORKFLOW_EXECUTION_STARTED), E(WORKFLOW_TASK_SCHEDULED),
                        E(WORKFLOW_TASK_STARTED), E(WORKFLOW_TASK_COMPLETED),
                        E(ACTIVITY_TASK_SCHEDULED), E(TIMER_STARTED), E(TIMER_FIRED),
                        E(WORKFLOW_TASK_SCHEDULED), E(WORKFLOW_TASK_STARTED),
                        E(WORKFLOW_TASK_FAILED), E(ACTIVITY_TASK_STARTED),
                        E(ACTIVITY_TASK_COMPLETED), E(WORKFLOW_TASK_SCHEDULED),
                        E(WORKFLOW_TASK_STARTED));
    CHECK(no_wft(&h, EH_TQ, false));
    CHECK_EQ_INT(eh_complete(&h, t3, NULL, 0, NULL), 0);
    EXPECT_HISTORY(&h, run, E(WORKFLOW_EXECUTION_STARTED), E(WORKFLOW_TASK_SCHEDULED),
                   E(WORKFLOW_TASK_STARTED), E(WORKFLOW_TASK_COMPLETED), E(ACTIVITY_TASK_SCHEDULED),
                   E(TIMER_STARTED), E(TIMER_FIRED), E(WORKFLOW_TASK_SCHEDULED),
                   E(WORKFLOW_TASK_STARTED), E(WORKFLOW_TASK_FAILED), E(ACTIVITY_TASK_STARTED),
                   E(ACTIVITY_TASK_COMPLETED), E(WORKFLOW_TASK_SCHEDULED),
                   E(WORKFLOW_TASK_STARTED), E(WORKFLOW_TASK_COMPLETED));
    eh_deinit(&h);
}

SG_TEST(engine_transient_unstarted_dropped_by_timer_fired)
{
    eh h;
    eh_init(&h, NULL);
    const char *run = open_run(&h, "wf-1", NULL,
                               CMDS(eh_cmd_timer(&h, "t1", 1000), eh_cmd_timer(&h, "t2", 5000)));
    eh_advance(&h, 1000);                       /* 7 fired, 8 scheduled */
    eh_wft *t2 = eh_take_wft(&h, EH_TQ, false); /* 9 */
    CHECK_EQ_INT(eh_fail_wft(&h, t2, WFT_CAUSE(WORKFLOW_WORKER_UNHANDLED_FAILURE), "x"), 0);
    eh_check_transient_state(&h, run, 11, false, 2);
    eh_advance(&h, 4000);
    pb_history *hist = EXPECT_HISTORY(&h, run, E(WORKFLOW_EXECUTION_STARTED),
                                      E(WORKFLOW_TASK_SCHEDULED), E(WORKFLOW_TASK_STARTED),
                                      E(WORKFLOW_TASK_COMPLETED), E(TIMER_STARTED),
                                      E(TIMER_STARTED), E(TIMER_FIRED), E(WORKFLOW_TASK_SCHEDULED),
                                      E(WORKFLOW_TASK_STARTED), E(WORKFLOW_TASK_FAILED),
                                      E(TIMER_FIRED), E(WORKFLOW_TASK_SCHEDULED));
    CHECK_EQ_STR(EV(hist, 11)->timer_fired_event_attributes->timer_id, "t2");
    CHECK_EQ_INT(EV(hist, 11)->timer_fired_event_attributes->started_event_id, 6);
    CHECK_EQ_INT(EV(hist, 12)->workflow_task_scheduled_event_attributes->attempt, 1);
    CHECK(!eh_state(&h, run)->wft->is_transient);
    eh_wft *t3 = eh_take_wft(&h, EH_TQ, false);
    CHECK_EQ_INT(t3->resp.attempt, 1);
    CHECK_EQ_INT(t3->resp.started_event_id, 13);
    eh_check_ids(t3->history, 1);
    CHECK_EQ_INT(t3->history->n_events, 13);
    CHECK_EQ_INT(t3->history->events[10]->event_type, E(TIMER_FIRED));
    CHECK_EQ_INT(t3->history->events[11]->workflow_task_scheduled_event_attributes->attempt, 1);
    eh_deinit(&h);
}

/* While the transient attempt is started, new events wait in the buffer as usual and land
 * after its (then written) Scheduled/Started/Completed and command events. */
SG_TEST(engine_transient_started_buffers_new_events)
{
    eh h;
    eh_init(&h, NULL);
    eh_act *act;
    const char *run = act_and_timer_transient_run(&h, true, &act);
    eh_wft *t3 = eh_take_wft(&h, EH_TQ, false);
    eh_check_transient_poll(&h, run, t3, 11, 2);
    CHECK_EQ_INT(eh_act_complete(&h, act, "r"), 0);
    CHECK_EQ_INT(eh_history(&h, run)->n_events, 10);
    eh_check_transient_state(&h, run, 11, true, 2);
    CHECK_EQ_INT(eh_complete(&h, t3, CMDS(eh_cmd_marker(&h, "m")), NULL), 0);
    pb_history *hist = EXPECT_HISTORY(&h, run, E(WORKFLOW_EXECUTION_STARTED),
                                      E(WORKFLOW_TASK_SCHEDULED), E(WORKFLOW_TASK_STARTED),
                                      E(WORKFLOW_TASK_COMPLETED), E(ACTIVITY_TASK_SCHEDULED),
                                      E(TIMER_STARTED), E(TIMER_FIRED), E(WORKFLOW_TASK_SCHEDULED),
                                      E(WORKFLOW_TASK_STARTED), E(WORKFLOW_TASK_FAILED),
                                      E(WORKFLOW_TASK_SCHEDULED), E(WORKFLOW_TASK_STARTED),
                                      E(WORKFLOW_TASK_COMPLETED), E(MARKER_RECORDED),
                                      E(ACTIVITY_TASK_STARTED), E(ACTIVITY_TASK_COMPLETED),
                                      E(WORKFLOW_TASK_SCHEDULED));
    CHECK_EQ_INT(EV(hist, 11)->workflow_task_scheduled_event_attributes->attempt, 2);
    CHECK_EQ_INT(EV(hist, 13)->workflow_task_completed_event_attributes->scheduled_event_id, 11);
    CHECK_EQ_INT(EV(hist, 13)->workflow_task_completed_event_attributes->started_event_id, 12);
    CHECK_EQ_INT(EV(hist, 14)->marker_recorded_event_attributes->workflow_task_completed_event_id, 13);
    CHECK_EQ_INT(EV(hist, 16)->activity_task_completed_event_attributes->started_event_id, 15);
    CHECK_EQ_INT(EV(hist, 17)->workflow_task_scheduled_event_attributes->attempt, 1);
    eh_wft *t4 = eh_take_wft(&h, EH_TQ, false);
    CHECK_EQ_INT(t4->resp.previous_started_event_id, 12);
    CHECK_EQ_INT(t4->resp.started_event_id, 18);
    eh_check_ids(t4->history, 1);
    CHECK_EQ_INT(t4->history->n_events, 18);
    eh_deinit(&h);
}

/* The Scheduled/Started a completed transient attempt writes are the events the worker was
 * shown (Temporal keeps WorkflowTaskStarted's history_size_bytes as it was at the poll, since the
 * SDK exposes it to workflow code and replays must see the same value). Only task_id may
 * differ: shown events have none. */
SG_TEST(engine_transient_completion_writes_the_events_the_worker_saw)
{
    eh h;
    eh_init(&h, NULL);
    const char *run = failed_first_task_run(&h, "wf-1", NULL);
    eh_advance(&h, 100);
    eh_wft *t2 = eh_take_wft(&h, EH_TQ, false);
    eh_check_transient_poll(&h, run, t2, 5, 2);
    eh_advance(&h, 100);
    CHECK_EQ_INT(eh_complete(&h, t2, NULL, 0, NULL), 0);
    pb_history *hist = EXPECT_HISTORY(&h, run, E(WORKFLOW_EXECUTION_STARTED),
                                      E(WORKFLOW_TASK_SCHEDULED), E(WORKFLOW_TASK_STARTED),
                                      E(WORKFLOW_TASK_FAILED), E(WORKFLOW_TASK_SCHEDULED),
                                      E(WORKFLOW_TASK_STARTED), E(WORKFLOW_TASK_COMPLETED));
    for (int id = 5; id <= 6; id++) {
        pb_event *shown = t2->history->events[id - 1], *stored = EV(hist, id);
        int64_t stored_task_id = stored->task_id;
        stored->task_id = shown->task_id;
        if (!eh_same_event(&h, shown, stored)) {
            if (id == 6)
                fprintf(stderr, "  WorkflowTaskStarted.history_size_bytes: shown %lld, stored %lld\n",
                        (long long)shown->workflow_task_started_event_attributes->history_size_bytes,
                        (long long)stored->workflow_task_started_event_attributes->history_size_bytes);
            fprintf(stderr, "  event %d as stored differs from the one the worker was shown\n", id);
            exit(1);
        }
        stored->task_id = stored_task_id;
    }
    eh_deinit(&h);
}

/* PROTOCOL.md 3.3 (Temporal's getStartToCloseTimeout): attempts 2 and 3 get the run's task
 * timeout; from attempt 4 on, default + exponential backoff (5 s base, <= 10 min). */
SG_TEST(engine_transient_attempt_4_start_to_close_grows)
{
    eh h;
    eh_init(&h, NULL);
    const char *run = failed_first_task_run(&h, "wf-1", NULL);
    for (int attempt = 2; attempt <= 3; attempt++) {
        eh_wft *t = eh_take_wft(&h, EH_TQ, false);
        eh_check_transient_poll(&h, run, t, 5, attempt);
        CHECK_EQ_INT(sg_dur_to_ms(t->history->events[4]->workflow_task_scheduled_event_attributes
                                   ->start_to_close_timeout),
                     10000);
        eh_advance(&h, 10000); /* times out: the next attempt */
        eh_check_transient_state(&h, run, 5, false, attempt + 1);
    }
    eh_wft *t4 = eh_take_wft(&h, EH_TQ, false);
    eh_check_transient_poll(&h, run, t4, 5, 4);
    int64_t s2c = sg_dur_to_ms(
        t4->history->events[4]->workflow_task_scheduled_event_attributes->start_to_close_timeout);
    if (s2c <= 10000 || s2c > 15000)
        fprintf(stderr, "  attempt 4's start-to-close is %lld ms, expected 10 s + ~5 s\n",
                (long long)s2c);
    CHECK(s2c > 10000 && s2c <= 15000);
    eh_advance(&h, 10000); /* still running */
    eh_check_transient_state(&h, run, 5, true, 4);
    eh_advance(&h, s2c - 10000);
    eh_check_transient_state(&h, run, 5, false, 5);
    eh_deinit(&h);
}

/* A started transient attempt fails with events buffered: the attempt leaves nothing, the
 * buffered events take its reserved ids and make the next task a first attempt. */
SG_TEST(engine_transient_failure_flushes_buffer_at_reserved_ids)
{
    eh h;
    eh_init(&h, NULL);
    eh_act *act;
    const char *run = act_and_timer_transient_run(&h, true, &act);
    eh_wft *t3 = eh_take_wft(&h, EH_TQ, false);
    eh_check_transient_poll(&h, run, t3, 11, 2);
    CHECK_EQ_INT(eh_act_complete(&h, act, "r"), 0);
    CHECK_EQ_INT(eh_fail_wft(&h, t3, WFT_CAUSE(WORKFLOW_WORKER_UNHANDLED_FAILURE), "x"), 0);
    pb_history *hist = EXPECT_HISTORY(&h, run, E(WORKFLOW_EXECUTION_STARTED),
                                      E(WORKFLOW_TASK_SCHEDULED), E(WORKFLOW_TASK_STARTED),
                                      E(WORKFLOW_TASK_COMPLETED), E(ACTIVITY_TASK_SCHEDULED),
                                      E(TIMER_STARTED), E(TIMER_FIRED), E(WORKFLOW_TASK_SCHEDULED),
                                      E(WORKFLOW_TASK_STARTED), E(WORKFLOW_TASK_FAILED),
                                      E(ACTIVITY_TASK_STARTED), E(ACTIVITY_TASK_COMPLETED),
                                      E(WORKFLOW_TASK_SCHEDULED));
    CHECK_EQ_INT(EV(hist, 12)->activity_task_completed_event_attributes->started_event_id, 11);
    CHECK_EQ_INT(EV(hist, 13)->workflow_task_scheduled_event_attributes->attempt, 1);
    CHECK(!eh_state(&h, run)->wft->is_transient);
    eh_wft *t4 = eh_take_wft(&h, EH_TQ, false);
    CHECK_EQ_INT(t4->resp.attempt, 1);
    CHECK_EQ_INT(t4->resp.started_event_id, 14);
    eh_check_ids(t4->history, 1);
    CHECK_EQ_INT(t4->history->n_events, 14);
    eh_deinit(&h);
}

/* UnhandledCommand at a transient attempt writes nothing for the attempt, as Temporal
 * (AddWorkflowTaskFailedEvent records no failure of a transient task): the buffered events take
 * the reserved ids and the next task is a written first attempt. */
SG_TEST(engine_transient_unhandled_command_writes_only_the_buffer)
{
    eh h;
    eh_init(&h, NULL);
    eh_act *act;
    const char *run = act_and_timer_transient_run(&h, true, &act);
    eh_wft *t3 = eh_take_wft(&h, EH_TQ, false);
    eh_check_transient_poll(&h, run, t3, 11, 2);
    CHECK_EQ_INT(eh_act_complete(&h, act, "r"), 0); /* buffered */
    sg_engine_err err;
    CHECK_EQ_INT(eh_complete(&h, t3, CMDS(eh_cmd_complete(&h, "done")), &err), SG_EINVAL);
    CHECK_EQ_STR(err.message, "UnhandledCommand");
    CHECK_EQ_INT(err.wft_failed_cause, WFT_CAUSE(UNHANDLED_COMMAND));
    pb_history *hist = EXPECT_HISTORY(&h, run, E(WORKFLOW_EXECUTION_STARTED),
                                      E(WORKFLOW_TASK_SCHEDULED), E(WORKFLOW_TASK_STARTED),
                                      E(WORKFLOW_TASK_COMPLETED), E(ACTIVITY_TASK_SCHEDULED),
                                      E(TIMER_STARTED), E(TIMER_FIRED), E(WORKFLOW_TASK_SCHEDULED),
                                      E(WORKFLOW_TASK_STARTED), E(WORKFLOW_TASK_FAILED),
                                      E(ACTIVITY_TASK_STARTED), E(ACTIVITY_TASK_COMPLETED),
                                      E(WORKFLOW_TASK_SCHEDULED));
    CHECK_EQ_INT(EV(hist, 12)->activity_task_completed_event_attributes->started_event_id, 11);
    CHECK_EQ_INT(EV(hist, 13)->workflow_task_scheduled_event_attributes->attempt, 1);
    ms_t *ms = eh_state(&h, run);
    CHECK_EQ_INT(ms->status, ST_RUNNING);
    CHECK(!ms->wft->is_transient);
    CHECK_EQ_INT(ms->n_activities, 0);
    eh_wft *t4 = eh_take_wft(&h, EH_TQ, false);
    CHECK_EQ_INT(t4->resp.attempt, 1);
    CHECK_EQ_INT(t4->resp.started_event_id, 14);
    CHECK_EQ_INT(t4->resp.previous_started_event_id, 3);
    eh_check_ids(t4->history, 1);
    CHECK_EQ_INT(t4->history->n_events, 14);
    CHECK_EQ_INT(eh_complete(&h, t4, CMDS(eh_cmd_complete(&h, "done")), NULL), 0);
    CHECK_EQ_INT(eh_state(&h, run)->status, ST_COMPLETED);
    hist = eh_history(&h, run);
    CHECK_EQ_INT(hist->n_events, 16);
    CHECK_EQ_INT(EV(hist, 16)->event_type, E(WORKFLOW_EXECUTION_COMPLETED));
    eh_deinit(&h);
}

/* The run times out while a transient attempt is started: no WorkflowTaskFailed (there is no
 * stored task to close), the close event takes the reserved id. Unstarted: the same. */
SG_TEST(engine_transient_run_timeout_writes_only_the_close_event)
{
    eh h;
    eh_init(&h, NULL);
    eh_start_opts o = { .run_timeout_ms = 10000, .task_timeout_ms = 5000 };
    const char *run = failed_first_task_run(&h, "wf-1", &o);
    eh_advance(&h, 6000);
    eh_wft *t2 = eh_take_wft(&h, EH_TQ, false); /* its own timeout would be at +11000 */
    eh_check_transient_poll(&h, run, t2, 5, 2);
    eh_advance(&h, 4000);
    pb_history *hist = EXPECT_HISTORY(&h, run, E(WORKFLOW_EXECUTION_STARTED),
                                      E(WORKFLOW_TASK_SCHEDULED), E(WORKFLOW_TASK_STARTED),
                                      E(WORKFLOW_TASK_FAILED), E(WORKFLOW_EXECUTION_TIMED_OUT));
    CHECK_EQ_INT(EV(hist, 4)->workflow_task_failed_event_attributes->cause,
                 WFT_CAUSE(WORKFLOW_WORKER_UNHANDLED_FAILURE));
    CHECK_EQ_INT(EV(hist, 5)->workflow_execution_timed_out_event_attributes->retry_state,
                 RETRY_STATE(RETRY_POLICY_NOT_SET));
    ms_t *ms = eh_state(&h, run);
    CHECK_EQ_INT(ms->status, ST_TIMED_OUT);
    CHECK_EQ_INT(ms->close_event_id, 5);
    CHECK_EQ_INT(ms->next_event_id, 6);
    CHECK(!ms->wft || (!ms->wft->scheduled_event_id && !ms->wft->is_transient));
    CHECK_EQ_INT(eh_complete(&h, t2, CMDS(eh_cmd_complete(&h, NULL)), NULL), SG_ENOTFOUND);
    CHECK(no_wft(&h, EH_TQ, false));

    const char *run2 = failed_first_task_run(&h, "wf-2", &o);
    eh_advance(&h, 10000);
    EXPECT_HISTORY(&h, run2, E(WORKFLOW_EXECUTION_STARTED), E(WORKFLOW_TASK_SCHEDULED),
                   E(WORKFLOW_TASK_STARTED), E(WORKFLOW_TASK_FAILED),
                   E(WORKFLOW_EXECUTION_TIMED_OUT));
    CHECK_EQ_INT(eh_state(&h, run2)->close_event_id, 5);
    eh_wft t;
    CHECK(!eh_poll_wft(&h, EH_TQ, false, &t));
    CHECK_EQ_INT(t.stale, 1);
    eh_deinit(&h);
}
