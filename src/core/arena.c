/* SPDX-License-Identifier: Apache-2.0 */
/* arena.c: bump allocation in chained blocks.
 *
 * Small requests share 8 KiB blocks; a request larger than a quarter block gets a block of its
 * own so a big message does not waste the tail of a shared one. Nothing is freed individually,
 * which is what protobuf-c unpacking into a per-request arena wants. */
#include "core/arena.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define BLOCK_SIZE 8192
#define ALIGN 16

struct sg_arena_block {
    sg_arena_block *next;
    size_t used, cap;
    _Alignas(ALIGN) uint8_t data[];
};

static void *pb_alloc(void *ud, size_t n)
{
    return sg_arena_alloc(ud, n);
}

static void pb_free(void *ud, void *p)
{
    SG_UNUSED(ud);
    SG_UNUSED(p);
}

void sg_arena_init(sg_arena *a)
{
    a->head = NULL;
    a->total = 0;
    a->pb.alloc = pb_alloc;
    a->pb.free = pb_free;
    a->pb.allocator_data = a;
}

void sg_arena_deinit(sg_arena *a)
{
    sg_arena_block *b = a->head;
    while (b) {
        sg_arena_block *n = b->next;
        sg_free(b);
        b = n;
    }
    a->head = NULL;
    a->total = 0;
}

void *sg_arena_alloc(sg_arena *a, size_t n)
{
    n = (n + ALIGN - 1) & ~(size_t)(ALIGN - 1);
    if (n == 0)
        n = ALIGN;
    sg_arena_block *b = a->head;
    if (n > BLOCK_SIZE / 4) {
        sg_arena_block *big = sg_malloc(sizeof *big + n);
        big->used = big->cap = n;
        /* Behind the head, so the head's free tail stays usable. */
        if (b) {
            big->next = b->next;
            b->next = big;
        } else {
            big->next = NULL;
            a->head = big;
        }
        a->total += n;
        return big->data;
    }
    if (!b || b->cap - b->used < n) {
        b = sg_malloc(sizeof *b + BLOCK_SIZE);
        b->used = 0;
        b->cap = BLOCK_SIZE;
        b->next = a->head;
        a->head = b;
    }
    void *p = b->data + b->used;
    b->used += n;
    a->total += n;
    return p;
}

void *sg_arena_calloc(sg_arena *a, size_t n)
{
    void *p = sg_arena_alloc(a, n);
    memset(p, 0, n);
    return p;
}

char *sg_arena_strdup(sg_arena *a, const char *s)
{
    return sg_arena_strndup(a, s, strlen(s));
}

char *sg_arena_strndup(sg_arena *a, const char *s, size_t n)
{
    char *d = sg_arena_alloc(a, n + 1);
    if (n) /* s may be NULL when n is 0 (an empty protobuf bytes field) */
        memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

void *sg_arena_memdup(sg_arena *a, const void *p, size_t n)
{
    void *d = sg_arena_alloc(a, n);
    if (n)
        memcpy(d, p, n);
    return d;
}

void *sg_arena_realloc_array(sg_arena *a, void *old, size_t n, size_t cap, size_t elem)
{
    sg_assert(n <= cap && (elem == 0 || cap <= SIZE_MAX / elem));
    void *p = sg_arena_alloc(a, cap * elem);
    if (n)
        memcpy(p, old, n * elem);
    return p;
}

char *sg_arena_printf(sg_arena *a, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    sg_assert(n >= 0);
    char *s = sg_arena_alloc(a, (size_t)n + 1);
    va_start(ap, fmt);
    vsnprintf(s, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return s;
}
