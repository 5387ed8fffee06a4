/* SPDX-License-Identifier: Apache-2.0 */
/* fuzz_common.h: what the fuzz targets share — an engine stack with the frontend on top (the
 * engine harness's stack plus namespace "default" with the harness's namespace id), and a way
 * to put one request through sg_frontend_dispatch exactly as the transport does and see how it
 * was answered.
 *
 * The transport's two finish functions (sg_grpc_call_respond, sg_grpc_call_fail) are wrapped
 * at link time (-Wl,--wrap, fuzz/fuzz.mk): the wrappers note the outcome of the call being
 * watched, then run the real functions. Nothing in src/ knows about fuzzing. */
#ifndef SG_FUZZ_COMMON_H
#define SG_FUZZ_COMMON_H

#include "engine_harness.h"

#include "net/grpc.h"
#include "rpc/frontend.h"

#include <protobuf-c/protobuf-c.h>

/* ---- the services a request can address (fuzz_methods.c; stable order: corpus bytes depend
 * on it) ---- */

/* Number of services: WorkflowService, OperatorService, Health, TestService. */
#define FZ_N_SERVICES 4
const ProtobufCServiceDescriptor *fz_service(unsigned i);
/* The method picked by two input bytes (service, method; both reduced modulo the count). */
const ProtobufCMethodDescriptor *fz_method_pick(uint8_t svc_byte, uint8_t method_byte,
                                                const ProtobufCServiceDescriptor **svc);
/* The bytes that pick "/Service/Method" (the inverse of fz_method_pick); false if unknown. */
bool fz_method_bytes(const char *path, uint8_t *svc_byte, uint8_t *method_byte);

/* ---- the stack ---- */

typedef struct fz_env {
    eh h;            /* loop, store (in memory), group commit, matching, engine, virtual clock */
    sg_registry *registry; /* over h's store */
    sg_visibility *visibility;
    sg_batch *batch;
    sg_batch_runner *batch_runner;
    sg_scheduler *scheduler;
    sg_frontend *fe; /* over h's engine; "default" has id EH_NS_ID */
    uv_async_t alive; /* keeps the loop alive, as the server's listener does */
} fz_env;

/* Log level from $FUZZ_LOG (debug|info|warn|error|never; default never), once per process. */
void fz_log_setup(void);
void fz_env_open(fz_env *z);
void fz_env_close(fz_env *z);

/* ---- one request through the frontend ---- */

enum {
    FZ_DEADLINE = 1 << 0,     /* grpc-timeout of 500 ms: long polls answer at once */
    FZ_CANCEL_EARLY = 1 << 1, /* the client goes away right after dispatch */
};

typedef struct fz_result {
    int status;       /* gRPC status; 0 = OK */
    uint8_t *body;    /* OK: the reply message (malloc'd; fz_result_deinit frees) */
    size_t body_len;
    bool was_cancelled; /* the harness had to cancel it (a long poll that would wait) */
} fz_result;

/* Dispatches msg as a request for svc/md, runs the loop (group commit included) until the call
 * is finished, cancelling it as a departed client would if it is still waiting after a few
 * iterations. Aborts if the call is never finished or finished more than once, if an OK reply
 * does not parse as md's output type, or if grpc-status-details-bin is not a google.rpc.Status. */
void fz_call(fz_env *z, const ProtobufCServiceDescriptor *svc, const ProtobufCMethodDescriptor *md,
             const uint8_t *msg, size_t len, unsigned flags, fz_result *out);
/* fz_call for a message built in C: packs it first. */
void fz_call_msg(fz_env *z, const char *method, const ProtobufCMessage *req, unsigned flags,
                 fz_result *out);
void fz_result_deinit(fz_result *r);

/* Aborts with a message (a finding: libFuzzer saves the input). */
void fz_fail(const char *fmt, ...) SG_PRINTF(1, 2) __attribute__((noreturn));

/* Link-time wrappers (see above). */
void __real_sg_grpc_call_respond(sg_grpc_call *call, const uint8_t *msg, size_t len);
void __wrap_sg_grpc_call_respond(sg_grpc_call *call, const uint8_t *msg, size_t len);
void __real_sg_grpc_call_fail(sg_grpc_call *call, int status, const char *message,
                              const uint8_t *details, size_t details_len);
void __wrap_sg_grpc_call_fail(sg_grpc_call *call, int status, const char *message,
                              const uint8_t *details, size_t details_len);

#endif
