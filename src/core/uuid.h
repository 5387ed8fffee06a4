/* SPDX-License-Identifier: Apache-2.0 */
/* uuid.h: random (version 4) UUIDs in their canonical 36-character text form. */
#ifndef SG_UUID_H
#define SG_UUID_H

#include "core/sg.h"

#define SG_UUID_STR_LEN 36

/* Writes a new random UUID and a terminating NUL into out (37 bytes). */
void sg_uuid_v4(char out[SG_UUID_STR_LEN + 1]);
/* True if s is a canonical UUID (8-4-4-4-12 hex digits, either case). */
/* A version-7 UUID: time-ordered (milliseconds, then a per-process counter), the rest random.
 * Run ids are made this way so that every b-tree keyed by run id grows at its right edge. */
void sg_uuid_v7(char out[SG_UUID_STR_LEN + 1]);
bool sg_uuid_is_valid(const char *s);

#endif
