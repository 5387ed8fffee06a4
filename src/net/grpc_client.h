/* SPDX-License-Identifier: Apache-2.0 */
/* grpc_client.h: a small blocking gRPC client over cleartext HTTP/2 (h2c, prior knowledge),
 * for the `sandglass` CLI commands and for tests that talk to a running server.
 *
 * One client is one TCP connection; it is not thread-safe. Calls are unary. Several calls may
 * be in flight on one connection: sg_grpc_client_start() queues a request and
 * sg_grpc_client_wait() drives the connection until that request's response is complete;
 * sg_grpc_client_call() does both. Timeouts are in milliseconds; a timeout <= 0 means none. */
#ifndef SG_GRPC_CLIENT_H
#define SG_GRPC_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct sg_grpc_client sg_grpc_client;

/* The outcome of one call. When is_from_server is true, status, message and details are what
 * the server sent (grpc-status, grpc-message percent-decoded, grpc-status-details-bin
 * base64-decoded). When false, the response was not a well-formed gRPC response (reset stream,
 * non-200 HTTP status, wrong content-type, missing or malformed grpc-status, bad message
 * framing or compression, not exactly one message with status OK) and the client made the
 * status up as grpc-go does, with a message saying what was wrong. body is the response message
 * without its 5-byte prefix, decompressed; it is set only when status is 0 (and may be NULL
 * when body_len is 0). message is never NULL. All pointers are owned by the result: release
 * them with sg_grpc_result_deinit. */
typedef struct sg_grpc_result {
    int status;
    bool is_from_server;
    char *message;
    uint8_t *body;
    size_t body_len;
    uint8_t *details;
    size_t details_len;
} sg_grpc_result;

/* An extra request header for sg_grpc_client_start (lower-case name). Both strings borrowed. */
typedef struct sg_grpc_client_header {
    const char *name;
    const char *value;
} sg_grpc_client_header;

/* Connects to host:port (a name or an IPv4/IPv6 literal) within timeout_ms and sends the HTTP/2
 * preface and SETTINGS (a 16 MiB stream window and a 1 GiB connection window, so large
 * responses flow without waiting on WINDOW_UPDATE round trips). timeout_ms also bounds each
 * sg_grpc_client_send_raw. Returns 0 and sets *out (caller frees with sg_grpc_client_close);
 * SG_EIO if the name does not resolve or the connection is refused or fails; SG_ETIMEDOUT if
 * connecting or sending the preface takes longer than timeout_ms. Borrows host. */
int sg_grpc_client_open(const char *host, int port, int timeout_ms, sg_grpc_client **out);

/* Closes the connection and frees the client, abandoning any call still in flight. NULL is a
 * no-op. Takes ownership of c. */
void sg_grpc_client_close(sg_grpc_client *c);

/* When is_gzip is true, later sg_grpc_client_call requests are sent gzip-compressed
 * (grpc-encoding: gzip, compressed flag 1). Responses are decompressed either way. */
void sg_grpc_client_set_gzip(sg_grpc_client *c, bool is_gzip);

/* Makes one unary call: path is "/package.Service/Method", req the serialized request message.
 * Sends grpc-timeout when timeout_ms > 0 and waits at most timeout_ms for the response.
 * Returns 0 with *res filled (whatever the gRPC status; caller frees with
 * sg_grpc_result_deinit); SG_EINVAL if path does not start with '/' or the message is 4 GiB or
 * more; SG_EIO if the connection closed, failed or broke the HTTP/2 protocol before the response
 * was complete; SG_ETIMEDOUT if timeout_ms passed first (the stream is then reset). On error
 * *res is zeroed and needs no deinit. Borrows path and req. */
int sg_grpc_client_call(sg_grpc_client *c, const char *path, const uint8_t *req, size_t req_len,
                        int timeout_ms, sg_grpc_result *res);

/* Queues a request without waiting, for callers that need control of the wire: data is the
 * DATA payload sent verbatim (already framed, e.g. by sg_grpc_client_frame, or deliberately
 * malformed), followed by END_STREAM; data_len 0 sends HEADERS with END_STREAM and no DATA.
 * Sends the standard gRPC request headers (:method POST, :scheme http, :path, :authority,
 * content-type application/grpc, te trailers, user-agent, grpc-accept-encoding, and grpc-timeout
 * when timeout_ms > 0) followed by the n_headers extra headers. Nothing is written until the
 * next sg_grpc_client_wait or sg_grpc_client_send_raw, so several requests queued in a row
 * leave together. Returns 0 and sets *stream_id; SG_EINVAL if path does not start with '/';
 * SG_EIO if the connection is already closed or out of stream ids. Borrows path, headers and
 * data (copied). */
int sg_grpc_client_start(sg_grpc_client *c, const char *path,
                         const sg_grpc_client_header *headers, size_t n_headers,
                         const uint8_t *data, size_t data_len, int timeout_ms,
                         int32_t *stream_id);

/* Sends queued output and reads until the response of stream_id (from sg_grpc_client_start) is
 * complete, then fills *res as sg_grpc_client_call does and forgets the stream. Returns 0;
 * SG_EINVAL if stream_id is not a started, unwaited stream; SG_EIO if the connection failed
 * first; SG_ETIMEDOUT if timeout_ms passed first (the stream is reset and forgotten). On error
 * *res is zeroed. */
int sg_grpc_client_wait(sg_grpc_client *c, int32_t stream_id, int timeout_ms,
                        sg_grpc_result *res);

/* Frames msg as one gRPC length-prefixed message (flag byte, 4-byte big-endian length,
 * payload), gzip-compressing the payload and setting the flag when is_gzip. Returns 0 and sets
 * *out (caller frees with sg_free) and *out_len; SG_EINVAL if the payload would be 4 GiB or
 * more. Borrows msg. */
int sg_grpc_client_frame(const uint8_t *msg, size_t len, bool is_gzip, uint8_t **out,
                         size_t *out_len);

/* Writes everything the HTTP/2 session has queued, then the given bytes verbatim, bypassing
 * HTTP/2 framing (for tests that must send malformed frames; the session is out of step with
 * the wire afterwards, so close the client next). Returns 0; SG_EIO if the connection is closed
 * or the write fails; SG_ETIMEDOUT if writing takes longer than the open timeout. Borrows
 * bytes. */
int sg_grpc_client_send_raw(sg_grpc_client *c, const uint8_t *bytes, size_t len);

/* The connected socket (non-blocking), e.g. to watch for the peer closing. Borrowed: still
 * owned by c. */
int sg_grpc_client_fd(const sg_grpc_client *c);

/* Frees what a result owns and zeroes it. Safe on a zeroed result. */
void sg_grpc_result_deinit(sg_grpc_result *res);

#endif
