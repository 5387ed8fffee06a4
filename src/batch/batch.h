/* SPDX-License-Identifier: Apache-2.0 */
/* batch.h: the records of batch operations (StartBatchOperation jobs), kept with the store so
 * DescribeBatchOperation and ListBatchOperations can answer them (batch.c). */
#ifndef SG_BATCH_H
#define SG_BATCH_H

#include "core/arena.h"
#include "store/store.h"

#include "temporal/api/workflowservice/v1/request_response.pb-c.h"

typedef struct sg_batch sg_batch;
typedef Temporal__Api__Workflowservice__V1__DescribeBatchOperationResponse sg_batch_rec;

/* Borrows st, which must outlive the result. */
sg_batch *sg_batch_new(sg_store *st);
void sg_batch_free(sg_batch *b);

/* Records a job (rec borrowed, packed); work, for a job that goes on in the background, is its
 * StartBatchOperationRequest (NULL for a job done in its call). SG_EEXIST if its job id is
 * taken in the namespace. Requires the open batch to be written to (sg_txn_write). */
int sg_batch_save(sg_batch *b, const char *namespace_id, const sg_batch_rec *rec,
                  const ProtobufCMessage *work);
/* A background job's new record and resume point; running false ends it (it is no longer
 * resumed). SG_ENOTFOUND. Requires the open batch to be written to. */
int sg_batch_progress(sg_batch *b, const char *namespace_id, const sg_batch_rec *rec,
                      const ProtobufCBinaryData *cursor, bool running);
/* Every background job still running, as stored (start-up). */
int sg_batch_running(sg_batch *b, sg_batch_work_cb cb, void *ud);
/* The job's record, unpacked in a. SG_ENOTFOUND. */
int sg_batch_get(sg_batch *b, sg_arena *a, const char *namespace_id, const char *job_id,
                 sg_batch_rec **out);
/* A page of jobs, newest first, into out (in a): page_size (1..1000, 0: 100), token from the
 * previous page or empty. SG_EINVAL for a token it did not make. */
int sg_batch_list(sg_batch *b, sg_arena *a, const char *namespace_id, int page_size,
                  const ProtobufCBinaryData *token,
                  Temporal__Api__Workflowservice__V1__ListBatchOperationsResponse *out);

#endif
