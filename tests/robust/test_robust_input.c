/* test_robust_input.c — hostile request bytes: each is answered with a JSON error (400, or
 * 413 for an oversize body), never a crash, a hang or a silently altered value; and the
 * simulator keeps serving afterwards.
 *
 *   oversize body (limit + 1) → 413; exactly the limit → handled
 *   deeply nested JSON (100 000 levels; 129 levels) → 400; 128 levels → accepted
 *   invalid UTF-8 (bad bytes, overlong forms, surrogates, in bodies and query strings)
 *   NUL bytes: raw in strings, "\u0000" escapes, %00 in queries, in the request head
 *   huge hex strings (9 MiB report_data; 9 MiB + 1 odd digits; non-hex payload)
 *   the same on --agent-version 0.6.0's /v0, /v1 and Worker (external.sock) routes
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

#define LIMIT (10u * 1024 * 1024) /* the simulator's body cap */

static ds_testsim *S;
static const char *SOCK;

static int setup(void **state) {
    (void)state;
    const char *args[] = {"--config", "appkeys.json", "--workers", "2", NULL};
    S = tu_start(args);
    SOCK = S ? S->dstack_sock : NULL;
    return S ? 0 : -1;
}

static int teardown(void **state) {
    (void)state;
    rb_faults_report("input");
    return tu_stop(S);
}

/* POSTs body (len bytes) to path and returns the response (asserted complete). */
static void post(const char *path, const void *body, size_t len, rb_resp *r) {
    ds_buf b;
    ds_buf_init(&b);
    ds_buf_printf(&b,
                  "POST %s HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                  "Content-Length: %zu\r\nConnection: close\r\n\r\n",
                  path, len);
    ds_buf_append(&b, body, len);
    assert_false(b.oom);
    assert_int_equal(rb_exchange(SOCK, b.data, b.len, 30000, r), RB_OK);
    ds_buf_free(&b);
    rb_fault(1);
}

static void expect(const char *path, const void *body, size_t len, int status, const char *needle) {
    rb_resp r;
    post(path, body, len, &r);
    rb_assert_json_error(&r, status, needle);
    rb_resp_free(&r);
}

static void expect_raw(const char *req, size_t len, int status, const char *needle) {
    rb_resp r;
    assert_int_equal(rb_exchange(SOCK, req, len, 30000, &r), RB_OK);
    rb_assert_json_error(&r, status, needle);
    rb_resp_free(&r);
    rb_fault(1);
}

static void still_serving(void) { cJSON_Delete(tu_ok(SOCK, "/GetMeta", "{}")); }

static void test_oversize_body(void **state) {
    (void)state;
    char *body = malloc(LIMIT + 1);
    assert_non_null(body);
    /* limit + 1, really sent: 413, JSON, no hang */
    memset(body, ' ', LIMIT + 1);
    memcpy(body, "{\"path\":\"a\"}", 12);
    expect("/GetKey", body, LIMIT + 1, 413, "too large");
    /* exactly the limit: a valid request padded with spaces is served */
    rb_resp r;
    post("/GetKey", body, LIMIT, &r);
    assert_int_equal(r.status, 200);
    rb_resp_free(&r);
    free(body);
    /* declared far above the limit, nothing sent: 413 at once */
    const char *h = "POST /GetKey HTTP/1.1\r\nContent-Length: 99999999999\r\n\r\n";
    expect_raw(h, strlen(h), 413, "too large");
    still_serving();
}

static void test_deep_nesting(void **state) {
    (void)state;
    size_t n = 100000;
    char *b = malloc(n + 16);
    assert_non_null(b);
    memset(b, '[', n);
    expect("/GetKey", b, n, 400, "nested deeper than 128");
    /* {"x": + 128 levels: object 1 + 127 arrays → accepted; one more → refused */
    for (int levels = 128; levels <= 129; levels++) {
        size_t k = 0;
        k += (size_t)sprintf(b + k, "{\"x\":");
        for (int i = 1; i < levels; i++)
            b[k++] = '[';
        for (int i = 1; i < levels; i++)
            b[k++] = ']';
        b[k++] = '}';
        if (levels == 128) {
            rb_resp r;
            post("/GetKey", b, k, &r);
            assert_int_equal(r.status, 200);
            rb_resp_free(&r);
        } else {
            expect("/GetKey", b, k, 400, "nested deeper than 128");
        }
    }
    /* nesting inside a string does not count */
    memcpy(b, "{\"path\":\"", 9);
    memset(b + 9, '[', 5000);
    memcpy(b + 9 + 5000, "\"}", 2);
    rb_resp r;
    post("/GetKey", b, 9 + 5000 + 2, &r);
    assert_int_equal(r.status, 200);
    rb_resp_free(&r);
    free(b);
    still_serving();
}

static void test_invalid_utf8(void **state) {
    (void)state;
    static const char *const BAD[] = {
        "{\"path\":\"\xff\"}",             /* not UTF-8 at all */
        "{\"path\":\"caf\xc3\"}",          /* truncated sequence */
        "{\"path\":\"\xc0\xaf\"}",         /* overlong '/' */
        "{\"path\":\"\xe0\x80\xaf\"}",     /* overlong, 3 bytes */
        "{\"path\":\"\xed\xa0\x80\"}",     /* UTF-16 surrogate */
        "{\"path\":\"\xf4\x90\x80\x80\"}", /* above U+10FFFF */
        "{\"p\xfe\":1}",                   /* in a key */
    };
    for (size_t i = 0; i < sizeof BAD / sizeof BAD[0]; i++)
        expect("/GetKey", BAD[i], strlen(BAD[i]), 400, "not valid UTF-8");
    /* valid multi-byte text is fine */
    cJSON_Delete(tu_ok(SOCK, "/GetKey", "{\"path\":\"caf\xc3\xa9 \xf0\x9f\x98\x80\"}"));
    /* query strings: decoded bytes are checked too */
    const char *q = "GET /GetKey?path=%ff HTTP/1.1\r\nConnection: close\r\n\r\n";
    expect_raw(q, strlen(q), 400, "invalid UTF-8");
    q = "GET /GetKey?path=%C0%AF HTTP/1.1\r\nConnection: close\r\n\r\n";
    expect_raw(q, strlen(q), 400, "invalid UTF-8");
    still_serving();
}

static void test_nul_bytes(void **state) {
    (void)state;
    /* a raw NUL inside a string, and outside any string */
    static const char RAW_IN[] = "{\"path\":\"a\0b\"}";
    expect("/GetKey", RAW_IN, sizeof RAW_IN - 1, 400, "NUL byte");
    static const char RAW_ESC[] =
        "{\"path\":\"a\\\0b\"}"; /* a backslash before it (found by fuzz_json) */
    expect("/GetKey", RAW_ESC, sizeof RAW_ESC - 1, 400, "NUL byte");
    static const char RAW_OUT[] = "{\"path\":\"a\"}\0";
    expect("/GetKey", RAW_OUT, sizeof RAW_OUT - 1, 400, "NUL byte");
    /* the \u0000 escape would cut "a\u0000b" to "a": refused, never truncated */
    const char *esc = "{\"path\":\"a\\u0000b\"}";
    expect("/GetKey", esc, strlen(esc), 400, "NUL characters");
    const char *ev = "{\"event\":\"x\\u0000y\",\"payload\":\"00\"}";
    expect("/EmitEvent", ev, strlen(ev), 400, "NUL characters");
    /* an escaped backslash before u0000 is just text */
    cJSON_Delete(tu_ok(SOCK, "/GetKey", "{\"path\":\"a\\\\u0000b\"}"));
    /* other control characters must be escaped (RFC 8259) */
    expect("/GetKey", "{\"path\":\"a\tb\"}", 14, 400, "control character");
    /* query: %00 */
    const char *q = "GET /GetKey?path=a%00b HTTP/1.1\r\nConnection: close\r\n\r\n";
    expect_raw(q, strlen(q), 400, "NUL");
    /* the request head (this one crashed the simulator before fuzz_http found it) */
    static const char HEAD[] = "GET /prpc/Tappd.\0\0@?report_data=%30 HTTP/1.1\r\n\r\n";
    expect_raw(HEAD, sizeof HEAD - 1, 400, "NUL byte in the request head");
    static const char HDR[] = "GET /Info HTTP/1.1\r\nX-A: b\0c\r\n\r\n";
    expect_raw(HDR, sizeof HDR - 1, 400, "NUL byte in the request head");
    still_serving();
}

/* Writes {"<field>":"<n copies of ch>"<tail>} into b (which holds n + 64 bytes); returns
 * its length. tail: more members, "" for none. */
static size_t big_field(char *b, const char *field, char ch, size_t n, const char *tail) {
    size_t k = (size_t)sprintf(b, "{%s\"%s\":\"", tail[0] ? tail : "", field);
    memset(b + k, ch, n);
    k += n;
    k += (size_t)sprintf(b + k, "\"}");
    return k;
}

static void test_huge_hex(void **state) {
    (void)state;
    size_t n = 9u * 1024 * 1024;
    char *b = malloc(n + 64);
    assert_non_null(b);
    /* 9 MiB of valid hex where 64 bytes are allowed */
    expect("/GetQuote", b, big_field(b, "report_data", 'a', n, ""), 400, "too long");
    /* odd number of digits */
    expect("/GetQuote", b, big_field(b, "report_data", 'a', n + 1, ""), 400, "report_data");
    /* a huge non-hex payload */
    expect("/EmitEvent", b, big_field(b, "payload", 'z', n, "\"event\":\"e\","), 400, "payload");
    /* huge hex for Sign is legitimate data: served */
    rb_resp r;
    post("/Sign", b, big_field(b, "data", '0', 2u * 1024 * 1024, "\"algorithm\":\"ed25519\","), &r);
    assert_int_equal(r.status, 200);
    rb_resp_free(&r);
    free(b);
    still_serving();
}

/* The same hostile inputs on the 0.6.0 surfaces: /v0 and /v1 on the dstack socket, the
 * Worker API (/prpc, /prpc/v0, /prpc/v1) on external.sock. Each gets a JSON error, and
 * every surface still answers afterwards. */
static void test_v06_surfaces(void **state) {
    (void)state;
    const char *args[] = {"--config", "appkeys.json", "--agent-version", "0.6.0", NULL};
    ds_testsim *v6 = tu_start(args);
    const char *saved = SOCK;
    struct {
        const char *sock, *path;
    } R[] = {
        {v6->dstack_sock, "/v0/GetKey"},
        {v6->dstack_sock, "/v1/GetKey"},
        {v6->dstack_sock, "/v1/Attest"},
        {v6->dstack_sock, "/v1/IssueCert"},
        {v6->dstack_sock, "/v1/AttestGpu"},
        {v6->external_sock, "/prpc/Worker.GetAttestationForAppKey"},
        {v6->external_sock, "/prpc/v0/Worker.Info"},
        {v6->external_sock, "/prpc/v1/Health"},
    };
    size_t deep = 200;
    char *nest = malloc(2 * deep + 16);
    assert_non_null(nest);
    size_t k = (size_t)sprintf(nest, "{\"a\":");
    for (size_t i = 0; i < deep; i++)
        nest[k++] = '[';
    for (size_t i = 0; i < deep; i++)
        nest[k++] = ']';
    nest[k++] = '}';
    static const char BADUTF[] = "{\"domain\":\"\xc0\xaf\",\"algorithm\":\"secp256k1\"}";
    static const char NUL[] = "{\"domain\":\"a\0b\",\"algorithm\":\"ed25519\"}";
    static const char TYPES[] = "{\"domain\":7,\"algorithm\":[],\"report_data\":{},"
                                "\"nonce\":true,\"subject\":1,\"algorithm\":null}";
    for (size_t i = 0; i < sizeof R / sizeof R[0]; i++) {
        SOCK = R[i].sock;
        expect(R[i].path, nest, k, 400, "nested deeper than 128");
        expect(R[i].path, BADUTF, sizeof BADUTF - 1, 400, "not valid UTF-8");
        expect(R[i].path, NUL, sizeof NUL - 1, 400, "NUL byte");
        rb_resp r;
        post(R[i].path, TYPES, sizeof TYPES - 1, &r);
        assert_true(r.status == 400 || r.status == 200); /* Health/Info take no arguments */
        rb_resp_free(&r);
        expect(R[i].path, "{\"a\":", 5, 400, "Invalid JSON");
    }
    free(nest);
    /* hostile values in the right places */
    SOCK = v6->dstack_sock;
    expect("/v1/GetKey", "{\"domain\":\"d\",\"algorithm\":\"secp256k1\\u0000\"}", 43, 400,
           "NUL characters");
    size_t n = 9u * 1024 * 1024;
    char *b = malloc(n + 64);
    assert_non_null(b);
    expect("/v1/Attest", b, big_field(b, "report_data", 'a', n, ""), 400,
           "report data is too long");
    expect("/v1/AttestGpu", b, big_field(b, "nonce", 'f', n, ""), 400,
           "nonce must be exactly 32 bytes");
    free(b);
    SOCK = v6->external_sock;
    expect("/prpc/Worker.GetAttestationForAppKey", "{\"algorithm\":\"secp256k1_prehashed\"}", 35,
           400, "Unsupported algorithm");
    cJSON_Delete(tu_ok(v6->external_sock, "/prpc/v1/Health", "{}"));
    cJSON_Delete(tu_ok(v6->dstack_sock, "/v1/Version", "{}"));
    SOCK = saved;
    assert_int_equal(tu_stop(v6), 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_oversize_body), cmocka_unit_test(test_deep_nesting),
        cmocka_unit_test(test_invalid_utf8),  cmocka_unit_test(test_nul_bytes),
        cmocka_unit_test(test_huge_hex),      cmocka_unit_test(test_v06_surfaces),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
