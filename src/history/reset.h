/* SPDX-License-Identifier: Apache-2.0 */
/* reset.h: ResetWorkflowExecution (reset.c). */
#ifndef SG_HISTORY_RESET_H
#define SG_HISTORY_RESET_H

#include "history/engine.h"

#endif
