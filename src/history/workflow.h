/* SPDX-License-Identifier: Apache-2.0 */
/* workflow.h: the run's own lifecycle (workflow.c has its diagram). */
#ifndef SG_HISTORY_WORKFLOW_H
#define SG_HISTORY_WORKFLOW_H

#include "history/hist.h"

/* What a new run starts with (a start, or a retry of a closed run). */
typedef struct wf_run_spec {
    const char *namespace_id, *namespace_name, *workflow_id, *run_id, *workflow_type, *task_queue;
    int64_t now;
    int64_t execution_timeout_ms, run_timeout_ms, task_timeout_ms; /* 0 = none */
    int64_t execution_expiration_ms;                                /* absolute; 0 = none */
    const char *first_execution_run_id, *start_request_id;
    const char *continued_run_id; /* the run this one retries, or NULL */
    int32_t attempt;
    const Temporal__Api__Common__V1__RetryPolicy *retry_policy;
    const Temporal__Api__Common__V1__Memo *memo;
    const Temporal__Api__Common__V1__SearchAttributes *search_attributes;
    int64_t backoff_ms; /* the first workflow task waits this long */
    /* A child workflow's parent and root (NULL/0: a top-level run). */
    const char *parent_workflow_id, *parent_run_id;
    int64_t parent_initiated_event_id;
    const char *root_workflow_id, *root_run_id;
    const char *cron_schedule; /* NULL or "": none */
} wf_run_spec;
/* A run that continues old (retry, continue-as-new) keeps old's parent and root. */
void sg_wf_spec_inherit(wf_run_spec *spec, const ms_t *old);
/* The one place a new run's mutable state is built (heap; the caller owns it). */
ms_t *sg_wf_new_state(const wf_run_spec *spec);
/* RUNNING -> status (after the caller wrote the close event); panics on any other move. */
void sg_wf_close(sg_exec *x, int status);
enum { WF_RUN_TIMEOUT = 1, WF_EXECUTION_TIMEOUT = 2 };
/* Which of the run's timeouts is due at now (0: none). */
int sg_wf_timeout_due(const ms_t *ms, int64_t now);
int64_t sg_wf_next_wakeup(const ms_t *ms);
/* Writes WorkflowExecutionTimedOut and closes the run. A run timeout with retries left sets
 * *retry_delay_ms >= 0 and new_run_id (SG_UUID_STR_LEN + 1 bytes); returns the failure. */
const pb_failure *sg_wf_time_out(sg_exec *x, sg_arena *a, int which, int64_t *retry_delay_ms,
                              char *new_run_id, bool *cron);
/* Writes WorkflowExecutionTerminated (reason, details, identity) and closes the run. */
void sg_wf_terminate_with(sg_exec *x, sg_arena *a, const char *reason,
                          const pb_payloads *details, const char *identity);
/* The same, without details. */
void sg_wf_terminate(sg_exec *x, sg_arena *a, const char *reason, const char *identity);
/* Whether a failed (or run-timed-out) run retries: the delay in ms, or -1 with *retry_state
 * saying why not. */
int64_t sg_wf_retry_delay(const sg_exec *x, const pb_failure *f, int64_t now, int *retry_state);
/* Records the completed workflow task wtc as an auto-reset point if it is the first one of the
 * worker build that completed it (Describe shows them; reset goes back to them). */
void sg_wf_note_reset_point(ms_t *ms,
                            const Temporal__Api__Workflowservice__V1__RespondWorkflowTaskCompletedRequest *req,
                            int64_t wtc);
/* The wait before the next run of cron run ms closing at now, or -1 (no cron schedule, or
 * the next run would start past the execution timeout). */
int64_t sg_wf_cron_delay(const ms_t *ms, int64_t now);
/* The state of the next cron run after closed run x (result: its result if it completed; f:
 * its failure otherwise), starting after delay_ms, and its WorkflowExecutionStarted event. */
ms_t *sg_wf_cron_state(sg_exec *x, sg_arena *a, const pb_payloads *result, const pb_failure *f,
                       int64_t delay_ms, const char *new_run_id, pb_event **started);
/* The state of the run retrying closed run x as new_run_id after delay_ms, and its
 * WorkflowExecutionStarted event (*started); NULL if x's start cannot be read. */
ms_t *sg_wf_retry_state(sg_exec *x, sg_arena *a, const pb_failure *f, int64_t delay_ms,
                     const char *new_run_id, pb_event **started);
/* The state of the run that continues closed run x as new_run_id (ContinueAsNew command
 * attributes in; what they leave unset carries over), and its WorkflowExecutionStarted event
 * (*started); NULL if x's start cannot be read. */
ms_t *sg_wf_continue_state(sg_exec *x, sg_arena *a,
                           const Temporal__Api__Command__V1__ContinueAsNewWorkflowExecutionCommandAttributes *in,
                           const char *new_run_id, pb_event **started);
/* Temporal's default limit of signals per run (history.maximumSignalsPerExecution). */
#define SG_WF_MAX_SIGNALS 10000
typedef struct sg_wf_signal_args {
    const char *name;
    pb_payloads *input;
    Temporal__Api__Common__V1__Header *header;
    const char *identity;
    const char *request_id; /* "" or NULL: not de-duplicated */
    /* Sent by another workflow (SignalExternalWorkflowExecution), or NULL. */
    Temporal__Api__Common__V1__WorkflowExecution *external;
} sg_wf_signal_args;
/* Whether a signal with this request id was received already. */
bool sg_wf_signal_seen(const ms_t *ms, const char *request_id);
bool sg_wf_signals_exhausted(const ms_t *ms);
/* WorkflowExecutionSignaled (buffered while a task runs); remembers the request id. */
void sg_wf_signal(sg_exec *x, sg_arena *a, const sg_wf_signal_args *sig);
/* WorkflowExecutionCancelRequested (buffered while a task runs); records the request. */
void sg_wf_request_cancel(sg_exec *x, sg_arena *a, const char *reason, const char *identity,
                          const char *request_id);
/* The same, requested by another workflow's RequestCancelExternal command. */
void sg_wf_request_cancel_external(sg_exec *x, sg_arena *a, const char *reason,
                                   int64_t initiated_event_id,
                                   Temporal__Api__Common__V1__WorkflowExecution *by);

#endif
