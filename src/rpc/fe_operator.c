/* SPDX-License-Identifier: Apache-2.0 */
/* fe_operator.c: OperatorService search-attribute registry — Add, Remove, List — per namespace.
 *
 * Behaviour follows Temporal with SQL visibility (docs/notes-namespaces.md): adding a name
 * that exists is a silent success, removing an unknown one too; system and reserved names are
 * refused; each type has a per-namespace quota; a request is applied all or nothing, which is
 * why every attribute is validated before the first write. */
#include "rpc/handlers.h"

#include "temporal/api/operatorservice/v1/request_response.pb-c.h"
#include "temporal/api/workflowservice/v1/request_response.pb-c.h"
#include "net/grpc.h"
#include "namespace/registry.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

enum { SA_TEXT = 1, SA_KEYWORD, SA_INT, SA_DOUBLE, SA_BOOL, SA_DATETIME, SA_KEYWORD_LIST };

static const char *const type_names[] = { "Unspecified", "Text", "Keyword", "Int",
                                          "Double", "Bool", "Datetime", "KeywordList" };
/* Per-namespace quota of custom attributes per type, as Temporal's SQL visibility schema. */
static const int type_quota[] = { 0, 3, 10, 3, 3, 3, 3, 3 };

typedef struct system_attr {
    const char *name;
    int type;
} system_attr;

static const system_attr system_attrs[] = {
    { "BatcherNamespace", SA_KEYWORD },
    { "BatcherUser", SA_KEYWORD },
    { "BinaryChecksums", SA_KEYWORD_LIST },
    { "BuildIds", SA_KEYWORD_LIST },
    { "CloseTime", SA_DATETIME },
    { "ExecutionDuration", SA_INT },
    { "ExecutionStatus", SA_KEYWORD },
    { "ExecutionTime", SA_DATETIME },
    { "HistoryLength", SA_INT },
    { "HistorySizeBytes", SA_INT },
    { "ParentRunId", SA_KEYWORD },
    { "ParentWorkflowId", SA_KEYWORD },
    { "RootRunId", SA_KEYWORD },
    { "RootWorkflowId", SA_KEYWORD },
    { "RunId", SA_KEYWORD },
    { "StartTime", SA_DATETIME },
    { "StateTransitionCount", SA_INT },
    { "TaskQueue", SA_KEYWORD },
    { "TemporalChangeVersion", SA_KEYWORD_LIST },
    { "TemporalExternalPayloadCount", SA_INT },
    { "TemporalExternalPayloadSizeBytes", SA_INT },
    { "TemporalNamespaceDivision", SA_KEYWORD },
    { "TemporalPauseInfo", SA_KEYWORD_LIST },
    { "TemporalReportedProblems", SA_KEYWORD_LIST },
    { "TemporalScheduledById", SA_KEYWORD },
    { "TemporalScheduledStartTime", SA_DATETIME },
    { "TemporalSchedulePaused", SA_BOOL },
    { "TemporalUsedWorkerDeploymentVersions", SA_KEYWORD_LIST },
    { "TemporalWorkerDeployment", SA_KEYWORD },
    { "TemporalWorkerDeploymentVersion", SA_KEYWORD },
    { "TemporalWorkflowVersioningBehavior", SA_KEYWORD },
    { "WorkflowId", SA_KEYWORD },
    { "WorkflowType", SA_KEYWORD },
};

static bool is_system(const char *name)
{
    for (size_t i = 0; i < SG_ARRAY_LEN(system_attrs); i++)
        if (strcmp(system_attrs[i].name, name) == 0)
            return true;
    return false;
}

static bool is_reserved(const char *name)
{
    static const char *const internal[] = { "NamespaceId", "Memo", "MemoEncoding",
                                            "VisibilityTaskKey" };
    if (is_system(name) || strncmp(name, "Temporal", 8) == 0)
        return true;
    for (size_t i = 0; i < SG_ARRAY_LEN(internal); i++)
        if (strcmp(internal[i], name) == 0)
            return true;
    return false;
}

int sg_fe_parse_search_attr_type(const char *s, int *type_out)
{
    for (int t = SA_TEXT; t <= SA_KEYWORD_LIST; t++)
        if (strcasecmp(s, type_names[t]) == 0) {
            *type_out = t;
            return 0;
        }
    return SG_EINVAL;
}

typedef struct count_ctx {
    int per_type[SG_ARRAY_LEN(type_quota)];
} count_ctx;

static int count_one(void *ud, const char *name, int type)
{
    count_ctx *c = ud;
    if (type > 0 && type < (int)SG_ARRAY_LEN(type_quota))
        c->per_type[type]++;
    return 0;
}

/* Validates adding (names[i], types[i]) to namespace_id. Returns 0, or SG_EINVAL with *msg
 * set (arena; a full type is INVALID_ARGUMENT too, as Temporal answers), or a store error. skip[i] marks names already registered. */
static int validate_add(sg_registry *st, sg_arena *a, const char *namespace_id, char **names,
                        const int *types, size_t n, bool *skip, char **msg)
{
    count_ctx counts = { { 0 } };
    int rc = sg_registry_search_attr_list(st, namespace_id, count_one, &counts);
    if (rc < 0)
        return rc;
    for (size_t i = 0; i < n; i++) {
        if (!*names[i]) {
            *msg = sg_arena_strdup(a, "Search attribute name is empty.");
            return SG_EINVAL;
        }
        if (strlen(names[i]) > 1000) {
            *msg = sg_arena_printf(a, "Search attribute name %.64s... exceeds the length limit.",
                                   names[i]);
            return SG_EINVAL;
        }
        if (is_reserved(names[i])) {
            *msg = sg_arena_printf(a, "Search attribute %s is reserved by system.", names[i]);
            return SG_EINVAL;
        }
        if (types[i] < SA_TEXT || types[i] > SA_KEYWORD_LIST) {
            *msg = sg_arena_printf(a, "Unknown search attribute type: %d.", types[i]);
            return SG_EINVAL;
        }
        int existing;
        rc = sg_registry_search_attr_get(st, namespace_id, names[i], &existing);
        if (rc == 0) {
            skip[i] = true;
            continue;
        }
        if (rc != SG_ENOTFOUND)
            return rc;
        /* The same new name twice in one request counts once. */
        for (size_t j = 0; j < i; j++)
            if (!skip[j] && strcmp(names[j], names[i]) == 0)
                skip[i] = true;
        if (skip[i])
            continue;
        if (++counts.per_type[types[i]] > type_quota[types[i]]) {
            *msg = sg_arena_printf(a,
                                   "Unable to create search attributes: cannot have more than %d "
                                   "search attribute of type %s.",
                                   type_quota[types[i]], type_names[types[i]]);
            return SG_EINVAL;
        }
    }
    return 0;
}

static int insert_all(sg_frontend *fe, const char *namespace_id, char **names, const int *types,
                      size_t n, const bool *skip)
{
    sg_txn *txn = sg_frontend_txn(fe);
    int rc = sg_txn_write(txn);
    for (size_t i = 0; rc == 0 && i < n; i++)
        if (!skip[i])
            rc = sg_registry_search_attr_insert(sg_frontend_registry(fe), namespace_id, names[i],
                                             types[i]);
    if (rc < 0)
        sg_txn_poison(txn, rc);
    return rc;
}

int sg_fe_search_attr_register(sg_frontend *fe, const char *namespace_id, const char *name,
                               int type, char **err_msg)
{
    sg_arena a;
    sg_arena_init(&a);
    char *names[1] = { (char *)name };
    bool skip[1] = { false };
    char *msg = NULL;
    sg_registry *st = sg_frontend_registry(fe);
    int existing;
    int rc = validate_add(st, &a, namespace_id, names, &type, 1, skip, &msg);
    if (rc == 0 && skip[0] && sg_registry_search_attr_get(st, namespace_id, name, &existing) == 0 &&
        existing != type) {
        msg = sg_arena_printf(&a, "search attribute %s is already registered as %s", name,
                              type_names[existing]);
        rc = SG_EEXIST;
    }
    if (rc == 0)
        rc = insert_all(fe, namespace_id, names, &type, 1, skip);
    if (err_msg)
        *err_msg = msg ? sg_strdup(msg) : NULL;
    sg_arena_deinit(&a);
    return rc;
}

/* The operator service words a missing namespace its own way; the lookup is shared. */
static char *namespace_id_of(sg_call *call, const char *name)
{
    if (!*name) {
        sg_call_fail(call, SG_EINVAL, "Namespace is not set on request.");
        return NULL;
    }
    return sg_fe_namespace_id(call, name);
}

void sg_fe_add_search_attributes(sg_call *call, const ProtobufCMessage *m)
{
    const Temporal__Api__Operatorservice__V1__AddSearchAttributesRequest *req = (const void *)m;
    if (!req->n_search_attributes) {
        sg_call_fail(call, SG_EINVAL, "SearchAttributes are not set on request.");
        return;
    }
    char *ns_id = namespace_id_of(call, req->namespace_);
    if (!ns_id)
        return;
    size_t n = req->n_search_attributes;
    char **names = sg_arena_alloc(call->arena, n * sizeof *names);
    int *types = sg_arena_alloc(call->arena, n * sizeof *types);
    bool *skip = sg_arena_calloc(call->arena, n * sizeof *skip);
    for (size_t i = 0; i < n; i++) {
        names[i] = req->search_attributes[i]->key;
        types[i] = (int)req->search_attributes[i]->value;
    }
    char *msg = NULL;
    int rc = validate_add(sg_frontend_registry(call->fe), call->arena, ns_id, names, types, n, skip,
                          &msg);
    if (rc == 0)
        rc = insert_all(call->fe, ns_id, names, types, n, skip);
    if (rc < 0) {
        sg_call_fail(call, rc, "%s", msg ? msg : "cannot store search attributes");
        return;
    }
    Temporal__Api__Operatorservice__V1__AddSearchAttributesResponse resp =
        TEMPORAL__API__OPERATORSERVICE__V1__ADD_SEARCH_ATTRIBUTES_RESPONSE__INIT;
    sg_call_reply(call, &resp.base);
}

void sg_fe_remove_search_attributes(sg_call *call, const ProtobufCMessage *m)
{
    const Temporal__Api__Operatorservice__V1__RemoveSearchAttributesRequest *req =
        (const void *)m;
    if (!req->n_search_attributes) {
        sg_call_fail(call, SG_EINVAL, "SearchAttributes are not set on request.");
        return;
    }
    char *ns_id = namespace_id_of(call, req->namespace_);
    if (!ns_id)
        return;
    for (size_t i = 0; i < req->n_search_attributes; i++) {
        if (is_reserved(req->search_attributes[i])) {
            sg_call_fail(call, SG_EINVAL,
                         "Unable to remove non-custom search attributes: %s.",
                         req->search_attributes[i]);
            return;
        }
    }
    sg_registry *st = sg_frontend_registry(call->fe);
    sg_txn *txn = sg_frontend_txn(call->fe);
    int rc = sg_txn_write(txn);
    for (size_t i = 0; rc == 0 && i < req->n_search_attributes; i++) {
        rc = sg_registry_search_attr_delete(st, ns_id, req->search_attributes[i]);
        if (rc == SG_ENOTFOUND)
            rc = 0; /* removing an unknown attribute is not an error in Temporal either */
    }
    if (rc < 0) {
        sg_txn_poison(txn, rc);
        sg_call_fail(call, rc, "cannot remove search attributes");
        return;
    }
    Temporal__Api__Operatorservice__V1__RemoveSearchAttributesResponse resp =
        TEMPORAL__API__OPERATORSERVICE__V1__REMOVE_SEARCH_ATTRIBUTES_RESPONSE__INIT;
    sg_call_reply(call, &resp.base);
}

typedef Temporal__Api__Operatorservice__V1__ListSearchAttributesResponse__CustomAttributesEntry
    sa_entry;

typedef struct collect_ctx {
    sg_arena *a;
    sa_entry **items;
    size_t n, cap;
} collect_ctx;

static int collect_one(void *ud, const char *name, int type)
{
    collect_ctx *c = ud;
    if (c->n == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 16;
        sa_entry **grown = sg_arena_alloc(c->a, cap * sizeof *grown);
        if (c->n)
            memcpy(grown, c->items, c->n * sizeof *grown);
        c->items = grown;
        c->cap = cap;
    }
    sa_entry *e = sg_arena_calloc(c->a, sizeof *e);
    temporal__api__operatorservice__v1__list_search_attributes_response__custom_attributes_entry__init(
        e);
    e->key = sg_arena_strdup(c->a, name);
    e->value = (Temporal__Api__Enums__V1__IndexedValueType)type;
    c->items[c->n++] = e;
    return 0;
}

void sg_fe_list_search_attributes(sg_call *call, const ProtobufCMessage *m)
{
    const Temporal__Api__Operatorservice__V1__ListSearchAttributesRequest *req = (const void *)m;
    char *ns_id = namespace_id_of(call, req->namespace_);
    if (!ns_id)
        return;
    collect_ctx custom = { .a = call->arena };
    int rc = sg_registry_search_attr_list(sg_frontend_registry(call->fe), ns_id, collect_one, &custom);
    if (rc < 0) {
        sg_call_fail(call, rc, "cannot read search attributes from the store");
        return;
    }
    typedef Temporal__Api__Operatorservice__V1__ListSearchAttributesResponse__SystemAttributesEntry
        sys_entry;
    size_t n_sys = SG_ARRAY_LEN(system_attrs);
    sys_entry *sys = sg_arena_alloc(call->arena, n_sys * sizeof *sys);
    sys_entry **sys_ptrs = sg_arena_alloc(call->arena, n_sys * sizeof *sys_ptrs);
    for (size_t i = 0; i < n_sys; i++) {
        temporal__api__operatorservice__v1__list_search_attributes_response__system_attributes_entry__init(
            &sys[i]);
        sys[i].key = (char *)system_attrs[i].name;
        sys[i].value = (Temporal__Api__Enums__V1__IndexedValueType)system_attrs[i].type;
        sys_ptrs[i] = &sys[i];
    }
    Temporal__Api__Operatorservice__V1__ListSearchAttributesResponse resp =
        TEMPORAL__API__OPERATORSERVICE__V1__LIST_SEARCH_ATTRIBUTES_RESPONSE__INIT;
    resp.n_custom_attributes = custom.n;
    resp.custom_attributes = custom.items;
    resp.n_system_attributes = n_sys;
    resp.system_attributes = sys_ptrs;
    sg_call_reply(call, &resp.base);
}

/* GetSearchAttributes names no namespace; Temporal answers every attribute of its visibility
 * index. Our custom attributes are per namespace, so the ones of the namespace the client's
 * temporal-namespace header names (the SDKs send it) are listed, else those of "default". */
void sg_fe_get_search_attributes(sg_call *call, const ProtobufCMessage *m)
{
    (void)m;
    sg_registry *reg = sg_frontend_registry(call->fe);
    const char *hdr = sg_call_header(call, "temporal-namespace");
    sg_namespace_rec rec;
    bool found = hdr && *hdr && sg_registry_namespace_get(reg, hdr, false, &rec) == 0;
    if (!found)
        found = sg_registry_namespace_get(reg, "default", false, &rec) == 0;
    collect_ctx custom = { .a = call->arena };
    if (found) {
        int rc = sg_registry_search_attr_list(reg, rec.id, collect_one, &custom);
        sg_namespace_rec_deinit(&rec);
        if (rc < 0) {
            sg_call_fail(call, rc, "cannot read search attributes from the store");
            return;
        }
    }
    typedef Temporal__Api__Workflowservice__V1__GetSearchAttributesResponse__KeysEntry key_entry;
    size_t n_sys = SG_ARRAY_LEN(system_attrs), n = n_sys + custom.n;
    key_entry *keys = sg_arena_alloc(call->arena, n * sizeof *keys);
    key_entry **ptrs = sg_arena_alloc(call->arena, n * sizeof *ptrs);
    for (size_t i = 0; i < n; i++) {
        temporal__api__workflowservice__v1__get_search_attributes_response__keys_entry__init(
            &keys[i]);
        if (i < n_sys) {
            keys[i].key = (char *)system_attrs[i].name;
            keys[i].value = (Temporal__Api__Enums__V1__IndexedValueType)system_attrs[i].type;
        } else {
            keys[i].key = custom.items[i - n_sys]->key;
            keys[i].value = custom.items[i - n_sys]->value;
        }
        ptrs[i] = &keys[i];
    }
    Temporal__Api__Workflowservice__V1__GetSearchAttributesResponse resp =
        TEMPORAL__API__WORKFLOWSERVICE__V1__GET_SEARCH_ATTRIBUTES_RESPONSE__INIT;
    resp.n_keys = n;
    resp.keys = ptrs;
    sg_call_reply(call, &resp.base);
}
