/* SPDX-License-Identifier: Apache-2.0 */
/* base64.c: standard base64 (base64.h), for gRPC's -bin headers and proto3 JSON's bytes. */
#include "core/base64.h"

#include "core/sg.h"

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

void sg_base64_encode(sg_buf *out, const uint8_t *p, size_t n)
{
    size_t i = 0;
    for (; i + 3 <= n; i += 3) {
        uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
        char c[4] = { b64[v >> 18], b64[(v >> 12) & 63], b64[(v >> 6) & 63], b64[v & 63] };
        sg_buf_append(out, c, 4);
    }
    if (n - i == 1) {
        uint32_t v = (uint32_t)p[i] << 16;
        char c[2] = { b64[v >> 18], b64[(v >> 12) & 63] };
        sg_buf_append(out, c, 2);
    } else if (n - i == 2) {
        uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8;
        char c[3] = { b64[v >> 18], b64[(v >> 12) & 63], b64[(v >> 6) & 63] };
        sg_buf_append(out, c, 3);
    }
}

/* A digit of either alphabet: standard (+/) or URL-safe (-_), as gRPC and protojson read. */
static int b64_val(char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+' || c == '-')
        return 62;
    if (c == '/' || c == '_')
        return 63;
    return -1;
}

int sg_base64_decode(sg_buf *out, const char *s, size_t n)
{
    size_t pad = 0;
    while (n && s[n - 1] == '=' && pad < 2) {
        n--;
        pad++;
    }
    if ((pad && (n + pad) % 4) || n % 4 == 1)
        return SG_EINVAL;
    uint32_t acc = 0;
    int bits = 0;
    for (size_t i = 0; i < n; i++) {
        int v = b64_val(s[i]);
        if (v < 0)
            return SG_EINVAL;
        acc = (acc << 6) | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            uint8_t byte = (uint8_t)(acc >> bits);
            if (out)
                sg_buf_append(out, &byte, 1);
            acc &= (1u << bits) - 1;
        }
    }
    return 0;
}
