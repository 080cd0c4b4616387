/* ds_p256det.c — RFC 6979 deterministic ECDSA on P-256 / SHA-256 (see ds_p256det.h).
 *
 * For P-256 with SHA-256, qlen = hlen = 256, so bits2int is the identity on 32 bytes,
 * int2octets(x) is x itself and bits2octets(h1) is h1 mod n. The HMAC_DRBG loop of
 * RFC 6979 §3.2 steps b–h is implemented by nonce_init / nonce_next.
 *
 * Speed (a quote is one signature): the group and a fetched SHA-256 live in a
 * ds_p256det_ctx made once; HMAC is built from that SHA-256 directly (OpenSSL's one-shot
 * HMAC() fetches its algorithms on every call); k⁻¹ is computed blinded — (k·b)⁻¹·b for a
 * secret b — with the faster variable-time inversion, which sees only k·b. None of this
 * changes a byte of the output: r and s depend on the key, the digest and k alone.
 */
#include "ds_p256det.h"

#include <string.h>

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>

#include "ds_der.h"
#include "ds_hash.h"

static const uint8_t P256_N[32] = {
    0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xbc, 0xe6, 0xfa, 0xad, 0xa7, 0x17, 0x9e, 0x84, 0xf3, 0xb9, 0xca, 0xc2, 0xfc, 0x63, 0x25, 0x51};

struct ds_p256det_ctx {
    EC_GROUP *grp;
    BIGNUM *n;
    EVP_MD *sha256;
};

ds_p256det_ctx *ds_p256det_ctx_new(void) {
    ds_p256det_ctx *c = OPENSSL_zalloc(sizeof(*c));
    if (!c) return NULL;
    c->grp = EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1);
    c->n = BN_bin2bn(P256_N, 32, NULL);
    c->sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
    if (!c->grp || !c->n || !c->sha256) {
        ds_p256det_ctx_free(c);
        return NULL;
    }
    return c;
}

void ds_p256det_ctx_free(ds_p256det_ctx *c) {
    if (!c) return;
    EC_GROUP_free(c->grp);
    BN_free(c->n);
    EVP_MD_free(c->sha256);
    OPENSSL_free(c);
}

/* 1 when 0 < k < n. */
static int in_range(const uint8_t k[32]) {
    int nonzero = 0;
    for (int i = 0; i < 32; i++) nonzero |= k[i];
    return nonzero && memcmp(k, P256_N, 32) < 0;
}

typedef struct {
    uint8_t K[32], V[32];
    const EVP_MD *md;
    EVP_MD_CTX *mdc;
} drbg;

/* HMAC-SHA256(key, a ‖ b) = H((key ⊕ opad) ‖ H((key ⊕ ipad) ‖ a ‖ b)) (RFC 2104, 32-byte
 * key). Inputs are read before out is written, so out may alias key or a. */
static int hmac(drbg *d, const uint8_t key[32], const uint8_t *a, size_t alen, const uint8_t *b,
                size_t blen, uint8_t out[32]) {
    uint8_t pad[64], inner[32];
    unsigned int n = 0;
    int ok;
    for (int i = 0; i < 64; i++) pad[i] = (uint8_t)((i < 32 ? key[i] : 0) ^ 0x36);
    ok = EVP_DigestInit_ex(d->mdc, d->md, NULL) && EVP_DigestUpdate(d->mdc, pad, 64) &&
         EVP_DigestUpdate(d->mdc, a, alen) && (!blen || EVP_DigestUpdate(d->mdc, b, blen)) &&
         EVP_DigestFinal_ex(d->mdc, inner, &n) && n == 32;
    for (int i = 0; i < 64; i++) pad[i] ^= 0x36 ^ 0x5c;
    ok = ok && EVP_DigestInit_ex(d->mdc, d->md, NULL) && EVP_DigestUpdate(d->mdc, pad, 64) &&
         EVP_DigestUpdate(d->mdc, inner, 32) && EVP_DigestFinal_ex(d->mdc, out, &n) && n == 32;
    OPENSSL_cleanse(pad, sizeof pad);
    OPENSSL_cleanse(inner, sizeof inner);
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
        ok = hmac(d, d->K, d->V, 32, tail, sizeof tail, d->K) &&
             hmac(d, d->K, d->V, 32, NULL, 0, d->V);
    }
    OPENSSL_cleanse(tail, sizeof tail);
    return ok;
}

/* Step h: the next candidate in [1, n-1]. */
static int nonce_next(drbg *d, uint8_t k[32]) {
    for (int tries = 0; tries < 64; tries++) {
        if (!hmac(d, d->K, d->V, 32, NULL, 0, d->V)) return 0;
        memcpy(k, d->V, 32);
        if (in_range(k)) return 1;
        static const uint8_t zero = 0;
        if (!hmac(d, d->K, d->V, 32, &zero, 1, d->K) || !hmac(d, d->K, d->V, 32, NULL, 0, d->V))
            return 0;
    }
    return 0;
}

/* Prepares the generator for a retry after a rejected candidate (r = 0 or s = 0). */
static int nonce_reject(drbg *d) {
    static const uint8_t zero = 0;
    return hmac(d, d->K, d->V, 32, &zero, 1, d->K) && hmac(d, d->K, d->V, 32, NULL, 0, d->V);
}

static int drbg_open(drbg *d, const ds_p256det_ctx *c) {
    memset(d, 0, sizeof(*d));
    d->md = c->sha256;
    d->mdc = EVP_MD_CTX_new();
    return d->mdc != NULL;
}

static void drbg_close(drbg *d) {
    EVP_MD_CTX_free(d->mdc);
    OPENSSL_cleanse(d, sizeof(*d));
}

ds_err ds_p256det_nonce(const uint8_t priv[32], const uint8_t h1[32], uint8_t k[32]) {
    if (!priv || !h1 || !k) return DS_ERR_ARG;
    if (!in_range(priv)) return DS_ERR_KEY;
    ds_p256det_ctx *c = ds_p256det_ctx_new();
    drbg d;
    int ok = c && drbg_open(&d, c);
    ok = ok && nonce_init(&d, priv, h1) && nonce_next(&d, k);
    if (c) drbg_close(&d);
    ds_p256det_ctx_free(c);
    return ok ? DS_OK : DS_ERR_CRYPTO;
}

/* kinv = k⁻¹ mod n, as (k·b)⁻¹·b: the variable-time inversion only ever sees k·b. The
 * blinding factor b comes from the HMAC_DRBG (HMAC_K(V ‖ 0x02), a value outside RFC 6979's
 * own sequence, which it leaves untouched): as unpredictable as k to anyone without the
 * key, and free of the RNG (OpenSSL's costs a getpid() system call per draw). */
static int inverse_blinded(drbg *d, BIGNUM *kinv, const BIGNUM *k, const BIGNUM *n, BN_CTX *bn) {
    static const uint8_t tag = 0x02;
    uint8_t bb[32];
    BN_CTX_start(bn);
    BIGNUM *b = BN_CTX_get(bn), *kb = BN_CTX_get(bn);
    int ok = kb && hmac(d, d->K, d->V, 32, &tag, 1, bb) && BN_bin2bn(bb, 32, b) &&
             BN_nnmod(b, b, n, bn) && !BN_is_zero(b) && BN_mod_mul(kb, k, b, n, bn) &&
             BN_mod_inverse(kinv, kb, n, bn) && BN_mod_mul(kinv, kinv, b, n, bn);
    if (!ok) { /* b = 0 (never in practice) or a failure: constant-time inversion of k */
        BIGNUM *kc = kb ? BN_CTX_get(bn) : NULL;
        ok = kc && BN_copy(kc, k) != NULL;
        if (ok) BN_set_flags(kc, BN_FLG_CONSTTIME);
        ok = ok && BN_mod_inverse(kinv, kc, n, bn) != NULL;
    }
    OPENSSL_cleanse(bb, sizeof bb);
    if (b) BN_clear(b);
    if (kb) BN_clear(kb);
    BN_CTX_end(bn);
    return ok;
}

ds_err ds_p256det_sign_digest_ctx(const ds_p256det_ctx *c, const uint8_t priv[32],
                                  const uint8_t h[32], uint8_t sig[64]) {
    if (!c || !priv || !h || !sig) return DS_ERR_ARG;
    if (!in_range(priv)) return DS_ERR_KEY;
    ds_err rc = DS_ERR_CRYPTO;
    drbg d;
    uint8_t kb[32];
    const BIGNUM *n = c->n;
    int have_drbg = drbg_open(&d, c);
    BN_CTX *bn = BN_CTX_new();
    EC_POINT *R = EC_POINT_new(c->grp);
    BIGNUM *x = BN_bin2bn(priv, 32, NULL);
    BIGNUM *e = BN_bin2bn(h, 32, NULL), *k = BN_new(), *kinv = BN_new();
    BIGNUM *rx = BN_new(), *r = BN_new(), *s = BN_new();
    if (!have_drbg || !bn || !R || !x || !e || !k || !kinv || !rx || !r || !s) goto out;
    BN_set_flags(x, BN_FLG_CONSTTIME);
    BN_set_flags(k, BN_FLG_CONSTTIME);
    if (!BN_nnmod(e, e, n, bn) || !nonce_init(&d, priv, h)) goto out;
    for (int attempt = 0; attempt < 16; attempt++) {
        if (attempt && !nonce_reject(&d)) goto out;
        if (!nonce_next(&d, kb) || !BN_bin2bn(kb, 32, k)) goto out;
        /* r = (k·G).x mod n */
        if (!EC_POINT_mul(c->grp, R, k, NULL, NULL, bn) ||
            !EC_POINT_get_affine_coordinates(c->grp, R, rx, NULL, bn) || !BN_nnmod(r, rx, n, bn))
            goto out;
        if (BN_is_zero(r)) continue;
        /* s = k⁻¹ (e + r·x) mod n */
        if (!BN_mod_mul(s, r, x, n, bn) || !BN_mod_add(s, s, e, n, bn) ||
            !inverse_blinded(&d, kinv, k, n, bn) || !BN_mod_mul(s, s, kinv, n, bn))
            goto out;
        if (BN_is_zero(s)) continue;
        if (BN_bn2binpad(r, sig, 32) != 32 || BN_bn2binpad(s, sig + 32, 32) != 32) goto out;
        rc = DS_OK;
        break;
    }
out:
    if (have_drbg) drbg_close(&d);
    else EVP_MD_CTX_free(d.mdc);
    OPENSSL_cleanse(kb, sizeof kb);
    BN_free(s);
    BN_free(r);
    BN_free(rx);
    BN_clear_free(kinv);
    BN_clear_free(k);
    BN_free(e);
    BN_clear_free(x);
    EC_POINT_free(R);
    BN_CTX_free(bn);
    return rc;
}

ds_err ds_p256det_sign_ctx(const ds_p256det_ctx *c, const uint8_t priv[32], const uint8_t *msg,
                           size_t len, uint8_t sig[64]) {
    uint8_t h[32];
    if (!msg && len) return DS_ERR_ARG;
    ds_sha256(msg, len, h);
    return ds_p256det_sign_digest_ctx(c, priv, h, sig);
}

ds_err ds_p256det_sign_digest(const uint8_t priv[32], const uint8_t h[32], uint8_t sig[64]) {
    if (!priv || !h || !sig) return DS_ERR_ARG;
    if (!in_range(priv)) return DS_ERR_KEY;
    ds_p256det_ctx *c = ds_p256det_ctx_new();
    ds_err rc = c ? ds_p256det_sign_digest_ctx(c, priv, h, sig) : DS_ERR_CRYPTO;
    ds_p256det_ctx_free(c);
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
