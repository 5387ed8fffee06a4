/* SPDX-License-Identifier: Apache-2.0 */
/* uuid.h: random (version 4) UUIDs in their canonical 36-character text form. */
#ifndef SG_UUID_H
#define SG_UUID_H

#include "core/sg.h"

#define SG_UUID_STR_LEN 36

/* Writes a new random UUID and a terminating NUL into out (37 bytes). */
void sg_uuid_v4(char out[SG_UUID_STR_LEN + 1]);
/* True if s is a canonical UUID (8-4-4-4-12 hex digits, either case). */
bool sg_uuid_is_valid(const char *s);

#endif
