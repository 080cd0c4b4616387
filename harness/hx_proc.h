/* hx_proc.h — process plumbing for the harness: free loopback ports, spawning tools with
 * their output in a log file, checking whether a pid is really alive, stopping processes
 * without leaving zombies of our own, and finding the pinned tools (anvil, forge, cast,
 * dstack-simulator).
 */
#ifndef HX_PROC_H
#define HX_PROC_H

#include <stddef.h>
#include <sys/types.h>

/* A TCP port on 127.0.0.1 that was free a moment ago (bind to port 0, read it back).
 * Returns the port, or -1. */
int hx_free_port(void);

/* Whether something accepts TCP connections on 127.0.0.1:port. */
int hx_port_open(int port);
/* Whether 127.0.0.1:port still accepts connections after up to timeout_ms of waiting for
 * it to close (polled every 50 ms): a process just stopped can leave its port answering
 * for a moment on a loaded machine. */
int hx_port_open_after(int port, int timeout_ms);

/* Starts argv[0] (a path) with stdin from /dev/null and stdout/stderr appended to
 * log_path (NULL: /dev/null), in its own session (so a terminal's Ctrl-C reaches only
 * the harness, which stops what it started). Returns the pid, or -1 with a message in
 * err. The process is our child until we exit. */
pid_t hx_spawn(char *const argv[], const char *log_path, char *err, size_t errcap);

/* On SIGINT/SIGTERM/SIGHUP: SIGTERM every process hx_spawn started and hx_proc_stop has
 * not stopped yet, reap them, and exit 130. Call once at start-up. hx_proc_forget(pid)
 * removes a process from that list (for processes meant to outlive the harness). */
void hx_proc_cleanup_on_signal(void);
void hx_proc_forget(pid_t pid);

/* 1 when pid exists and is not a zombie, else 0. Reaps it first when it is our child
 * and has exited. */
int hx_proc_alive(pid_t pid);

/* Whether /proc/pid/cmdline contains every non-NULL needle as one of its arguments or as
 * a substring of one (used to make sure a recorded pid is still the process we started
 * before signalling it). */
int hx_proc_matches(pid_t pid, const char *needle1, const char *needle2);

/* SIGTERM, then wait up to timeout_ms (reaping it when it is our child), then SIGKILL
 * and wait again. Returns 0 when it is gone, -1 when it could not be stopped.
 * *exit_status (may be NULL) gets its exit status when we reaped it, else -1. */
int hx_proc_stop(pid_t pid, int timeout_ms, int *exit_status);

/* Finds a tool: $env_var if set (must be executable), else the repository's pinned copy
 * (node_modules/@foundry-rs/<name>-linux-amd64/bin/<name>, or build/bin/<name> for our
 * own binaries) looked up from the working directory and from the harness executable's
 * location, else $PATH. Returns 0 with the path in out, -1 when not found. */
int hx_find_tool(const char *name, const char *env_var, char *out, size_t cap);

/* The repository root: the nearest directory, from the working directory then from the
 * executable upwards, that holds both Makefile and contracts/. Returns 0 or -1. */
int hx_repo_root(char *out, size_t cap);

/* The last lines of a log file (at most cap-1 bytes, whole lines when possible) into out,
 * "" when unreadable. Returns out. */
char *hx_log_tail(const char *path, char *out, size_t cap);

/* Milliseconds from a monotonic clock. */
long hx_now_ms(void);
void hx_sleep_ms(long ms);

#endif
