/* SPDX-License-Identifier: Apache-2.0 */
/* test_grpc_wire.c: timeouts, percent-encoding, base64 and bounded gzip — the pure encodings
 * the transport applies to hostile client input. */
#include "test.h"

#include "net/grpc.h"

SG_TEST(wire_timeout_units)
{
    int64_t ms;
    CHECK_EQ_INT(sg_grpc_parse_timeout("70S", &ms), 0);
    CHECK_EQ_INT(ms, 70000);
    CHECK_EQ_INT(sg_grpc_parse_timeout("2H", &ms), 0);
    CHECK_EQ_INT(ms, 7200000);
    CHECK_EQ_INT(sg_grpc_parse_timeout("3M", &ms), 0);
    CHECK_EQ_INT(ms, 180000);
    CHECK_EQ_INT(sg_grpc_parse_timeout("250m", &ms), 0);
    CHECK_EQ_INT(ms, 250);
    /* Sub-millisecond timeouts round up so they never become "no deadline". */
    CHECK_EQ_INT(sg_grpc_parse_timeout("1u", &ms), 0);
    CHECK_EQ_INT(ms, 1);
    CHECK_EQ_INT(sg_grpc_parse_timeout("1500000n", &ms), 0);
    CHECK_EQ_INT(ms, 2);
    CHECK_EQ_INT(sg_grpc_parse_timeout("99999999S", &ms), 0);
    CHECK_EQ_INT(ms, 99999999000LL);
}

SG_TEST(wire_timeout_rejects_malformed)
{
    int64_t ms = 42;
    const char *bad[] = { "", "S", "10", "10s", "-1S", "1.5S", "123456789S", "10 S", "S10" };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        CHECK_EQ_INT(sg_grpc_parse_timeout(bad[i], &ms), SG_EINVAL);
    CHECK_EQ_INT(ms, 42);
}

SG_TEST(wire_percent_encoding)
{
    sg_buf b;
    sg_buf_init(&b);
    sg_grpc_percent_encode(&b, "Namespace \"x\" is 100% gone\n\xc3\xa9");
    sg_buf_append(&b, "", 1);
    CHECK_EQ_STR((const char *)sg_buf_head(&b), "Namespace \"x\" is 100%25 gone%0A%C3%A9");
    sg_buf_deinit(&b);
}

SG_TEST(wire_base64_roundtrip_padded_and_not)
{
    const uint8_t src[] = { 0x08, 0x05, 0x12, 0xff, 0x00, 0x7f, 0x80 };
    for (size_t n = 0; n <= sizeof src; n++) {
        sg_buf enc, dec;
        sg_buf_init(&enc);
        sg_buf_init(&dec);
        sg_base64_encode(&enc, src, n);
        CHECK(enc.len == 0 || memchr(sg_buf_head(&enc), '=', enc.len) == NULL); /* unpadded */
        CHECK_EQ_INT(sg_base64_decode(&dec, (const char *)sg_buf_head(&enc), enc.len), 0);
        CHECK_EQ_INT(dec.len, n);
        CHECK(n == 0 || memcmp(sg_buf_head(&dec), src, n) == 0);
        sg_buf_deinit(&enc);
        sg_buf_deinit(&dec);
    }
    sg_buf dec;
    sg_buf_init(&dec);
    CHECK_EQ_INT(sg_base64_decode(&dec, "aGk=", 4), 0);
    CHECK_EQ_INT(dec.len, 2);
    CHECK(memcmp(sg_buf_head(&dec), "hi", 2) == 0);
    sg_buf_reset(&dec);
    CHECK_EQ_INT(sg_base64_decode(&dec, "a*Gk", 4), SG_EINVAL);
    CHECK_EQ_INT(sg_base64_decode(&dec, "abcde", 5), SG_EINVAL);
    sg_buf_deinit(&dec);
}

SG_TEST(wire_gzip_roundtrip)
{
    uint8_t src[100000];
    for (size_t i = 0; i < sizeof src; i++)
        src[i] = (uint8_t)(i * 7 % 251);
    sg_buf z, out;
    sg_buf_init(&z);
    sg_buf_init(&out);
    sg_gzip_deflate(&z, src, sizeof src);
    CHECK_EQ_INT(sg_gzip_inflate(&out, sg_buf_head(&z), z.len, sizeof src), 0);
    CHECK_EQ_INT(out.len, sizeof src);
    CHECK(memcmp(sg_buf_head(&out), src, sizeof src) == 0);
    sg_buf_deinit(&z);
    sg_buf_deinit(&out);
}

SG_TEST(wire_gzip_bomb_hits_limit)
{
    /* 64 MiB of zeros compresses to ~64 KiB; inflating must stop at the limit, not allocate it. */
    size_t big = 64u << 20;
    uint8_t *zeros = calloc(1, big);
    sg_buf z, out;
    sg_buf_init(&z);
    sg_buf_init(&out);
    sg_gzip_deflate(&z, zeros, big);
    free(zeros);
    CHECK(z.len < 1u << 20);
    CHECK_EQ_INT(sg_gzip_inflate(&out, sg_buf_head(&z), z.len, 4u << 20), SG_ELIMIT);
    CHECK(out.cap <= (4u << 20) + 65536);
    sg_buf_deinit(&z);
    sg_buf_deinit(&out);
}

SG_TEST(wire_gzip_rejects_corrupt_and_truncated)
{
    const char *msg = "hello hello hello hello";
    sg_buf z, out;
    sg_buf_init(&z);
    sg_buf_init(&out);
    sg_gzip_deflate(&z, (const uint8_t *)msg, strlen(msg));
    CHECK_EQ_INT(sg_gzip_inflate(&out, sg_buf_head(&z), z.len - 6, 1024), SG_EINVAL);
    CHECK_EQ_INT(out.len, 0);
    uint8_t garbage[32];
    memset(garbage, 0xab, sizeof garbage);
    CHECK_EQ_INT(sg_gzip_inflate(&out, garbage, sizeof garbage, 1024), SG_EINVAL);
    CHECK_EQ_INT(sg_gzip_inflate(&out, garbage, 0, 1024), SG_EINVAL);
    sg_buf_deinit(&z);
    sg_buf_deinit(&out);
}
