/* vf_pcapi.c — Phala Cloud's attestation API over the service's trust (see vf_pcapi.h):
 * routing as a table, one handler per route, the reply as data for vf_serve.c to send. */
#include "vf_pcapi.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ds_hash.h"
#include "ds_hex.h"
#include "ds_quote.h"
#include "vf_form.h"
#include "vf_pcjson.h"

void vf_pc_reply_init(vf_pc_reply *r) {
    memset(r, 0, sizeof *r);
    ds_buf_init(&r->body);
    r->content_type = "application/json";
    r->content_length = -1;
}

void vf_pc_reply_free(vf_pc_reply *r) { ds_buf_free(&r->body); }

void vf_pc_api_free(vf_pc_api *api) {
    vf_pc_store_free(&api->store);
    ds_buf_free(&api->col_json);
}

/* The service's collateral as JSON, written on first use. Returns it, or NULL (OOM). */
static const ds_buf *collateral_json(vf_pc_api *api) {
    if (!api->col_json.len && ds_collateral_to_json(&api->v->col, &api->col_json) != DS_OK) {
        ds_buf_free(&api->col_json);
        return NULL;
    }
    return &api->col_json;
}

static void add_header(vf_pc_reply *r, const char *name, const char *value) {
    if (r->n_hdr >= VF_PC_MAX_HEADERS) return;
    r->hdr[r->n_hdr][0] = name;
    snprintf(r->hval[r->n_hdr], sizeof r->hval[0], "%s", value);
    r->hdr[r->n_hdr][1] = r->hval[r->n_hdr];
    r->n_hdr++;
}

static void detail(vf_pc_reply *r, int status, const char *msg) {
    r->status = status;
    r->content_type = "application/json";
    ds_buf_reset(&r->body);
    vf_pc_detail_json(&r->body, msg);
}

/* ---- POST verify ------------------------------------------------------------------------- */

static void h_verify(vf_pc_api *api, const char *arg, const char *query, const char *ctype,
                     const char *inm, const uint8_t *body, size_t len, vf_pc_reply *r) {
    (void)arg, (void)query, (void)inm;
    uint8_t *quote = NULL;
    size_t qlen = 0;
    char why[256];
    int st = vf_pc_input(ctype, body, len, &quote, &qlen, why, sizeof why);
    if (st) {
        detail(r, st, why);
        return;
    }
    ds_quote q;
    if (ds_quote_parse(quote, qlen, &q) != DS_OK) {
        snprintf(why, sizeof why,
                 "Invalid quote: %zu bytes that do not parse as an Intel TDX v4 quote", qlen);
        detail(r, 422, why);
        free(quote);
        return;
    }
    uint8_t sum[32];
    ds_sha256(quote, qlen, sum);
    vf_verifier *v = api->v;
    int64_t now = v->now ? v->now : (int64_t)time(NULL);
    ds_qverify_result res;
    ds_err e =
        ds_qverify_ctx_verify(v->qctx, quote, qlen, v->root_der, v->root_len, &v->col, now, &res);
    if (e == DS_ERR_NOMEM || e == DS_ERR_ARG || res.oom) {
        detail(r, 500, "Internal error: verification ran out of memory");
    } else {
        int ok = e == DS_OK && res.ok;
        const uint8_t *ppid = res.have_pck ? res.ppid : NULL;
        vf_pc_entry *ent = vf_pc_store_put(&api->store, quote, qlen, sum, ok, ppid, now);
        if (!ok) {
            detail(r, 400, "Quote verification failed");
            if (res.n_reasons) add_header(r, "X-Verification-Reason", res.reasons[0]);
        } else {
            vf_pc_entry tmp;
            if (!ent) { /* larger than the store's byte cap: answered, not kept */
                memset(&tmp, 0, sizeof tmp);
                memcpy(tmp.checksum, sum, 32);
                ds_hex_encode(sum, 32, tmp.checksum_hex);
                tmp.verified = 1;
                tmp.uploaded_at = tmp.verified_at = now;
                tmp.have_ppid = ppid != NULL;
                if (ppid) memcpy(tmp.ppid, ppid, 16);
            }
            r->status = 200;
            vf_pc_verification_json(&r->body, ent ? ent : &tmp, &q, collateral_json(api),
                                    ent != NULL);
        }
    }
    ds_qverify_result_free(&res);
    free(quote);
}

/* ---- GET by checksum --------------------------------------------------------------------- */

static const vf_pc_entry *lookup(vf_pc_api *api, const char *arg, vf_pc_reply *r) {
    const vf_pc_entry *e = vf_pc_store_get_hex(&api->store, arg);
    if (!e) detail(r, 404, "Quote not found");
    return e;
}

static void h_view(vf_pc_api *api, const char *arg, const char *query, const char *ctype,
                   const char *inm, const uint8_t *body, size_t len, vf_pc_reply *r) {
    (void)query, (void)ctype, (void)inm, (void)body, (void)len;
    const vf_pc_entry *e = lookup(api, arg, r);
    ds_quote q;
    if (!e) return;
    if (ds_quote_parse(e->quote, e->quote_len, &q) != DS_OK) { /* stored only once parsed */
        detail(r, 500, "Internal error: stored quote no longer parses");
        return;
    }
    r->status = 200;
    vf_pc_view_json(&r->body, e, &q);
}

/* Whether an If-None-Match value names etag (or is "*"). */
static int etag_matches(const char *inm, const char *etag) {
    if (!inm) return 0;
    size_t el = strlen(etag);
    for (const char *p = inm; *p;) {
        while (*p == ' ' || *p == ',' || *p == '\t')
            p++;
        if (!strncmp(p, "W/", 2)) p += 2;
        size_t n = strcspn(p, ",");
        while (n && (p[n - 1] == ' ' || p[n - 1] == '\t'))
            n--;
        if ((n == 1 && *p == '*') || (n == el && !strncmp(p, etag, el))) return 1;
        p += strcspn(p, ",");
    }
    return 0;
}

static void h_collateral(vf_pc_api *api, const char *arg, const char *query, const char *ctype,
                         const char *inm, const uint8_t *body, size_t len, vf_pc_reply *r) {
    (void)query, (void)ctype, (void)body, (void)len;
    const vf_pc_entry *e = lookup(api, arg, r);
    if (!e) return;
    char etag[70];
    snprintf(etag, sizeof etag, "\"%s\"", e->checksum_hex);
    add_header(r, "Cache-Control", "public, max-age=86400");
    add_header(r, "CDN-Cache-Control", "public, max-age=86400");
    add_header(r, "Vary", "Accept-Encoding");
    add_header(r, "ETag", etag);
    if (etag_matches(inm, etag)) {
        r->status = 304;
        r->content_type = NULL;
        return;
    }
    const ds_buf *cj = collateral_json(api);
    if (!cj) {
        r->n_hdr = 0;
        detail(r, 400, "Unable to retrieve collateral data");
        return;
    }
    ds_buf_append(&r->body, cj->data, cj->len);
    r->status = 200;
}

static void h_raw(vf_pc_api *api, const char *arg, const char *query, const char *ctype,
                  const char *inm, const uint8_t *body, size_t len, vf_pc_reply *r) {
    (void)query, (void)ctype, (void)inm, (void)body, (void)len;
    const vf_pc_entry *e = lookup(api, arg, r);
    if (!e) return;
    char cd[128];
    snprintf(cd, sizeof cd, "attachment; filename=%s.bin", e->checksum_hex);
    add_header(r, "Content-Disposition", cd);
    r->status = 200;
    r->content_type = "application/octet-stream";
    ds_buf_append(&r->body, e->quote, e->quote_len);
}

/* ---- GET recent -------------------------------------------------------------------------- */

/* FastAPI's 422 for one query parameter: {"detail":[{"type","loc","msg","input"}]}. */
static void query_error(vf_pc_reply *r, const char *name, const char *type, const char *msg,
                        const char *input) {
    r->status = 422;
    ds_buf_reset(&r->body);
    ds_buf_printf(&r->body,
                  "{\"detail\":[{\"type\":\"%s\",\"loc\":[\"query\",\"%s\"],\"msg\":", type, name);
    ds_buf_json_str(&r->body, msg, strlen(msg));
    ds_buf_puts(&r->body, ",\"input\":");
    ds_buf_json_str(&r->body, input, strlen(input));
    ds_buf_puts(&r->body, "}]}");
}

/* Parses query parameter `name` as an integer in [lo, hi] into *out (kept when absent).
 * Returns 0, or -1 with the 422 reply written. */
static int query_int(const char *query, const char *name, long lo, long hi, long *out,
                     vf_pc_reply *r) {
    char *s = NULL;
    int count = 0;
    if (!query) return 0;
    if (vf_urlencoded_get((const uint8_t *)query, strlen(query), name, &s, &count) != 0) {
        query_error(r, name, "int_parsing", "Input should be a valid integer", "");
        return -1;
    }
    if (!s) return 0;
    char *end;
    long long v = strtoll(s, &end, 10);
    int digits = *s && (*s == '-' || (*s >= '0' && *s <= '9'));
    if (!digits || *end || end - s > 12) {
        query_error(r, name, "int_parsing",
                    "Input should be a valid integer, unable to parse string as an integer", s);
        free(s);
        return -1;
    }
    if (v < lo || v > hi) {
        char msg[96];
        snprintf(msg, sizeof msg, "Input should be %s %ld",
                 v < lo ? "greater than or equal to" : "less than or equal to", v < lo ? lo : hi);
        query_error(r, name, v < lo ? "greater_than_equal" : "less_than_equal", msg, s);
        free(s);
        return -1;
    }
    free(s);
    *out = (long)v;
    return 0;
}

static void h_recent(vf_pc_api *api, const char *arg, const char *query, const char *ctype,
                     const char *inm, const uint8_t *body, size_t len, vf_pc_reply *r) {
    (void)arg, (void)ctype, (void)inm, (void)body, (void)len;
    long skip = 0, limit = 20;
    if (query_int(query, "skip", 0, 1000000000L, &skip, r) ||
        query_int(query, "limit", 1, 100, &limit, r))
        return;
    r->status = 200;
    vf_pc_recent_json(&r->body, &api->store, (size_t)skip, (size_t)limit);
}

/* ---- routing ----------------------------------------------------------------------------- */

typedef void (*route_fn)(vf_pc_api *, const char *, const char *, const char *, const char *,
                         const uint8_t *, size_t, vf_pc_reply *);

static const struct {
    const char *name; /* after the prefix */
    int has_arg;      /* "name/{checksum}" */
    unsigned methods; /* 1 << vf_pc_method */
    route_fn fn;
} ROUTES[] = {
    {"verify", 0, 1u << VF_PC_POST, h_verify},
    {"recent", 0, 1u << VF_PC_GET, h_recent},
    {"view", 1, 1u << VF_PC_GET, h_view},
    {"collateral", 1, 1u << VF_PC_GET, h_collateral},
    {"raw", 1, 1u << VF_PC_GET | 1u << VF_PC_HEAD, h_raw},
};

/* The route of path, its {checksum} argument copied into arg (cap 80). Returns the index or
 * -1. */
static int route_of(const char *path, size_t len, char *arg, size_t cap) {
    size_t pl = strlen(VF_PC_PREFIX);
    if (len <= pl || strncmp(path, VF_PC_PREFIX, pl)) return -1;
    const char *rest = path + pl;
    size_t rl = len - pl;
    for (size_t i = 0; i < sizeof ROUTES / sizeof ROUTES[0]; i++) {
        size_t nl = strlen(ROUTES[i].name);
        if (rl < nl || strncmp(rest, ROUTES[i].name, nl)) continue;
        if (!ROUTES[i].has_arg && rl == nl) {
            arg[0] = '\0';
            return (int)i;
        }
        if (ROUTES[i].has_arg && rl > nl + 1 && rest[nl] == '/') {
            size_t al = rl - nl - 1;
            if (memchr(rest + nl + 1, '/', al)) return -1;
            if (al >= cap) al = cap - 1; /* too long to be a checksum: still a 404 */
            memcpy(arg, rest + nl + 1, al);
            arg[al] = '\0';
            return (int)i;
        }
    }
    return -1;
}

int vf_pc_is_api_path(const char *path, size_t len) {
    size_t pl = strlen(VF_PC_PREFIX) - 1; /* "/api/v1/attestations" itself too */
    return len >= pl && !strncmp(path, VF_PC_PREFIX, pl) && (len == pl || path[pl] == '/');
}

void vf_pc_handle(vf_pc_api *api, vf_pc_method m, const char *path, size_t len, const char *query,
                  const char *content_type, const char *if_none_match, const uint8_t *body,
                  size_t body_len, vf_pc_reply *r) {
    char arg[80];
    int i = route_of(path, len, arg, sizeof arg);
    if (i < 0) {
        detail(r, 404, "Not Found");
    } else if (!(ROUTES[i].methods & 1u << m)) {
        detail(r, 405, "Method Not Allowed");
        add_header(r, "Allow",
                   ROUTES[i].methods & 1u << VF_PC_POST
                       ? "POST"
                       : (ROUTES[i].methods & 1u << VF_PC_HEAD ? "GET, HEAD" : "GET"));
    } else {
        ROUTES[i].fn(api, arg, query, content_type, if_none_match,
                     body ? body : (const uint8_t *)"", body_len, r);
    }
    if (r->body.oom) {
        r->n_hdr = 0;
        ds_buf_free(&r->body);
        ds_buf_init(&r->body);
        detail(r, 500, "Internal error: out of memory");
    }
    if (m == VF_PC_HEAD && r->status != 304) { /* headers only, the length announced */
        r->content_length = (long)r->body.len;
        ds_buf_reset(&r->body);
    }
}
