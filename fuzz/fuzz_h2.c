/* SPDX-License-Identifier: Apache-2.0 */
/* fuzz_h2.c: libFuzzer target for the gRPC request path — bytes as an HTTP/2 client sends
 * them, through the real server (net/server.c, conn.c, nghttp2) into calls and the frontend.
 *
 * Design note. The process starts the real sg_server once on 127.0.0.1, port 0, over the
 * fuzz stack (fuzz_common.c: in-memory store, namespace "default"), and rebuilds both every
 * STACK_INPUTS inputs so the store does not grow without bound. Each input is one client
 * connection over loopback TCP: the harness writes the client preface and an empty SETTINGS
 * frame, then the segments the input describes, running the server's loop between writes and
 * draining what the server sends back; then it waits for the server to go quiet, hangs up, and
 * requires the server to close the connection and finish every call it dispatched (a call left
 * unfinished after its client is gone is reported, as is any sanitizer error).
 *
 * Input: a sequence of operations; each starts with a byte whose value modulo 5 says:
 *   0 FRAME    type, flags, stream id (1 byte each), length (2 bytes, big-endian; capped at
 *              what is left), payload: one frame, its header's length field made right.
 *   1 RAW      length (2 bytes), bytes: written as they are (captured traffic, broken frames).
 *   2 HEADERS  flags, stream id, count, then count × (name length (1), name, value length (2),
 *              value): a HEADERS frame whose block encodes each pair as an HPACK literal
 *              (continued in CONTINUATION frames when over 16 KiB).
 *   3 GRPC     service, method, options (1 byte each), body length (2), body: a well-formed
 *              unary call on the next client stream — HEADERS (:method POST, :path picked as
 *              in fuzz_rpc, content-type application/grpc, te: trailers) and DATA with the
 *              5-byte gRPC prefix. Options: bit 0 grpc-timeout 2S, bit 1 gzip, bit 2 no
 *              END_STREAM, bit 3 content-type application/grpc+proto, bit 4 the DATA split in
 *              two frames, bit 5 an identity grpc-encoding header, bit 6 temporal-namespace.
 *   4 PAUSE    sends what came before and lets the server run a few loop iterations.
 * See fuzz/h2.dict for the tokens the mutator is given. */
#include "fuzz_common.h"

#include "net/netint.h"

#include <errno.h>
#include <poll.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define STACK_INPUTS 2000
#define SETTLE_ITERATIONS 64
#define QUIET_ITERATIONS 2
#define SEND_ITERATIONS 4096
#define MAX_FRAME 16384

static const char preface[] = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

static fz_env env;
static sg_server *srv;
static unsigned n_inputs;
static bool is_stopped;

/* ---- the server ---- */

static void on_stopped(void *ud)
{
    is_stopped = true;
}

static void server_up(void)
{
    /* The server and this client share the process: a write to a connection the other side
     * closed must fail with EPIPE, as in the server binary, not end the fuzzer. */
    signal(SIGPIPE, SIG_IGN);
    fz_env_open(&env);
    sg_server_options o = { .ip = "127.0.0.1", .port = 0, .dispatch = sg_frontend_dispatch,
                            .dispatch_ud = env.fe };
    if (sg_server_start(&env.h.loop, &o, &srv) < 0)
        fz_fail("cannot start the server");
}

static void server_down(void)
{
    is_stopped = false;
    sg_server_stop(srv, 0, on_stopped, NULL);
    for (int i = 0; i < 1000 && !is_stopped; i++)
        uv_run(&env.h.loop, UV_RUN_NOWAIT);
    if (!is_stopped)
        fz_fail("the server did not stop");
    sg_server_free(srv);
    srv = NULL;
    fz_env_close(&env);
}

/* ---- building the client's bytes ---- */

typedef struct reader {
    const uint8_t *p;
    size_t n;
} reader;

static unsigned take8(reader *r)
{
    if (!r->n)
        return 0;
    r->n--;
    return *r->p++;
}

static size_t take16(reader *r)
{
    size_t hi = take8(r);
    return hi << 8 | take8(r);
}

static const uint8_t *take(reader *r, size_t *len)
{
    if (*len > r->n)
        *len = r->n;
    const uint8_t *p = r->p;
    r->p += *len;
    r->n -= *len;
    return p;
}

/* A segment: bytes sent, then the loop runs (PAUSE ends one). */
typedef struct client {
    sg_buf seg;
    int fd;
    uint32_t next_stream;
    size_t received;
    bool is_eof;
} client;

static void frame(sg_buf *b, size_t len, uint8_t type, uint8_t flags, uint32_t stream)
{
    uint8_t h[9] = { (uint8_t)(len >> 16), (uint8_t)(len >> 8), (uint8_t)len, type, flags,
                     (uint8_t)(stream >> 24 & 0x7f), (uint8_t)(stream >> 16),
                     (uint8_t)(stream >> 8), (uint8_t)stream };
    sg_buf_append(b, h, sizeof h);
}

/* HPACK integer with an n-bit prefix (RFC 7541 5.1); first carries the pattern bits. */
static void hpack_int(sg_buf *b, uint8_t first, int n, size_t v)
{
    size_t max = ((size_t)1 << n) - 1;
    if (v < max) {
        uint8_t c = (uint8_t)(first | v);
        sg_buf_append(b, &c, 1);
        return;
    }
    uint8_t c = (uint8_t)(first | max);
    sg_buf_append(b, &c, 1);
    v -= max;
    while (v >= 128) {
        c = (uint8_t)(v % 128 + 128);
        sg_buf_append(b, &c, 1);
        v /= 128;
    }
    c = (uint8_t)v;
    sg_buf_append(b, &c, 1);
}

/* A literal header field without indexing, new name (RFC 7541 6.2.2). */
static void hpack_literal(sg_buf *b, const void *name, size_t nlen, const void *value, size_t vlen)
{
    hpack_int(b, 0x00, 4, 0);
    hpack_int(b, 0x00, 7, nlen);
    if (nlen)
        sg_buf_append(b, name, nlen);
    hpack_int(b, 0x00, 7, vlen);
    if (vlen)
        sg_buf_append(b, value, vlen);
}

static void hpack_str(sg_buf *b, const char *name, const char *value)
{
    hpack_literal(b, name, strlen(name), value, strlen(value));
}

/* HEADERS (+ CONTINUATION) carrying block; END_HEADERS goes on the last frame when asked. */
static void headers_frames(sg_buf *out, const sg_buf *block, uint8_t flags, uint32_t stream)
{
    const uint8_t *p = block->len ? sg_buf_head(block) : NULL;
    size_t left = block->len;
    bool is_first = true;
    do {
        size_t n = SG_MIN(left, (size_t)MAX_FRAME);
        bool is_last = n == left;
        uint8_t f = is_first ? (uint8_t)(flags & ~0x4) : 0;
        if (is_last)
            f |= flags & 0x4;
        frame(out, n, is_first ? 0x1 : 0x9, f, stream);
        if (n) {
            sg_buf_append(out, p, n);
            p += n;
        }
        left -= n;
        is_first = false;
    } while (left);
}

static void op_grpc(client *c, reader *r)
{
    const ProtobufCServiceDescriptor *svc;
    uint8_t svc_byte = (uint8_t)take8(r), method_byte = (uint8_t)take8(r);
    const ProtobufCMethodDescriptor *md = fz_method_pick(svc_byte, method_byte, &svc);
    unsigned opts = take8(r);
    size_t len = take16(r);
    const uint8_t *body = take(r, &len);
    uint32_t stream = c->next_stream;
    c->next_stream += 2;

    sg_buf block, msg;
    sg_buf_init(&block);
    sg_buf_init(&msg);
    char path[256];
    snprintf(path, sizeof path, "/%s/%s", svc->name, md->name);
    hpack_str(&block, ":method", "POST");
    hpack_str(&block, ":scheme", "http");
    hpack_str(&block, ":path", path);
    hpack_str(&block, ":authority", "127.0.0.1");
    hpack_str(&block, "content-type", opts & 8 ? "application/grpc+proto" : "application/grpc");
    hpack_str(&block, "te", "trailers");
    hpack_str(&block, "user-agent", "grpc-node-js/1.13.4");
    if (opts & 1)
        hpack_str(&block, "grpc-timeout", "2S");
    if (opts & 2)
        hpack_str(&block, "grpc-encoding", "gzip");
    else if (opts & 32)
        hpack_str(&block, "grpc-encoding", "identity");
    hpack_str(&block, "grpc-accept-encoding", "identity,gzip");
    if (opts & 64)
        hpack_str(&block, "temporal-namespace", EH_NS);
    headers_frames(&c->seg, &block, 0x4, stream);

    if (opts & 2)
        sg_gzip_deflate(&msg, body, len);
    else if (len)
        sg_buf_append(&msg, body, len);
    size_t mlen = msg.len;
    uint8_t prefix[5] = { opts & 2 ? 1 : 0, (uint8_t)(mlen >> 24), (uint8_t)(mlen >> 16),
                          (uint8_t)(mlen >> 8), (uint8_t)mlen };
    sg_buf data;
    sg_buf_init(&data);
    sg_buf_append(&data, prefix, sizeof prefix);
    if (mlen)
        sg_buf_append(&data, sg_buf_head(&msg), mlen);
    uint8_t end = opts & 4 ? 0 : 0x1;
    const uint8_t *p = sg_buf_head(&data);
    size_t left = data.len;
    size_t first = opts & 16 ? left / 2 : left;
    while (left) {
        size_t n = SG_MIN(SG_MIN(left, first ? first : left), (size_t)MAX_FRAME);
        frame(&c->seg, n, 0x0, n == left ? end : 0, stream);
        sg_buf_append(&c->seg, p, n);
        p += n;
        left -= n;
        first = 0;
    }
    sg_buf_deinit(&data);
    sg_buf_deinit(&msg);
    sg_buf_deinit(&block);
}

static void op_headers(client *c, reader *r)
{
    uint8_t flags = (uint8_t)take8(r);
    uint32_t stream = take8(r);
    unsigned count = take8(r);
    sg_buf block;
    sg_buf_init(&block);
    for (unsigned i = 0; i < count && r->n; i++) {
        size_t nlen = take8(r);
        const uint8_t *name = take(r, &nlen);
        size_t vlen = take16(r);
        const uint8_t *value = take(r, &vlen);
        hpack_literal(&block, name, nlen, value, vlen);
    }
    headers_frames(&c->seg, &block, flags, stream);
    sg_buf_deinit(&block);
}

/* ---- talking to the server ---- */

static void drain(client *c)
{
    uint8_t buf[65536];
    for (;;) {
        ssize_t n = recv(c->fd, buf, sizeof buf, MSG_DONTWAIT);
        if (n > 0) {
            c->received += (size_t)n;
            continue;
        }
        if (n == 0 || (errno != EAGAIN && errno != EINTR))
            c->is_eof = true;
        return;
    }
}

static void run_once(client *c)
{
    uv_run(&env.h.loop, UV_RUN_NOWAIT);
    drain(c);
}

/* Sends the segment, running the loop whenever the socket is full. */
static void flush_segment(client *c)
{
    size_t left = c->seg.len;
    const uint8_t *p = left ? sg_buf_head(&c->seg) : NULL;
    for (int i = 0; left && !c->is_eof && i < SEND_ITERATIONS; i++) {
        ssize_t n = send(c->fd, p, left, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n > 0) {
            p += n;
            left -= (size_t)n;
        } else if (n < 0 && errno != EAGAIN && errno != EINTR) {
            break; /* the server hung up: what is left cannot be sent */
        }
        run_once(c);
    }
    sg_buf_reset(&c->seg);
    for (int i = 0; i < QUIET_ITERATIONS; i++)
        run_once(c);
}

/* Runs the loop until nothing more arrives and no call is in flight (or the server hung up). */
static void settle(client *c)
{
    int quiet = 0;
    for (int i = 0; i < SETTLE_ITERATIONS && !c->is_eof && quiet < QUIET_ITERATIONS; i++) {
        size_t before = c->received;
        run_once(c);
        quiet = c->received == before && sg_server_calls_in_flight(srv) == 0 ? quiet + 1 : 0;
    }
}

static int connect_server(void)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        fz_fail("socket: %s", strerror(errno));
    struct sockaddr_in sa = { .sin_family = AF_INET,
                              .sin_port = htons((uint16_t)sg_server_port(srv)),
                              .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    /* Loopback with a listening socket: completes at once, before the server accepts. But
     * libFuzzer's timeout alarm (SIGALRM, every second) can interrupt it; the connection then
     * goes on by itself, so wait for it instead of failing (found by a 20-minute `make fuzz`). */
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
        if (errno != EINTR)
            fz_fail("connect: %s", strerror(errno));
        struct pollfd pfd = { .fd = fd, .events = POLLOUT };
        int err = 0;
        socklen_t len = sizeof err;
        int rc;
        do
            rc = poll(&pfd, 1, 5000);
        while (rc < 0 && errno == EINTR);
        if (rc <= 0 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0 || err != 0)
            fz_fail("connect (after EINTR): %s", strerror(err ? err : errno ? errno : ETIMEDOUT));
    }
    return fd;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (srv && n_inputs % STACK_INPUTS == 0)
        server_down();
    if (!srv)
        server_up();
    n_inputs++;

    client c = { .fd = connect_server(), .next_stream = 1 };
    sg_buf_init(&c.seg);
    sg_buf_append(&c.seg, preface, sizeof preface - 1);
    frame(&c.seg, 0, 0x4, 0, 0); /* SETTINGS, empty */
    reader r = { data, size };
    while (r.n && !c.is_eof) {
        switch (take8(&r) % 5) {
        case 0: {
            uint8_t type = (uint8_t)take8(&r), flags = (uint8_t)take8(&r);
            uint32_t stream = take8(&r);
            size_t len = take16(&r);
            const uint8_t *p = take(&r, &len);
            frame(&c.seg, len, type, flags, stream);
            if (len)
                sg_buf_append(&c.seg, p, len);
            break;
        }
        case 1: {
            size_t len = take16(&r);
            const uint8_t *p = take(&r, &len);
            if (len)
                sg_buf_append(&c.seg, p, len);
            break;
        }
        case 2: op_headers(&c, &r); break;
        case 3: op_grpc(&c, &r); break;
        default: flush_segment(&c); break;
        }
    }
    flush_segment(&c);
    settle(&c);
    sg_buf_deinit(&c.seg);

    /* Hang up; the server must close its side and finish every call of the connection. */
    drain(&c);
    close(c.fd);
    for (int i = 0; i < SETTLE_ITERATIONS && (srv->n_conns || sg_server_calls_in_flight(srv)); i++)
        uv_run(&env.h.loop, UV_RUN_NOWAIT);
    if (srv->n_conns)
        fz_fail("the server kept a connection open after the client closed it");
    if (sg_server_calls_in_flight(srv))
        fz_fail("%zu call(s) still unfinished after their connection closed",
                sg_server_calls_in_flight(srv));
    return 0;
}
