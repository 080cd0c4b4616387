/* sim_http.h — a small HTTP/1.1 server on libevent bufferevents.
 *
 * Written for the dstack clients rather than on evhttp so that every edge is ours:
 * requests split over many small writes, keep-alive and pipelining, the JS SDK's
 * half-close (it shuts its write side after the request and waits for our close),
 * Expect: 100-continue (curl), truncated bodies (a JSON 400, then close), a body cap
 * (JSON 413), Transfer-Encoding: chunked bodies (within the same cap), header limits,
 * idle timeouts. Every response has Content-Length; every
 * response body, errors included, is produced by the handler or is JSON.
 *
 * One sim_server runs on one event_base; handlers run synchronously on its thread. Several
 * servers (one per worker thread) may serve the same listening sockets: one of them
 * accepts and hands each connection to a server of its choice (sim_server_set_acceptor,
 * sim_server_adopt); a connection then stays on that server's thread for its lifetime.
 */
#ifndef SIM_HTTP_H
#define SIM_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include <event2/event.h>

#include "ds_json.h"
#include "sim_limits.h"

typedef struct {
    const char *method;       /* "GET", "POST", … */
    const char *path;         /* target path, without the query (not decoded) */
    const char *query;        /* after '?', or NULL */
    const char *content_type; /* header value or NULL */
    const uint8_t *body;
    size_t body_len;
    /* Reply metadata a handler may set; the defaults are application/json and no extra
     * headers. reply_headers takes whole lines, each "Name: value\r\n". */
    const char **reply_content_type;
    ds_buf *reply_headers;
    /* What the handler served, for the observer (-1 unless the handler sets it). */
    int *reply_method;
    /* Index of the worker serving the request (sim_server_set_worker; 0 by default):
     * handlers keep per-worker state under it (sim_keymemo.h). */
    int worker;
} sim_http_request;

/* Fills *status (200/400/…) and the JSON body. */
typedef void (*sim_http_handler)(void *ctx, const sim_http_request *req, int *status,
                                 ds_buf *body);

typedef struct sim_server sim_server;

/* Replaces out with upstream's error body for msg: {"error": msg} pretty-printed as
 * serde_json::to_string_pretty writes it ("{\n  \"error\": \"…\"\n}"). Every error the
 * simulator answers has this shape. */
void sim_http_error_json(ds_buf *out, const char *msg);

typedef struct {
    size_t max_body;          /* bytes; larger declared bodies get 413 */
    size_t max_header;        /* bytes of request line + headers */
    int idle_timeout_sec;     /* idle keep-alive / slow client limit */
    int request_timeout_sec;  /* from a request's first byte to its last: a client that
                                 dribbles (slowloris) gets a JSON 408 and is closed (30) */
} sim_http_limits;

/* Called once per response: method as the handler set it (-1: the request never reached
 * the handler, e.g. a malformed head), the HTTP status and the time from the complete
 * request to the queued response, in ns. status 0: a connection dropped by a timeout. */
typedef void (*sim_http_observer)(void *arg, int method, int status, uint64_t ns);

/* Decides where an accepted connection goes: returns 0 after handing fd (with its
 * handler and ctx) to another server, or -1 to serve it on the accepting server. */
typedef int (*sim_http_acceptor)(void *arg, int fd, sim_http_handler handler, void *ctx);

sim_server *sim_server_new(struct event_base *base, const sim_http_limits *limits);
void sim_server_set_observer(sim_server *srv, sim_http_observer fn, void *arg);
/* The worker index every request on srv carries (sim_http_request.worker). */
void sim_server_set_worker(sim_server *srv, int worker);
void sim_server_set_acceptor(sim_server *srv, sim_http_acceptor fn, void *arg);
/* Serves an already accepted, non-blocking connection on srv (takes ownership of fd,
 * closes it on failure). Call on srv's thread. Returns 0 or -1. */
int sim_server_adopt(sim_server *srv, int fd, sim_http_handler handler, void *ctx);
/* Serves HTTP on a listening socket fd (takes ownership; closes it on free). */
int sim_server_add_listener(sim_server *srv, int fd, sim_http_handler handler, void *ctx);
/* Counts srv's connections in limit (shared by every worker's server): over limit->max,
 * new connections get a JSON 503 (sim_limits.h). Set before the first connection. */
void sim_server_set_conn_limit(sim_server *srv, sim_connlimit *limit);
/* Graceful shutdown, on srv's thread: closes the listeners, closes idle keep-alive
 * connections (lingering close), and lets each connection with a request in flight finish
 * it (answered with Connection: close). sim_server_connections reaches 0 when done. */
void sim_server_drain(sim_server *srv);
/* Number of open connections (for tests and shutdown). */
size_t sim_server_connections(const sim_server *srv);
/* Closes every listener and connection. */
void sim_server_free(sim_server *srv);

#endif
