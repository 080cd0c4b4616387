/* ds_secp.h — secp256k1 keys and signatures over libsecp256k1, Ethereum style.
 *
 * One shared, randomised libsecp256k1 context is created on first use (thread-safe) and
 * used by every call. Signatures are the 65-byte recoverable form r(32) ‖ s(32) ‖ v(1)
 * with v = recovery id 0 or 1 (never 27/28), RFC 6979 nonces, low-S — byte-identical to
 * dstack's KMS and guest agent.
 */
#ifndef DS_SECP_H
#define DS_SECP_H

#include <stddef.h>
#include <stdint.h>

#include "ds_err.h"

#define DS_SECP_PRIV_LEN 32
#define DS_SECP_PUB33_LEN 33
#define DS_SECP_PUB65_LEN 65
#define DS_SECP_SIG65_LEN 65
#define DS_SECP_SIG64_LEN 64
#define DS_ETH_ADDR_LEN 20

/* Returns 1 if priv is a valid secret key (non-zero, below the group order), else 0. */
int ds_secp_priv_valid(const uint8_t priv[32]);

/* Public key of priv: compressed (33 bytes) when out_len == 33, uncompressed (65 bytes,
 * 0x04 ‖ x ‖ y) when out_len == 65. Returns DS_OK, DS_ERR_KEY or DS_ERR_LEN. */
ds_err ds_secp_pubkey(const uint8_t priv[32], uint8_t *out, size_t out_len);

/* Re-encodes a public key given as 33-byte compressed, 65-byte uncompressed, or 64-byte
 * raw x ‖ y into out (33 or 65 bytes by out_len). Returns DS_OK, DS_ERR_KEY (not a point
 * or wrong length) or DS_ERR_LEN. */
ds_err ds_secp_pub_convert(const uint8_t *pub, size_t pub_len, uint8_t *out, size_t out_len);

/* Ethereum address keccak256(x ‖ y)[12:] of a public key in any form accepted by
 * ds_secp_pub_convert. Returns DS_OK or DS_ERR_KEY. */
ds_err ds_secp_address(const uint8_t *pub, size_t pub_len, uint8_t addr[20]);

/* Address of a private key's public key. Returns DS_OK or DS_ERR_KEY. */
ds_err ds_secp_priv_address(const uint8_t priv[32], uint8_t addr[20]);

/* Recoverable ECDSA signature over a 32-byte digest (RFC 6979, low-S), v in {0,1}.
 * Returns DS_OK or DS_ERR_KEY. */
ds_err ds_secp_sign_recoverable(const uint8_t priv[32], const uint8_t digest[32],
                                uint8_t sig[65]);

/* Recovers the signer's compressed public key from a 65-byte signature. v must be 0 or 1
 * unless allow_27 is non-zero, in which case 27/28 are accepted too.
 * Returns DS_OK, DS_ERR_SIG (bad v, r/s out of range, or no key recovers). */
ds_err ds_secp_recover(const uint8_t digest[32], const uint8_t sig[65], int allow_27,
                       uint8_t pub33[33]);

/* Compact 64-byte r ‖ s ECDSA signature (RFC 6979, low-S) over digest.
 * Returns DS_OK or DS_ERR_KEY. */
ds_err ds_secp_sign(const uint8_t priv[32], const uint8_t digest[32], uint8_t sig[64]);

/* Verifies a compact 64-byte signature against a public key (33, 64 or 65 bytes).
 * High-S signatures are normalised first (as dstack's Rust verifier accepts them).
 * Returns DS_OK when valid, DS_ERR_VERIFY when well-formed but wrong, DS_ERR_KEY or
 * DS_ERR_SIG when malformed. */
ds_err ds_secp_verify(const uint8_t *pub, size_t pub_len, const uint8_t digest[32],
                      const uint8_t sig[64]);

/* Formats an address as EIP-55 mixed-case "0x…" text into out (43 bytes). Returns out. */
char *ds_eth_checksum(const uint8_t addr[20], char out[43]);

#endif
