/* sim_testutil.c — raw-socket HTTP, JSON assertions and simulator lifecycle for tests.
 */
#include "sim_testutil.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ds_hex.h"
#include "ds_json.h"
#include "ds_unix.h"

ds_testsim *tu_start(const char *const *args) {
    ds_testsim *ts = calloc(1, sizeof(*ts));
    if (!ts || ds_testsim_start(ts, NULL, args) != DS_OK) {
        fprintf(stderr, "cannot start the simulator (set DSTACK_SIMULATOR_BIN?)\n");
        free(ts);
        return NULL;
    }
    return ts;
}

int tu_run(const char *const *argv, char *msg, size_t cap) {
    char path[] = "/tmp/dstack-tu-err-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        dup2(fd, 2);
        int null = open("/dev/null", O_WRONLY);
        dup2(null, 1);
        const char *bin = getenv("DSTACK_SIMULATOR_BIN");
        execv(bin ? bin : "build/bin/dstack-simulator", (char *const *)argv);
        _exit(127);
    }
    int st;
    waitpid(pid, &st, 0);
    if (msg) {
        ssize_t n = pread(fd, msg, cap - 1, 0);
        msg[n > 0 ? n : 0] = '\0';
        msg[strcspn(msg, "\n")] = '\0';
    }
    close(fd);
    unlink(path);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

int tu_stop(ds_testsim *ts) {
    if (!ts) return -1;
    int rc = ds_testsim_stop(ts);
    free(ts);
    if (rc != 0) fprintf(stderr, "simulator exit status %d (expected a clean 0)\n", rc);
    return rc == 0 ? 0 : -1;
}

int tu_parse_response(const char *buf, size_t len, int *status, const char **body, size_t *body_len,
                      size_t *consumed) {
    const char *end = NULL;
    for (size_t i = 0; i + 3 < len; i++)
        if (!memcmp(buf + i, "\r\n\r\n", 4)) {
            end = buf + i;
            break;
        }
    if (!end || len < 12 || strncmp(buf, "HTTP/1.1 ", 9)) return -1;
    *status = atoi(buf + 9);
    long cl = -1;
    for (const char *p = buf; p < end;) {
        const char *eol = memchr(p, '\n', (size_t)(end - p));
        if (!eol) eol = end;
        if (!strncasecmp(p, "Content-Length:", 15)) cl = atol(p + 15);
        p = eol + 1;
    }
    size_t hl = (size_t)(end - buf) + 4;
    if (cl < 0 || hl + (size_t)cl > len) return -1;
    *body = buf + hl;
    *body_len = (size_t)cl;
    if (consumed) *consumed = hl + (size_t)cl;
    return 0;
}

char *tu_exchange(const char *sock, const void *req, size_t len, int half_close,
                  int stop_after_response, int timeout_ms, size_t *out_len, int *closed) {
    int fd = ds_unix_connect(sock);
    assert_true(fd >= 0);
    size_t off = 0;
    while (off < len) {
        ssize_t n = send(fd, (const char *)req + off, len - off, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break; /* the server may close early (413): read what it said */
        off += (size_t)n;
    }
    if (half_close) shutdown(fd, SHUT_WR);
    ds_buf b;
    ds_buf_init(&b);
    int eof = 0;
    for (;;) {
        struct pollfd p = {fd, POLLIN, 0};
        int r = poll(&p, 1, timeout_ms);
        if (r <= 0) break;
        char tmp[65536];
        ssize_t n = recv(fd, tmp, sizeof tmp, 0);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            eof = 1;
            break;
        }
        ds_buf_append(&b, tmp, (size_t)n);
        int st;
        const char *body;
        size_t bl;
        if (stop_after_response && tu_parse_response(b.data, b.len, &st, &body, &bl, NULL) == 0)
            break;
    }
    close(fd);
    if (closed) *closed = eof;
    return ds_buf_take(&b, out_len);
}

char *tu_raw(const char *sock, const char *method, const char *target, const char *json,
             int *status, char **head) {
    ds_buf r;
    ds_buf_init(&r);
    size_t bl = json ? strlen(json) : 0;
    ds_buf_printf(&r, "%s %s HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n", method, target);
    if (json) ds_buf_printf(&r, "Content-Type: application/json\r\nContent-Length: %zu\r\n", bl);
    ds_buf_puts(&r, "\r\n");
    if (json) ds_buf_append(&r, json, bl);
    size_t n;
    int closed;
    char *resp = tu_exchange(sock, r.data, r.len, 0, 0, 10000, &n, &closed);
    ds_buf_free(&r);
    const char *body;
    size_t blen;
    assert_int_equal(tu_parse_response(resp, n, status, &body, &blen, NULL), 0);
    assert_true(closed);
    char *out = strndup(body, blen);
    assert_non_null(out);
    if (head) *head = strndup(resp, (size_t)(body - resp));
    free(resp);
    return out;
}

static cJSON *request(const char *sock, const char *method, const char *target, const char *json,
                      int *status) {
    char *body = tu_raw(sock, method, target, json, status, NULL);
    cJSON *j = cJSON_Parse(body);
    if (!j) fprintf(stderr, "not JSON: %s\n", body);
    assert_non_null(j);
    free(body);
    return j;
}

cJSON *tu_post(const char *sock, const char *path, const char *json, int *status) {
    return request(sock, "POST", path, json ? json : "{}", status);
}

cJSON *tu_get(const char *sock, const char *target, int *status) {
    return request(sock, "GET", target, NULL, status);
}

cJSON *tu_ok(const char *sock, const char *path, const char *json) {
    int st;
    cJSON *j = tu_post(sock, path, json, &st);
    if (st != 200) {
        char *t = cJSON_PrintUnformatted(j);
        fprintf(stderr, "%s %s -> %d %s\n", path, json ? json : "", st, t);
        free(t);
    }
    assert_int_equal(st, 200);
    return j;
}

void tu_err(const char *sock, const char *path, const char *json, const char *needle) {
    int st;
    cJSON *j = tu_post(sock, path, json, &st);
    const char *msg = tu_str(j, "error");
    if (st != 400 || !strstr(msg, needle))
        fprintf(stderr, "%s %s -> %d %s (wanted 400 with \"%s\")\n", path, json, st, msg, needle);
    assert_int_equal(st, 400);
    assert_non_null(strstr(msg, needle));
    cJSON_Delete(j);
}

const char *tu_str(const cJSON *o, const char *name) {
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, name);
    if (!cJSON_IsString(it)) fprintf(stderr, "missing string member \"%s\"\n", name);
    assert_true(cJSON_IsString(it));
    return it->valuestring;
}

void tu_hex(const char *hex, uint8_t *out, size_t n) {
    assert_int_equal(ds_hex_decode_exact(hex, strlen(hex), out, n), DS_OK);
}

uint8_t *tu_hex_alloc(const char *hex, size_t *n) {
    long l = ds_hex_decoded_len(hex, strlen(hex));
    assert_true(l >= 0);
    uint8_t *p = malloc((size_t)l + 1);
    assert_non_null(p);
    assert_int_equal(ds_hex_decode(hex, strlen(hex), p, (size_t)l + 1, n), DS_OK);
    return p;
}

void tu_assert_fields(const cJSON *o, const char *const *names) {
    const cJSON *it = o ? o->child : NULL;
    size_t i = 0;
    for (; names[i]; i++, it = it->next) {
        if (!it || strcmp(it->string, names[i]))
            fprintf(stderr, "field %zu: expected \"%s\", got \"%s\"\n", i, names[i],
                    it ? it->string : "(end)");
        assert_non_null(it);
        assert_string_equal(it->string, names[i]);
    }
    assert_null(it);
}

char *tu_read(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) fprintf(stderr, "cannot open %s (run from the repository root)\n", path);
    assert_non_null(f);
    ds_buf b;
    ds_buf_init(&b);
    char tmp[8192];
    size_t n;
    while ((n = fread(tmp, 1, sizeof tmp, f)) > 0)
        ds_buf_append(&b, tmp, n);
    fclose(f);
    return ds_buf_take(&b, len);
}

void tu_repo_root_key(uint8_t key[32]) {
    size_t n;
    char *txt = tu_read("appkeys.json", &n);
    cJSON *j = cJSON_Parse(txt);
    free(txt);
    tu_hex(tu_str(j, "kms_root_key"), key, 32);
    cJSON_Delete(j);
}

int tu_free_port(void) {
    int probe = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sin;
    memset(&sin, 0, sizeof sin);
    sin.sin_family = AF_INET;
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(probe, (struct sockaddr *)&sin, sizeof sin), 0);
    socklen_t sl = sizeof sin;
    assert_int_equal(getsockname(probe, (struct sockaddr *)&sin, &sl), 0);
    close(probe);
    return ntohs(sin.sin_port);
}

char *tu_tcp_request(int port, const char *req) {
    struct sockaddr_in sin;
    memset(&sin, 0, sizeof sin);
    sin.sin_family = AF_INET;
    sin.sin_port = htons((uint16_t)port);
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_int_equal(connect(fd, (struct sockaddr *)&sin, sizeof sin), 0);
    assert_int_equal(send(fd, req, strlen(req), 0), (ssize_t)strlen(req));
    size_t cap = 1 << 20, have = 0;
    char *buf = malloc(cap);
    assert_non_null(buf);
    ssize_t n;
    while ((n = recv(fd, buf + have, cap - 1 - have, 0)) > 0)
        have += (size_t)n;
    buf[have] = '\0';
    close(fd);
    return buf;
}

char *tu_tcp_get(int port, const char *target, int *status) {
    char req[256];
    snprintf(req, sizeof req, "GET %s HTTP/1.1\r\nConnection: close\r\n\r\n", target);
    char *raw = tu_tcp_request(port, req);
    const char *body;
    size_t blen, used;
    assert_int_equal(tu_parse_response(raw, strlen(raw), status, &body, &blen, &used), 0);
    char *out = strndup(body, blen);
    free(raw);
    return out;
}

char *tu_scrape(int port) {
    char *r = tu_tcp_request(port, "GET /metrics HTTP/1.1\r\nConnection: close\r\n\r\n");
    assert_non_null(strstr(r, "HTTP/1.1 200 OK\r\n"));
    assert_non_null(strstr(r, "Content-Type: text/plain; version=0.0.4"));
    return r;
}

unsigned long long tu_sample(const char *text, const char *series) {
    char needle[256];
    snprintf(needle, sizeof needle, "\n%s ", series);
    const char *p = strstr(text, needle);
    if (!p) fprintf(stderr, "missing sample %s\n", series);
    assert_non_null(p);
    return strtoull(p + strlen(needle), NULL, 10);
}

char *tu_term_log(ds_testsim *ts, const char *until) {
    kill(ts->pid, SIGTERM);
    char *log = NULL;
    for (int i = 0; i < 200; i++) {
        size_t n;
        free(log);
        log = tu_read(ts->log_path, &n);
        if (strstr(log, until)) break;
        usleep(50000);
    }
    return log;
}
