/* SPDX-License-Identifier: Apache-2.0 */
/* workflow.c: `sandglass workflow …` — the `temporal workflow` commands an operator's runbook
 * uses: list, count, describe, show, cancel, terminate, start, execute, result, signal, query
 * and delete, in text and JSON.
 *
 * Design note. Each command builds one WorkflowService request, calls it through cmd.c and
 * prints the reply: JSON output is the reply message itself (pbjson.c, Temporal's CLI
 * conventions), text output a table or labelled lines. Commands that act on many workflows by
 * --query need server-side batch operations, which do not exist yet: they say so. */
#include "cli/cli.h"
#include "cli/cmd.h"
#include "cli/input.h"
#include "core/pbjson.h"

#include "core/sg.h"
#include "core/uuid.h"

#include "temporal/api/workflowservice/v1/request_response.pb-c.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#define WS "workflowservice.v1.WorkflowService"

typedef Temporal__Api__Workflow__V1__WorkflowExecutionInfo wf_info;

/* "Running", "Completed", ... as the temporal CLI's text output spells statuses. */
static const char *status_text(int s)
{
    static const char *const names[] = { "Unspecified", "Running", "Completed", "Failed",
                                         "Canceled", "Terminated", "ContinuedAsNew", "TimedOut",
                                         "Paused" };
    return s >= 0 && (size_t)s < sizeof names / sizeof names[0] ? names[s] : "Unknown";
}

static int not_found_or(const char *what, const char *wid, int status, char *message)
{
    /* NOT_FOUND also answers an action on a closed run ("workflow execution already
     * completed"): that message says more than "not found". */
    bool plain = status == 5 && !(message && strstr(message, "completed"));
    int rc = plain ? sg_cli_fail("%s not found: %s", what, wid)
                   : sg_cli_fail("%s", message ? message : "call failed");
    sg_free(message);
    return rc;
}

/* One call about workflow wid: 0 with *m, or the exit code after one line naming what failed. */
static int wf_call(sg_cli *c, const char *wid, const char *method, const ProtobufCMessage *req,
                   const ProtobufCMessageDescriptor *resp, ProtobufCMessage **m)
{
    int status;
    char *msg;
    if (!sg_cli_call(c, WS, method, req, resp, m, &status, &msg))
        return 0;
    return status < 0 ? 1 : not_found_or("workflow", wid, status, msg);
}

/* Frees the reply of an action and says it was done (text) or prints {} (JSON). */
static int acked(const sg_cli *c, ProtobufCMessage *m, const char *text)
{
    protobuf_c_message_free_unpacked(m, NULL);
    if (c->output == SG_OUT_TEXT)
        puts(text);
    else if (c->output != SG_OUT_NONE)
        puts("{}");
    return 0;
}

static const char *require(const sg_cli_args *a, const char *name)
{
    const char *v = sg_cli_arg(a, name);
    return v && *v ? v : NULL;
}

/* The execution --workflow-id and --run-id name; NULL (we untouched) without a workflow id. */
static const char *execution_of(const sg_cli_args *a, Temporal__Api__Common__V1__WorkflowExecution *we)
{
    const char *wid = require(a, "workflow-id");
    if (!wid)
        return NULL;
    temporal__api__common__v1__workflow_execution__init(we);
    we->workflow_id = (char *)wid;
    we->run_id = (char *)(sg_cli_arg(a, "run-id") ? sg_cli_arg(a, "run-id") : "");
    return wid;
}

/* The one execution a command acts on (--workflow-id, --run-id); the commands that take
 * --query for many send it as a batch job before coming here. 0, or the exit code after one
 * line. */
static int target(const sg_cli_args *a, Temporal__Api__Common__V1__WorkflowExecution *we,
                  const char **wid)
{
    *wid = execution_of(a, we);
    return *wid ? 0 : sg_cli_fail("--workflow-id is required");
}

/* ---- list ---- */

static int run_list(sg_cli *c, const sg_cli_args *a)
{
    const char *query = sg_cli_arg(a, "query");
    long limit = sg_cli_arg(a, "limit") ? atol(sg_cli_arg(a, "limit")) : 0;
    long page_size = sg_cli_arg(a, "page-size") ? atol(sg_cli_arg(a, "page-size")) : 0;
    if (limit > 0 && (page_size == 0 || page_size > limit))
        page_size = limit;
    if (sg_cli_arg_bool(a, "archived"))
        return sg_cli_fail("--archived: Sandglass has no archival");
    sg_cli_page page = { { 0, NULL }, NULL };
    long shown = 0;
    bool first_page = true;
    int rc = 0;
    for (;;) {
        Temporal__Api__Workflowservice__V1__ListWorkflowExecutionsRequest req =
            TEMPORAL__API__WORKFLOWSERVICE__V1__LIST_WORKFLOW_EXECUTIONS_REQUEST__INIT;
        req.namespace_ = (char *)c->namespace_;
        req.query = (char *)(query ? query : "");
        req.page_size = (int32_t)page_size;
        req.next_page_token = page.token;
        ProtobufCMessage *m;
        rc = sg_cli_call(c, WS, "ListWorkflowExecutions", &req.base,
                         &temporal__api__workflowservice__v1__list_workflow_executions_response__descriptor,
                         &m, NULL, NULL);
        if (rc)
            break;
        Temporal__Api__Workflowservice__V1__ListWorkflowExecutionsResponse *resp = (void *)m;
        size_t n = resp->n_executions;
        if (limit > 0 && (long)n > limit - shown)
            n = (size_t)(limit - shown);
        if (c->output == SG_OUT_TEXT && (n || first_page)) {
            const char **cells = sg_calloc((n + 1) * 4, sizeof *cells);
            sg_buf *times = sg_calloc(n ? n : 1, sizeof *times);
            size_t r = 0;
            if (first_page) {
                cells[0] = "Status", cells[1] = "WorkflowId", cells[2] = "Type", cells[3] = "StartTime";
                r = 1;
            }
            for (size_t i = 0; i < n; i++, r++) {
                wf_info *w = resp->executions[i];
                sg_buf_init(&times[i]);
                if (w->start_time)
                    sg_cli_time(c, &times[i], w->start_time->seconds, w->start_time->nanos);
                sg_buf_append(&times[i], "", 1);
                cells[r * 4] = status_text(w->status);
                cells[r * 4 + 1] = w->execution ? w->execution->workflow_id : "";
                cells[r * 4 + 2] = w->type ? w->type->name : "";
                cells[r * 4 + 3] = (const char *)sg_buf_head(&times[i]);
            }
            sg_cli_table(c, stdout, cells, r, 4, first_page);
            for (size_t i = 0; i < n; i++)
                sg_buf_deinit(&times[i]);
            sg_free(times);
            sg_free(cells);
        } else {
            for (size_t i = 0; i < n; i++)
                sg_cli_list_item(c, &resp->executions[i]->base, shown + (long)i, true);
        }
        shown += (long)n;
        first_page = false;
        bool more = (limit <= 0 || shown < limit) && sg_cli_page_next(&page, resp->next_page_token);
        protobuf_c_message_free_unpacked(m, NULL);
        if (!more)
            break;
    }
    sg_cli_page_free(&page);
    sg_cli_list_end(c, shown);
    return rc;
}

/* ---- count ---- */

static int run_count(sg_cli *c, const sg_cli_args *a)
{
    const char *query = sg_cli_arg(a, "query");
    Temporal__Api__Workflowservice__V1__CountWorkflowExecutionsRequest req =
        TEMPORAL__API__WORKFLOWSERVICE__V1__COUNT_WORKFLOW_EXECUTIONS_REQUEST__INIT;
    req.namespace_ = (char *)c->namespace_;
    req.query = (char *)(query ? query : "");
    ProtobufCMessage *m;
    int rc = sg_cli_call(c, WS, "CountWorkflowExecutions", &req.base,
                         &temporal__api__workflowservice__v1__count_workflow_executions_response__descriptor,
                         &m, NULL, NULL);
    if (rc)
        return rc;
    Temporal__Api__Workflowservice__V1__CountWorkflowExecutionsResponse *resp = (void *)m;
    if (c->output == SG_OUT_TEXT) {
        printf("Total: %lld\n", (long long)resp->count);
        for (size_t i = 0; i < resp->n_groups; i++) {
            printf("Group total: %lld, values: ", (long long)resp->groups[i]->count);
            for (size_t v = 0; v < resp->groups[i]->n_group_values; v++) {
                const ProtobufCBinaryData *d = &resp->groups[i]->group_values[v]->data;
                /* Values are JSON strings ("Running"): printed without their quotes. */
                size_t off = d->len >= 2 && d->data[0] == '"' ? 1 : 0;
                printf("%s%.*s", v ? ", " : "", (int)(d->len - 2 * off), (const char *)d->data + off);
            }
            putchar('\n');
        }
    } else if (c->output != SG_OUT_NONE) {
        /* As the temporal CLI: the group values' "type" metadata is left out, so they print
         * as plain JSON values. The entries move to the end and are hidden by the count only
         * while printing: the message still owns them when it is freed. */
        size_t n_values = 0;
        for (size_t i = 0; i < resp->n_groups; i++)
            n_values += resp->groups[i]->n_group_values;
        size_t *saved = sg_calloc(n_values ? n_values : 1, sizeof *saved), at = 0;
        for (size_t i = 0; i < resp->n_groups; i++)
            for (size_t v = 0; v < resp->groups[i]->n_group_values; v++) {
                Temporal__Api__Common__V1__Payload *p = resp->groups[i]->group_values[v];
                size_t keep = 0;
                for (size_t k = 0; k < p->n_metadata; k++)
                    if (strcmp(p->metadata[k]->key, "type") != 0) {
                        Temporal__Api__Common__V1__Payload__MetadataEntry *e = p->metadata[keep];
                        p->metadata[keep++] = p->metadata[k];
                        p->metadata[k] = e;
                    }
                saved[at++] = p->n_metadata;
                p->n_metadata = keep;
            }
        sg_cli_print_json(c, m, true);
        at = 0;
        for (size_t i = 0; i < resp->n_groups; i++)
            for (size_t v = 0; v < resp->groups[i]->n_group_values; v++)
                resp->groups[i]->group_values[v]->n_metadata = saved[at++];
        sg_free(saved);
    }
    protobuf_c_message_free_unpacked(m, NULL);
    return 0;
}

/* ---- describe ---- */

/* `describe --reset-points`: the points a reset can go back to (the first task each worker
 * build completed), as a table or, in JSON, the ResetPoints message. */
static void print_reset_points(const sg_cli *c, const wf_info *w)
{
    const Temporal__Api__Workflow__V1__ResetPoints *rp = w ? w->auto_reset_points : NULL;
    size_t n = rp ? rp->n_points : 0;
    if (c->output == SG_OUT_JSON || c->output == SG_OUT_JSONL) {
        Temporal__Api__Workflow__V1__ResetPoints empty = TEMPORAL__API__WORKFLOW__V1__RESET_POINTS__INIT;
        sg_cli_print_json(c, rp ? &rp->base : &empty.base, true);
        return;
    }
    if (c->output != SG_OUT_TEXT)
        return;
    const char **cells = sg_calloc((n + 1) * 5, sizeof *cells);
    sg_buf *bufs = sg_calloc((n + 1) * 2, sizeof *bufs);
    cells[0] = "BuildId", cells[1] = "RunId", cells[2] = "EventId", cells[3] = "CreateTime", cells[4] = "Resettable";
    for (size_t i = 0; i < n; i++) {
        const Temporal__Api__Workflow__V1__ResetPointInfo *p = rp->points[i];
        sg_buf *id = &bufs[i * 2], *t = &bufs[i * 2 + 1];
        sg_buf_init(id);
        sg_buf_init(t);
        sg_buf_printf(id, "%lld", (long long)p->first_workflow_task_completed_id);
        sg_buf_append(id, "", 1);
        if (p->create_time)
            sg_cli_time(c, t, p->create_time->seconds, p->create_time->nanos);
        sg_buf_append(t, "", 1);
        const char **row = cells + (i + 1) * 5;
        row[0] = p->build_id ? p->build_id : "";
        row[1] = p->run_id ? p->run_id : "";
        row[2] = (const char *)sg_buf_head(id);
        row[3] = (const char *)sg_buf_head(t);
        row[4] = p->resettable ? "true" : "false";
    }
    sg_cli_table(c, stdout, cells, n + 1, 5, true);
    for (size_t i = 0; i < n * 2; i++)
        sg_buf_deinit(&bufs[i]);
    sg_free(bufs);
    sg_free(cells);
}

static void print_results(const Temporal__Api__History__V1__HistoryEvent *e);

static int run_describe(sg_cli *c, const sg_cli_args *a)
{
    Temporal__Api__Common__V1__WorkflowExecution we;
    const char *wid;
    int trc = target(a, &we, &wid);
    if (trc)
        return trc;
    Temporal__Api__Workflowservice__V1__DescribeWorkflowExecutionRequest req =
        TEMPORAL__API__WORKFLOWSERVICE__V1__DESCRIBE_WORKFLOW_EXECUTION_REQUEST__INIT;
    req.namespace_ = (char *)c->namespace_;
    req.execution = &we;
    ProtobufCMessage *m;
    int rc = wf_call(c, wid, "DescribeWorkflowExecution", &req.base,
                     &temporal__api__workflowservice__v1__describe_workflow_execution_response__descriptor, &m);
    if (rc)
        return rc;
    Temporal__Api__Workflowservice__V1__DescribeWorkflowExecutionResponse *resp = (void *)m;
    if (sg_cli_arg_bool(a, "reset-points")) {
        print_reset_points(c, resp->workflow_execution_info);
    } else if (c->output == SG_OUT_JSON || c->output == SG_OUT_JSONL || sg_cli_arg_bool(a, "raw")) {
        sg_cli_print_json(c, m, true);
    } else if (c->output == SG_OUT_TEXT) {
        wf_info *w = resp->workflow_execution_info;
        sg_buf t;
        sg_buf_init(&t);
        char num[32];
        puts("Execution Info:");
        if (w) {
            sg_cli_card_line("WorkflowId", w->execution ? w->execution->workflow_id : NULL);
            sg_cli_card_line("RunId", w->execution ? w->execution->run_id : NULL);
            sg_cli_card_line("Type", w->type ? w->type->name : NULL);
            sg_cli_card_line("Namespace", c->namespace_);
            sg_cli_card_line("TaskQueue", w->task_queue);
            sg_cli_card_line("Status", status_text(w->status));
            sg_cli_card_line("StartTime", sg_cli_time_text(c, &t, w->start_time));
            sg_cli_card_line("CloseTime", w->close_time ? sg_cli_time_text(c, &t, w->close_time) : NULL);
            sg_cli_card_line("ExecutionTime", sg_cli_time_text(c, &t, w->execution_time));
            snprintf(num, sizeof num, "%lld", (long long)w->state_transition_count);
            sg_cli_card_line("StateTransitionCount", num);
            snprintf(num, sizeof num, "%lld", (long long)w->history_length);
            sg_cli_card_line("HistoryLength", num);
            snprintf(num, sizeof num, "%lld", (long long)w->history_size_bytes);
            sg_cli_card_line("HistorySize", num);
            if (w->parent_execution) {
                sg_cli_card_line("ParentWorkflowId", w->parent_execution->workflow_id);
                sg_cli_card_line("ParentRunId", w->parent_execution->run_id);
            }
            if (w->root_execution) {
                sg_cli_card_line("RootWorkflowId", w->root_execution->workflow_id);
                sg_cli_card_line("RootRunId", w->root_execution->run_id);
            }
            if (w->status == 1) {
                printf("\nPending Activities: %zu\n", resp->n_pending_activities);
                printf("Pending Child Workflows: %zu\n", resp->n_pending_children);
            } else if (w->execution) {
                /* Closed: its close event says how, as the temporal CLI's Results block. */
                Temporal__Api__Common__V1__WorkflowExecution run = *w->execution;
                Temporal__Api__Workflowservice__V1__GetWorkflowExecutionHistoryRequest hreq =
                    TEMPORAL__API__WORKFLOWSERVICE__V1__GET_WORKFLOW_EXECUTION_HISTORY_REQUEST__INIT;
                hreq.namespace_ = (char *)c->namespace_;
                hreq.execution = &run;
                hreq.history_event_filter_type =
                    TEMPORAL__API__ENUMS__V1__HISTORY_EVENT_FILTER_TYPE__HISTORY_EVENT_FILTER_TYPE_CLOSE_EVENT;
                ProtobufCMessage *hm;
                if (!wf_call(c, wid, "GetWorkflowExecutionHistory", &hreq.base,
                             &temporal__api__workflowservice__v1__get_workflow_execution_history_response__descriptor, &hm)) {
                    const Temporal__Api__Workflowservice__V1__GetWorkflowExecutionHistoryResponse *hr = (void *)hm;
                    if (hr->history && hr->history->n_events) {
                        putchar('\n');
                        print_results(hr->history->events[hr->history->n_events - 1]);
                    }
                    protobuf_c_message_free_unpacked(hm, NULL);
                }
            }
        }
        sg_buf_deinit(&t);
    }
    protobuf_c_message_free_unpacked(m, NULL);
    return 0;
}

/* ---- show ---- */

/* "EVENT_TYPE_WORKFLOW_EXECUTION_STARTED" -> "WorkflowExecutionStarted". */
static void event_type_text(int type, char *out, size_t cap)
{
    const ProtobufCEnumValue *v =
        protobuf_c_enum_descriptor_get_value(&temporal__api__enums__v1__event_type__descriptor, type);
    const char *s = v ? v->name : "EVENT_TYPE_UNSPECIFIED";
    if (!strncmp(s, "EVENT_TYPE_", 11))
        s += 11;
    size_t n = 0;
    bool up = true;
    for (; *s && n + 1 < cap; s++) {
        if (*s == '_') {
            up = true;
            continue;
        }
        out[n++] = up ? *s : (char)(*s >= 'A' && *s <= 'Z' ? *s - 'A' + 'a' : *s);
        up = false;
    }
    out[n] = 0;
}

static bool is_close_event(int t)
{
    switch (t) {
    case TEMPORAL__API__ENUMS__V1__EVENT_TYPE__EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED:
    case TEMPORAL__API__ENUMS__V1__EVENT_TYPE__EVENT_TYPE_WORKFLOW_EXECUTION_FAILED:
    case TEMPORAL__API__ENUMS__V1__EVENT_TYPE__EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT:
    case TEMPORAL__API__ENUMS__V1__EVENT_TYPE__EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED:
    case TEMPORAL__API__ENUMS__V1__EVENT_TYPE__EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED:
    case TEMPORAL__API__ENUMS__V1__EVENT_TYPE__EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW:
        return true;
    default: return false;
    }
}

static void print_payloads_text(const Temporal__Api__Common__V1__Payloads *p);

/* The temporal CLI's "Results:" block for a close event: status, then result or failure. */
static void print_results(const Temporal__Api__History__V1__HistoryEvent *e)
{
    char type[80];
    event_type_text(e->event_type, type, sizeof type);
    puts("Results:");
    sg_cli_card_line("Status", type + strlen("WorkflowExecution"));
    if (e->event_type == TEMPORAL__API__ENUMS__V1__EVENT_TYPE__EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED) {
        fputs("  Result                 ", stdout);
        print_payloads_text(e->workflow_execution_completed_event_attributes->result);
    } else if (e->event_type == TEMPORAL__API__ENUMS__V1__EVENT_TYPE__EVENT_TYPE_WORKFLOW_EXECUTION_FAILED &&
               e->workflow_execution_failed_event_attributes->failure) {
        sg_cli_card_line("Failure", e->workflow_execution_failed_event_attributes->failure->message);
    }
}

static int run_show(sg_cli *c, const sg_cli_args *a)
{
    Temporal__Api__Common__V1__WorkflowExecution we;
    const char *wid;
    int trc = target(a, &we, &wid);
    if (trc)
        return trc;
    bool follow = sg_cli_arg_bool(a, "follow");
    bool detailed = sg_cli_arg_bool(a, "detailed");
    sg_cli_page page = { { 0, NULL }, NULL };
    bool json = c->output == SG_OUT_JSON || c->output == SG_OUT_JSONL;
    /* JSON: one History message with every event (payloads as stored, so replayers can read it). */
    Temporal__Api__History__V1__History all = TEMPORAL__API__HISTORY__V1__HISTORY__INIT;
    ProtobufCMessage **pages = NULL;
    size_t n_pages = 0;
    int rc = 0;
    bool header = true, closed = false;
    for (;;) {
        Temporal__Api__Workflowservice__V1__GetWorkflowExecutionHistoryRequest req =
            TEMPORAL__API__WORKFLOWSERVICE__V1__GET_WORKFLOW_EXECUTION_HISTORY_REQUEST__INIT;
        req.namespace_ = (char *)c->namespace_;
        req.execution = &we;
        req.next_page_token = page.token;
        req.wait_new_event = follow;
        ProtobufCMessage *m;
        rc = wf_call(c, wid, "GetWorkflowExecutionHistory", &req.base,
                     &temporal__api__workflowservice__v1__get_workflow_execution_history_response__descriptor, &m);
        if (rc)
            break;
        Temporal__Api__Workflowservice__V1__GetWorkflowExecutionHistoryResponse *resp = (void *)m;
        size_t n = resp->history ? resp->history->n_events : 0;
        for (size_t i = 0; i < n; i++) {
            Temporal__Api__History__V1__HistoryEvent *e = resp->history->events[i];
            int t = e->event_type;
            closed = closed || is_close_event(t);
            if (json)
                continue;
            if (c->output != SG_OUT_TEXT)
                continue;
            if (header && !detailed) {
                puts("Progress:");
                printf("  %4s  %-20s  %s\n", "ID", "Time", "Type");
            }
            header = false;
            char type[80];
            event_type_text(t, type, sizeof type);
            sg_buf tb;
            sg_buf_init(&tb);
            if (detailed) {
                /* Every attribute, one "path: value" line each, as the temporal CLI's --detailed. */
                printf("--------------- [%lld] %s ---------------\n", (long long)e->event_id, type);
                sg_pbjson_opts o = { 0, true };
                sg_pbjson_flatten(&tb, &e->base, &o);
                fwrite(sg_buf_head(&tb), 1, tb.len, stdout);
            } else {
                if (e->event_time)
                    sg_pbjson_rfc3339(&tb, e->event_time->seconds, 0);
                sg_buf_append(&tb, "", 1);
                printf("  %4lld  %-20s  %s\n", (long long)e->event_id, (const char *)sg_buf_head(&tb), type);
            }
            sg_buf_deinit(&tb);
            if (is_close_event(t)) {
                putchar('\n');
                print_results(e);
            }
        }
        fflush(stdout);
        if (json) {
            pages = sg_realloc(pages, (n_pages + 1) * sizeof *pages);
            pages[n_pages++] = m;
        }
        bool more = sg_cli_page_next(&page, resp->next_page_token);
        if (!json)
            protobuf_c_message_free_unpacked(m, NULL);
        if (!more && !(follow && !closed))
            break;
    }
    sg_cli_page_free(&page);
    if (!rc && json) {
        size_t total = 0;
        for (size_t p = 0; p < n_pages; p++) {
            const Temporal__Api__Workflowservice__V1__GetWorkflowExecutionHistoryResponse *r = (void *)pages[p];
            total += r->history ? r->history->n_events : 0;
        }
        all.events = sg_calloc(total ? total : 1, sizeof *all.events);
        for (size_t p = 0; p < n_pages; p++) {
            const Temporal__Api__Workflowservice__V1__GetWorkflowExecutionHistoryResponse *r = (void *)pages[p];
            for (size_t i = 0; r->history && i < r->history->n_events; i++)
                all.events[all.n_events++] = r->history->events[i];
        }
        sg_cli_print_json(c, &all.base, false);
        sg_free(all.events);
    }
    for (size_t p = 0; p < n_pages; p++)
        protobuf_c_message_free_unpacked(pages[p], NULL);
    sg_free(pages);
    return rc;
}

/* ---- cancel, terminate ---- */

/* ---- many workflows by --query: a server-side batch operation (run_batch, below) ---- */

enum { BATCH_TERMINATE = 1, BATCH_CANCEL, BATCH_SIGNAL, BATCH_DELETE, BATCH_RESET };
static int run_batch(sg_cli *c, const sg_cli_args *a, int op, const char *signal,
                     sg_cli_payloads *in);

/* Cancel and terminate: one execution by --workflow-id (and --run-id), with --reason. */
static int act(sg_cli *c, const sg_cli_args *a, bool terminate)
{
    if (sg_cli_arg(a, "query"))
        return run_batch(c, a, terminate ? BATCH_TERMINATE : BATCH_CANCEL, NULL, NULL);
    Temporal__Api__Common__V1__WorkflowExecution we;
    const char *wid;
    int trc = target(a, &we, &wid);
    if (trc)
        return trc;
    char *reason = (char *)(sg_cli_arg(a, "reason") ? sg_cli_arg(a, "reason") : "");
    char rid[SG_UUID_STR_LEN + 1];
    sg_uuid_v4(rid);
    Temporal__Api__Workflowservice__V1__RequestCancelWorkflowExecutionRequest cancel =
        TEMPORAL__API__WORKFLOWSERVICE__V1__REQUEST_CANCEL_WORKFLOW_EXECUTION_REQUEST__INIT;
    cancel.namespace_ = (char *)c->namespace_;
    cancel.workflow_execution = &we;
    cancel.identity = (char *)c->identity;
    cancel.request_id = rid;
    cancel.reason = reason;
    Temporal__Api__Workflowservice__V1__TerminateWorkflowExecutionRequest term =
        TEMPORAL__API__WORKFLOWSERVICE__V1__TERMINATE_WORKFLOW_EXECUTION_REQUEST__INIT;
    term.namespace_ = (char *)c->namespace_;
    term.workflow_execution = &we;
    term.identity = (char *)c->identity;
    term.reason = reason;
    ProtobufCMessage *m;
    int rc = terminate
        ? wf_call(c, wid, "TerminateWorkflowExecution", &term.base,
                  &temporal__api__workflowservice__v1__terminate_workflow_execution_response__descriptor, &m)
        : wf_call(c, wid, "RequestCancelWorkflowExecution", &cancel.base,
                  &temporal__api__workflowservice__v1__request_cancel_workflow_execution_response__descriptor, &m);
    if (rc)
        return rc;
    return acked(c, m, terminate ? "Workflow terminated" : "Cancellation requested");
}

static int run_cancel(sg_cli *c, const sg_cli_args *a)
{
    return act(c, a, false);
}

static int run_terminate(sg_cli *c, const sg_cli_args *a)
{
    return act(c, a, true);
}

/* ---- start, execute, result, signal, query, delete ---- */

static void print_payloads_text(const Temporal__Api__Common__V1__Payloads *p)
{
    sg_buf b;
    sg_buf_init(&b);
    sg_pbjson_opts o = { 0, true };
    if (p && p->n_payloads == 1)
        sg_pbjson_write(&b, &p->payloads[0]->base, &o);
    else if (p)
        sg_pbjson_write(&b, &p->base, &o);
    else
        sg_buf_append_str(&b, "null");
    fwrite(sg_buf_head(&b), 1, b.len, stdout);
    fputc('\n', stdout);
    sg_buf_deinit(&b);
}

static int run_signal_with_start(sg_cli *c, const sg_cli_args *a);

/* Starts the workflow the flags describe (with a signal for signal-with-start); on success
 * *run_id (caller frees) and 0. */
static int start_workflow(sg_cli *c, const sg_cli_args *a, char **run_id, const char **wid_out)
{
    const char *type = require(a, "type"), *tq = require(a, "task-queue");
    if (!type)
        return sg_cli_fail("--type is required");
    if (!tq)
        return sg_cli_fail("--task-queue is required");
    static char gen_id[SG_UUID_STR_LEN + 1];
    const char *wid = require(a, "workflow-id");
    if (!wid) {
        sg_uuid_v4(gen_id);
        wid = gen_id;
    }
    sg_cli_payloads in;
    const char *bad = sg_cli_inputs(a, "input", &in);
    if (bad)
        return sg_cli_fail("--input '%s' is not JSON", bad);
    static const char *const reuse[] = { "", "AllowDuplicate", "AllowDuplicateFailedOnly",
                                         "RejectDuplicate", "TerminateIfRunning", NULL };
    static const char *const conflict[] = { "", "Fail", "UseExisting", "TerminateExisting", NULL };
    int reuse_v, conflict_v;
    if (sg_cli_enum(a, "id-reuse-policy", reuse, &reuse_v) || sg_cli_enum(a, "id-conflict-policy", conflict, &conflict_v))
        return 1;
    Google__Protobuf__Duration d1, d2, d3;
    Temporal__Api__Workflowservice__V1__StartWorkflowExecutionRequest req =
        TEMPORAL__API__WORKFLOWSERVICE__V1__START_WORKFLOW_EXECUTION_REQUEST__INIT;
    if (sg_cli_duration(a, "execution-timeout", &d1, &req.workflow_execution_timeout) ||
        sg_cli_duration(a, "run-timeout", &d2, &req.workflow_run_timeout) ||
        sg_cli_duration(a, "task-timeout", &d3, &req.workflow_task_timeout))
        return 1;
    Temporal__Api__Common__V1__WorkflowType wt = TEMPORAL__API__COMMON__V1__WORKFLOW_TYPE__INIT;
    wt.name = (char *)type;
    Temporal__Api__Taskqueue__V1__TaskQueue q = TEMPORAL__API__TASKQUEUE__V1__TASK_QUEUE__INIT;
    q.name = (char *)tq;
    char rid[SG_UUID_STR_LEN + 1];
    sg_uuid_v4(rid);
    req.namespace_ = (char *)c->namespace_;
    req.workflow_id = (char *)wid;
    req.workflow_type = &wt;
    req.task_queue = &q;
    req.input = in.msg.n_payloads ? &in.msg : NULL;
    req.identity = (char *)c->identity;
    req.request_id = rid;
    req.workflow_id_reuse_policy = (Temporal__Api__Enums__V1__WorkflowIdReusePolicy)reuse_v;
    req.workflow_id_conflict_policy = (Temporal__Api__Enums__V1__WorkflowIdConflictPolicy)conflict_v;
    req.cron_schedule = (char *)(sg_cli_arg(a, "cron") ? sg_cli_arg(a, "cron") : "");
    sg_cli_kv memo_kv, sa_kv;
    if ((bad = sg_cli_key_values(a, "memo", &memo_kv)))
        return sg_cli_fail("--memo '%s': expected KEY=VALUE with VALUE as JSON", bad);
    if ((bad = sg_cli_key_values(a, "search-attribute", &sa_kv)))
        return sg_cli_fail("--search-attribute '%s': expected KEY=VALUE with VALUE as JSON", bad);
    req.memo = sg_cli_kv_memo(&memo_kv);
    req.search_attributes = sg_cli_kv_search_attributes(&sa_kv);
    ProtobufCMessage *m;
    const char *signal = sg_cli_arg(a, "signal-name");
    if (a->cmd->run == run_signal_with_start) {
        /* The same start, carrying a signal: SignalWithStartWorkflowExecution. */
        if (!signal || !*signal)
            return sg_cli_fail("--signal-name is required");
        sg_cli_payloads sin;
        if ((bad = sg_cli_inputs(a, "signal-input", &sin)))
            return sg_cli_fail("--signal-input '%s' is not JSON", bad);
        Temporal__Api__Workflowservice__V1__SignalWithStartWorkflowExecutionRequest sws =
            TEMPORAL__API__WORKFLOWSERVICE__V1__SIGNAL_WITH_START_WORKFLOW_EXECUTION_REQUEST__INIT;
        sws.namespace_ = req.namespace_;
        sws.workflow_id = req.workflow_id;
        sws.workflow_type = req.workflow_type;
        sws.task_queue = req.task_queue;
        sws.input = req.input;
        sws.workflow_execution_timeout = req.workflow_execution_timeout;
        sws.workflow_run_timeout = req.workflow_run_timeout;
        sws.workflow_task_timeout = req.workflow_task_timeout;
        sws.identity = req.identity;
        sws.request_id = req.request_id;
        sws.workflow_id_reuse_policy = req.workflow_id_reuse_policy;
        sws.workflow_id_conflict_policy = req.workflow_id_conflict_policy;
        sws.cron_schedule = req.cron_schedule;
        sws.memo = req.memo;
        sws.search_attributes = req.search_attributes;
        sws.signal_name = (char *)signal;
        sws.signal_input = sin.msg.n_payloads ? &sin.msg : NULL;
        if (sg_cli_call(c, WS, "SignalWithStartWorkflowExecution", &sws.base,
                        &temporal__api__workflowservice__v1__signal_with_start_workflow_execution_response__descriptor,
                        &m, NULL, NULL))
            return 1;
        *run_id = sg_strdup(((Temporal__Api__Workflowservice__V1__SignalWithStartWorkflowExecutionResponse *)m)->run_id);
    } else {
        if (sg_cli_call(c, WS, "StartWorkflowExecution", &req.base,
                        &temporal__api__workflowservice__v1__start_workflow_execution_response__descriptor,
                        &m, NULL, NULL))
            return 1;
        *run_id = sg_strdup(((Temporal__Api__Workflowservice__V1__StartWorkflowExecutionResponse *)m)->run_id);
    }
    *wid_out = wid;
    protobuf_c_message_free_unpacked(m, NULL);
    return 0;
}

static void print_started(const sg_cli *c, const sg_cli_args *a, const char *wid, const char *run)
{
    if (c->output == SG_OUT_TEXT) {
        puts("Running execution:");
        sg_cli_card_line("WorkflowId", wid);
        sg_cli_card_line("RunId", run);
        sg_cli_card_line("Type", sg_cli_arg(a, "type"));
        sg_cli_card_line("Namespace", c->namespace_);
        sg_cli_card_line("TaskQueue", sg_cli_arg(a, "task-queue"));
    } else if (c->output != SG_OUT_NONE) {
        sg_buf b;
        sg_buf_init(&b);
        const char *keys[] = { "workflowId", "runId", "type", "namespace", "taskQueue" };
        const char *vals[] = { wid, run, sg_cli_arg(a, "type"), c->namespace_, sg_cli_arg(a, "task-queue") };
        sg_buf_append_str(&b, "{");
        for (int i = 0; i < 5; i++) {
            sg_buf_printf(&b, "%s%s\"%s\":%s", i ? "," : "", c->output == SG_OUT_JSON ? "\n  " : "",
                          keys[i], c->output == SG_OUT_JSON ? " " : "");
            sg_pbjson_string(&b, vals[i], strlen(vals[i]));
        }
        sg_buf_append_str(&b, c->output == SG_OUT_JSON ? "\n}\n" : "}\n");
        fwrite(sg_buf_head(&b), 1, b.len, stdout);
        sg_buf_deinit(&b);
    }
}

static int run_start(sg_cli *c, const sg_cli_args *a)
{
    char *run;
    const char *wid;
    if (start_workflow(c, a, &run, &wid))
        return 1;
    print_started(c, a, wid, run);
    sg_free(run);
    return 0;
}

/* Waits for the run's close event and prints its outcome; 0 only if it completed. */
static int await_result(sg_cli *c, const char *wid, const char *run)
{
    Temporal__Api__Common__V1__WorkflowExecution we = TEMPORAL__API__COMMON__V1__WORKFLOW_EXECUTION__INIT;
    we.workflow_id = (char *)wid;
    we.run_id = (char *)(run ? run : "");
    for (;;) {
        Temporal__Api__Workflowservice__V1__GetWorkflowExecutionHistoryRequest req =
            TEMPORAL__API__WORKFLOWSERVICE__V1__GET_WORKFLOW_EXECUTION_HISTORY_REQUEST__INIT;
        req.namespace_ = (char *)c->namespace_;
        req.execution = &we;
        req.wait_new_event = true;
        req.history_event_filter_type =
            TEMPORAL__API__ENUMS__V1__HISTORY_EVENT_FILTER_TYPE__HISTORY_EVENT_FILTER_TYPE_CLOSE_EVENT;
        ProtobufCMessage *m;
        int rc0 = wf_call(c, wid, "GetWorkflowExecutionHistory", &req.base,
                          &temporal__api__workflowservice__v1__get_workflow_execution_history_response__descriptor, &m);
        if (rc0)
            return rc0;
        Temporal__Api__Workflowservice__V1__GetWorkflowExecutionHistoryResponse *resp = (void *)m;
        Temporal__Api__History__V1__HistoryEvent *e =
            resp->history && resp->history->n_events ? resp->history->events[resp->history->n_events - 1] : NULL;
        if (!e || !is_close_event(e->event_type)) {
            protobuf_c_message_free_unpacked(m, NULL); /* the long poll ended empty: again */
            continue;
        }
        char type[80];
        event_type_text(e->event_type, type, sizeof type);
        if (c->output == SG_OUT_TEXT)
            print_results(e);
        else if (c->output != SG_OUT_NONE)
            sg_cli_print_json(c, &e->base, true);
        /* The attributes are a oneof (one union): the event type says which is set. */
        int rc = 0;
        if (e->event_type != TEMPORAL__API__ENUMS__V1__EVENT_TYPE__EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED)
            rc = sg_cli_fail("workflow %s: %s", type + strlen("WorkflowExecution"), wid);
        protobuf_c_message_free_unpacked(m, NULL);
        return rc;
    }
}

static int run_execute(sg_cli *c, const sg_cli_args *a)
{
    char *run;
    const char *wid;
    if (start_workflow(c, a, &run, &wid))
        return 1;
    if (c->output == SG_OUT_TEXT)
        print_started(c, a, wid, run);
    int rc = await_result(c, wid, run);
    sg_free(run);
    return rc;
}

static int run_result(sg_cli *c, const sg_cli_args *a)
{
    const char *wid = require(a, "workflow-id");
    if (!wid)
        return sg_cli_fail("--workflow-id is required");
    return await_result(c, wid, sg_cli_arg(a, "run-id"));
}


/* Asks on the terminal (stderr, stdin) unless --yes; true to go ahead. */
static bool confirm(const sg_cli_args *a, const char *what, long long n, const char *query)
{
    if (sg_cli_arg_bool(a, "yes"))
        return true;
    fprintf(stderr, "%s approximately %lld workflow(s) matching \"%s\"? y/N: ", what, n, query);
    fflush(stderr);
    char line_in[16] = "";
    if (!fgets(line_in, sizeof line_in, stdin))
        return false;
    return line_in[0] == 'y' || line_in[0] == 'Y';
}

static const char *const batch_states[] = { "Unspecified", "Running", "Completed", "Failed", NULL };
static const char *const batch_types[] = { "Unspecified", "Terminate", "Cancel", "Signal", "Delete",
                                           "Reset", NULL };

static const char *batch_state_name(int v)
{
    return v > 0 && v < 4 ? batch_states[v] : "Unspecified";
}

static const char *batch_type_name(int v)
{
    return v > 0 && v < 6 ? batch_types[v] : "Unspecified";
}

static int describe_job(sg_cli *c, const char *job, ProtobufCMessage **m)
{
    Temporal__Api__Workflowservice__V1__DescribeBatchOperationRequest req =
        TEMPORAL__API__WORKFLOWSERVICE__V1__DESCRIBE_BATCH_OPERATION_REQUEST__INIT;
    req.namespace_ = (char *)c->namespace_;
    req.job_id = (char *)job;
    int status = 0;
    char *msg = NULL;
    int rc = sg_cli_call(c, WS, "DescribeBatchOperation", &req.base,
                         &temporal__api__workflowservice__v1__describe_batch_operation_response__descriptor,
                         m, &status, &msg);
    if (rc && status == 5) /* NOT_FOUND */
        rc = sg_cli_fail("could not find batch job '%s'", job);
    else if (rc && msg)
        rc = sg_cli_fail("%s", msg);
    sg_free(msg);
    return rc;
}

static void print_progress(const char *job, const Temporal__Api__Workflowservice__V1__DescribeBatchOperationResponse *d)
{
    printf("Batch job %s: %lld of %lld done, %lld failed%s\n", job, (long long)d->complete_operation_count,
           (long long)d->total_operation_count, (long long)d->failure_operation_count,
           d->state == TEMPORAL__API__ENUMS__V1__BATCH_OPERATION_STATE__BATCH_OPERATION_STATE_RUNNING ? " (running)"
           : d->state == TEMPORAL__API__ENUMS__V1__BATCH_OPERATION_STATE__BATCH_OPERATION_STATE_FAILED ? " (stopped)"
                                                                                                   : "");
    fflush(stdout);
}

/* Waits for the job to end, printing its progress (text) at most once a second as it moves;
 * then the job as DescribeBatchOperation reports it. A job the server runs in the background
 * (more than 1,000 workflows) goes on if this command is interrupted: `batch describe` follows
 * it. */
static int follow_job(sg_cli *c, const char *job)
{
    ProtobufCMessage *m;
    long long shown = -1;
    struct timespec last = { 0 };
    for (;;) {
        if (describe_job(c, job, &m))
            return 1;
        Temporal__Api__Workflowservice__V1__DescribeBatchOperationResponse *d = (void *)m;
        bool running = d->state == TEMPORAL__API__ENUMS__V1__BATCH_OPERATION_STATE__BATCH_OPERATION_STATE_RUNNING;
        if (!running)
            break;
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        long long moved = d->complete_operation_count + d->failure_operation_count;
        if (c->output == SG_OUT_TEXT && moved != shown &&
            (now.tv_sec - last.tv_sec) * 1000 + (now.tv_nsec - last.tv_nsec) / 1000000 >= 1000) {
            print_progress(job, d);
            shown = moved;
            last = now;
        }
        protobuf_c_message_free_unpacked(m, NULL);
        struct timespec pause = { 0, 200 * 1000000 };
        nanosleep(&pause, NULL);
    }
    Temporal__Api__Workflowservice__V1__DescribeBatchOperationResponse *d = (void *)m;
    int rc = 0;
    if (c->output == SG_OUT_TEXT)
        print_progress(job, d);
    else if (c->output != SG_OUT_NONE)
        sg_cli_print_json(c, m, true);
    if (d->failure_operation_count)
        rc = sg_cli_fail("%lld of %lld workflow(s) could not be acted on", (long long)d->failure_operation_count,
                         (long long)d->total_operation_count);
    else if (d->state == TEMPORAL__API__ENUMS__V1__BATCH_OPERATION_STATE__BATCH_OPERATION_STATE_FAILED)
        rc = sg_cli_fail("batch job %s was stopped", job);
    protobuf_c_message_free_unpacked(m, NULL);
    return rc;
}

/* Runs the operation on every workflow --query matches: a count, the confirmation, one
 * StartBatchOperation (job id new), then the job followed to its end. */
static int run_batch(sg_cli *c, const sg_cli_args *a, int op, const char *signal, sg_cli_payloads *in)
{
    const char *query = sg_cli_arg(a, "query");
    if (require(a, "workflow-id"))
        return sg_cli_fail("give either --workflow-id or --query, not both");
    double rps = 0;
    const char *rps_s = sg_cli_arg(a, "rps");
    if (rps_s) {
        char *end;
        rps = strtod(rps_s, &end);
        if (end == rps_s || *end || !(rps > 0))
            return sg_cli_fail("invalid --rps '%s': expected a positive number", rps_s);
    }
    static const char *const verbs[] = { "", "Terminate", "Cancel", "Signal", "Delete", "Reset" };
    Temporal__Api__Workflowservice__V1__CountWorkflowExecutionsRequest creq =
        TEMPORAL__API__WORKFLOWSERVICE__V1__COUNT_WORKFLOW_EXECUTIONS_REQUEST__INIT;
    creq.namespace_ = (char *)c->namespace_;
    creq.query = (char *)query;
    ProtobufCMessage *m;
    if (sg_cli_call(c, WS, "CountWorkflowExecutions", &creq.base,
                    &temporal__api__workflowservice__v1__count_workflow_executions_response__descriptor,
                    &m, NULL, NULL))
        return 1;
    long long n = (long long)((Temporal__Api__Workflowservice__V1__CountWorkflowExecutionsResponse *)m)->count;
    protobuf_c_message_free_unpacked(m, NULL);
    if (!confirm(a, verbs[op], n, query))
        return sg_cli_fail("not confirmed; nothing was done (--yes skips the question)");
    char job[SG_UUID_STR_LEN + 1];
    sg_uuid_v4(job);
    char reason[256];
    snprintf(reason, sizeof reason, "%s", sg_cli_arg(a, "reason") ? sg_cli_arg(a, "reason") : "sandglass batch");
    Temporal__Api__Workflowservice__V1__StartBatchOperationRequest req =
        TEMPORAL__API__WORKFLOWSERVICE__V1__START_BATCH_OPERATION_REQUEST__INIT;
    req.namespace_ = (char *)c->namespace_;
    req.visibility_query = (char *)query;
    req.job_id = job;
    req.reason = reason;
    req.max_operations_per_second = (float)rps;
    Temporal__Api__Batch__V1__BatchOperationTermination term = TEMPORAL__API__BATCH__V1__BATCH_OPERATION_TERMINATION__INIT;
    Temporal__Api__Batch__V1__BatchOperationCancellation cancel = TEMPORAL__API__BATCH__V1__BATCH_OPERATION_CANCELLATION__INIT;
    Temporal__Api__Batch__V1__BatchOperationSignal sig = TEMPORAL__API__BATCH__V1__BATCH_OPERATION_SIGNAL__INIT;
    Temporal__Api__Batch__V1__BatchOperationDeletion del = TEMPORAL__API__BATCH__V1__BATCH_OPERATION_DELETION__INIT;
    Temporal__Api__Batch__V1__BatchOperationReset reset = TEMPORAL__API__BATCH__V1__BATCH_OPERATION_RESET__INIT;
    Temporal__Api__Common__V1__ResetOptions ropts = TEMPORAL__API__COMMON__V1__RESET_OPTIONS__INIT;
    Google__Protobuf__Empty empty = GOOGLE__PROTOBUF__EMPTY__INIT;
    Temporal__Api__Enums__V1__ResetReapplyExcludeType exclude =
        TEMPORAL__API__ENUMS__V1__RESET_REAPPLY_EXCLUDE_TYPE__RESET_REAPPLY_EXCLUDE_TYPE_SIGNAL;
    term.identity = cancel.identity = sig.identity = del.identity = reset.identity = (char *)c->identity;
    sig.signal = (char *)(signal ? signal : "");
    sig.input = in && in->msg.n_payloads ? &in->msg : NULL;
    switch (op) {
    case BATCH_TERMINATE:
        req.operation_case = TEMPORAL__API__WORKFLOWSERVICE__V1__START_BATCH_OPERATION_REQUEST__OPERATION_TERMINATION_OPERATION;
        req.termination_operation = &term;
        break;
    case BATCH_CANCEL:
        req.operation_case = TEMPORAL__API__WORKFLOWSERVICE__V1__START_BATCH_OPERATION_REQUEST__OPERATION_CANCELLATION_OPERATION;
        req.cancellation_operation = &cancel;
        break;
    case BATCH_SIGNAL:
        req.operation_case = TEMPORAL__API__WORKFLOWSERVICE__V1__START_BATCH_OPERATION_REQUEST__OPERATION_SIGNAL_OPERATION;
        req.signal_operation = &sig;
        break;
    case BATCH_RESET: {
        static const char *const types[] = { "", "FirstWorkflowTask", "LastWorkflowTask", NULL };
        static const char *const reapply[] = { "", "All", "Signal", "None", NULL };
        int type, reapply_v;
        if (sg_cli_enum(a, "type", types, &type) || sg_cli_enum(a, "reapply-type", reapply, &reapply_v))
            return 1;
        if (!type || sg_cli_arg(a, "event-id"))
            return sg_cli_fail("a reset by --query needs --type FirstWorkflowTask|LastWorkflowTask "
                               "(an --event-id names one workflow's event)");
        ropts.target_case = type == 1 ? TEMPORAL__API__COMMON__V1__RESET_OPTIONS__TARGET_FIRST_WORKFLOW_TASK
                                      : TEMPORAL__API__COMMON__V1__RESET_OPTIONS__TARGET_LAST_WORKFLOW_TASK;
        if (type == 1)
            ropts.first_workflow_task = &empty;
        else
            ropts.last_workflow_task = &empty;
        if (reapply_v == 3) {
            ropts.n_reset_reapply_exclude_types = 1;
            ropts.reset_reapply_exclude_types = &exclude;
        }
        reset.options = &ropts;
        req.operation_case = TEMPORAL__API__WORKFLOWSERVICE__V1__START_BATCH_OPERATION_REQUEST__OPERATION_RESET_OPERATION;
        req.reset_operation = &reset;
        break;
    }
    default:
        req.operation_case = TEMPORAL__API__WORKFLOWSERVICE__V1__START_BATCH_OPERATION_REQUEST__OPERATION_DELETION_OPERATION;
        req.deletion_operation = &del;
        break;
    }
    if (sg_cli_call(c, WS, "StartBatchOperation", &req.base,
                    &temporal__api__workflowservice__v1__start_batch_operation_response__descriptor,
                    &m, NULL, NULL))
        return 1;
    protobuf_c_message_free_unpacked(m, NULL);
    if (c->output == SG_OUT_TEXT) {
        printf("Started batch for job ID: %s\n", job);
        fflush(stdout);
    }
    return follow_job(c, job);
}

/* ---- batch describe, list, terminate ---- */

static int run_batch_describe(sg_cli *c, const sg_cli_args *a)
{
    const char *job = require(a, "job-id");
    if (!job)
        return sg_cli_fail("--job-id is required");
    ProtobufCMessage *m;
    if (describe_job(c, job, &m))
        return 1;
    Temporal__Api__Workflowservice__V1__DescribeBatchOperationResponse *d = (void *)m;
    if (c->output == SG_OUT_TEXT) {
        sg_buf t;
        sg_buf_init(&t);
        char done_s[64], failed_s[64];
        snprintf(done_s, sizeof done_s, "%lld/%lld", (long long)d->complete_operation_count,
                 (long long)d->total_operation_count);
        snprintf(failed_s, sizeof failed_s, "%lld/%lld", (long long)d->failure_operation_count,
                 (long long)d->total_operation_count);
        sg_cli_card_line("State", batch_state_name(d->state));
        sg_cli_card_line("Type", batch_type_name(d->operation_type));
        sg_cli_card_line("StartTime", sg_cli_time_text(c, &t, d->start_time));
        sg_cli_card_line("CloseTime", d->close_time ? sg_cli_time_text(c, &t, d->close_time) : NULL);
        sg_cli_card_line("CompletedCount", done_s);
        sg_cli_card_line("FailureCount", failed_s);
        sg_cli_card_line("Reason", d->reason);
        sg_cli_card_line("Query", d->query);
        sg_buf_deinit(&t);
    } else if (c->output != SG_OUT_NONE) {
        sg_cli_print_json(c, m, true);
    }
    protobuf_c_message_free_unpacked(m, NULL);
    return 0;
}

static int run_batch_list(sg_cli *c, const sg_cli_args *a)
{
    long long limit = sg_cli_arg(a, "limit") ? atoll(sg_cli_arg(a, "limit")) : 0;
    sg_cli_page page = { { 0, NULL }, NULL };
    long long shown = 0;
    bool first = true;
    int rc = 0;
    for (;;) {
        Temporal__Api__Workflowservice__V1__ListBatchOperationsRequest req =
            TEMPORAL__API__WORKFLOWSERVICE__V1__LIST_BATCH_OPERATIONS_REQUEST__INIT;
        req.namespace_ = (char *)c->namespace_;
        req.next_page_token = page.token;
        ProtobufCMessage *m;
        rc = sg_cli_call(c, WS, "ListBatchOperations", &req.base,
                         &temporal__api__workflowservice__v1__list_batch_operations_response__descriptor,
                         &m, NULL, NULL);
        if (rc)
            break;
        Temporal__Api__Workflowservice__V1__ListBatchOperationsResponse *r = (void *)m;
        size_t n = r->n_operation_info;
        if (limit > 0 && (long long)n > limit - shown)
            n = (size_t)(limit - shown);
        if (c->output == SG_OUT_TEXT && n) {
            const char **cells = sg_calloc((n + 1) * 4, sizeof *cells);
            sg_buf *times = sg_calloc(n * 2, sizeof *times);
            static const char *const head[] = { "JobId", "State", "StartTime", "CloseTime" };
            memcpy(cells, head, sizeof head);
            for (size_t i = 0; i < n; i++) {
                const Temporal__Api__Batch__V1__BatchOperationInfo *o = r->operation_info[i];
                sg_buf_init(&times[2 * i]);
                sg_buf_init(&times[2 * i + 1]);
                cells[4 * (i + 1)] = o->job_id;
                cells[4 * (i + 1) + 1] = batch_state_name(o->state);
                cells[4 * (i + 1) + 2] = sg_cli_time_text(c, &times[2 * i], o->start_time);
                cells[4 * (i + 1) + 3] = o->close_time ? sg_cli_time_text(c, &times[2 * i + 1], o->close_time) : "";
            }
            sg_cli_table(c, stdout, first ? cells : cells + 4, first ? n + 1 : n, 4, first);
            for (size_t i = 0; i < 2 * n; i++)
                sg_buf_deinit(&times[i]);
            sg_free(times);
            sg_free(cells);
        } else {
            for (size_t i = 0; i < n; i++)
                sg_cli_list_item(c, &r->operation_info[i]->base, (long)(shown + (long long)i), true);
        }
        shown += (long long)n;
        first = false;
        bool more = (limit <= 0 || shown < limit) && sg_cli_page_next(&page, r->next_page_token);
        protobuf_c_message_free_unpacked(m, NULL);
        if (!more)
            break;
    }
    sg_cli_page_free(&page);
    sg_cli_list_end(c, (long)shown);
    return rc;
}

static int run_batch_terminate(sg_cli *c, const sg_cli_args *a)
{
    const char *job = require(a, "job-id");
    const char *reason = require(a, "reason");
    if (!job || !reason)
        return sg_cli_fail("--job-id and --reason are required");
    Temporal__Api__Workflowservice__V1__StopBatchOperationRequest req =
        TEMPORAL__API__WORKFLOWSERVICE__V1__STOP_BATCH_OPERATION_REQUEST__INIT;
    req.namespace_ = (char *)c->namespace_;
    req.job_id = (char *)job;
    req.reason = (char *)reason;
    req.identity = (char *)c->identity;
    ProtobufCMessage *m;
    int status = 0;
    char *msg = NULL;
    int rc = sg_cli_call(c, WS, "StopBatchOperation", &req.base,
                         &temporal__api__workflowservice__v1__stop_batch_operation_response__descriptor,
                         &m, &status, &msg);
    if (rc) {
        if (status == 5)
            sg_cli_fail("could not find batch job '%s'", job);
        else if (msg)
            sg_cli_fail("%s", msg);
        sg_free(msg);
        return 1;
    }
    protobuf_c_message_free_unpacked(m, NULL);
    if (c->output == SG_OUT_TEXT)
        printf("Terminated batch job '%s'\n", job);
    else if (c->output != SG_OUT_NONE)
        puts("{}");
    return 0;
}

static int run_signal(sg_cli *c, const sg_cli_args *a)
{
    const char *name = require(a, "name");
    if (!name)
        return sg_cli_fail("--name is required");
    sg_cli_payloads in;
    const char *bad = sg_cli_inputs(a, "input", &in);
    if (bad)
        return sg_cli_fail("--input '%s' is not JSON", bad);
    /* By business key: every run the query matches hears it once (one batch job). */
    if (sg_cli_arg(a, "query"))
        return run_batch(c, a, BATCH_SIGNAL, name, &in);
    Temporal__Api__Common__V1__WorkflowExecution we;
    const char *wid;
    int trc = target(a, &we, &wid);
    if (trc)
        return trc;
    char rid[SG_UUID_STR_LEN + 1];
    sg_uuid_v4(rid);
    Temporal__Api__Workflowservice__V1__SignalWorkflowExecutionRequest req =
        TEMPORAL__API__WORKFLOWSERVICE__V1__SIGNAL_WORKFLOW_EXECUTION_REQUEST__INIT;
    req.namespace_ = (char *)c->namespace_;
    req.workflow_execution = &we;
    req.signal_name = (char *)name;
    req.input = in.msg.n_payloads ? &in.msg : NULL;
    req.identity = (char *)c->identity;
    req.request_id = rid;
    ProtobufCMessage *m;
    int rc = wf_call(c, wid, "SignalWorkflowExecution", &req.base,
                     &temporal__api__workflowservice__v1__signal_workflow_execution_response__descriptor, &m);
    if (rc)
        return rc;
    return acked(c, m, "Signal workflow succeeded");
}

static int run_stack(sg_cli *c, const sg_cli_args *a);
static void print_json_string(const ProtobufCBinaryData *d);

static int run_query(sg_cli *c, const sg_cli_args *a)
{
    Temporal__Api__Common__V1__WorkflowExecution we;
    const char *wid;
    int trc = target(a, &we, &wid);
    if (trc)
        return trc;
    /* `workflow stack` is the __stack_trace query, printed as the text it is. */
    bool stack = a->cmd->run == run_stack;
    const char *name = stack ? "__stack_trace" : require(a, "name");
    if (!name)
        return sg_cli_fail("--name is required");
    sg_cli_payloads in;
    const char *bad = sg_cli_inputs(a, "input", &in);
    if (bad)
        return sg_cli_fail("--input '%s' is not JSON", bad);
    Temporal__Api__Query__V1__WorkflowQuery q = TEMPORAL__API__QUERY__V1__WORKFLOW_QUERY__INIT;
    q.query_type = (char *)name;
    q.query_args = in.msg.n_payloads ? &in.msg : NULL;
    Temporal__Api__Workflowservice__V1__QueryWorkflowRequest req =
        TEMPORAL__API__WORKFLOWSERVICE__V1__QUERY_WORKFLOW_REQUEST__INIT;
    req.namespace_ = (char *)c->namespace_;
    req.execution = &we;
    req.query = &q;
    ProtobufCMessage *m;
    int rc = wf_call(c, wid, "QueryWorkflow", &req.base,
                     &temporal__api__workflowservice__v1__query_workflow_response__descriptor, &m);
    if (rc)
        return rc;
    Temporal__Api__Workflowservice__V1__QueryWorkflowResponse *resp = (void *)m;
    if (c->output == SG_OUT_TEXT && stack) {
        if (resp->query_result && resp->query_result->n_payloads)
            print_json_string(&resp->query_result->payloads[0]->data);
    } else if (c->output == SG_OUT_TEXT) {
        fputs("Query result:\n  ", stdout);
        print_payloads_text(resp->query_result);
    } else if (c->output != SG_OUT_NONE) {
        sg_cli_print_json(c, m, true);
    }
    protobuf_c_message_free_unpacked(m, NULL);
    return 0;
}

static int run_delete(sg_cli *c, const sg_cli_args *a)
{
    if (sg_cli_arg(a, "query"))
        return run_batch(c, a, BATCH_DELETE, NULL, NULL);
    Temporal__Api__Common__V1__WorkflowExecution we;
    const char *wid;
    int trc = target(a, &we, &wid);
    if (trc)
        return trc;
    Temporal__Api__Workflowservice__V1__DeleteWorkflowExecutionRequest req =
        TEMPORAL__API__WORKFLOWSERVICE__V1__DELETE_WORKFLOW_EXECUTION_REQUEST__INIT;
    req.namespace_ = (char *)c->namespace_;
    req.workflow_execution = &we;
    ProtobufCMessage *m;
    int rc = wf_call(c, wid, "DeleteWorkflowExecution", &req.base,
                     &temporal__api__workflowservice__v1__delete_workflow_execution_response__descriptor, &m);
    if (rc)
        return rc;
    return acked(c, m, "Delete workflow succeeded");
}

static int run_signal_with_start(sg_cli *c, const sg_cli_args *a)
{
    return run_start(c, a);
}

/* Prints a JSON string payload's text as it reads (the stack trace is one string). */
static void print_json_string(const ProtobufCBinaryData *d)
{
    if (!d->len || d->data[0] != '"') {
        fwrite(d->data, 1, d->len, stdout);
        fputc('\n', stdout);
        return;
    }
    for (size_t i = 1; i + 1 < d->len; i++) {
        char ch = (char)d->data[i];
        if (ch == '\\' && i + 2 < d->len) {
            char e = (char)d->data[++i];
            ch = e == 'n' ? '\n' : e == 't' ? '\t' : e == 'r' ? '\r' : e;
            if (e == 'u' && i + 4 < d->len) {
                unsigned v = (unsigned)strtoul((const char[]){ (char)d->data[i + 1], (char)d->data[i + 2],
                                                               (char)d->data[i + 3], (char)d->data[i + 4], 0 },
                                               NULL, 16);
                i += 4;
                ch = v < 0x80 ? (char)v : '?';
            }
        }
        fputc(ch, stdout);
    }
    fputc('\n', stdout);
}

static int run_stack(sg_cli *c, const sg_cli_args *a)
{
    return run_query(c, a);
}

/* The id of the first or last WorkflowTaskCompleted event of the run (0: none). */
static int64_t find_task_event(sg_cli *c, const char *wid, Temporal__Api__Common__V1__WorkflowExecution *we,
                               bool last, int *rc)
{
    int64_t found = 0;
    sg_cli_page page = { { 0, NULL }, NULL };
    *rc = 0;
    for (;;) {
        Temporal__Api__Workflowservice__V1__GetWorkflowExecutionHistoryRequest req =
            TEMPORAL__API__WORKFLOWSERVICE__V1__GET_WORKFLOW_EXECUTION_HISTORY_REQUEST__INIT;
        req.namespace_ = (char *)c->namespace_;
        req.execution = we;
        req.next_page_token = page.token;
        ProtobufCMessage *m;
        *rc = wf_call(c, wid, "GetWorkflowExecutionHistory", &req.base,
                      &temporal__api__workflowservice__v1__get_workflow_execution_history_response__descriptor, &m);
        if (*rc) {
            sg_cli_page_free(&page);
            return 0;
        }
        Temporal__Api__Workflowservice__V1__GetWorkflowExecutionHistoryResponse *resp = (void *)m;
        for (size_t i = 0; resp->history && i < resp->history->n_events; i++) {
            const Temporal__Api__History__V1__HistoryEvent *e = resp->history->events[i];
            if (e->event_type == TEMPORAL__API__ENUMS__V1__EVENT_TYPE__EVENT_TYPE_WORKFLOW_TASK_COMPLETED &&
                (last || !found))
                found = e->event_id;
        }
        bool more = (last || !found) && sg_cli_page_next(&page, resp->next_page_token);
        protobuf_c_message_free_unpacked(m, NULL);
        if (!more) {
            sg_cli_page_free(&page);
            return found;
        }
    }
}

static int run_reset(sg_cli *c, const sg_cli_args *a)
{
    if (sg_cli_arg(a, "query"))
        return run_batch(c, a, BATCH_RESET, NULL, NULL);
    Temporal__Api__Common__V1__WorkflowExecution we;
    const char *wid;
    int trc = target(a, &we, &wid);
    if (trc)
        return trc;
    const char *reason = require(a, "reason");
    if (!reason)
        return sg_cli_fail("--reason is required");
    static const char *const types[] = { "", "FirstWorkflowTask", "LastWorkflowTask", NULL };
    static const char *const reapply[] = { "", "All", "Signal", "None", NULL };
    int type, reapply_v;
    if (sg_cli_enum(a, "type", types, &type) || sg_cli_enum(a, "reapply-type", reapply, &reapply_v))
        return 1;
    const char *ev = sg_cli_arg(a, "event-id");
    if (!!ev == !!type)
        return sg_cli_fail("give either --event-id or --type FirstWorkflowTask|LastWorkflowTask");
    int64_t event_id = ev ? atoll(ev) : 0;
    if (type) {
        int rc;
        event_id = find_task_event(c, wid, &we, type == 2, &rc);
        if (rc)
            return rc;
        if (!event_id)
            return sg_cli_fail("workflow %s has no completed workflow task to reset to", wid);
    }
    char rid[SG_UUID_STR_LEN + 1];
    sg_uuid_v4(rid);
    Temporal__Api__Enums__V1__ResetReapplyExcludeType exclude =
        TEMPORAL__API__ENUMS__V1__RESET_REAPPLY_EXCLUDE_TYPE__RESET_REAPPLY_EXCLUDE_TYPE_SIGNAL;
    Temporal__Api__Workflowservice__V1__ResetWorkflowExecutionRequest req =
        TEMPORAL__API__WORKFLOWSERVICE__V1__RESET_WORKFLOW_EXECUTION_REQUEST__INIT;
    req.namespace_ = (char *)c->namespace_;
    req.workflow_execution = &we;
    req.reason = (char *)reason;
    req.workflow_task_finish_event_id = event_id;
    req.request_id = rid;
    req.identity = (char *)c->identity;
    if (reapply_v == 3) { /* None: signals received after the point are not re-applied */
        req.n_reset_reapply_exclude_types = 1;
        req.reset_reapply_exclude_types = &exclude;
    }
    ProtobufCMessage *m;
    int rc = wf_call(c, wid, "ResetWorkflowExecution", &req.base,
                     &temporal__api__workflowservice__v1__reset_workflow_execution_response__descriptor, &m);
    if (rc)
        return rc;
    const char *run = ((Temporal__Api__Workflowservice__V1__ResetWorkflowExecutionResponse *)m)->run_id;
    if (c->output == SG_OUT_TEXT) {
        puts("Reset workflow:");
        sg_cli_card_line("WorkflowId", wid);
        sg_cli_card_line("NewRunId", run);
    } else if (c->output != SG_OUT_NONE) {
        sg_cli_print_json(c, m, true);
    }
    protobuf_c_message_free_unpacked(m, NULL);
    return 0;
}

static int run_tq_describe(sg_cli *c, const sg_cli_args *a)
{
    const char *tq = require(a, "task-queue");
    if (!tq)
        return sg_cli_fail("--task-queue is required");
    /* Pollers of both kinds of task, as the temporal CLI shows them. */
    const char **cells = sg_calloc(4, sizeof *cells);
    size_t rows = 1, cap = 1;
    sg_buf *times = NULL;
    cells[0] = "Type", cells[1] = "Identity", cells[2] = "LastAccessTime", cells[3] = "RatePerSecond";
    char (*rates)[32] = NULL;
    int rc = 0;
    for (int kind = 1; kind <= 2 && !rc; kind++) {
        Temporal__Api__Taskqueue__V1__TaskQueue q = TEMPORAL__API__TASKQUEUE__V1__TASK_QUEUE__INIT;
        q.name = (char *)tq;
        Temporal__Api__Workflowservice__V1__DescribeTaskQueueRequest req =
            TEMPORAL__API__WORKFLOWSERVICE__V1__DESCRIBE_TASK_QUEUE_REQUEST__INIT;
        req.namespace_ = (char *)c->namespace_;
        req.task_queue = &q;
        req.task_queue_type = (Temporal__Api__Enums__V1__TaskQueueType)kind;
        ProtobufCMessage *m;
        if ((rc = sg_cli_call(c, WS, "DescribeTaskQueue", &req.base,
                              &temporal__api__workflowservice__v1__describe_task_queue_response__descriptor,
                              &m, NULL, NULL)))
            break;
        Temporal__Api__Workflowservice__V1__DescribeTaskQueueResponse *r = (void *)m;
        if (c->output == SG_OUT_JSON || c->output == SG_OUT_JSONL) {
            /* json: one document, an array of the two replies; jsonl: a line each. */
            if (c->output == SG_OUT_JSON)
                fputs(kind == 1 ? "[\n" : ",\n", stdout);
            sg_cli_print_json(c, m, true);
            if (c->output == SG_OUT_JSON && kind == 2)
                fputs("]\n", stdout);
        } else {
            for (size_t i = 0; i < r->n_pollers; i++) {
                if (rows + 1 > cap) {
                    cap = (rows + 1) * 2;
                    cells = sg_realloc(cells, cap * 4 * sizeof *cells);
                    times = sg_realloc(times, cap * sizeof *times);
                    rates = sg_realloc(rates, cap * sizeof *rates);
                }
                const Temporal__Api__Taskqueue__V1__PollerInfo *p = r->pollers[i];
                sg_buf_init(&times[rows]);
                if (p->last_access_time)
                    sg_cli_time(c, &times[rows], p->last_access_time->seconds, p->last_access_time->nanos);
                sg_buf_append(&times[rows], "", 1);
                /* Strings the table borrows must outlive m: copied into the row's buffers. */
                snprintf(rates[rows], sizeof rates[rows], "%g", p->rate_per_second);
                cells[rows * 4] = kind == 1 ? "workflow" : "activity";
                cells[rows * 4 + 1] = sg_strdup(p->identity ? p->identity : "");
                cells[rows * 4 + 2] = (const char *)sg_buf_head(&times[rows]);
                cells[rows * 4 + 3] = rates[rows];
                rows++;
            }
        }
        protobuf_c_message_free_unpacked(m, NULL);
    }
    if (!rc && c->output == SG_OUT_TEXT)
        sg_cli_table(c, stdout, cells, rows, 4, true);
    for (size_t i = 1; i < rows; i++) {
        sg_free((char *)cells[i * 4 + 1]);
        sg_buf_deinit(&times[i]);
    }
    sg_free(cells);
    sg_free(times);
    sg_free(rates);
    return rc;
}

/* ---- update, activity ---- */

/* Prints an update's outcome; 0 if it succeeded, else 1 after one line. */
static int print_outcome(const sg_cli *c, const ProtobufCMessage *reply,
                         const Temporal__Api__Update__V1__Outcome *o, const char *update_id)
{
    if (!o)
        return sg_cli_fail("update %s has no outcome yet", update_id);
    if (c->output == SG_OUT_JSON || c->output == SG_OUT_JSONL)
        sg_cli_print_json(c, reply, true);
    if (o->value_case == TEMPORAL__API__UPDATE__V1__OUTCOME__VALUE_SUCCESS) {
        if (c->output == SG_OUT_TEXT) {
            fputs("Update result:\n  ", stdout);
            print_payloads_text(o->success);
        }
        return 0;
    }
    const char *why = o->value_case == TEMPORAL__API__UPDATE__V1__OUTCOME__VALUE_FAILURE && o->failure &&
                              o->failure->message ? o->failure->message : "failed";
    return sg_cli_fail("update %s failed: %s", update_id, why);
}

static int run_update(sg_cli *c, const sg_cli_args *a)
{
    Temporal__Api__Common__V1__WorkflowExecution we;
    const char *wid;
    int rc = target(a, &we, &wid);
    if (rc)
        return rc;
    bool start = strcmp(a->cmd->path, "workflow update start") == 0;
    const char *name = require(a, "name");
    if (!name)
        return sg_cli_fail("--name is required");
    sg_cli_payloads in;
    const char *bad = sg_cli_inputs(a, "input", &in);
    if (bad)
        return sg_cli_fail("--input '%s' is not JSON", bad);
    char gen[SG_UUID_STR_LEN + 1];
    sg_uuid_v4(gen);
    const char *uid = require(a, "update-id") ? require(a, "update-id") : gen;
    Temporal__Api__Update__V1__Meta meta = TEMPORAL__API__UPDATE__V1__META__INIT;
    meta.update_id = (char *)uid;
    meta.identity = (char *)c->identity;
    Temporal__Api__Update__V1__Input input = TEMPORAL__API__UPDATE__V1__INPUT__INIT;
    input.name = (char *)name;
    input.args = in.msg.n_payloads ? &in.msg : NULL;
    Temporal__Api__Update__V1__Request ureq = TEMPORAL__API__UPDATE__V1__REQUEST__INIT;
    ureq.meta = &meta;
    ureq.input = &input;
    Temporal__Api__Update__V1__WaitPolicy wait = TEMPORAL__API__UPDATE__V1__WAIT_POLICY__INIT;
    wait.lifecycle_stage =
        start ? TEMPORAL__API__ENUMS__V1__UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE__UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_ACCEPTED
              : TEMPORAL__API__ENUMS__V1__UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE__UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_COMPLETED;
    Temporal__Api__Workflowservice__V1__UpdateWorkflowExecutionRequest req =
        TEMPORAL__API__WORKFLOWSERVICE__V1__UPDATE_WORKFLOW_EXECUTION_REQUEST__INIT;
    req.namespace_ = (char *)c->namespace_;
    req.workflow_execution = &we;
    req.wait_policy = &wait;
    req.request = &ureq;
    ProtobufCMessage *m;
    rc = wf_call(c, wid, "UpdateWorkflowExecution", &req.base,
                 &temporal__api__workflowservice__v1__update_workflow_execution_response__descriptor, &m);
    if (rc)
        return rc;
    Temporal__Api__Workflowservice__V1__UpdateWorkflowExecutionResponse *r = (void *)m;
    /* start reports the acceptance, even when the update already finished (its result is
     * for `update result`). */
    if (start) {
        if (c->output == SG_OUT_TEXT)
            printf("Update accepted:\n  UpdateId  %s\n", uid);
        else if (c->output != SG_OUT_NONE)
            sg_cli_print_json(c, m, true);
    } else {
        rc = print_outcome(c, m, r->outcome, uid);
    }
    protobuf_c_message_free_unpacked(m, NULL);
    return rc;
}

static int run_update_result(sg_cli *c, const sg_cli_args *a)
{
    Temporal__Api__Common__V1__WorkflowExecution we;
    const char *wid;
    int rc = target(a, &we, &wid);
    if (rc)
        return rc;
    const char *uid = require(a, "update-id");
    if (!uid)
        return sg_cli_fail("--update-id is required");
    Temporal__Api__Update__V1__UpdateRef ref = TEMPORAL__API__UPDATE__V1__UPDATE_REF__INIT;
    ref.workflow_execution = &we;
    ref.update_id = (char *)uid;
    Temporal__Api__Update__V1__WaitPolicy wait = TEMPORAL__API__UPDATE__V1__WAIT_POLICY__INIT;
    wait.lifecycle_stage =
        TEMPORAL__API__ENUMS__V1__UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE__UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_COMPLETED;
    Temporal__Api__Workflowservice__V1__PollWorkflowExecutionUpdateRequest req =
        TEMPORAL__API__WORKFLOWSERVICE__V1__POLL_WORKFLOW_EXECUTION_UPDATE_REQUEST__INIT;
    req.namespace_ = (char *)c->namespace_;
    req.update_ref = &ref;
    req.identity = (char *)c->identity;
    /* describe: no wait policy, so the server answers with the stage reached now. */
    bool describe = strcmp(a->cmd->path, "workflow update describe") == 0;
    req.wait_policy = describe ? NULL : &wait;
    ProtobufCMessage *m;
    rc = wf_call(c, wid, "PollWorkflowExecutionUpdate", &req.base,
                 &temporal__api__workflowservice__v1__poll_workflow_execution_update_response__descriptor, &m);
    if (rc)
        return rc;
    const Temporal__Api__Workflowservice__V1__PollWorkflowExecutionUpdateResponse *r = (void *)m;
    if (describe) {
        static const char *const stages[] = { "Unspecified", "Admitted", "Accepted", "Completed" };
        if (c->output == SG_OUT_TEXT) {
            sg_cli_card_line("UpdateId", uid);
            sg_cli_card_line("Stage", r->stage >= 0 && r->stage < 4 ? stages[r->stage] : "Unspecified");
            if (r->outcome && r->outcome->value_case == TEMPORAL__API__UPDATE__V1__OUTCOME__VALUE_SUCCESS) {
                printf("  %-22s ", "Result");
                print_payloads_text(r->outcome->success);
            } else if (r->outcome && r->outcome->failure) {
                sg_cli_card_line("Failure", r->outcome->failure->message);
            }
        } else if (c->output != SG_OUT_NONE) {
            sg_cli_print_json(c, m, true);
        }
        protobuf_c_message_free_unpacked(m, NULL);
        return 0;
    }
    rc = print_outcome(c, m, r->outcome, uid);
    protobuf_c_message_free_unpacked(m, NULL);
    return rc;
}

/* `activity complete` and `activity fail`: an activity finished by hand, by its ids. */
static int run_activity(sg_cli *c, const sg_cli_args *a)
{
    Temporal__Api__Common__V1__WorkflowExecution we;
    const char *wid;
    int rc = target(a, &we, &wid);
    if (rc)
        return rc;
    const char *aid = require(a, "activity-id");
    if (!aid)
        return sg_cli_fail("--activity-id is required");
    bool complete = strcmp(a->cmd->path, "activity complete") == 0;
    ProtobufCMessage *m;
    if (complete) {
        const char *result = require(a, "result");
        if (!result)
            return sg_cli_fail("--result is required");
        if (!sg_pbjson_valid(result, strlen(result)))
            return sg_cli_fail("--result '%s' is not JSON", result);
        sg_cli_payloads out;
        memset(&out, 0, sizeof out);
        temporal__api__common__v1__payloads__init(&out.msg);
        sg_cli_payload_json(&out.p[0], &out.enc[0], out.md[0], result);
        out.items[0] = &out.p[0];
        out.msg.n_payloads = 1;
        out.msg.payloads = out.items;
        Temporal__Api__Workflowservice__V1__RespondActivityTaskCompletedByIdRequest req =
            TEMPORAL__API__WORKFLOWSERVICE__V1__RESPOND_ACTIVITY_TASK_COMPLETED_BY_ID_REQUEST__INIT;
        req.namespace_ = (char *)c->namespace_;
        req.workflow_id = we.workflow_id;
        req.run_id = we.run_id;
        req.activity_id = (char *)aid;
        req.result = &out.msg;
        req.identity = (char *)c->identity;
        rc = wf_call(c, wid, "RespondActivityTaskCompletedById", &req.base,
                     &temporal__api__workflowservice__v1__respond_activity_task_completed_by_id_response__descriptor, &m);
    } else {
        Temporal__Api__Failure__V1__ApplicationFailureInfo info =
            TEMPORAL__API__FAILURE__V1__APPLICATION_FAILURE_INFO__INIT;
        info.type = "CLIFailure";
        Temporal__Api__Failure__V1__Failure f = TEMPORAL__API__FAILURE__V1__FAILURE__INIT;
        f.message = (char *)(sg_cli_arg(a, "reason") ? sg_cli_arg(a, "reason") : "failed from the command line");
        f.source = "sandglass-cli";
        f.failure_info_case = TEMPORAL__API__FAILURE__V1__FAILURE__FAILURE_INFO_APPLICATION_FAILURE_INFO;
        f.application_failure_info = &info;
        Temporal__Api__Workflowservice__V1__RespondActivityTaskFailedByIdRequest req =
            TEMPORAL__API__WORKFLOWSERVICE__V1__RESPOND_ACTIVITY_TASK_FAILED_BY_ID_REQUEST__INIT;
        req.namespace_ = (char *)c->namespace_;
        req.workflow_id = we.workflow_id;
        req.run_id = we.run_id;
        req.activity_id = (char *)aid;
        req.failure = &f;
        req.identity = (char *)c->identity;
        rc = wf_call(c, wid, "RespondActivityTaskFailedById", &req.base,
                     &temporal__api__workflowservice__v1__respond_activity_task_failed_by_id_response__descriptor, &m);
    }
    if (rc)
        return rc;
    return acked(c, m, complete ? "Activity completed" : "Activity failed");
}

/* ---- trace: a workflow and its children, as a tree ---- */

static int trace_node(sg_cli *c, const wf_info *w, int depth, int max_depth, sg_buf *out, bool comma);

/* Appends the children of run (by ParentRunId) to out, to max_depth levels; JSON or text. */
static int trace_children(sg_cli *c, const char *run, int depth, int max_depth, sg_buf *out)
{
    if (max_depth >= 0 && depth > max_depth)
        return 0;
    char query[160];
    snprintf(query, sizeof query, "ParentRunId = '%s'", run);
    Temporal__Api__Workflowservice__V1__ListWorkflowExecutionsRequest req =
        TEMPORAL__API__WORKFLOWSERVICE__V1__LIST_WORKFLOW_EXECUTIONS_REQUEST__INIT;
    req.namespace_ = (char *)c->namespace_;
    req.query = query;
    req.page_size = 1000;
    ProtobufCMessage *m;
    if (sg_cli_call(c, WS, "ListWorkflowExecutions", &req.base,
                    &temporal__api__workflowservice__v1__list_workflow_executions_response__descriptor,
                    &m, NULL, NULL))
        return 1;
    Temporal__Api__Workflowservice__V1__ListWorkflowExecutionsResponse *r = (void *)m;
    bool json = c->output == SG_OUT_JSON || c->output == SG_OUT_JSONL;
    int rc = 0;
    for (size_t i = 0; i < r->n_executions && !rc; i++)
        rc = trace_node(c, r->executions[i], depth, max_depth, out, json && i > 0);
    protobuf_c_message_free_unpacked(m, NULL);
    return rc;
}

static int trace_node(sg_cli *c, const wf_info *w, int depth, int max_depth, sg_buf *out, bool comma)
{
    const char *wid = w->execution ? w->execution->workflow_id : "";
    const char *run = w->execution ? w->execution->run_id : "";
    if (c->output == SG_OUT_JSON || c->output == SG_OUT_JSONL) {
        sg_buf_append_str(out, comma ? ",{\"workflow\":" : "{\"workflow\":");
        sg_pbjson_opts o = { 0, true };
        sg_pbjson_write(out, &w->base, &o);
        sg_buf_append_str(out, ",\"children\":[");
        int rc = trace_children(c, run, depth + 1, max_depth, out);
        sg_buf_append_str(out, "]}");
        return rc;
    }
    sg_buf_printf(out, "%*s%s %-10s %s  %s  %s\n", 2 + depth * 2, "", depth ? "└─" : "╪", status_text(w->status),
                  w->type ? w->type->name : "", wid, run);
    return trace_children(c, run, depth + 1, max_depth, out);
}

static int run_trace(sg_cli *c, const sg_cli_args *a)
{
    Temporal__Api__Common__V1__WorkflowExecution we;
    const char *wid;
    int rc = target(a, &we, &wid);
    if (rc)
        return rc;
    const char *d = sg_cli_arg(a, "depth");
    int max_depth = d ? atoi(d) : -1;
    if (max_depth < 0 || max_depth > 32)
        max_depth = 32; /* a bound, whatever the links say */
    Temporal__Api__Workflowservice__V1__DescribeWorkflowExecutionRequest req =
        TEMPORAL__API__WORKFLOWSERVICE__V1__DESCRIBE_WORKFLOW_EXECUTION_REQUEST__INIT;
    req.namespace_ = (char *)c->namespace_;
    req.execution = &we;
    ProtobufCMessage *m;
    if ((rc = wf_call(c, wid, "DescribeWorkflowExecution", &req.base,
                      &temporal__api__workflowservice__v1__describe_workflow_execution_response__descriptor, &m)))
        return rc;
    const wf_info *root = ((Temporal__Api__Workflowservice__V1__DescribeWorkflowExecutionResponse *)m)->workflow_execution_info;
    sg_buf out;
    sg_buf_init(&out);
    if (c->output == SG_OUT_TEXT)
        sg_buf_append_str(&out, "Progress:\n");
    rc = root ? trace_node(c, root, 0, max_depth, &out, false) : sg_cli_fail("no execution info for %s", wid);
    if (!rc && c->output != SG_OUT_NONE) {
        fwrite(sg_buf_head(&out), 1, out.len, stdout);
        if (c->output != SG_OUT_TEXT)
            fputc('\n', stdout);
    }
    sg_buf_deinit(&out);
    protobuf_c_message_free_unpacked(m, NULL);
    return rc;
}

/* ---- the table ---- */

/* The execution a command acts on: -w (required unless --query says which) and -r. */
#define EXECUTION_FLAGS                                                                            \
    { "workflow-id", 'w', SG_FLAG_STRING, "Workflow id" },                                         \
    { "run-id", 'r', SG_FLAG_STRING, "Run id (default the latest run)" }

static const sg_cli_flag list_flags[] = {
    { "query", 'q', SG_FLAG_STRING, "Visibility query to filter by, e.g. \"ExecutionStatus = 'Running'\"" },
    { "limit", 0, SG_FLAG_INT, "Show at most this many workflows (default all)" },
    { "page-size", 0, SG_FLAG_INT, "Workflows per request (default the server's)" },
    { "archived", 0, SG_FLAG_BOOL, "List archived workflows (Sandglass has no archival)" },
};
static const sg_cli_flag count_flags[] = {
    { "query", 'q', SG_FLAG_STRING, "Visibility query, e.g. \"GROUP BY ExecutionStatus\"" },
};
static const sg_cli_flag describe_flags[] = {
    EXECUTION_FLAGS,
    { "raw", 0, SG_FLAG_BOOL, "Print the reply as it came (JSON), not the summary" },
    { "reset-points", 0, SG_FLAG_BOOL, "Show the points a reset can go back to" },
};
static const sg_cli_flag show_flags[] = {
    EXECUTION_FLAGS,
    { "follow", 'f', SG_FLAG_BOOL, "Follow new events until the workflow closes" },
    { "detailed", 0, SG_FLAG_BOOL, "Show every event's attributes, one path: value line each" },
};
/* What a command that takes --query for many workflows adds for the batch job. */
#define BATCH_FLAGS                                                                                \
    { "rps", 0, SG_FLAG_STRING, "With --query: operations per second (at most the server's worker.batcherRPS)" }, \
    { "yes", 'y', SG_FLAG_BOOL, "Do not ask for confirmation" }

/* cancel and terminate take the same flags. */
static const sg_cli_flag act_flags[] = {
    EXECUTION_FLAGS,
    { "query", 'q', SG_FLAG_STRING, "Act on every workflow matching this query (a batch job)" },
    { "reason", 0, SG_FLAG_STRING, "Reason" },
    BATCH_FLAGS,
};

/* start, execute and signal-with-start take the same flags for the start. */
#define START_FLAGS                                                                                \
    { "workflow-id", 'w', SG_FLAG_STRING, "Workflow id (default a new UUID)" },                    \
    { "type", 0, SG_FLAG_STRING, "Workflow type (required)" },                                     \
    { "task-queue", 't', SG_FLAG_STRING, "Task queue (required)" },                                \
    { "input", 'i', SG_FLAG_LIST, "Workflow input as JSON (repeatable, one per argument)" },       \
    { "execution-timeout", 0, SG_FLAG_STRING, "Timeout of the whole chain of runs, e.g. 1h" },     \
    { "run-timeout", 0, SG_FLAG_STRING, "Timeout of one run" },                                    \
    { "task-timeout", 0, SG_FLAG_STRING, "Timeout of one workflow task (default 10s)" },           \
    { "id-reuse-policy", 0, SG_FLAG_STRING,                                                        \
      "AllowDuplicate, AllowDuplicateFailedOnly, RejectDuplicate or TerminateIfRunning" },        \
    { "id-conflict-policy", 0, SG_FLAG_STRING, "Fail, UseExisting or TerminateExisting" },         \
    { "cron", 0, SG_FLAG_STRING, "Cron schedule (legacy)" },                                       \
    { "memo", 0, SG_FLAG_LIST, "Memo entry KEY=VALUE, VALUE as JSON (repeatable)" },               \
    { "search-attribute", 0, SG_FLAG_LIST, "Search attribute KEY=VALUE, VALUE as JSON (repeatable)" }

static const sg_cli_flag start_flags[] = { START_FLAGS };
static const sg_cli_flag result_flags[] = {
    EXECUTION_FLAGS,
};
static const sg_cli_flag signal_flags[] = {
    EXECUTION_FLAGS,
    { "name", 0, SG_FLAG_STRING, "Signal name (required)" },
    { "input", 'i', SG_FLAG_LIST, "Signal argument as JSON (repeatable)" },
    { "query", 'q', SG_FLAG_STRING, "Signal every workflow matching this query, each once (a batch job)" },
    BATCH_FLAGS,
};
static const sg_cli_flag query_flags[] = {
    EXECUTION_FLAGS,
    { "name", 0, SG_FLAG_STRING, "Query name (required)" },
    { "input", 'i', SG_FLAG_LIST, "Query argument as JSON (repeatable)" },
};
static const sg_cli_flag delete_flags[] = {
    EXECUTION_FLAGS,
    { "query", 'q', SG_FLAG_STRING, "Delete every workflow matching this query (a batch job)" },
    BATCH_FLAGS,
};

static const sg_cli_flag sws_flags[] = {
    START_FLAGS,
    { "signal-name", 0, SG_FLAG_STRING, "Signal name (required)" },
    { "signal-input", 0, SG_FLAG_LIST, "Signal argument as JSON (repeatable)" },
};
static const sg_cli_flag reset_flags[] = {
    EXECUTION_FLAGS,
    { "event-id", 'e', SG_FLAG_INT, "The WorkflowTaskCompleted (or Failed, TimedOut, Started) event to reset to" },
    { "type", 0, SG_FLAG_STRING, "FirstWorkflowTask or LastWorkflowTask, instead of --event-id" },
    { "reason", 0, SG_FLAG_STRING, "Reason (required)" },
    { "reapply-type", 0, SG_FLAG_STRING, "Signals after the point: All or Signal (re-applied, default), None" },
    { "query", 'q', SG_FLAG_STRING, "Reset every workflow matching this query (a batch job; with --type)" },
    BATCH_FLAGS,
};
static const sg_cli_flag update_flags[] = {
    EXECUTION_FLAGS,
    { "name", 0, SG_FLAG_STRING, "Update name (required)" },
    { "input", 'i', SG_FLAG_LIST, "Update argument as JSON (repeatable)" },
    { "update-id", 0, SG_FLAG_STRING, "Update id (default a new UUID)" },
};
static const sg_cli_flag update_result_flags[] = {
    EXECUTION_FLAGS,
    { "update-id", 0, SG_FLAG_STRING, "Update id (required)" },
};
static const sg_cli_flag activity_complete_flags[] = {
    EXECUTION_FLAGS,
    { "activity-id", 0, SG_FLAG_STRING, "Activity id (required)" },
    { "result", 0, SG_FLAG_STRING, "The activity's result as JSON (required)" },
};
static const sg_cli_flag activity_fail_flags[] = {
    EXECUTION_FLAGS,
    { "activity-id", 0, SG_FLAG_STRING, "Activity id (required)" },
    { "reason", 0, SG_FLAG_STRING, "Failure message" },
};
static const sg_cli_flag trace_flags[] = {
    EXECUTION_FLAGS,
    { "depth", 0, SG_FLAG_INT, "Levels of children to show (default all, at most 32)" },
};
static const sg_cli_flag batch_job_flags[] = {
    { "job-id", 0, SG_FLAG_STRING, "Batch job id (required)" },
};
static const sg_cli_flag batch_list_flags[] = {
    { "limit", 0, SG_FLAG_INT, "At most this many jobs" },
};
static const sg_cli_flag batch_terminate_flags[] = {
    { "job-id", 0, SG_FLAG_STRING, "Batch job id (required)" },
    { "reason", 0, SG_FLAG_STRING, "Reason (required)" },
};
static const sg_cli_flag tq_flags[] = {
    { "task-queue", 't', SG_FLAG_STRING, "Task queue (required)" },
};

#define FLAGS(f) f, sizeof f / sizeof f[0]

static const sg_cli_command workflow_commands[] = {
    { "workflow list", "List workflow executions", FLAGS(list_flags), run_list },
    { "workflow count", "Count workflow executions", FLAGS(count_flags), run_count },
    { "workflow describe", "Show a workflow execution's state", FLAGS(describe_flags), run_describe },
    { "workflow show", "Show a workflow execution's event history", FLAGS(show_flags), run_show },
    { "workflow cancel", "Request cancellation of a workflow execution", FLAGS(act_flags), run_cancel },
    { "workflow terminate", "Terminate a workflow execution", FLAGS(act_flags), run_terminate },
    { "workflow start", "Start a workflow execution", FLAGS(start_flags), run_start },
    { "workflow execute", "Start a workflow execution and wait for its result", FLAGS(start_flags), run_execute },
    { "workflow result", "Wait for a workflow execution's result", FLAGS(result_flags), run_result },
    { "workflow signal", "Signal a workflow execution", FLAGS(signal_flags), run_signal },
    { "workflow query", "Query a workflow execution", FLAGS(query_flags), run_query },
    { "workflow delete", "Delete a workflow execution and its history", FLAGS(delete_flags), run_delete },
    { "workflow signal-with-start", "Signal a workflow execution, starting it if it is not running", FLAGS(sws_flags), run_signal_with_start },
    { "workflow stack", "Show a running workflow's stack trace", FLAGS(result_flags), run_stack },
    { "workflow reset", "Reset a workflow execution to an earlier workflow task", FLAGS(reset_flags), run_reset },
    { "task-queue describe", "Show a task queue's pollers", FLAGS(tq_flags), run_tq_describe },
    { "workflow trace", "Show a workflow and its child workflows as a tree", FLAGS(trace_flags), run_trace },
    { "workflow update execute", "Run an update and wait for its result", FLAGS(update_flags), run_update },
    { "workflow update start", "Send an update and wait until it is accepted", FLAGS(update_flags), run_update },
    { "workflow update result", "Wait for an update's result", FLAGS(update_result_flags), run_update_result },
    { "workflow update describe", "Show an update's stage and outcome, without waiting", FLAGS(update_result_flags), run_update_result },
    { "activity complete", "Complete a running activity with a result", FLAGS(activity_complete_flags), run_activity },
    { "activity fail", "Fail a running activity", FLAGS(activity_fail_flags), run_activity },
    { "batch describe", "Show a batch job's progress", FLAGS(batch_job_flags), run_batch_describe },
    { "batch list", "List the batch jobs of the namespace, newest first", FLAGS(batch_list_flags), run_batch_list },
    { "batch terminate", "Stop a running batch job", FLAGS(batch_terminate_flags), run_batch_terminate },
};

int sg_cli_workflow(int argc, char **argv)
{
    return sg_cli_dispatch(workflow_commands, sizeof workflow_commands / sizeof workflow_commands[0],
                           argc, argv);
}
