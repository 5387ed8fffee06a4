/* SPDX-License-Identifier: Apache-2.0 */
/* engine.h: the history engine — the only writer of workflow runs' history and mutable state.
 *
 * The frontend validates requests and calls in here; the engine applies them to the run's
 * mutable state, appends the history events they produce as one batch per operation, and
 * writes both through the open group-commit batch. Side effects that must not precede the
 * commit (handing new tasks to matching, waking history long polls) run from the commit's
 * completion. Every function documents its errors; "stale" task or token errors are
 * SG_ENOTFOUND, which the frontend reports as NOT_FOUND like Temporal. */
#ifndef SG_ENGINE_H
#define SG_ENGINE_H

#include "core/arena.h"
#include "core/buf.h"
#include "matching/matching.h"
#include "store/store.h"
#include "store/txn.h"

#include "temporal/api/workflowservice/v1/request_response.pb-c.h"
#include "temporal/api/update/v1/message.pb-c.h"

#include <uv.h>

typedef struct sg_engine sg_engine;

typedef struct sg_engine_deps {
    uv_loop_t *loop;
    sg_store *st;
    sg_txn *txn;
    sg_matching *matching;
    /* The registered type (IndexedValueType) of a custom search attribute, 0 if none: the
     * visibility index stores values by it (the SDKs' legacy encoding names no type). NULL:
     * the payloads' own type metadata only. */
    int (*attr_type)(void *ud, const char *namespace_id, const char *name);
    void *attr_type_ud;
} sg_engine_deps;

/* Details of a failed engine call, for the frontend's error reply. Strings live in the arena
 * passed to the call. */
typedef struct sg_engine_err {
    char *message;
    /* WorkflowExecutionAlreadyStarted: the running run and the request id that started it. */
    char *existing_run_id;
    char *existing_request_id;
    /* RespondWorkflowTaskCompleted rejected for a command: the WorkflowTaskFailedCause. */
    int wft_failed_cause;
} sg_engine_err;

sg_engine *sg_engine_new(const sg_engine_deps *deps);
/* After the commit that closes a run (and after any later commit of a closed run), in the
 * after-flush pass: fn(ud, namespace_id, workflow_id, run_id, status) with the run's
 * WorkflowExecutionStatus. fn may start operations (they join the next batch). One hook; NULL
 * removes it. */
typedef void (*sg_engine_close_fn)(void *ud, const char *namespace_id, const char *workflow_id,
                                   const char *run_id, int status);
void sg_engine_on_close(sg_engine *e, sg_engine_close_fn fn, void *ud);
void sg_engine_free(sg_engine *e);

/* For time skipping (timeskip/): whether a worker holds, or may take now, work of any run (a
 * workflow task, or an activity not waiting for a retry); the earliest wake-up of any run (0:
 * none); and that sg_clock_now_ms jumped forward, so due wake-ups fire. */
bool sg_engine_has_busy_runs(const sg_engine *e);
int64_t sg_engine_next_wakeup(sg_engine *e);
void sg_engine_clock_moved(sg_engine *e);
/* Start-up recovery: loads every running run, re-queues its pending tasks and re-arms its
 * timers (overdue ones fire at once). Returns the number of runs recovered or a store error. */
int sg_engine_recover(sg_engine *e);

/* StartWorkflowExecution. ns: the resolved namespace (id and name). On success fills out
 * (strings in arena). Errors: SG_EEXIST (already running; err has the run and request id),
 * SG_EINVAL (bad argument; err->message), SG_ENOTSUP, store errors. */
int sg_engine_start_workflow(sg_engine *e, sg_arena *a, const char *namespace_id,
                             const char *namespace_name,
                             const Temporal__Api__Workflowservice__V1__StartWorkflowExecutionRequest *req,
                             Temporal__Api__Workflowservice__V1__StartWorkflowExecutionResponse *out,
                             sg_engine_err *err);

/* SignalWorkflowExecution: WorkflowExecutionSignaled on the run (the current one for an empty
 * run id), buffered while a workflow task runs; a request id seen before is a no-op.
 * SG_ENOTFOUND (no such run; or closed: err->message "workflow execution already completed"),
 * SG_ELIMIT (too many signals), store errors. */
int sg_engine_signal(sg_engine *e, sg_arena *a, const char *namespace_id,
                     const Temporal__Api__Workflowservice__V1__SignalWorkflowExecutionRequest *req,
                     sg_engine_err *err);
/* SignalWithStartWorkflowExecution: signals the running run (conflict policy USE_EXISTING,
 * the default) or starts a new run whose first events are Started and Signaled; errors as a
 * start's. */
int sg_engine_signal_with_start(
    sg_engine *e, sg_arena *a, const char *namespace_id, const char *namespace_name,
    const Temporal__Api__Workflowservice__V1__SignalWithStartWorkflowExecutionRequest *req,
    Temporal__Api__Workflowservice__V1__SignalWithStartWorkflowExecutionResponse *out,
    sg_engine_err *err);
/* RequestCancelWorkflowExecution: WorkflowExecutionCancelRequested and a workflow task; a
 * second request, or one for a closed run, is a no-op success (as in Temporal). SG_ENOTFOUND
 * for a missing run or a first_execution_run_id that does not match. */
int sg_engine_request_cancel(
    sg_engine *e, sg_arena *a, const char *namespace_id,
    const Temporal__Api__Workflowservice__V1__RequestCancelWorkflowExecutionRequest *req,
    sg_engine_err *err);
/* TerminateWorkflowExecution: a started workflow task fails (FORCE_CLOSE_COMMAND), then
 * WorkflowExecutionTerminated; pending work is dropped and its tokens answer NOT_FOUND.
 * SG_ENOTFOUND as for signals. */
int sg_engine_terminate(
    sg_engine *e, sg_arena *a, const char *namespace_id,
    const Temporal__Api__Workflowservice__V1__TerminateWorkflowExecutionRequest *req,
    sg_engine_err *err);

/* DeleteWorkflowExecution: terminates a running run, then deletes the run's history, state
 * and current-run row; it answers NOT_FOUND everywhere afterwards. SG_ENOTFOUND, store
 * errors. */
int sg_engine_delete(sg_engine *e, sg_arena *a, const char *namespace_id,
                     const Temporal__Api__Common__V1__WorkflowExecution *we, sg_engine_err *err);

/* ResetWorkflowExecution (reset.c): a new run with the history up to the chosen workflow
 * task, which then fails with RESET_WORKFLOW; later signals re-applied; the current run
 * terminated if running. out->run_id names the new run. SG_EINVAL (bad event id), SG_ENOTSUP
 * (a history the rebuild does not know yet), SG_ENOTFOUND, store errors; err->message. */
int sg_engine_reset(sg_engine *e, sg_arena *a, const char *namespace_id,
                    const Temporal__Api__Workflowservice__V1__ResetWorkflowExecutionRequest *req,
                    Temporal__Api__Workflowservice__V1__ResetWorkflowExecutionResponse *out,
                    sg_engine_err *err);

/* QueryWorkflow. How a query ended: answered (answer), failed by the workflow (rc SG_EINVAL,
 * error_message and failure), or rejected by query_reject_condition (rejected_status, the
 * run's WorkflowExecutionStatus). Pointers are valid during the callback only. */
typedef struct sg_query_outcome {
    int rc;
    int rejected_status;
    const Temporal__Api__Common__V1__Payloads *answer;
    const char *error_message;
    const Temporal__Api__Failure__V1__Failure *failure;
} sg_query_outcome;
typedef void (*sg_query_done_fn)(void *ud, const sg_query_outcome *o);
typedef struct sg_query sg_query;
/* Starts a query on the run (the current one for an empty run id): done(ud, outcome) is
 * called exactly once — at once when the reject condition applies (*out is then NULL), else
 * when a worker answers — unless sg_engine_query_cancel comes first. SG_ENOTFOUND, store
 * errors (done not called). Nothing is written. */
int sg_engine_query(sg_engine *e, sg_arena *a, const char *namespace_id,
                    const Temporal__Api__Workflowservice__V1__QueryWorkflowRequest *req,
                    sg_query_done_fn done, void *ud, sg_query **out, sg_engine_err *err);
/* The caller gave up (deadline, client gone): the query is dropped, done is not called. */
void sg_engine_query_cancel(sg_engine *e, sg_query *q);
/* RespondQueryTaskCompleted. SG_EINVAL (not a query token), SG_ENOTFOUND (unknown or gone). */
int sg_engine_query_task_completed(
    sg_engine *e, sg_arena *a,
    const Temporal__Api__Workflowservice__V1__RespondQueryTaskCompletedRequest *req,
    sg_engine_err *err);

/* Workflow updates. A caller waits for its update to reach a lifecycle stage (ADMITTED,
 * ACCEPTED, COMPLETED); the result says which stage it reached and, once COMPLETED, the outcome
 * (a rejection completes the update with a failure outcome). rc SG_ENOTFOUND with message when
 * the run closed before the update completed. Pointers are valid during the callback only. */
typedef struct sg_update_result {
    int rc;
    const char *message;
    int stage;
    const Temporal__Api__Update__V1__Outcome *outcome;
    const char *run_id;
} sg_update_result;
typedef void (*sg_update_fn)(void *ud, const sg_update_result *r);
typedef struct sg_update_wait sg_update_wait;
/* UpdateWorkflowExecution: admits the update (a workflow task delivers it; the same update id
 * again joins the first), then calls fn once its wait_policy stage is reached — at once if it
 * already is (*out NULL), else later (*out: the wait). SG_ENOTFOUND (no such run, or closed),
 * SG_EINVAL (err->message), store errors: fn not called. */
int sg_engine_update(sg_engine *e, sg_arena *a, const char *namespace_id,
                     const Temporal__Api__Workflowservice__V1__UpdateWorkflowExecutionRequest *req,
                     sg_update_fn fn, void *ud, sg_update_wait **out, sg_engine_err *err);
/* PollWorkflowExecutionUpdate: as above for an update already admitted; SG_ENOTFOUND "update
 * not found" for an unknown update id. */
int sg_engine_poll_update(sg_engine *e, sg_arena *a, const char *namespace_id,
                          const Temporal__Api__Workflowservice__V1__PollWorkflowExecutionUpdateRequest *req,
                          sg_update_fn fn, void *ud, sg_update_wait **out, sg_engine_err *err);
/* Ends a wait early: with answer, fn is called now with the stage reached so far (the caller's
 * deadline); without, silently (the caller went away). */
void sg_engine_update_wait_end(sg_engine *e, sg_update_wait *w, bool answer);

/* Hands a workflow task to a poller: records it started and fills out, except its history,
 * which is appended to history as the bytes of a History message (stored batches spliced;
 * the caller adds them as field 8 after packing out). SG_ENOTFOUND when the reference is stale
 * (the caller drops it and tries the next). from_sticky: polled on a sticky queue (history
 * then starts after the last completed task). */
int sg_engine_workflow_task_start(sg_engine *e, sg_arena *a, const sg_task_ref *task,
                                  bool from_sticky, const char *identity, const char *request_id,
                                  Temporal__Api__Workflowservice__V1__PollWorkflowTaskQueueResponse *out,
                                  sg_buf *history);
/* RespondWorkflowTaskCompleted. SG_ENOTFOUND: unknown or stale token. SG_EINVAL: a command was
 * invalid — the task was failed with err->wft_failed_cause and err->message says why. */
int sg_engine_workflow_task_completed(
    sg_engine *e, sg_arena *a,
    const Temporal__Api__Workflowservice__V1__RespondWorkflowTaskCompletedRequest *req,
    Temporal__Api__Workflowservice__V1__RespondWorkflowTaskCompletedResponse *out,
    sg_engine_err *err);
/* RespondWorkflowTaskFailed. SG_ENOTFOUND for a stale token. */
int sg_engine_workflow_task_failed(
    sg_engine *e, sg_arena *a,
    const Temporal__Api__Workflowservice__V1__RespondWorkflowTaskFailedRequest *req,
    sg_engine_err *err);

/* Hands an activity task to a poller. SG_ENOTFOUND when stale. */
int sg_engine_activity_task_start(sg_engine *e, sg_arena *a, const sg_task_ref *task,
                                  const char *identity, const char *request_id,
                                  Temporal__Api__Workflowservice__V1__PollActivityTaskQueueResponse *out);

/* How an activity attempt ended, from any of the Respond* RPCs (token or by-id). */
typedef enum { SG_ACT_COMPLETED, SG_ACT_FAILED, SG_ACT_CANCELED } sg_activity_outcome;

typedef struct sg_activity_target {
    const uint8_t *token; /* task token, or NULL to address by id: */
    size_t token_len;
    const char *namespace_id;
    const char *workflow_id;
    const char *run_id; /* "" = current run */
    const char *activity_id;
} sg_activity_target;

/* Ends the current attempt. payload: result (completed) or details (canceled), as a serialized
 * temporal.api.common.v1.Payloads (may be NULL); failure: serialized Failure (failed);
 * last_heartbeat_details: serialized Payloads (failed, optional). SG_ENOTFOUND: no such running
 * attempt. SG_EPRECOND: canceled without a cancel request. */
int sg_engine_activity_task_end(sg_engine *e, sg_arena *a, const sg_activity_target *t,
                                sg_activity_outcome outcome, const ProtobufCMessage *payload,
                                const ProtobufCMessage *failure,
                                const ProtobufCMessage *last_heartbeat_details,
                                const char *identity);
/* Records a heartbeat; *cancel_requested tells the worker to stop. SG_ENOTFOUND if stale. */
int sg_engine_activity_heartbeat(sg_engine *e, sg_arena *a, const sg_activity_target *t,
                                 const ProtobufCMessage *details, const char *identity,
                                 bool *cancel_requested);

/* GetWorkflowExecutionHistory without waiting: fills out (without its history) and appends
 * the page's History bytes to history (the caller adds them as field 1). *is_waitable is set
 * when the request asked to wait and nothing is there yet: the caller then waits with
 * sg_engine_watch and asks again. with_transient: the caller is an SDK, whose last page must
 * also show a transient workflow task's Scheduled/Started events (Temporal does the same).
 * Errors: SG_ENOTFOUND (no such run), SG_EINVAL (bad token). */
int sg_engine_get_history(sg_engine *e, sg_arena *a, const char *namespace_id,
                          const Temporal__Api__Workflowservice__V1__GetWorkflowExecutionHistoryRequest *req,
                          bool with_transient,
                          Temporal__Api__Workflowservice__V1__GetWorkflowExecutionHistoryResponse *out,
                          sg_buf *history, bool *is_waitable);
int sg_engine_get_history_reverse(
    sg_engine *e, sg_arena *a, const char *namespace_id,
    const Temporal__Api__Workflowservice__V1__GetWorkflowExecutionHistoryReverseRequest *req,
    Temporal__Api__Workflowservice__V1__GetWorkflowExecutionHistoryReverseResponse *out,
    sg_buf *history);

/* Watches a run for new events: fn(ud) runs once, after the commit that appends events to the
 * run (or closes it). Returns a handle for sg_engine_unwatch, or NULL if the run is unknown. */
typedef struct sg_watch sg_watch;
sg_watch *sg_engine_watch(sg_engine *e, const char *namespace_id, const char *workflow_id,
                          const char *run_id, void (*fn)(void *ud), void *ud);
void sg_engine_unwatch(sg_engine *e, sg_watch *w);

/* DescribeWorkflowExecution. SG_ENOTFOUND if the run does not exist. */
int sg_engine_describe(sg_engine *e, sg_arena *a, const char *namespace_id,
                       const Temporal__Api__Workflowservice__V1__DescribeWorkflowExecutionRequest *req,
                       Temporal__Api__Workflowservice__V1__DescribeWorkflowExecutionResponse *out);

/* ResetStickyTaskQueue: forgets the run's sticky queue. SG_ENOTFOUND if no such run. */
int sg_engine_reset_sticky(sg_engine *e, const char *namespace_id, const char *workflow_id,
                           const char *run_id);
/* A worker with this sticky queue shut down: its runs' tasks go back to their normal queues. */
void sg_engine_sticky_queue_gone(sg_engine *e, const char *namespace_id, const char *sticky_queue);

#endif
