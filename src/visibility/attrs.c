/* SPDX-License-Identifier: Apache-2.0 */
/* attrs.c: search attribute payloads (JSON, as every SDK's default converter writes them) to
 * the typed values the visibility index stores. A small JSON reader is enough: the values are a
 * string, a number, a boolean, null or an array of strings. */
#include "visibility/attrs.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

typedef struct json {
    const char *p, *end;
} json;

static void ws(json *j)
{
    while (j->p < j->end && isspace((unsigned char)*j->p))
        j->p++;
}

static void put_utf8(char *out, size_t *n, unsigned cp)
{
    if (cp < 0x80) {
        out[(*n)++] = (char)cp;
    } else if (cp < 0x800) {
        out[(*n)++] = (char)(0xC0 | (cp >> 6));
        out[(*n)++] = (char)(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        out[(*n)++] = (char)(0xE0 | (cp >> 12));
        out[(*n)++] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[(*n)++] = (char)(0x80 | (cp & 0x3F));
    } else {
        out[(*n)++] = (char)(0xF0 | (cp >> 18));
        out[(*n)++] = (char)(0x80 | ((cp >> 12) & 0x3F));
        out[(*n)++] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[(*n)++] = (char)(0x80 | (cp & 0x3F));
    }
}

static int hex4(const char *s, unsigned *v)
{
    *v = 0;
    for (int i = 0; i < 4; i++) {
        char c = s[i];
        *v <<= 4;
        if (c >= '0' && c <= '9') *v |= (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f') *v |= (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F') *v |= (unsigned)(c - 'A' + 10);
        else return -1;
    }
    return 0;
}

/* A JSON string at j->p (after ws) into the arena, or NULL. */
static const char *string(sg_arena *a, json *j)
{
    if (j->p >= j->end || *j->p != '"')
        return NULL;
    j->p++;
    char *out = sg_arena_alloc(a, (size_t)(j->end - j->p) * 2 + 1);
    size_t n = 0;
    while (j->p < j->end && *j->p != '"') {
        char c = *j->p++;
        if (c != '\\') {
            out[n++] = c;
            continue;
        }
        if (j->p >= j->end)
            return NULL;
        c = *j->p++;
        switch (c) {
        case 'b': out[n++] = '\b'; break;
        case 'f': out[n++] = '\f'; break;
        case 'n': out[n++] = '\n'; break;
        case 'r': out[n++] = '\r'; break;
        case 't': out[n++] = '\t'; break;
        case 'u': {
            unsigned cp;
            if (j->end - j->p < 4 || hex4(j->p, &cp) < 0)
                return NULL;
            j->p += 4;
            if (cp >= 0xD800 && cp < 0xDC00 && j->end - j->p >= 6 && j->p[0] == '\\' && j->p[1] == 'u') {
                unsigned lo;
                if (hex4(j->p + 2, &lo) == 0 && lo >= 0xDC00 && lo < 0xE000) {
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                    j->p += 6;
                }
            }
            put_utf8(out, &n, cp);
            break;
        }
        default: out[n++] = c; break;
        }
    }
    if (j->p >= j->end)
        return NULL;
    j->p++;
    out[n] = 0;
    return out;
}

static bool word(json *j, const char *w)
{
    size_t n = strlen(w);
    if ((size_t)(j->end - j->p) < n || memcmp(j->p, w, n) != 0)
        return false;
    j->p += n;
    return true;
}

static void push(sg_arena *a, const char *name, sg_vq_value v, sg_vis_attr **out, size_t *n,
                 size_t *cap)
{
    if (*n == *cap) {
        *cap = *cap ? *cap * 2 : 8;
        *out = sg_arena_realloc_array(a, *out, *n, *cap, sizeof **out);
    }
    (*out)[(*n)++] = (sg_vis_attr){ name, v };
}

/* One scalar at j->p as the declared type (0: whatever the JSON is). False if unusable. */
static bool scalar(sg_arena *a, json *j, int type, sg_vq_value *v)
{
    ws(j);
    if (j->p >= j->end)
        return false;
    if (*j->p == '"') {
        const char *s = string(a, j);
        if (!s)
            return false;
        if (type == SG_VQ_DATETIME) {
            int64_t ms;
            if (!sg_vq_parse_time(s, &ms))
                return false;
            *v = (sg_vq_value){ .kind = VQ_V_INT, .i = ms };
            return true;
        }
        *v = (sg_vq_value){ .kind = VQ_V_TEXT, .s = s };
        return true;
    }
    if (word(j, "true") || word(j, "false")) {
        *v = (sg_vq_value){ .kind = VQ_V_INT, .i = j->p[-1] == 'e' && j->p[-2] == 'u' };
        return true;
    }
    char buf[64];
    size_t n = 0;
    while (j->p < j->end && n + 1 < sizeof buf && strchr("+-.0123456789eE", *j->p))
        buf[n++] = *j->p++;
    buf[n] = 0;
    if (!n)
        return false;
    char *end;
    errno = 0;
    if (type != SG_VQ_DOUBLE && !strpbrk(buf, ".eE")) {
        long long i = strtoll(buf, &end, 10);
        if (*end || errno)
            return false;
        *v = (sg_vq_value){ .kind = VQ_V_INT, .i = i };
        return true;
    }
    double d = strtod(buf, &end);
    if (*end || errno)
        return false;
    *v = (sg_vq_value){ .kind = VQ_V_REAL, .r = d };
    return true;
}

static int declared_type(const Temporal__Api__Common__V1__Payload *p)
{
    static const char *const names[] = { NULL, "Text", "Keyword", "Int", "Double", "Bool", "Datetime",
                                         "KeywordList" };
    for (size_t i = 0; i < p->n_metadata; i++) {
        if (strcmp(p->metadata[i]->key, "type") != 0)
            continue;
        const ProtobufCBinaryData *d = &p->metadata[i]->value;
        for (int t = 1; t < (int)SG_ARRAY_LEN(names); t++)
            if (d->len == strlen(names[t]) && memcmp(d->data, names[t], d->len) == 0)
                return t;
    }
    return 0;
}

/* Text is indexed by its words (full-text match); everything else as it is. */
static void push_value(sg_arena *a, const char *name, int type, sg_vq_value v, sg_vis_attr **out,
                       size_t *n, size_t *cap)
{
    if (type != SG_VQ_TEXT) {
        push(a, name, v, out, n, cap);
        return;
    }
    const char **words;
    size_t k = sg_vq_words(a, v.s, &words);
    for (size_t i = 0; i < k; i++)
        push(a, name, (sg_vq_value){ .kind = VQ_V_TEXT, .s = words[i] }, out, n, cap);
}

/* Whether v is a value of type (0: any). */
static bool fits(int type, const sg_vq_value *v)
{
    switch (type) {
    case SG_VQ_KEYWORD:
    case SG_VQ_TEXT:
    case SG_VQ_KEYWORD_LIST: return v->kind == VQ_V_TEXT;
    case SG_VQ_INT:
    case SG_VQ_BOOL:
    case SG_VQ_DATETIME: return v->kind == VQ_V_INT;
    case SG_VQ_DOUBLE:
        if (v->kind == VQ_V_INT) /* 2 is a fine Double */
            *(sg_vq_value *)v = (sg_vq_value){ .kind = VQ_V_REAL, .r = (double)v->i };
        return v->kind == VQ_V_REAL;
    default: return true;
    }
}

bool sg_vis_attr_values(sg_arena *a, const char *name,
                        const Temporal__Api__Common__V1__Payload *p, int registered_type,
                        sg_vis_attr **out, size_t *n, size_t *cap)
{
    if (!p || !p->data.len)
        return true;
    json j = { (const char *)p->data.data, (const char *)p->data.data + p->data.len };
    int type = registered_type ? registered_type : declared_type(p);
    ws(&j);
    if (word(&j, "null"))
        return true; /* a removal */
    sg_vq_value v;
    if (j.p < j.end && *j.p == '[') {
        j.p++;
        for (size_t k = 0;; k++) {
            ws(&j);
            if (j.p < j.end && *j.p == ']')
                return true;
            /* Only a KeywordList holds several values (a one-item array is the legacy form). */
            if (k > 0 && type && type != SG_VQ_KEYWORD_LIST)
                return false;
            if (!scalar(a, &j, type == SG_VQ_KEYWORD_LIST ? 0 : type, &v) || !fits(type, &v))
                return false;
            push_value(a, name, type, v, out, n, cap);
            ws(&j);
            if (j.p < j.end && *j.p == ',')
                j.p++;
            else if (j.p < j.end && *j.p != ']')
                return false;
        }
    }
    if (!scalar(a, &j, type, &v) || !fits(type, &v))
        return false;
    push_value(a, name, type, v, out, n, cap);
    return true;
}

const char *sg_vis_check_attrs(sg_arena *a, const Temporal__Api__Common__V1__SearchAttributes *sa,
                               int (*type_of)(void *ud, const char *name), void *ud)
{
    static const char *const names[] = { "", "Text", "Keyword", "Int", "Double", "Bool", "Datetime",
                                         "KeywordList" };
    if (sa && sa->n_indexed_fields > SG_VIS_MAX_ATTRS)
        return sg_arena_printf(a, "number of search attributes %zu exceeds limit %d",
                               sa->n_indexed_fields, SG_VIS_MAX_ATTRS);
    for (size_t i = 0; sa && i < sa->n_indexed_fields; i++) {
        const char *name = sa->indexed_fields[i]->key;
        if (sg_vq_reserved(name))
            return sg_arena_printf(a, "%s attribute can't be set in SearchAttributes", name);
        int type = sg_vq_predefined_type(name);
        if (!type)
            type = type_of ? type_of(ud, name) : 0;
        if (!type)
            return sg_arena_printf(a, "search attribute %s is not defined", name);
        sg_vis_attr *vals = NULL;
        size_t n = 0, cap = 0;
        if (!sg_vis_attr_values(a, name, sa->indexed_fields[i]->value, type, &vals, &n, &cap))
            return sg_arena_printf(a, "invalid value for search attribute %s of type %s", name,
                                   names[type]);
    }
    /* Sizes, checked after the values as Temporal's frontend does. */
    for (size_t i = 0; sa && i < sa->n_indexed_fields; i++) {
        const Temporal__Api__Common__V1__Payload *v = sa->indexed_fields[i]->value;
        size_t len = v ? v->data.len : 0;
        if (len > SG_VIS_MAX_VALUE_BYTES)
            return sg_arena_printf(a, "search attribute %s value size %zu exceeds size limit %d",
                                   sa->indexed_fields[i]->key, len, SG_VIS_MAX_VALUE_BYTES);
    }
    size_t total = sa ? protobuf_c_message_get_packed_size(&sa->base) : 0;
    if (total > SG_VIS_MAX_TOTAL_BYTES)
        return sg_arena_printf(a, "total size of search attributes %zu exceeds size limit %d", total,
                               SG_VIS_MAX_TOTAL_BYTES);
    return NULL;
}
