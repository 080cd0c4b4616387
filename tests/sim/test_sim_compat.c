/* test_sim_compat.c — compat ("static") mode with upstream's appkeys.json files used
 * verbatim (exact upstream GetKey/Sign vectors), the --mismatch variants, and several
 * simulators sharing one KMS root with different instance ids / app ids.
 */
#include "sim_testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ds_chain.h"
#include "ds_ed25519.h"
#include "ds_hash.h"
#include "ds_hex.h"
#include "ds_kdf.h"
#include "ds_secp.h"
#include "ds_variant.h"

/* Runs every GetKey and Sign vector of one key set from fixtures/vectors. */
static void run_vector_set(const cJSON *set) {
    char appkeys[256];
    snprintf(appkeys, sizeof appkeys, "fixtures/upstream/%s", tu_str(set, "appkeys_file"));
    const char *args[] = {"--config", appkeys, NULL};
    ds_testsim *sim = tu_start(args);
    assert_non_null(sim);
    const char *S = sim->dstack_sock;

    cJSON *meta = tu_ok(S, "/GetMeta", NULL);
    assert_string_equal(tu_str(meta, "mode"), "static");
    assert_string_equal(tu_str(meta, "app_id"), tu_str(set, "app_id"));
    assert_string_equal(tu_str(meta, "k256_pubkey"), tu_str(set, "kms_root_pubkey_recovered"));
    uint8_t addr[20];
    tu_hex(tu_str(set, "kms_root_eth_address"), addr, 20);
    char eip55[43];
    assert_string_equal(tu_str(meta, "k256_address"), ds_eth_checksum(addr, eip55));
    cJSON_Delete(meta);

    const cJSON *c;
    cJSON_ArrayForEach(c, cJSON_GetObjectItem(set, "GetKey")) {
        char *req = cJSON_PrintUnformatted(cJSON_GetObjectItem(c, "request"));
        cJSON *r = tu_ok(S, "/GetKey", req);
        assert_string_equal(tu_str(r, "key"), tu_str(c, "response.key"));
        char *got = cJSON_PrintUnformatted(cJSON_GetObjectItem(r, "signature_chain"));
        char *want = cJSON_PrintUnformatted(cJSON_GetObjectItem(c, "response.signature_chain"));
        assert_string_equal(got, want);
        free(got);
        free(want);
        cJSON_Delete(r);
        free(req);
    }
    cJSON_ArrayForEach(c, cJSON_GetObjectItem(set, "Sign")) {
        char *req = cJSON_PrintUnformatted(cJSON_GetObjectItem(c, "request"));
        cJSON *r = tu_ok(S, "/Sign", req);
        const cJSON *want = cJSON_GetObjectItem(c, "response");
        assert_true(cJSON_Compare(r, want, 1)); /* same members and values (any order) */
        const char *const fields[] = {"signature", "signature_chain", "public_key", NULL};
        tu_assert_fields(r, fields);
        cJSON_Delete(r);
        free(req);
    }
    assert_int_equal(tu_stop(sim), 0);
}

static void test_upstream_vectors(void **state) {
    (void)state;
    size_t n;
    char *txt = tu_read("fixtures/vectors/getkey-test-vectors.json", &n);
    cJSON *sets = cJSON_Parse(txt);
    free(txt);
    assert_int_equal(cJSON_GetArraySize(sets), 2);
    const cJSON *set;
    cJSON_ArrayForEach(set, sets) run_vector_set(set);
    cJSON_Delete(sets);
}

/* Vector C stated explicitly (vectors.md), independent of the vector file. */
static void test_vector_c(void **state) {
    (void)state;
    const char *args[] = {"--config", "fixtures/upstream/simulator-appkeys-v0.5.11.json", NULL};
    ds_testsim *sim = tu_start(args);
    assert_non_null(sim);
    cJSON *r = tu_ok(sim->dstack_sock, "/GetKey",
                     "{\"path\":\"test\",\"purpose\":\"signing\",\"algorithm\":\"secp256k1\"}");
    assert_string_equal(tu_str(r, "key"),
                        "133e8ca6e532ead3e38f00347408771da296e9c70e8e3e362f485154e64ef4e8");
    const cJSON *ch = cJSON_GetObjectItem(r, "signature_chain");
    assert_string_equal(cJSON_GetArrayItem(ch, 0)->valuestring,
                        "c2ac442934a10d730c14b553e6b93e4db61aa7afa48b7aa51e649841115d6f41"
                        "60a29b24a87e0ef4c02e37c10b176913f1449ebb41466fccdc44a6ef5d9b247300");
    assert_string_equal(cJSON_GetArrayItem(ch, 1)->valuestring,
                        "9e618603e72d01fedb82deff6daf2d62a572becf0059eec3f89c1ab40e1f2e59"
                        "4d2a283f843f34e8f39e4cc49a612496ce67223a12ac923f8efe330346dfc6c500");
    cJSON_Delete(r);
    r = tu_ok(sim->dstack_sock, "/Info", NULL);
    assert_string_equal(tu_str(r, "app_id"), "5bb4ff9a3837357f19dc176407a5709c62eb6c56");
    cJSON_Delete(r);
    assert_int_equal(tu_stop(sim), 0);
}

/* Each --mismatch variant: GetMeta names it, the chain fails canonical verification
 * against the published root, and ds_variant_identify recognises exactly that variant. */
static void test_mismatch_variants(void **state) {
    (void)state;
    for (int v = DS_VARIANT_EIP191; v < DS_VARIANT_COUNT; v++) {
        const char *name = ds_variant_name((ds_variant)v);
        const char *args[] = {"--config", "appkeys.json", "--mismatch", name, NULL};
        ds_testsim *sim = tu_start(args);
        assert_non_null(sim);
        const char *S = sim->dstack_sock;
        cJSON *m = tu_ok(S, "/GetMeta", NULL);
        assert_string_equal(tu_str(m, "mismatch"), name);
        uint8_t root[20], app_id[20];
        tu_hex(tu_str(m, "k256_address"), root, 20);
        tu_hex(tu_str(m, "app_id"), app_id, 20);
        cJSON_Delete(m);
        cJSON *r = tu_ok(S, "/GetKey", "{\"path\":\"p\",\"purpose\":\"signing\"}");
        uint8_t key[32], pub[33], l0[65], l1[65];
        tu_hex(tu_str(r, "key"), key, 32);
        ds_secp_pubkey(key, pub, 33);
        const cJSON *ch = cJSON_GetObjectItem(r, "signature_chain");
        tu_hex(cJSON_GetArrayItem(ch, 0)->valuestring, l0, 65);
        tu_hex(cJSON_GetArrayItem(ch, 1)->valuestring, l1, 65);
        ds_chain_result res;
        ds_chain_verify(pub, 33, "signing", 7, l0, l1, app_id, root, &res);
        assert_int_not_equal(res.status, DS_CHAIN_VALID);
        ds_variant got;
        assert_int_equal(ds_variant_identify(pub, 33, "signing", 7, l0, l1, app_id, root, &got),
                         DS_OK);
        if (got != (ds_variant)v) fprintf(stderr, "variant %s identified as %s\n", name, ds_variant_name(got));
        assert_int_equal(got, v);
        cJSON_Delete(r);
        assert_int_equal(tu_stop(sim), 0);
    }
}

/* Two simulators, one KMS root, two instance seeds; a third with --app-id. */
static void test_shared_root_instances(void **state) {
    (void)state;
    const char *a1[] = {"--config", "appkeys.json", "--instance-seed",
                        "0101010101010101010101010101010101010101", NULL};
    const char *a2[] = {"--config", "appkeys.json", "--instance-seed",
                        "0202020202020202020202020202020202020202", NULL};
    const char *a3[] = {"--config", "appkeys.json", "--app-id",
                        "2121212121212121212121212121212121212121", NULL};
    ds_testsim *s1 = tu_start(a1), *s2 = tu_start(a2), *s3 = tu_start(a3);
    assert_true(s1 && s2 && s3);
    cJSON *i1 = tu_ok(s1->dstack_sock, "/Info", NULL), *i2 = tu_ok(s2->dstack_sock, "/Info", NULL);
    assert_string_equal(tu_str(i1, "app_id"), tu_str(i2, "app_id"));
    assert_string_not_equal(tu_str(i1, "instance_id"), tu_str(i2, "instance_id"));
    cJSON *k1 = tu_ok(s1->dstack_sock, "/GetKey", "{\"path\":\"x\"}");
    cJSON *k2 = tu_ok(s2->dstack_sock, "/GetKey", "{\"path\":\"x\"}");
    assert_string_equal(tu_str(k1, "key"), tu_str(k2, "key"));
    cJSON *m1 = tu_ok(s1->dstack_sock, "/GetMeta", NULL), *m3 = tu_ok(s3->dstack_sock, "/GetMeta", NULL);
    assert_string_equal(tu_str(m1, "k256_address"), tu_str(m3, "k256_address"));
    assert_string_equal(tu_str(m3, "app_id"), "2121212121212121212121212121212121212121");
    /* vector F's app id under our root: the KMS link verifies for that app id */
    cJSON *k3 = tu_ok(s3->dstack_sock, "/GetKey", "{\"path\":\"x\",\"purpose\":\"p\"}");
    uint8_t key[32], pub[33], l0[65], l1[65], root[20], app_id[20];
    tu_hex(tu_str(k3, "key"), key, 32);
    ds_secp_pubkey(key, pub, 33);
    tu_hex(cJSON_GetArrayItem(cJSON_GetObjectItem(k3, "signature_chain"), 0)->valuestring, l0, 65);
    tu_hex(cJSON_GetArrayItem(cJSON_GetObjectItem(k3, "signature_chain"), 1)->valuestring, l1, 65);
    tu_hex(tu_str(m3, "k256_address"), root, 20);
    memset(app_id, 0x21, 20);
    ds_chain_result res;
    assert_int_equal(ds_chain_verify(pub, 33, "p", 1, l0, l1, app_id, root, &res), DS_OK);
    assert_int_equal(res.status, DS_CHAIN_VALID);
    cJSON *objs[] = {i1, i2, k1, k2, m1, m3, k3};
    for (size_t i = 0; i < sizeof objs / sizeof objs[0]; i++) cJSON_Delete(objs[i]);
    assert_int_equal(tu_stop(s1), 0);
    assert_int_equal(tu_stop(s2), 0);
    assert_int_equal(tu_stop(s3), 0);
}

/* Start-up refusals exit with status 2 and a message, never a crash. */
static void test_startup_errors(void **state) {
    (void)state;
    const char *bin = "dstack-simulator";
    const char *e1[] = {bin, "--config", "fixtures/upstream/simulator-appkeys-v0.5.11.json",
                        "--mismatch", "wrong-root", "--dstack-sock", "/tmp/never.sock", NULL};
    assert_int_equal(tu_run(e1, NULL, 0), 2);
    const char *e2[] = {bin, "--config", "/nonexistent/appkeys.json", NULL};
    assert_int_equal(tu_run(e2, NULL, 0), 2);
    const char *e3[] = {bin, "--config", "appkeys.json", "--mismatch", "bogus", NULL};
    assert_int_equal(tu_run(e3, NULL, 0), 2);
    const char *e4[] = {bin, "--config", "appkeys.json", "--instance-seed", "abcd", NULL};
    assert_int_equal(tu_run(e4, NULL, 0), 2);
    const char *e5[] = {bin, "--config", "appkeys.json", "--listen", "8.8.8.8:1", "--dstack-sock",
                        "/tmp/never2.sock", "--tappd-sock", "", NULL};
    assert_int_equal(tu_run(e5, NULL, 0), 1);
    const char *e6[] = {bin, "--help", NULL};
    assert_int_equal(tu_run(e6, NULL, 0), 0);
    const char *e7[] = {bin, "--no-such-flag", NULL};
    assert_int_equal(tu_run(e7, NULL, 0), 2);
}

/* app_compose inline in the config, and a compose with no_instance_id. */
static void test_inline_compose_no_instance(void **state) {
    (void)state;
    char dir[] = "/tmp/dssimc.XXXXXX";
    assert_non_null(mkdtemp(dir));
    char cfg[128], compose[128];
    snprintf(cfg, sizeof cfg, "%s/cfg.json", dir);
    snprintf(compose, sizeof compose, "%s/compose.json", dir);
    const char *text = "{\"name\":\"inline\", \"no_instance_id\": true}";
    cJSON *c = cJSON_CreateObject();
    cJSON_AddStringToObject(c, "kms_root_key", "1111111111111111111111111111111111111111111111111111111111111111");
    cJSON_AddStringToObject(c, "app_compose", text);
    char *ct = cJSON_Print(c);
    FILE *f = fopen(cfg, "w");
    fputs(ct, f);
    fclose(f);
    free(ct);
    cJSON_Delete(c);
    const char *args[] = {"--config", cfg, NULL};
    ds_testsim *sim = tu_start(args);
    assert_non_null(sim);
    cJSON *info = tu_ok(sim->dstack_sock, "/Info", NULL);
    uint8_t h[32];
    char hex[65];
    ds_sha256((const uint8_t *)text, strlen(text), h);
    assert_string_equal(tu_str(info, "compose_hash"), ds_hex_encode(h, 32, hex));
    assert_string_equal(tu_str(info, "instance_id"), "");
    assert_string_equal(tu_str(info, "app_name"), "inline");
    cJSON_Delete(info);
    /* vector F's root: GetMeta publishes 0x19e7e376… */
    cJSON *m = tu_ok(sim->dstack_sock, "/GetMeta", NULL);
    assert_string_equal(tu_str(m, "k256_pubkey"),
                        "034f355bdcb7cc0af728ef3cceb9615d90684bb5b2ca5f859ab0f0b704075871aa");
    cJSON_Delete(m);
    assert_int_equal(tu_stop(sim), 0);
    /* --compose FILE overrides it */
    f = fopen(compose, "w");
    fputs("{\"name\":\"from-file\"}", f);
    fclose(f);
    const char *args2[] = {"--config", cfg, "--compose", compose, NULL};
    sim = tu_start(args2);
    assert_non_null(sim);
    info = tu_ok(sim->dstack_sock, "/Info", NULL);
    assert_string_equal(tu_str(info, "app_name"), "from-file");
    assert_int_equal(strlen(tu_str(info, "instance_id")), 40);
    cJSON_Delete(info);
    assert_int_equal(tu_stop(sim), 0);
    unlink(cfg);
    unlink(compose);
    rmdir(dir);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_upstream_vectors),
        cmocka_unit_test(test_vector_c),
        cmocka_unit_test(test_mismatch_variants),
        cmocka_unit_test(test_shared_root_instances),
        cmocka_unit_test(test_startup_errors),
        cmocka_unit_test(test_inline_compose_no_instance),
    };
    return cmocka_run_group_tests_name("sim_compat", tests, NULL, NULL);
}
