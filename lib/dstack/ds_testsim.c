/* ds_testsim.c — fork/exec a simulator on temp sockets; readiness by connect(); teardown.
 */
#include "ds_testsim.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ds_unix.h"

static void sleep_ms(long ms) {
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static int can_connect(const char *path) {
    int fd = ds_unix_connect(path);
    if (fd >= 0) close(fd);
    return fd >= 0;
}

void ds_testsim_dump_log(const ds_testsim *ts) {
    FILE *f = fopen(ts->log_path, "r");
    if (!f) return;
    fprintf(stderr, "---- simulator log (%s) ----\n", ts->log_path);
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0)
        fwrite(buf, 1, n, stderr);
    fprintf(stderr, "---- end of simulator log ----\n");
    fclose(f);
}

static void cleanup_dir(ds_testsim *ts) {
    unlink(ts->log_path);
    unlink(ts->dstack_sock); /* only if the simulator left them behind */
    unlink(ts->tappd_sock);
    unlink(ts->external_sock);
    rmdir(ts->dir);
}

ds_err ds_testsim_start(ds_testsim *ts, const char *binary, const char *const *extra_args) {
    memset(ts, 0, sizeof(*ts));
    ts->pid = -1;
    if (!binary) binary = getenv("DSTACK_SIMULATOR_BIN");
    if (!binary || !*binary)
        binary = access(DS_TESTSIM_TREE_BIN, X_OK) == 0 ? DS_TESTSIM_TREE_BIN : "dstack-simulator";
    const char *tmp = getenv("TMPDIR");
    if (!tmp || !*tmp || strlen(tmp) > 60) tmp = "/tmp"; /* sun_path is only 108 bytes */
    snprintf(ts->dir, sizeof ts->dir, "%s/dssim.XXXXXX", tmp);
    if (!mkdtemp(ts->dir)) return DS_ERR_IO;
    snprintf(ts->dstack_sock, sizeof ts->dstack_sock, "%s/dstack.sock", ts->dir);
    snprintf(ts->tappd_sock, sizeof ts->tappd_sock, "%s/tappd.sock", ts->dir);
    snprintf(ts->external_sock, sizeof ts->external_sock, "%s/external.sock", ts->dir);
    snprintf(ts->log_path, sizeof ts->log_path, "%s/simulator.log", ts->dir);

    size_t nextra = 0;
    while (extra_args && extra_args[nextra])
        nextra++;
    const char **argv = calloc(nextra + 7, sizeof(*argv));
    if (!argv) {
        cleanup_dir(ts);
        return DS_ERR_NOMEM;
    }
    size_t i = 0;
    argv[i++] = binary;
    argv[i++] = "--dstack-sock";
    argv[i++] = ts->dstack_sock;
    argv[i++] = "--tappd-sock";
    argv[i++] = ts->tappd_sock;
    for (size_t k = 0; k < nextra; k++)
        argv[i++] = extra_args[k];
    argv[i] = NULL;

    int logfd = open(ts->log_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    pid_t parent = getpid();
    pid_t pid = logfd >= 0 ? fork() : -1;
    if (pid == 0) {
        /* If the test process dies (a failed assertion, a crash), so does its simulator. */
        prctl(PR_SET_PDEATHSIG, SIGTERM);
        if (getppid() != parent) _exit(1);
        dup2(logfd, 1);
        dup2(logfd, 2);
        execvp(binary, (char *const *)argv); /* a name without '/' is looked up in PATH */
        fprintf(stderr, "ds_testsim: exec %s: %s\n", binary, strerror(errno));
        _exit(127);
    }
    free(argv);
    if (logfd >= 0) close(logfd);
    if (pid < 0) {
        cleanup_dir(ts);
        return DS_ERR_IO;
    }
    ts->pid = pid;
    for (int waited = 0; waited < 20000; waited += 10) {
        if (can_connect(ts->dstack_sock)) return DS_OK;
        int st;
        if (waitpid(pid, &st, WNOHANG) == pid) {
            fprintf(stderr, "ds_testsim: %s exited during start-up\n", binary);
            ds_testsim_dump_log(ts);
            ts->pid = -1;
            cleanup_dir(ts);
            return DS_ERR_IO;
        }
        sleep_ms(10);
    }
    fprintf(stderr, "ds_testsim: %s did not become ready in 20 s\n", binary);
    ds_testsim_stop(ts);
    return DS_ERR_IO;
}

int ds_testsim_stop(ds_testsim *ts) {
    if (ts->pid <= 0) return -1;
    kill(ts->pid, SIGTERM);
    int st = 0, result = -1;
    for (int waited = 0; waited < 10000; waited += 10) {
        pid_t r = waitpid(ts->pid, &st, WNOHANG);
        if (r == ts->pid) {
            result = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
            break;
        }
        if (r < 0 && errno != EINTR) break;
        sleep_ms(10);
    }
    if (result < 0) {
        kill(ts->pid, SIGKILL);
        waitpid(ts->pid, &st, 0);
        result = 128 + SIGKILL;
        fprintf(stderr, "ds_testsim: the simulator ignored SIGTERM for 10 s; killed\n");
    }
    ts->pid = -1;
    struct stat sb;
    if (result == 0 && (lstat(ts->dstack_sock, &sb) == 0 || lstat(ts->tappd_sock, &sb) == 0 ||
                        lstat(ts->external_sock, &sb) == 0)) {
        fprintf(stderr, "ds_testsim: the simulator left its socket files behind\n");
        result = 1;
    }
    if (result != 0) ds_testsim_dump_log(ts);
    cleanup_dir(ts);
    return result;
}
