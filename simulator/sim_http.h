/* sim_http.h — a small HTTP/1.1 server on libevent bufferevents.
 *
 * Written for the dstack clients rather than on evhttp so that every edge is ours:
 * requests split over many small writes, keep-alive and pipelining, the JS SDK's
 * half-close (it shuts its write side after the request and waits for our close),
 * Expect: 100-continue (curl), truncated bodies (a JSON 400, then close), a body cap
 * (JSON 413), header limits, idle timeouts. Every response has Content-Length; every
 * response body, errors included, is produced by the handler or is JSON.
 *
 * One sim_server runs on one event_base; handlers run synchronously on its thread.
 */
#ifndef SIM_HTTP_H
#define SIM_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include <event2/event.h>

#include "ds_json.h"

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
} sim_http_request;

/* Fills *status (200/400/…) and the JSON body. */
typedef void (*sim_http_handler)(void *ctx, const sim_http_request *req, int *status,
                                 ds_buf *body);

typedef struct sim_server sim_server;

typedef struct {
    size_t max_body;          /* bytes; larger declared bodies get 413 */
    size_t max_header;        /* bytes of request line + headers */
    int idle_timeout_sec;     /* idle keep-alive / slow client limit */
} sim_http_limits;

sim_server *sim_server_new(struct event_base *base, const sim_http_limits *limits);
/* Serves HTTP on a listening socket fd (takes ownership; closes it on free). */
int sim_server_add_listener(sim_server *srv, int fd, sim_http_handler handler, void *ctx);
/* Number of open connections (for tests and shutdown). */
size_t sim_server_connections(const sim_server *srv);
/* Closes every listener and connection. */
void sim_server_free(sim_server *srv);

#endif
