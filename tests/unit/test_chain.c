/* test_chain.c — dstack key derivation and the signature chain, byte-exact.
 * Vectors: shared spec vectors.md A, C, D, E, F (upstream docs/tests and independent
 * recomputation) and fixtures/vectors/getkey-test-vectors.json (GetKey/Sign for both
 * upstream simulator key sets) and fixtures/vectors/guest-api-0.6-vectors.json (a chain
 * under a known KMS root); see fixtures/vectors/README.md. */
#include "unit_json.h"

#include "ds_chain.h"
#include "ds_ed25519.h"
#include "ds_hash.h"
#include "ds_kdf.h"
#include "ds_keccak.h"
#include "ds_secp.h"

static const char *APP_KEY_A = "1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f1a2b";

static void getkey(const uint8_t app_key[32], const char *path, const char *purpose, ds_key_alg alg,
                   ds_derived_key *out) {
    assert_int_equal(
        ds_chain_getkey(app_key, path, strlen(path), purpose, strlen(purpose), alg, out), DS_OK);
}

static void vector_a_official_getkey(void **state) {
    (void)state;
    uint8_t app_key[32], addr[20], app_pub[33];
    ds_derived_key k;
    unhex(APP_KEY_A, app_key, 32);
    getkey(app_key, "test", "signing", DS_KEY_SECP256K1, &k);
    assert_hex_equal(k.key, 32, "52786aa123b0971e283af97f32e25767483d099d66e6c40afeb3a49046b5379e");
    assert_int_equal(k.pub_len, 33);
    assert_hex_equal(k.pub, 33,
                     "02ead9e0064aad1bb151c270c78ef82a4caf6d3fc92c311804e79751deb3476919");
    assert_hex_equal(k.link0, 65,
                     "c8a3dcf06c4e95bd78a5d7a1c8fcff171fc5848cfae804c6fc11bda4dc5d4062"
                     "379995390843827444992c4c0e4bac70f0f878e01b9fc8b98cd7126fe5a3876b01");
    assert_int_equal(ds_secp_pubkey(app_key, app_pub, 33), DS_OK);
    assert_int_equal(ds_secp_address(app_pub, 33, addr), DS_OK);
    assert_hex_equal(addr, 20, "af6d46d1e55aa87772fb1538fe4d36aaa70f4e06");

    getkey(app_key, "vms", "signing", DS_KEY_SECP256K1, &k);
    assert_hex_equal(k.key, 32, "9db79b3fefe69f2a7b7efbc908c854bf845a629023361f2c9cb3db09fb99010f");
    assert_hex_equal(k.pub, 33,
                     "03ab7f25d56455d300a1c1f77f57f6d16193e89cdd9edc5c5e2994b446b1f3373d");
    getkey(app_key, "vms", "signing", DS_KEY_ED25519, &k);
    assert_hex_equal(k.key, 32, "9db79b3fefe69f2a7b7efbc908c854bf845a629023361f2c9cb3db09fb99010f");
    assert_int_equal(k.pub_len, 32);
    assert_hex_equal(k.pub, 32, "e4f6eb7b50267f586ba765766db7ca9487f1a506f6a49026ae09a1c605681bdb");

    getkey(app_key, "wallet/ethereum", "mainnet", DS_KEY_SECP256K1, &k);
    assert_hex_equal(k.key, 32, "a2a8a101fef78bee119ab7190ef22ca834b4e6a9f4b0149df1c99f5c9e1a099e");
    assert_hex_equal(k.pub, 33,
                     "0307656cda96e2793fbafde1d3e3f91b5352df5b71b87ccd4823732e5554b6ad27");
    assert_int_equal(ds_secp_address(k.pub, 33, addr), DS_OK);
    assert_hex_equal(addr, 20, "cb5ed795240d6156f47d4b20d2cb834aede33fb3");
    assert_hex_equal(k.link0, 65,
                     "29f0886626b59a653aa39685dc7532081191f67a3f962f796366b975ac99d8ab"
                     "2f44aac94be4d00f67bcc3e45237b6d12b15015e3fa9c51b124da66f84bd9f8500");
}

/* Purpose only changes the claim, never the key. */
static void purpose_changes_claim_not_key(void **state) {
    (void)state;
    uint8_t app_key[32];
    ds_derived_key a, b, c;
    unhex(APP_KEY_A, app_key, 32);
    getkey(app_key, "test", "signing", DS_KEY_SECP256K1, &a);
    getkey(app_key, "test", "encryption", DS_KEY_SECP256K1, &b);
    getkey(app_key, "test", "", DS_KEY_SECP256K1, &c);
    assert_memory_equal(a.key, b.key, 32);
    assert_memory_equal(a.key, c.key, 32);
    assert_memory_not_equal(a.link0, b.link0, 65);
    assert_memory_not_equal(a.link0, c.link0, 65);
    /* An empty purpose gives the claim ":" ‖ hex(pub). */
    uint8_t digest[32], want[32], pub[33];
    assert_int_equal(ds_chain_claim_digest("", 0, c.pub, 33, digest), DS_OK);
    char claim[1 + 66 + 1];
    claim[0] = ':';
    ds_hex_encode(c.pub, 33, claim + 1);
    ds_keccak256((const uint8_t *)claim, 67, want);
    assert_memory_equal(digest, want, 32);
    assert_int_equal(ds_secp_recover(digest, c.link0, 0, pub), DS_OK);
}

static void algorithm_names(void **state) {
    (void)state;
    ds_key_alg alg;
    assert_int_equal(ds_key_alg_parse("", &alg), DS_OK);
    assert_int_equal(alg, DS_KEY_SECP256K1);
    assert_int_equal(ds_key_alg_parse("secp256k1", &alg), DS_OK);
    assert_int_equal(alg, DS_KEY_SECP256K1);
    assert_int_equal(ds_key_alg_parse("k256", &alg), DS_OK);
    assert_int_equal(alg, DS_KEY_SECP256K1);
    assert_int_equal(ds_key_alg_parse("ed25519", &alg), DS_OK);
    assert_int_equal(alg, DS_KEY_ED25519);
    assert_int_equal(ds_key_alg_parse("secp256k1_prehashed", &alg), DS_ERR_ALG);
    assert_int_equal(ds_key_alg_parse("Ed25519", &alg), DS_ERR_ALG);
}

/* Vector F: KMS-side derivation of the app key and the KMS link. */
static void vector_f_kms_issue(void **state) {
    (void)state;
    uint8_t root[32], app_id[20], app_key[32], app_pub[33], link1[65], addr[20];
    memset(root, 0x11, 32);
    memset(app_id, 0x21, 20);
    assert_int_equal(ds_kdf_app_key(root, app_id, app_key), DS_OK);
    assert_hex_equal(app_key, 32,
                     "6eb79709c8e5a1b02877bbf354c44ada845b8bfd8fad72bb3e99cabf76f76643");
    memset(app_key, 0, 32);
    assert_int_equal(ds_chain_kms_issue(root, app_id, app_key, app_pub, link1), DS_OK);
    assert_hex_equal(app_key, 32,
                     "6eb79709c8e5a1b02877bbf354c44ada845b8bfd8fad72bb3e99cabf76f76643");
    assert_hex_equal(app_pub, 33,
                     "0222251979c6f478af19fb189846869db67dcf2e8772af319d4aa17bab4021d822");
    assert_int_equal(ds_secp_address(app_pub, 33, addr), DS_OK);
    assert_hex_equal(addr, 20, "697b392e78e1322258de641215321eb77f50a54e");
    assert_hex_equal(link1, 65,
                     "0fa582260804b3f7ad41347da54f6cba36cf49a4fe5a2b1f3cc7aea2c523ebae"
                     "5dd776a32495220c0d48a76b968d8089ef4dacb58f3abdd2eb82732fade9dfe601");
    /* A whole chain under this root verifies to the root's address. */
    ds_derived_key k;
    ds_chain_result r;
    uint8_t root_addr[20];
    getkey(app_key, "node/1", "cluster", DS_KEY_SECP256K1, &k);
    unhex("19e7e376e7c213b7e7e7e46cc70a5dd086daff2a", root_addr, 20);
    assert_int_equal(
        ds_chain_verify(k.pub, 33, "cluster", 7, k.link0, link1, app_id, root_addr, &r), DS_OK);
    assert_int_equal(r.status, DS_CHAIN_VALID);
    assert_memory_equal(r.app_pub, app_pub, 33);
    assert_memory_equal(r.kms_addr, root_addr, 20);
    uint8_t zero[32] = {0};
    assert_int_equal(ds_chain_kms_issue(zero, app_id, NULL, NULL, link1), DS_ERR_KEY);
}

/* Vectors C and D: upstream simulator key sets with static KMS signatures. */
struct upstream_set {
    const char *app_id, *app_key, *app_pub, *kms_keccak, *link1, *root_pub, *root_addr;
};

static const struct upstream_set SET_C = {
    "5bb4ff9a3837357f19dc176407a5709c62eb6c56",
    "d6e88992cdeeee35fe70b5db61ab66cdb191fb9b6ec9313757ef162dd7214d5d",
    "02818494263695e8839122dbd88e281d7380622999df4e60a14befa0f2d096fc7c",
    "1f1acc59bf7234477601c8abf24b462777d69b8497e91189bb4c4c0568308bf5",
    "9e618603e72d01fedb82deff6daf2d62a572becf0059eec3f89c1ab40e1f2e59"
    "4d2a283f843f34e8f39e4cc49a612496ce67223a12ac923f8efe330346dfc6c500",
    "0321529e458424ab1f710a3a57ec4dad2fb195ddca572f7469242ba6c7563085b6",
    "a7f6043c29f9cc1d9d6acf554c53e0c6792aaeaf",
};
static const struct upstream_set SET_D = {
    "ea549f02e1a25fabd1cb788380e033ec5461b2ff",
    "e0e5d254fb944dcc370a2e5288b336a1e809871545a73ee645368957fefa31f9",
    "02b85cceca0c02d878f0ebcda72a97469a472416eb6faf3c4807642132f9786810",
    NULL,
    "2f431c7956869a4fe3e028c5f9518a935e2d01e81a3628f8b1d178fc2fac7b6d"
    "2405ace433624e5568e23c4ed291dbaf60dac79b756837c0fe745154ebfdc0a601",
    "02cad3a8bb11c5c0858fb3e402048b5137457039d577986daade678ed4b4ab1b9b",
    "8f2cf602c9695b23130367ed78d8f557554de7c5",
};

static void check_upstream_set(const struct upstream_set *s) {
    uint8_t app_id[20], app_key[32], app_pub[33], link1[65], digest[32], root[20];
    unhex(s->app_id, app_id, 20);
    unhex(s->app_key, app_key, 32);
    unhex(s->link1, link1, 65);
    unhex(s->root_addr, root, 20);
    assert_int_equal(ds_secp_pubkey(app_key, app_pub, 33), DS_OK);
    assert_hex_equal(app_pub, 33, s->app_pub);
    ds_chain_kms_digest(app_id, app_pub, digest);
    if (s->kms_keccak) assert_hex_equal(digest, 32, s->kms_keccak);
    ds_derived_key k;
    ds_chain_result r;
    getkey(app_key, "test", "signing", DS_KEY_SECP256K1, &k);
    assert_int_equal(ds_chain_verify(k.pub, 33, "signing", 7, k.link0, link1, app_id, root, &r),
                     DS_OK);
    assert_int_equal(r.status, DS_CHAIN_VALID);
    assert_hex_equal(r.kms_pub, 33, s->root_pub);
    assert_hex_equal(r.kms_addr, 20, s->root_addr);
    assert_memory_equal(r.app_pub, app_pub, 33);
}

static void vector_c_upstream_v0511(void **state) {
    (void)state;
    check_upstream_set(&SET_C);
    uint8_t app_key[32];
    ds_derived_key k;
    unhex(SET_C.app_key, app_key, 32);
    getkey(app_key, "test", "signing", DS_KEY_SECP256K1, &k);
    assert_hex_equal(k.key, 32, "133e8ca6e532ead3e38f00347408771da296e9c70e8e3e362f485154e64ef4e8");
    assert_hex_equal(k.link0, 65,
                     "c2ac442934a10d730c14b553e6b93e4db61aa7afa48b7aa51e649841115d6f41"
                     "60a29b24a87e0ef4c02e37c10b176913f1449ebb41466fccdc44a6ef5d9b247300");
}

static void vector_d_upstream_v055(void **state) {
    (void)state;
    check_upstream_set(&SET_D);
}

/* Vector E: a production chain's digests (the signatures themselves are not published). */
static void vector_e_production_digests(void **state) {
    (void)state;
    uint8_t derived[33], app_id[20], app_pub[33], d[32], addr[20];
    unhex("036d4d81a04af9c85a6be7b4756eed6746a558a64fb5b7946c678c493fcc0e55af", derived, 33);
    unhex("25e9a28b7c0cdad98c25c0ea226b1a94809e55c7", app_id, 20);
    unhex("02605c9587ae3c9c622a3f8478d773ea150256aa1d2888a8d395a3a2553f8f48e2", app_pub, 33);
    assert_int_equal(ds_chain_claim_digest("mainnet", 7, derived, 33, d), DS_OK);
    assert_hex_equal(d, 32, "8d1df4b1d999e7091fa39f6af7b608c3f3f8e9ad3b007f11f897dff5e3c6a325");
    ds_chain_kms_digest(app_id, app_pub, d);
    assert_hex_equal(d, 32, "37839b932a5e79c692edb864689591ee4a91da320e5ca3d114cbe8a6d702baf5");
    assert_int_equal(ds_secp_address(app_pub, 33, addr), DS_OK);
    assert_hex_equal(addr, 20, "2d7d3553dfd57203a1f52d2d97f256157a06666d");
    uint8_t root_pub[33];
    unhex("02a335aea3df11d46ae0a373d3f26fbd1d208572ecc87e630e618dac693b7af721", root_pub, 33);
    assert_int_equal(ds_secp_address(root_pub, 33, addr), DS_OK);
    assert_hex_equal(addr, 20, "52d3cf51c8a37a2ccfc79bbb98c7810d7dd4ce51");
}

/* The verifier names the failing link and what it recovered. */
static void verify_reports_failing_link(void **state) {
    (void)state;
    uint8_t root[32], app_id[20], app_key[32], link1[65], root_addr[20], other[20];
    ds_derived_key k;
    ds_chain_result r;
    memset(root, 0x5a, 32);
    memset(app_id, 0xab, 20);
    assert_int_equal(ds_chain_kms_issue(root, app_id, app_key, NULL, link1), DS_OK);
    assert_int_equal(ds_secp_priv_address(root, root_addr), DS_OK);
    getkey(app_key, "p", "x", DS_KEY_SECP256K1, &k);

    assert_int_equal(ds_chain_verify(k.pub, 33, "x", 1, k.link0, link1, app_id, NULL, &r), DS_OK);
    assert_int_equal(r.status, DS_CHAIN_RECOVERED);
    assert_memory_equal(r.kms_addr, root_addr, 20);

    memcpy(other, root_addr, 20);
    other[19] ^= 1;
    assert_int_equal(ds_chain_verify(k.pub, 33, "x", 1, k.link0, link1, app_id, other, &r),
                     DS_ERR_VERIFY);
    assert_int_equal(r.status, DS_CHAIN_ROOT_MISMATCH);
    assert_true(r.have_kms);
    assert_memory_equal(r.kms_addr, root_addr, 20);

    /* v = 27 in the blob is not canonical. */
    uint8_t bad[65];
    memcpy(bad, k.link0, 65);
    bad[64] += 27;
    assert_int_equal(ds_chain_verify(k.pub, 33, "x", 1, bad, link1, app_id, root_addr, &r),
                     DS_ERR_VERIFY);
    assert_int_equal(r.status, DS_CHAIN_APP_LINK);
    assert_false(r.have_app);
    memcpy(bad, link1, 65);
    bad[64] += 27;
    assert_int_equal(ds_chain_verify(k.pub, 33, "x", 1, k.link0, bad, app_id, root_addr, &r),
                     DS_ERR_VERIFY);
    assert_int_equal(r.status, DS_CHAIN_KMS_LINK);
    assert_true(r.have_app);

    /* Another purpose, another app id, a flipped byte: another root recovers. */
    assert_int_equal(ds_chain_verify(k.pub, 33, "y", 1, k.link0, link1, app_id, root_addr, &r),
                     DS_ERR_VERIFY);
    assert_int_equal(r.status, DS_CHAIN_ROOT_MISMATCH);
    app_id[0] ^= 1;
    assert_int_equal(ds_chain_verify(k.pub, 33, "x", 1, k.link0, link1, app_id, root_addr, &r),
                     DS_ERR_VERIFY);
    app_id[0] ^= 1;
    for (int i = 0; i < 64; i += 9) {
        memcpy(bad, link1, 65);
        bad[i] ^= 0x01;
        assert_int_equal(ds_chain_verify(k.pub, 33, "x", 1, k.link0, bad, app_id, root_addr, &r),
                         DS_ERR_VERIFY);
        assert_int_not_equal(r.status, DS_CHAIN_VALID);
    }
    /* An uncompressed derived key or an address is refused as input. */
    uint8_t full[65];
    assert_int_equal(ds_secp_pub_convert(k.pub, 33, full, 65), DS_OK);
    assert_int_equal(ds_chain_verify(full, 65, "x", 1, k.link0, link1, app_id, root_addr, &r),
                     DS_ERR_VERIFY);
    assert_int_equal(r.status, DS_CHAIN_BAD_INPUT);
    assert_int_equal(ds_chain_verify(full, 20, "x", 1, k.link0, link1, app_id, root_addr, &r),
                     DS_ERR_VERIFY);
    assert_int_equal(ds_chain_verify(k.pub, 33, "x", 1, k.link0, link1, app_id, root_addr, NULL),
                     DS_ERR_ARG);
    assert_non_null(ds_chain_status_str(DS_CHAIN_KMS_LINK));
}

/* ---- fixtures/vectors/getkey-test-vectors.json ---- */

static void upstream_getkey_vectors(void **state) {
    (void)state;
    cJSON *all = load_fixture_json("getkey-test-vectors.json");
    int cases = 0;
    const cJSON *set;
    cJSON_ArrayForEach(set, all) {
        uint8_t app_key[32];
        unhex(jstr(set, "app_k256_key"), app_key, 32);
        const char *link1 = jstr(set, "k256_signature (static, signature_chain[1])");
        const cJSON *c;
        cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(set, "GetKey")) {
            const cJSON *req = cJSON_GetObjectItemCaseSensitive(c, "request");
            ds_key_alg alg;
            assert_int_equal(ds_key_alg_parse(jstr(req, "algorithm"), &alg), DS_OK);
            ds_derived_key k;
            getkey(app_key, jstr(req, "path"), jstr(req, "purpose"), alg, &k);
            assert_hex_equal(k.key, 32, jstr(c, "response.key"));
            assert_hex_equal(k.pub, k.pub_len, jstr(c, "derived_pubkey_hex_used_in_message"));
            uint8_t d[32];
            const char *msg = jstr(c, "app_signed_message");
            ds_keccak256((const uint8_t *)msg, strlen(msg), d);
            assert_hex_equal(d, 32, jstr(c, "app_signed_message_keccak256"));
            const cJSON *chain = cJSON_GetObjectItemCaseSensitive(c, "response.signature_chain");
            assert_int_equal(cJSON_GetArraySize(chain), 2);
            assert_hex_equal(k.link0, 65, cJSON_GetArrayItem(chain, 0)->valuestring);
            assert_string_equal(cJSON_GetArrayItem(chain, 1)->valuestring, link1);
            cases++;
        }
        /* Sign: key = GetKey("vms", "signing"); chain = [sig, vms link0, static link1]. */
        cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(set, "Sign")) {
            const cJSON *req = cJSON_GetObjectItemCaseSensitive(c, "request");
            const cJSON *resp = cJSON_GetObjectItemCaseSensitive(c, "response");
            const char *alg = jstr(req, "algorithm");
            uint8_t data[256], sig[64], digest[32];
            size_t n = unhex(jstr(req, "data"), data, sizeof data);
            ds_derived_key k;
            int ed = strcmp(alg, "ed25519") == 0;
            getkey(app_key, "vms", "signing", ed ? DS_KEY_ED25519 : DS_KEY_SECP256K1, &k);
            if (ed) {
                assert_int_equal(ds_ed25519_sign(k.key, data, n, sig), DS_OK);
            } else {
                if (strcmp(alg, "secp256k1") == 0)
                    ds_sha256(data, n, digest);
                else
                    memcpy(digest, data, 32); /* secp256k1_prehashed: data is the digest */
                assert_int_equal(ds_secp_sign(k.key, digest, sig), DS_OK);
                assert_int_equal(ds_secp_verify(k.pub, 33, digest, sig), DS_OK);
            }
            assert_hex_equal(sig, 64, jstr(resp, "signature"));
            assert_hex_equal(k.pub, k.pub_len, jstr(resp, "public_key"));
            const cJSON *chain = cJSON_GetObjectItemCaseSensitive(resp, "signature_chain");
            assert_int_equal(cJSON_GetArraySize(chain), 3);
            assert_hex_equal(sig, 64, cJSON_GetArrayItem(chain, 0)->valuestring);
            assert_hex_equal(k.link0, 65, cJSON_GetArrayItem(chain, 1)->valuestring);
            assert_string_equal(cJSON_GetArrayItem(chain, 2)->valuestring, link1);
            cases++;
        }
    }
    assert_int_equal(cases, 18); /* 2 key sets x (6 GetKey + 3 Sign) */
    cJSON_Delete(all);
}

/* A full chain under a known KMS root (fixtures/vectors/guest-api-0.6-vectors.json,
 * "v0_kms_root_chain"): the KMS derives the app root and signs link1 byte-exactly. */
static void upstream_kms_root_chain(void **state) {
    (void)state;
    cJSON *all = load_fixture_json("guest-api-0.6-vectors.json");
    const cJSON *v = jget(all, "v0_kms_root_chain");
    uint8_t root[32], app_id[20], app_key[32], app_pub[33], link1[65], root_pub[33], root_addr[20];
    unhex(jstr(v, "kms_root_key"), root, 32);
    unhex(jstr(v, "app_id"), app_id, 20);
    assert_int_equal(ds_secp_pubkey(root, root_pub, 33), DS_OK);
    assert_hex_equal(root_pub, 33, jstr(v, "kms_root_pub"));
    assert_int_equal(ds_kdf_app_key(root, app_id, app_key), DS_OK);
    assert_hex_equal(app_key, 32, jstr(v, "app_root_key"));
    memset(app_key, 0, 32);
    assert_int_equal(ds_chain_kms_issue(root, app_id, app_key, app_pub, link1), DS_OK);
    assert_hex_equal(app_key, 32, jstr(v, "app_root_key"));
    assert_hex_equal(app_pub, 33, jstr(v, "app_root_pub"));
    assert_hex_equal(link1, 65, jstr(v, "k256_signature"));
    /* GetKey under that app root verifies to the KMS root's address. */
    ds_derived_key k;
    ds_chain_result r;
    getkey(app_key, "vms", "signing", DS_KEY_SECP256K1, &k);
    assert_int_equal(ds_secp_address(root_pub, 33, root_addr), DS_OK);
    assert_int_equal(
        ds_chain_verify(k.pub, 33, "signing", 7, k.link0, link1, app_id, root_addr, &r), DS_OK);
    assert_int_equal(r.status, DS_CHAIN_VALID);
    assert_hex_equal(r.kms_pub, 33, jstr(v, "kms_root_pub"));
    cJSON_Delete(all);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(vector_a_official_getkey),
        cmocka_unit_test(purpose_changes_claim_not_key),
        cmocka_unit_test(algorithm_names),
        cmocka_unit_test(vector_f_kms_issue),
        cmocka_unit_test(vector_c_upstream_v0511),
        cmocka_unit_test(vector_d_upstream_v055),
        cmocka_unit_test(vector_e_production_digests),
        cmocka_unit_test(verify_reports_failing_link),
        cmocka_unit_test(upstream_getkey_vectors),
        cmocka_unit_test(upstream_kms_root_chain),
    };
    return cmocka_run_group_tests_name("chain", tests, NULL, NULL);
}
