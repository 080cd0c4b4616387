/* ds_p256.h — NIST P-256 (secp256r1) keys for quotes and X.509, over OpenSSL 3.
 *
 * Keys come from a 32-byte big-endian scalar (deterministic keys: quote attestation key,
 * tappd DeriveKey) or from the RNG (GetTlsKey). Signatures are ECDSA over SHA-256,
 * returned raw as r(32) ‖ s(32) as TDX quotes carry them. Public keys are raw x(32) ‖ y(32).
 */
#ifndef DS_P256_H
#define DS_P256_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "ds_err.h"

/* An EVP_PKEY (EC, P-256) with private key from scalar priv (must be 1..n-1).
 * Returns NULL when priv is out of range or OpenSSL fails. Free with EVP_PKEY_free. */
EVP_PKEY *ds_p256_from_scalar(const uint8_t priv[32]);

/* Derives a valid P-256 scalar from seed material: HKDF-SHA256(salt "RATLS", ikm, info),
 * retried with a counter byte appended to info in the negligible case the output is 0 or
 * ≥ n. Returns DS_OK or DS_ERR_CRYPTO. */
ds_err ds_p256_scalar_from_seed(const uint8_t *ikm, size_t ikm_len, const char *info,
                                uint8_t priv[32]);

/* A fresh random P-256 key, or NULL. */
EVP_PKEY *ds_p256_generate(void);

/* Raw public key x ‖ y of key. Returns DS_OK or DS_ERR_CRYPTO. */
ds_err ds_p256_pub_xy(EVP_PKEY *key, uint8_t xy[64]);

/* ECDSA-SHA256 over msg → raw r ‖ s. Returns DS_OK or DS_ERR_CRYPTO. */
ds_err ds_p256_sign(EVP_PKEY *key, const uint8_t *msg, size_t len, uint8_t sig[64]);

/* Verifies raw r ‖ s over SHA-256(msg) under raw public key xy. Returns DS_OK,
 * DS_ERR_VERIFY (wrong signature), DS_ERR_KEY (not a point). */
ds_err ds_p256_verify(const uint8_t xy[64], const uint8_t *msg, size_t len, const uint8_t sig[64]);
/* The public key x ‖ y as an EVP_PKEY (caller frees), or NULL when it is not a point of
 * the curve (or out of memory). */
EVP_PKEY *ds_p256_from_xy(const uint8_t xy[64]);
/* ds_p256_verify with a key already in hand (any P-256 EVP_PKEY, e.g. a certificate's).
 * Returns DS_OK, DS_ERR_VERIFY, DS_ERR_KEY (NULL key) or DS_ERR_CRYPTO. */
ds_err ds_p256_verify_key(EVP_PKEY *key, const uint8_t *msg, size_t len, const uint8_t sig[64]);

/* DER SubjectPublicKeyInfo of key into a malloc'd buffer. Returns DS_OK or DS_ERR_CRYPTO. */
ds_err ds_p256_spki_der(EVP_PKEY *key, uint8_t **der, size_t *der_len);

#endif
