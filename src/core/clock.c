/* SPDX-License-Identifier: Apache-2.0 */
/* clock.c: the one place that reads the system clock, so tests can replace it. */
#include "core/clock.h"

#include <time.h>

static int64_t virtual_ms = -1;

int64_t sg_clock_now_ms(void)
{
    if (virtual_ms >= 0)
        return virtual_ms;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
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
