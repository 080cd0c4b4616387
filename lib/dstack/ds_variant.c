/* ds_variant.c — builders and recogniser for the signature-chain mismatch catalogue.
 *
 * Everything is expressed as "the canonical computation with one step swapped": the two
 * digest functions and the signing step take the variant, and the KMS/guest builders
 * call them. Recovery mirrors the same steps so that build ∘ recover round-trips for
 * every variant, which the unit tests check.
 */
#include "ds_variant.h"

#include <stdio.h>
#include <string.h>

#include "ds_hash.h"
#include "ds_keccak.h"
#include "ds_kdf.h"
#include "ds_secp.h"

const uint8_t DS_V055_APP_KEY[32] = {
    0xe0, 0xe5, 0xd2, 0x54, 0xfb, 0x94, 0x4d, 0xcc, 0x37, 0x0a, 0x2e, 0x52, 0x88, 0xb3, 0x36, 0xa1,
    0xe8, 0x09, 0x87, 0x15, 0x45, 0xa7, 0x3e, 0xe6, 0x45, 0x36, 0x89, 0x57, 0xfe, 0xfa, 0x31, 0xf9};
const uint8_t DS_V055_APP_ID[20] = {0xea, 0x54, 0x9f, 0x02, 0xe1, 0xa2, 0x5f, 0xab, 0xd1, 0xcb,
                                    0x78, 0x83, 0x80, 0xe0, 0x33, 0xec, 0x54, 0x61, 0xb2, 0xff};
const uint8_t DS_V055_KMS_SIG[65] = {
    0x2f, 0x43, 0x1c, 0x79, 0x56, 0x86, 0x9a, 0x4f, 0xe3, 0xe0, 0x28, 0xc5, 0xf9, 0x51, 0x8a,
    0x93, 0x5e, 0x2d, 0x01, 0xe8, 0x1a, 0x36, 0x28, 0xf8, 0xb1, 0xd1, 0x78, 0xfc, 0x2f, 0xac,
    0x7b, 0x6d, 0x24, 0x05, 0xac, 0xe4, 0x33, 0x62, 0x4e, 0x55, 0x68, 0xe2, 0x3c, 0x4e, 0xd2,
    0x91, 0xdb, 0xaf, 0x60, 0xda, 0xc7, 0x9b, 0x75, 0x68, 0x37, 0xc0, 0xfe, 0x74, 0x51, 0x54,
    0xeb, 0xfd, 0xc0, 0xa6, 0x01};
const uint8_t DS_V055_ROOT_ADDR[20] = {0x8f, 0x2c, 0xf6, 0x02, 0xc9, 0x69, 0x5b, 0x23, 0x13, 0x03,
                                       0x67, 0xed, 0x78, 0xd8, 0xf5, 0x57, 0x55, 0x4d, 0xe7, 0xc5};

static const struct {
    const char *name;
    const char *desc;
} VARIANTS[DS_VARIANT_COUNT] = {
    {"canonical", "dstack's real format (raw keccak256 digests, v 0/1, 20-byte app id, "
                  "33-byte app key)"},
    {"eip191", "both links sign the EIP-191 personal-message digest"},
    {"v27", "both signatures carry v = 27/28 instead of 0/1"},
    {"appid32", "the KMS message holds the app id right-padded to 32 bytes"},
    {"uncompressed", "the KMS message holds the 65-byte uncompressed app key"},
    {"wrong-root", "the KMS link is signed by a different root key than the published one"},
    {"legacy-v055", "the upstream v0.5.5 simulator's app key and static k256_signature"},
};

const char *ds_variant_name(ds_variant v) {
    return (unsigned)v < DS_VARIANT_COUNT ? VARIANTS[v].name : "?";
}

const char *ds_variant_describe(ds_variant v) {
    return (unsigned)v < DS_VARIANT_COUNT ? VARIANTS[v].desc : "?";
}

ds_err ds_variant_parse(const char *name, ds_variant *v) {
    if (!name || !v) return DS_ERR_ARG;
    if (!strcmp(name, "none") || !*name) {
        *v = DS_VARIANT_CANONICAL;
        return DS_OK;
    }
    for (int i = 0; i < DS_VARIANT_COUNT; i++)
        if (!strcmp(name, VARIANTS[i].name)) {
            *v = (ds_variant)i;
            return DS_OK;
        }
    return DS_ERR_ARG;
}

int ds_variant_needs_root(ds_variant v) {
    return v == DS_VARIANT_EIP191 || v == DS_VARIANT_APPID32 || v == DS_VARIANT_UNCOMPRESSED ||
           v == DS_VARIANT_WRONG_ROOT;
}

void ds_eip191_digest(const uint8_t *msg, size_t len, uint8_t out[32]) {
    char prefix[64];
    int n = snprintf(prefix, sizeof prefix, "\x19" "Ethereum Signed Message:\n%zu", len);
    ds_keccak_ctx k;
    ds_keccak_init(&k, 32);
    ds_keccak_update(&k, (const uint8_t *)prefix, (size_t)n);
    if (len) ds_keccak_update(&k, msg, len);
    ds_keccak_final(&k, out);
}

static void digest_of(ds_variant v, const uint8_t *msg, size_t len, uint8_t out[32]) {
    if (v == DS_VARIANT_EIP191) ds_eip191_digest(msg, len, out);
    else ds_keccak256(msg, len, out);
}

ds_err ds_variant_app_digest(ds_variant v, const char *purpose, size_t purpose_len,
                             const uint8_t *pub, size_t pub_len, uint8_t digest[32]) {
    if ((purpose_len && !purpose) || !pub || pub_len > 65) return DS_ERR_ARG;
    if (v != DS_VARIANT_EIP191) return ds_chain_claim_digest(purpose, purpose_len, pub, pub_len, digest);
    /* EIP-191 over the claim text purpose ‖ ":" ‖ hex(pub), streamed (any purpose length). */
    static const char hx[] = "0123456789abcdef";
    char prefix[64], hexpub[131];
    int n = snprintf(prefix, sizeof prefix, "\x19" "Ethereum Signed Message:\n%zu",
                     purpose_len + 1 + 2 * pub_len);
    for (size_t i = 0; i < pub_len; i++) {
        hexpub[2 * i] = hx[pub[i] >> 4];
        hexpub[2 * i + 1] = hx[pub[i] & 15];
    }
    ds_keccak_ctx k;
    ds_keccak_init(&k, 32);
    ds_keccak_update(&k, (const uint8_t *)prefix, (size_t)n);
    if (purpose_len) ds_keccak_update(&k, (const uint8_t *)purpose, purpose_len);
    ds_keccak_update(&k, (const uint8_t *)":", 1);
    ds_keccak_update(&k, (const uint8_t *)hexpub, 2 * pub_len);
    ds_keccak_final(&k, digest);
    return DS_OK;
}

ds_err ds_variant_kms_digest(ds_variant v, const uint8_t app_id[DS_APP_ID_LEN],
                             const uint8_t app_pub33[33], uint8_t digest[32]) {
    uint8_t msg[18 + 32 + 65];
    size_t o = 0;
    memcpy(msg, DS_KMS_PREFIX, 18);
    o = 18;
    memcpy(msg + o, app_id, DS_APP_ID_LEN);
    o += DS_APP_ID_LEN;
    if (v == DS_VARIANT_APPID32) {
        memset(msg + o, 0, 12);
        o += 12;
    }
    if (v == DS_VARIANT_UNCOMPRESSED) {
        if (ds_secp_pub_convert(app_pub33, 33, msg + o, 65) != DS_OK) return DS_ERR_KEY;
        o += 65;
    } else {
        memcpy(msg + o, app_pub33, 33);
        o += 33;
    }
    digest_of(v, msg, o, digest);
    return DS_OK;
}

ds_err ds_variant_sign(ds_variant v, const uint8_t priv[32], const uint8_t digest[32],
                       uint8_t sig[65]) {
    ds_err rc = ds_secp_sign_recoverable(priv, digest, sig);
    if (rc == DS_OK && v == DS_VARIANT_V27) sig[64] = (uint8_t)(sig[64] + 27);
    return rc;
}

void ds_variant_wrong_root_key(const uint8_t root[32], uint8_t other[32]) {
    uint8_t buf[21 + 32 + 1];
    memcpy(buf, "ds-variant wrong-root", 21);
    memcpy(buf + 21, root, 32);
    buf[53] = 0;
    ds_keccak256(buf, 53, other);
    while (!ds_secp_priv_valid(other)) {
        buf[53]++;
        ds_keccak256(buf, 54, other);
    }
}

ds_err ds_variant_kms_issue(ds_variant v, const uint8_t root[32],
                            const uint8_t app_id[DS_APP_ID_LEN], uint8_t app_key[32],
                            uint8_t app_pub33[33], uint8_t link1[65]) {
    uint8_t key[32], pub[33], digest[32], signer[32];
    ds_err rc;
    if (v == DS_VARIANT_LEGACY_V055) {
        memcpy(key, DS_V055_APP_KEY, 32);
        if ((rc = ds_secp_pubkey(key, pub, 33))) return rc;
        if (link1) memcpy(link1, DS_V055_KMS_SIG, 65);
    } else {
        if (!root || !app_id) return DS_ERR_ARG;
        if ((rc = ds_kdf_app_key(root, app_id, key))) return rc;
        if ((rc = ds_secp_pubkey(key, pub, 33))) return rc;
        if ((rc = ds_variant_kms_digest(v, app_id, pub, digest))) return rc;
        if (v == DS_VARIANT_WRONG_ROOT) ds_variant_wrong_root_key(root, signer);
        else memcpy(signer, root, 32);
        uint8_t sig[65];
        rc = ds_variant_sign(v, signer, digest, sig);
        memset(signer, 0, sizeof signer);
        if (rc) return rc;
        if (link1) memcpy(link1, sig, 65);
    }
    if (app_key) memcpy(app_key, key, 32);
    if (app_pub33) memcpy(app_pub33, pub, 33);
    memset(key, 0, sizeof key);
    return DS_OK;
}

ds_err ds_variant_getkey(ds_variant v, const uint8_t app_key[32], const char *path,
                         size_t path_len, const char *purpose, size_t purpose_len,
                         ds_key_alg alg, ds_derived_key *out) {
    ds_err rc = ds_chain_getkey(app_key, path, path_len, purpose, purpose_len, alg, out);
    if (rc || (v != DS_VARIANT_EIP191 && v != DS_VARIANT_V27)) return rc;
    uint8_t digest[32];
    if ((rc = ds_variant_app_digest(v, purpose, purpose_len, out->pub, out->pub_len, digest)))
        return rc;
    return ds_variant_sign(v, app_key, digest, out->link0);
}

ds_err ds_variant_recover(ds_variant v, const uint8_t *derived_pub, size_t pub_len,
                          const char *purpose, size_t purpose_len, const uint8_t link0[65],
                          const uint8_t link1[65], const uint8_t app_id[DS_APP_ID_LEN],
                          uint8_t app_pub33[33], uint8_t root_addr[20]) {
    uint8_t d0[32], d1[32], s0[65], s1[65], root_pub[33];
    if (!derived_pub || !link0 || !link1 || !app_id || !app_pub33 || !root_addr) return DS_ERR_ARG;
    memcpy(s0, link0, 65);
    memcpy(s1, link1, 65);
    if (v == DS_VARIANT_V27) {
        if (s0[64] < 27 || s1[64] < 27) return DS_ERR_SIG;
        s0[64] = (uint8_t)(s0[64] - 27);
        s1[64] = (uint8_t)(s1[64] - 27);
    }
    ds_variant dv = (v == DS_VARIANT_V27 || v == DS_VARIANT_WRONG_ROOT ||
                     v == DS_VARIANT_LEGACY_V055) ? DS_VARIANT_CANONICAL : v;
    ds_err rc = ds_variant_app_digest(dv, purpose, purpose_len, derived_pub, pub_len, d0);
    if (rc) return rc;
    if (ds_secp_recover(d0, s0, 0, app_pub33) != DS_OK) return DS_ERR_SIG;
    if (ds_variant_kms_digest(dv, app_id, app_pub33, d1) != DS_OK) return DS_ERR_SIG;
    if (ds_secp_recover(d1, s1, 0, root_pub) != DS_OK) return DS_ERR_SIG;
    return ds_secp_address(root_pub, 33, root_addr) == DS_OK ? DS_OK : DS_ERR_SIG;
}

ds_err ds_variant_identify(const uint8_t *derived_pub, size_t pub_len, const char *purpose,
                           size_t purpose_len, const uint8_t link0[65], const uint8_t link1[65],
                           const uint8_t app_id[DS_APP_ID_LEN], const uint8_t trusted_root[20],
                           ds_variant *out) {
    static const ds_variant order[] = {DS_VARIANT_CANONICAL, DS_VARIANT_EIP191, DS_VARIANT_V27,
                                       DS_VARIANT_APPID32, DS_VARIANT_UNCOMPRESSED};
    uint8_t app_pub[33], addr[20];
    if (!trusted_root || !out) return DS_ERR_ARG;
    for (size_t i = 0; i < sizeof order / sizeof order[0]; i++) {
        if (ds_variant_recover(order[i], derived_pub, pub_len, purpose, purpose_len, link0, link1,
                               app_id, app_pub, addr) == DS_OK &&
            !memcmp(addr, trusted_root, 20)) {
            *out = order[i];
            return DS_OK;
        }
    }
    if (!memcmp(link1, DS_V055_KMS_SIG, 65)) {
        *out = DS_VARIANT_LEGACY_V055;
        return DS_OK;
    }
    if (ds_variant_recover(DS_VARIANT_CANONICAL, derived_pub, pub_len, purpose, purpose_len, link0,
                           link1, app_id, app_pub, addr) == DS_OK) {
        *out = DS_VARIANT_WRONG_ROOT;
        return DS_OK;
    }
    return DS_ERR_VERIFY;
}
