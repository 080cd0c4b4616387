/* ds_variant.h — the named "wrong" signature-chain variants that real users have written
 * (keys-and-signature-chain.md §3): build each one, and recognise which one a chain is.
 *
 * The simulator uses these to reproduce mismatches (--mismatch NAME); the harness uses the
 * same builders for its verification matrix. The complete catalogue, v0 and v1, as
 * independent axes that combine freely, is ds_variant_axes at the end of this header. Every builder
 * produces exactly what the canonical path would, except along its one axis:
 *
 *   name           axis           what changes
 *   canonical      —              nothing (dstack's real format)
 *   eip191         digest         both links sign keccak256("\x19Ethereum Signed Message:\n"
 *                                 ‖ decimal len ‖ msg) instead of keccak256(msg)
 *   v27            v byte         both 65-byte blobs carry v = 27/28 instead of 0/1
 *   appid32        app id         the KMS message holds the app id right-padded to 32 bytes
 *   uncompressed   app key        the KMS message holds the 65-byte uncompressed app key
 *   wrong-root     trusted root   the KMS link is signed by another root key
 *                                 (ds_variant_wrong_root_key of the real one)
 *   legacy-v055    static link    the upstream v0.4–v0.5.5 simulator's app key and static
 *                                 k256_signature (valid only for app id ea549f02… under
 *                                 root 0x8f2cF602C9695b23130367ed78d8F557554de7C5)
 */
#ifndef DS_VARIANT_H
#define DS_VARIANT_H

#include <stddef.h>
#include <stdint.h>

#include "ds_chain.h"
#include "ds_err.h"

typedef enum {
    DS_VARIANT_CANONICAL = 0,
    DS_VARIANT_EIP191,
    DS_VARIANT_V27,
    DS_VARIANT_APPID32,
    DS_VARIANT_UNCOMPRESSED,
    DS_VARIANT_WRONG_ROOT,
    DS_VARIANT_LEGACY_V055,
    DS_VARIANT_COUNT
} ds_variant;

/* Public upstream test values (simulator-appkeys-v0.5.5.json, vector D). */
extern const uint8_t DS_V055_APP_KEY[32];
extern const uint8_t DS_V055_APP_ID[20];
extern const uint8_t DS_V055_KMS_SIG[65];
extern const uint8_t DS_V055_ROOT_ADDR[20];

/* "canonical", "eip191", "v27", "appid32", "uncompressed", "wrong-root", "legacy-v055". */
const char *ds_variant_name(ds_variant v);
/* One line describing the variant. */
const char *ds_variant_describe(ds_variant v);
/* Parses a name (also "none" = canonical). Returns DS_OK or DS_ERR_ARG. */
ds_err ds_variant_parse(const char *name, ds_variant *v);
/* Whether building the variant's KMS link needs the KMS root private key. */
int ds_variant_needs_root(ds_variant v);

/* keccak256 of the EIP-191 personal-message wrapping of msg. */
void ds_eip191_digest(const uint8_t *msg, size_t len, uint8_t out[32]);

/* The app-link digest of (purpose, derived pub) under v. */
ds_err ds_variant_app_digest(ds_variant v, const char *purpose, size_t purpose_len,
                             const uint8_t *pub, size_t pub_len, uint8_t digest[32]);
/* The KMS-link digest of (app_id, app_pub33) under v. Returns DS_OK or DS_ERR_KEY. */
ds_err ds_variant_kms_digest(ds_variant v, const uint8_t app_id[DS_APP_ID_LEN],
                             const uint8_t app_pub33[33], uint8_t digest[32]);
/* Signs digest with priv; under DS_VARIANT_V27 adds 27 to v. */
ds_err ds_variant_sign(ds_variant v, const uint8_t priv[32], const uint8_t digest[32],
                       uint8_t sig[65]);
/* The "other" root used by wrong-root: keccak256("ds-variant wrong-root" ‖ root), made
 * valid. */
void ds_variant_wrong_root_key(const uint8_t root[32], uint8_t other[32]);

/* KMS side under v: the app key for app_id, its compressed public key and link1.
 * (legacy-v055 ignores root and app_id and returns the upstream v0.5.5 values.) Any
 * output may be NULL. */
ds_err ds_variant_kms_issue(ds_variant v, const uint8_t root[32],
                            const uint8_t app_id[DS_APP_ID_LEN], uint8_t app_key[32],
                            uint8_t app_pub33[33], uint8_t link1[65]);

/* Guest side under v: GetKey's key, pub and link0 (app link) signed with app_key. */
ds_err ds_variant_getkey(ds_variant v, const uint8_t app_key[32], const char *path,
                         size_t path_len, const char *purpose, size_t purpose_len,
                         ds_key_alg alg, ds_derived_key *out);

/* Recovers, under v's rules, the app key and the root address a chain leads to. v27 blobs
 * are accepted only under DS_VARIANT_V27. Returns DS_OK or DS_ERR_SIG/DS_ERR_ARG. */
ds_err ds_variant_recover(ds_variant v, const uint8_t *derived_pub, size_t pub_len,
                          const char *purpose, size_t purpose_len, const uint8_t link0[65],
                          const uint8_t link1[65], const uint8_t app_id[DS_APP_ID_LEN],
                          uint8_t app_pub33[33], uint8_t root_addr[20]);

/* Recognises which variant a chain is, given the trusted root address: the first of
 * canonical, eip191, v27, appid32, uncompressed whose rules recover trusted_root;
 * else legacy-v055 when link1 is the upstream v0.5.5 signature; else wrong-root when the
 * canonical rules recover some other root. Returns DS_OK with *out set, or DS_ERR_VERIFY
 * when no variant explains the chain. */
ds_err ds_variant_identify(const uint8_t *derived_pub, size_t pub_len, const char *purpose,
                           size_t purpose_len, const uint8_t link0[65], const uint8_t link1[65],
                           const uint8_t app_id[DS_APP_ID_LEN], const uint8_t trusted_root[20],
                           ds_variant *out);

/* ---- the axis structure ----------------------------------------------------------------
 *
 * The full catalogue of keys-and-signature-chain.md §3 (and its v1 counterpart) as
 * independent axes: a chain format is one value per axis, all zero being dstack's own.
 * Any combination can be built and recovered, so a search can look for the set of
 * deviations a verifier actually implements.
 *
 *   axis          field       values (0 = dstack's)
 *   version       version     v0 claim purpose ‖ ":" ‖ hex(pub); v1 LP claim
 *   digest        app_dg      keccak256; EIP-191 personal message; FIPS SHA3-256
 *                 kms_dg      (each link separately)
 *   v byte        app_v27     0/1 in the blob; 27/28
 *                 kms_v27
 *   app id        appid       20 raw bytes; bytes32 right-/left-padded; hex; "0x" hex
 *   app key       appkey      33-byte compressed; 65 uncompressed; 64 x‖y; 20-byte address
 *   claim (v0)    claim       lowercase hex of the 33-byte key; "0x" hex; uppercase hex;
 *                             hex of the 65-byte key; hex of the key's address
 *   separator     sep         none; ":" between app id and app key in the KMS message
 *   trusted root  root        the KMS root's address; P-256 key; app key; a contract;
 *                             last 20 bytes of the compressed root key (the verifier's
 *                             side only: the chain itself is canonical)
 *   lengths (v1)  lp          u32 big-endian length prefixes; none; u32 little-endian
 *   alg (v1)      alg_name    the canonical name ("secp256k1"); "k256"
 *   domain (v1)   domain_src  the domain; the path; the purpose (in the claim only)
 */
enum { DS_VDG_KECCAK = 0, DS_VDG_EIP191, DS_VDG_SHA3 };
enum { DS_VID_RAW = 0, DS_VID_B32_RIGHT, DS_VID_B32_LEFT, DS_VID_HEX, DS_VID_0XHEX };
enum { DS_VKEY_C33 = 0, DS_VKEY_U65, DS_VKEY_XY64, DS_VKEY_ADDR };
enum { DS_VCLAIM_LOWER = 0, DS_VCLAIM_0X, DS_VCLAIM_UPPER, DS_VCLAIM_U65, DS_VCLAIM_ADDR };
enum { DS_VROOT_TRUE = 0, DS_VROOT_P256, DS_VROOT_APPKEY, DS_VROOT_CONTRACT, DS_VROOT_LAST20 };
enum { DS_VLP_BE = 0, DS_VLP_NONE, DS_VLP_LE };
enum { DS_VDOM_DOMAIN = 0, DS_VDOM_PATH, DS_VDOM_PURPOSE };

#define DS_V1_CLAIM_TAG "dstack-guest-v1-key-claim"

typedef struct {
    uint8_t version;
    uint8_t app_dg, kms_dg;
    uint8_t app_v27, kms_v27;
    uint8_t appid, appkey, claim, sep, root;
    uint8_t lp, alg_name, domain_src;
} ds_variant_axes;

/* What a GetKey call was asked: v0 uses path (key) and purpose (claim); v1 uses domain
 * (key and claim) and alg. Strings are NUL-terminated; NULL means "". */
typedef struct {
    const char *path, *purpose, *domain;
    ds_key_alg alg; /* the v1 chains built here are secp256k1 */
} ds_variant_req;

/* The digest of msg by kind (DS_VDG_*). */
void ds_variant_axes_digest(int kind, const uint8_t *msg, size_t len, uint8_t out[32]);

/* The app-link message under ax for the derived public key pub (v0: the 33-byte
 * compressed secp256k1 key, which the claim axis re-encodes; v1: the raw public key).
 * Returns its length, 0 when cap is too small or the key is invalid. */
size_t ds_variant_axes_app_msg(const ds_variant_axes *ax, const ds_variant_req *rq,
                               const uint8_t *pub, size_t pub_len, uint8_t *out, size_t cap);

/* The KMS-link message under ax. Returns its length, 0 when cap is too small or the key
 * is invalid. */
size_t ds_variant_axes_kms_msg(const ds_variant_axes *ax, const uint8_t app_id[DS_APP_ID_LEN],
                               const uint8_t app_pub33[33], uint8_t *out, size_t cap);

/* A chain built under some axes. */
typedef struct {
    uint8_t app_key[32], app_pub[33];
    uint8_t derived_key[32], derived_pub[33];
    uint8_t link0[65], link1[65];
} ds_variant_chain;

/* Builds a secp256k1 chain under ax: the app key is the KMS's derivation for app_id
 * under root_key (the KMS link is signed by root_key whatever ax->root says); the derived
 * key is v0 HKDF(app key, path) or v1 HKDF over (alg, domain); both links are signed over
 * ax's messages and digests. Returns DS_OK, DS_ERR_ARG or DS_ERR_KEY. */
ds_err ds_variant_axes_build(const ds_variant_axes *ax, const uint8_t root_key[32],
                             const uint8_t app_id[DS_APP_ID_LEN], const ds_variant_req *rq,
                             ds_variant_chain *out);

/* Recovers the app key from link0 under ax (v27 axes require v = 27/28, the others
 * 0/1). Returns DS_OK, DS_ERR_ARG or DS_ERR_SIG. */
ds_err ds_variant_axes_recover_app(const ds_variant_axes *ax, const ds_variant_req *rq,
                                   const uint8_t *pub, size_t pub_len, const uint8_t link0[65],
                                   uint8_t app_pub33[33]);

/* Recovers the KMS root from link1 over app_pub33 under ax. Returns DS_OK, DS_ERR_ARG or
 * DS_ERR_SIG. */
ds_err ds_variant_axes_recover_root(const ds_variant_axes *ax, const uint8_t app_id[DS_APP_ID_LEN],
                                    const uint8_t app_pub33[33], const uint8_t link1[65],
                                    uint8_t root_pub33[33], uint8_t root_addr[20]);

#endif
