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

static const char *const migrations[] = {
    migration_v1,
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
