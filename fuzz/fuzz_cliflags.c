/* SPDX-License-Identifier: Apache-2.0 */
/* fuzz_cliflags.c: libFuzzer target for the parsers the CLI runs on flag values before any call
 * (cli/input.c): Go durations (--interval, --jitter, --catchup-window, timeouts) and RFC 3339
 * times (--start-time, --end-time, read by visibility/query.c's parser).
 *
 * Input: the whole text, tried as both. A duration that parses is within protobuf's bounds
 * (0 to 10,000 years, nanos below a second); a time that parses and lies in years 1-9999 reads
 * back the same after printing it as RFC 3339 UTC. */
#include "cli/input.h"
#include "core/buf.h"
#include "core/pbjson.h"
#include "visibility/query.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    memcpy(s, data, size);
    s[size] = 0;
    int64_t secs;
    int32_t nanos;
    if (sg_cli_parse_duration(s, &secs, &nanos) == 0 &&
        (secs < 0 || secs > 315576000000LL || nanos < 0 || nanos >= 1000000000))
        abort();
    int64_t ms;
    if (sg_vq_parse_time(s, &ms) && ms >= -62135596800000LL && ms < 253402300800000LL) {
        sg_buf b;
        sg_buf_init(&b);
        int64_t sec = ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000);
        sg_pbjson_rfc3339(&b, sec, (int32_t)((ms - sec * 1000) * 1000000));
        sg_buf_append(&b, "", 1);
        int64_t again;
        if (!sg_vq_parse_time((const char *)sg_buf_head(&b), &again) || again != ms)
            abort();
        sg_buf_deinit(&b);
    }
    free(s);
    return 0;
}
