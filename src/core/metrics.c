/* SPDX-License-Identifier: Apache-2.0 */
/* metrics.c: the metrics registry (metrics.h). A family is a name, help text, type and its
 * series keyed by their rendered label set; a scrape renders families in a fixed order and
 * each family's series sorted by labels, so two scrapes of the same state are identical. */
#include "core/metrics.h"

#include "core/map.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef enum { COUNTER, HISTOGRAM } kind;

static const double latency_buckets[] = { 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                          0.1,    0.25,  0.5,    1,     2.5,  5,    10 };
static const double size_buckets[] = { 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 5000 };

typedef struct family {
    const char *name, *help;
    kind k;
    const double *buckets;
    size_t n_buckets;
    sg_map series; /* labels -> series */
    bool ready;
} family;

typedef struct series {
    double value; /* counter */
    uint64_t *counts; /* histogram: per bucket (not cumulative), then +Inf */
    double sum;
    uint64_t count;
} series;

enum { F_REQUESTS, F_LATENCY, F_WF_STARTED, F_WF_CLOSED, F_SCHED, F_COMMIT_WRITES, F_COMMIT_LATENCY,
       F_COMMIT_FAILURES, N_FAMILIES };

static family families[N_FAMILIES] = {
    [F_REQUESTS] = { "service_requests_total", "RPCs answered, by operation and gRPC status.", COUNTER, NULL, 0, { 0 }, false },
    [F_LATENCY] = { "service_latency_seconds", "Time from an RPC's dispatch to its answer (long polls include their wait), by operation.", HISTOGRAM, latency_buckets, SG_ARRAY_LEN(latency_buckets), { 0 }, false },
    [F_WF_STARTED] = { "workflow_started_total", "Workflow runs started, by workflow type.", COUNTER, NULL, 0, { 0 }, false },
    [F_WF_CLOSED] = { "workflow_closed_total", "Workflow runs closed, by workflow type and status.", COUNTER, NULL, 0, { 0 }, false },
    [F_SCHED] = { "schedule_actions_total", "Schedule actions, by result: started, skipped (overlap), buffered, missed (catch-up window).", COUNTER, NULL, 0, { 0 }, false },
    [F_COMMIT_WRITES] = { "persistence_commit_batch_size", "Completions (replies and run commits) carried by one group-commit transaction.", HISTOGRAM, size_buckets, SG_ARRAY_LEN(size_buckets), { 0 }, false },
    [F_COMMIT_LATENCY] = { "persistence_commit_latency_seconds", "Time to commit one group-commit transaction (fsync included).", HISTOGRAM, latency_buckets, SG_ARRAY_LEN(latency_buckets), { 0 }, false },
    [F_COMMIT_FAILURES] = { "persistence_commit_failures_total", "Group-commit transactions that failed (their requests got UNAVAILABLE).", COUNTER, NULL, 0, { 0 }, false },
};

static family *fam(int f)
{
    family *x = &families[f];
    if (!x->ready) {
        sg_map_init(&x->series);
        x->ready = true;
    }
    return x;
}

/* Label values escaped as the text format wants (backslash, quote, newline). */
static void put_value(sg_buf *b, const char *v)
{
    for (const char *c = v ? v : "";;) {
        size_t n = strcspn(c, "\\\"\n");
        sg_buf_append(b, c, n);
        c += n;
        if (!*c)
            return;
        sg_buf_append_str(b, *c == '\n' ? "\\n" : *c == '"' ? "\\\"" : "\\\\");
        c++;
    }
}

/* The series of family f for labels name=value pairs (NULL-terminated), created at zero. */
static series *get(int f, const char *const *labels)
{
    family *x = fam(f);
    sg_buf key;
    sg_buf_init(&key);
    for (size_t i = 0; labels && labels[i]; i += 2) {
        /* Appends, not a printf: this runs for every start, close and commit. */
        if (i)
            sg_buf_append(&key, ",", 1);
        sg_buf_append(&key, labels[i], strlen(labels[i]));
        sg_buf_append(&key, "=\"", 2);
        put_value(&key, labels[i + 1]);
        sg_buf_append(&key, "\"", 1);
    }
    sg_buf_append(&key, "", 1);
    const char *k = (const char *)sg_buf_head(&key);
    series *s = sg_map_get(&x->series, k);
    if (!s) {
        s = sg_calloc(1, sizeof *s);
        if (x->k == HISTOGRAM)
            s->counts = sg_calloc(x->n_buckets + 1, sizeof *s->counts);
        sg_map_put(&x->series, k, s);
    }
    sg_buf_deinit(&key);
    return s;
}

static void observe(int f, series *s, double v)
{
    const family *x = &families[f];
    size_t i = 0;
    while (i < x->n_buckets && v > x->buckets[i])
        i++;
    s->counts[i]++;
    s->sum += v;
    s->count++;
}

static const char *const grpc_names[] = { "OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT",
                                          "DEADLINE_EXCEEDED", "NOT_FOUND", "ALREADY_EXISTS",
                                          "PERMISSION_DENIED", "RESOURCE_EXHAUSTED",
                                          "FAILED_PRECONDITION", "ABORTED", "OUT_OF_RANGE",
                                          "UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE", "DATA_LOSS",
                                          "UNAUTHENTICATED" };

static const char *const wf_status_names[] = { "Unspecified", "Running", "Completed", "Failed",
                                               "Canceled", "Terminated", "ContinuedAsNew",
                                               "TimedOut" };

/* The two series of an (operation, status) pair, by the operation's address: rendering and
 * hashing the label set cost a few thousand instructions, several times per workflow. Full
 * (more pairs than slots, which no method table reaches) falls back to the lookup. */
typedef struct rpc_slot {
    const char *operation;
    int status;
    series *requests, *latency;
} rpc_slot;
static rpc_slot rpc_cache[512];

void sg_metrics_rpc(const char *operation, int grpc_status, double seconds)
{
    size_t h = (((uintptr_t)operation >> 3) * 31u + (unsigned)grpc_status) % SG_ARRAY_LEN(rpc_cache);
    rpc_slot *slot = NULL;
    for (size_t i = 0; i < 8; i++) {
        rpc_slot *c = &rpc_cache[(h + i) % SG_ARRAY_LEN(rpc_cache)];
        if (c->operation == operation && c->status == grpc_status) {
            c->requests->value++;
            observe(F_LATENCY, c->latency, seconds);
            return;
        }
        if (!c->operation) {
            slot = c;
            break;
        }
    }
    const char *status = grpc_status >= 0 && grpc_status < (int)SG_ARRAY_LEN(grpc_names)
                             ? grpc_names[grpc_status] : "UNKNOWN";
    const char *l1[] = { "operation", operation, "status", status, NULL };
    series *req = get(F_REQUESTS, l1);
    const char *l2[] = { "operation", operation, NULL };
    series *lat = get(F_LATENCY, l2);
    req->value++;
    observe(F_LATENCY, lat, seconds);
    if (slot)
        *slot = (rpc_slot){ operation, grpc_status, req, lat };
}

void sg_metrics_workflow_started(const char *workflow_type)
{
    const char *l[] = { "workflow_type", workflow_type, NULL };
    get(F_WF_STARTED, l)->value++;
}

void sg_metrics_workflow_closed(const char *workflow_type, int status)
{
    const char *name = status >= 0 && status < (int)SG_ARRAY_LEN(wf_status_names)
                           ? wf_status_names[status] : "Unspecified";
    const char *l[] = { "workflow_type", workflow_type, "status", name, NULL };
    get(F_WF_CLOSED, l)->value++;
}

void sg_metrics_schedule_action(const char *result)
{
    const char *l[] = { "result", result, NULL };
    get(F_SCHED, l)->value++;
}

void sg_metrics_commit(uint64_t writes, double seconds, bool ok)
{
    if (!ok) {
        get(F_COMMIT_FAILURES, NULL)->value++;
        return;
    }
    observe(F_COMMIT_WRITES, get(F_COMMIT_WRITES, NULL), (double)writes);
    observe(F_COMMIT_LATENCY, get(F_COMMIT_LATENCY, NULL), seconds);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* "name{labels,extra}" or "name{extra}" or "name". */
static void put_name(sg_buf *b, const char *name, const char *suffix, const char *labels, const char *extra)
{
    sg_buf_printf(b, "%s%s", name, suffix);
    bool has = labels && *labels;
    if (has || extra) {
        sg_buf_printf(b, "{%s%s%s}", has ? labels : "", has && extra ? "," : "", extra ? extra : "");
    }
}

static void put_number(sg_buf *b, double v)
{
    if (v == (double)(int64_t)v && v < 9e15 && v > -9e15)
        sg_buf_printf(b, " %lld\n", (long long)v);
    else
        sg_buf_printf(b, " %.9g\n", v);
}

void sg_metrics_render(sg_buf *out)
{
    for (int f = 0; f < N_FAMILIES; f++) {
        family *x = fam(f);
        /* A histogram's name is its base: the _bucket/_sum/_count samples extend it. */
        sg_buf_printf(out, "# HELP %s %s\n# TYPE %s %s\n", x->name, x->help, x->name,
                      x->k == COUNTER ? "counter" : "histogram");
        size_t n = sg_map_len(&x->series), i = 0;
        const char **keys = sg_malloc((n ? n : 1) * sizeof *keys);
        const char *k;
        void *v;
        for (size_t it = 0; sg_map_next(&x->series, &it, &k, &v);)
            keys[i++] = k;
        qsort(keys, n, sizeof *keys, cmp_str);
        for (i = 0; i < n; i++) {
            series *s = sg_map_get(&x->series, keys[i]);
            if (x->k == COUNTER) {
                put_name(out, x->name, "", keys[i], NULL);
                put_number(out, s->value);
                continue;
            }
            uint64_t cum = 0;
            for (size_t b = 0; b <= x->n_buckets; b++) {
                cum += s->counts[b];
                char le[48];
                if (b < x->n_buckets)
                    snprintf(le, sizeof le, "le=\"%g\"", x->buckets[b]);
                else
                    snprintf(le, sizeof le, "le=\"+Inf\"");
                put_name(out, x->name, "_bucket", keys[i], le);
                put_number(out, (double)cum);
            }
            put_name(out, x->name, "_sum", keys[i], NULL);
            put_number(out, s->sum);
            put_name(out, x->name, "_count", keys[i], NULL);
            put_number(out, (double)s->count);
        }
        sg_free(keys);
    }
}

void sg_metrics_gauge_header(sg_buf *out, const char *name, const char *help)
{
    sg_buf_printf(out, "# HELP %s %s\n# TYPE %s gauge\n", name, help, name);
}

void sg_metrics_gauge_sample(sg_buf *out, const char *name, const char *const *labels, double value)
{
    sg_buf_append_str(out, name);
    for (size_t i = 0; labels && labels[i]; i += 2) {
        sg_buf_printf(out, "%s%s=\"", i ? "," : "{", labels[i]);
        put_value(out, labels[i + 1]);
        sg_buf_append(out, "\"", 1);
    }
    if (labels && labels[0])
        sg_buf_append(out, "}", 1);
    put_number(out, value);
}

void sg_metrics_reset(void)
{
    memset(rpc_cache, 0, sizeof rpc_cache);
    for (int f = 0; f < N_FAMILIES; f++) {
        family *x = &families[f];
        if (!x->ready)
            continue;
        const char *k;
        void *v;
        for (size_t it = 0; sg_map_next(&x->series, &it, &k, &v);) {
            series *s = v;
            sg_free(s->counts);
            sg_free(s);
        }
        sg_map_deinit(&x->series);
        x->ready = false;
    }
}
