/* SPDX-License-Identifier: Apache-2.0 */
/* frontend.c: routing from "/package.Service/Method" to handlers, and the frontend's state.
 *
 * The handler tables below are the single list of implemented RPCs; at start-up each name is
 * checked against the generated service descriptor (a typo aborts at once rather than turning
 * into a silent UNIMPLEMENTED). Lookup is by binary search in the descriptor's sorted method
 * index, then an array indexed by method number. */
#include "rpc/frontend.h"

#include "core/log.h"
#include "core/uuid.h"
#include "rpc/handlers.h"
#include "rpc/validate.h"

#include "grpc/health/v1/health.pb-c.h"
#include "temporal/api/operatorservice/v1/service.pb-c.h"
#include "temporal/api/testservice/v1/service.pb-c.h"
#include "temporal/api/workflowservice/v1/service.pb-c.h"

#include <string.h>

typedef struct handler_entry {
    const char *method;
    sg_handler_fn fn;
} handler_entry;

static const handler_entry workflow_handlers[] = {
    { "StartWorkflowExecution", sg_fe_start_workflow_execution },
    { "SignalWorkflowExecution", sg_fe_signal_workflow_execution },
    { "SignalWithStartWorkflowExecution", sg_fe_signal_with_start_workflow_execution },
    { "RequestCancelWorkflowExecution", sg_fe_request_cancel_workflow_execution },
    { "TerminateWorkflowExecution", sg_fe_terminate_workflow_execution },
    { "ResetWorkflowExecution", sg_fe_reset_workflow_execution },
    { "ListWorkflowExecutions", sg_fe_list_workflow_executions },
    { "ScanWorkflowExecutions", sg_fe_scan_workflow_executions },
    { "CountWorkflowExecutions", sg_fe_count_workflow_executions },
    { "GetSearchAttributes", sg_fe_get_search_attributes },
    { "CreateSchedule", sg_fe_create_schedule },
    { "DescribeSchedule", sg_fe_describe_schedule },
    { "UpdateSchedule", sg_fe_update_schedule },
    { "PatchSchedule", sg_fe_patch_schedule },
    { "DeleteSchedule", sg_fe_delete_schedule },
    { "ListSchedules", sg_fe_list_schedules },
    { "CountSchedules", sg_fe_count_schedules },
    { "ListScheduleMatchingTimes", sg_fe_list_schedule_matching_times },
    { "StartBatchOperation", sg_fe_start_batch_operation },
    { "DescribeBatchOperation", sg_fe_describe_batch_operation },
    { "ListBatchOperations", sg_fe_list_batch_operations },
    { "StopBatchOperation", sg_fe_stop_batch_operation },
    { "ListOpenWorkflowExecutions", sg_fe_list_open_workflow_executions },
    { "ListClosedWorkflowExecutions", sg_fe_list_closed_workflow_executions },
    { "DeleteWorkflowExecution", sg_fe_delete_workflow_execution },
    { "QueryWorkflow", sg_fe_query_workflow },
    { "UpdateWorkflowExecution", sg_fe_update_workflow_execution },
    { "PollWorkflowExecutionUpdate", sg_fe_poll_workflow_execution_update },
    { "ExecuteMultiOperation", sg_fe_execute_multi_operation },
    { "RespondQueryTaskCompleted", sg_fe_respond_query_task_completed },
    { "GetWorkflowExecutionHistory", sg_fe_get_workflow_execution_history },
    { "GetWorkflowExecutionHistoryReverse", sg_fe_get_workflow_execution_history_reverse },
    { "DescribeWorkflowExecution", sg_fe_describe_workflow_execution },
    { "PollWorkflowTaskQueue", sg_fe_poll_workflow_task_queue },
    { "RespondWorkflowTaskCompleted", sg_fe_respond_workflow_task_completed },
    { "RespondWorkflowTaskFailed", sg_fe_respond_workflow_task_failed },
    { "PollActivityTaskQueue", sg_fe_poll_activity_task_queue },
    { "RespondActivityTaskCompleted", sg_fe_respond_activity_task_completed },
    { "RespondActivityTaskCompletedById", sg_fe_respond_activity_task_completed_by_id },
    { "RespondActivityTaskFailed", sg_fe_respond_activity_task_failed },
    { "RespondActivityTaskFailedById", sg_fe_respond_activity_task_failed_by_id },
    { "RespondActivityTaskCanceled", sg_fe_respond_activity_task_canceled },
    { "RespondActivityTaskCanceledById", sg_fe_respond_activity_task_canceled_by_id },
    { "RecordActivityTaskHeartbeat", sg_fe_record_activity_task_heartbeat },
    { "RecordActivityTaskHeartbeatById", sg_fe_record_activity_task_heartbeat_by_id },
    { "DescribeTaskQueue", sg_fe_describe_task_queue },
    { "ShutdownWorker", sg_fe_shutdown_worker },
    { "ResetStickyTaskQueue", sg_fe_reset_sticky_task_queue },
    { "GetSystemInfo", sg_fe_get_system_info },
    { "GetClusterInfo", sg_fe_get_cluster_info },
    { "RegisterNamespace", sg_fe_register_namespace },
    { "DescribeNamespace", sg_fe_describe_namespace },
    { "ListNamespaces", sg_fe_list_namespaces },
    { "UpdateNamespace", sg_fe_update_namespace },
};

static const handler_entry operator_handlers[] = {
    { "AddSearchAttributes", sg_fe_add_search_attributes },
    { "RemoveSearchAttributes", sg_fe_remove_search_attributes },
    { "ListSearchAttributes", sg_fe_list_search_attributes },
    { "DeleteNamespace", sg_fe_delete_namespace },
};

static const handler_entry test_handlers[] = {
    { "LockTimeSkipping", sg_fe_lock_time_skipping },
    { "UnlockTimeSkipping", sg_fe_unlock_time_skipping },
    { "Sleep", sg_fe_sleep },
    { "SleepUntil", sg_fe_sleep_until },
    { "UnlockTimeSkippingWithSleep", sg_fe_unlock_time_skipping_with_sleep },
    { "GetCurrentTime", sg_fe_get_current_time },
};

static const handler_entry health_handlers[] = {
    { "Check", sg_fe_health_check },
};

typedef struct service_route {
    const ProtobufCServiceDescriptor *desc;
    const handler_entry *entries;
    size_t n_entries;
    sg_handler_fn *by_index; /* desc->n_methods slots; NULL = declared but not implemented */
} service_route;

struct sg_frontend {
    sg_registry *registry;
    sg_txn *txn;
    uv_loop_t *loop;
    sg_engine *engine;
    sg_matching *matching;
    sg_timeskip *timeskip;
    sg_visibility *visibility;
    sg_batch *batch;
    sg_batch_runner *batch_runner;
    sg_scheduler *scheduler;
    sg_frontend_config cfg;
    service_route routes[4];
};

static void route_init(service_route *r, const ProtobufCServiceDescriptor *desc,
                       const handler_entry *entries, size_t n)
{
    r->desc = desc;
    r->entries = entries;
    r->n_entries = n;
    r->by_index = sg_calloc(desc->n_methods, sizeof *r->by_index);
    for (size_t i = 0; i < n; i++) {
        const ProtobufCMethodDescriptor *m =
            protobuf_c_service_descriptor_get_method_by_name(desc, entries[i].method);
        if (!m)
            sg_panic("handler table names %s.%s, which the .proto does not declare", desc->name,
                     entries[i].method);
        r->by_index[m - desc->methods] = entries[i].fn;
    }
}

sg_frontend *sg_frontend_new(const sg_frontend_deps *deps, const sg_frontend_config *cfg)
{
    sg_frontend *fe = sg_calloc(1, sizeof *fe);
    fe->registry = deps->registry;
    fe->txn = deps->txn;
    fe->loop = deps->loop;
    fe->engine = deps->engine;
    fe->matching = deps->matching;
    fe->timeskip = deps->timeskip;
    fe->visibility = deps->visibility;
    fe->batch = deps->batch;
    fe->batch_runner = deps->batch_runner;
    fe->scheduler = deps->scheduler;
    fe->cfg = *cfg;
    route_init(&fe->routes[0], &temporal__api__workflowservice__v1__workflow_service__descriptor,
               workflow_handlers, SG_ARRAY_LEN(workflow_handlers));
    route_init(&fe->routes[1], &temporal__api__operatorservice__v1__operator_service__descriptor,
               operator_handlers, SG_ARRAY_LEN(operator_handlers));
    route_init(&fe->routes[2], &grpc__health__v1__health__descriptor, health_handlers,
               SG_ARRAY_LEN(health_handlers));
    /* TestService exists on a time-skipping server only; elsewhere it is UNIMPLEMENTED, as on
     * Temporal's dev server. */
    route_init(&fe->routes[3], &temporal__api__testservice__v1__test_service__descriptor,
               test_handlers, deps->timeskip ? SG_ARRAY_LEN(test_handlers) : 0);
    return fe;
}

void sg_frontend_free(sg_frontend *fe)
{
    if (!fe)
        return;
    for (size_t i = 0; i < SG_ARRAY_LEN(fe->routes); i++)
        sg_free(fe->routes[i].by_index);
    sg_free(fe);
}

uv_loop_t *sg_frontend_loop(const sg_frontend *fe)
{
    return fe->loop;
}

sg_engine *sg_frontend_engine(const sg_frontend *fe)
{
    return fe->engine;
}

sg_matching *sg_frontend_matching(const sg_frontend *fe)
{
    return fe->matching;
}

sg_timeskip *sg_frontend_timeskip(const sg_frontend *fe)
{
    return fe->timeskip;
}

sg_batch *sg_frontend_batch(const sg_frontend *fe)
{
    return fe->batch;
}

sg_batch_runner *sg_frontend_batch_runner(const sg_frontend *fe)
{
    return fe->batch_runner;
}

sg_scheduler *sg_frontend_scheduler(const sg_frontend *fe)
{
    return fe->scheduler;
}

sg_visibility *sg_frontend_visibility(const sg_frontend *fe)
{
    return fe->visibility;
}

void sg_frontend_shutdown(sg_frontend *fe)
{
    if (fe->matching)
        sg_matching_shutdown(fe->matching);
}

sg_registry *sg_frontend_registry(const sg_frontend *fe)
{
    return fe->registry;
}

sg_txn *sg_frontend_txn(const sg_frontend *fe)
{
    return fe->txn;
}

const sg_frontend_config *sg_frontend_config_get(const sg_frontend *fe)
{
    return &fe->cfg;
}

const char *sg_frontend_cluster_id(const sg_frontend *fe)
{
    return sg_registry_cluster_id(fe->registry);
}

/* The method of service/method, or NULL with *why (in arena) and the gRPC status to answer. */
static const ProtobufCMethodDescriptor *find_method(sg_frontend *fe, const char *svc, size_t svc_len,
                                                    const char *method_name, sg_arena *arena,
                                                    sg_handler_fn *fn, const char **why)
{
    service_route *r = NULL;
    for (size_t i = 0; i < SG_ARRAY_LEN(fe->routes); i++) {
        const char *n = fe->routes[i].desc->name;
        if (strlen(n) == svc_len && memcmp(n, svc, svc_len) == 0)
            r = &fe->routes[i];
    }
    if (!r) {
        *why = sg_arena_printf(arena, "unknown service %.*s", (int)svc_len, svc);
        return NULL;
    }
    const ProtobufCMethodDescriptor *md =
        protobuf_c_service_descriptor_get_method_by_name(r->desc, method_name);
    if (!md) {
        *why = sg_arena_printf(arena, "unknown method %s for service %s", method_name, r->desc->name);
        return NULL;
    }
    sg_log_debug("rpc %s/%s", r->desc->name, md->name);
    *fn = r->by_index[md - r->desc->methods];
    if (!*fn) {
        *why = sg_arena_printf(arena, "%s/%s is not implemented by Sandglass yet", r->desc->name,
                               md->name);
        /* Info, not debug: tells an operator which SDK feature is waiting on us. */
        sg_log_info("%s", *why);
        return NULL;
    }
    return md;
}

/* Validates and decodes the serialized request, then runs the handler. */
static void run(sg_call *call, sg_handler_fn fn, const uint8_t *msg, size_t len)
{
    const ProtobufCMethodDescriptor *md = call->method;
    char *why;
    if (sg_validate_request(md->input, msg, len, call->arena, &why) < 0) {
        sg_call_fail(call, SG_EINVAL, "invalid %s: %s", md->name, why);
        return;
    }
    ProtobufCMessage *req = protobuf_c_message_unpack(md->input, &call->arena->pb, len, msg);
    if (!req) {
        sg_call_fail(call, SG_EINVAL, "the %s request is not a valid %s protobuf message",
                     md->name, md->input->name);
        return;
    }
    fn(call, req);
}

void sg_frontend_dispatch(void *ud, sg_grpc_call *g)
{
    sg_frontend *fe = ud;
    const char *path = sg_grpc_call_path(g);
    const char *slash = path[0] == '/' ? strchr(path + 1, '/') : NULL;
    if (!slash || !slash[1]) {
        sg_grpc_call_fail(g, SG_GRPC_UNIMPLEMENTED, "malformed method name: expected /Service/Method",
                          NULL, 0);
        return;
    }
    sg_arena *arena = sg_grpc_call_arena(g);
    sg_handler_fn fn = NULL;
    const char *why = NULL;
    const ProtobufCMethodDescriptor *md =
        find_method(fe, path + 1, (size_t)(slash - path - 1), slash + 1, arena, &fn, &why);
    if (!md) {
        sg_grpc_call_fail(g, SG_GRPC_UNIMPLEMENTED, why, NULL, 0);
        return;
    }
    size_t len;
    const uint8_t *msg = sg_grpc_call_msg(g, &len);
    sg_call *call = sg_arena_calloc(arena, sizeof *call);
    call->g = g;
    call->fe = fe;
    call->arena = arena;
    call->method = md;
    call->dispatched_ns = uv_hrtime();
    run(call, fn, msg, len);
}

const ProtobufCMethodDescriptor *sg_frontend_method(sg_frontend *fe, const char *service,
                                                   const char *method, sg_arena *arena,
                                                   const char **why)
{
    sg_handler_fn fn;
    return find_method(fe, service, strlen(service), method, arena, &fn, why);
}

void sg_frontend_dispatch_bytes(sg_frontend *fe, const ProtobufCMethodDescriptor *md,
                                const uint8_t *msg, size_t len, sg_arena *arena,
                                const sg_call_sink *sink)
{
    sg_handler_fn fn = NULL;
    for (size_t i = 0; i < SG_ARRAY_LEN(fe->routes) && !fn; i++) {
        const ProtobufCServiceDescriptor *d = fe->routes[i].desc;
        if (md >= d->methods && md < d->methods + d->n_methods)
            fn = fe->routes[i].by_index[md - d->methods];
    }
    sg_assert(fn); /* md came from sg_frontend_method */
    sg_call *call = sg_arena_calloc(arena, sizeof *call);
    call->fe = fe;
    call->sink = sink;
    call->arena = arena;
    call->method = md;
    call->dispatched_ns = uv_hrtime();
    run(call, fn, msg, len);
}

int sg_frontend_ensure_namespace(sg_frontend *fe, const char *name, const char *const *attrs,
                                 size_t n_attrs, char **err_msg)
{
    *err_msg = NULL;
    sg_namespace_rec rec;
    int rc = sg_registry_namespace_get(fe->registry, name, false, &rec);
    if (rc == SG_ENOTFOUND) {
        rc = sg_fe_namespace_create_default(fe, name);
        if (rc < 0) {
            *err_msg = sg_asprintf("cannot create namespace %s: %s", name, sg_strerror(rc));
            return rc;
        }
        rc = sg_registry_namespace_get(fe->registry, name, false, &rec);
    }
    if (rc < 0) {
        *err_msg = sg_asprintf("cannot read namespace %s: %s", name, sg_strerror(rc));
        return rc;
    }
    for (size_t i = 0; rc == 0 && i < n_attrs; i++) {
        const char *eq = strchr(attrs[i], '=');
        int type;
        if (!eq || eq == attrs[i] || sg_fe_parse_search_attr_type(eq + 1, &type) < 0) {
            *err_msg = sg_asprintf("invalid --search-attribute '%s': expected NAME=TYPE with TYPE "
                                   "one of Text, Keyword, Int, Double, Bool, Datetime, KeywordList",
                                   attrs[i]);
            rc = SG_EINVAL;
            break;
        }
        char *attr = sg_strndup(attrs[i], (size_t)(eq - attrs[i]));
        char *msg = NULL;
        rc = sg_fe_search_attr_register(fe, rec.id, attr, type, &msg);
        if (rc < 0)
            *err_msg = sg_asprintf("--search-attribute %s: %s", attrs[i],
                                   msg ? msg : sg_strerror(rc));
        sg_free(msg);
        sg_free(attr);
    }
    sg_namespace_rec_deinit(&rec);
    int frc = sg_txn_flush(fe->txn);
    if (rc == 0 && frc < 0) {
        *err_msg = sg_asprintf("cannot commit start-up provisioning: %s", sg_strerror(frc));
        rc = frc;
    }
    return rc;
}
