/* sim_args.c — a request's arguments as one JSON object, whatever way they came.
 *
 * POST with a non-empty body → the body as a JSON object (when the content type is
 * application/json, the query has "json", or the body starts with '{'); GET, or POST with
 * an empty body → the query string as an object of strings (a repeated key becomes an
 * array). Unknown fields are ignored; missing ones default (the methods read them).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sim_args.h"
#include "sim_limits.h"

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
cJSON *sim_args_parse(const sim_http_request *req, char *err, size_t errcap) {
    int is_post = !strcmp(req->method, "POST");
    if (!is_post || req->body_len == 0) {
        int bad;
        cJSON *o = query_to_json(req->query, &bad);
        if (!o)
            snprintf(err, errcap,
                     bad ? "Invalid query string: malformed percent-encoding, "
                           "a NUL (%%00) or invalid UTF-8"
                         : "out of memory");
        return o;
    }
    int json = looks_json(req->body, req->body_len) || query_has(req->query, "json") ||
               (req->content_type && !strncasecmp(req->content_type, "application/json", 16));
    if (!json) {
        snprintf(err, errcap,
                 "Unsupported request body: send JSON (Content-Type: "
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
