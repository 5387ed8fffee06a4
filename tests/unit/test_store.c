/* SPDX-License-Identifier: Apache-2.0 */
/* test_store.c: unit tests for the SQLite store (store/sqlite.c, store/migrate.c).
 *
 * Design note. Each test opens its own database, in memory or in sg_test_tmpdir(). The fault
 * tests run a fixed batch of every write kind plus the commit against a committed baseline and
 * make each step fail in turn with each error, then check the batch left no trace, the baseline
 * survived a reopen, and the same store commits the batch afterwards. Real failures (lock
 * contention from a second connection, a full database via max_page_count, a file that is not a
 * database, a schema from the future) are produced through SQLite itself, to show the injected
 * ones behave the same. Raw sqlite3 calls appear only to set up such files. */
#include <signal.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include "store/store.h"
#include "test.h"

#if defined(__has_include)
#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#endif
#endif
#ifndef RUNNING_ON_VALGRIND
#define RUNNING_ON_VALGRIND 0
#endif

/* The schema version this build migrates to (store/migrate.c). */
enum { SCHEMA_LATEST = 9 };

static char *tmp_path(const char *name)
{
    return sg_asprintf("%s/%s", sg_test_tmpdir(), name);
}

static sg_store *open_at(const char *path)
{
    sg_store_options o = { .path = path };
    sg_store *st = NULL;
    CHECK_EQ_INT(sg_store_open(&o, &st), 0);
    CHECK(st != NULL);
    return st;
}

static sg_namespace_rec ns_rec(const char *id, const char *name, int64_t version,
                               const char *info)
{
    return (sg_namespace_rec){ .id = (char *)id,
                               .name = (char *)name,
                               .notification_version = version,
                               .info = (uint8_t *)info,
                               .info_len = info ? strlen(info) : 0 };
}

static void insert_ns(sg_store *st, const char *id, const char *name, int64_t version,
                      const char *info)
{
    sg_namespace_rec r = ns_rec(id, name, version, info);
    CHECK_EQ_INT(sg_store_namespace_insert(st, &r), 0);
}

/* Checks the namespace named name exists with the given id, version and info. */
static void expect_ns(sg_store *st, const char *name, const char *id, int64_t version,
                      const char *info)
{
    sg_namespace_rec got;
    CHECK_EQ_INT(sg_store_namespace_get(st, name, false, &got), 0);
    CHECK_EQ_STR(got.id, id);
    CHECK_EQ_STR(got.name, name);
    CHECK_EQ_INT(got.notification_version, version);
    CHECK_EQ_INT(got.info_len, strlen(info));
    CHECK(memcmp(got.info, info, got.info_len) == 0);
    sg_namespace_rec_deinit(&got);
}

static void expect_meta(sg_store *st, const char *key, const char *value)
{
    char *v = NULL;
    CHECK_EQ_INT(sg_store_meta_get(st, key, &v), 0);
    CHECK_EQ_STR(v, value);
    sg_free(v);
}

static int raw_exec(const char *path, const char *sql)
{
    sqlite3 *db = NULL;
    int rc = sqlite3_open(path, &db);
    if (rc == SQLITE_OK)
        rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
    sqlite3_close(db);
    return rc;
}

static int raw_int(const char *path, const char *sql)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *s = NULL;
    CHECK_EQ_INT(sqlite3_open(path, &db), SQLITE_OK);
    CHECK_EQ_INT(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK);
    CHECK_EQ_INT(sqlite3_step(s), SQLITE_ROW);
    int v = sqlite3_column_int(s, 0);
    sqlite3_finalize(s);
    sqlite3_close(db);
    return v;
}

static sg_execution_rec ex_rec(const char *ns, const char *wf, const char *run, int status,
                               int64_t start_ms, int64_t close_ms, const char *state)
{
    return (sg_execution_rec){ .namespace_id = (char *)ns,
                               .workflow_id = (char *)wf,
                               .run_id = (char *)run,
                               .status = status,
                               .start_time_ms = start_ms,
                               .close_time_ms = close_ms,
                               .state = (uint8_t *)state,
                               .state_len = state ? strlen(state) : 0 };
}

/* Checks the run (ns, run) exists with these fields. */
static void expect_ex(sg_store *st, const char *ns, const char *run, const char *wf, int status,
                      int64_t start_ms, int64_t close_ms, const char *state)
{
    sg_execution_rec got;
    CHECK_EQ_INT(sg_store_execution_get(st, ns, run, &got), 0);
    CHECK_EQ_STR(got.namespace_id, ns);
    CHECK_EQ_STR(got.workflow_id, wf);
    CHECK_EQ_STR(got.run_id, run);
    CHECK_EQ_INT(got.status, status);
    CHECK_EQ_INT(got.start_time_ms, start_ms);
    CHECK_EQ_INT(got.close_time_ms, close_ms);
    CHECK(got.state != NULL);
    CHECK_EQ_INT(got.state_len, strlen(state));
    CHECK(memcmp(got.state, state, got.state_len) == 0);
    sg_execution_rec_deinit(&got);
}

static void expect_no_ex(sg_store *st, const char *ns, const char *run)
{
    sg_execution_rec got;
    CHECK_EQ_INT(sg_store_execution_get(st, ns, run, &got), SG_ENOTFOUND);
    CHECK(got.run_id == NULL && got.state == NULL);
}

static void put_current(sg_store *st, const char *ns, const char *wf, const char *run, int status,
                        const char *request_id)
{
    sg_current_rec r = { .run_id = (char *)run, .status = status,
                         .start_request_id = (char *)request_id };
    CHECK_EQ_INT(sg_store_current_put(st, ns, wf, &r), 0);
}

static void expect_current(sg_store *st, const char *ns, const char *wf, const char *run,
                           int status, const char *request_id)
{
    sg_current_rec got;
    CHECK_EQ_INT(sg_store_current_get(st, ns, wf, &got), 0);
    CHECK_EQ_STR(got.run_id, run);
    CHECK_EQ_INT(got.status, status);
    CHECK_EQ_STR(got.start_request_id, request_id);
    sg_current_rec_deinit(&got);
    CHECK(got.run_id == NULL && got.start_request_id == NULL);
    sg_current_rec_deinit(&got); /* safe twice */
}

/* The bytes stored for batch first..last: names the batch, and holds a zero and a 0xff byte so
 * a blob truncated at a NUL or mangled as text shows. */
static size_t batch_bytes(int64_t first, int64_t last, uint8_t *buf, size_t cap)
{
    int n = snprintf((char *)buf, cap, "batch %lld-%lld", (long long)first, (long long)last);
    CHECK(n > 0 && (size_t)n + 2 <= cap);
    buf[n] = 0x00;
    buf[n + 1] = 0xff;
    return (size_t)n + 2;
}

static int append_batch(sg_store *st, const char *ns, const char *run, int64_t first,
                        int64_t last)
{
    uint8_t buf[64];
    size_t len = batch_bytes(first, last, buf, sizeof buf);
    return sg_store_history_append(st, ns, run, first, last, buf, len);
}

typedef struct batch_list {
    char text[256]; /* "1-3 4-4" */
    int n;
    int stop_at;    /* return stop_value when this many were seen; 0 = never */
    int stop_value;
} batch_list;

static int collect_batch(void *ud, int64_t first, int64_t last, const uint8_t *data, size_t len)
{
    batch_list *l = ud;
    uint8_t want[64];
    size_t want_len = batch_bytes(first, last, want, sizeof want);
    CHECK_EQ_INT(len, want_len);
    CHECK(memcmp(data, want, len) == 0);
    size_t used = strlen(l->text);
    snprintf(l->text + used, sizeof l->text - used, "%s%lld-%lld", l->n ? " " : "",
             (long long)first, (long long)last);
    l->n++;
    return l->stop_at && l->n == l->stop_at ? l->stop_value : 0;
}

/* Reads a run's history forward from bound (reverse: back from bound) and returns the batches
 * visited as "1-3 4-4"; checks the return value counts them. Static buffer: valid until the
 * next call. */
static const char *read_hist(sg_store *st, const char *ns, const char *run, bool reverse,
                             int64_t bound, int64_t max_events)
{
    static batch_list l;
    memset(&l, 0, sizeof l);
    int n = reverse ? sg_store_history_read_reverse(st, ns, run, bound, max_events,
                                                    collect_batch, &l)
                    : sg_store_history_read(st, ns, run, bound, max_events, collect_batch, &l);
    CHECK_EQ_INT(n, l.n);
    return l.text;
}

/* ---- open, close, migrations ---- */

SG_TEST(store_open_in_memory)
{
    sg_store_options o = { 0 };
    sg_store *a = NULL, *b = NULL;
    CHECK_EQ_INT(sg_store_open(&o, &a), 0);
    o.path = "";
    CHECK_EQ_INT(sg_store_open(&o, &b), 0);
    CHECK_EQ_STR(sg_store_location(a), "in memory");
    CHECK_EQ_INT(sg_store_schema_version(a), SCHEMA_LATEST);
    CHECK(!sg_store_in_txn(a));

    /* Two in-memory stores are separate databases. */
    CHECK_EQ_INT(sg_store_begin(a), 0);
    CHECK_EQ_INT(sg_store_meta_put(a, "cluster_id", "a"), 0);
    CHECK(sg_store_in_txn(a));
    CHECK_EQ_INT(sg_store_commit(a), 0);
    CHECK(!sg_store_in_txn(a));
    char *v = NULL;
    CHECK_EQ_INT(sg_store_meta_get(b, "cluster_id", &v), SG_ENOTFOUND);
    CHECK(v == NULL);
    expect_meta(a, "cluster_id", "a");
    sg_store_close(a);
    sg_store_close(b);
    sg_store_close(NULL);
}

SG_TEST(store_open_file_uses_wal_and_migrates)
{
    char *path = tmp_path("sg.db");
    sg_store *st = open_at(path);
    CHECK_EQ_STR(sg_store_location(st), path);
    CHECK_EQ_INT(sg_store_schema_version(st), SCHEMA_LATEST);
    sg_store_close(st);

    CHECK_EQ_INT(raw_int(path, "PRAGMA user_version"), SCHEMA_LATEST);
    CHECK_EQ_INT(raw_int(path, "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name "
                               "IN ('meta', 'namespaces', 'search_attributes', 'executions', "
                               "'current_runs', 'history')"),
                 6);
    CHECK_EQ_INT(raw_int(path, "SELECT count(*) FROM sqlite_schema WHERE type = 'index' AND name "
                               "= 'executions_running'"),
                 1);
    /* v9 dropped the workflow-id index of executions, which nothing read. */
    CHECK_EQ_INT(raw_int(path, "SELECT count(*) FROM sqlite_schema WHERE type = 'index' AND name "
                               "= 'executions_by_workflow'"),
                 0);
    sqlite3 *db = NULL;
    sqlite3_stmt *s = NULL;
    CHECK_EQ_INT(sqlite3_open(path, &db), SQLITE_OK);
    CHECK_EQ_INT(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &s, NULL), SQLITE_OK);
    CHECK_EQ_INT(sqlite3_step(s), SQLITE_ROW);
    CHECK_EQ_STR((const char *)sqlite3_column_text(s, 0), "wal");
    sqlite3_finalize(s);
    sqlite3_close(db);

    /* Reopening an up-to-date database runs no migration and keeps the version. */
    st = open_at(path);
    CHECK_EQ_INT(sg_store_schema_version(st), SCHEMA_LATEST);
    sg_store_close(st);
    sg_free(path);
}

SG_TEST(store_data_persists_across_reopen)
{
    char *path = tmp_path("persist.db");
    sg_store *st = open_at(path);
    CHECK_EQ_INT(sg_store_begin(st), 0);
    CHECK_EQ_INT(sg_store_meta_put(st, "cluster_id", "c-1"), 0);
    insert_ns(st, "id-1", "default", 1, "info-1");
    CHECK_EQ_INT(sg_store_search_attr_insert(st, "id-1", "CustomKeyword", 2), 0);
    sg_execution_rec run = ex_rec("id-1", "wf-1", "run-1", 1, 1000, 0, "state-1");
    CHECK_EQ_INT(sg_store_execution_insert(st, &run), 0);
    put_current(st, "id-1", "wf-1", "run-1", 1, "req-1");
    CHECK_EQ_INT(append_batch(st, "id-1", "run-1", 1, 3), 0);
    CHECK_EQ_INT(sg_store_commit(st), 0);
    /* A second transaction's changes to the same rows persist as well. */
    run = ex_rec("id-1", "wf-1", "run-1", 2, 1000, 2000, "state-2");
    CHECK_EQ_INT(sg_store_begin(st), 0);
    CHECK_EQ_INT(sg_store_execution_update(st, &run), 0);
    put_current(st, "id-1", "wf-1", "run-1", 2, "req-1");
    CHECK_EQ_INT(append_batch(st, "id-1", "run-1", 4, 5), 0);
    CHECK_EQ_INT(sg_store_commit(st), 0);
    sg_store_close(st);

    st = open_at(path);
    expect_meta(st, "cluster_id", "c-1");
    expect_ns(st, "default", "id-1", 1, "info-1");
    int type = -1;
    CHECK_EQ_INT(sg_store_search_attr_get(st, "id-1", "CustomKeyword", &type), 0);
    CHECK_EQ_INT(type, 2);
    expect_ex(st, "id-1", "run-1", "wf-1", 2, 1000, 2000, "state-2");
    expect_current(st, "id-1", "wf-1", "run-1", 2, "req-1");
    CHECK_EQ_STR(read_hist(st, "id-1", "run-1", false, 1, 0), "1-3 4-5");
    sg_store_close(st);
    sg_free(path);
}

SG_TEST(store_close_rolls_back_open_txn)
{
    char *path = tmp_path("close.db");
    sg_store *st = open_at(path);
    CHECK_EQ_INT(sg_store_begin(st), 0);
    insert_ns(st, "id-1", "lost", 1, "x");
    sg_store_close(st);

    st = open_at(path);
    sg_namespace_rec got;
    CHECK_EQ_INT(sg_store_namespace_get(st, "lost", false, &got), SG_ENOTFOUND);
    sg_store_close(st);
    sg_free(path);
}

SG_TEST(store_newer_schema_is_corrupt)
{
    char *path = tmp_path("future.db");
    sg_store_close(open_at(path));
    CHECK_EQ_INT(raw_exec(path, "PRAGMA user_version = 99"), SQLITE_OK);
    sg_store_options o = { .path = path };
    sg_store *st = (sg_store *)&o; /* must be reset to NULL on failure */
    CHECK_EQ_INT(sg_store_open(&o, &st), SG_ECORRUPT);
    CHECK(st == NULL);
    /* Refusing must not touch the file: the version is still the future one. */
    CHECK_EQ_INT(raw_int(path, "PRAGMA user_version"), 99);
    sg_free(path);
}

/* A database as version 1 of the schema left it, with data: the fixture for upgrades. The
 * schema text is a copy of migration_v1 on purpose; released migrations never change. */
static void make_v1_database(const char *path)
{
    static const char v1[] =
        "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);"
        "CREATE TABLE namespaces (id TEXT PRIMARY KEY, name TEXT UNIQUE NOT NULL,"
        "  notification_version INTEGER NOT NULL, info BLOB NOT NULL);"
        "CREATE TABLE search_attributes (namespace_id TEXT NOT NULL REFERENCES namespaces(id),"
        "  name TEXT NOT NULL, type INTEGER NOT NULL, PRIMARY KEY (namespace_id, name));"
        "INSERT INTO meta VALUES ('cluster_id', 'c-1');"
        "INSERT INTO namespaces VALUES ('id-1', 'default', 3, CAST('info-1' AS BLOB));"
        "INSERT INTO search_attributes VALUES ('id-1', 'CustomKeyword', 2);"
        "PRAGMA journal_mode = WAL;"
        "PRAGMA user_version = 1;";
    CHECK_EQ_INT(raw_exec(path, v1), SQLITE_OK);
    CHECK_EQ_INT(raw_int(path, "PRAGMA user_version"), 1);
}

SG_TEST(store_migrates_v1_database_in_place)
{
    char *path = tmp_path("v1.db");
    make_v1_database(path);

    sg_store *st = open_at(path);
    CHECK_EQ_INT(sg_store_schema_version(st), SCHEMA_LATEST);
    expect_meta(st, "cluster_id", "c-1");
    expect_ns(st, "default", "id-1", 3, "info-1");
    int type = -1;
    CHECK_EQ_INT(sg_store_search_attr_get(st, "id-1", "CustomKeyword", &type), 0);
    CHECK_EQ_INT(type, 2);

    /* The new tables work next to the old data. */
    sg_execution_rec r = ex_rec("id-1", "wf-1", "run-1", 1, 1000, 0, "state");
    CHECK_EQ_INT(sg_store_begin(st), 0);
    CHECK_EQ_INT(sg_store_execution_insert(st, &r), 0);
    put_current(st, "id-1", "wf-1", "run-1", 1, "req-1");
    CHECK_EQ_INT(append_batch(st, "id-1", "run-1", 1, 3), 0);
    insert_ns(st, "id-2", "second", 1, "info-2");
    CHECK_EQ_INT(sg_store_commit(st), 0);
    sg_store_close(st);

    CHECK_EQ_INT(raw_int(path, "PRAGMA user_version"), SCHEMA_LATEST);
    st = open_at(path);
    CHECK_EQ_INT(sg_store_schema_version(st), SCHEMA_LATEST);
    expect_ns(st, "default", "id-1", 3, "info-1");
    expect_ns(st, "second", "id-2", 1, "info-2");
    expect_ex(st, "id-1", "run-1", "wf-1", 1, 1000, 0, "state");
    expect_current(st, "id-1", "wf-1", "run-1", 1, "req-1");
    CHECK_EQ_STR(read_hist(st, "id-1", "run-1", false, 1, 0), "1-3");
    sg_store_close(st);
    sg_free(path);
}

SG_TEST(store_failed_migration_leaves_previous_version)
{
    char *path = tmp_path("v1-blocked.db");
    make_v1_database(path);
    /* A stray table where v2 creates one makes the migration fail half-way through. */
    CHECK_EQ_INT(raw_exec(path, "CREATE TABLE history (x)"), SQLITE_OK);

    sg_store_options o = { .path = path };
    sg_store *st = NULL;
    CHECK_EQ_INT(sg_store_open(&o, &st), SG_EIO);
    CHECK(st == NULL);
    /* All of v2 or none of it: the tables created before the failing one are gone too. */
    CHECK_EQ_INT(raw_int(path, "PRAGMA user_version"), 1);
    CHECK_EQ_INT(raw_int(path, "SELECT count(*) FROM sqlite_schema WHERE name IN "
                               "('executions', 'executions_running', 'current_runs')"),
                 0);
    CHECK_EQ_INT(raw_int(path, "SELECT count(*) FROM namespaces"), 1);

    CHECK_EQ_INT(raw_exec(path, "DROP TABLE history"), SQLITE_OK);
    st = open_at(path);
    CHECK_EQ_INT(sg_store_schema_version(st), SCHEMA_LATEST);
    expect_ns(st, "default", "id-1", 3, "info-1");
    sg_store_close(st);
    sg_free(path);
}

SG_TEST(store_foreign_database_is_refused)
{
    char *path = tmp_path("foreign.db");
    CHECK_EQ_INT(raw_exec(path, "CREATE TABLE accounts (id INTEGER PRIMARY KEY)"), SQLITE_OK);
    sg_store_options o = { .path = path };
    sg_store *st = NULL;
    CHECK_EQ_INT(sg_store_open(&o, &st), SG_ECORRUPT);
    CHECK(st == NULL);
    CHECK_EQ_INT(raw_int(path, "SELECT count(*) FROM sqlite_schema"), 1);
    sg_free(path);
}

SG_TEST(store_garbage_file_fails_cleanly)
{
    char *path = tmp_path("garbage.db");
    FILE *f = fopen(path, "wb");
    CHECK(f != NULL);
    for (int i = 0; i < 8192; i++)
        fputc("not a database, just bytes\n"[i % 27], f);
    fclose(f);
    sg_store_options o = { .path = path };
    sg_store *st = NULL;
    CHECK_EQ_INT(sg_store_open(&o, &st), SG_ECORRUPT);
    CHECK(st == NULL);

    /* An empty file, by contrast, is a valid empty database. */
    f = fopen(path, "wb");
    CHECK(f != NULL);
    fclose(f);
    st = open_at(path);
    CHECK_EQ_INT(sg_store_schema_version(st), SCHEMA_LATEST);
    sg_store_close(st);
    sg_free(path);
}

SG_TEST(store_unopenable_path_is_eio)
{
    char *path = tmp_path("no/such/dir/sg.db");
    sg_store_options o = { .path = path };
    sg_store *st = NULL;
    CHECK_EQ_INT(sg_store_open(&o, &st), SG_EIO);
    CHECK(st == NULL);
    sg_free(path);
}

SG_TEST(store_pragmas_validated)
{
    char *path = tmp_path("pragma.db");
    static const char *const bad[] = {
        "cache_size",                     /* no value */
        "=100",                           /* no key */
        "cache_size=",                    /* empty value */
        "Cache_size=100",                 /* key not [a-z_] */
        "cache size=100",                 /* space in key */
        "cache_size=1; DROP TABLE meta",  /* a second statement */
        "cache_size=1'",                  /* quote */
        "user_version=7",                 /* owned by the migrations */
        "writable_schema=1",
        NULL,
    };
    for (size_t i = 0; i < SG_ARRAY_LEN(bad); i++) {
        const char *one[] = { bad[i] };
        sg_store_options o = { .path = path, .pragmas = one, .n_pragmas = 1 };
        sg_store *st = NULL;
        CHECK_EQ_INT(sg_store_open(&o, &st), SG_EINVAL);
        CHECK(st == NULL);
        CHECK(access(path, F_OK) != 0); /* rejected before the file is created */
    }

    /* A well-formed pragma SQLite cannot parse is still the caller's input: SG_EINVAL. */
    const char *unparsable[] = { "cache_size=1-" };
    sg_store_options o = { .path = path, .pragmas = unparsable, .n_pragmas = 1 };
    sg_store *st = NULL;
    CHECK_EQ_INT(sg_store_open(&o, &st), SG_EINVAL);
    CHECK(st == NULL);

    const char *good[] = { "cache_size=-4000", "synchronous=NORMAL", "temp_store=2" };
    o = (sg_store_options){ .path = path, .pragmas = good, .n_pragmas = 3 };
    CHECK_EQ_INT(sg_store_open(&o, &st), 0);
    CHECK_EQ_INT(sg_store_schema_version(st), SCHEMA_LATEST);
    sg_store_close(st);
    sg_free(path);
}

SG_TEST(store_write_outside_txn_asserts)
{
    /* Valgrind reports the aborted child's live SQLite memory as leaks; the check is the same
     * under ASan, so skip it there rather than teach the leak check to ignore it. */
    if (RUNNING_ON_VALGRIND)
        return;
    sg_store *st = open_at(NULL);
    sg_execution_rec run = ex_rec("ns", "wf", "run", 1, 1, 0, "s");
    sg_current_rec cur = { .run_id = "run", .status = 1, .start_request_id = "req" };
    for (int kind = 0; kind < 5; kind++) {
        fflush(NULL);
        pid_t pid = fork();
        CHECK(pid >= 0);
        if (pid == 0) {
            /* The assertion message on stderr is expected. */
            switch (kind) {
            case 0: sg_store_meta_put(st, "k", "v"); break;
            case 1: sg_store_execution_insert(st, &run); break;
            case 2: sg_store_execution_update(st, &run); break;
            case 3: sg_store_current_put(st, "ns", "wf", &cur); break;
            case 4: append_batch(st, "ns", "run", 1, 1); break;
            }
            _exit(0);
        }
        int status = 0;
        CHECK_EQ_INT(waitpid(pid, &status, 0), pid);
        CHECK(WIFSIGNALED(status));
        CHECK_EQ_INT(WTERMSIG(status), SIGABRT);
    }
    sg_store_close(st);
}

/* ---- transactions ---- */

SG_TEST(store_txn_reads_own_writes_and_rolls_back)
{
    sg_store *st = open_at(NULL);
    CHECK_EQ_INT(sg_store_begin(st), 0);
    insert_ns(st, "id-1", "ns1", 1, "a");
    expect_ns(st, "ns1", "id-1", 1, "a");
    CHECK_EQ_INT(sg_store_meta_put(st, "k", "v"), 0);
    expect_meta(st, "k", "v");
    sg_store_rollback(st);
    CHECK(!sg_store_in_txn(st));
    sg_store_rollback(st); /* no-op when none is open */

    sg_namespace_rec got;
    CHECK_EQ_INT(sg_store_namespace_get(st, "ns1", false, &got), SG_ENOTFOUND);
    char *v = NULL;
    CHECK_EQ_INT(sg_store_meta_get(st, "k", &v), SG_ENOTFOUND);
    sg_store_close(st);
}

/* ---- metadata ---- */

SG_TEST(store_meta_get_put)
{
    sg_store *st = open_at(NULL);
    char *v = NULL;
    CHECK_EQ_INT(sg_store_meta_get(st, "cluster_id", &v), SG_ENOTFOUND);
    CHECK_EQ_INT(sg_store_begin(st), 0);
    CHECK_EQ_INT(sg_store_meta_put(st, "cluster_id", "first"), 0);
    CHECK_EQ_INT(sg_store_meta_put(st, "other", ""), 0);
    CHECK_EQ_INT(sg_store_commit(st), 0);
    expect_meta(st, "cluster_id", "first");
    expect_meta(st, "other", "");

    CHECK_EQ_INT(sg_store_begin(st), 0);
    CHECK_EQ_INT(sg_store_meta_put(st, "cluster_id", "second"), 0);
    CHECK_EQ_INT(sg_store_commit(st), 0);
    expect_meta(st, "cluster_id", "second");
    sg_store_close(st);
}

/* ---- namespaces ---- */

SG_TEST(store_namespace_insert_get_update)
{
    sg_store *st = open_at(NULL);
    static const uint8_t blob[] = { 0x0a, 0x00, 0xff, 0x00, 0x7f };
    sg_namespace_rec r = { .id = "id-1", .name = "default", .notification_version = 1,
                           .info = (uint8_t *)blob, .info_len = sizeof blob };
    CHECK_EQ_INT(sg_store_begin(st), 0);
    CHECK_EQ_INT(sg_store_namespace_insert(st, &r), 0);
    insert_ns(st, "id-2", "empty-info", 7, NULL);
    CHECK_EQ_INT(sg_store_commit(st), 0);

    /* By name and by id; the blob keeps its embedded zero bytes. */
    for (int by_id = 0; by_id < 2; by_id++) {
        sg_namespace_rec got;
        CHECK_EQ_INT(sg_store_namespace_get(st, by_id ? "id-1" : "default", by_id, &got), 0);
        CHECK_EQ_STR(got.id, "id-1");
        CHECK_EQ_STR(got.name, "default");
        CHECK_EQ_INT(got.notification_version, 1);
        CHECK_EQ_INT(got.info_len, sizeof blob);
        CHECK(memcmp(got.info, blob, sizeof blob) == 0);
        sg_namespace_rec_deinit(&got);
        CHECK(got.id == NULL && got.name == NULL && got.info == NULL && got.info_len == 0);
        sg_namespace_rec_deinit(&got); /* safe twice */
    }
    expect_ns(st, "empty-info", "id-2", 7, "");

    /* Name and id are distinct keys: a name is not found as an id and vice versa. */
    sg_namespace_rec got;
    CHECK_EQ_INT(sg_store_namespace_get(st, "default", true, &got), SG_ENOTFOUND);
    CHECK_EQ_INT(sg_store_namespace_get(st, "id-1", false, &got), SG_ENOTFOUND);
    CHECK_EQ_INT(sg_store_namespace_get(st, "missing", false, &got), SG_ENOTFOUND);
    CHECK(got.id == NULL);

    /* Update replaces version and info, and the name (a deleted namespace is renamed). */
    sg_namespace_rec upd = ns_rec("id-1", "default-deleted-id-1", 2, "new info");
    CHECK_EQ_INT(sg_store_begin(st), 0);
    CHECK_EQ_INT(sg_store_namespace_update(st, &upd), 0);
    sg_namespace_rec missing = ns_rec("id-404", "x", 1, "y");
    CHECK_EQ_INT(sg_store_namespace_update(st, &missing), SG_ENOTFOUND);
    CHECK_EQ_INT(sg_store_commit(st), 0); /* SG_ENOTFOUND did not spoil the transaction */
    expect_ns(st, "default-deleted-id-1", "id-1", 2, "new info");
    CHECK_EQ_INT(sg_store_namespace_get(st, "default", false, &got), SG_ENOTFOUND);
    sg_store_close(st);
}

SG_TEST(store_namespace_duplicate_is_eexist)
{
    sg_store *st = open_at(NULL);
    CHECK_EQ_INT(sg_store_begin(st), 0);
    insert_ns(st, "id-1", "default", 1, "orig");
    sg_namespace_rec same_name = ns_rec("id-2", "default", 1, "dup");
    sg_namespace_rec same_id = ns_rec("id-1", "other", 1, "dup");
    CHECK_EQ_INT(sg_store_namespace_insert(st, &same_name), SG_EEXIST);
    CHECK_EQ_INT(sg_store_namespace_insert(st, &same_id), SG_EEXIST);
    /* The batch goes on: a conflict is an answer, not a failed transaction. */
    insert_ns(st, "id-3", "third", 1, "t");
    CHECK_EQ_INT(sg_store_commit(st), 0);

    expect_ns(st, "default", "id-1", 1, "orig");
    expect_ns(st, "third", "id-3", 1, "t");
    sg_namespace_rec got;
    CHECK_EQ_INT(sg_store_namespace_get(st, "other", false, &got), SG_ENOTFOUND);
    CHECK_EQ_INT(sg_store_namespace_get(st, "id-2", true, &got), SG_ENOTFOUND);

    /* And across transactions. */
    CHECK_EQ_INT(sg_store_begin(st), 0);
    CHECK_EQ_INT(sg_store_namespace_insert(st, &same_name), SG_EEXIST);
    CHECK_EQ_INT(sg_store_commit(st), 0);
    sg_store_close(st);
}

typedef struct name_list {
    char names[16][32];
    int n;
    int stop_at; /* return stop_value when this many were seen; 0 = never */
    int stop_value;
} name_list;

static int collect_ns(void *ud, const sg_namespace_rec *rec)
{
    name_list *l = ud;
    CHECK(l->n < 16);
    snprintf(l->names[l->n++], sizeof l->names[0], "%s", rec->name);
    CHECK(rec->info != NULL);
    return l->stop_at && l->n == l->stop_at ? l->stop_value : 0;
}

SG_TEST(store_namespace_list_paging)
{
    sg_store *st = open_at(NULL);
    static const char *const names[] = { "delta", "alpha", "echo", "charlie", "bravo" };
    CHECK_EQ_INT(sg_store_begin(st), 0);
    for (size_t i = 0; i < SG_ARRAY_LEN(names); i++) {
        char id[16];
        snprintf(id, sizeof id, "id-%zu", i);
        insert_ns(st, id, names[i], 1, names[i]);
    }
    CHECK_EQ_INT(sg_store_commit(st), 0);

    /* Pages of two, each continuing after the last name of the previous one. */
    static const char *const sorted[] = { "alpha", "bravo", "charlie", "delta", "echo" };
    name_list all = { .n = 0 };
    const char *after = "";
    for (int page = 0; page < 4; page++) {
        name_list l = { .n = 0 };
        int n = sg_store_namespace_list(st, after, 2, collect_ns, &l);
        CHECK_EQ_INT(n, page < 2 ? 2 : page == 2 ? 1 : 0);
        CHECK_EQ_INT(l.n, n);
        for (int i = 0; i < l.n; i++)
            memcpy(all.names[all.n++], l.names[i], sizeof l.names[i]);
        if (n)
            after = all.names[all.n - 1];
    }
    CHECK_EQ_INT(all.n, 5);
    for (int i = 0; i < 5; i++)
        CHECK_EQ_STR(all.names[i], sorted[i]);

    /* No limit (0), NULL after_name, and after a name that does not exist. */
    name_list l = { .n = 0 };
    CHECK_EQ_INT(sg_store_namespace_list(st, NULL, 0, collect_ns, &l), 5);
    l.n = 0;
    CHECK_EQ_INT(sg_store_namespace_list(st, "c", 10, collect_ns, &l), 3);
    CHECK_EQ_STR(l.names[0], "charlie");

    /* The callback's non-zero return stops the scan and is returned as is. */
    l = (name_list){ .stop_at = 2, .stop_value = 42 };
    CHECK_EQ_INT(sg_store_namespace_list(st, "", 10, collect_ns, &l), 42);
    CHECK_EQ_INT(l.n, 2);
    l = (name_list){ .stop_at = 1, .stop_value = SG_ECANCELED };
    CHECK_EQ_INT(sg_store_namespace_list(st, "", 10, collect_ns, &l), SG_ECANCELED);

    /* A stopped scan leaves nothing busy: the next one starts from the top. */
    l = (name_list){ .n = 0 };
    CHECK_EQ_INT(sg_store_namespace_list(st, "", 1, collect_ns, &l), 1);
    CHECK_EQ_STR(l.names[0], "alpha");
    sg_store_close(st);
}

/* ---- search attributes ---- */

static int collect_sa(void *ud, const char *name, int type)
{
    name_list *l = ud;
    CHECK(l->n < 16);
    snprintf(l->names[l->n++], sizeof l->names[0], "%s=%d", name, type);
    return l->stop_at && l->n == l->stop_at ? l->stop_value : 0;
}

SG_TEST(store_search_attributes)
{
    sg_store *st = open_at(NULL);
    CHECK_EQ_INT(sg_store_begin(st), 0);
    insert_ns(st, "ns-a", "a", 1, "");
    insert_ns(st, "ns-b", "b", 1, "");
    CHECK_EQ_INT(sg_store_search_attr_insert(st, "ns-a", "Zeta", 1), 0);
    CHECK_EQ_INT(sg_store_search_attr_insert(st, "ns-a", "Alpha", 2), 0);
    CHECK_EQ_INT(sg_store_search_attr_insert(st, "ns-a", "Mid", 4), 0);
    CHECK_EQ_INT(sg_store_search_attr_insert(st, "ns-b", "Alpha", 5), 0);
    CHECK_EQ_INT(sg_store_search_attr_insert(st, "ns-a", "Alpha", 3), SG_EEXIST);
    /* The namespace must exist (foreign key). */
    CHECK_EQ_INT(sg_store_search_attr_insert(st, "ns-none", "Alpha", 3), SG_ENOTFOUND);
    CHECK_EQ_INT(sg_store_commit(st), 0);

    int type = -1;
    CHECK_EQ_INT(sg_store_search_attr_get(st, "ns-a", "Alpha", &type), 0);
    CHECK_EQ_INT(type, 2);
    CHECK_EQ_INT(sg_store_search_attr_get(st, "ns-b", "Alpha", &type), 0);
    CHECK_EQ_INT(type, 5);
    CHECK_EQ_INT(sg_store_search_attr_get(st, "ns-b", "Zeta", &type), SG_ENOTFOUND);

    name_list l = { .n = 0 };
    CHECK_EQ_INT(sg_store_search_attr_list(st, "ns-a", collect_sa, &l), 3);
    CHECK_EQ_STR(l.names[0], "Alpha=2");
    CHECK_EQ_STR(l.names[1], "Mid=4");
    CHECK_EQ_STR(l.names[2], "Zeta=1");
    l = (name_list){ .stop_at = 2, .stop_value = 9 };
    CHECK_EQ_INT(sg_store_search_attr_list(st, "ns-a", collect_sa, &l), 9);
    CHECK_EQ_INT(l.n, 2);
    l = (name_list){ .n = 0 };
    CHECK_EQ_INT(sg_store_search_attr_list(st, "ns-none", collect_sa, &l), 0);

    CHECK_EQ_INT(sg_store_begin(st), 0);
    CHECK_EQ_INT(sg_store_search_attr_delete(st, "ns-a", "Mid"), 0);
    CHECK_EQ_INT(sg_store_search_attr_delete(st, "ns-a", "Mid"), SG_ENOTFOUND);
    CHECK_EQ_INT(sg_store_search_attr_delete(st, "ns-b", "Zeta"), SG_ENOTFOUND);
    CHECK_EQ_INT(sg_store_commit(st), 0);
    CHECK_EQ_INT(sg_store_search_attr_get(st, "ns-a", "Mid", &type), SG_ENOTFOUND);
    l = (name_list){ .n = 0 };
    CHECK_EQ_INT(sg_store_search_attr_list(st, "ns-a", collect_sa, &l), 2);
    CHECK_EQ_INT(sg_store_search_attr_list(st, "ns-b", collect_sa, &l), 1);
    sg_store_close(st);
}

/* ---- workflow executions ---- */

SG_TEST(store_execution_insert_get_update)
{
    sg_store *st = open_at(NULL);
    static const uint8_t blob[] = { 0x0a, 0x00, 0xff, 0x00, 0x7f };
    sg_execution_rec r = { .namespace_id = "ns-1", .workflow_id = "wf-1", .run_id = "run-1",
                           .status = 1, .start_time_ms = 1700000000123, .close_time_ms = 0,
                           .state = (uint8_t *)blob, .state_len = sizeof blob };
    expect_no_ex(st, "ns-1", "run-1");
    CHECK_EQ_INT(sg_store_begin(st), 0);
    CHECK_EQ_INT(sg_store_execution_insert(st, &r), 0);
    sg_execution_rec empty = ex_rec("ns-1", "wf-2", "run-2", 1, 5, 0, NULL);
    CHECK_EQ_INT(sg_store_execution_insert(st, &empty), 0);
    /* The same run id in another namespace is another run. */
    sg_execution_rec other = ex_rec("ns-2", "wf-1", "run-1", 1, 7, 0, "other");
    CHECK_EQ_INT(sg_store_execution_insert(st, &other), 0);
    /* Inside the transaction, reads see its writes. */
    expect_ex(st, "ns-2", "run-1", "wf-1", 1, 7, 0, "other");
    CHECK_EQ_INT(sg_store_commit(st), 0);

    /* The state keeps its embedded zero bytes; an empty state reads back empty, not NULL. */
    sg_execution_rec got;
    CHECK_EQ_INT(sg_store_execution_get(st, "ns-1", "run-1", &got), 0);
    CHECK_EQ_STR(got.namespace_id, "ns-1");
    CHECK_EQ_STR(got.workflow_id, "wf-1");
    CHECK_EQ_STR(got.run_id, "run-1");
    CHECK_EQ_INT(got.status, 1);
    CHECK_EQ_INT(got.start_time_ms, 1700000000123);
    CHECK_EQ_INT(got.close_time_ms, 0);
    CHECK_EQ_INT(got.state_len, sizeof blob);
    CHECK(memcmp(got.state, blob, sizeof blob) == 0);
    sg_execution_rec_deinit(&got);
    CHECK(got.namespace_id == NULL && got.workflow_id == NULL && got.run_id == NULL);
    CHECK(got.state == NULL && got.state_len == 0);
    sg_execution_rec_deinit(&got); /* safe twice */
    expect_ex(st, "ns-1", "run-2", "wf-2", 1, 5, 0, "");
    expect_no_ex(st, "ns-1", "run-3");
    expect_no_ex(st, "ns-3", "run-1");

    /* Update replaces status, close time and state; never the workflow id or start time. */
    sg_execution_rec upd = ex_rec("ns-1", "wf-ignored", "run-1", 2, 999, 1700000000999,
                                  "closed state");
    sg_execution_rec missing = ex_rec("ns-1", "wf-1", "run-404", 2, 1, 2, "x");
    CHECK_EQ_INT(sg_store_begin(st), 0);
    CHECK_EQ_INT(sg_store_execution_update(st, &upd), 0);
    CHECK_EQ_INT(sg_store_execution_update(st, &missing), SG_ENOTFOUND);
    CHECK_EQ_INT(sg_store_commit(st), 0); /* SG_ENOTFOUND did not spoil the transaction */
    expect_ex(st, "ns-1", "run-1", "wf-1", 2, 1700000000123, 1700000000999, "closed state");
    expect_ex(st, "ns-2", "run-1", "wf-1", 1, 7, 0, "other");
    expect_no_ex(st, "ns-1", "run-404");

    /* An update to the same values still finds the row (changes() counts it). */
    CHECK_EQ_INT(sg_store_begin(st), 0);
    CHECK_EQ_INT(sg_store_execution_update(st, &upd), 0);
    CHECK_EQ_INT(sg_store_commit(st), 0);
    sg_store_close(st);
}

SG_TEST(store_execution_duplicate_is_eexist)
{
    sg_store *st = open_at(NULL);
    sg_execution_rec r = ex_rec("ns-1", "wf-1", "run-1", 1, 10, 0, "orig");
    sg_execution_rec dup = ex_rec("ns-1", "wf-other", "run-1", 2, 20, 30, "dup");
    CHECK_EQ_INT(sg_store_begin(st), 0);
    CHECK_EQ_INT(sg_store_execution_insert(st, &r), 0);
    CHECK_EQ_INT(sg_store_execution_insert(st, &dup), SG_EEXIST);
    /* The batch goes on. */
    sg_execution_rec next = ex_rec("ns-1", "wf-1", "run-2", 1, 40, 0, "next");
    CHECK_EQ_INT(sg_store_execution_insert(st, &next), 0);
    CHECK_EQ_INT(sg_store_commit(st), 0);
    expect_ex(st, "ns-1", "run-1", "wf-1", 1, 10, 0, "orig");
    expect_ex(st, "ns-1", "run-2", "wf-1", 1, 40, 0, "next");

    CHECK_EQ_INT(sg_store_begin(st), 0);
    CHECK_EQ_INT(sg_store_execution_insert(st, &dup), SG_EEXIST);
    CHECK_EQ_INT(sg_store_commit(st), 0);
    expect_ex(st, "ns-1", "run-1", "wf-1", 1, 10, 0, "orig");
    sg_store_close(st);
}

/* Collects the "namespace/run" names a scan visits, sorted afterwards (the scan has no order);
 * optionally closes each run it is handed, as start-up recovery may. The tests store each
 * RUNNING run's id as its state, which the callback checks. */
typedef struct run_scan {
    sg_store *st;
    name_list names;
    bool close_each;
    bool touch_each; /* rewrite the state but stay RUNNING */
} run_scan;

static int name_cmp(const void *a, const void *b)
{
    return strcmp(a, b);
}

static int collect_running(void *ud, const sg_execution_rec *rec)
{
    run_scan *sc = ud;
    name_list *l = &sc->names;
    CHECK(l->n < 16);
    CHECK_EQ_INT(rec->status, 1);
    CHECK_EQ_INT(rec->close_time_ms, 0);
    CHECK(rec->state != NULL);
    CHECK_EQ_INT(rec->state_len, strlen(rec->run_id));
    CHECK(memcmp(rec->state, rec->run_id, rec->state_len) == 0);
    snprintf(l->names[l->n++], sizeof l->names[0], "%s/%s", rec->namespace_id, rec->run_id);
    if (sc->close_each || sc->touch_each) {
        sg_execution_rec upd = *rec;
        upd.status = sc->close_each ? 2 : 1;
        upd.close_time_ms = sc->close_each ? 99 : 0;
        CHECK_EQ_INT(sg_store_execution_update(sc->st, &upd), 0);
    }
    return l->stop_at && l->n == l->stop_at ? l->stop_value : 0;
}

static const char *scan_running(sg_store *st, run_scan *sc)
{
    static char text[512];
    sc->st = st;
    int n = sg_store_execution_scan_running(st, collect_running, sc);
    if (sc->names.stop_at && sc->names.n == sc->names.stop_at) {
        CHECK_EQ_INT(n, sc->names.stop_value);
    } else {
        CHECK_EQ_INT(n, sc->names.n);
    }
    qsort(sc->names.names, (size_t)sc->names.n, sizeof sc->names.names[0], name_cmp);
    text[0] = '\0';
    for (int i = 0; i < sc->names.n; i++) {
        size_t used = strlen(text);
        snprintf(text + used, sizeof text - used, "%s%s", i ? " " : "", sc->names.names[i]);
    }
    return text;
}

SG_TEST(store_execution_scan_running)
{
    sg_store *st = open_at(NULL);
    run_scan sc = { .names.n = 0 };
    CHECK_EQ_STR(scan_running(st, &sc), "");

    /* Statuses: 1 RUNNING, 2 COMPLETED, 3 FAILED, 7 TERMINATED. State = run id, for the check
     * in the callback. */
    static const struct {
        const char *ns, *run;
        int status;
    } runs[] = {
        { "ns-a", "r1", 1 }, { "ns-a", "r2", 2 }, { "ns-b", "r3", 1 }, { "ns-a", "r4", 3 },
        { "ns-b", "r5", 1 }, { "ns-c", "r6", 7 }, { "ns-c", "r7", 1 },
    };
    CHECK_EQ_INT(sg_store_begin(st), 0);
    for (size_t i = 0; i < SG_ARRAY_LEN(runs); i++) {
        sg_execution_rec r = ex_rec(runs[i].ns, "wf", runs[i].run, runs[i].status, (int64_t)i,
                                    runs[i].status == 1 ? 0 : 100, runs[i].run);
        CHECK_EQ_INT(sg_store_execution_insert(st, &r), 0);
    }
    /* Inside the transaction the scan sees its writes. */
    sc = (run_scan){ .names.n = 0 };
    CHECK_EQ_STR(scan_running(st, &sc), "ns-a/r1 ns-b/r3 ns-b/r5 ns-c/r7");
    CHECK_EQ_INT(sg_store_commit(st), 0);
    sc = (run_scan){ .names.n = 0 };
    CHECK_EQ_STR(scan_running(st, &sc), "ns-a/r1 ns-b/r3 ns-b/r5 ns-c/r7");

    /* A non-zero return stops the scan and is returned as is. */
    sc = (run_scan){ .names.stop_at = 2, .names.stop_value = 42 };
    scan_running(st, &sc);
    CHECK_EQ_INT(sc.names.n, 2);
    sc = (run_scan){ .names.stop_at = 1, .names.stop_value = SG_ECANCELED };
    scan_running(st, &sc);
    CHECK_EQ_INT(sc.names.n, 1);

    /* A run that closes leaves the scan; one whose update keeps it RUNNING stays. */
    sg_execution_rec closed = ex_rec("ns-b", "wf", "r3", 2, 2, 100, "r3");
    sg_execution_rec still = ex_rec("ns-a", "wf", "r1", 1, 0, 0, "r1");
    CHECK_EQ_INT(sg_store_begin(st), 0);
    CHECK_EQ_INT(sg_store_execution_update(st, &closed), 0);
    CHECK_EQ_INT(sg_store_execution_update(st, &still), 0);
    CHECK_EQ_INT(sg_store_commit(st), 0);
    sc = (run_scan){ .names.n = 0 };
    CHECK_EQ_STR(scan_running(st, &sc), "ns-a/r1 ns-b/r5 ns-c/r7");

    /* The callback may update the run it is handed: each is visited once, whether its update
     * keeps it in the index or takes it out. */
    CHECK_EQ_INT(sg_store_begin(st), 0);
    sc = (run_scan){ .touch_each = true };
    CHECK_EQ_STR(scan_running(st, &sc), "ns-a/r1 ns-b/r5 ns-c/r7");
    sc = (run_scan){ .close_each = true };
    CHECK_EQ_STR(scan_running(st, &sc), "ns-a/r1 ns-b/r5 ns-c/r7");
    CHECK_EQ_INT(sg_store_commit(st), 0);
    sc = (run_scan){ .names.n = 0 };
    CHECK_EQ_STR(scan_running(st, &sc), "");
    expect_ex(st, "ns-c", "r7", "wf", 2, 6, 99, "r7");
    sg_store_close(st);
}

/* ---- current run per workflow id ---- */

SG_TEST(store_current_get_put)
{
    sg_store *st = open_at(NULL);
    sg_current_rec got;
    CHECK_EQ_INT(sg_store_current_get(st, "ns-1", "wf-1", &got), SG_ENOTFOUND);
    CHECK(got.run_id == NULL && got.start_request_id == NULL);

    CHECK_EQ_INT(sg_store_begin(st), 0);
    put_current(st, "ns-1", "wf-1", "run-1", 1, "req-1");
    put_current(st, "ns-1", "wf-2", "run-2", 1, "");
    put_current(st, "ns-2", "wf-1", "run-3", 1, "req-3");
    expect_current(st, "ns-1", "wf-1", "run-1", 1, "req-1");
    CHECK_EQ_INT(sg_store_commit(st), 0);
    expect_current(st, "ns-1", "wf-1", "run-1", 1, "req-1");
    expect_current(st, "ns-1", "wf-2", "run-2", 1, "");
    expect_current(st, "ns-2", "wf-1", "run-3", 1, "req-3");
    CHECK_EQ_INT(sg_store_current_get(st, "ns-2", "wf-2", &got), SG_ENOTFOUND);

    /* Put replaces every field of the one row: status alone, then a new run. */
    CHECK_EQ_INT(sg_store_begin(st), 0);
    put_current(st, "ns-1", "wf-1", "run-1", 2, "req-1");
    CHECK_EQ_INT(sg_store_commit(st), 0);
    expect_current(st, "ns-1", "wf-1", "run-1", 2, "req-1");
    CHECK_EQ_INT(sg_store_begin(st), 0);
    put_current(st, "ns-1", "wf-1", "run-4", 1, "req-4");
    CHECK_EQ_INT(sg_store_commit(st), 0);
    expect_current(st, "ns-1", "wf-1", "run-4", 1, "req-4");
    expect_current(st, "ns-1", "wf-2", "run-2", 1, "");
    expect_current(st, "ns-2", "wf-1", "run-3", 1, "req-3");

    /* Rolled back: the previous current run stays. */
    CHECK_EQ_INT(sg_store_begin(st), 0);
    put_current(st, "ns-1", "wf-1", "run-5", 1, "req-5");
    sg_store_rollback(st);
    expect_current(st, "ns-1", "wf-1", "run-4", 1, "req-4");
    sg_store_close(st);
}

/* The engine writes the current-run row when a run starts; the status get reports is the
 * run's own, from its executions row, so it follows a close that never touches current_runs. */
SG_TEST(store_current_status_follows_the_run)
{
    sg_store *st = open_at(NULL);
    CHECK_EQ_INT(sg_store_begin(st), 0);
    sg_execution_rec run = ex_rec("ns-1", "wf-1", "run-1", 1, 1000, 0, "state-1");
    CHECK_EQ_INT(sg_store_execution_insert(st, &run), 0);
    put_current(st, "ns-1", "wf-1", "run-1", 1, "req-1");
    /* Same run id in another namespace: not the row to read. */
    sg_execution_rec other = ex_rec("ns-2", "wf-1", "run-1", 3, 1000, 2000, "state-x");
    CHECK_EQ_INT(sg_store_execution_insert(st, &other), 0);
    CHECK_EQ_INT(sg_store_commit(st), 0);
    expect_current(st, "ns-1", "wf-1", "run-1", 1, "req-1");

    run = ex_rec("ns-1", "wf-1", "run-1", 2, 1000, 2000, "state-2");
    CHECK_EQ_INT(sg_store_begin(st), 0);
    CHECK_EQ_INT(sg_store_execution_update(st, &run), 0);
    expect_current(st, "ns-1", "wf-1", "run-1", 2, "req-1"); /* inside the transaction too */
    CHECK_EQ_INT(sg_store_commit(st), 0);
    expect_current(st, "ns-1", "wf-1", "run-1", 2, "req-1");

    /* A run without an executions row answers with the status the row was written with. */
    CHECK_EQ_INT(sg_store_begin(st), 0);
    put_current(st, "ns-1", "wf-2", "run-9", 4, "req-9");
    CHECK_EQ_INT(sg_store_commit(st), 0);
    expect_current(st, "ns-1", "wf-2", "run-9", 4, "req-9");
    sg_store_close(st);
}

/* ---- history ---- */

/* Run run-1 of ns-1 holds batches 1-3, 4-4 and 5-9. Neighbours with overlapping event ids (the
 * same run id in another namespace, another run in the same one) must never leak into it. */
static sg_store *open_with_history(void)
{
    sg_store *st = open_at(NULL);
    CHECK_EQ_INT(sg_store_begin(st), 0);
    CHECK_EQ_INT(append_batch(st, "ns-0", "run-1", 1, 12), 0);
    CHECK_EQ_INT(append_batch(st, "ns-1", "run-0", 1, 2), 0);
    CHECK_EQ_INT(append_batch(st, "ns-1", "run-1", 1, 3), 0);
    CHECK_EQ_INT(append_batch(st, "ns-1", "run-2", 1, 1), 0);
    CHECK_EQ_INT(append_batch(st, "ns-2", "run-1", 1, 2), 0);
    CHECK_EQ_INT(sg_store_commit(st), 0);
    CHECK_EQ_INT(sg_store_begin(st), 0);
    CHECK_EQ_INT(append_batch(st, "ns-1", "run-1", 4, 4), 0);
    CHECK_EQ_INT(append_batch(st, "ns-1", "run-1", 5, 9), 0);
    CHECK_EQ_INT(append_batch(st, "ns-1", "run-2", 2, 30), 0);
    CHECK_EQ_INT(append_batch(st, "ns-2", "run-1", 3, 20), 0);
    CHECK_EQ_INT(sg_store_commit(st), 0);
    return st;
}

SG_TEST(store_history_read_forward)
{
    sg_store *st = open_with_history();
    const char *ns = "ns-1", *run = "run-1";
    /* Everything, from the first event or from before it. */
    CHECK_EQ_STR(read_hist(st, ns, run, false, 1, 0), "1-3 4-4 5-9");
    CHECK_EQ_STR(read_hist(st, ns, run, false, 0, 0), "1-3 4-4 5-9");
    CHECK_EQ_STR(read_hist(st, ns, run, false, -5, -1), "1-3 4-4 5-9");
    /* From inside a batch: it starts with the batch that contains the event. */
    CHECK_EQ_STR(read_hist(st, ns, run, false, 2, 0), "1-3 4-4 5-9");
    CHECK_EQ_STR(read_hist(st, ns, run, false, 3, 0), "1-3 4-4 5-9");
    CHECK_EQ_STR(read_hist(st, ns, run, false, 4, 0), "4-4 5-9");
    CHECK_EQ_STR(read_hist(st, ns, run, false, 7, 0), "5-9");
    CHECK_EQ_STR(read_hist(st, ns, run, false, 9, 0), "5-9");
    /* Past the end, and runs with no history. */
    CHECK_EQ_STR(read_hist(st, ns, run, false, 10, 0), "");
    CHECK_EQ_STR(read_hist(st, ns, run, false, 1000, 3), "");
    CHECK_EQ_STR(read_hist(st, ns, "run-404", false, 1, 0), "");
    CHECK_EQ_STR(read_hist(st, "ns-404", run, false, 1, 0), "");

    /* max_events: stop after the batch that brings the count, from from_event_id, to it. */
    CHECK_EQ_STR(read_hist(st, ns, run, false, 4, 1), "4-4");
    CHECK_EQ_STR(read_hist(st, ns, run, false, 5, 2), "5-9");
    CHECK_EQ_STR(read_hist(st, ns, run, false, 1, 1), "1-3");
    CHECK_EQ_STR(read_hist(st, ns, run, false, 1, 3), "1-3");
    CHECK_EQ_STR(read_hist(st, ns, run, false, 1, 4), "1-3 4-4");
    CHECK_EQ_STR(read_hist(st, ns, run, false, 1, 5), "1-3 4-4 5-9");
    CHECK_EQ_STR(read_hist(st, ns, run, false, 1, 9), "1-3 4-4 5-9");
    CHECK_EQ_STR(read_hist(st, ns, run, false, 1, 100), "1-3 4-4 5-9");
    /* From 3, batch 1-3 contributes one event only. */
    CHECK_EQ_STR(read_hist(st, ns, run, false, 3, 1), "1-3");
    CHECK_EQ_STR(read_hist(st, ns, run, false, 3, 2), "1-3 4-4");
    CHECK_EQ_STR(read_hist(st, ns, run, false, 2, 3), "1-3 4-4");
    CHECK_EQ_STR(read_hist(st, ns, run, false, 2, 4), "1-3 4-4 5-9");

    /* The neighbours read back whole and alone. */
    CHECK_EQ_STR(read_hist(st, "ns-0", run, false, 1, 0), "1-12");
    CHECK_EQ_STR(read_hist(st, "ns-2", run, false, 2, 0), "1-2 3-20");
    CHECK_EQ_STR(read_hist(st, ns, "run-2", false, 10, 0), "2-30");
    CHECK_EQ_STR(read_hist(st, ns, "run-0", false, 1, 0), "1-2");

    /* A non-zero return from the callback stops the read and is returned. */
    batch_list l = { .stop_at = 2, .stop_value = 77 };
    CHECK_EQ_INT(sg_store_history_read(st, ns, run, 1, 0, collect_batch, &l), 77);
    CHECK_EQ_STR(l.text, "1-3 4-4");
    l = (batch_list){ .stop_at = 1, .stop_value = SG_ECANCELED };
    CHECK_EQ_INT(sg_store_history_read(st, ns, run, 1, 0, collect_batch, &l), SG_ECANCELED);
    /* A stopped read leaves nothing busy. */
    CHECK_EQ_STR(read_hist(st, ns, run, false, 1, 0), "1-3 4-4 5-9");
    sg_store_close(st);
}

SG_TEST(store_history_read_reverse)
{
    sg_store *st = open_with_history();
    const char *ns = "ns-1", *run = "run-1";
    /* 0 (or less) starts at the last batch. */
    CHECK_EQ_STR(read_hist(st, ns, run, true, 0, 0), "5-9 4-4 1-3");
    CHECK_EQ_STR(read_hist(st, ns, run, true, -1, 0), "5-9 4-4 1-3");
    /* Starts with the batch containing to_event_id. */
    CHECK_EQ_STR(read_hist(st, ns, run, true, 9, 0), "5-9 4-4 1-3");
    CHECK_EQ_STR(read_hist(st, ns, run, true, 5, 0), "5-9 4-4 1-3");
    CHECK_EQ_STR(read_hist(st, ns, run, true, 4, 0), "4-4 1-3");
    CHECK_EQ_STR(read_hist(st, ns, run, true, 2, 0), "1-3");
    CHECK_EQ_STR(read_hist(st, ns, run, true, 1, 0), "1-3");
    /* Past the end: every batch holds only earlier events, so all of them, newest first. */
    CHECK_EQ_STR(read_hist(st, ns, run, true, 100, 0), "5-9 4-4 1-3");
    CHECK_EQ_STR(read_hist(st, ns, "run-404", true, 0, 0), "");

    /* Same counting, from to_event_id back. */
    CHECK_EQ_STR(read_hist(st, ns, run, true, 0, 1), "5-9");
    CHECK_EQ_STR(read_hist(st, ns, run, true, 0, 5), "5-9");
    CHECK_EQ_STR(read_hist(st, ns, run, true, 0, 6), "5-9 4-4");
    CHECK_EQ_STR(read_hist(st, ns, run, true, 0, 7), "5-9 4-4 1-3");
    CHECK_EQ_STR(read_hist(st, ns, run, true, 6, 2), "5-9");
    CHECK_EQ_STR(read_hist(st, ns, run, true, 6, 3), "5-9 4-4");
    CHECK_EQ_STR(read_hist(st, ns, run, true, 4, 1), "4-4");
    CHECK_EQ_STR(read_hist(st, ns, run, true, 4, 2), "4-4 1-3");
    CHECK_EQ_STR(read_hist(st, ns, run, true, 100, 5), "5-9");

    CHECK_EQ_STR(read_hist(st, "ns-2", run, true, 0, 0), "3-20 1-2");
    batch_list l = { .stop_at = 1, .stop_value = 5 };
    CHECK_EQ_INT(sg_store_history_read_reverse(st, ns, run, 0, 0, collect_batch, &l), 5);
    CHECK_EQ_STR(l.text, "5-9");
    sg_store_close(st);
}

static int expect_empty_batch(void *ud, int64_t first, int64_t last, const uint8_t *data,
                              size_t len)
{
    CHECK(data != NULL);
    CHECK_EQ_INT(len, 0);
    CHECK_EQ_INT(first, last);
    *(int64_t *)ud = first;
    return 0;
}

SG_TEST(store_history_duplicate_first_event_is_eexist)
{
    sg_store *st = open_with_history();
    CHECK_EQ_INT(sg_store_begin(st), 0);
    CHECK_EQ_INT(append_batch(st, "ns-1", "run-1", 4, 4), SG_EEXIST);
    CHECK_EQ_INT(append_batch(st, "ns-1", "run-1", 1, 2), SG_EEXIST);
    /* The batch goes on, and the run's own next batch is appended. */
    CHECK_EQ_INT(append_batch(st, "ns-1", "run-1", 10, 11), 0);
    CHECK_EQ_INT(append_batch(st, "ns-1", "run-1", 10, 10), SG_EEXIST);
    CHECK_EQ_INT(sg_store_commit(st), 0);
    CHECK_EQ_STR(read_hist(st, "ns-1", "run-1", false, 1, 0), "1-3 4-4 5-9 10-11");

    /* An empty batch body is stored and read back empty, with a valid pointer. */
    CHECK_EQ_INT(sg_store_begin(st), 0);
    CHECK_EQ_INT(sg_store_history_append(st, "ns-1", "run-9", 1, 1, NULL, 0), 0);
    CHECK_EQ_INT(sg_store_commit(st), 0);
    int64_t seen = 0;
    CHECK_EQ_INT(sg_store_history_read(st, "ns-1", "run-9", 1, 0, expect_empty_batch, &seen), 1);
    CHECK_EQ_INT(seen, 1);
    sg_store_close(st);
}

/* ---- fault injection ---- */

/* The baseline every fault test starts from, committed before the faulty batch. */
static void put_baseline(sg_store *st)
{
    CHECK_EQ_INT(sg_store_begin(st), 0);
    CHECK_EQ_INT(sg_store_meta_put(st, "k", "v0"), 0);
    insert_ns(st, "id-base", "base", 1, "base info");
    CHECK_EQ_INT(sg_store_search_attr_insert(st, "id-base", "BaseAttr", 2), 0);
    sg_execution_rec run = ex_rec("id-base", "wf-base", "run-base", 1, 10, 0, "run-base");
    CHECK_EQ_INT(sg_store_execution_insert(st, &run), 0);
    put_current(st, "id-base", "wf-base", "run-base", 1, "req-base");
    CHECK_EQ_INT(append_batch(st, "id-base", "run-base", 1, 3), 0);
    CHECK_EQ_INT(sg_store_commit(st), 0);
}

static void expect_baseline(sg_store *st)
{
    expect_meta(st, "k", "v0");
    expect_ns(st, "base", "id-base", 1, "base info");
    sg_namespace_rec got;
    CHECK_EQ_INT(sg_store_namespace_get(st, "new", false, &got), SG_ENOTFOUND);
    int type = -1;
    CHECK_EQ_INT(sg_store_search_attr_get(st, "id-base", "BaseAttr", &type), 0);
    CHECK_EQ_INT(type, 2);
    CHECK_EQ_INT(sg_store_search_attr_get(st, "id-base", "NewAttr", &type), SG_ENOTFOUND);
    expect_ex(st, "id-base", "run-base", "wf-base", 1, 10, 0, "run-base");
    expect_no_ex(st, "id-base", "run-new");
    expect_current(st, "id-base", "wf-base", "run-base", 1, "req-base");
    CHECK_EQ_STR(read_hist(st, "id-base", "run-base", false, 1, 0), "1-3");
    CHECK_EQ_STR(read_hist(st, "id-base", "run-new", false, 1, 0), "");
    run_scan sc = { .names.n = 0 };
    CHECK_EQ_STR(scan_running(st, &sc), "id-base/run-base");
}

static void expect_batch_applied(sg_store *st)
{
    expect_meta(st, "k", "v1");
    expect_ns(st, "base", "id-base", 2, "updated");
    expect_ns(st, "new", "id-new", 1, "new info");
    int type = -1;
    CHECK_EQ_INT(sg_store_search_attr_get(st, "id-base", "NewAttr", &type), 0);
    CHECK_EQ_INT(type, 3);
    CHECK_EQ_INT(sg_store_search_attr_get(st, "id-base", "BaseAttr", &type), SG_ENOTFOUND);
    expect_ex(st, "id-base", "run-base", "wf-base", 2, 10, 20, "closed");
    expect_ex(st, "id-base", "run-new", "wf-base", 1, 30, 0, "run-new");
    expect_current(st, "id-base", "wf-base", "run-new", 1, "req-new");
    CHECK_EQ_STR(read_hist(st, "id-base", "run-base", false, 1, 0), "1-3 4-6");
    CHECK_EQ_STR(read_hist(st, "id-base", "run-new", false, 1, 0), "1-2");
    run_scan sc = { .names.n = 0 };
    CHECK_EQ_STR(scan_running(st, &sc), "id-base/run-new");
}

/* One write of every kind (two history appends: one extends a run, one starts one); the commit
 * is step N_STEPS + 1. The batch closes run-base and starts run-new as the current run of the
 * same workflow id, as continue-as-new would. */
enum { N_STEPS = 10 };
static int batch_step(sg_store *st, int step)
{
    sg_namespace_rec r;
    sg_execution_rec ex;
    switch (step) {
    case 0: return sg_store_meta_put(st, "k", "v1");
    case 1: r = ns_rec("id-new", "new", 1, "new info"); return sg_store_namespace_insert(st, &r);
    case 2: r = ns_rec("id-base", "base", 2, "updated"); return sg_store_namespace_update(st, &r);
    case 3: return sg_store_search_attr_insert(st, "id-base", "NewAttr", 3);
    case 4: return sg_store_search_attr_delete(st, "id-base", "BaseAttr");
    case 5:
        ex = ex_rec("id-base", "wf-base", "run-new", 1, 30, 0, "run-new");
        return sg_store_execution_insert(st, &ex);
    case 6:
        ex = ex_rec("id-base", "wf-base", "run-base", 2, 10, 20, "closed");
        return sg_store_execution_update(st, &ex);
    case 7: {
        sg_current_rec cur = { .run_id = "run-new", .status = 1, .start_request_id = "req-new" };
        return sg_store_current_put(st, "id-base", "wf-base", &cur);
    }
    case 8: return append_batch(st, "id-base", "run-base", 4, 6);
    case 9: return append_batch(st, "id-base", "run-new", 1, 2);
    default: sg_assert(!"no such step"); return 0;
    }
}

static const char *const step_names[] = {
    "meta_put",        "namespace_insert", "namespace_update",   "search_attr_insert",
    "search_attr_delete", "execution_insert", "execution_update", "current_put",
    "history_append",  "history_start",    "commit",
};
_Static_assert(SG_ARRAY_LEN(step_names) == N_STEPS + 1, "one name per step and the commit");

/* Fails step `fail_at` (0-based; N_STEPS is the commit) with err, then ends the batch with a
 * commit or a rollback, and checks nothing of it is visible, before or after a reopen, and that
 * the same store then commits the whole batch. */
static void run_fault_case(int fail_at, int err, bool end_with_rollback)
{
    char name[96];
    snprintf(name, sizeof name, "fault-%s-%s-%d.db", step_names[fail_at], sg_strerror(err),
             end_with_rollback);
    char *path = tmp_path(name);
    sg_store *st = open_at(path);
    put_baseline(st);

    CHECK_EQ_INT(sg_store_begin(st), 0);
    sg_store_fault_inject(st, fail_at + 1, err);
    for (int i = 0; i < N_STEPS; i++) {
        int rc = batch_step(st, i);
        /* Before the fault: success. At it: err. After it: the same err, nothing run. */
        if (rc != (i < fail_at ? 0 : err))
            fprintf(stderr, "  case %s: step %s returned %s\n", name, step_names[i],
                    sg_strerror(rc));
        CHECK_EQ_INT(rc, i < fail_at ? 0 : err);
    }
    if (end_with_rollback && fail_at < N_STEPS) {
        sg_store_rollback(st);
    } else {
        CHECK_EQ_INT(sg_store_commit(st), err);
    }
    CHECK(!sg_store_in_txn(st));
    expect_baseline(st);

    /* The fault fired once and is gone: the same store commits the batch now. */
    CHECK_EQ_INT(sg_store_begin(st), 0);
    for (int i = 0; i < N_STEPS; i++)
        CHECK_EQ_INT(batch_step(st, i), 0);
    CHECK_EQ_INT(sg_store_commit(st), 0);
    expect_batch_applied(st);
    sg_store_close(st);

    st = open_at(path);
    expect_batch_applied(st);
    sg_store_close(st);
    sg_free(path);
}

SG_TEST(store_fault_each_write_and_commit)
{
    static const int errs[] = { SG_EIO, SG_EBUSY, SG_ELIMIT };
    for (int step = 0; step <= N_STEPS; step++)
        for (size_t e = 0; e < SG_ARRAY_LEN(errs); e++)
            for (int rb = 0; rb < 2; rb++)
                run_fault_case(step, errs[e], rb);
}

SG_TEST(store_fault_commit_leaves_nothing_after_reopen)
{
    char *path = tmp_path("fault-reopen.db");
    sg_store *st = open_at(path);
    put_baseline(st);
    CHECK_EQ_INT(sg_store_begin(st), 0);
    sg_store_fault_inject(st, N_STEPS + 1, SG_EIO);
    for (int i = 0; i < N_STEPS; i++)
        CHECK_EQ_INT(batch_step(st, i), 0);
    CHECK_EQ_INT(sg_store_commit(st), SG_EIO);
    sg_store_close(st);

    st = open_at(path);
    expect_baseline(st);
    sg_store_close(st);
    sg_free(path);
}

SG_TEST(store_fault_counts_across_transactions_and_disarms)
{
    sg_store *st = open_at(NULL);
    /* Third counted operation: put, commit, then the put of the next transaction. */
    sg_store_fault_inject(st, 3, SG_EBUSY);
    CHECK_EQ_INT(sg_store_begin(st), 0);
    CHECK_EQ_INT(sg_store_meta_put(st, "a", "1"), 0);
    CHECK_EQ_INT(sg_store_commit(st), 0);
    CHECK_EQ_INT(sg_store_begin(st), 0);
    CHECK_EQ_INT(sg_store_meta_put(st, "b", "2"), SG_EBUSY);
    CHECK_EQ_INT(sg_store_commit(st), SG_EBUSY);
    expect_meta(st, "a", "1");
    char *v = NULL;
    CHECK_EQ_INT(sg_store_meta_get(st, "b", &v), SG_ENOTFOUND);

    /* Armed then disarmed: nothing fails. */
    sg_store_fault_inject(st, 1, SG_EIO);
    sg_store_fault_inject(st, 0, 0);
    CHECK_EQ_INT(sg_store_begin(st), 0);
    CHECK_EQ_INT(sg_store_meta_put(st, "b", "2"), 0);
    CHECK_EQ_INT(sg_store_commit(st), 0);
    expect_meta(st, "b", "2");
    sg_store_close(st);
}

/* ---- real failures, produced by SQLite itself ---- */

SG_TEST(store_real_lock_contention_is_ebusy)
{
    char *path = tmp_path("busy.db");
    sg_store *a = open_at(path);
    const char *quick[] = { "busy_timeout=50" };
    sg_store_options o = { .path = path, .pragmas = quick, .n_pragmas = 1 };
    sg_store *b = NULL;
    CHECK_EQ_INT(sg_store_open(&o, &b), 0);

    CHECK_EQ_INT(sg_store_begin(a), 0);
    CHECK_EQ_INT(sg_store_meta_put(a, "k", "from a"), 0);
    CHECK_EQ_INT(sg_store_begin(b), SG_EBUSY);
    CHECK(!sg_store_in_txn(b));
    /* WAL: b still reads, and sees only what is committed. */
    char *v = NULL;
    CHECK_EQ_INT(sg_store_meta_get(b, "k", &v), SG_ENOTFOUND);
    CHECK_EQ_INT(sg_store_commit(a), 0);

    CHECK_EQ_INT(sg_store_begin(b), 0);
    CHECK_EQ_INT(sg_store_meta_put(b, "k", "from b"), 0);
    CHECK_EQ_INT(sg_store_commit(b), 0);
    expect_meta(a, "k", "from b");
    sg_store_close(a);
    sg_store_close(b);
    sg_free(path);
}

SG_TEST(store_real_full_database_is_elimit)
{
    char *path = tmp_path("full.db");
    sg_store *st = open_at(path);
    put_baseline(st);
    sg_store_close(st);

    /* Cap the file near its current size; a large blob then cannot fit. */
    const char *cap[] = { "max_page_count=16" };
    sg_store_options o = { .path = path, .pragmas = cap, .n_pragmas = 1 };
    CHECK_EQ_INT(sg_store_open(&o, &st), 0);
    size_t big_len = 256 * 1024;
    char *big = sg_malloc(big_len + 1);
    memset(big, 'x', big_len);
    big[big_len] = '\0';

    CHECK_EQ_INT(sg_store_begin(st), 0);
    CHECK_EQ_INT(sg_store_meta_put(st, "k", "v1"), 0);
    sg_namespace_rec r = ns_rec("id-big", "big", 1, big);
    CHECK_EQ_INT(sg_store_namespace_insert(st, &r), SG_ELIMIT);
    /* The transaction failed as a whole: later writes and the commit report the same error. */
    CHECK_EQ_INT(sg_store_search_attr_insert(st, "id-base", "NewAttr", 3), SG_ELIMIT);
    CHECK_EQ_INT(sg_store_commit(st), SG_ELIMIT);
    expect_baseline(st);

    /* Small writes still fit. */
    CHECK_EQ_INT(sg_store_begin(st), 0);
    insert_ns(st, "id-small", "small", 1, "s");
    CHECK_EQ_INT(sg_store_commit(st), 0);
    expect_ns(st, "small", "id-small", 1, "s");

    /* The same for a history batch and a mutable state too large for the disk. */
    CHECK_EQ_INT(sg_store_begin(st), 0);
    CHECK_EQ_INT(append_batch(st, "id-base", "run-base", 4, 4), 0);
    CHECK_EQ_INT(sg_store_history_append(st, "id-base", "run-base", 5, 9, (uint8_t *)big, big_len),
                 SG_ELIMIT);
    CHECK_EQ_INT(append_batch(st, "id-base", "run-base", 10, 10), SG_ELIMIT);
    CHECK_EQ_INT(sg_store_commit(st), SG_ELIMIT);
    CHECK_EQ_INT(sg_store_begin(st), 0);
    sg_execution_rec upd = ex_rec("id-base", "wf-base", "run-base", 1, 10, 0, big);
    CHECK_EQ_INT(sg_store_execution_update(st, &upd), SG_ELIMIT);
    CHECK_EQ_INT(sg_store_commit(st), SG_ELIMIT);
    expect_baseline(st);
    sg_store_close(st);

    st = open_at(path);
    expect_baseline(st);
    expect_ns(st, "small", "id-small", 1, "s");
    sg_store_close(st);
    sg_free(big);
    sg_free(path);
}
