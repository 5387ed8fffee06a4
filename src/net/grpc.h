/* SPDX-License-Identifier: Apache-2.0 */
/* grpc.h: one incoming unary gRPC call, as the transport hands it to the RPC layer, plus the
 * wire helpers (timeouts, status codes, message encoding) the transport and tests share.
 *
 * Ownership: the transport creates a call when a request is complete and dispatches it; the
 * receiver must finish it exactly once with sg_grpc_call_respond or sg_grpc_call_fail, even if
 * the client has gone away meanwhile (then finishing only frees it). After finishing, the call
 * pointer is invalid. */
#ifndef SG_GRPC_H
#define SG_GRPC_H

#include "core/arena.h"
#include "core/base64.h"
#include "core/buf.h"

typedef struct sg_grpc_call sg_grpc_call;

/* gRPC status codes (https://grpc.github.io/grpc/core/md_doc_statuscodes.html). */
enum {
    SG_GRPC_OK = 0,
    SG_GRPC_CANCELLED = 1,
    SG_GRPC_UNKNOWN = 2,
    SG_GRPC_INVALID_ARGUMENT = 3,
    SG_GRPC_DEADLINE_EXCEEDED = 4,
    SG_GRPC_NOT_FOUND = 5,
    SG_GRPC_ALREADY_EXISTS = 6,
    SG_GRPC_PERMISSION_DENIED = 7,
    SG_GRPC_RESOURCE_EXHAUSTED = 8,
    SG_GRPC_FAILED_PRECONDITION = 9,
    SG_GRPC_ABORTED = 10,
    SG_GRPC_OUT_OF_RANGE = 11,
    SG_GRPC_UNIMPLEMENTED = 12,
    SG_GRPC_INTERNAL = 13,
    SG_GRPC_UNAVAILABLE = 14,
    SG_GRPC_DATA_LOSS = 15,
    SG_GRPC_UNAUTHENTICATED = 16,
};

/* ---- the call, as the RPC layer sees it ---- */

/* Full method path, e.g. "/temporal.api.workflowservice.v1.WorkflowService/GetSystemInfo". */
const char *sg_grpc_call_path(const sg_grpc_call *call);
/* The request message, decompressed, without the 5-byte prefix. Borrowed; valid until finish. */
const uint8_t *sg_grpc_call_msg(const sg_grpc_call *call, size_t *len);
/* Monotonic deadline in ms (sg_clock_mono_ms scale) from grpc-timeout, or 0 when none. */
int64_t sg_grpc_call_deadline_ms(const sg_grpc_call *call);
/* Value of a request header (lower-case name), or NULL. Only headers the transport keeps are
 * available: temporal-namespace, client-name, client-version. Borrowed. */
const char *sg_grpc_call_header(const sg_grpc_call *call, const char *name);
/* The per-call arena: request unpacking and reply packing allocate here. Freed at finish. */
sg_arena *sg_grpc_call_arena(sg_grpc_call *call);
/* True once the client cancelled or the connection closed; replies will be discarded. */
bool sg_grpc_call_is_cancelled(const sg_grpc_call *call);
/* Registers a callback run once if the client goes away before the call is finished (e.g. so a
 * long poll can release its slot at once). The callback may finish the call. */
typedef void (*sg_grpc_cancel_fn)(void *ud, sg_grpc_call *call);
void sg_grpc_call_on_cancel(sg_grpc_call *call, sg_grpc_cancel_fn fn, void *ud);

/* Finishes with status OK and the serialized reply msg (borrowed; copied). */
void sg_grpc_call_respond(sg_grpc_call *call, const uint8_t *msg, size_t len);
/* Finishes with a non-OK status, a human-readable message (borrowed; may be NULL) and an
 * optional serialized google.rpc.Status for grpc-status-details-bin (borrowed; may be NULL). */
void sg_grpc_call_fail(sg_grpc_call *call, int status, const char *message,
                       const uint8_t *details, size_t details_len);

/* ---- wire helpers (pure; unit tested) ---- */

/* Parses a grpc-timeout value ("<1-8 digits><H|M|S|m|u|n>") into milliseconds, rounding up
 * sub-millisecond values to 1. SG_EINVAL if malformed. */
int sg_grpc_parse_timeout(const char *s, int64_t *ms_out);
/* Appends s percent-encoded as the gRPC spec requires for grpc-message. */
void sg_grpc_percent_encode(sg_buf *out, const char *s);
/* Inflates a gzip member into out, failing with SG_ELIMIT if the result would exceed max
 * bytes and SG_EINVAL if the data is not valid gzip. */
int sg_gzip_inflate(sg_buf *out, const uint8_t *p, size_t n, size_t max);
/* Compresses p as one gzip member (for tests and the CLI). */
void sg_gzip_deflate(sg_buf *out, const uint8_t *p, size_t n);

#endif
