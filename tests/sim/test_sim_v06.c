/* test_sim_v06.c — --agent-version 0.6.0 over real sockets: the frozen v0 surface (/ and
 * /v0), the v1 API (/v1, with the v1 vectors byte-exact), the Worker API (external.sock,
 * /prpc, /prpc/v0, /prpc/v1), the status codes of PR #1105 (404 unknown method, 404 no
 * mount, 413), and every documented error text. Values from guest-api-0.6.md §2.3–§2.6 and
 * guest-agent-external.md §2–§5 (copied into fixtures/vectors/guest-api-0.6-vectors.json
 * where a vector needs a file).
 */
#include "sim_testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/pem.h>
#include <openssl/x509.h>

#include "ds_chain.h"
#include "ds_client.h"
#include "ds_hash.h"
#include "ds_hex.h"
#include "ds_json.h"
#include "ds_secp.h"

static ds_testsim *sim;   /* 0.6.0, appkeys.json (KMS root mode), --listen */
static const char *S, *X; /* its dstack and external sockets */
static int port;

static int setup(void **state) {
    (void)state;
    port = tu_free_port();
    char listen[32];
    snprintf(listen, sizeof listen, "127.0.0.1:%d", port);
    const char *args[] = {
        "--config", "appkeys.json", "--agent-version", "0.6.0", "--listen", listen, NULL};
    sim = tu_start(args);
    if (!sim) return -1;
    S = sim->dstack_sock;
    X = sim->external_sock;
    return 0;
}

static int teardown(void **state) {
    (void)state;
    return tu_stop(sim);
}

/* Asserts status and the exact pretty-printed error body upstream sends. */
static void want_error(const char *sock, const char *target, const char *json, int status,
                       const char *msg) {
    int st;
    char *body = tu_raw(sock, "POST", target, json ? json : "{}", &st, NULL);
    char want[1024];
    snprintf(want, sizeof want, "{\n  \"error\": \"%s\"\n}", msg);
    if (st != status || strcmp(body, want))
        fprintf(stderr, "%s %s -> %d %s\nwanted %d %s\n", target, json ? json : "", st, body,
                status, want);
    assert_int_equal(st, status);
    assert_string_equal(body, want);
    free(body);
}

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

/* The KMS root address GetMeta publishes. */
static void meta_root(const char *sock, uint8_t root_addr[20], uint8_t app_id[20]) {
    cJSON *m = tu_ok(sock, "/GetMeta", "{}");
    uint8_t pub[33];
    tu_hex(tu_str(m, "k256_pubkey"), pub, 33);
    assert_int_equal(ds_secp_address(pub, 33, root_addr), DS_OK);
    tu_hex(tu_str(m, "app_id"), app_id, 20);
    cJSON_Delete(m);
}

static void test_v1_getkey_chain_verifies(void **state) {
    (void)state;
    uint8_t root[20], app_id[20];
    meta_root(S, root, app_id);
    const char *algs[] = {"secp256k1", "ed25519"};
    for (int a = 0; a < 2; a++) {
        char body[128];
        snprintf(body, sizeof body, "{\"domain\":\"wallet/eth\",\"algorithm\":\"%s\"}", algs[a]);
        cJSON *k = tu_ok(S, "/v1/GetKey", body);
        const char *names[] = {"key", "public_key", "signature_chain", NULL};
        tu_assert_fields(k, names);
        const cJSON *ch = cJSON_GetObjectItemCaseSensitive(k, "signature_chain");
        assert_int_equal(cJSON_GetArraySize(ch), 2);
        uint8_t pub[33], l0[65], l1[65];
        size_t pl = a ? 32 : 33;
        tu_hex(tu_str(k, "public_key"), pub, pl);
        tu_hex(cJSON_GetArrayItem(ch, 0)->valuestring, l0, 65);
        tu_hex(cJSON_GetArrayItem(ch, 1)->valuestring, l1, 65);
        ds_chain_result res;
        assert_int_equal(ds_chain_v1_verify(pub, pl, a ? DS_KEY_ED25519 : DS_KEY_SECP256K1,
                                            "wallet/eth", 10, l0, l1, app_id, root, &res),
                         DS_OK);
        assert_int_equal(res.status, DS_CHAIN_VALID);
        /* the same chain is not a v0 chain */
        assert_int_not_equal(ds_chain_verify(pub, pl, "wallet/eth", 10, l0, l1, app_id, root, &res),
                             DS_OK);
        /* link1 is the same KMS link v0 GetKey returns */
        cJSON *v0 = tu_ok(S, "/GetKey", "{\"path\":\"wallet/eth\"}");
        const cJSON *ch0 = cJSON_GetObjectItemCaseSensitive(v0, "signature_chain");
        assert_string_equal(cJSON_GetArrayItem(ch0, 1)->valuestring,
                            cJSON_GetArrayItem(ch, 1)->valuestring);
        cJSON_Delete(v0);
        cJSON_Delete(k);
    }
    want_error(S, "/v1/GetKey", "{\"domain\":\"d\"}", 400,
               "algorithm is required, use `secp256k1` or `ed25519`");
    const char *bad[] = {"k256", "secp256k1_prehashed", "SECP256K1", "rsa"};
    for (size_t i = 0; i < 4; i++) {
        char body[128], msg[160];
        snprintf(body, sizeof body, "{\"domain\":\"d\",\"algorithm\":\"%s\"}", bad[i]);
        snprintf(msg, sizeof msg, "unsupported algorithm `%s`, use `secp256k1` or `ed25519`",
                 bad[i]);
        want_error(S, "/v1/GetKey", body, 400, msg);
    }
}

/* The link0 a group lists for (domain_hex, algorithm): in the case itself, or in the
 * group's separate "link0" list. NULL when the vectors give none. */
static const char *find_link0(const cJSON *g, const cJSON *row) {
    const cJSON *l0 = cJSON_GetObjectItemCaseSensitive(row, "link0");
    if (cJSON_IsString(l0)) return l0->valuestring;
    const cJSON *e;
    cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(g, "link0")) {
        if (!strcmp(tu_str(e, "domain_hex"), tu_str(row, "domain_hex")) &&
            !strcmp(tu_str(e, "algorithm"), tu_str(row, "algorithm")))
            return tu_str(e, "link0");
    }
    return NULL;
}

/* Cases of fixtures/vectors/guest-api-0.6-vectors.json through /v1/GetKey of a simulator
 * whose app key is the group's app_root_key: key, public_key and link0 byte-exact. */
static void run_vectors(const char *group) {
    size_t len;
    char *text = tu_read("fixtures/vectors/guest-api-0.6-vectors.json", &len);
    cJSON *doc = cJSON_Parse(text);
    assert_non_null(doc);
    const cJSON *g = cJSON_GetObjectItemCaseSensitive(doc, group);
    assert_true(cJSON_IsObject(g));
    char dir[] = "/tmp/dstack-v1vec-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char cfg[300];
    snprintf(cfg, sizeof cfg, "%s/appkeys.json", dir);
    FILE *f = fopen(cfg, "w");
    assert_non_null(f);
    /* compat mode: the vectors' app root key, any static KMS link */
    fprintf(f, "{\"k256_key\":\"%s\",\"k256_signature\":\"%0130d\"}", tu_str(g, "app_root_key"), 0);
    fclose(f);
    const char *args[] = {"--config", cfg, "--agent-version", "0.6.0", NULL};
    ds_testsim *ts = tu_start(args);
    int tested = 0, links = 0;
    const cJSON *row;
    cJSON_ArrayForEach(row, cJSON_GetObjectItemCaseSensitive(g, "cases")) {
        size_t dl;
        uint8_t *d = tu_hex_alloc(tu_str(row, "domain_hex"), &dl);
        char domain[128];
        int printable = dl < sizeof domain;
        for (size_t i = 0; printable && i < dl; i++)
            printable = d[i] >= 0x20 && d[i] < 0x7f && d[i] != '"' && d[i] != '\\';
        if (printable) memcpy(domain, d, dl);
        free(d);
        if (!printable) continue; /* a NUL in the domain cannot travel in a JSON string here */
        domain[dl] = '\0';
        char body[256];
        snprintf(body, sizeof body, "{\"domain\":\"%s\",\"algorithm\":\"%s\"}", domain,
                 tu_str(row, "algorithm"));
        cJSON *k = tu_ok(ts->dstack_sock, "/v1/GetKey", body);
        assert_string_equal(tu_str(k, "key"), tu_str(row, "key"));
        assert_string_equal(tu_str(k, "public_key"), tu_str(row, "public_key"));
        const char *l0 = find_link0(g, row);
        if (l0) {
            const cJSON *ch = cJSON_GetObjectItemCaseSensitive(k, "signature_chain");
            assert_string_equal(cJSON_GetArrayItem(ch, 0)->valuestring, l0);
            links++;
        }
        cJSON_Delete(k);
        tested++;
    }
    assert_true(tested >= 4);
    assert_true(links >= 2);
    assert_int_equal(tu_stop(ts), 0);
    unlink(cfg);
    rmdir(dir);
    cJSON_Delete(doc);
    free(text);
}

static void test_v1_vectors_upstream(void **state) {
    (void)state;
    run_vectors("v1_root_key_vectors");
}

static void test_v1_vectors_simulator_fixture(void **state) {
    (void)state;
    run_vectors("v1_simulator_fixture");
}

static void test_v1_attest_info_cert(void **state) {
    (void)state;
    char rd65[140];
    memset(rd65, 'a', 130);
    rd65[130] = '\0';
    char body[300];
    snprintf(body, sizeof body, "{\"report_data\":\"%s\"}", rd65);
    want_error(S, "/v1/Attest", body, 400, "report data is too long");
    cJSON *a =
        tu_ok(S, "/v1/Attest", "{\"report_data\":\"00ff\",\"include_boottime_gpu_evidence\":true}");
    const char *an[] = {"attestation", "boottime_gpu_evidence", NULL};
    tu_assert_fields(a, an);
    assert_int_equal(
        cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(a, "boottime_gpu_evidence")), 0);
    cJSON *a0 = tu_ok(S, "/Attest", "{\"report_data\":\"00ff\"}");
    assert_string_equal(tu_str(a, "attestation"), tu_str(a0, "attestation"));
    cJSON_Delete(a0);
    cJSON_Delete(a);

    want_error(S, "/v1/AttestGpu", "{\"nonce\":\"00\"}", 400,
               "GPU attestation failed: nonce must be exactly 32 bytes, got 1");
    want_error(S, "/v1/AttestGpu",
               "{\"nonce\":\"0000000000000000000000000000000000000000000000000000000000000000\"}",
               501, "GPU attestation failed: GPU attestation is not available in this image");

    cJSON *i1 = tu_ok(S, "/v1/Info", "{}");
    const char *names[] = {"app_id",      "app_name",          "compose_hash",  "app_compose",
                           "instance_id", "device_id",         "os_image_hash", "mr_aggregated",
                           "vm_config",   "key_provider_info", "cloud_vendor",  "cloud_product",
                           NULL};
    tu_assert_fields(i1, names);
    cJSON *i0 = tu_ok(S, "/Info", "{}");
    const char *same[] = {"app_id",        "app_name",  "compose_hash",
                          "instance_id",   "device_id", "os_image_hash",
                          "mr_aggregated", "vm_config", "key_provider_info"};
    for (size_t i = 0; i < 9; i++)
        assert_string_equal(tu_str(i1, same[i]), tu_str(i0, same[i]));
    const char *compose = tu_str(i1, "app_compose");
    uint8_t h[32];
    char hh[65];
    ds_sha256((const uint8_t *)compose, strlen(compose), h);
    assert_string_equal(ds_hex_encode(h, 32, hh), tu_str(i1, "compose_hash"));
    cJSON_Delete(i0);
    cJSON_Delete(i1);

    want_error(S, "/v1/IssueCert", "{\"subject\":\"x\",\"not_before\":5,\"not_after\":4}", 400,
               "not_before must be earlier than not_after");
    cJSON *c1 = tu_ok(S, "/v1/IssueCert", "{\"subject\":\"svc\",\"alt_names\":[\"a.local\"]}");
    cJSON *c2 = tu_ok(S, "/v1/IssueCert", "{\"subject\":\"svc\"}");
    const char *cn[] = {"key", "certificate_chain", NULL};
    tu_assert_fields(c1, cn);
    assert_string_not_equal(tu_str(c1, "key"), tu_str(c2, "key"));
    const cJSON *chain = cJSON_GetObjectItemCaseSensitive(c1, "certificate_chain");
    assert_non_null(strstr(cJSON_GetArrayItem(chain, 0)->valuestring, "BEGIN CERTIFICATE"));
    cJSON_Delete(c1);
    cJSON_Delete(c2);
}

static void test_worker_api(void **state) {
    (void)state;
    int st;
    char *head;
    char *b = tu_raw(X, "GET", "/prpc/Worker.Version", NULL, &st, &head);
    assert_int_equal(st, 200);
    assert_non_null(strstr(head, "\r\nX-App-Version: v0.6.0 ("));
    free(head);
    free(b);
    /* /prpc/Info, /prpc/Worker.Info and /prpc/v0/Worker.Info are one handler */
    char *i1 = tu_raw(X, "POST", "/prpc/Info", "{}", &st, NULL);
    char *i2 = tu_raw(X, "POST", "/prpc/Worker.Info", "{}", &st, NULL);
    char *i3 = tu_raw(X, "POST", "/prpc/v0/Worker.Info", "{}", &st, NULL);
    char *i0 = tu_raw(S, "POST", "/Info", "{}", &st, NULL);
    assert_string_equal(i1, i2);
    assert_string_equal(i1, i3);
    assert_string_equal(i1, i0); /* public_tcbinfo: nothing hidden */
    free(i0);
    free(i1);
    free(i2);
    free(i3);
    want_error(X, "/prpc/Worker.Nope", NULL, 404, "Service not found: Nope");
    want_error(X, "/prpc/v1/GetAttestationForAppKey", NULL, 404,
               "Service not found: GetAttestationForAppKey");
    want_error(X, "/prpc/Worker.GetAttestationForAppKey", "{\"algorithm\":\"\"}", 400,
               "Unsupported algorithm");
    want_error(X, "/prpc/Worker.GetAttestationForAppKey", "{\"algorithm\":\"rsa\"}", 400,
               "Unsupported algorithm");
    /* The dstack API is not on the external socket. */
    cJSON *j = tu_post(X, "/GetKey", "{}", &st);
    assert_int_equal(st, 404);
    cJSON_Delete(j);
    cJSON *v1 = tu_ok(X, "/prpc/v1/Info", "{}");
    assert_true(strlen(tu_str(v1, "app_compose")) > 0);
    cJSON_Delete(v1);
    cJSON *h = tu_ok(X, "/prpc/v1/Health", "{}");
    char *ht = cJSON_PrintUnformatted(h);
    assert_string_equal(ht, "{\"healthy\":true,\"unhealthy\":[],\"error\":\"\"}");
    free(ht);
    cJSON_Delete(h);
    /* The key in the DIP-1 report data is Sign's key: GetKey("vms", "signing"). */
    const char *algs[] = {"secp256k1", "k256", "ed25519"};
    for (int a = 0; a < 3; a++) {
        char body[96];
        snprintf(body, sizeof body, "{\"algorithm\":\"%s\"}", algs[a]);
        cJSON *q = tu_ok(X, "/prpc/Worker.GetAttestationForAppKey", body);
        const char *qn[] = {"quote", "event_log", "report_data", "vm_config", NULL};
        tu_assert_fields(q, qn);
        snprintf(body, sizeof body, "{\"algorithm\":\"%s\",\"data\":\"00\"}",
                 a == 2 ? "ed25519" : "secp256k1");
        cJSON *s = tu_ok(S, "/Sign", body);
        uint8_t pub[33], rd[64];
        size_t pl = a == 2 ? 32 : 33;
        tu_hex(tu_str(s, "public_key"), pub, pl);
        tu_hex(tu_str(q, "report_data"), rd, 64);
        const char *prefix = a == 2 ? "dip1::ed25519-pk:" : "dip1::secp256k1c-pk:";
        assert_memory_equal(rd, prefix, strlen(prefix));
        cJSON_Delete(s);
        cJSON_Delete(q);
    }
}

/* The upstream simulator's own keys: the DIP-1 report data byte-exact
 * (guest-agent-external.md §2, computed there from the same KDF). */
static void test_worker_dip1_vectors(void **state) {
    (void)state;
    const char *args[] = {"--config", "fixtures/upstream/simulator-appkeys-v0.5.11.json", NULL};
    ds_testsim *ts = tu_start(args);
    cJSON *q = tu_ok(ts->external_sock, "/prpc/Worker.GetAttestationForAppKey",
                     "{\"algorithm\":\"secp256k1\"}");
    assert_string_equal(tu_str(q, "report_data"),
                        "646970313a3a736563703235366b31632d706b3a4132454638423066313446576a337767"
                        "69776837484539534a674642447466707834634e567a336e78473155");
    cJSON_Delete(q);
    q = tu_ok(ts->external_sock, "/prpc/GetAttestationForAppKey", "{\"algorithm\":\"ed25519\"}");
    assert_string_equal(tu_str(q, "report_data"),
                        "646970313a3a656432353531392d706b3a61593957765668396a4f504b6a624468773247"
                        "366e526b4169666d4e784e6e6667415f354c74427a706c3000000000");
    cJSON_Delete(q);
    /* 0.5.11: no /prpc/v0, no /prpc/v1 */
    int st;
    cJSON *j = tu_post(ts->external_sock, "/prpc/v1/Info", "{}", &st);
    assert_int_equal(st, 404);
    cJSON_Delete(j);
    assert_int_equal(tu_stop(ts), 0);
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
    char *m = tu_scrape(port);
    assert_int_equal(tu_sample(m, "dstack_sim_info{agent_version=\"0.6.0\"}"), 1);
    assert_true(tu_sample(m, "dstack_sim_requests_total{method=\"v1.GetKey\"}") >= 2);
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
    want_error(s, "/EmitEvent", "{\"event\":\"app-ready\",\"payload\":\"00\"}", 400,
               "runtime event emission is unavailable in simulator mode: app-ready");
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

static void write_file(const char *path, const char *text) {
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

/* public_tcbinfo false: the Worker API hides tcb_info / vm_config (v0) and app_compose /
 * vm_config / key_provider_info (v1); the internal socket never hides. Health: opted in
 * with a status file, its verdict. */
static void test_compose_gating_and_health(void **state) {
    (void)state;
    char dir[] = "/tmp/dstack-gate-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char compose[300], health[300], text[1024];
    snprintf(compose, sizeof compose, "%s/app-compose.json", dir);
    snprintf(health, sizeof health, "%s/health", dir);
    snprintf(text, sizeof text,
             "{\"manifest_version\":\"3\",\"name\":\"gated\",\"runner\":\"docker-compose\","
             "\"public_tcbinfo\":false,\"requirements\":{\"health_check\":true,"
             "\"health_status_file\":\"%s\"}}",
             health);
    write_file(compose, text);
    const char *args[] = {"--config",        "appkeys.json", "--compose", compose,
                          "--agent-version", "0.6.0",        NULL};
    ds_testsim *ts = tu_start(args);
    cJSON *w = tu_ok(ts->external_sock, "/prpc/Worker.Info", "{}");
    assert_string_equal(tu_str(w, "tcb_info"), "");
    assert_string_equal(tu_str(w, "vm_config"), "");
    assert_string_not_equal(tu_str(w, "key_provider_info"), "");
    cJSON *i = tu_ok(ts->dstack_sock, "/Info", "{}");
    assert_true(strlen(tu_str(i, "tcb_info")) > 100);
    assert_true(strlen(tu_str(i, "vm_config")) > 2);
    assert_string_equal(tu_str(w, "app_id"), tu_str(i, "app_id"));
    cJSON_Delete(w);
    cJSON_Delete(i);
    cJSON *v1 = tu_ok(ts->external_sock, "/prpc/v1/Info", "{}");
    assert_string_equal(tu_str(v1, "app_compose"), "");
    assert_string_equal(tu_str(v1, "vm_config"), "");
    assert_string_equal(tu_str(v1, "key_provider_info"), "");
    cJSON_Delete(v1);
    v1 = tu_ok(ts->dstack_sock, "/v1/Info", "{}");
    assert_string_equal(tu_str(v1, "app_compose"), text);
    cJSON_Delete(v1);
    /* Health: no file yet, then healthy, then unhealthy, then stale */
    cJSON *h = tu_ok(ts->external_sock, "/prpc/v1/Health", "{}");
    assert_false(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(h, "healthy")));
    assert_string_equal(
        tu_str(cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(h, "unhealthy"), 0), "name"),
        health);
    cJSON_Delete(h);
    snprintf(text, sizeof text, "Healthy\n%lld\n", (long long)time(NULL));
    write_file(health, text);
    h = tu_ok(ts->external_sock, "/prpc/v1/Health", "{}");
    char *ht = cJSON_PrintUnformatted(h);
    assert_string_equal(ht, "{\"healthy\":true,\"unhealthy\":[],\"error\":\"\"}");
    free(ht);
    cJSON_Delete(h);
    snprintf(text, sizeof text, "unhealthy\n%lld\n", (long long)time(NULL));
    write_file(health, text);
    h = tu_ok(ts->external_sock, "/prpc/v1/Health", "{}");
    assert_false(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(h, "healthy")));
    cJSON_Delete(h);
    snprintf(text, sizeof text, "healthy\n%lld\n", (long long)time(NULL) - 120);
    write_file(health, text);
    h = tu_ok(ts->external_sock, "/prpc/v1/Health", "{}");
    assert_false(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(h, "healthy")));
    assert_non_null(strstr(
        tu_str(cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(h, "unhealthy"), 0), "status"),
        "stale"));
    cJSON_Delete(h);
    assert_int_equal(tu_stop(ts), 0);
    unlink(health);
    unlink(compose);
    rmdir(dir);
}

/* The C client's v1 calls (ds_client.h) against the simulator. */
static void test_client_v1(void **state) {
    (void)state;
    ds_client *c = ds_client_new(S);
    assert_non_null(c);
    char ver[16];
    assert_int_equal(ds_client_v1_version(c, ver, sizeof ver), DS_OK);
    assert_string_equal(ver, "0.6.0");
    assert_int_equal(ds_client_v1_version(c, ver, 3), DS_ERR_LEN);
    uint8_t root[20], app_id[20];
    meta_root(S, root, app_id);
    ds_v1_getkey_result k;
    assert_int_equal(ds_client_v1_get_key(c, "db/primary", "ed25519", &k), DS_OK);
    assert_int_equal(k.public_key_len, 32);
    ds_chain_result res;
    assert_int_equal(ds_chain_v1_verify(k.public_key, k.public_key_len, DS_KEY_ED25519,
                                        "db/primary", 10, k.chain[0], k.chain[1], app_id, root,
                                        &res),
                     DS_OK);
    assert_int_equal(ds_client_v1_get_key(c, "db/primary", "k256", &k), DS_ERR_VERIFY);
    assert_string_equal(ds_client_last_error(c),
                        "unsupported algorithm `k256`, use `secp256k1` or `ed25519`");
    uint8_t *att;
    size_t n;
    assert_int_equal(ds_client_v1_attest(c, (const uint8_t *)"rd", 2, &att, &n), DS_OK);
    assert_true(n > 1000);
    assert_int_equal(att[0], 0); /* VersionedAttestation::V0 */
    free(att);
    ds_client_free(c);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_version_everywhere),
        cmocka_unit_test(test_v0_alias),
        cmocka_unit_test(test_status_codes),
        cmocka_unit_test(test_frozen_v0_changes),
        cmocka_unit_test(test_verify_quirks),
        cmocka_unit_test(test_v1_getkey_chain_verifies),
        cmocka_unit_test(test_v1_vectors_upstream),
        cmocka_unit_test(test_v1_vectors_simulator_fixture),
        cmocka_unit_test(test_v1_attest_info_cert),
        cmocka_unit_test(test_worker_api),
        cmocka_unit_test(test_worker_dip1_vectors),
        cmocka_unit_test(test_tcp_listener),
        cmocka_unit_test(test_chunked),
        cmocka_unit_test(test_0511_surface),
        cmocka_unit_test(test_empty_subject_cn),
        cmocka_unit_test(test_compose_gating_and_health),
        cmocka_unit_test(test_client_v1),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
