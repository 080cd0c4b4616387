/* test_sim_lib.c — unit tests of the simulator's lib modules: ds_eventlog, ds_quote,
 * ds_variant, ds_json, ds_p256. No simulator process involved.
 */
#include "sim_testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ds_chain.h"
#include "ds_eventlog.h"
#include "ds_hex.h"
#include "ds_json.h"
#include "ds_keccak.h"
#include "ds_p256.h"
#include "ds_quote.h"
#include "ds_secp.h"
#include "ds_variant.h"

static void hexeq(const uint8_t *p, size_t n, const char *hex) {
    char buf[257];
    assert_true(n <= 128);
    assert_string_equal(ds_hex_encode(p, n, buf), hex);
}

/* vectors.md: runtime event digests */
static void test_runtime_digest_vectors(void **state) {
    (void)state;
    uint8_t d[48];
    ds_event_runtime_digest("app-id", 6, (const uint8_t *)"\xde\xad\xbe\xef", 4, d);
    hexeq(d, 48, "67b4be4efed0893cfa2bb1d35dca209ad8348b4c97f980807bcde8b9a0f26398"
                 "dd0923d6eccb5aa2096d98046da8740f");
    ds_event_runtime_digest("system-ready", 12, NULL, 0, d);
    hexeq(d, 48, "1a76b2a80a0be71eae59f80945d876351a7a3fb8e9fd1ff1cede5734aa84ea11"
                 "fd72b4edfbb6f04e5a85edd114c751bd");
}

static void test_eventlog_json_roundtrip(void **state) {
    (void)state;
    ds_eventlog log, back;
    ds_eventlog_init(&log);
    uint8_t boot[48];
    memset(boot, 0xab, 48);
    assert_int_equal(ds_eventlog_add(&log, 0, 2147483659u, boot, 48, "", 0, (const uint8_t *)"pl", 2), DS_OK);
    assert_int_equal(ds_eventlog_add_runtime(&log, "app-id", 6, (const uint8_t *)"\x01\x02", 2), DS_OK);
    assert_int_equal(ds_eventlog_add_runtime(&log, "system-ready", 12, NULL, 0), DS_OK);
    assert_int_equal(ds_eventlog_add_runtime(&log, "app-id", 6, (const uint8_t *)"\x09", 1), DS_OK);
    assert_int_equal(ds_eventlog_add_runtime(&log, "q\"\n\x01", 4, NULL, 0), DS_OK);
    assert_int_equal(ds_eventlog_add(&log, 4, 1, NULL, 0, "", 0, NULL, 0), DS_ERR_ARG);
    ds_buf full, stripped;
    ds_buf_init(&full);
    ds_buf_init(&stripped);
    ds_eventlog_to_json(&log, DS_EVENTLOG_FULL, &full);
    ds_eventlog_to_json(&log, DS_EVENTLOG_STRIPPED, &stripped);
    assert_memory_equal(full.data, "[{\"imr\":0,\"event_type\":2147483659,\"digest\":\"abab", 48);
    assert_non_null(strstr(full.data, "\"event\":\"q\\\"\\n\\u0001\""));
    assert_non_null(strstr(stripped.data, "{\"imr\":0,\"event_type\":2147483659,\"digest\":\"abab"));
    assert_non_null(strstr(stripped.data, "\"event_payload\":\"\"}"));
    assert_non_null(strstr(stripped.data, "{\"imr\":3,\"event_type\":134217729,\"digest\":\"\",\"event\":\"app-id\",\"event_payload\":\"0102\"}"));
    /* both styles replay to the same RTMRs once runtime digests are recomputed */
    uint8_t r1[4][48], r2[4][48];
    ds_eventlog_replay(&log, r1);
    char err[128];
    assert_int_equal(ds_eventlog_parse_json(stripped.data, stripped.len, &back, err, sizeof err), DS_OK);
    assert_int_equal(ds_eventlog_fill_digests(&back), 4);
    ds_eventlog_replay(&back, r2);
    assert_memory_equal(r1, r2, sizeof r1);
    /* the first app-id before system-ready wins */
    const ds_event *e = ds_eventlog_find_boot_runtime(&back, "app-id");
    assert_non_null(e);
    assert_int_equal(e->payload_len, 2);
    assert_null(ds_eventlog_find_boot_runtime(&back, "q\"\n\x01"));
    /* its payload, copied only when it has exactly the size asked for */
    uint8_t id[2] = {0xee, 0xee}, id3[3] = {0xee, 0xee, 0xee};
    assert_int_equal(ds_eventlog_boot_payload(&back, "app-id", id, 2), 1);
    assert_int_equal(id[0], 0x01);
    assert_int_equal(id[1], 0x02);
    assert_int_equal(ds_eventlog_boot_payload(&back, "app-id", id3, 3), 0);
    assert_int_equal(id3[0], 0xee);
    assert_int_equal(ds_eventlog_boot_payload(&back, "compose-hash", id, 2), 0);
    ds_eventlog_free(&back);
    assert_int_equal(ds_eventlog_parse_json(full.data, full.len, &back, err, sizeof err), DS_OK);
    assert_int_equal(back.n, log.n);
    ds_eventlog_free(&back);
    assert_int_equal(ds_eventlog_parse_json("[{\"imr\":9,\"event_type\":1}]", 26, &back, err, sizeof err), DS_ERR_PARSE);
    assert_int_equal(ds_eventlog_parse_json("{}", 2, &back, err, sizeof err), DS_ERR_PARSE);
    assert_int_equal(ds_eventlog_parse_json("[{\"imr\":1,\"event_type\":1,\"digest\":\"zz\"}]", 40, &back, err, sizeof err), DS_ERR_PARSE);
    ds_buf_free(&full);
    ds_buf_free(&stripped);
    ds_eventlog_free(&log);
}

static void test_quote_roundtrip(void **state) {
    (void)state;
    uint8_t seed[32];
    memset(seed, 7, 32);
    ds_quote_dev_signer d;
    assert_int_equal(ds_quote_dev_signer_init(&d, seed), DS_OK);
    ds_quote_signer s;
    ds_quote_dev_signer_bind(&d, &s);
    ds_quote_header h;
    ds_td_report r;
    ds_quote_header_default(&h);
    ds_td_report_default(&r);
    memset(r.mr_td, 1, 48);
    memset(r.rt_mr[3], 3, 48);
    memset(r.report_data, 0x5a, 64);
    ds_buf q;
    ds_buf_init(&q);
    assert_int_equal(ds_quote_build(&h, &r, &s, &q), DS_OK);
    assert_int_equal(q.len, 1258); /* empty PCK chain, 32-byte auth data */
    const uint8_t *b = (const uint8_t *)q.data;
    assert_memory_equal(b, "\x04\x00\x02\x00\x81\x00\x00\x00", 8);
    assert_memory_equal(b + 568, r.report_data, 64);
    assert_memory_equal(b + 520, r.rt_mr[3], 48);
    assert_memory_equal(b + 184, r.mr_td, 48);
    ds_quote p;
    assert_int_equal(ds_quote_parse(b, q.len, &p), DS_OK);
    assert_memory_equal(&p.report, &r, sizeof r);
    assert_memory_equal(p.att_pub, d.att_pub, 64);
    assert_int_equal(p.qe_auth_len, 32);
    assert_int_equal(p.inner_cert_type, 5);
    assert_int_equal(ds_quote_verify_att_sig(b, q.len), DS_OK);
    q.data[600] ^= 1; /* report_data flipped → signature fails */
    assert_int_equal(ds_quote_verify_att_sig(b, q.len), DS_ERR_VERIFY);
    assert_int_equal(ds_quote_parse(b, 700, &p), DS_ERR_PARSE);
    /* a PCK chain is carried verbatim */
    assert_int_equal(ds_quote_dev_signer_set_chain(&d, "-----BEGIN CERTIFICATE-----\n"), DS_OK);
    ds_buf_reset(&q);
    assert_int_equal(ds_quote_build(&h, &r, &s, &q), DS_OK);
    assert_int_equal(ds_quote_parse((uint8_t *)q.data, q.len, &p), DS_OK);
    assert_int_equal(p.inner_cert_len, 28);
    ds_buf_free(&q);
    ds_quote_dev_signer_free(&d);
}

/* Every variant: build with the root of vector F, then identify. */
static void test_variants_roundtrip(void **state) {
    (void)state;
    uint8_t root[32], app_id[20], root_addr[20];
    memset(root, 0x11, 32);
    memset(app_id, 0x21, 20);
    ds_secp_priv_address(root, root_addr);
    hexeq(root_addr, 20, "19e7e376e7c213b7e7e7e46cc70a5dd086daff2a");
    for (int v = 0; v < DS_VARIANT_COUNT; v++) {
        uint8_t app_key[32], app_pub[33], link1[65];
        ds_derived_key dk;
        assert_int_equal(ds_variant_kms_issue((ds_variant)v, root, app_id, app_key, app_pub, link1), DS_OK);
        if (v == DS_VARIANT_CANONICAL) /* vector F */
            hexeq(link1, 65, "0fa582260804b3f7ad41347da54f6cba36cf49a4fe5a2b1f3cc7aea2c523ebae"
                             "5dd776a32495220c0d48a76b968d8089ef4dacb58f3abdd2eb82732fade9dfe601");
        assert_int_equal(ds_variant_getkey((ds_variant)v, app_key, "k", 1, "signing", 7,
                                           DS_KEY_SECP256K1, &dk), DS_OK);
        ds_variant got;
        assert_int_equal(ds_variant_identify(dk.pub, 33, "signing", 7, dk.link0, link1, app_id,
                                             root_addr, &got), DS_OK);
        assert_int_equal(got, v);
        ds_variant parsed;
        assert_int_equal(ds_variant_parse(ds_variant_name((ds_variant)v), &parsed), DS_OK);
        assert_int_equal(parsed, v);
    }
    /* legacy-v055 with its own app id recovers the v0.5.5 root */
    uint8_t app_key[32], link1[65], app_pub[33], addr[20];
    ds_derived_key dk;
    ds_variant_kms_issue(DS_VARIANT_LEGACY_V055, NULL, NULL, app_key, app_pub, link1);
    ds_variant_getkey(DS_VARIANT_CANONICAL, app_key, "k", 1, "", 0, DS_KEY_SECP256K1, &dk);
    assert_int_equal(ds_variant_recover(DS_VARIANT_CANONICAL, dk.pub, 33, "", 0, dk.link0, link1,
                                        DS_V055_APP_ID, app_pub, addr), DS_OK);
    assert_memory_equal(addr, DS_V055_ROOT_ADDR, 20);
    ds_variant v;
    assert_int_equal(ds_variant_parse("none", &v), DS_OK);
    assert_int_equal(v, DS_VARIANT_CANONICAL);
    assert_int_equal(ds_variant_parse("bogus", &v), DS_ERR_ARG);
    /* EIP-191 digest of "abc" (keccak of "\x19Ethereum Signed Message:\n3abc") */
    uint8_t d1[32], d2[32];
    ds_eip191_digest((const uint8_t *)"abc", 3, d1);
    ds_keccak256((const uint8_t *)"\x19" "Ethereum Signed Message:\n3abc", 30, d2);
    assert_memory_equal(d1, d2, 32);
}

static void test_json_writer_and_fields(void **state) {
    (void)state;
    ds_buf b;
    ds_buf_init(&b);
    ds_buf_json_str(&b, "a\"b\\c\n\x01\xc3\xa9\xff\xe2\x82", 12);
    assert_string_equal(b.data, "\"a\\\"b\\\\c\\n\\u0001\xc3\xa9\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\"");
    cJSON *j = cJSON_Parse(b.data);
    assert_non_null(j);
    cJSON_Delete(j);
    ds_buf_free(&b);
    cJSON *o = cJSON_Parse("{\"s\":\"x\",\"n\":5,\"b\":true,\"bs\":\"1\",\"h\":\"0xABcd\",\"odd\":\"abc\","
                           "\"arr\":[\"a\",\"b\"],\"bad\":[1],\"neg\":-1,\"nul\":null}");
    const char *s;
    int bv, present;
    uint64_t u;
    uint8_t *h;
    size_t hn;
    const char **arr;
    size_t an;
    char err[128];
    assert_int_equal(ds_json_get_str(o, "s", &s, err, sizeof err), DS_OK);
    assert_string_equal(s, "x");
    assert_int_equal(ds_json_get_str(o, "missing", &s, err, sizeof err), DS_OK);
    assert_string_equal(s, "");
    assert_int_equal(ds_json_get_str(o, "nul", &s, err, sizeof err), DS_OK);
    assert_int_equal(ds_json_get_str(o, "n", &s, err, sizeof err), DS_ERR_PARSE);
    assert_string_equal(err, "n: expected a string");
    assert_int_equal(ds_json_get_bool(o, "b", &bv, err, sizeof err), DS_OK);
    assert_true(bv);
    assert_int_equal(ds_json_get_bool(o, "bs", &bv, err, sizeof err), DS_OK);
    assert_true(bv);
    assert_int_equal(ds_json_get_bool(o, "s", &bv, err, sizeof err), DS_ERR_PARSE);
    assert_int_equal(ds_json_get_u64(o, "n", &u, &present, err, sizeof err), DS_OK);
    assert_true(present && u == 5);
    assert_int_equal(ds_json_get_u64(o, "neg", &u, &present, err, sizeof err), DS_ERR_PARSE);
    assert_int_equal(ds_json_get_hex(o, "h", &h, &hn, err, sizeof err), DS_OK);
    assert_int_equal(hn, 2);
    assert_memory_equal(h, "\xab\xcd", 2);
    free(h);
    assert_int_equal(ds_json_get_hex(o, "odd", &h, &hn, err, sizeof err), DS_ERR_PARSE);
    assert_int_equal(ds_json_get_str_array(o, "arr", &arr, &an, err, sizeof err), DS_OK);
    assert_int_equal(an, 2);
    assert_string_equal(arr[1], "b");
    free(arr);
    assert_int_equal(ds_json_get_str_array(o, "bad", &arr, &an, err, sizeof err), DS_ERR_PARSE);
    cJSON_Delete(o);
}

static void test_p256(void **state) {
    (void)state;
    uint8_t k[32], xy[64], sig[64];
    assert_int_equal(ds_p256_scalar_from_seed((const uint8_t *)"seed", 4, "info", k), DS_OK);
    EVP_PKEY *key = ds_p256_from_scalar(k);
    assert_non_null(key);
    assert_int_equal(ds_p256_pub_xy(key, xy), DS_OK);
    assert_int_equal(ds_p256_sign(key, (const uint8_t *)"msg", 3, sig), DS_OK);
    assert_int_equal(ds_p256_verify(xy, (const uint8_t *)"msg", 3, sig), DS_OK);
    assert_int_equal(ds_p256_verify(xy, (const uint8_t *)"msh", 3, sig), DS_ERR_VERIFY);
    memset(k, 0, 32);
    assert_null(ds_p256_from_scalar(k));
    memset(k, 0xff, 32);
    assert_null(ds_p256_from_scalar(k));
    EVP_PKEY_free(key);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_runtime_digest_vectors),
        cmocka_unit_test(test_eventlog_json_roundtrip),
        cmocka_unit_test(test_quote_roundtrip),
        cmocka_unit_test(test_variants_roundtrip),
        cmocka_unit_test(test_json_writer_and_fields),
        cmocka_unit_test(test_p256),
    };
    return cmocka_run_group_tests_name("sim_lib", tests, NULL, NULL);
}
