/* SPDX-License-Identifier: Apache-2.0 */
/* buf.h: a growable byte buffer (append at the end, consume from the front). */
#ifndef SG_BUF_H
#define SG_BUF_H

#include "core/sg.h"

typedef struct sg_buf {
    uint8_t *data;
    size_t len; /* bytes in use, starting at data + off */
    size_t off; /* bytes already consumed at the front */
    size_t cap;
} sg_buf;

void sg_buf_init(sg_buf *b);
/* Frees the storage; the buffer may be reused after sg_buf_init. */
void sg_buf_deinit(sg_buf *b);
/* Ensures room for n more bytes and returns where they go (call sg_buf_commit after writing). */
uint8_t *sg_buf_reserve(sg_buf *b, size_t n);
void sg_buf_commit(sg_buf *b, size_t n);
void sg_buf_append(sg_buf *b, const void *p, size_t n);
void sg_buf_append_str(sg_buf *b, const char *s);
void sg_buf_printf(sg_buf *b, const char *fmt, ...) SG_PRINTF(2, 3);
/* Drops n bytes from the front. */
void sg_buf_consume(sg_buf *b, size_t n);
/* NULL while nothing was ever appended (no arithmetic on a NULL pointer). */
static inline const uint8_t *sg_buf_head(const sg_buf *b) { return b->data ? b->data + b->off : NULL; }
void sg_buf_reset(sg_buf *b);
/* Transfers the bytes out as a malloc'd block of *len bytes (caller frees); the buffer is
 * left empty. */
uint8_t *sg_buf_take(sg_buf *b, size_t *len);

#endif
