/* SPDX-License-Identifier: Apache-2.0 */
/* test_engine.c: the history engine — starts, workflow tasks, commands, activities, the event
 * buffer, timers, store faults and recovery — checked against the histories Temporal writes
 * (PROTOCOL.md 3-5).
 *
 * Design note. Each test drives the engine through engine_harness.h as a frontend plus a worker
 * would, on a virtual clock starting at EH_T0_MS, and states the exact stored history: every
 * event type in order, with the ids that tie events together (scheduled/started/wtc). Reading a
 * history through the harness also checks that ids run 1, 2, 3, ... without gaps. Tests named
 * after a behaviour Temporal has and the engine lacks fail on purpose; each says what differs. */
#include "engine_harness.h"
#include "test.h"

#include "core/clock.h"

#include "temporal/api/enums/v1/workflow.pb-c.h"

#include <math.h>
#include <string.h>

#define E(NAME) EVT(NAME)
#define EV(hist, id) ((hist)->events[(id) - 1])
#define REUSE(P) TEMPORAL__API__ENUMS__V1__WORKFLOW_ID_REUSE_POLICY__WORKFLOW_ID_REUSE_POLICY_##P
#define CONFLICT(P) TEMPORAL__API__ENUMS__V1__WORKFLOW_ID_CONFLICT_POLICY__WORKFLOW_ID_CONFLICT_POLICY_##P
#define TIMEOUT_INFO(ev, kind) ((ev)->kind##_event_attributes->failure->timeout_failure_info)

/* The common opening: started, first task polled and completed with cmds. Events 1-4. */
static const char *open_run(eh *h, const char *wf, const eh_start_opts *o, pb_cmd **cmds,
                            size_t n)
{
    const char *run = eh_start_ok(h, wf, o);
    eh_wft *t = eh_take_wft(h, EH_TQ, false);
    CHECK_EQ_INT(eh_complete(h, t, cmds, n, NULL), 0);
    CHECK_EQ_INT(h->last_flush_rc, 0);
    return run;
}

static bool no_wft(eh *h, const char *queue, bool sticky)
{
    eh_wft t;
    return !eh_poll_wft(h, queue, sticky, &t) && t.rc == 0;
}

static bool no_act(eh *h)
{
    eh_act t;
    return !eh_poll_act(h, EH_TQ, &t) && t.rc == 0;
}

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
    CHECK_EQ_INT(eh_complete(&h, t1, CMDS(eh_cmd_start_child(&h, "child-1")), &err), SG_EINVAL);
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
    CHECK_EQ_INT(eh_complete(&h, t2, CMDS(eh_cmd_timer(&h, "ok", 1000), eh_cmd_start_child(&h, "c")),
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
    CHECK_EQ_INT(eh_complete(&h, t3, CMDS(eh_cmd_cancel_activity(&h, 5), eh_cmd_start_child(&h, "c")),
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

/* Activity a1 (event 5) and timer t1 (event 6); the timer fires and the second task (events 8,
 * 9) is started. poll_activity: the activity is handed out first. */
static const char *act_and_timer_run(eh *h, bool poll_activity, int64_t st2c_ms, eh_act **act,
                                     eh_wft **t2)
{
    const char *run = open_run(h, "wf-1", NULL,
                               CMDS(eh_cmd_activity(h, "a1", 0, 0, st2c_ms, 0, NULL),
                                    eh_cmd_timer(h, "t1", 1000)));
    if (poll_activity)
        *act = eh_take_act(h, EH_TQ);
    eh_advance(h, 1000);
    *t2 = eh_take_wft(h, EH_TQ, false);
    CHECK_EQ_INT((*t2)->resp.started_event_id, 9);
    return run;
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

/* ==== transient workflow tasks (PROTOCOL.md 3.3) ==== */

/* Starts a run and fails its first task (RespondWorkflowTaskFailed): events 1-4 are stored
 * and attempt 2 waits, transient, on the reserved ids 5 (scheduled) and 6 (started). */
static const char *failed_first_task_run(eh *h, const char *wf, const eh_start_opts *o)
{
    const char *run = eh_start_ok(h, wf, o);
    eh_wft *t1 = eh_take_wft(h, EH_TQ, false);
    CHECK_EQ_INT(eh_fail_wft(h, t1, WFT_CAUSE(WORKFLOW_WORKER_UNHANDLED_FAILURE), "panic"), 0);
    EXPECT_HISTORY(h, run, E(WORKFLOW_EXECUTION_STARTED), E(WORKFLOW_TASK_SCHEDULED),
                   E(WORKFLOW_TASK_STARTED), E(WORKFLOW_TASK_FAILED));
    eh_check_transient_state(h, run, 5, false, 2);
    return run;
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

/* ==== store faults ==== */

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
