/* ds_kdf.h — dstack's key derivation: HKDF-SHA256 with salt "RATLS", 32-byte outputs.
 *
 *   app_key = HKDF(kms_root_key, app_id(20 raw bytes) ‖ "app-key")     (KMS side)
 *   key     = HKDF(app_key, utf8(path))                                  (guest GetKey)
 */
#ifndef DS_KDF_H
#define DS_KDF_H

#include <stddef.h>
#include <stdint.h>

#include "ds_err.h"

#define DS_APP_ID_LEN 20

/* HKDF-SHA256(salt "RATLS", ikm, info) → 32 bytes. Returns DS_OK, DS_ERR_ARG or
 * DS_ERR_CRYPTO. */
ds_err ds_kdf_ratls(const uint8_t *ikm, size_t ikm_len, const uint8_t *info, size_t info_len,
                    uint8_t out[32]);

/* The KMS's app key for app_id. Returns DS_OK, or DS_ERR_KEY in the (negligible) case
 * the output is not a valid secp256k1 key. */
ds_err ds_kdf_app_key(const uint8_t root_key[32], const uint8_t app_id[DS_APP_ID_LEN],
                      uint8_t app_key[32]);

/* GetKey's derived key for path (any bytes, path_len of them). The same 32 bytes serve
 * secp256k1 and ed25519. Returns DS_OK, DS_ERR_ARG or DS_ERR_CRYPTO. */
ds_err ds_kdf_path_key(const uint8_t app_key[32], const char *path, size_t path_len,
                       uint8_t key[32]);

#endif
