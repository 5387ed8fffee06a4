/* SPDX-License-Identifier: Apache-2.0 */
/* fuzz_pbjson.c: libFuzzer target for the CLI's proto3 JSON writer (core/pbjson.c), which prints
 * whatever a server answers (ours or any other), so its input is as hostile as the network.
 *
 * Input: the first byte picks the reply type the CLI prints (history, describe, list, count);
 * the rest is unpacked as that message and, when it unpacks, written as JSON both compact with
 * payload shorthand and indented without, and flattened as `show --detailed` prints it. The output must be one balanced JSON text: as many
 * closing as opening brackets outside strings, and no NUL byte. */
#include "core/pbjson.h"

#include "temporal/api/workflowservice/v1/request_response.pb-c.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_balanced(const sg_buf *b)
{
    const char *s = (const char *)sg_buf_head(b);
    long depth = 0;
    bool in_string = false;
    for (size_t i = 0; i < b->len; i++) {
        char c = s[i];
        if (c == 0)
            abort();
        if (in_string) {
            if (c == '\\')
                i++;
            else if (c == '"')
                in_string = false;
            continue;
        }
        if (c == '"')
            in_string = true;
        else if (c == '{' || c == '[')
            depth++;
        else if (c == '}' || c == ']')
            depth--;
    }
    if (depth != 0 || in_string)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    static const ProtobufCMessageDescriptor *const types[] = {
        &temporal__api__workflowservice__v1__get_workflow_execution_history_response__descriptor,
        &temporal__api__workflowservice__v1__describe_workflow_execution_response__descriptor,
        &temporal__api__workflowservice__v1__list_workflow_executions_response__descriptor,
        &temporal__api__workflowservice__v1__count_workflow_executions_response__descriptor,
    };
    const ProtobufCMessageDescriptor *d = types[data[0] % (sizeof types / sizeof types[0])];
    ProtobufCMessage *m = protobuf_c_message_unpack(d, NULL, size - 1, data + 1);
    if (!m)
        return 0;
    for (int pass = 0; pass < 2; pass++) {
        sg_buf b;
        sg_buf_init(&b);
        sg_pbjson_opts o = { pass ? 2 : 0, pass == 0 };
        sg_pbjson_write(&b, m, &o);
        /* Shorthand payloads are copied verbatim (the SDKs wrote them as JSON), so only the
         * pass without shorthand is held to balance. */
        if (pass) {
            check_balanced(&b);
            if (!sg_pbjson_valid((const char *)sg_buf_head(&b), b.len))
                abort(); /* what the CLI prints is JSON its own checker accepts */
        }
        sg_buf_deinit(&b);
    }
    /* And flattened, as `workflow show --detailed` prints events. */
    sg_buf flat;
    sg_buf_init(&flat);
    sg_pbjson_flatten(&flat, m, NULL);
    sg_buf_deinit(&flat);
    protobuf_c_message_free_unpacked(m, NULL);
    return 0;
}
