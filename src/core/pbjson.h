/* SPDX-License-Identifier: Apache-2.0 */
/* pbjson.h: any protobuf-c message as proto3 JSON, the way Temporal's CLI prints it (pbjson.c).
 * The CLI and the HTTP API write with it. */
#ifndef SG_CORE_PBJSON_H
#define SG_CORE_PBJSON_H

#include "core/buf.h"

#include <protobuf-c/protobuf-c.h>
#include <stdbool.h>

typedef struct sg_pbjson_opts {
    int indent;      /* spaces per level; 0 writes one compact line */
    bool shorthand;  /* payloads holding plain JSON (or null) print as that value */
} sg_pbjson_opts;

/* Appends m as proto3 JSON: lowerCamelCase field names, enums by their full value name, 64-bit
 * integers as strings, Timestamp as RFC 3339 (UTC, 0/3/6/9 fraction digits), Duration as
 * "1.500s", bytes as base64, maps as objects; fields at their default value are left out. With
 * shorthand, a Payload whose metadata is only encoding json/plain prints as its JSON data,
 * binary/null as null, and a Payloads whose every payload qualifies as a bare array. Borrows m. */
void sg_pbjson_write(sg_buf *out, const ProtobufCMessage *m, const sg_pbjson_opts *o);

/* Appends m as one "path: value" line per set leaf field, in field order, paths in the JSON
 * names ("workflowExecutionStartedEventAttributes.workflowType.name: \"hello\""), values as
 * sg_pbjson_write prints them (compact). Borrows m. */
void sg_pbjson_flatten(sg_buf *out, const ProtobufCMessage *m, const sg_pbjson_opts *o);

/* Appends a field's JSON name: its .proto name in lowerCamelCase ("workflow_id" → "workflowId"). */
void sg_pbjson_camel(sg_buf *out, const char *name);

/* Appends s as a JSON string literal (quotes, escapes). Borrows s. */
void sg_pbjson_string(sg_buf *out, const char *s, size_t n);

/* Appends an RFC 3339 UTC timestamp for seconds + nanos (fraction 0, 3, 6 or 9 digits). */
void sg_pbjson_rfc3339(sg_buf *out, int64_t seconds, int32_t nanos);

/* Whether s[0..n) is one JSON value (RFC 8259; nesting up to 100 deep), e.g. an --input. */
bool sg_pbjson_valid(const char *s, size_t n);

#endif
