/* robust_util.h — helpers of the robustness suites (tests/robust/): simulator processes
 * the tests start, kill and restart themselves (on sockets and journals of their choice),
 * raw HTTP over Unix sockets with exact outcomes, a multi-threaded load generator, RSS
 * sampling, and the fault tally that feeds docs/reliability.md.
 *
 * Every process started here gets SIGKILL if the test dies (PR_SET_PDEATHSIG), so a
 * failing test never leaves a simulator behind. Traffic goes only to Unix sockets and
 * loopback.
 */
#ifndef ROBUST_UTIL_H
#define ROBUST_UTIL_H

#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <cmocka.h>

typedef struct {
    pid_t pid;
    char log[300];
} rb_proc;

/* The simulator binary: $DSTACK_SIMULATOR_BIN or build/bin/dstack-simulator. */
const char *rb_sim_bin(void);
/* The verifier binary: $DSTACK_VERIFY_BIN or build/bin/dstack-verify. */
const char *rb_verify_bin(void);
/* A fresh temporary directory (short path: sun_path holds 108 bytes). Asserted. */
void rb_tmpdir(char out[128]);
/* Removes the files in dir, then dir. */
void rb_rmdir(const char *dir);

/* Starts the simulator with args (NULL-terminated), stdout and stderr appended to log.
 * With ready_sock, waits until that socket accepts (60 s, enough for valgrind). Returns
 * 0; or -1 when it exited first (*status, if given, gets its exit status) or never
 * became ready (it is then killed). */
int rb_start(rb_proc *p, const char *log, const char *ready_sock, const char *const *args,
             int *status);
/* The same for another binary (argv[0] = bin). */
int rb_start_bin(rb_proc *p, const char *bin, const char *log, const char *ready_sock,
                 const char *const *args, int *status);
/* Starts `dstack-verify` with args (NULL-terminated; a `serve` listening on 127.0.0.1:0),
 * output appended to log, and waits (60 s) for its "listening on http://127.0.0.1:PORT"
 * line. Returns PORT; or -1 when it exited first or never said so (it is then killed). */
int rb_start_serve(rb_proc *p, const char *log, const char *const *args);
/* For the verifier suites: a fresh temporary directory in dir and a simulator (appkeys.json,
 * app-compose.json, no tappd socket, log dir/sim.log) serving dir/d.sock, whose path goes
 * to sock; returns once the socket accepts. Asserted. */
void rb_start_evidence_sim(rb_proc *sim, char dir[128], char sock[200]);
/* Waits for the process: exit status, 128+signal, or -1 after timeout_ms. */
int rb_wait(rb_proc *p, int timeout_ms);
/* SIGTERM and wait (30 s, then SIGKILL): its exit status. */
int rb_term(rb_proc *p);
void rb_kill9(rb_proc *p);
/* Whether it is still running. */
int rb_alive(rb_proc *p);

/* Connects to a Unix socket: fd, or -1 (errno kept). */
int rb_connect(const char *sock);
/* Connects to 127.0.0.1:port over TCP: fd, or -1 (errno kept). */
int rb_tcp_connect(int port);
/* Sends everything (MSG_NOSIGNAL): 0, or -1 (errno kept). */
int rb_send_all(int fd, const void *p, size_t n);

typedef enum {
    RB_OK = 0,        /* a complete response */
    RB_EOF = 1,       /* the server closed before sending a byte */
    RB_PARTIAL = 2,   /* the server closed (or reset) in the middle of a response */
    RB_RESET = 3,     /* ECONNRESET before any byte */
    RB_TIMEOUT = 4,   /* nothing complete within the time allowed */
} rb_outcome;

typedef struct {
    int status;
    int conn_close;   /* "Connection: close" was in the head */
    char *body;       /* malloc'd, NUL-terminated */
    size_t body_len;
    size_t bytes;     /* bytes received in all */
} rb_resp;

/* Reads one response (Content-Length framed; a 100 Continue is skipped). */
rb_outcome rb_read_response(int fd, int timeout_ms, rb_resp *r);
void rb_resp_free(rb_resp *r);
/* Waits until the peer closes: 1 on EOF/reset, 0 on timeout. Discards what it reads. */
int rb_wait_closed(int fd, int timeout_ms);
/* One request on a fresh connection: the outcome, with the response in r. */
rb_outcome rb_exchange(const char *sock, const char *req, size_t len, int timeout_ms, rb_resp *r);
/* GetQuote with report_data 0a over the simulator's socket, the 200 response in r
 * (asserted). */
void rb_get_quote(const char *sock, rb_resp *r);
/* Asserts a JSON error: status, a JSON body with "error" containing needle. */
void rb_assert_json_error(const rb_resp *r, int status, const char *needle);

/* Resident set size of a process, in KiB (0 when unknown). */
uint64_t rb_rss_kb(pid_t pid);
/* Milliseconds on CLOCK_MONOTONIC. */
double rb_now_ms(void);
void rb_sleep_ms(int ms);

/* ---- load generator ---- */
typedef struct {
    const char *dstack_sock, *tappd_sock;
    int threads;
    int keepalive;                    /* 0: one connection per request */
    atomic_int stop;
    atomic_uint_fast64_t ok, eof, failed, refused;
    atomic_uint_fast64_t per_kind[8];
    char first_failure[256];          /* what the first failure was */
    atomic_int have_failure;
} rb_load;

/* Starts threads that loop over a mix of requests (GetKey, Sign, GetQuote, Info,
 * Version, GetMeta, tappd DeriveK256Key, tappd RawQuote), checking each is a 200 with a
 * JSON body. ok: complete 200s; refused: connect refused / socket gone, or EOF before
 * any byte of a response (the server closing an idle keep-alive connection); failed:
 * anything else (partial or non-200 response, reset, timeout, bad JSON). */
void rb_load_start(rb_load *l, pthread_t *tids);
void rb_load_stop(rb_load *l, pthread_t *tids);
extern const char *const RB_LOAD_KINDS[8];

/* ---- fault tally ---- */
/* Counts n injected faults for the current suite; rb_faults_report appends
 * "<suite>\t<n>" to $ROBUST_FIGURES (default build/robust/faults.tsv) and prints it. */
void rb_fault(unsigned n);
void rb_faults_report(const char *suite);

#endif
