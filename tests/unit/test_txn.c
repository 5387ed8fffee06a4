/* SPDX-License-Identifier: Apache-2.0 */
/* test_txn.c: group commit — one transaction per loop iteration, completions only after the
 * commit, and nothing acknowledged when the commit or a write fails. */
#include "test.h"

#include "store/txn.h"

#include <uv.h>

typedef struct done_log {
    int calls;
    int status[16];
    bool committed_when_called[16];
    sg_store *st;
} done_log;

static void on_done(void *ud, int status)
{
    done_log *l = ud;
    /* A completion must see its batch finished: no transaction is open. */
    l->committed_when_called[l->calls] = !sg_store_in_txn(l->st);
    l->status[l->calls++] = status;
}

static sg_store *open_mem(void)
{
    sg_store_options o = { 0 };
    sg_store *st;
    CHECK_EQ_INT(sg_store_open(&o, &st), 0);
    return st;
}

static void put(sg_txn *txn, sg_store *st, const char *key, const char *val)
{
    CHECK_EQ_INT(sg_txn_write(txn), 0);
    int rc = sg_store_meta_put(st, key, val);
    if (rc < 0)
        sg_txn_poison(txn, rc);
}

/* Runs one loop iteration: a ref'd zero timer keeps the loop alive long enough for the
 * prepare phase (the group-commit point) to run. */
static void noop_timer(uv_timer_t *t)
{
    SG_UNUSED(t);
}

static void one_iteration(uv_loop_t *loop)
{
    uv_timer_t t;
    uv_timer_init(loop, &t);
    uv_timer_start(&t, noop_timer, 1, 0);
    uv_run(loop, UV_RUN_ONCE);
    uv_close((uv_handle_t *)&t, NULL);
    uv_run(loop, UV_RUN_NOWAIT);
}

static bool has_key(sg_store *st, const char *key)
{
    char *v = NULL;
    int rc = sg_store_meta_get(st, key, &v);
    sg_free(v);
    return rc == 0;
}

SG_TEST(txn_batches_one_commit_per_iteration)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    sg_store *st = open_mem();
    sg_txn *txn = sg_txn_new(&loop, st);
    done_log log = { .st = st };
    for (int i = 0; i < 5; i++) {
        char k[16];
        snprintf(k, sizeof k, "k%d", i);
        put(txn, st, k, "v");
        sg_txn_on_commit(txn, on_done, &log);
    }
    CHECK(sg_txn_is_open(txn));
    CHECK_EQ_INT(log.calls, 0); /* nothing answered before the commit */
    one_iteration(&loop);
    CHECK_EQ_INT(log.calls, 5);
    for (int i = 0; i < 5; i++) {
        CHECK_EQ_INT(log.status[i], 0);
        CHECK(log.committed_when_called[i]);
    }
    CHECK_EQ_INT(sg_txn_commit_count(txn), 1);
    CHECK(has_key(st, "k4"));
    sg_txn_free(txn);
    uv_run(&loop, UV_RUN_DEFAULT);
    sg_store_close(st);
    CHECK_EQ_INT(uv_loop_close(&loop), 0);
}

SG_TEST(txn_without_batch_completes_at_once)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    sg_store *st = open_mem();
    sg_txn *txn = sg_txn_new(&loop, st);
    done_log log = { .st = st };
    sg_txn_on_commit(txn, on_done, &log);
    CHECK_EQ_INT(log.calls, 1);
    CHECK_EQ_INT(log.status[0], 0);
    CHECK_EQ_INT(sg_txn_commit_count(txn), 0);
    sg_txn_free(txn);
    uv_run(&loop, UV_RUN_DEFAULT);
    sg_store_close(st);
    uv_loop_close(&loop);
}

SG_TEST(txn_failed_commit_acknowledges_nothing)
{
    const int errs[] = { SG_EIO, SG_EBUSY, SG_ELIMIT };
    for (size_t e = 0; e < 3; e++) {
        uv_loop_t loop;
        uv_loop_init(&loop);
        sg_store *st = open_mem();
        sg_txn *txn = sg_txn_new(&loop, st);
        put(txn, st, "before", "1");
        CHECK_EQ_INT(sg_txn_flush(txn), 0);
        /* Two writes succeed; the commit (the third store write operation) fails. */
        sg_store_fault_inject(st, 3, errs[e]);
        done_log log = { .st = st };
        put(txn, st, "a", "1");
        sg_txn_on_commit(txn, on_done, &log);
        put(txn, st, "b", "1");
        sg_txn_on_commit(txn, on_done, &log);
        one_iteration(&loop);
        CHECK_EQ_INT(log.calls, 2);
        CHECK_EQ_INT(log.status[0], errs[e]);
        CHECK_EQ_INT(log.status[1], errs[e]);
        CHECK(!has_key(st, "a"));
        CHECK(!has_key(st, "b"));
        CHECK(has_key(st, "before"));
        /* The next batch works. */
        put(txn, st, "c", "1");
        CHECK_EQ_INT(sg_txn_flush(txn), 0);
        CHECK(has_key(st, "c"));
        sg_txn_free(txn);
        uv_run(&loop, UV_RUN_DEFAULT);
        sg_store_close(st);
        uv_loop_close(&loop);
    }
}

SG_TEST(txn_failed_write_poisons_whole_batch)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    sg_store *st = open_mem();
    sg_txn *txn = sg_txn_new(&loop, st);
    done_log log = { .st = st };
    put(txn, st, "ok", "1");
    sg_txn_on_commit(txn, on_done, &log);
    sg_store_fault_inject(st, 1, SG_EIO);
    put(txn, st, "broken", "1"); /* fails and poisons */
    sg_txn_on_commit(txn, on_done, &log);
    one_iteration(&loop);
    CHECK_EQ_INT(log.calls, 2);
    CHECK_EQ_INT(log.status[0], SG_EIO); /* the earlier, successful write is not acknowledged */
    CHECK_EQ_INT(log.status[1], SG_EIO);
    CHECK(!has_key(st, "ok"));
    CHECK_EQ_INT(sg_txn_commit_count(txn), 0);
    sg_txn_free(txn);
    uv_run(&loop, UV_RUN_DEFAULT);
    sg_store_close(st);
    uv_loop_close(&loop);
}

typedef struct chain {
    sg_txn *txn;
    sg_store *st;
    done_log *log;
} chain;

static void on_done_then_write(void *ud, int status)
{
    chain *c = ud;
    CHECK_EQ_INT(status, 0);
    put(c->txn, c->st, "second", "1");
    sg_txn_on_commit(c->txn, on_done, c->log);
}

SG_TEST(txn_completion_that_writes_opens_next_batch)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    sg_store *st = open_mem();
    sg_txn *txn = sg_txn_new(&loop, st);
    done_log log = { .st = st };
    chain c = { txn, st, &log };
    put(txn, st, "first", "1");
    sg_txn_on_commit(txn, on_done_then_write, &c);
    /* The completion runs after the first commit, so its write cannot join that batch. */
    CHECK_EQ_INT(sg_txn_flush(txn), 0);
    CHECK_EQ_INT(sg_txn_commit_count(txn), 1);
    CHECK_EQ_INT(log.calls, 0);
    CHECK(sg_txn_is_open(txn));
    one_iteration(&loop);
    CHECK_EQ_INT(log.calls, 1);
    CHECK_EQ_INT(log.status[0], 0);
    CHECK(has_key(st, "second"));
    CHECK_EQ_INT(sg_txn_commit_count(txn), 2);
    sg_txn_free(txn);
    uv_run(&loop, UV_RUN_DEFAULT);
    sg_store_close(st);
    uv_loop_close(&loop);
}

typedef struct after_ctx {
    sg_txn *txn;
    sg_store *st;
    done_log *log;
    int calls;
    int completions_seen;
} after_ctx;

static void after_write(void *ud)
{
    after_ctx *c = ud;
    c->completions_seen = c->log->calls;
    c->calls++;
    put(c->txn, c->st, "after", "1");
    sg_txn_on_commit(c->txn, on_done, c->log);
}

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* The after-flush pass runs once, after every completion of the batch; a write it makes opens
 * the next batch, which the loop commits on its next turn without blocking for I/O first. */
SG_TEST(txn_after_flush_runs_after_completions_and_its_batch_commits_without_io)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    sg_store *st = open_mem();
    sg_txn *txn = sg_txn_new(&loop, st);
    done_log log = { .st = st };
    after_ctx c = { txn, st, &log, 0, -1 };
    put(txn, st, "first", "1");
    sg_txn_on_commit(txn, on_done, &log);
    sg_txn_after_flush(txn, after_write, &c);
    sg_txn_on_commit(txn, on_done, &log);
    CHECK_EQ_INT(c.calls, 0);
    /* A 2 s timer is all that would wake a blocked loop. Turn 1 commits the first batch in its
     * prepare phase and the after pass opens a second; the poll that follows must not block.
     * Turn 2 commits the second batch. */
    uv_timer_t guard;
    uv_timer_init(&loop, &guard);
    uv_timer_start(&guard, noop_timer, 2000, 0);
    uint64_t t0 = now_ms();
    uv_run(&loop, UV_RUN_ONCE);
    CHECK_EQ_INT(c.calls, 1);
    CHECK_EQ_INT(c.completions_seen, 2);
    CHECK(sg_txn_is_open(txn));
    uv_run(&loop, UV_RUN_ONCE);
    uint64_t took = now_ms() - t0;
    CHECK(took < 1000);
    CHECK_EQ_INT(log.calls, 3);
    CHECK(has_key(st, "after"));
    CHECK(!sg_txn_is_open(txn));
    uv_close((uv_handle_t *)&guard, NULL);
    uv_run(&loop, UV_RUN_NOWAIT);
    /* Without an open batch it runs at once. */
    sg_txn_after_flush(txn, after_write, &c);
    CHECK_EQ_INT(c.calls, 2);
    CHECK_EQ_INT(sg_txn_flush(txn), 0);
    sg_txn_free(txn);
    uv_run(&loop, UV_RUN_DEFAULT);
    sg_store_close(st);
    uv_loop_close(&loop);
}
