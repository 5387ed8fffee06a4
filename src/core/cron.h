/* SPDX-License-Identifier: Apache-2.0 */
/* cron.h: legacy cron_schedule strings, as Temporal's server reads them (cron.c). */
#ifndef SG_CRON_H
#define SG_CRON_H

#include "core/sg.h"

typedef struct sg_cron {
    uint64_t minute;  /* bit i: minute i matches */
    uint32_t hour, dom, month; /* dom bit 1..31, month bit 1..12 */
    uint8_t dow;      /* bit 0 = Sunday */
    bool dom_star, dow_star; /* the field was * or ? (then both must match, else either) */
    int64_t every_ms; /* @every: a fixed period instead of the fields */
} sg_cron;

/* Parses the five standard fields (minute hour day-of-month month day-of-week: lists, ranges,
 * steps, month and weekday names, `?`), the descriptors @yearly @annually @monthly @weekly
 * @daily @midnight @hourly and `@every <duration>`, with an optional CRON_TZ= or TZ= prefix.
 * Times are UTC. Returns 0; SG_EINVAL (why says what is wrong); SG_ENOTSUP for a time zone
 * other than UTC. */
int sg_cron_parse(const char *spec, sg_cron *out, const char **why);
/* The first activation strictly after after_ms, or -1 if none within five years. */
int64_t sg_cron_next_ms(const sg_cron *c, int64_t after_ms);
/* How long a run ending at now_ms waits for its successor, whose chain was last scheduled
 * for scheduled_ms: the first activation at or after now (a run that overran skips the
 * activations it missed), rounded up to whole seconds. -1 if there is none. */
int64_t sg_cron_backoff_ms(const sg_cron *c, int64_t scheduled_ms, int64_t now_ms);

#endif
