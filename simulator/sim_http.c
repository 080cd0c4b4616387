/* sim_http.c — HTTP/1.1 over bufferevents: parse, dispatch, respond, close well.
 *
 * Connection life cycle:
 *   HEAD     waiting for "\r\n\r\n" (capped at max_header); then headers are parsed
 *   BODY     waiting for Content-Length bytes (capped at max_body); then the handler runs
 *            and the response is queued; back to HEAD (keep-alive, pipelining) or CLOSING
 *   CLOSING  no more requests: once the output is flushed, shut our write side down and
 *            discard input until the peer's EOF (a lingering close, so a client that is
 *            still sending never gets a reset in place of its response)
 * Peer EOF (a half-close) in HEAD with nothing pending closes; in BODY it answers a JSON
 * 400 "truncated body" first. Errors and timeouts free the connection at once.
 *
 * Deadlines: no byte either way for idle_timeout_sec closes; a request must be complete
 * within request_timeout_sec of its first byte (else a JSON 408: slowloris); a lingering
 * close lasts at most 2 s whatever the client sends. Over the connection limit
 * (sim_limits.h) a connection is answered a JSON 503 and closed. sim_server_drain is the
 * graceful shutdown.
 */
#include "sim_http.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/listener.h>
#include <event2/util.h>

#include "ds_http.h"
#include "sim_http_parse.h"
#include "sim_limits.h"

#define OUTPUT_PAUSE_BYTES (4u << 20)
#define MAX_CONNECTIONS 16384

enum { C_HEAD, C_BODY, C_CLOSING };

struct sim_listener {
    struct evconnlistener *evl;
    sim_http_handler handler;
    void *ctx;
    sim_server *srv;
    struct sim_listener *next;
};

typedef struct sim_conn {
    sim_server *srv;
    sim_http_handler handler;
    void *ctx;
    struct bufferevent *bev;
    int state;
    int keep_alive;
    int http10;
    int peer_eof;
    int paused;
    int expect_continue;
    int chunked;              /* the body comes with Transfer-Encoding: chunked */
    sim_chunked dec;          /* its decoder (chunked only) */
    size_t body_len;
    char *head;               /* request line + headers (owned) */
    const char *method, *target, *content_type;
    struct event *deadline;   /* request (slowloris) and lingering-close deadline */
    int verdict;              /* sim_conn_verdict of its slot in srv->limit (0: none) */
    struct sim_conn *prev, *next;
} sim_conn;

struct sim_server {
    struct event_base *base;
    sim_http_limits lim;
    struct sim_listener *listeners;
    sim_conn *conns;
    size_t nconns;
    sim_http_observer observe;
    void *observe_arg;
    sim_http_acceptor acceptor;
    void *acceptor_arg;
    sim_connlimit *limit;     /* shared by every worker's server, or NULL */
    int draining;             /* sim_server_drain: finish what is in flight, then close */
    int worker;               /* sim_server_set_worker */
};

static uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void observe(sim_conn *c, int method, int status, uint64_t ns) {
    if (c->srv->observe) c->srv->observe(c->srv->observe_arg, method, status, ns);
}

static void conn_process(sim_conn *c);

static void conn_free(sim_conn *c) {
    sim_server *s = c->srv;
    if (c->prev) c->prev->next = c->next;
    else s->conns = c->next;
    if (c->next) c->next->prev = c->prev;
    s->nconns--;
    bufferevent_free(c->bev);
    if (c->deadline) event_free(c->deadline);
    if (s->limit && c->verdict) sim_connlimit_release(s->limit, (sim_conn_verdict)c->verdict);
    free(c->head);
    sim_chunked_free(&c->dec);
    free(c);
}

static const char *reason(int status) {
    const char *r = ds_http_reason(status);
    return r ? r : "Unknown";
}

/* Writes a response; ctype NULL means application/json, extra (whole header lines) may
 * be NULL. When nothing is queued before it, the response goes straight to the socket
 * (one sendmsg), and only what the socket does not take is queued on the bufferevent:
 * a typical response then costs no write-readiness round trip through the event loop. */
static void send_response_ex(sim_conn *c, int status, const char *ctype, const ds_buf *extra,
                             const char *body, size_t len) {
    struct evbuffer *out = bufferevent_get_output(c->bev);
    const char *conn_hdr = !c->keep_alive ? "Connection: close\r\n"
                           : c->http10    ? "Connection: keep-alive\r\n"
                                          : "";
    char head[384];
    int hl = snprintf(head, sizeof head,
                      "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n%s", status,
                      reason(status), ctype ? ctype : "application/json", len, conn_hdr);
    if (hl < 0 || (size_t)hl >= sizeof head) {
        evbuffer_add_printf(out, "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n%s",
                            status, reason(status), ctype ? ctype : "application/json", len, conn_hdr);
        hl = 0;
    }
    struct iovec iov[4] = {
        {head, (size_t)hl},
        {extra && extra->data ? extra->data : NULL, extra && extra->data ? extra->len : 0},
        {(void *)"\r\n", 2},
        {(void *)body, len}};
    size_t sent = 0;
    if (evbuffer_get_length(out) == 0) {
        struct msghdr mh;
        memset(&mh, 0, sizeof mh);
        mh.msg_iov = iov;
        mh.msg_iovlen = 4;
        ssize_t n = sendmsg(bufferevent_getfd(c->bev), &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n > 0) sent = (size_t)n; /* errors: queue it all; the bufferevent reports them */
    }
    for (int i = 0; i < 4; i++) {
        if (sent >= iov[i].iov_len) {
            sent -= iov[i].iov_len;
            continue;
        }
        evbuffer_add(out, (const char *)iov[i].iov_base + sent, iov[i].iov_len - sent);
        sent = 0;
    }
}

static void send_response(sim_conn *c, int status, const char *body, size_t len) {
    send_response_ex(c, status, NULL, NULL, body, len);
}

/* Lingering close: our side is done once the output is flushed. */
static void finish_close(sim_conn *c) {
    if (c->peer_eof) {
        conn_free(c);
        return;
    }
    shutdown(bufferevent_getfd(c->bev), SHUT_WR);
    struct timeval tv = {2, 0};
    bufferevent_set_timeouts(c->bev, &tv, &tv);
    bufferevent_enable(c->bev, EV_READ);
    evtimer_add(c->deadline, &tv); /* absolute: a client dribbling bytes cannot hold it open */
}

static void start_closing(sim_conn *c) {
    c->state = C_CLOSING;
    c->keep_alive = 0;
    if (evbuffer_get_length(bufferevent_get_output(c->bev)) == 0) finish_close(c);
}

void sim_http_error_json(ds_buf *out, const char *msg) {
    ds_buf_reset(out);
    ds_buf_puts(out, "{\n  \"error\": ");
    ds_buf_json_str(out, msg, strlen(msg));
    ds_buf_puts(out, "\n}");
}

/* Sends {"error": msg} with status and closes the connection afterwards. */
static void fail(sim_conn *c, int status, const char *msg) {
    ds_buf b;
    ds_buf_init(&b);
    sim_http_error_json(&b, msg);
    c->keep_alive = 0;
    if (!b.oom) send_response(c, status, b.data, b.len);
    ds_buf_free(&b);
    observe(c, -1, status, 0);
    start_closing(c);
}

static void dispatch(sim_conn *c, const uint8_t *body) {
    sim_http_request req;
    char *q = strchr(c->target, '?');
    ds_buf path;
    ds_buf_init(&path);
    ds_buf_append(&path, c->target, q ? (size_t)(q - c->target) : strlen(c->target));
    req.method = c->method;
    req.path = path.data ? path.data : "";
    req.query = q ? q + 1 : NULL;
    req.content_type = c->content_type;
    req.body = body;
    req.body_len = c->body_len;
    const char *ctype = NULL;
    ds_buf headers;
    ds_buf_init(&headers);
    req.reply_content_type = &ctype;
    req.reply_headers = &headers;
    int status = 500, method = -1;
    req.reply_method = &method;
    req.worker = c->srv->worker;
    ds_buf out;
    ds_buf_init(&out);
    uint64_t t0 = c->srv->observe ? now_ns() : 0;
    if (!path.oom) c->handler(c->ctx, &req, &status, &out);
    if (path.oom || out.oom || headers.oom) {
        static const char oom[] = "{\n  \"error\": \"out of memory\"\n}";
        send_response(c, 500, oom, sizeof oom - 1);
    } else {
        send_response_ex(c, status, ctype, &headers, out.data ? out.data : "null",
                         out.data ? out.len : 4);
    }
    if (c->srv->observe) observe(c, method, path.oom || out.oom || headers.oom ? 500 : status,
                                 now_ns() - t0);
    ds_buf_free(&headers);
    ds_buf_free(&out);
    ds_buf_free(&path);
}

/* Feeds what has arrived of a chunked body to the decoder. Returns SIM_CHUNKED_MORE (wait),
 * SIM_CHUNKED_DONE (the body is whole), or -1 after answering an error. */
static int feed_chunked(sim_conn *c, struct evbuffer *in) {
    for (;;) {
        size_t avail = evbuffer_get_length(in);
        if (!avail) break;
        /* Bounded: at most one 64 KiB piece is made contiguous at a time. */
        size_t piece = avail < 65536 ? avail : 65536;
        const uint8_t *p = evbuffer_pullup(in, (ev_ssize_t)piece);
        if (!p) {
            fail(c, 500, "out of memory");
            return -1;
        }
        size_t used = 0;
        const char *why = NULL;
        int r = sim_chunked_feed(&c->dec, p, piece, c->srv->lim.max_body, c->srv->lim.max_header,
                                 &used, &why);
        evbuffer_drain(in, used);
        if (r == SIM_CHUNKED_DONE) return r;
        if (r != SIM_CHUNKED_MORE) {
            fail(c, r, why);
            return -1;
        }
        if (used == 0) break; /* an incomplete line: wait for more */
    }
    if (c->peer_eof) {
        fail(c, 400, "Truncated request body: the connection ended inside a chunked body");
        return -1;
    }
    return SIM_CHUNKED_MORE;
}

static void conn_process(sim_conn *c) {
    const sim_http_limits *lim = &c->srv->lim;
    struct evbuffer *in = bufferevent_get_input(c->bev);
    for (;;) {
        if (c->state == C_CLOSING) {
            evbuffer_drain(in, evbuffer_get_length(in));
            return;
        }
        if (c->state == C_HEAD) {
            if (evbuffer_get_length(bufferevent_get_output(c->bev)) > OUTPUT_PAUSE_BYTES) {
                c->paused = 1; /* a client that pipelines but does not read: wait */
                bufferevent_disable(c->bev, EV_READ);
                return;
            }
            /* Tolerate stray CRLFs between requests (RFC 9112 §2.2). */
            for (;;) {
                unsigned char *b = evbuffer_pullup(in, 1);
                if (!b || (b[0] != '\r' && b[0] != '\n')) break;
                evbuffer_drain(in, 1);
            }
            size_t avail = evbuffer_get_length(in);
            if (avail && !evtimer_pending(c->deadline, NULL)) { /* a request starts: its deadline */
                struct timeval rt = {lim->request_timeout_sec, 0};
                evtimer_add(c->deadline, &rt);
            }
            struct evbuffer_ptr pos = evbuffer_search(in, "\r\n\r\n", 4, NULL);
            if (pos.pos < 0) {
                if (avail > lim->max_header) fail(c, 431, "Request header too large");
                else if (c->peer_eof) start_closing(c); /* nothing (complete) to answer */
                return;
            }
            size_t hl = (size_t)pos.pos + 4;
            if (hl > lim->max_header) {
                fail(c, 431, "Request header too large");
                return;
            }
            free(c->head);
            c->head = malloc(hl + 1);
            if (!c->head) {
                fail(c, 500, "out of memory");
                return;
            }
            evbuffer_remove(in, c->head, hl);
            c->head[hl] = '\0';
            if (memchr(c->head, '\0', hl)) { /* parse_head works on C strings (found by fuzz_http) */
                fail(c, 400, "Malformed request: NUL byte in the request head");
                return;
            }
            const char *why = NULL;
            sim_http_head h;
            int st = sim_http_head_parse(c->head, &h, &why);
            if (st) {
                fail(c, st, why);
                return;
            }
            c->method = h.method;
            c->target = h.target;
            c->content_type = h.content_type;
            c->http10 = h.http10;
            c->keep_alive = h.keep_alive;
            c->expect_continue = h.expect_continue;
            c->chunked = h.chunked;
            c->body_len = h.body_len;
            if (c->srv->draining) c->keep_alive = 0; /* shutting down: this one is the last */
            if (c->body_len > lim->max_body) {
                char msg[160];
                snprintf(msg, sizeof msg, "Request body too large: %zu bytes (limit %zu): payload "
                         "too large", c->body_len, lim->max_body);
                fail(c, 413, msg);
                return;
            }
            c->state = C_BODY;
            if (c->chunked) {
                sim_chunked_free(&c->dec);
                sim_chunked_init(&c->dec);
            }
            if (c->expect_continue && (c->chunked || c->body_len > evbuffer_get_length(in)))
                evbuffer_add_printf(bufferevent_get_output(c->bev), "HTTP/1.1 100 Continue\r\n\r\n");
        }
        /* C_BODY */
        const uint8_t *body;
        if (c->chunked) {
            int r = feed_chunked(c, in);
            if (r == SIM_CHUNKED_MORE) return;
            if (r != SIM_CHUNKED_DONE) return; /* answered */
            body = (const uint8_t *)c->dec.body.data;
            c->body_len = c->dec.body.len;
        } else {
            size_t have = evbuffer_get_length(in);
            if (have < c->body_len) {
                if (c->peer_eof) {
                    char msg[160];
                    snprintf(msg, sizeof msg,
                             "Truncated request body: Content-Length is %zu but the connection "
                             "ended after %zu bytes",
                             c->body_len, have);
                    fail(c, 400, msg);
                }
                return;
            }
            body = c->body_len ? evbuffer_pullup(in, (ev_ssize_t)c->body_len) : NULL;
            if (c->body_len && !body) {
                fail(c, 500, "out of memory");
                return;
            }
        }
        evtimer_del(c->deadline); /* the request is complete */
        dispatch(c, body);
        if (c->chunked) sim_chunked_free(&c->dec);
        else evbuffer_drain(in, c->body_len);
        free(c->head);
        c->head = NULL;
        c->state = C_HEAD;
        if (!c->keep_alive) {
            start_closing(c);
            return;
        }
    }
}

static void on_read(struct bufferevent *bev, void *arg) {
    (void)bev;
    conn_process(arg);
}

static void on_write(struct bufferevent *bev, void *arg) {
    sim_conn *c = arg;
    (void)bev;
    if (c->state == C_CLOSING) {
        finish_close(c);
    } else if (c->paused) {
        c->paused = 0;
        bufferevent_enable(c->bev, EV_READ);
        conn_process(c);
    }
}

static void on_event(struct bufferevent *bev, short what, void *arg) {
    sim_conn *c = arg;
    (void)bev;
    if (what & (BEV_EVENT_ERROR | BEV_EVENT_TIMEOUT)) {
        if ((what & BEV_EVENT_TIMEOUT) && c->state != C_CLOSING) observe(c, -1, 0, 0);
        conn_free(c);
        return;
    }
    if (what & BEV_EVENT_EOF) {
        c->peer_eof = 1;
        if (c->state == C_CLOSING) {
            if (evbuffer_get_length(bufferevent_get_output(c->bev)) == 0) conn_free(c);
            return;
        }
        conn_process(c);
    }
}

/* The request deadline (slowloris) passed, or the lingering close took too long. */
static void on_deadline(evutil_socket_t fd, short what, void *arg) {
    sim_conn *c = arg;
    (void)fd;
    (void)what;
    if (c->state == C_CLOSING) {
        conn_free(c);
        return;
    }
    char msg[128];
    snprintf(msg, sizeof msg, "Request timeout: the request was not complete within %d s",
             c->srv->lim.request_timeout_sec);
    fail(c, 408, msg);
}

/* Serves fd on s; verdict is the sim_connlimit slot it holds (0: none), given back when
 * the connection ends or here on failure. */
static sim_conn *adopt_as(sim_server *s, int fd, sim_http_handler handler, void *ctx, int verdict) {
    sim_conn *c = s->nconns < MAX_CONNECTIONS ? calloc(1, sizeof(*c)) : NULL;
    struct bufferevent *bev = c ? bufferevent_socket_new(s->base, fd, BEV_OPT_CLOSE_ON_FREE) : NULL;
    struct event *dl = bev ? evtimer_new(s->base, on_deadline, c) : NULL;
    if (!dl) {
        if (bev) bufferevent_free(bev);
        else evutil_closesocket(fd);
        free(c);
        if (s->limit && verdict) sim_connlimit_release(s->limit, (sim_conn_verdict)verdict);
        return NULL;
    }
    c->deadline = dl;
    c->verdict = verdict;
    c->srv = s;
    c->handler = handler;
    c->ctx = ctx;
    c->bev = bev;
    c->state = C_HEAD;
    c->next = s->conns;
    if (s->conns) s->conns->prev = c;
    s->conns = c;
    s->nconns++;
    struct timeval tv = {s->lim.idle_timeout_sec, 0};
    bufferevent_set_timeouts(bev, &tv, &tv);
    bufferevent_setcb(bev, on_read, on_write, on_event, c);
    bufferevent_enable(bev, EV_READ | EV_WRITE);
    return c;
}

int sim_server_adopt(sim_server *s, int fd, sim_http_handler handler, void *ctx) {
    /* With a limit, every connection reached here through on_accept's SERVE verdict. */
    return adopt_as(s, fd, handler, ctx, s->limit ? SIM_CONN_SERVE : 0) ? 0 : -1;
}

static void on_accept(struct evconnlistener *evl, evutil_socket_t fd, struct sockaddr *sa,
                      int socklen, void *arg) {
    struct sim_listener *lis = arg;
    sim_server *s = lis->srv;
    (void)evl;
    (void)sa;
    (void)socklen;
    sim_conn_verdict v = s->limit ? sim_connlimit_admit(s->limit) : SIM_CONN_SERVE;
    if (v == SIM_CONN_DROP) { /* refusals saturated too: the cheapest answer */
        evutil_closesocket(fd);
        return;
    }
    if (v == SIM_CONN_REFUSE) { /* a clean refusal: JSON 503, then a lingering close */
        sim_conn *c = adopt_as(s, fd, lis->handler, lis->ctx, SIM_CONN_REFUSE);
        if (c) {
            char msg[160];
            snprintf(msg, sizeof msg, "Too many connections: the simulator serves at most %d at "
                     "once (--max-connections); retry later", s->limit->max);
            fail(c, 503, msg);
        }
        return;
    }
    if (s->acceptor && s->acceptor(s->acceptor_arg, fd, lis->handler, lis->ctx) == 0) return;
    sim_server_adopt(s, fd, lis->handler, lis->ctx);
}

sim_server *sim_server_new(struct event_base *base, const sim_http_limits *limits) {
    sim_server *s = calloc(1, sizeof(*s));
    if (!s) return NULL;
    s->base = base;
    s->lim = *limits;
    if (!s->lim.max_header) s->lim.max_header = 64 * 1024;
    if (!s->lim.idle_timeout_sec) s->lim.idle_timeout_sec = 60;
    if (!s->lim.request_timeout_sec) s->lim.request_timeout_sec = 30;
    return s;
}

void sim_server_set_conn_limit(sim_server *srv, sim_connlimit *limit) {
    srv->limit = limit;
}

void sim_server_drain(sim_server *srv) {
    srv->draining = 1;
    while (srv->listeners) { /* no new connections */
        struct sim_listener *l = srv->listeners;
        srv->listeners = l->next;
        evconnlistener_free(l->evl);
        free(l);
    }
    for (sim_conn *c = srv->conns, *next; c; c = next) {
        next = c->next;
        if (c->state == C_CLOSING) continue;
        c->keep_alive = 0; /* in flight: answered, then closed */
        /* Between requests (a response may still be flushing): close once it is out; the
         * client sees our EOF. */
        if (c->state == C_HEAD && !evtimer_pending(c->deadline, NULL) &&
            evbuffer_get_length(bufferevent_get_input(c->bev)) == 0)
            start_closing(c);
    }
}

void sim_server_set_observer(sim_server *srv, sim_http_observer fn, void *arg) {
    srv->observe = fn;
    srv->observe_arg = arg;
}

void sim_server_set_worker(sim_server *srv, int worker) { srv->worker = worker; }

void sim_server_set_acceptor(sim_server *srv, sim_http_acceptor fn, void *arg) {
    srv->acceptor = fn;
    srv->acceptor_arg = arg;
}

int sim_server_add_listener(sim_server *srv, int fd, sim_http_handler handler, void *ctx) {
    struct sim_listener *l = calloc(1, sizeof(*l));
    if (!l) return -1;
    evutil_make_socket_nonblocking(fd);
    l->evl = evconnlistener_new(srv->base, on_accept, l,
                                LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, -1, fd);
    if (!l->evl) {
        free(l);
        return -1;
    }
    l->handler = handler;
    l->ctx = ctx;
    l->srv = srv;
    l->next = srv->listeners;
    srv->listeners = l;
    return 0;
}

size_t sim_server_connections(const sim_server *srv) {
    return srv->nconns;
}

void sim_server_free(sim_server *srv) {
    if (!srv) return;
    while (srv->listeners) {
        struct sim_listener *l = srv->listeners;
        srv->listeners = l->next;
        evconnlistener_free(l->evl);
        free(l);
    }
    while (srv->conns) conn_free(srv->conns);
    free(srv);
}
