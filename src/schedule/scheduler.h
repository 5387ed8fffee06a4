/* SPDX-License-Identifier: Apache-2.0 */
/* scheduler.h: schedules run natively by the server (scheduler.c) — the Schedule API's
 * operations, each schedule's next action on the same kind of timer queue as workflow timers,
 * and the workflows it starts watched through the engine's close hook. */
#ifndef SG_SCHEDULER_H
#define SG_SCHEDULER_H

#include "history/engine.h"
#include "namespace/registry.h"
#include "store/txn.h"

#include "temporal/api/workflowservice/v1/request_response.pb-c.h"

typedef struct sg_scheduler sg_scheduler;

typedef struct sg_scheduler_deps {
    uv_loop_t *loop;
    sg_txn *txn;
    sg_store *st;
    sg_engine *engine;
    sg_registry *registry;
} sg_scheduler_deps;

/* Borrows every dependency (they outlive it) and takes the engine's close hook. */
sg_scheduler *sg_scheduler_new(const sg_scheduler_deps *deps);
/* Call after the last batch committed. */
void sg_scheduler_free(sg_scheduler *s);
/* Loads every schedule, catches up on the actions due while the server was down (within each
 * schedule's catch-up window) and arms the timers. Returns the number loaded or an error. */
int sg_scheduler_recover(sg_scheduler *s);

/* Takes every action due at sg_clock_now_ms() now: for tests with a virtual clock (whose jumps
 * the libuv timer does not see) and after the clock was skipped ahead. */
void sg_scheduler_run_due(sg_scheduler *s);

/* The operations write into the open batch (they call sg_txn_write); errors come with *why
 * (in a) when there is something to say. namespace_name is the name the request used. */
int sg_scheduler_create(sg_scheduler *s, sg_arena *a, const char *namespace_id,
                        const Temporal__Api__Workflowservice__V1__CreateScheduleRequest *req,
                        ProtobufCBinaryData *conflict_token, const char **why);
int sg_scheduler_describe(sg_scheduler *s, sg_arena *a, const char *namespace_id, const char *id,
                          Temporal__Api__Workflowservice__V1__DescribeScheduleResponse *out);
int sg_scheduler_update(sg_scheduler *s, sg_arena *a, const char *namespace_id,
                        const Temporal__Api__Workflowservice__V1__UpdateScheduleRequest *req,
                        const char **why);
int sg_scheduler_patch(sg_scheduler *s, sg_arena *a, const char *namespace_id,
                       const Temporal__Api__Workflowservice__V1__PatchScheduleRequest *req,
                       const char **why);
int sg_scheduler_delete(sg_scheduler *s, const char *namespace_id, const char *id);
/* Schedules in id order, those query matches (empty: all). The query may filter on the
 * schedule's custom search attributes, TemporalSchedulePaused and ScheduleId, as Temporal
 * allows; anything else, or a bad query, is SG_EINVAL with *why. */
int sg_scheduler_list(sg_scheduler *s, sg_arena *a, const char *namespace_id, const char *query,
                      int page_size, const ProtobufCBinaryData *token,
                      Temporal__Api__Workflowservice__V1__ListSchedulesResponse *out, const char **why);
/* How many schedules query matches (the filter of sg_scheduler_list; no GROUP BY). */
int sg_scheduler_count(sg_scheduler *s, sg_arena *a, const char *namespace_id, const char *query,
                       int64_t *count, const char **why);
int sg_scheduler_matching_times(sg_scheduler *s, sg_arena *a, const char *namespace_id,
                                const Temporal__Api__Workflowservice__V1__ListScheduleMatchingTimesRequest *req,
                                Temporal__Api__Workflowservice__V1__ListScheduleMatchingTimesResponse *out,
                                const char **why);

#endif
