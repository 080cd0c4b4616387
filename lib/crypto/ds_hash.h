/* ds_hash.h — SHA-2, SHA-3 and HKDF-SHA256 (OpenSSL), plus lookup of the hash algorithms
 * dstack's Tappd.TdxQuote accepts by name.
 */
#ifndef DS_HASH_H
#define DS_HASH_H

#include <stddef.h>
#include <stdint.h>

#include "ds_err.h"

#define DS_HASH_MAX 64

void ds_sha256(const uint8_t *data, size_t len, uint8_t out[32]);
void ds_sha384(const uint8_t *data, size_t len, uint8_t out[48]);
void ds_sha512(const uint8_t *data, size_t len, uint8_t out[64]);

/* Hashes with a named algorithm: "sha256", "sha384", "sha512", "sha3-256", "sha3-384",
 * "sha3-512", "keccak256", "keccak384", "keccak512". Writes the digest (at most
 * DS_HASH_MAX bytes) to out and its length to *out_len.
 * Returns DS_OK, DS_ERR_ALG for any other name, DS_ERR_CRYPTO if OpenSSL fails. */
ds_err ds_hash_named(const char *alg, const uint8_t *data, size_t len, uint8_t out[DS_HASH_MAX],
                     size_t *out_len);

/* HKDF-SHA256 (RFC 5869) extract-and-expand with the given salt, writing out_len bytes
 * (at most 255*32). Returns DS_OK, DS_ERR_ARG or DS_ERR_CRYPTO. */
ds_err ds_hkdf_sha256(const uint8_t *salt, size_t salt_len, const uint8_t *ikm, size_t ikm_len,
                      const uint8_t *info, size_t info_len, uint8_t *out, size_t out_len);

/* Fills buf with n cryptographically random bytes. Returns DS_OK or DS_ERR_CRYPTO. */
ds_err ds_random(uint8_t *buf, size_t n);

#endif
