/* SPDX-License-Identifier: Apache-2.0 */
/* vis.h: the run's visibility row (vis.c). */
#ifndef SG_HISTORY_VIS_H
#define SG_HISTORY_VIS_H

#include "history/hist.h"

/* Writes the run's visibility row (system attributes, its WorkflowExecutionInfo, its search
 * attribute values) into the open batch. Store errors. */
int sg_vis_save(sg_engine *e, const ms_t *ms);

#endif
