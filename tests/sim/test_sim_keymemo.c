/* test_sim_keymemo.c — the per-worker GetKey memo (--key-cache, sim_keymemo.h): a reply
 * served from the memo is byte-identical to a fresh derivation by a simulator with the
 * memo off, for every algorithm, repeated or alternating keys, keys sharing one slot and
 * keys too long to memoize, and so is Sign's (its key is GetKey("vms", "signing"));
 * /metrics and the shutdown summary count hits and misses
 * exactly; bad --key-cache values are refused with a message.
 */
#include "sim_testutil.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* The raw body of a 200 reply to POST /GetKey (malloc'd). */
static char *getkey_body(const char *sock, const char *json) {
    char req[2048];
    int n = snprintf(req, sizeof req,
                     "POST /GetKey HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                     "Content-Length: %zu\r\nConnection: close\r\n\r\n%s",
                     strlen(json), json);
    assert_true(n > 0 && (size_t)n < sizeof req);
    size_t len;
    int closed, status;
    const char *body;
    size_t body_len, used;
    char *raw = tu_exchange(sock, req, (size_t)n, 0, 1, 5000, &len, &closed);
    assert_non_null(raw);
    assert_int_equal(tu_parse_response(raw, len, &status, &body, &body_len, &used), 0);
    assert_int_equal(status, 200);
    char *out = strndup(body, body_len);
    free(raw);
    return out;
}

/* A path of n 'p's (n < 300). */
static const char *long_path_json(char *buf, size_t cap, size_t n) {
    char path[300];
    memset(path, 'p', n);
    path[n] = '\0';
    snprintf(buf, cap, "{\"path\":\"%s\",\"purpose\":\"long\"}", path);
    return buf;
}

/* Every reply of a memo-on simulator equals the memo-off simulator's, over a sequence that
 * hits, misses, alternates and includes unmemoizable keys. */
static void test_memo_replies_identical(void **state) {
    (void)state;
    char lp128[400], lp129[400];
    const char *reqs[] = {
        "{\"path\":\"a\",\"purpose\":\"signing\",\"algorithm\":\"secp256k1\"}",
        "{\"path\":\"a\",\"purpose\":\"signing\",\"algorithm\":\"ed25519\"}",
        "{\"path\":\"a\",\"purpose\":\"other\",\"algorithm\":\"secp256k1\"}",
        "{\"path\":\"b\",\"purpose\":\"signing\",\"algorithm\":\"secp256k1\"}",
        "{\"path\":\"\",\"purpose\":\"\"}",
        "{\"path\":\"a\"}",
        long_path_json(lp128, sizeof lp128, 128), /* the longest memoized path */
        long_path_json(lp129, sizeof lp129, 129), /* derived every time */
    };
    const size_t n = sizeof reqs / sizeof reqs[0];
    const char *on_args[] = {"--config", "appkeys.json", "--workers", "1", NULL};
    const char *one_args[] = {"--config", "appkeys.json", "--workers", "1", "--key-cache", "1",
                              NULL};
    const char *off_args[] = {"--config", "appkeys.json", "--workers", "1", "--key-cache", "0",
                              NULL};
    ds_testsim *on = tu_start(on_args), *one = tu_start(one_args), *off = tu_start(off_args);
    char **want = calloc(n, sizeof *want);
    for (size_t i = 0; i < n; i++)
        want[i] = getkey_body(off->dstack_sock, reqs[i]);
    for (size_t i = 0; i + 1 < n; i++)
        assert_string_not_equal(want[i], want[i + 1]);
    /* Three passes in order (misses, then hits) and one in reverse, on both memo sizes:
     * with one slot every key evicts the last, so alternation is all misses. */
    for (int pass = 0; pass < 4; pass++)
        for (size_t k = 0; k < n; k++) {
            size_t i = pass == 3 ? n - 1 - k : k;
            char *a = getkey_body(on->dstack_sock, reqs[i]);
            char *b = getkey_body(one->dstack_sock, reqs[i]);
            assert_string_equal(a, want[i]);
            assert_string_equal(b, want[i]);
            free(a);
            free(b);
        }
    for (size_t i = 0; i < n; i++)
        free(want[i]);
    free(want);
    assert_int_equal(tu_stop(on), 0);
    assert_int_equal(tu_stop(one), 0);
    assert_int_equal(tu_stop(off), 0);
}

/* Sign derives its key through the memo: every algorithm's reply (deterministic
 * signatures) matches the memo-off simulator's, on the first call and on later ones. */
static void test_memo_sign_identical(void **state) {
    (void)state;
    static const char *const reqs[] = {
        "{\"algorithm\":\"secp256k1\",\"data\":\"68656c6c6f\"}",
        "{\"algorithm\":\"ed25519\",\"data\":\"68656c6c6f\"}",
        "{\"algorithm\":\"secp256k1_prehashed\",\"data\":"
        "\"00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\"}",
        "{\"algorithm\":\"secp256k1\",\"data\":\"00\"}",
    };
    const char *on_args[] = {"--config", "appkeys.json", "--workers", "1", NULL};
    const char *off_args[] = {"--config", "appkeys.json", "--workers", "1", "--key-cache", "0",
                              NULL};
    ds_testsim *on = tu_start(on_args), *off = tu_start(off_args);
    for (int pass = 0; pass < 3; pass++)
        for (size_t i = 0; i < sizeof reqs / sizeof reqs[0]; i++) {
            cJSON *a = tu_ok(on->dstack_sock, "/Sign", reqs[i]);
            cJSON *b = tu_ok(off->dstack_sock, "/Sign", reqs[i]);
            char *sa = cJSON_PrintUnformatted(a), *sb = cJSON_PrintUnformatted(b);
            assert_non_null(strstr(sa, "\"signature_chain\""));
            assert_string_equal(sa, sb);
            free(sa);
            free(sb);
            cJSON_Delete(a);
            cJSON_Delete(b);
        }
    assert_int_equal(tu_stop(on), 0);
    assert_int_equal(tu_stop(off), 0);
}

static ds_testsim *start_listening(int *port, const char *workers, const char *entries) {
    static char addr[64];
    *port = tu_free_port();
    snprintf(addr, sizeof addr, "127.0.0.1:%d", *port);
    const char *args[] = {"--config", "appkeys.json", "--listen", addr, "--workers",
                          workers,    "--key-cache",  entries,    NULL};
    return tu_start(args);
}

/* Hits and misses are counted exactly, per worker (each worker derives a key once), and
 * the entry count is the requested size rounded up to a power of two. */
static void test_memo_metrics_and_summary(void **state) {
    (void)state;
    int port;
    char lp[400];
    ds_testsim *s = start_listening(&port, "1", "100");
    const char *k = "{\"path\":\"m\",\"purpose\":\"x\"}";
    for (int i = 0; i < 3; i++)
        free(getkey_body(s->dstack_sock, k));
    for (int i = 0; i < 2; i++)
        free(getkey_body(s->dstack_sock, long_path_json(lp, sizeof lp, 200)));
    /* A failed GetKey (bad algorithm) neither hits nor misses. */
    tu_err(s->dstack_sock, "/GetKey", "{\"path\":\"m\",\"algorithm\":\"rsa\"}",
           "Unsupported algorithm");
    char *m = tu_scrape(port);
    assert_int_equal(tu_sample(m, "dstack_sim_key_memo_hits_total"), 2);
    assert_int_equal(tu_sample(m, "dstack_sim_key_memo_misses_total"), 3);
    assert_int_equal(tu_sample(m, "dstack_sim_key_memo_entries"), 128);
    free(m);
    char *log = tu_term_log(s, "GetKey memo:");
    assert_non_null(strstr(log, "  GetKey memo: 2 hits, 3 misses (128 entries per worker)\n"));
    free(log);
    assert_int_equal(tu_stop(s), 0);

    /* Two workers: connections alternate between them and each keeps its own table, so
     * four one-shot requests for one key are two misses (one per worker) and two hits. */
    s = start_listening(&port, "2", "256");
    for (int i = 0; i < 4; i++)
        free(getkey_body(s->dstack_sock, k));
    m = tu_scrape(port);
    assert_int_equal(tu_sample(m, "dstack_sim_key_memo_hits_total"), 2);
    assert_int_equal(tu_sample(m, "dstack_sim_key_memo_misses_total"), 2);
    free(m);
    assert_int_equal(tu_stop(s), 0);

    /* Off: nothing counted, 0 entries. */
    s = start_listening(&port, "1", "0");
    for (int i = 0; i < 2; i++)
        free(getkey_body(s->dstack_sock, k));
    m = tu_scrape(port);
    assert_int_equal(tu_sample(m, "dstack_sim_key_memo_hits_total"), 0);
    assert_int_equal(tu_sample(m, "dstack_sim_key_memo_misses_total"), 0);
    assert_int_equal(tu_sample(m, "dstack_sim_key_memo_entries"), 0);
    free(m);
    assert_int_equal(tu_stop(s), 0);
}

static void test_memo_bad_option(void **state) {
    (void)state;
    static const char *const bad[] = {"-1", "65537", "abc", "", "12x"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        const char *argv[] = {"dstack-simulator",
                              "--config",
                              "appkeys.json",
                              "--key-cache",
                              bad[i],
                              "--dstack-sock",
                              "/tmp/keymemo-never.sock",
                              "--tappd-sock",
                              "",
                              NULL};
        char msg[256];
        assert_int_equal(tu_run(argv, msg, sizeof msg), 2);
        assert_string_equal(msg,
                            "dstack-simulator: --key-cache: expected an integer from 0 to 65536");
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_memo_replies_identical),
        cmocka_unit_test(test_memo_sign_identical),
        cmocka_unit_test(test_memo_metrics_and_summary),
        cmocka_unit_test(test_memo_bad_option),
    };
    return cmocka_run_group_tests_name("sim_keymemo", tests, NULL, NULL);
}
