/* SPDX-License-Identifier: Apache-2.0 */
/* metrics.h: the process's Prometheus metrics (metrics.c) — counters and histograms the layers
 * bump where the work happens, rendered in the Prometheus text format (0.0.4) on a scrape.
 *
 * One registry per process, as Prometheus client libraries keep one: the server runs one node,
 * and threading a registry through every layer for a counter would couple them all to it.
 * Recording is cheap (a map lookup and an add) and never fails. Names follow Prometheus
 * conventions (counters end in _total, durations in seconds) and Temporal's server metric
 * names where one exists (service_requests, service_latency, workflow_*). */
#ifndef SG_METRICS_H
#define SG_METRICS_H

#include "core/buf.h"

#include <stdint.h>

/* An RPC answered: its method, gRPC status (0 OK) and time from dispatch to the answer.
 * operation must live as long as the process (a method table's name): its series are
 * remembered by its address, so the label set is not rendered again for every request. */
void sg_metrics_rpc(const char *operation, int grpc_status, double seconds);
/* A workflow run started, or closed with its WorkflowExecutionStatus. */
void sg_metrics_workflow_started(const char *workflow_type);
void sg_metrics_workflow_closed(const char *workflow_type, int status);
/* A schedule took an action: "started", "skipped" (overlap), "buffered", "missed" (catch-up). */
void sg_metrics_schedule_action(const char *result);
/* A group-commit batch committed (or failed): how many completions (replies, run commits) it
 * carried and how long the commit took. */
void sg_metrics_commit(uint64_t writes, double seconds, bool ok);

/* Appends every metric recorded so far, each with HELP and TYPE lines. */
void sg_metrics_render(sg_buf *out);
/* A gauge measured at scrape time: its HELP and TYPE lines, then its samples (labels:
 * name/value pairs, NULL-terminated; NULL for none). */
void sg_metrics_gauge_header(sg_buf *out, const char *name, const char *help);
void sg_metrics_gauge_sample(sg_buf *out, const char *name, const char *const *labels, double value);
/* Forgets everything (tests). */
void sg_metrics_reset(void);

#endif
