/* SPDX-License-Identifier: Apache-2.0 */
/* test_jsonpb.c: proto3 JSON into messages (core/jsonpb.c) — every scalar type, enums in both
 * forms, 64-bit integers as strings, base64, repeated fields, maps, oneofs, Timestamp and
 * Duration, wrappers, field masks, Temporal's payload shorthand, errors that name the JSON path,
 * the nesting limit, URL path and query setters, and write (pbjson.c) -> parse round trips.
 *
 * No generated message has every scalar type (Temporal's protos use no sint, fixed or proto3
 * optional fields), so the first tests use a message described by hand below, as protoc-c
 * would describe it. */
#include "test.h"

#include "core/jsonpb.h"
#include "core/pbjson.h"

#include "google/protobuf/field_mask.pb-c.h"
#include "google/protobuf/wrappers.pb-c.h"
#include "temporal/api/protocol/v1/message.pb-c.h"
#include "temporal/api/workflow/v1/message.pb-c.h"
#include "temporal/api/workflowservice/v1/request_response.pb-c.h"

#include <jansson.h>
#include <math.h>
#include <stddef.h>

/* ---- a hand-described message with every kind of field ---- */

typedef struct counts_entry {
    ProtobufCMessage base;
    int64_t key;
    int32_t value;
} counts_entry;

typedef struct flags_entry {
    ProtobufCMessage base;
    protobuf_c_boolean key;
    char *value;
} flags_entry;

typedef struct all_types {
    ProtobufCMessage base;
    int32_t i32, s32, sf32;
    uint32_t u32, f32;
    int64_t i64, s64, sf64;
    uint64_t u64, f64;
    float fl;
    double db;
    protobuf_c_boolean b;
    char *str;
    ProtobufCBinaryData by;
    int en;
    protobuf_c_boolean has_opt;
    int32_t opt;
    size_t n_rep_i32;
    int32_t *rep_i32;
    size_t n_rep_str;
    char **rep_str;
    uint32_t pick_case;
    union {
        char *pick_str;
        int32_t pick_num;
        Temporal__Api__Common__V1__WorkflowType *pick_msg;
    };
    size_t n_counts;
    counts_entry **counts;
    size_t n_flags;
    flags_entry **flags;
    size_t n_rep_enum;
    int *rep_enum;
} all_types;

static void counts_entry_init(ProtobufCMessage *m);
static void flags_entry_init(ProtobufCMessage *m);
static void all_types_init(ProtobufCMessage *m);

#define ENUM_DESC (&temporal__api__enums__v1__workflow_id_reuse_policy__descriptor)

static const ProtobufCFieldDescriptor counts_entry_fields[] = {
    { "key", 1, PROTOBUF_C_LABEL_NONE, PROTOBUF_C_TYPE_INT64, 0, offsetof(counts_entry, key), NULL, NULL, 0, 0, NULL, NULL },
    { "value", 2, PROTOBUF_C_LABEL_NONE, PROTOBUF_C_TYPE_INT32, 0, offsetof(counts_entry, value), NULL, NULL, 0, 0, NULL, NULL },
};
static const ProtobufCFieldDescriptor flags_entry_fields[] = {
    { "key", 1, PROTOBUF_C_LABEL_NONE, PROTOBUF_C_TYPE_BOOL, 0, offsetof(flags_entry, key), NULL, NULL, 0, 0, NULL, NULL },
    { "value", 2, PROTOBUF_C_LABEL_NONE, PROTOBUF_C_TYPE_STRING, 0, offsetof(flags_entry, value), NULL, NULL, 0, 0, NULL, NULL },
};
static const unsigned entry_by_name[] = { 0, 1 };
static const ProtobufCIntRange entry_ranges[] = { { 1, 0 }, { 0, 2 } };

static const ProtobufCMessageDescriptor counts_entry_descriptor = {
    PROTOBUF_C__MESSAGE_DESCRIPTOR_MAGIC, "sgtest.AllTypes.CountsEntry", "CountsEntry", "CountsEntry", "sgtest",
    sizeof(counts_entry), 2, counts_entry_fields, entry_by_name, 1, entry_ranges, counts_entry_init, NULL, NULL, NULL,
};
static const ProtobufCMessageDescriptor flags_entry_descriptor = {
    PROTOBUF_C__MESSAGE_DESCRIPTOR_MAGIC, "sgtest.AllTypes.FlagsEntry", "FlagsEntry", "FlagsEntry", "sgtest",
    sizeof(flags_entry), 2, flags_entry_fields, entry_by_name, 1, entry_ranges, flags_entry_init, NULL, NULL, NULL,
};

#define F(name, id, label, type, q, member, desc, flags) \
    { name, id, PROTOBUF_C_LABEL_##label, PROTOBUF_C_TYPE_##type, q, offsetof(all_types, member), desc, NULL, flags, 0, NULL, NULL }
#define ONEOF_Q offsetof(all_types, pick_case)

static const ProtobufCFieldDescriptor all_types_fields[] = {
    F("int32_val", 1, NONE, INT32, 0, i32, NULL, 0),
    F("sint32_val", 2, NONE, SINT32, 0, s32, NULL, 0),
    F("sfixed32_val", 3, NONE, SFIXED32, 0, sf32, NULL, 0),
    F("uint32_val", 4, NONE, UINT32, 0, u32, NULL, 0),
    F("fixed32_val", 5, NONE, FIXED32, 0, f32, NULL, 0),
    F("int64_val", 6, NONE, INT64, 0, i64, NULL, 0),
    F("sint64_val", 7, NONE, SINT64, 0, s64, NULL, 0),
    F("sfixed64_val", 8, NONE, SFIXED64, 0, sf64, NULL, 0),
    F("uint64_val", 9, NONE, UINT64, 0, u64, NULL, 0),
    F("fixed64_val", 10, NONE, FIXED64, 0, f64, NULL, 0),
    F("float_val", 11, NONE, FLOAT, 0, fl, NULL, 0),
    F("double_val", 12, NONE, DOUBLE, 0, db, NULL, 0),
    F("bool_val", 13, NONE, BOOL, 0, b, NULL, 0),
    F("string_val", 14, NONE, STRING, 0, str, NULL, 0),
    F("bytes_val", 15, NONE, BYTES, 0, by, NULL, 0),
    F("enum_val", 16, NONE, ENUM, 0, en, ENUM_DESC, 0),
    F("opt_val", 17, OPTIONAL, INT32, offsetof(all_types, has_opt), opt, NULL, 0),
    F("rep_int32", 18, REPEATED, INT32, offsetof(all_types, n_rep_i32), rep_i32, NULL, PROTOBUF_C_FIELD_FLAG_PACKED),
    F("rep_string", 19, REPEATED, STRING, offsetof(all_types, n_rep_str), rep_str, NULL, 0),
    F("pick_str", 20, NONE, STRING, ONEOF_Q, pick_str, NULL, PROTOBUF_C_FIELD_FLAG_ONEOF),
    F("pick_num", 21, NONE, INT32, ONEOF_Q, pick_num, NULL, PROTOBUF_C_FIELD_FLAG_ONEOF),
    F("pick_msg", 22, NONE, MESSAGE, ONEOF_Q, pick_msg, &temporal__api__common__v1__workflow_type__descriptor,
      PROTOBUF_C_FIELD_FLAG_ONEOF),
    F("counts", 23, REPEATED, MESSAGE, offsetof(all_types, n_counts), counts, &counts_entry_descriptor, 0),
    F("flags", 24, REPEATED, MESSAGE, offsetof(all_types, n_flags), flags, &flags_entry_descriptor, 0),
    F("rep_enum", 25, REPEATED, ENUM, offsetof(all_types, n_rep_enum), rep_enum, ENUM_DESC, PROTOBUF_C_FIELD_FLAG_PACKED),
};
#define N_ALL_FIELDS (sizeof all_types_fields / sizeof all_types_fields[0])
static unsigned all_types_by_name[N_ALL_FIELDS]; /* filled by setup(): protobuf-c's by-name index */
static const ProtobufCIntRange all_types_ranges[] = { { 1, 0 }, { 0, N_ALL_FIELDS } };

static const ProtobufCMessageDescriptor all_types_descriptor = {
    PROTOBUF_C__MESSAGE_DESCRIPTOR_MAGIC, "sgtest.AllTypes", "AllTypes", "AllTypes", "sgtest",
    sizeof(all_types), N_ALL_FIELDS, all_types_fields, all_types_by_name, 1, all_types_ranges,
    all_types_init, NULL, NULL, NULL,
};

static void counts_entry_init(ProtobufCMessage *m)
{
    memset(m, 0, sizeof(counts_entry));
    m->descriptor = &counts_entry_descriptor;
}

static void flags_entry_init(ProtobufCMessage *m)
{
    memset(m, 0, sizeof(flags_entry));
    m->descriptor = &flags_entry_descriptor;
    ((flags_entry *)m)->value = (char *)protobuf_c_empty_string;
}

static void all_types_init(ProtobufCMessage *m)
{
    memset(m, 0, sizeof(all_types));
    m->descriptor = &all_types_descriptor;
    ((all_types *)m)->str = (char *)protobuf_c_empty_string;
}

static int by_name_cmp(const void *a, const void *b)
{
    return strcmp(all_types_fields[*(const unsigned *)a].name, all_types_fields[*(const unsigned *)b].name);
}

static void setup(void)
{
    for (unsigned i = 0; i < N_ALL_FIELDS; i++)
        all_types_by_name[i] = i;
    qsort(all_types_by_name, N_ALL_FIELDS, sizeof all_types_by_name[0], by_name_cmp);
}

/* ---- helpers ---- */

/* A fresh message of type d, as void * so it converts to the generated struct. */
static void *new_msg(sg_arena *a, const ProtobufCMessageDescriptor *d)
{
    ProtobufCMessage *m = sg_arena_alloc(a, d->sizeof_message);
    protobuf_c_message_init(d, m);
    return m;
}

/* Parses json into a fresh message of type d; the test fails with the reason if it does not. */
static void *parse_ok(sg_arena *a, const ProtobufCMessageDescriptor *d, const char *json)
{
    ProtobufCMessage *m = new_msg(a, d);
    const char *why = "(unset)";
    int rc = sg_jsonpb_parse(a, json, strlen(json), m, &why);
    if (rc != 0)
        fprintf(stderr, "  parse failed: %s\n  input: %s\n", why, json);
    CHECK_EQ_INT(rc, 0);
    CHECK(why == NULL);
    return m;
}

/* Parses json, which must fail; returns the reason. */
static const char *parse_err(sg_arena *a, const ProtobufCMessageDescriptor *d, const char *json)
{
    ProtobufCMessage *m = new_msg(a, d);
    const char *why = NULL;
    int rc = sg_jsonpb_parse(a, json, strlen(json), m, &why);
    if (rc != SG_EINVAL)
        fprintf(stderr, "  parse did not fail as it should: %s\n", json);
    CHECK_EQ_INT(rc, SG_EINVAL);
    CHECK(why != NULL);
    return why;
}

static void check_why(const char *why, const char *want)
{
    if (!strstr(why, want))
        fprintf(stderr, "  reason \"%s\" lacks \"%s\"\n", why, want);
    CHECK(strstr(why, want) != NULL);
}

static char *write_json(const ProtobufCMessage *m, int indent, bool shorthand)
{
    sg_buf b;
    sg_buf_init(&b);
    sg_pbjson_opts o = { indent, shorthand };
    sg_pbjson_write(&b, m, &o);
    sg_buf_append(&b, "", 1);
    size_t n;
    return (char *)sg_buf_take(&b, &n);
}

static uint8_t *pack(const ProtobufCMessage *m, size_t *len)
{
    *len = protobuf_c_message_get_packed_size(m);
    uint8_t *p = sg_malloc(*len ? *len : 1);
    CHECK_EQ_INT(protobuf_c_message_pack(m, p), *len);
    return p;
}

/* write -> parse gives back the same message (compared as packed bytes), in each writer mode. */
static void check_round_trip(const ProtobufCMessage *m)
{
    static const sg_pbjson_opts modes[] = { { 0, false }, { 2, false }, { 0, true }, { 2, true } };
    size_t want_len;
    uint8_t *want = pack(m, &want_len);
    for (size_t i = 0; i < SG_ARRAY_LEN(modes); i++) {
        char *json = write_json(m, modes[i].indent, modes[i].shorthand);
        sg_arena a;
        sg_arena_init(&a);
        ProtobufCMessage *back = parse_ok(&a, m->descriptor, json);
        size_t got_len;
        uint8_t *got = pack(back, &got_len);
        if (got_len != want_len || memcmp(got, want, want_len) != 0) {
            char *again = write_json(back, 0, false);
            fprintf(stderr, "  round trip (indent %d, shorthand %d) differs:\n  wrote  %s\n  parsed %s\n",
                    modes[i].indent, modes[i].shorthand, json, again);
            sg_free(again);
        }
        CHECK_EQ_INT(got_len, want_len);
        CHECK(memcmp(got, want, want_len) == 0);
        sg_free(got);
        sg_arena_deinit(&a);
        sg_free(json);
    }
    sg_free(want);
}

/* A metadata value as a C string (caller frees), or NULL. */
static char *payload_meta(const Temporal__Api__Common__V1__Payload *p, const char *key)
{
    for (size_t i = 0; i < p->n_metadata; i++)
        if (strcmp(p->metadata[i]->key, key) == 0)
            return sg_strndup((const char *)p->metadata[i]->value.data, p->metadata[i]->value.len);
    return NULL;
}

/* Checks a payload's single encoding and its data. */
static void check_payload(const Temporal__Api__Common__V1__Payload *p, const char *encoding, const char *data)
{
    CHECK(p != NULL);
    CHECK_EQ_INT(p->n_metadata, 1);
    char *enc = payload_meta(p, "encoding");
    CHECK_EQ_STR(enc, encoding);
    sg_free(enc);
    if (p->data.len != strlen(data) || (p->data.len && memcmp(p->data.data, data, p->data.len) != 0))
        fprintf(stderr, "  payload data \"%.*s\", want \"%s\"\n", (int)p->data.len,
                p->data.len ? (const char *)p->data.data : "", data);
    CHECK_EQ_INT(p->data.len, strlen(data));
    CHECK(p->data.len == 0 || memcmp(p->data.data, data, p->data.len) == 0);
}

#define START_REQ (&temporal__api__workflowservice__v1__start_workflow_execution_request__descriptor)
typedef Temporal__Api__Workflowservice__V1__StartWorkflowExecutionRequest start_req;

/* ---- scalars ---- */

SG_TEST(jsonpb_reads_every_scalar_type_in_both_name_forms)
{
    setup();
    sg_arena a;
    sg_arena_init(&a);
    all_types *m = parse_ok(&a, &all_types_descriptor,
                            "{\"int32Val\": -2147483648, \"sint32_val\": \"-7\", \"sfixed32Val\": 1e3,"
                            " \"uint32Val\": 4294967295, \"fixed32_val\": \"42\","
                            " \"int64Val\": \"-9223372036854775808\", \"sint64Val\": 9223372036854775807,"
                            " \"sfixed64Val\": \"12\", \"uint64Val\": \"18446744073709551615\", \"fixed64Val\": 7.0,"
                            " \"floatVal\": 0.5, \"doubleVal\": \"-1.25e2\", \"boolVal\": true,"
                            " \"stringVal\": \"h\\u00e9llo \\\"w\\\"\", \"bytesVal\": \"aGk=\","
                            " \"enumVal\": \"WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE\", \"optVal\": 0}");
    CHECK_EQ_INT(m->i32, INT32_MIN);
    CHECK_EQ_INT(m->s32, -7);
    CHECK_EQ_INT(m->sf32, 1000);
    CHECK(m->u32 == UINT32_MAX);
    CHECK_EQ_INT(m->f32, 42);
    CHECK(m->i64 == INT64_MIN);
    CHECK(m->s64 == INT64_MAX);
    CHECK_EQ_INT(m->sf64, 12);
    CHECK(m->u64 == UINT64_MAX);
    CHECK_EQ_INT(m->f64, 7);
    CHECK(m->fl == 0.5f);
    CHECK(m->db == -125.0);
    CHECK(m->b);
    CHECK_EQ_STR(m->str, "h\xc3\xa9llo \"w\"");
    CHECK_EQ_INT(m->by.len, 2);
    CHECK(memcmp(m->by.data, "hi", 2) == 0);
    CHECK_EQ_INT(m->en, 3);
    /* proto3 optional: set to its default still counts as set. */
    CHECK(m->has_opt);
    CHECK_EQ_INT(m->opt, 0);

    m = parse_ok(&a, &all_types_descriptor,
                 "{\"floatVal\": \"NaN\", \"doubleVal\": \"-Infinity\", \"uint64Val\": 5, \"boolVal\": false}");
    CHECK(isnan(m->fl));
    CHECK(isinf(m->db) && m->db < 0);
    CHECK_EQ_INT(m->u64, 5);
    CHECK(!m->b);
    CHECK(!m->has_opt);
    m = parse_ok(&a, &all_types_descriptor, "{\"doubleVal\": \"Infinity\", \"floatVal\": -3}");
    CHECK(isinf(m->db) && m->db > 0);
    CHECK(m->fl == -3.0f);
    /* null leaves a field as it was. */
    m = parse_ok(&a, &all_types_descriptor, "{\"int32Val\": null, \"stringVal\": null, \"repInt32\": null}");
    CHECK_EQ_INT(m->i32, 0);
    CHECK_EQ_STR(m->str, "");
    CHECK_EQ_INT(m->n_rep_i32, 0);
    sg_arena_deinit(&a);
}

SG_TEST(jsonpb_refuses_values_out_of_range_or_of_the_wrong_type)
{
    setup();
    sg_arena a;
    sg_arena_init(&a);
    static const struct {
        const char *json, *want;
    } cases[] = {
        { "{\"int32Val\": 2147483648}", "\"int32Val\": 2147483648 is out of range for an int32" },
        { "{\"int32Val\": -2147483649}", "out of range for an int32" },
        { "{\"uint32Val\": -1}", "\"uint32Val\": -1 is out of range for a uint32" },
        { "{\"uint32Val\": \"4294967296\"}", "out of range for a uint32" },
        { "{\"int64Val\": \"9223372036854775808\"}", "out of range for an int64" },
        { "{\"uint64Val\": \"18446744073709551616\"}", "out of range for a uint64" },
        { "{\"uint64Val\": \"-0x1\"}", "expected a uint64" },
        { "{\"int32Val\": 1.5}", "\"int32Val\": expected an int32, got 1.5" },
        { "{\"int32Val\": \" 1\"}", "expected an int32" },
        { "{\"int32Val\": true}", "expected an int32" },
        { "{\"floatVal\": 1e39}", "out of range for float" },
        { "{\"doubleVal\": \"1e999\"}", "out of range for double" },
        { "{\"doubleVal\": \"nan\"}", "expected a double" },
        { "{\"doubleVal\": []}", "expected a double" },
        { "{\"boolVal\": \"true\"}", "\"boolVal\": expected true or false" },
        { "{\"boolVal\": 1}", "expected true or false" },
        { "{\"stringVal\": 5}", "\"stringVal\": expected a string" },
        { "{\"stringVal\": \"a\\u0000b\"}", "NUL" },
        { "{\"repInt32\": 5}", "\"repInt32\": expected an array" },
        { "{\"counts\": []}", "\"counts\": expected an object (a map)" },
        { "{\"pickMsg\": \"x\"}", "\"pickMsg\": expected an object (temporal.api.common.v1.WorkflowType)" },
    };
    for (size_t i = 0; i < SG_ARRAY_LEN(cases); i++)
        check_why(parse_err(&a, &all_types_descriptor, cases[i].json), cases[i].want);
    sg_arena_deinit(&a);
}

SG_TEST(jsonpb_reads_enums_by_full_name_short_name_or_number)
{
    setup();
    sg_arena a;
    sg_arena_init(&a);
    static const struct {
        const char *json;
        int want;
    } cases[] = {
        { "{\"enumVal\": \"WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE\"}", 1 },
        { "{\"enumVal\": \"AllowDuplicate\"}", 1 },
        { "{\"enumVal\": \"ALLOW_DUPLICATE\"}", 1 },
        { "{\"enumVal\": \"allow_duplicate\"}", 1 },
        { "{\"enumVal\": \"AllowDuplicateFailedOnly\"}", 2 },
        { "{\"enumVal\": \"TerminateIfRunning\"}", 4 },
        { "{\"enumVal\": \"Unspecified\"}", 0 },
        { "{\"enumVal\": 3}", 3 },
        { "{\"enumVal\": \"3\"}", 3 },
        /* proto3 enums are open: a number the descriptor does not know is kept. */
        { "{\"enumVal\": 99}", 99 },
    };
    for (size_t i = 0; i < SG_ARRAY_LEN(cases); i++) {
        all_types *m = parse_ok(&a, &all_types_descriptor, cases[i].json);
        CHECK_EQ_INT(m->en, cases[i].want);
    }
    all_types *m = parse_ok(&a, &all_types_descriptor, "{\"repEnum\": [\"RejectDuplicate\", 1, \"WORKFLOW_ID_REUSE_POLICY_TERMINATE_IF_RUNNING\"]}");
    CHECK_EQ_INT(m->n_rep_enum, 3);
    CHECK(m->rep_enum[0] == 3 && m->rep_enum[1] == 1 && m->rep_enum[2] == 4);
    check_why(parse_err(&a, &all_types_descriptor, "{\"enumVal\": \"AllowEverything\"}"),
              "invalid value for field \"enumVal\": unknown value \"AllowEverything\" for enum "
              "temporal.api.enums.v1.WorkflowIdReusePolicy");
    check_why(parse_err(&a, &all_types_descriptor, "{\"enumVal\": \"DUPLICATE\"}"), "unknown value");
    check_why(parse_err(&a, &all_types_descriptor, "{\"enumVal\": 2147483648}"), "out of range");
    check_why(parse_err(&a, &all_types_descriptor, "{\"enumVal\": {}}"), "expected a value name of enum");
    sg_arena_deinit(&a);
}

SG_TEST(jsonpb_reads_bytes_as_standard_or_url_safe_base64)
{
    setup();
    sg_arena a;
    sg_arena_init(&a);
    static const struct {
        const char *b64;
        const char *want;
        size_t len;
    } cases[] = {
        { "", "", 0 },
        { "/w==", "\xff", 1 },
        { "/w", "\xff", 1 },
        { "_w", "\xff", 1 },
        { "+/8=", "\xfb\xff", 2 },
        { "-_8", "\xfb\xff", 2 },
        { "aGVsbG8gd29ybGQ=", "hello world", 11 },
        { "aGVsbG8gd29ybGQ", "hello world", 11 },
        { "AAEC", "\x00\x01\x02", 3 },
    };
    char json[128];
    for (size_t i = 0; i < SG_ARRAY_LEN(cases); i++) {
        snprintf(json, sizeof json, "{\"bytesVal\": \"%s\"}", cases[i].b64);
        all_types *m = parse_ok(&a, &all_types_descriptor, json);
        CHECK_EQ_INT(m->by.len, cases[i].len);
        CHECK(cases[i].len == 0 || memcmp(m->by.data, cases[i].want, cases[i].len) == 0);
    }
    static const char *const bad[] = { "a", "abcde", "ab=c", "a===", "ab cd", "ab\\ncd", "=" };
    for (size_t i = 0; i < SG_ARRAY_LEN(bad); i++) {
        snprintf(json, sizeof json, "{\"bytesVal\": \"%s\"}", bad[i]);
        check_why(parse_err(&a, &all_types_descriptor, json), "\"bytesVal\": expected a base64 string");
    }
    check_why(parse_err(&a, &all_types_descriptor, "{\"bytes_val\": 12}"), "\"bytes_val\": expected a base64 string");
    sg_arena_deinit(&a);
}

/* ---- repeated, maps, oneofs ---- */

SG_TEST(jsonpb_reads_repeated_fields_and_maps)
{
    setup();
    sg_arena a;
    sg_arena_init(&a);
    all_types *m = parse_ok(&a, &all_types_descriptor,
                            "{\"repInt32\": [1, \"-2\", 3], \"rep_string\": [\"a\", \"\", \"c\"],"
                            " \"counts\": {\"5\": 7, \"-9223372036854775808\": \"2\", \"0\": 0},"
                            " \"flags\": {\"true\": \"yes\", \"false\": \"no\"}}");
    CHECK_EQ_INT(m->n_rep_i32, 3);
    CHECK(m->rep_i32[0] == 1 && m->rep_i32[1] == -2 && m->rep_i32[2] == 3);
    CHECK_EQ_INT(m->n_rep_str, 3);
    CHECK_EQ_STR(m->rep_str[0], "a");
    CHECK_EQ_STR(m->rep_str[1], "");
    CHECK_EQ_STR(m->rep_str[2], "c");
    /* Map entries keep the object's order. */
    CHECK_EQ_INT(m->n_counts, 3);
    CHECK_EQ_INT(m->counts[0]->key, 5);
    CHECK_EQ_INT(m->counts[0]->value, 7);
    CHECK(m->counts[1]->key == INT64_MIN);
    CHECK_EQ_INT(m->counts[1]->value, 2);
    CHECK_EQ_INT(m->n_flags, 2);
    CHECK(m->flags[0]->key && !m->flags[1]->key);
    CHECK_EQ_STR(m->flags[1]->value, "no");
    m = parse_ok(&a, &all_types_descriptor, "{\"repInt32\": [], \"counts\": {}}");
    CHECK_EQ_INT(m->n_rep_i32, 0);
    CHECK_EQ_INT(m->n_counts, 0);

    check_why(parse_err(&a, &all_types_descriptor, "{\"repInt32\": [1, \"x\"]}"),
              "invalid value for field \"repInt32[1]\": expected an int32");
    check_why(parse_err(&a, &all_types_descriptor, "{\"repInt32\": [1, null]}"),
              "\"repInt32[1]\": null is not allowed here");
    check_why(parse_err(&a, &all_types_descriptor, "{\"counts\": {\"x\": 1}}"), "\"counts.x\": expected a map key in decimal");
    check_why(parse_err(&a, &all_types_descriptor, "{\"counts\": {\"1\": 1, \"01\": 2}}"), "\"counts.01\": expected a map key in decimal");
    check_why(parse_err(&a, &all_types_descriptor, "{\"counts\": {\"-0\": 1}}"), "without leading zeros");
    check_why(parse_err(&a, &all_types_descriptor, "{\"counts\": {\"9223372036854775808\": 1}}"), "out of range for an int64");
    check_why(parse_err(&a, &all_types_descriptor, "{\"counts\": {\"1\": null}}"), "\"counts.1\": null is not allowed");
    check_why(parse_err(&a, &all_types_descriptor, "{\"flags\": {\"yes\": \"x\"}}"), "\"flags.yes\": expected a map key true or false");
    /* A Temporal map of payloads, and one of strings. */
    Temporal__Api__Common__V1__Memo *memo = parse_ok(&a, &temporal__api__common__v1__memo__descriptor,
                                                     "{\"fields\": {\"b\": 1, \"a\": \"x\"}}");
    CHECK_EQ_INT(memo->n_fields, 2);
    CHECK_EQ_STR(memo->fields[0]->key, "b");
    check_payload(memo->fields[0]->value, "json/plain", "1");
    CHECK_EQ_STR(memo->fields[1]->key, "a");
    check_payload(memo->fields[1]->value, "json/plain", "\"x\"");
    Temporal__Api__Common__V1__Callback__Nexus *nx = parse_ok(&a, &temporal__api__common__v1__callback__nexus__descriptor,
                                                             "{\"url\": \"http://x\", \"header\": {\"k\": \"v\"}}");
    CHECK_EQ_INT(nx->n_header, 1);
    CHECK_EQ_STR(nx->header[0]->key, "k");
    CHECK_EQ_STR(nx->header[0]->value, "v");
    sg_arena_deinit(&a);
}

SG_TEST(jsonpb_sets_a_oneof_case_and_refuses_two_members)
{
    setup();
    sg_arena a;
    sg_arena_init(&a);
    all_types *m = parse_ok(&a, &all_types_descriptor, "{\"pickStr\": \"\"}");
    CHECK_EQ_INT(m->pick_case, 20);
    CHECK_EQ_STR(m->pick_str, "");
    m = parse_ok(&a, &all_types_descriptor, "{\"pickNum\": 0, \"pickStr\": null}");
    CHECK_EQ_INT(m->pick_case, 21);
    m = parse_ok(&a, &all_types_descriptor, "{\"pick_msg\": {\"name\": \"wf\"}}");
    CHECK_EQ_INT(m->pick_case, 22);
    CHECK_EQ_STR(m->pick_msg->name, "wf");
    check_why(parse_err(&a, &all_types_descriptor, "{\"pickStr\": \"a\", \"pickNum\": 1}"),
              "invalid value for field \"pickNum\": field \"pick_str\" of the same oneof is set already");
    /* A real one: Link's variant and its workflow event's reference. */
    Temporal__Api__Common__V1__Link *link = parse_ok(&a, &temporal__api__common__v1__link__descriptor,
        "{\"workflowEvent\": {\"namespace\": \"ns\", \"workflowId\": \"w\", \"eventRef\": {\"eventId\": \"5\","
        " \"eventType\": \"EVENT_TYPE_WORKFLOW_EXECUTION_STARTED\"}}}");
    CHECK_EQ_INT(link->variant_case, TEMPORAL__API__COMMON__V1__LINK__VARIANT_WORKFLOW_EVENT);
    CHECK_EQ_INT(link->workflow_event->reference_case,
                 TEMPORAL__API__COMMON__V1__LINK__WORKFLOW_EVENT__REFERENCE_EVENT_REF);
    CHECK_EQ_INT(link->workflow_event->event_ref->event_id, 5);
    CHECK_EQ_INT(link->workflow_event->event_ref->event_type, 1);
    check_why(parse_err(&a, &temporal__api__common__v1__link__descriptor,
                        "{\"workflowEvent\": {}, \"batchJob\": {}}"),
              "\"batchJob\": field \"workflow_event\" of the same oneof is set already");
    sg_arena_deinit(&a);
}

/* ---- well-known types ---- */

SG_TEST(jsonpb_reads_timestamps_and_durations)
{
    sg_arena a;
    sg_arena_init(&a);
    static const struct {
        const char *ts;
        int64_t seconds;
        int32_t nanos;
    } good[] = {
        { "2026-12-02T10:00:00Z", 1796205600, 0 },
        { "2026-12-02T10:00:00.5Z", 1796205600, 500000000 },
        { "2026-12-02T12:00:00.000000001+02:00", 1796205600, 1 },
        { "2026-12-02t04:30:00-05:30", 1796205600, 0 },
        { "1970-01-01T00:00:00z", 0, 0 },
        { "1969-12-31T23:59:59.999Z", -1, 999000000 },
        { "2024-02-29T00:00:00Z", 1709164800, 0 },
        { "0001-01-01T00:00:00Z", INT64_C(-62135596800), 0 },
        { "9999-12-31T23:59:59.999999999Z", INT64_C(253402300799), 999999999 },
    };
    char json[160];
    for (size_t i = 0; i < SG_ARRAY_LEN(good); i++) {
        snprintf(json, sizeof json, "{\"startTime\": \"%s\"}", good[i].ts);
        Temporal__Api__Workflow__V1__WorkflowExecutionInfo *info =
            parse_ok(&a, &temporal__api__workflow__v1__workflow_execution_info__descriptor, json);
        if (info->start_time->seconds != good[i].seconds)
            fprintf(stderr, "  %s -> %lld\n", good[i].ts, (long long)info->start_time->seconds);
        CHECK(info->start_time->seconds == good[i].seconds);
        CHECK_EQ_INT(info->start_time->nanos, good[i].nanos);
    }
    static const char *const bad_ts[] = {
        "2026-02-29T00:00:00Z", "2026-13-01T00:00:00Z", "2026-12-02T24:00:00Z", "2026-12-02T10:00:60Z",
        "2026-12-02 10:00:00Z", "2026-12-02T10:00:00", "2026-12-02T10:00:00.Z", "2026-12-02T10:00:00.1234567890Z",
        "2026-12-02T10:00:00+0200", "0000-12-31T00:00:00Z", "9999-12-31T23:59:59-01:00", "2026-12-02T10:00:00Zx", "",
    };
    for (size_t i = 0; i < SG_ARRAY_LEN(bad_ts); i++) {
        snprintf(json, sizeof json, "{\"startTime\": \"%s\"}", bad_ts[i]);
        check_why(parse_err(&a, &temporal__api__workflow__v1__workflow_execution_info__descriptor, json),
                  "invalid value for field \"startTime\": expected an RFC 3339 timestamp");
    }
    check_why(parse_err(&a, &temporal__api__workflow__v1__workflow_execution_info__descriptor, "{\"startTime\": 5}"),
              "expected an RFC 3339 timestamp string");

    static const struct {
        const char *d;
        int64_t seconds;
        int32_t nanos;
    } good_d[] = {
        { "1.5s", 1, 500000000 }, { "-0.5s", 0, -500000000 }, { "3s", 3, 0 }, { "-3.000000001s", -3, -1 },
        { "0s", 0, 0 },           { "315576000000s", INT64_C(315576000000), 0 },
    };
    for (size_t i = 0; i < SG_ARRAY_LEN(good_d); i++) {
        snprintf(json, sizeof json, "{\"workflowRunTimeout\": \"%s\"}", good_d[i].d);
        start_req *r = parse_ok(&a, START_REQ, json);
        CHECK(r->workflow_run_timeout->seconds == good_d[i].seconds);
        CHECK_EQ_INT(r->workflow_run_timeout->nanos, good_d[i].nanos);
    }
    static const char *const bad_d[] = { "1.5", "s", "1.s", ".5s", "1m", "--1s", "1.0000000001s", "315576000001s",
                                         "315576000000.5s", "99999999999999999999999s", " 1s" };
    for (size_t i = 0; i < SG_ARRAY_LEN(bad_d); i++) {
        snprintf(json, sizeof json, "{\"workflowRunTimeout\": \"%s\"}", bad_d[i]);
        check_why(parse_err(&a, START_REQ, json), "invalid value for field \"workflowRunTimeout\": expected a duration");
    }
    sg_arena_deinit(&a);
}

SG_TEST(jsonpb_reads_wrappers_field_masks_and_refuses_any)
{
    sg_arena a;
    sg_arena_init(&a);
    Google__Protobuf__DoubleValue *dv = parse_ok(&a, &google__protobuf__double_value__descriptor, "1.5");
    CHECK(dv->value == 1.5);
    dv = parse_ok(&a, &google__protobuf__double_value__descriptor, "{\"value\": \"2\"}");
    CHECK(dv->value == 2.0);
    Google__Protobuf__Int64Value *iv = parse_ok(&a, &google__protobuf__int64_value__descriptor, "\"-12\"");
    CHECK_EQ_INT(iv->value, -12);
    Google__Protobuf__StringValue *sv = parse_ok(&a, &google__protobuf__string_value__descriptor, "\"s\"");
    CHECK_EQ_STR(sv->value, "s");
    Google__Protobuf__BoolValue *bv = parse_ok(&a, &google__protobuf__bool_value__descriptor, "true");
    CHECK(bv->value);
    check_why(parse_err(&a, &google__protobuf__bool_value__descriptor, "\"yes\""), "expected true or false");

    Google__Protobuf__FieldMask *fm = parse_ok(&a, &google__protobuf__field_mask__descriptor,
                                               "\"workflowId,execution.runId,memo\"");
    CHECK_EQ_INT(fm->n_paths, 3);
    CHECK_EQ_STR(fm->paths[0], "workflow_id");
    CHECK_EQ_STR(fm->paths[1], "execution.run_id");
    CHECK_EQ_STR(fm->paths[2], "memo");
    fm = parse_ok(&a, &google__protobuf__field_mask__descriptor, "\"\"");
    CHECK_EQ_INT(fm->n_paths, 0);
    fm = parse_ok(&a, &google__protobuf__field_mask__descriptor, "{\"paths\": [\"a_b\"]}");
    CHECK_EQ_INT(fm->n_paths, 1);
    CHECK_EQ_STR(fm->paths[0], "a_b");
    check_why(parse_err(&a, &google__protobuf__field_mask__descriptor, "\"a,,b\""), "a field mask path is empty");

    check_why(parse_err(&a, &temporal__api__protocol__v1__message__descriptor,
                        "{\"body\": {\"@type\": \"type.googleapis.com/x\"}}"),
              "invalid value for field \"body\": google.protobuf.Any is not supported in JSON");
    sg_arena_deinit(&a);
}

/* ---- Temporal's payload shorthand ---- */

SG_TEST(jsonpb_reads_payloads_in_shorthand_and_in_proto_form)
{
    sg_arena a;
    sg_arena_init(&a);
    start_req *r = parse_ok(&a, START_REQ,
                            "{\"input\": [\"hello\", 42, {\"a\": [1, true, null], \"b\": \"\\u00e9\\n\"},"
                            " null, 0.1, 1.0, -2.5e-8, [], {}, false,"
                            " {\"metadata\": 1}, {\"data\": \"aGk=\"}, {\"metadata\": {\"encoding\": \"!\"}, \"data\": \"\"}]}");
    CHECK_EQ_INT(r->input->n_payloads, 13);
    Temporal__Api__Common__V1__Payload **p = r->input->payloads;
    check_payload(p[0], "json/plain", "\"hello\"");
    check_payload(p[1], "json/plain", "42");
    check_payload(p[2], "json/plain", "{\"a\":[1,true,null],\"b\":\"\xc3\xa9\\n\"}");
    check_payload(p[3], "binary/null", "");
    check_payload(p[4], "json/plain", "0.1");
    check_payload(p[5], "json/plain", "1.0");
    check_payload(p[6], "json/plain", "-2.5e-08");
    check_payload(p[7], "json/plain", "[]");
    check_payload(p[8], "json/plain", "{}");
    check_payload(p[9], "json/plain", "false");
    /* Objects that only look like a payload stay JSON values. */
    check_payload(p[10], "json/plain", "{\"metadata\":1}");
    check_payload(p[11], "json/plain", "{\"data\":\"aGk=\"}");
    check_payload(p[12], "json/plain", "{\"metadata\":{\"encoding\":\"!\"},\"data\":\"\"}");

    /* The proto form: Payloads as an object, each Payload as metadata + data in base64 (or in
     * shorthand, element by element). */
    r = parse_ok(&a, START_REQ,
                 "{\"input\": {\"payloads\": [{\"metadata\": {\"encoding\": \"YmluYXJ5L3Jhdw==\", \"x\": \"\"},"
                 " \"data\": \"/wE=\"}, \"s\", {\"metadata\": {\"encoding\": \"anNvbi9wbGFpbg\"}}]}}");
    CHECK_EQ_INT(r->input->n_payloads, 3);
    p = r->input->payloads;
    CHECK_EQ_INT(p[0]->n_metadata, 2);
    char *enc = payload_meta(p[0], "encoding");
    CHECK_EQ_STR(enc, "binary/raw");
    sg_free(enc);
    CHECK_EQ_INT(p[0]->data.len, 2);
    CHECK(memcmp(p[0]->data.data, "\xff\x01", 2) == 0);
    check_payload(p[1], "json/plain", "\"s\"");
    check_payload(p[2], "json/plain", "");

    /* A single Payload: memo values, and null where a Payload is expected. */
    r = parse_ok(&a, START_REQ,
                 "{\"memo\": {\"fields\": {\"n\": null, \"o\": {\"k\": [1]}}}, \"userMetadata\": {\"summary\": null},"
                 " \"header\": {\"fields\": {\"t\": {\"_protoMessageType\": \"x.Y\", \"f\": 1}}}}");
    check_payload(r->memo->fields[0]->value, "binary/null", "");
    check_payload(r->memo->fields[1]->value, "json/plain", "{\"k\":[1]}");
    check_payload(r->user_metadata->summary, "binary/null", "");
    Temporal__Api__Common__V1__Payload *t = r->header->fields[0]->value;
    CHECK_EQ_INT(t->n_metadata, 2);
    enc = payload_meta(t, "encoding");
    CHECK_EQ_STR(enc, "json/protobuf");
    sg_free(enc);
    enc = payload_meta(t, "messageType");
    CHECK_EQ_STR(enc, "x.Y");
    sg_free(enc);
    CHECK_EQ_INT(t->data.len, 7);
    CHECK(memcmp(t->data.data, "{\"f\":1}", 7) == 0);
    /* null for a Payloads field leaves it unset; [] is an empty list. */
    r = parse_ok(&a, START_REQ, "{\"input\": null, \"lastCompletionResult\": []}");
    CHECK(r->input == NULL);
    CHECK(r->last_completion_result != NULL);
    CHECK_EQ_INT(r->last_completion_result->n_payloads, 0);
    check_why(parse_err(&a, START_REQ, "{\"input\": 5}"),
              "invalid value for field \"input\": expected an object (temporal.api.common.v1.Payloads)");
    check_why(parse_err(&a, START_REQ, "{\"input\": [{\"_protoMessageType\": 5}]}"),
              "\"input[0]\": \"_protoMessageType\" must be a string");
    sg_arena_deinit(&a);
}

/* ---- errors ---- */

SG_TEST(jsonpb_errors_name_the_json_path)
{
    sg_arena a;
    sg_arena_init(&a);
    CHECK_EQ_STR(parse_err(&a, START_REQ, "{\"workflowType\": {\"nmae\": \"x\"}}"),
                 "unknown field \"workflowType.nmae\" (in temporal.api.common.v1.WorkflowType)");
    CHECK_EQ_STR(parse_err(&a, START_REQ, "{\"workflow_type\": {\"name\": 5}}"),
                 "invalid value for field \"workflow_type.name\": expected a string");
    CHECK_EQ_STR(parse_err(&a, START_REQ, "{\"retryPolicy\": {\"nonRetryableErrorTypes\": [\"a\", 1]}}"),
                 "invalid value for field \"retryPolicy.nonRetryableErrorTypes[1]\": expected a string");
    CHECK_EQ_STR(parse_err(&a, START_REQ, "{\"links\": [{}, {\"workflowEvent\": {\"eventRef\": {\"eventId\": \"x\"}}}]}"),
                 "invalid value for field \"links[1].workflowEvent.eventRef.eventId\": expected an int64 (a number, "
                 "or a string holding one), got \"x\"");
    CHECK_EQ_STR(parse_err(&a, START_REQ, "{\"memo\": {\"fields\": {\"k\": {}}}, \"searchAttributes\": 1}"),
                 "invalid value for field \"searchAttributes\": expected an object (temporal.api.common.v1.SearchAttributes)");
    /* Case matters: the JSON name, or the proto name, exactly. */
    check_why(parse_err(&a, START_REQ, "{\"WorkflowId\": \"x\"}"), "unknown field \"WorkflowId\"");
    check_why(parse_err(&a, START_REQ, "{\"workflowId\": \"x\", \"workflow_id\": \"y\"}"),
              "\"workflow_id\": field \"workflow_id\" is given twice");
    /* The text itself. */
    check_why(parse_err(&a, START_REQ, "{\"workflowId\": \"x\",\n \"a\" 1}"), "malformed JSON at line 2, column");
    check_why(parse_err(&a, START_REQ, ""), "malformed JSON at line");
    check_why(parse_err(&a, START_REQ, "{\"workflowId\": \"x\"} {}"), "malformed JSON");
    check_why(parse_err(&a, START_REQ, "{\"workflowId\": \"x\", \"workflowId\": \"y\"}"), "duplicate");
    check_why(parse_err(&a, START_REQ, "{\"workflowId\": \"\xff\"}"), "malformed JSON");
    check_why(parse_err(&a, START_REQ, "{\"workflowId\": NaN}"), "malformed JSON");
    CHECK_EQ_STR(parse_err(&a, START_REQ, "[1]"),
                 "invalid message: expected an object (temporal.api.workflowservice.v1.StartWorkflowExecutionRequest)");
    CHECK_EQ_STR(parse_err(&a, START_REQ, "null"),
                 "invalid message: expected an object (temporal.api.workflowservice.v1.StartWorkflowExecutionRequest)");
    /* A text with a NUL inside is not JSON; nor is a length that cuts the text short. */
    start_req *r = new_msg(&a, START_REQ);
    const char *why = NULL;
    CHECK_EQ_INT(sg_jsonpb_parse(&a, "{\"workflowId\": \"x\"}\0", 20, &r->base, &why), SG_EINVAL);
    CHECK_EQ_INT(sg_jsonpb_parse(&a, "{\"workflowId\": \"x\"}", 10, &r->base, &why), SG_EINVAL);
    CHECK_EQ_INT(sg_jsonpb_parse(&a, "{\"workflowId\": \"x\"}", 19, &r->base, NULL), 0);
    CHECK_EQ_STR(r->workflow_id, "x");
    sg_arena_deinit(&a);
}

/* Deeply nested text: "prefix" repeated n times, then "middle", then "suffix" n times. */
static char *nested(const char *prefix, const char *middle, const char *suffix, int n)
{
    sg_buf b;
    sg_buf_init(&b);
    for (int i = 0; i < n; i++)
        sg_buf_append_str(&b, prefix);
    sg_buf_append_str(&b, middle);
    for (int i = 0; i < n; i++)
        sg_buf_append_str(&b, suffix);
    sg_buf_append(&b, "", 1);
    size_t len;
    return (char *)sg_buf_take(&b, &len);
}

SG_TEST(jsonpb_bounds_nesting)
{
    sg_arena a;
    sg_arena_init(&a);
    /* Failure.cause is recursive: 60 levels are fine, 150 are refused with a reason. */
    char *s = nested("{\"cause\": ", "{\"message\": \"m\"}", "}", 60);
    Temporal__Api__Failure__V1__Failure *f = parse_ok(&a, &temporal__api__failure__v1__failure__descriptor, s);
    for (int i = 0; i < 60; i++)
        f = f->cause;
    CHECK_EQ_STR(f->message, "m");
    sg_free(s);
    s = nested("{\"cause\": ", "{}", "}", 150);
    check_why(parse_err(&a, &temporal__api__failure__v1__failure__descriptor, s), "nested deeper than 100 levels");
    sg_free(s);
    /* Payload contents count too. */
    s = nested("[", "1", "]", 150);
    char *json = sg_asprintf("{\"input\": [%s]}", s);
    check_why(parse_err(&a, START_REQ, json), "invalid value for field \"input[0]\": nested deeper than 100 levels");
    sg_free(json);
    sg_free(s);
    /* And jansson stops first far beyond (no stack is at risk either way). */
    s = nested("[", "1", "]", 100000);
    json = sg_asprintf("{\"input\": [%s]}", s);
    check_why(parse_err(&a, START_REQ, json), "malformed JSON");
    sg_free(json);
    sg_free(s);
    sg_arena_deinit(&a);
}

/* ---- round trips through pbjson.c ---- */

static Temporal__Api__Common__V1__Payload *payload(sg_arena *a, const char *encoding, const char *data, size_t len)
{
    Temporal__Api__Common__V1__Payload *p = new_msg(a, &temporal__api__common__v1__payload__descriptor);
    Temporal__Api__Common__V1__Payload__MetadataEntry *e = new_msg(a, &temporal__api__common__v1__payload__metadata_entry__descriptor);
    e->key = "encoding";
    e->value.data = (uint8_t *)encoding;
    e->value.len = strlen(encoding);
    p->n_metadata = 1;
    p->metadata = sg_arena_alloc(a, sizeof *p->metadata);
    p->metadata[0] = e;
    p->data.data = (uint8_t *)data;
    p->data.len = len;
    return p;
}

static Temporal__Api__Common__V1__Payload *json_payload(sg_arena *a, const char *text)
{
    return payload(a, "json/plain", text, strlen(text));
}

static Google__Protobuf__Duration *duration(sg_arena *a, int64_t s, int32_t ns)
{
    Google__Protobuf__Duration *d = new_msg(a, &google__protobuf__duration__descriptor);
    d->seconds = s;
    d->nanos = ns;
    return d;
}

static start_req *realistic_start(sg_arena *a)
{
    start_req *r = new_msg(a, START_REQ);
    r->namespace_ = "default";
    r->workflow_id = "order-\"42\"\n\xc3\xa9";
    r->workflow_type = new_msg(a, &temporal__api__common__v1__workflow_type__descriptor);
    r->workflow_type->name = "ProcessOrder";
    r->task_queue = new_msg(a, &temporal__api__taskqueue__v1__task_queue__descriptor);
    r->task_queue->name = "orders";
    r->task_queue->kind = TEMPORAL__API__ENUMS__V1__TASK_QUEUE_KIND__TASK_QUEUE_KIND_NORMAL;
    r->input = new_msg(a, &temporal__api__common__v1__payloads__descriptor);
    r->input->n_payloads = 4;
    r->input->payloads = sg_arena_alloc(a, 4 * sizeof *r->input->payloads);
    r->input->payloads[0] = json_payload(a, "\"hello\"");
    r->input->payloads[1] = json_payload(a, "{\"qty\":42,\"price\":0.1,\"tags\":[\"a\",null,true]}");
    r->input->payloads[2] = payload(a, "binary/null", "", 0);
    r->input->payloads[3] = json_payload(a, "-7");
    r->workflow_execution_timeout = duration(a, 3600, 0);
    r->workflow_run_timeout = duration(a, 0, -500000000);
    r->workflow_task_timeout = duration(a, 10, 1);
    r->identity = "1234@host";
    r->request_id = "6f1c0c5e-3d43-4c3e-9a7b-2f9b5d0d8c11";
    r->workflow_id_reuse_policy = TEMPORAL__API__ENUMS__V1__WORKFLOW_ID_REUSE_POLICY__WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE_FAILED_ONLY;
    r->workflow_id_conflict_policy = TEMPORAL__API__ENUMS__V1__WORKFLOW_ID_CONFLICT_POLICY__WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING;
    r->retry_policy = new_msg(a, &temporal__api__common__v1__retry_policy__descriptor);
    r->retry_policy->initial_interval = duration(a, 1, 0);
    r->retry_policy->backoff_coefficient = 2.0;
    r->retry_policy->maximum_interval = duration(a, 100, 0);
    r->retry_policy->maximum_attempts = 5;
    r->retry_policy->n_non_retryable_error_types = 2;
    r->retry_policy->non_retryable_error_types = sg_arena_alloc(a, 2 * sizeof(char *));
    r->retry_policy->non_retryable_error_types[0] = "BadInput";
    r->retry_policy->non_retryable_error_types[1] = "";
    r->memo = new_msg(a, &temporal__api__common__v1__memo__descriptor);
    r->memo->n_fields = 2;
    r->memo->fields = sg_arena_alloc(a, 2 * sizeof *r->memo->fields);
    for (int i = 0; i < 2; i++)
        r->memo->fields[i] = new_msg(a, &temporal__api__common__v1__memo__fields_entry__descriptor);
    r->memo->fields[0]->key = "note";
    r->memo->fields[0]->value = json_payload(a, "\"rush\"");
    r->memo->fields[1]->key = "raw";
    r->memo->fields[1]->value = payload(a, "binary/plain", "\x00\xff", 2);
    r->search_attributes = new_msg(a, &temporal__api__common__v1__search_attributes__descriptor);
    r->search_attributes->n_indexed_fields = 1;
    r->search_attributes->indexed_fields = sg_arena_alloc(a, sizeof *r->search_attributes->indexed_fields);
    r->search_attributes->indexed_fields[0] = new_msg(a, &temporal__api__common__v1__search_attributes__indexed_fields_entry__descriptor);
    r->search_attributes->indexed_fields[0]->key = "CustomKeywordField";
    r->search_attributes->indexed_fields[0]->value = json_payload(a, "\"gold\"");
    Temporal__Api__Common__V1__Payload *typed = json_payload(a, "{}");
    /* A second metadata key keeps a payload out of the shorthand. */
    typed->n_metadata = 2;
    Temporal__Api__Common__V1__Payload__MetadataEntry **md = sg_arena_alloc(a, 2 * sizeof *md);
    md[0] = typed->metadata[0];
    md[1] = new_msg(a, &temporal__api__common__v1__payload__metadata_entry__descriptor);
    md[1]->key = "messageType";
    md[1]->value.data = (uint8_t *)"x.Y";
    md[1]->value.len = 3;
    typed->metadata = md;
    r->header = new_msg(a, &temporal__api__common__v1__header__descriptor);
    r->header->n_fields = 1;
    r->header->fields = sg_arena_alloc(a, sizeof *r->header->fields);
    r->header->fields[0] = new_msg(a, &temporal__api__common__v1__header__fields_entry__descriptor);
    r->header->fields[0]->key = "tracing";
    r->header->fields[0]->value = typed;
    r->request_eager_execution = 1;
    r->workflow_start_delay = duration(a, 2, 500000000);
    r->user_metadata = new_msg(a, &temporal__api__sdk__v1__user_metadata__descriptor);
    r->user_metadata->summary = json_payload(a, "\"Order 42\"");
    r->user_metadata->details = payload(a, "binary/null", "", 0);
    r->n_completion_callbacks = 1;
    r->completion_callbacks = sg_arena_alloc(a, sizeof *r->completion_callbacks);
    Temporal__Api__Common__V1__Callback *cb = new_msg(a, &temporal__api__common__v1__callback__descriptor);
    cb->variant_case = TEMPORAL__API__COMMON__V1__CALLBACK__VARIANT_NEXUS;
    cb->nexus = new_msg(a, &temporal__api__common__v1__callback__nexus__descriptor);
    cb->nexus->url = "http://localhost:7243/cb";
    cb->nexus->n_header = 1;
    cb->nexus->header = sg_arena_alloc(a, sizeof *cb->nexus->header);
    cb->nexus->header[0] = new_msg(a, &temporal__api__common__v1__callback__nexus__header_entry__descriptor);
    cb->nexus->header[0]->key = "Authorization";
    cb->nexus->header[0]->value = "Bearer x";
    r->completion_callbacks[0] = cb;
    r->n_links = 1;
    r->links = sg_arena_alloc(a, sizeof *r->links);
    Temporal__Api__Common__V1__Link *link = new_msg(a, &temporal__api__common__v1__link__descriptor);
    link->variant_case = TEMPORAL__API__COMMON__V1__LINK__VARIANT_WORKFLOW_EVENT;
    link->workflow_event = new_msg(a, &temporal__api__common__v1__link__workflow_event__descriptor);
    link->workflow_event->namespace_ = "default";
    link->workflow_event->workflow_id = "parent";
    link->workflow_event->reference_case = TEMPORAL__API__COMMON__V1__LINK__WORKFLOW_EVENT__REFERENCE_EVENT_REF;
    link->workflow_event->event_ref = new_msg(a, &temporal__api__common__v1__link__workflow_event__event_reference__descriptor);
    link->workflow_event->event_ref->event_id = INT64_C(9007199254740993);
    link->workflow_event->event_ref->event_type = TEMPORAL__API__ENUMS__V1__EVENT_TYPE__EVENT_TYPE_WORKFLOW_EXECUTION_STARTED;
    r->links[0] = link;
    r->priority = new_msg(a, &temporal__api__common__v1__priority__descriptor);
    r->priority->priority_key = 3;
    r->priority->fairness_key = "tenant-a";
    r->priority->fairness_weight = 0.3f;
    return r;
}

SG_TEST(jsonpb_round_trips_a_start_workflow_request_through_pbjson)
{
    sg_arena a;
    sg_arena_init(&a);
    start_req *r = realistic_start(&a);
    check_round_trip(&r->base);
    /* The shorthand form is what Temporal's HTTP API shows, inputs as a bare array. */
    char *json = write_json(&r->base, 0, true);
    CHECK(strstr(json, "\"input\":[\"hello\",{\"qty\":42,\"price\":0.1,\"tags\":[\"a\",null,true]},null,-7]") != NULL);
    sg_free(json);
    /* Mixed payloads (one not shorthand) keep Payloads' object form. */
    r->input->payloads[2] = payload(&a, "binary/plain", "\x01", 1);
    check_round_trip(&r->base);
    check_round_trip(new_msg(&a, START_REQ));
    sg_arena_deinit(&a);
}

SG_TEST(jsonpb_round_trips_every_scalar_type_through_pbjson)
{
    setup();
    sg_arena a;
    sg_arena_init(&a);
    all_types *m = new_msg(&a, &all_types_descriptor);
    m->i32 = INT32_MIN;
    m->s32 = -1;
    m->sf32 = INT32_MAX;
    m->u32 = UINT32_MAX;
    m->f32 = 1;
    m->i64 = INT64_MIN;
    m->s64 = INT64_MAX;
    m->sf64 = -2;
    m->u64 = UINT64_MAX;
    m->f64 = 3;
    m->fl = 3.4028235e38f;
    m->db = 5e-324;
    m->b = 1;
    m->str = "\x01\x1f\"\\/\t\xe2\x80\xa8\xf0\x9f\x98\x80";
    m->by.data = (uint8_t *)"\x00\xfb\xff";
    m->by.len = 3;
    m->en = 99;
    m->has_opt = 1;
    m->opt = 0;
    int32_t ints[] = { 0, -1, 7 };
    m->n_rep_i32 = 3;
    m->rep_i32 = ints;
    char *strs[] = { "", "x" };
    m->n_rep_str = 2;
    m->rep_str = strs;
    m->pick_case = 21;
    m->pick_num = 0;
    counts_entry c1, c2;
    counts_entry_init(&c1.base);
    counts_entry_init(&c2.base);
    c1.key = -5;
    c1.value = 0;
    c2.key = INT64_MAX;
    c2.value = -1;
    counts_entry *counts[] = { &c1, &c2 };
    m->n_counts = 2;
    m->counts = counts;
    flags_entry fe;
    flags_entry_init(&fe.base);
    fe.key = 1;
    fe.value = "on";
    flags_entry *flags[] = { &fe };
    m->n_flags = 1;
    m->flags = flags;
    int enums[] = { 1, 0, 4 };
    m->n_rep_enum = 3;
    m->rep_enum = enums;
    check_round_trip(&m->base);
    m->fl = NAN;
    m->db = -INFINITY;
    m->pick_case = 20;
    m->pick_str = "";
    check_round_trip(&m->base);
    sg_arena_deinit(&a);
}

/* ---- URL path variables and query parameters ---- */

SG_TEST(jsonpb_set_path_sets_fields_from_strings)
{
    setup();
    sg_arena a;
    sg_arena_init(&a);
    const char *why = NULL;
    Temporal__Api__Workflowservice__V1__SignalWorkflowExecutionRequest *sig =
        new_msg(&a, &temporal__api__workflowservice__v1__signal_workflow_execution_request__descriptor);
    /* /api/v1/namespaces/{namespace}/workflows/{workflow_execution.workflow_id}/signal/{signal_name},
     * after the body {"input": ["x"]}. */
    CHECK_EQ_INT(sg_jsonpb_parse(&a, "{\"input\": [\"x\"]}", 16, &sig->base, &why), 0);
    CHECK_EQ_INT(sg_jsonpb_set_path(&a, &sig->base, "namespace", "default", &why), 0);
    CHECK_EQ_INT(sg_jsonpb_set_path(&a, &sig->base, "workflow_execution.workflow_id", "wf-1", &why), 0);
    CHECK_EQ_INT(sg_jsonpb_set_path(&a, &sig->base, "workflowExecution.runId", "r", &why), 0);
    CHECK_EQ_INT(sg_jsonpb_set_path(&a, &sig->base, "signal_name", "go \xc3\xa9", &why), 0);
    CHECK(why == NULL);
    CHECK_EQ_STR(sig->namespace_, "default");
    CHECK_EQ_STR(sig->workflow_execution->workflow_id, "wf-1");
    CHECK_EQ_STR(sig->workflow_execution->run_id, "r");
    CHECK_EQ_STR(sig->signal_name, "go \xc3\xa9");
    check_payload(sig->input->payloads[0], "json/plain", "\"x\"");

    /* ?pageSize=10&query=... or page_size=10. */
    Temporal__Api__Workflowservice__V1__ListWorkflowExecutionsRequest *list =
        new_msg(&a, &temporal__api__workflowservice__v1__list_workflow_executions_request__descriptor);
    CHECK_EQ_INT(sg_jsonpb_set_path(&a, &list->base, "pageSize", "10", &why), 0);
    CHECK_EQ_INT(list->page_size, 10);
    CHECK_EQ_INT(sg_jsonpb_set_path(&a, &list->base, "page_size", "20", &why), 0);
    CHECK_EQ_INT(list->page_size, 20);
    CHECK_EQ_INT(sg_jsonpb_set_path(&a, &list->base, "query", "WorkflowType = 'x'", &why), 0);
    CHECK_EQ_STR(list->query, "WorkflowType = 'x'");
    CHECK_EQ_INT(sg_jsonpb_set_path(&a, &list->base, "nextPageToken", "AAE", &why), 0);
    CHECK_EQ_INT(list->next_page_token.len, 2);
    CHECK_EQ_INT(sg_jsonpb_set_path(&a, &list->base, "pretty", "", &why), SG_ENOTFOUND);
    CHECK_EQ_STR(why, "unknown field \"pretty\" (in temporal.api.workflowservice.v1.ListWorkflowExecutionsRequest)");
    CHECK_EQ_INT(sg_jsonpb_set_path(&a, &list->base, "pageSize", "ten", &why), SG_EINVAL);
    check_why(why, "invalid value for field \"pageSize\": expected an int32");
    CHECK_EQ_INT(sg_jsonpb_set_path(&a, &list->base, "pageSize", "2147483648", &why), SG_EINVAL);
    CHECK_EQ_INT(sg_jsonpb_set_path(&a, &list->base, "query.x", "1", &why), SG_EINVAL);
    CHECK_EQ_STR(why, "invalid value for field \"query\": not a message, so it has no field \"x\"");
    CHECK_EQ_INT(sg_jsonpb_set_path(&a, &list->base, "", "1", &why), SG_ENOTFOUND);
    CHECK_EQ_INT(sg_jsonpb_set_path(&a, &list->base, "query", "\xff", &why), SG_EINVAL);
    check_why(why, "not valid UTF-8");

    /* Every type from a string. */
    all_types *m = new_msg(&a, &all_types_descriptor);
    static const struct {
        const char *path, *value;
    } sets[] = {
        { "int64Val", "-9223372036854775808" }, { "uint64_val", "18446744073709551615" }, { "floatVal", "1.5" },
        { "doubleVal", "NaN" }, { "boolVal", "t" }, { "enumVal", "AllowDuplicate" }, { "bytesVal", "aGk" },
        { "optVal", "0" }, { "repInt32", "1" }, { "repInt32", "2" }, { "repEnum", "3" },
        { "pickMsg.name", "n" },
    };
    for (size_t i = 0; i < SG_ARRAY_LEN(sets); i++) {
        int rc = sg_jsonpb_set_path(&a, &m->base, sets[i].path, sets[i].value, &why);
        if (rc)
            fprintf(stderr, "  %s=%s: %s\n", sets[i].path, sets[i].value, why);
        CHECK_EQ_INT(rc, 0);
    }
    CHECK(m->i64 == INT64_MIN && m->u64 == UINT64_MAX && m->fl == 1.5f && isnan(m->db) && m->b);
    CHECK_EQ_INT(m->en, 1);
    CHECK(m->by.len == 2 && memcmp(m->by.data, "hi", 2) == 0);
    CHECK(m->has_opt);
    CHECK(m->n_rep_i32 == 2 && m->rep_i32[0] == 1 && m->rep_i32[1] == 2);
    CHECK(m->n_rep_enum == 1 && m->rep_enum[0] == 3);
    CHECK_EQ_INT(m->pick_case, 22);
    CHECK_EQ_STR(m->pick_msg->name, "n");
    static const char *const bools[][2] = { { "1", "1" }, { "0", "0" }, { "TRUE", "1" }, { "False", "0" }, { "F", "0" } };
    for (size_t i = 0; i < SG_ARRAY_LEN(bools); i++) {
        CHECK_EQ_INT(sg_jsonpb_set_path(&a, &m->base, "bool_val", bools[i][0], &why), 0);
        CHECK_EQ_INT(m->b, bools[i][1][0] - '0');
    }
    CHECK_EQ_INT(sg_jsonpb_set_path(&a, &m->base, "boolVal", "yes", &why), SG_EINVAL);
    check_why(why, "expected true or false");
    CHECK_EQ_INT(sg_jsonpb_set_path(&a, &m->base, "pickStr", "s", &why), SG_EINVAL);
    check_why(why, "field \"pick_msg\" of the same oneof is set already");
    CHECK_EQ_INT(sg_jsonpb_set_path(&a, &m->base, "counts", "1", &why), SG_EINVAL);
    check_why(why, "a map cannot be set from a string");
    CHECK_EQ_INT(sg_jsonpb_set_path(&a, &m->base, "repString.x", "1", &why), SG_EINVAL);
    CHECK_EQ_INT(sg_jsonpb_set_path(&a, &m->base, "pickMsg.nope", "1", &why), SG_ENOTFOUND);
    CHECK_EQ_STR(why, "unknown field \"pickMsg.nope\" (in temporal.api.common.v1.WorkflowType)");

    /* Well-known types in their string forms. */
    Temporal__Api__Workflow__V1__WorkflowExecutionInfo *info =
        new_msg(&a, &temporal__api__workflow__v1__workflow_execution_info__descriptor);
    CHECK_EQ_INT(sg_jsonpb_set_path(&a, &info->base, "startTime", "2026-12-02T10:00:00Z", &why), 0);
    CHECK(info->start_time->seconds == 1796205600);
    CHECK_EQ_INT(sg_jsonpb_set_path(&a, &info->base, "execution_duration", "1.5s", &why), 0);
    CHECK(info->execution_duration->seconds == 1 && info->execution_duration->nanos == 500000000);
    CHECK_EQ_INT(sg_jsonpb_set_path(&a, &info->base, "startTime.nanos", "7", &why), 0);
    CHECK_EQ_INT(info->start_time->nanos, 7);
    CHECK_EQ_INT(sg_jsonpb_set_path(&a, &info->base, "startTime", "yesterday", &why), SG_EINVAL);
    check_why(why, "\"startTime\": expected an RFC 3339 timestamp");
    Google__Protobuf__FieldMask *fm = new_msg(&a, &google__protobuf__field_mask__descriptor);
    CHECK_EQ_INT(sg_jsonpb_set_path(&a, &fm->base, "paths", "a_b", &why), 0);
    CHECK(fm->n_paths == 1 && strcmp(fm->paths[0], "a_b") == 0);
    sg_arena_deinit(&a);
}

SG_TEST(jsonpb_parse_json_reads_a_tree_jansson_parsed)
{
    sg_arena a;
    sg_arena_init(&a);
    json_t *v = json_pack("{s:s, s:{s:s}, s:[i, s]}", "workflowId", "w", "workflowType", "name", "T", "input", 1, "x");
    CHECK(v != NULL);
    start_req *r = new_msg(&a, START_REQ);
    const char *why = NULL;
    CHECK_EQ_INT(sg_jsonpb_parse_json(&a, v, &r->base, &why), 0);
    json_decref(v);
    /* Nothing points into the freed tree. */
    CHECK_EQ_STR(r->workflow_id, "w");
    CHECK_EQ_STR(r->workflow_type->name, "T");
    check_payload(r->input->payloads[1], "json/plain", "\"x\"");
    sg_arena_deinit(&a);
}
