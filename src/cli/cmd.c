/* SPDX-License-Identifier: Apache-2.0 */
/* cmd.c: argv parsing, --help, the session's connection and calls for the client commands.
 *
 * Design note. Every client command is a row of a table (path, summary, flags, run), and the
 * same rows drive the parser and the help text, so they cannot disagree. Flags follow the
 * `temporal` CLI: `--name value`, `--name=value`, `-x value`, booleans without a value, global
 * flags anywhere on the line, and $TEMPORAL_ADDRESS / $TEMPORAL_NAMESPACE under the flags.
 * Exit codes: 0 success, 1 a failure reported in one line on stderr, 2 a usage error. */
#include "cli/cmd.h"
#include "cli/input.h"

#include "core/pbjson.h"
#include "core/sg.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const sg_cli_flag global_flags[] = {
    { "address", 0, SG_FLAG_STRING, "Temporal server address host:port ($TEMPORAL_ADDRESS; default 127.0.0.1:7233)" },
    { "namespace", 'n', SG_FLAG_STRING, "Namespace ($TEMPORAL_NAMESPACE; default \"default\")" },
    { "output", 'o', SG_FLAG_STRING, "Output format: text, json, jsonl or none (default text)" },
    { "time-format", 0, SG_FLAG_STRING, "Time format in text output: relative, iso or raw (default relative)" },
    { "color", 0, SG_FLAG_STRING, "Colour: auto, always or never (default auto)" },
    { "command-timeout", 0, SG_FLAG_STRING, "Timeout for the whole command, e.g. 10s, 1m (default none)" },
    { "grpc-meta", 0, SG_FLAG_LIST, "gRPC metadata to send, KEY=VALUE (repeatable)" },
    { "identity", 0, SG_FLAG_STRING, "Identity of the caller (default sandglass-cli@<host>)" },
    { "tls", 0, SG_FLAG_BOOL, "Connect with TLS (not supported yet)" },
    { "tls-cert-path", 0, SG_FLAG_STRING, "Client certificate (TLS: not supported yet)" },
    { "tls-key-path", 0, SG_FLAG_STRING, "Client key (TLS: not supported yet)" },
    { "tls-ca-path", 0, SG_FLAG_STRING, "Server CA (TLS: not supported yet)" },
    { "tls-server-name", 0, SG_FLAG_STRING, "Server name for TLS (not supported yet)" },
    { "tls-disable-host-verification", 0, SG_FLAG_BOOL, "TLS host verification off (not supported yet)" },
    { "help", 'h', SG_FLAG_BOOL, "Show this help" },
};
#define N_GLOBAL (sizeof global_flags / sizeof global_flags[0])

static void vfail(const char *fmt, va_list ap)
{
    fputs("sandglass: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
}

int sg_cli_fail(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vfail(fmt, ap);
    va_end(ap);
    return 1;
}

/* A usage error: one line, exit code 2. */
static int usage_fail(const char *fmt, ...) SG_PRINTF(1, 2);
static int usage_fail(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vfail(fmt, ap);
    va_end(ap);
    return 2;
}

/* Flag i of the combined list: the command's own first, then the global ones. */
static const sg_cli_flag *flag_at(const sg_cli_command *cmd, size_t i)
{
    return i < cmd->n_flags ? &cmd->flags[i] : &global_flags[i - cmd->n_flags];
}

static size_t n_all(const sg_cli_command *cmd)
{
    return cmd->n_flags + N_GLOBAL;
}

static int find_flag(const sg_cli_command *cmd, const char *name, size_t len, char short_name)
{
    for (size_t i = 0; i < n_all(cmd); i++) {
        const sg_cli_flag *f = flag_at(cmd, i);
        if (short_name ? f->short_name == short_name
                       : strlen(f->name) == len && strncmp(f->name, name, len) == 0)
            return (int)i;
    }
    return -1;
}

const char *sg_cli_arg(const sg_cli_args *a, const char *name)
{
    int i = find_flag(a->cmd, name, strlen(name), 0);
    return i < 0 ? NULL : a->value[i];
}

const char *const *sg_cli_arg_list(const sg_cli_args *a, const char *name, int *n)
{
    int i = find_flag(a->cmd, name, strlen(name), 0);
    *n = i < 0 ? 0 : a->n_list[i];
    return i < 0 ? NULL : a->list[i];
}

bool sg_cli_arg_bool(const sg_cli_args *a, const char *name)
{
    const char *v = sg_cli_arg(a, name);
    return v && strcmp(v, "false") != 0;
}

static void help(const sg_cli_command *cmd, FILE *f)
{
    fprintf(f, "%s\n\nUsage: sandglass %s [flags]\n", cmd->summary, cmd->path);
    for (int pass = 0; pass < 2; pass++) {
        size_t from = pass ? cmd->n_flags : 0, to = pass ? n_all(cmd) : cmd->n_flags;
        if (from == to)
            continue;
        fprintf(f, "\n%s:\n", pass ? "Global flags" : "Flags");
        for (size_t i = from; i < to; i++) {
            const sg_cli_flag *fl = flag_at(cmd, i);
            char left[64];
            snprintf(left, sizeof left, "%s%c%s--%s%s", fl->short_name ? "-" : "   ",
                     fl->short_name ? fl->short_name : ' ', fl->short_name ? ", " : "", fl->name,
                     fl->kind == SG_FLAG_BOOL ? "" : fl->kind == SG_FLAG_INT ? " int" : " string");
            fprintf(f, "  %-38s %s\n", left, fl->help);
        }
    }
}

static int setup_session(sg_cli *c, const sg_cli_args *a)
{
    memset(c, 0, sizeof *c);
    const char *addr = sg_cli_arg(a, "address");
    if (!addr || !*addr)
        addr = getenv("TEMPORAL_ADDRESS");
    if (!addr || !*addr)
        addr = "127.0.0.1:7233";
    c->address = addr;
    const char *colon = strrchr(addr, ':');
    if (!colon || colon == addr || !colon[1] || strspn(colon + 1, "0123456789") != strlen(colon + 1))
        return usage_fail("invalid --address '%s': expected host:port", addr);
    static char host[256];
    size_t hl = (size_t)(colon - addr);
    if (hl >= sizeof host)
        return usage_fail("invalid --address '%s': host too long", addr);
    memcpy(host, addr, hl);
    host[hl] = 0;
    /* [::1]:7233 */
    if (host[0] == '[' && hl > 2 && host[hl - 1] == ']') {
        memmove(host, host + 1, hl - 2);
        host[hl - 2] = 0;
    }
    c->host = host;
    c->port = atoi(colon + 1);
    if (c->port <= 0 || c->port > 65535)
        return usage_fail("invalid --address '%s': bad port", addr);
    const char *ns = sg_cli_arg(a, "namespace");
    if (!ns || !*ns)
        ns = getenv("TEMPORAL_NAMESPACE");
    c->namespace_ = ns && *ns ? ns : "default";
    const char *out = sg_cli_arg(a, "output");
    if (!out || !strcmp(out, "text")) c->output = SG_OUT_TEXT;
    else if (!strcmp(out, "json")) c->output = SG_OUT_JSON;
    else if (!strcmp(out, "jsonl")) c->output = SG_OUT_JSONL;
    else if (!strcmp(out, "none")) c->output = SG_OUT_NONE;
    else return usage_fail("invalid --output '%s': expected text, json, jsonl or none", out);
    const char *tf = sg_cli_arg(a, "time-format");
    if (!tf || !strcmp(tf, "relative")) c->time_format = SG_TIME_RELATIVE;
    else if (!strcmp(tf, "iso")) c->time_format = SG_TIME_ISO;
    else if (!strcmp(tf, "raw")) c->time_format = SG_TIME_RAW;
    else return usage_fail("invalid --time-format '%s': expected relative, iso or raw", tf);
    const char *color = sg_cli_arg(a, "color");
    if (!color || !strcmp(color, "auto")) c->color = isatty(STDOUT_FILENO) && c->output == SG_OUT_TEXT;
    else if (!strcmp(color, "always")) c->color = true;
    else if (!strcmp(color, "never")) c->color = false;
    else return usage_fail("invalid --color '%s': expected auto, always or never", color);
    const char *to = sg_cli_arg(a, "command-timeout");
    if (to) {
        int64_t secs;
        int32_t nanos;
        long long ms = sg_cli_parse_duration(to, &secs, &nanos) < 0 ? -1 : secs * 1000 + nanos / 1000000;
        if (ms < 0 || ms > 24LL * 3600 * 1000)
            return usage_fail("invalid --command-timeout '%s': expected a duration such as 10s", to);
        c->timeout_ms = (int)ms;
    }
    static char ident[300];
    const char *id = sg_cli_arg(a, "identity");
    if (!id || !*id) {
        char hn[200] = "localhost";
        gethostname(hn, sizeof hn - 1);
        snprintf(ident, sizeof ident, "sandglass-cli@%s", hn);
        id = ident;
    }
    c->identity = id;
    int gm = find_flag(a->cmd, "grpc-meta", 9, 0);
    static char meta_names[SG_CLI_MAX_LIST][128];
    for (int i = 0; gm >= 0 && i < a->n_list[gm]; i++) {
        const char *kv = a->list[gm][i], *eq = strchr(kv, '=');
        if (!eq || eq == kv || (size_t)(eq - kv) >= sizeof meta_names[0])
            return usage_fail("invalid --grpc-meta '%s': expected KEY=VALUE", kv);
        size_t kl = (size_t)(eq - kv);
        for (size_t k = 0; k < kl; k++)
            meta_names[i][k] = (char)(kv[k] >= 'A' && kv[k] <= 'Z' ? kv[k] - 'A' + 'a' : kv[k]);
        meta_names[i][kl] = 0;
        c->meta[c->n_meta++] = (sg_grpc_client_header){ meta_names[i], eq + 1 };
    }
    if (sg_cli_arg_bool(a, "tls") || sg_cli_arg(a, "tls-cert-path") || sg_cli_arg(a, "tls-key-path") ||
        sg_cli_arg(a, "tls-ca-path") || sg_cli_arg(a, "tls-server-name") ||
        sg_cli_arg_bool(a, "tls-disable-host-verification"))
        return sg_cli_fail("TLS is not supported yet: Sandglass speaks cleartext HTTP/2 (h2c); "
                           "drop the --tls flags or put a TLS proxy in front");
    return 0;
}

/* Help for every command under prefix ("operator", "operator namespace"). */
static bool prefix_help(const sg_cli_command *cmds, size_t n, const char *prefix, FILE *f)
{
    size_t pl = strlen(prefix);
    bool any = false;
    for (size_t i = 0; i < n; i++)
        if (strncmp(cmds[i].path, prefix, pl) == 0 && cmds[i].path[pl] == ' ') {
            if (!any)
                fprintf(f, "Usage: sandglass %s <command> [flags]\n\nCommands:\n", prefix);
            any = true;
            fprintf(f, "  %-30s %s\n", cmds[i].path + pl + 1, cmds[i].summary);
        }
    if (any)
        fprintf(f, "\nRun 'sandglass %s <command> --help' for a command's flags.\n", prefix);
    return any;
}

int sg_cli_dispatch(const sg_cli_command *cmds, size_t n_cmds, int argc, char **argv)
{
    /* The command is the longest run of leading words that names one ("operator namespace
     * list"); a run that only prefixes commands asks for their list. */
    char path[160] = "";
    const sg_cli_command *cmd = NULL;
    int first_flag = 1;
    for (int i = 0; i < argc && i < 4 && argv[i][0] != '-'; i++) {
        if (strlen(path) + strlen(argv[i]) + 2 > sizeof path)
            break;
        if (i)
            strcat(path, " ");
        strcat(path, argv[i]);
        for (size_t k = 0; k < n_cmds; k++)
            if (!strcmp(cmds[k].path, path)) {
                cmd = &cmds[k];
                first_flag = i + 1;
            }
        if (cmd)
            break;
    }
    if (!cmd) {
        bool asked = false;
        for (int i = 0; i < argc; i++)
            asked = asked || !strcmp(argv[i], "--help") || !strcmp(argv[i], "-h");
        /* "sandglass workflow help" asks too. */
        size_t pl = strlen(path);
        if (pl > 5 && !strcmp(path + pl - 5, " help")) {
            path[pl - 5] = 0;
            asked = true;
        }
        /* The longest leading part of what was typed that has commands under it. */
        char prefix[160];
        snprintf(prefix, sizeof prefix, "%s", path);
        for (;;) {
            bool has = false;
            size_t n = strlen(prefix);
            for (size_t k = 0; k < n_cmds && !has; k++)
                has = strncmp(cmds[k].path, prefix, n) == 0 && cmds[k].path[n] == ' ';
            char *sp = strrchr(prefix, ' ');
            if (has || !sp)
                break;
            *sp = 0;
        }
        if (!strcmp(prefix, path)) {
            prefix_help(cmds, n_cmds, prefix, asked ? stdout : stderr);
            return asked ? 0 : 2;
        }
        sg_cli_fail("unknown command '%s'; run 'sandglass %s --help'", path, prefix);
        return 2;
    }
    sg_cli_args a;
    memset(&a, 0, sizeof a);
    a.cmd = cmd;
    sg_assert(n_all(cmd) <= SG_CLI_MAX_FLAGS);
    for (int i = first_flag; i < argc; i++) {
        const char *arg = argv[i];
        int fi;
        const char *val = NULL;
        if (arg[0] == '-' && arg[1] == '-' && arg[2]) {
            const char *eq = strchr(arg + 2, '=');
            size_t len = eq ? (size_t)(eq - arg - 2) : strlen(arg + 2);
            fi = find_flag(cmd, arg + 2, len, 0);
            if (eq)
                val = eq + 1;
        } else if (arg[0] == '-' && arg[1] && !arg[2]) {
            fi = find_flag(cmd, NULL, 0, arg[1]);
        } else {
            sg_cli_fail("unexpected argument '%s' for '%s' (see --help)", arg, cmd->path);
            return 2;
        }
        if (fi < 0) {
            sg_cli_fail("unknown flag '%s' for '%s' (see --help)", arg, cmd->path);
            return 2;
        }
        const sg_cli_flag *f = flag_at(cmd, (size_t)fi);
        if (f->kind == SG_FLAG_BOOL) {
            a.value[fi] = val ? val : "true";
            continue;
        }
        if (!val) {
            if (i + 1 >= argc) {
                sg_cli_fail("flag '%s' needs a value", arg);
                return 2;
            }
            val = argv[++i];
        }
        if (f->kind == SG_FLAG_INT && (!*val || strspn(val, "0123456789") != strlen(val))) {
            sg_cli_fail("flag '--%s' takes a non-negative integer, not '%s'", f->name, val);
            return 2;
        }
        if (f->kind == SG_FLAG_LIST) {
            if (a.n_list[fi] >= SG_CLI_MAX_LIST) {
                sg_cli_fail("too many --%s flags", f->name);
                return 2;
            }
            a.list[fi][a.n_list[fi]++] = val;
        }
        a.value[fi] = val;
    }
    if (sg_cli_arg_bool(&a, "help")) {
        help(cmd, stdout);
        return 0;
    }
    sg_cli c;
    int rc = setup_session(&c, &a);
    if (rc)
        return rc;
    rc = cmd->run(&c, &a);
    sg_grpc_client_close(c.conn);
    return rc;
}

int sg_cli_call(sg_cli *c, const char *service, const char *method, const ProtobufCMessage *req,
                const ProtobufCMessageDescriptor *resp_desc, ProtobufCMessage **resp,
                int *status, char **message)
{
    *resp = NULL;
    if (status)
        *status = -1;
    if (message)
        *message = NULL;
    int connect_ms = c->timeout_ms > 0 && c->timeout_ms < 10000 ? c->timeout_ms : 10000;
    if (!c->conn) {
        int rc = sg_grpc_client_open(c->host, c->port, connect_ms, &c->conn);
        if (rc < 0)
            return sg_cli_fail("cannot connect to %s: %s", c->address,
                               rc == SG_ETIMEDOUT ? "timed out" : "connection refused or unreachable");
    }
    char path[160];
    snprintf(path, sizeof path, "/%s%s/%s", strncmp(service, "grpc.", 5) ? "temporal.api." : "",
             service, method);
    size_t len = protobuf_c_message_get_packed_size(req);
    uint8_t *body = sg_malloc(len ? len : 1);
    protobuf_c_message_pack(req, body);
    uint8_t *framed;
    size_t framed_len;
    int rc = sg_grpc_client_frame(body, len, false, &framed, &framed_len);
    sg_free(body);
    if (rc < 0)
        return sg_cli_fail("request too large");
    sg_grpc_client_header headers[SG_CLI_MAX_LIST + 2];
    size_t nh = 0;
    headers[nh++] = (sg_grpc_client_header){ "temporal-namespace", c->namespace_ };
    headers[nh++] = (sg_grpc_client_header){ "client-name", "sandglass-cli" };
    for (size_t i = 0; i < c->n_meta; i++)
        headers[nh++] = c->meta[i];
    int32_t stream;
    rc = sg_grpc_client_start(c->conn, path, headers, nh, framed, framed_len, c->timeout_ms,
                              &stream);
    sg_free(framed);
    sg_grpc_result res;
    if (rc == 0)
        rc = sg_grpc_client_wait(c->conn, stream, c->timeout_ms, &res);
    if (rc < 0) {
        if (rc == SG_ETIMEDOUT)
            return sg_cli_fail("command timed out after %d ms", c->timeout_ms);
        return sg_cli_fail("connection to %s failed", c->address);
    }
    if (status)
        *status = res.status;
    if (res.status != 0) {
        if (message) {
            *message = sg_strdup(res.message);
            sg_grpc_result_deinit(&res);
            return 1; /* the caller words it */
        }
        sg_cli_fail("%s", res.message);
        sg_grpc_result_deinit(&res);
        return 1;
    }
    *resp = protobuf_c_message_unpack(resp_desc, NULL, res.body_len, res.body);
    sg_grpc_result_deinit(&res);
    if (!*resp)
        return sg_cli_fail("the server's %s reply could not be decoded", method);
    return 0;
}

void sg_cli_time(const sg_cli *c, sg_buf *out, int64_t seconds, int32_t nanos)
{
    if (c->time_format == SG_TIME_ISO || seconds < -100000000000LL || seconds > 100000000000LL) {
        sg_pbjson_rfc3339(out, seconds, nanos);
        return;
    }
    if (c->time_format == SG_TIME_RAW) {
        time_t t = (time_t)seconds;
        struct tm tm;
        gmtime_r(&t, &tm);
        char s[80];
        strftime(s, sizeof s, "%Y-%m-%d %H:%M:%S", &tm);
        sg_buf_printf(out, "%s.%09d +0000 UTC", s, nanos);
        return;
    }
    /* As the temporal CLI (humanize): "now", "3 minutes ago", "2 days from now". */
    int64_t d = (int64_t)time(NULL) - seconds;
    bool future = d < 0;
    uint64_t a = future ? (uint64_t)(-d) : (uint64_t)d;
    static const struct { uint64_t secs; const char *unit; } units[] = {
        { 365 * 86400ULL, "year" }, { 30 * 86400ULL, "month" }, { 7 * 86400ULL, "week" },
        { 86400, "day" }, { 3600, "hour" }, { 60, "minute" }, { 1, "second" },
    };
    if (a == 0) {
        sg_buf_append_str(out, "now");
        return;
    }
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
        if (a >= units[i].secs) {
            uint64_t n = a / units[i].secs;
            sg_buf_printf(out, "%llu %s%s %s", (unsigned long long)n, units[i].unit, n == 1 ? "" : "s",
                          future ? "from now" : "ago");
            return;
        }
}

void sg_cli_table(const sg_cli *c, FILE *f, const char *const *cells, size_t n_rows,
                  size_t n_cols, bool header)
{
    size_t width[16] = { 0 };
    sg_assert(n_cols <= 16);
    for (size_t r = 0; r < n_rows; r++)
        for (size_t k = 0; k < n_cols; k++) {
            size_t l = strlen(cells[r * n_cols + k]);
            if (l > width[k])
                width[k] = l;
        }
    for (size_t r = 0; r < n_rows; r++) {
        bool colored = header && r == 0 && c->color;
        for (size_t k = 0; k < n_cols; k++) {
            const char *s = cells[r * n_cols + k];
            if (colored)
                fputs("\033[35m", f);
            if (k + 1 < n_cols)
                fprintf(f, "  %-*s", (int)width[k], s);
            else
                fprintf(f, "  %s", s);
            if (colored)
                fputs("\033[0m", f);
        }
        fputc('\n', f);
    }
}

void sg_cli_print_json(const sg_cli *c, const ProtobufCMessage *m, bool shorthand)
{
    sg_buf b;
    sg_buf_init(&b);
    sg_pbjson_opts o = { c->output == SG_OUT_JSON ? 2 : 0, shorthand };
    sg_pbjson_write(&b, m, &o);
    fwrite(sg_buf_head(&b), 1, b.len, stdout);
    fputc('\n', stdout);
    sg_buf_deinit(&b);
}

void sg_cli_list_item(const sg_cli *c, const ProtobufCMessage *m, long index, bool shorthand)
{
    if (c->output != SG_OUT_JSON && c->output != SG_OUT_JSONL)
        return;
    if (c->output == SG_OUT_JSON)
        fputs(index ? ",\n" : "[\n", stdout);
    sg_buf b;
    sg_buf_init(&b);
    sg_pbjson_opts o = { c->output == SG_OUT_JSON ? 2 : 0, shorthand };
    sg_pbjson_write(&b, m, &o);
    fwrite(sg_buf_head(&b), 1, b.len, stdout);
    if (c->output == SG_OUT_JSONL)
        fputc('\n', stdout);
    sg_buf_deinit(&b);
}

void sg_cli_list_end(const sg_cli *c, long n)
{
    if (c->output == SG_OUT_JSON)
        fputs(n ? "\n]\n" : "[]\n", stdout);
}

bool sg_cli_page_next(sg_cli_page *p, ProtobufCBinaryData next)
{
    sg_free(p->copy);
    p->copy = NULL;
    p->token = (ProtobufCBinaryData){ 0, NULL };
    if (!next.len)
        return false;
    p->copy = sg_memdup(next.data, next.len);
    p->token = (ProtobufCBinaryData){ next.len, p->copy };
    return true;
}

void sg_cli_page_free(sg_cli_page *p)
{
    sg_free(p->copy);
    p->copy = NULL;
}

const char *sg_cli_time_text(const sg_cli *c, sg_buf *b, const Google__Protobuf__Timestamp *t)
{
    sg_buf_reset(b);
    if (t)
        sg_cli_time(c, b, t->seconds, t->nanos);
    sg_buf_append(b, "", 1);
    return (const char *)sg_buf_head(b);
}

void sg_cli_card_line(const char *label, const char *value)
{
    if (value && *value)
        printf("  %-22s %s\n", label, value);
}
