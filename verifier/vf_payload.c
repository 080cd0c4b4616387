/* vf_payload.c — expected report_data, ts / nonce fields of a payload, the freshness
 * window and the replay set (see vf_payload.h). Pure functions apart from the optional
 * nonce file, so the cmocka suite tests them directly.
 */
#include "vf_payload.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "ds_hash.h"
#include "ds_hex.h"

ds_err vf_expected_report_data(const uint8_t *payload, size_t len, vf_rd_mode mode, const char *alg,
                               uint8_t out[64]) {
    memset(out, 0, 64);
    if (len && !payload) return DS_ERR_ARG;
    if (mode == VF_RD_RAW) {
        if (len > 64) return DS_ERR_LEN;
        if (len) memcpy(out, payload, len);
        return DS_OK;
    }
    uint8_t d[DS_HASH_MAX];
    size_t dlen = 0;
    ds_err e;
    if (mode == VF_RD_APP_DATA) {
        static const char pfx[] = "app-data:";
        uint8_t *buf = malloc(len + sizeof pfx);
        if (!buf) return DS_ERR_NOMEM;
        memcpy(buf, pfx, sizeof pfx - 1);
        if (len) memcpy(buf + sizeof pfx - 1, payload, len);
        e = ds_hash_named(alg ? alg : "sha512", buf, len + sizeof pfx - 1, d, &dlen);
        free(buf);
    } else {
        if (!alg) return DS_ERR_ALG;
        e = ds_hash_named(alg, payload ? payload : (const uint8_t *)"", len, d, &dlen);
    }
    if (e != DS_OK) return e;
    memcpy(out, d, dlen > 64 ? 64 : dlen);
    return DS_OK;
}

/* ---- fields ---------------------------------------------------------------------------- */

static int set_err(vf_payload_fields *f, const char *msg) {
    snprintf(f->err, sizeof f->err, "%s", msg);
    return -1;
}

static int parse_ts_text(const char *s, size_t n, int64_t *out) {
    if (n == 0 || n > 18) return -1;
    int64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') return -1;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return 0;
}

static int take_nonce(vf_payload_fields *f, const char *s, size_t n) {
    if (f->has_nonce) return set_err(f, "payload has two nonce fields");
    if (n == 0) return set_err(f, "payload nonce is empty");
    if (n > VF_NONCE_MAX) return set_err(f, "payload nonce is longer than 128 characters");
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c <= 0x20 || c == 0x7f)
            return set_err(f, "payload nonce has whitespace or control characters");
    }
    memcpy(f->nonce, s, n);
    f->nonce[n] = '\0';
    f->has_nonce = 1;
    return 0;
}

static int take_ts(vf_payload_fields *f, const char *s, size_t n) {
    if (f->has_ts) return set_err(f, "payload has two ts fields");
    if (parse_ts_text(s, n, &f->ts) != 0)
        return set_err(f, "payload ts is not a Unix time in seconds (digits only)");
    f->has_ts = 1;
    return 0;
}

static int parse_json_fields(const cJSON *o, vf_payload_fields *f) {
    const cJSON *ts = cJSON_GetObjectItemCaseSensitive(o, "ts");
    const cJSON *ts2 = cJSON_GetObjectItemCaseSensitive(o, "timestamp");
    if (ts && ts2) return set_err(f, "payload has both ts and timestamp");
    if (!ts) ts = ts2;
    if (ts) {
        if (cJSON_IsNumber(ts)) {
            double d = ts->valuedouble;
            if (d < 0 || d > 1e15 || d != (double)(int64_t)d)
                return set_err(f, "payload ts is not a Unix time in seconds (digits only)");
            f->ts = (int64_t)d;
            f->has_ts = 1;
        } else if (cJSON_IsString(ts)) {
            if (take_ts(f, ts->valuestring, strlen(ts->valuestring)) != 0) return -1;
        } else {
            return set_err(f, "payload ts is not a Unix time in seconds (digits only)");
        }
    }
    const cJSON *nonce = cJSON_GetObjectItemCaseSensitive(o, "nonce");
    if (nonce) {
        if (!cJSON_IsString(nonce)) return set_err(f, "payload nonce is not a string");
        if (take_nonce(f, nonce->valuestring, strlen(nonce->valuestring)) != 0) return -1;
    }
    return 0;
}

int vf_payload_fields_parse(const uint8_t *p, size_t n, vf_payload_fields *f) {
    memset(f, 0, sizeof *f);
    if (!p || n == 0) return 0;
    /* JSON object? */
    size_t i = 0;
    while (i < n && isspace(p[i]))
        i++;
    if (i < n && p[i] == '{') {
        cJSON *o = cJSON_ParseWithLength((const char *)p, n);
        if (o && cJSON_IsObject(o)) {
            int rc = parse_json_fields(o, f);
            cJSON_Delete(o);
            return rc;
        }
        cJSON_Delete(o);
    }
    /* "||"-separated fields; a field "ts=…" or "nonce=…" (the key exactly). */
    const char *s = (const char *)p, *end = s + n;
    while (s <= end) {
        const char *sep = NULL;
        for (const char *q = s; q + 1 < end; q++)
            if (q[0] == '|' && q[1] == '|') {
                sep = q;
                break;
            }
        const char *fe = sep ? sep : end;
        size_t fl = (size_t)(fe - s);
        if (fl >= 3 && !memcmp(s, "ts=", 3)) {
            if (take_ts(f, s + 3, fl - 3) != 0) return -1;
        } else if (fl >= 6 && !memcmp(s, "nonce=", 6)) {
            if (take_nonce(f, s + 6, fl - 6) != 0) return -1;
        }
        if (!sep) break;
        s = sep + 2;
    }
    return 0;
}

int vf_check_freshness(const vf_payload_fields *f, int64_t now, int64_t max_age, char *msg,
                       size_t cap) {
    if (!f->has_ts) {
        if (max_age >= 0) {
            snprintf(msg, cap,
                     "--max-age %lld given but the payload carries no timestamp "
                     "(a ts=<unix seconds> field, or JSON {\"ts\":…})",
                     (long long)max_age);
            return -1;
        }
        snprintf(msg, cap, "payload not timestamped: no freshness window applies");
        return 0;
    }
    int64_t window = max_age >= 0 ? max_age : VF_DEFAULT_MAX_AGE;
    if (f->ts > now + VF_MAX_SKEW) {
        snprintf(msg, cap, "payload timestamp %lld is %lld s in the future (at most %d s allowed)",
                 (long long)f->ts, (long long)(f->ts - now), VF_MAX_SKEW);
        return -1;
    }
    int64_t age = now - f->ts;
    if (age > window) {
        snprintf(msg, cap,
                 "payload timestamp %lld is stale: %lld s old, window %lld s "
                 "(expected ts >= %lld, got %lld)",
                 (long long)f->ts, (long long)age, (long long)window, (long long)(now - window),
                 (long long)f->ts);
        return -1;
    }
    snprintf(msg, cap, "payload timestamp %lld is %lld s old (window %lld s)", (long long)f->ts,
             (long long)(age < 0 ? 0 : age), (long long)window);
    return 0;
}

void vf_replay_key(const vf_payload_fields *f, const uint8_t report_data[64], char *out,
                   size_t cap) {
    if (f->has_nonce) {
        snprintf(out, cap, "nonce:%s", f->nonce);
    } else {
        char hex[129];
        snprintf(out, cap, "rd:%s", ds_hex_encode(report_data, 64, hex));
    }
}

/* ---- nonce set ------------------------------------------------------------------------------ */

void vf_nonce_set_init(vf_nonce_set *s) { memset(s, 0, sizeof *s); }

void vf_nonce_set_free(vf_nonce_set *s) {
    for (size_t i = 0; i < s->n; i++)
        free(s->keys[i]);
    free(s->keys);
    free(s->path);
    memset(s, 0, sizeof *s);
}

static ds_err push_key(vf_nonce_set *s, const char *key, size_t len) {
    if (s->n == s->cap) {
        size_t nc = s->cap ? s->cap * 2 : 16;
        char **nk = realloc(s->keys, nc * sizeof *nk);
        if (!nk) return DS_ERR_NOMEM;
        s->keys = nk;
        s->cap = nc;
    }
    char *k = malloc(len + 1);
    if (!k) return DS_ERR_NOMEM;
    memcpy(k, key, len);
    k[len] = '\0';
    s->keys[s->n++] = k;
    return DS_OK;
}

ds_err vf_nonce_set_open(vf_nonce_set *s, const char *path, char *err, size_t errcap) {
    s->path = strdup(path);
    if (!s->path) return DS_ERR_NOMEM;
    FILE *fp = fopen(path, "r");
    if (!fp) {
        if (errno == ENOENT) return DS_OK;
        snprintf(err, errcap, "cannot read nonce store %s: %s", path, strerror(errno));
        return DS_ERR_IO;
    }
    char line[512];
    ds_err rc = DS_OK;
    while (rc == DS_OK && fgets(line, sizeof line, fp)) {
        size_t l = strlen(line);
        while (l && (line[l - 1] == '\n' || line[l - 1] == '\r' || line[l - 1] == ' '))
            line[--l] = '\0';
        if (l == 0 || line[0] == '#') continue;
        rc = push_key(s, line, l);
    }
    if (rc == DS_OK && ferror(fp)) {
        snprintf(err, errcap, "cannot read nonce store %s", path);
        rc = DS_ERR_IO;
    }
    fclose(fp);
    if (rc == DS_ERR_NOMEM) snprintf(err, errcap, "out of memory");
    return rc;
}

int vf_nonce_set_has(const vf_nonce_set *s, const char *key) {
    for (size_t i = 0; i < s->n; i++)
        if (!strcmp(s->keys[i], key)) return 1;
    return 0;
}

ds_err vf_nonce_set_add(vf_nonce_set *s, const char *key, char *err, size_t errcap) {
    if (push_key(s, key, strlen(key)) != DS_OK) {
        snprintf(err, errcap, "out of memory");
        return DS_ERR_NOMEM;
    }
    if (!s->path) return DS_OK;
    FILE *fp = fopen(s->path, "a");
    int bad = !fp;
    if (fp) {
        bad = fprintf(fp, "%s\n", key) < 0;
        bad |= fclose(fp) != 0;
    }
    if (bad) {
        snprintf(err, errcap, "cannot append to nonce store %s: %s", s->path, strerror(errno));
        return DS_ERR_IO;
    }
    return DS_OK;
}
