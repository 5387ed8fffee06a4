/* SPDX-License-Identifier: Apache-2.0 */
/* scheduler.c: schedules, run by the server itself (Temporal runs each as a workflow; here a
 * schedule is a record and a timer, and a tick writes no history).
 *
 * Design note. Every schedule is held in memory (its sandglass.v1.ScheduleRecord and compiled
 * spec) and stored as one row. Its next wake-up lives in a timer queue keyed like the engine's
 * runs; a wake-up takes every action whose (jittered) time has come since processed_until:
 *
 *     time due ──paused──────────────────────────────▶ nothing (the time is passed over)
 *        │ older than the catch-up window ──────────▶ missed_catchup_window++
 *        │ remaining actions used up ───────────────▶ nothing
 *        ▼
 *     overlap policy, when a workflow it started still runs:
 *        SKIP ─▶ overlap_skipped++      BUFFER_ONE ─▶ buffered (at most one; more dropped)
 *        BUFFER_ALL ─▶ buffered         CANCEL_OTHER / TERMINATE_OTHER ─▶ the running one is
 *        ALLOW_ALL ─▶ started           cancelled / terminated, the new one buffered
 *     otherwise ─▶ started: id "<workflow id>-<nominal time, RFC 3339>", with the search
 *                  attributes TemporalScheduledById and TemporalScheduledStartTime
 *
 * Why it is exact across crashes: a start goes through the engine into the open group-commit
 * batch, and the schedule's record (counters, recent actions, running workflows, buffer,
 * processed_until) is written into the same batch, so after a kill -9 either both happened or
 * neither; the restart resumes from the stored processed_until, so no time inside the
 * catch-up window is lost and none is taken twice. If a batch fails, each schedule it touched
 * goes back to its last committed record.
 *
 * Runs are watched without polling: the engine calls on_close after the commit that closes a
 * run; a schedule's running workflow that closes is dropped from running_workflows, its
 * recent action gets the final status, pause_on_failure may pause the schedule, and the
 * buffer gets its turn. */
#include "schedule/scheduler.h"

#include "core/clock.h"
#include "core/log.h"
#include "core/map.h"
#include "core/metrics.h"
#include "core/pbenc.h"
#include "core/pbjson.h"
#include "core/pbwire.h"
#include "core/uuid.h"
#include "schedule/spec.h"
#include "timer/timerq.h"
#include "visibility/attrs.h"
#include "visibility/match.h"

#include "sandglass/v1/schedule.pb-c.h"
#include "temporal/api/history/v1/message.pb-c.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define RECENT_ACTIONS 10
#define FUTURE_ACTIONS 10
#define DEFAULT_CATCHUP_MS (365LL * 86400 * 1000)
#define MIN_CATCHUP_MS 10000
#define MATCHING_TIMES_MAX 1000
#define LIST_ACTIONS 5

typedef Sandglass__V1__ScheduleRecord rec_t;
typedef Sandglass__V1__BufferedStart buffered_t;
typedef Temporal__Api__Schedule__V1__ScheduleInfo info_t;
typedef Temporal__Api__Common__V1__WorkflowExecution wfe_t;
typedef Temporal__Api__Schedule__V1__ScheduleActionResult action_t;

#define POLICY(x) TEMPORAL__API__ENUMS__V1__SCHEDULE_OVERLAP_POLICY__SCHEDULE_OVERLAP_POLICY_##x
#define WF_STATUS(x) TEMPORAL__API__ENUMS__V1__WORKFLOW_EXECUTION_STATUS__WORKFLOW_EXECUTION_STATUS_##x

typedef struct sched {
    sg_scheduler *owner;
    char *key; /* "<namespace id>/<schedule id>" */
    char *namespace_id, *id;
    rec_t *rec;   /* heap (default allocator) */
    sg_spec *spec;
    uint8_t *committed; /* the record as last committed (NULL: never: a create in flight) */
    size_t committed_len;
    uint8_t *saved; /* the record as written into the open batch: committed once it commits */
    size_t saved_len;
    bool hooked, deleted;
} sched;

struct sg_scheduler {
    sg_scheduler_deps d;
    sg_timerq *timers;
    sg_map by_key;  /* key -> sched */
    sg_map running; /* "<namespace id>/<run id>" -> sched key (owned string) */
};

/* ---- records ---- */

static int64_t ms_of_ts(const Google__Protobuf__Timestamp *t)
{
    return t ? t->seconds * 1000 + t->nanos / 1000000 : 0;
}

static Google__Protobuf__Timestamp *heap_ts(int64_t ms)
{
    Google__Protobuf__Timestamp *t = sg_malloc(sizeof *t);
    google__protobuf__timestamp__init(t);
    t->seconds = ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000);
    t->nanos = (int32_t)((ms - t->seconds * 1000) * 1000000);
    return t;
}

static Google__Protobuf__Timestamp *arena_ts(sg_arena *a, int64_t ms)
{
    Google__Protobuf__Timestamp *t = sg_arena_alloc(a, sizeof *t);
    google__protobuf__timestamp__init(t);
    t->seconds = ms / 1000;
    t->nanos = (int32_t)(ms % 1000) * 1000000;
    return t;
}

static void *heap_clone(const ProtobufCMessage *m)
{
    return sg_pb_clone(m, NULL);
}

static void *arena_clone(sg_arena *a, const ProtobufCMessage *m)
{
    return sg_pb_clone(m, &a->pb);
}

static info_t *info_of(rec_t *r)
{
    if (!r->info) {
        r->info = sg_malloc(sizeof *r->info);
        temporal__api__schedule__v1__schedule_info__init(r->info);
    }
    return r->info;
}

static Temporal__Api__Schedule__V1__ScheduleState *state_of(rec_t *r)
{
    if (!r->schedule->state) {
        r->schedule->state = sg_malloc(sizeof *r->schedule->state);
        temporal__api__schedule__v1__schedule_state__init(r->schedule->state);
    }
    return r->schedule->state;
}

static void set_str(char **field, const char *v)
{
    if (*field && *field != protobuf_c_empty_string)
        sg_free(*field);
    *field = sg_strdup(v ? v : "");
}

static int overlap_of(const rec_t *r, int requested)
{
    if (requested)
        return requested;
    int p = r->schedule->policies ? r->schedule->policies->overlap_policy : 0;
    return p ? p : POLICY(SKIP);
}

/* Describe shows the policies as they apply: SKIP for no overlap policy, the default or
 * minimum catch-up window. */
static void resolve_policies(rec_t *r)
{
    Temporal__Api__Schedule__V1__SchedulePolicies *p = r->schedule->policies;
    if (!p) {
        p = r->schedule->policies = sg_malloc(sizeof *p);
        temporal__api__schedule__v1__schedule_policies__init(p);
    }
    if (!p->overlap_policy)
        p->overlap_policy = POLICY(SKIP);
    int64_t ms = p->catchup_window ? p->catchup_window->seconds * 1000 + p->catchup_window->nanos / 1000000 : 0;
    if (ms <= 0 || ms < MIN_CATCHUP_MS) {
        if (!p->catchup_window) {
            p->catchup_window = sg_malloc(sizeof *p->catchup_window);
            google__protobuf__duration__init(p->catchup_window);
        }
        p->catchup_window->seconds = (ms <= 0 ? DEFAULT_CATCHUP_MS : MIN_CATCHUP_MS) / 1000;
        p->catchup_window->nanos = 0;
    }
}

static int64_t catchup_ms(const rec_t *r)
{
    const Google__Protobuf__Duration *d = r->schedule->policies ? r->schedule->policies->catchup_window : NULL;
    int64_t ms = d ? d->seconds * 1000 + d->nanos / 1000000 : 0;
    if (ms <= 0)
        return DEFAULT_CATCHUP_MS;
    return ms < MIN_CATCHUP_MS ? MIN_CATCHUP_MS : ms;
}

/* ---- saving, with the batch's fate ---- */

static void sched_free(sched *x)
{
    if (!x)
        return;
    if (x->rec)
        protobuf_c_message_free_unpacked(&x->rec->base, NULL);
    sg_spec_free(x->spec);
    sg_free(x->committed);
    sg_free(x->saved);
    sg_free(x->key);
    sg_free(x->namespace_id);
    sg_free(x->id);
    sg_free(x);
}

static void arm(sched *x);
static void forget(sg_scheduler *s, sched *x);
static void index_running(sg_scheduler *s, sched *x);

static void on_commit(void *ud, int status)
{
    sched *x = ud;
    x->hooked = false;
    sg_scheduler *s = x->owner;
    if (status == 0) {
        if (x->deleted) {
            forget(s, x);
            return;
        }
        /* The store now holds what save wrote: no need to pack the record again. */
        if (x->saved) {
            sg_free(x->committed);
            x->committed = x->saved;
            x->committed_len = x->saved_len;
            x->saved = NULL;
        }
        return;
    }
    sg_free(x->saved);
    x->saved = NULL;
    /* The batch was rolled back: so is the schedule. */
    if (!x->committed) {
        forget(s, x);
        return;
    }
    x->deleted = false;
    rec_t *r = (rec_t *)protobuf_c_message_unpack(&sandglass__v1__schedule_record__descriptor, NULL,
                                                  x->committed_len, x->committed);
    sg_assert(r);
    protobuf_c_message_free_unpacked(&x->rec->base, NULL);
    x->rec = r;
    index_running(s, x);
    arm(x);
}

static int save(sched *x)
{
    sg_scheduler *s = x->owner;
    int rc = sg_txn_write(s->d.txn);
    if (rc == 0) {
        sg_free(x->saved);
        x->saved = NULL;
        if (x->deleted) {
            rc = sg_store_schedule_delete(s->d.st, x->namespace_id, x->id);
        } else {
            x->saved = sg_pb_encode_alloc(&x->rec->base, &x->saved_len);
            rc = sg_store_schedule_put(s->d.st, x->namespace_id, x->id, x->saved, x->saved_len);
        }
        if (rc < 0 && rc != SG_ENOTFOUND)
            sg_txn_poison(s->d.txn, rc);
    }
    if (!x->hooked) {
        x->hooked = true;
        sg_txn_on_commit(s->d.txn, on_commit, x);
    }
    return rc;
}

/* ---- starting workflows ---- */

static char *key_of(const char *namespace_id, const char *id)
{
    size_t n = strlen(namespace_id) + strlen(id) + 2;
    char *k = sg_malloc(n);
    snprintf(k, n, "%s/%s", namespace_id, id);
    return k;
}

static void index_running(sg_scheduler *s, sched *x)
{
    const info_t *i = x->rec->info;
    for (size_t k = 0; i && k < i->n_running_workflows; k++) {
        char *rk = key_of(x->namespace_id, i->running_workflows[k]->run_id);
        char *old = sg_map_put(&s->running, rk, sg_strdup(x->key));
        sg_free(old);
        sg_free(rk);
    }
}

/* Whole seconds, as Go's time.RFC3339 (a four-digit year, no fraction). */
static void rfc3339(int64_t ms, char out[32])
{
    int64_t secs = ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000);
    sg_buf b;
    sg_buf_init(&b);
    sg_pbjson_rfc3339(&b, secs, 0);
    snprintf(out, 32, "%.*s", (int)b.len, (const char *)sg_buf_head(&b));
    sg_buf_deinit(&b);
}

static Temporal__Api__Common__V1__Payload *json_payload(sg_arena *a, const char *json, const char *type)
{
    Temporal__Api__Common__V1__Payload *p = sg_arena_alloc(a, sizeof *p);
    temporal__api__common__v1__payload__init(p);
    p->data.data = (uint8_t *)sg_arena_strdup(a, json);
    p->data.len = strlen(json);
    Temporal__Api__Common__V1__Payload__MetadataEntry **md = sg_arena_alloc(a, 2 * sizeof *md);
    const char *keys[2] = { "encoding", "type" }, *vals[2] = { "json/plain", type };
    for (int i = 0; i < 2; i++) {
        md[i] = sg_arena_alloc(a, sizeof *md[i]);
        temporal__api__common__v1__payload__metadata_entry__init(md[i]);
        md[i]->key = (char *)keys[i];
        md[i]->value.data = (uint8_t *)vals[i];
        md[i]->value.len = strlen(vals[i]);
    }
    p->metadata = md;
    p->n_metadata = 2;
    return p;
}

/* The action's search attributes plus the two the scheduler sets. */
static Temporal__Api__Common__V1__SearchAttributes *start_attrs(sg_arena *a, const sched *x,
                                                                 const Temporal__Api__Common__V1__SearchAttributes *own,
                                                                 int64_t nominal_ms)
{
    typedef Temporal__Api__Common__V1__SearchAttributes__IndexedFieldsEntry entry;
    Temporal__Api__Common__V1__SearchAttributes *sa = sg_arena_alloc(a, sizeof *sa);
    temporal__api__common__v1__search_attributes__init(sa);
    size_t n_own = own ? own->n_indexed_fields : 0;
    sa->indexed_fields = sg_arena_alloc(a, (n_own + 2) * sizeof *sa->indexed_fields);
    for (size_t i = 0; i < n_own; i++)
        if (strcmp(own->indexed_fields[i]->key, "TemporalScheduledById") != 0 &&
            strcmp(own->indexed_fields[i]->key, "TemporalScheduledStartTime") != 0)
            sa->indexed_fields[sa->n_indexed_fields++] = own->indexed_fields[i];
    char when[32];
    rfc3339(nominal_ms, when);
    const char *names[2] = { "TemporalScheduledById", "TemporalScheduledStartTime" };
    const char *types[2] = { "Keyword", "Datetime" };
    const char *values[2] = { x->id, when };
    for (int i = 0; i < 2; i++) {
        entry *e = sg_arena_alloc(a, sizeof *e);
        temporal__api__common__v1__search_attributes__indexed_fields_entry__init(e);
        e->key = (char *)names[i];
        /* A JSON string: the id may need escaping, a time never does. */
        sg_buf js;
        sg_buf_init(&js);
        sg_buf_append_str(&js, "\"");
        for (const char *c = values[i]; *c; c++) {
            if (*c == '"' || *c == '\\')
                sg_buf_append_str(&js, "\\");
            if ((unsigned char)*c < 0x20)
                sg_buf_printf(&js, "\\u%04x", *c);
            else
                sg_buf_append(&js, c, 1);
        }
        sg_buf_append(&js, "\"", 2);
        e->value = json_payload(a, (const char *)sg_buf_head(&js), types[i]);
        sg_buf_deinit(&js);
        sa->indexed_fields[sa->n_indexed_fields++] = e;
    }
    return sa;
}

static void push_recent(info_t *i, int64_t nominal_ms, int64_t actual_ms, const char *wid, const char *run)
{
    action_t *r = sg_malloc(sizeof *r);
    temporal__api__schedule__v1__schedule_action_result__init(r);
    r->schedule_time = heap_ts(nominal_ms);
    r->actual_time = heap_ts(actual_ms);
    r->start_workflow_result = sg_malloc(sizeof *r->start_workflow_result);
    temporal__api__common__v1__workflow_execution__init(r->start_workflow_result);
    r->start_workflow_result->workflow_id = sg_strdup(wid);
    r->start_workflow_result->run_id = sg_strdup(run);
    r->start_workflow_status = WF_STATUS(RUNNING);
    if (i->n_recent_actions == RECENT_ACTIONS) {
        protobuf_c_message_free_unpacked(&i->recent_actions[0]->base, NULL);
        memmove(i->recent_actions, i->recent_actions + 1, (RECENT_ACTIONS - 1) * sizeof *i->recent_actions);
        i->n_recent_actions--;
    }
    i->recent_actions = sg_realloc(i->recent_actions, (i->n_recent_actions + 1) * sizeof *i->recent_actions);
    i->recent_actions[i->n_recent_actions++] = r;
}

/* Starts the action's workflow for nominal_ms: true when it started. A run started under
 * ALLOW_ALL overlaps by design: it is not tracked as running (so it blocks nothing and its
 * failure pauses nothing), as in Temporal. */
static bool start(sched *x, int64_t nominal_ms, int64_t actual_ms, bool manual, bool tracked)
{
    sg_scheduler *s = x->owner;
    const Temporal__Api__Schedule__V1__ScheduleAction *act = x->rec->schedule->action;
    if (!act || act->action_case != TEMPORAL__API__SCHEDULE__V1__SCHEDULE_ACTION__ACTION_START_WORKFLOW)
        return false;
    const Temporal__Api__Workflow__V1__NewWorkflowExecutionInfo *w = act->start_workflow;
    sg_arena a;
    sg_arena_init(&a);
    char when[32];
    rfc3339(nominal_ms, when);
    Temporal__Api__Workflowservice__V1__StartWorkflowExecutionRequest req =
        TEMPORAL__API__WORKFLOWSERVICE__V1__START_WORKFLOW_EXECUTION_REQUEST__INIT;
    sg_namespace_rec ns;
    if (sg_registry_namespace_get(s->d.registry, x->namespace_id, true, &ns) < 0) {
        sg_arena_deinit(&a);
        return false;
    }
    req.namespace_ = sg_arena_strdup(&a, ns.name);
    sg_namespace_rec_deinit(&ns);
    req.workflow_id = sg_arena_printf(&a, "%s-%s", w->workflow_id, when);
    req.workflow_type = w->workflow_type;
    req.task_queue = w->task_queue;
    req.input = w->input;
    req.workflow_execution_timeout = w->workflow_execution_timeout;
    req.workflow_run_timeout = w->workflow_run_timeout;
    req.workflow_task_timeout = w->workflow_task_timeout;
    req.identity = sg_arena_printf(&a, "temporal-scheduler-%s-%s", req.namespace_, x->id);
    char rid[SG_UUID_STR_LEN + 1];
    sg_uuid_v4(rid);
    req.request_id = rid;
    /* A time is started once: a scheduled start refuses an id used before, a trigger or
     * backfill only one still running. */
    req.workflow_id_reuse_policy =
        manual ? TEMPORAL__API__ENUMS__V1__WORKFLOW_ID_REUSE_POLICY__WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE
               : TEMPORAL__API__ENUMS__V1__WORKFLOW_ID_REUSE_POLICY__WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE;
    req.retry_policy = w->retry_policy;
    req.memo = w->memo;
    req.search_attributes = start_attrs(&a, x, w->search_attributes, nominal_ms);
    req.header = w->header;
    req.user_metadata = w->user_metadata;
    if (tracked) { /* runs that overlap (ALLOW_ALL) get neither, as in Temporal */
        req.last_completion_result = x->rec->last_completion_result;
        req.continued_failure = x->rec->continued_failure;
    }
    req.priority = w->priority;
    Temporal__Api__Workflowservice__V1__StartWorkflowExecutionResponse out =
        TEMPORAL__API__WORKFLOWSERVICE__V1__START_WORKFLOW_EXECUTION_RESPONSE__INIT;
    sg_engine_err err = { 0 };
    int rc = sg_engine_start_workflow(s->d.engine, &a, x->namespace_id, req.namespace_, &req, &out, &err);
    if (rc < 0) {
        sg_log_warn("schedule %s: cannot start workflow %s: %s", x->id, req.workflow_id,
                    err.message ? err.message : sg_strerror(rc));
        sg_arena_deinit(&a);
        return false;
    }
    info_t *i = info_of(x->rec);
    i->action_count++;
    sg_metrics_schedule_action("started");
    push_recent(i, actual_ms, sg_clock_now_ms(), req.workflow_id, out.run_id);
    if (!tracked) {
        sg_arena_deinit(&a);
        return true;
    }
    wfe_t *e = sg_malloc(sizeof *e);
    temporal__api__common__v1__workflow_execution__init(e);
    e->workflow_id = sg_strdup(req.workflow_id);
    e->run_id = sg_strdup(out.run_id);
    i->running_workflows = sg_realloc(i->running_workflows, (i->n_running_workflows + 1) * sizeof *i->running_workflows);
    i->running_workflows[i->n_running_workflows++] = e;
    char *rk = key_of(x->namespace_id, out.run_id);
    sg_free(sg_map_put(&s->running, rk, sg_strdup(x->key)));
    sg_free(rk);
    sg_arena_deinit(&a);
    return true;
}

static void request_end(sched *x, bool terminate)
{
    sg_scheduler *s = x->owner;
    const info_t *i = x->rec->info;
    for (size_t k = 0; i && k < i->n_running_workflows; k++) {
        sg_arena a;
        sg_arena_init(&a);
        sg_engine_err err = { 0 };
        if (terminate) {
            Temporal__Api__Workflowservice__V1__TerminateWorkflowExecutionRequest r =
                TEMPORAL__API__WORKFLOWSERVICE__V1__TERMINATE_WORKFLOW_EXECUTION_REQUEST__INIT;
            r.workflow_execution = i->running_workflows[k];
            r.reason = "terminated by schedule overlap policy";
            r.identity = "temporal-scheduler";
            sg_engine_terminate(s->d.engine, &a, x->namespace_id, &r, &err);
        } else {
            Temporal__Api__Workflowservice__V1__RequestCancelWorkflowExecutionRequest r =
                TEMPORAL__API__WORKFLOWSERVICE__V1__REQUEST_CANCEL_WORKFLOW_EXECUTION_REQUEST__INIT;
            r.workflow_execution = i->running_workflows[k];
            r.reason = "cancelled by schedule overlap policy";
            r.identity = "temporal-scheduler";
            char rid[SG_UUID_STR_LEN + 1];
            sg_uuid_v4(rid);
            r.request_id = rid;
            sg_engine_request_cancel(s->d.engine, &a, x->namespace_id, &r, &err);
        }
        sg_arena_deinit(&a);
    }
}

static void buffer(sched *x, int64_t nominal_ms, int64_t actual_ms, int policy, bool manual)
{
    rec_t *r = x->rec;
    buffered_t *b = sg_malloc(sizeof *b);
    sandglass__v1__buffered_start__init(b);
    b->nominal_ms = nominal_ms;
    b->actual_ms = actual_ms;
    b->overlap_policy = (Temporal__Api__Enums__V1__ScheduleOverlapPolicy)policy;
    b->manual = manual;
    r->buffered = sg_realloc(r->buffered, (r->n_buffered + 1) * sizeof *r->buffered);
    r->buffered[r->n_buffered++] = b;
    info_of(r)->buffer_size = (int64_t)r->n_buffered;
    sg_metrics_schedule_action("buffered");
}

#define MAX_BUFFER 1000

/* A start that, when scheduled (not a trigger or backfill) on a schedule with limited actions,
 * uses one up. */
static void start_counted(sched *x, int64_t nominal_ms, int64_t actual_ms, bool manual, bool tracked)
{
    Temporal__Api__Schedule__V1__ScheduleState *st = state_of(x->rec);
    if (start(x, nominal_ms, actual_ms, manual, tracked) && !manual && st->limited_actions) {
        st->remaining_actions--;
        x->rec->conflict_token++;
    }
}

/* One action due at nominal_ms (taken at actual_ms) under policy (resolved). Scheduled actions
 * need the schedule unpaused with actions left; triggers and backfills (manual) do not, and do
 * not use up remaining actions. */
static void take(sched *x, int64_t nominal_ms, int64_t actual_ms, int policy, bool manual)
{
    rec_t *r = x->rec;
    info_t *i = info_of(r);
    Temporal__Api__Schedule__V1__ScheduleState *st = state_of(r);
    if (!manual && (st->paused || (st->limited_actions && st->remaining_actions <= 0)))
        return;
    if (policy == POLICY(ALLOW_ALL)) {
        start_counted(x, nominal_ms, actual_ms, manual, false);
        return;
    }
    bool running = i->n_running_workflows > 0;
    if (running || r->n_buffered) {
        if (r->n_buffered >= MAX_BUFFER) {
            i->buffer_dropped++;
            return;
        }
        switch (policy) {
        case POLICY(BUFFER_ONE):
            /* One waits; later ones are skipped. */
            if (r->n_buffered) {
                i->overlap_skipped++;
                return;
            }
            buffer(x, nominal_ms, actual_ms, policy, manual);
            return;
        case POLICY(BUFFER_ALL):
            buffer(x, nominal_ms, actual_ms, policy, manual);
            return;
        case POLICY(CANCEL_OTHER):
        case POLICY(TERMINATE_OTHER):
            /* The newest due time replaces any already waiting; it starts once the running
             * workflows have closed. */
            for (size_t k = 0; k < r->n_buffered; k++)
                protobuf_c_message_free_unpacked(&r->buffered[k]->base, NULL);
            r->n_buffered = 0;
            buffer(x, nominal_ms, actual_ms, policy, manual);
            if (running)
                request_end(x, policy == POLICY(TERMINATE_OTHER));
            return;
        default: /* SKIP */
            i->overlap_skipped++;
            sg_metrics_schedule_action("skipped");
            return;
        }
    }
    start_counted(x, nominal_ms, actual_ms, manual, true);
}

/* Starts buffered actions while nothing runs (a buffered action always waits for the running
 * workflows to close: ALLOW_ALL never buffers). */
static void drain(sched *x)
{
    rec_t *r = x->rec;
    info_t *i = info_of(r);
    while (r->n_buffered && i->n_running_workflows == 0) {
        buffered_t *b = r->buffered[0];
        Temporal__Api__Schedule__V1__ScheduleState *st = state_of(r);
        bool counts = !b->manual && st->limited_actions;
        if ((!counts || st->remaining_actions > 0) && (b->manual || !st->paused))
            start_counted(x, b->nominal_ms, b->actual_ms, b->manual, true);
        protobuf_c_message_free_unpacked(&b->base, NULL);
        memmove(r->buffered, r->buffered + 1, (r->n_buffered - 1) * sizeof *r->buffered);
        r->n_buffered--;
    }
    i->buffer_size = (int64_t)r->n_buffered;
}

/* Every action due by now; returns whether the record changed. */
static bool process(sched *x, int64_t now)
{
    rec_t *r = x->rec;
    Temporal__Api__Schedule__V1__ScheduleState *st = state_of(r);
    if (st->paused || (st->limited_actions && st->remaining_actions <= 0)) {
        /* Times that pass while paused (or out of actions) are never taken: passed over at
         * once, however many they are. */
        if (r->processed_until_ms >= now)
            return false;
        r->processed_until_ms = now;
        return true;
    }
    int64_t t = r->processed_until_ms;
    bool changed = false;
    for (int guard = 0; guard < 100000; guard++) {
        int64_t nominal = sg_spec_next(x->spec, t);
        if (nominal < 0)
            break;
        int64_t actual = sg_spec_jittered(x->spec, nominal);
        if (actual > now)
            break;
        t = nominal;
        changed = true;
        if (now - actual > catchup_ms(r)) {
            info_of(r)->missed_catchup_window++;
            sg_metrics_schedule_action("missed");
            continue;
        }
        take(x, nominal, actual, overlap_of(r, 0), false);
    }
    if (changed)
        r->processed_until_ms = t;
    return changed;
}

static void arm(sched *x)
{
    sg_scheduler *s = x->owner;
    /* A paused schedule, or one out of actions, takes no scheduled action: no wake-up (it
     * costs nothing while it stays so); unpausing or an update passes over the times missed
     * and arms it again. */
    const Temporal__Api__Schedule__V1__ScheduleState *st = x->rec->schedule->state;
    if (st && (st->paused || (st->limited_actions && st->remaining_actions <= 0))) {
        sg_timerq_set(s->timers, x->key, 0);
        return;
    }
    int64_t nominal = sg_spec_next(x->spec, x->rec->processed_until_ms);
    int64_t at = nominal < 0 ? 0 : sg_spec_jittered(x->spec, nominal);
    sg_timerq_set(s->timers, x->key, at);
}

static void on_fire(void *ud, const char *key)
{
    sg_scheduler *s = ud;
    sched *x = sg_map_get(&s->by_key, key);
    if (!x || x->deleted)
        return;
    if (process(x, sg_clock_now_ms())) {
        drain(x);
        save(x);
    }
    arm(x);
}

/* The run's last event (in a), or NULL. */
static const Temporal__Api__History__V1__HistoryEvent *last_event(sg_scheduler *s, sg_arena *a,
                                                                  const char *namespace_id,
                                                                  const char *workflow_id,
                                                                  const char *run_id)
{
    wfe_t we = TEMPORAL__API__COMMON__V1__WORKFLOW_EXECUTION__INIT;
    we.workflow_id = (char *)workflow_id;
    we.run_id = (char *)run_id;
    Temporal__Api__Workflowservice__V1__GetWorkflowExecutionHistoryReverseRequest req =
        TEMPORAL__API__WORKFLOWSERVICE__V1__GET_WORKFLOW_EXECUTION_HISTORY_REVERSE_REQUEST__INIT;
    req.execution = &we;
    req.maximum_page_size = 1;
    Temporal__Api__Workflowservice__V1__GetWorkflowExecutionHistoryReverseResponse out =
        TEMPORAL__API__WORKFLOWSERVICE__V1__GET_WORKFLOW_EXECUTION_HISTORY_REVERSE_RESPONSE__INIT;
    sg_buf h;
    sg_buf_init(&h);
    const Temporal__Api__History__V1__HistoryEvent *last = NULL;
    if (sg_engine_get_history_reverse(s->d.engine, a, namespace_id, &req, &out, &h) == 0) {
        Temporal__Api__History__V1__History *page = (void *)protobuf_c_message_unpack(
            &temporal__api__history__v1__history__descriptor, &a->pb, h.len, sg_buf_head(&h));
        if (page && page->n_events)
            last = page->events[0];
    }
    sg_buf_deinit(&h);
    return last;
}

/* What the next run is told of this one: its result when it completed, its failure when it
 * failed or timed out (kept until a run completes). */
static void remember_outcome(sched *x, const Temporal__Api__History__V1__HistoryEvent *e)
{
    rec_t *r = x->rec;
    if (!e)
        return;
    if (e->attributes_case == TEMPORAL__API__HISTORY__V1__HISTORY_EVENT__ATTRIBUTES_WORKFLOW_EXECUTION_COMPLETED_EVENT_ATTRIBUTES) {
        if (r->last_completion_result)
            protobuf_c_message_free_unpacked(&r->last_completion_result->base, NULL);
        r->last_completion_result = heap_clone(e->workflow_execution_completed_event_attributes->result
                                                   ? &e->workflow_execution_completed_event_attributes->result->base
                                                   : NULL);
        if (r->continued_failure)
            protobuf_c_message_free_unpacked(&r->continued_failure->base, NULL);
        r->continued_failure = NULL;
    } else if (e->attributes_case == TEMPORAL__API__HISTORY__V1__HISTORY_EVENT__ATTRIBUTES_WORKFLOW_EXECUTION_FAILED_EVENT_ATTRIBUTES &&
               e->workflow_execution_failed_event_attributes->failure) {
        if (r->continued_failure)
            protobuf_c_message_free_unpacked(&r->continued_failure->base, NULL);
        r->continued_failure = heap_clone(&e->workflow_execution_failed_event_attributes->failure->base);
    }
}

static void on_close(void *ud, const char *namespace_id, const char *workflow_id, const char *run_id,
                     int status)
{
    sg_scheduler *s = ud;
    char *rk = key_of(namespace_id, run_id);
    char *sk = sg_map_del(&s->running, rk);
    sg_free(rk);
    if (!sk)
        return;
    sched *x = sg_map_get(&s->by_key, sk);
    sg_free(sk);
    if (!x || x->deleted)
        return;
    info_t *i = info_of(x->rec);
    for (size_t k = 0; k < i->n_running_workflows; k++)
        if (strcmp(i->running_workflows[k]->run_id, run_id) == 0) {
            protobuf_c_message_free_unpacked(&i->running_workflows[k]->base, NULL);
            memmove(i->running_workflows + k, i->running_workflows + k + 1,
                    (i->n_running_workflows - k - 1) * sizeof *i->running_workflows);
            i->n_running_workflows--;
            break;
        }
    for (size_t k = 0; k < i->n_recent_actions; k++) {
        action_t *ra = i->recent_actions[k];
        if (ra->start_workflow_result && strcmp(ra->start_workflow_result->run_id, run_id) == 0)
            ra->start_workflow_status = (Temporal__Api__Enums__V1__WorkflowExecutionStatus)status;
    }
    sg_arena ea;
    sg_arena_init(&ea);
    const Temporal__Api__History__V1__HistoryEvent *last = last_event(s, &ea, namespace_id, workflow_id, run_id);
    remember_outcome(x, last);
    bool failed = status == WF_STATUS(FAILED) || status == WF_STATUS(TIMED_OUT);
    Temporal__Api__Schedule__V1__ScheduleState *st = state_of(x->rec);
    if (failed && !st->paused && x->rec->schedule->policies && x->rec->schedule->policies->pause_on_failure) {
        st->paused = true;
        char note[1200];
        if (status == WF_STATUS(FAILED))
            snprintf(note, sizeof note, "paused due to workflow failure: %s: %s", workflow_id,
                     x->rec->continued_failure && x->rec->continued_failure->message
                         ? x->rec->continued_failure->message : "");
        else
            snprintf(note, sizeof note, "paused due to workflow timeout: %s", workflow_id);
        set_str(&st->notes, note);
        x->rec->conflict_token++;
    }
    sg_arena_deinit(&ea);
    drain(x);
    save(x);
    arm(x);
}

/* ---- the API ---- */

static void forget(sg_scheduler *s, sched *x)
{
    /* A schedule created again under the same id (in the batch that deleted this one) owns
     * the key's timer and map entry now. */
    bool current = sg_map_get(&s->by_key, x->key) == x;
    if (current)
        sg_timerq_set(s->timers, x->key, 0);
    const info_t *i = x->rec ? x->rec->info : NULL;
    for (size_t k = 0; i && k < i->n_running_workflows; k++) {
        char *rk = key_of(x->namespace_id, i->running_workflows[k]->run_id);
        sg_free(sg_map_del(&s->running, rk));
        sg_free(rk);
    }
    if (current)
        sg_map_del(&s->by_key, x->key);
    sched_free(x);
}

sg_scheduler *sg_scheduler_new(const sg_scheduler_deps *deps)
{
    sg_scheduler *s = sg_calloc(1, sizeof *s);
    s->d = *deps;
    s->timers = sg_timerq_new(deps->loop, on_fire, s);
    sg_map_init(&s->by_key);
    sg_map_init(&s->running);
    sg_engine_on_close(deps->engine, on_close, s);
    return s;
}

void sg_scheduler_free(sg_scheduler *s)
{
    if (!s)
        return;
    sg_engine_on_close(s->d.engine, NULL, NULL);
    const char *k;
    void *v;
    for (size_t it = 0; sg_map_next(&s->by_key, &it, &k, &v);)
        sched_free(v);
    sg_map_deinit(&s->by_key);
    for (size_t it = 0; sg_map_next(&s->running, &it, &k, &v);)
        sg_free(v);
    sg_map_deinit(&s->running);
    sg_timerq_free(s->timers);
    sg_free(s);
}

void sg_scheduler_run_due(sg_scheduler *s)
{
    sg_timerq_run_due(s->timers);
}

static void seed_spec(sg_spec *spec, const char *namespace_id, const char *id)
{
    size_t n = strlen(namespace_id) + strlen(id) + 2;
    char *seed = sg_malloc(n);
    snprintf(seed, n, "%s-%s", namespace_id, id);
    sg_spec_set_seed(spec, seed);
    sg_free(seed);
}

static sched *add(sg_scheduler *s, const char *namespace_id, const char *id, rec_t *rec, sg_spec *spec)
{
    seed_spec(spec, namespace_id, id);
    sched *x = sg_calloc(1, sizeof *x);
    x->owner = s;
    x->namespace_id = sg_strdup(namespace_id);
    x->id = sg_strdup(id);
    x->key = key_of(namespace_id, id);
    x->rec = rec;
    x->spec = spec;
    sg_map_put(&s->by_key, x->key, x);
    index_running(s, x);
    return x;
}

static int load_one(void *ud, const char *namespace_id, const char *id, const uint8_t *info, size_t len)
{
    sg_scheduler *s = ud;
    rec_t *r = (rec_t *)protobuf_c_message_unpack(&sandglass__v1__schedule_record__descriptor, NULL, len, info);
    if (!r || !r->schedule) {
        sg_log_warn("schedule %s cannot be read; it is skipped", id);
        if (r)
            protobuf_c_message_free_unpacked(&r->base, NULL);
        return 0;
    }
    sg_arena a;
    sg_arena_init(&a);
    sg_spec *spec = NULL;
    const char *why;
    Temporal__Api__Schedule__V1__ScheduleSpec empty = TEMPORAL__API__SCHEDULE__V1__SCHEDULE_SPEC__INIT;
    if (sg_spec_compile(r->schedule->spec ? r->schedule->spec : &empty, &a, &spec, &why) < 0) {
        sg_log_warn("schedule %s: its spec no longer compiles (%s); it is skipped", id, why);
        protobuf_c_message_free_unpacked(&r->base, NULL);
        sg_arena_deinit(&a);
        return 0;
    }
    sg_arena_deinit(&a);
    sched *x = add(s, namespace_id, id, r, spec);
    x->committed = sg_malloc(len ? len : 1);
    memcpy(x->committed, info, len);
    x->committed_len = len;
    return 0;
}

int sg_scheduler_recover(sg_scheduler *s)
{
    int n = sg_store_schedule_all(s->d.st, load_one, s);
    if (n < 0)
        return n;
    int64_t now = sg_clock_now_ms();
    const char *k;
    void *v;
    for (size_t it = 0; sg_map_next(&s->by_key, &it, &k, &v);) {
        sched *x = v;
        /* A run that closed in the batch before a crash, whose close the schedule did not
         * record yet, is seen closed now. */
        info_t *i = info_of(x->rec);
        bool changed = false;
        for (size_t r = 0; r < i->n_running_workflows;) {
            sg_arena a;
            sg_arena_init(&a);
            Temporal__Api__Workflowservice__V1__DescribeWorkflowExecutionRequest dreq =
                TEMPORAL__API__WORKFLOWSERVICE__V1__DESCRIBE_WORKFLOW_EXECUTION_REQUEST__INIT;
            dreq.execution = i->running_workflows[r];
            Temporal__Api__Workflowservice__V1__DescribeWorkflowExecutionResponse out =
                TEMPORAL__API__WORKFLOWSERVICE__V1__DESCRIBE_WORKFLOW_EXECUTION_RESPONSE__INIT;
            int rc = sg_engine_describe(s->d.engine, &a, x->namespace_id, &dreq, &out);
            int status = rc == SG_ENOTFOUND ? WF_STATUS(TERMINATED)
                         : rc == 0 && out.workflow_execution_info ? out.workflow_execution_info->status
                                                                  : WF_STATUS(RUNNING);
            sg_arena_deinit(&a);
            if (status == WF_STATUS(RUNNING)) {
                r++;
                continue;
            }
            char *rk = key_of(x->namespace_id, i->running_workflows[r]->run_id);
            sg_free(sg_map_del(&s->running, rk));
            sg_free(rk);
            protobuf_c_message_free_unpacked(&i->running_workflows[r]->base, NULL);
            memmove(i->running_workflows + r, i->running_workflows + r + 1,
                    (i->n_running_workflows - r - 1) * sizeof *i->running_workflows);
            i->n_running_workflows--;
            changed = true;
        }
        changed |= process(x, now);
        if (changed) {
            drain(x);
            save(x);
        }
        arm(x);
    }
    return n;
}

static sched *find(sg_scheduler *s, const char *namespace_id, const char *id)
{
    char *k = key_of(namespace_id, id);
    sched *x = sg_map_get(&s->by_key, k);
    sg_free(k);
    return x && !x->deleted ? x : NULL;
}

static void token_of(sg_arena *a, const rec_t *r, ProtobufCBinaryData *out)
{
    uint8_t *b = sg_arena_alloc(a, 8);
    for (int i = 0; i < 8; i++)
        b[i] = (uint8_t)((uint64_t)r->conflict_token >> (56 - 8 * i));
    out->data = b;
    out->len = 8;
}

/* Trigger, then backfills, then pause, then unpause, as Temporal applies a patch. */
static void apply_patch(sched *x, const Temporal__Api__Schedule__V1__SchedulePatch *p, int64_t now)
{
    if (!p)
        return;
    rec_t *r = x->rec;
    if (p->trigger_immediately) {
        int64_t when = p->trigger_immediately->scheduled_time ? ms_of_ts(p->trigger_immediately->scheduled_time) : now;
        take(x, when, when, overlap_of(r, p->trigger_immediately->overlap_policy), true);
    }
    for (size_t b = 0; b < p->n_backfill_request; b++) {
        const Temporal__Api__Schedule__V1__BackfillRequest *bf = p->backfill_request[b];
        int64_t from = ms_of_ts(bf->start_time), to = ms_of_ts(bf->end_time);
        int policy = overlap_of(r, bf->overlap_policy);
        /* Inclusive of both ends. */
        for (int64_t t = sg_spec_next(x->spec, from - 1); t >= 0 && t <= to; t = sg_spec_next(x->spec, t))
            take(x, t, sg_spec_jittered(x->spec, t), policy, true);
    }
    Temporal__Api__Schedule__V1__ScheduleState *st = state_of(r);
    if (p->pause && *p->pause) {
        st->paused = true;
        set_str(&st->notes, p->pause);
        r->conflict_token++;
    }
    if (p->unpause && *p->unpause) {
        st->paused = false;
        set_str(&st->notes, p->unpause);
        r->conflict_token++;
    }
    drain(x);
}

int sg_scheduler_create(sg_scheduler *s, sg_arena *a, const char *namespace_id,
                        const Temporal__Api__Workflowservice__V1__CreateScheduleRequest *req,
                        ProtobufCBinaryData *conflict_token, const char **why)
{
    *why = NULL;
    sched *old = find(s, namespace_id, req->schedule_id);
    if (old) {
        /* The same request again (a retry) gets the same answer. */
        if (req->request_id && *req->request_id && old->rec->create_request_id &&
            strcmp(old->rec->create_request_id, req->request_id) == 0) {
            token_of(a, old->rec, conflict_token);
            return 0;
        }
        return SG_EEXIST;
    }
    Temporal__Api__Schedule__V1__ScheduleSpec empty = TEMPORAL__API__SCHEDULE__V1__SCHEDULE_SPEC__INIT;
    sg_spec *spec;
    int rc = sg_spec_compile(req->schedule->spec ? req->schedule->spec : &empty, a, &spec, why);
    if (rc < 0) {
        *why = sg_arena_printf(a, "spec: %s", *why ? *why : "invalid");
        return rc;
    }
    rec_t *r = sg_malloc(sizeof *r);
    sandglass__v1__schedule_record__init(r);
    r->schedule = heap_clone(&req->schedule->base);
    if (r->schedule->spec)
        protobuf_c_message_free_unpacked(&r->schedule->spec->base, NULL);
    r->schedule->spec = heap_clone(&sg_spec_canonical(spec)->base);
    r->memo = heap_clone(req->memo ? &req->memo->base : NULL);
    r->search_attributes = heap_clone(req->search_attributes ? &req->search_attributes->base : NULL);
    resolve_policies(r);
    r->conflict_token = 1;
    r->create_request_id = sg_strdup(req->request_id ? req->request_id : "");
    int64_t now = sg_clock_now_ms();
    r->processed_until_ms = now;
    info_t *i = info_of(r);
    i->create_time = heap_ts(now);
    (void)state_of(r);
    sched *x = add(s, namespace_id, req->schedule_id, r, spec);
    apply_patch(x, req->initial_patch, now);
    rc = save(x);
    if (rc < 0)
        return rc;
    arm(x);
    token_of(a, r, conflict_token);
    return 0;
}

/* The next n action times after from_ms, as timestamps in a. */
static void future_times(sg_arena *a, const sched *x, int64_t from_ms, Google__Protobuf__Timestamp ***out, size_t *n)
{
    *out = sg_arena_alloc(a, FUTURE_ACTIONS * sizeof **out);
    *n = 0;
    const Temporal__Api__Schedule__V1__ScheduleState *st = x->rec->schedule->state;
    size_t max = FUTURE_ACTIONS;
    if (st && st->limited_actions)
        max = st->remaining_actions <= 0 ? 0 : (size_t)SG_MIN(st->remaining_actions, FUTURE_ACTIONS);
    for (int64_t t = sg_spec_next(x->spec, from_ms); t >= 0 && *n < max; t = sg_spec_next(x->spec, t))
        (*out)[(*n)++] = arena_ts(a, sg_spec_jittered(x->spec, t));
}

int sg_scheduler_describe(sg_scheduler *s, sg_arena *a, const char *namespace_id, const char *id,
                          Temporal__Api__Workflowservice__V1__DescribeScheduleResponse *out)
{
    sched *x = find(s, namespace_id, id);
    if (!x)
        return SG_ENOTFOUND;
    rec_t *r = arena_clone(a, &x->rec->base);
    out->schedule = r->schedule;
    out->info = r->info;
    if (!out->info) {
        out->info = sg_arena_alloc(a, sizeof *out->info);
        temporal__api__schedule__v1__schedule_info__init(out->info);
    }
    future_times(a, x, x->rec->processed_until_ms, &out->info->future_action_times,
                 &out->info->n_future_action_times);
    out->memo = r->memo;
    out->search_attributes = r->search_attributes;
    token_of(a, x->rec, &out->conflict_token);
    return 0;
}

int sg_scheduler_update(sg_scheduler *s, sg_arena *a, const char *namespace_id,
                        const Temporal__Api__Workflowservice__V1__UpdateScheduleRequest *req,
                        const char **why)
{
    *why = NULL;
    sched *x = find(s, namespace_id, req->schedule_id);
    if (!x)
        return SG_ENOTFOUND;
    if (req->conflict_token.len) {
        ProtobufCBinaryData cur;
        token_of(a, x->rec, &cur);
        if (req->conflict_token.len != cur.len || memcmp(req->conflict_token.data, cur.data, cur.len) != 0) {
            *why = "mismatched conflict token";
            return SG_EPRECOND;
        }
    }
    Temporal__Api__Schedule__V1__ScheduleSpec empty = TEMPORAL__API__SCHEDULE__V1__SCHEDULE_SPEC__INIT;
    sg_spec *spec;
    int rc = sg_spec_compile(req->schedule->spec ? req->schedule->spec : &empty, a, &spec, why);
    if (rc < 0) {
        *why = sg_arena_printf(a, "spec: %s", *why ? *why : "invalid");
        return rc;
    }
    rec_t *r = x->rec;
    Temporal__Api__Schedule__V1__Schedule *next = heap_clone(&req->schedule->base);
    if (next->spec)
        protobuf_c_message_free_unpacked(&next->spec->base, NULL);
    next->spec = heap_clone(&sg_spec_canonical(spec)->base);
    protobuf_c_message_free_unpacked(&r->schedule->base, NULL);
    r->schedule = next;
    (void)state_of(r);
    resolve_policies(r);
    if (req->memo) {
        if (r->memo)
            protobuf_c_message_free_unpacked(&r->memo->base, NULL);
        r->memo = heap_clone(&req->memo->base);
    }
    if (req->search_attributes) {
        if (r->search_attributes)
            protobuf_c_message_free_unpacked(&r->search_attributes->base, NULL);
        r->search_attributes = heap_clone(&req->search_attributes->base);
    }
    seed_spec(spec, x->namespace_id, x->id);
    sg_spec_free(x->spec);
    x->spec = spec;
    int64_t now = sg_clock_now_ms();
    /* The new spec takes effect from now: times it matches in the past are not taken. */
    r->processed_until_ms = now;
    r->conflict_token++;
    info_t *i = info_of(r);
    if (i->update_time)
        protobuf_c_message_free_unpacked(&i->update_time->base, NULL);
    i->update_time = heap_ts(now);
    drain(x);
    rc = save(x);
    arm(x);
    return rc;
}

int sg_scheduler_patch(sg_scheduler *s, sg_arena *a, const char *namespace_id,
                       const Temporal__Api__Workflowservice__V1__PatchScheduleRequest *req,
                       const char **why)
{
    *why = NULL;
    (void)a;
    sched *x = find(s, namespace_id, req->schedule_id);
    if (!x)
        return SG_ENOTFOUND;
    int64_t now = sg_clock_now_ms();
    /* Times that came due while paused are passed over, not taken on unpause. */
    if (req->patch && req->patch->unpause && *req->patch->unpause && state_of(x->rec)->paused)
        process(x, now); /* passes over the paused time */
    apply_patch(x, req->patch, now);
    int rc = save(x);
    arm(x);
    return rc;
}

int sg_scheduler_delete(sg_scheduler *s, const char *namespace_id, const char *id)
{
    sched *x = find(s, namespace_id, id);
    if (!x)
        return SG_ENOTFOUND;
    x->deleted = true;
    sg_timerq_set(s->timers, x->key, 0);
    int rc = save(x);
    return rc == SG_ENOTFOUND ? 0 : rc;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

typedef struct filter_ctx {
    sg_scheduler *s;
    const char *namespace_id;
    const sched *x;
    const char *bad;
} filter_ctx;

/* The attributes a schedule query may name: ScheduleId and TemporalSchedulePaused (unless a
 * custom attribute has that name), and the namespace's custom attributes. */
static int filter_type(void *ud, const char *name)
{
    filter_ctx *c = ud;
    int type;
    if (sg_registry_search_attr_get(c->s->d.registry, c->namespace_id, name, &type) == 0)
        return type;
    if (strcmp(name, "ScheduleId") == 0)
        return SG_VQ_KEYWORD;
    if (strcmp(name, "TemporalSchedulePaused") == 0)
        return SG_VQ_BOOL;
    return 0;
}

/* The first attribute of e a schedule query may not name, or NULL. */
static const char *forbidden(const sg_vq_expr *e)
{
    if (!e)
        return NULL;
    if (e->kind == VQ_AND || e->kind == VQ_OR || e->kind == VQ_NOT) {
        const char *b = forbidden(e->l);
        return b ? b : forbidden(e->r);
    }
    if (e->attr.column || (sg_vq_predefined_type(e->attr.name) && strcmp(e->attr.name, "TemporalSchedulePaused") != 0))
        return e->attr.name;
    return NULL;
}

static size_t schedule_values(void *ud, const sg_vq_attr *attr, sg_arena *a, const sg_vq_value **out)
{
    filter_ctx *c = ud;
    const sched *x = c->x;
    sg_vq_value *v = sg_arena_calloc(a, sizeof *v);
    *out = v;
    int type;
    bool custom = sg_registry_search_attr_get(c->s->d.registry, c->namespace_id, attr->name, &type) == 0;
    if (!custom && strcmp(attr->name, "ScheduleId") == 0) {
        *v = (sg_vq_value){ .kind = VQ_V_TEXT, .s = x->id };
        return 1;
    }
    if (!custom && strcmp(attr->name, "TemporalSchedulePaused") == 0) {
        const Temporal__Api__Schedule__V1__ScheduleState *st = x->rec->schedule->state;
        *v = (sg_vq_value){ .kind = VQ_V_INT, .i = st && st->paused };
        return 1;
    }
    const Temporal__Api__Common__V1__SearchAttributes *sa = x->rec->search_attributes;
    for (size_t i = 0; sa && i < sa->n_indexed_fields; i++) {
        if (strcmp(sa->indexed_fields[i]->key, attr->name) != 0)
            continue;
        sg_vis_attr *vals = NULL;
        size_t n = 0, cap = 0;
        sg_vis_attr_values(a, attr->name, sa->indexed_fields[i]->value, attr->type, &vals, &n, &cap);
        sg_vq_value *vs = sg_arena_alloc(a, (n ? n : 1) * sizeof *vs);
        for (size_t k = 0; k < n; k++)
            vs[k] = vals[k].value;
        *out = vs;
        return n;
    }
    return 0;
}

/* The schedule filter of query (NULL for an empty one). */
static int compile_filter(sg_arena *a, filter_ctx *fc, const char *query, sg_vq **q, const char **why)
{
    *why = NULL;
    *q = NULL;
    if (!query || !*query)
        return 0;
    int rc = sg_vq_parse(a, query, filter_type, fc, q, why);
    if (rc < 0)
        return rc;
    const char *bad = forbidden((*q)->where);
    if (bad) {
        *why = sg_arena_printf(a, "invalid query filter for schedules: cannot filter on \"%s\"", bad);
        return SG_EINVAL;
    }
    return 0;
}

int sg_scheduler_count(sg_scheduler *s, sg_arena *a, const char *namespace_id, const char *query,
                       int64_t *count, const char **why)
{
    filter_ctx fc = { .s = s, .namespace_id = namespace_id };
    sg_vq *q = NULL;
    int rc = compile_filter(a, &fc, query, &q, why);
    if (rc < 0)
        return rc;
    if (q && q->group_by_status) {
        *why = "GROUP BY is not supported when counting schedules";
        return SG_EINVAL;
    }
    *count = 0;
    const char *k;
    void *v;
    for (size_t it = 0; sg_map_next(&s->by_key, &it, &k, &v);) {
        sched *x = v;
        if (x->deleted || strcmp(x->namespace_id, namespace_id) != 0)
            continue;
        fc.x = x;
        if (!q || sg_vq_match(q->where, schedule_values, &fc, a))
            (*count)++;
    }
    return 0;
}

int sg_scheduler_list(sg_scheduler *s, sg_arena *a, const char *namespace_id, const char *query,
                      int page_size, const ProtobufCBinaryData *token,
                      Temporal__Api__Workflowservice__V1__ListSchedulesResponse *out, const char **why)
{
    filter_ctx fc = { .s = s, .namespace_id = namespace_id };
    sg_vq *q = NULL;
    int rc = compile_filter(a, &fc, query, &q, why);
    if (rc < 0)
        return rc;
    int limit = page_size <= 0 || page_size > 1000 ? 1000 : page_size;
    char *after = NULL;
    if (token && token->len) {
        after = sg_arena_alloc(a, token->len + 1);
        memcpy(after, token->data, token->len);
        after[token->len] = 0;
    }
    size_t n = 0;
    char **ids = sg_arena_alloc(a, (sg_map_len(&s->by_key) + 1) * sizeof *ids);
    const char *k;
    void *v;
    for (size_t it = 0; sg_map_next(&s->by_key, &it, &k, &v);) {
        sched *x = v;
        if (x->deleted || strcmp(x->namespace_id, namespace_id) != 0 || (after && strcmp(x->id, after) <= 0))
            continue;
        fc.x = x;
        if (q && !sg_vq_match(q->where, schedule_values, &fc, a))
            continue;
        ids[n++] = x->id;
    }
    qsort(ids, n, sizeof *ids, cmp_str);
    size_t take_n = n < (size_t)limit ? n : (size_t)limit;
    out->schedules = sg_arena_alloc(a, (take_n + 1) * sizeof *out->schedules);
    int64_t now = sg_clock_now_ms();
    for (size_t i = 0; i < take_n; i++) {
        sched *x = find(s, namespace_id, ids[i]);
        Temporal__Api__Schedule__V1__ScheduleListEntry *e = sg_arena_alloc(a, sizeof *e);
        temporal__api__schedule__v1__schedule_list_entry__init(e);
        e->schedule_id = x->id;
        e->memo = x->rec->memo;
        e->search_attributes = x->rec->search_attributes;
        Temporal__Api__Schedule__V1__ScheduleListInfo *li = sg_arena_alloc(a, sizeof *li);
        temporal__api__schedule__v1__schedule_list_info__init(li);
        li->spec = x->rec->schedule->spec;
        const Temporal__Api__Schedule__V1__ScheduleAction *act = x->rec->schedule->action;
        if (act && act->action_case == TEMPORAL__API__SCHEDULE__V1__SCHEDULE_ACTION__ACTION_START_WORKFLOW)
            li->workflow_type = act->start_workflow->workflow_type;
        const Temporal__Api__Schedule__V1__ScheduleState *st = x->rec->schedule->state;
        li->notes = st && st->notes ? st->notes : "";
        li->paused = st && st->paused;
        const info_t *inf = x->rec->info;
        if (inf && inf->n_recent_actions) {
            size_t keep = SG_MIN(inf->n_recent_actions, (size_t)LIST_ACTIONS);
            li->recent_actions = inf->recent_actions + (inf->n_recent_actions - keep);
            li->n_recent_actions = keep;
        }
        future_times(a, x, now, &li->future_action_times, &li->n_future_action_times);
        if (li->n_future_action_times > LIST_ACTIONS)
            li->n_future_action_times = LIST_ACTIONS;
        e->info = li;
        out->schedules[out->n_schedules++] = e;
    }
    if (take_n < n) {
        out->next_page_token.data = (uint8_t *)ids[take_n - 1];
        out->next_page_token.len = strlen(ids[take_n - 1]);
    }
    return 0;
}

int sg_scheduler_matching_times(sg_scheduler *s, sg_arena *a, const char *namespace_id,
                                const Temporal__Api__Workflowservice__V1__ListScheduleMatchingTimesRequest *req,
                                Temporal__Api__Workflowservice__V1__ListScheduleMatchingTimesResponse *out,
                                const char **why)
{
    *why = NULL;
    sched *x = find(s, namespace_id, req->schedule_id);
    if (!x)
        return SG_ENOTFOUND;
    int64_t from = ms_of_ts(req->start_time), to = ms_of_ts(req->end_time);
    if (!req->start_time || !req->end_time || to < from) {
        *why = "start_time and end_time must be set, end_time not before start_time";
        return SG_EINVAL;
    }
    out->start_time = sg_arena_alloc(a, MATCHING_TIMES_MAX * sizeof *out->start_time);
    for (int64_t t = sg_spec_next(x->spec, from); t >= 0 && t <= to; t = sg_spec_next(x->spec, t)) {
        if (out->n_start_time == MATCHING_TIMES_MAX) {
            *why = "too many matching times; narrow the range";
            return SG_EINVAL;
        }
        out->start_time[out->n_start_time++] = arena_ts(a, sg_spec_jittered(x->spec, t));
    }
    return 0;
}
