/* SPDX-License-Identifier: Apache-2.0 */
/* op.c: the operation context — the one way history changes runs.
 *
 *     sg_op op; sg_op_begin(&op, e, a);
 *     sg_op_load(&op, ...) / sg_op_load_current(&op, ...)     runs the operation reads (tracked)
 *     sg_op_write(&op, x)                                   before the first change to x
 *     sg_op_new_run(&op, ms)                                a run this operation creates
 *     ... entity functions mutate x->ms and append events ...
 *     sg_op_commit(&op)        (commit.c) carries closes to parents and children, then
 *                           sg_op_save schedules a workflow task where one is needed and saves
 *                           every written run in the order it joined (a retry run after the run it
 *                           replaces, so the current-run row ends on it)
 *     sg_op_abort(&op)         instead: every written run returns to its stored state, created
 *                           runs vanish (the open batch holds earlier operations' writes, and
 *                           the store reads them back, so "stored" means "as of this op's start")
 *     return sg_op_end(&op, rc)  releases every run: a closed run nobody waits on leaves the cache
 *
 * All-or-nothing command application is sg_op_abort, a store read on the rare rejected
 * completion, instead of a copy of the state on every one. Runs are only loaded through
 * sg_op_load*, so a later asynchronous store can suspend an operation there on a cache miss; the
 * SQLite store answers synchronously. Side effects of a commit (tasks for matching, history
 * long polls to wake) run after the batch's flush (mstate.c). */
#include "history/hist.h"
#include "history/activity.h"
#include "history/events.h"
#include "history/mstate.h"
#include "history/op.h"
#include "history/pbutil.h"
#include "history/timer.h"
#include "history/wft.h"
#include "history/workflow.h"

#include "core/log.h"

#include <string.h>

void sg_op_begin(sg_op *op, sg_engine *e, sg_arena *a)
{
    memset(op, 0, sizeof *op);
    op->e = e;
    op->a = a;
}

static void op_track(sg_op *op, sg_exec *x)
{
    sg_assert(!x->op || x->op == op);
    if (x->op == op)
        return;
    if (op->n_runs == op->cap_runs) {
        op->cap_runs = op->cap_runs ? op->cap_runs * 2 : 4;
        op->runs = sg_arena_realloc_array(op->a, op->runs, op->n_runs, op->cap_runs,
                                          sizeof *op->runs);
    }
    op->runs[op->n_runs++] = x;
    x->op = op;
}

int sg_op_load(sg_op *op, const char *namespace_id, const char *run_id, sg_exec **out)
{
    sg_exec *x;
    int rc = sg_exec_get(op->e, namespace_id, run_id, &x);
    if (rc < 0)
        return rc;
    op_track(op, x);
    *out = x;
    return 0;
}

int sg_op_load_current(sg_op *op, const char *namespace_id, const char *workflow_id,
                    const char *run_id, sg_exec **out)
{
    sg_exec *x;
    int rc = sg_exec_get_current(op->e, namespace_id, workflow_id, run_id, &x);
    if (rc < 0)
        return rc;
    op_track(op, x);
    *out = x;
    return 0;
}

void sg_op_write(sg_op *op, sg_exec *x)
{
    sg_assert(x->op == op);
    if (x->op_written)
        return;
    /* Every operation saves what it wrote, so nothing is pending from an earlier one. */
    sg_assert(x->batch.len == 0);
    x->op_written = true;
    x->op_dispatch_mark = x->n_dispatch;
    x->op_need_wft_mark = x->need_wft;
    x->op_events_mark = x->has_new_events;
}

sg_exec *sg_op_new_run(sg_op *op, ms_t *ms)
{
    sg_exec *x = sg_exec_create(op->e, ms);
    op_track(op, x);
    sg_op_write(op, x);
    return x;
}

/* A closed run keeps no pending work: its workflow task, activities and timers go without
 * events, and so do the tasks this operation had queued for matching. */
static void op_drop_pending_work(sg_exec *x)
{
    ms_t *ms = x->ms;
    if (ms->wft)
        sg_wft_clear(ms->wft);
    sg_ms_set_str(&ms->sticky_queue, "");
    sg_act_drop_all(ms);
    sg_timer_drop_all(ms);
    for (size_t i = 0; i < x->n_dispatch; i++)
        sg_free(x->dispatch[i].queue);
    x->n_dispatch = 0;
    x->need_wft = false;
}

void sg_op_start_retry(sg_op *op, sg_exec *x, const pb_failure *f, int64_t delay_ms,
                    const char *new_run_id)
{
    pb_event *started;
    ms_t *ms = sg_wf_retry_state(x, op->a, f, delay_ms, new_run_id, &started);
    if (!ms)
        return;
    sg_exec *n = sg_op_new_run(op, ms);
    sg_ev_append(n, started);
    if (!ms->wft_backoff_until_ms)
        n->need_wft = true;
}

void sg_op_start_cron(sg_op *op, sg_exec *x, const pb_payloads *result, const pb_failure *f,
                      int64_t delay_ms, const char *new_run_id)
{
    pb_event *started;
    ms_t *ms = sg_wf_cron_state(x, op->a, result, f, delay_ms, new_run_id, &started);
    if (!ms)
        return;
    sg_exec *n = sg_op_new_run(op, ms);
    sg_ev_append(n, started);
    if (!ms->wft_backoff_until_ms)
        n->need_wft = true;
}

void sg_op_start_continued(sg_op *op, sg_exec *x,
                           const Temporal__Api__Command__V1__ContinueAsNewWorkflowExecutionCommandAttributes *in,
                           const char *new_run_id)
{
    pb_event *started;
    ms_t *ms = sg_wf_continue_state(x, op->a, in, new_run_id, &started);
    if (!ms)
        return;
    sg_exec *n = sg_op_new_run(op, ms);
    sg_ev_append(n, started);
    if (!ms->wft_backoff_until_ms)
        n->need_wft = true;
}

int sg_op_save(sg_op *op)
{
    int first_rc = 0;
    for (size_t i = 0; i < op->n_runs; i++) {
        sg_exec *x = op->runs[i];
        if (!x->op_written)
            continue;
        x->op_written = false;
        if (first_rc < 0) {
            /* The batch is poisoned: this run's changes must not outlive it either. */
            sg_exec_save_failed(x, first_rc);
            continue;
        }
        if (x->ms->status == ST_RUNNING) {
            sg_wft_reconcile(x);
            if (x->need_wft)
                sg_wft_schedule(x, op->a);
            /* Asked for by this operation only: a task already pending (or running, with the
             * buffer) delivers the new events, and nothing is owed to a later operation. */
            x->need_wft = false;
        } else {
            op_drop_pending_work(x);
        }
        int rc = sg_exec_save(x, sg_op_next_wakeup(x));
        if (rc < 0)
            first_rc = rc;
    }
    return first_rc;
}

int sg_op_abort(sg_op *op)
{
    int first_rc = 0;
    size_t kept = 0;
    for (size_t i = 0; i < op->n_runs; i++) {
        sg_exec *x = op->runs[i];
        if (!x->op_written) {
            op->runs[kept++] = x;
            continue;
        }
        x->op_written = false;
        if (x->is_new) {
            x->op = NULL;
            sg_exec_evict(x);
            continue;
        }
        for (size_t d = x->op_dispatch_mark; d < x->n_dispatch; d++)
            sg_free(x->dispatch[d].queue);
        x->n_dispatch = x->op_dispatch_mark;
        x->need_wft = x->op_need_wft_mark;
        x->has_new_events = x->op_events_mark;
        int rc = sg_exec_reload(x);
        if (rc < 0) {
            sg_log_error("run %s: cannot reload its state: %s", x->key, sg_strerror(rc));
            sg_exec_save_failed(x, rc);
            if (!first_rc)
                first_rc = rc;
        }
        op->runs[kept++] = x;
    }
    op->n_runs = kept;
    return first_rc;
}

int sg_op_end(sg_op *op, int rc)
{
    if (rc < 0) {
        int arc = sg_op_abort(op);
        if (arc < 0 && rc == SG_EINVAL)
            rc = arc;
    }
    for (size_t i = 0; i < op->n_runs; i++) {
        sg_exec *x = op->runs[i];
        sg_assert(!x->op_written);
        x->op = NULL;
        sg_exec_release(x);
    }
    op->n_runs = 0;
    return rc;
}

int64_t sg_op_next_wakeup(const sg_exec *x)
{
    const ms_t *ms = x->ms;
    if (ms->status != ST_RUNNING)
        return 0;
    int64_t best = 0;
    int64_t due[] = { sg_wf_next_wakeup(ms), sg_wft_next_wakeup(ms), sg_timer_next_wakeup(ms),
                      sg_act_next_wakeup_all(ms) };
    for (size_t i = 0; i < SG_ARRAY_LEN(due); i++)
        if (due[i] > 0 && (!best || due[i] < best))
            best = due[i];
    return best;
}
