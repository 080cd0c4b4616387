/* sim_state.c — identity, keys, measurements and the event log of one simulator.
 *
 * sim_state_init derives everything from the config in the order dstack does at boot:
 * compose hash → app id → KMS link (root mode: signed here; static mode: taken verbatim)
 * → instance id → CA → firmware (boot) events → dstack's runtime boot events, which end
 * with "system-ready". After that only EmitEvent changes anything.
 */
#include "sim_state.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "ds_hash.h"
#include "ds_hex.h"
#include "ds_kdf.h"
#include "ds_p256.h"
#include "ds_secp.h"
#include "sim_journal.h"
#include "sim_limits.h"
#include "sim_recent.h"
#include "sim_tls.h"
#include "sim_upstream_data.h"

/* Upstream simulator key sets whose app id is not compose_hash[:20] of anything we ship:
 * recognised so that their appkeys.json works verbatim (vectors C and D). */
static const struct {
    const char *k256_key;
    const char *app_id;
    const char *label;
} KNOWN_UPSTREAM[] = {
    {"d6e88992cdeeee35fe70b5db61ab66cdb191fb9b6ec9313757ef162dd7214d5d",
     "5bb4ff9a3837357f19dc176407a5709c62eb6c56", "upstream v0.5.6+ simulator keys"},
    {"e0e5d254fb944dcc370a2e5288b336a1e809871545a73ee645368957fefa31f9",
     "ea549f02e1a25fabd1cb788380e033ec5461b2ff", "upstream v0.4-v0.5.5 simulator keys"},
};

static int derive_identity(sim_state *st, char *err, size_t errcap) {
    const sim_config *c = st->cfg;
    ds_sha256((const uint8_t *)c->compose, c->compose_len, st->compose_hash);
    cJSON *compose = cJSON_ParseWithLength(c->compose, c->compose_len);
    if (!cJSON_IsObject(compose)) {
        cJSON_Delete(compose);
        snprintf(err, errcap, "app-compose (%s) is not a JSON object", c->compose_source);
        return -1;
    }
    const cJSON *name = cJSON_GetObjectItemCaseSensitive(compose, "name");
    const cJSON *fs = cJSON_GetObjectItemCaseSensitive(compose, "storage_fs");
    const cJSON *noi = cJSON_GetObjectItemCaseSensitive(compose, "no_instance_id");
    st->app_name = strdup(cJSON_IsString(name) ? name->valuestring : "");
    st->storage_fs = strdup(cJSON_IsString(fs) && fs->valuestring[0] ? fs->valuestring : "zfs");
    int no_instance = cJSON_IsTrue(noi);
    /* public_tcbinfo defaults to true (since 0.5.1); Health opt-in needs manifest_version
     * "3" and requirements.health_check (guest-agent-external.md §3, §5). */
    st->public_tcbinfo = !cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(compose, "public_tcbinfo"));
    const cJSON *mv = cJSON_GetObjectItemCaseSensitive(compose, "manifest_version");
    const cJSON *reqs = cJSON_GetObjectItemCaseSensitive(compose, "requirements");
    const cJSON *hf = cJSON_GetObjectItemCaseSensitive(reqs, "health_status_file");
    st->health_check = cJSON_IsString(mv) && !strcmp(mv->valuestring, "3") &&
                       cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(reqs, "health_check"));
    if (st->health_check && cJSON_IsString(hf) && hf->valuestring[0])
        st->health_file = strdup(hf->valuestring);
    cJSON_Delete(compose);
    if (!st->app_name || !st->storage_fs) {
        snprintf(err, errcap, "out of memory");
        return -1;
    }

    /* App id: configured, else a known upstream key set's, else compose_hash[:20]. */
    st->app_id_source = "compose_hash[:20]";
    memcpy(st->app_id, st->compose_hash, 20);
    if (c->have_app_id) {
        memcpy(st->app_id, c->app_id, 20);
        st->app_id_source = "configured";
    } else if (!c->have_root && c->have_k256) {
        char hex[65];
        ds_hex_encode(c->k256_key, 32, hex);
        for (size_t i = 0; i < sizeof KNOWN_UPSTREAM / sizeof KNOWN_UPSTREAM[0]; i++)
            if (!strcmp(hex, KNOWN_UPSTREAM[i].k256_key)) {
                ds_hex_decode_exact(KNOWN_UPSTREAM[i].app_id, 40, st->app_id, 20);
                st->app_id_source = KNOWN_UPSTREAM[i].label;
            }
    }

    /* Instance id = SHA-256(seed(20) ‖ app_id(20))[:20], none with no_instance_id. */
    st->has_instance_id = !no_instance;
    if (st->has_instance_id) {
        uint8_t buf[40], h[32];
        memcpy(buf, c->instance_seed, 20);
        memcpy(buf + 20, st->app_id, 20);
        ds_sha256(buf, sizeof buf, h);
        memcpy(st->instance_id, h, 20);
    }
    return 0;
}

static int derive_keys(sim_state *st, char *err, size_t errcap) {
    const sim_config *c = st->cfg;
    st->mismatch = c->mismatch;
    if (c->have_root) {
        st->mode_root = 1;
        if (ds_secp_pubkey(c->kms_root_key, st->root_pub, 33) != DS_OK) {
            snprintf(err, errcap, "kms_root_key is not a valid secp256k1 private key");
            return -1;
        }
        st->have_root_pub = 1;
        if (ds_variant_kms_issue(st->mismatch, c->kms_root_key, st->app_id, st->app_key,
                                 st->app_pub, st->link1) != DS_OK) {
            snprintf(err, errcap, "cannot derive the app key from kms_root_key");
            return -1;
        }
    } else {
        /* Static (compat) mode: the app key and KMS link are used verbatim; the published
         * root is whatever the configured link recovers to for this app id. */
        uint8_t d[32];
        st->mode_root = 0;
        if (ds_secp_pubkey(c->k256_key, st->app_pub, 33) != DS_OK) {
            snprintf(err, errcap, "k256_key is not a valid secp256k1 private key");
            return -1;
        }
        memcpy(st->app_key, c->k256_key, 32);
        memcpy(st->link1, c->k256_signature, 65);
        ds_chain_kms_digest(st->app_id, st->app_pub, d);
        st->have_root_pub = ds_secp_recover(d, c->k256_signature, 1, st->root_pub) == DS_OK;
        if (st->mismatch == DS_VARIANT_LEGACY_V055)
            ds_variant_kms_issue(st->mismatch, NULL, NULL, st->app_key, st->app_pub, st->link1);
        if (st->mismatch == DS_VARIANT_V27 && st->link1[64] < 27)
            st->link1[64] = (uint8_t)(st->link1[64] + 27);
    }
    if (st->have_root_pub && ds_secp_address(st->root_pub, 33, st->root_addr) != DS_OK)
        st->have_root_pub = 0;
    return 0;
}

/* Synthetic firmware events for imr 0–2: fixed labels, digests bound to os_image_hash. */
static int add_boot_events(sim_state *st) {
    static const struct {
        uint32_t imr, type;
        const char *payload;
    } BOOT[] = {
        {0, 0x8000000b, "dstack-simulator: TDX firmware tables"},
        {0, 0x8000000a, "dstack-simulator: firmware volume"},
        {0, 0x80000001, "dstack-simulator: SecureBoot=0"},
        {0, 0x80000001, "dstack-simulator: PK"},
        {0, 0x80000001, "dstack-simulator: KEK"},
        {0, 0x80000001, "dstack-simulator: db"},
        {0, 0x80000001, "dstack-simulator: dbx"},
        {0, 4, NULL}, /* separator: payload 00000000 */
        {0, 10, "ACPI DATA"},
        {1, 0x80000003, "dstack-simulator: kernel image"},
        {0, 0x80000002, "dstack-simulator: BootOrder"},
        {0, 0x80000002, "dstack-simulator: Boot0000"},
        {1, 0x80000007, "Calling EFI Application from Boot Option"},
        {1, 4, NULL},
        {2, 6, "dstack-simulator: kernel command line"},
        {2, 6, "dstack-simulator: initrd"},
        {1, 0x80000007, "Exit Boot Services Invocation"},
        {1, 0x80000007, "Exit Boot Services Returned with Success"},
    };
    static const uint8_t sep[4] = {0, 0, 0, 0};
    for (size_t i = 0; i < sizeof BOOT / sizeof BOOT[0]; i++) {
        const uint8_t *pl = BOOT[i].payload ? (const uint8_t *)BOOT[i].payload : sep;
        size_t pl_len = BOOT[i].payload ? strlen(BOOT[i].payload) : 4;
        uint8_t d[48];
        if (!BOOT[i].payload) {
            ds_sha384(sep, 4, d); /* the real separator digest */
        } else {
            uint8_t buf[128];
            memcpy(buf, pl, pl_len);
            memcpy(buf + pl_len, st->cfg->os_image_hash, 32);
            ds_sha384(buf, pl_len + 32, d);
        }
        if (ds_eventlog_add(&st->log, BOOT[i].imr, BOOT[i].type, d, 48, "", 0, pl, pl_len))
            return -1;
    }
    return 0;
}

static int add_runtime_boot_events(sim_state *st) {
    ds_eventlog *l = &st->log;
#define RT(name, p, n) if (ds_eventlog_add_runtime(l, name, strlen(name), p, n)) return -1
    RT("system-preparing", NULL, 0);
    RT("app-id", st->app_id, 20);
    RT("compose-hash", st->compose_hash, 32);
    RT("instance-id", st->instance_id, st->has_instance_id ? 20 : 0);
    RT("boot-mr-done", NULL, 0);
    RT("os-image-hash", st->cfg->os_image_hash, 32);
    RT("key-provider", (const uint8_t *)st->key_provider_info, strlen(st->key_provider_info));
    RT("storage-fs", (const uint8_t *)st->storage_fs, strlen(st->storage_fs));
    RT("system-ready", NULL, 0);
#undef RT
    return 0;
}

static int setup_measurements(sim_state *st, char *err, size_t errcap) {
    const sim_config *c = st->cfg;
    ds_quote_header_default(&st->qhdr);
    ds_td_report_default(&st->report);
    static const uint8_t TCB_SVN[16] = {0x0b, 0x01, 0x04, 0x00};
    memcpy(st->report.tee_tcb_svn, TCB_SVN, 16);
    ds_sha384((const uint8_t *)"dstack-simulator mr_seam", 24, st->report.mr_seam);
    if (c->have_mrtd) {
        memcpy(st->report.mr_td, c->mrtd, 48);
    } else {
        uint8_t buf[22 + 32];
        memcpy(buf, "dstack-simulator mrtd:", 22);
        memcpy(buf + 22, c->os_image_hash, 32);
        ds_sha384(buf, sizeof buf, st->report.mr_td);
    }
    ds_mr_config_id_from_compose(st->compose_hash, st->report.mr_config_id);

    uint8_t seed[32], zero[32] = {0};
    if (memcmp(c->quote_seed, zero, 32)) {
        memcpy(seed, c->quote_seed, 32);
    } else { /* default: bound to the key material, stable across runs */
        uint8_t buf[27 + 32];
        memcpy(buf, "dstack-simulator quote seed", 27);
        memcpy(buf + 27, c->have_root ? c->kms_root_key : c->k256_key, 32);
        ds_sha256(buf, sizeof buf, seed);
    }
    ds_pki_config pc;
    ds_pki_config_default(&pc, seed);
    pc.tcb_status = c->tcb_status;
    ds_err prc = ds_pki_new(&pc, &st->pki);
    memset(seed, 0, sizeof seed);
    memset(&pc, 0, sizeof pc);
    if (prc != DS_OK) {
        snprintf(err, errcap, "cannot create the simulated Intel PKI: %s", ds_err_str(prc));
        return -1;
    }
    ds_pki_quote_signer(st->pki, &st->signer);
    /* svns and tee_tcb_svn as the PKI's TCB info expects them. */
    ds_pki_quote_header(st->pki, &st->qhdr);
    memcpy(st->report.tee_tcb_svn, ds_pki_get_config(st->pki)->tee_tcb_svn, 16);

    char oih[65];
    ds_hex_encode(c->os_image_hash, 32, oih);
    ds_buf b;
    ds_buf_init(&b);
    if (c->vm_config) ds_buf_puts(&b, c->vm_config);
    else ds_buf_printf(&b, "{\"os_image_hash\":\"%s\",\"cpu_count\":1,\"memory_size\":2147483648}", oih);
    st->vm_config = ds_buf_take(&b, NULL);
    ds_buf_puts(&b, "{\"kms_urls\":[],\"gateway_urls\":[],\"pccs_url\":\"\",\"docker_registry\":\"\","
                    "\"host_api_url\":\"\",\"vm_config\":");
    ds_buf_json_str(&b, st->vm_config ? st->vm_config : "", st->vm_config ? strlen(st->vm_config) : 0);
    ds_buf_putc(&b, '}');
    st->sys_config = ds_buf_take(&b, NULL);
    if (!st->vm_config || !st->sys_config) {
        snprintf(err, errcap, "out of memory");
        return -1;
    }
    return 0;
}

int sim_state_init(sim_state *st, const sim_config *cfg, char *err, size_t errcap) {
    memset(st, 0, sizeof(*st));
    st->cfg = cfg;
    ds_eventlog_init(&st->log);
    if (pthread_mutex_init(&st->lock, NULL) != 0) {
        snprintf(err, errcap, "pthread_mutex_init failed");
        return -1;
    }
    if (derive_identity(st, err, errcap) || derive_keys(st, err, errcap) ||
        setup_measurements(st, err, errcap) || sim_tls_setup_ca(st, err, errcap))
        return -1;
    if (add_boot_events(st) || add_runtime_boot_events(st)) {
        snprintf(err, errcap, "out of memory building the event log");
        return -1;
    }
    /* Info's app_cert: a leaf for a key derived like Tappd.DeriveKey("demo-cert"). */
    uint8_t k[32];
    EVP_PKEY *key = NULL;
    if (ds_p256_scalar_from_seed(st->app_key, 32, "demo-cert", k) == DS_OK)
        key = ds_p256_from_scalar(k);
    memset(k, 0, sizeof k);
    sim_cert_req req = {.subject = "demo-cert", .usage_server_auth = 1};
    st->app_cert = key ? sim_tls_issue_chain_pem(st, key, &req) : NULL;
    EVP_PKEY_free(key);
    if (!st->app_cert) {
        snprintf(err, errcap, "cannot issue the demo certificate");
        return -1;
    }
    return 0;
}

void sim_state_free(sim_state *st) {
    if (!st->cfg) return;
    free(st->app_name);
    free(st->health_file);
    free(st->storage_fs);
    EVP_PKEY_free(st->ca_key);
    X509_free(st->ca_cert);
    free(st->ca_pem);
    free(st->key_provider_info);
    free(st->app_cert);
    ds_pki_free(st->pki);
    free(st->vm_config);
    free(st->sys_config);
    ds_eventlog_free(&st->log);
    for (int i = 0; i < SIM_CACHE_COUNT; i++) sim_cache_release(st->cache[i]);
    pthread_mutex_destroy(&st->lock);
    sim_wipe(st->app_key, sizeof st->app_key);
    memset(st, 0, sizeof(*st));
}

int sim_snapshot_take(sim_state *st, ds_eventlog_style style, sim_snapshot *snap) {
    ds_buf_init(&snap->log_json);
    if (st->cfg->quote_upstream) { /* the canned log that belongs to the canned quote */
        ds_buf_append(&snap->log_json, SIM_UPSTREAM_EVENT_LOG, SIM_UPSTREAM_EVENT_LOG_LEN);
        memcpy(snap->rtmr, SIM_UPSTREAM_QUOTE + 48 + 328, sizeof snap->rtmr);
        if (!snap->log_json.oom) return 0;
        ds_buf_free(&snap->log_json);
        return -1;
    }
    pthread_mutex_lock(&st->lock);
    ds_eventlog_replay(&st->log, snap->rtmr);
    ds_eventlog_to_json(&st->log, style, &snap->log_json);
    pthread_mutex_unlock(&st->lock);
    if (snap->log_json.oom) {
        ds_buf_free(&snap->log_json);
        return -1;
    }
    return 0;
}

void sim_snapshot_free(sim_snapshot *snap) {
    ds_buf_free(&snap->log_json);
}

sim_cached *sim_cached_new(const char *data, size_t len, size_t events) {
    sim_cached *e = malloc(sizeof(*e) + len + 1);
    if (!e) return NULL;
    atomic_init(&e->refs, 1);
    e->events = events;
    memset(e->rtmr, 0, sizeof e->rtmr);
    e->len = len;
    if (len) memcpy(e->data, data, len);
    e->data[len] = '\0';
    return e;
}

void sim_cache_release(sim_cached *e) {
    if (e && atomic_fetch_sub_explicit(&e->refs, 1, memory_order_acq_rel) == 1) free(e);
}

sim_cached *sim_cache_get(sim_state *st, sim_cache_slot slot) {
    pthread_mutex_lock(&st->lock);
    sim_cached *e = st->cache[slot];
    if (e && e->events == st->log.n) atomic_fetch_add_explicit(&e->refs, 1, memory_order_relaxed);
    else e = NULL;
    pthread_mutex_unlock(&st->lock);
    return e;
}

void sim_cache_put(sim_state *st, sim_cache_slot slot, sim_cached *e) {
    sim_cached *old = NULL;
    pthread_mutex_lock(&st->lock);
    if (e->events == st->log.n) {
        old = st->cache[slot];
        atomic_fetch_add_explicit(&e->refs, 1, memory_order_relaxed);
        st->cache[slot] = e;
    }
    pthread_mutex_unlock(&st->lock);
    sim_cache_release(old);
}

sim_cached *sim_log_literal(sim_state *st, ds_eventlog_style style) {
    sim_cache_slot slot = style == DS_EVENTLOG_STRIPPED ? SIM_CACHE_LOG_STRIPPED : SIM_CACHE_LOG_FULL;
    sim_cached *e = sim_cache_get(st, slot);
    if (e) return e;
    sim_snapshot snap;
    size_t events = 0;
    if (st->cfg->quote_upstream) { /* the canned log: nothing to cache */
        if (sim_snapshot_take(st, style, &snap)) return NULL;
    } else { /* the snapshot and the length it belongs to, under one lock */
        ds_buf_init(&snap.log_json);
        pthread_mutex_lock(&st->lock);
        ds_eventlog_replay(&st->log, snap.rtmr);
        ds_eventlog_to_json(&st->log, style, &snap.log_json);
        events = st->log.n;
        pthread_mutex_unlock(&st->lock);
    }
    ds_buf lit;
    ds_buf_init(&lit);
    ds_buf_json_str(&lit, snap.log_json.data ? snap.log_json.data : "", snap.log_json.len);
    e = lit.oom || snap.log_json.oom ? NULL : sim_cached_new(lit.data, lit.len, events);
    if (e) memcpy(e->rtmr, snap.rtmr, sizeof e->rtmr);
    ds_buf_free(&lit);
    sim_snapshot_free(&snap);
    if (e && !st->cfg->quote_upstream) sim_cache_put(st, slot, e);
    return e;
}

/* Hands a quote just built to the dashboard, with the log length it was built at. */
static void quote_seen(sim_state *st, const uint8_t *q, size_t len) {
    pthread_mutex_lock(&st->lock);
    size_t events = st->log.n;
    pthread_mutex_unlock(&st->lock);
    sim_recent_quote_set(st->recent, q, len, events);
}

int sim_quote_build(sim_state *st, const uint8_t rtmr[4][48], const uint8_t report_data[64],
                    ds_buf *out) {
    size_t at = out->len;
    if (st->cfg->quote_upstream) {
        ds_buf_append(out, SIM_UPSTREAM_QUOTE, SIM_UPSTREAM_QUOTE_LEN);
        if (out->oom) return -1;
        memcpy(out->data + at + DS_QUOTE_REPORT_DATA_OFF, report_data, 64);
    } else {
        ds_td_report r = st->report;
        memcpy(r.rt_mr, rtmr, sizeof r.rt_mr);
        memcpy(r.report_data, report_data, 64);
        if (ds_quote_build(&st->qhdr, &r, &st->signer, out) != DS_OK) return -1;
    }
    if (st->recent) quote_seen(st, (const uint8_t *)out->data + at, out->len - at);
    return 0;
}

void sim_tdmrs(const sim_state *st, const uint8_t rtmr[4][48], ds_bootinfo_tdmrs *m) {
    memcpy(m->mr_td, st->report.mr_td, 48);
    memcpy(m->rtmr, rtmr, sizeof m->rtmr);
    memcpy(m->mr_config_id, st->report.mr_config_id, 48);
    memcpy(m->mr_owner, st->report.mr_owner, 48);
    memcpy(m->mr_owner_config, st->report.mr_owner_config, 48);
}

void sim_mr_aggregated(const sim_state *st, const uint8_t rtmr[4][48], uint8_t out[32]) {
    ds_bootinfo_tdmrs m;
    sim_tdmrs(st, rtmr, &m);
    ds_bootinfo_mrs(&m, NULL, 0, NULL, out);
}

int sim_emit_event(sim_state *st, const char *name, size_t name_len, const uint8_t *payload,
                   size_t payload_len, char *err, size_t errcap) {
    if (name_len == 0) {
        snprintf(err, errcap, "event name cannot be empty");
        return -1;
    }
    pthread_mutex_lock(&st->lock);
    int rc = -1;
    if (st->runtime_events >= SIM_MAX_RUNTIME_EVENTS ||
        name_len + payload_len > SIM_MAX_EVENT_BYTES - st->runtime_bytes) {
        snprintf(err, errcap, "too many events (the simulator keeps at most %d events, %u MiB)",
                 SIM_MAX_RUNTIME_EVENTS, SIM_MAX_EVENT_BYTES >> 20);
    } else if (st->journal &&
               sim_journal_append(st->journal, name, name_len, payload, payload_len, err, errcap)) {
        /* not durable, so not applied: err says why */
    } else if (ds_eventlog_add_runtime(&st->log, name, name_len, payload, payload_len) != DS_OK) {
        if (st->journal) sim_journal_undo_last(st->journal);
        snprintf(err, errcap, "out of memory");
    } else {
        st->runtime_events++;
        st->runtime_bytes += name_len + payload_len;
        rc = 0;
    }
    pthread_mutex_unlock(&st->lock);
    return rc;
}
