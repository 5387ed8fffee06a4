/* SPDX-License-Identifier: Apache-2.0 */
/* child.c: child workflows.
 *
 *   StartChildWorkflowExecution command --> StartChildWorkflowExecutionInitiated (parent)
 *     id free (or reusable) --> child run created: WorkflowExecutionStarted naming its parent and
 *                               root; ChildWorkflowExecutionStarted (parent); Child pending in
 *                               the parent's state
 *     id running (or reuse policy refuses) --> StartChildWorkflowExecutionFailed
 *                               (WORKFLOW_ALREADY_EXISTS) (parent)
 *   child's last run closes --> ChildWorkflowExecution{Completed,Failed,Canceled,TimedOut,
 *                               Terminated} (parent), the Child entry removed; a retry or
 *                               continue-as-new run carries the parent on instead
 *   parent closes --> each pending child per its parent close policy: TERMINATE (default)
 *                               terminates it, REQUEST_CANCEL asks it to cancel, ABANDON leaves it
 *
 * Temporal does the cross-run steps with transfer tasks; here they join the operation that
 * caused them, so the child's close and the parent's record of it commit in one batch and no
 * crash can fall between them. Children live in the parent's namespace. */
#include "history/child.h"
#include "history/events.h"
#include "history/mstate.h"
#include "history/pbutil.h"
#include "history/retry.h"
#include "history/vis.h"
#include "history/wft.h"
#include "history/workflow.h"

#include "core/clock.h"
#include "core/cron.h"
#include "core/uuid.h"

#include <string.h>

#define PCP(P) TEMPORAL__API__ENUMS__V1__PARENT_CLOSE_POLICY__PARENT_CLOSE_POLICY_##P

struct sg_child_start {
    int64_t initiated_event_id, wtc;
    const Temporal__Api__Command__V1__StartChildWorkflowExecutionCommandAttributes *in;
};

static int reject(sg_engine_err *err, sg_arena *a, int cause, const char *msg)
{
    err->wft_failed_cause = cause;
    err->message = sg_arena_strdup(a, msg);
    return SG_EINVAL;
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

static Temporal__Api__Common__V1__WorkflowType *wtype(sg_arena *a, const char *name)
{
    Temporal__Api__Common__V1__WorkflowType *t = sg_arena_alloc(a, sizeof *t);
    temporal__api__common__v1__workflow_type__init(t);
    t->name = sg_arena_strdup(a, name);
    return t;
}

/* The command's namespace field is deprecated in the API, but SDKs still fill it. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
static const char *child_ns(const Temporal__Api__Command__V1__StartChildWorkflowExecutionCommandAttributes *in)
{
    return in->namespace_;
}
#pragma GCC diagnostic pop

int sg_child_command(sg_exec *x, sg_arena *a,
                     const Temporal__Api__Command__V1__StartChildWorkflowExecutionCommandAttributes *in,
                     int64_t wtc, sg_engine_err *err)
{
    int cause = WFT_CAUSE(BAD_START_CHILD_EXECUTION_ATTRIBUTES);
    if (!in || !*in->workflow_id)
        return reject(err, a, cause, "WorkflowId is not set on command.");
    if (!in->workflow_type || !*in->workflow_type->name)
        return reject(err, a, cause, "WorkflowType is not set on command.");
    if (strlen(in->workflow_id) > SG_MAX_ID_LEN)
        return reject(err, a, cause, "WorkflowId exceeds length limit.");
    const char *ns = child_ns(in);
    if (ns && *ns && strcmp(ns, x->ms->namespace_) != 0)
        return reject(err, a, WFT_CAUSE(FEATURE_DISABLED),
                      "a child workflow in another namespace is not supported by Sandglass yet");
    if (*in->cron_schedule) {
        sg_cron cron;
        const char *why;
        int crc = sg_cron_parse(in->cron_schedule, &cron, &why);
        if (crc < 0)
            return reject(err, a, crc == SG_ENOTSUP ? WFT_CAUSE(FEATURE_DISABLED) : cause, why);
    }
    const char *bad = sg_retry_policy_problem(in->retry_policy);
    if (!bad)
        bad = sg_vis_check(x->e, a, x->ms->namespace_id, in->search_attributes);
    if (bad)
        return reject(err, a, cause, bad);
    ms_t *ms = x->ms;
    EV_NEW(a, ev, START_CHILD_WORKFLOW_EXECUTION_INITIATED, StartChildWorkflowExecutionInitiated,
           start_child_workflow_execution_initiated);
    ev_attr->namespace_ = sg_arena_strdup(a, ms->namespace_);
    ev_attr->namespace_id = sg_arena_strdup(a, ms->namespace_id);
    ev_attr->workflow_id = in->workflow_id;
    ev_attr->workflow_type = in->workflow_type;
    ev_attr->task_queue = in->task_queue && *in->task_queue->name
                              ? in->task_queue
                              : sg_tq_new(a, sg_arena_strdup(a, ms->task_queue), TQ_KIND(NORMAL), NULL);
    ev_attr->input = in->input;
    ev_attr->workflow_execution_timeout = in->workflow_execution_timeout;
    ev_attr->workflow_run_timeout = in->workflow_run_timeout;
    ev_attr->workflow_task_timeout = in->workflow_task_timeout;
    ev_attr->parent_close_policy = in->parent_close_policy ? in->parent_close_policy : PCP(TERMINATE);
    ev_attr->workflow_task_completed_event_id = wtc;
    ev_attr->workflow_id_reuse_policy = in->workflow_id_reuse_policy;
    ev_attr->retry_policy = in->retry_policy;
    ev_attr->header = in->header;
    ev_attr->memo = sg_memo_without_nils(a, in->memo);
    ev_attr->search_attributes = sg_sa_without_nils(a, in->search_attributes);
    ev_attr->priority = in->priority;
    int64_t id = sg_ev_append(x, ev);
    sg_op *op = x->op;
    if (op->n_child_starts == op->cap_child_starts) {
        op->cap_child_starts = op->cap_child_starts ? op->cap_child_starts * 2 : 4;
        op->child_starts = sg_arena_realloc_array(op->a, op->child_starts, op->n_child_starts,
                                                  op->cap_child_starts, sizeof *op->child_starts);
    }
    op->child_starts[op->n_child_starts++] = (sg_child_start){ id, wtc, in };
    return 0;
}

static bool failed_status(int st)
{
    return st == ST_FAILED || st == ST_CANCELED || st == ST_TERMINATED || st == ST_TIMED_OUT;
}

/* Whether workflow id may start a new run now (Temporal's reuse rules for a closed run). */
static bool id_free(sg_engine *e, const char *namespace_id, const char *workflow_id, int reuse)
{
    sg_current_rec cur;
    int rc = sg_store_current_get(e->st, namespace_id, workflow_id, &cur);
    if (rc == SG_ENOTFOUND)
        return true;
    if (rc < 0)
        return false;
    int status = cur.status;
    sg_current_rec_deinit(&cur);
    if (status == ST_RUNNING)
        return false;
    if (reuse == TEMPORAL__API__ENUMS__V1__WORKFLOW_ID_REUSE_POLICY__WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE)
        return false;
    if (reuse == TEMPORAL__API__ENUMS__V1__WORKFLOW_ID_REUSE_POLICY__WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE_FAILED_ONLY)
        return failed_status(status);
    return true;
}

void sg_child_start_all(sg_op *op, sg_exec *p)
{
    sg_arena *a = op->a;
    size_t n = op->n_child_starts;
    op->n_child_starts = 0;
    ms_t *pm = p->ms;
    for (size_t i = 0; i < n; i++) {
        const sg_child_start *cs = &op->child_starts[i];
        const Temporal__Api__Command__V1__StartChildWorkflowExecutionCommandAttributes *in = cs->in;
        if (pm->status != ST_RUNNING)
            break; /* the parent closed in this completion: its children are not started */
        /* Another start of the same id in this very operation is also a conflict. */
        bool taken = !id_free(op->e, pm->namespace_id, in->workflow_id, in->workflow_id_reuse_policy);
        for (size_t k = 0; k < op->n_runs && !taken; k++)
            taken = op->runs[k]->ms->status == ST_RUNNING &&
                    strcmp(op->runs[k]->ms->workflow_id, in->workflow_id) == 0;
        if (taken) {
            EV_NEW(a, ev, START_CHILD_WORKFLOW_EXECUTION_FAILED, StartChildWorkflowExecutionFailed,
                   start_child_workflow_execution_failed);
            ev_attr->namespace_ = sg_arena_strdup(a, pm->namespace_);
            ev_attr->namespace_id = sg_arena_strdup(a, pm->namespace_id);
            ev_attr->workflow_id = in->workflow_id;
            ev_attr->workflow_type = in->workflow_type;
            ev_attr->cause = TEMPORAL__API__ENUMS__V1__START_CHILD_WORKFLOW_EXECUTION_FAILED_CAUSE__START_CHILD_WORKFLOW_EXECUTION_FAILED_CAUSE_WORKFLOW_ALREADY_EXISTS;
            ev_attr->initiated_event_id = cs->initiated_event_id;
            ev_attr->workflow_task_completed_event_id = cs->wtc;
            if (sg_ev_append_or_buffer(p, ev))
                p->need_wft = true;
            continue;
        }
        int64_t now = sg_clock_now_ms();
        int64_t exec_ms = sg_dur_to_ms(in->workflow_execution_timeout);
        int64_t run_ms = sg_dur_to_ms(in->workflow_run_timeout);
        if (run_ms <= 0)
            run_ms = exec_ms;
        else if (exec_ms > 0)
            run_ms = SG_MIN(run_ms, exec_ms);
        int64_t task_ms = sg_dur_to_ms(in->workflow_task_timeout);
        if (task_ms <= 0)
            task_ms = 10000;
        task_ms = SG_MIN(task_ms, 120000);
        if (run_ms > 0)
            task_ms = SG_MIN(task_ms, run_ms);
        int64_t backoff = 0;
        if (*in->cron_schedule) {
            sg_cron cron;
            const char *why;
            if (sg_cron_parse(in->cron_schedule, &cron, &why) == 0)
                backoff = sg_cron_backoff_ms(&cron, now, now);
        }
        char run_id[SG_UUID_STR_LEN + 1];
        sg_uuid_v7(run_id);
        const char *queue = in->task_queue && *in->task_queue->name ? in->task_queue->name
                                                                    : pm->task_queue;
        wf_run_spec spec = {
            .namespace_id = pm->namespace_id,
            .namespace_name = pm->namespace_,
            .workflow_id = in->workflow_id,
            .run_id = run_id,
            .workflow_type = in->workflow_type->name,
            .task_queue = queue,
            .now = now,
            .execution_timeout_ms = exec_ms > 0 ? exec_ms : 0,
            .run_timeout_ms = run_ms > 0 ? run_ms : 0,
            .task_timeout_ms = task_ms,
            .execution_expiration_ms = exec_ms > 0 ? now + exec_ms : 0,
            .first_execution_run_id = run_id,
            .start_request_id = "",
            .attempt = 1,
            .retry_policy = in->retry_policy,
            .memo = in->memo,
            .search_attributes = in->search_attributes,
            .parent_workflow_id = pm->workflow_id,
            .parent_run_id = pm->run_id,
            .parent_initiated_event_id = cs->initiated_event_id,
            .root_workflow_id = *pm->root_run_id ? pm->root_workflow_id : pm->workflow_id,
            .root_run_id = *pm->root_run_id ? pm->root_run_id : pm->run_id,
            .cron_schedule = in->cron_schedule,
            .backoff_ms = backoff > 0 ? backoff : 0,
        };
        ms_t *cm = sg_wf_new_state(&spec);
        sg_exec *c = sg_op_new_run(op, cm);
        EV_NEW(a, sev, WORKFLOW_EXECUTION_STARTED, WorkflowExecutionStarted, workflow_execution_started);
        sev_attr->workflow_type = in->workflow_type;
        sev_attr->parent_workflow_namespace = sg_arena_strdup(a, pm->namespace_);
        sev_attr->parent_workflow_namespace_id = sg_arena_strdup(a, pm->namespace_id);
        sev_attr->parent_workflow_execution = execution(a, pm->workflow_id, pm->run_id);
        sev_attr->parent_initiated_event_id = cs->initiated_event_id;
        sev_attr->task_queue = sg_tq_new(a, sg_arena_strdup(a, queue), TQ_KIND(NORMAL), NULL);
        sev_attr->input = in->input;
        if (exec_ms > 0)
            sev_attr->workflow_execution_timeout = sg_dur_ms(a, exec_ms);
        if (run_ms > 0)
            sev_attr->workflow_run_timeout = sg_dur_ms(a, run_ms);
        sev_attr->workflow_task_timeout = sg_dur_ms(a, task_ms);
        sev_attr->original_execution_run_id = sg_arena_strdup(a, run_id);
        sev_attr->first_execution_run_id = sg_arena_strdup(a, run_id);
        sev_attr->retry_policy = in->retry_policy;
        sev_attr->attempt = 1;
        if (exec_ms > 0)
            sev_attr->workflow_execution_expiration_time = sg_ts_ms(a, now + exec_ms);
        sev_attr->memo = sg_memo_without_nils(a, in->memo);
        sev_attr->search_attributes = sg_sa_without_nils(a, in->search_attributes);
        sev_attr->header = in->header;
        sev_attr->workflow_id = in->workflow_id;
        sev_attr->root_workflow_execution = execution(a, cm->root_workflow_id, cm->root_run_id);
        sev_attr->priority = in->priority;
        sev_attr->cron_schedule = in->cron_schedule;
        if (backoff > 0)
            sev_attr->first_workflow_task_backoff = sg_dur_ms(a, backoff);
        sg_ev_append(c, sev);
        if (!cm->wft_backoff_until_ms)
            c->need_wft = true;

        EV_NEW(a, ev, CHILD_WORKFLOW_EXECUTION_STARTED, ChildWorkflowExecutionStarted,
               child_workflow_execution_started);
        ev_attr->namespace_ = sg_arena_strdup(a, pm->namespace_);
        ev_attr->namespace_id = sg_arena_strdup(a, pm->namespace_id);
        ev_attr->initiated_event_id = cs->initiated_event_id;
        ev_attr->workflow_execution = execution(a, in->workflow_id, run_id);
        ev_attr->workflow_type = in->workflow_type;
        ev_attr->header = in->header;
        int64_t started = sg_ev_append_or_buffer(p, ev);
        if (started)
            p->need_wft = true;
        Sandglass__V1__Child *ch = sg_malloc(sizeof *ch);
        sandglass__v1__child__init(ch);
        ch->initiated_event_id = cs->initiated_event_id;
        /* (0 while buffered; the parent learns it when the buffer lands, not needed here) */
        ch->started_event_id = started;
        ch->workflow_id = sg_ms_strdup(in->workflow_id);
        ch->run_id = sg_ms_strdup(run_id);
        ch->workflow_type = sg_ms_strdup(in->workflow_type->name);
        ch->parent_close_policy = in->parent_close_policy ? in->parent_close_policy : PCP(TERMINATE);
        pm->children = sg_realloc(pm->children, (pm->n_children + 1) * sizeof *pm->children);
        pm->children[pm->n_children++] = ch;
    }
}

/* The close event this operation wrote for x (the last event of its batch), or NULL. */
static pb_event *close_event(sg_exec *x, sg_arena *a)
{
    if (!x->batch.len)
        return NULL;
    Temporal__Api__History__V1__History *h =
        temporal__api__history__v1__history__unpack(&a->pb, x->batch.len, sg_buf_head(&x->batch));
    return h && h->n_events ? h->events[h->n_events - 1] : NULL;
}

static Sandglass__V1__Child *find_child(const ms_t *pm, int64_t initiated_event_id, size_t *index)
{
    for (size_t i = 0; i < pm->n_children; i++)
        if (pm->children[i]->initiated_event_id == initiated_event_id) {
            *index = i;
            return pm->children[i];
        }
    return NULL;
}

/* Records child x's end in its parent (loaded into op). */
static void tell_parent(sg_op *op, sg_exec *x)
{
    sg_arena *a = op->a;
    const ms_t *cm = x->ms;
    pb_event *ce = close_event(x, a);
    if (!ce)
        return;
    /* A retry, continue-as-new or cron run carries on as the child. */
    if ((ce->attributes_case == ATTR_CASE(WORKFLOW_EXECUTION_CONTINUED_AS_NEW)) ||
        (ce->attributes_case == ATTR_CASE(WORKFLOW_EXECUTION_COMPLETED) &&
         *ce->workflow_execution_completed_event_attributes->new_execution_run_id) ||
        (ce->attributes_case == ATTR_CASE(WORKFLOW_EXECUTION_FAILED) &&
         *ce->workflow_execution_failed_event_attributes->new_execution_run_id) ||
        (ce->attributes_case == ATTR_CASE(WORKFLOW_EXECUTION_TIMED_OUT) &&
         *ce->workflow_execution_timed_out_event_attributes->new_execution_run_id))
        return;
    sg_exec *p;
    if (sg_op_load(op, cm->namespace_id, cm->parent_run_id, &p) < 0 || p->ms->status != ST_RUNNING)
        return;
    size_t idx;
    Sandglass__V1__Child *ch = find_child(p->ms, cm->parent_initiated_event_id, &idx);
    if (!ch)
        return;
    sg_op_write(op, p);
    const ms_t *pm = p->ms;
    Temporal__Api__Common__V1__WorkflowExecution *we = execution(a, cm->workflow_id, cm->run_id);
    Temporal__Api__Common__V1__WorkflowType *wt = wtype(a, cm->workflow_type);
    char *ns = sg_arena_strdup(a, pm->namespace_), *ns_id = sg_arena_strdup(a, pm->namespace_id);
    int64_t init = ch->initiated_event_id, started = ch->started_event_id;
    pb_event *ev = NULL;
    switch (cm->status) {
    case ST_COMPLETED: {
        EV_NEW(a, e1, CHILD_WORKFLOW_EXECUTION_COMPLETED, ChildWorkflowExecutionCompleted,
               child_workflow_execution_completed);
        e1_attr->result = ce->workflow_execution_completed_event_attributes
                              ? ce->workflow_execution_completed_event_attributes->result
                              : NULL;
        e1_attr->namespace_ = ns, e1_attr->namespace_id = ns_id, e1_attr->workflow_execution = we;
        e1_attr->workflow_type = wt, e1_attr->initiated_event_id = init, e1_attr->started_event_id = started;
        ev = e1;
        break;
    }
    case ST_FAILED: {
        EV_NEW(a, e2, CHILD_WORKFLOW_EXECUTION_FAILED, ChildWorkflowExecutionFailed,
               child_workflow_execution_failed);
        if (ce->workflow_execution_failed_event_attributes) {
            e2_attr->failure = ce->workflow_execution_failed_event_attributes->failure;
            e2_attr->retry_state = ce->workflow_execution_failed_event_attributes->retry_state;
        }
        e2_attr->namespace_ = ns, e2_attr->namespace_id = ns_id, e2_attr->workflow_execution = we;
        e2_attr->workflow_type = wt, e2_attr->initiated_event_id = init, e2_attr->started_event_id = started;
        ev = e2;
        break;
    }
    case ST_CANCELED: {
        EV_NEW(a, e3, CHILD_WORKFLOW_EXECUTION_CANCELED, ChildWorkflowExecutionCanceled,
               child_workflow_execution_canceled);
        if (ce->workflow_execution_canceled_event_attributes)
            e3_attr->details = ce->workflow_execution_canceled_event_attributes->details;
        e3_attr->namespace_ = ns, e3_attr->namespace_id = ns_id, e3_attr->workflow_execution = we;
        e3_attr->workflow_type = wt, e3_attr->initiated_event_id = init, e3_attr->started_event_id = started;
        ev = e3;
        break;
    }
    case ST_TIMED_OUT: {
        EV_NEW(a, e4, CHILD_WORKFLOW_EXECUTION_TIMED_OUT, ChildWorkflowExecutionTimedOut,
               child_workflow_execution_timed_out);
        if (ce->workflow_execution_timed_out_event_attributes)
            e4_attr->retry_state = ce->workflow_execution_timed_out_event_attributes->retry_state;
        e4_attr->namespace_ = ns, e4_attr->namespace_id = ns_id, e4_attr->workflow_execution = we;
        e4_attr->workflow_type = wt, e4_attr->initiated_event_id = init, e4_attr->started_event_id = started;
        ev = e4;
        break;
    }
    default: {
        EV_NEW(a, e5, CHILD_WORKFLOW_EXECUTION_TERMINATED, ChildWorkflowExecutionTerminated,
               child_workflow_execution_terminated);
        e5_attr->namespace_ = ns, e5_attr->namespace_id = ns_id, e5_attr->workflow_execution = we;
        e5_attr->workflow_type = wt, e5_attr->initiated_event_id = init, e5_attr->started_event_id = started;
        ev = e5;
        break;
    }
    }
    if (sg_ev_append_or_buffer(p, ev))
        p->need_wft = true;
    protobuf_c_message_free_unpacked(&ch->base, NULL);
    memmove(p->ms->children + idx, p->ms->children + idx + 1,
            (p->ms->n_children - idx - 1) * sizeof *p->ms->children);
    p->ms->n_children--;
}

/* Parent x closed: each pending child per its parent close policy. */
static void apply_close_policy(sg_op *op, sg_exec *x)
{
    sg_arena *a = op->a;
    ms_t *pm = x->ms;
    for (size_t i = 0; i < pm->n_children; i++) {
        const Sandglass__V1__Child *ch = pm->children[i];
        if (ch->parent_close_policy == PCP(ABANDON))
            continue;
        sg_exec *c;
        /* The child's current run: retries and continue-as-new moved it on. */
        if (sg_op_load_current(op, pm->namespace_id, ch->workflow_id, "", &c) < 0 ||
            c->ms->status != ST_RUNNING || strcmp(c->ms->parent_run_id, pm->run_id) != 0)
            continue;
        sg_op_write(op, c);
        if (ch->parent_close_policy == PCP(REQUEST_CANCEL)) {
            if (!c->ms->cancel_requested)
                sg_wf_request_cancel_external(c, a, "by parent close policy", 0,
                                              execution(a, pm->workflow_id, pm->run_id));
        } else {
            sg_wft_force_close(c, a);
            sg_wf_terminate(c, a, "by parent close policy", "");
        }
    }
}

void sg_child_on_close(sg_op *op)
{
    /* op->runs grows as parents and children join: walk by index. */
    for (size_t i = 0; i < op->n_runs; i++) {
        sg_exec *x = op->runs[i];
        if (!x->op_written || x->ms->status == ST_RUNNING || x->child_close_done)
            continue;
        x->child_close_done = true;
        if (x->ms->n_children)
            apply_close_policy(op, x);
        if (*x->ms->parent_run_id)
            tell_parent(op, x);
    }
}
