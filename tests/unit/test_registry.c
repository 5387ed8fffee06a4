/* SPDX-License-Identifier: Apache-2.0 */
/* test_registry.c: the namespace registry answers from memory (the store's read counter does
 * not move), writes through the group-commit batch, and forgets a change whose batch failed. */
#include "test.h"

#include "namespace/registry.h"

#include <stdio.h>
#include <string.h>
#include <uv.h>

typedef struct env {
    uv_loop_t loop;
    sg_store *st;
    sg_txn *txn;
    sg_registry *r;
} env;

static void env_open(env *v)
{
    uv_loop_init(&v->loop);
    sg_store_options o = { 0 };
    CHECK_EQ_INT(sg_store_open(&o, &v->st), 0);
    v->txn = sg_txn_new(&v->loop, v->st);
    CHECK_EQ_INT(sg_registry_open(v->st, v->txn, &v->r), 0);
    CHECK_EQ_INT(sg_txn_flush(v->txn), 0); /* the new cluster id */
}

static void env_close(env *v)
{
    sg_registry_free(v->r);
    sg_txn_free(v->txn);
    uv_run(&v->loop, UV_RUN_DEFAULT);
    sg_store_close(v->st);
    uv_loop_close(&v->loop);
}

static int insert(env *v, const char *id, const char *name)
{
    uint8_t info[] = { 1, 2, 3 };
    sg_namespace_rec rec = { .id = (char *)id, .name = (char *)name, .notification_version = 1,
                             .info = info, .info_len = sizeof info };
    CHECK_EQ_INT(sg_txn_write(v->txn), 0);
    return sg_registry_namespace_insert(v->r, &rec);
}

static int count_one(void *ud, const sg_namespace_rec *rec)
{
    SG_UNUSED(rec);
    (*(int *)ud)++;
    return 0;
}

static int count_attr(void *ud, const char *name, int type)
{
    SG_UNUSED(name);
    SG_UNUSED(type);
    (*(int *)ud)++;
    return 0;
}

SG_TEST(registry_reads_never_touch_the_store)
{
    env v;
    env_open(&v);
    CHECK_EQ_INT(insert(&v, "id-b", "beta"), 0);
    CHECK_EQ_INT(insert(&v, "id-a", "alpha"), 0);
    CHECK_EQ_INT(sg_registry_search_attr_insert(v.r, "id-a", "CustomerId", 2), 0);
    CHECK_EQ_INT(sg_txn_flush(v.txn), 0);
    uint64_t reads = sg_store_read_count(v.st);
    for (int i = 0; i < 100; i++) {
        sg_namespace_rec rec;
        CHECK_EQ_INT(sg_registry_namespace_get(v.r, "alpha", false, &rec), 0);
        CHECK_EQ_STR(rec.id, "id-a");
        sg_namespace_rec_deinit(&rec);
        CHECK_EQ_INT(sg_registry_namespace_get(v.r, "id-b", true, &rec), 0);
        CHECK_EQ_STR(rec.name, "beta");
        sg_namespace_rec_deinit(&rec);
        CHECK_EQ_INT(sg_registry_namespace_get(v.r, "gamma", false, &rec), SG_ENOTFOUND);
        int n = 0;
        CHECK_EQ_INT(sg_registry_namespace_list(v.r, "", 10, count_one, &n), 2);
        CHECK_EQ_INT(n, 2);
        n = 0;
        CHECK_EQ_INT(sg_registry_namespace_list(v.r, "alpha", 10, count_one, &n), 1);
        int type;
        CHECK_EQ_INT(sg_registry_search_attr_get(v.r, "id-a", "CustomerId", &type), 0);
        CHECK_EQ_INT(type, 2);
        n = 0;
        CHECK_EQ_INT(sg_registry_search_attr_list(v.r, "id-a", count_attr, &n), 1);
    }
    CHECK(sg_store_read_count(v.st) == reads);
    env_close(&v);
}

SG_TEST(registry_forgets_a_change_whose_batch_failed)
{
    env v;
    env_open(&v);
    CHECK_EQ_INT(insert(&v, "id-a", "alpha"), 0);
    CHECK_EQ_INT(sg_txn_flush(v.txn), 0);
    CHECK_EQ_INT(insert(&v, "id-b", "beta"), 0);
    CHECK_EQ_INT(sg_registry_search_attr_insert(v.r, "id-a", "Late", 2), 0);
    sg_namespace_rec rec;
    CHECK_EQ_INT(sg_registry_namespace_get(v.r, "beta", false, &rec), 0); /* visible at once */
    sg_namespace_rec_deinit(&rec);
    sg_txn_poison(v.txn, SG_EIO); /* something else in the batch failed */
    CHECK_EQ_INT(sg_txn_flush(v.txn), SG_EIO);
    CHECK_EQ_INT(sg_registry_namespace_get(v.r, "beta", false, &rec), SG_ENOTFOUND);
    int type;
    CHECK_EQ_INT(sg_registry_search_attr_get(v.r, "id-a", "Late", &type), SG_ENOTFOUND);
    CHECK_EQ_INT(sg_registry_namespace_get(v.r, "alpha", false, &rec), 0);
    sg_namespace_rec_deinit(&rec);
    /* Duplicates are refused from memory, before the store. */
    CHECK_EQ_INT(insert(&v, "id-x", "alpha"), SG_EEXIST);
    CHECK_EQ_INT(sg_txn_flush(v.txn), 0);
    env_close(&v);
}

SG_TEST(registry_keeps_the_cluster_id_across_opens)
{
    char path[512];
    snprintf(path, sizeof path, "%s/reg.db", sg_test_tmpdir());
    char first[64];
    for (int round = 0; round < 2; round++) {
        uv_loop_t loop;
        uv_loop_init(&loop);
        sg_store_options o = { .path = path };
        sg_store *st;
        CHECK_EQ_INT(sg_store_open(&o, &st), 0);
        sg_txn *txn = sg_txn_new(&loop, st);
        sg_registry *r;
        CHECK_EQ_INT(sg_registry_open(st, txn, &r), 0);
        CHECK_EQ_INT(sg_txn_flush(txn), 0);
        if (round == 0)
            snprintf(first, sizeof first, "%s", sg_registry_cluster_id(r));
        else
            CHECK_EQ_STR(sg_registry_cluster_id(r), first);
        sg_registry_free(r);
        sg_txn_free(txn);
        uv_run(&loop, UV_RUN_DEFAULT);
        sg_store_close(st);
        uv_loop_close(&loop);
    }
}

typedef struct names {
    char buf[128];
} names;

static int collect_name(void *ud, const sg_namespace_rec *rec)
{
    names *n = ud;
    size_t len = strlen(n->buf);
    snprintf(n->buf + len, sizeof n->buf - len, "%s%s", len ? "," : "", rec->name);
    return 0;
}

/* A rename (DeleteNamespace) refiles the namespace under its new name, in name order, and a
 * failed batch takes the old name back. */
SG_TEST(registry_renames_in_order_and_undoes_a_failed_rename)
{
    env v;
    env_open(&v);
    CHECK_EQ_INT(insert(&v, "id-a", "alpha"), 0);
    CHECK_EQ_INT(insert(&v, "id-m", "mid"), 0);
    CHECK_EQ_INT(insert(&v, "id-z", "zulu"), 0);
    CHECK_EQ_INT(sg_txn_flush(v.txn), 0);
    uint8_t info[] = { 4 };
    sg_namespace_rec upd = { .id = "id-a", .name = "omega-deleted-id-a", .notification_version = 2,
                             .info = info, .info_len = 1 };
    CHECK_EQ_INT(sg_txn_write(v.txn), 0);
    CHECK_EQ_INT(sg_registry_namespace_update(v.r, &upd), 0);
    CHECK_EQ_INT(sg_txn_flush(v.txn), 0);
    names n = { "" };
    CHECK_EQ_INT(sg_registry_namespace_list(v.r, "", 10, collect_name, &n), 3);
    CHECK_EQ_STR(n.buf, "mid,omega-deleted-id-a,zulu");
    sg_namespace_rec rec;
    CHECK_EQ_INT(sg_registry_namespace_get(v.r, "alpha", false, &rec), SG_ENOTFOUND);
    CHECK_EQ_INT(sg_registry_namespace_get(v.r, "omega-deleted-id-a", false, &rec), 0);
    CHECK_EQ_STR(rec.id, "id-a");
    sg_namespace_rec_deinit(&rec);
    CHECK_EQ_INT(insert(&v, "id-a2", "alpha"), 0); /* the old name is free */
    CHECK_EQ_INT(sg_txn_flush(v.txn), 0);

    upd.id = "id-m";
    upd.name = "aaa";
    CHECK_EQ_INT(sg_txn_write(v.txn), 0);
    CHECK_EQ_INT(sg_registry_namespace_update(v.r, &upd), 0);
    sg_txn_poison(v.txn, SG_EIO);
    CHECK_EQ_INT(sg_txn_flush(v.txn), SG_EIO);
    CHECK_EQ_INT(sg_registry_namespace_get(v.r, "mid", false, &rec), 0);
    sg_namespace_rec_deinit(&rec);
    CHECK_EQ_INT(sg_registry_namespace_get(v.r, "aaa", false, &rec), SG_ENOTFOUND);
    env_close(&v);
}
