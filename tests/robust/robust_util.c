/* robust_util.c — processes, raw HTTP, load, RSS and the fault tally for the robustness
 * suites (see robust_util.h).
 */
#define _GNU_SOURCE /* memmem */
#include "robust_util.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "ds_json.h"
#include "ds_unix.h"

const char *rb_sim_bin(void) {
    const char *b = getenv("DSTACK_SIMULATOR_BIN");
    return b && *b ? b : "build/bin/dstack-simulator";
}

const char *rb_verify_bin(void) {
    const char *b = getenv("DSTACK_VERIFY_BIN");
    return b && *b ? b : "build/bin/dstack-verify";
}

void rb_tmpdir(char out[128]) {
    snprintf(out, 128, "/tmp/dsrb.XXXXXX");
    assert_non_null(mkdtemp(out));
}

void rb_rmdir(const char *dir) {
    DIR *d = opendir(dir);
    if (!d) return;
    struct dirent *e;
    char p[512];
    while ((e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        unlink(p);
    }
    closedir(d);
    rmdir(dir);
}

double rb_now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec * 1e-6;
}

void rb_sleep_ms(int ms) {
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {}
}

int rb_connect(const char *sock) { return ds_unix_connect(sock); }

int rb_tcp_connect(int port) {
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
        int e = errno;
        close(fd);
        errno = e;
        fd = -1;
    }
    return fd;
}

int rb_start(rb_proc *p, const char *log, const char *ready_sock, const char *const *args,
             int *status) {
    return rb_start_bin(p, rb_sim_bin(), log, ready_sock, args, status);
}

int rb_start_bin(rb_proc *p, const char *bin, const char *log, const char *ready_sock,
                 const char *const *args, int *status) {
    size_t n = 0;
    while (args[n]) n++;
    const char **argv = calloc(n + 2, sizeof(*argv));
    assert_non_null(argv);
    argv[0] = bin;
    for (size_t i = 0; i < n; i++) argv[i + 1] = args[i];
    snprintf(p->log, sizeof p->log, "%s", log);
    int logfd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    assert_true(logfd >= 0);
    pid_t parent = getpid();
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent) _exit(1);
        dup2(logfd, 1);
        dup2(logfd, 2);
        execv(argv[0], (char *const *)argv);
        _exit(127);
    }
    free(argv);
    close(logfd);
    p->pid = pid;
    if (!ready_sock) return 0;
    for (double t0 = rb_now_ms(); rb_now_ms() - t0 < 60000;) {
        int fd = rb_connect(ready_sock);
        if (fd >= 0) {
            close(fd);
            return 0;
        }
        int st;
        if (waitpid(pid, &st, WNOHANG) == pid) {
            if (status) *status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
            p->pid = -1;
            return -1;
        }
        rb_sleep_ms(10);
    }
    rb_kill9(p);
    return -1;
}

int rb_start_serve(rb_proc *p, const char *log, const char *const *args) {
    static const char READY[] = "listening on http://127.0.0.1:";
    if (rb_start_bin(p, rb_verify_bin(), log, NULL, args, NULL) != 0) return -1;
    int port = 0;
    for (double t0 = rb_now_ms(); !port && rb_now_ms() - t0 < 60000; rb_sleep_ms(20)) {
        FILE *f = fopen(log, "r");
        char line[300];
        while (f && fgets(line, sizeof line, f)) {
            const char *m = strstr(line, READY);
            if (m) port = atoi(m + strlen(READY));
        }
        if (f) fclose(f);
        if (!port && !rb_alive(p)) {
            p->pid = -1; /* reaped by rb_alive */
            return -1;
        }
    }
    if (port > 0) return port;
    rb_kill9(p);
    return -1;
}

void rb_start_evidence_sim(rb_proc *sim, char dir[128], char sock[200]) {
    rb_tmpdir(dir);
    snprintf(sock, 200, "%s/d.sock", dir);
    char log[200];
    snprintf(log, sizeof log, "%s/sim.log", dir);
    const char *args[] = {
        "--config", "appkeys.json", "--compose", "app-compose.json", "--dstack-sock",
        sock,       "--tappd-sock", "",          "--no-stats",       NULL};
    assert_int_equal(rb_start(sim, log, sock, args, NULL), 0);
}

int rb_wait(rb_proc *p, int timeout_ms) {
    if (p->pid <= 0) return -1;
    for (double t0 = rb_now_ms();;) {
        int st;
        pid_t r = waitpid(p->pid, &st, WNOHANG);
        if (r == p->pid) {
            p->pid = -1;
            return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
        }
        if (rb_now_ms() - t0 >= timeout_ms) return -1;
        rb_sleep_ms(5);
    }
}

int rb_term(rb_proc *p) {
    if (p->pid <= 0) return -1;
    kill(p->pid, SIGTERM);
    int rc = rb_wait(p, 30000);
    if (rc < 0) {
        rb_kill9(p);
        rc = 128 + SIGKILL;
    }
    return rc;
}

void rb_kill9(rb_proc *p) {
    if (p->pid <= 0) return;
    kill(p->pid, SIGKILL);
    waitpid(p->pid, NULL, 0);
    p->pid = -1;
}

int rb_alive(rb_proc *p) {
    return p->pid > 0 && waitpid(p->pid, NULL, WNOHANG) == 0;
}

int rb_send_all(int fd, const void *p, size_t n) {
    size_t off = 0;
    while (off < n) {
        ssize_t w = send(fd, (const char *)p + off, n - off, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return -1;
        off += (size_t)w;
    }
    return 0;
}

void rb_resp_free(rb_resp *r) {
    free(r->body);
    memset(r, 0, sizeof(*r));
}

/* Parses a complete head in buf; returns its length, or 0 when incomplete. */
static size_t head_len(const char *buf, size_t len, long *clen, int *status, int *close_hdr) {
    const char *end = memmem(buf, len, "\r\n\r\n", 4);
    if (!end) return 0;
    *status = len >= 12 && !strncmp(buf, "HTTP/1.1 ", 9) ? atoi(buf + 9) : -1;
    *clen = -1;
    *close_hdr = 0;
    for (const char *p = buf; p < end;) {
        const char *eol = memchr(p, '\n', (size_t)(end - p));
        if (!eol) eol = end;
        if (!strncasecmp(p, "Content-Length:", 15)) *clen = atol(p + 15);
        if (!strncasecmp(p, "Connection: close", 17)) *close_hdr = 1;
        p = eol + 1;
    }
    return (size_t)(end - buf) + 4;
}

rb_outcome rb_read_response(int fd, int timeout_ms, rb_resp *r) {
    memset(r, 0, sizeof(*r));
    ds_buf b;
    ds_buf_init(&b);
    double t0 = rb_now_ms();
    rb_outcome out = RB_TIMEOUT;
    for (;;) {
        long clen;
        int status, close_hdr;
        size_t hl = b.len ? head_len(b.data, b.len, &clen, &status, &close_hdr) : 0;
        if (hl && status == 100) { /* interim: drop it */
            memmove(b.data, b.data + hl, b.len - hl);
            b.len -= hl;
            r->bytes += hl;
            continue;
        }
        if (hl && clen >= 0 && b.len >= hl + (size_t)clen) {
            r->status = status;
            r->conn_close = close_hdr;
            r->body = malloc((size_t)clen + 1);
            assert_non_null(r->body);
            memcpy(r->body, b.data + hl, (size_t)clen);
            r->body[clen] = '\0';
            r->body_len = (size_t)clen;
            r->bytes += b.len;
            out = RB_OK;
            break;
        }
        int left = timeout_ms - (int)(rb_now_ms() - t0);
        if (left <= 0) break;
        struct pollfd pf = {fd, POLLIN, 0};
        int pr = poll(&pf, 1, left);
        if (pr < 0 && errno == EINTR) continue;
        if (pr <= 0) break;
        char tmp[65536];
        ssize_t n = recv(fd, tmp, sizeof tmp, 0);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            int reset = n < 0;
            out = b.len + r->bytes ? RB_PARTIAL : reset ? RB_RESET : RB_EOF;
            r->bytes += b.len;
            break;
        }
        ds_buf_append(&b, tmp, (size_t)n);
    }
    ds_buf_free(&b);
    return out;
}

int rb_wait_closed(int fd, int timeout_ms) {
    double t0 = rb_now_ms();
    for (;;) {
        int left = timeout_ms - (int)(rb_now_ms() - t0);
        if (left <= 0) return 0;
        struct pollfd pf = {fd, POLLIN, 0};
        int pr = poll(&pf, 1, left);
        if (pr < 0 && errno == EINTR) continue;
        if (pr <= 0) return 0;
        char tmp[65536];
        ssize_t n = recv(fd, tmp, sizeof tmp, 0);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return 1;
    }
}

rb_outcome rb_exchange(const char *sock, const char *req, size_t len, int timeout_ms, rb_resp *r) {
    memset(r, 0, sizeof(*r));
    int fd = rb_connect(sock);
    assert_true(fd >= 0);
    rb_send_all(fd, req, len); /* the server may answer (413) before taking it all */
    rb_outcome o = rb_read_response(fd, timeout_ms, r);
    close(fd);
    return o;
}

void rb_get_quote(const char *sock, rb_resp *r) {
    static const char GQ[] =
        "POST /GetQuote HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        "Content-Length: 20\r\nConnection: close\r\n\r\n{\"report_data\":\"0a\"}";
    assert_int_equal(rb_exchange(sock, GQ, sizeof GQ - 1, 20000, r), RB_OK);
    assert_int_equal(r->status, 200);
}

void rb_assert_json_error(const rb_resp *r, int status, const char *needle) {
    if (r->status != status || !r->body || !strstr(r->body, needle))
        fprintf(stderr, "expected %d with \"%s\", got %d: %.300s\n", status, needle, r->status,
                r->body ? r->body : "(none)");
    assert_int_equal(r->status, status);
    cJSON *j = cJSON_ParseWithLength(r->body, r->body_len);
    assert_non_null(j);
    const cJSON *e = cJSON_GetObjectItemCaseSensitive(j, "error");
    assert_true(cJSON_IsString(e));
    assert_non_null(strstr(e->valuestring, needle));
    cJSON_Delete(j);
}

uint64_t rb_rss_kb(pid_t pid) {
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    FILE *f = fopen(path, "r");
    uint64_t kb = 0;
    while (f && fgets(line, sizeof line, f))
        if (!strncmp(line, "VmRSS:", 6)) kb = strtoull(line + 6, NULL, 10);
    if (f) fclose(f);
    return kb;
}

/* ---- load generator ---- */

const char *const RB_LOAD_KINDS[8] = {"GetKey", "Sign", "GetQuote", "Info", "Version",
                                      "GetMeta", "DeriveK256Key", "RawQuote"};

typedef struct {
    rb_load *l;
    int index;
} load_arg;

static void build_request(int kind, unsigned long n, int keepalive, ds_buf *b, int *tappd) {
    char body[512];
    const char *path, *method = "POST";
    body[0] = '\0';
    *tappd = 0;
    switch (kind) {
    case 0: path = "/GetKey"; snprintf(body, sizeof body, "{\"path\":\"soak/%lu\",\"purpose\":\"p\"}", n % 97); break;
    case 1: path = "/Sign"; snprintf(body, sizeof body, "{\"algorithm\":\"ed25519\",\"data\":\"%08lx\"}", n); break;
    case 2: path = "/GetQuote"; snprintf(body, sizeof body, "{\"report_data\":\"%016lx\"}", n); break;
    case 3: path = "/Info"; method = "GET"; break;
    case 4: path = "/Version"; method = "GET"; break;
    case 5: path = "/GetMeta"; method = "GET"; break;
    case 6: path = "/prpc/Tappd.DeriveK256Key"; *tappd = 1; snprintf(body, sizeof body, "{\"path\":\"k/%lu\"}", n % 13); break;
    default:
        path = "/prpc/Tappd.RawQuote";
        *tappd = 1;
        snprintf(body, sizeof body, "{\"report_data\":\"%0128lx\"}", n);
        break;
    }
    ds_buf_reset(b);
    ds_buf_printf(b, "%s %s HTTP/1.1\r\nHost: localhost\r\n%s", method, path,
                  keepalive ? "" : "Connection: close\r\n");
    if (!strcmp(method, "POST"))
        ds_buf_printf(b, "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n%s",
                      strlen(body), body);
    else
        ds_buf_puts(b, "\r\n");
}

static void note_failure(rb_load *l, const char *what, const char *kind) {
    atomic_fetch_add(&l->failed, 1);
    int expected = 0;
    if (atomic_compare_exchange_strong(&l->have_failure, &expected, 1))
        snprintf(l->first_failure, sizeof l->first_failure, "%s: %s", kind, what);
}

/* Whether an idle keep-alive connection was closed by the server (EOF or an error waiting to
 * be read): what any keep-alive client checks before it reuses a connection, so that a
 * graceful close between requests (a drain) is not mistaken for a reset. */
static int idle_conn_closed(int fd) {
    struct pollfd p = {fd, POLLIN, 0};
    if (poll(&p, 1, 0) <= 0) return 0;
    char c;
    return recv(fd, &c, 1, MSG_PEEK | MSG_DONTWAIT) <= 0;
}

static void *load_thread(void *arg) {
    load_arg *a = arg;
    rb_load *l = a->l;
    int fds[2] = {-1, -1};
    ds_buf req;
    ds_buf_init(&req);
    unsigned long n = (unsigned long)a->index * 1000003ul;
    int nkinds = l->tappd_sock ? 8 : 6;
    while (!atomic_load(&l->stop)) {
        int kind = (int)(n % (unsigned long)nkinds), tappd;
        build_request(kind, n, l->keepalive, &req, &tappd);
        n++;
        int *fd = &fds[tappd];
        if (*fd >= 0 && idle_conn_closed(*fd)) {
            close(*fd);
            *fd = -1;
        }
        if (*fd < 0) {
            *fd = rb_connect(tappd ? l->tappd_sock : l->dstack_sock);
            if (*fd < 0) {
                if (errno == ENOENT || errno == ECONNREFUSED) atomic_fetch_add(&l->refused, 1);
                else note_failure(l, strerror(errno), RB_LOAD_KINDS[kind]);
                rb_sleep_ms(5);
                continue;
            }
        }
        if (rb_send_all(*fd, req.data, req.len) != 0) { /* closed under us before a response */
            atomic_fetch_add(&l->refused, 1);
            close(*fd);
            *fd = -1;
            continue;
        }
        rb_resp r;
        rb_outcome o = rb_read_response(*fd, 20000, &r);
        if (o == RB_OK) {
            cJSON *j = cJSON_ParseWithLength(r.body, r.body_len);
            if (r.status == 200 && j) {
                atomic_fetch_add(&l->ok, 1);
                atomic_fetch_add(&l->per_kind[kind], 1);
            } else {
                char what[128];
                snprintf(what, sizeof what, "status %d, %.60s", r.status, r.body);
                note_failure(l, what, RB_LOAD_KINDS[kind]);
            }
            cJSON_Delete(j);
        } else if (o == RB_EOF) {
            atomic_fetch_add(&l->eof, 1);
            atomic_fetch_add(&l->refused, 1);
        } else {
            note_failure(l, o == RB_PARTIAL ? "response cut short" : o == RB_RESET ? "reset" : "timeout",
                         RB_LOAD_KINDS[kind]);
        }
        if (o != RB_OK || r.conn_close || !l->keepalive) {
            close(*fd);
            *fd = -1;
        }
        rb_resp_free(&r);
    }
    for (int i = 0; i < 2; i++)
        if (fds[i] >= 0) close(fds[i]);
    ds_buf_free(&req);
    free(a);
    return NULL;
}

void rb_load_start(rb_load *l, pthread_t *tids) {
    atomic_store(&l->stop, 0);
    for (int i = 0; i < l->threads; i++) {
        load_arg *a = malloc(sizeof(*a));
        assert_non_null(a);
        a->l = l;
        a->index = i;
        assert_int_equal(pthread_create(&tids[i], NULL, load_thread, a), 0);
    }
}

void rb_load_stop(rb_load *l, pthread_t *tids) {
    atomic_store(&l->stop, 1);
    for (int i = 0; i < l->threads; i++) pthread_join(tids[i], NULL);
}

/* ---- fault tally ---- */

static unsigned faults;

void rb_fault(unsigned n) {
    faults += n;
}

void rb_faults_report(const char *suite) {
    const char *path = getenv("ROBUST_FIGURES");
    if (!path || !*path) path = "build/robust/faults.tsv";
    printf("faults injected by %s: %u\n", suite, faults);
    FILE *f = fopen(path, "a");
    if (f) {
        fprintf(f, "%s\t%u\n", suite, faults);
        fclose(f);
    }
}
