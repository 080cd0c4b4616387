/* sim_methods_sign.c — Sign and Verify (guest-agent-api.md §2).
 *
 * Sign's key is GetKey("vms", "signing", base algorithm) under the app key:
 *   secp256k1            ECDSA over SHA-256(data), RFC 6979, low-S, 64-byte r‖s, 33-byte pub
 *   secp256k1_prehashed  the same over data itself (exactly 32 bytes)
 *   ed25519              Ed25519 over data, 64-byte signature, 32-byte pub
 * signature_chain = [signature, GetKey chain[0], GetKey chain[1]].
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ds_ed25519.h"
#include "ds_hash.h"
#include "ds_secp.h"
#include "sim_methods.h"
#include "sim_recent.h"

typedef enum { SIG_SECP, SIG_SECP_PREHASHED, SIG_ED25519 } sig_alg;

/* secp256k1's n/2 (SEC 2 §2.4.1): an s above it is "high". */
static const uint8_t HALF_N[32] = {
    0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0x5d, 0x57, 0x6e, 0x73, 0x57, 0xa4, 0x50, 0x1d, 0xdf, 0xe9, 0x2f, 0x46, 0x68, 0x1b, 0x20, 0xa0};

/* The algorithm argument. An empty one means secp256k1 at 0.5.11; 0.6.0 has no default
 * (guest-api-0.6.md §2.3). Anything else unknown: upstream's bare "Unsupported algorithm". */
static int parse_alg(sim_call *c, sig_alg *alg) {
    const char *s;
    if (ds_json_get_str(c->args, "algorithm", &s, c->err, sizeof c->err)) return -1;
    int empty_ok = c->st->cfg->agent != SIM_AGENT_0_6_0;
    if (!strcmp(s, "secp256k1") || !strcmp(s, "k256") || (!*s && empty_ok)) *alg = SIG_SECP;
    else if (!strcmp(s, "secp256k1_prehashed")) *alg = SIG_SECP_PREHASHED;
    else if (!strcmp(s, "ed25519")) *alg = SIG_ED25519;
    else {
        snprintf(c->err, sizeof c->err, "Unsupported algorithm");
        return -1;
    }
    return 0;
}

static int prehash_len_ok(sim_call *c, size_t n) {
    if (n == 32) return 1;
    snprintf(c->err, sizeof c->err,
             "Pre-hashed signing requires a 32-byte digest, but received %zu bytes", n);
    return 0;
}

int sim_m_sign(sim_call *c) {
    sig_alg alg;
    uint8_t *data = NULL;
    size_t n = 0;
    int rc = -1;
    if (parse_alg(c, &alg) ||
        ds_json_get_hex(c->args, "data", &data, &n, c->err, sizeof c->err))
        return -1;
    if (alg == SIG_SECP_PREHASHED && !prehash_len_ok(c, n)) goto out;
    ds_derived_key dk;
    if (sim_derive_key(c, "vms", 3, "signing", 7,
                       alg == SIG_ED25519 ? DS_KEY_ED25519 : DS_KEY_SECP256K1, &dk))
        goto out;
    sim_recent_key_add(c->st->recent, c->worker, "Sign", "vms", 3, "signing", 7,
                       alg == SIG_ED25519 ? "ed25519" : "secp256k1", &dk, c->st->link1);
    uint8_t sig[64], digest[32];
    ds_err e;
    if (alg == SIG_ED25519) {
        e = ds_ed25519_sign(dk.key, data, n, sig);
    } else {
        if (alg == SIG_SECP) ds_sha256(data, n, digest);
        else memcpy(digest, data, 32);
        e = ds_secp_sign(dk.key, digest, sig);
    }
    if (e != DS_OK) {
        snprintf(c->err, sizeof c->err, "signing failed");
    } else {
        ds_buf *o = c->out;
        ds_buf_puts(o, "{\"signature\":");
        ds_buf_json_hex(o, sig, 64);
        ds_buf_puts(o, ",\"signature_chain\":[");
        ds_buf_json_hex(o, sig, 64);
        ds_buf_putc(o, ',');
        ds_buf_json_hex(o, dk.link0, 65);
        ds_buf_putc(o, ',');
        ds_buf_json_hex(o, c->st->link1, 65);
        ds_buf_puts(o, "],\"public_key\":");
        ds_buf_json_hex(o, dk.pub, dk.pub_len);
        ds_buf_putc(o, '}');
        rc = 0;
    }
    memset(&dk, 0, sizeof dk);
out:
    free(data);
    return rc;
}

int sim_m_verify(sim_call *c) {
    sig_alg alg;
    uint8_t *data = NULL, *sig = NULL, *pub = NULL;
    size_t n = 0, sn = 0, pn = 0;
    int rc = -1;
    if (parse_alg(c, &alg) ||
        ds_json_get_hex(c->args, "data", &data, &n, c->err, sizeof c->err) ||
        ds_json_get_hex(c->args, "signature", &sig, &sn, c->err, sizeof c->err) ||
        ds_json_get_hex(c->args, "public_key", &pub, &pn, c->err, sizeof c->err))
        goto out;
    if (sn != 64) {
        snprintf(c->err, sizeof c->err, "Invalid signature: expected 64 bytes, got %zu", sn);
        goto out;
    }
    ds_err e;
    if (alg == SIG_ED25519) {
        if (pn != 32) {
            snprintf(c->err, sizeof c->err, "Invalid ed25519 public key: expected 32 bytes, got %zu",
                     pn);
            goto out;
        }
        e = ds_ed25519_verify(pub, data, n, sig);
    } else {
        uint8_t digest[32];
        if (pn != 33 && pn != 65) {
            snprintf(c->err, sizeof c->err,
                     "Invalid secp256k1 public key: expected 33 or 65 bytes (SEC1), got %zu", pn);
            goto out;
        }
        if (alg == SIG_SECP_PREHASHED) {
            /* k256's verify_prehash: a digest of 16 bytes or more is taken as the leftmost
             * 32 bytes, a shorter one left-padded with zeros; under 16 never verifies
             * (guest-api-0.6.md §2.3, the frozen surface's documented quirk). */
            if (n < 16) {
                ds_buf_puts(c->out, "{\"valid\":false}");
                rc = 0;
                goto out;
            }
            memset(digest, 0, 32);
            if (n >= 32) memcpy(digest, data, 32);
            else memcpy(digest + 32 - n, data, n);
        } else {
            ds_sha256(data, n, digest);
        }
        /* The agent's k256 verifier rejects high-S: a valid answer, false (not a 400). */
        e = ds_secp_verify(pub, pn, digest, sig);
        if (e == DS_OK && memcmp(sig + 32, HALF_N, 32) > 0) e = DS_ERR_VERIFY;
    }
    if (e == DS_OK || e == DS_ERR_VERIFY) {
        ds_buf_puts(c->out, e == DS_OK ? "{\"valid\":true}" : "{\"valid\":false}");
        rc = 0;
    } else if (e == DS_ERR_KEY) {
        snprintf(c->err, sizeof c->err, "Invalid public key");
    } else {
        snprintf(c->err, sizeof c->err, "Invalid signature");
    }
out:
    free(data);
    free(sig);
    free(pub);
    return rc;
}
