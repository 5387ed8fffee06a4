/* SPDX-License-Identifier: Apache-2.0 */
/* engine_harness.h: drives the history engine from unit tests the way the frontend and a worker
 * would — start a workflow, poll and complete workflow tasks, poll and end activities, move the
 * virtual clock and fire what is due — and reads back what reached the store.
 *
 * Everything a test builds or receives (requests, poll responses, decoded histories, error
 * strings) lives in the harness arena and is freed by eh_deinit. Every helper that makes the
 * engine write also ends the group-commit batch (sg_txn_flush), since tasks reach matching and
 * state becomes visible only after the commit; the flush status is kept in last_flush_rc.
 * With hold_batch set they leave it open, so that several operations share one commit.
 *
 * The engine's timer queue is internal; the harness reaches it through history/hist.h
 * (struct sg_engine) and calls sg_timerq_run_due, because with a virtual clock the queue's uv
 * timer is armed for real milliseconds and would not fire when the virtual clock jumps. */
#ifndef SG_ENGINE_HARNESS_H
#define SG_ENGINE_HARNESS_H

#include "history/hist.h"
#include "history/activity.h"
#include "history/commands.h"
#include "history/events.h"
#include "history/mstate.h"
#include "history/op.h"
#include "history/pbutil.h"
#include "history/query.h"
#include "history/read.h"
#include "history/retry.h"
#include "history/timer.h"
#include "history/token.h"
#include "history/wft.h"
#include "history/workflow.h"

#include "temporal/api/command/v1/message.pb-c.h"

#include <uv.h>

#define EH_NS_ID "0b9a2d5e-8f0c-4d53-9d6f-6a1f3c0e7a11"
#define EH_NS "default"
#define EH_TQ "tq"
#define EH_T0_MS 1700000000000LL /* virtual start time of every test */

typedef Temporal__Api__Command__V1__Command pb_cmd;
typedef Temporal__Api__History__V1__History pb_history;

typedef struct eh {
    uv_loop_t loop;
    sg_store *st;
    sg_txn *txn;
    sg_matching *m;
    sg_engine *e;
    sg_arena a;
    int last_flush_rc;
    bool hold_batch; /* helpers leave the batch open (several operations in one commit) */
    bool act_by_id;  /* eh_act_* address the activity by ids (the *ById RPCs), not its token */
    bool act_by_id_current; /* ... with an empty run id: the workflow's current run */
} eh;

/* Opens a store (path NULL: in memory), the loop, group commit, matching and the engine, and
 * sets the virtual clock to EH_T0_MS. */
void eh_init(eh *h, const char *path);
/* Tears the engine stack down and frees the arena. */
void eh_deinit(eh *h);
/* Stops everything but the arena and the clock (a server going away) and starts a fresh stack
 * on the same store file; the new engine has not recovered yet. */
void eh_restart(eh *h, const char *path);
/* Ends the open batch; returns (and keeps) its status. */
int eh_flush(eh *h);

/* ---- starting ---- */
typedef struct eh_start_opts {
    const char *request_id;     /* NULL: a fresh one per call */
    int64_t run_timeout_ms;     /* 0: unset */
    int64_t execution_timeout_ms;
    int64_t task_timeout_ms;
    int reuse_policy;
    int conflict_policy;
    Temporal__Api__Common__V1__RetryPolicy *retry; /* NULL: none */
    const char *cron;           /* NULL: none */
} eh_start_opts;

/* StartWorkflowExecution of type "wf-type" on EH_TQ, then flush. o may be NULL. */
int eh_start(eh *h, const char *workflow_id, const eh_start_opts *o,
             Temporal__Api__Workflowservice__V1__StartWorkflowExecutionResponse *out,
             sg_engine_err *err);
/* Starts and checks success; returns the run id (arena). */
const char *eh_start_ok(eh *h, const char *workflow_id, const eh_start_opts *o);

/* ---- workflow tasks ---- */
typedef struct eh_wft {
    bool got;   /* a task was handed out */
    int rc;     /* sg_engine_workflow_task_start's error when it was not SG_ENOTFOUND */
    int stale;  /* stale references matching offered and dropped before this one */
    Temporal__Api__Workflowservice__V1__PollWorkflowTaskQueueResponse resp;
    pb_history *history; /* decoded from the spliced bytes */
} eh_wft;

/* Polls queue (sticky: a sticky poll) without waiting, then flushes. Returns t->got. */
bool eh_poll_wft(eh *h, const char *queue, bool sticky, eh_wft *t);
/* Same, checking a task came; returns it (arena). */
eh_wft *eh_take_wft(eh *h, const char *queue, bool sticky);

/* RespondWorkflowTaskCompleted with cmds; sticky_queue non-NULL sets sticky attributes with a
 * schedule-to-start timeout of sticky_s2s_ms. Flushes. Returns the engine's result. */
int eh_complete_sticky(eh *h, const eh_wft *t, pb_cmd **cmds, size_t n, const char *sticky_queue,
                       int64_t sticky_s2s_ms, sg_engine_err *err);
int eh_complete(eh *h, const eh_wft *t, pb_cmd **cmds, size_t n, sg_engine_err *err);
/* RespondWorkflowTaskFailed with cause. Flushes. */
int eh_fail_wft(eh *h, const eh_wft *t, int cause, const char *message);

/* ---- commands (arena) ---- */
/* Durations of 0 are left unset. retry may be NULL. */
pb_cmd *eh_cmd_activity(eh *h, const char *activity_id, int64_t schedule_to_close_ms,
                        int64_t schedule_to_start_ms, int64_t start_to_close_ms,
                        int64_t heartbeat_ms, Temporal__Api__Common__V1__RetryPolicy *retry);
Temporal__Api__Common__V1__RetryPolicy *eh_retry(eh *h, int64_t initial_ms, double coefficient,
                                                 int64_t maximum_ms, int32_t maximum_attempts);
pb_cmd *eh_cmd_timer(eh *h, const char *timer_id, int64_t ms);
pb_cmd *eh_cmd_cancel_timer(eh *h, const char *timer_id);
pb_cmd *eh_cmd_marker(eh *h, const char *name);
pb_cmd *eh_cmd_complete(eh *h, const char *result);
pb_cmd *eh_cmd_cancel_workflow(eh *h, const char *details);
/* ModifyWorkflowProperties upserting memo key = value (a JSON payload). */
pb_cmd *eh_cmd_upsert_memo(eh *h, const char *key, const char *value);
pb_cmd *eh_cmd_cancel_activity(eh *h, int64_t scheduled_event_id);
/* StartChildWorkflowExecution of type "child-type" on EH_TQ (change the attributes freely). */
pb_cmd *eh_cmd_start_child(eh *h, const char *workflow_id);
pb_cmd *eh_cmd_fail_workflow(eh *h, const char *message);
/* ScheduleNexusOperation: a command Sandglass does not support yet. */
pb_cmd *eh_cmd_nexus(eh *h);
pb_payloads *eh_payloads(eh *h, const char *data);
/* The data of a Payloads' first payload as a string (arena), or NULL. */
const char *eh_payload_str(eh *h, const pb_payloads *p);

/* ---- activities ---- */
typedef struct eh_act {
    bool got;
    int rc;
    int stale;
    Temporal__Api__Workflowservice__V1__PollActivityTaskQueueResponse resp;
} eh_act;

bool eh_poll_act(eh *h, const char *queue, eh_act *t);
eh_act *eh_take_act(eh *h, const char *queue);
/* End the attempt t carries. Each flushes and returns the engine's result. */
int eh_act_complete(eh *h, const eh_act *t, const char *result);
/* non_retryable sets ApplicationFailureInfo.non_retryable; hb_details may be NULL. */
int eh_act_fail(eh *h, const eh_act *t, const char *message, bool non_retryable,
                const char *hb_details);
int eh_act_canceled(eh *h, const eh_act *t);
int eh_act_heartbeat(eh *h, const eh_act *t, const char *details, bool *cancel_requested);

/* ---- time ---- */
/* Advances the virtual clock by ms, fires every due wake-up, flushes. */
void eh_advance(eh *h, int64_t ms);

/* ---- reading back ---- */
/* The run's stored history, decoded (arena). Checks event ids are 1, 2, 3, ... */
pb_history *eh_history(eh *h, const char *run_id);
/* The stored history as it is, unchecked; and a one-line dump of one to stderr. */
pb_history *eh_history_raw(eh *h, const char *run_id);
void eh_print_history(const char *what, const pb_history *hist);
/* Checks ids of hist increase by one from first_id. */
void eh_check_ids(const pb_history *hist, int64_t first_id);
/* Checks the types of hist are exactly types[0..n); prints both lists when not. */
void eh_check_types(const pb_history *hist, const int *types, size_t n, const char *file,
                    int line);
/* Checks a polled task's history: ids increase by one from first_id, the types are exactly
 * types[0..n), and when it is the last page (no next_page_token) it ends at the response's
 * started_event_id. */
void eh_check_poll_history(const eh_wft *t, int64_t first_id, const int *types, size_t n,
                           const char *file, int line);
#define EXPECT_POLL_HISTORY(t, first_id, ...)                                                 \
    eh_check_poll_history((t), (first_id), (int[]){ __VA_ARGS__ }, EH_N(__VA_ARGS__),         \
                          __FILE__, __LINE__)
/* A transient workflow task (attempt >= 2, PROTOCOL.md 3.3) as a full-history poll of it shows
 * it: the run's stored history (events 1 .. sched-1, compared event by event), then the
 * synthesized WorkflowTaskScheduled (id sched, this attempt, on the normal queue) and
 * WorkflowTaskStarted (id sched + 1, naming sched, the poller's identity and request id), their
 * times the response's scheduled/started times; started_event_id = sched + 1, attempt as given,
 * no next page. Also checks that neither event is stored and that the stored state holds the
 * attempt as started and transient, with next_event_id still at the reserved sched. */
void eh_check_transient_poll(eh *h, const char *run_id, const eh_wft *t, int64_t sched,
                             int32_t attempt);
/* The stored state's pending workflow task is a transient attempt: not yet written, ids
 * reserved from next_event_id (== sched), started (sched + 1) or not (0). */
void eh_check_transient_state(eh *h, const char *run_id, int64_t sched, bool started,
                              int32_t attempt);
/* Whether two events encode to the same bytes. */
bool eh_same_event(eh *h, const pb_event *x, const pb_event *y);
/* The run's stored mutable state (arena). */
ms_t *eh_state(eh *h, const char *run_id);
const char *eh_event_name(int type);

#define EH_N(...) (sizeof((int[]){ __VA_ARGS__ }) / sizeof(int))
/* EXPECT_HISTORY(h, run, EVT(A), EVT(B), ...): reads the stored history, checks ids and types,
 * evaluates to the history. */
#define EXPECT_HISTORY(h, run, ...)                                                           \
    eh_expect_history((h), (run), (int[]){ __VA_ARGS__ }, EH_N(__VA_ARGS__), __FILE__, __LINE__)
pb_history *eh_expect_history(eh *h, const char *run_id, const int *types, size_t n,
                              const char *file, int line);
#define CMDS(...) ((pb_cmd *[]){ __VA_ARGS__ }), (sizeof((pb_cmd *[]){ __VA_ARGS__ }) / sizeof(pb_cmd *))

#endif
