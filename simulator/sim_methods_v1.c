/* sim_methods_v1.c — the dstack 0.6 v1 API on dstack.sock (/v1/…): GetKey with the v1
 * derivation and chain claim, Attest, AttestGpu, Info, IssueCert (guest-api-0.6.md §2.4,
 * §2.5). Version is the shared sim_m_version. Response keys in field-number order, all
 * present; error texts are upstream's, word for word.
 *
 * GetKey's chain[1] is the same KMS link v0 returns: in KMS-root mode the simulator signs
 * it for its app id, so v1 chains verify to the same published root; in compat mode it is
 * appkeys.json's static k256_signature, as upstream's simulator returns it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ds_chain.h"
#include "ds_p256.h"
#include "sim_attest.h"
#include "sim_methods.h"
#include "sim_recent.h"

int sim_m_v1_get_key(sim_call *c) {
    const char *domain, *alg_s;
    ds_key_alg alg;
    if (ds_json_get_str(c->args, "domain", &domain, c->err, sizeof c->err) ||
        ds_json_get_str(c->args, "algorithm", &alg_s, c->err, sizeof c->err))
        return -1;
    ds_err e = ds_key_alg_parse_v1(alg_s, &alg);
    if (e != DS_OK) {
        if (!*alg_s)
            snprintf(c->err, sizeof c->err, "algorithm is required, use `secp256k1` or `ed25519`");
        else
            snprintf(c->err, sizeof c->err,
                     "unsupported algorithm `%.200s`, use `secp256k1` or "
                     "`ed25519`",
                     alg_s);
        return -1;
    }
    ds_derived_key dk;
    e = ds_chain_v1_getkey(c->st->app_key, domain, strlen(domain), alg, &dk);
    if (e != DS_OK) {
        snprintf(c->err, sizeof c->err,
                 e == DS_ERR_KEY ? "derived secp256k1 key is not a valid scalar"
                                 : "key derivation failed");
        memset(&dk, 0, sizeof dk);
        return -1;
    }
    sim_recent_v1_key_add(c->st->recent, c->worker, domain, strlen(domain),
                          ds_key_alg_v1_name(alg), &dk, c->st->link1);
    ds_buf *o = c->out;
    ds_buf_puts(o, "{\"key\":");
    ds_buf_json_hex(o, dk.key, 32);
    ds_buf_puts(o, ",\"public_key\":");
    ds_buf_json_hex(o, dk.pub, dk.pub_len);
    ds_buf_puts(o, ",\"signature_chain\":[");
    ds_buf_json_hex(o, dk.link0, 65);
    ds_buf_putc(o, ',');
    ds_buf_json_hex(o, c->st->link1, 65);
    ds_buf_puts(o, "]}");
    memset(&dk, 0, sizeof dk);
    return 0;
}

/* The same attestation bytes as v0 Attest. No GPU in a simulator: the evidence list is
 * empty whether or not it was asked for (what upstream's simulator answers). */
int sim_m_v1_attest(sim_call *c) {
    uint8_t *p;
    size_t n;
    int gpu;
    if (ds_json_get_hex(c->args, "report_data", &p, &n, c->err, sizeof c->err)) return -1;
    if (n > 64) {
        free(p);
        snprintf(c->err, sizeof c->err, "report data is too long");
        return -1;
    }
    uint8_t rd[64] = {0};
    if (n) memcpy(rd, p, n);
    free(p);
    if (ds_json_get_bool(c->args, "include_boottime_gpu_evidence", &gpu, c->err, sizeof c->err))
        return -1;
    ds_buf_putc(c->out, '{');
    if (sim_attest_members(c, rd)) return -1;
    ds_buf_puts(c->out, ",\"boottime_gpu_evidence\":[]}");
    return 0;
}

/* A simulator has no nvattest: a well-formed request gets upstream simulator's 501. */
int sim_m_v1_attest_gpu(sim_call *c) {
    uint8_t *nonce;
    size_t n;
    if (ds_json_get_hex(c->args, "nonce", &nonce, &n, c->err, sizeof c->err)) return -1;
    free(nonce);
    if (n != 32) {
        snprintf(c->err, sizeof c->err,
                 "GPU attestation failed: nonce must be exactly 32 bytes, got %zu", n);
        return -1;
    }
    c->status = 501;
    snprintf(c->err, sizeof c->err,
             "GPU attestation failed: GPU attestation is not available in this image");
    return -1;
}

int sim_v1_info_json(sim_state *st, int external, ds_buf *out) {
    int hide = external && !st->public_tcbinfo;
    sim_snapshot snap;
    if (sim_snapshot_take(st, DS_EVENTLOG_FULL, &snap)) return -1;
    uint8_t mra[32];
    sim_mr_aggregated(st, snap.rtmr, mra);
    sim_snapshot_free(&snap);
    const sim_config *cfg = st->cfg;
    ds_buf_putc(out, '{');
    sim_kv_hex(out, "app_id", st->app_id, 20, 0);
    sim_kv_str(out, "app_name", st->app_name, 1);
    sim_kv_hex(out, "compose_hash", st->compose_hash, 32, 1);
    ds_buf_puts(out, ",\"app_compose\":");
    if (hide)
        ds_buf_puts(out, "\"\"");
    else
        ds_buf_json_str(out, cfg->compose, cfg->compose_len);
    sim_kv_hex(out, "instance_id", st->instance_id, st->has_instance_id ? 20 : 0, 1);
    sim_kv_str(out, "device_id", SIM_DEVICE_ID, 1); /* already hex */
    sim_kv_hex(out, "os_image_hash", cfg->os_image_hash, 32, 1);
    sim_kv_hex(out, "mr_aggregated", mra, 32, 1);
    sim_kv_str(out, "vm_config", hide ? "" : st->vm_config, 1);
    sim_kv_str(out, "key_provider_info", hide ? "" : st->key_provider_info, 1);
    sim_kv_str(out, "cloud_vendor", cfg->cloud_vendor, 1);
    sim_kv_str(out, "cloud_product", cfg->cloud_product, 1);
    ds_buf_putc(out, '}');
    return out->oom ? -1 : 0;
}

int sim_m_v1_info(sim_call *c) {
    if (sim_v1_info_json(c->st, 0, c->out)) {
        snprintf(c->err, sizeof c->err, "out of memory");
        return -1;
    }
    return 0;
}

/* GetTlsKey's arguments and reply under a new name; a fresh P-256 key every call. */
int sim_m_v1_issue_cert(sim_call *c) { return sim_m_get_tls_key(c); }
