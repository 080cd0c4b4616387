/* vf_vreq.c — the POST /verify request of upstream's dstack-verifier: body decoding with
 * the statuses Rocket + serde give (dstack-verifier-api.md §2-§3), and the evidence it
 * selects: the agent's V0 attestation (SCALE) when `attestation` is given, else `quote` +
 * `event_log`. */
#include "vf_serve.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "ds_hex.h"
#include "ds_quote.h"

/* RFC 3629 UTF-8. Returns -1 when valid, else the offset of the first bad byte. */
static long utf8_bad(const uint8_t *s, size_t n) {
    size_t i = 0;
    while (i < n) {
        uint8_t c = s[i];
        size_t k;
        uint32_t cp;
        if (c < 0x80) {
            i++;
            continue;
        } else if ((c & 0xe0) == 0xc0) {
            k = 1, cp = c & 0x1f;
        } else if ((c & 0xf0) == 0xe0) {
            k = 2, cp = c & 0x0f;
        } else if ((c & 0xf8) == 0xf0) {
            k = 3, cp = c & 0x07;
        } else {
            return (long)i;
        }
        for (size_t j = 1; j <= k; j++) {
            if (i + j >= n || (s[i + j] & 0xc0) != 0x80) return (long)i;
            cp = cp << 6 | (s[i + j] & 0x3f);
        }
        if ((k == 1 && cp < 0x80) || (k == 2 && cp < 0x800) || (k == 3 && cp < 0x10000) ||
            cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
            return (long)i;
        i += k + 1;
    }
    return -1;
}

/* Deepest nesting outside strings and whether a string holds a "\u0000" escape
 * (vf_serve.h). */
size_t vf_json_depth(const uint8_t *s, size_t n, int *nul_escape) {
    size_t d = 0, max = 0;
    int in_str = 0;
    *nul_escape = 0;
    for (size_t i = 0; i < n; i++) {
        uint8_t c = s[i];
        if (in_str) {
            if (c == '\\' && i + 5 < n && !memcmp(s + i + 1, "u0000", 5)) *nul_escape = 1;
            if (c == '\\')
                i++;
            else if (c == '"')
                in_str = 0;
        } else if (c == '"') {
            in_str = 1;
        } else if (c == '[' || c == '{') {
            if (++d > max) max = d;
        } else if ((c == ']' || c == '}') && d) {
            d--;
        }
    }
    return max;
}

static int fail(int status, char *err, size_t cap, const char *fmt, const char *a) {
    snprintf(err, cap, fmt, a);
    return status;
}

/* A known key given twice is a serde "duplicate field" error: 422. */
static const char *repeated_key(const cJSON *o) {
    static const char *const KEYS[] = {"quote", "event_log", "vm_config", "attestation", "debug"};
    for (size_t k = 0; k < sizeof KEYS / sizeof KEYS[0]; k++) {
        int seen = 0;
        for (const cJSON *c = o->child; c; c = c->next)
            if (c->string && !strcmp(c->string, KEYS[k])) seen++;
        if (seen > 1) return KEYS[k];
    }
    return NULL;
}

/* Plain hex as serde-human-bytes reads it (no 0x, even length); "" = zero bytes. */
static int hex_field(const cJSON *v, const char *k, uint8_t **out, size_t *len, char *err,
                     size_t cap) {
    if (!v || cJSON_IsNull(v)) return 0;
    if (!cJSON_IsString(v)) return fail(422, err, cap, "%s: expected a hex string", k);
    const char *s = v->valuestring;
    size_t n = strlen(s);
    if (n % 2 || (n >= 2 && s[0] == '0' && (s[1] | 0x20) == 'x'))
        return fail(422, err, cap, "%s: not plain hex (odd length or a 0x prefix)", k);
    if (!(*out = malloc(n / 2 + 1))) return fail(500, err, cap, "%s: out of memory", k);
    if (ds_hex_decode_exact(s, n, *out, n / 2) != DS_OK)
        return fail(422, err, cap, "%s: not hex", k);
    *len = n / 2;
    return 0;
}

static int str_field(const cJSON *v, const char *k, char **out, char *err, size_t cap) {
    if (!v || cJSON_IsNull(v)) return 0;
    if (!cJSON_IsString(v)) return fail(422, err, cap, "%s: expected a string", k);
    if (!(*out = strdup(v->valuestring))) return fail(500, err, cap, "%s: out of memory", k);
    return 0;
}

int vf_vreq_decode(const uint8_t *body, size_t len, vf_vreq *r, char *err, size_t errcap) {
    memset(r, 0, sizeof *r);
    long bad = body ? utf8_bad(body, len) : -1;
    if (!body || len == 0) return fail(400, err, errcap, "%sempty body: POST a JSON object", "");
    if (bad >= 0) {
        snprintf(err, errcap, "body is not UTF-8 (byte %ld)", bad);
        return 400;
    }
    if (memchr(body, 0, len)) return fail(400, err, errcap, "%sbody contains a NUL byte", "");
    int nul_escape;
    if (vf_json_depth(body, len, &nul_escape) > VF_JSON_MAX_DEPTH)
        return fail(400, err, errcap, "JSON nested deeper than %s levels", "128");
    if (nul_escape)
        return fail(400, err, errcap,
                    "%sa string holds a \\u0000 escape (refused: it would "
                    "be cut short)",
                    "");
    cJSON *o = cJSON_ParseWithLength((const char *)body, len);
    if (!o) return fail(400, err, errcap, "%smalformed or truncated JSON", "");
    int st = 0;
    const char *dup;
    if (!cJSON_IsObject(o)) {
        st = fail(422, err, errcap, "%sexpected a JSON object", "");
    } else if ((dup = repeated_key(o))) {
        st = fail(422, err, errcap, "duplicate field `%s`", dup);
    } else {
        const cJSON *dbg = cJSON_GetObjectItemCaseSensitive(o, "debug");
        st = hex_field(cJSON_GetObjectItemCaseSensitive(o, "quote"), "quote", &r->quote,
                       &r->quote_len, err, errcap);
        if (!st)
            st = str_field(cJSON_GetObjectItemCaseSensitive(o, "event_log"), "event_log",
                           &r->event_log, err, errcap);
        if (!st)
            st = str_field(cJSON_GetObjectItemCaseSensitive(o, "vm_config"), "vm_config",
                           &r->vm_config, err, errcap);
        if (!st)
            st = hex_field(cJSON_GetObjectItemCaseSensitive(o, "attestation"), "attestation",
                           &r->attestation, &r->attestation_len, err, errcap);
        if (!st && dbg && !cJSON_IsNull(dbg) && !cJSON_IsBool(dbg))
            st = fail(422, err, errcap, "%sdebug: expected a boolean", "");
        if (!st) r->debug = cJSON_IsTrue(dbg);
    }
    cJSON_Delete(o);
    if (st) vf_vreq_free(r);
    return st;
}

void vf_vreq_free(vf_vreq *r) {
    free(r->quote);
    free(r->event_log);
    free(r->vm_config);
    free(r->attestation);
    memset(r, 0, sizeof *r);
}

/* ---- V0 attestation (SCALE) ---------------------------------------------------------- */

typedef struct {
    const uint8_t *p, *end;
    int bad;
} scale_rd;

static uint64_t sc_compact(scale_rd *r) {
    if (r->bad || r->p >= r->end) return r->bad = 1, 0;
    uint8_t m = r->p[0] & 3;
    size_t n = m == 0 ? 1 : m == 1 ? 2 : m == 2 ? 4 : (size_t)(r->p[0] >> 2) + 5;
    if (n > 9 || (size_t)(r->end - r->p) < n) return r->bad = 1, 0;
    uint64_t v = 0;
    if (m == 3) {
        for (size_t i = n - 1; i >= 1; i--)
            v = v << 8 | r->p[i];
    } else {
        for (size_t i = n; i-- > 0;)
            v = v << 8 | r->p[i];
        v >>= 2;
    }
    r->p += n;
    return v;
}

static const uint8_t *sc_bytes(scale_rd *r, size_t *len) {
    uint64_t n = sc_compact(r);
    if (r->bad || n > (uint64_t)(r->end - r->p)) return r->bad = 1, NULL;
    const uint8_t *s = r->p;
    r->p += n;
    *len = (size_t)n;
    return s;
}

static uint32_t sc_u32(scale_rd *r) {
    if (r->bad || r->end - r->p < 4) return r->bad = 1, 0;
    uint32_t v = (uint32_t)r->p[0] | (uint32_t)r->p[1] << 8 | (uint32_t)r->p[2] << 16 |
                 (uint32_t)r->p[3] << 24;
    r->p += 4;
    return v;
}

/* The vm_config string inside the attestation's sys-config JSON (NULL when none). */
static char *embedded_vm_config(const uint8_t *cfg, size_t n) {
    cJSON *o = cJSON_ParseWithLength((const char *)cfg, n);
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, "vm_config");
    char *s = cJSON_IsString(v) ? strdup(v->valuestring) : NULL;
    cJSON_Delete(o);
    return s;
}

static int decode_v0(const uint8_t *a, size_t n, vf_evidence *ev) {
    scale_rd r = {a, a + n, 0};
    if (n < 2 || a[0] != 0x00 || a[1] != 0x00) return -1; /* V0, DstackTdx */
    r.p += 2;
    size_t ql = 0, l1 = 0, l2 = 0, l3 = 0;
    const uint8_t *q = sc_bytes(&r, &ql);
    uint64_t nev = sc_compact(&r);
    if (r.bad || !q || nev > n) return -1;
    if (!(ev->quote = malloc(ql ? ql : 1))) return -1;
    memcpy(ev->quote, q, ql);
    ev->quote_len = ql;
    for (uint64_t i = 0; i < nev && !r.bad; i++) {
        uint32_t imr = sc_u32(&r), type = sc_u32(&r);
        const uint8_t *d = sc_bytes(&r, &l1), *name = sc_bytes(&r, &l2), *pl = sc_bytes(&r, &l3);
        if (r.bad || imr > 3 || l1 > DS_RTMR_LEN ||
            ds_eventlog_add(&ev->log, imr, type, d, l1, (const char *)name, l2, pl, l3) != DS_OK)
            return -1;
    }
    uint64_t nrt = sc_compact(&r);
    for (uint64_t i = 0; i < nrt && !r.bad; i++) {
        sc_bytes(&r, &l1);
        sc_bytes(&r, &l2);
    }
    if (r.bad || r.end - r.p < 64) return -1;
    memcpy(ev->report_data, r.p, 64);
    ev->have_report_data = 1;
    r.p += 64;
    const uint8_t *cfg = sc_bytes(&r, &l1);
    if (r.bad || r.p != r.end) return -1;
    ev->vm_config = embedded_vm_config(cfg, l1);
    return 0;
}

int vf_evidence_from(const vf_vreq *r, vf_evidence *ev, char *why, size_t whycap) {
    memset(ev, 0, sizeof *ev);
    ds_eventlog_init(&ev->log);
    ds_quote q;
    const char *msg = NULL;
    if (r->attestation) {
        if (decode_v0(r->attestation, r->attestation_len, ev) != 0)
            msg = "Failed to decode attestaion";
    } else if (!r->quote) {
        msg = "Quote is required";
    } else if (!r->event_log) {
        msg = "Event log is required";
    } else if (ds_quote_parse(r->quote, r->quote_len, &q) != DS_OK ||
               ds_eventlog_parse_json(r->event_log, strlen(r->event_log), &ev->log, NULL, 0) !=
                   DS_OK) {
        msg = "Failed to create attestation";
    } else if (!(ev->quote = malloc(r->quote_len))) {
        msg = "out of memory";
    } else {
        memcpy(ev->quote, r->quote, r->quote_len);
        ev->quote_len = r->quote_len;
    }
    if (!msg) return 0;
    snprintf(why, whycap, "Internal error: %s", msg);
    vf_evidence_free(ev);
    return -1;
}

void vf_evidence_free(vf_evidence *ev) {
    free(ev->quote);
    free(ev->vm_config);
    ds_eventlog_free(&ev->log);
    memset(ev, 0, sizeof *ev);
}
