/* SPDX-License-Identifier: Apache-2.0 */
/* test_grpc_hostile.c: feeds the real server hostile HTTP/2 and gRPC input and checks that it
 * answers each as grpc-go would and keeps serving everyone else.
 *
 * Design: each test starts the `sandglass` binary (SANDGLASS_BIN, else build/sandglass) as a
 * child on a free 127.0.0.1 port, waits (at most 10 s) for a Health check to answer, sends one
 * kind of hostile input, and after each input opens a fresh connection and requires a healthy
 * Health check. The child is killed when the test ends however it ends: explicitly on success,
 * from an atexit handler when a CHECK fails, and by PR_SET_PDEATHSIG if the runner kills the
 * test process on timeout. Raw sockets send what is not HTTP/2 at all; grpc_client's
 * start/send_raw send well-formed HTTP/2 carrying bad gRPC, or bad frames after a good preface. */
#include "test.h"

#include "core/buf.h"
#include "core/sg.h"
#include "net/grpc_client.h"

#include "temporal/api/workflowservice/v1/request_response.pb-c.h"

#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <valgrind/valgrind.h>
#include <zlib.h>

/* gRPC status codes this file expects. */
enum {
    GRPC_OK = 0,
    GRPC_INVALID_ARGUMENT = 3,
    GRPC_NOT_FOUND = 5,
    GRPC_RESOURCE_EXHAUSTED = 8,
    GRPC_UNIMPLEMENTED = 12,
    GRPC_INTERNAL = 13,
};

#define HEALTH_CHECK "/grpc.health.v1.Health/Check"
#define WFS "/temporal.api.workflowservice.v1.WorkflowService/"
#define DESCRIBE_NAMESPACE WFS "DescribeNamespace"
#define NO_SUCH_NAMESPACE "sg-hostile-no-such-namespace"
#define CALL_TIMEOUT_MS 10000
#define START_TIMEOUT_MS 10000

static const char h2_preface[] = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

static pid_t server_pid = -1;
static int server_port;

/* ---- the server child ---- */

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(int ms)
{
    struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };
    nanosleep(&ts, NULL);
}

/* SIGTERM, then SIGKILL if the server has not exited after wait_ms. Returns its wait status,
 * or -1 if it had to be killed or was already reaped. */
static int server_stop_within(int wait_ms)
{
    if (server_pid <= 0)
        return -1;
    pid_t pid = server_pid;
    server_pid = -1;
    kill(pid, SIGTERM);
    int64_t until = mono_ms() + wait_ms;
    while (mono_ms() < until) {
        int st;
        pid_t r = waitpid(pid, &st, WNOHANG);
        if (r == pid)
            return st;
        if (r < 0 && errno == ECHILD)
            return -1;
        sleep_ms(10);
    }
    fprintf(stderr, "  server pid %d ignored SIGTERM for %d ms; sending SIGKILL\n", (int)pid,
            wait_ms);
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    return -1;
}

static void server_stop(void)
{
    server_stop_within(5000);
}

static int pick_free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    CHECK(fd >= 0);
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    CHECK(bind(fd, (struct sockaddr *)&sa, sizeof sa) == 0);
    socklen_t sl = sizeof sa;
    CHECK(getsockname(fd, (struct sockaddr *)&sa, &sl) == 0);
    close(fd);
    return ntohs(sa.sin_port);
}

static bool body_is_serving(const sg_grpc_result *r)
{
    return r->body_len == 2 && r->body[0] == 0x08 && r->body[1] == 0x01;
}

static void dump(const char *what, int rc, const sg_grpc_result *r)
{
    fprintf(stderr, "  %s: rc=%s", what, sg_strerror(rc));
    if (rc == 0) {
        fprintf(stderr, " status=%d is_from_server=%d message=\"%s\" body_len=%zu", r->status,
                r->is_from_server, r->message, r->body_len);
        if (r->body_len > 0) {
            fprintf(stderr, " body=");
            for (size_t i = 0; i < r->body_len && i < 16; i++)
                fprintf(stderr, "%02x", r->body[i]);
        }
    }
    fputc('\n', stderr);
}

/* Checks cond about (rc, res), printing the call's outcome first when it does not hold. */
#define CHECK_CALL(what, rc, res, cond)                                                       \
    do {                                                                                      \
        if (!(cond)) {                                                                        \
            dump(what, rc, &(res));                                                           \
            CHECK(cond);                                                                      \
        }                                                                                     \
    } while (0)

/* One Health check on a fresh connection. Returns the transport result. */
static int health_once(int open_timeout_ms, int call_timeout_ms, sg_grpc_result *res)
{
    memset(res, 0, sizeof *res);
    sg_grpc_client *c;
    int rc = sg_grpc_client_open("127.0.0.1", server_port, open_timeout_ms, &c);
    if (rc < 0)
        return rc;
    rc = sg_grpc_client_call(c, HEALTH_CHECK, NULL, 0, call_timeout_ms, res);
    sg_grpc_client_close(c);
    return rc;
}

static const char *server_bin(void)
{
    static char path[PATH_MAX];
    const char *bin = getenv("SANDGLASS_BIN");
    if (!bin || !*bin)
        bin = "build/sandglass";
    if (!realpath(bin, path) || access(path, X_OK) != 0) {
        char cwd[PATH_MAX];
        fprintf(stderr,
                "  no executable sandglass binary at \"%s\" (cwd %s); build it with `make` or "
                "set SANDGLASS_BIN\n",
                bin, getcwd(cwd, sizeof cwd) ? cwd : "?");
        exit(1);
    }
    return path;
}

static void server_start(void)
{
    static bool is_atexit;
    if (!is_atexit) {
        atexit(server_stop);
        is_atexit = true;
    }
    const char *bin = server_bin();
    server_port = pick_free_port();
    char port_s[16];
    snprintf(port_s, sizeof port_s, "%d", server_port);
    pid_t parent = getpid();
    fflush(NULL);
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent)
            _exit(127);
        if (chdir(sg_test_tmpdir()) != 0)
            _exit(127);
        if (!freopen("/dev/null", "w", stdout))
            _exit(127);
        execl(bin, bin, "server", "start-dev", "--ip", "127.0.0.1", "--port", port_s,
              "--headless", "--log-level", "error", (char *)NULL);
        fprintf(stderr, "  exec %s: %s\n", bin, strerror(errno));
        _exit(127);
    }
    server_pid = pid;
    int64_t until = mono_ms() + START_TIMEOUT_MS;
    int rc = SG_EIO;
    char last[256] = "no answer";
    while (mono_ms() < until) {
        int st;
        if (waitpid(pid, &st, WNOHANG) == pid) {
            server_pid = -1;
            fprintf(stderr, "  server exited during startup (%s %d)\n",
                    WIFEXITED(st) ? "exit status" : "signal",
                    WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
            exit(1);
        }
        sg_grpc_result res;
        rc = health_once(250, 1000, &res);
        if (rc == 0 && res.status == GRPC_OK && body_is_serving(&res)) {
            sg_grpc_result_deinit(&res);
            return;
        }
        if (rc == 0)
            snprintf(last, sizeof last, "status %d, is_from_server %d, message \"%s\"",
                     res.status, res.is_from_server, res.message);
        else
            snprintf(last, sizeof last, "%s", sg_strerror(rc));
        sg_grpc_result_deinit(&res);
        sleep_ms(50);
    }
    fprintf(stderr, "  server on port %d did not answer Health/Check SERVING within %d ms "
                    "(last: %s)\n",
            server_port, START_TIMEOUT_MS, last);
    exit(1);
}

/* The server still serves: a fresh connection gets a SERVING Health check. */
static void expect_healthy(const char *after)
{
    sg_grpc_result res;
    int rc = health_once(2000, CALL_TIMEOUT_MS, &res);
    if (rc != 0 || res.status != GRPC_OK || !res.is_from_server || !body_is_serving(&res)) {
        fprintf(stderr, "  server unhealthy after %s\n", after);
        dump("Health/Check", rc, &res);
        int st;
        if (server_pid > 0 && waitpid(server_pid, &st, WNOHANG) == server_pid) {
            fprintf(stderr, "  server process is gone (%s %d)\n",
                    WIFEXITED(st) ? "exit status" : "signal",
                    WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
            server_pid = -1;
        }
        exit(1);
    }
    sg_grpc_result_deinit(&res);
}

/* ---- raw sockets ---- */

static int raw_connect(void)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    CHECK(fd >= 0);
    struct sockaddr_in sa = { .sin_family = AF_INET,
                              .sin_port = htons((uint16_t)server_port),
                              .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    CHECK(connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0);
    return fd;
}

/* Writes as much as the peer takes; a peer that closes early is not an error here. */
static void raw_write(int fd, const void *p, size_t n)
{
    const uint8_t *b = p;
    while (n > 0) {
        struct pollfd pfd = { .fd = fd, .events = POLLOUT };
        if (poll(&pfd, 1, 5000) <= 0)
            return;
        ssize_t w = send(fd, b, n, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (w < 0 && (errno == EAGAIN || errno == EINTR))
            continue;
        if (w <= 0)
            return;
        b += w;
        n -= (size_t)w;
    }
}

/* Reads and discards (e.g. a GOAWAY) until the peer closes. False if it is still open after
 * timeout_ms. */
static bool raw_wait_closed(int fd, int timeout_ms)
{
    int64_t until = mono_ms() + timeout_ms;
    for (;;) {
        int left = (int)(until - mono_ms());
        if (left <= 0)
            return false;
        struct pollfd pfd = { .fd = fd, .events = POLLIN };
        int n = poll(&pfd, 1, left);
        if (n == 0)
            return false;
        if (n < 0)
            continue;
        uint8_t buf[4096];
        ssize_t r = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
        if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR))
            return true;
    }
}

static void put_frame_header(uint8_t *p, uint32_t len, uint8_t type, uint8_t flags,
                             uint32_t stream_id)
{
    p[0] = (uint8_t)(len >> 16);
    p[1] = (uint8_t)(len >> 8);
    p[2] = (uint8_t)len;
    p[3] = type;
    p[4] = flags;
    p[5] = (uint8_t)(stream_id >> 24 & 0x7f);
    p[6] = (uint8_t)(stream_id >> 16);
    p[7] = (uint8_t)(stream_id >> 8);
    p[8] = (uint8_t)stream_id;
}

/* ---- protobuf bits ---- */

static size_t put_varint(uint8_t *p, uint64_t v)
{
    size_t n = 0;
    while (v >= 0x80) {
        p[n++] = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    p[n++] = (uint8_t)v;
    return n;
}

/* DescribeNamespaceRequest{namespace: ns}, followed by pad_len bytes of unknown field 1000
 * (length-delimited) when pad_len > 0. Caller frees. */
static uint8_t *describe_namespace_req(const char *ns, size_t pad_len, size_t *len)
{
    size_t ns_len = strlen(ns);
    uint8_t *p = sg_malloc(ns_len + pad_len + 32);
    size_t n = 0;
    p[n++] = 0x0a;
    n += put_varint(p + n, ns_len);
    memcpy(p + n, ns, ns_len);
    n += ns_len;
    if (pad_len > 0) {
        n += put_varint(p + n, (uint64_t)1000 << 3 | 2);
        n += put_varint(p + n, pad_len);
        memset(p + n, 'x', pad_len);
        n += pad_len;
    }
    *len = n;
    return p;
}

/* ---- tests ---- */

/* Client-only: framing is what the gRPC wire format says, gzip included. */
SG_TEST(grpc_client_frame_formats)
{
    const uint8_t msg[] = { 0x0a, 0x03, 'a', 'b', 'c' };
    uint8_t *f;
    size_t n;
    CHECK_EQ_INT(sg_grpc_client_frame(msg, sizeof msg, false, &f, &n), 0);
    CHECK_EQ_INT(n, 10);
    CHECK(memcmp(f, "\x00\x00\x00\x00\x05", 5) == 0 && memcmp(f + 5, msg, 5) == 0);
    sg_free(f);
    CHECK_EQ_INT(sg_grpc_client_frame(NULL, 0, false, &f, &n), 0);
    CHECK_EQ_INT(n, 5);
    CHECK(memcmp(f, "\x00\x00\x00\x00\x00", 5) == 0);
    sg_free(f);
    CHECK_EQ_INT(sg_grpc_client_frame(msg, sizeof msg, true, &f, &n), 0);
    CHECK_EQ_INT(f[0], 1);
    uint32_t zlen = (uint32_t)f[1] << 24 | (uint32_t)f[2] << 16 | (uint32_t)f[3] << 8 | f[4];
    CHECK_EQ_INT(zlen, n - 5);
    CHECK(f[5] == 0x1f && f[6] == 0x8b); /* gzip magic */
    uint8_t out[64];
    z_stream z;
    memset(&z, 0, sizeof z);
    CHECK_EQ_INT(inflateInit2(&z, 16 + MAX_WBITS), Z_OK);
    z.next_in = f + 5;
    z.avail_in = zlen;
    z.next_out = out;
    z.avail_out = sizeof out;
    CHECK_EQ_INT(inflate(&z, Z_FINISH), Z_STREAM_END);
    CHECK_EQ_INT(z.total_out, sizeof msg);
    CHECK(memcmp(out, msg, sizeof msg) == 0);
    inflateEnd(&z);
    sg_free(f);
}

/* Client-only: a refused connection is SG_EIO, not a hang. */
SG_TEST(grpc_client_open_refused)
{
    int port = pick_free_port();
    sg_grpc_client *c = (sg_grpc_client *)1;
    CHECK_EQ_INT(sg_grpc_client_open("127.0.0.1", port, 2000, &c), SG_EIO);
    CHECK(c == NULL);
}

SG_TEST(grpc_hostile_http1_preface)
{
    server_start();
    int fd = raw_connect();
    const char req[] = "GET / HTTP/1.1\r\nHost: localhost\r\n\r\n";
    raw_write(fd, req, sizeof req - 1);
    if (!raw_wait_closed(fd, 5000)) {
        fprintf(stderr, "  server kept the connection open 5 s after an HTTP/1.1 request\n");
        CHECK(!"connection closed");
    }
    close(fd);
    expect_healthy("an HTTP/1.1 request instead of the preface");
    server_stop();
}

SG_TEST(grpc_hostile_random_preface)
{
    server_start();
    uint8_t junk[4096];
    uint32_t x = 0x9e3779b9u; /* xorshift32: the same "random" bytes every run */
    for (size_t i = 0; i < sizeof junk; i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        junk[i] = (uint8_t)x;
    }
    int fd = raw_connect();
    raw_write(fd, junk, sizeof junk);
    if (!raw_wait_closed(fd, 5000)) {
        fprintf(stderr, "  server kept the connection open 5 s after 4 KiB of random bytes\n");
        CHECK(!"connection closed");
    }
    close(fd);
    expect_healthy("4 KiB of random bytes instead of the preface");
    server_stop();
}

SG_TEST(grpc_hostile_truncated_frames)
{
    server_start();

    /* A SETTINGS frame announcing 18 bytes of payload, 6 sent, then close. */
    int fd = raw_connect();
    uint8_t buf[64];
    memcpy(buf, h2_preface, 24);
    put_frame_header(buf + 24, 18, 0x4, 0, 0);
    memset(buf + 33, 0, 6);
    raw_write(fd, buf, 39);
    close(fd);
    expect_healthy("a truncated SETTINGS frame");

    /* Half a frame header, then close. */
    fd = raw_connect();
    memcpy(buf, h2_preface, 24);
    put_frame_header(buf + 24, 0, 0x4, 0, 0);
    raw_write(fd, buf, 28);
    close(fd);
    expect_healthy("a preface followed by half a frame header");

    /* After a proper client preface: a HEADERS frame announcing 100 bytes, 10 sent. The server
     * must keep serving others while this connection sits mid-frame, and after it closes. */
    sg_grpc_client *c;
    CHECK_EQ_INT(sg_grpc_client_open("127.0.0.1", server_port, 2000, &c), 0);
    put_frame_header(buf, 100, 0x1, 0x4 /* END_HEADERS */, 1);
    memset(buf + 9, 0x82, 10);
    CHECK_EQ_INT(sg_grpc_client_send_raw(c, buf, 19), 0);
    expect_healthy("a truncated HEADERS frame (connection still open)");
    sg_grpc_client_close(c);
    expect_healthy("a truncated HEADERS frame (connection closed)");
    server_stop();
}

/* Not in HTTP/2's rules: a frame longer than SETTINGS_MAX_FRAME_SIZE is a connection error
 * (FRAME_SIZE_ERROR): the server must send GOAWAY and close rather than wait for 16 MB. */
SG_TEST(grpc_hostile_oversized_frame)
{
    server_start();
    sg_grpc_client *c;
    CHECK_EQ_INT(sg_grpc_client_open("127.0.0.1", server_port, 2000, &c), 0);
    uint8_t hdr[9 + 16];
    put_frame_header(hdr, 0xffffff, 0x0 /* DATA */, 0, 1);
    memset(hdr + 9, 0, 16);
    CHECK_EQ_INT(sg_grpc_client_send_raw(c, hdr, sizeof hdr), 0);
    if (!raw_wait_closed(sg_grpc_client_fd(c), 5000)) {
        fprintf(stderr, "  server kept the connection open 5 s after a 16 MiB frame header\n");
        CHECK(!"connection closed");
    }
    sg_grpc_client_close(c);
    expect_healthy("a frame header announcing 16 MiB");
    server_stop();
}

/* Starts one request with the given DATA payload and extra headers and waits for it. */
static int call_raw(const char *path, const sg_grpc_client_header *hdrs, size_t n_hdrs,
                    const uint8_t *data, size_t len, sg_grpc_result *res)
{
    sg_grpc_client *c;
    int rc = sg_grpc_client_open("127.0.0.1", server_port, 2000, &c);
    if (rc < 0) {
        memset(res, 0, sizeof *res);
        return rc;
    }
    int32_t id;
    rc = sg_grpc_client_start(c, path, hdrs, n_hdrs, data, len, CALL_TIMEOUT_MS, &id);
    if (rc == 0)
        rc = sg_grpc_client_wait(c, id, CALL_TIMEOUT_MS, res);
    sg_grpc_client_close(c);
    return rc;
}

SG_TEST(grpc_hostile_huge_length_prefix)
{
    server_start();
    const uint8_t data[] = { 0x00, 0x05, 0xf5, 0xe1, 0x00, 'a', 'b', 'c', 'd', 'e', 'f' };
    sg_grpc_result res;
    int64_t t0 = mono_ms();
    int rc = call_raw(DESCRIBE_NAMESPACE, NULL, 0, data, sizeof data, &res);
    int64_t took = mono_ms() - t0;
    CHECK_CALL("100 MB length prefix", rc, res,
               rc == 0 && res.is_from_server && res.status == GRPC_RESOURCE_EXHAUSTED);
    CHECK(res.message[0] != '\0');
    CHECK(took < 5000);
    sg_grpc_result_deinit(&res);
    expect_healthy("a message prefix claiming 100 MB");
    server_stop();
}

SG_TEST(grpc_hostile_truncated_message)
{
    server_start();
    uint8_t data[15] = { 0x00, 0x00, 0x00, 0x00, 100 };
    memset(data + 5, 'x', 10);
    sg_grpc_result res;
    int rc = call_raw(DESCRIBE_NAMESPACE, NULL, 0, data, sizeof data, &res);
    CHECK_CALL("prefix 100 bytes, 10 sent", rc, res,
               rc == 0 && res.is_from_server &&
                   (res.status == GRPC_INTERNAL || res.status == GRPC_INVALID_ARGUMENT));
    CHECK_CALL("prefix 100 bytes, 10 sent: message", rc, res, res.message[0] != '\0');
    sg_grpc_result_deinit(&res);
    expect_healthy("a truncated gRPC message");

    /* Fewer than the 5 prefix bytes. */
    rc = call_raw(DESCRIBE_NAMESPACE, NULL, 0, data, 3, &res);
    CHECK_CALL("3-byte body", rc, res,
               rc == 0 && res.is_from_server &&
                   (res.status == GRPC_INTERNAL || res.status == GRPC_INVALID_ARGUMENT));
    sg_grpc_result_deinit(&res);
    expect_healthy("a 3-byte request body");
    server_stop();
}

SG_TEST(grpc_hostile_unknown_method_and_service)
{
    server_start();
    sg_grpc_client *c;
    CHECK_EQ_INT(sg_grpc_client_open("127.0.0.1", server_port, 2000, &c), 0);
    sg_grpc_result res;
    int rc = sg_grpc_client_call(c, WFS "NoSuchMethod", NULL, 0, CALL_TIMEOUT_MS, &res);
    CHECK_CALL("unknown method", rc, res,
               rc == 0 && res.is_from_server && res.status == GRPC_UNIMPLEMENTED);
    CHECK_CALL("unknown method: message", rc, res, strstr(res.message, "NoSuchMethod") != NULL);
    sg_grpc_result_deinit(&res);
    sg_grpc_client_close(c);
    expect_healthy("an unknown method");

    CHECK_EQ_INT(sg_grpc_client_open("127.0.0.1", server_port, 2000, &c), 0);
    rc = sg_grpc_client_call(c, "/no.such.Service/Foo", NULL, 0, CALL_TIMEOUT_MS, &res);
    CHECK_CALL("unknown service", rc, res,
               rc == 0 && res.is_from_server && res.status == GRPC_UNIMPLEMENTED);
    CHECK_CALL("unknown service: message", rc, res,
               strstr(res.message, "no.such.Service") != NULL);
    sg_grpc_result_deinit(&res);
    sg_grpc_client_close(c);
    expect_healthy("an unknown service");
    server_stop();
}

SG_TEST(grpc_hostile_bad_protobuf)
{
    server_start();
    sg_grpc_client *c;
    CHECK_EQ_INT(sg_grpc_client_open("127.0.0.1", server_port, 2000, &c), 0);
    const uint8_t junk[] = { 0xff, 0xff, 0xff, 0xff, 0xff };
    sg_grpc_result res;
    int rc = sg_grpc_client_call(c, DESCRIBE_NAMESPACE, junk, sizeof junk, CALL_TIMEOUT_MS, &res);
    CHECK_CALL("ff ff ff ff ff to DescribeNamespace", rc, res,
               rc == 0 && res.is_from_server && res.status == GRPC_INVALID_ARGUMENT);
    sg_grpc_result_deinit(&res);
    sg_grpc_client_close(c);
    expect_healthy("an unparseable protobuf");
    server_stop();
}

SG_TEST(grpc_hostile_encodings)
{
    server_start();
    const uint8_t snappy_data[] = { 0x01, 0x00, 0x00, 0x00, 0x03, 0x01, 0x02, 0x03 };
    sg_grpc_client_header snappy = { "grpc-encoding", "snappy" };
    sg_grpc_result res;
    int rc = call_raw(HEALTH_CHECK, &snappy, 1, snappy_data, sizeof snappy_data, &res);
    CHECK_CALL("grpc-encoding: snappy", rc, res,
               rc == 0 && res.is_from_server && res.status == GRPC_UNIMPLEMENTED);
    CHECK_CALL("grpc-encoding: snappy: message", rc, res,
               strstr(res.message, "grpc-encoding") != NULL);
    sg_grpc_result_deinit(&res);
    expect_healthy("grpc-encoding: snappy");

    /* gzip that works: the Health check, and a request the server must decode to answer. */
    sg_grpc_client *c;
    CHECK_EQ_INT(sg_grpc_client_open("127.0.0.1", server_port, 2000, &c), 0);
    sg_grpc_client_set_gzip(c, true);
    rc = sg_grpc_client_call(c, HEALTH_CHECK, NULL, 0, CALL_TIMEOUT_MS, &res);
    CHECK_CALL("gzip Health/Check", rc, res,
               rc == 0 && res.is_from_server && res.status == GRPC_OK && body_is_serving(&res));
    sg_grpc_result_deinit(&res);
    size_t req_len;
    uint8_t *req = describe_namespace_req(NO_SUCH_NAMESPACE, 0, &req_len);
    rc = sg_grpc_client_call(c, DESCRIBE_NAMESPACE, req, req_len, CALL_TIMEOUT_MS, &res);
    sg_grpc_client_set_gzip(c, false);
    sg_grpc_result plain;
    int rc_plain = sg_grpc_client_call(c, DESCRIBE_NAMESPACE, req, req_len, CALL_TIMEOUT_MS,
                                       &plain);
    CHECK_CALL("plain DescribeNamespace(no such namespace)", rc_plain, plain,
               rc_plain == 0 && plain.is_from_server &&
                   (plain.status == GRPC_NOT_FOUND || plain.status == GRPC_INVALID_ARGUMENT));
    CHECK_CALL("gzip DescribeNamespace(no such namespace), same status as plain", rc, res,
               rc == 0 && res.is_from_server && res.status == plain.status);
    sg_grpc_result_deinit(&res);
    sg_grpc_result_deinit(&plain);
    sg_free(req);
    sg_grpc_client_close(c);
    expect_healthy("gzip requests");

    /* The compressed flag with bytes that are not gzip. */
    const uint8_t bad_gzip[] = { 0x01, 0x00, 0x00, 0x00, 0x0c, 0x1f, 0x8b, 0x08, 0x00,
                                 'n',  'o',  't',  ' ',  'g',  'z',  'i',  'p' };
    sg_grpc_client_header gzip = { "grpc-encoding", "gzip" };
    rc = call_raw(DESCRIBE_NAMESPACE, &gzip, 1, bad_gzip, sizeof bad_gzip, &res);
    CHECK_CALL("corrupt gzip", rc, res,
               rc == 0 && res.is_from_server &&
                   (res.status == GRPC_INTERNAL || res.status == GRPC_INVALID_ARGUMENT));
    sg_grpc_result_deinit(&res);
    expect_healthy("corrupt gzip data");

    /* The compressed flag without any grpc-encoding. */
    rc = call_raw(DESCRIBE_NAMESPACE, NULL, 0, bad_gzip, sizeof bad_gzip, &res);
    CHECK_CALL("compressed flag, no grpc-encoding", rc, res,
               rc == 0 && res.is_from_server &&
                   (res.status == GRPC_INTERNAL || res.status == GRPC_INVALID_ARGUMENT));
    sg_grpc_result_deinit(&res);
    expect_healthy("the compressed flag without grpc-encoding");
    server_stop();
}

/* A gzip bomb: 64 MiB of zeros compress to ~64 KiB. The server must stop inflating at its
 * message limit (4 MiB by default) and answer RESOURCE_EXHAUSTED. */
SG_TEST(grpc_hostile_gzip_bomb)
{
    server_start();
    size_t big = (size_t)64 << 20;
    uint8_t *zeros = sg_calloc(1, big);
    uint8_t *framed;
    size_t framed_len;
    CHECK_EQ_INT(sg_grpc_client_frame(zeros, big, true, &framed, &framed_len), 0);
    sg_free(zeros);
    CHECK(framed_len < ((size_t)1 << 20));
    sg_grpc_client_header gzip = { "grpc-encoding", "gzip" };
    sg_grpc_result res;
    int rc = call_raw(DESCRIBE_NAMESPACE, &gzip, 1, framed, framed_len, &res);
    sg_free(framed);
    CHECK_CALL("64 MiB gzip bomb", rc, res,
               rc == 0 && res.is_from_server && res.status == GRPC_RESOURCE_EXHAUSTED);
    sg_grpc_result_deinit(&res);
    expect_healthy("a gzip bomb");
    server_stop();
}

SG_TEST(grpc_hostile_many_concurrent_streams)
{
    server_start();
    enum { N = 50 };
    sg_grpc_client *c;
    CHECK_EQ_INT(sg_grpc_client_open("127.0.0.1", server_port, 2000, &c), 0);
    uint8_t *framed;
    size_t framed_len;
    CHECK_EQ_INT(sg_grpc_client_frame(NULL, 0, false, &framed, &framed_len), 0);
    int32_t ids[N];
    for (int i = 0; i < N; i++)
        CHECK_EQ_INT(sg_grpc_client_start(c, HEALTH_CHECK, NULL, 0, framed, framed_len,
                                          CALL_TIMEOUT_MS, &ids[i]),
                     0);
    sg_free(framed);
    /* All 50 leave in the first write; collect the answers newest first. */
    for (int i = N - 1; i >= 0; i--) {
        sg_grpc_result res;
        int rc = sg_grpc_client_wait(c, ids[i], CALL_TIMEOUT_MS, &res);
        if (rc != 0 || res.status != GRPC_OK || !body_is_serving(&res))
            fprintf(stderr, "  stream %d (request %d of %d):\n", (int)ids[i], i + 1, N);
        CHECK_CALL("concurrent Health/Check", rc, res,
                   rc == 0 && res.is_from_server && res.status == GRPC_OK &&
                       body_is_serving(&res));
        sg_grpc_result_deinit(&res);
    }
    sg_grpc_client_close(c);
    expect_healthy("50 concurrent streams");
    server_stop();
}

SG_TEST(grpc_hostile_large_message)
{
    server_start();
    size_t req_len;
    uint8_t *req = describe_namespace_req(NO_SUCH_NAMESPACE, (size_t)1 << 20, &req_len);
    sg_grpc_client *c;
    CHECK_EQ_INT(sg_grpc_client_open("127.0.0.1", server_port, 2000, &c), 0);
    sg_grpc_result res;
    int rc = sg_grpc_client_call(c, DESCRIBE_NAMESPACE, req, req_len, CALL_TIMEOUT_MS, &res);
    if (rc == SG_ETIMEDOUT)
        fprintf(stderr, "  (a 1 MiB request timing out suggests the server never sends "
                        "WINDOW_UPDATE beyond the initial 64 KiB window)\n");
    CHECK_CALL("1 MiB DescribeNamespace", rc, res,
               rc == 0 && res.is_from_server &&
                   (res.status == GRPC_NOT_FOUND || res.status == GRPC_INVALID_ARGUMENT));
    sg_grpc_result_deinit(&res);
    /* The same connection still works after the large stream. */
    rc = sg_grpc_client_call(c, HEALTH_CHECK, NULL, 0, CALL_TIMEOUT_MS, &res);
    CHECK_CALL("Health/Check after 1 MiB on the same connection", rc, res,
               rc == 0 && res.status == GRPC_OK && body_is_serving(&res));
    sg_grpc_result_deinit(&res);
    sg_grpc_client_close(c);
    sg_free(req);
    expect_healthy("a 1 MiB request");
    server_stop();
}

/* Clients ping every 30 s, idle or not (PROTOCOL.md 1.1); a burst of pings must neither close
 * the connection nor disturb the calls on it. */
SG_TEST(grpc_transport_keepalive_pings_tolerated)
{
    server_start();
    sg_grpc_client *c;
    CHECK_EQ_INT(sg_grpc_client_open("127.0.0.1", server_port, 2000, &c), 0);
    for (int i = 0; i < 50; i++) {
        uint8_t ping[9 + 8];
        put_frame_header(ping, 8, 0x6 /* PING */, 0, 0);
        memset(ping + 9, i, 8);
        CHECK_EQ_INT(sg_grpc_client_send_raw(c, ping, sizeof ping), 0);
    }
    const uint8_t empty[] = { 0 };
    sg_grpc_result res;
    CHECK_EQ_INT(sg_grpc_client_call(c, "/grpc.health.v1.Health/Check", empty, 0, CALL_TIMEOUT_MS,
                                     &res),
                 0);
    CHECK_EQ_INT(res.status, GRPC_OK);
    CHECK(body_is_serving(&res));
    sg_grpc_result_deinit(&res);
    sg_grpc_client_close(c);
    server_stop();
}

/* grpc-timeout: a malformed value is the client's bug (INTERNAL, as grpc-go), an already
 * expired one is DEADLINE_EXCEEDED before any work, a sane one is simply honoured. */
SG_TEST(grpc_transport_timeout_header)
{
    server_start();
    const uint8_t frame[] = { 0, 0, 0, 0, 0 }; /* an empty HealthCheckRequest */
    struct {
        const char *value;
        int status;
    } cases[] = { { "bogus", 13 }, { "12345678901S", 13 }, { "0m", 4 }, { "5S", GRPC_OK },
                  { "100000u", GRPC_OK } };
    for (size_t i = 0; i < SG_ARRAY_LEN(cases); i++) {
        sg_grpc_client_header h = { "grpc-timeout", cases[i].value };
        sg_grpc_result res;
        CHECK_EQ_INT(call_raw("/grpc.health.v1.Health/Check", &h, 1, frame, sizeof frame, &res), 0);
        if (res.status != cases[i].status || !res.is_from_server) {
            fprintf(stderr, "  grpc-timeout %s\n", cases[i].value);
            dump("Health/Check", 0, &res);
        }
        CHECK_EQ_INT(res.status, cases[i].status);
        CHECK(res.is_from_server);
        sg_grpc_result_deinit(&res);
    }
    expect_healthy("grpc-timeout cases");
    server_stop();
}

/* ---- hostile values: nesting, time ranges, id lengths, NUL, UTF-8 ---- */

#define START_WORKFLOW WFS "StartWorkflowExecution"

/* Appends field `num` (length-delimited) holding p[0..n) to b. */
static void put_len_field(sg_buf *b, uint32_t num, const void *p, size_t n)
{
    uint8_t hdr[20];
    size_t k = put_varint(hdr, (uint64_t)num << 3 | 2);
    k += put_varint(hdr + k, n);
    sg_buf_append(b, hdr, k);
    sg_buf_append(b, p, n);
}

/* A valid StartWorkflowExecutionRequest in namespace "default" (packed into b), whose
 * workflow_id is left for the caller to append, so that it can hold any bytes. */
static void start_request_without_id(sg_buf *b, const char *task_queue)
{
    Temporal__Api__Workflowservice__V1__StartWorkflowExecutionRequest req =
        TEMPORAL__API__WORKFLOWSERVICE__V1__START_WORKFLOW_EXECUTION_REQUEST__INIT;
    Temporal__Api__Common__V1__WorkflowType wt = TEMPORAL__API__COMMON__V1__WORKFLOW_TYPE__INIT;
    Temporal__Api__Taskqueue__V1__TaskQueue tq = TEMPORAL__API__TASKQUEUE__V1__TASK_QUEUE__INIT;
    wt.name = "wf";
    tq.name = (char *)task_queue;
    req.namespace_ = "default";
    req.workflow_type = &wt;
    req.task_queue = &tq;
    size_t n = protobuf_c_message_get_packed_size(&req.base);
    uint8_t *p = sg_malloc(n ? n : 1);
    protobuf_c_message_pack(&req.base, p);
    sg_buf_append(b, p, n);
    sg_free(p);
}

static int call_msg(const char *path, const sg_buf *msg, sg_grpc_result *res)
{
    memset(res, 0, sizeof *res);
    sg_grpc_client *c;
    int rc = sg_grpc_client_open("127.0.0.1", server_port, 2000, &c);
    if (rc < 0)
        return rc;
    rc = sg_grpc_client_call(c, path, sg_buf_head(msg), msg->len, CALL_TIMEOUT_MS, res);
    sg_grpc_client_close(c);
    return rc;
}

/* Starts workflow id bytes id[0..n) and returns the gRPC status. */
static int start_with_id(const void *id, size_t n, sg_grpc_result *res)
{
    sg_buf b;
    sg_buf_init(&b);
    start_request_without_id(&b, "tq-hostile");
    put_len_field(&b, 2 /* workflow_id */, id, n);
    int rc = call_msg(START_WORKFLOW, &b, res);
    sg_buf_deinit(&b);
    return rc;
}

/* A Failure whose cause chain is `depth` deep (~8,600 levels overflowed the stack inside
 * protobuf_c_message_unpack), as RespondActivityTaskFailedRequest.failure. */
SG_TEST(grpc_hostile_deep_nesting)
{
    server_start();
    size_t depths[] = { 50, 8600, 100000 };
    /* Building the 100,000-deep request copies it 100,000 times: a second natively, longer
     * than the test's limit under valgrind, which checks the server's memory, not this. */
    size_t n_depths = RUNNING_ON_VALGRIND ? 2 : SG_ARRAY_LEN(depths);
    for (size_t i = 0; i < n_depths; i++) {
        sg_buf inner, outer;
        sg_buf_init(&inner);
        sg_buf_init(&outer);
        put_len_field(&inner, 1 /* message */, "x", 1);
        for (size_t d = 1; d < depths[i]; d++) {
            sg_buf_reset(&outer);
            put_len_field(&outer, 1, "x", 1);
            put_len_field(&outer, 4 /* cause */, sg_buf_head(&inner), inner.len);
            sg_buf t = inner;
            inner = outer;
            outer = t;
        }
        sg_buf req;
        sg_buf_init(&req);
        put_len_field(&req, 1 /* task_token */, "bogus", 5);
        put_len_field(&req, 2 /* failure */, sg_buf_head(&inner), inner.len);
        put_len_field(&req, 4 /* namespace */, "default", 7);
        sg_grpc_result res;
        int rc = call_msg(WFS "RespondActivityTaskFailed", &req, &res);
        fprintf(stderr, "  depth %zu (%zu bytes): status %d \"%s\"\n", depths[i], req.len,
                res.status, rc == 0 ? res.message : sg_strerror(rc));
        CHECK_CALL("nested Failure", rc, res, rc == 0 && res.is_from_server);
        if (depths[i] < 100) {
            /* Within the limit: refused for its bogus task token, not for nesting. */
            CHECK(strstr(res.message, "nested") == NULL);
        } else {
            CHECK_EQ_INT(res.status, GRPC_INVALID_ARGUMENT);
            CHECK(strstr(res.message, "nested deeper than 100 levels") != NULL);
            CHECK(strstr(res.message, "failure.cause (x99)") != NULL);
        }
        sg_grpc_result_deinit(&res);
        sg_buf_deinit(&req);
        sg_buf_deinit(&inner);
        sg_buf_deinit(&outer);
        expect_healthy("a deeply nested Failure");
    }
    server_stop();
}

/* Durations and timestamps outside protobuf's range (sg_dur_to_ms overflowed on them). */
SG_TEST(grpc_hostile_out_of_range_durations)
{
    server_start();
    struct {
        int64_t seconds;
        int32_t nanos;
        const char *why;
    } cases[] = {
        { INT64_MAX, 0, "Duration seconds 9223372036854775807 out of range" },
        { 315576000001LL, 0, "out of range" },
        { -315576000001LL, 0, "out of range" },
        { 0, INT32_MAX, "Duration nanos 2147483647 out of range" },
        { 1, -5, "different signs" },
    };
    for (size_t i = 0; i < SG_ARRAY_LEN(cases); i++) {
        Google__Protobuf__Duration d = GOOGLE__PROTOBUF__DURATION__INIT;
        d.seconds = cases[i].seconds;
        d.nanos = cases[i].nanos;
        uint8_t dbuf[32];
        size_t dn = protobuf_c_message_pack(&d.base, dbuf);
        sg_buf b;
        sg_buf_init(&b);
        start_request_without_id(&b, "tq-hostile");
        put_len_field(&b, 2, "wf-duration", 11);
        put_len_field(&b, 8 /* workflow_task_timeout */, dbuf, dn);
        sg_grpc_result res;
        int rc = call_msg(START_WORKFLOW, &b, &res);
        CHECK_CALL("bad workflow_task_timeout", rc, res,
                   rc == 0 && res.is_from_server && res.status == GRPC_INVALID_ARGUMENT);
        CHECK(strstr(res.message, "workflow_task_timeout") != NULL);
        CHECK(strstr(res.message, cases[i].why) != NULL);
        sg_grpc_result_deinit(&res);
        sg_buf_deinit(&b);
    }
    /* The poison pill: retry_policy.initial_interval = 2^53 s. */
    {
        Google__Protobuf__Duration d = GOOGLE__PROTOBUF__DURATION__INIT;
        d.seconds = (int64_t)1 << 53;
        uint8_t dbuf[32], rbuf[40];
        size_t dn = protobuf_c_message_pack(&d.base, dbuf);
        sg_buf r;
        sg_buf_init(&r);
        put_len_field(&r, 1 /* initial_interval */, dbuf, dn);
        memcpy(rbuf, sg_buf_head(&r), r.len);
        sg_buf b;
        sg_buf_init(&b);
        start_request_without_id(&b, "tq-hostile");
        put_len_field(&b, 2, "wf-poison", 9);
        put_len_field(&b, 12 /* retry_policy */, rbuf, r.len);
        sg_grpc_result res;
        int rc = call_msg(START_WORKFLOW, &b, &res);
        CHECK_CALL("2^53 s initial_interval", rc, res,
                   rc == 0 && res.is_from_server && res.status == GRPC_INVALID_ARGUMENT);
        CHECK(strstr(res.message, "retry_policy.initial_interval: Duration seconds") != NULL);
        sg_grpc_result_deinit(&res);
        sg_buf_deinit(&b);
        sg_buf_deinit(&r);
    }
    /* The largest valid Duration is accepted (and then capped as Temporal caps it). */
    Google__Protobuf__Duration d = GOOGLE__PROTOBUF__DURATION__INIT;
    d.seconds = 315576000000LL;
    uint8_t dbuf[32];
    size_t dn = protobuf_c_message_pack(&d.base, dbuf);
    sg_buf b;
    sg_buf_init(&b);
    start_request_without_id(&b, "tq-hostile");
    put_len_field(&b, 2, "wf-duration-max", 15);
    put_len_field(&b, 8, dbuf, dn);
    put_len_field(&b, 7 /* workflow_run_timeout */, dbuf, dn);
    sg_grpc_result res;
    int rc = call_msg(START_WORKFLOW, &b, &res);
    CHECK_CALL("largest Duration", rc, res, rc == 0 && res.status == GRPC_OK);
    sg_grpc_result_deinit(&res);
    sg_buf_deinit(&b);
    expect_healthy("out-of-range durations");
    server_stop();
}

/* Names and ids past Temporal's 1000-byte limit: a namespace of 47,149 bytes once got no
 * answer at all (its NOT_FOUND trailers were too large to send). */
SG_TEST(grpc_hostile_long_names)
{
    server_start();
    size_t lens[] = { 1001, 47149, 300000 };
    for (size_t i = 0; i < SG_ARRAY_LEN(lens); i++) {
        char *ns = sg_malloc(lens[i] + 1);
        memset(ns, 'n', lens[i]);
        ns[lens[i]] = '\0';
        size_t req_len;
        uint8_t *req = describe_namespace_req(ns, 0, &req_len);
        sg_buf b;
        sg_buf_init(&b);
        sg_buf_append(&b, req, req_len);
        sg_grpc_result res;
        int64_t t0 = mono_ms();
        int rc = call_msg(DESCRIBE_NAMESPACE, &b, &res);
        CHECK_CALL("long namespace", rc, res,
                   rc == 0 && res.is_from_server && res.status == GRPC_INVALID_ARGUMENT);
        CHECK(strstr(res.message, "namespace: exceeds length limit") != NULL);
        CHECK(strstr(res.message, "at most 1000") != NULL);
        CHECK(mono_ms() - t0 < 5000);
        sg_grpc_result_deinit(&res);
        sg_buf_deinit(&b);
        sg_free(req);
        sg_free(ns);
    }
    char id[1001];
    memset(id, 'w', sizeof id);
    sg_grpc_result res;
    int rc = start_with_id(id, 1000, &res);
    CHECK_CALL("1000-byte workflow id", rc, res, rc == 0 && res.status == GRPC_OK);
    sg_grpc_result_deinit(&res);
    rc = start_with_id(id, 1001, &res);
    CHECK_CALL("1001-byte workflow id", rc, res, rc == 0 && res.status == GRPC_INVALID_ARGUMENT);
    CHECK(strstr(res.message, "workflow_id: exceeds length limit (1001 bytes") != NULL);
    sg_grpc_result_deinit(&res);
    expect_healthy("long names");
    server_stop();
}

/* Ids are compared as whole byte strings: "order\0A" once collided with "order\0B" (both cut to
 * "order"). Strings with NUL are refused, never truncated; so is invalid UTF-8. */
SG_TEST(grpc_hostile_nul_and_invalid_utf8_in_ids)
{
    server_start();
    sg_grpc_result res;
    int rc = start_with_id("order", 5, &res);
    CHECK_CALL("plain id", rc, res, rc == 0 && res.status == GRPC_OK);
    sg_grpc_result_deinit(&res);
    const struct {
        const char *bytes;
        size_t n;
        const char *why;
    } bad[] = {
        { "order\0A", 7, "NUL" },
        { "order\0B", 7, "NUL" },
        { "\xff\xfe", 2, "invalid UTF-8" },
        { "caf\xc3", 4, "invalid UTF-8" },       /* truncated sequence */
        { "\xc0\xaf", 2, "invalid UTF-8" },      /* overlong '/' */
        { "\xed\xa0\x80", 3, "invalid UTF-8" },  /* a surrogate */
    };
    for (size_t i = 0; i < SG_ARRAY_LEN(bad); i++) {
        rc = start_with_id(bad[i].bytes, bad[i].n, &res);
        CHECK_CALL("bad id", rc, res,
                   rc == 0 && res.is_from_server && res.status == GRPC_INVALID_ARGUMENT);
        CHECK(strstr(res.message, "workflow_id") != NULL);
        CHECK(strstr(res.message, bad[i].why) != NULL);
        sg_grpc_result_deinit(&res);
    }
    rc = start_with_id("caf\xc3\xa9 \xf0\x9f\x8c\x8d", 10, &res); /* "café 🌍" is fine */
    CHECK_CALL("UTF-8 id", rc, res, rc == 0 && res.status == GRPC_OK);
    sg_grpc_result_deinit(&res);
    expect_healthy("NUL and invalid UTF-8");
    server_stop();
}

/* ---- raw HTTP/2 requests: unfinished, not gRPC, oversized headers ---- */

/* Appends an HPACK "literal header field without indexing, new name" (RFC 7541 6.2.2), with
 * lengths below 127 * 128 so two length bytes always suffice. */
static void hpack_literal(sg_buf *b, const char *name, const char *value, size_t value_len)
{
    uint8_t hdr[8];
    size_t nl = strlen(name), k = 0;
    hdr[k++] = 0x00;
    k += nl < 127 ? (hdr[k] = (uint8_t)nl, 1) : (hdr[k] = 127, hdr[k + 1] = (uint8_t)(nl - 127), 2);
    sg_buf_append(b, hdr, k);
    sg_buf_append(b, name, nl);
    k = 0;
    if (value_len < 127) {
        hdr[k++] = (uint8_t)value_len;
    } else {
        hdr[k++] = 127;
        size_t v = value_len - 127;
        while (v >= 128) {
            hdr[k++] = (uint8_t)(v | 0x80);
            v >>= 7;
        }
        hdr[k++] = (uint8_t)v;
    }
    sg_buf_append(b, hdr, k);
    sg_buf_append(b, value, value_len);
}

/* Connects, sends the preface and an empty SETTINGS, then a request on stream 1 whose header
 * block is `block` (split into HEADERS + CONTINUATION frames of at most 256 KiB, within the
 * 1 MiB SETTINGS_MAX_FRAME_SIZE the server announces first). */
static int raw_request(const sg_buf *block, bool end_stream)
{
    int fd = raw_connect();
    raw_write(fd, h2_preface, sizeof h2_preface - 1);
    uint8_t fh[9];
    put_frame_header(fh, 0, 0x4 /* SETTINGS */, 0, 0);
    raw_write(fd, fh, 9);
    /* ACK the server's SETTINGS (sent as soon as it accepted): its larger frame size counts
     * from the ACK. */
    put_frame_header(fh, 0, 0x4, 0x1 /* ACK */, 0);
    raw_write(fd, fh, 9);
    const uint8_t *p = sg_buf_head(block);
    size_t left = block->len;
    bool first = true;
    do {
        size_t n = SG_MIN(left, (size_t)256 << 10);
        uint8_t flags = (n == left ? 0x4 /* END_HEADERS */ : 0) |
                        (first && end_stream ? 0x1 /* END_STREAM */ : 0);
        put_frame_header(fh, (uint32_t)n, first ? 0x1 /* HEADERS */ : 0x9 /* CONTINUATION */,
                         flags, 1);
        raw_write(fd, fh, 9);
        raw_write(fd, p, n);
        p += n;
        left -= n;
        first = false;
    } while (left > 0);
    return fd;
}

/* Reads frames until one for stream 1 ends it (HEADERS or DATA with END_STREAM, or
 * RST_STREAM); returns its type, or -1 if the connection closed or timeout_ms passed. The
 * payload of the last HEADERS frame seen for stream 1 is kept in *headers. */
static int raw_read_stream_end(int fd, int timeout_ms, sg_buf *headers)
{
    sg_buf in;
    sg_buf_init(&in);
    int64_t until = mono_ms() + timeout_ms;
    int result = -1;
    for (;;) {
        while (in.len >= 9) {
            const uint8_t *h = sg_buf_head(&in);
            size_t len = (size_t)h[0] << 16 | (size_t)h[1] << 8 | h[2];
            if (in.len < 9 + len)
                break;
            uint8_t type = h[3], flags = h[4];
            uint32_t sid = ((uint32_t)h[5] & 0x7f) << 24 | (uint32_t)h[6] << 16 |
                           (uint32_t)h[7] << 8 | h[8];
            if (sid == 1 && type == 0x1) {
                sg_buf_reset(headers);
                sg_buf_append(headers, h + 9, len);
            }
            bool ends = sid == 1 && (((type == 0x0 || type == 0x1) && (flags & 0x1)) || type == 0x3);
            sg_buf_consume(&in, 9 + len);
            if (ends) {
                result = type;
                goto out;
            }
        }
        int left = (int)(until - mono_ms());
        struct pollfd pfd = { .fd = fd, .events = POLLIN };
        if (left <= 0 || poll(&pfd, 1, left) <= 0)
            goto out;
        uint8_t buf[4096];
        ssize_t r = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
        if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR))
            goto out;
        if (r > 0)
            sg_buf_append(&in, buf, (size_t)r);
    }
out:
    sg_buf_deinit(&in);
    return result;
}

static void grpc_request_block(sg_buf *b, const char *method, const char *content_type,
                               const char *timeout)
{
    hpack_literal(b, ":method", method, strlen(method));
    hpack_literal(b, ":scheme", "http", 4);
    hpack_literal(b, ":path", HEALTH_CHECK, strlen(HEALTH_CHECK));
    hpack_literal(b, ":authority", "localhost", 9);
    hpack_literal(b, "content-type", content_type, strlen(content_type));
    if (timeout)
        hpack_literal(b, "grpc-timeout", timeout, strlen(timeout));
}

/* A request whose last frame never comes ends at its grpc-timeout (it used to wait forever). */
SG_TEST(grpc_hostile_unfinished_request_ends_at_its_deadline)
{
    server_start();
    sg_buf block, resp;
    sg_buf_init(&block);
    sg_buf_init(&resp);
    grpc_request_block(&block, "POST", "application/grpc", "300m");
    int fd = raw_request(&block, false);
    uint8_t data[9 + 2];
    put_frame_header(data, 2, 0x0 /* DATA */, 0, 1); /* two bytes of a prefix, no END_STREAM */
    data[9] = data[10] = 0;
    raw_write(fd, data, sizeof data);
    int64_t t0 = mono_ms();
    int type = raw_read_stream_end(fd, 5000, &resp);
    int64_t took = mono_ms() - t0;
    fprintf(stderr, "  stream ended by frame type %d after %lld ms\n", type, (long long)took);
    CHECK(type == 0x1 || type == 0x3);
    CHECK(took >= 200 && took < 3000);
    close(fd);
    sg_buf_deinit(&block);
    sg_buf_deinit(&resp);
    expect_healthy("an unfinished request");
    server_stop();
}

/* Not gRPC: another content type is 415, another method 405 (as grpc-go answers), before
 * the body is read and without reaching a handler. */
SG_TEST(grpc_hostile_not_grpc_requests)
{
    server_start();
    struct {
        const char *method, *content_type, *http_status;
    } cases[] = { { "POST", "application/json", "415" }, { "POST", "application/grpc-web", "415" },
                  { "PUT", "application/grpc", "405" }, { "DELETE", "application/grpc", "405" },
                  { "POST", "application/grpc+proto", "200" } };
    for (size_t i = 0; i < SG_ARRAY_LEN(cases); i++) {
        sg_buf block, resp;
        sg_buf_init(&block);
        sg_buf_init(&resp);
        grpc_request_block(&block, cases[i].method, cases[i].content_type, NULL);
        int fd = raw_request(&block, false);
        uint8_t data[9 + 5] = { 0 };
        put_frame_header(data, 5, 0x0, 0x1 /* END_STREAM */, 1); /* an empty HealthCheckRequest */
        raw_write(fd, data, sizeof data);
        int type = raw_read_stream_end(fd, 5000, &resp);
        CHECK(type == 0x1 || type == 0x0);
        /* nghttp2 sends a 3-digit :status not in HPACK's static table as a plain literal. */
        bool found = memmem(sg_buf_head(&resp), resp.len, cases[i].http_status, 3) != NULL ||
                     strcmp(cases[i].http_status, "200") == 0;
        if (!found)
            fprintf(stderr, "  %s %s: no HTTP %s in the response headers\n", cases[i].method,
                    cases[i].content_type, cases[i].http_status);
        CHECK(found);
        close(fd);
        sg_buf_deinit(&block);
        sg_buf_deinit(&resp);
    }
    expect_healthy("requests that are not gRPC");
    server_stop();
}

/* 300 KB of headers (in fields HPACK can carry) fail that stream only; the connection goes on. */
SG_TEST(grpc_hostile_large_header_list_fails_the_stream)
{
    server_start();
    sg_buf block, resp;
    sg_buf_init(&block);
    sg_buf_init(&resp);
    grpc_request_block(&block, "POST", "application/grpc", NULL);
    char *big = sg_malloc(30000);
    memset(big, 'h', 30000);
    for (int i = 0; i < 10; i++) {
        char name[32];
        snprintf(name, sizeof name, "x-big-%d", i);
        hpack_literal(&block, name, big, 30000);
    }
    sg_free(big);
    int fd = raw_request(&block, true);
    int type = raw_read_stream_end(fd, 5000, &resp);
    CHECK(type == 0x1 || type == 0x3);
    /* Still open: a PING is answered. */
    uint8_t ping[9 + 8] = { 0 };
    put_frame_header(ping, 8, 0x6, 0, 0);
    raw_write(fd, ping, sizeof ping);
    bool acked = false;
    int64_t until = mono_ms() + 3000;
    sg_buf in;
    sg_buf_init(&in);
    while (!acked && mono_ms() < until) {
        struct pollfd pfd = { .fd = fd, .events = POLLIN };
        if (poll(&pfd, 1, 500) <= 0)
            continue;
        uint8_t buf[4096];
        ssize_t r = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
        if (r <= 0)
            break;
        sg_buf_append(&in, buf, (size_t)r);
        while (in.len >= 9) {
            const uint8_t *h = sg_buf_head(&in);
            size_t len = (size_t)h[0] << 16 | (size_t)h[1] << 8 | h[2];
            if (in.len < 9 + len)
                break;
            if (h[3] == 0x6 && (h[4] & 0x1))
                acked = true;
            sg_buf_consume(&in, 9 + len);
        }
    }
    sg_buf_deinit(&in);
    CHECK(acked);
    close(fd);
    sg_buf_deinit(&block);
    sg_buf_deinit(&resp);
    expect_healthy("a 300 KB header list");
    server_stop();
}

/* Found by fuzz/: requests without a required sub-message were never answered, and a request
 * with no DATA at all did arithmetic on a NULL buffer (UBSan, in `make sanitize`). */
SG_TEST(grpc_hostile_missing_parts_are_answered)
{
    server_start();
    static const struct {
        const char *method, *message;
    } cases[] = {
        { WFS "GetWorkflowExecutionHistory", "Execution is not set on request." },
        { WFS "GetWorkflowExecutionHistoryReverse", "Execution is not set on request." },
        { WFS "DescribeWorkflowExecution", "Execution is not set on request." },
        { WFS "ResetStickyTaskQueue", "Execution is not set on request." },
        { WFS "PollWorkflowTaskQueue", "TaskQueue is not set on request." },
        { WFS "DescribeTaskQueue", "TaskQueue is not set on request." },
    };
    for (size_t i = 0; i < SG_ARRAY_LEN(cases); i++) {
        sg_buf b;
        sg_buf_init(&b);
        put_len_field(&b, 1 /* namespace */, "default", 7);
        sg_grpc_result res;
        int rc = call_msg(cases[i].method, &b, &res);
        CHECK_CALL(cases[i].method, rc, res,
                   rc == 0 && res.is_from_server && res.status == GRPC_INVALID_ARGUMENT);
        CHECK_EQ_STR(res.message, cases[i].message);
        sg_grpc_result_deinit(&res);
        sg_buf_deinit(&b);
    }
    sg_grpc_result res;
    int rc = call_raw(HEALTH_CHECK, NULL, 0, NULL, 0, &res); /* HEADERS with END_STREAM only */
    CHECK_CALL("no DATA", rc, res, rc == 0 && res.is_from_server && res.status == GRPC_INTERNAL);
    sg_grpc_result_deinit(&res);
    expect_healthy("requests missing their parts");
    server_stop();
}

/* A graceful shutdown with every kind of call in flight (a long poll, a history long poll, a
 * request whose body never finishes, a stream reset by a header list too large) answers or
 * drops each and exits 0. Under `make sanitize` the server is built with LeakSanitizer, which
 * turns any call or run left allocated at exit into a non-zero exit status. */
SG_TEST(grpc_shutdown_with_calls_in_flight_exits_cleanly)
{
    server_start();
    sg_buf start, b;
    sg_buf_init(&start);
    sg_buf_init(&b);
    start_request_without_id(&start, "tq-shutdown");
    put_len_field(&start, 2 /* workflow_id */, "wf-shutdown", 11);
    sg_grpc_result res;
    int rc = call_msg(START_WORKFLOW, &start, &res);
    CHECK_CALL("start", rc, res, rc == 0 && res.status == GRPC_OK);
    sg_grpc_result_deinit(&res);

    sg_grpc_client *c;
    CHECK_EQ_INT(sg_grpc_client_open("127.0.0.1", server_port, 2000, &c), 0);
    /* PollWorkflowTaskQueue on an empty queue: parked. */
    Temporal__Api__Workflowservice__V1__PollWorkflowTaskQueueRequest poll =
        TEMPORAL__API__WORKFLOWSERVICE__V1__POLL_WORKFLOW_TASK_QUEUE_REQUEST__INIT;
    Temporal__Api__Taskqueue__V1__TaskQueue tq = TEMPORAL__API__TASKQUEUE__V1__TASK_QUEUE__INIT;
    tq.name = "tq-nobody-writes";
    poll.namespace_ = "default";
    poll.task_queue = &tq;
    poll.identity = "shutdown-test";
    uint8_t msg[256], *framed;
    size_t n = protobuf_c_message_pack(&poll.base, msg), framed_len;
    CHECK_EQ_INT(sg_grpc_client_frame(msg, n, false, &framed, &framed_len), 0);
    int32_t sid;
    CHECK_EQ_INT(sg_grpc_client_start(c, WFS "PollWorkflowTaskQueue", NULL, 0, framed,
                                      framed_len, 60000, &sid),
                 0);
    sg_free(framed);
    /* GetWorkflowExecutionHistory waiting for the close event: parked as a watcher. */
    Temporal__Api__Workflowservice__V1__GetWorkflowExecutionHistoryRequest hist =
        TEMPORAL__API__WORKFLOWSERVICE__V1__GET_WORKFLOW_EXECUTION_HISTORY_REQUEST__INIT;
    Temporal__Api__Common__V1__WorkflowExecution ex =
        TEMPORAL__API__COMMON__V1__WORKFLOW_EXECUTION__INIT;
    ex.workflow_id = "wf-shutdown";
    hist.namespace_ = "default";
    hist.execution = &ex;
    hist.wait_new_event = true;
    hist.history_event_filter_type =
        TEMPORAL__API__ENUMS__V1__HISTORY_EVENT_FILTER_TYPE__HISTORY_EVENT_FILTER_TYPE_CLOSE_EVENT;
    n = protobuf_c_message_pack(&hist.base, msg);
    CHECK_EQ_INT(sg_grpc_client_frame(msg, n, false, &framed, &framed_len), 0);
    CHECK_EQ_INT(sg_grpc_client_start(c, WFS "GetWorkflowExecutionHistory", NULL, 0, framed,
                                      framed_len, 60000, &sid),
                 0);
    sg_free(framed);
    CHECK_EQ_INT(sg_grpc_client_send_raw(c, NULL, 0), 0);

    /* A request whose body never ends, with no deadline. */
    sg_buf_reset(&b);
    grpc_request_block(&b, "POST", "application/grpc", NULL);
    int fd_open = raw_request(&b, false);
    uint8_t data[9 + 2];
    put_frame_header(data, 2, 0x0 /* DATA */, 0, 1);
    data[9] = data[10] = 0;
    raw_write(fd_open, data, sizeof data);
    /* A header list over the limit: the stream fails, the connection stays. */
    sg_buf_reset(&b);
    grpc_request_block(&b, "POST", "application/grpc", NULL);
    char *big = sg_malloc(30000);
    memset(big, 'h', 30000);
    for (int i = 0; i < 3; i++)
        hpack_literal(&b, i == 0 ? "x-a" : i == 1 ? "x-b" : "x-c", big, 30000);
    sg_free(big);
    int fd_big = raw_request(&b, true);
    sleep_ms(300); /* let the server take all of it in */

    int st = server_stop_within(15000);
    if (st != -1 && !(WIFEXITED(st) && WEXITSTATUS(st) == 0))
        fprintf(stderr, "  server ended with %s %d\n", WIFEXITED(st) ? "exit status" : "signal",
                WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
    CHECK(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0);
    close(fd_open);
    close(fd_big);
    sg_grpc_client_close(c);
    sg_buf_deinit(&b);
    sg_buf_deinit(&start);
}

/* Payloads over Temporal's 2 MiB blob limit (but within the 4 MiB message limit) are refused
 * with its message, for a start and for a signal, and nothing is stored. */
SG_TEST(grpc_hostile_oversized_payloads)
{
    server_start();
    size_t big = 3u << 20;
    uint8_t *data = sg_malloc(big);
    memset(data, 'x', big);
    Temporal__Api__Common__V1__Payload pl = TEMPORAL__API__COMMON__V1__PAYLOAD__INIT;
    pl.data.data = data;
    pl.data.len = big;
    Temporal__Api__Common__V1__Payload *pls[] = { &pl };
    Temporal__Api__Common__V1__Payloads input = TEMPORAL__API__COMMON__V1__PAYLOADS__INIT;
    input.payloads = pls;
    input.n_payloads = 1;

    Temporal__Api__Workflowservice__V1__StartWorkflowExecutionRequest req =
        TEMPORAL__API__WORKFLOWSERVICE__V1__START_WORKFLOW_EXECUTION_REQUEST__INIT;
    Temporal__Api__Common__V1__WorkflowType wt = TEMPORAL__API__COMMON__V1__WORKFLOW_TYPE__INIT;
    Temporal__Api__Taskqueue__V1__TaskQueue tq = TEMPORAL__API__TASKQUEUE__V1__TASK_QUEUE__INIT;
    wt.name = "wf";
    tq.name = "tq-big";
    req.namespace_ = "default";
    req.workflow_id = "wf-big";
    req.workflow_type = &wt;
    req.task_queue = &tq;
    req.input = &input;
    sg_buf b;
    sg_buf_init(&b);
    size_t n = protobuf_c_message_get_packed_size(&req.base);
    uint8_t *p = sg_malloc(n);
    protobuf_c_message_pack(&req.base, p);
    sg_buf_append(&b, p, n);
    sg_free(p);
    sg_grpc_result res;
    int rc = call_msg(START_WORKFLOW, &b, &res);
    CHECK_CALL("big start", rc, res, rc == 0 && res.status == GRPC_INVALID_ARGUMENT);
    CHECK_EQ_STR(res.message, "Blob data size exceeds limit.");
    sg_grpc_result_deinit(&res);

    /* A small start, then a big signal to it. */
    req.input = NULL;
    sg_buf_reset(&b);
    n = protobuf_c_message_get_packed_size(&req.base);
    p = sg_malloc(n);
    protobuf_c_message_pack(&req.base, p);
    sg_buf_append(&b, p, n);
    sg_free(p);
    rc = call_msg(START_WORKFLOW, &b, &res);
    CHECK_CALL("small start", rc, res, rc == 0 && res.status == GRPC_OK);
    sg_grpc_result_deinit(&res);
    Temporal__Api__Workflowservice__V1__SignalWorkflowExecutionRequest sig =
        TEMPORAL__API__WORKFLOWSERVICE__V1__SIGNAL_WORKFLOW_EXECUTION_REQUEST__INIT;
    Temporal__Api__Common__V1__WorkflowExecution we = TEMPORAL__API__COMMON__V1__WORKFLOW_EXECUTION__INIT;
    we.workflow_id = "wf-big";
    sig.namespace_ = "default";
    sig.workflow_execution = &we;
    sig.signal_name = "s";
    sig.input = &input;
    sg_buf_reset(&b);
    n = protobuf_c_message_get_packed_size(&sig.base);
    p = sg_malloc(n);
    protobuf_c_message_pack(&sig.base, p);
    sg_buf_append(&b, p, n);
    sg_free(p);
    rc = call_msg(WFS "SignalWorkflowExecution", &b, &res);
    CHECK_CALL("big signal", rc, res, rc == 0 && res.status == GRPC_INVALID_ARGUMENT);
    CHECK_EQ_STR(res.message, "Blob data size exceeds limit.");
    sg_grpc_result_deinit(&res);
    sg_buf_deinit(&b);
    sg_free(data);
    expect_healthy("oversized payloads");
    server_stop();
}
