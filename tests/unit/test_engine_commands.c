/* SPDX-License-Identifier: Apache-2.0 */
/* test_engine_commands.c: a completion as a whole: markers, closing commands, unsupported and
 * rejected commands (all-or-nothing). */
#include "engine_tests.h"

SG_TEST(engine_cmd_record_marker)
{
    eh h;
    eh_init(&h, NULL);
    const char *run = open_run(&h, "wf-1", NULL, CMDS(eh_cmd_marker(&h, "SideEffect")));
    pb_history *hist = EXPECT_HISTORY(&h, run, E(WORKFLOW_EXECUTION_STARTED),
                                      E(WORKFLOW_TASK_SCHEDULED), E(WORKFLOW_TASK_STARTED),
                                      E(WORKFLOW_TASK_COMPLETED), E(MARKER_RECORDED));
    CHECK_EQ_STR(EV(hist, 5)->marker_recorded_event_attributes->marker_name, "SideEffect");
    CHECK_EQ_INT(EV(hist, 5)->marker_recorded_event_attributes->workflow_task_completed_event_id, 4);
    CHECK(no_wft(&h, EH_TQ, false)); /* a marker needs no new task */
    eh_deinit(&h);
}

SG_TEST(engine_cmd_close_not_last_is_unhandled_command)
{
    eh h;
    eh_init(&h, NULL);
    const char *run = eh_start_ok(&h, "wf-1", NULL);
    eh_wft *t1 = eh_take_wft(&h, EH_TQ, false);
    sg_engine_err err;
    CHECK_EQ_INT(eh_complete(&h, t1, CMDS(eh_cmd_complete(&h, NULL), eh_cmd_timer(&h, "t", 1000)),
                             &err),
                 SG_EINVAL);
    CHECK_EQ_INT(err.wft_failed_cause, WFT_CAUSE(UNHANDLED_COMMAND));
    pb_history *hist = EXPECT_HISTORY(&h, run, E(WORKFLOW_EXECUTION_STARTED),
                                      E(WORKFLOW_TASK_SCHEDULED), E(WORKFLOW_TASK_STARTED),
                                      E(WORKFLOW_TASK_FAILED), E(WORKFLOW_TASK_SCHEDULED));
    CHECK_EQ_INT(EV(hist, 4)->workflow_task_failed_event_attributes->cause,
                 WFT_CAUSE(UNHANDLED_COMMAND));
    /* UNHANDLED_COMMAND does not count as a failed attempt. */
    CHECK_EQ_INT(EV(hist, 5)->workflow_task_scheduled_event_attributes->attempt, 1);
    CHECK_EQ_INT(eh_state(&h, run)->status, ST_RUNNING);
    eh_deinit(&h);
}

/* Temporal accepts commands before the closing one; their tasks die with the run (no activity
 * task is dispatched), and the pending dispatch is released, not leaked (LeakSanitizer). */
SG_TEST(engine_cmd_schedule_then_close_dispatches_nothing)
{
    eh h;
    eh_init(&h, NULL);
    const char *run = eh_start_ok(&h, "wf-1", NULL);
    eh_wft *t1 = eh_take_wft(&h, EH_TQ, false);
    CHECK_EQ_INT(eh_complete(&h, t1,
                             CMDS(eh_cmd_activity(&h, "a1", 0, 0, 10000, 0, NULL),
                                  eh_cmd_complete(&h, "done")),
                             NULL),
                 0);
    EXPECT_HISTORY(&h, run, E(WORKFLOW_EXECUTION_STARTED), E(WORKFLOW_TASK_SCHEDULED),
                   E(WORKFLOW_TASK_STARTED), E(WORKFLOW_TASK_COMPLETED), E(ACTIVITY_TASK_SCHEDULED),
                   E(WORKFLOW_EXECUTION_COMPLETED));
    CHECK_EQ_INT(eh_state(&h, run)->status, ST_COMPLETED);
    CHECK(no_act(&h));
    eh_deinit(&h);
}

SG_TEST(engine_cmd_unsupported_is_feature_disabled)
{
    eh h;
    eh_init(&h, NULL);
    const char *run = eh_start_ok(&h, "wf-1", NULL);
    eh_wft *t1 = eh_take_wft(&h, EH_TQ, false);
    sg_engine_err err;
    CHECK_EQ_INT(eh_complete(&h, t1, CMDS(eh_cmd_nexus(&h)), &err), SG_EINVAL);
    CHECK_EQ_INT(err.wft_failed_cause, WFT_CAUSE(FEATURE_DISABLED));
    pb_history *hist = EXPECT_HISTORY(&h, run, E(WORKFLOW_EXECUTION_STARTED),
                                      E(WORKFLOW_TASK_SCHEDULED), E(WORKFLOW_TASK_STARTED),
                                      E(WORKFLOW_TASK_FAILED));
    CHECK_EQ_INT(EV(hist, 4)->workflow_task_failed_event_attributes->cause,
                 WFT_CAUSE(FEATURE_DISABLED));
    /* The retry is attempt 2, transient (shown to the poller, not stored). */
    eh_check_transient_state(&h, run, 5, false, 2);
    eh_wft *t2 = eh_take_wft(&h, EH_TQ, false);
    eh_check_transient_poll(&h, run, t2, 5, 2);
    eh_deinit(&h);
}

/* At attempt >= 2 an invalid completion writes nothing (Temporal: the task times out). */
SG_TEST(engine_cmd_rejected_at_attempt_2_writes_nothing)
{
    eh h;
    eh_init(&h, NULL);
    const char *run = eh_start_ok(&h, "wf-1", NULL);
    eh_wft *t1 = eh_take_wft(&h, EH_TQ, false);
    CHECK_EQ_INT(eh_fail_wft(&h, t1, WFT_CAUSE(WORKFLOW_WORKER_UNHANDLED_FAILURE), "x"), 0);
    eh_wft *t2 = eh_take_wft(&h, EH_TQ, false);
    CHECK_EQ_INT(t2->resp.attempt, 2);
    eh_check_transient_poll(&h, run, t2, 5, 2);
    sg_engine_err err;
    CHECK_EQ_INT(eh_complete(&h, t2, CMDS(eh_cmd_timer(&h, "ok", 1000), eh_cmd_nexus(&h)),
                             &err),
                 SG_EINVAL);
    CHECK_EQ_INT(err.wft_failed_cause, WFT_CAUSE(FEATURE_DISABLED));
    /* Not even the transient Scheduled/Started: the stored history is as before the poll. */
    EXPECT_HISTORY(&h, run, E(WORKFLOW_EXECUTION_STARTED), E(WORKFLOW_TASK_SCHEDULED),
                   E(WORKFLOW_TASK_STARTED), E(WORKFLOW_TASK_FAILED));
    CHECK_EQ_INT(eh_state(&h, run)->n_timers, 0);
    /* The attempt stays started until its start-to-close timeout (PROTOCOL.md 3.5 step 5). */
    eh_check_transient_state(&h, run, 5, true, 2);
    CHECK(no_wft(&h, EH_TQ, false));
    eh_advance(&h, 9999);
    CHECK_EQ_INT(eh_history(&h, run)->n_events, 4);
    eh_check_transient_state(&h, run, 5, true, 2);
    eh_advance(&h, 1);
    /* The timeout of a transient attempt writes nothing either; attempt 3 takes the same ids. */
    EXPECT_HISTORY(&h, run, E(WORKFLOW_EXECUTION_STARTED), E(WORKFLOW_TASK_SCHEDULED),
                   E(WORKFLOW_TASK_STARTED), E(WORKFLOW_TASK_FAILED));
    eh_check_transient_state(&h, run, 5, false, 3);
    CHECK_EQ_INT(eh_complete(&h, t2, NULL, 0, NULL), SG_ENOTFOUND);
    eh_wft *t3 = eh_take_wft(&h, EH_TQ, false);
    EXPECT_POLL_HISTORY(t3, 1, E(WORKFLOW_EXECUTION_STARTED), E(WORKFLOW_TASK_SCHEDULED),
                        E(WORKFLOW_TASK_STARTED), E(WORKFLOW_TASK_FAILED),
                        E(WORKFLOW_TASK_SCHEDULED), E(WORKFLOW_TASK_STARTED));
    eh_check_transient_poll(&h, run, t3, 5, 3);
    eh_deinit(&h);
}

/* A rejected completion at attempt >= 2 leaves the task started (as in Temporal), so the same
 * token may complete it. The rejected commands must leave nothing behind; here the rejected
 * completion had cancelled a not-yet-started activity, which asks for a new workflow task. */
SG_TEST(engine_cmd_rejected_completion_leaves_no_pending_wft_request)
{
    eh h;
    eh_init(&h, NULL);
    const char *run = open_run(&h, "wf-1", NULL,
                               CMDS(eh_cmd_activity(&h, "a1", 0, 0, 10000, 0, NULL),
                                    eh_cmd_timer(&h, "t1", 1000)));
    eh_advance(&h, 1000);
    eh_wft *t2 = eh_take_wft(&h, EH_TQ, false);
    CHECK_EQ_INT(eh_fail_wft(&h, t2, WFT_CAUSE(WORKFLOW_WORKER_UNHANDLED_FAILURE), "x"), 0);
    eh_wft *t3 = eh_take_wft(&h, EH_TQ, false);
    CHECK_EQ_INT(t3->resp.attempt, 2);
    eh_check_transient_poll(&h, run, t3, 11, 2);
    sg_engine_err err;
    CHECK_EQ_INT(eh_complete(&h, t3, CMDS(eh_cmd_cancel_activity(&h, 5), eh_cmd_nexus(&h)),
                             &err),
                 SG_EINVAL);
    /* Nothing written (the transient pair stays unwritten); the attempt is still started. */
    CHECK_EQ_INT(eh_history(&h, run)->n_events, 10);
    CHECK_EQ_INT(eh_state(&h, run)->n_activities, 1);
    eh_check_transient_state(&h, run, 11, true, 2);
    /* Same token, valid commands: the transient Scheduled/Started at their reserved ids, WTC,
     * TimerStarted, and no new workflow task. */
    CHECK_EQ_INT(eh_complete(&h, t3, CMDS(eh_cmd_timer(&h, "t2", 60000)), NULL), 0);
    pb_history *hist = EXPECT_HISTORY(
        &h, run, E(WORKFLOW_EXECUTION_STARTED), E(WORKFLOW_TASK_SCHEDULED),
        E(WORKFLOW_TASK_STARTED), E(WORKFLOW_TASK_COMPLETED), E(ACTIVITY_TASK_SCHEDULED),
        E(TIMER_STARTED), E(TIMER_FIRED), E(WORKFLOW_TASK_SCHEDULED), E(WORKFLOW_TASK_STARTED),
        E(WORKFLOW_TASK_FAILED), E(WORKFLOW_TASK_SCHEDULED), E(WORKFLOW_TASK_STARTED),
        E(WORKFLOW_TASK_COMPLETED), E(TIMER_STARTED));
    CHECK_EQ_INT(EV(hist, 11)->workflow_task_scheduled_event_attributes->attempt, 2);
    CHECK_EQ_INT(EV(hist, 12)->workflow_task_started_event_attributes->scheduled_event_id, 11);
    CHECK_EQ_INT(EV(hist, 13)->workflow_task_completed_event_attributes->scheduled_event_id, 11);
    CHECK_EQ_INT(EV(hist, 13)->workflow_task_completed_event_attributes->started_event_id, 12);
    CHECK_EQ_INT(EV(hist, 14)->timer_started_event_attributes->workflow_task_completed_event_id, 13);
    CHECK_EQ_INT(eh_state(&h, run)->n_activities, 1);
    /* A pending task would not show in the stored history while transient: ask the state. */
    ms_t *ms = eh_state(&h, run);
    CHECK_EQ_INT(ms->wft->scheduled_event_id, 0);
    CHECK(!ms->wft->is_transient);
    CHECK_EQ_INT(ms->next_event_id, 15);
    CHECK(no_wft(&h, EH_TQ, false));
    eh_deinit(&h);
}

/* A rejected completion returns the run to its stored state (sg_op_abort reloads it) and then
 * records the failure: nothing of the rejected commands survives, in history or state. */
SG_TEST(engine_rejected_completion_leaves_no_trace_of_its_commands)
{
    eh h;
    eh_init(&h, NULL);
    const char *run = eh_start_ok(&h, "wf-1", NULL);
    eh_wft *t1 = eh_take_wft(&h, EH_TQ, false);
    sg_engine_err err;
    CHECK_EQ_INT(eh_complete(&h, t1,
                             CMDS(eh_cmd_timer(&h, "t1", 1000),
                                  eh_cmd_activity(&h, "a1", 0, 0, 10000, 0, NULL),
                                  eh_cmd_cancel_timer(&h, "nope")),
                             &err),
                 SG_EINVAL);
    EXPECT_HISTORY(&h, run, E(WORKFLOW_EXECUTION_STARTED), E(WORKFLOW_TASK_SCHEDULED),
                   E(WORKFLOW_TASK_STARTED), E(WORKFLOW_TASK_FAILED));
    /* (attempt 2 is transient: its Scheduled event is not written) */
    ms_t *ms = eh_state(&h, run);
    CHECK_EQ_INT(ms->n_timers, 0);
    CHECK_EQ_INT(ms->n_activities, 0);
    CHECK_EQ_INT(ms->next_event_id, 5);
    CHECK(no_act(&h));
    /* The cached state is the stored one. */
    char *key = sg_exec_key(EH_NS_ID, run);
    sg_exec *x = sg_map_get(&h.e->cache, key);
    sg_free(key);
    CHECK(x != NULL);
    CHECK_EQ_INT(x->ms->n_timers, 0);
    CHECK_EQ_INT(x->ms->n_activities, 0);
    CHECK_EQ_INT(x->ms->next_event_id, 5);
    CHECK_EQ_INT(x->ms->wft->attempt, 2);
    CHECK(x->op == NULL && !x->op_written);
    eh_deinit(&h);
}

SG_TEST(engine_cmd_cancel_workflow_closes_it_canceled)
{
    eh h;
    eh_init(&h, NULL);
    const char *run = open_run(&h, "wf-1", NULL, CMDS(eh_cmd_cancel_workflow(&h, "bye")));
    pb_history *hist = EXPECT_HISTORY(&h, run, E(WORKFLOW_EXECUTION_STARTED),
                                      E(WORKFLOW_TASK_SCHEDULED), E(WORKFLOW_TASK_STARTED),
                                      E(WORKFLOW_TASK_COMPLETED), E(WORKFLOW_EXECUTION_CANCELED));
    Temporal__Api__History__V1__WorkflowExecutionCanceledEventAttributes *c =
        EV(hist, 5)->workflow_execution_canceled_event_attributes;
    CHECK_EQ_INT(c->workflow_task_completed_event_id, 4);
    CHECK_EQ_STR(eh_payload_str(&h, c->details), "bye");
    CHECK_EQ_INT(eh_state(&h, run)->status, ST_CANCELED);
    CHECK(no_wft(&h, EH_TQ, false));
    eh_deinit(&h);
}

SG_TEST(engine_cmd_modify_properties_merges_the_memo)
{
    eh h;
    eh_init(&h, NULL);
    const char *run = open_run(&h, "wf-1", NULL,
                               CMDS(eh_cmd_upsert_memo(&h, "stage", "one"),
                                    eh_cmd_upsert_memo(&h, "stage", "two"),
                                    eh_cmd_upsert_memo(&h, "owner", "ops")));
    pb_history *hist = EXPECT_HISTORY(&h, run, E(WORKFLOW_EXECUTION_STARTED),
                                      E(WORKFLOW_TASK_SCHEDULED), E(WORKFLOW_TASK_STARTED),
                                      E(WORKFLOW_TASK_COMPLETED), E(WORKFLOW_PROPERTIES_MODIFIED),
                                      E(WORKFLOW_PROPERTIES_MODIFIED),
                                      E(WORKFLOW_PROPERTIES_MODIFIED));
    Temporal__Api__History__V1__WorkflowPropertiesModifiedEventAttributes *m =
        EV(hist, 6)->workflow_properties_modified_event_attributes;
    CHECK_EQ_INT(m->workflow_task_completed_event_id, 4);
    CHECK_EQ_STR(m->upserted_memo->fields[0]->key, "stage");
    ms_t *ms = eh_state(&h, run);
    CHECK(ms->memo != NULL);
    CHECK_EQ_INT(ms->memo->n_fields, 2); /* stage replaced, owner added */
    for (size_t i = 0; i < ms->memo->n_fields; i++) {
        Temporal__Api__Common__V1__Payloads one = TEMPORAL__API__COMMON__V1__PAYLOADS__INIT;
        Temporal__Api__Common__V1__Payload *p = ms->memo->fields[i]->value;
        one.payloads = &p;
        one.n_payloads = 1;
        const char *want = strcmp(ms->memo->fields[i]->key, "stage") == 0 ? "two" : "ops";
        CHECK_EQ_STR(eh_payload_str(&h, &one), want);
    }
    eh_deinit(&h);
}

/* An upsert of a nil payload removes the key, whatever its metadata: empty data, JSON null, or
 * [] (Temporal's payload.MergeMapOfPayload); the event keeps the upsert as sent. */
SG_TEST(engine_cmd_nil_upserts_remove_memo_keys)
{
    eh h;
    eh_init(&h, NULL);
    static const char *const nils[] = { "", "null", "[]" };
    pb_cmd *cmds[6];
    size_t n = 0;
    cmds[n++] = eh_cmd_upsert_memo(&h, "a", "one");
    cmds[n++] = eh_cmd_upsert_memo(&h, "b", "two");
    cmds[n++] = eh_cmd_upsert_memo(&h, "c", "three");
    for (size_t i = 0; i < SG_ARRAY_LEN(nils); i++) {
        pb_cmd *c = eh_cmd_upsert_memo(&h, (const char[]){ (char)('a' + i), 0 }, "x");
        Temporal__Api__Common__V1__Payload *p =
            c->modify_workflow_properties_command_attributes->upserted_memo->fields[0]->value;
        p->data.data = (uint8_t *)nils[i];
        p->data.len = strlen(nils[i]); /* metadata (encoding json/plain) stays */
        cmds[n++] = c;
    }
    const char *run = open_run(&h, "wf-1", NULL, CMDS(cmds[0], cmds[1], cmds[2], cmds[3], cmds[4], cmds[5]));
    ms_t *ms = eh_state(&h, run);
    CHECK(ms->memo == NULL || ms->memo->n_fields == 0);
    pb_history *hist = eh_history(&h, run);
    CHECK_EQ_INT(EV(hist, 8)->event_type, E(WORKFLOW_PROPERTIES_MODIFIED));
    CHECK_EQ_INT(EV(hist, 8)->workflow_properties_modified_event_attributes->upserted_memo->n_fields, 1);
    eh_deinit(&h);
}
