/* SPDX-License-Identifier: Apache-2.0 */
/* fuzz_http.c: libFuzzer target for the HTTP/1.1 server (web/http.c) that serves /metrics:
 * request bytes as a client sends them, over loopback TCP, through http-parser into the handler
 * and back.
 *
 * Design note. The process starts the server once on 127.0.0.1, port 0, with a handler that
 * answers /metrics and 404s the rest, as the node's does; /later defers its answer to a timer
 * (as the HTTP API answers after a group commit, so pipelined requests wait and a client may
 * leave first), /now defers and answers before the handler returns, and /stream answers chunked
 * in three pieces. Each input is one connection: the
 * harness writes the input (in up to four pieces, split where the first bytes say, so requests
 * straddling reads are covered), half-closes, and runs the loop while reading until the server
 * closes the connection or goes quiet; then hangs up. Whatever the bytes, the server must keep
 * answering: a well-formed request on a fresh connection afterwards gets its 200. */
#include "web/http.h"

#include "core/sg.h"

#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uv_loop_t loop;
static sg_http *srv;
static int port;

static void on_later(uv_timer_t *t)
{
    sg_http_finish(t->data, 200, "application/json", "{}", 2);
    uv_close((uv_handle_t *)t, (uv_close_cb)sg_free);
}

/* Three pieces, then the end (ud counts them down; NULL out: done). */
static bool three_pieces(void *ud, sg_buf *out)
{
    int *left = ud;
    if (!out) {
        sg_free(left);
        return false;
    }
    sg_buf_printf(out, "piece %d;", *left);
    return --*left > 0;
}

static void on_stream_later(uv_timer_t *t)
{
    int *left = sg_calloc(1, sizeof *left);
    *left = 3;
    sg_http_finish_stream(t->data, 200, "text/plain; charset=utf-8", three_pieces, left);
    uv_close((uv_handle_t *)t, (uv_close_cb)sg_free);
}

static void handler(void *ud, const sg_http_request *req, sg_http_response *res)
{
    (void)ud;
    if (strcmp(req->path, "/stream") == 0) {
        uv_timer_t *t = sg_calloc(1, sizeof *t);
        uv_timer_init(&loop, t);
        t->data = sg_http_defer(res);
        uv_timer_start(t, on_stream_later, 0, 0);
        return;
    }
    if (strcmp(req->path, "/later") == 0) {
        uv_timer_t *t = sg_calloc(1, sizeof *t);
        uv_timer_init(&loop, t);
        t->data = sg_http_defer(res);
        uv_timer_start(t, on_later, 0, 0);
        return;
    }
    if (strcmp(req->path, "/now") == 0) {
        sg_http_finish(sg_http_defer(res), 200, "text/plain; charset=utf-8", "now", 3);
        return;
    }
    if (strcmp(req->path, "/metrics") == 0) {
        sg_buf_append_str(&res->body, "# TYPE x counter\nx_total 1\n");
        return;
    }
    res->status = 404;
    sg_buf_printf(&res->body, "{\"code\":5,\"path_len\":%zu,\"body_len\":%zu}", strlen(req->path), req->body_len);
}

static void setup(void)
{
    if (srv)
        return;
    /* The server and this client share the process: a write to a connection the other side
     * closed must fail with EPIPE, as in the server binary, not end the fuzzer. */
    signal(SIGPIPE, SIG_IGN);
    uv_loop_init(&loop);
    if (sg_http_start(&loop, "127.0.0.1", 0, handler, NULL, &srv) < 0)
        abort();
    port = sg_http_port(srv);
}

/* One connection: writes the pieces, reads until closed or quiet; returns what came back. */
static size_t exchange(const uint8_t *data, size_t size, const size_t *cuts, int n_cuts, char *reply, size_t cap)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    /* Each connection from its own loopback address (127.1.0.1 on): the server closes first
     * after a "Connection: close" answer, and its TIME_WAIT entries for 127.0.0.1 alone used up
     * the client's 28,000 ephemeral ports under a busy CI (connect failed, the fuzzer aborted). */
    static uint32_t next_src;
    uint32_t src_no = next_src++ % 65000;
    struct sockaddr_in src = { .sin_family = AF_INET,
                               .sin_addr.s_addr = htonl(0x7f010000u | ((src_no / 250) << 8) | (src_no % 250 + 1)) };
    if (fd < 0 || bind(fd, (struct sockaddr *)&src, sizeof src) < 0 ||
        connect(fd, (struct sockaddr *)&a, sizeof a) < 0) {
        fprintf(stderr, "fuzz_http: connect: %s\n", strerror(errno));
        abort();
    }
    size_t got = 0, from = 0;
    for (int i = 0; i <= n_cuts; i++) {
        size_t to = i < n_cuts ? cuts[i] : size;
        for (size_t off = from; off < to;) {
            ssize_t w = send(fd, data + off, to - off, MSG_NOSIGNAL | MSG_DONTWAIT);
            if (w > 0)
                off += (size_t)w;
            else if (w < 0 && errno != EAGAIN)
                break;
            uv_run(&loop, UV_RUN_NOWAIT);
        }
        from = to;
        for (int k = 0; k < 4; k++)
            uv_run(&loop, UV_RUN_NOWAIT);
    }
    shutdown(fd, SHUT_WR);
    for (int quiet = 0; quiet < 8;) {
        uv_run(&loop, UV_RUN_NOWAIT);
        struct pollfd p = { fd, POLLIN, 0 };
        if (poll(&p, 1, 1) > 0) {
            char buf[4096];
            ssize_t r = recv(fd, buf, sizeof buf, 0);
            if (r <= 0)
                break; /* closed by the server */
            if (got < cap) {
                size_t n = SG_MIN((size_t)r, cap - got);
                memcpy(reply + got, buf, n);
                got += n;
            }
            quiet = 0;
        } else {
            quiet++;
        }
    }
    /* Reset rather than close: a closing client leaves its port in TIME_WAIT for a minute, and
     * at ~10,000 connections a second the ephemeral ports ran out (connect failed) within the
     * CI smoke's 10 s once deferred answers made the client the first to close. */
    struct linger lg = { 1, 0 };
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    close(fd);
    for (int k = 0; k < 4; k++)
        uv_run(&loop, UV_RUN_NOWAIT);
    return got;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    setup();
    size_t cuts[3];
    int n_cuts = 0;
    if (size >= 3) {
        for (int i = 0; i < 3; i++) {
            size_t c = 3 + (size_t)data[i] * (size - 3) / 256;
            if (n_cuts == 0 || c > cuts[n_cuts - 1])
                cuts[n_cuts++] = c;
        }
        data += 3, size -= 3;
        for (int i = 0; i < n_cuts; i++)
            cuts[i] -= 3;
    }
    char reply[256];
    exchange(data, size, cuts, n_cuts, reply, sizeof reply);
    /* The server still answers. */
    static const char ok[] = "GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    size_t n = exchange((const uint8_t *)ok, sizeof ok - 1, NULL, 0, reply, sizeof reply - 1);
    reply[n] = 0;
    if (strncmp(reply, "HTTP/1.1 200 OK\r\n", 17) != 0)
        abort();
    return 0;
}
