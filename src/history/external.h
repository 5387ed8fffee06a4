/* SPDX-License-Identifier: Apache-2.0 */
/* external.h: SignalExternalWorkflowExecution and RequestCancelExternalWorkflowExecution
 * commands (external.c). */
#ifndef SG_HISTORY_EXTERNAL_H
#define SG_HISTORY_EXTERNAL_H

#include "history/hist.h"
#include "history/op.h"

/* Validates the command, writes its Initiated event on x and queues the delivery in x's
 * operation. SG_EINVAL with err (cause, message) for a bad command. */
int sg_external_signal_command(sg_exec *x, sg_arena *a,
                               const Temporal__Api__Command__V1__SignalExternalWorkflowExecutionCommandAttributes *in,
                               int64_t wtc, sg_engine_err *err);
int sg_external_cancel_command(sg_exec *x, sg_arena *a,
                               const Temporal__Api__Command__V1__RequestCancelExternalWorkflowExecutionCommandAttributes *in,
                               int64_t wtc, sg_engine_err *err);
/* After the commands: delivers what they queued to the target runs (loaded into the same
 * operation, so the target's event and the source's result commit together) and records the
 * result on the source x (Signaled / CancelRequested, or Failed with
 * EXTERNAL_WORKFLOW_EXECUTION_NOT_FOUND). */
void sg_external_deliver(sg_op *op, sg_exec *x);

#endif
