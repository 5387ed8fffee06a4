/* SPDX-License-Identifier: Apache-2.0 */
/* test_visibility.c: the list filter language — parser (operators, precedence, literals,
 * errors with positions), type checking against registered attributes — and the SQL the store
 * compiles it to, whose query plans must seek an index (never scan the namespace). */
#include "test.h"

#include "core/buf.h"
#include "store/store.h"
#include "store/txn.h"
#include "visibility/query.h"

#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

static int custom(void *ud, const char *name)
{
    SG_UNUSED(ud);
    static const struct { const char *name; int type; } attrs[] = {
        { "CustomerId", SG_VQ_KEYWORD }, { "Amount", SG_VQ_INT },   { "Score", SG_VQ_DOUBLE },
        { "Vip", SG_VQ_BOOL },           { "DueAt", SG_VQ_DATETIME }, { "Tags", SG_VQ_KEYWORD_LIST },
        { "Notes", SG_VQ_TEXT },
    };
    for (size_t i = 0; i < SG_ARRAY_LEN(attrs); i++)
        if (strcmp(attrs[i].name, name) == 0)
            return attrs[i].type;
    return 0;
}

static sg_vq *parse_ok(sg_arena *a, const char *text)
{
    sg_vq *q = NULL;
    const char *err = NULL;
    int rc = sg_vq_parse(a, text, custom, NULL, &q, &err);
    if (rc != 0)
        fprintf(stderr, "  %s: %s\n", text, err);
    CHECK_EQ_INT(rc, 0);
    return q;
}

static const char *parse_err(sg_arena *a, const char *text)
{
    sg_vq *q = NULL;
    const char *err = NULL;
    CHECK_EQ_INT(sg_vq_parse(a, text, custom, NULL, &q, &err), SG_EINVAL);
    CHECK(err != NULL);
    return err ? err : "";
}

SG_TEST(vq_precedence_and_structure)
{
    sg_arena a;
    sg_arena_init(&a);
    /* AND binds tighter than OR; NOT tighter than AND; parentheses override. */
    sg_vq *q = parse_ok(&a, "WorkflowId = 'a' OR WorkflowType = 'b' AND NOT TaskQueue = 'c'");
    CHECK_EQ_INT(q->where->kind, VQ_OR);
    CHECK_EQ_INT(q->where->r->kind, VQ_AND);
    CHECK_EQ_INT(q->where->r->r->kind, VQ_NOT);
    q = parse_ok(&a, "(WorkflowId = 'a' OR WorkflowType = 'b') and TaskQueue = 'c'");
    CHECK_EQ_INT(q->where->kind, VQ_AND);
    CHECK_EQ_INT(q->where->l->kind, VQ_OR);
    q = parse_ok(&a, "");
    CHECK(q->where == NULL);
    q = parse_ok(&a, "GROUP BY ExecutionStatus");
    CHECK(q->group_by_status && !q->where);
    q = parse_ok(&a, "WorkflowType = 'x' GROUP BY ExecutionStatus");
    CHECK(q->group_by_status && q->where);
    sg_arena_deinit(&a);
}

SG_TEST(vq_operators_and_literals)
{
    sg_arena a;
    sg_arena_init(&a);
    sg_vq *q = parse_ok(&a, "ExecutionStatus = 'Running'");
    CHECK_EQ_INT(q->where->values[0].kind, VQ_V_INT);
    CHECK_EQ_INT(q->where->values[0].i, 1);
    CHECK_EQ_STR(q->where->attr.column, "status");
    /* Temporal's other spellings: the enum's number and its name. */
    q = parse_ok(&a, "ExecutionStatus = 2");
    CHECK_EQ_INT(q->where->values[0].i, 2);
    q = parse_ok(&a, "ExecutionStatus IN ('WORKFLOW_EXECUTION_STATUS_TIMED_OUT', 'ContinuedAsNew')");
    CHECK(q->where->values[0].i == 7 && q->where->values[1].i == 6);
    q = parse_ok(&a, "StartTime >= '2026-01-02T03:04:05.678+01:00'");
    CHECK_EQ_INT(q->where->op, VQ_GE);
    CHECK_EQ_INT(q->where->values[0].i, 1767319445678LL); /* 02:04:05.678 UTC */
    q = parse_ok(&a, "ExecutionDuration > '1h30m'");
    CHECK_EQ_INT(q->where->values[0].i, 5400000);
    q = parse_ok(&a, "ExecutionDuration < 2000000000");
    CHECK_EQ_INT(q->where->values[0].i, 2000); /* nanoseconds */
    /* Temporal's other duration forms: nanoseconds as a string, days, HH:MM:SS. */
    q = parse_ok(&a, "ExecutionDuration < '3000000000'");
    CHECK_EQ_INT(q->where->values[0].i, 3000);
    q = parse_ok(&a, "ExecutionDuration < '1d12h'");
    CHECK_EQ_INT(q->where->values[0].i, 36LL * 3600000);
    q = parse_ok(&a, "ExecutionDuration >= '01:02:03'");
    CHECK_EQ_INT(q->where->values[0].i, 3723000);
    q = parse_ok(&a, "ExecutionDuration > '1.001s'");
    CHECK_EQ_INT(q->where->values[0].i, 1001);
    q = parse_ok(&a, "Amount IN (1, 2, -3)");
    CHECK_EQ_INT(q->where->kind, VQ_IN);
    CHECK_EQ_INT(q->where->n_values, 3);
    CHECK_EQ_INT(q->where->values[2].i, -3);
    q = parse_ok(&a, "Amount NOT BETWEEN 1 AND 5");
    CHECK(q->where->kind == VQ_BETWEEN && q->where->negate);
    q = parse_ok(&a, "Score <= 2.5e1");
    CHECK(q->where->values[0].kind == VQ_V_REAL && q->where->values[0].r == 25.0);
    q = parse_ok(&a, "Vip = FALSE");
    CHECK_EQ_INT(q->where->values[0].i, 0);
    q = parse_ok(&a, "Vip > false"); /* Temporal compares Bools too */
    CHECK(q->where->op == VQ_GT && q->where->values[0].i == 0);
    q = parse_ok(&a, "WorkflowId STARTS_WITH 'order-'");
    CHECK_EQ_INT(q->where->kind, VQ_STARTS_WITH);
    q = parse_ok(&a, "CustomerId NOT STARTS_WITH 'c-'");
    CHECK(q->where->kind == VQ_NOT && q->where->l->kind == VQ_STARTS_WITH);
    q = parse_ok(&a, "ORDER BY StartTime");
    CHECK(q->where == NULL && q->has_order_by && !q->order_desc);
    CHECK_EQ_STR(q->order_by.column, "start_time");
    q = parse_ok(&a, "WorkflowType = 't' order by `CloseTime` desc");
    CHECK(q->where && q->has_order_by && q->order_desc);
    CHECK_EQ_STR(q->order_by.name, "CloseTime");
    q = parse_ok(&a, "CustomerId IS NOT NULL");
    CHECK(q->where->kind == VQ_IS_NULL && q->where->negate && !q->where->attr.column);
    q = parse_ok(&a, "`CustomerId` = 'it''s' AND Tags != \"a\\\"b\"");
    CHECK_EQ_STR(q->where->l->values[0].s, "it's");
    CHECK_EQ_STR(q->where->r->values[0].s, "a\"b");
    q = parse_ok(&a, "Notes = 'Hello, World-42!'");
    CHECK(q->where->kind == VQ_IN && !q->where->negate); /* any of the words */
    CHECK_EQ_INT(q->where->n_values, 3); /* words, lowercased */
    CHECK_EQ_STR(q->where->values[0].s, "hello");
    CHECK_EQ_STR(q->where->values[2].s, "42");
    q = parse_ok(&a, "Notes != 'Hello, World'");
    CHECK(q->where->kind == VQ_IN && q->where->negate); /* none of the words */
    q = parse_ok(&a, "Notes = 'Hello'");
    CHECK(q->where->kind == VQ_CMP && q->where->n_values == 1);
    q = parse_ok(&a, "BuildIds = 'v1'");
    CHECK_EQ_INT(q->where->attr.type, SG_VQ_KEYWORD_LIST);
    q = parse_ok(&a, "DueAt BETWEEN '2026-01-01' AND '2026-02-01'");
    CHECK_EQ_INT(q->where->values[1].i - q->where->values[0].i, 31LL * 86400000);
    sg_arena_deinit(&a);
}

SG_TEST(vq_errors_name_token_and_position)
{
    sg_arena a;
    sg_arena_init(&a);
    static const struct { const char *q, *want; } cases[] = {
        { "Foo = 1", "unknown search attribute 'Foo' at position 1" },
        { "Amount = 'x'", "Amount (Int) takes an integer at position 10" },
        { "Amount = 1.5", "Amount (Int) takes an integer at position 10" },
        { "CustomerId = 3", "CustomerId (Keyword) takes a quoted string at position 14" },
        { "StartTime > 'yesterday'", "takes an RFC 3339 time" },
        { "ExecutionStatus = 'Asleep'", "unknown ExecutionStatus 'Asleep'" },
        { "WorkflowId = 'a' AND", "expected a search attribute name at position 21" },
        { "WorkflowId = 'a", "unterminated string at position 14" }, /* its opening quote */
        { "WorkflowId 'a'", "expected an operator after WorkflowId at position 12" },
        { "(WorkflowId = 'a'", "expected ) at position 18" },
        { "Tags > 'x'", "Tags supports only = and != at position 6" },
        { "ExecutionStatus = 9", "invalid ExecutionStatus value 9 at position 19" },
        { "ExecutionStatus = '_Running'", "unknown ExecutionStatus '_Running'" },
        { "ExecutionStatus = 'TIMED__OUT'", "unknown ExecutionStatus 'TIMED__OUT'" },
        { "Vip BETWEEN false AND true", "BETWEEN does not apply to Vip" },
        { "Notes = ' ,. '", "the Text value for Notes has no words at position 9" },
        { "ExecutionDuration > '01:60:00'", "ExecutionDuration needs a duration" },
        { "ExecutionDuration > '1x'", "ExecutionDuration needs a duration" },
        { "Tags BETWEEN 'a' AND 'b'", "BETWEEN does not apply to Tags" },
        { "Amount STARTS_WITH '1'", "STARTS_WITH applies to Keyword attributes, not Amount" },
        { "Amount IN (1, 'x')", "Amount (Int) takes an integer at position 15" },
        { "WorkflowId = 'a' ORDER BY Amount", "ORDER BY Amount is not supported: Sandglass sorts by" },
        { "ORDER BY StartTime, WorkflowId", "ORDER BY takes a single attribute in Sandglass at position 19" },
        { "ORDER BY StartTime DESC LIMIT 3", "unexpected 'LIMIT' at position 25" },
        { "Amount NOT STARTS_WITH '1'", "STARTS_WITH applies to Keyword attributes, not Amount at position 12" },
        { "Amount NOT = 1", "expected IN, BETWEEN or STARTS_WITH after NOT at position 12" },
        { "GROUP BY WorkflowType", "GROUP BY supports only ExecutionStatus" },
        { "Notes IN ('a')", "IN does not apply to the Text attribute Notes" },
        { "Notes > 'a'", "Notes supports only = and !=" },
        { "WorkflowId = 'a' 'b'", "unexpected 'b' at position 18" },
        { "WorkflowId = 'a')", "unexpected ')' at position 17" },
        { "WorkflowId = 'a' >= 3", "unexpected '>=' at position 18" },
        { "WorkflowId = 'a' ; DROP TABLE visibility", "unexpected character ';' at position 18" },
    };
    for (size_t i = 0; i < SG_ARRAY_LEN(cases); i++) {
        const char *err = parse_err(&a, cases[i].q);
        if (!strstr(err, cases[i].want))
            fprintf(stderr, "  %s -> %s (want %s)\n", cases[i].q, err, cases[i].want);
        CHECK(strstr(err, cases[i].want) != NULL);
    }
    sg_arena_deinit(&a);
}

/* The query plan of a compiled filter, one detail per line. */
static char *plan(const char *path, const char *sql)
{
    sqlite3 *db = NULL;
    CHECK_EQ_INT(sqlite3_open(path, &db), SQLITE_OK);
    char *q = sg_asprintf("EXPLAIN QUERY PLAN %s", sql);
    sqlite3_stmt *s = NULL;
    int rc = sqlite3_prepare_v2(db, q, -1, &s, NULL);
    if (rc != SQLITE_OK)
        fprintf(stderr, "  %s\n  %s\n", sql, sqlite3_errmsg(db));
    CHECK_EQ_INT(rc, SQLITE_OK);
    size_t cap = 4096, n = 0;
    char *out = sg_malloc(cap);
    out[0] = 0;
    while (sqlite3_step(s) == SQLITE_ROW) {
        const char *d = (const char *)sqlite3_column_text(s, 3);
        n += (size_t)snprintf(out + n, cap - n, "%s\n", d ? d : "");
        if (n >= cap)
            break;
    }
    sqlite3_finalize(s);
    sqlite3_close(db);
    sg_free(q);
    return out;
}

SG_TEST(vq_every_operator_uses_an_index)
{
    char *path = sg_asprintf("%s/vis.db", sg_test_tmpdir());
    sg_store_options o = { .path = path };
    sg_store *st = NULL;
    CHECK_EQ_INT(sg_store_open(&o, &st), 0);
    /* Enough rows that the planner's statistics matter, then ANALYZE as a long-lived file has. */
    CHECK_EQ_INT(sg_store_begin(st), 0);
    for (int i = 0; i < 200; i++) {
        char run[32], wf[32];
        snprintf(run, sizeof run, "run-%d", i);
        snprintf(wf, sizeof wf, "wf-%d", i);
        sg_vis_attr attrs[] = { { "CustomerId", { .kind = VQ_V_TEXT, .s = wf } },
                                { "Amount", { .kind = VQ_V_INT, .i = i } } };
        sg_visibility_rec r = { .namespace_id = i % 2 ? "ns-a" : "ns-b", .run_id = run,
                                .workflow_id = wf, .workflow_type = "t", .task_queue = "q",
                                .status = 1 + i % 3, .start_time_ms = i, .execution_time_ms = i,
                                .close_time_ms = i % 3 ? i + 5 : 0, .info = (const uint8_t *)"",
                                .attrs = attrs, .n_attrs = 2, .is_new = true };
        CHECK_EQ_INT(sg_store_visibility_put(st, &r), 0);
    }
    CHECK_EQ_INT(sg_store_commit(st), 0);
    static const char *const filters[] = {
        "",
        "ExecutionStatus = 'Running'",
        "WorkflowType = 't'",
        "WorkflowId = 'wf-3'",
        "WorkflowId IN ('wf-3', 'wf-5')",
        "WorkflowId STARTS_WITH 'wf-1'",
        "StartTime > '2026-01-01T00:00:00Z'",
        "CloseTime BETWEEN '2026-01-01T00:00:00Z' AND '2026-02-01T00:00:00Z'",
        "TaskQueue = 'q'",
        "CustomerId = 'wf-3'",
        "CustomerId IN ('wf-3', 'wf-4')",
        "CustomerId STARTS_WITH 'wf-1'",
        "Amount > 10",
        "Amount BETWEEN 10 AND 20",
        "Amount = 3 AND ExecutionStatus = 'Completed'",
        "CustomerId = 'wf-3' OR Amount = 4",
        "CustomerId IS NULL",
        "Notes = 'urgent invoice'",
        "Notes != 'urgent'",
        "RootWorkflowId = 'wf-3'",
        "ParentWorkflowId = 'wf-3'",
        "ExecutionTime > '2026-01-01T00:00:00Z'",
        "CustomerId = 'wf-3' AND Amount > 10",
        "Amount > 10 AND CustomerId STARTS_WITH 'wf-1' AND ExecutionStatus = 'Running'",
        "(CustomerId = 'wf-3' AND Amount = 3) OR Notes = 'urgent invoice'",
    };
    sg_arena a;
    sg_arena_init(&a);
    for (size_t i = 0; i < SG_ARRAY_LEN(filters); i++) {
        sg_vq *q = parse_ok(&a, filters[i]);
        char *sql = sg_store_visibility_sql(st, "ns-a", q);
        CHECK(sql != NULL);
        char *p = plan(path, sql);
        /* "SCAN v" would read every run of every namespace; every step must be a SEARCH. */
        bool scans = strstr(p, "SCAN v") || strstr(p, "SCAN visibility");
        if (scans)
            fprintf(stderr, "  %s\n  %s\n%s", filters[i], sql, p);
        CHECK(!scans);
        CHECK(strstr(p, "USING") != NULL);
        sg_free(p);
        sg_free(sql);
    }
    /* And the answers are right. */
    int64_t total, by[9];
    CHECK_EQ_INT(sg_store_visibility_count(st, "ns-a", parse_ok(&a, "Amount BETWEEN 10 AND 20"),
                                           &total, NULL, 0), 0);
    CHECK_EQ_INT(total, 5); /* odd i in 10..20: 11 13 15 17 19 */
    CHECK_EQ_INT(sg_store_visibility_count(st, "ns-a", parse_ok(&a, "GROUP BY ExecutionStatus"),
                                           &total, by, 9), 0);
    CHECK_EQ_INT(total, 100);
    CHECK_EQ_INT(by[1] + by[2] + by[3], 100);
    CHECK_EQ_INT(sg_store_visibility_count(st, "ns-a", parse_ok(&a, "CustomerId IS NULL"), &total,
                                           NULL, 0), 0);
    CHECK_EQ_INT(total, 0);
    /* A conjunction of custom attributes is driven by its rarest value (1 run has CustomerId
     * 'wf-3'; 44 have Amount > 10) and probes the others. */
    char *conj_sql = sg_store_visibility_sql(st, "ns-a", parse_ok(&a, "Amount > 10 AND CustomerId = 'wf-3'"));
    CHECK(conj_sql && strstr(conj_sql, "a.name = 'CustomerId'") && strstr(conj_sql, "EXISTS"));
    sg_free(conj_sql);
    /* Conjunctions of custom attributes, driven by the rarer one, give the same answers. */
    static const struct { const char *q; int64_t want; } conj[] = {
        { "Amount BETWEEN 10 AND 20 AND CustomerId IN ('wf-11', 'wf-13', 'wf-14')", 2 },
        { "CustomerId STARTS_WITH 'wf-1' AND Amount > 100", 50 },   /* odd 101..199 */
        { "Amount > 100 AND CustomerId STARTS_WITH 'wf-1' AND Amount < 110", 5 },
        { "CustomerId IS NOT NULL AND Amount = 7", 1 },
        { "NOT (CustomerId STARTS_WITH 'wf-1' AND Amount > 100)", 50 },
        { "CustomerId = 'wf-3' AND Amount = 4", 0 },
    };
    for (size_t i = 0; i < SG_ARRAY_LEN(conj); i++) {
        CHECK_EQ_INT(sg_store_visibility_count(st, "ns-a", parse_ok(&a, conj[i].q), &total, NULL, 0), 0);
        if (total != conj[i].want)
            fprintf(stderr, "  %s\n", conj[i].q);
        CHECK_EQ_INT(total, conj[i].want);
    }
    sg_arena_deinit(&a);
    sg_store_close(st);
    sg_free(path);
}

typedef struct order_ctx {
    sg_vis_cursor last;
    char seen[64][64];
    int n;
} order_ctx;

static int on_ordered(void *ud, const uint8_t *info, size_t len, const sg_vis_cursor *pos)
{
    SG_UNUSED(info);
    SG_UNUSED(len);
    order_ctx *c = ud;
    if (c->n < 64)
        snprintf(c->seen[c->n++], sizeof c->seen[0], "%s", pos->run_id);
    c->last = *pos;
    return 0;
}

/* Lists every page of query q (page size 7) into c; the cursor carries the sort key. */
static void list_all(sg_store *st, sg_arena *a, const char *q, order_ctx *c)
{
    memset(c, 0, sizeof *c);
    sg_vis_cursor *after = sg_calloc(1, sizeof *after);
    for (int page = 0; page < 20; page++) {
        int before = c->n;
        int rc = sg_store_visibility_list(st, "ns", parse_ok(a, q), after, 7, on_ordered, c);
        CHECK(rc >= 0);
        if (rc < 7 || c->n == before)
            break;
        *after = c->last;
    }
    sg_free(after);
}

SG_TEST(vq_order_by_sorts_and_pages_by_its_key)
{
    sg_store_options o = { .path = ":memory:" };
    sg_store *st = NULL;
    CHECK_EQ_INT(sg_store_open(&o, &st), 0);
    CHECK_EQ_INT(sg_store_begin(st), 0);
    /* 30 runs: start times with ties (i / 3), workflow ids in reverse, every third running. */
    for (int i = 0; i < 30; i++) {
        char run[16], wf[16];
        snprintf(run, sizeof run, "r%02d", i);
        snprintf(wf, sizeof wf, "wf-%02d", 29 - i);
        sg_visibility_rec r = { .namespace_id = "ns", .run_id = run, .workflow_id = wf,
                                .workflow_type = "t", .task_queue = "q", .status = i % 3 ? 2 : 1,
                                .start_time_ms = 1000 + i / 3, .execution_time_ms = 1000,
                                .close_time_ms = i % 3 ? 5000 - i : 0,
                                .info = (const uint8_t *)"", .is_new = true };
        CHECK_EQ_INT(sg_store_visibility_put(st, &r), 0);
    }
    CHECK_EQ_INT(sg_store_commit(st), 0);
    sg_arena a;
    sg_arena_init(&a);
    order_ctx *c = sg_calloc(1, sizeof *c);

    list_all(st, &a, "ORDER BY StartTime", c); /* ascending; ties by run id */
    CHECK_EQ_INT(c->n, 30);
    for (int i = 0; i < c->n; i++) {
        char want[16];
        snprintf(want, sizeof want, "r%02d", i);
        CHECK_EQ_STR(c->seen[i], want);
    }
    list_all(st, &a, "ORDER BY WorkflowId DESC", c); /* wf-29 is r00 */
    CHECK_EQ_INT(c->n, 30);
    CHECK_EQ_STR(c->seen[0], "r00");
    CHECK_EQ_STR(c->seen[29], "r29");
    /* CloseTime ascending: closed runs by close time (latest index closes first), running last. */
    list_all(st, &a, "ExecutionStatus = 'Completed' OR ExecutionStatus = 'Running' ORDER BY CloseTime", c);
    CHECK_EQ_INT(c->n, 30);
    CHECK_EQ_STR(c->seen[0], "r29");
    CHECK_EQ_STR(c->seen[19], "r01");
    CHECK_EQ_STR(c->seen[20], "r00");
    CHECK_EQ_STR(c->seen[29], "r27");
    list_all(st, &a, "StartTime >= '1970-01-01T00:00:01.005Z' ORDER BY StartTime DESC", c);
    CHECK_EQ_INT(c->n, 15);
    CHECK_EQ_STR(c->seen[0], "r29");
    CHECK_EQ_STR(c->seen[14], "r15");
    /* CloseTime is answered from close_order: running runs (no close time) never match a
     * comparison, as NULL would not. */
    static const struct { const char *q; int64_t want; } counts[] = {
        { "CloseTime IS NULL", 10 },
        { "CloseTime IS NOT NULL", 20 },
        { "CloseTime != '1970-01-01T00:00:04.999Z'", 19 },
        { "CloseTime > '1970-01-01T00:00:00Z'", 20 },
        { "CloseTime NOT BETWEEN '1970-01-01T00:00:04.980Z' AND '1970-01-01T00:00:04.990Z'", 12 },
        { "CloseTime NOT IN ('1970-01-01T00:00:04.999Z', '1970-01-01T00:00:04.998Z')", 18 },
        { "NOT CloseTime < '1970-01-01T00:00:04.990Z'", 7 },
        { "NOT (NOT CloseTime < '1970-01-01T00:00:04.990Z')", 13 },
        { "NOT (CloseTime IS NULL)", 20 },
        /* Status: closed runs from the status index, running ones from the order index. */
        { "ExecutionStatus = 'Running'", 10 },
        { "ExecutionStatus != 'Running'", 20 },
        { "ExecutionStatus IN ('Running', 'Completed')", 30 },
        { "ExecutionStatus NOT IN ('Completed')", 10 },
        { "NOT ExecutionStatus = 'Completed'", 10 },
        { "ExecutionStatus = 'Failed'", 0 },
        /* ExecutionTime (1 s for all) equals StartTime for r00..r02 only. */
        { "ExecutionTime = '1970-01-01T00:00:01Z'", 30 },
        { "ExecutionTime > '1970-01-01T00:00:01Z'", 0 },
        { "ExecutionTime NOT BETWEEN '1970-01-01T00:00:00Z' AND '1970-01-01T00:00:00.500Z'", 30 },
        { "NOT ExecutionTime != '1970-01-01T00:00:01Z'", 30 },
        { "ExecutionTime NOT IN ('1970-01-01T00:00:01Z')", 0 },
    };
    for (size_t i = 0; i < SG_ARRAY_LEN(counts); i++) {
        int64_t total = -1;
        CHECK_EQ_INT(sg_store_visibility_count(st, "ns", parse_ok(&a, counts[i].q), &total, NULL, 0), 0);
        if (total != counts[i].want)
            fprintf(stderr, "  %s\n", counts[i].q);
        CHECK_EQ_INT(total, counts[i].want);
    }
    int64_t total = 0, by[9];
    CHECK_EQ_INT(sg_store_visibility_count(st, "ns", parse_ok(&a, "GROUP BY ExecutionStatus"), &total,
                                           by, 9), 0);
    CHECK(total == 30 && by[1] == 10 && by[2] == 20);
    CHECK_EQ_INT(sg_store_visibility_count(st, "ns", parse_ok(&a, "StartTime > '1970-01-01T00:00:01.005Z' GROUP BY ExecutionStatus"),
                                           &total, by, 9), 0);
    CHECK(total == 12 && by[1] == 4 && by[2] == 8); /* r18..r29 */
    sg_free(c);
    sg_arena_deinit(&a);
    sg_store_close(st);
}

/* ---- the walk (sqlite.c): pages of unselective custom-attribute filters ---- */

typedef struct walk_ctx {
    sg_vis_cursor last;
    char (*seen)[64];
    int n, cap;
} walk_ctx;

static int on_walked(void *ud, const uint8_t *info, size_t len, const sg_vis_cursor *pos)
{
    SG_UNUSED(info);
    SG_UNUSED(len);
    walk_ctx *c = ud;
    CHECK(c->n < c->cap);
    snprintf(c->seen[c->n++], sizeof c->seen[0], "%s", pos->run_id);
    c->last = *pos;
    return 0;
}

/* Every page of q, page_size at a time, into c (whose seen[] holds every run). */
static void page_through(sg_store *st, sg_vq *q, int page_size, walk_ctx *c)
{
    c->n = 0;
    sg_vis_cursor after = { 0 };
    for (;;) {
        int before = c->n;
        int rc = sg_store_visibility_list(st, "ns", q, &after, page_size, on_walked, c);
        CHECK(rc >= 0);
        CHECK_EQ_INT(rc, c->n - before);
        if (rc < page_size)
            break;
        after = c->last;
    }
}

/* 3,300 runs whose attribute values are each held by a third or more of them. Every filter is
 * paged through with the walk on and off (pages of 10, 100 and 1000): the same runs in the same
 * order, as many as the count says; and the walk served pages whole, and also began pages it
 * handed over to the planned query when values common alone were rare together. */
SG_TEST(vis_walk_pages_equal_the_planned_ones_for_common_values)
{
    sg_store_options o = { .path = ":memory:" };
    sg_store *st = NULL;
    CHECK_EQ_INT(sg_store_open(&o, &st), 0);
    CHECK_EQ_INT(sg_store_begin(st), 0);
    enum { N = 3300 }; /* a third of them is past WALK_RARE */
    static const char *const words[] = { "alpha", "beta", "gamma", "delta" };
    for (int i = 0; i < N; i++) {
        char run[16], wf[16], cust[8];
        snprintf(run, sizeof run, "r%05d", i);
        snprintf(wf, sizeof wf, "wf-%05d", i);
        snprintf(cust, sizeof cust, "c%d", i % 3);
        bool running = i % 7 == 0;
        /* Close times not in start order, so the default order is not the insertion order. */
        sg_vis_attr attrs[6] = {
            { "CustomerId", { .kind = VQ_V_TEXT, .s = cust } },
            { "Amount", { .kind = VQ_V_INT, .i = i % 100 } },
            { "Notes", { .kind = VQ_V_TEXT, .s = words[i % 4] } },
            { "Notes", { .kind = VQ_V_TEXT, .s = words[(i / 4) % 4] } },
            /* Vip: a third of the runs, and every 500th: with c0 only every 1500th */
            { "Vip", { .kind = VQ_V_INT, .i = i % 3 == 1 || i % 500 == 0 } },
            { "Tags", { .kind = VQ_V_TEXT, .s = i % 2 ? "blue" : "green" } },
        };
        size_t n_attrs = i % 10 == 9 ? 5 : 6; /* every tenth run has no Tags */
        sg_visibility_rec r = { .namespace_id = "ns", .run_id = run, .workflow_id = wf,
                                .workflow_type = "t", .task_queue = "q", .status = running ? 1 : 2,
                                .start_time_ms = 1000000 + i * 10, .execution_time_ms = 1000000 + i * 10,
                                .close_time_ms = running ? 0 : 2000000 + (i * 7919) % 100000,
                                .info = (const uint8_t *)"", .attrs = attrs, .n_attrs = n_attrs,
                                .is_new = true };
        CHECK_EQ_INT(sg_store_visibility_put(st, &r), 0);
    }
    CHECK_EQ_INT(sg_store_commit(st), 0);
    static const char *const filters[] = {
        "CustomerId = 'c1'",
        "CustomerId = 'c1' AND Amount < 50",
        "Notes = 'alpha beta'",
        "Notes = 'gamma'",
        "CustomerId = 'c0' AND Vip = true",          /* 3 runs: the walk hands over */
        "CustomerId != 'c0'",
        "Tags IS NULL",
        "Tags = 'blue' AND CustomerId IN ('c0', 'c2')",
        "NOT (Notes = 'alpha beta') AND Tags = 'green'",
        "CustomerId = 'c1' OR Amount = 3",
        "ExecutionStatus = 'Running' AND CustomerId = 'c2'",
        "Amount BETWEEN 10 AND 20 AND Notes = 'delta'",
        "CustomerId STARTS_WITH 'c' AND Tags != 'blue'",
    };
    walk_ctx walked = { .cap = N + 1 }, planned = { .cap = N + 1 };
    walked.seen = sg_calloc(N + 1, sizeof *walked.seen);
    planned.seen = sg_calloc(N + 1, sizeof *planned.seen);
    sg_arena a;
    sg_arena_init(&a);
    static const int sizes[] = { 10, 100, 1000 };
    for (size_t f = 0; f < SG_ARRAY_LEN(filters); f++) {
        sg_vq *q = parse_ok(&a, filters[f]);
        int64_t total = -1;
        CHECK_EQ_INT(sg_store_visibility_count(st, "ns", q, &total, NULL, 0), 0);
        for (size_t z = 0; z < SG_ARRAY_LEN(sizes); z++) {
            sg_store_set_vis_walk(st, false);
            page_through(st, q, sizes[z], &planned);
            sg_store_set_vis_walk(st, true);
            page_through(st, q, sizes[z], &walked);
            if (walked.n != planned.n || walked.n != total)
                fprintf(stderr, "  %s (pages of %d): walked %d, planned %d, count %lld\n",
                        filters[f], sizes[z], walked.n, planned.n, (long long)total);
            CHECK_EQ_INT(walked.n, planned.n);
            CHECK_EQ_INT(walked.n, total);
            for (int i = 0; i < walked.n; i++)
                CHECK_EQ_STR(walked.seen[i], planned.seen[i]);
        }
    }
    uint64_t whole, handed;
    sg_store_vis_walk_counts(st, &whole, &handed);
    CHECK(whole > 20);
    /* The rare-together filter's pages of 100 and 1000: after WALK_MIN runs its rate of matches
     * could not fill them. (A page of 10 could still fill within WALK_MAX: it walks on.) */
    CHECK(handed >= 2);
    /* A rare value drives the planned query at once: no walk. */
    sg_store_set_vis_walk(st, true);
    page_through(st, parse_ok(&a, "Amount = 7 AND CustomerId = 'c1'"), 100, &walked);
    uint64_t whole2, handed2;
    sg_store_vis_walk_counts(st, &whole2, &handed2);
    CHECK(whole2 == whole && handed2 == handed);
    CHECK_EQ_INT(walked.n, 11); /* i % 100 == 7 and i % 3 == 1: i = 7, 307, 607, ... 3007 */
    /* Nor does a value of a system column's index, even beside a test no index answers. */
    page_through(st, parse_ok(&a, "WorkflowId = 'wf-00042' AND CustomerId != 'c1'"), 100, &walked);
    CHECK_EQ_INT(walked.n, 1);
    page_through(st, parse_ok(&a, "WorkflowId = 'wf-00042' OR CustomerId = 'nobody'"), 100, &walked);
    CHECK_EQ_INT(walked.n, 1);
    sg_store_vis_walk_counts(st, &whole2, &handed2);
    CHECK(whole2 == whole && handed2 == handed);
    sg_free(walked.seen);
    sg_free(planned.seen);
    sg_arena_deinit(&a);
    sg_store_close(st);
}

static int on_walked_count(void *ud, const uint8_t *info, size_t len, const sg_vis_cursor *pos)
{
    SG_UNUSED(info);
    SG_UNUSED(len);
    SG_UNUSED(pos);
    (*(int *)ud)++;
    return 0;
}

/* Appends n copies of fmt (one %d: the copy's index) joined by sep. */
static void repeat(sg_buf *b, int n, const char *fmt, const char *sep)
{
    for (int i = 0; i < n; i++) {
        if (i)
            sg_buf_append_str(b, sep);
        sg_buf_printf(b, fmt, i);
    }
}

static const char *text_of(sg_buf *b)
{
    sg_buf_append(b, "", 1);
    return (const char *)sg_buf_head(b);
}

/* Nesting is bounded (each level is a recursion in the parser and a nesting in the SQL, whose
 * parser has a fixed stack), and so is the number of conditions; both answer INVALID_ARGUMENT
 * with the position, never a crash. */
SG_TEST(vq_nesting_and_conditions_are_bounded)
{
    sg_arena a;
    sg_arena_init(&a);
    sg_buf b;
    sg_buf_init(&b);
    for (int n = SG_VQ_MAX_NESTING; n <= SG_VQ_MAX_NESTING + 1; n++) {
        sg_buf_reset(&b);
        repeat(&b, n, "(", "");
        sg_buf_append_str(&b, "CustomerId = 'x'");
        repeat(&b, n, ")", "");
        if (n == SG_VQ_MAX_NESTING)
            parse_ok(&a, text_of(&b));
        else
            CHECK_EQ_STR(parse_err(&a, text_of(&b)),
                         "invalid query: the query nests parentheses and NOT more than 20 deep "
                         "at position 21");
        sg_buf_reset(&b);
        repeat(&b, n, "NOT ", "");
        sg_buf_append_str(&b, "Amount > 3");
        if (n == SG_VQ_MAX_NESTING)
            parse_ok(&a, text_of(&b));
        else
            CHECK(strstr(parse_err(&a, text_of(&b)), "more than 20 deep at position 81") != NULL);
    }
    /* 100,000 parentheses: refused at the 21st, without recursing further. */
    sg_buf_reset(&b);
    repeat(&b, 100000, "(", "");
    CHECK(strstr(parse_err(&a, text_of(&b)), "more than 20 deep") != NULL);

    sg_buf_reset(&b);
    repeat(&b, SG_VQ_MAX_PREDICATES, "WorkflowId = 'w%d'", " OR ");
    parse_ok(&a, text_of(&b));
    sg_buf_reset(&b);
    repeat(&b, SG_VQ_MAX_PREDICATES + 1, "CloseTime IS NULL", " AND ");
    CHECK(strstr(parse_err(&a, text_of(&b)), "the query has more than 500 conditions at position") != NULL);
    sg_buf_deinit(&b);
    sg_arena_deinit(&a);
}

/* Long chains of AND and OR compile to one level of SQL each, and every part of a conjunction
 * counts, however many; the deepest nesting allowed runs in every statement (list, count, GROUP
 * BY, the walk). */
SG_TEST(vis_long_chains_and_deep_nesting_compile_and_hold)
{
    sg_store_options o = { .path = ":memory:" };
    sg_store *st = NULL;
    CHECK_EQ_INT(sg_store_open(&o, &st), 0);
    CHECK_EQ_INT(sg_store_begin(st), 0);
    for (int i = 0; i < 1200; i++) {
        char run[16], wf[16];
        snprintf(run, sizeof run, "r%04d", i);
        snprintf(wf, sizeof wf, "w%d", i);
        sg_vis_attr attrs[2] = {
            { "CustomerId", { .kind = VQ_V_TEXT, .s = "c" } },
            { "Amount", { .kind = VQ_V_INT, .i = i } },
        };
        sg_visibility_rec r = { .namespace_id = "ns", .run_id = run, .workflow_id = wf,
                                .workflow_type = "t", .task_queue = "q", .status = i % 2 ? 1 : 2,
                                .start_time_ms = 1000 + i, .execution_time_ms = 1000 + i,
                                .close_time_ms = i % 2 ? 0 : 5000 + i, .info = (const uint8_t *)"",
                                .attrs = attrs, .n_attrs = 2, .is_new = true };
        CHECK_EQ_INT(sg_store_visibility_put(st, &r), 0);
    }
    CHECK_EQ_INT(sg_store_commit(st), 0);
    sg_arena a;
    sg_arena_init(&a);
    sg_buf b;
    sg_buf_init(&b);
    int64_t total = -1;

    /* 500 workflow ids ORed: 500 runs. */
    repeat(&b, SG_VQ_MAX_PREDICATES, "WorkflowId = 'w%d'", " OR ");
    CHECK_EQ_INT(sg_store_visibility_count(st, "ns", parse_ok(&a, text_of(&b)), &total, NULL, 0), 0);
    CHECK_EQ_INT(total, SG_VQ_MAX_PREDICATES);

    /* 100 custom conditions ANDed, the last one false for all but one run (a conjunction used
     * to keep only its first 64 parts). */
    sg_buf_reset(&b);
    repeat(&b, 99, "CustomerId = 'c' AND Amount >= %d", " AND ");
    sg_buf_append_str(&b, " AND Amount = 1000");
    sg_vq *q = parse_ok(&a, text_of(&b));
    CHECK_EQ_INT(sg_store_visibility_count(st, "ns", q, &total, NULL, 0), 0);
    CHECK_EQ_INT(total, 1);
    sg_vis_cursor after = { 0 };
    int seen = 0;
    CHECK_EQ_INT(sg_store_visibility_list(st, "ns", q, &after, 10, on_walked_count, &seen), 1);

    /* 500 custom conditions ORed bind 1,000 values (the last one true for every run): a second page (its cursor's parameters
     * numbered past them) in the default order, walked and planned, and in an ORDER BY. */
    sg_buf_reset(&b);
    repeat(&b, SG_VQ_MAX_PREDICATES - 1, "CustomerId = 'c%d'", " OR ");
    sg_buf_append_str(&b, " OR Amount >= 0");
    const char *ors = text_of(&b);
    for (int walk = 0; walk < 2; walk++) {
        sg_store_set_vis_walk(st, walk);
        sg_vis_cursor *pos = sg_calloc(1, sizeof *pos);
        order_ctx first, second;
        memset(&first, 0, sizeof first);
        memset(&second, 0, sizeof second);
        q = parse_ok(&a, ors);
        CHECK_EQ_INT(sg_store_visibility_list(st, "ns", q, pos, 7, on_ordered, &first), 7);
        *pos = first.last;
        CHECK_EQ_INT(sg_store_visibility_list(st, "ns", q, pos, 7, on_ordered, &second), 7);
        CHECK(strcmp(first.seen[6], second.seen[0]) != 0);
        sg_free(pos);
    }
    sg_buf by_start;
    sg_buf_init(&by_start);
    sg_buf_append_str(&by_start, ors);
    sg_buf_append_str(&by_start, " ORDER BY StartTime");
    order_ctx sorted;
    list_all(st, &a, text_of(&by_start), &sorted);
    sg_buf_deinit(&by_start);
    CHECK_EQ_INT(sorted.n, 64); /* order_ctx keeps the first 64 */
    CHECK_EQ_STR(sorted.seen[0], "r0000");

    /* 400 system-column conditions ANDed (no parameters for IS NULL): every statement. */
    sg_buf_reset(&b);
    repeat(&b, 400, "CloseTime IS NULL", " AND ");
    sg_buf_append_str(&b, " AND CustomerId = 'c'");
    q = parse_ok(&a, text_of(&b));
    CHECK_EQ_INT(sg_store_visibility_count(st, "ns", q, &total, NULL, 0), 0);
    CHECK_EQ_INT(total, 600);
    for (int walk = 0; walk < 2; walk++) {
        sg_store_set_vis_walk(st, walk);
        seen = 0;
        CHECK_EQ_INT(sg_store_visibility_list(st, "ns", q, &after, 10, on_walked_count, &seen), 10);
    }

    /* The deepest nesting, alternating AND, OR and NOT, with custom and system attributes:
     * list (planned and walked), count and GROUP BY. */
    sg_buf_reset(&b);
    int open = 0;
    for (int i = 0; i < SG_VQ_MAX_NESTING - 1; i++) {
        bool not = i % 3 == 2; /* a level without a parenthesis */
        sg_buf_append_str(&b, not ? "NOT " : i % 2 ? "CustomerId = 'c' AND (" : "Amount < 0 OR (");
        open += !not;
    }
    sg_buf_append_str(&b, "(Amount >= 0)"); /* the twentieth level */
    repeat(&b, open, ")", "");
    const char *deep = text_of(&b);
    q = parse_ok(&a, deep);
    CHECK_EQ_INT(sg_store_visibility_count(st, "ns", q, &total, NULL, 0), 0);
    for (int walk = 0; walk < 2; walk++) {
        sg_store_set_vis_walk(st, walk);
        seen = 0;
        CHECK(sg_store_visibility_list(st, "ns", q, &after, 10, on_walked_count, &seen) >= 0);
    }
    sg_buf grouped;
    sg_buf_init(&grouped);
    sg_buf_append_str(&grouped, deep);
    sg_buf_append_str(&grouped, " GROUP BY ExecutionStatus");
    int64_t by[9];
    CHECK_EQ_INT(sg_store_visibility_count(st, "ns", parse_ok(&a, text_of(&grouped)), &total, by, 9), 0);
    sg_buf_deinit(&grouped);
    sg_buf_deinit(&b);
    sg_arena_deinit(&a);
    sg_store_close(st);
}
