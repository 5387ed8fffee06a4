/* SPDX-License-Identifier: Apache-2.0 */
/* call.h: one RPC in flight, as handlers see it — the request's arena, the frontend it runs
 * in, and the only way to answer (reply or fail). Also the only place that maps SG_E* codes to
 * gRPC statuses.
 *
 * Replies wait for the open group-commit batch (store/txn.h): whatever a handler read or wrote
 * may belong to a batch that has not committed yet, so no answer leaves before the commit; if
 * the commit fails, every waiting call gets UNAVAILABLE instead of its answer. */
#ifndef SG_CALL_H
#define SG_CALL_H

#include "core/arena.h"
#include "net/grpc.h"

#include <protobuf-c/protobuf-c.h>

typedef struct sg_frontend sg_frontend;

struct sg_call;
/* Where an answer goes when the call did not come over gRPC (the HTTP API): respond reads the
 * call's status, body, message and details. */
typedef struct sg_call_sink {
    void (*respond)(void *ud, struct sg_call *call);
    void *ud;
} sg_call_sink;

typedef struct sg_call {
    sg_grpc_call *g;                          /* NULL for a call with a sink */
    const sg_call_sink *sink;
    sg_frontend *fe;
    sg_arena *arena;                          /* the request's arena (borrowed from g) */
    const ProtobufCMethodDescriptor *method;
    uint64_t dispatched_ns;                   /* uv_hrtime at dispatch (latency metric) */
    /* answer kept until the batch commits */
    int status;                               /* gRPC status */
    uint8_t *body;
    size_t body_len;
    char *message;
    uint8_t *details;
    size_t details_len;
} sg_call;

/* Maps an SG_E* code to its gRPC status. */
int sg_call_grpc_status(int err);
/* Answers OK with msg (borrowed; packed into the arena). Finishes the call. */
void sg_call_reply(sg_call *call, const ProtobufCMessage *msg);
/* Answers OK with an already serialized message (borrowed; copied). Finishes the call. */
void sg_call_reply_bytes(sg_call *call, const uint8_t *bytes, size_t len);
/* Answers OK with msg (borrowed) followed by a length-delimited field `field` holding bytes
 * (borrowed): how stored history is spliced into a reply without decoding it. msg must leave
 * that field unset. Finishes the call. */
void sg_call_reply_spliced(sg_call *call, const ProtobufCMessage *msg, uint32_t field,
                           const uint8_t *bytes, size_t len);
/* Answers OK with msg (borrowed) followed by already serialized fields (complete tag + value
 * entries, e.g. stored rows of a repeated message field; borrowed) that msg leaves unset. */
void sg_call_reply_fields(sg_call *call, const ProtobufCMessage *msg, const uint8_t *fields,
                          size_t len);
/* Answers with the status for err (negative SG_E*) and a printf message. Finishes the call. */
void sg_call_fail(sg_call *call, int err, const char *fmt, ...) SG_PRINTF(3, 4);
/* As sg_call_fail, also attaching detail (borrowed) in grpc-status-details-bin as
 * google.rpc.Status.details[0], the way Temporal's typed errors travel. */
void sg_call_fail_detail(sg_call *call, int err, const ProtobufCMessage *detail,
                         const char *fmt, ...) SG_PRINTF(4, 5);
/* The transport's view of the call, whichever it came over: a request header (gRPC only), the
 * monotonic deadline (0: none), and a callback for a client that goes away (gRPC only). */
const char *sg_call_header(const sg_call *call, const char *name);
int64_t sg_call_deadline_ms(const sg_call *call);
void sg_call_on_cancel(sg_call *call, sg_grpc_cancel_fn fn, void *ud);
/* Short method name, e.g. "DescribeNamespace". */
const char *sg_call_method_name(const sg_call *call);

#endif
