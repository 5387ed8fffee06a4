/* SPDX-License-Identifier: Apache-2.0 */
/* fuzz_wft.c: libFuzzer target for workflow-task completion commands against a run in each
 * state.
 *
 * Input: byte 0 picks the state the run is brought to (below) with the engine harness; the
 * rest is a RespondWorkflowTaskCompletedRequest (inputs that do not parse are rejected). Its
 * task token and namespace are replaced by the started task's, it is sent through the frontend
 * (fuzz_common.c: answered exactly once, reply well-formed), and then the run must stay
 * readable and drivable: stored history with contiguous ids, its mutable state parses,
 * GetWorkflowExecutionHistory and DescribeWorkflowExecution answer OK, and a few rounds of
 * "poll and complete whatever task is there, let an hour pass" keep all of that true.
 *
 * Every input gets a fresh in-memory stack, so a finding replays alone. */
#include "fuzz_common.h"

#include "temporal/api/enums/v1/failed_cause.pb-c.h"

#include <string.h>

typedef Temporal__Api__Workflowservice__V1__RespondWorkflowTaskCompletedRequest wftc_req;

enum {
    WS_FRESH,          /* first workflow task started */
    WS_ACT_SCHEDULED,  /* an activity scheduled (not started); a timer fired: task 2 */
    WS_ACT_STARTED,    /* the same with the activity started by a worker */
    WS_TIMER_PENDING,  /* a 1 h timer pending; a 1 s timer fired: task 2 */
    WS_ACT_COMPLETED,  /* task 2 after an activity completed */
    WS_ACT_FAILED,     /* task 2 after an activity failed for good */
    WS_TRANSIENT,      /* attempt 2 after the worker failed task 1 */
    WS_TIMED_OUT,      /* attempt 2 after task 1 timed out */
    WS_STICKY,         /* task 2 on a sticky queue */
    WS_ACT_CANCEL_REQ, /* task 3 after the workflow asked to cancel a started activity */
    WS_RUN_TIMEOUT,    /* first task of a run with run and execution timeouts */
    WS_COUNT
};

#define STICKY_Q "sticky-q"

typedef struct run {
    const char *run_id;
    eh_wft *task;
} run;

static void complete_ok(eh *h, const eh_wft *t, pb_cmd **cmds, size_t n)
{
    sg_engine_err err;
    int rc = eh_complete(h, t, cmds, n, &err);
    if (rc != 0)
        fz_fail("setup: completing a task failed: %s", err.message ? err.message : "?");
}

static pb_cmd **cmds2(eh *h, pb_cmd *a, pb_cmd *b)
{
    pb_cmd **c = sg_arena_alloc(&h->a, 2 * sizeof *c);
    c[0] = a;
    c[1] = b;
    return c;
}

/* Brings a fresh run to state st; returns it with its started workflow task. */
static run bring_to_state(eh *h, int st)
{
    run r = { 0 };
    eh_start_opts o = { 0 };
    if (st == WS_TIMED_OUT)
        o.task_timeout_ms = 10000;
    if (st == WS_RUN_TIMEOUT) {
        o.run_timeout_ms = 60000;
        o.execution_timeout_ms = 120000;
    }
    r.run_id = eh_start_ok(h, "fuzz-wf", &o);
    eh_wft *t1 = eh_take_wft(h, EH_TQ, false);
    switch (st) {
    case WS_FRESH:
    case WS_RUN_TIMEOUT:
        r.task = t1;
        break;
    case WS_ACT_SCHEDULED:
    case WS_ACT_STARTED:
        complete_ok(h, t1, cmds2(h, eh_cmd_activity(h, "act-1", 0, 0, 60000, 0, NULL),
                                 eh_cmd_timer(h, "timer-1", 1000)),
                    2);
        if (st == WS_ACT_STARTED)
            eh_take_act(h, EH_TQ);
        eh_advance(h, 1000);
        r.task = eh_take_wft(h, EH_TQ, false);
        break;
    case WS_TIMER_PENDING:
        complete_ok(h, t1, cmds2(h, eh_cmd_timer(h, "timer-long", 3600000),
                                 eh_cmd_timer(h, "timer-1", 1000)),
                    2);
        eh_advance(h, 1000);
        r.task = eh_take_wft(h, EH_TQ, false);
        break;
    case WS_ACT_COMPLETED:
    case WS_ACT_FAILED: {
        pb_cmd *a = eh_cmd_activity(h, "act-1", 0, 0, 60000, 0, eh_retry(h, 1000, 2.0, 0, 1));
        complete_ok(h, t1, &a, 1);
        eh_act *at = eh_take_act(h, EH_TQ);
        int rc = st == WS_ACT_COMPLETED ? eh_act_complete(h, at, "result")
                                        : eh_act_fail(h, at, "boom", true, NULL);
        if (rc != 0)
            fz_fail("setup: ending the activity failed");
        r.task = eh_take_wft(h, EH_TQ, false);
        break;
    }
    case WS_TRANSIENT:
        if (eh_fail_wft(h, t1,
                        TEMPORAL__API__ENUMS__V1__WORKFLOW_TASK_FAILED_CAUSE__WORKFLOW_TASK_FAILED_CAUSE_WORKFLOW_WORKER_UNHANDLED_FAILURE,
                        "panic") != 0)
            fz_fail("setup: failing the task failed");
        r.task = eh_take_wft(h, EH_TQ, false);
        break;
    case WS_TIMED_OUT:
        eh_advance(h, 11000);
        r.task = eh_take_wft(h, EH_TQ, false);
        break;
    case WS_STICKY: {
        pb_cmd *c = eh_cmd_timer(h, "timer-1", 1000);
        if (eh_complete_sticky(h, t1, &c, 1, STICKY_Q, 5000, NULL) != 0)
            fz_fail("setup: sticky completion failed");
        eh_wft none; /* the worker polls its sticky queue: matching now knows a poller is there */
        eh_poll_wft(h, STICKY_Q, true, &none);
        eh_advance(h, 1000);
        r.task = eh_take_wft(h, STICKY_Q, true);
        break;
    }
    case WS_ACT_CANCEL_REQ: {
        complete_ok(h, t1, cmds2(h, eh_cmd_activity(h, "act-1", 0, 0, 60000, 0, NULL),
                                 eh_cmd_timer(h, "timer-1", 1000)),
                    2);
        eh_take_act(h, EH_TQ);
        eh_advance(h, 1000);
        eh_wft *t2 = eh_take_wft(h, EH_TQ, false);
        /* Events: 1 started, 2-4 task 1, 5 activity scheduled, 6 timer started. */
        complete_ok(h, t2, cmds2(h, eh_cmd_cancel_activity(h, 5), eh_cmd_timer(h, "timer-2", 1000)),
                    2);
        eh_advance(h, 1000);
        r.task = eh_take_wft(h, EH_TQ, false);
        break;
    }
    default: fz_fail("bad state %d", st);
    }
    return r;
}

/* A polled task's history: contiguous ids ending at started_event_id on its last page. */
static void check_task_history(const eh_wft *t)
{
    const pb_history *hist = t->history;
    if (!hist || !hist->n_events)
        return;
    eh_check_ids(hist, hist->events[0]->event_id);
    if (!t->resp.next_page_token.len &&
        hist->events[hist->n_events - 1]->event_id != t->resp.started_event_id)
        fz_fail("polled history ends at %lld, started_event_id is %lld",
                (long long)hist->events[hist->n_events - 1]->event_id,
                (long long)t->resp.started_event_id);
}

/* The run reads back through the store and through the frontend. */
static void check_readable(fz_env *z, const char *run_id)
{
    eh *h = &z->h;
    if (sg_txn_is_open(h->txn))
        fz_fail("a batch is still open");
    eh_history(h, run_id);
    eh_state(h, run_id);

    Temporal__Api__Common__V1__WorkflowExecution ex = TEMPORAL__API__COMMON__V1__WORKFLOW_EXECUTION__INIT;
    ex.workflow_id = "fuzz-wf";
    ex.run_id = (char *)run_id;
    fz_result r;
    Temporal__Api__Workflowservice__V1__GetWorkflowExecutionHistoryRequest gh =
        TEMPORAL__API__WORKFLOWSERVICE__V1__GET_WORKFLOW_EXECUTION_HISTORY_REQUEST__INIT;
    gh.namespace_ = EH_NS;
    gh.execution = &ex;
    fz_call_msg(z, "GetWorkflowExecutionHistory", &gh.base, FZ_DEADLINE, &r);
    if (r.status != 0)
        fz_fail("GetWorkflowExecutionHistory answered %d", r.status);
    fz_result_deinit(&r);

    Temporal__Api__Workflowservice__V1__DescribeWorkflowExecutionRequest dw =
        TEMPORAL__API__WORKFLOWSERVICE__V1__DESCRIBE_WORKFLOW_EXECUTION_REQUEST__INIT;
    dw.namespace_ = EH_NS;
    dw.execution = &ex;
    fz_call_msg(z, "DescribeWorkflowExecution", &dw.base, 0, &r);
    if (r.status != 0)
        fz_fail("DescribeWorkflowExecution answered %d", r.status);
    fz_result_deinit(&r);
}

/* Plays a well-behaved worker for a few rounds: completes any activity, answers any workflow
 * task by completing the workflow, lets an hour pass; the run stays readable throughout. */
static void drive(fz_env *z, const char *run_id)
{
    eh *h = &z->h;
    for (int round = 0; round < 3; round++) {
        eh_act at;
        if (eh_poll_act(h, EH_TQ, &at))
            eh_act_complete(h, &at, "late-result");
        static const char *const queues[] = { STICKY_Q, EH_TQ };
        for (size_t i = 0; i < SG_ARRAY_LEN(queues); i++) {
            eh_wft t;
            if (!eh_poll_wft(h, queues[i], i == 0, &t))
                continue;
            check_task_history(&t);
            pb_cmd *c = eh_cmd_complete(h, "done");
            eh_complete(h, &t, &c, 1, NULL);
        }
        check_readable(z, run_id);
        eh_advance(h, 3600000);
    }
    check_readable(z, run_id);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return -1;
    wftc_req *req =
        temporal__api__workflowservice__v1__respond_workflow_task_completed_request__unpack(
            NULL, size - 1, data + 1);
    if (!req)
        return -1;
    fz_env env;
    fz_env_open(&env);
    run r = bring_to_state(&env.h, data[0] % WS_COUNT);

    ProtobufCBinaryData old_token = req->task_token;
    char *old_ns = req->namespace_;
    req->task_token = r.task->resp.task_token;
    req->namespace_ = EH_NS;
    fz_result res;
    fz_call_msg(&env, "RespondWorkflowTaskCompleted", &req->base, 0, &res);
    fz_result_deinit(&res);
    req->task_token = old_token;
    req->namespace_ = old_ns;
    protobuf_c_message_free_unpacked(&req->base, NULL);

    check_readable(&env, r.run_id);
    drive(&env, r.run_id);
    fz_env_close(&env);
    return 0;
}
