/* SPDX-License-Identifier: Apache-2.0 */
/* conn.c: one HTTP/2 connection — socket I/O, nghttp2 callbacks, and the life of each call.
 *
 * Bytes flow as in nghttp2's libevent server example: uv read -> nghttp2_session_mem_recv ->
 * callbacks assemble each stream's request -> dispatch; replies are submitted to the session
 * and nghttp2_session_mem_send drains frames into one uv_write at a time. nghttp2 forbids
 * calling mem_send from inside its own callbacks, so a flush requested while the session is
 * busy (in_h2) is deferred until the outer recv/send returns.
 *
 * A call's life:
 *
 *   headers --> receiving --END_STREAM--> dispatched --finish--> finished --stream closed--> freed
 *                   |                         |
 *                   +--bad input--> finished  +--client reset / conn closed--> cancelled
 *                                                (cancel_fn runs; freed when finished)
 *
 * Invariants: (1) a call is in conn->calls exactly while its h2 stream is open (conn != NULL);
 * (2) every dispatched call is finished exactly once, and counted in srv->calls_in_flight until
 * then; (3) a call is freed when it is both finished and detached from its stream. */
#include "net/netint.h"

#include "core/clock.h"
#include "core/log.h"

#include <string.h>
#include <strings.h>

#define OUT_HIGH_WATER (1u << 20)
#define DEFAULT_MAX_RECV (4u << 20)
/* A request's header list (name + value + 32 per field, RFC 9113 6.5.2); advertised in
 * SETTINGS_MAX_HEADER_LIST_SIZE. Larger lists fail the stream, not the connection. */
#define MAX_HEADER_LIST_BYTES (64u << 10)
#define MAX_FRAME_BYTES (1u << 20)
/* Error replies travel in one HEADERS frame, which nghttp2 will not send past 64 KiB: the
 * message is cut to this, and details that would not fit are left out. */
#define MAX_ERROR_MESSAGE_BYTES (4u << 10)
#define MAX_ERROR_DETAILS_B64 (32u << 10)

static void conn_flush(sg_conn *conn);
static void call_stop_deadline(sg_grpc_call *call);

/* ---- calls ---- */

static void call_free(sg_grpc_call *call)
{
    call_stop_deadline(call);
    sg_buf_deinit(&call->body);
    sg_buf_deinit(&call->inflated);
    sg_free(call->resp);
    sg_arena_deinit(&call->arena);
    sg_free(call);
}

static void call_detach(sg_grpc_call *call)
{
    sg_conn *conn = call->conn;
    if (!conn)
        return;
    if (call->prev)
        call->prev->next = call->next;
    else
        conn->calls = call->next;
    if (call->next)
        call->next->prev = call->prev;
    call->prev = call->next = NULL;
    call->conn = NULL;
    nghttp2_session_set_stream_user_data(conn->h2, call->stream_id, NULL);
}

/* The stream is gone (closed by us after the reply, reset by the client, or the connection
 * died). Frees the call unless a handler still holds it. */
static void call_stream_gone(sg_grpc_call *call)
{
    call_detach(call);
    if (call->is_finished || !call->is_dispatched) {
        call_free(call);
        return;
    }
    call->is_cancelled = true;
    if (call->cancel_fn)
        call->cancel_fn(call->cancel_ud, call); /* may finish (and free) the call */
}

const char *sg_grpc_call_path(const sg_grpc_call *call)
{
    return call->path;
}

const uint8_t *sg_grpc_call_msg(const sg_grpc_call *call, size_t *len)
{
    *len = call->msg_len;
    return call->msg;
}

int64_t sg_grpc_call_deadline_ms(const sg_grpc_call *call)
{
    return call->deadline_ms;
}

const char *sg_grpc_call_header(const sg_grpc_call *call, const char *name)
{
    static const char *const names[HDR_COUNT] = { "temporal-namespace", "client-name",
                                                  "client-version" };
    for (int i = 0; i < HDR_COUNT; i++)
        if (strcmp(name, names[i]) == 0)
            return call->headers[i];
    return NULL;
}

sg_arena *sg_grpc_call_arena(sg_grpc_call *call)
{
    return &call->arena;
}

bool sg_grpc_call_is_cancelled(const sg_grpc_call *call)
{
    return call->is_cancelled;
}

void sg_grpc_call_on_cancel(sg_grpc_call *call, sg_grpc_cancel_fn fn, void *ud)
{
    call->cancel_fn = fn;
    call->cancel_ud = ud;
}

/* Marks the call finished; returns false (and frees it) when there is no stream to reply on. */
static bool call_finish(sg_grpc_call *call)
{
    sg_assert(!call->is_finished);
    call->is_finished = true;
    if (call->is_dispatched) {
        sg_assert(call->srv->calls_in_flight > 0);
        call->srv->calls_in_flight--;
    }
    if (!call->conn) {
        call_free(call);
        return false;
    }
    return true;
}

#define NV(n, v)                                                                              \
    {                                                                                         \
        (uint8_t *)(n), (uint8_t *)(v), sizeof(n) - 1, strlen(v), NGHTTP2_NV_FLAG_NO_COPY_NAME \
    }

static ssize_t resp_read_cb(nghttp2_session *h2, int32_t stream_id, uint8_t *buf, size_t length,
                            uint32_t *flags, nghttp2_data_source *src, void *ud)
{
    sg_grpc_call *call = src->ptr;
    size_t n = SG_MIN(length, call->resp_len - call->resp_off);
    memcpy(buf, call->resp + call->resp_off, n);
    call->resp_off += n;
    if (call->resp_off == call->resp_len) {
        *flags |= NGHTTP2_DATA_FLAG_EOF | NGHTTP2_DATA_FLAG_NO_END_STREAM;
        nghttp2_nv trailers[] = { NV("grpc-status", "0") };
        if (nghttp2_submit_trailer(h2, stream_id, trailers, SG_ARRAY_LEN(trailers)) != 0)
            return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
    }
    return (ssize_t)n;
}

void sg_grpc_call_respond(sg_grpc_call *call, const uint8_t *msg, size_t len)
{
    if (!call_finish(call))
        return;
    call->resp_len = 5 + len;
    call->resp = sg_malloc(call->resp_len);
    call->resp[0] = 0;
    call->resp[1] = (uint8_t)(len >> 24);
    call->resp[2] = (uint8_t)(len >> 16);
    call->resp[3] = (uint8_t)(len >> 8);
    call->resp[4] = (uint8_t)len;
    if (len)
        memcpy(call->resp + 5, msg, len);
    nghttp2_nv hdrs[] = { NV(":status", "200"), NV("content-type", "application/grpc"),
                          NV("grpc-accept-encoding", "identity,gzip") };
    nghttp2_data_provider dp = { .source.ptr = call, .read_callback = resp_read_cb };
    int rv = nghttp2_submit_response(call->conn->h2, call->stream_id, hdrs, SG_ARRAY_LEN(hdrs),
                                     &dp);
    sg_assert(rv == 0);
    conn_flush(call->conn);
}

/* The longest prefix of s, at most max bytes, that does not end inside a UTF-8 sequence. */
static size_t utf8_prefix_len(const char *s, size_t max)
{
    size_t n = strlen(s);
    if (n <= max)
        return n;
    while (max > 0 && ((unsigned char)s[max] & 0xc0) == 0x80)
        max--;
    return max;
}

/* Trailers-Only answer with the given HTTP status (200 for every gRPC error; 405 and 415
 * when the request was not gRPC at all, as grpc-go answers). */
static void call_fail_http(sg_grpc_call *call, const char *http_status, int status,
                           const char *message, const uint8_t *details, size_t details_len)
{
    sg_assert(status > 0 && status <= 16);
    if (!call_finish(call))
        return;
    char code[8];
    snprintf(code, sizeof code, "%d", status);
    sg_buf msg, det;
    sg_buf_init(&msg);
    sg_buf_init(&det);
    const char *m = message ? message : "";
    size_t keep = utf8_prefix_len(m, MAX_ERROR_MESSAGE_BYTES);
    char *cut = keep < strlen(m) ? sg_asprintf("%.*s… (%zu bytes cut)", (int)keep, m, strlen(m) - keep)
                                 : NULL;
    sg_grpc_percent_encode(&msg, cut ? cut : m);
    sg_free(cut);
    sg_buf_append(&msg, "", 1);
    bool with_details = details && (details_len + 2) / 3 * 4 <= MAX_ERROR_DETAILS_B64;
    if (with_details)
        sg_base64_encode(&det, details, details_len);
    sg_buf_append(&det, "", 1);
    /* Trailers-Only: status travels in the single HEADERS frame, which ends the stream. */
    nghttp2_nv hdrs[] = { NV(":status", http_status), NV("content-type", "application/grpc"),
                          NV("grpc-status", code), NV("grpc-message", (char *)sg_buf_head(&msg)),
                          NV("grpc-status-details-bin", (char *)sg_buf_head(&det)) };
    size_t n = with_details ? SG_ARRAY_LEN(hdrs) : SG_ARRAY_LEN(hdrs) - 1;
    int rv = nghttp2_submit_response(call->conn->h2, call->stream_id, hdrs, n, NULL);
    sg_assert(rv == 0);
    sg_buf_deinit(&msg);
    sg_buf_deinit(&det);
    conn_flush(call->conn);
}

void sg_grpc_call_fail(sg_grpc_call *call, int status, const char *message,
                       const uint8_t *details, size_t details_len)
{
    call_fail_http(call, "200", status, message, details, details_len);
}

/* Rejects a request before dispatch (bad framing, encoding, size): the transport's own errors. */
static void call_reject(sg_grpc_call *call, int status, const char *fmt, ...) SG_PRINTF(3, 4);
static void call_reject(sg_grpc_call *call, int status, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    sg_log_debug("rejecting %s: %s", call->path ? call->path : "(no path)", msg);
    call->is_rejected = true;
    call_stop_deadline(call);
    sg_buf_deinit(&call->body);
    sg_grpc_call_fail(call, status, msg, NULL, 0);
}

/* ---- the deadline of a request still arriving ---- */

static void deadline_closed(uv_handle_t *h)
{
    sg_free(h);
}

static void call_stop_deadline(sg_grpc_call *call)
{
    if (!call->deadline_timer)
        return;
    uv_close((uv_handle_t *)call->deadline_timer, deadline_closed);
    call->deadline_timer = NULL;
}

/* A request whose last frame never came must still end at its grpc-timeout: once dispatched,
 * handlers answer within it (long polls answer early); before that, this timer does. */
static void on_deadline(uv_timer_t *t)
{
    sg_grpc_call *call = t->data;
    call_reject(call, SG_GRPC_DEADLINE_EXCEEDED,
                "deadline exceeded while the request was still arriving");
}

static void call_start_deadline(sg_grpc_call *call)
{
    if (!call->deadline_ms || call->deadline_timer)
        return;
    int64_t left = call->deadline_ms - sg_clock_mono_ms();
    call->deadline_timer = sg_malloc(sizeof *call->deadline_timer);
    uv_timer_init(call->srv->loop, call->deadline_timer);
    call->deadline_timer->data = call;
    uv_timer_start(call->deadline_timer, on_deadline, left > 0 ? (uint64_t)left : 0, 0);
}

/* The header block is complete: refuse what is not a gRPC request before its body arrives. */
static void call_check_headers(sg_grpc_call *call)
{
    if (call->has_too_many_header_bytes) {
        call_reject(call, SG_GRPC_RESOURCE_EXHAUSTED,
                    "grpc: request header list larger than %u bytes", MAX_HEADER_LIST_BYTES);
        return;
    }
    if (!call->is_post) {
        call->is_rejected = true;
        call_fail_http(call, "405", SG_GRPC_INTERNAL, "grpc: a gRPC request must use :method POST",
                       NULL, 0);
        return;
    }
    if (!call->is_grpc_content_type) {
        call->is_rejected = true;
        call_fail_http(call, "415", SG_GRPC_INVALID_ARGUMENT,
                       "grpc: invalid gRPC request content-type (expected application/grpc)", NULL,
                       0);
        return;
    }
    call_start_deadline(call);
}

/* "application/grpc", optionally followed by "+subtype" or ";params" (gRPC over HTTP/2). */
static bool is_grpc_content_type(const uint8_t *v, size_t n)
{
    static const char prefix[] = "application/grpc";
    size_t p = sizeof prefix - 1;
    if (n < p || strncasecmp((const char *)v, prefix, p) != 0)
        return false;
    return n == p || v[p] == '+' || v[p] == ';';
}

/* The request's last frame arrived: validate framing and encoding, then dispatch. */
static void call_complete(sg_grpc_call *call)
{
    sg_server *srv = call->srv;
    size_t max = srv->opts.max_recv_msg_bytes;
    const char *enc = call->encoding;
    bool is_gzip = enc && strcmp(enc, "gzip") == 0;
    if (enc && !is_gzip && strcmp(enc, "identity") != 0) {
        call_reject(call, SG_GRPC_UNIMPLEMENTED,
                    "grpc: Decompressor is not installed for grpc-encoding \"%s\"", enc);
        return;
    }
    if (call->has_bad_timeout) {
        call_reject(call, SG_GRPC_INTERNAL, "grpc: malformed grpc-timeout header");
        return;
    }
    size_t have = call->body.len;
    const uint8_t *p = sg_buf_head(&call->body);
    if (have < 5) {
        call_reject(call, SG_GRPC_INTERNAL,
                    "grpc: the request ended before its message (got %zu bytes)", have);
        return;
    }
    uint32_t len = (uint32_t)p[1] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 8 | p[4];
    if (have - 5 < len) {
        call_reject(call, SG_GRPC_INTERNAL,
                    "grpc: the request message was truncated (got %zu of %u bytes)", have - 5,
                    len);
        return;
    }
    if (have - 5 > len) {
        call_reject(call, SG_GRPC_INTERNAL,
                    "grpc: a unary call carried more than one request message");
        return;
    }
    if (p[0] & 1) {
        if (!is_gzip) {
            call_reject(call, SG_GRPC_INTERNAL,
                        "grpc: compressed flag set with identity or empty encoding");
            return;
        }
        int rc = sg_gzip_inflate(&call->inflated, p + 5, len, max);
        if (rc == SG_ELIMIT) {
            call_reject(call, SG_GRPC_RESOURCE_EXHAUSTED,
                        "grpc: received message after decompression larger than max %zu", max);
            return;
        }
        if (rc < 0) {
            call_reject(call, SG_GRPC_INTERNAL,
                        "grpc: failed to decompress the received message: invalid gzip data");
            return;
        }
        call->msg = sg_buf_head(&call->inflated);
        call->msg_len = call->inflated.len;
    } else if (p[0] != 0) {
        call_reject(call, SG_GRPC_INTERNAL, "grpc: unknown message flags 0x%02x", p[0]);
        return;
    } else {
        call->msg = p + 5;
        call->msg_len = len;
    }
    if (call->deadline_ms && call->deadline_ms <= sg_clock_mono_ms()) {
        call_reject(call, SG_GRPC_DEADLINE_EXCEEDED, "deadline exceeded before the call started");
        return;
    }
    call_stop_deadline(call);
    call->is_dispatched = true;
    srv->calls_in_flight++;
    srv->opts.dispatch(srv->opts.dispatch_ud, call);
}

/* ---- nghttp2 callbacks ---- */

static int on_begin_headers(nghttp2_session *h2, const nghttp2_frame *frame, void *ud)
{
    sg_conn *conn = ud;
    if (frame->hd.type != NGHTTP2_HEADERS || frame->headers.cat != NGHTTP2_HCAT_REQUEST)
        return 0;
    sg_grpc_call *call = sg_calloc(1, sizeof *call);
    call->srv = conn->srv;
    call->conn = conn;
    call->stream_id = frame->hd.stream_id;
    sg_arena_init(&call->arena);
    sg_buf_init(&call->body);
    sg_buf_init(&call->inflated);
    call->next = conn->calls;
    if (conn->calls)
        conn->calls->prev = call;
    conn->calls = call;
    nghttp2_session_set_stream_user_data(h2, frame->hd.stream_id, call);
    return 0;
}

static int on_header(nghttp2_session *h2, const nghttp2_frame *frame, const uint8_t *name,
                     size_t namelen, const uint8_t *value, size_t valuelen, uint8_t flags,
                     void *ud)
{
    if (frame->hd.type != NGHTTP2_HEADERS || frame->headers.cat != NGHTTP2_HCAT_REQUEST)
        return 0;
    sg_grpc_call *call = nghttp2_session_get_stream_user_data(h2, frame->hd.stream_id);
    if (!call)
        return 0;
    call->header_bytes += namelen + valuelen + 32;
    if (call->header_bytes > MAX_HEADER_LIST_BYTES) {
        call->has_too_many_header_bytes = true;
        return 0;
    }
    const char *n = (const char *)name;
#define IS(lit) (namelen == sizeof(lit) - 1 && memcmp(n, lit, namelen) == 0)
#define VALUE() sg_arena_strndup(&call->arena, (const char *)value, valuelen)
    if (IS(":path"))
        call->path = VALUE();
    else if (IS(":method"))
        call->is_post = valuelen == 4 && memcmp(value, "POST", 4) == 0;
    else if (IS("content-type"))
        call->is_grpc_content_type = is_grpc_content_type(value, valuelen);
    else if (IS("grpc-encoding"))
        call->encoding = VALUE();
    else if (IS("grpc-timeout")) {
        int64_t ms;
        if (sg_grpc_parse_timeout(VALUE(), &ms) == 0)
            call->deadline_ms = sg_clock_mono_ms() + ms;
        else
            call->has_bad_timeout = true;
    } else if (IS("temporal-namespace"))
        call->headers[HDR_NAMESPACE] = VALUE();
    else if (IS("client-name"))
        call->headers[HDR_CLIENT_NAME] = VALUE();
    else if (IS("client-version"))
        call->headers[HDR_CLIENT_VERSION] = VALUE();
#undef VALUE
#undef IS
    return 0;
}

static int on_data_chunk(nghttp2_session *h2, uint8_t flags, int32_t stream_id,
                         const uint8_t *data, size_t len, void *ud)
{
    sg_grpc_call *call = nghttp2_session_get_stream_user_data(h2, stream_id);
    if (!call || call->is_rejected || call->is_finished)
        return 0;
    size_t max = call->srv->opts.max_recv_msg_bytes;
    sg_buf *b = &call->body;
    sg_buf_append(b, data, len);
    if (b->len >= 5) {
        const uint8_t *p = sg_buf_head(b);
        uint32_t mlen = (uint32_t)p[1] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 8 | p[4];
        /* Decided from the prefix alone, so a hostile length never makes us buffer it. */
        if (mlen > max) {
            call_reject(call, SG_GRPC_RESOURCE_EXHAUSTED,
                        "grpc: received message larger than max (%u vs. %zu)", mlen, max);
            return 0;
        }
        if (b->len > (size_t)mlen + 5 + 5) {
            call_reject(call, SG_GRPC_INTERNAL,
                        "grpc: a unary call carried more than one request message");
            return 0;
        }
    }
    return 0;
}

static int on_frame_recv(nghttp2_session *h2, const nghttp2_frame *frame, void *ud)
{
    if (frame->hd.type != NGHTTP2_DATA && frame->hd.type != NGHTTP2_HEADERS)
        return 0;
    sg_grpc_call *call = nghttp2_session_get_stream_user_data(h2, frame->hd.stream_id);
    if (!call || call->is_rejected || call->is_finished)
        return 0;
    if (frame->hd.type == NGHTTP2_HEADERS && frame->headers.cat == NGHTTP2_HCAT_REQUEST) {
        call_check_headers(call);
        if (call->is_rejected || call->is_finished)
            return 0;
    }
    if (!(frame->hd.flags & NGHTTP2_FLAG_END_STREAM))
        return 0;
    if (!call->path) {
        call_reject(call, SG_GRPC_INTERNAL, "request without :path");
        return 0;
    }
    call_complete(call);
    return 0;
}

static int on_stream_close(nghttp2_session *h2, int32_t stream_id, uint32_t error_code, void *ud)
{
    sg_grpc_call *call = nghttp2_session_get_stream_user_data(h2, stream_id);
    if (call)
        call_stream_gone(call);
    return 0;
}

/* After our response ends a stream whose request is still arriving (an early rejection), ask
 * the client to stop sending with RST_STREAM(NO_ERROR) (RFC 9113 8.1), as grpc-go does. Doing
 * it once the response frame is sent keeps the reset from overtaking the status. */
static int on_frame_send(nghttp2_session *h2, const nghttp2_frame *frame, void *ud)
{
    if ((frame->hd.type == NGHTTP2_HEADERS || frame->hd.type == NGHTTP2_DATA) &&
        (frame->hd.flags & NGHTTP2_FLAG_END_STREAM) &&
        nghttp2_session_get_stream_remote_close(h2, frame->hd.stream_id) == 0)
        nghttp2_submit_rst_stream(h2, NGHTTP2_FLAG_NONE, frame->hd.stream_id, NGHTTP2_NO_ERROR);
    return 0;
}

/* A reply nghttp2 could not send (it refuses header blocks past its limit) would leave the
 * stream open forever: reset it, so the client hears at once. */
static int on_frame_not_send(nghttp2_session *h2, const nghttp2_frame *frame, int lib_error,
                             void *ud)
{
    if ((frame->hd.type == NGHTTP2_HEADERS || frame->hd.type == NGHTTP2_DATA) &&
        frame->hd.stream_id > 0) {
        sg_log_warn("stream %d: reply not sent (%s); resetting the stream", frame->hd.stream_id,
                    nghttp2_strerror(lib_error));
        nghttp2_submit_rst_stream(h2, NGHTTP2_FLAG_NONE, frame->hd.stream_id,
                                  NGHTTP2_INTERNAL_ERROR);
    }
    return 0;
}

void sg_conn_callbacks_init(nghttp2_session_callbacks *cbs)
{
    nghttp2_session_callbacks_set_on_frame_not_send_callback(cbs, on_frame_not_send);
    nghttp2_session_callbacks_set_on_frame_send_callback(cbs, on_frame_send);
    nghttp2_session_callbacks_set_on_begin_headers_callback(cbs, on_begin_headers);
    nghttp2_session_callbacks_set_on_header_callback(cbs, on_header);
    nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cbs, on_data_chunk);
    nghttp2_session_callbacks_set_on_frame_recv_callback(cbs, on_frame_recv);
    nghttp2_session_callbacks_set_on_stream_close_callback(cbs, on_stream_close);
}

/* ---- socket I/O ---- */

static void on_closed(uv_handle_t *h)
{
    sg_conn *conn = h->data;
    sg_buf_deinit(&conn->out);
    sg_server_conn_closed(conn->srv, conn);
    sg_free(conn);
}

void sg_conn_close(sg_conn *conn)
{
    if (conn->is_closing)
        return;
    conn->is_closing = true;
    uv_read_stop((uv_stream_t *)&conn->tcp);
    while (conn->calls)
        call_stream_gone(conn->calls);
    nghttp2_session_del(conn->h2);
    conn->h2 = NULL;
    uv_close((uv_handle_t *)&conn->tcp, on_closed);
}

static void on_write(uv_write_t *req, int status)
{
    sg_conn *conn = req->data;
    conn->is_writing = false;
    sg_buf_reset(&conn->out);
    if (conn->is_closing)
        return;
    if (status < 0) {
        sg_log_debug("connection write failed: %s", uv_strerror(status));
        sg_conn_close(conn);
        return;
    }
    conn_flush(conn);
}

static void conn_flush(sg_conn *conn)
{
    if (conn->is_closing)
        return;
    if (conn->in_h2 || conn->is_writing) {
        conn->want_flush = true;
        return;
    }
    conn->want_flush = false;
    conn->in_h2 = true;
    while (conn->out.len < OUT_HIGH_WATER) {
        const uint8_t *data;
        ssize_t n = nghttp2_session_mem_send(conn->h2, &data);
        if (n < 0) {
            conn->in_h2 = false;
            sg_log_debug("http2 send failed: %s", nghttp2_strerror((int)n));
            sg_conn_close(conn);
            return;
        }
        if (n == 0)
            break;
        sg_buf_append(&conn->out, data, (size_t)n);
    }
    conn->in_h2 = false;
    if (conn->out.len) {
        uv_buf_t b = uv_buf_init((char *)sg_buf_head(&conn->out), (unsigned)conn->out.len);
        conn->wreq.data = conn;
        int rv = uv_write(&conn->wreq, (uv_stream_t *)&conn->tcp, &b, 1, on_write);
        if (rv < 0) {
            sg_conn_close(conn);
            return;
        }
        conn->is_writing = true;
        return;
    }
    if (!nghttp2_session_want_read(conn->h2) && !nghttp2_session_want_write(conn->h2))
        sg_conn_close(conn);
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    sg_conn *conn = h->data;
    *buf = uv_buf_init((char *)conn->rbuf, sizeof conn->rbuf);
}

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
    sg_conn *conn = s->data;
    if (nread == 0)
        return;
    if (nread < 0) {
        sg_conn_close(conn);
        return;
    }
    conn->in_h2 = true;
    ssize_t rv = nghttp2_session_mem_recv(conn->h2, (const uint8_t *)buf->base, (size_t)nread);
    conn->in_h2 = false;
    if (rv < 0) {
        /* Not HTTP/2 at all (bad preface) or a fatal protocol error: say GOAWAY and hang up. */
        sg_log_debug("closing connection: %s", nghttp2_strerror((int)rv));
        if (conn->h2)
            nghttp2_session_terminate_session(conn->h2, NGHTTP2_PROTOCOL_ERROR);
    }
    if (conn->h2)
        conn_flush(conn);
}

void sg_conn_goaway(sg_conn *conn)
{
    if (conn->is_closing)
        return;
    nghttp2_submit_goaway(conn->h2, NGHTTP2_FLAG_NONE,
                          nghttp2_session_get_last_proc_stream_id(conn->h2), NGHTTP2_NO_ERROR,
                          NULL, 0);
    conn_flush(conn);
}

static void free_unaccepted(uv_handle_t *h)
{
    sg_free(h->data);
}

void sg_conn_accept(sg_server *srv)
{
    sg_conn *conn = sg_calloc(1, sizeof *conn);
    conn->srv = srv;
    sg_buf_init(&conn->out);
    uv_tcp_init(srv->loop, &conn->tcp);
    conn->tcp.data = conn;
    if (uv_accept((uv_stream_t *)&srv->listener, (uv_stream_t *)&conn->tcp) != 0) {
        uv_close((uv_handle_t *)&conn->tcp, free_unaccepted);
        return;
    }
    conn->next = srv->conns;
    if (srv->conns)
        srv->conns->prev = conn;
    srv->conns = conn;
    srv->n_conns++;
    uv_tcp_nodelay(&conn->tcp, 1);
    sg_assert(nghttp2_session_server_new2(&conn->h2, srv->h2_callbacks, conn, srv->h2_options) == 0);
    /* Long polls hold streams, and worker completions can be megabytes: many streams, and
     * windows large enough that a big message does not crawl. */
    nghttp2_settings_entry iv[] = {
        { NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, 1000 },
        { NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, 1 << 20 },
        { NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE, MAX_HEADER_LIST_BYTES },
        /* nghttp2 ends the connection after 8 CONTINUATION frames (a flood defence); with
         * 1 MiB frames a whole oversized header block fits in a few, so it fails only its
         * stream. */
        { NGHTTP2_SETTINGS_MAX_FRAME_SIZE, MAX_FRAME_BYTES },
    };
    nghttp2_submit_settings(conn->h2, NGHTTP2_FLAG_NONE, iv, SG_ARRAY_LEN(iv));
    nghttp2_session_set_local_window_size(conn->h2, NGHTTP2_FLAG_NONE, 0, 16 << 20);
    uv_read_start((uv_stream_t *)&conn->tcp, on_alloc, on_read);
    conn_flush(conn);
}
