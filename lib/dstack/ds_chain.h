/* ds_chain.h — dstack's two-link key signature chain: making it and verifying it.
 *
 *   claim    = purpose ‖ ":" ‖ lowercase_hex(derived_pub)
 *   chain[0] = sign(app_key,  keccak256(claim))                                  app link
 *   chain[1] = sign(kms_root, keccak256("dstack-kms-issued:" ‖ app_id20 ‖ app_pub33))  KMS link
 *
 * A chain verifies when chain[0] recovers an app key, chain[1] over that app key recovers
 * the KMS root, and the root's address equals the trusted one.
 * See shared spec keys-and-signature-chain.md §1–2.
 *
 * dstack 0.6's /v1/GetKey (guest-api-0.6.md §2.5) keeps the KMS link and changes the key
 * (ds_kdf_v1_key) and the claim, LP(x) = u32_be(len(x)) ‖ x:
 *
 *   claim    = LP("dstack-guest-v1-key-claim") ‖ LP(alg) ‖ LP(domain) ‖ LP(pub)
 *   chain[0] = sign(app_key, keccak256(claim))
 *
 * Both verifiers are strict: each link must be r ‖ s ‖ v with v 0/1 and low S.
 */
#ifndef DS_CHAIN_H
#define DS_CHAIN_H

#include <stddef.h>
#include <stdint.h>

#include "ds_err.h"
#include "ds_kdf.h"

#define DS_KMS_PREFIX "dstack-kms-issued:"
#define DS_CHAIN_V1_LABEL "dstack-guest-v1-key-claim"

typedef enum {
    DS_KEY_SECP256K1 = 0, /* "", "secp256k1", "k256" */
    DS_KEY_ED25519 = 1,   /* "ed25519" */
} ds_key_alg;

/* Maps a GetKey `algorithm` string to ds_key_alg. Returns DS_OK or DS_ERR_ALG. */
ds_err ds_key_alg_parse(const char *name, ds_key_alg *alg);

/* keccak256 of the claim for derived_pub (any length, hex-encoded as given).
 * Returns DS_OK or DS_ERR_ARG. */
ds_err ds_chain_claim_digest(const char *purpose, size_t purpose_len, const uint8_t *derived_pub,
                             size_t pub_len, uint8_t digest[32]);

/* keccak256("dstack-kms-issued:" ‖ app_id ‖ app_pub33). */
void ds_chain_kms_digest(const uint8_t app_id[DS_APP_ID_LEN], const uint8_t app_pub33[33],
                         uint8_t digest[32]);

/* The KMS link a root key issues for app_id: derives the app key and its compressed
 * public key and signs the KMS digest. Any output pointer may be NULL.
 * Returns DS_OK or DS_ERR_KEY. */
ds_err ds_chain_kms_issue(const uint8_t root_key[32], const uint8_t app_id[DS_APP_ID_LEN],
                          uint8_t app_key[32], uint8_t app_pub33[33], uint8_t link1[65]);

/* What GetKey returns before the static KMS link is appended. */
typedef struct {
    uint8_t key[32];   /* derived private key / ed25519 seed */
    uint8_t pub[33];   /* 33-byte compressed secp256k1 pub, or 32-byte ed25519 pub */
    size_t pub_len;    /* 33 or 32 */
    uint8_t link0[65]; /* app-key signature over the claim */
} ds_derived_key;

/* Guest-side GetKey(path, purpose, alg) under app_key. Returns DS_OK, DS_ERR_ARG,
 * DS_ERR_KEY (derived key invalid, negligible) or DS_ERR_CRYPTO. */
ds_err ds_chain_getkey(const uint8_t app_key[32], const char *path, size_t path_len,
                       const char *purpose, size_t purpose_len, ds_key_alg alg,
                       ds_derived_key *out);

typedef enum {
    DS_CHAIN_VALID = 0,     /* both links recover and the root matches */
    DS_CHAIN_BAD_INPUT,     /* derived pub of a length that no dstack key has */
    DS_CHAIN_APP_LINK,      /* chain[0] is malformed or recovers nothing */
    DS_CHAIN_KMS_LINK,      /* chain[1] is malformed or recovers nothing */
    DS_CHAIN_ROOT_MISMATCH, /* both recover, but to another root than the trusted one */
    DS_CHAIN_RECOVERED,     /* both recover; no trusted root was given to compare */
} ds_chain_status;

typedef struct {
    ds_chain_status status;
    int have_app; /* app_pub/app_addr are set */
    uint8_t app_pub[33];
    uint8_t app_addr[20];
    int have_kms; /* kms_pub/kms_addr are set */
    uint8_t kms_pub[33];
    uint8_t kms_addr[20];
} ds_chain_result;

/* Returns a short description of a status ("valid", "app link does not recover", …). */
const char *ds_chain_status_str(ds_chain_status st);

/* Verifies a chain strictly in dstack's canonical format: derived_pub is 33 bytes
 * (secp256k1, compressed) or 32 (ed25519), each link has v 0/1 and a low S.
 * trusted_root may be NULL to only recover. Fills *res (always, also on failure: what was
 * recovered so far). Returns DS_OK when res->status is DS_CHAIN_VALID or
 * DS_CHAIN_RECOVERED, DS_ERR_VERIFY otherwise, DS_ERR_ARG for NULL arguments (status
 * DS_CHAIN_BAD_INPUT). */
ds_err ds_chain_verify(const uint8_t *derived_pub, size_t pub_len, const char *purpose,
                       size_t purpose_len, const uint8_t link0[65], const uint8_t link1[65],
                       const uint8_t app_id[DS_APP_ID_LEN], const uint8_t trusted_root[20],
                       ds_chain_result *res);

/* ---- v1 (dstack 0.6, /v1/GetKey) ---- */

/* The canonical v1 name of alg: "secp256k1" or "ed25519"; NULL for any other value. */
const char *ds_key_alg_v1_name(ds_key_alg alg);

/* Maps a /v1/GetKey `algorithm` to ds_key_alg: exactly "secp256k1" or "ed25519".
 * Returns DS_OK; DS_ERR_ARG for NULL or "" (v1 has no default algorithm); DS_ERR_ALG for
 * anything else, including v0's "k256" and "secp256k1_prehashed". */
ds_err ds_key_alg_parse_v1(const char *name, ds_key_alg *alg);

/* Writes the v1 claim for (alg, domain, pub) to out. alg, domain (domain_len bytes, may
 * hold NUL; NULL when domain_len is 0) and pub are encoded as given, unchecked, so that
 * non-canonical claims can be built too. *out_len is always set to the claim's length,
 * 4 + 25 + 4 + strlen(alg) + 4 + domain_len + 4 + pub_len (out may be NULL with cap 0 to
 * ask for it). Returns DS_OK; DS_ERR_LEN when cap is smaller; DS_ERR_ARG for a NULL
 * pointer or a field longer than 2^32-1 bytes. */
ds_err ds_chain_v1_claim(const char *alg, const char *domain, size_t domain_len, const uint8_t *pub,
                         size_t pub_len, uint8_t *out, size_t cap, size_t *out_len);

/* keccak256 of the v1 claim (as ds_chain_v1_claim), hashed incrementally: no allocation,
 * any domain length. Returns DS_OK or DS_ERR_ARG (as ds_chain_v1_claim). */
ds_err ds_chain_v1_claim_digest(const char *alg, const char *domain, size_t domain_len,
                                const uint8_t *pub, size_t pub_len, uint8_t digest[32]);

/* /v1/GetKey(domain, alg) under app_key: the key (ds_kdf_v1_key), its public key (33-byte
 * compressed secp256k1 or 32-byte ed25519) and link0, app_key's signature over the v1
 * claim. *out is zeroed on failure. Returns DS_OK; DS_ERR_ARG for a NULL pointer; DS_ERR_ALG
 * for an alg outside ds_key_alg; DS_ERR_KEY when the secp256k1 key is not a valid scalar (~2^-128)
 * or app_key is not a valid secp256k1 key; DS_ERR_NOMEM or DS_ERR_CRYPTO. */
ds_err ds_chain_v1_getkey(const uint8_t app_key[32], const char *domain, size_t domain_len,
                          ds_key_alg alg, ds_derived_key *out);

/* Verifies a v1 chain with the same rules and statuses as ds_chain_verify: pub must be
 * 33 bytes for DS_KEY_SECP256K1 and 32 for DS_KEY_ED25519 (else DS_CHAIN_BAD_INPUT);
 * link0 must recover over the v1 claim (DS_CHAIN_APP_LINK), link1 over the KMS message
 * (DS_CHAIN_KMS_LINK). trusted_root may be NULL to only recover. Fills *res always.
 * Returns DS_OK when res->status is DS_CHAIN_VALID or DS_CHAIN_RECOVERED, DS_ERR_VERIFY
 * otherwise, DS_ERR_ARG for NULL arguments or an alg outside ds_key_alg (status
 * DS_CHAIN_BAD_INPUT). */
ds_err ds_chain_v1_verify(const uint8_t *pub, size_t pub_len, ds_key_alg alg, const char *domain,
                          size_t domain_len, const uint8_t link0[65], const uint8_t link1[65],
                          const uint8_t app_id[DS_APP_ID_LEN], const uint8_t trusted_root[20],
                          ds_chain_result *res);

#endif
