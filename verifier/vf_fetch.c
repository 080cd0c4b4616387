/* vf_fetch.c — what the steps work on: the trusted root and collateral (files, or the
 * simulator's published /sim/pki/root.der and /sim/pki/collateral.json), and the
 * evidence from the endpoint (a quote for a fresh nonce with its event log, and Info).
 *
 * Only failures that leave nothing to verify are errors here (unreachable endpoint,
 * refused request, unreadable file). A reply that is present but wrong (no quote, bad
 * hex, Info without tcb_info) is recorded in the run and reported by the step it breaks.
 */
#include "vf.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ds_hash.h"
#include "ds_hex.h"

#define VF_FILE_MAX (64u << 20)

ds_err vf_read_file(const char *path, uint8_t **data, size_t *len, char *err, size_t errcap) {
    *data = NULL;
    *len = 0;
    int is_stdin = !strcmp(path, "-");
    FILE *fp = is_stdin ? stdin : fopen(path, "rb");
    if (!fp) {
        snprintf(err, errcap, "cannot read %s: %s", path, strerror(errno));
        return DS_ERR_IO;
    }
    size_t cap = 4096, n = 0;
    uint8_t *buf = malloc(cap);
    ds_err rc = buf ? DS_OK : DS_ERR_NOMEM;
    while (rc == DS_OK) {
        if (n + 1 >= cap) {
            if (cap >= VF_FILE_MAX) {
                snprintf(err, errcap, "%s is larger than 64 MiB", path);
                rc = DS_ERR_IO;
                break;
            }
            uint8_t *nb = realloc(buf, cap * 2);
            if (!nb) {
                rc = DS_ERR_NOMEM;
                break;
            }
            buf = nb;
            cap *= 2;
        }
        size_t got = fread(buf + n, 1, cap - n - 1, fp);
        n += got;
        if (got == 0) {
            if (ferror(fp)) {
                snprintf(err, errcap, "cannot read %s: %s", path, strerror(errno));
                rc = DS_ERR_IO;
            }
            break;
        }
    }
    if (!is_stdin) fclose(fp);
    if (rc != DS_OK) {
        if (rc == DS_ERR_NOMEM) snprintf(err, errcap, "out of memory reading %s", path);
        free(buf);
        return rc;
    }
    buf[n] = '\0';
    *data = buf;
    *len = n;
    return DS_OK;
}

/* GET path on h, wanting status 200. */
static ds_err get_200(vf_http *h, const char *path, uint8_t **body, size_t *len, char *err,
                      size_t errcap) {
    long st;
    ds_err e = vf_http_request(h, "GET", path, NULL, &st, body, len);
    if (e != DS_OK) {
        snprintf(err, errcap, "%s", h->err);
        return e;
    }
    if (st != 200) {
        snprintf(err, errcap,
                 "%s does not publish %s (HTTP %ld): give --root FILE and "
                 "--collateral FILE (dcap-qvl JSON) for a non-simulator endpoint",
                 h->endpoint, path, st);
        free(*body);
        *body = NULL;
        return DS_ERR_IO;
    }
    return DS_OK;
}

ds_err vf_trust_load(vf_trust *t, vf_http *h, const char *root_file, const char *col_file,
                     char *err, size_t errcap) {
    uint8_t *raw = NULL;
    size_t rawlen = 0;
    ds_err e;
    if (root_file) {
        e = vf_read_file(root_file, &raw, &rawlen, err, errcap);
        if (e != DS_OK) return e;
    } else {
        if (!h) {
            snprintf(err, errcap,
                     "no trusted root: give --root FILE or an --endpoint that "
                     "publishes one");
            return DS_ERR_ARG;
        }
        e = get_200(h, "/sim/pki/root.der", &raw, &rawlen, err, errcap);
        if (e != DS_OK) return e;
    }
    e = ds_qverify_root_der(raw, rawlen, &t->root_der, &t->root_len);
    free(raw);
    if (e != DS_OK) {
        snprintf(err, errcap, "%s%s is not a certificate (DER or PEM)",
                 root_file ? "root file " : "the root published at ",
                 root_file ? root_file : h->endpoint);
        return DS_ERR_PARSE;
    }
    uint8_t d[32];
    ds_sha256(t->root_der, t->root_len, d);
    ds_hex_encode(d, 32, t->root_sha256);
    t->root_from_endpoint = !root_file;
    if (root_file)
        snprintf(t->root_label, sizeof t->root_label, "root %s (sha256 %.16s…)", root_file,
                 t->root_sha256);
    else
        snprintf(t->root_label, sizeof t->root_label,
                 "the root published by the endpoint itself (sha256 %.16s…)", t->root_sha256);

    if (col_file) {
        e = vf_read_file(col_file, &raw, &rawlen, err, errcap);
        if (e != DS_OK) return e;
    } else {
        if (!h) {
            snprintf(err, errcap,
                     "no collateral: give --collateral FILE or an --endpoint that "
                     "publishes it");
            return DS_ERR_ARG;
        }
        e = get_200(h, "/sim/pki/collateral.json", &raw, &rawlen, err, errcap);
        if (e != DS_OK) return e;
    }
    char perr[256] = "";
    e = ds_collateral_from_json((const char *)raw, rawlen, &t->col, perr, sizeof perr);
    free(raw);
    if (e != DS_OK) {
        snprintf(err, errcap, "collateral %s is not dcap-qvl collateral JSON: %s",
                 col_file ? col_file : "published by the endpoint", perr);
        return DS_ERR_PARSE;
    }
    snprintf(t->col_label, sizeof t->col_label, "%s", col_file ? col_file : "endpoint");
    if (!(t->qctx = ds_qverify_ctx_new())) {
        snprintf(err, errcap, "out of memory");
        return DS_ERR_NOMEM;
    }
    return DS_OK;
}

void vf_trust_free(vf_trust *t) {
    ds_qverify_ctx_free(t->qctx);
    free(t->root_der);
    ds_collateral_free(&t->col);
    memset(t, 0, sizeof *t);
}

ds_err vf_quote_from_hex(const char *hex, uint8_t **q, size_t *len) {
    *q = NULL;
    *len = 0;
    size_t hl = strlen(hex);
    long n = ds_hex_decoded_len(hex, hl);
    if (n <= 0) return DS_ERR_HEX;
    uint8_t *b = malloc((size_t)n);
    if (!b) return DS_ERR_NOMEM;
    size_t got;
    if (ds_hex_decode(hex, hl, b, (size_t)n, &got) != DS_OK) {
        free(b);
        return DS_ERR_HEX;
    }
    *q = b;
    *len = got;
    return DS_OK;
}

/* Quote and event log out of a GetQuote / TdxQuote reply. */
static void take_quote(vf_run *r, const cJSON *reply, const char *what) {
    const cJSON *q = cJSON_GetObjectItemCaseSensitive(reply, "quote");
    if (!cJSON_IsString(q) || !*q->valuestring) {
        snprintf(r->quote_err, sizeof r->quote_err, "the %s reply carries no quote", what);
    } else if (vf_quote_from_hex(q->valuestring, &r->quote, &r->quote_len) != DS_OK) {
        snprintf(r->quote_err, sizeof r->quote_err, "the %s reply's quote is not hex", what);
    }
    const cJSON *el = cJSON_GetObjectItemCaseSensitive(reply, "event_log");
    if (cJSON_IsString(el)) {
        r->event_log_json = strdup(el->valuestring);
    } else if (cJSON_IsArray(el)) {
        r->event_log_json = cJSON_PrintUnformatted(el); /* tolerated: an array, not a string */
    }
}

ds_err vf_fetch_evidence(vf_run *r, vf_http *dstack, vf_http *tappd, char *err, size_t errcap) {
    if (ds_random(r->nonce, sizeof r->nonce) != DS_OK) {
        snprintf(err, errcap, "cannot draw a random nonce");
        return DS_ERR_CRYPTO;
    }
    char nhex[65];
    ds_hex_encode(r->nonce, sizeof r->nonce, nhex);
    char body[256];
    cJSON *reply = NULL;
    vf_http *qh = r->opt.legacy ? tappd : dstack;
    const char *qpath = r->opt.legacy ? "/prpc/Tappd.TdxQuote" : "/GetQuote";
    if (r->opt.legacy) {
        uint8_t buf[9 + 32];
        memcpy(buf, "app-data:", 9);
        memcpy(buf + 9, r->nonce, 32);
        ds_sha512(buf, sizeof buf, r->expected_rd);
        snprintf(body, sizeof body,
                 "{\"report_data\":\"%s\",\"hash_algorithm\":\"sha512\",\"prefix\":\"app-data\"}",
                 nhex);
    } else {
        memset(r->expected_rd, 0, sizeof r->expected_rd);
        memcpy(r->expected_rd, r->nonce, sizeof r->nonce);
        snprintf(body, sizeof body, "{\"report_data\":\"%s\"}", nhex);
    }
    ds_err e = vf_http_json(qh, qpath, body, &reply);
    if (e != DS_OK) {
        snprintf(err, errcap, "%s", qh->err);
        return e;
    }
    take_quote(r, reply, r->opt.legacy ? "TdxQuote" : "GetQuote");
    cJSON_Delete(reply);

    /* Info: from the endpoint that served the quote (legacy: Tappd.Info). */
    const char *ipath = r->opt.legacy ? "/prpc/Tappd.Info" : "/Info";
    e = vf_http_json(qh, ipath, "{}", &r->info);
    if (e != DS_OK) {
        snprintf(err, errcap, "%s", qh->err);
        return e;
    }
    const cJSON *ti = cJSON_GetObjectItemCaseSensitive(r->info, "tcb_info");
    if (cJSON_IsString(ti)) {
        r->tcb_info = cJSON_Parse(ti->valuestring);
        if (!cJSON_IsObject(r->tcb_info))
            snprintf(r->info_err, sizeof r->info_err, "Info's tcb_info is not a JSON object");
    } else if (cJSON_IsObject(ti)) {
        r->tcb_info = cJSON_Duplicate(ti, 1);
    } else {
        snprintf(r->info_err, sizeof r->info_err,
                 "Info has no tcb_info (is public_tcbinfo false in the compose?)");
    }
    return DS_OK;
}
