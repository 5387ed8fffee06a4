/* SPDX-License-Identifier: Apache-2.0 */
/* fuzz_cron.c: libFuzzer target for legacy cron schedules (core/cron.c), which arrive from the
 * wire in StartWorkflowExecution.cron_schedule and the start-child and continue-as-new
 * commands.
 *
 * Input: the first 8 bytes pick an instant (any int64 ms, so far past and far future too), the
 * rest is the schedule string. A schedule that parses must keep its promises at that instant:
 * the next activation is later, at a whole minute (or a whole second for @every), and the
 * backoff between runs is whole seconds and never negative. */
#include "core/cron.h"

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
    /* Keep to the years the engine can meet (protobuf timestamps: 0001-9999). */
    t %= 253402300799000LL;
    if (t < 0)
        t = -t;
    char *spec = malloc(size - 8 + 1);
    memcpy(spec, data + 8, size - 8);
    spec[size - 8] = 0;
    sg_cron c;
    const char *why;
    int rc = sg_cron_parse(spec, &c, &why);
    if (rc < 0 && !why)
        abort(); /* every refusal says why */
    if (rc == 0) {
        int64_t next = sg_cron_next_ms(&c, t);
        if (next >= 0 && next <= t - 1000)
            abort();
        if (next >= 0 && !c.every_ms && next % 60000 != 0)
            abort();
        int64_t back = sg_cron_backoff_ms(&c, t, t + 12345);
        if (back < -1 || (back >= 0 && back % 1000 != 0))
            abort();
    }
    free(spec);
    return 0;
}
