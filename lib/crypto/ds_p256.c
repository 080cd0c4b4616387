/* ds_p256.c — P-256 keys and raw-format ECDSA over OpenSSL 3's non-deprecated APIs.
 *
 * A key from a scalar is built with EVP_PKEY_fromdata (private scalar plus the public
 * point computed with EC_POINT_mul). Signatures are converted between OpenSSL's DER
 * ECDSA-Sig-Value and the raw r ‖ s of TDX quotes.
 */
#include "ds_p256.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/ecdsa.h>
#include <openssl/param_build.h>
#include <openssl/x509.h>

#include "ds_hash.h"

/* The P-256 group order n, big-endian. */
static const uint8_t P256_N[32] = {
    0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xbc, 0xe6, 0xfa, 0xad, 0xa7, 0x17, 0x9e, 0x84, 0xf3, 0xb9, 0xca, 0xc2, 0xfc, 0x63, 0x25, 0x51};

static int scalar_ok(const uint8_t k[32]) {
    int nonzero = 0;
    for (int i = 0; i < 32; i++) nonzero |= k[i];
    return nonzero && memcmp(k, P256_N, 32) < 0;
}

EVP_PKEY *ds_p256_from_scalar(const uint8_t priv[32]) {
    if (!scalar_ok(priv)) return NULL;
    EVP_PKEY *pkey = NULL;
    EC_GROUP *grp = EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1);
    BIGNUM *d = BN_bin2bn(priv, 32, NULL);
    EC_POINT *pt = grp ? EC_POINT_new(grp) : NULL;
    OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
    OSSL_PARAM *params = NULL;
    EVP_PKEY_CTX *ctx = NULL;
    uint8_t pub[65];
    if (!grp || !d || !pt || !bld) goto out;
    if (!EC_POINT_mul(grp, pt, d, NULL, NULL, NULL)) goto out;
    if (EC_POINT_point2oct(grp, pt, POINT_CONVERSION_UNCOMPRESSED, pub, sizeof pub, NULL) != 65)
        goto out;
    if (!OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0) ||
        !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PRIV_KEY, d) ||
        !OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, pub, sizeof pub))
        goto out;
    params = OSSL_PARAM_BLD_to_param(bld);
    ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
    if (!params || !ctx || EVP_PKEY_fromdata_init(ctx) <= 0 ||
        EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_KEYPAIR, params) <= 0)
        pkey = NULL;
out:
    EVP_PKEY_CTX_free(ctx);
    OSSL_PARAM_free(params);
    OSSL_PARAM_BLD_free(bld);
    EC_POINT_free(pt);
    BN_clear_free(d);
    EC_GROUP_free(grp);
    return pkey;
}

ds_err ds_p256_scalar_from_seed(const uint8_t *ikm, size_t ikm_len, const char *info,
                                uint8_t priv[32]) {
    size_t il = strlen(info);
    uint8_t *buf = malloc(il + 1);
    if (!buf) return DS_ERR_NOMEM;
    memcpy(buf, info, il);
    ds_err rc = DS_ERR_CRYPTO;
    for (int ctr = 0; ctr < 256; ctr++) {
        buf[il] = (uint8_t)ctr;
        /* First try uses exactly `info` (no counter byte). */
        if (ds_hkdf_sha256((const uint8_t *)"RATLS", 5, ikm, ikm_len, buf, ctr ? il + 1 : il,
                           priv, 32) != DS_OK)
            break;
        if (scalar_ok(priv)) {
            rc = DS_OK;
            break;
        }
    }
    free(buf);
    return rc;
}

EVP_PKEY *ds_p256_generate(void) {
    return EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
}

ds_err ds_p256_pub_xy(EVP_PKEY *key, uint8_t xy[64]) {
    uint8_t pub[65];
    size_t len = 0;
    if (!EVP_PKEY_get_octet_string_param(key, OSSL_PKEY_PARAM_PUB_KEY, pub, sizeof pub, &len) ||
        len != 65 || pub[0] != 0x04)
        return DS_ERR_CRYPTO;
    memcpy(xy, pub + 1, 64);
    return DS_OK;
}

ds_err ds_p256_sign(EVP_PKEY *key, const uint8_t *msg, size_t len, uint8_t sig[64]) {
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    uint8_t der[80];
    size_t dlen = sizeof der;
    ds_err rc = DS_ERR_CRYPTO;
    ECDSA_SIG *s = NULL;
    if (!md || EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, key) <= 0 ||
        EVP_DigestSign(md, der, &dlen, msg, len) <= 0)
        goto out;
    const uint8_t *p = der;
    s = d2i_ECDSA_SIG(NULL, &p, (long)dlen);
    if (!s) goto out;
    const BIGNUM *r, *ss;
    ECDSA_SIG_get0(s, &r, &ss);
    if (BN_bn2binpad(r, sig, 32) != 32 || BN_bn2binpad(ss, sig + 32, 32) != 32) goto out;
    rc = DS_OK;
out:
    ECDSA_SIG_free(s);
    EVP_MD_CTX_free(md);
    return rc;
}

EVP_PKEY *ds_p256_from_xy(const uint8_t xy[64]) {
    uint8_t pub[65];
    pub[0] = 0x04;
    memcpy(pub + 1, xy, 64);
    EVP_PKEY *pkey = NULL;
    EVP_PKEY_CTX *kctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
    OSSL_PARAM params[3];
    params[0] = OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0);
    params[1] = OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, pub, sizeof pub);
    params[2] = OSSL_PARAM_construct_end();
    if (!kctx || EVP_PKEY_fromdata_init(kctx) <= 0 ||
        EVP_PKEY_fromdata(kctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) <= 0)
        pkey = NULL;
    EVP_PKEY_CTX_free(kctx);
    return pkey;
}

ds_err ds_p256_verify_key(EVP_PKEY *pkey, const uint8_t *msg, size_t len, const uint8_t sig[64]) {
    if (!pkey) return DS_ERR_KEY;
    ds_err rc = DS_ERR_CRYPTO;
    ECDSA_SIG *s = ECDSA_SIG_new();
    BIGNUM *r = BN_bin2bn(sig, 32, NULL), *ss = BN_bin2bn(sig + 32, 32, NULL);
    uint8_t *der = NULL;
    EVP_MD_CTX *md = NULL;
    if (!s || !r || !ss || !ECDSA_SIG_set0(s, r, ss)) goto out;
    r = ss = NULL; /* owned by s now */
    int dlen = i2d_ECDSA_SIG(s, &der);
    md = EVP_MD_CTX_new();
    if (dlen <= 0 || !md || EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, pkey) <= 0) goto out;
    rc = EVP_DigestVerify(md, der, (size_t)dlen, msg, len) == 1 ? DS_OK : DS_ERR_VERIFY;
out:
    EVP_MD_CTX_free(md);
    OPENSSL_free(der);
    BN_free(r);
    BN_free(ss);
    ECDSA_SIG_free(s);
    return rc;
}

ds_err ds_p256_verify(const uint8_t xy[64], const uint8_t *msg, size_t len,
                      const uint8_t sig[64]) {
    EVP_PKEY *pkey = ds_p256_from_xy(xy);
    ds_err rc = pkey ? ds_p256_verify_key(pkey, msg, len, sig) : DS_ERR_KEY;
    EVP_PKEY_free(pkey);
    return rc;
}

ds_err ds_p256_spki_der(EVP_PKEY *key, uint8_t **der, size_t *der_len) {
    *der = NULL;
    *der_len = 0;
    uint8_t *p = NULL;
    int n = i2d_PUBKEY(key, &p);
    if (n <= 0) return DS_ERR_CRYPTO;
    *der = malloc((size_t)n);
    if (!*der) {
        OPENSSL_free(p);
        return DS_ERR_NOMEM;
    }
    memcpy(*der, p, (size_t)n);
    *der_len = (size_t)n;
    OPENSSL_free(p);
    return DS_OK;
}
