/* SPDX-License-Identifier: Apache-2.0 */
/* query.h: queries in flight (query.c). Never written to history or the store. */
#ifndef SG_HISTORY_QUERY_H
#define SG_HISTORY_QUERY_H

#include "history/hist.h"

/* Sets up and tears down the engine's query maps. */
void sg_query_init(sg_engine *e);
void sg_query_free_all(sg_engine *e);
/* A run's workflow task was handed out in resp: the run's buffered queries ride along in
 * resp->queries (answered in the completion's query_results). */
void sg_query_attach(sg_engine *e, const sg_exec *x, sg_arena *a,
                     Temporal__Api__Workflowservice__V1__PollWorkflowTaskQueueResponse *resp);
/* Answers the queries a workflow task completion carries results for. */
void sg_query_results(sg_engine *e, const sg_exec *x,
                      const Temporal__Api__Workflowservice__V1__RespondWorkflowTaskCompletedRequest *req);
/* A query task reference (scheduled_event_id < 0) offered to a poller: fills the legacy query
 * task (query set, started_event_id 0, full history). SG_ENOTFOUND when it is stale. */
int sg_query_task_start(sg_engine *e, sg_arena *a, const sg_task_ref *task,
                        Temporal__Api__Workflowservice__V1__PollWorkflowTaskQueueResponse *out,
                        sg_buf *history);
/* After a commit touched the run: queries whose task went away are buffered again, and
 * buffered queries of a run without a workflow task (or closed) become query tasks. */
void sg_query_on_run_committed(sg_engine *e, const char *namespace_id, const char *run_id);

#endif
