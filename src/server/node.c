/* SPDX-License-Identifier: Apache-2.0 */
/* node.c: one node's wiring, start-up, loop and graceful shutdown (node.h). */
#include "server/node.h"

#include "core/clock.h"
#include "core/log.h"
#include "core/version.h"
#include "history/engine.h"
#include "matching/matching.h"
#include "namespace/registry.h"
#include "net/server.h"
#include "web/http.h"
#include "core/metrics.h"
#include "rpc/http_api.h"
#include "web/ui.h"
#include "rpc/frontend.h"
#include "store/store.h"
#include "store/txn.h"
#include "timeskip/timeskip.h"

#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#define SHUTDOWN_GRACE_MS 5000

typedef struct node {
    uv_loop_t loop;
    uv_signal_t sigint, sigterm;
    sg_store *st;
    sg_txn *txn;
    sg_registry *registry;
    sg_matching *matching;
    sg_engine *engine;
    sg_timeskip *timeskip;
    sg_visibility *visibility;
    sg_batch *batch;
    sg_batch_runner *batch_runner;
    sg_scheduler *scheduler;
    sg_frontend *fe;
    sg_server *srv;
    sg_http *metrics;
    sg_http *api;
    sg_http *ui;
    bool is_stopping;
} node;

static const char *display_host(const char *ip)
{
    return strcmp(ip, "127.0.0.1") == 0 || strcmp(ip, "::1") == 0 ? "localhost" : ip;
}

static void on_server_stopped(void *ud)
{
    node *n = ud;
    uv_close((uv_handle_t *)&n->sigint, NULL);
    uv_close((uv_handle_t *)&n->sigterm, NULL);
}

static void on_signal(uv_signal_t *h, int signum)
{
    node *n = h->data;
    if (n->is_stopping) {
        sg_log_warn("second signal: exiting at once");
        _exit(1);
    }
    n->is_stopping = true;
    sg_log_info("received %s, shutting down", signum == SIGINT ? "SIGINT" : "SIGTERM");
    /* Parked long polls answer empty now, so connections can drain. */
    sg_frontend_shutdown(n->fe);
    sg_http_stop(n->metrics);
    n->metrics = NULL;
    sg_http_stop(n->api);
    n->api = NULL;
    sg_http_stop(n->ui);
    n->ui = NULL;
    sg_server_stop(n->srv, SHUTDOWN_GRACE_MS, on_server_stopped, n);
}

static void print_banner(const node *n, const sg_node_config *c)
{
    printf("Sandglass %s (Temporal API, SQLite %s)\n\n", SG_VERSION, "storage");
    printf("%-21s %s:%d\n", "Temporal Server:", display_host(c->ip), sg_server_port(n->srv));
    printf("%-21s %s\n", "Temporal Persistence:", sg_store_location(n->st));
    if (c->headless)
        printf("%-21s %s\n", "Temporal UI:", "disabled (--headless)");
    else
        printf("%-21s http://%s:%d\n", "Temporal UI:", display_host(c->ui_ip ? c->ui_ip : c->ip),
               sg_http_port(n->ui));
    if (n->api)
        printf("%-21s http://%s:%d/api/v1\n", "Temporal HTTP API:", display_host(c->ip),
               sg_http_port(n->api));
    if (n->metrics)
        printf("%-21s http://%s:%d/metrics\n", "Temporal Metrics:", display_host(c->ip),
               sg_http_port(n->metrics));
    if (c->log_config) {
        fprintf(stderr, "config: ip=%s port=%d db=%s namespaces=%zu search_attributes=%zu "
                        "pragmas=%zu dynamic_config=%zu\n",
                c->ip, c->port, sg_store_location(n->st), c->n_namespaces + 1, c->n_search_attrs,
                c->n_pragmas, c->n_dynamic_config);
    }
    fflush(stdout);
}

/* "default" first, then each --namespace, each with every --search-attribute. */
static int ensure_namespaces(node *n, const sg_node_config *c)
{
    for (size_t i = 0; i <= c->n_namespaces; i++) {
        const char *ns = i == 0 ? "default" : c->namespaces[i - 1];
        char *msg = NULL;
        int rc = sg_frontend_ensure_namespace(n->fe, ns, c->search_attrs, c->n_search_attrs,
                                              &msg);
        if (rc < 0) {
            fprintf(stderr, "sandglass: %s\n", msg ? msg : sg_strerror(rc));
            sg_free(msg);
            return rc == SG_EINVAL || rc == SG_EEXIST || rc == SG_ELIMIT ? 2 : 1;
        }
    }
    return 0;
}

static int registry_attr_type(void *ud, const char *namespace_id, const char *name)
{
    int type;
    return sg_registry_search_attr_get(ud, namespace_id, name, &type) == 0 ? type : 0;
}

/* --dynamic-config-value KEY=VALUE: Sandglass reads worker.batcherRPS (the most operations per
 * second of a batch job; Temporal's default is 50) and accepts the others, as the dev server
 * accepts keys it does not know. */
static int batcher_rps(const sg_node_config *c, double *rps)
{
    *rps = 50;
    static const char key[] = "worker.batcherRPS=";
    for (size_t i = 0; i < c->n_dynamic_config; i++) {
        const char *kv = c->dynamic_config[i];
        if (strncasecmp(kv, key, sizeof key - 1) != 0) {
            sg_log_debug("dynamic config %s accepted; Sandglass does not use it", kv);
            continue;
        }
        char *end;
        double v = strtod(kv + sizeof key - 1, &end);
        if (end == kv + sizeof key - 1 || *end || !(v > 0) || v > 1e9) {
            fprintf(stderr, "sandglass: --dynamic-config-value %s: worker.batcherRPS must be a "
                            "positive number\n", kv);
            return SG_EINVAL;
        }
        *rps = v;
    }
    return 0;
}

typedef struct scrape {
    node *n;
    sg_buf *out;
    const char *name;
    bool backlog; /* the backlog gauge, else the pollers one */
} scrape;

static void queue_sample(void *ud, const char *namespace_id, sg_task_kind kind, const char *name,
                         size_t backlog, size_t parked)
{
    scrape *sc = ud;
    sg_namespace_rec ns;
    bool known = sg_registry_namespace_get(sc->n->registry, namespace_id, true, &ns) == 0;
    const char *labels[] = { "namespace", known ? ns.name : namespace_id, "task_queue", name,
                             "task_queue_type", kind == SG_TASK_WORKFLOW ? "workflow" : "activity", NULL };
    sg_metrics_gauge_sample(sc->out, sc->name, labels, (double)(sc->backlog ? backlog : parked));
    if (known)
        sg_namespace_rec_deinit(&ns);
}

/* The web UI's port: its embedded files, and the HTTP API under /api/v1 (same origin, so the
 * pages call it without CORS). */
static void on_ui_request(void *ud, const sg_http_request *req, sg_http_response *res)
{
    node *n = ud;
    if (strncmp(req->path, "/api/v1/", 8) == 0 || strcmp(req->path, "/api/v1") == 0) {
        sg_http_api_handle(n->fe, req, res);
        return;
    }
    const char *type;
    const uint8_t *data;
    size_t len;
    if (strcmp(req->method, "GET") != 0 && strcmp(req->method, "HEAD") != 0) {
        res->status = 405;
        sg_buf_append_str(&res->body, "the web UI answers GET\n");
        return;
    }
    if (!sg_ui_asset(req->path, &type, &data, &len)) {
        res->status = 404;
        res->content_type = "text/html; charset=utf-8";
        sg_buf_append_str(&res->body, "<!doctype html><title>Not found</title><p>Not found. "
                                      "<a href=\"/\">Sandglass</a></p>\n");
        return;
    }
    res->content_type = type;
    sg_buf_append(&res->body, data, len);
}

/* GET /metrics: the recorded counters and histograms, then gauges read now. */
static void on_metrics_request(void *ud, const sg_http_request *req, sg_http_response *res)
{
    node *n = ud;
    if (strcmp(req->path, "/metrics") != 0) {
        res->status = 404;
        res->content_type = "application/json";
        sg_buf_printf(&res->body, "{\"code\":5,\"message\":\"not found: the metrics server serves /metrics\"}");
        return;
    }
    if (strcmp(req->method, "GET") != 0 && strcmp(req->method, "HEAD") != 0) {
        res->status = 405;
        sg_buf_append_str(&res->body, "GET /metrics\n");
        return;
    }
    res->content_type = "text/plain; version=0.0.4; charset=utf-8";
    sg_metrics_render(&res->body);
    sg_metrics_gauge_header(&res->body, "open_connections", "Client connections (gRPC) open now.");
    sg_metrics_gauge_sample(&res->body, "open_connections", NULL, (double)sg_server_connections(n->srv));
    sg_metrics_gauge_header(&res->body, "store_size_bytes", "Size of the database (pages in use; the WAL not counted).");
    sg_metrics_gauge_sample(&res->body, "store_size_bytes", NULL, (double)sg_store_size_bytes(n->st));
    static const char *const gauges[][2] = {
        { "task_queue_backlog", "Tasks waiting on a task queue for a poller." },
        { "task_queue_pollers", "Polls parked on a task queue, waiting for a task." },
    };
    for (size_t g = 0; g < 2; g++) {
        sg_metrics_gauge_header(&res->body, gauges[g][0], gauges[g][1]);
        scrape sc = { n, &res->body, gauges[g][0], g == 0 };
        sg_matching_each_queue(n->matching, queue_sample, &sc);
    }
}

int sg_node_run(const sg_node_config *c)
{
    node n;
    memset(&n, 0, sizeof n);
    uv_loop_init(&n.loop);
    int code = 1;
    sg_store_options so = { .path = c->db_filename, .pragmas = (const char **)c->pragmas,
                            .n_pragmas = c->n_pragmas };
    int rc = sg_store_open(&so, &n.st);
    if (rc < 0) {
        fprintf(stderr, "sandglass: cannot open the store %s: %s\n",
                c->db_filename ? c->db_filename : "(in memory)", sg_strerror(rc));
        goto out_loop;
    }
    n.txn = sg_txn_new(&n.loop, n.st);
    rc = sg_registry_open(n.st, n.txn, &n.registry);
    if (rc < 0) {
        fprintf(stderr, "sandglass: cannot load the namespaces: %s\n", sg_strerror(rc));
        goto out_store;
    }
    /* A clock skipped ahead by an earlier time-skipping run stays ahead: histories never go
     * back in time. */
    int64_t skew = sg_timeskip_stored_skew(n.st);
    if (skew > 0) {
        sg_clock_set_skew(skew);
        sg_log_info("the clock runs %" PRId64 " ms ahead (time skipped by an earlier run)", skew);
    }
    n.matching = sg_matching_new(&n.loop);
    sg_engine_deps deps = { .loop = &n.loop, .st = n.st, .txn = n.txn, .matching = n.matching,
                            .attr_type = registry_attr_type, .attr_type_ud = n.registry };
    n.engine = sg_engine_new(&deps);
    rc = sg_engine_recover(n.engine);
    if (rc < 0) {
        fprintf(stderr, "sandglass: recovery failed: %s\n", sg_strerror(rc));
        goto out_store;
    }
    if (rc > 0)
        sg_log_info("recovered %d running workflow(s)", rc);
    if (c->time_skipping)
        n.timeskip = sg_timeskip_new(&n.loop, n.engine, n.txn, n.st, !c->time_skipping_unlocked);
    n.visibility = sg_visibility_new(n.st, n.registry);
    n.batch = sg_batch_new(n.st);
    double batch_rps;
    if (batcher_rps(c, &batch_rps) < 0) {
        code = 2;
        goto out_store;
    }
    sg_batch_runner_deps bd = { .loop = &n.loop, .txn = n.txn, .engine = n.engine,
                                .visibility = n.visibility, .batch = n.batch, .max_rps = batch_rps };
    n.batch_runner = sg_batch_runner_new(&bd);
    rc = sg_batch_runner_recover(n.batch_runner);
    if (rc < 0) {
        fprintf(stderr, "sandglass: cannot resume the batch operations: %s\n", sg_strerror(rc));
        goto out_store;
    }
    if (rc > 0)
        sg_log_info("resumed %d batch operation(s)", rc);
    sg_scheduler_deps sd = { .loop = &n.loop, .txn = n.txn, .st = n.st, .engine = n.engine,
                             .registry = n.registry };
    n.scheduler = sg_scheduler_new(&sd);
    rc = sg_scheduler_recover(n.scheduler);
    if (rc < 0) {
        fprintf(stderr, "sandglass: cannot load the schedules: %s\n", sg_strerror(rc));
        goto out_store;
    }
    if (rc > 0)
        sg_log_info("loaded %d schedule(s)", rc);
    sg_frontend_deps fd = { .loop = &n.loop, .txn = n.txn, .registry = n.registry,
                            .engine = n.engine, .matching = n.matching, .timeskip = n.timeskip,
                            .visibility = n.visibility, .batch = n.batch,
                            .batch_runner = n.batch_runner, .scheduler = n.scheduler };
    sg_frontend_config fc = { .server_version = SG_VERSION, .cluster_name = "active" };
    n.fe = sg_frontend_new(&fd, &fc);
    code = ensure_namespaces(&n, c);
    if (code != 0)
        goto out_store;
    code = 1;
    if (sg_http_start(&n.loop, c->ip, c->metrics_port, on_metrics_request, &n, &n.metrics) < 0) {
        fprintf(stderr, "sandglass: can't set metrics port %d on %s\n", c->metrics_port, c->ip);
        goto out_store;
    }
    /* Like Temporal's dev server, the HTTP API defaults to the gRPC port + 10; when that one is
     * taken (and was not asked for) a free port serves, and the banner says which. */
    int api_port = c->http_port ? c->http_port : (c->port && c->port + 10 <= 65535 ? c->port + 10 : 0);
    if (sg_http_start(&n.loop, c->ip, api_port, sg_http_api_handle, n.fe, &n.api) < 0 &&
        (c->http_port || sg_http_start(&n.loop, c->ip, 0, sg_http_api_handle, n.fe, &n.api) < 0)) {
        fprintf(stderr, "sandglass: can't set HTTP API port %d on %s\n", api_port, c->ip);
        goto out_store;
    }
    if (!c->headless) {
        const char *ui_ip = c->ui_ip ? c->ui_ip : c->ip;
        int ui_port = c->ui_port ? c->ui_port : (c->port && c->port + 1000 <= 65535 ? c->port + 1000 : 0);
        if (sg_http_start(&n.loop, ui_ip, ui_port, on_ui_request, &n, &n.ui) < 0 &&
            (c->ui_port || sg_http_start(&n.loop, ui_ip, 0, on_ui_request, &n, &n.ui) < 0)) {
            fprintf(stderr, "sandglass: can't set UI port %d on %s\n", ui_port, ui_ip);
            goto out_store;
        }
    }
    sg_server_options srvo = { .ip = c->ip, .port = c->port, .dispatch = sg_frontend_dispatch,
                               .dispatch_ud = n.fe };
    if (sg_server_start(&n.loop, &srvo, &n.srv) < 0) {
        fprintf(stderr, "sandglass: can't set frontend port %d on %s\n", c->port, c->ip);
        goto out_store;
    }
    uv_signal_init(&n.loop, &n.sigint);
    uv_signal_init(&n.loop, &n.sigterm);
    n.sigint.data = n.sigterm.data = &n;
    uv_signal_start(&n.sigint, on_signal, SIGINT);
    uv_signal_start(&n.sigterm, on_signal, SIGTERM);
    print_banner(&n, c);

    uv_run(&n.loop, UV_RUN_DEFAULT);
    code = 0;
    sg_server_free(n.srv);
out_store:
    sg_http_stop(n.metrics); /* when start-up failed after it began listening */
    n.metrics = NULL;
    sg_http_stop(n.api);
    n.api = NULL;
    sg_http_stop(n.ui);
    n.ui = NULL;
    /* The last batch commits while the engine can still run its completions. */
    if (n.txn)
        sg_txn_flush(n.txn);
    /* No slice may start after the last commit, nor reach the engine freed below. */
    sg_batch_runner_free(n.batch_runner);
    sg_scheduler_free(n.scheduler);
    sg_timeskip_free(n.timeskip);
    sg_engine_free(n.engine);
    if (n.matching)
        sg_matching_shutdown(n.matching);
    uv_run(&n.loop, UV_RUN_NOWAIT);
    sg_matching_free(n.matching);
    sg_txn_free(n.txn);
    uv_run(&n.loop, UV_RUN_DEFAULT); /* lets closed handles finish */
    sg_frontend_free(n.fe);
    sg_visibility_free(n.visibility);
    sg_batch_free(n.batch);
    sg_registry_free(n.registry);
    sg_store_close(n.st);
out_loop:
    if (uv_loop_close(&n.loop) != 0)
        sg_log_warn("event loop closed with handles still open");
    return code;
}
