/* SPDX-License-Identifier: Apache-2.0 */
/* netint.h: structures shared inside the transport (server.c, conn.c); nothing outside
 * src/net includes this. */
#ifndef SG_NETINT_H
#define SG_NETINT_H

#include "net/server.h"

#include <nghttp2/nghttp2.h>

typedef struct sg_conn sg_conn;

struct sg_server {
    uv_loop_t *loop;
    uv_tcp_t listener;
    uv_timer_t grace_timer;
    sg_server_options opts;
    nghttp2_session_callbacks *h2_callbacks;
    nghttp2_option *h2_options;
    sg_conn *conns; /* doubly linked through sg_conn.prev/next */
    size_t n_conns;
    size_t calls_in_flight;
    int port;
    bool is_stopping, is_listener_closed, is_timer_closed, is_done;
    void (*done)(void *ud);
    void *done_ud;
};

/* One HTTP/2 connection: socket, nghttp2 session, the calls on its open streams, and the one
 * write in flight. Freed in the uv_close callback of its tcp handle. */
struct sg_conn {
    sg_server *srv;
    sg_conn *prev, *next;
    uv_tcp_t tcp;
    uv_write_t wreq;
    nghttp2_session *h2;
    sg_grpc_call *calls; /* calls whose h2 stream is open */
    sg_buf out;          /* bytes handed to the in-flight uv_write */
    bool is_writing, is_closing, in_h2, want_flush;
    uint8_t rbuf[65536];
};

/* Header values the RPC layer may ask for (grpc.h sg_grpc_call_header). */
enum { HDR_NAMESPACE, HDR_CLIENT_NAME, HDR_CLIENT_VERSION, HDR_COUNT };

struct sg_grpc_call {
    sg_server *srv;
    sg_conn *conn; /* NULL once the h2 stream is closed */
    sg_grpc_call *prev, *next;
    int32_t stream_id;
    sg_arena arena;
    char *path;
    char *encoding;
    char *headers[HDR_COUNT];
    int64_t deadline_ms;
    uv_timer_t *deadline_timer; /* armed while the request is still arriving; freed on close */
    size_t header_bytes;        /* of the request's header list, as HTTP/2 counts it */
    bool has_bad_timeout, is_post, is_grpc_content_type, has_too_many_header_bytes;
    sg_buf body;     /* request bytes as received, prefix included */
    sg_buf inflated; /* the message after gzip, when compressed */
    const uint8_t *msg;
    size_t msg_len;
    bool is_rejected, is_dispatched, is_finished, is_cancelled;
    /* response, framed with its 5-byte prefix; sent by the data provider */
    uint8_t *resp;
    size_t resp_len, resp_off;
    sg_grpc_cancel_fn cancel_fn;
    void *cancel_ud;
};

/* conn.c */
void sg_conn_accept(sg_server *srv);
void sg_conn_goaway(sg_conn *conn);
void sg_conn_close(sg_conn *conn);
void sg_conn_callbacks_init(nghttp2_session_callbacks *cbs);
/* server.c: a connection finished closing. */
void sg_server_conn_closed(sg_server *srv, sg_conn *conn);

#endif
