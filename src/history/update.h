/* SPDX-License-Identifier: Apache-2.0 */
/* update.h: workflow updates (update.c). */
#ifndef SG_HISTORY_UPDATE_H
#define SG_HISTORY_UPDATE_H

#include "history/hist.h"

#include "temporal/api/command/v1/message.pb-c.h"

void sg_update_init(sg_engine *e);
void sg_update_free_all(sg_engine *e);
/* A workflow task was handed out: the run's admitted updates ride along in resp->messages. */
void sg_update_attach(sg_engine *e, const sg_exec *x, sg_arena *a, int64_t started_event_id,
                      Temporal__Api__Workflowservice__V1__PollWorkflowTaskQueueResponse *resp);
/* The PROTOCOL_MESSAGE command naming message_id: writes WorkflowExecutionUpdateAccepted or
 * ...Completed for the acceptance or response it names. SG_EINVAL (with *why) when the message
 * is missing or is not one of those. */
int sg_update_apply_message(sg_exec *x, sg_arena *a,
                            const Temporal__Api__Workflowservice__V1__RespondWorkflowTaskCompletedRequest *req,
                            const char *message_id, int64_t wtc, const char **why);
/* After a completion committed: rejections (and updates the worker left unanswered) end with
 * a failure; accepted updates leave the in-memory registry. */
void sg_update_after_completion(sg_engine *e, const sg_exec *x,
                                const Temporal__Api__Workflowservice__V1__RespondWorkflowTaskCompletedRequest *req,
                                int64_t completed_sched);
/* After a commit touched the run: updates whose task went away wait for the next one (a task
 * is scheduled if none is pending), callers whose stage is reached are answered, and a closed
 * run's pending updates fail. */
void sg_update_on_run_committed(sg_engine *e, const char *namespace_id, const char *run_id);

#endif
