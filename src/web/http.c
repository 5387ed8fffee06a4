/* SPDX-License-Identifier: Apache-2.0 */
/* http.c: the HTTP/1.1 server (http.h).
 *
 * Design note. One struct per connection owns its uv_tcp_t, parser and the request being read;
 * bytes go through http_parser_execute, whose callbacks append the URL and body to buffers;
 * on message complete the handler fills a response, which is written with Content-Length, and
 * the parser goes on with any pipelined bytes after the write. A parse error answers 400 and
 * closes. The server frees itself when its listener and every connection have closed. */
#include "web/http.h"

#include "core/sg.h"

#include <http_parser.h>
#include <stdio.h>
#include <string.h>

#define MAX_URL 8192
#define MAX_BODY (4u << 20)

struct sg_http {
    uv_loop_t *loop;
    uv_tcp_t listener;
    sg_http_handler handler;
    void *ud;
    struct conn *conns;
    int open_handles; /* listener + connections not closed yet */
    bool stopping;
};

struct sg_http_pending {
    struct conn *c; /* NULL once the connection has closed */
    bool keep_alive;
    /* Finished before the handler returned: the answer waits here for on_message_complete
     * (a body, or a stream to start). */
    bool done;
    int status;
    const char *content_type;
    sg_buf body;
    sg_http_producer produce;
    void *ud;
};

/* A chunked answer being written: the next piece is produced when the last one has gone. */
typedef struct stream {
    sg_http_producer produce;
    void *ud;
    bool keep_alive;
} stream;

typedef struct conn {
    uv_tcp_t tcp;
    struct conn *next;
    sg_http *srv;
    http_parser parser;
    sg_buf url, body;
    int refuse; /* a status to answer instead of calling the handler (413, 431) */
    bool closing;
    sg_http_pending *pending; /* a deferred answer: reading waits for it */
    stream *stream;           /* a streamed answer: reading waits for its end */
    bool in_handler;
    sg_buf leftover;          /* bytes read past the request being answered (pipelining) */
} conn;

static const http_parser_settings *settings(void);
struct conn;
static void start_stream(struct conn *c, int status, const char *content_type, sg_http_producer produce,
                         void *ud, bool keep_alive);

static void release(sg_http *srv)
{
    if (--srv->open_handles == 0 && srv->stopping)
        sg_free(srv);
}

static void on_conn_closed(uv_handle_t *h)
{
    conn *c = h->data;
    sg_http *srv = c->srv;
    for (conn **p = &srv->conns; *p; p = &(*p)->next)
        if (*p == c) {
            *p = c->next;
            break;
        }
    sg_buf_deinit(&c->url);
    sg_buf_deinit(&c->body);
    sg_buf_deinit(&c->leftover);
    sg_free(c);
    release(srv);
}

static void close_conn(conn *c)
{
    if (c->closing)
        return;
    c->closing = true;
    if (c->pending)
        c->pending->c = NULL;
    if (c->stream) {
        c->stream->produce(c->stream->ud, NULL);
        sg_free(c->stream);
        c->stream = NULL;
    }
    uv_close((uv_handle_t *)&c->tcp, on_conn_closed);
}

typedef struct write_req {
    uv_write_t w;
    conn *c;
    sg_buf out;
    bool close_after;
    bool pump; /* a piece of the connection's stream: produce the next one */
} write_req;

static void pump(conn *c);

static void on_written(uv_write_t *w, int status)
{
    write_req *wr = w->data;
    conn *c = wr->c;
    if (status < 0 || wr->close_after)
        close_conn(c);
    else if (wr->pump && c->stream && !c->closing)
        pump(c);
    sg_buf_deinit(&wr->out);
    sg_free(wr);
}

/* Queues wr->out on the connection; false (connection closing) if it cannot. */
static bool send_req(conn *c, write_req *wr)
{
    wr->c = c;
    wr->w.data = wr;
    uv_buf_t b = uv_buf_init((char *)sg_buf_head(&wr->out), (unsigned)wr->out.len);
    if (uv_write(&wr->w, (uv_stream_t *)&c->tcp, &b, 1, on_written) < 0) {
        sg_buf_deinit(&wr->out);
        sg_free(wr);
        close_conn(c);
        return false;
    }
    return true;
}

static const char *reason(int status)
{
    switch (status) {
    case 200: return "OK";
    case 400: return "Bad Request";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 413: return "Payload Too Large";
    case 431: return "Request Header Fields Too Large";
    default: return status >= 500 ? "Internal Server Error" : "Error";
    }
}

static void respond(conn *c, int status, const char *type, const void *body, size_t len, bool close_after)
{
    write_req *wr = sg_calloc(1, sizeof *wr);
    wr->close_after = close_after;
    sg_buf_init(&wr->out);
    sg_buf_printf(&wr->out,
                  "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
                  "Connection: %s\r\n\r\n",
                  status, reason(status), type, len, close_after ? "close" : "keep-alive");
    if (len)
        sg_buf_append(&wr->out, body, len);
    send_req(c, wr);
}

/* ---- parser callbacks ---- */

static int on_message_begin(http_parser *p)
{
    conn *c = p->data;
    sg_buf_reset(&c->url);
    sg_buf_reset(&c->body);
    c->refuse = 0;
    return 0;
}

/* Appends to a request's URL or body; past max, the request is answered with status. */
static int append_limited(conn *c, sg_buf *b, const char *at, size_t len, size_t max, int status)
{
    if (b->len + len > max)
        c->refuse = status;
    else
        sg_buf_append(b, at, len);
    return 0;
}

static int on_url(http_parser *p, const char *at, size_t len)
{
    conn *c = p->data;
    return append_limited(c, &c->url, at, len, MAX_URL, 431);
}

static int on_body(http_parser *p, const char *at, size_t len)
{
    conn *c = p->data;
    return append_limited(c, &c->body, at, len, MAX_BODY, 413);
}

static int on_message_complete(http_parser *p)
{
    conn *c = p->data;
    bool keep = http_should_keep_alive(p) && !c->refuse && !c->srv->stopping;
    if (c->refuse) {
        respond(c, c->refuse, "text/plain; charset=utf-8", reason(c->refuse), strlen(reason(c->refuse)), true);
        return 0;
    }
    sg_buf_append(&c->url, "", 1);
    char *url = (char *)sg_buf_head(&c->url);
    char *q = strchr(url, '?');
    if (q)
        *q++ = 0;
    sg_http_request req = { .method = http_method_str((enum http_method)p->method), .path = url,
                            .query = q ? q : "", .body = sg_buf_head(&c->body), .body_len = c->body.len };
    sg_http_response res = { .status = 200, .content_type = "text/plain; charset=utf-8", .conn_ = c };
    sg_buf_init(&res.body);
    c->in_handler = true;
    c->srv->handler(c->srv->ud, &req, &res);
    c->in_handler = false;
    if (res.pending && res.pending->done) {
        sg_http_pending *d = res.pending;
        sg_buf_deinit(&res.body);
        if (d->produce) {
            /* The next pipelined request waits for the stream's end. */
            http_parser_pause(p, 1);
            start_stream(c, d->status, d->content_type, d->produce, d->ud, keep);
            sg_free(d);
            return 0;
        }
        respond(c, d->status, d->content_type, sg_buf_head(&d->body), d->body.len, !keep);
        sg_buf_deinit(&d->body);
        sg_free(d);
        return 0;
    }
    if (res.pending) {
        /* The next pipelined request waits for this answer: stop here, keep the rest. */
        res.pending->keep_alive = keep;
        c->pending = res.pending;
        sg_buf_deinit(&res.body);
        http_parser_pause(p, 1);
        return 0;
    }
    respond(c, res.status, res.content_type, sg_buf_head(&res.body), res.body.len, !keep);
    sg_buf_deinit(&res.body);
    return 0;
}

static const http_parser_settings *settings(void)
{
    static http_parser_settings s;
    static bool ready;
    if (!ready) {
        http_parser_settings_init(&s);
        s.on_message_begin = on_message_begin;
        s.on_url = on_url;
        s.on_body = on_body;
        s.on_message_complete = on_message_complete;
        ready = true;
    }
    return &s;
}

/* ---- connections ---- */

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    (void)h;
    buf->base = sg_malloc(suggested);
    buf->len = suggested;
}

/* Parses bytes; what follows a request whose answer is deferred is kept for later. */
static void feed(conn *c, const char *data, size_t n)
{
    size_t done = http_parser_execute(&c->parser, settings(), data, n);
    if (c->parser.http_errno == HPE_PAUSED) {
        sg_buf_append(&c->leftover, data + done, n - done);
        uv_read_stop((uv_stream_t *)&c->tcp);
    } else if (c->parser.http_errno != HPE_OK || done != n) {
        static const char msg[] = "malformed HTTP request";
        respond(c, 400, "text/plain; charset=utf-8", msg, sizeof msg - 1, true);
        uv_read_stop((uv_stream_t *)&c->tcp);
    }
}

static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
    conn *c = s->data;
    if (n > 0 && !c->closing)
        feed(c, buf->base, (size_t)n);
    else if (n < 0)
        close_conn(c);
    sg_free(buf->base);
}

sg_http_pending *sg_http_defer(sg_http_response *res)
{
    sg_assert(!res->pending);
    res->pending = sg_calloc(1, sizeof *res->pending);
    res->pending->c = res->conn_;
    return res->pending;
}

/* After an answer: reads the requests that were waiting behind it. */
static void resume(conn *c)
{
    if (c->closing)
        return;
    http_parser_pause(&c->parser, 0);
    sg_buf rest = c->leftover;
    sg_buf_init(&c->leftover);
    if (rest.len)
        feed(c, (const char *)sg_buf_head(&rest), rest.len);
    sg_buf_deinit(&rest);
    if (!c->pending && !c->stream && !c->closing && c->parser.http_errno == HPE_OK)
        uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read);
}

void sg_http_finish(sg_http_pending *p, int status, const char *content_type, const void *body,
                    size_t len)
{
    conn *c = p->c;
    if (c && c->in_handler) {
        p->done = true;
        p->status = status;
        p->content_type = content_type;
        sg_buf_init(&p->body);
        sg_buf_append(&p->body, body, len);
        return;
    }
    bool keep = p->keep_alive;
    sg_free(p);
    if (!c)
        return;
    c->pending = NULL;
    keep = keep && !c->srv->stopping;
    respond(c, status, content_type, body, len, !keep);
    if (keep)
        resume(c);
}

/* Writes the stream's next piece as one chunk (the last one with the terminating chunk). */
static void pump(conn *c)
{
    stream *st = c->stream;
    write_req *wr = sg_calloc(1, sizeof *wr);
    sg_buf piece;
    sg_buf_init(&piece);
    bool more = st->produce(st->ud, &piece);
    sg_buf_init(&wr->out);
    if (piece.len) {
        sg_buf_printf(&wr->out, "%zx\r\n", piece.len);
        sg_buf_append(&wr->out, sg_buf_head(&piece), piece.len);
        sg_buf_append_str(&wr->out, "\r\n");
    }
    sg_buf_deinit(&piece);
    bool keep = st->keep_alive && !c->srv->stopping;
    if (more) {
        wr->pump = true;
    } else {
        sg_buf_append_str(&wr->out, "0\r\n\r\n");
        st->produce(st->ud, NULL);
        sg_free(st);
        c->stream = NULL;
        wr->close_after = !keep;
    }
    if (send_req(c, wr) && !more && keep)
        resume(c);
}

static void start_stream(conn *c, int status, const char *content_type, sg_http_producer produce,
                         void *ud, bool keep_alive)
{
    stream *st = sg_calloc(1, sizeof *st);
    st->produce = produce;
    st->ud = ud;
    st->keep_alive = keep_alive;
    c->stream = st;
    write_req *wr = sg_calloc(1, sizeof *wr);
    sg_buf_init(&wr->out);
    sg_buf_printf(&wr->out,
                  "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nTransfer-Encoding: chunked\r\n"
                  "Connection: %s\r\n\r\n",
                  status, reason(status), content_type,
                  keep_alive && !c->srv->stopping ? "keep-alive" : "close");
    if (send_req(c, wr))
        pump(c);
}

void sg_http_finish_stream(sg_http_pending *p, int status, const char *content_type,
                           sg_http_producer produce, void *ud)
{
    conn *c = p->c;
    if (!c) {
        produce(ud, NULL);
        sg_free(p);
        return;
    }
    if (c->in_handler) {
        p->done = true;
        p->status = status;
        p->content_type = content_type;
        p->produce = produce;
        p->ud = ud;
        return;
    }
    c->pending = NULL;
    bool keep = p->keep_alive;
    sg_free(p);
    start_stream(c, status, content_type, produce, ud, keep);
}

static void on_connection(uv_stream_t *l, int status)
{
    sg_http *srv = l->data;
    if (status < 0 || srv->stopping)
        return;
    conn *c = sg_calloc(1, sizeof *c);
    c->srv = srv;
    sg_buf_init(&c->url);
    sg_buf_init(&c->body);
    sg_buf_init(&c->leftover);
    uv_tcp_init(srv->loop, &c->tcp);
    c->tcp.data = c;
    srv->open_handles++;
    c->next = srv->conns;
    srv->conns = c;
    if (uv_accept(l, (uv_stream_t *)&c->tcp) < 0) {
        close_conn(c);
        return;
    }
    http_parser_init(&c->parser, HTTP_REQUEST);
    c->parser.data = c;
    uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read);
}

static void on_listener_closed(uv_handle_t *h)
{
    release(h->data);
}

int sg_http_start(uv_loop_t *loop, const char *ip, int port, sg_http_handler handler, void *ud,
                  sg_http **out)
{
    *out = NULL;
    sg_http *srv = sg_calloc(1, sizeof *srv);
    srv->loop = loop;
    srv->handler = handler;
    srv->ud = ud;
    uv_tcp_init(loop, &srv->listener);
    srv->listener.data = srv;
    srv->open_handles = 1;
    struct sockaddr_storage addr;
    int rc = strchr(ip, ':') ? uv_ip6_addr(ip, port, (struct sockaddr_in6 *)&addr)
                             : uv_ip4_addr(ip, port, (struct sockaddr_in *)&addr);
    if (rc == 0)
        rc = uv_tcp_bind(&srv->listener, (struct sockaddr *)&addr, 0);
    if (rc == 0)
        rc = uv_listen((uv_stream_t *)&srv->listener, 128, on_connection);
    if (rc < 0) {
        srv->stopping = true;
        uv_close((uv_handle_t *)&srv->listener, on_listener_closed);
        return SG_EIO;
    }
    *out = srv;
    return 0;
}

int sg_http_port(const sg_http *h)
{
    struct sockaddr_storage addr;
    int len = sizeof addr;
    if (uv_tcp_getsockname(&h->listener, (struct sockaddr *)&addr, &len) < 0)
        return 0;
    return addr.ss_family == AF_INET6 ? ntohs(((struct sockaddr_in6 *)&addr)->sin6_port)
                                      : ntohs(((struct sockaddr_in *)&addr)->sin_port);
}

void sg_http_stop(sg_http *h)
{
    if (!h || h->stopping)
        return;
    h->stopping = true;
    for (conn *c = h->conns; c; c = c->next)
        close_conn(c);
    uv_close((uv_handle_t *)&h->listener, on_listener_closed);
}
