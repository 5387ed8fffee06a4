/* SPDX-License-Identifier: Apache-2.0 */
/* spec.c: schedule specs — which times a schedule matches.
 *
 * Design note. Every calendar form (StructuredCalendarSpec ranges, CalendarSpec string
 * expressions, cron strings) compiles to one representation: a bit set per field (second,
 * minute, hour, day of month, month, day of week) plus year ranges. A time matches when every
 * field of its wall clock in the spec's zone is in its set (day of month AND day of week, as
 * Temporal does: no cron "or" special case). Matching is literal on the wall clock: a time a
 * daylight-saving gap skips never fires, a time an overlap repeats fires twice.
 *
 * The next matching time after t is found by walking wall-clock fields from the largest down
 * (a non-matching year skips to the next year, a month to the next month, ...), so a daily or
 * yearly spec costs a handful of steps, not one per second. Each wall-clock candidate maps to
 * 0, 1 or 2 instants (tz.c); candidates are taken from a little before t's wall clock, so a
 * repeated hour is not missed, and the earliest instant after t wins. Intervals are
 * epoch + n * interval + phase, in whole seconds. */
#include "schedule/spec.h"

#include "schedule/tz.h"

/* exclude_calendar is deprecated in favour of exclude_structured_calendar; clients may still
 * send it. */
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define YEAR_MIN 2000
#define YEAR_MAX 2100

typedef struct yrange {
    int start, end, step;
} yrange;

typedef struct cal {
    uint64_t sec, min; /* bit i: i matches */
    uint32_t hour;     /* 0..23 */
    uint32_t dom;      /* 1..31 */
    uint16_t mon;      /* 1..12 */
    uint8_t dow;       /* 0..6, Sunday 0 */
    yrange *years;     /* none: every year */
    size_t n_years;
} cal;

typedef struct ival {
    int64_t every_ms, phase_ms;
} ival;

struct sg_spec {
    cal *cals, *excl;
    size_t n_cals, n_excl;
    ival *ivals;
    size_t n_ivals;
    int64_t start_ms, end_ms; /* 0: none */
    int64_t jitter_ms;
    char *tz;
    char *seed; /* jitter seed: "<namespace id>-<schedule id>" */
    sg_arena arena; /* the canonical spec */
    sg_spec_pb *canon;
};

typedef Temporal__Api__Schedule__V1__Range pb_range;
typedef Temporal__Api__Schedule__V1__StructuredCalendarSpec pb_scal;
typedef Temporal__Api__Schedule__V1__CalendarSpec pb_cal;
typedef Temporal__Api__Schedule__V1__IntervalSpec pb_ival;

/* ---- fields ---- */

typedef enum { F_SEC, F_MIN, F_HOUR, F_DOM, F_MON, F_YEAR, F_DOW, N_FIELDS } field_id;

static const struct {
    const char *name;
    int min, max;
} fields[N_FIELDS] = {
    [F_SEC] = { "second", 0, 59 },          [F_MIN] = { "minute", 0, 59 },
    [F_HOUR] = { "hour", 0, 23 },           [F_DOM] = { "day_of_month", 1, 31 },
    [F_MON] = { "month", 1, 12 },           [F_YEAR] = { "year", YEAR_MIN, YEAR_MAX },
    [F_DOW] = { "day_of_week", 0, 6 },
};

static void set_bits(cal *c, field_id f, int start, int end, int step)
{
    for (int v = start; v <= end; v += step) {
        switch (f) {
        case F_SEC: c->sec |= 1ull << v; break;
        case F_MIN: c->min |= 1ull << v; break;
        case F_HOUR: c->hour |= 1u << v; break;
        case F_DOM: c->dom |= 1u << v; break;
        case F_MON: c->mon = (uint16_t)(c->mon | 1u << v); break;
        case F_DOW: c->dow = (uint8_t)(c->dow | 1u << (v % 7)); break;
        default: break;
        }
    }
}

/* Adds one range of field f; SG_EINVAL (*why) when out of bounds. */
static int add_range(cal *c, field_id f, int start, int end, int step, sg_arena *a, const char **why)
{
    if (end < start)
        end = start;
    if (step <= 0)
        step = 1;
    int max = f == F_DOW ? 7 : fields[f].max; /* 7 is Sunday too */
    if (start < fields[f].min || end > max) {
        *why = sg_arena_printf(a, "%s range %d-%d is out of bounds (%d-%d)", fields[f].name, start,
                               end, fields[f].min, fields[f].max);
        return SG_EINVAL;
    }
    if (f == F_YEAR) {
        c->years = sg_realloc(c->years, (c->n_years + 1) * sizeof *c->years);
        c->years[c->n_years++] = (yrange){ start, end, step };
        return 0;
    }
    set_bits(c, f, start, end, step);
    return 0;
}

static const char *const month_names[] = { "january", "february", "march", "april",
                                           "may", "june", "july", "august", "september",
                                           "october", "november", "december" };
static const char *const day_names[] = { "sunday", "monday", "tuesday", "wednesday",
                                         "thursday", "friday", "saturday" };

/* One value of an expression: a number, or a prefix of a month name (three letters or more)
 * or of a weekday name (two or more). */
static bool parse_value(field_id f, const char **p, int *out)
{
    const char *s = *p;
    if (isdigit((unsigned char)*s)) {
        long v = 0;
        while (isdigit((unsigned char)*s) && v < 100000)
            v = v * 10 + (*s++ - '0');
        *out = (int)v;
        *p = s;
        return true;
    }
    const char *const *names = f == F_MON ? month_names : f == F_DOW ? day_names : NULL;
    int n = f == F_MON ? 12 : 7;
    if (!names)
        return false;
    size_t len = 0;
    while (isalpha((unsigned char)s[len]))
        len++;
    if (len < (f == F_MON ? 3u : 2u))
        return false;
    for (int i = 0; i < n; i++)
        if (len <= strlen(names[i]) && strncasecmp(s, names[i], len) == 0) {
            *out = f == F_MON ? i + 1 : i;
            *p = s + len;
            return true;
        }
    return false;
}

/* A CalendarSpec / cron field expression: comma-separated items, each `*`, `v`, `v-w`,
 * optionally `/step`. Empty means the field's default (def). */
static int parse_expr(cal *c, field_id f, const char *expr, const char *def, sg_arena *a,
                      const char **why)
{
    const char *s = expr && *expr ? expr : def;
    for (;;) {
        while (*s == ' ')
            s++;
        int start, end, step = 1;
        const char *item = s;
        if (*s == '*' || *s == '?') {
            start = fields[f].min;
            end = fields[f].max;
            s++;
        } else {
            if (!parse_value(f, &s, &start))
                goto bad;
            end = start;
            if (*s == '-') {
                s++;
                if (!parse_value(f, &s, &end))
                    goto bad;
            }
        }
        if (*s == '/') {
            s++;
            if (!parse_value(F_SEC, &s, &step) || step <= 0)
                goto bad;
            if (item[0] != '*' && end == start)
                end = fields[f].max;
        }
        int rc = add_range(c, f, start, end, step, a, why);
        if (rc)
            return rc;
        while (*s == ' ')
            s++;
        if (*s == ',') {
            s++;
            continue;
        }
        if (!*s)
            return 0;
bad:
        *why = sg_arena_printf(a, "invalid %s expression \"%s\"", fields[f].name, expr ? expr : "");
        return SG_EINVAL;
    }
}

static void cal_free(cal *c)
{
    sg_free(c->years);
}

/* ---- canonical form: ranges out of a compiled calendar ---- */

static void push_range(sg_arena *a, pb_range ***list, size_t *n, int start, int end, int step)
{
    pb_range *r = sg_arena_calloc(a, sizeof *r);
    temporal__api__schedule__v1__range__init(r);
    /* As Temporal describes a spec: end and step always set. */
    r->start = start;
    r->end = end > start ? end : start;
    r->step = step > 1 ? step : 1;
    *list = sg_arena_realloc_array(a, *list, *n, *n + 1, sizeof **list);
    (*list)[(*n)++] = r;
}

/* The set bits of a field as maximal runs of consecutive values. */
static void ranges_of(sg_arena *a, uint64_t bits, int min, int max, pb_range ***list, size_t *n)
{
    for (int v = min; v <= max;) {
        if (!(bits >> v & 1)) {
            v++;
            continue;
        }
        int w = v;
        while (w + 1 <= max && (bits >> (w + 1) & 1))
            w++;
        push_range(a, list, n, v, w, 1);
        v = w + 1;
    }
}

static pb_scal *cal_to_pb(sg_arena *a, const cal *c, const char *comment)
{
    pb_scal *s = sg_arena_calloc(a, sizeof *s);
    temporal__api__schedule__v1__structured_calendar_spec__init(s);
    ranges_of(a, c->sec, 0, 59, &s->second, &s->n_second);
    ranges_of(a, c->min, 0, 59, &s->minute, &s->n_minute);
    ranges_of(a, c->hour, 0, 23, &s->hour, &s->n_hour);
    ranges_of(a, c->dom, 1, 31, &s->day_of_month, &s->n_day_of_month);
    ranges_of(a, c->mon, 1, 12, &s->month, &s->n_month);
    ranges_of(a, c->dow, 0, 6, &s->day_of_week, &s->n_day_of_week);
    for (size_t i = 0; i < c->n_years; i++)
        push_range(a, &s->year, &s->n_year, c->years[i].start, c->years[i].end, c->years[i].step);
    s->comment = sg_arena_strdup(a, comment ? comment : "");
    return s;
}

/* ---- compiling ---- */

static int from_structured(cal *c, const pb_scal *s, sg_arena *a, const char **why)
{
    memset(c, 0, sizeof *c);
    struct {
        field_id f;
        pb_range **r;
        size_t n;
    } all[] = {
        { F_SEC, s->second, s->n_second },       { F_MIN, s->minute, s->n_minute },
        { F_HOUR, s->hour, s->n_hour },           { F_DOM, s->day_of_month, s->n_day_of_month },
        { F_MON, s->month, s->n_month },          { F_YEAR, s->year, s->n_year },
        { F_DOW, s->day_of_week, s->n_day_of_week },
    };
    for (size_t i = 0; i < SG_ARRAY_LEN(all); i++)
        for (size_t k = 0; k < all[i].n; k++) {
            int rc = add_range(c, all[i].f, all[i].r[k]->start, all[i].r[k]->end, all[i].r[k]->step,
                               a, why);
            if (rc)
                return rc;
        }
    return 0;
}

static int from_strings(cal *c, const pb_cal *s, sg_arena *a, const char **why)
{
    memset(c, 0, sizeof *c);
    int rc = parse_expr(c, F_SEC, s->second, "0", a, why);
    if (!rc) rc = parse_expr(c, F_MIN, s->minute, "0", a, why);
    if (!rc) rc = parse_expr(c, F_HOUR, s->hour, "0", a, why);
    if (!rc) rc = parse_expr(c, F_DOM, s->day_of_month, "*", a, why);
    if (!rc) rc = parse_expr(c, F_MON, s->month, "*", a, why);
    if (!rc && s->year && *s->year && strcmp(s->year, "*") != 0)
        rc = parse_expr(c, F_YEAR, s->year, "*", a, why);
    if (!rc) rc = parse_expr(c, F_DOW, s->day_of_week, "*", a, why);
    return rc;
}

/* "<n><unit>" with unit s, m, h or d, in ms. */
static bool parse_duration(const char *s, size_t len, int64_t *ms)
{
    if (!len || !isdigit((unsigned char)s[0]))
        return false;
    int64_t v = 0;
    size_t i = 0;
    while (i < len && isdigit((unsigned char)s[i]) && v < 1000000000)
        v = v * 10 + (s[i++] - '0');
    if (i + 1 != len)
        return false;
    int64_t unit = s[i] == 's' ? 1000 : s[i] == 'm' ? 60000 : s[i] == 'h' ? 3600000
                 : s[i] == 'd' ? 86400000 : 0;
    if (!unit)
        return false;
    *ms = v * unit;
    return true;
}

typedef struct building {
    sg_spec *s;
    sg_arena *a;
    const char *tz_from_cron;
} building;

static void add_cal(sg_spec *s, const cal *c)
{
    s->cals = sg_realloc(s->cals, (s->n_cals + 1) * sizeof *s->cals);
    s->cals[s->n_cals++] = *c;
}

static void add_ival(sg_spec *s, int64_t every_ms, int64_t phase_ms)
{
    s->ivals = sg_realloc(s->ivals, (s->n_ivals + 1) * sizeof *s->ivals);
    s->ivals[s->n_ivals++] = (ival){ every_ms, phase_ms };
}

/* A cron string: [CRON_TZ=zone |TZ=zone ] fields-or-shorthand [# comment]. */
static int from_cron(building *b, const char *in, char **comment, const char **why)
{
    sg_arena *a = b->a;
    char *str = sg_arena_strdup(a, in);
    *comment = NULL;
    char *hash = strchr(str, '#');
    if (hash) {
        *hash = 0;
        char *c = hash + 1;
        while (*c == ' ')
            c++;
        *comment = c;
    }
    char *words[8];
    int n = 0;
    for (char *tok = strtok(str, " \t"); tok; tok = strtok(NULL, " \t")) {
        if (n == 8)
            goto bad;
        words[n++] = tok;
    }
    int first = 0;
    if (n && (strncmp(words[0], "CRON_TZ=", 8) == 0 || strncmp(words[0], "TZ=", 3) == 0)) {
        const char *zone = strchr(words[0], '=') + 1;
        if (b->tz_from_cron && strcmp(b->tz_from_cron, zone) != 0) {
            *why = "cron strings name different time zones";
            return SG_EINVAL;
        }
        b->tz_from_cron = zone;
        first = 1;
    }
    n -= first;
    char **w = words + first;
    cal c;
    memset(&c, 0, sizeof c);
    pb_cal pc = TEMPORAL__API__SCHEDULE__V1__CALENDAR_SPEC__INIT;
    if (n == 1 && w[0][0] == '@') {
        const char *d = w[0] + 1;
        if (strncmp(d, "every", 5) == 0)
            goto bad; /* "@every" alone: the interval is the next word */
        if (!strcmp(d, "yearly") || !strcmp(d, "annually"))
            pc.month = "1", pc.day_of_month = "1";
        else if (!strcmp(d, "monthly"))
            pc.day_of_month = "1";
        else if (!strcmp(d, "weekly"))
            pc.day_of_week = "0";
        else if (!strcmp(d, "daily") || !strcmp(d, "midnight"))
            ;
        else if (!strcmp(d, "hourly"))
            pc.hour = "*";
        else
            goto bad;
    } else if (n == 2 && strcmp(w[0], "@every") == 0) {
        char *slash = strchr(w[1], '/');
        int64_t every, phase = 0;
        if (!parse_duration(w[1], slash ? (size_t)(slash - w[1]) : strlen(w[1]), &every) ||
            every < 1000 || (slash && !parse_duration(slash + 1, strlen(slash + 1), &phase)))
            goto bad;
        add_ival(b->s, every, phase % every);
        return 1; /* an interval, no calendar */
    } else if (n == 5 || n == 6 || n == 7) {
        int i = 0;
        if (n == 7)
            pc.second = w[i++];
        pc.minute = w[i++];
        pc.hour = w[i++];
        pc.day_of_month = w[i++];
        pc.month = w[i++];
        pc.day_of_week = w[i++];
        if (n >= 6)
            pc.year = w[i++];
    } else {
        goto bad;
    }
    int rc = from_strings(&c, &pc, a, why);
    if (rc) {
        cal_free(&c);
        return rc;
    }
    add_cal(b->s, &c);
    return 0;
bad:
    *why = sg_arena_printf(a, "invalid cron string \"%s\"", in);
    return SG_EINVAL;
}

static int64_t ms_of_duration(const Google__Protobuf__Duration *d)
{
    return d ? d->seconds * 1000 + d->nanos / 1000000 : 0;
}

static int64_t ms_of_ts(const Google__Protobuf__Timestamp *t)
{
    return t ? t->seconds * 1000 + t->nanos / 1000000 : 0;
}

/* Appends calendar c to the canonical spec's structured calendars. */
static void push_canon(sg_spec *s, sg_spec_pb *canon, const cal *c, const char *comment)
{
    canon->structured_calendar = sg_arena_realloc_array(
        &s->arena, canon->structured_calendar, canon->n_structured_calendar,
        canon->n_structured_calendar + 1, sizeof *canon->structured_calendar);
    canon->structured_calendar[canon->n_structured_calendar++] = cal_to_pb(&s->arena, c, comment);
}

int sg_spec_compile(const sg_spec_pb *in, sg_arena *a, sg_spec **out, const char **why)
{
    *out = NULL;
    *why = NULL;
    sg_spec *s = sg_calloc(1, sizeof *s);
    sg_arena_init(&s->arena);
    building b = { .s = s, .a = a };
    int rc = 0;
    sg_spec_pb *canon = sg_arena_calloc(&s->arena, sizeof *canon);
    temporal__api__schedule__v1__schedule_spec__init(canon);
    for (size_t i = 0; !rc && i < in->n_structured_calendar; i++) {
        cal c;
        rc = from_structured(&c, in->structured_calendar[i], a, why);
        if (!rc) {
            add_cal(s, &c);
            push_canon(s, canon, &c, in->structured_calendar[i]->comment);
        } else {
            cal_free(&c);
        }
    }
    for (size_t i = 0; !rc && i < in->n_calendar; i++) {
        cal c;
        rc = from_strings(&c, in->calendar[i], a, why);
        if (!rc) {
            add_cal(s, &c);
            push_canon(s, canon, &c, in->calendar[i]->comment);
        } else {
            cal_free(&c);
        }
    }
    for (size_t i = 0; !rc && i < in->n_cron_string; i++) {
        size_t before = s->n_cals;
        char *comment;
        rc = from_cron(&b, in->cron_string[i], &comment, why);
        if (rc == 1) {
            rc = 0;
        } else if (!rc && s->n_cals > before) {
            push_canon(s, canon, &s->cals[s->n_cals - 1], comment);
        }
    }
    for (size_t i = 0; !rc && i < in->n_interval; i++) {
        int64_t every = ms_of_duration(in->interval[i]->interval) / 1000 * 1000;
        int64_t phase = ms_of_duration(in->interval[i]->phase) / 1000 * 1000;
        if (every <= 0) {
            *why = "interval is too small";
            rc = SG_EINVAL;
        } else if (phase < 0) {
            *why = "phase is negative";
            rc = SG_EINVAL;
        } else if (phase >= every) {
            *why = "phase cannot be greater than Interval";
            rc = SG_EINVAL;
        } else {
            add_ival(s, every, phase);
        }
    }
    for (size_t i = 0; i < s->n_ivals; i++) {
        pb_ival *iv = sg_arena_calloc(&s->arena, sizeof *iv);
        temporal__api__schedule__v1__interval_spec__init(iv);
        iv->interval = sg_arena_calloc(&s->arena, sizeof *iv->interval);
        google__protobuf__duration__init(iv->interval);
        iv->interval->seconds = s->ivals[i].every_ms / 1000;
        if (s->ivals[i].phase_ms) {
            iv->phase = sg_arena_calloc(&s->arena, sizeof *iv->phase);
            google__protobuf__duration__init(iv->phase);
            iv->phase->seconds = s->ivals[i].phase_ms / 1000;
        }
        canon->interval = sg_arena_realloc_array(&s->arena, canon->interval, canon->n_interval,
                                                 canon->n_interval + 1, sizeof *canon->interval);
        canon->interval[canon->n_interval++] = iv;
    }
    for (size_t i = 0; !rc && i < in->n_exclude_structured_calendar + in->n_exclude_calendar; i++) {
        cal c;
        bool structured = i < in->n_exclude_structured_calendar;
        rc = structured ? from_structured(&c, in->exclude_structured_calendar[i], a, why)
                        : from_strings(&c, in->exclude_calendar[i - in->n_exclude_structured_calendar], a, why);
        if (rc) {
            cal_free(&c);
            break;
        }
        s->excl = sg_realloc(s->excl, (s->n_excl + 1) * sizeof *s->excl);
        s->excl[s->n_excl++] = c;
        canon->exclude_structured_calendar = sg_arena_realloc_array(
            &s->arena, canon->exclude_structured_calendar, canon->n_exclude_structured_calendar,
            canon->n_exclude_structured_calendar + 1, sizeof *canon->exclude_structured_calendar);
        canon->exclude_structured_calendar[canon->n_exclude_structured_calendar++] = cal_to_pb(
            &s->arena, &c,
            structured ? in->exclude_structured_calendar[i]->comment
                       : in->exclude_calendar[i - in->n_exclude_structured_calendar]->comment);
    }
    const char *tz = in->timezone_name && *in->timezone_name ? in->timezone_name : NULL;
    if (!rc && tz && b.tz_from_cron && strcmp(tz, b.tz_from_cron) != 0) {
        *why = "a cron string's time zone differs from timezone_name";
        rc = SG_EINVAL;
    }
    if (!tz)
        tz = b.tz_from_cron ? b.tz_from_cron : "";
    char *zone_file = NULL;
    if (!rc && in->timezone_data.len) {
        /* A zone given as TZif bytes wins over the name, which only labels it. */
        rc = sg_tz_from_data(in->timezone_data.data, in->timezone_data.len, &zone_file);
        if (rc)
            *why = rc == SG_EINVAL ? "timezone_data is not a TZif file" : "cannot keep timezone_data";
    } else if (!rc && sg_tz_check(tz) < 0) {
        *why = sg_arena_printf(a, "unknown time zone \"%s\"", tz);
        rc = SG_EINVAL;
    }
    s->start_ms = ms_of_ts(in->start_time);
    s->end_ms = ms_of_ts(in->end_time);
    s->jitter_ms = ms_of_duration(in->jitter);
    if (!rc && s->jitter_ms < 0) {
        *why = "jitter must not be negative";
        rc = SG_EINVAL;
    }
    if (rc) {
        sg_free(zone_file);
        sg_spec_free(s);
        return rc;
    }
    s->tz = zone_file ? zone_file : sg_strdup(tz);
    canon->start_time = in->start_time;
    canon->end_time = in->end_time;
    canon->jitter = in->jitter;
    canon->timezone_name = sg_arena_strdup(&s->arena, tz);
    canon->timezone_data = in->timezone_data;
    /* The borrowed timestamps and durations of in are copied, so the canonical spec outlives
     * the request it came from. */
    size_t len = protobuf_c_message_get_packed_size(&canon->base);
    uint8_t *bytes = sg_arena_alloc(&s->arena, len ? len : 1);
    protobuf_c_message_pack(&canon->base, bytes);
    s->canon = (sg_spec_pb *)protobuf_c_message_unpack(
        &temporal__api__schedule__v1__schedule_spec__descriptor, &s->arena.pb, len, bytes);
    sg_assert(s->canon);
    *out = s;
    return 0;
}

void sg_spec_free(sg_spec *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->n_cals; i++)
        cal_free(&s->cals[i]);
    for (size_t i = 0; i < s->n_excl; i++)
        cal_free(&s->excl[i]);
    sg_free(s->cals);
    sg_free(s->excl);
    sg_free(s->ivals);
    sg_free(s->tz);
    sg_free(s->seed);
    sg_arena_deinit(&s->arena);
    sg_free(s);
}

const sg_spec_pb *sg_spec_canonical(const sg_spec *s)
{
    return s->canon;
}

/* ---- matching ---- */

static bool leap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int days_in_month(int y, int m)
{
    static const int d[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    return m == 2 && leap(y) ? 29 : d[m - 1];
}

/* 0 = Sunday (Sakamoto's method). */
static int weekday(int y, int m, int d)
{
    static const int t[] = { 0, 3, 2, 5, 0, 3, 5, 1, 4, 6, 2, 4 };
    if (m < 3)
        y -= 1;
    return (y + y / 4 - y / 100 + y / 400 + t[m - 1] + d) % 7;
}

static bool year_ok(const cal *c, int y)
{
    if (!c->n_years)
        return true;
    for (size_t i = 0; i < c->n_years; i++) {
        const yrange *r = &c->years[i];
        if (y >= r->start && y <= r->end && (y - r->start) % r->step == 0)
            return true;
    }
    return false;
}

static bool matches(const cal *c, const struct tm *t)
{
    int y = t->tm_year + 1900, m = t->tm_mon + 1;
    return year_ok(c, y) && (c->mon >> m & 1) && (c->dom >> t->tm_mday & 1) &&
           (c->dow >> weekday(y, m, t->tm_mday) & 1) && (c->hour >> t->tm_hour & 1) &&
           (c->min >> t->tm_min & 1) && (c->sec >> t->tm_sec & 1);
}

typedef struct clock_fields {
    int y, mo, d, h, mi, s;
} clock_fields;

/* The lowest value >= v whose bit is set, or -1. */
static int next_bit(uint64_t bits, int v, int max)
{
    for (; v <= max; v++)
        if (bits >> v & 1)
            return v;
    return -1;
}

/* The first wall-clock time >= f the calendar matches (f updated); false past YEAR_MAX. */
static bool next_clock(const cal *c, clock_fields *f)
{
    for (int guard = 0; guard < 100000; guard++) {
        if (f->s > 59) { f->s = 0; f->mi++; }
        if (f->mi > 59) { f->mi = 0; f->h++; }
        if (f->h > 23) { f->h = 0; f->d++; }
        if (f->mo > 12) { f->mo = 1; f->y++; }
        if (f->d > days_in_month(f->y, f->mo)) { f->d = 1; f->mo++; f->h = f->mi = f->s = 0; continue; }
        if (f->y > YEAR_MAX)
            return false;
        if (!year_ok(c, f->y)) {
            f->y++;
            f->mo = f->d = 1;
            f->h = f->mi = f->s = 0;
            continue;
        }
        if (!(c->mon >> f->mo & 1)) {
            int m = next_bit(c->mon, f->mo, 12);
            if (m < 0) { f->y++; f->mo = 1; } else { f->mo = m; }
            f->d = 1;
            f->h = f->mi = f->s = 0;
            continue;
        }
        if (!(c->dom >> f->d & 1) || !(c->dow >> weekday(f->y, f->mo, f->d) & 1)) {
            f->d++;
            f->h = f->mi = f->s = 0;
            continue;
        }
        if (!(c->hour >> f->h & 1)) {
            int h = next_bit(c->hour, f->h, 23);
            if (h < 0) { f->d++; f->h = 0; } else { f->h = h; }
            f->mi = f->s = 0;
            continue;
        }
        if (!(c->min >> f->mi & 1)) {
            int mi = next_bit(c->min, f->mi, 59);
            if (mi < 0) { f->h++; f->mi = 0; } else { f->mi = mi; }
            f->s = 0;
            continue;
        }
        if (!(c->sec >> f->s & 1)) {
            int s = next_bit(c->sec, f->s, 59);
            if (s < 0) { f->mi++; f->s = 0; } else { f->s = s; }
            continue;
        }
        return true;
    }
    return false;
}

static struct tm tm_of(const clock_fields *f)
{
    struct tm t;
    memset(&t, 0, sizeof t);
    t.tm_year = f->y - 1900;
    t.tm_mon = f->mo - 1;
    t.tm_mday = f->d;
    t.tm_hour = f->h;
    t.tm_min = f->mi;
    t.tm_sec = f->s;
    return t;
}

static int64_t clock_key(const clock_fields *f)
{
    return ((((int64_t)f->y * 13 + f->mo) * 32 + f->d) * 24 + f->h) * 3600 + f->mi * 60 + f->s;
}

/* The first instant (s) strictly after after_s whose wall clock the calendar matches. */
static int64_t cal_next(const cal *c, const char *tz, int64_t after_s)
{
    /* Start three hours of wall clock early: a repeated hour maps later instants to earlier
     * wall-clock times. */
    struct tm t;
    sg_tz_local(tz, after_s, &t);
    clock_fields f = { t.tm_year + 1900, t.tm_mon + 1, t.tm_mday, t.tm_hour - 3, t.tm_min, t.tm_sec };
    if (f.h < 0) {
        f.h += 24;
        if (--f.d < 1) {
            if (--f.mo < 1) {
                f.mo = 12;
                f.y--;
            }
            f.d = days_in_month(f.y, f.mo);
        }
    }
    int64_t best = -1, first_key = -1;
    for (int guard = 0; guard < 100000; guard++) {
        if (!next_clock(c, &f))
            break;
        int64_t key = clock_key(&f);
        if (first_key >= 0 && key > first_key + 3 * 3600)
            break; /* later wall clocks cannot map before the best instant */
        struct tm lt = tm_of(&f);
        int64_t inst[2];
        int n = sg_tz_instants(tz, &lt, inst);
        for (int i = 0; i < n; i++)
            if (inst[i] > after_s && (best < 0 || inst[i] < best)) {
                best = inst[i];
                if (first_key < 0)
                    first_key = key;
            }
        f.s++;
    }
    return best;
}

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

static bool excluded(const sg_spec *s, int64_t ms)
{
    if (!s->n_excl)
        return false;
    struct tm t;
    sg_tz_local(s->tz, floor_div(ms, 1000), &t);
    for (size_t i = 0; i < s->n_excl; i++)
        if (matches(&s->excl[i], &t))
            return true;
    return false;
}

/* The first time after after_ms any calendar or interval matches (no start, end or exclusion),
 * or -1. */
static int64_t raw_next(const sg_spec *s, int64_t after_ms)
{
    int64_t best = -1;
    for (size_t i = 0; i < s->n_ivals; i++) {
        const ival *v = &s->ivals[i];
        int64_t t = (floor_div(after_ms - v->phase_ms, v->every_ms) + 1) * v->every_ms + v->phase_ms;
        if (best < 0 || t < best)
            best = t;
    }
    int64_t after_s = floor_div(after_ms, 1000);
    for (size_t i = 0; i < s->n_cals; i++) {
        int64_t t = cal_next(&s->cals[i], s->tz, after_s);
        if (t >= 0 && (best < 0 || t * 1000 < best))
            best = t * 1000;
    }
    return best;
}

int64_t sg_spec_next(const sg_spec *s, int64_t after_ms)
{
    if (s->start_ms && after_ms < s->start_ms - 1)
        after_ms = s->start_ms - 1;
    for (int guard = 0; guard < 10000; guard++) {
        int64_t best = raw_next(s, after_ms);
        if (best < 0 || (s->end_ms && best > s->end_ms))
            return -1;
        if (!excluded(s, best))
            return best;
        after_ms = best;
    }
    return -1;
}

/* ---- jitter: FarmHash Fingerprint32 (the "mk" 32-bit hash), as Temporal's scheduler uses ---- */

#define FH_C1 0xcc9e2d51u
#define FH_C2 0x1b873593u

static uint32_t ror32(uint32_t v, int r)
{
    return (v >> r) | (v << (32 - r));
}

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint32_t fmix32(uint32_t h)
{
    h ^= h >> 16;
    h *= 0x85ebca6bu;
    h ^= h >> 13;
    h *= 0xc2b2ae35u;
    h ^= h >> 16;
    return h;
}

static uint32_t mur(uint32_t a, uint32_t h)
{
    a *= FH_C1;
    a = ror32(a, 17);
    a *= FH_C2;
    h ^= a;
    h = ror32(h, 19);
    return h * 5 + 0xe6546b64u;
}

static uint32_t fp32_0to4(const uint8_t *s, size_t n)
{
    uint32_t b = 0, c = 9;
    for (size_t i = 0; i < n; i++) {
        b = b * FH_C1 + (uint32_t)(int32_t)(int8_t)s[i];
        c ^= b;
    }
    return fmix32(mur(b, mur((uint32_t)n, c)));
}

static uint32_t fp32_5to12(const uint8_t *s, size_t n)
{
    uint32_t a = (uint32_t)n, b = (uint32_t)n * 5, c = 9, d = b;
    a += le32(s);
    b += le32(s + n - 4);
    c += le32(s + ((n >> 1) & 4));
    return fmix32(mur(c, mur(b, mur(a, d))));
}

static uint32_t fp32_13to24(const uint8_t *s, size_t n)
{
    uint32_t a = le32(s - 4 + (n >> 1)), b = le32(s + 4), c = le32(s + n - 8);
    uint32_t d = le32(s + (n >> 1)), e = le32(s), f = le32(s + n - 4);
    uint32_t h = d * FH_C1 + (uint32_t)n;
    a = ror32(a, 12) + f;
    h = mur(c, h) + a;
    a = ror32(a, 3) + c;
    h = mur(e, h) + a;
    a = ror32(a + f, 12) + d;
    h = mur(b, h) + a;
    return fmix32(h);
}

static uint32_t fingerprint32(const uint8_t *s, size_t n)
{
    if (n <= 4)
        return fp32_0to4(s, n);
    if (n <= 12)
        return fp32_5to12(s, n);
    if (n <= 24)
        return fp32_13to24(s, n);
    uint32_t h = (uint32_t)n, g = FH_C1 * (uint32_t)n, f = g;
    uint32_t a0 = ror32(le32(s + n - 4) * FH_C1, 17) * FH_C2;
    uint32_t a1 = ror32(le32(s + n - 8) * FH_C1, 17) * FH_C2;
    uint32_t a2 = ror32(le32(s + n - 16) * FH_C1, 17) * FH_C2;
    uint32_t a3 = ror32(le32(s + n - 12) * FH_C1, 17) * FH_C2;
    uint32_t a4 = ror32(le32(s + n - 20) * FH_C1, 17) * FH_C2;
    h ^= a0;
    h = ror32(h, 19) * 5 + 0xe6546b64u;
    h ^= a2;
    h = ror32(h, 19) * 5 + 0xe6546b64u;
    g ^= a1;
    g = ror32(g, 19) * 5 + 0xe6546b64u;
    g ^= a3;
    g = ror32(g, 19) * 5 + 0xe6546b64u;
    f += a4;
    f = ror32(f, 19) + 113;
    for (size_t iters = (n - 1) / 20; iters; iters--, s += 20) {
        uint32_t a = le32(s), b = le32(s + 4), c = le32(s + 8), d = le32(s + 12), e = le32(s + 16);
        h += a;
        g += b;
        f += c;
        h = mur(d, h) + e;
        g = mur(c, g) + a;
        f = mur(b + e * FH_C1, f) + d;
        f += g;
        g += f;
    }
    g = ror32(g, 11) * FH_C1;
    g = ror32(g, 17) * FH_C1;
    f = ror32(f, 11) * FH_C1;
    f = ror32(f, 17) * FH_C1;
    h = ror32(h + g, 19);
    h = h * 5 + 0xe6546b64u;
    h = ror32(h, 17) * FH_C1;
    h = ror32(h + f, 19);
    h = h * 5 + 0xe6546b64u;
    h = ror32(h, 17) * FH_C1;
    return h;
}

int64_t sg_spec_jitter_ms(int64_t nominal_ms, int64_t max_ms, const char *seed)
{
    if (max_ms <= 0)
        return 0;
    /* The hash input is the nominal time as Go's time.MarshalBinary writes a UTC time (version
     * 1, seconds since year 1, nanoseconds, offset -1), then the seed: Temporal hashes exactly
     * this, so a schedule's runs get the same jitter here as there. */
    size_t slen = seed ? strlen(seed) : 0;
    uint8_t *b = sg_malloc(15 + slen);
    uint64_t secs = (uint64_t)(floor_div(nominal_ms, 1000) + 62135596800LL);
    b[0] = 1;
    for (int i = 0; i < 8; i++)
        b[1 + i] = (uint8_t)(secs >> (56 - 8 * i));
    memset(b + 9, 0, 4);
    b[13] = b[14] = 0xff;
    if (slen)
        memcpy(b + 15, seed, slen);
    uint32_t fp = fingerprint32(b, 15 + slen);
    sg_free(b);
    uint64_t ms = max_ms > 0xffffffffLL ? 0xffffffffu : (uint64_t)max_ms;
    return (int64_t)(((uint64_t)fp * ms) >> 32);
}

void sg_spec_set_seed(sg_spec *s, const char *seed)
{
    sg_free(s->seed);
    s->seed = sg_strdup(seed ? seed : "");
}

int64_t sg_spec_jittered(const sg_spec *s, int64_t nominal_ms)
{
    if (s->jitter_ms <= 0)
        return nominal_ms;
    /* Never past the spec's next time (exclusions and the end not applied, as Temporal). */
    int64_t max = s->jitter_ms;
    int64_t next = raw_next(s, nominal_ms);
    if (next > nominal_ms && next - nominal_ms < max)
        max = next - nominal_ms;
    return nominal_ms + sg_spec_jitter_ms(nominal_ms, max, s->seed);
}
