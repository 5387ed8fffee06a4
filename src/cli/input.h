/* SPDX-License-Identifier: Apache-2.0 */
/* input.h: flag values into protobuf messages (input.c), for the commands that start workflows
 * (workflow.c) and those that describe them for a schedule (schedule.c): JSON arguments as
 * payloads, KEY=JSON pairs as memo or search attribute entries, durations, timestamps and enum
 * names. Nothing here allocates: each result lives in the struct the caller passes. */
#ifndef SG_CLI_INPUT_H
#define SG_CLI_INPUT_H

#include "cli/cmd.h"

#include "temporal/api/common/v1/message.pb-c.h"

/* Payloads from JSON texts (--input, repeatable), json/plain as the SDKs' default converter
 * writes them; msg points into the struct. */
typedef struct sg_cli_payloads {
    Temporal__Api__Common__V1__Payloads msg;
    Temporal__Api__Common__V1__Payload *items[SG_CLI_MAX_LIST];
    Temporal__Api__Common__V1__Payload p[SG_CLI_MAX_LIST];
    Temporal__Api__Common__V1__Payload__MetadataEntry enc[SG_CLI_MAX_LIST];
    Temporal__Api__Common__V1__Payload__MetadataEntry *md[SG_CLI_MAX_LIST][1];
} sg_cli_payloads;

/* p as a json/plain payload of text (borrowed); enc and md are its metadata's storage. */
void sg_cli_payload_json(Temporal__Api__Common__V1__Payload *p,
                         Temporal__Api__Common__V1__Payload__MetadataEntry *enc,
                         Temporal__Api__Common__V1__Payload__MetadataEntry **md, const char *text);

/* Fills pl from the values of list flag name; returns NULL, or the value that is not JSON. */
const char *sg_cli_inputs(const sg_cli_args *a, const char *name, sg_cli_payloads *pl);

/* KEY=VALUE flags (--memo, --search-attribute), VALUE as JSON, as map entries of payloads. */
typedef struct sg_cli_kv {
    Temporal__Api__Common__V1__Payload p[SG_CLI_MAX_LIST];
    Temporal__Api__Common__V1__Payload__MetadataEntry enc[SG_CLI_MAX_LIST];
    Temporal__Api__Common__V1__Payload__MetadataEntry *md[SG_CLI_MAX_LIST][1];
    char key[SG_CLI_MAX_LIST][256];
    size_t n;
    Temporal__Api__Common__V1__Memo memo;
    Temporal__Api__Common__V1__Memo__FieldsEntry memo_e[SG_CLI_MAX_LIST], *memo_p[SG_CLI_MAX_LIST];
    Temporal__Api__Common__V1__SearchAttributes sa;
    Temporal__Api__Common__V1__SearchAttributes__IndexedFieldsEntry sa_e[SG_CLI_MAX_LIST],
        *sa_p[SG_CLI_MAX_LIST];
} sg_cli_kv;

/* Fills kv from list flag name; returns NULL, or the value that is not KEY=<JSON>. */
const char *sg_cli_key_values(const sg_cli_args *a, const char *name, sg_cli_kv *kv);
/* The pairs as a memo, or as search attributes (pointing into kv); NULL when there are none. */
Temporal__Api__Common__V1__Memo *sg_cli_kv_memo(sg_cli_kv *kv);
Temporal__Api__Common__V1__SearchAttributes *sg_cli_kv_search_attributes(sg_cli_kv *kv);

/* A duration as the temporal CLI reads one (Go's: "90s", "1h30m", "1.5h", "250ms", plus "d"
 * for days; a bare number is seconds). Returns 0 and the seconds and nanoseconds, or -1. */
int sg_cli_parse_duration(const char *s, int64_t *seconds, int32_t *nanos);

/* Flag name as a Duration in *d, *out = d (NULL when the flag is absent). Returns 0, or 1 after
 * printing why the value is not a duration. */
int sg_cli_duration(const sg_cli_args *a, const char *name, Google__Protobuf__Duration *d,
                    Google__Protobuf__Duration **out);

/* Flag name as an RFC 3339 Timestamp in *ts, *out = ts (NULL when absent); 0, or 1 (printed). */
int sg_cli_timestamp(const sg_cli_args *a, const char *name, Google__Protobuf__Timestamp *ts,
                     Google__Protobuf__Timestamp **out);

/* Flag name as the index of its value in names[1..] (NULL-terminated; names[0] unused), *out =
 * 0 when absent. Returns 0, or 1 after printing the accepted names. */
int sg_cli_enum(const sg_cli_args *a, const char *name, const char *const *names, int *out);

#endif
