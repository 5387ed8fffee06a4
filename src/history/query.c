/* SPDX-License-Identifier: Apache-2.0 */
/* query.c: QueryWorkflow — queries live in memory only, from the call to its answer.
 *
 *   sg_engine_query --(run has a workflow task pending or running)--> BUFFERED
 *                   --(no task, or the run is closed)-------------> DISPATCHED
 *   BUFFERED --the pending task is handed out (sg_query_attach)--> ATTACHED
 *   ATTACHED --its completion carries the result (sg_query_results)--> answered
 *   ATTACHED --its task failed or timed out (sg_query_on_run_committed)--> BUFFERED
 *   BUFFERED --the run has no task left, or closed (sg_query_on_run_committed)--> DISPATCHED
 *   DISPATCHED --a poller takes the query task (sg_query_task_start)--> TASK_STARTED
 *   TASK_STARTED --RespondQueryTaskCompleted--> answered
 *   any --the caller gives up (sg_engine_query_cancel)--> dropped
 *
 * This is Temporal's split between "consistent" queries (attached to the next workflow task's
 * `queries`) and legacy query tasks (PollWorkflowTaskQueueResponse.query) for a run that has
 * no task to ride on (PROTOCOL.md 3.5). Query tasks go to the run's normal task queue with the
 * full history (Temporal tries the sticky queue first with none); they are task references in
 * matching with scheduled_event_id = -seq, so a stale one is refused like any stale task. */
#include "history/hist.h"
#include "history/mstate.h"
#include "history/op.h"
#include "history/pbutil.h"
#include "history/query.h"
#include "history/read.h"
#include "history/token.h"
#include "history/wft.h"

#include "core/log.h"

#include <stdio.h>
#include <string.h>

enum { Q_BUFFERED, Q_ATTACHED, Q_DISPATCHED, Q_TASK_STARTED };

struct sg_query {
    sg_query *next; /* the run's next query, in arrival order */
    sg_engine *e;
    int64_t seq;
    char id[32];
    char *namespace_id, *workflow_id, *run_id, *run_key;
    Temporal__Api__Query__V1__WorkflowQuery *q; /* heap copy */
    int state;
    int64_t attached_sched; /* the workflow task it rides on (ATTACHED) */
    sg_query_done_fn done;
    void *ud;
};

void sg_query_init(sg_engine *e)
{
    sg_map_init(&e->queries);
    sg_map_init(&e->queries_by_run);
}

static void query_unlink(sg_query *q)
{
    sg_engine *e = q->e;
    sg_map_del(&e->queries, q->id);
    sg_query *head = sg_map_get(&e->queries_by_run, q->run_key);
    if (head == q) {
        if (q->next)
            sg_map_put(&e->queries_by_run, q->run_key, q->next);
        else
            sg_map_del(&e->queries_by_run, q->run_key);
    } else {
        for (sg_query *p = head; p; p = p->next)
            if (p->next == q) {
                p->next = q->next;
                break;
            }
    }
}

static void query_free(sg_query *q)
{
    protobuf_c_message_free_unpacked(&q->q->base, NULL);
    sg_free(q->namespace_id);
    sg_free(q->workflow_id);
    sg_free(q->run_id);
    sg_free(q->run_key);
    sg_free(q);
}

void sg_query_free_all(sg_engine *e)
{
    const char *k;
    void *v;
    size_t n = sg_map_len(&e->queries), i = 0;
    sg_query **all = sg_malloc((n ? n : 1) * sizeof *all);
    for (size_t it = 0; sg_map_next(&e->queries, &it, &k, &v);)
        all[i++] = v;
    for (i = 0; i < n; i++)
        query_free(all[i]);
    sg_free(all);
    sg_map_deinit(&e->queries);
    sg_map_deinit(&e->queries_by_run);
}

/* Answers the caller and forgets the query. */
static void query_answer(sg_query *q, const sg_query_outcome *o)
{
    query_unlink(q);
    sg_query_done_fn done = q->done;
    void *ud = q->ud;
    q->done = NULL;
    done(ud, o);
    query_free(q);
}

static void query_dispatch(sg_query *q, const char *task_queue)
{
    q->state = Q_DISPATCHED;
    sg_task_ref ref = { q->namespace_id, q->workflow_id, q->run_id, -q->seq, 0 };
    sg_matching_add(q->e->matching, SG_TASK_WORKFLOW, task_queue, &ref);
}

int sg_engine_query(sg_engine *e, sg_arena *a, const char *namespace_id,
                    const Temporal__Api__Workflowservice__V1__QueryWorkflowRequest *req,
                    sg_query_done_fn done, void *ud, sg_query **out, sg_engine_err *err)
{
    *out = NULL;
    sg_op op;
    sg_op_begin(&op, e, a);
    sg_exec *x;
    int rc = sg_op_load_current(&op, namespace_id, req->execution->workflow_id,
                                req->execution->run_id, &x);
    if (rc == SG_ENOTFOUND)
        err->message = sg_arena_printf(a, "workflow execution not found for workflow ID \"%s\"",
                                       req->execution->workflow_id);
    if (rc < 0)
        return sg_op_end(&op, rc);
    const ms_t *ms = x->ms;
    int cond = req->query_reject_condition;
    bool reject =
        (cond == TEMPORAL__API__ENUMS__V1__QUERY_REJECT_CONDITION__QUERY_REJECT_CONDITION_NOT_OPEN &&
         ms->status != ST_RUNNING) ||
        (cond == TEMPORAL__API__ENUMS__V1__QUERY_REJECT_CONDITION__QUERY_REJECT_CONDITION_NOT_COMPLETED_CLEANLY &&
         ms->status != ST_RUNNING && ms->status != ST_COMPLETED);
    if (reject) {
        sg_query_outcome o = { .rejected_status = ms->status };
        sg_op_end(&op, 0);
        done(ud, &o);
        return 0;
    }
    sg_query *q = sg_calloc(1, sizeof *q);
    q->e = e;
    q->seq = ++e->query_seq;
    snprintf(q->id, sizeof q->id, "q-%lld", (long long)q->seq);
    q->namespace_id = sg_strdup(ms->namespace_id);
    q->workflow_id = sg_strdup(ms->workflow_id);
    q->run_id = sg_strdup(ms->run_id);
    q->run_key = sg_exec_key(ms->namespace_id, ms->run_id);
    q->q = sg_pb_clone_heap(&req->query->base);
    q->done = done;
    q->ud = ud;
    sg_map_put(&e->queries, q->id, q);
    /* Appended at the tail: answers and attachments keep arrival order. */
    sg_query *head = sg_map_get(&e->queries_by_run, q->run_key);
    if (!head) {
        sg_map_put(&e->queries_by_run, q->run_key, q);
    } else {
        while (head->next)
            head = head->next;
        head->next = q;
    }
    bool has_task = ms->status == ST_RUNNING &&
                    sg_wft_state(ms->wft) != SANDGLASS__V1__WORKFLOW_TASK_STATE__WORKFLOW_TASK_STATE_NONE;
    char *queue = sg_arena_strdup(a, ms->task_queue);
    sg_op_end(&op, 0);
    /* After the op: the offer may start a new one on this run. */
    q->state = Q_BUFFERED;
    if (!has_task)
        query_dispatch(q, queue);
    *out = q;
    return 0;
}

void sg_engine_query_cancel(sg_engine *e, sg_query *q)
{
    SG_UNUSED(e);
    query_unlink(q);
    query_free(q);
}

void sg_query_attach(sg_engine *e, const sg_exec *x, sg_arena *a,
                     Temporal__Api__Workflowservice__V1__PollWorkflowTaskQueueResponse *resp)
{
    sg_query *head = sg_map_get(&e->queries_by_run, x->key);
    size_t n = 0;
    for (sg_query *q = head; q; q = q->next)
        n += q->state == Q_BUFFERED;
    if (!n)
        return;
    typedef Temporal__Api__Workflowservice__V1__PollWorkflowTaskQueueResponse__QueriesEntry entry;
    resp->queries = sg_arena_alloc(a, n * sizeof *resp->queries);
    resp->n_queries = 0;
    for (sg_query *q = head; q; q = q->next) {
        if (q->state != Q_BUFFERED)
            continue;
        entry *en = sg_arena_alloc(a, sizeof *en);
        temporal__api__workflowservice__v1__poll_workflow_task_queue_response__queries_entry__init(en);
        en->key = q->id;
        en->value = sg_pb_clone_arena(a, &q->q->base);
        resp->queries[resp->n_queries++] = en;
        q->state = Q_ATTACHED;
        q->attached_sched = x->ms->wft->scheduled_event_id;
    }
}

/* A WorkflowQueryResult (from a completion or a query task) as the caller's outcome. */
static sg_query_outcome outcome_of(int completed_type, const pb_payloads *answer,
                                   const char *error_message, const pb_failure *failure)
{
    sg_query_outcome o = { 0 };
    if (completed_type == TEMPORAL__API__ENUMS__V1__QUERY_RESULT_TYPE__QUERY_RESULT_TYPE_ANSWERED) {
        o.answer = answer;
    } else {
        o.rc = SG_EINVAL;
        o.error_message = error_message && *error_message
                              ? error_message
                              : failure && *failure->message ? failure->message : "query failed";
        o.failure = failure;
    }
    return o;
}

void sg_query_results(sg_engine *e, const sg_exec *x,
                      const Temporal__Api__Workflowservice__V1__RespondWorkflowTaskCompletedRequest *req)
{
    for (size_t i = 0; i < req->n_query_results; i++) {
        const char *id = req->query_results[i]->key;
        const Temporal__Api__Query__V1__WorkflowQueryResult *r = req->query_results[i]->value;
        sg_query *q = sg_map_get(&e->queries, id);
        if (!q || q->state != Q_ATTACHED || strcmp(q->run_key, x->key) != 0 || !r)
            continue; /* the caller gave up, or a result for another task */
        sg_query_outcome o = outcome_of(r->result_type, r->answer, r->error_message, r->failure);
        query_answer(q, &o);
    }
}

int sg_query_task_start(sg_engine *e, sg_arena *a, const sg_task_ref *task,
                        Temporal__Api__Workflowservice__V1__PollWorkflowTaskQueueResponse *out,
                        sg_buf *history)
{
    char id[32];
    snprintf(id, sizeof id, "q-%lld", (long long)-task->scheduled_event_id);
    sg_query *q = sg_map_get(&e->queries, id);
    if (!q || q->state != Q_DISPATCHED)
        return SG_ENOTFOUND;
    sg_op op;
    sg_op_begin(&op, e, a);
    sg_exec *x;
    int rc = sg_op_load(&op, task->namespace_id, task->run_id, &x);
    if (rc < 0)
        return sg_op_end(&op, rc);
    const ms_t *ms = x->ms;
    Sandglass__V1__TaskToken t = SANDGLASS__V1__TASK_TOKEN__INIT;
    t.namespace_id = ms->namespace_id;
    t.workflow_id = ms->workflow_id;
    t.run_id = ms->run_id;
    t.query_id = q->id;
    out->task_token.data = sg_token_encode(a, &t, &out->task_token.len);
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
    out->started_event_id = 0;
    out->attempt = 1;
    out->workflow_execution_task_queue =
        sg_tq_new(a, sg_arena_strdup(a, ms->task_queue), TQ_KIND(NORMAL), NULL);
    out->query = sg_pb_clone_arena(a, &q->q->base);
    int64_t next;
    rc = sg_hist_read(e, a, ms->namespace_id, ms->run_id, 1, SG_HISTORY_PAGE_EVENTS, history, &next);
    if (rc == 0 && next < ms->next_event_id) {
        out->next_page_token.data =
            (uint8_t *)sg_hist_page_token(a, ms->run_id, next, &out->next_page_token.len);
    }
    if (rc == 0)
        q->state = Q_TASK_STARTED;
    return sg_op_end(&op, rc);
}

int sg_engine_query_task_completed(
    sg_engine *e, sg_arena *a,
    const Temporal__Api__Workflowservice__V1__RespondQueryTaskCompletedRequest *req,
    sg_engine_err *err)
{
    Sandglass__V1__TaskToken *t = sg_token_decode(a, req->task_token.data, req->task_token.len);
    if (!t || !*t->query_id) {
        err->message = sg_arena_strdup(a, "Error deserializing task token.");
        return SG_EINVAL;
    }
    sg_query *q = sg_map_get(&e->queries, t->query_id);
    if (!q || q->state != Q_TASK_STARTED) {
        err->message = sg_arena_strdup(a, "query task not found or already expired");
        return SG_ENOTFOUND;
    }
    sg_query_outcome o = outcome_of(req->completed_type, req->query_result, req->error_message,
                                    req->failure);
    query_answer(q, &o);
    return 0;
}

void sg_query_on_run_committed(sg_engine *e, const char *namespace_id, const char *run_id)
{
    char *key = sg_exec_key(namespace_id, run_id);
    sg_query *head = sg_map_get(&e->queries_by_run, key);
    sg_free(key);
    if (!head)
        return;
    sg_arena a;
    sg_arena_init(&a);
    sg_op op;
    sg_op_begin(&op, e, &a);
    sg_exec *x;
    if (sg_op_load(&op, namespace_id, run_id, &x) < 0) {
        sg_op_end(&op, 0);
        sg_arena_deinit(&a);
        return;
    }
    const ms_t *ms = x->ms;
    int state = ms->status == ST_RUNNING ? sg_wft_state(ms->wft)
                                         : SANDGLASS__V1__WORKFLOW_TASK_STATE__WORKFLOW_TASK_STATE_NONE;
    bool started = state == SANDGLASS__V1__WORKFLOW_TASK_STATE__WORKFLOW_TASK_STATE_STARTED;
    bool none = state == SANDGLASS__V1__WORKFLOW_TASK_STATE__WORKFLOW_TASK_STATE_NONE;
    char *queue = sg_arena_strdup(&a, ms->task_queue);
    int64_t sched = started ? ms->wft->scheduled_event_id : 0;
    sg_op_end(&op, 0);
    /* By id, looked up again each time: nothing here may touch a query that went away. */
    size_t n = 0;
    for (sg_query *q = head; q; q = q->next)
        n++;
    char **ids = sg_arena_alloc(&a, n * sizeof *ids);
    n = 0;
    for (sg_query *q = head; q; q = q->next) {
        ids[n++] = sg_arena_strdup(&a, q->id);
        if (q->state == Q_ATTACHED && (!started || q->attached_sched != sched))
            q->state = Q_BUFFERED; /* its task failed, timed out or completed without it */
    }
    for (size_t i = 0; i < n && none; i++) {
        sg_query *q = sg_map_get(&e->queries, ids[i]);
        if (q && q->state == Q_BUFFERED)
            query_dispatch(q, queue);
    }
    sg_arena_deinit(&a);
}
