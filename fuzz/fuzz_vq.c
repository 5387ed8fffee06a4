/* SPDX-License-Identifier: Apache-2.0 */
/* fuzz_vq.c: libFuzzer target for the list filter language (visibility/query.c) and the SQL
 * the store compiles from it (store/sqlite.c), which arrive from the wire in
 * ListWorkflowExecutions / CountWorkflowExecutions queries.
 *
 * Input: the query text. It is parsed against a fixed set of custom attributes; a query that
 * parses must compile and run (count and one page) on a small in-memory store without error,
 * and a refusal must say why. One store serves every input (it is only read). */
#include "store/store.h"
#include "visibility/query.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int custom(void *ud, const char *name)
{
    (void)ud;
    static const struct { const char *name; int type; } attrs[] = {
        { "K", SG_VQ_KEYWORD }, { "I", SG_VQ_INT },      { "D", SG_VQ_DOUBLE }, { "B", SG_VQ_BOOL },
        { "T", SG_VQ_DATETIME }, { "L", SG_VQ_KEYWORD_LIST }, { "X", SG_VQ_TEXT },
    };
    for (size_t i = 0; i < sizeof attrs / sizeof attrs[0]; i++)
        if (strcmp(attrs[i].name, name) == 0)
            return attrs[i].type;
    return 0;
}

static sg_store *store(void)
{
    static sg_store *st;
    if (st)
        return st;
    sg_store_options o = { 0 };
    if (sg_store_open(&o, &st) < 0 || sg_store_begin(st) < 0)
        abort();
    sg_vis_attr attrs[] = { { "K", { .kind = VQ_V_TEXT, .s = "k" } }, { "I", { .kind = VQ_V_INT, .i = 7 } } };
    sg_visibility_rec r = { .namespace_id = "ns", .run_id = "r", .workflow_id = "w", .workflow_type = "t",
                            .task_queue = "q", .status = 1, .info = (const uint8_t *)"", .attrs = attrs,
                            .n_attrs = 2, .is_new = true };
    if (sg_store_visibility_put(st, &r) < 0 || sg_store_commit(st) < 0)
        abort();
    return st;
}

static int on_row(void *ud, const uint8_t *info, size_t len, const sg_vis_cursor *pos)
{
    (void)ud, (void)info, (void)len, (void)pos;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    memcpy(text, data, size);
    text[size] = 0;
    sg_arena a;
    sg_arena_init(&a);
    sg_vq *q;
    const char *err;
    int rc = sg_vq_parse(&a, text, custom, NULL, &q, &err);
    if (rc < 0 && (!err || rc != SG_EINVAL))
        abort();
    if (rc == 0) {
        int64_t total, by[9];
        rc = sg_store_visibility_count(store(), "ns", q, &total, q->group_by_status ? by : NULL, 9);
        if (rc < 0 && rc != SG_EINVAL) /* EINVAL: more values than one statement may bind */
            abort();
        sg_vis_cursor after = { 0 };
        rc = sg_store_visibility_list(store(), "ns", q, &after, 10, on_row, NULL);
        if (rc < 0 && rc != SG_EINVAL)
            abort();
    }
    sg_arena_deinit(&a);
    free(text);
    return 0;
}
