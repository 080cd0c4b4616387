/* sim_router.c — which path, on which listener, at which --agent-version, reaches which
 * handler. The answer is one table (SURFACES, below), read top to bottom: the first row
 * whose listener, version and mount match owns the request.
 *
 * A row is a surface: a mount (path prefix) plus either a method table — the rest of the
 * path is one segment, the method name, after an optional service prefix is trimmed
 * ("Tappd.", "Worker.") — or a raw handler that serves whole paths (PKI, /metrics, the
 * dashboard: GET / and /sim/dashboard.json, sim_dashboard.h).
 *
 * Errors follow upstream's ra-rpc: a pretty-printed {"error": …} body; an unknown method
 * on a mounted surface is 400 at 0.5.11 and 404 at 0.6.0 ("Service not found: <Method>");
 * a path no surface mounts is 404; a handler's failure is 400 unless it picks a status.
 * Every answer is labelled for the statistics (req->reply_method, sim_metrics.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim_args.h"
#include "sim_dashboard.h"
#include "sim_keymemo.h"
#include "sim_kmsauth.h"
#include "sim_methods.h"
#include "sim_metrics.h"
#include "sim_pcs.h"

/* Listeners (bits). */
enum {
    ON_DSTACK = 1,   /* dstack.sock */
    ON_TAPPD = 2,    /* tappd.sock */
    ON_EXTERNAL = 4, /* external.sock: the agent's external port (Worker) */
    ON_TCP = 8,      /* --listen: the dstack API, Worker, PKI and /metrics on one port */
};

/* dstack.sock, unversioned (0.5.11) = the frozen v0 surface (0.6.0). guest-agent-api.md §2. */
static const sim_method V0_METHODS[] = {
    {"GetKey", sim_m_get_key, SIM_MX_GET_KEY, SIM_KEYS},
    {"GetQuote", sim_m_get_quote, SIM_MX_GET_QUOTE, 0},
    {"Attest", sim_m_attest, SIM_MX_ATTEST, 0},
    {"Info", sim_m_info, SIM_MX_INFO, 0},
    {"EmitEvent", sim_m_emit_event, SIM_MX_EMIT_EVENT, 0},
    {"GetTlsKey", sim_m_get_tls_key, SIM_MX_GET_TLS_KEY, SIM_KEYS},
    {"Sign", sim_m_sign, SIM_MX_SIGN, SIM_KEYS},
    {"Verify", sim_m_verify, SIM_MX_VERIFY, 0},
    {"Version", sim_m_version, SIM_MX_VERSION, 0},
    {"GetMeta", sim_m_get_meta, SIM_MX_GET_META, 0}, /* the simulator's own: KMS root, mode */
    {NULL, NULL, 0, 0}};

/* dstack.sock /v1 (0.6.0). guest-api-0.6.md §2.4; Sign, Verify, GetQuote, EmitEvent and
 * GetTlsKey are absent by design. */
static const sim_method V1_METHODS[] = {
    {"GetKey", sim_m_v1_get_key, SIM_MX_V1_GET_KEY, SIM_KEYS},
    {"Attest", sim_m_v1_attest, SIM_MX_V1_ATTEST, 0},
    {"AttestGpu", sim_m_v1_attest_gpu, SIM_MX_V1_ATTEST_GPU, 0},
    {"Info", sim_m_v1_info, SIM_MX_V1_INFO, 0},
    {"Version", sim_m_version, SIM_MX_V1_VERSION, 0},
    {"IssueCert", sim_m_v1_issue_cert, SIM_MX_V1_ISSUE_CERT, SIM_KEYS},
    {NULL, NULL, 0, 0}};

/* tappd.sock. guest-agent-api.md §3. */
static const sim_method TAPPD_METHODS[] = {
    {"DeriveKey", sim_m_tappd_derive_key, SIM_MX_DERIVE_KEY, SIM_KEYS},
    {"DeriveK256Key", sim_m_tappd_derive_k256_key, SIM_MX_DERIVE_K256_KEY, SIM_KEYS},
    {"TdxQuote", sim_m_tappd_tdx_quote, SIM_MX_TDX_QUOTE, 0},
    {"RawQuote", sim_m_tappd_raw_quote, SIM_MX_RAW_QUOTE, 0},
    {"Info", sim_m_info, SIM_MX_INFO, 0},
    {"Version", sim_m_version, SIM_MX_VERSION, 0},
    {NULL, NULL, 0, 0}};

/* The external Worker API (frozen at 0.6.0). guest-agent-external.md §2. */
static const sim_method WORKER_METHODS[] = {{"Info", sim_m_worker_info, SIM_MX_WORKER_INFO, 0},
                                            {"Version", sim_m_version, SIM_MX_WORKER_VERSION, 0},
                                            {"GetAttestationForAppKey", sim_m_worker_attest_app_key,
                                             SIM_MX_WORKER_ATTEST_APP_KEY, SIM_KEYS},
                                            {NULL, NULL, 0, 0}};

/* Worker v1 (0.6.0). guest-agent-external.md §5. */
static const sim_method WORKER_V1_METHODS[] = {
    {"Info", sim_m_worker_v1_info, SIM_MX_WORKER_V1_INFO, 0},
    {"Version", sim_m_version, SIM_MX_WORKER_V1_VERSION, 0},
    {"Health", sim_m_worker_v1_health, SIM_MX_WORKER_V1_HEALTH, 0},
    {NULL, NULL, 0, 0}};

/* Serves a whole path, or returns 0 to let later rows try. */
typedef int (*sim_raw_fn)(sim_state *st, const sim_http_request *req, int *status, ds_buf *body);

static int metrics_route(sim_state *st, const sim_http_request *req, int *status, ds_buf *body);

typedef struct {
    unsigned listeners;        /* ON_* bits */
    unsigned versions;         /* SIM_AGENT_* bits */
    const char *mount;         /* path prefix */
    const char *trim;          /* service prefix dropped from the method name, or NULL */
    const sim_method *methods; /* the rest of the path is one method name … */
    sim_raw_fn raw;            /* … or this serves the whole path */
} sim_surface;

/* clang-format off */
static const sim_surface SURFACES[] = {
    /* listeners             versions         mount        trim       methods / raw */
    {ON_DSTACK | ON_TCP,     SIM_AGENT_0_6_0, "/v0/",      NULL,      V0_METHODS,        NULL},
    {ON_DSTACK | ON_TCP,     SIM_AGENT_0_6_0, "/v1/",      NULL,      V1_METHODS,        NULL},
    {ON_EXTERNAL | ON_TCP,   SIM_AGENT_0_6_0, "/prpc/v0/", "Worker.", WORKER_METHODS,    NULL},
    {ON_EXTERNAL | ON_TCP,   SIM_AGENT_0_6_0, "/prpc/v1/", NULL,      WORKER_V1_METHODS, NULL},
    {ON_TAPPD,               SIM_AGENT_ALL,   "/prpc/",    "Tappd.",  TAPPD_METHODS,     NULL},
    {ON_EXTERNAL | ON_TCP,   SIM_AGENT_ALL,   "/prpc/",    "Worker.", WORKER_METHODS,    NULL},
    {ON_TCP,                 SIM_AGENT_ALL,   "/metrics",  NULL,      NULL,     metrics_route},
    {ON_TCP,                 SIM_AGENT_ALL,   "/",         NULL,      NULL, sim_dashboard_route},
    {ON_DSTACK | ON_TCP,     SIM_AGENT_ALL,   "/",         NULL,      NULL,     sim_pcs_route},
    {ON_DSTACK | ON_TCP,     SIM_AGENT_ALL,   "/",         NULL,      V0_METHODS,        NULL},
    /* TappdClient inherits DstackClient.info(): the JS SDK asks tappd.sock for /Info */
    {ON_TAPPD,               SIM_AGENT_ALL,   "/",         NULL,      TAPPD_METHODS,     NULL},
};
/* clang-format on */
#define N_SURFACES (sizeof SURFACES / sizeof SURFACES[0])

static void fail(ds_buf *body, int *status, int code, const char *msg) {
    *status = code;
    sim_http_error_json(body, msg);
}

static void call_method(sim_state *st, const sim_method *table, const char *name,
                        const sim_http_request *req, int *status, ds_buf *body) {
    char msg[1200];
    const sim_method *m = NULL;
    for (const sim_method *t = table; t->name; t++)
        if (!strcmp(t->name, name)) m = t;
    *req->reply_method = m ? m->metric : SIM_MX_UNKNOWN;
    if (strcmp(req->method, "GET") && strcmp(req->method, "POST")) {
        snprintf(msg, sizeof msg, "Method not allowed: %s (use GET or POST)", req->method);
        fail(body, status, 405, msg);
        return;
    }
    if (!m) { /* ra-rpc: 400 until 0.6.0 (PR #1105), then 404 */
        snprintf(msg, sizeof msg, "Service not found: %.200s", name);
        fail(body, status, st->cfg->agent == SIM_AGENT_0_6_0 ? 404 : 400, msg);
        return;
    }
    if (m->keys && sim_kmsauth_gate(st->kmsauth, msg, sizeof msg)) { /* before the args */
        fail(body, status, 400, msg);
        return;
    }
    cJSON *args = sim_args_parse(req, msg, sizeof msg);
    if (!args) {
        fail(body, status, 400, msg);
        return;
    }
    sim_call call;
    memset(&call, 0, sizeof call);
    call.st = st;
    call.args = args;
    call.out = body;
    call.worker = req->worker;
    if (m->fn(&call) == 0 && !body->oom) {
        *status = 200;
    } else {
        fail(body, status, call.status ? call.status : 400,
             call.err[0] ? call.err : "internal error");
    }
    cJSON_Delete(args);
}

/* Where a request no surface mounts could have gone, for the 404's message. */
static const char *where(unsigned listener, sim_agent_version v) {
    int v6 = v == SIM_AGENT_0_6_0;
    switch (listener) {
    case ON_TAPPD: return "the tappd API is at /prpc/Tappd.<Method>";
    case ON_EXTERNAL:
        return v6 ? "the Worker API is at /prpc/Worker.<Method>, /prpc/v0/<Method> and "
                    "/prpc/v1/<Method>"
                  : "the Worker API is at /prpc/Worker.<Method>";
    case ON_TCP:
        return v6 ? "the dstack API is at /<Method>, /v0/<Method> and /v1/<Method>, the Worker "
                    "API at /prpc/…, metrics at /metrics, the dashboard at /"
                  : "the dstack API is at /<Method> (/v0 and /v1 need --agent-version 0.6.0), "
                    "the Worker API at /prpc/Worker.<Method>, metrics at /metrics, the "
                    "dashboard at /";
    default:
        return v6 ? "the dstack API is at /<Method>, /v0/<Method> and /v1/<Method>"
                  : "the dstack API is at /<Method> (/v0 and /v1 need --agent-version 0.6.0)";
    }
}

static void route(sim_state *st, unsigned listener, const sim_http_request *req, int *status,
                  ds_buf *body) {
    const char *path = req->path;
    sim_agent_version v = st->cfg->agent;
    for (size_t i = 0; i < N_SURFACES; i++) {
        const sim_surface *s = &SURFACES[i];
        size_t ml = strlen(s->mount);
        if (!(s->listeners & listener) || !(s->versions & v) || strncmp(path, s->mount, ml))
            continue;
        if (s->raw) {
            *req->reply_method = SIM_MX_PKI;
            if (s->raw(st, req, status, body)) return;
            continue;
        }
        const char *name = path + ml;
        if (strchr(name, '/')) continue; /* more segments: not this mount */
        if (s->trim && !strncmp(name, s->trim, strlen(s->trim))) name += strlen(s->trim);
        call_method(st, s->methods, name, req, status, body);
        return;
    }
    char msg[400];
    snprintf(msg, sizeof msg, "Not found: no route for %.120s (%s)", path, where(listener, v));
    *req->reply_method = SIM_MX_UNKNOWN;
    fail(body, status, 404, msg);
}

/* GET /metrics: the simulator's own request statistics (Prometheus text). */
static int metrics_route(sim_state *st, const sim_http_request *req, int *status, ds_buf *body) {
    if (strcmp(req->path, "/metrics") || !st->metrics) return 0;
    *req->reply_method = SIM_MX_METRICS;
    if (strcmp(req->method, "GET")) {
        fail(body, status, 405, "/metrics answers GET only");
        return 1;
    }
    pthread_mutex_lock(&st->lock);
    size_t events = st->log.n;
    pthread_mutex_unlock(&st->lock);
    sim_metrics_prometheus(st->metrics, events, sim_agent_name(st->cfg->agent), body);
    sim_keymemo_prometheus(st->keymemo, body);
    sim_kmsauth_prometheus(st->kmsauth, body);
    *req->reply_content_type = "text/plain; version=0.0.4; charset=utf-8";
    *status = 200;
    return 1;
}

/* Upstream's external listener labels every response with the agent version. */
static void app_version_header(sim_state *st, const sim_http_request *req) {
    ds_buf_printf(req->reply_headers, "X-App-Version: v%s (dstack-simulator-" SIM_VERSION ")\r\n",
                  st->cfg->version);
}

void sim_route_dstack(void *ctx, const sim_http_request *req, int *status, ds_buf *body) {
    route(ctx, ON_DSTACK, req, status, body);
}

void sim_route_tappd(void *ctx, const sim_http_request *req, int *status, ds_buf *body) {
    route(ctx, ON_TAPPD, req, status, body);
}

void sim_route_external(void *ctx, const sim_http_request *req, int *status, ds_buf *body) {
    app_version_header(ctx, req);
    route(ctx, ON_EXTERNAL, req, status, body);
}

void sim_route_tcp(void *ctx, const sim_http_request *req, int *status, ds_buf *body) {
    app_version_header(ctx, req);
    route(ctx, ON_TCP, req, status, body);
}
