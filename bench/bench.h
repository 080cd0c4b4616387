/* bench.h — dstack-bench: the simulator measured against the cost of its own cryptography.
 *
 *   bench_inproc.c   in-process bounds: the work each method must do, single-threaded
 *   bench_client.c   an epoll load generator over the real Unix socket (keep-alive or one
 *                    connection per request, closed loop or an offered rate), with
 *                    latency percentiles and a per-request "%N" counter in the body
 *   bench_request.c  single requests outside the timed windows (events, /metrics, replies)
 *   bench_proc.c     starting and watching a simulator: ready time, /proc CPU and RSS
 *   bench_targets.c  ratios against the bounds, the targets and the latency floor
 *   bench_harness.c  the dstack-harness rows (`cluster 100`, `matrix` wall times)
 *   bench_report.c   the table, the JSON document and the SVG chart
 *   dstack_bench.c   the scenarios and the command line
 *
 * No globals: every run is described by explicit structs passed down.
 */
#ifndef DSTACK_BENCH_H
#define DSTACK_BENCH_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "ds_json.h"

/* ---- in-process bounds (bench_inproc.c) ---- */

typedef struct {
    const char *method; /* "GetKey", … */
    const char *work;   /* what one operation does */
    double ns_per_op;   /* thread CPU time per operation */
    double ops_per_sec; /* 1e9 / ns_per_op */
    uint64_t iters;
} bench_bound;

#define BENCH_MAX_BOUNDS 8

/* Measures every bound with the simulator state built from config (seconds per bound,
 * after a warm-up). Returns the number of bounds, or -1 with a message in err. */
int bench_inproc_run(const char *config, double seconds, bench_bound *out, char *err,
                     size_t errcap);

/* ---- load generator (bench_client.c) ---- */

typedef struct {
    const char *sock; /* Unix socket path */
    const char *path; /* "/GetKey" */
    const char *body; /* JSON body (POST); each "%N" becomes a 16-hex-digit counter,
                         new for every request (a new GetKey path each time) */
    int clients;      /* concurrent connections (keep-alive) or requests in flight */
    int keepalive;    /* 0: one connection per request (Connection: close) */
    double seconds;   /* run length (after warm_seconds) */
    double warm_seconds;
    uint64_t max_requests; /* stop after this many measured requests (0: no cap) */
    double rate;           /* offered load, req/s over all clients (0: closed loop) */
    pid_t server_pid;      /* its CPU is sampled over the measured window (0: not) */
    int keep_latencies;    /* 0: no percentiles (long soaks) */
    int spin;              /* poll without sleeping (the client never blocks in epoll) */
} bench_load_cfg;

typedef struct {
    uint64_t ok, failed; /* 200 responses; anything else (status, reset, timeout) */
    double wall_sec;
    double req_per_sec;
    double p50_us, p99_us, p999_us, max_us, mean_us;
    double client_cpu_sec;
    double server_cpu_sec; /* utime + stime of server_pid over the window */
    uint64_t slow_50ms;    /* requests slower than 50 ms */
    char first_error[160];
} bench_load_result;

/* Runs one load; returns 0 or -1 (setup failure, message in res->first_error). */
int bench_load_run(const bench_load_cfg *cfg, bench_load_result *res);

/* ---- single requests (bench_request.c) ---- */

/* One request on a fresh connection; the response body (malloc'd) or NULL. */
char *bench_request(const char *sock, const char *method, const char *path, const char *body,
                    int *status, size_t *body_len);
/* The same over loopback TCP (for /metrics). */
char *bench_request_tcp(int port, const char *path, int *status, size_t *body_len);
/* A blocking, close-on-exec TCP connection to 127.0.0.1:port: the fd, or -1. */
int bench_tcp_connect(int port);

/* ---- the simulator process (bench_proc.c) ---- */

typedef struct {
    pid_t pid;
    int out_fd;    /* its stdout (banner) */
    char dir[256]; /* temp dir with the sockets */
    char sock[300];
    int tcp_port;
    double ready_ms; /* exec → banner complete */
    char *log;       /* after bench_sim_stop: its stderr (the shutdown summary) */
} bench_sim;

/* Starts bin with config and extra args (NULL-terminated, may be NULL) on a temp socket
 * (plus --listen 127.0.0.1:0); waits for the banner. Returns 0 or -1 (message in err). */
int bench_sim_start(bench_sim *s, const char *bin, const char *config, const char *const *extra,
                    char *err, size_t errcap);
/* SIGTERM, wait; returns the exit status (-1 on a signal). What the simulator printed on
 * stderr (its shutdown summary) is left in s->log (malloc'd; the caller frees it). */
int bench_sim_stop(bench_sim *s);
/* utime + stime of the process (all threads), seconds. */
double bench_proc_cpu(pid_t pid);
/* Resident set size, KiB. */
long bench_proc_rss_kb(pid_t pid);
/* Monotonic clock, seconds. */
double bench_now(void);
/* This process's CPU time (all threads), seconds. */
double bench_self_cpu(void);

/* ---- results (bench_report.c, bench_targets.c, bench_harness.c) ---- */

typedef struct {
    const char *method;
    int clients;
    int keepalive;
    int workers;
    bench_load_result r;
    double server_cpu_sec; /* over the measured window */
    double cpu_us_per_req; /* server CPU per request */
    double busy_cores;     /* server CPU / wall */
    double per_core_rps;   /* req/s per busy core = 1e6 / cpu_us_per_req */
    long rss_before_kb, rss_after_kb;
    long long memo_hits, memo_misses; /* the simulator's GetKey memo over the point, warm-up
                                         included (/metrics); -1: not read */
} bench_point;

typedef struct {
    const char *method;
    int events; /* emitted events on top of the boot log */
    double cpu_us_per_req;
    double req_per_sec;
    size_t response_bytes;
} bench_growth;

typedef struct {
    const char *name; /* "cluster 100", "matrix" */
    int available;
    double wall_sec;
    char note[256];
} bench_harness;

typedef struct {
    char name[64];
    char target[48];
    char measured[96];
    int met; /* 1 met, 0 not met, -1 not measured */
} bench_target;

typedef struct {
    const char *method;  /* the points' method ("GetKey/new", "GetKey", …) */
    const char *label;   /* as printed ("GetKey (memo hits)") */
    double bound_ops;    /* in-process bound, ops/s on one core */
    double per_core_rps; /* best keep-alive point, default workers (all CPUs) */
    int at_clients;
    double ratio;
    double per_core_rps_1w; /* the same with --workers 1 */
    int at_clients_1w;
    double ratio_1w;
} bench_ratio;

/* A 64-client closed-loop point beside the floor set by the full GetKey work: with every
 * core doing nothing but the in-process bound, the mean latency of `clients` requests
 * always in flight cannot be below clients / (cores × bound ops/s) (Little's law). */
typedef struct {
    const char *method;
    int workers, clients;
    double p99_us, mean_us;
    double floor_mean_us; /* clients / (cpus × GetKey bound) × 1e6 */
} bench_closed;

/* Quote verification, same quote and collateral (bench_verify.c). */
typedef struct {
    int measured;
    double cold_us;     /* ds_qverify: a fresh context per quote */
    double warm_us;     /* one reused ds_qverify_ctx */
    double warm_cpu_us; /* the same, in this process's CPU time per call */
    double dcap_qvl_us; /* @phala/dcap-qvl in node; -1 when it could not run (note) */
    double ratio_warm;  /* dcap_qvl_us / warm_us */
    size_t quote_bytes;
    char note[256];
    /* `dstack-verify serve`, warm context, one keep-alive client (bench_verify_http.c) */
    int http_measured;
    double http_verify_us;           /* service CPU per POST /verify */
    double http_pc_us;               /* service CPU per POST /api/v1/attestations/verify */
    double rtt_verify_us, rtt_pc_us; /* the client's round trip per request */
    double http_added_us;            /* the larger service time − warm_us (goal: <= 100) */
    double http_ratio;               /* the larger service time / warm_us */
    char http_note[256];
} bench_verify;

/* The verification time of every quote verified (2026-01-01T00:00:00Z, inside the
 * simulated PKI's validity). */
#define BENCH_VERIFY_NOW 1767225600LL

void bench_verify_run(bench_verify *v, double seconds);
/* Fills the http_* fields of v (warm_cpu_us must be set) for quote q, with the trust
 * inputs root.der and collateral.json already written under dir; on failure
 * http_measured stays 0 and http_note says why. */
void bench_verify_http_run(bench_verify *v, const uint8_t *q, size_t ql, const char *dir,
                           double seconds);

/* GetKey/new under `--kms-auth contract:` (the app allowed on a local Anvil) against dev
 * mode, same load (bench_kmsauth.c). */
typedef struct {
    int measured;
    int workers;
    double dev_rps, contract_rps;   /* req/s (wall clock: noisy on a shared machine) */
    double dev_core, contract_core; /* requests per second of the simulator's own CPU */
    double ratio;                   /* contract_core / dev_core */
    char note[256];
} bench_kmsauth;

void bench_kmsauth_run(bench_kmsauth *k, const char *sim_bin, const char *config, int workers,
                       double seconds);

typedef struct {
    char host[128];
    int cpus;
    char load_before[64], load_after[64];
    char started[32];
    double seconds_per_point;
    bench_bound bounds[BENCH_MAX_BOUNDS];
    int nbounds;
    bench_point *points;
    size_t npoints, cap_points;
    bench_growth growth[16];
    int ngrowth;
    double ready_ms[8];
    int nready;
    long idle_rss_kb;
    long soak_rss_before_kb, soak_rss_after_kb;
    uint64_t soak_requests;
    double scale_1w_rps, scale_2w_rps; /* GetKey/new, 64 clients keep-alive */
    bench_harness harness[2];
    int nharness;
    char metrics_check[160];
    bench_ratio ratios[BENCH_MAX_BOUNDS];
    int nratios;
    bench_target targets[24];
    int ntargets;
    int workers_max; /* the multi-worker runs' --workers */
    /* 64 clients, open loop at 60 % of the method's measured capacity: [0] GetKey (memo
     * hits), [1] GetKey/new (the full derivation every request) */
    bench_load_result p99_open[2];
    double p99_open_rate[2];
    bench_closed closed64[2]; /* GetKey and GetKey/new, 64 clients, closed loop */
    int nclosed64;
    int memo_identical; /* GetKey's 1st and 2nd reply: 1 identical, 0 not, -1 unchecked */
    char memo_check[160];
    char summary_sample[2048]; /* the simulator's shutdown summary, from the soak run */
    bench_verify verify;
    bench_kmsauth kmsauth;
} bench_report;

bench_point *bench_report_add(bench_report *r);
/* `up`, then `cluster 100` and `matrix` timed, then `down` (bench_harness.c), into
 * r->harness; skip: the rows only say so (--no-harness). */
void bench_harness_run(bench_report *r, const char *bin, int skip);
/* Ratios against the bounds and the target rows (bench_targets.c), from the points. */
void bench_evaluate(bench_report *r);
/* The summary table on stdout. */
void bench_report_print(const bench_report *r);
/* JSON document and SVG chart under dir. Returns 0 or -1. */
int bench_report_write(const bench_report *r, const char *dir, char *err, size_t errcap);
void bench_report_free(bench_report *r);

/* The methods of bench_report.p99_open[] (bench_targets.c): "GetKey", "GetKey/new". */
extern const char *const BENCH_OPEN_METHODS[2];

#endif
