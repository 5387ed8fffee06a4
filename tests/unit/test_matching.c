/* SPDX-License-Identifier: Apache-2.0 */
/* test_matching.c: ShutdownWorker's effect on matching — the worker's parked polls end empty,
 * its later polls end empty at once, and other workers are not affected. */
#include "test.h"

#include "matching/matching.h"

typedef struct poll_log {
    int empty, offered;
} poll_log;

static bool take(void *ud, const sg_task_ref *t)
{
    SG_UNUSED(t);
    ((poll_log *)ud)->offered++;
    return true;
}

static void on_empty(void *ud)
{
    ((poll_log *)ud)->empty++;
}

SG_TEST(matching_worker_shutdown_ends_and_refuses_its_polls)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    sg_matching *m = sg_matching_new(&loop);
    poll_log a = { 0 }, b = { 0 }, late = { 0 };
    sg_poller *pa = sg_matching_poll_as(m, "ns", SG_TASK_WORKFLOW, "q", "pid@host", "key-A", 60000,
                                        take, on_empty, &a);
    sg_poller *pb = sg_matching_poll_as(m, "ns", SG_TASK_WORKFLOW, "q", "pid@host", "key-B", 60000,
                                        take, on_empty, &b);
    CHECK(pa && pb);
    CHECK_EQ_INT(sg_matching_worker_shutdown(m, "ns", "key-A"), 1);
    CHECK_EQ_INT(a.empty, 1);
    CHECK_EQ_INT(b.empty, 0);
    /* A's straggling poll gets nothing, even with a task queued. */
    sg_task_ref t = { "ns", "wf", "run", 2, 1 };
    sg_matching_add(m, SG_TASK_WORKFLOW, "q", &t); /* goes to B, parked */
    CHECK_EQ_INT(b.offered, 1);
    sg_matching_add(m, SG_TASK_WORKFLOW, "q", &t);
    CHECK(sg_matching_poll_as(m, "ns", SG_TASK_WORKFLOW, "q", "pid@host", "key-A", 60000, take,
                              on_empty, &late) == NULL);
    CHECK_EQ_INT(late.empty, 1);
    CHECK_EQ_INT(late.offered, 0);
    CHECK_EQ_INT(sg_matching_backlog(m, "ns", SG_TASK_WORKFLOW, "q"), 1); /* still there */
    /* Same shutdown in another namespace: unrelated. */
    poll_log other = { 0 };
    CHECK(sg_matching_poll_as(m, "ns2", SG_TASK_WORKFLOW, "q", "pid@host", "key-A", 0, take,
                              on_empty, &other) == NULL);
    CHECK_EQ_INT(other.empty, 1); /* wait 0: empty because nothing is queued, not refused */
    sg_matching_shutdown(m);
    uv_run(&loop, UV_RUN_DEFAULT);
    sg_matching_free(m);
    uv_run(&loop, UV_RUN_DEFAULT);
    uv_loop_close(&loop);
}
