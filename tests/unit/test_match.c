/* SPDX-License-Identifier: Apache-2.0 */
/* test_match.c: list filters evaluated in memory (visibility/match.c) agree with the store's
 * semantics: any value of a KeywordList, every word of a Text, IS NULL for none, numbers and
 * times compared as numbers, NOT / AND / OR / IN / BETWEEN / STARTS_WITH. */
#include "test.h"

#include "visibility/match.h"

#include <string.h>

static int types(void *ud, const char *name)
{
    (void)ud;
    if (!strcmp(name, "Team")) return SG_VQ_KEYWORD;
    if (!strcmp(name, "Tags")) return SG_VQ_KEYWORD_LIST;
    if (!strcmp(name, "Notes")) return SG_VQ_TEXT;
    if (!strcmp(name, "Size")) return SG_VQ_INT;
    if (!strcmp(name, "Due")) return SG_VQ_DATETIME;
    return 0;
}

/* Team=alpha, Tags=[red, blue], Notes words {refund, audit, q3}, Size=42, Due=2024-01-02T00:00Z,
 * no Owner. */
static size_t values(void *ud, const sg_vq_attr *attr, sg_arena *a, const sg_vq_value **out)
{
    (void)ud;
    sg_vq_value *v = sg_arena_calloc(a, 3 * sizeof *v);
    *out = v;
    if (!strcmp(attr->name, "Team")) { v[0] = (sg_vq_value){ .kind = VQ_V_TEXT, .s = "alpha" }; return 1; }
    if (!strcmp(attr->name, "Tags")) {
        v[0] = (sg_vq_value){ .kind = VQ_V_TEXT, .s = "red" };
        v[1] = (sg_vq_value){ .kind = VQ_V_TEXT, .s = "blue" };
        return 2;
    }
    if (!strcmp(attr->name, "Notes")) {
        v[0] = (sg_vq_value){ .kind = VQ_V_TEXT, .s = "refund" };
        v[1] = (sg_vq_value){ .kind = VQ_V_TEXT, .s = "audit" };
        v[2] = (sg_vq_value){ .kind = VQ_V_TEXT, .s = "q3" };
        return 3;
    }
    if (!strcmp(attr->name, "Size")) { v[0] = (sg_vq_value){ .kind = VQ_V_INT, .i = 42 }; return 1; }
    if (!strcmp(attr->name, "Due")) { v[0] = (sg_vq_value){ .kind = VQ_V_INT, .i = 1704153600000 }; return 1; }
    return 0;
}

static bool eval(const char *q)
{
    sg_arena a;
    sg_arena_init(&a);
    sg_vq *p;
    const char *err;
    int rc = sg_vq_parse(&a, q, types, NULL, &p, &err);
    if (rc)
        fprintf(stderr, "  %s: %s\n", q, err);
    CHECK_EQ_INT(rc, 0);
    bool m = rc == 0 && sg_vq_match(p->where, values, NULL, &a);
    sg_arena_deinit(&a);
    return m;
}

SG_TEST(match_in_memory_agrees_with_the_store)
{
    static const struct { const char *q; bool want; } cases[] = {
        { "", true },
        { "Team = 'alpha'", true },           { "Team != 'alpha'", false },
        { "Team STARTS_WITH 'al'", true },    { "Team IN ('beta', 'alpha')", true },
        { "Team NOT IN ('alpha')", false },
        { "Tags = 'blue'", true },            { "Tags = 'green'", false },
        { "Tags IN ('green', 'red')", true }, { "Notes = 'audit refund'", true },
        /* Text: = holds with any word of the literal, != with none (Temporal's stores) */
        { "Notes = 'audit q4'", true },       { "Notes = 'q4 budget'", false },
        { "Notes != 'q4 audit'", false },     { "Notes != 'q4 budget'", true },
        { "Size > 41 AND Size <= 42", true },
        { "Size BETWEEN 1 AND 10", false },   { "Size NOT BETWEEN 1 AND 10", true },
        { "Due < '2024-01-03T00:00:00Z'", true }, { "Due > '2024-01-03T00:00:00Z'", false },
        { "Team IS NOT NULL", true },         { "Team IS NULL", false },
        { "NOT (Team = 'alpha') OR Size = 42", true },
        { "(Team = 'beta' OR Tags = 'red') AND NOT Size < 10", true },
    };
    for (size_t i = 0; i < SG_ARRAY_LEN(cases); i++) {
        bool got = eval(cases[i].q);
        if (got != cases[i].want)
            fprintf(stderr, "  %s: got %d\n", cases[i].q, got);
        CHECK(got == cases[i].want);
    }
}
