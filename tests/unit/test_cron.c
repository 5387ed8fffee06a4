/* SPDX-License-Identifier: Apache-2.0 */
/* test_cron.c: legacy cron schedules — parsing, next activation, and the backoff between
 * runs of a cron chain. Times are UTC; T(...) builds them. */
#include "test.h"

#include "core/cron.h"

#include <stdio.h>
#include <time.h>

static int64_t T(int y, int mo, int d, int h, int mi, int s)
{
    struct tm tm = { .tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d,
                     .tm_hour = h, .tm_min = mi, .tm_sec = s };
    return (int64_t)timegm(&tm) * 1000;
}

static int64_t next_of(const char *spec, int64_t after)
{
    sg_cron c;
    const char *why;
    CHECK_EQ_INT(sg_cron_parse(spec, &c, &why), 0);
    return sg_cron_next_ms(&c, after);
}

SG_TEST(cron_fields_ranges_steps_and_names)
{
    int64_t t = T(2026, 12, 1, 10, 7, 30); /* a Tuesday */
    CHECK_EQ_INT(next_of("* * * * *", t), T(2026, 12, 1, 10, 8, 0));
    CHECK_EQ_INT(next_of("*/15 * * * *", t), T(2026, 12, 1, 10, 15, 0));
    CHECK_EQ_INT(next_of("5/20 * * * *", t), T(2026, 12, 1, 10, 25, 0)); /* 5, 25, 45 */
    CHECK_EQ_INT(next_of("0 9-17/4 * * *", t), T(2026, 12, 1, 13, 0, 0));
    CHECK_EQ_INT(next_of("0 0 1 jan *", t), T(2027, 1, 1, 0, 0, 0));
    CHECK_EQ_INT(next_of("30 8 * * MON-FRI", T(2026, 12, 4, 9, 0, 0)), T(2026, 12, 7, 8, 30, 0));
    CHECK_EQ_INT(next_of("0 12 ? * sun", t), T(2026, 12, 6, 12, 0, 0));
    CHECK_EQ_INT(next_of("1,2,3 0 * * *", t), T(2026, 12, 2, 0, 1, 0));
    /* Strictly after: an activation at the instant itself is not "next". */
    CHECK_EQ_INT(next_of("8 10 * * *", T(2026, 12, 1, 10, 8, 0)), T(2026, 12, 2, 10, 8, 0));
    /* 31st of the month skips short months; Feb 29 waits for a leap year. */
    CHECK_EQ_INT(next_of("0 0 31 * *", T(2027, 4, 1, 0, 0, 0)), T(2027, 5, 31, 0, 0, 0));
    CHECK_EQ_INT(next_of("0 0 29 2 *", t), T(2028, 2, 29, 0, 0, 0));
    /* Both days restricted: either matches (the 13th, or any Friday). */
    CHECK_EQ_INT(next_of("0 0 13 * 5", T(2026, 12, 1, 0, 0, 0)), T(2026, 12, 4, 0, 0, 0));
    /* A star day: both must match (every day that is a Friday). */
    CHECK_EQ_INT(next_of("0 0 * * 5", T(2026, 12, 1, 0, 0, 0)), T(2026, 12, 4, 0, 0, 0));
    CHECK_EQ_INT(next_of("@hourly", t), T(2026, 12, 1, 11, 0, 0));
    CHECK_EQ_INT(next_of("@daily", t), T(2026, 12, 2, 0, 0, 0));
    CHECK_EQ_INT(next_of("@weekly", t), T(2026, 12, 6, 0, 0, 0));
    CHECK_EQ_INT(next_of("@monthly", t), T(2027, 1, 1, 0, 0, 0));
    CHECK_EQ_INT(next_of("@yearly", t), T(2027, 1, 1, 0, 0, 0));
    CHECK_EQ_INT(next_of("CRON_TZ=UTC 0 0 * * *", t), T(2026, 12, 2, 0, 0, 0));
    CHECK_EQ_INT(next_of("@every 1h30m", t + 400), t + 5400000);
    CHECK_EQ_INT(next_of("@every 10s", t), t + 10000);
    /* Never within five years. */
    CHECK_EQ_INT(next_of("0 0 30 2 *", t), -1);
}

SG_TEST(cron_rejects_malformed_schedules)
{
    static const char *const bad[] = {
        "", "* * * *", "* * * * * *", "60 * * * *", "* 24 * * *", "* * 0 * *", "* * * 13 *",
        "* * * * 7", "5-1 * * * *", "*/0 * * * *", "a * * * *", "@often", "@every", "@every 5x",
        "1,,2 * * * *", "* * * foo *",
    };
    for (size_t i = 0; i < SG_ARRAY_LEN(bad); i++) {
        sg_cron c;
        const char *why = NULL;
        int rc = sg_cron_parse(bad[i], &c, &why);
        if (rc != SG_EINVAL)
            fprintf(stderr, "  accepted: \"%s\"\n", bad[i]);
        CHECK_EQ_INT(rc, SG_EINVAL);
        CHECK(why != NULL);
    }
    sg_cron c;
    const char *why;
    CHECK_EQ_INT(sg_cron_parse("CRON_TZ=Europe/Paris 0 9 * * *", &c, &why), SG_ENOTSUP);
}

SG_TEST(cron_backoff_between_runs)
{
    sg_cron c;
    const char *why;
    CHECK_EQ_INT(sg_cron_parse("*/5 * * * *", &c, &why), 0);
    /* First run: from the start to the next activation, rounded up to seconds. */
    int64_t start = T(2026, 12, 1, 10, 7, 30) + 250;
    CHECK_EQ_INT(sg_cron_backoff_ms(&c, start, start), 150000); /* 149.75 s */
    /* A run scheduled for 10:10 that ends at 10:11 waits for 10:15. */
    CHECK_EQ_INT(sg_cron_backoff_ms(&c, T(2026, 12, 1, 10, 10, 0), T(2026, 12, 1, 10, 11, 0)), 240000);
    /* One that overran three activations skips them. */
    CHECK_EQ_INT(sg_cron_backoff_ms(&c, T(2026, 12, 1, 10, 10, 0), T(2026, 12, 1, 10, 26, 1)), 239000);
    /* Ending exactly on an activation starts at once. */
    CHECK_EQ_INT(sg_cron_backoff_ms(&c, T(2026, 12, 1, 10, 10, 0), T(2026, 12, 1, 10, 20, 0)), 0);
    CHECK_EQ_INT(sg_cron_parse("@every 3s", &c, &why), 0);
    CHECK_EQ_INT(sg_cron_backoff_ms(&c, 10000, 10000), 3000);
    CHECK_EQ_INT(sg_cron_backoff_ms(&c, 10000, 17500), 2000); /* 13, 16, 19: 1.5 s, rounded up */
}
