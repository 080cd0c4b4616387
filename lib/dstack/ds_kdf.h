/* ds_kdf.h — dstack's key derivation: HKDF-SHA256, 32-byte outputs.
 *
 * v0 (salt "RATLS"):
 *   app_key = HKDF(kms_root_key, app_id(20 raw bytes) ‖ "app-key")     (KMS side)
 *   key     = HKDF(app_key, utf8(path))                                  (guest GetKey)
 * v1 (dstack 0.6 /v1/GetKey, salt "dstack-guest-v1", LP(x) = u32_be(len(x)) ‖ x):
 *   key     = HKDF(app_key, LP("dstack-guest-v1-key") ‖ LP(alg) ‖ LP(domain))
 * See shared spec keys-and-signature-chain.md §1 and guest-api-0.6.md §2.5.
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

#define DS_KDF_V1_SALT "dstack-guest-v1"
#define DS_KDF_V1_LABEL "dstack-guest-v1-key"

/* Longest domain ds_kdf_v1_key derives from on the stack; a longer one is copied to a
 * heap buffer of 40 + domain_len bytes, freed before returning. */
#define DS_KDF_V1_STACK_DOMAIN 512

/* /v1/GetKey's key for (alg, domain) under app_key. alg is the canonical algorithm name,
 * "secp256k1" or "ed25519"; domain is any domain_len bytes (NUL included; NULL when
 * domain_len is 0). For secp256k1 the output is a big-endian scalar, used as is (no
 * reduction); for ed25519 it is an RFC 8032 seed.
 * Returns DS_OK; DS_ERR_ARG for a NULL pointer; DS_ERR_ALG for any other alg;
 * DS_ERR_KEY when alg is secp256k1 and the output is 0 or >= the group order (key is
 * then zeroed); DS_ERR_NOMEM or DS_ERR_CRYPTO. */
ds_err ds_kdf_v1_key(const uint8_t app_key[32], const char *alg, const char *domain,
                     size_t domain_len, uint8_t key[32]);

#endif
