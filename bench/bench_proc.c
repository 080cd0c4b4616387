/* bench_proc.c — a simulator under test: start it on a temporary socket, time how long
 * it takes from fork/exec to its banner (its "ready" signal), read its CPU time and RSS
 * from /proc, stop it.
 *
 * CPU time is the sum of /proc/<pid>/task/<tid>/schedstat (ns on CPU, user + system, per
 * thread); /proc/<pid>/stat (clock ticks) is the fallback. Either way it counts only the
 * server's own work, whatever else the machine is doing.
 */
#define _GNU_SOURCE
#include "bench.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

double bench_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

double bench_self_cpu(void) {
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static double stat_cpu(pid_t pid) {
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f) return 0;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    char *p = strrchr(buf, ')');
    unsigned long ut = 0, st = 0;
    if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st) != 2)
        return 0;
    return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

double bench_proc_cpu(pid_t pid) {
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/task", (int)pid);
    DIR *d = opendir(path);
    if (!d) return stat_cpu(pid);
    double total = 0;
    int any = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        char p2[300];
        snprintf(p2, sizeof p2, "/proc/%d/task/%s/schedstat", (int)pid, e->d_name);
        FILE *f = fopen(p2, "r");
        unsigned long long ns = 0;
        if (f && fscanf(f, "%llu", &ns) == 1) {
            total += (double)ns * 1e-9;
            any = 1;
        }
        if (f) fclose(f);
    }
    closedir(d);
    return any ? total : stat_cpu(pid);
}

long bench_proc_rss_kb(pid_t pid) {
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    FILE *f = fopen(path, "r");
    long kb = -1;
    if (!f) return -1;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "VmRSS: %ld kB", &kb) == 1) break;
    fclose(f);
    return kb;
}

int bench_sim_start(bench_sim *s, const char *bin, const char *config, const char *const *extra,
                    char *err, size_t errcap) {
    free(s->log);
    memset(s, 0, sizeof *s);
    s->out_fd = -1;
    snprintf(s->dir, sizeof s->dir, "/tmp/dstack-bench-XXXXXX");
    if (!mkdtemp(s->dir)) {
        snprintf(err, errcap, "mkdtemp: %s", strerror(errno));
        return -1;
    }
    snprintf(s->sock, sizeof s->sock, "%s/dstack.sock", s->dir);
    char errpath[300];
    snprintf(errpath, sizeof errpath, "%s/stderr", s->dir);
    const char *argv[48];
    int a = 0;
    argv[a++] = bin;
    argv[a++] = "--config";
    argv[a++] = config;
    argv[a++] = "--dstack-sock";
    argv[a++] = s->sock;
    argv[a++] = "--tappd-sock";
    argv[a++] = "";
    argv[a++] = "--listen";
    argv[a++] = "127.0.0.1:0";
    for (int i = 0; extra && extra[i] && a < 46; i++) argv[a++] = extra[i];
    argv[a] = NULL;
    int p[2];
    if (pipe2(p, O_CLOEXEC) != 0) {
        snprintf(err, errcap, "pipe: %s", strerror(errno));
        return -1;
    }
    double t0 = bench_now();
    pid_t pid = fork();
    if (pid < 0) {
        snprintf(err, errcap, "fork: %s", strerror(errno));
        close(p[0]);
        close(p[1]);
        return -1;
    }
    if (pid == 0) {
        dup2(p[1], 1);
        int ef = open(errpath, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (ef >= 0) dup2(ef, 2);
        execv(bin, (char *const *)argv);
        _exit(127);
    }
    close(p[1]);
    s->pid = pid;
    s->out_fd = p[0];
    /* Ready = the banner's last line (the simulator prints it once every socket listens). */
    char buf[8192];
    size_t len = 0;
    while (len < sizeof buf - 1) {
        struct pollfd pf = {p[0], POLLIN, 0};
        if (poll(&pf, 1, 10000) <= 0) break;
        ssize_t n = read(p[0], buf + len, sizeof buf - 1 - len);
        if (n <= 0) break;
        len += (size_t)n;
        buf[len] = '\0';
        char *ex = strstr(buf, "export DSTACK_SIMULATOR_ENDPOINT=");
        if (ex && strchr(ex, '\n')) {
            s->ready_ms = (bench_now() - t0) * 1000.0;
            char *port = strstr(buf, "(port ");
            if (port) s->tcp_port = atoi(port + 6);
            return 0;
        }
    }
    snprintf(err, errcap, "%s did not print its banner (see %s)", bin, errpath);
    bench_sim_stop(s);
    return -1;
}

int bench_sim_stop(bench_sim *s) {
    int status = 0, rc = -1;
    if (s->pid > 0) {
        kill(s->pid, SIGTERM);
        if (waitpid(s->pid, &status, 0) == s->pid && WIFEXITED(status)) rc = WEXITSTATUS(status);
        s->pid = 0;
    }
    if (s->out_fd >= 0) close(s->out_fd);
    s->out_fd = -1;
    if (s->dir[0]) {
        char path[320];
        snprintf(path, sizeof path, "%s/stderr", s->dir);
        FILE *f = fopen(path, "r");
        if (f) {
            free(s->log);
            s->log = calloc(1, 65536);
            if (s->log) s->log[fread(s->log, 1, 65535, f)] = '\0';
            fclose(f);
        }
        unlink(path);
        unlink(s->sock);
        rmdir(s->dir);
        s->dir[0] = '\0';
    }
    return rc;
}
