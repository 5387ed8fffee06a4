/* SPDX-License-Identifier: Apache-2.0 */
/* operator.c: `sandglass operator …` — namespaces, search attributes and the cluster, as the
 * `temporal operator` commands spell them.
 *
 * Design note. As workflow.c: one request per command through cmd.c, the reply printed as text
 * or as proto3 JSON. The namespace a command acts on is the global -n/--namespace (as
 * `temporal operator namespace create --namespace orders`). */
#include "cli/cli.h"
#include "cli/cmd.h"
#include "cli/input.h"

#include "core/sg.h"

#include "grpc/health/v1/health.pb-c.h"
#include "temporal/api/operatorservice/v1/request_response.pb-c.h"
#include "temporal/api/workflowservice/v1/request_response.pb-c.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WS "workflowservice.v1.WorkflowService"
#define OS "operatorservice.v1.OperatorService"

static const char *const sa_types[] = { "Unspecified", "Text", "Keyword", "Int", "Double",
                                        "Bool", "Datetime", "KeywordList", NULL };

static const char *sa_type_name(int t)
{
    return t > 0 && t < 8 ? sa_types[t] : "Unspecified";
}

static int done(const sg_cli *c, const char *text)
{
    if (c->output == SG_OUT_TEXT)
        puts(text);
    else if (c->output != SG_OUT_NONE)
        puts("{}");
    return 0;
}

/* --retention "72h" / "30d" / "1d12h" into d; 0 when absent, 1 (printed) when malformed. */
static int retention(const sg_cli_args *a, Google__Protobuf__Duration *d, Google__Protobuf__Duration **out)
{
    const char *v = sg_cli_arg(a, "retention");
    *out = NULL;
    if (!v)
        return 0;
    google__protobuf__duration__init(d);
    if (sg_cli_parse_duration(v, &d->seconds, &d->nanos) < 0 || (d->seconds <= 0 && d->nanos <= 0))
        return sg_cli_fail("invalid --retention '%s': expected a duration such as 72h or 30d", v);
    *out = d;
    return 0;
}

/* ---- namespace ---- */

static int run_ns_create(sg_cli *c, const sg_cli_args *a)
{
    Google__Protobuf__Duration d;
    Temporal__Api__Workflowservice__V1__RegisterNamespaceRequest req =
        TEMPORAL__API__WORKFLOWSERVICE__V1__REGISTER_NAMESPACE_REQUEST__INIT;
    if (retention(a, &d, &req.workflow_execution_retention_period))
        return 1;
    if (!req.workflow_execution_retention_period) { /* the temporal CLI's default */
        google__protobuf__duration__init(&d);
        d.seconds = 72 * 3600;
        req.workflow_execution_retention_period = &d;
    }
    req.namespace_ = (char *)c->namespace_;
    req.description = (char *)(sg_cli_arg(a, "description") ? sg_cli_arg(a, "description") : "");
    req.owner_email = (char *)(sg_cli_arg(a, "email") ? sg_cli_arg(a, "email") : "");
    ProtobufCMessage *m;
    if (sg_cli_call(c, WS, "RegisterNamespace", &req.base,
                    &temporal__api__workflowservice__v1__register_namespace_response__descriptor, &m,
                    NULL, NULL))
        return 1;
    protobuf_c_message_free_unpacked(m, NULL);
    return done(c, "Namespace registered");
}

static void ns_row(const Temporal__Api__Workflowservice__V1__DescribeNamespaceResponse *r, const char **cells,
                   char *retention_buf, size_t cap)
{
    const Temporal__Api__Namespace__V1__NamespaceInfo *i = r->namespace_info;
    static const char *const states[] = { "Unspecified", "Registered", "Deprecated", "Deleted" };
    cells[0] = i && i->name ? i->name : "";
    cells[1] = i && i->id ? i->id : "";
    cells[2] = i && i->state >= 0 && i->state < 4 ? states[i->state] : "Unspecified";
    retention_buf[0] = 0;
    if (r->config && r->config->workflow_execution_retention_ttl)
        snprintf(retention_buf, cap, "%lldh",
                 (long long)(r->config->workflow_execution_retention_ttl->seconds / 3600));
    cells[3] = retention_buf;
    cells[4] = i && i->description ? i->description : "";
}

static int run_ns_describe(sg_cli *c, const sg_cli_args *a)
{
    Temporal__Api__Workflowservice__V1__DescribeNamespaceRequest req =
        TEMPORAL__API__WORKFLOWSERVICE__V1__DESCRIBE_NAMESPACE_REQUEST__INIT;
    req.namespace_ = (char *)c->namespace_;
    ProtobufCMessage *m;
    int status;
    char *msg;
    if (sg_cli_call(c, WS, "DescribeNamespace", &req.base,
                    &temporal__api__workflowservice__v1__describe_namespace_response__descriptor, &m,
                    &status, &msg)) {
        int rc = status == 5 ? sg_cli_fail("namespace not found: %s", c->namespace_)
                 : status < 0 ? 1 : sg_cli_fail("%s", msg);
        sg_free(msg);
        return rc;
    }
    if (c->output == SG_OUT_TEXT) {
        const char *cells[10] = { "Name", "Id", "State", "Retention", "Description" };
        char ret[32];
        ns_row((void *)m, cells + 5, ret, sizeof ret);
        sg_cli_table(c, stdout, cells, 2, 5, true);
    } else if (c->output != SG_OUT_NONE) {
        sg_cli_print_json(c, m, true);
    }
    protobuf_c_message_free_unpacked(m, NULL);
    return 0;
}

static int run_ns_list(sg_cli *c, const sg_cli_args *a)
{
    (void)a;
    Temporal__Api__Workflowservice__V1__ListNamespacesRequest req =
        TEMPORAL__API__WORKFLOWSERVICE__V1__LIST_NAMESPACES_REQUEST__INIT;
    req.page_size = 1000;
    ProtobufCMessage *m;
    if (sg_cli_call(c, WS, "ListNamespaces", &req.base,
                    &temporal__api__workflowservice__v1__list_namespaces_response__descriptor, &m,
                    NULL, NULL))
        return 1;
    Temporal__Api__Workflowservice__V1__ListNamespacesResponse *r = (void *)m;
    if (c->output == SG_OUT_TEXT) {
        const char **cells = sg_calloc((r->n_namespaces + 1) * 5, sizeof *cells);
        char (*ret)[32] = sg_calloc(r->n_namespaces + 1, sizeof *ret);
        cells[0] = "Name", cells[1] = "Id", cells[2] = "State", cells[3] = "Retention", cells[4] = "Description";
        for (size_t i = 0; i < r->n_namespaces; i++)
            ns_row(r->namespaces[i], cells + (i + 1) * 5, ret[i], sizeof ret[i]);
        sg_cli_table(c, stdout, cells, r->n_namespaces + 1, 5, true);
        sg_free(ret);
        sg_free(cells);
    } else if (c->output == SG_OUT_JSONL) {
        for (size_t i = 0; i < r->n_namespaces; i++)
            sg_cli_print_json(c, &r->namespaces[i]->base, true);
    } else if (c->output == SG_OUT_JSON) {
        sg_cli_print_json(c, m, true);
    }
    protobuf_c_message_free_unpacked(m, NULL);
    return 0;
}

static int run_ns_update(sg_cli *c, const sg_cli_args *a)
{
    Google__Protobuf__Duration d;
    Temporal__Api__Namespace__V1__NamespaceConfig cfg = TEMPORAL__API__NAMESPACE__V1__NAMESPACE_CONFIG__INIT;
    if (retention(a, &d, &cfg.workflow_execution_retention_ttl))
        return 1;
    Temporal__Api__Namespace__V1__UpdateNamespaceInfo info = TEMPORAL__API__NAMESPACE__V1__UPDATE_NAMESPACE_INFO__INIT;
    info.description = (char *)(sg_cli_arg(a, "description") ? sg_cli_arg(a, "description") : "");
    info.owner_email = (char *)(sg_cli_arg(a, "email") ? sg_cli_arg(a, "email") : "");
    Temporal__Api__Workflowservice__V1__UpdateNamespaceRequest req =
        TEMPORAL__API__WORKFLOWSERVICE__V1__UPDATE_NAMESPACE_REQUEST__INIT;
    req.namespace_ = (char *)c->namespace_;
    req.update_info = &info;
    req.config = cfg.workflow_execution_retention_ttl ? &cfg : NULL;
    ProtobufCMessage *m;
    if (sg_cli_call(c, WS, "UpdateNamespace", &req.base,
                    &temporal__api__workflowservice__v1__update_namespace_response__descriptor, &m,
                    NULL, NULL))
        return 1;
    protobuf_c_message_free_unpacked(m, NULL);
    return done(c, "Namespace updated");
}

/* As the temporal CLI: the namespace's name typed back confirms (--yes skips it). */
static int run_ns_delete(sg_cli *c, const sg_cli_args *a)
{
    if (!sg_cli_arg_bool(a, "yes")) {
        fprintf(stderr, "Are you sure you want to delete namespace %s? Type namespace name to confirm: ",
                c->namespace_);
        fflush(stderr);
        char typed[1024] = "";
        if (!fgets(typed, sizeof typed, stdin))
            typed[0] = 0;
        typed[strcspn(typed, "\r\n")] = 0;
        if (strcmp(typed, c->namespace_) != 0)
            return sg_cli_fail("user denied confirmation or mistyped the namespace name");
    }
    Temporal__Api__Operatorservice__V1__DeleteNamespaceRequest req =
        TEMPORAL__API__OPERATORSERVICE__V1__DELETE_NAMESPACE_REQUEST__INIT;
    req.namespace_ = (char *)c->namespace_;
    ProtobufCMessage *m;
    if (sg_cli_call(c, OS, "DeleteNamespace", &req.base,
                    &temporal__api__operatorservice__v1__delete_namespace_response__descriptor, &m,
                    NULL, NULL))
        return 1;
    if (c->output == SG_OUT_TEXT)
        printf("Namespace %s has been deleted.\n", c->namespace_);
    else if (c->output != SG_OUT_NONE)
        sg_cli_print_json(c, m, true);
    protobuf_c_message_free_unpacked(m, NULL);
    return 0;
}

/* ---- search attributes ---- */

static int list_index(const sg_cli_args *a, const char *name)
{
    for (size_t i = 0; i < a->cmd->n_flags; i++)
        if (!strcmp(a->cmd->flags[i].name, name))
            return (int)i;
    return -1;
}

static int run_sa_create(sg_cli *c, const sg_cli_args *a)
{
    int ni = list_index(a, "name"), ti = list_index(a, "type");
    int n = a->n_list[ni];
    if (!n || n != a->n_list[ti])
        return sg_cli_fail("give --name and --type once per attribute (%d names, %d types)", n, a->n_list[ti]);
    typedef Temporal__Api__Operatorservice__V1__AddSearchAttributesRequest__SearchAttributesEntry entry;
    entry e[SG_CLI_MAX_LIST], *ep[SG_CLI_MAX_LIST];
    for (int i = 0; i < n; i++) {
        int t = 0;
        for (int k = 1; sa_types[k]; k++)
            if (!strcasecmp(a->list[ti][i], sa_types[k]))
                t = k;
        if (!t)
            return sg_cli_fail("invalid --type '%s': expected Text, Keyword, Int, Double, Bool, "
                               "Datetime or KeywordList", a->list[ti][i]);
        temporal__api__operatorservice__v1__add_search_attributes_request__search_attributes_entry__init(&e[i]);
        e[i].key = (char *)a->list[ni][i];
        e[i].value = (Temporal__Api__Enums__V1__IndexedValueType)t;
        ep[i] = &e[i];
    }
    Temporal__Api__Operatorservice__V1__AddSearchAttributesRequest req =
        TEMPORAL__API__OPERATORSERVICE__V1__ADD_SEARCH_ATTRIBUTES_REQUEST__INIT;
    req.namespace_ = (char *)c->namespace_;
    req.n_search_attributes = (size_t)n;
    req.search_attributes = ep;
    ProtobufCMessage *m;
    if (sg_cli_call(c, OS, "AddSearchAttributes", &req.base,
                    &temporal__api__operatorservice__v1__add_search_attributes_response__descriptor, &m,
                    NULL, NULL))
        return 1;
    protobuf_c_message_free_unpacked(m, NULL);
    return done(c, "Search attributes have been added");
}

static int run_sa_list(sg_cli *c, const sg_cli_args *a)
{
    (void)a;
    Temporal__Api__Operatorservice__V1__ListSearchAttributesRequest req =
        TEMPORAL__API__OPERATORSERVICE__V1__LIST_SEARCH_ATTRIBUTES_REQUEST__INIT;
    req.namespace_ = (char *)c->namespace_;
    ProtobufCMessage *m;
    if (sg_cli_call(c, OS, "ListSearchAttributes", &req.base,
                    &temporal__api__operatorservice__v1__list_search_attributes_response__descriptor, &m,
                    NULL, NULL))
        return 1;
    Temporal__Api__Operatorservice__V1__ListSearchAttributesResponse *r = (void *)m;
    if (c->output == SG_OUT_TEXT) {
        size_t n = r->n_system_attributes + r->n_custom_attributes;
        const char **cells = sg_calloc((n + 1) * 2, sizeof *cells);
        cells[0] = "Name", cells[1] = "Type";
        size_t row = 1;
        for (size_t i = 0; i < r->n_system_attributes; i++, row++) {
            cells[row * 2] = r->system_attributes[i]->key;
            cells[row * 2 + 1] = sa_type_name(r->system_attributes[i]->value);
        }
        for (size_t i = 0; i < r->n_custom_attributes; i++, row++) {
            cells[row * 2] = r->custom_attributes[i]->key;
            cells[row * 2 + 1] = sa_type_name(r->custom_attributes[i]->value);
        }
        sg_cli_table(c, stdout, cells, row, 2, true);
        sg_free(cells);
    } else if (c->output != SG_OUT_NONE) {
        sg_cli_print_json(c, m, true);
    }
    protobuf_c_message_free_unpacked(m, NULL);
    return 0;
}

static int run_sa_remove(sg_cli *c, const sg_cli_args *a)
{
    int ni = list_index(a, "name");
    if (!a->n_list[ni])
        return sg_cli_fail("--name is required");
    Temporal__Api__Operatorservice__V1__RemoveSearchAttributesRequest req =
        TEMPORAL__API__OPERATORSERVICE__V1__REMOVE_SEARCH_ATTRIBUTES_REQUEST__INIT;
    req.namespace_ = (char *)c->namespace_;
    req.n_search_attributes = (size_t)a->n_list[ni];
    req.search_attributes = (char **)a->list[ni];
    ProtobufCMessage *m;
    if (sg_cli_call(c, OS, "RemoveSearchAttributes", &req.base,
                    &temporal__api__operatorservice__v1__remove_search_attributes_response__descriptor,
                    &m, NULL, NULL))
        return 1;
    protobuf_c_message_free_unpacked(m, NULL);
    return done(c, "Search attributes have been removed");
}

/* ---- cluster ---- */

static int run_cluster_health(sg_cli *c, const sg_cli_args *a)
{
    (void)a;
    Grpc__Health__V1__HealthCheckRequest req = GRPC__HEALTH__V1__HEALTH_CHECK_REQUEST__INIT;
    req.service = "temporal.api.workflowservice.v1.WorkflowService";
    ProtobufCMessage *m;
    if (sg_cli_call(c, "grpc.health.v1.Health", "Check", &req.base,
                    &grpc__health__v1__health_check_response__descriptor, &m, NULL, NULL))
        return 1;
    Grpc__Health__V1__HealthCheckResponse *r = (void *)m;
    bool serving = r->status == GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVING;
    if (c->output == SG_OUT_TEXT)
        puts(serving ? "SERVING" : "NOT_SERVING");
    else if (c->output != SG_OUT_NONE)
        sg_cli_print_json(c, m, true);
    protobuf_c_message_free_unpacked(m, NULL);
    return serving ? 0 : sg_cli_fail("the server at %s is not serving", c->address);
}

static int run_cluster_info(sg_cli *c, const sg_cli_args *a, bool system)
{
    (void)a;
    Temporal__Api__Workflowservice__V1__GetSystemInfoRequest sreq =
        TEMPORAL__API__WORKFLOWSERVICE__V1__GET_SYSTEM_INFO_REQUEST__INIT;
    Temporal__Api__Workflowservice__V1__GetClusterInfoRequest creq =
        TEMPORAL__API__WORKFLOWSERVICE__V1__GET_CLUSTER_INFO_REQUEST__INIT;
    ProtobufCMessage *m;
    if (system ? sg_cli_call(c, WS, "GetSystemInfo", &sreq.base,
                             &temporal__api__workflowservice__v1__get_system_info_response__descriptor,
                             &m, NULL, NULL)
               : sg_cli_call(c, WS, "GetClusterInfo", &creq.base,
                             &temporal__api__workflowservice__v1__get_cluster_info_response__descriptor,
                             &m, NULL, NULL))
        return 1;
    if (c->output == SG_OUT_TEXT && system) {
        const Temporal__Api__Workflowservice__V1__GetSystemInfoResponse *r = (void *)m;
        const char *cells[] = { "ServerVersion", r->server_version ? r->server_version : "" };
        sg_cli_table(c, stdout, cells, 2, 1, true);
    } else if (c->output == SG_OUT_TEXT) {
        const Temporal__Api__Workflowservice__V1__GetClusterInfoResponse *r = (void *)m;
        const char *cells[] = { "ClusterName", "PersistenceStore", "VisibilityStore",
                                r->cluster_name ? r->cluster_name : "",
                                r->persistence_store ? r->persistence_store : "",
                                r->visibility_store ? r->visibility_store : "" };
        sg_cli_table(c, stdout, cells, 2, 3, true);
    } else if (c->output != SG_OUT_NONE) {
        sg_cli_print_json(c, m, true);
    }
    protobuf_c_message_free_unpacked(m, NULL);
    return 0;
}

static int run_cluster_system(sg_cli *c, const sg_cli_args *a)
{
    return run_cluster_info(c, a, true);
}

static int run_cluster_describe(sg_cli *c, const sg_cli_args *a)
{
    return run_cluster_info(c, a, false);
}

/* ---- the table ---- */

static const sg_cli_flag ns_write_flags[] = {
    { "description", 0, SG_FLAG_STRING, "Description" },
    { "email", 0, SG_FLAG_STRING, "Owner's email" },
    { "retention", 0, SG_FLAG_STRING, "How long closed workflows are kept, e.g. 72h or 30d" },
};
static const sg_cli_flag no_flags[] = {
    { "yes", 'y', SG_FLAG_BOOL, "Do not ask for confirmation" },
};
static const sg_cli_flag sa_create_flags[] = {
    { "name", 0, SG_FLAG_LIST, "Attribute name (repeatable, one per --type)" },
    { "type", 0, SG_FLAG_LIST, "Text, Keyword, Int, Double, Bool, Datetime or KeywordList" },
};
static const sg_cli_flag sa_remove_flags[] = {
    { "name", 0, SG_FLAG_LIST, "Attribute name (repeatable)" },
    { "yes", 'y', SG_FLAG_BOOL, "Do not ask for confirmation" },
};

#define FLAGS(f) f, sizeof f / sizeof f[0]

static const sg_cli_command operator_commands[] = {
    { "operator namespace create", "Register the namespace named by -n", FLAGS(ns_write_flags), run_ns_create },
    { "operator namespace describe", "Describe the namespace named by -n", NULL, 0, run_ns_describe },
    { "operator namespace list", "List namespaces", NULL, 0, run_ns_list },
    { "operator namespace update", "Update the namespace named by -n", FLAGS(ns_write_flags), run_ns_update },
    { "operator namespace delete", "Delete the namespace named by -n", FLAGS(no_flags), run_ns_delete },
    { "operator search-attribute create", "Add custom search attributes", FLAGS(sa_create_flags), run_sa_create },
    { "operator search-attribute list", "List search attributes", NULL, 0, run_sa_list },
    { "operator search-attribute remove", "Remove custom search attributes", FLAGS(sa_remove_flags), run_sa_remove },
    { "operator cluster health", "Check the server's health", NULL, 0, run_cluster_health },
    { "operator cluster system", "Show the server's version and capabilities", NULL, 0, run_cluster_system },
    { "operator cluster describe", "Show the cluster's information", NULL, 0, run_cluster_describe },
};

int sg_cli_operator(int argc, char **argv)
{
    return sg_cli_dispatch(operator_commands, sizeof operator_commands / sizeof operator_commands[0],
                           argc, argv);
}
