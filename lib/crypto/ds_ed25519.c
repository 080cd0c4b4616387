/* ds_ed25519.c — Ed25519 keys from raw 32-byte seeds through OpenSSL's EVP interface. */
#include "ds_ed25519.h"

#include <openssl/evp.h>

ds_err ds_ed25519_pubkey(const uint8_t seed[32], uint8_t pub[32]) {
    if (seed == NULL || pub == NULL) return DS_ERR_ARG;
    EVP_PKEY *pk = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, seed, 32);
    size_t n = 32;
    ds_err rc = (pk && EVP_PKEY_get_raw_public_key(pk, pub, &n) == 1 && n == 32) ? DS_OK
                                                                                   : DS_ERR_CRYPTO;
    EVP_PKEY_free(pk);
    return rc;
}

ds_err ds_ed25519_sign(const uint8_t seed[32], const uint8_t *msg, size_t len, uint8_t sig[64]) {
    if (seed == NULL || sig == NULL || (msg == NULL && len)) return DS_ERR_ARG;
    static const uint8_t empty[1] = {0};
    ds_err rc = DS_ERR_CRYPTO;
    EVP_PKEY *pk = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, seed, 32);
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    size_t n = 64;
    if (pk && md && EVP_DigestSignInit(md, NULL, NULL, NULL, pk) == 1 &&
        EVP_DigestSign(md, sig, &n, msg ? msg : empty, len) == 1 && n == 64)
        rc = DS_OK;
    EVP_MD_CTX_free(md);
    EVP_PKEY_free(pk);
    return rc;
}

ds_err ds_ed25519_verify(const uint8_t pub[32], const uint8_t *msg, size_t len,
                         const uint8_t sig[64]) {
    if (pub == NULL || sig == NULL || (msg == NULL && len)) return DS_ERR_ARG;
    static const uint8_t empty[1] = {0};
    EVP_PKEY *pk = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, pub, 32);
    if (pk == NULL) return DS_ERR_KEY;
    ds_err rc = DS_ERR_CRYPTO;
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    if (md && EVP_DigestVerifyInit(md, NULL, NULL, NULL, pk) == 1)
        rc = EVP_DigestVerify(md, sig, 64, msg ? msg : empty, len) == 1 ? DS_OK : DS_ERR_VERIFY;
    EVP_MD_CTX_free(md);
    EVP_PKEY_free(pk);
    return rc;
}
