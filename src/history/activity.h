/* SPDX-License-Identifier: Apache-2.0 */
/* activity.h: the activity entity (activity.c has its diagram). */
#ifndef SG_HISTORY_ACTIVITY_H
#define SG_HISTORY_ACTIVITY_H

#include "history/hist.h"

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
/* Reset's rebuild: applies an activity event of the copied history to ms. False for an event
 * that is not an activity's. */
bool sg_act_replay(ms_t *ms, const pb_event *ev);
/* After the rebuild, in the new run: every pending activity is handed out again (one that was
 * running starts its next attempt). */
void sg_act_restart_after_reset(sg_exec *x);
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
#endif
