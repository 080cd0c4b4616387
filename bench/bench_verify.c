/* bench_verify.c — quote verification side by side, in one run, on one quote and its
 * collateral from the simulated PKI: our C verifier cold (a fresh context per quote:
 * ds_qverify, the whole collateral checked every time) and warm (one reused
 * ds_qverify_ctx: the quote's own checks only), and @phala/dcap-qvl (node, the pinned
 * version in node_modules, QuoteVerifier.newWithRootCa) on the same bytes; then the same
 * quote through `dstack-verify serve` over HTTP (bench_verify_http.c). */
#include "bench.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ds_pki.h"
#include "ds_qverify.h"

/* Mean µs per call of one verification mode over about `seconds`; *cpu_us (unless NULL)
 * the process CPU µs per call. */
static double time_c(int warm, const uint8_t *q, size_t ql, const uint8_t *root, size_t rl,
                     const ds_collateral *col, double seconds, int *ok, double *cpu_us) {
    ds_qverify_ctx *ctx = warm ? ds_qverify_ctx_new() : NULL;
    ds_qverify_result res;
    long n = 0;
    *ok = 1;
    for (int i = 0; i < 20; i++) { /* warm-up (and the context's one collateral check) */
        ds_err e = warm ? ds_qverify_ctx_verify(ctx, q, ql, root, rl, col, BENCH_VERIFY_NOW, &res)
                        : ds_qverify(q, ql, root, rl, col, BENCH_VERIFY_NOW, &res);
        *ok &= e == DS_OK;
        ds_qverify_result_free(&res);
    }
    double t0 = bench_now(), c0 = bench_self_cpu(), t;
    do {
        for (int i = 0; i < 20; i++, n++) {
            if (warm)
                ds_qverify_ctx_verify(ctx, q, ql, root, rl, col, BENCH_VERIFY_NOW, &res);
            else
                ds_qverify(q, ql, root, rl, col, BENCH_VERIFY_NOW, &res);
            ds_qverify_result_free(&res);
        }
        t = bench_now() - t0;
    } while (t < seconds);
    if (cpu_us) *cpu_us = (bench_self_cpu() - c0) * 1e6 / (double)n;
    ds_qverify_ctx_free(ctx);
    return t * 1e6 / (double)n;
}

static const char *NODE_SCRIPT =
    "const fs=require('fs'),path=require('path');"
    "const qvl=require(path.resolve('node_modules/@phala/dcap-qvl'));"
    "const [d,secs,now]=process.argv.slice(1);"
    "const "
    "root=fs.readFileSync(d+'/root.der'),q=Buffer.from(fs.readFileSync(d+'/"
    "quote.hex','utf8'),'hex');"
    "const col=JSON.parse(fs.readFileSync(d+'/collateral.json','utf8'));"
    "const v=qvl.QuoteVerifier.newWithRootCa(root);"
    "for(let i=0;i<20;i++)v.verify(q,col,+now);"
    "let n=0;const t0=process.hrtime.bigint();let t=0;"
    "do{for(let "
    "i=0;i<10;i++,n++)v.verify(q,col,+now);t=Number(process.hrtime.bigint()-t0)/"
    "1e9;}while(t<+secs);"
    "console.log((t*1e6/n).toFixed(2));";

/* Writes n bytes of p to dir/name. Returns 0, or -1. */
static int write_file(const char *dir, const char *name, const void *p, size_t n) {
    char path[600];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    int ok = f && fwrite(p, 1, n, f) == n;
    if (f && fclose(f) != 0) ok = 0;
    return ok ? 0 : -1;
}

/* Removes dir/names[i] for each of the n names, then dir. */
static void remove_dir(const char *dir, const char *const *names, size_t n) {
    char path[600];
    for (size_t i = 0; i < n; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        unlink(path);
    }
    rmdir(dir);
}

static const char *const INPUTS[] = {"root.der", "collateral.json", "quote.hex"};

/* Writes the run's inputs (INPUTS) under dir: the root, p's collateral, the quote in hex.
 * Returns 0, or -1. */
static int write_inputs(const char *dir, const uint8_t *q, size_t ql, const uint8_t *root,
                        size_t rl, const ds_pki *p) {
    ds_buf col, hex;
    ds_buf_init(&col);
    ds_buf_init(&hex);
    ds_buf_hex(&hex, q, ql);
    int ok = ds_pki_collateral_json(p, &col) == DS_OK && !hex.oom &&
             !write_file(dir, "root.der", root, rl) &&
             !write_file(dir, "collateral.json", col.data, col.len) &&
             !write_file(dir, "quote.hex", hex.data, hex.len);
    ds_buf_free(&col);
    ds_buf_free(&hex);
    return ok ? 0 : -1;
}

/* dcap-qvl's mean µs per verify of the inputs under dir, or -1 (why in note). */
static double time_dcap_qvl(const char *dir, double seconds, char *note, size_t cap) {
    char cmd[4096], line[512] = "";
    snprintf(cmd, sizeof cmd, "node -e \"%s\" %s %.2f %lld 2>&1", NODE_SCRIPT, dir, seconds,
             BENCH_VERIFY_NOW);
    double us = -1;
    FILE *pp = popen(cmd, "r");
    if (pp && fgets(line, sizeof line, pp) && atof(line) > 0)
        us = atof(line);
    else
        snprintf(note, cap, "node/dcap-qvl failed: %.200s", line[0] ? line : "no output");
    if (pp) pclose(pp);
    return us;
}

void bench_verify_run(bench_verify *v, double seconds) {
    memset(v, 0, sizeof *v);
    uint8_t seed[32];
    memset(seed, 0x5e, sizeof seed);
    ds_pki_config cfg;
    ds_pki_config_default(&cfg, seed);
    ds_pki *p = NULL;
    ds_buf q;
    ds_buf_init(&q);
    ds_td_report rep;
    if (ds_pki_new(&cfg, &p) != DS_OK) {
        snprintf(v->note, sizeof v->note, "cannot create the simulated PKI");
        return;
    }
    ds_pki_td_report(p, &rep);
    memcpy(rep.report_data, "bench", 5);
    size_t rl;
    const uint8_t *root = ds_pki_root_der(p, &rl);
    if (ds_pki_quote(p, &rep, &q) != DS_OK || q.oom) {
        snprintf(v->note, sizeof v->note, "cannot build a quote");
    } else {
        int ok_cold, ok_warm;
        const uint8_t *qb = (const uint8_t *)q.data;
        v->cold_us = time_c(0, qb, q.len, root, rl, ds_pki_collateral(p), seconds, &ok_cold, NULL);
        v->warm_us = time_c(1, qb, q.len, root, rl, ds_pki_collateral(p), seconds, &ok_warm,
                            &v->warm_cpu_us);
        /* one set of input files for dcap-qvl and `dstack-verify serve` */
        char dir[] = "/tmp/dstack-bench-verify.XXXXXX";
        int have_dir = mkdtemp(dir) != NULL;
        int inputs = have_dir && write_inputs(dir, qb, q.len, root, rl, p) == 0;
        if (!have_dir)
            snprintf(v->note, sizeof v->note, "mkdtemp failed");
        else if (!inputs)
            snprintf(v->note, sizeof v->note, "cannot write the inputs under %s", dir);
        v->dcap_qvl_us = inputs ? time_dcap_qvl(dir, seconds, v->note, sizeof v->note) : -1;
        v->ratio_warm = v->dcap_qvl_us > 0 ? v->dcap_qvl_us / v->warm_us : 0;
        v->measured = ok_cold && ok_warm;
        if (!v->measured) snprintf(v->note, sizeof v->note, "the quote did not verify");
        v->quote_bytes = q.len;
        if (v->measured && inputs)
            bench_verify_http_run(v, qb, q.len, dir, seconds);
        else if (v->measured)
            snprintf(v->http_note, sizeof v->http_note, "%s", v->note);
        if (have_dir) remove_dir(dir, INPUTS, sizeof INPUTS / sizeof INPUTS[0]);
    }
    ds_buf_free(&q);
    ds_pki_free(p);
}
