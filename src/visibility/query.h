/* SPDX-License-Identifier: Apache-2.0 */
/* query.h: Temporal's list filter language, parsed and type-checked into a tree the store
 * compiles to its own SQL (query.c).
 *
 *   query   := [expr] [ORDER BY attr [ASC|DESC]] | [expr] GROUP BY ExecutionStatus
 *   expr    := term {OR term};  term := factor {AND factor};  factor := NOT factor | (expr) | pred
 *   pred    := attr op literal | attr [NOT] IN (literal, ...) | attr [NOT] BETWEEN lit AND lit
 *            | attr STARTS_WITH literal | attr IS [NOT] NULL
 *
 * Attributes are the system ones (WorkflowId, ExecutionStatus, StartTime, ...) and the
 * namespace's registered custom ones; names may be backquoted. Literals are checked against the
 * attribute's type and normalised: datetimes (RFC 3339) to ms since the epoch, ExecutionStatus
 * names to their enum value, durations to ms, booleans to 0/1. */
#ifndef SG_VIS_QUERY_H
#define SG_VIS_QUERY_H

#include "core/arena.h"

/* temporal.api.enums.v1.IndexedValueType */
enum { SG_VQ_TEXT = 1, SG_VQ_KEYWORD, SG_VQ_INT, SG_VQ_DOUBLE, SG_VQ_BOOL, SG_VQ_DATETIME,
       SG_VQ_KEYWORD_LIST };

typedef enum { VQ_AND, VQ_OR, VQ_NOT, VQ_CMP, VQ_IN, VQ_BETWEEN, VQ_STARTS_WITH, VQ_IS_NULL } sg_vq_kind;
typedef enum { VQ_EQ, VQ_NE, VQ_LT, VQ_LE, VQ_GT, VQ_GE } sg_vq_op;

/* A normalised literal: integer (ints, bools, datetimes, durations, statuses), real or text. */
typedef struct sg_vq_value {
    enum { VQ_V_INT, VQ_V_REAL, VQ_V_TEXT } kind;
    int64_t i;
    double r;
    const char *s;
} sg_vq_value;

/* A system attribute is a column of the store's row (column names the store's own); a custom
 * one lives in the attribute table. */
typedef struct sg_vq_attr {
    const char *name;   /* as Temporal spells it */
    const char *column; /* system: the store column; custom: NULL */
    int type;           /* SG_VQ_* */
} sg_vq_attr;

typedef struct sg_vq_expr sg_vq_expr;
struct sg_vq_expr {
    sg_vq_kind kind;
    sg_vq_op op;       /* VQ_CMP */
    bool negate;       /* NOT IN, NOT BETWEEN, IS NOT NULL */
    sg_vq_attr attr;
    sg_vq_value *values; /* CMP, STARTS_WITH: 1; BETWEEN: 2; IN: n */
    size_t n_values;
    sg_vq_expr *l, *r; /* AND, OR: both; NOT: l */
};

typedef struct sg_vq {
    sg_vq_expr *where;       /* NULL: every run */
    bool group_by_status;    /* GROUP BY ExecutionStatus (count only) */
    bool has_order_by;       /* else Temporal's default order */
    sg_vq_attr order_by;     /* a system attribute (its column never NULL) */
    bool order_desc;
} sg_vq;

/* The type of custom attribute name in the namespace (SG_VQ_*), or 0 if it is not registered. */
typedef int (*sg_vq_attr_type_fn)(void *ud, const char *name);

/* How deeply parentheses and NOT may nest in a query (deeper: INVALID_ARGUMENT). Long chains
 * of AND or OR do not nest. */
#define SG_VQ_MAX_NESTING 20
/* How many conditions (comparisons, IN, BETWEEN, STARTS_WITH, IS NULL) a query may hold: code
 * that walks a query recurses along its chains, and SQLite bounds an expression's depth. */
#define SG_VQ_MAX_PREDICATES 500

/* Parses text (may be empty). 0 with *out in a; SG_EINVAL with *err (in a) naming the problem
 * and its position, e.g. "unknown search attribute Foo at 12", "expected a value at 20". */
int sg_vq_parse(sg_arena *a, const char *text, sg_vq_attr_type_fn custom_type, void *ud,
                sg_vq **out, const char **err);

/* The type of a search attribute Temporal predefines in every namespace (BuildIds,
 * TemporalChangeVersion, ...), or 0. */
int sg_vq_predefined_type(const char *name);
/* True for the attributes a start or an upsert may not set: the system ones (WorkflowId,
 * StartTime, ...) and the predefined ones only the server writes. */
bool sg_vq_reserved(const char *name);

/* The words of a Text value or query, lowercased (letters, digits, any non-ASCII byte; the
 * rest separates): what Text attributes are indexed and matched by. *out is an arena array. */
size_t sg_vq_words(sg_arena *a, const char *s, const char ***out);

/* RFC 3339 timestamp to ms since the epoch; false if malformed. */
bool sg_vq_parse_time(const char *s, int64_t *ms);

#endif
