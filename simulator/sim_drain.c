/* sim_drain.c — graceful shutdown (see sim_drain.h).
 */
#include "sim_drain.h"

#include <stdio.h>
#include <time.h>

static double mono(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void on_tick(evutil_socket_t fd, short what, void *arg) {
    sim_drain *d = arg;
    (void)fd;
    (void)what;
    int open = sim_connlimit_open(d->limit);
    if (open == 0) {
        event_base_loopbreak(d->base);
    } else if (mono() >= d->deadline) {
        fprintf(stderr, "dstack-simulator: drain timeout (%d s): closing %d connection%s still "
                        "open\n", d->timeout_sec, open, open == 1 ? "" : "s");
        event_base_loopbreak(d->base);
    }
}

void sim_drain_init(sim_drain *d, struct event_base *base, sim_workers *workers,
                    sim_connlimit *limit, sim_sockfile *const files[SIM_DRAIN_FILES],
                    int timeout_sec) {
    d->base = base;
    d->workers = workers;
    d->limit = limit;
    for (int i = 0; i < SIM_DRAIN_FILES; i++) d->files[i] = files[i];
    d->timeout_sec = timeout_sec;
    d->tick = NULL;
    d->deadline = 0;
    d->started = 0;
}

void sim_drain_signal(sim_drain *d, const char *signame) {
    if (d->started) {
        fprintf(stderr, "dstack-simulator: %s again, stopping now\n", signame);
        event_base_loopbreak(d->base);
        return;
    }
    d->started = 1;
    int open = sim_connlimit_open(d->limit);
    fprintf(stderr, "dstack-simulator: %s, shutting down (draining %d connection%s)\n", signame,
            open, open == 1 ? "" : "s");
    for (int i = 0; i < SIM_DRAIN_FILES; i++) sim_sockfile_remove(d->files[i]);
    sim_workers_drain(d->workers);
    d->deadline = mono() + d->timeout_sec;
    struct timeval tv = {0, 20000};
    d->tick = event_new(d->base, -1, EV_PERSIST, on_tick, d);
    if (!d->tick || event_add(d->tick, &tv) != 0) event_base_loopbreak(d->base);
    else on_tick(-1, 0, d);
}

void sim_drain_free(sim_drain *d) {
    if (d->tick) event_free(d->tick);
    d->tick = NULL;
}
