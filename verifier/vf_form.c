/* vf_form.c — request bodies of Phala Cloud's POST /api/v1/attestations/verify: the
 * multipart/form-data parser (RFC 7578 over RFC 2046 framing), urlencoded fields, JSON
 * {"hex"}, and the hex rules of the reference page. Everything here works on the bytes
 * evhttp already holds (at most the service's 1 MiB body limit); nothing is copied but
 * the decoded quote. */
#define _GNU_SOURCE /* memmem */
#include "vf_form.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cjson/cJSON.h>

#include "ds_hex.h"
#include "vf_serve.h"

/* ---- header parameters ------------------------------------------------------------------ */

/* The value of parameter `key` in a header value "type; a=b; c="d"" (case-insensitive key,
 * quoted-string unescaped). Returns 0, 1 when absent, -1 when longer than cap-1 or badly
 * quoted. */
static int header_param(const char *v, size_t vn, const char *key, char *out, size_t cap) {
    size_t kl = strlen(key), i = 0;
    while (i < vn && v[i] != ';') {
        if (v[i] == '"') return -1; /* the media type itself is a token */
        i++;
    }
    while (i < vn) {
        i++; /* ';' */
        while (i < vn && (v[i] == ' ' || v[i] == '\t'))
            i++;
        size_t ks = i;
        while (i < vn && v[i] != '=' && v[i] != ';')
            i++;
        size_t ke = i;
        while (ke > ks && (v[ke - 1] == ' ' || v[ke - 1] == '\t'))
            ke--;
        int match = ke - ks == kl && !strncasecmp(v + ks, key, kl);
        size_t o = 0;
        if (i < vn && v[i] == '=') {
            i++;
            while (i < vn && (v[i] == ' ' || v[i] == '\t'))
                i++;
            if (i < vn && v[i] == '"') {
                for (i++;; i++) {
                    if (i >= vn) return -1;
                    if (v[i] == '"') break;
                    if (v[i] == '\\' && i + 1 < vn) i++;
                    if (match) {
                        if (o + 1 >= cap) return -1;
                        out[o++] = v[i];
                    }
                }
                i++;
                while (i < vn && v[i] != ';')
                    if (v[i] != ' ' && v[i] != '\t')
                        return -1;
                    else
                        i++;
            } else {
                while (i < vn && v[i] != ';') {
                    if (match) {
                        if (o + 1 >= cap) return -1;
                        out[o++] = v[i];
                    }
                    i++;
                }
                while (match && o > 0 && (out[o - 1] == ' ' || out[o - 1] == '\t'))
                    o--;
            }
        }
        if (match) {
            out[o] = '\0';
            return 0;
        }
    }
    return 1;
}

/* The media type of a header value, lowercased into out ("" when none). */
static void media_type(const char *v, char *out, size_t cap) {
    size_t o = 0;
    while (*v == ' ' || *v == '\t')
        v++;
    for (; *v && *v != ';' && *v != ' ' && *v != '\t' && o + 1 < cap; v++)
        out[o++] = (char)tolower((unsigned char)*v);
    out[o] = '\0';
}

int vf_multipart_boundary(const char *content_type, char *out, size_t cap) {
    char b[VF_MULTIPART_MAX_BOUNDARY + 2];
    if (!content_type ||
        header_param(content_type, strlen(content_type), "boundary", b, sizeof b) != 0)
        return -1;
    size_t n = strlen(b);
    if (n == 0 || n > VF_MULTIPART_MAX_BOUNDARY || n + 1 > cap) return -1;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)b[i] < 0x20 || (unsigned char)b[i] > 0x7e) return -1;
    memcpy(out, b, n + 1);
    return 0;
}

/* ---- multipart/form-data ----------------------------------------------------------------- */

/* Reads a part's header block [h, h+n): Content-Disposition form-data with a name. */
static int part_headers(const uint8_t *h, size_t n, vf_part *p, char *why, size_t cap) {
    int have_cd = 0;
    while (n > 0) {
        const uint8_t *eol = memmem(h, n, "\r\n", 2);
        size_t ln = eol ? (size_t)(eol - h) : n;
        const char *line = (const char *)h;
        const char *colon = memchr(line, ':', ln);
        if (!colon) {
            snprintf(why, cap, "multipart part header without a colon");
            return -1;
        }
        size_t nl = (size_t)(colon - line);
        if (nl == 19 && !strncasecmp(line, "Content-Disposition", 19)) {
            const char *v = colon + 1;
            size_t vn = ln - nl - 1;
            while (vn && (*v == ' ' || *v == '\t'))
                v++, vn--;
            if (vn < 9 || strncasecmp(v, "form-data", 9) ||
                (vn > 9 && v[9] != ';' && v[9] != ' ')) {
                snprintf(why, cap, "multipart part is not Content-Disposition: form-data");
                return -1;
            }
            char fname[512];
            if (header_param(v, vn, "name", p->name, sizeof p->name) != 0 || !p->name[0]) {
                snprintf(why, cap, "multipart part without a usable name");
                return -1;
            }
            int fr = header_param(v, vn, "filename", fname, sizeof fname);
            if (fr < 0) {
                snprintf(why, cap, "multipart part with a malformed filename");
                return -1;
            }
            p->has_filename = fr == 0;
            have_cd = 1;
        }
        if (!eol) break;
        h = eol + 2;
        n -= ln + 2;
    }
    if (!have_cd) {
        snprintf(why, cap, "multipart part without Content-Disposition");
        return -1;
    }
    return 0;
}

int vf_multipart_parse(const char *boundary, const uint8_t *body, size_t len,
                       int (*on_part)(const vf_part *p, void *arg), void *arg, char *why,
                       size_t whycap) {
    if (!body) len = 0, body = (const uint8_t *)""; /* memmem wants a pointer */
    size_t bl = boundary ? strlen(boundary) : 0;
    if (bl == 0 || bl > VF_MULTIPART_MAX_BOUNDARY) {
        snprintf(why, whycap, "multipart boundary missing or over %d characters",
                 VF_MULTIPART_MAX_BOUNDARY);
        return -1;
    }
    char delim[VF_MULTIPART_MAX_BOUNDARY + 5]; /* CRLF "--" boundary */
    snprintf(delim, sizeof delim, "\r\n--%s", boundary);
    size_t dl = bl + 4;
    /* The first delimiter may open the body (no preamble) or follow a preamble line. */
    const uint8_t *p;
    if (len >= dl - 2 && !memcmp(body, delim + 2, dl - 2))
        p = body + dl - 2;
    else if ((p = memmem(body, len, delim, dl)) != NULL)
        p += dl;
    else {
        snprintf(why, whycap, "multipart body without its opening boundary");
        return -1;
    }
    const uint8_t *end = body + len;
    for (int parts = 0;; parts++) {
        if (end - p >= 2 && p[0] == '-' && p[1] == '-') return 0; /* closing delimiter */
        while (p < end && (*p == ' ' || *p == '\t'))              /* transport padding */
            p++;
        if (end - p < 2 || p[0] != '\r' || p[1] != '\n') {
            snprintf(why, whycap, "multipart boundary not followed by CRLF");
            return -1;
        }
        p += 2;
        if (parts >= VF_MULTIPART_MAX_PARTS) {
            snprintf(why, whycap, "multipart body with more than %d parts", VF_MULTIPART_MAX_PARTS);
            return -1;
        }
        vf_part part;
        memset(&part, 0, sizeof part);
        const uint8_t *hend;
        if (end - p >= 2 && p[0] == '\r' && p[1] == '\n') {
            hend = p; /* no headers at all */
        } else {
            size_t look = (size_t)(end - p);
            if (look > VF_MULTIPART_MAX_HEADERS + 4) look = VF_MULTIPART_MAX_HEADERS + 4;
            hend = memmem(p, look, "\r\n\r\n", 4);
            if (!hend) {
                snprintf(why, whycap,
                         "multipart part headers not ended by a blank line "
                         "within %d bytes",
                         VF_MULTIPART_MAX_HEADERS);
                return -1;
            }
        }
        if (part_headers(p, (size_t)(hend - p), &part, why, whycap) != 0) return -1;
        p = hend + (hend == p ? 2 : 4);
        const uint8_t *next = memmem(p, (size_t)(end - p), delim, dl);
        if (!next) {
            snprintf(why, whycap, "multipart body without its closing boundary");
            return -1;
        }
        part.data = p;
        part.len = (size_t)(next - p);
        int r = on_part(&part, arg);
        if (r) return r;
        p = next + dl;
    }
}

/* ---- urlencoded -------------------------------------------------------------------------- */

static int unhex1(int c) {
    if (c >= '0' && c <= '9') return c - '0';
    c = tolower(c);
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* %-decodes [s, s+n) into a malloc'd string. Returns it, or NULL (bad escape, NUL, OOM). */
static char *url_decode(const uint8_t *s, size_t n) {
    char *o = malloc(n + 1);
    size_t k = 0;
    for (size_t i = 0; o && i < n; i++) {
        int c = s[i];
        if (c == '+') {
            c = ' ';
        } else if (c == '%') {
            int hi = i + 2 < n ? unhex1(s[i + 1]) : -1, lo = i + 2 < n ? unhex1(s[i + 2]) : -1;
            if (hi < 0 || lo < 0) goto bad;
            c = hi << 4 | lo;
            i += 2;
        }
        if (c == 0) goto bad;
        o[k++] = (char)c;
    }
    if (o) o[k] = '\0';
    return o;
bad:
    free(o);
    return NULL;
}

int vf_urlencoded_get(const uint8_t *body, size_t len, const char *name, char **out, int *count) {
    size_t nl = strlen(name), i = 0;
    *out = NULL;
    *count = 0;
    while (i < len) {
        size_t s = i;
        while (i < len && body[i] != '&')
            i++;
        const uint8_t *eq = memchr(body + s, '=', i - s);
        size_t kl = eq ? (size_t)(eq - (body + s)) : i - s;
        if (kl == nl && !memcmp(body + s, name, nl)) {
            if (++*count == 1) {
                const uint8_t *v = eq ? eq + 1 : body + i;
                if (!(*out = url_decode(v, (size_t)(body + i - v)))) return -1;
            }
        }
        i++;
    }
    return 0;
}

/* ---- hex --------------------------------------------------------------------------------- */

int vf_hex_quote(const char *s, size_t len, uint8_t **out, size_t *out_len, char *why,
                 size_t whycap) {
    *out = NULL;
    *out_len = 0;
    while (len && isspace((unsigned char)*s))
        s++, len--;
    while (len && isspace((unsigned char)s[len - 1]))
        len--;
    if (len >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) s += 2, len -= 2;
    if (len == 0) {
        snprintf(why, whycap, "Invalid hex format: empty");
        return -1;
    }
    if (len % 2) {
        snprintf(why, whycap, "Invalid hex format: odd number of digits (%zu)", len);
        return -1;
    }
    uint8_t *b = malloc(len / 2);
    size_t n = 0;
    if (!b) {
        snprintf(why, whycap, "out of memory");
        return -1;
    }
    if (ds_hex_decode(s, len, b, len / 2, &n) != DS_OK || n != len / 2) { /* one pass */
        free(b);
        size_t i = 0;
        while (i < len && isxdigit((unsigned char)s[i]))
            i++;
        snprintf(why, whycap, "Invalid hex format: non-hex character at offset %zu", i);
        return -1;
    }
    *out = b;
    *out_len = len / 2;
    return 0;
}

/* ---- the three input forms --------------------------------------------------------------- */

typedef struct {
    int n_file, n_hex;
    const uint8_t *file;
    size_t file_len;
    const uint8_t *hex;
    size_t hex_len;
} form_fields;

static int on_form_part(const vf_part *p, void *arg) {
    form_fields *f = arg;
    if (!strcmp(p->name, "file")) {
        f->n_file++;
        f->file = p->data, f->file_len = p->len;
    } else if (!strcmp(p->name, "hex")) {
        f->n_hex++;
        f->hex = p->data, f->hex_len = p->len;
    }
    return 0;
}

static int fail400(char *detail, size_t cap, const char *msg) {
    snprintf(detail, cap, "%s", msg);
    return 400;
}

#define NO_INPUT "No quote provided: send a multipart file or a hex string"
#define BOTH_INPUTS "Provide either file or hex, not both"

int vf_pc_input(const char *content_type, const uint8_t *body, size_t len, uint8_t **quote,
                size_t *quote_len, char *detail, size_t cap) {
    char mt[64], why[200];
    *quote = NULL;
    *quote_len = 0;
    media_type(content_type ? content_type : "", mt, sizeof mt);
    form_fields f;
    memset(&f, 0, sizeof f);
    char *owned = NULL; /* a decoded hex string */
    if (!strcmp(mt, "multipart/form-data")) {
        char b[VF_MULTIPART_MAX_BOUNDARY + 1];
        if (vf_multipart_boundary(content_type, b, sizeof b) != 0)
            return fail400(detail, cap, "multipart/form-data without a valid boundary");
        if (vf_multipart_parse(b, body, len, on_form_part, &f, why, sizeof why) != 0)
            return fail400(detail, cap, why);
    } else if (!strcmp(mt, "application/x-www-form-urlencoded")) {
        if (vf_urlencoded_get(body, len, "hex", &owned, &f.n_hex) != 0)
            return fail400(detail, cap, "form body with a bad %-escape or a NUL byte");
        if (owned) f.hex = (const uint8_t *)owned, f.hex_len = strlen(owned);
    } else if (!strcmp(mt, "application/json")) {
        /* C strings would cut a "\u0000" escape short: refused rather than truncated */
        int nul_escape;
        if (vf_json_depth(body, len, &nul_escape) > VF_JSON_MAX_DEPTH)
            return fail400(detail, cap, "JSON nested deeper than 128 levels");
        if (nul_escape) return fail400(detail, cap, "JSON string with a \\u0000 escape");
        cJSON *j = cJSON_ParseWithLength((const char *)body, len);
        if (!j) return fail400(detail, cap, "body is not valid JSON");
        const cJSON *h = cJSON_IsObject(j) ? cJSON_GetObjectItemCaseSensitive(j, "hex") : NULL;
        if (cJSON_IsString(h)) {
            owned = strdup(h->valuestring);
            f.n_hex = 1;
        } else if (h && !cJSON_IsNull(h)) {
            cJSON_Delete(j);
            return fail400(detail, cap, "hex must be a string");
        }
        cJSON_Delete(j);
        if (f.n_hex && !owned) return fail400(detail, cap, "out of memory");
        if (owned) f.hex = (const uint8_t *)owned, f.hex_len = strlen(owned);
    } else if (len > 0 || mt[0]) {
        snprintf(detail, cap,
                 "Unsupported content type %.60s: send multipart/form-data, "
                 "application/json or application/x-www-form-urlencoded",
                 mt[0] ? mt : "(none)");
        return 400;
    }
    int st = 0;
    if (f.n_file && f.n_hex)
        st = fail400(detail, cap, BOTH_INPUTS);
    else if (!f.n_file && !f.n_hex)
        st = fail400(detail, cap, NO_INPUT);
    else if (f.n_file > 1 || f.n_hex > 1)
        st = fail400(detail, cap, "more than one file or hex field");
    else if (f.n_file) {
        if (!(*quote = malloc(f.file_len ? f.file_len : 1))) {
            st = fail400(detail, cap, "out of memory");
        } else {
            if (f.file_len) memcpy(*quote, f.file, f.file_len);
            *quote_len = f.file_len;
        }
    } else if (vf_hex_quote((const char *)f.hex, f.hex_len, quote, quote_len, why, sizeof why))
        st = fail400(detail, cap, why);
    free(owned);
    return st;
}
