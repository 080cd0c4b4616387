/* test_sim_dashboard.c — GET /sim/dashboard.json, the dashboard's JSON document, against
 * the API it summarises: identity equals GetMeta and Version, the replayed RTMRs and the
 * log length equal Info's, the last quote is the one GetQuote returned (decoded field by
 * field), each key request (GetKey, Sign, Tappd.DeriveK256Key) is recorded with its
 * derived public key and what its chain recovers to — and no private key is ever in it.
 * Also: a --mismatch run (the canonical recovery then leads elsewhere), a static-mode run
 * (the app key is in the config file), /v1/GetKey at --agent-version 0.6.0, and the page
 * only on the TCP listener.
 */
#include "sim_testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ds_ed25519.h"
#include "ds_hex.h"
#include "ds_secp.h"

typedef struct {
    ds_testsim *sim;
    int port;
} dash;

static void dash_start_at(dash *d, const char *config, const char *mismatch, const char *agent) {
    static char addr[64];
    d->port = tu_free_port();
    snprintf(addr, sizeof addr, "127.0.0.1:%d", d->port);
    const char *args[] = {"--config",        config, "--listen", addr, "--mismatch", mismatch,
                          "--agent-version", agent,  NULL};
    d->sim = tu_start(args);
}

static void dash_start(dash *d, const char *config, const char *mismatch) {
    dash_start_at(d, config, mismatch, "0.5.11");
}

/* The JSON document (asserted 200 and JSON); its text in *text when given (malloc'd). */
static cJSON *doc(int port, const char *query, char **text) {
    char target[128];
    int status;
    snprintf(target, sizeof target, "/sim/dashboard.json%s", query);
    char *body = tu_tcp_get(port, target, &status);
    assert_int_equal(status, 200);
    cJSON *j = cJSON_Parse(body);
    assert_non_null(j);
    if (text)
        *text = body;
    else
        free(body);
    return j;
}

static const cJSON *item(const cJSON *o, const char *path) {
    char buf[128];
    snprintf(buf, sizeof buf, "%s", path);
    const cJSON *cur = o;
    for (char *save = NULL, *k = strtok_r(buf, ".", &save); k; k = strtok_r(NULL, ".", &save)) {
        cur = cJSON_IsArray(cur) ? cJSON_GetArrayItem(cur, atoi(k))
                                 : cJSON_GetObjectItemCaseSensitive(cur, k);
        if (!cur) fail_msg("no %s in the document", path);
    }
    return cur;
}

static const char *s(const cJSON *o, const char *path) {
    const cJSON *v = item(o, path);
    assert_true(cJSON_IsString(v));
    return v->valuestring;
}

static double n(const cJSON *o, const char *path) {
    const cJSON *v = item(o, path);
    assert_true(cJSON_IsNumber(v));
    return v->valuedouble;
}

static void assert_absent(const char *text, const char *secret_hex) {
    if (strstr(text, secret_hex))
        fail_msg("private material in the dashboard JSON: %s", secret_hex);
}

static void test_root_mode(void **state) {
    (void)state;
    dash d;
    dash_start(&d, "appkeys.json", "none");
    const char *S = d.sim->dstack_sock;
    cJSON *meta = tu_ok(S, "/GetMeta", "{}"), *ver = tu_ok(S, "/Version", "{}");
    cJSON *info = tu_ok(S, "/Info", "{}");
    cJSON *tcb = cJSON_Parse(tu_str(info, "tcb_info"));

    cJSON *j = doc(d.port, "", NULL);
    assert_string_equal(s(j, "identity.app_id"), tu_str(meta, "app_id"));
    assert_string_equal(s(j, "identity.instance_id"), tu_str(meta, "instance_id"));
    assert_string_equal(s(j, "identity.compose_hash"), tu_str(meta, "compose_hash"));
    assert_string_equal(s(j, "identity.app_pubkey"), tu_str(meta, "app_pubkey"));
    assert_string_equal(s(j, "identity.kms_root_pubkey"), tu_str(meta, "k256_pubkey"));
    assert_string_equal(s(j, "identity.kms_root_address"), tu_str(meta, "k256_address"));
    assert_string_equal(s(j, "identity.agent.version"), tu_str(ver, "version"));
    assert_string_equal(s(j, "identity.mismatch"), "none");
    assert_string_equal(s(j, "identity.tcb_status"), "UpToDate");
    int events = cJSON_GetArraySize(item(tcb, "event_log"));
    assert_int_equal(n(j, "events_total"), events);
    assert_int_equal(cJSON_GetArraySize(item(j, "events")), events);
    for (int i = 0; i < 4; i++) {
        char k[16], p[32];
        snprintf(k, sizeof k, "rtmr%d", i);
        snprintf(p, sizeof p, "rtmr_replay.%d", i);
        assert_string_equal(s(j, p), tu_str(tcb, k));
    }
    assert_true(cJSON_IsNull(item(j, "quote")));
    assert_int_equal(n(j, "keys_total"), 0);
    cJSON_Delete(j);

    /* The last quote is GetQuote's, decoded. */
    cJSON *q = tu_ok(S, "/GetQuote", "{\"report_data\":\"c0ffee\"}");
    j = doc(d.port, "", NULL);
    assert_int_equal(n(j, "quote.bytes"), strlen(tu_str(q, "quote")) / 2);
    assert_int_equal(n(j, "quote.events"), events);
    assert_int_equal(n(j, "quote.header.version"), 4);
    assert_int_equal(n(j, "quote.header.tee_type"), 0x81);
    assert_string_equal(s(j, "quote.report_data"), tu_str(q, "report_data"));
    assert_string_equal(s(j, "quote.td_report.rt_mr3"), tu_str(tcb, "rtmr3"));
    assert_string_equal(s(j, "quote.td_report.mr_td"), tu_str(tcb, "mrtd"));
    assert_true(cJSON_IsTrue(item(j, "quote.signature.valid")));
    cJSON_Delete(j);
    cJSON_Delete(q);

    /* Key requests: GetKey, Sign (ed25519), Tappd.DeriveK256Key — newest first. */
    cJSON *k = tu_ok(S, "/GetKey", "{\"path\":\"dash/1\",\"purpose\":\"p\"}");
    cJSON *sg = tu_ok(S, "/Sign", "{\"algorithm\":\"ed25519\",\"data\":\"00\"}");
    cJSON *tk = tu_ok(d.sim->tappd_sock, "/prpc/Tappd.DeriveK256Key", "{\"path\":\"dash/2\"}");
    char *text;
    j = doc(d.port, "", &text);
    assert_int_equal(n(j, "keys_total"), 3);
    assert_string_equal(s(j, "keys.0.method"), "Tappd.DeriveK256Key");
    assert_string_equal(s(j, "keys.1.method"), "Sign");
    assert_string_equal(s(j, "keys.1.algorithm"), "ed25519");
    assert_string_equal(s(j, "keys.1.public_key"), tu_str(sg, "public_key"));
    assert_string_equal(s(j, "keys.2.method"), "GetKey");
    assert_string_equal(s(j, "keys.2.path"), "dash/1");
    assert_string_equal(s(j, "keys.2.purpose"), "p");
    uint8_t key[32], pub[33];
    char hex[67];
    tu_hex(tu_str(k, "key"), key, 32);
    assert_int_equal(ds_secp_pubkey(key, pub, 33), DS_OK);
    assert_string_equal(s(j, "keys.2.public_key"), ds_hex_encode(pub, 33, hex));
    for (int i = 0; i < 3; i++) {
        char p[64];
        snprintf(p, sizeof p, "keys.%d.chain_app_pubkey", i);
        assert_string_equal(s(j, p), tu_str(meta, "app_pubkey"));
        snprintf(p, sizeof p, "keys.%d.chain_root_address", i);
        assert_string_equal(s(j, p), tu_str(meta, "k256_address"));
        snprintf(p, sizeof p, "keys.%d.root_matches", i);
        assert_true(cJSON_IsTrue(item(j, p)));
    }
    /* Never a private key: GetKey's, DeriveK256Key's, the root key of appkeys.json. */
    assert_absent(text, tu_str(k, "key"));
    assert_absent(text, tu_str(tk, "k256_key"));
    uint8_t root[32];
    tu_repo_root_key(root);
    char rhex[65];
    assert_absent(text, ds_hex_encode(root, 32, rhex));
    free(text);
    /* keys_after: only what came later */
    char query[64];
    snprintf(query, sizeof query, "?keys_after=%.0f", n(j, "keys.1.seq"));
    cJSON *later = doc(d.port, query, NULL);
    assert_int_equal(cJSON_GetArraySize(item(later, "keys")), 1);
    assert_string_equal(s(later, "keys.0.method"), "Tappd.DeriveK256Key");
    cJSON_Delete(later);
    cJSON_Delete(j);
    cJSON_Delete(k);
    cJSON_Delete(sg);
    cJSON_Delete(tk);

    /* The page and the JSON are not on the Unix socket. */
    int status;
    cJSON *none = tu_get(S, "/sim/dashboard.json", &status);
    assert_true(status == 400 || status == 404); /* the socket's "no such method/route" */
    assert_non_null(cJSON_GetObjectItemCaseSensitive(none, "error"));
    cJSON_Delete(none);
    char *page = tu_tcp_get(d.port, "/", &status);
    assert_int_equal(status, 200);
    assert_non_null(strstr(page, "<title>dstack-simulator</title>"));
    free(page);

    cJSON_Delete(tcb);
    cJSON_Delete(info);
    cJSON_Delete(ver);
    cJSON_Delete(meta);
    assert_int_equal(tu_stop(d.sim), 0);
}

/* Under --mismatch eip191 the chain recovers, by dstack's canonical rules, to another app
 * key: the dashboard says so instead of hiding it. */
static void test_mismatch_shows(void **state) {
    (void)state;
    dash d;
    dash_start(&d, "appkeys.json", "eip191");
    cJSON_Delete(tu_ok(d.sim->dstack_sock, "/GetKey", "{\"path\":\"m\",\"purpose\":\"p\"}"));
    cJSON *j = doc(d.port, "", NULL);
    assert_string_equal(s(j, "identity.mismatch"), "eip191");
    assert_true(cJSON_IsFalse(item(j, "keys.0.app_matches")));
    assert_true(cJSON_IsFalse(item(j, "keys.0.root_matches")));
    cJSON_Delete(j);
    assert_int_equal(tu_stop(d.sim), 0);
}

/* Static mode: the app key itself is in the config file; it never reaches the JSON. */
static void test_static_mode(void **state) {
    (void)state;
    dash d;
    dash_start(&d, "fixtures/upstream/simulator-appkeys-v0.5.11.json", "none");
    cJSON_Delete(tu_ok(d.sim->dstack_sock, "/GetKey", "{\"path\":\"s\",\"purpose\":\"p\"}"));
    cJSON_Delete(tu_ok(d.sim->dstack_sock, "/Sign", "{\"data\":\"00\"}"));
    char *text;
    cJSON *j = doc(d.port, "", &text);
    assert_string_equal(s(j, "identity.mode"), "static");
    assert_true(cJSON_IsTrue(item(j, "keys.0.app_matches")));
    size_t len;
    char *cfg = tu_read("fixtures/upstream/simulator-appkeys-v0.5.11.json", &len);
    cJSON *c = cJSON_Parse(cfg);
    assert_absent(text, tu_str(c, "k256_key"));
    assert_absent(text, tu_str(c, "disk_crypt_key"));
    assert_absent(text, tu_str(c, "env_crypt_key"));
    cJSON_Delete(c);
    free(cfg);
    free(text);
    cJSON_Delete(j);
    assert_int_equal(tu_stop(d.sim), 0);
}

/* dstack 0.6's /v1/GetKey: recorded with its domain, and its chain recovered under the v1
 * claim to the same app key and KMS root; the agent version follows --agent-version. */
static void test_v1_getkey(void **state) {
    (void)state;
    dash d;
    dash_start_at(&d, "appkeys.json", "none", "0.6.0");
    const char *S = d.sim->dstack_sock;
    cJSON *meta = tu_ok(S, "/GetMeta", "{}");
    cJSON *k = tu_ok(S, "/v1/GetKey", "{\"domain\":\"example.com\",\"algorithm\":\"ed25519\"}");
    char *text;
    cJSON *j = doc(d.port, "", &text);
    assert_string_equal(s(j, "identity.agent.version"), "0.6.0");
    assert_string_equal(s(j, "keys.0.method"), "v1.GetKey");
    assert_string_equal(s(j, "keys.0.claim"), "v1");
    assert_string_equal(s(j, "keys.0.path"), "example.com");
    assert_string_equal(s(j, "keys.0.algorithm"), "ed25519");
    assert_string_equal(s(j, "keys.0.public_key"), tu_str(k, "public_key"));
    assert_string_equal(s(j, "keys.0.chain_app_pubkey"), tu_str(meta, "app_pubkey"));
    assert_string_equal(s(j, "keys.0.chain_root_address"), tu_str(meta, "k256_address"));
    assert_true(cJSON_IsTrue(item(j, "keys.0.root_matches")));
    assert_absent(text, tu_str(k, "key"));
    free(text);
    cJSON_Delete(j);
    cJSON_Delete(k);
    cJSON_Delete(meta);
    assert_int_equal(tu_stop(d.sim), 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_root_mode),
        cmocka_unit_test(test_mismatch_shows),
        cmocka_unit_test(test_static_mode),
        cmocka_unit_test(test_v1_getkey),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
