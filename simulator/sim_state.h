/* sim_state.h — everything a running simulator knows: its identity (keys, app id,
 * instance id, compose hash), its CA, its measurements and its event log.
 *
 * All of it lives in one explicit struct (no globals). Everything but the event log and
 * the caches built from it is immutable after sim_state_init; those are guarded by
 * `lock`, so request handlers on several threads (--workers) share one sim_state.
 *
 * Caches: what Info and GetQuote return about the event log (RTMRs, the log as JSON, the
 * Info document) only changes when an event is emitted, so each is built once per log
 * length and shared, reference-counted and immutable, by every request until the next
 * EmitEvent. A request holds the lock only to take a reference, never while it copies.
 */
#ifndef SIM_STATE_H
#define SIM_STATE_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "ds_bootinfo.h"
#include "ds_eventlog.h"
#include "ds_json.h"
#include "ds_pki.h"
#include "ds_quote.h"
#include "ds_variant.h"
#include "sim_config.h"

#define SIM_MAX_RUNTIME_EVENTS 10000
#define SIM_MAX_EVENT_BYTES (64u << 20) /* total EmitEvent name + payload bytes */

/* An immutable product of the event log at `events` entries, shared by reference. */
typedef struct {
    atomic_int refs;
    size_t events;               /* log.n it was built for */
    uint8_t rtmr[4][48];
    size_t len;
    char data[];                 /* len bytes of JSON (NUL-terminated) */
} sim_cached;

typedef enum {
    SIM_CACHE_INFO,              /* the Info document */
    SIM_CACHE_LOG_FULL,          /* the full event log, as a JSON string literal */
    SIM_CACHE_LOG_STRIPPED,      /* the stripped event log, as a JSON string literal */
    SIM_CACHE_COUNT
} sim_cache_slot;

struct sim_metrics;
struct sim_journal;
struct sim_keymemo;
struct sim_recent;
struct sim_kmsauth;

typedef struct {
    const sim_config *cfg;

    /* Identity */
    uint8_t compose_hash[32];
    uint8_t app_id[20];
    int has_instance_id;
    uint8_t instance_id[20];
    char *app_name;              /* compose "name" */
    char *storage_fs;            /* compose "storage_fs" or "zfs" */
    const char *app_id_source;   /* "config", "compose hash", "upstream v0.5.11 keys", … */
    int public_tcbinfo;          /* compose public_tcbinfo (default true): the Worker API
                                    shows tcb_info / vm_config */
    int health_check;            /* compose opts in to Health (manifest_version "3") */
    char *health_file;           /* requirements.health_status_file, or NULL */

    /* Keys */
    int mode_root;               /* 1: KMS root key configured; 0: static (compat) */
    ds_variant mismatch;
    uint8_t app_key[32];
    uint8_t app_pub[33];
    uint8_t link1[65];           /* the KMS link every GetKey returns as chain[1] */
    int have_root_pub;           /* root mode, or static mode whose link1 recovers */
    uint8_t root_pub[33];        /* the published KMS root public key */
    uint8_t root_addr[20];

    /* App CA (signs GetTlsKey/DeriveKey certificates) */
    EVP_PKEY *ca_key;
    X509 *ca_cert;
    char *ca_pem;
    char *key_provider_info;     /* {"name":"kms","id":"<hex SPKI DER of the CA key>"} */
    char *app_cert;              /* Info app_cert: demo leaf + CA, PEM */

    /* Measurements */
    ds_quote_header qhdr;
    ds_td_report report;         /* template: everything but rt_mr and report_data */
    ds_pki *pki;                 /* simulated Intel PKI (root, PCK chain, collateral) */
    ds_quote_signer signer;      /* quotes signed under pki */
    char *vm_config;
    char *sys_config;            /* Attest "config" */

    /* Event log (guarded by lock) */
    pthread_mutex_t lock;
    ds_eventlog log;
    size_t runtime_events;
    size_t runtime_bytes;
    sim_cached *cache[SIM_CACHE_COUNT];

    struct sim_metrics *metrics; /* request statistics (GET /metrics), or NULL */
    struct sim_journal *journal; /* --journal: EmitEvent is durable first (sim_journal.h) */
    struct sim_keymemo *keymemo; /* --key-cache: per-worker GetKey memo, or NULL (off) */
    struct sim_recent *recent;   /* --listen: what the dashboard shows (sim_recent.h), or NULL */
    struct sim_kmsauth *kmsauth; /* --kms-auth: the boot decision (sim_kmsauth.h), or NULL */
} sim_state;

/* Builds the state from a finished config. Returns 0, or -1 with a message in err. */
int sim_state_init(sim_state *st, const sim_config *cfg, char *err, size_t errcap);
void sim_state_free(sim_state *st);

/* A consistent view of the event log: RTMRs and serialised JSON taken under one lock. */
typedef struct {
    uint8_t rtmr[4][48];
    ds_buf log_json;             /* in the requested style */
} sim_snapshot;

/* Takes a snapshot (log_json in style). Returns 0, or -1 on allocation failure. */
int sim_snapshot_take(sim_state *st, ds_eventlog_style style, sim_snapshot *snap);
void sim_snapshot_free(sim_snapshot *snap);

/* A reference to the cached entry of slot for the current log, or NULL when there is
 * none (or it is stale). Release it with sim_cache_release. */
sim_cached *sim_cache_get(sim_state *st, sim_cache_slot slot);
/* A new entry of len bytes (refs = 1, data NUL-terminated), or NULL. */
sim_cached *sim_cached_new(const char *data, size_t len, size_t events);
/* Offers e (the caller keeps its reference) as slot's entry; ignored when the log has
 * grown past e->events meanwhile. */
void sim_cache_put(sim_state *st, sim_cache_slot slot, sim_cached *e);
void sim_cache_release(sim_cached *e);

/* The event log in style as a JSON string literal, with the RTMRs: from the cache, or
 * built (under the lock) and cached. NULL on allocation failure. Release it. */
sim_cached *sim_log_literal(sim_state *st, ds_eventlog_style style);

/* Builds a signed quote with report_data (64 bytes) and the given RTMRs into out. With
 * quote_mode "upstream" it is upstream's canned quote with report_data overwritten
 * (rtmr ignored). Returns 0, or -1 on allocation/signing failure. */
int sim_quote_build(sim_state *st, const uint8_t rtmr[4][48], const uint8_t report_data[64],
                    ds_buf *out);

/* The simulator's TD measurements with the given RTMRs, the input of ds_bootinfo_mrs. */
void sim_tdmrs(const sim_state *st, const uint8_t rtmr[4][48], ds_bootinfo_tdmrs *m);

/* mr_aggregated for the given RTMRs (attestation.md §4; ds_bootinfo_mrs). */
void sim_mr_aggregated(const sim_state *st, const uint8_t rtmr[4][48], uint8_t out[32]);

/* Appends a runtime event (EmitEvent). Returns 0, or -1 with a message in err. */
int sim_emit_event(sim_state *st, const char *name, size_t name_len, const uint8_t *payload,
                   size_t payload_len, char *err, size_t errcap);

#endif
