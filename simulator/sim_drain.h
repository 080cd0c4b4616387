/* sim_drain.h — graceful shutdown: SIGTERM/SIGINT drain the simulator instead of cutting
 * connections.
 *
 * First signal: the socket files are removed and the listeners closed (new clients are
 * refused at once), idle keep-alive connections are closed, and every connection with a
 * request in flight — partly received, being handled, or its response still being sent —
 * is allowed to finish (answered with Connection: close). The event loop ends when no
 * connection is left, or after drain_timeout seconds (the rest are then cut, and said
 * so). A second signal ends it at once. Either way the exit status is 0.
 */
#ifndef SIM_DRAIN_H
#define SIM_DRAIN_H

#include <event2/event.h>

#include "sim_limits.h"
#include "sim_socket.h"
#include "sim_workers.h"

#define SIM_DRAIN_FILES 3 /* dstack, tappd and external sockets */

typedef struct {
    struct event_base *base;
    sim_workers *workers;
    sim_connlimit *limit;        /* counts every open connection */
    sim_sockfile *files[SIM_DRAIN_FILES]; /* removed when the drain starts */
    int timeout_sec;
    struct event *tick;          /* polls the open count while draining */
    double deadline;             /* CLOCK_MONOTONIC seconds */
    int started;
} sim_drain;

/* files: SIM_DRAIN_FILES socket files (an unused one is a sim_sockfile that holds none). */
void sim_drain_init(sim_drain *d, struct event_base *base, sim_workers *workers,
                    sim_connlimit *limit, sim_sockfile *const files[SIM_DRAIN_FILES],
                    int timeout_sec);
/* Call from the signal handler (worker 0's thread). */
void sim_drain_signal(sim_drain *d, const char *signame);
void sim_drain_free(sim_drain *d);

#endif
