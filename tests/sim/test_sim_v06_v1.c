/* test_sim_v06_v1.c — the v1 API of --agent-version 0.6.0 (/v1) over real sockets:
 * /v1/GetKey chains that verify under the v1 claim (and not as v0 chains) with every
 * documented error; the v1 vectors of fixtures/vectors/guest-api-0.6-vectors.json
 * byte-exact (upstream's root-key vectors and the upstream simulator fixture's);
 * /v1/Attest, /v1/AttestGpu, /v1/Info and /v1/IssueCert; the C client's v1 calls. Values
 * from guest-api-0.6.md §2.3–§2.6.
 */
#include "sim_v06util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ds_chain.h"
#include "ds_client.h"
#include "ds_hash.h"
#include "ds_hex.h"

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
        cmocka_unit_test(test_v1_getkey_chain_verifies),
        cmocka_unit_test(test_v1_vectors_upstream),
        cmocka_unit_test(test_v1_vectors_simulator_fixture),
        cmocka_unit_test(test_v1_attest_info_cert),
        cmocka_unit_test(test_client_v1),
    };
    return cmocka_run_group_tests(tests, v06_setup, v06_teardown);
}
