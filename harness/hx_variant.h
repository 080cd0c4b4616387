/* hx_variant.h — the mismatch catalogue of keys-and-signature-chain.md §3, one entry per
 * wrong variant real users have written, plus the canonical format: how to build a chain
 * in each variant, and how to recover a chain under each variant's rules.
 *
 * A variant changes exactly one axis of the producer's side:
 *
 *   axis        canonical                         variants
 *   digest      keccak256(msg)                    EIP-191 personal message; SHA3-256
 *                                                 (on the app link, the KMS link, or both)
 *   v byte      0/1 in the 65-byte blob           27/28 in the blob (either or both)
 *   app id      20 raw bytes                      bytes32 right-/left-padded; hex; 0x hex
 *   app key     33-byte compressed in KMS msg     65-byte uncompressed; 64-byte x‖y; address
 *   claim       lowercase hex of 33-byte pub      0x prefix; uppercase; uncompressed; address
 *   separator   prefix ‖ app id ‖ app key         an extra ":" between app id and key
 *   trusted root the KMS root key's address       P-256 key_provider key; the app key; a
 *                                                 contract address; last 20 bytes of the
 *                                                 compressed root key
 *
 * (The simulator's lib/ds_variant implements the few modes it can serve over the socket;
 * this is the complete catalogue for the matrix and for diagnose.)
 */
#ifndef HX_VARIANT_H
#define HX_VARIANT_H

#include <stddef.h>
#include <stdint.h>

#include "ds_err.h"

enum { HX_DG_KECCAK = 0, HX_DG_EIP191, HX_DG_SHA3 };
enum { HX_ID_RAW = 0, HX_ID_B32_RIGHT, HX_ID_B32_LEFT, HX_ID_HEX, HX_ID_0XHEX };
enum { HX_KEY_C33 = 0, HX_KEY_U65, HX_KEY_XY64, HX_KEY_ADDR };
enum { HX_CLAIM_LOWER = 0, HX_CLAIM_0X, HX_CLAIM_UPPER, HX_CLAIM_U65, HX_CLAIM_ADDR };
enum { HX_ROOT_TRUE = 0, HX_ROOT_P256, HX_ROOT_APPKEY, HX_ROOT_CONTRACT, HX_ROOT_LAST20 };

typedef struct {
    const char *name;   /* "canonical", "eip191-app", … */
    const char *axis;   /* "sound", "digest", "v byte", … */
    const char *what;   /* one line: what the producer did */
    uint8_t app_dg, kms_dg;
    uint8_t app_v27, kms_v27;
    uint8_t appid;
    uint8_t appkey;
    uint8_t claim;
    uint8_t sep;
    uint8_t root;
} hx_variant;

extern const hx_variant HX_VARIANTS[];
extern const size_t HX_NVARIANTS;

/* The variant named name, or NULL. */
const hx_variant *hx_variant_find(const char *name);

/* Whether recovery under v differs from canonical (false for the trusted-root axis, whose
 * variants differ only in what the verifier compares against). */
int hx_variant_changes_chain(const hx_variant *v);

/* The claim the app key signs under v (purpose ‖ ":" ‖ form of derived_pub33).
 * Returns its length, 0 when out (cap) is too small or the key is invalid. */
size_t hx_variant_claim(const hx_variant *v, const char *purpose, const uint8_t derived_pub33[33],
                        uint8_t *out, size_t cap);

/* The message the KMS root signs under v. Returns its length (0 on bad key). */
size_t hx_variant_kms_msg(const hx_variant *v, const uint8_t app_id[20], const uint8_t app_pub33[33],
                          uint8_t *out, size_t cap);

/* Digest of msg by kind (HX_DG_*). */
void hx_variant_digest(int kind, const uint8_t *msg, size_t len, uint8_t out[32]);

/* A chain built in variant v. */
typedef struct {
    uint8_t app_key[32], app_pub[33];
    uint8_t derived_key[32], derived_pub[33];
    uint8_t link0[65], link1[65];
} hx_sample;

/* Builds a chain under v: app key = the KMS's derivation for app_id under root_key,
 * derived key = HKDF(app key, path), links signed over v's messages and digests.
 * Returns DS_OK or DS_ERR_KEY. */
ds_err hx_variant_build(const hx_variant *v, const uint8_t root_key[32], const uint8_t app_id[20],
                        const char *purpose, const char *path, hx_sample *out);

/* Recovers the app key from link0 under v's claim/digest/v rules (v27 variants require
 * v = 27/28, the others 0/1). Returns DS_OK or DS_ERR_SIG. */
ds_err hx_variant_recover_app(const hx_variant *v, const char *purpose,
                              const uint8_t derived_pub33[33], const uint8_t link0[65],
                              uint8_t app_pub33[33]);

/* Recovers the KMS root from link1 over app_pub33 under v's rules. Returns DS_OK or
 * DS_ERR_SIG. */
ds_err hx_variant_recover_root(const hx_variant *v, const uint8_t app_id[20],
                               const uint8_t app_pub33[33], const uint8_t link1[65],
                               uint8_t root_pub33[33], uint8_t root_addr[20]);

#endif
