/* SPDX-License-Identifier: Apache-2.0 */
/* mstate.c: the cache of workflow runs and their journey through the group commit.
 *
 * A run's mutable state lives decoded in the cache; sg_exec_save serializes it (and the
 * operation's event batch) into the open batch and registers one commit hook per run per
 * batch. On commit the hook hands queued tasks to matching and wakes history watchers; on a
 * failed commit it evicts the run, whose stored row — untouched by the failed batch — is
 * reloaded on next use. Timers are armed at save time: a wake-up for state that did not
 * commit finds the reloaded state and does nothing harmful.
 *
 * Running runs stay cached (start-up recovery loads them all anyway); a closed run leaves the
 * cache at its commit, so memory follows the number of open workflows. */
#include "history/hist.h"
#include "history/mstate.h"

#include "core/metrics.h"
#include "history/vis.h"

#include "core/clock.h"
#include "core/log.h"
#include "core/pbenc.h"

#include <string.h>

static void on_committed(void *ud, int status);
static void exec_join_batch(sg_exec *x);

char *sg_exec_key(const char *namespace_id, const char *run_id)
{
    return sg_concat((const char *[]){ namespace_id, "/", run_id }, 3);
}

bool sg_exec_is_running(const sg_exec *x)
{
    return x->ms->status == ST_RUNNING;
}

/* Whether a worker holds, or may take now, work of the run (time skipping waits for it). */
static bool state_busy(const ms_t *ms)
{
    if (ms->status != ST_RUNNING)
        return false;
    if (ms->wft && ms->wft->scheduled_event_id)
        return true;
    for (size_t i = 0; i < ms->n_activities; i++)
        if (!ms->activities[i]->retry_at_ms)
            return true;
    return false;
}

static void update_busy(sg_exec *x, bool busy)
{
    if (busy == x->busy)
        return;
    x->busy = busy;
    if (busy)
        x->e->n_busy++;
    else
        x->e->n_busy--;
}

static sg_exec *exec_wrap(sg_engine *e, ms_t *ms)
{
    sg_exec *x = sg_calloc(1, sizeof *x);
    x->e = e;
    x->ms = ms;
    x->key = sg_exec_key(ms->namespace_id, ms->run_id);
    x->stored_status = ms->status;
    sg_buf_init(&x->batch);
    sg_map_put(&e->cache, x->key, x);
    update_busy(x, state_busy(ms));
    return x;
}

static void exec_free(sg_exec *x)
{
    sg_assert(!x->watchers);
    update_busy(x, false);
    protobuf_c_message_free_unpacked(&x->ms->base, NULL);
    for (size_t i = 0; i < x->n_dispatch; i++)
        sg_free(x->dispatch[i].queue);
    sg_free(x->dispatch);
    sg_buf_deinit(&x->batch);
    sg_free(x->key);
    sg_free(x);
}

/* Detaches every watcher, then calls each: a callback that watches again joins a fresh list
 * and waits for the next change instead of being called again now. */
static void wake_watchers(sg_exec *x)
{
    sg_watch *w = x->watchers;
    x->watchers = NULL;
    while (w) {
        sg_watch *next = w->next;
        w->x = NULL;
        w->next = w->prev = NULL;
        w->fn(w->ud); /* done with w; the watcher frees it with sg_engine_unwatch */
        w = next;
    }
}

void sg_exec_evict(sg_exec *x)
{
    sg_map_del(&x->e->cache, x->key);
    wake_watchers(x); /* they re-read from the store */
    exec_free(x);
}

sg_exec *sg_exec_create(sg_engine *e, ms_t *ms)
{
    sg_exec *x = exec_wrap(e, ms);
    x->is_new = true;
    return x;
}

int sg_exec_get(sg_engine *e, const char *namespace_id, const char *run_id, sg_exec **out)
{
    char *k = sg_exec_key(namespace_id, run_id);
    sg_exec *x = sg_map_get(&e->cache, k);
    sg_free(k);
    if (x && x->deleted)
        return SG_ENOTFOUND; /* still cached until its batch ends */
    if (x) {
        *out = x;
        return 0;
    }
    sg_execution_rec rec;
    int rc = sg_store_execution_get(e->st, namespace_id, run_id, &rec);
    if (rc < 0)
        return rc;
    ms_t *ms = sandglass__v1__mutable_state__unpack(NULL, rec.state_len, rec.state);
    sg_execution_rec_deinit(&rec);
    if (!ms) {
        sg_log_error("run %s/%s: stored state cannot be decoded", namespace_id, run_id);
        return SG_ECORRUPT;
    }
    *out = exec_wrap(e, ms);
    return 0;
}

int sg_exec_get_current(sg_engine *e, const char *namespace_id, const char *workflow_id,
                     const char *run_id, sg_exec **out)
{
    if (run_id && *run_id) {
        int rc = sg_exec_get(e, namespace_id, run_id, out);
        if (rc == 0 && strcmp((*out)->ms->workflow_id, workflow_id) != 0)
            return SG_ENOTFOUND;
        return rc;
    }
    sg_current_rec cur;
    int rc = sg_store_current_get(e->st, namespace_id, workflow_id, &cur);
    if (rc < 0)
        return rc;
    rc = sg_exec_get(e, namespace_id, cur.run_id, out);
    sg_current_rec_deinit(&cur);
    return rc;
}

void sg_exec_dispatch(sg_exec *x, sg_task_kind kind, const char *queue, int64_t scheduled_event_id,
                   int64_t stamp)
{
    if (x->n_dispatch == x->cap_dispatch) {
        x->cap_dispatch = x->cap_dispatch ? x->cap_dispatch * 2 : 4;
        x->dispatch = sg_realloc(x->dispatch, x->cap_dispatch * sizeof *x->dispatch);
    }
    x->dispatch[x->n_dispatch++] =
        (pending_task){ kind, sg_strdup(queue), scheduled_event_id, stamp };
}

void sg_exec_mark_deleted(sg_exec *x)
{
    x->deleted = true;
    sg_timerq_set(x->e->timers, x->key, 0);
}

void sg_exec_release(sg_exec *x)
{
    if (x->deleted && !x->in_batch && !x->op) {
        sg_exec_evict(x); /* watchers wake and find the run gone */
        return;
    }
    if (!sg_exec_is_running(x) && !x->in_batch && !x->watchers && !x->op)
        sg_exec_evict(x);
}

/* The cached state of x is ahead of the store (its batch failed): reload it and hand its
 * pending tasks to matching again, since a poll may have consumed a reference meanwhile. */
static void exec_reset(sg_exec *x)
{
    sg_engine *e = x->e;
    char *ns = sg_strdup(x->ms->namespace_id), *run = sg_strdup(x->ms->run_id);
    sg_exec_evict(x);
    sg_exec *fresh;
    if (sg_exec_get(e, ns, run, &fresh) == 0) {
        e->on_reload(e, fresh);
    }
    sg_free(ns);
    sg_free(run);
}

static void on_reset_idle(uv_idle_t *h)
{
    sg_engine *e = h->data;
    uv_idle_stop(h);
    char **keys = e->resets;
    size_t n = e->n_resets;
    e->resets = NULL;
    e->n_resets = 0;
    for (size_t i = 0; i < n; i++) {
        sg_exec *x = sg_map_get(&e->cache, keys[i]);
        if (x && !x->in_batch)
            exec_reset(x);
        sg_free(keys[i]);
    }
    sg_free(keys);
}

void sg_exec_init_resets(sg_engine *e)
{
    uv_idle_init(e->loop, &e->reset_idle);
    e->reset_idle.data = e;
}

/* A save failed: the cached state must not outlive the failure. Inside a batch the batch is
 * poisoned and the commit hook resets the run; without one (the batch could not even begin)
 * the reset runs on the next loop turn, once no caller holds x. */
void sg_exec_save_failed(sg_exec *x, int rc)
{
    sg_engine *e = x->e;
    if (sg_txn_is_open(e->txn)) {
        sg_txn_poison(e->txn, rc);
        exec_join_batch(x);
    } else {
        e->resets = sg_realloc(e->resets, (e->n_resets + 1) * sizeof *e->resets);
        e->resets[e->n_resets++] = sg_strdup(x->key);
        uv_idle_start(&e->reset_idle, on_reset_idle);
    }
}

int sg_exec_reload(sg_exec *x)
{
    sg_execution_rec rec;
    int rc = sg_store_execution_get(x->e->st, x->ms->namespace_id, x->ms->run_id, &rec);
    if (rc < 0)
        return rc;
    ms_t *ms = sandglass__v1__mutable_state__unpack(NULL, rec.state_len, rec.state);
    sg_execution_rec_deinit(&rec);
    if (!ms)
        return SG_ECORRUPT;
    protobuf_c_message_free_unpacked(&x->ms->base, NULL);
    x->ms = ms;
    update_busy(x, state_busy(ms));
    sg_buf_reset(&x->batch);
    x->batch_first = x->batch_last = 0;
    return 0;
}

static void effect_free(exec_effect *f)
{
    for (size_t i = 0; i < f->n_tasks; i++)
        sg_free(f->tasks[i].queue);
    sg_free(f->tasks);
    sg_free(f->namespace_id);
    sg_free(f->workflow_id);
    sg_free(f->run_id);
}

/* The after-flush pass: hands committed tasks to matching (which may start operations on any
 * run: they join the next batch), wakes history watchers, lets closed runs leave the cache. */
static void run_effects(void *ud)
{
    sg_engine *e = ud;
    e->effects_armed = false;
    exec_effect *fs = e->effects;
    size_t n = e->n_effects;
    e->effects = NULL;
    e->n_effects = e->cap_effects = 0;
    for (size_t i = 0; i < n; i++) {
        exec_effect *f = &fs[i];
        for (size_t t = 0; t < f->n_tasks; t++) {
            sg_task_ref ref = { f->namespace_id, f->workflow_id, f->run_id,
                                f->tasks[t].scheduled_event_id, f->tasks[t].stamp };
            sg_matching_add(e->matching, f->tasks[t].kind, f->tasks[t].queue, &ref);
        }
        if (f->wake || f->closed) {
            /* Looked up each time: a woken watcher's read may itself release the run. */
            char *k = sg_exec_key(f->namespace_id, f->run_id);
            sg_exec *x = sg_map_get(&e->cache, k);
            if (x && f->wake)
                wake_watchers(x);
            if (f->closed && (x = sg_map_get(&e->cache, k)) != NULL)
                sg_exec_release(x);
            sg_free(k);
        }
        if (e->on_run_committed)
            e->on_run_committed(e, f->namespace_id, f->run_id);
        if (f->closed && e->on_close)
            e->on_close(e->on_close_ud, f->namespace_id, f->workflow_id, f->run_id, f->status);
        effect_free(f);
    }
    sg_free(fs);
}

void sg_exec_drop_effects(sg_engine *e)
{
    for (size_t i = 0; i < e->n_effects; i++)
        effect_free(&e->effects[i]);
    sg_free(e->effects);
    e->effects = NULL;
    e->n_effects = e->cap_effects = 0;
}

/* Commit hook of one run: records what the commit released; acting on it waits for the
 * after-flush pass, so nothing runs inside the commit's completions. */
static void on_committed(void *ud, int status)
{
    sg_exec *x = ud;
    x->in_batch = false;
    if (status == 0 && x->started_in_batch)
        sg_metrics_workflow_started(x->ms->workflow_type);
    if (status == 0 && x->closed_in_batch)
        sg_metrics_workflow_closed(x->ms->workflow_type, x->ms->status);
    x->started_in_batch = x->closed_in_batch = false;
    if (status < 0) {
        sg_log_warn("run %s: batch failed (%s); reloading its state", x->key, sg_strerror(status));
        exec_reset(x);
        return;
    }
    sg_engine *e = x->e;
    bool closed = !sg_exec_is_running(x);
    if (!x->n_dispatch && !x->has_new_events && !closed)
        return;
    if (e->n_effects == e->cap_effects) {
        e->cap_effects = e->cap_effects ? e->cap_effects * 2 : 16;
        e->effects = sg_realloc(e->effects, e->cap_effects * sizeof *e->effects);
    }
    e->effects[e->n_effects++] = (exec_effect){
        .namespace_id = sg_strdup(x->ms->namespace_id),
        .workflow_id = sg_strdup(x->ms->workflow_id),
        .run_id = sg_strdup(x->ms->run_id),
        .tasks = x->dispatch,
        .n_tasks = x->n_dispatch,
        .wake = x->has_new_events,
        .closed = closed,
        .status = x->ms->status,
    };
    x->dispatch = NULL;
    x->n_dispatch = x->cap_dispatch = 0;
    x->has_new_events = false;
}

/* Every save registers the run's commit hook (once per batch) and the engine's after-flush
 * pass (once per batch). */
static void exec_join_batch(sg_exec *x)
{
    sg_engine *e = x->e;
    if (!x->in_batch) {
        x->in_batch = true;
        sg_txn_on_commit(e->txn, on_committed, x);
    }
    if (!e->effects_armed) {
        e->effects_armed = true;
        sg_txn_after_flush(e->txn, run_effects, e);
    }
}

int sg_exec_save(sg_exec *x, int64_t wakeup_ms)
{
    sg_engine *e = x->e;
    ms_t *ms = x->ms;
    int rc = sg_txn_write(e->txn);
    if (rc < 0) {
        sg_buf_reset(&x->batch);
        x->batch_first = x->batch_last = 0;
        sg_exec_save_failed(x, rc);
        return rc;
    }
    ms->state_transition_count++;
    update_busy(x, state_busy(ms));
    if (x->batch.len) {
        rc = sg_store_history_append(e->st, ms->namespace_id, ms->run_id, x->batch_first,
                                     x->batch_last, sg_buf_head(&x->batch), x->batch.len);
    }
    /* The scratch bytes are stored before anything else is encoded; the record is only read
     * by the store's writes (its non-const state is for what a read hands back). */
    size_t n;
    uint8_t *state = (uint8_t *)sg_pb_encode(&ms->base, &n);
    sg_execution_rec rec = { .namespace_id = ms->namespace_id, .workflow_id = ms->workflow_id,
                             .run_id = ms->run_id, .status = ms->status,
                             .start_time_ms = ms->start_time_ms,
                             .close_time_ms = ms->close_time_ms, .state = state,
                             .state_len = n };
    if (rc == 0)
        rc = x->is_new ? sg_store_execution_insert(e->st, &rec)
                       : sg_store_execution_update(e->st, &rec);
    /* Visibility changes with starts, closes and search attribute or memo changes only. */
    bool vis = x->is_new || ms->status != x->stored_status || x->vis_dirty;
    if (rc == 0 && x->is_new)
        x->started_in_batch = true;
    if (rc == 0 && ms->status != x->stored_status && ms->status != ST_RUNNING)
        x->closed_in_batch = true;
    /* The current-run row names the run: it is written when the run starts. Its status is read
     * from the executions row written above, so a close does not rewrite it. */
    if (rc == 0 && x->is_new) {
        sg_current_rec cur = { .run_id = ms->run_id, .status = ms->status,
                               .start_request_id = ms->start_request_id };
        rc = sg_store_current_put(e->st, ms->namespace_id, ms->workflow_id, &cur);
    }
    if (rc == 0)
        x->stored_status = ms->status;
    if (rc == 0 && vis)
        rc = sg_vis_save(e, ms, x->is_new, x->vis_attrs_dirty);
    x->vis_dirty = x->vis_attrs_dirty = false;
    sg_buf_reset(&x->batch);
    x->batch_first = x->batch_last = 0;
    if (rc < 0) {
        sg_exec_save_failed(x, rc);
        return rc;
    }
    x->is_new = false;
    sg_timerq_set(e->timers, x->key, wakeup_ms);
    exec_join_batch(x);
    return 0;
}

sg_watch *sg_engine_watch(sg_engine *e, const char *namespace_id, const char *workflow_id,
                          const char *run_id, void (*fn)(void *ud), void *ud)
{
    sg_exec *x;
    if (sg_exec_get_current(e, namespace_id, workflow_id, run_id, &x) < 0)
        return NULL;
    sg_watch *w = sg_calloc(1, sizeof *w);
    w->x = x;
    w->fn = fn;
    w->ud = ud;
    w->next = x->watchers;
    if (x->watchers)
        x->watchers->prev = w;
    x->watchers = w;
    return w;
}

void sg_engine_unwatch(sg_engine *e, sg_watch *w)
{
    SG_UNUSED(e);
    if (!w)
        return;
    sg_exec *x = w->x;
    if (x) {
        if (w->prev)
            w->prev->next = w->next;
        else
            x->watchers = w->next;
        if (w->next)
            w->next->prev = w->prev;
        sg_exec_release(x);
    }
    sg_free(w);
}
