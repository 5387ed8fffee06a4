/* SPDX-License-Identifier: Apache-2.0 */
/* migrate.h: internal to store/ (SQLite's "moduleInt.h" pattern) — what sqlite.c and migrate.c
 * share. Nothing outside src/store includes this file; the rest of Sandglass sees store.h only. */
#ifndef SG_STORE_MIGRATE_H
#define SG_STORE_MIGRATE_H

#include <sqlite3.h>

#include "core/sg.h"

/* The schema version this binary creates and understands (the last migration's number). */
int sg_migrate_latest_version(void);

/* Brings the database on db up to sg_migrate_latest_version(), one transaction per migration,
 * recording progress in PRAGMA user_version. Borrows db; no transaction may be open on it.
 * On success sets *version_out to the resulting version and returns 0. Returns SG_ECORRUPT if
 * the database's version is newer than this binary knows or the file holds tables but no
 * Sandglass version (someone else's database), SG_EBUSY if another process holds the write
 * lock past the busy timeout, SG_EIO for other failures. Each failure is explained on stderr;
 * a failed migration is rolled back, leaving the database at the previous version. */
int sg_migrate_run(sqlite3 *db, int *version_out);

/* Maps an (extended) SQLite result code to an SG_E* code: BUSY/LOCKED -> SG_EBUSY,
 * FULL/TOOBIG -> SG_ELIMIT, CORRUPT/NOTADB -> SG_ECORRUPT, PRIMARY KEY/UNIQUE -> SG_EEXIST,
 * FOREIGN KEY -> SG_ENOTFOUND, other constraints -> SG_EINVAL, everything else -> SG_EIO.
 * SQLITE_NOMEM aborts like any other out-of-memory. Defined in sqlite.c. */
int sg_sqlite_error(int rc);

#endif
