/* SPDX-License-Identifier: Apache-2.0 */
/* vis.c: the run's visibility row — written with the run's own save (mstate.c) when the run
 * starts, closes, or changes its search attributes or memo, so a List right after an
 * acknowledged change sees it. History length and size are as of that write, as in Temporal. */
#include "history/vis.h"
#include "history/info.h"

#include "visibility/attrs.h"

int sg_vis_save(sg_engine *e, const ms_t *ms, bool is_new, bool attrs_changed)
{
    sg_arena a;
    sg_arena_init(&a);
    sg_buf info;
    sg_buf_init(&info);
    sg_info_pack_listed(&info, ms);
    const uint8_t *bytes = sg_buf_head(&info);
    size_t n = info.len;
    sg_vis_attr *attrs = NULL;
    size_t n_attrs = 0, cap = 0;
    const Temporal__Api__Common__V1__SearchAttributes *sa = ms->search_attributes;
    for (size_t i = 0; (is_new || attrs_changed) && sa && i < sa->n_indexed_fields; i++) {
        const char *name = sa->indexed_fields[i]->key;
        int type = sg_vq_predefined_type(name);
        if (!type && e->attr_type)
            type = e->attr_type(e->attr_type_ud, ms->namespace_id, name);
        sg_vis_attr_values(&a, name, sa->indexed_fields[i]->value, type, &attrs, &n_attrs, &cap);
    }
    sg_visibility_rec rec = {
        .namespace_id = ms->namespace_id,
        .run_id = ms->run_id,
        .workflow_id = ms->workflow_id,
        .workflow_type = ms->workflow_type,
        .task_queue = ms->task_queue,
        .status = ms->status,
        .start_time_ms = ms->start_time_ms,
        .execution_time_ms = sg_info_execution_time(ms),
        .close_time_ms = ms->close_time_ms,
        .history_length = ms->next_event_id - 1,
        .history_size_bytes = ms->history_size_bytes,
        .state_transition_count = ms->state_transition_count,
        .parent_workflow_id = ms->parent_workflow_id,
        .parent_run_id = ms->parent_run_id,
        /* Empty (stored NULL) for a top-level run, which is its own root: the root index then
         * holds children only, and queries read NULL as "the run itself". */
        .root_workflow_id = ms->root_workflow_id,
        .root_run_id = ms->root_run_id,
        .info = bytes,
        .info_len = n,
        .attrs = attrs,
        .n_attrs = n_attrs,
        .is_new = is_new,
        .attrs_changed = attrs_changed,
    };
    int rc = sg_store_visibility_put(e->st, &rec);
    sg_arena_deinit(&a);
    sg_buf_deinit(&info);
    /* A run started before the store had visibility (schema < 3) has no row to update: it
     * gets its first one now, with its attributes. */
    if (rc == SG_ENOTFOUND && !is_new)
        return sg_vis_save(e, ms, true, true);
    return rc;
}

typedef struct check_ctx {
    sg_engine *e;
    const char *namespace_id;
} check_ctx;

static int registered(void *ud, const char *name)
{
    check_ctx *c = ud;
    return c->e->attr_type(c->e->attr_type_ud, c->namespace_id, name);
}

const char *sg_vis_check(sg_engine *e, sg_arena *a, const char *namespace_id,
                         const Temporal__Api__Common__V1__SearchAttributes *sa)
{
    if (!e->attr_type || !sa)
        return NULL; /* no registry to check against (unit tests) */
    check_ctx c = { e, namespace_id };
    return sg_vis_check_attrs(a, sa, registered, &c);
}
