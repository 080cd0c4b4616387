/* sim_tls.c — the app CA and leaf certificates (GetTlsKey, Tappd.DeriveKey, Info's
 * app_cert), built with OpenSSL the way dstack's ra-tls crate builds them:
 *
 *   subject CN = subject; SAN DNS = alt_names; KeyUsage digitalSignature; EKU serverAuth /
 *   clientAuth per flags; validity not_before..not_after (default now..now+3650 days);
 *   extension 1.3.6.1.4.1.62397.1.4 = "app:custom"; with usage_ra_tls the attestation for
 *   report_data = sha512("ratls-cert:" ‖ SPKI DER) in 1.3.6.1.4.1.62397.1.8 (plus the
 *   classic quote 1.1 and event log 1.2); with with_app_info the app id in 1.1.3.
 *   Every custom extension value is a DER OCTET STRING. Chain = [leaf, CA].
 */
#include "sim_tls.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/bio.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include "ds_hash.h"
#include "ds_hex.h"
#include "ds_p256.h"
#include "sim_attest.h"

static char *bio_to_str(BIO *bio) {
    char *data;
    long n = BIO_get_mem_data(bio, &data);
    char *s = n >= 0 ? malloc((size_t)n + 1) : NULL;
    if (s) {
        memcpy(s, data, (size_t)n);
        s[n] = '\0';
    }
    return s;
}

static char *cert_pem(X509 *x) {
    BIO *bio = BIO_new(BIO_s_mem());
    char *s = NULL;
    if (bio && PEM_write_bio_X509(bio, x)) s = bio_to_str(bio);
    BIO_free(bio);
    return s;
}

static char *key_pem(EVP_PKEY *k) {
    BIO *bio = BIO_new(BIO_s_mem());
    char *s = NULL;
    if (bio && PEM_write_bio_PrivateKey(bio, k, NULL, NULL, 0, NULL, NULL)) s = bio_to_str(bio);
    BIO_free(bio);
    return s;
}

/* Adds a custom extension whose value is DER OCTET STRING(content). */
static int add_octet_ext(X509 *x, const char *oid, const uint8_t *content, size_t len) {
    ASN1_OBJECT *obj = OBJ_txt2obj(oid, 1);
    ASN1_OCTET_STRING *inner = ASN1_OCTET_STRING_new();
    ASN1_OCTET_STRING *outer = ASN1_OCTET_STRING_new();
    uint8_t *der = NULL;
    int ok = 0;
    if (!obj || !inner || !outer || !ASN1_OCTET_STRING_set(inner, content, (int)len)) goto out;
    int dlen = i2d_ASN1_OCTET_STRING(inner, &der);
    if (dlen <= 0 || !ASN1_OCTET_STRING_set(outer, der, dlen)) goto out;
    X509_EXTENSION *ext = X509_EXTENSION_create_by_OBJ(NULL, obj, 0, outer);
    ok = ext && X509_add_ext(x, ext, -1);
    X509_EXTENSION_free(ext);
out:
    OPENSSL_free(der);
    ASN1_OCTET_STRING_free(inner);
    ASN1_OCTET_STRING_free(outer);
    ASN1_OBJECT_free(obj);
    return ok;
}

static int add_conf_ext(X509 *x, X509 *issuer, int nid, const char *value) {
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, issuer, x, NULL, NULL, 0);
    X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
    int ok = ext && X509_add_ext(x, ext, -1);
    X509_EXTENSION_free(ext);
    return ok;
}

static int add_san(X509 *x, const char **names, size_t n) {
    GENERAL_NAMES *gens = sk_GENERAL_NAME_new_null();
    int ok = gens != NULL;
    for (size_t i = 0; ok && i < n; i++) {
        GENERAL_NAME *g = GENERAL_NAME_new();
        ASN1_IA5STRING *s = ASN1_IA5STRING_new();
        if (!g || !s || !ASN1_STRING_set(s, names[i], (int)strlen(names[i]))) {
            GENERAL_NAME_free(g);
            ASN1_IA5STRING_free(s);
            ok = 0;
            break;
        }
        GENERAL_NAME_set0_value(g, GEN_DNS, s);
        if (!sk_GENERAL_NAME_push(gens, g)) {
            GENERAL_NAME_free(g);
            ok = 0;
        }
    }
    if (ok) ok = X509_add1_ext_i2d(x, NID_subject_alt_name, gens, 0, 0) == 1;
    GENERAL_NAMES_free(gens);
    return ok;
}

static int set_random_serial(X509 *x) {
    uint8_t b[16];
    if (RAND_bytes(b, sizeof b) != 1) return 0;
    b[0] &= 0x7f;
    b[0] |= 0x01;
    BIGNUM *bn = BN_bin2bn(b, sizeof b, NULL);
    int ok = bn && BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) != NULL;
    BN_free(bn);
    return ok;
}

/* An empty value still adds the attribute (an empty UTF8String): upstream's certificate
 * builder writes "CN=" for an empty subject, and clients read the CN as "" rather than
 * finding none. */
static int add_cn(X509_NAME *nm, const char *field, const char *v) {
    if (!v) v = "";
    /* V_ASN1_UTF8STRING, not MBSTRING_UTF8: the latter enforces CN's minimum length of 1. */
    return X509_NAME_add_entry_by_txt(nm, field, V_ASN1_UTF8STRING, (const unsigned char *)v,
                                      (int)strlen(v), -1, 0);
}

/* A deterministic self-signed CA for configs without ca_cert/key_provider. */
static int make_ca(sim_state *st, char *err, size_t errcap) {
    uint8_t k[32];
    if (ds_p256_scalar_from_seed(st->app_key, 32, "dstack-sim app ca", k) != DS_OK ||
        !(st->ca_key = ds_p256_from_scalar(k))) {
        memset(k, 0, sizeof k);
        snprintf(err, errcap, "cannot derive the CA key");
        return -1;
    }
    memset(k, 0, sizeof k);
    X509 *x = X509_new();
    X509_NAME *nm = X509_NAME_new();
    int ok = x && nm && X509_set_version(x, 2) && set_random_serial(x) &&
             add_cn(nm, "O", "Dstack") && add_cn(nm, "CN", "Dstack KMS CA") &&
             X509_set_subject_name(x, nm) && X509_set_issuer_name(x, nm) &&
             ASN1_TIME_set(X509_getm_notBefore(x), 157766400) && /* 1975-01-01 */
             ASN1_TIME_set(X509_getm_notAfter(x), 2082758400) && /* 2036-01-01 */
             X509_set_pubkey(x, st->ca_key) &&
             add_conf_ext(x, x, NID_basic_constraints, "critical,CA:TRUE,pathlen:1") &&
             add_conf_ext(x, x, NID_key_usage, "critical,digitalSignature,keyCertSign,cRLSign") &&
             add_conf_ext(x, x, NID_subject_key_identifier, "hash") &&
             X509_sign(x, st->ca_key, EVP_sha256()) > 0;
    X509_NAME_free(nm);
    if (!ok) {
        X509_free(x);
        snprintf(err, errcap, "cannot create the CA certificate");
        return -1;
    }
    st->ca_cert = x;
    st->ca_pem = cert_pem(x);
    return st->ca_pem ? 0 : -1;
}

static int load_ca(sim_state *st, char *err, size_t errcap) {
    const sim_config *c = st->cfg;
    BIO *cb = BIO_new_mem_buf(c->ca_cert_pem, -1);
    BIO *kb = BIO_new_mem_buf(c->ca_key_pem, -1);
    st->ca_cert = cb ? PEM_read_bio_X509(cb, NULL, NULL, NULL) : NULL;
    st->ca_key = kb ? PEM_read_bio_PrivateKey(kb, NULL, NULL, NULL) : NULL;
    BIO_free(cb);
    BIO_free(kb);
    if (!st->ca_cert || !st->ca_key) {
        snprintf(err, errcap, "ca_cert / key_provider.None.key: cannot parse the PEM");
        return -1;
    }
    if (X509_check_private_key(st->ca_cert, st->ca_key) != 1) {
        snprintf(err, errcap, "key_provider.None.key does not match ca_cert");
        return -1;
    }
    st->ca_pem = strdup(c->ca_cert_pem);
    return st->ca_pem ? 0 : -1;
}

int sim_tls_setup_ca(sim_state *st, char *err, size_t errcap) {
    const sim_config *c = st->cfg;
    int rc = (c->ca_cert_pem && c->ca_key_pem) ? load_ca(st, err, errcap) : make_ca(st, err, errcap);
    if (rc) return rc;
    uint8_t *der = NULL;
    size_t dlen = 0;
    if (ds_p256_spki_der(st->ca_key, &der, &dlen) != DS_OK) {
        snprintf(err, errcap, "cannot encode the CA public key");
        return -1;
    }
    ds_buf b;
    ds_buf_init(&b);
    ds_buf_puts(&b, "{\"name\":\"kms\",\"id\":\"");
    ds_buf_hex(&b, der, dlen);
    ds_buf_puts(&b, "\"}");
    free(der);
    st->key_provider_info = ds_buf_take(&b, NULL);
    return st->key_provider_info ? 0 : -1;
}

static int add_ratls(sim_state *st, X509 *x, EVP_PKEY *key) {
    uint8_t *spki = NULL;
    size_t slen = 0;
    if (ds_p256_spki_der(key, &spki, &slen) != DS_OK) return 0;
    uint8_t *pre = malloc(11 + slen), rd[64];
    int ok = 0;
    if (pre) {
        memcpy(pre, "ratls-cert:", 11);
        memcpy(pre + 11, spki, slen);
        ds_sha512(pre, 11 + slen, rd);
        free(pre);
        ds_buf att, quote, log;
        ds_buf_init(&att);
        ds_buf_init(&quote);
        ds_buf_init(&log);
        ok = sim_attestation_parts(st, rd, &att, &quote, &log) == 0 &&
             add_octet_ext(x, SIM_OID_RATLS_QUOTE, (uint8_t *)quote.data, quote.len) &&
             add_octet_ext(x, SIM_OID_RATLS_EVENT_LOG, (uint8_t *)log.data, log.len) &&
             add_octet_ext(x, SIM_OID_RATLS_ATTESTATION, (uint8_t *)att.data, att.len);
        ds_buf_free(&att);
        ds_buf_free(&quote);
        ds_buf_free(&log);
    }
    free(spki);
    return ok;
}

static X509 *issue(sim_state *st, EVP_PKEY *key, const sim_cert_req *req, char *err,
                   size_t errcap) {
    time_t now = time(NULL);
    int64_t nb = req->have_not_before ? (int64_t)req->not_before : (int64_t)now;
    int64_t na = req->have_not_after ? (int64_t)req->not_after : (int64_t)now + 3650LL * 86400;
    if (req->not_before > (uint64_t)INT64_MAX / 2 || req->not_after > (uint64_t)INT64_MAX / 2 ||
        nb >= na) {
        snprintf(err, errcap, "not_before must be earlier than not_after");
        return NULL;
    }
    X509 *x = X509_new();
    X509_NAME *nm = X509_NAME_new();
    ASN1_TIME *t0 = ASN1_TIME_new(), *t1 = ASN1_TIME_new();
    int ok = x && nm && t0 && t1 && X509_set_version(x, 2) && set_random_serial(x) &&
             add_cn(nm, "CN", req->subject) && X509_set_subject_name(x, nm) &&
             X509_set_issuer_name(x, X509_get_subject_name(st->ca_cert)) &&
             ASN1_TIME_adj(t0, 0, (int)(nb / 86400), (long)(nb % 86400)) &&
             ASN1_TIME_adj(t1, 0, (int)(na / 86400), (long)(na % 86400)) &&
             X509_set1_notBefore(x, t0) && X509_set1_notAfter(x, t1) && X509_set_pubkey(x, key) &&
             add_conf_ext(x, st->ca_cert, NID_key_usage, "critical,digitalSignature");
    if (ok && (req->usage_server_auth || req->usage_client_auth)) {
        const char *eku = req->usage_server_auth && req->usage_client_auth ? "serverAuth,clientAuth"
                          : req->usage_server_auth                         ? "serverAuth"
                                                                           : "clientAuth";
        ok = add_conf_ext(x, st->ca_cert, NID_ext_key_usage, eku);
    }
    if (ok && req->n_alt) ok = add_san(x, req->alt_names, req->n_alt);
    if (ok) ok = add_octet_ext(x, SIM_OID_RATLS_USAGE, (const uint8_t *)"app:custom", 10);
    if (ok && req->with_app_info) ok = add_octet_ext(x, SIM_OID_RATLS_APP_ID, st->app_id, 20);
    if (ok && req->usage_ra_tls) ok = add_ratls(st, x, key);
    if (ok) ok = X509_sign(x, st->ca_key, EVP_sha256()) > 0;
    X509_NAME_free(nm);
    ASN1_TIME_free(t0);
    ASN1_TIME_free(t1);
    if (!ok) {
        X509_free(x);
        snprintf(err, errcap, "failed to build the certificate (bad subject or alt name?)");
        return NULL;
    }
    return x;
}

int sim_tls_issue_json(sim_state *st, EVP_PKEY *key, const sim_cert_req *req, ds_buf *out,
                       char *err, size_t errcap) {
    X509 *x = issue(st, key, req, err, errcap);
    if (!x) return -1;
    char *kp = key_pem(key), *cp = cert_pem(x);
    X509_free(x);
    if (!kp || !cp) {
        free(kp);
        free(cp);
        snprintf(err, errcap, "failed to encode PEM");
        return -1;
    }
    ds_buf_puts(out, "{\"key\":");
    ds_buf_json_str(out, kp, strlen(kp));
    ds_buf_puts(out, ",\"certificate_chain\":[");
    ds_buf_json_str(out, cp, strlen(cp));
    ds_buf_putc(out, ',');
    ds_buf_json_str(out, st->ca_pem, strlen(st->ca_pem));
    ds_buf_puts(out, "]}");
    OPENSSL_cleanse(kp, strlen(kp));
    free(kp);
    free(cp);
    return 0;
}

char *sim_tls_issue_chain_pem(sim_state *st, EVP_PKEY *key, const sim_cert_req *req) {
    char err[128];
    X509 *x = issue(st, key, req, err, sizeof err);
    if (!x) return NULL;
    char *cp = cert_pem(x);
    X509_free(x);
    if (!cp) return NULL;
    ds_buf b;
    ds_buf_init(&b);
    ds_buf_puts(&b, cp);
    ds_buf_puts(&b, st->ca_pem);
    free(cp);
    return ds_buf_take(&b, NULL);
}
