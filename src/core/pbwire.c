/* SPDX-License-Identifier: Apache-2.0 */
#include "core/pbenc.h"
#include "core/pbwire.h"

#include <string.h>

size_t sg_pb_varint(uint8_t *p, uint64_t v)
{
    size_t k = 0;
    do {
        p[k++] = (uint8_t)((v & 0x7f) | (v > 0x7f ? 0x80 : 0));
        v >>= 7;
    } while (v);
    return k;
}

size_t sg_pb_len_header(uint8_t *p, uint32_t field, size_t n)
{
    size_t k = sg_pb_varint(p, ((uint64_t)field << 3) | 2);
    return k + sg_pb_varint(p + k, n);
}

void sg_pb_put_bytes_field(sg_buf *out, uint32_t field, const uint8_t *p, size_t n)
{
    uint8_t h[SG_PB_LEN_HEADER_MAX];
    sg_buf_append(out, h, sg_pb_len_header(h, field, n));
    sg_buf_append(out, p, n);
}

void *sg_pb_clone(const ProtobufCMessage *m, ProtobufCAllocator *alloc)
{
    if (!m)
        return NULL;
    size_t n;
    const uint8_t *buf = sg_pb_encode(m, &n); /* protobuf-c copies what it unpacks */
    void *c = protobuf_c_message_unpack(m->descriptor, alloc, n, buf);
    sg_assert(c);
    return c;
}

bool sg_pb_is_map_entry(const ProtobufCMessageDescriptor *d)
{
    size_t n = strlen(d->name);
    return n > 5 && strcmp(d->name + n - 5, "Entry") == 0 && d->n_fields == 2 &&
           strcmp(d->fields[0].name, "key") == 0 && strcmp(d->fields[1].name, "value") == 0;
}

size_t sg_pb_elem_size(const ProtobufCFieldDescriptor *f)
{
    switch (f->type) {
    case PROTOBUF_C_TYPE_MESSAGE:
    case PROTOBUF_C_TYPE_STRING: return sizeof(void *);
    case PROTOBUF_C_TYPE_BYTES: return sizeof(ProtobufCBinaryData);
    case PROTOBUF_C_TYPE_INT64: case PROTOBUF_C_TYPE_SINT64: case PROTOBUF_C_TYPE_SFIXED64:
    case PROTOBUF_C_TYPE_UINT64: case PROTOBUF_C_TYPE_FIXED64: case PROTOBUF_C_TYPE_DOUBLE: return 8;
    case PROTOBUF_C_TYPE_BOOL: return sizeof(protobuf_c_boolean);
    default: return 4;
    }
}
