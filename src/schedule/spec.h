/* SPDX-License-Identifier: Apache-2.0 */
/* spec.h: a schedule's spec compiled for computing its times (spec.c) — calendars (structured,
 * string fields, cron strings), intervals with phase, exclusions, start and end, jitter, in a
 * time zone. */
#ifndef SG_SCHEDULE_SPEC_H
#define SG_SCHEDULE_SPEC_H

#include "core/arena.h"

#include "temporal/api/schedule/v1/message.pb-c.h"

typedef struct sg_spec sg_spec;
typedef Temporal__Api__Schedule__V1__ScheduleSpec sg_spec_pb;

/* Compiles spec. SG_EINVAL with *why (in a) naming what is wrong: a value out of range, a
 * malformed expression or cron string, an unknown time zone, timezone_data that is not TZif
 * (it is used instead of the name, which then only labels it).
 * Caller frees with sg_spec_free. */
int sg_spec_compile(const sg_spec_pb *spec, sg_arena *a, sg_spec **out, const char **why);
void sg_spec_free(sg_spec *s);

/* The spec with its cron strings turned into the structured calendars and intervals they
 * stand for and its time zone set from a CRON_TZ= prefix, as Temporal stores and describes
 * it (in a). */
const sg_spec_pb *sg_spec_canonical(const sg_spec *s);

/* The first nominal time (ms since the epoch) strictly after after_ms that the spec matches,
 * within its start and end time and outside its exclusions; -1 if there is none. */
int64_t sg_spec_next(const sg_spec *s, int64_t after_ms);
/* The jitter seed (Temporal's: "<namespace id>-<schedule id>"); borrowed, copied. */
void sg_spec_set_seed(sg_spec *s, const char *seed);
/* The time an action for nominal_ms is taken: nominal_ms plus a jitter in [0, jitter) derived
 * from the nominal time and the seed exactly as Temporal derives it (so the same time always
 * gets the same jitter, here and there), kept before the spec's next time. */
int64_t sg_spec_jittered(const sg_spec *s, int64_t nominal_ms);
/* The jitter (ms) of a nominal time for a maximum of max_ms: FarmHash Fingerprint32 of the
 * time (as Go encodes it) and the seed, scaled to [0, max_ms). */
int64_t sg_spec_jitter_ms(int64_t nominal_ms, int64_t max_ms, const char *seed);

#endif
