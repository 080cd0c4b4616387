/* bench_verify_http.c — what HTTP adds to a warm quote verification: `dstack-verify serve`
 * (the binary beside dstack-bench, or $DSTACK_VERIFY_BIN) started on a free loopback port
 * with the bench quote's root and collateral, then one keep-alive client posting the same
 * quote again and again to POST /verify (upstream's API, the quote and an empty event log)
 * and to POST /api/v1/attestations/verify (Phala Cloud's API, JSON hex).
 *
 * Per-request server time = the service's CPU time (/proc schedstat, all its threads) over
 * the run / requests: the service's own work for one request (HTTP parsing, body decoding,
 * the warm verification, the response), whatever the client or the machine does. The
 * client's round trip over loopback is reported beside it. */
#include "bench.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>


/* The dstack-verify binary: $DSTACK_VERIFY_BIN, else beside this executable. */
static void verify_bin(char *out, size_t cap) {
    const char *e = getenv("DSTACK_VERIFY_BIN");
    if (e && *e) {
        snprintf(out, cap, "%s", e);
        return;
    }
    char self[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    self[n > 0 ? n : 0] = '\0';
    char *slash = strrchr(self, '/');
    if (slash) *slash = '\0';
    snprintf(out, cap, "%s/dstack-verify", n > 0 ? self : "build/bin");
}

/* Starts the service; returns its pid and sets *port, or -1 with why in note. */
static pid_t start_serve(const char *bin, const char *dir, int *port, char *note, size_t cap) {
    char root[600], col[600], now[32];
    snprintf(root, sizeof root, "%s/root.der", dir);
    snprintf(col, sizeof col, "%s/collateral.json", dir);
    snprintf(now, sizeof now, "%lld", BENCH_VERIFY_NOW);
    int pfd[2];
    if (pipe(pfd) != 0) return snprintf(note, cap, "pipe failed"), -1;
    pid_t pid = fork();
    if (pid == 0) {
        dup2(pfd[1], 1);
        close(pfd[0]);
        close(pfd[1]);
        int devnull = open("/dev/null", O_WRONLY);
        if (devnull >= 0) dup2(devnull, 2);
        const char *argv[] = {bin, "serve",    "--root",      root, "--collateral", col, "--now",
                              now, "--listen", "127.0.0.1:0", NULL};
        execv(bin, (char *const *)argv);
        _exit(127);
    }
    close(pfd[1]);
    if (pid < 0) {
        close(pfd[0]);
        return snprintf(note, cap, "fork failed"), -1;
    }
    char buf[512];
    size_t len = 0;
    *port = 0;
    double t0 = bench_now();
    while (!*port && bench_now() - t0 < 20 && len < sizeof buf - 1) {
        struct pollfd p = {pfd[0], POLLIN, 0};
        if (poll(&p, 1, 200) <= 0) continue;
        ssize_t n = read(pfd[0], buf + len, sizeof buf - 1 - len);
        if (n <= 0) break;
        len += (size_t)n;
        buf[len] = '\0';
        const char *m = strstr(buf, "listening on http://127.0.0.1:");
        if (m && strchr(m, '\n')) *port = atoi(m + strlen("listening on http://127.0.0.1:"));
    }
    close(pfd[0]);
    if (!*port) {
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        snprintf(note, cap, "%.200s serve did not start", bin);
        return -1;
    }
    return pid;
}

/* Reads one Content-Length-framed response into buf; returns its status, or -1. */
static int read_response(int fd, char *buf, size_t cap, size_t *body_off, size_t *total) {
    size_t len = 0, need = 0;
    char *hend = NULL;
    for (;;) {
        if (len == cap) return -1;
        ssize_t n = recv(fd, buf + len, cap - len, 0);
        if (n <= 0) return -1;
        len += (size_t)n;
        if (!hend) {
            buf[len < cap ? len : cap - 1] = '\0';
            hend = strstr(buf, "\r\n\r\n");
            if (hend) {
                const char *cl = strstr(buf, "Content-Length:");
                if (!cl || cl > hend) return -1;
                need = (size_t)(hend + 4 - buf) + (size_t)atol(cl + 15);
                *body_off = (size_t)(hend + 4 - buf);
            }
        }
        if (hend && len >= need) break;
    }
    *total = need;
    return atoi(buf + 9);
}

/* Mean server CPU and client round trip per request (µs) of one route; 0 or -1. */
static int time_route(pid_t pid, int port, const ds_buf *req, const char *must, double seconds,
                      double *server_us, double *rtt_us, char *note, size_t cap) {
    int fd = bench_tcp_connect(port);
    if (fd < 0) return snprintf(note, cap, "cannot connect to the service"), -1;
    size_t cap_buf = 1 << 20, off = 0, total = 0;
    char *buf = malloc(cap_buf);
    long n = 0;
    int rc = -1;
    double c0 = 0, t0 = 0;
    for (long i = 0; buf; i++) {
        if (i == 20) { /* warmed up: the context's collateral check is behind us */
            c0 = bench_proc_cpu(pid);
            t0 = bench_now();
        }
        if (send(fd, req->data, req->len, MSG_NOSIGNAL) != (ssize_t)req->len) break;
        int st = read_response(fd, buf, cap_buf - 1, &off, &total);
        if (st != 200) {
            snprintf(note, cap, "HTTP %d from the service", st);
            break;
        }
        buf[total] = '\0';
        if (!strstr(buf + off, must)) {
            snprintf(note, cap, "the service's answer lacks %s", must);
            break;
        }
        if (i >= 20 && ++n % 20 == 0 && bench_now() - t0 >= seconds) {
            *server_us = (bench_proc_cpu(pid) - c0) * 1e6 / (double)n;
            *rtt_us = (bench_now() - t0) * 1e6 / (double)n;
            rc = 0;
            break;
        }
    }
    free(buf);
    close(fd);
    return rc;
}

void bench_verify_http_run(bench_verify *v, const uint8_t *q, size_t ql, const char *dir,
                           double seconds) {
    char bin[PATH_MAX + 32];
    verify_bin(bin, sizeof bin);
    ds_buf req[2], body;
    ds_buf_init(&body);
    for (int i = 0; i < 2; i++)
        ds_buf_init(&req[i]);
    pid_t pid = -1;
    int port = 0;
    if (access(bin, X_OK) != 0) {
        snprintf(v->http_note, sizeof v->http_note, "no %.200s (make build/bin/dstack-verify)",
                 bin);
    } else if ((pid = start_serve(bin, dir, &port, v->http_note, sizeof v->http_note)) > 0) {
        static const char *const PATHS[2] = {"/verify", "/api/v1/attestations/verify"};
        static const char *const MUST[2] = {"\"quote_verified\":true", "\"verified\":true"};
        for (int k = 0; k < 2; k++) {
            ds_buf_reset(&body);
            ds_buf_puts(&body, k ? "{\"hex\":\"" : "{\"event_log\":\"[]\",\"quote\":\"");
            ds_buf_hex(&body, q, ql);
            ds_buf_puts(&body, "\"}");
            ds_buf_printf(&req[k],
                          "POST %s HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: "
                          "application/json\r\nContent-Length: %zu\r\n\r\n",
                          PATHS[k], body.len);
            ds_buf_append(&req[k], body.data, body.len);
            double *srv = k ? &v->http_pc_us : &v->http_verify_us;
            double *rtt = k ? &v->rtt_pc_us : &v->rtt_verify_us;
            if (req[k].oom || time_route(pid, port, &req[k], MUST[k], seconds, srv, rtt,
                                         v->http_note, sizeof v->http_note) != 0)
                break;
            v->http_measured = k == 1;
        }
        kill(pid, SIGTERM);
        waitpid(pid, NULL, 0);
    }
    if (v->http_measured && v->warm_cpu_us > 0) { /* CPU against CPU: load does not skew it */
        double worst = v->http_verify_us > v->http_pc_us ? v->http_verify_us : v->http_pc_us;
        v->http_added_us = worst - v->warm_cpu_us;
        v->http_ratio = worst / v->warm_cpu_us;
    }
    ds_buf_free(&body);
    for (int i = 0; i < 2; i++)
        ds_buf_free(&req[i]);
}
