/* SPDX-License-Identifier: Apache-2.0 */
/* sg.c: aborting allocators, asserts and error names shared by every module. */
#include "sg.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *sg_strerror(int err)
{
    switch (err) {
    case SG_OK: return "SG_OK";
    case SG_EINVAL: return "SG_EINVAL";
    case SG_ENOTFOUND: return "SG_ENOTFOUND";
    case SG_EEXIST: return "SG_EEXIST";
    case SG_EPRECOND: return "SG_EPRECOND";
    case SG_ELIMIT: return "SG_ELIMIT";
    case SG_EIO: return "SG_EIO";
    case SG_EBUSY: return "SG_EBUSY";
    case SG_ENOTSUP: return "SG_ENOTSUP";
    case SG_ECANCELED: return "SG_ECANCELED";
    case SG_ETIMEDOUT: return "SG_ETIMEDOUT";
    case SG_EPERM: return "SG_EPERM";
    case SG_ECORRUPT: return "SG_ECORRUPT";
    case SG_EINTERNAL: return "SG_EINTERNAL";
    default: return "SG_E?";
    }
}

void sg_assert_fail(const char *expr, const char *file, int line)
{
    fprintf(stderr, "sandglass: assertion failed: %s (%s:%d)\n", expr, file, line);
    abort();
}

void sg_panic(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("sandglass: fatal: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    abort();
}

static void *oom(size_t n)
{
    sg_panic("out of memory allocating %zu bytes", n);
}

void *sg_malloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    return p ? p : oom(n);
}

void *sg_calloc(size_t count, size_t size)
{
    void *p = calloc(count ? count : 1, size ? size : 1);
    return p ? p : oom(count * size);
}

void *sg_realloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    return q ? q : oom(n);
}

char *sg_strdup(const char *s)
{
    return sg_memdup(s, strlen(s) + 1);
}

char *sg_strndup(const char *s, size_t n)
{
    char *d = sg_malloc(n + 1);
    memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

void *sg_memdup(const void *p, size_t n)
{
    void *d = sg_malloc(n);
    if (n)
        memcpy(d, p, n);
    return d;
}

void sg_free(void *p)
{
    free(p);
}

char *sg_concat(const char *const *parts, size_t n)
{
    size_t len[8], total = 0;
    sg_assert(n <= SG_ARRAY_LEN(len));
    for (size_t i = 0; i < n; i++)
        total += len[i] = strlen(parts[i]);
    char *s = sg_malloc(total + 1), *p = s;
    for (size_t i = 0; i < n; i++) {
        memcpy(p, parts[i], len[i]);
        p += len[i];
    }
    *p = 0;
    return s;
}

char *sg_asprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    sg_assert(n >= 0);
    char *s = sg_malloc((size_t)n + 1);
    va_start(ap, fmt);
    vsnprintf(s, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return s;
}
