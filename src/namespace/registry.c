/* SPDX-License-Identifier: Apache-2.0 */
/* registry.c: the in-memory namespace registry (registry.h).
 *
 * Namespaces live in an array kept sorted by name (ListNamespaces pages in name order) with a
 * hash index by name and by id; each holds its search attributes sorted by name. Writes go to
 * the store first, then to memory; a commit hook reloads everything if the batch fails. */
#include "namespace/registry.h"

#include "core/log.h"
#include "core/map.h"
#include "core/uuid.h"

#include <stdlib.h>
#include <string.h>

typedef struct attr {
    char *name;
    int type;
} attr;

typedef struct ns {
    sg_namespace_rec rec; /* owned */
    attr *attrs;          /* sorted by name */
    size_t n_attrs;
} ns;

struct sg_registry {
    sg_store *st;
    sg_txn *txn;
    ns **all; /* sorted by name */
    size_t n, cap;
    sg_map by_name, by_id;
    char cluster_id[SG_UUID_STR_LEN + 1];
    bool reload_armed;
};

static void ns_free(ns *n)
{
    for (size_t i = 0; i < n->n_attrs; i++)
        sg_free(n->attrs[i].name);
    sg_free(n->attrs);
    sg_namespace_rec_deinit(&n->rec);
    sg_free(n);
}

static void rec_copy(sg_namespace_rec *dst, const sg_namespace_rec *src)
{
    dst->id = sg_strdup(src->id);
    dst->name = sg_strdup(src->name);
    dst->notification_version = src->notification_version;
    dst->info_len = src->info_len;
    dst->info = sg_malloc(src->info_len ? src->info_len : 1);
    if (src->info_len)
        memcpy(dst->info, src->info, src->info_len);
}

static void clear(sg_registry *r)
{
    for (size_t i = 0; i < r->n; i++)
        ns_free(r->all[i]);
    r->n = 0;
    sg_map_deinit(&r->by_name);
    sg_map_deinit(&r->by_id);
    sg_map_init(&r->by_name);
    sg_map_init(&r->by_id);
}

/* Index of the first namespace whose name is > name (after = true) or >= name. */
static size_t lower_bound(const sg_registry *r, const char *name, bool after)
{
    size_t lo = 0, hi = r->n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = strcmp(r->all[mid]->rec.name, name);
        if (c < 0 || (after && c == 0))
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static ns *add(sg_registry *r, const sg_namespace_rec *rec)
{
    ns *n = sg_calloc(1, sizeof *n);
    rec_copy(&n->rec, rec);
    if (r->n == r->cap) {
        r->cap = r->cap ? r->cap * 2 : 8;
        r->all = sg_realloc(r->all, r->cap * sizeof *r->all);
    }
    size_t at = lower_bound(r, rec->name, false);
    memmove(r->all + at + 1, r->all + at, (r->n - at) * sizeof *r->all);
    r->all[at] = n;
    r->n++;
    sg_map_put(&r->by_name, n->rec.name, n);
    sg_map_put(&r->by_id, n->rec.id, n);
    return n;
}

static int add_attr(ns *n, const char *name, int type)
{
    size_t at = 0;
    while (at < n->n_attrs && strcmp(n->attrs[at].name, name) < 0)
        at++;
    if (at < n->n_attrs && strcmp(n->attrs[at].name, name) == 0)
        return SG_EEXIST;
    n->attrs = sg_realloc(n->attrs, (n->n_attrs + 1) * sizeof *n->attrs);
    memmove(n->attrs + at + 1, n->attrs + at, (n->n_attrs - at) * sizeof *n->attrs);
    n->attrs[at] = (attr){ sg_strdup(name), type };
    n->n_attrs++;
    return 0;
}

static const attr *find_attr(const ns *n, const char *name, size_t *index)
{
    for (size_t i = 0; i < n->n_attrs; i++)
        if (strcmp(n->attrs[i].name, name) == 0) {
            if (index)
                *index = i;
            return &n->attrs[i];
        }
    return NULL;
}

static int load_ns(void *ud, const sg_namespace_rec *rec)
{
    add(ud, rec);
    return 0;
}

static int load_attr(void *ud, const char *name, int type)
{
    add_attr(ud, name, type);
    return 0;
}

static int load(sg_registry *r)
{
    clear(r);
    for (;;) {
        const char *after = r->n ? r->all[r->n - 1]->rec.name : "";
        size_t before = r->n;
        int rc = sg_store_namespace_list(r->st, after, 1000, load_ns, r);
        if (rc < 0)
            return rc;
        if (r->n == before)
            break;
    }
    for (size_t i = 0; i < r->n; i++) {
        int rc = sg_store_search_attr_list(r->st, r->all[i]->rec.id, load_attr, r->all[i]);
        if (rc < 0)
            return rc;
    }
    return 0;
}

static void load_cluster_id(sg_registry *r)
{
    char *id = NULL;
    if (sg_store_meta_get(r->st, "cluster_id", &id) == 0 && sg_uuid_is_valid(id)) {
        memcpy(r->cluster_id, id, sizeof r->cluster_id);
        sg_free(id);
        return;
    }
    sg_free(id);
    sg_uuid_v4(r->cluster_id);
    /* Persisted through the first batch; if that batch fails the id is regenerated next start,
     * which nothing has observed durably yet. */
    if (sg_txn_write(r->txn) == 0) {
        int rc = sg_store_meta_put(r->st, "cluster_id", r->cluster_id);
        if (rc < 0)
            sg_txn_poison(r->txn, rc);
    }
}

int sg_registry_open(sg_store *st, sg_txn *txn, sg_registry **out)
{
    sg_registry *r = sg_calloc(1, sizeof *r);
    r->st = st;
    r->txn = txn;
    sg_map_init(&r->by_name);
    sg_map_init(&r->by_id);
    int rc = load(r);
    if (rc < 0) {
        sg_registry_free(r);
        return rc;
    }
    load_cluster_id(r);
    *out = r;
    return 0;
}

void sg_registry_free(sg_registry *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->n; i++)
        ns_free(r->all[i]);
    sg_free(r->all);
    sg_map_deinit(&r->by_name);
    sg_map_deinit(&r->by_id);
    sg_free(r);
}

const char *sg_registry_cluster_id(const sg_registry *r)
{
    return r->cluster_id;
}

/* A change is in memory before its batch commits; if the batch fails, memory goes back to
 * what the store kept. */
static void on_batch_end(void *ud, int status)
{
    sg_registry *r = ud;
    r->reload_armed = false;
    if (status == 0)
        return;
    int rc = load(r);
    if (rc < 0)
        sg_log_error("namespace registry: cannot reload after a failed batch: %s",
                     sg_strerror(rc));
}

static void arm_reload(sg_registry *r)
{
    if (r->reload_armed)
        return;
    r->reload_armed = true;
    sg_txn_on_commit(r->txn, on_batch_end, r);
}

static int write_failed(sg_registry *r, int rc)
{
    if (rc != SG_EEXIST && rc != SG_ENOTFOUND)
        sg_txn_poison(r->txn, rc);
    return rc;
}

int sg_registry_namespace_get(const sg_registry *r, const char *key, bool by_id,
                              sg_namespace_rec *out)
{
    const ns *n = sg_map_get(by_id ? &r->by_id : &r->by_name, key);
    if (!n)
        return SG_ENOTFOUND;
    rec_copy(out, &n->rec);
    return 0;
}

int sg_registry_namespace_list(const sg_registry *r, const char *after_name, int limit,
                               sg_namespace_cb cb, void *ud)
{
    int visited = 0;
    for (size_t i = lower_bound(r, after_name ? after_name : "", true);
         i < r->n && visited < limit; i++) {
        visited++;
        int rc = cb(ud, &r->all[i]->rec);
        if (rc)
            return rc;
    }
    return visited;
}

int sg_registry_namespace_insert(sg_registry *r, const sg_namespace_rec *rec)
{
    if (sg_map_get(&r->by_name, rec->name) || sg_map_get(&r->by_id, rec->id))
        return SG_EEXIST;
    int rc = sg_store_namespace_insert(r->st, rec);
    if (rc < 0)
        return write_failed(r, rc);
    add(r, rec);
    arm_reload(r);
    return 0;
}

int sg_registry_namespace_update(sg_registry *r, const sg_namespace_rec *rec)
{
    ns *n = sg_map_get(&r->by_id, rec->id);
    if (!n)
        return SG_ENOTFOUND;
    int rc = sg_store_namespace_update(r->st, rec);
    if (rc < 0)
        return write_failed(r, rc);
    if (strcmp(n->rec.name, rec->name) != 0) {
        /* A rename (DeleteNamespace): re-filed under the new name, in name order. */
        size_t at = lower_bound(r, n->rec.name, false);
        sg_assert(at < r->n && r->all[at] == n);
        memmove(r->all + at, r->all + at + 1, (r->n - at - 1) * sizeof *r->all);
        r->n--;
        sg_map_del(&r->by_name, n->rec.name);
        sg_free(n->rec.name);
        n->rec.name = sg_strdup(rec->name);
        at = lower_bound(r, n->rec.name, false);
        memmove(r->all + at + 1, r->all + at, (r->n - at) * sizeof *r->all);
        r->all[at] = n;
        r->n++;
        sg_map_put(&r->by_name, n->rec.name, n);
    }
    n->rec.notification_version = rec->notification_version;
    sg_free(n->rec.info);
    n->rec.info_len = rec->info_len;
    n->rec.info = sg_malloc(rec->info_len ? rec->info_len : 1);
    if (rec->info_len)
        memcpy(n->rec.info, rec->info, rec->info_len);
    arm_reload(r);
    return 0;
}

int sg_registry_search_attr_get(const sg_registry *r, const char *namespace_id, const char *name,
                                int *type_out)
{
    const ns *n = sg_map_get(&r->by_id, namespace_id);
    const attr *at = n ? find_attr(n, name, NULL) : NULL;
    if (!at)
        return SG_ENOTFOUND;
    *type_out = at->type;
    return 0;
}

int sg_registry_search_attr_list(const sg_registry *r, const char *namespace_id,
                                 sg_search_attr_cb cb, void *ud)
{
    const ns *n = sg_map_get(&r->by_id, namespace_id);
    if (!n)
        return 0;
    int visited = 0;
    for (size_t i = 0; i < n->n_attrs; i++) {
        visited++;
        int rc = cb(ud, n->attrs[i].name, n->attrs[i].type);
        if (rc)
            return rc;
    }
    return visited;
}

int sg_registry_search_attr_insert(sg_registry *r, const char *namespace_id, const char *name,
                                   int type)
{
    ns *n = sg_map_get(&r->by_id, namespace_id);
    if (!n)
        return SG_ENOTFOUND;
    if (find_attr(n, name, NULL))
        return SG_EEXIST;
    int rc = sg_store_search_attr_insert(r->st, namespace_id, name, type);
    if (rc < 0)
        return write_failed(r, rc);
    add_attr(n, name, type);
    arm_reload(r);
    return 0;
}

int sg_registry_search_attr_delete(sg_registry *r, const char *namespace_id, const char *name)
{
    ns *n = sg_map_get(&r->by_id, namespace_id);
    size_t i;
    if (!n || !find_attr(n, name, &i))
        return SG_ENOTFOUND;
    int rc = sg_store_search_attr_delete(r->st, namespace_id, name);
    if (rc < 0)
        return write_failed(r, rc);
    sg_free(n->attrs[i].name);
    memmove(n->attrs + i, n->attrs + i + 1, (n->n_attrs - i - 1) * sizeof *n->attrs);
    n->n_attrs--;
    arm_reload(r);
    return 0;
}
