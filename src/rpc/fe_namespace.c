/* SPDX-License-Identifier: Apache-2.0 */
/* fe_namespace.c: RegisterNamespace, DescribeNamespace, ListNamespaces, UpdateNamespace, and
 * the namespace lookup every namespaced RPC starts with.
 *
 * A namespace is stored as one serialized DescribeNamespaceResponse (the store keeps it as an
 * opaque blob next to its id and name), so DescribeNamespace answers with the stored bytes as
 * they are and ListNamespaces splices them into its repeated field without re-encoding.
 * Validation messages and defaults follow Temporal's frontend (docs/notes-namespaces.md):
 * a single-cluster, non-global server whose only cluster is "active". */
#include "rpc/handlers.h"

#include "core/buf.h"
#include "core/pbwire.h"
#include "core/uuid.h"

#include "batch/runner.h"
#include "core/clock.h"
#include "temporal/api/errordetails/v1/message.pb-c.h"
#include "temporal/api/operatorservice/v1/request_response.pb-c.h"
#include "temporal/api/workflowservice/v1/request_response.pb-c.h"

#include <string.h>

typedef Temporal__Api__Workflowservice__V1__DescribeNamespaceResponse ns_desc;
typedef Temporal__Api__Namespace__V1__NamespaceInfo ns_info;
typedef Temporal__Api__Namespace__V1__NamespaceInfo__DataEntry ns_data_entry;
typedef Temporal__Api__Namespace__V1__NamespaceConfig ns_config;
typedef Temporal__Api__Replication__V1__NamespaceReplicationConfig ns_repl;
typedef Temporal__Api__Replication__V1__ClusterReplicationConfig ns_cluster;

#define MIN_RETENTION_S 3600
#define MAX_RETENTION_S (100LL * 365 * 24 * 3600)
#define DEV_RETENTION_S (24 * 3600)
#define CLUSTER_NAME "active"
/* Blob and memo limits advertised to workers, which enforce them locally (PROTOCOL.md 1.3). */
#define BLOB_LIMIT_BYTES (2 * 1024 * 1024)
#define MEMO_LIMIT_BYTES (2 * 1024 * 1024)
#define WFT_COMPLETION_LIMIT_BYTES (40 * 1024 * 1024)

static void fail_not_found(sg_call *call, const char *name)
{
    Temporal__Api__Errordetails__V1__NamespaceNotFoundFailure d =
        TEMPORAL__API__ERRORDETAILS__V1__NAMESPACE_NOT_FOUND_FAILURE__INIT;
    d.namespace_ = (char *)name;
    sg_call_fail_detail(call, SG_ENOTFOUND, &d.base, "Namespace %s is not found.", name);
}

int sg_fe_namespace_resolve(sg_call *call, const char *name, sg_namespace_rec *out)
{
    if (!name || !*name) {
        sg_call_fail(call, SG_EINVAL, "Namespace not set on request.");
        return SG_EINVAL;
    }
    int rc = sg_registry_namespace_get(sg_frontend_registry(call->fe), name, false, out);
    if (rc == SG_ENOTFOUND)
        fail_not_found(call, name);
    else if (rc < 0)
        sg_call_fail(call, rc, "cannot read namespace %s from the store", name);
    return rc;
}

/* Checks a retention duration the way Temporal's namespace handler does. */
static bool retention_ok(const Google__Protobuf__Duration *d)
{
    return d && (d->seconds > 0 || d->nanos > 0) && d->seconds >= MIN_RETENTION_S;
}

static Google__Protobuf__Duration *capped_retention(sg_arena *a, const Google__Protobuf__Duration *d)
{
    Google__Protobuf__Duration *r = sg_arena_calloc(a, sizeof *r);
    google__protobuf__duration__init(r);
    r->seconds = SG_MIN(d->seconds, MAX_RETENTION_S);
    r->nanos = d->seconds >= MAX_RETENTION_S ? 0 : d->nanos;
    return r;
}

/* Builds the stored description of a new namespace; everything lives in arena a. */
static ns_desc *new_desc(sg_arena *a, const char *name, const char *id, const char *description,
                         const char *owner, ns_data_entry **data, size_t n_data,
                         const Google__Protobuf__Duration *retention)
{
    ns_desc *d = sg_arena_calloc(a, sizeof *d);
    temporal__api__workflowservice__v1__describe_namespace_response__init(d);
    ns_info *info = sg_arena_calloc(a, sizeof *info);
    temporal__api__namespace__v1__namespace_info__init(info);
    info->name = sg_arena_strdup(a, name);
    info->id = sg_arena_strdup(a, id);
    info->state = TEMPORAL__API__ENUMS__V1__NAMESPACE_STATE__NAMESPACE_STATE_REGISTERED;
    info->description = sg_arena_strdup(a, description ? description : "");
    info->owner_email = sg_arena_strdup(a, owner ? owner : "");
    info->data = data;
    info->n_data = n_data;
    /* A capability is true only once the feature behind it exists here. Polls complete on
     * shutdown: ShutdownWorker ends the worker's parked polls empty (matching.h), so its SDK
     * lets them return instead of cutting them, and no task is handed to a cut poll. */
    info->capabilities = sg_arena_calloc(a, sizeof *info->capabilities);
    temporal__api__namespace__v1__namespace_info__capabilities__init(info->capabilities);
    info->capabilities->worker_poll_complete_on_shutdown = true;
    info->limits = sg_arena_calloc(a, sizeof *info->limits);
    temporal__api__namespace__v1__namespace_info__limits__init(info->limits);
    info->limits->blob_size_limit_error = BLOB_LIMIT_BYTES;
    info->limits->memo_size_limit_error = MEMO_LIMIT_BYTES;
    info->limits->workflow_task_completion_size_limit_error = WFT_COMPLETION_LIMIT_BYTES;
    info->supports_schedules = true;
    d->namespace_info = info;

    ns_config *cfg = sg_arena_calloc(a, sizeof *cfg);
    temporal__api__namespace__v1__namespace_config__init(cfg);
    cfg->workflow_execution_retention_ttl = capped_retention(a, retention);
    cfg->bad_binaries = sg_arena_calloc(a, sizeof *cfg->bad_binaries);
    temporal__api__namespace__v1__bad_binaries__init(cfg->bad_binaries);
    cfg->history_archival_state = TEMPORAL__API__ENUMS__V1__ARCHIVAL_STATE__ARCHIVAL_STATE_DISABLED;
    cfg->visibility_archival_state =
        TEMPORAL__API__ENUMS__V1__ARCHIVAL_STATE__ARCHIVAL_STATE_DISABLED;
    d->config = cfg;

    ns_repl *repl = sg_arena_calloc(a, sizeof *repl);
    temporal__api__replication__v1__namespace_replication_config__init(repl);
    repl->active_cluster_name = CLUSTER_NAME;
    ns_cluster *c = sg_arena_calloc(a, sizeof *c);
    temporal__api__replication__v1__cluster_replication_config__init(c);
    c->cluster_name = CLUSTER_NAME;
    repl->clusters = sg_arena_alloc(a, sizeof *repl->clusters);
    repl->clusters[0] = c;
    repl->n_clusters = 1;
    repl->state = TEMPORAL__API__ENUMS__V1__REPLICATION_STATE__REPLICATION_STATE_NORMAL;
    d->replication_config = repl;
    d->failover_version = 0;
    d->is_global_namespace = false;
    return d;
}

/* Serializes d into rec (rec->info allocated in the arena: the store copies what it keeps). */
static void desc_to_rec(sg_arena *a, const ns_desc *d, int64_t version, sg_namespace_rec *rec)
{
    rec->id = d->namespace_info->id;
    rec->name = d->namespace_info->name;
    rec->notification_version = version;
    rec->info_len = protobuf_c_message_get_packed_size(&d->base);
    rec->info = sg_arena_alloc(a, rec->info_len);
    protobuf_c_message_pack(&d->base, rec->info);
}

static ns_desc *rec_to_desc(sg_arena *a, const sg_namespace_rec *rec)
{
    ns_desc *d = temporal__api__workflowservice__v1__describe_namespace_response__unpack(
        &a->pb, rec->info_len, rec->info);
    /* A capability of the server, not of the stored namespace: true for namespaces created
     * before schedules existed too. */
    if (d && d->namespace_info)
        d->namespace_info->supports_schedules = true;
    return d;
}

static int insert_desc(sg_frontend *fe, sg_arena *a, const ns_desc *d)
{
    int rc = sg_txn_write(sg_frontend_txn(fe));
    if (rc < 0)
        return rc;
    sg_namespace_rec rec;
    desc_to_rec(a, d, 1, &rec);
    rc = sg_registry_namespace_insert(sg_frontend_registry(fe), &rec);
    if (rc < 0 && rc != SG_EEXIST)
        sg_txn_poison(sg_frontend_txn(fe), rc);
    return rc;
}

int sg_fe_namespace_create_default(sg_frontend *fe, const char *name)
{
    sg_arena a;
    sg_arena_init(&a);
    char id[SG_UUID_STR_LEN + 1];
    sg_uuid_v4(id);
    Google__Protobuf__Duration ret = GOOGLE__PROTOBUF__DURATION__INIT;
    ret.seconds = DEV_RETENTION_S;
    ns_desc *d = new_desc(&a, name, id, "", "", NULL, 0, &ret);
    int rc = insert_desc(fe, &a, d);
    sg_arena_deinit(&a);
    return rc;
}

static bool cluster_name_ok(const char *n)
{
    return !n || !*n || strcmp(n, CLUSTER_NAME) == 0;
}

void sg_fe_register_namespace(sg_call *call, const ProtobufCMessage *m)
{
    const Temporal__Api__Workflowservice__V1__RegisterNamespaceRequest *req = (const void *)m;
    sg_arena *a = call->arena;
    if (!*req->namespace_) {
        sg_call_fail(call, SG_EINVAL, "Namespace not set on request.");
        return;
    }
    if (strlen(req->namespace_) > SG_MAX_ID_LEN) {
        sg_call_fail(call, SG_EINVAL, "Namespace length exceeds limit.");
        return;
    }
    if (req->is_global_namespace) {
        sg_call_fail(call, SG_EINVAL, "Cannot register global namespace when not enabled");
        return;
    }
    if (!retention_ok(req->workflow_execution_retention_period)) {
        sg_call_fail(call, SG_EINVAL, "A valid retention period is not set on request.");
        return;
    }
    if (!cluster_name_ok(req->active_cluster_name)) {
        sg_call_fail(call, SG_EINVAL, "Invalid cluster name: %s", req->active_cluster_name);
        return;
    }
    for (size_t i = 0; i < req->n_clusters; i++) {
        if (!cluster_name_ok(req->clusters[i]->cluster_name)) {
            sg_call_fail(call, SG_EINVAL, "Invalid cluster name: %s",
                         req->clusters[i]->cluster_name);
            return;
        }
    }
    sg_namespace_rec existing;
    int rc = sg_registry_namespace_get(sg_frontend_registry(call->fe), req->namespace_, false, &existing);
    if (rc == 0) {
        sg_namespace_rec_deinit(&existing);
        rc = SG_EEXIST;
    }
    if (rc == SG_EEXIST) {
        Temporal__Api__Errordetails__V1__NamespaceAlreadyExistsFailure d =
            TEMPORAL__API__ERRORDETAILS__V1__NAMESPACE_ALREADY_EXISTS_FAILURE__INIT;
        sg_call_fail_detail(call, SG_EEXIST, &d.base, "Namespace \"%s\" already exists",
                            req->namespace_);
        return;
    }
    if (rc != SG_ENOTFOUND) {
        sg_call_fail(call, rc, "cannot read namespaces from the store");
        return;
    }
    char id[SG_UUID_STR_LEN + 1];
    sg_uuid_v4(id);
    /* The request's data entries share the request's lifetime (the same arena). */
    ns_desc *d = new_desc(a, req->namespace_, id, req->description, req->owner_email,
                          (ns_data_entry **)req->data, req->n_data,
                          req->workflow_execution_retention_period);
    rc = insert_desc(call->fe, a, d);
    if (rc < 0) {
        sg_call_fail(call, rc, "cannot store namespace %s", req->namespace_);
        return;
    }
    Temporal__Api__Workflowservice__V1__RegisterNamespaceResponse resp =
        TEMPORAL__API__WORKFLOWSERVICE__V1__REGISTER_NAMESPACE_RESPONSE__INIT;
    sg_call_reply(call, &resp.base);
}

void sg_fe_describe_namespace(sg_call *call, const ProtobufCMessage *m)
{
    const Temporal__Api__Workflowservice__V1__DescribeNamespaceRequest *req = (const void *)m;
    bool by_id = *req->id != '\0';
    if (by_id && *req->namespace_) {
        sg_call_fail(call, SG_EINVAL,
                     "GetNamespace operation failed.  Both ID and Name specified in request.");
        return;
    }
    if (!by_id && !*req->namespace_) {
        sg_call_fail(call, SG_EINVAL, "Namespace not set on request.");
        return;
    }
    if (by_id && !sg_uuid_is_valid(req->id)) {
        sg_call_fail(call, SG_EINVAL, "Invalid namespace id \"%s\": not a UUID.", req->id);
        return;
    }
    sg_namespace_rec rec;
    int rc = sg_registry_namespace_get(sg_frontend_registry(call->fe), by_id ? req->id : req->namespace_,
                                    by_id, &rec);
    if (rc == SG_ENOTFOUND) {
        fail_not_found(call, by_id ? req->id : req->namespace_);
        return;
    }
    if (rc < 0) {
        sg_call_fail(call, rc, "cannot read namespace from the store");
        return;
    }
    /* The stored blob is a DescribeNamespaceResponse already. */
    sg_call_reply_bytes(call, rec.info, rec.info_len);
    sg_namespace_rec_deinit(&rec);
}

typedef struct list_ctx {
    sg_arena *a;
    sg_buf out;
    bool include_deleted;
    char *last_name;
    int bad;
} list_ctx;

static int list_one(void *ud, const sg_namespace_rec *rec)
{
    list_ctx *ctx = ud;
    ctx->last_name = sg_arena_strdup(ctx->a, rec->name);
    ns_desc *d = rec_to_desc(ctx->a, rec);
    if (!d) {
        ctx->bad++;
        return 0;
    }
    if (!ctx->include_deleted && d->namespace_info &&
        d->namespace_info->state == TEMPORAL__API__ENUMS__V1__NAMESPACE_STATE__NAMESPACE_STATE_DELETED)
        return 0;
    /* Field 1 (namespaces), length-delimited: the stored bytes spliced as they are. */
    uint8_t h[SG_PB_LEN_HEADER_MAX];
    sg_buf_append(&ctx->out, h, sg_pb_len_header(h, 1, rec->info_len));
    sg_buf_append(&ctx->out, rec->info, rec->info_len);
    return 0;
}

void sg_fe_list_namespaces(sg_call *call, const ProtobufCMessage *m)
{
    const Temporal__Api__Workflowservice__V1__ListNamespacesRequest *req = (const void *)m;
    if (req->page_size < 0) {
        sg_call_fail(call, SG_EINVAL, "Invalid PageSize: %d.", req->page_size);
        return;
    }
    int page = req->page_size ? req->page_size : 100;
    /* The token is the last name of the previous page; names never contain NUL. */
    char *after = sg_arena_strndup(call->arena, (const char *)req->next_page_token.data,
                                   req->next_page_token.len);
    if (strlen(after) != req->next_page_token.len) {
        sg_call_fail(call, SG_EINVAL, "Invalid NextPageToken.");
        return;
    }
    list_ctx ctx = { .a = call->arena,
                     .include_deleted = req->namespace_filter &&
                                        req->namespace_filter->include_deleted };
    sg_buf_init(&ctx.out);
    int n = sg_registry_namespace_list(sg_frontend_registry(call->fe), after, page, list_one, &ctx);
    if (n < 0) {
        sg_buf_deinit(&ctx.out);
        sg_call_fail(call, n, "cannot list namespaces from the store");
        return;
    }
    if (ctx.bad)
        sg_call_fail(call, SG_ECORRUPT, "%d stored namespace record(s) could not be decoded",
                     ctx.bad);
    else {
        if (n == page && ctx.last_name) {
            uint8_t h[SG_PB_LEN_HEADER_MAX];
            sg_buf_append(&ctx.out, h, sg_pb_len_header(h, 2, strlen(ctx.last_name)));
            sg_buf_append_str(&ctx.out, ctx.last_name);
        }
        sg_call_reply_bytes(call, sg_buf_head(&ctx.out), ctx.out.len);
    }
    sg_buf_deinit(&ctx.out);
}

/* Sets key=value in a protobuf map held as an array of entries, growing it in the arena. */
static void map_set(sg_arena *a, ns_data_entry ***entries, size_t *n, const char *key,
                    const char *value)
{
    for (size_t i = 0; i < *n; i++)
        if (strcmp((*entries)[i]->key, key) == 0) {
            (*entries)[i]->value = (char *)value;
            return;
        }
    ns_data_entry **grown = sg_arena_alloc(a, (*n + 1) * sizeof *grown);
    if (*n)
        memcpy(grown, *entries, *n * sizeof *grown);
    ns_data_entry *e = sg_arena_calloc(a, sizeof *e);
    temporal__api__namespace__v1__namespace_info__data_entry__init(e);
    e->key = (char *)key;
    e->value = (char *)value;
    grown[*n] = e;
    *entries = grown;
    (*n)++;
}

static bool state_change_ok(int from, int to)
{
    enum { REG = TEMPORAL__API__ENUMS__V1__NAMESPACE_STATE__NAMESPACE_STATE_REGISTERED,
           DEP = TEMPORAL__API__ENUMS__V1__NAMESPACE_STATE__NAMESPACE_STATE_DEPRECATED,
           DEL = TEMPORAL__API__ENUMS__V1__NAMESPACE_STATE__NAMESPACE_STATE_DELETED };
    if (to == from)
        return true;
    return (from == REG && (to == DEP || to == DEL)) || (from == DEP && to == DEL);
}

#define MAX_BAD_BINARIES 10

void sg_fe_update_namespace(sg_call *call, const ProtobufCMessage *m)
{
    const Temporal__Api__Workflowservice__V1__UpdateNamespaceRequest *req = (const void *)m;
    sg_arena *a = call->arena;
    if (req->promote_namespace) {
        sg_call_fail(call, SG_EINVAL,
                     "global namespace is not enabled on this cluster, cannot update global "
                     "namespace or promote local namespace: %s",
                     req->namespace_);
        return;
    }
    sg_namespace_rec rec;
    if (sg_fe_namespace_resolve(call, req->namespace_, &rec) < 0)
        return;
    ns_desc *d = rec_to_desc(a, &rec);
    int64_t version = rec.notification_version;
    sg_namespace_rec_deinit(&rec);
    if (!d || !d->namespace_info || !d->config) {
        sg_call_fail(call, SG_ECORRUPT, "stored namespace %s could not be decoded",
                     req->namespace_);
        return;
    }
    ns_info *info = d->namespace_info;
    ns_config *cfg = d->config;
    if (req->update_info) {
        const Temporal__Api__Namespace__V1__UpdateNamespaceInfo *u = req->update_info;
        if (*u->description)
            info->description = u->description;
        if (*u->owner_email)
            info->owner_email = u->owner_email;
        for (size_t i = 0; i < u->n_data; i++)
            map_set(a, &info->data, &info->n_data, u->data[i]->key, u->data[i]->value);
        if (u->state != TEMPORAL__API__ENUMS__V1__NAMESPACE_STATE__NAMESPACE_STATE_UNSPECIFIED) {
            if (!state_change_ok(info->state, u->state)) {
                sg_call_fail(call, SG_EINVAL, "Invalid namespace state update.");
                return;
            }
            info->state = u->state;
        }
    }
    if (req->config) {
        const ns_config *c = req->config;
        if (c->workflow_execution_retention_ttl) {
            if (!retention_ok(c->workflow_execution_retention_ttl)) {
                sg_call_fail(call, SG_EINVAL, "A valid retention period is not set on request.");
                return;
            }
            cfg->workflow_execution_retention_ttl =
                capped_retention(a, c->workflow_execution_retention_ttl);
        }
        if (c->bad_binaries && c->bad_binaries->n_binaries) {
            if (!cfg->bad_binaries) {
                cfg->bad_binaries = sg_arena_calloc(a, sizeof *cfg->bad_binaries);
                temporal__api__namespace__v1__bad_binaries__init(cfg->bad_binaries);
            }
            Temporal__Api__Namespace__V1__BadBinaries *bb = cfg->bad_binaries;
            size_t n = bb->n_binaries + c->bad_binaries->n_binaries;
            if (n > MAX_BAD_BINARIES) {
                sg_call_fail(call, SG_EINVAL,
                             "Total resetBinaries cannot exceed the max limit: %d",
                             MAX_BAD_BINARIES);
                return;
            }
            Temporal__Api__Namespace__V1__BadBinaries__BinariesEntry **all =
                sg_arena_alloc(a, n * sizeof *all);
            if (bb->n_binaries)
                memcpy(all, bb->binaries, bb->n_binaries * sizeof *all);
            memcpy(all + bb->n_binaries, c->bad_binaries->binaries,
                   c->bad_binaries->n_binaries * sizeof *all);
            bb->binaries = all;
            bb->n_binaries = n;
        }
    }
    if (*req->delete_bad_binary) {
        Temporal__Api__Namespace__V1__BadBinaries *bb = cfg->bad_binaries;
        size_t i = 0;
        while (bb && i < bb->n_binaries && strcmp(bb->binaries[i]->key, req->delete_bad_binary))
            i++;
        if (!bb || i == bb->n_binaries) {
            sg_call_fail(call, SG_EINVAL, "Bad binary checksum %s doesn't exists.",
                         req->delete_bad_binary);
            return;
        }
        memmove(bb->binaries + i, bb->binaries + i + 1,
                (bb->n_binaries - i - 1) * sizeof *bb->binaries);
        bb->n_binaries--;
    }
    if (req->replication_config && !cluster_name_ok(req->replication_config->active_cluster_name)) {
        sg_call_fail(call, SG_EINVAL, "Invalid cluster name: %s",
                     req->replication_config->active_cluster_name);
        return;
    }
    int rc = sg_txn_write(sg_frontend_txn(call->fe));
    if (rc == 0) {
        sg_namespace_rec upd;
        desc_to_rec(a, d, version + 1, &upd);
        rc = sg_registry_namespace_update(sg_frontend_registry(call->fe), &upd);
        if (rc < 0)
            sg_txn_poison(sg_frontend_txn(call->fe), rc);
    }
    if (rc < 0) {
        sg_call_fail(call, rc, "cannot store namespace %s", req->namespace_);
        return;
    }
    Temporal__Api__Workflowservice__V1__UpdateNamespaceResponse resp =
        TEMPORAL__API__WORKFLOWSERVICE__V1__UPDATE_NAMESPACE_RESPONSE__INIT;
    resp.namespace_info = d->namespace_info;
    resp.config = d->config;
    resp.replication_config = d->replication_config;
    resp.failover_version = d->failover_version;
    resp.is_global_namespace = d->is_global_namespace;
    sg_call_reply(call, &resp.base);
}

/* DeleteNamespace (OperatorService), as Temporal's delete-namespace workflow does it: the
 * namespace is marked DELETED and renamed "<name>-deleted-<first 5 characters of its id>" at
 * once, so its name is free and every call naming it answers NOT_FOUND; then its runs are
 * deleted in the background by a batch job of the namespace (a delete operation over every run,
 * resumed after a restart, at worker.batcherRPS), which ListBatchOperations on the new name
 * shows. Sandglass keeps the renamed record (ListNamespaces shows it with include_deleted)
 * where Temporal removes it once the runs are gone. */
void sg_fe_delete_namespace(sg_call *call, const ProtobufCMessage *m)
{
    const Temporal__Api__Operatorservice__V1__DeleteNamespaceRequest *req = (const void *)m;
    sg_arena *a = call->arena;
    bool by_name = req->namespace_ && *req->namespace_, by_id = req->namespace_id && *req->namespace_id;
    if (by_name == by_id) {
        sg_call_fail(call, SG_EINVAL, by_name ? "only one of namespace or namespace ID must be set"
                                              : "namespace or namespace ID is required");
        return;
    }
    if (by_name && strcmp(req->namespace_, "temporal-system") == 0) {
        sg_call_fail(call, SG_EPRECOND, "unable to delete system namespace");
        return;
    }
    sg_registry *reg = sg_frontend_registry(call->fe);
    sg_namespace_rec rec;
    const char *key = by_name ? req->namespace_ : req->namespace_id;
    int rc = sg_registry_namespace_get(reg, key, by_id, &rec);
    if (rc < 0) {
        if (rc == SG_ENOTFOUND)
            fail_not_found(call, key);
        else
            sg_call_fail(call, rc, "cannot read namespace %s from the store", key);
        return;
    }
    ns_desc *d = rec_to_desc(a, &rec);
    int64_t version = rec.notification_version;
    char *id = sg_arena_strdup(a, rec.id);
    sg_namespace_rec_deinit(&rec);
    if (!d || !d->namespace_info) {
        sg_call_fail(call, SG_ECORRUPT, "stored namespace %s could not be decoded", key);
        return;
    }
    ns_info *info = d->namespace_info;
    Temporal__Api__Operatorservice__V1__DeleteNamespaceResponse resp =
        TEMPORAL__API__OPERATORSERVICE__V1__DELETE_NAMESPACE_RESPONSE__INIT;
    if (info->state == TEMPORAL__API__ENUMS__V1__NAMESPACE_STATE__NAMESPACE_STATE_DELETED &&
        strstr(info->name, "-deleted-")) {
        resp.deleted_namespace = info->name; /* deleted before: the same answer */
        sg_call_reply(call, &resp.base);
        return;
    }
    /* The first free "<name>-deleted-<id prefix>", the prefix lengthened on a collision. */
    char *new_name = NULL;
    for (size_t len = 5; len <= strlen(id) && !new_name; len++) {
        char *candidate = sg_arena_printf(a, "%s-deleted-%.*s", info->name, (int)len, id);
        sg_namespace_rec other;
        if (sg_registry_namespace_get(reg, candidate, false, &other) == 0)
            sg_namespace_rec_deinit(&other);
        else
            new_name = candidate;
    }
    if (!new_name) {
        sg_call_fail(call, SG_EINTERNAL, "no free name to rename namespace %s to", info->name);
        return;
    }
    info->state = TEMPORAL__API__ENUMS__V1__NAMESPACE_STATE__NAMESPACE_STATE_DELETED;
    info->name = new_name;
    sg_txn *txn = sg_frontend_txn(call->fe);
    rc = sg_txn_write(txn);
    if (rc == 0) {
        sg_namespace_rec upd;
        desc_to_rec(a, d, version + 1, &upd);
        rc = sg_registry_namespace_update(reg, &upd);
    }
    if (rc == 0) {
        /* Reclaim the runs: a delete job over every run of the namespace. */
        Temporal__Api__Batch__V1__BatchOperationDeletion del =
            TEMPORAL__API__BATCH__V1__BATCH_OPERATION_DELETION__INIT;
        del.identity = "sandglass";
        sg_batch_req job = TEMPORAL__API__WORKFLOWSERVICE__V1__START_BATCH_OPERATION_REQUEST__INIT;
        job.namespace_ = new_name;
        job.job_id = sg_arena_printf(a, "reclaim-resources/%s", new_name);
        job.reason = "namespace deleted";
        job.operation_case =
            TEMPORAL__API__WORKFLOWSERVICE__V1__START_BATCH_OPERATION_REQUEST__OPERATION_DELETION_OPERATION;
        job.deletion_operation = &del;
        int64_t total = 0;
        bool grouped;
        int64_t by_status[9];
        const char *why = NULL;
        sg_visibility_count(sg_frontend_visibility(call->fe), a, id, "", &total, &grouped,
                            by_status, &why);
        rc = sg_batch_runner_start(sg_frontend_batch_runner(call->fe), a, id, &job, total,
                                   sg_clock_now_ms(), &why);
    }
    if (rc < 0) {
        sg_txn_poison(txn, rc);
        sg_call_fail(call, rc, "cannot delete namespace %s", key);
        return;
    }
    resp.deleted_namespace = new_name;
    sg_call_reply(call, &resp.base);
}
