/* SPDX-License-Identifier: Apache-2.0 */
/* read.h: history pages from stored batches (read.c). */
#ifndef SG_HISTORY_READ_H
#define SG_HISTORY_READ_H

#include "history/hist.h"

/* Appends to out the History-encoded events from from_event_id on (stored batches spliced as
 * they are; only a batch that starts before from_event_id is decoded to trim it), stopping
 * after the batch that reaches max_events (<= 0: all). *next_event_id is the first event not
 * returned (compare with the run's next_event_id to know whether more exist). */
int sg_hist_read(sg_engine *e, sg_arena *a, const char *namespace_id, const char *run_id,
              int64_t from_event_id, int64_t max_events, sg_buf *out, int64_t *next_event_id);
/* Temporal serves at most this many events a page (HistoryMaxPageSize), whatever was asked. */
#define SG_HISTORY_PAGE_EVENTS 256
/* The next_page_token of a history page that continues at next_event_id (in a). */
char *sg_hist_page_token(sg_arena *a, const char *run_id, int64_t next_event_id, size_t *len);

#endif
