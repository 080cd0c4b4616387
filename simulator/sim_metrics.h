/* sim_metrics.h — request statistics: counts, latency histograms and errors by kind, per
 * method, exported as Prometheus text on GET /metrics (TCP listener) and printed as a
 * summary table when the simulator shuts down.
 *
 * Each worker thread writes only its own shard (single writer: relaxed atomic load +
 * store, no locked instructions on the hot path); readers sum the shards with relaxed
 * atomic loads, so a scrape never blocks a worker and is race-free (TSan-clean).
 */
#ifndef SIM_METRICS_H
#define SIM_METRICS_H

#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>

#include "ds_json.h"

/* What a request was for. The router reports one of these for each request it answers. */
typedef enum {
    SIM_MX_GET_KEY, SIM_MX_GET_QUOTE, SIM_MX_ATTEST, SIM_MX_INFO, SIM_MX_EMIT_EVENT,
    SIM_MX_GET_TLS_KEY, SIM_MX_SIGN, SIM_MX_VERIFY, SIM_MX_VERSION, SIM_MX_GET_META,
    SIM_MX_DERIVE_KEY, SIM_MX_DERIVE_K256_KEY, SIM_MX_TDX_QUOTE, SIM_MX_RAW_QUOTE,
    SIM_MX_V1_GET_KEY, SIM_MX_V1_ATTEST, SIM_MX_V1_ATTEST_GPU, SIM_MX_V1_INFO,
    SIM_MX_V1_VERSION, SIM_MX_V1_ISSUE_CERT,
    SIM_MX_WORKER_INFO, SIM_MX_WORKER_VERSION, SIM_MX_WORKER_ATTEST_APP_KEY,
    SIM_MX_WORKER_V1_INFO, SIM_MX_WORKER_V1_VERSION, SIM_MX_WORKER_V1_HEALTH,
    SIM_MX_PKI,     /* PCS collateral and /sim/pki/… */
    SIM_MX_METRICS, /* GET /metrics */
    SIM_MX_DASHBOARD, /* GET / and /sim/dashboard.json (sim_dashboard.h) */
    SIM_MX_UNKNOWN, /* no such method */
    SIM_MX_COUNT
} sim_mx_method;

/* Errors by kind. */
typedef enum {
    SIM_ERR_BAD_REQUEST,        /* 400 from a method: bad arguments, bad JSON */
    SIM_ERR_NOT_FOUND,          /* unknown method or path */
    SIM_ERR_METHOD_NOT_ALLOWED, /* 405 */
    SIM_ERR_TOO_LARGE,          /* 413 body, 431 header */
    SIM_ERR_PROTOCOL,           /* malformed HTTP (400/411 before any handler) */
    SIM_ERR_INTERNAL,           /* 5xx */
    SIM_ERR_TIMEOUT,            /* idle / slow-client timeout (408 or a silent close) */
    SIM_ERR_OVERLOADED,         /* 503: refused at the connection limit */
    SIM_ERR_COUNT
} sim_err_kind;

#define SIM_LAT_BUCKETS 15 /* the last one is +Inf */

typedef struct {
    _Atomic uint64_t count[SIM_MX_COUNT];
    _Atomic uint64_t failed[SIM_MX_COUNT];       /* non-2xx */
    _Atomic uint64_t sum_ns[SIM_MX_COUNT];
    _Atomic uint64_t max_ns[SIM_MX_COUNT];
    _Atomic uint64_t bucket[SIM_MX_COUNT][SIM_LAT_BUCKETS];
    _Atomic uint64_t errors[SIM_ERR_COUNT];
    char pad[64];                                /* keep shards off each other's lines */
} sim_metrics_shard;

typedef struct sim_metrics {
    int nshards;
    sim_metrics_shard *shards;
    uint64_t start_ns;           /* CLOCK_MONOTONIC at creation */
} sim_metrics;

/* One shard per worker. Returns 0 or -1. */
int sim_metrics_init(sim_metrics *m, int nshards);
void sim_metrics_free(sim_metrics *m);

const char *sim_mx_name(sim_mx_method m);

/* Records one response on a shard (the sim_http_observer of its worker's server; arg is
 * the shard). */
void sim_metrics_observe(void *shard, int method, int status, uint64_t ns);

/* Appends the Prometheus text exposition (format 0.0.4). log_events: the event log
 * size, exported as a gauge; agent_version: the --agent-version played, exported as the
 * label of dstack_sim_info. */
void sim_metrics_prometheus(const sim_metrics *m, size_t log_events, const char *agent_version,
                            ds_buf *out);
/* The shutdown summary: one line per method that served requests. */
void sim_metrics_summary(const sim_metrics *m, FILE *f);

#endif
