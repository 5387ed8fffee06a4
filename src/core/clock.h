/* SPDX-License-Identifier: Apache-2.0 */
/* clock.h: wall and monotonic time in milliseconds, replaceable by a virtual clock in tests. */
#ifndef SG_CLOCK_H
#define SG_CLOCK_H

#include "core/sg.h"

/* Unix epoch milliseconds (virtual when set). Used for event times and stored deadlines. */
int64_t sg_clock_now_ms(void);
/* Monotonic milliseconds for measuring intervals; unaffected by the virtual clock. */
int64_t sg_clock_mono_ms(void);
/* Freezes sg_clock_now_ms at ms (tests); ms < 0 returns to real time. */
void sg_clock_set_virtual(int64_t ms);
/* Advances a virtual clock by delta_ms; asserts a virtual clock is set. */
void sg_clock_advance(int64_t delta_ms);
/* Time skipping (timeskip/): moves sg_clock_now_ms forward by delta_ms for good (a virtual
 * clock, or the real one plus a skew that only grows). */
void sg_clock_skip(int64_t delta_ms);
/* The skew the real clock runs with (0 unless skipped), and its restoration at start-up. */
int64_t sg_clock_skew_ms(void);
void sg_clock_set_skew(int64_t skew_ms);

/* A duration as Go's time.ParseDuration reads it ("1h30m", "1.5h", "300ms", "2h45m10.5s"), with
 * Temporal's extra unit d (24 h), into *secs; no sign. A bare number is seconds when
 * bare_seconds (the temporal CLI's flags), refused otherwise. False when s is no duration. */
bool sg_parse_go_duration(const char *s, bool bare_seconds, double *secs);

#endif
