/* SPDX-License-Identifier: Apache-2.0 */
/* token.h: task tokens (token.c). */
#ifndef SG_HISTORY_TOKEN_H
#define SG_HISTORY_TOKEN_H

#include "history/hist.h"

uint8_t *sg_token_encode(sg_arena *a, const Sandglass__V1__TaskToken *t, size_t *len);
Sandglass__V1__TaskToken *sg_token_decode(sg_arena *a, const uint8_t *p, size_t len);
#endif
