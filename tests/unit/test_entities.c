/* SPDX-License-Identifier: Apache-2.0 */
/* test_entities.c: each history entity refuses a transition its diagram does not have — the
 * process stops (sg_panic / sg_assert) rather than write an impossible history. One sample
 * per entity: workflow task, activity, timer, workflow run. Each is tried in a child process,
 * which must die. */
#include "engine_harness.h"
#include "test.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#define WFT_S(X) SANDGLASS__V1__WORKFLOW_TASK_STATE__WORKFLOW_TASK_STATE_##X
#define ACT_S(X) SANDGLASS__V1__ACTIVITY_STATE__ACTIVITY_STATE_##X

/* Runs fn(ud) in a child; true if the child died (signal or non-zero exit). */
static bool dies(void (*fn)(void *ud), void *ud)
{
    fflush(NULL);
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        /* The abort is expected: keep its report short. */
        if (!freopen("/dev/null", "w", stderr))
            _exit(2);
        fn(ud);
        _exit(0);
    }
    int st = 0;
    CHECK(waitpid(pid, &st, 0) == pid);
    return WIFSIGNALED(st) || (WIFEXITED(st) && WEXITSTATUS(st) != 0);
}

static void wft_to(void *ud)
{
    ms_wft *w = ud;
    sg_wft_move(w, WFT_S(STARTED));
}

SG_TEST(entity_wft_illegal_transitions_stop)
{
    ms_wft w;
    sandglass__v1__workflow_task__init(&w);
    CHECK_EQ_INT(sg_wft_state(&w), WFT_S(NONE));
    CHECK(dies(wft_to, &w)); /* NONE -> STARTED: never scheduled */
    sg_wft_move(&w, WFT_S(SCHEDULED));
    sg_wft_move(&w, WFT_S(STARTED));
    CHECK(dies(wft_to, &w)); /* STARTED -> STARTED: started twice */
    sg_wft_move(&w, WFT_S(NONE));
    CHECK_EQ_INT(sg_wft_state(&w), WFT_S(NONE));
    /* A state stored before the field existed is derived from the event ids. */
    ms_wft old;
    sandglass__v1__workflow_task__init(&old);
    old.scheduled_event_id = 2;
    CHECK_EQ_INT(sg_wft_state(&old), WFT_S(SCHEDULED));
    old.started_event_id = 3;
    CHECK_EQ_INT(sg_wft_state(&old), WFT_S(STARTED));
}

static void act_to_backoff(void *ud)
{
    sg_act_move(ud, ACT_S(BACKOFF));
}

static void act_to_started(void *ud)
{
    sg_act_move(ud, ACT_S(STARTED));
}

SG_TEST(entity_activity_illegal_transitions_stop)
{
    ms_activity act;
    sandglass__v1__activity__init(&act);
    act.activity_id = "a1";
    act.state = ACT_S(SCHEDULED);
    CHECK(dies(act_to_backoff, &act)); /* SCHEDULED -> BACKOFF: failed before it started */
    sg_act_move(&act, ACT_S(STARTED));
    CHECK(dies(act_to_started, &act)); /* STARTED -> STARTED: handed out twice */
    sg_act_move(&act, ACT_S(BACKOFF));
    CHECK(dies(act_to_started, &act)); /* BACKOFF -> STARTED: before its retry was dispatched */
    sg_act_move(&act, ACT_S(SCHEDULED));
    CHECK_EQ_INT(sg_act_state(&act), ACT_S(SCHEDULED));
}

typedef struct run_ctx {
    eh *h;
    const char *run;
} run_ctx;

static sg_exec *cached(eh *h, const char *run)
{
    char *key = sg_exec_key(EH_NS_ID, run);
    sg_exec *x = sg_map_get(&h->e->cache, key);
    sg_free(key);
    return x;
}

static void cancel_missing_timer(void *ud)
{
    run_ctx *c = ud;
    sg_exec *x = cached(c->h, c->run);
    sg_timer_cancel(x, &c->h->a, x->ms->n_timers, 4, "test"); /* no such pending timer */
}

SG_TEST(entity_timer_cancel_of_a_missing_timer_stops)
{
    eh h;
    eh_init(&h, NULL);
    const char *run = eh_start_ok(&h, "wf-1", NULL);
    CHECK(cached(&h, run) != NULL);
    run_ctx c = { &h, run };
    CHECK(dies(cancel_missing_timer, &c));
    eh_deinit(&h);
}

static void close_again(void *ud)
{
    run_ctx *c = ud;
    sg_exec *x = sg_calloc(1, sizeof *x);
    ms_t ms;
    sandglass__v1__mutable_state__init(&ms);
    ms.status = ST_COMPLETED;
    x->ms = &ms;
    x->key = (char *)c->run;
    sg_wf_close(x, ST_FAILED); /* a closed run never closes again */
}

static void close_running_as_running(void *ud)
{
    run_ctx *c = ud;
    sg_exec *x = sg_calloc(1, sizeof *x);
    ms_t ms;
    sandglass__v1__mutable_state__init(&ms);
    ms.status = ST_RUNNING;
    x->ms = &ms;
    x->key = (char *)c->run;
    sg_wf_close(x, ST_RUNNING);
}

SG_TEST(entity_workflow_illegal_transitions_stop)
{
    run_ctx c = { NULL, "ns/run" };
    CHECK(dies(close_again, &c));
    CHECK(dies(close_running_as_running, &c));
}
