/* sim_keymemo.h — a per-worker memo of GetKey derivations.
 *
 * GetKey(path, purpose, algorithm) is a pure function of the app key: HKDF, the public
 * key and an RFC 6979 (deterministic) recoverable signature. Test suites ask for the same
 * few paths over and over, and Sign derives GetKey("vms", "signing") on every call, so
 * each worker keeps the last derivations in a small direct-mapped table and answers a
 * repeated key without redoing the elliptic-curve work (GetKey, Tappd.DeriveK256Key and
 * Sign share it through sim_derive_key). A hit gives exactly the bytes a fresh derivation
 * would (the tests compare replies with a memo-off simulator).
 *
 * Each worker owns its own table: a worker only ever touches the table at its index, so
 * workers share nothing mutable (the hit/miss counters are atomics, read by /metrics).
 * Entries hold derived private keys; sim_keymemo_free wipes them.
 */
#ifndef SIM_KEYMEMO_H
#define SIM_KEYMEMO_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "ds_chain.h"
#include "ds_json.h"

#define SIM_KEYMEMO_DEFAULT 256 /* entries per worker (--key-cache) */
#define SIM_KEYMEMO_MAX 65536
#define SIM_KEYMEMO_PATH_MAX 128   /* longer paths are derived every time */
#define SIM_KEYMEMO_PURPOSE_MAX 64 /* likewise purposes */

typedef struct sim_keymemo sim_keymemo;

/* Tables for `workers` workers of `entries` each (rounded up to a power of two, at most
 * SIM_KEYMEMO_MAX). Returns NULL when entries is 0 (the memo is off) or on allocation
 * failure; every function below accepts NULL and then does nothing. */
sim_keymemo *sim_keymemo_new(int workers, size_t entries);
/* Wipes every entry and frees. */
void sim_keymemo_free(sim_keymemo *m);

/* Worker `worker`'s derivation of (alg, purpose, path): 1 and *out filled on a hit, 0 on
 * a miss (or when the key is too long to memoize, the worker index is out of range or m
 * is NULL). Counts the hit or miss. */
int sim_keymemo_get(sim_keymemo *m, int worker, ds_key_alg alg, const char *purpose,
                    size_t purpose_len, const char *path, size_t path_len, ds_derived_key *out);
/* Stores dk as worker `worker`'s derivation of (alg, purpose, path), replacing whatever
 * shared its slot. Does nothing for keys too long to memoize. */
void sim_keymemo_put(sim_keymemo *m, int worker, ds_key_alg alg, const char *purpose,
                     size_t purpose_len, const char *path, size_t path_len,
                     const ds_derived_key *dk);

/* Hits and misses summed over every worker; entries per worker (0 when m is NULL). */
void sim_keymemo_stats(const sim_keymemo *m, uint64_t *hits, uint64_t *misses, size_t *entries);
/* Appends the memo's Prometheus metrics (hits, misses, entries per worker) to out. */
void sim_keymemo_prometheus(const sim_keymemo *m, ds_buf *out);
/* One summary line for the shutdown statistics ("GetKey memo: …"), nothing when off. */
void sim_keymemo_summary(const sim_keymemo *m, FILE *f);

#endif
