/* vf_pcstore.h — the quotes `dstack-verify serve` has seen through Phala Cloud's
 * attestation API, kept in memory for view / raw / collateral / recent: bounded by a count
 * and a byte total (oldest upload out first), forgotten on restart. Keyed by the SHA-256 of
 * the quote bytes (the API's checksum). Not thread-safe (the service has one thread). */
#ifndef VF_PCSTORE_H
#define VF_PCSTORE_H

#include <stddef.h>
#include <stdint.h>

#define VF_PC_STORE_MAX_QUOTES 1024       /* default count cap */
#define VF_PC_STORE_MAX_BYTES (16u << 20) /* default cap on stored quote bytes: 16 MiB */

typedef struct {
    uint8_t checksum[32];  /* SHA-256 of the quote */
    char checksum_hex[65]; /* lowercase hex */
    uint8_t *quote;        /* owned */
    size_t quote_len;
    int verified; /* the last verification's outcome */
    int have_ppid;
    uint8_t ppid[16];    /* from the quote's PCK certificate, when it parsed */
    int64_t uploaded_at; /* first upload, Unix seconds */
    int64_t verified_at; /* last verification */
} vf_pc_entry;

typedef struct {
    vf_pc_entry **e; /* oldest upload first */
    size_t n, cap;
    size_t bytes;      /* sum of quote_len */
    size_t max_quotes; /* 0 → VF_PC_STORE_MAX_QUOTES */
    size_t max_bytes;  /* 0 → VF_PC_STORE_MAX_BYTES */
    unsigned long evicted;
} vf_pc_store;

/* An empty store with the given caps (0 for the defaults). */
void vf_pc_store_init(vf_pc_store *s, size_t max_quotes, size_t max_bytes);
void vf_pc_store_free(vf_pc_store *s);

/* The entry for checksum, or NULL. */
vf_pc_entry *vf_pc_store_get(const vf_pc_store *s, const uint8_t checksum[32]);

/* The entry for a checksum given as 64 hex digits (either case), or NULL (also for text
 * that is not 64 hex digits). */
vf_pc_entry *vf_pc_store_get_hex(const vf_pc_store *s, const char *hex);

/* Records a verification of quote (checksum = its SHA-256): a new entry (uploaded_at =
 * verified_at = now; the oldest entries leave until both caps hold), or, for a quote
 * already held, its outcome and verified_at updated in place (uploaded_at and its place in
 * the upload order kept). ppid may be NULL. Returns the entry, or NULL when out of memory
 * or when the quote alone is larger than the byte cap (nothing is then stored). */
vf_pc_entry *vf_pc_store_put(vf_pc_store *s, const uint8_t *quote, size_t len,
                             const uint8_t checksum[32], int verified, const uint8_t *ppid,
                             int64_t now);

/* The i-th most recent upload (0 = newest), or NULL past the end. */
const vf_pc_entry *vf_pc_store_recent(const vf_pc_store *s, size_t i);

#endif
