/* test_robust_conn.c — bad clients: idle and slowloris connections time out, a connection
 * flood meets the documented limit with a JSON 503 while connected clients keep being
 * served, clients that reset mid-response or vanish with requests queued cannot hurt the
 * simulator (SIGPIPE included). Runs with two worker threads.
 */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "../sim/sim_testutil.h"
#include "ds_json.h"
#include "robust_util.h"

#define MAXC 8

static ds_testsim *S;

static int setup(void **state) {
    (void)state;
    const char *args[] = {"--config", "appkeys.json", "--workers", "2", "--idle-timeout", "2",
                          "--request-timeout", "2", "--max-connections", "8", NULL};
    S = tu_start(args);
    return S ? 0 : -1;
}

static int teardown(void **state) {
    (void)state;
    rb_faults_report("connections");
    return tu_stop(S);
}

static const char GETMETA[] = "GET /GetMeta HTTP/1.1\r\nHost: localhost\r\n\r\n";

/* One keep-alive request on fd: asserts a 200. */
static void ok_on(int fd) {
    assert_int_equal(rb_send_all(fd, GETMETA, sizeof GETMETA - 1), 0);
    rb_resp r;
    assert_int_equal(rb_read_response(fd, 10000, &r), RB_OK);
    assert_int_equal(r.status, 200);
    rb_resp_free(&r);
}

/* A fresh connection serves a request, retrying while closed connections are still being
 * released (their slots come back asynchronously). */
static void serves_again(void) {
    for (int i = 0; i < 200; i++) {
        rb_resp r;
        const char *req = "GET /GetMeta HTTP/1.1\r\nConnection: close\r\n\r\n";
        rb_outcome o = rb_exchange(S->dstack_sock, req, strlen(req), 10000, &r);
        int st = r.status;
        rb_resp_free(&r);
        if (o == RB_OK && st == 200) return;
        assert_true(o == RB_OK ? st == 503 : o == RB_EOF || o == RB_RESET);
        rb_sleep_ms(50);
    }
    fail_msg("the simulator never served a new connection again");
}

static void test_idle_timeout(void **state) {
    (void)state;
    int fd = rb_connect(S->dstack_sock);
    assert_true(fd >= 0);
    /* silent client: closed after --idle-timeout 2 (we wait at most 15 s) */
    assert_true(rb_wait_closed(fd, 15000));
    close(fd);
    /* idle after a keep-alive response: closed too */
    fd = rb_connect(S->dstack_sock);
    ok_on(fd);
    assert_true(rb_wait_closed(fd, 15000));
    close(fd);
    rb_fault(2);
    serves_again();
}

static void test_slowloris(void **state) {
    (void)state;
    /* the head, one byte every 200 ms: a 408 JSON well before the 100-byte head ends */
    int fd = rb_connect(S->dstack_sock);
    assert_true(fd >= 0);
    const char *head = "GET /GetMeta HTTP/1.1\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n\r\n";
    size_t i;
    for (i = 0; head[i]; i++) {
        if (send(fd, head + i, 1, MSG_NOSIGNAL) != 1) break;
        rb_sleep_ms(200);
        struct timeval tv = {0, 0};
        fd_set rs;
        FD_ZERO(&rs);
        FD_SET(fd, &rs);
        if (select(fd + 1, &rs, NULL, NULL, &tv) > 0) break; /* the server spoke */
    }
    assert_true(head[i] != '\0'); /* cut off before the head was complete */
    rb_resp r;
    assert_int_equal(rb_read_response(fd, 10000, &r), RB_OK);
    rb_assert_json_error(&r, 408, "Request timeout");
    assert_true(r.conn_close);
    rb_resp_free(&r);
    /* and it goes on closing even if the client keeps dribbling (lingering close cap) */
    int closed = 0;
    for (int k = 0; k < 100 && !closed; k++) {
        if (send(fd, "a", 1, MSG_NOSIGNAL) != 1) closed = 1;
        else closed = rb_wait_closed(fd, 100);
    }
    assert_true(closed);
    close(fd);
    /* a complete head, then the body one byte every 200 ms: 408 too */
    fd = rb_connect(S->dstack_sock);
    const char *h2 = "POST /GetKey HTTP/1.1\r\nContent-Length: 200\r\n\r\n";
    assert_int_equal(rb_send_all(fd, h2, strlen(h2)), 0);
    int answered = 0;
    for (int k = 0; k < 200 && !answered; k++) {
        if (send(fd, " ", 1, MSG_NOSIGNAL) != 1) break;
        rb_sleep_ms(200);
        struct timeval tv = {0, 0};
        fd_set rs;
        FD_ZERO(&rs);
        FD_SET(fd, &rs);
        answered = select(fd + 1, &rs, NULL, NULL, &tv) > 0;
    }
    assert_int_equal(rb_read_response(fd, 10000, &r), RB_OK);
    rb_assert_json_error(&r, 408, "Request timeout");
    rb_resp_free(&r);
    close(fd);
    rb_fault(2);
    serves_again();
}

static void test_connection_flood(void **state) {
    (void)state;
    /* MAXC connected clients, each served once (so each holds a slot) */
    int held[MAXC];
    for (int i = 0; i < MAXC; i++) {
        held[i] = rb_connect(S->dstack_sock);
        assert_true(held[i] >= 0);
        ok_on(held[i]);
    }
    /* a flood of 200 more connections, all opened before any is read */
    enum { FLOOD = 200 };
    int fl[FLOOD];
    for (int i = 0; i < FLOOD; i++) {
        fl[i] = rb_connect(S->dstack_sock);
        assert_true(fl[i] >= 0); /* the kernel backlog takes them */
        rb_send_all(fl[i], GETMETA, sizeof GETMETA - 1);
    }
    /* every flood connection is refused cleanly: a JSON 503, or closed unanswered once
     * even the refusals are saturated; never served, never left hanging */
    int got503 = 0, closed = 0;
    for (int i = 0; i < FLOOD; i++) {
        rb_resp r;
        rb_outcome o = rb_read_response(fl[i], 15000, &r);
        if (o == RB_OK) {
            rb_assert_json_error(&r, 503, "Too many connections");
            assert_true(r.conn_close);
            got503++;
        } else {
            assert_true(o == RB_EOF || o == RB_RESET);
            closed++;
        }
        rb_resp_free(&r);
        /* meanwhile the connected clients are served */
        if (i % 50 == 0)
            for (int k = 0; k < MAXC; k++) ok_on(held[k]);
    }
    printf("flood of %d: %d answered 503, %d closed unanswered\n", FLOOD, got503, closed);
    assert_true(got503 >= 16);
    for (int i = 0; i < FLOOD; i++) close(fl[i]);
    rb_fault(FLOOD);
    rb_sleep_ms(300); /* the refused ones are released as their clients close */
    /* one at a time past the limit: each gets the 503, the held ones still work */
    for (int i = 0; i < 20; i++) {
        rb_resp r;
        const char *req = "GET /GetMeta HTTP/1.1\r\n\r\n";
        rb_outcome o = rb_exchange(S->dstack_sock, req, strlen(req), 10000, &r);
        assert_int_equal(o, RB_OK);
        rb_assert_json_error(&r, 503, "at most 8");
        rb_resp_free(&r);
    }
    for (int k = 0; k < MAXC; k++) ok_on(held[k]);
    rb_fault(20);
    for (int i = 0; i < MAXC; i++) close(held[i]);
    serves_again();
}

static void test_reset_mid_response(void **state) {
    (void)state;
    /* make Info large: a 3 MiB event payload (its hex sits in the event log twice) */
    size_t pl = 3u * 1024 * 1024;
    ds_buf b;
    ds_buf_init(&b);
    ds_buf_puts(&b, "{\"event\":\"big\",\"payload\":\"");
    for (size_t i = 0; i < pl; i++) ds_buf_puts(&b, "ab");
    ds_buf_puts(&b, "\"}");
    assert_false(b.oom);
    ds_buf ereq;
    ds_buf_init(&ereq);
    ds_buf_printf(&ereq, "POST /EmitEvent HTTP/1.1\r\nContent-Length: %zu\r\n\r\n", b.len);
    ds_buf_append(&ereq, b.data, b.len);
    rb_resp er;
    rb_outcome eo = rb_exchange(S->dstack_sock, ereq.data, ereq.len, 20000, &er);
    if (eo != RB_OK || er.status != 200)
        fprintf(stderr, "EmitEvent: outcome %d, status %d: %.200s\n", eo, er.status, er.body ? er.body : "");
    assert_int_equal(eo, RB_OK);
    assert_int_equal(er.status, 200);
    rb_resp_free(&er);
    ds_buf_free(&ereq);
    ds_buf_free(&b);
    const char *req = "GET /Info HTTP/1.1\r\nHost: localhost\r\n\r\n";
    for (int i = 0; i < 30; i++) {
        int fd = rb_connect(S->dstack_sock);
        assert_true(fd >= 0);
        assert_int_equal(rb_send_all(fd, req, strlen(req)), 0);
        char tmp[4096];
        ssize_t n = recv(fd, tmp, sizeof tmp, 0); /* the response has started */
        assert_true(n > 0);
        struct linger lg = {1, 0}; /* close with RST */
        setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
        close(fd);
    }
    /* pipelined requests, then gone without reading anything */
    for (int i = 0; i < 30; i++) {
        int fd = rb_connect(S->dstack_sock);
        for (int k = 0; k < 5; k++) rb_send_all(fd, req, strlen(req));
        close(fd);
    }
    rb_fault(60);
    /* still there (once the dead connections' slots are back: --max-connections 8), right */
    serves_again();
    cJSON *info = tu_ok(S->dstack_sock, "/Info", "{}");
    assert_non_null(cJSON_GetObjectItemCaseSensitive(info, "tcb_info"));
    cJSON_Delete(info);
    assert_int_equal(kill(S->pid, 0), 0);
}

int main(void) {
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_idle_timeout),
        cmocka_unit_test(test_slowloris),
        cmocka_unit_test(test_connection_flood),
        cmocka_unit_test(test_reset_mid_response),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
