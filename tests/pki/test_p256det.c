/* test_p256det.c — RFC 6979 deterministic ECDSA (P-256, SHA-256) against the published
 * vectors of RFC 6979 A.2.5, cross-checked with OpenSSL's verifier; and the DER helpers. */
#include <stdio.h>
#include <stdlib.h>

#include <openssl/ecdsa.h>

#include "unit_util.h"

#include "ds_der.h"
#include "ds_hash.h"
#include "ds_p256.h"
#include "ds_p256det.h"

/* RFC 6979 A.2.5: key pair and the SHA-256 signatures of "sample" and "test". */
static const char *X = "c9afa9d845ba75166b5c215767b1d6934e50c3db36e89b127b8a622b120f6721";
static const char *UXY = "60fed4ba255a9d31c961eb74c6356d68c049b8923b61fa6ce669622e60f29fb6"
                         "7903fe1008b8bc99a41ae9e95628bc64f2f1b20c2d7e9f5177a3c294d4462299";
static const struct {
    const char *msg, *k, *r, *s;
} VEC[] = {
    {"sample", "a6e3c57dd01abe90086538398355dd4c3b17aa873382b0f24d6129493d8aad60",
     "efd48b2aacb6a8fd1140dd9cd45e81d69d2c877b56aaf991c34d0ea84eaf3716",
     "f7cb1c942d657c41d436c7a1b6e29f65f3e900dbb9aff4064dc4ab2f843acda8"},
    {"test", "d16b6ae827f17175e040871a1c7ec3500192c4c92677336ec2537acaee0008e0",
     "f1abb023518351cd71d881567b1ea663ed3efcf6c5132b354f28d3b0b7d38367",
     "019f4113742a2b14bd25926b49c649155f267e60d3814b4c0cc84250e46f0083"},
};

static void rfc6979_vectors(void **state) {
    (void)state;
    uint8_t x[32], h[32], k[32], sig[64], xy[64];
    unhex(X, x, 32);
    assert_int_equal(ds_p256det_pub(x, xy), DS_OK);
    assert_hex_equal(xy, 64, UXY);
    for (size_t i = 0; i < sizeof VEC / sizeof *VEC; i++) {
        const uint8_t *m = (const uint8_t *)VEC[i].msg;
        size_t ml = strlen(VEC[i].msg);
        ds_sha256(m, ml, h);
        assert_int_equal(ds_p256det_nonce(x, h, k), DS_OK);
        assert_hex_equal(k, 32, VEC[i].k);
        assert_int_equal(ds_p256det_sign(x, m, ml, sig), DS_OK);
        assert_hex_equal(sig, 32, VEC[i].r);
        assert_hex_equal(sig + 32, 32, VEC[i].s);
        /* OpenSSL accepts it, and rejects it for another message. */
        assert_int_equal(ds_p256_verify(xy, m, ml, sig), DS_OK);
        assert_int_equal(ds_p256_verify(xy, m, ml - 1, sig), DS_ERR_VERIFY);
        uint8_t sig2[64];
        assert_int_equal(ds_p256det_sign_digest(x, h, sig2), DS_OK);
        assert_memory_equal(sig, sig2, 64);
    }
}

/* Keys from ds_p256 (OpenSSL) agree with ds_p256det, and signatures are deterministic. */
static void deterministic_and_verifiable(void **state) {
    (void)state;
    uint8_t priv[32], xy1[64], xy2[64], a[64], b[64], c[64];
    assert_int_equal(ds_p256_scalar_from_seed((const uint8_t *)"seed", 4, "t", priv), DS_OK);
    EVP_PKEY *k = ds_p256_from_scalar(priv);
    assert_non_null(k);
    assert_int_equal(ds_p256_pub_xy(k, xy1), DS_OK);
    assert_int_equal(ds_p256det_pub(priv, xy2), DS_OK);
    assert_memory_equal(xy1, xy2, 64);
    EVP_PKEY_free(k);
    for (int i = 0; i < 50; i++) {
        uint8_t msg[8] = {(uint8_t)i};
        assert_int_equal(ds_p256det_sign(priv, msg, sizeof msg, a), DS_OK);
        assert_int_equal(ds_p256det_sign(priv, msg, sizeof msg, b), DS_OK);
        assert_memory_equal(a, b, 64);
        assert_int_equal(ds_p256_verify(xy1, msg, sizeof msg, a), DS_OK);
        msg[7] = 1;
        assert_int_equal(ds_p256det_sign(priv, msg, sizeof msg, c), DS_OK);
        assert_memory_not_equal(a, c, 64);
    }
}

static void rejects_bad_keys(void **state) {
    (void)state;
    uint8_t zero[32] = {0}, n[32], sig[64], xy[64], h[32] = {1};
    unhex("ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551", n, 32);
    assert_int_equal(ds_p256det_sign(zero, h, 1, sig), DS_ERR_KEY);
    assert_int_equal(ds_p256det_sign(n, h, 1, sig), DS_ERR_KEY);
    assert_int_equal(ds_p256det_nonce(n, h, sig), DS_ERR_KEY);
    assert_int_equal(ds_p256det_pub(zero, xy), DS_ERR_KEY);
    n[31] -= 1; /* n - 1 is a valid key */
    assert_int_equal(ds_p256det_sign(n, h, 1, sig), DS_OK);
    assert_int_equal(ds_p256det_pub(n, xy), DS_OK);
    assert_int_equal(ds_p256_verify(xy, h, 1, sig), DS_OK);
}

/* The DER ECDSA-Sig-Value is what OpenSSL's d2i_ECDSA_SIG reads back. */
static void sig_der(void **state) {
    (void)state;
    uint8_t sig[64];
    ds_buf b;
    ds_buf_init(&b);
    unhex("0080000000000000000000000000000000000000000000000000000000000001"
          "7f00000000000000000000000000000000000000000000000000000000000002", sig, 64);
    ds_p256_sig_der(sig, &b);
    assert_false(b.oom);
    /* r: leading zero byte stripped, then 0x00 added back for the set top bit. */
    assert_hex_equal((uint8_t *)b.data, 4, "30440220"); /* 68 = 2+32 + 2+32 */
    const unsigned char *p = (const unsigned char *)b.data;
    ECDSA_SIG *s = d2i_ECDSA_SIG(NULL, &p, (long)b.len);
    assert_non_null(s);
    const BIGNUM *r, *ss;
    ECDSA_SIG_get0(s, &r, &ss);
    uint8_t back[64];
    assert_int_equal(BN_bn2binpad(r, back, 32), 32);
    assert_int_equal(BN_bn2binpad(ss, back + 32, 32), 32);
    assert_memory_equal(back, sig, 64);
    ECDSA_SIG_free(s);
    ds_buf_free(&b);
}

static void der_writer(void **state) {
    (void)state;
    ds_buf b;
    ds_buf_init(&b);
    ds_der_put_uint(&b, 0);
    ds_der_put_uint(&b, 127);
    ds_der_put_uint(&b, 128);
    ds_der_put_uint(&b, 65536);
    assert_hex_equal((uint8_t *)b.data, b.len, "020100" "02017f" "02020080" "0203010000");
    ds_buf_reset(&b);
    uint8_t big[300];
    memset(big, 0xab, sizeof big);
    ds_der_put(&b, DS_DER_OCTET_STRING, big, 200);
    assert_int_equal(b.len, 203);
    assert_hex_equal((uint8_t *)b.data, 3, "0481c8");
    ds_buf_reset(&b);
    ds_der_put(&b, DS_DER_OCTET_STRING, big, 300);
    assert_hex_equal((uint8_t *)b.data, 4, "0482012c");
    ds_buf_free(&b);
}

static void der_reader(void **state) {
    (void)state;
    uint8_t in[16];
    size_t n = unhex("3007020101020200ff", in, sizeof in);
    ds_der_tlv seq, a, c;
    assert_int_equal(ds_der_single(in, n, DS_DER_SEQUENCE, &seq), DS_OK);
    assert_int_equal(seq.len, 7);
    const uint8_t *p = seq.p, *end = seq.p + seq.len;
    uint64_t v;
    assert_int_equal(ds_der_next(&p, end, &a), DS_OK);
    assert_int_equal(ds_der_get_uint(&a, &v), DS_OK);
    assert_int_equal(v, 1);
    assert_int_equal(ds_der_next(&p, end, &c), DS_OK);
    assert_int_equal(ds_der_get_uint(&c, &v), DS_OK);
    assert_int_equal(v, 255);
    assert_ptr_equal(p, end);
    assert_int_equal(ds_der_next(&p, end, &c), DS_ERR_PARSE); /* nothing left */
    /* Truncated, trailing bytes, wrong tag, negative, too long. */
    assert_int_equal(ds_der_single(in, n - 1, DS_DER_SEQUENCE, &seq), DS_ERR_PARSE);
    assert_int_equal(ds_der_single(in, n, DS_DER_INTEGER, &seq), DS_ERR_PARSE);
    n = unhex("300602010102020000", in, sizeof in); /* one trailing byte */
    assert_int_equal(ds_der_single(in, n - 1, DS_DER_SEQUENCE, &seq), DS_OK);
    assert_int_equal(ds_der_single(in, n, DS_DER_SEQUENCE, &seq), DS_ERR_PARSE);
    n = unhex("020180", in, sizeof in);
    assert_int_equal(ds_der_single(in, n, DS_DER_INTEGER, &a), DS_OK);
    assert_int_equal(ds_der_get_uint(&a, &v), DS_ERR_PARSE);
    n = unhex("0209010000000000000000", in, sizeof in);
    assert_int_equal(ds_der_single(in, n, DS_DER_INTEGER, &a), DS_OK);
    assert_int_equal(ds_der_get_uint(&a, &v), DS_ERR_PARSE);
    n = unhex("04850000000001", in, sizeof in); /* 5 length bytes */
    assert_int_equal(ds_der_single(in, n, DS_DER_OCTET_STRING, &a), DS_ERR_PARSE);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(rfc6979_vectors),   cmocka_unit_test(deterministic_and_verifiable),
        cmocka_unit_test(rejects_bad_keys),  cmocka_unit_test(sig_der),
        cmocka_unit_test(der_writer),        cmocka_unit_test(der_reader),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
