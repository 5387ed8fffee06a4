/* SPDX-License-Identifier: Apache-2.0 */
/* pbenc.c: protobuf-c messages serialized back to front in one walk (pbenc.h says why).
 *
 * The output must equal protobuf_c_message_pack's (tests/unit/test_pbenc.c and fuzz_pbenc
 * compare them), so the presence rules are protobuf-c 1.4's: fields in descriptor order, then
 * the unknown fields as kept; a proto3 field (label NONE) is written when not zero, empty or
 * NULL; an optional one when its has_ flag says so, or, for a string or message, when its
 * pointer is set and not the default; a oneof member when its case names it; a negative int32
 * or enum as ten bytes; a required string or message left NULL as an empty one. Writing back to
 * front, each of those sequences is walked in reverse. */
#include "core/pbenc.h"
#include "core/pbwire.h"

#include "core/sg.h"

#include <string.h>

#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "pbenc.c writes fixed-width fields as the host's bytes: little-endian hosts only"
#endif

/* The bytes written so far are b[cap - used, cap). */
typedef struct rbuf {
    uint8_t *b;
    size_t cap, used;
} rbuf;

/* Above this, the scratch buffer is given back before the next encode rather than kept. */
#define SCRATCH_KEEP (4u << 20)

static _Thread_local rbuf scratch;

static void grow(rbuf *w, size_t n)
{
    size_t cap = w->cap ? w->cap : 4096;
    while (cap - w->used < n)
        cap *= 2;
    uint8_t *nb = sg_malloc(cap);
    if (w->used)
        memcpy(nb + cap - w->used, w->b + w->cap - w->used, w->used);
    sg_free(w->b);
    w->b = nb;
    w->cap = cap;
}

static inline uint8_t *take(rbuf *w, size_t n)
{
    if (w->cap - w->used < n)
        grow(w, n);
    w->used += n;
    return w->b + w->cap - w->used;
}

static inline void put_varint(rbuf *w, uint64_t v)
{
    /* Most varints are tags and short lengths: one byte, without measuring. */
    if (v < 0x80 && w->used < w->cap) {
        w->used++;
        w->b[w->cap - w->used] = (uint8_t)v;
        return;
    }
    size_t n = v ? (size_t)(63 - __builtin_clzll(v)) / 7 + 1 : 1;
    uint8_t *p = take(w, n);
    for (size_t i = 0; i + 1 < n; i++) {
        p[i] = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    p[n - 1] = (uint8_t)v;
}

static inline void put_raw(rbuf *w, const void *p, size_t n)
{
    if (n)
        memcpy(take(w, n), p, n);
}

static inline void put_tag(rbuf *w, uint32_t id, ProtobufCWireType wt)
{
    put_varint(w, ((uint64_t)id << 3) | (uint64_t)wt);
}

static void put_message(rbuf *w, const ProtobufCMessage *m);

/* One value of f's type, without its tag: the payload of a packed field's element. */
static void put_scalar(rbuf *w, ProtobufCType t, const void *v)
{
    switch (t) {
    case PROTOBUF_C_TYPE_SINT32: {
        int32_t x = *(const int32_t *)v;
        put_varint(w, ((uint32_t)x << 1) ^ (uint32_t)(x >> 31));
        return;
    }
    case PROTOBUF_C_TYPE_ENUM:
    case PROTOBUF_C_TYPE_INT32:
        put_varint(w, (uint64_t)(int64_t) * (const int32_t *)v);
        return;
    case PROTOBUF_C_TYPE_UINT32:
        put_varint(w, *(const uint32_t *)v);
        return;
    case PROTOBUF_C_TYPE_SINT64: {
        int64_t x = *(const int64_t *)v;
        put_varint(w, ((uint64_t)x << 1) ^ (uint64_t)(x >> 63));
        return;
    }
    case PROTOBUF_C_TYPE_INT64:
    case PROTOBUF_C_TYPE_UINT64:
        put_varint(w, *(const uint64_t *)v);
        return;
    case PROTOBUF_C_TYPE_SFIXED32:
    case PROTOBUF_C_TYPE_FIXED32:
    case PROTOBUF_C_TYPE_FLOAT:
        put_raw(w, v, 4);
        return;
    case PROTOBUF_C_TYPE_SFIXED64:
    case PROTOBUF_C_TYPE_FIXED64:
    case PROTOBUF_C_TYPE_DOUBLE:
        put_raw(w, v, 8);
        return;
    case PROTOBUF_C_TYPE_BOOL: {
        uint8_t b = *(const protobuf_c_boolean *)v ? 1 : 0;
        put_raw(w, &b, 1);
        return;
    }
    default:
        sg_assert(!"not a scalar type");
    }
}

/* Indexed by ProtobufCType (a dense enum from INT32 = 0 to MESSAGE). */
static const uint8_t wire_types[] = {
    [PROTOBUF_C_TYPE_INT32] = PROTOBUF_C_WIRE_TYPE_VARINT,
    [PROTOBUF_C_TYPE_SINT32] = PROTOBUF_C_WIRE_TYPE_VARINT,
    [PROTOBUF_C_TYPE_SFIXED32] = PROTOBUF_C_WIRE_TYPE_32BIT,
    [PROTOBUF_C_TYPE_INT64] = PROTOBUF_C_WIRE_TYPE_VARINT,
    [PROTOBUF_C_TYPE_SINT64] = PROTOBUF_C_WIRE_TYPE_VARINT,
    [PROTOBUF_C_TYPE_SFIXED64] = PROTOBUF_C_WIRE_TYPE_64BIT,
    [PROTOBUF_C_TYPE_UINT32] = PROTOBUF_C_WIRE_TYPE_VARINT,
    [PROTOBUF_C_TYPE_FIXED32] = PROTOBUF_C_WIRE_TYPE_32BIT,
    [PROTOBUF_C_TYPE_UINT64] = PROTOBUF_C_WIRE_TYPE_VARINT,
    [PROTOBUF_C_TYPE_FIXED64] = PROTOBUF_C_WIRE_TYPE_64BIT,
    [PROTOBUF_C_TYPE_FLOAT] = PROTOBUF_C_WIRE_TYPE_32BIT,
    [PROTOBUF_C_TYPE_DOUBLE] = PROTOBUF_C_WIRE_TYPE_64BIT,
    [PROTOBUF_C_TYPE_BOOL] = PROTOBUF_C_WIRE_TYPE_VARINT,
    [PROTOBUF_C_TYPE_ENUM] = PROTOBUF_C_WIRE_TYPE_VARINT,
    [PROTOBUF_C_TYPE_STRING] = PROTOBUF_C_WIRE_TYPE_LENGTH_PREFIXED,
    [PROTOBUF_C_TYPE_BYTES] = PROTOBUF_C_WIRE_TYPE_LENGTH_PREFIXED,
    [PROTOBUF_C_TYPE_MESSAGE] = PROTOBUF_C_WIRE_TYPE_LENGTH_PREFIXED,
};

static inline ProtobufCWireType wire_type(ProtobufCType t)
{
    sg_assert((unsigned)t < sizeof wire_types);
    return (ProtobufCWireType)wire_types[t];
}

/* One whole field occurrence, tag included (protobuf-c's required_field_pack). */
static void put_field(rbuf *w, const ProtobufCFieldDescriptor *f, const void *member)
{
    switch (f->type) {
    case PROTOBUF_C_TYPE_STRING: {
        const char *s = *(char *const *)member;
        size_t n = s ? strlen(s) : 0;
        put_raw(w, s, n);
        put_varint(w, (uint32_t)n);
        break;
    }
    case PROTOBUF_C_TYPE_BYTES: {
        const ProtobufCBinaryData *bd = member;
        put_raw(w, bd->data, bd->len);
        put_varint(w, (uint32_t)bd->len);
        break;
    }
    case PROTOBUF_C_TYPE_MESSAGE: {
        const ProtobufCMessage *sub = *(ProtobufCMessage *const *)member;
        size_t mark = w->used;
        if (sub)
            put_message(w, sub);
        put_varint(w, (uint32_t)(w->used - mark));
        break;
    }
    default:
        put_scalar(w, f->type, member);
        break;
    }
    put_tag(w, f->id, wire_type(f->type));
}

/* protobuf-c's field_is_zeroish: a proto3 field left at its default is not written. */
static bool is_zeroish(const ProtobufCFieldDescriptor *f, const void *member)
{
    switch (f->type) {
    case PROTOBUF_C_TYPE_BOOL:
        return *(const protobuf_c_boolean *)member == 0;
    case PROTOBUF_C_TYPE_ENUM:
    case PROTOBUF_C_TYPE_SINT32:
    case PROTOBUF_C_TYPE_INT32:
    case PROTOBUF_C_TYPE_UINT32:
    case PROTOBUF_C_TYPE_SFIXED32:
    case PROTOBUF_C_TYPE_FIXED32:
        return *(const uint32_t *)member == 0;
    case PROTOBUF_C_TYPE_SINT64:
    case PROTOBUF_C_TYPE_INT64:
    case PROTOBUF_C_TYPE_UINT64:
    case PROTOBUF_C_TYPE_SFIXED64:
    case PROTOBUF_C_TYPE_FIXED64:
        return *(const uint64_t *)member == 0;
    case PROTOBUF_C_TYPE_FLOAT:
        return *(const float *)member == 0;
    case PROTOBUF_C_TYPE_DOUBLE:
        return *(const double *)member == 0;
    case PROTOBUF_C_TYPE_STRING: {
        const char *s = *(const char *const *)member;
        return !s || !*s;
    }
    case PROTOBUF_C_TYPE_BYTES:
        /* protobuf-c reads the first word, which for ProtobufCBinaryData is its length. */
        return ((const ProtobufCBinaryData *)member)->len == 0;
    case PROTOBUF_C_TYPE_MESSAGE:
        return *(const void *const *)member == NULL;
    }
    return true;
}

static void put_repeated(rbuf *w, const ProtobufCFieldDescriptor *f, size_t n, const void *member)
{
    const uint8_t *arr = *(const uint8_t *const *)member;
    size_t sz = sg_pb_elem_size(f);
    if (!n)
        return;
    if (f->flags & PROTOBUF_C_FIELD_FLAG_PACKED) {
        size_t mark = w->used;
        for (size_t i = n; i-- > 0;)
            put_scalar(w, f->type, arr + i * sz);
        put_varint(w, (uint32_t)(w->used - mark));
        put_tag(w, f->id, PROTOBUF_C_WIRE_TYPE_LENGTH_PREFIXED);
        return;
    }
    for (size_t i = n; i-- > 0;)
        put_field(w, f, arr + i * sz);
}

static void put_message(rbuf *w, const ProtobufCMessage *m)
{
    for (size_t i = m->n_unknown_fields; i-- > 0;) {
        const ProtobufCMessageUnknownField *u = &m->unknown_fields[i];
        put_raw(w, u->data, u->len);
        put_tag(w, u->tag, u->wire_type);
    }
    const ProtobufCMessageDescriptor *d = m->descriptor;
    const char *base = (const char *)m;
    for (unsigned i = d->n_fields; i-- > 0;) {
        const ProtobufCFieldDescriptor *f = &d->fields[i];
        const void *member = base + f->offset;
        const void *q = base + f->quantifier_offset;
        bool pointer = f->type == PROTOBUF_C_TYPE_MESSAGE || f->type == PROTOBUF_C_TYPE_STRING;
        switch (f->label) {
        case PROTOBUF_C_LABEL_REQUIRED:
            put_field(w, f, member);
            break;
        case PROTOBUF_C_LABEL_OPTIONAL:
        case PROTOBUF_C_LABEL_NONE:
            if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
                if (*(const uint32_t *)q != f->id)
                    break;
                if (pointer) {
                    const void *p = *(const void *const *)member;
                    if (!p || p == f->default_value)
                        break;
                }
                put_field(w, f, member);
            } else if (f->label == PROTOBUF_C_LABEL_OPTIONAL) {
                if (pointer) {
                    const void *p = *(const void *const *)member;
                    if (!p || p == f->default_value)
                        break;
                } else if (!*(const protobuf_c_boolean *)q) {
                    break;
                }
                put_field(w, f, member);
            } else if (!is_zeroish(f, member)) {
                put_field(w, f, member);
            }
            break;
        case PROTOBUF_C_LABEL_REPEATED:
            put_repeated(w, f, *(const size_t *)q, member);
            break;
        }
    }
}

const uint8_t *sg_pb_encode(const ProtobufCMessage *m, size_t *len)
{
    rbuf *w = &scratch;
    if (w->cap > SCRATCH_KEEP) {
        sg_free(w->b);
        *w = (rbuf){ 0 };
    }
    w->used = 0;
    put_message(w, m);
    *len = w->used;
    /* An empty message writes nothing and may find no buffer yet: hand out a valid pointer. */
    static const uint8_t none[1];
    return w->used ? w->b + w->cap - w->used : none;
}

void sg_pb_encode_field(sg_buf *out, uint32_t field, const ProtobufCMessage *m)
{
    size_t n;
    sg_pb_encode(m, &n);
    /* The header goes in front of the bytes just written, in the same buffer. */
    rbuf *w = &scratch;
    put_varint(w, (uint32_t)n);
    put_tag(w, field, PROTOBUF_C_WIRE_TYPE_LENGTH_PREFIXED);
    sg_buf_append(out, w->b + w->cap - w->used, w->used);
}

size_t sg_pb_encode_append(const ProtobufCMessage *m, sg_buf *out)
{
    size_t n;
    const uint8_t *p = sg_pb_encode(m, &n);
    sg_buf_append(out, p, n);
    return n;
}

uint8_t *sg_pb_encode_arena(const ProtobufCMessage *m, sg_arena *a, size_t *len)
{
    const uint8_t *p = sg_pb_encode(m, len);
    uint8_t *out = sg_arena_alloc(a, *len ? *len : 1);
    memcpy(out, p, *len);
    return out;
}

uint8_t *sg_pb_encode_alloc(const ProtobufCMessage *m, size_t *len)
{
    const uint8_t *p = sg_pb_encode(m, len);
    uint8_t *out = sg_malloc(*len ? *len : 1);
    memcpy(out, p, *len);
    return out;
}
