/* SPDX-License-Identifier: Apache-2.0 */
/* info.c: a run as WorkflowExecutionInfo — what Describe answers and what the visibility row
 * stores (and List splices into its replies). */
#include "history/info.h"
#include "history/pbutil.h"
#include "core/pbenc.h"
#include "core/pbwire.h"

#include <string.h>

static Temporal__Api__Common__V1__WorkflowExecution *execution(sg_arena *a, const char *wf,
                                                               const char *run)
{
    Temporal__Api__Common__V1__WorkflowExecution *we = sg_arena_alloc(a, sizeof *we);
    temporal__api__common__v1__workflow_execution__init(we);
    we->workflow_id = sg_arena_strdup(a, wf);
    we->run_id = sg_arena_strdup(a, run);
    return we;
}

int64_t sg_info_execution_time(const ms_t *ms)
{
    /* When the first task may run: after a start delay or a cron backoff (0 in states stored
     * before the field existed). */
    return ms->execution_time_ms ? ms->execution_time_ms : ms->start_time_ms;
}

static void set_counts(Temporal__Api__Workflow__V1__WorkflowExecutionInfo *info, const ms_t *ms)
{
    info->history_length = ms->next_event_id - 1;
    info->state_transition_count = ms->state_transition_count;
    info->history_size_bytes = ms->history_size_bytes;
}

Temporal__Api__Workflow__V1__WorkflowExecutionInfo *sg_info_build(sg_arena *a, const ms_t *ms)
{
    Temporal__Api__Workflow__V1__WorkflowExecutionInfo *info = sg_info_build_listed(a, ms);
    set_counts(info, ms); /* Describe reads the run itself: its counts are current */
    /* Describe's answer outlives ms (it is packed after the operation ends): own copies. */
    info->memo = sg_pb_clone_arena(a, ms->memo ? &ms->memo->base : NULL);
    info->search_attributes =
        sg_pb_clone_arena(a, ms->search_attributes ? &ms->search_attributes->base : NULL);
    info->auto_reset_points =
        sg_pb_clone_arena(a, ms->auto_reset_points ? &ms->auto_reset_points->base : NULL);
    return info;
}

Temporal__Api__Workflow__V1__WorkflowExecutionInfo *sg_info_build_listed(sg_arena *a,
                                                                        const ms_t *ms)
{
    Temporal__Api__Workflow__V1__WorkflowExecutionInfo *info = sg_arena_alloc(a, sizeof *info);
    temporal__api__workflow__v1__workflow_execution_info__init(info);
    Temporal__Api__Common__V1__WorkflowExecution *we = sg_arena_alloc(a, sizeof *we);
    temporal__api__common__v1__workflow_execution__init(we);
    we->workflow_id = sg_arena_strdup(a, ms->workflow_id);
    we->run_id = sg_arena_strdup(a, ms->run_id);
    info->execution = we;
    Temporal__Api__Common__V1__WorkflowType *wt = sg_arena_alloc(a, sizeof *wt);
    temporal__api__common__v1__workflow_type__init(wt);
    wt->name = sg_arena_strdup(a, ms->workflow_type);
    info->type = wt;
    info->start_time = sg_ts_ms(a, ms->start_time_ms);
    info->execution_time = sg_ts_ms(a, sg_info_execution_time(ms));
    if (ms->close_time_ms) {
        info->close_time = sg_ts_ms(a, ms->close_time_ms);
        info->execution_duration = sg_dur_ms(a, ms->close_time_ms - sg_info_execution_time(ms));
    }
    info->status = (Temporal__Api__Enums__V1__WorkflowExecutionStatus)ms->status;
    info->task_queue = sg_arena_strdup(a, ms->task_queue);
    if (ms->status != ST_RUNNING) /* as sg_info_pack_listed */
        set_counts(info, ms);
    info->first_run_id = sg_arena_strdup(a, ms->first_execution_run_id);
    info->memo = ms->memo;
    info->search_attributes = ms->search_attributes;
    if (*ms->parent_run_id) {
        info->parent_namespace_id = sg_arena_strdup(a, ms->namespace_id);
        info->parent_execution = execution(a, ms->parent_workflow_id, ms->parent_run_id);
    }
    info->root_execution = *ms->root_run_id ? execution(a, ms->root_workflow_id, ms->root_run_id)
                                            : execution(a, ms->workflow_id, ms->run_id);
    return info;
}

/* ---- the visibility row's bytes, written directly ----
 * A close and a start each pack the row's WorkflowExecutionInfo; protobuf-c's generic packer
 * (a sizing pass, then a descriptor-driven pass) cost ~6,500 instructions a row, about a tenth
 * of the row's whole write. These bytes are what packing sg_info_build_listed gives, field by
 * field in number order with proto3's omissions (test_engine_workflow.c compares the two). */

static void put_varint_field(sg_buf *b, uint32_t field, uint64_t v)
{
    uint8_t *p = sg_buf_reserve(b, 20);
    size_t n = sg_pb_varint(p, (uint64_t)field << 3);
    n += sg_pb_varint(p + n, v);
    sg_buf_commit(b, n);
}

static void put_str_field(sg_buf *b, uint32_t field, const char *s, bool always)
{
    size_t n = s ? strlen(s) : 0;
    if (n || always)
        sg_pb_put_bytes_field(b, field, (const uint8_t *)(s ? s : ""), n);
}

/* A Timestamp or Duration (same wire shape) of ms. */
static void put_time_field(sg_buf *b, uint32_t field, int64_t ms)
{
    uint8_t tmp[24];
    size_t n = 0;
    int64_t seconds = ms / 1000;
    int32_t nanos = (int32_t)(ms % 1000) * 1000000;
    if (seconds) {
        n += sg_pb_varint(tmp + n, 1 << 3);
        n += sg_pb_varint(tmp + n, (uint64_t)seconds);
    }
    if (nanos) {
        n += sg_pb_varint(tmp + n, 2 << 3);
        n += sg_pb_varint(tmp + n, (uint64_t)(int64_t)nanos);
    }
    sg_pb_put_bytes_field(b, field, tmp, n);
}

static void put_execution_field(sg_buf *b, uint32_t field, const char *wf, const char *run)
{
    sg_buf sub;
    sg_buf_init(&sub);
    put_str_field(&sub, 1, wf, false);
    put_str_field(&sub, 2, run, false);
    sg_pb_put_bytes_field(b, field, sg_buf_head(&sub), sub.len);
    sg_buf_deinit(&sub);
}

static void put_message_field(sg_buf *b, uint32_t field, const ProtobufCMessage *m)
{
    sg_pb_encode_field(b, field, m);
}

void sg_info_pack_listed(sg_buf *b, const ms_t *ms)
{
    int64_t exec_ms = sg_info_execution_time(ms);
    put_execution_field(b, 1, ms->workflow_id, ms->run_id);
    {
        sg_buf sub;
        sg_buf_init(&sub);
        put_str_field(&sub, 1, ms->workflow_type, false);
        sg_pb_put_bytes_field(b, 2, sg_buf_head(&sub), sub.len);
        sg_buf_deinit(&sub);
    }
    put_time_field(b, 3, ms->start_time_ms);
    if (ms->close_time_ms)
        put_time_field(b, 4, ms->close_time_ms);
    if (ms->status)
        put_varint_field(b, 5, (uint64_t)(int64_t)ms->status);
    /* Counts of a run's history are listed once it has closed: a running run's row holds them as
     * of its last visibility write, which Temporal does not show as current (it lists 0). */
    bool closed = ms->status != ST_RUNNING;
    if (closed && ms->next_event_id - 1)
        put_varint_field(b, 6, (uint64_t)(ms->next_event_id - 1));
    if (*ms->parent_run_id) {
        put_str_field(b, 7, ms->namespace_id, false);
        put_execution_field(b, 8, ms->parent_workflow_id, ms->parent_run_id);
    }
    put_time_field(b, 9, exec_ms);
    if (ms->memo)
        put_message_field(b, 10, &ms->memo->base);
    if (ms->search_attributes)
        put_message_field(b, 11, &ms->search_attributes->base);
    put_str_field(b, 13, ms->task_queue, false);
    if (closed && ms->state_transition_count)
        put_varint_field(b, 14, (uint64_t)ms->state_transition_count);
    if (closed && ms->history_size_bytes)
        put_varint_field(b, 15, (uint64_t)ms->history_size_bytes);
    if (ms->close_time_ms)
        put_time_field(b, 17, ms->close_time_ms - exec_ms);
    if (*ms->root_run_id)
        put_execution_field(b, 18, ms->root_workflow_id, ms->root_run_id);
    else
        put_execution_field(b, 18, ms->workflow_id, ms->run_id);
    put_str_field(b, 21, ms->first_execution_run_id, false);
}
