/* sim_methods_tappd.c — the legacy tappd socket: DeriveKey, DeriveK256Key, TdxQuote,
 * RawQuote (Info and Version are shared with the dstack socket). guest-agent-api.md §3.
 *
 *   DeriveKey:  P-256 scalar = HKDF-SHA256(salt "RATLS", IKM = app key (or 32 random bytes
 *               with random_seed), info = path); certificate as GetTlsKey.
 *   TdxQuote:   report_data = H(prefix ‖ ":" ‖ data) zero-padded to 64 (default sha512,
 *               prefix "app-data"); "raw" takes exactly 64 bytes and ignores the prefix.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ds_chain.h"
#include "ds_hash.h"
#include "ds_kdf.h"
#include "ds_p256.h"
#include "sim_methods.h"
#include "sim_tls.h"

int sim_m_tappd_derive_key(sim_call *c) {
    sim_cert_req req;
    memset(&req, 0, sizeof req);
    const char *path;
    int random_seed = 0, rc = -1;
    if (ds_json_get_str(c->args, "path", &path, c->err, sizeof c->err) ||
        sim_cert_req_parse(c, &req) ||
        ds_json_get_bool(c->args, "random_seed", &random_seed, c->err, sizeof c->err))
        goto out;
    uint8_t ikm[32], k[32];
    if (random_seed) {
        if (ds_random(ikm, 32) != DS_OK) {
            snprintf(c->err, sizeof c->err, "random generation failed");
            goto out;
        }
    } else {
        memcpy(ikm, c->st->app_key, 32);
    }
    ds_err e = ds_kdf_ratls(ikm, 32, (const uint8_t *)path, strlen(path), k);
    memset(ikm, 0, sizeof ikm);
    EVP_PKEY *key = e == DS_OK ? ds_p256_from_scalar(k) : NULL;
    memset(k, 0, sizeof k);
    if (!key) {
        snprintf(c->err, sizeof c->err, "key derivation failed");
        goto out;
    }
    rc = sim_tls_issue_json(c->st, key, &req, c->out, c->err, sizeof c->err);
    EVP_PKEY_free(key);
out:
    free(req.alt_names);
    return rc;
}

int sim_m_tappd_derive_k256_key(sim_call *c) {
    return sim_getkey_reply(c, "k256_key", "k256_signature_chain");
}

/* Shared by TdxQuote and RawQuote. raw_only: RawQuote. */
static int tdx_quote(sim_call *c, int raw_only) {
    const char *alg = "raw", *prefix = "";
    uint8_t *data;
    size_t n;
    if (!raw_only && (ds_json_get_str(c->args, "hash_algorithm", &alg, c->err, sizeof c->err) ||
                      ds_json_get_str(c->args, "prefix", &prefix, c->err, sizeof c->err)))
        return -1;
    if (ds_json_get_hex(c->args, "report_data", &data, &n, c->err, sizeof c->err)) return -1;
    if (!*alg) alg = "sha512";
    uint8_t rd[64];
    memset(rd, 0, sizeof rd);
    int rc = -1;
    if (!strcmp(alg, "raw")) {
        prefix = "";
        if (n != 64) {
            snprintf(c->err, sizeof c->err, "invalid content length: raw report data must be "
                                            "exactly 64 bytes, got %zu", n);
            goto out;
        }
        memcpy(rd, data, 64);
    } else {
        if (!*prefix) prefix = "app-data";
        size_t pl = strlen(prefix);
        uint8_t *msg = malloc(pl + 1 + n), h[DS_HASH_MAX];
        size_t hl = 0;
        if (!msg) {
            snprintf(c->err, sizeof c->err, "out of memory");
            goto out;
        }
        memcpy(msg, prefix, pl);
        msg[pl] = ':';
        if (n) memcpy(msg + pl + 1, data, n);
        ds_err e = ds_hash_named(alg, msg, pl + 1 + n, h, &hl);
        free(msg);
        if (e != DS_OK) {
            snprintf(c->err, sizeof c->err, "invalid hash algorithm: %s", alg);
            goto out;
        }
        memcpy(rd, h, hl);
    }
    ds_buf_putc(c->out, '{');
    if (sim_quote_members(c, rd)) goto out;
    ds_buf_puts(c->out, ",\"hash_algorithm\":");
    ds_buf_json_str(c->out, alg, strlen(alg));
    ds_buf_puts(c->out, ",\"prefix\":");
    ds_buf_json_str(c->out, prefix, strlen(prefix));
    ds_buf_putc(c->out, '}');
    rc = 0;
out:
    free(data);
    return rc;
}

int sim_m_tappd_tdx_quote(sim_call *c) {
    return tdx_quote(c, 0);
}

int sim_m_tappd_raw_quote(sim_call *c) {
    return tdx_quote(c, 1);
}
