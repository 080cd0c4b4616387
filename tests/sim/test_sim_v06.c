/* test_sim_v06.c — --agent-version 0.6.0 over real sockets: the version everywhere, the
 * frozen v0 surface (/ and /v0, byte-identical), the status codes of PR #1105 (404 unknown
 * method, 404 no mount, 413), the frozen v0 methods' changed errors, Verify's quirks, the
 * TCP listener, chunked bodies, an empty certificate subject; and the 0.5.11 default's
 * surface with --emit-event refuse (upstream's simulator answer, byte for byte). Values
 * from guest-api-0.6.md §2.3–§2.6. The v1 API is in test_sim_v06_v1.c, the Worker API in
 * test_sim_v06_worker.c; the shared simulator and helpers in sim_v06util.c.
 */
#include "sim_v06util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/pem.h>
#include <openssl/x509.h>

#include "ds_hex.h"

static void test_version_everywhere(void **state) {
    (void)state;
    const char *paths[] = {"/Version", "/v0/Version", "/v1/Version"};
    for (size_t i = 0; i < 3; i++) {
        cJSON *v = tu_ok(S, paths[i], "{}");
        assert_string_equal(tu_str(v, "version"), "0.6.0");
        cJSON_Delete(v);
    }
    cJSON *v = tu_ok(X, "/prpc/Worker.Version", "{}");
    assert_string_equal(tu_str(v, "version"), "0.6.0");
    cJSON_Delete(v);
    v = tu_ok(X, "/prpc/v1/Version", "{}");
    assert_string_equal(tu_str(v, "version"), "0.6.0");
    cJSON_Delete(v);
}

/* /v0/<Method> is the same handler as /<Method>: byte-identical replies. */
static void test_v0_alias(void **state) {
    (void)state;
    const char *calls[][2] = {{"GetKey", "{\"path\":\"a/b\",\"purpose\":\"p\"}"},
                              {"Info", "{}"},
                              {"Sign", "{\"algorithm\":\"ed25519\",\"data\":\"00ff\"}"},
                              {"GetMeta", "{}"}};
    for (size_t i = 0; i < 4; i++) {
        char p0[64], p1[64];
        snprintf(p0, sizeof p0, "/%s", calls[i][0]);
        snprintf(p1, sizeof p1, "/v0/%s", calls[i][0]);
        int s0, s1;
        char *b0 = tu_raw(S, "POST", p0, calls[i][1], &s0, NULL);
        char *b1 = tu_raw(S, "POST", p1, calls[i][1], &s1, NULL);
        assert_int_equal(s0, 200);
        assert_int_equal(s1, 200);
        assert_string_equal(b0, b1);
        free(b0);
        free(b1);
    }
}

static void test_status_codes(void **state) {
    (void)state;
    want_error(S, "/Nope", NULL, 404, "Service not found: Nope");
    want_error(S, "/v0/Nope", NULL, 404, "Service not found: Nope");
    /* Absent from v1 by design. */
    const char *gone[] = {"Sign", "Verify", "GetQuote", "EmitEvent", "GetTlsKey", "GpuInfo"};
    for (size_t i = 0; i < 6; i++) {
        char p[64], m[96];
        snprintf(p, sizeof p, "/v1/%s", gone[i]);
        snprintf(m, sizeof m, "Service not found: %s", gone[i]);
        want_error(S, p, NULL, 404, m);
    }
    /* No mount: 404 with a JSON error that says where the API is. */
    const char *nomount[] = {"/v2/GetKey", "/a/b", "/v1/GetKey/x", "/prpc/Worker.Info"};
    for (size_t i = 0; i < 4; i++) {
        int st;
        cJSON *j = tu_post(S, nomount[i], "{}", &st);
        assert_int_equal(st, 404);
        assert_non_null(strstr(tu_str(j, "error"), "no route for"));
        assert_non_null(strstr(tu_str(j, "error"), "/v1/<Method>"));
        cJSON_Delete(j);
    }
    /* Over the body cap: 413 at once, from the declared length. */
    int st;
    size_t n;
    const char *big = "POST /v1/GetKey HTTP/1.1\r\nContent-Length: 99999999\r\n\r\n{";
    char *resp = tu_exchange(S, big, strlen(big), 0, 1, 5000, &n, NULL);
    const char *body;
    size_t bl;
    assert_int_equal(tu_parse_response(resp, n, &st, &body, &bl, NULL), 0);
    assert_int_equal(st, 413);
    assert_non_null(strstr(body, "payload too large"));
    free(resp);
}

static void test_frozen_v0_changes(void **state) {
    (void)state;
    want_error(S, "/EmitEvent", "{\"event\":\"e\",\"payload\":\"00\"}", 400,
               "EmitEvent was removed in dstack 0.6.0; runtime RTMR3 events are system-owned "
               "and cannot be extended by apps");
    want_error(S, "/v0/EmitEvent", "{\"event\":\"e\"}", 400,
               "EmitEvent was removed in dstack 0.6.0; runtime RTMR3 events are system-owned "
               "and cannot be extended by apps");
    want_error(S, "/GetTlsKey", "{\"subject\":\"x\",\"not_before\":2000,\"not_after\":2000}", 400,
               "not_before must be earlier than not_after");
    want_error(S, "/Sign", "{\"algorithm\":\"\",\"data\":\"00\"}", 400, "Unsupported algorithm");
    want_error(S, "/Sign", "{\"algorithm\":\"rsa\",\"data\":\"00\"}", 400, "Unsupported algorithm");
    want_error(S, "/Verify",
               "{\"algorithm\":\"\",\"data\":\"00\",\"signature\":\"00\","
               "\"public_key\":\"00\"}",
               400, "Unsupported algorithm");
}

static const uint8_t N[32] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                              0xff, 0xff, 0xff, 0xff, 0xfe, 0xba, 0xae, 0xdc, 0xe6, 0xaf, 0x48,
                              0xa0, 0x3b, 0xbf, 0xd2, 0x5e, 0x8c, 0xd0, 0x36, 0x41, 0x41};

static int verify(const char *alg, const char *data_hex, const uint8_t sig[64], const char *pub) {
    char sh[129], body[1024];
    ds_hex_encode(sig, 64, sh);
    snprintf(body, sizeof body,
             "{\"algorithm\":\"%s\",\"data\":\"%s\",\"signature\":\"%s\",\"public_key\":\"%s\"}",
             alg, data_hex, sh, pub);
    cJSON *j = tu_ok(S, "/Verify", body);
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, "valid");
    assert_true(cJSON_IsBool(v));
    int r = cJSON_IsTrue(v);
    cJSON_Delete(j);
    return r;
}

/* Verify's documented quirks: high-S is a valid:false (not a 400); a prehashed digest of
 * 16–31 bytes is left-padded, a longer one truncated to 32, a shorter one never valid. */
static void test_verify_quirks(void **state) {
    (void)state;
    /* digest D = 12 zero bytes ‖ T (20 bytes) */
    const char *T = "0102030405060708090a0b0c0d0e0f1011121314";
    char D[65];
    snprintf(D, sizeof D, "000000000000000000000000%s", T);
    char body[256];
    snprintf(body, sizeof body, "{\"algorithm\":\"secp256k1_prehashed\",\"data\":\"%s\"}", D);
    cJSON *s = tu_ok(S, "/Sign", body);
    uint8_t sig[64];
    tu_hex(tu_str(s, "signature"), sig, 64);
    const char *pub = tu_str(s, "public_key");
    assert_true(verify("secp256k1_prehashed", D, sig, pub));
    assert_true(verify("secp256k1_prehashed", T, sig, pub)); /* 20 B: left-padded */
    char longer[129];
    snprintf(longer, sizeof longer, "%sdeadbeefdeadbeef", D); /* 40 B: truncated */
    assert_true(verify("secp256k1_prehashed", longer, sig, pub));
    assert_false(verify("secp256k1_prehashed", "0102030405060708090a0b0c0d0e0f", sig, pub));
    /* high-S: s' = n − s verifies mathematically, and is refused as not valid */
    uint8_t hs[64];
    memcpy(hs, sig, 32);
    int borrow = 0;
    for (int i = 31; i >= 0; i--) {
        int d = N[i] - sig[32 + i] - borrow;
        borrow = d < 0;
        hs[32 + i] = (uint8_t)(d + (borrow ? 256 : 0));
    }
    assert_false(verify("secp256k1_prehashed", D, hs, pub));
    cJSON_Delete(s);
}

/* TCP: the dstack API, Worker and metrics on one port. */
static void test_tcp_listener(void **state) {
    (void)state;
    char req[256];
    snprintf(req, sizeof req,
             "POST /v1/Version HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
             "Content-Length: 2\r\n\r\n{}");
    char *r = tu_tcp_request(port, req);
    assert_non_null(strstr(r, "200 OK"));
    assert_non_null(strstr(r, "\"version\":\"0.6.0\""));
    assert_non_null(strstr(r, "X-App-Version: v0.6.0"));
    free(r);
    snprintf(req, sizeof req,
             "GET /prpc/Worker.Version HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    r = tu_tcp_request(port, req);
    assert_non_null(strstr(r, "\"version\":\"0.6.0\""));
    free(r);
    /* /metrics on the same port counts the v1 calls under their v1 names */
    const char *series = "dstack_sim_requests_total{method=\"v1.GetKey\"}";
    char *m = tu_scrape(port);
    assert_int_equal(tu_sample(m, "dstack_sim_info{agent_version=\"0.6.0\"}"), 1);
    unsigned long long before = strstr(m, series) ? tu_sample(m, series) : 0;
    free(m);
    for (int i = 0; i < 2; i++)
        cJSON_Delete(
            tu_ok(S, "/v1/GetKey", "{\"domain\":\"metrics\",\"algorithm\":\"secp256k1\"}"));
    m = tu_scrape(port);
    assert_int_equal(tu_sample(m, series), before + 2);
    free(m);
}

/* Chunked request bodies: decoded within the body cap; malformed ones get a JSON 400. */
static void test_chunked(void **state) {
    (void)state;
    const char *plain = "{\"path\":\"chunky\",\"purpose\":\"p\"}";
    int st;
    char *want = tu_raw(S, "POST", "/GetKey", plain, &st, NULL);
    const char *req = "POST /GetKey HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                      "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
                      "a;ext=1\r\n{\"path\":\"c\r\n"
                      "6\r\nhunky\"\r\n"
                      "F\r\n,\"purpose\":\"p\"}\r\n"
                      "0\r\nX-Trailer: t\r\n\r\n";
    size_t n;
    char *resp = tu_exchange(S, req, strlen(req), 0, 0, 5000, &n, NULL);
    const char *body;
    size_t bl;
    assert_int_equal(tu_parse_response(resp, n, &st, &body, &bl, NULL), 0);
    assert_int_equal(st, 200);
    assert_int_equal(bl, strlen(want));
    assert_memory_equal(body, want, bl);
    free(resp);
    free(want);
    struct {
        const char *req;
        int status;
        const char *needle;
    } bad[] = {
        {"POST /GetKey HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n", 400,
         "chunk size"},
        {"POST /GetKey HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n1\r\n{}\r\n0\r\n\r\n", 400,
         "longer than its size"},
        {"POST /GetKey HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nFFFFFFF\r\n", 413,
         "payload too large"},
        {"POST /GetKey HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n", 501, "Transfer-Encoding"},
        {"POST /GetKey HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 2\r\n\r\n{}", 400,
         "Both"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        resp = tu_exchange(S, bad[i].req, strlen(bad[i].req), 1, 0, 5000, &n, NULL);
        assert_int_equal(tu_parse_response(resp, n, &st, &body, &bl, NULL), 0);
        if (st != bad[i].status) fprintf(stderr, "case %zu: %.*s\n", i, (int)bl, body);
        assert_int_equal(st, bad[i].status);
        assert_non_null(strstr(body, bad[i].needle));
        assert_non_null(strstr(body, "{\n  \"error\": "));
        free(resp);
    }
    /* still serving */
    cJSON *v = tu_ok(S, "/Version", "{}");
    cJSON_Delete(v);
}

/* 0.5.11 (the default): one unversioned API; /v0, /v1 and /prpc/v1 are not mounted, an
 * unknown method is still a 400. --emit-event refuse is upstream 0.5.9+'s simulator. */
static void test_0511_surface(void **state) {
    (void)state;
    const char *args[] = {"--config", "appkeys.json", "--emit-event", "refuse", NULL};
    ds_testsim *ts = tu_start(args);
    const char *s = ts->dstack_sock;
    cJSON *v = tu_ok(s, "/Version", "{}");
    assert_string_equal(tu_str(v, "version"), "0.5.11");
    cJSON_Delete(v);
    want_error(s, "/Nope", NULL, 400, "Service not found: Nope");
    const char *nomount[] = {"/v0/GetKey", "/v1/GetKey", "/v1/Version"};
    for (size_t i = 0; i < 3; i++) {
        int st;
        cJSON *j = tu_post(s, nomount[i], "{}", &st);
        assert_int_equal(st, 404);
        assert_non_null(strstr(tu_str(j, "error"), "--agent-version 0.6.0"));
        cJSON_Delete(j);
    }
    /* refused as upstream's simulator refuses it, and nothing is recorded: RTMR3 and the
     * event log are as before */
    cJSON *i0 = tu_ok(s, "/Info", "{}");
    want_error(s, "/EmitEvent", "{\"event\":\"app-ready\",\"payload\":\"00\"}", 400,
               "runtime event emission is unavailable in simulator mode: app-ready");
    cJSON *i1 = tu_ok(s, "/Info", "{}");
    assert_string_equal(tu_str(i1, "tcb_info"), tu_str(i0, "tcb_info"));
    cJSON_Delete(i0);
    cJSON_Delete(i1);
    int st;
    char *head;
    char *b = tu_raw(ts->external_sock, "GET", "/prpc/Worker.Version", NULL, &st, &head);
    assert_int_equal(st, 200);
    assert_non_null(strstr(head, "\r\nX-App-Version: v0.5.11 ("));
    assert_non_null(strstr(b, "\"version\":\"0.5.11\""));
    free(b);
    free(head);
    want_error(ts->external_sock, "/prpc/Worker.Nope", NULL, 400, "Service not found: Nope");
    assert_int_equal(tu_stop(ts), 0);
    /* refuse is a 0.5.11 policy: at 0.6.0 EmitEvent has its own refusal */
    const char *bin = getenv("DSTACK_SIMULATOR_BIN");
    char cmd[600];
    snprintf(cmd, sizeof cmd,
             "%s --config appkeys.json --agent-version 0.6.0 --emit-event refuse "
             "--dstack-sock /tmp/never-v06.sock 2>/dev/null",
             bin ? bin : "build/bin/dstack-simulator");
    assert_int_not_equal(system(cmd), 0);
    snprintf(cmd, sizeof cmd, "%s --agent-version 0.7 2>/dev/null",
             bin ? bin : "build/bin/dstack-simulator");
    assert_int_not_equal(system(cmd), 0);
}

/* An empty subject gives CN= (an empty CommonName), as upstream's certificate builder. */
static void test_empty_subject_cn(void **state) {
    (void)state;
    cJSON *c = tu_ok(S, "/GetTlsKey", "{\"subject\":\"\"}");
    const char *pem =
        cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(c, "certificate_chain"), 0)
            ->valuestring;
    BIO *bio = BIO_new_mem_buf(pem, -1);
    X509 *x = PEM_read_bio_X509(bio, NULL, NULL, NULL);
    assert_non_null(x);
    X509_NAME *nm = X509_get_subject_name(x);
    assert_int_equal(X509_NAME_entry_count(nm), 1);
    int i = X509_NAME_get_index_by_NID(nm, NID_commonName, -1);
    assert_int_equal(i, 0);
    assert_int_equal(ASN1_STRING_length(X509_NAME_ENTRY_get_data(X509_NAME_get_entry(nm, i))), 0);
    X509_free(x);
    BIO_free(bio);
    cJSON_Delete(c);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_version_everywhere),
        cmocka_unit_test(test_v0_alias),
        cmocka_unit_test(test_status_codes),
        cmocka_unit_test(test_frozen_v0_changes),
        cmocka_unit_test(test_verify_quirks),
        cmocka_unit_test(test_tcp_listener),
        cmocka_unit_test(test_chunked),
        cmocka_unit_test(test_0511_surface),
        cmocka_unit_test(test_empty_subject_cn),
    };
    return cmocka_run_group_tests(tests, v06_setup, v06_teardown);
}
