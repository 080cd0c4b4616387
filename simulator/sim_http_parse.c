/* sim_http_parse.c — request heads and chunked bodies (sim_http_parse.h). */
#include "sim_http_parse.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

/* Whether the comma-separated header value v lists tok (case-insensitive). */
static int has_token(const char *v, const char *tok) {
    size_t tl = strlen(tok);
    while (*v) {
        while (*v == ' ' || *v == '\t' || *v == ',')
            v++;
        const char *e = v;
        while (*e && *e != ',')
            e++;
        const char *t = e;
        while (t > v && (t[-1] == ' ' || t[-1] == '\t'))
            t--;
        if ((size_t)(t - v) == tl && !strncasecmp(v, tok, tl)) return 1;
        v = e;
    }
    return 0;
}

static int parse_length(const char *v, size_t *out) {
    size_t n = 0;
    if (!*v) return -1;
    for (const char *d = v; *d; d++) {
        if (*d < '0' || *d > '9' || n > (SIZE_MAX - 9) / 10) return -1;
        n = n * 10 + (size_t)(*d - '0');
    }
    *out = n;
    return 0;
}

int sim_http_head_parse(char *head, sim_http_head *h, const char **why) {
    memset(h, 0, sizeof *h);
    char *p = head;
    char *eol = strstr(p, "\r\n");
    if (!eol) {
        *why = "Malformed request line";
        return 400;
    }
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
    if (!strcmp(ver, "HTTP/1.1"))
        h->http10 = 0;
    else if (!strcmp(ver, "HTTP/1.0"))
        h->http10 = 1;
    else {
        *why = "Unsupported HTTP version";
        return 400;
    }
    h->method = p;
    h->target = sp1 + 1;
    if (!strncasecmp(h->target, "http://", 7)) { /* absolute form: drop scheme and host */
        const char *slash = strchr(h->target + 7, '/');
        h->target = slash ? slash : "/";
    }
    h->keep_alive = !h->http10;
    int have_len = 0, have_te = 0;
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
        while (*v == ' ' || *v == '\t')
            v++;
        for (char *t = v + strlen(v); t > v && (t[-1] == ' ' || t[-1] == '\t');)
            *--t = '\0';
        if (!strcasecmp(p, "content-length")) {
            size_t n;
            if (parse_length(v, &n)) {
                *why = "Invalid Content-Length";
                return 400;
            }
            if (have_len && n != h->body_len) {
                *why = "Conflicting Content-Length headers";
                return 400;
            }
            have_len = 1;
            h->body_len = n;
        } else if (!strcasecmp(p, "transfer-encoding")) {
            /* Only a plain "chunked" (what curl, httpx and Go send) is decoded. */
            if (have_te || strcasecmp(v, "chunked")) {
                *why = "Unsupported Transfer-Encoding: send the body with Content-Length or "
                       "Transfer-Encoding: chunked";
                return 501;
            }
            have_te = 1;
            h->chunked = 1;
        } else if (!strcasecmp(p, "connection")) {
            if (has_token(v, "close"))
                h->keep_alive = 0;
            else if (has_token(v, "keep-alive"))
                h->keep_alive = 1;
        } else if (!strcasecmp(p, "expect")) {
            if (!strcasecmp(v, "100-continue")) h->expect_continue = 1;
        } else if (!strcasecmp(p, "content-type")) {
            h->content_type = v;
        }
        p = eol + 2;
    }
    if (have_te && have_len) { /* RFC 9112 §6.3: ambiguous framing, a smuggling vector */
        *why = "Both Content-Length and Transfer-Encoding: send one of them";
        return 400;
    }
    return 0;
}

/* Decoder states. */
enum { CH_SIZE, CH_DATA, CH_DATA_END, CH_TRAILER, CH_DONE };

#define CHUNK_LINE_MAX 1024 /* a size line with extensions */

void sim_chunked_init(sim_chunked *d) {
    memset(d, 0, sizeof *d);
    ds_buf_init(&d->body);
}

void sim_chunked_free(sim_chunked *d) {
    ds_buf_free(&d->body);
    memset(d, 0, sizeof *d);
}

/* Length of the CRLF-terminated line at in (without the CRLF), or -1 when incomplete. */
static long line_len(const uint8_t *in, size_t n) {
    for (size_t i = 0; i + 1 < n; i++)
        if (in[i] == '\r' && in[i + 1] == '\n') return (long)i;
    return -1;
}

static int hexdig(uint8_t ch) {
    if (ch >= '0' && ch <= '9') return ch - '0';
    if (ch >= 'a' && ch <= 'f') return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F') return ch - 'A' + 10;
    return -1;
}

int sim_chunked_feed(sim_chunked *d, const uint8_t *in, size_t n, size_t max_body,
                     size_t max_trailer, size_t *used, const char **why) {
    size_t pos = 0;
    int rc = SIM_CHUNKED_MORE;
    while (rc == SIM_CHUNKED_MORE && pos < n) {
        const uint8_t *p = in + pos;
        size_t left = n - pos;
        if (d->state == CH_SIZE || d->state == CH_TRAILER || d->state == CH_DATA_END) {
            long ll = line_len(p, left);
            size_t cap = d->state == CH_TRAILER ? max_trailer - d->trailer_bytes : CHUNK_LINE_MAX;
            if (ll < 0) {
                if (left > cap) goto malformed_or_large;
                break; /* wait for the rest of the line */
            }
            if ((size_t)ll > cap) goto malformed_or_large;
            pos += (size_t)ll + 2;
            if (d->state == CH_DATA_END) { /* the CRLF after a chunk's data */
                if (ll != 0) {
                    *why = "Malformed chunked body: chunk data longer than its size";
                    rc = 400;
                    break;
                }
                d->state = CH_SIZE;
            } else if (d->state == CH_TRAILER) {
                d->trailer_bytes += (size_t)ll + 2;
                if (ll == 0) {
                    d->state = CH_DONE;
                    rc = SIM_CHUNKED_DONE;
                }
            } else { /* size line: 1*HEXDIG [ ; extensions ] */
                size_t sz = 0, i = 0;
                int h;
                for (; i < (size_t)ll && (h = hexdig(p[i])) >= 0; i++) {
                    if (sz > (SIZE_MAX >> 4)) {
                        *why = "Request body too large: chunk size overflows";
                        rc = 413;
                        break;
                    }
                    sz = sz * 16 + (size_t)h;
                }
                if (rc != SIM_CHUNKED_MORE) break;
                while (i < (size_t)ll && (p[i] == ' ' || p[i] == '\t'))
                    i++;
                if (i == 0 || (i < (size_t)ll && p[i] != ';')) {
                    *why = "Malformed chunked body: bad chunk size line";
                    rc = 400;
                    break;
                }
                if (sz > max_body || d->body.len > max_body - sz) {
                    *why = "Request body too large: payload too large";
                    rc = 413;
                    break;
                }
                d->remaining = sz;
                d->state = sz ? CH_DATA : CH_TRAILER;
            }
        } else if (d->state == CH_DATA) {
            size_t take = left < d->remaining ? left : d->remaining;
            ds_buf_append(&d->body, (const char *)p, take);
            if (d->body.oom) {
                *why = "out of memory";
                rc = 500;
                break;
            }
            pos += take;
            d->remaining -= take;
            if (!d->remaining) d->state = CH_DATA_END;
        } else {
            break; /* CH_DONE: the rest is the next request */
        }
        continue;
    malformed_or_large:
        *why = d->state == CH_TRAILER ? "Request header too large: chunked trailer section"
                                      : "Malformed chunked body: line too long";
        rc = d->state == CH_TRAILER ? 431 : 400;
        break;
    }
    if (rc == SIM_CHUNKED_MORE && d->state == CH_DONE) rc = SIM_CHUNKED_DONE;
    *used = pos;
    return rc;
}
