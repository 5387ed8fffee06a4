/* SPDX-License-Identifier: Apache-2.0 */
/* sqlite.c: the SQLite implementation of store.h.
 *
 * Design note. One sg_store wraps one sqlite3 connection used by one thread (the event loop),
 * so the connection is opened without SQLite's mutexes. Every statement the store runs is
 * prepared once at open (stmt_sql[] below) and cached in st->stmts; each call binds, steps and
 * resets it through acquire()/release(). File databases run in WAL mode with synchronous=FULL:
 * sg_store_commit returning 0 means the transaction is on disk, and callers batch many writes per
 * commit (store/txn.c) to amortise the fsync. BEGIN IMMEDIATE takes the write lock up front, so
 * lock contention surfaces at begin rather than half-way through a batch.
 *
 * Scans (namespaces, search attributes, running executions, history batches) hand each row to
 * the callback straight from SQLite's row buffer and copy nothing; the hot reads are index
 * seeks whose statements name their index (INDEXED BY), so a schema change that would turn one
 * into a table scan fails at open instead. History is stored as the engine's serialized event
 * batches and read back by batch, never decoded here (schema and layout: migrate.c, v2).
 *
 * Transaction states (st->in_txn, st->txn_err):
 *
 *              begin ok              write fails with an I/O-class error
 *     IDLE ------------> OPEN -----------------------------------------> FAILED
 *       ^                 |  |                                              |
 *       |    commit ok    |  | rollback, or commit fails (rolled back)      | commit (returns the
 *       +-----------------+  +----------------------------------------------+ error), rollback
 *
 * Invariants:
 *  1. Writes happen only in OPEN or FAILED (asserted). In FAILED they return the saved error and
 *     run nothing: SQLite may already have rolled the transaction back by itself (it does for
 *     some FULL and IOERR cases), and a further statement would then autocommit on its own.
 *  2. A commit from FAILED, or whose COMMIT fails, rolls back: no part of a batch is durable
 *     unless all of it is.
 *  3. SG_EEXIST, SG_ENOTFOUND and SG_EINVAL from a write are answers, not failures: SQLite undoes
 *     that one statement and the transaction stays OPEN for the rest of the batch.
 *  4. An injected fault takes exactly the path of the real error: a write moves to FAILED, a
 *     commit rolls back.
 *  5. No cached statement is stepped by two calls at once (asserted in acquire()), which would
 *     happen if a list callback started the same scan again.
 *
 * Transitions: IDLE -> OPEN sg_store_begin; OPEN -> FAILED write_finish / write_enter;
 * OPEN|FAILED -> IDLE sg_store_commit, sg_store_rollback, sg_store_close. */
#include "store/store.h"

#include <stdio.h>
#include <string.h>

#include "core/buf.h"
#include "core/log.h"
#include "store/migrate.h"

/* Long enough to ride out another process's checkpoint or a CLI peeking at the file, short
 * enough that a stuck lock shows up as SG_EBUSY instead of a hung event loop. */
#define STORE_BUSY_TIMEOUT_MS 5000

enum stmt_id {
    ST_BEGIN,
    ST_COMMIT,
    ST_ROLLBACK,
    ST_META_GET,
    ST_META_PUT,
    ST_NS_INSERT,
    ST_NS_UPDATE,
    ST_NS_GET_BY_NAME,
    ST_NS_GET_BY_ID,
    ST_NS_LIST,
    ST_SA_INSERT,
    ST_SA_DELETE,
    ST_SA_GET,
    ST_SA_LIST,
    ST_EX_INSERT,
    ST_EX_UPDATE,
    ST_EX_UPDATE_RUNNING,
    ST_EX_GET,
    ST_EX_SCAN_RUNNING,
    ST_CUR_GET,
    ST_CUR_PUT,
    ST_HIST_APPEND,
    ST_HIST_READ,
    ST_HIST_READ_REVERSE,
    ST_DEL_HISTORY,
    ST_DEL_EXECUTION,
    ST_DEL_CURRENT,
    ST_VIS_PUT,
    ST_VIS_UPDATE,
    ST_VIS_UPDATE_OPEN,
    ST_VIS_DEL,
    ST_VIS_ATTRS_DEL,
    ST_VIS_ATTR_PUT,
    ST_BATCH_INSERT,
    ST_BATCH_GET,
    ST_BATCH_UPDATE,
    ST_SCHEDULE_PUT,
    ST_SCHEDULE_DEL,
    ST__COUNT
};

/* The columns row_execution() reads, in its order. */
#define EXECUTION_COLS                                                                        \
    "namespace_id, workflow_id, run_id, status, start_time_ms, close_time_ms, state"

static const char *const stmt_sql[ST__COUNT] = {
    [ST_BEGIN] = "BEGIN IMMEDIATE",
    [ST_COMMIT] = "COMMIT",
    [ST_ROLLBACK] = "ROLLBACK",
    [ST_META_GET] = "SELECT value FROM meta WHERE key = ?1",
    [ST_META_PUT] = "INSERT INTO meta (key, value) VALUES (?1, ?2)"
                    " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
    [ST_NS_INSERT] = "INSERT INTO namespaces (id, name, notification_version, info)"
                     " VALUES (?1, ?2, ?3, ?4)",
    [ST_NS_UPDATE] = "UPDATE namespaces SET notification_version = ?2, info = ?3, name = ?4"
                     " WHERE id = ?1",
    [ST_NS_GET_BY_NAME] = "SELECT id, name, notification_version, info FROM namespaces"
                          " WHERE name = ?1",
    [ST_NS_GET_BY_ID] = "SELECT id, name, notification_version, info FROM namespaces"
                        " WHERE id = ?1",
    [ST_NS_LIST] = "SELECT id, name, notification_version, info FROM namespaces"
                   " WHERE name > ?1 ORDER BY name LIMIT ?2",
    [ST_SA_INSERT] = "INSERT INTO search_attributes (namespace_id, name, type)"
                     " VALUES (?1, ?2, ?3)",
    [ST_SA_DELETE] = "DELETE FROM search_attributes WHERE namespace_id = ?1 AND name = ?2",
    [ST_SA_GET] = "SELECT type FROM search_attributes WHERE namespace_id = ?1 AND name = ?2",
    [ST_SA_LIST] = "SELECT name, type FROM search_attributes WHERE namespace_id = ?1"
                   " ORDER BY name",
    [ST_EX_INSERT] = "INSERT INTO executions (" EXECUTION_COLS ")"
                     " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    [ST_EX_UPDATE] = "UPDATE executions SET status = ?3, close_time_ms = ?4, state = ?5"
                     " WHERE namespace_id = ?1 AND run_id = ?2",
    /* A running run's update: with status in the SET list SQLite would delete and re-insert
     * its executions_running entry every time (runs are stored running and never reopen). */
    [ST_EX_UPDATE_RUNNING] = "UPDATE executions SET state = ?5 WHERE namespace_id = ?1 AND run_id = ?2",
    [ST_EX_GET] = "SELECT " EXECUTION_COLS " FROM executions"
                  " WHERE namespace_id = ?1 AND run_id = ?2",
    /* The literal 1 is what lets the partial index serve this query (a bound parameter would
     * not imply the index's WHERE). INDEXED BY here and below is a guard, not a hint: should a
     * schema change make the index unusable, the statement fails to prepare at open instead
     * of silently becoming a scan of every run or of a run's whole history. */
    [ST_EX_SCAN_RUNNING] = "SELECT " EXECUTION_COLS " FROM executions"
                           " INDEXED BY executions_running WHERE status = 1",
    /* The status is the run's own (its executions row, rewritten at every save anyway): the
     * current-run row is written when a run starts and not again when it closes. Its status
     * column answers only for a run whose row is gone. */
    [ST_CUR_GET] = "SELECT c.run_id, coalesce(e.status, c.status), c.start_request_id"
                   " FROM current_runs c LEFT JOIN executions e"
                   " ON e.namespace_id = c.namespace_id AND e.run_id = c.run_id"
                   " WHERE c.namespace_id = ?1 AND c.workflow_id = ?2",
    [ST_CUR_PUT] = "INSERT INTO current_runs"
                   " (namespace_id, workflow_id, run_id, status, start_request_id)"
                   " VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (namespace_id, workflow_id)"
                   " DO UPDATE SET run_id = excluded.run_id, status = excluded.status,"
                   " start_request_id = excluded.start_request_id",
    [ST_HIST_APPEND] = "INSERT INTO history"
                       " (namespace_id, run_id, first_event_id, last_event_id, data)"
                       " VALUES (?1, ?2, ?3, ?4, ?5)",
    /* Two seeks on the primary key: the subquery finds the last batch starting at or before
     * ?3, the outer range runs forward from it. last_event_id >= ?3 drops that batch when it
     * ends before ?3 (?3 past the end: one row read, nothing returned); when no batch starts
     * at or before ?3 the range starts at ?3 itself. */
    [ST_HIST_READ] = "SELECT first_event_id, last_event_id, data FROM history"
                     " INDEXED BY sqlite_autoindex_history_1"
                     " WHERE namespace_id = ?1 AND run_id = ?2 AND last_event_id >= ?3"
                     " AND first_event_id >= coalesce("
                     "(SELECT first_event_id FROM history INDEXED BY sqlite_autoindex_history_1"
                     " WHERE namespace_id = ?1 AND run_id = ?2 AND first_event_id <= ?3"
                     " ORDER BY first_event_id DESC LIMIT 1), ?3)"
                     " ORDER BY first_event_id",
    /* The first row is the batch containing ?3, or the last batch when ?3 is past the end. */
    [ST_DEL_HISTORY] = "DELETE FROM history WHERE namespace_id = ?1 AND run_id = ?2",
    [ST_DEL_EXECUTION] = "DELETE FROM executions WHERE namespace_id = ?1 AND run_id = ?2",
    [ST_DEL_CURRENT] = "DELETE FROM current_runs WHERE namespace_id = ?1 AND workflow_id = ?2"
                       " AND run_id = ?3",
    [ST_VIS_PUT] = "INSERT OR REPLACE INTO visibility (namespace_id, run_id, workflow_id,"
                   " workflow_type, status, start_time, execution_time, close_time, close_order,"
                   " execution_duration, task_queue, history_length, history_size_bytes,"
                   " state_transition_count, parent_workflow_id, parent_run_id, root_workflow_id,"
                   " root_run_id, info) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12,"
                   " ?13, ?14, ?15, ?16, ?17, ?18, ?19)",
    /* SQLite rewrites the entries of every index a SET column is part of, changed or not, so
     * an update names only what can change after the start: a close moves the run in the
     * order, status and type indexes; an update of a running run (an upsert) in none. */
    [ST_VIS_UPDATE] = "UPDATE visibility SET status = ?5, close_time = ?8, close_order = ?9,"
                      " execution_duration = ?10, history_length = ?12,"
                      " history_size_bytes = ?13, state_transition_count = ?14, info = ?19"
                      " WHERE namespace_id = ?1 AND run_id = ?2",
    [ST_VIS_UPDATE_OPEN] = "UPDATE visibility SET history_length = ?12, history_size_bytes = ?13,"
                           " state_transition_count = ?14, info = ?19"
                           " WHERE namespace_id = ?1 AND run_id = ?2",
    [ST_VIS_DEL] = "DELETE FROM visibility WHERE namespace_id = ?1 AND run_id = ?2",
    [ST_VIS_ATTRS_DEL] = "DELETE FROM visibility_attrs WHERE namespace_id = ?1 AND run_id = ?2",
    [ST_BATCH_INSERT] = "INSERT INTO batch_operations (namespace_id, job_id, start_time, info,"
                        " work, cursor) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    /* An upsert rewrites the row in place; OR REPLACE would delete the row and its key entry
     * and insert both again, at every action a schedule takes. */
    [ST_SCHEDULE_PUT] = "INSERT INTO schedules (namespace_id, schedule_id, info) VALUES (?1, ?2, ?3)"
                        " ON CONFLICT (namespace_id, schedule_id) DO UPDATE SET info = excluded.info",
    [ST_SCHEDULE_DEL] = "DELETE FROM schedules WHERE namespace_id = ?1 AND schedule_id = ?2",
    [ST_BATCH_UPDATE] = "UPDATE batch_operations SET info = ?3, cursor = ?4,"
                        " work = CASE WHEN ?5 THEN work END"
                        " WHERE namespace_id = ?1 AND job_id = ?2",
    [ST_BATCH_GET] = "SELECT info FROM batch_operations WHERE namespace_id = ?1 AND job_id = ?2",
    [ST_VIS_ATTR_PUT] = "INSERT OR IGNORE INTO visibility_attrs (namespace_id, run_id, name, value)"
                        " VALUES (?1, ?2, ?3, ?4)",
    [ST_HIST_READ_REVERSE] = "SELECT first_event_id, last_event_id, data FROM history"
                             " INDEXED BY sqlite_autoindex_history_1"
                             " WHERE namespace_id = ?1 AND run_id = ?2 AND first_event_id <= ?3"
                             " ORDER BY first_event_id DESC",
};

struct sg_store {
    sqlite3 *db;
    sqlite3_stmt *stmts[ST__COUNT];
    char *location;      /* "in memory" or the path, for logs and the banner */
    int schema_version;
    bool in_txn;
    int txn_err;         /* 0 while OPEN; the error that moved the transaction to FAILED */
    int fault_countdown; /* writes and commits left until the injected fault; 0 = disarmed */
    int fault_err;
    uint64_t reads;      /* read calls served (tests: which paths reach the store) */
    uint64_t commits;    /* since open: statistics are refreshed every ANALYZE_EVERY_COMMITS */
    bool no_vis_walk;    /* sg_store_set_vis_walk(false): every list page as planned */
    uint64_t walks_whole, walks_handed; /* sg_store_vis_walk_counts */
};

int sg_sqlite_error(int rc)
{
    sg_assert(rc != SQLITE_OK && rc != SQLITE_ROW && rc != SQLITE_DONE);
    switch (rc) {
    case SQLITE_CONSTRAINT_PRIMARYKEY:
    case SQLITE_CONSTRAINT_UNIQUE:
        return SG_EEXIST;
    case SQLITE_CONSTRAINT_FOREIGNKEY:
        return SG_ENOTFOUND;
    default:
        break;
    }
    switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        return SG_EBUSY;
    case SQLITE_FULL:
    case SQLITE_TOOBIG:
        return SG_ELIMIT;
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
        return SG_ECORRUPT;
    case SQLITE_CONSTRAINT:
        return SG_EINVAL;
    case SQLITE_NOMEM:
        sg_panic("sqlite: out of memory");
    default:
        return SG_EIO;
    }
}

/* Reports a storage failure with SQLite's own explanation. Contention is routine and left to
 * the caller, which retries or reports SG_EBUSY upward. */
static void log_failure(sg_store *st, const char *what, int err)
{
    if (err == SG_EBUSY)
        return;
    sg_log_error("store (%s): %s failed: %s (%s)", st->location, what, sqlite3_errmsg(st->db),
                 sg_strerror(err));
}

static sqlite3_stmt *acquire(sg_store *st, enum stmt_id id)
{
    sqlite3_stmt *s = st->stmts[id];
    sg_assert(s);
    sg_assert(!sqlite3_stmt_busy(s)); /* invariant 5 */
    return s;
}

/* Resets s for the next call and drops its bindings, which borrow the caller's strings. */
static void release(sqlite3_stmt *s)
{
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
}

static int bind_text(sqlite3_stmt *s, int idx, const char *text)
{
    return sqlite3_bind_text(s, idx, text, -1, SQLITE_STATIC);
}

/* Counts one write or commit toward an armed fault; true when this one must fail. */
static bool fault_fires(sg_store *st)
{
    if (st->fault_countdown == 0)
        return false;
    return --st->fault_countdown == 0;
}

static bool is_answer(int err)
{
    return err == SG_EEXIST || err == SG_ENOTFOUND || err == SG_EINVAL;
}

/* Every write starts here: enforces invariant 1 and counts the write for fault injection.
 * Returns 0 when the write may run. */
static int write_enter(sg_store *st)
{
    sg_assert(st->in_txn);
    if (fault_fires(st)) {
        if (!st->txn_err)
            st->txn_err = st->fault_err;
        return st->fault_err;
    }
    return st->txn_err;
}

/* Steps a write whose binding returned rc, releases it, and applies invariants 1 and 3. */
static int write_finish(sg_store *st, sqlite3_stmt *s, int rc, const char *what)
{
    if (rc == SQLITE_OK)
        rc = sqlite3_step(s);
    int err = 0;
    if (rc != SQLITE_DONE) {
        err = sg_sqlite_error(rc);
        if (!is_answer(err)) {
            log_failure(st, what, err);
            if (!st->txn_err)
                st->txn_err = err;
        }
    }
    release(s);
    return err;
}

static int read_failed(sg_store *st, int rc, const char *what)
{
    int err = sg_sqlite_error(rc);
    log_failure(st, what, err);
    return err;
}

/* Runs one statement that needs no bindings (BEGIN, COMMIT, ROLLBACK). */
static int run_simple(sg_store *st, enum stmt_id id, const char *what)
{
    sqlite3_stmt *s = acquire(st, id);
    int rc = sqlite3_step(s);
    int err = rc == SQLITE_DONE ? 0 : read_failed(st, rc, what);
    release(s);
    return err;
}

/* Ends whatever transaction SQLite still has open; SQLite may have ended it itself already. */
static void rollback_now(sg_store *st)
{
    if (!sqlite3_get_autocommit(st->db))
        run_simple(st, ST_ROLLBACK, "rollback");
}

/* ---- Opening and closing ---- */

/* Accepts "key=value" with key in [a-z_]+ and value a plain token ([A-Za-z0-9_.+-]+, enough for
 * "-20000", "NORMAL", "1.5"): nothing that could end the PRAGMA and start another statement.
 * Keys the migrations own are refused, since changing them would make the schema lie.
 * Returns NULL when acceptable, else why not. */
static const char *check_pragma(const char *p)
{
    static const char *const reserved[] = { "user_version", "schema_version", "writable_schema" };
    static const char *const malformed =
        "expected key=value with key in [a-z_] and value in [A-Za-z0-9_.+-]";
    const char *eq = p ? strchr(p, '=') : NULL;
    if (!eq || eq == p || !eq[1])
        return malformed;
    for (const char *c = p; c < eq; c++)
        if (!((*c >= 'a' && *c <= 'z') || *c == '_'))
            return malformed;
    for (const char *c = eq + 1; *c; c++)
        if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') ||
              strchr("_.+-", *c)))
            return malformed;
    for (size_t i = 0; i < SG_ARRAY_LEN(reserved); i++)
        if (strlen(reserved[i]) == (size_t)(eq - p) && memcmp(p, reserved[i], eq - p) == 0)
            return "the schema migrations own this pragma";
    return NULL;
}

/* Runs a PRAGMA to completion. If mode_out is given, copies the first column of the first row
 * there (journal_mode reports the mode it actually chose). */
static int run_pragma(sg_store *st, const char *sql, char *mode_out, size_t mode_cap)
{
    sqlite3_stmt *s = NULL;
    const char *tail = NULL;
    int rc = sqlite3_prepare_v2(st->db, sql, -1, &s, &tail);
    if (rc != SQLITE_OK) {
        /* A syntax error in a user's pragma value is their input being wrong, not the disk. */
        int err = rc == SQLITE_ERROR ? SG_EINVAL : sg_sqlite_error(rc);
        sg_log_error("store (%s): %s failed: %s (%s)", st->location, sql,
                     sqlite3_errmsg(st->db), sg_strerror(err));
        return err;
    }
    sg_assert(s && tail && !*tail);
    bool first = true;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        const char *v = (const char *)sqlite3_column_text(s, 0);
        if (first && mode_out && v)
            snprintf(mode_out, mode_cap, "%s", v);
        first = false;
    }
    int err = 0;
    if (rc != SQLITE_DONE) {
        err = sg_sqlite_error(rc);
        sg_log_error("store (%s): %s failed: %s (%s)", st->location, sql, sqlite3_errmsg(st->db),
                     sg_strerror(err));
    }
    sqlite3_finalize(s);
    return err;
}

static int apply_pragmas(sg_store *st, const sg_store_options *opts, bool in_memory)
{
    int err = 0;
    if (!in_memory) {
        /* The first statement that reads the file: a file that is not a database fails here. */
        char mode[16] = "";
        err = run_pragma(st, "PRAGMA journal_mode = WAL", mode, sizeof mode);
        if (!err && strcmp(mode, "wal") != 0)
            sg_log_warn("store (%s): WAL is not available here (journal_mode=%s); readers will "
                        "block writers",
                        st->location, mode);
    }
    if (!err)
        err = run_pragma(st, "PRAGMA synchronous = FULL", NULL, 0);
    if (!err)
        err = run_pragma(st, "PRAGMA foreign_keys = ON", NULL, 0);
    for (size_t i = 0; !err && i < opts->n_pragmas; i++) {
        char *sql = sg_asprintf("PRAGMA %s", opts->pragmas[i]);
        err = run_pragma(st, sql, NULL, 0);
        sg_free(sql);
    }
    return err;
}

/* Refreshes the query planner's statistics (sqlite_stat1), sampling at most ANALYSIS_LIMIT rows
 * per index so it stays in the milliseconds at any size. Without statistics SQLite walks the
 * visibility order index for a filter that matches a handful of runs; with them it seeks the
 * attribute index first (bench/vis_bench). Maintenance only: a failure is logged and ignored. */
#define ANALYSIS_LIMIT 1000
#define ANALYZE_EVERY_COMMITS 1000

static void refresh_statistics(sg_store *st)
{
    char *msg = NULL;
    if (sqlite3_exec(st->db, "ANALYZE", NULL, NULL, &msg) != SQLITE_OK)
        sg_log_warn("store (%s): ANALYZE failed: %s", st->location, msg ? msg : "?");
    sqlite3_free(msg);
}

int sg_store_open(const sg_store_options *opts, sg_store **out)
{
    sg_assert(opts && out);
    *out = NULL;
    /* Validated before touching the disk, so a typo on the command line creates no file. */
    for (size_t i = 0; i < opts->n_pragmas; i++) {
        const char *why = check_pragma(opts->pragmas[i]);
        if (why) {
            sg_log_error("store: pragma \"%s\" refused: %s",
                         opts->pragmas[i] ? opts->pragmas[i] : "(null)", why);
            return SG_EINVAL;
        }
    }

    /* SQLite's allocation statistics take a global mutex on every malloc and free, and nothing
     * reads them; off before the library first initialises (later calls are refused, harmless). */
    static bool configured;
    if (!configured) {
        configured = true;
        (void)sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
    }
    bool in_memory = !opts->path || !opts->path[0];
    sg_store *st = sg_calloc(1, sizeof *st);
    st->location = sg_strdup(in_memory ? "in memory" : opts->path);
    int err = 0;
    int rc = sqlite3_open_v2(in_memory ? ":memory:" : opts->path, &st->db,
                             SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                             NULL);
    if (rc != SQLITE_OK) {
        if (!st->db)
            sg_panic("sqlite: out of memory opening %s", st->location);
        err = sg_sqlite_error(rc);
        log_failure(st, "open", err);
        goto fail;
    }
    sqlite3_extended_result_codes(st->db, 1);
    sqlite3_busy_timeout(st->db, STORE_BUSY_TIMEOUT_MS);

    err = apply_pragmas(st, opts, in_memory);
    if (!err)
        err = run_pragma(st, "PRAGMA analysis_limit = 1000" /* ANALYSIS_LIMIT */, NULL, 0);
    if (!err)
        err = sg_migrate_run(st->db, &st->schema_version);
    if (err)
        goto fail;
    /* A database written by an earlier run gets fresh statistics before it is queried. */
    if (!in_memory)
        refresh_statistics(st);

    for (int i = 0; i < ST__COUNT; i++) {
        rc = sqlite3_prepare_v3(st->db, stmt_sql[i], -1, SQLITE_PREPARE_PERSISTENT, &st->stmts[i],
                                NULL);
        if (rc != SQLITE_OK) {
            err = sg_sqlite_error(rc);
            log_failure(st, stmt_sql[i], err);
            goto fail;
        }
    }
    *out = st;
    return 0;

fail:
    sg_store_close(st);
    /* Header promise: a file that cannot be opened or migrated is SG_EIO; the finer codes that
     * callers act on (busy, corrupt, bad pragma, too new) pass through. */
    return is_answer(err) && err != SG_EINVAL ? SG_EIO : err;
}

void sg_store_close(sg_store *st)
{
    if (!st)
        return;
    if (st->db && st->in_txn)
        sg_store_rollback(st);
    for (int i = 0; i < ST__COUNT; i++)
        sqlite3_finalize(st->stmts[i]);
    if (st->db && sqlite3_close(st->db) != SQLITE_OK)
        sg_log_error("store (%s): close failed: %s", st->location, sqlite3_errmsg(st->db));
    sg_free(st->location);
    sg_free(st);
}

int sg_store_schema_version(sg_store *st)
{
    return st->schema_version;
}

const char *sg_store_location(sg_store *st)
{
    return st->location;
}

/* ---- Transactions ---- */

int sg_store_begin(sg_store *st)
{
    sg_assert(!st->in_txn);
    /* Only reachable after a ROLLBACK itself failed; clear it so BEGIN can start afresh. */
    rollback_now(st);
    int err = run_simple(st, ST_BEGIN, "begin");
    if (err)
        return err;
    st->in_txn = true;
    st->txn_err = 0;
    return 0;
}

int sg_store_commit(sg_store *st)
{
    sg_assert(st->in_txn);
    int err = fault_fires(st) ? st->fault_err : st->txn_err;
    if (!err)
        err = run_simple(st, ST_COMMIT, "commit");
    if (err)
        rollback_now(st); /* invariant 2; also covers a COMMIT that failed with SQLITE_BUSY */
    st->in_txn = false;
    st->txn_err = 0;
    if (!err && ++st->commits % ANALYZE_EVERY_COMMITS == 0)
        refresh_statistics(st);
    return err;
}

void sg_store_rollback(sg_store *st)
{
    if (!st->in_txn)
        return;
    rollback_now(st);
    st->in_txn = false;
    st->txn_err = 0;
}

bool sg_store_in_txn(sg_store *st)
{
    return st->in_txn;
}

void sg_store_fault_inject(sg_store *st, int nth_write, int err)
{
    sg_assert(nth_write >= 0);
    sg_assert(nth_write == 0 || err < 0);
    st->fault_countdown = nth_write;
    st->fault_err = err;
}

/* ---- Cluster metadata ---- */

int sg_store_meta_get(sg_store *st, const char *key, char **value_out)
{
    st->reads++;
    sg_assert(key && value_out);
    *value_out = NULL;
    sqlite3_stmt *s = acquire(st, ST_META_GET);
    int rc = bind_text(s, 1, key);
    if (rc == SQLITE_OK)
        rc = sqlite3_step(s);
    int err;
    if (rc == SQLITE_ROW) {
        const char *v = (const char *)sqlite3_column_text(s, 0);
        err = v ? 0 : SG_ECORRUPT;
        if (v)
            *value_out = sg_strdup(v);
    } else {
        err = rc == SQLITE_DONE ? SG_ENOTFOUND : read_failed(st, rc, "meta get");
    }
    release(s);
    return err;
}

int sg_store_meta_put(sg_store *st, const char *key, const char *value)
{
    sg_assert(key && value);
    int err = write_enter(st);
    if (err)
        return err;
    sqlite3_stmt *s = acquire(st, ST_META_PUT);
    int rc = bind_text(s, 1, key);
    if (rc == SQLITE_OK)
        rc = bind_text(s, 2, value);
    return write_finish(st, s, rc, "meta put");
}

/* ---- Namespaces ---- */

void sg_namespace_rec_deinit(sg_namespace_rec *rec)
{
    if (!rec)
        return;
    sg_free(rec->id);
    sg_free(rec->name);
    sg_free(rec->info);
    rec->id = rec->name = NULL;
    rec->info = NULL;
    rec->info_len = 0;
}

/* Points rec at the current row (id, name, notification_version, info); the pointers live
 * until the statement is stepped again or reset. */
static int row_namespace(sqlite3_stmt *s, sg_namespace_rec *rec)
{
    static uint8_t empty[1];
    rec->id = (char *)sqlite3_column_text(s, 0);
    rec->name = (char *)sqlite3_column_text(s, 1);
    rec->notification_version = sqlite3_column_int64(s, 2);
    const void *info = sqlite3_column_blob(s, 3);
    rec->info_len = (size_t)sqlite3_column_bytes(s, 3);
    /* SQLite returns NULL for a zero-length blob; records always carry a valid pointer. */
    rec->info = info ? (uint8_t *)info : empty;
    return rec->id && rec->name ? 0 : SG_ECORRUPT;
}

static int bind_namespace(sqlite3_stmt *s, const sg_namespace_rec *rec, int i_id, int i_name,
                          int i_version, int i_info)
{
    /* A NULL pointer would bind SQL NULL; the column wants an empty blob. */
    const void *info = rec->info_len ? (const void *)rec->info : "";
    int rc = bind_text(s, i_id, rec->id);
    if (rc == SQLITE_OK && i_name)
        rc = bind_text(s, i_name, rec->name);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_int64(s, i_version, rec->notification_version);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_blob64(s, i_info, info, rec->info_len, SQLITE_STATIC);
    return rc;
}

int sg_store_namespace_insert(sg_store *st, const sg_namespace_rec *rec)
{
    sg_assert(rec && rec->id && rec->name && (rec->info || !rec->info_len));
    int err = write_enter(st);
    if (err)
        return err;
    sqlite3_stmt *s = acquire(st, ST_NS_INSERT);
    return write_finish(st, s, bind_namespace(s, rec, 1, 2, 3, 4), "namespace insert");
}

int sg_store_namespace_update(sg_store *st, const sg_namespace_rec *rec)
{
    sg_assert(rec && rec->id && (rec->info || !rec->info_len));
    int err = write_enter(st);
    if (err)
        return err;
    sqlite3_stmt *s = acquire(st, ST_NS_UPDATE);
    err = write_finish(st, s, bind_namespace(s, rec, 1, 4, 2, 3), "namespace update");
    if (!err && sqlite3_changes(st->db) == 0)
        err = SG_ENOTFOUND;
    return err;
}

int sg_store_namespace_get(sg_store *st, const char *key, bool by_id, sg_namespace_rec *out)
{
    st->reads++;
    sg_assert(key && out);
    memset(out, 0, sizeof *out);
    sqlite3_stmt *s = acquire(st, by_id ? ST_NS_GET_BY_ID : ST_NS_GET_BY_NAME);
    int rc = bind_text(s, 1, key);
    if (rc == SQLITE_OK)
        rc = sqlite3_step(s);
    int err;
    if (rc == SQLITE_ROW) {
        sg_namespace_rec row;
        err = row_namespace(s, &row);
        if (!err) {
            out->id = sg_strdup(row.id);
            out->name = sg_strdup(row.name);
            out->notification_version = row.notification_version;
            out->info = sg_memdup(row.info, row.info_len);
            out->info_len = row.info_len;
        }
    } else {
        err = rc == SQLITE_DONE ? SG_ENOTFOUND : read_failed(st, rc, "namespace get");
    }
    release(s);
    return err;
}

int sg_store_namespace_list(sg_store *st, const char *after_name, int limit, sg_namespace_cb cb,
                            void *ud)
{
    st->reads++;
    sg_assert(cb);
    sqlite3_stmt *s = acquire(st, ST_NS_LIST);
    int rc = bind_text(s, 1, after_name ? after_name : "");
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_int(s, 2, limit > 0 ? limit : -1); /* LIMIT -1: no limit */
    int visited = 0, result = 0;
    while (rc == SQLITE_OK || rc == SQLITE_ROW) {
        rc = sqlite3_step(s);
        if (rc != SQLITE_ROW)
            break;
        sg_namespace_rec rec;
        result = row_namespace(s, &rec);
        if (!result)
            result = cb(ud, &rec);
        if (result)
            break;
        visited++;
    }
    if (!result)
        result = rc == SQLITE_DONE ? visited : read_failed(st, rc, "namespace list");
    release(s);
    return result;
}

/* ---- Custom search attributes ---- */

int sg_store_search_attr_insert(sg_store *st, const char *namespace_id, const char *name, int type)
{
    sg_assert(namespace_id && name);
    int err = write_enter(st);
    if (err)
        return err;
    sqlite3_stmt *s = acquire(st, ST_SA_INSERT);
    int rc = bind_text(s, 1, namespace_id);
    if (rc == SQLITE_OK)
        rc = bind_text(s, 2, name);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_int(s, 3, type);
    return write_finish(st, s, rc, "search attribute insert");
}

int sg_store_search_attr_delete(sg_store *st, const char *namespace_id, const char *name)
{
    sg_assert(namespace_id && name);
    int err = write_enter(st);
    if (err)
        return err;
    sqlite3_stmt *s = acquire(st, ST_SA_DELETE);
    int rc = bind_text(s, 1, namespace_id);
    if (rc == SQLITE_OK)
        rc = bind_text(s, 2, name);
    err = write_finish(st, s, rc, "search attribute delete");
    if (!err && sqlite3_changes(st->db) == 0)
        err = SG_ENOTFOUND;
    return err;
}

int sg_store_search_attr_get(sg_store *st, const char *namespace_id, const char *name,
                             int *type_out)
{
    st->reads++;
    sg_assert(namespace_id && name && type_out);
    sqlite3_stmt *s = acquire(st, ST_SA_GET);
    int rc = bind_text(s, 1, namespace_id);
    if (rc == SQLITE_OK)
        rc = bind_text(s, 2, name);
    if (rc == SQLITE_OK)
        rc = sqlite3_step(s);
    int err = 0;
    if (rc == SQLITE_ROW)
        *type_out = sqlite3_column_int(s, 0);
    else
        err = rc == SQLITE_DONE ? SG_ENOTFOUND : read_failed(st, rc, "search attribute get");
    release(s);
    return err;
}

int sg_store_search_attr_list(sg_store *st, const char *namespace_id, sg_search_attr_cb cb,
                              void *ud)
{
    st->reads++;
    sg_assert(namespace_id && cb);
    sqlite3_stmt *s = acquire(st, ST_SA_LIST);
    int rc = bind_text(s, 1, namespace_id);
    int visited = 0, result = 0;
    while (rc == SQLITE_OK || rc == SQLITE_ROW) {
        rc = sqlite3_step(s);
        if (rc != SQLITE_ROW)
            break;
        const char *name = (const char *)sqlite3_column_text(s, 0);
        result = name ? cb(ud, name, sqlite3_column_int(s, 1)) : SG_ECORRUPT;
        if (result)
            break;
        visited++;
    }
    if (!result)
        result = rc == SQLITE_DONE ? visited : read_failed(st, rc, "search attribute list");
    release(s);
    return result;
}

/* ---- Workflow executions ---- */

void sg_execution_rec_deinit(sg_execution_rec *rec)
{
    if (!rec)
        return;
    sg_free(rec->namespace_id);
    sg_free(rec->workflow_id);
    sg_free(rec->run_id);
    sg_free(rec->state);
    memset(rec, 0, sizeof *rec);
}

/* Points rec at the current row (EXECUTION_COLS); the pointers live until the statement is
 * stepped again or reset. */
static int row_execution(sqlite3_stmt *s, sg_execution_rec *rec)
{
    static uint8_t empty[1];
    rec->namespace_id = (char *)sqlite3_column_text(s, 0);
    rec->workflow_id = (char *)sqlite3_column_text(s, 1);
    rec->run_id = (char *)sqlite3_column_text(s, 2);
    rec->status = sqlite3_column_int(s, 3);
    rec->start_time_ms = sqlite3_column_int64(s, 4);
    rec->close_time_ms = sqlite3_column_int64(s, 5);
    const void *state = sqlite3_column_blob(s, 6);
    rec->state_len = (size_t)sqlite3_column_bytes(s, 6);
    rec->state = state ? (uint8_t *)state : empty; /* see row_namespace */
    return rec->namespace_id && rec->workflow_id && rec->run_id ? 0 : SG_ECORRUPT;
}

int sg_store_execution_insert(sg_store *st, const sg_execution_rec *rec)
{
    sg_assert(rec && rec->namespace_id && rec->workflow_id && rec->run_id);
    sg_assert(rec->state || !rec->state_len);
    int err = write_enter(st);
    if (err)
        return err;
    const void *state = rec->state_len ? (const void *)rec->state : "";
    sqlite3_stmt *s = acquire(st, ST_EX_INSERT);
    int rc = bind_text(s, 1, rec->namespace_id);
    if (rc == SQLITE_OK)
        rc = bind_text(s, 2, rec->workflow_id);
    if (rc == SQLITE_OK)
        rc = bind_text(s, 3, rec->run_id);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_int(s, 4, rec->status);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_int64(s, 5, rec->start_time_ms);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_int64(s, 6, rec->close_time_ms);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_blob64(s, 7, state, rec->state_len, SQLITE_STATIC);
    return write_finish(st, s, rc, "execution insert");
}

int sg_store_execution_update(sg_store *st, const sg_execution_rec *rec)
{
    sg_assert(rec && rec->namespace_id && rec->run_id && (rec->state || !rec->state_len));
    int err = write_enter(st);
    if (err)
        return err;
    const void *state = rec->state_len ? (const void *)rec->state : "";
    sqlite3_stmt *s = acquire(st, rec->status == 1 ? ST_EX_UPDATE_RUNNING : ST_EX_UPDATE);
    int rc = bind_text(s, 1, rec->namespace_id);
    if (rc == SQLITE_OK)
        rc = bind_text(s, 2, rec->run_id);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_int(s, 3, rec->status);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_int64(s, 4, rec->close_time_ms);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_blob64(s, 5, state, rec->state_len, SQLITE_STATIC);
    err = write_finish(st, s, rc, "execution update");
    if (!err && sqlite3_changes(st->db) == 0)
        err = SG_ENOTFOUND;
    return err;
}

int sg_store_execution_get(sg_store *st, const char *namespace_id, const char *run_id,
                           sg_execution_rec *out)
{
    st->reads++;
    sg_assert(namespace_id && run_id && out);
    memset(out, 0, sizeof *out);
    sqlite3_stmt *s = acquire(st, ST_EX_GET);
    int rc = bind_text(s, 1, namespace_id);
    if (rc == SQLITE_OK)
        rc = bind_text(s, 2, run_id);
    if (rc == SQLITE_OK)
        rc = sqlite3_step(s);
    int err;
    if (rc == SQLITE_ROW) {
        sg_execution_rec row;
        err = row_execution(s, &row);
        if (!err) {
            *out = row;
            out->namespace_id = sg_strdup(row.namespace_id);
            out->workflow_id = sg_strdup(row.workflow_id);
            out->run_id = sg_strdup(row.run_id);
            out->state = sg_memdup(row.state, row.state_len);
        }
    } else {
        err = rc == SQLITE_DONE ? SG_ENOTFOUND : read_failed(st, rc, "execution get");
    }
    release(s);
    return err;
}

/* The callback may read anything, and may update the run it is handed (recovery closing a run
 * that timed out while the server was down). SQLite leaves it undefined whether a pending query
 * sees its own connection's changes; store_execution_scan_running pins down that updating the
 * row just handed over, closing it or not, neither repeats nor skips a run. Runs the callback
 * inserts may or may not be visited. */
int sg_store_execution_scan_running(sg_store *st, sg_execution_cb cb, void *ud)
{
    st->reads++;
    sg_assert(cb);
    sqlite3_stmt *s = acquire(st, ST_EX_SCAN_RUNNING);
    int rc = SQLITE_OK, visited = 0, result = 0;
    while (rc == SQLITE_OK || rc == SQLITE_ROW) {
        rc = sqlite3_step(s);
        if (rc != SQLITE_ROW)
            break;
        sg_execution_rec rec;
        result = row_execution(s, &rec);
        if (!result)
            result = cb(ud, &rec);
        if (result)
            break;
        visited++;
    }
    if (!result)
        result = rc == SQLITE_DONE ? visited : read_failed(st, rc, "execution scan");
    release(s);
    return result;
}

/* ---- Current run per workflow id ---- */

void sg_current_rec_deinit(sg_current_rec *rec)
{
    if (!rec)
        return;
    sg_free(rec->run_id);
    sg_free(rec->start_request_id);
    memset(rec, 0, sizeof *rec);
}

int sg_store_current_get(sg_store *st, const char *namespace_id, const char *workflow_id,
                         sg_current_rec *out)
{
    st->reads++;
    sg_assert(namespace_id && workflow_id && out);
    memset(out, 0, sizeof *out);
    sqlite3_stmt *s = acquire(st, ST_CUR_GET);
    int rc = bind_text(s, 1, namespace_id);
    if (rc == SQLITE_OK)
        rc = bind_text(s, 2, workflow_id);
    if (rc == SQLITE_OK)
        rc = sqlite3_step(s);
    int err = 0;
    if (rc == SQLITE_ROW) {
        const char *run_id = (const char *)sqlite3_column_text(s, 0);
        const char *request_id = (const char *)sqlite3_column_text(s, 2);
        if (run_id && request_id) {
            out->run_id = sg_strdup(run_id);
            out->status = sqlite3_column_int(s, 1);
            out->start_request_id = sg_strdup(request_id);
        } else {
            err = SG_ECORRUPT;
        }
    } else {
        err = rc == SQLITE_DONE ? SG_ENOTFOUND : read_failed(st, rc, "current run get");
    }
    release(s);
    return err;
}

int sg_store_current_put(sg_store *st, const char *namespace_id, const char *workflow_id,
                         const sg_current_rec *rec)
{
    sg_assert(namespace_id && workflow_id && rec && rec->run_id && rec->start_request_id);
    int err = write_enter(st);
    if (err)
        return err;
    sqlite3_stmt *s = acquire(st, ST_CUR_PUT);
    int rc = bind_text(s, 1, namespace_id);
    if (rc == SQLITE_OK)
        rc = bind_text(s, 2, workflow_id);
    if (rc == SQLITE_OK)
        rc = bind_text(s, 3, rec->run_id);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_int(s, 4, rec->status);
    if (rc == SQLITE_OK)
        rc = bind_text(s, 5, rec->start_request_id);
    return write_finish(st, s, rc, "current run put");
}

int sg_store_execution_delete(sg_store *st, const char *namespace_id, const char *workflow_id,
                              const char *run_id)
{
    sg_assert(namespace_id && workflow_id && run_id);
    static const struct {
        enum stmt_id id;
        const char *what;
    } steps[] = { { ST_DEL_HISTORY, "history delete" },
                  { ST_VIS_DEL, "visibility delete" },
                  { ST_VIS_ATTRS_DEL, "visibility attributes delete" },
                  { ST_DEL_EXECUTION, "execution delete" },
                  { ST_DEL_CURRENT, "current run delete" } };
    int deleted_rows = 0;
    for (size_t i = 0; i < SG_ARRAY_LEN(steps); i++) {
        int err = write_enter(st);
        if (err)
            return err;
        sqlite3_stmt *s = acquire(st, steps[i].id);
        int rc = bind_text(s, 1, namespace_id);
        if (rc == SQLITE_OK)
            rc = bind_text(s, 2, steps[i].id == ST_DEL_CURRENT ? workflow_id : run_id);
        if (rc == SQLITE_OK && steps[i].id == ST_DEL_CURRENT)
            rc = bind_text(s, 3, run_id);
        err = write_finish(st, s, rc, steps[i].what);
        if (err)
            return err;
        if (steps[i].id == ST_DEL_EXECUTION)
            deleted_rows = sqlite3_changes(st->db);
    }
    return deleted_rows ? 0 : SG_ENOTFOUND;
}

/* ---- History ---- */

int sg_store_history_append(sg_store *st, const char *namespace_id, const char *run_id,
                            int64_t first_event_id, int64_t last_event_id, const uint8_t *data,
                            size_t len)
{
    sg_assert(namespace_id && run_id && (data || !len));
    /* Event ids start at 1 and a batch holds at least one event; the read paths count on it. */
    sg_assert(first_event_id >= 1 && last_event_id >= first_event_id);
    int err = write_enter(st);
    if (err)
        return err;
    sqlite3_stmt *s = acquire(st, ST_HIST_APPEND);
    int rc = bind_text(s, 1, namespace_id);
    if (rc == SQLITE_OK)
        rc = bind_text(s, 2, run_id);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_int64(s, 3, first_event_id);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_int64(s, 4, last_event_id);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_blob64(s, 5, len ? (const void *)data : "", len, SQLITE_STATIC);
    return write_finish(st, s, rc, "history append");
}

/* Steps a history read bound up to rc, handing each batch to cb straight from SQLite's row
 * buffer. bound is from_event_id (forward) or to_event_id (reverse, INT64_MAX for "the last");
 * only a batch's events on the requested side of it count toward max_events, so a first batch
 * that straddles the bound counts partly. */
static int history_visit(sg_store *st, sqlite3_stmt *s, int rc, bool forward, int64_t bound,
                         int64_t max_events, sg_history_cb cb, void *ud)
{
    static const uint8_t empty[1];
    int visited = 0, result = 0;
    int64_t counted = 0;
    while (rc == SQLITE_OK || rc == SQLITE_ROW) {
        rc = sqlite3_step(s);
        if (rc != SQLITE_ROW)
            break;
        int64_t first = sqlite3_column_int64(s, 0);
        int64_t last = sqlite3_column_int64(s, 1);
        const void *data = sqlite3_column_blob(s, 2);
        size_t len = (size_t)sqlite3_column_bytes(s, 2);
        result = first >= 1 && last >= first ? cb(ud, first, last, data ? data : empty, len)
                                              : SG_ECORRUPT;
        if (result)
            break;
        visited++;
        counted += forward ? last - SG_MAX(first, bound) + 1 : SG_MIN(last, bound) - first + 1;
        if (max_events > 0 && counted >= max_events) {
            rc = SQLITE_DONE;
            break;
        }
    }
    if (!result)
        result = rc == SQLITE_DONE ? visited : read_failed(st, rc, "history read");
    release(s);
    return result;
}

int sg_store_history_read(sg_store *st, const char *namespace_id, const char *run_id,
                          int64_t from_event_id, int64_t max_events, sg_history_cb cb, void *ud)
{
    st->reads++;
    sg_assert(namespace_id && run_id && cb);
    sqlite3_stmt *s = acquire(st, ST_HIST_READ);
    int rc = bind_text(s, 1, namespace_id);
    if (rc == SQLITE_OK)
        rc = bind_text(s, 2, run_id);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_int64(s, 3, from_event_id);
    return history_visit(st, s, rc, true, from_event_id, max_events, cb, ud);
}

int sg_store_history_read_reverse(sg_store *st, const char *namespace_id, const char *run_id,
                                  int64_t to_event_id, int64_t max_events, sg_history_cb cb,
                                  void *ud)
{
    st->reads++;
    sg_assert(namespace_id && run_id && cb);
    int64_t bound = to_event_id > 0 ? to_event_id : INT64_MAX;
    sqlite3_stmt *s = acquire(st, ST_HIST_READ_REVERSE);
    int rc = bind_text(s, 1, namespace_id);
    if (rc == SQLITE_OK)
        rc = bind_text(s, 2, run_id);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_int64(s, 3, bound);
    return history_visit(st, s, rc, false, bound, max_events, cb, ud);
}

int64_t sg_store_size_bytes(sg_store *st)
{
    int64_t pages = -1, size = -1;
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(st->db, "PRAGMA page_count", -1, &s, NULL) == SQLITE_OK &&
        sqlite3_step(s) == SQLITE_ROW)
        pages = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    s = NULL;
    if (sqlite3_prepare_v2(st->db, "PRAGMA page_size", -1, &s, NULL) == SQLITE_OK &&
        sqlite3_step(s) == SQLITE_ROW)
        size = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    return pages < 0 || size < 0 ? -1 : pages * size;
}

uint64_t sg_store_read_count(const sg_store *st)
{
    return st->reads;
}

/* ---- Visibility ---- */

static int bind_opt_text(sqlite3_stmt *s, int idx, const char *text)
{
    return text && *text ? bind_text(s, idx, text) : sqlite3_bind_null(s, idx);
}

static int vis_run_step(sg_store *st, enum stmt_id id, const char *namespace_id,
                        const char *run_id, const char *what)
{
    int err = write_enter(st);
    if (err)
        return err;
    sqlite3_stmt *s = acquire(st, id);
    int rc = bind_text(s, 1, namespace_id);
    if (rc == SQLITE_OK)
        rc = bind_text(s, 2, run_id);
    return write_finish(st, s, rc, what);
}

int sg_store_visibility_put(sg_store *st, const sg_visibility_rec *r)
{
    sg_assert(r && r->namespace_id && r->run_id && r->workflow_id && (r->info || !r->info_len));
    int err = write_enter(st);
    if (err)
        return err;
    sqlite3_stmt *s = acquire(st, r->is_new          ? ST_VIS_PUT
                                  : r->close_time_ms ? ST_VIS_UPDATE
                                                     : ST_VIS_UPDATE_OPEN);
    int rc = bind_text(s, 1, r->namespace_id);
    if (rc == SQLITE_OK) rc = bind_text(s, 2, r->run_id);
    if (rc == SQLITE_OK) rc = bind_text(s, 3, r->workflow_id);
    if (rc == SQLITE_OK) rc = bind_text(s, 4, r->workflow_type);
    if (rc == SQLITE_OK) rc = sqlite3_bind_int(s, 5, r->status);
    if (rc == SQLITE_OK) rc = sqlite3_bind_int64(s, 6, r->start_time_ms);
    if (rc == SQLITE_OK) rc = sqlite3_bind_int64(s, 7, r->execution_time_ms);
    if (rc == SQLITE_OK)
        rc = r->close_time_ms ? sqlite3_bind_int64(s, 8, r->close_time_ms) : sqlite3_bind_null(s, 8);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_int64(s, 9, r->close_time_ms ? r->close_time_ms : INT64_MAX);
    if (rc == SQLITE_OK)
        rc = r->close_time_ms ? sqlite3_bind_int64(s, 10, r->close_time_ms - r->execution_time_ms)
                              : sqlite3_bind_null(s, 10);
    if (rc == SQLITE_OK) rc = bind_text(s, 11, r->task_queue);
    if (rc == SQLITE_OK) rc = sqlite3_bind_int64(s, 12, r->history_length);
    if (rc == SQLITE_OK) rc = sqlite3_bind_int64(s, 13, r->history_size_bytes);
    if (rc == SQLITE_OK) rc = sqlite3_bind_int64(s, 14, r->state_transition_count);
    if (rc == SQLITE_OK) rc = bind_opt_text(s, 15, r->parent_workflow_id);
    if (rc == SQLITE_OK) rc = bind_opt_text(s, 16, r->parent_run_id);
    if (rc == SQLITE_OK) rc = bind_opt_text(s, 17, r->root_workflow_id);
    if (rc == SQLITE_OK) rc = bind_opt_text(s, 18, r->root_run_id);
    if (rc == SQLITE_OK) rc = sqlite3_bind_blob64(s, 19, r->info_len ? (const void *)r->info : "",
                                                  r->info_len, SQLITE_STATIC);
    err = write_finish(st, s, rc, "visibility put");
    if (err)
        return err;
    if (!r->is_new && sqlite3_changes(st->db) == 0)
        return SG_ENOTFOUND;
    if (!r->is_new && !r->attrs_changed)
        return 0;
    err = r->is_new ? 0
                    : vis_run_step(st, ST_VIS_ATTRS_DEL, r->namespace_id, r->run_id,
                                   "visibility attributes delete");
    for (size_t i = 0; !err && i < r->n_attrs; i++) {
        const sg_vis_attr *a = &r->attrs[i];
        if ((err = write_enter(st)))
            break;
        s = acquire(st, ST_VIS_ATTR_PUT);
        rc = bind_text(s, 1, r->namespace_id);
        if (rc == SQLITE_OK) rc = bind_text(s, 2, r->run_id);
        if (rc == SQLITE_OK) rc = bind_text(s, 3, a->name);
        if (rc == SQLITE_OK)
            rc = a->value.kind == VQ_V_INT    ? sqlite3_bind_int64(s, 4, a->value.i)
                 : a->value.kind == VQ_V_REAL ? sqlite3_bind_double(s, 4, a->value.r)
                                              : bind_text(s, 4, a->value.s);
        err = write_finish(st, s, rc, "visibility attribute put");
    }
    return err;
}

/* The SQL of a filter: appended to sql, its values to binds (parameters ?2 on; ?1 is the
 * namespace). Every predicate is a range or membership test on an indexed column, or on the
 * attribute index through a run_id subquery, so SQLite can seek instead of scanning. */
/* Parameters one filter may bind (?2 on): two per custom-attribute condition, so
 * SG_VQ_MAX_PREDICATES of them fit, or the values of IN lists. */
enum { MAX_BINDS = 2 * SG_VQ_MAX_PREDICATES + 24 };

typedef struct vis_sql {
    sg_buf sql;
    const sg_vq_value *binds[MAX_BINDS];
    const char *names[MAX_BINDS]; /* custom attribute names, bound as text */
    int n;                  /* parameters used so far (after ?1) */
    bool too_many;
    bool negated;           /* inside an odd number of NOTs */
    sg_store *st;           /* for the size estimates that pick a conjunction's driver */
    const char *namespace_id;
    bool per_row;           /* custom attributes tested per row of v (the walk, below) */
} vis_sql;

static void put(vis_sql *q, const char *s)
{
    sg_buf_append(&q->sql, s, strlen(s));
}

static void param_value(vis_sql *q, const sg_vq_value *v)
{
    if (q->n >= (int)SG_ARRAY_LEN(q->binds)) {
        q->too_many = true;
        return;
    }
    q->binds[q->n] = v;
    q->names[q->n] = NULL;
    char p[16];
    snprintf(p, sizeof p, "?%d", q->n + 2);
    q->n++;
    put(q, p);
}

static void param_name(vis_sql *q, const char *name)
{
    if (q->n >= (int)SG_ARRAY_LEN(q->binds)) {
        q->too_many = true;
        return;
    }
    q->binds[q->n] = NULL;
    q->names[q->n] = name;
    char p[16];
    snprintf(p, sizeof p, "?%d", q->n + 2);
    q->n++;
    put(q, p);
}

static const char *op_sql(sg_vq_op op)
{
    static const char *const ops[] = { " = ", " <> ", " < ", " <= ", " > ", " >= " };
    return ops[op];
}

/* The condition on one value column (col is "v.<column>" or "value"). */
static void cond(vis_sql *q, const sg_vq_expr *e, const char *col, bool inside_attr)
{
    switch (e->kind) {
    case VQ_CMP:
        put(q, col);
        /* Inside the attribute subquery != becomes "not among the run's values" outside. */
        put(q, inside_attr && e->op == VQ_NE ? " = " : op_sql(e->op));
        param_value(q, &e->values[0]);
        break;
    case VQ_IN:
        put(q, col);
        put(q, " IN (");
        for (size_t i = 0; i < e->n_values; i++) {
            if (i)
                put(q, ", ");
            param_value(q, &e->values[i]);
        }
        put(q, ")");
        break;
    case VQ_BETWEEN:
        put(q, col);
        put(q, " BETWEEN ");
        param_value(q, &e->values[0]);
        put(q, " AND ");
        param_value(q, &e->values[1]);
        break;
    case VQ_STARTS_WITH:
        /* A range on the prefix (byte order): index-friendly, unlike LIKE. */
        put(q, "(");
        put(q, col);
        put(q, " >= ");
        param_value(q, &e->values[0]);
        put(q, " AND ");
        put(q, col);
        put(q, " < ");
        param_value(q, &e->values[0]);
        put(q, " || char(1114111))");
        break;
    default: break;
    }
}

static bool excludes(const sg_vq_expr *e)
{
    return (e->kind == VQ_CMP && e->op == VQ_NE) || ((e->kind == VQ_IN || e->kind == VQ_BETWEEN) && e->negate);
}

static void emit(vis_sql *q, const sg_vq_expr *e);
static void emit_leaf(vis_sql *q, const sg_vq_expr *e);

/* Columns Temporal's visibility fills only when a run closes (the row keeps them from the start
 * on, so a filter hides them for running runs). */
static bool closed_only(const char *column)
{
    return !strcmp(column, "history_length") || !strcmp(column, "history_size_bytes") ||
           !strcmp(column, "state_transition_count");
}

/* Whether an ExecutionStatus test holds for Running (1) and no other status. */
static bool only_running(const sg_vq_expr *e)
{
    if (e->kind == VQ_CMP)
        return e->op == VQ_EQ && e->values[0].i == 1;
    if (e->kind != VQ_IN || e->negate)
        return false;
    for (size_t i = 0; i < e->n_values; i++)
        if (e->values[i].i != 1)
            return false;
    return true;
}

/* Whether an ExecutionStatus test holds for a running run (status 1). */
static bool holds_for_running(const sg_vq_expr *e)
{
    const int64_t running = 1;
    bool r = false;
    switch (e->kind) {
    case VQ_CMP: {
        int64_t v = e->values[0].i;
        switch (e->op) {
        case VQ_EQ: r = running == v; break;
        case VQ_NE: r = running != v; break;
        case VQ_LT: r = running < v; break;
        case VQ_LE: r = running <= v; break;
        case VQ_GT: r = running > v; break;
        case VQ_GE: r = running >= v; break;
        }
        return r;
    }
    case VQ_IN:
        for (size_t i = 0; i < e->n_values; i++)
            r = r || e->values[i].i == running;
        return r != e->negate;
    case VQ_BETWEEN:
        r = e->values[0].i <= running && running <= e->values[1].i;
        return r != e->negate;
    default: return false;
    }
}

/* ---- conjunctions of custom attributes ----
 * Each custom predicate alone is "run_id IN (runs with a matching value)". Several of them
 * ANDed would make SQLite build every such list before intersecting them (a 10 % attribute
 * costs 10 % of the namespace). Instead the rarest one drives (rarest() races their index
 * ranges), and the others are probed per candidate run through the primary key. */

enum { MAX_PROBES = 32, RACE_CAP = 100000 };

/* One "the run has a value that …" test: a positive custom predicate. */
typedef struct probe {
    const sg_vq_expr *e;
} probe;

static bool is_probe(const sg_vq_expr *e)
{
    if (e->attr.column)
        return false;
    switch (e->kind) {
    case VQ_CMP: return e->op != VQ_NE;
    case VQ_IN:
    case VQ_BETWEEN: return !e->negate;
    case VQ_STARTS_WITH: return true;
    case VQ_IS_NULL: return e->negate; /* IS NOT NULL */
    default: return false;
    }
}

/* The value test of one probe on column col ("a.value"). */
static void probe_cond(vis_sql *q, const probe *p, const char *col)
{
    const sg_vq_expr *e = p->e;
    put(q, col[0] == 'a' ? " AND a.name = " : col[0] == 'b' ? " AND b.name = " : " AND name = ");
    param_name(q, e->attr.name);
    if (e->kind == VQ_IS_NULL)
        return;
    put(q, " AND ");
    cond(q, e, col, true);
}

static void bind_all(sqlite3_stmt *s, const vis_sql *q, int *rc);

/* Walks the probes' index ranges side by side, one step each in turn, until one ends or each
 * has taken cap steps: that costs n x (the smallest count), never the largest. Returns whether
 * one ended (and which, in *winner; else *winner is 0). */
static bool race(vis_sql *outer, const probe *probes, size_t n, int cap, size_t *winner)
{
    sqlite3_stmt *s[MAX_PROBES] = { 0 };
    bool ok = true, ended = false;
    *winner = 0;
    for (size_t i = 0; ok && i < n; i++) {
        vis_sql q;
        memset(&q, 0, sizeof q);
        sg_buf_init(&q.sql);
        put(&q, "SELECT 1 FROM visibility_attrs WHERE namespace_id = ?1");
        probe_cond(&q, &probes[i], "value");
        sg_buf_append(&q.sql, "", 1);
        ok = !q.too_many && sqlite3_prepare_v2(outer->st->db, (const char *)sg_buf_head(&q.sql),
                                               -1, &s[i], NULL) == SQLITE_OK;
        if (ok) {
            int rc = bind_text(s[i], 1, outer->namespace_id);
            bind_all(s[i], &q, &rc);
            ok = rc == SQLITE_OK;
        }
        sg_buf_deinit(&q.sql);
    }
    for (int step = 0; ok && step < cap; step++) {
        size_t i;
        for (i = 0; i < n; i++)
            if (sqlite3_step(s[i]) != SQLITE_ROW)
                break;
        if (i < n) {
            *winner = i;
            ended = true;
            break;
        }
    }
    for (size_t i = 0; i < n; i++)
        sqlite3_finalize(s[i]);
    return ended;
}

/* Which probe matches the fewest values; if none ends within RACE_CAP steps each, they are
 * alike and the first drives. */
static size_t rarest(vis_sql *outer, const probe *probes, size_t n)
{
    size_t winner;
    race(outer, probes, n, RACE_CAP, &winner);
    return winner;
}

/* The operands of a chain of one operator (AND or OR), in order, however the parser grouped
 * them (a chain is a left-deep tree). *out grows; the caller frees it. Iterative down the left
 * spine, so a chain of any length costs no stack. */
typedef struct chain {
    const sg_vq_expr **at;
    size_t n, cap;
} chain;

static void chain_push(chain *c, const sg_vq_expr *e)
{
    if (c->n == c->cap) {
        c->cap = c->cap ? 2 * c->cap : 16;
        c->at = sg_realloc(c->at, c->cap * sizeof *c->at);
    }
    c->at[c->n++] = e;
}

static void flatten(const sg_vq_expr *e, sg_vq_kind kind, chain *c)
{
    if (e->kind != kind) {
        chain_push(c, e);
        return;
    }
    /* Right operands from the top down, then the leftmost: reversed into order afterwards. */
    size_t first = c->n;
    for (; e->kind == kind; e = e->l) {
        if (e->r->kind == kind) {
            chain sub = { 0 };
            flatten(e->r, kind, &sub); /* grouped by parentheses: depth bounded by the parser */
            for (size_t i = sub.n; i-- > 0;)
                chain_push(c, sub.at[i]);
            sg_free(sub.at);
        } else {
            chain_push(c, e->r);
        }
    }
    chain_push(c, e);
    for (size_t i = first, j = c->n - 1; i < j; i++, j--) {
        const sg_vq_expr *t = c->at[i];
        c->at[i] = c->at[j];
        c->at[j] = t;
    }
}

/* "(a AND b AND c)" or "(a OR b OR c)": one level of parentheses for the whole chain, so the
 * SQL nests no deeper than the query's own parentheses and NOTs (SQLite's parser has a fixed
 * stack). */
static void emit_chain(vis_sql *q, const sg_vq_expr *e)
{
    chain c = { 0 };
    flatten(e, e->kind, &c);
    put(q, "(");
    for (size_t i = 0; i < c.n; i++) {
        if (i)
            put(q, e->kind == VQ_AND ? " AND " : " OR ");
        emit(q, c.at[i]);
    }
    put(q, ")");
    sg_free(c.at);
}

/* The probes among a conjunction's parts; probed[i] says whether parts[i] is among them. */
static size_t gather_probes(const sg_vq_expr *const *parts, size_t n_parts, probe *probes,
                            bool *probed)
{
    size_t n = 0;
    for (size_t i = 0; i < n_parts; i++) {
        probed[i] = is_probe(parts[i]) && n < MAX_PROBES;
        if (probed[i])
            probes[n++] = (probe){ parts[i] };
    }
    return n;
}

/* Emits the conjunction e: driven by its rarest probe when it has two or more, else as plain
 * SQL. */
static void emit_and(vis_sql *q, const sg_vq_expr *e)
{
    if (q->per_row) {
        emit_chain(q, e);
        return;
    }
    chain parts = { 0 };
    flatten(e, VQ_AND, &parts);
    probe probes[MAX_PROBES];
    bool *probed = sg_calloc(parts.n, sizeof *probed);
    size_t n_probes = gather_probes(parts.at, parts.n, probes, probed);
    if (n_probes < 2 || !q->st) {
        emit_chain(q, e);
    } else {
        size_t driver = rarest(q, probes, n_probes);
        put(q, "(v.run_id IN (SELECT a.run_id FROM visibility_attrs a WHERE a.namespace_id = ?1");
        probe_cond(q, &probes[driver], "a.value");
        for (size_t i = 0; i < n_probes; i++) {
            if (i == driver)
                continue;
            put(q, " AND EXISTS (SELECT 1 FROM visibility_attrs b WHERE b.namespace_id = ?1"
                   " AND b.run_id = a.run_id");
            probe_cond(q, &probes[i], "b.value");
            put(q, ")");
        }
        put(q, ")");
        for (size_t i = 0; i < parts.n; i++) {
            if (probed[i])
                continue;
            put(q, " AND ");
            emit(q, parts.at[i]);
        }
        put(q, ")");
    }
    sg_free(probed);
    sg_free(parts.at);
}

static void emit(vis_sql *q, const sg_vq_expr *e)
{
    switch (e->kind) {
    case VQ_AND:
        emit_and(q, e);
        return;
    case VQ_OR:
        emit_chain(q, e);
        return;
    case VQ_NOT:
        put(q, "NOT (");
        q->negated = !q->negated;
        emit(q, e->l);
        q->negated = !q->negated;
        put(q, ")");
        return;
    default: break;
    }
    emit_leaf(q, e);
}

/* "The run v has (or lacks) a value of e's attribute that passes e": one primary-key probe of
 * visibility_attrs per row. */
static void emit_exists(vis_sql *q, const sg_vq_expr *e, bool lacking)
{
    put(q, lacking ? "NOT EXISTS (" : "EXISTS (");
    put(q, "SELECT 1 FROM visibility_attrs b WHERE b.namespace_id = ?1 AND b.run_id = v.run_id"
           " AND b.name = ");
    param_name(q, e->attr.name);
    if (e->kind != VQ_IS_NULL) {
        put(q, " AND ");
        cond(q, e, "b.value", true);
    }
    put(q, ")");
}

/* One predicate. */
static void emit_leaf(vis_sql *q, const sg_vq_expr *e)
{
    if (e->attr.column && (!strcmp(e->attr.column, "root_workflow_id") ||
                           !strcmp(e->attr.column, "root_run_id"))) {
        /* Stored NULL for a top-level run, whose root is itself. */
        bool wf = !strcmp(e->attr.column, "root_workflow_id");
        if (e->kind == VQ_IS_NULL) {
            put(q, e->negate ? "1" : "0");
            return;
        }
        bool neg = (e->kind == VQ_IN || e->kind == VQ_BETWEEN) && e->negate;
        put(q, neg ? "NOT (" : "(");
        cond(q, e, wf ? "v.root_workflow_id" : "v.root_run_id", false);
        put(q, wf ? " OR (v.root_workflow_id IS NULL AND " : " OR (v.root_run_id IS NULL AND ");
        cond(q, e, wf ? "v.workflow_id" : "v.run_id", false);
        put(q, "))");
        return;
    }
    if (e->attr.column && !strcmp(e->attr.column, "status") && e->kind != VQ_IS_NULL) {
        /* The status index holds closed runs only; running is close_order = max, the head of
         * the order index. Every running run has status Running, so whether the test holds for
         * them is known here: the test splits into its closed part and, if it holds, those. */
        bool neg = (e->kind == VQ_IN || e->kind == VQ_BETWEEN) && e->negate;
        if (only_running(e)) {
            put(q, "v.close_order = 9223372036854775807");
            return;
        }
        put(q, neg ? "((NOT " : "((");
        cond(q, e, "v.status", false);
        put(q, " AND v.close_order < 9223372036854775807)");
        put(q, holds_for_running(e) ? " OR v.close_order = 9223372036854775807)" : ")");
        return;
    }
    if (e->attr.column && !strcmp(e->attr.column, "execution_time") && e->kind != VQ_IS_NULL) {
        /* Most runs execute when they start, and only the others are in the execution-time
         * index: a test on ExecutionTime is the same test on StartTime for the first. */
        bool neg = (e->kind == VQ_IN || e->kind == VQ_BETWEEN) && e->negate;
        put(q, neg ? "((NOT " : "((");
        cond(q, e, "v.start_time", false);
        put(q, neg ? ") AND v.execution_time = v.start_time OR (NOT "
                   : " AND v.execution_time = v.start_time) OR (");
        cond(q, e, "v.execution_time", false);
        put(q, neg ? ") AND v.execution_time <> v.start_time)"
                   : " AND v.execution_time <> v.start_time))");
        return;
    }
    if (e->attr.column && !strcmp(e->attr.column, "close_time")) {
        /* close_order is the close time of a closed run (running: the maximum), and the order
         * index starts with it: CloseTime needs no index of its own to write at every close. */
        if (e->kind == VQ_IS_NULL) {
            put(q, e->negate ? "v.close_order < 9223372036854775807"
                             : "v.close_order = 9223372036854775807");
            return;
        }
        /* A running run must match neither the comparison nor its negation, as a NULL close
         * time would not: under an odd number of NOTs it is made true, so NOT makes it false. */
        put(q, (e->kind == VQ_IN || e->kind == VQ_BETWEEN) && e->negate ? "(NOT " : "(");
        cond(q, e, "v.close_order", false);
        put(q, q->negated ? " OR v.close_order = 9223372036854775807)"
                          : " AND v.close_order < 9223372036854775807)");
        return;
    }
    if (e->attr.column && closed_only(e->attr.column)) {
        /* Temporal records a run's history counts at its close: a running run has none, so it
         * matches IS NULL and, like close_time above, neither a comparison nor its negation. */
        if (e->kind == VQ_IS_NULL) {
            put(q, e->negate ? "v.close_order < 9223372036854775807"
                             : "v.close_order = 9223372036854775807");
            return;
        }
        char col[64];
        snprintf(col, sizeof col, "v.%s", e->attr.column);
        put(q, (e->kind == VQ_IN || e->kind == VQ_BETWEEN) && e->negate ? "(NOT " : "(");
        cond(q, e, col, false);
        put(q, q->negated ? " OR v.close_order = 9223372036854775807)"
                          : " AND v.close_order < 9223372036854775807)");
        return;
    }
    if (e->attr.column) {
        char col[64];
        snprintf(col, sizeof col, "v.%s", e->attr.column);
        if (e->kind == VQ_IS_NULL) {
            put(q, col);
            put(q, e->negate ? " IS NOT NULL" : " IS NULL");
            return;
        }
        if ((e->kind == VQ_IN || e->kind == VQ_BETWEEN) && e->negate)
            put(q, "NOT ");
        cond(q, e, col, false);
        return;
    }
    /* A custom attribute: runs having (or, for exclusions and IS NULL, lacking) a value. */
    bool lacking = e->kind == VQ_IS_NULL ? !e->negate : excludes(e);
    if (q->per_row) {
        emit_exists(q, e, lacking);
        return;
    }
    put(q, lacking ? "v.run_id NOT IN (" : "v.run_id IN (");
    put(q, "SELECT run_id FROM visibility_attrs WHERE namespace_id = ?1 AND name = ");
    param_name(q, e->attr.name);
    if (e->kind != VQ_IS_NULL) {
        put(q, " AND ");
        cond(q, e, "value", true);
    }
    put(q, ")");
}

/* Binds a filter's values (?2 on) while *rc is SQLITE_OK. */
static void bind_all(sqlite3_stmt *s, const vis_sql *q, int *rc)
{
    for (int i = 0; *rc == SQLITE_OK && i < q->n; i++) {
        const sg_vq_value *v = q->binds[i];
        *rc = !v                      ? bind_text(s, i + 2, q->names[i])
              : v->kind == VQ_V_INT  ? sqlite3_bind_int64(s, i + 2, v->i)
              : v->kind == VQ_V_REAL ? sqlite3_bind_double(s, i + 2, v->r)
                                     : bind_text(s, i + 2, v->s);
    }
}

/* Prepares "<head> FROM visibility v WHERE namespace = ?1 AND <filter><tail>" and binds. With
 * per_row (the walk), the filter is instead a last column, "<head>, (<filter>) FROM …", its
 * custom attributes probed per row. */
static int vis_prepare(sg_store *st, const char *namespace_id, const sg_vq *f, const char *head,
                       const char *tail, bool per_row, sqlite3_stmt **out, int *next_param)
{
    vis_sql q;
    memset(&q, 0, sizeof q);
    sg_buf_init(&q.sql);
    q.st = st;
    q.namespace_id = namespace_id;
    q.per_row = per_row;
    put(&q, head);
    if (per_row) {
        put(&q, ", (");
        emit(&q, f->where);
        put(&q, ")");
    }
    put(&q, " FROM visibility v WHERE v.namespace_id = ?1");
    if (!per_row && f && f->where) {
        put(&q, " AND ");
        emit(&q, f->where);
    }
    put(&q, tail);
    if (q.too_many) {
        sg_buf_deinit(&q.sql);
        return SG_EINVAL;
    }
    sg_buf_append(&q.sql, "", 1);
    sqlite3_stmt *s = NULL;
    int rc = sqlite3_prepare_v2(st->db, (const char *)sg_buf_head(&q.sql), -1, &s, NULL);
    sg_buf_deinit(&q.sql);
    if (rc != SQLITE_OK)
        return read_failed(st, rc, "visibility query prepare");
    rc = bind_text(s, 1, namespace_id);
    bind_all(s, &q, &rc);
    if (rc != SQLITE_OK) {
        sqlite3_finalize(s);
        return read_failed(st, rc, "visibility query bind");
    }
    *out = s;
    *next_param = q.n + 2;
    return 0;
}

char *sg_store_visibility_sql(sg_store *st, const char *namespace_id, const sg_vq *f)
{
    sqlite3_stmt *s;
    int np;
    if (vis_prepare(st, namespace_id, f, "SELECT v.info", "", false, &s, &np) < 0)
        return NULL;
    char *sql = sqlite3_expanded_sql(s);
    char *copy = sql ? sg_strdup(sql) : NULL;
    sqlite3_free(sql);
    sqlite3_finalize(s);
    return copy;
}

/* The column ORDER BY sorts on: CloseTime by close_order, never NULL (running runs last). */
static const char *order_column(const sg_vq *f)
{
    return strcmp(f->order_by.column, "close_time") == 0 ? "close_order" : f->order_by.column;
}

/* The default order (running first, then latest closed, latest started), and where a page
 * after a cursor resumes in it. The cursor's parameters are numbered past any filter's (?1 and
 * at most MAX_BINDS more), so a statement compiles once whatever the filter. */
#define CURSOR_PARAM 1100
_Static_assert(CURSOR_PARAM > MAX_BINDS + 1, "the cursor's parameters follow every filter's");
#define DEFAULT_ORDER " ORDER BY v.close_order DESC, v.start_time DESC, v.run_id DESC"
#define DEFAULT_ORDER_AFTER " AND (v.close_order, v.start_time, v.run_id) < (?1100, ?1101, ?1102)"

static int bind_cursor(sqlite3_stmt *s, const sg_vis_cursor *after)
{
    int rc = sqlite3_bind_int64(s, CURSOR_PARAM, after->close_order);
    if (rc == SQLITE_OK) rc = sqlite3_bind_int64(s, CURSOR_PARAM + 1, after->start_time);
    if (rc == SQLITE_OK) rc = bind_text(s, CURSOR_PARAM + 2, after->run_id);
    return rc;
}

/* A listed row's place in the default order, from columns 1-3 (close_order, start_time,
 * run_id). */
static void read_position(sqlite3_stmt *s, sg_vis_cursor *pos)
{
    pos->set = true;
    pos->close_order = sqlite3_column_int64(s, 1);
    pos->start_time = sqlite3_column_int64(s, 2);
    const char *run = (const char *)sqlite3_column_text(s, 3);
    snprintf(pos->run_id, sizeof pos->run_id, "%s", run ? run : "");
}

/* ---- the walk: a page of an unselective custom-attribute filter ----
 * Driving a filter from its attribute values reads every run having them before the first
 * page can be sorted: 250 ms for a two-word Text match that 3 % of a million runs have, though
 * a page needs only the first 100 in the default order. When every attribute value the filter
 * needs is common, the page is found faster by walking the runs in that order and testing
 * each (one primary-key probe per attribute). A walk stops early when its first WALK_MIN runs
 * show that WALK_MAX would not fill the page (common values, rare together), and never reads
 * more than WALK_MAX: the page is then finished by the driven plan, from the last run walked,
 * so no run is returned twice or skipped. Either way the rows come in the same order. */

enum { WALK_RARE = 1024, WALK_MIN = 1024, WALK_MAX = 32768 };

static int list_planned(sg_store *st, const char *namespace_id, const sg_vq *f,
                        const sg_vis_cursor *after, int limit, sg_vis_row_cb cb, void *ud);

/* Whether some leaf of e passes test. */
static bool any_leaf(const sg_vq_expr *e, bool (*test)(const sg_vq_expr *leaf))
{
    if (!e)
        return false;
    if (e->kind == VQ_AND || e->kind == VQ_OR)
        return any_leaf(e->l, test) || any_leaf(e->r, test);
    if (e->kind == VQ_NOT)
        return any_leaf(e->l, test);
    return test(e);
}

static bool is_custom(const sg_vq_expr *leaf)
{
    return !leaf->attr.column;
}

/* A system column other than the status. */
static bool is_indexed_column(const sg_vq_expr *leaf)
{
    return leaf->attr.column && strcmp(leaf->attr.column, "status") != 0;
}

/* Whether a page of f is worth walking for: it tests custom attributes, requires no value of
 * a system column's index (WorkflowId = …, a StartTime range: the plan seeks it; the status is
 * no such test, its few values are common) and none of the custom values it requires is rare
 * (a rare one drives a cheap plan). */
static bool walk_worthwhile(sg_store *st, const char *namespace_id, const sg_vq *f)
{
    if (!f || !f->where || !any_leaf(f->where, is_custom))
        return false;
    chain parts = { 0 };
    flatten(f->where, VQ_AND, &parts);
    bool worth = true;
    for (size_t i = 0; worth && i < parts.n; i++) {
        const sg_vq_expr *c = parts.at[i];
        bool positive = (c->kind == VQ_CMP && c->op != VQ_NE) || c->kind == VQ_STARTS_WITH ||
                        ((c->kind == VQ_IN || c->kind == VQ_BETWEEN) && !c->negate);
        if (positive && is_indexed_column(c))
            worth = false;
        /* Inside an OR or a NOT, a column test may be what makes the filter rare. */
        if ((c->kind == VQ_OR || c->kind == VQ_NOT) && any_leaf(c, is_indexed_column))
            worth = false;
    }
    probe probes[MAX_PROBES];
    bool *probed = sg_calloc(parts.n, sizeof *probed);
    size_t n = worth ? gather_probes(parts.at, parts.n, probes, probed) : 0;
    sg_free(probed);
    sg_free(parts.at);
    if (!worth || !n)
        return worth;
    vis_sql q;
    memset(&q, 0, sizeof q);
    q.st = st;
    q.namespace_id = namespace_id;
    size_t winner;
    return !race(&q, probes, n, WALK_RARE, &winner);
}

/* Walks the runs after `after` in the default order, handing cb those matching f, until the
 * page is full (*done), the namespace ends (*done) or the walk gives up. *n: rows handed;
 * *last: the last run read. Returns 0, cb's non-zero return, or an error. */
static int list_walk(sg_store *st, const char *namespace_id, const sg_vq *f,
                     const sg_vis_cursor *after, int limit, sg_vis_row_cb cb, void *ud, int *n,
                     bool *done, sg_vis_cursor *last)
{
    *n = 0;
    *done = false;
    bool resume = after && after->set;
    sqlite3_stmt *s;
    int np;
    int rc = vis_prepare(st, namespace_id, f, "SELECT v.info, v.close_order, v.start_time, v.run_id",
                         resume ? DEFAULT_ORDER_AFTER DEFAULT_ORDER : DEFAULT_ORDER, true, &s, &np);
    if (rc < 0)
        return rc;
    sg_assert(np < CURSOR_PARAM);
    rc = resume ? bind_cursor(s, after) : SQLITE_OK;
    int64_t read = 0;
    int stop = 0;
    while (rc == SQLITE_OK && (rc = sqlite3_step(s)) == SQLITE_ROW) {
        read++;
        read_position(s, last);
        rc = SQLITE_OK;
        if (sqlite3_column_int(s, 4)) {
            (*n)++;
            stop = cb(ud, sqlite3_column_blob(s, 0), (size_t)sqlite3_column_bytes(s, 0), last);
            if (stop || *n == limit) {
                *done = true;
                break;
            }
        }
        /* Give up once the rate of matches so far would not fill the page within WALK_MAX. */
        if (read >= WALK_MAX ||
            (read >= WALK_MIN && (int64_t)(*n + 1) * WALK_MAX < (int64_t)limit * read))
            break;
    }
    if (rc == SQLITE_DONE) {
        *done = true;
        rc = SQLITE_OK;
    }
    int err = rc == SQLITE_OK ? 0 : read_failed(st, rc, "visibility walk");
    sqlite3_finalize(s);
    return err ? err : stop;
}

/* The rows a callback was handed, and whether it stopped (a count and a stop look alike in
 * list_planned's return). */
typedef struct counted {
    sg_vis_row_cb cb;
    void *ud;
    int n, stop;
} counted;

static int count_row(void *ud, const uint8_t *info, size_t len, const sg_vis_cursor *pos)
{
    counted *c = ud;
    c->n++;
    c->stop = c->cb(c->ud, info, len, pos);
    return c->stop;
}

void sg_store_set_vis_walk(sg_store *st, bool on)
{
    st->no_vis_walk = !on;
}

void sg_store_vis_walk_counts(const sg_store *st, uint64_t *whole, uint64_t *handed_over)
{
    *whole = st->walks_whole;
    *handed_over = st->walks_handed;
}

int sg_store_visibility_list(sg_store *st, const char *namespace_id, const sg_vq *f,
                             const sg_vis_cursor *after, int limit, sg_vis_row_cb cb, void *ud)
{
    bool custom_order = f && f->has_order_by && f->order_by.column;
    if (custom_order || limit <= 0 || st->no_vis_walk || !walk_worthwhile(st, namespace_id, f))
        return list_planned(st, namespace_id, f, after, limit, cb, ud);
    st->reads++;
    int n;
    bool done;
    sg_vis_cursor *last = sg_calloc(1, sizeof *last);
    int rc = list_walk(st, namespace_id, f, after, limit, cb, ud, &n, &done, last);
    if (rc == 0 && !done) {
        st->walks_handed++;
        counted c = { cb, ud, 0, 0 };
        rc = list_planned(st, namespace_id, f, last->set ? last : after, limit - n, count_row, &c);
        if (rc >= 0)
            rc = c.stop ? c.stop : n + c.n;
    } else if (rc == 0) {
        st->walks_whole++;
        rc = n;
    }
    sg_free(last);
    return rc;
}

/* The page as the compiled filter plans it (indexes of the filter's values and columns). */
static int list_planned(sg_store *st, const char *namespace_id, const sg_vq *f,
                        const sg_vis_cursor *after, int limit, sg_vis_row_cb cb, void *ud)
{
    st->reads++;
    bool custom_order = f && f->has_order_by && f->order_by.column;
    char head[160], tail[320];
    const char *col = custom_order ? order_column(f) : NULL;
    const char *dir = custom_order && f->order_desc ? "DESC" : "ASC";
    if (custom_order)
        snprintf(head, sizeof head, "SELECT v.info, v.close_order, v.start_time, v.run_id, v.%s",
                 col);
    else
        snprintf(head, sizeof head, "SELECT v.info, v.close_order, v.start_time, v.run_id");
    /* The cursor continues the order (its parameters from CURSOR_PARAM on). */
    sqlite3_stmt *s;
    int np = CURSOR_PARAM;
    bool resume = after && after->set;
    if (custom_order && resume)
        snprintf(tail, sizeof tail,
                 " AND (v.%s, v.run_id) %s (?%d, ?%d) ORDER BY v.%s %s, v.run_id %s LIMIT ?%d", col,
                 f->order_desc ? "<" : ">", np, np + 1, col, dir, dir, np + 2);
    else if (custom_order)
        snprintf(tail, sizeof tail, " ORDER BY v.%s %s, v.run_id %s LIMIT ?%d", col, dir, dir, np);
    else if (resume)
        snprintf(tail, sizeof tail, DEFAULT_ORDER_AFTER DEFAULT_ORDER " LIMIT ?%d", np + 3);
    else
        snprintf(tail, sizeof tail, DEFAULT_ORDER " LIMIT ?%d", np);
    int filter_params;
    int rc0 = vis_prepare(st, namespace_id, f, head, tail, false, &s, &filter_params);
    if (rc0 < 0)
        return rc0;
    sg_assert(filter_params < np);
    int rc = SQLITE_OK;
    if (custom_order && resume) {
        rc = after->key_is_text ? bind_text(s, np, after->key_s)
                                : sqlite3_bind_int64(s, np, after->key_i);
        if (rc == SQLITE_OK) rc = bind_text(s, np + 1, after->run_id);
        if (rc == SQLITE_OK) rc = sqlite3_bind_int(s, np + 2, limit);
    } else if (resume) {
        rc = bind_cursor(s, after);
        if (rc == SQLITE_OK) rc = sqlite3_bind_int(s, np + 3, limit);
    } else {
        rc = sqlite3_bind_int(s, np, limit);
    }
    int n = 0, stop = 0;
    sg_vis_cursor *pos = sg_calloc(1, sizeof *pos);
    while (rc == SQLITE_OK && (rc = sqlite3_step(s)) == SQLITE_ROW) {
        read_position(s, pos);
        if (custom_order) {
            pos->key_is_text = sqlite3_column_type(s, 4) == SQLITE_TEXT;
            pos->key_i = sqlite3_column_int64(s, 4);
            const char *k = (const char *)sqlite3_column_text(s, 4);
            snprintf(pos->key_s, sizeof pos->key_s, "%s", pos->key_is_text && k ? k : "");
        }
        stop = cb(ud, sqlite3_column_blob(s, 0), (size_t)sqlite3_column_bytes(s, 0), pos);
        n++;
        if (stop) {
            rc = SQLITE_DONE;
            break;
        }
        rc = SQLITE_OK;
    }
    sg_free(pos);
    int err = rc == SQLITE_DONE || rc == SQLITE_OK ? 0 : read_failed(st, rc, "visibility list");
    sqlite3_finalize(s);
    return err ? err : stop ? stop : n;
}

int sg_store_visibility_count(sg_store *st, const char *namespace_id, const sg_vq *f,
                              int64_t *total, int64_t *by_status, size_t n_status)
{
    st->reads++;
    sqlite3_stmt *s;
    int np;
    bool grouped = by_status != NULL;
    /* Grouped: the closed runs per status from the (closed-only) status index, then the
     * running ones from the head of the order index. */
    int err = vis_prepare(st, namespace_id, f, grouped ? "SELECT v.status, count(*)" : "SELECT count(*)",
                          grouped ? " AND v.close_order < 9223372036854775807 GROUP BY v.status" : "",
                          false, &s, &np);
    if (err < 0)
        return err;
    *total = 0;
    if (grouped)
        memset(by_status, 0, n_status * sizeof *by_status);
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        if (grouped) {
            int status = sqlite3_column_int(s, 0);
            int64_t c = sqlite3_column_int64(s, 1);
            if (status >= 0 && (size_t)status < n_status)
                by_status[status] = c;
            *total += c;
        } else {
            *total = sqlite3_column_int64(s, 0);
        }
    }
    err = rc == SQLITE_DONE ? 0 : read_failed(st, rc, "visibility count");
    sqlite3_finalize(s);
    if (err || !grouped)
        return err;
    err = vis_prepare(st, namespace_id, f, "SELECT count(*)",
                      " AND v.close_order = 9223372036854775807", false, &s, &np);
    if (err < 0)
        return err;
    if ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        int64_t c = sqlite3_column_int64(s, 0);
        if (n_status > 1)
            by_status[1] += c;
        *total += c;
        rc = SQLITE_DONE;
    }
    err = rc == SQLITE_DONE ? 0 : read_failed(st, rc, "visibility count");
    sqlite3_finalize(s);
    return err;
}

/* ---- Batch operations ---- */

int sg_store_batch_insert(sg_store *st, const char *namespace_id, const char *job_id,
                          int64_t start_ms, const uint8_t *info, size_t len, const uint8_t *work,
                          size_t work_len)
{
    sg_assert(namespace_id && job_id && (info || !len));
    int err = write_enter(st);
    if (err)
        return err;
    sqlite3_stmt *s = acquire(st, ST_BATCH_INSERT);
    int rc = bind_text(s, 1, namespace_id);
    if (rc == SQLITE_OK) rc = bind_text(s, 2, job_id);
    if (rc == SQLITE_OK) rc = sqlite3_bind_int64(s, 3, start_ms);
    if (rc == SQLITE_OK) rc = sqlite3_bind_blob64(s, 4, len ? (const void *)info : "", len, SQLITE_STATIC);
    if (rc == SQLITE_OK && work)
        rc = sqlite3_bind_blob64(s, 5, work_len ? (const void *)work : "", work_len, SQLITE_STATIC);
    return write_finish(st, s, rc, "batch operation insert");
}

int sg_store_batch_update(sg_store *st, const char *namespace_id, const char *job_id,
                          const uint8_t *info, size_t len, const uint8_t *cursor, size_t cursor_len,
                          bool running)
{
    int err = write_enter(st);
    if (err)
        return err;
    sqlite3_stmt *s = acquire(st, ST_BATCH_UPDATE);
    int rc = bind_text(s, 1, namespace_id);
    if (rc == SQLITE_OK) rc = bind_text(s, 2, job_id);
    if (rc == SQLITE_OK) rc = sqlite3_bind_blob64(s, 3, len ? (const void *)info : "", len, SQLITE_STATIC);
    if (rc == SQLITE_OK && cursor)
        rc = sqlite3_bind_blob64(s, 4, cursor_len ? (const void *)cursor : "", cursor_len, SQLITE_STATIC);
    if (rc == SQLITE_OK) rc = sqlite3_bind_int(s, 5, running);
    err = write_finish(st, s, rc, "batch operation update");
    if (!err && sqlite3_changes(st->db) != 1)
        err = SG_ENOTFOUND;
    return err;
}

int sg_store_schedule_put(sg_store *st, const char *namespace_id, const char *schedule_id,
                          const uint8_t *info, size_t len)
{
    int err = write_enter(st);
    if (err)
        return err;
    sqlite3_stmt *s = acquire(st, ST_SCHEDULE_PUT);
    int rc = bind_text(s, 1, namespace_id);
    if (rc == SQLITE_OK) rc = bind_text(s, 2, schedule_id);
    if (rc == SQLITE_OK) rc = sqlite3_bind_blob64(s, 3, len ? (const void *)info : "", len, SQLITE_STATIC);
    return write_finish(st, s, rc, "schedule put");
}

int sg_store_schedule_delete(sg_store *st, const char *namespace_id, const char *schedule_id)
{
    int err = write_enter(st);
    if (err)
        return err;
    sqlite3_stmt *s = acquire(st, ST_SCHEDULE_DEL);
    int rc = bind_text(s, 1, namespace_id);
    if (rc == SQLITE_OK) rc = bind_text(s, 2, schedule_id);
    err = write_finish(st, s, rc, "schedule delete");
    if (!err && sqlite3_changes(st->db) == 0)
        err = SG_ENOTFOUND;
    return err;
}

int sg_store_schedule_all(sg_store *st, sg_schedule_row_cb cb, void *ud)
{
    st->reads++;
    sqlite3_stmt *s = NULL;
    int rc = sqlite3_prepare_v2(st->db,
                                "SELECT namespace_id, schedule_id, info FROM schedules"
                                " ORDER BY namespace_id, schedule_id",
                                -1, &s, NULL);
    int n = 0, stop = 0;
    while (rc == SQLITE_OK && (rc = sqlite3_step(s)) == SQLITE_ROW) {
        const char *ns = (const char *)sqlite3_column_text(s, 0);
        const char *id = (const char *)sqlite3_column_text(s, 1);
        stop = cb(ud, ns ? ns : "", id ? id : "", sqlite3_column_blob(s, 2),
                  (size_t)sqlite3_column_bytes(s, 2));
        n++;
        rc = stop ? SQLITE_DONE : SQLITE_OK;
    }
    int err = rc == SQLITE_DONE || rc == SQLITE_OK ? 0 : read_failed(st, rc, "schedules read");
    sqlite3_finalize(s);
    if (!err && stop < 0)
        err = stop;
    return err ? err : n;
}

int sg_store_batch_running(sg_store *st, sg_batch_work_cb cb, void *ud)
{
    st->reads++;
    sqlite3_stmt *s = NULL;
    int rc = sqlite3_prepare_v2(st->db,
                                "SELECT namespace_id, job_id, info, work, cursor FROM batch_operations"
                                " WHERE work IS NOT NULL ORDER BY namespace_id, job_id",
                                -1, &s, NULL);
    int n = 0;
    while (rc == SQLITE_OK && (rc = sqlite3_step(s)) == SQLITE_ROW) {
        sg_batch_work w = {
            .namespace_id = (const char *)sqlite3_column_text(s, 0),
            .job_id = (const char *)sqlite3_column_text(s, 1),
            .info = sqlite3_column_blob(s, 2),
            .info_len = (size_t)sqlite3_column_bytes(s, 2),
            .work = sqlite3_column_blob(s, 3),
            .work_len = (size_t)sqlite3_column_bytes(s, 3),
            .cursor = sqlite3_column_blob(s, 4),
            .cursor_len = (size_t)sqlite3_column_bytes(s, 4),
        };
        if (!w.namespace_id || !w.job_id) {
            rc = SQLITE_CORRUPT;
            break;
        }
        int stop = cb(ud, &w);
        n++;
        rc = stop ? SQLITE_DONE : SQLITE_OK;
        if (stop < 0) {
            sqlite3_finalize(s);
            return stop;
        }
    }
    int err = rc == SQLITE_DONE || rc == SQLITE_OK ? 0 : read_failed(st, rc, "batch operations running");
    sqlite3_finalize(s);
    return err ? err : n;
}

int sg_store_batch_get(sg_store *st, const char *namespace_id, const char *job_id, uint8_t **info,
                       size_t *len)
{
    st->reads++;
    *info = NULL;
    *len = 0;
    sqlite3_stmt *s = acquire(st, ST_BATCH_GET);
    int rc = bind_text(s, 1, namespace_id);
    if (rc == SQLITE_OK) rc = bind_text(s, 2, job_id);
    if (rc == SQLITE_OK) rc = sqlite3_step(s);
    int err = 0;
    if (rc == SQLITE_ROW) {
        *len = (size_t)sqlite3_column_bytes(s, 0);
        *info = sg_malloc(*len ? *len : 1);
        if (*len)
            memcpy(*info, sqlite3_column_blob(s, 0), *len);
    } else {
        err = rc == SQLITE_DONE ? SG_ENOTFOUND : read_failed(st, rc, "batch operation get");
    }
    release(s);
    return err;
}

int sg_store_batch_list(sg_store *st, const char *namespace_id, int64_t after_start,
                        const char *after_job, int limit, sg_batch_row_cb cb, void *ud)
{
    st->reads++;
    sqlite3_stmt *s = NULL;
    const char *sql = after_job
        ? "SELECT job_id, start_time, info FROM batch_operations WHERE namespace_id = ?1"
          " AND (start_time < ?2 OR (start_time = ?2 AND job_id > ?3))"
          " ORDER BY start_time DESC, job_id LIMIT ?4"
        : "SELECT job_id, start_time, info FROM batch_operations WHERE namespace_id = ?1"
          " ORDER BY start_time DESC, job_id LIMIT ?4";
    int rc = sqlite3_prepare_v2(st->db, sql, -1, &s, NULL);
    if (rc == SQLITE_OK) rc = bind_text(s, 1, namespace_id);
    if (rc == SQLITE_OK && after_job) rc = sqlite3_bind_int64(s, 2, after_start);
    if (rc == SQLITE_OK && after_job) rc = bind_text(s, 3, after_job);
    if (rc == SQLITE_OK) rc = sqlite3_bind_int(s, 4, limit);
    int n = 0, stop = 0;
    while (rc == SQLITE_OK && (rc = sqlite3_step(s)) == SQLITE_ROW) {
        const char *job = (const char *)sqlite3_column_text(s, 0);
        stop = cb(ud, job ? job : "", sqlite3_column_int64(s, 1), sqlite3_column_blob(s, 2),
                  (size_t)sqlite3_column_bytes(s, 2));
        n++;
        rc = stop ? SQLITE_DONE : SQLITE_OK;
    }
    int err = rc == SQLITE_DONE || rc == SQLITE_OK ? 0 : read_failed(st, rc, "batch operation list");
    sqlite3_finalize(s);
    return err ? err : n;
}
