/* SPDX-License-Identifier: Apache-2.0 */
/* fuzz_common.c: the stack and the request driver the fuzz targets share (fuzz_common.h).
 *
 * Design note. A request is put through sg_frontend_dispatch in an sg_grpc_call built the way
 * conn.c builds one (net/netint.h), but with no connection behind it: conn == NULL is the
 * transport's "stream already gone" state, in which finishing only frees the call. What the
 * handler answered is seen by the link-time wrappers of the two finish functions before the
 * real ones run. A call the handler keeps (a long poll, a history wait) is cancelled the way
 * conn.c cancels it when the client goes away: is_cancelled set, then the cancel callback.
 *
 * Invariants checked for every request: finished exactly once (twice would also be a
 * use-after-free ASan reports), an OK reply parses as the method's output message, and a
 * failure's details parse as google.rpc.Status. */
#include "fuzz_common.h"

#include "core/clock.h"
#include "core/log.h"
#include "net/netint.h"

#include "google/rpc/status.pb-c.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Loop iterations a call may take before the harness cancels it, and after the cancel. */
#define RUN_ITERATIONS 4
#define SHORT_DEADLINE_MS 500

void fz_fail(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "fuzz: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
    abort();
}

/* ---- the stack ---- */

void fz_log_setup(void)
{
    static bool is_done;
    if (is_done)
        return;
    is_done = true;
    sg_log_level level = SG_LOG_OFF;
    const char *s = getenv("FUZZ_LOG");
    if (s && sg_log_parse_level(s, &level) < 0)
        level = SG_LOG_DEBUG;
    sg_log_setup(level, SG_LOG_PRETTY);
}

/* Inserts namespace "default" under the harness's fixed id, so that the engine harness (which
 * addresses runs by EH_NS_ID) and the frontend (which resolves names) see one namespace. The
 * description is the frontend's own: a start-up namespace made by the frontend, renamed. */
static void insert_default_namespace(fz_env *z)
{
    sg_registry *reg = z->registry;
    char *msg = NULL;
    if (sg_frontend_ensure_namespace(z->fe, "fuzz-template", NULL, 0, &msg) < 0)
        fz_fail("cannot create the template namespace: %s", msg ? msg : "?");
    sg_namespace_rec rec;
    if (sg_registry_namespace_get(reg, "fuzz-template", false, &rec) < 0)
        fz_fail("cannot read the template namespace");
    Temporal__Api__Workflowservice__V1__DescribeNamespaceResponse *d =
        temporal__api__workflowservice__v1__describe_namespace_response__unpack(NULL, rec.info_len,
                                                                                rec.info);
    if (!d || !d->namespace_info)
        fz_fail("the stored namespace is not a DescribeNamespaceResponse");
    char *old_name = d->namespace_info->name, *old_id = d->namespace_info->id;
    d->namespace_info->name = EH_NS;
    d->namespace_info->id = EH_NS_ID;
    size_t n = protobuf_c_message_get_packed_size(&d->base);
    uint8_t *info = sg_malloc(n);
    protobuf_c_message_pack(&d->base, info);
    d->namespace_info->name = old_name;
    d->namespace_info->id = old_id;
    protobuf_c_message_free_unpacked(&d->base, NULL);
    sg_namespace_rec def = { .id = EH_NS_ID, .name = EH_NS, .notification_version = 1,
                             .info = info, .info_len = n };
    if (sg_txn_write(z->h.txn) < 0 || sg_registry_namespace_insert(reg, &def) < 0 ||
        sg_txn_flush(z->h.txn) < 0)
        fz_fail("cannot insert namespace default");
    sg_free(info);
    sg_namespace_rec_deinit(&rec);
}

void fz_env_open(fz_env *z)
{
    fz_log_setup();
    eh_init(&z->h, NULL);
    sg_frontend_config cfg = { .server_version = "fuzz", .cluster_name = "active",
                               .started_at_ms = EH_T0_MS };
    if (sg_registry_open(z->h.st, z->h.txn, &z->registry) < 0)
        fz_fail("cannot open the namespace registry");
    z->visibility = sg_visibility_new(z->h.st, z->registry);
    z->batch = sg_batch_new(z->h.st);
    sg_batch_runner_deps bd = { .loop = &z->h.loop, .txn = z->h.txn, .engine = z->h.e,
                                .visibility = z->visibility, .batch = z->batch };
    z->batch_runner = sg_batch_runner_new(&bd);
    sg_scheduler_deps sd = { .loop = &z->h.loop, .txn = z->h.txn, .st = z->h.st, .engine = z->h.e,
                             .registry = z->registry };
    z->scheduler = sg_scheduler_new(&sd);
    sg_frontend_deps deps = { .loop = &z->h.loop, .txn = z->h.txn, .registry = z->registry,
                              .engine = z->h.e, .matching = z->h.m, .visibility = z->visibility,
                              .batch = z->batch, .batch_runner = z->batch_runner,
                              .scheduler = z->scheduler };
    z->fe = sg_frontend_new(&deps, &cfg);
    /* Without a referenced handle uv_run returns before the prepare phase, where the group
     * commit happens; in the server the listener is that handle. */
    uv_async_init(&z->h.loop, &z->alive, NULL);
    insert_default_namespace(z);
}

void fz_env_close(fz_env *z)
{
    sg_frontend_shutdown(z->fe);
    uv_close((uv_handle_t *)&z->alive, NULL);
    uv_run(&z->h.loop, UV_RUN_NOWAIT);
    sg_txn_flush(z->h.txn);
    sg_batch_runner_free(z->batch_runner);
    z->batch_runner = NULL;
    sg_scheduler_free(z->scheduler);
    z->scheduler = NULL;
    eh_deinit(&z->h);
    sg_frontend_free(z->fe);
    z->fe = NULL;
    sg_registry_free(z->registry);
    z->registry = NULL;
    sg_visibility_free(z->visibility);
    z->visibility = NULL;
    sg_batch_free(z->batch);
    z->batch = NULL;
}

/* ---- watching the finish functions ---- */

/* While its stream is open, conn.c keeps a finished call (and its arena) until the stream
 * closes, some time after the handler returned. A call here has no stream, so the real finish
 * would free it at once; to keep the transport's timing, the watched call's real finish is
 * deferred until the handler has returned (finish_deferred) unless the client is already gone
 * (is_cancelled), where conn.c too frees at finish. */
typedef struct watch {
    sg_grpc_call *call;
    int n_finished;
    bool is_deferred;
    int status;
    uint8_t *body;
    size_t body_len;
    char *message;
    uint8_t *details;
    size_t details_len;
} watch;

static watch w;

static uint8_t *copy_bytes(const uint8_t *p, size_t n)
{
    uint8_t *c = sg_malloc(n ? n : 1);
    if (n)
        memcpy(c, p, n);
    return c;
}

void __wrap_sg_grpc_call_respond(sg_grpc_call *call, const uint8_t *msg, size_t len)
{
    if (call != w.call) {
        __real_sg_grpc_call_respond(call, msg, len);
        return;
    }
    if (++w.n_finished > 1)
        fz_fail("a call was finished twice (respond after an earlier finish)");
    w.status = SG_GRPC_OK;
    w.body = copy_bytes(msg, len);
    w.body_len = len;
    if (call->is_cancelled)
        __real_sg_grpc_call_respond(call, msg, len);
    else
        w.is_deferred = true;
}

void __wrap_sg_grpc_call_fail(sg_grpc_call *call, int status, const char *message,
                              const uint8_t *details, size_t details_len)
{
    if (call != w.call) {
        __real_sg_grpc_call_fail(call, status, message, details, details_len);
        return;
    }
    if (++w.n_finished > 1)
        fz_fail("a call was finished twice (fail with %d after an earlier finish)", status);
    w.status = status;
    w.message = sg_strdup(message ? message : "");
    w.details = details ? copy_bytes(details, details_len) : NULL;
    w.details_len = details_len;
    if (call->is_cancelled)
        __real_sg_grpc_call_fail(call, status, message, details, details_len);
    else
        w.is_deferred = true;
}

/* The stream closes after the reply went out: the real finish, which frees the call. */
static void finish_deferred(void)
{
    if (!w.is_deferred)
        return;
    w.is_deferred = false;
    if (w.status == SG_GRPC_OK)
        __real_sg_grpc_call_respond(w.call, w.body, w.body_len);
    else
        __real_sg_grpc_call_fail(w.call, w.status, w.message, w.details, w.details_len);
}

/* ---- one request ---- */

/* Stands in for the server the call counts itself against (calls_in_flight). */
static sg_server fake_srv;

static sg_grpc_call *call_new(const ProtobufCServiceDescriptor *svc,
                              const ProtobufCMethodDescriptor *md, const uint8_t *msg,
                              size_t len, unsigned flags)
{
    sg_grpc_call *g = sg_calloc(1, sizeof *g);
    g->srv = &fake_srv;
    g->conn = NULL;
    g->stream_id = 1;
    sg_arena_init(&g->arena);
    sg_buf_init(&g->body);
    sg_buf_init(&g->inflated);
    g->path = sg_arena_printf(&g->arena, "/%s/%s", svc->name, md->name);
    /* The body lives in the call, as conn.c keeps it (prefix included). */
    static const uint8_t prefix[5];
    sg_buf_append(&g->body, prefix, sizeof prefix);
    if (len)
        sg_buf_append(&g->body, msg, len);
    g->msg = sg_buf_head(&g->body) + 5;
    g->msg_len = len;
    g->headers[HDR_NAMESPACE] = sg_arena_strdup(&g->arena, EH_NS);
    g->headers[HDR_CLIENT_NAME] = sg_arena_strdup(&g->arena, "temporal-typescript");
    g->headers[HDR_CLIENT_VERSION] = sg_arena_strdup(&g->arena, "1.11.0");
    if (flags & FZ_DEADLINE)
        g->deadline_ms = sg_clock_mono_ms() + SHORT_DEADLINE_MS;
    g->is_dispatched = true;
    fake_srv.calls_in_flight++;
    return g;
}

/* What conn.c does when a dispatched call's stream goes away (call_stream_gone). */
static void call_cancel(sg_grpc_call *g)
{
    g->is_cancelled = true;
    if (g->cancel_fn)
        g->cancel_fn(g->cancel_ud, g);
}

static void run_until_finished(fz_env *z)
{
    for (int i = 0; i < RUN_ITERATIONS && w.n_finished == 0; i++)
        uv_run(&z->h.loop, UV_RUN_NOWAIT);
}

static void check_outcome(const ProtobufCMethodDescriptor *md)
{
    if (w.status == SG_GRPC_OK) {
        ProtobufCMessage *m = protobuf_c_message_unpack(md->output, NULL, w.body_len, w.body);
        if (!m)
            fz_fail("%s answered OK with %zu bytes that are not a valid %s", md->name,
                    w.body_len, md->output->name);
        protobuf_c_message_free_unpacked(m, NULL);
        return;
    }
    if (w.status < 1 || w.status > 16)
        fz_fail("%s answered with status %d", md->name, w.status);
    if (w.details) {
        Google__Rpc__Status *st = google__rpc__status__unpack(NULL, w.details_len, w.details);
        if (!st)
            fz_fail("%s: grpc-status-details-bin is not a google.rpc.Status", md->name);
        if (st->code != w.status)
            fz_fail("%s: status %d but details say %d", md->name, w.status, st->code);
        google__rpc__status__free_unpacked(st, NULL);
    }
}

void fz_call(fz_env *z, const ProtobufCServiceDescriptor *svc, const ProtobufCMethodDescriptor *md,
             const uint8_t *msg, size_t len, unsigned flags, fz_result *out)
{
    memset(out, 0, sizeof *out);
    sg_grpc_call *g = call_new(svc, md, msg, len, flags);
    memset(&w, 0, sizeof w);
    w.call = g;
    sg_frontend_dispatch(z->fe, g);
    if (w.n_finished == 0 && (flags & FZ_CANCEL_EARLY)) {
        out->was_cancelled = true;
        call_cancel(g);
    }
    run_until_finished(z);
    if (w.n_finished == 0 && !out->was_cancelled) {
        out->was_cancelled = true;
        call_cancel(g);
        run_until_finished(z);
    }
    if (w.n_finished == 0) {
        /* A reply waiting for a batch nobody ends would be a bug too; flush once to tell. */
        sg_txn_flush(z->h.txn);
        fz_fail("%s %s", md->name,
                w.n_finished ? "was answered only after an explicit flush of its batch"
                             : "was never finished, even after a cancel and a flush");
    }
    finish_deferred();
    if (fake_srv.calls_in_flight != 0)
        fz_fail("%s: %zu calls still in flight", md->name, fake_srv.calls_in_flight);
    check_outcome(md);
    if (getenv("FUZZ_TRACE"))
        fprintf(stderr, "fuzz: %s (%zu bytes) -> status %d%s\n", md->name, len, w.status,
                out->was_cancelled ? " (cancelled)" : "");
    out->status = w.status;
    out->body = w.body;
    out->body_len = w.body_len;
    w.body = NULL;
    sg_free(w.details);
    sg_free(w.message);
    memset(&w, 0, sizeof w);
}

void fz_call_msg(fz_env *z, const char *method, const ProtobufCMessage *req, unsigned flags,
                 fz_result *out)
{
    const ProtobufCServiceDescriptor *svc = fz_service(0);
    const ProtobufCMethodDescriptor *md = protobuf_c_service_descriptor_get_method_by_name(svc,
                                                                                          method);
    if (!md)
        fz_fail("no method %s", method);
    size_t n = protobuf_c_message_get_packed_size(req);
    uint8_t *b = sg_malloc(n ? n : 1);
    protobuf_c_message_pack(req, b);
    fz_call(z, svc, md, b, n, flags, out);
    sg_free(b);
}

void fz_result_deinit(fz_result *r)
{
    sg_free(r->body);
    memset(r, 0, sizeof *r);
}
