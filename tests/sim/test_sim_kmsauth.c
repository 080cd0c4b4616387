/* test_sim_kmsauth.c — --kms-auth webhook:URL against our own auth api (hook_server.h):
 * the exact BootInfo the simulator sends (every value checked against Info, the quote and
 * the quote's verification under the simulator's PKI), one question per boot while it is
 * allowed, the 400 "Boot denied: <reason>" of every key method while Info, GetQuote,
 * Attest, GetMeta and the dashboard keep answering, the re-check at most once a second
 * (denied → allowed recovers without a restart; allowed stays allowed), an auth api that
 * is down, slow, answers garbage, a huge body, a non-2xx status or the wrong shape (exact
 * errors, bounded waits, other methods unaffected), /metrics, and bad flags.
 */
#include "sim_testutil.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ds_hash.h"
#include "ds_hex.h"
#include "ds_qverify.h"
#include "hook_server.h"

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* A simulator asking the hook (timeout 1 s), serving TCP on *port, extra args appended. */
static ds_testsim *start_hooked(hook_server *h, int *port, const char *const *extra) {
    static char auth[80], listen[40];
    snprintf(auth, sizeof auth, "webhook:http://127.0.0.1:%d", hook_port(h));
    *port = tu_free_port();
    snprintf(listen, sizeof listen, "127.0.0.1:%d", *port);
    const char *args[32] = {
        "--config", "appkeys.json", "--kms-auth", auth,        "--kms-auth-timeout",
        "1",        "--listen",     listen,       "--workers", "4"};
    size_t n = 10;
    for (size_t i = 0; extra && extra[i] && n < 31; i++)
        args[n++] = extra[i];
    args[n] = NULL;
    ds_testsim *ts = tu_start(args);
    assert_non_null(ts);
    return ts;
}

/* POST path on sock; returns the exact body (malloc'd) and asserts the status. */
static char *call(const char *sock, const char *path, const char *json, int want) {
    int st;
    char *body = tu_raw(sock, "POST", path, json ? json : "{}", &st, NULL);
    if (st != want) fprintf(stderr, "%s -> %d %s (wanted %d)\n", path, st, body, want);
    assert_int_equal(st, want);
    return body;
}

static void expect_error(const char *sock, const char *path, const char *json, const char *msg) {
    char *body = call(sock, path, json, 400);
    cJSON *j = cJSON_Parse(body);
    assert_non_null(j);
    if (strcmp(tu_str(j, "error"), msg))
        fprintf(stderr, "%s: got  %s\n%s: want %s\n", path, tu_str(j, "error"), path, msg);
    assert_string_equal(tu_str(j, "error"), msg);
    cJSON_Delete(j);
    free(body);
}

/* GET target on the TCP listener, asserting a 200; the body (malloc'd). */
static char *http_body(int port, const char *target) {
    int status;
    char *body = tu_tcp_get(port, target, &status);
    assert_int_equal(status, 200);
    return body;
}

/* The BootInfo JSON the KMS would send, rebuilt from Info, GetQuote and the quote's
 * verification under the PKI the simulator publishes (root.pem, collateral.json). */
static char *expected_boot_info(const char *sock, int port) {
    cJSON *info = tu_ok(sock, "/Info", "{}");
    cJSON *tcb = cJSON_Parse(tu_str(info, "tcb_info"));
    assert_non_null(tcb);
    uint8_t buf[48 * 4 + 32], mrs[32];
    tu_hex(tu_str(tcb, "mrtd"), buf, 48);
    tu_hex(tu_str(tcb, "rtmr0"), buf + 48, 48);
    tu_hex(tu_str(tcb, "rtmr1"), buf + 96, 48);
    tu_hex(tu_str(tcb, "rtmr2"), buf + 144, 48);
    const char *kp = tu_str(info, "key_provider_info");
    ds_sha256((const uint8_t *)kp, strlen(kp), buf + 192);
    ds_sha256(buf, sizeof buf, mrs);
    char mrs_hex[65], kp_hex[2048], dev_hex[65];
    ds_hex_encode(mrs, 32, mrs_hex);
    assert_true(strlen(kp) < 1000);
    ds_hex_encode((const uint8_t *)kp, strlen(kp), kp_hex);

    /* device id = sha256(PPID of the quote's PCK certificate), as the KMS derives it */
    cJSON *q = tu_ok(sock, "/GetQuote", "{\"report_data\":\"00\"}");
    size_t qlen;
    uint8_t *quote = tu_hex_alloc(tu_str(q, "quote"), &qlen);
    char *pem = http_body(port, "/sim/pki/root.pem");
    char *colj = http_body(port, "/sim/pki/collateral.json");
    uint8_t *root;
    size_t root_len;
    assert_int_equal(ds_qverify_root_der((const uint8_t *)pem, strlen(pem), &root, &root_len),
                     DS_OK);
    ds_collateral col;
    char err[256];
    assert_int_equal(ds_collateral_from_json(colj, strlen(colj), &col, err, sizeof err), DS_OK);
    ds_qverify_result res;
    assert_int_equal(ds_qverify(quote, qlen, root, root_len, &col, (int64_t)time(NULL), &res),
                     DS_OK);
    uint8_t dev[32];
    ds_sha256(res.ppid, 16, dev);
    ds_hex_encode(dev, 32, dev_hex);
    char *out = malloc(8192);
    snprintf(out, 8192,
             "{\"attestationMode\":\"dstack-tdx\",\"mrAggregated\":\"%s\",\"osImageHash\":\"%s\","
             "\"mrSystem\":\"%s\",\"appId\":\"%s\",\"composeHash\":\"%s\",\"instanceId\":\"%s\","
             "\"deviceId\":\"%s\",\"keyProviderInfo\":\"%s\",\"tcbStatus\":\"%s\","
             "\"advisoryIds\":[]}",
             tu_str(info, "mr_aggregated"), tu_str(info, "os_image_hash"), mrs_hex,
             tu_str(info, "app_id"), tu_str(info, "compose_hash"), tu_str(info, "instance_id"),
             dev_hex, kp_hex, res.status);
    assert_string_equal(res.status, "UpToDate");
    ds_qverify_result_free(&res);
    ds_collateral_free(&col);
    free(root);
    free(pem);
    free(colj);
    free(quote);
    cJSON_Delete(q);
    cJSON_Delete(tcb);
    cJSON_Delete(info);
    return out;
}

static void test_allowed_boot_info_exact(void **state) {
    (void)state;
    hook_server *h = hook_start();
    int port;
    ds_testsim *ts = start_hooked(h, &port, NULL);
    const char *S = ts->dstack_sock;
    assert_int_equal(hook_posts(h), 1); /* asked once, at start */
    assert_int_equal(hook_gets(h), 1);  /* and read the auth api's info */
    char *want = expected_boot_info(S, port);
    char *got = hook_last_body(h);
    assert_string_equal(got, want);
    /* GetMeta shows the same BootInfo, the decision and the info */
    cJSON *meta = tu_ok(S, "/GetMeta", "{}");
    cJSON *ka = cJSON_GetObjectItemCaseSensitive(meta, "kms_auth");
    assert_string_equal(tu_str(ka, "mode"), "webhook");
    assert_string_equal(tu_str(ka, "decision"), "allowed");
    assert_string_equal(tu_str(ka, "reason"), "");
    assert_string_equal(tu_str(ka, "gateway_app_id"), "gw-test");
    assert_int_equal(strlen(tu_str(ka, "decided_at")), 24);
    char *bi = cJSON_PrintUnformatted(cJSON_GetObjectItemCaseSensitive(ka, "boot_info"));
    assert_string_equal(bi, want);
    assert_int_equal(
        cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(ka, "info"), "chainId")
            ->valueint,
        31337);
    /* keys flow, and an allowed boot is never asked again */
    for (int i = 0; i < 5; i++)
        free(call(S, "/GetKey", "{\"path\":\"a\"}", 200));
    free(call(S, "/Sign", "{\"algorithm\":\"secp256k1\",\"data\":\"00\"}", 200));
    assert_int_equal(hook_posts(h), 1);
    char *m = tu_scrape(port);
    assert_non_null(strstr(m, "dstack_sim_kms_auth_decision{mode=\"webhook\",decision=\"allowed\","
                              "reason=\"\"} 1\n"));
    assert_int_equal(tu_sample(m, "dstack_sim_kms_auth_checks_total{result=\"allowed\"}"), 1);
    free(m);
    cJSON_free(bi);
    cJSON_Delete(meta);
    free(want);
    free(got);
    assert_int_equal(tu_stop(ts), 0);
    hook_stop(h);
}

/* Every key method refuses with the KMS's words; everything else answers. */
static void test_denied_every_key_method(void **state) {
    (void)state;
    hook_server *h = hook_start();
    hook_set(h, HOOK_DENY, 0, "Compose hash not allowed", 0);
    int port;
    const char *v6[] = {"--agent-version", "0.6.0", NULL};
    ds_testsim *ts = start_hooked(h, &port, v6);
    const char *S = ts->dstack_sock;
    const char *D = "Boot denied: Compose hash not allowed";
    expect_error(S, "/GetKey", "{\"path\":\"a\"}", D);
    expect_error(S, "/v0/GetKey", "{\"path\":\"a\"}", D);
    expect_error(S, "/GetTlsKey", "{}", D);
    expect_error(S, "/Sign", "{\"algorithm\":\"secp256k1\",\"data\":\"00\"}", D);
    expect_error(S, "/v1/GetKey", "{\"path\":\"a\"}", D);
    expect_error(S, "/v1/IssueCert", "{}", D);
    expect_error(ts->tappd_sock, "/prpc/Tappd.DeriveKey", "{\"path\":\"a\"}", D);
    expect_error(ts->tappd_sock, "/prpc/Tappd.DeriveK256Key", "{\"path\":\"a\"}", D);
    expect_error(ts->external_sock, "/prpc/Worker.GetAttestationForAppKey", "{}", D);
    cJSON_Delete(tu_ok(S, "/Info", "{}"));
    cJSON_Delete(tu_ok(S, "/GetQuote", "{\"report_data\":\"00\"}"));
    cJSON_Delete(tu_ok(S, "/Attest", "{\"report_data\":\"00\"}"));
    cJSON_Delete(tu_ok(S, "/v1/Info", "{}"));
    /* Verify uses no key of the app: it answers with its own checks */
    expect_error(S, "/Verify",
                 "{\"algorithm\":\"secp256k1\",\"data\":\"00\",\"signature\":\"00\","
                 "\"public_key\":\"00\"}",
                 "Invalid signature: expected 64 bytes, got 1");
    cJSON_Delete(tu_ok(ts->external_sock, "/prpc/Worker.Info", "{}"));
    cJSON *meta = tu_ok(S, "/GetMeta", "{}");
    cJSON *ka = cJSON_GetObjectItemCaseSensitive(meta, "kms_auth");
    assert_string_equal(tu_str(ka, "decision"), "denied");
    assert_string_equal(tu_str(ka, "reason"), "Compose hash not allowed");
    cJSON_Delete(meta);
    char *dash = http_body(port, "/sim/dashboard.json");
    assert_non_null(strstr(dash, "\"kms_auth\":{\"mode\":\"webhook\""));
    assert_non_null(strstr(dash, "\"decision\":\"denied\",\"allowed\":false,\"reason\":"
                                 "\"Compose hash not allowed\""));
    free(dash);
    char *m = tu_scrape(port);
    assert_non_null(strstr(m, "dstack_sim_kms_auth_decision{mode=\"webhook\",decision=\"denied\","
                              "reason=\"Compose hash not allowed\"} 1\n"));
    free(m);
    char *log = tu_term_log(ts, "Boot denied: Compose hash not allowed");
    assert_non_null(strstr(log, "dstack-simulator: kms auth (webhook http://127.0.0.1:"));
    assert_non_null(strstr(log, "the app's keys are withheld"));
    free(log);
    assert_int_equal(tu_stop(ts), 0);
    hook_stop(h);
}

/* Denied → fixed → keys after ≥ 1 s, no restart; allowed → revoked → still allowed. */
static void test_recheck(void **state) {
    (void)state;
    hook_server *h = hook_start();
    hook_set(h, HOOK_DENY, 0, "OS image is not allowed", 0);
    int port;
    ds_testsim *ts = start_hooked(h, &port, NULL);
    const char *S = ts->dstack_sock;
    double t0 = now_s();
    expect_error(S, "/GetKey", "{\"path\":\"a\"}", "Boot denied: OS image is not allowed");
    int before = hook_posts(h);
    for (int i = 0; i < 5; i++) /* within the second: no new question */
        expect_error(S, "/GetKey", "{\"path\":\"a\"}", "Boot denied: OS image is not allowed");
    if (now_s() - t0 < 0.9) assert_int_equal(hook_posts(h), before);
    hook_set(h, HOOK_ALLOW, 0, NULL, 0);
    usleep(1100 * 1000);
    int asked = hook_posts(h);
    free(call(S, "/GetKey", "{\"path\":\"a\"}", 200));
    assert_int_equal(hook_posts(h), asked + 1);
    hook_set(h, HOOK_DENY, 0, "Compose hash not allowed", 0);
    usleep(1100 * 1000);
    free(call(S, "/GetKey", "{\"path\":\"a\"}", 200));
    free(call(ts->tappd_sock, "/prpc/Tappd.DeriveK256Key", "{\"path\":\"a\"}", 200));
    assert_int_equal(hook_posts(h), asked + 1); /* the decision holds until the next boot */
    assert_int_equal(tu_stop(ts), 0);
    hook_stop(h);
}

/* An auth api that answers badly: each failure named, keys withheld, nothing hangs. */
static void test_broken_auth_api(void **state) {
    (void)state;
    hook_server *h = hook_start();
    char big[700];
    memset(big, 'b', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    hook_set(h, HOOK_RAW, 500, big, 0);
    int port;
    ds_testsim *ts = start_hooked(h, &port, NULL);
    const char *S = ts->dstack_sock;
    char url[80], want[1200];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/bootAuth/app", hook_port(h));
    snprintf(want, sizeof want,
             "App not allowed: auth api %s returned 500 Internal Server Error: "
             "%.512s",
             url, big);
    expect_error(S, "/GetKey", "{\"path\":\"a\"}", want); /* the body cut at 512 bytes */

    hook_set(h, HOOK_RAW, 200, "<html>not json</html>", 0);
    usleep(1050 * 1000);
    snprintf(want, sizeof want,
             "App not allowed: failed to decode response from %s, "
             "status=200 OK, body=<html>not json</html>",
             url);
    expect_error(S, "/GetKey", "{\"path\":\"a\"}", want);

    hook_set(h, HOOK_RAW, 200, "{\"allowed\":true}", 0);
    usleep(1050 * 1000);
    snprintf(want, sizeof want,
             "App not allowed: failed to decode response from %s: expected "
             "{\"isAllowed\": bool, \"reason\": string, \"gatewayAppId\": string}, got "
             "{\"allowed\":true}",
             url);
    expect_error(S, "/GetKey", "{\"path\":\"a\"}", want);

    hook_set(h, HOOK_HUGE, 0, NULL, 0);
    usleep(1050 * 1000);
    snprintf(want, sizeof want, "App not allowed: auth api %s: the answer is larger than 64 KiB",
             url);
    expect_error(S, "/GetKey", "{\"path\":\"a\"}", want);

    /* slow: the key request waits for the timeout (1 s), no longer; other methods answer
     * at once meanwhile, and concurrent key requests share the one question */
    hook_set(h, HOOK_SLOW, 0, NULL, 3000);
    usleep(1050 * 1000);
    int asked = hook_posts(h);
    pid_t kids[2];
    for (int k = 0; k < 2; k++) {
        kids[k] = fork();
        if (kids[k] == 0) {
            int st;
            char *b = tu_raw(S, "POST", "/GetKey", "{\"path\":\"a\"}", &st, NULL);
            _exit(st == 400 && strstr(b, "no answer within 1000 ms") ? 0 : 1);
        }
        usleep(100 * 1000);
    }
    double t0 = now_s();
    cJSON_Delete(tu_ok(S, "/Info", "{}"));
    cJSON_Delete(tu_ok(S, "/GetQuote", "{\"report_data\":\"00\"}"));
    assert_true(now_s() - t0 < 0.5);
    for (int k = 0; k < 2; k++) {
        int st;
        assert_int_equal(waitpid(kids[k], &st, 0), kids[k]);
        assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    }
    assert_true(now_s() - t0 < 2.0);
    assert_int_equal(hook_posts(h), asked + 1);
    snprintf(want, sizeof want, "App not allowed: auth api %s: no answer within 1000 ms", url);
    expect_error(S, "/GetKey", "{\"path\":\"a\"}", want); /* within the second: the last answer */
    char *m = tu_scrape(port);
    assert_true(tu_sample(m, "dstack_sim_kms_auth_checks_total{result=\"error\"}") >= 5);
    free(m);

    /* the api comes back: keys without a restart */
    hook_set(h, HOOK_ALLOW, 0, NULL, 0);
    usleep(1050 * 1000);
    free(call(S, "/GetKey", "{\"path\":\"a\"}", 200));
    assert_int_equal(tu_stop(ts), 0);
    hook_stop(h);
}

static void test_auth_api_down(void **state) {
    (void)state;
    int dead = tu_free_port();
    char auth[80], want[300];
    snprintf(auth, sizeof auth, "webhook:http://127.0.0.1:%d/", dead);
    const char *args[] = {"--config", "appkeys.json", "--kms-auth", auth, NULL};
    double t0 = now_s();
    ds_testsim *ts = tu_start(args);
    assert_non_null(ts);
    assert_true(now_s() - t0 < 10);
    snprintf(want, sizeof want,
             "App not allowed: auth api http://127.0.0.1:%d/bootAuth/app: "
             "cannot connect (Couldn't connect to server): is the auth api running?",
             dead);
    expect_error(ts->dstack_sock, "/GetKey", "{\"path\":\"a\"}", want);
    cJSON *meta = tu_ok(ts->dstack_sock, "/GetMeta", "{}");
    cJSON *ka = cJSON_GetObjectItemCaseSensitive(meta, "kms_auth");
    assert_string_equal(tu_str(ka, "decision"), "error");
    char info[200];
    snprintf(info, sizeof info,
             "auth api http://127.0.0.1:%d/: cannot connect (Couldn't connect "
             "to server): is the auth api running?",
             dead);
    assert_string_equal(tu_str(ka, "info"), info);
    cJSON_Delete(meta);
    assert_int_equal(tu_stop(ts), 0);
}

static void test_bad_flags(void **state) {
    (void)state;
    static const struct {
        const char *flag, *value, *rpc, *msg;
    } cases[] = {
        {"--kms-auth", "chain", NULL,
         "dstack-simulator: --kms-auth: expected dev, webhook:URL or contract:ADDRESS (got "
         "\"chain\")"},
        {"--kms-auth", "webhook:ftp://x", NULL,
         "dstack-simulator: --kms-auth: webhook:URL: expected an http:// or https:// URL of at "
         "most 400 characters (got \"ftp://x\")"},
        {"--kms-auth", "contract:0x1234", NULL,
         "dstack-simulator: --kms-auth: contract:ADDRESS: expected the DstackKms address, 20 "
         "bytes of hex (got \"0x1234\")"},
        {"--kms-auth", "contract:0x5FbDB2315678afecb367f032d93F642f64180aa3", NULL,
         "dstack-simulator: --kms-auth contract: needs --rpc http://HOST:PORT, the chain that "
         "holds the DstackKms (e.g. a local Anvil or a fork of it); no --rpc given"},
        {"--kms-auth", "contract:5FbDB2315678afecb367f032d93F642f64180aa3", "ws://x",
         "dstack-simulator: --kms-auth contract: needs --rpc http://HOST:PORT, the chain that "
         "holds the DstackKms (e.g. a local Anvil or a fork of it)"},
        {"--kms-auth-timeout", "0", NULL,
         "dstack-simulator: --kms-auth-timeout: expected an integer from 1 to 300"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *argv[12] = {"dstack-simulator",
                                "--config",
                                "appkeys.json",
                                cases[i].flag,
                                cases[i].value,
                                "--dstack-sock",
                                "/tmp/kmsauth-never.sock",
                                "--tappd-sock",
                                ""};
        if (cases[i].rpc) argv[9] = "--rpc", argv[10] = cases[i].rpc;
        char msg[512];
        assert_int_equal(tu_run(argv, msg, sizeof msg), 2);
        assert_string_equal(msg, cases[i].msg);
    }
}

/* appkeys.json with `fields` added at the top, in a temp file (path written to out). */
static void config_with(const char *fields, char *out, size_t cap) {
    size_t n;
    char *base = tu_read("appkeys.json", &n);
    char *brace = strchr(base, '{');
    assert_non_null(brace);
    snprintf(out, cap, "kmsauth-config-XXXXXX"); /* beside app-compose.json */
    int fd = mkstemp(out);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    fprintf(f, "{%s,%s", fields, brace + 1);
    fclose(f);
    chmod(out, 0600);
    free(base);
}

static void test_config_file(void **state) {
    (void)state;
    hook_server *h = hook_start();
    hook_set(h, HOOK_DENY, 0, "Device not allowed", 0);
    char fields[200], path[64];
    snprintf(fields, sizeof fields,
             "\"kms_auth\":\"webhook:http://127.0.0.1:%d\",\"kms_auth_timeout\":2", hook_port(h));
    config_with(fields, path, sizeof path);
    const char *args[] = {"--config", path, NULL};
    ds_testsim *ts = tu_start(args);
    assert_non_null(ts);
    expect_error(ts->dstack_sock, "/GetKey", "{}", "Boot denied: Device not allowed");
    assert_int_equal(hook_posts(h), 1);
    assert_int_equal(tu_stop(ts), 0);
    unlink(path);
    hook_stop(h);
    static const struct {
        const char *fields, *msg;
    } bad[] = {
        {"\"kms_auth\":5", "kms_auth: expected a string: \"dev\", \"webhook:URL\" or "
                           "\"contract:ADDRESS\""},
        {"\"kms_auth\":\"nope\"", "kms_auth: expected dev, webhook:URL or contract:ADDRESS "
                                  "(got \"nope\")"},
        {"\"kms_auth_timeout\":0.5", "kms_auth_timeout: expected whole seconds from 1 to 300"},
        {"\"rpc_url\":1", "rpc_url: expected a string such as \"http://127.0.0.1:8545\""},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        config_with(bad[i].fields, path, sizeof path);
        const char *argv[] = {"dstack-simulator",        "--config",     path, "--dstack-sock",
                              "/tmp/kmsauth-never.sock", "--tappd-sock", "",   NULL};
        char msg[512], want[600];
        assert_int_equal(tu_run(argv, msg, sizeof msg), 2);
        snprintf(want, sizeof want, "dstack-simulator: %s", bad[i].msg);
        assert_string_equal(msg, want);
        unlink(path);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_allowed_boot_info_exact),
        cmocka_unit_test(test_denied_every_key_method),
        cmocka_unit_test(test_recheck),
        cmocka_unit_test(test_broken_auth_api),
        cmocka_unit_test(test_auth_api_down),
        cmocka_unit_test(test_bad_flags),
        cmocka_unit_test(test_config_file),
    };
    return cmocka_run_group_tests_name("sim_kmsauth", tests, NULL, NULL);
}
