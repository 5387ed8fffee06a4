/* SPDX-License-Identifier: Apache-2.0 */
/* attrs.h: search attribute payloads to indexable values (attrs.c). */
#ifndef SG_VIS_ATTRS_H
#define SG_VIS_ATTRS_H

#include "core/arena.h"
#include "store/store.h"

#include "temporal/api/common/v1/message.pb-c.h"

/* Appends to *out (arena array of *n, capacity *cap) the values of search attribute name as
 * the SDKs encode them: a JSON payload (a value or an array of values), typed by the
 * attribute's registered type, else by the payload's metadata "type", else by the JSON. A
 * KeywordList gives one value per item; null gives none. False (some values may have been
 * appended) when the payload is not JSON of that type. */
bool sg_vis_attr_values(sg_arena *a, const char *name,
                        const Temporal__Api__Common__V1__Payload *p, int registered_type,
                        sg_vis_attr **out, size_t *n, size_t *cap);
/* Temporal's default limits on the search attributes of one start or upsert (its dynamic
 * config frontend.searchAttributesNumberOfKeysLimit, …SizeOfValueLimit, …TotalSizeLimit). */
enum { SG_VIS_MAX_ATTRS = 100, SG_VIS_MAX_VALUE_BYTES = 2 * 1024, SG_VIS_MAX_TOTAL_BYTES = 40 * 1024 };

/* Checks search attributes as Temporal does at a start or an upsert: at most SG_VIS_MAX_ATTRS,
 * none a system or server-only one, every name predefined or registered (type_of gives its type,
 * 0 if none), every value of that type, and within the size limits. NULL if fine, else the
 * message (in a). */
const char *sg_vis_check_attrs(sg_arena *a, const Temporal__Api__Common__V1__SearchAttributes *sa,
                               int (*type_of)(void *ud, const char *name), void *ud);

#endif
