/* SPDX-License-Identifier: Apache-2.0 */
/* fe_visibility.c: ListWorkflowExecutions, ScanWorkflowExecutions, CountWorkflowExecutions —
 * the filter language and the rows are visibility/'s; the list reply splices the stored
 * WorkflowExecutionInfo bytes. */
#include "rpc/handlers.h"

#include "visibility/visibility.h"

#include <string.h>
#include <time.h>

static const char *const status_names[] = { "Unspecified", "Running", "Completed", "Failed",
                                            "Canceled", "Terminated", "ContinuedAsNew",
                                            "TimedOut", "Paused" };

static void list(sg_call *call, const char *ns, int page_size, const ProtobufCBinaryData *token,
                 const char *query)
{
    char *ns_id = sg_fe_namespace_id(call, ns);
    if (!ns_id)
        return;
    sg_buf rows;
    sg_buf_init(&rows);
    ProtobufCBinaryData next;
    const char *err;
    int rc = sg_visibility_list(sg_frontend_visibility(call->fe), call->arena, ns_id, query,
                                page_size, token, &rows, &next, &err);
    if (rc < 0) {
        sg_buf_deinit(&rows);
        sg_call_fail(call, rc, "%s", err ? err : "cannot list workflows");
        return;
    }
    Temporal__Api__Workflowservice__V1__ListWorkflowExecutionsResponse out =
        TEMPORAL__API__WORKFLOWSERVICE__V1__LIST_WORKFLOW_EXECUTIONS_RESPONSE__INIT;
    out.next_page_token = next;
    /* Field 1 (executions) comes from the stored rows as they are. */
    sg_call_reply_fields(call, &out.base, sg_buf_head(&rows), rows.len);
    sg_buf_deinit(&rows);
}

void sg_fe_list_workflow_executions(sg_call *call, const ProtobufCMessage *m)
{
    const Temporal__Api__Workflowservice__V1__ListWorkflowExecutionsRequest *req = (const void *)m;
    list(call, req->namespace_, req->page_size, &req->next_page_token, req->query);
}

void sg_fe_scan_workflow_executions(sg_call *call, const ProtobufCMessage *m)
{
    /* Scan is List without an order guarantee in Temporal; the same pages serve it. */
    const Temporal__Api__Workflowservice__V1__ScanWorkflowExecutionsRequest *req = (const void *)m;
    list(call, req->namespace_, req->page_size, &req->next_page_token, req->query);
}

/* ---- the legacy filters of ListOpen / ListClosed, as a query ---- */

static char *quoted(sg_arena *a, const char *s)
{
    size_t n = strlen(s);
    char *out = sg_arena_alloc(a, 2 * n + 3);
    size_t k = 0;
    out[k++] = '\'';
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '\'' || s[i] == '\\')
            out[k++] = '\\';
        out[k++] = s[i];
    }
    out[k++] = '\'';
    out[k] = 0;
    return out;
}

static char *rfc3339(sg_arena *a, const Google__Protobuf__Timestamp *t)
{
    time_t secs = (time_t)t->seconds;
    struct tm tm;
    if (!gmtime_r(&secs, &tm))
        return "'1970-01-01T00:00:00Z'";
    return sg_arena_printf(a, "'%04d-%02d-%02dT%02d:%02d:%02d.%03dZ'", tm.tm_year + 1900,
                           tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                           t->nanos / 1000000);
}

static char *legacy_query(sg_arena *a, bool open, const Temporal__Api__Filter__V1__StartTimeFilter *time,
                          const Temporal__Api__Filter__V1__WorkflowExecutionFilter *exec,
                          const Temporal__Api__Filter__V1__WorkflowTypeFilter *type,
                          const Temporal__Api__Filter__V1__StatusFilter *status, const char **why)
{
    char *q = open ? "ExecutionStatus = 'Running'" : "ExecutionStatus != 'Running'";
    /* Temporal filters closed runs by their close time, open ones by their start. */
    const char *col = open ? "StartTime" : "CloseTime";
    /* Temporal's refusals (frontend/errors.go), in its order: NULL and *why. */
    if (time && time->earliest_time && time->latest_time &&
        (time->earliest_time->seconds > time->latest_time->seconds ||
         (time->earliest_time->seconds == time->latest_time->seconds &&
          time->earliest_time->nanos > time->latest_time->nanos))) {
        *why = "EarliestTime in StartTimeFilter should not be larger than LatestTime.";
        return NULL;
    }
    if (status && (status->status == TEMPORAL__API__ENUMS__V1__WORKFLOW_EXECUTION_STATUS__WORKFLOW_EXECUTION_STATUS_UNSPECIFIED ||
                   status->status == TEMPORAL__API__ENUMS__V1__WORKFLOW_EXECUTION_STATUS__WORKFLOW_EXECUTION_STATUS_RUNNING)) {
        *why = "StatusFilter must be specified and must be not Running.";
        return NULL;
    }
    if (time && time->earliest_time)
        q = sg_arena_printf(a, "%s AND %s >= %s", q, col, rfc3339(a, time->earliest_time));
    if (time && time->latest_time)
        q = sg_arena_printf(a, "%s AND %s <= %s", q, col, rfc3339(a, time->latest_time));
    if (exec && *exec->workflow_id)
        q = sg_arena_printf(a, "%s AND WorkflowId = %s", q, quoted(a, exec->workflow_id));
    if (exec && *exec->run_id)
        q = sg_arena_printf(a, "%s AND RunId = %s", q, quoted(a, exec->run_id));
    if (type && *type->name)
        q = sg_arena_printf(a, "%s AND WorkflowType = %s", q, quoted(a, type->name));
    if (status && status->status) {
        static const char *const names[] = { "", "Running", "Completed", "Failed", "Canceled",
                                             "Terminated", "ContinuedAsNew", "TimedOut" };
        if (status->status > 0 && (size_t)status->status < SG_ARRAY_LEN(names))
            q = sg_arena_printf(a, "%s AND ExecutionStatus = '%s'", q, names[status->status]);
    }
    return q;
}

void sg_fe_list_open_workflow_executions(sg_call *call, const ProtobufCMessage *m)
{
    const Temporal__Api__Workflowservice__V1__ListOpenWorkflowExecutionsRequest *req = (const void *)m;
    bool by_exec = req->filters_case ==
                   TEMPORAL__API__WORKFLOWSERVICE__V1__LIST_OPEN_WORKFLOW_EXECUTIONS_REQUEST__FILTERS_EXECUTION_FILTER;
    bool by_type = req->filters_case ==
                   TEMPORAL__API__WORKFLOWSERVICE__V1__LIST_OPEN_WORKFLOW_EXECUTIONS_REQUEST__FILTERS_TYPE_FILTER;
    const char *why;
    char *q = legacy_query(call->arena, true, req->start_time_filter,
                           by_exec ? req->execution_filter : NULL, by_type ? req->type_filter : NULL,
                           NULL, &why);
    if (!q)
        return sg_call_fail(call, SG_EINVAL, "%s", why);
    list(call, req->namespace_, req->maximum_page_size, &req->next_page_token, q);
}

void sg_fe_list_closed_workflow_executions(sg_call *call, const ProtobufCMessage *m)
{
    const Temporal__Api__Workflowservice__V1__ListClosedWorkflowExecutionsRequest *req = (const void *)m;
    int fc = req->filters_case;
    const char *why;
    char *q = legacy_query(
        call->arena, false, req->start_time_filter,
        fc == TEMPORAL__API__WORKFLOWSERVICE__V1__LIST_CLOSED_WORKFLOW_EXECUTIONS_REQUEST__FILTERS_EXECUTION_FILTER ? req->execution_filter : NULL,
        fc == TEMPORAL__API__WORKFLOWSERVICE__V1__LIST_CLOSED_WORKFLOW_EXECUTIONS_REQUEST__FILTERS_TYPE_FILTER ? req->type_filter : NULL,
        fc == TEMPORAL__API__WORKFLOWSERVICE__V1__LIST_CLOSED_WORKFLOW_EXECUTIONS_REQUEST__FILTERS_STATUS_FILTER ? req->status_filter : NULL,
        &why);
    if (!q)
        return sg_call_fail(call, SG_EINVAL, "%s", why);
    list(call, req->namespace_, req->maximum_page_size, &req->next_page_token, q);
}

void sg_fe_count_workflow_executions(sg_call *call, const ProtobufCMessage *m)
{
    const Temporal__Api__Workflowservice__V1__CountWorkflowExecutionsRequest *req = (const void *)m;
    char *ns_id = sg_fe_namespace_id(call, req->namespace_);
    if (!ns_id)
        return;
    int64_t count, by_status[9];
    bool grouped;
    const char *err;
    int rc = sg_visibility_count(sg_frontend_visibility(call->fe), call->arena, ns_id, req->query,
                                 &count, &grouped, by_status, &err);
    if (rc < 0) {
        sg_call_fail(call, rc, "%s", err ? err : "cannot count workflows");
        return;
    }
    Temporal__Api__Workflowservice__V1__CountWorkflowExecutionsResponse out =
        TEMPORAL__API__WORKFLOWSERVICE__V1__COUNT_WORKFLOW_EXECUTIONS_RESPONSE__INIT;
    out.count = count;
    if (grouped) {
        sg_arena *a = call->arena;
        out.groups = sg_arena_alloc(a, 9 * sizeof *out.groups);
        for (int s = 0; s < 9; s++) {
            if (!by_status[s])
                continue;
            Temporal__Api__Workflowservice__V1__CountWorkflowExecutionsResponse__AggregationGroup *g =
                sg_arena_alloc(a, sizeof *g);
            temporal__api__workflowservice__v1__count_workflow_executions_response__aggregation_group__init(g);
            /* The group value is the status name as a JSON payload, as Temporal answers. */
            Temporal__Api__Common__V1__Payload *p = sg_arena_alloc(a, sizeof *p);
            temporal__api__common__v1__payload__init(p);
            Temporal__Api__Common__V1__Payload__MetadataEntry *enc = sg_arena_alloc(a, sizeof *enc);
            temporal__api__common__v1__payload__metadata_entry__init(enc);
            enc->key = "encoding";
            enc->value.data = (uint8_t *)"json/plain";
            enc->value.len = strlen("json/plain");
            Temporal__Api__Common__V1__Payload__MetadataEntry *type = sg_arena_alloc(a, sizeof *type);
            temporal__api__common__v1__payload__metadata_entry__init(type);
            type->key = "type";
            type->value.data = (uint8_t *)"Keyword";
            type->value.len = strlen("Keyword");
            p->metadata = sg_arena_alloc(a, 2 * sizeof *p->metadata);
            p->metadata[0] = enc;
            p->metadata[1] = type;
            p->n_metadata = 2;
            char *json = sg_arena_printf(a, "\"%s\"", status_names[s]);
            p->data.data = (uint8_t *)json;
            p->data.len = strlen(json);
            g->group_values = sg_arena_alloc(a, sizeof *g->group_values);
            g->group_values[0] = p;
            g->n_group_values = 1;
            g->count = by_status[s];
            out.groups[out.n_groups++] = g;
        }
    }
    sg_call_reply(call, &out.base);
}
