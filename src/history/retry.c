/* SPDX-License-Identifier: Apache-2.0 */
/* retry.c: the arithmetic and the checks of a RetryPolicy, shared by activity and workflow
 * retries. A policy comes from a client and its backoff outlives restarts in a durable timer,
 * so both must hold for any value the wire can carry: the checks are Temporal's
 * (ValidateRetryPolicy), and the backoff saturates instead of overflowing. */
#include "history/hist.h"
#include "history/pbutil.h"
#include "history/retry.h"

#include <math.h>
#include <string.h>

/* Longest backoff: protobuf's largest Duration (10,000 years), in ms. */
#define RETRY_MAX_BACKOFF_MS 315576000000000.0

const char *sg_retry_policy_problem(const Temporal__Api__Common__V1__RetryPolicy *p)
{
    if (!p)
        return NULL;
    double c = p->backoff_coefficient;
    if (c != 0 && !(c >= 1 && isfinite(c)))
        return "BackoffCoefficient cannot be less than 1 on retry policy.";
    int64_t initial = sg_dur_to_ms(p->initial_interval);
    if (initial < 0)
        return "InitialInterval cannot be negative on retry policy.";
    if (initial == 0)
        initial = RETRY_DEFAULT_INITIAL_MS;
    int64_t max = sg_dur_to_ms(p->maximum_interval);
    if (max < 0)
        return "MaximumInterval cannot be negative on retry policy.";
    if (max > 0 && max < initial)
        return "MaximumInterval cannot be less than InitialInterval on retry policy.";
    if (p->maximum_attempts < 0)
        return "MaximumAttempts cannot be negative on retry policy.";
    return NULL;
}

int64_t sg_retry_backoff_ms(const Temporal__Api__Common__V1__RetryPolicy *p, int attempt)
{
    int64_t initial = sg_dur_to_ms(p->initial_interval);
    if (initial <= 0)
        initial = RETRY_DEFAULT_INITIAL_MS;
    int64_t max = sg_dur_to_ms(p->maximum_interval);
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

const char *sg_retry_policy_normalize(sg_arena *a, const Temporal__Api__Common__V1__RetryPolicy *in,
                                   Temporal__Api__Common__V1__RetryPolicy **out)
{
    Temporal__Api__Common__V1__RetryPolicy *p = in ? sg_pb_clone_arena(a, &in->base)
                                                   : sg_arena_alloc(a, sizeof *p);
    if (!in)
        temporal__api__common__v1__retry_policy__init(p);
    const char *bad = sg_retry_policy_problem(p);
    if (bad)
        return bad;
    int64_t initial = sg_dur_to_ms(p->initial_interval);
    if (initial == 0) {
        initial = RETRY_DEFAULT_INITIAL_MS;
        p->initial_interval = sg_dur_ms(a, initial);
    }
    if (p->backoff_coefficient == 0)
        p->backoff_coefficient = 2.0;
    if (sg_dur_to_ms(p->maximum_interval) == 0)
        p->maximum_interval = sg_dur_ms(a, 100 * initial);
    *out = p;
    return NULL;
}

/* The type a policy's non_retryable_error_types names a failure by. */
static const char *failure_type(const pb_failure *f)
{
    if (f->failure_info_case ==
        TEMPORAL__API__FAILURE__V1__FAILURE__FAILURE_INFO_APPLICATION_FAILURE_INFO)
        return f->application_failure_info->type;
    if (f->failure_info_case == TEMPORAL__API__FAILURE__V1__FAILURE__FAILURE_INFO_TIMEOUT_FAILURE_INFO) {
        switch (f->timeout_failure_info->timeout_type) {
        case TIMEOUT_TYPE(START_TO_CLOSE): return "TemporalTimeout:StartToClose";
        case TIMEOUT_TYPE(HEARTBEAT): return "TemporalTimeout:Heartbeat";
        case TIMEOUT_TYPE(SCHEDULE_TO_START): return "TemporalTimeout:ScheduleToStart";
        case TIMEOUT_TYPE(SCHEDULE_TO_CLOSE): return "TemporalTimeout:ScheduleToClose";
        default: return "";
        }
    }
    return "";
}

static bool is_retryable(const Temporal__Api__Common__V1__RetryPolicy *p, const pb_failure *f)
{
    if (f->failure_info_case == TEMPORAL__API__FAILURE__V1__FAILURE__FAILURE_INFO_CANCELED_FAILURE_INFO ||
        f->failure_info_case == TEMPORAL__API__FAILURE__V1__FAILURE__FAILURE_INFO_TERMINATED_FAILURE_INFO)
        return false;
    if (f->failure_info_case ==
            TEMPORAL__API__FAILURE__V1__FAILURE__FAILURE_INFO_APPLICATION_FAILURE_INFO &&
        f->application_failure_info->non_retryable)
        return false;
    const char *type = failure_type(f);
    for (size_t i = 0; i < p->n_non_retryable_error_types; i++)
        if (*type && strcmp(p->non_retryable_error_types[i], type) == 0)
            return false;
    return true;
}

int64_t sg_retry_next_delay(const Temporal__Api__Common__V1__RetryPolicy *p, const pb_failure *f,
                         int32_t attempt, int64_t now, int64_t deadline_ms, int *retry_state)
{
    if (!p) {
        *retry_state = RETRY_STATE(RETRY_POLICY_NOT_SET);
        return -1;
    }
    if (!is_retryable(p, f)) {
        *retry_state = RETRY_STATE(NON_RETRYABLE_FAILURE);
        return -1;
    }
    if (p->maximum_attempts > 0 && attempt >= p->maximum_attempts) {
        *retry_state = RETRY_STATE(MAXIMUM_ATTEMPTS_REACHED);
        return -1;
    }
    int64_t delay = sg_retry_backoff_ms(p, attempt);
    if (f->failure_info_case ==
            TEMPORAL__API__FAILURE__V1__FAILURE__FAILURE_INFO_APPLICATION_FAILURE_INFO &&
        f->application_failure_info->next_retry_delay)
        delay = sg_dur_to_ms(f->application_failure_info->next_retry_delay);
    if (deadline_ms > 0 && now + delay >= deadline_ms) {
        *retry_state = RETRY_STATE(TIMEOUT);
        return -1;
    }
    *retry_state = RETRY_STATE(IN_PROGRESS);
    return delay;
}
