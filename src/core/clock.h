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

#endif
