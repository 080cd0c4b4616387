/* test_sim_v06_worker.c — the Worker API of --agent-version 0.6.0 (external.sock: /prpc,
 * /prpc/v0, /prpc/v1) over real sockets: its methods and errors, the DIP-1 report data
 * byte-exact under the upstream simulator's own keys, and public_tcbinfo false hiding
 * tcb_info / vm_config / app_compose, with the health file. Values from
 * guest-agent-external.md §2–§5.
 */
#include "sim_v06util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ds_hash.h"
#include "ds_hex.h"
#include "ds_json.h"
#include "ds_secp.h"

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

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_worker_api),
        cmocka_unit_test(test_worker_dip1_vectors),
        cmocka_unit_test(test_compose_gating_and_health),
    };
    return cmocka_run_group_tests(tests, v06_setup, v06_teardown);
}
