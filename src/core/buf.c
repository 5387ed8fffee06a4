/* SPDX-License-Identifier: Apache-2.0 */
/* buf.c: growable byte buffer used for I/O and message assembly.
 *
 * Consuming from the front only moves an offset; the bytes are compacted lazily when more
 * room is needed, so a reader draining a buffer in small steps costs O(total bytes). */
#include "core/buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void sg_buf_init(sg_buf *b)
{
    memset(b, 0, sizeof *b);
}

void sg_buf_deinit(sg_buf *b)
{
    sg_free(b->data);
    memset(b, 0, sizeof *b);
}

uint8_t *sg_buf_reserve(sg_buf *b, size_t n)
{
    if (b->off + b->len + n > b->cap) {
        if (b->off && b->len + n <= b->cap) {
            memmove(b->data, b->data + b->off, b->len);
            b->off = 0;
        } else {
            size_t cap = b->cap ? b->cap : 256;
            while (cap < b->len + n)
                cap *= 2;
            uint8_t *d = sg_malloc(cap);
            if (b->len)
                memcpy(d, b->data + b->off, b->len);
            sg_free(b->data);
            b->data = d;
            b->cap = cap;
            b->off = 0;
        }
    }
    return b->data + b->off + b->len;
}

void sg_buf_commit(sg_buf *b, size_t n)
{
    sg_assert(b->off + b->len + n <= b->cap);
    b->len += n;
}

void sg_buf_append(sg_buf *b, const void *p, size_t n)
{
    if (!n)
        return;
    memcpy(sg_buf_reserve(b, n), p, n);
    b->len += n;
}

void sg_buf_append_str(sg_buf *b, const char *s)
{
    sg_buf_append(b, s, strlen(s));
}

void sg_buf_printf(sg_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    sg_assert(n >= 0);
    char *p = (char *)sg_buf_reserve(b, (size_t)n + 1);
    va_start(ap, fmt);
    vsnprintf(p, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

void sg_buf_consume(sg_buf *b, size_t n)
{
    sg_assert(n <= b->len);
    b->off += n;
    b->len -= n;
    if (!b->len)
        b->off = 0;
}

void sg_buf_reset(sg_buf *b)
{
    b->len = 0;
    b->off = 0;
}

uint8_t *sg_buf_take(sg_buf *b, size_t *len)
{
    uint8_t *d;
    if (b->off) {
        d = sg_memdup(b->data + b->off, b->len);
        sg_free(b->data);
    } else {
        d = b->data ? b->data : sg_malloc(1);
    }
    *len = b->len;
    memset(b, 0, sizeof *b);
    return d;
}
