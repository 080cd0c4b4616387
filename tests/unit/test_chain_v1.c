/* test_chain_v1.c — dstack 0.6's v1 key derivation and v1 signature chain, byte-exact.
 * Vectors: fixtures/vectors/guest-api-0.6-vectors.json (upstream docs/guest-api-v1.md,
 * api_v1.rs and rpc_service_v1/keys.rs, plus simulator key-set rows computed independently;
 * each section names its source, see fixtures/vectors/README.md). */
#include "unit_json.h"

#include "ds_chain.h"
#include "ds_hash.h"
#include "ds_kdf.h"
#include "ds_keccak.h"
#include "ds_secp.h"

/* A vector's domain: raw bytes from domain_hex (may hold NUL). Returns its length. */
static size_t domain_of(const cJSON *c, char domain[64]) {
    return unhex(jstr(c, "domain_hex"), (uint8_t *)domain, 64);
}

static ds_key_alg alg_of(const cJSON *c) {
    ds_key_alg alg;
    assert_int_equal(ds_key_alg_parse_v1(jstr(c, "algorithm"), &alg), DS_OK);
    return alg;
}

static void getkey_v1(const uint8_t app_key[32], const char *domain, size_t len, ds_key_alg alg,
                      ds_derived_key *out) {
    assert_int_equal(ds_chain_v1_getkey(app_key, domain, len, alg, out), DS_OK);
}

/* guest-api-v1.md's example: the HKDF info and the claim for storage-encryption. */
static void example_info_and_claim_bytes(void **state) {
    (void)state;
    cJSON *all = load_fixture_json("guest-api-0.6-vectors.json");
    const cJSON *ex = jget(all, "v1_example_bytes");
    const cJSON *kv = jget(all, "v1_root_key_vectors");
    char domain[64];
    size_t dlen = domain_of(ex, domain);
    uint8_t root[32], info[128], pub[33], claim[160], key[32], want[32], d[32];
    unhex(jstr(kv, "app_root_key"), root, 32);
    size_t ilen = unhex(jstr(ex, "info"), info, sizeof info);
    unhex(jstr(ex, "public_key"), pub, 33);

    /* The key is HKDF(salt "dstack-guest-v1", root, exactly these info bytes). */
    assert_int_equal(ds_kdf_v1_key(root, "secp256k1", domain, dlen, key), DS_OK);
    assert_int_equal(
        ds_hkdf_sha256((const uint8_t *)"dstack-guest-v1", 15, root, 32, info, ilen, want, 32),
        DS_OK);
    assert_memory_equal(key, want, 32);
    assert_hex_equal(key, 32, "5510330f86902ddae38c6d89c93a8408019332c17a429e1abd01c4a28d1544a6");

    size_t n = 0;
    assert_int_equal(ds_chain_v1_claim("secp256k1", domain, dlen, pub, 33, claim, sizeof claim, &n),
                     DS_OK);
    assert_int_equal(n, 4 + 25 + 4 + 9 + 4 + 18 + 4 + 33);
    assert_hex_equal(claim, n, jstr(ex, "claim"));
    assert_int_equal(ds_chain_v1_claim_digest("secp256k1", domain, dlen, pub, 33, d), DS_OK);
    ds_keccak256(claim, n, want);
    assert_memory_equal(d, want, 32);

    /* Too small a buffer: DS_ERR_LEN and the size needed; NULL with cap 0 asks for it. */
    size_t m = 0;
    assert_int_equal(ds_chain_v1_claim("secp256k1", domain, dlen, pub, 33, claim, n - 1, &m),
                     DS_ERR_LEN);
    assert_int_equal(m, n);
    m = 0;
    assert_int_equal(ds_chain_v1_claim("secp256k1", domain, dlen, pub, 33, NULL, 0, &m),
                     DS_ERR_LEN);
    assert_int_equal(m, n);
    assert_int_equal(ds_chain_v1_claim("secp256k1", domain, dlen, pub, 33, claim, n, NULL),
                     DS_ERR_ARG);
    assert_int_equal(ds_chain_v1_claim(NULL, domain, dlen, pub, 33, claim, n, &m), DS_ERR_ARG);
    assert_int_equal(ds_chain_v1_claim("secp256k1", NULL, 1, pub, 33, claim, n, &m), DS_ERR_ARG);
    assert_int_equal(ds_chain_v1_claim_digest("secp256k1", domain, dlen, NULL, 33, d), DS_ERR_ARG);
    cJSON_Delete(all);
}

/* The eight upstream root-key vectors (key and public key), and link0 recovering to the
 * root's public key for every one of them. */
static void upstream_root_key_vectors(void **state) {
    (void)state;
    cJSON *all = load_fixture_json("guest-api-0.6-vectors.json");
    const cJSON *kv = jget(all, "v1_root_key_vectors");
    uint8_t root[32], root_pub[33], key[32], d[32], rec[33];
    unhex(jstr(kv, "app_root_key"), root, 32);
    assert_int_equal(ds_secp_pubkey(root, root_pub, 33), DS_OK);
    int cases = 0, with_nul = 0, empty = 0;
    const cJSON *c;
    cJSON_ArrayForEach(c, jget(kv, "cases")) {
        char domain[64];
        size_t dlen = domain_of(c, domain);
        ds_key_alg alg = alg_of(c);
        assert_int_equal(ds_kdf_v1_key(root, jstr(c, "algorithm"), domain, dlen, key), DS_OK);
        assert_hex_equal(key, 32, jstr(c, "key"));
        ds_derived_key k;
        getkey_v1(root, domain, dlen, alg, &k);
        assert_hex_equal(k.key, 32, jstr(c, "key"));
        assert_int_equal(k.pub_len, alg == DS_KEY_SECP256K1 ? 33 : 32);
        assert_hex_equal(k.pub, k.pub_len, jstr(c, "public_key"));
        assert_int_equal(
            ds_chain_v1_claim_digest(ds_key_alg_v1_name(alg), domain, dlen, k.pub, k.pub_len, d),
            DS_OK);
        assert_int_equal(ds_secp_recover(d, k.link0, 0, rec), DS_OK);
        assert_memory_equal(rec, root_pub, 33);
        with_nul += memchr(domain, 0, dlen) != NULL;
        empty += dlen == 0;
        cases++;
    }
    assert_int_equal(cases, 8);
    assert_int_equal(with_nul, 1);
    assert_int_equal(empty, 2);

    /* Upstream's two link0 vectors, byte-exact. */
    cases = 0;
    cJSON_ArrayForEach(c, jget(kv, "link0")) {
        char domain[64];
        size_t dlen = domain_of(c, domain);
        ds_derived_key k;
        getkey_v1(root, domain, dlen, alg_of(c), &k);
        assert_hex_equal(k.link0, 65, jstr(c, "link0"));
        cases++;
    }
    assert_int_equal(cases, 2);
    cJSON_Delete(all);
}

/* The v0 simulator key set under v1 (computed independently, not upstream-asserted): key,
 * public key and link0 byte-exact, and each chain verifies to the fixture's KMS root. */
static void simulator_fixture_rows(void **state) {
    (void)state;
    cJSON *all = load_fixture_json("guest-api-0.6-vectors.json");
    const cJSON *sim = jget(all, "v1_simulator_fixture");
    uint8_t root[32], root_pub[33], app_id[20], link1[65], kms_pub[33], kms_addr[20];
    unhex(jstr(sim, "app_root_key"), root, 32);
    unhex(jstr(sim, "app_id"), app_id, 20);
    unhex(jstr(sim, "k256_signature"), link1, 65);
    unhex(jstr(sim, "kms_root_pub"), kms_pub, 33);
    assert_int_equal(ds_secp_pubkey(root, root_pub, 33), DS_OK);
    assert_hex_equal(root_pub, 33, jstr(sim, "app_root_pub"));
    assert_int_equal(ds_secp_address(kms_pub, 33, kms_addr), DS_OK);
    assert_hex_equal(kms_addr, 20, "a7f6043c29f9cc1d9d6acf554c53e0c6792aaeaf");
    int cases = 0;
    const cJSON *c;
    cJSON_ArrayForEach(c, jget(sim, "cases")) {
        char domain[64];
        size_t dlen = domain_of(c, domain);
        ds_key_alg alg = alg_of(c);
        ds_derived_key k;
        ds_chain_result r;
        getkey_v1(root, domain, dlen, alg, &k);
        assert_hex_equal(k.key, 32, jstr(c, "key"));
        assert_hex_equal(k.pub, k.pub_len, jstr(c, "public_key"));
        assert_hex_equal(k.link0, 65, jstr(c, "link0"));
        assert_int_equal(ds_chain_v1_verify(k.pub, k.pub_len, alg, domain, dlen, k.link0, link1,
                                            app_id, kms_addr, &r),
                         DS_OK);
        assert_int_equal(r.status, DS_CHAIN_VALID);
        assert_memory_equal(r.app_pub, root_pub, 33);
        assert_hex_equal(r.kms_pub, 33,
                         "0321529e458424ab1f710a3a57ec4dad2fb195ddca572f7469242ba6c7563085b6");
        cases++;
    }
    assert_int_equal(cases, 4);
    cJSON_Delete(all);
}

/* s -> n - s with the recovery id's parity flipped: the same signature, high-S encoded. */
static void high_s_twin(const uint8_t sig[65], uint8_t out[65]) {
    memcpy(out, sig, 32);
    secp_negate_s(sig + 32, out + 32);
    out[64] = sig[64] ^ 1;
}

/* A chain under a root made up here, shared by the verifier tests. */
typedef struct {
    ds_key_alg alg;
    uint8_t root[32], app_id[20], app_key[32], app_pub[33], link1[65], root_addr[20];
    ds_derived_key k;
} v1_chain;

static const char DOMAIN[] = "vault\0x"; /* 7 bytes, one NUL */

static void make_chain(v1_chain *c, ds_key_alg alg) {
    c->alg = alg;
    memset(c->root, 0x5a, 32);
    memset(c->app_id, 0xab, 20);
    assert_int_equal(ds_chain_kms_issue(c->root, c->app_id, c->app_key, c->app_pub, c->link1),
                     DS_OK);
    assert_int_equal(ds_secp_priv_address(c->root, c->root_addr), DS_OK);
    getkey_v1(c->app_key, DOMAIN, 7, alg, &c->k);
}

static ds_chain_status verify(const v1_chain *c, const uint8_t *link0, const uint8_t *link1,
                              const uint8_t *trusted, ds_chain_result *r) {
    ds_err e = ds_chain_v1_verify(c->k.pub, c->k.pub_len, c->alg, DOMAIN, 7, link0, link1,
                                  c->app_id, trusted, r);
    int ok = r->status == DS_CHAIN_VALID || r->status == DS_CHAIN_RECOVERED;
    assert_int_equal(e, ok ? DS_OK : DS_ERR_VERIFY);
    return r->status;
}

/* Valid, recovered without a root, another root: for both algorithms. */
static void verify_valid_recovered_mismatch(void **state) {
    (void)state;
    for (int a = 0; a < 2; a++) {
        v1_chain c;
        ds_chain_result r;
        uint8_t other[20];
        make_chain(&c, a ? DS_KEY_ED25519 : DS_KEY_SECP256K1);
        assert_int_equal(verify(&c, c.k.link0, c.link1, c.root_addr, &r), DS_CHAIN_VALID);
        assert_true(r.have_app && r.have_kms);
        assert_memory_equal(r.app_pub, c.app_pub, 33);
        assert_memory_equal(r.kms_addr, c.root_addr, 20);
        assert_int_equal(verify(&c, c.k.link0, c.link1, NULL, &r), DS_CHAIN_RECOVERED);
        assert_memory_equal(r.kms_addr, c.root_addr, 20);
        memcpy(other, c.root_addr, 20);
        other[0] ^= 0x80;
        assert_int_equal(verify(&c, c.k.link0, c.link1, other, &r), DS_CHAIN_ROOT_MISMATCH);
        assert_true(r.have_kms);
        assert_memory_equal(r.kms_addr, c.root_addr, 20);
        /* The domain is bound, NUL and all: one byte less is another claim. */
        assert_int_equal(ds_chain_v1_verify(c.k.pub, c.k.pub_len, c.alg, DOMAIN, 6, c.k.link0,
                                            c.link1, c.app_id, c.root_addr, &r),
                         DS_ERR_VERIFY);
        assert_int_not_equal(r.status, DS_CHAIN_VALID);
        /* So is the algorithm name: the same pub bytes claimed under the other one. */
        if (c.alg == DS_KEY_ED25519) {
            assert_int_equal(ds_chain_v1_verify(c.k.pub, 32, DS_KEY_SECP256K1, DOMAIN, 7, c.k.link0,
                                                c.link1, c.app_id, c.root_addr, &r),
                             DS_ERR_VERIFY);
            assert_int_equal(r.status, DS_CHAIN_BAD_INPUT);
        }
    }
}

/* Flipped bytes never verify; links that cannot recover name their link. */
static void verify_names_the_failing_link(void **state) {
    (void)state;
    v1_chain c;
    ds_chain_result r;
    uint8_t bad[65];
    make_chain(&c, DS_KEY_SECP256K1);
    int app_link = 0, kms_link = 0;
    for (int i = 0; i < 65; i++) {
        memcpy(bad, c.k.link0, 65);
        bad[i] ^= 0x01;
        ds_chain_status st = verify(&c, bad, c.link1, c.root_addr, &r);
        assert_true(st == DS_CHAIN_APP_LINK || st == DS_CHAIN_ROOT_MISMATCH);
        app_link += st == DS_CHAIN_APP_LINK;
        memcpy(bad, c.link1, 65);
        bad[i] ^= 0x01;
        st = verify(&c, c.k.link0, bad, c.root_addr, &r);
        assert_true(st == DS_CHAIN_KMS_LINK || st == DS_CHAIN_ROOT_MISMATCH);
        assert_true(r.have_app);
        assert_memory_equal(r.app_pub, c.app_pub, 33);
        kms_link += st == DS_CHAIN_KMS_LINK;
    }
    assert_true(app_link > 0 && kms_link > 0);
    /* r = 0 recovers nothing; v outside 0/1 (also 27/28) is not canonical. */
    memcpy(bad, c.k.link0, 65);
    memset(bad, 0, 32);
    assert_int_equal(verify(&c, bad, c.link1, c.root_addr, &r), DS_CHAIN_APP_LINK);
    assert_false(r.have_app);
    const uint8_t vs[] = {2, 3, 27, 28};
    for (size_t i = 0; i < sizeof vs; i++) {
        memcpy(bad, c.k.link0, 65);
        bad[64] = vs[i];
        assert_int_equal(verify(&c, bad, c.link1, c.root_addr, &r), DS_CHAIN_APP_LINK);
        memcpy(bad, c.link1, 65);
        bad[64] = vs[i];
        assert_int_equal(verify(&c, c.k.link0, bad, c.root_addr, &r), DS_CHAIN_KMS_LINK);
    }
}

/* The high-S twin of a link recovers the same key but is refused, on both links and by
 * the v0 verifier too. */
static void verify_rejects_high_s(void **state) {
    (void)state;
    v1_chain c;
    ds_chain_result r;
    uint8_t hs[65], d[32], rec[33];
    make_chain(&c, DS_KEY_SECP256K1);
    high_s_twin(c.k.link0, hs);
    assert_true(hs[32] >= 0x80);
    assert_int_equal(ds_chain_v1_claim_digest("secp256k1", DOMAIN, 7, c.k.pub, 33, d), DS_OK);
    assert_int_equal(ds_secp_recover(d, hs, 0, rec), DS_OK);
    assert_memory_equal(rec, c.app_pub, 33);
    assert_int_equal(verify(&c, hs, c.link1, c.root_addr, &r), DS_CHAIN_APP_LINK);
    high_s_twin(c.link1, hs);
    assert_int_equal(verify(&c, c.k.link0, hs, c.root_addr, &r), DS_CHAIN_KMS_LINK);
    /* v0: a valid chain over purpose "p", then its high-S twins. */
    uint8_t v0_link0[65];
    assert_int_equal(ds_chain_claim_digest("p", 1, c.k.pub, 33, d), DS_OK);
    assert_int_equal(ds_secp_sign_recoverable(c.app_key, d, v0_link0), DS_OK);
    assert_int_equal(
        ds_chain_verify(c.k.pub, 33, "p", 1, v0_link0, c.link1, c.app_id, c.root_addr, &r), DS_OK);
    assert_int_equal(ds_chain_verify(c.k.pub, 33, "p", 1, v0_link0, hs, c.app_id, c.root_addr, &r),
                     DS_ERR_VERIFY);
    assert_int_equal(r.status, DS_CHAIN_KMS_LINK);
    high_s_twin(v0_link0, hs);
    assert_int_equal(ds_chain_verify(c.k.pub, 33, "p", 1, hs, c.link1, c.app_id, c.root_addr, &r),
                     DS_ERR_VERIFY);
    assert_int_equal(r.status, DS_CHAIN_APP_LINK);
}

/* A v0 link0 over the same public key does not verify as v1, and a v1 link0 does not
 * verify as v0 (purpose = the domain). */
static void v0_and_v1_claims_do_not_mix(void **state) {
    (void)state;
    v1_chain c;
    ds_chain_result r;
    uint8_t d[32], v0_link0[65];
    make_chain(&c, DS_KEY_SECP256K1);
    assert_int_equal(ds_chain_claim_digest(DOMAIN, 7, c.k.pub, 33, d), DS_OK);
    assert_int_equal(ds_secp_sign_recoverable(c.app_key, d, v0_link0), DS_OK);
    assert_int_equal(
        ds_chain_verify(c.k.pub, 33, DOMAIN, 7, v0_link0, c.link1, c.app_id, c.root_addr, &r),
        DS_OK);
    assert_int_equal(r.status, DS_CHAIN_VALID);
    assert_int_not_equal(verify(&c, v0_link0, c.link1, c.root_addr, &r), DS_CHAIN_VALID);
    assert_int_equal(
        ds_chain_verify(c.k.pub, 33, DOMAIN, 7, c.k.link0, c.link1, c.app_id, c.root_addr, &r),
        DS_ERR_VERIFY);
    assert_int_not_equal(r.status, DS_CHAIN_VALID);
}

/* Public keys of the wrong length for the algorithm, and bad arguments. */
static void verify_bad_input(void **state) {
    (void)state;
    v1_chain c;
    ds_chain_result r;
    uint8_t full[65];
    make_chain(&c, DS_KEY_SECP256K1);
    assert_int_equal(ds_secp_pub_convert(c.k.pub, 33, full, 65), DS_OK);
    const size_t lens[] = {0, 20, 32, 64, 65};
    for (size_t i = 0; i < sizeof lens / sizeof *lens; i++) {
        assert_int_equal(ds_chain_v1_verify(full, lens[i], DS_KEY_SECP256K1, DOMAIN, 7, c.k.link0,
                                            c.link1, c.app_id, c.root_addr, &r),
                         DS_ERR_VERIFY);
        assert_int_equal(r.status, DS_CHAIN_BAD_INPUT);
        assert_false(r.have_app);
    }
    assert_int_equal(ds_chain_v1_verify(full, 33, DS_KEY_ED25519, DOMAIN, 7, c.k.link0, c.link1,
                                        c.app_id, c.root_addr, &r),
                     DS_ERR_VERIFY);
    assert_int_equal(r.status, DS_CHAIN_BAD_INPUT);
    assert_int_equal(ds_chain_v1_verify(c.k.pub, 33, (ds_key_alg)7, DOMAIN, 7, c.k.link0, c.link1,
                                        c.app_id, c.root_addr, &r),
                     DS_ERR_ARG);
    assert_int_equal(r.status, DS_CHAIN_BAD_INPUT);
    assert_int_equal(ds_chain_v1_verify(c.k.pub, 33, DS_KEY_SECP256K1, NULL, 1, c.k.link0, c.link1,
                                        c.app_id, c.root_addr, &r),
                     DS_ERR_ARG);
    assert_int_equal(ds_chain_v1_verify(c.k.pub, 33, DS_KEY_SECP256K1, DOMAIN, 7, c.k.link0,
                                        c.link1, c.app_id, c.root_addr, NULL),
                     DS_ERR_ARG);
}

static void algorithm_names_v1(void **state) {
    (void)state;
    ds_key_alg alg = (ds_key_alg)99;
    assert_int_equal(ds_key_alg_parse_v1("", &alg), DS_ERR_ARG);
    assert_int_equal(ds_key_alg_parse_v1(NULL, &alg), DS_ERR_ARG);
    assert_int_equal(ds_key_alg_parse_v1("k256", &alg), DS_ERR_ALG);
    assert_int_equal(ds_key_alg_parse_v1("secp256k1_prehashed", &alg), DS_ERR_ALG);
    assert_int_equal(ds_key_alg_parse_v1("SECP256K1", &alg), DS_ERR_ALG);
    assert_int_equal(ds_key_alg_parse_v1("ed25519 ", &alg), DS_ERR_ALG);
    assert_int_equal(alg, (ds_key_alg)99);
    assert_int_equal(ds_key_alg_parse_v1("ed25519", &alg), DS_OK);
    assert_int_equal(alg, DS_KEY_ED25519);
    assert_int_equal(ds_key_alg_parse_v1("secp256k1", &alg), DS_OK);
    assert_int_equal(alg, DS_KEY_SECP256K1);
    assert_string_equal(ds_key_alg_v1_name(DS_KEY_SECP256K1), "secp256k1");
    assert_string_equal(ds_key_alg_v1_name(DS_KEY_ED25519), "ed25519");
    assert_null(ds_key_alg_v1_name((ds_key_alg)2));
}

/* The KDF's errors, and domains past the stack buffer derive exactly as short ones do. */
static void kdf_v1_errors_and_long_domains(void **state) {
    (void)state;
    uint8_t root[32], key[32], want[32], d[32], info[40 + 1100];
    static char dom[1100];
    static uint8_t claim[41 + 9 + 1100 + 33];
    ds_derived_key k;
    memset(root, 0x42, 32);
    assert_int_equal(ds_kdf_v1_key(root, "k256", "a", 1, key), DS_ERR_ALG);
    assert_int_equal(ds_kdf_v1_key(root, "", "a", 1, key), DS_ERR_ALG);
    assert_int_equal(ds_kdf_v1_key(root, NULL, "a", 1, key), DS_ERR_ARG);
    assert_int_equal(ds_kdf_v1_key(NULL, "ed25519", "a", 1, key), DS_ERR_ARG);
    assert_int_equal(ds_kdf_v1_key(root, "ed25519", NULL, 1, key), DS_ERR_ARG);
    assert_int_equal(ds_kdf_v1_key(root, "ed25519", NULL, 0, key), DS_OK);
    assert_int_equal(ds_chain_v1_getkey(root, "a", 1, (ds_key_alg)5, &k), DS_ERR_ALG);
    assert_int_equal(ds_chain_v1_getkey(root, "a", 1, DS_KEY_ED25519, NULL), DS_ERR_ARG);
    for (size_t i = 0; i < sizeof dom; i++)
        dom[i] = (char)('a' + i % 26);
    const size_t lens[] = {DS_KDF_V1_STACK_DOMAIN, DS_KDF_V1_STACK_DOMAIN + 1, sizeof dom};
    for (size_t i = 0; i < 3; i++) {
        size_t n = lens[i];
        uint8_t *p = info;
        memcpy(p,
               "\x00\x00\x00\x13"
               "dstack-guest-v1-key"
               "\x00\x00\x00\x09"
               "secp256k1",
               36);
        p += 36;
        *p++ = 0;
        *p++ = 0;
        *p++ = (uint8_t)(n >> 8);
        *p++ = (uint8_t)n;
        memcpy(p, dom, n);
        assert_int_equal(ds_hkdf_sha256((const uint8_t *)"dstack-guest-v1", 15, root, 32, info,
                                        40 + n, want, 32),
                         DS_OK);
        assert_int_equal(ds_kdf_v1_key(root, "secp256k1", dom, n, key), DS_OK);
        assert_memory_equal(key, want, 32);
        getkey_v1(root, dom, n, DS_KEY_SECP256K1, &k);
        assert_memory_equal(k.key, want, 32);
        size_t clen = 0;
        assert_int_equal(
            ds_chain_v1_claim("secp256k1", dom, n, k.pub, 33, claim, sizeof claim, &clen), DS_OK);
        assert_int_equal(clen, 41 + 9 + n + 33);
        ds_keccak256(claim, clen, want);
        assert_int_equal(ds_chain_v1_claim_digest("secp256k1", dom, n, k.pub, 33, d), DS_OK);
        assert_memory_equal(d, want, 32);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(example_info_and_claim_bytes),
        cmocka_unit_test(upstream_root_key_vectors),
        cmocka_unit_test(simulator_fixture_rows),
        cmocka_unit_test(verify_valid_recovered_mismatch),
        cmocka_unit_test(verify_names_the_failing_link),
        cmocka_unit_test(verify_rejects_high_s),
        cmocka_unit_test(v0_and_v1_claims_do_not_mix),
        cmocka_unit_test(verify_bad_input),
        cmocka_unit_test(algorithm_names_v1),
        cmocka_unit_test(kdf_v1_errors_and_long_domains),
    };
    return cmocka_run_group_tests_name("chain_v1", tests, NULL, NULL);
}
