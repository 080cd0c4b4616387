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
 */
#include "sim_http.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/listener.h>
#include <event2/util.h>

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
    struct sim_listener *lis;
    struct bufferevent *bev;
    int state;
    int keep_alive;
    int http10;
    int peer_eof;
    int paused;
    int expect_continue;
    size_t body_len;
    char *head;               /* request line + headers (owned) */
    const char *method, *target, *content_type;
    struct sim_conn *prev, *next;
} sim_conn;

struct sim_server {
    struct event_base *base;
    sim_http_limits lim;
    struct sim_listener *listeners;
    sim_conn *conns;
    size_t nconns;
};

static void conn_process(sim_conn *c);

static void conn_free(sim_conn *c) {
    sim_server *s = c->srv;
    if (c->prev) c->prev->next = c->next;
    else s->conns = c->next;
    if (c->next) c->next->prev = c->prev;
    s->nconns--;
    bufferevent_free(c->bev);
    free(c->head);
    free(c);
}

static const char *reason(int status) {
    switch (status) {
    case 200: return "OK";
    case 400: return "Bad Request";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 411: return "Length Required";
    case 413: return "Payload Too Large";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    default: return "Unknown";
    }
}

/* Writes a response; ctype NULL means application/json, extra (whole header lines) may
 * be NULL. */
static void send_response_ex(sim_conn *c, int status, const char *ctype, const ds_buf *extra,
                             const char *body, size_t len) {
    struct evbuffer *out = bufferevent_get_output(c->bev);
    const char *conn_hdr = !c->keep_alive ? "Connection: close\r\n"
                           : c->http10    ? "Connection: keep-alive\r\n"
                                          : "";
    evbuffer_add_printf(out, "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n%s%s\r\n",
                        status, reason(status), ctype ? ctype : "application/json", len, conn_hdr,
                        extra && extra->data ? extra->data : "");
    evbuffer_add(out, body, len);
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
}

static void start_closing(sim_conn *c) {
    c->state = C_CLOSING;
    c->keep_alive = 0;
    if (evbuffer_get_length(bufferevent_get_output(c->bev)) == 0) finish_close(c);
}

/* Sends {"error": msg} with status and closes the connection afterwards. */
static void fail(sim_conn *c, int status, const char *msg) {
    ds_buf b;
    ds_buf_init(&b);
    ds_buf_puts(&b, "{\"error\":");
    ds_buf_json_str(&b, msg, strlen(msg));
    ds_buf_putc(&b, '}');
    c->keep_alive = 0;
    if (!b.oom) send_response(c, status, b.data, b.len);
    ds_buf_free(&b);
    start_closing(c);
}

static int has_token(const char *v, const char *tok) {
    size_t tl = strlen(tok);
    while (*v) {
        while (*v == ' ' || *v == '\t' || *v == ',') v++;
        const char *e = v;
        while (*e && *e != ',') e++;
        const char *t = e;
        while (t > v && (t[-1] == ' ' || t[-1] == '\t')) t--;
        if ((size_t)(t - v) == tl && !strncasecmp(v, tok, tl)) return 1;
        v = e;
    }
    return 0;
}

/* Parses c->head in place. Returns 0, or an HTTP status with *why set. */
static int parse_head(sim_conn *c, const char **why) {
    char *p = c->head;
    char *eol = strstr(p, "\r\n");
    *eol = '\0';
    char *sp1 = strchr(p, ' ');
    char *sp2 = sp1 ? strchr(sp1 + 1, ' ') : NULL;
    if (!sp1 || !sp2 || strchr(sp2 + 1, ' ') || sp1 == p || sp2 == sp1 + 1) {
        *why = "Malformed request line";
        return 400;
    }
    *sp1 = *sp2 = '\0';
    for (char *m = p; *m; m++)
        if (!isupper((unsigned char)*m)) {
            *why = "Malformed request method";
            return 400;
        }
    const char *ver = sp2 + 1;
    if (!strcmp(ver, "HTTP/1.1")) c->http10 = 0;
    else if (!strcmp(ver, "HTTP/1.0")) c->http10 = 1;
    else {
        *why = "Unsupported HTTP version";
        return 400;
    }
    c->method = p;
    c->target = sp1 + 1;
    if (!strncasecmp(c->target, "http://", 7)) { /* absolute form: drop scheme and host */
        const char *slash = strchr(c->target + 7, '/');
        c->target = slash ? slash : "/";
    }
    c->keep_alive = !c->http10;
    c->content_type = NULL;
    c->expect_continue = 0;
    c->body_len = 0;
    int have_len = 0;
    p = eol + 2;
    while (*p && !(p[0] == '\r' && p[1] == '\n')) {
        eol = strstr(p, "\r\n");
        if (!eol) break;
        *eol = '\0';
        char *colon = strchr(p, ':');
        if (p[0] == ' ' || p[0] == '\t' || !colon || colon == p) {
            *why = "Malformed header line";
            return 400;
        }
        for (char *n = p; n < colon; n++)
            if (*n == ' ' || *n == '\t') {
                *why = "Malformed header name";
                return 400;
            }
        *colon = '\0';
        char *v = colon + 1;
        while (*v == ' ' || *v == '\t') v++;
        for (char *t = v + strlen(v); t > v && (t[-1] == ' ' || t[-1] == '\t');) *--t = '\0';
        if (!strcasecmp(p, "content-length")) {
            size_t n = 0;
            if (!*v) {
                *why = "Invalid Content-Length";
                return 400;
            }
            for (const char *d = v; *d; d++) {
                if (*d < '0' || *d > '9' || n > (SIZE_MAX - 9) / 10) {
                    *why = "Invalid Content-Length";
                    return 400;
                }
                n = n * 10 + (size_t)(*d - '0');
            }
            if (have_len && n != c->body_len) {
                *why = "Conflicting Content-Length headers";
                return 400;
            }
            have_len = 1;
            c->body_len = n;
        } else if (!strcasecmp(p, "transfer-encoding")) {
            *why = "Transfer-Encoding is not supported: send the body with Content-Length";
            return 411;
        } else if (!strcasecmp(p, "connection")) {
            if (has_token(v, "close")) c->keep_alive = 0;
            else if (has_token(v, "keep-alive")) c->keep_alive = 1;
        } else if (!strcasecmp(p, "expect")) {
            if (!strcasecmp(v, "100-continue")) c->expect_continue = 1;
        } else if (!strcasecmp(p, "content-type")) {
            c->content_type = v;
        }
        p = eol + 2;
    }
    return 0;
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
    int status = 500;
    ds_buf out;
    ds_buf_init(&out);
    if (!path.oom) c->lis->handler(c->lis->ctx, &req, &status, &out);
    if (path.oom || out.oom || headers.oom) {
        static const char oom[] = "{\"error\":\"out of memory\"}";
        send_response(c, 500, oom, sizeof oom - 1);
    } else {
        send_response_ex(c, status, ctype, &headers, out.data ? out.data : "null",
                         out.data ? out.len : 4);
    }
    ds_buf_free(&headers);
    ds_buf_free(&out);
    ds_buf_free(&path);
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
            const char *why = NULL;
            int st = parse_head(c, &why);
            if (st) {
                fail(c, st, why);
                return;
            }
            if (c->body_len > lim->max_body) {
                char msg[128];
                snprintf(msg, sizeof msg, "Request body too large: %zu bytes (limit %zu)",
                         c->body_len, lim->max_body);
                fail(c, 413, msg);
                return;
            }
            c->state = C_BODY;
            if (c->expect_continue && c->body_len > evbuffer_get_length(in))
                evbuffer_add_printf(bufferevent_get_output(c->bev), "HTTP/1.1 100 Continue\r\n\r\n");
        }
        /* C_BODY */
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
        const uint8_t *body = c->body_len ? evbuffer_pullup(in, (ev_ssize_t)c->body_len) : NULL;
        if (c->body_len && !body) {
            fail(c, 500, "out of memory");
            return;
        }
        dispatch(c, body);
        evbuffer_drain(in, c->body_len);
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

static void on_accept(struct evconnlistener *evl, evutil_socket_t fd, struct sockaddr *sa,
                      int socklen, void *arg) {
    struct sim_listener *lis = arg;
    sim_server *s = lis->srv;
    (void)evl;
    (void)sa;
    (void)socklen;
    if (s->nconns >= MAX_CONNECTIONS) {
        evutil_closesocket(fd);
        return;
    }
    sim_conn *c = calloc(1, sizeof(*c));
    struct bufferevent *bev = c ? bufferevent_socket_new(s->base, fd, BEV_OPT_CLOSE_ON_FREE) : NULL;
    if (!bev) {
        free(c);
        evutil_closesocket(fd);
        return;
    }
    c->srv = s;
    c->lis = lis;
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
}

sim_server *sim_server_new(struct event_base *base, const sim_http_limits *limits) {
    sim_server *s = calloc(1, sizeof(*s));
    if (!s) return NULL;
    s->base = base;
    s->lim = *limits;
    if (!s->lim.max_header) s->lim.max_header = 64 * 1024;
    if (!s->lim.idle_timeout_sec) s->lim.idle_timeout_sec = 60;
    return s;
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
