/* SPDX-License-Identifier: Apache-2.0 */
/* start_dev.c: `sandglass server start-dev` — flag parsing, start-up, and the event loop.
 *
 * Accepts the flags of `temporal server start-dev` (so @temporalio/testing can launch this
 * binary in its place); flags for parts Sandglass does not have yet (web UI, HTTP API, metrics)
 * are validated and accepted, and the banner says they are not served. Start-up does only what
 * recovery needs before accepting connections: open the store (migrations), make sure the
 * start-up namespaces exist, bind. Shutdown on SIGINT/SIGTERM is graceful: GOAWAY, in-flight
 * calls finish, the last batch commits, the store closes. */
#include "cli/cli.h"

#include "core/log.h"
#include "core/version.h"
#include "history/engine.h"
#include "matching/matching.h"
#include "net/server.h"
#include "rpc/frontend.h"
#include "store/store.h"
#include "store/txn.h"

#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SHUTDOWN_GRACE_MS 5000

typedef struct str_list {
    const char **items;
    size_t n;
} str_list;

typedef struct start_dev_opts {
    const char *ip, *ui_ip, *db_filename, *ui_public_path, *ui_asset_path, *ui_codec_endpoint;
    int port, ui_port, http_port, metrics_port;
    bool headless, log_config;
    sg_log_level log_level;
    sg_log_format log_format;
    str_list namespaces, dynamic_config, search_attrs, pragmas;
} start_dev_opts;

typedef struct app {
    uv_loop_t loop;
    uv_signal_t sigint, sigterm;
    sg_store *st;
    sg_txn *txn;
    sg_frontend *fe;
    sg_matching *matching;
    sg_engine *engine;
    sg_server *srv;
    bool is_stopping;
} app;

static void list_push(str_list *l, const char *s)
{
    l->items = sg_realloc(l->items, (l->n + 1) * sizeof *l->items);
    l->items[l->n++] = s;
}

static void usage(FILE *f)
{
    fputs("Usage: sandglass server start-dev [flags]\n"
          "\n"
          "Starts a Sandglass server that speaks Temporal's gRPC API, with SQLite storage\n"
          "(in memory unless --db-filename is given). Accepts the flags of\n"
          "`temporal server start-dev`.\n"
          "\n"
          "Flags:\n"
          "  -f, --db-filename FILE           SQLite file to keep data in (default: in memory)\n"
          "  -n, --namespace NAME             namespace to create at start (repeatable;\n"
          "                                   \"default\" always exists)\n"
          "  -p, --port PORT                  gRPC port (default 7233)\n"
          "      --ip ADDR                    address to listen on (default 127.0.0.1)\n"
          "      --headless                   do not serve the web UI\n"
          "      --ui-port PORT               web UI port (default: gRPC port + 1000)\n"
          "      --ui-ip ADDR                 web UI address (default: --ip)\n"
          "      --ui-public-path PATH        web UI public path\n"
          "      --ui-asset-path PATH         web UI asset path\n"
          "      --ui-codec-endpoint URL      web UI codec endpoint\n"
          "      --ui-disable-news-fetch      accepted for compatibility\n"
          "      --http-port PORT             HTTP API port (accepted; not served yet)\n"
          "      --metrics-port PORT          metrics port (accepted; not served yet)\n"
          "      --search-attribute NAME=TYPE register a custom search attribute in every\n"
          "                                   start-up namespace (repeatable); TYPE is Text,\n"
          "                                   Keyword, Int, Double, Bool, Datetime or KeywordList\n"
          "      --dynamic-config-value K=JSON  dynamic config override (repeatable; accepted,\n"
          "                                   none is honoured yet, see docs/architecture.md)\n"
          "      --sqlite-pragma NAME=VALUE   extra SQLite pragma (repeatable)\n"
          "      --log-format pretty|json     log line format (default pretty; \"text\" too)\n"
          "      --log-level LEVEL            debug, info, warn, error or never (default warn)\n"
          "      --log-config                 print the effective configuration at start\n"
          "  -h, --help                       show this help\n",
          f);
}

static int usage_error(const char *fmt, const char *arg)
{
    fputs("sandglass server start-dev: ", stderr);
    fprintf(stderr, fmt, arg);
    fputs("\nRun 'sandglass server start-dev --help' for usage.\n", stderr);
    return 2;
}

static bool parse_port(const char *s, int *out)
{
    char *end;
    long v = strtol(s, &end, 10);
    if (!*s || *end || v < 0 || v > 65535)
        return false;
    *out = (int)v;
    return true;
}

static bool is_kv(const char *s)
{
    const char *eq = strchr(s, '=');
    return eq && eq != s;
}

enum {
    OPT_IP = 256, OPT_HEADLESS, OPT_UI_PORT, OPT_UI_IP, OPT_UI_PUBLIC_PATH, OPT_UI_ASSET_PATH,
    OPT_UI_CODEC, OPT_UI_NO_NEWS, OPT_HTTP_PORT, OPT_METRICS_PORT, OPT_LOG_FORMAT, OPT_LOG_LEVEL,
    OPT_LOG_CONFIG, OPT_DYNCFG, OPT_SEARCH_ATTR, OPT_PRAGMA,
};

static int parse_args(int argc, char **argv, start_dev_opts *o)
{
    static const struct option longopts[] = {
        { "db-filename", required_argument, NULL, 'f' },
        { "namespace", required_argument, NULL, 'n' },
        { "port", required_argument, NULL, 'p' },
        { "help", no_argument, NULL, 'h' },
        { "ip", required_argument, NULL, OPT_IP },
        { "headless", no_argument, NULL, OPT_HEADLESS },
        { "ui-port", required_argument, NULL, OPT_UI_PORT },
        { "ui-ip", required_argument, NULL, OPT_UI_IP },
        { "ui-public-path", required_argument, NULL, OPT_UI_PUBLIC_PATH },
        { "ui-asset-path", required_argument, NULL, OPT_UI_ASSET_PATH },
        { "ui-codec-endpoint", required_argument, NULL, OPT_UI_CODEC },
        { "ui-disable-news-fetch", no_argument, NULL, OPT_UI_NO_NEWS },
        { "http-port", required_argument, NULL, OPT_HTTP_PORT },
        { "metrics-port", required_argument, NULL, OPT_METRICS_PORT },
        { "log-format", required_argument, NULL, OPT_LOG_FORMAT },
        { "log-level", required_argument, NULL, OPT_LOG_LEVEL },
        { "log-config", no_argument, NULL, OPT_LOG_CONFIG },
        { "dynamic-config-value", required_argument, NULL, OPT_DYNCFG },
        { "search-attribute", required_argument, NULL, OPT_SEARCH_ATTR },
        { "sqlite-pragma", required_argument, NULL, OPT_PRAGMA },
        { 0, 0, 0, 0 },
    };
    opterr = 0;
    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, ":f:n:p:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'f': o->db_filename = optarg; break;
        case 'n': list_push(&o->namespaces, optarg); break;
        case 'p':
            if (!parse_port(optarg, &o->port) || o->port == 0)
                return usage_error("invalid --port '%s': expected 1-65535", optarg);
            break;
        case 'h': usage(stdout); return 0;
        case OPT_IP: o->ip = optarg; break;
        case OPT_HEADLESS: o->headless = true; break;
        case OPT_UI_PORT:
            if (!parse_port(optarg, &o->ui_port))
                return usage_error("invalid --ui-port '%s'", optarg);
            break;
        case OPT_UI_IP: o->ui_ip = optarg; break;
        case OPT_UI_PUBLIC_PATH: o->ui_public_path = optarg; break;
        case OPT_UI_ASSET_PATH: o->ui_asset_path = optarg; break;
        case OPT_UI_CODEC: o->ui_codec_endpoint = optarg; break;
        case OPT_UI_NO_NEWS: break;
        case OPT_HTTP_PORT:
            if (!parse_port(optarg, &o->http_port))
                return usage_error("invalid --http-port '%s'", optarg);
            break;
        case OPT_METRICS_PORT:
            if (!parse_port(optarg, &o->metrics_port))
                return usage_error("invalid --metrics-port '%s'", optarg);
            break;
        case OPT_LOG_FORMAT:
            if (sg_log_parse_format(optarg, &o->log_format) < 0)
                return usage_error("invalid --log-format '%s': expected pretty, text or json",
                                   optarg);
            break;
        case OPT_LOG_LEVEL:
            if (sg_log_parse_level(optarg, &o->log_level) < 0)
                return usage_error(
                    "invalid --log-level '%s': expected debug, info, warn, error or never", optarg);
            break;
        case OPT_LOG_CONFIG: o->log_config = true; break;
        case OPT_DYNCFG:
            if (!is_kv(optarg))
                return usage_error("invalid --dynamic-config-value '%s': expected KEY=JSON",
                                   optarg);
            list_push(&o->dynamic_config, optarg);
            break;
        case OPT_SEARCH_ATTR:
            if (!is_kv(optarg))
                return usage_error("invalid --search-attribute '%s': expected NAME=TYPE", optarg);
            list_push(&o->search_attrs, optarg);
            break;
        case OPT_PRAGMA:
            if (!is_kv(optarg))
                return usage_error("invalid --sqlite-pragma '%s': expected NAME=VALUE", optarg);
            list_push(&o->pragmas, optarg);
            break;
        case ':': return usage_error("flag %s needs a value", argv[optind - 1]);
        default: return usage_error("unknown flag %s", argv[optind - 1]);
        }
    }
    if (optind < argc)
        return usage_error("unexpected argument '%s'", argv[optind]);
    return -1; /* parsed; go on */
}

static const char *display_host(const char *ip)
{
    return strcmp(ip, "127.0.0.1") == 0 || strcmp(ip, "::1") == 0 ? "localhost" : ip;
}

static void on_server_stopped(void *ud)
{
    app *a = ud;
    uv_close((uv_handle_t *)&a->sigint, NULL);
    uv_close((uv_handle_t *)&a->sigterm, NULL);
}

static void on_signal(uv_signal_t *h, int signum)
{
    app *a = h->data;
    if (a->is_stopping) {
        sg_log_warn("second signal: exiting at once");
        _exit(1);
    }
    a->is_stopping = true;
    sg_log_info("received %s, shutting down", signum == SIGINT ? "SIGINT" : "SIGTERM");
    /* Parked long polls answer empty now, so connections can drain. */
    sg_frontend_shutdown(a->fe);
    sg_server_stop(a->srv, SHUTDOWN_GRACE_MS, on_server_stopped, a);
}

static int run(const start_dev_opts *o)
{
    app a;
    memset(&a, 0, sizeof a);
    uv_loop_init(&a.loop);
    int code = 1;
    const char **pragmas = o->pragmas.items;
    sg_store_options so = { .path = o->db_filename, .pragmas = pragmas, .n_pragmas = o->pragmas.n };
    int rc = sg_store_open(&so, &a.st);
    if (rc < 0) {
        fprintf(stderr, "sandglass: cannot open the store %s: %s\n",
                o->db_filename ? o->db_filename : "(in memory)", sg_strerror(rc));
        goto out_loop;
    }
    a.txn = sg_txn_new(&a.loop, a.st);
    sg_frontend_config fc = { .server_version = SG_VERSION, .cluster_name = "active" };
    a.fe = sg_frontend_new(a.st, a.txn, &fc);
    /* "default" first, then each --namespace, each with every --search-attribute. */
    for (size_t i = 0; i <= o->namespaces.n; i++) {
        const char *ns = i == 0 ? "default" : o->namespaces.items[i - 1];
        char *msg = NULL;
        rc = sg_frontend_ensure_namespace(a.fe, ns, o->search_attrs.items, o->search_attrs.n, &msg);
        if (rc < 0) {
            fprintf(stderr, "sandglass: %s\n", msg ? msg : sg_strerror(rc));
            sg_free(msg);
            code = rc == SG_EINVAL || rc == SG_EEXIST || rc == SG_ELIMIT ? 2 : 1;
            goto out_store;
        }
    }
    a.matching = sg_matching_new(&a.loop);
    sg_engine_deps deps = { .loop = &a.loop, .st = a.st, .txn = a.txn, .matching = a.matching };
    a.engine = sg_engine_new(&deps);
    rc = sg_engine_recover(a.engine);
    if (rc < 0) {
        fprintf(stderr, "sandglass: recovery failed: %s\n", sg_strerror(rc));
        goto out_store;
    }
    if (rc > 0)
        sg_log_info("recovered %d running workflow(s)", rc);
    sg_frontend_attach(a.fe, &a.loop, a.engine, a.matching);
    for (size_t i = 0; i < o->dynamic_config.n; i++)
        sg_log_debug("dynamic config %s accepted; Sandglass does not use it",
                     o->dynamic_config.items[i]);
    sg_server_options srvo = { .ip = o->ip, .port = o->port, .dispatch = sg_frontend_dispatch,
                               .dispatch_ud = a.fe };
    if (sg_server_start(&a.loop, &srvo, &a.srv) < 0) {
        fprintf(stderr, "sandglass: can't set frontend port %d on %s\n", o->port, o->ip);
        goto out_store;
    }
    uv_signal_init(&a.loop, &a.sigint);
    uv_signal_init(&a.loop, &a.sigterm);
    a.sigint.data = a.sigterm.data = &a;
    uv_signal_start(&a.sigint, on_signal, SIGINT);
    uv_signal_start(&a.sigterm, on_signal, SIGTERM);

    const char *host = display_host(o->ip);
    printf("Sandglass %s (Temporal API, SQLite %s)\n\n", SG_VERSION, "storage");
    printf("%-21s %s:%d\n", "Temporal Server:", host, sg_server_port(a.srv));
    printf("%-21s %s\n", "Temporal Persistence:", sg_store_location(a.st));
    if (o->headless)
        printf("%-21s %s\n", "Temporal UI:", "disabled (--headless)");
    else
        printf("%-21s http://%s:%d (not served yet: the web UI is a later milestone)\n",
               "Temporal UI:", display_host(o->ui_ip ? o->ui_ip : o->ip),
               o->ui_port ? o->ui_port : SG_MIN(o->port + 1000, 65535));
    if (o->log_config) {
        fprintf(stderr, "config: ip=%s port=%d db=%s namespaces=%zu search_attributes=%zu "
                        "pragmas=%zu dynamic_config=%zu\n",
                o->ip, o->port, sg_store_location(a.st), o->namespaces.n + 1, o->search_attrs.n,
                o->pragmas.n, o->dynamic_config.n);
    }
    fflush(stdout);

    uv_run(&a.loop, UV_RUN_DEFAULT);
    code = 0;
    sg_server_free(a.srv);
out_store:
    /* The last batch commits while the engine can still run its completions. */
    if (a.txn)
        sg_txn_flush(a.txn);
    sg_engine_free(a.engine);
    if (a.matching)
        sg_matching_shutdown(a.matching);
    uv_run(&a.loop, UV_RUN_NOWAIT);
    sg_matching_free(a.matching);
    sg_txn_free(a.txn);
    uv_run(&a.loop, UV_RUN_DEFAULT); /* lets closed handles finish */
    sg_frontend_free(a.fe);
    sg_store_close(a.st);
out_loop:
    if (uv_loop_close(&a.loop) != 0)
        sg_log_warn("event loop closed with handles still open");
    return code;
}

int sg_cli_server_start_dev(int argc, char **argv)
{
    start_dev_opts o = { .ip = "127.0.0.1", .port = 7233, .log_level = SG_LOG_WARN,
                         .log_format = SG_LOG_PRETTY };
    int code = parse_args(argc, argv, &o);
    if (code < 0) {
        if (strcmp(o.ip, "localhost") == 0)
            o.ip = "127.0.0.1";
        if (o.db_filename && !*o.db_filename)
            o.db_filename = NULL;
        sg_log_setup(o.log_level, o.log_format);
        signal(SIGPIPE, SIG_IGN);
        code = run(&o);
    }
    sg_free(o.namespaces.items);
    sg_free(o.dynamic_config.items);
    sg_free(o.search_attrs.items);
    sg_free(o.pragmas.items);
    return code;
}
