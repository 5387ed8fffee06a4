/* SPDX-License-Identifier: Apache-2.0 */
/* wft.h: the workflow task entity (wft.c has its diagram). */
#ifndef SG_HISTORY_WFT_H
#define SG_HISTORY_WFT_H

#include "history/hist.h"

/* The task's state (Sandglass__V1__WorkflowTaskState), derived for states stored before the
 * field existed; NONE when w is NULL. */
int sg_wft_state(const ms_wft *w);
const char *sg_wft_state_name(int state);
/* Moves w to state `to`, panicking on a transition the diagram does not have. */
void sg_wft_move(ms_wft *w, int to);
/* Schedules a workflow task if none is pending (writes WorkflowTaskScheduled, or reserves its
 * id for a transient attempt) and queues its dispatch. */
void sg_wft_schedule(sg_exec *x, sg_arena *a);
/* At commit: an unstarted transient attempt whose reserved ids events took is superseded by a
 * fresh first attempt (asked for with need_wft). */
void sg_wft_reconcile(sg_exec *x);
/* SCHEDULED -> STARTED for a poller; returns the started event id. */
int64_t sg_wft_start(sg_exec *x, sg_arena *a, bool from_sticky, const char *identity,
                  const char *request_id);
/* STARTED -> NONE on RespondWorkflowTaskCompleted: writes a transient attempt's events, then
 * WorkflowTaskCompleted; returns its id and the attempt that completed. */
int64_t sg_wft_complete(sg_exec *x, sg_arena *a,
                     const Temporal__Api__Workflowservice__V1__RespondWorkflowTaskCompletedRequest *req,
                     int32_t *attempt);
/* Records the worker's sticky queue for the next task (none: back to the normal queue). */
void sg_wft_set_sticky(sg_exec *x,
                    const Temporal__Api__Taskqueue__V1__StickyExecutionAttributes *sa);
/* Fails the started workflow task with cause (history event + next attempt). */
void sg_wft_fail(sg_exec *x, sg_arena *a, int cause, const pb_failure *failure, const char *identity);
/* A started task is abandoned because the run closes from outside (WorkflowTaskFailed with
 * FORCE_CLOSE_COMMAND unless transient). */
void sg_wft_force_close(sg_exec *x, sg_arena *a);
/* Any state -> NONE, keeping the attempt count. */
void sg_wft_clear(ms_wft *w);
/* Start backoff, start-to-close and sticky schedule-to-start timeouts due at now. */
void sg_wft_fire_due(sg_exec *x, sg_arena *a, int64_t now);
int64_t sg_wft_next_wakeup(const ms_t *ms);
/* The sticky queue is gone: forget it, and move a waiting task to the normal queue. */
void sg_wft_unstick(sg_exec *x);
/* Whether a task reference or token (scheduled id, stamp) names the current task in the given
 * state (started or only scheduled). */
bool sg_wft_matches(const ms_wft *w, int64_t scheduled_event_id, int64_t stamp, bool started);
/* A transient attempt's Scheduled (and Started) events, History-encoded, for readers. */
void sg_wft_append_transient(const sg_exec *x, sg_arena *a, sg_buf *out);
void sg_wft_materialize(sg_exec *x, sg_arena *a);
#endif
