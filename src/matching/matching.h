/* SPDX-License-Identifier: Apache-2.0 */
/* matching.h: task queues — backlogs of task references and the long polls waiting on them.
 *
 * Matching holds references, not tasks: (run, scheduled event id, stamp). The history engine
 * decides at hand-over whether a reference is still current (offer returns false for a stale
 * one, which is then dropped), so matching never needs to be told that a task went away. It is
 * memory only: the engine re-adds every pending task from the runs' mutable state at start-up.
 *
 * Offers are synchronous: sg_matching_add and sg_matching_poll call the offer function at
 * once, and the offer starts an engine operation (recording the task started). The engine
 * therefore adds tasks only from its after-flush pass (store/txn.h), never from inside a
 * commit hook or an operation, so an offer always starts a fresh operation. */
#ifndef SG_MATCHING_H
#define SG_MATCHING_H

#include "core/sg.h"

#include <uv.h>

typedef struct sg_matching sg_matching;
typedef struct sg_poller sg_poller;

typedef enum { SG_TASK_WORKFLOW = 0, SG_TASK_ACTIVITY = 1 } sg_task_kind;

typedef struct sg_task_ref {
    const char *namespace_id;
    const char *workflow_id;
    const char *run_id;
    int64_t scheduled_event_id;
    int64_t stamp;
} sg_task_ref;

/* Offers a task to a poller. Returns true if the poller took it (its poll is over and matching
 * forgets the poller), false if the task is stale (matching drops it and goes on). The task is
 * borrowed for the call. */
typedef bool (*sg_poll_offer_fn)(void *ud, const sg_task_ref *task);
/* The poll ended without a task (its wait elapsed, or matching shut down). Not called after
 * sg_matching_cancel. */
typedef void (*sg_poll_empty_fn)(void *ud);

sg_matching *sg_matching_new(uv_loop_t *loop);
/* Frees queues and tasks; parked pollers must have been ended (sg_matching_shutdown). The
 * pollers' timers close asynchronously: run the loop once more. */
void sg_matching_free(sg_matching *m);
/* Queues a task (copied) on (namespace_id, kind, queue), handing it to a parked poller at once
 * when there is one. */
void sg_matching_add(sg_matching *m, sg_task_kind kind, const char *queue, const sg_task_ref *t);
/* Polls (namespace_id, kind, queue): offers queued tasks until one is taken; if none is, parks
 * the poller for wait_ms. Returns NULL when the poll already ended (taken, or empty because
 * matching is shut down — then empty was called), else the parked poller's handle. identity
 * (borrowed) is recorded for DescribeTaskQueue. */
sg_poller *sg_matching_poll(sg_matching *m, const char *namespace_id, sg_task_kind kind,
                            const char *queue, const char *identity, int64_t wait_ms,
                            sg_poll_offer_fn offer, sg_poll_empty_fn empty, void *ud);
/* The same for a poll that names its worker (worker_instance_key, else identity): a worker
 * that shut down (sg_matching_worker_shutdown) gets no task, its polls end empty at once. */
sg_poller *sg_matching_poll_as(sg_matching *m, const char *namespace_id, sg_task_kind kind,
                               const char *queue, const char *identity, const char *worker_key,
                               int64_t wait_ms, sg_poll_offer_fn offer, sg_poll_empty_fn empty,
                               void *ud);
/* Forgets a parked poller (its client went away); no callback runs. */
void sg_matching_cancel(sg_matching *m, sg_poller *p);
/* Ends every parked poll with empty, and makes later polls end empty at once (shutdown). */
void sg_matching_shutdown(sg_matching *m);
/* Ends the parked polls of one worker (by its worker key); later polls from it still work.
 * Returns how many ended. */
size_t sg_matching_end_polls_of(sg_matching *m, const char *namespace_id, const char *worker_key);
/* ShutdownWorker: ends the worker's parked polls (empty: the graceful end its SDK waits for
 * when the namespace advertises worker_poll_complete_on_shutdown) and answers its later polls
 * empty for a few minutes, so no task is handed to a worker that is going away. */
size_t sg_matching_worker_shutdown(sg_matching *m, const char *namespace_id,
                                   const char *worker_key);
/* Queued tasks on a queue (stale ones included until they are met). */
size_t sg_matching_backlog(sg_matching *m, const char *namespace_id, sg_task_kind kind,
                           const char *queue);
/* Milliseconds since a poller last polled the queue (sg_clock_mono_ms), or -1 if never. Used to
 * route around sticky queues whose worker is gone. */
int64_t sg_matching_idle_ms(sg_matching *m, const char *namespace_id, sg_task_kind kind,
                            const char *queue);
/* Calls cb for each poller identity seen on the queue in the last 5 minutes with its last poll
 * time (sg_clock_now_ms scale). */
typedef void (*sg_poller_info_cb)(void *ud, const char *identity, int64_t last_access_ms);
void sg_matching_pollers(sg_matching *m, const char *namespace_id, sg_task_kind kind,
                         const char *queue, sg_poller_info_cb cb, void *ud);

/* Every queue matching knows: cb(ud, namespace_id, kind, name, backlog, parked polls) (the
 * metrics scrape). The strings are borrowed for the call. */
typedef void (*sg_queue_stats_cb)(void *ud, const char *namespace_id, sg_task_kind kind,
                                  const char *name, size_t backlog, size_t parked);
void sg_matching_each_queue(sg_matching *m, sg_queue_stats_cb cb, void *ud);

#endif
