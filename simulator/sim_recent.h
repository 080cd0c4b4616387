/* sim_recent.h — what the dashboard shows of the simulator's recent work: the last key
 * requests (GetKey, Sign, Tappd.DeriveK256Key, v1 GetKey) and the last quote it built.
 *
 * Only public data is held: a request's path and purpose, or domain (cut to SIM_RECENT_TEXT
 * bytes for display), its algorithm, the derived PUBLIC key and the two chain links (and, for a
 * purpose too long to keep, the claim digest its app link signs). The app key and KMS root each
 * chain recovers to are worked out when the dashboard asks (sim_recent_key_recover), never on the
 * request's path. Never a private key, never a derived key.
 *
 * Each worker records into its own ring of SIM_RECENT_KEEP entries under its own mutex,
 * so recording never contends across workers; one atomic counter orders the entries of
 * all rings. The last quote is one slot under its own mutex.
 */
#ifndef SIM_RECENT_H
#define SIM_RECENT_H

#include <stddef.h>
#include <stdint.h>

#include "ds_chain.h"
#include "ds_json.h"

#define SIM_RECENT_KEEP 32  /* key requests kept per worker */
#define SIM_RECENT_TEXT 160 /* bytes of path, purpose or domain kept for display */

typedef struct sim_recent sim_recent;

typedef struct {
    uint64_t seq;                   /* 1, 2, … across all workers, in recording order */
    int64_t unix_ms;                /* wall-clock time of the request */
    const char *method;             /* "GetKey", "Sign", … (a static string) */
    int v1;                         /* a /v1/GetKey: path holds the domain, the v1 claim */
    char path[SIM_RECENT_TEXT + 1]; /* NUL-terminated, possibly cut */
    size_t path_len;                /* the full length */
    char purpose[SIM_RECENT_TEXT + 1];
    size_t purpose_len;
    char algorithm[24];
    uint8_t pub[33];              /* derived public key */
    size_t pub_len;               /* 33 (secp256k1) or 32 (ed25519) */
    int have_digest;              /* claim_digest is set (the purpose or domain was cut) */
    uint8_t claim_digest[32];     /* keccak256 of the claim: what link0 signs */
    uint8_t link0[65], link1[65]; /* the signature chain as returned */
} sim_recent_key;

/* One ring per worker. NULL on allocation failure. */
sim_recent *sim_recent_new(int workers);
void sim_recent_free(sim_recent *r);

/* Records a key request served by worker (r may be NULL: nothing recorded). path, purpose
 * and algorithm are bytes as received (any length); dk's private key is not read. */
void sim_recent_key_add(sim_recent *r, int worker, const char *method, const char *path,
                        size_t path_len, const char *purpose, size_t purpose_len,
                        const char *algorithm, const ds_derived_key *dk, const uint8_t link1[65]);

/* Records a /v1/GetKey request (dstack 0.6): domain instead of path and purpose, and the
 * v1 claim (ds_chain.h). algorithm is the canonical v1 name. */
void sim_recent_v1_key_add(sim_recent *r, int worker, const char *domain, size_t domain_len,
                           const char *algorithm, const ds_derived_key *dk,
                           const uint8_t link1[65]);

/* Copies the recorded requests with seq > after, newest first, into out (capacity cap).
 * Returns how many were copied; *total gets the number ever recorded. */
size_t sim_recent_keys(sim_recent *r, uint64_t after, sim_recent_key *out, size_t cap,
                       uint64_t *total);

/* What a chain recovers to under dstack's canonical rules (ds_chain.h: v0, or v1 for a
 * /v1/GetKey). */
typedef struct {
    int have_app; /* link0 recovered an app key */
    uint8_t app_pub[33];
    int have_root; /* link1 over that app key recovered a KMS root */
    uint8_t root_pub[33];
    uint8_t root_addr[20];
} sim_recent_chain;

/* Recovers k's chain for app_id. Fills *out (zeroed first). */
void sim_recent_key_recover(const sim_recent_key *k, const uint8_t app_id[20],
                            sim_recent_chain *out);

/* Records the last quote built (copied), with the number of event-log entries it
 * covers. r may be NULL. */
void sim_recent_quote_set(sim_recent *r, const uint8_t *quote, size_t len, size_t events);
/* Appends the last quote's bytes to out. Returns its sequence number (1 for the first
 * quote built, …; 0: none yet, out untouched) and fills *unix_ms and *events. */
uint64_t sim_recent_quote_get(sim_recent *r, ds_buf *out, int64_t *unix_ms, size_t *events);

#endif
