/* test_variant.c — harness/hx_variant (the mismatch catalogue) checked three ways:
 *   - exact message bytes for every claim form and KMS-message form, written out by hand
 *     from keys-and-signature-chain.md §3 (vector A's derived key, vector F's ids);
 *   - the variants that lib/dstack/ds_variant (the simulator's independent implementation) also
 *     has must give byte-identical chains, and canonical must equal lib/dstack/ds_chain;
 *   - digests against independent values: cast hash-message (EIP-191, from the pinned
 *     cast: `cast hash-message "signing:02ead9…6919"` = 0x61685879…186a) and FIPS
 *     SHA3-256("abc");
 * the v1 forms: canonical against lib/dstack/ds_chain's v1 claim, GetKey and the published link0,
 * the others written out by hand;
 * and every chain recovers, under its own variant's rules, to the root that signed it,
 * while canonical rules recover another root (or nothing) for every non-canonical one.
 */
#include <stdio.h>
#include <stdlib.h>

#include "unit_util.h"

#include "ds_chain.h"
#include "ds_secp.h"
#include "ds_variant.h"
#include "hx_variant.h"

/* vector A: path "test", purpose "signing" under app key 1a2b…1a2b */
static const char *PUB_A = "02ead9e0064aad1bb151c270c78ef82a4caf6d3fc92c311804e79751deb3476919";
/* vector F: root key 0x11…11, app id 0x21…21 */
static const uint8_t ROOT_F[32] = {0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11,
                                   0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11,
                                   0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11};

static void fill_app_id(uint8_t id[20]) { memset(id, 0x21, 20); }

/* GetKey(path "test", purpose "signing"); v1 rows use domain "storage-encryption". */
static const ds_variant_req RQ = {"test", "signing", "storage-encryption", DS_KEY_SECP256K1};

static void claim_forms(void **state) {
    (void)state;
    uint8_t pub[33], msg[256];
    unhex(PUB_A, pub, 33);
    struct {
        const char *variant, *want;
    } cases[] = {
        {"canonical", "signing:02ead9e0064aad1bb151c270c78ef82a4caf6d3fc92c311804e79751deb3476919"},
        {"claim-0x", "signing:0x02ead9e0064aad1bb151c270c78ef82a4caf6d3fc92c311804e79751deb3476919"},
        {"claim-upper", "signing:02EAD9E0064AAD1BB151C270C78EF82A4CAF6D3FC92C311804E79751DEB3476919"},
        /* vector A's key address (vectors.md: 0xaf6d… is the app key; the derived key's is below) */
        {"claim-address", NULL},
        {"claim-uncompressed", NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const hx_variant *v = hx_variant_find(cases[i].variant);
        assert_non_null(v);
        size_t n = hx_variant_claim(v, "signing", pub, msg, sizeof msg);
        assert_true(n > 0);
        msg[n] = '\0';
        if (cases[i].want) assert_string_equal((char *)msg, cases[i].want);
    }
    /* address form: "signing:" + 40 hex of keccak(x‖y)[12:]; uncompressed: "signing:04" + 128 hex */
    uint8_t addr[20];
    char hex[41];
    assert_int_equal(ds_secp_address(pub, 33, addr), DS_OK);
    size_t n = hx_variant_claim(hx_variant_find("claim-address"), "signing", pub, msg, sizeof msg);
    assert_int_equal(n, 8 + 40);
    assert_memory_equal(msg + 8, ds_hex_encode(addr, 20, hex), 40);
    n = hx_variant_claim(hx_variant_find("claim-uncompressed"), "signing", pub, msg, sizeof msg);
    assert_int_equal(n, 8 + 130);
    assert_memory_equal(msg, "signing:04ead9e0064aad1bb151c270c78ef82a4caf6d3fc92c311804e79751deb3476919", 72);
    /* a buffer too small is refused, not overrun */
    assert_int_equal(hx_variant_claim(hx_variant_find("canonical"), "signing", pub, msg, 40), 0);
}

static void kms_message_forms(void **state) {
    (void)state;
    uint8_t app_id[20], app_pub[33], msg[256], want[256], u65[65], addr[20];
    fill_app_id(app_id);
    /* vector F's app pub */
    unhex("0222251979c6f478af19fb189846869db67dcf2e8772af319d4aa17bab4021d822", app_pub, 33);
    assert_int_equal(ds_secp_pub_convert(app_pub, 33, u65, 65), DS_OK);
    assert_int_equal(ds_secp_address(app_pub, 33, addr), DS_OK);
    const char *P = "dstack-kms-issued:";
    struct {
        const char *variant;
        const uint8_t *id;
        size_t idlen;
        const char *sep;
        const uint8_t *key;
        size_t keylen;
    } cases[] = {
        {"canonical", app_id, 20, "", app_pub, 33},
        {"appid32-right", (const uint8_t *)"\x21\x21\x21\x21\x21\x21\x21\x21\x21\x21\x21\x21\x21\x21\x21\x21\x21\x21\x21\x21"
                                           "\0\0\0\0\0\0\0\0\0\0\0\0", 32, "", app_pub, 33},
        {"appid32-left", (const uint8_t *)"\0\0\0\0\0\0\0\0\0\0\0\0"
                                          "\x21\x21\x21\x21\x21\x21\x21\x21\x21\x21\x21\x21\x21\x21\x21\x21\x21\x21\x21\x21", 32, "", app_pub, 33},
        {"appid-hex", (const uint8_t *)"2121212121212121212121212121212121212121", 40, "", app_pub, 33},
        {"appid-0xhex", (const uint8_t *)"0x2121212121212121212121212121212121212121", 42, "", app_pub, 33},
        {"appkey-uncompressed", app_id, 20, "", u65, 65},
        {"appkey-xy64", app_id, 20, "", u65 + 1, 64},
        {"appkey-address", app_id, 20, "", addr, 20},
        {"separator-colon", app_id, 20, ":", app_pub, 33},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t w = 0;
        memcpy(want, P, 18);
        w = 18;
        memcpy(want + w, cases[i].id, cases[i].idlen);
        w += cases[i].idlen;
        memcpy(want + w, cases[i].sep, strlen(cases[i].sep));
        w += strlen(cases[i].sep);
        memcpy(want + w, cases[i].key, cases[i].keylen);
        w += cases[i].keylen;
        size_t n = hx_variant_kms_msg(hx_variant_find(cases[i].variant), app_id, app_pub, msg, sizeof msg);
        assert_int_equal(n, w);
        assert_memory_equal(msg, want, w);
    }
}

static void digests_are_independent_values(void **state) {
    (void)state;
    uint8_t d[32];
    const char *claim = "signing:02ead9e0064aad1bb151c270c78ef82a4caf6d3fc92c311804e79751deb3476919";
    ds_variant_axes_digest(DS_VDG_EIP191, (const uint8_t *)claim, strlen(claim), d);
    assert_hex_equal(d, 32, "61685879ef58673c2585fe7ba7c373c3f30470e25ce41149a7a5e4216609186a");
    ds_variant_axes_digest(DS_VDG_SHA3, (const uint8_t *)"abc", 3, d);
    assert_hex_equal(d, 32, "3a985da74fe225b2045c172d6bd390bd855f086e3e9d525b46bfe24511431532");
    ds_variant_axes_digest(DS_VDG_KECCAK, (const uint8_t *)"abc", 3, d);
    assert_hex_equal(d, 32, "4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45");
}

/* canonical = lib/dstack/ds_chain; the shared variants = lib/dstack/ds_variant, byte for byte. */
static void agrees_with_ds_chain_and_ds_variant(void **state) {
    (void)state;
    uint8_t app_id[20];
    fill_app_id(app_id);
    struct {
        const char *ours;
        ds_variant theirs;
    } pairs[] = {{"canonical", DS_VARIANT_CANONICAL},
                 {"eip191", DS_VARIANT_EIP191},
                 {"v27", DS_VARIANT_V27},
                 {"appid32-right", DS_VARIANT_APPID32},
                 {"appkey-uncompressed", DS_VARIANT_UNCOMPRESSED}};
    for (size_t i = 0; i < sizeof pairs / sizeof pairs[0]; i++) {
        hx_sample s;
        uint8_t app_key[32], app_pub[33], link1[65];
        ds_derived_key dk;
        assert_int_equal(hx_variant_build(hx_variant_find(pairs[i].ours), ROOT_F, app_id, &RQ, &s),
                         DS_OK);
        assert_int_equal(ds_variant_kms_issue(pairs[i].theirs, ROOT_F, app_id, app_key, app_pub, link1), DS_OK);
        assert_int_equal(ds_variant_getkey(pairs[i].theirs, app_key, "test", 4, "signing", 7, DS_KEY_SECP256K1, &dk), DS_OK);
        assert_memory_equal(s.app_pub, app_pub, 33);
        assert_memory_equal(s.derived_pub, dk.pub, 33);
        assert_memory_equal(s.link0, dk.link0, 65);
        assert_memory_equal(s.link1, link1, 65);
    }
    /* vector F: the canonical KMS link is the published one */
    hx_sample s;
    assert_int_equal(hx_variant_build(hx_variant_find("canonical"), ROOT_F, app_id, &RQ, &s),
                     DS_OK);
    assert_hex_equal(s.link1, 65, "0fa582260804b3f7ad41347da54f6cba36cf49a4fe5a2b1f3cc7aea2c523ebae"
                                  "5dd776a32495220c0d48a76b968d8089ef4dacb58f3abdd2eb82732fade9dfe601");
}

static void every_variant_recovers_only_under_its_own_rules(void **state) {
    (void)state;
    uint8_t app_id[20], root_pub[33], root_addr[20];
    fill_app_id(app_id);
    assert_int_equal(ds_secp_pubkey(ROOT_F, root_pub, 33), DS_OK);
    assert_int_equal(ds_secp_address(root_pub, 33, root_addr), DS_OK);
    assert_hex_equal(root_addr, 20, "19e7e376e7c213b7e7e7e46cc70a5dd086daff2a"); /* vector F */
    const hx_variant *canon = hx_variant_find("canonical");
    size_t chain_changing = 0;
    for (size_t i = 0; i < HX_NVARIANTS; i++) {
        const hx_variant *v = &HX_VARIANTS[i];
        hx_sample s;
        uint8_t app[33], rpub[33], raddr[20];
        assert_int_equal(hx_variant_build(v, ROOT_F, app_id, &RQ, &s), DS_OK);
        /* own rules: back to the app key and the root */
        assert_int_equal(hx_variant_recover_app(v, &RQ, s.derived_pub, s.link0, app), DS_OK);
        assert_memory_equal(app, s.app_pub, 33);
        assert_int_equal(hx_variant_recover_root(v, app_id, app, s.link1, rpub, raddr), DS_OK);
        assert_memory_equal(raddr, root_addr, 20);
        /* canonical rules (= ds_chain_verify): valid only for the canonical chain and the
         * trusted-root variants (their chains are canonical; the verifier's root is wrong) */
        ds_chain_result res;
        ds_err e = v->verifier == 0 ? ds_chain_verify(s.derived_pub, 33, "signing", 7, s.link0,
                                                      s.link1, app_id, root_addr, &res)
                                    : ds_chain_v1_verify(s.derived_pub, 33, DS_KEY_SECP256K1,
                                                         RQ.domain, strlen(RQ.domain), s.link0,
                                                         s.link1, app_id, root_addr, &res);
        if (hx_variant_changes_chain(v)) {
            chain_changing++;
            assert_int_equal(e, DS_ERR_VERIFY);
            const hx_variant *own = v->verifier ? hx_variant_find("v1-canonical") : canon;
            if (hx_variant_recover_app(own, &RQ, s.derived_pub, s.link0, app) == DS_OK &&
                hx_variant_recover_root(own, app_id, app, s.link1, rpub, raddr) == DS_OK)
                assert_memory_not_equal(raddr, root_addr, 20);
        } else {
            assert_int_equal(e, DS_OK);
        }
    }
    assert_int_equal(chain_changing,
                     HX_NVARIANTS - 2 - 4); /* all but the two canonical and the 4 root rows */
    assert_null(hx_variant_find("no-such-variant"));
}

/* The v1 rows: canonical v1 is byte-identical to lib/dstack/ds_chain's v1 claim, GetKey and the
 * published link0 (guest-api-0.6.md §2.5: app root 1a2b…1a2b, domain storage-encryption);
 * the other forms are written out by hand. */
static void v1_forms(void **state) {
    (void)state;
    static const char *const want_claim =
        "00000019"
        "64737461636b2d67756573742d76312d6b65792d636c61696d"
        "00000009"
        "736563703235366b31"
        "00000012"
        "73746f726167652d656e6372797074696f6e"
        "00000021"
        "03d962450a41748021c8b02787ac36ce642ff0ae25f4c55019eb527e1112cfd764";
    uint8_t app_key[32], pub[33], msg[256], lib[256], digest[32], sig[65], want[256];
    size_t n, ln;
    unhex("1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f1a2b", app_key, 32);
    unhex("03d962450a41748021c8b02787ac36ce642ff0ae25f4c55019eb527e1112cfd764", pub, 33);
    const hx_variant *v1 = hx_variant_find("v1-canonical");
    assert_non_null(v1);
    n = ds_variant_axes_app_msg(&v1->ax, &RQ, pub, 33, msg, sizeof msg);
    assert_int_equal(n, strlen(want_claim) / 2);
    unhex(want_claim, want, n);
    assert_memory_equal(msg, want, n);
    assert_int_equal(
        ds_chain_v1_claim("secp256k1", "storage-encryption", 18, pub, 33, lib, sizeof lib, &ln),
        DS_OK);
    assert_int_equal(ln, n);
    assert_memory_equal(msg, lib, n);
    ds_variant_axes_digest(v1->ax.app_dg, msg, n, digest);
    assert_int_equal(ds_secp_sign_recoverable(app_key, digest, sig), DS_OK);
    assert_hex_equal(sig, 65,
                     "5b6193729ce7976ec67863f21692d4b98c69832698aae8e001a7d33a6f818b6e"
                     "46ca950725b6e90e8ca9bcf394abd03ce264bf9b7eec1e91693247f9dd53c26901");
    /* without lengths: the fields back to back */
    n = ds_variant_axes_app_msg(&hx_variant_find("v1-no-lengths")->ax, &RQ, pub, 33, msg,
                                sizeof msg);
    assert_int_equal(n, 25 + 9 + 18 + 33);
    assert_memory_equal(msg, "dstack-guest-v1-key-claimsecp256k1storage-encryption", 52);
    assert_memory_equal(msg + 52, pub, 33);
    /* little-endian lengths */
    n = ds_variant_axes_app_msg(&hx_variant_find("v1-le-lengths")->ax, &RQ, pub, 33, msg,
                                sizeof msg);
    assert_int_equal(n, 16 + 25 + 9 + 18 + 33);
    assert_memory_equal(
        msg, "\x19\0\0\0dstack-guest-v1-key-claim\x09\0\0\0secp256k1\x12\0\0\0storage-encryption",
        64);
    assert_memory_equal(msg + 64, "\x21\0\0\0", 4);
    /* k256 and the domain confused with path or purpose: the canonical claim of other strings */
    struct {
        const char *variant, *alg, *domain;
    } same[] = {{"v1-k256", "k256", "storage-encryption"},
                {"v1-domain-path", "secp256k1", "test"},
                {"v1-domain-purpose", "secp256k1", "signing"}};
    for (size_t i = 0; i < sizeof same / sizeof same[0]; i++) {
        n = ds_variant_axes_app_msg(&hx_variant_find(same[i].variant)->ax, &RQ, pub, 33, msg,
                                    sizeof msg);
        assert_int_equal(ds_chain_v1_claim(same[i].alg, same[i].domain, strlen(same[i].domain), pub,
                                           33, lib, sizeof lib, &ln),
                         DS_OK);
        assert_int_equal(n, ln);
        assert_memory_equal(msg, lib, n);
    }
    /* a v1 chain built here is the one ds_chain_v1_getkey makes */
    uint8_t app_id[20];
    hx_sample s;
    ds_derived_key dk;
    fill_app_id(app_id);
    assert_int_equal(hx_variant_build(v1, ROOT_F, app_id, &RQ, &s), DS_OK);
    assert_int_equal(
        ds_chain_v1_getkey(s.app_key, RQ.domain, strlen(RQ.domain), DS_KEY_SECP256K1, &dk), DS_OK);
    assert_memory_equal(s.derived_key, dk.key, 32);
    assert_memory_equal(s.derived_pub, dk.pub, 33);
    assert_memory_equal(s.link0, dk.link0, 65);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(claim_forms),
        cmocka_unit_test(kms_message_forms),
        cmocka_unit_test(digests_are_independent_values),
        cmocka_unit_test(agrees_with_ds_chain_and_ds_variant),
        cmocka_unit_test(every_variant_recovers_only_under_its_own_rules),
        cmocka_unit_test(v1_forms),
    };
    return cmocka_run_group_tests_name("hx_variant", tests, NULL, NULL);
}
