/* sim_keymemo.c — per-worker direct-mapped memo of GetKey derivations (sim_keymemo.h).
 *
 * A slot is chosen by a 64-bit FNV-1a hash of (alg, purpose, path); the slot keeps the
 * hash and the exact strings, so a colliding key is a miss, never a wrong answer. A
 * miss that is then derived replaces the slot's entry: no eviction bookkeeping, O(1) on
 * both paths.
 */
#include "sim_keymemo.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "sim_limits.h"

typedef struct {
    uint64_t hash; /* 0: empty */
    uint8_t alg, purpose_len, path_len;
    char purpose[SIM_KEYMEMO_PURPOSE_MAX];
    char path[SIM_KEYMEMO_PATH_MAX];
    ds_derived_key dk;
} memo_entry;

typedef struct {
    memo_entry *slots;
    _Atomic uint64_t hits, misses;
} memo_table;

struct sim_keymemo {
    int workers;
    size_t entries; /* per worker, a power of two */
    memo_table t[];
};

sim_keymemo *sim_keymemo_new(int workers, size_t entries) {
    if (workers < 1 || entries == 0) return NULL;
    size_t n = 1;
    while (n < entries && n < SIM_KEYMEMO_MAX)
        n <<= 1;
    sim_keymemo *m = calloc(1, sizeof *m + (size_t)workers * sizeof m->t[0]);
    if (!m) return NULL;
    m->workers = workers;
    m->entries = n;
    for (int i = 0; i < workers; i++) {
        /* calloc: pages of slots never used are never touched, so an idle memo costs
         * no resident memory. */
        m->t[i].slots = calloc(n, sizeof(memo_entry));
        if (!m->t[i].slots) {
            sim_keymemo_free(m);
            return NULL;
        }
    }
    return m;
}

void sim_keymemo_free(sim_keymemo *m) {
    if (!m) return;
    for (int i = 0; i < m->workers; i++) {
        if (!m->t[i].slots) continue;
        for (size_t j = 0; j < m->entries; j++)
            if (m->t[i].slots[j].hash) sim_wipe(&m->t[i].slots[j], sizeof(memo_entry));
        free(m->t[i].slots);
    }
    free(m);
}

static uint64_t fnv1a(uint64_t h, const void *p, size_t n) {
    const uint8_t *b = p;
    for (size_t i = 0; i < n; i++)
        h = (h ^ b[i]) * 0x100000001b3ULL;
    return h;
}

/* The key's hash (never 0), or 0 when it is not memoizable. */
static uint64_t key_hash(ds_key_alg alg, const char *purpose, size_t purpose_len, const char *path,
                         size_t path_len) {
    if (purpose_len > SIM_KEYMEMO_PURPOSE_MAX || path_len > SIM_KEYMEMO_PATH_MAX) return 0;
    uint8_t sep[2] = {(uint8_t)alg, (uint8_t)purpose_len};
    uint64_t h = fnv1a(0xcbf29ce484222325ULL, sep, sizeof sep);
    h = fnv1a(h, purpose, purpose_len);
    h = fnv1a(h, path, path_len);
    return h ? h : 1;
}

static memo_table *table(sim_keymemo *m, int worker) {
    return m && worker >= 0 && worker < m->workers ? &m->t[worker] : NULL;
}

int sim_keymemo_get(sim_keymemo *m, int worker, ds_key_alg alg, const char *purpose,
                    size_t purpose_len, const char *path, size_t path_len, ds_derived_key *out) {
    memo_table *t = table(m, worker);
    if (!t) return 0;
    uint64_t h = key_hash(alg, purpose, purpose_len, path, path_len);
    const memo_entry *e = h ? &t->slots[h & (m->entries - 1)] : NULL;
    if (e && e->hash == h && e->alg == (uint8_t)alg && e->purpose_len == purpose_len &&
        e->path_len == path_len && !memcmp(e->purpose, purpose, purpose_len) &&
        !memcmp(e->path, path, path_len)) {
        *out = e->dk;
        atomic_fetch_add_explicit(&t->hits, 1, memory_order_relaxed);
        return 1;
    }
    atomic_fetch_add_explicit(&t->misses, 1, memory_order_relaxed);
    return 0;
}

void sim_keymemo_put(sim_keymemo *m, int worker, ds_key_alg alg, const char *purpose,
                     size_t purpose_len, const char *path, size_t path_len,
                     const ds_derived_key *dk) {
    memo_table *t = table(m, worker);
    uint64_t h = t ? key_hash(alg, purpose, purpose_len, path, path_len) : 0;
    if (!h) return;
    memo_entry *e = &t->slots[h & (m->entries - 1)];
    e->hash = h;
    e->alg = (uint8_t)alg;
    e->purpose_len = (uint8_t)purpose_len;
    e->path_len = (uint8_t)path_len;
    if (purpose_len) memcpy(e->purpose, purpose, purpose_len);
    if (path_len) memcpy(e->path, path, path_len);
    e->dk = *dk;
}

void sim_keymemo_stats(const sim_keymemo *m, uint64_t *hits, uint64_t *misses, size_t *entries) {
    uint64_t h = 0, s = 0;
    for (int i = 0; m && i < m->workers; i++) {
        h += atomic_load_explicit(&m->t[i].hits, memory_order_relaxed);
        s += atomic_load_explicit(&m->t[i].misses, memory_order_relaxed);
    }
    if (hits) *hits = h;
    if (misses) *misses = s;
    if (entries) *entries = m ? m->entries : 0;
}

void sim_keymemo_prometheus(const sim_keymemo *m, ds_buf *out) {
    uint64_t h, s;
    size_t n;
    sim_keymemo_stats(m, &h, &s, &n);
    ds_buf_printf(out,
                  "# HELP dstack_sim_key_memo_hits_total Key derivations (GetKey, "
                  "Tappd.DeriveK256Key, Sign) served from the per-worker memo (--key-cache).\n"
                  "# TYPE dstack_sim_key_memo_hits_total counter\n"
                  "dstack_sim_key_memo_hits_total %llu\n"
                  "# HELP dstack_sim_key_memo_misses_total Key derivations done afresh.\n"
                  "# TYPE dstack_sim_key_memo_misses_total counter\n"
                  "dstack_sim_key_memo_misses_total %llu\n"
                  "# HELP dstack_sim_key_memo_entries Key memo entries per worker (0: off).\n"
                  "# TYPE dstack_sim_key_memo_entries gauge\n"
                  "dstack_sim_key_memo_entries %zu\n",
                  (unsigned long long)h, (unsigned long long)s, n);
}

void sim_keymemo_summary(const sim_keymemo *m, FILE *f) {
    uint64_t h, s;
    size_t n;
    if (!m) return;
    sim_keymemo_stats(m, &h, &s, &n);
    if (h + s == 0) return;
    fprintf(f, "  GetKey memo: %llu hits, %llu misses (%zu entries per worker)\n",
            (unsigned long long)h, (unsigned long long)s, n);
}
