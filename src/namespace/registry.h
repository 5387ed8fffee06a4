/* SPDX-License-Identifier: Apache-2.0 */
/* registry.h: namespaces and their custom search attributes, held in memory.
 *
 * Every namespaced RPC starts with a namespace lookup, and visibility, child workflows in
 * other namespaces and the web UI need them too: they read this registry, never the store.
 * It loads everything at open (namespaces are few) and writes through: a change goes into the
 * open group-commit batch and into memory at once; if that batch fails, the registry reloads
 * itself from the store, which rolled the change back. Records handed out are copies (the
 * caller deinits them), so nothing a caller holds changes under it.
 *
 * Also the cluster id, created and persisted at first open. */
#ifndef SG_REGISTRY_H
#define SG_REGISTRY_H

#include "store/store.h"
#include "store/txn.h"

typedef struct sg_registry sg_registry;

/* Loads every namespace and search attribute of st (borrowed, as txn; both outlive it), and
 * the cluster id (a new one is written through the batch if there is none). */
int sg_registry_open(sg_store *st, sg_txn *txn, sg_registry **out);
void sg_registry_free(sg_registry *r);
/* The cluster id (a UUID string). Borrowed. */
const char *sg_registry_cluster_id(const sg_registry *r);

/* As the store's namespace functions (store.h), answered from memory. */
int sg_registry_namespace_get(const sg_registry *r, const char *key, bool by_id,
                              sg_namespace_rec *out);
int sg_registry_namespace_list(const sg_registry *r, const char *after_name, int limit,
                               sg_namespace_cb cb, void *ud);
/* Write-through: the open batch (the caller called sg_txn_write) and memory. SG_EEXIST /
 * SG_ENOTFOUND as the store's; a store error poisons the batch. */
int sg_registry_namespace_insert(sg_registry *r, const sg_namespace_rec *rec);
int sg_registry_namespace_update(sg_registry *r, const sg_namespace_rec *rec);

/* Search attributes of a namespace (by id), as the store's functions, from memory. */
int sg_registry_search_attr_get(const sg_registry *r, const char *namespace_id, const char *name,
                                int *type_out);
int sg_registry_search_attr_list(const sg_registry *r, const char *namespace_id,
                                 sg_search_attr_cb cb, void *ud);
int sg_registry_search_attr_insert(sg_registry *r, const char *namespace_id, const char *name,
                                   int type);
int sg_registry_search_attr_delete(sg_registry *r, const char *namespace_id, const char *name);

#endif
