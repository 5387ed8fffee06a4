/* SPDX-License-Identifier: Apache-2.0 */
/* engine_tests.h: what the history engine's test files (test_engine_*.c) share — short names
 * for event types and policies, and the openings several tests start from.
 *
 * Design note. Each test drives the engine through engine_harness.h as a frontend plus a worker
 * would, on a virtual clock starting at EH_T0_MS, and states the exact stored history: every
 * event type in order, with the ids that tie events together (scheduled/started/wtc). Reading a
 * history through the harness also checks that ids run 1, 2, 3, ... without gaps. */
#ifndef SG_ENGINE_TESTS_H
#define SG_ENGINE_TESTS_H

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
static inline const char *open_run(eh *h, const char *wf, const eh_start_opts *o, pb_cmd **cmds,
                            size_t n)
{
    const char *run = eh_start_ok(h, wf, o);
    eh_wft *t = eh_take_wft(h, EH_TQ, false);
    CHECK_EQ_INT(eh_complete(h, t, cmds, n, NULL), 0);
    CHECK_EQ_INT(h->last_flush_rc, 0);
    return run;
}

static inline bool no_wft(eh *h, const char *queue, bool sticky)
{
    eh_wft t;
    return !eh_poll_wft(h, queue, sticky, &t) && t.rc == 0;
}

static inline bool no_act(eh *h)
{
    eh_act t;
    return !eh_poll_act(h, EH_TQ, &t) && t.rc == 0;
}

/* Activity a1 (event 5) and timer t1 (event 6); the timer fires and the second task (events 8,
 * 9) is started. poll_activity: the activity is handed out first. */
static inline const char *act_and_timer_run(eh *h, bool poll_activity, int64_t st2c_ms, eh_act **act,
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

/* ==== transient workflow tasks (PROTOCOL.md 3.3) ==== */

/* Starts a run and fails its first task (RespondWorkflowTaskFailed): events 1-4 are stored
 * and attempt 2 waits, transient, on the reserved ids 5 (scheduled) and 6 (started). */
static inline const char *failed_first_task_run(eh *h, const char *wf, const eh_start_opts *o)
{
    const char *run = eh_start_ok(h, wf, o);
    eh_wft *t1 = eh_take_wft(h, EH_TQ, false);
    CHECK_EQ_INT(eh_fail_wft(h, t1, WFT_CAUSE(WORKFLOW_WORKER_UNHANDLED_FAILURE), "panic"), 0);
    EXPECT_HISTORY(h, run, E(WORKFLOW_EXECUTION_STARTED), E(WORKFLOW_TASK_SCHEDULED),
                   E(WORKFLOW_TASK_STARTED), E(WORKFLOW_TASK_FAILED));
    eh_check_transient_state(h, run, 5, false, 2);
    return run;
}

#endif
