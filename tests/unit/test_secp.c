/* test_secp.c — secp256k1 keys, addresses, recoverable signatures, Ed25519.
 * Vectors: shared spec vectors.md A, C, D, F and the upstream GetKey/Sign vectors. */
#include "unit_util.h"

#include "ds_ed25519.h"
#include "ds_hash.h"
#include "ds_keccak.h"
#include "ds_secp.h"

static void pubkey_and_address_of_known_keys(void **state) {
    (void)state;
    uint8_t priv[32], pub[65], addr[20];
    /* Vector F: root key = 32 bytes of 0x11. */
    memset(priv, 0x11, 32);
    assert_int_equal(ds_secp_pubkey(priv, pub, 33), DS_OK);
    assert_hex_equal(pub, 33, "034f355bdcb7cc0af728ef3cceb9615d90684bb5b2ca5f859ab0f0b704075871aa");
    assert_int_equal(ds_secp_priv_address(priv, addr), DS_OK);
    assert_hex_equal(addr, 20, "19e7e376e7c213b7e7e7e46cc70a5dd086daff2a");
    /* Vector C: upstream simulator app key (v0.5.6+). */
    unhex("d6e88992cdeeee35fe70b5db61ab66cdb191fb9b6ec9313757ef162dd7214d5d", priv, 32);
    assert_int_equal(ds_secp_pubkey(priv, pub, 33), DS_OK);
    assert_hex_equal(pub, 33, "02818494263695e8839122dbd88e281d7380622999df4e60a14befa0f2d096fc7c");
    assert_int_equal(ds_secp_address(pub, 33, addr), DS_OK);
    assert_hex_equal(addr, 20, "d508660da170d8b162779698a64e6707d5aa217a");
    /* The same address from the 65-byte and the raw 64-byte forms. */
    assert_int_equal(ds_secp_pubkey(priv, pub, 65), DS_OK);
    assert_int_equal(pub[0], 0x04);
    memset(addr, 0, 20);
    assert_int_equal(ds_secp_address(pub, 65, addr), DS_OK);
    assert_hex_equal(addr, 20, "d508660da170d8b162779698a64e6707d5aa217a");
    memset(addr, 0, 20);
    assert_int_equal(ds_secp_address(pub + 1, 64, addr), DS_OK);
    assert_hex_equal(addr, 20, "d508660da170d8b162779698a64e6707d5aa217a");
}

static void address_is_not_last_bytes_of_compressed_key(void **state) {
    (void)state;
    uint8_t pub[33], addr[20];
    unhex("02b85cceca0c02d878f0ebcda72a97469a472416eb6faf3c4807642132f9786810", pub, 33);
    assert_int_equal(ds_secp_address(pub, 33, addr), DS_OK);
    assert_hex_equal(addr, 20, "5e5132f15a9aa4aa91a6bcae35adf34e27a13516"); /* vector D */
    assert_memory_not_equal(addr, pub + 13, 20);
}

static void eip55_checksum(void **state) {
    (void)state;
    uint8_t addr[20];
    char out[43];
    /* Vector D's KMS root, as dstack's tutorial prints it. */
    unhex("8f2cf602c9695b23130367ed78d8f557554de7c5", addr, 20);
    assert_string_equal(ds_eth_checksum(addr, out), "0x8f2cF602C9695b23130367ed78d8F557554de7C5");
    unhex("52d3cf51c8a37a2ccfc79bbb98c7810d7dd4ce51", addr, 20); /* vector E root */
    assert_string_equal(ds_eth_checksum(addr, out), "0x52d3CF51c8A37A2CCfC79bBb98c7810d7Dd4CE51");
}

static void rejects_invalid_keys(void **state) {
    (void)state;
    uint8_t priv[32] = {0}, pub[65], out[65], addr[20];
    assert_false(ds_secp_priv_valid(priv));
    assert_int_equal(ds_secp_pubkey(priv, pub, 33), DS_ERR_KEY);
    /* The group order n itself is not a valid key. */
    unhex("fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141", priv, 32);
    assert_false(ds_secp_priv_valid(priv));
    priv[31] = 0x40;
    assert_true(ds_secp_priv_valid(priv));
    assert_int_equal(ds_secp_pubkey(priv, pub, 32), DS_ERR_LEN);
    /* x = 5 is not on the curve (x^3+7 = 132 is a non-residue mod p). */
    memset(pub, 0, 33);
    pub[0] = 0x02;
    pub[32] = 5;
    assert_int_equal(ds_secp_pub_convert(pub, 33, out, 65), DS_ERR_KEY);
    pub[0] = 0x05;
    assert_int_equal(ds_secp_address(pub, 33, addr), DS_ERR_KEY);
    assert_int_equal(ds_secp_address(pub, 20, addr), DS_ERR_KEY);
    /* A valid point in hybrid encoding (0x06/0x07) is refused. */
    memset(priv, 0x11, 32);
    assert_int_equal(ds_secp_pubkey(priv, pub, 65), DS_OK);
    pub[0] = (pub[64] & 1) ? 0x07 : 0x06;
    assert_int_equal(ds_secp_address(pub, 65, addr), DS_ERR_KEY);
}

/* Vector A: chain[0] is sign(app_key, keccak("signing:" ‖ hex(pub))) with v = 1. */
static void recoverable_sign_is_rfc6979_low_s(void **state) {
    (void)state;
    uint8_t app_key[32], digest[32], sig[65], pub[33], want_pub[33];
    unhex("1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f1a2b", app_key, 32);
    const char *claim =
        "signing:02ead9e0064aad1bb151c270c78ef82a4caf6d3fc92c311804e79751deb3476919";
    ds_keccak256((const uint8_t *)claim, strlen(claim), digest);
    assert_int_equal(ds_secp_sign_recoverable(app_key, digest, sig), DS_OK);
    assert_hex_equal(sig, 65,
                     "c8a3dcf06c4e95bd78a5d7a1c8fcff171fc5848cfae804c6fc11bda4dc5d4062"
                     "379995390843827444992c4c0e4bac70f0f878e01b9fc8b98cd7126fe5a3876b01");
    assert_true(sig[32] < 0x80); /* low-S: s < n/2 means its top bit is clear */
    assert_int_equal(ds_secp_recover(digest, sig, 0, pub), DS_OK);
    assert_int_equal(ds_secp_pubkey(app_key, want_pub, 33), DS_OK);
    assert_memory_equal(pub, want_pub, 33);
}

static void recover_v_values(void **state) {
    (void)state;
    uint8_t key[32], digest[32], sig[65], pub[33], want[33], other[33];
    memset(key, 0x42, 32);
    memset(digest, 0x99, 32);
    assert_int_equal(ds_secp_pubkey(key, want, 33), DS_OK);
    assert_int_equal(ds_secp_sign_recoverable(key, digest, sig), DS_OK);
    assert_true(sig[64] == 0 || sig[64] == 1);
    assert_int_equal(ds_secp_recover(digest, sig, 0, pub), DS_OK);
    assert_memory_equal(pub, want, 33);
    /* The other recovery id yields a different key. */
    sig[64] ^= 1;
    assert_int_equal(ds_secp_recover(digest, sig, 0, other), DS_OK);
    assert_memory_not_equal(other, want, 33);
    sig[64] ^= 1;
    /* 27/28 only when allowed. */
    uint8_t v = sig[64];
    sig[64] = (uint8_t)(v + 27);
    assert_int_equal(ds_secp_recover(digest, sig, 0, pub), DS_ERR_SIG);
    assert_int_equal(ds_secp_recover(digest, sig, 1, pub), DS_OK);
    assert_memory_equal(pub, want, 33);
    const uint8_t bad_v[] = {2, 3, 26, 29, 255};
    for (size_t i = 0; i < sizeof bad_v; i++) {
        sig[64] = bad_v[i];
        assert_int_equal(ds_secp_recover(digest, sig, 1, pub), DS_ERR_SIG);
    }
}

static void recover_rejects_malformed_signatures(void **state) {
    (void)state;
    uint8_t digest[32], sig[65], pub[33];
    memset(digest, 1, 32);
    memset(sig, 0, 65); /* r = s = 0 */
    assert_int_equal(ds_secp_recover(digest, sig, 0, pub), DS_ERR_SIG);
    memset(sig, 0xff, 64); /* r, s >= n */
    sig[64] = 0;
    assert_int_equal(ds_secp_recover(digest, sig, 0, pub), DS_ERR_SIG);
}

/* Compact r‖s signatures: round trip, high-S accepted after normalisation, tampering and
 * malformed keys detected. (Byte-exact upstream Sign vectors are in test_chain.c.) */
static void compact_sign_and_verify(void **state) {
    (void)state;
    uint8_t key[32], digest[32], sig[64], pub[65];
    memset(key, 0x37, 32);
    ds_sha256((const uint8_t *)"test message", 12, digest);
    assert_int_equal(ds_secp_sign(key, digest, sig), DS_OK);
    assert_true(sig[32] < 0x80);
    assert_int_equal(ds_secp_pubkey(key, pub, 33), DS_OK);
    assert_int_equal(ds_secp_verify(pub, 33, digest, sig), DS_OK);
    assert_int_equal(ds_secp_pubkey(key, pub, 65), DS_OK);
    assert_int_equal(ds_secp_verify(pub, 65, digest, sig), DS_OK);
    assert_int_equal(ds_secp_verify(pub + 1, 64, digest, sig), DS_OK);
    /* s -> n - s (the high-S twin) still verifies. */
    uint8_t hs[64];
    memcpy(hs, sig, 32);
    secp_negate_s(sig + 32, hs + 32);
    assert_true(hs[32] >= 0x80);
    assert_int_equal(ds_secp_verify(pub, 65, digest, hs), DS_OK);
    digest[0] ^= 1;
    assert_int_equal(ds_secp_verify(pub, 65, digest, sig), DS_ERR_VERIFY);
    digest[0] ^= 1;
    sig[10] ^= 0x40;
    assert_int_equal(ds_secp_verify(pub, 65, digest, sig), DS_ERR_VERIFY);
    memset(sig, 0xff, 64);
    assert_int_equal(ds_secp_verify(pub, 65, digest, sig), DS_ERR_SIG);
    assert_int_equal(ds_secp_verify(pub, 20, digest, sig), DS_ERR_KEY);
}

static void ed25519_rfc8032_test1(void **state) {
    (void)state;
    uint8_t seed[32], pub[32], sig[64];
    /* RFC 8032 §7.1 TEST 1 (empty message). */
    unhex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60", seed, 32);
    assert_int_equal(ds_ed25519_pubkey(seed, pub), DS_OK);
    assert_hex_equal(pub, 32, "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a");
    assert_int_equal(ds_ed25519_sign(seed, NULL, 0, sig), DS_OK);
    assert_hex_equal(sig, 64,
                     "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155"
                     "5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b");
    assert_int_equal(ds_ed25519_verify(pub, NULL, 0, sig), DS_OK);
    sig[0] ^= 1;
    assert_int_equal(ds_ed25519_verify(pub, NULL, 0, sig), DS_ERR_VERIFY);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(pubkey_and_address_of_known_keys),
        cmocka_unit_test(address_is_not_last_bytes_of_compressed_key),
        cmocka_unit_test(eip55_checksum),
        cmocka_unit_test(rejects_invalid_keys),
        cmocka_unit_test(recoverable_sign_is_rfc6979_low_s),
        cmocka_unit_test(recover_v_values),
        cmocka_unit_test(recover_rejects_malformed_signatures),
        cmocka_unit_test(compact_sign_and_verify),
        cmocka_unit_test(ed25519_rfc8032_test1),
    };
    return cmocka_run_group_tests_name("secp256k1+ed25519", tests, NULL, NULL);
}
