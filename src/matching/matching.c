/* SPDX-License-Identifier: Apache-2.0 */
/* matching.c: per-queue FIFO of task references and FIFO of parked pollers.
 *
 * Invariant: a queue never has both a non-empty backlog and a parked poller — whenever a
 * task arrives with pollers waiting, or a poller arrives with tasks queued, they are paired
 * at once (offers continue past stale tasks). Pollers are served in arrival order, which is
 * the fairness the SDK's many concurrent pollers expect. A parked poller owns a uv timer for
 * its wait; its memory is released in the timer's close callback. */
#include "matching/matching.h"

#include "core/clock.h"
#include "core/map.h"

#include <stdlib.h>
#include <string.h>

#define RECENT_POLLER_MS (5 * 60 * 1000)
#define MAX_RECENT_POLLERS 64

typedef struct task {
    char *namespace_id, *workflow_id, *run_id;
    int64_t scheduled_event_id;
    int64_t stamp;
} task;

typedef struct recent {
    char *identity;
    int64_t last_ms;
} recent;

typedef struct queue {
    task *ring;
    size_t head, n, cap;
    sg_poller *first, *last;
    int64_t last_poll_mono_ms;
    recent recents[MAX_RECENT_POLLERS];
    size_t n_recents;
} queue;

struct sg_poller {
    sg_matching *m;
    queue *q;
    sg_poller *prev, *next;
    uv_timer_t timer;
    char *namespace_id;
    char *identity;
    char *worker_key; /* worker_instance_key, or identity */
    sg_poll_offer_fn offer;
    sg_poll_empty_fn empty;
    void *ud;
};

struct sg_matching {
    uv_loop_t *loop;
    sg_map queues; /* "ns\x1fkind\x1fname" -> queue */
    bool is_shut_down;
    /* "ns\x1fworker key" -> shutdown time (int64_t *, sg_clock_mono_ms): workers that said
     * ShutdownWorker; their later polls end empty at once. */
    sg_map gone_workers;
};

/* How long a worker that shut down is remembered (its straggling polls answered empty). */
#define GONE_WORKER_MS (5 * 60 * 1000)

static char *queue_key(const char *ns, sg_task_kind kind, const char *name)
{
    sg_assert(kind >= 0 && kind <= 9);
    const char k[] = { '\x1f', (char)('0' + kind), '\x1f', 0 };
    return sg_concat((const char *[]){ ns, k, name }, 3);
}

static queue *get_queue(sg_matching *m, const char *ns, sg_task_kind kind, const char *name,
                        bool create)
{
    char *k = queue_key(ns, kind, name);
    queue *q = sg_map_get(&m->queues, k);
    if (!q && create) {
        q = sg_calloc(1, sizeof *q);
        q->last_poll_mono_ms = -1;
        sg_map_put(&m->queues, k, q);
    }
    sg_free(k);
    return q;
}

static void task_free(task *t)
{
    sg_free(t->namespace_id);
    sg_free(t->workflow_id);
    sg_free(t->run_id);
}

static void ring_push(queue *q, const sg_task_ref *r)
{
    if (q->n == q->cap) {
        size_t cap = q->cap ? q->cap * 2 : 16;
        task *ring = sg_malloc(cap * sizeof *ring);
        for (size_t i = 0; i < q->n; i++)
            ring[i] = q->ring[(q->head + i) % q->cap];
        sg_free(q->ring);
        q->ring = ring;
        q->cap = cap;
        q->head = 0;
    }
    q->ring[(q->head + q->n) % q->cap] =
        (task){ sg_strdup(r->namespace_id), sg_strdup(r->workflow_id), sg_strdup(r->run_id),
                r->scheduled_event_id, r->stamp };
    q->n++;
}

static task ring_pop(queue *q)
{
    task t = q->ring[q->head];
    q->head = (q->head + 1) % q->cap;
    q->n--;
    return t;
}

static sg_task_ref as_ref(const task *t)
{
    return (sg_task_ref){ t->namespace_id, t->workflow_id, t->run_id, t->scheduled_event_id,
                          t->stamp };
}

static void on_poller_closed(uv_handle_t *h)
{
    sg_poller *p = h->data;
    sg_free(p->namespace_id);
    sg_free(p->identity);
    sg_free(p->worker_key);
    sg_free(p);
}

static void unlink_poller(sg_poller *p)
{
    queue *q = p->q;
    if (p->prev)
        p->prev->next = p->next;
    else
        q->first = p->next;
    if (p->next)
        p->next->prev = p->prev;
    else
        q->last = p->prev;
    p->prev = p->next = NULL;
}

static void link_head(sg_poller *p)
{
    queue *q = p->q;
    p->prev = NULL;
    p->next = q->first;
    if (q->first)
        q->first->prev = p;
    else
        q->last = p;
    q->first = p;
}

/* Releases an unlinked poller; its memory goes when its timer has closed. */
static void poller_free(sg_poller *p)
{
    uv_timer_stop(&p->timer);
    uv_close((uv_handle_t *)&p->timer, on_poller_closed);
}

static void poller_release(sg_poller *p)
{
    unlink_poller(p);
    poller_free(p);
}

static void on_poll_expired(uv_timer_t *t)
{
    sg_poller *p = t->data;
    sg_poll_empty_fn empty = p->empty;
    void *ud = p->ud;
    poller_release(p);
    empty(ud);
}

static void note_poller(queue *q, const char *identity)
{
    int64_t now = sg_clock_now_ms();
    q->last_poll_mono_ms = sg_clock_mono_ms();
    size_t oldest = 0;
    for (size_t i = 0; i < q->n_recents; i++) {
        if (strcmp(q->recents[i].identity, identity) == 0) {
            q->recents[i].last_ms = now;
            return;
        }
        if (q->recents[i].last_ms < q->recents[oldest].last_ms)
            oldest = i;
    }
    if (q->n_recents < MAX_RECENT_POLLERS) {
        q->recents[q->n_recents++] = (recent){ sg_strdup(identity), now };
    } else {
        sg_free(q->recents[oldest].identity);
        q->recents[oldest] = (recent){ sg_strdup(identity), now };
    }
}

void sg_matching_add(sg_matching *m, sg_task_kind kind, const char *queue_name,
                     const sg_task_ref *t)
{
    queue *q = get_queue(m, t->namespace_id, kind, queue_name, true);
    if (q->first) {
        sg_poller *p = q->first;
        /* Unlinked during the offer: the work it starts may poll this queue again. */
        unlink_poller(p);
        if (p->offer(p->ud, t)) {
            poller_free(p);
            return;
        }
        /* A stale task is dropped; the poller keeps its place at the head. */
        link_head(p);
        return;
    }
    ring_push(q, t);
}

static char *gone_key(const char *namespace_id, const char *worker_key)
{
    return sg_concat((const char *[]){ namespace_id, "\x1f", worker_key }, 3);
}

/* Whether the worker said ShutdownWorker recently (forgetting it after GONE_WORKER_MS). */
static bool worker_is_gone(sg_matching *m, const char *namespace_id, const char *worker_key)
{
    if (!worker_key || !*worker_key || !sg_map_len(&m->gone_workers))
        return false;
    char *k = gone_key(namespace_id, worker_key);
    int64_t *at = sg_map_get(&m->gone_workers, k);
    bool gone = at && sg_clock_mono_ms() - *at < GONE_WORKER_MS;
    if (at && !gone)
        sg_free(sg_map_del(&m->gone_workers, k));
    sg_free(k);
    return gone;
}

sg_poller *sg_matching_poll(sg_matching *m, const char *namespace_id, sg_task_kind kind,
                            const char *queue_name, const char *identity, int64_t wait_ms,
                            sg_poll_offer_fn offer, sg_poll_empty_fn empty, void *ud)
{
    return sg_matching_poll_as(m, namespace_id, kind, queue_name, identity, identity, wait_ms,
                               offer, empty, ud);
}

sg_poller *sg_matching_poll_as(sg_matching *m, const char *namespace_id, sg_task_kind kind,
                               const char *queue_name, const char *identity,
                               const char *worker_key, int64_t wait_ms, sg_poll_offer_fn offer,
                               sg_poll_empty_fn empty, void *ud)
{
    if (worker_is_gone(m, namespace_id, worker_key)) {
        /* A poll that was already on its way when its worker shut down: no task for it. */
        empty(ud);
        return NULL;
    }
    queue *q = get_queue(m, namespace_id, kind, queue_name, true);
    note_poller(q, identity ? identity : "");
    while (q->n) {
        task t = ring_pop(q);
        sg_task_ref r = as_ref(&t);
        bool taken = offer(ud, &r);
        task_free(&t);
        if (taken)
            return NULL;
    }
    if (m->is_shut_down || wait_ms <= 0) {
        empty(ud);
        return NULL;
    }
    sg_poller *p = sg_calloc(1, sizeof *p);
    p->m = m;
    p->q = q;
    p->namespace_id = sg_strdup(namespace_id);
    p->identity = sg_strdup(identity ? identity : "");
    p->worker_key = sg_strdup(worker_key ? worker_key : "");
    p->offer = offer;
    p->empty = empty;
    p->ud = ud;
    p->prev = q->last;
    if (q->last)
        q->last->next = p;
    else
        q->first = p;
    q->last = p;
    uv_timer_init(m->loop, &p->timer);
    p->timer.data = p;
    uv_timer_start(&p->timer, on_poll_expired, (uint64_t)wait_ms, 0);
    return p;
}

void sg_matching_cancel(sg_matching *m, sg_poller *p)
{
    SG_UNUSED(m);
    poller_release(p);
}

static size_t end_polls(sg_matching *m, const char *namespace_id, const char *identity)
{
    size_t n = 0;
    const char *k;
    void *v;
    for (size_t it = 0; sg_map_next(&m->queues, &it, &k, &v);) {
        queue *q = v;
        for (sg_poller *p = q->first, *next; p; p = next) {
            next = p->next;
            if (namespace_id && strcmp(p->namespace_id, namespace_id) != 0)
                continue;
            if (identity && strcmp(p->worker_key, identity) != 0)
                continue;
            sg_poll_empty_fn empty = p->empty;
            void *ud = p->ud;
            poller_release(p);
            empty(ud);
            n++;
        }
    }
    return n;
}

void sg_matching_shutdown(sg_matching *m)
{
    m->is_shut_down = true;
    end_polls(m, NULL, NULL);
}

size_t sg_matching_end_polls_of(sg_matching *m, const char *namespace_id, const char *worker_key)
{
    return end_polls(m, namespace_id, worker_key);
}

size_t sg_matching_worker_shutdown(sg_matching *m, const char *namespace_id,
                                   const char *worker_key)
{
    if (!worker_key || !*worker_key)
        return 0;
    char *k = gone_key(namespace_id, worker_key);
    int64_t *at = sg_malloc(sizeof *at);
    *at = sg_clock_mono_ms();
    sg_free(sg_map_put(&m->gone_workers, k, at));
    sg_free(k);
    return end_polls(m, namespace_id, worker_key);
}

size_t sg_matching_backlog(sg_matching *m, const char *namespace_id, sg_task_kind kind,
                           const char *queue_name)
{
    queue *q = get_queue(m, namespace_id, kind, queue_name, false);
    return q ? q->n : 0;
}

int64_t sg_matching_idle_ms(sg_matching *m, const char *namespace_id, sg_task_kind kind,
                            const char *queue_name)
{
    queue *q = get_queue(m, namespace_id, kind, queue_name, false);
    if (!q || q->last_poll_mono_ms < 0)
        return -1;
    if (q->first)
        return 0; /* a poller is waiting right now */
    return sg_clock_mono_ms() - q->last_poll_mono_ms;
}

void sg_matching_pollers(sg_matching *m, const char *namespace_id, sg_task_kind kind,
                         const char *queue_name, sg_poller_info_cb cb, void *ud)
{
    queue *q = get_queue(m, namespace_id, kind, queue_name, false);
    if (!q)
        return;
    int64_t now = sg_clock_now_ms();
    for (size_t i = 0; i < q->n_recents; i++)
        if (now - q->recents[i].last_ms <= RECENT_POLLER_MS)
            cb(ud, q->recents[i].identity, q->recents[i].last_ms);
}

sg_matching *sg_matching_new(uv_loop_t *loop)
{
    sg_matching *m = sg_calloc(1, sizeof *m);
    m->loop = loop;
    sg_map_init(&m->queues);
    sg_map_init(&m->gone_workers);
    return m;
}

void sg_matching_free(sg_matching *m)
{
    if (!m)
        return;
    const char *k;
    void *v;
    for (size_t it = 0; sg_map_next(&m->queues, &it, &k, &v);) {
        queue *q = v;
        sg_assert(!q->first);
        while (q->n) {
            task t = ring_pop(q);
            task_free(&t);
        }
        for (size_t i = 0; i < q->n_recents; i++)
            sg_free(q->recents[i].identity);
        sg_free(q->ring);
        sg_free(q);
    }
    sg_map_deinit(&m->queues);
    for (size_t it = 0; sg_map_next(&m->gone_workers, &it, &k, &v);)
        sg_free(v);
    sg_map_deinit(&m->gone_workers);
    sg_free(m);
}

void sg_matching_each_queue(sg_matching *m, sg_queue_stats_cb cb, void *ud)
{
    const char *k;
    void *v;
    for (size_t it = 0; sg_map_next(&m->queues, &it, &k, &v);) {
        const queue *q = v;
        /* The key is "namespace\x1fkind\x1fname". */
        const char *s1 = strchr(k, '\x1f'), *s2 = s1 ? strchr(s1 + 1, '\x1f') : NULL;
        if (!s2)
            continue;
        char *ns = sg_strndup(k, (size_t)(s1 - k));
        size_t parked = 0;
        for (const sg_poller *p = q->first; p; p = p->next)
            parked++;
        cb(ud, ns, (sg_task_kind)atoi(s1 + 1), s2 + 1, q->n, parked);
        sg_free(ns);
    }
}
