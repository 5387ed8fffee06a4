/* SPDX-License-Identifier: Apache-2.0 */
/* clock.c: the one place that reads the system clock, so tests can replace it. */
#include "core/clock.h"

#include <time.h>

static int64_t virtual_ms = -1;
static int64_t skew_ms; /* what time skipping added to the real clock */

int64_t sg_clock_now_ms(void)
{
    if (virtual_ms >= 0)
        return virtual_ms;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000 + skew_ms;
}

int64_t sg_clock_mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void sg_clock_set_virtual(int64_t ms)
{
    virtual_ms = ms;
}

void sg_clock_advance(int64_t delta_ms)
{
    sg_assert(virtual_ms >= 0);
    virtual_ms += delta_ms;
}

void sg_clock_skip(int64_t delta_ms)
{
    if (delta_ms <= 0)
        return;
    if (virtual_ms >= 0)
        virtual_ms += delta_ms;
    else
        skew_ms += delta_ms;
}

int64_t sg_clock_skew_ms(void)
{
    return skew_ms;
}

void sg_clock_set_skew(int64_t ms)
{
    skew_ms = ms > 0 ? ms : 0;
}
