/* sim_workers.c — worker threads and the round-robin hand-off (see sim_workers.h).
 */
#define _GNU_SOURCE /* pipe2, sched_getaffinity */
#include "sim_workers.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define DRAIN_FD (-2)

/* One accepted connection (fd ≥ 0), the stop message (fd = -1) or drain (DRAIN_FD). Well under PIPE_BUF,
 * so every write is atomic and every read returns whole messages. */
typedef struct {
    int fd;
    sim_http_handler handler;
    void *ctx;
} handoff;

int sim_workers_default(void) {
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) > 0) n = CPU_COUNT(&set);
    if (n < 1) n = 1;
    if (n > 64) n = 64; /* --workers' own limit; throughput scales past 8 (12 measured) */
    return (int)n;
}

static void on_handoff(evutil_socket_t fd, short what, void *arg) {
    sim_worker *w = arg;
    handoff msgs[64];
    (void)what;
    for (;;) {
        ssize_t r = read(fd, msgs, sizeof msgs);
        if (r <= 0) return; /* EAGAIN: drained */
        for (size_t i = 0; i < (size_t)r / sizeof msgs[0]; i++) {
            if (msgs[i].fd == DRAIN_FD) {
                sim_server_drain(w->srv);
                continue;
            }
            if (msgs[i].fd < 0) {
                event_base_loopbreak(w->base);
                continue;
            }
            sim_server_adopt(w->srv, msgs[i].fd, msgs[i].handler, msgs[i].ctx);
        }
    }
}

static int hand_off(void *arg, int fd, sim_http_handler handler, void *ctx) {
    sim_workers *ws = arg;
    unsigned i = ws->next++ % (unsigned)ws->n;
    if (i == 0) return -1; /* ours */
    handoff m;
    memset(&m, 0, sizeof m); /* padding too: the whole struct goes down the pipe (memcheck) */
    m.fd = fd;
    m.handler = handler;
    m.ctx = ctx;
    if (write(ws->w[i].pipe_wr, &m, sizeof m) == (ssize_t)sizeof m) return 0;
    return -1; /* pipe full (a stalled worker): serve it here */
}

static void *worker_main(void *arg) {
    sim_worker *w = arg;
    event_base_dispatch(w->base);
    return NULL;
}

int sim_workers_start(sim_workers *ws, int n, struct event_base *main_base,
                      const sim_http_limits *lim, sim_metrics *metrics, char *err, size_t errcap) {
    memset(ws, 0, sizeof(*ws));
    if (n < 1 || n > SIM_MAX_WORKERS) {
        snprintf(err, errcap, "--workers: expected 1 … %d", SIM_MAX_WORKERS);
        return -1;
    }
    ws->n = n;
    for (int i = 0; i < n; i++) ws->w[i].pipe_rd = ws->w[i].pipe_wr = -1;
    for (int i = 0; i < n; i++) {
        sim_worker *w = &ws->w[i];
        w->index = i;
        if (i == 0) {
            w->base = main_base;
        } else {
            struct event_config *ec = event_config_new();
            if (ec) event_config_set_flag(ec, EVENT_BASE_FLAG_NOLOCK);
            w->base = ec ? event_base_new_with_config(ec) : NULL;
            if (ec) event_config_free(ec);
            int p[2];
            if (!w->base || pipe2(p, O_NONBLOCK | O_CLOEXEC) != 0) goto fail;
            w->pipe_rd = p[0];
            w->pipe_wr = p[1];
            w->pipe_ev = event_new(w->base, w->pipe_rd, EV_READ | EV_PERSIST, on_handoff, w);
            if (!w->pipe_ev || event_add(w->pipe_ev, NULL) != 0) goto fail;
        }
        w->srv = sim_server_new(w->base, lim);
        if (!w->srv) goto fail;
        sim_server_set_worker(w->srv, i);
        if (metrics) sim_server_set_observer(w->srv, sim_metrics_observe, &metrics->shards[i]);
    }
    if (n > 1) sim_server_set_acceptor(ws->w[0].srv, hand_off, ws);
    for (int i = 1; i < n; i++) {
        if (pthread_create(&ws->w[i].thread, NULL, worker_main, &ws->w[i]) != 0) goto fail;
        ws->w[i].running = 1;
    }
    return 0;
fail:
    snprintf(err, errcap, "cannot start %d worker threads: %s", n, strerror(errno));
    sim_workers_stop(ws);
    return -1;
}

sim_server *sim_workers_acceptor(sim_workers *ws) {
    return ws->w[0].srv;
}

void sim_workers_set_conn_limit(sim_workers *ws, sim_connlimit *limit) {
    for (int i = 0; i < ws->n; i++) sim_server_set_conn_limit(ws->w[i].srv, limit);
}

void sim_workers_drain(sim_workers *ws) {
    sim_server_drain(ws->w[0].srv); /* first: closes the listeners, so no hand-off follows */
    for (int i = 1; i < ws->n; i++) {
        handoff m;
        memset(&m, 0, sizeof m);
        m.fd = DRAIN_FD;
        while (ws->w[i].running && write(ws->w[i].pipe_wr, &m, sizeof m) < 0 && errno == EAGAIN)
            sched_yield();
    }
}

void sim_workers_stop(sim_workers *ws) {
    /* Listeners first: no hand-off after this. */
    if (ws->w[0].srv) sim_server_set_acceptor(ws->w[0].srv, NULL, NULL);
    for (int i = 1; i < ws->n; i++) {
        sim_worker *w = &ws->w[i];
        if (!w->running) continue;
        handoff stop;
        memset(&stop, 0, sizeof stop);
        stop.fd = -1;
        while (write(w->pipe_wr, &stop, sizeof stop) < 0 && errno == EAGAIN) sched_yield();
        pthread_join(w->thread, NULL);
        w->running = 0;
    }
    for (int i = ws->n - 1; i >= 0; i--) {
        sim_worker *w = &ws->w[i];
        sim_server_free(w->srv);
        w->srv = NULL;
        if (w->pipe_ev) event_free(w->pipe_ev);
        w->pipe_ev = NULL;
        if (w->pipe_rd >= 0) { /* connections handed off but never adopted */
            handoff msgs[64];
            ssize_t r;
            while ((r = read(w->pipe_rd, msgs, sizeof msgs)) > 0)
                for (size_t k = 0; k < (size_t)r / sizeof msgs[0]; k++)
                    if (msgs[k].fd >= 0) close(msgs[k].fd);
            close(w->pipe_rd);
        }
        if (w->pipe_wr >= 0) close(w->pipe_wr);
        w->pipe_rd = w->pipe_wr = -1;
        if (i > 0 && w->base) event_base_free(w->base);
        w->base = NULL;
    }
    ws->n = 0;
}
