/* SPDX-License-Identifier: Apache-2.0 */
/* test_core.c: arena, buffer, uuid and the metrics registry — the allocation and byte plumbing under everything. */
#include "test.h"

#include "core/arena.h"
#include "core/buf.h"
#include "core/map.h"
#include "core/metrics.h"
#include "core/uuid.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

SG_TEST(arena_alignment_and_large_blocks)
{
    sg_arena a;
    sg_arena_init(&a);
    for (int i = 1; i < 200; i++) {
        uint8_t *p = sg_arena_alloc(&a, (size_t)i * 37);
        CHECK(((uintptr_t)p & 15) == 0);
        memset(p, i, (size_t)i * 37);
    }
    void *big = sg_arena_alloc(&a, 1 << 20);
    memset(big, 1, 1 << 20);
    /* A big block must not strand the shared block's free tail. */
    uint8_t *small1 = sg_arena_alloc(&a, 16), *small2 = sg_arena_alloc(&a, 16);
    CHECK(small2 == small1 + 16);
    CHECK_EQ_STR(sg_arena_printf(&a, "%s-%d", "x", 7), "x-7");
    CHECK_EQ_STR(sg_arena_strndup(&a, "abcdef", 3), "abc");
    sg_arena_deinit(&a);
}

SG_TEST(arena_is_a_protobuf_allocator)
{
    sg_arena a;
    sg_arena_init(&a);
    void *p = a.pb.alloc(a.pb.allocator_data, 100);
    CHECK(p != NULL);
    a.pb.free(a.pb.allocator_data, p); /* no-op: freed with the arena */
    CHECK(a.total >= 100);
    sg_arena_deinit(&a);
}

SG_TEST(buf_append_consume_compact)
{
    sg_buf b;
    sg_buf_init(&b);
    for (int i = 0; i < 1000; i++)
        sg_buf_printf(&b, "%03d", i);
    CHECK_EQ_INT(b.len, 3000);
    sg_buf_consume(&b, 2990);
    CHECK(memcmp(sg_buf_head(&b), "6997998999", 10) == 0);
    sg_buf_append(&b, "xyz", 3);
    CHECK_EQ_INT(b.len, 13);
    size_t n;
    uint8_t *d = sg_buf_take(&b, &n);
    CHECK_EQ_INT(n, 13);
    CHECK(memcmp(d, "6997998999xyz", 13) == 0);
    CHECK_EQ_INT(b.len, 0);
    sg_free(d);
    sg_buf_deinit(&b);
}

SG_TEST(uuid_format_and_uniqueness)
{
    char a[SG_UUID_STR_LEN + 1], b[SG_UUID_STR_LEN + 1];
    sg_uuid_v4(a);
    sg_uuid_v4(b);
    CHECK(sg_uuid_is_valid(a));
    CHECK(strcmp(a, b) != 0);
    CHECK_EQ_INT(a[14], '4');
    CHECK(strchr("89ab", a[19]) != NULL);
    CHECK(!sg_uuid_is_valid("not-a-uuid"));
    CHECK(!sg_uuid_is_valid("0123456789012345678901234567890123456"));
    CHECK(!sg_uuid_is_valid("01234567-89ab-cdef-0123-456789abcdeg"));
    CHECK(sg_uuid_is_valid("01234567-89AB-cdef-0123-456789abcdef"));
}

/* Run ids: each one sorts after the one before (so b-trees keyed by run id grow at their right
 * edge), also when many are made in one millisecond, and they carry the time they were made. */
SG_TEST(uuid_v7_is_ordered_and_carries_the_time)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    long long before = (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
    char prev[SG_UUID_STR_LEN + 1], cur[SG_UUID_STR_LEN + 1];
    sg_uuid_v7(prev);
    for (int i = 0; i < 20000; i++) {
        sg_uuid_v7(cur);
        CHECK(sg_uuid_is_valid(cur));
        CHECK_EQ_INT(cur[14], '7');
        CHECK(strchr("89ab", cur[19]) != NULL);
        if (strcmp(prev, cur) >= 0) {
            CHECK(!"run ids out of order");
            break;
        }
        memcpy(prev, cur, sizeof cur);
    }
    char hex[13];
    memcpy(hex, prev, 8);
    memcpy(hex + 8, prev + 9, 4);
    hex[12] = 0;
    long long ms = strtoll(hex, NULL, 16);
    /* 20,000 ids may borrow a few milliseconds ahead, never more than 20000/4096 + 1. */
    CHECK(ms >= before && ms <= before + 60000);
}

/* RPC series are remembered by the operation's address after the first request: the counts
 * must be those of the uncached path, per status, and a reset must forget the remembered
 * series along with the series themselves. */
static size_t count_of(const char *text, const char *series)
{
    const char *p = strstr(text, series);
    return p ? (size_t)strtoull(p + strlen(series), NULL, 10) : 0;
}

SG_TEST(metrics_rpc_series_counted_through_the_cache)
{
    static const char op[] = "StartWorkflowExecution";
    sg_metrics_reset();
    for (int i = 0; i < 5; i++)
        sg_metrics_rpc(op, 0, 0.002);
    sg_metrics_rpc(op, 6, 0.02);
    sg_buf out;
    sg_buf_init(&out);
    sg_metrics_render(&out);
    sg_buf_append(&out, "", 1);
    const char *t = (const char *)sg_buf_head(&out);
    CHECK_EQ_INT(count_of(t, "service_requests_total{operation=\"StartWorkflowExecution\",status=\"OK\"}"), 5);
    CHECK_EQ_INT(count_of(t, "service_requests_total{operation=\"StartWorkflowExecution\",status=\"ALREADY_EXISTS\"}"), 1);
    CHECK_EQ_INT(count_of(t, "service_latency_seconds_count{operation=\"StartWorkflowExecution\"}"), 6);
    sg_metrics_reset();
    sg_metrics_rpc(op, 0, 0.002);
    sg_buf_reset(&out);
    sg_metrics_render(&out);
    sg_buf_append(&out, "", 1);
    t = (const char *)sg_buf_head(&out);
    CHECK_EQ_INT(count_of(t, "service_requests_total{operation=\"StartWorkflowExecution\",status=\"OK\"}"), 1);
    CHECK(strstr(t, "ALREADY_EXISTS") == NULL);
    sg_buf_deinit(&out);
    sg_metrics_reset();
}

/* A workflow type with a quote, a backslash and a newline is one series, its label escaped as
 * the text format wants; another type is another series. */
SG_TEST(metrics_label_values_escaped_and_counted_per_series)
{
    sg_metrics_reset();
    sg_metrics_workflow_closed("odd\"type\\with\nall", 2);
    sg_metrics_workflow_closed("odd\"type\\with\nall", 2);
    sg_metrics_workflow_closed("plain", 2);
    sg_buf out;
    sg_buf_init(&out);
    sg_metrics_render(&out);
    sg_buf_append(&out, "", 1);
    const char *t = (const char *)sg_buf_head(&out);
    CHECK(strstr(t, "workflow_type=\"odd\\\"type\\\\with\\nall\",status=\"Completed\"} 2") != NULL);
    CHECK(strstr(t, "workflow_type=\"plain\",status=\"Completed\"} 1") != NULL);
    sg_buf_deinit(&out);
    sg_metrics_reset();
}

/* Keys of every length around the hash's eight-byte steps, sharing long prefixes as run keys
 * do, survive growth and tombstone churn: each is found with its own value, deleted ones are
 * gone, and iteration sees exactly the live ones. */
SG_TEST(map_keys_of_every_length_with_shared_prefixes_survive_growth_and_churn)
{
    sg_map m;
    sg_map_init(&m);
    CHECK(sg_map_get(&m, "absent") == NULL); /* empty: no slots yet */
    CHECK(sg_map_del(&m, "absent") == NULL);
    enum { N = 3000 };
    char key[128];
    for (int i = 0; i < N; i++) {
        int len = snprintf(key, sizeof key, "0190e7a4-ns/%d", i);
        /* Lengths 1..100: pad some keys out, cut others short. */
        int want = 1 + i % 100;
        if (want < len)
            key[want] = 0;
        else
            for (; len < want; len++)
                key[len] = 'x', key[len + 1] = 0;
        uintptr_t old = (uintptr_t)sg_map_put(&m, key, (void *)(uintptr_t)(i + 1));
        /* A cut key may repeat an earlier one: the put replaces it and says so. */
        if (old)
            CHECK(sg_map_put(&m, key, (void *)(uintptr_t)(i + 1)) == (void *)(uintptr_t)(i + 1));
    }
    size_t live = sg_map_len(&m);
    CHECK(live > 1000);
    /* Delete every other live key, then put new ones over the tombstones. */
    const char *k;
    void *v;
    char **keys = malloc(live * sizeof *keys);
    size_t n = 0;
    for (size_t it = 0; sg_map_next(&m, &it, &k, &v);)
        keys[n++] = strdup(k);
    CHECK_EQ_INT(n, live);
    for (size_t i = 0; i < n; i += 2)
        CHECK(sg_map_del(&m, keys[i]) != NULL);
    for (size_t i = 0; i < n; i += 2)
        CHECK(sg_map_get(&m, keys[i]) == NULL);
    for (size_t i = 1; i < n; i += 2)
        CHECK(sg_map_get(&m, keys[i]) != NULL);
    CHECK_EQ_INT(sg_map_len(&m), n / 2);
    for (int i = 0; i < N; i++) {
        snprintf(key, sizeof key, "new/%d", i);
        CHECK(sg_map_put(&m, key, (void *)(uintptr_t)(i + 7)) == NULL);
    }
    for (int i = 0; i < N; i++) {
        snprintf(key, sizeof key, "new/%d", i);
        CHECK(sg_map_get(&m, key) == (void *)(uintptr_t)(i + 7));
    }
    size_t seen = 0;
    for (size_t it = 0; sg_map_next(&m, &it, &k, &v);)
        seen++;
    CHECK_EQ_INT(seen, n / 2 + N);
    for (size_t i = 0; i < n; i++)
        free(keys[i]);
    free(keys);
    sg_map_deinit(&m);
}
