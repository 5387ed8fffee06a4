/* SPDX-License-Identifier: Apache-2.0 */
/* server.c: the listening socket and the server's lifecycle (start, graceful stop, free).
 *
 * Stop sequence: close the listener, send GOAWAY on every connection (streams already begun
 * still finish), let connections close as their calls finish, and after the grace period close
 * whatever remains. done() runs when the listener, every connection and the grace timer are
 * closed, so the caller may then close the store knowing no reply is still on its way. */
#include "net/netint.h"

#include "core/log.h"

#include <string.h>

static void check_stopped(sg_server *srv)
{
    if (!srv->is_stopping || !srv->is_listener_closed || srv->n_conns || !srv->is_timer_closed ||
        srv->is_done)
        return;
    srv->is_done = true;
    if (srv->done)
        srv->done(srv->done_ud);
}

static void on_timer_closed(uv_handle_t *h)
{
    sg_server *srv = h->data;
    srv->is_timer_closed = true;
    check_stopped(srv);
}

void sg_server_conn_closed(sg_server *srv, sg_conn *conn)
{
    if (conn->prev)
        conn->prev->next = conn->next;
    else
        srv->conns = conn->next;
    if (conn->next)
        conn->next->prev = conn->prev;
    sg_assert(srv->n_conns > 0);
    srv->n_conns--;
    if (srv->is_stopping && srv->n_conns == 0 && !uv_is_closing((uv_handle_t *)&srv->grace_timer))
        uv_close((uv_handle_t *)&srv->grace_timer, on_timer_closed);
    check_stopped(srv);
}

static void on_connection(uv_stream_t *listener, int status)
{
    sg_server *srv = listener->data;
    if (status < 0) {
        sg_log_warn("accept failed: %s", uv_strerror(status));
        return;
    }
    sg_conn_accept(srv);
}

int sg_server_start(uv_loop_t *loop, const sg_server_options *opts, sg_server **out)
{
    sg_server *srv = sg_calloc(1, sizeof *srv);
    srv->loop = loop;
    srv->opts = *opts;
    if (!srv->opts.max_recv_msg_bytes)
        srv->opts.max_recv_msg_bytes = 4u << 20;
    struct sockaddr_storage addr;
    if (uv_ip4_addr(opts->ip, opts->port, (struct sockaddr_in *)&addr) != 0 &&
        uv_ip6_addr(opts->ip, opts->port, (struct sockaddr_in6 *)&addr) != 0) {
        sg_log_error("invalid listen address '%s'", opts->ip);
        sg_free(srv);
        return SG_EINVAL;
    }
    uv_tcp_init(loop, &srv->listener);
    srv->listener.data = srv;
    int rv = uv_tcp_bind(&srv->listener, (struct sockaddr *)&addr, 0);
    if (rv == 0)
        rv = uv_listen((uv_stream_t *)&srv->listener, 511, on_connection);
    if (rv != 0) {
        sg_log_error("cannot listen on %s:%d: %s", opts->ip, opts->port, uv_strerror(rv));
        uv_close((uv_handle_t *)&srv->listener, NULL);
        uv_run(loop, UV_RUN_NOWAIT); /* lets the close finish before srv is freed */
        sg_free(srv);
        return SG_EIO;
    }
    struct sockaddr_storage bound;
    int len = sizeof bound;
    uv_tcp_getsockname(&srv->listener, (struct sockaddr *)&bound, &len);
    srv->port = ntohs(bound.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&bound)->sin6_port
                                                  : ((struct sockaddr_in *)&bound)->sin_port);
    sg_assert(nghttp2_session_callbacks_new(&srv->h2_callbacks) == 0);
    sg_conn_callbacks_init(srv->h2_callbacks);
    sg_assert(nghttp2_option_new(&srv->h2_options) == 0);
    /* Clients ping every 30 s even when idle (PROTOCOL.md 1.1); pings are answered, never
     * policed. */
    uv_timer_init(loop, &srv->grace_timer);
    srv->grace_timer.data = srv;
    *out = srv;
    return 0;
}

int sg_server_port(const sg_server *srv)
{
    return srv->port;
}

size_t sg_server_connections(const sg_server *srv)
{
    return srv->n_conns;
}

size_t sg_server_calls_in_flight(const sg_server *srv)
{
    return srv->calls_in_flight;
}

static void on_listener_closed(uv_handle_t *h)
{
    sg_server *srv = h->data;
    srv->is_listener_closed = true;
    check_stopped(srv);
}

static void on_grace_expired(uv_timer_t *t)
{
    sg_server *srv = t->data;
    if (srv->n_conns)
        sg_log_warn("shutdown grace period over; closing %zu connection(s)", srv->n_conns);
    for (sg_conn *c = srv->conns, *next; c; c = next) {
        next = c->next;
        sg_conn_close(c);
    }
    if (!uv_is_closing((uv_handle_t *)&srv->grace_timer))
        uv_close((uv_handle_t *)&srv->grace_timer, on_timer_closed);
}

void sg_server_stop(sg_server *srv, int64_t grace_ms, void (*done)(void *ud), void *ud)
{
    if (srv->is_stopping)
        return;
    srv->is_stopping = true;
    srv->done = done;
    srv->done_ud = ud;
    uv_close((uv_handle_t *)&srv->listener, on_listener_closed);
    for (sg_conn *c = srv->conns, *next; c; c = next) {
        next = c->next;
        sg_conn_goaway(c);
    }
    if (srv->n_conns)
        uv_timer_start(&srv->grace_timer, on_grace_expired, (uint64_t)grace_ms, 0);
    else
        uv_close((uv_handle_t *)&srv->grace_timer, on_timer_closed);
}

void sg_server_free(sg_server *srv)
{
    if (!srv)
        return;
    sg_assert(srv->is_done);
    nghttp2_session_callbacks_del(srv->h2_callbacks);
    nghttp2_option_del(srv->h2_options);
    sg_free(srv);
}
