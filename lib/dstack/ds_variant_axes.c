/* ds_variant_axes.c — any chain format of the mismatch catalogue, one value per axis
 * (see ds_variant.h): the app-link and KMS-link messages, their digests, building a
 * chain and recovering one.
 *
 * Everything is "dstack's computation with some steps swapped": with all axes 0 the
 * messages are byte-identical to ds_chain's (v0) and ds_chain_v1_claim's (v1), which the
 * unit tests check.
 */
#include "ds_variant.h"

#include <stdio.h>
#include <string.h>

#include "ds_hash.h"
#include "ds_hex.h"
#include "ds_kdf.h"
#include "ds_keccak.h"
#include "ds_secp.h"

void ds_variant_axes_digest(int kind, const uint8_t *msg, size_t len, uint8_t out[32]) {
    if (kind == DS_VDG_EIP191) {
        ds_eip191_digest(msg, len, out);
    } else if (kind == DS_VDG_SHA3) {
        uint8_t d[DS_HASH_MAX];
        size_t n = 0;
        ds_hash_named("sha3-256", msg, len, d, &n);
        memcpy(out, d, 32);
    } else {
        ds_keccak256(msg, len, out);
    }
}

/* Appends n bytes at *pos; returns 0 when they do not fit (and leaves *pos alone). */
static int put(uint8_t *out, size_t cap, size_t *pos, const void *p, size_t n) {
    if (n > cap - *pos) return 0;
    if (n) memcpy(out + *pos, p, n);
    *pos += n;
    return 1;
}

/* LP(x) under the lengths axis: u32 big-endian, nothing, or u32 little-endian. */
static int put_lp(uint8_t *out, size_t cap, size_t *pos, int lp, const void *p, size_t n) {
    uint8_t len[4];
    if (n > 0xffffffffu) return 0;
    if (lp == DS_VLP_BE) {
        len[0] = (uint8_t)(n >> 24), len[1] = (uint8_t)(n >> 16), len[2] = (uint8_t)(n >> 8),
        len[3] = (uint8_t)n;
    } else {
        len[3] = (uint8_t)(n >> 24), len[2] = (uint8_t)(n >> 16), len[1] = (uint8_t)(n >> 8),
        len[0] = (uint8_t)n;
    }
    if (lp != DS_VLP_NONE && !put(out, cap, pos, len, 4)) return 0;
    return put(out, cap, pos, p, n);
}

static const char *str(const char *s) { return s ? s : ""; }

static size_t v1_claim(const ds_variant_axes *ax, const ds_variant_req *rq, const uint8_t *pub,
                       size_t pub_len, uint8_t *out, size_t cap) {
    const char *alg = ax->alg_name ? "k256" : ds_key_alg_v1_name(rq->alg);
    if (alg == NULL) return 0;
    const char *dom = ax->domain_src == DS_VDOM_PATH      ? str(rq->path)
                      : ax->domain_src == DS_VDOM_PURPOSE ? str(rq->purpose)
                                                          : str(rq->domain);
    size_t pos = 0;
    int ok = put_lp(out, cap, &pos, ax->lp, DS_V1_CLAIM_TAG, sizeof DS_V1_CLAIM_TAG - 1) &&
             put_lp(out, cap, &pos, ax->lp, alg, strlen(alg)) &&
             put_lp(out, cap, &pos, ax->lp, dom, strlen(dom)) &&
             put_lp(out, cap, &pos, ax->lp, pub, pub_len);
    return ok ? pos : 0;
}

size_t ds_variant_axes_app_msg(const ds_variant_axes *ax, const ds_variant_req *rq,
                               const uint8_t *pub, size_t pub_len, uint8_t *out, size_t cap) {
    uint8_t form[65];
    size_t flen = pub_len, pos = 0;
    char hex[2 * 65 + 1];
    if (!ax || !rq || !pub || !out || pub_len == 0 || pub_len > 65) return 0;
    if (ax->version == 1) return v1_claim(ax, rq, pub, pub_len, out, cap);
    memcpy(form, pub, pub_len);
    if (ax->claim == DS_VCLAIM_U65 || ax->claim == DS_VCLAIM_ADDR) {
        if (pub_len != 33) return 0;
        ds_err rc = ax->claim == DS_VCLAIM_U65 ? ds_secp_pub_convert(pub, 33, form, 65)
                                               : ds_secp_address(pub, 33, form);
        if (rc != DS_OK) return 0;
        flen = ax->claim == DS_VCLAIM_U65 ? 65 : 20;
    }
    ds_hex_encode(form, flen, hex);
    if (ax->claim == DS_VCLAIM_UPPER)
        for (char *c = hex; *c; c++)
            if (*c >= 'a' && *c <= 'f') *c = (char)(*c - 'a' + 'A');
    const char *purpose = str(rq->purpose);
    int ok = put(out, cap, &pos, purpose, strlen(purpose)) && put(out, cap, &pos, ":", 1) &&
             (ax->claim != DS_VCLAIM_0X || put(out, cap, &pos, "0x", 2)) &&
             put(out, cap, &pos, hex, 2 * flen);
    return ok ? pos : 0;
}

size_t ds_variant_axes_kms_msg(const ds_variant_axes *ax, const uint8_t app_id[DS_APP_ID_LEN],
                               const uint8_t app_pub33[33], uint8_t *out, size_t cap) {
    uint8_t id[42], key[65];
    size_t idlen = 20, keylen = 33, pos = 0;
    char hex[41];
    if (!ax || !app_id || !app_pub33 || !out) return 0;
    memset(id, 0, sizeof id);
    switch (ax->appid) {
    case DS_VID_B32_RIGHT:
        memcpy(id, app_id, 20);
        idlen = 32;
        break;
    case DS_VID_B32_LEFT:
        memcpy(id + 12, app_id, 20);
        idlen = 32;
        break;
    case DS_VID_HEX:
        memcpy(id, ds_hex_encode(app_id, 20, hex), 40);
        idlen = 40;
        break;
    case DS_VID_0XHEX:
        id[0] = '0';
        id[1] = 'x';
        memcpy(id + 2, ds_hex_encode(app_id, 20, hex), 40);
        idlen = 42;
        break;
    default: memcpy(id, app_id, 20);
    }
    switch (ax->appkey) {
    case DS_VKEY_U65:
    case DS_VKEY_XY64:
        if (ds_secp_pub_convert(app_pub33, 33, key, 65) != DS_OK) return 0;
        keylen = 65;
        if (ax->appkey == DS_VKEY_XY64) {
            memmove(key, key + 1, 64);
            keylen = 64;
        }
        break;
    case DS_VKEY_ADDR:
        if (ds_secp_address(app_pub33, 33, key) != DS_OK) return 0;
        keylen = 20;
        break;
    default: memcpy(key, app_pub33, 33);
    }
    int ok = put(out, cap, &pos, DS_KMS_PREFIX, sizeof DS_KMS_PREFIX - 1) &&
             put(out, cap, &pos, id, idlen) && (!ax->sep || put(out, cap, &pos, ":", 1)) &&
             put(out, cap, &pos, key, keylen);
    return ok ? pos : 0;
}

static ds_err sign(const uint8_t key[32], const uint8_t digest[32], int v27, uint8_t sig[65]) {
    ds_err rc = ds_secp_sign_recoverable(key, digest, sig);
    if (rc == DS_OK && v27) sig[64] = (uint8_t)(sig[64] + 27);
    return rc;
}

ds_err ds_variant_axes_build(const ds_variant_axes *ax, const uint8_t root_key[32],
                             const uint8_t app_id[DS_APP_ID_LEN], const ds_variant_req *rq,
                             ds_variant_chain *out) {
    uint8_t msg[512], digest[32];
    size_t n;
    if (!ax || !root_key || !app_id || !rq || !out) return DS_ERR_ARG;
    memset(out, 0, sizeof *out);
    ds_err rc = ds_chain_kms_issue(root_key, app_id, out->app_key, out->app_pub, NULL);
    if (rc != DS_OK) return rc;
    if (ax->version == 1) {
        const char *dom = str(rq->domain);
        rc = ds_kdf_v1_key(out->app_key, "secp256k1", dom, strlen(dom), out->derived_key);
    } else {
        rc = ds_kdf_path_key(out->app_key, str(rq->path), strlen(str(rq->path)), out->derived_key);
    }
    if (rc == DS_OK) rc = ds_secp_pubkey(out->derived_key, out->derived_pub, 33);
    if (rc != DS_OK) return rc;
    ds_variant_req r = *rq;
    r.alg = DS_KEY_SECP256K1;
    if ((n = ds_variant_axes_app_msg(ax, &r, out->derived_pub, 33, msg, sizeof msg)) == 0)
        return DS_ERR_KEY;
    ds_variant_axes_digest(ax->app_dg, msg, n, digest);
    if ((rc = sign(out->app_key, digest, ax->app_v27, out->link0)) != DS_OK) return rc;
    if ((n = ds_variant_axes_kms_msg(ax, app_id, out->app_pub, msg, sizeof msg)) == 0)
        return DS_ERR_KEY;
    ds_variant_axes_digest(ax->kms_dg, msg, n, digest);
    return sign(root_key, digest, ax->kms_v27, out->link1);
}

static ds_err recover(const uint8_t digest[32], const uint8_t sig[65], int v27, uint8_t pub[33]) {
    if (v27 ? (sig[64] != 27 && sig[64] != 28) : sig[64] > 1) return DS_ERR_SIG;
    return ds_secp_recover(digest, sig, v27, pub);
}

ds_err ds_variant_axes_recover_app(const ds_variant_axes *ax, const ds_variant_req *rq,
                                   const uint8_t *pub, size_t pub_len, const uint8_t link0[65],
                                   uint8_t app_pub33[33]) {
    uint8_t msg[512], digest[32];
    if (!link0 || !app_pub33) return DS_ERR_ARG;
    size_t n = ds_variant_axes_app_msg(ax, rq, pub, pub_len, msg, sizeof msg);
    if (n == 0) return DS_ERR_ARG;
    ds_variant_axes_digest(ax->app_dg, msg, n, digest);
    return recover(digest, link0, ax->app_v27, app_pub33);
}

ds_err ds_variant_axes_recover_root(const ds_variant_axes *ax, const uint8_t app_id[DS_APP_ID_LEN],
                                    const uint8_t app_pub33[33], const uint8_t link1[65],
                                    uint8_t root_pub33[33], uint8_t root_addr[20]) {
    uint8_t msg[256], digest[32];
    if (!link1 || !root_pub33 || !root_addr) return DS_ERR_ARG;
    size_t n = ds_variant_axes_kms_msg(ax, app_id, app_pub33, msg, sizeof msg);
    if (n == 0) return DS_ERR_ARG;
    ds_variant_axes_digest(ax->kms_dg, msg, n, digest);
    ds_err rc = recover(digest, link1, ax->kms_v27, root_pub33);
    if (rc == DS_OK) rc = ds_secp_address(root_pub33, 33, root_addr);
    return rc;
}
