/* SPDX-License-Identifier: Apache-2.0 */
/* test_spec.c: schedule specs — intervals with phase, calendars in every form, cron strings,
 * exclusions, start and end, time zones across daylight-saving changes, jitter. */
#include "test.h"

#include "schedule/spec.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

typedef Temporal__Api__Schedule__V1__IntervalSpec pb_ival;
typedef Temporal__Api__Schedule__V1__StructuredCalendarSpec pb_scal;
typedef Temporal__Api__Schedule__V1__Range pb_range;

/* "2024-03-10T07:30:00Z" -> ms. */
static int64_t at(const char *iso)
{
    struct tm t;
    memset(&t, 0, sizeof t);
    CHECK(strptime(iso, "%Y-%m-%dT%H:%M:%SZ", &t) != NULL);
    return (int64_t)timegm(&t) * 1000;
}

static const char *iso(int64_t ms, char buf[32])
{
    time_t s = (time_t)(ms / 1000);
    struct tm t;
    gmtime_r(&s, &t);
    strftime(buf, 32, "%Y-%m-%dT%H:%M:%SZ", &t);
    return buf;
}

static sg_spec *compile_ok(const sg_spec_pb *pb, sg_arena *a)
{
    sg_spec *s = NULL;
    const char *why = NULL;
    int rc = sg_spec_compile(pb, a, &s, &why);
    if (rc)
        fprintf(stderr, "  compile: %s\n", why ? why : "?");
    CHECK_EQ_INT(rc, 0);
    return s;
}

/* The next n times after from, compared with want (ISO strings). */
static void expect_times(const sg_spec *s, const char *from, const char *const *want, size_t n)
{
    int64_t t = at(from);
    char buf[32];
    for (size_t i = 0; i < n; i++) {
        t = sg_spec_next(s, t);
        CHECK_EQ_STR(t < 0 ? "none" : iso(t, buf), want[i]);
    }
}

static sg_spec *cron(sg_arena *a, const char *str, const char *tz)
{
    sg_spec_pb pb = TEMPORAL__API__SCHEDULE__V1__SCHEDULE_SPEC__INIT;
    char *one[] = { (char *)str };
    pb.cron_string = one;
    pb.n_cron_string = 1;
    pb.timezone_name = (char *)(tz ? tz : "");
    return compile_ok(&pb, a);
}

SG_TEST(spec_interval_with_phase)
{
    sg_arena a;
    sg_arena_init(&a);
    Google__Protobuf__Duration hour = GOOGLE__PROTOBUF__DURATION__INIT, phase = GOOGLE__PROTOBUF__DURATION__INIT;
    hour.seconds = 3600;
    phase.seconds = 19 * 60;
    pb_ival iv = TEMPORAL__API__SCHEDULE__V1__INTERVAL_SPEC__INIT;
    iv.interval = &hour;
    iv.phase = &phase;
    pb_ival *ivs[] = { &iv };
    sg_spec_pb pb = TEMPORAL__API__SCHEDULE__V1__SCHEDULE_SPEC__INIT;
    pb.interval = ivs;
    pb.n_interval = 1;
    sg_spec *s = compile_ok(&pb, &a);
    static const char *const want[] = { "2022-02-17T00:19:00Z", "2022-02-17T01:19:00Z" };
    expect_times(s, "2022-02-17T00:00:00Z", want, 2);
    sg_spec_free(s);
    /* 28 days, phase 3d 5h 23m: the proto's own example. */
    hour.seconds = 28 * 86400;
    phase.seconds = 3 * 86400 + 5 * 3600 + 23 * 60;
    s = compile_ok(&pb, &a);
    static const char *const want28[] = { "2022-02-20T05:23:00Z" };
    expect_times(s, "2022-02-17T00:00:00Z", want28, 1);
    sg_spec_free(s);
    sg_arena_deinit(&a);
}

SG_TEST(spec_cron_strings_and_shorthands)
{
    sg_arena a;
    sg_arena_init(&a);
    sg_spec *s = cron(&a, "30 9 * * MON-FRI", NULL);
    /* 2024-03-08 is a Friday. */
    static const char *const weekdays[] = { "2024-03-08T09:30:00Z", "2024-03-11T09:30:00Z" };
    expect_times(s, "2024-03-08T09:00:00Z", weekdays, 2);
    sg_spec_free(s);
    s = cron(&a, "*/15 * * * *", NULL);
    static const char *const quarter[] = { "2024-01-01T00:15:00Z", "2024-01-01T00:30:00Z" };
    expect_times(s, "2024-01-01T00:00:00Z", quarter, 2);
    sg_spec_free(s);
    s = cron(&a, "10 0 12 1 1 * 2025", NULL); /* seven fields: second first, year last */
    static const char *const once[] = { "2025-01-01T12:00:10Z", "none" };
    expect_times(s, "2024-06-01T00:00:00Z", once, 2);
    sg_spec_free(s);
    s = cron(&a, "@monthly # first of the month", NULL);
    static const char *const monthly[] = { "2024-02-01T00:00:00Z", "2024-03-01T00:00:00Z" };
    expect_times(s, "2024-01-15T00:00:00Z", monthly, 2);
    CHECK_EQ_STR(sg_spec_canonical(s)->structured_calendar[0]->comment, "first of the month");
    sg_spec_free(s);
    s = cron(&a, "@every 10m/2m", NULL);
    static const char *const every[] = { "2024-01-01T00:02:00Z", "2024-01-01T00:12:00Z" };
    expect_times(s, "2024-01-01T00:00:00Z", every, 2);
    CHECK_EQ_INT(sg_spec_canonical(s)->n_interval, 1);
    CHECK_EQ_INT(sg_spec_canonical(s)->interval[0]->interval->seconds, 600);
    sg_spec_free(s);
    /* Day of month AND day of week: the 13th only when it is a Friday. */
    s = cron(&a, "0 0 13 * FRI", NULL);
    static const char *const friday13[] = { "2024-09-13T00:00:00Z", "2024-12-13T00:00:00Z" };
    expect_times(s, "2024-01-01T00:00:00Z", friday13, 2);
    sg_spec_free(s);
    sg_arena_deinit(&a);
}

SG_TEST(spec_rejects_bad_input_with_a_reason)
{
    sg_arena a;
    sg_arena_init(&a);
    static const char *const bad[] = { "61 * * * *", "* * *", "0 0 32 * *", "@sometimes",
                                       "@every 0s", "0 0 * JANUARYX *", "CRON_TZ=Nowhere/City 0 0 * * *" };
    for (size_t i = 0; i < SG_ARRAY_LEN(bad); i++) {
        sg_spec_pb pb = TEMPORAL__API__SCHEDULE__V1__SCHEDULE_SPEC__INIT;
        char *one[] = { (char *)bad[i] };
        pb.cron_string = one;
        pb.n_cron_string = 1;
        sg_spec *s = NULL;
        const char *why = NULL;
        CHECK_EQ_INT(sg_spec_compile(&pb, &a, &s, &why), SG_EINVAL);
        CHECK(s == NULL);
        CHECK(why && *why);
    }
    sg_arena_deinit(&a);
}

static pb_range *rng(sg_arena *a, int start, int end, int step)
{
    pb_range *r = sg_arena_calloc(a, sizeof *r);
    temporal__api__schedule__v1__range__init(r);
    r->start = start;
    r->end = end;
    r->step = step;
    return r;
}

SG_TEST(spec_structured_calendar_exclusions_start_and_end)
{
    sg_arena a;
    sg_arena_init(&a);
    pb_range *zero[] = { rng(&a, 0, 0, 0) }, *hours[] = { rng(&a, 8, 18, 5) };
    pb_range *all_dom[] = { rng(&a, 1, 31, 1) }, *all_mon[] = { rng(&a, 1, 12, 1) }, *all_dow[] = { rng(&a, 0, 6, 1) };
    pb_scal c = TEMPORAL__API__SCHEDULE__V1__STRUCTURED_CALENDAR_SPEC__INIT;
    c.second = zero, c.n_second = 1;
    c.minute = zero, c.n_minute = 1;
    c.hour = hours, c.n_hour = 1; /* 8, 13, 18 */
    c.day_of_month = all_dom, c.n_day_of_month = 1;
    c.month = all_mon, c.n_month = 1;
    c.day_of_week = all_dow, c.n_day_of_week = 1;
    pb_scal ex = c;
    pb_range *thirteen[] = { rng(&a, 13, 0, 0) }; /* end < start: just 13 */
    ex.hour = thirteen;
    pb_scal *cals[] = { &c }, *excl[] = { &ex };
    sg_spec_pb pb = TEMPORAL__API__SCHEDULE__V1__SCHEDULE_SPEC__INIT;
    pb.structured_calendar = cals;
    pb.n_structured_calendar = 1;
    pb.exclude_structured_calendar = excl;
    pb.n_exclude_structured_calendar = 1;
    Google__Protobuf__Timestamp start = GOOGLE__PROTOBUF__TIMESTAMP__INIT, end = GOOGLE__PROTOBUF__TIMESTAMP__INIT;
    start.seconds = at("2024-05-02T00:00:00Z") / 1000;
    end.seconds = at("2024-05-03T08:00:00Z") / 1000; /* inclusive */
    pb.start_time = &start;
    pb.end_time = &end;
    sg_spec *s = compile_ok(&pb, &a);
    static const char *const want[] = { "2024-05-02T08:00:00Z", "2024-05-02T18:00:00Z",
                                         "2024-05-03T08:00:00Z", "none" };
    expect_times(s, "2024-05-01T00:00:00Z", want, 4);
    /* An empty field matches nothing (the SDKs fill in the defaults). */
    c.n_day_of_week = 0;
    pb.n_exclude_structured_calendar = 0;
    sg_spec *none = compile_ok(&pb, &a);
    CHECK(sg_spec_next(none, at("2024-05-01T00:00:00Z")) == -1);
    sg_spec_free(none);
    sg_spec_free(s);
    sg_arena_deinit(&a);
}

/* Literal wall-clock matching in a zone with daylight saving: New York sprang forward on
 * 2024-03-10 (02:00 EST -> 03:00 EDT) and fell back on 2024-11-03 (02:00 EDT -> 01:00 EST). */
SG_TEST(spec_time_zone_across_daylight_saving_changes)
{
    sg_arena a;
    sg_arena_init(&a);
    sg_spec *s = cron(&a, "30 2 * * *", "America/New_York");
    /* No 02:30 on the 10th: the 9th (EST, 07:30Z), then the 11th (EDT, 06:30Z). */
    static const char *const spring[] = { "2024-03-09T07:30:00Z", "2024-03-11T06:30:00Z" };
    expect_times(s, "2024-03-09T00:00:00Z", spring, 2);
    sg_spec_free(s);
    s = cron(&a, "CRON_TZ=America/New_York 30 1 * * *", NULL);
    CHECK_EQ_STR(sg_spec_canonical(s)->timezone_name, "America/New_York");
    /* 01:30 twice on the 3rd: EDT (05:30Z), then EST (06:30Z). */
    static const char *const fall[] = { "2024-11-02T05:30:00Z", "2024-11-03T05:30:00Z",
                                        "2024-11-03T06:30:00Z", "2024-11-04T06:30:00Z" };
    expect_times(s, "2024-11-02T00:00:00Z", fall, 4);
    sg_spec_free(s);
    sg_arena_deinit(&a);
}

SG_TEST(spec_jitter_is_stable_and_bounded)
{
    sg_arena a;
    sg_arena_init(&a);
    sg_spec_pb pb = TEMPORAL__API__SCHEDULE__V1__SCHEDULE_SPEC__INIT;
    char *one[] = { "* * * * *" };
    pb.cron_string = one;
    pb.n_cron_string = 1;
    Google__Protobuf__Duration j = GOOGLE__PROTOBUF__DURATION__INIT;
    j.seconds = 30;
    pb.jitter = &j;
    sg_spec *s = compile_ok(&pb, &a);
    sg_spec_set_seed(s, "ns-id-sched");
    int64_t t = at("2024-01-01T00:00:00Z");
    bool any = false;
    for (int i = 0; i < 50; i++) {
        int64_t next = sg_spec_next(s, t);
        int64_t x = sg_spec_jittered(s, next);
        CHECK(x >= next && x < next + 30000);
        CHECK(x == sg_spec_jittered(s, next));
        any |= x != next;
        t = next;
    }
    CHECK(any);
    /* Never past the next time: a 5 minute jitter on a minutely spec stays under a minute. */
    j.seconds = 300;
    sg_spec *wide = compile_ok(&pb, &a);
    for (int64_t m = 0; m < 20; m++) {
        int64_t n = at("2024-01-01T00:00:00Z") + m * 60000;
        CHECK(sg_spec_jittered(wide, n) < n + 60000);
    }
    sg_spec_free(wide);
    sg_spec_free(s);
    sg_arena_deinit(&a);
}

/* The same jitter as Temporal's scheduler for the same time and seed (its spec tests' values). */
SG_TEST(spec_jitter_matches_temporal)
{
    static const struct { const char *when, *seed; int64_t max_ms, want_ms; } cases[] = {
        { "2022-03-23T09:00:00Z", "", 1000, 235 },
        { "2022-03-23T12:00:00Z", "", 1000, 162 },
        { "2022-03-23T12:00:00Z", "", 90 * 60000, 14 * 60000 + 36524 },
        { "2022-03-24T00:00:00Z", "", 3600000, 35 * 60000 + 24276 },
        { "2022-03-24T00:00:00Z", "seed-1", 3600000, 6 * 60000 + 12519 },
        { "2022-03-24T00:00:00Z", "seed-2", 3600000, 39 * 60000 + 16922 },
        /* Seeds as long as a real one ("<namespace id>-<schedule id>"): the hash's long path.
         * Values computed with the Go hash Temporal uses. */
        { "2026-12-02T03:00:00Z", "0b9a2d5e-8f0c-4d53-9d6f-6a1f3c0e7a11-nightly-cleanup", 3600000, 50 * 60000 + 46848 },
        { "2026-12-02T03:00:05Z", "0b9a2d5e-8f0c-4d53-9d6f-6a1f3c0e7a11-s", 10000, 8149 },
    };
    for (size_t i = 0; i < SG_ARRAY_LEN(cases); i++)
        CHECK_EQ_INT(sg_spec_jitter_ms(at(cases[i].when), cases[i].max_ms, cases[i].seed), cases[i].want_ms);
}

/* timezone_data: the zone's TZif bytes in the request, used instead of the name. */
SG_TEST(spec_time_zone_from_tzif_bytes)
{
    sg_arena a;
    sg_arena_init(&a);
    FILE *f = fopen("/usr/share/zoneinfo/America/New_York", "rb");
    CHECK(f != NULL);
    static uint8_t buf[65536];
    size_t n = f ? fread(buf, 1, sizeof buf, f) : 0;
    if (f)
        fclose(f);
    CHECK(n > 44);
    sg_spec_pb pb = TEMPORAL__API__SCHEDULE__V1__SCHEDULE_SPEC__INIT;
    char *one[] = { "30 2 * * *" };
    pb.cron_string = one;
    pb.n_cron_string = 1;
    pb.timezone_name = "Eastern, as we ship it";
    pb.timezone_data = (ProtobufCBinaryData){ n, buf };
    sg_spec *s = compile_ok(&pb, &a);
    static const char *const spring[] = { "2024-03-09T07:30:00Z", "2024-03-11T06:30:00Z" };
    expect_times(s, "2024-03-09T00:00:00Z", spring, 2);
    CHECK_EQ_STR(sg_spec_canonical(s)->timezone_name, "Eastern, as we ship it");
    CHECK_EQ_INT(sg_spec_canonical(s)->timezone_data.len, n);
    sg_spec_free(s);
    /* Not TZif: refused with a reason. */
    pb.timezone_data = (ProtobufCBinaryData){ 5, (uint8_t *)"hello" };
    sg_spec *bad = NULL;
    const char *why = NULL;
    CHECK_EQ_INT(sg_spec_compile(&pb, &a, &bad, &why), SG_EINVAL);
    CHECK(why && strstr(why, "TZif"));
    sg_arena_deinit(&a);
}
