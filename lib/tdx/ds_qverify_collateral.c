/* ds_qverify_collateral.c — the ds_collateral object: free, copy, dcap-qvl JSON in and
 * out, and loading a root CA given as DER or PEM. */
#include "ds_qverify.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "ds_hex.h"

void ds_collateral_free(ds_collateral *c) {
    if (!c) return;
    free(c->pck_crl_issuer_chain);
    free(c->root_ca_crl);
    free(c->pck_crl);
    free(c->tcb_info_issuer_chain);
    free(c->tcb_info);
    free(c->qe_identity_issuer_chain);
    free(c->qe_identity);
    memset(c, 0, sizeof(*c));
}

static char *dup_str(const char *s) {
    return strdup(s ? s : "");
}

static uint8_t *dup_bytes(const uint8_t *p, size_t n) {
    uint8_t *d = malloc(n ? n : 1);
    if (d && n) memcpy(d, p, n);
    return d;
}

ds_err ds_collateral_copy(ds_collateral *dst, const ds_collateral *src) {
    memset(dst, 0, sizeof(*dst));
    dst->pck_crl_issuer_chain = dup_str(src->pck_crl_issuer_chain);
    dst->root_ca_crl = dup_bytes(src->root_ca_crl, src->root_ca_crl_len);
    dst->root_ca_crl_len = src->root_ca_crl_len;
    dst->pck_crl = dup_bytes(src->pck_crl, src->pck_crl_len);
    dst->pck_crl_len = src->pck_crl_len;
    dst->tcb_info_issuer_chain = dup_str(src->tcb_info_issuer_chain);
    dst->tcb_info = dup_str(src->tcb_info);
    memcpy(dst->tcb_info_signature, src->tcb_info_signature, 64);
    dst->qe_identity_issuer_chain = dup_str(src->qe_identity_issuer_chain);
    dst->qe_identity = dup_str(src->qe_identity);
    memcpy(dst->qe_identity_signature, src->qe_identity_signature, 64);
    if (!dst->pck_crl_issuer_chain || !dst->root_ca_crl || !dst->pck_crl ||
        !dst->tcb_info_issuer_chain || !dst->tcb_info || !dst->qe_identity_issuer_chain ||
        !dst->qe_identity) {
        ds_collateral_free(dst);
        return DS_ERR_NOMEM;
    }
    return DS_OK;
}

static void put_str(ds_buf *b, const char *key, const char *v, int comma) {
    ds_buf_printf(b, "%s\"%s\":", comma ? "," : "", key);
    const char *s = v ? v : "";
    ds_buf_json_str(b, s, strlen(s));
}

static void put_hex(ds_buf *b, const char *key, const uint8_t *p, size_t n) {
    ds_buf_printf(b, ",\"%s\":", key);
    ds_buf_json_hex(b, p, n);
}

ds_err ds_collateral_to_json(const ds_collateral *c, ds_buf *out) {
    if (!c || !out) return DS_ERR_ARG;
    ds_buf_putc(out, '{');
    put_str(out, "pck_crl_issuer_chain", c->pck_crl_issuer_chain, 0);
    put_hex(out, "root_ca_crl", c->root_ca_crl, c->root_ca_crl_len);
    put_hex(out, "pck_crl", c->pck_crl, c->pck_crl_len);
    put_str(out, "tcb_info_issuer_chain", c->tcb_info_issuer_chain, 1);
    put_str(out, "tcb_info", c->tcb_info, 1);
    put_hex(out, "tcb_info_signature", c->tcb_info_signature, 64);
    put_str(out, "qe_identity_issuer_chain", c->qe_identity_issuer_chain, 1);
    put_str(out, "qe_identity", c->qe_identity, 1);
    put_hex(out, "qe_identity_signature", c->qe_identity_signature, 64);
    ds_buf_putc(out, '}');
    return out->oom ? DS_ERR_NOMEM : DS_OK;
}

static ds_err fail(char *err, size_t cap, const char *field, const char *why) {
    if (err && cap) snprintf(err, cap, "collateral%s%s: %s", field[0] ? " " : "", field, why);
    return DS_ERR_PARSE;
}

/* A string member; missing → "" when optional. */
static ds_err get_str(const cJSON *o, const char *k, int optional, char **out, char *err,
                      size_t cap) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    if (!v || cJSON_IsNull(v)) {
        if (!optional) return fail(err, cap, k, "missing");
        return (*out = strdup("")) ? DS_OK : DS_ERR_NOMEM;
    }
    if (!cJSON_IsString(v)) return fail(err, cap, k, "must be a string");
    return (*out = strdup(v->valuestring)) ? DS_OK : DS_ERR_NOMEM;
}

/* A byte member: hex string or array of 0..255. want_len 0 = any non-zero length. */
static ds_err get_bytes(const cJSON *o, const char *k, size_t want_len, uint8_t **out,
                        size_t *out_len, char *err, size_t cap) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    size_t n = 0;
    uint8_t *d = NULL;
    if (!v || cJSON_IsNull(v)) return fail(err, cap, k, "missing");
    if (cJSON_IsString(v)) {
        size_t sl = strlen(v->valuestring);
        long dl = ds_hex_decoded_len(v->valuestring, sl);
        if (dl < 0) return fail(err, cap, k, "not hex");
        n = (size_t)dl;
        if (!(d = malloc(n ? n : 1))) return DS_ERR_NOMEM;
        if (ds_hex_decode(v->valuestring, sl, d, n, &n) != DS_OK) {
            free(d);
            return fail(err, cap, k, "not hex");
        }
    } else if (cJSON_IsArray(v)) {
        n = (size_t)cJSON_GetArraySize(v);
        if (!(d = malloc(n ? n : 1))) return DS_ERR_NOMEM;
        size_t i = 0;
        const cJSON *e;
        cJSON_ArrayForEach(e, v) {
            if (!cJSON_IsNumber(e) || e->valuedouble < 0 || e->valuedouble > 255 ||
                e->valuedouble != (double)(int)e->valuedouble) {
                free(d);
                return fail(err, cap, k, "array items must be bytes (0..255)");
            }
            d[i++] = (uint8_t)e->valueint;
        }
    } else {
        return fail(err, cap, k, "must be a hex string or a byte array");
    }
    if ((want_len && n != want_len) || n == 0) {
        free(d);
        return fail(err, cap, k, want_len == 64 ? "must be 64 bytes (r || s)" : "empty");
    }
    *out = d;
    *out_len = n;
    return DS_OK;
}

ds_err ds_collateral_from_json(const char *json, size_t len, ds_collateral *out, char *err,
                               size_t errcap) {
    if (err && errcap) err[0] = '\0';
    if (!out) return DS_ERR_ARG;
    memset(out, 0, sizeof(*out));
    if (!json) return DS_ERR_ARG;
    cJSON *o = cJSON_ParseWithLength(json, len);
    if (!o || !cJSON_IsObject(o)) {
        cJSON_Delete(o);
        return fail(err, errcap, "", "not a JSON object");
    }
    uint8_t *sig = NULL;
    size_t sl = 0;
    ds_err rc = get_str(o, "pck_crl_issuer_chain", 1, &out->pck_crl_issuer_chain, err, errcap);
    if (!rc) rc = get_bytes(o, "root_ca_crl", 0, &out->root_ca_crl, &out->root_ca_crl_len, err,
                            errcap);
    if (!rc) rc = get_bytes(o, "pck_crl", 0, &out->pck_crl, &out->pck_crl_len, err, errcap);
    if (!rc) rc = get_str(o, "tcb_info_issuer_chain", 0, &out->tcb_info_issuer_chain, err, errcap);
    if (!rc) rc = get_str(o, "tcb_info", 0, &out->tcb_info, err, errcap);
    if (!rc) rc = get_bytes(o, "tcb_info_signature", 64, &sig, &sl, err, errcap);
    if (!rc) {
        memcpy(out->tcb_info_signature, sig, 64);
        free(sig);
        sig = NULL;
        rc = get_str(o, "qe_identity_issuer_chain", 0, &out->qe_identity_issuer_chain, err, errcap);
    }
    if (!rc) rc = get_str(o, "qe_identity", 0, &out->qe_identity, err, errcap);
    if (!rc) rc = get_bytes(o, "qe_identity_signature", 64, &sig, &sl, err, errcap);
    if (!rc) memcpy(out->qe_identity_signature, sig, 64);
    free(sig);
    cJSON_Delete(o);
    if (rc) {
        if (rc == DS_ERR_NOMEM && err && errcap) snprintf(err, errcap, "out of memory");
        ds_collateral_free(out);
    }
    return rc;
}

ds_err ds_qverify_root_der(const uint8_t *in, size_t len, uint8_t **der, size_t *der_len) {
    if (!in || !der || !der_len) return DS_ERR_ARG;
    *der = NULL;
    *der_len = 0;
    static const char BEGIN[] = "-----BEGIN CERTIFICATE-----";
    int is_pem = 0;
    for (size_t i = 0; i + sizeof BEGIN - 1 <= len && !is_pem; i++)
        is_pem = memcmp(in + i, BEGIN, sizeof BEGIN - 1) == 0;
    if (is_pem) {
        BIO *bio = BIO_new_mem_buf(in, (int)len);
        char *name = NULL, *header = NULL;
        unsigned char *data = NULL;
        long n = 0;
        ds_err rc = DS_ERR_PARSE;
        while (bio && PEM_read_bio(bio, &name, &header, &data, &n) > 0) {
            int cert = strcmp(name, "CERTIFICATE") == 0;
            if (cert && n > 0 && (*der = malloc((size_t)n))) {
                memcpy(*der, data, (size_t)n);
                *der_len = (size_t)n;
                rc = DS_OK;
            } else if (cert) {
                rc = DS_ERR_NOMEM;
            }
            OPENSSL_free(name);
            OPENSSL_free(header);
            OPENSSL_free(data);
            if (cert) break;
        }
        BIO_free(bio);
        ERR_clear_error();
        return rc;
    }
    const unsigned char *p = in;
    X509 *x = d2i_X509(NULL, &p, (long)len);
    int ok = x && p == in + len;
    X509_free(x);
    ERR_clear_error();
    if (!ok) return DS_ERR_PARSE;
    if (!(*der = malloc(len))) return DS_ERR_NOMEM;
    memcpy(*der, in, len);
    *der_len = len;
    return DS_OK;
}
