/* SPDX-License-Identifier: Apache-2.0 */
/* cmd.h: the client commands' shared machinery (cmd.c) — one table of commands and flags that
 * both parses argv and prints --help, the global flags of the `temporal` CLI, a connection to
 * the server, unary calls with the namespace and metadata headers, and output helpers. */
#ifndef SG_CLI_CMD_H
#define SG_CLI_CMD_H

#include "core/buf.h"
#include "net/grpc_client.h"

#include "google/protobuf/timestamp.pb-c.h"

#include <protobuf-c/protobuf-c.h>
#include <stdbool.h>
#include <stdio.h>

typedef enum { SG_OUT_TEXT, SG_OUT_JSON, SG_OUT_JSONL, SG_OUT_NONE } sg_cli_output;
typedef enum { SG_TIME_RELATIVE, SG_TIME_ISO, SG_TIME_RAW } sg_cli_time_format;

typedef enum { SG_FLAG_STRING, SG_FLAG_BOOL, SG_FLAG_INT, SG_FLAG_LIST } sg_flag_kind;

typedef struct sg_cli_flag {
    const char *name;  /* long name, without "--" */
    char short_name;   /* 0: none */
    sg_flag_kind kind;
    const char *help;
} sg_cli_flag;

#define SG_CLI_MAX_FLAGS 64
#define SG_CLI_MAX_LIST 16

/* A parsed command line: the value of each of the command's flags (NULL: not given). */
typedef struct sg_cli_args {
    const char *value[SG_CLI_MAX_FLAGS];
    const char *list[SG_CLI_MAX_FLAGS][SG_CLI_MAX_LIST];
    int n_list[SG_CLI_MAX_FLAGS];
    const struct sg_cli_command *cmd;
} sg_cli_args;

typedef struct sg_cli sg_cli;

typedef struct sg_cli_command {
    const char *path;    /* "workflow list" */
    const char *summary; /* one line */
    const sg_cli_flag *flags;
    size_t n_flags;
    int (*run)(sg_cli *c, const sg_cli_args *a);
} sg_cli_command;

/* The session: global flags resolved (flag, then $TEMPORAL_*, then default) and, once a call
 * needs it, the connection. */
struct sg_cli {
    const char *host;
    int port;
    const char *address;
    const char *namespace_;
    const char *identity;
    sg_cli_output output;
    sg_cli_time_format time_format;
    bool color;
    int timeout_ms; /* --command-timeout; 0: none */
    sg_grpc_client_header meta[SG_CLI_MAX_LIST + 1];
    size_t n_meta;
    sg_grpc_client *conn;
};

/* Runs `sandglass <group> ...` from the table; argv[0] is the group. Returns the exit code:
 * 0 success, 1 failure (one line on stderr), 2 usage error. */
int sg_cli_dispatch(const sg_cli_command *cmds, size_t n_cmds, int argc, char **argv);

/* A command's flag value by long name (NULL: not given). */
const char *sg_cli_arg(const sg_cli_args *a, const char *name);
bool sg_cli_arg_bool(const sg_cli_args *a, const char *name);
/* The values a repeatable (list) flag was given, *n of them (0 and NULL when none). */
const char *const *sg_cli_arg_list(const sg_cli_args *a, const char *name, int *n);

/* Prints "sandglass: <message>" on stderr; returns 1 (the exit code). */
int sg_cli_fail(const char *fmt, ...) SG_PRINTF(1, 2);

/* Calls /temporal.api.<service>/<method> with req and the session's headers. On OK unpacks
 * the reply into *resp (caller frees with protobuf_c_message_free_unpacked) and returns 0. On
 * any failure prints one line (the server's message, or why the call failed) and returns 1;
 * *status (if not NULL) is the gRPC status, or -1 when there was no answer. */
int sg_cli_call(sg_cli *c, const char *service, const char *method, const ProtobufCMessage *req,
                const ProtobufCMessageDescriptor *resp_desc, ProtobufCMessage **resp,
                int *status, char **message);

/* Appends a time as --time-format asks (relative to now for "relative"). */
void sg_cli_time(const sg_cli *c, sg_buf *out, int64_t seconds, int32_t nanos);
/* t as --time-format asks, in b (reset first; "" for NULL); returns b's text. */
const char *sg_cli_time_text(const sg_cli *c, sg_buf *b, const Google__Protobuf__Timestamp *t);
/* A labelled line of a text card ("  Label   value"); nothing when value is empty. */
void sg_cli_card_line(const char *label, const char *value);

/* Prints rows of cells (rows[r][col]) as an aligned table, each cell after two spaces; the
 * first row is the header (bold-ish colour on a terminal when colour is on). */
void sg_cli_table(const sg_cli *c, FILE *f, const char *const *cells, size_t n_rows,
                  size_t n_cols, bool header);

/* Prints m as JSON (pretty for -o json, one line for -o jsonl), then a newline. */
void sg_cli_print_json(const sg_cli *c, const ProtobufCMessage *m, bool shorthand);

/* Item index (0-based) of a listing command's output in JSON: for -o json an element of one
 * array (opened by the first item, so an empty listing must still print "[]": see
 * sg_cli_list_end), for -o jsonl a line. Nothing for the other formats. */
void sg_cli_list_item(const sg_cli *c, const ProtobufCMessage *m, long index, bool shorthand);
/* Closes a -o json listing of n items ("[]" when there were none). */
void sg_cli_list_end(const sg_cli *c, long n);

/* A next_page_token kept across the call that reads the next page (the reply it came in is
 * freed first). */
typedef struct sg_cli_page {
    ProtobufCBinaryData token; /* what the next request sends; empty for the first page */
    uint8_t *copy;
} sg_cli_page;
/* Keeps next (from a reply) for the next request; returns whether there is a next page. */
bool sg_cli_page_next(sg_cli_page *p, ProtobufCBinaryData next);
void sg_cli_page_free(sg_cli_page *p);

#endif
