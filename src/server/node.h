/* SPDX-License-Identifier: Apache-2.0 */
/* node.h: one Sandglass node — wires the layers together and runs them on one event loop.
 *
 *   store (SQLite) -> group commit -> namespace registry -> matching -> history engine
 *   (+ recovery) -> RPC frontend -> start-up namespaces -> HTTP/2 server -> loop
 *
 * The CLI (cli/) parses flags into an sg_node_config and calls sg_node_run; nothing above this
 * module knows the layers. Shutdown on SIGINT/SIGTERM is graceful: GOAWAY, parked long polls
 * answer empty, in-flight calls finish (SHUTDOWN_GRACE_MS at most), the last batch commits,
 * the store closes. A second signal exits at once. */
#ifndef SG_NODE_H
#define SG_NODE_H

#include <stdbool.h>
#include <stddef.h>

typedef struct sg_node_config {
    const char *ip;          /* gRPC listen address */
    int port;                /* 0: any free port */
    const char *db_filename; /* NULL: in memory */
    const char *const *pragmas; /* "NAME=VALUE" SQLite pragmas */
    size_t n_pragmas;
    const char *const *namespaces; /* created at start-up besides "default" */
    size_t n_namespaces;
    const char *const *search_attrs; /* "NAME=TYPE", registered in each start-up namespace */
    size_t n_search_attrs;
    const char *const *dynamic_config; /* accepted, unused */
    size_t n_dynamic_config;
    /* The web UI on ui_ip (else ip):ui_port (0: port + 1000, else a free one), unless headless. */
    bool headless;
    const char *ui_ip;
    int ui_port;
    int metrics_port;        /* /metrics on ip:metrics_port (0: a free port) */
    int http_port;           /* the HTTP API (0: port + 10, as Temporal's dev server, else a free one) */
    bool log_config;
    /* Time skipping (TestService): off, on and locked, or on and unlocked. */
    bool time_skipping, time_skipping_unlocked;
} sg_node_config;

/* Runs a node until it is told to stop (SIGINT/SIGTERM). Returns the process exit code: 0
 * after a clean shutdown, 1 when the store cannot open or recovery fails or the port cannot be
 * bound, 2 for a bad start-up namespace or search attribute (with a message on stderr). */
int sg_node_run(const sg_node_config *cfg);

#endif
