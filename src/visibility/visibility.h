/* SPDX-License-Identifier: Apache-2.0 */
/* visibility.h: finding runs by query — ListWorkflowExecutions and CountWorkflowExecutions
 * over the visibility rows the engine writes (visibility.c). */
#ifndef SG_VISIBILITY_H
#define SG_VISIBILITY_H

#include "core/arena.h"
#include "core/buf.h"
#include "namespace/registry.h"
#include "store/store.h"

typedef struct sg_visibility sg_visibility;

/* Borrows st and reg (both must outlive it). */
sg_visibility *sg_visibility_new(sg_store *st, const sg_registry *reg);
void sg_visibility_free(sg_visibility *v);

/* One page of the runs matching query in the namespace, in Temporal's default order, as
 * ListWorkflowExecutionsResponse.executions entries (field 1, serialized, appended to out).
 * token: the previous page's next_page_token (empty: the first page); *next (in a, NULL at the
 * end) continues. SG_EINVAL with *err for a bad query or token. */
int sg_visibility_list(sg_visibility *v, sg_arena *a, const char *namespace_id, const char *query,
                       int page_size, const ProtobufCBinaryData *token, sg_buf *out,
                       ProtobufCBinaryData *next, const char **err);
/* The number of runs matching query; with GROUP BY ExecutionStatus also per status
 * (*grouped set, by_status[status] filled, 9 entries). SG_EINVAL with *err. */
int sg_visibility_count(sg_visibility *v, sg_arena *a, const char *namespace_id, const char *query,
                        int64_t *count, bool *grouped, int64_t by_status[9], const char **err);

#endif
