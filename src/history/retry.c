/* SPDX-License-Identifier: Apache-2.0 */
/* retry.c: the arithmetic and the checks of a RetryPolicy, shared by activity and workflow
 * retries. A policy comes from a client and its backoff outlives restarts in a durable timer,
 * so both must hold for any value the wire can carry: the checks are Temporal's
 * (ValidateRetryPolicy), and the backoff saturates instead of overflowing. */
#include "history/hist.h"

#include <math.h>

/* Longest backoff: protobuf's largest Duration (10,000 years), in ms. */
#define RETRY_MAX_BACKOFF_MS 315576000000000.0

const char *retry_policy_problem(const Temporal__Api__Common__V1__RetryPolicy *p)
{
    if (!p)
        return NULL;
    double c = p->backoff_coefficient;
    if (c != 0 && !(c >= 1 && isfinite(c)))
        return "BackoffCoefficient cannot be less than 1 on retry policy.";
    int64_t initial = dur_to_ms(p->initial_interval);
    if (initial < 0)
        return "InitialInterval cannot be negative on retry policy.";
    if (initial == 0)
        initial = RETRY_DEFAULT_INITIAL_MS;
    int64_t max = dur_to_ms(p->maximum_interval);
    if (max < 0)
        return "MaximumInterval cannot be negative on retry policy.";
    if (max > 0 && max < initial)
        return "MaximumInterval cannot be less than InitialInterval on retry policy.";
    if (p->maximum_attempts < 0)
        return "MaximumAttempts cannot be negative on retry policy.";
    return NULL;
}

int64_t retry_backoff_ms(const Temporal__Api__Common__V1__RetryPolicy *p, int attempt)
{
    int64_t initial = dur_to_ms(p->initial_interval);
    if (initial <= 0)
        initial = RETRY_DEFAULT_INITIAL_MS;
    int64_t max = dur_to_ms(p->maximum_interval);
    if (max <= 0)
        max = 100 * initial; /* Temporal's default: 100 x InitialInterval */
    double c = p->backoff_coefficient >= 1 && isfinite(p->backoff_coefficient)
                   ? p->backoff_coefficient
                   : 2.0;
    /* pow may reach infinity; the comparisons below clamp it, so the cast is always defined. */
    double d = (double)initial * pow(c, attempt > 1 ? attempt - 1 : 0);
    if (!(d <= (double)max))
        d = (double)max;
    if (!(d <= RETRY_MAX_BACKOFF_MS))
        d = RETRY_MAX_BACKOFF_MS;
    return (int64_t)d;
}
