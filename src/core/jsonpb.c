/* SPDX-License-Identifier: Apache-2.0 */
/* jsonpb.c: proto3 JSON into protobuf-c messages, walked through their descriptors.
 *
 * Design note. This is pbjson.c read backwards, for the HTTP API's request bodies: jansson
 * turns the text into a tree, and one generic walk fills any message from it, each field's
 * descriptor saying where the value goes (offset), how to mark it set (the count of a repeated
 * field, the has-flag of an optional one, the case of a oneof member) and how to read it. What
 * it accepts is what pbjson.c writes, so write -> parse gives back the same message, plus what
 * Temporal's HTTP API (grpc-gateway over Temporal's protojson fork) accepts: both name forms,
 * quoted or bare numbers, short enum names, URL-safe base64 and the payload shorthand. Nothing
 * the tree holds outlives the call: strings and bytes are copied into the caller's arena, so
 * the message is freed with it. Recursion follows the input's nesting, which is bounded twice:
 * by jansson's parser (2048) and, with a readable error, by SG_JSONPB_MAX_DEPTH here. */
#include "core/jsonpb.h"

#include "core/base64.h"
#include "core/buf.h"
#include "core/pbjson.h"
#include "core/pbwire.h"

#include <jansson.h>
#include <float.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct parser {
    sg_arena *a;
    sg_buf path; /* the JSON path of the value being read ("input[0]"), for error messages */
    const char *why;
    int depth;
} parser;

/* ---- errors and paths ---- */

static int fail(parser *p, const char *fmt, ...) SG_PRINTF(2, 3);
static int fail(parser *p, const char *fmt, ...)
{
    char msg[320];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (p->path.len)
        p->why = sg_arena_printf(p->a, "invalid value for field \"%.*s\": %s", (int)p->path.len,
                                 (const char *)sg_buf_head(&p->path), msg);
    else
        p->why = sg_arena_printf(p->a, "invalid message: %s", msg);
    return SG_EINVAL;
}

/* Appends ".name" (or "name" at the top) and returns the length to restore. */
static size_t path_push(parser *p, const char *name, size_t n)
{
    size_t old = p->path.len;
    if (old)
        sg_buf_append(&p->path, ".", 1);
    sg_buf_append(&p->path, name, n);
    return old;
}

static size_t path_push_index(parser *p, size_t i)
{
    size_t old = p->path.len;
    sg_buf_printf(&p->path, "[%zu]", i);
    return old;
}

static void path_pop(parser *p, size_t old)
{
    p->path.len = old;
}

/* s as a JSON string literal for a message, cut to a readable length. */
static const char *quoted(parser *p, const char *s, size_t n)
{
    sg_buf b;
    sg_buf_init(&b);
    sg_pbjson_string(&b, s, n > 64 ? 64 : n);
    if (n > 64)
        sg_buf_append_str(&b, "...");
    char *r = sg_arena_strndup(p->a, (const char *)sg_buf_head(&b), b.len);
    sg_buf_deinit(&b);
    return r;
}

/* ---- descriptors (the same reading of them as pbjson.c's) ---- */

static void *field_ptr(ProtobufCMessage *m, const ProtobufCFieldDescriptor *f)
{
    return (char *)m + f->offset;
}

static void *quantifier_ptr(ProtobufCMessage *m, const ProtobufCFieldDescriptor *f)
{
    return (char *)m + f->quantifier_offset;
}

static bool is_named(const ProtobufCMessageDescriptor *d, const char *name)
{
    return d && strcmp(d->name, name) == 0;
}

static bool is_map(const ProtobufCFieldDescriptor *f)
{
    return f->label == PROTOBUF_C_LABEL_REPEATED && f->type == PROTOBUF_C_TYPE_MESSAGE &&
           sg_pb_is_map_entry(f->descriptor);
}

static bool is_payload(const ProtobufCMessageDescriptor *d)
{
    return is_named(d, "temporal.api.common.v1.Payload");
}

static bool is_wrapper(const ProtobufCMessageDescriptor *d)
{
    static const char *const names[] = {
        "google.protobuf.DoubleValue", "google.protobuf.FloatValue", "google.protobuf.Int64Value",
        "google.protobuf.UInt64Value", "google.protobuf.Int32Value", "google.protobuf.UInt32Value",
        "google.protobuf.BoolValue",   "google.protobuf.StringValue", "google.protobuf.BytesValue",
    };
    for (size_t i = 0; i < SG_ARRAY_LEN(names); i++)
        if (is_named(d, names[i]))
            return true;
    return false;
}

/* Their JSON forms need a type registry (Any) or a JSON-value mapping nothing in Temporal's
 * requests uses (Struct and friends); pbjson.c does not write them either. */
static bool is_unsupported(const ProtobufCMessageDescriptor *d)
{
    return is_named(d, "google.protobuf.Any") || is_named(d, "google.protobuf.Struct") ||
           is_named(d, "google.protobuf.Value") || is_named(d, "google.protobuf.ListValue");
}


/* Whether key[0..n) is name's JSON name: lowerCamelCase, each '_' dropped and the letter after
 * it raised, exactly as pbjson.c's append_camel writes it. */
static bool camel_eq(const char *name, const char *key, size_t n)
{
    size_t k = 0;
    bool up = false;
    for (const char *c = name; *c; c++) {
        if (*c == '_') {
            up = true;
            continue;
        }
        char want = up && *c >= 'a' && *c <= 'z' ? (char)(*c - 'a' + 'A') : *c;
        up = false;
        if (k >= n || key[k++] != want)
            return false;
    }
    return k == n;
}

static const ProtobufCFieldDescriptor *find_field(const ProtobufCMessageDescriptor *d,
                                                  const char *key, size_t n)
{
    for (unsigned i = 0; i < d->n_fields; i++)
        if (camel_eq(d->fields[i].name, key, n))
            return &d->fields[i];
    for (unsigned i = 0; i < d->n_fields; i++)
        if (strlen(d->fields[i].name) == n && memcmp(d->fields[i].name, key, n) == 0)
            return &d->fields[i];
    return NULL;
}

static const ProtobufCFieldDescriptor *field_named(const ProtobufCMessageDescriptor *d, const char *name)
{
    const ProtobufCFieldDescriptor *f = protobuf_c_message_descriptor_get_field_by_name(d, name);
    sg_assert(f);
    return f;
}

static ProtobufCMessage *new_message(parser *p, const ProtobufCMessageDescriptor *d)
{
    ProtobufCMessage *m = sg_arena_alloc(p->a, d->sizeof_message);
    protobuf_c_message_init(d, m);
    return m;
}

/* ---- numbers ---- */

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* An optional '-' and decimal digits: 1, or 0 when s is not that, or -1 past 2^64 - 1. */
static int parse_decimal(const char *s, size_t n, bool *neg, uint64_t *mag)
{
    size_t i = 0;
    *neg = n && s[0] == '-';
    i = *neg;
    if (i == n)
        return 0;
    uint64_t v = 0;
    for (; i < n; i++) {
        if (!is_digit(s[i]))
            return 0;
        unsigned d = (unsigned)(s[i] - '0');
        if (v > (UINT64_MAX - d) / 10)
            return -1;
        v = v * 10 + d;
    }
    *mag = v;
    return 1;
}

/* Whether s[0..n) is one JSON number and nothing around it (protojson reads quoted numbers so). */
static bool is_json_number(const char *s, size_t n)
{
    return n && (s[0] == '-' || is_digit(s[0])) && is_digit(s[n - 1]) && sg_pbjson_valid(s, n);
}

/* An integral number, bare or quoted, as sign and magnitude. A fraction or exponent is fine
 * when the value is a whole number (protojson reads "1e3" and 1.0 as integers). */
static int get_integer(parser *p, json_t *j, const char *type, bool *neg, uint64_t *mag)
{
    double d;
    if (json_is_integer(j)) {
        json_int_t v = json_integer_value(j);
        *neg = v < 0;
        *mag = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
        return 0;
    } else if (json_is_real(j)) {
        d = json_real_value(j);
    } else if (json_is_string(j)) {
        const char *s = json_string_value(j);
        size_t n = json_string_length(j);
        int r = parse_decimal(s, n, neg, mag);
        if (r > 0)
            return 0;
        if (r < 0)
            return fail(p, "%s is out of range for %s", quoted(p, s, n), type);
        if (!is_json_number(s, n))
            return fail(p, "expected %s (a number, or a string holding one), got %s", type, quoted(p, s, n));
        d = strtod(s, NULL);
    } else {
        return fail(p, "expected %s (a number, or a string holding one)", type);
    }
    /* Beyond 2^53 a double no longer says which integer was meant. */
    if (d != floor(d) || fabs(d) > 9007199254740992.0)
        return fail(p, "expected %s, got %.17g", type, d);
    *neg = d < 0;
    *mag = (uint64_t)fabs(d);
    return 0;
}

static int get_signed(parser *p, json_t *j, const char *type, int bits, int64_t *out)
{
    bool neg;
    uint64_t mag;
    int rc = get_integer(p, j, type, &neg, &mag);
    if (rc)
        return rc;
    uint64_t limit = (uint64_t)1 << (bits - 1); /* |min|; max is one less */
    if (neg ? mag > limit : mag >= limit)
        return fail(p, "%s%" PRIu64 " is out of range for %s", neg ? "-" : "", mag, type);
    *out = neg ? (int64_t)(0 - mag) : (int64_t)mag;
    return 0;
}

static int get_unsigned(parser *p, json_t *j, const char *type, int bits, uint64_t *out)
{
    bool neg;
    uint64_t mag;
    int rc = get_integer(p, j, type, &neg, &mag);
    if (rc)
        return rc;
    if ((neg && mag) || (bits < 64 && mag >> bits))
        return fail(p, "%s%" PRIu64 " is out of range for %s", neg ? "-" : "", mag, type);
    *out = mag;
    return 0;
}

static int get_double(parser *p, json_t *j, bool is_float, double *out)
{
    const char *type = is_float ? "float" : "double";
    double d;
    if (json_is_integer(j)) {
        d = (double)json_integer_value(j);
    } else if (json_is_real(j)) {
        d = json_real_value(j);
    } else if (json_is_string(j)) {
        const char *s = json_string_value(j);
        size_t n = json_string_length(j);
        if (memchr(s, 0, n))
            return fail(p, "expected a %s, got a string holding a NUL character", type);
        if (strcmp(s, "NaN") == 0)
            d = NAN;
        else if (strcmp(s, "Infinity") == 0)
            d = INFINITY;
        else if (strcmp(s, "-Infinity") == 0)
            d = -INFINITY;
        else if (is_json_number(s, n))
            d = strtod(s, NULL);
        else
            return fail(p, "expected a %s (a number, \"NaN\", \"Infinity\" or \"-Infinity\"), got %s",
                        type, quoted(p, s, n));
        if (isinf(d) && is_digit(s[n - 1]))
            return fail(p, "%s is out of range for %s", quoted(p, s, n), type);
    } else {
        return fail(p, "expected a %s (a number, \"NaN\", \"Infinity\" or \"-Infinity\")", type);
    }
    if (is_float && isfinite(d) && fabs(d) > FLT_MAX)
        return fail(p, "%.17g is out of range for float", d);
    *out = d;
    return 0;
}

/* ---- base64, RFC 3339, durations ---- */

static int read_bytes(parser *p, json_t *j, ProtobufCBinaryData *out)
{
    if (!json_is_string(j))
        return fail(p, "expected a base64 string");
    const char *s = json_string_value(j);
    size_t n = json_string_length(j);
    sg_buf b;
    sg_buf_init(&b);
    int rc = sg_base64_decode(&b, s, n);
    out->len = b.len;
    out->data = rc == 0 && b.len ? sg_arena_memdup(p->a, sg_buf_head(&b), b.len) : NULL;
    sg_buf_deinit(&b);
    return rc ? fail(p, "expected a base64 string, got %s", quoted(p, s, n)) : 0;
}

/* An optional ".ddddddddd" at s[*i] (1 to 9 digits) as nanoseconds; *i moves past it. */
static bool parse_fraction(const char *s, size_t n, size_t *i, int32_t *ns)
{
    *ns = 0;
    if (*i >= n || s[*i] != '.')
        return true;
    int digits = 0;
    for ((*i)++; *i < n && is_digit(s[*i]); (*i)++, digits++) {
        if (digits == 9)
            return false;
        *ns = *ns * 10 + (s[*i] - '0');
    }
    if (!digits)
        return false;
    for (; digits < 9; digits++)
        *ns *= 10;
    return true;
}

static bool two_digits(const char *s, int *v)
{
    if (!is_digit(s[0]) || !is_digit(s[1]))
        return false;
    *v = (s[0] - '0') * 10 + (s[1] - '0');
    return true;
}

static bool is_leap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* Days from 1970-01-01 to y-m-d of the proleptic Gregorian calendar (y >= 1). */
static int64_t days_from_epoch(int y, int m, int d)
{
    static const int before_month[12] = { 0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334 };
    int64_t py = y - 1; /* whole years before y, counted from year 1 */
    int64_t days = py * 365 + py / 4 - py / 100 + py / 400 + before_month[m - 1] + (d - 1);
    if (m > 2 && is_leap(y))
        days++;
    return days - 719162; /* 0001-01-01 .. 1970-01-01 */
}

/* protojson's range: 0001-01-01T00:00:00Z .. 9999-12-31T23:59:59.999999999Z. */
#define TS_MIN_SECONDS INT64_C(-62135596800)
#define TS_MAX_SECONDS INT64_C(253402300799)

/* "2026-12-02T10:00:00.5+02:00": a fraction of up to 9 digits, Z or a ±hh:mm offset. */
static bool parse_rfc3339(const char *s, size_t n, int64_t *seconds, int32_t *nanos)
{
    int yh, yl, mo, d, h, mi, sec;
    if (n < 20 || !two_digits(s, &yh) || !two_digits(s + 2, &yl) || s[4] != '-' ||
        !two_digits(s + 5, &mo) || s[7] != '-' || !two_digits(s + 8, &d) ||
        (s[10] != 'T' && s[10] != 't') || !two_digits(s + 11, &h) || s[13] != ':' ||
        !two_digits(s + 14, &mi) || s[16] != ':' || !two_digits(s + 17, &sec))
        return false;
    int y = yh * 100 + yl;
    static const int month_days[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    if (y < 1 || mo < 1 || mo > 12 || d < 1 || d > month_days[mo - 1] + (mo == 2 && is_leap(y)) ||
        h > 23 || mi > 59 || sec > 59)
        return false;
    size_t i = 19;
    int32_t ns = 0;
    if (!parse_fraction(s, n, &i, &ns))
        return false;
    int64_t offset = 0;
    if (i < n && (s[i] == 'Z' || s[i] == 'z')) {
        i++;
    } else if (i < n && (s[i] == '+' || s[i] == '-')) {
        int oh, om;
        if (n - i < 6 || !two_digits(s + i + 1, &oh) || s[i + 3] != ':' || !two_digits(s + i + 4, &om) ||
            oh > 23 || om > 59)
            return false;
        offset = (int64_t)(oh * 60 + om) * 60 * (s[i] == '-' ? -1 : 1);
        i += 6;
    } else {
        return false;
    }
    if (i != n)
        return false;
    int64_t t = days_from_epoch(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec - offset;
    if (t < TS_MIN_SECONDS || t > TS_MAX_SECONDS)
        return false;
    *seconds = t;
    *nanos = ns;
    return true;
}

/* protojson's range: ±10,000 years of seconds. */
#define DURATION_MAX_SECONDS INT64_C(315576000000)

/* "-1.500s": a sign, whole seconds, up to 9 fraction digits; seconds and nanos share the sign. */
static bool parse_duration(const char *s, size_t n, int64_t *seconds, int32_t *nanos)
{
    bool neg = n && s[0] == '-';
    size_t i = neg;
    if (n < i + 2 || s[n - 1] != 's')
        return false;
    n--;
    uint64_t v = 0;
    size_t start = i;
    for (; i < n && is_digit(s[i]); i++) {
        if (v > (uint64_t)DURATION_MAX_SECONDS)
            return false;
        v = v * 10 + (uint64_t)(s[i] - '0');
    }
    if (i == start)
        return false;
    int32_t ns = 0;
    if (!parse_fraction(s, n, &i, &ns))
        return false;
    if (i != n || v > (uint64_t)DURATION_MAX_SECONDS || (v == (uint64_t)DURATION_MAX_SECONDS && ns))
        return false;
    *seconds = neg ? -(int64_t)v : (int64_t)v;
    *nanos = neg ? -ns : ns;
    return true;
}

/* ---- scalars ---- */

/* Equal ignoring case and underscores: "ALLOW_DUPLICATE", "AllowDuplicate", "allow_duplicate". */
static bool loose_eq(const char *a, const char *b, size_t bn)
{
    size_t j = 0;
    for (;; a++, j++) {
        while (*a == '_')
            a++;
        while (j < bn && b[j] == '_')
            j++;
        if (!*a || j == bn)
            return !*a && j == bn;
        char x = *a >= 'a' && *a <= 'z' ? (char)(*a - 32) : *a;
        char y = b[j] >= 'a' && b[j] <= 'z' ? (char)(b[j] - 32) : b[j];
        if (x != y)
            return false;
    }
}

/* The part of a value name after its enum's prefix: "ALLOW_DUPLICATE" for
 * WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE in WorkflowIdReusePolicy; NULL without the prefix. */
static const char *after_enum_prefix(const char *enum_name, const char *value)
{
    const char *v = value;
    for (const char *e = enum_name; *e; e++) {
        if (*e == '_')
            continue;
        while (*v == '_')
            v++;
        char x = *e >= 'a' && *e <= 'z' ? (char)(*e - 32) : *e;
        char y = *v >= 'a' && *v <= 'z' ? (char)(*v - 32) : *v;
        if (!*v || x != y)
            return NULL;
        v++;
    }
    return *v == '_' && v[1] ? v + 1 : NULL;
}

/* By full value name (what pbjson.c writes); by the short form Temporal's protojson also reads
 * (the name without its enum's prefix, in any case, with or without underscores); or by number:
 * proto3 enums are open, so an unknown number is kept, as the gRPC path keeps it. */
static int read_enum(parser *p, const ProtobufCFieldDescriptor *f, json_t *j, int *out)
{
    const ProtobufCEnumDescriptor *ed = f->descriptor;
    int64_t v;
    if (json_is_string(j)) {
        const char *s = json_string_value(j);
        size_t n = json_string_length(j);
        const ProtobufCEnumValue *ev =
            n == strlen(s) ? protobuf_c_enum_descriptor_get_value_by_name(ed, s) : NULL;
        if (ev) {
            *out = ev->value;
            return 0;
        }
        for (unsigned i = 0; i < ed->n_values && n; i++) {
            const char *rest = after_enum_prefix(ed->short_name, ed->values[i].name);
            if (rest && loose_eq(rest, s, n)) {
                *out = ed->values[i].value;
                return 0;
            }
        }
        bool neg;
        uint64_t mag;
        if (parse_decimal(s, n, &neg, &mag) == 0)
            return fail(p, "unknown value %s for enum %s", quoted(p, s, n), ed->name);
    } else if (!json_is_number(j)) {
        return fail(p, "expected a value name of enum %s or a number", ed->name);
    }
    int rc = get_signed(p, j, "an enum number (int32)", 32, &v);
    if (rc)
        return rc;
    *out = (int)v;
    return 0;
}

static int read_message(parser *p, const ProtobufCMessageDescriptor *d, json_t *j, ProtobufCMessage **slot);

/* One value of a field that is not a message into dst (where the field, or one element of it,
 * lives). */
static int read_scalar(parser *p, const ProtobufCFieldDescriptor *f, json_t *j, void *dst)
{
    int64_t i64;
    uint64_t u64;
    double d;
    int rc = 0;
    switch (f->type) {
    case PROTOBUF_C_TYPE_INT32:
    case PROTOBUF_C_TYPE_SINT32:
    case PROTOBUF_C_TYPE_SFIXED32:
        if (!(rc = get_signed(p, j, "an int32", 32, &i64)))
            *(int32_t *)dst = (int32_t)i64;
        return rc;
    case PROTOBUF_C_TYPE_INT64:
    case PROTOBUF_C_TYPE_SINT64:
    case PROTOBUF_C_TYPE_SFIXED64:
        if (!(rc = get_signed(p, j, "an int64", 64, &i64)))
            *(int64_t *)dst = i64;
        return rc;
    case PROTOBUF_C_TYPE_UINT32:
    case PROTOBUF_C_TYPE_FIXED32:
        if (!(rc = get_unsigned(p, j, "a uint32", 32, &u64)))
            *(uint32_t *)dst = (uint32_t)u64;
        return rc;
    case PROTOBUF_C_TYPE_UINT64:
    case PROTOBUF_C_TYPE_FIXED64:
        if (!(rc = get_unsigned(p, j, "a uint64", 64, &u64)))
            *(uint64_t *)dst = u64;
        return rc;
    case PROTOBUF_C_TYPE_FLOAT:
        if (!(rc = get_double(p, j, true, &d)))
            *(float *)dst = (float)d;
        return rc;
    case PROTOBUF_C_TYPE_DOUBLE:
        if (!(rc = get_double(p, j, false, &d)))
            *(double *)dst = d;
        return rc;
    case PROTOBUF_C_TYPE_BOOL:
        if (!json_is_boolean(j))
            return fail(p, "expected true or false");
        *(protobuf_c_boolean *)dst = json_is_true(j);
        return 0;
    case PROTOBUF_C_TYPE_ENUM:
        return read_enum(p, f, j, (int *)dst);
    case PROTOBUF_C_TYPE_STRING: {
        if (!json_is_string(j))
            return fail(p, "expected a string");
        const char *s = json_string_value(j);
        size_t n = json_string_length(j);
        /* protobuf-c strings end at their first NUL: one inside would cut the value short. */
        if (memchr(s, 0, n))
            return fail(p, "the string holds a NUL character");
        *(char **)dst = sg_arena_strndup(p->a, s, n);
        return 0;
    }
    case PROTOBUF_C_TYPE_BYTES:
        return read_bytes(p, j, dst);
    case PROTOBUF_C_TYPE_MESSAGE:
        break;
    }
    sg_assert(!"read_scalar called for a message field");
    return SG_EINTERNAL;
}

/* ---- fields ---- */

static bool null_allowed_in(const ProtobufCFieldDescriptor *f)
{
    return f->type == PROTOBUF_C_TYPE_MESSAGE && is_payload(f->descriptor);
}

/* One element of a repeated field, or a map value, into dst. */
static int read_element(parser *p, const ProtobufCFieldDescriptor *f, json_t *j, void *dst)
{
    /* protojson refuses null elements; a Payload's null is a value of its own (binary/null). */
    if (json_is_null(j) && !null_allowed_in(f))
        return fail(p, "null is not allowed here");
    if (f->type == PROTOBUF_C_TYPE_MESSAGE)
        return read_message(p, f->descriptor, j, dst);
    return read_scalar(p, f, j, dst);
}

static int read_list(parser *p, ProtobufCMessage *m, const ProtobufCFieldDescriptor *f, json_t *j)
{
    if (!json_is_array(j))
        return fail(p, "expected an array");
    size_t n = json_array_size(j), es = sg_pb_elem_size(f);
    char *base = n ? sg_arena_calloc(p->a, n * es) : NULL;
    for (size_t i = 0; i < n; i++) {
        size_t old = path_push_index(p, i);
        int rc = read_element(p, f, json_array_get(j, i), base + i * es);
        path_pop(p, old);
        if (rc)
            return rc;
    }
    *(size_t *)quantifier_ptr(m, f) = n;
    *(void **)field_ptr(m, f) = base;
    return 0;
}

/* A map key: JSON object keys are strings, so numbers and booleans come quoted. */
static int read_map_key(parser *p, const ProtobufCFieldDescriptor *kf, const char *key, size_t n, void *dst)
{
    if (kf->type == PROTOBUF_C_TYPE_BOOL) {
        bool t = n == 4 && memcmp(key, "true", 4) == 0, f = n == 5 && memcmp(key, "false", 5) == 0;
        if (!t && !f)
            return fail(p, "expected a map key true or false");
        *(protobuf_c_boolean *)dst = t;
        return 0;
    }
    if (kf->type != PROTOBUF_C_TYPE_STRING) {
        /* Only the canonical decimal, so that two keys of one object cannot name the same
         * number ("1" and "01"): jansson's duplicate check then covers map keys too. */
        size_t i = n && key[0] == '-';
        bool canonical = i < n && (key[i] != '0' || (n == 1));
        for (size_t k = i; k < n && canonical; k++)
            canonical = is_digit(key[k]);
        if (!canonical)
            return fail(p, "expected a map key in decimal without leading zeros, got %s", quoted(p, key, n));
    }
    json_t *k = json_stringn_nocheck(key, n);
    int rc = read_scalar(p, kf, k, dst);
    json_decref(k);
    return rc;
}

static int read_map(parser *p, ProtobufCMessage *m, const ProtobufCFieldDescriptor *f, json_t *j)
{
    if (!json_is_object(j))
        return fail(p, "expected an object (a map)");
    const ProtobufCMessageDescriptor *ed = f->descriptor;
    const ProtobufCFieldDescriptor *kf = &ed->fields[0], *vf = &ed->fields[1];
    size_t n = json_object_size(j), i = 0;
    ProtobufCMessage **entries = n ? sg_arena_alloc(p->a, n * sizeof *entries) : NULL;
    const char *key;
    size_t klen;
    json_t *v;
    json_object_keylen_foreach(j, key, klen, v) {
        size_t old = path_push(p, key, klen);
        ProtobufCMessage *e = new_message(p, ed);
        int rc = read_map_key(p, kf, key, klen, field_ptr(e, kf));
        if (!rc)
            rc = read_element(p, vf, v, field_ptr(e, vf));
        path_pop(p, old);
        if (rc)
            return rc;
        entries[i++] = e;
    }
    *(size_t *)quantifier_ptr(m, f) = n;
    *(ProtobufCMessage ***)field_ptr(m, f) = entries;
    return 0;
}

/* Any field's value from j, marking it set as its kind wants (has-flag, oneof case). */
static int read_field(parser *p, ProtobufCMessage *m, const ProtobufCFieldDescriptor *f, json_t *j)
{
    if (json_is_null(j) && !(f->label != PROTOBUF_C_LABEL_REPEATED && null_allowed_in(f)))
        return 0;
    if (f->label == PROTOBUF_C_LABEL_REPEATED)
        return is_map(f) ? read_map(p, m, f, j) : read_list(p, m, f, j);
    void *dst = field_ptr(m, f);
    uint32_t *oneof_case = f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF ? quantifier_ptr(m, f) : NULL;
    if (oneof_case && *oneof_case != f->id) {
        if (*oneof_case) {
            const ProtobufCFieldDescriptor *other =
                protobuf_c_message_descriptor_get_field(m->descriptor, *oneof_case);
            return fail(p, "field \"%s\" of the same oneof is set already", other ? other->name : "?");
        }
        /* The union holds nothing of this member yet. */
        if (f->type == PROTOBUF_C_TYPE_MESSAGE)
            *(ProtobufCMessage **)dst = NULL;
    }
    int rc = f->type == PROTOBUF_C_TYPE_MESSAGE ? read_message(p, f->descriptor, j, dst)
                                                : read_scalar(p, f, j, dst);
    if (rc)
        return rc;
    if (oneof_case)
        *oneof_case = f->id;
    else if (f->label == PROTOBUF_C_LABEL_OPTIONAL && f->quantifier_offset &&
             f->type != PROTOBUF_C_TYPE_MESSAGE && f->type != PROTOBUF_C_TYPE_STRING)
        *(protobuf_c_boolean *)quantifier_ptr(m, f) = 1;
    return 0;
}

/* ---- messages ---- */

static int read_object(parser *p, ProtobufCMessage *m, json_t *j)
{
    const ProtobufCMessageDescriptor *d = m->descriptor;
    if (!json_is_object(j))
        return fail(p, "expected an object (%s)", d->name);
    /* A field may be named twice, by its JSON and its proto name: protojson refuses that. */
    bool *seen = sg_arena_calloc(p->a, d->n_fields + 1);
    const char *key;
    size_t klen;
    json_t *v;
    json_object_keylen_foreach(j, key, klen, v) {
        const ProtobufCFieldDescriptor *f = find_field(d, key, klen);
        size_t old = path_push(p, key, klen);
        int rc;
        if (!f) {
            /* Temporal's HTTP API leaves protojson's DiscardUnknown off, so a misspelt field
             * is an error there too rather than silently dropped. */
            p->why = sg_arena_printf(p->a, "unknown field \"%.*s\" (in %s)", (int)p->path.len,
                                     (const char *)sg_buf_head(&p->path), d->name);
            rc = SG_EINVAL;
        } else if (seen[f - d->fields]) {
            rc = fail(p, "field \"%s\" is given twice", f->name);
        } else {
            seen[f - d->fields] = true;
            rc = read_field(p, m, f, v);
        }
        path_pop(p, old);
        if (rc)
            return rc;
    }
    return 0;
}

/* Compact JSON text of j, as Temporal's SDKs store a json/plain payload's data: no spaces,
 * object members in their order, numbers in their shortest form that reads back the same. */
static int dump_json(parser *p, sg_buf *b, json_t *j, const char *skip_key, int depth)
{
    if (depth > SG_JSONPB_MAX_DEPTH)
        return fail(p, "nested deeper than %d levels", SG_JSONPB_MAX_DEPTH);
    switch (json_typeof(j)) {
    case JSON_OBJECT: {
        const char *key;
        size_t klen;
        json_t *v;
        bool first = true;
        sg_buf_append(b, "{", 1);
        json_object_keylen_foreach(j, key, klen, v) {
            if (skip_key && klen == strlen(skip_key) && memcmp(key, skip_key, klen) == 0)
                continue;
            if (!first)
                sg_buf_append(b, ",", 1);
            first = false;
            sg_pbjson_string(b, key, klen);
            sg_buf_append(b, ":", 1);
            int rc = dump_json(p, b, v, NULL, depth + 1);
            if (rc)
                return rc;
        }
        sg_buf_append(b, "}", 1);
        return 0;
    }
    case JSON_ARRAY:
        sg_buf_append(b, "[", 1);
        for (size_t i = 0; i < json_array_size(j); i++) {
            if (i)
                sg_buf_append(b, ",", 1);
            int rc = dump_json(p, b, json_array_get(j, i), NULL, depth + 1);
            if (rc)
                return rc;
        }
        sg_buf_append(b, "]", 1);
        return 0;
    case JSON_STRING:
        sg_pbjson_string(b, json_string_value(j), json_string_length(j));
        return 0;
    case JSON_INTEGER:
        sg_buf_printf(b, "%" JSON_INTEGER_FORMAT, json_integer_value(j));
        return 0;
    case JSON_REAL: {
        /* jansson's own printing uses 17 digits, which turns 0.1 into 0.10000000000000001. */
        double v = json_real_value(j);
        char s[40];
        for (int prec = 1; prec <= 17; prec++) {
            snprintf(s, sizeof s, "%.*g", prec, v);
            if (strtod(s, NULL) == v)
                break;
        }
        sg_buf_append_str(b, s);
        if (!strpbrk(s, ".eE"))
            sg_buf_append_str(b, ".0"); /* still a real when read again */
        return 0;
    }
    case JSON_TRUE: sg_buf_append_str(b, "true"); return 0;
    case JSON_FALSE: sg_buf_append_str(b, "false"); return 0;
    case JSON_NULL: sg_buf_append_str(b, "null"); return 0;
    }
    return fail(p, "unexpected JSON value");
}

/* Replaces a Payload's contents with the given metadata (encoding, and one more key if key2)
 * and data. */
static void set_payload(parser *p, ProtobufCMessage *m, const char *encoding, const char *key2,
                        const char *val2, size_t val2_len, const sg_buf *data)
{
    const ProtobufCMessageDescriptor *d = m->descriptor;
    const ProtobufCFieldDescriptor *mf = field_named(d, "metadata"), *df = field_named(d, "data");
    const ProtobufCMessageDescriptor *ed = mf->descriptor;
    size_t n = key2 ? 2 : 1;
    ProtobufCMessage **entries = sg_arena_alloc(p->a, n * sizeof *entries);
    for (size_t i = 0; i < n; i++) {
        ProtobufCMessage *e = new_message(p, ed);
        const char *k = i ? key2 : "encoding";
        const char *v = i ? val2 : encoding;
        size_t vlen = i ? val2_len : strlen(encoding);
        *(char **)field_ptr(e, &ed->fields[0]) = sg_arena_strdup(p->a, k);
        ProtobufCBinaryData *bv = field_ptr(e, &ed->fields[1]);
        bv->data = sg_arena_memdup(p->a, v, vlen);
        bv->len = vlen;
        entries[i] = e;
    }
    *(size_t *)quantifier_ptr(m, mf) = n;
    *(ProtobufCMessage ***)field_ptr(m, mf) = entries;
    ProtobufCBinaryData *bd = field_ptr(m, df);
    bd->len = data ? data->len : 0;
    bd->data = bd->len ? sg_arena_memdup(p->a, sg_buf_head(data), data->len) : NULL;
}

static bool is_base64(json_t *j)
{
    return json_is_string(j) && sg_base64_decode(NULL, json_string_value(j), json_string_length(j)) == 0;
}

/* Whether j is a Payload in proto form rather than a JSON value in shorthand. Temporal's rule
 * (api-go's payload_json.go): an object of "metadata" (an object of base64 strings, "encoding"
 * among them) and "data" (a base64 string) and nothing else. Unlike Temporal, "data" may be
 * missing whatever the encoding: protojson leaves empty bytes out, so that is how an empty
 * payload comes back from pbjson.c. */
static bool is_proto_payload(json_t *j)
{
    json_t *md = json_object_get(j, "metadata"), *data = json_object_get(j, "data");
    if (!json_is_object(md) || json_object_size(j) != (data ? 2u : 1u) ||
        !json_object_get(md, "encoding"))
        return false;
    const char *key;
    json_t *v;
    json_object_foreach(md, key, v) {
        if (!is_base64(v))
            return false;
    }
    return !data || is_base64(data);
}

static int read_payload(parser *p, ProtobufCMessage *m, json_t *j)
{
    if (json_is_object(j) && is_proto_payload(j))
        return read_object(p, m, j);
    if (json_is_null(j)) {
        set_payload(p, m, "binary/null", NULL, NULL, 0, NULL);
        return 0;
    }
    /* A proto message in JSON, tagged with its type by Temporal's shorthand writer. */
    json_t *type = json_is_object(j) ? json_object_get(j, "_protoMessageType") : NULL;
    if (type && !json_is_string(type))
        return fail(p, "\"_protoMessageType\" must be a string");
    sg_buf data;
    sg_buf_init(&data);
    int rc = dump_json(p, &data, j, type ? "_protoMessageType" : NULL, p->depth);
    if (!rc && type)
        set_payload(p, m, "json/protobuf", "messageType", json_string_value(type),
                    json_string_length(type), &data);
    else if (!rc)
        set_payload(p, m, "json/plain", NULL, NULL, 0, &data);
    sg_buf_deinit(&data);
    return rc;
}

static int read_timestamp(parser *p, ProtobufCMessage *m, json_t *j)
{
    int64_t s;
    int32_t ns;
    if (!json_is_string(j))
        return fail(p, "expected an RFC 3339 timestamp string such as \"2026-12-02T10:00:00Z\"");
    if (!parse_rfc3339(json_string_value(j), json_string_length(j), &s, &ns))
        return fail(p, "expected an RFC 3339 timestamp (years 1 to 9999) such as "
                       "\"2026-12-02T10:00:00.5+02:00\", got %s",
                    quoted(p, json_string_value(j), json_string_length(j)));
    *(int64_t *)field_ptr(m, field_named(m->descriptor, "seconds")) = s;
    *(int32_t *)field_ptr(m, field_named(m->descriptor, "nanos")) = ns;
    return 0;
}

static int read_duration(parser *p, ProtobufCMessage *m, json_t *j)
{
    int64_t s;
    int32_t ns;
    if (!json_is_string(j))
        return fail(p, "expected a duration string such as \"1.5s\"");
    if (!parse_duration(json_string_value(j), json_string_length(j), &s, &ns))
        return fail(p, "expected a duration such as \"1.5s\" (seconds, up to 9 fraction digits), got %s",
                    quoted(p, json_string_value(j), json_string_length(j)));
    *(int64_t *)field_ptr(m, field_named(m->descriptor, "seconds")) = s;
    *(int32_t *)field_ptr(m, field_named(m->descriptor, "nanos")) = ns;
    return 0;
}

/* "workflowId,execution.runId": each path's names back from lowerCamelCase to the .proto's. */
static int read_field_mask(parser *p, ProtobufCMessage *m, json_t *j)
{
    const char *s = json_string_value(j);
    size_t n = json_string_length(j);
    if (memchr(s, 0, n))
        return fail(p, "the string holds a NUL character");
    size_t count = 0;
    for (size_t i = 0; i < n; i++)
        count += s[i] == ',';
    count = n ? count + 1 : 0;
    char **paths = count ? sg_arena_alloc(p->a, count * sizeof *paths) : NULL;
    for (size_t k = 0, from = 0; k < count; k++) {
        size_t to = from;
        while (to < n && s[to] != ',')
            to++;
        if (to == from)
            return fail(p, "a field mask path is empty");
        sg_buf b;
        sg_buf_init(&b);
        for (size_t i = from; i < to; i++) {
            if (s[i] >= 'A' && s[i] <= 'Z') {
                char c[2] = { '_', (char)(s[i] + 32) };
                sg_buf_append(&b, c, 2);
            } else {
                sg_buf_append(&b, &s[i], 1);
            }
        }
        paths[k] = sg_arena_strndup(p->a, (const char *)sg_buf_head(&b), b.len);
        sg_buf_deinit(&b);
        from = to + 1;
    }
    const ProtobufCFieldDescriptor *f = field_named(m->descriptor, "paths");
    *(size_t *)quantifier_ptr(m, f) = count;
    *(char ***)field_ptr(m, f) = paths;
    return 0;
}

/* Fills an existing message from j: the well-known and Temporal types that have a JSON form
 * of their own, else a JSON object field by field. */
static int fill_message(parser *p, ProtobufCMessage *m, json_t *j)
{
    const ProtobufCMessageDescriptor *d = m->descriptor;
    if (p->depth >= SG_JSONPB_MAX_DEPTH)
        return fail(p, "nested deeper than %d levels", SG_JSONPB_MAX_DEPTH);
    p->depth++;
    int rc;
    if (is_named(d, "google.protobuf.Timestamp"))
        rc = read_timestamp(p, m, j);
    else if (is_named(d, "google.protobuf.Duration"))
        rc = read_duration(p, m, j);
    else if (is_payload(d))
        rc = read_payload(p, m, j);
    else if (is_named(d, "temporal.api.common.v1.Payloads") && json_is_array(j))
        rc = read_list(p, m, field_named(d, "payloads"), j);
    /* pbjson.c writes wrappers and field masks as plain messages: objects read as such. */
    else if (is_wrapper(d) && !json_is_object(j))
        rc = read_scalar(p, &d->fields[0], j, field_ptr(m, &d->fields[0]));
    else if (is_named(d, "google.protobuf.FieldMask") && json_is_string(j))
        rc = read_field_mask(p, m, j);
    else if (is_unsupported(d))
        rc = fail(p, "%s is not supported in JSON", d->name);
    else
        rc = read_object(p, m, j);
    p->depth--;
    return rc;
}

static int read_message(parser *p, const ProtobufCMessageDescriptor *d, json_t *j, ProtobufCMessage **slot)
{
    if (!*slot)
        *slot = new_message(p, d);
    return fill_message(p, *slot, j);
}

/* ---- entry points ---- */

static void finish(parser *p, const char **why)
{
    if (why)
        *why = p->why;
    sg_buf_deinit(&p->path);
}

int sg_jsonpb_parse_json(sg_arena *a, const struct json_t *v, ProtobufCMessage *m, const char **why)
{
    parser p = { .a = a };
    sg_buf_init(&p.path);
    /* jansson's readers take non-const values; nothing here changes v. */
    int rc = fill_message(&p, m, (json_t *)v);
    finish(&p, why);
    return rc;
}

int sg_jsonpb_parse(sg_arena *a, const char *text, size_t len, ProtobufCMessage *m, const char **why)
{
    json_error_t err;
    /* NUL is allowed in strings (a payload may hold one); string fields refuse it themselves. */
    json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY | JSON_ALLOW_NUL, &err);
    if (!root) {
        if (why)
            *why = sg_arena_printf(a, "malformed JSON at line %d, column %d: %s", err.line, err.column,
                                   err.text);
        return SG_EINVAL;
    }
    int rc = sg_jsonpb_parse_json(a, root, m, why);
    json_decref(root);
    return rc;
}

/* Go's strconv.ParseBool, which grpc-gateway reads query and path booleans with. */
static json_t *bool_from_string(const char *s)
{
    static const char *const yes[] = { "1", "t", "T", "true", "TRUE", "True" };
    static const char *const no[] = { "0", "f", "F", "false", "FALSE", "False" };
    for (size_t i = 0; i < SG_ARRAY_LEN(yes); i++) {
        if (strcmp(s, yes[i]) == 0)
            return json_true();
        if (strcmp(s, no[i]) == 0)
            return json_false();
    }
    return NULL;
}

static int set_from_string(parser *p, ProtobufCMessage *m, const ProtobufCFieldDescriptor *f,
                           const char *value)
{
    if (is_map(f))
        return fail(p, "a map cannot be set from a string");
    bool boolean = f->type == PROTOBUF_C_TYPE_BOOL || (f->type == PROTOBUF_C_TYPE_MESSAGE &&
                                                       is_named(f->descriptor, "google.protobuf.BoolValue"));
    json_t *v = boolean ? bool_from_string(value) : NULL;
    if (!v)
        v = json_string(value);
    if (!v)
        return fail(p, "the value is not valid UTF-8");
    int rc;
    if (f->label == PROTOBUF_C_LABEL_REPEATED) {
        /* A repeated query parameter (?a=1&a=2) arrives one value at a time. */
        size_t *n = quantifier_ptr(m, f), es = sg_pb_elem_size(f);
        void **arr = field_ptr(m, f);
        char *grown = sg_arena_realloc_array(p->a, *arr, *n, *n + 1, es);
        memset(grown + *n * es, 0, es);
        rc = read_element(p, f, v, grown + *n * es);
        if (!rc) {
            *arr = grown;
            ++*n;
        }
    } else {
        rc = read_field(p, m, f, v);
    }
    json_decref(v);
    return rc;
}

int sg_jsonpb_set_path(sg_arena *a, ProtobufCMessage *m, const char *path, const char *value,
                       const char **why)
{
    parser p = { .a = a };
    sg_buf_init(&p.path);
    int rc;
    for (const char *seg = path;;) {
        const char *dot = strchr(seg, '.');
        size_t n = dot ? (size_t)(dot - seg) : strlen(seg);
        const ProtobufCFieldDescriptor *f = find_field(m->descriptor, seg, n);
        path_push(&p, seg, n);
        if (!f) {
            p.why = sg_arena_printf(a, "unknown field \"%.*s\" (in %s)", (int)p.path.len,
                                    (const char *)sg_buf_head(&p.path), m->descriptor->name);
            rc = SG_ENOTFOUND;
            break;
        }
        if (!dot) {
            rc = set_from_string(&p, m, f, value);
            break;
        }
        if (f->label == PROTOBUF_C_LABEL_REPEATED || f->type != PROTOBUF_C_TYPE_MESSAGE) {
            rc = fail(&p, "not a message, so it has no field \"%s\"", dot + 1);
            break;
        }
        ProtobufCMessage **slot = field_ptr(m, f);
        if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
            uint32_t *oneof_case = quantifier_ptr(m, f);
            if (*oneof_case && *oneof_case != f->id) {
                const ProtobufCFieldDescriptor *other =
                    protobuf_c_message_descriptor_get_field(m->descriptor, *oneof_case);
                rc = fail(&p, "field \"%s\" of the same oneof is set already", other ? other->name : "?");
                break;
            }
            if (*oneof_case != f->id)
                *slot = NULL;
            *oneof_case = f->id;
        }
        if (!*slot)
            *slot = new_message(&p, f->descriptor);
        m = *slot;
        seg = dot + 1;
    }
    finish(&p, why);
    return rc;
}
