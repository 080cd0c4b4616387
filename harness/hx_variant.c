/* hx_variant.c — the mismatch catalogue: building and recovering chains in every variant
 * (see hx_variant.h). The canonical message formats are dstack's (ds_chain.h); every
 * other entry differs from them along exactly one axis.
 */
#include "hx_out.h"
#include "hx_variant.h"

#include <stdio.h>
#include <string.h>

#include "ds_chain.h"
#include "ds_hash.h"
#include "ds_hex.h"
#include "ds_kdf.h"
#include "ds_keccak.h"
#include "ds_secp.h"

#define V(name, axis, what, adg, kdg, a27, k27, id, key, claim, sep, root) \
    {name, axis, what, adg, kdg, a27, k27, id, key, claim, sep, root}

const hx_variant HX_VARIANTS[] = {
    V("canonical", "sound", "dstack's own format", 0, 0, 0, 0, 0, 0, 0, 0, 0),
    V("eip191-app", "digest", "app link signs the EIP-191 personal-message hash of the claim", 1, 0, 0, 0, 0, 0, 0, 0, 0),
    V("eip191-kms", "digest", "KMS link signs the EIP-191 personal-message hash", 0, 1, 0, 0, 0, 0, 0, 0, 0),
    V("sha3-app", "digest", "app link signs SHA3-256 (FIPS) of the claim, not Keccak-256", 2, 0, 0, 0, 0, 0, 0, 0, 0),
    V("sha3-kms", "digest", "KMS link signs SHA3-256 (FIPS), not Keccak-256", 0, 2, 0, 0, 0, 0, 0, 0, 0),
    V("eip191", "digest", "both links sign EIP-191 personal-message hashes (simulator --mismatch eip191)", 1, 1, 0, 0, 0, 0, 0, 0, 0),
    V("sha3", "digest", "both links sign SHA3-256 (FIPS) hashes", 2, 2, 0, 0, 0, 0, 0, 0, 0),
    V("v27-app", "v byte", "app link blob carries v = 27/28 instead of 0/1", 0, 0, 1, 0, 0, 0, 0, 0, 0),
    V("v27-kms", "v byte", "KMS link blob carries v = 27/28 instead of 0/1", 0, 0, 0, 1, 0, 0, 0, 0, 0),
    V("v27", "v byte", "both blobs carry v = 27/28 (simulator --mismatch v27)", 0, 0, 1, 1, 0, 0, 0, 0, 0),
    V("appid32-right", "app id", "KMS message holds the app id right-padded to 32 bytes", 0, 0, 0, 0, 1, 0, 0, 0, 0),
    V("appid32-left", "app id", "KMS message holds the app id left-padded to 32 bytes", 0, 0, 0, 0, 2, 0, 0, 0, 0),
    V("appid-hex", "app id", "KMS message holds the app id as 40 hex characters", 0, 0, 0, 0, 3, 0, 0, 0, 0),
    V("appid-0xhex", "app id", "KMS message holds the app id as \"0x\" + 40 hex characters", 0, 0, 0, 0, 4, 0, 0, 0, 0),
    V("appkey-uncompressed", "app key", "KMS message holds the 65-byte uncompressed app key", 0, 0, 0, 0, 0, 1, 0, 0, 0),
    V("appkey-xy64", "app key", "KMS message holds the 64-byte raw x||y app key", 0, 0, 0, 0, 0, 2, 0, 0, 0),
    V("appkey-address", "app key", "KMS message holds the app key's 20-byte address", 0, 0, 0, 0, 0, 3, 0, 0, 0),
    V("claim-0x", "claim", "claim hex carries a 0x prefix", 0, 0, 0, 0, 0, 0, 1, 0, 0),
    V("claim-upper", "claim", "claim hex is uppercase", 0, 0, 0, 0, 0, 0, 2, 0, 0),
    V("claim-uncompressed", "claim", "claim holds the 65-byte uncompressed derived key", 0, 0, 0, 0, 0, 0, 3, 0, 0),
    V("claim-address", "claim", "claim holds the derived key's address", 0, 0, 0, 0, 0, 0, 4, 0, 0),
    V("separator-colon", "separator", "KMS message has an extra ':' between app id and app key", 0, 0, 0, 0, 0, 0, 0, 1, 0),
    V("root-p256", "trusted root", "verifier trusts the address of the P-256 key_provider key", 0, 0, 0, 0, 0, 0, 0, 0, 1),
    V("root-appkey", "trusted root", "verifier trusts the app key's address", 0, 0, 0, 0, 0, 0, 0, 0, 2),
    V("root-contract", "trusted root", "verifier trusts a contract address", 0, 0, 0, 0, 0, 0, 0, 0, 3),
    V("root-last20", "trusted root", "verifier trusts the last 20 bytes of the compressed root key", 0, 0, 0, 0, 0, 0, 0, 0, 4),
};
const size_t HX_NVARIANTS = sizeof HX_VARIANTS / sizeof HX_VARIANTS[0];

const hx_variant *hx_variant_find(const char *name) {
    for (size_t i = 0; name != NULL && i < HX_NVARIANTS; i++)
        if (strcmp(HX_VARIANTS[i].name, name) == 0) return &HX_VARIANTS[i];
    return NULL;
}

int hx_variant_changes_chain(const hx_variant *v) { return v->root == HX_ROOT_TRUE && strcmp(v->name, "canonical") != 0; }

void hx_variant_digest(int kind, const uint8_t *msg, size_t len, uint8_t out[32]) {
    if (kind == HX_DG_EIP191) {
        char prefix[64];
        int n = snprintf(prefix, sizeof prefix, "\x19" "Ethereum Signed Message:\n%zu", len);
        ds_keccak_ctx k;
        ds_keccak_init(&k, 32);
        ds_keccak_update(&k, (const uint8_t *)prefix, (size_t)n);
        ds_keccak_update(&k, msg, len);
        ds_keccak_final(&k, out);
    } else if (kind == HX_DG_SHA3) {
        uint8_t d[DS_HASH_MAX];
        size_t n = 0;
        ds_hash_named("sha3-256", msg, len, d, &n);
        memcpy(out, d, 32);
    } else {
        ds_keccak256(msg, len, out);
    }
}

static size_t put(uint8_t *out, size_t cap, size_t pos, const void *p, size_t n) {
    if (pos + n > cap) return (size_t)-1;
    memcpy(out + pos, p, n);
    return pos + n;
}

size_t hx_variant_claim(const hx_variant *v, const char *purpose, const uint8_t derived_pub33[33],
                        uint8_t *out, size_t cap) {
    uint8_t form[65];
    size_t flen = 33;
    char hex[2 * 65 + 3];
    memcpy(form, derived_pub33, 33);
    if (v->claim == HX_CLAIM_U65) {
        if (ds_secp_pub_convert(derived_pub33, 33, form, 65) != DS_OK) return 0;
        flen = 65;
    } else if (v->claim == HX_CLAIM_ADDR) {
        if (ds_secp_address(derived_pub33, 33, form) != DS_OK) return 0;
        flen = 20;
    }
    size_t pos = 0, plen = strlen(purpose);
    if (plen + 3 + 2 * flen > cap) return 0;
    memcpy(out, purpose, plen);
    pos = plen;
    out[pos++] = ':';
    if (v->claim == HX_CLAIM_0X) {
        out[pos++] = '0';
        out[pos++] = 'x';
    }
    ds_hex_encode(form, flen, hex);
    if (v->claim == HX_CLAIM_UPPER)
        for (char *c = hex; *c; c++)
            if (*c >= 'a' && *c <= 'f') *c = (char)(*c - 'a' + 'A');
    memcpy(out + pos, hex, 2 * flen);
    return pos + 2 * flen;
}

size_t hx_variant_kms_msg(const hx_variant *v, const uint8_t app_id[20], const uint8_t app_pub33[33],
                          uint8_t *out, size_t cap) {
    uint8_t id[42], key[65];
    size_t idlen = 20, keylen = 33, pos;
    char hex[41];
    memset(id, 0, sizeof id);
    switch (v->appid) {
    case HX_ID_B32_RIGHT: memcpy(id, app_id, 20); idlen = 32; break;
    case HX_ID_B32_LEFT: memcpy(id + 12, app_id, 20); idlen = 32; break;
    case HX_ID_HEX: memcpy(id, ds_hex_encode(app_id, 20, hex), 40); idlen = 40; break;
    case HX_ID_0XHEX:
        id[0] = '0';
        id[1] = 'x';
        memcpy(id + 2, ds_hex_encode(app_id, 20, hex), 40);
        idlen = 42;
        break;
    default: memcpy(id, app_id, 20);
    }
    switch (v->appkey) {
    case HX_KEY_U65:
        if (ds_secp_pub_convert(app_pub33, 33, key, 65) != DS_OK) return 0;
        keylen = 65;
        break;
    case HX_KEY_XY64:
        if (ds_secp_pub_convert(app_pub33, 33, key, 65) != DS_OK) return 0;
        memmove(key, key + 1, 64);
        keylen = 64;
        break;
    case HX_KEY_ADDR:
        if (ds_secp_address(app_pub33, 33, key) != DS_OK) return 0;
        keylen = 20;
        break;
    default: memcpy(key, app_pub33, 33);
    }
    pos = put(out, cap, 0, DS_KMS_PREFIX, sizeof DS_KMS_PREFIX - 1);
    if (pos != (size_t)-1) pos = put(out, cap, pos, id, idlen);
    if (pos != (size_t)-1 && v->sep) pos = put(out, cap, pos, ":", 1);
    if (pos != (size_t)-1) pos = put(out, cap, pos, key, keylen);
    return pos == (size_t)-1 ? 0 : pos;
}

static ds_err sign(const uint8_t key[32], const uint8_t digest[32], int v27, uint8_t sig[65]) {
    ds_err rc = ds_secp_sign_recoverable(key, digest, sig);
    if (rc == DS_OK && v27) sig[64] = (uint8_t)(sig[64] + 27);
    return rc;
}

ds_err hx_variant_build(const hx_variant *v, const uint8_t root_key[32], const uint8_t app_id[20],
                        const char *purpose, const char *path, hx_sample *out) {
    uint8_t msg[512], digest[32];
    size_t n;
    memset(out, 0, sizeof *out);
    ds_err rc = ds_chain_kms_issue(root_key, app_id, out->app_key, out->app_pub, NULL);
    if (rc == DS_OK) rc = ds_kdf_path_key(out->app_key, path, strlen(path), out->derived_key);
    if (rc == DS_OK) rc = ds_secp_pubkey(out->derived_key, out->derived_pub, 33);
    if (rc != DS_OK) return rc;
    if ((n = hx_variant_claim(v, purpose, out->derived_pub, msg, sizeof msg)) == 0) return DS_ERR_KEY;
    hx_variant_digest(v->app_dg, msg, n, digest);
    if ((rc = sign(out->app_key, digest, v->app_v27, out->link0)) != DS_OK) return rc;
    if ((n = hx_variant_kms_msg(v, app_id, out->app_pub, msg, sizeof msg)) == 0) return DS_ERR_KEY;
    hx_variant_digest(v->kms_dg, msg, n, digest);
    return sign(root_key, digest, v->kms_v27, out->link1);
}

static ds_err recover(const uint8_t digest[32], const uint8_t sig[65], int v27, uint8_t pub[33]) {
    if (v27 ? (sig[64] != 27 && sig[64] != 28) : sig[64] > 1) return DS_ERR_SIG;
    return ds_secp_recover(digest, sig, v27, pub);
}

ds_err hx_variant_recover_app(const hx_variant *v, const char *purpose,
                              const uint8_t derived_pub33[33], const uint8_t link0[65],
                              uint8_t app_pub33[33]) {
    uint8_t msg[512], digest[32];
    size_t n = hx_variant_claim(v, purpose, derived_pub33, msg, sizeof msg);
    if (n == 0) return DS_ERR_ARG;
    hx_variant_digest(v->app_dg, msg, n, digest);
    return recover(digest, link0, v->app_v27, app_pub33);
}

ds_err hx_variant_recover_root(const hx_variant *v, const uint8_t app_id[20],
                               const uint8_t app_pub33[33], const uint8_t link1[65],
                               uint8_t root_pub33[33], uint8_t root_addr[20]) {
    uint8_t msg[256], digest[32];
    size_t n = hx_variant_kms_msg(v, app_id, app_pub33, msg, sizeof msg);
    if (n == 0) return DS_ERR_ARG;
    hx_variant_digest(v->kms_dg, msg, n, digest);
    ds_err rc = recover(digest, link1, v->kms_v27, root_pub33);
    if (rc == DS_OK) rc = ds_secp_address(root_pub33, 33, root_addr);
    return rc;
}
