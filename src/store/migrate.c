/* SPDX-License-Identifier: Apache-2.0 */
/* migrate.c: versioned schema migrations for the SQLite store.
 *
 * Design note. migrations[] is append-only: entry i takes the schema from version i to i + 1,
 * so the binary's version is the array's length. The version lives in PRAGMA user_version, which
 * SQLite keeps in the database header and changes inside the same transaction as the schema, so
 * a migration and its version bump commit or vanish together. Each migration runs in its own
 * BEGIN IMMEDIATE transaction and re-reads the version after taking the write lock, so two
 * processes starting on one file apply every step exactly once. Called only by sg_store_open.
 *
 * Rules for whoever adds version N + 1: never edit a released entry (databases in the field
 * already ran it); write the new step so it is valid against exactly version N; keep one
 * statement per line group, readable as a schema.sql would be. */
#include "store/migrate.h"

#include <stdio.h>

#include "core/log.h"

/* Version 1: cluster metadata, namespaces, custom search attributes. */
static const char migration_v1[] =
    "CREATE TABLE meta (\n"
    "    key   TEXT PRIMARY KEY,\n"
    "    value TEXT NOT NULL\n"
    ");\n"
    "CREATE TABLE namespaces (\n"
    "    id                   TEXT PRIMARY KEY,\n"
    "    name                 TEXT UNIQUE NOT NULL,\n"
    "    notification_version INTEGER NOT NULL,\n"
    "    info                 BLOB NOT NULL\n"
    ");\n"
    "CREATE TABLE search_attributes (\n"
    "    namespace_id TEXT NOT NULL REFERENCES namespaces(id),\n"
    "    name         TEXT NOT NULL,\n"
    "    type         INTEGER NOT NULL,\n"
    "    PRIMARY KEY (namespace_id, name)\n"
    ");\n";

/* Version 2: workflow executions, the current run of each workflow id, and history batches.
 *
 * executions and history are rowid tables on purpose. Their rows carry large blobs (mutable
 * state, serialized events: hundreds of bytes to megabytes), and a WITHOUT ROWID table stores
 * whole rows in its interior pages, which for rows past ~1/20 of a page shrinks the fan-out and
 * deepens the tree. Measured with 120k batches interleaved over 2k runs: at 0.2-3 KB a batch the
 * rowid layout appended twice as fast into a file a third smaller, and read a little faster
 * (at 2-20 KB, almost three times faster); only batches under ~400 bytes read faster WITHOUT
 * ROWID. Their primary keys become small separate indexes (sqlite_autoindex_<table>_1, which
 * sqlite.c names in INDEXED BY).
 * current_runs holds only short strings and is keyed by exactly what it is looked up by, the
 * case WITHOUT ROWID is made for.
 *
 * executions_running is partial: it holds only RUNNING rows (status 1), so start-up recovery
 * reads those without visiting the closed runs that make up most of a long-lived database, and
 * runs that close leave it. (executions_by_workflow, for listing the runs of one workflow id,
 * was never read: v9 drops it.)
 * No foreign key to namespaces: store.h promises sg_store_execution_insert fails only with
 * SG_EEXIST, and the engine creates runs only in namespaces it has just looked up. */
static const char migration_v2[] =
    "CREATE TABLE executions (\n"
    "    namespace_id  TEXT NOT NULL,\n"
    "    run_id        TEXT NOT NULL,\n"
    "    workflow_id   TEXT NOT NULL,\n"
    "    status        INTEGER NOT NULL,\n"
    "    start_time_ms INTEGER NOT NULL,\n"
    "    close_time_ms INTEGER NOT NULL,\n"
    "    state         BLOB NOT NULL,\n"
    "    PRIMARY KEY (namespace_id, run_id)\n"
    ");\n"
    "CREATE INDEX executions_running ON executions (status) WHERE status = 1;\n"
    "CREATE INDEX executions_by_workflow ON executions (namespace_id, workflow_id, "
    "start_time_ms);\n"
    "CREATE TABLE current_runs (\n"
    "    namespace_id     TEXT NOT NULL,\n"
    "    workflow_id      TEXT NOT NULL,\n"
    "    run_id           TEXT NOT NULL,\n"
    "    status           INTEGER NOT NULL,\n"
    "    start_request_id TEXT NOT NULL,\n"
    "    PRIMARY KEY (namespace_id, workflow_id)\n"
    ") WITHOUT ROWID;\n"
    "CREATE TABLE history (\n"
    "    namespace_id   TEXT NOT NULL,\n"
    "    run_id         TEXT NOT NULL,\n"
    "    first_event_id INTEGER NOT NULL,\n"
    "    last_event_id  INTEGER NOT NULL,\n"
    "    data           BLOB NOT NULL,\n"
    "    PRIMARY KEY (namespace_id, run_id, first_event_id)\n"
    ");\n";

/* Version 3: visibility — one row per run for List/Count/Scan, written in the batch of the change
 * it describes (start, close, search attribute or memo change).
 *
 * System attributes are columns; close_order is the close time, or the largest integer while
 * running, so Temporal's default order (running first, then latest closed, then latest started)
 * is one index walk. info is the run's serialized WorkflowExecutionInfo, spliced into replies
 * undecoded. Custom search attributes live in visibility_attrs, one row per value (a
 * KeywordList has several), typed by SQLite's storage class: INTEGER for Int, Bool and Datetime
 * (ms), REAL for Double, TEXT for Keyword, Text and KeywordList items; one index (namespace,
 * name, value) serves equality, IN, ranges and prefixes for every type. Every index starts with
 * the namespace. */
static const char migration_v3[] =
    "CREATE TABLE visibility (\n"
    "    namespace_id           TEXT NOT NULL,\n"
    "    run_id                 TEXT NOT NULL,\n"
    "    workflow_id            TEXT NOT NULL,\n"
    "    workflow_type          TEXT NOT NULL,\n"
    "    status                 INTEGER NOT NULL,\n"
    "    start_time             INTEGER NOT NULL,\n"
    "    execution_time         INTEGER NOT NULL,\n"
    "    close_time             INTEGER,\n"
    "    close_order            INTEGER NOT NULL,\n"
    "    execution_duration     INTEGER,\n"
    "    task_queue             TEXT NOT NULL,\n"
    "    history_length         INTEGER NOT NULL,\n"
    "    history_size_bytes     INTEGER NOT NULL,\n"
    "    state_transition_count INTEGER NOT NULL,\n"
    "    parent_workflow_id     TEXT,\n"
    "    parent_run_id          TEXT,\n"
    "    root_workflow_id       TEXT,\n"
    "    root_run_id            TEXT,\n"
    "    info                   BLOB NOT NULL,\n"
    "    PRIMARY KEY (namespace_id, run_id)\n"
    ");\n"
    "CREATE INDEX visibility_order ON visibility (namespace_id, close_order DESC, start_time DESC, "
    "run_id DESC);\n"
    "CREATE INDEX visibility_status ON visibility (namespace_id, status, close_order DESC, "
    "start_time DESC, run_id DESC);\n"
    "CREATE INDEX visibility_type ON visibility (namespace_id, workflow_type, close_order DESC, "
    "start_time DESC, run_id DESC);\n"
    "CREATE INDEX visibility_workflow_id ON visibility (namespace_id, workflow_id);\n"
    "CREATE INDEX visibility_start ON visibility (namespace_id, start_time);\n"
    "CREATE INDEX visibility_close ON visibility (namespace_id, close_time);\n"
    "CREATE INDEX visibility_execution ON visibility (namespace_id, execution_time);\n"
    "CREATE INDEX visibility_task_queue ON visibility (namespace_id, task_queue);\n"
    "CREATE INDEX visibility_parent ON visibility (namespace_id, parent_workflow_id)"
    " WHERE parent_workflow_id IS NOT NULL;\n"
    "CREATE INDEX visibility_root ON visibility (namespace_id, root_workflow_id)"
    " WHERE root_workflow_id IS NOT NULL;\n"
    "CREATE TABLE visibility_attrs (\n"
    "    namespace_id TEXT NOT NULL,\n"
    "    run_id       TEXT NOT NULL,\n"
    "    name         TEXT NOT NULL,\n"
    "    value        NOT NULL,\n"
    "    PRIMARY KEY (namespace_id, run_id, name, value)\n"
    ") WITHOUT ROWID;\n"
    "CREATE INDEX visibility_attrs_value ON visibility_attrs (namespace_id, name, value);\n";

/* v4: CloseTime filters read close_order (the order index), so the close-time index, which
 * every close rewrote, goes. */
static const char migration_v4[] = "DROP INDEX visibility_close;\n";

/* v5: fewer index writes per run. The status index keeps closed runs only (a running run is
 * close_order = max, the head of the order index, and would otherwise be moved at its close);
 * the execution-time index keeps only runs whose execution time differs from their start (the
 * rest are found through the start-time index); the order indexes end at start_time (the
 * rowid every index carries orders ties well enough for a sort of the few equal keys). */
static const char migration_v5[] =
    "DROP INDEX visibility_order;\n"
    "CREATE INDEX visibility_order ON visibility (namespace_id, close_order DESC, start_time DESC);\n"
    "DROP INDEX visibility_status;\n"
    "CREATE INDEX visibility_status ON visibility (namespace_id, status, close_order DESC, "
    "start_time DESC) WHERE close_order < 9223372036854775807;\n"
    "DROP INDEX visibility_type;\n"
    "CREATE INDEX visibility_type ON visibility (namespace_id, workflow_type, close_order DESC, "
    "start_time DESC);\n"
    "DROP INDEX visibility_execution;\n"
    "CREATE INDEX visibility_execution ON visibility (namespace_id, execution_time)"
    " WHERE execution_time <> start_time;\n";

/* v6: batch operations (StartBatchOperation), one row per job: info is the job's
 * DescribeBatchOperationResponse, serialized; listed newest first. */
static const char migration_v6[] =
    "CREATE TABLE batch_operations (\n"
    "    namespace_id TEXT NOT NULL,\n"
    "    job_id       TEXT NOT NULL,\n"
    "    start_time   INTEGER NOT NULL,\n"
    "    info         BLOB NOT NULL,\n"
    "    PRIMARY KEY (namespace_id, job_id)\n"
    ");\n"
    "CREATE INDEX batch_operations_start ON batch_operations (namespace_id, start_time DESC, job_id);\n";

/* v7: batch operations that run in the background (more runs than one call handles). work is
 * the job's StartBatchOperationRequest, serialized, while the job runs (NULL once it has ended:
 * the partial index then lists only the jobs a restart resumes); cursor is where it resumes, a
 * visibility page token or the index of the next execution, written in the same batch as the
 * operations it moves past. */
static const char migration_v7[] =
    "ALTER TABLE batch_operations ADD COLUMN work BLOB;\n"
    "ALTER TABLE batch_operations ADD COLUMN cursor BLOB;\n"
    "CREATE INDEX batch_operations_running ON batch_operations (namespace_id, job_id)"
    " WHERE work IS NOT NULL;\n";

/* v8: schedules (CreateSchedule), one row per schedule: info is its sandglass.v1.ScheduleRecord,
 * serialized. The scheduler holds every schedule in memory and reads this table at start-up. */
static const char migration_v8[] =
    "CREATE TABLE schedules (\n"
    "    namespace_id TEXT NOT NULL,\n"
    "    schedule_id  TEXT NOT NULL,\n"
    "    info         BLOB NOT NULL,\n"
    "    PRIMARY KEY (namespace_id, schedule_id)\n"
    ");\n";

/* v9: executions_by_workflow goes. No statement ever read it (a workflow id's runs are found
 * through current_runs and the visibility table's workflow-id index), and every start paid
 * for an entry in it, and a page of it in the WAL at each commit. */
static const char migration_v9[] = "DROP INDEX executions_by_workflow;\n";

static const char *const migrations[] = {
    migration_v1,
    migration_v2,
    migration_v3,
    migration_v4,
    migration_v5,
    migration_v6,
    migration_v7,
    migration_v8,
    migration_v9,
};

int sg_migrate_latest_version(void)
{
    return (int)SG_ARRAY_LEN(migrations);
}

/* Runs sql (possibly several statements); on failure says what was being done and why. */
static int exec_sql(sqlite3 *db, const char *sql, const char *what)
{
    char *msg = NULL;
    int rc = sqlite3_exec(db, sql, NULL, NULL, &msg);
    if (rc == SQLITE_OK)
        return 0;
    int err = sg_sqlite_error(rc);
    sg_log_error("store: %s failed: %s (%s)", what, msg ? msg : sqlite3_errstr(rc),
                 sg_strerror(err));
    sqlite3_free(msg);
    return err;
}

/* Reads the single integer a one-row query such as "PRAGMA user_version" returns. */
static int query_int(sqlite3 *db, const char *sql, int *out)
{
    sqlite3_stmt *s = NULL;
    int rc = sqlite3_prepare_v2(db, sql, -1, &s, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) {
        *out = sqlite3_column_int(s, 0);
        rc = SQLITE_OK;
    }
    int err = 0;
    if (rc != SQLITE_OK) {
        err = sg_sqlite_error(rc);
        sg_log_error("store: reading the schema version failed: %s (%s)", sqlite3_errmsg(db),
                     sg_strerror(err));
    }
    sqlite3_finalize(s);
    return err;
}

/* Decides whether a database at version can be migrated by this binary. Runs under the write
 * lock, so what it sees cannot change before the migration starts. */
static int check_version(sqlite3 *db, int version)
{
    int latest = sg_migrate_latest_version();
    if (version > latest || version < 0) {
        sg_log_error("store: database schema version %d is newer than this binary supports (%d); "
                     "upgrade sandglass or point it at another database",
                     version, latest);
        return SG_ECORRUPT;
    }
    if (version == 0) {
        /* A version-0 file with tables in it is someone else's database: adding ours to it
         * would mix two applications' data, so refuse rather than "migrate". */
        int n_objects = 0;
        int err = query_int(db, "SELECT count(*) FROM sqlite_schema", &n_objects);
        if (err)
            return err;
        if (n_objects > 0) {
            sg_log_error("store: the database has tables but no sandglass schema version; it "
                         "does not look like a sandglass database");
            return SG_ECORRUPT;
        }
    }
    return 0;
}

int sg_migrate_run(sqlite3 *db, int *version_out)
{
    sg_assert(db && version_out);
    sg_assert(sqlite3_get_autocommit(db));
    int latest = sg_migrate_latest_version();

    /* The common case, an up-to-date database, needs no write lock: a second process reading
     * the same file must be able to start while the first one holds it. */
    int version = 0;
    int err = query_int(db, "PRAGMA user_version", &version);
    if (err)
        return err;
    if (version == latest) {
        *version_out = version;
        return 0;
    }

    for (;;) {
        err = exec_sql(db, "BEGIN IMMEDIATE", "starting a schema migration");
        if (err)
            return err;
        err = query_int(db, "PRAGMA user_version", &version);
        if (!err)
            err = check_version(db, version);
        if (!err && version == latest) {
            exec_sql(db, "ROLLBACK", "ending the schema check");
            *version_out = version;
            return 0;
        }
        if (!err) {
            char what[64];
            snprintf(what, sizeof what, "schema migration to version %d", version + 1);
            err = exec_sql(db, migrations[version], what);
        }
        if (!err) {
            char bump[64];
            snprintf(bump, sizeof bump, "PRAGMA user_version = %d", version + 1);
            err = exec_sql(db, bump, "recording the schema version");
        }
        if (!err)
            err = exec_sql(db, "COMMIT", "committing a schema migration");
        if (err) {
            /* SQLite may already have rolled back on its own (some I/O errors do). */
            if (!sqlite3_get_autocommit(db))
                exec_sql(db, "ROLLBACK", "rolling back a failed schema migration");
            return err;
        }
    }
}
