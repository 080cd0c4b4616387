/* sim_router.c — from an HTTP request to a method call and a JSON response.
 *
 *   dstack socket:  /<Method>                      (one segment, case-sensitive)
 *   tappd socket:   /prpc/Tappd.<Method> or /prpc/<Method>
 *   PKI (dstack socket and TCP): Intel PCS v4 collateral paths and /sim/pki/… (sim_pcs.c)
 *
 * Arguments: POST with a non-empty body → the body as a JSON object (when the content
 * type is application/json, the query has "json", or the body starts with '{'); GET, or
 * POST with an empty body → the query string as an object of strings (a repeated key
 * becomes an array). Unknown fields are ignored; missing ones default.
 *
 * Every answer is labelled for the statistics (req->reply_method, sim_metrics.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sim_keymemo.h"
#include "sim_limits.h"
#include "sim_methods.h"
#include "sim_metrics.h"
#include "sim_pcs.h"

static const sim_method DSTACK_METHODS[] = {
    {"GetKey", sim_m_get_key, SIM_MX_GET_KEY},
    {"GetQuote", sim_m_get_quote, SIM_MX_GET_QUOTE},
    {"Attest", sim_m_attest, SIM_MX_ATTEST},
    {"Info", sim_m_info, SIM_MX_INFO},
    {"EmitEvent", sim_m_emit_event, SIM_MX_EMIT_EVENT},
    {"GetTlsKey", sim_m_get_tls_key, SIM_MX_GET_TLS_KEY},
    {"Sign", sim_m_sign, SIM_MX_SIGN},
    {"Verify", sim_m_verify, SIM_MX_VERIFY},
    {"Version", sim_m_version, SIM_MX_VERSION},
    {"GetMeta", sim_m_get_meta, SIM_MX_GET_META},
    {NULL, NULL, 0}};

static const sim_method TAPPD_METHODS[] = {
    {"DeriveKey", sim_m_tappd_derive_key, SIM_MX_DERIVE_KEY},
    {"DeriveK256Key", sim_m_tappd_derive_k256_key, SIM_MX_DERIVE_K256_KEY},
    {"TdxQuote", sim_m_tappd_tdx_quote, SIM_MX_TDX_QUOTE},
    {"RawQuote", sim_m_tappd_raw_quote, SIM_MX_RAW_QUOTE},
    {"Info", sim_m_info, SIM_MX_INFO},
    {"Version", sim_m_version, SIM_MX_VERSION},
    {NULL, NULL, 0}};

static void error_json(ds_buf *out, const char *msg) {
    ds_buf_reset(out);
    ds_buf_puts(out, "{\"error\":");
    ds_buf_json_str(out, msg, strlen(msg));
    ds_buf_putc(out, '}');
}

static int hexval(int ch) {
    if (ch >= '0' && ch <= '9') return ch - '0';
    if (ch >= 'a' && ch <= 'f') return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F') return ch - 'A' + 10;
    return -1;
}

/* Percent-decodes n bytes of s ('+' = space) into a fresh string; NULL when malformed, or
 * when the result holds a NUL (it would silently cut the value short) or invalid UTF-8. */
static char *url_decode(const char *s, size_t n) {
    char *o = malloc(n + 1);
    if (!o) return NULL;
    size_t j = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '%') {
            int h, l;
            if (i + 2 >= n || (h = hexval(s[i + 1])) < 0 || (l = hexval(s[i + 2])) < 0) {
                free(o);
                return NULL;
            }
            o[j++] = (char)(h * 16 + l);
            i += 2;
        } else {
            o[j++] = s[i] == '+' ? ' ' : s[i];
        }
    }
    o[j] = '\0';
    if (sim_utf8_check((const uint8_t *)o, j, 1) >= 0) {
        free(o);
        return NULL;
    }
    return o;
}

/* The query string as a JSON object of strings. NULL with *bad set when malformed. */
static cJSON *query_to_json(const char *q, int *bad) {
    cJSON *obj = cJSON_CreateObject();
    *bad = 0;
    if (!obj || !q) return obj;
    while (*q) {
        const char *amp = strchr(q, '&');
        size_t n = amp ? (size_t)(amp - q) : strlen(q);
        if (n) {
            const char *eq = memchr(q, '=', n);
            size_t kl = eq ? (size_t)(eq - q) : n;
            char *k = url_decode(q, kl);
            char *v = eq ? url_decode(eq + 1, n - kl - 1) : strdup("");
            if (!k || !v) {
                free(k);
                free(v);
                cJSON_Delete(obj);
                *bad = 1;
                return NULL;
            }
            cJSON *prev = cJSON_GetObjectItemCaseSensitive(obj, k);
            cJSON *sv = cJSON_CreateString(v);
            if (!prev) {
                cJSON_AddItemToObject(obj, k, sv);
            } else if (cJSON_IsArray(prev)) {
                cJSON_AddItemToArray(prev, sv);
            } else {
                cJSON *arr = cJSON_CreateArray();
                cJSON_AddItemToArray(arr, cJSON_Duplicate(prev, 1));
                cJSON_AddItemToArray(arr, sv);
                cJSON_ReplaceItemInObjectCaseSensitive(obj, k, arr);
            }
            free(k);
            free(v);
        }
        q += n;
        if (*q == '&') q++;
    }
    return obj;
}

static int query_has(const char *q, const char *key) {
    size_t kl = strlen(key);
    while (q && *q) {
        if (!strncmp(q, key, kl) && (q[kl] == '\0' || q[kl] == '&' || q[kl] == '=')) return 1;
        q = strchr(q, '&');
        if (q) q++;
    }
    return 0;
}

static int looks_json(const uint8_t *b, size_t n) {
    for (size_t i = 0; i < n; i++) {
        if (b[i] == ' ' || b[i] == '\t' || b[i] == '\r' || b[i] == '\n') continue;
        return b[i] == '{' || b[i] == '[' || b[i] == 'n';
    }
    return 0;
}

/* Builds the argument object. Returns NULL with a message in err on bad input. */
static cJSON *parse_args(const sim_http_request *req, char *err, size_t errcap) {
    int is_post = !strcmp(req->method, "POST");
    if (!is_post || req->body_len == 0) {
        int bad;
        cJSON *o = query_to_json(req->query, &bad);
        if (!o) snprintf(err, errcap, bad ? "Invalid query string: malformed percent-encoding, "
                                            "a NUL (%%00) or invalid UTF-8"
                                          : "out of memory");
        return o;
    }
    int json = looks_json(req->body, req->body_len) || query_has(req->query, "json") ||
               (req->content_type && !strncasecmp(req->content_type, "application/json", 16));
    if (!json) {
        snprintf(err, errcap, "Unsupported request body: send JSON (Content-Type: "
                              "application/json); protobuf is not supported by the simulator");
        return NULL;
    }
    /* Strict UTF-8, no NUL, bounded nesting (sim_limits.h): a 400 that names the byte. */
    if (sim_json_text_check(req->body, req->body_len, err, errcap)) return NULL;
    const char *end = NULL;
    cJSON *o = cJSON_ParseWithLengthOpts((const char *)req->body, req->body_len, &end, 0);
    if (o && end) { /* only whitespace may follow */
        for (const char *p = end; p < (const char *)req->body + req->body_len; p++)
            if (*p != ' ' && *p != '\t' && *p != '\r' && *p != '\n') {
                cJSON_Delete(o);
                o = NULL;
                break;
            }
    }
    if (!o) {
        size_t at = end ? (size_t)(end - (const char *)req->body) : 0;
        const char *ep = cJSON_GetErrorPtr();
        if (ep >= (const char *)req->body && ep <= (const char *)req->body + req->body_len)
            at = (size_t)(ep - (const char *)req->body);
        snprintf(err, errcap, "Invalid JSON in the request body (near byte %zu)", at);
        return NULL;
    }
    if (cJSON_IsNull(o)) { /* "null": every field defaults */
        cJSON_Delete(o);
        return cJSON_CreateObject();
    }
    if (!cJSON_IsObject(o)) {
        cJSON_Delete(o);
        snprintf(err, errcap, "The request body must be a JSON object");
        return NULL;
    }
    return o;
}

static void route(sim_state *st, const sim_method *table, const char *name,
                  const sim_http_request *req, int *status, ds_buf *body) {
    char msg[600];
    *status = 400;
    const sim_method *m = NULL;
    for (const sim_method *t = table; t->name; t++)
        if (!strcmp(t->name, name)) m = t;
    *req->reply_method = m ? m->metric : SIM_MX_UNKNOWN;
    if (strcmp(req->method, "GET") && strcmp(req->method, "POST")) {
        *status = 405;
        snprintf(msg, sizeof msg, "Method not allowed: %s (use GET or POST)", req->method);
        error_json(body, msg);
        return;
    }
    if (!m) {
        snprintf(msg, sizeof msg, "Service not found: %s", name);
        error_json(body, msg);
        return;
    }
    cJSON *args = parse_args(req, msg, sizeof msg);
    if (!args) {
        error_json(body, msg);
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
        error_json(body, call.err[0] ? call.err : "internal error");
    }
    cJSON_Delete(args);
}

void sim_route_dstack(void *ctx, const sim_http_request *req, int *status, ds_buf *body) {
    *req->reply_method = SIM_MX_PKI;
    if (sim_pcs_route(ctx, req, status, body)) return;
    const char *name = req->path[0] == '/' ? req->path + 1 : req->path;
    route(ctx, DSTACK_METHODS, name, req, status, body);
}

void sim_route_tappd(void *ctx, const sim_http_request *req, int *status, ds_buf *body) {
    const char *p = req->path;
    const char *name;
    if (!strncmp(p, "/prpc/Tappd.", 12)) name = p + 12;
    else if (!strncmp(p, "/prpc/", 6)) name = p + 6;
    else name = p[0] == '/' ? p + 1 : p;
    route(ctx, TAPPD_METHODS, name, req, status, body);
}

void sim_route_tcp(void *ctx, const sim_http_request *req, int *status, ds_buf *body) {
    sim_state *st = ctx;
    if (strcmp(req->path, "/metrics") || !st->metrics) {
        sim_route_dstack(ctx, req, status, body);
        return;
    }
    *req->reply_method = SIM_MX_METRICS;
    if (strcmp(req->method, "GET")) {
        *status = 405;
        error_json(body, "/metrics answers GET only");
        return;
    }
    pthread_mutex_lock(&st->lock);
    size_t events = st->log.n;
    pthread_mutex_unlock(&st->lock);
    sim_metrics_prometheus(st->metrics, events, body);
    sim_keymemo_prometheus(st->keymemo, body);
    *req->reply_content_type = "text/plain; version=0.0.4; charset=utf-8";
    *status = 200;
}
