/* SPDX-License-Identifier: Apache-2.0 */
/* commands.h: a workflow task completion's commands (commands.c). */
#ifndef SG_HISTORY_COMMANDS_H
#define SG_HISTORY_COMMANDS_H

#include "history/hist.h"

int sg_cmd_apply_all(sg_exec *x, sg_arena *a,
                  const Temporal__Api__Workflowservice__V1__RespondWorkflowTaskCompletedRequest *req,
                  int64_t wtc_event_id, sg_engine_err *err);
#endif
