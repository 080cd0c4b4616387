/* ds_kdf.c — dstack's HKDF-based key derivation (see ds_kdf.h). */
#include "ds_kdf.h"

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
