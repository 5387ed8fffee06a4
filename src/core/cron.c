/* SPDX-License-Identifier: Apache-2.0 */
/* cron.c: legacy cron schedules (StartWorkflowExecution.cron_schedule).
 *
 * Temporal reads these with the standard five-field parser plus descriptors; the rules that
 * matter for compatibility are kept here: `N/step` runs from N to the field's maximum, `*`
 * with a step above 1 no longer counts as a star, and day-of-month / day-of-week combine with
 * OR when both are restricted, AND when either is a star. Activations are at whole minutes
 * (UTC); "after t" means after t truncated to the second. */
#include "core/cron.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define MS_PER_MIN 60000LL
#define MS_PER_DAY 86400000LL

static const char *const months[] = { "jan", "feb", "mar", "apr", "may", "jun",
                                      "jul", "aug", "sep", "oct", "nov", "dec" };
static const char *const days[] = { "sun", "mon", "tue", "wed", "thu", "fri", "sat" };

typedef struct field_def {
    int min, max;
    const char *const *names; /* names[i] stands for min + i */
    const char *bad; /* the message for a malformed field */
} field_def;

static const field_def defs[5] = {
    { 0, 59, NULL, "invalid minute field in cron schedule (0-59)" },
    { 0, 23, NULL, "invalid hour field in cron schedule (0-23)" },
    { 1, 31, NULL, "invalid day-of-month field in cron schedule (1-31)" },
    { 1, 12, months, "invalid month field in cron schedule (1-12 or JAN-DEC)" },
    { 0, 6, days, "invalid day-of-week field in cron schedule (0-6 or SUN-SAT)" },
};

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

/* A number or (for months and weekdays) a three-letter name; -1 if neither. */
static int value(const char *s, size_t n, const field_def *d)
{
    if (n == 0 || n > 9)
        return -1;
    if (isdigit((unsigned char)s[0])) {
        int v = 0;
        for (size_t i = 0; i < n; i++) {
            if (!isdigit((unsigned char)s[i]))
                return -1;
            v = v * 10 + (s[i] - '0');
        }
        return v;
    }
    if (d->names && n == 3)
        for (int i = 0; i <= d->max - d->min; i++)
            if (strncasecmp(s, d->names[i], 3) == 0)
                return d->min + i;
    return -1;
}

/* One field (comma-separated ranges) into bits; *star when it was * or ?. */
static bool parse_field(const char *s, size_t n, const field_def *d, uint64_t *bits, bool *star)
{
    *bits = 0;
    *star = false;
    size_t i = 0;
    while (i <= n) {
        size_t j = i;
        while (j < n && s[j] != ',')
            j++;
        const char *p = s + i;
        size_t len = j - i;
        const char *slash = memchr(p, '/', len);
        size_t range_len = slash ? (size_t)(slash - p) : len;
        int lo, hi, step = 1;
        bool this_star = false;
        if (range_len == 1 && (p[0] == '*' || p[0] == '?')) {
            lo = d->min, hi = d->max, this_star = true;
        } else {
            const char *dash = memchr(p, '-', range_len);
            if (dash) {
                lo = value(p, (size_t)(dash - p), d);
                hi = value(dash + 1, range_len - (size_t)(dash - p) - 1, d);
            } else {
                lo = hi = value(p, range_len, d);
                if (slash)
                    hi = d->max; /* N/step: from N to the maximum */
            }
        }
        if (slash) {
            step = value(slash + 1, len - range_len - 1, &defs[0]);
            if (step <= 0)
                return false;
            if (step > 1)
                this_star = false;
        }
        if (lo < d->min || hi > d->max || lo > hi)
            return false;
        for (int v = lo; v <= hi; v += step)
            *bits |= (uint64_t)1 << v;
        *star = *star || this_star;
        i = j + 1;
    }
    return true;
}

/* A Go duration ("1h30m", "90s", "1.5h", "500ms") in ms; -1 if malformed. */
static int64_t go_duration_ms(const char *s)
{
    double total = 0;
    if (!*s)
        return -1;
    while (*s) {
        char *end;
        if (!isdigit((unsigned char)*s) && *s != '.')
            return -1;
        double v = strtod(s, &end);
        if (end == s)
            return -1;
        s = end;
        double unit;
        if (strncmp(s, "ms", 2) == 0)
            unit = 1, s += 2;
        else if (strncmp(s, "us", 2) == 0)
            unit = 0.001, s += 2;
        else if (strncmp(s, "ns", 2) == 0)
            unit = 0.000001, s += 2;
        else if (*s == 's')
            unit = 1000, s++;
        else if (*s == 'm')
            unit = 60000, s++;
        else if (*s == 'h')
            unit = 3600000, s++;
        else
            return -1;
        total += v * unit;
        if (total > 1e15)
            return -1;
    }
    return (int64_t)total;
}

int sg_cron_parse(const char *spec, sg_cron *out, const char **why)
{
    memset(out, 0, sizeof *out);
    *why = NULL;
    while (*spec == ' ')
        spec++;
    if (strncmp(spec, "CRON_TZ=", 8) == 0 || strncmp(spec, "TZ=", 3) == 0) {
        const char *z = strchr(spec, '=') + 1;
        size_t n = strcspn(z, " ");
        if (!((n == 3 && strncmp(z, "UTC", 3) == 0) || (n == 7 && strncmp(z, "Etc/UTC", 7) == 0) ||
              (n == 3 && strncmp(z, "GMT", 3) == 0))) {
            *why = "cron time zones other than UTC are not supported by Sandglass yet";
            return SG_ENOTSUP;
        }
        spec = z + n;
        while (*spec == ' ')
            spec++;
    }
    static const struct { const char *name, *fields; } descriptors[] = {
        { "@yearly", "0 0 1 1 *" }, { "@annually", "0 0 1 1 *" }, { "@monthly", "0 0 1 * *" },
        { "@weekly", "0 0 * * 0" }, { "@daily", "0 0 * * *" },    { "@midnight", "0 0 * * *" },
        { "@hourly", "0 * * * *" },
    };
    if (spec[0] == '@') {
        if (strncmp(spec, "@every ", 7) == 0) {
            int64_t ms = go_duration_ms(spec + 7);
            if (ms < 0) {
                *why = "invalid duration after @every";
                return SG_EINVAL;
            }
            out->every_ms = ms < 1000 ? 1000 : ms - ms % 1000; /* whole seconds, at least one */
            return 0;
        }
        for (size_t i = 0; i < SG_ARRAY_LEN(descriptors); i++)
            if (strcmp(spec, descriptors[i].name) == 0)
                return sg_cron_parse(descriptors[i].fields, out, why);
        *why = "unknown cron descriptor";
        return SG_EINVAL;
    }
    const char *p = spec;
    uint64_t bits[5];
    bool star[5];
    for (int f = 0; f < 5; f++) {
        while (*p == ' ')
            p++;
        size_t n = strcspn(p, " ");
        if (n == 0) {
            *why = "a cron schedule has five fields: minute hour day-of-month month day-of-week";
            return SG_EINVAL;
        }
        if (!parse_field(p, n, &defs[f], &bits[f], &star[f])) {
            *why = defs[f].bad;
            return SG_EINVAL;
        }
        p += n;
    }
    while (*p == ' ')
        p++;
    if (*p) {
        *why = "a cron schedule has five fields: minute hour day-of-month month day-of-week";
        return SG_EINVAL;
    }
    out->minute = bits[0];
    out->hour = (uint32_t)bits[1];
    out->dom = (uint32_t)bits[2];
    out->month = (uint32_t)bits[3];
    out->dow = (uint8_t)bits[4];
    out->dom_star = star[2];
    out->dow_star = star[4];
    return 0;
}

static bool day_matches(const sg_cron *c, const struct tm *tm)
{
    bool dom = (c->dom >> tm->tm_mday) & 1, dow = (c->dow >> tm->tm_wday) & 1;
    return c->dom_star || c->dow_star ? dom && dow : dom || dow;
}

int64_t sg_cron_next_ms(const sg_cron *c, int64_t after_ms)
{
    int64_t after_s = floor_div(after_ms, 1000);
    if (c->every_ms)
        return after_s * 1000 + c->every_ms;
    int64_t start = (floor_div(after_s * 1000, MS_PER_MIN) + 1) * MS_PER_MIN;
    int64_t day = floor_div(start, MS_PER_DAY);
    int first_minute = (int)((start - day * MS_PER_DAY) / MS_PER_MIN);
    for (int i = 0; i < 5 * 366 + 1; i++, day++, first_minute = 0) {
        time_t secs = (time_t)(day * 86400);
        struct tm tm;
        if (!gmtime_r(&secs, &tm))
            return -1;
        if (!((c->month >> (tm.tm_mon + 1)) & 1) || !day_matches(c, &tm))
            continue;
        for (int h = first_minute / 60; h < 24; h++) {
            if (!((c->hour >> h) & 1))
                continue;
            for (int m = h == first_minute / 60 ? first_minute % 60 : 0; m < 60; m++)
                if ((c->minute >> m) & 1)
                    return day * MS_PER_DAY + h * 3600000LL + m * MS_PER_MIN;
        }
    }
    return -1;
}

int64_t sg_cron_backoff_ms(const sg_cron *c, int64_t scheduled_ms, int64_t now_ms)
{
    int64_t next;
    if (now_ms < scheduled_ms) {
        next = scheduled_ms;
    } else if (c->every_ms) {
        /* The chain's activations are scheduled + k * period (from the truncated second). */
        int64_t base = floor_div(scheduled_ms, 1000) * 1000;
        int64_t k = (now_ms - base + c->every_ms - 1) / c->every_ms;
        next = base + (k > 0 ? k : 1) * c->every_ms;
    } else {
        next = sg_cron_next_ms(c, scheduled_ms);
        if (next >= 0 && next < now_ms)
            next = sg_cron_next_ms(c, now_ms - 1); /* activations missed while the run ran */
    }
    if (next < 0)
        return -1;
    int64_t wait = next - now_ms;
    return (wait + 999) / 1000 * 1000;
}
