/* SPDX-License-Identifier: Apache-2.0 */
/* start_dev.c: `sandglass server start-dev` — flag parsing, start-up, and the event loop.
 *
 * Accepts the flags of `temporal server start-dev` (so @temporalio/testing can launch this
 * binary in its place); flags for parts Sandglass does not have yet (web UI, HTTP API, metrics)
 * are validated and accepted, and the banner says they are not served. The node itself
 * (server/node.c) wires the layers and runs the loop. */
#include "cli/cli.h"

#include "core/log.h"
#include "server/node.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct str_list {
    const char **items;
    size_t n;
} str_list;

typedef struct start_dev_opts {
    const char *ip, *ui_ip, *db_filename, *ui_public_path, *ui_asset_path, *ui_codec_endpoint;
    int port, ui_port, http_port, metrics_port;
    bool headless, log_config, time_skipping, time_skipping_unlocked;
    sg_log_level log_level;
    sg_log_format log_format;
    str_list namespaces, dynamic_config, search_attrs, pragmas;
} start_dev_opts;


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
          "      --time-skipping              serve TestService: the clock skips ahead while no\n"
          "                                   worker has work (locked until a client unlocks;\n"
          "                                   --enable-time-skipping starts it unlocked)\n"
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
          "      --http-port PORT             HTTP API port (default: --port + 10, else a free one)\n"
          "      --metrics-port PORT          port of the Prometheus /metrics endpoint (default a\n"
          "                                   free port, printed at start-up)\n"
          "      --search-attribute NAME=TYPE register a custom search attribute in every\n"
          "                                   start-up namespace (repeatable); TYPE is Text,\n"
          "                                   Keyword, Int, Double, Bool, Datetime or KeywordList\n"
          "      --dynamic-config-value K=JSON  dynamic config override (repeatable; Sandglass\n"
          "                                   honours worker.batcherRPS, accepts the others)\n"
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
    OPT_LOG_CONFIG, OPT_DYNCFG, OPT_SEARCH_ATTR, OPT_PRAGMA, OPT_TIME_SKIPPING,
    OPT_ENABLE_TIME_SKIPPING,
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
        { "time-skipping", no_argument, NULL, OPT_TIME_SKIPPING },
        { "enable-time-skipping", no_argument, NULL, OPT_ENABLE_TIME_SKIPPING },
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
        case OPT_TIME_SKIPPING: o->time_skipping = true; break;
        case OPT_ENABLE_TIME_SKIPPING: o->time_skipping = o->time_skipping_unlocked = true; break;
        case ':': return usage_error("flag %s needs a value", argv[optind - 1]);
        default: return usage_error("unknown flag %s", argv[optind - 1]);
        }
    }
    if (optind < argc)
        return usage_error("unexpected argument '%s'", argv[optind]);
    return -1; /* parsed; go on */
}


static int run(const start_dev_opts *o)
{
    sg_node_config c = {
        .ip = o->ip,
        .port = o->port,
        .db_filename = o->db_filename,
        .pragmas = o->pragmas.items,
        .n_pragmas = o->pragmas.n,
        .namespaces = o->namespaces.items,
        .n_namespaces = o->namespaces.n,
        .search_attrs = o->search_attrs.items,
        .n_search_attrs = o->search_attrs.n,
        .dynamic_config = o->dynamic_config.items,
        .n_dynamic_config = o->dynamic_config.n,
        .headless = o->headless,
        .ui_ip = o->ui_ip,
        .ui_port = o->ui_port,
        .metrics_port = o->metrics_port,
        .http_port = o->http_port,
        .log_config = o->log_config,
        .time_skipping = o->time_skipping,
        .time_skipping_unlocked = o->time_skipping_unlocked,
    };
    return sg_node_run(&c);
}

int sg_cli_test_server(int argc, char **argv)
{
    /* `test-server PORT [flags]` is `start-dev --port PORT --headless --time-skipping [flags]`:
     * in memory unless --db-filename, locked until a client unlocks (Java's test server without
     * --enable-time-skipping). */
    if (argc < 2 || argv[1][0] == '-') {
        fputs("Usage: sandglass test-server PORT [--enable-time-skipping] [start-dev flags]\n"
              "       sandglass PORT [...]   (the same; how the SDKs' test environments call it)\n",
              argc >= 2 && strcmp(argv[1], "--help") == 0 ? stdout : stderr);
        return argc >= 2 && strcmp(argv[1], "--help") == 0 ? 0 : 2;
    }
    char **args = sg_calloc((size_t)argc + 5, sizeof *args);
    int n = 0;
    args[n++] = "test-server";
    args[n++] = "--port";
    args[n++] = argv[1];
    args[n++] = "--headless";
    args[n++] = "--time-skipping";
    for (int i = 2; i < argc; i++)
        args[n++] = argv[i];
    int code = sg_cli_server_start_dev(n, args);
    sg_free(args);
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
        code = run(&o); /* SIGPIPE is ignored from main() on */
    }
    sg_free(o.namespaces.items);
    sg_free(o.dynamic_config.items);
    sg_free(o.search_attrs.items);
    sg_free(o.pragmas.items);
    return code;
}
