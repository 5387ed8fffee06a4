/* SPDX-License-Identifier: Apache-2.0 */
/* validate.c: one pass over a request's wire bytes before it is unpacked (see validate.h).
 *
 * The walk recurses only into fields the descriptor declares as messages, so its own depth is
 * bounded by SG_VALIDATE_MAX_DEPTH; bytes fields and unknown fields are skipped by length.
 * Anything that does not parse is left alone: protobuf-c rejects it right after. */
#include "rpc/validate.h"

#include "core/buf.h"

#include "google/protobuf/duration.pb-c.h"
#include "google/protobuf/timestamp.pb-c.h"
#include "temporal/api/common/v1/message.pb-c.h"
#include "temporal/api/taskqueue/v1/message.pb-c.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* protobuf's own bounds (google/protobuf/duration.proto, timestamp.proto). */
#define DUR_MAX_SECONDS 315576000000LL
#define TS_MIN_SECONDS -62135596800LL /* 0001-01-01T00:00:00Z */
#define TS_MAX_SECONDS 253402300799LL /* 9999-12-31T23:59:59Z */
#define MAX_NANOS 999999999

typedef struct walk {
    sg_arena *a;
    char *why;
    const char *path[SG_VALIDATE_MAX_DEPTH + 1]; /* field names from the root */
} walk;

static bool read_varint(const uint8_t **p, const uint8_t *end, uint64_t *out)
{
    uint64_t v = 0;
    for (int shift = 0; shift < 64 && *p < end; shift += 7) {
        uint8_t b = *(*p)++;
        v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            *out = v;
            return true;
        }
    }
    return false;
}

/* "a.b.c", with a run of one name written once and counted: "failure.cause (x99)". */
static const char *path_str(walk *w, int depth)
{
    if (depth == 0)
        return "request";
    sg_buf b;
    sg_buf_init(&b);
    for (int i = 0; i < depth;) {
        int run = 1;
        while (i + run < depth && strcmp(w->path[i + run], w->path[i]) == 0)
            run++;
        if (i)
            sg_buf_append(&b, ".", 1);
        sg_buf_append(&b, w->path[i], strlen(w->path[i]));
        if (run > 2) {
            char n[24];
            sg_buf_append(&b, n, (size_t)snprintf(n, sizeof n, " (x%d)", run));
            i += run;
        } else {
            i++;
        }
    }
    char *s = sg_arena_strndup(w->a, (const char *)sg_buf_head(&b), b.len);
    sg_buf_deinit(&b);
    return s;
}

static int fail(walk *w, int depth, const char *fmt, ...) SG_PRINTF(3, 4);
static int fail(walk *w, int depth, const char *fmt, ...)
{
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    w->why = sg_arena_printf(w->a, "%s: %s", path_str(w, depth), msg);
    return SG_EINVAL;
}

bool sg_validate_utf8(const uint8_t *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        uint8_t c = s[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t len;
        uint32_t cp, min;
        if ((c & 0xe0) == 0xc0) {
            len = 2, cp = c & 0x1f, min = 0x80;
        } else if ((c & 0xf0) == 0xe0) {
            len = 3, cp = c & 0x0f, min = 0x800;
        } else if ((c & 0xf8) == 0xf0) {
            len = 4, cp = c & 0x07, min = 0x10000;
        } else {
            return false;
        }
        if (n - i < len)
            return false;
        for (size_t k = 1; k < len; k++) {
            if ((s[i + k] & 0xc0) != 0x80)
                return false;
            cp = cp << 6 | (s[i + k] & 0x3f);
        }
        if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
            return false;
        i += len;
    }
    return true;
}

/* Strings Temporal bounds by limit.maxIDLength: by field name anywhere, and `name` inside the
 * messages that name a task queue or a type. */
static bool is_id_field(const ProtobufCMessageDescriptor *d, const char *field)
{
    static const char *const ids[] = { "namespace",   "workflow_id", "run_id",      "request_id",
                                       "activity_id", "timer_id",    "identity",    "signal_name",
                                       "query_type" };
    for (size_t i = 0; i < SG_ARRAY_LEN(ids); i++)
        if (strcmp(field, ids[i]) == 0)
            return true;
    return strcmp(field, "name") == 0 &&
           (d == &temporal__api__taskqueue__v1__task_queue__descriptor ||
            d == &temporal__api__common__v1__workflow_type__descriptor ||
            d == &temporal__api__common__v1__activity_type__descriptor);
}

static int check_string(walk *w, int depth, const ProtobufCMessageDescriptor *d,
                        const uint8_t *s, size_t n)
{
    if (memchr(s, 0, n))
        return fail(w, depth, "string contains a NUL byte, which Sandglass does not accept");
    if (!sg_validate_utf8(s, n))
        return fail(w, depth, "string field contains invalid UTF-8");
    if (n > SG_VALIDATE_MAX_ID_LEN && is_id_field(d, w->path[depth - 1]))
        return fail(w, depth, "exceeds length limit (%zu bytes, at most %d)", n,
                    SG_VALIDATE_MAX_ID_LEN);
    return 0;
}

static int check_time(walk *w, int depth, bool is_duration, int64_t secs, int64_t nanos)
{
    if (is_duration) {
        if (secs < -DUR_MAX_SECONDS || secs > DUR_MAX_SECONDS)
            return fail(w, depth, "Duration seconds %" PRId64 " out of range (at most %lld)", secs,
                        DUR_MAX_SECONDS);
        if (nanos < -MAX_NANOS || nanos > MAX_NANOS)
            return fail(w, depth, "Duration nanos %" PRId64 " out of range", nanos);
        if ((secs > 0 && nanos < 0) || (secs < 0 && nanos > 0))
            return fail(w, depth, "Duration seconds and nanos have different signs");
        return 0;
    }
    if (secs < TS_MIN_SECONDS || secs > TS_MAX_SECONDS)
        return fail(w, depth, "Timestamp seconds %" PRId64 " out of range", secs);
    if (nanos < 0 || nanos > MAX_NANOS)
        return fail(w, depth, "Timestamp nanos %" PRId64 " out of range", nanos);
    return 0;
}

/* Walks the message d encoded in p[0..n), `depth` levels below the request. */
static int walk_message(walk *w, const ProtobufCMessageDescriptor *d, const uint8_t *p, size_t n,
                        int depth)
{
    bool is_duration = d == &google__protobuf__duration__descriptor;
    bool is_time = is_duration || d == &google__protobuf__timestamp__descriptor;
    int64_t secs = 0, nanos = 0;
    const uint8_t *end = p + n;
    while (p < end) {
        uint64_t tag, v;
        if (!read_varint(&p, end, &tag))
            return 0;
        uint32_t num = (uint32_t)(tag >> 3);
        const ProtobufCFieldDescriptor *f =
            tag >> 3 <= UINT32_MAX ? protobuf_c_message_descriptor_get_field(d, num) : NULL;
        switch (tag & 7) {
        case 0: /* varint */
            if (!read_varint(&p, end, &v))
                return 0;
            if (is_time && num == 1)
                secs = (int64_t)v;
            else if (is_time && num == 2)
                nanos = (int32_t)(uint32_t)v; /* int32 on the wire: the low 32 bits */
            break;
        case 1: /* fixed64 */
            if (end - p < 8)
                return 0;
            p += 8;
            break;
        case 5: /* fixed32 */
            if (end - p < 4)
                return 0;
            p += 4;
            break;
        case 2: { /* length-delimited */
            uint64_t len;
            if (!read_varint(&p, end, &len) || len > (uint64_t)(end - p))
                return 0;
            if (f && (f->type == PROTOBUF_C_TYPE_MESSAGE || f->type == PROTOBUF_C_TYPE_STRING)) {
                w->path[depth] = f->name;
                int rc;
                if (f->type == PROTOBUF_C_TYPE_STRING) {
                    rc = check_string(w, depth + 1, d, p, (size_t)len);
                } else if (depth + 1 >= SG_VALIDATE_MAX_DEPTH) {
                    rc = fail(w, depth + 1, "messages nested deeper than %d levels",
                              SG_VALIDATE_MAX_DEPTH);
                } else {
                    rc = walk_message(w, f->descriptor, p, (size_t)len, depth + 1);
                }
                if (rc < 0)
                    return rc;
            }
            p += len;
            break;
        }
        default: /* groups (3, 4) and invalid wire types: protobuf-c refuses them */
            return 0;
        }
    }
    return is_time ? check_time(w, depth, is_duration, secs, nanos) : 0;
}

int sg_validate_request(const ProtobufCMessageDescriptor *desc, const uint8_t *bytes, size_t len,
                        sg_arena *a, char **why)
{
    walk w = { .a = a };
    int rc = walk_message(&w, desc, bytes, len, 0);
    *why = w.why;
    return rc;
}
