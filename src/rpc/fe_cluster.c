/* SPDX-License-Identifier: Apache-2.0 */
/* fe_cluster.c: GetSystemInfo, GetClusterInfo and grpc.health.v1.Health/Check — what a client
 * asks before anything else.
 *
 * Capabilities are promises: each one set here is something the SDK will rely on, so only
 * those Sandglass keeps are advertised. sdk_metadata is the exception that proves the rule:
 * the TS SDK turns on history-affecting flags when it is false yet cannot replay them, so it is
 * advertised and WorkflowTaskCompleted events must carry the request's sdk_metadata
 * (PROTOCOL.md 1.4). Payloads and failures are stored as the client sent them, so
 * encoded_failure_attributes and signal_and_query_header hold by construction. */
#include "rpc/handlers.h"

#include "grpc/health/v1/health.pb-c.h"
#include "temporal/api/workflowservice/v1/request_response.pb-c.h"

#include <string.h>

void sg_fe_get_system_info(sg_call *call, const ProtobufCMessage *req)
{
    Temporal__Api__Workflowservice__V1__GetSystemInfoResponse resp =
        TEMPORAL__API__WORKFLOWSERVICE__V1__GET_SYSTEM_INFO_RESPONSE__INIT;
    Temporal__Api__Workflowservice__V1__GetSystemInfoResponse__Capabilities caps =
        TEMPORAL__API__WORKFLOWSERVICE__V1__GET_SYSTEM_INFO_RESPONSE__CAPABILITIES__INIT;
    caps.sdk_metadata = true;
    caps.encoded_failure_attributes = true;
    caps.signal_and_query_header = true;
    caps.activity_failure_include_heartbeat = true; /* kept: history/activity.c */
    resp.server_version = (char *)sg_frontend_config_get(call->fe)->server_version;
    resp.capabilities = &caps;
    sg_call_reply(call, &resp.base);
}

void sg_fe_get_cluster_info(sg_call *call, const ProtobufCMessage *req)
{
    const sg_frontend_config *cfg = sg_frontend_config_get(call->fe);
    Temporal__Api__Workflowservice__V1__GetClusterInfoResponse resp =
        TEMPORAL__API__WORKFLOWSERVICE__V1__GET_CLUSTER_INFO_RESPONSE__INIT;
    /* The version ranges Temporal's frontend accepts from each client, as a dev server reports. */
    static const char *const clients[][2] = {
        { "temporal-cli", "<2.0.0" },        { "temporal-go", "<2.0.0" },
        { "temporal-java", "<2.0.0" },       { "temporal-php", "<2.0.0" },
        { "temporal-server", "<2.0.0" },     { "temporal-typescript", "<2.0.0" },
        { "temporal-ui", "<3.0.0" },
    };
    Temporal__Api__Workflowservice__V1__GetClusterInfoResponse__SupportedClientsEntry
        entries[SG_ARRAY_LEN(clients)];
    Temporal__Api__Workflowservice__V1__GetClusterInfoResponse__SupportedClientsEntry
        *ptrs[SG_ARRAY_LEN(clients)];
    for (size_t i = 0; i < SG_ARRAY_LEN(clients); i++) {
        temporal__api__workflowservice__v1__get_cluster_info_response__supported_clients_entry__init(
            &entries[i]);
        entries[i].key = (char *)clients[i][0];
        entries[i].value = (char *)clients[i][1];
        ptrs[i] = &entries[i];
    }
    resp.n_supported_clients = SG_ARRAY_LEN(clients);
    resp.supported_clients = ptrs;
    resp.server_version = (char *)cfg->server_version;
    resp.cluster_id = (char *)sg_frontend_cluster_id(call->fe);
    resp.cluster_name = (char *)cfg->cluster_name;
    resp.history_shard_count = 1;
    resp.persistence_store = "sqlite";
    resp.visibility_store = "sqlite";
    resp.initial_failover_version = 1;
    resp.failover_version_increment = 10;
    sg_call_reply(call, &resp.base);
}

void sg_fe_health_check(sg_call *call, const ProtobufCMessage *m)
{
    const Grpc__Health__V1__HealthCheckRequest *req = (const void *)m;
    static const char *const served[] = {
        "",
        "temporal.api.workflowservice.v1.WorkflowService",
        "temporal.api.operatorservice.v1.OperatorService",
    };
    for (size_t i = 0; i < SG_ARRAY_LEN(served); i++) {
        if (strcmp(req->service, served[i]) == 0) {
            Grpc__Health__V1__HealthCheckResponse resp = GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__INIT;
            resp.status = GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVING;
            sg_call_reply(call, &resp.base);
            return;
        }
    }
    sg_call_fail(call, SG_ENOTFOUND, "unknown service");
}
