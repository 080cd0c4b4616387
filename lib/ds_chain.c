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
    if ((purpose == NULL && purpose_len) || derived_pub == NULL || digest == NULL ||
        pub_len == 0 || pub_len > 65)
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

ds_err ds_chain_getkey(const uint8_t app_key[32], const char *path, size_t path_len,
                       const char *purpose, size_t purpose_len, ds_key_alg alg,
                       ds_derived_key *out) {
    uint8_t digest[32];
    if (app_key == NULL || out == NULL || (purpose == NULL && purpose_len)) return DS_ERR_ARG;
    memset(out, 0, sizeof *out);
    ds_err rc = ds_kdf_path_key(app_key, path, path_len, out->key);
    if (rc != DS_OK) return rc;
    if (alg == DS_KEY_ED25519) {
        rc = ds_ed25519_pubkey(out->key, out->pub);
        out->pub_len = 32;
    } else if (alg == DS_KEY_SECP256K1) {
        rc = ds_secp_pubkey(out->key, out->pub, 33);
        out->pub_len = 33;
    } else {
        rc = DS_ERR_ALG;
    }
    if (rc == DS_OK) rc = ds_chain_claim_digest(purpose, purpose_len, out->pub, out->pub_len, digest);
    if (rc == DS_OK) rc = ds_secp_sign_recoverable(app_key, digest, out->link0);
    if (rc != DS_OK) memset(out, 0, sizeof *out);
    return rc;
}

const char *ds_chain_status_str(ds_chain_status st) {
    switch (st) {
    case DS_CHAIN_VALID: return "valid: recovers to the trusted KMS root";
    case DS_CHAIN_BAD_INPUT: return "derived public key must be 33 (secp256k1) or 32 (ed25519) bytes";
    case DS_CHAIN_APP_LINK: return "app link (chain[0]) does not recover: malformed, or v not 0/1";
    case DS_CHAIN_KMS_LINK: return "KMS link (chain[1]) does not recover: malformed, or v not 0/1";
    case DS_CHAIN_ROOT_MISMATCH: return "chain recovers to a KMS root other than the trusted one";
    case DS_CHAIN_RECOVERED: return "chain recovers (no trusted root given to compare)";
    }
    return "unknown status";
}

ds_err ds_chain_verify(const uint8_t *derived_pub, size_t pub_len, const char *purpose,
                       size_t purpose_len, const uint8_t link0[65], const uint8_t link1[65],
                       const uint8_t app_id[DS_APP_ID_LEN], const uint8_t trusted_root[20],
                       ds_chain_result *res) {
    uint8_t digest[32];
    if (res == NULL) return DS_ERR_ARG;
    memset(res, 0, sizeof *res);
    if (derived_pub == NULL || link0 == NULL || link1 == NULL || app_id == NULL ||
        (purpose == NULL && purpose_len))
        return DS_ERR_ARG;
    res->status = DS_CHAIN_BAD_INPUT;
    if (pub_len != 33 && pub_len != 32) return DS_ERR_VERIFY;

    res->status = DS_CHAIN_APP_LINK;
    ds_chain_claim_digest(purpose, purpose_len, derived_pub, pub_len, digest);
    if (ds_secp_recover(digest, link0, 0, res->app_pub) != DS_OK) return DS_ERR_VERIFY;
    ds_secp_address(res->app_pub, 33, res->app_addr);
    res->have_app = 1;

    res->status = DS_CHAIN_KMS_LINK;
    ds_chain_kms_digest(app_id, res->app_pub, digest);
    if (ds_secp_recover(digest, link1, 0, res->kms_pub) != DS_OK) return DS_ERR_VERIFY;
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
