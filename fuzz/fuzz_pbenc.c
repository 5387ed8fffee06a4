/* SPDX-License-Identifier: Apache-2.0 */
/* fuzz_pbenc.c: libFuzzer target for the one-pass encoder (core/pbenc.c), which writes every
 * stored event, run state and reply: its bytes must be exactly protobuf-c's.
 *
 * Input: the first byte picks a message type (history events and replies, the run state, a
 * request, a schedule record, and descriptor.proto's proto2 messages for required, optional
 * and unpacked repeated fields); the rest is unpacked as it. When protobuf-c accepts it (with
 * whatever unknown fields, odd lengths and defaults it kept), sg_pb_encode, sg_pb_encode_field
 * and protobuf_c_message_pack must agree byte for byte. */
#include "core/pbenc.h"
#include "core/pbwire.h"
#include "core/sg.h"

#include "google/protobuf/descriptor.pb-c.h"
#include "sandglass/v1/schedule.pb-c.h"
#include "sandglass/v1/state.pb-c.h"
#include "temporal/api/history/v1/message.pb-c.h"
#include "temporal/api/workflowservice/v1/request_response.pb-c.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    static const ProtobufCMessageDescriptor *const types[] = {
        &temporal__api__workflowservice__v1__get_workflow_execution_history_response__descriptor,
        &temporal__api__workflowservice__v1__describe_workflow_execution_response__descriptor,
        &temporal__api__workflowservice__v1__list_workflow_executions_response__descriptor,
        &temporal__api__workflowservice__v1__count_workflow_executions_response__descriptor,
        &temporal__api__history__v1__history_event__descriptor,
        &sandglass__v1__mutable_state__descriptor,
        &sandglass__v1__schedule_record__descriptor,
        &temporal__api__workflowservice__v1__poll_workflow_task_queue_response__descriptor,
        &temporal__api__workflowservice__v1__respond_workflow_task_completed_request__descriptor,
        &temporal__api__workflowservice__v1__start_workflow_execution_request__descriptor,
        &google__protobuf__file_descriptor_set__descriptor,
        &google__protobuf__uninterpreted_option__descriptor,
    };
    const ProtobufCMessageDescriptor *d = types[data[0] % (sizeof types / sizeof types[0])];
    ProtobufCMessage *m = protobuf_c_message_unpack(d, NULL, size - 1, data + 1);
    if (!m)
        return 0;
    size_t want_len = protobuf_c_message_get_packed_size(m);
    uint8_t *want = sg_malloc(want_len ? want_len : 1);
    if (protobuf_c_message_pack(m, want) != want_len)
        abort();
    size_t len;
    const uint8_t *got = sg_pb_encode(m, &len);
    if (len != want_len || memcmp(got, want, len) != 0)
        abort();
    /* As a field: the header protobuf-c's users write by hand, then the same bytes. */
    sg_buf b;
    sg_buf_init(&b);
    sg_pb_encode_field(&b, 7, m);
    uint8_t head[SG_PB_LEN_HEADER_MAX];
    size_t h = sg_pb_len_header(head, 7, want_len);
    if (b.len != h + want_len || memcmp(sg_buf_head(&b), head, h) != 0 ||
        memcmp(sg_buf_head(&b) + h, want, want_len) != 0)
        abort();
    sg_buf_deinit(&b);
    sg_free(want);
    protobuf_c_message_free_unpacked(m, NULL);
    return 0;
}
