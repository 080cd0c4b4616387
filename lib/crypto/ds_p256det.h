/* ds_p256det.h — deterministic ECDSA over P-256 with SHA-256 (RFC 6979 nonces).
 *
 * OpenSSL 3.0's ECDSA draws a random nonce, so the same key and message give a different
 * signature every time. The fake Intel PKI needs byte-identical certificates, CRLs,
 * collateral signatures and quotes from one seed, so it signs here instead: the nonce k
 * comes from HMAC-SHA256 (RFC 6979 §3.2) over the private key and the message digest,
 * and r, s are computed with OpenSSL's BIGNUM / EC_POINT arithmetic. Signatures verify
 * with any ECDSA verifier. s is not normalised to the low half (RFC 6979's published
 * vectors are not either, and neither X.509 nor DCAP asks for it).
 *
 * Private keys are 32-byte big-endian scalars in [1, n-1]; signatures are raw r(32) ‖ s(32).
 */
#ifndef DS_P256DET_H
#define DS_P256DET_H

#include <stddef.h>
#include <stdint.h>

#include "ds_err.h"
#include "ds_json.h"

/* A signing context: the curve group, its order and SHA-256, set up once (creating the
 * group alone costs as much as a third of a signature). Read-only after creation, so one
 * context may be used by several threads at once. NULL on allocation failure. */
typedef struct ds_p256det_ctx ds_p256det_ctx;
ds_p256det_ctx *ds_p256det_ctx_new(void);
void ds_p256det_ctx_free(ds_p256det_ctx *c);

/* ds_p256det_sign_digest / ds_p256det_sign with a context: the same bytes, faster. */
ds_err ds_p256det_sign_digest_ctx(const ds_p256det_ctx *c, const uint8_t priv[32],
                                  const uint8_t h[32], uint8_t sig[64]);
ds_err ds_p256det_sign_ctx(const ds_p256det_ctx *c, const uint8_t priv[32], const uint8_t *msg,
                           size_t len, uint8_t sig[64]);

/* The first RFC 6979 nonce candidate in [1, n-1] for private key priv and message digest
 * h1 (SHA-256 of the message). Returns DS_OK, DS_ERR_KEY (priv not in [1, n-1]) or
 * DS_ERR_CRYPTO. */
ds_err ds_p256det_nonce(const uint8_t priv[32], const uint8_t h1[32], uint8_t k[32]);

/* Signs the 32-byte digest h with priv. Returns DS_OK, DS_ERR_KEY or DS_ERR_CRYPTO. */
ds_err ds_p256det_sign_digest(const uint8_t priv[32], const uint8_t h[32], uint8_t sig[64]);

/* Signs SHA-256(msg). Returns DS_OK, DS_ERR_KEY or DS_ERR_CRYPTO. */
ds_err ds_p256det_sign(const uint8_t priv[32], const uint8_t *msg, size_t len, uint8_t sig[64]);

/* Public key x ‖ y of priv. Returns DS_OK, DS_ERR_KEY or DS_ERR_CRYPTO. */
ds_err ds_p256det_pub(const uint8_t priv[32], uint8_t xy[64]);

/* Appends the DER ECDSA-Sig-Value SEQUENCE { INTEGER r, INTEGER s } of a raw r ‖ s
 * signature to out (check out->oom). */
void ds_p256_sig_der(const uint8_t sig[64], ds_buf *out);

#endif
