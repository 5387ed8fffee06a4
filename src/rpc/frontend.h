/* SPDX-License-Identifier: Apache-2.0 */
/* frontend.h: the RPC frontend — routes each gRPC call to its handler by service and method,
 * unpacks the request, and owns what handlers share (store, group commit, server identity).
 *
 * Routing uses the generated service descriptors, so a method the .proto declares but
 * Sandglass does not implement yet answers UNIMPLEMENTED saying so, and a name the .proto does
 * not declare answers UNIMPLEMENTED as unknown. */
#ifndef SG_FRONTEND_H
#define SG_FRONTEND_H

#include "history/engine.h"
#include "matching/matching.h"
#include "namespace/registry.h"
#include "net/grpc.h"
#include "store/txn.h"
#include "timeskip/timeskip.h"
#include "visibility/visibility.h"
#include "batch/batch.h"
#include "batch/runner.h"
#include "schedule/scheduler.h"

typedef struct sg_frontend sg_frontend;

typedef struct sg_frontend_config {
    const char *server_version; /* reported by GetSystemInfo / GetClusterInfo */
    const char *cluster_name;   /* "active" as a dev server's */
    int64_t started_at_ms;
} sg_frontend_config;

/* What the frontend works with (borrowed; all must outlive it). */
typedef struct sg_frontend_deps {
    uv_loop_t *loop;
    sg_txn *txn;           /* replies wait for the batch their writes went into */
    sg_registry *registry; /* namespaces and search attributes */
    sg_engine *engine;     /* workflow runs */
    sg_matching *matching; /* task queues */
    sg_timeskip *timeskip; /* NULL unless a time-skipping test server */
    sg_visibility *visibility; /* List / Count */
    sg_batch *batch;           /* batch operation records */
    sg_batch_runner *batch_runner; /* batch operations in the background */
    sg_scheduler *scheduler;       /* schedules (NULL: the Schedule API answers UNIMPLEMENTED) */
} sg_frontend_deps;

/* Creates the frontend, ready to dispatch. cfg is copied. */
sg_frontend *sg_frontend_new(const sg_frontend_deps *deps, const sg_frontend_config *cfg);
void sg_frontend_free(sg_frontend *fe);
/* The sg_dispatch_fn for sg_server_options: ud is the frontend. */
void sg_frontend_dispatch(void *ud, sg_grpc_call *call);
/* The method descriptor of service ("temporal.api.workflowservice.v1.WorkflowService") and
 * method, or NULL with *why (in arena) when unknown or not implemented. */
const ProtobufCMethodDescriptor *sg_frontend_method(sg_frontend *fe, const char *service,
                                                   const char *method, sg_arena *arena,
                                                   const char **why);
/* Runs one RPC that came over another transport (the HTTP API): md as sg_frontend_method
 * found it, msg the serialized request, validated and decoded as gRPC's are; the answer goes to
 * sink, once, after the group commit it depends on. arena must live until then. */
struct sg_call_sink;
void sg_frontend_dispatch_bytes(sg_frontend *fe, const ProtobufCMethodDescriptor *md,
                                const uint8_t *msg, size_t len, sg_arena *arena,
                                const struct sg_call_sink *sink);

uv_loop_t *sg_frontend_loop(const sg_frontend *fe);
sg_engine *sg_frontend_engine(const sg_frontend *fe);
sg_matching *sg_frontend_matching(const sg_frontend *fe);
sg_timeskip *sg_frontend_timeskip(const sg_frontend *fe);
sg_visibility *sg_frontend_visibility(const sg_frontend *fe);
sg_batch *sg_frontend_batch(const sg_frontend *fe);
sg_batch_runner *sg_frontend_batch_runner(const sg_frontend *fe);
sg_scheduler *sg_frontend_scheduler(const sg_frontend *fe);
/* Stops taking long polls: parked ones are answered empty now, new ones at once. */
void sg_frontend_shutdown(sg_frontend *fe);

sg_registry *sg_frontend_registry(const sg_frontend *fe);
sg_txn *sg_frontend_txn(const sg_frontend *fe);
const sg_frontend_config *sg_frontend_config_get(const sg_frontend *fe);
/* The persisted cluster id (created at first start; the registry keeps it). Borrowed. */
const char *sg_frontend_cluster_id(const sg_frontend *fe);

/* Start-up provisioning, as `temporal server start-dev` does: makes sure namespace name exists
 * (created with the dev-server defaults if not) and that each "NAME=TYPE" search attribute
 * is registered in it. Writes through the group-commit batch and flushes it.
 * SG_EINVAL with *err_msg (malloc'd, caller frees) for a bad attribute spec; store errors. */
int sg_frontend_ensure_namespace(sg_frontend *fe, const char *name, const char *const *attrs,
                                 size_t n_attrs, char **err_msg);

#endif
