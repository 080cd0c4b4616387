/* sim_testutil.h — helpers shared by the simulator integration suites (tests/sim/).
 *
 * Every suite starts its own simulators on temp sockets (ds_testsim) from a cmocka group
 * setup and stops them in the teardown; tu_stop asserts that the simulator exited cleanly
 * (status 0, sockets removed: with the ASan build this also means "no leak, no error").
 * Requests go over raw sockets (tu_request) so that the exact bytes are under test.
 * Tests run from the repository root (make does this).
 */
#ifndef SIM_TESTUTIL_H
#define SIM_TESTUTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <cjson/cJSON.h>

#include "ds_testsim.h"

/* Starts a simulator with the given extra arguments (NULL-terminated). Fails the test
 * run on error. Returns a heap-allocated handle. */
ds_testsim *tu_start(const char *const *args);

/* Runs the simulator ($DSTACK_SIMULATOR_BIN or build/bin/dstack-simulator) with argv
 * (argv[0] included, NULL-terminated) to its exit, stdout discarded. Returns its exit
 * status (128+signal when killed); msg, when given, gets the first line of its stderr. */
int tu_run(const char *const *argv, char *msg, size_t cap);
/* A loopback TCP port that was free a moment ago (bind to port 0, read it back). */
int tu_free_port(void);
/* Sends the simulator SIGTERM and returns its log (malloc'd) once the log contains
 * `until` (polled for up to 10 s; the caller asserts on what it needs). Stop it with
 * tu_stop afterwards. */
char *tu_term_log(ds_testsim *ts, const char *until);
/* One request over TCP to 127.0.0.1:port, read to EOF (the request should say
 * Connection: close). Returns the raw response (malloc'd, NUL-terminated). */
char *tu_tcp_request(int port, const char *req);
/* GET target on the TCP listener at 127.0.0.1:port (Connection: close): *status and the
 * body (malloc'd, NUL-terminated); asserts the answer parses as an HTTP response. */
char *tu_tcp_get(int port, const char *target, int *status);
/* GET /metrics from the TCP listener on port, asserting a 200 in Prometheus text format.
 * Returns the raw response (malloc'd). */
char *tu_scrape(int port);
/* The value of the sample line "series value" in a scrape (asserted present). */
unsigned long long tu_sample(const char *text, const char *series);
/* Stops it and asserts a clean exit; frees the handle. Returns 0 on success (for group
 * teardowns), -1 otherwise. */
int tu_stop(ds_testsim *ts);

/* Sends len bytes to the Unix socket; with half_close, shuts down the write side after
 * sending. Reads until EOF or until timeout_ms of silence, or, with stop_after_response,
 * until one complete response (by Content-Length) arrived. Returns the bytes received
 * (malloc'd, NUL-terminated) and their count in *out_len; *closed tells whether the
 * server closed the connection. */
char *tu_exchange(const char *sock, const void *req, size_t len, int half_close,
                  int stop_after_response, int timeout_ms, size_t *out_len, int *closed);

/* Parses the first HTTP response in buf: status, body and body length. Returns 0, or -1
 * when it is not a complete HTTP/1.1 response with Content-Length. *consumed = bytes of
 * that response. */
int tu_parse_response(const char *buf, size_t len, int *status, const char **body, size_t *body_len,
                      size_t *consumed);

/* One request on a fresh connection (Connection: close; json NULL: no body). Returns the
 * exact body (malloc'd, NUL-terminated) and the status; *head (if not NULL) gets the
 * status line and headers (malloc'd). */
char *tu_raw(const char *sock, const char *method, const char *target, const char *json,
             int *status, char **head);
/* One request on a fresh connection (Connection: close); returns the parsed JSON body
 * (asserting it is JSON) and the status. */
cJSON *tu_post(const char *sock, const char *path, const char *json, int *status);
cJSON *tu_get(const char *sock, const char *target, int *status);
/* POST and assert 200; returns the body. */
cJSON *tu_ok(const char *sock, const char *path, const char *json);
/* POST and assert 400 with an error message containing `needle`. */
void tu_err(const char *sock, const char *path, const char *json, const char *needle);

/* A string member (asserted present). */
const char *tu_str(const cJSON *o, const char *name);
/* Hex decode of exactly n bytes (asserted). */
void tu_hex(const char *hex, uint8_t *out, size_t n);
/* Hex decode of any length (malloc'd). */
uint8_t *tu_hex_alloc(const char *hex, size_t *n);
/* Asserts the object's member names are exactly `names` (NULL-terminated), in order. */
void tu_assert_fields(const cJSON *o, const char *const *names);
/* Reads a file (asserted), NUL-terminated. */
char *tu_read(const char *path, size_t *len);
/* The "kms_root_key" of appkeys.json. */
void tu_repo_root_key(uint8_t key[32]);

#endif
