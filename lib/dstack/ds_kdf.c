/* ds_kdf.c — dstack's HKDF-based key derivation (see ds_kdf.h). */
#include "ds_kdf.h"

#include <stdlib.h>
#include <string.h>

#include "ds_hash.h"
#include "ds_secp.h"

static const uint8_t ratls_salt[] = {'R', 'A', 'T', 'L', 'S'};

ds_err ds_kdf_ratls(const uint8_t *ikm, size_t ikm_len, const uint8_t *info, size_t info_len,
                    uint8_t out[32]) {
    return ds_hkdf_sha256(ratls_salt, sizeof ratls_salt, ikm, ikm_len, info, info_len, out, 32);
}

ds_err ds_kdf_app_key(const uint8_t root_key[32], const uint8_t app_id[DS_APP_ID_LEN],
                      uint8_t app_key[32]) {
    if (root_key == NULL || app_id == NULL || app_key == NULL) return DS_ERR_ARG;
    uint8_t info[DS_APP_ID_LEN + 7];
    memcpy(info, app_id, DS_APP_ID_LEN);
    memcpy(info + DS_APP_ID_LEN, "app-key", 7);
    ds_err rc = ds_kdf_ratls(root_key, 32, info, sizeof info, app_key);
    if (rc == DS_OK && !ds_secp_priv_valid(app_key)) rc = DS_ERR_KEY;
    return rc;
}

ds_err ds_kdf_path_key(const uint8_t app_key[32], const char *path, size_t path_len,
                       uint8_t key[32]) {
    if (app_key == NULL || key == NULL || (path == NULL && path_len)) return DS_ERR_ARG;
    return ds_kdf_ratls(app_key, 32, (const uint8_t *)path, path_len, key);
}

/* Writes LP(x) = u32_be(len) ‖ x at p; returns the byte after it. */
static uint8_t *put_lp(uint8_t *p, const void *x, size_t len) {
    p[0] = (uint8_t)(len >> 24);
    p[1] = (uint8_t)(len >> 16);
    p[2] = (uint8_t)(len >> 8);
    p[3] = (uint8_t)len;
    if (len) memcpy(p + 4, x, len);
    return p + 4 + len;
}

ds_err ds_kdf_v1_key(const uint8_t app_key[32], const char *alg, const char *domain,
                     size_t domain_len, uint8_t key[32]) {
    static const char label[] = DS_KDF_V1_LABEL;
    static const char salt[] = DS_KDF_V1_SALT;
    if (app_key == NULL || alg == NULL || key == NULL || (domain == NULL && domain_len))
        return DS_ERR_ARG;
    int secp = strcmp(alg, "secp256k1") == 0;
    if (!secp && strcmp(alg, "ed25519") != 0) return DS_ERR_ALG;
    size_t alg_len = strlen(alg), head = 4 + sizeof label - 1 + 4 + alg_len + 4;
    if (domain_len > SIZE_MAX - head) return DS_ERR_ARG;
    uint8_t stack[4 + sizeof label - 1 + 4 + 9 + 4 + DS_KDF_V1_STACK_DOMAIN];
    uint8_t *info = domain_len <= DS_KDF_V1_STACK_DOMAIN ? stack : malloc(head + domain_len);
    if (info == NULL) return DS_ERR_NOMEM;
    uint8_t *p = put_lp(info, label, sizeof label - 1);
    p = put_lp(p, alg, alg_len);
    p = put_lp(p, domain, domain_len);
    ds_err rc = ds_hkdf_sha256((const uint8_t *)salt, sizeof salt - 1, app_key, 32, info,
                               (size_t)(p - info), key, 32);
    if (info != stack) free(info);
    if (rc == DS_OK && secp && !ds_secp_priv_valid(key)) rc = DS_ERR_KEY;
    if (rc != DS_OK) memset(key, 0, 32);
    return rc;
}
