/* SPDX-License-Identifier: Apache-2.0 */
/* external.c: a workflow signalling or cancelling another workflow.
 *
 *   command --> SignalExternal...Initiated / RequestCancelExternal...Initiated (source)
 *     target running --> WorkflowExecutionSignaled / ...CancelRequested (target, naming the
 *                         source) and ExternalWorkflowExecutionSignaled / ...CancelRequested
 *                         (source, naming the initiated event)
 *     target missing (or, for a signal, closed) --> SignalExternal...Failed /
 *                         RequestCancelExternal...Failed with EXTERNAL_WORKFLOW_EXECUTION_NOT_FOUND
 *
 * Temporal delivers through a transfer task after the completion; here the delivery joins the
 * completion's operation (its events come after the completion's, as Temporal's would), so a
 * crash can never separate the target's event from the source's result. Cancelling a closed
 * run is a success, as RequestCancelWorkflowExecution is. Other namespaces are not reachable
 * from here yet (FEATURE_DISABLED). */
#include "history/external.h"
#include "history/events.h"
#include "history/pbutil.h"
#include "history/workflow.h"

#include <string.h>

struct sg_external {
    bool is_cancel;
    int64_t initiated_event_id;
    const char *workflow_id, *run_id;
    const char *signal_name, *reason;
    pb_payloads *input;
    Temporal__Api__Common__V1__Header *header;
};

static int reject(sg_engine_err *err, sg_arena *a, int cause, const char *msg)
{
    err->wft_failed_cause = cause;
    err->message = sg_arena_strdup(a, msg);
    return SG_EINVAL;
}

static bool other_namespace(const sg_exec *x, const char *ns)
{
    return ns && *ns && strcmp(ns, x->ms->namespace_) != 0;
}

/* The commands' namespace field is deprecated in the API, but SDKs still fill it. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
static const char *signal_ns(const Temporal__Api__Command__V1__SignalExternalWorkflowExecutionCommandAttributes *in)
{
    return in->namespace_;
}

static const char *cancel_ns(const Temporal__Api__Command__V1__RequestCancelExternalWorkflowExecutionCommandAttributes *in)
{
    return in->namespace_;
}
#pragma GCC diagnostic pop

static void queue(sg_op *op, const sg_external *ext)
{
    if (op->n_externals == op->cap_externals) {
        op->cap_externals = op->cap_externals ? op->cap_externals * 2 : 4;
        op->externals = sg_arena_realloc_array(op->a, op->externals, op->n_externals,
                                               op->cap_externals, sizeof *op->externals);
    }
    op->externals[op->n_externals++] = *ext;
}

static Temporal__Api__Common__V1__WorkflowExecution *execution(sg_arena *a, const char *wf,
                                                               const char *run)
{
    Temporal__Api__Common__V1__WorkflowExecution *we = sg_arena_alloc(a, sizeof *we);
    temporal__api__common__v1__workflow_execution__init(we);
    we->workflow_id = sg_arena_strdup(a, wf);
    we->run_id = sg_arena_strdup(a, run ? run : "");
    return we;
}

int sg_external_signal_command(sg_exec *x, sg_arena *a,
                               const Temporal__Api__Command__V1__SignalExternalWorkflowExecutionCommandAttributes *in,
                               int64_t wtc, sg_engine_err *err)
{
    int cause = WFT_CAUSE(BAD_SIGNAL_WORKFLOW_EXECUTION_ATTRIBUTES);
    if (!in || !in->execution || !*in->execution->workflow_id)
        return reject(err, a, cause, "WorkflowId is not set on command.");
    if (!*in->signal_name)
        return reject(err, a, cause, "SignalName is not set on command.");
    if (other_namespace(x, signal_ns(in)))
        return reject(err, a, WFT_CAUSE(FEATURE_DISABLED),
                      "signalling a workflow in another namespace is not supported by Sandglass yet");
    EV_NEW(a, ev, SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED,
           SignalExternalWorkflowExecutionInitiated, signal_external_workflow_execution_initiated);
    ev_attr->workflow_task_completed_event_id = wtc;
    ev_attr->namespace_ = sg_arena_strdup(a, x->ms->namespace_);
    ev_attr->namespace_id = sg_arena_strdup(a, x->ms->namespace_id);
    ev_attr->workflow_execution = in->execution;
    ev_attr->signal_name = in->signal_name;
    ev_attr->input = in->input;
    ev_attr->child_workflow_only = in->child_workflow_only;
    ev_attr->header = in->header;
    int64_t id = sg_ev_append(x, ev);
    sg_external e = { .initiated_event_id = id, .workflow_id = in->execution->workflow_id,
                      .run_id = in->execution->run_id, .signal_name = in->signal_name,
                      .input = in->input, .header = in->header };
    queue(x->op, &e);
    return 0;
}

int sg_external_cancel_command(sg_exec *x, sg_arena *a,
                               const Temporal__Api__Command__V1__RequestCancelExternalWorkflowExecutionCommandAttributes *in,
                               int64_t wtc, sg_engine_err *err)
{
    int cause = WFT_CAUSE(BAD_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION_ATTRIBUTES);
    if (!in || !*in->workflow_id)
        return reject(err, a, cause, "WorkflowId is not set on command.");
    if (other_namespace(x, cancel_ns(in)))
        return reject(err, a, WFT_CAUSE(FEATURE_DISABLED),
                      "cancelling a workflow in another namespace is not supported by Sandglass yet");
    EV_NEW(a, ev, REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED,
           RequestCancelExternalWorkflowExecutionInitiated,
           request_cancel_external_workflow_execution_initiated);
    ev_attr->workflow_task_completed_event_id = wtc;
    ev_attr->namespace_ = sg_arena_strdup(a, x->ms->namespace_);
    ev_attr->namespace_id = sg_arena_strdup(a, x->ms->namespace_id);
    ev_attr->workflow_execution = execution(a, in->workflow_id, in->run_id);
    ev_attr->child_workflow_only = in->child_workflow_only;
    ev_attr->reason = in->reason;
    int64_t id = sg_ev_append(x, ev);
    sg_external e = { .is_cancel = true, .initiated_event_id = id,
                      .workflow_id = in->workflow_id, .run_id = in->run_id,
                      .reason = in->reason };
    queue(x->op, &e);
    return 0;
}

void sg_external_deliver(sg_op *op, sg_exec *x)
{
    sg_arena *a = op->a;
    size_t n = op->n_externals;
    op->n_externals = 0;
    for (size_t i = 0; i < n; i++) {
        const sg_external *ext = &op->externals[i];
        sg_exec *t;
        int rc = sg_op_load_current(op, x->ms->namespace_id, ext->workflow_id,
                                    ext->run_id ? ext->run_id : "", &t);
        bool closed = rc == 0 && t->ms->status != ST_RUNNING;
        bool ok = rc == 0 && (!closed || ext->is_cancel);
        Temporal__Api__Common__V1__WorkflowExecution *source =
            execution(a, x->ms->workflow_id, x->ms->run_id);
        if (ok && !closed) {
            sg_op_write(op, t);
            if (ext->is_cancel) {
                if (!t->ms->cancel_requested)
                    sg_wf_request_cancel_external(t, a, ext->reason, ext->initiated_event_id,
                                                  source);
            } else {
                sg_wf_signal_args sig = { .name = ext->signal_name, .input = ext->input,
                                          .header = ext->header, .external = source };
                sg_wf_signal(t, a, &sig);
            }
        }
        if (x->ms->status != ST_RUNNING)
            continue; /* the source closed in this completion: no result to record */
        Temporal__Api__Common__V1__WorkflowExecution *target =
            execution(a, ext->workflow_id, rc == 0 ? t->ms->run_id : ext->run_id);
        pb_event *ev;
        if (ok && ext->is_cancel) {
            EV_NEW(a, e1, EXTERNAL_WORKFLOW_EXECUTION_CANCEL_REQUESTED,
                   ExternalWorkflowExecutionCancelRequested,
                   external_workflow_execution_cancel_requested);
            e1_attr->initiated_event_id = ext->initiated_event_id;
            e1_attr->namespace_ = sg_arena_strdup(a, x->ms->namespace_);
            e1_attr->namespace_id = sg_arena_strdup(a, x->ms->namespace_id);
            e1_attr->workflow_execution = target;
            ev = e1;
        } else if (ok) {
            EV_NEW(a, e2, EXTERNAL_WORKFLOW_EXECUTION_SIGNALED, ExternalWorkflowExecutionSignaled,
                   external_workflow_execution_signaled);
            e2_attr->initiated_event_id = ext->initiated_event_id;
            e2_attr->namespace_ = sg_arena_strdup(a, x->ms->namespace_);
            e2_attr->namespace_id = sg_arena_strdup(a, x->ms->namespace_id);
            e2_attr->workflow_execution = target;
            ev = e2;
        } else if (ext->is_cancel) {
            EV_NEW(a, e3, REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION_FAILED,
                   RequestCancelExternalWorkflowExecutionFailed,
                   request_cancel_external_workflow_execution_failed);
            e3_attr->cause =
                TEMPORAL__API__ENUMS__V1__CANCEL_EXTERNAL_WORKFLOW_EXECUTION_FAILED_CAUSE__CANCEL_EXTERNAL_WORKFLOW_EXECUTION_FAILED_CAUSE_EXTERNAL_WORKFLOW_EXECUTION_NOT_FOUND;
            e3_attr->namespace_ = sg_arena_strdup(a, x->ms->namespace_);
            e3_attr->namespace_id = sg_arena_strdup(a, x->ms->namespace_id);
            e3_attr->workflow_execution = target;
            e3_attr->initiated_event_id = ext->initiated_event_id;
            ev = e3;
        } else {
            EV_NEW(a, e4, SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_FAILED,
                   SignalExternalWorkflowExecutionFailed, signal_external_workflow_execution_failed);
            e4_attr->cause =
                TEMPORAL__API__ENUMS__V1__SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_FAILED_CAUSE__SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_FAILED_CAUSE_EXTERNAL_WORKFLOW_EXECUTION_NOT_FOUND;
            e4_attr->namespace_ = sg_arena_strdup(a, x->ms->namespace_);
            e4_attr->namespace_id = sg_arena_strdup(a, x->ms->namespace_id);
            e4_attr->workflow_execution = target;
            e4_attr->initiated_event_id = ext->initiated_event_id;
            ev = e4;
        }
        if (sg_ev_append_or_buffer(x, ev))
            x->need_wft = true;
    }
}
