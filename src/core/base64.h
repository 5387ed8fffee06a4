/* SPDX-License-Identifier: Apache-2.0 */
/* base64.h: standard base64 (base64.c). */
#ifndef SG_CORE_BASE64_H
#define SG_CORE_BASE64_H

#include "core/buf.h"

#include <stddef.h>
#include <stdint.h>

/* Appends unpadded standard base64 of p (the form gRPC uses for -bin headers). */
void sg_base64_encode(sg_buf *out, const uint8_t *p, size_t n);
/* Decodes base64 in the standard or URL-safe alphabet, padded or not, appending to out (NULL:
 * only checks); SG_EINVAL on bad input. */
int sg_base64_decode(sg_buf *out, const char *s, size_t n);

#endif
