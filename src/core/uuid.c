/* SPDX-License-Identifier: Apache-2.0 */
/* uuid.c: version-4 UUIDs from the kernel's random source. */
#include "core/uuid.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

static void random_bytes(uint8_t b[16])
{
    size_t got = 0;
    while (got < 16) {
        ssize_t n = getrandom(b + got, 16 - got, 0);
        sg_assert(n > 0);
        got += (size_t)n;
    }
}

static void format(const uint8_t b[16], char out[SG_UUID_STR_LEN + 1])
{
    static const char hex[] = "0123456789abcdef";
    char *o = out;
    for (int i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            *o++ = '-';
        *o++ = hex[b[i] >> 4];
        *o++ = hex[b[i] & 15];
    }
    *o = 0;
}

void sg_uuid_v4(char out[SG_UUID_STR_LEN + 1])
{
    uint8_t b[16];
    random_bytes(b);
    b[6] = (uint8_t)((b[6] & 0x0f) | 0x40);
    b[8] = (uint8_t)((b[8] & 0x3f) | 0x80);
    format(b, out);
}

void sg_uuid_v7(char out[SG_UUID_STR_LEN + 1])
{
    /* Milliseconds since the epoch in the first 48 bits, then a counter that keeps ids made
     * in the same millisecond in order, then random bits. */
    static uint64_t last_ms;
    static uint16_t seq;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    uint64_t ms = (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
    if (ms <= last_ms) {
        ms = last_ms;
        if (++seq > 0x0fff) { /* 4096 in one millisecond: borrow the next one */
            ms = ++last_ms;
            seq = 0;
        }
    } else {
        last_ms = ms;
        seq = 0;
    }
    uint8_t b[16];
    random_bytes(b);
    for (int i = 0; i < 6; i++)
        b[i] = (uint8_t)(ms >> (40 - 8 * i));
    b[6] = (uint8_t)(0x70 | (seq >> 8));
    b[7] = (uint8_t)(seq & 0xff);
    b[8] = (uint8_t)((b[8] & 0x3f) | 0x80);
    format(b, out);
}

bool sg_uuid_is_valid(const char *s)
{
    if (strlen(s) != SG_UUID_STR_LEN)
        return false;
    for (int i = 0; i < SG_UUID_STR_LEN; i++) {
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (s[i] != '-')
                return false;
        } else if (!isxdigit((unsigned char)s[i])) {
            return false;
        }
    }
    return true;
}
