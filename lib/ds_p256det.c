/* ds_p256det.c — RFC 6979 deterministic ECDSA on P-256 / SHA-256 (see ds_p256det.h).
 *
 * For P-256 with SHA-256, qlen = hlen = 256, so bits2int is the identity on 32 bytes,
 * int2octets(x) is x itself and bits2octets(h1) is h1 mod n. The HMAC_DRBG loop of
 * RFC 6979 §3.2 steps b–h is implemented by nonce_init / nonce_next.
 */
#include "ds_p256det.h"

#include <string.h>

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/obj_mac.h>

#include "ds_der.h"
#include "ds_hash.h"

static const uint8_t P256_N[32] = {
    0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xbc, 0xe6, 0xfa, 0xad, 0xa7, 0x17, 0x9e, 0x84, 0xf3, 0xb9, 0xca, 0xc2, 0xfc, 0x63, 0x25, 0x51};

/* 1 when 0 < k < n. */
static int in_range(const uint8_t k[32]) {
    int nonzero = 0;
    for (int i = 0; i < 32; i++) nonzero |= k[i];
    return nonzero && memcmp(k, P256_N, 32) < 0;
}

typedef struct {
    uint8_t K[32], V[32];
} drbg;

static int hmac(const uint8_t key[32], const uint8_t *a, size_t alen, const uint8_t *b,
                size_t blen, uint8_t out[32]) {
    /* Inputs are copied first, so out may alias key or a. */
    uint8_t msg[32 + 1 + 32 + 32], res[32];
    unsigned int olen = 0;
    if (alen + blen > sizeof msg) return 0;
    memcpy(msg, a, alen);
    if (blen) memcpy(msg + alen, b, blen);
    int ok = HMAC(EVP_sha256(), key, 32, msg, alen + blen, res, &olen) != NULL && olen == 32;
    if (ok) memcpy(out, res, 32);
    OPENSSL_cleanse(msg, sizeof msg);
    OPENSSL_cleanse(res, sizeof res);
    return ok;
}

/* RFC 6979 §3.2 steps b–f. */
static int nonce_init(drbg *d, const uint8_t priv[32], const uint8_t h1[32]) {
    uint8_t h[32], tail[1 + 32 + 32];
    /* bits2octets: h1 mod n; h1 < 2n so one conditional subtraction suffices. */
    memcpy(h, h1, 32);
    if (memcmp(h, P256_N, 32) >= 0) {
        int borrow = 0;
        for (int i = 31; i >= 0; i--) {
            int v = h[i] - P256_N[i] - borrow;
            borrow = v < 0;
            h[i] = (uint8_t)(v + (borrow ? 256 : 0));
        }
    }
    memset(d->V, 0x01, 32);
    memset(d->K, 0x00, 32);
    int ok = 1;
    for (uint8_t sep = 0; sep <= 1 && ok; sep++) {
        tail[0] = sep;
        memcpy(tail + 1, priv, 32);
        memcpy(tail + 33, h, 32);
        ok = hmac(d->K, d->V, 32, tail, sizeof tail, d->K) && hmac(d->K, d->V, 32, NULL, 0, d->V);
    }
    OPENSSL_cleanse(tail, sizeof tail);
    return ok;
}

/* Step h: the next candidate in [1, n-1]. */
static int nonce_next(drbg *d, uint8_t k[32]) {
    for (int tries = 0; tries < 64; tries++) {
        if (!hmac(d->K, d->V, 32, NULL, 0, d->V)) return 0;
        memcpy(k, d->V, 32);
        if (in_range(k)) return 1;
        static const uint8_t zero = 0;
        if (!hmac(d->K, d->V, 32, &zero, 1, d->K) || !hmac(d->K, d->V, 32, NULL, 0, d->V)) return 0;
    }
    return 0;
}

/* Prepares the generator for a retry after a rejected candidate (r = 0 or s = 0). */
static int nonce_reject(drbg *d) {
    static const uint8_t zero = 0;
    return hmac(d->K, d->V, 32, &zero, 1, d->K) && hmac(d->K, d->V, 32, NULL, 0, d->V);
}

ds_err ds_p256det_nonce(const uint8_t priv[32], const uint8_t h1[32], uint8_t k[32]) {
    if (!priv || !h1 || !k) return DS_ERR_ARG;
    if (!in_range(priv)) return DS_ERR_KEY;
    drbg d;
    int ok = nonce_init(&d, priv, h1) && nonce_next(&d, k);
    OPENSSL_cleanse(&d, sizeof d);
    return ok ? DS_OK : DS_ERR_CRYPTO;
}

ds_err ds_p256det_sign_digest(const uint8_t priv[32], const uint8_t h[32], uint8_t sig[64]) {
    if (!priv || !h || !sig) return DS_ERR_ARG;
    if (!in_range(priv)) return DS_ERR_KEY;
    ds_err rc = DS_ERR_CRYPTO;
    drbg d;
    uint8_t kb[32];
    EC_GROUP *grp = EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1);
    BN_CTX *bn = BN_CTX_new();
    EC_POINT *R = grp ? EC_POINT_new(grp) : NULL;
    BIGNUM *n = BN_bin2bn(P256_N, 32, NULL), *x = BN_bin2bn(priv, 32, NULL);
    BIGNUM *e = BN_bin2bn(h, 32, NULL), *k = BN_new(), *kinv = BN_new();
    BIGNUM *rx = BN_new(), *r = BN_new(), *s = BN_new();
    if (!grp || !bn || !R || !n || !x || !e || !k || !kinv || !rx || !r || !s) goto out;
    BN_set_flags(x, BN_FLG_CONSTTIME);
    BN_set_flags(k, BN_FLG_CONSTTIME);
    if (!BN_nnmod(e, e, n, bn) || !nonce_init(&d, priv, h)) goto out;
    for (int attempt = 0; attempt < 16; attempt++) {
        if (attempt && !nonce_reject(&d)) goto out;
        if (!nonce_next(&d, kb) || !BN_bin2bn(kb, 32, k)) goto out;
        /* r = (k·G).x mod n */
        if (!EC_POINT_mul(grp, R, k, NULL, NULL, bn) ||
            !EC_POINT_get_affine_coordinates(grp, R, rx, NULL, bn) || !BN_nnmod(r, rx, n, bn))
            goto out;
        if (BN_is_zero(r)) continue;
        /* s = k⁻¹ (e + r·x) mod n */
        if (!BN_mod_mul(s, r, x, n, bn) || !BN_mod_add(s, s, e, n, bn) ||
            !BN_mod_inverse(kinv, k, n, bn) || !BN_mod_mul(s, s, kinv, n, bn))
            goto out;
        if (BN_is_zero(s)) continue;
        if (BN_bn2binpad(r, sig, 32) != 32 || BN_bn2binpad(s, sig + 32, 32) != 32) goto out;
        rc = DS_OK;
        break;
    }
out:
    OPENSSL_cleanse(&d, sizeof d);
    OPENSSL_cleanse(kb, sizeof kb);
    BN_free(s);
    BN_free(r);
    BN_free(rx);
    BN_clear_free(kinv);
    BN_clear_free(k);
    BN_free(e);
    BN_clear_free(x);
    BN_free(n);
    EC_POINT_free(R);
    BN_CTX_free(bn);
    EC_GROUP_free(grp);
    return rc;
}

ds_err ds_p256det_sign(const uint8_t priv[32], const uint8_t *msg, size_t len, uint8_t sig[64]) {
    uint8_t h[32];
    if (!msg && len) return DS_ERR_ARG;
    ds_sha256(msg, len, h);
    return ds_p256det_sign_digest(priv, h, sig);
}

ds_err ds_p256det_pub(const uint8_t priv[32], uint8_t xy[64]) {
    if (!priv || !xy) return DS_ERR_ARG;
    if (!in_range(priv)) return DS_ERR_KEY;
    ds_err rc = DS_ERR_CRYPTO;
    EC_GROUP *grp = EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1);
    EC_POINT *P = grp ? EC_POINT_new(grp) : NULL;
    BIGNUM *d = BN_bin2bn(priv, 32, NULL);
    uint8_t pub[65];
    if (grp && P && d && EC_POINT_mul(grp, P, d, NULL, NULL, NULL) &&
        EC_POINT_point2oct(grp, P, POINT_CONVERSION_UNCOMPRESSED, pub, sizeof pub, NULL) == 65) {
        memcpy(xy, pub + 1, 64);
        rc = DS_OK;
    }
    BN_clear_free(d);
    EC_POINT_free(P);
    EC_GROUP_free(grp);
    return rc;
}

void ds_p256_sig_der(const uint8_t sig[64], ds_buf *out) {
    ds_buf seq;
    ds_buf_init(&seq);
    ds_der_put_uint_bytes(&seq, sig, 32);
    ds_der_put_uint_bytes(&seq, sig + 32, 32);
    ds_der_wrap(out, DS_DER_SEQUENCE, &seq);
    ds_buf_free(&seq);
}
