/* SPDX-License-Identifier: Apache-2.0 */
/* match.c: list filters evaluated in memory (match.h) — the same semantics the store's SQL
 * gives a filter over the visibility table, for records kept in memory (schedules). */
#include "visibility/match.h"

#include <string.h>

/* <0, 0, >0 as a compares to b; numbers with numbers, text with text (else unequal). */
static int compare(const sg_vq_value *a, const sg_vq_value *b, bool *comparable)
{
    *comparable = true;
    if (a->kind == VQ_V_TEXT || b->kind == VQ_V_TEXT) {
        if (a->kind != b->kind) {
            *comparable = false;
            return 1;
        }
        return strcmp(a->s, b->s);
    }
    double x = a->kind == VQ_V_REAL ? a->r : (double)a->i;
    double y = b->kind == VQ_V_REAL ? b->r : (double)b->i;
    if (a->kind == VQ_V_INT && b->kind == VQ_V_INT)
        return a->i < b->i ? -1 : a->i > b->i;
    return x < y ? -1 : x > y;
}

static bool op_holds(sg_vq_op op, int c)
{
    switch (op) {
    case VQ_EQ: return c == 0;
    case VQ_NE: return c != 0;
    case VQ_LT: return c < 0;
    case VQ_LE: return c <= 0;
    case VQ_GT: return c > 0;
    default: return c >= 0;
    }
}

static bool any_cmp(const sg_vq_value *vs, size_t n, sg_vq_op op, const sg_vq_value *lit)
{
    for (size_t i = 0; i < n; i++) {
        bool ok;
        int c = compare(&vs[i], lit, &ok);
        if (ok && op_holds(op, c))
            return true;
    }
    return false;
}

static bool pred(const sg_vq_expr *e, const sg_vq_value *vs, size_t n)
{
    switch (e->kind) {
    case VQ_CMP:
        if (e->op == VQ_NE)
            return !any_cmp(vs, n, VQ_EQ, &e->values[0]);
        return any_cmp(vs, n, e->op, &e->values[0]);
    case VQ_IN: {
        bool in = false;
        for (size_t k = 0; !in && k < e->n_values; k++)
            in = any_cmp(vs, n, VQ_EQ, &e->values[k]);
        return e->negate ? !in : in;
    }
    case VQ_BETWEEN: {
        bool in = false;
        for (size_t i = 0; !in && i < n; i++) {
            bool ok1, ok2;
            int lo = compare(&vs[i], &e->values[0], &ok1), hi = compare(&vs[i], &e->values[1], &ok2);
            in = ok1 && ok2 && lo >= 0 && hi <= 0;
        }
        return e->negate ? !in : in;
    }
    case VQ_STARTS_WITH:
        for (size_t i = 0; i < n; i++)
            if (vs[i].kind == VQ_V_TEXT && strncmp(vs[i].s, e->values[0].s, strlen(e->values[0].s)) == 0)
                return true;
        return false;
    case VQ_IS_NULL:
        return e->negate ? n > 0 : n == 0;
    default:
        return false;
    }
}

bool sg_vq_match(const sg_vq_expr *e, sg_vq_values_fn values, void *ud, sg_arena *a)
{
    if (!e)
        return true;
    switch (e->kind) {
    case VQ_AND:
        return sg_vq_match(e->l, values, ud, a) && sg_vq_match(e->r, values, ud, a);
    case VQ_OR:
        return sg_vq_match(e->l, values, ud, a) || sg_vq_match(e->r, values, ud, a);
    case VQ_NOT:
        return !sg_vq_match(e->l, values, ud, a);
    default: {
        const sg_vq_value *vs = NULL;
        size_t n = values(ud, &e->attr, a, &vs);
        return pred(e, vs, n);
    }
    }
}
