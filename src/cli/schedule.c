/* SPDX-License-Identifier: Apache-2.0 */
/* schedule.c: `sandglass schedule …` — the `temporal schedule` commands with their flags:
 * create, update, describe, list, toggle, trigger, backfill, delete and list-matching-times.
 *
 * Design note. As workflow.c: one request per command through cmd.c; -o json prints the reply
 * itself (describe, list entries, matching times), text a labelled card or a table. create and
 * update build the whole Schedule from flags (update replaces it, as the temporal CLI does, and
 * keeps the schedule's memo and search attributes). A --calendar is proto3 JSON of a
 * CalendarSpec, sent as one (the server turns it into a structured calendar); an --interval is
 * "<every>" or "<every>/<offset>". */
#include "cli/cli.h"
#include "cli/cmd.h"
#include "cli/input.h"

#include "core/arena.h"
#include "core/jsonpb.h"
#include "core/pbjson.h"
#include "core/sg.h"
#include "core/uuid.h"

#include "temporal/api/workflowservice/v1/request_response.pb-c.h"

#include <stdlib.h>
#include <string.h>

#define WS "workflowservice.v1.WorkflowService"

typedef Temporal__Api__Schedule__V1__Schedule schedule_t;
typedef Temporal__Api__Schedule__V1__ScheduleSpec spec_t;

/* Overlap policies as the temporal CLI names them, in enum order (index 0 unused). */
static const char *const overlap_names[] = { "Unspecified", "Skip", "BufferOne", "BufferAll",
                                             "CancelOther", "TerminateOther", "AllowAll", NULL };

static const char *overlap_text(int v)
{
    return v > 0 && v < 7 ? overlap_names[v] : "Skip";
}

static const char *need_id(const sg_cli_args *a)
{
    const char *id = sg_cli_arg(a, "schedule-id");
    return id && *id ? id : NULL;
}

/* A duration for a spec or a policy ("45m"); 0 or 1 (printed) as the flag helpers. */
static int duration_value(const char *what, const char *s, sg_arena *ar,
                          Google__Protobuf__Duration **out)
{
    Google__Protobuf__Duration *d = sg_arena_alloc(ar, sizeof *d);
    google__protobuf__duration__init(d);
    if (sg_cli_parse_duration(s, &d->seconds, &d->nanos) < 0 || (!d->seconds && !d->nanos))
        return sg_cli_fail("invalid %s '%s': expected a positive duration such as 45m or 6h/5h",
                           what, s);
    *out = d;
    return 0;
}

/* Everything create and update build from flags, kept alive until the call is made. */
typedef struct built {
    sg_arena ar;
    schedule_t sched;
    spec_t spec;
    Temporal__Api__Schedule__V1__SchedulePolicies policies;
    Temporal__Api__Schedule__V1__ScheduleState state;
    Temporal__Api__Schedule__V1__ScheduleAction action;
    Temporal__Api__Workflow__V1__NewWorkflowExecutionInfo start;
    Temporal__Api__Common__V1__WorkflowType type;
    Temporal__Api__Taskqueue__V1__TaskQueue queue;
    Temporal__Api__Sdk__V1__UserMetadata meta;
    Temporal__Api__Common__V1__Payload summary, details;
    Temporal__Api__Common__V1__Payload__MetadataEntry summary_enc, details_enc, *summary_md[1],
        *details_md[1];
    Google__Protobuf__Duration d_exec, d_run, d_task, d_catchup, d_jitter;
    Google__Protobuf__Timestamp t_start, t_end;
    sg_cli_payloads input;
    sg_cli_kv memo, sa;
    char gen_id[SG_UUID_STR_LEN + 1];
} built;

/* --calendar, --cron and --interval (any mix, each repeatable), start and end time, jitter and
 * time zone into b->spec. */
static int build_spec(built *b, const sg_cli_args *a)
{
    spec_t *s = &b->spec;
    temporal__api__schedule__v1__schedule_spec__init(s);
    int n;
    const char *const *cal = sg_cli_arg_list(a, "calendar", &n);
    if (n) {
        s->calendar = sg_arena_alloc(&b->ar, (size_t)n * sizeof *s->calendar);
        for (int i = 0; i < n; i++) {
            Temporal__Api__Schedule__V1__CalendarSpec *c = sg_arena_alloc(&b->ar, sizeof *c);
            temporal__api__schedule__v1__calendar_spec__init(c);
            const char *why = NULL;
            if (sg_jsonpb_parse(&b->ar, cal[i], strlen(cal[i]), &c->base, &why) != 0)
                return sg_cli_fail("invalid --calendar '%s': %s", cal[i], why ? why : "not JSON");
            s->calendar[s->n_calendar++] = c;
        }
    }
    const char *const *cron = sg_cli_arg_list(a, "cron", &n);
    if (n) {
        s->cron_string = (char **)cron;
        s->n_cron_string = (size_t)n;
    }
    const char *const *iv = sg_cli_arg_list(a, "interval", &n);
    if (n) {
        s->interval = sg_arena_alloc(&b->ar, (size_t)n * sizeof *s->interval);
        for (int i = 0; i < n; i++) {
            Temporal__Api__Schedule__V1__IntervalSpec *x = sg_arena_alloc(&b->ar, sizeof *x);
            temporal__api__schedule__v1__interval_spec__init(x);
            char *every = sg_arena_strdup(&b->ar, iv[i]), *slash = strchr(every, '/');
            if (slash)
                *slash = 0;
            if (duration_value("--interval", every, &b->ar, &x->interval) ||
                (slash && duration_value("--interval offset", slash + 1, &b->ar, &x->phase)))
                return 1;
            s->interval[s->n_interval++] = x;
        }
    }
    if (sg_cli_timestamp(a, "start-time", &b->t_start, &s->start_time) ||
        sg_cli_timestamp(a, "end-time", &b->t_end, &s->end_time) ||
        sg_cli_duration(a, "jitter", &b->d_jitter, &s->jitter))
        return 1;
    s->timezone_name = (char *)(sg_cli_arg(a, "time-zone") ? sg_cli_arg(a, "time-zone") : "");
    return 0;
}

/* text as a payload the way the SDKs store a summary or details: a JSON string. */
static Temporal__Api__Common__V1__Payload *text_payload(
    sg_arena *ar, const char *text, Temporal__Api__Common__V1__Payload *p,
    Temporal__Api__Common__V1__Payload__MetadataEntry *enc,
    Temporal__Api__Common__V1__Payload__MetadataEntry **md)
{
    sg_buf j;
    sg_buf_init(&j);
    sg_pbjson_string(&j, text, strlen(text));
    sg_buf_append(&j, "", 1);
    sg_cli_payload_json(p, enc, md, sg_arena_strdup(ar, (const char *)sg_buf_head(&j)));
    sg_buf_deinit(&j);
    return p;
}

/* The start-workflow action: --workflow-id (default a new UUID), --type, --task-queue,
 * --input, timeouts (task 10 s by default), --memo, --search-attribute, summary and details. */
static int build_action(built *b, const sg_cli_args *a)
{
    const char *type = sg_cli_arg(a, "type"), *tq = sg_cli_arg(a, "task-queue");
    if (!type || !*type)
        return sg_cli_fail("--type is required");
    if (!tq || !*tq)
        return sg_cli_fail("--task-queue is required");
    const char *wid = sg_cli_arg(a, "workflow-id");
    if (!wid || !*wid) {
        sg_uuid_v4(b->gen_id);
        wid = b->gen_id;
    }
    Temporal__Api__Workflow__V1__NewWorkflowExecutionInfo *w = &b->start;
    temporal__api__workflow__v1__new_workflow_execution_info__init(w);
    temporal__api__common__v1__workflow_type__init(&b->type);
    temporal__api__taskqueue__v1__task_queue__init(&b->queue);
    b->type.name = (char *)type;
    b->queue.name = (char *)tq;
    w->workflow_id = (char *)wid;
    w->workflow_type = &b->type;
    w->task_queue = &b->queue;
    const char *bad = sg_cli_inputs(a, "input", &b->input);
    if (bad)
        return sg_cli_fail("--input '%s' is not JSON", bad);
    w->input = b->input.msg.n_payloads ? &b->input.msg : NULL;
    if (sg_cli_duration(a, "execution-timeout", &b->d_exec, &w->workflow_execution_timeout) ||
        sg_cli_duration(a, "run-timeout", &b->d_run, &w->workflow_run_timeout) ||
        sg_cli_duration(a, "task-timeout", &b->d_task, &w->workflow_task_timeout))
        return 1;
    if (!w->workflow_task_timeout) { /* the temporal CLI's default */
        google__protobuf__duration__init(&b->d_task);
        b->d_task.seconds = 10;
        w->workflow_task_timeout = &b->d_task;
    }
    if ((bad = sg_cli_key_values(a, "memo", &b->memo)))
        return sg_cli_fail("--memo '%s': expected KEY=VALUE with VALUE as JSON", bad);
    if ((bad = sg_cli_key_values(a, "search-attribute", &b->sa)))
        return sg_cli_fail("--search-attribute '%s': expected KEY=VALUE with VALUE as JSON", bad);
    w->memo = sg_cli_kv_memo(&b->memo);
    w->search_attributes = sg_cli_kv_search_attributes(&b->sa);
    const char *summary = sg_cli_arg(a, "static-summary"), *details = sg_cli_arg(a, "static-details");
    if ((summary && *summary) || (details && *details)) {
        temporal__api__sdk__v1__user_metadata__init(&b->meta);
        if (summary && *summary)
            b->meta.summary = text_payload(&b->ar, summary, &b->summary, &b->summary_enc, b->summary_md);
        if (details && *details)
            b->meta.details = text_payload(&b->ar, details, &b->details, &b->details_enc, b->details_md);
        w->user_metadata = &b->meta;
    }
    temporal__api__schedule__v1__schedule_action__init(&b->action);
    b->action.action_case = TEMPORAL__API__SCHEDULE__V1__SCHEDULE_ACTION__ACTION_START_WORKFLOW;
    b->action.start_workflow = w;
    return 0;
}

/* The whole Schedule from the flags create and update share. */
static int build_schedule(built *b, const sg_cli_args *a)
{
    memset(b, 0, sizeof *b);
    sg_arena_init(&b->ar);
    if (build_spec(b, a) || build_action(b, a))
        return 1;
    int overlap;
    if (sg_cli_enum(a, "overlap-policy", overlap_names, &overlap))
        return 1;
    temporal__api__schedule__v1__schedule_policies__init(&b->policies);
    b->policies.overlap_policy = (Temporal__Api__Enums__V1__ScheduleOverlapPolicy)(overlap ? overlap : 1);
    if (sg_cli_duration(a, "catchup-window", &b->d_catchup, &b->policies.catchup_window))
        return 1;
    b->policies.pause_on_failure = sg_cli_arg_bool(a, "pause-on-failure");
    temporal__api__schedule__v1__schedule_state__init(&b->state);
    b->state.notes = (char *)(sg_cli_arg(a, "notes") ? sg_cli_arg(a, "notes") : "");
    b->state.paused = sg_cli_arg_bool(a, "paused");
    const char *rem = sg_cli_arg(a, "remaining-actions");
    if (rem && atoll(rem) > 0) {
        b->state.limited_actions = true;
        b->state.remaining_actions = atoll(rem);
    }
    temporal__api__schedule__v1__schedule__init(&b->sched);
    b->sched.spec = &b->spec;
    b->sched.action = &b->action;
    b->sched.policies = &b->policies;
    b->sched.state = &b->state;
    return 0;
}

/* Prints nothing for text (as the temporal CLI), {} for JSON; returns 0. */
static int quiet_ok(const sg_cli *c, const char *text)
{
    if (c->output == SG_OUT_TEXT) {
        if (text)
            puts(text);
    } else if (c->output != SG_OUT_NONE) {
        puts("{}");
    }
    return 0;
}

/* create and update: the Schedule from the flags; create adds the schedule's own memo and
 * search attributes, update replaces the rest as a whole (what the flags leave out is reset). */
static int put(sg_cli *c, const sg_cli_args *a, bool create)
{
    const char *id = need_id(a);
    if (!id)
        return sg_cli_fail("--schedule-id is required");
    built b;
    int rc = build_schedule(&b, a);
    sg_cli_kv memo, sa;
    const char *bad = NULL;
    if (!rc && create && (bad = sg_cli_key_values(a, "schedule-memo", &memo)))
        rc = sg_cli_fail("--schedule-memo '%s': expected KEY=VALUE with VALUE as JSON", bad);
    if (!rc && create && (bad = sg_cli_key_values(a, "schedule-search-attribute", &sa)))
        rc = sg_cli_fail("--schedule-search-attribute '%s': expected KEY=VALUE with VALUE as JSON", bad);
    if (!rc) {
        char rid[SG_UUID_STR_LEN + 1];
        sg_uuid_v4(rid);
        ProtobufCMessage *m;
        if (create) {
            Temporal__Api__Workflowservice__V1__CreateScheduleRequest req =
                TEMPORAL__API__WORKFLOWSERVICE__V1__CREATE_SCHEDULE_REQUEST__INIT;
            req.namespace_ = (char *)c->namespace_;
            req.schedule_id = (char *)id;
            req.schedule = &b.sched;
            req.identity = (char *)c->identity;
            req.request_id = rid;
            req.memo = sg_cli_kv_memo(&memo);
            req.search_attributes = sg_cli_kv_search_attributes(&sa);
            rc = sg_cli_call(c, WS, "CreateSchedule", &req.base,
                             &temporal__api__workflowservice__v1__create_schedule_response__descriptor,
                             &m, NULL, NULL);
        } else {
            Temporal__Api__Workflowservice__V1__UpdateScheduleRequest req =
                TEMPORAL__API__WORKFLOWSERVICE__V1__UPDATE_SCHEDULE_REQUEST__INIT;
            req.namespace_ = (char *)c->namespace_;
            req.schedule_id = (char *)id;
            req.schedule = &b.sched;
            req.identity = (char *)c->identity;
            req.request_id = rid;
            rc = sg_cli_call(c, WS, "UpdateSchedule", &req.base,
                             &temporal__api__workflowservice__v1__update_schedule_response__descriptor,
                             &m, NULL, NULL);
        }
        if (!rc) {
            protobuf_c_message_free_unpacked(m, NULL);
            quiet_ok(c, NULL);
        }
    }
    sg_arena_deinit(&b.ar);
    return rc;
}

static int run_create(sg_cli *c, const sg_cli_args *a)
{
    return put(c, a, true);
}

static int run_update(sg_cli *c, const sg_cli_args *a)
{
    return put(c, a, false);
}

/* ---- describe ---- */

/* A span as the temporal CLI prints one: Go's Duration.String() ("1h0m0s", "2m3.5s", "500ms"),
 * with whole days split off and a space after each unit ("365d 0h 0m 0s", "1h 0m 0s"). */
static const char *span(sg_buf *b, const Google__Protobuf__Duration *d)
{
    sg_buf_reset(b);
    int64_t s = d ? d->seconds : 0;
    int32_t ns = d ? d->nanos : 0;
    if (s == 0 && ns == 0) {
        sg_buf_append_str(b, "0s");
    } else if (s == 0) {
        if (ns >= 1000000)
            sg_buf_printf(b, "%gms", ns / 1e6);
        else if (ns >= 1000)
            sg_buf_printf(b, "%g\xc2\xb5s", ns / 1e3);
        else
            sg_buf_printf(b, "%dns", ns);
    } else {
        int64_t days = s / 86400, h = s % 86400 / 3600, m = s % 3600 / 60, sec = s % 60;
        if (days)
            sg_buf_printf(b, "%lldd %lldh %lldm ", (long long)days, (long long)h, (long long)m);
        else if (h)
            sg_buf_printf(b, "%lldh %lldm ", (long long)h, (long long)m);
        else if (m)
            sg_buf_printf(b, "%lldm ", (long long)m);
        if (ns) {
            char frac[16];
            snprintf(frac, sizeof frac, "%09d", ns);
            for (int k = 8; k > 0 && frac[k] == '0'; k--)
                frac[k] = 0;
            sg_buf_printf(b, "%lld.%ss", (long long)sec, frac);
        } else {
            sg_buf_printf(b, "%llds", (long long)sec);
        }
    }
    sg_buf_append(b, "", 1);
    return (const char *)sg_buf_head(b);
}

/* One field of a structured calendar in the string form a CalendarSpec takes ("1-31", "0/15",
 * "1,15"), as the temporal CLI shows calendars. */
static char *ranges_text(sg_arena *ar, Temporal__Api__Schedule__V1__Range *const *r, size_t n)
{
    sg_buf b;
    sg_buf_init(&b);
    for (size_t i = 0; i < n; i++) {
        sg_buf_printf(&b, "%s%d", i ? "," : "", r[i]->start);
        if (r[i]->end > r[i]->start)
            sg_buf_printf(&b, "-%d", r[i]->end);
        if (r[i]->step > 1)
            sg_buf_printf(&b, "/%d", r[i]->step);
    }
    sg_buf_append(&b, "", 1);
    char *out = sg_arena_strdup(ar, (const char *)sg_buf_head(&b));
    sg_buf_deinit(&b);
    return out;
}

static void calendar_text(sg_buf *out, const Temporal__Api__Schedule__V1__StructuredCalendarSpec *sc)
{
    sg_arena ar;
    sg_arena_init(&ar);
    Temporal__Api__Schedule__V1__CalendarSpec c = TEMPORAL__API__SCHEDULE__V1__CALENDAR_SPEC__INIT;
    c.second = ranges_text(&ar, sc->second, sc->n_second);
    c.minute = ranges_text(&ar, sc->minute, sc->n_minute);
    c.hour = ranges_text(&ar, sc->hour, sc->n_hour);
    c.day_of_month = ranges_text(&ar, sc->day_of_month, sc->n_day_of_month);
    c.month = ranges_text(&ar, sc->month, sc->n_month);
    c.year = ranges_text(&ar, sc->year, sc->n_year);
    c.day_of_week = ranges_text(&ar, sc->day_of_week, sc->n_day_of_week);
    c.comment = sc->comment;
    sg_pbjson_opts o = { 0, true };
    sg_buf_reset(out);
    sg_pbjson_write(out, &c.base, &o);
    sg_buf_append(out, "", 1);
    sg_arena_deinit(&ar);
}

/* One line per spec entry: intervals, then calendars in CalendarSpec form, then what is
 * excluded; labelled once. */
static void print_spec(sg_buf *tmp, const spec_t *s)
{
    const char *label = "Spec";
    for (size_t i = 0; s && i < s->n_interval; i++, label = "") {
        sg_buf line;
        sg_buf_init(&line);
        sg_buf_printf(&line, "every %s", span(tmp, s->interval[i]->interval));
        if (s->interval[i]->phase && (s->interval[i]->phase->seconds || s->interval[i]->phase->nanos))
            sg_buf_printf(&line, ", offset %s", span(tmp, s->interval[i]->phase));
        sg_buf_append(&line, "", 1);
        sg_cli_card_line(label, (const char *)sg_buf_head(&line));
        sg_buf_deinit(&line);
    }
    for (size_t i = 0; s && i < s->n_structured_calendar; i++, label = "") {
        calendar_text(tmp, s->structured_calendar[i]);
        sg_cli_card_line(label, (const char *)sg_buf_head(tmp));
    }
    for (size_t i = 0; s && i < s->n_cron_string; i++, label = "")
        sg_cli_card_line(label, s->cron_string[i]);
    label = "SkipSpec";
    for (size_t i = 0; s && i < s->n_exclude_structured_calendar; i++, label = "") {
        calendar_text(tmp, s->exclude_structured_calendar[i]);
        sg_cli_card_line(label, (const char *)sg_buf_head(tmp));
    }
}

static int run_describe(sg_cli *c, const sg_cli_args *a)
{
    const char *id = need_id(a);
    if (!id)
        return sg_cli_fail("--schedule-id is required");
    Temporal__Api__Workflowservice__V1__DescribeScheduleRequest req =
        TEMPORAL__API__WORKFLOWSERVICE__V1__DESCRIBE_SCHEDULE_REQUEST__INIT;
    req.namespace_ = (char *)c->namespace_;
    req.schedule_id = (char *)id;
    ProtobufCMessage *m;
    if (sg_cli_call(c, WS, "DescribeSchedule", &req.base,
                    &temporal__api__workflowservice__v1__describe_schedule_response__descriptor, &m,
                    NULL, NULL))
        return 1;
    Temporal__Api__Workflowservice__V1__DescribeScheduleResponse *r = (void *)m;
    if (c->output != SG_OUT_TEXT) {
        if (c->output != SG_OUT_NONE)
            sg_cli_print_json(c, m, false);
        protobuf_c_message_free_unpacked(m, NULL);
        return 0;
    }
    const schedule_t *s = r->schedule;
    const Temporal__Api__Schedule__V1__ScheduleInfo *info = r->info;
    sg_buf tmp, tmp2;
    sg_buf_init(&tmp);
    sg_buf_init(&tmp2);
    sg_cli_card_line("ScheduleId", id);
    const Temporal__Api__Workflow__V1__NewWorkflowExecutionInfo *w =
        s && s->action ? s->action->start_workflow : NULL;
    if (w) {
        sg_cli_card_line("WorkflowId", w->workflow_id);
        sg_cli_card_line("Workflow", w->workflow_type ? w->workflow_type->name : "");
        sg_cli_card_line("TaskQueue", w->task_queue ? w->task_queue->name : "");
    }
    const spec_t *sp = s ? s->spec : NULL;
    print_spec(&tmp, sp);
    if (sp) {
        sg_cli_card_line("StartAt", sg_cli_time_text(c, &tmp, sp->start_time));
        sg_cli_card_line("EndAt", sg_cli_time_text(c, &tmp, sp->end_time));
        if (sp->jitter && (sp->jitter->seconds || sp->jitter->nanos))
            sg_cli_card_line("Jitter", span(&tmp, sp->jitter));
        sg_cli_card_line("TimeZoneName", sp->timezone_name);
    }
    if (s && s->policies) {
        sg_cli_card_line("OverlapPolicy", overlap_text(s->policies->overlap_policy));
        sg_cli_card_line("CatchupWindow", span(&tmp, s->policies->catchup_window));
        sg_cli_card_line("PauseOnFailure", s->policies->pause_on_failure ? "true" : "false");
    }
    if (s && s->state) {
        sg_cli_card_line("Notes", s->state->notes);
        sg_cli_card_line("Paused", s->state->paused ? "true" : "false");
        if (s->state->limited_actions) {
            sg_buf_reset(&tmp);
            sg_buf_printf(&tmp, "%lld", (long long)s->state->remaining_actions);
            sg_buf_append(&tmp, "", 1);
            sg_cli_card_line("RemainingActions", (const char *)sg_buf_head(&tmp));
        }
    }
    if (info) {
        if (info->n_future_action_times)
            sg_cli_card_line("NextRunTime", sg_cli_time_text(c, &tmp, info->future_action_times[0]));
        if (info->n_recent_actions)
            sg_cli_card_line("LastRunTime",
                 sg_cli_time_text(c, &tmp, info->recent_actions[info->n_recent_actions - 1]->schedule_time));
        for (size_t i = 0; i < info->n_running_workflows; i++)
            sg_cli_card_line(i ? "" : "RunningWorkflows", info->running_workflows[i]->workflow_id);
        sg_cli_card_line("CreatedAt", sg_cli_time_text(c, &tmp, info->create_time));
        sg_cli_card_line("LastUpdateAt", sg_cli_time_text(c, &tmp, info->update_time));
        sg_buf_reset(&tmp);
        sg_buf_printf(&tmp, "Total %lld, MissedCatchupWindow %lld, SkippedOverlap %lld",
                      (long long)info->action_count, (long long)info->missed_catchup_window,
                      (long long)info->overlap_skipped);
        sg_buf_append(&tmp, "", 1);
        sg_cli_card_line("ActionCounts", (const char *)sg_buf_head(&tmp));
    }
    sg_pbjson_opts o = { 0, true };
    if (r->search_attributes && r->search_attributes->n_indexed_fields) {
        sg_buf_reset(&tmp2);
        sg_pbjson_write(&tmp2, &r->search_attributes->base, &o);
        sg_buf_append(&tmp2, "", 1);
        sg_cli_card_line("SearchAttributes", (const char *)sg_buf_head(&tmp2));
    }
    if (r->memo && r->memo->n_fields) {
        sg_buf_reset(&tmp2);
        sg_pbjson_write(&tmp2, &r->memo->base, &o);
        sg_buf_append(&tmp2, "", 1);
        sg_cli_card_line("Memo", (const char *)sg_buf_head(&tmp2));
    }
    sg_buf_deinit(&tmp);
    sg_buf_deinit(&tmp2);
    protobuf_c_message_free_unpacked(m, NULL);
    return 0;
}

/* ---- list ---- */

static int run_list(sg_cli *c, const sg_cli_args *a)
{
    const char *query = sg_cli_arg(a, "query");
    bool long_ = sg_cli_arg_bool(a, "long") || sg_cli_arg_bool(a, "really-long");
    sg_cli_page page = { { 0, NULL }, NULL };
    bool first = true;
    long shown = 0;
    int rc = 0;
    for (;;) {
        Temporal__Api__Workflowservice__V1__ListSchedulesRequest req =
            TEMPORAL__API__WORKFLOWSERVICE__V1__LIST_SCHEDULES_REQUEST__INIT;
        req.namespace_ = (char *)c->namespace_;
        req.query = (char *)(query ? query : "");
        req.next_page_token = page.token;
        ProtobufCMessage *m;
        rc = sg_cli_call(c, WS, "ListSchedules", &req.base,
                         &temporal__api__workflowservice__v1__list_schedules_response__descriptor,
                         &m, NULL, NULL);
        if (rc)
            break;
        Temporal__Api__Workflowservice__V1__ListSchedulesResponse *r = (void *)m;
        size_t n = r->n_schedules, cols = long_ ? 6 : 5;
        if (c->output == SG_OUT_TEXT && (n || first)) {
            const char **cells = sg_calloc((n + 1) * cols, sizeof *cells);
            sg_buf *bufs = sg_calloc(2 * (n ? n : 1), sizeof *bufs);
            size_t row = 0;
            if (first) {
                const char *h[] = { "ScheduleId", "Workflow", "Paused", "NextRunTime", "LastRunTime",
                                    "Notes" };
                for (size_t k = 0; k < cols; k++)
                    cells[k] = h[k];
                row = 1;
            }
            for (size_t i = 0; i < n; i++, row++) {
                const Temporal__Api__Schedule__V1__ScheduleListEntry *e = r->schedules[i];
                const Temporal__Api__Schedule__V1__ScheduleListInfo *li = e->info;
                sg_buf_init(&bufs[2 * i]);
                sg_buf_init(&bufs[2 * i + 1]);
                const char **rowc = &cells[row * cols];
                rowc[0] = e->schedule_id;
                rowc[1] = li && li->workflow_type ? li->workflow_type->name : "";
                rowc[2] = li && li->paused ? "true" : "false";
                rowc[3] = sg_cli_time_text(c, &bufs[2 * i],
                               li && li->n_future_action_times ? li->future_action_times[0] : NULL);
                rowc[4] = sg_cli_time_text(c, &bufs[2 * i + 1],
                               li && li->n_recent_actions
                                   ? li->recent_actions[li->n_recent_actions - 1]->schedule_time
                                   : NULL);
                if (long_)
                    rowc[5] = li ? li->notes : "";
            }
            sg_cli_table(c, stdout, cells, row, cols, first);
            for (size_t i = 0; i < n; i++) {
                sg_buf_deinit(&bufs[2 * i]);
                sg_buf_deinit(&bufs[2 * i + 1]);
            }
            sg_free(bufs);
            sg_free(cells);
        } else {
            for (size_t i = 0; i < n; i++)
                sg_cli_list_item(c, &r->schedules[i]->base, shown + (long)i, false);
        }
        shown += (long)n;
        first = false;
        bool more = sg_cli_page_next(&page, r->next_page_token);
        protobuf_c_message_free_unpacked(m, NULL);
        if (!more)
            break;
    }
    sg_cli_page_free(&page);
    sg_cli_list_end(c, shown);
    return rc;
}

/* ---- toggle, trigger, backfill: PatchSchedule ---- */

static int patch(sg_cli *c, const char *id, Temporal__Api__Schedule__V1__SchedulePatch *p,
                 const char *done_text)
{
    char rid[SG_UUID_STR_LEN + 1];
    sg_uuid_v4(rid);
    Temporal__Api__Workflowservice__V1__PatchScheduleRequest req =
        TEMPORAL__API__WORKFLOWSERVICE__V1__PATCH_SCHEDULE_REQUEST__INIT;
    req.namespace_ = (char *)c->namespace_;
    req.schedule_id = (char *)id;
    req.patch = p;
    req.identity = (char *)c->identity;
    req.request_id = rid;
    ProtobufCMessage *m;
    if (sg_cli_call(c, WS, "PatchSchedule", &req.base,
                    &temporal__api__workflowservice__v1__patch_schedule_response__descriptor, &m,
                    NULL, NULL))
        return 1;
    protobuf_c_message_free_unpacked(m, NULL);
    return quiet_ok(c, done_text);
}

static int run_toggle(sg_cli *c, const sg_cli_args *a)
{
    const char *id = need_id(a);
    if (!id)
        return sg_cli_fail("--schedule-id is required");
    bool pause = sg_cli_arg_bool(a, "pause"), unpause = sg_cli_arg_bool(a, "unpause");
    if (pause == unpause)
        return sg_cli_fail("exactly one of --pause or --unpause is required");
    const char *reason = sg_cli_arg(a, "reason");
    if (!reason)
        reason = "(no reason provided)";
    Temporal__Api__Schedule__V1__SchedulePatch p = TEMPORAL__API__SCHEDULE__V1__SCHEDULE_PATCH__INIT;
    if (pause)
        p.pause = (char *)reason;
    else
        p.unpause = (char *)reason;
    return patch(c, id, &p, NULL);
}

static int run_trigger(sg_cli *c, const sg_cli_args *a)
{
    const char *id = need_id(a);
    if (!id)
        return sg_cli_fail("--schedule-id is required");
    int overlap;
    if (sg_cli_enum(a, "overlap-policy", overlap_names, &overlap))
        return 1;
    Temporal__Api__Schedule__V1__TriggerImmediatelyRequest t =
        TEMPORAL__API__SCHEDULE__V1__TRIGGER_IMMEDIATELY_REQUEST__INIT;
    t.overlap_policy = (Temporal__Api__Enums__V1__ScheduleOverlapPolicy)overlap;
    Temporal__Api__Schedule__V1__SchedulePatch p = TEMPORAL__API__SCHEDULE__V1__SCHEDULE_PATCH__INIT;
    p.trigger_immediately = &t;
    return patch(c, id, &p, "Trigger request sent");
}

/* --start-time and --end-time, both required. */
static int time_range(const sg_cli_args *a, Google__Protobuf__Timestamp *s,
                      Google__Protobuf__Timestamp **sp, Google__Protobuf__Timestamp *e,
                      Google__Protobuf__Timestamp **ep)
{
    if (sg_cli_timestamp(a, "start-time", s, sp) || sg_cli_timestamp(a, "end-time", e, ep))
        return 1;
    if (!*sp)
        return sg_cli_fail("--start-time is required");
    if (!*ep)
        return sg_cli_fail("--end-time is required");
    return 0;
}

static int run_backfill(sg_cli *c, const sg_cli_args *a)
{
    const char *id = need_id(a);
    if (!id)
        return sg_cli_fail("--schedule-id is required");
    Temporal__Api__Schedule__V1__BackfillRequest b = TEMPORAL__API__SCHEDULE__V1__BACKFILL_REQUEST__INIT;
    Google__Protobuf__Timestamp s, e;
    int overlap;
    if (time_range(a, &s, &b.start_time, &e, &b.end_time) ||
        sg_cli_enum(a, "overlap-policy", overlap_names, &overlap))
        return 1;
    b.overlap_policy = (Temporal__Api__Enums__V1__ScheduleOverlapPolicy)overlap;
    Temporal__Api__Schedule__V1__BackfillRequest *list[1] = { &b };
    Temporal__Api__Schedule__V1__SchedulePatch p = TEMPORAL__API__SCHEDULE__V1__SCHEDULE_PATCH__INIT;
    p.n_backfill_request = 1;
    p.backfill_request = list;
    return patch(c, id, &p, "Backfill request sent");
}

static int run_delete(sg_cli *c, const sg_cli_args *a)
{
    const char *id = need_id(a);
    if (!id)
        return sg_cli_fail("--schedule-id is required");
    Temporal__Api__Workflowservice__V1__DeleteScheduleRequest req =
        TEMPORAL__API__WORKFLOWSERVICE__V1__DELETE_SCHEDULE_REQUEST__INIT;
    req.namespace_ = (char *)c->namespace_;
    req.schedule_id = (char *)id;
    req.identity = (char *)c->identity;
    ProtobufCMessage *m;
    if (sg_cli_call(c, WS, "DeleteSchedule", &req.base,
                    &temporal__api__workflowservice__v1__delete_schedule_response__descriptor, &m,
                    NULL, NULL))
        return 1;
    protobuf_c_message_free_unpacked(m, NULL);
    return quiet_ok(c, "Schedule deleted");
}

static int run_matching_times(sg_cli *c, const sg_cli_args *a)
{
    const char *id = need_id(a);
    if (!id)
        return sg_cli_fail("--schedule-id is required");
    Temporal__Api__Workflowservice__V1__ListScheduleMatchingTimesRequest req =
        TEMPORAL__API__WORKFLOWSERVICE__V1__LIST_SCHEDULE_MATCHING_TIMES_REQUEST__INIT;
    Google__Protobuf__Timestamp s, e;
    if (time_range(a, &s, &req.start_time, &e, &req.end_time))
        return 1;
    req.namespace_ = (char *)c->namespace_;
    req.schedule_id = (char *)id;
    ProtobufCMessage *m;
    if (sg_cli_call(c, WS, "ListScheduleMatchingTimes", &req.base,
                    &temporal__api__workflowservice__v1__list_schedule_matching_times_response__descriptor,
                    &m, NULL, NULL))
        return 1;
    Temporal__Api__Workflowservice__V1__ListScheduleMatchingTimesResponse *r = (void *)m;
    if (c->output == SG_OUT_TEXT) {
        const char **cells = sg_calloc(r->n_start_time + 1, sizeof *cells);
        sg_buf *bufs = sg_calloc(r->n_start_time ? r->n_start_time : 1, sizeof *bufs);
        cells[0] = "Time";
        for (size_t i = 0; i < r->n_start_time; i++) {
            sg_buf_init(&bufs[i]);
            sg_pbjson_rfc3339(&bufs[i], r->start_time[i]->seconds, r->start_time[i]->nanos);
            sg_buf_append(&bufs[i], "", 1);
            cells[i + 1] = (const char *)sg_buf_head(&bufs[i]);
        }
        sg_cli_table(c, stdout, cells, r->n_start_time + 1, 1, true);
        for (size_t i = 0; i < r->n_start_time; i++)
            sg_buf_deinit(&bufs[i]);
        sg_free(bufs);
        sg_free(cells);
    } else if (c->output != SG_OUT_NONE) {
        sg_cli_print_json(c, m, false);
    }
    protobuf_c_message_free_unpacked(m, NULL);
    return 0;
}

/* ---- the table ---- */

#define ID_FLAG { "schedule-id", 's', SG_FLAG_STRING, "Schedule id (required)" }
#define OVERLAP_FLAG                                                                               \
    { "overlap-policy", 0, SG_FLAG_STRING,                                                         \
      "Skip (default), BufferOne, BufferAll, CancelOther, TerminateOther or AllowAll" }

/* What create and update take: the spec, policies and state, then the workflow to start. */
#define SCHEDULE_FLAGS                                                                             \
    ID_FLAG, OVERLAP_FLAG,                                                                         \
    { "calendar", 0, SG_FLAG_LIST, "Calendar spec as JSON, e.g. {\"dayOfWeek\":\"Fri\",\"hour\":\"17\",\"minute\":\"5\"} (repeatable)" }, \
    { "cron", 0, SG_FLAG_LIST, "Cron string, e.g. \"30 2 * * 5\" or \"@daily\" (repeatable)" },     \
    { "interval", 0, SG_FLAG_LIST, "Interval, e.g. 45m, or with an offset, 6h/5h (repeatable)" },   \
    { "start-time", 0, SG_FLAG_STRING, "No action before this time (RFC 3339)" },                   \
    { "end-time", 0, SG_FLAG_STRING, "No action after this time (RFC 3339)" },                      \
    { "jitter", 0, SG_FLAG_STRING, "Delay each action by up to this much, e.g. 1m" },                \
    { "time-zone", 0, SG_FLAG_STRING, "IANA time zone for calendars and cron strings, e.g. Europe/Paris" }, \
    { "catchup-window", 0, SG_FLAG_STRING, "After downtime, take missed actions this late at most" }, \
    { "pause-on-failure", 0, SG_FLAG_BOOL, "Pause when a started workflow fails" },                 \
    { "notes", 0, SG_FLAG_STRING, "Notes on the schedule's state" },                                \
    { "paused", 0, SG_FLAG_BOOL, "Start paused" },                                                  \
    { "remaining-actions", 0, SG_FLAG_INT, "Stop after this many actions (default no limit)" },     \
    { "workflow-id", 'w', SG_FLAG_STRING, "Workflow id prefix of the runs (default a new UUID)" },  \
    { "type", 0, SG_FLAG_STRING, "Workflow type (required)" },                                      \
    { "task-queue", 't', SG_FLAG_STRING, "Task queue (required)" },                                 \
    { "input", 'i', SG_FLAG_LIST, "Workflow input as JSON (repeatable, one per argument)" },        \
    { "execution-timeout", 0, SG_FLAG_STRING, "Timeout of each workflow's chain of runs" },         \
    { "run-timeout", 0, SG_FLAG_STRING, "Timeout of one run" },                                     \
    { "task-timeout", 0, SG_FLAG_STRING, "Timeout of one workflow task (default 10s)" },            \
    { "memo", 0, SG_FLAG_LIST, "Workflow memo entry KEY=VALUE, VALUE as JSON (repeatable)" },        \
    { "search-attribute", 0, SG_FLAG_LIST, "Workflow search attribute KEY=VALUE, VALUE as JSON (repeatable)" }, \
    { "static-summary", 0, SG_FLAG_STRING, "Workflow summary (user metadata)" },                    \
    { "static-details", 0, SG_FLAG_STRING, "Workflow details (user metadata)" }

static const sg_cli_flag create_flags[] = {
    SCHEDULE_FLAGS,
    { "schedule-memo", 0, SG_FLAG_LIST, "Schedule memo entry KEY=VALUE, VALUE as JSON (repeatable)" },
    { "schedule-search-attribute", 0, SG_FLAG_LIST, "Schedule search attribute KEY=VALUE, VALUE as JSON (repeatable)" },
};
static const sg_cli_flag update_flags[] = { SCHEDULE_FLAGS };
static const sg_cli_flag id_flags[] = { ID_FLAG };
static const sg_cli_flag list_flags[] = {
    { "long", 'l', SG_FLAG_BOOL, "Show the notes too" },
    { "really-long", 0, SG_FLAG_BOOL, "As --long" },
    { "query", 'q', SG_FLAG_STRING, "Filter, e.g. \"TemporalSchedulePaused = true\"" },
};
static const sg_cli_flag toggle_flags[] = {
    ID_FLAG,
    { "pause", 0, SG_FLAG_BOOL, "Pause the schedule" },
    { "unpause", 0, SG_FLAG_BOOL, "Unpause the schedule" },
    { "reason", 0, SG_FLAG_STRING, "Why (the schedule's notes; default \"(no reason provided)\")" },
};
static const sg_cli_flag trigger_flags[] = { ID_FLAG, OVERLAP_FLAG };
static const sg_cli_flag backfill_flags[] = {
    ID_FLAG, OVERLAP_FLAG,
    { "start-time", 0, SG_FLAG_STRING, "Backfill start time (RFC 3339, required)" },
    { "end-time", 0, SG_FLAG_STRING, "Backfill end time (RFC 3339, required)" },
};
static const sg_cli_flag times_flags[] = {
    ID_FLAG,
    { "start-time", 0, SG_FLAG_STRING, "Start of the range (RFC 3339, required)" },
    { "end-time", 0, SG_FLAG_STRING, "End of the range (RFC 3339, required)" },
};

#define FLAGS(f) f, sizeof f / sizeof f[0]

static const sg_cli_command schedule_commands[] = {
    { "schedule create", "Create a schedule", FLAGS(create_flags), run_create },
    { "schedule update", "Replace a schedule's spec, action, policies and state", FLAGS(update_flags), run_update },
    { "schedule describe", "Show a schedule's configuration and recent and next actions", FLAGS(id_flags), run_describe },
    { "schedule list", "List the namespace's schedules", FLAGS(list_flags), run_list },
    { "schedule toggle", "Pause or unpause a schedule", FLAGS(toggle_flags), run_toggle },
    { "schedule trigger", "Take the schedule's action now", FLAGS(trigger_flags), run_trigger },
    { "schedule backfill", "Take the actions of a past (or future) time range now", FLAGS(backfill_flags), run_backfill },
    { "schedule delete", "Delete a schedule (the workflows it started go on)", FLAGS(id_flags), run_delete },
    { "schedule list-matching-times", "List the times the schedule's spec matches in a range", FLAGS(times_flags), run_matching_times },
};

int sg_cli_schedule(int argc, char **argv)
{
    return sg_cli_dispatch(schedule_commands, SG_ARRAY_LEN(schedule_commands), argc, argv);
}
