/* SPDX-License-Identifier: Apache-2.0 */
/* match.h: a parsed list filter evaluated in memory against one record's values (match.c), for
 * what is not a row of the visibility table (schedules). */
#ifndef SG_VIS_MATCH_H
#define SG_VIS_MATCH_H

#include "visibility/query.h"

/* The values the record has for attr (in a): none for a missing attribute, several for a
 * KeywordList, the words of a Text. Returns their number. */
typedef size_t (*sg_vq_values_fn)(void *ud, const sg_vq_attr *attr, sg_arena *a,
                                  const sg_vq_value **out);

/* Whether the record matches e (NULL matches everything), with the store's semantics: a
 * comparison holds when any of the attribute's values satisfies it (KeywordList "contains"),
 * a Text comparison when the record has every word of the literal, IS NULL when it has none. */
bool sg_vq_match(const sg_vq_expr *e, sg_vq_values_fn values, void *ud, sg_arena *a);

#endif
