/* test_robust_verify.c — `dstack-verify serve` under hostile input and bad clients: every
 * malformed request gets upstream dstack-verifier's status (400 / 413 / 422, or 404) with
 * a JSON body, never a crash or a hang, and the service keeps verifying real evidence.
 *
 *   oversize body (1 MiB + 1) → 413; exactly 1 MiB → handled (200)
 *   nesting: 100 000 and 129 levels → 400; 128 levels → parsed (422: not an object)
 *   invalid UTF-8 (bad byte, overlong form, surrogate), raw NUL, "\u0000" → 400
 *   a 900 KiB hex quote → 200 with upstream's reason; odd / non-hex digits → 422
 *   garbage request line, a 64 KiB header → refused; a request cut short → closed
 *   a slow client (half a request, then silence) → closed after the idle timeout
 *   200 idle connections held open → a new client is still served
 * and after all that, /health answers and simulator evidence still verifies.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <cjson/cJSON.h>

#include "ds_json.h"
#include "robust_util.h"

#define MIB (1u << 20)

static char DIR_[128], SOCK[200], LOG[200];
static rb_proc SIM, SRV;
static int PORT;

static rb_outcome exchange(const char *req, size_t len, rb_resp *r) {
    memset(r, 0, sizeof *r);
    int fd = rb_tcp_connect(PORT);
    assert_true(fd >= 0);
    rb_send_all(fd, req, len);
    rb_outcome o = rb_read_response(fd, 20000, r);
    close(fd);
    return o;
}

/* POST /verify with body; returns the response (asserted complete). */
static void post(const char *body, size_t len, rb_resp *r) {
    ds_buf b;
    ds_buf_init(&b);
    ds_buf_printf(&b,
                  "POST /verify HTTP/1.1\r\nHost: x\r\nContent-Length: %zu\r\n"
                  "Connection: close\r\n\r\n",
                  len);
    ds_buf_append(&b, body, len);
    assert_false(b.oom);
    assert_int_equal(exchange(b.data, b.len, r), RB_OK);
    ds_buf_free(&b);
    rb_fault(1);
}

/* The status, and for an error Rocket's catcher shape with that code. */
static void expect(const rb_resp *r, int status) {
    if (r->status != status)
        fprintf(stderr, "expected %d, got %d: %.300s\n", status, r->status, r->body ? r->body : "");
    assert_int_equal(r->status, status);
    if (status == 413) return; /* libevent's own page: the status is upstream's */
    cJSON *j = cJSON_ParseWithLength(r->body, r->body_len);
    assert_non_null(j);
    if (status != 200) {
        const cJSON *code =
            cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(j, "error"), "code");
        assert_true(cJSON_IsNumber(code) && code->valueint == status);
    }
    cJSON_Delete(j);
}

static void post_expect(const char *body, size_t len, int status) {
    rb_resp r;
    post(body, len, &r);
    expect(&r, status);
    rb_resp_free(&r);
}

static char *repeat(const char *open, size_t n, const char *close) {
    size_t lo = strlen(open), lc = strlen(close);
    char *s = malloc(n * (lo + lc) + 1);
    assert_non_null(s);
    for (size_t i = 0; i < n; i++)
        memcpy(s + i * lo, open, lo);
    for (size_t i = 0; i < n; i++)
        memcpy(s + n * lo + i * lc, close, lc);
    s[n * (lo + lc)] = '\0';
    return s;
}

static int setup(void **state) {
    (void)state;
    rb_start_evidence_sim(&SIM, DIR_, SOCK);
    snprintf(LOG, sizeof LOG, "%s/serve.log", DIR_);
    const char *vargs[] = {"serve",       "--endpoint", SOCK, "--listen",
                           "127.0.0.1:0", "--timeout",  "2",  NULL};
    assert_true((PORT = rb_start_serve(&SRV, LOG, vargs)) > 0);
    return 0;
}

static int teardown(void **state) {
    (void)state;
    assert_int_equal(rb_term(&SRV), 0);
    rb_term(&SIM);
    rb_rmdir(DIR_);
    rb_faults_report("verify-serve");
    return 0;
}

static void oversize(void **state) {
    (void)state;
    char *big = malloc(MIB + 2);
    assert_non_null(big);
    memset(big, ' ', MIB + 1);
    memcpy(big, "{\"x\":\"", 6);
    big[MIB - 2] = '"';
    big[MIB - 1] = '}';
    post_expect(big, MIB, 200); /* exactly the limit: decoded ("Quote is required") */
    post_expect(big, MIB + 1, 413);
    free(big);
}

static void nesting(void **state) {
    (void)state;
    char *deep = repeat("[", 100000, "]");
    post_expect(deep, strlen(deep), 400);
    free(deep);
    deep = repeat("[", 129, "]");
    post_expect(deep, strlen(deep), 400);
    free(deep);
    deep = repeat("[", 128, "]");
    post_expect(deep, strlen(deep), 422);
    free(deep);
}

static void bad_text(void **state) {
    (void)state;
    static const char *const BAD[] = {
        "{\"quote\":\"\xff\"}",
        "{\"event_log\":\"\xc0\x80\"}",
        "{\"vm_config\":\"\xed\xa0\x80\"}",
        "{\"event_log\":\"a\\u0000b\"}",
        "{\"quote\":\"00\"",
        "{\"quote\" \"00\"}",
    };
    for (size_t i = 0; i < sizeof BAD / sizeof BAD[0]; i++)
        post_expect(BAD[i], strlen(BAD[i]), 400);
    static const char raw_nul[] = "{\"event_log\":\"a\0b\"}";
    post_expect(raw_nul, sizeof raw_nul - 1, 400);
}

static void huge_hex(void **state) {
    (void)state;
    size_t n = 900u * 1024;
    char *b = malloc(n + 64);
    assert_non_null(b);
    int k = snprintf(b, 64, "{\"event_log\":\"[]\",\"quote\":\"");
    memset(b + k, 'a', n);
    memcpy(b + k + n, "\"}", 3);
    rb_resp r;
    post(b, strlen(b), &r);
    expect(&r, 200);
    assert_non_null(strstr(r.body, "Internal error: Failed to create attestation"));
    rb_resp_free(&r);
    b[k + n - 1] = '"';
    memcpy(b + k + n, "}", 2); /* odd number of digits */
    post_expect(b, strlen(b), 422);
    b[k] = 'g';
    post_expect(b, strlen(b), 422);
    free(b);
}

static void bad_clients(void **state) {
    (void)state;
    rb_resp r;
    static const char GARBAGE[] = "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03 not http\r\n\r\n";
    rb_outcome o = exchange(GARBAGE, sizeof GARBAGE - 1, &r);
    assert_true(o == RB_OK ? r.status >= 400 : o != RB_TIMEOUT);
    rb_resp_free(&r);
    rb_fault(1);
    ds_buf h;
    ds_buf_init(&h);
    ds_buf_puts(&h, "GET /health HTTP/1.1\r\nHost: x\r\nX-Big: ");
    for (int i = 0; i < 65536; i++)
        ds_buf_putc(&h, 'a');
    ds_buf_puts(&h, "\r\n\r\n");
    o = exchange(h.data, h.len, &r);
    assert_true(o == RB_OK ? r.status >= 400 : o != RB_TIMEOUT);
    rb_resp_free(&r);
    ds_buf_free(&h);
    rb_fault(1);
    /* a slow client: half a request, then nothing: closed after the idle timeout (2 s) */
    int fd = rb_tcp_connect(PORT);
    assert_true(fd >= 0);
    static const char HALF[] = "POST /verify HTTP/1.1\r\nContent-Length: 100\r\n\r\n{\"quo";
    rb_send_all(fd, HALF, sizeof HALF - 1);
    assert_int_equal(rb_wait_closed(fd, 15000), 1);
    close(fd);
    rb_fault(1);
    /* 200 idle connections: a new client is still served */
    int held[200];
    for (int i = 0; i < 200; i++)
        held[i] = rb_tcp_connect(PORT);
    static const char HEALTH[] = "GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    assert_int_equal(exchange(HEALTH, sizeof HEALTH - 1, &r), RB_OK);
    assert_int_equal(r.status, 200);
    rb_resp_free(&r);
    for (int i = 0; i < 200; i++)
        if (held[i] >= 0) close(held[i]);
    rb_fault(200);
}

/* Simulator evidence, taken over its socket, still verifies through the service. */
static void still_verifies(void **state) {
    (void)state;
    rb_resp q, r;
    rb_get_quote(SOCK, &q);
    post(q.body, q.body_len, &r);
    expect(&r, 200);
    assert_non_null(strstr(r.body, "\"is_valid\":true"));
    assert_non_null(strstr(r.body, "\"reason\":null"));
    rb_resp_free(&q);
    rb_resp_free(&r);
    assert_true(rb_alive(&SRV));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(oversize), cmocka_unit_test(nesting),     cmocka_unit_test(bad_text),
        cmocka_unit_test(huge_hex), cmocka_unit_test(bad_clients), cmocka_unit_test(still_verifies),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
