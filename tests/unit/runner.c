/* SPDX-License-Identifier: Apache-2.0 */
/* runner.c: runs every registered unit test in its own child process with a time limit.
 *
 * Isolation by fork keeps one crashing or hanging test from taking the others down, as libuv's
 * runner does. SG_TEST_TIMEOUT_S (default 60) bounds each test; SG_TEST_NOFORK=1 runs tests
 * in-process (for gdb). The last line is the standard summary "N passed, N failed". */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "test.h"

#include <errno.h>
#include <ftw.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#if defined(__SANITIZE_ADDRESS__)
#define SG_HAVE_LSAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SG_HAVE_LSAN 1
#endif
#endif
#ifdef SG_HAVE_LSAN
#include <sanitizer/lsan_interface.h>
#endif

typedef struct test_entry {
    const char *name;
    const char *file;
    sg_test_fn fn;
} test_entry;

static test_entry *tests;
static size_t n_tests, cap_tests;
static char tmpdir[256];

void sg_test_register(const char *name, const char *file, sg_test_fn fn)
{
    if (n_tests == cap_tests) {
        cap_tests = cap_tests ? cap_tests * 2 : 64;
        tests = realloc(tests, cap_tests * sizeof(*tests));
        if (!tests)
            abort();
    }
    tests[n_tests++] = (test_entry){ name, file, fn };
}

const char *sg_test_tmpdir(void)
{
    return tmpdir;
}

static int rm_cb(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb, (void)flag, (void)ftw;
    return remove(path);
}

static int cmp_entry(const void *a, const void *b)
{
    const test_entry *x = a, *y = b;
    int c = strcmp(x->file, y->file);
    return c ? c : strcmp(x->name, y->name);
}

static int run_one(const test_entry *t, int timeout_s, int nofork)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/sg-unit-%d-%s", (int)getpid(), t->name);
    mkdir(tmpdir, 0700);
    int ok;
    if (nofork) {
        t->fn();
        ok = 1;
    } else {
        fflush(NULL);
        pid_t pid = fork();
        if (pid == 0) {
            alarm((unsigned)timeout_s);
            t->fn();
            fflush(NULL);
#ifdef SG_HAVE_LSAN
            /* _exit skips LeakSanitizer's exit-time check, so run it here: a test that leaks
             * fails under `make sanitize`. */
            if (__lsan_do_recoverable_leak_check())
                _exit(1);
#endif
            _exit(0);
        }
        int st = 0;
        while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
            ;
        ok = WIFEXITED(st) && WEXITSTATUS(st) == 0;
        if (WIFSIGNALED(st))
            fprintf(stderr, "  killed by signal %d%s\n", WTERMSIG(st),
                    WTERMSIG(st) == SIGALRM ? " (timeout)" : "");
    }
    nftw(tmpdir, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
    return ok;
}

int main(int argc, char **argv)
{
    const char *filter = argc > 1 ? argv[1] : NULL;
    const char *to = getenv("SG_TEST_TIMEOUT_S");
    int timeout_s = to ? atoi(to) : 60;
    int nofork = getenv("SG_TEST_NOFORK") != NULL;
    signal(SIGPIPE, SIG_IGN);
    qsort(tests, n_tests, sizeof(*tests), cmp_entry);
    int passed = 0, failed = 0;
    for (size_t i = 0; i < n_tests; i++) {
        if (filter && !strstr(tests[i].name, filter) && !strstr(tests[i].file, filter))
            continue;
        struct timespec a, b;
        clock_gettime(CLOCK_MONOTONIC, &a);
        int ok = run_one(&tests[i], timeout_s, nofork);
        clock_gettime(CLOCK_MONOTONIC, &b);
        long ms = (b.tv_sec - a.tv_sec) * 1000 + (b.tv_nsec - a.tv_nsec) / 1000000;
        printf("%s %s (%ld ms)\n", ok ? "ok  " : "FAIL", tests[i].name, ms);
        fflush(stdout);
        ok ? passed++ : failed++;
    }
    printf("%d passed, %d failed\n", passed, failed);
    free(tests);
    return failed ? 1 : 0;
}
