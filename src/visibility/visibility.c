/* SPDX-License-Identifier: Apache-2.0 */
/* visibility.c: List and Count — parse the query against the namespace's attributes
 * (query.c), let the store run it, splice the stored WorkflowExecutionInfo bytes into the
 * reply. Page tokens carry the position in the default order, so pages stay stable while runs
 * start and close: a run is listed at most once, and none that existed before the first page
 * and kept its place is skipped. */
#include "visibility/visibility.h"

#include "core/pbwire.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_PAGE 1000
#define DEFAULT_PAGE 1000

struct sg_visibility {
    sg_store *st;
    const sg_registry *reg;
};

typedef struct type_ctx {
    const sg_registry *reg;
    const char *namespace_id;
} type_ctx;

static int custom_type(void *ud, const char *name)
{
    type_ctx *c = ud;
    int type;
    return sg_registry_search_attr_get(c->reg, c->namespace_id, name, &type) == 0 ? type : 0;
}

sg_visibility *sg_visibility_new(sg_store *st, const sg_registry *reg)
{
    sg_visibility *v = sg_calloc(1, sizeof *v);
    v->st = st;
    v->reg = reg;
    return v;
}

void sg_visibility_free(sg_visibility *v)
{
    sg_free(v);
}

static int parse(sg_arena *a, const sg_registry *reg, const char *namespace_id, const char *query,
                 sg_vq **q, const char **err)
{
    type_ctx c = { reg, namespace_id };
    return sg_vq_parse(a, query, custom_type, &c, q, err);
}

typedef struct page {
    sg_buf *out;
    sg_vis_cursor last;
    int n;
} page;

static int on_row(void *ud, const uint8_t *info, size_t len, const sg_vis_cursor *pos)
{
    page *p = ud;
    sg_pb_put_bytes_field(p->out, 1, info, len);
    p->last = *pos;
    p->n++;
    return 0;
}

/* Tokens are opaque to clients and checked on return: "v1:<close_order>:<start_time>:<run_id>"
 * in the default order; "o1:<column>:<run_id>:<i|s>:<key>" after ORDER BY <column> (the key
 * last: a Keyword may hold any byte but NUL). */
static bool token_parse(const ProtobufCBinaryData *t, const sg_vq *q, sg_vis_cursor *c)
{
    char buf[2 * SG_MAX_ID_LEN];
    if (t->len >= sizeof buf || memchr(t->data, 0, t->len))
        return false;
    memcpy(buf, t->data, t->len);
    buf[t->len] = 0;
    if (q->has_order_by) {
        size_t cl = strlen(q->order_by.column);
        if (strncmp(buf, "o1:", 3) || strncmp(buf + 3, q->order_by.column, cl) || buf[3 + cl] != ':')
            return false;
        char *run = buf + 4 + cl, *sep = strchr(run, ':');
        if (!sep || sep == run || (size_t)(sep - run) >= sizeof c->run_id || !sep[1] || sep[2] != ':')
            return false;
        *sep = 0;
        snprintf(c->run_id, sizeof c->run_id, "%s", run);
        const char *key = sep + 3;
        c->key_is_text = sep[1] == 's';
        if (c->key_is_text) {
            if (strlen(key) >= sizeof c->key_s)
                return false;
            snprintf(c->key_s, sizeof c->key_s, "%s", key);
        } else {
            char *end;
            errno = 0;
            long long k = strtoll(key, &end, 10);
            if (sep[1] != 'i' || errno || end == key || *end)
                return false;
            c->key_i = k;
        }
        c->set = true;
        return true;
    }
    long long close_order, start_time;
    int n = 0;
    if (sscanf(buf, "v1:%lld:%lld:%n", &close_order, &start_time, &n) != 2 || !n)
        return false;
    const char *run = buf + n;
    if (!*run || strlen(run) >= sizeof c->run_id)
        return false;
    c->set = true;
    c->close_order = close_order;
    c->start_time = start_time;
    snprintf(c->run_id, sizeof c->run_id, "%s", run);
    return true;
}

static char *token_make(sg_arena *a, const sg_vq *q, const sg_vis_cursor *c)
{
    if (!q->has_order_by)
        return sg_arena_printf(a, "v1:%lld:%lld:%s", (long long)c->close_order,
                               (long long)c->start_time, c->run_id);
    if (c->key_is_text)
        return sg_arena_printf(a, "o1:%s:%s:s:%s", q->order_by.column, c->run_id, c->key_s);
    return sg_arena_printf(a, "o1:%s:%s:i:%lld", q->order_by.column, c->run_id,
                           (long long)c->key_i);
}

int sg_visibility_list(sg_visibility *v, sg_arena *a, const char *namespace_id, const char *query,
                       int page_size, const ProtobufCBinaryData *token, sg_buf *out,
                       ProtobufCBinaryData *next, const char **err)
{
    *err = NULL;
    next->data = NULL;
    next->len = 0;
    sg_vq *q;
    int rc = parse(a, v->reg, namespace_id, query, &q, err);
    if (rc < 0)
        return rc;
    if (q->group_by_status) {
        *err = "invalid query: GROUP BY is only for CountWorkflowExecutions";
        return SG_EINVAL;
    }
    sg_vis_cursor *after = sg_arena_calloc(a, sizeof *after);
    if (token && token->len && !token_parse(token, q, after)) {
        *err = "invalid next_page_token";
        return SG_EINVAL;
    }
    int limit = page_size <= 0 ? DEFAULT_PAGE : page_size > MAX_PAGE ? MAX_PAGE : page_size;
    page *p = sg_arena_calloc(a, sizeof *p);
    p->out = out;
    rc = sg_store_visibility_list(v->st, namespace_id, q, after, limit, on_row, p);
    if (rc < 0) {
        if (rc == SG_EINVAL)
            *err = "invalid query: too many values to compare";
        return rc;
    }
    if (p->n == limit) {
        char *t = token_make(a, q, &p->last);
        next->data = (uint8_t *)t;
        next->len = strlen(t);
    }
    return 0;
}

int sg_visibility_count(sg_visibility *v, sg_arena *a, const char *namespace_id, const char *query,
                        int64_t *count, bool *grouped, int64_t by_status[9], const char **err)
{
    *err = NULL;
    sg_vq *q;
    int rc = parse(a, v->reg, namespace_id, query, &q, err);
    if (rc < 0)
        return rc;
    *grouped = q->group_by_status;
    rc = sg_store_visibility_count(v->st, namespace_id, q, count, q->group_by_status ? by_status : NULL, 9);
    if (rc == SG_EINVAL)
        *err = "invalid query: too many values to compare";
    return rc;
}
