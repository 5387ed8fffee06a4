/* SPDX-License-Identifier: Apache-2.0 */
/* test_engine_activity.c: activities: scheduling and its timeout rules, results, retries,
 * timeouts, cancellation. */
#include "engine_tests.h"

/* ==== commands ==== */

SG_TEST(engine_cmd_schedule_activity_normalizes_timeouts)
{
    eh h;
    eh_init(&h, NULL);
    const int64_t hour = 3600000;
    const char *run = open_run(&h, "wf-1", &(eh_start_opts){ .run_timeout_ms = hour },
                               CMDS(eh_cmd_activity(&h, "a1", 0, 0, 10000, 20000, NULL),
                                    eh_cmd_activity(&h, "a2", 30000, 0, 0, 60000, NULL),
                                    eh_cmd_activity(&h, "a3", 2 * hour, 0, 0, 0,
                                                    eh_retry(&h, 2000, 3.0, 0, 5))));
    pb_history *hist = EXPECT_HISTORY(&h, run, E(WORKFLOW_EXECUTION_STARTED),
                                      E(WORKFLOW_TASK_SCHEDULED), E(WORKFLOW_TASK_STARTED),
                                      E(WORKFLOW_TASK_COMPLETED), E(ACTIVITY_TASK_SCHEDULED),
                                      E(ACTIVITY_TASK_SCHEDULED), E(ACTIVITY_TASK_SCHEDULED));
    /* {schedule_to_close, schedule_to_start, start_to_close, heartbeat} */
    static const int64_t want[3][4] = {
        { 3600000, 3600000, 10000, 10000 }, /* from the run timeout; heartbeat <= start_to_close */
        { 30000, 30000, 30000, 30000 },     /* from schedule_to_close */
        { 3600000, 3600000, 3600000, 0 },   /* capped by the run timeout */
    };
    for (int i = 0; i < 3; i++) {
        Temporal__Api__History__V1__ActivityTaskScheduledEventAttributes *s =
            EV(hist, 5 + i)->activity_task_scheduled_event_attributes;
        CHECK(s->schedule_to_close_timeout && s->schedule_to_start_timeout &&
              s->start_to_close_timeout && s->heartbeat_timeout);
        CHECK_EQ_INT(sg_dur_to_ms(s->schedule_to_close_timeout), want[i][0]);
        CHECK_EQ_INT(sg_dur_to_ms(s->schedule_to_start_timeout), want[i][1]);
        CHECK_EQ_INT(sg_dur_to_ms(s->start_to_close_timeout), want[i][2]);
        CHECK_EQ_INT(sg_dur_to_ms(s->heartbeat_timeout), want[i][3]);
        CHECK_EQ_INT(s->workflow_task_completed_event_id, 4);
        CHECK_EQ_STR(s->activity_type->name, "act-type");
        CHECK_EQ_STR(s->task_queue->name, EH_TQ);
        CHECK(s->retry_policy != NULL);
    }
    CHECK_EQ_STR(EV(hist, 5)->activity_task_scheduled_event_attributes->activity_id, "a1");
    /* Retry defaults: 1 s, 2.0, 100 x initial, unlimited. */
    Temporal__Api__Common__V1__RetryPolicy *rp =
        EV(hist, 5)->activity_task_scheduled_event_attributes->retry_policy;
    CHECK_EQ_INT(sg_dur_to_ms(rp->initial_interval), 1000);
    CHECK(rp->backoff_coefficient == 2.0);
    CHECK_EQ_INT(sg_dur_to_ms(rp->maximum_interval), 100000);
    CHECK_EQ_INT(rp->maximum_attempts, 0);
    rp = EV(hist, 7)->activity_task_scheduled_event_attributes->retry_policy;
    CHECK_EQ_INT(sg_dur_to_ms(rp->initial_interval), 2000);
    CHECK(rp->backoff_coefficient == 3.0);
    CHECK_EQ_INT(sg_dur_to_ms(rp->maximum_interval), 200000);
    CHECK_EQ_INT(rp->maximum_attempts, 5);

    /* What a poller gets for a1. */
    eh_act *t = eh_take_act(&h, EH_TQ);
    Temporal__Api__Workflowservice__V1__PollActivityTaskQueueResponse *r = &t->resp;
    CHECK_EQ_STR(r->activity_id, "a1");
    CHECK_EQ_STR(r->activity_type->name, "act-type");
    CHECK_EQ_STR(r->workflow_execution->run_id, run);
    CHECK_EQ_STR(r->workflow_type->name, "wf-type");
    CHECK_EQ_STR(r->workflow_namespace, EH_NS);
    CHECK_EQ_STR(eh_payload_str(&h, r->input), "input");
    CHECK_EQ_INT(r->attempt, 1);
    CHECK(r->heartbeat_details == NULL);
    CHECK_EQ_INT(sg_ts_to_ms(r->scheduled_time), EH_T0_MS);
    CHECK_EQ_INT(sg_ts_to_ms(r->current_attempt_scheduled_time), EH_T0_MS);
    CHECK_EQ_INT(sg_dur_to_ms(r->schedule_to_close_timeout), hour);
    CHECK_EQ_INT(sg_dur_to_ms(r->start_to_close_timeout), 10000);
    CHECK_EQ_INT(sg_dur_to_ms(r->heartbeat_timeout), 10000);
    CHECK(r->retry_policy != NULL);

    /* No run timeout and only start_to_close: schedule_to_close and schedule_to_start are
     * written as zero durations (unlimited), not left out. */
    const char *run2 = open_run(&h, "wf-2", NULL, CMDS(eh_cmd_activity(&h, "b1", 0, 0, 5000, 0, NULL)));
    hist = eh_history(&h, run2);
    Temporal__Api__History__V1__ActivityTaskScheduledEventAttributes *s =
        EV(hist, 5)->activity_task_scheduled_event_attributes;
    CHECK(s->schedule_to_close_timeout != NULL);
    CHECK_EQ_INT(sg_dur_to_ms(s->schedule_to_close_timeout), 0);
    CHECK(s->schedule_to_start_timeout != NULL);
    CHECK_EQ_INT(sg_dur_to_ms(s->schedule_to_start_timeout), 0);
    CHECK_EQ_INT(sg_dur_to_ms(s->start_to_close_timeout), 5000);
    eh_deinit(&h);
}

SG_TEST(engine_cmd_activity_without_timeouts_undoes_the_completion)
{
    eh h;
    eh_init(&h, NULL);
    const char *run = eh_start_ok(&h, "wf-1", NULL);
    eh_wft *t1 = eh_take_wft(&h, EH_TQ, false);
    sg_engine_err err;
    CHECK_EQ_INT(eh_complete(&h, t1,
                             CMDS(eh_cmd_activity(&h, "a1", 0, 0, 10000, 0, NULL),
                                  eh_cmd_timer(&h, "t1", 1000),
                                  eh_cmd_activity(&h, "a2", 0, 0, 0, 0, NULL)),
                             &err),
                 SG_EINVAL);
    CHECK_EQ_INT(h.last_flush_rc, 0);
    CHECK_EQ_INT(err.wft_failed_cause, WFT_CAUSE(BAD_SCHEDULE_ACTIVITY_ATTRIBUTES));
    CHECK(err.message && strstr(err.message, "StartToClose"));
    pb_history *hist = EXPECT_HISTORY(&h, run, E(WORKFLOW_EXECUTION_STARTED),
                                      E(WORKFLOW_TASK_SCHEDULED), E(WORKFLOW_TASK_STARTED),
                                      E(WORKFLOW_TASK_FAILED));
    Temporal__Api__History__V1__WorkflowTaskFailedEventAttributes *f =
        EV(hist, 4)->workflow_task_failed_event_attributes;
    CHECK_EQ_INT(f->cause, WFT_CAUSE(BAD_SCHEDULE_ACTIVITY_ATTRIBUTES));
    CHECK_EQ_INT(f->scheduled_event_id, 2);
    CHECK_EQ_INT(f->started_event_id, 3);
    CHECK(f->failure && strstr(f->failure->message, "StartToClose"));
    eh_check_transient_state(&h, run, 5, false, 2);
    ms_t *ms = eh_state(&h, run);
    CHECK_EQ_INT(ms->n_activities, 0);
    CHECK_EQ_INT(ms->n_timers, 0);
    CHECK(no_act(&h));       /* a1's dispatch was dropped with it */
    eh_advance(&h, 1000);    /* and t1 does not fire */
    CHECK_EQ_INT(eh_history(&h, run)->n_events, 4);
    eh_check_transient_state(&h, run, 5, false, 2);
    /* The retry is the transient attempt 2 at the reserved ids. */
    eh_wft *t2 = eh_take_wft(&h, EH_TQ, false);
    EXPECT_POLL_HISTORY(t2, 1, E(WORKFLOW_EXECUTION_STARTED), E(WORKFLOW_TASK_SCHEDULED),
                        E(WORKFLOW_TASK_STARTED), E(WORKFLOW_TASK_FAILED),
                        E(WORKFLOW_TASK_SCHEDULED), E(WORKFLOW_TASK_STARTED));
    eh_check_transient_poll(&h, run, t2, 5, 2);
    eh_deinit(&h);
}

SG_TEST(engine_cmd_duplicate_activity_id)
{
    eh h;
    eh_init(&h, NULL);
    const char *run = eh_start_ok(&h, "wf-1", NULL);
    eh_wft *t1 = eh_take_wft(&h, EH_TQ, false);
    sg_engine_err err;
    CHECK_EQ_INT(eh_complete(&h, t1,
                             CMDS(eh_cmd_activity(&h, "a1", 0, 0, 10000, 0, NULL),
                                  eh_cmd_activity(&h, "a1", 0, 0, 10000, 0, NULL)),
                             &err),
                 SG_EINVAL);
    CHECK_EQ_INT(err.wft_failed_cause, WFT_CAUSE(SCHEDULE_ACTIVITY_DUPLICATE_ID));
    pb_history *hist = EXPECT_HISTORY(&h, run, E(WORKFLOW_EXECUTION_STARTED),
                                      E(WORKFLOW_TASK_SCHEDULED), E(WORKFLOW_TASK_STARTED),
                                      E(WORKFLOW_TASK_FAILED));
    CHECK_EQ_INT(EV(hist, 4)->workflow_task_failed_event_attributes->cause,
                 WFT_CAUSE(SCHEDULE_ACTIVITY_DUPLICATE_ID));
    eh_check_transient_state(&h, run, 5, false, 2);
    /* A pending activity's id is taken too. */
    eh_wft *t2 = eh_take_wft(&h, EH_TQ, false);
    eh_check_transient_poll(&h, run, t2, 5, 2);
    CHECK_EQ_INT(eh_complete(&h, t2,
                             CMDS(eh_cmd_activity(&h, "a1", 0, 0, 10000, 0, NULL),
                                  eh_cmd_timer(&h, "t1", 1000)),
                             NULL),
                 0);
    eh_advance(&h, 1000);
    eh_wft *t3 = eh_take_wft(&h, EH_TQ, false);
    CHECK_EQ_INT(t3->resp.attempt, 1);
    CHECK_EQ_INT(t3->resp.started_event_id, 12);
    CHECK_EQ_INT(eh_complete(&h, t3, CMDS(eh_cmd_activity(&h, "a1", 0, 0, 10000, 0, NULL)), &err),
                 SG_EINVAL);
    CHECK_EQ_INT(err.wft_failed_cause, WFT_CAUSE(SCHEDULE_ACTIVITY_DUPLICATE_ID));
    hist = EXPECT_HISTORY(&h, run, E(WORKFLOW_EXECUTION_STARTED), E(WORKFLOW_TASK_SCHEDULED),
                          E(WORKFLOW_TASK_STARTED), E(WORKFLOW_TASK_FAILED),
                          E(WORKFLOW_TASK_SCHEDULED), E(WORKFLOW_TASK_STARTED),
                          E(WORKFLOW_TASK_COMPLETED), E(ACTIVITY_TASK_SCHEDULED), E(TIMER_STARTED),
                          E(TIMER_FIRED), E(WORKFLOW_TASK_SCHEDULED), E(WORKFLOW_TASK_STARTED),
                          E(WORKFLOW_TASK_FAILED));
    /* The transient attempt 2 that succeeded was written at its reserved ids 5-6. */
    CHECK_EQ_INT(EV(hist, 5)->workflow_task_scheduled_event_attributes->attempt, 2);
    CHECK_EQ_INT(EV(hist, 7)->workflow_task_completed_event_attributes->scheduled_event_id, 5);
    CHECK_EQ_INT(EV(hist, 7)->workflow_task_completed_event_attributes->started_event_id, 6);
    CHECK_EQ_INT(EV(hist, 8)->activity_task_scheduled_event_attributes->workflow_task_completed_event_id, 7);
    CHECK_EQ_INT(EV(hist, 11)->workflow_task_scheduled_event_attributes->attempt, 1);
    CHECK_EQ_INT(EV(hist, 13)->workflow_task_failed_event_attributes->cause,
                 WFT_CAUSE(SCHEDULE_ACTIVITY_DUPLICATE_ID));
    CHECK_EQ_INT(EV(hist, 13)->workflow_task_failed_event_attributes->scheduled_event_id, 11);
    CHECK_EQ_INT(EV(hist, 13)->workflow_task_failed_event_attributes->started_event_id, 12);
    eh_check_transient_state(&h, run, 14, false, 2);
    eh_wft *t4 = eh_take_wft(&h, EH_TQ, false);
    eh_check_transient_poll(&h, run, t4, 14, 2);
    CHECK_EQ_INT(t4->resp.previous_started_event_id, 6);
    eh_deinit(&h);
}

/* ==== activities ==== */

SG_TEST(engine_act_complete_writes_started_and_completed)
{
    eh h;
    eh_init(&h, NULL);
    const char *run = open_run(&h, "wf-1", NULL, CMDS(eh_cmd_activity(&h, "a1", 0, 0, 10000, 0, NULL)));
    eh_act *t = eh_take_act(&h, EH_TQ);
    CHECK_EQ_INT(t->resp.attempt, 1);
    CHECK_EQ_INT(eh_history(&h, run)->n_events, 5); /* starting an attempt writes nothing */
    eh_advance(&h, 500);
    CHECK_EQ_INT(eh_act_complete(&h, t, "result-1"), 0);
    pb_history *hist = EXPECT_HISTORY(&h, run, E(WORKFLOW_EXECUTION_STARTED),
                                      E(WORKFLOW_TASK_SCHEDULED), E(WORKFLOW_TASK_STARTED),
                                      E(WORKFLOW_TASK_COMPLETED), E(ACTIVITY_TASK_SCHEDULED),
                                      E(ACTIVITY_TASK_STARTED), E(ACTIVITY_TASK_COMPLETED),
                                      E(WORKFLOW_TASK_SCHEDULED));
    Temporal__Api__History__V1__ActivityTaskStartedEventAttributes *st =
        EV(hist, 6)->activity_task_started_event_attributes;
    CHECK_EQ_INT(st->scheduled_event_id, 5);
    CHECK_EQ_INT(st->attempt, 1);
    CHECK_EQ_STR(st->identity, "worker-1");
    CHECK(st->last_failure == NULL);
    CHECK_EQ_INT(sg_ts_to_ms(EV(hist, 6)->event_time), EH_T0_MS); /* when it was polled */
    Temporal__Api__History__V1__ActivityTaskCompletedEventAttributes *c =
        EV(hist, 7)->activity_task_completed_event_attributes;
    CHECK_EQ_INT(c->scheduled_event_id, 5);
    CHECK_EQ_INT(c->started_event_id, 6);
    CHECK_EQ_STR(eh_payload_str(&h, c->result), "result-1");
    CHECK_EQ_INT(sg_ts_to_ms(EV(hist, 7)->event_time), EH_T0_MS + 500);
    CHECK_EQ_INT(eh_act_complete(&h, t, "again"), SG_ENOTFOUND);
    eh_wft *t2 = eh_take_wft(&h, EH_TQ, false);
    CHECK_EQ_INT(t2->resp.previous_started_event_id, 3);
    CHECK_EQ_INT(t2->resp.started_event_id, 9);
    CHECK_EQ_INT(eh_state(&h, run)->n_activities, 0);
    eh_deinit(&h);
}

SG_TEST(engine_act_retryable_failures_leave_no_events)
{
    eh h;
    eh_init(&h, NULL);
    const char *run = open_run(&h, "wf-1", NULL, CMDS(eh_cmd_activity(&h, "a1", 0, 0, 10000, 0, NULL)));
    eh_act *t1 = eh_take_act(&h, EH_TQ);
    CHECK_EQ_INT(eh_act_fail(&h, t1, "boom-1", false, NULL), 0);
    CHECK_EQ_INT(eh_history(&h, run)->n_events, 5);
    CHECK(no_act(&h));       /* backing off 1 s */
    eh_advance(&h, 999);
    CHECK(no_act(&h));
    eh_advance(&h, 1);
    eh_act *t2 = eh_take_act(&h, EH_TQ);
    CHECK_EQ_INT(t2->resp.attempt, 2);
    CHECK_EQ_INT(sg_ts_to_ms(t2->resp.scheduled_time), EH_T0_MS);
    CHECK_EQ_INT(sg_ts_to_ms(t2->resp.current_attempt_scheduled_time), EH_T0_MS + 1000);
    CHECK_EQ_INT(eh_act_fail(&h, t2, "boom-2", false, NULL), 0);
    eh_advance(&h, 1999);    /* then 2 s */
    CHECK(no_act(&h));
    eh_advance(&h, 1);
    eh_act *t3 = eh_take_act(&h, EH_TQ);
    CHECK_EQ_INT(t3->resp.attempt, 3);
    CHECK_EQ_INT(eh_history(&h, run)->n_events, 5);
    CHECK_EQ_INT(eh_act_complete(&h, t3, "ok"), 0);
    pb_history *hist = EXPECT_HISTORY(&h, run, E(WORKFLOW_EXECUTION_STARTED),
                                      E(WORKFLOW_TASK_SCHEDULED), E(WORKFLOW_TASK_STARTED),
                                      E(WORKFLOW_TASK_COMPLETED), E(ACTIVITY_TASK_SCHEDULED),
                                      E(ACTIVITY_TASK_STARTED), E(ACTIVITY_TASK_COMPLETED),
                                      E(WORKFLOW_TASK_SCHEDULED));
    Temporal__Api__History__V1__ActivityTaskStartedEventAttributes *st =
        EV(hist, 6)->activity_task_started_event_attributes;
    CHECK_EQ_INT(st->attempt, 3);
    CHECK(st->last_failure != NULL);
    CHECK_EQ_STR(st->last_failure->message, "boom-2");
    CHECK_EQ_INT(EV(hist, 7)->activity_task_completed_event_attributes->started_event_id, 6);
    eh_deinit(&h);
}

SG_TEST(engine_act_non_retryable_failure)
{
    eh h;
    eh_init(&h, NULL);
    const char *run = open_run(&h, "wf-1", NULL, CMDS(eh_cmd_activity(&h, "a1", 0, 0, 10000, 0, NULL)));
    eh_act *t = eh_take_act(&h, EH_TQ);
    CHECK_EQ_INT(eh_act_fail(&h, t, "fatal", true, NULL), 0);
    pb_history *hist = EXPECT_HISTORY(&h, run, E(WORKFLOW_EXECUTION_STARTED),
                                      E(WORKFLOW_TASK_SCHEDULED), E(WORKFLOW_TASK_STARTED),
                                      E(WORKFLOW_TASK_COMPLETED), E(ACTIVITY_TASK_SCHEDULED),
                                      E(ACTIVITY_TASK_STARTED), E(ACTIVITY_TASK_FAILED),
                                      E(WORKFLOW_TASK_SCHEDULED));
    Temporal__Api__History__V1__ActivityTaskFailedEventAttributes *f =
        EV(hist, 7)->activity_task_failed_event_attributes;
    CHECK_EQ_INT(f->scheduled_event_id, 5);
    CHECK_EQ_INT(f->started_event_id, 6);
    CHECK_EQ_INT(f->retry_state, RETRY_STATE(NON_RETRYABLE_FAILURE));
    CHECK_EQ_STR(f->failure->message, "fatal");
    CHECK_EQ_STR(f->identity, "worker-1");
    CHECK_EQ_INT(EV(hist, 6)->activity_task_started_event_attributes->attempt, 1);
    eh_deinit(&h);
}

SG_TEST(engine_act_maximum_attempts_reached)
{
    eh h;
    eh_init(&h, NULL);
    const char *run = open_run(&h, "wf-1", NULL,
                               CMDS(eh_cmd_activity(&h, "a1", 0, 0, 10000, 0, eh_retry(&h, 0, 0, 0, 2))));
    eh_act *t1 = eh_take_act(&h, EH_TQ);
    CHECK_EQ_INT(eh_act_fail(&h, t1, "boom-1", false, NULL), 0);
    eh_advance(&h, 1000);
    eh_act *t2 = eh_take_act(&h, EH_TQ);
    CHECK_EQ_INT(t2->resp.attempt, 2);
    CHECK_EQ_INT(eh_act_fail(&h, t2, "boom-2", false, NULL), 0);
    pb_history *hist = EXPECT_HISTORY(&h, run, E(WORKFLOW_EXECUTION_STARTED),
                                      E(WORKFLOW_TASK_SCHEDULED), E(WORKFLOW_TASK_STARTED),
                                      E(WORKFLOW_TASK_COMPLETED), E(ACTIVITY_TASK_SCHEDULED),
                                      E(ACTIVITY_TASK_STARTED), E(ACTIVITY_TASK_FAILED),
                                      E(WORKFLOW_TASK_SCHEDULED));
    CHECK_EQ_INT(EV(hist, 6)->activity_task_started_event_attributes->attempt, 2);
    CHECK_EQ_STR(EV(hist, 6)->activity_task_started_event_attributes->last_failure->message,
                 "boom-1");
    Temporal__Api__History__V1__ActivityTaskFailedEventAttributes *f =
        EV(hist, 7)->activity_task_failed_event_attributes;
    CHECK_EQ_INT(f->retry_state, RETRY_STATE(MAXIMUM_ATTEMPTS_REACHED));
    CHECK_EQ_STR(f->failure->message, "boom-2");
    CHECK_EQ_INT(f->started_event_id, 6);
    CHECK(no_act(&h));
    eh_deinit(&h);
}

SG_TEST(engine_act_start_to_close_timeout_retried_then_timed_out)
{
    eh h;
    eh_init(&h, NULL);
    const char *run = open_run(&h, "wf-1", NULL,
                               CMDS(eh_cmd_activity(&h, "a1", 0, 0, 5000, 0, eh_retry(&h, 0, 0, 0, 2))));
    eh_act *t1 = eh_take_act(&h, EH_TQ);
    eh_advance(&h, 5000);   /* attempt 1 times out: retried, no event */
    CHECK_EQ_INT(eh_history(&h, run)->n_events, 5);
    CHECK(no_act(&h));
    CHECK_EQ_INT(eh_act_complete(&h, t1, "late"), SG_ENOTFOUND);
    eh_advance(&h, 1000);
    eh_act *t2 = eh_take_act(&h, EH_TQ);
    CHECK_EQ_INT(t2->resp.attempt, 2);
    eh_advance(&h, 5000);
    pb_history *hist = EXPECT_HISTORY(&h, run, E(WORKFLOW_EXECUTION_STARTED),
                                      E(WORKFLOW_TASK_SCHEDULED), E(WORKFLOW_TASK_STARTED),
                                      E(WORKFLOW_TASK_COMPLETED), E(ACTIVITY_TASK_SCHEDULED),
                                      E(ACTIVITY_TASK_STARTED), E(ACTIVITY_TASK_TIMED_OUT),
                                      E(WORKFLOW_TASK_SCHEDULED));
    CHECK_EQ_INT(EV(hist, 6)->activity_task_started_event_attributes->attempt, 2);
    Temporal__Api__History__V1__ActivityTaskTimedOutEventAttributes *to =
        EV(hist, 7)->activity_task_timed_out_event_attributes;
    CHECK_EQ_INT(to->scheduled_event_id, 5);
    CHECK_EQ_INT(to->started_event_id, 6);
    CHECK_EQ_INT(to->retry_state, RETRY_STATE(MAXIMUM_ATTEMPTS_REACHED));
    CHECK(to->failure && to->failure->timeout_failure_info);
    CHECK_EQ_INT(to->failure->timeout_failure_info->timeout_type, TIMEOUT_TYPE(START_TO_CLOSE));
    /* cause: the previous attempt's failure */
    CHECK(to->failure->cause && to->failure->cause->timeout_failure_info);
    CHECK_EQ_INT(to->failure->cause->timeout_failure_info->timeout_type, TIMEOUT_TYPE(START_TO_CLOSE));
    CHECK_EQ_INT(eh_act_complete(&h, t2, "late"), SG_ENOTFOUND);
    eh_deinit(&h);
}

SG_TEST(engine_act_heartbeat_timeout_carries_details_to_next_attempt)
{
    eh h;
    eh_init(&h, NULL);
    const char *run = open_run(&h, "wf-1", NULL,
                               CMDS(eh_cmd_activity(&h, "a1", 0, 0, 60000, 2000, NULL)));
    eh_act *t1 = eh_take_act(&h, EH_TQ);
    eh_advance(&h, 1000);
    bool cancel = true;
    CHECK_EQ_INT(eh_act_heartbeat(&h, t1, "progress-1", &cancel), 0);
    CHECK(!cancel);
    eh_advance(&h, 1999);   /* the heartbeat pushed the deadline to +3000 */
    CHECK_EQ_INT(eh_act_heartbeat(&h, t1, NULL, &cancel), 0);
    eh_advance(&h, 1999);
    eh_advance(&h, 1);      /* +5000: heartbeat timeout, retry in 1 s */
    CHECK_EQ_INT(eh_act_heartbeat(&h, t1, NULL, &cancel), SG_ENOTFOUND);
    CHECK_EQ_INT(eh_history(&h, run)->n_events, 5);
    eh_advance(&h, 1000);
    eh_act *t2 = eh_take_act(&h, EH_TQ);
    CHECK_EQ_INT(t2->resp.attempt, 2);
    CHECK_EQ_STR(eh_payload_str(&h, t2->resp.heartbeat_details), "progress-1");
    CHECK_EQ_INT(eh_act_complete(&h, t2, "ok"), 0);
    pb_history *hist = EXPECT_HISTORY(&h, run, E(WORKFLOW_EXECUTION_STARTED),
                                      E(WORKFLOW_TASK_SCHEDULED), E(WORKFLOW_TASK_STARTED),
                                      E(WORKFLOW_TASK_COMPLETED), E(ACTIVITY_TASK_SCHEDULED),
                                      E(ACTIVITY_TASK_STARTED), E(ACTIVITY_TASK_COMPLETED),
                                      E(WORKFLOW_TASK_SCHEDULED));
    pb_failure *lf = EV(hist, 6)->activity_task_started_event_attributes->last_failure;
    CHECK(lf && lf->timeout_failure_info);
    CHECK_EQ_INT(lf->timeout_failure_info->timeout_type, TIMEOUT_TYPE(HEARTBEAT));
    eh_deinit(&h);
}

SG_TEST(engine_act_schedule_to_close_timeout)
{
    eh h;
    eh_init(&h, NULL);
    const char *run = open_run(&h, "wf-1", NULL,
                               CMDS(eh_cmd_activity(&h, "a1", 5000, 0, 3000, 0, NULL)));
    eh_take_act(&h, EH_TQ);
    eh_advance(&h, 3000);   /* start-to-close: retry at +4000, before schedule-to-close */
    eh_advance(&h, 1000);
    eh_act *t2 = eh_take_act(&h, EH_TQ);
    CHECK_EQ_INT(t2->resp.attempt, 2);
    CHECK_EQ_INT(eh_history(&h, run)->n_events, 5);
    eh_advance(&h, 1000);   /* +5000 */
    pb_history *hist = EXPECT_HISTORY(&h, run, E(WORKFLOW_EXECUTION_STARTED),
                                      E(WORKFLOW_TASK_SCHEDULED), E(WORKFLOW_TASK_STARTED),
                                      E(WORKFLOW_TASK_COMPLETED), E(ACTIVITY_TASK_SCHEDULED),
                                      E(ACTIVITY_TASK_STARTED), E(ACTIVITY_TASK_TIMED_OUT),
                                      E(WORKFLOW_TASK_SCHEDULED));
    CHECK_EQ_INT(EV(hist, 6)->activity_task_started_event_attributes->attempt, 2);
    Temporal__Api__History__V1__ActivityTaskTimedOutEventAttributes *to =
        EV(hist, 7)->activity_task_timed_out_event_attributes;
    CHECK_EQ_INT(to->retry_state, RETRY_STATE(TIMEOUT));
    CHECK_EQ_INT(to->started_event_id, 6);
    CHECK_EQ_INT(to->failure->timeout_failure_info->timeout_type, TIMEOUT_TYPE(SCHEDULE_TO_CLOSE));
    eh_deinit(&h);
}

SG_TEST(engine_act_retry_past_schedule_to_close_is_timeout)
{
    eh h;
    eh_init(&h, NULL);
    const char *run = open_run(&h, "wf-1", NULL,
                               CMDS(eh_cmd_activity(&h, "a1", 4000, 0, 3000, 0, NULL)));
    eh_take_act(&h, EH_TQ);
    eh_advance(&h, 3000);   /* the retry would start at +4000 = schedule-to-close */
    pb_history *hist = EXPECT_HISTORY(&h, run, E(WORKFLOW_EXECUTION_STARTED),
                                      E(WORKFLOW_TASK_SCHEDULED), E(WORKFLOW_TASK_STARTED),
                                      E(WORKFLOW_TASK_COMPLETED), E(ACTIVITY_TASK_SCHEDULED),
                                      E(ACTIVITY_TASK_STARTED), E(ACTIVITY_TASK_TIMED_OUT),
                                      E(WORKFLOW_TASK_SCHEDULED));
    Temporal__Api__History__V1__ActivityTaskTimedOutEventAttributes *to =
        EV(hist, 7)->activity_task_timed_out_event_attributes;
    CHECK_EQ_INT(to->retry_state, RETRY_STATE(TIMEOUT));
    CHECK_EQ_INT(to->failure->timeout_failure_info->timeout_type, TIMEOUT_TYPE(SCHEDULE_TO_CLOSE));
    eh_deinit(&h);
}

SG_TEST(engine_act_schedule_to_start_timeout)
{
    eh h;
    eh_init(&h, NULL);
    const char *run = open_run(&h, "wf-1", NULL,
                               CMDS(eh_cmd_activity(&h, "a1", 0, 2000, 10000, 0, NULL)));
    eh_advance(&h, 1999);
    CHECK_EQ_INT(eh_history(&h, run)->n_events, 5);
    eh_advance(&h, 1);
    pb_history *hist = EXPECT_HISTORY(&h, run, E(WORKFLOW_EXECUTION_STARTED),
                                      E(WORKFLOW_TASK_SCHEDULED), E(WORKFLOW_TASK_STARTED),
                                      E(WORKFLOW_TASK_COMPLETED), E(ACTIVITY_TASK_SCHEDULED),
                                      E(ACTIVITY_TASK_TIMED_OUT), E(WORKFLOW_TASK_SCHEDULED));
    Temporal__Api__History__V1__ActivityTaskTimedOutEventAttributes *to =
        EV(hist, 6)->activity_task_timed_out_event_attributes;
    CHECK_EQ_INT(to->scheduled_event_id, 5);
    CHECK_EQ_INT(to->started_event_id, 0);
    CHECK_EQ_INT(to->retry_state, RETRY_STATE(NON_RETRYABLE_FAILURE));
    CHECK_EQ_INT(to->failure->timeout_failure_info->timeout_type, TIMEOUT_TYPE(SCHEDULE_TO_START));
    eh_act t;
    CHECK(!eh_poll_act(&h, EH_TQ, &t));
    CHECK_EQ_INT(t.stale, 1);
    eh_deinit(&h);
}

/* Only schedule-to-close set and no worker: schedule-to-start defaults to it, both fall due at
 * the same instant, and Temporal records the one it orders first (start-to-close,
 * schedule-to-start, schedule-to-close, heartbeat): SCHEDULE_TO_START. */
SG_TEST(engine_act_same_instant_timeouts_record_schedule_to_start)
{
    eh h;
    eh_init(&h, NULL);
    const char *run = open_run(&h, "wf-1", NULL,
                               CMDS(eh_cmd_activity(&h, "a1", 3000, 0, 0, 0, NULL)));
    eh_advance(&h, 2999);
    CHECK_EQ_INT(eh_history(&h, run)->n_events, 5);
    eh_advance(&h, 1);
    pb_history *hist = EXPECT_HISTORY(&h, run, E(WORKFLOW_EXECUTION_STARTED),
                                      E(WORKFLOW_TASK_SCHEDULED), E(WORKFLOW_TASK_STARTED),
                                      E(WORKFLOW_TASK_COMPLETED), E(ACTIVITY_TASK_SCHEDULED),
                                      E(ACTIVITY_TASK_TIMED_OUT), E(WORKFLOW_TASK_SCHEDULED));
    Temporal__Api__History__V1__ActivityTaskTimedOutEventAttributes *to =
        EV(hist, 6)->activity_task_timed_out_event_attributes;
    CHECK_EQ_INT(to->started_event_id, 0);
    CHECK_EQ_INT(to->retry_state, RETRY_STATE(NON_RETRYABLE_FAILURE));
    CHECK_EQ_INT(to->failure->timeout_failure_info->timeout_type, TIMEOUT_TYPE(SCHEDULE_TO_START));
    eh_deinit(&h);
}

SG_TEST(engine_act_stale_token_is_not_found)
{
    eh h;
    eh_init(&h, NULL);
    const char *run = open_run(&h, "wf-1", NULL, CMDS(eh_cmd_activity(&h, "a1", 0, 0, 10000, 0, NULL)));
    eh_act *t1 = eh_take_act(&h, EH_TQ);
    CHECK_EQ_INT(eh_act_fail(&h, t1, "boom", false, NULL), 0);
    bool cancel;
    CHECK_EQ_INT(eh_act_complete(&h, t1, "x"), SG_ENOTFOUND);
    CHECK_EQ_INT(eh_act_fail(&h, t1, "x", false, NULL), SG_ENOTFOUND);
    CHECK_EQ_INT(eh_act_heartbeat(&h, t1, NULL, &cancel), SG_ENOTFOUND);
    eh_advance(&h, 1000);
    eh_act *t2 = eh_take_act(&h, EH_TQ);
    CHECK(t2->resp.task_token.len != t1->resp.task_token.len ||
          memcmp(t2->resp.task_token.data, t1->resp.task_token.data, t1->resp.task_token.len) != 0);
    CHECK_EQ_INT(eh_act_complete(&h, t1, "x"), SG_ENOTFOUND);
    CHECK_EQ_INT(eh_history(&h, run)->n_events, 5);
    CHECK_EQ_INT(eh_act_complete(&h, t2, "ok"), 0);
    CHECK_EQ_INT(eh_act_complete(&h, t2, "ok"), SG_ENOTFOUND);
    EXPECT_HISTORY(&h, run, E(WORKFLOW_EXECUTION_STARTED), E(WORKFLOW_TASK_SCHEDULED),
                   E(WORKFLOW_TASK_STARTED), E(WORKFLOW_TASK_COMPLETED), E(ACTIVITY_TASK_SCHEDULED),
                   E(ACTIVITY_TASK_STARTED), E(ACTIVITY_TASK_COMPLETED), E(WORKFLOW_TASK_SCHEDULED));
    eh_deinit(&h);
}

SG_TEST(engine_act_cancel_before_start)
{
    eh h;
    eh_init(&h, NULL);
    eh_act *act = NULL;
    eh_wft *t2;
    const char *run = act_and_timer_run(&h, false, 10000, &act, &t2);
    CHECK_EQ_INT(eh_complete(&h, t2, CMDS(eh_cmd_cancel_activity(&h, 5)), NULL), 0);
    pb_history *hist = EXPECT_HISTORY(&h, run, E(WORKFLOW_EXECUTION_STARTED),
                                      E(WORKFLOW_TASK_SCHEDULED), E(WORKFLOW_TASK_STARTED),
                                      E(WORKFLOW_TASK_COMPLETED), E(ACTIVITY_TASK_SCHEDULED),
                                      E(TIMER_STARTED), E(TIMER_FIRED), E(WORKFLOW_TASK_SCHEDULED),
                                      E(WORKFLOW_TASK_STARTED), E(WORKFLOW_TASK_COMPLETED),
                                      E(ACTIVITY_TASK_CANCEL_REQUESTED), E(ACTIVITY_TASK_CANCELED),
                                      E(WORKFLOW_TASK_SCHEDULED));
    Temporal__Api__History__V1__ActivityTaskCancelRequestedEventAttributes *cr =
        EV(hist, 11)->activity_task_cancel_requested_event_attributes;
    CHECK_EQ_INT(cr->scheduled_event_id, 5);
    CHECK_EQ_INT(cr->workflow_task_completed_event_id, 10);
    Temporal__Api__History__V1__ActivityTaskCanceledEventAttributes *c =
        EV(hist, 12)->activity_task_canceled_event_attributes;
    CHECK_EQ_INT(c->scheduled_event_id, 5);
    CHECK_EQ_INT(c->started_event_id, 0);
    CHECK_EQ_INT(c->latest_cancel_requested_event_id, 11);
    eh_act t;
    CHECK(!eh_poll_act(&h, EH_TQ, &t));
    CHECK_EQ_INT(t.stale, 1);
    eh_deinit(&h);
}

SG_TEST(engine_act_cancel_after_start)
{
    eh h;
    eh_init(&h, NULL);
    eh_act *act;
    eh_wft *t2;
    const char *run = act_and_timer_run(&h, true, 60000, &act, &t2);
    bool cancel = true;
    CHECK_EQ_INT(eh_act_heartbeat(&h, act, NULL, &cancel), 0);
    CHECK(!cancel);
    CHECK_EQ_INT(eh_act_canceled(&h, act), SG_EPRECOND); /* nobody asked */
    CHECK_EQ_INT(eh_complete(&h, t2, CMDS(eh_cmd_cancel_activity(&h, 5)), NULL), 0);
    EXPECT_HISTORY(&h, run, E(WORKFLOW_EXECUTION_STARTED), E(WORKFLOW_TASK_SCHEDULED),
                   E(WORKFLOW_TASK_STARTED), E(WORKFLOW_TASK_COMPLETED), E(ACTIVITY_TASK_SCHEDULED),
                   E(TIMER_STARTED), E(TIMER_FIRED), E(WORKFLOW_TASK_SCHEDULED),
                   E(WORKFLOW_TASK_STARTED), E(WORKFLOW_TASK_COMPLETED),
                   E(ACTIVITY_TASK_CANCEL_REQUESTED));
    CHECK(no_wft(&h, EH_TQ, false));
    CHECK_EQ_INT(eh_act_heartbeat(&h, act, NULL, &cancel), 0);
    CHECK(cancel);
    CHECK_EQ_INT(eh_act_canceled(&h, act), 0);
    pb_history *hist = EXPECT_HISTORY(&h, run, E(WORKFLOW_EXECUTION_STARTED),
                                      E(WORKFLOW_TASK_SCHEDULED), E(WORKFLOW_TASK_STARTED),
                                      E(WORKFLOW_TASK_COMPLETED), E(ACTIVITY_TASK_SCHEDULED),
                                      E(TIMER_STARTED), E(TIMER_FIRED), E(WORKFLOW_TASK_SCHEDULED),
                                      E(WORKFLOW_TASK_STARTED), E(WORKFLOW_TASK_COMPLETED),
                                      E(ACTIVITY_TASK_CANCEL_REQUESTED), E(ACTIVITY_TASK_STARTED),
                                      E(ACTIVITY_TASK_CANCELED), E(WORKFLOW_TASK_SCHEDULED));
    CHECK_EQ_INT(EV(hist, 12)->activity_task_started_event_attributes->attempt, 1);
    Temporal__Api__History__V1__ActivityTaskCanceledEventAttributes *c =
        EV(hist, 13)->activity_task_canceled_event_attributes;
    CHECK_EQ_INT(c->scheduled_event_id, 5);
    CHECK_EQ_INT(c->started_event_id, 12);
    CHECK_EQ_INT(c->latest_cancel_requested_event_id, 11);
    CHECK_EQ_STR(eh_payload_str(&h, c->details), "cancel-details");
    eh_deinit(&h);
}

/* Temporal does not retry an attempt that fails after the workflow asked to cancel the
 * activity: it closes with retry_state CANCEL_REQUESTED (NewRetryableActivity, PROTOCOL.md 5). */
SG_TEST(engine_act_failure_after_cancel_request_is_not_retried)
{
    eh h;
    eh_init(&h, NULL);
    eh_act *act;
    eh_wft *t2;
    const char *run = act_and_timer_run(&h, true, 60000, &act, &t2);
    CHECK_EQ_INT(eh_complete(&h, t2, CMDS(eh_cmd_cancel_activity(&h, 5)), NULL), 0);
    CHECK_EQ_INT(eh_act_fail(&h, act, "interrupted", false, NULL), 0);
    pb_history *hist = eh_history(&h, run);
    if (hist->n_events == 11) {
        eh_act next;
        eh_advance(&h, 1000);
        bool got = eh_poll_act(&h, EH_TQ, &next);
        fprintf(stderr, "  no event; the attempt was retried: attempt %d %s\n",
                got ? next.resp.attempt : 0, got ? "handed out 1 s later" : "not handed out");
    }
    hist = EXPECT_HISTORY(&h, run, E(WORKFLOW_EXECUTION_STARTED), E(WORKFLOW_TASK_SCHEDULED),
                          E(WORKFLOW_TASK_STARTED), E(WORKFLOW_TASK_COMPLETED),
                          E(ACTIVITY_TASK_SCHEDULED), E(TIMER_STARTED), E(TIMER_FIRED),
                          E(WORKFLOW_TASK_SCHEDULED), E(WORKFLOW_TASK_STARTED),
                          E(WORKFLOW_TASK_COMPLETED), E(ACTIVITY_TASK_CANCEL_REQUESTED),
                          E(ACTIVITY_TASK_STARTED), E(ACTIVITY_TASK_FAILED),
                          E(WORKFLOW_TASK_SCHEDULED));
    CHECK_EQ_INT(EV(hist, 13)->activity_task_failed_event_attributes->retry_state,
                 RETRY_STATE(CANCEL_REQUESTED));
    eh_deinit(&h);
}

/* The *ById RPCs (RecordActivityTaskHeartbeatById, RespondActivityTask{Completed,Failed,
 * Canceled}ById) address the running attempt by workflow id, run id (empty: current run) and
 * activity id, with the token variants' outcomes. */
SG_TEST(engine_act_by_id_heartbeat_complete_fail_cancel)
{
    eh h;
    eh_init(&h, NULL);
    h.act_by_id = true;
    const char *run = open_run(&h, "wf-1", NULL,
                               CMDS(eh_cmd_activity(&h, "a1", 0, 0, 10000, 0, NULL),
                                    eh_cmd_activity(&h, "a2", 0, 0, 10000, 0, eh_retry(&h, 0, 0, 0, 1)),
                                    eh_cmd_activity(&h, "a3", 0, 0, 10000, 0, NULL)));
    eh_act *a1 = eh_take_act(&h, EH_TQ);
    eh_act *a2 = eh_take_act(&h, EH_TQ);
    eh_act *a3 = eh_take_act(&h, EH_TQ);
    bool cancel = true;
    CHECK_EQ_INT(eh_act_heartbeat(&h, a1, "half", &cancel), 0);
    CHECK(!cancel);
    h.act_by_id_current = true;
    CHECK_EQ_INT(eh_act_complete(&h, a1, "done-1"), 0);
    CHECK_EQ_INT(eh_act_complete(&h, a1, "again"), SG_ENOTFOUND); /* no running attempt left */
    h.act_by_id_current = false;
    CHECK_EQ_INT(eh_act_fail(&h, a2, "broken", false, NULL), 0); /* 1 attempt allowed: closes */
    CHECK_EQ_INT(eh_act_canceled(&h, a3), SG_EPRECOND);          /* nobody asked */
    pb_history *hist = EXPECT_HISTORY(&h, run, E(WORKFLOW_EXECUTION_STARTED),
                                      E(WORKFLOW_TASK_SCHEDULED), E(WORKFLOW_TASK_STARTED),
                                      E(WORKFLOW_TASK_COMPLETED), E(ACTIVITY_TASK_SCHEDULED),
                                      E(ACTIVITY_TASK_SCHEDULED), E(ACTIVITY_TASK_SCHEDULED),
                                      E(ACTIVITY_TASK_STARTED), E(ACTIVITY_TASK_COMPLETED),
                                      E(WORKFLOW_TASK_SCHEDULED), E(ACTIVITY_TASK_STARTED),
                                      E(ACTIVITY_TASK_FAILED));
    CHECK_EQ_STR(eh_payload_str(&h, EV(hist, 9)->activity_task_completed_event_attributes->result),
                 "done-1");
    CHECK_EQ_INT(EV(hist, 12)->activity_task_failed_event_attributes->retry_state,
                 RETRY_STATE(MAXIMUM_ATTEMPTS_REACHED));
    /* The workflow asks to cancel a3; its worker reports the cancellation by id. */
    eh_wft *t2 = eh_take_wft(&h, EH_TQ, false);
    CHECK_EQ_INT(eh_complete(&h, t2, CMDS(eh_cmd_cancel_activity(&h, 7)), NULL), 0);
    CHECK_EQ_INT(eh_act_heartbeat(&h, a3, NULL, &cancel), 0);
    CHECK(cancel);
    CHECK_EQ_INT(eh_act_canceled(&h, a3), 0);
    /* No extra task after 14: a2's failure (12) reached the task that was already scheduled
     * (10) and ran at 13; the cancellation (17) asks for the next one. */
    EXPECT_HISTORY(&h, run, E(WORKFLOW_EXECUTION_STARTED), E(WORKFLOW_TASK_SCHEDULED),
                   E(WORKFLOW_TASK_STARTED), E(WORKFLOW_TASK_COMPLETED), E(ACTIVITY_TASK_SCHEDULED),
                   E(ACTIVITY_TASK_SCHEDULED), E(ACTIVITY_TASK_SCHEDULED), E(ACTIVITY_TASK_STARTED),
                   E(ACTIVITY_TASK_COMPLETED), E(WORKFLOW_TASK_SCHEDULED), E(ACTIVITY_TASK_STARTED),
                   E(ACTIVITY_TASK_FAILED), E(WORKFLOW_TASK_STARTED), E(WORKFLOW_TASK_COMPLETED),
                   E(ACTIVITY_TASK_CANCEL_REQUESTED), E(ACTIVITY_TASK_STARTED),
                   E(ACTIVITY_TASK_CANCELED), E(WORKFLOW_TASK_SCHEDULED));
    /* An unknown activity or workflow id is NOT_FOUND. */
    eh_act ghost = *a3;
    ghost.resp.activity_id = "no-such-activity";
    CHECK_EQ_INT(eh_act_complete(&h, &ghost, "x"), SG_ENOTFOUND);
    eh_deinit(&h);
}
