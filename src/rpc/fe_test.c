/* SPDX-License-Identifier: Apache-2.0 */
/* fe_test.c: TestService, the time-skipping control the SDKs' test environments call
 * (@temporalio/testing's TestWorkflowEnvironment.createTimeSkipping, Python's
 * WorkflowEnvironment.start_time_skipping). Served only by a time-skipping server; the clock
 * itself is timeskip/. */
#include "rpc/handlers.h"

#include "core/clock.h"
#include "rpc/longpoll.h"
#include "timeskip/timeskip.h"

#include "temporal/api/testservice/v1/request_response.pb-c.h"

typedef struct sleeping {
    sg_long_poll lp;
    sg_timeskip_sleeper s;
    sg_timeskip *ts;
} sleeping;

static sg_timeskip *timeskip_of(sg_call *call)
{
    return sg_frontend_timeskip(call->fe);
}

/* Durations and timestamps are range-checked by the request validator; ms fit in int64. */
static int64_t dur_ms(const Google__Protobuf__Duration *d)
{
    return d ? d->seconds * 1000 + d->nanos / 1000000 : 0;
}

static void on_wake(sg_timeskip_sleeper *s)
{
    sleeping *z = (sleeping *)((char *)s - offsetof(sleeping, s));
    if (!sg_long_poll_end(&z->lp))
        return;
    Temporal__Api__Testservice__V1__SleepResponse out =
        TEMPORAL__API__TESTSERVICE__V1__SLEEP_RESPONSE__INIT;
    sg_call_reply(z->lp.call, &out.base);
}

static void on_release(sg_long_poll *lp)
{
    sleeping *z = (sleeping *)lp;
    sg_timeskip_cancel(z->ts, &z->s);
}

/* Parks the call until the clock reaches due_ms; relock: UnlockTimeSkippingWithSleep's. */
static void sleep_until(sg_call *call, int64_t due_ms, bool relock)
{
    sleeping *z = sg_arena_calloc(call->arena, sizeof *z);
    z->ts = timeskip_of(call);
    z->s.due_ms = due_ms;
    z->s.relock = relock;
    z->s.wake = on_wake;
    sg_long_poll_start(&z->lp, call, -1, NULL, on_release);
    sg_timeskip_sleep(z->ts, &z->s);
}

void sg_fe_lock_time_skipping(sg_call *call, const ProtobufCMessage *m)
{
    SG_UNUSED(m);
    sg_timeskip_lock(timeskip_of(call));
    Temporal__Api__Testservice__V1__LockTimeSkippingResponse out =
        TEMPORAL__API__TESTSERVICE__V1__LOCK_TIME_SKIPPING_RESPONSE__INIT;
    sg_call_reply(call, &out.base);
}

void sg_fe_unlock_time_skipping(sg_call *call, const ProtobufCMessage *m)
{
    SG_UNUSED(m);
    if (sg_timeskip_unlock(timeskip_of(call)) < 0) {
        sg_call_fail(call, SG_EPRECOND, "Unbalanced lock and unlock calls: time skipping is not locked.");
        return;
    }
    Temporal__Api__Testservice__V1__UnlockTimeSkippingResponse out =
        TEMPORAL__API__TESTSERVICE__V1__UNLOCK_TIME_SKIPPING_RESPONSE__INIT;
    sg_call_reply(call, &out.base);
}

void sg_fe_sleep(sg_call *call, const ProtobufCMessage *m)
{
    const Temporal__Api__Testservice__V1__SleepRequest *req = (const void *)m;
    sleep_until(call, sg_clock_now_ms() + dur_ms(req->duration), false);
}

void sg_fe_sleep_until(sg_call *call, const ProtobufCMessage *m)
{
    const Temporal__Api__Testservice__V1__SleepUntilRequest *req = (const void *)m;
    int64_t due = req->timestamp ? req->timestamp->seconds * 1000 + req->timestamp->nanos / 1000000
                                 : 0;
    sleep_until(call, due, false);
}

void sg_fe_unlock_time_skipping_with_sleep(sg_call *call, const ProtobufCMessage *m)
{
    const Temporal__Api__Testservice__V1__SleepRequest *req = (const void *)m;
    if (sg_timeskip_unlock(timeskip_of(call)) < 0) {
        sg_call_fail(call, SG_EPRECOND, "Unbalanced lock and unlock calls: time skipping is not locked.");
        return;
    }
    sleep_until(call, sg_clock_now_ms() + dur_ms(req->duration), true);
}

void sg_fe_get_current_time(sg_call *call, const ProtobufCMessage *m)
{
    SG_UNUSED(m);
    int64_t now = sg_clock_now_ms();
    Google__Protobuf__Timestamp ts = GOOGLE__PROTOBUF__TIMESTAMP__INIT;
    ts.seconds = now / 1000;
    ts.nanos = (int32_t)(now % 1000) * 1000000;
    Temporal__Api__Testservice__V1__GetCurrentTimeResponse out =
        TEMPORAL__API__TESTSERVICE__V1__GET_CURRENT_TIME_RESPONSE__INIT;
    out.time = &ts;
    sg_call_reply(call, &out.base);
}
