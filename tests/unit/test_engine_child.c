/* SPDX-License-Identifier: Apache-2.0 */
/* test_engine_child.c: child workflows — the start (or its failure) in the parent's history, the
 * child's Started naming parent and root, every way a child ends recorded in its parent in the
 * same batch, and the parent close policies. */
#include "engine_tests.h"
#include "history/info.h"

#include "history/pbutil.h"

#include "temporal/api/enums/v1/command_type.pb-c.h"

#define CHILD_TQ "child-tq"
#define PCP(P) TEMPORAL__API__ENUMS__V1__PARENT_CLOSE_POLICY__PARENT_CLOSE_POLICY_##P

static pb_cmd *child_cmd(eh *h, const char *id, int policy)
{
    pb_cmd *c = eh_cmd_start_child(h, id);
    c->start_child_workflow_execution_command_attributes->task_queue =
        sg_tq_new(&h->a, CHILD_TQ, TQ_KIND(NORMAL), NULL);
    c->start_child_workflow_execution_command_attributes->parent_close_policy = policy;
    c->start_child_workflow_execution_command_attributes->input = eh_payloads(h, "in");
    return c;
}

/* Parent starts child id under policy: parent events 1-7 (Initiated 5, ChildStarted 6,
 * WorkflowTaskScheduled 7). Returns the parent's run; *child_run the child's. */
static const char *parent_with_child(eh *h, const char *parent, const char *id, int policy,
                                     const char **child_run)
{
    const char *run = open_run(h, parent, NULL, CMDS(child_cmd(h, id, policy)));
    pb_history *hist = EXPECT_HISTORY(h, run, E(WORKFLOW_EXECUTION_STARTED),
                                      E(WORKFLOW_TASK_SCHEDULED), E(WORKFLOW_TASK_STARTED),
                                      E(WORKFLOW_TASK_COMPLETED),
                                      E(START_CHILD_WORKFLOW_EXECUTION_INITIATED),
                                      E(CHILD_WORKFLOW_EXECUTION_STARTED), E(WORKFLOW_TASK_SCHEDULED));
    Temporal__Api__History__V1__ChildWorkflowExecutionStartedEventAttributes *st =
        EV(hist, 6)->child_workflow_execution_started_event_attributes;
    CHECK_EQ_INT(st->initiated_event_id, 5);
    CHECK_EQ_STR(st->workflow_execution->workflow_id, id);
    *child_run = sg_arena_strdup(&h->a, st->workflow_execution->run_id);
    return run;
}

SG_TEST(engine_child_starts_and_its_result_reaches_the_parent)
{
    eh h;
    eh_init(&h, NULL);
    const char *child;
    const char *run = parent_with_child(&h, "wf-p", "c-1", PCP(UNSPECIFIED), &child);
    pb_history *hist = eh_history(&h, run);
    Temporal__Api__History__V1__StartChildWorkflowExecutionInitiatedEventAttributes *init =
        EV(hist, 5)->start_child_workflow_execution_initiated_event_attributes;
    CHECK_EQ_STR(init->workflow_id, "c-1");
    CHECK_EQ_INT(init->workflow_task_completed_event_id, 4);
    CHECK_EQ_INT(init->parent_close_policy, PCP(TERMINATE)); /* the default */
    CHECK_EQ_STR(init->namespace_, EH_NS);

    /* The child's first event names its parent and root. */
    pb_history *ch = EXPECT_HISTORY(&h, child, E(WORKFLOW_EXECUTION_STARTED),
                                    E(WORKFLOW_TASK_SCHEDULED));
    Temporal__Api__History__V1__WorkflowExecutionStartedEventAttributes *s =
        EV(ch, 1)->workflow_execution_started_event_attributes;
    CHECK_EQ_STR(s->parent_workflow_execution->workflow_id, "wf-p");
    CHECK_EQ_STR(s->parent_workflow_execution->run_id, run);
    CHECK_EQ_INT(s->parent_initiated_event_id, 5);
    CHECK_EQ_STR(s->parent_workflow_namespace, EH_NS);
    CHECK_EQ_STR(s->root_workflow_execution->run_id, run);
    CHECK_EQ_STR(s->task_queue->name, CHILD_TQ);
    CHECK_EQ_STR(s->workflow_type->name, "child-type");
    CHECK_EQ_STR(eh_payload_str(&h, s->input), "in");
    CHECK_EQ_STR(eh_state(&h, child)->parent_run_id, run);
    CHECK_EQ_INT(eh_state(&h, run)->n_children, 1);

    /* The parent's task, then the child's; the child completes. */
    eh_wft *tp = eh_take_wft(&h, EH_TQ, false);
    CHECK_EQ_INT(eh_complete(&h, tp, NULL, 0, NULL), 0);
    eh_wft *tc = eh_take_wft(&h, CHILD_TQ, false);
    CHECK_EQ_INT(eh_complete(&h, tc, CMDS(eh_cmd_complete(&h, "out")), NULL), 0);
    hist = EXPECT_HISTORY(&h, run, E(WORKFLOW_EXECUTION_STARTED), E(WORKFLOW_TASK_SCHEDULED),
                          E(WORKFLOW_TASK_STARTED), E(WORKFLOW_TASK_COMPLETED),
                          E(START_CHILD_WORKFLOW_EXECUTION_INITIATED),
                          E(CHILD_WORKFLOW_EXECUTION_STARTED), E(WORKFLOW_TASK_SCHEDULED),
                          E(WORKFLOW_TASK_STARTED), E(WORKFLOW_TASK_COMPLETED),
                          E(CHILD_WORKFLOW_EXECUTION_COMPLETED), E(WORKFLOW_TASK_SCHEDULED));
    Temporal__Api__History__V1__ChildWorkflowExecutionCompletedEventAttributes *done =
        EV(hist, 10)->child_workflow_execution_completed_event_attributes;
    CHECK_EQ_STR(eh_payload_str(&h, done->result), "out");
    CHECK_EQ_INT(done->initiated_event_id, 5);
    CHECK_EQ_INT(done->started_event_id, 6);
    CHECK_EQ_STR(done->workflow_execution->run_id, child);
    CHECK_EQ_STR(done->workflow_type->name, "child-type");
    CHECK_EQ_INT(eh_state(&h, run)->n_children, 0);
    eh_deinit(&h);
}

SG_TEST(engine_child_with_a_running_id_fails_to_start)
{
    eh h;
    eh_init(&h, NULL);
    eh_start_ok(&h, "busy", NULL);
    eh_take_wft(&h, EH_TQ, false); /* busy's own task out of the way */
    const char *run = open_run(&h, "wf-p", NULL, CMDS(child_cmd(&h, "busy", PCP(TERMINATE))));
    pb_history *hist = EXPECT_HISTORY(&h, run, E(WORKFLOW_EXECUTION_STARTED),
                                      E(WORKFLOW_TASK_SCHEDULED), E(WORKFLOW_TASK_STARTED),
                                      E(WORKFLOW_TASK_COMPLETED),
                                      E(START_CHILD_WORKFLOW_EXECUTION_INITIATED),
                                      E(START_CHILD_WORKFLOW_EXECUTION_FAILED),
                                      E(WORKFLOW_TASK_SCHEDULED));
    Temporal__Api__History__V1__StartChildWorkflowExecutionFailedEventAttributes *f =
        EV(hist, 6)->start_child_workflow_execution_failed_event_attributes;
    CHECK_EQ_INT(f->cause,
                 TEMPORAL__API__ENUMS__V1__START_CHILD_WORKFLOW_EXECUTION_FAILED_CAUSE__START_CHILD_WORKFLOW_EXECUTION_FAILED_CAUSE_WORKFLOW_ALREADY_EXISTS);
    CHECK_EQ_INT(f->initiated_event_id, 5);
    CHECK_EQ_STR(f->workflow_id, "busy");
    CHECK_EQ_INT(eh_state(&h, run)->n_children, 0);
    CHECK_EQ_INT(eh_complete(&h, eh_take_wft(&h, EH_TQ, false), NULL, 0, NULL), 0);
    /* Two children with one id in one completion: the second fails. */
    const char *run2 = open_run(&h, "wf-q", NULL,
                                CMDS(child_cmd(&h, "twin", PCP(TERMINATE)),
                                     child_cmd(&h, "twin", PCP(TERMINATE))));
    EXPECT_HISTORY(&h, run2, E(WORKFLOW_EXECUTION_STARTED), E(WORKFLOW_TASK_SCHEDULED),
                   E(WORKFLOW_TASK_STARTED), E(WORKFLOW_TASK_COMPLETED),
                   E(START_CHILD_WORKFLOW_EXECUTION_INITIATED),
                   E(START_CHILD_WORKFLOW_EXECUTION_INITIATED),
                   E(CHILD_WORKFLOW_EXECUTION_STARTED),
                   E(START_CHILD_WORKFLOW_EXECUTION_FAILED), E(WORKFLOW_TASK_SCHEDULED));
    eh_deinit(&h);
}

SG_TEST(engine_child_bad_command_fails_the_task)
{
    eh h;
    eh_init(&h, NULL);
    eh_start_ok(&h, "wf-p", NULL);
    eh_wft *t = eh_take_wft(&h, EH_TQ, false);
    pb_cmd *c = child_cmd(&h, "", PCP(TERMINATE));
    sg_engine_err err;
    CHECK_EQ_INT(eh_complete(&h, t, CMDS(c), &err), SG_EINVAL);
    CHECK_EQ_INT(err.wft_failed_cause, WFT_CAUSE(BAD_START_CHILD_EXECUTION_ATTRIBUTES));
    eh_deinit(&h);
}

SG_TEST(engine_child_failure_and_termination_reach_the_parent)
{
    eh h;
    eh_init(&h, NULL);
    const char *child;
    const char *run = parent_with_child(&h, "wf-p", "c-1", PCP(TERMINATE), &child);
    eh_wft *tc = eh_take_wft(&h, CHILD_TQ, false);
    CHECK_EQ_INT(eh_complete(&h, tc, CMDS(eh_cmd_fail_workflow(&h, "boom")), NULL), 0);
    pb_history *hist = eh_history(&h, run);
    CHECK_EQ_INT(hist->n_events, 8);
    Temporal__Api__History__V1__ChildWorkflowExecutionFailedEventAttributes *f =
        EV(hist, 8)->child_workflow_execution_failed_event_attributes;
    CHECK(f != NULL);
    CHECK_EQ_STR(f->failure->message, "boom");
    CHECK_EQ_INT(f->started_event_id, 6);
    CHECK_EQ_INT(eh_complete(&h, eh_take_wft(&h, EH_TQ, false), NULL, 0, NULL), 0);

    /* A second child, terminated by an operator. */
    const char *run2 = parent_with_child(&h, "wf-p2", "c-2", PCP(TERMINATE), &child);
    SG_UNUSED(run2);
    Temporal__Api__Workflowservice__V1__TerminateWorkflowExecutionRequest req =
        TEMPORAL__API__WORKFLOWSERVICE__V1__TERMINATE_WORKFLOW_EXECUTION_REQUEST__INIT;
    Temporal__Api__Common__V1__WorkflowExecution we = TEMPORAL__API__COMMON__V1__WORKFLOW_EXECUTION__INIT;
    we.workflow_id = "c-2";
    we.run_id = "";
    req.namespace_ = EH_NS;
    req.workflow_execution = &we;
    req.reason = "stuck";
    sg_engine_err err;
    memset(&err, 0, sizeof err);
    CHECK_EQ_INT(sg_engine_terminate(h.e, &h.a, EH_NS_ID, &req, &err), 0);
    eh_flush(&h);
    hist = eh_history(&h, run2);
    CHECK_EQ_INT(EV(hist, hist->n_events)->event_type, E(CHILD_WORKFLOW_EXECUTION_TERMINATED));
    eh_deinit(&h);
}

/* The parent completes: TERMINATE ends the child, REQUEST_CANCEL asks it to cancel, ABANDON
 * leaves it alone — all in the batch that closes the parent. */
SG_TEST(engine_child_parent_close_policies)
{
    eh h;
    eh_init(&h, NULL);
    const char *run = open_run(&h, "wf-p", NULL,
                               CMDS(child_cmd(&h, "kill-me", PCP(TERMINATE)),
                                    child_cmd(&h, "cancel-me", PCP(REQUEST_CANCEL)),
                                    child_cmd(&h, "leave-me", PCP(ABANDON))));
    CHECK_EQ_INT(eh_state(&h, run)->n_children, 3);
    pb_history *hist = eh_history(&h, run);
    const char *kid[3];
    for (int i = 0; i < 3; i++)
        kid[i] = sg_arena_strdup(
            &h.a, EV(hist, 8 + i)->child_workflow_execution_started_event_attributes->workflow_execution->run_id);
    eh_wft *tp = eh_take_wft(&h, EH_TQ, false);
    CHECK_EQ_INT(eh_complete(&h, tp, CMDS(eh_cmd_complete(&h, "bye")), NULL), 0);
    CHECK_EQ_INT(h.last_flush_rc, 0);
    hist = eh_history(&h, kid[0]);
    CHECK_EQ_INT(eh_state(&h, kid[0])->status, ST_TERMINATED);
    CHECK_EQ_INT(EV(hist, hist->n_events)->event_type, E(WORKFLOW_EXECUTION_TERMINATED));
    CHECK_EQ_INT(eh_state(&h, kid[1])->status, ST_RUNNING);
    EXPECT_HISTORY(&h, kid[1], E(WORKFLOW_EXECUTION_STARTED), E(WORKFLOW_TASK_SCHEDULED),
                   E(WORKFLOW_EXECUTION_CANCEL_REQUESTED));
    CHECK_EQ_INT(eh_state(&h, kid[2])->status, ST_RUNNING);
    EXPECT_HISTORY(&h, kid[2], E(WORKFLOW_EXECUTION_STARTED), E(WORKFLOW_TASK_SCHEDULED));
    /* The parent's history ends with its completion: nothing is recorded after its close. */
    hist = eh_history(&h, run);
    CHECK_EQ_INT(EV(hist, hist->n_events)->event_type, E(WORKFLOW_EXECUTION_COMPLETED));
    eh_deinit(&h);
}

/* The child's close and the parent's record of it commit together and survive a restart. */
SG_TEST(engine_child_close_survives_a_restart)
{
    char *path = sg_asprintf("%s/engine.db", sg_test_tmpdir());
    eh h;
    eh_init(&h, path);
    const char *child;
    const char *run = parent_with_child(&h, "wf-p", "c-1", PCP(TERMINATE), &child);
    eh_wft *tc = eh_take_wft(&h, CHILD_TQ, false);
    CHECK_EQ_INT(eh_complete(&h, tc, CMDS(eh_cmd_complete(&h, "out")), NULL), 0);
    eh_restart(&h, path);
    CHECK(sg_engine_recover(h.e) >= 0);
    pb_history *hist = eh_history(&h, run);
    CHECK_EQ_INT(EV(hist, 8)->event_type, E(CHILD_WORKFLOW_EXECUTION_COMPLETED));
    CHECK_EQ_INT(eh_state(&h, run)->n_children, 0);
    eh_deinit(&h);
    sg_free(path);
}

SG_TEST(engine_child_timeout_reaches_the_parent)
{
    eh h;
    eh_init(&h, NULL);
    pb_cmd *c = child_cmd(&h, "slow", PCP(TERMINATE));
    c->start_child_workflow_execution_command_attributes->workflow_run_timeout = sg_dur_ms(&h.a, 5000);
    const char *run = open_run(&h, "wf-p", NULL, CMDS(c));
    CHECK_EQ_INT(eh_complete(&h, eh_take_wft(&h, EH_TQ, false), NULL, 0, NULL), 0);
    eh_advance(&h, 5000);
    pb_history *hist = EXPECT_HISTORY(&h, run, E(WORKFLOW_EXECUTION_STARTED),
                                      E(WORKFLOW_TASK_SCHEDULED), E(WORKFLOW_TASK_STARTED),
                                      E(WORKFLOW_TASK_COMPLETED),
                                      E(START_CHILD_WORKFLOW_EXECUTION_INITIATED),
                                      E(CHILD_WORKFLOW_EXECUTION_STARTED), E(WORKFLOW_TASK_SCHEDULED),
                                      E(WORKFLOW_TASK_STARTED), E(WORKFLOW_TASK_COMPLETED),
                                      E(CHILD_WORKFLOW_EXECUTION_TIMED_OUT), E(WORKFLOW_TASK_SCHEDULED));
    CHECK_EQ_STR(EV(hist, 10)->child_workflow_execution_timed_out_event_attributes->workflow_execution->workflow_id,
                 "slow");
    CHECK_EQ_INT(eh_state(&h, run)->n_children, 0);
    eh_deinit(&h);
}

/* A child that continues as new stays its parent's child: the parent hears of the last run. */
SG_TEST(engine_child_continued_as_new_reports_its_last_run)
{
    eh h;
    eh_init(&h, NULL);
    const char *child;
    const char *run = parent_with_child(&h, "wf-p", "c-1", PCP(TERMINATE), &child);
    CHECK_EQ_INT(eh_complete(&h, eh_take_wft(&h, EH_TQ, false), NULL, 0, NULL), 0);
    eh_wft *tc = eh_take_wft(&h, CHILD_TQ, false);
    pb_cmd *can = eh_cmd_complete(&h, NULL);
    can->command_type =
        TEMPORAL__API__ENUMS__V1__COMMAND_TYPE__COMMAND_TYPE_CONTINUE_AS_NEW_WORKFLOW_EXECUTION;
    Temporal__Api__Command__V1__ContinueAsNewWorkflowExecutionCommandAttributes *in =
        sg_arena_alloc(&h.a, sizeof *in);
    temporal__api__command__v1__continue_as_new_workflow_execution_command_attributes__init(in);
    can->attributes_case =
        TEMPORAL__API__COMMAND__V1__COMMAND__ATTRIBUTES_CONTINUE_AS_NEW_WORKFLOW_EXECUTION_COMMAND_ATTRIBUTES;
    can->continue_as_new_workflow_execution_command_attributes = in;
    CHECK_EQ_INT(eh_complete(&h, tc, CMDS(can), NULL), 0);
    CHECK_EQ_INT(eh_history(&h, run)->n_events, 9); /* nothing new: the child goes on */
    eh_wft *tc2 = eh_take_wft(&h, CHILD_TQ, false);
    const char *run2 = tc2->resp.workflow_execution->run_id;
    CHECK(strcmp(run2, child) != 0);
    pb_history *ch2 = eh_history(&h, run2);
    CHECK_EQ_STR(EV(ch2, 1)->workflow_execution_started_event_attributes->parent_workflow_execution->run_id,
                 run);
    CHECK_EQ_STR(eh_state(&h, run2)->parent_run_id, run);
    CHECK_EQ_INT(eh_complete(&h, tc2, CMDS(eh_cmd_complete(&h, "last")), NULL), 0);
    pb_history *hist = eh_history(&h, run);
    CHECK_EQ_INT(EV(hist, 10)->event_type, E(CHILD_WORKFLOW_EXECUTION_COMPLETED));
    CHECK_EQ_STR(EV(hist, 10)->child_workflow_execution_completed_event_attributes->workflow_execution->run_id,
                 run2);
    eh_deinit(&h);
}

/* The visibility row's bytes, written directly, are exactly protobuf-c's packing of the same
 * WorkflowExecutionInfo: for a running and a closed run, a child (parent and root), and a run
 * with memo. */
static void check_listed_bytes(eh *h, const char *run)
{
    const ms_t *ms = eh_state(h, run);
    CHECK(ms != NULL);
    if (!ms)
        return;
    sg_arena a;
    sg_arena_init(&a);
    Temporal__Api__Workflow__V1__WorkflowExecutionInfo *info = sg_info_build_listed(&a, ms);
    size_t n = protobuf_c_message_get_packed_size(&info->base);
    uint8_t *want = sg_arena_alloc(&a, n + 1);
    protobuf_c_message_pack(&info->base, want);
    sg_buf got;
    sg_buf_init(&got);
    sg_info_pack_listed(&got, ms);
    CHECK_EQ_INT(got.len, n);
    CHECK(got.len == n && memcmp(sg_buf_head(&got), want, n) == 0);
    sg_buf_deinit(&got);
    sg_arena_deinit(&a);
}

SG_TEST(engine_visibility_row_bytes_match_protobuf_c)
{
    eh h;
    eh_init(&h, NULL);
    const char *child;
    const char *run = parent_with_child(&h, "wf-p", "c-1", PCP(TERMINATE), &child);
    check_listed_bytes(&h, run);
    check_listed_bytes(&h, child);
    eh_wft *tc = eh_take_wft(&h, CHILD_TQ, false);
    CHECK_EQ_INT(eh_complete(&h, tc, CMDS(eh_cmd_upsert_memo(&h, "k", "v"), eh_cmd_complete(&h, "out")), NULL), 0);
    check_listed_bytes(&h, child); /* closed, with memo */
    eh_deinit(&h);
}
