/* sim_methods_dstack.c — GetKey, GetQuote, Attest, Info, EmitEvent, GetTlsKey, Version
 * and GetMeta (guest-agent-api.md §2, attestation.md §5). Field order in every response
 * is the declaration order of the upstream protobuf messages.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ds_chain.h"
#include "ds_hex.h"
#include "ds_p256.h"
#include "ds_secp.h"
#include "sim_attest.h"
#include "sim_keymemo.h"
#include "sim_kmsauth.h"
#include "sim_methods.h"
#include "sim_recent.h"
#include "sim_tls.h"

const char SIM_DEVICE_ID[] = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

int sim_arg_report_data(sim_call *c, uint8_t rd[64]) {
    uint8_t *p;
    size_t n;
    if (ds_json_get_hex(c->args, "report_data", &p, &n, c->err, sizeof c->err)) return -1;
    if (n > 64) {
        free(p);
        snprintf(c->err, sizeof c->err, "Report data is too long, max 64 bytes, got %zu", n);
        return -1;
    }
    memset(rd, 0, 64);
    if (n) memcpy(rd, p, n);
    free(p);
    return 0;
}

int sim_derive_key(sim_call *c, const char *path, size_t path_len, const char *purpose,
                   size_t purpose_len, ds_key_alg alg, ds_derived_key *dk) {
    if (sim_keymemo_get(c->st->keymemo, c->worker, alg, purpose, purpose_len, path, path_len, dk))
        return 0;
    if (ds_variant_getkey(c->st->mismatch, c->st->app_key, path, path_len, purpose, purpose_len,
                          alg, dk) != DS_OK) {
        snprintf(c->err, sizeof c->err, "key derivation failed");
        return -1;
    }
    sim_keymemo_put(c->st->keymemo, c->worker, alg, purpose, purpose_len, path, path_len, dk);
    return 0;
}

/* GetKey and Tappd.DeriveK256Key: the same key and chain under different field names. */
int sim_getkey_reply(sim_call *c, const char *key_field, const char *chain_field) {
    const char *path, *purpose, *alg_s;
    ds_key_alg alg;
    if (ds_json_get_str(c->args, "path", &path, c->err, sizeof c->err) ||
        ds_json_get_str(c->args, "purpose", &purpose, c->err, sizeof c->err) ||
        ds_json_get_str(c->args, "algorithm", &alg_s, c->err, sizeof c->err))
        return -1;
    if (ds_key_alg_parse(alg_s, &alg) != DS_OK) {
        snprintf(c->err, sizeof c->err, "Unsupported algorithm");
        return -1;
    }
    ds_derived_key dk;
    if (sim_derive_key(c, path, strlen(path), purpose, strlen(purpose), alg, &dk)) return -1;
    sim_recent_key_add(c->st->recent, c->worker,
                       strcmp(key_field, "key") ? "Tappd.DeriveK256Key" : "GetKey", path,
                       strlen(path), purpose, strlen(purpose), alg_s, &dk, c->st->link1);
    ds_buf_printf(c->out, "{\"%s\":", key_field);
    ds_buf_json_hex(c->out, dk.key, 32);
    ds_buf_printf(c->out, ",\"%s\":[", chain_field);
    ds_buf_json_hex(c->out, dk.link0, 65);
    ds_buf_putc(c->out, ',');
    ds_buf_json_hex(c->out, c->st->link1, 65);
    ds_buf_puts(c->out, "]}");
    memset(&dk, 0, sizeof dk);
    return 0;
}

int sim_m_get_key(sim_call *c) { return sim_getkey_reply(c, "key", "signature_chain"); }

/* Appends "<hex of p>" like ds_buf_json_hex, in one reservation and one pass (quotes are
 * ~3 KiB: hex encoding is a visible part of GetQuote's cost). */
static void json_hex_fast(ds_buf *b, const uint8_t *p, size_t n) {
    static const char d[] = "0123456789abcdef";
    if (ds_buf_reserve(b, 2 * n + 2) != DS_OK) return;
    char *o = b->data + b->len;
    *o++ = '"';
    for (const uint8_t *e = p + n; p < e; p++, o += 2) {
        o[0] = d[*p >> 4];
        o[1] = d[*p & 15];
    }
    *o++ = '"';
    b->len += 2 * n + 2;
    b->data[b->len] = '\0';
}

int sim_quote_members(sim_call *c, const uint8_t rd[64]) {
    sim_cached *lg = sim_log_literal(c->st, c->st->cfg->log_style);
    if (!lg) {
        snprintf(c->err, sizeof c->err, "out of memory");
        return -1;
    }
    ds_buf q;
    ds_buf_init(&q);
    int rc = sim_quote_build(c->st, lg->rtmr, rd, &q);
    if (rc == 0) {
        ds_buf_reserve(c->out, 2 * q.len + lg->len + 64);
        ds_buf_puts(c->out, "\"quote\":");
        json_hex_fast(c->out, (const uint8_t *)q.data, q.len);
        ds_buf_puts(c->out, ",\"event_log\":");
        ds_buf_append(c->out, lg->data, lg->len);
    } else {
        snprintf(c->err, sizeof c->err, "quote generation failed");
    }
    ds_buf_free(&q);
    sim_cache_release(lg);
    return rc;
}

int sim_m_get_quote(sim_call *c) {
    uint8_t rd[64];
    if (sim_arg_report_data(c, rd)) return -1;
    ds_buf_putc(c->out, '{');
    if (sim_quote_members(c, rd)) return -1;
    ds_buf_puts(c->out, ",\"report_data\":");
    ds_buf_json_hex(c->out, rd, 64);
    ds_buf_puts(c->out, ",\"vm_config\":");
    ds_buf_json_str(c->out, c->st->vm_config, strlen(c->st->vm_config));
    ds_buf_putc(c->out, '}');
    return 0;
}

int sim_attest_members(sim_call *c, const uint8_t rd[64]) {
    ds_buf att;
    ds_buf_init(&att);
    if (sim_attestation_parts(c->st, rd, &att, NULL, NULL)) {
        ds_buf_free(&att);
        snprintf(c->err, sizeof c->err, "attestation generation failed");
        return -1;
    }
    ds_buf_puts(c->out, "\"attestation\":");
    ds_buf_json_hex(c->out, (const uint8_t *)att.data, att.len);
    ds_buf_free(&att);
    return 0;
}

int sim_m_attest(sim_call *c) {
    uint8_t rd[64];
    if (sim_arg_report_data(c, rd)) return -1;
    ds_buf_putc(c->out, '{');
    if (sim_attest_members(c, rd)) return -1;
    ds_buf_putc(c->out, '}');
    return 0;
}

void sim_kv_hex(ds_buf *b, const char *k, const uint8_t *p, size_t n, int comma) {
    ds_buf_printf(b, "%s\"%s\":", comma ? "," : "", k);
    ds_buf_json_hex(b, p, n);
}

void sim_kv_str(ds_buf *b, const char *k, const char *s, int comma) {
    ds_buf_printf(b, "%s\"%s\":", comma ? "," : "", k);
    ds_buf_json_str(b, s, strlen(s));
}

int sim_info_json(sim_state *st, int external, ds_buf *out) {
    int hide = external && !st->public_tcbinfo;
    sim_snapshot snap;
    if (sim_snapshot_take(st, DS_EVENTLOG_FULL, &snap)) return -1;
    uint8_t mra[32];
    sim_mr_aggregated(st, snap.rtmr, mra);
    const sim_config *cfg = st->cfg;

    ds_buf tcb;
    ds_buf_init(&tcb);
    ds_buf_putc(&tcb, '{');
    sim_kv_hex(&tcb, "mrtd", st->report.mr_td, 48, 0);
    sim_kv_hex(&tcb, "rtmr0", snap.rtmr[0], 48, 1);
    sim_kv_hex(&tcb, "rtmr1", snap.rtmr[1], 48, 1);
    sim_kv_hex(&tcb, "rtmr2", snap.rtmr[2], 48, 1);
    sim_kv_hex(&tcb, "rtmr3", snap.rtmr[3], 48, 1);
    sim_kv_hex(&tcb, "mr_aggregated", mra, 32, 1);
    sim_kv_hex(&tcb, "os_image_hash", cfg->os_image_hash, 32, 1);
    sim_kv_hex(&tcb, "compose_hash", st->compose_hash, 32, 1);
    sim_kv_str(&tcb, "device_id", SIM_DEVICE_ID, 1);
    ds_buf_puts(&tcb, ",\"event_log\":");
    ds_buf_append(&tcb, snap.log_json.data, snap.log_json.len);
    ds_buf_puts(&tcb, ",\"app_compose\":");
    ds_buf_json_str(&tcb, cfg->compose, cfg->compose_len);
    ds_buf_putc(&tcb, '}');
    sim_snapshot_free(&snap);

    ds_buf_reserve(out, 2 * tcb.len + 4096);
    ds_buf_putc(out, '{');
    sim_kv_hex(out, "app_id", st->app_id, 20, 0);
    sim_kv_hex(out, "instance_id", st->instance_id, st->has_instance_id ? 20 : 0, 1);
    sim_kv_str(out, "app_cert", st->app_cert, 1);
    ds_buf_puts(out, ",\"tcb_info\":");
    if (hide)
        ds_buf_puts(out, "\"\"");
    else
        ds_buf_json_str(out, tcb.data ? tcb.data : "", tcb.len);
    sim_kv_str(out, "app_name", st->app_name, 1);
    sim_kv_str(out, "device_id", SIM_DEVICE_ID, 1);
    sim_kv_hex(out, "mr_aggregated", mra, 32, 1);
    sim_kv_hex(out, "os_image_hash", cfg->os_image_hash, 32, 1);
    sim_kv_str(out, "key_provider_info", st->key_provider_info, 1);
    sim_kv_hex(out, "compose_hash", st->compose_hash, 32, 1);
    sim_kv_str(out, "vm_config", hide ? "" : st->vm_config, 1);
    sim_kv_str(out, "cloud_vendor", cfg->cloud_vendor, 1);
    sim_kv_str(out, "cloud_product", cfg->cloud_product, 1);
    ds_buf_putc(out, '}');
    int oom = tcb.oom;
    ds_buf_free(&tcb);
    return oom ? -1 : 0;
}

/* Info only changes when the event log grows: serve the cached copy until then. */
int sim_m_info(sim_call *c) {
    sim_state *st = c->st;
    sim_cached *e = sim_cache_get(st, SIM_CACHE_INFO);
    if (e) {
        ds_buf_append(c->out, e->data, e->len);
        sim_cache_release(e);
        return c->out->oom ? -1 : 0;
    }
    pthread_mutex_lock(&st->lock);
    size_t n = st->log.n;
    pthread_mutex_unlock(&st->lock);
    size_t start = c->out->len;
    if (sim_info_json(st, 0, c->out) || c->out->oom) {
        snprintf(c->err, sizeof c->err, "out of memory");
        return -1;
    }
    /* Kept only if no event slipped in since n was read (sim_cache_put checks). */
    e = sim_cached_new(c->out->data + start, c->out->len - start, n);
    if (e) sim_cache_put(st, SIM_CACHE_INFO, e);
    sim_cache_release(e);
    return 0;
}

/* EmitEvent: 0.5.11 extends RTMR3, as a real 0.5.x CVM does (or, with --emit-event refuse,
 * answers the upstream 0.5.9–0.5.11 simulator's 400); 0.6.0 removed it (guest-api-0.6.md
 * §2.3). The arguments are decoded first either way, as upstream does. */
int sim_m_emit_event(sim_call *c) {
    const char *event;
    uint8_t *payload;
    size_t n;
    if (ds_json_get_str(c->args, "event", &event, c->err, sizeof c->err) ||
        ds_json_get_hex(c->args, "payload", &payload, &n, c->err, sizeof c->err))
        return -1;
    if (c->st->cfg->agent == SIM_AGENT_0_6_0) {
        free(payload);
        snprintf(c->err, sizeof c->err,
                 "EmitEvent was removed in dstack 0.6.0; runtime RTMR3 "
                 "events are system-owned and cannot be extended by apps");
        return -1;
    }
    if (c->st->cfg->emit_refuse) {
        free(payload);
        snprintf(c->err, sizeof c->err,
                 "runtime event emission is unavailable in simulator mode: %.400s", event);
        return -1;
    }
    int rc = sim_emit_event(c->st, event, strlen(event), payload, n, c->err, sizeof c->err);
    free(payload);
    if (rc == 0) ds_buf_puts(c->out, "null");
    return rc;
}

int sim_cert_req_parse(sim_call *c, sim_cert_req *req) {
    return ds_json_get_str(c->args, "subject", &req->subject, c->err, sizeof c->err) ||
                   ds_json_get_str_array(c->args, "alt_names", &req->alt_names, &req->n_alt, c->err,
                                         sizeof c->err) ||
                   ds_json_get_bool(c->args, "usage_ra_tls", &req->usage_ra_tls, c->err,
                                    sizeof c->err) ||
                   ds_json_get_bool(c->args, "usage_server_auth", &req->usage_server_auth, c->err,
                                    sizeof c->err) ||
                   ds_json_get_bool(c->args, "usage_client_auth", &req->usage_client_auth, c->err,
                                    sizeof c->err)
               ? -1
               : 0;
}

int sim_m_get_tls_key(sim_call *c) {
    sim_cert_req req;
    memset(&req, 0, sizeof req);
    int rc = -1;
    if (sim_cert_req_parse(c, &req) ||
        ds_json_get_u64(c->args, "not_before", &req.not_before, &req.have_not_before, c->err,
                        sizeof c->err) ||
        ds_json_get_u64(c->args, "not_after", &req.not_after, &req.have_not_after, c->err,
                        sizeof c->err) ||
        ds_json_get_bool(c->args, "with_app_info", &req.with_app_info, c->err, sizeof c->err))
        goto out;
    EVP_PKEY *key = ds_p256_generate();
    if (!key) {
        snprintf(c->err, sizeof c->err, "key generation failed");
        goto out;
    }
    rc = sim_tls_issue_json(c->st, key, &req, c->out, c->err, sizeof c->err);
    EVP_PKEY_free(key);
out:
    free(req.alt_names);
    return rc;
}

void sim_version_json(sim_state *st, ds_buf *out) {
    ds_buf_puts(out, "{\"version\":");
    ds_buf_json_str(out, st->cfg->version, strlen(st->cfg->version));
    ds_buf_puts(out, ",\"rev\":\"dstack-simulator-" SIM_VERSION "\"}");
}

int sim_m_version(sim_call *c) {
    sim_version_json(c->st, c->out);
    return 0;
}

int sim_m_get_meta(sim_call *c) {
    sim_state *st = c->st;
    char addr[43] = "", app_addr[43];
    uint8_t a[20];
    ds_buf *o = c->out;
    ds_buf_puts(o, "{\"k256_pubkey\":");
    if (st->have_root_pub) {
        ds_buf_json_hex(o, st->root_pub, 33);
        ds_eth_checksum(st->root_addr, addr);
    } else {
        ds_buf_puts(o, "\"\"");
    }
    sim_kv_str(o, "k256_address", addr, 1);
    sim_kv_hex(o, "app_id", st->app_id, 20, 1);
    sim_kv_hex(o, "app_pubkey", st->app_pub, 33, 1);
    ds_secp_address(st->app_pub, 33, a);
    ds_eth_checksum(a, app_addr);
    sim_kv_str(o, "app_address", app_addr, 1);
    sim_kv_hex(o, "instance_id", st->instance_id, st->has_instance_id ? 20 : 0, 1);
    sim_kv_hex(o, "compose_hash", st->compose_hash, 32, 1);
    sim_kv_str(o, "mode", st->mode_root ? "root" : "static", 1);
    sim_kv_str(o, "mismatch",
               st->mismatch == DS_VARIANT_CANONICAL ? "none" : ds_variant_name(st->mismatch), 1);
    uint8_t att_pub[64];
    ds_pki_att_pub(st->pki, att_pub);
    sim_kv_hex(o, "quote_attestation_pubkey", att_pub, 64, 1);
    sim_kv_str(o, "version", st->cfg->version, 1);
    if (st->kmsauth) {
        ds_buf_puts(o, ",\"kms_auth\":");
        sim_kmsauth_json(st->kmsauth, o);
    }
    ds_buf_putc(o, '}');
    return 0;
}
