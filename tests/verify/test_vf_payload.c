/* test_vf_payload.c — the quote mode's payload checks (verifier/vf_payload.c): expected
 * report_data in each mode, ts / nonce fields, the freshness window and its edges, replay
 * keys, and the nonce set with its file.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "unit_util.h"
#include "vf_payload.h"

#define T(s) (const uint8_t *)(s), strlen(s)

static void test_expected_report_data(void **state) {
    (void)state;
    uint8_t rd[64];
    assert_int_equal(vf_expected_report_data(T("test"), VF_RD_RAW, NULL, rd), DS_OK);
    assert_hex_equal(rd, 8, "7465737400000000");
    uint8_t zero[60] = {0};
    assert_memory_equal(rd + 4, zero, 60);
    uint8_t big[65];
    memset(big, 'a', sizeof big);
    assert_int_equal(vf_expected_report_data(big, 64, VF_RD_RAW, NULL, rd), DS_OK);
    assert_int_equal(vf_expected_report_data(big, 65, VF_RD_RAW, NULL, rd), DS_ERR_LEN);
    /* spec vectors: sha512("app-data:test"), keccak256("app-data:test") */
    assert_int_equal(vf_expected_report_data(T("test"), VF_RD_APP_DATA, NULL, rd), DS_OK);
    assert_hex_equal(rd, 64,
                     "1864e059be7e1ec12d9fe9da903d3711e0d72edab19f044cc9d6ac90c32b996b"
                     "545a9979309bd19c36b803941e8e3485115e9b794001f2b9f367f6e03c52e532");
    assert_int_equal(vf_expected_report_data(T("test"), VF_RD_APP_DATA, "keccak256", rd), DS_OK);
    assert_hex_equal(rd, 32, "b877945563d5025eec520b6bb150efcf4c368c491ff1947529be3125d4e5ecb6");
    assert_memory_equal(rd + 32, zero, 32);
    /* sha256("abc") */
    assert_int_equal(vf_expected_report_data(T("abc"), VF_RD_HASH, "sha256", rd), DS_OK);
    assert_hex_equal(rd, 32, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    assert_int_equal(vf_expected_report_data(T("abc"), VF_RD_HASH, "md5", rd), DS_ERR_ALG);
    assert_int_equal(vf_expected_report_data(T("abc"), VF_RD_HASH, NULL, rd), DS_ERR_ALG);
    assert_int_equal(vf_expected_report_data(NULL, 0, VF_RD_RAW, NULL, rd), DS_OK);
}

static vf_payload_fields fields(const char *p) {
    vf_payload_fields f;
    if (vf_payload_fields_parse(T(p), &f) != 0) fail_msg("%s: %s", p, f.err);
    return f;
}

static void fields_err(const char *p, const char *want) {
    vf_payload_fields f;
    assert_int_equal(vf_payload_fields_parse(T(p), &f), -1);
    if (!strstr(f.err, want)) fail_msg("%s: error \"%s\" lacks \"%s\"", p, f.err, want);
}

static void test_fields(void **state) {
    (void)state;
    vf_payload_fields f = fields("register||alice||ts=1767225600||nonce=9f1c2b");
    assert_true(f.has_ts);
    assert_int_equal(f.ts, 1767225600);
    assert_true(f.has_nonce);
    assert_string_equal(f.nonce, "9f1c2b");
    f = fields("nonce=abc");
    assert_false(f.has_ts);
    assert_string_equal(f.nonce, "abc");
    f = fields("user_id:alice");
    assert_false(f.has_ts || f.has_nonce);
    f = fields("xts=5||tsx=6||a=ts=7"); /* only exact keys count */
    assert_false(f.has_ts);
    f = fields("{\"user\":\"alice\",\"ts\":1767225600,\"nonce\":\"n-1\"}");
    assert_int_equal(f.ts, 1767225600);
    assert_string_equal(f.nonce, "n-1");
    f = fields(" {\"timestamp\":\"1767225600\"}");
    assert_int_equal(f.ts, 1767225600);
    f = fields("{not json||ts=12"); /* not JSON: fields apply */
    assert_int_equal(f.ts, 12);
    f = fields("");
    assert_false(f.has_ts);
    fields_err("ts=1||ts=2", "two ts");
    fields_err("nonce=a||nonce=b", "two nonce");
    fields_err("ts=12a", "not a Unix time");
    fields_err("ts=", "not a Unix time");
    fields_err("ts=-5", "not a Unix time");
    fields_err("nonce=", "empty");
    fields_err("nonce=a b", "whitespace");
    fields_err("{\"ts\":-1}", "not a Unix time");
    fields_err("{\"ts\":1.5}", "not a Unix time");
    fields_err("{\"ts\":true}", "not a Unix time");
    fields_err("{\"ts\":1,\"timestamp\":2}", "both");
    fields_err("{\"nonce\":5}", "not a string");
    char longn[200];
    snprintf(longn, sizeof longn, "nonce=%0130d", 7);
    fields_err(longn, "longer than 128");
}

static void test_freshness(void **state) {
    (void)state;
    char msg[300];
    vf_payload_fields f = fields("ts=1000");
    int64_t now = 1000 + VF_DEFAULT_MAX_AGE;
    assert_int_equal(vf_check_freshness(&f, now, -1, msg, sizeof msg), 0); /* exactly the window */
    assert_int_equal(vf_check_freshness(&f, now + 1, -1, msg, sizeof msg),
                     -1); /* one second over */
    assert_non_null(strstr(msg, "is stale: 301 s old, window 300 s"));
    assert_int_equal(vf_check_freshness(&f, 5000, 4000, msg, sizeof msg), 0); /* explicit window */
    assert_int_equal(vf_check_freshness(&f, 5000, 3999, msg, sizeof msg), -1);
    assert_int_equal(vf_check_freshness(&f, 1000 - VF_MAX_SKEW, -1, msg, sizeof msg), 0);
    assert_int_equal(vf_check_freshness(&f, 1000 - VF_MAX_SKEW - 1, -1, msg, sizeof msg), -1);
    assert_non_null(strstr(msg, "in the future"));
    f = fields("no-timestamp");
    assert_int_equal(vf_check_freshness(&f, 5000, -1, msg, sizeof msg), 0);
    assert_non_null(strstr(msg, "not timestamped"));
    assert_int_equal(vf_check_freshness(&f, 5000, 60, msg, sizeof msg), -1);
    assert_non_null(strstr(msg, "carries no timestamp"));
}

static void test_replay_key(void **state) {
    (void)state;
    uint8_t rd[64] = {0xab};
    char key[200];
    vf_payload_fields f = fields("x||nonce=n1");
    vf_replay_key(&f, rd, key, sizeof key);
    assert_string_equal(key, "nonce:n1");
    f = fields("x");
    vf_replay_key(&f, rd, key, sizeof key);
    assert_int_equal(strlen(key), 3 + 128);
    assert_memory_equal(key, "rd:ab00", 7);
}

static void test_nonce_set(void **state) {
    (void)state;
    char err[300];
    vf_nonce_set s;
    vf_nonce_set_init(&s);
    assert_false(vf_nonce_set_has(&s, "nonce:a"));
    assert_int_equal(vf_nonce_set_add(&s, "nonce:a", err, sizeof err), DS_OK);
    assert_true(vf_nonce_set_has(&s, "nonce:a"));
    assert_false(vf_nonce_set_has(&s, "nonce:b"));
    for (int i = 0; i < 100; i++) {
        char k[32];
        snprintf(k, sizeof k, "nonce:%d", i);
        assert_int_equal(vf_nonce_set_add(&s, k, err, sizeof err), DS_OK);
    }
    assert_true(vf_nonce_set_has(&s, "nonce:99"));
    vf_nonce_set_free(&s);

    char dir[] = "/tmp/vf-nonce-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[128];
    snprintf(path, sizeof path, "%s/store", dir);
    vf_nonce_set_init(&s);
    assert_int_equal(vf_nonce_set_open(&s, path, err, sizeof err), DS_OK); /* missing = empty */
    assert_int_equal(s.n, 0);
    assert_int_equal(vf_nonce_set_add(&s, "nonce:x", err, sizeof err), DS_OK);
    vf_nonce_set_free(&s);
    FILE *fp = fopen(path, "a");
    assert_non_null(fp);
    fputs("# comment\n\nnonce:y\r\n", fp);
    fclose(fp);
    vf_nonce_set_init(&s);
    assert_int_equal(vf_nonce_set_open(&s, path, err, sizeof err), DS_OK);
    assert_int_equal(s.n, 2);
    assert_true(vf_nonce_set_has(&s, "nonce:x"));
    assert_true(vf_nonce_set_has(&s, "nonce:y"));
    vf_nonce_set_free(&s);
    vf_nonce_set_init(&s);
    assert_int_equal(vf_nonce_set_open(&s, dir, err, sizeof err), DS_ERR_IO); /* a directory */
    vf_nonce_set_free(&s);
    unlink(path);
    rmdir(dir);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_expected_report_data),
        cmocka_unit_test(test_fields),
        cmocka_unit_test(test_freshness),
        cmocka_unit_test(test_replay_key),
        cmocka_unit_test(test_nonce_set),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
