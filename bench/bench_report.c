/* bench_report.c — what dstack-bench prints and writes: the summary table, the full
 * results as JSON (build/bench/results.json) and a chart (build/bench/chart.svg:
 * throughput and p99 latency against concurrency, per method, keep-alive solid and one
 * connection per request dashed). The SVG is written directly, no dependencies.
 */
#include "bench.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

bench_point *bench_report_add(bench_report *r) {
    if (r->npoints == r->cap_points) {
        size_t nc = r->cap_points ? 2 * r->cap_points : 64;
        bench_point *np = realloc(r->points, nc * sizeof *np);
        if (!np) return NULL;
        r->points = np;
        r->cap_points = nc;
    }
    bench_point *p = &r->points[r->npoints++];
    memset(p, 0, sizeof *p);
    return p;
}

void bench_report_free(bench_report *r) {
    free(r->points);
    r->points = NULL;
    r->npoints = r->cap_points = 0;
}

void bench_report_print(const bench_report *r) {
    printf(
        "\n== In-process bound vs server: requests per busy core-second (server CPU from /proc), "
        "keep-alive, best concurrency ==\n");
    printf("  %-18s %12s | %9s %8s %6s | %9s %8s %6s\n", "method", "bound op/s", "server/core",
           "clients", "ratio", "1 worker", "clients", "ratio");
    for (int i = 0; i < r->nratios; i++) {
        const bench_ratio *x = &r->ratios[i];
        printf("  %-18s %12.0f | %11.0f %6d %5.0f%% | %9.0f %8d %5.0f%%\n", x->label, x->bound_ops,
               x->per_core_rps, x->at_clients, 100 * x->ratio, x->per_core_rps_1w, x->at_clients_1w,
               100 * x->ratio_1w);
    }
    printf("  (server/core: with --workers %d, the default on this machine. GetKey/new derives a\n"
           "   new path every request, the bound's work; GetKey repeats one path, answered from\n"
           "   the simulator's memo, against the same bound)\n",
           r->workers_max);
    printf("\n== Over the socket ==\n");
    printf("  %-10s %2s %4s %-10s %9s %8s %8s %8s %8s %8s %6s %5s %7s %5s\n", "method", "w", "conc",
           "mode", "req/s", "p50 us", "p99 us", "p99.9us", "max us", "cpu us/r", "cores", "fail",
           "rss kB", "memo");
    for (size_t i = 0; i < r->npoints; i++) {
        const bench_point *p = &r->points[i];
        char memo[16] = "-"; /* share of GetKey replies from the memo */
        if (p->memo_hits >= 0 && p->memo_hits + p->memo_misses > 0)
            snprintf(memo, sizeof memo, "%.0f%%",
                     100.0 * (double)p->memo_hits / (double)(p->memo_hits + p->memo_misses));
        printf("  %-10s %2d %4d %-10s %9.0f %8.0f %8.0f %8.0f %8.0f %8.1f %6.2f %5llu %7ld %5s\n",
               p->method, p->workers, p->clients, p->keepalive ? "keep-alive" : "per-req",
               p->r.req_per_sec, p->r.p50_us, p->r.p99_us, p->r.p999_us, p->r.max_us,
               p->cpu_us_per_req, p->busy_cores, (unsigned long long)p->r.failed, p->rss_after_kb,
               memo);
    }
    printf("  (memo: GetKey replies served from the simulator's memo, warm-up included)\n");
    if (r->ngrowth) {
        printf("\n== Cost growth with the event log (8 clients, keep-alive) ==\n");
        printf("  %-9s %8s %12s %12s %14s\n", "method", "events", "cpu us/req", "req/s",
               "bytes/resp");
        for (int i = 0; i < r->ngrowth; i++)
            printf("  %-9s %8d %12.1f %12.0f %14zu\n", r->growth[i].method, r->growth[i].events,
                   r->growth[i].cpu_us_per_req, r->growth[i].req_per_sec,
                   r->growth[i].response_bytes);
    }
    printf("\n== Targets ==\n");
    for (int i = 0; i < r->ntargets; i++) {
        const bench_target *t = &r->targets[i];
        printf("  %-48s %-10s %-38s %s\n", t->name, t->target, t->measured,
               t->met < 0 ? "n/a"
               : t->met   ? "MET"
                          : "NOT MET");
    }
    if (r->nclosed64)
        printf("  (floor: the lowest mean latency %d requests always in flight allow if all %d "
               "cores did\n   nothing but GetKey's full derivation at its in-process bound; "
               "memo hits skip that work)\n",
               r->closed64[0].clients, r->cpus);
}

static void json_str(FILE *f, const char *s) {
    fputc('"', f);
    for (; s && *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            fprintf(f, "\\%c", c);
        else if (c == '\n')
            fputs("\\n", f);
        else if (c < 0x20)
            fprintf(f, "\\u%04x", c);
        else
            fputc(c, f);
    }
    fputc('"', f);
}

static void json_load(FILE *f, const bench_load_result *x) {
    fprintf(f,
            "{\"ok\":%llu,\"failed\":%llu,\"wall_sec\":%.3f,\"req_per_sec\":%.1f,"
            "\"p50_us\":%.1f,\"p99_us\":%.1f,\"p999_us\":%.1f,\"max_us\":%.1f,\"mean_us\":%.1f,"
            "\"slower_than_50ms\":%llu,\"client_cpu_sec\":%.3f,\"server_cpu_sec\":%.3f,"
            "\"first_error\":",
            (unsigned long long)x->ok, (unsigned long long)x->failed, x->wall_sec, x->req_per_sec,
            x->p50_us, x->p99_us, x->p999_us, x->max_us, x->mean_us,
            (unsigned long long)x->slow_50ms, x->client_cpu_sec, x->server_cpu_sec);
    json_str(f, x->first_error);
    fputc('}', f);
}

static int write_json(const bench_report *r, const char *path) {
    FILE *f = fopen(path, "w");
    if (!f) return -1;
    fprintf(f, "{\n  \"host\":");
    json_str(f, r->host);
    fprintf(f, ",\n  \"cpus\":%d,\n  \"started\":", r->cpus);
    json_str(f, r->started);
    fprintf(f, ",\n  \"load_before\":");
    json_str(f, r->load_before);
    fprintf(f, ",\n  \"load_after\":");
    json_str(f, r->load_after);
    fprintf(f, ",\n  \"seconds_per_point\":%.2f,\n  \"workers_max\":%d,\n  \"bounds\":[",
            r->seconds_per_point, r->workers_max);
    for (int i = 0; i < r->nbounds; i++) {
        const bench_bound *b = &r->bounds[i];
        fprintf(f, "%s\n    {\"method\":\"%s\",\"work\":", i ? "," : "", b->method);
        json_str(f, b->work);
        fprintf(f, ",\"ns_per_op\":%.1f,\"ops_per_sec\":%.1f,\"iters\":%llu}", b->ns_per_op,
                b->ops_per_sec, (unsigned long long)b->iters);
    }
    fprintf(f, "\n  ],\n  \"ratios\":[");
    for (int i = 0; i < r->nratios; i++) {
        const bench_ratio *x = &r->ratios[i];
        fprintf(f,
                "%s\n    {\"method\":\"%s\",\"label\":\"%s\",\"bound_ops_per_sec\":%.1f,"
                "\"workers\":%d,\"server_req_per_busy_core_sec\":%.1f,\"clients\":%d,"
                "\"ratio\":%.4f,\"one_worker\":{\"server_req_per_busy_core_sec\":%.1f,"
                "\"clients\":%d,\"ratio\":%.4f}}",
                i ? "," : "", x->method, x->label, x->bound_ops, r->workers_max, x->per_core_rps,
                x->at_clients, x->ratio, x->per_core_rps_1w, x->at_clients_1w, x->ratio_1w);
    }
    fprintf(f, "\n  ],\n  \"points\":[");
    for (size_t i = 0; i < r->npoints; i++) {
        const bench_point *p = &r->points[i];
        fprintf(f,
                "%s\n    {\"method\":\"%s\",\"workers\":%d,\"clients\":%d,\"keepalive\":%s,"
                "\"server_cpu_sec\":%.4f,\"server_cpu_us_per_req\":%.2f,\"busy_cores\":%.3f,"
                "\"req_per_busy_core_sec\":%.1f,\"rss_before_kb\":%ld,\"rss_after_kb\":%ld,",
                i ? "," : "", p->method, p->workers, p->clients, p->keepalive ? "true" : "false",
                p->server_cpu_sec, p->cpu_us_per_req, p->busy_cores, p->per_core_rps,
                p->rss_before_kb, p->rss_after_kb);
        if (p->memo_hits >= 0)
            fprintf(f, "\"memo_hits\":%lld,\"memo_misses\":%lld,", p->memo_hits, p->memo_misses);
        else
            fprintf(f, "\"memo_hits\":null,\"memo_misses\":null,");
        fprintf(f, "\"load\":");
        json_load(f, &p->r);
        fputc('}', f);
    }
    fprintf(f, "\n  ],\n  \"p99_open_loop\":[");
    for (int k = 0; k < 2; k++) {
        fprintf(f,
                "%s\n    {\"method\":\"%s\",\"clients\":64,\"offered_req_per_sec\":%.0f,\"load\":",
                k ? "," : "", BENCH_OPEN_METHODS[k], r->p99_open_rate[k]);
        json_load(f, &r->p99_open[k]);
        fputc('}', f);
    }
    fprintf(f, "\n  ],\n  \"closed_loop_64\":[");
    for (int i = 0; i < r->nclosed64; i++) {
        const bench_closed *c = &r->closed64[i];
        fprintf(f,
                "%s\n    {\"method\":\"%s\",\"workers\":%d,\"clients\":%d,\"p99_us\":%.1f,"
                "\"mean_us\":%.1f,\"floor_mean_us\":%.1f,\"floor_basis\":\"clients / (cpus x "
                "GetKey in-process bound ops/s): the full derivation on every core\"}",
                i ? "," : "", c->method, c->workers, c->clients, c->p99_us, c->mean_us,
                c->floor_mean_us);
    }
    fprintf(f, "\n  ],\n  \"memo_check\":{\"identical\":%s,\"note\":",
            r->memo_identical < 0 ? "null"
            : r->memo_identical   ? "true"
                                  : "false");
    json_str(f, r->memo_check);
    fprintf(f, "},\n  \"growth\":[");
    for (int i = 0; i < r->ngrowth; i++)
        fprintf(f,
                "%s\n    {\"method\":\"%s\",\"events\":%d,\"server_cpu_us_per_req\":%.2f,"
                "\"req_per_sec\":%.1f,\"response_bytes\":%zu}",
                i ? "," : "", r->growth[i].method, r->growth[i].events, r->growth[i].cpu_us_per_req,
                r->growth[i].req_per_sec, r->growth[i].response_bytes);
    fprintf(f, "\n  ],\n  \"startup_ready_ms\":[");
    for (int i = 0; i < r->nready; i++)
        fprintf(f, "%s%.2f", i ? "," : "", r->ready_ms[i]);
    fprintf(f,
            "],\n  \"idle_rss_kb\":%ld,\n  \"soak\":{\"requests\":%llu,\"rss_before_kb\":%ld,"
            "\"rss_after_kb\":%ld},\n  \"scaling\":{\"method\":\"GetKey/new\",\"clients\":64,"
            "\"one_worker_req_per_sec\":%.1f,\"all_workers_req_per_sec\":%.1f},\n  \"harness\":[",
            r->idle_rss_kb, (unsigned long long)r->soak_requests, r->soak_rss_before_kb,
            r->soak_rss_after_kb, r->scale_1w_rps, r->scale_2w_rps);
    for (int i = 0; i < r->nharness; i++) {
        fprintf(f, "%s\n    {\"name\":\"%s\",\"available\":%s,\"wall_sec\":%.3f,\"note\":",
                i ? "," : "", r->harness[i].name, r->harness[i].available ? "true" : "false",
                r->harness[i].wall_sec);
        json_str(f, r->harness[i].note);
        fputc('}', f);
    }
    fprintf(f, "\n  ],\n  \"metrics_check\":");
    json_str(f, r->metrics_check);
    fprintf(f, ",\n  \"shutdown_summary\":");
    json_str(f, r->summary_sample);
    const bench_verify *v = &r->verify;
    fprintf(f,
            ",\n  \"verify\":{\"cold_us\":%.2f,\"warm_us\":%.2f,\"dcap_qvl_us\":%.2f,"
            "\"ratio_warm\":%.2f,\"quote_bytes\":%zu,\"measured\":%s,\"note\":",
            v->cold_us, v->warm_us, v->dcap_qvl_us, v->ratio_warm, v->quote_bytes,
            v->measured ? "true" : "false");
    json_str(f, v->note);
    fprintf(f,
            ",\"http\":{\"measured\":%s,\"warm_cpu_us\":%.2f,\"server_verify_us\":%.2f,\"server_"
            "attestations_us\":%.2f,"
            "\"rtt_verify_us\":%.2f,\"rtt_attestations_us\":%.2f,\"added_us\":%.2f,"
            "\"ratio_to_warm\":%.3f,\"goal_added_us\":100,\"note\":",
            v->http_measured ? "true" : "false", v->warm_cpu_us, v->http_verify_us, v->http_pc_us,
            v->rtt_verify_us, v->rtt_pc_us, v->http_added_us, v->http_ratio);
    json_str(f, v->http_note);
    fprintf(f, "}}");
    const bench_kmsauth *ka = &r->kmsauth;
    fprintf(f,
            ",\n  \"kms_auth\":{\"method\":\"GetKey/new\",\"workers\":%d,\"dev_rps\":%.1f,"
            "\"contract_rps\":%.1f,\"dev_per_core\":%.1f,\"contract_per_core\":%.1f,"
            "\"ratio\":%.4f,\"measured\":%s,\"note\":",
            ka->workers, ka->dev_rps, ka->contract_rps, ka->dev_core, ka->contract_core, ka->ratio,
            ka->measured ? "true" : "false");
    json_str(f, ka->note);
    fprintf(f, "}");
    fprintf(f, ",\n  \"targets\":[");
    for (int i = 0; i < r->ntargets; i++) {
        const bench_target *t = &r->targets[i];
        fprintf(f, "%s\n    {\"name\":", i ? "," : "");
        json_str(f, t->name);
        fprintf(f, ",\"target\":");
        json_str(f, t->target);
        fprintf(f, ",\"measured\":");
        json_str(f, t->measured);
        fprintf(f, ",\"met\":%s}", t->met < 0 ? "null" : t->met ? "true" : "false");
    }
    fprintf(f, "\n  ]\n}\n");
    return fclose(f) == 0 ? 0 : -1;
}

/* ---- SVG ---- */

static const char *const COLORS[] = {"#1f77b4", "#d62728", "#2ca02c",
                                     "#9467bd", "#ff7f0e", "#8c564b"};

typedef struct {
    double x0, y0, w, h; /* plot area */
    double ymax;         /* linear 0..ymax, or log 10^ylo..10^yhi */
    int logy;
    double ylo, yhi;
    int time_axis; /* labels in µs/ms (else counts) */
} panel;

static double px(const panel *p, int clients) {
    /* concurrency 1, 8, 64 on a log2 axis */
    return p->x0 + p->w * (log2((double)clients) / 6.0);
}

static double py(const panel *p, double v) {
    if (p->logy) {
        double l = log10(v > 0 ? v : 1e-9);
        if (l < p->ylo) l = p->ylo;
        return p->y0 + p->h - p->h * (l - p->ylo) / (p->yhi - p->ylo);
    }
    return p->y0 + p->h - p->h * (v / p->ymax);
}

static void axes(FILE *f, const panel *p, const char *title, const char *ylabel) {
    fprintf(f, "<rect x='%.0f' y='%.0f' width='%.0f' height='%.0f' fill='none' stroke='#444'/>\n",
            p->x0, p->y0, p->w, p->h);
    fprintf(f, "<text x='%.0f' y='%.0f' font-size='14' font-weight='bold'>%s</text>\n", p->x0,
            p->y0 - 10, title);
    fprintf(f,
            "<text x='%.0f' y='%.0f' font-size='11' transform='rotate(-90 %.0f %.0f)' "
            "text-anchor='middle'>%s</text>\n",
            p->x0 - 52, p->y0 + p->h / 2, p->x0 - 52, p->y0 + p->h / 2, ylabel);
    static const int cs[] = {1, 8, 64};
    for (int i = 0; i < 3; i++) {
        double x = px(p, cs[i]);
        fprintf(f, "<line x1='%.1f' y1='%.0f' x2='%.1f' y2='%.0f' stroke='#ddd'/>\n", x, p->y0, x,
                p->y0 + p->h);
        fprintf(f, "<text x='%.1f' y='%.0f' font-size='11' text-anchor='middle'>%d</text>\n", x,
                p->y0 + p->h + 14, cs[i]);
    }
    fprintf(f,
            "<text x='%.0f' y='%.0f' font-size='11' text-anchor='middle'>concurrent clients"
            "</text>\n",
            p->x0 + p->w / 2, p->y0 + p->h + 30);
    int div = p->logy ? (int)(p->yhi - p->ylo) : 4; /* log axes: one line per decade */
    for (int i = 0; i <= div; i++) {
        double v, y;
        char lab[32];
        if (p->logy) {
            double l = p->ylo + i;
            v = pow(10, l);
            y = py(p, v);
            if (!p->time_axis)
                snprintf(lab, sizeof lab,
                         v >= 1e6    ? "%.0fM"
                         : v >= 1000 ? "%.0fk"
                                     : "%.0f",
                         v >= 1e6    ? v / 1e6
                         : v >= 1000 ? v / 1000
                                     : v);
            else if (v >= 1000)
                snprintf(lab, sizeof lab, "%.0f ms", v / 1000);
            else
                snprintf(lab, sizeof lab, "%.0f us", v);
        } else {
            v = p->ymax * i / div;
            y = py(p, v);
            snprintf(lab, sizeof lab, "%.0fk", v / 1000);
        }
        fprintf(f, "<line x1='%.0f' y1='%.1f' x2='%.0f' y2='%.1f' stroke='#eee'/>\n", p->x0, y,
                p->x0 + p->w, y);
        fprintf(f, "<text x='%.0f' y='%.1f' font-size='10' text-anchor='end'>%s</text>\n",
                p->x0 - 4, y + 3, lab);
    }
}

static int write_svg(const bench_report *r, const char *path, int workers) {
    static const char *const METHODS[] = {"GetKey", "GetKey/new", "GetQuote",
                                          "Info",   "Sign",       "Version"};
    FILE *f = fopen(path, "w");
    if (!f) return -1;
    panel a = {80, 50, 380, 260, 0, 1, 3, 6, 0};  /* 1k … 1M req/s */
    panel b = {560, 50, 380, 260, 0, 1, 1, 5, 1}; /* 10 µs … 100 ms */
    fprintf(f, "<svg xmlns='http://www.w3.org/2000/svg' width='1000' height='420' "
               "font-family='sans-serif'>\n<rect width='1000' height='420' fill='white'/>\n");
    char t1[96], t2[96];
    snprintf(t1, sizeof t1, "Throughput (req/s), %d worker%s", workers, workers == 1 ? "" : "s");
    snprintf(t2, sizeof t2, "p99 latency, %d worker%s", workers, workers == 1 ? "" : "s");
    axes(f, &a, t1, "requests / second (log scale)");
    axes(f, &b, t2, "p99 (log scale)");
    for (int m = 0; m < 6; m++) {
        for (int ka = 1; ka >= 0; ka--) {
            char pa[512] = "", pb[512] = "";
            for (size_t i = 0; i < r->npoints; i++) {
                const bench_point *p = &r->points[i];
                if (p->workers != workers || p->keepalive != ka || strcmp(p->method, METHODS[m]))
                    continue;
                char seg[64];
                snprintf(seg, sizeof seg, "%.1f,%.1f ", px(&a, p->clients),
                         py(&a, p->r.req_per_sec));
                strncat(pa, seg, sizeof pa - strlen(pa) - 1);
                snprintf(seg, sizeof seg, "%.1f,%.1f ", px(&b, p->clients), py(&b, p->r.p99_us));
                strncat(pb, seg, sizeof pb - strlen(pb) - 1);
            }
            const char *dash = ka ? "" : " stroke-dasharray='5,4'";
            fprintf(f, "<polyline points='%s' fill='none' stroke='%s' stroke-width='2'%s/>\n", pa,
                    COLORS[m], dash);
            fprintf(f, "<polyline points='%s' fill='none' stroke='%s' stroke-width='2'%s/>\n", pb,
                    COLORS[m], dash);
        }
        fprintf(f,
                "<line x1='%d' y1='375' x2='%d' y2='375' stroke='%s' stroke-width='3'/>"
                "<text x='%d' y='379' font-size='12'>%s</text>\n",
                80 + m * 140, 100 + m * 140, COLORS[m], 105 + m * 140, METHODS[m]);
    }
    fprintf(f, "<text x='80' y='405' font-size='11'>solid: keep-alive; dashed: one connection per "
               "request (the JS SDK's pattern). Unix socket, closed loop.</text>\n</svg>\n");
    return fclose(f) == 0 ? 0 : -1;
}

int bench_report_write(const bench_report *r, const char *dir, char *err, size_t errcap) {
    char path[512];
    if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
        snprintf(err, errcap, "mkdir %s: %s", dir, strerror(errno));
        return -1;
    }
    snprintf(path, sizeof path, "%s/results.json", dir);
    if (write_json(r, path) != 0) {
        snprintf(err, errcap, "cannot write %s", path);
        return -1;
    }
    snprintf(path, sizeof path, "%s/chart.svg", dir);
    if (write_svg(r, path, r->workers_max) != 0) {
        snprintf(err, errcap, "cannot write %s", path);
        return -1;
    }
    snprintf(path, sizeof path, "%s/chart-1worker.svg", dir);
    if (write_svg(r, path, 1) != 0) {
        snprintf(err, errcap, "cannot write %s", path);
        return -1;
    }
    return 0;
}
