/* vf_serve.c — `dstack-verify serve`: upstream dstack-verifier's HTTP API on libevent's
 * evhttp, one thread, one reusable verification context (the collateral is checked once,
 * then each quote costs only its own checks).
 *
 *   POST /verify   200 + the §4 document once the body decodes; 400 / 422 / 413 otherwise
 *   GET  /health   {"status":"ok","service":"dstack-verifier"}
 *   /api/v1/attestations/...  Phala Cloud's attestation API (vf_pcapi.c)
 *   anything else  404 (upstream's Rocket has no 405)
 *
 * Connections are counted from their first request to their close callback; a request
 * arriving while more than --max-connections are open is answered 503 at once and its
 * connection closed.
 *
 * Trust: --endpoint (the simulator's published root, collateral and image measurements)
 * and/or --root, --collateral, --image-cache. Listens on loopback only unless
 * --allow-remote; never downloads anything.
 */
#include <arpa/inet.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "ds_http.h"
#include "vf.h"
#include "vf_cli.h"
#include "vf_pcapi.h"
#include "vf_pcjson.h"
#include "vf_serve.h"

static const char *USAGE =
    "usage: dstack-verify serve [options]   upstream dstack-verifier's HTTP API, local trust\n"
    "\n"
    "  --listen HOST:PORT    where to listen (default 127.0.0.1:8080; port 0 = any free port;\n"
    "                        the bound address is printed on stdout)\n"
    "  --allow-remote        allow a non-loopback --listen address\n"
    "  --endpoint PATH|URL   a dstack simulator (socket or http://127.0.0.1:PORT): trust its\n"
    "                        published root, collateral and image measurements\n"
    "                        (default $DSTACK_SIMULATOR_ENDPOINT when no --root is given)\n"
    "  --root FILE           trusted quote root CA (DER or PEM) instead of the endpoint's\n"
    "  --collateral FILE     dcap-qvl collateral JSON instead of the endpoint's\n"
    "  --image-cache DIR     upstream's image-cache layout (images/<hash>/metadata.json,\n"
    "                        measurements/<key>.json), e.g. from dstack-simulator --write-pki\n"
    "  --now UNIX            verification time for collateral validity (default: now)\n"
    "  --timeout SECONDS     idle connection timeout and endpoint requests (default 5)\n"
    "  --max-connections N   open connections served at once (default 512); a request on\n"
    "                        a connection beyond it is answered 503 and the connection closed\n"
    "  --help\n";

typedef struct {
    vf_verifier v;
    vf_pc_api pc; /* Phala Cloud's attestation API and its quote store */
    struct event_base *base;
    unsigned long requests;
    struct evhttp_connection **conn; /* the open connections that sent a request */
    size_t conns, conn_cap;
    unsigned long max_conns, refused; /* the cap, 503s sent */
} vf_service;

/* ---- HTTP ------------------------------------------------------------------------------ */

static const char *reason_phrase(int status) {
    const char *r = ds_http_reason(status);
    return r ? r : "Error";
}

/* Sends status with body; content_type NULL for none; content_length >= 0 announces a
 * length without sending a body (HEAD). */
static void reply_full(struct evhttp_request *req, int status, const char *content_type,
                       const vf_pc_reply *extra, const ds_buf *body, long content_length) {
    struct evkeyvalq *h = evhttp_request_get_output_headers(req);
    if (content_type) evhttp_add_header(h, "Content-Type", content_type);
    evhttp_add_header(h, "Server", "dstack-verify");
    for (size_t i = 0; extra && i < extra->n_hdr; i++)
        evhttp_add_header(h, extra->hdr[i][0], extra->hdr[i][1]);
    struct evbuffer *out = NULL;
    if (content_length >= 0) {
        char n[32];
        snprintf(n, sizeof n, "%ld", content_length);
        evhttp_add_header(h, "Content-Length", n);
    } else if ((out = evbuffer_new()) != NULL && body && !body->oom) {
        evbuffer_add(out, body->data, body->len);
    }
    evhttp_send_reply(req, status, reason_phrase(status), out);
    if (out) evbuffer_free(out);
}

static void reply(struct evhttp_request *req, int status, const ds_buf *body) {
    reply_full(req, status, "application/json", NULL, body, -1);
}

static vf_pc_method pc_method(enum evhttp_cmd_type m) {
    return m == EVHTTP_REQ_GET    ? VF_PC_GET
           : m == EVHTTP_REQ_HEAD ? VF_PC_HEAD
           : m == EVHTTP_REQ_POST ? VF_PC_POST
                                  : VF_PC_OTHER;
}

/* Phala Cloud's attestation API: one request through vf_pc_handle. */
static void on_pc_request(vf_service *s, struct evhttp_request *req, const char *uri, size_t plen) {
    struct evbuffer *in = evhttp_request_get_input_buffer(req);
    size_t n = evbuffer_get_length(in);
    const uint8_t *p = n ? evbuffer_pullup(in, (ev_ssize_t)n) : (const uint8_t *)"";
    struct evkeyvalq *ih = evhttp_request_get_input_headers(req);
    const char *q = uri[plen] == '?' ? uri + plen + 1 : NULL;
    vf_pc_method m = pc_method(evhttp_request_get_command(req));
    vf_pc_reply r;
    vf_pc_reply_init(&r);
    vf_pc_handle(&s->pc, m, uri, plen, q, evhttp_find_header(ih, "Content-Type"),
                 evhttp_find_header(ih, "If-None-Match"), p, n, &r);
    reply_full(req, r.status, r.content_type, &r, &r.body, r.status == 304 ? -1 : r.content_length);
    vf_pc_reply_free(&r);
}

/* ---- connection accounting ------------------------------------------------------------- */

/* evhttp has no connection limit of its own. A connection is counted when its first
 * request arrives (its close callback is set then) and counted out by that callback;
 * a connection that never sends a request is not counted and is closed by the idle
 * timeout. */
static void conn_closed(struct evhttp_connection *c, void *arg) {
    vf_service *s = arg;
    for (size_t i = 0; i < s->conns; i++)
        if (s->conn[i] == c) {
            s->conn[i] = s->conn[--s->conns];
            return;
        }
}

/* Counts c in if it is new. Returns 0, or -1 when out of memory (then not counted). */
static int conn_seen(vf_service *s, struct evhttp_connection *c) {
    for (size_t i = 0; i < s->conns; i++)
        if (s->conn[i] == c) return 0;
    if (s->conns == s->conn_cap) {
        size_t nc = s->conn_cap ? s->conn_cap * 2 : 64;
        struct evhttp_connection **n = realloc(s->conn, nc * sizeof *n);
        if (!n) return -1;
        s->conn = n;
        s->conn_cap = nc;
    }
    s->conn[s->conns++] = c;
    evhttp_connection_set_closecb(c, conn_closed, s);
    return 0;
}

/* Over the cap: 503 in the shape of the route asked for, and the connection closed. */
static void refuse(vf_service *s, struct evhttp_request *req, int pc) {
    ds_buf body;
    ds_buf_init(&body);
    char msg[160];
    snprintf(msg, sizeof msg, "Service Unavailable: %zu connections open, the limit is %lu",
             s->conns, s->max_conns);
    if (pc)
        vf_pc_detail_json(&body, msg);
    else
        vf_catcher_json(503, msg, &body);
    struct evkeyvalq *h = evhttp_request_get_output_headers(req);
    evhttp_add_header(h, "Connection", "close");
    evhttp_add_header(h, "Retry-After", "1");
    reply(req, 503, &body);
    ds_buf_free(&body);
    s->refused++;
}

static void on_request(struct evhttp_request *req, void *arg) {
    vf_service *s = arg;
    s->requests++;
    const char *uri = evhttp_request_get_uri(req);
    enum evhttp_cmd_type m = evhttp_request_get_command(req);
    if (!uri) uri = "";
    size_t plen = strcspn(uri, "?#");
    int pc = vf_pc_is_api_path(uri, plen);
    struct evhttp_connection *evc = evhttp_request_get_connection(req);
    if (evc) conn_seen(s, evc);
    if (s->max_conns && s->conns > s->max_conns) {
        refuse(s, req, pc);
        return;
    }
    if (pc) {
        on_pc_request(s, req, uri, plen);
        return;
    }
    ds_buf body;
    ds_buf_init(&body);
    int status = 404;
    if (plen == 7 && !strncmp(uri, "/verify", 7) && m == EVHTTP_REQ_POST) {
        struct evbuffer *in = evhttp_request_get_input_buffer(req);
        size_t n = evbuffer_get_length(in);
        const uint8_t *p = n ? evbuffer_pullup(in, (ev_ssize_t)n) : (const uint8_t *)"";
        if (n > VF_VERIFY_MAX_BODY) { /* evhttp enforces this too; belt and braces */
            status = 413;
            vf_catcher_json(413, "body over 1 MiB", &body);
        } else {
            vf_verify_body(&s->v, p, n, &status, &body);
        }
    } else if (plen == 7 && !strncmp(uri, "/health", 7) &&
               (m == EVHTTP_REQ_GET || m == EVHTTP_REQ_HEAD)) {
        status = 200;
        ds_buf_puts(&body, "{\"status\":\"ok\",\"service\":\"dstack-verifier\"}");
    } else {
        vf_catcher_json(404, "routes: POST /verify, GET /health", &body);
    }
    reply(req, status, &body);
    ds_buf_free(&body);
}

static void on_signal(evutil_socket_t sig, short ev, void *arg) {
    (void)sig;
    (void)ev;
    event_base_loopexit(((vf_service *)arg)->base, NULL);
}

/* HOST:PORT or [V6]:PORT → host (copied) and port. Returns 0 or -1. */
static int split_listen(const char *s, char *host, size_t cap, int *port) {
    const char *colon = strrchr(s, ':');
    if (!colon || colon == s) return -1;
    size_t hl = (size_t)(colon - s);
    if (s[0] == '[' && colon[-1] == ']') s++, hl -= 2;
    if (hl == 0 || hl >= cap) return -1;
    memcpy(host, s, hl);
    host[hl] = '\0';
    int64_t p;
    if (vf_parse_i64(colon + 1, 0, &p) != 0 || p > 65535) return -1;
    *port = (int)p;
    return 0;
}

static int is_loopback(const char *host) {
    struct in_addr a4;
    struct in6_addr a6;
    if (inet_pton(AF_INET, host, &a4) == 1) return (ntohl(a4.s_addr) >> 24) == 127;
    return inet_pton(AF_INET6, host, &a6) == 1 && IN6_IS_ADDR_LOOPBACK(&a6);
}

/* ---- trust from a simulator ------------------------------------------------------------ */

static ds_err get_json(vf_http *h, const char *path, cJSON **out, char *err, size_t cap) {
    long st = 0;
    uint8_t *b = NULL;
    size_t n = 0;
    *out = NULL;
    if (vf_http_request(h, "GET", path, NULL, &st, &b, &n) != DS_OK) {
        snprintf(err, cap, "%.200s%.200s: %.500s", h->endpoint, path, h->err);
        return DS_ERR_IO;
    }
    if (st == 200) *out = cJSON_ParseWithLength((const char *)b, n);
    free(b);
    if (!*out) {
        snprintf(err, cap, "%s%s: HTTP %ld or not JSON (is it a dstack-simulator?)", h->endpoint,
                 path, st);
        return DS_ERR_PARSE;
    }
    return DS_OK;
}

/* The simulator's image-cache entry (GET /sim/image-cache, then its measurements). */
static ds_err fetch_images(vf_images_store *st, vf_http *h, char *err, size_t cap) {
    cJSON *idx = NULL, *mj = NULL;
    ds_err e = get_json(h, "/sim/image-cache", &idx, err, cap);
    const cJSON *hash = cJSON_GetObjectItemCaseSensitive(idx, "os_image_hash");
    const cJSON *key = cJSON_GetObjectItemCaseSensitive(idx, "vm_config_key");
    const cJSON *mp = cJSON_GetObjectItemCaseSensitive(idx, "measurements");
    if (!e && (!cJSON_IsString(hash) || !cJSON_IsString(key) || !cJSON_IsString(mp))) {
        snprintf(err, cap, "%s/sim/image-cache: not an image-cache index", h->endpoint);
        e = DS_ERR_PARSE;
    }
    if (!e) e = get_json(h, mp->valuestring, &mj, err, cap);
    vf_image_entry ent;
    memset(&ent, 0, sizeof ent);
    if (!e) {
        char *txt = cJSON_PrintUnformatted(mj);
        char why[200];
        if (!txt || ds_measurements_parse(txt, strlen(txt), &ent.m, why, sizeof why) != DS_OK) {
            snprintf(err, cap, "%s%s: %s", h->endpoint, mp->valuestring,
                     txt ? why : "out of memory");
            e = DS_ERR_PARSE;
        }
        free(txt);
    }
    vf_image_entry *nm = e ? NULL : realloc(st->mem, (st->n_mem + 1) * sizeof *nm);
    if (nm) {
        st->mem = nm;
        ent.hash_hex = strdup(hash->valuestring);
        ent.key = strdup(key->valuestring);
        st->mem[st->n_mem++] = ent;
    } else if (!e) {
        e = DS_ERR_NOMEM;
    }
    cJSON_Delete(idx);
    cJSON_Delete(mj);
    return e;
}

/* ---- command line ------------------------------------------------------------------------ */

typedef struct {
    const char *listen, *endpoint, *root, *collateral, *image_cache;
    int allow_remote;
    int64_t now;
    long timeout_s;
    long max_conns;
} serve_opts;

static int parse(int argc, char **argv, serve_opts *o, char *err, size_t cap) {
    for (int i = 1; i < argc; i++) {
        const char *v = NULL, *a = argv[i];
        int m;
        int64_t t;
        if (vf_flag(a, "--allow-remote"))
            o->allow_remote = 1;
        else if ((m = vf_arg(argc, argv, &i, "--listen", &v, err, cap)) != 0) {
            if (m < 0) return -1;
            o->listen = v;
        } else if ((m = vf_arg(argc, argv, &i, "--endpoint", &v, err, cap)) != 0) {
            if (m < 0) return -1;
            o->endpoint = v;
        } else if ((m = vf_arg(argc, argv, &i, "--root", &v, err, cap)) != 0) {
            if (m < 0) return -1;
            o->root = v;
        } else if ((m = vf_arg(argc, argv, &i, "--collateral", &v, err, cap)) != 0) {
            if (m < 0) return -1;
            o->collateral = v;
        } else if ((m = vf_arg(argc, argv, &i, "--image-cache", &v, err, cap)) != 0) {
            if (m < 0) return -1;
            o->image_cache = v;
        } else if ((m = vf_arg(argc, argv, &i, "--now", &v, err, cap)) != 0) {
            if (m < 0 || vf_parse_i64(v, 1, &o->now) != 0) {
                if (m > 0) snprintf(err, cap, "--now: not a Unix time in seconds: %s", v);
                return -1;
            }
        } else if ((m = vf_arg(argc, argv, &i, "--timeout", &v, err, cap)) != 0) {
            if (m < 0 || vf_parse_i64(v, 1, &t) != 0 || t > 3600) {
                if (m > 0)
                    snprintf(err, cap, "--timeout: not a number of seconds (1..3600): %s", v);
                return -1;
            }
            o->timeout_s = (long)t;
        } else if ((m = vf_arg(argc, argv, &i, "--max-connections", &v, err, cap)) != 0) {
            if (m < 0 || vf_parse_i64(v, 1, &t) != 0 || t > 1000000) {
                if (m > 0)
                    snprintf(err, cap, "--max-connections: not a number (1..1000000): %s", v);
                return -1;
            }
            o->max_conns = (long)t;
        } else {
            snprintf(err, cap, "unknown option %s (see dstack-verify serve --help)", a);
            return -1;
        }
    }
    return 0;
}

static ds_err load_trust(vf_service *s, const serve_opts *o, char *err, size_t cap) {
    vf_http h;
    vf_trust t;
    int have_h = 0;
    memset(&h, 0, sizeof h);
    memset(&t, 0, sizeof t);
    ds_err e = DS_OK;
    if (o->endpoint && *o->endpoint) {
        if ((e = vf_http_open(&h, o->endpoint)) != DS_OK) {
            snprintf(err, cap, "%s", h.err);
            return e;
        }
        have_h = 1;
        h.timeout_ms = o->timeout_s * 1000;
    }
    e = vf_trust_load(&t, have_h ? &h : NULL, o->root, o->collateral, err, cap);
    if (!e && have_h) e = fetch_images(&s->v.images, &h, err, cap);
    if (!e) {
        s->v.root_der = t.root_der;
        s->v.root_len = t.root_len;
        s->v.col = t.col;
        s->v.qctx = t.qctx;
        memset(&t, 0, sizeof t);
    }
    vf_trust_free(&t);
    if (have_h) vf_http_close(&h);
    return e;
}

static void service_free(vf_service *s) {
    free(s->conn);
    vf_pc_api_free(&s->pc);
    free(s->v.root_der);
    ds_collateral_free(&s->v.col);
    ds_qverify_ctx_free(s->v.qctx);
    for (size_t i = 0; i < s->v.images.n_mem; i++) {
        free(s->v.images.mem[i].hash_hex);
        free(s->v.images.mem[i].key);
    }
    free(s->v.images.mem);
}

int vf_serve_main(int argc, char **argv) {
    for (int i = 1; i < argc; i++)
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            fputs(USAGE, stdout);
            return 0;
        }
    serve_opts o = {"127.0.0.1:8080", NULL, NULL, NULL, NULL, 0, 0, 5, VF_SERVE_MAX_CONNECTIONS};
    char err[1024] = "", host[256];
    int port = 0, code = VF_EXIT_USAGE;
    if (parse(argc, argv, &o, err, sizeof err) != 0)
        return vf_report_error(0, VF_EXIT_USAGE, "serve: %s", err);
    if (!o.endpoint && !o.root) o.endpoint = getenv("DSTACK_SIMULATOR_ENDPOINT");
    if (split_listen(o.listen, host, sizeof host, &port) != 0)
        return vf_report_error(0, VF_EXIT_USAGE, "serve: --listen: not HOST:PORT: %s", o.listen);
    if (!o.allow_remote && !is_loopback(host))
        return vf_report_error(0, VF_EXIT_USAGE,
                               "serve: --listen %s is not a loopback address (127.0.0.0/8, ::1); "
                               "add --allow-remote to listen there on purpose",
                               host);
    vf_service s;
    memset(&s, 0, sizeof s);
    s.v.images.dir = o.image_cache;
    s.v.now = o.now;
    s.max_conns = (unsigned long)o.max_conns;
    s.pc.v = &s.v;
    vf_pc_store_init(&s.pc.store, 0, 0);
    struct evhttp *http = NULL;
    struct event *sigs[2] = {NULL, NULL};
    if (load_trust(&s, &o, err, sizeof err) != DS_OK) {
        code = vf_report_error(0, VF_EXIT_USAGE, "serve: %s", err);
        goto out;
    }
    signal(SIGPIPE, SIG_IGN);
    /* epoll's changelist: evhttp enables and disables read/write on every request, and
     * the changelist turns those into at most one epoll_ctl per fd per loop */
    struct event_config *ecfg = event_config_new();
    if (ecfg) event_config_set_flag(ecfg, EVENT_BASE_FLAG_EPOLL_USE_CHANGELIST);
    s.base = ecfg ? event_base_new_with_config(ecfg) : NULL;
    if (ecfg) event_config_free(ecfg);
    if (!s.base) s.base = event_base_new();
    http = s.base ? evhttp_new(s.base) : NULL;
    struct evhttp_bound_socket *bs =
        http ? evhttp_bind_socket_with_handle(http, host, (uint16_t)port) : NULL;
    if (!bs) {
        code = vf_report_error(0, VF_EXIT_USAGE, "serve: cannot listen on %s", o.listen);
        goto out;
    }
    evhttp_set_max_body_size(http, VF_VERIFY_MAX_BODY);
    evhttp_set_max_headers_size(http, 16384);
    evhttp_set_timeout(http, (int)o.timeout_s);
    evhttp_set_allowed_methods(http, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_HEAD |
                                         EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE | EVHTTP_REQ_OPTIONS |
                                         EVHTTP_REQ_PATCH);
    evhttp_set_gencb(http, on_request, &s);
    sigs[0] = evsignal_new(s.base, SIGINT, on_signal, &s);
    sigs[1] = evsignal_new(s.base, SIGTERM, on_signal, &s);
    for (int i = 0; i < 2; i++)
        if (sigs[i]) event_add(sigs[i], NULL);
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    char addr[INET6_ADDRSTRLEN] = "?";
    getsockname(evhttp_bound_socket_get_fd(bs), (struct sockaddr *)&ss, &sl);
    if (ss.ss_family == AF_INET6) {
        inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&ss)->sin6_addr, addr, sizeof addr);
        port = ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
        printf("dstack-verify serve: listening on http://[%s]:%d\n", addr, port);
    } else {
        inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr, addr, sizeof addr);
        port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
        printf("dstack-verify serve: listening on http://%s:%d\n", addr, port);
    }
    fflush(stdout);
    event_base_dispatch(s.base);
    ds_qverify_ctx_stats st;
    ds_qverify_ctx_get_stats(s.v.qctx, &st);
    fprintf(stderr,
            "dstack-verify serve: stopped after %lu requests (%lu collateral checks, %lu "
            "refused over the connection cap)\n",
            s.requests, st.collateral_checks, s.refused);
    code = VF_EXIT_OK;
out:
    for (int i = 0; i < 2; i++)
        if (sigs[i]) event_free(sigs[i]);
    if (http) evhttp_free(http);
    if (s.base) event_base_free(s.base);
    service_free(&s);
    return code;
}
