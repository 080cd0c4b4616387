/* fuzz_http.c — libFuzzer target: the simulator's HTTP request path end to end, in
 * process: bytes → the real HTTP/1.1 server (sim_http.c on a libevent bufferevent) →
 * router (query strings, JSON bodies) → method handlers on a real simulator state →
 * response bytes.
 *
 * Each input is written, as a client would, into one end of a socketpair whose other end
 * the server adopts (sim_server_adopt), then the client half-closes; the event loop runs
 * until the server closes the connection. The same bytes go to each listener's router
 * (dstack, tappd, external, TCP) of a simulator at --agent-version 0.6.0, whose surfaces
 * are a superset of 0.5.11's (/v0, /v1, the Worker API v0 and v1). Invariants (a violation aborts):
 *   - the server always finishes: it answers and closes within a bounded number of loop
 *     turns once the client has half-closed (no hang, no lost connection);
 *   - the output is a sequence of well-formed HTTP/1.1 responses, each with a
 *     Content-Length that matches its body; JSON bodies parse as JSON;
 *   - a request whose head is complete gets at least one response.
 * Between inputs the event log is cut back to its boot length (EmitEvent would otherwise
 * make runs depend on history).
 */
#define _GNU_SOURCE /* memmem */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <event2/event.h>

#include "fuzz_util.h"
#include "sim_config.h"
#include "sim_http.h"
#include "sim_methods.h"
#include "sim_state.h"

#define MAX_TURNS 200000
#define MAX_OUT (16u << 20)

static sim_config cfg;
static sim_state st;
static struct event_base *base;
static sim_server *srv;
static size_t boot_events;

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc;
    (void)argv;
    signal(SIGPIPE, SIG_IGN);
    const char *conf = getenv("DSTACK_FUZZ_CONFIG");
    char *args[] = {"dstack-simulator",
                    "--config",
                    (char *)(conf ? conf : "appkeys.json"),
                    "--quiet",
                    "--agent-version",
                    "0.6.0",
                    NULL};
    sim_config_init(&cfg);
    char err[512];
    if (sim_config_from_args(&cfg, 6, args) != 0 || sim_state_init(&st, &cfg, err, sizeof err)) {
        fprintf(stderr, "fuzz_http: cannot build the simulator state (run from the repository "
                        "root or set DSTACK_FUZZ_CONFIG)\n");
        abort();
    }
    boot_events = st.log.n;
    base = event_base_new();
    /* Small limits, so that the fuzzer reaches 413 and 431. */
    sim_http_limits lim = {.max_body = 2048, .max_header = 2048, .idle_timeout_sec = 60};
    srv = base ? sim_server_new(base, &lim) : NULL;
    if (!srv) abort();
    return 0;
}

/* Cuts the event log back to the boot events and drops the caches built from it. */
static void reset_log(void) {
    pthread_mutex_lock(&st.lock);
    for (size_t i = boot_events; i < st.log.n; i++) {
        free(st.log.ev[i].event);
        free(st.log.ev[i].payload);
    }
    st.log.n = boot_events;
    st.runtime_events = 0;
    st.runtime_bytes = 0;
    for (int i = 0; i < SIM_CACHE_COUNT; i++) {
        sim_cache_release(st.cache[i]);
        st.cache[i] = NULL;
    }
    pthread_mutex_unlock(&st.lock);
}

/* Checks that out[0..len) is a sequence of complete responses; returns how many. */
static size_t check_responses(const char *out, size_t len) {
    size_t n = 0, at = 0;
    while (at < len) {
        const char *p = out + at;
        size_t left = len - at;
        const char *end = memmem(p, left, "\r\n\r\n", 4);
        FZ_CHECK(end != NULL);
        size_t hl = (size_t)(end - p) + 4;
        FZ_CHECK(left >= 13 && !memcmp(p, "HTTP/1.1 ", 9));
        int status = atoi(p + 9);
        FZ_CHECK(status >= 100 && status <= 599);
        if (status == 100) {
            at += hl;
            continue;
        }
        long clen = -1;
        int json = 0;
        for (const char *h = memchr(p, '\n', hl) + 1; h < end;) {
            const char *e = memchr(h, '\n', (size_t)(end + 2 - h));
            FZ_CHECK(e != NULL);
            if (!strncasecmp(h, "Content-Length:", 15)) {
                FZ_CHECK(clen < 0); /* exactly one */
                clen = strtol(h + 15, NULL, 10);
            } else if (!strncasecmp(h, "Content-Type: application/json", 30)) {
                json = 1;
            }
            h = e + 1;
        }
        FZ_CHECK(clen >= 0 && (size_t)clen <= left - hl);
        if (json) {
            cJSON *j = cJSON_ParseWithLength(p + hl, (size_t)clen);
            FZ_CHECK(j != NULL);
            cJSON_Delete(j);
        }
        at += hl + (size_t)clen;
        n++;
    }
    return n;
}

static void one_connection(const uint8_t *data, size_t size, sim_http_handler handler) {
    int sv[2];
    FZ_CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) == 0);
    FZ_CHECK(sim_server_adopt(srv, sv[0], handler, &st) == 0);
    size_t off = 0, olen = 0, ocap = 1 << 16;
    char *out = malloc(ocap);
    FZ_CHECK(out != NULL);
    int wr_done = 0, closed = 0;
    for (int turn = 0; turn < MAX_TURNS && !closed; turn++) {
        if (!wr_done) {
            ssize_t w = off < size ? write(sv[1], data + off, size - off) : 0;
            if (w > 0) off += (size_t)w;
            if (off == size || (w < 0 && errno != EAGAIN)) {
                shutdown(sv[1], SHUT_WR);
                wr_done = 1;
            }
        }
        event_base_loop(base, EVLOOP_NONBLOCK);
        for (;;) {
            if (olen == ocap) {
                FZ_CHECK(ocap < MAX_OUT);
                ocap *= 2;
                out = realloc(out, ocap);
                FZ_CHECK(out != NULL);
            }
            ssize_t r = read(sv[1], out + olen, ocap - olen);
            if (r > 0) {
                olen += (size_t)r;
            } else {
                if (r == 0)
                    closed = 1;
                else
                    FZ_CHECK(errno == EAGAIN || errno == ECONNRESET);
                if (r < 0 && errno == ECONNRESET) closed = 1;
                break;
            }
        }
    }
    if (!closed) {
        fprintf(stderr, "fuzz_http: the server neither finished nor closed the connection\n");
        abort();
    }
    FZ_CHECK(sim_server_connections(srv) == 0);
    size_t responses = check_responses(out, olen);
    /* A complete head (after the stray CRLFs the server skips) must be answered. */
    size_t skip = 0;
    while (skip < size && (data[skip] == '\r' || data[skip] == '\n'))
        skip++;
    if (memmem(data + skip, size - skip, "\r\n\r\n", 4)) FZ_CHECK(responses >= 1);
    free(out);
    close(sv[1]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    one_connection(data, size, sim_route_dstack);
    one_connection(data, size, sim_route_tappd);
    one_connection(data, size, sim_route_external);
    one_connection(data, size, sim_route_tcp);
    reset_log();
    return 0;
}
