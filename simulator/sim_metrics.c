/* sim_metrics.c — per-worker request statistics, Prometheus text and the shutdown
 * summary (see sim_metrics.h).
 */
#include "sim_metrics.h"

#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

static const char *const MX_NAMES[SIM_MX_COUNT] = {
    "GetKey", "GetQuote", "Attest", "Info", "EmitEvent", "GetTlsKey", "Sign", "Verify",
    "Version", "GetMeta", "Tappd.DeriveKey", "Tappd.DeriveK256Key", "Tappd.TdxQuote",
    "Tappd.RawQuote", "v1.GetKey", "v1.Attest", "v1.AttestGpu", "v1.Info", "v1.Version",
    "v1.IssueCert", "Worker.Info", "Worker.Version", "Worker.GetAttestationForAppKey",
    "Worker.v1.Info", "Worker.v1.Version", "Worker.v1.Health", "pki", "metrics", "dashboard",
    "unknown"};

static const char *const ERR_NAMES[SIM_ERR_COUNT] = {
    "bad_request", "not_found", "method_not_allowed", "too_large", "protocol", "internal",
    "timeout", "overloaded"};

/* Upper bounds of the latency buckets, ns (the last bucket is +Inf). */
static const uint64_t BOUNDS_NS[SIM_LAT_BUCKETS - 1] = {
    25000,    50000,    100000,    250000,    500000,    1000000,    2000000,
    5000000, 10000000, 25000000, 50000000, 100000000, 250000000, 1000000000};
static const char *const BOUNDS_TXT[SIM_LAT_BUCKETS] = {
    "2.5e-05", "5e-05", "0.0001", "0.00025", "0.0005", "0.001", "0.002", "0.005",
    "0.01",    "0.025", "0.05",   "0.1",     "0.25",   "1",     "+Inf"};

static uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

int sim_metrics_init(sim_metrics *m, int nshards) {
    memset(m, 0, sizeof(*m));
    m->shards = calloc((size_t)nshards, sizeof(*m->shards));
    if (!m->shards) return -1;
    m->nshards = nshards;
    m->start_ns = now_ns();
    return 0;
}

void sim_metrics_free(sim_metrics *m) {
    free(m->shards);
    memset(m, 0, sizeof(*m));
}

const char *sim_mx_name(sim_mx_method m) {
    return (unsigned)m < SIM_MX_COUNT ? MX_NAMES[m] : "?";
}

/* Single-writer increment: only the shard's own worker writes it. */
static void bump(_Atomic uint64_t *v, uint64_t d) {
    atomic_store_explicit(v, atomic_load_explicit(v, memory_order_relaxed) + d,
                          memory_order_relaxed);
}

static uint64_t get(const _Atomic uint64_t *v) {
    return atomic_load_explicit((_Atomic uint64_t *)v, memory_order_relaxed);
}

static sim_err_kind classify(int method, int status) {
    if (status == 0 || status == 408) return SIM_ERR_TIMEOUT;
    if (status == 503) return SIM_ERR_OVERLOADED;
    if (status >= 500) return SIM_ERR_INTERNAL;
    if (status == 404 || method == SIM_MX_UNKNOWN) return SIM_ERR_NOT_FOUND;
    if (status == 405) return SIM_ERR_METHOD_NOT_ALLOWED;
    if (status == 413 || status == 431) return SIM_ERR_TOO_LARGE;
    if (method < 0) return SIM_ERR_PROTOCOL;
    return SIM_ERR_BAD_REQUEST;
}

void sim_metrics_observe(void *arg, int method, int status, uint64_t ns) {
    sim_metrics_shard *s = arg;
    if (status < 200 || status >= 300) bump(&s->errors[classify(method, status)], 1);
    if (method < 0 || method >= SIM_MX_COUNT) return;
    bump(&s->count[method], 1);
    if (status < 200 || status >= 300) bump(&s->failed[method], 1);
    bump(&s->sum_ns[method], ns);
    if (ns > get(&s->max_ns[method]))
        atomic_store_explicit(&s->max_ns[method], ns, memory_order_relaxed);
    int b = 0;
    while (b < SIM_LAT_BUCKETS - 1 && ns > BOUNDS_NS[b]) b++;
    bump(&s->bucket[method][b], 1);
}

typedef struct {
    uint64_t count, failed, sum_ns, max_ns, bucket[SIM_LAT_BUCKETS];
} totals;

static void sum_method(const sim_metrics *m, int k, totals *t) {
    memset(t, 0, sizeof(*t));
    for (int i = 0; i < m->nshards; i++) {
        const sim_metrics_shard *s = &m->shards[i];
        t->count += get(&s->count[k]);
        t->failed += get(&s->failed[k]);
        t->sum_ns += get(&s->sum_ns[k]);
        uint64_t mx = get(&s->max_ns[k]);
        if (mx > t->max_ns) t->max_ns = mx;
        for (int b = 0; b < SIM_LAT_BUCKETS; b++) t->bucket[b] += get(&s->bucket[k][b]);
    }
}

static uint64_t sum_errors(const sim_metrics *m, int kind) {
    uint64_t n = 0;
    for (int i = 0; i < m->nshards; i++) n += get(&m->shards[i].errors[kind]);
    return n;
}

static long rss_bytes(void) {
    long pages = 0, resident = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (!f) return 0;
    if (fscanf(f, "%ld %ld", &pages, &resident) != 2) resident = 0;
    fclose(f);
    return resident * sysconf(_SC_PAGESIZE);
}

void sim_metrics_prometheus(const sim_metrics *m, size_t log_events, const char *agent_version,
                            ds_buf *out) {
    totals t[SIM_MX_COUNT];
    for (int k = 0; k < SIM_MX_COUNT; k++) sum_method(m, k, &t[k]);
    ds_buf_printf(out, "# HELP dstack_sim_info The guest agent version the simulator plays "
                       "(--agent-version).\n# TYPE dstack_sim_info gauge\n"
                       "dstack_sim_info{agent_version=\"%s\"} 1\n", agent_version);
    ds_buf_puts(out, "# HELP dstack_sim_requests_total Requests answered, by method.\n"
                     "# TYPE dstack_sim_requests_total counter\n");
    for (int k = 0; k < SIM_MX_COUNT; k++)
        ds_buf_printf(out, "dstack_sim_requests_total{method=\"%s\"} %llu\n", MX_NAMES[k],
                      (unsigned long long)t[k].count);
    ds_buf_puts(out, "# HELP dstack_sim_request_failures_total Requests answered with a non-2xx "
                     "status, by method.\n# TYPE dstack_sim_request_failures_total counter\n");
    for (int k = 0; k < SIM_MX_COUNT; k++)
        ds_buf_printf(out, "dstack_sim_request_failures_total{method=\"%s\"} %llu\n", MX_NAMES[k],
                      (unsigned long long)t[k].failed);
    ds_buf_puts(out, "# HELP dstack_sim_request_duration_seconds Time from the complete request "
                     "to the queued response.\n"
                     "# TYPE dstack_sim_request_duration_seconds histogram\n");
    for (int k = 0; k < SIM_MX_COUNT; k++) {
        uint64_t cum = 0;
        for (int b = 0; b < SIM_LAT_BUCKETS; b++) {
            cum += t[k].bucket[b];
            ds_buf_printf(out, "dstack_sim_request_duration_seconds_bucket{method=\"%s\",le=\"%s\"} "
                          "%llu\n", MX_NAMES[k], BOUNDS_TXT[b], (unsigned long long)cum);
        }
        ds_buf_printf(out, "dstack_sim_request_duration_seconds_sum{method=\"%s\"} %.9f\n",
                      MX_NAMES[k], (double)t[k].sum_ns * 1e-9);
        ds_buf_printf(out, "dstack_sim_request_duration_seconds_count{method=\"%s\"} %llu\n",
                      MX_NAMES[k], (unsigned long long)t[k].count);
    }
    ds_buf_puts(out, "# HELP dstack_sim_errors_total Errors, by kind.\n"
                     "# TYPE dstack_sim_errors_total counter\n");
    for (int e = 0; e < SIM_ERR_COUNT; e++)
        ds_buf_printf(out, "dstack_sim_errors_total{kind=\"%s\"} %llu\n", ERR_NAMES[e],
                      (unsigned long long)sum_errors(m, e));
    struct rusage ru;
    double cpu = 0;
    if (getrusage(RUSAGE_SELF, &ru) == 0)
        cpu = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec * 1e-6 +
              (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec * 1e-6;
    ds_buf_printf(out,
                  "# HELP dstack_sim_workers Worker threads serving connections.\n"
                  "# TYPE dstack_sim_workers gauge\ndstack_sim_workers %d\n"
                  "# HELP dstack_sim_event_log_events Entries in the event log.\n"
                  "# TYPE dstack_sim_event_log_events gauge\ndstack_sim_event_log_events %zu\n"
                  "# HELP dstack_sim_uptime_seconds Seconds since start.\n"
                  "# TYPE dstack_sim_uptime_seconds gauge\ndstack_sim_uptime_seconds %.3f\n"
                  "# HELP process_cpu_seconds_total User and system CPU time.\n"
                  "# TYPE process_cpu_seconds_total counter\nprocess_cpu_seconds_total %.6f\n"
                  "# HELP process_resident_memory_bytes Resident memory.\n"
                  "# TYPE process_resident_memory_bytes gauge\nprocess_resident_memory_bytes %ld\n",
                  m->nshards, log_events, (double)(now_ns() - m->start_ns) * 1e-9, cpu, rss_bytes());
}

/* The upper bound of the bucket holding quantile q, in µs ("+Inf" as -1). */
static double quantile_us(const totals *t, double q) {
    if (!t->count) return 0;
    uint64_t want = (uint64_t)((double)t->count * q + 0.999999), cum = 0;
    for (int b = 0; b < SIM_LAT_BUCKETS - 1; b++) {
        cum += t->bucket[b];
        if (cum >= want) return (double)BOUNDS_NS[b] / 1000.0;
    }
    return -1;
}

void sim_metrics_summary(const sim_metrics *m, FILE *f) {
    int any = 0;
    for (int k = 0; k < SIM_MX_COUNT; k++) {
        totals t;
        sum_method(m, k, &t);
        if (!t.count) continue;
        if (!any)
            fprintf(f, "dstack-simulator: requests served (%d worker%s, %.1f s)\n"
                       "  %-20s %10s %8s %10s %10s %10s %10s\n",
                    m->nshards, m->nshards == 1 ? "" : "s",
                    (double)(now_ns() - m->start_ns) * 1e-9, "method", "count", "failed",
                    "mean us", "p50<= us", "p99<= us", "max us");
        any = 1;
        double p50 = quantile_us(&t, 0.5), p99 = quantile_us(&t, 0.99);
        char s50[24], s99[24];
        if (p50 < 0) snprintf(s50, sizeof s50, ">1s");
        else snprintf(s50, sizeof s50, "%.0f", p50);
        if (p99 < 0) snprintf(s99, sizeof s99, ">1s");
        else snprintf(s99, sizeof s99, "%.0f", p99);
        fprintf(f, "  %-20s %10llu %8llu %10.1f %10s %10s %10.1f\n", MX_NAMES[k],
                (unsigned long long)t.count, (unsigned long long)t.failed,
                (double)t.sum_ns / (double)t.count / 1000.0, s50, s99, (double)t.max_ns / 1000.0);
    }
    if (!any) {
        fprintf(f, "dstack-simulator: no requests served\n");
        return;
    }
    fprintf(f, "  errors:");
    for (int e = 0; e < SIM_ERR_COUNT; e++)
        fprintf(f, " %s=%llu", ERR_NAMES[e], (unsigned long long)sum_errors(m, e));
    fprintf(f, "\n");
}
