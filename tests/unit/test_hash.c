/* test_hash.c — keccak (hand-written), SHA-2/SHA-3 by name, HKDF, runtime-event digests.
 * Vectors: shared spec vectors.md "Primitives" (recomputed independently there), the
 * Keccak team's published keccak-256/512 values for "", and RFC 5869 test case 1. */
#include <stdlib.h>

#include "unit_util.h"

#include "ds_hash.h"
#include "ds_keccak.h"

#include <openssl/evp.h>
#include <openssl/kdf.h>

static void keccak256_known_answers(void **state) {
    (void)state;
    uint8_t d[32];
    ds_keccak256((const uint8_t *)"", 0, d);
    assert_hex_equal(d, 32, "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470");
    ds_keccak256((const uint8_t *)"abc", 3, d);
    assert_hex_equal(d, 32, "4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45");
}

static void keccak384_512_known_answers(void **state) {
    (void)state;
    uint8_t d[64];
    /* Keccak team / pycryptodome published values for the empty message. */
    ds_keccak384((const uint8_t *)"", 0, d);
    assert_hex_equal(d, 48, "2c23146a63a29acf99e73b88f8c24eaa7dc60aa771780ccc006afbfa8fe2479b"
                            "2dd2b21362337441ac12b515911957ff");
    ds_keccak512((const uint8_t *)"", 0, d);
    assert_hex_equal(d, 64, "0eab42de4c3ceb9235fc91acffe746b29c29a8c366b7c60e4e67c466f36a4304"
                            "c00fa9caf9d87976ba469bcbe06713b435f091ef2769fb160cdab33d3670680e");
}

/* Absorbing in pieces across block boundaries gives the same digest as one shot. */
static void keccak_incremental_matches_oneshot(void **state) {
    (void)state;
    uint8_t msg[1000], a[32], b[32];
    for (size_t i = 0; i < sizeof msg; i++) msg[i] = (uint8_t)(i * 7 + 3);
    for (size_t len = 0; len <= sizeof msg; len += 37) {
        ds_keccak256(msg, len, a);
        ds_keccak_ctx k;
        assert_int_equal(ds_keccak_init(&k, 32), 0);
        for (size_t off = 0; off < len; off += 13)
            ds_keccak_update(&k, msg + off, len - off < 13 ? len - off : 13);
        ds_keccak_final(&k, b);
        assert_memory_equal(a, b, 32);
    }
    /* Exactly one full rate block (136 bytes for keccak256), and one byte short of it,
     * where the padding bytes 0x01 and 0x80 share a byte. Values from @noble/hashes and
     * `cast keccak`. */
    memset(msg, 'a', 136);
    ds_keccak256(msg, 136, a);
    assert_hex_equal(a, 32, "a6c4d403279fe3e0af03729caada8374b5ca54d8065329a3ebcaeb4b60aa386e");
    ds_keccak256(msg, 135, a);
    assert_hex_equal(a, 32, "34367dc248bbd832f4e3e69dfaac2f92638bd0bbd18f2912ba4ef454919cf446");
    ds_keccak_ctx bad;
    assert_int_equal(ds_keccak_init(&bad, 20), -1);
}

static void tappd_hash_vectors(void **state) {
    (void)state;
    uint8_t d[DS_HASH_MAX];
    size_t n;
    const uint8_t *m = (const uint8_t *)"app-data:test";
    assert_int_equal(ds_hash_named("sha512", m, 13, d, &n), DS_OK);
    assert_int_equal(n, 64);
    assert_hex_equal(d, 64, "1864e059be7e1ec12d9fe9da903d3711e0d72edab19f044cc9d6ac90c32b996b"
                            "545a9979309bd19c36b803941e8e3485115e9b794001f2b9f367f6e03c52e532");
    assert_int_equal(ds_hash_named("keccak256", m, 13, d, &n), DS_OK);
    assert_int_equal(n, 32);
    assert_hex_equal(d, 32, "b877945563d5025eec520b6bb150efcf4c368c491ff1947529be3125d4e5ecb6");
    assert_int_equal(ds_hash_named("sha256", (const uint8_t *)"custom-domain:test", 18, d, &n),
                     DS_OK);
    assert_hex_equal(d, 32, "9178424c8c39ac4f8a59b992837b7229a05a7f3a534250bfaa61da53e0dc2b2b");
    /* FIPS SHA3-256("") differs from keccak256(""): the padding byte matters. */
    assert_int_equal(ds_hash_named("sha3-256", m, 0, d, &n), DS_OK);
    assert_hex_equal(d, 32, "a7ffc6f8bf1ed76651c14756a061d662f580ff4de43b49fa82d80a4b80f8434a");
    const char *lens[][2] = {{"sha384", "48"},    {"sha3-384", "48"},  {"sha3-512", "64"},
                             {"keccak384", "48"}, {"keccak512", "64"}, {"sha3-256", "32"}};
    for (size_t i = 0; i < sizeof lens / sizeof *lens; i++) {
        assert_int_equal(ds_hash_named(lens[i][0], m, 13, d, &n), DS_OK);
        assert_int_equal(n, (size_t)atoi(lens[i][1]));
    }
    assert_int_equal(ds_hash_named("md5", m, 13, d, &n), DS_ERR_ALG);
    assert_int_equal(ds_hash_named("raw", m, 13, d, &n), DS_ERR_ALG);
    assert_int_equal(ds_hash_named("SHA256", m, 13, d, &n), DS_ERR_ALG);
}

/* dstack runtime event digest: SHA-384(u32_le(0x08000001) ‖ ":" ‖ name ‖ ":" ‖ payload). */
static void runtime_event_digests(void **state) {
    (void)state;
    uint8_t pre[64], d[48];
    size_t n = unhex("010000083a6170702d69643adeadbeef", pre, sizeof pre);
    ds_sha384(pre, n, d);
    assert_hex_equal(d, 48, "67b4be4efed0893cfa2bb1d35dca209ad8348b4c97f980807bcde8b9a0f26398"
                            "dd0923d6eccb5aa2096d98046da8740f");
    static const uint8_t ready[] = "\x01\x00\x00\x08:system-ready:";
    ds_sha384(ready, sizeof ready - 1, d);
    assert_hex_equal(d, 48, "1a76b2a80a0be71eae59f80945d876351a7a3fb8e9fd1ff1cede5734aa84ea11"
                            "fd72b4edfbb6f04e5a85edd114c751bd");
}

/* RFC 5869 Appendix A.1 (HKDF-SHA256 test case 1). */
static void hkdf_rfc5869_case1(void **state) {
    (void)state;
    uint8_t ikm[22], salt[13], info[10], okm[42];
    unhex("0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b", ikm, sizeof ikm);
    unhex("000102030405060708090a0b0c", salt, sizeof salt);
    unhex("f0f1f2f3f4f5f6f7f8f9", info, sizeof info);
    assert_int_equal(ds_hkdf_sha256(salt, 13, ikm, 22, info, 10, okm, 42), DS_OK);
    assert_hex_equal(okm, 42, "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf"
                              "34007208d5b887185865");
    assert_int_equal(ds_hkdf_sha256(salt, 13, ikm, 22, info, 10, okm, 0), DS_ERR_ARG);
    assert_int_equal(ds_hkdf_sha256(salt, 13, NULL, 22, info, 10, okm, 32), DS_ERR_ARG);
}

/* RFC 5869 A.2 (80-byte salt, IKM and info: the salt is longer than an HMAC block, so
 * this goes through OpenSSL's HKDF) and A.3 (empty salt and info: the inline path). */
static void hkdf_rfc5869_case2_case3(void **state) {
    (void)state;
    uint8_t ikm[80], salt[80], info[80], okm[82];
    for (int i = 0; i < 80; i++) {
        ikm[i] = (uint8_t)i;
        salt[i] = (uint8_t)(0x60 + i);
        info[i] = (uint8_t)(0xb0 + i);
    }
    assert_int_equal(ds_hkdf_sha256(salt, 80, ikm, 80, info, 80, okm, 82), DS_OK);
    assert_hex_equal(okm, 82, "b11e398dc80327a1c8e7f78c596a49344f012eda2d4efad8a050cc4c19afa97c"
                              "59045a99cac7827271cb41c65e590e09da3275600c2f09b8367793a9aca3db71"
                              "cc30c58179ec3e87c14c01d5c1f3434f1d87");
    memset(ikm, 0x0b, 22);
    assert_int_equal(ds_hkdf_sha256(NULL, 0, ikm, 22, NULL, 0, okm, 42), DS_OK);
    assert_hex_equal(okm, 42, "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d"
                              "9d201395faa4b61a96c8");
}

/* OpenSSL's own HKDF, the reference for the boundary test below. */
static void hkdf_openssl(const uint8_t *salt, size_t sl, const uint8_t *ikm, size_t il,
                         const uint8_t *info, size_t nl, uint8_t *out, size_t ol) {
    static const uint8_t empty[1] = {0};
    EVP_PKEY_CTX *p = EVP_PKEY_CTX_new_id(EVP_PKEY_HKDF, NULL);
    size_t n = ol;
    assert_non_null(p);
    assert_true(EVP_PKEY_derive_init(p) > 0);
    assert_true(EVP_PKEY_CTX_set_hkdf_md(p, EVP_sha256()) > 0);
    assert_true(EVP_PKEY_CTX_set1_hkdf_salt(p, sl ? salt : empty, (int)sl) > 0);
    assert_true(EVP_PKEY_CTX_set1_hkdf_key(p, il ? ikm : empty, (int)il) > 0);
    assert_true(EVP_PKEY_CTX_add1_hkdf_info(p, nl ? info : empty, (int)nl) > 0);
    assert_true(EVP_PKEY_derive(p, out, &n) > 0 && n == ol);
    EVP_PKEY_CTX_free(p);
}

/* The inline HMAC path and OpenSSL agree on every length around the limits where
 * ds_hkdf_sha256 switches between them (salt 64/65, IKM 256/257, info 223/224) and on
 * outputs of 1..3 blocks. */
static void hkdf_matches_openssl_at_boundaries(void **state) {
    (void)state;
    static const size_t salts[] = {0, 1, 5, 63, 64, 65, 100};
    static const size_t ikms[] = {0, 1, 32, 255, 256, 257, 300};
    static const size_t infos[] = {0, 1, 7, 222, 223, 224, 400};
    static const size_t outs[] = {1, 32, 33, 64, 65, 96};
    uint8_t salt[100], ikm[300], info[400], a[96], b[96];
    for (size_t i = 0; i < sizeof info; i++) info[i] = (uint8_t)(i * 7 + 3);
    for (size_t i = 0; i < sizeof ikm; i++) ikm[i] = (uint8_t)(i * 13 + 1);
    for (size_t i = 0; i < sizeof salt; i++) salt[i] = (uint8_t)(i * 31 + 5);
    for (size_t s = 0; s < sizeof salts / sizeof *salts; s++)
        for (size_t k = 0; k < sizeof ikms / sizeof *ikms; k++)
            for (size_t n = 0; n < sizeof infos / sizeof *infos; n++)
                for (size_t o = 0; o < sizeof outs / sizeof *outs; o++) {
                    assert_int_equal(ds_hkdf_sha256(salt, salts[s], ikm, ikms[k], info, infos[n],
                                                    a, outs[o]),
                                     DS_OK);
                    hkdf_openssl(salt, salts[s], ikm, ikms[k], info, infos[n], b, outs[o]);
                    assert_memory_equal(a, b, outs[o]);
                }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(keccak256_known_answers),
        cmocka_unit_test(keccak384_512_known_answers),
        cmocka_unit_test(keccak_incremental_matches_oneshot),
        cmocka_unit_test(tappd_hash_vectors),
        cmocka_unit_test(runtime_event_digests),
        cmocka_unit_test(hkdf_rfc5869_case1),
        cmocka_unit_test(hkdf_rfc5869_case2_case3),
        cmocka_unit_test(hkdf_matches_openssl_at_boundaries),
    };
    return cmocka_run_group_tests_name("hash", tests, NULL, NULL);
}
