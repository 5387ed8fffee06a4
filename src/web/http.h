/* SPDX-License-Identifier: Apache-2.0 */
/* http.h: a small HTTP/1.1 server on the node's event loop (http.c), for what Sandglass serves
 * to browsers and scrapers: the metrics endpoint now, the HTTP API and the web UI later. Requests
 * are parsed by Node's http-parser (Debian's libhttp-parser); each complete request goes to one
 * handler, which fills the response at once or defers it (sg_http_defer) and answers later, e.g.
 * after a group commit. Keep-alive, one request at a time per connection (pipelined requests
 * wait for the answer before them); oversized requests are refused (413/431) and the
 * connection closed. */
#ifndef SG_WEB_HTTP_H
#define SG_WEB_HTTP_H

#include "core/buf.h"

#include <uv.h>

typedef struct sg_http sg_http;

typedef struct sg_http_request {
    const char *method; /* "GET", ... */
    const char *path;   /* the request target without its query */
    const char *query;  /* after '?', or "" */
    const uint8_t *body;
    size_t body_len;
} sg_http_request;

typedef struct sg_http_pending sg_http_pending;

typedef struct sg_http_response {
    int status;               /* 200 unless the handler says otherwise */
    const char *content_type; /* default "text/plain; charset=utf-8" */
    sg_buf body;              /* initialised, empty */
    sg_http_pending *pending; /* set by sg_http_defer */
    void *conn_;              /* the server's */
} sg_http_response;

/* Called by a handler that answers later: the response it returns with is not sent; the answer
 * goes with sg_http_finish, exactly once. The request's pointers die when the handler returns. */
sg_http_pending *sg_http_defer(sg_http_response *res);
/* Sends the deferred answer (body borrowed, copied; content_type a static string) and reads the
 * connection's next request. May be called before the handler returns. Harmless when the client
 * has gone meanwhile: the answer is dropped. */
void sg_http_finish(sg_http_pending *p, int status, const char *content_type, const void *body,
                    size_t len);
/* Appends the next piece of a streamed answer to out and says whether more follows; called once
 * more with out NULL when the stream is over (sent, or the client left) to release ud. */
typedef bool (*sg_http_producer)(void *ud, sg_buf *out);
/* Sends the deferred answer chunked (Transfer-Encoding: chunked), one piece per chunk, the next
 * piece produced only once the previous one has been written: a large answer never sits whole
 * in memory as text, and the loop serves others between pieces. */
void sg_http_finish_stream(sg_http_pending *p, int status, const char *content_type,
                           sg_http_producer produce, void *ud);

typedef void (*sg_http_handler)(void *ud, const sg_http_request *req, sg_http_response *res);

/* Listens on ip:port (0: a free one). SG_EIO if it cannot bind. */
int sg_http_start(uv_loop_t *loop, const char *ip, int port, sg_http_handler handler, void *ud,
                  sg_http **out);
int sg_http_port(const sg_http *h);
/* Stops listening and closes every connection; the memory goes once the loop has closed the
 * handles (run it). Safe with NULL. */
void sg_http_stop(sg_http *h);

#endif
