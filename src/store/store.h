/* SPDX-License-Identifier: Apache-2.0 */
/* store.h: the storage interface every layer above writes through.
 *
 * SQLite (WAL) implements it today (store/sqlite.c); PostgreSQL is meant to follow behind the
 * same functions, so nothing here names SQL or SQLite. Records are plain structs and opaque
 * byte blobs: the store never decodes protobuf, callers pass it serialized messages.
 *
 * Transactions: the caller (store/txn.c, group commit) brackets writes with sg_store_begin /
 * sg_store_commit. Reads may run inside or outside a transaction; inside, they see the
 * transaction's own writes. A write outside a transaction is a programming error (asserted).
 * When sg_store_commit fails the transaction is rolled back and nothing it wrote is visible.
 *
 * Errors: SG_EIO for disk or database failures (including injected faults), SG_EBUSY for lock
 * contention, SG_ECORRUPT for unreadable stored data, SG_ENOTFOUND / SG_EEXIST as documented
 * per function. Threading: one thread (the event loop) uses a store. */
#ifndef SG_STORE_H
#define SG_STORE_H

#include "core/sg.h"
#include "visibility/query.h"

typedef struct sg_store sg_store;

typedef struct sg_store_options {
    /* Path of the database file; NULL or "" keeps everything in memory (lost at exit). */
    const char *path;
    /* Extra "key=value" PRAGMAs applied after the defaults (--sqlite-pragma); may be NULL. */
    const char *const *pragmas;
    size_t n_pragmas;
} sg_store_options;

/* Opens (creating if needed) the database and runs pending schema migrations.
 * Returns SG_EIO if the file cannot be opened or migrated, SG_EINVAL for a malformed pragma,
 * SG_ECORRUPT if the schema version is newer than this binary knows. *out is set on success;
 * caller closes with sg_store_close. */
int sg_store_open(const sg_store_options *opts, sg_store **out);
/* Closes the database; an open transaction is rolled back. NULL is a no-op. */
void sg_store_close(sg_store *st);
/* Schema version after migrations (for tests and the start-up banner). */
int sg_store_schema_version(sg_store *st);
/* Human-readable description of where data lives ("in memory" or the file path). Borrowed. */
const char *sg_store_location(sg_store *st);

/* Transactions. begin: SG_EIO/SG_EBUSY; asserts none is open. commit: SG_EIO/SG_EBUSY after
 * rolling back. rollback: always succeeds; no-op when none is open. */
int sg_store_begin(sg_store *st);
int sg_store_commit(sg_store *st);
void sg_store_rollback(sg_store *st);
bool sg_store_in_txn(sg_store *st);

/* How many read calls (get, list, scan, history read) the store has served: lets tests show
 * that a path is answered from memory. */
uint64_t sg_store_read_count(const sg_store *st);
/* The database's size in bytes (pages in use times page size; the WAL not counted), or -1. */
int64_t sg_store_size_bytes(sg_store *st);

/* ---- Cluster metadata: small string key/value pairs (cluster id, ...). ---- */
/* get: SG_ENOTFOUND if absent; *value_out is malloc'd, caller frees. */
int sg_store_meta_get(sg_store *st, const char *key, char **value_out);
/* put: inserts or replaces. Requires a transaction. */
int sg_store_meta_put(sg_store *st, const char *key, const char *value);

/* ---- Namespaces ---- */
typedef struct sg_namespace_rec {
    char *id;           /* UUID string, unique */
    char *name;         /* unique */
    int64_t notification_version; /* bumped on every update */
    uint8_t *info;      /* opaque serialized namespace description (owned by the frontend's format) */
    size_t info_len;
} sg_namespace_rec;

/* Frees the strings and blob of a record filled by the store (not the struct itself). */
void sg_namespace_rec_deinit(sg_namespace_rec *rec);

/* Inserts a new namespace. SG_EEXIST if the name or id is taken. Borrows rec. Requires a txn. */
int sg_store_namespace_insert(sg_store *st, const sg_namespace_rec *rec);
/* Replaces name (a deleted namespace is renamed), info and notification_version of the
 * namespace with rec->id. SG_ENOTFOUND if no such id, SG_EEXIST if the name is another's.
 * Borrows rec. Requires a txn. */
int sg_store_namespace_update(sg_store *st, const sg_namespace_rec *rec);
/* Looks up by name (by_id=false) or id (by_id=true). SG_ENOTFOUND if absent. On success *out
 * owns malloc'd fields; caller calls sg_namespace_rec_deinit. */
int sg_store_namespace_get(sg_store *st, const char *key, bool by_id, sg_namespace_rec *out);
/* Calls cb for up to limit namespaces in name order whose name is > after_name ("" = from the
 * start). cb borrows the record for the duration of the call; a non-zero return stops the scan
 * and is returned. Returns the number visited (>= 0) or an error. */
typedef int (*sg_namespace_cb)(void *ud, const sg_namespace_rec *rec);
int sg_store_namespace_list(sg_store *st, const char *after_name, int limit, sg_namespace_cb cb,
                            void *ud);

/* ---- Custom search attributes, per namespace id ---- */
/* type is temporal.api.enums.v1.IndexedValueType as an int. */
/* Inserts; SG_EEXIST if the name is registered in that namespace already. Requires a txn. */
int sg_store_search_attr_insert(sg_store *st, const char *namespace_id, const char *name, int type);
/* Deletes; SG_ENOTFOUND if not registered. Requires a txn. */
int sg_store_search_attr_delete(sg_store *st, const char *namespace_id, const char *name);
/* Looks one up; SG_ENOTFOUND if absent; *type_out set on success. */
int sg_store_search_attr_get(sg_store *st, const char *namespace_id, const char *name,
                             int *type_out);
/* Calls cb for each attribute of the namespace in name order; cb borrows name. A non-zero return
 * from cb stops and is returned. Returns count visited or an error. */
typedef int (*sg_search_attr_cb)(void *ud, const char *name, int type);
int sg_store_search_attr_list(sg_store *st, const char *namespace_id, sg_search_attr_cb cb,
                              void *ud);

/* ---- Workflow executions (one row per run) ---- */
typedef struct sg_execution_rec {
    char *namespace_id;
    char *workflow_id;
    char *run_id;
    int status;            /* temporal.api.enums.v1.WorkflowExecutionStatus; 1 = RUNNING */
    int64_t start_time_ms;
    int64_t close_time_ms; /* 0 while running */
    uint8_t *state;        /* opaque serialized mutable state (history/mstate's format) */
    size_t state_len;
} sg_execution_rec;

/* Frees the strings and blob of a record filled by the store (not the struct itself). */
void sg_execution_rec_deinit(sg_execution_rec *rec);
/* Deletes a run: its history batches, its row, and the workflow's current-run row when it
 * names this run. SG_ENOTFOUND if the run does not exist. Requires a txn. */
int sg_store_execution_delete(sg_store *st, const char *namespace_id, const char *workflow_id,
                              const char *run_id);
/* Inserts a new run. SG_EEXIST if (namespace_id, run_id) exists. Borrows rec. Requires a txn. */
int sg_store_execution_insert(sg_store *st, const sg_execution_rec *rec);
/* Replaces status, close_time_ms and state of the run (namespace_id, run_id); for a running
 * rec only state (a run is stored running and never reopens, so the others are unchanged).
 * SG_ENOTFOUND if absent. Borrows rec. Requires a txn. */
int sg_store_execution_update(sg_store *st, const sg_execution_rec *rec);
/* Loads one run by (namespace_id, run_id). SG_ENOTFOUND if absent. *out owns malloc'd fields;
 * caller calls sg_execution_rec_deinit. */
int sg_store_execution_get(sg_store *st, const char *namespace_id, const char *run_id,
                           sg_execution_rec *out);
/* Calls cb for every run whose status is RUNNING (start-up recovery), in no particular order.
 * cb borrows the record for the call; a non-zero return stops and is returned. Returns the
 * number visited or an error. */
typedef int (*sg_execution_cb)(void *ud, const sg_execution_rec *rec);
int sg_store_execution_scan_running(sg_store *st, sg_execution_cb cb, void *ud);

/* ---- Visibility: one row per run, what List / Count read ---- */
/* A custom search attribute value (a KeywordList contributes one per item). */
typedef struct sg_vis_attr {
    const char *name;
    sg_vq_value value;
} sg_vis_attr;

typedef struct sg_visibility_rec {
    const char *namespace_id, *run_id, *workflow_id, *workflow_type, *task_queue;
    int status;
    int64_t start_time_ms, execution_time_ms;
    int64_t close_time_ms; /* 0 while running */
    int64_t history_length, history_size_bytes, state_transition_count;
    const char *parent_workflow_id, *parent_run_id, *root_workflow_id, *root_run_id; /* "" none */
    const uint8_t *info;   /* serialized temporal.api.workflow.v1.WorkflowExecutionInfo */
    size_t info_len;
    const sg_vis_attr *attrs;
    size_t n_attrs;
    bool is_new;        /* the run's first row: inserted, else updated in place */
    bool attrs_changed; /* replace the attribute values (always for a new row) */
} sg_visibility_rec;

/* Writes the run's row (and, if changed, its attribute values). An update writes only what
 * can change after the start (status and close of a closed run; history counters, info and
 * attributes) and keeps the rest as inserted, which keeps a close cheap. Borrows rec.
 * Requires a txn. */
int sg_store_visibility_put(sg_store *st, const sg_visibility_rec *rec);

/* Where a listing stopped: in the default order (running first, then latest closed, latest
 * started, run id), or in the filter's ORDER BY (its key, then run id). */
typedef struct sg_vis_cursor {
    bool set;
    int64_t close_order, start_time;
    char run_id[64];
    /* With ORDER BY: the sort key of the last run (text for Keyword columns, else key_i). */
    bool key_is_text;
    int64_t key_i;
    char key_s[SG_MAX_ID_LEN + 1];
} sg_vis_cursor;
/* cb borrows info (a serialized WorkflowExecutionInfo) for the call; non-zero stops. */
typedef int (*sg_vis_row_cb)(void *ud, const uint8_t *info, size_t len, const sg_vis_cursor *pos);
/* Calls cb for up to limit runs of the namespace matching filter f (NULL: all) after the
 * cursor, in the default order. Returns the number visited, cb's non-zero return, or an
 * error (SG_EINVAL for a filter too large to compile). */
int sg_store_visibility_list(sg_store *st, const char *namespace_id, const sg_vq *f,
                             const sg_vis_cursor *after, int limit, sg_vis_row_cb cb, void *ud);
/* Counts the runs matching f; with by_status, also per ExecutionStatus (indexes 0..n-1). */
int sg_store_visibility_count(sg_store *st, const char *namespace_id, const sg_vq *f,
                              int64_t *total, int64_t *by_status, size_t n_status);
/* The SQL (values inlined) a filter compiles to, malloc'd: tests read its query plan. NULL on
 * error. */
char *sg_store_visibility_sql(sg_store *st, const char *namespace_id, const sg_vq *f);

/* ---- Batch operations ---- */
/* Records a batch operation (info: its serialized DescribeBatchOperationResponse; work, for a
 * job that runs in the background, its serialized StartBatchOperationRequest, else NULL).
 * SG_EEXIST if the job id exists in the namespace. Borrows everything. Requires a txn. */
int sg_store_batch_insert(sg_store *st, const char *namespace_id, const char *job_id,
                          int64_t start_ms, const uint8_t *info, size_t len, const uint8_t *work,
                          size_t work_len);
/* A background job's progress: its info and where it resumes (cursor, NULL for none); once
 * running is false the job has ended and is no longer resumed. SG_ENOTFOUND. Requires a txn. */
int sg_store_batch_update(sg_store *st, const char *namespace_id, const char *job_id,
                          const uint8_t *info, size_t len, const uint8_t *cursor, size_t cursor_len,
                          bool running);
/* A background job still running, as stored (borrowed for the callback). */
typedef struct sg_batch_work {
    const char *namespace_id, *job_id;
    const uint8_t *info, *work, *cursor;
    size_t info_len, work_len, cursor_len;
} sg_batch_work;
/* cb: 0 goes on, > 0 stops, < 0 stops and is returned. */
typedef int (*sg_batch_work_cb)(void *ud, const sg_batch_work *w);
/* Every job still running (a start-up resumes them). Returns the number visited or an error. */
int sg_store_batch_running(sg_store *st, sg_batch_work_cb cb, void *ud);
/* One job's info (*info malloc'd, caller frees); SG_ENOTFOUND. */
int sg_store_batch_get(sg_store *st, const char *namespace_id, const char *job_id, uint8_t **info,
                       size_t *len);
/* cb borrows job_id and info for the call; non-zero stops. */
typedef int (*sg_batch_row_cb)(void *ud, const char *job_id, int64_t start_ms, const uint8_t *info,
                               size_t len);
/* Up to limit jobs of the namespace, newest first, after (after_start, after_job) when
 * after_job is not NULL. Returns the number visited or an error. */
int sg_store_batch_list(sg_store *st, const char *namespace_id, int64_t after_start,
                        const char *after_job, int limit, sg_batch_row_cb cb, void *ud);

/* ---- Schedules ---- */
/* Writes a schedule's record (info: its serialized sandglass.v1.ScheduleRecord), replacing the
 * one stored. Borrows everything. Requires a txn. */
int sg_store_schedule_put(sg_store *st, const char *namespace_id, const char *schedule_id,
                          const uint8_t *info, size_t len);
/* SG_ENOTFOUND if there is no such schedule. Requires a txn. */
int sg_store_schedule_delete(sg_store *st, const char *namespace_id, const char *schedule_id);
/* cb borrows its arguments for the call; non-zero stops (a negative value is returned). */
typedef int (*sg_schedule_row_cb)(void *ud, const char *namespace_id, const char *schedule_id,
                                  const uint8_t *info, size_t len);
/* Every schedule (start-up). Returns the number visited or an error. */
int sg_store_schedule_all(sg_store *st, sg_schedule_row_cb cb, void *ud);

/* ---- Current run per workflow id ---- */
typedef struct sg_current_rec {
    char *run_id;
    int status;              /* status of that run, read from its executions row */
    char *start_request_id;  /* request id that started it (start deduplication) */
} sg_current_rec;

void sg_current_rec_deinit(sg_current_rec *rec);
/* SG_ENOTFOUND if the workflow id never ran in the namespace. Caller deinits *out. */
int sg_store_current_get(sg_store *st, const char *namespace_id, const char *workflow_id,
                         sg_current_rec *out);
/* Inserts or replaces the current run of (namespace_id, workflow_id). Requires a txn. The
 * engine writes it when a run starts; get reads the status from the run's executions row, so a
 * close need not write it again (rec->status is kept only for a run without one). */
int sg_store_current_put(sg_store *st, const char *namespace_id, const char *workflow_id,
                         const sg_current_rec *rec);

/* ---- History: serialized event batches ----
 * A batch is the bytes of a temporal.api.history.v1.History message holding events
 * first_event_id..last_event_id (each a field-1 record), as the engine wrote them in one
 * transaction. Batches of a run concatenate into a valid History message, so readers splice
 * stored bytes into responses without decoding. */
/* Appends a batch. SG_EEXIST if a batch of that run already starts at first_event_id.
 * Borrows data. Requires a txn. */
int sg_store_history_append(sg_store *st, const char *namespace_id, const char *run_id,
                            int64_t first_event_id, int64_t last_event_id, const uint8_t *data,
                            size_t len);
/* Calls cb with the run's batches in event order, starting with the batch that contains
 * from_event_id, and stops after the batch that reaches max_events events counted from
 * from_event_id (max_events <= 0: no limit). cb borrows data for the call; a non-zero return
 * stops and is returned. Returns the number of batches visited or an error. */
typedef int (*sg_history_cb)(void *ud, int64_t first_event_id, int64_t last_event_id,
                             const uint8_t *data, size_t len);
int sg_store_history_read(sg_store *st, const char *namespace_id, const char *run_id,
                          int64_t from_event_id, int64_t max_events, sg_history_cb cb, void *ud);
/* Same, newest batch first, starting with the batch containing to_event_id (0 = the last) and
 * going back. */
int sg_store_history_read_reverse(sg_store *st, const char *namespace_id, const char *run_id,
                                  int64_t to_event_id, int64_t max_events, sg_history_cb cb,
                                  void *ud);

/* Whether a list page of a filter whose custom-attribute values are all common may be found by
 * walking the runs in order (sqlite.c, "the walk"); on by default. Tests and vis_bench turn it
 * off to compare the two ways. */
void sg_store_set_vis_walk(sg_store *st, bool on);
/* How many list pages a walk served whole, and how many it began before handing over to the
 * planned query (tests show which way a page went). */
void sg_store_vis_walk_counts(const sg_store *st, uint64_t *whole, uint64_t *handed_over);

/* ---- Fault injection (tests only; compiled in always, inert unless armed) ---- */
/* Makes the nth (1-based) subsequent write operation or commit fail with err (SG_EIO, SG_EBUSY,
 * or SG_ELIMIT for a full disk); n=0 disarms. Writes counted: every insert/update/delete/put and
 * every commit. The failure is reported exactly as a real one would be. */
void sg_store_fault_inject(sg_store *st, int nth_write, int err);

#endif
