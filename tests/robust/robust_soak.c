/* robust_soak.c — sustained concurrent load for a fixed time: every request must succeed
 * and the simulator's RSS must stay flat.
 *
 *   robust-soak SECONDS [THREADS]
 *
 * Starts a simulator (--workers 2) on temporary sockets, then THREADS (default 6)
 * keep-alive clients plus one client that opens a fresh connection per request, looping
 * over GetKey, Sign, GetQuote, Info, Version, GetMeta and tappd DeriveK256Key and
 * RawQuote. After a warm-up (SECONDS/5, at least 2 s) the RSS is the baseline; it is
 * sampled every second. Passes when no request failed or was refused, the simulator
 * exits 0 on SIGTERM, and the final RSS is within max(8 MiB, 10 %) of the baseline.
 * Appends a line to $ROBUST_SOAK (default build/robust/soak.tsv) for the figures.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "robust_util.h"

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: robust-soak SECONDS [THREADS]\n");
        return 2;
    }
    int secs = atoi(argv[1]), threads = argc > 2 ? atoi(argv[2]) : 6;
    if (secs < 1 || threads < 1 || threads > 64) return 2;
    int warm = secs / 5 > 2 ? secs / 5 : 2;
    char dir[128], dsock[160], tsock[160], log[160];
    rb_tmpdir(dir);
    snprintf(dsock, sizeof dsock, "%s/d.sock", dir);
    snprintf(tsock, sizeof tsock, "%s/t.sock", dir);
    snprintf(log, sizeof log, "%s/sim.log", dir);
    const char *args[] = {"--config", "appkeys.json", "--dstack-sock", dsock, "--tappd-sock", tsock,
                          "--workers", "2", "--quiet", "--no-stats", NULL};
    rb_proc p;
    if (rb_start(&p, log, dsock, args, NULL) != 0) {
        fprintf(stderr, "robust-soak: the simulator did not start (see %s)\n", log);
        return 1;
    }
    rb_load ka, per;
    memset(&ka, 0, sizeof ka);
    memset(&per, 0, sizeof per);
    ka.dstack_sock = per.dstack_sock = dsock;
    ka.tappd_sock = per.tappd_sock = tsock;
    ka.threads = threads;
    ka.keepalive = 1;
    per.threads = 1;
    per.keepalive = 0;
    pthread_t t1[64], t2[1];
    double t0 = rb_now_ms();
    rb_load_start(&ka, t1);
    rb_load_start(&per, t2);
    rb_sleep_ms(warm * 1000);
    uint64_t base = rb_rss_kb(p.pid), peak = base, mid = 0;
    unsigned long long at_base = atomic_load(&ka.ok) + atomic_load(&per.ok);
    for (int s = 0; s < secs; s++) {
        rb_sleep_ms(1000);
        uint64_t r = rb_rss_kb(p.pid);
        if (r > peak) peak = r;
        if (s == secs / 2) mid = r;
        if (atomic_load(&ka.failed) + atomic_load(&per.failed) > 0) break;
    }
    uint64_t end = rb_rss_kb(p.pid);
    rb_load_stop(&ka, t1);
    rb_load_stop(&per, t2);
    double elapsed = (rb_now_ms() - t0) / 1000.0;
    int rc = rb_term(&p);
    unsigned long long ok = atomic_load(&ka.ok) + atomic_load(&per.ok);
    unsigned long long failed = atomic_load(&ka.failed) + atomic_load(&per.failed);
    unsigned long long refused = atomic_load(&ka.refused) + atomic_load(&per.refused);
    uint64_t allowed = base / 10 > 8192 ? base / 10 : 8192;
    int flat = end <= base + allowed;
    printf("soak: %d s measured (+%d s warm-up), %d keep-alive clients + 1 connection-per-request\n",
           secs, warm, threads);
    printf("soak: %llu requests OK (%llu in the measured window, %.0f/s), %llu failed, %llu refused\n",
           ok, ok - at_base, (double)(ok - at_base) / secs, failed, refused);
    for (int k = 0; k < 8; k++)
        printf("  %-14s %llu\n", RB_LOAD_KINDS[k],
               (unsigned long long)(atomic_load(&ka.per_kind[k]) + atomic_load(&per.per_kind[k])));
    printf("soak: RSS after warm-up %llu KiB, mid %llu KiB, end %llu KiB, peak %llu KiB (%s: end "
           "within +%llu KiB)\n", (unsigned long long)base, (unsigned long long)mid,
           (unsigned long long)end, (unsigned long long)peak, flat ? "flat" : "GREW",
           (unsigned long long)allowed);
    printf("soak: simulator exit status %d\n", rc);
    if (failed) printf("soak: first failure: %s\n", ka.first_failure[0] ? ka.first_failure : per.first_failure);
    const char *out = getenv("ROBUST_SOAK");
    FILE *f = fopen(out && *out ? out : "build/robust/soak.tsv", "a");
    if (f) {
        time_t now = time(NULL);
        char ts[32];
        strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
        fprintf(f, "%s\t%d\t%.1f\t%d\t%llu\t%llu\t%llu\t%llu\t%llu\t%llu\t%d\n", ts, secs, elapsed,
                threads + 1, ok - at_base, failed, refused, (unsigned long long)base,
                (unsigned long long)end, (unsigned long long)peak, rc);
        fclose(f);
    }
    rb_rmdir(dir);
    return failed == 0 && refused == 0 && rc == 0 && flat ? 0 : 1;
}
