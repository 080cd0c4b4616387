/* sim_state.h — everything a running simulator knows: its identity (keys, app id,
 * instance id, compose hash), its CA, its measurements and its event log.
 *
 * All of it lives in one explicit struct (no globals). Everything but the event log is
 * immutable after sim_state_init; the event log (EmitEvent appends) is guarded by
 * `lock`, so request handlers on several threads may share one sim_state.
 */
#ifndef SIM_STATE_H
#define SIM_STATE_H

#include <pthread.h>
#include <stdint.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "ds_eventlog.h"
#include "ds_json.h"
#include "ds_pki.h"
#include "ds_quote.h"
#include "ds_variant.h"
#include "sim_config.h"

#define SIM_MAX_RUNTIME_EVENTS 10000
#define SIM_MAX_EVENT_BYTES (64u << 20) /* total EmitEvent name + payload bytes */

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
    char *info_cache;            /* Info JSON for a log of info_cache_events entries */
    size_t info_cache_len, info_cache_events;
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

/* Builds a signed quote with report_data (64 bytes) and the given RTMRs into out. With
 * quote_mode "upstream" it is upstream's canned quote with report_data overwritten
 * (rtmr ignored). Returns 0, or -1 on allocation/signing failure. */
int sim_quote_build(sim_state *st, const uint8_t rtmr[4][48], const uint8_t report_data[64],
                    ds_buf *out);

/* mr_aggregated for the given RTMRs (attestation.md §4). */
void sim_mr_aggregated(const sim_state *st, const uint8_t rtmr[4][48], uint8_t out[32]);

/* Appends a runtime event (EmitEvent). Returns 0, or -1 with a message in err. */
int sim_emit_event(sim_state *st, const char *name, size_t name_len, const uint8_t *payload,
                   size_t payload_len, char *err, size_t errcap);

#endif
