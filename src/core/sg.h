/* SPDX-License-Identifier: Apache-2.0 */
/* sg.h: the few things every Sandglass module needs — error codes, asserts, allocation.
 *
 * Error convention: functions return 0 (or a count) on success and a negative SG_E* code on
 * failure; the code propagates unchanged up to the RPC boundary, where rpc/call.c alone maps it
 * to a gRPC status. Broken invariants and out-of-memory abort: callers never test for NULL. */
#ifndef SG_H
#define SG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum {
    SG_OK = 0,
    SG_EINVAL = -1,     /* the caller's input is wrong: INVALID_ARGUMENT */
    SG_ENOTFOUND = -2,  /* the thing named does not exist: NOT_FOUND */
    SG_EEXIST = -3,     /* the thing to create already exists: ALREADY_EXISTS */
    SG_EPRECOND = -4,   /* the system is not in the state the call needs: FAILED_PRECONDITION */
    SG_ELIMIT = -5,     /* a size or count limit was hit: RESOURCE_EXHAUSTED */
    SG_EIO = -6,        /* storage failed; nothing was acknowledged: UNAVAILABLE */
    SG_EBUSY = -7,      /* transient contention, retry later: UNAVAILABLE */
    SG_ENOTSUP = -8,    /* not implemented: UNIMPLEMENTED */
    SG_ECANCELED = -9,  /* the caller went away: CANCELLED */
    SG_ETIMEDOUT = -10, /* the caller's deadline passed: DEADLINE_EXCEEDED */
    SG_EPERM = -11,     /* not allowed: PERMISSION_DENIED */
    SG_ECORRUPT = -12,  /* stored data is unreadable: DATA_LOSS */
    SG_EINTERNAL = -13, /* a bug or an unexpected library failure: INTERNAL */
};

/* Returns a short constant name for an SG_E* code ("SG_EINVAL"), for logs and tests. */
const char *sg_strerror(int err);

#define SG_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
/* The text of a macro's value ("20" for SG_STRINGIFY(SG_VQ_MAX_NESTING)). */
#define SG_STRINGIFY(x) SG_STRINGIFY_(x)
#define SG_STRINGIFY_(x) #x
/* Longest id or name (workflow, activity and timer ids, task queues, namespaces...) in bytes:
 * Temporal's limit.maxIDLength. */
#define SG_MAX_ID_LEN 1000
#define SG_MIN(a, b) ((a) < (b) ? (a) : (b))
#define SG_MAX(a, b) ((a) > (b) ? (a) : (b))
#define SG_UNUSED(x) ((void)(x))
#define SG_CONTAINER_OF(ptr, type, member) ((type *)((char *)(ptr) - offsetof(type, member)))

#if defined(__GNUC__)
#define SG_PRINTF(f, a) __attribute__((format(printf, f, a)))
#define SG_NORETURN __attribute__((noreturn))
#else
#define SG_PRINTF(f, a)
#define SG_NORETURN
#endif

/* Asserts stay on in release builds: a broken invariant must never write to the store. */
SG_NORETURN void sg_assert_fail(const char *expr, const char *file, int line);
#define sg_assert(e) ((e) ? (void)0 : sg_assert_fail(#e, __FILE__, __LINE__))
SG_NORETURN void sg_panic(const char *fmt, ...) SG_PRINTF(1, 2);

/* Allocation that aborts on failure. sg_free(NULL) is a no-op. */
void *sg_malloc(size_t n);
void *sg_calloc(size_t count, size_t size);
void *sg_realloc(void *p, size_t n);
char *sg_strdup(const char *s);
char *sg_strndup(const char *s, size_t n);
void *sg_memdup(const void *p, size_t n);
void sg_free(void *p);
/* Returns a malloc'd printf-formatted string; caller frees. */
char *sg_asprintf(const char *fmt, ...) SG_PRINTF(1, 2);
/* Returns the n strings concatenated, malloc'd; caller frees. For keys built on every request,
 * where formatting twice through vsnprintf costs several times more. */
char *sg_concat(const char *const *parts, size_t n);

#endif
