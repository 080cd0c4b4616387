/* sim_workers.h — worker threads: N HTTP servers, each on its own event_base and thread,
 * sharing nothing mutable but sim_state (whose event log and caches are locked).
 *
 * Worker 0 runs on the caller's (main) event_base and owns the listening sockets. It
 * accepts every connection and deals them round-robin over all workers (itself
 * included): a connection for worker i is written as one small message to worker i's
 * pipe, and from then on lives and dies on worker i's thread. Each worker keeps its own
 * connection list and count (sim_server), and its own metrics shard. Nothing but the pipe
 * crosses threads, so libevent needs no locking. Shutdown: a stop message down each pipe,
 * then join.
 */
#ifndef SIM_WORKERS_H
#define SIM_WORKERS_H

#include <pthread.h>

#include <event2/event.h>

#include "sim_http.h"
#include "sim_metrics.h"

#define SIM_MAX_WORKERS 64

typedef struct {
    int index;
    struct event_base *base;   /* worker 0: the caller's; others: their own */
    sim_server *srv;
    pthread_t thread;
    int running;
    int pipe_rd, pipe_wr;      /* hand-off of accepted connections (-1 for worker 0) */
    struct event *pipe_ev;
} sim_worker;

typedef struct {
    int n;
    sim_worker w[SIM_MAX_WORKERS];
    unsigned next;             /* round-robin cursor (worker 0's thread only) */
} sim_workers;

/* The default worker count: the CPUs this process may run on (1 … 8). */
int sim_workers_default(void);

/* Creates n workers (1 … SIM_MAX_WORKERS) and starts threads 1 … n-1. Worker i records
 * into metrics->shards[i] (metrics may be NULL). Returns 0, or -1 with a message. */
int sim_workers_start(sim_workers *ws, int n, struct event_base *main_base,
                      const sim_http_limits *lim, sim_metrics *metrics, char *err, size_t errcap);
/* Worker 0's server: add the listeners here. */
sim_server *sim_workers_acceptor(sim_workers *ws);
/* Shares one connection limit between every worker's server (sim_limits.h). */
void sim_workers_set_conn_limit(sim_workers *ws, sim_connlimit *limit);
/* Graceful shutdown, from worker 0's thread: sim_server_drain on every worker (on its own
 * thread, through its pipe). The limit's open count falls to 0 when all have finished. */
void sim_workers_drain(sim_workers *ws);
/* Stops and joins threads 1 … n-1 and frees every server (closing their connections). */
void sim_workers_stop(sim_workers *ws);

#endif
