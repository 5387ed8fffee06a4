/* SPDX-License-Identifier: Apache-2.0 */
/* child.h: child workflows (child.c). */
#ifndef SG_HISTORY_CHILD_H
#define SG_HISTORY_CHILD_H

#include "history/hist.h"
#include "history/op.h"

/* StartChildWorkflowExecution: validates, writes StartChildWorkflowExecutionInitiated on the
 * parent x and queues the start in x's operation. SG_EINVAL with err for a bad command. */
int sg_child_command(sg_exec *x, sg_arena *a,
                     const Temporal__Api__Command__V1__StartChildWorkflowExecutionCommandAttributes *in,
                     int64_t wtc, sg_engine_err *err);
/* After the commands: starts the queued children in the same operation (the child's
 * Started and the parent's ChildWorkflowExecutionStarted commit together), or records
 * StartChildWorkflowExecutionFailed (WORKFLOW_ALREADY_EXISTS). */
void sg_child_start_all(sg_op *op, sg_exec *parent);
/* At commit, for every written run that closed: a child's end is recorded in its parent
 * (ChildWorkflowExecutionCompleted / Failed / Canceled / TimedOut / Terminated) — unless a
 * retry or continue-as-new run carries on — and a parent's pending children get its parent
 * close policy (TERMINATE, REQUEST_CANCEL, ABANDON). Loads the runs it needs into op. */
void sg_child_on_close(sg_op *op);

#endif
