/* SPDX-License-Identifier: Apache-2.0 */
/* pbwire.h: the few protobuf wire-format pieces written by hand — field headers for splicing
 * already-serialized bytes into a message (repeated and message fields concatenate on the
 * wire, so stored history batches and packed records go out without re-encoding). */
#ifndef SG_PBWIRE_H
#define SG_PBWIRE_H

#include "core/buf.h"

#include <protobuf-c/protobuf-c.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Longest header: a 5-byte tag varint and a 10-byte length varint. */
#define SG_PB_LEN_HEADER_MAX 15

/* Writes the varint v to p (at least 10 bytes); returns its length. */
size_t sg_pb_varint(uint8_t *p, uint64_t v);
/* Writes the header of length-delimited field `field` holding n bytes (tag, then length) to
 * p (at least SG_PB_LEN_HEADER_MAX bytes); returns its length. */
size_t sg_pb_len_header(uint8_t *p, uint32_t field, size_t n);
/* Appends a whole length-delimited field: header, then p[0..n). */
void sg_pb_put_bytes_field(sg_buf *out, uint32_t field, const uint8_t *p, size_t n);

/* A deep copy of m, unpacked with alloc (NULL: the heap, freed with
 * protobuf_c_message_free_unpacked; an arena's pb: freed with the arena). NULL stays NULL. */
void *sg_pb_clone(const ProtobufCMessage *m, ProtobufCAllocator *alloc);
/* Whether d is a map's entry: protobuf-c keeps no map_entry option, so a map is repeated
 * "<Name>Entry" messages of exactly key and value (how the JSON codecs tell a map). */
bool sg_pb_is_map_entry(const ProtobufCMessageDescriptor *d);
/* The size of one element of repeated field f in protobuf-c's arrays. */
size_t sg_pb_elem_size(const ProtobufCFieldDescriptor *f);

#endif
