/* SPDX-License-Identifier: Apache-2.0 */
/* pbutil.c: small protobuf helpers of the history engine — times and durations, copies of
 * messages into an arena or onto the heap (the mutable state), map merges for memo and search
 * attributes, heap strings of the mutable state, and the few messages built in many places. */
#include "history/hist.h"
#include "history/pbutil.h"

#include "core/pbwire.h"

#include <string.h>

pb_ts *sg_ts_ms(sg_arena *a, int64_t ms)
{
    pb_ts *t = sg_arena_alloc(a, sizeof *t);
    google__protobuf__timestamp__init(t);
    t->seconds = ms / 1000;
    t->nanos = (int32_t)(ms % 1000) * 1000000;
    return t;
}

pb_dur *sg_dur_ms(sg_arena *a, int64_t ms)
{
    pb_dur *d = sg_arena_alloc(a, sizeof *d);
    google__protobuf__duration__init(d);
    d->seconds = ms / 1000;
    d->nanos = (int32_t)(ms % 1000) * 1000000;
    return d;
}

/* Requests are range-checked at the boundary (rpc/validate.c), but these also read stored
 * state, which may predate that check: clamping to protobuf's range keeps every sum and
 * product of times (at most a few times 3.2e14 ms) far from int64 overflow. */
#define PB_MAX_SECONDS 315576000000LL

static int64_t clamp_seconds(int64_t s)
{
    return s > PB_MAX_SECONDS ? PB_MAX_SECONDS : s < -PB_MAX_SECONDS ? -PB_MAX_SECONDS : s;
}

int64_t sg_dur_to_ms(const pb_dur *d)
{
    if (!d)
        return 0;
    return clamp_seconds(d->seconds) * 1000 + ((int64_t)d->nanos + 999999) / 1000000;
}

int64_t sg_ts_to_ms(const pb_ts *t)
{
    return t ? clamp_seconds(t->seconds) * 1000 + t->nanos / 1000000 : 0;
}

void *sg_pb_clone_arena(sg_arena *a, const ProtobufCMessage *m)
{
    return sg_pb_clone(m, &a->pb);
}

void *sg_pb_clone_heap(const ProtobufCMessage *m)
{
    return sg_pb_clone(m, NULL);
}

/* Memo.fields and SearchAttributes.indexed_fields are both map<string, Payload>; protobuf-c
 * gives each its own entry type with the same layout, hence one implementation on the shared
 * shape. */
typedef struct map_entry {
    ProtobufCMessage base;
    char *key;
    Temporal__Api__Common__V1__Payload *value;
} map_entry;

bool sg_payload_is_nil(const Temporal__Api__Common__V1__Payload *p)
{
    if (!p || !p->data.len)
        return true;
    /* JSON's null, and an empty list (older SDKs cleared a KeywordList with it). */
    return (p->data.len == 4 && !memcmp(p->data.data, "null", 4)) ||
           (p->data.len == 2 && !memcmp(p->data.data, "[]", 2));
}

/* The entries of a map whose payloads are set, into an arena array; their number. */
static size_t set_entries(sg_arena *a, map_entry *const *in, size_t n, map_entry ***out)
{
    size_t kept = 0;
    for (size_t i = 0; i < n; i++)
        kept += !sg_payload_is_nil(in[i]->value);
    *out = (map_entry **)in;
    if (kept == n || !kept)
        return kept;
    *out = sg_arena_alloc(a, kept * sizeof **out);
    for (size_t i = 0, k = 0; i < n; i++)
        if (!sg_payload_is_nil(in[i]->value))
            (*out)[k++] = in[i];
    return kept;
}

Temporal__Api__Common__V1__Memo *sg_memo_without_nils(sg_arena *a,
                                                      const Temporal__Api__Common__V1__Memo *m)
{
    map_entry **entries;
    size_t n = m ? set_entries(a, (map_entry *const *)m->fields, m->n_fields, &entries) : 0;
    if (!n)
        return NULL;
    if (n == m->n_fields)
        return (Temporal__Api__Common__V1__Memo *)m;
    Temporal__Api__Common__V1__Memo *copy = sg_arena_alloc(a, sizeof *copy);
    *copy = *m;
    copy->fields = (Temporal__Api__Common__V1__Memo__FieldsEntry **)entries;
    copy->n_fields = n;
    return copy;
}

Temporal__Api__Common__V1__SearchAttributes *
sg_sa_without_nils(sg_arena *a, const Temporal__Api__Common__V1__SearchAttributes *sa)
{
    map_entry **entries;
    size_t n = sa ? set_entries(a, (map_entry *const *)sa->indexed_fields, sa->n_indexed_fields,
                                &entries)
                  : 0;
    if (!n)
        return NULL;
    if (n == sa->n_indexed_fields)
        return (Temporal__Api__Common__V1__SearchAttributes *)sa;
    Temporal__Api__Common__V1__SearchAttributes *copy = sg_arena_alloc(a, sizeof *copy);
    *copy = *sa;
    copy->indexed_fields = (Temporal__Api__Common__V1__SearchAttributes__IndexedFieldsEntry **)entries;
    copy->n_indexed_fields = n;
    return copy;
}

static void merge_entries(map_entry ***dst, size_t *n_dst, map_entry *const *src, size_t n_src)
{
    for (size_t i = 0; i < n_src; i++) {
        const map_entry *in = src[i];
        size_t j = 0;
        while (j < *n_dst && strcmp((*dst)[j]->key, in->key) != 0)
            j++;
        bool remove = sg_payload_is_nil(in->value);
        if (j < *n_dst) {
            protobuf_c_message_free_unpacked(&(*dst)[j]->base, NULL);
            if (remove) {
                memmove(*dst + j, *dst + j + 1, (*n_dst - j - 1) * sizeof **dst);
                (*n_dst)--;
                continue;
            }
        } else {
            if (remove)
                continue;
            *dst = sg_realloc(*dst, (*n_dst + 1) * sizeof **dst);
            (*n_dst)++;
        }
        (*dst)[j] = sg_pb_clone_heap(&in->base);
    }
}

void sg_ms_merge_memo(Temporal__Api__Common__V1__Memo **dst, const Temporal__Api__Common__V1__Memo *src)
{
    if (!src)
        return;
    if (!*dst) {
        *dst = sg_malloc(sizeof **dst);
        temporal__api__common__v1__memo__init(*dst);
    }
    merge_entries((map_entry ***)&(*dst)->fields, &(*dst)->n_fields,
                  (map_entry *const *)src->fields, src->n_fields);
}

void sg_ms_merge_search_attributes(Temporal__Api__Common__V1__SearchAttributes **dst,
                                const Temporal__Api__Common__V1__SearchAttributes *src)
{
    if (!src)
        return;
    if (!*dst) {
        *dst = sg_malloc(sizeof **dst);
        temporal__api__common__v1__search_attributes__init(*dst);
    }
    merge_entries((map_entry ***)&(*dst)->indexed_fields, &(*dst)->n_indexed_fields,
                  (map_entry *const *)src->indexed_fields, src->n_indexed_fields);
}

char *sg_ms_strdup(const char *s)
{
    return sg_strdup(s ? s : "");
}

void sg_ms_set_str(char **field, const char *value)
{
    if (*field && *field != protobuf_c_empty_string)
        sg_free(*field);
    *field = sg_ms_strdup(value);
}

Temporal__Api__Taskqueue__V1__TaskQueue *sg_tq_new(sg_arena *a, const char *name, int kind,
                                               const char *normal_name)
{
    Temporal__Api__Taskqueue__V1__TaskQueue *tq = sg_arena_alloc(a, sizeof *tq);
    temporal__api__taskqueue__v1__task_queue__init(tq);
    tq->name = (char *)name;
    tq->kind = (Temporal__Api__Enums__V1__TaskQueueKind)kind;
    if (normal_name)
        tq->normal_name = (char *)normal_name;
    return tq;
}

pb_failure *sg_failure_new(sg_arena *a, const char *message)
{
    pb_failure *f = sg_arena_alloc(a, sizeof *f);
    temporal__api__failure__v1__failure__init(f);
    f->message = sg_arena_strdup(a, message);
    return f;
}
