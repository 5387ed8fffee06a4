/* SPDX-License-Identifier: Apache-2.0 */
/* test.h: a tiny unit-test harness. Each SG_TEST registers itself; the runner (runner.c) forks
 * one child per test with a timeout, so a crash or hang fails that test only, and prints
 * "N passed, N failed". Run a subset with: build/unit_tests <substring>. */
#ifndef SG_TEST_H
#define SG_TEST_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef void (*sg_test_fn)(void);
void sg_test_register(const char *name, const char *file, sg_test_fn fn);
/* A scratch directory unique to the running test, removed afterwards. Borrowed. */
const char *sg_test_tmpdir(void);

#define SG_TEST(name)                                                                         \
    static void name(void);                                                                   \
    __attribute__((constructor)) static void sg_test_reg_##name(void)                         \
    {                                                                                         \
        sg_test_register(#name, __FILE__, name);                                              \
    }                                                                                         \
    static void name(void)

#define CHECK(cond)                                                                           \
    do {                                                                                      \
        if (!(cond)) {                                                                        \
            fprintf(stderr, "  %s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond);        \
            exit(1);                                                                          \
        }                                                                                     \
    } while (0)

#define CHECK_EQ_INT(a, b)                                                                    \
    do {                                                                                      \
        long long sg_a_ = (long long)(a), sg_b_ = (long long)(b);                             \
        if (sg_a_ != sg_b_) {                                                                 \
            fprintf(stderr, "  %s:%d: CHECK failed: %s == %s (%lld != %lld)\n", __FILE__,     \
                    __LINE__, #a, #b, sg_a_, sg_b_);                                          \
            exit(1);                                                                          \
        }                                                                                     \
    } while (0)

#define CHECK_EQ_STR(a, b)                                                                    \
    do {                                                                                      \
        const char *sg_a_ = (a), *sg_b_ = (b);                                                \
        if (!sg_a_ || !sg_b_ || strcmp(sg_a_, sg_b_) != 0) {                                  \
            fprintf(stderr, "  %s:%d: CHECK failed: %s == %s (\"%s\" != \"%s\")\n", __FILE__, \
                    __LINE__, #a, #b, sg_a_ ? sg_a_ : "(null)", sg_b_ ? sg_b_ : "(null)");    \
            exit(1);                                                                          \
        }                                                                                     \
    } while (0)

#endif
