/* SPDX-License-Identifier: Apache-2.0 */
/* pbjson.c: protobuf-c messages as proto3 JSON, walked through their descriptors.
 *
 * Design note. protobuf-c has no JSON support, and the CLI prints many message types, so this
 * is one generic writer: each field's descriptor says where its value lives (offset), whether
 * it is set (quantifier: a count for repeated fields, a has-flag for optional ones, the case
 * for a oneof member, zero-ness for plain proto3 scalars) and how to print it. Conventions are
 * those of Temporal's CLI (Go protojson): lowerCamelCase names derived from the field name,
 * enum names, int64 as strings, well-known Timestamp and Duration as strings, maps (repeated
 * "...Entry" messages with key and value) as objects, and Temporal's payload shorthand. */
#include "core/pbjson.h"

#include "core/base64.h"
#include "core/pbwire.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

typedef struct writer {
    sg_buf *out;
    const sg_pbjson_opts *o;
    int depth;
} writer;

static void put(writer *w, const char *s)
{
    sg_buf_append_str(w->out, s);
}

static void newline(writer *w)
{
    if (!w->o->indent)
        return;
    put(w, "\n");
    for (int i = 0; i < w->depth * w->o->indent; i++)
        put(w, " ");
}

/* The length of the well-formed UTF-8 sequence at p (n bytes left), or 0. */
static size_t utf8_len(const unsigned char *p, size_t n)
{
    size_t len = p[0] >= 0xf0 && p[0] <= 0xf4 ? 4 : p[0] >= 0xe0 ? 3 : p[0] >= 0xc2 && p[0] <= 0xdf ? 2 : 0;
    if (!len || len > n)
        return 0;
    for (size_t i = 1; i < len; i++)
        if ((p[i] & 0xc0) != 0x80)
            return 0;
    if (len == 3 && ((p[0] == 0xe0 && p[1] < 0xa0) || (p[0] == 0xed && p[1] >= 0xa0)))
        return 0; /* overlong, or a surrogate */
    if (len == 4 && ((p[0] == 0xf0 && p[1] < 0x90) || (p[0] == 0xf4 && p[1] >= 0x90)))
        return 0;
    return len;
}

void sg_pbjson_string(sg_buf *out, const char *s, size_t n)
{
    sg_buf_append(out, "\"", 1);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        char esc[8];
        switch (c) {
        case '"': sg_buf_append(out, "\\\"", 2); break;
        case '\\': sg_buf_append(out, "\\\\", 2); break;
        case '\n': sg_buf_append(out, "\\n", 2); break;
        case '\r': sg_buf_append(out, "\\r", 2); break;
        case '\t': sg_buf_append(out, "\\t", 2); break;
        default:
            if (c < 0x20) {
                snprintf(esc, sizeof esc, "\\u%04x", c);
                sg_buf_append(out, esc, 6);
            } else if (c < 0x80) {
                sg_buf_append(out, &s[i], 1);
            } else {
                /* UTF-8 passes through; anything else (a server may send it) becomes U+FFFD,
                 * so the output stays valid JSON. */
                size_t len = utf8_len((const unsigned char *)s + i, n - i);
                if (len) {
                    sg_buf_append(out, &s[i], len);
                    i += len - 1;
                } else {
                    sg_buf_append(out, "\\ufffd", 6);
                }
            }
        }
    }
    sg_buf_append(out, "\"", 1);
}

static void put_cstr(writer *w, const char *s)
{
    sg_pbjson_string(w->out, s ? s : "", s ? strlen(s) : 0);
}

/* Standard base64 with padding, as protojson writes bytes. */
static void put_base64(writer *w, const uint8_t *p, size_t n)
{
    put(w, "\"");
    sg_base64_encode(w->out, p, n);
    for (size_t pad = (3 - n % 3) % 3; pad; pad--)
        put(w, "=");
    put(w, "\"");
}

void sg_pbjson_rfc3339(sg_buf *out, int64_t seconds, int32_t nanos)
{
    time_t t = (time_t)seconds;
    struct tm tm;
    char s[64];
    if (!gmtime_r(&t, &tm)) {
        /* Far outside any calendar (a hostile server's value): the seconds as they are. */
        snprintf(s, sizeof s, "%lld", (long long)seconds);
        sg_buf_append_str(out, s);
        return;
    }
    /* Four-digit years as RFC 3339 wants (strftime's %Y writes year 26 as "26"). */
    int w = snprintf(s, sizeof s, "%04lld-%02d-%02dT%02d:%02d:%02d", (long long)tm.tm_year + 1900,
                     tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
    size_t n = w > 0 && (size_t)w < sizeof s ? (size_t)w : 0;
    if (nanos > 0) {
        if (nanos % 1000000 == 0)
            n += (size_t)snprintf(s + n, sizeof s - n, ".%03d", nanos / 1000000);
        else if (nanos % 1000 == 0)
            n += (size_t)snprintf(s + n, sizeof s - n, ".%06d", nanos / 1000);
        else
            n += (size_t)snprintf(s + n, sizeof s - n, ".%09d", nanos);
    }
    snprintf(s + n, sizeof s - n, "Z");
    sg_buf_append_str(out, s);
}

/* "1.500s": seconds with 0, 3, 6 or 9 fraction digits, as protojson. */
static void put_duration(writer *w, int64_t seconds, int32_t nanos)
{
    char s[64];
    bool neg = seconds < 0 || nanos < 0;
    uint64_t sec = seconds < 0 ? (uint64_t)0 - (uint64_t)seconds : (uint64_t)seconds;
    int32_t ns = nanos < 0 ? -nanos : nanos;
    int n = snprintf(s, sizeof s, "\"%s%" PRIu64, neg ? "-" : "", sec);
    if (ns % 1000000 == 0 && ns)
        n += snprintf(s + n, sizeof s - (size_t)n, ".%03d", ns / 1000000);
    else if (ns % 1000 == 0 && ns)
        n += snprintf(s + n, sizeof s - (size_t)n, ".%06d", ns / 1000);
    else if (ns)
        n += snprintf(s + n, sizeof s - (size_t)n, ".%09d", ns);
    snprintf(s + n, sizeof s - (size_t)n, "s\"");
    put(w, s);
}

/* proto3 JSON's name for a field: lowerCamelCase of its proto name. */
void sg_pbjson_camel(sg_buf *b, const char *name)
{
    bool up = false;
    for (const char *p = name; *p; p++) {
        if (*p == '_') {
            up = true;
            continue;
        }
        char c = up && *p >= 'a' && *p <= 'z' ? (char)(*p - 'a' + 'A') : *p;
        sg_buf_append(b, &c, 1);
        up = false;
    }
}

static void put_name(writer *w, const char *name)
{
    put(w, "\"");
    sg_pbjson_camel(w->out, name);
    put(w, w->o->indent ? "\": " : "\":");
}

static void write_message(writer *w, const ProtobufCMessage *m);

static bool is_named(const ProtobufCMessageDescriptor *d, const char *name)
{
    return d && strcmp(d->name, name) == 0;
}


static const void *field_ptr(const ProtobufCMessage *m, const ProtobufCFieldDescriptor *f)
{
    return (const char *)m + f->offset;
}


static void write_scalar(writer *w, const ProtobufCFieldDescriptor *f, const void *p)
{
    char s[64];
    switch (f->type) {
    case PROTOBUF_C_TYPE_INT32:
    case PROTOBUF_C_TYPE_SINT32:
    case PROTOBUF_C_TYPE_SFIXED32:
        snprintf(s, sizeof s, "%" PRId32, *(const int32_t *)p);
        put(w, s);
        break;
    case PROTOBUF_C_TYPE_UINT32:
    case PROTOBUF_C_TYPE_FIXED32:
        snprintf(s, sizeof s, "%" PRIu32, *(const uint32_t *)p);
        put(w, s);
        break;
    case PROTOBUF_C_TYPE_INT64:
    case PROTOBUF_C_TYPE_SINT64:
    case PROTOBUF_C_TYPE_SFIXED64:
        snprintf(s, sizeof s, "\"%" PRId64 "\"", *(const int64_t *)p);
        put(w, s);
        break;
    case PROTOBUF_C_TYPE_UINT64:
    case PROTOBUF_C_TYPE_FIXED64:
        snprintf(s, sizeof s, "\"%" PRIu64 "\"", *(const uint64_t *)p);
        put(w, s);
        break;
    case PROTOBUF_C_TYPE_FLOAT:
    case PROTOBUF_C_TYPE_DOUBLE: {
        double v = f->type == PROTOBUF_C_TYPE_FLOAT ? *(const float *)p : *(const double *)p;
        if (isnan(v))
            put(w, "\"NaN\"");
        else if (isinf(v))
            put(w, v > 0 ? "\"Infinity\"" : "\"-Infinity\"");
        else {
            snprintf(s, sizeof s, "%.17g", v);
            put(w, s);
        }
        break;
    }
    case PROTOBUF_C_TYPE_BOOL:
        put(w, *(const protobuf_c_boolean *)p ? "true" : "false");
        break;
    case PROTOBUF_C_TYPE_ENUM: {
        int v = *(const int *)p;
        const ProtobufCEnumValue *ev =
            protobuf_c_enum_descriptor_get_value((const ProtobufCEnumDescriptor *)f->descriptor, v);
        if (ev) {
            put_cstr(w, ev->name);
        } else {
            snprintf(s, sizeof s, "%d", v);
            put(w, s);
        }
        break;
    }
    case PROTOBUF_C_TYPE_STRING:
        put_cstr(w, *(char *const *)p);
        break;
    case PROTOBUF_C_TYPE_BYTES: {
        const ProtobufCBinaryData *b = p;
        put_base64(w, b->data, b->len);
        break;
    }
    case PROTOBUF_C_TYPE_MESSAGE: {
        const ProtobufCMessage *sub = *(ProtobufCMessage *const *)p;
        if (sub)
            write_message(w, sub);
        else
            put(w, "null");
        break;
    }
    }
}

/* Whether a field holds something worth printing (proto3 leaves defaults out). */
static bool is_set(const ProtobufCMessage *m, const ProtobufCFieldDescriptor *f)
{
    const void *p = field_ptr(m, f);
    if (f->label == PROTOBUF_C_LABEL_REPEATED)
        return *(const size_t *)((const char *)m + f->quantifier_offset) > 0;
    if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF)
        return *(const uint32_t *)((const char *)m + f->quantifier_offset) == f->id;
    if (f->label == PROTOBUF_C_LABEL_OPTIONAL && f->quantifier_offset &&
        f->type != PROTOBUF_C_TYPE_MESSAGE && f->type != PROTOBUF_C_TYPE_STRING)
        return *(const protobuf_c_boolean *)((const char *)m + f->quantifier_offset);
    switch (f->type) {
    case PROTOBUF_C_TYPE_STRING: {
        const char *s = *(char *const *)p;
        return s && *s;
    }
    case PROTOBUF_C_TYPE_MESSAGE: return *(ProtobufCMessage *const *)p != NULL;
    case PROTOBUF_C_TYPE_BYTES: return ((const ProtobufCBinaryData *)p)->len > 0;
    case PROTOBUF_C_TYPE_INT64: case PROTOBUF_C_TYPE_SINT64: case PROTOBUF_C_TYPE_SFIXED64:
    case PROTOBUF_C_TYPE_UINT64: case PROTOBUF_C_TYPE_FIXED64:
        return *(const uint64_t *)p != 0;
    case PROTOBUF_C_TYPE_DOUBLE: return *(const double *)p != 0;
    case PROTOBUF_C_TYPE_FLOAT: return *(const float *)p != 0;
    case PROTOBUF_C_TYPE_BOOL: return *(const protobuf_c_boolean *)p;
    default: return *(const uint32_t *)p != 0;
    }
}

/* ---- Temporal's payload shorthand ---- */

static const ProtobufCBinaryData *payload_meta(const ProtobufCMessage *payload, const char *key,
                                               size_t *n_meta)
{
    /* Payload: map<string, bytes> metadata = 1; bytes data = 2. */
    const ProtobufCFieldDescriptor *f = &payload->descriptor->fields[0];
    size_t n = *(const size_t *)((const char *)payload + f->quantifier_offset);
    ProtobufCMessage *const *entries = *(ProtobufCMessage *const *const *)field_ptr(payload, f);
    *n_meta = n;
    for (size_t i = 0; i < n; i++) {
        const ProtobufCMessage *e = entries[i];
        const char *k = *(char *const *)field_ptr(e, &e->descriptor->fields[0]);
        if (k && strcmp(k, key) == 0)
            return (const ProtobufCBinaryData *)field_ptr(e, &e->descriptor->fields[1]);
    }
    return NULL;
}

static bool encoding_is(const ProtobufCBinaryData *enc, const char *want)
{
    return enc && enc->len == strlen(want) && memcmp(enc->data, want, enc->len) == 0;
}

/* 1: JSON data, 2: null, 0: not shorthand. */
static int shorthand_kind(const ProtobufCMessage *payload)
{
    size_t n_meta;
    const ProtobufCBinaryData *enc = payload_meta(payload, "encoding", &n_meta);
    if (n_meta != 1)
        return 0;
    if (encoding_is(enc, "binary/null"))
        return 2;
    if (!encoding_is(enc, "json/plain"))
        return 0;
    const ProtobufCBinaryData *data = field_ptr(payload, &payload->descriptor->fields[1]);
    return data->len && !memchr(data->data, 0, data->len) ? 1 : 0;
}

static void write_shorthand(writer *w, const ProtobufCMessage *payload)
{
    if (shorthand_kind(payload) == 2) {
        put(w, "null");
        return;
    }
    const ProtobufCBinaryData *data = field_ptr(payload, &payload->descriptor->fields[1]);
    /* Printed as the stored JSON text; SDKs write it compact, one line. */
    sg_buf_append(w->out, data->data, data->len);
}

static bool payloads_all_shorthand(const ProtobufCMessage *m)
{
    const ProtobufCFieldDescriptor *f = &m->descriptor->fields[0];
    size_t n = *(const size_t *)((const char *)m + f->quantifier_offset);
    ProtobufCMessage *const *items = *(ProtobufCMessage *const *const *)field_ptr(m, f);
    for (size_t i = 0; i < n; i++)
        if (!shorthand_kind(items[i]))
            return false;
    return true;
}

/* ---- messages ---- */

static void write_map(writer *w, const ProtobufCFieldDescriptor *f, const ProtobufCMessage *m)
{
    size_t n = *(const size_t *)((const char *)m + f->quantifier_offset);
    ProtobufCMessage *const *entries = *(ProtobufCMessage *const *const *)field_ptr(m, f);
    put(w, "{");
    w->depth++;
    for (size_t i = 0; i < n; i++) {
        const ProtobufCMessage *e = entries[i];
        const ProtobufCFieldDescriptor *kf = &e->descriptor->fields[0];
        const ProtobufCFieldDescriptor *vf = &e->descriptor->fields[1];
        if (i)
            put(w, ",");
        newline(w);
        if (kf->type == PROTOBUF_C_TYPE_STRING) {
            put_cstr(w, *(char *const *)field_ptr(e, kf));
        } else {
            /* Non-string keys are quoted numbers or booleans. */
            sg_buf tmp;
            sg_buf_init(&tmp);
            writer tw = { &tmp, w->o, 0 };
            write_scalar(&tw, kf, field_ptr(e, kf));
            const char *k = (const char *)sg_buf_head(&tmp);
            bool quoted = tmp.len && k[0] == '"';
            if (!quoted)
                put(w, "\"");
            sg_buf_append(w->out, k, tmp.len);
            if (!quoted)
                put(w, "\"");
            sg_buf_deinit(&tmp);
        }
        put(w, w->o->indent ? ": " : ":");
        write_scalar(w, vf, field_ptr(e, vf));
    }
    w->depth--;
    if (n)
        newline(w);
    put(w, "}");
}

static void write_message(writer *w, const ProtobufCMessage *m)
{
    const ProtobufCMessageDescriptor *d = m->descriptor;
    if (is_named(d, "google.protobuf.Timestamp")) {
        const int64_t *sec = field_ptr(m, &d->fields[0]);
        const int32_t *ns = field_ptr(m, &d->fields[1]);
        put(w, "\"");
        sg_pbjson_rfc3339(w->out, *sec, *ns);
        put(w, "\"");
        return;
    }
    if (is_named(d, "google.protobuf.Duration")) {
        put_duration(w, *(const int64_t *)field_ptr(m, &d->fields[0]),
                     *(const int32_t *)field_ptr(m, &d->fields[1]));
        return;
    }
    if (w->o->shorthand && is_named(d, "temporal.api.common.v1.Payload") && shorthand_kind(m)) {
        write_shorthand(w, m);
        return;
    }
    bool bare_array = w->o->shorthand && is_named(d, "temporal.api.common.v1.Payloads") &&
                      payloads_all_shorthand(m);
    if (bare_array) {
        const ProtobufCFieldDescriptor *f = &d->fields[0];
        size_t n = *(const size_t *)((const char *)m + f->quantifier_offset);
        ProtobufCMessage *const *items = *(ProtobufCMessage *const *const *)field_ptr(m, f);
        put(w, "[");
        w->depth++;
        for (size_t i = 0; i < n; i++) {
            if (i)
                put(w, ",");
            newline(w);
            write_shorthand(w, items[i]);
        }
        w->depth--;
        if (n)
            newline(w);
        put(w, "]");
        return;
    }
    put(w, "{");
    w->depth++;
    bool first = true;
    for (unsigned i = 0; i < d->n_fields; i++) {
        const ProtobufCFieldDescriptor *f = &d->fields[i];
        if (!is_set(m, f))
            continue;
        if (!first)
            put(w, ",");
        first = false;
        newline(w);
        put_name(w, f->name);
        if (f->label != PROTOBUF_C_LABEL_REPEATED) {
            write_scalar(w, f, field_ptr(m, f));
            continue;
        }
        if (f->type == PROTOBUF_C_TYPE_MESSAGE && sg_pb_is_map_entry(f->descriptor)) {
            write_map(w, f, m);
            continue;
        }
        size_t n = *(const size_t *)((const char *)m + f->quantifier_offset);
        const char *base = *(const char *const *)field_ptr(m, f);
        size_t elem = sg_pb_elem_size(f);
        put(w, "[");
        w->depth++;
        for (size_t k = 0; k < n; k++) {
            if (k)
                put(w, ",");
            newline(w);
            write_scalar(w, f, base + k * elem);
        }
        w->depth--;
        newline(w);
        put(w, "]");
    }
    w->depth--;
    if (!first)
        newline(w);
    put(w, "}");
}

/* ---- flattened: one "path: value" line per leaf (the CLI's --detailed history) ---- */

/* Messages printed whole (as their JSON value) rather than walked into. */
static bool is_leaf_message(const ProtobufCMessage *m, const sg_pbjson_opts *o)
{
    const ProtobufCMessageDescriptor *d = m->descriptor;
    return is_named(d, "google.protobuf.Timestamp") || is_named(d, "google.protobuf.Duration") ||
           (o->shorthand && is_named(d, "temporal.api.common.v1.Payload") && shorthand_kind(m)) ||
           (o->shorthand && is_named(d, "temporal.api.common.v1.Payloads") && payloads_all_shorthand(m));
}

static void flat_value(writer *w, const char *path, const ProtobufCFieldDescriptor *f, const void *p);

static void flat_message(writer *w, const char *prefix, const ProtobufCMessage *m)
{
    const ProtobufCMessageDescriptor *d = m->descriptor;
    for (unsigned i = 0; i < d->n_fields; i++) {
        const ProtobufCFieldDescriptor *f = &d->fields[i];
        if (!is_set(m, f))
            continue;
        sg_buf path;
        sg_buf_init(&path);
        if (*prefix) {
            sg_buf_append_str(&path, prefix);
            sg_buf_append_str(&path, ".");
        }
        sg_pbjson_camel(&path, f->name);
        sg_buf_append(&path, "", 1);
        const char *pp = (const char *)sg_buf_head(&path);
        if (f->label != PROTOBUF_C_LABEL_REPEATED) {
            flat_value(w, pp, f, field_ptr(m, f));
        } else if (f->type == PROTOBUF_C_TYPE_MESSAGE && sg_pb_is_map_entry(f->descriptor)) {
            size_t n = *(const size_t *)((const char *)m + f->quantifier_offset);
            ProtobufCMessage *const *entries = *(ProtobufCMessage *const *const *)field_ptr(m, f);
            for (size_t k = 0; k < n; k++) {
                const ProtobufCFieldDescriptor *kf = &entries[k]->descriptor->fields[0];
                const ProtobufCFieldDescriptor *vf = &entries[k]->descriptor->fields[1];
                const char *key = kf->type == PROTOBUF_C_TYPE_STRING ? *(char *const *)field_ptr(entries[k], kf) : "?";
                char *sub = sg_asprintf("%s.%s", pp, key ? key : "");
                flat_value(w, sub, vf, field_ptr(entries[k], vf));
                sg_free(sub);
            }
        } else {
            size_t n = *(const size_t *)((const char *)m + f->quantifier_offset);
            const char *base = *(const char *const *)field_ptr(m, f);
            size_t elem = sg_pb_elem_size(f);
            for (size_t k = 0; k < n; k++) {
                char *sub = sg_asprintf("%s[%zu]", pp, k);
                flat_value(w, sub, f, base + k * elem);
                sg_free(sub);
            }
        }
        sg_buf_deinit(&path);
    }
}

static void flat_value(writer *w, const char *path, const ProtobufCFieldDescriptor *f, const void *p)
{
    if (f->type == PROTOBUF_C_TYPE_MESSAGE) {
        const ProtobufCMessage *sub = *(ProtobufCMessage *const *)p;
        if (sub && !is_leaf_message(sub, w->o)) {
            flat_message(w, path, sub);
            return;
        }
    }
    put(w, path);
    put(w, ": ");
    write_scalar(w, f, p);
    put(w, "\n");
}

void sg_pbjson_flatten(sg_buf *out, const ProtobufCMessage *m, const sg_pbjson_opts *o)
{
    static const sg_pbjson_opts compact = { 0, true };
    writer w = { out, o ? o : &compact, 0 };
    flat_message(&w, "", m);
}

void sg_pbjson_write(sg_buf *out, const ProtobufCMessage *m, const sg_pbjson_opts *o)
{
    static const sg_pbjson_opts compact = { 0, true };
    writer w = { out, o ? o : &compact, 0 };
    write_message(&w, m);
}

/* ---- checking JSON text (what --input and friends hand over as payload data) ---- */

typedef struct reader {
    const char *s;
    size_t n, at;
    int depth;
} reader;

static void skip_ws(reader *r)
{
    while (r->at < r->n && (r->s[r->at] == ' ' || r->s[r->at] == '\t' || r->s[r->at] == '\n' ||
                            r->s[r->at] == '\r'))
        r->at++;
}

static bool lit(reader *r, const char *w)
{
    size_t l = strlen(w);
    if (r->n - r->at < l || memcmp(r->s + r->at, w, l) != 0)
        return false;
    r->at += l;
    return true;
}

static bool str(reader *r)
{
    if (r->at >= r->n || r->s[r->at] != '"')
        return false;
    for (r->at++; r->at < r->n; r->at++) {
        unsigned char c = (unsigned char)r->s[r->at];
        if (c == '"') {
            r->at++;
            return true;
        }
        if (c < 0x20)
            return false;
        if (c == '\\') {
            if (++r->at >= r->n)
                return false;
            char e = r->s[r->at];
            if (e == 'u') {
                for (int k = 0; k < 4; k++)
                    if (++r->at >= r->n || !strchr("0123456789abcdefABCDEF", r->s[r->at]))
                        return false;
            } else if (!strchr("\"\\/bfnrt", e)) {
                return false;
            }
        }
    }
    return false;
}

static bool digits(reader *r)
{
    size_t from = r->at;
    while (r->at < r->n && r->s[r->at] >= '0' && r->s[r->at] <= '9')
        r->at++;
    return r->at > from;
}

static bool number(reader *r)
{
    if (r->at < r->n && r->s[r->at] == '-')
        r->at++;
    if (r->at < r->n && r->s[r->at] == '0')
        r->at++;
    else if (!digits(r))
        return false;
    if (r->at < r->n && r->s[r->at] == '.') {
        r->at++;
        if (!digits(r))
            return false;
    }
    if (r->at < r->n && (r->s[r->at] == 'e' || r->s[r->at] == 'E')) {
        r->at++;
        if (r->at < r->n && (r->s[r->at] == '+' || r->s[r->at] == '-'))
            r->at++;
        if (!digits(r))
            return false;
    }
    return true;
}

static bool value(reader *r)
{
    skip_ws(r);
    if (r->at >= r->n || ++r->depth > 100)
        return false;
    bool ok;
    char c = r->s[r->at];
    if (c == '{' || c == '[') {
        char close = c == '{' ? '}' : ']';
        r->at++;
        skip_ws(r);
        ok = true;
        if (r->at < r->n && r->s[r->at] == close) {
            r->at++;
        } else {
            for (;;) {
                if (c == '{') {
                    skip_ws(r);
                    if (!str(r)) { ok = false; break; }
                    skip_ws(r);
                    if (r->at >= r->n || r->s[r->at++] != ':') { ok = false; break; }
                }
                if (!value(r)) { ok = false; break; }
                skip_ws(r);
                if (r->at < r->n && r->s[r->at] == ',') { r->at++; continue; }
                ok = r->at < r->n && r->s[r->at++] == close;
                break;
            }
        }
    } else if (c == '"') {
        ok = str(r);
    } else if (c == 't' || c == 'f' || c == 'n') {
        ok = lit(r, "true") || lit(r, "false") || lit(r, "null");
    } else {
        ok = number(r);
    }
    r->depth--;
    return ok;
}

bool sg_pbjson_valid(const char *s, size_t n)
{
    reader r = { s, n, 0, 0 };
    if (!value(&r))
        return false;
    skip_ws(&r);
    return r.at == n;
}
