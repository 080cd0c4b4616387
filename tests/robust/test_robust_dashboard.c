/* test_robust_dashboard.c — hostile input to the dashboard (GET / and /sim/dashboard.json
 * on the TCP listener): each bad request gets a JSON error with the right status, hostile
 * data the simulator stored (huge or multi-byte event names, megabyte payloads, huge key
 * paths, hundreds of events) comes back cut for display but as valid JSON with exact
 * lengths, and the simulator keeps serving.
 *
 *   parameters: non-digits, signs, empty, 20 digits, percent-encoding, %00, invalid UTF-8
 *   methods other than GET → 405; a 60 KiB query → handled or 431, never a crash
 *   stored data: a 100 KiB event name of 3-byte characters, a 1 MiB payload, a long
 *   GetKey path (1000 bytes), 300 events (answers hold at most SIM_DASH_EVENTS_MAX)
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../sim/sim_testutil.h"
#include "ds_json.h"
#include "robust_util.h"
#include "sim_dashboard.h"

static ds_testsim *S;
static int PORT;

static int setup(void **state) {
    (void)state;
    static char addr[64];
    PORT = tu_free_port();
    snprintf(addr, sizeof addr, "127.0.0.1:%d", PORT);
    const char *args[] = {"--config", "appkeys.json", "--listen", addr, "--workers", "2", NULL};
    S = tu_start(args);
    return S ? 0 : -1;
}

static int teardown(void **state) {
    (void)state;
    rb_faults_report("dashboard");
    return tu_stop(S);
}

/* One request over TCP: status and the body parsed as JSON (asserted to be JSON). */
static cJSON *tcp(const char *req, int *status) {
    char *raw = tu_tcp_request(PORT, req);
    const char *body;
    size_t blen, used;
    assert_int_equal(tu_parse_response(raw, strlen(raw), status, &body, &blen, &used), 0);
    cJSON *j = cJSON_ParseWithLength(body, blen);
    assert_non_null(j);
    free(raw);
    return j;
}

static cJSON *get_json(const char *query, int *status) {
    char req[512];
    snprintf(req, sizeof req, "GET /sim/dashboard.json%s HTTP/1.1\r\nConnection: close\r\n\r\n",
             query);
    return tcp(req, status);
}

static void expect_error(const char *req, int want, const char *needle) {
    int status;
    cJSON *j = tcp(req, &status);
    assert_int_equal(status, want);
    const cJSON *e = cJSON_GetObjectItemCaseSensitive(j, "error");
    assert_true(cJSON_IsString(e));
    if (!strstr(e->valuestring, needle)) fail_msg("error '%s' lacks '%s'", e->valuestring, needle);
    cJSON_Delete(j);
    rb_fault(1);
}

static void still_serving(void) {
    int status;
    cJSON *j = get_json("", &status);
    assert_int_equal(status, 200);
    cJSON_Delete(j);
}

static void test_bad_parameters(void **state) {
    (void)state;
    static const char *const BAD[] = {
        "events_from=x",    "events_from=-1",
        "events_from=+1",   "events_from=",
        "events_from",      "events_from=1.5",
        "events_from=0x10", "events_from=12345678901234567890",
        "events_from=%31",  "events_from=1%00",
        "events_from=%ff",  "keys_after=abc",
        "keys_after=1e3",   "events_from=1&keys_after=\xc3",
    };
    for (size_t i = 0; i < sizeof BAD / sizeof BAD[0]; i++) {
        char req[512];
        snprintf(req, sizeof req,
                 "GET /sim/dashboard.json?%s HTTP/1.1\r\nConnection: close\r\n\r\n", BAD[i]);
        expect_error(req, 400,
                     strncmp(BAD[i], "keys", 4) && !strstr(BAD[i], "\xc3")
                         ? "events_from: expected a decimal integer"
                         : "expected a decimal integer");
    }
    /* unknown parameters are ignored; the largest values are answered (nothing after them) */
    int status;
    cJSON *j = get_json("?zzz=%ff&events_from=9999999999999999999&keys_after=9999999999999999999",
                        &status);
    assert_int_equal(status, 200);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(j, "events")), 0);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(j, "keys")), 0);
    const cJSON *total = cJSON_GetObjectItemCaseSensitive(j, "events_total");
    assert_int_equal(cJSON_GetObjectItemCaseSensitive(j, "events_from")->valuedouble,
                     total->valuedouble);
    cJSON_Delete(j);
    still_serving();
}

static void test_methods_and_sizes(void **state) {
    (void)state;
    expect_error("POST / HTTP/1.1\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}", 405,
                 "GET only");
    expect_error(
        "PUT /sim/dashboard.json HTTP/1.1\r\nContent-Length: 0\r\nConnection: close\r\n\r\n", 405,
        "GET only");
    expect_error("DELETE / HTTP/1.1\r\nConnection: close\r\n\r\n", 405, "GET only");
    /* a 60 KiB query string: handled (the first parameter is bad) */
    size_t n = 60 * 1024;
    char *req = malloc(n + 128);
    assert_non_null(req);
    size_t k = (size_t)sprintf(req, "GET /sim/dashboard.json?events_from=");
    memset(req + k, '9', n);
    k += n;
    strcpy(req + k, " HTTP/1.1\r\nConnection: close\r\n\r\n");
    int status;
    char *raw = tu_tcp_request(PORT, req);
    assert_true(strncmp(raw, "HTTP/1.1 400", 12) == 0 || strncmp(raw, "HTTP/1.1 431", 12) == 0);
    free(raw);
    rb_fault(1);
    free(req);
    /* the page itself: HTML with its security headers */
    raw = tu_tcp_request(PORT, "GET / HTTP/1.1\r\nConnection: close\r\n\r\n");
    assert_non_null(strstr(raw, "Content-Type: text/html; charset=utf-8\r\n"));
    assert_non_null(strstr(raw, "Content-Security-Policy: default-src 'none'"));
    assert_non_null(strstr(raw, "</html>"));
    free(raw);
    (void)status;
    still_serving();
}

/* The last event of the JSON answer from index from. */
static const cJSON *last_event(cJSON *j) {
    const cJSON *ev = cJSON_GetObjectItemCaseSensitive(j, "events");
    assert_true(cJSON_GetArraySize(ev) > 0);
    return cJSON_GetArrayItem(ev, cJSON_GetArraySize(ev) - 1);
}

static void test_hostile_stored_data(void **state) {
    (void)state;
    const char *sock = S->dstack_sock;
    int status;
    cJSON *j = get_json("", &status);
    size_t total = (size_t)cJSON_GetObjectItemCaseSensitive(j, "events_total")->valuedouble;
    cJSON_Delete(j);

    /* a 100 KiB name of 3-byte characters (U+20AC) and a 1 MiB payload */
    size_t chars = 100 * 1024 / 3, pl = 1 << 20;
    ds_buf b;
    ds_buf_init(&b);
    ds_buf_puts(&b, "{\"event\":\"");
    for (size_t i = 0; i < chars; i++)
        ds_buf_puts(&b, "\xe2\x82\xac");
    ds_buf_puts(&b, "\",\"payload\":\"");
    for (size_t i = 0; i < pl; i++)
        ds_buf_puts(&b, "3c");
    ds_buf_puts(&b, "\"}");
    assert_false(b.oom);
    cJSON_Delete(tu_ok(sock, "/EmitEvent", b.data));
    ds_buf_free(&b);
    rb_fault(1);

    char q[64];
    snprintf(q, sizeof q, "?events_from=%zu", total);
    j = get_json(q, &status);
    assert_int_equal(status, 200);
    const cJSON *e = last_event(j);
    const char *name = cJSON_GetObjectItemCaseSensitive(e, "event")->valuestring;
    assert_int_equal(strlen(name) % 3, 0); /* cut on a character boundary */
    assert_true(strlen(name) > 0 && strlen(name) <= 160);
    assert_int_equal(cJSON_GetObjectItemCaseSensitive(e, "event_len")->valuedouble, 3.0 * chars);
    assert_int_equal(cJSON_GetObjectItemCaseSensitive(e, "payload_len")->valuedouble, (double)pl);
    assert_int_equal(strlen(cJSON_GetObjectItemCaseSensitive(e, "payload")->valuestring), 128);
    cJSON_Delete(j);

    /* a 1000-byte GetKey path, a 300-byte purpose: recorded cut, with their full lengths; the
     * chain still recovers */
    size_t plen = 1000; /* HKDF info (the path) is capped by the KDF */
    ds_buf_init(&b);
    ds_buf_puts(&b, "{\"purpose\":\"");
    for (size_t i = 0; i < 300; i++)
        ds_buf_putc(&b, 'u'); /* cut too: its digest is kept */
    ds_buf_puts(&b, "\",\"path\":\"");
    for (size_t i = 0; i < plen; i++)
        ds_buf_putc(&b, 'p');
    ds_buf_puts(&b, "\"}");
    cJSON_Delete(tu_ok(sock, "/GetKey", b.data));
    ds_buf_free(&b);
    rb_fault(1);
    j = get_json("", &status);
    const cJSON *k = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(j, "keys"), 0);
    assert_non_null(k);
    assert_int_equal(strlen(cJSON_GetObjectItemCaseSensitive(k, "path")->valuestring), 160);
    assert_int_equal(cJSON_GetObjectItemCaseSensitive(k, "path_len")->valuedouble, (double)plen);
    assert_int_equal(cJSON_GetObjectItemCaseSensitive(k, "purpose_len")->valuedouble, 300);
    assert_true(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(k, "app_matches")));
    assert_true(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(k, "root_matches")));
    cJSON_Delete(j);

    /* 300 more events: one answer holds at most SIM_DASH_EVENTS_MAX, the rest follows */
    for (int i = 0; i < 300; i++)
        cJSON_Delete(tu_ok(sock, "/EmitEvent", "{\"event\":\"n\"}"));
    rb_fault(300);
    j = get_json("", &status);
    size_t now = (size_t)cJSON_GetObjectItemCaseSensitive(j, "events_total")->valuedouble;
    assert_int_equal(now, total + 301);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(j, "events")),
                     SIM_DASH_EVENTS_MAX);
    cJSON_Delete(j);
    snprintf(q, sizeof q, "?events_from=%d", SIM_DASH_EVENTS_MAX);
    j = get_json(q, &status);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(j, "events")),
                     now - SIM_DASH_EVENTS_MAX);
    assert_int_equal(cJSON_GetObjectItemCaseSensitive(last_event(j), "index")->valuedouble,
                     (double)(now - 1));
    cJSON_Delete(j);
    still_serving();
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bad_parameters),
        cmocka_unit_test(test_methods_and_sizes),
        cmocka_unit_test(test_hostile_stored_data),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
