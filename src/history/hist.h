/* SPDX-License-Identifier: Apache-2.0 */
/* hist.h: internals shared by the engine's files (engine.c, mstate.c, events.c, commands.c,
 * activity.c, read.c). Not included outside src/history.
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
    int stored_status;      /* status in the stored current-run row (rewritten only on change) */
    bool in_batch;          /* a commit hook is registered for the open group-commit batch */
    bool has_new_events;    /* watchers to wake after commit */
    bool need_wft;          /* an appended event needs the workflow to run */
    pending_task *dispatch; /* tasks for matching after commit */
    size_t n_dispatch, cap_dispatch;
    sg_watch *watchers;
    /* The operation using the run (op.c), and what sg_op_abort restores. */
    sg_op *op;
    bool op_written;
    bool op_need_wft_mark, op_events_mark;
    size_t op_dispatch_mark;
};

/* ---- op.c: the operation context ---- */
struct sg_op {
    sg_engine *e;
    sg_arena *a;
    sg_exec **runs; /* in the order they joined (arena) */
    size_t n_runs, cap_runs;
};
void sg_op_begin(sg_op *op, sg_engine *e, sg_arena *a);
/* Loads a run into the operation (from the cache or the store). SG_ENOTFOUND, SG_ECORRUPT,
 * store errors. */
int sg_op_load(sg_op *op, const char *namespace_id, const char *run_id, sg_exec **out);
/* The same; an empty run_id means the workflow's current run. */
int sg_op_load_current(sg_op *op, const char *namespace_id, const char *workflow_id,
                    const char *run_id, sg_exec **out);
/* Declares that the operation is about to change x: saved at commit, reloaded at abort. */
void sg_op_write(sg_op *op, sg_exec *x);
/* A new run (takes ms), written by this operation. */
sg_exec *sg_op_new_run(sg_op *op, ms_t *ms);
/* Saves every written run in order (scheduling a workflow task where one is needed). Returns
 * 0 or the first store error (the batch is then poisoned and every written run reset). The
 * runs stay loaded until sg_op_end. */
int sg_op_commit(sg_op *op);
/* Every written run returns to its stored state; created runs are dropped. Returns 0 or a
 * store error. The operation stays usable (write again, then commit). */
int sg_op_abort(sg_op *op);
/* Ends the operation: rc < 0 aborts what is still written; then releases every run. Returns
 * rc (or the abort's store error in place of SG_EINVAL). */
int sg_op_end(sg_op *op, int rc);

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
} exec_effect;

struct sg_engine {
    uv_loop_t *loop;
    sg_store *st;
    sg_txn *txn;
    sg_matching *matching;
    sg_timerq *timers;
    sg_map cache; /* key -> sg_exec */
    int64_t last_task_id;
    exec_effect *effects; /* committed, not yet acted on */
    size_t n_effects, cap_effects;
    bool effects_armed; /* an after-flush pass is queued */
    uv_idle_t reset_idle; /* resets runs whose save failed outside any batch */
    /* Called with a run whose state was just loaded from the store for good (after a failed
     * batch): re-queues its tasks and arms its wake-up (engine.c). */
    void (*on_reload)(sg_engine *e, sg_exec *x);
    char **resets;
    size_t n_resets;
};

/* ---- mstate.c ---- */
char *sg_exec_key(const char *namespace_id, const char *run_id);
/* Finds a run in the cache or loads it. SG_ENOTFOUND, SG_ECORRUPT, store errors. */
int sg_exec_get(sg_engine *e, const char *namespace_id, const char *run_id, sg_exec **out);
/* Resolves an empty run id to the workflow's current run. */
int sg_exec_get_current(sg_engine *e, const char *namespace_id, const char *workflow_id,
                     const char *run_id, sg_exec **out);
/* A new run, cached, not yet stored (sg_exec_save inserts it). Takes ownership of ms. */
sg_exec *sg_exec_create(sg_engine *e, ms_t *ms);
/* Writes this operation's batch and state; arms the run's timer. Returns 0 or a store error
 * (the group-commit batch is then poisoned). Called by sg_op_commit. */
int sg_exec_save(sg_exec *x, int64_t wakeup_ms);
/* The run's cached state must not outlive a failed batch: reset it when the batch ends. */
void sg_exec_save_failed(sg_exec *x, int rc);
/* Replaces the cached state with the stored one (dropping this operation's event batch). */
int sg_exec_reload(sg_exec *x);
/* Queues a task to hand to matching once the batch commits. */
void sg_exec_dispatch(sg_exec *x, sg_task_kind kind, const char *queue, int64_t scheduled_event_id,
                   int64_t stamp);
/* Sets up the deferred reset of runs whose save failed outside a batch (engine start). */
void sg_exec_init_resets(sg_engine *e);
/* Drops a run from the cache (its stored state is authoritative). */
void sg_exec_evict(sg_exec *x);
/* Ends a read-only use: a closed run nobody waits on leaves the cache. */
void sg_exec_release(sg_exec *x);
/* Frees effects not yet run (engine shutdown without a final flush). */
void sg_exec_drop_effects(sg_engine *e);
bool sg_exec_is_running(const sg_exec *x);

/* ---- events.c ---- */
/* Allocates an event of the given type in a, with time = now; attributes set by the caller. */
pb_event *sg_ev_new(sg_arena *a, int type);
/* Assigns the next event id and appends the event to the operation's batch. Returns its id. */
int64_t sg_ev_append(sg_exec *x, pb_event *ev);
/* While a workflow task is started, events from outside go to the buffer (ids assigned when
 * flushed); otherwise they are appended at once. Returns the id, or 0 when buffered. */
int64_t sg_ev_append_or_buffer(sg_exec *x, pb_event *ev);
/* Appends buffered events (assigning ids, fixing references to events in the same buffer). */
void sg_ev_flush_buffer(sg_exec *x, sg_arena *a);
bool sg_ev_has_buffered(const sg_exec *x);
pb_ts *sg_ts_ms(sg_arena *a, int64_t ms);
pb_dur *sg_dur_ms(sg_arena *a, int64_t ms);
int64_t sg_dur_to_ms(const pb_dur *d);
int64_t sg_ts_to_ms(const pb_ts *t);
/* Merges src's map entries (key -> Payload) into *dst, replacing equal keys; an entry whose
 * payload is empty removes the key (Temporal's upsert semantics). dst is heap-allocated
 * mutable state; src is borrowed. Works for Memo.fields and SearchAttributes.indexed_fields. */
void sg_ms_merge_memo(Temporal__Api__Common__V1__Memo **dst, const Temporal__Api__Common__V1__Memo *src);
void sg_ms_merge_search_attributes(Temporal__Api__Common__V1__SearchAttributes **dst,
                                const Temporal__Api__Common__V1__SearchAttributes *src);
/* Copies a message into a (pack + unpack); NULL stays NULL. */
void *sg_pb_clone_arena(sg_arena *a, const ProtobufCMessage *m);
/* Copies a message with the default allocator (for the mutable state). */
void *sg_pb_clone_heap(const ProtobufCMessage *m);
char *sg_ms_strdup(const char *s);
void sg_ms_set_str(char **field, const char *value);

/* ---- wft.c: the workflow task ---- */
/* The task's state (Sandglass__V1__WorkflowTaskState), derived for states stored before the
 * field existed; NONE when w is NULL. */
int sg_wft_state(const ms_wft *w);
const char *sg_wft_state_name(int state);
/* Moves w to state `to`, panicking on a transition the diagram does not have. */
void sg_wft_move(ms_wft *w, int to);
/* Schedules a workflow task if none is pending (writes WorkflowTaskScheduled, or reserves its
 * id for a transient attempt) and queues its dispatch. */
void sg_wft_schedule(sg_exec *x, sg_arena *a);
/* At commit: an unstarted transient attempt whose reserved ids events took is superseded by a
 * fresh first attempt (asked for with need_wft). */
void sg_wft_reconcile(sg_exec *x);
/* SCHEDULED -> STARTED for a poller; returns the started event id. */
int64_t sg_wft_start(sg_exec *x, sg_arena *a, bool from_sticky, const char *identity,
                  const char *request_id);
/* STARTED -> NONE on RespondWorkflowTaskCompleted: writes a transient attempt's events, then
 * WorkflowTaskCompleted; returns its id and the attempt that completed. */
int64_t sg_wft_complete(sg_exec *x, sg_arena *a,
                     const Temporal__Api__Workflowservice__V1__RespondWorkflowTaskCompletedRequest *req,
                     int32_t *attempt);
/* Records the worker's sticky queue for the next task (none: back to the normal queue). */
void sg_wft_set_sticky(sg_exec *x,
                    const Temporal__Api__Taskqueue__V1__StickyExecutionAttributes *sa);
/* Fails the started workflow task with cause (history event + next attempt). */
void sg_wft_fail(sg_exec *x, sg_arena *a, int cause, const pb_failure *failure, const char *identity);
/* A started task is abandoned because the run closes from outside (WorkflowTaskFailed with
 * FORCE_CLOSE_COMMAND unless transient). */
void sg_wft_force_close(sg_exec *x, sg_arena *a);
/* Any state -> NONE, keeping the attempt count. */
void sg_wft_clear(ms_wft *w);
/* Start backoff, start-to-close and sticky schedule-to-start timeouts due at now. */
void sg_wft_fire_due(sg_exec *x, sg_arena *a, int64_t now);
int64_t sg_wft_next_wakeup(const ms_t *ms);
/* The sticky queue is gone: forget it, and move a waiting task to the normal queue. */
void sg_wft_unstick(sg_exec *x);
/* Whether a task reference or token (scheduled id, stamp) names the current task in the given
 * state (started or only scheduled). */
bool sg_wft_matches(const ms_wft *w, int64_t scheduled_event_id, int64_t stamp, bool started);
/* A transient attempt's Scheduled (and Started) events, History-encoded, for readers. */
void sg_wft_append_transient(const sg_exec *x, sg_arena *a, sg_buf *out);
void sg_wft_materialize(sg_exec *x, sg_arena *a);

/* ---- retry.c ---- */
#define RETRY_DEFAULT_INITIAL_MS 1000
/* Temporal's checks of a retry policy (NULL: valid, or unset); else the message to fail with. */
const char *sg_retry_policy_problem(const Temporal__Api__Common__V1__RetryPolicy *p);
/* The backoff after failed attempt `attempt` (1-based): InitialInterval x coefficient^(attempt-1),
 * capped by MaximumInterval (default 100 x InitialInterval); defined for any stored values. */
int64_t sg_retry_backoff_ms(const Temporal__Api__Common__V1__RetryPolicy *p, int attempt);
/* A copy of in (NULL: an empty policy) in a with Temporal's defaults filled in (initial 1 s,
 * coefficient 2, maximum 100 x initial); NULL, or the message to reject it with. */
const char *sg_retry_policy_normalize(sg_arena *a, const Temporal__Api__Common__V1__RetryPolicy *in,
                                   Temporal__Api__Common__V1__RetryPolicy **out);
/* Temporal's decision after attempt `attempt` failed with f, for activities and workflow runs
 * alike: the delay before the next attempt in ms, or -1 with *retry_state saying why not
 * (no policy, non-retryable failure or type, attempts used up, or the next attempt would
 * start at or past deadline_ms, when > 0). An ApplicationFailure's next_retry_delay replaces
 * the backoff. */
int64_t sg_retry_next_delay(const Temporal__Api__Common__V1__RetryPolicy *p, const pb_failure *f,
                         int32_t attempt, int64_t now, int64_t deadline_ms, int *retry_state);

/* ---- workflow.c: the run's lifecycle ---- */
/* What a new run starts with (a start, or a retry of a closed run). */
typedef struct wf_run_spec {
    const char *namespace_id, *namespace_name, *workflow_id, *run_id, *workflow_type, *task_queue;
    int64_t now;
    int64_t execution_timeout_ms, run_timeout_ms, task_timeout_ms; /* 0 = none */
    int64_t execution_expiration_ms;                                /* absolute; 0 = none */
    const char *first_execution_run_id, *start_request_id;
    const char *continued_run_id; /* the run this one retries, or NULL */
    int32_t attempt;
    const Temporal__Api__Common__V1__RetryPolicy *retry_policy;
    const Temporal__Api__Common__V1__Memo *memo;
    const Temporal__Api__Common__V1__SearchAttributes *search_attributes;
    int64_t backoff_ms; /* the first workflow task waits this long */
} wf_run_spec;
/* The one place a new run's mutable state is built (heap; the caller owns it). */
ms_t *sg_wf_new_state(const wf_run_spec *spec);
/* RUNNING -> status (after the caller wrote the close event); panics on any other move. */
void sg_wf_close(sg_exec *x, int status);
enum { WF_RUN_TIMEOUT = 1, WF_EXECUTION_TIMEOUT = 2 };
/* Which of the run's timeouts is due at now (0: none). */
int sg_wf_timeout_due(const ms_t *ms, int64_t now);
int64_t sg_wf_next_wakeup(const ms_t *ms);
/* Writes WorkflowExecutionTimedOut and closes the run. A run timeout with retries left sets
 * *retry_delay_ms >= 0 and new_run_id (SG_UUID_STR_LEN + 1 bytes); returns the failure. */
const pb_failure *sg_wf_time_out(sg_exec *x, sg_arena *a, int which, int64_t *retry_delay_ms,
                              char *new_run_id);
/* Writes WorkflowExecutionTerminated and closes the run. */
void sg_wf_terminate(sg_exec *x, sg_arena *a, const char *reason, const char *identity);
/* Whether a failed (or run-timed-out) run retries: the delay in ms, or -1 with *retry_state
 * saying why not. */
int64_t sg_wf_retry_delay(const sg_exec *x, const pb_failure *f, int64_t now, int *retry_state);
/* The state of the run retrying closed run x as new_run_id after delay_ms, and its
 * WorkflowExecutionStarted event (*started); NULL if x's start cannot be read. */
ms_t *sg_wf_retry_state(sg_exec *x, sg_arena *a, const pb_failure *f, int64_t delay_ms,
                     const char *new_run_id, pb_event **started);

/* ---- op.c (continued) ---- */
/* Earliest time something of the run is due (its wake-up), or 0. */
int64_t sg_op_next_wakeup(const sg_exec *x);
/* Creates the retry run of closed run x in op (saved after x). */
void sg_op_start_retry(sg_op *op, sg_exec *x, const pb_failure *f, int64_t delay_ms,
                    const char *new_run_id);

/* ---- engine.c ---- */
/* Processes everything of the run due at now (its wake-up fired). */
void sg_exec_fire_timers(sg_op *op, sg_exec *x, int64_t now);

/* ---- activity.c ---- */
ms_activity *sg_act_find(const sg_exec *x, int64_t scheduled_event_id);
ms_activity *sg_act_find_by_id(const sg_exec *x, const char *activity_id);
void sg_act_remove(sg_exec *x, ms_activity *act);
/* Applies the timeouts and retry dispatches due at now, activity by activity. */
void sg_act_fire_due(sg_exec *x, sg_arena *a, int64_t now);
/* The run closed: pending activities go without events. */
void sg_act_drop_all(ms_t *ms);
/* The activity's state (Sandglass__V1__ActivityState), derived for states stored before the
 * field existed. */
int sg_act_state(const ms_activity *act);
const char *sg_act_state_name(int state);
/* Moves act to state `to`, panicking on a transition the diagram does not have. */
void sg_act_move(ms_activity *act, int to);
/* Whether a task reference's stamp names the activity's current, not yet started attempt. */
bool sg_act_is_startable(const ms_activity *act, int64_t stamp);
bool sg_act_is_started(const ms_activity *act);
/* Whether a token's attempt and stamp name the current attempt. */
bool sg_act_matches_token(const ms_activity *act, int32_t attempt, int64_t stamp);
/* SCHEDULED -> STARTED for a poller. */
void sg_act_start(ms_activity *act, const char *identity, const char *request_id, int64_t now);
/* The poll reply for a started activity (token, inputs, timeouts), in a. */
void sg_act_poll_response(sg_arena *a, const ms_t *ms, const ms_activity *act,
                       Temporal__Api__Workflowservice__V1__PollActivityTaskQueueResponse *out);
/* The started attempt ended as the worker reported (completed, failed: retried or closed,
 * canceled). */
void sg_act_end(sg_exec *x, sg_arena *a, ms_activity *act, sg_activity_outcome outcome,
             const ProtobufCMessage *payload, const ProtobufCMessage *failure,
             const ProtobufCMessage *last_heartbeat_details, const char *identity, int64_t now);
/* Records a heartbeat; returns whether cancellation was requested. */
bool sg_act_heartbeat(ms_activity *act, const ProtobufCMessage *details, int64_t now);
int64_t sg_act_next_wakeup_all(const ms_t *ms);
void sg_act_dispatch(sg_exec *x, ms_activity *act);
/* RequestCancelActivityTask: ActivityTaskCancelRequested; an activity not started yet is
 * canceled at once (ActivityTaskCanceled), a started one learns it from its heartbeats. */
void sg_act_request_cancel(sg_exec *x, sg_arena *a, ms_activity *act, int64_t wtc);
/* (none) -> SCHEDULED: ActivityTaskScheduled for a validated command with normalized timeouts
 * (schedule-to-close, schedule-to-start, start-to-close, heartbeat) and retry policy, and the
 * first dispatch. */
void sg_act_schedule(sg_exec *x, sg_arena *a,
                  const Temporal__Api__Command__V1__ScheduleActivityTaskCommandAttributes *in,
                  const char *queue, const int64_t timeouts_ms[4],
                  Temporal__Api__Common__V1__RetryPolicy *retry, int64_t wtc,
                  Temporal__Api__Sdk__V1__UserMetadata *user_metadata);

/* ---- timer.c ---- */
ms_timer *sg_timer_find(const ms_t *ms, const char *timer_id, size_t *index);
/* TimerStarted for a validated command; returns its event id. */
int64_t sg_timer_start(sg_exec *x, sg_arena *a,
                    const Temporal__Api__Command__V1__StartTimerCommandAttributes *in, int64_t wtc,
                    Temporal__Api__Sdk__V1__UserMetadata *user_metadata);
/* TimerCanceled for the pending timer at index. */
void sg_timer_cancel(sg_exec *x, sg_arena *a, size_t index, int64_t wtc, const char *identity);
/* Fires every timer due at now (TimerFired, buffered while a task runs). */
void sg_timer_fire_due(sg_exec *x, sg_arena *a, int64_t now);
int64_t sg_timer_next_wakeup(const ms_t *ms);
/* The run closed: pending timers go without events. */
void sg_timer_drop_all(ms_t *ms);

/* ---- commands.c ---- */
int sg_cmd_apply_all(sg_exec *x, sg_arena *a,
                  const Temporal__Api__Workflowservice__V1__RespondWorkflowTaskCompletedRequest *req,
                  int64_t wtc_event_id, sg_engine_err *err);

/* ---- token.c ---- */
uint8_t *sg_token_encode(sg_arena *a, const Sandglass__V1__TaskToken *t, size_t *len);
Sandglass__V1__TaskToken *sg_token_decode(sg_arena *a, const uint8_t *p, size_t len);

/* ---- read.c ---- */
/* Appends to out the History-encoded events from from_event_id on (stored batches spliced as
 * they are; only a batch that starts before from_event_id is decoded to trim it), stopping
 * after the batch that reaches max_events (<= 0: all). *next_event_id is the first event not
 * returned (compare with the run's next_event_id to know whether more exist). */
int sg_hist_read(sg_engine *e, sg_arena *a, const char *namespace_id, const char *run_id,
              int64_t from_event_id, int64_t max_events, sg_buf *out, int64_t *next_event_id);


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

Temporal__Api__Taskqueue__V1__TaskQueue *sg_tq_new(sg_arena *a, const char *name, int kind,
                                               const char *normal_name);
pb_failure *sg_failure_new(sg_arena *a, const char *message);
#endif
