/* ds_json.c — growable buffer, JSON string writer, typed cJSON field access.
 *
 * The writer is used on the hot path (every response), so it appends directly into one
 * buffer and never builds intermediate trees. Field access implements the request
 * rules of the guest-agent API; so that GET query strings (where every value is text)
 * can share it, booleans and integers also accept their text forms ("true", "1", "42")
 * and a string array accepts a single string.
 */
#include "ds_json.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ds_hex.h"

void ds_buf_init(ds_buf *b) {
    memset(b, 0, sizeof(*b));
}

void ds_buf_free(ds_buf *b) {
    free(b->data);
    memset(b, 0, sizeof(*b));
}

void ds_buf_reset(ds_buf *b) {
    b->len = 0;
    b->oom = 0;
    if (b->data) b->data[0] = '\0';
}

ds_err ds_buf_reserve(ds_buf *b, size_t n) {
    if (b->oom) return DS_ERR_NOMEM;
    if (n > SIZE_MAX / 2 - b->len) {
        b->oom = 1;
        return DS_ERR_NOMEM;
    }
    size_t need = b->len + n + 1;
    if (need <= b->cap) return DS_OK;
    size_t ncap = b->cap ? b->cap : 256;
    while (ncap < need) ncap *= 2;
    char *p = realloc(b->data, ncap);
    if (!p) {
        b->oom = 1;
        return DS_ERR_NOMEM;
    }
    b->data = p;
    b->cap = ncap;
    return DS_OK;
}

void ds_buf_append(ds_buf *b, const void *p, size_t n) {
    if (ds_buf_reserve(b, n) != DS_OK) return;
    if (n) memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
}

void ds_buf_puts(ds_buf *b, const char *s) {
    ds_buf_append(b, s, strlen(s));
}

void ds_buf_putc(ds_buf *b, char c) {
    ds_buf_append(b, &c, 1);
}

void ds_buf_printf(ds_buf *b, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0 || ds_buf_reserve(b, (size_t)n) != DS_OK) {
        va_end(ap2);
        if (n < 0) b->oom = 1;
        return;
    }
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap2);
    va_end(ap2);
    b->len += (size_t)n;
}

void ds_buf_hex(ds_buf *b, const uint8_t *p, size_t n) {
    if (ds_buf_reserve(b, 2 * n) != DS_OK) return;
    ds_hex_encode(p, n, b->data + b->len);
    b->len += 2 * n;
}

/* Length of the valid UTF-8 sequence starting at s (at most n bytes), or 0. */
static size_t utf8_seq_len(const unsigned char *s, size_t n) {
    unsigned char c = s[0];
    size_t len;
    unsigned int min;
    if (c < 0x80) return 1;
    if (c >= 0xc2 && c <= 0xdf) { len = 2; min = 0x80; }
    else if (c >= 0xe0 && c <= 0xef) { len = 3; min = 0x800; }
    else if (c >= 0xf0 && c <= 0xf4) { len = 4; min = 0x10000; }
    else return 0;
    if (n < len) return 0;
    unsigned int cp = c & (0x7f >> len);
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80) return 0;
        cp = (cp << 6) | (s[i] & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return 0;
    return len;
}

void ds_buf_json_str(ds_buf *b, const char *s, size_t n) {
    static const char hexd[] = "0123456789abcdef";
    const unsigned char *u = (const unsigned char *)s;
    if (ds_buf_reserve(b, n + 2) != DS_OK) return;
    ds_buf_putc(b, '"');
    size_t run = 0; /* start of a run of bytes copied verbatim */
    size_t i = 0;
    while (i < n) {
        unsigned char c = u[i];
        const char *esc = NULL;
        char tmp[8];
        size_t adv = 1;
        if (c == '"') esc = "\\\"";
        else if (c == '\\') esc = "\\\\";
        else if (c == '\n') esc = "\\n";
        else if (c == '\r') esc = "\\r";
        else if (c == '\t') esc = "\\t";
        else if (c == '\b') esc = "\\b";
        else if (c == '\f') esc = "\\f";
        else if (c < 0x20) {
            tmp[0] = '\\'; tmp[1] = 'u'; tmp[2] = '0'; tmp[3] = '0';
            tmp[4] = hexd[c >> 4]; tmp[5] = hexd[c & 15]; tmp[6] = '\0';
            esc = tmp;
        } else if (c >= 0x80) {
            adv = utf8_seq_len(u + i, n - i);
            if (adv == 0) { esc = "\xef\xbf\xbd"; adv = 1; }
        }
        if (esc) {
            ds_buf_append(b, s + run, i - run);
            ds_buf_puts(b, esc);
            run = i + adv;
        }
        i += adv;
    }
    ds_buf_append(b, s + run, n - run);
    ds_buf_putc(b, '"');
}

void ds_buf_json_hex(ds_buf *b, const uint8_t *p, size_t n) {
    ds_buf_putc(b, '"');
    ds_buf_hex(b, p, n);
    ds_buf_putc(b, '"');
}

char *ds_buf_take(ds_buf *b, size_t *len_out) {
    if (b->oom) {
        ds_buf_free(b);
        if (len_out) *len_out = 0;
        return NULL;
    }
    if (!b->data && ds_buf_reserve(b, 0) != DS_OK) return NULL;
    b->data[b->len] = '\0';
    char *p = b->data;
    if (len_out) *len_out = b->len;
    memset(b, 0, sizeof(*b));
    return p;
}

size_t ds_buf_sink_write(char *p, size_t size, size_t n, void *sink) {
    ds_buf_sink *s = sink;
    size_t add = size * n;
    if (add > s->max - s->buf.len) {
        s->too_big = 1;
        return 0;
    }
    ds_buf_append(&s->buf, p, add);
    return s->buf.oom ? 0 : add;
}

/* ---- field access ---- */

static ds_err field_err(char *err, size_t errcap, const char *name, const char *why) {
    if (err && errcap) snprintf(err, errcap, "%s: %s", name, why);
    return DS_ERR_PARSE;
}

static const cJSON *field(const cJSON *obj, const char *name) {
    if (!obj || !cJSON_IsObject(obj)) return NULL;
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, name);
    if (!it || cJSON_IsNull(it)) return NULL;
    return it;
}

ds_err ds_json_get_str(const cJSON *obj, const char *name, const char **out, char *err,
                       size_t errcap) {
    const cJSON *it = field(obj, name);
    *out = "";
    if (!it) return DS_OK;
    if (!cJSON_IsString(it) || !it->valuestring)
        return field_err(err, errcap, name, "expected a string");
    *out = it->valuestring;
    return DS_OK;
}

ds_err ds_json_get_bool(const cJSON *obj, const char *name, int *out, char *err, size_t errcap) {
    const cJSON *it = field(obj, name);
    *out = 0;
    if (!it) return DS_OK;
    if (cJSON_IsBool(it)) {
        *out = cJSON_IsTrue(it) ? 1 : 0;
        return DS_OK;
    }
    if (cJSON_IsString(it) && it->valuestring) {
        const char *s = it->valuestring;
        if (!strcmp(s, "true") || !strcmp(s, "1")) { *out = 1; return DS_OK; }
        if (!strcmp(s, "false") || !strcmp(s, "0") || !*s) { *out = 0; return DS_OK; }
    }
    return field_err(err, errcap, name, "expected a boolean");
}

ds_err ds_json_get_u64(const cJSON *obj, const char *name, uint64_t *out, int *present,
                       char *err, size_t errcap) {
    const cJSON *it = field(obj, name);
    *out = 0;
    if (present) *present = 0;
    if (!it) return DS_OK;
    if (cJSON_IsNumber(it)) {
        double d = it->valuedouble;
        if (!(d >= 0) || d > 9007199254740991.0 || d != (double)(uint64_t)d)
            return field_err(err, errcap, name, "expected a non-negative integer");
        *out = (uint64_t)d;
    } else if (cJSON_IsString(it) && it->valuestring && it->valuestring[0]) {
        const char *s = it->valuestring;
        uint64_t v = 0;
        for (; *s; s++) {
            if (*s < '0' || *s > '9' || v > (UINT64_MAX - 9) / 10)
                return field_err(err, errcap, name, "expected a non-negative integer");
            v = v * 10 + (uint64_t)(*s - '0');
        }
        *out = v;
    } else {
        return field_err(err, errcap, name, "expected a non-negative integer");
    }
    if (present) *present = 1;
    return DS_OK;
}

ds_err ds_json_get_hex(const cJSON *obj, const char *name, uint8_t **out, size_t *out_len,
                       char *err, size_t errcap) {
    const char *s;
    *out = NULL;
    *out_len = 0;
    ds_err e = ds_json_get_str(obj, name, &s, err, errcap);
    if (e) return e;
    size_t n = strlen(s);
    long dl = ds_hex_decoded_len(s, n);
    if (dl < 0) return field_err(err, errcap, name, "invalid hex (odd length or non-hex digit)");
    if (dl == 0) return DS_OK;
    uint8_t *p = malloc((size_t)dl);
    if (!p) return field_err(err, errcap, name, "out of memory");
    size_t got = 0;
    if (ds_hex_decode(s, n, p, (size_t)dl, &got) != DS_OK) {
        free(p);
        return field_err(err, errcap, name, "invalid hex");
    }
    *out = p;
    *out_len = got;
    return DS_OK;
}

ds_err ds_json_get_str_array(const cJSON *obj, const char *name, const char ***out, size_t *n,
                             char *err, size_t errcap) {
    const cJSON *it = field(obj, name);
    *out = NULL;
    *n = 0;
    if (!it) return DS_OK;
    if (cJSON_IsString(it) && it->valuestring) {
        const char **arr = malloc(sizeof(*arr));
        if (!arr) return field_err(err, errcap, name, "out of memory");
        arr[0] = it->valuestring;
        *out = arr;
        *n = 1;
        return DS_OK;
    }
    if (!cJSON_IsArray(it)) return field_err(err, errcap, name, "expected an array of strings");
    int cnt = cJSON_GetArraySize(it);
    if (cnt == 0) return DS_OK;
    const char **arr = calloc((size_t)cnt, sizeof(*arr));
    if (!arr) return field_err(err, errcap, name, "out of memory");
    int i = 0;
    const cJSON *el;
    cJSON_ArrayForEach(el, it) {
        if (!cJSON_IsString(el) || !el->valuestring) {
            free(arr);
            return field_err(err, errcap, name, "expected an array of strings");
        }
        arr[i++] = el->valuestring;
    }
    *out = arr;
    *n = (size_t)i;
    return DS_OK;
}
