/* SPDX-License-Identifier: Apache-2.0 */
/* timerq.c: a binary min-heap of (fire time, sequence, key) with lazy deletion.
 *
 * Setting a key again does not search the heap: the map records the key's current sequence
 * and time, and heap entries whose sequence is no longer current are dropped when they reach
 * the top. When stale entries outnumber live ones the heap is rebuilt from the map, which
 * bounds memory under churn. */
#include "timer/timerq.h"

#include "core/clock.h"
#include "core/map.h"

#include <string.h>

typedef struct entry {
    int64_t fire_at_ms;
    uint64_t seq;
    char *key;
} entry;

typedef struct live {
    uint64_t seq;
    int64_t fire_at_ms;
} live;

struct sg_timerq {
    uv_timer_t timer;
    entry *heap;
    size_t n, cap;
    sg_map live; /* key -> live */
    uint64_t next_seq;
    int64_t armed_for_ms; /* fire time the uv timer is armed for; 0 = not armed */
    sg_timerq_fire_fn fn;
    void *ud;
    bool in_fire;
};

static bool before(const entry *a, const entry *b)
{
    return a->fire_at_ms < b->fire_at_ms || (a->fire_at_ms == b->fire_at_ms && a->seq < b->seq);
}

static void sift_up(sg_timerq *q, size_t i)
{
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (!before(&q->heap[i], &q->heap[p]))
            break;
        entry t = q->heap[i];
        q->heap[i] = q->heap[p];
        q->heap[p] = t;
        i = p;
    }
}

static void sift_down(sg_timerq *q, size_t i)
{
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < q->n && before(&q->heap[l], &q->heap[m]))
            m = l;
        if (r < q->n && before(&q->heap[r], &q->heap[m]))
            m = r;
        if (m == i)
            return;
        entry t = q->heap[i];
        q->heap[i] = q->heap[m];
        q->heap[m] = t;
        i = m;
    }
}

static void push(sg_timerq *q, const char *key, int64_t at, uint64_t seq)
{
    if (q->n == q->cap) {
        q->cap = q->cap ? q->cap * 2 : 64;
        q->heap = sg_realloc(q->heap, q->cap * sizeof *q->heap);
    }
    q->heap[q->n] = (entry){ at, seq, sg_strdup(key) };
    sift_up(q, q->n++);
}

static void pop(sg_timerq *q)
{
    sg_free(q->heap[0].key);
    q->heap[0] = q->heap[--q->n];
    if (q->n)
        sift_down(q, 0);
}

static bool is_current(const sg_timerq *q, const entry *e)
{
    live *l = sg_map_get(&q->live, e->key);
    return l && l->seq == e->seq;
}

/* Drops stale entries from the top so heap[0], if any, is a live one. */
static void skip_stale(sg_timerq *q)
{
    while (q->n && !is_current(q, &q->heap[0]))
        pop(q);
}

static void on_timer(uv_timer_t *t);

static void rearm(sg_timerq *q)
{
    if (q->in_fire)
        return;
    skip_stale(q);
    if (!q->n) {
        uv_timer_stop(&q->timer);
        q->armed_for_ms = 0;
        return;
    }
    int64_t at = q->heap[0].fire_at_ms;
    if (q->armed_for_ms == at && uv_is_active((uv_handle_t *)&q->timer))
        return;
    int64_t delay = at - sg_clock_now_ms();
    uv_timer_start(&q->timer, on_timer, delay > 0 ? (uint64_t)delay : 0, 0);
    q->armed_for_ms = at;
}

void sg_timerq_run_due(sg_timerq *q)
{
    q->in_fire = true;
    int64_t now = sg_clock_now_ms();
    for (;;) {
        skip_stale(q);
        if (!q->n || q->heap[0].fire_at_ms > now)
            break;
        char *key = q->heap[0].key;
        q->heap[0].key = NULL;
        pop(q);
        sg_free(sg_map_del(&q->live, key));
        q->fn(q->ud, key);
        sg_free(key);
    }
    q->in_fire = false;
    q->armed_for_ms = 0;
    rearm(q);
}

int64_t sg_timerq_next_due(sg_timerq *q)
{
    skip_stale(q);
    return q->n ? q->heap[0].fire_at_ms : 0;
}

void sg_timerq_clock_moved(sg_timerq *q)
{
    q->armed_for_ms = 0;
    rearm(q);
}

static void on_timer(uv_timer_t *t)
{
    sg_timerq_run_due(t->data);
}

sg_timerq *sg_timerq_new(uv_loop_t *loop, sg_timerq_fire_fn fn, void *ud)
{
    sg_timerq *q = sg_calloc(1, sizeof *q);
    uv_timer_init(loop, &q->timer);
    q->timer.data = q;
    sg_map_init(&q->live);
    q->fn = fn;
    q->ud = ud;
    /* Pending wake-ups alone must not keep a stopping server alive. */
    uv_unref((uv_handle_t *)&q->timer);
    return q;
}

static void on_closed(uv_handle_t *h)
{
    sg_free(h->data);
}

void sg_timerq_free(sg_timerq *q)
{
    if (!q)
        return;
    for (size_t i = 0; i < q->n; i++)
        sg_free(q->heap[i].key);
    sg_free(q->heap);
    const char *k;
    void *v;
    for (size_t it = 0; sg_map_next(&q->live, &it, &k, &v);)
        sg_free(v);
    sg_map_deinit(&q->live);
    uv_close((uv_handle_t *)&q->timer, on_closed);
}

static void compact(sg_timerq *q)
{
    size_t w = 0;
    for (size_t i = 0; i < q->n; i++) {
        if (is_current(q, &q->heap[i]))
            q->heap[w++] = q->heap[i];
        else
            sg_free(q->heap[i].key);
    }
    q->n = w;
    for (size_t i = q->n / 2; i-- > 0;)
        sift_down(q, i);
}

void sg_timerq_set(sg_timerq *q, const char *key, int64_t fire_at_ms)
{
    live *l = sg_map_get(&q->live, key);
    if (fire_at_ms <= 0) {
        if (l)
            sg_free(sg_map_del(&q->live, key));
        rearm(q);
        return;
    }
    if (l && l->fire_at_ms == fire_at_ms)
        return;
    if (!l) {
        l = sg_malloc(sizeof *l);
        sg_map_put(&q->live, key, l);
    }
    l->seq = ++q->next_seq;
    l->fire_at_ms = fire_at_ms;
    push(q, key, fire_at_ms, l->seq);
    if (q->n > 64 && q->n > 2 * sg_map_len(&q->live))
        compact(q);
    rearm(q);
}

int64_t sg_timerq_get(const sg_timerq *q, const char *key)
{
    live *l = sg_map_get(&q->live, key);
    return l ? l->fire_at_ms : 0;
}

size_t sg_timerq_len(const sg_timerq *q)
{
    return sg_map_len(&q->live);
}
