/* SPDX-License-Identifier: Apache-2.0 */
/* mstate.h: the run cache, saving a run into the open batch, and what its commit releases
 * (mstate.c). */
#ifndef SG_HISTORY_MSTATE_H
#define SG_HISTORY_MSTATE_H

#include "history/hist.h"

char *sg_exec_key(const char *namespace_id, const char *run_id);
/* Finds a run in the cache or loads it. SG_ENOTFOUND, SG_ECORRUPT, store errors. */
int sg_exec_get(sg_engine *e, const char *namespace_id, const char *run_id, sg_exec **out);
/* Resolves an empty run id to the workflow's current run. */
int sg_exec_get_current(sg_engine *e, const char *namespace_id, const char *workflow_id,
                     const char *run_id, sg_exec **out);
/* A new run, cached, not yet stored (sg_exec_save inserts it). Takes ownership of ms. */
sg_exec *sg_exec_create(sg_engine *e, ms_t *ms);
/* Writes this operation's batch and state; arms the run's timer. Returns 0 or a store error
 * (the group-commit batch is then poisoned). Called by sg_op_save. */
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
/* The run's rows were deleted in the open batch: it leaves the cache as soon as nothing holds
 * it (its watchers wake and find it gone), and its wake-up is disarmed. */
void sg_exec_mark_deleted(sg_exec *x);
/* Ends a read-only use: a closed run nobody waits on leaves the cache. */
void sg_exec_release(sg_exec *x);
/* Frees effects not yet run (engine shutdown without a final flush). */
void sg_exec_drop_effects(sg_engine *e);
bool sg_exec_is_running(const sg_exec *x);
#endif
