/* SPDX-License-Identifier: Apache-2.0 */
/* runner.c: batch operations carried out — one run's operation (sg_batch_apply), and the jobs
 * too large for their call, which run in the background:
 *
 *     StartBatchOperation (more than the call handles)
 *             │  record RUNNING, the request kept as the job's work
 *             ▼
 *          RUNNING ──slice──▶ RUNNING        a slice: the next runs allowed by the rate, each
 *             │                              one's operation, and the job's new counts and
 *             │ cursor reaches the end       cursor, all in one group-commit batch
 *             ├──────────────▶ COMPLETED
 *             │ StopBatchOperation
 *             └──────────────▶ FAILED        (as Temporal reports a stopped job)
 *
 * Why the cursor is safe: a slice's operations and the cursor past them commit together or not
 * at all, so after a kill -9 the job resumes exactly after the last run it acted on; no run is
 * acted on twice, none skipped. A query job pages through "(query) AND StartTime <= <job
 * start> ORDER BY StartTime", whose page token is the last (start time, run id) seen: that
 * order never changes while the job acts on runs (closing a run moves it in the default
 * order), and runs started after the job are not its targets. An executions job's cursor is
 * the index of the next execution.
 *
 * Pacing: each job earns max_operations_per_second (capped by the server's rate) operations
 * per second of loop time, up to one second's worth, and spends them every TICK_MS. */
#include "batch/runner.h"

#include "core/clock.h"
#include "core/log.h"
#include "core/pbwire.h"
#include "core/sg.h"
#include "history/pbutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* `executions` is deprecated in favour of `target_executions`; clients still send it. */
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"

#define TICK_MS 20
#define SLICE_MAX 200

#define OP(x) TEMPORAL__API__WORKFLOWSERVICE__V1__START_BATCH_OPERATION_REQUEST__OPERATION_##x
#define STATE(x) TEMPORAL__API__ENUMS__V1__BATCH_OPERATION_STATE__BATCH_OPERATION_STATE_##x
#define TYPE(x) TEMPORAL__API__ENUMS__V1__BATCH_OPERATION_TYPE__BATCH_OPERATION_TYPE_##x

typedef struct progress {
    int state; /* 0: not stored yet */
    int64_t done, failed, close_ms;
    ProtobufCBinaryData cursor; /* malloc'd */
} progress;

typedef struct job {
    struct job *next;
    sg_batch_runner *r;
    char *namespace_id;
    sg_batch_req *req; /* unpacked with the default allocator */
    char *query;       /* the ordered query a query job pages through */
    int64_t total, start_ms;
    double rps, allowance;
    uint64_t last_tick;
    /* cur: as written into the open batch; saved: as last committed. */
    progress cur, saved;
    bool hooked; /* waits for the open batch's fate */
} job;

struct sg_batch_runner {
    sg_batch_runner_deps d;
    uv_timer_t timer;
    bool ticking;
    job *jobs;
};

int sg_batch_op_type(const sg_batch_req *req)
{
    switch (req->operation_case) {
    case OP(TERMINATION_OPERATION): return TYPE(TERMINATE);
    case OP(CANCELLATION_OPERATION): return TYPE(CANCEL);
    case OP(SIGNAL_OPERATION): return TYPE(SIGNAL);
    case OP(DELETION_OPERATION): return TYPE(DELETE);
    case OP(RESET_OPERATION): return TYPE(RESET);
    default: return 0;
    }
}

const char *sg_batch_op_identity(const sg_batch_req *req)
{
    const char *id = NULL;
    switch (req->operation_case) {
    case OP(TERMINATION_OPERATION): id = req->termination_operation->identity; break;
    case OP(CANCELLATION_OPERATION): id = req->cancellation_operation->identity; break;
    case OP(SIGNAL_OPERATION): id = req->signal_operation->identity; break;
    case OP(DELETION_OPERATION): id = req->deletion_operation->identity; break;
    case OP(RESET_OPERATION): id = req->reset_operation->identity; break;
    default: break;
    }
    return id ? id : "";
}

/* The first or last WorkflowTaskCompleted of the run (0: none), read page by page. */
static int64_t task_event(sg_engine *e, sg_arena *a, const char *namespace_id,
                          Temporal__Api__Common__V1__WorkflowExecution *we, bool last, int *rc)
{
    int64_t found = 0;
    ProtobufCBinaryData token = { 0 };
    for (;;) {
        Temporal__Api__Workflowservice__V1__GetWorkflowExecutionHistoryRequest req =
            TEMPORAL__API__WORKFLOWSERVICE__V1__GET_WORKFLOW_EXECUTION_HISTORY_REQUEST__INIT;
        req.execution = we;
        req.next_page_token = token;
        Temporal__Api__Workflowservice__V1__GetWorkflowExecutionHistoryResponse out =
            TEMPORAL__API__WORKFLOWSERVICE__V1__GET_WORKFLOW_EXECUTION_HISTORY_RESPONSE__INIT;
        sg_buf h;
        sg_buf_init(&h);
        bool waitable = false;
        *rc = sg_engine_get_history(e, a, namespace_id, &req, false, &out, &h, &waitable);
        Temporal__Api__History__V1__History *page = NULL;
        if (*rc == 0) {
            page = (void *)protobuf_c_message_unpack(&temporal__api__history__v1__history__descriptor,
                                                     &a->pb, h.len, sg_buf_head(&h));
            if (!page)
                *rc = SG_ECORRUPT;
        }
        sg_buf_deinit(&h);
        if (*rc)
            return 0;
        for (size_t i = 0; i < page->n_events; i++)
            if (page->events[i]->event_type ==
                    TEMPORAL__API__ENUMS__V1__EVENT_TYPE__EVENT_TYPE_WORKFLOW_TASK_COMPLETED &&
                (last || !found))
                found = page->events[i]->event_id;
        if (!out.next_page_token.len || (found && !last))
            return found;
        token = out.next_page_token;
    }
}

static int reset(sg_engine *e, sg_arena *a, const char *namespace_id, const sg_batch_req *req,
                 Temporal__Api__Common__V1__WorkflowExecution *we, const char *request_id,
                 const char *identity, sg_engine_err *err, const char **why)
{
    const Temporal__Api__Batch__V1__BatchOperationReset *op = req->reset_operation;
    const Temporal__Api__Common__V1__ResetOptions *o = op->options;
    Temporal__Api__Enums__V1__ResetReapplyExcludeType exclude =
        TEMPORAL__API__ENUMS__V1__RESET_REAPPLY_EXCLUDE_TYPE__RESET_REAPPLY_EXCLUDE_TYPE_SIGNAL;
    Temporal__Api__Workflowservice__V1__ResetWorkflowExecutionRequest r =
        TEMPORAL__API__WORKFLOWSERVICE__V1__RESET_WORKFLOW_EXECUTION_REQUEST__INIT;
    bool last = false, none = false;
    if (o) {
        switch (o->target_case) {
        case TEMPORAL__API__COMMON__V1__RESET_OPTIONS__TARGET_FIRST_WORKFLOW_TASK: last = false; break;
        case TEMPORAL__API__COMMON__V1__RESET_OPTIONS__TARGET_LAST_WORKFLOW_TASK: last = true; break;
        case TEMPORAL__API__COMMON__V1__RESET_OPTIONS__TARGET_WORKFLOW_TASK_ID:
            r.workflow_task_finish_event_id = o->workflow_task_id;
            break;
        default:
            *why = "this reset target is not supported by Sandglass yet";
            return SG_ENOTSUP;
        }
        r.n_reset_reapply_exclude_types = o->n_reset_reapply_exclude_types;
        r.reset_reapply_exclude_types = o->reset_reapply_exclude_types;
        none = o->reset_reapply_type == TEMPORAL__API__ENUMS__V1__RESET_REAPPLY_TYPE__RESET_REAPPLY_TYPE_NONE;
    } else {
        if (op->reset_type != TEMPORAL__API__ENUMS__V1__RESET_TYPE__RESET_TYPE_FIRST_WORKFLOW_TASK &&
            op->reset_type != TEMPORAL__API__ENUMS__V1__RESET_TYPE__RESET_TYPE_LAST_WORKFLOW_TASK) {
            *why = "a batch reset needs a reset type (first or last workflow task)";
            return SG_EINVAL;
        }
        last = op->reset_type == TEMPORAL__API__ENUMS__V1__RESET_TYPE__RESET_TYPE_LAST_WORKFLOW_TASK;
        none = op->reset_reapply_type == TEMPORAL__API__ENUMS__V1__RESET_REAPPLY_TYPE__RESET_REAPPLY_TYPE_NONE;
    }
    if (!r.workflow_task_finish_event_id) {
        int rc;
        r.workflow_task_finish_event_id = task_event(e, a, namespace_id, we, last, &rc);
        if (rc)
            return rc;
        if (!r.workflow_task_finish_event_id) {
            *why = "the workflow has no completed workflow task to reset to";
            return SG_EINVAL;
        }
    }
    if (none && !r.n_reset_reapply_exclude_types) {
        r.n_reset_reapply_exclude_types = 1;
        r.reset_reapply_exclude_types = &exclude;
    }
    r.namespace_ = req->namespace_;
    r.workflow_execution = we;
    r.reason = req->reason;
    r.request_id = (char *)request_id;
    r.identity = (char *)identity;
    r.n_post_reset_operations = op->n_post_reset_operations;
    r.post_reset_operations = op->post_reset_operations;
    Temporal__Api__Workflowservice__V1__ResetWorkflowExecutionResponse out =
        TEMPORAL__API__WORKFLOWSERVICE__V1__RESET_WORKFLOW_EXECUTION_RESPONSE__INIT;
    return sg_engine_reset(e, a, namespace_id, &r, &out, err);
}

int sg_batch_apply(sg_engine *e, sg_arena *a, const char *namespace_id, const sg_batch_req *req,
                   Temporal__Api__Common__V1__WorkflowExecution *we, const char **why)
{
    sg_engine_err err = { 0 };
    const char *identity = sg_batch_op_identity(req);
    if (!*identity)
        identity = "batch";
    char *request_id = sg_arena_printf(a, "batch:%s:%s", req->job_id, we->run_id ? we->run_id : "");
    int rc;
    *why = NULL;
    switch (req->operation_case) {
    case OP(TERMINATION_OPERATION): {
        Temporal__Api__Workflowservice__V1__TerminateWorkflowExecutionRequest r =
            TEMPORAL__API__WORKFLOWSERVICE__V1__TERMINATE_WORKFLOW_EXECUTION_REQUEST__INIT;
        r.namespace_ = req->namespace_;
        r.workflow_execution = we;
        r.reason = req->reason;
        r.details = req->termination_operation->details;
        r.identity = (char *)identity;
        rc = sg_engine_terminate(e, a, namespace_id, &r, &err);
        break;
    }
    case OP(CANCELLATION_OPERATION): {
        Temporal__Api__Workflowservice__V1__RequestCancelWorkflowExecutionRequest r =
            TEMPORAL__API__WORKFLOWSERVICE__V1__REQUEST_CANCEL_WORKFLOW_EXECUTION_REQUEST__INIT;
        r.namespace_ = req->namespace_;
        r.workflow_execution = we;
        r.reason = req->reason;
        r.identity = (char *)identity;
        r.request_id = request_id;
        rc = sg_engine_request_cancel(e, a, namespace_id, &r, &err);
        break;
    }
    case OP(SIGNAL_OPERATION): {
        Temporal__Api__Workflowservice__V1__SignalWorkflowExecutionRequest r =
            TEMPORAL__API__WORKFLOWSERVICE__V1__SIGNAL_WORKFLOW_EXECUTION_REQUEST__INIT;
        r.namespace_ = req->namespace_;
        r.workflow_execution = we;
        r.signal_name = req->signal_operation->signal;
        r.input = req->signal_operation->input;
        r.header = req->signal_operation->header;
        r.identity = (char *)identity;
        r.request_id = request_id;
        rc = sg_engine_signal(e, a, namespace_id, &r, &err);
        break;
    }
    case OP(DELETION_OPERATION):
        rc = sg_engine_delete(e, a, namespace_id, we, &err);
        break;
    case OP(RESET_OPERATION):
        rc = reset(e, a, namespace_id, req, we, request_id, identity, &err, why);
        break;
    default:
        rc = SG_ENOTSUP;
        break;
    }
    if (rc < 0 && !*why)
        *why = err.message ? err.message : sg_strerror(rc);
    return rc;
}

/* ---- background jobs ---- */

static void set_cursor(progress *p, const void *data, size_t len)
{
    sg_free(p->cursor.data);
    p->cursor.data = NULL;
    p->cursor.len = 0;
    if (data) {
        p->cursor.data = sg_malloc(len ? len : 1);
        memcpy(p->cursor.data, data, len);
        p->cursor.len = len;
    }
}

static void progress_copy(progress *to, const progress *from)
{
    if (to->cursor.data != from->cursor.data)
        set_cursor(to, from->cursor.data, from->cursor.len);
    to->state = from->state;
    to->done = from->done;
    to->failed = from->failed;
    to->close_ms = from->close_ms;
}

static void job_free(job *j)
{
    if (!j)
        return;
    sg_free(j->cur.cursor.data);
    sg_free(j->saved.cursor.data);
    if (j->req)
        protobuf_c_message_free_unpacked(&j->req->base, NULL);
    sg_free(j->query);
    sg_free(j->namespace_id);
    sg_free(j);
}

static void unlink_job(sg_batch_runner *r, job *j)
{
    for (job **p = &r->jobs; *p; p = &(*p)->next)
        if (*p == j) {
            *p = j->next;
            return;
        }
}

/* The job's record as Describe answers it, in a. */
static void fill_rec(const job *j, sg_arena *a, sg_batch_rec *rec)
{
    temporal__api__workflowservice__v1__describe_batch_operation_response__init(rec);
    rec->operation_type = (Temporal__Api__Enums__V1__BatchOperationType)sg_batch_op_type(j->req);
    rec->job_id = j->req->job_id;
    rec->state = (Temporal__Api__Enums__V1__BatchOperationState)j->cur.state;
    rec->start_time = sg_ts_ms(a, j->start_ms);
    if (j->cur.close_ms)
        rec->close_time = sg_ts_ms(a, j->cur.close_ms);
    rec->total_operation_count = j->total;
    rec->complete_operation_count = j->cur.done;
    rec->failure_operation_count = j->cur.failed;
    rec->identity = (char *)sg_batch_op_identity(j->req);
    rec->reason = j->req->reason;
    rec->query = j->req->visibility_query ? j->req->visibility_query : "";
}

static void on_commit(void *ud, int status)
{
    job *j = ud;
    j->hooked = false;
    if (status == 0)
        progress_copy(&j->saved, &j->cur);
    else
        progress_copy(&j->cur, &j->saved);
    /* Ended, or never stored (its start was rolled back). */
    if (j->cur.state != STATE(RUNNING)) {
        unlink_job(j->r, j);
        job_free(j);
    }
}

/* Writes the job's current progress into the open batch. */
static int save(sg_batch_runner *r, job *j)
{
    int rc = sg_txn_write(r->d.txn);
    if (rc == 0) {
        sg_arena a;
        sg_arena_init(&a);
        sg_batch_rec rec;
        fill_rec(j, &a, &rec);
        bool running = j->cur.state == STATE(RUNNING);
        rc = sg_batch_progress(r->d.batch, j->namespace_id, &rec, running ? &j->cur.cursor : NULL,
                               running);
        sg_arena_deinit(&a);
        if (rc < 0)
            sg_txn_poison(r->d.txn, rc);
    }
    if (!j->hooked) {
        j->hooked = true;
        sg_txn_on_commit(r->d.txn, on_commit, j);
    }
    return rc;
}

static void acted(job *j, int rc, const char *why, const Temporal__Api__Common__V1__WorkflowExecution *we)
{
    if (rc < 0) {
        j->cur.failed++;
        sg_log_debug("batch %s: %s/%s: %s", j->req->job_id, we->workflow_id, we->run_id, why);
    } else {
        j->cur.done++;
    }
}

/* The next n runs of a job; returns how many it acted on. */
static int slice(sg_batch_runner *r, job *j, int n)
{
    sg_arena a;
    sg_arena_init(&a);
    const char *why = NULL;
    bool end = false;
    int used = 0, rc = 0;
    if (j->req->n_executions) {
        size_t i = j->cur.cursor.len ? (size_t)strtoull((const char *)j->cur.cursor.data, NULL, 10) : 0;
        for (; used < n && i < j->req->n_executions; used++, i++) {
            rc = sg_batch_apply(r->d.engine, &a, j->namespace_id, j->req, j->req->executions[i], &why);
            acted(j, rc, why, j->req->executions[i]);
        }
        end = i >= j->req->n_executions;
        char next[32];
        int len = snprintf(next, sizeof next, "%zu", i);
        set_cursor(&j->cur, next, (size_t)len + 1);
    } else {
        sg_buf rows;
        sg_buf_init(&rows);
        ProtobufCBinaryData next = { 0 };
        rc = sg_visibility_list(r->d.visibility, &a, j->namespace_id, j->query, n, &j->cur.cursor,
                                &rows, &next, &why);
        Temporal__Api__Workflowservice__V1__ListWorkflowExecutionsResponse *page = NULL;
        if (rc == 0) {
            page = (void *)protobuf_c_message_unpack(
                &temporal__api__workflowservice__v1__list_workflow_executions_response__descriptor,
                &a.pb, rows.len, sg_buf_head(&rows));
            if (!page) {
                rc = SG_ECORRUPT;
                why = "cannot read the visibility rows";
            }
        }
        sg_buf_deinit(&rows);
        if (rc < 0) {
            /* The query worked when the job started; a store that cannot answer it now
             * (or a search attribute removed since) ends the job rather than spinning. */
            sg_log_warn("batch %s stops: %s", j->req->job_id, why ? why : sg_strerror(rc));
            end = true;
            j->cur.state = STATE(FAILED);
        } else {
            for (size_t k = 0; k < page->n_executions; k++) {
                Temporal__Api__Common__V1__WorkflowExecution *we = page->executions[k]->execution;
                if (!we)
                    continue;
                rc = sg_batch_apply(r->d.engine, &a, j->namespace_id, j->req, we, &why);
                acted(j, rc, why, we);
                used++;
            }
            end = !next.len;
            set_cursor(&j->cur, next.data, next.len);
        }
    }
    if (end) {
        if (j->cur.state == STATE(RUNNING))
            j->cur.state = STATE(COMPLETED);
        j->cur.close_ms = sg_clock_now_ms();
    }
    save(r, j);
    sg_arena_deinit(&a);
    return used;
}

static void tick(uv_timer_t *t)
{
    sg_batch_runner *r = t->data;
    uint64_t now = uv_now(r->d.loop);
    bool any = false;
    for (job *j = r->jobs, *next; j; j = next) {
        next = j->next;
        if (j->cur.state != STATE(RUNNING))
            continue;
        any = true;
        if (j->hooked) /* its last slice has not committed yet */
            continue;
        double burst = j->rps < 1 ? 1 : j->rps;
        j->allowance += (double)(now - j->last_tick) * j->rps / 1000.0;
        if (j->allowance > burst)
            j->allowance = burst;
        j->last_tick = now;
        int n = (int)j->allowance;
        if (n < 1)
            continue;
        j->allowance -= slice(r, j, n < SLICE_MAX ? n : SLICE_MAX);
    }
    if (!any) {
        uv_timer_stop(&r->timer);
        r->ticking = false;
    }
}

static void wake(sg_batch_runner *r)
{
    if (!r->ticking) {
        r->ticking = true;
        uv_timer_start(&r->timer, tick, TICK_MS, TICK_MS);
    }
}

/* A job in memory from its request (taken) and progress; NULL if the query cannot be built. */
static job *job_new(sg_batch_runner *r, const char *namespace_id, sg_batch_req *req, int64_t total,
                    int64_t start_ms)
{
    job *j = sg_calloc(1, sizeof *j);
    j->r = r;
    j->namespace_id = sg_strdup(namespace_id);
    j->req = req;
    j->total = total;
    j->start_ms = start_ms;
    j->rps = req->max_operations_per_second > 0 && req->max_operations_per_second < r->d.max_rps
                 ? req->max_operations_per_second
                 : r->d.max_rps;
    j->last_tick = uv_now(r->d.loop);
    if (!req->n_executions) {
        /* Runs started up to the job's start, in an order acting on them does not change. */
        time_t secs = (time_t)(start_ms / 1000);
        struct tm tm;
        gmtime_r(&secs, &tm);
        char when[64];
        strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%S", &tm);
        size_t n = strlen(req->visibility_query) + 160;
        j->query = sg_malloc(n);
        /* An empty query (a deleted namespace's reclaim job) means every run. */
        if (*req->visibility_query)
            snprintf(j->query, n, "(%s) AND StartTime <= '%s.%03dZ' ORDER BY StartTime",
                     req->visibility_query, when, (int)(start_ms % 1000));
        else
            snprintf(j->query, n, "StartTime <= '%s.%03dZ' ORDER BY StartTime", when,
                     (int)(start_ms % 1000));
    }
    j->next = r->jobs;
    r->jobs = j;
    return j;
}

sg_batch_runner *sg_batch_runner_new(const sg_batch_runner_deps *deps)
{
    sg_batch_runner *r = sg_calloc(1, sizeof *r);
    r->d = *deps;
    if (!(r->d.max_rps > 0))
        r->d.max_rps = 50;
    uv_timer_init(r->d.loop, &r->timer);
    r->timer.data = r;
    /* Jobs never keep the loop alive: a stopping server stops when its connections are done. */
    uv_unref((uv_handle_t *)&r->timer);
    return r;
}

static void on_closed(uv_handle_t *h)
{
    sg_free(h->data);
}

void sg_batch_runner_free(sg_batch_runner *r)
{
    if (!r)
        return;
    for (job *j = r->jobs, *next; j; j = next) {
        next = j->next;
        job_free(j);
    }
    r->jobs = NULL;
    uv_close((uv_handle_t *)&r->timer, on_closed);
}

static int resume(void *ud, const sg_batch_work *w)
{
    sg_batch_runner *r = ud;
    sg_batch_req *req = (sg_batch_req *)protobuf_c_message_unpack(
        &temporal__api__workflowservice__v1__start_batch_operation_request__descriptor, NULL,
        w->work_len, w->work);
    sg_arena a;
    sg_arena_init(&a);
    sg_batch_rec *rec = (sg_batch_rec *)protobuf_c_message_unpack(
        &temporal__api__workflowservice__v1__describe_batch_operation_response__descriptor, &a.pb,
        w->info_len, w->info);
    if (!req || !rec || !req->job_id || strcmp(req->job_id, w->job_id) != 0) {
        sg_log_warn("batch operation %s cannot be resumed: its stored record is unreadable", w->job_id);
        if (req)
            protobuf_c_message_free_unpacked(&req->base, NULL);
        sg_arena_deinit(&a);
        return 0;
    }
    job *j = job_new(r, w->namespace_id, req, rec->total_operation_count, sg_ts_to_ms(rec->start_time));
    j->cur.state = STATE(RUNNING);
    j->cur.done = rec->complete_operation_count;
    j->cur.failed = rec->failure_operation_count;
    set_cursor(&j->cur, w->cursor, w->cursor ? w->cursor_len : 0);
    progress_copy(&j->saved, &j->cur);
    sg_arena_deinit(&a);
    return 0;
}

int sg_batch_runner_recover(sg_batch_runner *r)
{
    int n = sg_batch_running(r->d.batch, resume, r);
    if (n > 0)
        wake(r);
    return n;
}

int sg_batch_runner_count(const sg_batch_runner *r, const char *namespace_id)
{
    int n = 0;
    for (const job *j = r->jobs; j; j = j->next)
        if (j->cur.state == STATE(RUNNING) && strcmp(j->namespace_id, namespace_id) == 0)
            n++;
    return n;
}

int sg_batch_runner_start(sg_batch_runner *r, sg_arena *ca, const char *namespace_id,
                          const sg_batch_req *req, int64_t total, int64_t start_ms, const char **why)
{
    /* The job keeps its own copy of the request: the call's goes with the call. */
    sg_batch_req *copy = sg_pb_clone(&req->base, NULL);
    job *j = job_new(r, namespace_id, copy, total, start_ms);
    j->cur.state = STATE(RUNNING);
    int rc = 0;
    *why = NULL;
    if (j->query) {
        /* The job's own ordering must compile with the caller's query (which cannot have one). */
        sg_buf rows;
        sg_buf_init(&rows);
        ProtobufCBinaryData next;
        rc = sg_visibility_list(r->d.visibility, ca, namespace_id, j->query, 1, NULL, &rows, &next, why);
        sg_buf_deinit(&rows);
        if (rc == SG_EINVAL)
            *why = sg_arena_printf(ca, "a batch operation over more than %d workflows pages through "
                                       "them by StartTime, so its query cannot have ORDER BY (%s)",
                                   SG_BATCH_MAX_SYNC, *why ? *why : "invalid query");
    }
    sg_arena a;
    sg_arena_init(&a);
    sg_batch_rec rec;
    fill_rec(j, &a, &rec);
    if (rc == 0)
        rc = sg_batch_save(r->d.batch, namespace_id, &rec, &copy->base);
    sg_arena_deinit(&a);
    if (rc < 0) {
        unlink_job(r, j);
        job_free(j);
        return rc;
    }
    j->hooked = true;
    sg_txn_on_commit(r->d.txn, on_commit, j);
    wake(r);
    return 0;
}

int sg_batch_runner_stop(sg_batch_runner *r, const char *namespace_id, const char *job_id)
{
    for (job *j = r->jobs; j; j = j->next) {
        if (j->cur.state != STATE(RUNNING) || strcmp(j->namespace_id, namespace_id) != 0 ||
            strcmp(j->req->job_id, job_id) != 0)
            continue;
        j->cur.state = STATE(FAILED);
        j->cur.close_ms = sg_clock_now_ms();
        return save(r, j);
    }
    return SG_ENOTFOUND;
}
