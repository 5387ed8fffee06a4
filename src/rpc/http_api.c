/* SPDX-License-Identifier: Apache-2.0 */
/* http_api.c: Temporal's HTTP API (http_api.h) — the google.api.http bindings of the pinned
 * WorkflowService and OperatorService protos, proto3 JSON in and out.
 *
 * Design note. The route table is generated at build time from the protos' options
 * (tools/gen_http_routes.py → build/gen/http_routes.inc). A request is matched on its verb and
 * path template, its JSON body parsed into the method's request message (core/jsonpb.c), path
 * variables and query parameters set on top, and the message serialized and run through the
 * frontend exactly as a gRPC request is (same validation, same handler, same group commit). The
 * answer is decoded with the method's output descriptor and written as proto3 JSON (core/pbjson.c),
 * JSON payloads in Temporal's shorthand unless the query says noPayloadShorthand; an error is
 * grpc-gateway's {"code", "message", "details"} with the HTTP status it maps the gRPC code to. */
#include "rpc/http_api.h"

#include "core/jsonpb.h"
#include "core/log.h"
#include "core/pbjson.h"
#include "core/pbwire.h"
#include "rpc/call.h"
#include "rpc/frontend.h"

#include "google/protobuf/any.pb-c.h"
#include "google/rpc/status.pb-c.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

typedef struct route {
    const char *verb, *path, *body, *service, *method;
} route;

static const route routes[] = {
#include "http_routes.inc"
};

/* One request in flight: everything lives in its arena, freed once the answer is written. */
typedef struct exchange {
    sg_arena arena;
    sg_http_pending *pending;
    const ProtobufCMessageDescriptor *output;
    bool shorthand;
    sg_call_sink sink;
} exchange;

/* grpc-gateway's HTTP status for a gRPC code. */
static int http_status(int code)
{
    static const int map[] = { 200, 499, 500, 400, 504, 404, 409, 403, 429, 400, 409, 400, 501, 500, 503, 500, 401 };
    return code >= 0 && code < (int)SG_ARRAY_LEN(map) ? map[code] : 500;
}

static void error_json(sg_buf *out, int code, const char *message, const char *const *types, size_t n_types)
{
    sg_buf_printf(out, "{\"code\":%d,\"message\":", code);
    sg_pbjson_string(out, message ? message : "", message ? strlen(message) : 0);
    sg_buf_append_str(out, ",\"details\":[");
    for (size_t i = 0; i < n_types; i++) {
        sg_buf_append_str(out, i ? ",{\"@type\":" : "{\"@type\":");
        sg_pbjson_string(out, types[i], strlen(types[i]));
        sg_buf_append_str(out, "}");
    }
    sg_buf_append_str(out, "]}");
}

static void finish_error(sg_http_pending *p, int code, const char *message)
{
    sg_buf out;
    sg_buf_init(&out);
    error_json(&out, code, message, NULL, 0);
    sg_http_finish(p, http_status(code), "application/json", sg_buf_head(&out), out.len);
    sg_buf_deinit(&out);
}

static void exchange_free(exchange *x)
{
    sg_arena_deinit(&x->arena);
    sg_free(x);
}

/* Replies past this size (serialized) are sent chunked, a piece at a time. */
#define STREAM_OVER_BYTES (256u << 10)
#define STREAM_PIECE_BYTES (64u << 10)

/* A large reply written as a stream: its longest repeated message field (at the top, e.g. a
 * list's executions, or inside a message that holds nothing else, e.g. history.events) one
 * element after another, then the rest of the reply. */
typedef struct streamer {
    exchange *x;
    const char *outer, *field;     /* JSON path: outer may be NULL */
    ProtobufCMessage **elems;
    size_t n, next;
    sg_buf rest;                   /* the reply without that field, as JSON */
    bool started;
} streamer;

static size_t *count_of(ProtobufCMessage *m, const ProtobufCFieldDescriptor *f)
{
    return (size_t *)((char *)m + f->quantifier_offset);
}

static ProtobufCMessage ***elems_of(ProtobufCMessage *m, const ProtobufCFieldDescriptor *f)
{
    return (ProtobufCMessage ***)((char *)m + f->offset);
}

/* The longest repeated message field of m (not a map), or NULL. */
static const ProtobufCFieldDescriptor *longest_list(ProtobufCMessage *m)
{
    const ProtobufCFieldDescriptor *best = NULL;
    for (unsigned i = 0; i < m->descriptor->n_fields; i++) {
        const ProtobufCFieldDescriptor *f = &m->descriptor->fields[i];
        if (f->label == PROTOBUF_C_LABEL_REPEATED && f->type == PROTOBUF_C_TYPE_MESSAGE &&
            !sg_pb_is_map_entry(f->descriptor) && (!best || *count_of(m, f) > *count_of(m, best)))
            best = f;
    }
    return best;
}

/* Sets up s for reply, or false when no field is worth streaming. Detaches the field (and its
 * holder) from reply to write the rest. */
static bool streamer_init(streamer *s, exchange *x, ProtobufCMessage *reply)
{
    memset(s, 0, sizeof *s);
    s->x = x;
    ProtobufCMessage *holder = reply;
    const ProtobufCFieldDescriptor *list = longest_list(reply), *outer = NULL;
    size_t best = list ? *count_of(reply, list) : 0;
    for (unsigned i = 0; i < reply->descriptor->n_fields; i++) {
        const ProtobufCFieldDescriptor *f = &reply->descriptor->fields[i];
        /* A oneof member's slot holds whichever member is set: only the set one is read. */
        bool set = f->label != PROTOBUF_C_LABEL_REPEATED && f->type == PROTOBUF_C_TYPE_MESSAGE &&
                   (!(f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) ||
                    *(uint32_t *)((char *)reply + f->quantifier_offset) == f->id);
        ProtobufCMessage *sub = set ? *(ProtobufCMessage **)((char *)reply + f->offset) : NULL;
        const ProtobufCFieldDescriptor *inner = sub && sub->descriptor->n_fields == 1 ? longest_list(sub) : NULL;
        if (inner && *count_of(sub, inner) > best)
            holder = sub, list = inner, outer = f, best = *count_of(sub, inner);
    }
    if (best < 2)
        return false;
    s->outer = outer ? outer->name : NULL;
    s->field = list->name;
    s->n = *count_of(holder, list);
    s->elems = *elems_of(holder, list);
    sg_buf_init(&s->rest);
    if (outer)
        *(ProtobufCMessage **)((char *)reply + outer->offset) = NULL;
    else
        *count_of(reply, list) = 0;
    sg_pbjson_opts o = { .indent = 0, .shorthand = x->shorthand };
    sg_pbjson_write(&s->rest, reply, &o);
    return true;
}

static bool stream_piece(void *ud, sg_buf *out)
{
    streamer *s = ud;
    if (!out) {
        sg_buf_deinit(&s->rest);
        exchange_free(s->x);
        return false;
    }
    if (!s->started) {
        s->started = true;
        sg_buf_append_str(out, "{\"");
        if (s->outer) {
            sg_pbjson_camel(out, s->outer);
            sg_buf_append_str(out, "\":{\"");
        }
        sg_pbjson_camel(out, s->field);
        sg_buf_append_str(out, "\":[");
    }
    sg_pbjson_opts o = { .indent = 0, .shorthand = s->x->shorthand };
    size_t start = out->len;
    while (s->next < s->n && out->len - start < STREAM_PIECE_BYTES) {
        if (s->next)
            sg_buf_append_str(out, ",");
        sg_pbjson_write(out, s->elems[s->next++], &o);
    }
    if (s->next < s->n)
        return true;
    sg_buf_append_str(out, s->outer ? "]}" : "]");
    /* rest is "{...}": its fields follow ours. */
    if (s->rest.len > 2) {
        sg_buf_append_str(out, ",");
        sg_buf_append(out, sg_buf_head(&s->rest) + 1, s->rest.len - 1);
    } else {
        sg_buf_append_str(out, "}");
    }
    return false;
}

static void on_answer(void *ud, sg_call *call)
{
    exchange *x = ud;
    sg_buf out;
    sg_buf_init(&out);
    int status = 200;
    ProtobufCMessage *reply = call->status == SG_GRPC_OK
                                  ? protobuf_c_message_unpack(x->output, &x->arena.pb, call->body_len, call->body)
                                  : NULL;
    if (reply && call->body_len > STREAM_OVER_BYTES) {
        streamer *s = sg_arena_alloc(&x->arena, sizeof *s);
        if (streamer_init(s, x, reply)) {
            sg_buf_deinit(&out);
            sg_http_finish_stream(x->pending, 200, "application/json", stream_piece, s);
            return;
        }
    }
    if (reply) {
        sg_pbjson_opts o = { .indent = 0, .shorthand = x->shorthand };
        sg_pbjson_write(&out, reply, &o);
    } else {
        int code = call->status == SG_GRPC_OK ? SG_GRPC_INTERNAL : call->status;
        const char *msg = call->status == SG_GRPC_OK ? "the reply could not be decoded" : call->message;
        /* Typed errors travel as google.rpc.Status details: their type names are what a client
         * switches on (the fields stay in the gRPC answer). */
        const char *types[8];
        size_t n = 0;
        Google__Rpc__Status *st = call->details_len ? google__rpc__status__unpack(&x->arena.pb, call->details_len, call->details) : NULL;
        for (size_t i = 0; st && i < st->n_details && n < SG_ARRAY_LEN(types); i++)
            types[n++] = st->details[i]->type_url;
        error_json(&out, code, msg, types, n);
        status = http_status(code);
    }
    sg_http_finish(x->pending, status, "application/json", sg_buf_head(&out), out.len);
    sg_buf_deinit(&out);
    exchange_free(x);
}

/* Decodes %XX and (in a query) '+' in place. */
static void url_decode(char *s, bool plus_is_space)
{
    char *o = s;
    for (char *p = s; *p; p++) {
        if (*p == '%' && isxdigit((unsigned char)p[1]) && isxdigit((unsigned char)p[2])) {
            char hex[3] = { p[1], p[2], 0 };
            *o++ = (char)strtol(hex, NULL, 16);
            p += 2;
        } else {
            *o++ = plus_is_space && *p == '+' ? ' ' : *p;
        }
    }
    *o = 0;
}

/* Matches path against a template; captures variables (name, value) into vars. */
static bool match(sg_arena *a, const char *tmpl, const char *path, const char **vars, size_t *n_vars,
                  size_t max_vars)
{
    *n_vars = 0;
    const char *t = tmpl, *p = path;
    while (*t && *p) {
        if (*t != '/' || *p != '/')
            return false;
        t++, p++;
        const char *te = strchr(t, '/'), *pe = strchr(p, '/');
        size_t tl = te ? (size_t)(te - t) : strlen(t), pl = pe ? (size_t)(pe - p) : strlen(p);
        if (tl >= 2 && t[0] == '{' && t[tl - 1] == '}') {
            if (!pl || *n_vars + 2 > max_vars)
                return false;
            vars[(*n_vars)++] = sg_arena_strndup(a, t + 1, tl - 2);
            char *v = sg_arena_strndup(a, p, pl);
            url_decode(v, false);
            vars[(*n_vars)++] = v;
        } else if (tl != pl || memcmp(t, p, tl) != 0) {
            return false;
        }
        t += tl, p += pl;
    }
    return !*t && (!*p || (p[0] == '/' && !p[1]));
}

void sg_http_api_handle(void *ud, const sg_http_request *req, sg_http_response *res)
{
    sg_frontend *fe = ud;
    exchange *x = sg_calloc(1, sizeof *x);
    sg_arena_init(&x->arena);
    sg_arena *a = &x->arena;
    const route *r = NULL;
    bool path_known = false;
    const char *vars[32];
    size_t n_vars = 0;
    for (size_t i = 0; i < SG_ARRAY_LEN(routes) && !r; i++) {
        if (!match(a, routes[i].path, req->path, vars, &n_vars, SG_ARRAY_LEN(vars)))
            continue;
        path_known = true;
        if (strcmp(routes[i].verb, req->method) == 0)
            r = &routes[i];
    }
    x->pending = sg_http_defer(res);
    if (!r) {
        char *msg = sg_arena_printf(a, path_known ? "method %s not allowed for %s" : "no HTTP API route for %s %s",
                                    req->method, req->path);
        sg_buf out;
        sg_buf_init(&out);
        error_json(&out, path_known ? SG_GRPC_UNIMPLEMENTED : SG_GRPC_NOT_FOUND, msg, NULL, 0);
        sg_http_finish(x->pending, path_known ? 405 : 404, "application/json", sg_buf_head(&out), out.len);
        sg_buf_deinit(&out);
        sg_arena_deinit(a);
        sg_free(x);
        return;
    }
    const char *why = NULL;
    const ProtobufCMethodDescriptor *md = sg_frontend_method(fe, r->service, r->method, a, &why);
    ProtobufCMessage *msg = NULL;
    int code = SG_GRPC_UNIMPLEMENTED;
    if (md) {
        msg = sg_arena_calloc(a, md->input->sizeof_message);
        protobuf_c_message_init(md->input, msg);
        code = SG_GRPC_INVALID_ARGUMENT;
        if (req->body_len && strcmp(r->body, "*") == 0 &&
            sg_jsonpb_parse(a, (const char *)req->body, req->body_len, msg, &why) < 0)
            md = NULL;
        else if (req->body_len && !*r->body)
            why = "this route takes no request body", md = NULL;
    }
    for (size_t i = 0; md && i < n_vars; i += 2)
        if (sg_jsonpb_set_path(a, msg, vars[i], vars[i + 1], &why) < 0)
            md = NULL;
    x->shorthand = true;
    if (md && *req->query) {
        char *q = sg_arena_strdup(a, req->query);
        for (char *save = NULL, *kv = strtok_r(q, "&", &save); md && kv; kv = strtok_r(NULL, "&", &save)) {
            char *eq = strchr(kv, '=');
            if (eq)
                *eq++ = 0;
            url_decode(kv, true);
            if (strcmp(kv, "noPayloadShorthand") == 0) {
                x->shorthand = eq && strcmp(eq, "false") == 0;
                continue;
            }
            if (!eq)
                continue;
            url_decode(eq, true);
            /* A parameter no field has (e.g. "pretty") is ignored, as grpc-gateway does. */
            int rc = sg_jsonpb_set_path(a, msg, kv, eq, &why);
            if (rc < 0 && rc != SG_ENOTFOUND)
                md = NULL;
        }
    }
    if (!md) {
        finish_error(x->pending, code, why ? why : "bad request");
        sg_arena_deinit(a);
        sg_free(x);
        return;
    }
    size_t len = protobuf_c_message_get_packed_size(msg);
    uint8_t *bytes = sg_arena_alloc(a, len ? len : 1);
    protobuf_c_message_pack(msg, bytes);
    x->output = md->output;
    x->sink = (sg_call_sink){ on_answer, x };
    sg_frontend_dispatch_bytes(fe, md, bytes, len, a, &x->sink);
}
