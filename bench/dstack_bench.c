/* dstack_bench.c — dstack-bench: the simulator against the limit set by its cryptography,
 * in the same run.
 *
 *   1. in-process bounds (bench_inproc.c), single-threaded, after warm-up
 *   2. start-up: exec → banner (ready), idle RSS
 *   3. GetKey, GetKey/new, GetQuote, Info, Sign, Version over the Unix socket at 1, 8 and
 *      64 clients, keep-alive and one connection per request, with --workers 1 and
 *      --workers N (N = the CPUs): req/s, p50/p99/p99.9/max, server CPU per request (from
 *      /proc), RSS. GetKey repeats one path (the simulator answers it from its memo);
 *      GetKey/new asks for a new path every request (the full derivation). Before the
 *      first load, a check that the memo's reply is byte-identical to the derived one.
 *   4. ratio = server requests per busy core-second ÷ in-process bound, per method
 *      (bench_targets.c; GetKey and GetKey/new both against GetKey's bound)
 *   5. GetKey and GetKey/new at 64 clients with an offered load of 60 % of their measured
 *      capacity (open loop): the p99 a fleet sees when it is not saturating the simulator
 *   6. cost growth: GetQuote and Info after 10, 1k and 10k emitted events
 *   7. soak: 1M requests, RSS before and after; /metrics counts checked against them
 *   8. GetKey/new with `--kms-auth contract:` (the app allowed on Anvil) against dev mode
 *      (bench_kmsauth.c)
 *   9. dstack-harness: `cluster 100` (after `up`) and `matrix` wall times (bench_harness.c)
 * Prints a table, writes build/bench/results.json and chart.svg. Never pass/fail: the
 * exit status is 0 whenever the measurements could be taken.
 */
#include "bench.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

typedef struct {
    const char *sim_bin, *config, *harness_bin, *out_dir;
    double seconds; /* per point */
    uint64_t soak;  /* requests */
    int quick, no_harness, workers_max;
    int verify_only;             /* --verify-only: the quote-verification comparison alone */
    int kms_auth_only;           /* --kms-auth-only: the --kms-auth contract: comparison alone */
    const char *attach, *method; /* --attach SOCK --method M: one load, no simulator of ours */
    pid_t pid;                   /* --pid: the attached simulator's, for its CPU time */
    int clients, per_request, spin;
    double rate; /* --rate: offered req/s (open loop) */
} bench_opts;

static const struct {
    const char *method, *path, *body;
} METHODS[] = {
    /* one path, as a CI fleet asks: after the first request, a memo hit */
    {"GetKey", "/GetKey",
     "{\"path\":\"bench/key\",\"purpose\":\"signing\",\"algorithm\":\"secp256k1\"}"},
    /* a new path every request ("%N": a counter): the full derivation every time */
    {"GetKey/new", "/GetKey",
     "{\"path\":\"bench/%N\",\"purpose\":\"signing\",\"algorithm\":\"secp256k1\"}"},
    {"GetQuote", "/GetQuote",
     "{\"report_data\":\"00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\"}"},
    {"Info", "/Info", "{}"},
    {"Sign", "/Sign", "{\"algorithm\":\"secp256k1\",\"data\":\"68656c6c6f2064737461636b\"}"},
    {"Version", "/Version", "{}"},
};
#define NMETHODS (sizeof METHODS / sizeof METHODS[0])

static int method_index(const char *name) {
    for (size_t m = 0; m < NMETHODS; m++)
        if (!strcmp(METHODS[m].method, name)) return (int)m;
    return -1;
}

static void loadavg(char *out, size_t cap) {
    FILE *f = fopen("/proc/loadavg", "r");
    out[0] = '\0';
    if (f) {
        if (fgets(out, (int)cap, f)) out[strcspn(out, "\n")] = '\0';
        fclose(f);
    }
}

static int start_sim(const bench_opts *o, bench_sim *s, int workers, const char *const *more) {
    char w[16], err[512];
    snprintf(w, sizeof w, "%d", workers);
    const char *extra[16] = {"--workers", w};
    int n = 2;
    for (int i = 0; more && more[i] && n < 15; i++)
        extra[n++] = more[i];
    extra[n] = NULL;
    if (bench_sim_start(s, o->sim_bin, o->config, extra, err, sizeof err) != 0) {
        fprintf(stderr, "dstack-bench: %s\n", err);
        return -1;
    }
    return 0;
}

/* The value of Prometheus counter `name` in text, or -1. */
static long long metric(const char *text, const char *name) {
    char needle[96];
    long long v;
    int n = snprintf(needle, sizeof needle, "\n%s ", name);
    const char *at = text ? strstr(text, needle) : NULL;
    return at && sscanf(at + n, "%lld", &v) == 1 ? v : -1;
}

/* The simulator's GetKey memo counters from /metrics: 0, or -1 (not listening, or no
 * memo metrics). */
static int memo_counters(const bench_sim *s, long long *hits, long long *misses) {
    int st = 0;
    size_t bl = 0;
    char *mt = s->tcp_port ? bench_request_tcp(s->tcp_port, "/metrics", &st, &bl) : NULL;
    *hits = st == 200 ? metric(mt, "dstack_sim_key_memo_hits_total") : -1;
    *misses = st == 200 ? metric(mt, "dstack_sim_key_memo_misses_total") : -1;
    free(mt);
    return *hits >= 0 && *misses >= 0 ? 0 : -1;
}

/* One load point against a running simulator. */
static bench_point *point(bench_report *r, const bench_opts *o, bench_sim *s, int m, int clients,
                          int keepalive, int workers) {
    bench_point *p = bench_report_add(r);
    if (!p) return NULL;
    bench_load_cfg lc = {.sock = s->sock,
                         .path = METHODS[m].path,
                         .body = METHODS[m].body,
                         .clients = clients,
                         .keepalive = keepalive,
                         .seconds = o->seconds,
                         .warm_seconds = o->quick ? 0.1 : 0.3,
                         .server_pid = s->pid,
                         .keep_latencies = 1};
    p->method = METHODS[m].method;
    p->clients = clients;
    p->keepalive = keepalive;
    p->workers = workers;
    long long h0 = 0, m0 = 0, h1 = 0, m1 = 0;
    int memo = !strncmp(p->method, "GetKey", 6) && memo_counters(s, &h0, &m0) == 0;
    p->rss_before_kb = bench_proc_rss_kb(s->pid);
    bench_load_run(&lc, &p->r);
    p->rss_after_kb = bench_proc_rss_kb(s->pid);
    memo = memo && memo_counters(s, &h1, &m1) == 0;
    p->memo_hits = memo ? h1 - h0 : -1;
    p->memo_misses = memo ? m1 - m0 : -1;
    p->server_cpu_sec = p->r.server_cpu_sec;
    if (p->r.ok) p->cpu_us_per_req = p->server_cpu_sec * 1e6 / (double)p->r.ok;
    if (p->r.wall_sec > 0) p->busy_cores = p->server_cpu_sec / p->r.wall_sec;
    if (p->cpu_us_per_req > 0) p->per_core_rps = 1e6 / p->cpu_us_per_req;
    char hits[48] = "";
    if (p->memo_hits >= 0)
        snprintf(hits, sizeof hits, "  memo %lld hit %lld miss", p->memo_hits, p->memo_misses);
    fprintf(stderr,
            "  %-10s w=%d c=%-3d %-10s %8.0f req/s  p99 %7.0f us  cpu %6.1f us/req  "
            "fail %llu%s%s%s\n",
            p->method, workers, clients, keepalive ? "keep-alive" : "per-req", p->r.req_per_sec,
            p->r.p99_us, p->cpu_us_per_req, (unsigned long long)p->r.failed, hits,
            p->r.first_error[0] ? "  " : "", p->r.first_error);
    return p;
}

/* The memo must not change output: on a fresh one-worker simulator, GetKey's 1st reply
 * (derived) and 2nd (the same worker's memo) must be byte-identical. /metrics says
 * whether the 2nd really was a hit. Not timed. */
static void check_memo(bench_report *r, const bench_sim *s) {
    const int m = method_index("GetKey");
    long long h0 = 0, m0 = 0, h1 = 0, m1 = 0;
    int st1 = 0, st2 = 0;
    size_t l1 = 0, l2 = 0;
    int counted = memo_counters(s, &h0, &m0) == 0;
    char *a = bench_request(s->sock, "POST", METHODS[m].path, METHODS[m].body, &st1, &l1);
    char *b = bench_request(s->sock, "POST", METHODS[m].path, METHODS[m].body, &st2, &l2);
    counted = counted && memo_counters(s, &h1, &m1) == 0;
    if (!a || !b || st1 != 200 || st2 != 200) {
        r->memo_identical = -1;
        snprintf(r->memo_check, sizeof r->memo_check,
                 "ERROR: GetKey failed (HTTP %d, %d); replies not compared", st1, st2);
    } else if (l1 != l2 || memcmp(a, b, l1)) {
        r->memo_identical = 0;
        snprintf(r->memo_check, sizeof r->memo_check,
                 "ERROR: the 2nd GetKey reply differs from the 1st (%zu vs %zu bytes)", l1, l2);
    } else {
        r->memo_identical = 1;
        snprintf(r->memo_check, sizeof r->memo_check, "identical replies (%zu bytes; %s)", l1,
                 !counted                       ? "/metrics has no memo counters"
                 : h1 - h0 == 1 && m1 - m0 == 1 ? "1st derived, 2nd a memo hit per /metrics"
                                                : "but /metrics counted no memo hit");
    }
    fprintf(stderr, "  memo: %s\n", r->memo_check);
    free(a);
    free(b);
}

static void run_matrix(bench_report *r, const bench_opts *o, int workers) {
    bench_sim s;
    memset(&s, 0, sizeof s);
    if (start_sim(o, &s, workers, NULL) != 0) return;
    if (workers == 1) check_memo(r, &s);
    static const int CLIENTS[] = {1, 8, 64};
    for (size_t m = 0; m < NMETHODS; m++)
        for (int ka = 1; ka >= 0; ka--)
            for (int c = 0; c < 3; c++)
                point(r, o, &s, (int)m, CLIENTS[c], ka, workers);
    bench_sim_stop(&s);
    free(s.log);
}

static void run_startup(bench_report *r, const bench_opts *o) {
    for (int i = 0; i < 7; i++) {
        bench_sim s;
        memset(&s, 0, sizeof s);
        if (start_sim(o, &s, o->workers_max, NULL) != 0) return;
        r->ready_ms[r->nready++] = s.ready_ms;
        usleep(100000);
        long rss = bench_proc_rss_kb(s.pid);
        if (i == 0 || rss < r->idle_rss_kb) r->idle_rss_kb = rss;
        bench_sim_stop(&s);
        free(s.log);
    }
}

static void emit_events(bench_sim *s, int n) {
    char body[160];
    for (int i = 0; i < n; i++) {
        int st = 0;
        size_t bl;
        snprintf(body, sizeof body, "{\"event\":\"bench-%d\",\"payload\":\"%08x\"}", i, i);
        free(bench_request(s->sock, "POST", "/EmitEvent", body, &st, &bl));
    }
}

static void run_growth(bench_report *r, const bench_opts *o) {
    static const int LEVELS[] = {10, 1000, 10000};
    bench_sim s;
    memset(&s, 0, sizeof s);
    if (start_sim(o, &s, 1, NULL) != 0) return;
    int have = 0;
    for (int l = 0; l < 3; l++) {
        emit_events(&s, LEVELS[l] - have);
        have = LEVELS[l];
        static const char *const GROWN[] = {"GetQuote", "Info"};
        for (int gi = 0; gi < 2; gi++) {
            const int m = method_index(GROWN[gi]);
            bench_load_cfg lc = {.sock = s.sock,
                                 .path = METHODS[m].path,
                                 .body = METHODS[m].body,
                                 .clients = 8,
                                 .keepalive = 1,
                                 .seconds = o->quick ? 0.5 : 1.5,
                                 .warm_seconds = 0.2,
                                 .server_pid = s.pid,
                                 .keep_latencies = 1};
            bench_load_result lr;
            bench_load_run(&lc, &lr);
            int st = 0;
            size_t bl = 0;
            free(bench_request(s.sock, "POST", METHODS[m].path, METHODS[m].body, &st, &bl));
            bench_growth *g = &r->growth[r->ngrowth++];
            g->method = METHODS[m].method;
            g->events = LEVELS[l];
            g->cpu_us_per_req = lr.ok ? lr.server_cpu_sec * 1e6 / (double)lr.ok : 0;
            g->req_per_sec = lr.req_per_sec;
            g->response_bytes = bl;
            fprintf(stderr, "  growth %-9s %6d events: %8.1f us/req, %zu bytes\n", g->method,
                    g->events, g->cpu_us_per_req, bl);
        }
    }
    bench_sim_stop(&s);
    free(s.log);
}

/* One soak leg: method m at 64 keep-alive clients until max_requests (or seconds). */
static bench_load_result soak_load(const bench_sim *s, int m, double seconds,
                                   uint64_t max_requests) {
    bench_load_cfg lc = {.sock = s->sock,
                         .path = METHODS[m].path,
                         .body = METHODS[m].body,
                         .clients = 64,
                         .keepalive = 1,
                         .seconds = seconds,
                         .warm_seconds = 0,
                         .max_requests = max_requests};
    bench_load_result lr;
    bench_load_run(&lc, &lr);
    return lr;
}

/* 1M requests over the four hot methods on one simulator; RSS before/after; /metrics. */
static void run_soak(bench_report *r, const bench_opts *o) {
    bench_sim s;
    memset(&s, 0, sizeof s);
    if (start_sim(o, &s, o->workers_max, NULL) != 0) return;
    uint64_t sent[NMETHODS] = {0}, per = o->soak / 4;
    const int SOAK_M[] = {method_index("GetKey"), method_index("GetQuote"), method_index("Info"),
                          method_index("Version")};
    /* Warm-up: allocator arenas and caches reach their steady size. */
    for (int i = 0; i < 4; i++)
        sent[SOAK_M[i]] += soak_load(&s, SOAK_M[i], 30, 5000).ok;
    r->soak_rss_before_kb = bench_proc_rss_kb(s.pid);
    for (int i = 0; i < 4; i++) {
        bench_load_result lr = soak_load(&s, SOAK_M[i], 600, per);
        sent[SOAK_M[i]] += lr.ok;
        r->soak_requests += lr.ok + lr.failed;
        fprintf(stderr, "  soak %-9s %llu requests, %llu failed, RSS %ld kB\n",
                METHODS[SOAK_M[i]].method, (unsigned long long)lr.ok, (unsigned long long)lr.failed,
                bench_proc_rss_kb(s.pid));
    }
    r->soak_rss_after_kb = bench_proc_rss_kb(s.pid);
    /* /metrics must count exactly what was answered. */
    int st = 0;
    size_t bl = 0;
    char *mt = s.tcp_port ? bench_request_tcp(s.tcp_port, "/metrics", &st, &bl) : NULL;
    int ok = mt && st == 200;
    for (int i = 0; ok && i < 4; i++) {
        char needle[96];
        snprintf(needle, sizeof needle, "dstack_sim_requests_total{method=\"%s\"} %llu\n",
                 METHODS[SOAK_M[i]].method, (unsigned long long)sent[SOAK_M[i]]);
        ok = strstr(mt, needle) != NULL;
    }
    snprintf(r->metrics_check, sizeof r->metrics_check, "%s",
             !mt  ? "not scraped"
             : ok ? "/metrics request counts equal the responses received"
                  : "MISMATCH between /metrics and the responses received");
    free(mt);
    bench_sim_stop(&s);
    if (s.log) snprintf(r->summary_sample, sizeof r->summary_sample, "%s", s.log);
    free(s.log);
}

static void usage(FILE *f) {
    fprintf(
        f,
        "usage: dstack-bench [--sim BIN] [--config FILE] [--harness BIN] [--out DIR]\n"
        "                    [--seconds S] [--soak N] [--quick] [--no-harness]\n"
        "                    [--verify-only]  (quote verification: C cold/warm vs dcap-qvl, and\n"
        "                    through dstack-verify serve over HTTP)\n"
        "                    [--kms-auth-only]  (GetKey/new, --kms-auth contract: vs dev)\n"
        "       dstack-bench --attach SOCK --method M [--clients N] [--per-request]\n"
        "                    [--seconds S] [--rate REQ/S] [--pid PID]\n"
        "                    (one load on a running simulator, e.g.\n"
        "                    under perf; methods: GetKey GetKey/new GetQuote Info Sign Version)\n");
}

static int run_attached(const bench_opts *o) {
    for (size_t m = 0; m < NMETHODS; m++) {
        if (strcmp(METHODS[m].method, o->method)) continue;
        bench_load_cfg lc = {.sock = o->attach,
                             .path = METHODS[m].path,
                             .body = METHODS[m].body,
                             .clients = o->clients,
                             .keepalive = !o->per_request,
                             .seconds = o->seconds,
                             .warm_seconds = 0.2,
                             .keep_latencies = 1,
                             .spin = o->spin,
                             .server_pid = o->pid,
                             .rate = o->rate};
        bench_load_result lr;
        int rc = bench_load_run(&lc, &lr);
        printf("%s c=%d %s: %.0f req/s, p50 %.0f us, p99 %.0f us, p99.9 %.0f us, max %.0f us, "
               "failed %llu, client cpu %.1f us/req, server cpu %.1f us/req %s\n",
               o->method, o->clients, o->per_request ? "per-request" : "keep-alive", lr.req_per_sec,
               lr.p50_us, lr.p99_us, lr.p999_us, lr.max_us, (unsigned long long)lr.failed,
               lr.ok ? lr.client_cpu_sec * 1e6 / (double)lr.ok : 0,
               lr.ok ? lr.server_cpu_sec * 1e6 / (double)lr.ok : 0, lr.first_error);
        return rc == 0 ? 0 : 1;
    }
    fprintf(stderr,
            "dstack-bench: unknown method %s (methods: GetKey GetKey/new GetQuote Info "
            "Sign Version)\n",
            o->method);
    return 2;
}

/* Parses v as a number in [lo, hi] for flag; 0, or -1 after a one-line message. */
static int num_arg(const char *flag, const char *v, double lo, double hi, double *out) {
    char *end;
    double x = strtod(v, &end);
    if (!*v || *end || !(x >= lo && x <= hi)) {
        fprintf(stderr, "dstack-bench: %s: expected a number from %g to %g, got \"%s\"\n", flag, lo,
                hi, v);
        return -1;
    }
    *out = x;
    return 0;
}

int main(int argc, char **argv) {
    bench_opts o = {.sim_bin = "build/bin/dstack-simulator",
                    .config = "appkeys.json",
                    .harness_bin = "build/bin/dstack-harness",
                    .out_dir = "build/bench",
                    .seconds = 2.0,
                    .soak = 1000000,
                    .workers_max = 2};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        double x;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            return 0;
        } else if (!strcmp(a, "--sim") && v)
            o.sim_bin = argv[++i];
        else if (!strcmp(a, "--config") && v)
            o.config = argv[++i];
        else if (!strcmp(a, "--harness") && v)
            o.harness_bin = argv[++i];
        else if (!strcmp(a, "--out") && v)
            o.out_dir = argv[++i];
        else if (!strcmp(a, "--seconds") && v) {
            if (num_arg(a, argv[++i], 0.01, 3600, &o.seconds)) return 2;
        } else if (!strcmp(a, "--soak") && v) {
            if (num_arg(a, argv[++i], 1000, 1e9, &x)) return 2;
            o.soak = (uint64_t)x;
        } else if (!strcmp(a, "--quick"))
            o.quick = 1;
        else if (!strcmp(a, "--verify-only"))
            o.verify_only = 1;
        else if (!strcmp(a, "--kms-auth-only"))
            o.kms_auth_only = 1;
        else if (!strcmp(a, "--no-harness"))
            o.no_harness = 1;
        else if (!strcmp(a, "--attach") && v)
            o.attach = argv[++i];
        else if (!strcmp(a, "--method") && v)
            o.method = argv[++i];
        else if (!strcmp(a, "--clients") && v) {
            if (num_arg(a, argv[++i], 1, 4096, &x)) return 2;
            o.clients = (int)x;
        } else if (!strcmp(a, "--per-request"))
            o.per_request = 1;
        else if (!strcmp(a, "--spin"))
            o.spin = 1;
        else if (!strcmp(a, "--rate") && v) {
            if (num_arg(a, argv[++i], 0, 1e7, &o.rate)) return 2;
        } else if (!strcmp(a, "--pid") && v) {
            if (num_arg(a, argv[++i], 1, 4194304, &x)) return 2;
            o.pid = (pid_t)x;
        } else {
            static const char *const VALUED[] = {"--sim",     "--config", "--harness", "--out",
                                                 "--seconds", "--soak",   "--attach",  "--method",
                                                 "--clients", "--rate",   "--pid"};
            int valued = 0;
            for (size_t k = 0; k < sizeof VALUED / sizeof VALUED[0]; k++)
                valued |= !strcmp(a, VALUED[k]);
            fprintf(stderr, "dstack-bench: %s %s (see dstack-bench --help)\n",
                    valued ? "missing value for" : "unknown option", a);
            return 2;
        }
    }
    if (o.attach) {
        if (!o.method) o.method = "GetKey";
        if (o.clients < 1) o.clients = 8;
        return run_attached(&o);
    }
    if (o.quick) {
        o.seconds = 0.5;
        if (o.soak == 1000000) o.soak = 100000;
    }
    bench_report r;
    memset(&r, 0, sizeof r);
    r.memo_identical = -1;
    snprintf(r.memo_check, sizeof r.memo_check, "not checked");
    r.cpus = (int)sysconf(_SC_NPROCESSORS_ONLN);
    o.workers_max = r.workers_max = r.cpus > 1 ? (r.cpus > 8 ? 8 : r.cpus) : 2;
    r.seconds_per_point = o.seconds;
    gethostname(r.host, sizeof r.host - 1);
    time_t now = time(NULL);
    strftime(r.started, sizeof r.started, "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
    loadavg(r.load_before, sizeof r.load_before);
    fprintf(stderr, "dstack-bench: %d CPUs, load %s\n", r.cpus, r.load_before);

    char err[512];
    fprintf(stderr, "in-process bounds…\n");
    r.nbounds = bench_inproc_run(o.config, o.quick ? 0.3 : 1.0, r.bounds, err, sizeof err);
    if (r.nbounds < 0) {
        fprintf(stderr, "dstack-bench: %s\n", err);
        return 1;
    }
    if (o.kms_auth_only) goto kms_auth;
    fprintf(stderr, "quote verification (C cold, C warm, dcap-qvl)…\n");
    bench_verify_run(&r.verify, o.quick ? 0.5 : 2.0);
    fprintf(stderr, "  cold %.1f us, warm %.1f us, dcap-qvl %.1f us: warm %.1fx faster %s\n",
            r.verify.cold_us, r.verify.warm_us, r.verify.dcap_qvl_us, r.verify.ratio_warm,
            r.verify.note);
    if (r.verify.http_measured)
        fprintf(stderr,
                "  dstack-verify serve, service CPU per request: POST /verify %.1f us, POST "
                "/api/v1/attestations/verify %.1f us (round trip %.1f / %.1f us): HTTP adds "
                "%.1f us (goal <= 100), %.2fx the in-process warm verify (%.1f us CPU)\n",
                r.verify.http_verify_us, r.verify.http_pc_us, r.verify.rtt_verify_us,
                r.verify.rtt_pc_us, r.verify.http_added_us, r.verify.http_ratio,
                r.verify.warm_cpu_us);
    else
        fprintf(stderr, "  dstack-verify serve not measured: %s\n", r.verify.http_note);
    if (o.verify_only) goto report;
    fprintf(stderr, "start-up…\n");
    run_startup(&r, &o);
    fprintf(stderr, "load, 1 worker…\n");
    run_matrix(&r, &o, 1);
    fprintf(stderr, "load, %d workers…\n", o.workers_max);
    run_matrix(&r, &o, o.workers_max);
    for (int k = 0; k < 2; k++) { /* 64 clients, offered at ~60 % of the measured capacity */
        const char *method = BENCH_OPEN_METHODS[k];
        const bench_point *g = NULL;
        for (size_t i = 0; i < r.npoints; i++) {
            const bench_point *p = &r.points[i];
            if (!strcmp(p->method, method) && p->workers == o.workers_max && p->clients == 64 &&
                p->keepalive)
                g = p;
        }
        bench_sim s;
        memset(&s, 0, sizeof s);
        if (g && start_sim(&o, &s, o.workers_max, NULL) == 0) {
            r.p99_open_rate[k] = 0.6 * g->r.req_per_sec;
            const int m = method_index(method);
            bench_load_cfg lc = {.sock = s.sock,
                                 .path = METHODS[m].path,
                                 .body = METHODS[m].body,
                                 .clients = 64,
                                 .keepalive = 1,
                                 .seconds = o.seconds * 2,
                                 .warm_seconds = 0.3,
                                 .rate = r.p99_open_rate[k],
                                 .server_pid = s.pid,
                                 .keep_latencies = 1};
            bench_load_run(&lc, &r.p99_open[k]);
            fprintf(stderr, "  %s open loop %.0f req/s offered: p99 %.0f us, max %.0f us\n", method,
                    r.p99_open_rate[k], r.p99_open[k].p99_us, r.p99_open[k].max_us);
            bench_sim_stop(&s);
            free(s.log);
        }
    }
    fprintf(stderr, "cost growth with the event log…\n");
    run_growth(&r, &o);
    fprintf(stderr, "soak (%llu requests)…\n", (unsigned long long)o.soak);
    run_soak(&r, &o);
kms_auth:
    fprintf(stderr, "GetKey/new with --kms-auth contract: against dev…\n");
    bench_kmsauth_run(&r.kmsauth, o.sim_bin, o.config, o.workers_max, o.seconds);
    fprintf(stderr,
            "  dev %.0f req/s (%.0f per core-second), contract %.0f req/s (%.0f per core-second): "
            "%.3f (%s)\n",
            r.kmsauth.dev_rps, r.kmsauth.dev_core, r.kmsauth.contract_rps, r.kmsauth.contract_core,
            r.kmsauth.ratio, r.kmsauth.note);
    if (o.kms_auth_only) goto report;
    fprintf(stderr, "dstack-harness…\n");
    bench_harness_run(&r, o.harness_bin, o.no_harness);
report:
    loadavg(r.load_after, sizeof r.load_after);
    bench_evaluate(&r);
    bench_report_print(&r);
    printf("\n  load average before: %s; after: %s\n", r.load_before, r.load_after);
    printf("  /metrics: %s\n", r.metrics_check);
    printf("  memo: %s\n", r.memo_check);
    if (bench_report_write(&r, o.out_dir, err, sizeof err) != 0) {
        fprintf(stderr, "dstack-bench: %s\n", err);
        bench_report_free(&r);
        return 1;
    }
    printf("  results: %s/results.json, chart: %s/chart.svg\n", o.out_dir, o.out_dir);
    bench_report_free(&r);
    return 0;
}
