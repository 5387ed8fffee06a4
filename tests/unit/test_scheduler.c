/* SPDX-License-Identifier: Apache-2.0 */
/* test_scheduler.c: the scheduler on the engine with a virtual clock — a cron schedule in a
 * named time zone across both daylight-saving changes of a year, started workflows named by
 * their nominal time; remaining actions; a restart that catches up the ticks missed while
 * down, each once. */
#include "test.h"

#include "engine_harness.h"
#include "core/clock.h"
#include "namespace/registry.h"
#include "schedule/scheduler.h"

#include <string.h>
#include <time.h>
#include <unistd.h>

typedef struct env {
    eh h;
    sg_registry *reg;
    sg_scheduler *s;
} env;

static int64_t at(const char *iso)
{
    struct tm t;
    memset(&t, 0, sizeof t);
    CHECK(strptime(iso, "%Y-%m-%dT%H:%M:%SZ", &t) != NULL);
    return (int64_t)timegm(&t) * 1000;
}

static void env_open(env *v, const char *path, bool fresh)
{
    if (fresh)
        eh_init(&v->h, path);
    CHECK_EQ_INT(sg_registry_open(v->h.st, v->h.txn, &v->reg), 0);
    sg_namespace_rec rec;
    if (sg_registry_namespace_get(v->reg, EH_NS_ID, true, &rec) == 0) {
        sg_namespace_rec_deinit(&rec);
    } else {
        uint8_t info[] = { 0 };
        sg_namespace_rec def = { .id = EH_NS_ID, .name = EH_NS, .notification_version = 1, .info = info, .info_len = 0 };
        CHECK_EQ_INT(sg_txn_write(v->h.txn), 0);
        CHECK_EQ_INT(sg_registry_namespace_insert(v->reg, &def), 0);
    }
    CHECK_EQ_INT(eh_flush(&v->h), 0);
    sg_scheduler_deps d = { .loop = &v->h.loop, .txn = v->h.txn, .st = v->h.st, .engine = v->h.e, .registry = v->reg };
    v->s = sg_scheduler_new(&d);
}

static void env_close_stack(env *v)
{
    eh_flush(&v->h);
    sg_scheduler_free(v->s);
    sg_registry_free(v->reg);
}

static void create(env *v, const char *id, const char *cron, const char *tz, int overlap, int remaining)
{
    sg_arena *a = &v->h.a;
    Temporal__Api__Workflowservice__V1__CreateScheduleRequest req =
        TEMPORAL__API__WORKFLOWSERVICE__V1__CREATE_SCHEDULE_REQUEST__INIT;
    req.namespace_ = EH_NS;
    req.schedule_id = (char *)id;
    req.request_id = "r1";
    Temporal__Api__Schedule__V1__Schedule *s = sg_arena_calloc(a, sizeof *s);
    temporal__api__schedule__v1__schedule__init(s);
    Temporal__Api__Schedule__V1__ScheduleSpec *spec = sg_arena_calloc(a, sizeof *spec);
    temporal__api__schedule__v1__schedule_spec__init(spec);
    char **crons = sg_arena_alloc(a, sizeof *crons);
    crons[0] = (char *)cron;
    spec->cron_string = crons;
    spec->n_cron_string = 1;
    spec->timezone_name = (char *)tz;
    s->spec = spec;
    Temporal__Api__Schedule__V1__ScheduleAction *act = sg_arena_calloc(a, sizeof *act);
    temporal__api__schedule__v1__schedule_action__init(act);
    Temporal__Api__Workflow__V1__NewWorkflowExecutionInfo *w = sg_arena_calloc(a, sizeof *w);
    temporal__api__workflow__v1__new_workflow_execution_info__init(w);
    w->workflow_id = sg_arena_printf(a, "%s-wf", id);
    w->workflow_type = sg_arena_calloc(a, sizeof *w->workflow_type);
    temporal__api__common__v1__workflow_type__init(w->workflow_type);
    w->workflow_type->name = "T";
    w->task_queue = sg_tq_new(a, EH_TQ, 1, NULL);
    act->action_case = TEMPORAL__API__SCHEDULE__V1__SCHEDULE_ACTION__ACTION_START_WORKFLOW;
    act->start_workflow = w;
    s->action = act;
    Temporal__Api__Schedule__V1__SchedulePolicies *p = sg_arena_calloc(a, sizeof *p);
    temporal__api__schedule__v1__schedule_policies__init(p);
    p->overlap_policy = (Temporal__Api__Enums__V1__ScheduleOverlapPolicy)overlap;
    s->policies = p;
    if (remaining) {
        s->state = sg_arena_calloc(a, sizeof *s->state);
        temporal__api__schedule__v1__schedule_state__init(s->state);
        s->state->limited_actions = true;
        s->state->remaining_actions = remaining;
    }
    req.schedule = s;
    ProtobufCBinaryData token;
    const char *why = NULL;
    CHECK_EQ_INT(sg_scheduler_create(v->s, a, EH_NS_ID, &req, &token, &why), 0);
    CHECK_EQ_INT(eh_flush(&v->h), 0);
}

/* Moves the virtual clock to until_ms in steps, firing what is due at each. */
static void run_until(env *v, int64_t until_ms, int64_t step_ms)
{
    while (sg_clock_now_ms() < until_ms) {
        int64_t next = sg_clock_now_ms() + step_ms;
        sg_clock_set_virtual(next < until_ms ? next : until_ms);
        sg_scheduler_run_due(v->s);
        eh_flush(&v->h);
    }
}

/* The workflow ids of the schedule's recent actions, joined by spaces. */
static const char *started(env *v, const char *id)
{
    Temporal__Api__Workflowservice__V1__DescribeScheduleResponse d =
        TEMPORAL__API__WORKFLOWSERVICE__V1__DESCRIBE_SCHEDULE_RESPONSE__INIT;
    CHECK_EQ_INT(sg_scheduler_describe(v->s, &v->h.a, EH_NS_ID, id, &d), 0);
    sg_buf b;
    sg_buf_init(&b);
    for (size_t i = 0; d.info && i < d.info->n_recent_actions; i++)
        sg_buf_printf(&b, "%s%s", i ? " " : "", d.info->recent_actions[i]->start_workflow_result->workflow_id);
    sg_buf_append(&b, "", 1);
    char *out = sg_arena_strdup(&v->h.a, (const char *)sg_buf_head(&b));
    sg_buf_deinit(&b);
    return out;
}

#define ALLOW_ALL TEMPORAL__API__ENUMS__V1__SCHEDULE_OVERLAP_POLICY__SCHEDULE_OVERLAP_POLICY_ALLOW_ALL

SG_TEST(scheduler_cron_in_a_time_zone_across_daylight_saving_with_the_virtual_clock)
{
    env v;
    eh_init(&v.h, NULL); /* sets the clock to EH_T0_MS */
    sg_clock_set_virtual(at("2024-03-09T00:00:00Z"));
    env_open(&v, NULL, false);
    create(&v, "spring", "30 2 * * *", "America/New_York", ALLOW_ALL, 0);
    run_until(&v, at("2024-03-12T00:00:00Z"), 15 * 60 * 1000);
    /* No 02:30 on the 10th in New York. */
    CHECK_EQ_STR(started(&v, "spring"), "spring-wf-2024-03-09T07:30:00Z spring-wf-2024-03-11T06:30:00Z");
    sg_clock_set_virtual(at("2024-11-02T00:00:00Z"));
    create(&v, "fall", "CRON_TZ=America/New_York 30 1 * * *", "", ALLOW_ALL, 0);
    run_until(&v, at("2024-11-04T12:00:00Z"), 15 * 60 * 1000);
    /* 01:30 twice on the 3rd: EDT, then EST. */
    CHECK_EQ_STR(started(&v, "fall"), "fall-wf-2024-11-02T05:30:00Z fall-wf-2024-11-03T05:30:00Z "
                                      "fall-wf-2024-11-03T06:30:00Z fall-wf-2024-11-04T06:30:00Z");
    env_close_stack(&v);
    eh_deinit(&v.h);
}

SG_TEST(scheduler_remaining_actions_and_a_restart_catch_up_each_tick_once)
{
    char path[] = "/tmp/sg-sched-XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    close(fd);
    unlink(path);
    env v;
    eh_init(&v.h, path); /* sets the clock to EH_T0_MS */
    sg_clock_set_virtual(at("2024-05-01T00:00:00Z"));
    env_open(&v, path, false);
    create(&v, "limited", "* * * * *", "", ALLOW_ALL, 2);
    create(&v, "minutely", "* * * * *", "", ALLOW_ALL, 0);
    run_until(&v, at("2024-05-01T00:03:30Z"), 10 * 1000);
    CHECK_EQ_STR(started(&v, "limited"), "limited-wf-2024-05-01T00:01:00Z limited-wf-2024-05-01T00:02:00Z");
    /* Down from 00:03:30 to 00:06:10: the restart takes 00:04, 00:05 and 00:06, once each. */
    env_close_stack(&v);
    sg_clock_set_virtual(at("2024-05-01T00:06:10Z"));
    eh_restart(&v.h, path);
    CHECK(sg_engine_recover(v.h.e) >= 0);
    env_open(&v, path, false);
    CHECK(sg_scheduler_recover(v.s) == 2);
    eh_flush(&v.h);
    run_until(&v, at("2024-05-01T00:06:50Z"), 10 * 1000);
    CHECK_EQ_STR(started(&v, "minutely"),
                 "minutely-wf-2024-05-01T00:01:00Z minutely-wf-2024-05-01T00:02:00Z minutely-wf-2024-05-01T00:03:00Z "
                 "minutely-wf-2024-05-01T00:04:00Z minutely-wf-2024-05-01T00:05:00Z minutely-wf-2024-05-01T00:06:00Z");
    CHECK_EQ_STR(started(&v, "limited"), "limited-wf-2024-05-01T00:01:00Z limited-wf-2024-05-01T00:02:00Z");
    env_close_stack(&v);
    eh_deinit(&v.h);
    unlink(path);
    char wal[64];
    snprintf(wal, sizeof wal, "%s-wal", path);
    unlink(wal);
    snprintf(wal, sizeof wal, "%s-shm", path);
    unlink(wal);
}

static void patch(env *v, const char *id, const char *pause, const char *unpause)
{
    Temporal__Api__Schedule__V1__SchedulePatch p = TEMPORAL__API__SCHEDULE__V1__SCHEDULE_PATCH__INIT;
    p.pause = (char *)(pause ? pause : "");
    p.unpause = (char *)(unpause ? unpause : "");
    Temporal__Api__Workflowservice__V1__PatchScheduleRequest req =
        TEMPORAL__API__WORKFLOWSERVICE__V1__PATCH_SCHEDULE_REQUEST__INIT;
    req.namespace_ = EH_NS;
    req.schedule_id = (char *)id;
    req.patch = &p;
    const char *why;
    CHECK_EQ_INT(sg_scheduler_patch(v->s, &v->h.a, EH_NS_ID, &req, &why), 0);
    CHECK_EQ_INT(eh_flush(&v->h), 0);
}

/* Paused: no wake-up at all, nothing taken; unpaused: the paused minutes are passed over. */
SG_TEST(scheduler_pause_takes_nothing_and_unpause_passes_over_the_paused_time)
{
    env v;
    eh_init(&v.h, NULL);
    sg_clock_set_virtual(at("2024-05-01T00:00:00Z"));
    env_open(&v, NULL, false);
    create(&v, "paused", "* * * * *", "", ALLOW_ALL, 0);
    run_until(&v, at("2024-05-01T00:01:30Z"), 10 * 1000);
    patch(&v, "paused", "maintenance", NULL);
    run_until(&v, at("2024-05-02T00:00:00Z"), 3600 * 1000); /* a day, paused */
    patch(&v, "paused", NULL, "back");
    run_until(&v, at("2024-05-02T00:02:30Z"), 10 * 1000);
    CHECK_EQ_STR(started(&v, "paused"), "paused-wf-2024-05-01T00:01:00Z paused-wf-2024-05-02T00:01:00Z "
                                        "paused-wf-2024-05-02T00:02:00Z");
    env_close_stack(&v);
    eh_deinit(&v.h);
}
