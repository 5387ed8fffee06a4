/* SPDX-License-Identifier: Apache-2.0 */
/* fuzz_methods.c: the services the rpc and h2 targets address, in a fixed order, and the
 * mapping between input bytes and methods (fuzz_common.h). Kept apart from fuzz_common.c so
 * that the seed tool (tools/seedsplit.c) links it without the server stack. */
#include "fuzz_common.h"

#include "grpc/health/v1/health.pb-c.h"
#include "temporal/api/operatorservice/v1/service.pb-c.h"
#include "temporal/api/testservice/v1/service.pb-c.h"
#include "temporal/api/workflowservice/v1/service.pb-c.h"

#include <string.h>

const ProtobufCServiceDescriptor *fz_service(unsigned i)
{
    static const ProtobufCServiceDescriptor *const services[FZ_N_SERVICES] = {
        &temporal__api__workflowservice__v1__workflow_service__descriptor,
        &temporal__api__operatorservice__v1__operator_service__descriptor,
        &grpc__health__v1__health__descriptor,
        &temporal__api__testservice__v1__test_service__descriptor,
    };
    return services[i % FZ_N_SERVICES];
}

const ProtobufCMethodDescriptor *fz_method_pick(uint8_t svc_byte, uint8_t method_byte,
                                                const ProtobufCServiceDescriptor **svc)
{
    *svc = fz_service(svc_byte);
    return &(*svc)->methods[method_byte % (*svc)->n_methods];
}

bool fz_method_bytes(const char *path, uint8_t *svc_byte, uint8_t *method_byte)
{
    const char *slash = path[0] == '/' ? strchr(path + 1, '/') : NULL;
    if (!slash)
        return false;
    size_t svc_len = (size_t)(slash - path - 1);
    for (unsigned i = 0; i < FZ_N_SERVICES; i++) {
        const ProtobufCServiceDescriptor *s = fz_service(i);
        if (strlen(s->name) != svc_len || memcmp(s->name, path + 1, svc_len) != 0)
            continue;
        for (unsigned m = 0; m < s->n_methods; m++) {
            if (strcmp(s->methods[m].name, slash + 1) == 0) {
                *svc_byte = (uint8_t)i;
                *method_byte = (uint8_t)m;
                return true;
            }
        }
    }
    return false;
}
