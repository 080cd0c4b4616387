/* test_sim_http.c — the transport under stress: keep-alive, pipelining, the JS SDK's
 * split writes and half-close, 100-continue, bad and hostile input (malformed JSON, wrong
 * types, unknown methods, oversize / truncated / under-declared bodies, bad chunked, garbage,
 * huge headers, abrupt disconnects), socket-file safety, loopback TCP. After all of it the
 * simulator must still answer and exit cleanly (teardown; under ASan: no leak).
 */
#include "sim_testutil.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ds_unix.h"

static ds_testsim *sim;
static const char *S;

static int setup(void **state) {
    (void)state;
    const char *args[] = {"--config", "appkeys.json", NULL};
    sim = tu_start(args);
    if (!sim) return -1;
    S = sim->dstack_sock;
    return 0;
}

static int teardown(void **state) {
    (void)state;
    return tu_stop(sim);
}

static int unix_connect(const char *path) {
    int fd = ds_unix_connect(path);
    assert_true(fd >= 0);
    return fd;
}

/* Sends raw bytes (optionally half-closing) and returns status + JSON body of the first
 * response; *closed says whether the server closed afterwards. */
static cJSON *raw1(const char *req, size_t len, int half_close, int *status, int *closed) {
    size_t n;
    char *resp = tu_exchange(S, req, len, half_close, 0, 3000, &n, closed);
    const char *body;
    size_t bl;
    if (tu_parse_response(resp, n, status, &body, &bl, NULL) != 0)
        fprintf(stderr, "unparsable response: %.*s\n", (int)n, resp);
    assert_int_equal(tu_parse_response(resp, n, status, &body, &bl, NULL), 0);
    cJSON *j = cJSON_ParseWithLength(body, bl);
    assert_non_null(j);
    free(resp);
    return j;
}

static void expect_error(const char *req, int want_status, const char *needle) {
    int st, closed;
    cJSON *j = raw1(req, strlen(req), 1, &st, &closed);
    const char *msg = tu_str(j, "error");
    if (st != want_status || !strstr(msg, needle))
        fprintf(stderr, "got %d %s; wanted %d \"%s\"\n", st, msg, want_status, needle);
    assert_int_equal(st, want_status);
    assert_non_null(strstr(msg, needle));
    assert_true(closed);
    cJSON_Delete(j);
}

static void test_keepalive_pipelining(void **state) {
    (void)state;
    const char *two = "GET /Version HTTP/1.1\r\nHost: x\r\n\r\n"
                      "POST /GetKey HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                      "Content-Length: 12\r\n\r\n{\"path\":\"a\"}";
    int fd = unix_connect(S);
    assert_int_equal(send(fd, two, strlen(two), 0), (ssize_t)strlen(two));
    char buf[8192];
    size_t have = 0;
    int responses = 0;
    for (int i = 0; i < 100 && responses < 2; i++) {
        struct pollfd p = {fd, POLLIN, 0};
        assert_true(poll(&p, 1, 3000) == 1);
        ssize_t n = recv(fd, buf + have, sizeof buf - have - 1, 0);
        assert_true(n > 0);
        have += (size_t)n;
        responses = 0;
        size_t off = 0, used;
        int st;
        const char *body;
        size_t bl;
        while (tu_parse_response(buf + off, have - off, &st, &body, &bl, &used) == 0) {
            assert_int_equal(st, 200);
            responses++;
            off += used;
        }
    }
    assert_int_equal(responses, 2);
    /* still open: a third request on the same connection */
    const char *third = "GET /Version HTTP/1.1\r\n\r\n";
    assert_int_equal(send(fd, third, strlen(third), 0), (ssize_t)strlen(third));
    struct pollfd p = {fd, POLLIN, 0};
    assert_true(poll(&p, 1, 3000) == 1);
    assert_true(recv(fd, buf, sizeof buf, 0) > 0);
    /* our EOF → the server closes */
    shutdown(fd, SHUT_WR);
    assert_true(poll(&p, 1, 3000) == 1);
    assert_int_equal(recv(fd, buf, sizeof buf, 0), 0);
    close(fd);
}

/* The JS SDK: five small writes, then after the response a half-close, then it waits for
 * the server to close. */
static void test_sdk_style_split_writes(void **state) {
    (void)state;
    const char *body = "{\"path\":\"x\",\"purpose\":\"y\",\"algorithm\":\"secp256k1\"}";
    char cl[64];
    snprintf(cl, sizeof cl, "Content-Length: %zu\r\n", strlen(body));
    const char *parts[] = {"POST /GetKey HTTP/1.1\r\n", "Host: localhost\r\n",
                           "Content-Type: application/json\r\n", cl, "\r\n", body};
    int fd = unix_connect(S);
    for (size_t i = 0; i < 6; i++) {
        assert_int_equal(send(fd, parts[i], strlen(parts[i]), 0), (ssize_t)strlen(parts[i]));
        struct timespec ts = {0, 5 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    char buf[4096];
    size_t have = 0;
    int st;
    const char *b;
    size_t bl;
    while (tu_parse_response(buf, have, &st, &b, &bl, NULL) != 0) {
        struct pollfd p = {fd, POLLIN, 0};
        assert_true(poll(&p, 1, 3000) == 1);
        ssize_t n = recv(fd, buf + have, sizeof buf - have, 0);
        assert_true(n > 0);
        have += (size_t)n;
    }
    assert_int_equal(st, 200);
    shutdown(fd, SHUT_WR);
    struct pollfd p = {fd, POLLIN, 0};
    assert_true(poll(&p, 1, 3000) == 1);
    assert_int_equal(recv(fd, buf, sizeof buf, 0), 0);
    close(fd);
    /* half-close right after the request (nc -N style): answered, then closed */
    const char *req = "POST /Info HTTP/1.1\r\nContent-Length: 2\r\n\r\n{}";
    int closed;
    cJSON *j = raw1(req, strlen(req), 1, &st, &closed);
    assert_int_equal(st, 200);
    assert_true(closed);
    cJSON_Delete(j);
}

static void test_bad_json_and_types(void **state) {
    (void)state;
    expect_error("POST /GetKey HTTP/1.1\r\nContent-Type: application/json\r\nContent-Length: 9\r\n\r\n{\"path\":}",
                 400, "Invalid JSON");
    expect_error("POST /GetKey HTTP/1.1\r\nContent-Length: 3\r\n\r\n[1]", 400, "must be a JSON object");
    expect_error("POST /GetKey HTTP/1.1\r\nContent-Length: 13\r\n\r\n{\"path\":1} xx", 400, "Invalid JSON");
    expect_error("POST /GetKey HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc", 400, "Unsupported request body");
    expect_error("POST /Nope HTTP/1.1\r\nContent-Length: 2\r\n\r\n{}", 400, "Service not found: Nope");
    expect_error("GET /a/b HTTP/1.1\r\n\r\n", 404, "no route for /a/b");
    expect_error("DELETE /Info HTTP/1.1\r\n\r\n", 405, "Method not allowed");
    tu_err(S, "/GetKey", "{\"path\":true}", "path: expected a string");
    tu_err(S, "/GetKey", "{\"purpose\":[]}", "purpose");
    tu_err(S, "/GetQuote", "{\"report_data\":\"0x123\"}", "report_data");
    tu_err(S, "/GetQuote", "{\"report_data\":7}", "report_data");
    tu_err(S, "/Sign", "{\"algorithm\":\"ed25519\",\"data\":\"xyz1\"}", "data");
    tu_err(S, "/Verify", "{\"algorithm\":\"ed25519\",\"data\":\"00\",\"signature\":\"00\",\"public_key\":\"00\"}", "signature");
    tu_err(S, "/EmitEvent", "{\"event\":{},\"payload\":\"\"}", "event");
    /* null body and unknown fields are fine */
    cJSON_Delete(tu_ok(S, "/GetKey", "null"));
    cJSON_Delete(tu_ok(S, "/GetKey", "{\"path\":\"a\",\"unknown\":{\"deep\":[1,2,3]},\"purpose\":null}"));
}

static void test_body_limits(void **state) {
    (void)state;
    /* 11 MiB declared → 413 without sending it */
    expect_error("POST /GetKey HTTP/1.1\r\nContent-Length: 11534336\r\n\r\n", 413, "too large");
    /* a real 10 MiB + 1 body being sent: still a JSON 413, no hang, no crash */
    size_t big = 10u * 1024 * 1024 + 1;
    char *req = malloc(big + 200);
    int hl = snprintf(req, 200, "POST /GetKey HTTP/1.1\r\nContent-Length: %zu\r\n\r\n", big);
    memset(req + hl, 'a', big);
    int st, closed;
    size_t n;
    char *resp = tu_exchange(S, req, (size_t)hl + big, 1, 1, 5000, &n, &closed);
    const char *body;
    size_t bl;
    assert_int_equal(tu_parse_response(resp, n, &st, &body, &bl, NULL), 0);
    assert_int_equal(st, 413);
    free(resp);
    /* exactly at the cap is accepted (and rejected only as bad JSON) */
    hl = snprintf(req, 200, "POST /GetKey HTTP/1.1\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n\r\n", big - 1);
    resp = tu_exchange(S, req, (size_t)hl + big - 1, 1, 1, 10000, &n, &closed);
    assert_int_equal(tu_parse_response(resp, n, &st, &body, &bl, NULL), 0);
    assert_int_equal(st, 400);
    free(resp);
    free(req);
    /* truncated body: the client ends its side early */
    expect_error("POST /GetKey HTTP/1.1\r\nContent-Length: 100\r\n\r\n{\"path\":", 400, "Truncated");
    /* chunked: refused with JSON */
    /* chunked bodies are decoded (test_sim_v06.c); a malformed one is a JSON 400 */
    expect_error("POST /GetKey HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\nX\r\n", 400, "chunk size");
    expect_error("POST /GetKey HTTP/1.1\r\nContent-Length: 1x\r\n\r\n", 400, "Content-Length");
    expect_error("POST /GetKey HTTP/1.1\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}", 400, "Conflicting");
}

/* The JS SDK declares the JS string length: non-ASCII text under-declares the body. */
static void test_underdeclared_length(void **state) {
    (void)state;
    const char *body = "{\"path\":\"caf\xc3\xa9\"}"; /* 16 bytes, 15 JS chars */
    char req[256];
    int n = snprintf(req, sizeof req, "POST /GetKey HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 15\r\n\r\n%s", body);
    int st, closed;
    cJSON *j = raw1(req, (size_t)n, 1, &st, &closed);
    assert_int_equal(st, 400);
    assert_non_null(strstr(tu_str(j, "error"), "Invalid JSON"));
    assert_true(closed);
    cJSON_Delete(j);
}

static void test_protocol_garbage(void **state) {
    (void)state;
    expect_error("HELLO\r\n\r\n", 400, "request line");
    expect_error("GET / HTTP/2.0\r\n\r\n", 400, "HTTP version");
    expect_error("GET /Info HTTP/1.1\r\nNoColonHere\r\n\r\n", 400, "header");
    expect_error("get /Info HTTP/1.1\r\n\r\n", 400, "method");
    /* 100 KiB of header without an end → 431 */
    size_t big = 100 * 1024;
    char *req = malloc(big + 64);
    int hl = snprintf(req, 64, "GET /Info HTTP/1.1\r\nX-Big: ");
    memset(req + hl, 'x', big);
    int st, closed;
    cJSON *j = raw1(req, (size_t)hl + big, 1, &st, &closed);
    assert_int_equal(st, 431);
    cJSON_Delete(j);
    free(req);
    /* binary junk, then EOF: a clean close and nothing else */
    unsigned char junk[512];
    for (size_t i = 0; i < sizeof junk; i++) junk[i] = (unsigned char)(i * 37 + 11);
    size_t n;
    char *resp = tu_exchange(S, junk, sizeof junk, 1, 0, 3000, &n, &closed);
    assert_true(closed);
    free(resp);
}

static void test_expect_continue_http10(void **state) {
    (void)state;
    const char *req = "POST /GetKey HTTP/1.1\r\nExpect: 100-continue\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n";
    int fd = unix_connect(S);
    assert_int_equal(send(fd, req, strlen(req), 0), (ssize_t)strlen(req));
    char buf[4096];
    struct pollfd p = {fd, POLLIN, 0};
    assert_true(poll(&p, 1, 3000) == 1);
    ssize_t n = recv(fd, buf, sizeof buf - 1, 0);
    assert_true(n > 0);
    buf[n] = '\0';
    assert_non_null(strstr(buf, "HTTP/1.1 100 Continue\r\n\r\n"));
    assert_int_equal(send(fd, "{}", 2, 0), 2);
    assert_true(poll(&p, 1, 3000) == 1);
    n = recv(fd, buf, sizeof buf - 1, 0);
    assert_true(n > 0);
    buf[n] = '\0';
    assert_non_null(strstr(buf, "HTTP/1.1 200 OK"));
    close(fd);
    /* HTTP/1.0 without keep-alive: one response, then the server closes */
    int st, closed;
    const char *r10 = "GET /Version HTTP/1.0\r\n\r\n";
    cJSON *j = raw1(r10, strlen(r10), 0, &st, &closed);
    assert_int_equal(st, 200);
    assert_true(closed);
    cJSON_Delete(j);
}

/* Clients vanishing mid-request and mid-response; then many at once. */
static void test_abrupt_and_concurrent(void **state) {
    (void)state;
    for (int i = 0; i < 20; i++) {
        int fd = unix_connect(S);
        const char *part = i % 2 ? "POST /GetQuote HTTP/1.1\r\nContent-Length: 50\r\n\r\n{\"rep"
                                 : "GET /Info HTTP/1.1\r\n\r\n";
        send(fd, part, strlen(part), 0);
        struct linger lg = {1, 0}; /* close with RST */
        setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
        close(fd);
    }
    enum { N = 200 };
    int fds[N];
    const char *req = "GET /Version HTTP/1.1\r\nConnection: close\r\n\r\n";
    for (int i = 0; i < N; i++) {
        fds[i] = unix_connect(S);
        assert_int_equal(send(fds[i], req, strlen(req), 0), (ssize_t)strlen(req));
    }
    for (int i = 0; i < N; i++) {
        char buf[2048];
        size_t have = 0;
        int st;
        const char *b;
        size_t bl;
        while (tu_parse_response(buf, have, &st, &b, &bl, NULL) != 0) {
            struct pollfd p = {fds[i], POLLIN, 0};
            assert_true(poll(&p, 1, 5000) == 1);
            ssize_t n = recv(fds[i], buf + have, sizeof buf - have, 0);
            assert_true(n > 0);
            have += (size_t)n;
        }
        assert_int_equal(st, 200);
        close(fds[i]);
    }
    cJSON_Delete(tu_ok(S, "/Version", NULL));
}

static int run_sim(const char *const *extra, int wait_exit) {
    const char *bin = getenv("DSTACK_SIMULATOR_BIN");
    if (!bin) bin = "build/bin/dstack-simulator";
    const char *argv[16];
    int i = 0;
    argv[i++] = bin;
    for (int k = 0; extra[k]; k++) argv[i++] = extra[k];
    argv[i] = NULL;
    pid_t pid = fork();
    if (pid == 0) {
        freopen("/dev/null", "w", stdout);
        freopen("/dev/null", "w", stderr);
        execv(bin, (char *const *)argv);
        _exit(127);
    }
    if (!wait_exit) return pid;
    int st;
    waitpid(pid, &st, 0);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static void test_socket_files(void **state) {
    (void)state;
    char dir[] = "/tmp/dssimf.XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[128], link[128], file[128], t2[128];
    snprintf(path, sizeof path, "%s/d.sock", dir);
    snprintf(link, sizeof link, "%s/link.sock", dir);
    snprintf(file, sizeof file, "%s/file.sock", dir);
    snprintf(t2, sizeof t2, "%s/t.sock", dir);
    /* live socket (our running simulator) → refused, exit 1, socket untouched */
    const char *live[] = {"--config", "appkeys.json", "--dstack-sock", S, "--tappd-sock", "", NULL};
    assert_int_equal(run_sim(live, 1), 1);
    cJSON_Delete(tu_ok(S, "/Version", NULL));
    /* symlink → refused, never followed */
    assert_int_equal(symlink("/tmp/should-not-be-created.sock", link), 0);
    const char *sl[] = {"--config", "appkeys.json", "--dstack-sock", link, "--tappd-sock", "", NULL};
    assert_int_equal(run_sim(sl, 1), 1);
    struct stat sb;
    assert_int_not_equal(lstat("/tmp/should-not-be-created.sock", &sb), 0);
    /* regular file → refused and kept */
    FILE *f = fopen(file, "w");
    fputs("data", f);
    fclose(f);
    const char *rf[] = {"--config", "appkeys.json", "--dstack-sock", file, "--tappd-sock", "", NULL};
    assert_int_equal(run_sim(rf, 1), 1);
    assert_int_equal(lstat(file, &sb), 0);
    assert_true(S_ISREG(sb.st_mode));
    /* stale socket (bound, nobody listening) → replaced; mode from --socket-mode */
    struct sockaddr_un sa;
    memset(&sa, 0, sizeof sa);
    sa.sun_family = AF_UNIX;
    memcpy(sa.sun_path, path, strlen(path));
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    close(fd);
    const char *st[] = {"--config", "appkeys.json", "--dstack-sock", path, "--tappd-sock", t2,
                        "--socket-mode", "0660", NULL};
    pid_t pid = run_sim(st, 0);
    int ready = 0;
    for (int i = 0; i < 2000 && !ready; i++) {
        int c = socket(AF_UNIX, SOCK_STREAM, 0);
        ready = connect(c, (struct sockaddr *)&sa, sizeof sa) == 0;
        close(c);
        if (!ready) {
            struct timespec ts = {0, 10 * 1000 * 1000};
            nanosleep(&ts, NULL);
        }
    }
    assert_true(ready);
    assert_int_equal(lstat(path, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0660);
    kill(pid, SIGINT);
    int status;
    waitpid(pid, &status, 0);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    assert_int_not_equal(lstat(path, &sb), 0); /* removed on SIGINT */
    assert_int_not_equal(lstat(t2, &sb), 0);
    /* default mode 0600 is checked on the group's simulator */
    assert_int_equal(lstat(S, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0600);
    unlink(link);
    unlink(file);
    rmdir(dir);
}

static void test_tcp_loopback(void **state) {
    (void)state;
    int port = tu_free_port();
    struct sockaddr_in sin;
    memset(&sin, 0, sizeof sin);
    sin.sin_family = AF_INET;
    sin.sin_port = htons((uint16_t)port);
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    char addr[64];
    snprintf(addr, sizeof addr, "127.0.0.1:%d", port);
    const char *args[] = {"--config", "appkeys.json", "--listen", addr, NULL};
    ds_testsim *s2 = tu_start(args);
    assert_non_null(s2);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_int_equal(connect(fd, (struct sockaddr *)&sin, sizeof sin), 0);
    const char *req = "GET /GetKey?path=tcp HTTP/1.1\r\nConnection: close\r\n\r\n";
    send(fd, req, strlen(req), 0);
    char buf[4096];
    size_t have = 0;
    ssize_t n;
    while ((n = recv(fd, buf + have, sizeof buf - have, 0)) > 0) have += (size_t)n;
    close(fd);
    int st;
    const char *body;
    size_t bl;
    assert_int_equal(tu_parse_response(buf, have, &st, &body, &bl, NULL), 0);
    assert_int_equal(st, 200);
    cJSON *a = cJSON_ParseWithLength(body, bl);
    cJSON *b = tu_ok(s2->dstack_sock, "/GetKey", "{\"path\":\"tcp\"}");
    assert_string_equal(tu_str(a, "key"), tu_str(b, "key"));
    cJSON_Delete(a);
    cJSON_Delete(b);
    assert_int_equal(tu_stop(s2), 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_keepalive_pipelining),
        cmocka_unit_test(test_sdk_style_split_writes),
        cmocka_unit_test(test_bad_json_and_types),
        cmocka_unit_test(test_body_limits),
        cmocka_unit_test(test_underdeclared_length),
        cmocka_unit_test(test_protocol_garbage),
        cmocka_unit_test(test_expect_continue_http10),
        cmocka_unit_test(test_abrupt_and_concurrent),
        cmocka_unit_test(test_socket_files),
        cmocka_unit_test(test_tcp_loopback),
    };
    return cmocka_run_group_tests_name("sim_http", tests, setup, teardown);
}
