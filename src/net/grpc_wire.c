/* SPDX-License-Identifier: Apache-2.0 */
/* grpc_wire.c: the pure text and byte encodings of gRPC over HTTP/2.
 *
 * Kept free of sockets and nghttp2 so hostile inputs can be unit tested directly: timeouts
 * from clients, percent-encoded messages, base64 for -bin headers, and gzip with a size cap
 * (a small compressed request must not inflate past the receive limit). */
#include "net/grpc.h"

#include <string.h>
#include <zlib.h>

int sg_grpc_parse_timeout(const char *s, int64_t *ms_out)
{
    size_t n = strlen(s);
    if (n < 2 || n > 9)
        return SG_EINVAL;
    int64_t v = 0;
    for (size_t i = 0; i < n - 1; i++) {
        if (s[i] < '0' || s[i] > '9')
            return SG_EINVAL;
        v = v * 10 + (s[i] - '0');
    }
    int64_t ms;
    switch (s[n - 1]) {
    case 'H': ms = v * 3600000; break;
    case 'M': ms = v * 60000; break;
    case 'S': ms = v * 1000; break;
    case 'm': ms = v; break;
    case 'u': ms = (v + 999) / 1000; break;
    case 'n': ms = (v + 999999) / 1000000; break;
    default: return SG_EINVAL;
    }
    *ms_out = ms;
    return 0;
}

void sg_grpc_percent_encode(sg_buf *out, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p >= 0x20 && *p <= 0x7e && *p != '%') {
            sg_buf_append(out, p, 1);
        } else {
            char e[3] = { '%', hex[*p >> 4], hex[*p & 15] };
            sg_buf_append(out, e, 3);
        }
    }
}

int sg_gzip_inflate(sg_buf *out, const uint8_t *p, size_t n, size_t max)
{
    z_stream z;
    memset(&z, 0, sizeof z);
    if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK)
        return SG_EINTERNAL;
    z.next_in = (Bytef *)p;
    z.avail_in = (uInt)n;
    size_t start = out->len;
    int rc;
    do {
        if (out->len - start >= max) {
            inflateEnd(&z);
            return SG_ELIMIT;
        }
        size_t room = SG_MIN((size_t)65536, max - (out->len - start));
        z.next_out = sg_buf_reserve(out, room);
        z.avail_out = (uInt)room;
        rc = inflate(&z, Z_NO_FLUSH);
        sg_buf_commit(out, room - z.avail_out);
        if (rc == Z_BUF_ERROR && z.avail_in == 0)
            break; /* input ended before the gzip trailer */
    } while (rc == Z_OK || (rc == Z_BUF_ERROR && z.avail_out == 0));
    inflateEnd(&z);
    if (rc != Z_STREAM_END) {
        out->len = start;
        return SG_EINVAL;
    }
    return 0;
}

void sg_gzip_deflate(sg_buf *out, const uint8_t *p, size_t n)
{
    z_stream z;
    memset(&z, 0, sizeof z);
    sg_assert(deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 16 + MAX_WBITS, 8,
                           Z_DEFAULT_STRATEGY) == Z_OK);
    size_t bound = deflateBound(&z, (uLong)n);
    z.next_in = (Bytef *)p;
    z.avail_in = (uInt)n;
    z.next_out = sg_buf_reserve(out, bound);
    z.avail_out = (uInt)bound;
    sg_assert(deflate(&z, Z_FINISH) == Z_STREAM_END);
    sg_buf_commit(out, bound - z.avail_out);
    deflateEnd(&z);
}
