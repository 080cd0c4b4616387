/* test_sim_dstack.c — every dstack-socket method against a simulator started with the
 * repository's appkeys.json (root mode), checked against values computed here from the
 * same public inputs: the KMS root key, app-compose.json and the instance seed.
 */
#include "sim_testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ds_chain.h"
#include "ds_ed25519.h"
#include "ds_eventlog.h"
#include "ds_hash.h"
#include "ds_hex.h"
#include "ds_kdf.h"
#include "ds_quote.h"
#include "ds_secp.h"

static ds_testsim *sim;
static const char *S; /* dstack socket */
static uint8_t root_key[32], root_addr[20], app_id[20], app_key[32], compose_hash[32];

static int setup(void **state) {
    (void)state;
    const char *args[] = {"--config", "appkeys.json", NULL};
    sim = tu_start(args);
    if (!sim) return -1;
    S = sim->dstack_sock;
    size_t n;
    char *compose = tu_read("app-compose.json", &n);
    ds_sha256((uint8_t *)compose, n, compose_hash);
    free(compose);
    memcpy(app_id, compose_hash, 20);
    tu_repo_root_key(root_key);
    ds_secp_priv_address(root_key, root_addr);
    ds_kdf_app_key(root_key, app_id, app_key);
    return 0;
}

static int teardown(void **state) {
    (void)state;
    return tu_stop(sim);
}

static void test_get_meta(void **state) {
    (void)state;
    cJSON *m = tu_ok(S, "/GetMeta", NULL);
    uint8_t pub[33], exp_pub[33];
    char addr[43];
    tu_hex(tu_str(m, "k256_pubkey"), pub, 33);
    ds_secp_pubkey(root_key, exp_pub, 33);
    assert_memory_equal(pub, exp_pub, 33);
    assert_string_equal(tu_str(m, "k256_address"), ds_eth_checksum(root_addr, addr));
    assert_string_equal(tu_str(m, "mode"), "root");
    assert_string_equal(tu_str(m, "mismatch"), "none");
    char hex[41];
    assert_string_equal(tu_str(m, "app_id"), ds_hex_encode(app_id, 20, hex));
    cJSON_Delete(m);
}

/* GetKey for several paths/purposes/algorithms: exact key bytes and a chain that
 * verifies to the published root. */
static void test_get_key_chain(void **state) {
    (void)state;
    static const struct { const char *path, *purpose, *alg; } cases[] = {
        {"test", "signing", "secp256k1"}, {"wallet/ethereum", "mainnet", ""},
        {"", "", "k256"},                 {"test", "signing", "ed25519"},
        {"caf\xc3\xa9/\xe2\x82\xac", "p\"q", "secp256k1"}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        cJSON *args = cJSON_CreateObject();
        cJSON_AddStringToObject(args, "path", cases[i].path);
        cJSON_AddStringToObject(args, "purpose", cases[i].purpose);
        cJSON_AddStringToObject(args, "algorithm", cases[i].alg);
        char *body = cJSON_PrintUnformatted(args);
        cJSON *r = tu_ok(S, "/GetKey", body);
        const char *const fields[] = {"key", "signature_chain", NULL};
        tu_assert_fields(r, fields);
        uint8_t key[32], exp[32], l0[65], l1[65], pub[33];
        tu_hex(tu_str(r, "key"), key, 32);
        ds_kdf_path_key(app_key, cases[i].path, strlen(cases[i].path), exp);
        assert_memory_equal(key, exp, 32);
        const cJSON *ch = cJSON_GetObjectItem(r, "signature_chain");
        assert_int_equal(cJSON_GetArraySize(ch), 2);
        tu_hex(cJSON_GetArrayItem(ch, 0)->valuestring, l0, 65);
        tu_hex(cJSON_GetArrayItem(ch, 1)->valuestring, l1, 65);
        size_t pl = 33;
        if (!strcmp(cases[i].alg, "ed25519")) {
            ds_ed25519_pubkey(key, pub);
            pl = 32;
        } else {
            ds_secp_pubkey(key, pub, 33);
        }
        ds_chain_result res;
        assert_int_equal(ds_chain_verify(pub, pl, cases[i].purpose, strlen(cases[i].purpose), l0,
                                         l1, app_id, root_addr, &res),
                         DS_OK);
        assert_int_equal(res.status, DS_CHAIN_VALID);
        cJSON_Delete(r);
        free(body);
        cJSON_Delete(args);
    }
    tu_err(S, "/GetKey", "{\"path\":\"a\",\"algorithm\":\"secp256k1_prehashed\"}",
           "Unsupported algorithm");
    tu_err(S, "/GetKey", "{\"path\":\"a\",\"algorithm\":\"rsa\"}", "Unsupported algorithm");
    tu_err(S, "/GetKey", "{\"path\":5}", "path");
}

static void check_quote(const uint8_t *q, size_t qn, const uint8_t rd[64], const char *log_json,
                        uint8_t rtmr_out[4][48]) {
    ds_quote p;
    assert_true(qn >= DS_QUOTE_MIN_LEN);
    assert_int_equal(ds_quote_parse(q, qn, &p), DS_OK);
    assert_int_equal(p.header.version, 4);
    assert_int_equal(p.header.tee_type, 0x81);
    assert_memory_equal(q + 568, rd, 64);
    assert_memory_equal(p.report.report_data, rd, 64);
    assert_true(p.report.td_attributes[3] & 0x10);
    assert_false(p.report.td_attributes[0] & 0x01);
    uint8_t cfg[48];
    ds_mr_config_id_from_compose(compose_hash, cfg);
    assert_memory_equal(p.report.mr_config_id, cfg, 48);
    assert_int_equal(p.cert_type, DS_CERT_TYPE_QE_REPORT);
    assert_int_equal(p.inner_cert_type, DS_CERT_TYPE_PCK_CHAIN);
    assert_int_equal(ds_quote_verify_att_sig(q, qn), DS_OK);
    /* the QE report binds the attestation key */
    uint8_t buf[64 + 32], h[32];
    memcpy(buf, p.att_pub, 64);
    memcpy(buf + 64, p.qe_auth_data, p.qe_auth_len);
    ds_sha256(buf, 64 + p.qe_auth_len, h);
    assert_memory_equal(p.qe_report + 320, h, 32);
    /* RTMRs = replay of the log served with the quote */
    ds_eventlog log;
    char err[128];
    assert_int_equal(ds_eventlog_parse_json(log_json, strlen(log_json), &log, err, sizeof err), DS_OK);
    ds_eventlog_fill_digests(&log);
    uint8_t rtmr[4][48];
    ds_eventlog_replay(&log, rtmr);
    assert_memory_equal(p.report.rt_mr, rtmr, sizeof rtmr);
    if (rtmr_out) memcpy(rtmr_out, rtmr, sizeof rtmr);
    const ds_event *e = ds_eventlog_find_boot_runtime(&log, "app-id");
    assert_non_null(e);
    assert_int_equal(e->payload_len, 20);
    assert_memory_equal(e->payload, app_id, 20);
    e = ds_eventlog_find_boot_runtime(&log, "compose-hash");
    assert_non_null(e);
    assert_memory_equal(e->payload, compose_hash, 32);
    ds_eventlog_free(&log);
}

static void test_get_quote(void **state) {
    (void)state;
    cJSON *r = tu_ok(S, "/GetQuote", "{\"report_data\":\"0xdeadbeef\"}");
    const char *const fields[] = {"quote", "event_log", "report_data", "vm_config", NULL};
    tu_assert_fields(r, fields);
    uint8_t rd[64] = {0xde, 0xad, 0xbe, 0xef};
    char hex[129];
    assert_string_equal(tu_str(r, "report_data"), ds_hex_encode(rd, 64, hex));
    size_t qn;
    uint8_t *q = tu_hex_alloc(tu_str(r, "quote"), &qn);
    check_quote(q, qn, rd, tu_str(r, "event_log"), NULL);
    cJSON *vm = cJSON_Parse(tu_str(r, "vm_config"));
    assert_non_null(cJSON_GetObjectItem(vm, "os_image_hash"));
    cJSON_Delete(vm);
    free(q);
    cJSON_Delete(r);
    /* exactly 64 bytes is fine, 65 is not */
    char body[200];
    memset(hex, 'a', 128);
    hex[128] = '\0';
    snprintf(body, sizeof body, "{\"report_data\":\"%s\"}", hex);
    cJSON_Delete(tu_ok(S, "/GetQuote", body));
    snprintf(body, sizeof body, "{\"report_data\":\"%saa\"}", hex);
    tu_err(S, "/GetQuote", body, "Report data is too long");
    tu_err(S, "/GetQuote", "{\"report_data\":\"abc\"}", "report_data");
    tu_err(S, "/GetQuote", "{\"report_data\":\"zz\"}", "report_data");
    tu_err(S, "/Attest", body, "Report data is too long");
}

static void test_info(void **state) {
    (void)state;
    cJSON *r = tu_ok(S, "/Info", "{}");
    const char *const fields[] = {"app_id", "instance_id", "app_cert", "tcb_info", "app_name",
                                  "device_id", "mr_aggregated", "os_image_hash",
                                  "key_provider_info", "compose_hash", "vm_config",
                                  "cloud_vendor", "cloud_product", NULL};
    tu_assert_fields(r, fields);
    char hex[129];
    assert_string_equal(tu_str(r, "app_id"), ds_hex_encode(app_id, 20, hex));
    assert_string_equal(tu_str(r, "compose_hash"), ds_hex_encode(compose_hash, 32, hex));
    assert_string_equal(tu_str(r, "device_id"),
                        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    assert_string_equal(tu_str(r, "app_name"), "dstack-simulator-demo");
    /* instance_id = sha256(seed ‖ app_id)[:20] */
    size_t n;
    char *txt = tu_read("appkeys.json", &n);
    cJSON *cfg = cJSON_Parse(txt);
    free(txt);
    uint8_t buf[40], h[32];
    tu_hex(tu_str(cfg, "instance_seed"), buf, 20);
    cJSON_Delete(cfg);
    memcpy(buf + 20, app_id, 20);
    ds_sha256(buf, 40, h);
    assert_string_equal(tu_str(r, "instance_id"), ds_hex_encode(h, 20, hex));
    assert_non_null(strstr(tu_str(r, "app_cert"), "-----BEGIN CERTIFICATE-----"));
    assert_non_null(strstr(tu_str(r, "key_provider_info"), "\"name\":\"kms\""));

    cJSON *tcb = cJSON_Parse(tu_str(r, "tcb_info"));
    assert_non_null(tcb);
    const char *const tf[] = {"mrtd", "rtmr0", "rtmr1", "rtmr2", "rtmr3", "mr_aggregated",
                              "os_image_hash", "compose_hash", "device_id", "event_log",
                              "app_compose", NULL};
    tu_assert_fields(tcb, tf);
    char *compose = tu_read("app-compose.json", &n);
    assert_string_equal(tu_str(tcb, "app_compose"), compose);
    free(compose);
    ds_eventlog log;
    char err[128];
    assert_int_equal(ds_eventlog_from_cjson(cJSON_GetObjectItem(tcb, "event_log"), &log, err,
                                            sizeof err), DS_OK);
    assert_true(log.n > 9);
    uint8_t rtmr[4][48], mrtd[48], agg[8 * 48], cfgid[48];
    ds_eventlog_replay(&log, rtmr);
    ds_eventlog_free(&log);
    static const char *const names[] = {"rtmr0", "rtmr1", "rtmr2", "rtmr3"};
    for (int i = 0; i < 4; i++)
        assert_string_equal(tu_str(tcb, names[i]), ds_hex_encode(rtmr[i], 48, hex));
    /* mr_aggregated = sha256(mrtd ‖ rtmr0..3 ‖ mr_config_id ‖ mr_owner ‖ mr_owner_config) */
    tu_hex(tu_str(tcb, "mrtd"), mrtd, 48);
    memcpy(agg, mrtd, 48);
    memcpy(agg + 48, rtmr, 192);
    ds_mr_config_id_from_compose(compose_hash, cfgid);
    memcpy(agg + 240, cfgid, 48);
    memset(agg + 288, 0, 96);
    ds_sha256(agg, 384, h);
    assert_string_equal(tu_str(r, "mr_aggregated"), ds_hex_encode(h, 32, hex));
    assert_string_equal(tu_str(tcb, "mr_aggregated"), hex);
    cJSON_Delete(tcb);
    cJSON_Delete(r);
}

static void info_rtmr3(uint8_t out[48], char *app_id_hex) {
    cJSON *r = tu_ok(S, "/Info", NULL);
    cJSON *tcb = cJSON_Parse(tu_str(r, "tcb_info"));
    tu_hex(tu_str(tcb, "rtmr3"), out, 48);
    strcpy(app_id_hex, tu_str(r, "app_id"));
    cJSON_Delete(tcb);
    cJSON_Delete(r);
}

static void test_emit_event(void **state) {
    (void)state;
    uint8_t before[48], after[48], d[48];
    char id0[41], id1[41];
    info_rtmr3(before, id0);
    cJSON *r = tu_ok(S, "/EmitEvent", "{\"event\":\"my-event\",\"payload\":\"cafe\"}");
    assert_true(cJSON_IsNull(r));
    cJSON_Delete(r);
    info_rtmr3(after, id1);
    ds_event_runtime_digest("my-event", 8, (const uint8_t *)"\xca\xfe", 2, d);
    ds_rtmr_extend(before, d, 48);
    assert_memory_equal(before, after, 48);
    /* an event after system-ready cannot override the app id */
    cJSON_Delete(tu_ok(S, "/EmitEvent", "{\"event\":\"app-id\",\"payload\":\"0000000000000000000000000000000000000000\"}"));
    info_rtmr3(after, id1);
    assert_string_equal(id0, id1);
    cJSON *q = tu_ok(S, "/GetQuote", "{}");
    uint8_t rd[64] = {0};
    size_t qn;
    uint8_t *qb = tu_hex_alloc(tu_str(q, "quote"), &qn);
    uint8_t rtmr[4][48];
    check_quote(qb, qn, rd, tu_str(q, "event_log"), rtmr); /* also checks app-id is the first one */
    assert_memory_equal(rtmr[3], after, 48);
    free(qb);
    cJSON_Delete(q);
    tu_err(S, "/EmitEvent", "{\"event\":\"\",\"payload\":\"00\"}", "empty");
    tu_err(S, "/EmitEvent", "{\"event\":\"x\",\"payload\":\"0g\"}", "payload");
}

/* SCALE helpers for reading the attestation */
static size_t scale_compact(const uint8_t *p, size_t *off) {
    uint8_t m = p[*off] & 3;
    size_t v;
    if (m == 0) { v = p[*off] >> 2; *off += 1; }
    else if (m == 1) { v = (size_t)((p[*off] | p[*off + 1] << 8) >> 2); *off += 2; }
    else { v = (size_t)(((uint32_t)p[*off] | (uint32_t)p[*off + 1] << 8 | (uint32_t)p[*off + 2] << 16 | (uint32_t)p[*off + 3] << 24) >> 2); *off += 4; }
    return v;
}

static void test_attest(void **state) {
    (void)state;
    cJSON *r = tu_ok(S, "/Attest", "{\"report_data\":\"0102\"}");
    const char *const fields[] = {"attestation", NULL};
    tu_assert_fields(r, fields);
    size_t n, off = 2;
    uint8_t *a = tu_hex_alloc(tu_str(r, "attestation"), &n);
    assert_int_equal(a[0], 0);
    assert_int_equal(a[1], 0);
    size_t ql = scale_compact(a, &off);
    uint8_t rd[64] = {1, 2};
    ds_quote q;
    assert_int_equal(ds_quote_parse(a + off, ql, &q), DS_OK);
    assert_memory_equal(q.report.report_data, rd, 64);
    off += ql;
    size_t nev = scale_compact(a, &off), nrt = 0;
    for (size_t i = 0; i < nev; i++) {
        uint32_t imr = a[off];
        off += 8;
        size_t l = scale_compact(a, &off); off += l;
        l = scale_compact(a, &off); off += l;
        l = scale_compact(a, &off); off += l;
        if (imr == 3) nrt++;
    }
    assert_int_equal(scale_compact(a, &off), nrt);
    for (size_t i = 0; i < nrt; i++) {
        size_t l = scale_compact(a, &off); off += l;
        l = scale_compact(a, &off); off += l;
    }
    assert_memory_equal(a + off, rd, 64);
    off += 64;
    size_t cl = scale_compact(a, &off);
    assert_int_equal(off + cl, n);
    free(a);
    cJSON_Delete(r);
}

static void test_sign_verify(void **state) {
    (void)state;
    cJSON *gk = tu_ok(S, "/GetKey", "{\"path\":\"vms\",\"purpose\":\"signing\"}");
    const cJSON *gch = cJSON_GetObjectItem(gk, "signature_chain");
    /* secp256k1 over sha256("hello") */
    cJSON *r = tu_ok(S, "/Sign", "{\"algorithm\":\"secp256k1\",\"data\":\"68656c6c6f\"}");
    const char *const fields[] = {"signature", "signature_chain", "public_key", NULL};
    tu_assert_fields(r, fields);
    uint8_t sig[64], pub[33], d[32], key[32], pk[33];
    tu_hex(tu_str(r, "signature"), sig, 64);
    tu_hex(tu_str(r, "public_key"), pub, 33);
    ds_kdf_path_key(app_key, "vms", 3, key);
    ds_secp_pubkey(key, pk, 33);
    assert_memory_equal(pub, pk, 33);
    ds_sha256((const uint8_t *)"hello", 5, d);
    assert_int_equal(ds_secp_verify(pub, 33, d, sig), DS_OK);
    const cJSON *ch = cJSON_GetObjectItem(r, "signature_chain");
    assert_int_equal(cJSON_GetArraySize(ch), 3);
    assert_string_equal(cJSON_GetArrayItem(ch, 0)->valuestring, tu_str(r, "signature"));
    assert_string_equal(cJSON_GetArrayItem(ch, 1)->valuestring, cJSON_GetArrayItem(gch, 0)->valuestring);
    assert_string_equal(cJSON_GetArrayItem(ch, 2)->valuestring, cJSON_GetArrayItem(gch, 1)->valuestring);
    /* Verify: true, then false with a flipped data byte */
    char body[512];
    snprintf(body, sizeof body,
             "{\"algorithm\":\"secp256k1\",\"data\":\"68656c6c6f\",\"signature\":\"%s\",\"public_key\":\"%s\"}",
             tu_str(r, "signature"), tu_str(r, "public_key"));
    cJSON *v = tu_ok(S, "/Verify", body);
    assert_true(cJSON_IsTrue(cJSON_GetObjectItem(v, "valid")));
    cJSON_Delete(v);
    snprintf(body, sizeof body,
             "{\"algorithm\":\"secp256k1\",\"data\":\"68656c6c6e\",\"signature\":\"%s\",\"public_key\":\"%s\"}",
             tu_str(r, "signature"), tu_str(r, "public_key"));
    v = tu_ok(S, "/Verify", body);
    assert_true(cJSON_IsFalse(cJSON_GetObjectItem(v, "valid")));
    cJSON_Delete(v);
    snprintf(body, sizeof body,
             "{\"algorithm\":\"secp256k1\",\"data\":\"00\",\"signature\":\"%s\",\"public_key\":\"02ff\"}",
             tu_str(r, "signature"));
    tu_err(S, "/Verify", body, "public key");
    cJSON_Delete(r);
    /* prehashed */
    r = tu_ok(S, "/Sign", "{\"algorithm\":\"secp256k1_prehashed\",\"data\":\"2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824\"}");
    tu_hex(tu_str(r, "signature"), sig, 64);
    assert_int_equal(ds_secp_verify(pub, 33, d, sig), DS_OK);
    cJSON_Delete(r);
    tu_err(S, "/Sign", "{\"algorithm\":\"secp256k1_prehashed\",\"data\":\"00\"}",
           "Pre-hashed signing requires a 32-byte digest, but received 1 bytes");
    /* ed25519 */
    r = tu_ok(S, "/Sign", "{\"algorithm\":\"ed25519\",\"data\":\"68656c6c6f\"}");
    uint8_t epub[32], eexp[32];
    tu_hex(tu_str(r, "public_key"), epub, 32);
    ds_ed25519_pubkey(key, eexp);
    assert_memory_equal(epub, eexp, 32);
    tu_hex(tu_str(r, "signature"), sig, 64);
    assert_int_equal(ds_ed25519_verify(epub, (const uint8_t *)"hello", 5, sig), DS_OK);
    snprintf(body, sizeof body,
             "{\"algorithm\":\"ed25519\",\"data\":\"68656c6c6f\",\"signature\":\"%s\",\"public_key\":\"%s\"}",
             tu_str(r, "signature"), tu_str(r, "public_key"));
    v = tu_ok(S, "/Verify", body);
    assert_true(cJSON_IsTrue(cJSON_GetObjectItem(v, "valid")));
    cJSON_Delete(v);
    cJSON_Delete(r);
    tu_err(S, "/Sign", "{\"algorithm\":\"rsa\",\"data\":\"00\"}", "Unsupported algorithm");
    cJSON_Delete(gk);
}

static void test_version_and_get(void **state) {
    (void)state;
    int st;
    cJSON *r = tu_get(S, "/Version", &st);
    assert_int_equal(st, 200);
    const char *const fields[] = {"version", "rev", NULL};
    tu_assert_fields(r, fields);
    assert_string_equal(tu_str(r, "version"), "0.5.11");
    cJSON_Delete(r);
    /* GET with a query string == POST with JSON */
    cJSON *g = tu_get(S, "/GetKey?path=a%2Fb&purpose=x+y", &st);
    assert_int_equal(st, 200);
    cJSON *p = tu_ok(S, "/GetKey", "{\"path\":\"a/b\",\"purpose\":\"x y\"}");
    assert_string_equal(tu_str(g, "key"), tu_str(p, "key"));
    char *a = cJSON_PrintUnformatted(g), *b = cJSON_PrintUnformatted(p);
    assert_string_equal(a, b);
    free(a);
    free(b);
    cJSON_Delete(g);
    cJSON_Delete(p);
    r = tu_get(S, "/GetQuote?report_data=00ff", &st);
    assert_int_equal(st, 200);
    assert_memory_equal(tu_str(r, "report_data"), "00ff0000", 8);
    cJSON_Delete(r);
    r = tu_get(S, "/GetKey?path=%zz", &st);
    assert_int_equal(st, 400);
    cJSON_Delete(r);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_get_meta),     cmocka_unit_test(test_get_key_chain),
        cmocka_unit_test(test_get_quote),    cmocka_unit_test(test_info),
        cmocka_unit_test(test_emit_event),   cmocka_unit_test(test_attest),
        cmocka_unit_test(test_sign_verify),  cmocka_unit_test(test_version_and_get),
    };
    return cmocka_run_group_tests_name("sim_dstack", tests, setup, teardown);
}
