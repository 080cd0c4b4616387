/* hx_proc.c — process plumbing for the harness (see hx_proc.h).
 *
 * About zombies: a child we start is reaped by us (waitpid) whenever we stop it or notice
 * it exited. `dstack-harness up` leaves Anvil and the simulator running after it exits;
 * they are then re-parented to init, and `down` stops them by pid (checking the pid's
 * command line first). Reaping those is init's job: a container whose PID 1 does not reap
 * orphans will show them as <defunct> (dead, holding no port or socket), which
 * hx_proc_alive counts as gone.
 */
#include "hx_out.h"
#include "hx_proc.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

long hx_now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void hx_sleep_ms(long ms) {
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

int hx_free_port(void) {
    struct sockaddr_in a;
    socklen_t len = sizeof a;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(fd, (struct sockaddr *)&a, sizeof a) != 0 ||
        getsockname(fd, (struct sockaddr *)&a, &len) != 0) {
        close(fd);
        return -1;
    }
    close(fd);
    return ntohs(a.sin_port);
}

int hx_port_open(int port) {
    struct sockaddr_in a;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return 0;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int ok = connect(fd, (struct sockaddr *)&a, sizeof a) == 0;
    close(fd);
    return ok;
}

int hx_port_open_after(int port, int timeout_ms) {
    for (int waited = 0;; waited += 50) {
        if (!hx_port_open(port)) return 0;
        if (waited >= timeout_ms) return 1;
        struct timespec ts = {0, 50 * 1000000L};
        nanosleep(&ts, NULL);
    }
}

/* Processes to stop if we are interrupted (async-signal-safe access: plain array). */
#define MAX_CHILDREN 64
static volatile pid_t children[MAX_CHILDREN];

static void remember(pid_t pid) {
    for (int i = 0; i < MAX_CHILDREN; i++)
        if (children[i] == 0) {
            children[i] = pid;
            return;
        }
}

void hx_proc_forget(pid_t pid) {
    for (int i = 0; i < MAX_CHILDREN; i++)
        if (children[i] == pid) children[i] = 0;
}

static void on_signal(int sig) {
    (void)sig;
    for (int i = 0; i < MAX_CHILDREN; i++)
        if (children[i] > 0) kill(children[i], SIGTERM);
    for (int i = 0; i < MAX_CHILDREN; i++)
        if (children[i] > 0) waitpid(children[i], NULL, 0);
    static const char msg[] = "dstack-harness: interrupted; stopped what it had started\n";
    ssize_t w = write(2, msg, sizeof msg - 1);
    (void)w;
    _exit(130);
}

void hx_proc_cleanup_on_signal(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
}

pid_t hx_spawn(char *const argv[], const char *log_path, char *err, size_t errcap) {
    int logfd = open(log_path ? log_path : "/dev/null", O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (logfd < 0) {
        hx_setf(err, errcap, "cannot open log file %s: %s", log_path, strerror(errno));
        return -1;
    }
    if (access(argv[0], X_OK) != 0) {
        hx_setf(err, errcap, "%s is not executable: %s", argv[0], strerror(errno));
        close(logfd);
        return -1;
    }
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        hx_setf(err, errcap, "fork: %s", strerror(errno));
        close(logfd);
        return -1;
    }
    if (pid == 0) {
        int devnull = open("/dev/null", O_RDONLY);
        setsid();
        if (devnull >= 0) dup2(devnull, 0);
        dup2(logfd, 1);
        dup2(logfd, 2);
        for (int fd = 3; fd < 1024; fd++) close(fd);
        signal(SIGPIPE, SIG_DFL);
        execv(argv[0], argv);
        dprintf(2, "exec %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    close(logfd);
    remember(pid);
    return pid;
}

/* The state letter of /proc/pid/stat ('Z' zombie, 'X' dead), or 0 when there is none. */
static char proc_state(pid_t pid) {
    char path[64], buf[512];
    HX_SET(path, "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "r");
    if (f == NULL) return 0;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    char *rp = strrchr(buf, ')'); /* the command name may contain spaces and parens */
    return (rp && rp[1] == ' ') ? rp[2] : 0;
}

int hx_proc_alive(pid_t pid) {
    int st;
    if (pid <= 0) return 0;
    waitpid(pid, &st, WNOHANG); /* reaps it if it is our exited child; harmless otherwise */
    if (kill(pid, 0) != 0 && errno == ESRCH) return 0;
    char s = proc_state(pid);
    return s != 0 && s != 'Z' && s != 'X';
}

int hx_proc_matches(pid_t pid, const char *needle1, const char *needle2) {
    char path[64], buf[8192];
    HX_SET(path, "/proc/%d/cmdline", (int)pid);
    FILE *f = fopen(path, "r");
    if (f == NULL) return 0;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    const char *needles[2] = {needle1, needle2};
    for (int k = 0; k < 2; k++) {
        if (needles[k] == NULL) continue;
        int found = 0;
        for (size_t i = 0; i < n && !found; i += strlen(buf + i) + 1)
            if (strstr(buf + i, needles[k]) != NULL) found = 1;
        if (!found) return 0;
    }
    return n > 0;
}

/* Waits until pid is gone; 0 when it is. Reaps our child and records its status. */
static int wait_gone(pid_t pid, int timeout_ms, int *exit_status) {
    long end = hx_now_ms() + timeout_ms;
    for (;;) {
        int st;
        pid_t w = waitpid(pid, &st, WNOHANG);
        if (w == pid) {
            if (exit_status) *exit_status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
            return 0;
        }
        if (!hx_proc_alive(pid)) return 0;
        if (hx_now_ms() >= end) return -1;
        hx_sleep_ms(20);
    }
}

int hx_proc_stop(pid_t pid, int timeout_ms, int *exit_status) {
    if (exit_status) *exit_status = -1;
    if (pid <= 0) return 0;
    hx_proc_forget(pid);
    if (kill(pid, SIGTERM) != 0 && errno == ESRCH) {
        int st;
        waitpid(pid, &st, WNOHANG);
        return 0;
    }
    if (wait_gone(pid, timeout_ms, exit_status) == 0) return 0;
    kill(pid, SIGKILL);
    return wait_gone(pid, 5000, exit_status);
}

static int is_exec_file(const char *p) {
    struct stat st;
    return stat(p, &st) == 0 && S_ISREG(st.st_mode) && access(p, X_OK) == 0;
}

/* The directory of the running executable. */
static int exe_dir(char *out, size_t cap) {
    char buf[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
    if (n <= 0) return -1;
    buf[n] = '\0';
    char *slash = strrchr(buf, '/');
    if (slash == NULL) return -1;
    *slash = '\0';
    hx_setf(out, cap, "%s", buf);
    return 0;
}

int hx_repo_root(char *out, size_t cap) {
    char start[2][PATH_MAX], cand[PATH_MAX + 32], mk[PATH_MAX + 64];
    int ns = 0;
    if (getcwd(start[ns], sizeof start[ns]) != NULL) ns++;
    if (exe_dir(start[ns], sizeof start[ns]) == 0) ns++;
    for (int s = 0; s < ns; s++) {
        HX_SET(cand, "%s", start[s]);
        for (int up = 0; up < 6; up++) {
            struct stat st;
            HX_SET(mk, "%s/contracts", cand);
            int has_contracts = stat(mk, &st) == 0 && S_ISDIR(st.st_mode);
            HX_SET(mk, "%s/Makefile", cand);
            if (has_contracts && stat(mk, &st) == 0) {
                hx_setf(out, cap, "%s", cand);
                return 0;
            }
            char *slash = strrchr(cand, '/');
            if (slash == NULL || slash == cand) break;
            *slash = '\0';
        }
    }
    return -1;
}

int hx_find_tool(const char *name, const char *env_var, char *out, size_t cap) {
    char root[PATH_MAX], dir[PATH_MAX], cand[PATH_MAX * 2];
    const char *env = env_var ? getenv(env_var) : NULL;
    if (env != NULL && *env) {
        hx_setf(out, cap, "%s", env);
        return is_exec_file(out) ? 0 : -1;
    }
    int ours = strncmp(name, "dstack-", 7) == 0;
    if (ours && exe_dir(dir, sizeof dir) == 0) { /* a sibling of this executable first */
        HX_SET(cand, "%s/%s", dir, name);
        if (is_exec_file(cand)) {
            hx_setf(out, cap, "%s", cand);
            return 0;
        }
    }
    if (hx_repo_root(root, sizeof root) == 0) {
        if (ours)
            HX_SET(cand, "%s/build/bin/%s", root, name);
        else
            HX_SET(cand, "%s/node_modules/@foundry-rs/%s-linux-amd64/bin/%s", root,
                     name, name);
        if (is_exec_file(cand)) {
            hx_setf(out, cap, "%s", cand);
            return 0;
        }
    }
    const char *path = getenv("PATH");
    while (path != NULL && *path) {
        const char *colon = strchr(path, ':');
        size_t n = colon ? (size_t)(colon - path) : strlen(path);
        HX_SET(cand, "%.*s/%s", (int)n, path, name);
        if (n > 0 && is_exec_file(cand)) {
            hx_setf(out, cap, "%s", cand);
            return 0;
        }
        path = colon ? colon + 1 : NULL;
    }
    return -1;
}

char *hx_log_tail(const char *path, char *out, size_t cap) {
    out[0] = '\0';
    FILE *f = path ? fopen(path, "r") : NULL;
    if (f == NULL || cap < 2) {
        if (f) fclose(f);
        return out;
    }
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    long start = size > (long)cap - 1 ? size - ((long)cap - 1) : 0;
    fseek(f, start, SEEK_SET);
    size_t n = fread(out, 1, cap - 1, f);
    fclose(f);
    out[n] = '\0';
    if (start > 0) { /* drop the partial first line */
        char *nl = strchr(out, '\n');
        if (nl != NULL) memmove(out, nl + 1, strlen(nl + 1) + 1);
    }
    return out;
}
