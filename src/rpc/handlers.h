/* SPDX-License-Identifier: Apache-2.0 */
/* handlers.h: every RPC handler, named after its RPC (grep the .proto for the name), plus the
 * helpers handlers share. Included by rpc/ files only. Each handler validates its request,
 * delegates, and finishes the call exactly once with sg_call_reply or sg_call_fail. */
#ifndef SG_HANDLERS_H
#define SG_HANDLERS_H

#include "rpc/call.h"
#include "rpc/frontend.h"

typedef void (*sg_handler_fn)(sg_call *call, const ProtobufCMessage *req);

/* fe_test.c (TestService; a time-skipping server only) */
void sg_fe_lock_time_skipping(sg_call *call, const ProtobufCMessage *req);
void sg_fe_unlock_time_skipping(sg_call *call, const ProtobufCMessage *req);
void sg_fe_sleep(sg_call *call, const ProtobufCMessage *req);
void sg_fe_sleep_until(sg_call *call, const ProtobufCMessage *req);
void sg_fe_unlock_time_skipping_with_sleep(sg_call *call, const ProtobufCMessage *req);
void sg_fe_get_current_time(sg_call *call, const ProtobufCMessage *req);

/* fe_visibility.c */
void sg_fe_list_workflow_executions(sg_call *call, const ProtobufCMessage *req);
void sg_fe_scan_workflow_executions(sg_call *call, const ProtobufCMessage *req);
void sg_fe_count_workflow_executions(sg_call *call, const ProtobufCMessage *req);
void sg_fe_list_open_workflow_executions(sg_call *call, const ProtobufCMessage *req);
void sg_fe_list_closed_workflow_executions(sg_call *call, const ProtobufCMessage *req);

/* fe_cluster.c */
void sg_fe_get_system_info(sg_call *call, const ProtobufCMessage *req);
void sg_fe_get_cluster_info(sg_call *call, const ProtobufCMessage *req);
void sg_fe_health_check(sg_call *call, const ProtobufCMessage *req);

/* fe_namespace.c */
void sg_fe_register_namespace(sg_call *call, const ProtobufCMessage *req);
void sg_fe_describe_namespace(sg_call *call, const ProtobufCMessage *req);
void sg_fe_list_namespaces(sg_call *call, const ProtobufCMessage *req);
void sg_fe_update_namespace(sg_call *call, const ProtobufCMessage *req);
/* Looks a namespace up by name for any namespaced RPC, failing the call with NOT_FOUND and
 * NamespaceNotFoundFailure when absent. Returns 0 and fills *out (caller deinits) or a negative
 * code after having finished the call. */
int sg_fe_namespace_resolve(sg_call *call, const char *name, sg_namespace_rec *out);
/* Creates namespace name with the dev-server defaults (start-up provisioning); SG_EEXIST if
 * taken. Requires an open batch. */
int sg_fe_namespace_create_default(sg_frontend *fe, const char *name);
void sg_fe_delete_namespace(sg_call *call, const ProtobufCMessage *req);

/* fe_workflow.c */
void sg_fe_start_workflow_execution(sg_call *call, const ProtobufCMessage *req);
void sg_fe_signal_workflow_execution(sg_call *call, const ProtobufCMessage *req);
void sg_fe_signal_with_start_workflow_execution(sg_call *call, const ProtobufCMessage *req);
void sg_fe_request_cancel_workflow_execution(sg_call *call, const ProtobufCMessage *req);
void sg_fe_terminate_workflow_execution(sg_call *call, const ProtobufCMessage *req);
void sg_fe_reset_workflow_execution(sg_call *call, const ProtobufCMessage *req);
void sg_fe_delete_workflow_execution(sg_call *call, const ProtobufCMessage *req);
void sg_fe_query_workflow(sg_call *call, const ProtobufCMessage *req);
void sg_fe_update_workflow_execution(sg_call *call, const ProtobufCMessage *req);
void sg_fe_poll_workflow_execution_update(sg_call *call, const ProtobufCMessage *req);
void sg_fe_execute_multi_operation(sg_call *call, const ProtobufCMessage *req);
void sg_fe_respond_query_task_completed(sg_call *call, const ProtobufCMessage *req);
void sg_fe_get_workflow_execution_history(sg_call *call, const ProtobufCMessage *req);
void sg_fe_get_workflow_execution_history_reverse(sg_call *call, const ProtobufCMessage *req);
void sg_fe_describe_workflow_execution(sg_call *call, const ProtobufCMessage *req);

/* fe_task.c */
void sg_fe_poll_workflow_task_queue(sg_call *call, const ProtobufCMessage *req);
void sg_fe_respond_workflow_task_completed(sg_call *call, const ProtobufCMessage *req);
void sg_fe_respond_workflow_task_failed(sg_call *call, const ProtobufCMessage *req);
void sg_fe_poll_activity_task_queue(sg_call *call, const ProtobufCMessage *req);
void sg_fe_respond_activity_task_completed(sg_call *call, const ProtobufCMessage *req);
void sg_fe_respond_activity_task_completed_by_id(sg_call *call, const ProtobufCMessage *req);
void sg_fe_respond_activity_task_failed(sg_call *call, const ProtobufCMessage *req);
void sg_fe_respond_activity_task_failed_by_id(sg_call *call, const ProtobufCMessage *req);
void sg_fe_respond_activity_task_canceled(sg_call *call, const ProtobufCMessage *req);
void sg_fe_respond_activity_task_canceled_by_id(sg_call *call, const ProtobufCMessage *req);
void sg_fe_record_activity_task_heartbeat(sg_call *call, const ProtobufCMessage *req);
void sg_fe_record_activity_task_heartbeat_by_id(sg_call *call, const ProtobufCMessage *req);
void sg_fe_describe_task_queue(sg_call *call, const ProtobufCMessage *req);
void sg_fe_shutdown_worker(sg_call *call, const ProtobufCMessage *req);
void sg_fe_reset_sticky_task_queue(sg_call *call, const ProtobufCMessage *req);

/* Resolves the request's namespace to its id (arena copy); on failure the call is finished. */
char *sg_fe_namespace_id(sg_call *call, const char *name);
/* Checks an id-like string (workflow id, task queue, ...): non-empty unless may_be_empty, at
 * most 1000 bytes. On failure finishes the call with INVALID_ARGUMENT naming what. */
bool sg_fe_check_id(sg_call *call, const char *value, const char *what, bool may_be_empty);
/* Checks a request's `execution` is set with a workflow id; fails the call (INVALID_ARGUMENT)
 * and returns false otherwise. */
/* Search attributes as Temporal checks them at a start: registered (or predefined) and of their
 * type. Answers the call (INVALID_ARGUMENT) and returns false otherwise. */
bool sg_fe_check_search_attributes(sg_call *call, const char *namespace_id,
                                   const Temporal__Api__Common__V1__SearchAttributes *sa);
bool sg_fe_check_execution(sg_call *call, const Temporal__Api__Common__V1__WorkflowExecution *we);

/* fe_operator.c */
void sg_fe_add_search_attributes(sg_call *call, const ProtobufCMessage *req);
void sg_fe_remove_search_attributes(sg_call *call, const ProtobufCMessage *req);
void sg_fe_list_search_attributes(sg_call *call, const ProtobufCMessage *req);
void sg_fe_get_search_attributes(sg_call *call, const ProtobufCMessage *req);
void sg_fe_start_batch_operation(sg_call *call, const ProtobufCMessage *req);
/* fe_schedule.c */
void sg_fe_create_schedule(sg_call *call, const ProtobufCMessage *req);
void sg_fe_describe_schedule(sg_call *call, const ProtobufCMessage *req);
void sg_fe_update_schedule(sg_call *call, const ProtobufCMessage *req);
void sg_fe_patch_schedule(sg_call *call, const ProtobufCMessage *req);
void sg_fe_delete_schedule(sg_call *call, const ProtobufCMessage *req);
void sg_fe_list_schedules(sg_call *call, const ProtobufCMessage *req);
void sg_fe_count_schedules(sg_call *call, const ProtobufCMessage *req);
void sg_fe_list_schedule_matching_times(sg_call *call, const ProtobufCMessage *req);
void sg_fe_describe_batch_operation(sg_call *call, const ProtobufCMessage *req);
void sg_fe_list_batch_operations(sg_call *call, const ProtobufCMessage *req);
void sg_fe_stop_batch_operation(sg_call *call, const ProtobufCMessage *req);
/* Parses a --search-attribute type name (Text, Keyword, Int, Double, Bool, Datetime,
 * KeywordList; case-insensitive) into an IndexedValueType; SG_EINVAL if unknown. */
int sg_fe_parse_search_attr_type(const char *s, int *type_out);
/* Registers name:type in namespace_id unless present with the same type; SG_EEXIST if present
 * with another type; SG_EINVAL if the name is invalid or reserved. Requires an open batch. */
int sg_fe_search_attr_register(sg_frontend *fe, const char *namespace_id, const char *name,
                               int type, char **err_msg);

#endif
