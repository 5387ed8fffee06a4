/* SPDX-License-Identifier: Apache-2.0 */
/* test_engine_reset.c: ResetWorkflowExecution — the copied prefix, the RESET_WORKFLOW task
 * failure, signals after the point re-applied, pending activities and timers rebuilt, the
 * current run terminated, and the refusals. */
#include "engine_tests.h"

#include "history/pbutil.h"

static void send_signal(eh *h, const char *wf, const char *name, const char *input)
{
    Temporal__Api__Workflowservice__V1__SignalWorkflowExecutionRequest req =
        TEMPORAL__API__WORKFLOWSERVICE__V1__SIGNAL_WORKFLOW_EXECUTION_REQUEST__INIT;
    Temporal__Api__Common__V1__WorkflowExecution we = TEMPORAL__API__COMMON__V1__WORKFLOW_EXECUTION__INIT;
    we.workflow_id = (char *)wf;
    we.run_id = "";
    req.namespace_ = EH_NS;
    req.workflow_execution = &we;
    req.signal_name = (char *)name;
    req.input = eh_payloads(h, input);
    req.identity = "client-1";
    req.request_id = "";
    sg_engine_err err;
    memset(&err, 0, sizeof err);
    CHECK_EQ_INT(sg_engine_signal(h->e, &h->a, EH_NS_ID, &req, &err), 0);
    eh_flush(h);
}

/* Resets wf (run_id "" : the current run) to event_id; returns the engine's result and the new
 * run id in *new_run. */
static int reset(eh *h, const char *wf, const char *run_id, int64_t event_id, const char **new_run,
                 sg_engine_err *err)
{
    Temporal__Api__Workflowservice__V1__ResetWorkflowExecutionRequest req =
        TEMPORAL__API__WORKFLOWSERVICE__V1__RESET_WORKFLOW_EXECUTION_REQUEST__INIT;
    Temporal__Api__Common__V1__WorkflowExecution we = TEMPORAL__API__COMMON__V1__WORKFLOW_EXECUTION__INIT;
    we.workflow_id = (char *)wf;
    we.run_id = (char *)run_id;
    req.namespace_ = EH_NS;
    req.workflow_execution = &we;
    req.reason = "fixed the bug";
    req.workflow_task_finish_event_id = event_id;
    req.request_id = "reset-1";
    req.identity = "operator";
    Temporal__Api__Workflowservice__V1__ResetWorkflowExecutionResponse out =
        TEMPORAL__API__WORKFLOWSERVICE__V1__RESET_WORKFLOW_EXECUTION_RESPONSE__INIT;
    memset(err, 0, sizeof *err);
    int rc = sg_engine_reset(h->e, &h->a, EH_NS_ID, &req, &out, err);
    eh_flush(h);
    if (new_run)
        *new_run = rc == 0 ? sg_arena_strdup(&h->a, out.run_id) : NULL;
    return rc;
}

/* A run that failed because an activity failed for good; reset to its first workflow task, it
 * runs again (the signal it got after that point re-applied) and completes. */
SG_TEST(engine_reset_failed_run_to_first_task)
{
    eh h;
    eh_init(&h, NULL);
    const char *run = open_run(&h, "wf-1", NULL, CMDS(eh_cmd_activity(&h, "a1", 0, 0, 10000, 0, NULL)));
    send_signal(&h, "wf-1", "after", "x");
    eh_act *act = eh_take_act(&h, EH_TQ);
    CHECK_EQ_INT(eh_act_fail(&h, act, "broken", true, NULL), 0);
    eh_wft *t2 = eh_take_wft(&h, EH_TQ, false);
    CHECK_EQ_INT(eh_complete(&h, t2, CMDS(eh_cmd_fail_workflow(&h, "gave up")), NULL), 0);
    EXPECT_HISTORY(&h, run, E(WORKFLOW_EXECUTION_STARTED), E(WORKFLOW_TASK_SCHEDULED),
                   E(WORKFLOW_TASK_STARTED), E(WORKFLOW_TASK_COMPLETED), E(ACTIVITY_TASK_SCHEDULED),
                   E(WORKFLOW_EXECUTION_SIGNALED), E(WORKFLOW_TASK_SCHEDULED),
                   E(ACTIVITY_TASK_STARTED), E(ACTIVITY_TASK_FAILED), E(WORKFLOW_TASK_STARTED),
                   E(WORKFLOW_TASK_COMPLETED), E(WORKFLOW_EXECUTION_FAILED));
    pb_history *old = eh_history(&h, run);

    const char *run2;
    sg_engine_err err;
    CHECK_EQ_INT(reset(&h, "wf-1", "", 4, &run2, &err), 0);
    CHECK(strcmp(run2, run) != 0);
    pb_history *hist = EXPECT_HISTORY(&h, run2, E(WORKFLOW_EXECUTION_STARTED),
                                      E(WORKFLOW_TASK_SCHEDULED), E(WORKFLOW_TASK_STARTED),
                                      E(WORKFLOW_TASK_FAILED), E(WORKFLOW_EXECUTION_SIGNALED),
                                      E(WORKFLOW_TASK_SCHEDULED));
    /* The prefix is the base run's events, byte for byte. */
    for (int i = 1; i <= 3; i++)
        CHECK(eh_same_event(&h, EV(hist, i), EV(old, i)));
    Temporal__Api__History__V1__WorkflowTaskFailedEventAttributes *f =
        EV(hist, 4)->workflow_task_failed_event_attributes;
    CHECK_EQ_INT(f->cause, WFT_CAUSE(RESET_WORKFLOW));
    CHECK_EQ_INT(f->scheduled_event_id, 2);
    CHECK_EQ_INT(f->started_event_id, 3);
    CHECK_EQ_STR(f->base_run_id, run);
    CHECK_EQ_STR(f->new_run_id, run2);
    CHECK_EQ_STR(f->failure->message, "fixed the bug");
    CHECK_EQ_STR(f->identity, "operator");
    CHECK_EQ_STR(EV(hist, 5)->workflow_execution_signaled_event_attributes->signal_name, "after");
    CHECK_EQ_STR(eh_payload_str(&h, EV(hist, 5)->workflow_execution_signaled_event_attributes->input), "x");
    /* The base run stays as it ended; the new run is current and runs to completion. */
    CHECK_EQ_INT(eh_state(&h, run)->status, ST_FAILED);
    eh_wft *t = eh_take_wft(&h, EH_TQ, false);
    CHECK_EQ_STR(t->resp.workflow_execution->run_id, run2);
    CHECK_EQ_INT(t->resp.previous_started_event_id, 0);
    CHECK_EQ_INT(eh_complete(&h, t, CMDS(eh_cmd_complete(&h, "ok")), NULL), 0);
    CHECK_EQ_INT(eh_state(&h, run2)->status, ST_COMPLETED);
    eh_deinit(&h);
}

/* Reset of a running run to a later task: the running run is terminated; the new run keeps
 * the activity and the timer that were pending at the reset point. */
SG_TEST(engine_reset_running_run_rebuilds_activities_and_timers)
{
    eh h;
    eh_init(&h, NULL);
    const char *run = open_run(&h, "wf-1", NULL,
                               CMDS(eh_cmd_activity(&h, "a1", 0, 0, 10000, 0, NULL),
                                    eh_cmd_timer(&h, "t1", 3600000)));
    eh_take_act(&h, EH_TQ); /* the attempt running when the reset comes */
    send_signal(&h, "wf-1", "before", "y");
    eh_wft *t2 = eh_take_wft(&h, EH_TQ, false);
    CHECK_EQ_INT(eh_complete(&h, t2, NULL, 0, NULL), 0);
    EXPECT_HISTORY(&h, run, E(WORKFLOW_EXECUTION_STARTED), E(WORKFLOW_TASK_SCHEDULED),
                   E(WORKFLOW_TASK_STARTED), E(WORKFLOW_TASK_COMPLETED), E(ACTIVITY_TASK_SCHEDULED),
                   E(TIMER_STARTED), E(WORKFLOW_EXECUTION_SIGNALED), E(WORKFLOW_TASK_SCHEDULED),
                   E(WORKFLOW_TASK_STARTED), E(WORKFLOW_TASK_COMPLETED));
    const char *run2;
    sg_engine_err err;
    /* By its WorkflowTaskStarted id (9) this time. */
    CHECK_EQ_INT(reset(&h, "wf-1", run, 9, &run2, &err), 0);
    pb_history *old = eh_history(&h, run);
    CHECK_EQ_INT(EV(old, old->n_events)->event_type, E(WORKFLOW_EXECUTION_TERMINATED));
    CHECK_EQ_STR(EV(old, old->n_events)->workflow_execution_terminated_event_attributes->reason,
                 "fixed the bug");
    EXPECT_HISTORY(&h, run2, E(WORKFLOW_EXECUTION_STARTED), E(WORKFLOW_TASK_SCHEDULED),
                   E(WORKFLOW_TASK_STARTED), E(WORKFLOW_TASK_COMPLETED), E(ACTIVITY_TASK_SCHEDULED),
                   E(TIMER_STARTED), E(WORKFLOW_EXECUTION_SIGNALED), E(WORKFLOW_TASK_SCHEDULED),
                   E(WORKFLOW_TASK_STARTED), E(WORKFLOW_TASK_FAILED), E(WORKFLOW_TASK_SCHEDULED));
    ms_t *ms = eh_state(&h, run2);
    CHECK_EQ_INT(ms->n_activities, 1);
    CHECK_EQ_INT(ms->activities[0]->scheduled_event_id, 5);
    CHECK_EQ_INT(ms->n_timers, 1);
    CHECK_EQ_INT(ms->timers[0]->fire_at_ms, EH_T0_MS + 3600000);
    CHECK_EQ_INT(ms->last_completed_wft_started_id, 3);
    CHECK_EQ_INT(ms->signal_count, 1);
    /* The activity is handed out again, for the new run. */
    eh_act *act = eh_take_act(&h, EH_TQ);
    CHECK_EQ_STR(act->resp.workflow_execution->run_id, run2);
    CHECK_EQ_INT(eh_act_complete(&h, act, "done"), 0);
    eh_wft *t = eh_take_wft(&h, EH_TQ, false);
    CHECK_EQ_STR(t->resp.workflow_execution->run_id, run2);
    CHECK_EQ_INT(t->resp.previous_started_event_id, 3);
    CHECK_EQ_INT(eh_complete(&h, t, NULL, 0, NULL), 0);
    /* The timer fires at its original time in the new run. */
    eh_advance(&h, 3600000);
    pb_history *hist = eh_history(&h, run2);
    bool fired = false;
    for (size_t i = 0; i < hist->n_events; i++)
        fired = fired || hist->events[i]->event_type == E(TIMER_FIRED);
    CHECK(fired);
    eh_deinit(&h);
}

SG_TEST(engine_reset_refusals)
{
    eh h;
    eh_init(&h, NULL);
    const char *run = open_run(&h, "wf-1", NULL, CMDS(eh_cmd_activity(&h, "a1", 0, 0, 10000, 0, NULL)));
    sg_engine_err err;
    /* Not a workflow task's end or start. */
    CHECK_EQ_INT(reset(&h, "wf-1", "", 5, NULL, &err), SG_EINVAL);
    CHECK(strstr(err.message, "WorkflowTaskFinishEventId") != NULL);
    CHECK_EQ_INT(reset(&h, "wf-1", "", 1, NULL, &err), SG_EINVAL);
    CHECK_EQ_INT(reset(&h, "wf-1", "", 99, NULL, &err), SG_EINVAL);
    CHECK_EQ_INT(reset(&h, "nobody", "", 4, NULL, &err), SG_ENOTFOUND);
    /* Nothing changed. */
    CHECK_EQ_INT(eh_state(&h, run)->status, ST_RUNNING);
    CHECK_EQ_INT(eh_history(&h, run)->n_events, 5);
    /* A child before the reset point: not rebuilt yet, so refused. */
    const char *run2 = open_run(&h, "wf-2", NULL, CMDS(eh_cmd_start_child(&h, "kid")));
    eh_wft *t = eh_take_wft(&h, EH_TQ, false);
    while (strcmp(t->resp.workflow_execution->run_id, run2) != 0) {
        CHECK_EQ_INT(eh_complete(&h, t, NULL, 0, NULL), 0);
        t = eh_take_wft(&h, EH_TQ, false);
    }
    CHECK_EQ_INT(eh_complete(&h, t, NULL, 0, NULL), 0);
    CHECK_EQ_INT(reset(&h, "wf-2", "", 9, NULL, &err), SG_ENOTSUP);
    CHECK(strstr(err.message, "child workflow is still running") != NULL);
    CHECK_EQ_INT(eh_state(&h, run2)->status, ST_RUNNING);
    /* Before the child started it is fine. */
    const char *run3;
    CHECK_EQ_INT(reset(&h, "wf-2", "", 4, &run3, &err), 0);
    CHECK_EQ_INT(eh_state(&h, run2)->status, ST_TERMINATED);
    /* The same request again (a client retry) gets the same run, and changes nothing. */
    const char *again;
    CHECK_EQ_INT(reset(&h, "wf-2", run2, 4, &again, &err), 0);
    CHECK_EQ_STR(again, run3);
    CHECK_EQ_INT(eh_state(&h, run3)->status, ST_RUNNING);
    eh_deinit(&h);
}
