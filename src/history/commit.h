/* SPDX-License-Identifier: Apache-2.0 */
/* commit.h: committing an operation (commit.c). */
#ifndef SG_HISTORY_COMMIT_H
#define SG_HISTORY_COMMIT_H

#include "history/op.h"

/* Commits op: every run it closed tells its parent and applies its children's parent close
 * policies (those runs join op), then every written run is saved (sg_op_save). Returns 0 or
 * the first store error. */
int sg_op_commit(sg_op *op);

#endif
