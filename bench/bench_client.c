/* bench_client.c — the load generator: one thread, epoll, N connections to the real Unix
 * socket.
 *
 *   keep-alive       each client keeps one connection and sends its next request as soon
 *                    as the previous response is complete (closed loop), or at its next
 *                    slot when an offered rate is given (rate / clients per client)
 *   per request      each request on a fresh connection, the JS SDK's way: connect, send
 *                    with "Connection: close", shut the write side, read to EOF
 * Latency: from the first byte sent (or the connect) to the last byte of the response.
 * A request fails on a non-200 status, a reset, or no response within 10 s. The server's
 * CPU (utime + stime from /proc) is sampled at both ends of the measured window.
 */
#define _GNU_SOURCE /* memmem, strcasestr */
#include "bench.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define REQ_TIMEOUT_SEC 10.0

typedef struct {
    int fd;
    int busy;            /* a request is in flight */
    size_t sent;
    char *rbuf;
    size_t rlen, rcap;
    double t0;           /* request start */
    double next_at;      /* rate mode: when to send next */
} lconn;

typedef struct {
    const bench_load_cfg *cfg;
    bench_load_result *res;
    int ep;
    lconn *c;
    char *req;
    size_t req_len;
    int measuring;
    float *lat;          /* µs */
    size_t nlat, cap_lat;
    double sum_us;
} lstate;

static void note_error(lstate *s, const char *what) {
    if (!s->res->first_error[0]) snprintf(s->res->first_error, sizeof s->res->first_error, "%s", what);
}

static int unix_connect(const char *path) {
    struct sockaddr_un sa;
    memset(&sa, 0, sizeof sa);
    sa.sun_family = AF_UNIX;
    snprintf(sa.sun_path, sizeof sa.sun_path, "%s", path);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

static void conn_close(lstate *s, lconn *c) {
    if (c->fd >= 0) {
        epoll_ctl(s->ep, EPOLL_CTL_DEL, c->fd, NULL);
        close(c->fd);
    }
    c->fd = -1;
    c->busy = 0;
}

/* Starts a request on c (opening a connection first when needed). */
static int start_request(lstate *s, lconn *c, double now) {
    if (c->fd < 0) {
        c->fd = unix_connect(s->cfg->sock);
        if (c->fd < 0) {
            note_error(s, "connect failed");
            return -1;
        }
        struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
        epoll_ctl(s->ep, EPOLL_CTL_ADD, c->fd, &ev);
    }
    c->t0 = now;
    c->rlen = 0;
    c->busy = 1;
    ssize_t n = send(c->fd, s->req, s->req_len, MSG_NOSIGNAL);
    if (n != (ssize_t)s->req_len) { /* requests are small: all or nothing */
        note_error(s, "send failed");
        return -1;
    }
    if (!s->cfg->keepalive) shutdown(c->fd, SHUT_WR);
    return 0;
}

/* Parses a complete response in c->rbuf: 1 done (status set), 0 need more, -1 bad. */
static int response_complete(lconn *c, int eof, int *status) {
    char *end = memmem(c->rbuf, c->rlen, "\r\n\r\n", 4);
    if (!end) return eof ? -1 : 0;
    *end = '\0';
    int st = 0;
    if (sscanf(c->rbuf, "HTTP/1.1 %d", &st) != 1) return -1;
    const char *cl = strcasestr(c->rbuf, "\r\ncontent-length:");
    *end = '\r';
    if (!cl) return -1;
    size_t len = strtoul(cl + 17, NULL, 10);
    size_t have = c->rlen - (size_t)(end + 4 - c->rbuf);
    if (have < len) return eof ? -1 : 0;
    *status = st;
    return 1;
}

static void record(lstate *s, double us) {
    s->res->ok++;
    s->sum_us += us;
    if (us > s->res->max_us) s->res->max_us = us;
    if (us > 50000.0) s->res->slow_50ms++;
    if (!s->cfg->keep_latencies) return;
    if (s->nlat == s->cap_lat) {
        size_t nc = s->cap_lat ? 2 * s->cap_lat : 65536;
        float *nl = realloc(s->lat, nc * sizeof *nl);
        if (!nl) return;
        s->lat = nl;
        s->cap_lat = nc;
    }
    s->lat[s->nlat++] = (float)us;
}

/* Handles readable c. Returns 1 when its request finished (ok or failed). */
static int on_readable(lstate *s, lconn *c, double now) {
    int eof = 0;
    for (;;) {
        if (c->rcap - c->rlen < 65536) {
            size_t nc = c->rcap ? 2 * c->rcap : 131072;
            char *nb = realloc(c->rbuf, nc);
            if (!nb) return 0;
            c->rbuf = nb;
            c->rcap = nc;
        }
        ssize_t n = recv(c->fd, c->rbuf + c->rlen, c->rcap - c->rlen - 1, MSG_DONTWAIT);
        if (n > 0) {
            c->rlen += (size_t)n;
            int st;
            if (s->cfg->keepalive && c->busy && response_complete(c, 0, &st) == 1) break;
            continue;
        }
        if (n == 0) eof = 1;
        else if (errno != EAGAIN && errno != EWOULDBLOCK) eof = 2;
        break;
    }
    if (!c->busy) { /* unsolicited: the server closed an idle connection */
        conn_close(s, c);
        return 0;
    }
    int status = 0;
    int done = eof == 2 ? -1 : response_complete(c, eof, &status);
    if (done == 0) return 0;
    if (!s->cfg->keepalive && done == 1 && !eof) return 0; /* wait for the close */
    if (done == 1 && status == 200) {
        if (s->measuring) record(s, (now - c->t0) * 1e6);
    } else {
        if (s->measuring) s->res->failed++;
        char msg[64];
        snprintf(msg, sizeof msg, done == 1 ? "HTTP status %d" : "broken response (eof %d)",
                 done == 1 ? status : eof);
        note_error(s, msg);
        conn_close(s, c);
    }
    c->busy = 0;
    if (!s->cfg->keepalive || eof) conn_close(s, c);
    return 1;
}

static int cmp_float(const void *a, const void *b) {
    float x = *(const float *)a, y = *(const float *)b;
    return x < y ? -1 : x > y;
}

static double pct(const float *v, size_t n, double q) {
    if (!n) return 0;
    size_t i = (size_t)ceil(q * (double)n);
    if (i > 0) i--;
    if (i >= n) i = n - 1;
    return v[i];
}

int bench_load_run(const bench_load_cfg *cfg, bench_load_result *res) {
    lstate s;
    memset(&s, 0, sizeof s);
    memset(res, 0, sizeof *res);
    s.cfg = cfg;
    s.res = res;
    size_t blen = cfg->body ? strlen(cfg->body) : 0;
    s.req = malloc(512 + blen);
    s.ep = epoll_create1(EPOLL_CLOEXEC);
    s.c = calloc((size_t)cfg->clients, sizeof *s.c);
    if (!s.req || s.ep < 0 || !s.c) {
        snprintf(res->first_error, sizeof res->first_error, "out of memory");
        free(s.req);
        free(s.c);
        if (s.ep >= 0) close(s.ep);
        return -1;
    }
    s.req_len = (size_t)sprintf(s.req,
                                "POST %s HTTP/1.1\r\nHost: localhost\r\nContent-Type: "
                                "application/json\r\nContent-Length: %zu\r\n%s\r\n%s",
                                cfg->path, blen, cfg->keepalive ? "" : "Connection: close\r\n",
                                cfg->body ? cfg->body : "");
    double t_start = bench_now(), t_measure = t_start + cfg->warm_seconds;
    double t_end = t_measure + cfg->seconds, cpu0 = 0, cpu_self0 = 0, srv0 = 0;
    double period = cfg->rate > 0 ? (double)cfg->clients / cfg->rate : 0;
    for (int i = 0; i < cfg->clients; i++) {
        s.c[i].fd = -1;
        s.c[i].next_at = t_start + period * i / cfg->clients;
    }
    struct epoll_event evs[256];
    int rc = 0;
    double now = t_start, t_stop = 0;
    int stopping = 0;
    for (;;) {
        now = bench_now();
        if (!s.measuring && now >= t_measure) {
            s.measuring = 1;
            t_measure = now;
            cpu_self0 = bench_self_cpu();
            if (cfg->server_pid) srv0 = bench_proc_cpu(cfg->server_pid);
            cpu0 = now;
        }
        uint64_t done = res->ok + res->failed;
        if (s.measuring && !stopping &&
            (now >= t_end || (cfg->max_requests && done >= cfg->max_requests))) {
            stopping = 1; /* no new requests; the ones in flight are awaited and counted */
            t_stop = now;
        }
        if (stopping) {
            int busy = 0;
            for (int i = 0; i < cfg->clients; i++) busy |= s.c[i].busy;
            if (!busy || now - t_stop > REQ_TIMEOUT_SEC) break;
        }
        double next_wake = now + 0.05;
        for (int i = 0; i < cfg->clients; i++) {
            lconn *c = &s.c[i];
            if (c->busy) {
                if (now - c->t0 > REQ_TIMEOUT_SEC) {
                    if (s.measuring) res->failed++;
                    note_error(&s, "no response within 10 s");
                    conn_close(&s, c);
                }
                continue;
            }
            if (stopping) continue;
            if (period > 0 && now < c->next_at) {
                if (c->next_at < next_wake) next_wake = c->next_at;
                continue;
            }
            if (period > 0) c->next_at += period;
            if (start_request(&s, c, now) != 0) {
                if (s.measuring) res->failed++;
                conn_close(&s, c);
                if (res->failed > 1000 || (!s.measuring && now - t_start > 5)) {
                    rc = -1;
                    goto out;
                }
            }
        }
        /* Rate mode sleeps to the next send to the ns (a ms timeout would spin below 1 ms
         * and steal the server's CPU). */
        double wait = cfg->spin ? 0 : period > 0 ? next_wake - now : 0.05;
        if (wait < 0) wait = 0;
        struct timespec ts = {(time_t)wait, (long)((wait - (double)(time_t)wait) * 1e9)};
        int n = epoll_pwait2(s.ep, evs, 256, &ts, NULL);
        if (n < 0 && errno == ENOSYS) n = epoll_wait(s.ep, evs, 256, (int)(wait * 1000.0 + 0.999));
        now = bench_now();
        for (int i = 0; i < n; i++) on_readable(&s, evs[i].data.ptr, now);
    }
    res->wall_sec = now - cpu0;
    res->client_cpu_sec = bench_self_cpu() - cpu_self0;
    if (cfg->server_pid) res->server_cpu_sec = bench_proc_cpu(cfg->server_pid) - srv0;
    res->req_per_sec = res->wall_sec > 0 ? (double)res->ok / res->wall_sec : 0;
    res->mean_us = res->ok ? s.sum_us / (double)res->ok : 0;
    if (s.nlat) {
        qsort(s.lat, s.nlat, sizeof *s.lat, cmp_float);
        res->p50_us = pct(s.lat, s.nlat, 0.50);
        res->p99_us = pct(s.lat, s.nlat, 0.99);
        res->p999_us = pct(s.lat, s.nlat, 0.999);
    }
out:
    for (int i = 0; i < cfg->clients; i++) {
        conn_close(&s, &s.c[i]);
        free(s.c[i].rbuf);
    }
    free(s.c);
    free(s.req);
    free(s.lat);
    close(s.ep);
    return rc;
}

/* One request/response on a connected stream socket; the body or NULL. */
static char *exchange(int fd, const char *method, const char *path, const char *body,
                      int *status, size_t *body_len) {
    char head[512];
    size_t blen = body ? strlen(body) : 0;
    int hl = snprintf(head, sizeof head,
                      "%s %s HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                      "Content-Length: %zu\r\nConnection: close\r\n\r\n",
                      method, path, blen);
    if (send(fd, head, (size_t)hl, MSG_NOSIGNAL) != hl ||
        (blen && send(fd, body, blen, MSG_NOSIGNAL) != (ssize_t)blen))
        return NULL;
    size_t len = 0, cap = 65536;
    char *buf = malloc(cap);
    for (;;) {
        if (!buf) return NULL;
        if (cap - len < 4096) {
            char *nb = realloc(buf, cap *= 2);
            if (!nb) {
                free(buf);
                return NULL;
            }
            buf = nb;
        }
        ssize_t n = recv(fd, buf + len, cap - len - 1, 0);
        if (n <= 0) break;
        len += (size_t)n;
    }
    buf[len] = '\0';
    char *end = strstr(buf, "\r\n\r\n");
    if (!end || sscanf(buf, "HTTP/1.1 %d", status) != 1) {
        free(buf);
        return NULL;
    }
    size_t off = (size_t)(end + 4 - buf);
    memmove(buf, end + 4, len - off + 1);
    *body_len = len - off;
    return buf;
}

char *bench_request(const char *sock, const char *method, const char *path, const char *body,
                    int *status, size_t *body_len) {
    int fd = unix_connect(sock);
    if (fd < 0) return NULL;
    char *r = exchange(fd, method, path, body, status, body_len);
    close(fd);
    return r;
}

char *bench_request_tcp(int port, const char *path, int *status, size_t *body_len) {
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)port);
    sa.sin_addr.s_addr = htonl(0x7f000001);
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return NULL;
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
        close(fd);
        return NULL;
    }
    char *r = exchange(fd, "GET", path, NULL, status, body_len);
    close(fd);
    return r;
}
