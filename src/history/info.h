/* SPDX-License-Identifier: Apache-2.0 */
/* info.h: a run as WorkflowExecutionInfo (info.c). */
#ifndef SG_HISTORY_INFO_H
#define SG_HISTORY_INFO_H

#include "history/hist.h"
#include "core/buf.h"

#include "temporal/api/workflow/v1/message.pb-c.h"

/* The run's WorkflowExecutionInfo (in a): status, times, history length and size, task queue,
 * memo, search attributes, parent and root, first run, auto-reset points. */
Temporal__Api__Workflow__V1__WorkflowExecutionInfo *sg_info_build(sg_arena *a, const ms_t *ms);
/* What a visibility row keeps, as Temporal's list answers it: the same without auto-reset
 * points, without history length, size and state transitions while the run is open, and with
 * memo and search attributes borrowed from ms (pack it while ms lives). */
Temporal__Api__Workflow__V1__WorkflowExecutionInfo *sg_info_build_listed(sg_arena *a,
                                                                        const ms_t *ms);
/* Appends the bytes of sg_info_build_listed's message, packed, without building it. */
void sg_info_pack_listed(sg_buf *b, const ms_t *ms);
/* When the run's first workflow task may start (start time plus any backoff). */
int64_t sg_info_execution_time(const ms_t *ms);

#endif
