/* SPDX-License-Identifier: Apache-2.0 */
/* update.c: workflow updates (UpdateWorkflowExecution, PollWorkflowExecutionUpdate).
 *
 *   (unknown) --sg_engine_update--> ADMITTED (memory) --a workflow task carries it
 *   (sg_update_attach: PollWorkflowTaskQueueResponse.messages)--> SENT
 *   SENT --the worker's acceptance + PROTOCOL_MESSAGE command--> ACCEPTED
 *        (WorkflowExecutionUpdateAccepted; from here durable: MutableState.update_infos)
 *   ACCEPTED --its response + PROTOCOL_MESSAGE--> COMPLETED (WorkflowExecutionUpdateCompleted,
 *        which holds the outcome)
 *   SENT --a rejection, or no answer at all in that completion--> COMPLETED with a failure,
 *        no event (Temporal's rejectUnprocessedUpdates)
 *   SENT --its task failed or timed out--> ADMITTED (the next task carries it)
 *
 * Admitted updates are memory only, as in Temporal: after a restart the client's retry admits
 * them again. Workflow tasks that carry updates are ordinary ones (Temporal uses speculative
 * tasks whose events it can drop); a task whose only answer is a rejection leaves an empty
 * task sequence in the history, which SDKs treat like a task heartbeat. The same update id
 * joins the update already known: admitted, accepted or completed (the outcome is read back
 * from its Completed event). Callers wait in update_waiters_by_run and are answered from the
 * after-flush pass once their stage is durable. */
#include "history/hist.h"
#include "history/events.h"
#include "history/mstate.h"
#include "history/commit.h"
#include "history/op.h"
#include "history/pbutil.h"
#include "history/read.h"
#include "history/update.h"
#include "history/wft.h"

#include "core/log.h"
#include "core/pbenc.h"

#include <string.h>

#define STAGE(S) TEMPORAL__API__ENUMS__V1__UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE__UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_##S
#define TYPE_URL_PREFIX "type.googleapis.com/"

enum { U_ADMITTED, U_SENT };

typedef struct sg_update {
    struct sg_update *next;
    char *update_id;
    Temporal__Api__Update__V1__Request *req; /* heap */
    int state;
    int64_t sent_sched; /* the workflow task carrying it (SENT) */
} sg_update;

struct sg_update_wait {
    sg_update_wait *next;
    sg_engine *e;
    char *namespace_id, *workflow_id, *run_id, *run_key, *update_id;
    int want;
    sg_update_fn fn;
    void *ud;
};

void sg_update_init(sg_engine *e)
{
    sg_map_init(&e->updates_by_run);
    sg_map_init(&e->update_waiters_by_run);
}

static void update_free(sg_update *u)
{
    protobuf_c_message_free_unpacked(&u->req->base, NULL);
    sg_free(u->update_id);
    sg_free(u);
}

static void wait_free(sg_update_wait *w)
{
    sg_free(w->namespace_id);
    sg_free(w->workflow_id);
    sg_free(w->run_id);
    sg_free(w->run_key);
    sg_free(w->update_id);
    sg_free(w);
}

void sg_update_free_all(sg_engine *e)
{
    const char *k;
    void *v;
    for (size_t it = 0; sg_map_next(&e->updates_by_run, &it, &k, &v);)
        for (sg_update *u = v, *next; u; u = next) {
            next = u->next;
            update_free(u);
        }
    for (size_t it = 0; sg_map_next(&e->update_waiters_by_run, &it, &k, &v);)
        for (sg_update_wait *w = v, *next; w; w = next) {
            next = w->next;
            wait_free(w);
        }
    sg_map_deinit(&e->updates_by_run);
    sg_map_deinit(&e->update_waiters_by_run);
}

static sg_update *find_admitted(sg_engine *e, const char *run_key, const char *update_id)
{
    for (sg_update *u = sg_map_get(&e->updates_by_run, run_key); u; u = u->next)
        if (strcmp(u->update_id, update_id) == 0)
            return u;
    return NULL;
}

static void remove_admitted(sg_engine *e, const char *run_key, sg_update *u)
{
    sg_update *head = sg_map_get(&e->updates_by_run, run_key);
    if (head == u) {
        if (u->next)
            sg_map_put(&e->updates_by_run, run_key, u->next);
        else
            sg_map_del(&e->updates_by_run, run_key);
    } else {
        for (sg_update *p = head; p; p = p->next)
            if (p->next == u) {
                p->next = u->next;
                break;
            }
    }
    update_free(u);
}

static Sandglass__V1__UpdateInfo *find_info(const ms_t *ms, const char *update_id)
{
    for (size_t i = 0; i < ms->n_update_infos; i++)
        if (strcmp(ms->update_infos[i]->update_id, update_id) == 0)
            return ms->update_infos[i];
    return NULL;
}

/* The stage an update reached on run x (0: unknown), and its outcome once COMPLETED (read
 * from its Completed event into a). */
static int stage_of(sg_engine *e, sg_arena *a, const sg_exec *x, const char *update_id,
                    const Temporal__Api__Update__V1__Outcome **outcome)
{
    *outcome = NULL;
    const Sandglass__V1__UpdateInfo *info = find_info(x->ms, update_id);
    if (info && info->completed_event_id) {
        sg_buf b;
        sg_buf_init(&b);
        int64_t next;
        if (sg_hist_read(e, a, x->ms->namespace_id, x->ms->run_id, info->completed_event_id, 1, &b,
                         &next) == 0) {
            Temporal__Api__History__V1__History *h =
                temporal__api__history__v1__history__unpack(&a->pb, b.len, sg_buf_head(&b));
            for (size_t i = 0; h && i < h->n_events; i++)
                if (h->events[i]->event_id == info->completed_event_id &&
                    h->events[i]->attributes_case == ATTR_CASE(WORKFLOW_EXECUTION_UPDATE_COMPLETED))
                    *outcome = h->events[i]->workflow_execution_update_completed_event_attributes->outcome;
        }
        sg_buf_deinit(&b);
        return STAGE(COMPLETED);
    }
    if (info)
        return STAGE(ACCEPTED);
    if (find_admitted(e, x->key, update_id))
        return STAGE(ADMITTED);
    return 0;
}

static void answer(sg_update_wait *w, int rc, const char *message, int stage,
                   const Temporal__Api__Update__V1__Outcome *outcome)
{
    sg_update_result r = { .rc = rc, .message = message, .stage = stage, .outcome = outcome,
                           .run_id = w->run_id };
    w->fn(w->ud, &r);
}

static sg_update_wait *wait_new(sg_engine *e, const ms_t *ms, const char *update_id, int want,
                                sg_update_fn fn, void *ud)
{
    sg_update_wait *w = sg_calloc(1, sizeof *w);
    w->e = e;
    w->namespace_id = sg_strdup(ms->namespace_id);
    w->workflow_id = sg_strdup(ms->workflow_id);
    w->run_id = sg_strdup(ms->run_id);
    w->run_key = sg_exec_key(ms->namespace_id, ms->run_id);
    w->update_id = sg_strdup(update_id);
    w->want = want;
    w->fn = fn;
    w->ud = ud;
    return w;
}

static void wait_park(sg_engine *e, sg_update_wait *w)
{
    w->next = sg_map_get(&e->update_waiters_by_run, w->run_key);
    sg_map_put(&e->update_waiters_by_run, w->run_key, w);
}

static void wait_unlink(sg_engine *e, sg_update_wait *w)
{
    sg_update_wait *head = sg_map_get(&e->update_waiters_by_run, w->run_key);
    if (head == w) {
        if (w->next)
            sg_map_put(&e->update_waiters_by_run, w->run_key, w->next);
        else
            sg_map_del(&e->update_waiters_by_run, w->run_key);
        return;
    }
    for (sg_update_wait *p = head; p; p = p->next)
        if (p->next == w) {
            p->next = w->next;
            return;
        }
}

/* Answers now if the stage is there (or the run is gone); else parks the caller. */
static int start_wait(sg_op *op, sg_exec *x, const char *update_id, int want, sg_update_fn fn,
                      void *ud, sg_update_wait **out)
{
    sg_engine *e = op->e;
    const Temporal__Api__Update__V1__Outcome *outcome;
    int stage = stage_of(e, op->a, x, update_id, &outcome);
    sg_update_wait *w = wait_new(e, x->ms, update_id, want, fn, ud);
    bool closed = x->ms->status != ST_RUNNING;
    if (stage >= want || stage == STAGE(COMPLETED)) {
        answer(w, 0, NULL, stage, outcome);
        wait_free(w);
        return sg_op_end(op, 0);
    }
    if (closed) {
        answer(w, SG_ENOTFOUND, "Workflow Update failed because the Workflow completed before "
                                "the Update completed.", stage, NULL);
        wait_free(w);
        return sg_op_end(op, 0);
    }
    wait_park(e, w);
    *out = w;
    return sg_op_end(op, 0);
}

static int want_of(const Temporal__Api__Update__V1__WaitPolicy *p)
{
    int want = p ? (int)p->lifecycle_stage : 0;
    return want < STAGE(ADMITTED) ? STAGE(ADMITTED) : want > STAGE(COMPLETED) ? STAGE(COMPLETED) : want;
}

int sg_engine_update(sg_engine *e, sg_arena *a, const char *namespace_id,
                     const Temporal__Api__Workflowservice__V1__UpdateWorkflowExecutionRequest *req,
                     sg_update_fn fn, void *ud, sg_update_wait **out, sg_engine_err *err)
{
    *out = NULL;
    const char *update_id = req->request->meta->update_id;
    sg_op op;
    sg_op_begin(&op, e, a);
    sg_exec *x;
    int rc = sg_op_load_current(&op, namespace_id, req->workflow_execution->workflow_id,
                                req->workflow_execution->run_id, &x);
    if (rc == SG_ENOTFOUND)
        err->message = sg_arena_printf(a, "workflow execution not found for workflow ID \"%s\"",
                                       req->workflow_execution->workflow_id);
    if (rc < 0)
        return sg_op_end(&op, rc);
    const Temporal__Api__Update__V1__Outcome *outcome;
    int stage = stage_of(e, a, x, update_id, &outcome);
    if (!stage) {
        if (x->ms->status != ST_RUNNING) {
            err->message = sg_arena_strdup(a, "workflow execution already completed");
            return sg_op_end(&op, SG_ENOTFOUND);
        }
        sg_update *u = sg_calloc(1, sizeof *u);
        u->update_id = sg_strdup(update_id);
        u->req = sg_pb_clone_heap(&req->request->base);
        u->state = U_ADMITTED;
        u->next = sg_map_get(&e->updates_by_run, x->key);
        sg_map_put(&e->updates_by_run, x->key, u);
        if (sg_wft_state(x->ms->wft) == SANDGLASS__V1__WORKFLOW_TASK_STATE__WORKFLOW_TASK_STATE_NONE) {
            /* A workflow task brings it to the workflow. */
            sg_op_write(&op, x);
            x->need_wft = true;
            rc = sg_op_commit(&op);
            if (rc < 0) {
                remove_admitted(e, x->key, u);
                return sg_op_end(&op, rc);
            }
        }
    }
    return start_wait(&op, x, update_id, want_of(req->wait_policy), fn, ud, out);
}

int sg_engine_poll_update(sg_engine *e, sg_arena *a, const char *namespace_id,
                          const Temporal__Api__Workflowservice__V1__PollWorkflowExecutionUpdateRequest *req,
                          sg_update_fn fn, void *ud, sg_update_wait **out, sg_engine_err *err)
{
    *out = NULL;
    const Temporal__Api__Update__V1__UpdateRef *ref = req->update_ref;
    sg_op op;
    sg_op_begin(&op, e, a);
    sg_exec *x;
    int rc = sg_op_load_current(&op, namespace_id, ref->workflow_execution->workflow_id,
                                ref->workflow_execution->run_id, &x);
    if (rc < 0) {
        err->message = sg_arena_strdup(a, "workflow execution not found");
        return sg_op_end(&op, rc);
    }
    const Temporal__Api__Update__V1__Outcome *outcome;
    if (!stage_of(e, a, x, ref->update_id, &outcome)) {
        err->message = sg_arena_printf(a, "update %s not found", ref->update_id);
        return sg_op_end(&op, SG_ENOTFOUND);
    }
    return start_wait(&op, x, ref->update_id, want_of(req->wait_policy), fn, ud, out);
}

void sg_engine_update_wait_end(sg_engine *e, sg_update_wait *w, bool answer_now)
{
    wait_unlink(e, w);
    if (answer_now) {
        sg_arena a;
        sg_arena_init(&a);
        sg_op op;
        sg_op_begin(&op, e, &a);
        sg_exec *x;
        int stage = 0;
        const Temporal__Api__Update__V1__Outcome *outcome = NULL;
        if (sg_op_load(&op, w->namespace_id, w->run_id, &x) == 0)
            stage = stage_of(e, &a, x, w->update_id, &outcome);
        answer(w, 0, NULL, stage ? stage : STAGE(ADMITTED), outcome);
        sg_op_end(&op, 0);
        sg_arena_deinit(&a);
    }
    wait_free(w);
}

void sg_update_attach(sg_engine *e, const sg_exec *x, sg_arena *a, int64_t started_event_id,
                      Temporal__Api__Workflowservice__V1__PollWorkflowTaskQueueResponse *resp)
{
    size_t n = 0;
    for (sg_update *u = sg_map_get(&e->updates_by_run, x->key); u; u = u->next)
        n += u->state == U_ADMITTED;
    if (!n)
        return;
    resp->messages = sg_arena_alloc(a, n * sizeof *resp->messages);
    resp->n_messages = 0;
    for (sg_update *u = sg_map_get(&e->updates_by_run, x->key); u; u = u->next) {
        if (u->state != U_ADMITTED)
            continue;
        Temporal__Api__Protocol__V1__Message *m = sg_arena_alloc(a, sizeof *m);
        temporal__api__protocol__v1__message__init(m);
        m->id = sg_arena_printf(a, "%s/request", u->update_id);
        m->protocol_instance_id = sg_arena_strdup(a, u->update_id);
        m->sequencing_id_case = TEMPORAL__API__PROTOCOL__V1__MESSAGE__SEQUENCING_ID_EVENT_ID;
        m->event_id = started_event_id - 1;
        Google__Protobuf__Any *any = sg_arena_alloc(a, sizeof *any);
        google__protobuf__any__init(any);
        any->type_url = TYPE_URL_PREFIX "temporal.api.update.v1.Request";
        any->value.data = sg_pb_encode_arena(&u->req->base, a, &any->value.len);
        m->body = any;
        resp->messages[resp->n_messages++] = m;
        u->state = U_SENT;
        u->sent_sched = x->ms->wft->scheduled_event_id;
    }
}

static const Temporal__Api__Protocol__V1__Message *find_message(
    const Temporal__Api__Workflowservice__V1__RespondWorkflowTaskCompletedRequest *req,
    const char *id)
{
    for (size_t i = 0; i < req->n_messages; i++)
        if (req->messages[i]->id && strcmp(req->messages[i]->id, id) == 0)
            return req->messages[i];
    return NULL;
}

static bool body_is(const Temporal__Api__Protocol__V1__Message *m, const char *type)
{
    if (!m->body || !m->body->type_url)
        return false;
    size_t n = strlen(m->body->type_url), t = strlen(type);
    return n >= t && strcmp(m->body->type_url + n - t, type) == 0;
}

int sg_update_apply_message(sg_exec *x, sg_arena *a,
                            const Temporal__Api__Workflowservice__V1__RespondWorkflowTaskCompletedRequest *req,
                            const char *message_id, int64_t wtc, const char **why)
{
    SG_UNUSED(wtc);
    const Temporal__Api__Protocol__V1__Message *m = find_message(req, message_id);
    if (!m || !m->body) {
        *why = "ProtocolMessageCommand names a message the completion does not carry.";
        return SG_EINVAL;
    }
    ms_t *ms = x->ms;
    const char *update_id = m->protocol_instance_id;
    if (body_is(m, "temporal.api.update.v1.Acceptance")) {
        Temporal__Api__Update__V1__Acceptance *acc = temporal__api__update__v1__acceptance__unpack(
            &a->pb, m->body->value.len, m->body->value.data);
        if (!acc) {
            *why = "Acceptance message body is not a valid Acceptance.";
            return SG_EINVAL;
        }
        if (find_info(ms, update_id)) {
            *why = "The update was accepted already.";
            return SG_EINVAL;
        }
        const Temporal__Api__Update__V1__Request *request = acc->accepted_request;
        if (!request) {
            sg_update *u = find_admitted(x->e, x->key, update_id);
            request = u ? u->req : NULL;
        }
        EV_NEW(a, ev, WORKFLOW_EXECUTION_UPDATE_ACCEPTED, WorkflowExecutionUpdateAccepted,
               workflow_execution_update_accepted);
        ev_attr->protocol_instance_id = (char *)update_id;
        ev_attr->accepted_request_message_id = acc->accepted_request_message_id;
        ev_attr->accepted_request_sequencing_event_id = acc->accepted_request_sequencing_event_id;
        ev_attr->accepted_request = (Temporal__Api__Update__V1__Request *)request;
        int64_t id = sg_ev_append(x, ev);
        Sandglass__V1__UpdateInfo *info = sg_malloc(sizeof *info);
        sandglass__v1__update_info__init(info);
        info->update_id = sg_ms_strdup(update_id);
        info->accepted_event_id = id;
        ms->update_infos = sg_realloc(ms->update_infos,
                                      (ms->n_update_infos + 1) * sizeof *ms->update_infos);
        ms->update_infos[ms->n_update_infos++] = info;
        return 0;
    }
    if (body_is(m, "temporal.api.update.v1.Response")) {
        Temporal__Api__Update__V1__Response *resp = temporal__api__update__v1__response__unpack(
            &a->pb, m->body->value.len, m->body->value.data);
        Sandglass__V1__UpdateInfo *info = find_info(ms, update_id);
        if (!resp || !info || info->completed_event_id) {
            *why = "Response message for an update that is not accepted (or already completed).";
            return SG_EINVAL;
        }
        EV_NEW(a, ev, WORKFLOW_EXECUTION_UPDATE_COMPLETED, WorkflowExecutionUpdateCompleted,
               workflow_execution_update_completed);
        ev_attr->meta = resp->meta;
        ev_attr->accepted_event_id = info->accepted_event_id;
        ev_attr->outcome = resp->outcome;
        info->completed_event_id = sg_ev_append(x, ev);
        return 0;
    }
    *why = "ProtocolMessageCommand names a message that is neither an acceptance nor a response.";
    return SG_EINVAL;
}

/* Ends every waiter of update_id on this run with a rejection outcome. */
static void reject(sg_engine *e, const char *run_key, const char *update_id,
                   Temporal__Api__Failure__V1__Failure *failure)
{
    Temporal__Api__Update__V1__Outcome o = TEMPORAL__API__UPDATE__V1__OUTCOME__INIT;
    o.value_case = TEMPORAL__API__UPDATE__V1__OUTCOME__VALUE_FAILURE;
    o.failure = failure;
    for (;;) {
        sg_update_wait *w = sg_map_get(&e->update_waiters_by_run, run_key);
        while (w && strcmp(w->update_id, update_id) != 0)
            w = w->next;
        if (!w)
            break;
        wait_unlink(e, w);
        answer(w, 0, NULL, STAGE(COMPLETED), &o);
        wait_free(w);
    }
    sg_update *u = find_admitted(e, run_key, update_id);
    if (u)
        remove_admitted(e, run_key, u);
}

void sg_update_after_completion(sg_engine *e, const sg_exec *x,
                                const Temporal__Api__Workflowservice__V1__RespondWorkflowTaskCompletedRequest *req,
                                int64_t completed_sched)
{
    sg_arena a;
    sg_arena_init(&a);
    for (size_t i = 0; i < req->n_messages; i++) {
        const Temporal__Api__Protocol__V1__Message *m = req->messages[i];
        if (!body_is(m, "temporal.api.update.v1.Rejection"))
            continue;
        Temporal__Api__Update__V1__Rejection *rej = temporal__api__update__v1__rejection__unpack(
            &a.pb, m->body->value.len, m->body->value.data);
        Temporal__Api__Failure__V1__Failure *f =
            rej && rej->failure ? rej->failure : sg_failure_new(&a, "update rejected");
        reject(e, x->key, m->protocol_instance_id, f);
    }
    /* Accepted ones are durable now; the ones this task carried and nobody answered are
     * rejected, as Temporal does. */
    for (sg_update *u = sg_map_get(&e->updates_by_run, x->key), *next; u; u = next) {
        next = u->next;
        if (find_info(x->ms, u->update_id)) {
            remove_admitted(e, x->key, u);
        } else if (u->state == U_SENT && u->sent_sched == completed_sched) {
            reject(e, x->key, u->update_id,
                   sg_failure_new(&a, "Workflow Update is rejected because it wasn't processed by "
                                      "worker. Probably, Workflow Update is not supported by the "
                                      "worker."));
        }
    }
    sg_arena_deinit(&a);
}

void sg_update_on_run_committed(sg_engine *e, const char *namespace_id, const char *run_id)
{
    char *key = sg_exec_key(namespace_id, run_id);
    bool any = sg_map_get(&e->updates_by_run, key) || sg_map_get(&e->update_waiters_by_run, key);
    if (!any) {
        sg_free(key);
        return;
    }
    sg_arena a;
    sg_arena_init(&a);
    sg_op op;
    sg_op_begin(&op, e, &a);
    sg_exec *x;
    if (sg_op_load(&op, namespace_id, run_id, &x) < 0) {
        sg_op_end(&op, 0);
        sg_arena_deinit(&a);
        sg_free(key);
        return;
    }
    bool running = x->ms->status == ST_RUNNING;
    int wstate = running ? sg_wft_state(x->ms->wft)
                         : SANDGLASS__V1__WORKFLOW_TASK_STATE__WORKFLOW_TASK_STATE_NONE;
    bool started = wstate == SANDGLASS__V1__WORKFLOW_TASK_STATE__WORKFLOW_TASK_STATE_STARTED;
    bool admitted = false;
    for (sg_update *u = sg_map_get(&e->updates_by_run, key); u; u = u->next) {
        if (u->state == U_SENT && (!started || x->ms->wft->scheduled_event_id != u->sent_sched))
            u->state = U_ADMITTED; /* its task failed or timed out: the next one carries it */
        admitted |= u->state == U_ADMITTED;
    }
    /* Callers whose stage is durable now (or whose run closed). */
    for (sg_update_wait *w = sg_map_get(&e->update_waiters_by_run, key), *next; w; w = next) {
        next = w->next;
        const Temporal__Api__Update__V1__Outcome *outcome;
        int stage = stage_of(e, &a, x, w->update_id, &outcome);
        if (stage >= w->want || stage == STAGE(COMPLETED)) {
            wait_unlink(e, w);
            answer(w, 0, NULL, stage, outcome);
            wait_free(w);
        } else if (!running) {
            wait_unlink(e, w);
            answer(w, SG_ENOTFOUND, "Workflow Update failed because the Workflow completed "
                                    "before the Update completed.", stage, NULL);
            wait_free(w);
        }
    }
    if (!running) {
        for (sg_update *u = sg_map_get(&e->updates_by_run, key), *next; u; u = next) {
            next = u->next;
            remove_admitted(e, key, u);
        }
    } else if (admitted && wstate == SANDGLASS__V1__WORKFLOW_TASK_STATE__WORKFLOW_TASK_STATE_NONE) {
        sg_op_write(&op, x);
        x->need_wft = true;
        if (sg_op_commit(&op) < 0)
            sg_log_warn("run %s: cannot schedule a workflow task for its updates", x->key);
    }
    sg_op_end(&op, 0);
    sg_arena_deinit(&a);
    sg_free(key);
}
