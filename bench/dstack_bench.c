/* dstack_bench.c — dstack-bench: the simulator against the limit set by its cryptography,
 * in the same run.
 *
 *   1. in-process bounds (bench_inproc.c), single-threaded, after warm-up
 *   2. start-up: exec → banner (ready), idle RSS
 *   3. GetKey, GetQuote, Info, Sign, Version over the Unix socket at 1, 8 and 64 clients,
 *      keep-alive and one connection per request, with --workers 1 and --workers N (N =
 *      the CPUs): req/s, p50/p99/p99.9/max, server CPU per request (from /proc), RSS
 *   4. ratio = server requests per busy core-second ÷ in-process bound, per method
 *   5. GetKey at 64 clients with an offered load below capacity (open loop): the p99 a
 *      fleet sees when it is not saturating the simulator
 *   6. cost growth: GetQuote and Info after 10, 1k and 10k emitted events
 *   7. soak: 1M requests, RSS before and after; /metrics counts checked against them
 *   8. dstack-harness: `cluster 100` (after `up`) and `matrix` wall times
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
    double seconds;           /* per point */
    uint64_t soak;            /* requests */
    int quick, no_harness, workers_max;
    const char *attach, *method;  /* --attach SOCK --method M: one load, no simulator of ours */
    pid_t pid;                    /* --pid: the attached simulator's, for its CPU time */
    int clients, per_request, spin;
    double rate;                  /* --rate: offered req/s (open loop) */
} bench_opts;

static const struct {
    const char *method, *path, *body;
} METHODS[] = {
    {"GetKey", "/GetKey", "{\"path\":\"bench/key\",\"purpose\":\"signing\",\"algorithm\":\"secp256k1\"}"},
    {"GetQuote", "/GetQuote", "{\"report_data\":\"00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\"}"},
    {"Info", "/Info", "{}"},
    {"Sign", "/Sign", "{\"algorithm\":\"secp256k1\",\"data\":\"68656c6c6f2064737461636b\"}"},
    {"Version", "/Version", "{}"},
};
#define NMETHODS (sizeof METHODS / sizeof METHODS[0])

static void loadavg(char *out, size_t cap) {
    FILE *f = fopen("/proc/loadavg", "r");
    out[0] = '\0';
    if (f) {
        if (fgets(out, (int)cap, f)) out[strcspn(out, "\n")] = '\0';
        fclose(f);
    }
}

static void target(bench_report *r, const char *name, const char *want, int met, const char *fmt,
                   double v) {
    if (r->ntargets >= (int)(sizeof r->targets / sizeof r->targets[0])) return;
    bench_target *t = &r->targets[r->ntargets++];
    snprintf(t->name, sizeof t->name, "%s", name);
    snprintf(t->target, sizeof t->target, "%s", want);
    snprintf(t->measured, sizeof t->measured, fmt, v);
    t->met = met;
}

static int start_sim(const bench_opts *o, bench_sim *s, int workers, const char *const *more) {
    char w[16], err[512];
    snprintf(w, sizeof w, "%d", workers);
    const char *extra[16] = {"--workers", w};
    int n = 2;
    for (int i = 0; more && more[i] && n < 15; i++) extra[n++] = more[i];
    extra[n] = NULL;
    if (bench_sim_start(s, o->sim_bin, o->config, extra, err, sizeof err) != 0) {
        fprintf(stderr, "dstack-bench: %s\n", err);
        return -1;
    }
    return 0;
}

/* One load point against a running simulator. */
static bench_point *point(bench_report *r, const bench_opts *o, bench_sim *s, int m, int clients,
                          int keepalive, int workers) {
    bench_point *p = bench_report_add(r);
    if (!p) return NULL;
    bench_load_cfg lc = {.sock = s->sock, .path = METHODS[m].path, .body = METHODS[m].body,
                         .clients = clients, .keepalive = keepalive, .seconds = o->seconds,
                         .warm_seconds = o->quick ? 0.1 : 0.3, .server_pid = s->pid,
                         .keep_latencies = 1};
    p->method = METHODS[m].method;
    p->clients = clients;
    p->keepalive = keepalive;
    p->workers = workers;
    p->rss_before_kb = bench_proc_rss_kb(s->pid);
    bench_load_run(&lc, &p->r);
    p->rss_after_kb = bench_proc_rss_kb(s->pid);
    p->server_cpu_sec = p->r.server_cpu_sec;
    if (p->r.ok) p->cpu_us_per_req = p->server_cpu_sec * 1e6 / (double)p->r.ok;
    if (p->r.wall_sec > 0) p->busy_cores = p->server_cpu_sec / p->r.wall_sec;
    if (p->cpu_us_per_req > 0) p->per_core_rps = 1e6 / p->cpu_us_per_req;
    fprintf(stderr, "  %-9s w=%d c=%-3d %-10s %8.0f req/s  p99 %7.0f us  cpu %6.1f us/req  "
                    "fail %llu%s%s\n",
            p->method, workers, clients, keepalive ? "keep-alive" : "per-req", p->r.req_per_sec,
            p->r.p99_us, p->cpu_us_per_req, (unsigned long long)p->r.failed,
            p->r.first_error[0] ? "  " : "", p->r.first_error);
    return p;
}

static void run_matrix(bench_report *r, const bench_opts *o, int workers) {
    bench_sim s;
    memset(&s, 0, sizeof s);
    if (start_sim(o, &s, workers, NULL) != 0) return;
    static const int CLIENTS[] = {1, 8, 64};
    for (size_t m = 0; m < NMETHODS; m++)
        for (int ka = 1; ka >= 0; ka--)
            for (int c = 0; c < 3; c++) point(r, o, &s, (int)m, CLIENTS[c], ka, workers);
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
        for (int m = 1; m <= 2; m++) { /* GetQuote, Info */
            bench_load_cfg lc = {.sock = s.sock, .path = METHODS[m].path, .body = METHODS[m].body,
                                 .clients = 8, .keepalive = 1, .seconds = o->quick ? 0.5 : 1.5,
                                 .warm_seconds = 0.2, .server_pid = s.pid, .keep_latencies = 1};
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

/* 1M requests over the four hot methods on one simulator; RSS before/after; /metrics. */
static void run_soak(bench_report *r, const bench_opts *o) {
    bench_sim s;
    memset(&s, 0, sizeof s);
    if (start_sim(o, &s, o->workers_max, NULL) != 0) return;
    uint64_t sent[NMETHODS] = {0}, per = o->soak / 4;
    static const int SOAK_M[] = {0, 1, 2, 4};
    /* Warm-up: allocator arenas and caches reach their steady size. */
    for (int i = 0; i < 4; i++) {
        bench_load_cfg lc = {.sock = s.sock, .path = METHODS[SOAK_M[i]].path,
                             .body = METHODS[SOAK_M[i]].body, .clients = 64, .keepalive = 1,
                             .seconds = 30, .warm_seconds = 0, .max_requests = 5000};
        bench_load_result lr;
        bench_load_run(&lc, &lr);
        sent[SOAK_M[i]] += lr.ok;
    }
    r->soak_rss_before_kb = bench_proc_rss_kb(s.pid);
    for (int i = 0; i < 4; i++) {
        bench_load_cfg lc = {.sock = s.sock, .path = METHODS[SOAK_M[i]].path,
                             .body = METHODS[SOAK_M[i]].body, .clients = 64, .keepalive = 1,
                             .seconds = 600, .warm_seconds = 0, .max_requests = per};
        bench_load_result lr;
        bench_load_run(&lc, &lr);
        sent[SOAK_M[i]] += lr.ok;
        r->soak_requests += lr.ok + lr.failed;
        fprintf(stderr, "  soak %-9s %llu requests, %llu failed, RSS %ld kB\n",
                METHODS[SOAK_M[i]].method, (unsigned long long)lr.ok,
                (unsigned long long)lr.failed, bench_proc_rss_kb(s.pid));
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
             !mt ? "not scraped" : ok ? "/metrics request counts equal the responses received"
                                      : "MISMATCH between /metrics and the responses received");
    free(mt);
    bench_sim_stop(&s);
    if (s.log) snprintf(r->summary_sample, sizeof r->summary_sample, "%s", s.log);
    free(s.log);
}

/* Runs the harness with args; wall seconds, or -1 (note says why). */
static double run_harness(const bench_opts *o, const char *const *args, char *note, size_t cap) {
    const char *argv[16];
    int a = 0;
    argv[a++] = o->harness_bin;
    argv[a++] = "--quiet";
    argv[a++] = "--state";
    argv[a++] = "build/bench/harness/deployment.json";
    for (int i = 0; args[i] && a < 15; i++) argv[a++] = args[i];
    argv[a] = NULL;
    if (access(o->harness_bin, X_OK) != 0) {
        snprintf(note, cap, "%s is not built", o->harness_bin);
        return -1;
    }
    char logp[] = "build/bench/harness/last.log";
    double t0 = bench_now();
    pid_t pid = fork();
    if (pid == 0) {
        if (!freopen(logp, "w", stdout) || !freopen(logp, "a", stderr)) _exit(126);
        execv(o->harness_bin, (char *const *)argv);
        _exit(127);
    }
    int status = 0;
    if (pid < 0 || waitpid(pid, &status, 0) != pid) {
        snprintf(note, cap, "cannot run %s", o->harness_bin);
        return -1;
    }
    double wall = bench_now() - t0;
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return wall;
    char last[200] = "";
    FILE *f = fopen(logp, "r");
    if (f) {
        char line[200];
        while (fgets(line, sizeof line, f))
            if (line[0] != '\n') snprintf(last, sizeof last, "%s", line);
        fclose(f);
    }
    last[strcspn(last, "\n")] = '\0';
    snprintf(note, cap, "exit %d after %.2f s: %s", WIFEXITED(status) ? WEXITSTATUS(status) : -1,
             wall, last);
    return -1;
}

static void run_harness_rows(bench_report *r, const bench_opts *o) {
    bench_harness *cl = &r->harness[r->nharness++], *mx = &r->harness[r->nharness++];
    cl->name = "cluster 100";
    mx->name = "matrix";
    if (o->no_harness) {
        snprintf(cl->note, sizeof cl->note, "skipped (--no-harness)");
        snprintf(mx->note, sizeof mx->note, "skipped (--no-harness)");
        return;
    }
    if (system("mkdir -p build/bench/harness") != 0) return;
    static const char *const UP[] = {"up", "--nodes", "100", NULL};
    static const char *const UP_DEFAULT[] = {"up", NULL};
    static const char *const CLUSTER[] = {"cluster", "100", NULL};
    static const char *const MATRIX[] = {"matrix", NULL};
    static const char *const DOWN[] = {"down", NULL};
    char note[200];
    if (run_harness(o, UP, note, sizeof note) < 0 && run_harness(o, UP_DEFAULT, note, sizeof note) < 0) {
        snprintf(cl->note, sizeof cl->note, "not available: `up` failed: %s", note);
        snprintf(mx->note, sizeof mx->note, "not available: `up` failed: %s", note);
        run_harness(o, DOWN, note, sizeof note);
        return;
    }
    double w = run_harness(o, CLUSTER, cl->note, sizeof cl->note);
    if (w >= 0) {
        cl->available = 1;
        cl->wall_sec = w;
        snprintf(cl->note, sizeof cl->note, "after `up` (Anvil running)");
    } else { /* the largest cluster the harness takes, for a figure all the same */
        static const char *const CLUSTER9[] = {"cluster", "9", NULL};
        char why[200], n9[200];
        snprintf(why, sizeof why, "%s", cl->note);
        double w9 = run_harness(o, CLUSTER9, n9, sizeof n9);
        if (w9 >= 0)
            snprintf(cl->note, sizeof cl->note, "cluster 100 failed (%.120s); cluster 9 took %.2f s",
                     why, w9);
    }
    w = run_harness(o, MATRIX, mx->note, sizeof mx->note);
    if (w >= 0) {
        mx->available = 1;
        mx->wall_sec = w;
        snprintf(mx->note, sizeof mx->note, "after `up`");
    }
    run_harness(o, DOWN, note, sizeof note);
}

static const bench_point *find(const bench_report *r, const char *m, int w, int c, int ka) {
    for (size_t i = 0; i < r->npoints; i++) {
        const bench_point *p = &r->points[i];
        if (!strcmp(p->method, m) && p->workers == w && p->clients == c && p->keepalive == ka)
            return p;
    }
    return NULL;
}

static void evaluate(bench_report *r) {
    /* Ratios: the best keep-alive point per busy core, with the default worker count
     * (one per CPU, how the simulator runs) and with --workers 1. */
    for (int b = 0; b < r->nbounds; b++) {
        bench_ratio *x = &r->ratios[r->nratios];
        const bench_point *best = NULL, *best1 = NULL;
        for (size_t i = 0; i < r->npoints; i++) {
            const bench_point *p = &r->points[i];
            if (!p->keepalive || strcmp(p->method, r->bounds[b].method)) continue;
            if (p->workers == r->workers_max && (!best || p->per_core_rps > best->per_core_rps))
                best = p;
            if (p->workers == 1 && (!best1 || p->per_core_rps > best1->per_core_rps)) best1 = p;
        }
        if (!best) best = best1;
        if (!best) continue;
        x->method = r->bounds[b].method;
        x->bound_ops = r->bounds[b].ops_per_sec;
        x->per_core_rps = best->per_core_rps;
        x->at_clients = best->clients;
        x->ratio = x->per_core_rps / x->bound_ops;
        if (best1) {
            x->per_core_rps_1w = best1->per_core_rps;
            x->at_clients_1w = best1->clients;
            x->ratio_1w = best1->per_core_rps / x->bound_ops;
        }
        r->nratios++;
    }
    for (int i = 0; i < r->nratios; i++) {
        const bench_ratio *x = &r->ratios[i];
        char name[64];
        snprintf(name, sizeof name, "%s per busy core / in-process bound", x->method);
        char got[96];
        snprintf(got, sizeof got, "%.1f %% (1 worker: %.1f %%)", 100 * x->ratio, 100 * x->ratio_1w);
        double want = !strcmp(x->method, "GetKey") ? 0.8 : !strcmp(x->method, "GetQuote") ? 0.7 : 0;
        if (want > 0) {
            target(r, name, want > 0.75 ? ">= 80 %" : ">= 70 %", x->ratio >= want, "%.0f", 0);
            snprintf(r->targets[r->ntargets - 1].measured, sizeof r->targets[0].measured, "%s", got);
        }
    }
    const char *fast[] = {"Info", "Version"};
    for (int i = 0; i < 2; i++) {
        double best = 0;
        for (int c = 1; c <= 64; c *= 8) {
            const bench_point *p = find(r, fast[i], 1, c, 1);
            if (p && p->r.req_per_sec > best) best = p->r.req_per_sec;
        }
        char name[64];
        snprintf(name, sizeof name, "%s req/s, 1 worker, keep-alive", fast[i]);
        target(r, name, ">= 20000", best >= 20000, "%.0f req/s", best);
    }
    const bench_point *g1 = find(r, "GetKey", 1, 64, 1), *g2 = find(r, "GetKey", r->workers_max, 64, 1);
    if (g1 && g2 && r->workers_max > 1) {
        r->scale_1w_rps = g1->r.req_per_sec;
        r->scale_2w_rps = g2->r.req_per_sec;
        target(r, "GetKey 64 clients: all workers / 1 worker", ">= 1.7x",
               g2->r.req_per_sec >= 1.7 * g1->r.req_per_sec, "%.2fx", g2->r.req_per_sec / g1->r.req_per_sec);
        /* Why, when it is short: the server's own cost per request with N workers (no
         * contention: ≈ 1.0) and the cores it actually got next to the client. */
        char m[96];
        snprintf(m, sizeof m, "%.2fx CPU/req; %.2f of %d cores busy",
                 g1->cpu_us_per_req > 0 ? g2->cpu_us_per_req / g1->cpu_us_per_req : 0,
                 g2->busy_cores, r->workers_max);
        target(r, "  (server CPU per request N vs 1 worker)", "<= 1.10x",
               g1->cpu_us_per_req > 0 && g2->cpu_us_per_req <= 1.1 * g1->cpu_us_per_req, "%.0f", 0);
        snprintf(r->targets[r->ntargets - 1].measured, sizeof r->targets[0].measured, "%s", m);
    }
    if (g2) {
        target(r, "GetKey p99, 64 clients, closed loop", "<= 2 ms", g2->r.p99_us <= 2000, "%.2f ms", g2->r.p99_us / 1000);
        target(r, "GetKey p99, 64 clients, open loop (~60% load)", "<= 2 ms",
               r->p99_open.ok && r->p99_open.p99_us <= 2000, "%.2f ms", r->p99_open.p99_us / 1000);
    }
    uint64_t failed = 0, slow = 0;
    for (size_t i = 0; i < r->npoints; i++) {
        failed += r->points[i].r.failed;
        if (!strcmp(r->points[i].method, "GetKey") && r->points[i].clients == 64) slow += r->points[i].r.slow_50ms;
    }
    target(r, "failed requests (all points)", "0", failed == 0, "%.0f", (double)failed);
    target(r, "GetKey @64 requests slower than 50 ms", "0", slow == 0, "%.0f", (double)slow);
    double ready = 1e9;
    for (int i = 0; i < r->nready; i++)
        if (r->ready_ms[i] < ready) ready = r->ready_ms[i];
    if (r->nready) {
        double sorted[8];
        for (int i = 0; i < r->nready && i < 8; i++) sorted[i] = r->ready_ms[i];
        for (int i = 0; i < r->nready; i++)
            for (int j = i + 1; j < r->nready; j++)
                if (sorted[j] < sorted[i]) {
                    double t = sorted[i];
                    sorted[i] = sorted[j];
                    sorted[j] = t;
                }
        target(r, "ready from exec (median)", "<= 50 ms", sorted[r->nready / 2] <= 50, "%.1f ms", sorted[r->nready / 2]);
    }
    target(r, "idle RSS", "<= 16 MB", r->idle_rss_kb > 0 && r->idle_rss_kb <= 16384, "%.1f MB", r->idle_rss_kb / 1024.0);
    if (r->soak_requests) {
        char nm[64];
        snprintf(nm, sizeof nm, "RSS growth across %.1fM requests", r->soak_requests / 1e6);
        long d = r->soak_rss_after_kb - r->soak_rss_before_kb;
        target(r, nm, "<= 1 MB", d <= 1024, "%.2f MB", d / 1024.0);
    }
    for (int i = 0; i < r->nharness; i++) {
        const bench_harness *h = &r->harness[i];
        double lim = !strcmp(h->name, "matrix") ? 3 : 10;
        char want[32];
        snprintf(want, sizeof want, "<= %.0f s", lim);
        if (h->available) target(r, h->name, want, h->wall_sec <= lim, "%.2f s", h->wall_sec);
        else target(r, h->name, want, -1, "not available", 0);
    }
}

static void usage(void) {
    fprintf(stderr, "usage: dstack-bench [--sim BIN] [--config FILE] [--harness BIN] [--out DIR]\n"
                    "                    [--seconds S] [--soak N] [--quick] [--no-harness]\n"
                    "       dstack-bench --attach SOCK --method M [--clients N] [--per-request]\n"
                    "                    [--seconds S] [--rate REQ/S] [--pid PID]\n"
                    "                    (one load on a running simulator, e.g.\n"
                    "                    under perf; methods: GetKey GetQuote Info Sign Version)\n");
}

static int run_attached(const bench_opts *o) {
    for (size_t m = 0; m < NMETHODS; m++) {
        if (strcmp(METHODS[m].method, o->method)) continue;
        bench_load_cfg lc = {.sock = o->attach, .path = METHODS[m].path, .body = METHODS[m].body,
                             .clients = o->clients, .keepalive = !o->per_request,
                             .seconds = o->seconds, .warm_seconds = 0.2, .keep_latencies = 1,
                             .spin = o->spin, .server_pid = o->pid, .rate = o->rate};
        bench_load_result lr;
        int rc = bench_load_run(&lc, &lr);
        printf("%s c=%d %s: %.0f req/s, p50 %.0f us, p99 %.0f us, p99.9 %.0f us, max %.0f us, "
               "failed %llu, client cpu %.1f us/req, server cpu %.1f us/req %s\n",
               o->method, o->clients, o->per_request ? "per-request" : "keep-alive",
               lr.req_per_sec, lr.p50_us, lr.p99_us, lr.p999_us, lr.max_us,
               (unsigned long long)lr.failed, lr.ok ? lr.client_cpu_sec * 1e6 / (double)lr.ok : 0,
               lr.ok ? lr.server_cpu_sec * 1e6 / (double)lr.ok : 0, lr.first_error);
        return rc == 0 ? 0 : 1;
    }
    usage();
    return 2;
}

int main(int argc, char **argv) {
    bench_opts o = {"build/bin/dstack-simulator", "appkeys.json", "build/bin/dstack-harness",
                    "build/bench", 2.0, 1000000, 0, 0, 2, NULL, NULL, 0, 0, 0, 0, 0};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--sim") && v) o.sim_bin = argv[++i];
        else if (!strcmp(a, "--config") && v) o.config = argv[++i];
        else if (!strcmp(a, "--harness") && v) o.harness_bin = argv[++i];
        else if (!strcmp(a, "--out") && v) o.out_dir = argv[++i];
        else if (!strcmp(a, "--seconds") && v) o.seconds = atof(argv[++i]);
        else if (!strcmp(a, "--soak") && v) o.soak = strtoull(argv[++i], NULL, 10);
        else if (!strcmp(a, "--quick")) o.quick = 1;
        else if (!strcmp(a, "--no-harness")) o.no_harness = 1;
        else if (!strcmp(a, "--attach") && v) o.attach = argv[++i];
        else if (!strcmp(a, "--method") && v) o.method = argv[++i];
        else if (!strcmp(a, "--clients") && v) o.clients = atoi(argv[++i]);
        else if (!strcmp(a, "--per-request")) o.per_request = 1;
        else if (!strcmp(a, "--spin")) o.spin = 1;
        else if (!strcmp(a, "--rate") && v) o.rate = atof(argv[++i]);
        else if (!strcmp(a, "--pid") && v) o.pid = atoi(argv[++i]);
        else {
            usage();
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
    fprintf(stderr, "start-up…\n");
    run_startup(&r, &o);
    fprintf(stderr, "load, 1 worker…\n");
    run_matrix(&r, &o, 1);
    fprintf(stderr, "load, %d workers…\n", o.workers_max);
    run_matrix(&r, &o, o.workers_max);
    {   /* GetKey, 64 clients, offered at ~60 % of the measured capacity */
        const bench_point *g = find(&r, "GetKey", o.workers_max, 64, 1);
        bench_sim s;
        memset(&s, 0, sizeof s);
        if (g && start_sim(&o, &s, o.workers_max, NULL) == 0) {
            r.p99_open_rate = 0.6 * g->r.req_per_sec;
            bench_load_cfg lc = {.sock = s.sock, .path = "/GetKey", .body = METHODS[0].body,
                                 .clients = 64, .keepalive = 1, .seconds = o.seconds * 2,
                                 .warm_seconds = 0.3, .rate = r.p99_open_rate,
                                 .server_pid = s.pid, .keep_latencies = 1};
            bench_load_run(&lc, &r.p99_open);
            fprintf(stderr, "  GetKey open loop %.0f req/s offered: p99 %.0f us, max %.0f us\n",
                    r.p99_open_rate, r.p99_open.p99_us, r.p99_open.max_us);
            bench_sim_stop(&s);
            free(s.log);
        }
    }
    fprintf(stderr, "cost growth with the event log…\n");
    run_growth(&r, &o);
    fprintf(stderr, "soak (%llu requests)…\n", (unsigned long long)o.soak);
    run_soak(&r, &o);
    fprintf(stderr, "dstack-harness…\n");
    run_harness_rows(&r, &o);
    loadavg(r.load_after, sizeof r.load_after);
    evaluate(&r);
    bench_report_print(&r);
    printf("\n  load average before: %s; after: %s\n", r.load_before, r.load_after);
    printf("  /metrics: %s\n", r.metrics_check);
    if (bench_report_write(&r, o.out_dir, err, sizeof err) != 0) {
        fprintf(stderr, "dstack-bench: %s\n", err);
        bench_report_free(&r);
        return 1;
    }
    printf("  results: %s/results.json, chart: %s/chart.svg\n", o.out_dir, o.out_dir);
    bench_report_free(&r);
    return 0;
}
