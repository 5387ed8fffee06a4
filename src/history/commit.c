/* SPDX-License-Identifier: Apache-2.0 */
/* commit.c: the one way an operation commits.
 *
 * A run's close has consequences in other runs (its parent records it, its children get the
 * parent close policy), and those must land in the same group-commit batch as the close, so no
 * crash can fall between them. Every operation that can close a run (a completion, a timeout,
 * terminate, a new start that terminates the old run, ...) commits through here. It sits above
 * op.c and child.c so that neither has to know the other. */
#include "history/commit.h"
#include "history/child.h"

int sg_op_commit(sg_op *op)
{
    sg_child_on_close(op);
    return sg_op_save(op);
}
