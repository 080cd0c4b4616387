/* test_robust_pcapi.c — Phala Cloud's attestation API in `dstack-verify serve` under
 * hostile input and too many clients: every bad request gets the reference page's status
 * with {"detail": …} (or libevent's 413 past the 1 MiB body limit), never a crash or a
 * hang, and the service keeps verifying real quotes.
 *
 *   multipart: no boundary, a 71-character boundary, a control character in it, a body
 *   without its boundary, no closing delimiter, 10 000 empty parts, 9 KiB of part
 *   headers, a part without a name, a delimiter look-alike inside the file → 400 / 422
 *   huge parts: a 1 MiB - 1 KiB file → 422; a body of 1 MiB + 1 → 413
 *   both fields, neither field, two files → 400
 *   huge hex: 900 KiB of hex digits → 422; the same with one odd digit or a 'g' → 400
 *   the connection cap (--max-connections 3): three kept-alive clients, the fourth is
 *   answered 503 at once with Connection: close; once one leaves, a new client is served
 * and after all that the simulator's quote still verifies (200, verified true).
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

#include "ds_hex.h"
#include "ds_json.h"
#include "robust_util.h"

#define MIB (1u << 20)
#define API "/api/v1/attestations/verify"

static char DIR_[128], SOCK[200];
static rb_proc SIM, SRV, CAPPED;
static int PORT, CAPPED_PORT;

/* POST API with this Content-Type and body on a fresh connection (asserted complete). */
static void post(const char *ctype, const void *body, size_t len, rb_resp *r) {
    ds_buf b;
    ds_buf_init(&b);
    ds_buf_printf(&b,
                  "POST " API " HTTP/1.1\r\nHost: x\r\nContent-Type: %s\r\n"
                  "Content-Length: %zu\r\nConnection: close\r\n\r\n",
                  ctype, len);
    ds_buf_append(&b, body, len);
    assert_false(b.oom);
    memset(r, 0, sizeof *r);
    int fd = rb_tcp_connect(PORT);
    assert_true(fd >= 0);
    rb_send_all(fd, b.data, b.len);
    assert_int_equal(rb_read_response(fd, 20000, r), RB_OK);
    close(fd);
    ds_buf_free(&b);
    rb_fault(1);
}

/* The status, and for an error {"detail": "…needle…"}. */
static void post_expect(const char *ctype, const void *body, size_t len, int status,
                        const char *needle) {
    rb_resp r;
    post(ctype, body, len, &r);
    if (r.status != status || (needle && !strstr(r.body, needle)))
        fprintf(stderr, "expected %d \"%s\", got %d: %.300s\n", status, needle ? needle : "",
                r.status, r.body ? r.body : "");
    assert_int_equal(r.status, status);
    if (status != 413) {
        cJSON *j = cJSON_ParseWithLength(r.body, r.body_len);
        assert_non_null(j);
        if (status != 200)
            assert_true(cJSON_IsString(cJSON_GetObjectItemCaseSensitive(j, "detail")));
        cJSON_Delete(j);
    }
    if (needle) assert_non_null(strstr(r.body, needle));
    rb_resp_free(&r);
}

/* `dstack-verify serve` on the simulator's socket, with --max-connections max_conn when
 * given: its port, or -1. */
static int start_serve(rb_proc *p, const char *log, const char *max_conn) {
    const char *vargs[] = {"serve",       "--endpoint", SOCK, "--listen",
                           "127.0.0.1:0", "--timeout",  "5",  max_conn ? "--max-connections" : NULL,
                           max_conn,      NULL};
    return rb_start_serve(p, log, vargs);
}

static int setup(void **state) {
    (void)state;
    rb_start_evidence_sim(&SIM, DIR_, SOCK);
    char log[200], clog[200];
    snprintf(log, sizeof log, "%s/serve.log", DIR_);
    snprintf(clog, sizeof clog, "%s/capped.log", DIR_);
    assert_true((PORT = start_serve(&SRV, log, NULL)) > 0);
    assert_true((CAPPED_PORT = start_serve(&CAPPED, clog, "3")) > 0);
    return 0;
}

static int teardown(void **state) {
    (void)state;
    assert_int_equal(rb_term(&SRV), 0);
    assert_int_equal(rb_term(&CAPPED), 0);
    rb_term(&SIM);
    rb_rmdir(DIR_);
    rb_faults_report("verify-pcapi");
    return 0;
}

static void bad_boundaries(void **state) {
    (void)state;
    static const char BODY[] = "--q\r\nContent-Disposition: form-data; name=\"hex\"\r\n\r\n00\r\n"
                               "--q--\r\n";
    post_expect("multipart/form-data", BODY, sizeof BODY - 1, 400, "boundary");
    char b71[200];
    snprintf(b71, sizeof b71, "multipart/form-data; boundary=%071d", 7);
    post_expect(b71, BODY, sizeof BODY - 1, 400, "boundary");
    post_expect("multipart/form-data; boundary=\"q\x01\"", BODY, sizeof BODY - 1, 400, "boundary");
    post_expect("multipart/form-data; boundary=\"unclosed", BODY, sizeof BODY - 1, 400, "boundary");
    post_expect("multipart/form-data; boundary=zz", BODY, sizeof BODY - 1, 400, "opening boundary");
    static const char OPEN[] = "--q\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\nxx";
    post_expect("multipart/form-data; boundary=q", OPEN, sizeof OPEN - 1, 400, "closing boundary");
    static const char NONAME[] = "--q\r\nContent-Disposition: form-data\r\n\r\nxx\r\n--q--";
    post_expect("multipart/form-data; boundary=q", NONAME, sizeof NONAME - 1, 400, "name");
    static const char NOCRLF[] = "--qjunk\r\n\r\n--q--";
    post_expect("multipart/form-data; boundary=q", NOCRLF, sizeof NOCRLF - 1, 400, "CRLF");
    /* 10 000 empty parts (half a MiB): refused after 64 */
    ds_buf m;
    ds_buf_init(&m);
    for (int i = 0; i < 10000; i++)
        ds_buf_puts(&m, "--q\r\nContent-Disposition: form-data; name=\"x\"\r\n\r\n\r\n");
    ds_buf_puts(&m, "--q--");
    assert_false(m.oom);
    post_expect("multipart/form-data; boundary=q", m.data, m.len, 400, "more than 64 parts");
    /* 9 KiB of part headers */
    ds_buf_reset(&m);
    ds_buf_puts(&m, "--q\r\nContent-Disposition: form-data; name=\"file\"\r\nX-Pad: ");
    for (int i = 0; i < 9216; i++)
        ds_buf_putc(&m, 'a');
    ds_buf_puts(&m, "\r\n\r\nxx\r\n--q--\r\n");
    post_expect("multipart/form-data; boundary=q", m.data, m.len, 400, "blank line");
    ds_buf_free(&m);
}

static void huge_parts(void **state) {
    (void)state;
    ds_buf m;
    ds_buf_init(&m);
    ds_buf_puts(&m, "--B0undary\r\nContent-Disposition: form-data; name=\"file\"; "
                    "filename=\"q.bin\"\r\n\r\n");
    /* the content holds a delimiter look-alike without the leading CRLF */
    while (m.len < MIB - 1024)
        ds_buf_puts(&m, "--B0undary ");
    ds_buf_puts(&m, "\r\n--B0undary--\r\n");
    assert_false(m.oom);
    post_expect("multipart/form-data; boundary=B0undary", m.data, m.len, 422, "Invalid quote");
    while (m.len <= MIB)
        ds_buf_putc(&m, '\n');
    post_expect("multipart/form-data; boundary=B0undary", m.data, m.len, 413, NULL);
    ds_buf_free(&m);
}

static void fields(void **state) {
    (void)state;
    static const char BOTH[] =
        "--q\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a\"\r\n\r\nAB\r\n"
        "--q\r\nContent-Disposition: form-data; name=\"hex\"\r\n\r\n00\r\n--q--\r\n";
    post_expect("multipart/form-data; boundary=q", BOTH, sizeof BOTH - 1, 400, "not both");
    static const char NEITHER[] =
        "--q\r\nContent-Disposition: form-data; name=\"other\"\r\n\r\nAB\r\n--q--\r\n";
    post_expect("multipart/form-data; boundary=q", NEITHER, sizeof NEITHER - 1, 400,
                "No quote provided");
    static const char TWO[] =
        "--q\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\nAB\r\n"
        "--q\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\nCD\r\n--q--\r\n";
    post_expect("multipart/form-data; boundary=q", TWO, sizeof TWO - 1, 400, "more than one");
    post_expect("application/json", "{}", 2, 400, "No quote provided");
    post_expect("application/json", "{\"hex\":\"00\",", 12, 400, "not valid JSON");
    post_expect("application/x-www-form-urlencoded", "hex=00&hex=11", 13, 400, "more than one");
    post_expect("application/x-www-form-urlencoded", "hex=%zz", 7, 400, "escape");
    post_expect("text/plain", "00", 2, 400, "Unsupported content type");
}

static void huge_hex(void **state) {
    (void)state;
    size_t n = 900u * 1024;
    char *b = malloc(n + 64);
    assert_non_null(b);
    int k = snprintf(b, 64, "{\"hex\":\"0x");
    memset(b + k, 'a', n);
    memcpy(b + k + n, "\"}", 3);
    post_expect("application/json", b, strlen(b), 422, "Invalid quote");
    b[k + n - 1] = '"';
    memcpy(b + k + n, "}", 2); /* odd number of digits */
    post_expect("application/json", b, strlen(b), 400, "odd number");
    b[k + n - 1] = 'a';
    memcpy(b + k + n, "\"}", 3);
    b[k + 5] = 'g';
    post_expect("application/json", b, strlen(b), 400, "non-hex");
    free(b);
}

static const char HEALTH[] = "GET /health HTTP/1.1\r\nHost: x\r\n\r\n";

/* Three kept-alive clients fill the cap; the fourth gets 503 quickly; after one leaves, a
 * new client is served. */
static void connection_cap(void **state) {
    (void)state;
    int held[3];
    rb_resp r;
    for (int i = 0; i < 3; i++) {
        held[i] = rb_tcp_connect(CAPPED_PORT);
        assert_true(held[i] >= 0);
        rb_send_all(held[i], HEALTH, sizeof HEALTH - 1);
        assert_int_equal(rb_read_response(held[i], 10000, &r), RB_OK);
        assert_int_equal(r.status, 200);
        assert_false(r.conn_close);
        rb_resp_free(&r);
    }
    static const char PC[] = "GET /api/v1/attestations/recent HTTP/1.1\r\nHost: x\r\n\r\n";
    const char *const REQ[2] = {HEALTH, PC};
    for (int k = 0; k < 2; k++) {
        int fd = rb_tcp_connect(CAPPED_PORT);
        assert_true(fd >= 0);
        double t0 = rb_now_ms();
        rb_send_all(fd, REQ[k], strlen(REQ[k]));
        assert_int_equal(rb_read_response(fd, 10000, &r), RB_OK);
        assert_true(rb_now_ms() - t0 < 2000);
        assert_int_equal(r.status, 503);
        assert_true(r.conn_close);
        assert_non_null(strstr(r.body, k ? "\"detail\"" : "\"code\":503"));
        assert_non_null(strstr(r.body, "the limit is 3"));
        rb_resp_free(&r);
        assert_int_equal(rb_wait_closed(fd, 5000), 1);
        close(fd);
        rb_fault(1);
    }
    close(held[0]);
    int ok = 0;
    for (double t0 = rb_now_ms(); !ok && rb_now_ms() - t0 < 5000; rb_sleep_ms(20)) {
        int fd = rb_tcp_connect(CAPPED_PORT);
        assert_true(fd >= 0);
        rb_send_all(fd, HEALTH, sizeof HEALTH - 1);
        assert_int_equal(rb_read_response(fd, 10000, &r), RB_OK);
        ok = r.status == 200;
        rb_resp_free(&r);
        close(fd);
    }
    assert_true(ok);
    close(held[1]);
    close(held[2]);
    assert_true(rb_alive(&CAPPED));
}

/* The simulator's quote, taken over its socket, still verifies through the API. */
static void still_verifies(void **state) {
    (void)state;
    rb_resp q, r;
    rb_get_quote(SOCK, &q);
    cJSON *j = cJSON_ParseWithLength(q.body, q.body_len);
    const cJSON *hex = cJSON_GetObjectItemCaseSensitive(j, "quote");
    assert_true(cJSON_IsString(hex));
    ds_buf b;
    ds_buf_init(&b);
    ds_buf_printf(&b, "{\"hex\":\"%s\"}", hex->valuestring);
    post("application/json", b.data, b.len, &r);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.body, "\"verified\":true"));
    rb_resp_free(&r);
    ds_buf_free(&b);
    cJSON_Delete(j);
    rb_resp_free(&q);
    assert_true(rb_alive(&SRV));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(bad_boundaries), cmocka_unit_test(huge_parts),
        cmocka_unit_test(fields),         cmocka_unit_test(huge_hex),
        cmocka_unit_test(connection_cap), cmocka_unit_test(still_verifies),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
