/* SPDX-License-Identifier: Apache-2.0 */
/* fuzz_rpc.c: libFuzzer target for every RPC's request unpacking and validation, through the
 * frontend with an in-memory store.
 *
 * Input: byte 0 picks the service (WorkflowService, OperatorService, Health, TestService),
 * byte 1 the method in the service's .proto order, byte 2 holds flags (bit 0: a 500 ms
 * grpc-timeout, so long polls answer at once; bit 1: the client goes away right after
 * dispatch), and the rest is the serialized request. The request is dispatched with
 * sg_frontend_dispatch as the transport would; the loop runs (group commit included) until the
 * call is finished, exactly once (fuzz_common.c checks that, and the reply's shape).
 *
 * State: one stack for the process, rebuilt every STACK_INPUTS inputs, holding namespace
 * "default" and a run of workflow "fuzz-wf" on task queue "tq" whose first workflow task
 * scheduled an activity and a timer, so that requests naming them get past the lookups.
 * A finding that needs earlier inputs' state may not replay alone; rerun with
 * FUZZ_RPC_FRESH=1 to rebuild the stack for every input. */
#include "fuzz_common.h"

#include <stdlib.h>
#include <string.h>

#define STACK_INPUTS 500

static fz_env env;
static bool is_open;
static unsigned n_inputs;
static bool is_fresh_each;
static const char *run_id; /* of fuzz-wf, in env.h's arena */

/* Workflow "fuzz-wf": started, its first task completed with an activity and a 60 s timer. */
static void populate(fz_env *z)
{
    eh *h = &z->h;
    run_id = eh_start_ok(h, "fuzz-wf", NULL);
    eh_wft *t = eh_take_wft(h, EH_TQ, false);
    pb_cmd **cmds = sg_arena_alloc(&h->a, 2 * sizeof *cmds);
    cmds[0] = eh_cmd_activity(h, "act-1", 0, 0, 10000, 0, NULL);
    cmds[1] = eh_cmd_timer(h, "timer-1", 60000);
    if (eh_complete(h, t, cmds, 2, NULL) != 0)
        fz_fail("populate: the first workflow task did not complete");
}

static void stack_ready(void)
{
    if (is_open && (is_fresh_each || n_inputs % STACK_INPUTS == 0)) {
        fz_env_close(&env);
        is_open = false;
    }
    if (!is_open) {
        fz_env_open(&env);
        populate(&env);
        is_open = true;
    }
    n_inputs++;
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    const char *fresh = getenv("FUZZ_RPC_FRESH");
    is_fresh_each = fresh && *fresh && strcmp(fresh, "0") != 0;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 3)
        return -1;
    const ProtobufCServiceDescriptor *svc;
    const ProtobufCMethodDescriptor *md = fz_method_pick(data[0], data[1], &svc);
    unsigned flags = data[2] & (FZ_DEADLINE | FZ_CANCEL_EARLY);
    stack_ready();
    fz_result r;
    fz_call(&env, svc, md, data + 3, size - 3, flags, &r);
    fz_result_deinit(&r);
    /* The run the stack was seeded with stays readable, its event ids contiguous, whatever the
     * request did. */
    if (sg_txn_is_open(env.h.txn))
        fz_fail("a batch is still open after %s", md->name);
    eh_history(&env.h, run_id);
    return 0;
}
