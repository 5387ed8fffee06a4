/* SPDX-License-Identifier: Apache-2.0 */
/* map.c: open-addressing hash map with tombstones.
 *
 * Keys are run and queue keys of 40-80 bytes looked up several times per request, so the hash
 * reads eight bytes at a time (byte-at-a-time FNV-1a was 2-3 % of the server's instructions)
 * and ends with a full avalanche, since the slot is taken from the low bits. A lookup in an
 * empty map (pending updates and queries, mostly) hashes nothing.
 *
 * Grows at 70% occupancy counting tombstones, so probe chains stay short even under churn
 * (executions and pollers come and go constantly). */
#include "core/map.h"

#include <string.h>

static char tombstone_key;
#define TOMBSTONE (&tombstone_key)

static uint64_t mix(uint64_t h)
{
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ULL;
    h ^= h >> 33;
    return h;
}

static uint64_t hash_str(const char *s)
{
    size_t n = strlen(s);
    uint64_t h = 0x9e3779b97f4a7c15ULL ^ n;
    for (; n >= 8; s += 8, n -= 8) {
        uint64_t w;
        memcpy(&w, s, 8);
        h = (h ^ w) * 0x100000001b3ULL;
        h ^= h >> 29;
    }
    uint64_t w = 0;
    memcpy(&w, s, n);
    return mix(h ^ w);
}

void sg_map_init(sg_map *m)
{
    memset(m, 0, sizeof *m);
}

void sg_map_deinit(sg_map *m)
{
    for (size_t i = 0; i < m->cap; i++)
        if (m->slots[i].key && m->slots[i].key != TOMBSTONE)
            sg_free(m->slots[i].key);
    sg_free(m->slots);
    memset(m, 0, sizeof *m);
}

static sg_map_slot *find(const sg_map *m, const char *key, uint64_t h)
{
    if (!m->cap)
        return NULL;
    for (size_t i = h & (m->cap - 1);; i = (i + 1) & (m->cap - 1)) {
        sg_map_slot *s = &m->slots[i];
        if (!s->key)
            return NULL;
        if (s->key != TOMBSTONE && s->hash == h && strcmp(s->key, key) == 0)
            return s;
    }
}

static void grow(sg_map *m)
{
    size_t cap = m->cap ? m->cap * 2 : 16;
    while (m->len * 10 >= cap * 5)
        cap *= 2;
    sg_map_slot *old = m->slots;
    size_t old_cap = m->cap;
    m->slots = sg_calloc(cap, sizeof *m->slots);
    m->cap = cap;
    m->used = m->len;
    for (size_t i = 0; i < old_cap; i++) {
        sg_map_slot *s = &old[i];
        if (!s->key || s->key == TOMBSTONE)
            continue;
        size_t j = s->hash & (cap - 1);
        while (m->slots[j].key)
            j = (j + 1) & (cap - 1);
        m->slots[j] = *s;
    }
    sg_free(old);
}

void *sg_map_get(const sg_map *m, const char *key)
{
    if (!m->len)
        return NULL;
    sg_map_slot *s = find(m, key, hash_str(key));
    return s ? s->value : NULL;
}

void *sg_map_put(sg_map *m, const char *key, void *value)
{
    uint64_t h = hash_str(key);
    sg_map_slot *s = find(m, key, h);
    if (s) {
        void *old = s->value;
        s->value = value;
        return old;
    }
    if ((m->used + 1) * 10 > m->cap * 7)
        grow(m);
    size_t i = h & (m->cap - 1);
    while (m->slots[i].key && m->slots[i].key != TOMBSTONE)
        i = (i + 1) & (m->cap - 1);
    if (!m->slots[i].key)
        m->used++;
    m->slots[i] = (sg_map_slot){ sg_strdup(key), value, h };
    m->len++;
    return NULL;
}

void *sg_map_del(sg_map *m, const char *key)
{
    if (!m->len)
        return NULL;
    sg_map_slot *s = find(m, key, hash_str(key));
    if (!s)
        return NULL;
    void *v = s->value;
    sg_free(s->key);
    s->key = TOMBSTONE;
    s->value = NULL;
    m->len--;
    return v;
}

bool sg_map_next(const sg_map *m, size_t *iter, const char **key, void **value)
{
    for (; *iter < m->cap; (*iter)++) {
        sg_map_slot *s = &m->slots[*iter];
        if (s->key && s->key != TOMBSTONE) {
            *key = s->key;
            *value = s->value;
            (*iter)++;
            return true;
        }
    }
    return false;
}
