/* SPDX-License-Identifier: Apache-2.0 */
/* test_pbenc.c: the one-pass encoder (core/pbenc.c) writes exactly protobuf-c's bytes — for
 * proto3 and proto2 presence, oneofs, maps, packed and unpacked repeated fields, negative
 * int32s, every fixed-width type, unknown fields, messages larger than its first buffer, and
 * mutated encodings of all of them. */
#include "test.h"

#include "core/pbenc.h"
#include "core/sg.h"

#include "google/protobuf/descriptor.pb-c.h"
#include "sandglass/v1/state.pb-c.h"
#include "temporal/api/history/v1/message.pb-c.h"
#include "temporal/api/workflowservice/v1/request_response.pb-c.h"

#include <stdint.h>
#include <string.h>

typedef Temporal__Api__Common__V1__Payload payload_t;
typedef Temporal__Api__Common__V1__Payload__MetadataEntry meta_t;

/* Encodes m every way pbenc offers and checks each against protobuf_c_message_pack. */
static void check_same(const ProtobufCMessage *m)
{
    size_t want_len = protobuf_c_message_get_packed_size(m);
    uint8_t *want = malloc(want_len ? want_len : 1);
    CHECK_EQ_INT(protobuf_c_message_pack(m, want), want_len);

    size_t len = 12345;
    const uint8_t *got = sg_pb_encode(m, &len);
    CHECK_EQ_INT(len, want_len);
    CHECK(got != NULL);
    CHECK(memcmp(got, want, len) == 0);

    sg_buf b;
    sg_buf_init(&b);
    sg_buf_append(&b, "x", 1);
    CHECK_EQ_INT(sg_pb_encode_append(m, &b), want_len);
    CHECK_EQ_INT(b.len, want_len + 1);
    CHECK(memcmp(sg_buf_head(&b) + 1, want, want_len) == 0);
    sg_buf_deinit(&b);

    sg_arena a;
    sg_arena_init(&a);
    uint8_t *pa = sg_pb_encode_arena(m, &a, &len);
    CHECK_EQ_INT(len, want_len);
    CHECK(pa && memcmp(pa, want, len) == 0);
    sg_arena_deinit(&a);

    uint8_t *pm = sg_pb_encode_alloc(m, &len);
    CHECK_EQ_INT(len, want_len);
    CHECK(pm && memcmp(pm, want, len) == 0);
    sg_free(pm);
    free(want);
}

SG_TEST(pbenc_history_event_with_payloads_maps_oneof_and_negative_int32_matches_protobuf_c)
{
    meta_t enc = TEMPORAL__API__COMMON__V1__PAYLOAD__METADATA_ENTRY__INIT;
    enc.key = "encoding";
    enc.value = (ProtobufCBinaryData){ 9, (uint8_t *)"json/plain" };
    meta_t empty = TEMPORAL__API__COMMON__V1__PAYLOAD__METADATA_ENTRY__INIT;
    empty.key = ""; /* an empty key and value: still an entry on the wire */
    meta_t *metas[] = { &enc, &empty };
    payload_t p1 = TEMPORAL__API__COMMON__V1__PAYLOAD__INIT;
    p1.n_metadata = 2;
    p1.metadata = metas;
    p1.data = (ProtobufCBinaryData){ 7, (uint8_t *)"\"hello\"" };
    payload_t p2 = TEMPORAL__API__COMMON__V1__PAYLOAD__INIT; /* all default: an empty message */
    payload_t *ps[] = { &p1, &p2 };
    Temporal__Api__Common__V1__Payloads input = TEMPORAL__API__COMMON__V1__PAYLOADS__INIT;
    input.n_payloads = 2;
    input.payloads = ps;

    Temporal__Api__Common__V1__WorkflowType type = TEMPORAL__API__COMMON__V1__WORKFLOW_TYPE__INIT;
    type.name = "provisionTenant";
    Temporal__Api__Taskqueue__V1__TaskQueue tq = TEMPORAL__API__TASKQUEUE__V1__TASK_QUEUE__INIT;
    tq.name = "tenants";
    tq.kind = 2;
    Google__Protobuf__Duration run_timeout = GOOGLE__PROTOBUF__DURATION__INIT;
    run_timeout.seconds = 3600;
    run_timeout.nanos = -1; /* negative int32: ten bytes on the wire */
    Temporal__Api__Common__V1__RetryPolicy retry = TEMPORAL__API__COMMON__V1__RETRY_POLICY__INIT;
    retry.backoff_coefficient = 2.5;
    retry.maximum_attempts = -7;
    char *nonretry[] = { "Fatal", "", "x" }; /* "" in a repeated string: still an element */
    retry.n_non_retryable_error_types = 3;
    retry.non_retryable_error_types = nonretry;

    Temporal__Api__History__V1__WorkflowExecutionStartedEventAttributes at =
        TEMPORAL__API__HISTORY__V1__WORKFLOW_EXECUTION_STARTED_EVENT_ATTRIBUTES__INIT;
    at.workflow_type = &type;
    at.task_queue = &tq;
    at.input = &input;
    at.workflow_run_timeout = &run_timeout;
    at.retry_policy = &retry;
    at.attempt = 1;
    at.original_execution_run_id = "0190e7a4-0000-7000-8000-000000000001";
    at.identity = "";

    Google__Protobuf__Timestamp t = GOOGLE__PROTOBUF__TIMESTAMP__INIT;
    t.seconds = 1767225600;
    t.nanos = 120000000;
    Temporal__Api__History__V1__HistoryEvent ev = TEMPORAL__API__HISTORY__V1__HISTORY_EVENT__INIT;
    ev.event_id = 1;
    ev.event_time = &t;
    ev.event_type = TEMPORAL__API__ENUMS__V1__EVENT_TYPE__EVENT_TYPE_WORKFLOW_EXECUTION_STARTED;
    ev.task_id = 1ULL << 40;
    ev.worker_may_ignore = 1;
    ev.attributes_case =
        TEMPORAL__API__HISTORY__V1__HISTORY_EVENT__ATTRIBUTES_WORKFLOW_EXECUTION_STARTED_EVENT_ATTRIBUTES;
    ev.workflow_execution_started_event_attributes = &at;
    check_same(&ev.base);

    /* The oneof's case names another member: nothing of it is written. */
    ev.attributes_case = TEMPORAL__API__HISTORY__V1__HISTORY_EVENT__ATTRIBUTES__NOT_SET;
    check_same(&ev.base);

    /* An empty message is zero bytes, and still a valid pointer. */
    Temporal__Api__History__V1__HistoryEvent none = TEMPORAL__API__HISTORY__V1__HISTORY_EVENT__INIT;
    size_t len = 99;
    CHECK(sg_pb_encode(&none.base, &len) != NULL);
    CHECK_EQ_INT(len, 0);
    check_same(&none.base);
}

SG_TEST(pbenc_proto2_optional_required_packed_and_fixed_width_fields_match_protobuf_c)
{
    Google__Protobuf__UninterpretedOption__NamePart np1 =
        GOOGLE__PROTOBUF__UNINTERPRETED_OPTION__NAME_PART__INIT;
    np1.name_part = "opt";
    np1.is_extension = 0; /* required: written although false */
    Google__Protobuf__UninterpretedOption__NamePart np2 =
        GOOGLE__PROTOBUF__UNINTERPRETED_OPTION__NAME_PART__INIT;
    np2.name_part = NULL; /* a required string left NULL: written empty */
    np2.is_extension = 1;
    Google__Protobuf__UninterpretedOption__NamePart *nps[] = { &np1, &np2 };
    Google__Protobuf__UninterpretedOption uo = GOOGLE__PROTOBUF__UNINTERPRETED_OPTION__INIT;
    uo.n_name = 2;
    uo.name = nps;
    uo.has_positive_int_value = 1;
    uo.positive_int_value = UINT64_MAX;
    uo.has_negative_int_value = 1;
    uo.negative_int_value = INT64_MIN;
    uo.has_double_value = 1;
    uo.double_value = -0.0;
    uo.has_string_value = 0; /* not set: its bytes are ignored */
    uo.string_value = (ProtobufCBinaryData){ 3, (uint8_t *)"abc" };
    uo.aggregate_value = "{ a: 1 }";
    check_same(&uo.base);

    Google__Protobuf__FieldOptions fo = GOOGLE__PROTOBUF__FIELD_OPTIONS__INIT;
    fo.has_packed = 1;
    fo.packed = 0; /* set to false: written */
    fo.has_deprecated = 0;
    fo.deprecated = 1; /* not set: ignored */
    Google__Protobuf__UninterpretedOption *uos[] = { &uo, &uo };
    fo.n_uninterpreted_option = 2;
    fo.uninterpreted_option = uos;
    Google__Protobuf__FieldDescriptorProto fd = GOOGLE__PROTOBUF__FIELD_DESCRIPTOR_PROTO__INIT;
    fd.name = "amount";
    fd.has_number = 1;
    fd.number = -3;
    fd.has_label = 1;
    fd.label = GOOGLE__PROTOBUF__FIELD_DESCRIPTOR_PROTO__LABEL__LABEL_REPEATED;
    fd.has_oneof_index = 1;
    fd.oneof_index = 0;
    fd.options = &fo;
    Google__Protobuf__FieldDescriptorProto *fds[] = { &fd };

    int32_t path[] = { 4, 0, 2, -1, 300, INT32_MIN, INT32_MAX };
    int32_t span[] = { 0 };
    Google__Protobuf__SourceCodeInfo__Location loc = GOOGLE__PROTOBUF__SOURCE_CODE_INFO__LOCATION__INIT;
    loc.n_path = sizeof path / sizeof path[0];
    loc.path = path;
    loc.n_span = 1;
    loc.span = span;
    loc.leading_comments = "";
    Google__Protobuf__SourceCodeInfo__Location *locs[] = { &loc };
    Google__Protobuf__SourceCodeInfo sci = GOOGLE__PROTOBUF__SOURCE_CODE_INFO__INIT;
    sci.n_location = 1;
    sci.location = locs;

    Google__Protobuf__DescriptorProto dp = GOOGLE__PROTOBUF__DESCRIPTOR_PROTO__INIT;
    dp.name = "Order";
    dp.n_field = 1;
    dp.field = fds;
    Google__Protobuf__DescriptorProto empty_dp = GOOGLE__PROTOBUF__DESCRIPTOR_PROTO__INIT;
    Google__Protobuf__DescriptorProto *dps[] = { &dp, &empty_dp }; /* an empty element: tag and 0 */
    int32_t deps[] = { 1, 0, 129 };
    Google__Protobuf__FileDescriptorProto f = GOOGLE__PROTOBUF__FILE_DESCRIPTOR_PROTO__INIT;
    f.name = "order.proto";
    f.n_message_type = 2;
    f.message_type = dps;
    f.n_public_dependency = 3; /* proto2 repeated int32, not packed */
    f.public_dependency = deps;
    f.source_code_info = &sci;
    check_same(&f.base);
}

/* A message holding fields it does not know keeps them, and writes them back last. */
SG_TEST(pbenc_unknown_fields_of_every_wire_type_match_protobuf_c)
{
    uint8_t wire[] = {
        0x0a, 0x03, 'a', 'b', 'c',                      /* 1: workflow_id, known */
        0xc8, 0x3e, 0x96, 0x01,                         /* 1001: varint 150 */
        0xd1, 0x3e, 1, 2, 3, 4, 5, 6, 7, 8,             /* 1002: 64-bit */
        0xda, 0x3e, 0x02, 'h', 'i',                     /* 1003: length-delimited */
        0xe5, 0x3e, 9, 9, 9, 9,                         /* 1004: 32-bit */
        0x12, 0x01, 'r',                                /* 2: run_id, known, after them */
    };
    Temporal__Api__Common__V1__WorkflowExecution *we =
        temporal__api__common__v1__workflow_execution__unpack(NULL, sizeof wire, wire);
    CHECK(we != NULL);
    CHECK_EQ_INT(we->base.n_unknown_fields, 4);
    check_same(&we->base);
    temporal__api__common__v1__workflow_execution__free_unpacked(we, NULL);
}

/* Bigger than the scratch buffer's first allocation, then small, then big again: each time
 * the bytes are right (the buffer grows by moving what it has written). */
SG_TEST(pbenc_large_messages_grow_the_buffer_and_small_ones_reuse_it)
{
    size_t big = 300 * 1024;
    uint8_t *data = malloc(big);
    for (size_t i = 0; i < big; i++)
        data[i] = (uint8_t)(i * 131 + 7);
    payload_t p = TEMPORAL__API__COMMON__V1__PAYLOAD__INIT;
    p.data = (ProtobufCBinaryData){ big, data };
    payload_t *ps[64];
    for (size_t i = 0; i < 64; i++)
        ps[i] = &p;
    Temporal__Api__Common__V1__Payloads many = TEMPORAL__API__COMMON__V1__PAYLOADS__INIT;
    many.n_payloads = 64; /* about 19 MB: past the size the scratch buffer keeps */
    many.payloads = ps;
    check_same(&many.base);
    many.n_payloads = 1;
    check_same(&many.base);
    p.data.len = 3;
    check_same(&many.base);
    p.data.len = big;
    many.n_payloads = 5;
    check_same(&many.base);
    free(data);
}

/* Mutated encodings of real messages, read back by protobuf-c as several types: whatever it
 * accepts (unknown fields, odd lengths, default values) pbenc writes as it does. */
SG_TEST(pbenc_mutated_encodings_read_as_several_types_match_protobuf_c)
{
    static const ProtobufCMessageDescriptor *const types[] = {
        &temporal__api__history__v1__history_event__descriptor,
        &sandglass__v1__mutable_state__descriptor,
        &temporal__api__workflowservice__v1__poll_workflow_task_queue_response__descriptor,
        &google__protobuf__file_descriptor_proto__descriptor,
        &temporal__api__workflowservice__v1__start_workflow_execution_request__descriptor,
    };
    /* Seeds: a history event and a file descriptor, as above but built small. */
    Temporal__Api__Common__V1__WorkflowType type = TEMPORAL__API__COMMON__V1__WORKFLOW_TYPE__INIT;
    type.name = "t";
    Temporal__Api__History__V1__WorkflowExecutionStartedEventAttributes at =
        TEMPORAL__API__HISTORY__V1__WORKFLOW_EXECUTION_STARTED_EVENT_ATTRIBUTES__INIT;
    at.workflow_type = &type;
    at.attempt = -2;
    Temporal__Api__History__V1__HistoryEvent ev = TEMPORAL__API__HISTORY__V1__HISTORY_EVENT__INIT;
    ev.event_id = 5;
    ev.attributes_case =
        TEMPORAL__API__HISTORY__V1__HISTORY_EVENT__ATTRIBUTES_WORKFLOW_EXECUTION_STARTED_EVENT_ATTRIBUTES;
    ev.workflow_execution_started_event_attributes = &at;
    int32_t path[] = { 1, -1, 2 };
    Google__Protobuf__SourceCodeInfo__Location loc = GOOGLE__PROTOBUF__SOURCE_CODE_INFO__LOCATION__INIT;
    loc.n_path = 3;
    loc.path = path;
    Google__Protobuf__SourceCodeInfo__Location *locs[] = { &loc };
    Google__Protobuf__SourceCodeInfo sci = GOOGLE__PROTOBUF__SOURCE_CODE_INFO__INIT;
    sci.n_location = 1;
    sci.location = locs;
    Google__Protobuf__FileDescriptorProto f = GOOGLE__PROTOBUF__FILE_DESCRIPTOR_PROTO__INIT;
    f.name = "x.proto";
    f.source_code_info = &sci;
    const ProtobufCMessage *seeds[] = { &ev.base, &f.base };

    uint64_t rng = 0x9e3779b97f4a7c15ULL;
    int accepted = 0;
    for (int iter = 0; iter < 4000; iter++) {
        const ProtobufCMessage *seed = seeds[iter % 2];
        size_t n = protobuf_c_message_get_packed_size(seed);
        uint8_t buf[512];
        CHECK(n <= sizeof buf);
        protobuf_c_message_pack(seed, buf);
        int flips = 1 + iter % 3;
        for (int k = 0; k < flips; k++) {
            rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
            buf[(rng >> 33) % n] = (uint8_t)(rng >> 17);
        }
        for (size_t t = 0; t < sizeof types / sizeof types[0]; t++) {
            ProtobufCMessage *m = protobuf_c_message_unpack(types[t], NULL, n, buf);
            if (!m)
                continue;
            accepted++;
            check_same(m);
            protobuf_c_message_free_unpacked(m, NULL);
        }
    }
    CHECK(accepted > 1000); /* the loop compared many messages, not a handful */
}
