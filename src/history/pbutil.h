/* SPDX-License-Identifier: Apache-2.0 */
/* pbutil.h: protobuf helpers of the history engine (pbutil.c). */
#ifndef SG_HISTORY_PBUTIL_H
#define SG_HISTORY_PBUTIL_H

#include "history/hist.h"

pb_ts *sg_ts_ms(sg_arena *a, int64_t ms);
pb_dur *sg_dur_ms(sg_arena *a, int64_t ms);
int64_t sg_dur_to_ms(const pb_dur *d);
int64_t sg_ts_to_ms(const pb_ts *t);
/* A payload that stands for no value: absent, empty, JSON null or an empty list. An upsert of
 * one removes the key, and new runs' events leave such entries out (Temporal's
 * payload.MergeMapOfPayload and FilterNil*). */
bool sg_payload_is_nil(const Temporal__Api__Common__V1__Payload *p);
/* m or sa without its nil entries: the message itself when none is nil, an arena copy when some
 * are, NULL when all are. */
Temporal__Api__Common__V1__Memo *sg_memo_without_nils(sg_arena *a,
                                                      const Temporal__Api__Common__V1__Memo *m);
Temporal__Api__Common__V1__SearchAttributes *
sg_sa_without_nils(sg_arena *a, const Temporal__Api__Common__V1__SearchAttributes *sa);
/* Merges src's map entries (key -> Payload) into *dst, replacing equal keys; an entry whose
 * payload is nil removes the key (Temporal's upsert semantics). dst is heap-allocated
 * mutable state; src is borrowed. Works for Memo.fields and SearchAttributes.indexed_fields. */
void sg_ms_merge_memo(Temporal__Api__Common__V1__Memo **dst, const Temporal__Api__Common__V1__Memo *src);
void sg_ms_merge_search_attributes(Temporal__Api__Common__V1__SearchAttributes **dst,
                                const Temporal__Api__Common__V1__SearchAttributes *src);
/* Copies a message into a (pack + unpack); NULL stays NULL. */
void *sg_pb_clone_arena(sg_arena *a, const ProtobufCMessage *m);
/* Copies a message with the default allocator (for the mutable state). */
void *sg_pb_clone_heap(const ProtobufCMessage *m);
char *sg_ms_strdup(const char *s);
void sg_ms_set_str(char **field, const char *value);


Temporal__Api__Taskqueue__V1__TaskQueue *sg_tq_new(sg_arena *a, const char *name, int kind,
                                               const char *normal_name);
pb_failure *sg_failure_new(sg_arena *a, const char *message);
#endif
