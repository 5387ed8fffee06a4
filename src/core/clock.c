/* SPDX-License-Identifier: Apache-2.0 */
/* clock.c: the one place that reads the system clock, so tests can replace it. */
#include "core/clock.h"

#include <string.h>
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

/* A decimal number ("12", "1.5", ".5") at *p, advancing *p; false when there is none. */
static bool decimal(const char **p, double *out)
{
    const char *s = *p;
    double v = 0, scale = 1;
    bool digits = false, dot = false;
    for (; (*s >= '0' && *s <= '9') || (*s == '.' && !dot); s++) {
        if (*s == '.') {
            dot = true;
            continue;
        }
        digits = true;
        if (dot)
            v += (*s - '0') * (scale /= 10);
        else if (v < 1e300)
            v = v * 10 + (*s - '0');
    }
    *p = s;
    *out = v;
    return digits;
}

bool sg_parse_go_duration(const char *s, bool bare_seconds, double *secs)
{
    static const struct {
        const char *unit;
        double secs;
    } units[] = { { "ns", 1e-9 }, { "us", 1e-6 }, { "\xc2\xb5s", 1e-6 }, { "ms", 1e-3 },
                  { "s", 1 },     { "m", 60 },    { "h", 3600 },           { "d", 86400 } };
    const char *p = s;
    double total = 0, n;
    if (!decimal(&p, &n))
        return false;
    if (!*p) {
        /* Go takes a lone 0 without a unit. */
        if (!bare_seconds && n != 0)
            return false;
        *secs = n;
        return true;
    }
    for (;;) {
        size_t best = 0, best_len = 0;
        for (size_t i = 0; i < SG_ARRAY_LEN(units); i++) {
            size_t l = strlen(units[i].unit);
            if (l > best_len && strncmp(p, units[i].unit, l) == 0) { /* "ms" over "m" */
                best = i;
                best_len = l;
            }
        }
        if (!best_len)
            return false;
        p += best_len;
        total += n * units[best].secs;
        if (!*p)
            break;
        if (!decimal(&p, &n))
            return false;
    }
    *secs = total;
    return true;
}
