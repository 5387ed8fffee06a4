/* SPDX-License-Identifier: Apache-2.0 */
/* vis.h: the run's visibility row (vis.c). */
#ifndef SG_HISTORY_VIS_H
#define SG_HISTORY_VIS_H

#include "history/hist.h"

/* Writes the run's visibility row (system attributes, its WorkflowExecutionInfo, its search
 * attribute values) into the open batch. Store errors. */
int sg_vis_save(sg_engine *e, const ms_t *ms, bool is_new, bool attrs_changed);
/* Checks search attributes a command sets against the namespace's registered types; NULL if
 * fine (or no registry is known), else Temporal's message (in a). */
const char *sg_vis_check(sg_engine *e, sg_arena *a, const char *namespace_id,
                         const Temporal__Api__Common__V1__SearchAttributes *sa);

#endif
