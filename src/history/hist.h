/* SPDX-License-Identifier: Apache-2.0 */
/* hist.h: the types every file of src/history shares — the cached run (sg_exec), the engine's
 * state, short names for the generated protobuf types and enums. Functions are declared in the
 * header named after the file that defines them (wft.h for wft.c, ...). Not included outside
 * src/history (and its tests).
 *
 * sg_exec is one cached run: its decoded mutable state (a protobuf-c MutableState allocated
 * with the default allocator, so free_unpacked releases it) plus what the current operation
 * has produced and not yet written (the event batch, tasks to dispatch after commit).
 *
 * Every change goes through an operation context (op.c): load the runs, declare each one
 * written before changing it, mutate, then commit (sg_exec_save of every written run, in order)
 * or abort (reload), and end (release). On commit the run's hook records the tasks and
 * wake-ups it released; they run after the batch's flush (mstate.c).
 */
#ifndef SG_HIST_H
#define SG_HIST_H

#include "history/engine.h"

#include "core/buf.h"
#include "core/map.h"
#include "timer/timerq.h"

#include "sandglass/v1/state.pb-c.h"
#include "temporal/api/command/v1/message.pb-c.h"
#include "temporal/api/enums/v1/event_type.pb-c.h"
#include "temporal/api/failure/v1/message.pb-c.h"
#include "temporal/api/history/v1/message.pb-c.h"

typedef Sandglass__V1__MutableState ms_t;
typedef Sandglass__V1__Activity ms_activity;
typedef Sandglass__V1__Timer ms_timer;
typedef Sandglass__V1__WorkflowTask ms_wft;
typedef Temporal__Api__History__V1__HistoryEvent pb_event;
typedef Temporal__Api__Failure__V1__Failure pb_failure;
typedef Temporal__Api__Common__V1__Payloads pb_payloads;
typedef Google__Protobuf__Timestamp pb_ts;
typedef Google__Protobuf__Duration pb_dur;

enum {
    ST_RUNNING = 1, ST_COMPLETED, ST_FAILED, ST_CANCELED, ST_TERMINATED, ST_CONTINUED_AS_NEW,
    ST_TIMED_OUT,
};

typedef struct pending_task {
    sg_task_kind kind;
    char *queue;
    int64_t scheduled_event_id;
    int64_t stamp;
} pending_task;

typedef struct sg_exec sg_exec;
typedef struct sg_op sg_op;
struct sg_exec {
    sg_engine *e;
    char *key; /* "namespace_id/run_id" */
    ms_t *ms;
    /* this operation's events, History-encoded */
    sg_buf batch;
    int64_t batch_first, batch_last;
    bool is_new;            /* not yet inserted in the store */
    int stored_status;      /* status as of the last save (a change writes visibility) */
    bool in_batch;          /* a commit hook is registered for the open group-commit batch */
    bool has_new_events;    /* watchers to wake after commit */
    bool need_wft;          /* an appended event needs the workflow to run */
    pending_task *dispatch; /* tasks for matching after commit */
    size_t n_dispatch, cap_dispatch;
    sg_watch *watchers;
    bool deleted;           /* DeleteWorkflowExecution removed its rows */
    bool child_close_done;  /* its close was told to its parent and children (child.c) */
    bool busy;              /* counted in the engine's n_busy (mstate.c) */
    bool vis_dirty;         /* search attributes or memo changed: rewrite the visibility row */
    /* The open batch starts or closes the run: counted (metrics) once it commits. */
    bool started_in_batch, closed_in_batch;
    bool vis_attrs_dirty;   /* search attributes changed: and its attribute values */
    /* The operation using the run (op.c), and what sg_op_abort restores. */
    sg_op *op;
    bool op_written;
    bool op_need_wft_mark, op_events_mark;
    size_t op_dispatch_mark;
};

struct sg_watch {
    sg_watch *prev, *next;
    sg_exec *x;
    void (*fn)(void *ud);
    void *ud;
};

/* What one run's commit released, acted on after the flush (mstate.c, exec_run_effects). */
typedef struct exec_effect {
    char *namespace_id, *workflow_id, *run_id;
    pending_task *tasks; /* handed to matching */
    size_t n_tasks;
    bool wake;   /* new events: wake the run's history watchers */
    bool closed; /* the run closed: it may leave the cache */
    int status;  /* the run's WorkflowExecutionStatus */
} exec_effect;

struct sg_engine {
    uv_loop_t *loop;
    sg_store *st;
    sg_txn *txn;
    sg_matching *matching;
    sg_timerq *timers;
    sg_map cache; /* key -> sg_exec */
    int (*attr_type)(void *ud, const char *namespace_id, const char *name); /* engine.h */
    void *attr_type_ud;
    /* Cached runs with work a worker holds or may take now: a workflow task, or an activity
     * not waiting for a retry. Time skipping waits while there is any (mstate.c). */
    size_t n_busy;
    int64_t last_task_id;
    exec_effect *effects; /* committed, not yet acted on */
    size_t n_effects, cap_effects;
    bool effects_armed; /* an after-flush pass is queued */
    uv_idle_t reset_idle; /* resets runs whose save failed outside any batch */
    /* Called with a run whose state was just loaded from the store for good (after a failed
     * batch): re-queues its tasks and arms its wake-up (engine.c). */
    void (*on_reload)(sg_engine *e, sg_exec *x);
    /* Called by the after-flush pass for each run a commit touched (query.c: queries waiting
     * for the run's workflow task to end). */
    void (*on_run_committed)(sg_engine *e, const char *namespace_id, const char *run_id);
    /* Queries in flight (query.c): id -> sg_query, and "namespace_id/run_id" -> first of the
     * run's queries. */
    sg_map queries, queries_by_run;
    int64_t query_seq;
    /* Updates not accepted yet and callers waiting on updates (update.c): "ns/run" -> list. */
    sg_map updates_by_run, update_waiters_by_run;
    char **resets;
    size_t n_resets;
    /* Told of every run that closed, after its commit (sg_engine_on_close). */
    sg_engine_close_fn on_close;
    void *on_close_ud;
};

/* ---- short names for generated event plumbing ---- */
#define EVT(NAME) TEMPORAL__API__ENUMS__V1__EVENT_TYPE__EVENT_TYPE_##NAME
#define ATTR_CASE(NAME) TEMPORAL__API__HISTORY__V1__HISTORY_EVENT__ATTRIBUTES_##NAME##_EVENT_ATTRIBUTES
/* Declares `pb_event *ev` of type NAME with zeroed attributes `ev_attr` (arena a). */
#define EV_NEW(a, ev, NAME, Camel, snake)                                                     \
    Temporal__Api__History__V1__##Camel##EventAttributes *ev##_attr =                         \
        sg_arena_alloc((a), sizeof *ev##_attr);                                               \
    temporal__api__history__v1__##snake##_event_attributes__init(ev##_attr);                  \
    pb_event *ev = sg_ev_new((a), EVT(NAME));                                                    \
    ev->attributes_case = ATTR_CASE(NAME);                                                    \
    ev->snake##_event_attributes = ev##_attr
#define TQ_KIND(K) TEMPORAL__API__ENUMS__V1__TASK_QUEUE_KIND__TASK_QUEUE_KIND_##K
#define RETRY_STATE(S) TEMPORAL__API__ENUMS__V1__RETRY_STATE__RETRY_STATE_##S
#define TIMEOUT_TYPE(T) TEMPORAL__API__ENUMS__V1__TIMEOUT_TYPE__TIMEOUT_TYPE_##T
#define WFT_CAUSE(C) TEMPORAL__API__ENUMS__V1__WORKFLOW_TASK_FAILED_CAUSE__WORKFLOW_TASK_FAILED_CAUSE_##C

#endif
