/* test_sim_metrics.c — the statistics: GET /metrics on the TCP listener (Prometheus text)
 * counts exactly the requests it was sent, by method, with latency histograms and errors
 * by kind, summed over worker threads (--workers 2: connections are dealt round-robin, so
 * both shards take part); the per-method summary on shutdown. No timing assertions.
 */
#include "sim_testutil.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "ds_unix.h"


static void raw_unix(const char *sock, const char *req) {
    size_t n;
    int closed;
    free(tu_exchange(sock, req, strlen(req), 1, 0, 3000, &n, &closed));
}

static void test_metrics_counts(void **state) {
    (void)state;
    char addr[64];
    int port = tu_free_port();
    snprintf(addr, sizeof addr, "127.0.0.1:%d", port);
    const char *args[] = {"--config", "appkeys.json", "--listen", addr, "--workers", "2", NULL};
    ds_testsim *s = tu_start(args);
    const char *S = s->dstack_sock;

    char *before = tu_scrape(port);
    assert_int_equal(tu_sample(before, "dstack_sim_requests_total{method=\"GetKey\"}"), 0);
    assert_int_equal(tu_sample(before, "dstack_sim_workers"), 2);
    free(before);

    for (int i = 0; i < 3; i++) cJSON_Delete(tu_ok(S, "/GetKey", "{\"path\":\"m\",\"purpose\":\"x\"}"));
    for (int i = 0; i < 2; i++) cJSON_Delete(tu_ok(S, "/GetQuote", "{\"report_data\":\"01\"}"));
    cJSON_Delete(tu_ok(S, "/Info", "{}"));
    tu_err(S, "/GetKey", "{\"path\":", "Invalid JSON");           /* bad_request */
    tu_err(S, "/NoSuchMethod", "{}", "Service not found");         /* not_found */
    raw_unix(S, "PUT /GetKey HTTP/1.1\r\nContent-Length: 0\r\n\r\n"); /* method_not_allowed */
    raw_unix(S, "NOT HTTP AT ALL\r\n\r\n");                          /* protocol */
    /* One over TCP too: the same counters. */
    free(tu_tcp_request(port, "GET /Version HTTP/1.1\r\nConnection: close\r\n\r\n"));

    char *m = tu_scrape(port);
    assert_int_equal(tu_sample(m, "dstack_sim_requests_total{method=\"GetKey\"}"), 5);
    assert_int_equal(tu_sample(m, "dstack_sim_request_failures_total{method=\"GetKey\"}"), 2);
    assert_int_equal(tu_sample(m, "dstack_sim_requests_total{method=\"GetQuote\"}"), 2);
    assert_int_equal(tu_sample(m, "dstack_sim_request_failures_total{method=\"GetQuote\"}"), 0);
    assert_int_equal(tu_sample(m, "dstack_sim_requests_total{method=\"Info\"}"), 1);
    assert_int_equal(tu_sample(m, "dstack_sim_requests_total{method=\"Version\"}"), 1);
    assert_int_equal(tu_sample(m, "dstack_sim_requests_total{method=\"unknown\"}"), 1);
    assert_int_equal(tu_sample(m, "dstack_sim_requests_total{method=\"metrics\"}"), 1);
    assert_int_equal(tu_sample(m, "dstack_sim_requests_total{method=\"Sign\"}"), 0);
    assert_int_equal(tu_sample(m, "dstack_sim_errors_total{kind=\"bad_request\"}"), 1);
    assert_int_equal(tu_sample(m, "dstack_sim_errors_total{kind=\"not_found\"}"), 1);
    assert_int_equal(tu_sample(m, "dstack_sim_errors_total{kind=\"method_not_allowed\"}"), 1);
    assert_int_equal(tu_sample(m, "dstack_sim_errors_total{kind=\"protocol\"}"), 1);
    assert_int_equal(tu_sample(m, "dstack_sim_errors_total{kind=\"internal\"}"), 0);
    /* Histogram: cumulative buckets, +Inf = _count = requests. */
    assert_int_equal(tu_sample(m, "dstack_sim_request_duration_seconds_count{method=\"GetKey\"}"), 5);
    assert_int_equal(
        tu_sample(m, "dstack_sim_request_duration_seconds_bucket{method=\"GetKey\",le=\"+Inf\"}"), 5);
    static const char *const LE[] = {"2.5e-05", "5e-05", "0.0001", "0.00025", "0.0005", "0.001",
                                     "0.002", "0.005", "0.01", "0.025", "0.05", "0.1", "0.25",
                                     "1", "+Inf"};
    unsigned long long prev = 0;
    for (size_t i = 0; i < sizeof LE / sizeof LE[0]; i++) {
        char series[160];
        snprintf(series, sizeof series,
                 "dstack_sim_request_duration_seconds_bucket{method=\"GetQuote\",le=\"%s\"}", LE[i]);
        unsigned long long v = tu_sample(m, series);
        assert_true(v >= prev);
        prev = v;
    }
    assert_int_equal(prev, 2);
    assert_non_null(strstr(m, "# TYPE dstack_sim_request_duration_seconds histogram\n"));
    assert_non_null(strstr(m, "\nprocess_resident_memory_bytes "));
    assert_true(tu_sample(m, "dstack_sim_event_log_events") > 0);
    free(m);

    /* /metrics answers GET only; the dstack API stays on the TCP listener too. */
    char *r = tu_tcp_request(port, "POST /metrics HTTP/1.1\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
    assert_non_null(strstr(r, "HTTP/1.1 405"));
    free(r);

    /* Shutdown: the per-method summary on stderr (the log). */
    char *log = tu_term_log(s, "  errors:");
    assert_non_null(strstr(log, "requests served (2 workers"));
    assert_non_null(strstr(log, "\n  GetKey "));
    assert_non_null(strstr(log, "\n  GetQuote "));
    assert_non_null(strstr(log, "not_found=1"));
    free(log);
    assert_int_equal(tu_stop(s), 0);
}

/* The Unix sockets do not serve /metrics: it is a TCP-listener endpoint. */
static void test_metrics_not_on_unix_socket(void **state) {
    (void)state;
    const char *args[] = {"--config", "appkeys.json", "--workers", "1", NULL};
    ds_testsim *s = tu_start(args);
    int st;
    cJSON *j = tu_get(s->dstack_sock, "/metrics", &st);
    assert_int_equal(st, 400);
    cJSON_Delete(j);
    assert_int_equal(tu_stop(s), 0);
}

/* Opens a keep-alive connection to the Unix socket and completes one request on it, so
 * the server has certainly accepted (and counts) it. Returns the open fd. */
static int held_connection(const char *sock) {
    int fd = ds_unix_connect(sock);
    assert_true(fd >= 0);
    static const char req[] = "GET /Version HTTP/1.1\r\nHost: x\r\n\r\n";
    assert_int_equal(send(fd, req, sizeof req - 1, 0), (ssize_t)(sizeof req - 1));
    char buf[4096];
    size_t have = 0;
    while (have < sizeof buf - 1 && !memchr(buf, '}', have)) {
        ssize_t n = recv(fd, buf + have, sizeof buf - 1 - have, 0);
        assert_true(n > 0);
        have += (size_t)n;
    }
    buf[have] = '\0';
    assert_non_null(strstr(buf, "HTTP/1.1 200 OK"));
    return fd;
}

/* A refusal at --max-connections is counted as "overloaded" (not "internal"). */
static void test_metrics_overload_kind(void **state) {
    (void)state;
    char addr[64];
    int port = tu_free_port();
    snprintf(addr, sizeof addr, "127.0.0.1:%d", port);
    const char *args[] = {"--config", "appkeys.json", "--listen", addr, "--workers", "1",
                          "--max-connections", "2", NULL};
    ds_testsim *s = tu_start(args);
    int held[2] = {held_connection(s->dstack_sock), held_connection(s->dstack_sock)};
    size_t n;
    int closed;
    static const char req[] = "GET /Version HTTP/1.1\r\nHost: x\r\n\r\n";
    char *r = tu_exchange(s->dstack_sock, req, sizeof req - 1, 0, 1, 3000, &n, &closed);
    assert_non_null(strstr(r, "HTTP/1.1 503"));
    free(r);
    close(held[0]);
    close(held[1]);
    /* Scrape once the freed slots are back (bounded: 200 tries). */
    char *m = NULL;
    for (int i = 0; i < 200 && !m; i++) {
        char *t = tu_tcp_request(port, "GET /metrics HTTP/1.1\r\nConnection: close\r\n\r\n");
        if (strstr(t, "HTTP/1.1 200 OK\r\n")) m = t;
        else {
            free(t);
            usleep(10000);
        }
    }
    assert_non_null(m);
    assert_true(tu_sample(m, "dstack_sim_errors_total{kind=\"overloaded\"}") >= 1);
    assert_int_equal(tu_sample(m, "dstack_sim_errors_total{kind=\"internal\"}"), 0);
    free(m);
    assert_int_equal(tu_stop(s), 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_metrics_counts),
        cmocka_unit_test(test_metrics_not_on_unix_socket),
        cmocka_unit_test(test_metrics_overload_kind),
    };
    return cmocka_run_group_tests_name("sim_metrics", tests, NULL, NULL);
}
