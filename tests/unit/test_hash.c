/* test_hash.c — keccak (hand-written), SHA-2/SHA-3 by name, HKDF, runtime-event digests.
 * Vectors: shared spec vectors.md "Primitives" (recomputed independently there), the
 * Keccak team's published keccak-256/512 values for "", and RFC 5869 test case 1. */
#include <stdlib.h>

#include "unit_util.h"

#include "ds_hash.h"
#include "ds_keccak.h"

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

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(keccak256_known_answers),
        cmocka_unit_test(keccak384_512_known_answers),
        cmocka_unit_test(keccak_incremental_matches_oneshot),
        cmocka_unit_test(tappd_hash_vectors),
        cmocka_unit_test(runtime_event_digests),
        cmocka_unit_test(hkdf_rfc5869_case1),
    };
    return cmocka_run_group_tests_name("hash", tests, NULL, NULL);
}
