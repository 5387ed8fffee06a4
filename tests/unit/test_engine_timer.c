/* SPDX-License-Identifier: Apache-2.0 */
/* test_engine_timer.c: timers: start, cancel, fire. */
#include "engine_tests.h"

SG_TEST(engine_cmd_start_and_cancel_timer)
{
    eh h;
    eh_init(&h, NULL);
    const char *run = open_run(&h, "wf-1", NULL,
                               CMDS(eh_cmd_timer(&h, "long", 10000), eh_cmd_timer(&h, "short", 1000)));
    eh_advance(&h, 1000);
    eh_wft *t2 = eh_take_wft(&h, EH_TQ, false);
    CHECK_EQ_INT(eh_complete(&h, t2, CMDS(eh_cmd_cancel_timer(&h, "long")), NULL), 0);
    eh_advance(&h, 10000); /* the canceled timer never fires */
    pb_history *hist = EXPECT_HISTORY(&h, run, E(WORKFLOW_EXECUTION_STARTED),
                                      E(WORKFLOW_TASK_SCHEDULED), E(WORKFLOW_TASK_STARTED),
                                      E(WORKFLOW_TASK_COMPLETED), E(TIMER_STARTED), E(TIMER_STARTED),
                                      E(TIMER_FIRED), E(WORKFLOW_TASK_SCHEDULED),
                                      E(WORKFLOW_TASK_STARTED), E(WORKFLOW_TASK_COMPLETED),
                                      E(TIMER_CANCELED));
    Temporal__Api__History__V1__TimerStartedEventAttributes *ts =
        EV(hist, 5)->timer_started_event_attributes;
    CHECK_EQ_STR(ts->timer_id, "long");
    CHECK_EQ_INT(sg_dur_to_ms(ts->start_to_fire_timeout), 10000);
    CHECK_EQ_INT(ts->workflow_task_completed_event_id, 4);
    CHECK_EQ_STR(EV(hist, 7)->timer_fired_event_attributes->timer_id, "short");
    CHECK_EQ_INT(EV(hist, 7)->timer_fired_event_attributes->started_event_id, 6);
    Temporal__Api__History__V1__TimerCanceledEventAttributes *tc =
        EV(hist, 11)->timer_canceled_event_attributes;
    CHECK_EQ_STR(tc->timer_id, "long");
    CHECK_EQ_INT(tc->started_event_id, 5);
    CHECK_EQ_INT(tc->workflow_task_completed_event_id, 10);
    CHECK_EQ_INT(eh_state(&h, run)->n_timers, 0);
    eh_deinit(&h);
}

SG_TEST(engine_cmd_cancel_unknown_timer)
{
    eh h;
    eh_init(&h, NULL);
    const char *run = eh_start_ok(&h, "wf-1", NULL);
    eh_wft *t1 = eh_take_wft(&h, EH_TQ, false);
    sg_engine_err err;
    CHECK_EQ_INT(eh_complete(&h, t1, CMDS(eh_cmd_cancel_timer(&h, "nope")), &err), SG_EINVAL);
    CHECK_EQ_INT(err.wft_failed_cause, WFT_CAUSE(BAD_CANCEL_TIMER_ATTRIBUTES));
    pb_history *hist = EXPECT_HISTORY(&h, run, E(WORKFLOW_EXECUTION_STARTED),
                                      E(WORKFLOW_TASK_SCHEDULED), E(WORKFLOW_TASK_STARTED),
                                      E(WORKFLOW_TASK_FAILED));
    CHECK_EQ_INT(EV(hist, 4)->workflow_task_failed_event_attributes->cause,
                 WFT_CAUSE(BAD_CANCEL_TIMER_ATTRIBUTES));
    eh_check_transient_state(&h, run, 5, false, 2);
    eh_wft *t2 = eh_take_wft(&h, EH_TQ, false);
    eh_check_transient_poll(&h, run, t2, 5, 2);
    eh_deinit(&h);
}

SG_TEST(engine_cmd_duplicate_timer_id)
{
    eh h;
    eh_init(&h, NULL);
    const char *run = eh_start_ok(&h, "wf-1", NULL);
    eh_wft *t1 = eh_take_wft(&h, EH_TQ, false);
    sg_engine_err err;
    CHECK_EQ_INT(eh_complete(&h, t1, CMDS(eh_cmd_timer(&h, "t", 1000), eh_cmd_timer(&h, "t", 2000)),
                             &err),
                 SG_EINVAL);
    CHECK_EQ_INT(err.wft_failed_cause, WFT_CAUSE(START_TIMER_DUPLICATE_ID));
    pb_history *hist = EXPECT_HISTORY(&h, run, E(WORKFLOW_EXECUTION_STARTED),
                                      E(WORKFLOW_TASK_SCHEDULED), E(WORKFLOW_TASK_STARTED),
                                      E(WORKFLOW_TASK_FAILED));
    CHECK_EQ_INT(EV(hist, 4)->workflow_task_failed_event_attributes->cause,
                 WFT_CAUSE(START_TIMER_DUPLICATE_ID));
    CHECK_EQ_INT(eh_state(&h, run)->n_timers, 0);
    eh_check_transient_state(&h, run, 5, false, 2);
    eh_advance(&h, 2000); /* neither timer exists */
    CHECK_EQ_INT(eh_history(&h, run)->n_events, 4);
    eh_wft *t2 = eh_take_wft(&h, EH_TQ, false);
    eh_check_transient_poll(&h, run, t2, 5, 2);
    eh_deinit(&h);
}

/* ==== timers and run timeouts ==== */

SG_TEST(engine_timer_fires_and_schedules_a_task)
{
    eh h;
    eh_init(&h, NULL);
    const char *run = open_run(&h, "wf-1", NULL, CMDS(eh_cmd_timer(&h, "t", 5000)));
    CHECK_EQ_INT(sg_timerq_get(h.e->timers, sg_arena_printf(&h.a, "%s/%s", EH_NS_ID, run)),
                 EH_T0_MS + 5000);
    eh_advance(&h, 4999);
    CHECK_EQ_INT(eh_history(&h, run)->n_events, 5);
    eh_advance(&h, 1);
    pb_history *hist = EXPECT_HISTORY(&h, run, E(WORKFLOW_EXECUTION_STARTED),
                                      E(WORKFLOW_TASK_SCHEDULED), E(WORKFLOW_TASK_STARTED),
                                      E(WORKFLOW_TASK_COMPLETED), E(TIMER_STARTED), E(TIMER_FIRED),
                                      E(WORKFLOW_TASK_SCHEDULED));
    CHECK_EQ_STR(EV(hist, 6)->timer_fired_event_attributes->timer_id, "t");
    CHECK_EQ_INT(EV(hist, 6)->timer_fired_event_attributes->started_event_id, 5);
    CHECK_EQ_INT(sg_ts_to_ms(EV(hist, 6)->event_time), EH_T0_MS + 5000);
    CHECK_EQ_INT(eh_state(&h, run)->n_timers, 0);
    eh_take_wft(&h, EH_TQ, false);
    eh_deinit(&h);
}
