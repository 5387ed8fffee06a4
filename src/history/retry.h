/* SPDX-License-Identifier: Apache-2.0 */
/* retry.h: retry policies for activities and workflow runs (retry.c). */
#ifndef SG_HISTORY_RETRY_H
#define SG_HISTORY_RETRY_H

#include "history/hist.h"

#define RETRY_DEFAULT_INITIAL_MS 1000
/* Temporal's checks of a retry policy (NULL: valid, or unset); else the message to fail with. */
const char *sg_retry_policy_problem(const Temporal__Api__Common__V1__RetryPolicy *p);
/* The backoff after failed attempt `attempt` (1-based): InitialInterval x coefficient^(attempt-1),
 * capped by MaximumInterval (default 100 x InitialInterval); defined for any stored values. */
int64_t sg_retry_backoff_ms(const Temporal__Api__Common__V1__RetryPolicy *p, int attempt);
/* A copy of in (NULL: an empty policy) in a with Temporal's defaults filled in (initial 1 s,
 * coefficient 2, maximum 100 x initial); NULL, or the message to reject it with. */
const char *sg_retry_policy_normalize(sg_arena *a, const Temporal__Api__Common__V1__RetryPolicy *in,
                                   Temporal__Api__Common__V1__RetryPolicy **out);
/* Temporal's decision after attempt `attempt` failed with f, for activities and workflow runs
 * alike: the delay before the next attempt in ms, or -1 with *retry_state saying why not
 * (no policy, non-retryable failure or type, attempts used up, or the next attempt would
 * start at or past deadline_ms, when > 0). An ApplicationFailure's next_retry_delay replaces
 * the backoff. */
int64_t sg_retry_next_delay(const Temporal__Api__Common__V1__RetryPolicy *p, const pb_failure *f,
                         int32_t attempt, int64_t now, int64_t deadline_ms, int *retry_state);
#endif
