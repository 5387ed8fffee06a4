/* SPDX-License-Identifier: Apache-2.0 */
/* jsonpb.h: proto3 JSON into any protobuf-c message (jsonpb.c), the reverse of pbjson.h. The
 * HTTP API reads its request bodies, URL path variables and query parameters with it. */
#ifndef SG_CORE_JSONPB_H
#define SG_CORE_JSONPB_H

#include "core/arena.h"

#include <protobuf-c/protobuf-c.h>

/* How deeply messages may nest, counting the JSON inside a shorthand payload as more levels. */
#define SG_JSONPB_MAX_DEPTH 100

struct json_t; /* jansson's value; only sg_jsonpb_parse_json's callers need <jansson.h> */

/* Fills m (an initialized message: its __INIT macro or protobuf_c_message_init) from the proto3
 * JSON text[0..len), as sg_pbjson_write writes it (with or without payload shorthand) and as
 * Temporal's HTTP API reads it: field names in lowerCamelCase or as in the .proto; null leaves a
 * field untouched (except where a Payload is expected: binary/null); 64-bit integers as numbers
 * or strings; enums by full name, Temporal's short name ("AllowDuplicate") or number; bytes in
 * standard or URL-safe base64, padded or not; Timestamp as RFC 3339, Duration as "1.5s";
 * wrappers as their plain value; FieldMask as "a.b,cD"; Payload and Payloads in Temporal's
 * shorthand (any JSON value for a Payload, an array for Payloads) or in proto form. Any, Struct,
 * Value and ListValue are refused. Unknown fields are errors. A field the text gives replaces
 * what m held (a list or a map as a whole).
 *
 * Everything m points to afterwards (strings, arrays, sub-messages) is allocated in a; nothing
 * to free but the arena. The caller bounds len (the parse holds the whole tree at once).
 * Returns 0, or SG_EINVAL with *why (in a; why may be NULL) a readable message naming the JSON
 * path, e.g. `invalid value for field "workflowType.name": expected a string`, or the JSON
 * syntax error with its line and column. On error m may be partly filled. */
int sg_jsonpb_parse(sg_arena *a, const char *text, size_t len, ProtobufCMessage *m, const char **why);

/* The same from a value jansson already parsed. Borrows v. */
int sg_jsonpb_parse_json(sg_arena *a, const struct json_t *v, ProtobufCMessage *m, const char **why);

/* Sets one field of m from a string, as grpc-gateway sets URL path variables and query
 * parameters: path is dotted field names, each lowerCamelCase or as in the .proto
 * ("execution.workflow_id", "pageSize"); sub-messages along it are created as needed. value is
 * read as the field's type: strings as they are; integers and floats in decimal; bool as Go's
 * strconv.ParseBool reads it ("true", "false", "1", "0", "t", "F", "TRUE"...); enums by name
 * or number; bytes in base64; Timestamp, Duration, wrappers and FieldMask in their JSON string
 * form. A repeated field gets value appended (?a=1&a=2); a map field cannot be set this way.
 * Borrows path and value; allocates in a.
 * Returns 0; SG_ENOTFOUND when path names no field (a query parameter the API does not know,
 * such as "pretty", which the caller may ignore); SG_EINVAL when value does not fit the field or
 * the path runs through something other than a singular message. *why (in a; why may be NULL)
 * says which. On error m may be partly modified. */
int sg_jsonpb_set_path(sg_arena *a, ProtobufCMessage *m, const char *path, const char *value,
                       const char **why);

#endif
