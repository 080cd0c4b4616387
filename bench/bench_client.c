/* bench_client.c — the load generator: one thread, epoll, N connections to the real Unix
 * socket.
 *
 *   keep-alive       each client keeps one connection and sends its next request the
 *                    moment the previous response is complete (closed loop), or at its
 *                    next slot when an offered rate is given (rate / clients per client)
 *   per request      each request on a fresh connection, the JS SDK's way: connect, send
 *                    with "Connection: close", shut the write side, read to EOF
 * Latency: from the first byte sent (or the connect) to the last byte of the response.
 * A request fails on a non-200 status, a reset, or no response within 10 s. The server's
 * CPU (utime + stime from /proc) is sampled at both ends of the measured window.
 *
 * A body may contain "%N": every request writes a 16-hex-digit counter there, in place in
 * the prebuilt request (fixed width, so Content-Length never changes). The counter starts
 * at the monotonic clock in ns, so runs in one process never repeat a value.
 *
 * Cheap on purpose, since it shares the machine with the server: the next request goes
 * out the moment a response is whole; a response is parsed as it streams through one
 * shared receive buffer (status and Content-Length from the head, then the body is only
 * counted); one recv per readiness event (a one-shot connection's close is read from
 * EPOLLRDHUP, not from another recv); no per-request allocation; timeouts are scanned on
 * a 10 ms timerfd tick, so epoll sleeps without a timeout unless a client is due; idle
 * clients wait in a heap by due time instead of being scanned.
 */
#define _GNU_SOURCE /* memmem */
#include "bench.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "ds_unix.h"

#define REQ_TIMEOUT_SEC 10.0
#define TIMEOUT_SCAN_SEC 0.010
#define RETRY_SEC 0.001  /* a client whose connect or send failed tries again after this */
#define HEAD_MAX 1024    /* a response head split across reads is kept up to this size */
#define RBUF_SIZE 262144 /* the receive buffer shared by every connection */
#define MAX_TOKENS 8     /* "%N" occurrences in a body */

/* A connection's request: none, reading the head, reading the body, response whole (one
 * connection per request: until the close). */
enum { ST_IDLE, ST_HEAD, ST_BODY, ST_WHOLE };

typedef struct {
    int fd;
    int state;       /* ST_IDLE: no request in flight */
    int status;      /* of the response being read */
    int close_after; /* the response said "Connection: close" */
    size_t body_left;
    size_t hlen;    /* head bytes kept in head[] (only when a head spans reads) */
    double t0;      /* request start */
    double next_at; /* when it may send next (rate mode, retries) */
    int heap_at;    /* index in the wait heap, -1 when not waiting */
    char head[HEAD_MAX];
} lconn;

typedef struct {
    const bench_load_cfg *cfg;
    bench_load_result *res;
    int ep;
    lconn *c;
    lconn **heap; /* idle clients by next_at (min-heap) */
    int nheap;
    int inflight;
    char *req;
    size_t req_len;
    size_t tok[MAX_TOKENS]; /* offsets of the counter's 16 digits in req */
    int ntok;
    uint64_t seq;
    char *rbuf;
    double period; /* rate mode: seconds between one client's requests (0: closed) */
    double t_start, t_measure, t_end, t_stop, cpu_self0, srv0;
    int measuring, stopping, abort;
    float *lat; /* µs */
    size_t nlat, cap_lat;
    double sum_us;
} lstate;

static void note_error(lstate *s, const char *what) {
    if (!s->res->first_error[0])
        snprintf(s->res->first_error, sizeof s->res->first_error, "%s", what);
}

/* ---- the wait heap ---- */

static void heap_swap(lstate *s, int i, int j) {
    lconn *t = s->heap[i];
    s->heap[i] = s->heap[j];
    s->heap[j] = t;
    s->heap[i]->heap_at = i;
    s->heap[j]->heap_at = j;
}

static void heap_push(lstate *s, lconn *c, double at) {
    if (c->heap_at >= 0) return; /* already waiting */
    int i = s->nheap++;
    c->next_at = at;
    c->heap_at = i;
    s->heap[i] = c;
    while (i > 0 && s->heap[(i - 1) / 2]->next_at > s->heap[i]->next_at) {
        heap_swap(s, i, (i - 1) / 2);
        i = (i - 1) / 2;
    }
}

static lconn *heap_pop(lstate *s) {
    lconn *top = s->heap[0];
    heap_swap(s, 0, --s->nheap);
    top->heap_at = -1;
    for (int i = 0;;) {
        int l = 2 * i + 1, m = i;
        if (l < s->nheap && s->heap[l]->next_at < s->heap[m]->next_at) m = l;
        if (l + 1 < s->nheap && s->heap[l + 1]->next_at < s->heap[m]->next_at) m = l + 1;
        if (m == i) break;
        heap_swap(s, i, m);
        i = m;
    }
    return top;
}

/* ---- the measured window ---- */

/* Opens the window at the first moment past the warm-up, closes it (no new requests)
 * at its end or after max_requests. */
static void tick(lstate *s, double now) {
    if (!s->measuring && now >= s->t_measure) {
        s->measuring = 1;
        s->t_measure = now;
        s->cpu_self0 = bench_self_cpu();
        if (s->cfg->server_pid) s->srv0 = bench_proc_cpu(s->cfg->server_pid);
    }
    uint64_t done = s->res->ok + s->res->failed;
    if (s->measuring && !s->stopping &&
        (now >= s->t_end || (s->cfg->max_requests && done >= s->cfg->max_requests))) {
        s->stopping = 1; /* the requests in flight are awaited and counted */
        s->t_stop = now;
    }
}

static void record(lstate *s, double us) {
    s->res->ok++;
    s->sum_us += us;
    if (us > s->res->max_us) s->res->max_us = us;
    if (us > 50000.0) s->res->slow_50ms++;
    if (!s->cfg->keep_latencies) return;
    if (s->nlat == s->cap_lat) {
        size_t nc = s->cap_lat ? 2 * s->cap_lat : 262144;
        float *nl = realloc(s->lat, nc * sizeof *nl);
        if (!nl) return;
        s->lat = nl;
        s->cap_lat = nc;
    }
    s->lat[s->nlat++] = (float)us;
}

static void fail(lstate *s, const char *why) {
    if (s->measuring) s->res->failed++;
    note_error(s, why);
}

/* ---- one request ---- */

static void conn_close(lstate *s, lconn *c) {
    if (c->fd >= 0) close(c->fd); /* also leaves the epoll set: fds are never duplicated */
    c->fd = -1;
    if (c->state != ST_IDLE) s->inflight--;
    c->state = ST_IDLE;
}

/* The server cannot be reached: give up after 1000 failures, or 5 s into the warm-up. */
static void start_failed(lstate *s, double now) {
    if (s->res->failed > 1000 || (!s->measuring && now - s->t_start > 5)) s->abort = 1;
}

static void put_counter(lstate *s) {
    static const char HEX[] = "0123456789abcdef";
    char d[16];
    uint64_t v = s->seq++;
    for (int i = 15; i >= 0; i--, v >>= 4)
        d[i] = HEX[v & 15];
    for (int i = 0; i < s->ntok; i++)
        memcpy(s->req + s->tok[i], d, 16);
}

/* Starts a request on c (opening a connection first when needed). 0, or -1 after a
 * failure (counted; c closed). */
static int start_request(lstate *s, lconn *c, double now) {
    c->t0 = now;
    if (c->fd < 0) {
        c->fd = ds_unix_connect(s->cfg->sock);
        if (c->fd < 0) {
            fail(s, "connect failed");
            start_failed(s, now);
            return -1;
        }
        struct epoll_event ev = {.events = EPOLLIN | EPOLLRDHUP, .data.ptr = c};
        epoll_ctl(s->ep, EPOLL_CTL_ADD, c->fd, &ev);
    }
    if (s->ntok) put_counter(s);
    c->state = ST_HEAD;
    c->hlen = 0;
    s->inflight++;
    ssize_t n = send(c->fd, s->req, s->req_len, MSG_NOSIGNAL);
    if (n != (ssize_t)s->req_len) { /* requests are small: all or nothing */
        conn_close(s, c);
        fail(s, "send failed");
        start_failed(s, now);
        return -1;
    }
    if (!s->cfg->keepalive) shutdown(c->fd, SHUT_WR);
    return 0;
}

/* The next request of an idle client: now in the closed loop, at its slot with a rate. */
static void schedule(lstate *s, lconn *c, double now) {
    if (s->stopping || s->abort) return;
    if (s->period > 0) {
        if (now < c->next_at) {
            heap_push(s, c, c->next_at);
            return;
        }
        c->next_at += s->period; /* late (or on time): send now, keep the client's phase */
    }
    if (start_request(s, c, now) != 0) heap_push(s, c, now + RETRY_SEC);
}

/* The status and Content-Length of a complete head (h .. h+n, ending in CRLF CRLF).
 * 0, or -1 when it is not an HTTP/1.x response with a Content-Length. */
static int parse_head(lconn *c, const char *h, size_t n) {
    if (n < 12 || memcmp(h, "HTTP/1.", 7) || h[8] != ' ') return -1;
    for (int i = 9; i < 12; i++)
        if (h[i] < '0' || h[i] > '9') return -1;
    c->status = (h[9] - '0') * 100 + (h[10] - '0') * 10 + (h[11] - '0');
    c->close_after = 0;
    int have_len = 0;
    const char *end = h + n - 2, *p = memchr(h, '\n', n);
    while (p && ++p < end) {
        const char *eol = memchr(p, '\n', (size_t)(end - p));
        if (!eol) break;
        size_t ll = (size_t)(eol - p);
        if (ll > 15 && !strncasecmp(p, "content-length:", 15)) {
            char *e;
            c->body_left = strtoul(p + 15, &e, 10);
            have_len = e > p + 15;
        } else if (ll > 11 && !strncasecmp(p, "connection:", 11)) {
            c->close_after = memmem(p, ll, "close", 5) != NULL;
        }
        p = eol;
    }
    return have_len ? 0 : -1;
}

/* Feeds n received bytes to c's response. 1 complete, 0 need more, -1 malformed. */
static int feed(lconn *c, const char *d, size_t n) {
    if (c->state == ST_HEAD) {
        const char *e;
        size_t used;
        if (c->hlen == 0 && (e = memmem(d, n, "\r\n\r\n", 4))) { /* the usual case */
            used = (size_t)(e + 4 - d);
            if (parse_head(c, d, used) != 0) return -1;
        } else {
            size_t old = c->hlen, take = n < HEAD_MAX - old ? n : HEAD_MAX - old;
            memcpy(c->head + old, d, take);
            c->hlen += take;
            size_t from = old > 3 ? old - 3 : 0;
            e = memmem(c->head + from, c->hlen - from, "\r\n\r\n", 4);
            if (!e) return c->hlen == HEAD_MAX ? -1 : 0;
            size_t hl = (size_t)(e + 4 - c->head);
            if (parse_head(c, c->head, hl) != 0) return -1;
            used = hl - old;
        }
        c->state = ST_BODY;
        d += used;
        n -= used;
    }
    if (c->state == ST_BODY) {
        if (n > c->body_left) return -1; /* more than was announced */
        c->body_left -= n;
        if (c->body_left == 0) c->state = ST_WHOLE;
        return c->state == ST_WHOLE;
    }
    return n ? -1 : 1; /* ST_WHOLE: only the close may follow */
}

/* Handles readable c (events: what epoll reported): one recv, more only while the buffer
 * fills up. */
static void on_readable(lstate *s, lconn *c, uint32_t events) {
    ssize_t n;
    int done = 0; /* feed(): 1 whole, 0 need more, -1 malformed */
    for (;;) {
        n = recv(c->fd, s->rbuf, RBUF_SIZE, MSG_DONTWAIT);
        if (n <= 0) break;
        if (c->state == ST_IDLE) { /* bytes nobody asked for */
            done = -1;
            break;
        }
        done = feed(c, s->rbuf, (size_t)n);
        if (done != 0 || n < RBUF_SIZE) break;
    }
    int eof = n == 0, err = n < 0 && errno != EAGAIN && errno != EWOULDBLOCK;
    double now = bench_now();
    tick(s, now);
    if (c->state == ST_IDLE) { /* e.g. the server closed an idle connection */
        if (eof || err || done < 0) conn_close(s, c);
        return;
    }
    int whole = 0; /* 1 the request completed, -1 it failed */
    if (done < 0)
        whole = -1;
    else if (c->state == ST_WHOLE && s->cfg->keepalive)
        whole = 1;
    else if (c->state == ST_WHOLE) { /* one connection per request: complete at the close */
        if (done == 1 && (events & (EPOLLRDHUP | EPOLLHUP)) && n < RBUF_SIZE) {
            eof = 1; /* the close came with it, and everything before it has been read */
        } else if (done == 1) {
            char b;
            n = recv(c->fd, &b, 1, MSG_DONTWAIT);
            eof = n == 0;
            err = n < 0 && errno != EAGAIN && errno != EWOULDBLOCK;
            if (n > 0) whole = -1;
        }
        if (!whole) whole = eof ? 1 : err ? -1 : 0;
        if (!whole) return; /* wait for the close */
    } else if (eof || err)
        whole = -1;
    else
        return; /* need more */
    if (whole == 1 && c->status == 200) {
        if (s->measuring) record(s, (now - c->t0) * 1e6);
        if (!s->cfg->keepalive || c->close_after)
            conn_close(s, c);
        else {
            c->state = ST_IDLE;
            s->inflight--;
        }
    } else {
        char msg[64];
        if (whole == 1)
            snprintf(msg, sizeof msg, "HTTP status %d", c->status);
        else
            snprintf(msg, sizeof msg, "broken response (%s)",
                     err   ? "reset"
                     : eof ? "early eof"
                           : "malformed");
        fail(s, msg);
        conn_close(s, c);
    }
    schedule(s, c, now);
}

/* Requests older than 10 s fail (scanned every TIMEOUT_SCAN_SEC, not per iteration). */
static void scan_timeouts(lstate *s, double now) {
    for (int i = 0; i < s->cfg->clients; i++) {
        lconn *c = &s->c[i];
        if (c->state == ST_IDLE || now - c->t0 <= REQ_TIMEOUT_SEC) continue;
        fail(s, "no response within 10 s");
        conn_close(s, c);
        schedule(s, c, now);
    }
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

/* The request with its body; "%N" becomes 16 digits whose offsets go to s->tok. */
static int build_request(lstate *s) {
    const bench_load_cfg *cfg = s->cfg;
    const char *body = cfg->body ? cfg->body : "";
    size_t blen = strlen(body), ntok = 0;
    for (const char *p = body; (p = strstr(p, "%N")) && ntok < MAX_TOKENS; p += 2)
        ntok++;
    size_t cl = blen + ntok * 14, cap = strlen(cfg->path) + cl + 256;
    s->req = malloc(cap);
    if (!s->req) return -1;
    int hl = snprintf(s->req, cap,
                      "POST %s HTTP/1.1\r\nHost: localhost\r\nContent-Type: "
                      "application/json\r\nContent-Length: %zu\r\n%s\r\n",
                      cfg->path, cl, cfg->keepalive ? "" : "Connection: close\r\n");
    char *w = s->req + hl;
    for (const char *p = body; *p;) {
        const char *t = s->ntok < (int)ntok ? strstr(p, "%N") : NULL;
        size_t lit = t ? (size_t)(t - p) : strlen(p);
        memcpy(w, p, lit);
        w += lit;
        p += lit;
        if (!t) break;
        s->tok[s->ntok++] = (size_t)(w - s->req);
        memset(w, '0', 16);
        w += 16;
        p += 2;
    }
    s->req_len = (size_t)(w - s->req);
    s->seq = (uint64_t)llround(bench_now() * 1e9);
    return 0;
}

static void free_state(lstate *s) {
    for (int i = 0; s->c && i < s->cfg->clients; i++)
        conn_close(s, &s->c[i]);
    free(s->c);
    free(s->heap);
    free(s->req);
    free(s->rbuf);
    free(s->lat);
    if (s->ep >= 0) close(s->ep);
}

int bench_load_run(const bench_load_cfg *cfg, bench_load_result *res) {
    lstate s;
    memset(&s, 0, sizeof s);
    memset(res, 0, sizeof *res);
    s.cfg = cfg;
    s.res = res;
    s.ep = epoll_create1(EPOLL_CLOEXEC);
    s.c = calloc((size_t)cfg->clients, sizeof *s.c);
    s.heap = calloc((size_t)cfg->clients, sizeof *s.heap);
    s.rbuf = malloc(RBUF_SIZE);
    if (s.ep < 0 || !s.c || !s.heap || !s.rbuf || build_request(&s) != 0) {
        snprintf(res->first_error, sizeof res->first_error, "out of memory");
        free_state(&s);
        return -1;
    }
    double t_start = bench_now(), now = t_start, next_scan = t_start + TIMEOUT_SCAN_SEC;
    s.t_start = t_start;
    s.t_measure = t_start + cfg->warm_seconds;
    s.t_end = s.t_measure + cfg->seconds;
    s.period = cfg->rate > 0 ? (double)cfg->clients / cfg->rate : 0;
    for (int i = 0; i < cfg->clients; i++) {
        s.c[i].fd = -1;
        s.c[i].heap_at = -1;
        s.c[i].next_at = t_start + s.period * i / cfg->clients;
    }
    for (int i = 0; i < cfg->clients; i++)
        schedule(&s, &s.c[i], t_start);
    struct epoll_event evs[256];
    int rc = 0, tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    if (tfd >= 0) {
        long ns = (long)(TIMEOUT_SCAN_SEC * 1e9);
        struct itimerspec its = {{0, ns}, {0, ns}};
        struct epoll_event ev = {.events = EPOLLIN, .data.ptr = NULL};
        if (timerfd_settime(tfd, 0, &its, NULL) != 0 || epoll_ctl(s.ep, EPOLL_CTL_ADD, tfd, &ev)) {
            close(tfd);
            tfd = -1;
        }
    }
    for (;;) {
        now = bench_now();
        tick(&s, now);
        if (s.abort) break;
        if (s.stopping && (s.inflight == 0 || now - s.t_stop > REQ_TIMEOUT_SEC)) break;
        if (now >= next_scan) {
            scan_timeouts(&s, now);
            next_scan = now + TIMEOUT_SCAN_SEC;
        }
        while (s.nheap && s.heap[0]->next_at <= now && !s.stopping && !s.abort) {
            lconn *c = heap_pop(&s);
            schedule(&s, c, now);
        }
        if (s.abort) break;
        /* Sleep until a response, the 10 ms tick (timeouts; the window's edges when no
         * response comes) or the next due client. Without a due client there is no timeout
         * at all: arming a timer for every sleep is a visible part of the client's cost in
         * a VM. Due clients are waited for to the ns (a ms timeout would spin below 1 ms
         * and steal the server's CPU). */
        int n;
        if (cfg->spin || tfd < 0 || (s.nheap && !s.stopping)) {
            double wake = tfd < 0 ? next_scan : now + 1;
            if (s.nheap && !s.stopping && s.heap[0]->next_at < wake) wake = s.heap[0]->next_at;
            if (tfd < 0 && !s.measuring && s.t_measure < wake) wake = s.t_measure;
            if (tfd < 0 && !s.stopping && s.t_end < wake) wake = s.t_end;
            double wait = cfg->spin ? 0 : wake - now;
            if (wait < 0) wait = 0;
            struct timespec ts = {(time_t)wait, (long)((wait - (double)(time_t)wait) * 1e9)};
            n = epoll_pwait2(s.ep, evs, 256, &ts, NULL);
            if (n < 0 && errno == ENOSYS)
                n = epoll_wait(s.ep, evs, 256, (int)(wait * 1000.0 + 0.999));
        } else {
            n = epoll_wait(s.ep, evs, 256, -1);
        }
        for (int i = 0; i < n; i++) {
            lconn *c = evs[i].data.ptr;
            uint64_t ticks;
            if (!c) {
                if (read(tfd, &ticks, sizeof ticks) < 0) continue; /* the 10 ms tick */
            } else if (c->fd >= 0) {
                on_readable(&s, c, evs[i].events);
            }
        }
    }
    if (tfd >= 0) close(tfd);
    if (s.abort) rc = -1;
    if (s.measuring) {
        res->wall_sec = now - s.t_measure;
        res->client_cpu_sec = bench_self_cpu() - s.cpu_self0;
        if (cfg->server_pid) res->server_cpu_sec = bench_proc_cpu(cfg->server_pid) - s.srv0;
    }
    res->req_per_sec = res->wall_sec > 0 ? (double)res->ok / res->wall_sec : 0;
    res->mean_us = res->ok ? s.sum_us / (double)res->ok : 0;
    if (s.nlat) {
        qsort(s.lat, s.nlat, sizeof *s.lat, cmp_float);
        res->p50_us = pct(s.lat, s.nlat, 0.50);
        res->p99_us = pct(s.lat, s.nlat, 0.99);
        res->p999_us = pct(s.lat, s.nlat, 0.999);
    }
    free_state(&s);
    return rc;
}
