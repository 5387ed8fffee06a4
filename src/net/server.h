/* SPDX-License-Identifier: Apache-2.0 */
/* server.h: the gRPC server — listens for h2c (prior knowledge) connections on a libuv loop
 * and turns each complete unary request into an sg_grpc_call handed to a dispatch function. */
#ifndef SG_SERVER_H
#define SG_SERVER_H

#include "net/grpc.h"

#include <uv.h>

typedef struct sg_server sg_server;

/* Receives every complete, well-formed request. Must eventually finish the call (grpc.h). */
typedef void (*sg_dispatch_fn)(void *ud, sg_grpc_call *call);

typedef struct sg_server_options {
    const char *ip;            /* e.g. "127.0.0.1" or "::1" */
    int port;                  /* 0 picks a free port (see sg_server_port) */
    size_t max_recv_msg_bytes; /* larger requests get RESOURCE_EXHAUSTED; 0 = 4 MiB */
    sg_dispatch_fn dispatch;
    void *dispatch_ud;
} sg_server_options;

/* Binds and starts listening. SG_EINVAL for a bad address, SG_EIO if the port cannot be bound
 * (the message logged names the errno). *out owned by the caller until sg_server_free. */
int sg_server_start(uv_loop_t *loop, const sg_server_options *opts, sg_server **out);
/* The bound port (useful with port 0). */
int sg_server_port(const sg_server *srv);
/* Client connections open now (metrics). */
size_t sg_server_connections(const sg_server *srv);
/* Begins a graceful stop: no new connections, GOAWAY to clients, connections close once
 * their in-flight calls are finished (the dispatcher must finish held calls, e.g. long polls),
 * or after grace_ms regardless. done(ud) runs once everything is closed. */
void sg_server_stop(sg_server *srv, int64_t grace_ms, void (*done)(void *ud), void *ud);
/* Frees a stopped server (after done ran). */
void sg_server_free(sg_server *srv);
/* Number of calls dispatched and not yet finished (tests, shutdown). */
size_t sg_server_calls_in_flight(const sg_server *srv);

#endif
