/* SPDX-License-Identifier: Apache-2.0 */
/* validate.h: the wire-level checks every request passes before protobuf-c unpacks it.
 *
 * protobuf-c unpacks recursively with no depth limit, keeps strings as NUL-terminated C
 * strings, and accepts any Duration/Timestamp values; each of those lets one hostile request
 * crash the server, truncate an id, or poison a durable timer. sg_validate_request walks the
 * serialized message once, guided by its descriptor, and refuses:
 *   - message nesting deeper than SG_VALIDATE_MAX_DEPTH (protobuf's usual limit);
 *   - a string field that is not valid UTF-8 (proto3 requires it) or holds a NUL byte (our
 *     strings are C strings; rejecting beats silently truncating);
 *   - an id-like string (namespace, workflow_id, run_id, request_id, activity_id, timer_id,
 *     identity, signal_name, query_type, and the name of a TaskQueue, WorkflowType or
 *     ActivityType) longer than SG_VALIDATE_MAX_ID_LEN bytes (Temporal's limit.maxIDLength);
 *   - a google.protobuf.Duration or Timestamp outside the range protobuf defines.
 * Malformed framing is left to protobuf-c, which reports it when unpacking. */
#ifndef SG_VALIDATE_H
#define SG_VALIDATE_H

#include "core/arena.h"

#include <protobuf-c/protobuf-c.h>

#define SG_VALIDATE_MAX_DEPTH 100
#define SG_VALIDATE_MAX_ID_LEN SG_MAX_ID_LEN

/* Returns 0 when the bytes pass, or SG_EINVAL with *why (in a) saying what and where, e.g.
 * "workflow_task_timeout: Duration seconds 9223372036854775807 out of range". */
int sg_validate_request(const ProtobufCMessageDescriptor *desc, const uint8_t *bytes, size_t len,
                        sg_arena *a, char **why);

/* True if s[0..n) is well-formed UTF-8 (no overlongs, surrogates or code points past U+10FFFF). */
bool sg_validate_utf8(const uint8_t *s, size_t n);

#endif
