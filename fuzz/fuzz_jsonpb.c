/* SPDX-License-Identifier: Apache-2.0 */
/* fuzz_jsonpb.c: libFuzzer target for the HTTP API's proto3 JSON reader (core/jsonpb.c), whose
 * input is whatever an HTTP client sends as a request body, URL or query string.
 *
 * Input: the whole of it is read as a StartWorkflowExecutionRequest and as a
 * SignalWithStartWorkflowExecutionRequest. A failure must come with a reason; a success must
 * pack, and must survive sg_pbjson_write without shorthand and a second read unchanged (compared
 * as packed bytes). The shorthand form is written too but not read back: it copies json/plain
 * payload data verbatim, and data that is not JSON (a client may send any bytes in proto form)
 * cannot come back the same. Then the input, cut at its first '=', is a path and a value for
 * sg_jsonpb_set_path, as a query parameter would be. */
#include "core/jsonpb.h"
#include "core/pbjson.h"

#include "temporal/api/workflowservice/v1/request_response.pb-c.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint8_t *pack(const ProtobufCMessage *m, size_t *len)
{
    *len = protobuf_c_message_get_packed_size(m);
    uint8_t *p = sg_malloc(*len ? *len : 1);
    if (protobuf_c_message_pack(m, p) != *len)
        abort();
    return p;
}

static ProtobufCMessage *fresh(sg_arena *a, const ProtobufCMessageDescriptor *d)
{
    ProtobufCMessage *m = sg_arena_alloc(a, d->sizeof_message);
    protobuf_c_message_init(d, m);
    return m;
}

static void one_type(const ProtobufCMessageDescriptor *d, const uint8_t *data, size_t size)
{
    sg_arena a;
    sg_arena_init(&a);
    ProtobufCMessage *m = fresh(&a, d);
    const char *why = NULL;
    int rc = sg_jsonpb_parse(&a, (const char *)data, size, m, &why);
    if (rc) {
        if (rc != SG_EINVAL || !why || !*why)
            abort();
        sg_arena_deinit(&a);
        return;
    }
    size_t want_len;
    uint8_t *want = pack(m, &want_len);
    for (int shorthand = 0; shorthand < 2; shorthand++) {
        sg_buf b;
        sg_buf_init(&b);
        sg_pbjson_opts o = { shorthand ? 2 : 0, shorthand != 0 };
        sg_pbjson_write(&b, m, &o);
        if (!shorthand) {
            ProtobufCMessage *back = fresh(&a, d);
            if (sg_jsonpb_parse(&a, (const char *)sg_buf_head(&b), b.len, back, &why) != 0) {
                fprintf(stderr, "wrote JSON that does not read back: %s\n%.*s\n", why, (int)b.len,
                        (const char *)sg_buf_head(&b));
                abort();
            }
            size_t got_len;
            uint8_t *got = pack(back, &got_len);
            if (got_len != want_len || memcmp(got, want, want_len) != 0) {
                fprintf(stderr, "write -> read changed the message:\n%.*s\n", (int)b.len,
                        (const char *)sg_buf_head(&b));
                abort();
            }
            sg_free(got);
        }
        sg_buf_deinit(&b);
    }
    sg_free(want);
    sg_arena_deinit(&a);
}

static void set_path(const ProtobufCMessageDescriptor *d, const uint8_t *data, size_t size)
{
    const uint8_t *eq = memchr(data, '=', size);
    if (!eq)
        return;
    char *path = sg_strndup((const char *)data, (size_t)(eq - data));
    char *value = sg_strndup((const char *)eq + 1, size - (size_t)(eq - data) - 1);
    sg_arena a;
    sg_arena_init(&a);
    ProtobufCMessage *m = fresh(&a, d);
    const char *why = NULL;
    int rc = sg_jsonpb_set_path(&a, m, path, value, &why);
    if (rc && (!why || (rc != SG_EINVAL && rc != SG_ENOTFOUND)))
        abort();
    size_t len;
    sg_free(pack(m, &len));
    sg_arena_deinit(&a);
    sg_free(path);
    sg_free(value);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    one_type(&temporal__api__workflowservice__v1__start_workflow_execution_request__descriptor, data, size);
    one_type(&temporal__api__workflowservice__v1__signal_with_start_workflow_execution_request__descriptor, data, size);
    set_path(&temporal__api__workflowservice__v1__signal_with_start_workflow_execution_request__descriptor, data, size);
    return 0;
}
