/* ds_ed25519.h — Ed25519 from a 32-byte seed (RFC 8032), via OpenSSL. */
#ifndef DS_ED25519_H
#define DS_ED25519_H

#include <stddef.h>
#include <stdint.h>

#include "ds_err.h"

/* Public key of the 32-byte seed. Returns DS_OK or DS_ERR_CRYPTO. */
ds_err ds_ed25519_pubkey(const uint8_t seed[32], uint8_t pub[32]);

/* Signs msg (any length) with the seed's key. Returns DS_OK or DS_ERR_CRYPTO. */
ds_err ds_ed25519_sign(const uint8_t seed[32], const uint8_t *msg, size_t len, uint8_t sig[64]);

/* Returns DS_OK when sig is valid for msg under pub, DS_ERR_VERIFY otherwise,
 * DS_ERR_KEY when pub is not a valid key. */
ds_err ds_ed25519_verify(const uint8_t pub[32], const uint8_t *msg, size_t len,
                         const uint8_t sig[64]);

#endif
