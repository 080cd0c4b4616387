/* sim_recent.c — per-worker rings of recent key requests and the last quote (see
 * sim_recent.h). Public data only.
 */
#include "sim_recent.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ds_secp.h"

typedef struct {
    pthread_mutex_t lock;
    sim_recent_key ring[SIM_RECENT_KEEP];
    size_t n;    /* entries held (≤ SIM_RECENT_KEEP) */
    size_t next; /* slot the next entry goes to */
} recent_ring;

struct sim_recent {
    int nrings;
    recent_ring *rings;
    atomic_uint_fast64_t seq; /* the last sequence number handed out */
    pthread_mutex_t quote_lock;
    uint8_t *quote; /* the last quote built (malloc'd), or NULL */
    size_t quote_len, quote_events;
    int64_t quote_ms;
    uint64_t quote_seq;
};

static int64_t now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

sim_recent *sim_recent_new(int workers) {
    if (workers < 1) workers = 1;
    sim_recent *r = calloc(1, sizeof(*r));
    if (!r) return NULL;
    r->rings = calloc((size_t)workers, sizeof(*r->rings));
    if (!r->rings) {
        free(r);
        return NULL;
    }
    r->nrings = workers;
    for (int i = 0; i < workers; i++)
        pthread_mutex_init(&r->rings[i].lock, NULL);
    pthread_mutex_init(&r->quote_lock, NULL);
    atomic_init(&r->seq, 0);
    return r;
}

void sim_recent_free(sim_recent *r) {
    if (!r) return;
    for (int i = 0; i < r->nrings; i++)
        pthread_mutex_destroy(&r->rings[i].lock);
    pthread_mutex_destroy(&r->quote_lock);
    free(r->rings);
    free(r->quote);
    free(r);
}

/* Copies at most max bytes of s (dst holds max + 1), cut back to a UTF-8 character
 * boundary, NUL-terminated. */
static void keep_text(char *dst, size_t max, const char *s, size_t n) {
    if (n > max) {
        n = max;
        while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
            n--;
    }
    memcpy(dst, s, n);
    dst[n] = '\0';
}

/* The claim link0 signs: v0 keccak256(purpose ":" hex(pub)), v1 the length-prefixed claim
 * over (alg, domain, pub). path/purpose are the full request values. */
static ds_err claim_digest(int v1, const char *algorithm, const char *path, size_t path_len,
                           const char *purpose, size_t purpose_len, const uint8_t *pub,
                           size_t pub_len, uint8_t out[32]) {
    return v1 ? ds_chain_v1_claim_digest(algorithm, path, path_len, pub, pub_len, out)
              : ds_chain_claim_digest(purpose, purpose_len, pub, pub_len, out);
}

static void record(sim_recent *r, int worker, const char *method, int v1, const char *path,
                   size_t path_len, const char *purpose, size_t purpose_len, const char *algorithm,
                   const ds_derived_key *dk, const uint8_t link1[65]) {
    sim_recent_key k;
    k.unix_ms = now_ms();
    k.method = method;
    k.v1 = v1;
    keep_text(k.path, SIM_RECENT_TEXT, path, path_len);
    k.path_len = path_len;
    keep_text(k.purpose, SIM_RECENT_TEXT, purpose, purpose_len);
    k.purpose_len = purpose_len;
    keep_text(k.algorithm, sizeof k.algorithm - 1, algorithm, strlen(algorithm));
    memcpy(k.pub, dk->pub, dk->pub_len);
    k.pub_len = dk->pub_len;
    /* The claim digest is worked out when the dashboard asks, from what is kept here; only
     * a value too long to keep costs a hash on the request's path. */
    k.have_digest = path_len > SIM_RECENT_TEXT || purpose_len > SIM_RECENT_TEXT;
    if (!k.have_digest || claim_digest(v1, k.algorithm, path, path_len, purpose, purpose_len,
                                       dk->pub, dk->pub_len, k.claim_digest) != DS_OK)
        memset(k.claim_digest, 0, sizeof k.claim_digest);
    memcpy(k.link0, dk->link0, 65);
    memcpy(k.link1, link1, 65);
    recent_ring *ring = &r->rings[(unsigned)worker % (unsigned)r->nrings];
    pthread_mutex_lock(&ring->lock);
    k.seq = atomic_fetch_add_explicit(&r->seq, 1, memory_order_relaxed) + 1;
    ring->ring[ring->next] = k;
    ring->next = (ring->next + 1) % SIM_RECENT_KEEP;
    if (ring->n < SIM_RECENT_KEEP) ring->n++;
    pthread_mutex_unlock(&ring->lock);
}

void sim_recent_key_add(sim_recent *r, int worker, const char *method, const char *path,
                        size_t path_len, const char *purpose, size_t purpose_len,
                        const char *algorithm, const ds_derived_key *dk, const uint8_t link1[65]) {
    if (r) record(r, worker, method, 0, path, path_len, purpose, purpose_len, algorithm, dk, link1);
}

void sim_recent_v1_key_add(sim_recent *r, int worker, const char *domain, size_t domain_len,
                           const char *algorithm, const ds_derived_key *dk,
                           const uint8_t link1[65]) {
    if (r) record(r, worker, "v1.GetKey", 1, domain, domain_len, "", 0, algorithm, dk, link1);
}

static int newer_first(const void *a, const void *b) {
    uint64_t x = ((const sim_recent_key *)a)->seq, y = ((const sim_recent_key *)b)->seq;
    return x < y ? 1 : x > y ? -1 : 0;
}

size_t sim_recent_keys(sim_recent *r, uint64_t after, sim_recent_key *out, size_t cap,
                       uint64_t *total) {
    *total = 0;
    if (!r) return 0;
    size_t all = (size_t)r->nrings * SIM_RECENT_KEEP, n = 0;
    sim_recent_key *tmp = malloc(all * sizeof(*tmp));
    if (!tmp) return 0;
    for (int i = 0; i < r->nrings; i++) {
        recent_ring *ring = &r->rings[i];
        pthread_mutex_lock(&ring->lock);
        for (size_t j = 0; j < ring->n; j++)
            if (ring->ring[j].seq > after) tmp[n++] = ring->ring[j];
        pthread_mutex_unlock(&ring->lock);
    }
    *total = atomic_load_explicit(&r->seq, memory_order_relaxed);
    qsort(tmp, n, sizeof(*tmp), newer_first);
    if (n > cap) n = cap;
    if (n) memcpy(out, tmp, n * sizeof(*tmp));
    free(tmp);
    return n;
}

void sim_recent_key_recover(const sim_recent_key *k, const uint8_t app_id[20],
                            sim_recent_chain *out) {
    memset(out, 0, sizeof(*out));
    uint8_t claim[32];
    if (k->have_digest)
        memcpy(claim, k->claim_digest, 32);
    else if (claim_digest(k->v1, k->algorithm, k->path, k->path_len, k->purpose, k->purpose_len,
                          k->pub, k->pub_len, claim) != DS_OK)
        return;
    if (ds_secp_recover(claim, k->link0, 0, out->app_pub) != DS_OK) return;
    out->have_app = 1;
    uint8_t d[32];
    ds_chain_kms_digest(app_id, out->app_pub, d);
    if (ds_secp_recover(d, k->link1, 0, out->root_pub) != DS_OK ||
        ds_secp_address(out->root_pub, 33, out->root_addr) != DS_OK)
        return;
    out->have_root = 1;
}

void sim_recent_quote_set(sim_recent *r, const uint8_t *quote, size_t len, size_t events) {
    if (!r) return;
    uint8_t *copy = malloc(len ? len : 1);
    if (!copy) return; /* the dashboard keeps showing the previous one */
    memcpy(copy, quote, len);
    int64_t ms = now_ms();
    pthread_mutex_lock(&r->quote_lock);
    uint8_t *old = r->quote;
    r->quote = copy;
    r->quote_len = len;
    r->quote_events = events;
    r->quote_ms = ms;
    r->quote_seq++;
    pthread_mutex_unlock(&r->quote_lock);
    free(old);
}

uint64_t sim_recent_quote_get(sim_recent *r, ds_buf *out, int64_t *unix_ms, size_t *events) {
    if (!r) return 0;
    pthread_mutex_lock(&r->quote_lock);
    uint64_t seq = r->quote_seq;
    if (seq) {
        ds_buf_append(out, r->quote, r->quote_len);
        *unix_ms = r->quote_ms;
        *events = r->quote_events;
    }
    pthread_mutex_unlock(&r->quote_lock);
    return seq;
}
