/* ds_hash.c — SHA-2/SHA-3 digests, HKDF-SHA256 and randomness through OpenSSL 3, and the
 * by-name hash lookup used by Tappd.TdxQuote. */
#include "ds_hash.h"

#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include "ds_keccak.h"

void ds_sha256(const uint8_t *data, size_t len, uint8_t out[32]) { SHA256(data, len, out); }
void ds_sha384(const uint8_t *data, size_t len, uint8_t out[48]) { SHA384(data, len, out); }
void ds_sha512(const uint8_t *data, size_t len, uint8_t out[64]) { SHA512(data, len, out); }

static ds_err evp_digest(const EVP_MD *md, const uint8_t *data, size_t len, uint8_t *out,
                         size_t *out_len) {
    unsigned int n = 0;
    if (md == NULL || EVP_Digest(data, len, out, &n, md, NULL) != 1) return DS_ERR_CRYPTO;
    *out_len = n;
    return DS_OK;
}

ds_err ds_hash_named(const char *alg, const uint8_t *data, size_t len, uint8_t out[DS_HASH_MAX],
                     size_t *out_len) {
    if (alg == NULL || out == NULL || out_len == NULL || (data == NULL && len)) return DS_ERR_ARG;
    if (strcmp(alg, "sha256") == 0) return evp_digest(EVP_sha256(), data, len, out, out_len);
    if (strcmp(alg, "sha384") == 0) return evp_digest(EVP_sha384(), data, len, out, out_len);
    if (strcmp(alg, "sha512") == 0) return evp_digest(EVP_sha512(), data, len, out, out_len);
    if (strcmp(alg, "sha3-256") == 0) return evp_digest(EVP_sha3_256(), data, len, out, out_len);
    if (strcmp(alg, "sha3-384") == 0) return evp_digest(EVP_sha3_384(), data, len, out, out_len);
    if (strcmp(alg, "sha3-512") == 0) return evp_digest(EVP_sha3_512(), data, len, out, out_len);
    if (strcmp(alg, "keccak256") == 0) {
        ds_keccak256(data, len, out);
        *out_len = 32;
        return DS_OK;
    }
    if (strcmp(alg, "keccak384") == 0) {
        ds_keccak384(data, len, out);
        *out_len = 48;
        return DS_OK;
    }
    if (strcmp(alg, "keccak512") == 0) {
        ds_keccak512(data, len, out);
        *out_len = 64;
        return DS_OK;
    }
    return DS_ERR_ALG;
}

/* HKDF through OpenSSL's EVP_PKEY interface: any lengths, but each call fetches the
 * algorithm and allocates a context (~6 µs). Used only when a message does not fit the
 * inline buffers below. */
static ds_err hkdf_evp(const uint8_t *salt, size_t salt_len, const uint8_t *ikm, size_t ikm_len,
                       const uint8_t *info, size_t info_len, uint8_t *out, size_t out_len) {
    ds_err rc = DS_ERR_CRYPTO;
    EVP_PKEY_CTX *pctx = EVP_PKEY_CTX_new_id(EVP_PKEY_HKDF, NULL);
    /* OpenSSL rejects zero-length buffers given as NULL: pass a dummy pointer instead. */
    static const uint8_t empty[1] = {0};
    if (pctx && EVP_PKEY_derive_init(pctx) > 0 && EVP_PKEY_CTX_set_hkdf_md(pctx, EVP_sha256()) > 0 &&
        EVP_PKEY_CTX_set1_hkdf_salt(pctx, salt ? salt : empty, (int)salt_len) > 0 &&
        EVP_PKEY_CTX_set1_hkdf_key(pctx, ikm ? ikm : empty, (int)ikm_len) > 0 &&
        EVP_PKEY_CTX_add1_hkdf_info(pctx, info ? info : empty, (int)info_len) > 0) {
        size_t n = out_len;
        if (EVP_PKEY_derive(pctx, out, &n) > 0 && n == out_len) rc = DS_OK;
    }
    EVP_PKEY_CTX_free(pctx);
    return rc;
}

/* Longest HMAC message the inline path takes: the IKM in extract, T(i-1) ‖ info ‖ i in
 * expand. dstack's key paths and app ids are far shorter. */
#define HMAC_INLINE_MSG 256

/* HMAC-SHA256 (RFC 2104) of m1 ‖ m2 ‖ m3 (m3: 0 or 1 byte) under a key of at most 64
 * bytes, on the stack: H((K ^ opad) ‖ H((K ^ ipad) ‖ m)). The caller checks the lengths. */
static void hmac_inline(const uint8_t *key, size_t key_len, const uint8_t *m1, size_t n1,
                        const uint8_t *m2, size_t n2, const uint8_t *m3, size_t n3,
                        uint8_t out[32]) {
    uint8_t buf[64 + HMAC_INLINE_MSG];
    size_t i;
    for (i = 0; i < 64; i++) buf[i] = (uint8_t)((i < key_len ? key[i] : 0) ^ 0x36);
    if (n1) memcpy(buf + 64, m1, n1);
    if (n2) memcpy(buf + 64 + n1, m2, n2);
    if (n3) memcpy(buf + 64 + n1 + n2, m3, n3);
    SHA256(buf, 64 + n1 + n2 + n3, buf + 64);
    for (i = 0; i < 64; i++) buf[i] = (uint8_t)((i < key_len ? key[i] : 0) ^ 0x5c);
    SHA256(buf, 64 + 32, out);
    OPENSSL_cleanse(buf, sizeof buf);
}

ds_err ds_hkdf_sha256(const uint8_t *salt, size_t salt_len, const uint8_t *ikm, size_t ikm_len,
                      const uint8_t *info, size_t info_len, uint8_t *out, size_t out_len) {
    if (out == NULL || out_len == 0 || out_len > 255 * 32 || (ikm == NULL && ikm_len) ||
        (salt == NULL && salt_len) || (info == NULL && info_len))
        return DS_ERR_ARG;
    /* The inline path (no allocation, ~1 µs) needs a salt usable as an HMAC key as is and
     * messages that fit its buffer; anything else goes through OpenSSL's HKDF. */
    if (salt_len > 64 || ikm_len > HMAC_INLINE_MSG || info_len > HMAC_INLINE_MSG - 33)
        return hkdf_evp(salt, salt_len, ikm, ikm_len, info, info_len, out, out_len);
    uint8_t prk[32], t[32];
    uint8_t ctr = 1;
    size_t t_len = 0; /* T(0) is empty */
    hmac_inline(salt, salt_len, ikm, ikm_len, NULL, 0, NULL, 0, prk); /* extract */
    for (size_t done = 0; done < out_len; ctr++) {                    /* expand */
        hmac_inline(prk, sizeof prk, t, t_len, info, info_len, &ctr, 1, t);
        t_len = sizeof t;
        size_t n = out_len - done < 32 ? out_len - done : 32;
        memcpy(out + done, t, n);
        done += n;
    }
    OPENSSL_cleanse(prk, sizeof prk);
    OPENSSL_cleanse(t, sizeof t);
    return DS_OK;
}

ds_err ds_random(uint8_t *buf, size_t n) {
    if (buf == NULL && n) return DS_ERR_ARG;
    if (n > 0x7fffffff || RAND_bytes(buf, (int)n) != 1) return DS_ERR_CRYPTO;
    return DS_OK;
}
