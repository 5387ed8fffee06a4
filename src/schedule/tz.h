/* SPDX-License-Identifier: Apache-2.0 */
/* tz.h: wall-clock time in an IANA time zone, from the system's tz database through the C
 * library (tz.c). UTC (and the empty name) never touch the database. */
#ifndef SG_SCHEDULE_TZ_H
#define SG_SCHEDULE_TZ_H

#include "core/sg.h"

#include <time.h>

/* 0 if name is "", "UTC" or a zone the system's database has; SG_EINVAL otherwise. */
int sg_tz_check(const char *name);
/* A zone given as TZif bytes (a schedule's timezone_data): written once to a private
 * directory, named by a hash of its content; *path (malloc'd, caller frees) is the zone's
 * name for the functions below. SG_EINVAL if the bytes are not TZif, SG_EIO if they cannot be
 * written. */
int sg_tz_from_data(const uint8_t *data, size_t len, char **path);
/* The wall-clock fields of utc_s (seconds since the epoch) in the zone. */
void sg_tz_local(const char *name, int64_t utc_s, struct tm *out);
/* Every instant (seconds since the epoch, ascending) whose wall clock in the zone reads
 * local's year, month, day, hour, minute and second: none in a gap (spring forward), two in
 * an overlap (fall back). Returns how many (0..2) were written to out. */
int sg_tz_instants(const char *name, const struct tm *local, int64_t out[2]);

#endif
