/* SPDX-License-Identifier: Apache-2.0 */
/* call.c: answering an RPC — status mapping, google.rpc.Status details, and holding the
 * answer until the group commit it depends on is durable. */
#include "rpc/call.h"

#include "core/metrics.h"

#include "core/pbenc.h"
#include "core/pbwire.h"

#include "core/log.h"
#include "rpc/frontend.h"
#include "store/txn.h"

#include "google/protobuf/any.pb-c.h"
#include "google/rpc/status.pb-c.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int sg_call_grpc_status(int err)
{
    switch (err) {
    case SG_EINVAL: return SG_GRPC_INVALID_ARGUMENT;
    case SG_ENOTFOUND: return SG_GRPC_NOT_FOUND;
    case SG_EEXIST: return SG_GRPC_ALREADY_EXISTS;
    case SG_EPRECOND: return SG_GRPC_FAILED_PRECONDITION;
    case SG_ELIMIT: return SG_GRPC_RESOURCE_EXHAUSTED;
    case SG_EIO: return SG_GRPC_UNAVAILABLE;
    case SG_EBUSY: return SG_GRPC_UNAVAILABLE;
    case SG_ENOTSUP: return SG_GRPC_UNIMPLEMENTED;
    case SG_ECANCELED: return SG_GRPC_CANCELLED;
    case SG_ETIMEDOUT: return SG_GRPC_DEADLINE_EXCEEDED;
    case SG_EPERM: return SG_GRPC_PERMISSION_DENIED;
    case SG_ECORRUPT: return SG_GRPC_DATA_LOSS;
    default: return SG_GRPC_INTERNAL;
    }
}

const char *sg_call_method_name(const sg_call *call)
{
    return call->method->name;
}

const char *sg_call_header(const sg_call *call, const char *name)
{
    return call->g ? sg_grpc_call_header(call->g, name) : NULL;
}

int64_t sg_call_deadline_ms(const sg_call *call)
{
    return call->g ? sg_grpc_call_deadline_ms(call->g) : 0;
}

void sg_call_on_cancel(sg_call *call, sg_grpc_cancel_fn fn, void *ud)
{
    if (call->g)
        sg_grpc_call_on_cancel(call->g, fn, ud);
}

static void send_now(sg_call *call)
{
    sg_metrics_rpc(call->method->name, call->status, (double)(uv_hrtime() - call->dispatched_ns) / 1e9);
    if (call->sink)
        call->sink->respond(call->sink->ud, call);
    else if (call->status == SG_GRPC_OK)
        sg_grpc_call_respond(call->g, call->body, call->body_len);
    else
        sg_grpc_call_fail(call->g, call->status, call->message, call->details, call->details_len);
}

static void on_batch_done(void *ud, int rc)
{
    sg_call *call = ud;
    if (rc < 0) {
        call->status = SG_GRPC_UNAVAILABLE;
        call->message = sg_arena_printf(call->arena,
                                        "storage commit failed (%s); the request was not applied, "
                                        "retry it",
                                        sg_strerror(rc));
        call->details = NULL;
        call->details_len = 0;
    }
    send_now(call);
}

static void finish(sg_call *call)
{
    sg_txn_on_commit(sg_frontend_txn(call->fe), on_batch_done, call);
}

void sg_call_reply(sg_call *call, const ProtobufCMessage *msg)
{
    call->status = SG_GRPC_OK;
    call->body = sg_pb_encode_arena(msg, call->arena, &call->body_len);
    finish(call);
}

void sg_call_reply_bytes(sg_call *call, const uint8_t *bytes, size_t len)
{
    call->status = SG_GRPC_OK;
    call->body = sg_arena_memdup(call->arena, bytes, len);
    call->body_len = len;
    finish(call);
}

void sg_call_reply_spliced(sg_call *call, const ProtobufCMessage *msg, uint32_t field,
                           const uint8_t *bytes, size_t len)
{
    size_t head;
    const uint8_t *packed = sg_pb_encode(msg, &head);
    uint8_t prefix[SG_PB_LEN_HEADER_MAX];
    size_t k = sg_pb_len_header(prefix, field, len);
    call->status = SG_GRPC_OK;
    call->body_len = head + k + len;
    call->body = sg_arena_alloc(call->arena, call->body_len);
    memcpy(call->body, packed, head);
    memcpy(call->body + head, prefix, k);
    if (len)
        memcpy(call->body + head + k, bytes, len);
    finish(call);
}

void sg_call_reply_fields(sg_call *call, const ProtobufCMessage *msg, const uint8_t *fields,
                          size_t len)
{
    size_t head;
    const uint8_t *packed = sg_pb_encode(msg, &head);
    call->status = SG_GRPC_OK;
    call->body_len = head + len;
    call->body = sg_arena_alloc(call->arena, call->body_len ? call->body_len : 1);
    memcpy(call->body, packed, head);
    if (len)
        memcpy(call->body + head, fields, len);
    finish(call);
}

static void fail_v(sg_call *call, int err, const ProtobufCMessage *detail, const char *fmt,
                   va_list ap)
{
    char msg[1024];
    vsnprintf(msg, sizeof msg, fmt, ap);
    call->status = sg_call_grpc_status(err);
    call->message = sg_arena_strdup(call->arena, msg);
    if (call->status == SG_GRPC_INTERNAL || call->status == SG_GRPC_DATA_LOSS)
        sg_log_error("%s failed: %s (%s)", call->method->name, msg, sg_strerror(err));
    else
        sg_log_debug("%s failed: %s (%s)", call->method->name, msg, sg_strerror(err));
    if (detail) {
        Google__Protobuf__Any any = GOOGLE__PROTOBUF__ANY__INIT;
        any.type_url = sg_arena_printf(call->arena, "type.googleapis.com/%s",
                                       detail->descriptor->name);
        any.value.len = protobuf_c_message_get_packed_size(detail);
        any.value.data = sg_arena_alloc(call->arena, any.value.len);
        protobuf_c_message_pack(detail, any.value.data);
        Google__Protobuf__Any *anys[] = { &any };
        Google__Rpc__Status st = GOOGLE__RPC__STATUS__INIT;
        st.code = call->status;
        st.message = call->message;
        st.n_details = 1;
        st.details = anys;
        call->details_len = protobuf_c_message_get_packed_size(&st.base);
        call->details = sg_arena_alloc(call->arena, call->details_len);
        protobuf_c_message_pack(&st.base, call->details);
    }
    finish(call);
}

void sg_call_fail(sg_call *call, int err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fail_v(call, err, NULL, fmt, ap);
    va_end(ap);
}

void sg_call_fail_detail(sg_call *call, int err, const ProtobufCMessage *detail,
                         const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fail_v(call, err, detail, fmt, ap);
    va_end(ap);
}
