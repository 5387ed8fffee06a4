/* SPDX-License-Identifier: Apache-2.0 */
/* batch.c: batch operation records — one store row per job, its DescribeBatchOperationResponse
 * serialized, written in the same group-commit batch as the operations the job performed (so a
 * job is either recorded with its effects or not at all), listed newest first with a
 * "<start ms>:<job id>" page token. */
#include "batch/batch.h"

#include "core/sg.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct sg_batch {
    sg_store *st;
};

sg_batch *sg_batch_new(sg_store *st)
{
    sg_batch *b = sg_calloc(1, sizeof *b);
    b->st = st;
    return b;
}

void sg_batch_free(sg_batch *b)
{
    sg_free(b);
}

static int64_t ms_of(const Google__Protobuf__Timestamp *t)
{
    return t ? t->seconds * 1000 + t->nanos / 1000000 : 0;
}

static uint8_t *pack(const sg_batch_rec *rec, size_t *n)
{
    *n = protobuf_c_message_get_packed_size(&rec->base);
    uint8_t *bytes = sg_malloc(*n ? *n : 1);
    protobuf_c_message_pack(&rec->base, bytes);
    return bytes;
}

int sg_batch_save(sg_batch *b, const char *namespace_id, const sg_batch_rec *rec,
                  const ProtobufCMessage *work)
{
    size_t n, wn = 0;
    uint8_t *bytes = pack(rec, &n), *wbytes = NULL;
    if (work) {
        wn = protobuf_c_message_get_packed_size(work);
        wbytes = sg_malloc(wn ? wn : 1);
        protobuf_c_message_pack(work, wbytes);
    }
    int rc = sg_store_batch_insert(b->st, namespace_id, rec->job_id, ms_of(rec->start_time), bytes, n,
                                   wbytes, wn);
    sg_free(wbytes);
    sg_free(bytes);
    return rc;
}

int sg_batch_progress(sg_batch *b, const char *namespace_id, const sg_batch_rec *rec,
                      const ProtobufCBinaryData *cursor, bool running)
{
    size_t n;
    uint8_t *bytes = pack(rec, &n);
    int rc = sg_store_batch_update(b->st, namespace_id, rec->job_id, bytes, n,
                                   cursor ? cursor->data : NULL, cursor ? cursor->len : 0, running);
    sg_free(bytes);
    return rc;
}

int sg_batch_running(sg_batch *b, sg_batch_work_cb cb, void *ud)
{
    return sg_store_batch_running(b->st, cb, ud);
}

int sg_batch_get(sg_batch *b, sg_arena *a, const char *namespace_id, const char *job_id,
                 sg_batch_rec **out)
{
    uint8_t *bytes;
    size_t n;
    *out = NULL;
    int rc = sg_store_batch_get(b->st, namespace_id, job_id, &bytes, &n);
    if (rc < 0)
        return rc;
    *out = (sg_batch_rec *)protobuf_c_message_unpack(
        &temporal__api__workflowservice__v1__describe_batch_operation_response__descriptor, &a->pb, n,
        bytes);
    sg_free(bytes);
    return *out ? 0 : SG_ECORRUPT;
}

typedef struct page {
    sg_arena *a;
    Temporal__Api__Workflowservice__V1__ListBatchOperationsResponse *out;
    size_t cap;
    int64_t last_start;
    char *last_job;
} page;

static int on_row(void *ud, const char *job_id, int64_t start_ms, const uint8_t *info, size_t len)
{
    page *p = ud;
    sg_batch_rec *rec = (sg_batch_rec *)protobuf_c_message_unpack(
        &temporal__api__workflowservice__v1__describe_batch_operation_response__descriptor, &p->a->pb,
        len, info);
    if (!rec)
        return SG_ECORRUPT;
    Temporal__Api__Batch__V1__BatchOperationInfo *i = sg_arena_alloc(p->a, sizeof *i);
    temporal__api__batch__v1__batch_operation_info__init(i);
    i->job_id = sg_arena_strdup(p->a, job_id);
    i->state = rec->state;
    i->start_time = rec->start_time;
    i->close_time = rec->close_time;
    i->operation_type = rec->operation_type;
    if (p->out->n_operation_info == p->cap) {
        size_t cap = p->cap ? p->cap * 2 : 16;
        p->out->operation_info = sg_arena_realloc_array(p->a, p->out->operation_info,
                                                        p->out->n_operation_info, cap,
                                                        sizeof *p->out->operation_info);
        p->cap = cap;
    }
    p->out->operation_info[p->out->n_operation_info++] = i;
    p->last_start = start_ms;
    p->last_job = i->job_id;
    return 0;
}

int sg_batch_list(sg_batch *b, sg_arena *a, const char *namespace_id, int page_size,
                  const ProtobufCBinaryData *token,
                  Temporal__Api__Workflowservice__V1__ListBatchOperationsResponse *out)
{
    int limit = page_size <= 0 ? 100 : page_size > 1000 ? 1000 : page_size;
    long long after_start = 0;
    const char *after_job = NULL;
    if (token && token->len) {
        char buf[SG_MAX_ID_LEN + 32];
        int n = 0;
        if (token->len >= sizeof buf || memchr(token->data, 0, token->len))
            return SG_EINVAL;
        memcpy(buf, token->data, token->len);
        buf[token->len] = 0;
        if (sscanf(buf, "%lld:%n", &after_start, &n) != 1 || !n || !buf[n])
            return SG_EINVAL;
        after_job = sg_arena_strdup(a, buf + n);
    }
    page p = { .a = a, .out = out };
    int rc = sg_store_batch_list(b->st, namespace_id, after_start, after_job, limit, on_row, &p);
    if (rc < 0)
        return rc;
    if (rc == limit && p.last_job) {
        char *t = sg_arena_printf(a, "%lld:%s", (long long)p.last_start, p.last_job);
        out->next_page_token.data = (uint8_t *)t;
        out->next_page_token.len = strlen(t);
    }
    return 0;
}
