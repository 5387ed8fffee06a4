/* SPDX-License-Identifier: Apache-2.0 */
/* pbenc.h: one-pass serialization of protobuf-c messages, byte for byte what
 * protobuf_c_message_pack writes.
 *
 * Why: protobuf-c serializes in two walks (protobuf_c_message_get_packed_size, then
 * protobuf_c_message_pack), and packing a nested message asks for its size again, so a message
 * d levels deep is measured d + 1 times. History events, run state and replies nest four or five
 * levels (event → attributes → payloads → payload → metadata entry): those walks were about a
 * seventh of the server's instructions per workflow. Writing back to front, each nested
 * message's length is known right after its bytes are written, so one walk does. */
#ifndef SG_PBENC_H
#define SG_PBENC_H

#include "core/arena.h"
#include "core/buf.h"

#include <protobuf-c/protobuf-c.h>

#include <stddef.h>
#include <stdint.h>

/* Serializes m into this thread's scratch buffer; returns the bytes and sets *len. They stay
 * valid until the next sg_pb_encode* call on the thread: copy them before encoding again. */
const uint8_t *sg_pb_encode(const ProtobufCMessage *m, size_t *len);
/* Appends m to out as length-delimited field `field` (tag, length, bytes): how an element of a
 * repeated message field is spliced into a reply built by hand. */
void sg_pb_encode_field(sg_buf *out, uint32_t field, const ProtobufCMessage *m);
/* The same, copied to the end of out; returns the length appended. */
size_t sg_pb_encode_append(const ProtobufCMessage *m, sg_buf *out);
/* The same, copied into memory from a (len 0: a 1-byte allocation, never NULL). */
uint8_t *sg_pb_encode_arena(const ProtobufCMessage *m, sg_arena *a, size_t *len);
/* The same, copied into sg_malloc'd memory the caller frees with sg_free. */
uint8_t *sg_pb_encode_alloc(const ProtobufCMessage *m, size_t *len);

#endif
