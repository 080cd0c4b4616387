/* hx_variant.c — the named mismatch catalogue (see hx_variant.h): names and one-line
 * descriptions for points of lib/dstack/ds_variant's axis structure, which does the building
 * and recovering.
 */
#include "hx_variant.h"

#include <string.h>

/* V0: a v0 row (app digest, KMS digest, app v27, KMS v27, app id, app key, claim,
 * separator, trusted root). V1: a v1 row (digest both links, lengths, alg name, domain). */
#define V0(name, axis, what, adg, kdg, a27, k27, id, key, claim, sep, root)                        \
    { name, axis, what, {0, adg, kdg, a27, k27, id, key, claim, sep, root, 0, 0, 0}, 0 }
#define V1(name, axis, what, ver, verifier, lp, alg, dom)                                          \
    { name, axis, what, {ver, 0, 0, 0, 0, 0, 0, 0, 0, 0, lp, alg, dom}, verifier }

const hx_variant HX_VARIANTS[] = {
    V0("canonical", "sound", "dstack's own format", 0, 0, 0, 0, 0, 0, 0, 0, 0),
    V0("eip191-app", "digest", "app link signs the EIP-191 personal-message hash of the claim", 1,
       0, 0, 0, 0, 0, 0, 0, 0),
    V0("eip191-kms", "digest", "KMS link signs the EIP-191 personal-message hash", 0, 1, 0, 0, 0, 0,
       0, 0, 0),
    V0("sha3-app", "digest", "app link signs SHA3-256 (FIPS) of the claim, not Keccak-256", 2, 0, 0,
       0, 0, 0, 0, 0, 0),
    V0("sha3-kms", "digest", "KMS link signs SHA3-256 (FIPS), not Keccak-256", 0, 2, 0, 0, 0, 0, 0,
       0, 0),
    V0("eip191", "digest",
       "both links sign EIP-191 personal-message hashes (simulator --mismatch eip191)", 1, 1, 0, 0,
       0, 0, 0, 0, 0),
    V0("sha3", "digest", "both links sign SHA3-256 (FIPS) hashes", 2, 2, 0, 0, 0, 0, 0, 0, 0),
    V0("v27-app", "v byte", "app link blob carries v = 27/28 instead of 0/1", 0, 0, 1, 0, 0, 0, 0,
       0, 0),
    V0("v27-kms", "v byte", "KMS link blob carries v = 27/28 instead of 0/1", 0, 0, 0, 1, 0, 0, 0,
       0, 0),
    V0("v27", "v byte", "both blobs carry v = 27/28 (simulator --mismatch v27)", 0, 0, 1, 1, 0, 0,
       0, 0, 0),
    V0("appid32-right", "app id", "KMS message holds the app id right-padded to 32 bytes", 0, 0, 0,
       0, 1, 0, 0, 0, 0),
    V0("appid32-left", "app id", "KMS message holds the app id left-padded to 32 bytes", 0, 0, 0, 0,
       2, 0, 0, 0, 0),
    V0("appid-hex", "app id", "KMS message holds the app id as 40 hex characters", 0, 0, 0, 0, 3, 0,
       0, 0, 0),
    V0("appid-0xhex", "app id", "KMS message holds the app id as \"0x\" + 40 hex characters", 0, 0,
       0, 0, 4, 0, 0, 0, 0),
    V0("appkey-uncompressed", "app key", "KMS message holds the 65-byte uncompressed app key", 0, 0,
       0, 0, 0, 1, 0, 0, 0),
    V0("appkey-xy64", "app key", "KMS message holds the 64-byte raw x||y app key", 0, 0, 0, 0, 0, 2,
       0, 0, 0),
    V0("appkey-address", "app key", "KMS message holds the app key's 20-byte address", 0, 0, 0, 0,
       0, 3, 0, 0, 0),
    V0("claim-0x", "claim", "claim hex carries a 0x prefix", 0, 0, 0, 0, 0, 0, 1, 0, 0),
    V0("claim-upper", "claim", "claim hex is uppercase", 0, 0, 0, 0, 0, 0, 2, 0, 0),
    V0("claim-uncompressed", "claim", "claim holds the 65-byte uncompressed derived key", 0, 0, 0,
       0, 0, 0, 3, 0, 0),
    V0("claim-address", "claim", "claim holds the derived key's address", 0, 0, 0, 0, 0, 0, 4, 0,
       0),
    V0("separator-colon", "separator", "KMS message has an extra ':' between app id and app key", 0,
       0, 0, 0, 0, 0, 0, 1, 0),
    V0("root-p256", "trusted root", "verifier trusts the address of the P-256 key_provider key", 0,
       0, 0, 0, 0, 0, 0, 0, 1),
    V0("root-appkey", "trusted root", "verifier trusts the app key's address", 0, 0, 0, 0, 0, 0, 0,
       0, 2),
    V0("root-contract", "trusted root", "verifier trusts a contract address", 0, 0, 0, 0, 0, 0, 0,
       0, 3),
    V0("root-last20", "trusted root",
       "verifier trusts the last 20 bytes of the compressed root key", 0, 0, 0, 0, 0, 0, 0, 0, 4),
    V1("v1-claim", "version",
       "a v1 claim (LP(tag) ‖ LP(alg) ‖ LP(domain) ‖ LP(pub)) given to a v0 verifier", 1, 0, 0, 0,
       0),
    V1("v1-canonical", "sound", "dstack's own v1 format (0.6 /v1/GetKey)", 1, 1, 0, 0, 0),
    V1("v0-claim", "version", "a v0 claim (purpose:hex(pub)) given to a v1 verifier", 0, 1, 0, 0,
       0),
    V1("v1-no-lengths", "v1 lengths", "v1 claim without the u32 length prefixes", 1, 1, DS_VLP_NONE,
       0, 0),
    V1("v1-le-lengths", "v1 lengths", "v1 claim with little-endian u32 lengths", 1, 1, DS_VLP_LE, 0,
       0),
    V1("v1-k256", "v1 algorithm", "v1 claim names the algorithm \"k256\" instead of \"secp256k1\"",
       1, 1, 0, 1, 0),
    V1("v1-domain-path", "v1 domain", "v1 claim holds the v0 path where the domain belongs", 1, 1,
       0, 0, DS_VDOM_PATH),
    V1("v1-domain-purpose", "v1 domain", "v1 claim holds the v0 purpose where the domain belongs",
       1, 1, 0, 0, DS_VDOM_PURPOSE),
};
const size_t HX_NVARIANTS = sizeof HX_VARIANTS / sizeof HX_VARIANTS[0];

const hx_variant *hx_variant_find(const char *name) {
    for (size_t i = 0; name != NULL && i < HX_NVARIANTS; i++)
        if (strcmp(HX_VARIANTS[i].name, name) == 0) return &HX_VARIANTS[i];
    return NULL;
}

int hx_variant_is_canonical(const hx_variant *v) { return strcmp(v->axis, "sound") == 0; }

int hx_variant_changes_chain(const hx_variant *v) {
    return v->ax.root == DS_VROOT_TRUE && !hx_variant_is_canonical(v);
}

size_t hx_variant_claim(const hx_variant *v, const char *purpose, const uint8_t derived_pub33[33],
                        uint8_t *out, size_t cap) {
    ds_variant_req rq = {NULL, purpose, NULL, DS_KEY_SECP256K1};
    return ds_variant_axes_app_msg(&v->ax, &rq, derived_pub33, 33, out, cap);
}

size_t hx_variant_kms_msg(const hx_variant *v, const uint8_t app_id[20],
                          const uint8_t app_pub33[33], uint8_t *out, size_t cap) {
    return ds_variant_axes_kms_msg(&v->ax, app_id, app_pub33, out, cap);
}

ds_err hx_variant_build(const hx_variant *v, const uint8_t root_key[32], const uint8_t app_id[20],
                        const ds_variant_req *rq, hx_sample *out) {
    return ds_variant_axes_build(&v->ax, root_key, app_id, rq, out);
}

ds_err hx_variant_recover_app(const hx_variant *v, const ds_variant_req *rq,
                              const uint8_t derived_pub33[33], const uint8_t link0[65],
                              uint8_t app_pub33[33]) {
    ds_err rc = ds_variant_axes_recover_app(&v->ax, rq, derived_pub33, 33, link0, app_pub33);
    return rc == DS_ERR_ARG ? DS_ERR_SIG : rc;
}

ds_err hx_variant_recover_root(const hx_variant *v, const uint8_t app_id[20],
                               const uint8_t app_pub33[33], const uint8_t link1[65],
                               uint8_t root_pub33[33], uint8_t root_addr[20]) {
    ds_err rc =
        ds_variant_axes_recover_root(&v->ax, app_id, app_pub33, link1, root_pub33, root_addr);
    return rc == DS_ERR_ARG ? DS_ERR_SIG : rc;
}
