/* SPDX-License-Identifier: Apache-2.0 */
/* http_api.h: Temporal's HTTP API on the HTTP server (http_api.c): the routes the pinned protos
 * annotate with google.api.http, proto3 JSON in and out, answered by the gRPC handlers. */
#ifndef SG_RPC_HTTP_API_H
#define SG_RPC_HTTP_API_H

#include "web/http.h"

/* The HTTP server's handler; ud is the sg_frontend. Answers after the group commit. */
void sg_http_api_handle(void *ud, const sg_http_request *req, sg_http_response *res);

#endif
