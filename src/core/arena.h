/* SPDX-License-Identifier: Apache-2.0 */
/* arena.h: a bump allocator freed all at once; one per RPC for unpacking and packing messages. */
#ifndef SG_ARENA_H
#define SG_ARENA_H

#include "core/sg.h"

#include <protobuf-c/protobuf-c.h>

typedef struct sg_arena_block sg_arena_block;

typedef struct sg_arena {
    sg_arena_block *head;
    size_t total; /* bytes handed out, for limits and tests */
    ProtobufCAllocator pb; /* protobuf-c allocator backed by this arena (free is a no-op) */
} sg_arena;

void sg_arena_init(sg_arena *a);
/* Frees every allocation at once. The arena may be reused after sg_arena_init. */
void sg_arena_deinit(sg_arena *a);
/* Returns n bytes aligned for any type; aborts on OOM. Valid until sg_arena_deinit. */
void *sg_arena_alloc(sg_arena *a, size_t n);
void *sg_arena_calloc(sg_arena *a, size_t n);
char *sg_arena_strdup(sg_arena *a, const char *s);
char *sg_arena_strndup(sg_arena *a, const char *s, size_t n);
void *sg_arena_memdup(sg_arena *a, const void *p, size_t n);
/* Grows an arena array: returns room for cap elements of elem bytes holding the first n of
 * old (which stays allocated until the arena goes). Aborts if cap * elem overflows. */
void *sg_arena_realloc_array(sg_arena *a, void *old, size_t n, size_t cap, size_t elem);
char *sg_arena_printf(sg_arena *a, const char *fmt, ...) SG_PRINTF(2, 3);

#endif
