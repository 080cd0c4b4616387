/* hx_variant.h — the named mismatch catalogue of keys-and-signature-chain.md §3 and its
 * v1 counterpart: one entry per wrong variant real users have written, plus dstack's own
 * formats. Each entry is a point in lib/dstack/ds_variant's axis structure (ds_variant_axes),
 * which builds and recovers the chains; this file gives the points names, the axis they
 * differ on, one line saying what the producer did, and which verifier version the row
 * is meant for (a v1 claim given to a v0 verifier is a row of the v0 table).
 *
 *   axis          canonical                          variants
 *   digest        keccak256(msg)                     EIP-191 personal message; SHA3-256
 *                                                    (on the app link, the KMS link, or both)
 *   v byte        0/1 in the 65-byte blob            27/28 in the blob (either or both)
 *   app id        20 raw bytes                       bytes32 right-/left-padded; hex; 0x hex
 *   app key       33-byte compressed in KMS msg      65-byte uncompressed; 64-byte x‖y; address
 *   claim         lowercase hex of 33-byte pub       0x prefix; uppercase; uncompressed; address
 *   separator     prefix ‖ app id ‖ app key          an extra ":" between app id and key
 *   trusted root  the KMS root key's address         P-256 key_provider key; the app key; a
 *                                                    contract address; last 20 bytes of the
 *                                                    compressed root key
 *   version       the verifier's own claim version   a v0 claim to a v1 verifier and back
 *   v1 claim      LP = u32 big-endian length ‖ x     no length prefixes; little-endian
 *                 alg "secp256k1"; the domain        "k256"; the path or the purpose
 *
 * (The simulator's --mismatch modes, lib/dstack/ds_variant's ds_variant enum, are the few it can
 * serve over the socket; this is the complete catalogue for the matrix and diagnose.)
 */
#ifndef HX_VARIANT_H
#define HX_VARIANT_H

#include <stddef.h>
#include <stdint.h>

#include "ds_err.h"
#include "ds_variant.h"

typedef struct {
    const char *name;   /* "canonical", "eip191-app", "v1-canonical", … */
    const char *axis;   /* "sound", "digest", "v byte", … */
    const char *what;   /* one line: what the producer did */
    ds_variant_axes ax; /* the chain's format */
    uint8_t verifier;   /* the claim version of the verifier the row is for (0 or 1) */
} hx_variant;

extern const hx_variant HX_VARIANTS[];
extern const size_t HX_NVARIANTS;

/* The variant named name, or NULL. */
const hx_variant *hx_variant_find(const char *name);

/* Whether v is the canonical format of its verifier's version. */
int hx_variant_is_canonical(const hx_variant *v);

/* Whether recovery under v differs from canonical (false for the canonical rows and the
 * trusted-root axis, whose variants differ only in what the verifier compares against). */
int hx_variant_changes_chain(const hx_variant *v);

/* The v0 claim the app key signs under v (purpose ‖ ":" ‖ form of derived_pub33).
 * Returns its length, 0 when out (cap) is too small or the key is invalid. */
size_t hx_variant_claim(const hx_variant *v, const char *purpose, const uint8_t derived_pub33[33],
                        uint8_t *out, size_t cap);

/* The message the KMS root signs under v. Returns its length (0 on bad key). */
size_t hx_variant_kms_msg(const hx_variant *v, const uint8_t app_id[20], const uint8_t app_pub33[33],
                          uint8_t *out, size_t cap);

typedef ds_variant_chain hx_sample;

/* Builds a chain under v (see ds_variant_axes_build). Returns DS_OK or DS_ERR_KEY. */
ds_err hx_variant_build(const hx_variant *v, const uint8_t root_key[32], const uint8_t app_id[20],
                        const ds_variant_req *rq, hx_sample *out);

/* Recovers the app key from link0 under v's rules. Returns DS_OK or DS_ERR_SIG. */
ds_err hx_variant_recover_app(const hx_variant *v, const ds_variant_req *rq,
                              const uint8_t derived_pub33[33], const uint8_t link0[65],
                              uint8_t app_pub33[33]);

/* Recovers the KMS root from link1 over app_pub33 under v's rules. Returns DS_OK or
 * DS_ERR_SIG. */
ds_err hx_variant_recover_root(const hx_variant *v, const uint8_t app_id[20],
                               const uint8_t app_pub33[33], const uint8_t link1[65],
                               uint8_t root_pub33[33], uint8_t root_addr[20]);

#endif
