/* SPDX-License-Identifier: Apache-2.0 */
/* test_cli_input.c: the CLI's duration flags (cli/input.c) read what the temporal CLI reads:
 * Go durations with several units, fractions and "d" for days, and refuse everything else. */
#include "test.h"

#include "cli/input.h"

static void expect_duration(const char *s, int64_t secs, int32_t nanos)
{
    int64_t got_s = -1;
    int32_t got_n = -1;
    CHECK_EQ_INT(sg_cli_parse_duration(s, &got_s, &got_n), 0);
    CHECK_EQ_INT(got_s, secs);
    CHECK_EQ_INT(got_n, nanos);
}

SG_TEST(cli_durations_as_the_temporal_cli_reads_them)
{
    expect_duration("90s", 90, 0);
    expect_duration("1h30m", 5400, 0);
    expect_duration("1.5h", 5400, 0);
    expect_duration("250ms", 0, 250000000);
    expect_duration("1m30.5s", 90, 500000000);
    expect_duration("2d", 172800, 0);
    expect_duration("1d12h", 129600, 0);
    expect_duration("10us", 0, 10000);
    expect_duration("7\xc2\xb5s", 0, 7000);
    expect_duration("45", 45, 0); /* a bare number is seconds, as before */
    expect_duration("0", 0, 0);
    expect_duration(".5s", 0, 500000000);

    static const char *const bad[] = { "", "h", "1x", "1h-", "-1s", "1e3s", "1..5s", "1h 30m",
                                       "s1", "1h30", "inf", "0x10s", "4000000d" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int64_t s = 0;
        int32_t n = 0;
        if (sg_cli_parse_duration(bad[i], &s, &n) != -1)
            CHECK(!"accepted a malformed duration");
    }
}
