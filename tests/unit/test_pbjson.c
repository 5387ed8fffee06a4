/* SPDX-License-Identifier: Apache-2.0 */
/* test_pbjson.c: the CLI's proto3 JSON (cli/pbjson.c) — names, enums, 64-bit integers,
 * timestamps, durations, bytes, maps and Temporal's payload shorthand. */
#include "test.h"

#include "core/pbjson.h"

#include "temporal/api/workflow/v1/message.pb-c.h"

#include <stdio.h>
#include <string.h>

static char *json(const ProtobufCMessage *m, int indent, bool shorthand)
{
    sg_buf b;
    sg_buf_init(&b);
    sg_pbjson_opts o = { indent, shorthand };
    sg_pbjson_write(&b, m, &o);
    sg_buf_append(&b, "", 1);
    size_t n;
    return (char *)sg_buf_take(&b, &n);
}

SG_TEST(pbjson_workflow_execution_info_as_temporal_cli_prints_it)
{
    Temporal__Api__Common__V1__WorkflowExecution we = TEMPORAL__API__COMMON__V1__WORKFLOW_EXECUTION__INIT;
    we.workflow_id = "wf \"1\"\n";
    we.run_id = "";
    Google__Protobuf__Timestamp start = GOOGLE__PROTOBUF__TIMESTAMP__INIT;
    start.seconds = 1767225600; /* 2026-01-01T00:00:00Z */
    start.nanos = 120000000;
    Google__Protobuf__Duration dur = GOOGLE__PROTOBUF__DURATION__INIT;
    dur.seconds = 1;
    dur.nanos = 500000000;
    /* memo: one JSON payload (shorthand) and one binary (kept as metadata + base64 data). */
    uint8_t json_data[] = "{\"a\":1}";
    ProtobufCBinaryData enc_json = { 10, (uint8_t *)"json/plain" };
    ProtobufCBinaryData enc_bin = { 10, (uint8_t *)"binary/raw" };
    Temporal__Api__Common__V1__Payload__MetadataEntry m1 = TEMPORAL__API__COMMON__V1__PAYLOAD__METADATA_ENTRY__INIT;
    m1.key = "encoding";
    m1.value = enc_json;
    Temporal__Api__Common__V1__Payload__MetadataEntry m2 = TEMPORAL__API__COMMON__V1__PAYLOAD__METADATA_ENTRY__INIT;
    m2.key = "encoding";
    m2.value = enc_bin;
    Temporal__Api__Common__V1__Payload__MetadataEntry *md1[] = { &m1 }, *md2[] = { &m2 };
    Temporal__Api__Common__V1__Payload p1 = TEMPORAL__API__COMMON__V1__PAYLOAD__INIT;
    p1.n_metadata = 1;
    p1.metadata = md1;
    p1.data = (ProtobufCBinaryData){ 7, json_data };
    Temporal__Api__Common__V1__Payload p2 = TEMPORAL__API__COMMON__V1__PAYLOAD__INIT;
    p2.n_metadata = 1;
    p2.metadata = md2;
    p2.data = (ProtobufCBinaryData){ 2, (uint8_t *)"\xff\x01" };
    Temporal__Api__Common__V1__Memo__FieldsEntry f1 = TEMPORAL__API__COMMON__V1__MEMO__FIELDS_ENTRY__INIT;
    f1.key = "j";
    f1.value = &p1;
    Temporal__Api__Common__V1__Memo__FieldsEntry f2 = TEMPORAL__API__COMMON__V1__MEMO__FIELDS_ENTRY__INIT;
    f2.key = "b";
    f2.value = &p2;
    Temporal__Api__Common__V1__Memo__FieldsEntry *fields[] = { &f1, &f2 };
    Temporal__Api__Common__V1__Memo memo = TEMPORAL__API__COMMON__V1__MEMO__INIT;
    memo.n_fields = 2;
    memo.fields = fields;
    Temporal__Api__Workflow__V1__WorkflowExecutionInfo info = TEMPORAL__API__WORKFLOW__V1__WORKFLOW_EXECUTION_INFO__INIT;
    info.execution = &we;
    info.start_time = &start;
    info.status = TEMPORAL__API__ENUMS__V1__WORKFLOW_EXECUTION_STATUS__WORKFLOW_EXECUTION_STATUS_RUNNING;
    info.history_length = -3;
    info.execution_duration = &dur;
    info.memo = &memo;
    info.task_queue = "";
    char *s = json(&info.base, 0, true);
    CHECK_EQ_STR(s, "{\"execution\":{\"workflowId\":\"wf \\\"1\\\"\\n\"},"
                    "\"startTime\":\"2026-01-01T00:00:00.120Z\","
                    "\"status\":\"WORKFLOW_EXECUTION_STATUS_RUNNING\",\"historyLength\":\"-3\","
                    "\"memo\":{\"fields\":{\"j\":{\"a\":1},"
                    "\"b\":{\"metadata\":{\"encoding\":\"YmluYXJ5L3Jhdw==\"},\"data\":\"/wE=\"}}},"
                    "\"executionDuration\":\"1.500s\"}");
    sg_free(s);
    /* Without shorthand the JSON payload keeps its wire form too; indent 2 pretty-prints. */
    s = json(&p1.base, 2, false);
    CHECK_EQ_STR(s, "{\n  \"metadata\": {\n    \"encoding\": \"anNvbi9wbGFpbg==\"\n  },\n  \"data\": \"eyJhIjoxfQ==\"\n}");
    sg_free(s);
    /* An enum value the descriptor does not know prints as its number. */
    info.status = 99;
    info.memo = NULL;
    s = json(&info.base, 0, true);
    CHECK(strstr(s, "\"status\":99") != NULL);
    sg_free(s);
}

SG_TEST(pbjson_valid_accepts_json_values_and_nothing_else)
{
    static const char *const good[] = { "1", "-0.5e+3", "\"a\\u00e9\\n\"", "true", "null", "[]",
                                        " { \"a\" : [1, {\"b\": false}] } ", "\"\xc3\xa9\"" };
    static const char *const bad[] = { "", "{", "[1,]", "{\"a\"}", "01", "1.", "tru", "\"\x01\"",
                                       "\"\\x\"", "1 2", "{a:1}", "'x'", "NaN" };
    for (size_t i = 0; i < SG_ARRAY_LEN(good); i++)
        CHECK(sg_pbjson_valid(good[i], strlen(good[i])));
    for (size_t i = 0; i < SG_ARRAY_LEN(bad); i++) {
        if (sg_pbjson_valid(bad[i], strlen(bad[i])))
            fprintf(stderr, "  accepted: %s\n", bad[i]);
        CHECK(!sg_pbjson_valid(bad[i], strlen(bad[i])));
    }
    /* Nesting is bounded (the CLI reads what a user or a server hands it). */
    char deep[402];
    memset(deep, '[', 201);
    memset(deep + 201, ']', 201);
    CHECK(!sg_pbjson_valid(deep, 402));
}

SG_TEST(pbjson_flatten_prints_a_line_per_leaf)
{
    Temporal__Api__Common__V1__WorkflowExecution we = TEMPORAL__API__COMMON__V1__WORKFLOW_EXECUTION__INIT;
    we.workflow_id = "wf";
    we.run_id = "r";
    Google__Protobuf__Timestamp t = GOOGLE__PROTOBUF__TIMESTAMP__INIT;
    t.seconds = 1767225600;
    Temporal__Api__Workflow__V1__WorkflowExecutionInfo info = TEMPORAL__API__WORKFLOW__V1__WORKFLOW_EXECUTION_INFO__INIT;
    info.execution = &we;
    info.start_time = &t;
    info.history_length = 4;
    sg_buf b;
    sg_buf_init(&b);
    sg_pbjson_flatten(&b, &info.base, NULL);
    sg_buf_append(&b, "", 1);
    CHECK_EQ_STR((const char *)sg_buf_head(&b), "execution.workflowId: \"wf\"\n"
                                               "execution.runId: \"r\"\n"
                                               "startTime: \"2026-01-01T00:00:00Z\"\n"
                                               "historyLength: \"4\"\n");
    sg_buf_deinit(&b);
}

/* RFC 3339 as protojson writes Timestamps: four-digit years (the years before 1000 too), and a
 * fraction of 0, 3, 6 or 9 digits. */
SG_TEST(pbjson_rfc3339_pads_years_and_fractions)
{
    static const struct {
        int64_t s;
        int32_t ns;
        const char *want;
    } cases[] = {
        { 1767225600, 0, "2026-01-01T00:00:00Z" },
        { -61339939200, 0, "0026-03-20T00:00:00Z" },
        { -62135596800, 0, "0001-01-01T00:00:00Z" },
        { -30610224001, 0, "0999-12-31T23:59:59Z" },
        { 253402300799, 999000000, "9999-12-31T23:59:59.999Z" },
        { 0, 1000, "1970-01-01T00:00:00.000001Z" },
        { 0, 1, "1970-01-01T00:00:00.000000001Z" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        sg_buf b;
        sg_buf_init(&b);
        sg_pbjson_rfc3339(&b, cases[i].s, cases[i].ns);
        sg_buf_append(&b, "", 1);
        CHECK_EQ_STR((const char *)sg_buf_head(&b), cases[i].want);
        sg_buf_deinit(&b);
    }
}
