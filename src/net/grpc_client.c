/* SPDX-License-Identifier: Apache-2.0 */
/* grpc_client.c: a small blocking gRPC client over cleartext HTTP/2, for the CLI and tests.
 *
 * Design: one non-blocking TCP socket, one nghttp2 client session, no event loop. Everything
 * that waits goes through io_once(): it moves nghttp2's output into `out` (up to a high-water
 * mark) and writes it, and reads whatever arrives and feeds it to nghttp2, both under one poll()
 * with the caller's deadline. Reading while writing keeps a large request from deadlocking
 * against a server that is itself blocked writing to us.
 *
 * Each request is a `stream` record: the request bytes nghttp2 pulls through read_req(), and
 * the response headers and DATA the callbacks collect. Records are linked into the client and
 * given to nghttp2 as stream user data. sg_grpc_client_wait() turns a closed record into an
 * sg_grpc_result and frees it. A record whose caller gave up (timeout) is reset with
 * RST_STREAM CANCEL, marked abandoned and freed when nghttp2 reports the stream closed, since
 * nghttp2 holds a pointer to it until then; records left at close are freed with the client.
 *
 * Invariant: once is_dead is set (EOF, socket error, HTTP/2 session error) the session is never
 * fed or drained again, so nghttp2 never calls back into a freed record.
 *
 * The client deliberately shares no code with the server's wire helpers (base64, gzip,
 * percent-encoding): as a test client it should not inherit the server's bugs. */
#include "net/grpc_client.h"

#include "core/sg.h"

#include <errno.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <nghttp2/nghttp2.h>
#include <zlib.h>

#define STREAM_WINDOW (16 << 20)
#define CONN_WINDOW (1 << 30)
#define OUT_HIGH_WATER (64u << 10)
#define MAX_RECV_BYTES ((size_t)128 << 20) /* one response message, after decompression */
#define USER_AGENT "sandglass-grpc-client/0.1"

/* gRPC status codes the client makes up (grpc-go's choices). */
enum {
    ST_CANCELLED = 1,
    ST_UNKNOWN = 2,
    ST_PERMISSION_DENIED = 7,
    ST_RESOURCE_EXHAUSTED = 8,
    ST_UNIMPLEMENTED = 12,
    ST_INTERNAL = 13,
    ST_UNAVAILABLE = 14,
    ST_UNAUTHENTICATED = 16,
};

typedef struct bytebuf {
    uint8_t *p;
    size_t len, cap;
} bytebuf;

typedef struct stream {
    struct stream *next;
    int32_t id;
    uint8_t *req; /* the DATA payload to send */
    size_t req_len, req_off;
    int http_status;
    char *content_type, *encoding, *grpc_status, *grpc_message, *details_b64;
    bytebuf body; /* every DATA byte received, still framed */
    bool is_remote_ended; /* the server sent END_STREAM: the response is complete */
    bool is_closed;
    bool is_abandoned;
    bool is_too_big;
    int send_error;      /* nghttp2 could not send our HEADERS or DATA (NGHTTP2_ERR_*) */
    uint32_t error_code; /* from on_stream_close */
} stream;

struct sg_grpc_client {
    int fd;
    nghttp2_session *session;
    char *authority;
    int io_timeout_ms;
    bool is_gzip;
    bool is_dead;
    bytebuf out; /* bytes to write; out_off of them already written */
    size_t out_off;
    stream *streams;
};

/* ---- small helpers ---- */

static void bytes_append(bytebuf *b, const void *p, size_t n)
{
    if (n == 0)
        return;
    if (b->cap - b->len < n) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap - b->len < n)
            cap *= 2;
        b->p = sg_realloc(b->p, cap);
        b->cap = cap;
    }
    memcpy(b->p + b->len, p, n);
    b->len += n;
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A deadline of -1 means none. */
static int64_t deadline_after(int timeout_ms)
{
    return timeout_ms > 0 ? now_ms() + timeout_ms : -1;
}

static int remaining_ms(int64_t deadline)
{
    if (deadline < 0)
        return -1;
    int64_t r = deadline - now_ms();
    return r <= 0 ? 0 : (int)SG_MIN(r, (int64_t)INT_MAX);
}

static uint32_t get_be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static bool name_is(const uint8_t *name, size_t len, const char *lit)
{
    return strlen(lit) == len && memcmp(name, lit, len) == 0;
}

static void set_str(char **dst, const uint8_t *v, size_t len)
{
    sg_free(*dst);
    *dst = sg_strndup((const char *)v, len);
}

static int hex_val(char ch)
{
    if (ch >= '0' && ch <= '9')
        return ch - '0';
    if (ch >= 'a' && ch <= 'f')
        return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F')
        return ch - 'A' + 10;
    return -1;
}

/* grpc-message is percent-encoded; a '%' not followed by two hex digits is kept as is, as the
 * gRPC spec asks of receivers. */
static char *percent_decode(const char *s)
{
    size_t n = strlen(s), j = 0;
    char *o = sg_malloc(n + 1);
    for (size_t i = 0; i < n; i++) {
        int hi, lo;
        /* s[i + 1] is at worst the NUL, so s[i + 2] is read only within the string. */
        if (s[i] == '%' && (hi = hex_val(s[i + 1])) >= 0 && (lo = hex_val(s[i + 2])) >= 0) {
            o[j++] = (char)(hi << 4 | lo);
            i += 2;
        } else {
            o[j++] = s[i];
        }
    }
    o[j] = '\0';
    return o;
}

static int b64_val(unsigned char ch)
{
    if (ch >= 'A' && ch <= 'Z')
        return ch - 'A';
    if (ch >= 'a' && ch <= 'z')
        return ch - 'a' + 26;
    if (ch >= '0' && ch <= '9')
        return ch - '0' + 52;
    if (ch == '+' || ch == '-')
        return 62;
    if (ch == '/' || ch == '_')
        return 63;
    return -1;
}

/* Decodes base64, padded or not (gRPC senders usually omit the padding). */
static bool b64_decode(const char *s, uint8_t **out, size_t *out_len)
{
    size_t n = strlen(s);
    while (n > 0 && s[n - 1] == '=')
        n--;
    if (n % 4 == 1)
        return false;
    uint8_t *o = sg_malloc(n / 4 * 3 + 3);
    uint32_t acc = 0;
    int bits = 0;
    size_t j = 0;
    for (size_t i = 0; i < n; i++) {
        int v = b64_val((unsigned char)s[i]);
        if (v < 0) {
            sg_free(o);
            return false;
        }
        acc = (acc << 6 | (uint32_t)v) & 0xffffff;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            o[j++] = (uint8_t)(acc >> bits);
        }
    }
    *out = o;
    *out_len = j;
    return true;
}

/* Inflates one gzip member of at most MAX_RECV_BYTES. Returns 0, SG_ELIMIT if it is larger,
 * SG_EINVAL if it is not valid gzip or has trailing bytes. */
static int gunzip(const uint8_t *p, size_t n, uint8_t **out, size_t *out_len)
{
    z_stream z;
    memset(&z, 0, sizeof z);
    if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK)
        sg_panic("inflateInit2 failed");
    bytebuf o = { 0 };
    uint8_t chunk[16384];
    z.next_in = (Bytef *)p;
    z.avail_in = (uInt)n;
    int rc = Z_OK, err = 0;
    while (rc != Z_STREAM_END) {
        z.next_out = chunk;
        z.avail_out = sizeof chunk;
        rc = inflate(&z, Z_NO_FLUSH);
        if (rc == Z_MEM_ERROR)
            sg_panic("inflate: out of memory");
        if (rc != Z_OK && rc != Z_STREAM_END) {
            err = SG_EINVAL; /* Z_DATA_ERROR, or Z_BUF_ERROR: input ended mid-stream */
            break;
        }
        size_t got = sizeof chunk - z.avail_out;
        if (o.len + got > MAX_RECV_BYTES) {
            err = SG_ELIMIT;
            break;
        }
        bytes_append(&o, chunk, got);
    }
    if (!err && z.avail_in != 0)
        err = SG_EINVAL;
    inflateEnd(&z);
    if (err) {
        sg_free(o.p);
        return err;
    }
    *out = o.p;
    *out_len = o.len;
    return 0;
}

/* ---- stream records ---- */

static void stream_free(stream *s)
{
    sg_free(s->req);
    sg_free(s->content_type);
    sg_free(s->encoding);
    sg_free(s->grpc_status);
    sg_free(s->grpc_message);
    sg_free(s->details_b64);
    sg_free(s->body.p);
    sg_free(s);
}

static stream *stream_find(sg_grpc_client *c, int32_t id)
{
    for (stream *s = c->streams; s; s = s->next)
        if (s->id == id)
            return s;
    return NULL;
}

static void stream_unlink_free(sg_grpc_client *c, stream *s)
{
    for (stream **pp = &c->streams; *pp; pp = &(*pp)->next) {
        if (*pp == s) {
            *pp = s->next;
            break;
        }
    }
    if (!c->is_dead)
        nghttp2_session_set_stream_user_data(c->session, s->id, NULL);
    stream_free(s);
}

/* The caller stopped waiting: reset the stream; free the record once nghttp2 lets go of it. */
static void stream_abandon(sg_grpc_client *c, stream *s)
{
    if (c->is_dead || s->is_closed) {
        stream_unlink_free(c, s);
        return;
    }
    s->is_abandoned = true;
    nghttp2_submit_rst_stream(c->session, NGHTTP2_FLAG_NONE, s->id, NGHTTP2_CANCEL);
}

/* ---- nghttp2 callbacks ---- */

static ssize_t read_req(nghttp2_session *session, int32_t stream_id, uint8_t *buf, size_t length,
                        uint32_t *data_flags, nghttp2_data_source *source, void *user_data)
{
    stream *s = source->ptr;
    size_t n = SG_MIN(length, s->req_len - s->req_off);
    if (n > 0)
        memcpy(buf, s->req + s->req_off, n);
    s->req_off += n;
    if (s->req_off == s->req_len)
        *data_flags |= NGHTTP2_DATA_FLAG_EOF;
    return (ssize_t)n;
}

static int on_header(nghttp2_session *session, const nghttp2_frame *frame, const uint8_t *name,
                     size_t namelen, const uint8_t *value, size_t valuelen, uint8_t flags,
                     void *user_data)
{
    if (frame->hd.type != NGHTTP2_HEADERS)
        return 0;
    stream *s = nghttp2_session_get_stream_user_data(session, frame->hd.stream_id);
    if (!s)
        return 0;
    if (name_is(name, namelen, ":status")) {
        int st = 0;
        for (size_t i = 0; i < valuelen && i < 3; i++)
            st = st * 10 + (value[i] - '0'); /* nghttp2 has checked it is 3 digits */
        s->http_status = st;
    } else if (name_is(name, namelen, "content-type")) {
        set_str(&s->content_type, value, valuelen);
    } else if (name_is(name, namelen, "grpc-encoding")) {
        set_str(&s->encoding, value, valuelen);
    } else if (name_is(name, namelen, "grpc-status")) {
        set_str(&s->grpc_status, value, valuelen);
    } else if (name_is(name, namelen, "grpc-message")) {
        set_str(&s->grpc_message, value, valuelen);
    } else if (name_is(name, namelen, "grpc-status-details-bin")) {
        set_str(&s->details_b64, value, valuelen);
    }
    return 0;
}

static int on_data_chunk_recv(nghttp2_session *session, uint8_t flags, int32_t stream_id,
                              const uint8_t *data, size_t len, void *user_data)
{
    stream *s = nghttp2_session_get_stream_user_data(session, stream_id);
    if (!s || s->is_too_big)
        return 0;
    if (s->body.len + len > MAX_RECV_BYTES + 5) {
        /* Compressed data may not exceed the limit either; stop receiving. */
        s->is_too_big = true;
        nghttp2_submit_rst_stream(session, NGHTTP2_FLAG_NONE, stream_id, NGHTTP2_CANCEL);
        return 0;
    }
    bytes_append(&s->body, data, len);
    return 0;
}

static int on_frame_recv(nghttp2_session *session, const nghttp2_frame *frame, void *user_data)
{
    if (frame->hd.type != NGHTTP2_HEADERS && frame->hd.type != NGHTTP2_DATA)
        return 0;
    if (!(frame->hd.flags & NGHTTP2_FLAG_END_STREAM))
        return 0;
    stream *s = nghttp2_session_get_stream_user_data(session, frame->hd.stream_id);
    if (s && !s->is_too_big)
        s->is_remote_ended = true;
    return 0;
}

/* A request nghttp2 refuses to send (e.g. a header block over its 64 KiB default) is closed
 * by nghttp2 as REFUSED_STREAM; remember the real reason for the result. */
static int on_frame_not_send(nghttp2_session *session, const nghttp2_frame *frame,
                             int lib_error_code, void *user_data)
{
    if (frame->hd.type != NGHTTP2_HEADERS && frame->hd.type != NGHTTP2_DATA)
        return 0;
    stream *s = nghttp2_session_get_stream_user_data(session, frame->hd.stream_id);
    if (s && !s->send_error)
        s->send_error = lib_error_code;
    return 0;
}

static int on_stream_close(nghttp2_session *session, int32_t stream_id, uint32_t error_code,
                           void *user_data)
{
    sg_grpc_client *c = user_data;
    stream *s = nghttp2_session_get_stream_user_data(session, stream_id);
    if (!s)
        return 0;
    s->is_closed = true;
    s->error_code = error_code;
    if (s->is_abandoned)
        stream_unlink_free(c, s);
    return 0;
}

/* ---- socket I/O ---- */

static int die(sg_grpc_client *c)
{
    c->is_dead = true;
    return SG_EIO;
}

/* Moves what nghttp2 has ready to send into c->out, up to the high-water mark. */
static int fill_out(sg_grpc_client *c)
{
    if (c->out_off == c->out.len)
        c->out_off = c->out.len = 0;
    while (c->out.len - c->out_off < OUT_HIGH_WATER) {
        const uint8_t *p;
        ssize_t n = nghttp2_session_mem_send(c->session, &p);
        if (n < 0)
            return die(c);
        if (n == 0)
            break;
        bytes_append(&c->out, p, (size_t)n);
    }
    return 0;
}

/* One round of I/O: waits until the socket is readable, or writable while output is pending,
 * then writes and reads once. Callers refill the output (fill_out) first and check what
 * nghttp2's callbacks did after each step: sending can close a stream too (a request nghttp2
 * refuses to send), and nothing may arrive to end the poll. Returns 0, SG_EIO (the connection
 * is dead) or SG_ETIMEDOUT. */
static int io_once(sg_grpc_client *c, int64_t deadline)
{
    if (c->is_dead)
        return SG_EIO;
    /* Checked up front too, so a peer that never stops sending cannot outlast the deadline. */
    if (deadline >= 0 && now_ms() >= deadline)
        return SG_ETIMEDOUT;
    bool has_out = c->out_off < c->out.len;
    if (!has_out && !nghttp2_session_want_read(c->session) &&
        !nghttp2_session_want_write(c->session))
        return die(c); /* both sides sent GOAWAY and nothing is left */
    struct pollfd pfd = { .fd = c->fd, .events = POLLIN | (has_out ? POLLOUT : 0) };
    int n = poll(&pfd, 1, remaining_ms(deadline));
    if (n < 0)
        return errno == EINTR ? 0 : die(c);
    if (n == 0)
        return SG_ETIMEDOUT;
    if (pfd.revents & POLLNVAL)
        return die(c);
    if (pfd.revents & POLLOUT) {
        ssize_t w = send(c->fd, c->out.p + c->out_off, c->out.len - c->out_off,
                         MSG_NOSIGNAL | MSG_DONTWAIT);
        if (w < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
            return die(c);
        if (w > 0)
            c->out_off += (size_t)w;
    }
    if (pfd.revents & (POLLIN | POLLHUP | POLLERR)) {
        uint8_t buf[32768];
        ssize_t r = recv(c->fd, buf, sizeof buf, MSG_DONTWAIT);
        if (r == 0)
            return die(c);
        if (r < 0)
            return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? 0 : die(c);
        if (nghttp2_session_mem_recv(c->session, buf, (size_t)r) < 0)
            return die(c);
    }
    return 0;
}

/* Writes all pending output (refilled from nghttp2 until it has nothing more when is_fill). */
static int flush(sg_grpc_client *c, int64_t deadline, bool is_fill)
{
    for (;;) {
        if (c->is_dead)
            return SG_EIO;
        if (is_fill) {
            int rc = fill_out(c);
            if (rc < 0)
                return rc;
        }
        if (c->out_off == c->out.len)
            return 0;
        int rc = io_once(c, deadline);
        if (rc < 0)
            return rc;
    }
}

/* ---- results ---- */

static void result_local(sg_grpc_result *res, int status, const char *fmt, ...) SG_PRINTF(3, 4);

/* Replaces whatever res holds with a status the client made up. */
static void result_local(sg_grpc_result *res, int status, const char *fmt, ...)
{
    sg_grpc_result_deinit(res);
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    res->status = status;
    res->message = sg_strdup(msg);
}

/* grpc-go's mapping of a stream reset to a status. */
static int status_for_h2_error(uint32_t code)
{
    switch (code) {
    case NGHTTP2_REFUSED_STREAM: return ST_UNAVAILABLE;
    case NGHTTP2_CANCEL: return ST_CANCELLED;
    case NGHTTP2_ENHANCE_YOUR_CALM: return ST_RESOURCE_EXHAUSTED;
    case NGHTTP2_INADEQUATE_SECURITY: return ST_PERMISSION_DENIED;
    default: return ST_INTERNAL;
    }
}

/* grpc-go's mapping of an HTTP status to a gRPC status when the response is not gRPC. */
static int status_for_http(int http_status)
{
    switch (http_status) {
    case 400: return ST_INTERNAL;
    case 401: return ST_UNAUTHENTICATED;
    case 403: return ST_PERMISSION_DENIED;
    case 404: return ST_UNIMPLEMENTED;
    case 429:
    case 502:
    case 503:
    case 504: return ST_UNAVAILABLE;
    default: return ST_UNKNOWN;
    }
}

static bool is_grpc_content_type(const char *ct)
{
    if (!ct || strncmp(ct, "application/grpc", 16) != 0)
        return false;
    return ct[16] == '\0' || ct[16] == '+' || ct[16] == ';';
}

/* Extracts the single response message from the framed DATA bytes into res->body. */
static void take_message(const stream *s, sg_grpc_result *res)
{
    const uint8_t *p = s->body.p;
    size_t left = s->body.len, count = 0;
    const uint8_t *msg = NULL;
    size_t msg_len = 0;
    uint8_t flag = 0;
    while (left > 0) {
        if (left < 5 || left - 5 < get_be32(p + 1)) {
            result_local(res, ST_INTERNAL, "client: response message truncated (%zu bytes left)",
                         left);
            return;
        }
        flag = p[0];
        msg = p + 5;
        msg_len = get_be32(p + 1);
        p += 5 + msg_len;
        left -= 5 + msg_len;
        count++;
    }
    if (count != 1) {
        result_local(res, ST_INTERNAL, "client: got %zu response messages with status OK, want 1",
                     count);
        return;
    }
    if (flag == 0) {
        res->body = msg_len ? sg_memdup(msg, msg_len) : NULL;
        res->body_len = msg_len;
        return;
    }
    if (flag != 1) {
        result_local(res, ST_INTERNAL, "client: unknown message flags 0x%02x", flag);
        return;
    }
    if (!s->encoding || strcmp(s->encoding, "identity") == 0) {
        result_local(res, ST_INTERNAL,
                     "client: compressed flag set with identity or no grpc-encoding");
        return;
    }
    if (strcmp(s->encoding, "gzip") != 0) {
        result_local(res, ST_INTERNAL, "client: unsupported response grpc-encoding \"%s\"",
                     s->encoding);
        return;
    }
    int rc = gunzip(msg, msg_len, &res->body, &res->body_len);
    if (rc == SG_ELIMIT)
        result_local(res, ST_RESOURCE_EXHAUSTED,
                     "client: response message larger than %zu bytes after decompression",
                     MAX_RECV_BYTES);
    else if (rc < 0)
        result_local(res, ST_INTERNAL, "client: response message is not valid gzip");
}

/* Turns a closed stream record into a result, judging the response as grpc-go would. */
static void result_from_stream(const stream *s, sg_grpc_result *res)
{
    memset(res, 0, sizeof *res);
    if (s->is_too_big) {
        result_local(res, ST_RESOURCE_EXHAUSTED, "client: response larger than %zu bytes",
                     MAX_RECV_BYTES);
        return;
    }
    if (s->send_error && !s->is_remote_ended) {
        result_local(res, ST_INTERNAL, "client: could not send the request: %s",
                     nghttp2_strerror(s->send_error));
        return;
    }
    if (!s->is_remote_ended) {
        result_local(res, status_for_h2_error(s->error_code),
                     "client: stream closed before the response ended: %s (HTTP/2 error %u)",
                     nghttp2_http2_strerror(s->error_code), s->error_code);
        return;
    }
    if (s->http_status != 200 || !is_grpc_content_type(s->content_type)) {
        result_local(res, status_for_http(s->http_status),
                     "client: not a gRPC response: HTTP status %d, content-type %s, "
                     "grpc-status %s, grpc-message %s",
                     s->http_status, s->content_type ? s->content_type : "(none)",
                     s->grpc_status ? s->grpc_status : "(none)",
                     s->grpc_message ? s->grpc_message : "(none)");
        return;
    }
    const char *gs = s->grpc_status;
    size_t gs_len = gs ? strlen(gs) : 0;
    if (gs_len == 0 || gs_len > 3 || strspn(gs, "0123456789") != gs_len) {
        result_local(res, ST_INTERNAL, "client: %s grpc-status%s%s",
                     gs ? "malformed" : "response has no", gs ? " " : "", gs ? gs : "");
        return;
    }
    if (s->details_b64 && !b64_decode(s->details_b64, &res->details, &res->details_len)) {
        result_local(res, ST_INTERNAL, "client: malformed grpc-status-details-bin");
        return;
    }
    res->status = atoi(gs);
    res->message = percent_decode(s->grpc_message ? s->grpc_message : "");
    res->is_from_server = true;
    if (res->status == 0)
        take_message(s, res);
}

/* ---- public API ---- */

int sg_grpc_client_open(const char *host, int port, int timeout_ms, sg_grpc_client **out)
{
    *out = NULL;
    char port_s[16];
    snprintf(port_s, sizeof port_s, "%d", port);
    struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM };
    struct addrinfo *ais = NULL;
    if (getaddrinfo(host, port_s, &hints, &ais) != 0)
        return SG_EIO;
    int64_t deadline = deadline_after(timeout_ms);
    int fd = -1, err = SG_EIO;
    for (struct addrinfo *ai = ais; ai && fd < 0 && err != SG_ETIMEDOUT; ai = ai->ai_next) {
        fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
                    ai->ai_protocol);
        if (fd < 0)
            continue;
        if (connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
            int soerr = errno;
            if (soerr == EINPROGRESS) {
                struct pollfd pfd = { .fd = fd, .events = POLLOUT };
                int n;
                do
                    n = poll(&pfd, 1, remaining_ms(deadline));
                while (n < 0 && errno == EINTR);
                socklen_t sl = sizeof soerr;
                if (n == 0) {
                    soerr = ETIMEDOUT;
                    err = SG_ETIMEDOUT;
                } else if (n < 0 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) != 0) {
                    soerr = EIO;
                }
            }
            if (soerr != 0) {
                close(fd);
                fd = -1;
            }
        }
    }
    freeaddrinfo(ais);
    if (fd < 0)
        return err;
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);

    sg_grpc_client *c = sg_calloc(1, sizeof *c);
    c->fd = fd;
    c->io_timeout_ms = timeout_ms;
    c->authority = strchr(host, ':') ? sg_asprintf("[%s]:%d", host, port)
                                     : sg_asprintf("%s:%d", host, port);
    nghttp2_session_callbacks *cbs;
    if (nghttp2_session_callbacks_new(&cbs) != 0)
        sg_panic("nghttp2_session_callbacks_new: out of memory");
    nghttp2_session_callbacks_set_on_header_callback(cbs, on_header);
    nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cbs, on_data_chunk_recv);
    nghttp2_session_callbacks_set_on_frame_recv_callback(cbs, on_frame_recv);
    nghttp2_session_callbacks_set_on_frame_not_send_callback(cbs, on_frame_not_send);
    nghttp2_session_callbacks_set_on_stream_close_callback(cbs, on_stream_close);
    int rc = nghttp2_session_client_new(&c->session, cbs, c);
    nghttp2_session_callbacks_del(cbs);
    if (rc != 0)
        sg_panic("nghttp2_session_client_new: %s", nghttp2_strerror(rc));
    nghttp2_settings_entry iv[] = {
        { NGHTTP2_SETTINGS_ENABLE_PUSH, 0 },
        { NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, STREAM_WINDOW },
    };
    if (nghttp2_submit_settings(c->session, NGHTTP2_FLAG_NONE, iv, SG_ARRAY_LEN(iv)) != 0 ||
        nghttp2_session_set_local_window_size(c->session, NGHTTP2_FLAG_NONE, 0, CONN_WINDOW) !=
            0)
        sg_panic("nghttp2: cannot submit the initial SETTINGS");
    rc = flush(c, deadline, true);
    if (rc < 0) {
        sg_grpc_client_close(c);
        return rc;
    }
    *out = c;
    return 0;
}

void sg_grpc_client_close(sg_grpc_client *c)
{
    if (!c)
        return;
    /* Free the records before the session: nghttp2_session_del calls no user callbacks. */
    while (c->streams) {
        stream *s = c->streams;
        c->streams = s->next;
        stream_free(s);
    }
    nghttp2_session_del(c->session);
    close(c->fd);
    sg_free(c->out.p);
    sg_free(c->authority);
    sg_free(c);
}

void sg_grpc_client_set_gzip(sg_grpc_client *c, bool is_gzip)
{
    c->is_gzip = is_gzip;
}

int sg_grpc_client_frame(const uint8_t *msg, size_t len, bool is_gzip, uint8_t **out,
                         size_t *out_len)
{
    *out = NULL;
    *out_len = 0;
    if (len >= UINT32_MAX)
        return SG_EINVAL;
    const uint8_t *payload = msg;
    uint8_t *zbuf = NULL;
    size_t plen = len;
    if (is_gzip) {
        z_stream z;
        memset(&z, 0, sizeof z);
        if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 16 + MAX_WBITS, 8,
                         Z_DEFAULT_STRATEGY) != Z_OK)
            sg_panic("deflateInit2 failed");
        size_t cap = deflateBound(&z, (uLong)len) + 32;
        zbuf = sg_malloc(cap);
        z.next_in = (Bytef *)msg;
        z.avail_in = (uInt)len;
        z.next_out = zbuf;
        z.avail_out = (uInt)SG_MIN(cap, (size_t)UINT32_MAX);
        if (deflate(&z, Z_FINISH) != Z_STREAM_END)
            sg_panic("deflate did not finish within deflateBound");
        plen = z.total_out;
        deflateEnd(&z);
        if (plen >= UINT32_MAX) {
            sg_free(zbuf);
            return SG_EINVAL;
        }
        payload = zbuf;
    }
    uint8_t *f = sg_malloc(5 + plen);
    f[0] = is_gzip ? 1 : 0;
    f[1] = (uint8_t)(plen >> 24);
    f[2] = (uint8_t)(plen >> 16);
    f[3] = (uint8_t)(plen >> 8);
    f[4] = (uint8_t)plen;
    if (plen > 0)
        memcpy(f + 5, payload, plen);
    sg_free(zbuf);
    *out = f;
    *out_len = 5 + plen;
    return 0;
}

/* sg_grpc_client_start, taking ownership of data. */
static int start_owned(sg_grpc_client *c, const char *path, const sg_grpc_client_header *headers,
                       size_t n_headers, uint8_t *data, size_t data_len, int timeout_ms,
                       int32_t *stream_id)
{
    *stream_id = 0;
    if (!path || path[0] != '/') {
        sg_free(data);
        return SG_EINVAL;
    }
    if (c->is_dead) {
        sg_free(data);
        return SG_EIO;
    }
    char timeout_s[24];
    if (timeout_ms > 99999999)
        snprintf(timeout_s, sizeof timeout_s, "%dS", (timeout_ms + 999) / 1000);
    else
        snprintf(timeout_s, sizeof timeout_s, "%dm", timeout_ms);
    const char *fixed[][2] = {
        { ":method", "POST" },
        { ":scheme", "http" },
        { ":path", path },
        { ":authority", c->authority },
        { "content-type", "application/grpc" },
        { "te", "trailers" },
        { "user-agent", USER_AGENT },
        { "grpc-accept-encoding", "identity,gzip" },
        { "grpc-timeout", timeout_s },
    };
    size_t n_fixed = SG_ARRAY_LEN(fixed) - (timeout_ms > 0 ? 0 : 1);
    nghttp2_nv *nv = sg_calloc(n_fixed + n_headers, sizeof *nv);
    size_t n = 0;
    for (size_t i = 0; i < n_fixed; i++, n++) {
        nv[n].name = (uint8_t *)fixed[i][0];
        nv[n].namelen = strlen(fixed[i][0]);
        nv[n].value = (uint8_t *)fixed[i][1];
        nv[n].valuelen = strlen(fixed[i][1]);
    }
    for (size_t i = 0; i < n_headers; i++, n++) {
        nv[n].name = (uint8_t *)headers[i].name;
        nv[n].namelen = strlen(headers[i].name);
        nv[n].value = (uint8_t *)headers[i].value;
        nv[n].valuelen = strlen(headers[i].value);
    }
    stream *s = sg_calloc(1, sizeof *s);
    s->req = data;
    s->req_len = data_len;
    nghttp2_data_provider prd = { .source.ptr = s, .read_callback = read_req };
    int32_t id = nghttp2_submit_request(c->session, NULL, nv, n, data_len ? &prd : NULL, s);
    sg_free(nv);
    if (id < 0) {
        stream_free(s);
        return SG_EIO; /* NGHTTP2_ERR_STREAM_ID_NOT_AVAILABLE or a session going away */
    }
    s->id = id;
    s->next = c->streams;
    c->streams = s;
    *stream_id = id;
    return 0;
}

int sg_grpc_client_start(sg_grpc_client *c, const char *path,
                         const sg_grpc_client_header *headers, size_t n_headers,
                         const uint8_t *data, size_t data_len, int timeout_ms, int32_t *stream_id)
{
    uint8_t *copy = data_len ? sg_memdup(data, data_len) : NULL;
    return start_owned(c, path, headers, n_headers, copy, data_len, timeout_ms, stream_id);
}

int sg_grpc_client_wait(sg_grpc_client *c, int32_t stream_id, int timeout_ms,
                        sg_grpc_result *res)
{
    memset(res, 0, sizeof *res);
    stream *s = stream_find(c, stream_id);
    if (!s || s->is_abandoned)
        return SG_EINVAL;
    int64_t deadline = deadline_after(timeout_ms);
    for (;;) {
        int rc = c->is_dead ? SG_EIO : fill_out(c);
        if (s->is_closed)
            break;
        if (rc == 0)
            rc = io_once(c, deadline);
        if (s->is_closed)
            break;
        if (rc < 0) {
            stream_abandon(c, s);
            return rc;
        }
    }
    result_from_stream(s, res);
    stream_unlink_free(c, s);
    return 0;
}

int sg_grpc_client_call(sg_grpc_client *c, const char *path, const uint8_t *req, size_t req_len,
                        int timeout_ms, sg_grpc_result *res)
{
    memset(res, 0, sizeof *res);
    uint8_t *framed;
    size_t framed_len;
    int rc = sg_grpc_client_frame(req, req_len, c->is_gzip, &framed, &framed_len);
    if (rc < 0)
        return rc;
    sg_grpc_client_header gzip = { "grpc-encoding", "gzip" };
    int32_t id;
    rc = start_owned(c, path, &gzip, c->is_gzip ? 1 : 0, framed, framed_len, timeout_ms, &id);
    if (rc < 0)
        return rc;
    return sg_grpc_client_wait(c, id, timeout_ms, res);
}

int sg_grpc_client_send_raw(sg_grpc_client *c, const uint8_t *bytes, size_t len)
{
    int64_t deadline = deadline_after(c->io_timeout_ms);
    int rc = flush(c, deadline, true);
    if (rc < 0)
        return rc;
    bytes_append(&c->out, bytes, len);
    return flush(c, deadline, false);
}

int sg_grpc_client_fd(const sg_grpc_client *c)
{
    return c->fd;
}

void sg_grpc_result_deinit(sg_grpc_result *res)
{
    sg_free(res->message);
    sg_free(res->body);
    sg_free(res->details);
    memset(res, 0, sizeof *res);
}
