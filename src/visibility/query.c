/* SPDX-License-Identifier: Apache-2.0 */
/* query.c: the list filter language (query.h) — lexer, recursive-descent parser and type
 * checker in one pass. Everything is allocated in the caller's arena; errors carry the
 * 1-based character position of the token they are about. */
#include "visibility/query.h"

#include "core/clock.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

typedef enum {
    T_END, T_IDENT, T_STRING, T_NUMBER, T_LP, T_RP, T_COMMA,
    T_EQ, T_NE, T_LT, T_LE, T_GT, T_GE,
} tok_kind;

typedef struct tok {
    tok_kind kind;
    const char *text; /* arena copy: identifier, string contents, number text */
    bool quoted;      /* a backquoted identifier (never a keyword) */
    size_t pos;       /* 1-based */
} tok;

typedef struct parser {
    sg_arena *a;
    const char *src;
    size_t at; /* next unread byte */
    tok t;     /* current token */
    sg_vq_attr_type_fn custom_type;
    void *ud;
    const char *err;
    int depth;      /* open parentheses and NOTs around the current token */
    int predicates; /* read so far */
} parser;

/* ---- system attributes ---- */

static const sg_vq_attr system_attrs[] = {
    { "WorkflowId", "workflow_id", SG_VQ_KEYWORD },
    { "RunId", "run_id", SG_VQ_KEYWORD },
    { "WorkflowType", "workflow_type", SG_VQ_KEYWORD },
    { "ExecutionStatus", "status", SG_VQ_KEYWORD },
    { "StartTime", "start_time", SG_VQ_DATETIME },
    { "CloseTime", "close_time", SG_VQ_DATETIME },
    { "ExecutionTime", "execution_time", SG_VQ_DATETIME },
    { "ExecutionDuration", "execution_duration", SG_VQ_INT },
    { "TaskQueue", "task_queue", SG_VQ_KEYWORD },
    { "HistoryLength", "history_length", SG_VQ_INT },
    { "HistorySizeBytes", "history_size_bytes", SG_VQ_INT },
    { "StateTransitionCount", "state_transition_count", SG_VQ_INT },
    { "ParentWorkflowId", "parent_workflow_id", SG_VQ_KEYWORD },
    { "ParentRunId", "parent_run_id", SG_VQ_KEYWORD },
    { "RootWorkflowId", "root_workflow_id", SG_VQ_KEYWORD },
    { "RootRunId", "root_run_id", SG_VQ_KEYWORD },
};

/* Predefined attributes Temporal registers in every namespace; kept like custom ones. */
static const sg_vq_attr predefined_attrs[] = {
    { "BuildIds", NULL, SG_VQ_KEYWORD_LIST },
    { "BinaryChecksums", NULL, SG_VQ_KEYWORD_LIST },
    { "TemporalChangeVersion", NULL, SG_VQ_KEYWORD_LIST },
    { "TemporalScheduledById", NULL, SG_VQ_KEYWORD },
    { "TemporalScheduledStartTime", NULL, SG_VQ_DATETIME },
    { "TemporalNamespaceDivision", NULL, SG_VQ_KEYWORD },
    { "BatcherUser", NULL, SG_VQ_KEYWORD },
    { "BatcherNamespace", NULL, SG_VQ_KEYWORD },
    { "TemporalSchedulePaused", NULL, SG_VQ_BOOL },
    { "TemporalPauseInfo", NULL, SG_VQ_KEYWORD_LIST },
    { "TemporalReportedProblems", NULL, SG_VQ_KEYWORD_LIST },
};

/* Predefined too, but written by the server only: a start or upsert may not set them
 * (Temporal's list of predefined attributes users may set leaves them out). */
static const sg_vq_attr server_only_attrs[] = {
    { "TemporalWorkerDeployment", NULL, SG_VQ_KEYWORD },
    { "TemporalWorkerDeploymentVersion", NULL, SG_VQ_KEYWORD },
    { "TemporalWorkflowVersioningBehavior", NULL, SG_VQ_KEYWORD },
    { "TemporalUsedWorkerDeploymentVersions", NULL, SG_VQ_KEYWORD_LIST },
    { "TemporalExternalPayloadCount", NULL, SG_VQ_INT },
    { "TemporalExternalPayloadSizeBytes", NULL, SG_VQ_INT },
};

int sg_vq_predefined_type(const char *name)
{
    for (size_t i = 0; i < SG_ARRAY_LEN(predefined_attrs); i++)
        if (strcmp(name, predefined_attrs[i].name) == 0)
            return predefined_attrs[i].type;
    for (size_t i = 0; i < SG_ARRAY_LEN(server_only_attrs); i++)
        if (strcmp(name, server_only_attrs[i].name) == 0)
            return server_only_attrs[i].type;
    return 0;
}

bool sg_vq_reserved(const char *name)
{
    for (size_t i = 0; i < SG_ARRAY_LEN(system_attrs); i++)
        if (strcmp(name, system_attrs[i].name) == 0)
            return true;
    for (size_t i = 0; i < SG_ARRAY_LEN(server_only_attrs); i++)
        if (strcmp(name, server_only_attrs[i].name) == 0)
            return true;
    return false;
}

static const char *const status_names[] = { NULL, "Running", "Completed", "Failed", "Canceled",
                                            "Terminated", "ContinuedAsNew", "TimedOut", "Paused" };

size_t sg_vq_words(sg_arena *a, const char *s, const char ***out)
{
    size_t n = 0, cap = 0;
    const char **words = NULL;
    while (*s) {
        while (*s && !(isalnum((unsigned char)*s) || (unsigned char)*s >= 0x80))
            s++;
        const char *start = s;
        while (*s && (isalnum((unsigned char)*s) || (unsigned char)*s >= 0x80))
            s++;
        if (s == start)
            break;
        char *w = sg_arena_strndup(a, start, (size_t)(s - start));
        for (char *c = w; *c; c++)
            *c = (char)tolower((unsigned char)*c);
        if (n == cap) {
            cap = cap ? cap * 2 : 8;
            words = sg_arena_realloc_array(a, words, n, cap, sizeof *words);
        }
        words[n++] = w;
    }
    *out = words;
    return n;
}

/* ---- lexer ---- */

static void *fail_at(parser *p, size_t pos, const char *fmt, const char *arg)
{
    if (!p->err) {
        char what[256];
        snprintf(what, sizeof what, fmt, arg ? arg : "");
        p->err = sg_arena_printf(p->a, "invalid query: %s at position %zu", what, pos);
    }
    return NULL;
}

static bool next(parser *p)
{
    const char *s = p->src;
    size_t i = p->at;
    while (s[i] && isspace((unsigned char)s[i]))
        i++;
    tok t = { .pos = i + 1 };
    char c = s[i];
    if (!c) {
        t.kind = T_END;
    } else if (c == '(' || c == ')' || c == ',') {
        t.kind = c == '(' ? T_LP : c == ')' ? T_RP : T_COMMA;
        i++;
    } else if (c == '=') {
        t.kind = T_EQ;
        i += s[i + 1] == '=' ? 2 : 1;
    } else if (c == '!' && s[i + 1] == '=') {
        t.kind = T_NE;
        i += 2;
    } else if (c == '<') {
        t.kind = s[i + 1] == '=' ? T_LE : s[i + 1] == '>' ? T_NE : T_LT;
        i += s[i + 1] == '=' || s[i + 1] == '>' ? 2 : 1;
    } else if (c == '>') {
        t.kind = s[i + 1] == '=' ? T_GE : T_GT;
        i += s[i + 1] == '=' ? 2 : 1;
    } else if (c == '\'' || c == '"' || c == '`') {
        /* Strings in '...' or "..." (a doubled quote or a backslash escapes it); `...` quotes a
         * name. */
        char q = c;
        size_t start = ++i;
        size_t cap = strlen(s + start) + 1;
        char *out = sg_arena_alloc(p->a, cap);
        size_t n = 0;
        for (;;) {
            if (!s[i]) {
                fail_at(p, start, q == '`' ? "unterminated backquoted name%s" : "unterminated string%s", NULL);
                return false;
            }
            if (s[i] == '\\' && s[i + 1] && q != '`') {
                out[n++] = s[i + 1];
                i += 2;
            } else if (s[i] == q && s[i + 1] == q) {
                out[n++] = q;
                i += 2;
            } else if (s[i] == q) {
                i++;
                break;
            } else {
                out[n++] = s[i++];
            }
        }
        out[n] = 0;
        t.kind = q == '`' ? T_IDENT : T_STRING;
        t.quoted = q == '`';
        t.text = out;
    } else if (isdigit((unsigned char)c) || ((c == '-' || c == '+' || c == '.') &&
                                              (isdigit((unsigned char)s[i + 1]) || s[i + 1] == '.'))) {
        size_t start = i++;
        while (isalnum((unsigned char)s[i]) || s[i] == '.' ||
               ((s[i] == '-' || s[i] == '+') && (s[i - 1] == 'e' || s[i - 1] == 'E')))
            i++;
        t.kind = T_NUMBER;
        t.text = sg_arena_strndup(p->a, s + start, i - start);
    } else if (isalpha((unsigned char)c) || c == '_') {
        size_t start = i;
        while (isalnum((unsigned char)s[i]) || s[i] == '_' || s[i] == '.')
            i++;
        t.kind = T_IDENT;
        t.text = sg_arena_strndup(p->a, s + start, i - start);
    } else {
        char ch[2] = { c, 0 };
        fail_at(p, i + 1, "unexpected character '%s'", ch);
        return false;
    }
    p->at = i;
    p->t = t;
    return true;
}

static bool is_kw(const parser *p, const char *kw)
{
    return p->t.kind == T_IDENT && !p->t.quoted && strcasecmp(p->t.text, kw) == 0;
}

static bool accept_kw(parser *p, const char *kw)
{
    if (!is_kw(p, kw))
        return false;
    return next(p);
}

static bool expect_kw(parser *p, const char *kw)
{
    if (is_kw(p, kw))
        return next(p);
    fail_at(p, p->t.pos, "expected %s", kw);
    return false;
}

/* ---- literals ---- */

bool sg_vq_parse_time(const char *s, int64_t *ms)
{
    int y, mo, d, h = 0, mi = 0, sec = 0, n = 0;
    if (sscanf(s, "%4d-%2d-%2d%n", &y, &mo, &d, &n) != 3 || n != 10)
        return false;
    const char *r = s + n;
    int64_t frac_ms = 0, offset_min = 0;
    if (*r == 'T' || *r == 't' || *r == ' ') {
        int m = 0;
        if (sscanf(r + 1, "%2d:%2d:%2d%n", &h, &mi, &sec, &m) != 3 || m != 8)
            return false;
        r += 1 + m;
        if (*r == '.') {
            r++;
            int digits = 0;
            while (isdigit((unsigned char)*r)) {
                if (digits < 3)
                    frac_ms = frac_ms * 10 + (*r - '0');
                digits++;
                r++;
            }
            if (!digits)
                return false;
            for (; digits < 3; digits++)
                frac_ms *= 10;
        }
        if (*r == 'Z' || *r == 'z') {
            r++;
        } else if (*r == '+' || *r == '-') {
            int oh, om, k = 0;
            if (sscanf(r + 1, "%2d:%2d%n", &oh, &om, &k) != 2 || k != 5 || oh > 23 || om > 59)
                return false;
            offset_min = (oh * 60 + om) * (*r == '-' ? -1 : 1);
            r += 1 + k;
        } else {
            return false;
        }
    }
    if (*r || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60)
        return false;
    struct tm tm = { .tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d, .tm_hour = h,
                     .tm_min = mi, .tm_sec = sec };
    time_t t = timegm(&tm);
    *ms = ((int64_t)t - offset_min * 60) * 1000 + frac_ms;
    return true;
}

/* An ExecutionDuration literal in ms, or -1: as Temporal's ParseExecutionDurationStr, an
 * integer of nanoseconds, a Go duration (with d for days), or HH:MM:SS. */
static int64_t duration_ms(const char *s)
{
    char *end;
    errno = 0;
    long long ns = strtoll(s, &end, 10);
    if (end != s && !*end && !errno)
        return ns < 0 ? -1 : ns / 1000000;
    double secs;
    if (sg_parse_go_duration(s, false, &secs))
        return secs > 9.2e12 ? -1 : (int64_t)(secs * 1000 + 1e-6); /* whole ms, as before */
    unsigned h, m, sec;
    int used = 0;
    if (sscanf(s, "%u:%u:%u%n", &h, &m, &sec, &used) == 3 && !s[used] && m < 60 && sec < 60 &&
        h < 2562047u)
        return ((int64_t)h * 3600 + m * 60 + sec) * 1000;
    return -1;
}

static const char *type_name(int type)
{
    static const char *const names[] = { "", "Text", "Keyword", "Int", "Double", "Bool", "Datetime",
                                         "KeywordList" };
    return type > 0 && type < (int)SG_ARRAY_LEN(names) ? names[type] : "?";
}

/* a names the status called b ("ContinuedAsNew"): in any case, with or without the enum's
 * underscores (CONTINUED_AS_NEW). */
static bool same_status_name(const char *a, const char *b)
{
    for (const char *b0 = b;; a++, b++) {
        if (*a == '_' && b != b0 && isupper((unsigned char)*b))
            a++;
        if (tolower((unsigned char)*a) != tolower((unsigned char)*b))
            return false;
        if (!*a)
            return true;
    }
}

/* Reads one literal for attr and normalises it; NULL with p->err on a mismatch. */
static sg_vq_value *literal(parser *p, const sg_vq_attr *attr)
{
    tok t = p->t;
    sg_vq_value *v = sg_arena_calloc(p->a, sizeof *v);
    char what[160];
    snprintf(what, sizeof what, "%s (%s)", attr->name, type_name(attr->type));
    if (t.kind == T_NUMBER && strcmp(attr->name, "ExecutionStatus") == 0) {
        /* Temporal takes the enum's number too. */
        char *end;
        long long n = strtoll(t.text, &end, 10);
        if (*end || n < 1 || n >= (long long)SG_ARRAY_LEN(status_names))
            return fail_at(p, t.pos, "invalid ExecutionStatus value %s", t.text);
        v->kind = VQ_V_INT;
        v->i = n;
        return next(p) ? v : NULL;
    }
    if (t.kind == T_STRING && strcmp(attr->name, "ExecutionStatus") == 0) {
        /* Running, or the enum's own name, WORKFLOW_EXECUTION_STATUS_RUNNING. */
        static const char prefix[] = "WORKFLOW_EXECUTION_STATUS_";
        const char *name = t.text;
        if (strncmp(name, prefix, sizeof prefix - 1) == 0)
            name += sizeof prefix - 1;
        for (size_t i = 1; i < SG_ARRAY_LEN(status_names); i++)
            if (same_status_name(name, status_names[i])) {
                v->kind = VQ_V_INT;
                v->i = (int64_t)i;
                return next(p) ? v : NULL;
            }
        return fail_at(p, t.pos, "unknown ExecutionStatus '%s' (Running, Completed, Failed, "
                                 "Canceled, Terminated, ContinuedAsNew, TimedOut)", t.text);
    }
    if (strcmp(attr->name, "ExecutionDuration") == 0) {
        int64_t ms = -1;
        if (t.kind == T_STRING)
            ms = duration_ms(t.text);
        else if (t.kind == T_NUMBER) {
            char *end;
            long long ns = strtoll(t.text, &end, 10);
            ms = *end || ns < 0 ? -1 : ns / 1000000; /* a bare number is nanoseconds */
        }
        if (ms < 0)
            return fail_at(p, t.pos, "ExecutionDuration needs a duration such as '1h30m', '2d', "
                                     "'01:30:00' or nanoseconds%s", NULL);
        v->kind = VQ_V_INT;
        v->i = ms;
        return next(p) ? v : NULL;
    }
    switch (attr->type) {
    case SG_VQ_KEYWORD:
    case SG_VQ_TEXT:
    case SG_VQ_KEYWORD_LIST:
        if (t.kind != T_STRING)
            return fail_at(p, t.pos, "%s takes a quoted string", what);
        v->kind = VQ_V_TEXT;
        v->s = t.text;
        break;
    case SG_VQ_INT: {
        char *end;
        errno = 0;
        long long n = t.kind == T_NUMBER ? strtoll(t.text, &end, 10) : 0;
        if (t.kind != T_NUMBER || *end || errno)
            return fail_at(p, t.pos, "%s takes an integer", what);
        v->kind = VQ_V_INT;
        v->i = n;
        break;
    }
    case SG_VQ_DOUBLE: {
        char *end;
        errno = 0;
        double d = t.kind == T_NUMBER ? strtod(t.text, &end) : 0;
        if (t.kind != T_NUMBER || *end || errno)
            return fail_at(p, t.pos, "%s takes a number", what);
        v->kind = VQ_V_REAL;
        v->r = d;
        break;
    }
    case SG_VQ_BOOL: {
        const char *b = t.kind == T_IDENT && !t.quoted ? t.text : t.kind == T_STRING ? t.text : "";
        if (strcasecmp(b, "true") && strcasecmp(b, "false"))
            return fail_at(p, t.pos, "%s takes true or false", what);
        v->kind = VQ_V_INT;
        v->i = strcasecmp(b, "true") == 0;
        break;
    }
    case SG_VQ_DATETIME: {
        int64_t ms;
        if (t.kind == T_NUMBER) {
            char *end;
            long long ns = strtoll(t.text, &end, 10);
            if (*end)
                return fail_at(p, t.pos, "%s takes an RFC 3339 time or nanoseconds", what);
            ms = ns / 1000000;
        } else if (t.kind != T_STRING || !sg_vq_parse_time(t.text, &ms)) {
            return fail_at(p, t.pos, "%s takes an RFC 3339 time such as '2026-01-02T15:04:05Z'", what);
        }
        v->kind = VQ_V_INT;
        v->i = ms;
        break;
    }
    default: return fail_at(p, t.pos, "%s cannot be compared", what);
    }
    return next(p) ? v : NULL;
}

/* ---- grammar ---- */

static bool attribute(parser *p, sg_vq_attr *out)
{
    tok t = p->t;
    if (t.kind != T_IDENT) {
        fail_at(p, t.pos, "expected a search attribute name%s", NULL);
        return false;
    }
    for (size_t i = 0; i < SG_ARRAY_LEN(system_attrs); i++)
        if (strcmp(t.text, system_attrs[i].name) == 0) {
            *out = system_attrs[i];
            return next(p);
        }
    int type = sg_vq_predefined_type(t.text);
    if (!type && p->custom_type)
        type = p->custom_type(p->ud, t.text);
    if (!type) {
        fail_at(p, t.pos, "unknown search attribute '%s'", t.text);
        return false;
    }
    *out = (sg_vq_attr){ t.text, NULL, type };
    return next(p);
}

static sg_vq_expr *expr(parser *p);

static sg_vq_expr *node(parser *p, sg_vq_kind kind, const sg_vq_attr *attr)
{
    sg_vq_expr *e = sg_arena_calloc(p->a, sizeof *e);
    e->kind = kind;
    if (attr)
        e->attr = *attr;
    return e;
}

static bool ordered(int type)
{
    return type != SG_VQ_BOOL && type != SG_VQ_KEYWORD_LIST && type != SG_VQ_TEXT;
}

static sg_vq_expr *predicate(parser *p)
{
    size_t pos = p->t.pos;
    if (++p->predicates > SG_VQ_MAX_PREDICATES)
        return fail_at(p, pos, "the query has more than " SG_STRINGIFY(SG_VQ_MAX_PREDICATES)
                       " conditions%s", NULL);
    sg_vq_attr attr;
    if (!attribute(p, &attr))
        return NULL;
    tok op = p->t;
    if (accept_kw(p, "IS")) {
        sg_vq_expr *e = node(p, VQ_IS_NULL, &attr);
        e->negate = accept_kw(p, "NOT");
        return expect_kw(p, "NULL") ? e : NULL;
    }
    bool negate = accept_kw(p, "NOT");
    if (is_kw(p, "IN") && attr.type == SG_VQ_TEXT)
        return fail_at(p, p->t.pos, "IN does not apply to the Text attribute %s (use =)", attr.name);
    if (accept_kw(p, "IN")) {
        sg_vq_expr *e = node(p, VQ_IN, &attr);
        e->negate = negate;
        if (p->t.kind != T_LP)
            return fail_at(p, p->t.pos, "expected ( after IN%s", NULL);
        if (!next(p))
            return NULL;
        size_t cap = 4;
        e->values = sg_arena_alloc(p->a, cap * sizeof *e->values);
        for (;;) {
            sg_vq_value *v = literal(p, &attr);
            if (!v)
                return NULL;
            if (e->n_values == cap) {
                cap *= 2;
                e->values = sg_arena_realloc_array(p->a, e->values, e->n_values, cap, sizeof *e->values);
            }
            e->values[e->n_values++] = *v;
            if (p->t.kind == T_RP)
                break;
            if (p->t.kind != T_COMMA)
                return fail_at(p, p->t.pos, "expected , or ) in the IN list%s", NULL);
            if (!next(p))
                return NULL;
        }
        return next(p) ? e : NULL;
    }
    if (accept_kw(p, "BETWEEN")) {
        if (!ordered(attr.type))
            return fail_at(p, op.pos, "BETWEEN does not apply to %s", attr.name);
        sg_vq_expr *e = node(p, VQ_BETWEEN, &attr);
        e->negate = negate;
        e->values = sg_arena_alloc(p->a, 2 * sizeof *e->values);
        sg_vq_value *lo = literal(p, &attr);
        if (!lo || !expect_kw(p, "AND"))
            return NULL;
        sg_vq_value *hi = literal(p, &attr);
        if (!hi)
            return NULL;
        e->values[0] = *lo;
        e->values[1] = *hi;
        e->n_values = 2;
        return e;
    }
    if (negate && !is_kw(p, "STARTS_WITH"))
        return fail_at(p, p->t.pos, "expected IN, BETWEEN or STARTS_WITH after NOT%s", NULL);
    if (is_kw(p, "STARTS_WITH")) {
        if (attr.type != SG_VQ_KEYWORD || strcmp(attr.name, "ExecutionStatus") == 0)
            return fail_at(p, p->t.pos, "STARTS_WITH applies to Keyword attributes, not %s",
                           attr.name);
        if (!next(p))
            return NULL;
        sg_vq_expr *e = node(p, VQ_STARTS_WITH, &attr);
        sg_vq_value *v = literal(p, &attr);
        if (!v)
            return NULL;
        e->values = v;
        e->n_values = 1;
        if (!negate)
            return e;
        /* NOT STARTS_WITH is the negation of the prefix range, as NOT (… STARTS_WITH …). */
        sg_vq_expr *n = node(p, VQ_NOT, NULL);
        n->l = e;
        return n;
    }
    sg_vq_op o;
    switch (op.kind) {
    case T_EQ: o = VQ_EQ; break;
    case T_NE: o = VQ_NE; break;
    case T_LT: o = VQ_LT; break;
    case T_LE: o = VQ_LE; break;
    case T_GT: o = VQ_GT; break;
    case T_GE: o = VQ_GE; break;
    default: return fail_at(p, op.pos, "expected an operator after %s", attr.name);
    }
    /* Bools compare too (false < true), as in Temporal; only BETWEEN refuses them. */
    if (o != VQ_EQ && o != VQ_NE && !ordered(attr.type) && attr.type != SG_VQ_BOOL)
        return fail_at(p, op.pos, "%s supports only = and !=", attr.name);
    if (!next(p))
        return NULL;
    sg_vq_expr *e = node(p, VQ_CMP, &attr);
    e->op = o;
    size_t pos_of_value = p->t.pos;
    sg_vq_value *v = literal(p, &attr);
    if (!v)
        return NULL;
    e->values = v;
    e->n_values = 1;
    if (attr.type == SG_VQ_TEXT) {
        /* Full text, as Temporal's stores match it: = finds runs whose value has any word of the
         * literal, != those whose value has none. Several words are therefore an IN. */
        const char **words;
        size_t n = sg_vq_words(p->a, v->s, &words);
        if (!n)
            return fail_at(p, pos_of_value, "the Text value for %s has no words", attr.name);
        e->values = sg_arena_calloc(p->a, n * sizeof *e->values);
        for (size_t i = 0; i < n; i++)
            e->values[i] = (sg_vq_value){ .kind = VQ_V_TEXT, .s = words[i] };
        e->n_values = n;
        if (n > 1) {
            e->kind = VQ_IN;
            e->negate = o == VQ_NE;
        }
    }
    SG_UNUSED(pos);
    return e;
}

static sg_vq_expr *factor(parser *p)
{
    bool not = is_kw(p, "NOT");
    if (!not && p->t.kind != T_LP)
        return predicate(p);
    /* Each level is a recursion here and a nesting in the SQL, whose parser has a fixed stack:
     * bounded, so a hostile query gets INVALID_ARGUMENT instead of a crash. */
    if (++p->depth > SG_VQ_MAX_NESTING)
        return fail_at(p, p->t.pos, "the query nests parentheses and NOT more than "
                       SG_STRINGIFY(SG_VQ_MAX_NESTING) " deep%s", NULL);
    if (!next(p))
        return NULL;
    sg_vq_expr *e;
    if (not) {
        sg_vq_expr *inner = factor(p);
        if (!inner)
            return NULL;
        e = node(p, VQ_NOT, NULL);
        e->l = inner;
    } else {
        e = expr(p);
        if (!e)
            return NULL;
        if (p->t.kind != T_RP)
            return fail_at(p, p->t.pos, "expected )%s", NULL);
        if (!next(p))
            return NULL;
    }
    p->depth--;
    return e;
}

static sg_vq_expr *term(parser *p)
{
    sg_vq_expr *l = factor(p);
    while (l && is_kw(p, "AND")) {
        if (!next(p))
            return NULL;
        sg_vq_expr *r = factor(p);
        if (!r)
            return NULL;
        sg_vq_expr *e = node(p, VQ_AND, NULL);
        e->l = l;
        e->r = r;
        l = e;
    }
    return l;
}

static sg_vq_expr *expr(parser *p)
{
    sg_vq_expr *l = term(p);
    while (l && is_kw(p, "OR")) {
        if (!next(p))
            return NULL;
        sg_vq_expr *r = term(p);
        if (!r)
            return NULL;
        sg_vq_expr *e = node(p, VQ_OR, NULL);
        e->l = l;
        e->r = r;
        l = e;
    }
    return l;
}

/* Temporal's SQL visibility refuses ORDER BY; Elasticsearch sorts by any attribute. We sort by
 * one system attribute whose column is never NULL (the run id breaks ties), so a page token
 * can carry the position and pages stay stable; custom attributes are not sortable yet. */
static bool sortable(const sg_vq_attr *attr)
{
    static const char *const names[] = { "WorkflowId", "RunId", "WorkflowType", "ExecutionStatus",
                                         "StartTime", "CloseTime", "ExecutionTime", "TaskQueue",
                                         "HistoryLength", "HistorySizeBytes",
                                         "StateTransitionCount" };
    for (size_t i = 0; attr->column && i < SG_ARRAY_LEN(names); i++)
        if (strcmp(attr->name, names[i]) == 0)
            return true;
    return false;
}

static bool order_by(parser *p, sg_vq *q)
{
    size_t pos = p->t.pos;
    if (!attribute(p, &q->order_by))
        return false;
    if (!sortable(&q->order_by)) {
        fail_at(p, pos, "ORDER BY %s is not supported: Sandglass sorts by WorkflowId, RunId, "
                "WorkflowType, ExecutionStatus, StartTime, CloseTime, ExecutionTime, TaskQueue, "
                "HistoryLength, HistorySizeBytes or StateTransitionCount", q->order_by.name);
        return false;
    }
    q->has_order_by = true;
    if (accept_kw(p, "DESC"))
        q->order_desc = true;
    else
        (void)accept_kw(p, "ASC");
    if (p->t.kind == T_COMMA) {
        fail_at(p, p->t.pos, "ORDER BY takes a single attribute in Sandglass%s", NULL);
        return false;
    }
    return true;
}

int sg_vq_parse(sg_arena *a, const char *text, sg_vq_attr_type_fn custom_type, void *ud,
                sg_vq **out, const char **err)
{
    parser p = { .a = a, .src = text ? text : "", .custom_type = custom_type, .ud = ud };
    sg_vq *q = sg_arena_calloc(a, sizeof *q);
    *out = NULL;
    *err = NULL;
    if (!next(&p))
        goto fail;
    if (p.t.kind != T_END && !is_kw(&p, "ORDER") && !is_kw(&p, "GROUP")) {
        q->where = expr(&p);
        if (!q->where)
            goto fail;
    }
    if (accept_kw(&p, "ORDER")) {
        if (!expect_kw(&p, "BY") || !order_by(&p, q))
            goto fail;
    } else if (accept_kw(&p, "GROUP")) {
        if (!expect_kw(&p, "BY"))
            goto fail;
        if (!(p.t.kind == T_IDENT && strcmp(p.t.text, "ExecutionStatus") == 0)) {
            fail_at(&p, p.t.pos, "GROUP BY supports only ExecutionStatus%s", NULL);
            goto fail;
        }
        q->group_by_status = true;
        if (!next(&p))
            goto fail;
    }
    if (p.t.kind != T_END) {
        /* Punctuation and operators carry no text: show the characters where they start. */
        const char *at = p.src + p.t.pos - 1;
        char here[3] = { at[0], 0, 0 };
        if (at[0] && strchr("=!<>", at[0]) && at[1] && strchr("=>", at[1]))
            here[1] = at[1]; /* a two-character operator */
        fail_at(&p, p.t.pos, "unexpected '%s'", p.t.text ? p.t.text : here);
        goto fail;
    }
    *out = q;
    return 0;
fail:
    *err = p.err ? p.err : "invalid query";
    return SG_EINVAL;
}
