/* SPDX-License-Identifier: Apache-2.0 */
/* map.h: a string-keyed hash map (open addressing, linear probing) holding void pointers. */
#ifndef SG_MAP_H
#define SG_MAP_H

#include "core/sg.h"

typedef struct sg_map_slot {
    char *key; /* owned copy; NULL = empty; TOMBSTONE marks a deleted slot */
    void *value;
    uint64_t hash;
} sg_map_slot;

typedef struct sg_map {
    sg_map_slot *slots;
    size_t cap;  /* power of two */
    size_t len;  /* live entries */
    size_t used; /* live + tombstones */
} sg_map;

void sg_map_init(sg_map *m);
/* Frees the map's keys and slots, not the values (iterate first to free those). */
void sg_map_deinit(sg_map *m);
/* Returns the value for key or NULL. */
void *sg_map_get(const sg_map *m, const char *key);
/* Sets key (copied) to value, replacing and returning any previous value (else NULL). */
void *sg_map_put(sg_map *m, const char *key, void *value);
/* Removes key and returns its value, or NULL if absent. */
void *sg_map_del(sg_map *m, const char *key);
static inline size_t sg_map_len(const sg_map *m) { return m->len; }
/* Iteration: for (size_t i = 0; sg_map_next(m, &i, &k, &v);) — do not modify the map inside. */
bool sg_map_next(const sg_map *m, size_t *iter, const char **key, void **value);

#endif
