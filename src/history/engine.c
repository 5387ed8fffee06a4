/* SPDX-License-Identifier: Apache-2.0 */
/* engine.c: the history engine's public operations (engine.h) — start, workflow task
 * hand-over and completion, activity hand-over and results, wake-ups, recovery, reads and
 * sticky queues.
 *
 * Each operation has the same shape (op.c): load the runs it touches, check the request
 * against their state (stale tokens and references are SG_ENOTFOUND), declare the runs it
 * changes, call the entity files — workflow.c (the run), wft.c (its workflow task),
 * activity.c, timer.c; commands.c for a completion's commands — and commit. Entity files never
 * call each other; what one entity's change asks of another is a flag on the run (need_wft)
 * or a step of the operation here or in op.c. */
#include "history/hist.h"
#include "history/activity.h"
#include "history/commands.h"
#include "history/events.h"
#include "history/child.h"
#include "history/external.h"
#include "history/mstate.h"
#include "history/commit.h"
#include "history/op.h"
#include "history/pbutil.h"
#include "history/query.h"
#include "history/update.h"
#include "history/read.h"
#include "history/retry.h"
#include "history/timer.h"
#include "history/token.h"
#include "history/wft.h"
#include "history/workflow.h"

#include "core/pbenc.h"
#include "core/pbwire.h"

#include "core/clock.h"
#include "core/cron.h"
#include "core/log.h"
#include "core/uuid.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static void exec_requeue(sg_exec *x);

#define DEFAULT_WFT_TIMEOUT_MS 10000
#define MAX_WFT_TIMEOUT_MS 120000
/* Everything of the run due at now, in Temporal's order: the run's own timeouts close it
 * (abandoning a started task first); then the workflow task's, the timers' and the
 * activities'. */
static void sg_exec_fire_timers(sg_op *op, sg_exec *x, int64_t now)
{
    sg_arena *a = op->a;
    ms_t *ms = x->ms;
    int which = sg_wf_timeout_due(ms, now);
    if (which) {
        sg_wft_force_close(x, a);
        char run_id[SG_UUID_STR_LEN + 1];
        int64_t delay;
        bool cron;
        const pb_failure *f = sg_wf_time_out(x, a, which, &delay, run_id, &cron);
        if (delay >= 0 && cron)
            sg_op_start_cron(op, x, NULL, f, delay, run_id);
        else if (delay >= 0)
            sg_op_start_retry(op, x, f, delay, run_id);
        return;
    }
    if (ms->status != ST_RUNNING)
        return;
    sg_wft_fire_due(x, a, now);
    sg_timer_fire_due(x, a, now);
    sg_act_fire_due(x, a, now);
}

/* ---- start ---- */

static void set_err(sg_engine_err *err, sg_arena *a, const char *fmt, ...) SG_PRINTF(3, 4);
static void set_err(sg_engine_err *err, sg_arena *a, const char *fmt, ...)
{
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    err->message = sg_arena_strdup(a, buf);
}

static bool status_is_failure(int st)
{
    return st == ST_FAILED || st == ST_CANCELED || st == ST_TERMINATED || st == ST_TIMED_OUT;
}

/* A start, or a signal-with-start when sig is set: the signal goes to the running run the
 * conflict policy keeps, or right after WorkflowExecutionStarted of the new run. */
static int start_or_signal(sg_engine *e, sg_arena *a, const char *namespace_id,
                           const char *namespace_name,
                           const Temporal__Api__Workflowservice__V1__StartWorkflowExecutionRequest *req,
                           const sg_wf_signal_args *sig,
                           Temporal__Api__Workflowservice__V1__StartWorkflowExecutionResponse *out,
                           sg_engine_err *err)
{
    int64_t now = sg_clock_now_ms();
    const char *bad_retry = sg_retry_policy_problem(req->retry_policy);
    if (bad_retry) {
        err->message = sg_arena_strdup(a, bad_retry);
        return SG_EINVAL;
    }
    sg_cron cron;
    if (*req->cron_schedule) {
        const char *why;
        int crc = sg_cron_parse(req->cron_schedule, &cron, &why);
        if (crc < 0) {
            set_err(err, a, "Invalid CronSchedule: %s.", why);
            return crc;
        }
    }
    sg_op op;
    sg_op_begin(&op, e, a);
    sg_current_rec cur;
    int rc = sg_store_current_get(e->st, namespace_id, req->workflow_id, &cur);
    if (rc < 0 && rc != SG_ENOTFOUND)
        return rc;
    if (rc == 0) {
        char *cur_run = sg_arena_strdup(a, cur.run_id);
        char *cur_req = sg_arena_strdup(a, cur.start_request_id);
        int cur_status = cur.status;
        sg_current_rec_deinit(&cur);
        /* The same request again (a client retry) gets the run it started. */
        if (*req->request_id && strcmp(cur_req, req->request_id) == 0) {
            out->run_id = cur_run;
            out->started = true;
            out->status = (Temporal__Api__Enums__V1__WorkflowExecutionStatus)cur_status;
            return 0;
        }
        if (cur_status == ST_RUNNING) {
            int conflict = req->workflow_id_conflict_policy;
            bool terminate =
                conflict == TEMPORAL__API__ENUMS__V1__WORKFLOW_ID_CONFLICT_POLICY__WORKFLOW_ID_CONFLICT_POLICY_TERMINATE_EXISTING ||
                req->workflow_id_reuse_policy ==
                    TEMPORAL__API__ENUMS__V1__WORKFLOW_ID_REUSE_POLICY__WORKFLOW_ID_REUSE_POLICY_TERMINATE_IF_RUNNING;
            if (conflict ==
                TEMPORAL__API__ENUMS__V1__WORKFLOW_ID_CONFLICT_POLICY__WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING) {
                out->run_id = cur_run;
                out->started = false;
                out->status = TEMPORAL__API__ENUMS__V1__WORKFLOW_EXECUTION_STATUS__WORKFLOW_EXECUTION_STATUS_RUNNING;
                if (!sig)
                    return 0;
                sg_exec *x;
                rc = sg_op_load(&op, namespace_id, cur_run, &x);
                if (rc < 0)
                    return sg_op_end(&op, rc);
                sg_op_write(&op, x);
                sg_wf_signal(x, a, sig);
                return sg_op_end(&op, sg_op_commit(&op));
            }
            if (!terminate) {
                err->existing_run_id = cur_run;
                err->existing_request_id = cur_req;
                set_err(err, a, "Workflow execution is already running. WorkflowId: %s, RunId: %s.",
                        req->workflow_id, cur_run);
                return SG_EEXIST;
            }
            sg_exec *old;
            rc = sg_op_load(&op, namespace_id, cur_run, &old);
            if (rc < 0)
                return sg_op_end(&op, rc);
            sg_op_write(&op, old);
            sg_wft_force_close(old, a);
            sg_wf_terminate(old, a, "terminated by a new start (TERMINATE_EXISTING)",
                         req->identity);
        } else {
            int reuse = req->workflow_id_reuse_policy;
            if (reuse ==
                TEMPORAL__API__ENUMS__V1__WORKFLOW_ID_REUSE_POLICY__WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE) {
                err->existing_run_id = cur_run;
                err->existing_request_id = cur_req;
                set_err(err, a,
                        "Workflow execution already finished and Workflow ID reuse policy is "
                        "REJECT_DUPLICATE. WorkflowId: %s, RunId: %s.",
                        req->workflow_id, cur_run);
                return SG_EEXIST;
            }
            if (reuse ==
                    TEMPORAL__API__ENUMS__V1__WORKFLOW_ID_REUSE_POLICY__WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE_FAILED_ONLY &&
                !status_is_failure(cur_status)) {
                err->existing_run_id = cur_run;
                err->existing_request_id = cur_req;
                set_err(err, a,
                        "Workflow execution already finished successfully. WorkflowId: %s, "
                        "RunId: %s. Workflow ID reuse policy: allow duplicate workflow ID if last "
                        "run failed.",
                        req->workflow_id, cur_run);
                return SG_EEXIST;
            }
        }
    }

    int64_t exec_ms = sg_dur_to_ms(req->workflow_execution_timeout);
    int64_t run_ms = sg_dur_to_ms(req->workflow_run_timeout);
    if (run_ms <= 0)
        run_ms = exec_ms;
    else if (exec_ms > 0)
        run_ms = SG_MIN(run_ms, exec_ms);
    int64_t task_ms = sg_dur_to_ms(req->workflow_task_timeout);
    if (task_ms <= 0)
        task_ms = DEFAULT_WFT_TIMEOUT_MS;
    task_ms = SG_MIN(task_ms, MAX_WFT_TIMEOUT_MS);
    if (run_ms > 0)
        task_ms = SG_MIN(task_ms, run_ms);

    char run_id[SG_UUID_STR_LEN + 1];
    sg_uuid_v7(run_id);
    int64_t delay_ms = sg_dur_to_ms(req->workflow_start_delay);
    if (*req->cron_schedule) /* the first run waits for the schedule's first activation */
        delay_ms = sg_cron_backoff_ms(&cron, now, now);
    wf_run_spec spec = {
        .namespace_id = namespace_id,
        .namespace_name = namespace_name,
        .workflow_id = req->workflow_id,
        .run_id = run_id,
        .workflow_type = req->workflow_type->name,
        .task_queue = req->task_queue->name,
        .now = now,
        .execution_timeout_ms = exec_ms,
        .run_timeout_ms = run_ms,
        .task_timeout_ms = task_ms,
        .execution_expiration_ms = exec_ms > 0 ? now + exec_ms : 0,
        .first_execution_run_id = run_id,
        .start_request_id = req->request_id,
        .attempt = 1,
        .retry_policy = req->retry_policy,
        .memo = req->memo,
        .search_attributes = req->search_attributes,
        .backoff_ms = delay_ms > 0 ? delay_ms : 0,
        .cron_schedule = req->cron_schedule,
    };
    ms_t *ms = sg_wf_new_state(&spec);
    sg_exec *x = sg_op_new_run(&op, ms);

    EV_NEW(a, ev, WORKFLOW_EXECUTION_STARTED, WorkflowExecutionStarted, workflow_execution_started);
    ev_attr->workflow_type = req->workflow_type;
    ev_attr->task_queue = sg_tq_new(a, ms->task_queue, TQ_KIND(NORMAL), NULL);
    ev_attr->input = req->input;
    if (exec_ms > 0)
        ev_attr->workflow_execution_timeout = sg_dur_ms(a, exec_ms);
    if (run_ms > 0)
        ev_attr->workflow_run_timeout = sg_dur_ms(a, run_ms);
    ev_attr->workflow_task_timeout = sg_dur_ms(a, task_ms);
    ev_attr->original_execution_run_id = ms->run_id;
    ev_attr->identity = req->identity;
    ev_attr->first_execution_run_id = ms->run_id;
    ev_attr->retry_policy = req->retry_policy;
    ev_attr->attempt = 1;
    if (exec_ms > 0)
        ev_attr->workflow_execution_expiration_time = sg_ts_ms(a, now + exec_ms);
    ev_attr->memo = sg_memo_without_nils(a, req->memo);
    ev_attr->search_attributes = sg_sa_without_nils(a, req->search_attributes);
    ev_attr->header = req->header;
    ev_attr->workflow_id = req->workflow_id;
    ev_attr->priority = req->priority;
    ev_attr->cron_schedule = req->cron_schedule;
    /* Set by the scheduler: the previous run's result or failure. */
    ev_attr->last_completion_result = req->last_completion_result;
    ev_attr->continued_failure = req->continued_failure;
    ev->user_metadata = req->user_metadata;
    if (delay_ms > 0)
        ev_attr->first_workflow_task_backoff = sg_dur_ms(a, delay_ms);
    sg_ev_append(x, ev);
    if (sig)
        sg_wf_signal(x, a, sig);
    if (!ms->wft_backoff_until_ms)
        x->need_wft = true;
    rc = sg_op_end(&op, sg_op_commit(&op));
    if (rc < 0)
        return rc;
    out->run_id = sg_arena_strdup(a, run_id);
    out->started = true;
    out->status = TEMPORAL__API__ENUMS__V1__WORKFLOW_EXECUTION_STATUS__WORKFLOW_EXECUTION_STATUS_RUNNING;
    return 0;
}

int sg_engine_start_workflow(sg_engine *e, sg_arena *a, const char *namespace_id,
                             const char *namespace_name,
                             const Temporal__Api__Workflowservice__V1__StartWorkflowExecutionRequest *req,
                             Temporal__Api__Workflowservice__V1__StartWorkflowExecutionResponse *out,
                             sg_engine_err *err)
{
    return start_or_signal(e, a, namespace_id, namespace_name, req, NULL, out, err);
}

/* ---- talking to a running run: signals, cancel requests, termination ---- */

/* Loads the run a request names; *closed tells whether it has finished (err then holds
 * Temporal's message for calls that refuse closed runs). */
static int load_run(sg_op *op, const char *namespace_id,
                    const Temporal__Api__Common__V1__WorkflowExecution *we,
                    const char *first_execution_run_id, sg_exec **out, bool *closed,
                    sg_engine_err *err)
{
    sg_exec *x;
    /* With first_execution_run_id the current run is meant, whatever run id came along
     * (Temporal's cancel and terminate across runs of a chain). */
    bool by_chain = first_execution_run_id && *first_execution_run_id;
    int rc = sg_op_load_current(op, namespace_id, we->workflow_id, by_chain ? "" : we->run_id, &x);
    if (rc == 0 && by_chain &&
        strcmp(x->ms->first_execution_run_id, first_execution_run_id) != 0)
        rc = SG_ENOTFOUND;
    if (rc == SG_ENOTFOUND) {
        set_err(err, op->a, "workflow execution not found for workflow ID \"%s\"%s%s%s",
                we->workflow_id, *we->run_id ? " and run ID \"" : "", we->run_id,
                *we->run_id ? "\"" : "");
        return rc;
    }
    if (rc < 0)
        return rc;
    *out = x;
    *closed = x->ms->status != ST_RUNNING;
    if (*closed)
        set_err(err, op->a, "workflow execution already completed");
    return 0;
}

int sg_engine_signal(sg_engine *e, sg_arena *a, const char *namespace_id,
                     const Temporal__Api__Workflowservice__V1__SignalWorkflowExecutionRequest *req,
                     sg_engine_err *err)
{
    sg_op op;
    sg_op_begin(&op, e, a);
    sg_exec *x;
    bool closed;
    int rc = load_run(&op, namespace_id, req->workflow_execution, NULL, &x, &closed, err);
    if (rc < 0 || closed)
        return sg_op_end(&op, rc < 0 ? rc : SG_ENOTFOUND);
    sg_wf_signal_args sig = { .name = req->signal_name, .input = req->input,
                              .header = req->header, .identity = req->identity,
                              .request_id = req->request_id };
    if (sg_wf_signal_seen(x->ms, req->request_id))
        return sg_op_end(&op, 0); /* a retry of a signal already delivered */
    if (sg_wf_signals_exhausted(x->ms)) {
        set_err(err, a, "the workflow has received the maximum number of signals (%d)",
                SG_WF_MAX_SIGNALS);
        return sg_op_end(&op, SG_ELIMIT);
    }
    sg_op_write(&op, x);
    sg_wf_signal(x, a, &sig);
    return sg_op_end(&op, sg_op_commit(&op));
}

int sg_engine_signal_with_start(
    sg_engine *e, sg_arena *a, const char *namespace_id, const char *namespace_name,
    const Temporal__Api__Workflowservice__V1__SignalWithStartWorkflowExecutionRequest *req,
    Temporal__Api__Workflowservice__V1__SignalWithStartWorkflowExecutionResponse *out,
    sg_engine_err *err)
{
    Temporal__Api__Workflowservice__V1__StartWorkflowExecutionRequest *s =
        sg_arena_alloc(a, sizeof *s);
    temporal__api__workflowservice__v1__start_workflow_execution_request__init(s);
    s->namespace_ = req->namespace_;
    s->workflow_id = req->workflow_id;
    s->workflow_type = req->workflow_type;
    s->task_queue = req->task_queue;
    s->input = req->input;
    s->workflow_execution_timeout = req->workflow_execution_timeout;
    s->workflow_run_timeout = req->workflow_run_timeout;
    s->workflow_task_timeout = req->workflow_task_timeout;
    s->identity = req->identity;
    s->request_id = req->request_id;
    s->workflow_id_reuse_policy = req->workflow_id_reuse_policy;
    /* Signal-with-start's default: a running run takes the signal. */
    s->workflow_id_conflict_policy =
        req->workflow_id_conflict_policy
            ? req->workflow_id_conflict_policy
            : TEMPORAL__API__ENUMS__V1__WORKFLOW_ID_CONFLICT_POLICY__WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING;
    s->retry_policy = req->retry_policy;
    s->memo = req->memo;
    s->search_attributes = req->search_attributes;
    s->header = req->header;
    s->workflow_start_delay = req->workflow_start_delay;
    s->cron_schedule = req->cron_schedule;
    s->user_metadata = req->user_metadata;
    s->priority = req->priority;
    sg_wf_signal_args sig = { .name = req->signal_name, .input = req->signal_input,
                              .header = req->header, .identity = req->identity,
                              .request_id = req->request_id };
    Temporal__Api__Workflowservice__V1__StartWorkflowExecutionResponse so =
        TEMPORAL__API__WORKFLOWSERVICE__V1__START_WORKFLOW_EXECUTION_RESPONSE__INIT;
    int rc = start_or_signal(e, a, namespace_id, namespace_name, s, &sig, &so, err);
    if (rc == 0) {
        out->run_id = so.run_id;
        out->started = so.started;
    }
    return rc;
}

int sg_engine_request_cancel(
    sg_engine *e, sg_arena *a, const char *namespace_id,
    const Temporal__Api__Workflowservice__V1__RequestCancelWorkflowExecutionRequest *req,
    sg_engine_err *err)
{
    sg_op op;
    sg_op_begin(&op, e, a);
    sg_exec *x;
    bool closed;
    int rc = load_run(&op, namespace_id, req->workflow_execution, req->first_execution_run_id,
                      &x, &closed, err);
    if (rc < 0)
        return sg_op_end(&op, rc);
    if (closed || x->ms->cancel_requested)
        return sg_op_end(&op, 0); /* as Temporal: a repeat, or a finished run, is a success */
    sg_op_write(&op, x);
    sg_wf_request_cancel(x, a, req->reason, req->identity, req->request_id);
    return sg_op_end(&op, sg_op_commit(&op));
}

int sg_engine_terminate(
    sg_engine *e, sg_arena *a, const char *namespace_id,
    const Temporal__Api__Workflowservice__V1__TerminateWorkflowExecutionRequest *req,
    sg_engine_err *err)
{
    sg_op op;
    sg_op_begin(&op, e, a);
    sg_exec *x;
    bool closed;
    int rc = load_run(&op, namespace_id, req->workflow_execution, req->first_execution_run_id,
                      &x, &closed, err);
    if (rc < 0 || closed)
        return sg_op_end(&op, rc < 0 ? rc : SG_ENOTFOUND);
    sg_op_write(&op, x);
    sg_wft_force_close(x, a);
    sg_wf_terminate_with(x, a, req->reason, req->details, req->identity);
    return sg_op_end(&op, sg_op_commit(&op));
}

int sg_engine_delete(sg_engine *e, sg_arena *a, const char *namespace_id,
                     const Temporal__Api__Common__V1__WorkflowExecution *we, sg_engine_err *err)
{
    sg_op op;
    sg_op_begin(&op, e, a);
    sg_exec *x;
    int rc = sg_op_load_current(&op, namespace_id, we->workflow_id, we->run_id, &x);
    if (rc == SG_ENOTFOUND)
        set_err(err, a, "workflow execution not found for workflow ID \"%s\"", we->workflow_id);
    if (rc < 0)
        return sg_op_end(&op, rc);
    if (x->ms->status == ST_RUNNING) {
        /* As Temporal: a running run is terminated first (its watchers and tasks see it end). */
        sg_op_write(&op, x);
        sg_wft_force_close(x, a);
        sg_wf_terminate(x, a, "Delete workflow execution", "");
        rc = sg_op_commit(&op);
        if (rc < 0)
            return sg_op_end(&op, rc);
    }
    rc = sg_txn_write(e->txn);
    if (rc == 0)
        rc = sg_store_execution_delete(e->st, namespace_id, x->ms->workflow_id, x->ms->run_id);
    if (rc < 0 && rc != SG_ENOTFOUND)
        sg_txn_poison(e->txn, rc);
    if (rc == 0)
        sg_exec_mark_deleted(x);
    return sg_op_end(&op, rc);
}

/* ---- workflow task hand-over ---- */

static void put_token(sg_arena *a, const ms_t *ms, int64_t sched, int32_t attempt, int64_t stamp,
                      ProtobufCBinaryData *out)
{
    Sandglass__V1__TaskToken t = SANDGLASS__V1__TASK_TOKEN__INIT;
    t.namespace_id = ms->namespace_id;
    t.workflow_id = ms->workflow_id;
    t.run_id = ms->run_id;
    t.scheduled_event_id = sched;
    t.attempt = attempt;
    t.stamp = stamp;
    out->data = sg_token_encode(a, &t, &out->len);
}


static int64_t parse_sg_hist_page_token(const ProtobufCBinaryData *tok, const char *run_id)
{
    char buf[128];
    if (!tok->len)
        return 1;
    if (tok->len >= sizeof buf)
        return -1;
    memcpy(buf, tok->data, tok->len);
    buf[tok->len] = '\0';
    size_t rl = strlen(run_id);
    if (strncmp(buf, "sg1:", 4) != 0 || strncmp(buf + 4, run_id, rl) != 0 || buf[4 + rl] != ':')
        return -1;
    long long v = 0;
    if (sscanf(buf + 5 + rl, "%lld", &v) != 1 || v < 1)
        return -1;
    return v;
}

int sg_engine_workflow_task_start(sg_engine *e, sg_arena *a, const sg_task_ref *task,
                                  bool from_sticky, const char *identity, const char *request_id,
                                  Temporal__Api__Workflowservice__V1__PollWorkflowTaskQueueResponse *out,
                                  sg_buf *history)
{
    if (task->scheduled_event_id < 0)
        return sg_query_task_start(e, a, task, out, history);
    sg_op op;
    sg_op_begin(&op, e, a);
    sg_exec *x;
    int rc = sg_op_load(&op, task->namespace_id, task->run_id, &x);
    if (rc < 0)
        return sg_op_end(&op, rc);
    ms_t *ms = x->ms;
    ms_wft *w = ms->wft;
    if (ms->status != ST_RUNNING || !sg_wft_matches(w, task->scheduled_event_id, task->stamp, false))
        return sg_op_end(&op, SG_ENOTFOUND);
    sg_op_write(&op, x);
    int64_t started = sg_wft_start(x, a, from_sticky, identity, request_id);
    rc = sg_op_commit(&op);
    if (rc < 0)
        return sg_op_end(&op, rc);

    put_token(a, ms, w->scheduled_event_id, w->attempt, w->stamp, &out->task_token);
    Temporal__Api__Common__V1__WorkflowExecution *we = sg_arena_alloc(a, sizeof *we);
    temporal__api__common__v1__workflow_execution__init(we);
    we->workflow_id = sg_arena_strdup(a, ms->workflow_id);
    we->run_id = sg_arena_strdup(a, ms->run_id);
    out->workflow_execution = we;
    Temporal__Api__Common__V1__WorkflowType *wt = sg_arena_alloc(a, sizeof *wt);
    temporal__api__common__v1__workflow_type__init(wt);
    wt->name = sg_arena_strdup(a, ms->workflow_type);
    out->workflow_type = wt;
    out->previous_started_event_id = ms->last_completed_wft_started_id;
    out->started_event_id = started;
    out->attempt = w->attempt;
    out->workflow_execution_task_queue =
        sg_tq_new(a, sg_arena_strdup(a, ms->task_queue), TQ_KIND(NORMAL), NULL);
    out->scheduled_time = sg_ts_ms(a, w->scheduled_time_ms);
    out->started_time = sg_ts_ms(a, w->started_time_ms);
    int64_t from = from_sticky && ms->last_completed_wft_started_id
                       ? ms->last_completed_wft_started_id + 1
                       : 1;
    int64_t next;
    rc = sg_hist_read(e, a, ms->namespace_id, ms->run_id, from, SG_HISTORY_PAGE_EVENTS, history, &next);
    if (rc < 0)
        return sg_op_end(&op, rc);
    if (next < ms->next_event_id) {
        size_t len;
        out->next_page_token.data = (uint8_t *)sg_hist_page_token(a, ms->run_id, next, &len);
        out->next_page_token.len = len;
    } else {
        sg_wft_append_transient(x, a, history); /* the last page ends at started_event_id */
    }
    sg_query_attach(e, x, a, out);
    sg_update_attach(e, x, a, started, out);
    return sg_op_end(&op, 0);
}

/* Finds the started workflow task a token names; the error messages are Temporal's. */
static int wft_resolve(sg_op *op, const ProtobufCBinaryData *token, sg_exec **xo,
                       sg_engine_err *err)
{
    sg_arena *a = op->a;
    Sandglass__V1__TaskToken *t = sg_token_decode(a, token->data, token->len);
    if (!t || t->is_activity || *t->query_id) {
        set_err(err, a, "Error deserializing task token.");
        return SG_EINVAL;
    }
    sg_exec *x;
    int rc = sg_op_load(op, t->namespace_id, t->run_id, &x);
    ms_wft *w = rc == 0 ? x->ms->wft : NULL;
    if (rc == SG_ENOTFOUND ||
        (rc == 0 && (x->ms->status != ST_RUNNING ||
                     !sg_wft_matches(w, t->scheduled_event_id, t->stamp, true) ||
                     w->attempt != t->attempt))) {
        set_err(err, a, "Workflow task not found.");
        return SG_ENOTFOUND;
    }
    if (rc < 0)
        return rc;
    *xo = x;
    return 0;
}

int sg_engine_workflow_task_completed(
    sg_engine *e, sg_arena *a,
    const Temporal__Api__Workflowservice__V1__RespondWorkflowTaskCompletedRequest *req,
    Temporal__Api__Workflowservice__V1__RespondWorkflowTaskCompletedResponse *out,
    sg_engine_err *err)
{
    SG_UNUSED(out);
    sg_op op;
    sg_op_begin(&op, e, a);
    sg_exec *x;
    int rc = wft_resolve(&op, &req->task_token, &x, err);
    if (rc < 0)
        return sg_op_end(&op, rc);
    sg_op_write(&op, x);
    ms_t *ms = x->ms;
    int64_t sched = ms->wft->scheduled_event_id;
    int32_t attempt;
    int64_t wtc = sg_wft_complete(x, a, req, &attempt);

    rc = sg_cmd_apply_all(x, a, req, wtc, err);
    if (rc < 0) {
        /* Commands are all-or-nothing: undo everything this completion did (the run returns
         * to its stored state), then fail the task instead. */
        int arc = sg_op_abort(&op);
        if (arc < 0)
            return sg_op_end(&op, arc);
        if (rc != SG_EINVAL) /* not the commands' fault: nothing is written */
            return sg_op_end(&op, rc);
        if (attempt > 1 && err->wft_failed_cause != WFT_CAUSE(UNHANDLED_COMMAND)) {
            /* Temporal writes nothing for a failing retry; the task times out instead. */
            return sg_op_end(&op, SG_EINVAL);
        }
        sg_op_write(&op, x);
        sg_wft_fail(x, a, err->wft_failed_cause, sg_failure_new(a, err->message), req->identity);
        int src = sg_op_commit(&op);
        return sg_op_end(&op, src < 0 ? src : SG_EINVAL);
    }
    sg_wf_note_reset_point(ms, req, wtc);
    if (ms->status == ST_RUNNING) {
        bool had_buffered = sg_ev_has_buffered(x);
        sg_ev_flush_buffer(x, a);
        sg_wft_set_sticky(x, req->sticky_attributes);
        if (had_buffered || req->force_create_new_workflow_task)
            x->need_wft = true;
    }
    /* Signals and cancels the commands sent to other runs land in the same operation. */
    sg_external_deliver(&op, x);
    sg_child_start_all(&op, x);
    rc = sg_op_commit(&op);
    if (rc == 0) {
        sg_query_results(e, x, req);
        sg_update_after_completion(e, x, req, sched);
    }
    return sg_op_end(&op, rc);
}

int sg_engine_workflow_task_failed(
    sg_engine *e, sg_arena *a,
    const Temporal__Api__Workflowservice__V1__RespondWorkflowTaskFailedRequest *req,
    sg_engine_err *err)
{
    sg_op op;
    sg_op_begin(&op, e, a);
    sg_exec *x;
    int rc = wft_resolve(&op, &req->task_token, &x, err);
    if (rc < 0)
        return sg_op_end(&op, rc);
    sg_op_write(&op, x);
    sg_wft_fail(x, a, req->cause, req->failure, req->identity);
    return sg_op_end(&op, sg_op_commit(&op));
}

/* ---- activities ---- */

int sg_engine_activity_task_start(sg_engine *e, sg_arena *a, const sg_task_ref *task,
                                  const char *identity, const char *request_id,
                                  Temporal__Api__Workflowservice__V1__PollActivityTaskQueueResponse *out)
{
    sg_op op;
    sg_op_begin(&op, e, a);
    sg_exec *x;
    int rc = sg_op_load(&op, task->namespace_id, task->run_id, &x);
    if (rc < 0)
        return sg_op_end(&op, rc);
    ms_activity *act = sg_act_find(x, task->scheduled_event_id);
    if (x->ms->status != ST_RUNNING || !act || !sg_act_is_startable(act, task->stamp))
        return sg_op_end(&op, SG_ENOTFOUND);
    sg_op_write(&op, x);
    sg_act_start(act, identity, request_id, sg_clock_now_ms());
    rc = sg_op_commit(&op);
    if (rc < 0)
        return sg_op_end(&op, rc);
    sg_act_poll_response(a, x->ms, act, out);
    return sg_op_end(&op, 0);
}

/* Finds the running attempt a token or (workflow, run, activity id) names. */
static int act_resolve(sg_op *op, const sg_activity_target *t, sg_exec **xo, ms_activity **ao)
{
    sg_exec *x;
    ms_activity *act;
    int rc;
    if (t->token) {
        Sandglass__V1__TaskToken *tok = sg_token_decode(op->a, t->token, t->token_len);
        if (!tok || !tok->is_activity)
            return SG_EINVAL;
        rc = sg_op_load(op, tok->namespace_id, tok->run_id, &x);
        if (rc < 0)
            return rc;
        act = sg_act_find(x, tok->scheduled_event_id);
        if (!act || !sg_act_matches_token(act, tok->attempt, tok->stamp))
            return SG_ENOTFOUND;
    } else {
        rc = sg_op_load_current(op, t->namespace_id, t->workflow_id, t->run_id, &x);
        if (rc < 0)
            return rc;
        act = sg_act_find_by_id(x, t->activity_id);
        if (!act)
            return SG_ENOTFOUND;
    }
    if (x->ms->status != ST_RUNNING || !sg_act_is_started(act))
        return SG_ENOTFOUND;
    *xo = x;
    *ao = act;
    return 0;
}

int sg_engine_activity_task_end(sg_engine *e, sg_arena *a, const sg_activity_target *t,
                                sg_activity_outcome outcome, const ProtobufCMessage *payload,
                                const ProtobufCMessage *failure,
                                const ProtobufCMessage *last_heartbeat_details,
                                const char *identity)
{
    sg_op op;
    sg_op_begin(&op, e, a);
    sg_exec *x;
    ms_activity *act;
    int rc = act_resolve(&op, t, &x, &act);
    if (rc < 0)
        return sg_op_end(&op, rc);
    if (outcome == SG_ACT_CANCELED && !act->cancel_requested)
        return sg_op_end(&op, SG_EPRECOND);
    sg_op_write(&op, x);
    sg_act_end(x, a, act, outcome, payload, failure, last_heartbeat_details, identity,
            sg_clock_now_ms());
    return sg_op_end(&op, sg_op_commit(&op));
}

int sg_engine_activity_heartbeat(sg_engine *e, sg_arena *a, const sg_activity_target *t,
                                 const ProtobufCMessage *details, const char *identity,
                                 bool *cancel_requested)
{
    SG_UNUSED(identity);
    sg_op op;
    sg_op_begin(&op, e, a);
    sg_exec *x;
    ms_activity *act;
    int rc = act_resolve(&op, t, &x, &act);
    if (rc < 0)
        return sg_op_end(&op, rc);
    sg_op_write(&op, x);
    *cancel_requested = sg_act_heartbeat(act, details, sg_clock_now_ms());
    return sg_op_end(&op, sg_op_commit(&op));
}

/* ---- timers and recovery ---- */

static void on_wakeup(void *ud, const char *key)
{
    sg_engine *e = ud;
    const char *slash = strchr(key, '/');
    sg_assert(slash);
    char *ns = sg_strndup(key, (size_t)(slash - key));
    sg_arena a;
    sg_arena_init(&a);
    sg_op op;
    sg_op_begin(&op, e, &a);
    sg_exec *x;
    int rc = sg_op_load(&op, ns, slash + 1, &x);
    sg_free(ns);
    if (rc == 0) {
        sg_op_write(&op, x);
        sg_exec_fire_timers(&op, x, sg_clock_now_ms());
        rc = sg_op_commit(&op);
        if (rc < 0)
            sg_log_error("timer for run %s: cannot save: %s", key, sg_strerror(rc));
    } else if (rc != SG_ENOTFOUND) {
        sg_log_error("timer for run %s: cannot load it: %s", key, sg_strerror(rc));
    }
    sg_op_end(&op, rc);
    sg_arena_deinit(&a);
}

/* A run's state came from the store (recovery, or after a failed batch): its pending tasks go
 * to matching again and its wake-up is armed. */
static void on_reload(sg_engine *e, sg_exec *x)
{
    exec_requeue(x);
    sg_timerq_set(e->timers, x->key, sg_op_next_wakeup(x));
}

/* After-flush pass, per run a commit touched: queries and updates waiting on its task. */
static void on_run_committed(sg_engine *e, const char *namespace_id, const char *run_id)
{
    sg_query_on_run_committed(e, namespace_id, run_id);
    sg_update_on_run_committed(e, namespace_id, run_id);
}

static void free_engine(uv_handle_t *h)
{
    sg_free(h->data);
}

sg_engine *sg_engine_new(const sg_engine_deps *deps)
{
    sg_engine *e = sg_calloc(1, sizeof *e);
    e->loop = deps->loop;
    e->st = deps->st;
    e->txn = deps->txn;
    e->matching = deps->matching;
    e->attr_type = deps->attr_type;
    e->attr_type_ud = deps->attr_type_ud;
    e->timers = sg_timerq_new(deps->loop, on_wakeup, e);
    e->on_reload = on_reload;
    e->on_run_committed = on_run_committed;
    sg_query_init(e);
    sg_update_init(e);
    sg_map_init(&e->cache);
    sg_exec_init_resets(e);
    return e;
}

void sg_engine_on_close(sg_engine *e, sg_engine_close_fn fn, void *ud)
{
    e->on_close = fn;
    e->on_close_ud = ud;
}

void sg_engine_free(sg_engine *e)
{
    if (!e)
        return;
    const char *k;
    void *v;
    /* Collect first: evicting modifies the map. */
    size_t n = sg_map_len(&e->cache), i = 0;
    sg_exec **all = sg_malloc((n ? n : 1) * sizeof *all);
    for (size_t it = 0; sg_map_next(&e->cache, &it, &k, &v);)
        all[i++] = v;
    for (i = 0; i < n; i++) {
        while (all[i]->watchers)
            sg_engine_unwatch(e, all[i]->watchers);
        sg_map_del(&e->cache, all[i]->key);
        protobuf_c_message_free_unpacked(&all[i]->ms->base, NULL);
        for (size_t d = 0; d < all[i]->n_dispatch; d++)
            sg_free(all[i]->dispatch[d].queue);
        sg_free(all[i]->dispatch);
        sg_buf_deinit(&all[i]->batch);
        sg_free(all[i]->key);
        sg_free(all[i]);
    }
    sg_free(all);
    sg_exec_drop_effects(e);
    sg_query_free_all(e);
    sg_update_free_all(e);
    sg_map_deinit(&e->cache);
    sg_timerq_free(e->timers);
    for (size_t r = 0; r < e->n_resets; r++)
        sg_free(e->resets[r]);
    sg_free(e->resets);
    uv_close((uv_handle_t *)&e->reset_idle, free_engine);
}

typedef struct recover_ctx {
    sg_engine *e;
    int n;
} recover_ctx;

static int recover_one(void *ud, const sg_execution_rec *rec)
{
    recover_ctx *c = ud;
    sg_engine *e = c->e;
    ms_t *ms = sandglass__v1__mutable_state__unpack(NULL, rec->state_len, rec->state);
    if (!ms) {
        sg_log_error("recovery: run %s/%s has unreadable state; skipped", rec->namespace_id,
                     rec->run_id);
        return 0;
    }
    sg_exec *x = sg_calloc(1, sizeof *x);
    x->e = e;
    x->ms = ms;
    x->key = sg_exec_key(ms->namespace_id, ms->run_id);
    x->stored_status = ms->status;
    sg_buf_init(&x->batch);
    sg_map_put(&e->cache, x->key, x);
    on_reload(e, x);
    c->n++;
    return 0;
}

bool sg_engine_has_busy_runs(const sg_engine *e)
{
    return e->n_busy > 0;
}

int64_t sg_engine_next_wakeup(sg_engine *e)
{
    return sg_timerq_next_due(e->timers);
}

void sg_engine_clock_moved(sg_engine *e)
{
    sg_timerq_clock_moved(e->timers);
}

int sg_engine_recover(sg_engine *e)
{
    recover_ctx c = { e, 0 };
    int rc = sg_store_execution_scan_running(e->st, recover_one, &c);
    return rc < 0 ? rc : c.n;
}

/* ---- reading ---- */

int sg_engine_get_history(sg_engine *e, sg_arena *a, const char *namespace_id,
                          const Temporal__Api__Workflowservice__V1__GetWorkflowExecutionHistoryRequest *req,
                          bool with_transient,
                          Temporal__Api__Workflowservice__V1__GetWorkflowExecutionHistoryResponse *out,
                          sg_buf *history, bool *is_waitable)
{
    sg_op op;
    sg_op_begin(&op, e, a);
    *is_waitable = false;
    sg_exec *x;
    int rc = sg_op_load_current(&op, namespace_id, req->execution->workflow_id,
                              req->execution->run_id, &x);
    if (rc < 0)
        return sg_op_end(&op, rc);
    ms_t *ms = x->ms;
    bool closed = ms->status != ST_RUNNING;
    if (req->history_event_filter_type ==
        TEMPORAL__API__ENUMS__V1__HISTORY_EVENT_FILTER_TYPE__HISTORY_EVENT_FILTER_TYPE_CLOSE_EVENT) {
        if (closed) {
            int64_t next;
            rc = sg_hist_read(e, a, namespace_id, ms->run_id, ms->close_event_id, 1, history, &next);
            return sg_op_end(&op, rc);
        }
        if (req->wait_new_event) {
            *is_waitable = true;
            size_t len;
            out->next_page_token.data = (uint8_t *)sg_hist_page_token(a, ms->run_id, ms->next_event_id, &len);
            out->next_page_token.len = len;
        }
        return sg_op_end(&op, 0);
    }
    int64_t from = parse_sg_hist_page_token(&req->next_page_token, ms->run_id);
    if (from < 0)
        return sg_op_end(&op, SG_EINVAL);
    /* Temporal serves at most HistoryMaxPageSize (256) events a page, whatever was asked. */
    int64_t page = req->maximum_page_size > 0 && req->maximum_page_size < SG_HISTORY_PAGE_EVENTS
                       ? req->maximum_page_size
                       : SG_HISTORY_PAGE_EVENTS;
    if (from >= ms->next_event_id) {
        if (req->wait_new_event && !closed) {
            *is_waitable = true;
            size_t len;
            out->next_page_token.data = (uint8_t *)sg_hist_page_token(a, ms->run_id, from, &len);
            out->next_page_token.len = len;
        }
        return sg_op_end(&op, 0);
    }
    int64_t next;
    rc = sg_hist_read(e, a, namespace_id, ms->run_id, from, page, history, &next);
    if (rc == 0 && (next < ms->next_event_id || (req->wait_new_event && !closed))) {
        size_t len;
        out->next_page_token.data = (uint8_t *)sg_hist_page_token(a, ms->run_id, next, &len);
        out->next_page_token.len = len;
    } else if (rc == 0 && with_transient) {
        sg_wft_append_transient(x, a, history);
    }
    return sg_op_end(&op, rc);
}

typedef struct rev_ctx {
    sg_arena *a;
    Temporal__Api__History__V1__History **pages;
    size_t n, cap;
    int err;
} rev_ctx;

static int on_rev_batch(void *ud, int64_t first, int64_t last, const uint8_t *data, size_t len)
{
    rev_ctx *c = ud;
    SG_UNUSED(first);
    SG_UNUSED(last);
    Temporal__Api__History__V1__History *h =
        temporal__api__history__v1__history__unpack(&c->a->pb, len, data);
    if (!h) {
        c->err = SG_ECORRUPT;
        return 1;
    }
    if (c->n == c->cap) {
        c->cap = c->cap ? c->cap * 2 : 8;
        c->pages = sg_arena_realloc_array(c->a, c->pages, c->n, c->cap, sizeof *c->pages);
    }
    c->pages[c->n++] = h;
    return 0;
}

int sg_engine_get_history_reverse(
    sg_engine *e, sg_arena *a, const char *namespace_id,
    const Temporal__Api__Workflowservice__V1__GetWorkflowExecutionHistoryReverseRequest *req,
    Temporal__Api__Workflowservice__V1__GetWorkflowExecutionHistoryReverseResponse *out,
    sg_buf *history)
{
    sg_op op;
    sg_op_begin(&op, e, a);
    sg_exec *x;
    int rc = sg_op_load_current(&op, namespace_id, req->execution->workflow_id,
                              req->execution->run_id, &x);
    if (rc < 0)
        return sg_op_end(&op, rc);
    int64_t to = req->next_page_token.len ? parse_sg_hist_page_token(&req->next_page_token, x->ms->run_id)
                                          : x->ms->next_event_id - 1;
    if (to < 0)
        return sg_op_end(&op, SG_EINVAL);
    /* Temporal serves at most HistoryMaxPageSize (256) events a page, whatever was asked. */
    int64_t page = req->maximum_page_size > 0 && req->maximum_page_size < SG_HISTORY_PAGE_EVENTS
                       ? req->maximum_page_size
                       : SG_HISTORY_PAGE_EVENTS;
    rev_ctx c = { .a = a };
    if (to >= 1) {
        rc = sg_store_history_read_reverse(e->st, namespace_id, x->ms->run_id, to, page,
                                           on_rev_batch, &c);
        if (c.err)
            return sg_op_end(&op, c.err);
        if (rc < 0)
            return sg_op_end(&op, rc);
    }
    /* Events newest first: reverse within and across batches. Decoding is fine here: this
     * RPC serves UIs and CLIs, not workers. */
    int64_t emitted = 0, lowest = 0;
    for (size_t b = 0; b < c.n && emitted < page; b++) {
        Temporal__Api__History__V1__History *h = c.pages[b];
        for (size_t i = h->n_events; i-- > 0 && emitted < page;) {
            pb_event *ev = h->events[i];
            if (ev->event_id > to)
                continue;
            sg_pb_encode_field(history, 1, &ev->base);
            emitted++;
            lowest = ev->event_id;
        }
    }
    if (lowest > 1) {
        size_t len;
        out->next_page_token.data = (uint8_t *)sg_hist_page_token(a, x->ms->run_id, lowest - 1, &len);
        out->next_page_token.len = len;
    }
    return sg_op_end(&op, 0);
}

int sg_engine_reset_sticky(sg_engine *e, const char *namespace_id, const char *workflow_id,
                           const char *run_id)
{
    sg_arena a;
    sg_arena_init(&a);
    sg_op op;
    sg_op_begin(&op, e, &a);
    sg_exec *x;
    int rc = sg_op_load_current(&op, namespace_id, workflow_id, run_id, &x);
    if (rc == 0 && *x->ms->sticky_queue) {
        sg_op_write(&op, x);
        sg_ms_set_str(&x->ms->sticky_queue, "");
        rc = sg_op_commit(&op);
    }
    rc = sg_op_end(&op, rc);
    sg_arena_deinit(&a);
    return rc;
}

void sg_engine_sticky_queue_gone(sg_engine *e, const char *namespace_id, const char *sticky_queue)
{
    if (!sticky_queue || !*sticky_queue)
        return;
    const char *k;
    void *v;
    size_t n = sg_map_len(&e->cache), m = 0;
    sg_exec **hit = sg_malloc((n ? n : 1) * sizeof *hit);
    for (size_t it = 0; sg_map_next(&e->cache, &it, &k, &v);) {
        sg_exec *x = v;
        if (strcmp(x->ms->namespace_id, namespace_id) == 0 &&
            strcmp(x->ms->sticky_queue, sticky_queue) == 0)
            hit[m++] = x;
    }
    sg_arena a;
    sg_arena_init(&a);
    for (size_t i = 0; i < m; i++) {
        sg_exec *x = hit[i];
        sg_op op;
        sg_op_begin(&op, e, &a);
        if (sg_op_load(&op, x->ms->namespace_id, x->ms->run_id, &x) < 0)
            continue; /* cached, so found */
        sg_op_write(&op, x);
        sg_wft_unstick(x);
        int rc = sg_op_commit(&op);
        if (rc < 0)
            sg_log_warn("run %s: cannot clear its sticky queue", x->key);
        sg_op_end(&op, rc);
    }
    sg_arena_deinit(&a);
    sg_free(hit);
}

static void exec_requeue(sg_exec *x)
{
    ms_t *ms = x->ms;
    if (ms->status != ST_RUNNING)
        return;
    sg_task_ref t = { ms->namespace_id, ms->workflow_id, ms->run_id, 0, 0 };
    ms_wft *w = ms->wft;
    if (sg_wft_state(w) == SANDGLASS__V1__WORKFLOW_TASK_STATE__WORKFLOW_TASK_STATE_SCHEDULED) {
        t.scheduled_event_id = w->scheduled_event_id;
        t.stamp = w->stamp;
        sg_matching_add(x->e->matching, SG_TASK_WORKFLOW,
                        w->is_sticky ? ms->sticky_queue : ms->task_queue, &t);
    }
    for (size_t i = 0; i < ms->n_activities; i++) {
        ms_activity *act = ms->activities[i];
        if (!act->started_time_ms && !act->retry_at_ms) {
            t.scheduled_event_id = act->scheduled_event_id;
            t.stamp = act->stamp;
            sg_matching_add(x->e->matching, SG_TASK_ACTIVITY, act->task_queue, &t);
        }
    }
}
