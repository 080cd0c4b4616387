/* ds_chain.c — making and verifying dstack's key signature chain (see ds_chain.h). */
#include "ds_chain.h"

#include <string.h>

#include "ds_ed25519.h"
#include "ds_hex.h"
#include "ds_keccak.h"
#include "ds_secp.h"

ds_err ds_key_alg_parse(const char *name, ds_key_alg *alg) {
    if (name == NULL || alg == NULL) return DS_ERR_ARG;
    if (name[0] == '\0' || strcmp(name, "secp256k1") == 0 || strcmp(name, "k256") == 0) {
        *alg = DS_KEY_SECP256K1;
        return DS_OK;
    }
    if (strcmp(name, "ed25519") == 0) {
        *alg = DS_KEY_ED25519;
        return DS_OK;
    }
    return DS_ERR_ALG;
}

ds_err ds_chain_claim_digest(const char *purpose, size_t purpose_len, const uint8_t *derived_pub,
                             size_t pub_len, uint8_t digest[32]) {
    char hex[2 * 65 + 1];
    if ((purpose == NULL && purpose_len) || derived_pub == NULL || digest == NULL || pub_len == 0 ||
        pub_len > 65)
        return DS_ERR_ARG;
    ds_keccak_ctx k;
    ds_keccak_init(&k, 32);
    ds_keccak_update(&k, (const uint8_t *)purpose, purpose_len);
    ds_keccak_update(&k, (const uint8_t *)":", 1);
    ds_keccak_update(&k, (const uint8_t *)ds_hex_encode(derived_pub, pub_len, hex), 2 * pub_len);
    ds_keccak_final(&k, digest);
    return DS_OK;
}

void ds_chain_kms_digest(const uint8_t app_id[DS_APP_ID_LEN], const uint8_t app_pub33[33],
                         uint8_t digest[32]) {
    ds_keccak_ctx k;
    ds_keccak_init(&k, 32);
    ds_keccak_update(&k, (const uint8_t *)DS_KMS_PREFIX, sizeof DS_KMS_PREFIX - 1);
    ds_keccak_update(&k, app_id, DS_APP_ID_LEN);
    ds_keccak_update(&k, app_pub33, 33);
    ds_keccak_final(&k, digest);
}

ds_err ds_chain_kms_issue(const uint8_t root_key[32], const uint8_t app_id[DS_APP_ID_LEN],
                          uint8_t app_key[32], uint8_t app_pub33[33], uint8_t link1[65]) {
    uint8_t key[32], pub[33], digest[32];
    if (root_key == NULL || app_id == NULL) return DS_ERR_ARG;
    if (!ds_secp_priv_valid(root_key)) return DS_ERR_KEY;
    ds_err rc = ds_kdf_app_key(root_key, app_id, key);
    if (rc == DS_OK) rc = ds_secp_pubkey(key, pub, sizeof pub);
    if (rc == DS_OK && link1 != NULL) {
        ds_chain_kms_digest(app_id, pub, digest);
        rc = ds_secp_sign_recoverable(root_key, digest, link1);
    }
    if (rc == DS_OK && app_key != NULL) memcpy(app_key, key, 32);
    if (rc == DS_OK && app_pub33 != NULL) memcpy(app_pub33, pub, 33);
    memset(key, 0, sizeof key);
    return rc;
}

/* Fills out->pub and out->pub_len from out->key for alg. Returns DS_OK, DS_ERR_ALG (alg
 * outside ds_key_alg), DS_ERR_KEY or DS_ERR_CRYPTO. */
static ds_err derive_pub(ds_key_alg alg, ds_derived_key *out) {
    switch (alg) {
    case DS_KEY_ED25519: out->pub_len = 32; return ds_ed25519_pubkey(out->key, out->pub);
    case DS_KEY_SECP256K1: out->pub_len = 33; return ds_secp_pubkey(out->key, out->pub, 33);
    }
    return DS_ERR_ALG;
}

ds_err ds_chain_getkey(const uint8_t app_key[32], const char *path, size_t path_len,
                       const char *purpose, size_t purpose_len, ds_key_alg alg,
                       ds_derived_key *out) {
    uint8_t digest[32];
    if (app_key == NULL || out == NULL || (purpose == NULL && purpose_len)) return DS_ERR_ARG;
    memset(out, 0, sizeof *out);
    ds_err rc = ds_kdf_path_key(app_key, path, path_len, out->key);
    if (rc == DS_OK) rc = derive_pub(alg, out);
    if (rc == DS_OK)
        rc = ds_chain_claim_digest(purpose, purpose_len, out->pub, out->pub_len, digest);
    if (rc == DS_OK) rc = ds_secp_sign_recoverable(app_key, digest, out->link0);
    if (rc != DS_OK) memset(out, 0, sizeof *out);
    return rc;
}

const char *ds_chain_status_str(ds_chain_status st) {
    switch (st) {
    case DS_CHAIN_VALID: return "valid: recovers to the trusted KMS root";
    case DS_CHAIN_BAD_INPUT:
        return "derived public key must be 33 (secp256k1) or 32 (ed25519) bytes";
    case DS_CHAIN_APP_LINK: return "app link (chain[0]) does not recover: malformed, or v not 0/1";
    case DS_CHAIN_KMS_LINK: return "KMS link (chain[1]) does not recover: malformed, or v not 0/1";
    case DS_CHAIN_ROOT_MISMATCH: return "chain recovers to a KMS root other than the trusted one";
    case DS_CHAIN_RECOVERED: return "chain recovers (no trusted root given to compare)";
    }
    return "unknown status";
}

/* Half the secp256k1 group order, big-endian: a signature is low-S when s <= this. */
static const uint8_t SECP_HALF_N[32] = {
    0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0x5d, 0x57, 0x6e, 0x73, 0x57, 0xa4, 0x50, 0x1d, 0xdf, 0xe9, 0x2f, 0x46, 0x68, 0x1b, 0x20, 0xa0};

/* Recovers the signer of a chain link in dstack's canonical form: v 0/1 and low S (as
 * dstack's k256 verifier; a high-S twin is a second encoding of the same signature). */
static int recover_link(const uint8_t digest[32], const uint8_t link[65], uint8_t pub33[33]) {
    if (memcmp(link + 32, SECP_HALF_N, 32) > 0) return 0;
    return ds_secp_recover(digest, link, 0, pub33) == DS_OK;
}

/* Both verifiers after the claim: link0 over claim_digest, link1 over the KMS message, the
 * root against trusted_root. res was cleared by the caller. */
static ds_err verify_links(const uint8_t claim_digest[32], const uint8_t link0[65],
                           const uint8_t link1[65], const uint8_t app_id[DS_APP_ID_LEN],
                           const uint8_t trusted_root[20], ds_chain_result *res) {
    uint8_t digest[32];
    res->status = DS_CHAIN_APP_LINK;
    if (!recover_link(claim_digest, link0, res->app_pub)) return DS_ERR_VERIFY;
    ds_secp_address(res->app_pub, 33, res->app_addr);
    res->have_app = 1;

    res->status = DS_CHAIN_KMS_LINK;
    ds_chain_kms_digest(app_id, res->app_pub, digest);
    if (!recover_link(digest, link1, res->kms_pub)) return DS_ERR_VERIFY;
    ds_secp_address(res->kms_pub, 33, res->kms_addr);
    res->have_kms = 1;

    if (trusted_root == NULL) {
        res->status = DS_CHAIN_RECOVERED;
        return DS_OK;
    }
    if (memcmp(res->kms_addr, trusted_root, 20) != 0) {
        res->status = DS_CHAIN_ROOT_MISMATCH;
        return DS_ERR_VERIFY;
    }
    res->status = DS_CHAIN_VALID;
    return DS_OK;
}

ds_err ds_chain_verify(const uint8_t *derived_pub, size_t pub_len, const char *purpose,
                       size_t purpose_len, const uint8_t link0[65], const uint8_t link1[65],
                       const uint8_t app_id[DS_APP_ID_LEN], const uint8_t trusted_root[20],
                       ds_chain_result *res) {
    uint8_t digest[32];
    if (res == NULL) return DS_ERR_ARG;
    memset(res, 0, sizeof *res);
    res->status = DS_CHAIN_BAD_INPUT;
    if (derived_pub == NULL || link0 == NULL || link1 == NULL || app_id == NULL ||
        (purpose == NULL && purpose_len))
        return DS_ERR_ARG;
    if (pub_len != 33 && pub_len != 32) return DS_ERR_VERIFY;
    ds_chain_claim_digest(purpose, purpose_len, derived_pub, pub_len, digest);
    return verify_links(digest, link0, link1, app_id, trusted_root, res);
}

/* ---- v1 ---- */

const char *ds_key_alg_v1_name(ds_key_alg alg) {
    switch (alg) {
    case DS_KEY_SECP256K1: return "secp256k1";
    case DS_KEY_ED25519: return "ed25519";
    }
    return NULL;
}

ds_err ds_key_alg_parse_v1(const char *name, ds_key_alg *alg) {
    if (name == NULL || alg == NULL || name[0] == '\0') return DS_ERR_ARG;
    if (strcmp(name, "secp256k1") == 0) {
        *alg = DS_KEY_SECP256K1;
        return DS_OK;
    }
    if (strcmp(name, "ed25519") == 0) {
        *alg = DS_KEY_ED25519;
        return DS_OK;
    }
    return DS_ERR_ALG;
}

/* Where a v1 claim goes: a caller's buffer (out, cap) and/or a keccak context. len counts
 * every byte, also those past cap. */
typedef struct {
    uint8_t *out;
    size_t cap, len;
    ds_keccak_ctx *k;
} claim_sink;

static void sink_put(claim_sink *s, const uint8_t *p, size_t n) {
    if (s->out != NULL && s->len <= s->cap && n <= s->cap - s->len && n)
        memcpy(s->out + s->len, p, n);
    if (s->k != NULL) ds_keccak_update(s->k, p, n);
    s->len += n;
}

static void sink_lp(claim_sink *s, const void *p, size_t n) {
    uint8_t be[4] = {(uint8_t)(n >> 24), (uint8_t)(n >> 16), (uint8_t)(n >> 8), (uint8_t)n};
    sink_put(s, be, 4);
    sink_put(s, p, n);
}

/* Emits LP(label) ‖ LP(alg) ‖ LP(domain) ‖ LP(pub) into s. Returns DS_OK or DS_ERR_ARG. */
static ds_err claim_emit(claim_sink *s, const char *alg, const char *domain, size_t domain_len,
                         const uint8_t *pub, size_t pub_len) {
    if (alg == NULL || pub == NULL || (domain == NULL && domain_len)) return DS_ERR_ARG;
    size_t alg_len = strlen(alg), fixed = 4 * 4 + sizeof DS_CHAIN_V1_LABEL - 1 + alg_len;
    if (alg_len > 0xffffffffu || domain_len > 0xffffffffu || pub_len > 0xffffffffu ||
        pub_len > SIZE_MAX - fixed || domain_len > SIZE_MAX - fixed - pub_len)
        return DS_ERR_ARG;
    sink_lp(s, DS_CHAIN_V1_LABEL, sizeof DS_CHAIN_V1_LABEL - 1);
    sink_lp(s, alg, alg_len);
    sink_lp(s, domain, domain_len);
    sink_lp(s, pub, pub_len);
    return DS_OK;
}

ds_err ds_chain_v1_claim(const char *alg, const char *domain, size_t domain_len, const uint8_t *pub,
                         size_t pub_len, uint8_t *out, size_t cap, size_t *out_len) {
    claim_sink s = {out, out ? cap : 0, 0, NULL};
    if (out_len == NULL || (out == NULL && cap)) return DS_ERR_ARG;
    *out_len = 0;
    ds_err rc = claim_emit(&s, alg, domain, domain_len, pub, pub_len);
    if (rc != DS_OK) return rc;
    *out_len = s.len;
    return s.len <= s.cap ? DS_OK : DS_ERR_LEN;
}

ds_err ds_chain_v1_claim_digest(const char *alg, const char *domain, size_t domain_len,
                                const uint8_t *pub, size_t pub_len, uint8_t digest[32]) {
    ds_keccak_ctx k;
    claim_sink s = {NULL, 0, 0, &k};
    if (digest == NULL) return DS_ERR_ARG;
    ds_keccak_init(&k, 32);
    ds_err rc = claim_emit(&s, alg, domain, domain_len, pub, pub_len);
    if (rc == DS_OK) ds_keccak_final(&k, digest);
    return rc;
}

ds_err ds_chain_v1_getkey(const uint8_t app_key[32], const char *domain, size_t domain_len,
                          ds_key_alg alg, ds_derived_key *out) {
    uint8_t digest[32];
    const char *name = ds_key_alg_v1_name(alg);
    if (app_key == NULL || out == NULL) return DS_ERR_ARG;
    memset(out, 0, sizeof *out);
    if (name == NULL) return DS_ERR_ALG;
    ds_err rc = ds_kdf_v1_key(app_key, name, domain, domain_len, out->key);
    if (rc == DS_OK) rc = derive_pub(alg, out);
    if (rc == DS_OK)
        rc = ds_chain_v1_claim_digest(name, domain, domain_len, out->pub, out->pub_len, digest);
    if (rc == DS_OK) rc = ds_secp_sign_recoverable(app_key, digest, out->link0);
    if (rc != DS_OK) memset(out, 0, sizeof *out);
    return rc;
}

ds_err ds_chain_v1_verify(const uint8_t *pub, size_t pub_len, ds_key_alg alg, const char *domain,
                          size_t domain_len, const uint8_t link0[65], const uint8_t link1[65],
                          const uint8_t app_id[DS_APP_ID_LEN], const uint8_t trusted_root[20],
                          ds_chain_result *res) {
    uint8_t digest[32];
    const char *name = ds_key_alg_v1_name(alg);
    if (res == NULL) return DS_ERR_ARG;
    memset(res, 0, sizeof *res);
    res->status = DS_CHAIN_BAD_INPUT;
    if (pub == NULL || link0 == NULL || link1 == NULL || app_id == NULL || name == NULL ||
        (domain == NULL && domain_len))
        return DS_ERR_ARG;
    if (pub_len != (alg == DS_KEY_SECP256K1 ? 33u : 32u)) return DS_ERR_VERIFY;
    ds_chain_v1_claim_digest(name, domain, domain_len, pub, pub_len, digest);
    return verify_links(digest, link0, link1, app_id, trusted_root, res);
}
