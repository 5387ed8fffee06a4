/* SPDX-License-Identifier: Apache-2.0 */
/* fuzz_spec.c: libFuzzer target for schedule specs (schedule/spec.c), which arrive from the
 * wire in CreateSchedule and UpdateSchedule: cron strings, calendar expressions, ranges,
 * intervals, time zone names.
 *
 * Input: the first 8 bytes pick an instant; the rest is a serialized ScheduleSpec, or, when it
 * does not decode, one cron string. A spec that compiles must keep its promises: each next
 * time is later than the one before, within start and end, and its jitter stays below the
 * following time; a refusal always says why. */
#include "schedule/spec.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 8)
        return 0;
    int64_t t;
    memcpy(&t, data, sizeof t);
    t %= 4102444800000LL; /* up to 2100, where calendars end */
    if (t < 0)
        t = -t;
    sg_arena a;
    sg_arena_init(&a);
    sg_spec_pb *pb = (sg_spec_pb *)protobuf_c_message_unpack(
        &temporal__api__schedule__v1__schedule_spec__descriptor, &a.pb, size - 8, data + 8);
    sg_spec_pb one = TEMPORAL__API__SCHEDULE__V1__SCHEDULE_SPEC__INIT;
    if (!pb) {
        char *str = sg_arena_alloc(&a, size - 8 + 1);
        memcpy(str, data + 8, size - 8);
        str[size - 8] = 0;
        char **list = sg_arena_alloc(&a, sizeof *list);
        list[0] = str;
        one.cron_string = list;
        one.n_cron_string = 1;
        pb = &one;
    }
    sg_spec *s = NULL;
    const char *why = NULL;
    int rc = sg_spec_compile(pb, &a, &s, &why);
    if (rc < 0 && !why)
        abort();
    if (rc == 0) {
        int64_t prev = t;
        for (int i = 0; i < 8; i++) {
            int64_t next = sg_spec_next(s, prev);
            if (next < 0)
                break;
            if (next <= prev)
                abort();
            int64_t after = sg_spec_next(s, next);
            int64_t j = sg_spec_jittered(s, next);
            if (j < next || (after > next && j >= after))
                abort();
            prev = next;
        }
        (void)sg_spec_canonical(s);
        sg_spec_free(s);
    }
    sg_arena_deinit(&a);
    return 0;
}
