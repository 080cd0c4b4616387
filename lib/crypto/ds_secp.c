/* ds_secp.c — secp256k1 over libsecp256k1 with one shared context (see ds_secp.h). */
#include "ds_secp.h"

#include <pthread.h>
#include <string.h>

#include <secp256k1.h>
#include <secp256k1_recovery.h>

#include "ds_hash.h"
#include "ds_hex.h"
#include "ds_keccak.h"

static secp256k1_context *shared_ctx;
static pthread_once_t shared_once = PTHREAD_ONCE_INIT;

static void ctx_create(void) {
    secp256k1_context *c = secp256k1_context_create(SECP256K1_CONTEXT_NONE);
    uint8_t seed[32];
    /* Randomisation hardens signing against side channels; a failure leaves it off. */
    if (c && ds_random(seed, sizeof seed) == DS_OK && !secp256k1_context_randomize(c, seed)) {
        /* Randomisation failed: the context stays valid, only unblinded. */
    }
    shared_ctx = c;
}

/* The shared context, created on first use. NULL only if libsecp256k1 cannot allocate. */
static const secp256k1_context *ctx(void) {
    pthread_once(&shared_once, ctx_create);
    return shared_ctx;
}

int ds_secp_priv_valid(const uint8_t priv[32]) {
    return priv != NULL && ctx() != NULL && secp256k1_ec_seckey_verify(ctx(), priv) == 1;
}

static ds_err serialize_pub(const secp256k1_pubkey *pk, uint8_t *out, size_t out_len) {
    unsigned flags;
    if (out_len == 33) flags = SECP256K1_EC_COMPRESSED;
    else if (out_len == 65) flags = SECP256K1_EC_UNCOMPRESSED;
    else return DS_ERR_LEN;
    size_t n = out_len;
    secp256k1_ec_pubkey_serialize(ctx(), out, &n, pk, flags);
    return DS_OK;
}

/* Parses 33-byte compressed, 65-byte uncompressed or 64-byte raw x‖y into pk. */
static ds_err parse_pub(const uint8_t *pub, size_t pub_len, secp256k1_pubkey *pk) {
    uint8_t buf[65];
    if (pub == NULL || ctx() == NULL) return DS_ERR_ARG;
    if (pub_len == 64) {
        buf[0] = 0x04;
        memcpy(buf + 1, pub, 64);
        pub = buf;
        pub_len = 65;
    }
    if (pub_len != 33 && pub_len != 65) return DS_ERR_KEY;
    /* libsecp256k1 also accepts hybrid 0x06/0x07 encodings; dstack never uses them. */
    if (pub_len == 65 && pub[0] != 0x04) return DS_ERR_KEY;
    return secp256k1_ec_pubkey_parse(ctx(), pk, pub, pub_len) == 1 ? DS_OK : DS_ERR_KEY;
}

ds_err ds_secp_pubkey(const uint8_t priv[32], uint8_t *out, size_t out_len) {
    secp256k1_pubkey pk;
    if (priv == NULL || out == NULL || ctx() == NULL) return DS_ERR_ARG;
    if (out_len != 33 && out_len != 65) return DS_ERR_LEN;
    if (secp256k1_ec_pubkey_create(ctx(), &pk, priv) != 1) return DS_ERR_KEY;
    return serialize_pub(&pk, out, out_len);
}

ds_err ds_secp_pub_convert(const uint8_t *pub, size_t pub_len, uint8_t *out, size_t out_len) {
    secp256k1_pubkey pk;
    if (out == NULL) return DS_ERR_ARG;
    if (out_len != 33 && out_len != 65) return DS_ERR_LEN;
    ds_err rc = parse_pub(pub, pub_len, &pk);
    return rc == DS_OK ? serialize_pub(&pk, out, out_len) : rc;
}

ds_err ds_secp_address(const uint8_t *pub, size_t pub_len, uint8_t addr[20]) {
    uint8_t full[65], hash[32];
    if (addr == NULL) return DS_ERR_ARG;
    ds_err rc = ds_secp_pub_convert(pub, pub_len, full, sizeof full);
    if (rc != DS_OK) return rc;
    ds_keccak256(full + 1, 64, hash);
    memcpy(addr, hash + 12, 20);
    return DS_OK;
}

ds_err ds_secp_priv_address(const uint8_t priv[32], uint8_t addr[20]) {
    uint8_t pub[65];
    ds_err rc = ds_secp_pubkey(priv, pub, sizeof pub);
    return rc == DS_OK ? ds_secp_address(pub, sizeof pub, addr) : rc;
}

ds_err ds_secp_sign_recoverable(const uint8_t priv[32], const uint8_t digest[32],
                                uint8_t sig[65]) {
    secp256k1_ecdsa_recoverable_signature rs;
    int recid = 0;
    if (priv == NULL || digest == NULL || sig == NULL || ctx() == NULL) return DS_ERR_ARG;
    if (secp256k1_ecdsa_sign_recoverable(ctx(), &rs, digest, priv, NULL, NULL) != 1)
        return DS_ERR_KEY;
    secp256k1_ecdsa_recoverable_signature_serialize_compact(ctx(), sig, &recid, &rs);
    sig[64] = (uint8_t)recid;
    return DS_OK;
}

ds_err ds_secp_recover(const uint8_t digest[32], const uint8_t sig[65], int allow_27,
                       uint8_t pub33[33]) {
    secp256k1_ecdsa_recoverable_signature rs;
    secp256k1_pubkey pk;
    if (digest == NULL || sig == NULL || pub33 == NULL || ctx() == NULL) return DS_ERR_ARG;
    int v = sig[64];
    if (allow_27 && (v == 27 || v == 28)) v -= 27;
    if (v != 0 && v != 1) return DS_ERR_SIG;
    if (secp256k1_ecdsa_recoverable_signature_parse_compact(ctx(), &rs, sig, v) != 1)
        return DS_ERR_SIG;
    if (secp256k1_ecdsa_recover(ctx(), &pk, &rs, digest) != 1) return DS_ERR_SIG;
    return serialize_pub(&pk, pub33, 33);
}

ds_err ds_secp_sign(const uint8_t priv[32], const uint8_t digest[32], uint8_t sig[64]) {
    secp256k1_ecdsa_signature s;
    if (priv == NULL || digest == NULL || sig == NULL || ctx() == NULL) return DS_ERR_ARG;
    if (secp256k1_ecdsa_sign(ctx(), &s, digest, priv, NULL, NULL) != 1) return DS_ERR_KEY;
    secp256k1_ecdsa_signature_serialize_compact(ctx(), sig, &s);
    return DS_OK;
}

ds_err ds_secp_verify(const uint8_t *pub, size_t pub_len, const uint8_t digest[32],
                      const uint8_t sig[64]) {
    secp256k1_pubkey pk;
    secp256k1_ecdsa_signature s;
    if (digest == NULL || sig == NULL) return DS_ERR_ARG;
    ds_err rc = parse_pub(pub, pub_len, &pk);
    if (rc != DS_OK) return rc;
    if (secp256k1_ecdsa_signature_parse_compact(ctx(), &s, sig) != 1) return DS_ERR_SIG;
    secp256k1_ecdsa_signature_normalize(ctx(), &s, &s);
    return secp256k1_ecdsa_verify(ctx(), &s, digest, &pk) == 1 ? DS_OK : DS_ERR_VERIFY;
}

char *ds_eth_checksum(const uint8_t addr[20], char out[43]) {
    char lower[41];
    uint8_t hash[32];
    ds_hex_encode(addr, 20, lower);
    ds_keccak256((const uint8_t *)lower, 40, hash);
    out[0] = '0';
    out[1] = 'x';
    for (int i = 0; i < 40; i++) {
        int nibble = (hash[i / 2] >> (i % 2 ? 0 : 4)) & 15;
        char c = lower[i];
        out[2 + i] = (c >= 'a' && nibble >= 8) ? (char)(c - 'a' + 'A') : c;
    }
    out[42] = '\0';
    return out;
}
