/* SPDX-License-Identifier: Apache-2.0 */
/* fe_schedule.c: the Schedule API — CreateSchedule, DescribeSchedule, UpdateSchedule,
 * PatchSchedule, DeleteSchedule, ListSchedules, CountSchedules, ListScheduleMatchingTimes. Each handler
 * resolves the namespace, checks what the request must carry, and delegates to the scheduler
 * (schedule/scheduler.c); writes join the group-commit batch and the reply waits for it.
 * A missing schedule is NOT_FOUND (the SDKs raise ScheduleNotFoundError), an existing one at
 * create ALREADY_EXISTS (ScheduleAlreadyRunning). */
#include "rpc/handlers.h"

#include "temporal/api/errordetails/v1/message.pb-c.h"

#include <string.h>

/* The scheduler, or NULL once the call was answered (a server built without one). */
static sg_scheduler *scheduler(sg_call *call)
{
    sg_scheduler *s = sg_frontend_scheduler(call->fe);
    if (!s)
        sg_call_fail(call, SG_ENOTSUP, "schedules are not enabled on this server");
    return s;
}

static void fail(sg_call *call, int rc, const char *id, const char *why)
{
    if (rc == SG_ENOTFOUND) {
        sg_call_fail(call, rc, "schedule not found");
    } else if (rc == SG_EEXIST) {
        /* The detail is how the Go SDK tells ErrScheduleAlreadyRunning (TS and Python look at
         * the code). */
        Temporal__Api__Errordetails__V1__WorkflowExecutionAlreadyStartedFailure d =
            TEMPORAL__API__ERRORDETAILS__V1__WORKFLOW_EXECUTION_ALREADY_STARTED_FAILURE__INIT;
        sg_call_fail_detail(call, rc, &d.base, "schedule \"%s\" is already registered", id);
    } else if (rc == SG_EINVAL && why && strncmp(why, "spec: ", 6) == 0)
        sg_call_fail(call, rc, "Invalid schedule spec: %s", why + 6);
    else if (why)
        sg_call_fail(call, rc, "%s", why);
    else
        sg_call_fail(call, rc, "schedule %s: %s", id, sg_strerror(rc));
}

/* The start-workflow action: the fields a start needs. */
static bool check_schedule(sg_call *call, const char *ns_id, const Temporal__Api__Schedule__V1__Schedule *s)
{
    if (!s) {
        sg_call_fail(call, SG_EINVAL, "Schedule is not set on request.");
        return false;
    }
    const Temporal__Api__Schedule__V1__ScheduleAction *a = s->action;
    if (!a || a->action_case != TEMPORAL__API__SCHEDULE__V1__SCHEDULE_ACTION__ACTION_START_WORKFLOW) {
        sg_call_fail(call, SG_EINVAL, "Schedule action is not set: a schedule starts a workflow");
        return false;
    }
    const Temporal__Api__Workflow__V1__NewWorkflowExecutionInfo *w = a->start_workflow;
    if (!sg_fe_check_id(call, w->workflow_id, "WorkflowId", false))
        return false;
    if (strlen(w->workflow_id) + 21 > SG_MAX_ID_LEN) { /* "-2009-11-10T23:00:00Z" is appended */
        sg_call_fail(call, SG_EINVAL, "WorkflowId exceeds maximum allowed length (%zu/%d)",
                     strlen(w->workflow_id) + 21, SG_MAX_ID_LEN);
        return false;
    }
    if (w->cron_schedule && *w->cron_schedule) {
        sg_call_fail(call, SG_EINVAL, "Scheduled workflow must not contain CronSchedule");
        return false;
    }
    if (w->workflow_id_reuse_policy &&
        w->workflow_id_reuse_policy !=
            TEMPORAL__API__ENUMS__V1__WORKFLOW_ID_REUSE_POLICY__WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE) {
        sg_call_fail(call, SG_EINVAL, "Scheduled workflow must not contain WorkflowIDReusePolicy");
        return false;
    }
    if (!w->workflow_type || !sg_fe_check_id(call, w->workflow_type->name, "WorkflowType", false))
        return false;
    if (!w->task_queue || !sg_fe_check_id(call, w->task_queue->name, "TaskQueue", false))
        return false;
    return true;
}

void sg_fe_create_schedule(sg_call *call, const ProtobufCMessage *m)
{
    const Temporal__Api__Workflowservice__V1__CreateScheduleRequest *req = (const void *)m;
    sg_scheduler *s = scheduler(call);
    char *ns_id = s ? sg_fe_namespace_id(call, req->namespace_) : NULL;
    if (!ns_id || !sg_fe_check_id(call, req->schedule_id, "ScheduleId", false))
        return;
    if (!req->request_id || !*req->request_id) {
        sg_call_fail(call, SG_EINVAL, "RequestId is not set on request.");
        return;
    }
    if (!sg_fe_check_id(call, req->request_id, "RequestId", false) || !check_schedule(call, ns_id, req->schedule) ||
        !sg_fe_check_search_attributes(call, ns_id, req->search_attributes))
        return;
    Temporal__Api__Workflowservice__V1__CreateScheduleResponse out =
        TEMPORAL__API__WORKFLOWSERVICE__V1__CREATE_SCHEDULE_RESPONSE__INIT;
    const char *why;
    int rc = sg_scheduler_create(s, call->arena, ns_id, req, &out.conflict_token, &why);
    if (rc < 0) {
        fail(call, rc, req->schedule_id, why);
        return;
    }
    sg_call_reply(call, &out.base);
}

void sg_fe_describe_schedule(sg_call *call, const ProtobufCMessage *m)
{
    const Temporal__Api__Workflowservice__V1__DescribeScheduleRequest *req = (const void *)m;
    sg_scheduler *s = scheduler(call);
    char *ns_id = s ? sg_fe_namespace_id(call, req->namespace_) : NULL;
    if (!ns_id || !sg_fe_check_id(call, req->schedule_id, "ScheduleId", false))
        return;
    Temporal__Api__Workflowservice__V1__DescribeScheduleResponse out =
        TEMPORAL__API__WORKFLOWSERVICE__V1__DESCRIBE_SCHEDULE_RESPONSE__INIT;
    int rc = sg_scheduler_describe(s, call->arena, ns_id, req->schedule_id, &out);
    if (rc < 0) {
        fail(call, rc, req->schedule_id, NULL);
        return;
    }
    sg_call_reply(call, &out.base);
}

void sg_fe_update_schedule(sg_call *call, const ProtobufCMessage *m)
{
    const Temporal__Api__Workflowservice__V1__UpdateScheduleRequest *req = (const void *)m;
    sg_scheduler *s = scheduler(call);
    char *ns_id = s ? sg_fe_namespace_id(call, req->namespace_) : NULL;
    if (!ns_id || !sg_fe_check_id(call, req->schedule_id, "ScheduleId", false) ||
        !check_schedule(call, ns_id, req->schedule) ||
        !sg_fe_check_search_attributes(call, ns_id, req->search_attributes))
        return;
    const char *why;
    int rc = sg_scheduler_update(s, call->arena, ns_id, req, &why);
    if (rc < 0) {
        fail(call, rc, req->schedule_id, why);
        return;
    }
    Temporal__Api__Workflowservice__V1__UpdateScheduleResponse out =
        TEMPORAL__API__WORKFLOWSERVICE__V1__UPDATE_SCHEDULE_RESPONSE__INIT;
    sg_call_reply(call, &out.base);
}

void sg_fe_patch_schedule(sg_call *call, const ProtobufCMessage *m)
{
    const Temporal__Api__Workflowservice__V1__PatchScheduleRequest *req = (const void *)m;
    sg_scheduler *s = scheduler(call);
    char *ns_id = s ? sg_fe_namespace_id(call, req->namespace_) : NULL;
    if (!ns_id || !sg_fe_check_id(call, req->schedule_id, "ScheduleId", false))
        return;
    const char *why;
    int rc = sg_scheduler_patch(s, call->arena, ns_id, req, &why);
    if (rc < 0) {
        fail(call, rc, req->schedule_id, why);
        return;
    }
    Temporal__Api__Workflowservice__V1__PatchScheduleResponse out =
        TEMPORAL__API__WORKFLOWSERVICE__V1__PATCH_SCHEDULE_RESPONSE__INIT;
    sg_call_reply(call, &out.base);
}

void sg_fe_delete_schedule(sg_call *call, const ProtobufCMessage *m)
{
    const Temporal__Api__Workflowservice__V1__DeleteScheduleRequest *req = (const void *)m;
    sg_scheduler *s = scheduler(call);
    char *ns_id = s ? sg_fe_namespace_id(call, req->namespace_) : NULL;
    if (!ns_id || !sg_fe_check_id(call, req->schedule_id, "ScheduleId", false))
        return;
    int rc = sg_scheduler_delete(s, ns_id, req->schedule_id);
    if (rc < 0) {
        fail(call, rc, req->schedule_id, NULL);
        return;
    }
    Temporal__Api__Workflowservice__V1__DeleteScheduleResponse out =
        TEMPORAL__API__WORKFLOWSERVICE__V1__DELETE_SCHEDULE_RESPONSE__INIT;
    sg_call_reply(call, &out.base);
}

void sg_fe_list_schedules(sg_call *call, const ProtobufCMessage *m)
{
    const Temporal__Api__Workflowservice__V1__ListSchedulesRequest *req = (const void *)m;
    sg_scheduler *s = scheduler(call);
    char *ns_id = s ? sg_fe_namespace_id(call, req->namespace_) : NULL;
    if (!ns_id)
        return;
    Temporal__Api__Workflowservice__V1__ListSchedulesResponse out =
        TEMPORAL__API__WORKFLOWSERVICE__V1__LIST_SCHEDULES_RESPONSE__INIT;
    const char *why = NULL;
    int rc = sg_scheduler_list(s, call->arena, ns_id, req->query, req->maximum_page_size,
                               &req->next_page_token, &out, &why);
    if (rc < 0) {
        sg_call_fail(call, rc, "%s", why ? why : "cannot list schedules");
        return;
    }
    sg_call_reply(call, &out.base);
}

void sg_fe_count_schedules(sg_call *call, const ProtobufCMessage *m)
{
    const Temporal__Api__Workflowservice__V1__CountSchedulesRequest *req = (const void *)m;
    sg_scheduler *s = scheduler(call);
    char *ns_id = s ? sg_fe_namespace_id(call, req->namespace_) : NULL;
    if (!ns_id)
        return;
    Temporal__Api__Workflowservice__V1__CountSchedulesResponse out =
        TEMPORAL__API__WORKFLOWSERVICE__V1__COUNT_SCHEDULES_RESPONSE__INIT;
    const char *why = NULL;
    int rc = sg_scheduler_count(s, call->arena, ns_id, req->query, &out.count, &why);
    if (rc < 0) {
        sg_call_fail(call, rc, "%s", why ? why : "cannot count schedules");
        return;
    }
    sg_call_reply(call, &out.base);
}

void sg_fe_list_schedule_matching_times(sg_call *call, const ProtobufCMessage *m)
{
    const Temporal__Api__Workflowservice__V1__ListScheduleMatchingTimesRequest *req = (const void *)m;
    sg_scheduler *s = scheduler(call);
    char *ns_id = s ? sg_fe_namespace_id(call, req->namespace_) : NULL;
    if (!ns_id || !sg_fe_check_id(call, req->schedule_id, "ScheduleId", false))
        return;
    Temporal__Api__Workflowservice__V1__ListScheduleMatchingTimesResponse out =
        TEMPORAL__API__WORKFLOWSERVICE__V1__LIST_SCHEDULE_MATCHING_TIMES_RESPONSE__INIT;
    const char *why;
    int rc = sg_scheduler_matching_times(s, call->arena, ns_id, req, &out, &why);
    if (rc < 0) {
        fail(call, rc, req->schedule_id, why);
        return;
    }
    sg_call_reply(call, &out.base);
}
