/* bench_harness.c — the dstack-harness rows of dstack-bench: `up`, then the wall time of
 * `cluster 100` (or, when the harness takes fewer nodes, `cluster 9` for a figure all
 * the same) and of `matrix`, then `down`. Each uses its own state file under
 * build/bench/harness/; the harness's output goes to build/bench/harness/last.log.
 */
#include "bench.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* Runs the harness with args; wall seconds, or -1 (note says why). */
static double run_harness(const char *bin, const char *const *args, char *note, size_t cap) {
    const char *argv[16];
    int a = 0;
    argv[a++] = bin;
    argv[a++] = "--quiet";
    argv[a++] = "--state";
    argv[a++] = "build/bench/harness/deployment.json";
    for (int i = 0; args[i] && a < 15; i++)
        argv[a++] = args[i];
    argv[a] = NULL;
    if (access(bin, X_OK) != 0) {
        snprintf(note, cap, "%s is not built", bin);
        return -1;
    }
    char logp[] = "build/bench/harness/last.log";
    double t0 = bench_now();
    pid_t pid = fork();
    if (pid == 0) {
        if (!freopen(logp, "w", stdout) || !freopen(logp, "a", stderr)) _exit(126);
        execv(bin, (char *const *)argv);
        _exit(127);
    }
    int status = 0;
    if (pid < 0 || waitpid(pid, &status, 0) != pid) {
        snprintf(note, cap, "cannot run %s", bin);
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

void bench_harness_run(bench_report *r, const char *bin, int skip) {
    bench_harness *cl = &r->harness[r->nharness++], *mx = &r->harness[r->nharness++];
    cl->name = "cluster 100";
    mx->name = "matrix";
    if (skip) {
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
    if (run_harness(bin, UP, note, sizeof note) < 0 &&
        run_harness(bin, UP_DEFAULT, note, sizeof note) < 0) {
        snprintf(cl->note, sizeof cl->note, "not available: `up` failed: %s", note);
        snprintf(mx->note, sizeof mx->note, "not available: `up` failed: %s", note);
        run_harness(bin, DOWN, note, sizeof note);
        return;
    }
    double w = run_harness(bin, CLUSTER, cl->note, sizeof cl->note);
    if (w >= 0) {
        cl->available = 1;
        cl->wall_sec = w;
        snprintf(cl->note, sizeof cl->note, "after `up` (Anvil running)");
    } else { /* the largest cluster the harness takes, for a figure all the same */
        static const char *const CLUSTER9[] = {"cluster", "9", NULL};
        char why[200], n9[200];
        snprintf(why, sizeof why, "%s", cl->note);
        double w9 = run_harness(bin, CLUSTER9, n9, sizeof n9);
        if (w9 >= 0)
            snprintf(cl->note, sizeof cl->note,
                     "cluster 100 failed (%.120s); cluster 9 took %.2f s", why, w9);
    }
    w = run_harness(bin, MATRIX, mx->note, sizeof mx->note);
    if (w >= 0) {
        mx->available = 1;
        mx->wall_sec = w;
        snprintf(mx->note, sizeof mx->note, "after `up`");
    }
    run_harness(bin, DOWN, note, sizeof note);
}
