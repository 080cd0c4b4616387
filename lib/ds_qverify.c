/* ds_qverify.c — the quote verifier's flow and result (see ds_qverify.h for the steps).
 *
 * Every step runs when its inputs are available, so a result lists all failed steps,
 * not only the first; a step whose input is already broken (e.g. the QE identity policy
 * when the QE identity JSON did not parse) is skipped, its cause being recorded.
 */
#include "ds_qverify_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>

#include "ds_hash.h"
#include "ds_p256.h"

static int push_str(char ***arr, size_t *n, const char *s) {
    char **na = realloc(*arr, (*n + 1) * sizeof **arr);
    if (!na) return 0;
    *arr = na;
    if (!(na[*n] = strdup(s))) return 0;
    (*n)++;
    return 1;
}

void qv_fail(ds_qverify_result *r, const char *step, const char *fmt, ...) {
    char msg[512];
    int n = snprintf(msg, sizeof msg, "%s: ", step);
    va_list ap;
    va_start(ap, fmt);
    if (n > 0 && (size_t)n < sizeof msg) vsnprintf(msg + n, sizeof msg - (size_t)n, fmt, ap);
    va_end(ap);
    r->ok = 0;
    if (!push_str(&r->reasons, &r->n_reasons, msg)) r->oom = 1;
}

void qv_add_advisory(ds_qverify_result *r, const char *id) {
    for (size_t i = 0; i < r->n_advisory_ids; i++)
        if (strcmp(r->advisory_ids[i], id) == 0) return;
    if (!push_str(&r->advisory_ids, &r->n_advisory_ids, id)) r->oom = 1;
}

void ds_qverify_result_free(ds_qverify_result *r) {
    if (!r) return;
    for (size_t i = 0; i < r->n_reasons; i++) free(r->reasons[i]);
    for (size_t i = 0; i < r->n_advisory_ids; i++) free(r->advisory_ids[i]);
    free(r->reasons);
    free(r->advisory_ids);
    memset(r, 0, sizeof(*r));
}

int ds_tcb_status_severity(const char *s) {
    static const char *const ORDER[] = {"UpToDate", "SWHardeningNeeded", "ConfigurationNeeded",
                                        "ConfigurationAndSWHardeningNeeded", "OutOfDate",
                                        "OutOfDateConfigurationNeeded", "Revoked"};
    for (int i = 0; s && i < 7; i++)
        if (strcmp(s, ORDER[i]) == 0) return i;
    return 100;
}

/* Chain + signature over the exact JSON bytes, for TCB info and QE identity. */
static void check_signed(ds_qverify_result *r, const char *chain_step, const char *sig_step,
                         const char *chain_pem, const char *json, const uint8_t sig[64],
                         X509 *root, X509_CRL *const crls[2], int64_t now) {
    STACK_OF(X509) *certs = chain_pem ? qv_pem_certs(chain_pem, strlen(chain_pem)) : NULL;
    uint8_t xy[64];
    if (!certs || sk_X509_num(certs) < 2) {
        qv_fail(r, chain_step, "issuer chain needs at least 2 PEM certificates");
    } else if (qv_verify_chain(r, chain_step, certs, root, crls, now, 1)) {
        if (!qv_cert_pub(sk_X509_value(certs, 0), xy))
            qv_fail(r, sig_step, "signer key is not P-256");
        else if (!json || ds_p256_verify(xy, (const uint8_t *)json, strlen(json), sig) != DS_OK)
            qv_fail(r, sig_step, "signature does not verify");
    }
    sk_X509_pop_free(certs, X509_free);
}

static void check_td_attributes(ds_qverify_result *r, const uint8_t a[8]) {
    uint32_t reserved_lower = (uint32_t)(a[3] & 0x0f) << 16 | (uint32_t)a[2] << 8 | a[1];
    uint32_t reserved_other = (uint32_t)(a[7] & 0x7f) << 24 | (uint32_t)a[6] << 16 |
                              (uint32_t)a[5] << 8 | a[4];
    if (a[0] != 0) qv_fail(r, "td_attributes", "debug TD (TUD byte 0 = 0x%02x)", a[0]);
    if (reserved_lower || (a[3] & 0x20) || reserved_other)
        qv_fail(r, "td_attributes", "reserved bits are set");
    if (!(a[3] & 0x10)) qv_fail(r, "td_attributes", "SEPT_VE_DISABLE is not set");
}

static X509_CRL *load_crl(ds_qverify_result *r, const uint8_t *der, size_t len, const char *name) {
    const unsigned char *p = der;
    X509_CRL *c = der && len ? d2i_X509_CRL(NULL, &p, (long)len) : NULL;
    if (!c || p != der + len) {
        X509_CRL_free(c);
        c = NULL;
        qv_fail(r, "crl", "%s is not a DER CRL", name);
    }
    return c;
}

/* Steps that need the parsed quote. */
static void check_quote(ds_qverify_result *r, const uint8_t *buf, const ds_quote *q, X509 *root,
                        X509_CRL *const crls[2], int64_t now, const cJSON *tcb,
                        const cJSON *qeid) {
    STACK_OF(X509) *certs = qv_pem_certs((const char *)q->inner_cert, q->inner_cert_len);
    uint8_t pck_xy[64], h[32];
    int pck_ok = 0;
    if (!certs || sk_X509_num(certs) < 2) {
        qv_fail(r, "pck_chain", "the quote carries fewer than 2 PEM certificates");
    } else if (qv_verify_chain(r, "pck_chain", certs, root, crls, now, 1)) {
        X509 *leaf = sk_X509_value(certs, 0);
        if (!qv_cert_pub(leaf, pck_xy)) qv_fail(r, "pck_chain", "PCK key is not P-256");
        else pck_ok = 1;
        qv_pck_extension(r, leaf);
    }
    if (pck_ok && ds_p256_verify(pck_xy, q->qe_report, DS_QE_REPORT_LEN, q->qe_report_sig) != DS_OK)
        qv_fail(r, "qe_report_signature", "QE report is not signed by the PCK key");
    /* report_data = SHA-256(attestation key ‖ QE auth data) ‖ 32 zero bytes */
    uint8_t *hd = malloc(64 + q->qe_auth_len);
    static const uint8_t ZERO32[32] = {0};
    if (!hd) {
        r->oom = 1;
    } else {
        memcpy(hd, q->att_pub, 64);
        if (q->qe_auth_len) memcpy(hd + 64, q->qe_auth_data, q->qe_auth_len);
        ds_sha256(hd, 64 + q->qe_auth_len, h);
        free(hd);
        if (memcmp(q->qe_report + 320, h, 32) != 0 || memcmp(q->qe_report + 352, ZERO32, 32) != 0)
            qv_fail(r, "qe_report_binding", "QE report does not bind the attestation key");
    }
    if (qeid) qv_qe_identity_policy(r, qeid, q->qe_report);
    if (ds_p256_verify(q->att_pub, buf, DS_QUOTE_SIGNED_LEN, q->signature) != DS_OK)
        qv_fail(r, "quote_signature", "quote is not signed by its attestation key");
    if (tcb && r->have_pck) qv_tcb_match(r, tcb, &q->report);
    check_td_attributes(r, q->report.td_attributes);
    sk_X509_pop_free(certs, X509_free);
}

ds_err ds_qverify(const uint8_t *quote, size_t quote_len, const uint8_t *root_der,
                  size_t root_der_len, const ds_collateral *col, int64_t now,
                  ds_qverify_result *res) {
    if (!res) return DS_ERR_ARG;
    memset(res, 0, sizeof(*res));
    if (!quote || !root_der || !col) return DS_ERR_ARG;
    ds_quote q;
    int quote_ok = 0;
    if (ds_quote_parse(quote, quote_len, &q) != DS_OK) {
        qv_fail(res, "quote", "not a well-formed v4 TDX quote");
    } else {
        res->have_quote = 1;
        res->header = q.header;
        res->report = q.report;
        if (q.header.att_key_type != 2) qv_fail(res, "quote", "attestation key type is not 2 (P-256)");
        else if (q.cert_type != DS_CERT_TYPE_QE_REPORT)
            qv_fail(res, "quote", "certification data type %u is not 6", q.cert_type);
        else if (q.inner_cert_type != DS_CERT_TYPE_PCK_CHAIN)
            qv_fail(res, "quote", "inner certification data type %u is not 5", q.inner_cert_type);
        else quote_ok = 1;
    }
    const unsigned char *rp = root_der;
    X509 *root = d2i_X509(NULL, &rp, (long)root_der_len);
    if (!root || rp != root_der + root_der_len) {
        X509_free(root);
        root = NULL;
        qv_fail(res, "root", "trusted root is not a DER certificate");
    }
    X509_CRL *crls[2] = {load_crl(res, col->root_ca_crl, col->root_ca_crl_len, "root_ca_crl"),
                         load_crl(res, col->pck_crl, col->pck_crl_len, "pck_crl")};
    cJSON *tcb = qv_tcb_info_parse(res, col->tcb_info, now);
    cJSON *qeid = qv_qe_identity_parse(res, col->qe_identity, now);
    check_signed(res, "tcb_info_chain", "tcb_info_signature", col->tcb_info_issuer_chain,
                 col->tcb_info, col->tcb_info_signature, root, crls, now);
    check_signed(res, "qe_identity_chain", "qe_identity_signature", col->qe_identity_issuer_chain,
                 col->qe_identity, col->qe_identity_signature, root, crls, now);
    if (col->pck_crl_issuer_chain && col->pck_crl_issuer_chain[0]) {
        STACK_OF(X509) *cc = qv_pem_certs(col->pck_crl_issuer_chain,
                                          strlen(col->pck_crl_issuer_chain));
        if (!cc) qv_fail(res, "pck_crl_chain", "no PEM certificate");
        else qv_verify_chain(res, "pck_crl_chain", cc, root, crls, now, 0);
        sk_X509_pop_free(cc, X509_free);
    }
    if (quote_ok) check_quote(res, quote, &q, root, crls, now, tcb, qeid);
    if (res->platform_status[0] && res->qe_status[0]) {
        int a = ds_tcb_status_severity(res->platform_status);
        int b = ds_tcb_status_severity(res->qe_status);
        snprintf(res->status, sizeof res->status, "%s",
                 b > a ? res->qe_status : res->platform_status);
        if (ds_tcb_status_severity(res->status) > 5)
            qv_fail(res, "tcb_status", "TCB status %s is not acceptable", res->status);
    }
    cJSON_Delete(tcb);
    cJSON_Delete(qeid);
    X509_CRL_free(crls[0]);
    X509_CRL_free(crls[1]);
    X509_free(root);
    ERR_clear_error();
    if (res->oom) return DS_ERR_NOMEM;
    res->ok = res->n_reasons == 0 && res->status[0] != '\0';
    return res->ok ? DS_OK : DS_ERR_VERIFY;
}

static void jhex(ds_buf *b, const char *k, const uint8_t *p, size_t n, int comma) {
    ds_buf_printf(b, "%s\"%s\":", comma ? "," : "", k);
    ds_buf_json_hex(b, p, n);
}

static void jstr_array(ds_buf *b, const char *k, char *const *a, size_t n) {
    ds_buf_printf(b, ",\"%s\":[", k);
    for (size_t i = 0; i < n; i++) {
        if (i) ds_buf_putc(b, ',');
        ds_buf_json_str(b, a[i], strlen(a[i]));
    }
    ds_buf_putc(b, ']');
}

ds_err ds_qverify_result_json(const ds_qverify_result *r, ds_buf *out) {
    if (!r || !out) return DS_ERR_ARG;
    ds_buf_printf(out, "{\"ok\":%s,\"status\":", r->ok ? "true" : "false");
    ds_buf_json_str(out, r->status, strlen(r->status));
    ds_buf_puts(out, ",\"platform_status\":");
    ds_buf_json_str(out, r->platform_status, strlen(r->platform_status));
    ds_buf_puts(out, ",\"qe_status\":");
    ds_buf_json_str(out, r->qe_status, strlen(r->qe_status));
    jstr_array(out, "advisory_ids", r->advisory_ids, r->n_advisory_ids);
    jstr_array(out, "reasons", r->reasons, r->n_reasons);
    if (r->have_quote) {
        const ds_quote_header *h = &r->header;
        const ds_td_report *t = &r->report;
        ds_buf_printf(out, ",\"header\":{\"version\":%u,\"att_key_type\":%u,\"tee_type\":%u,"
                           "\"qe_svn\":%u,\"pce_svn\":%u",
                      h->version, h->att_key_type, h->tee_type, h->qe_svn, h->pce_svn);
        jhex(out, "qe_vendor_id", h->qe_vendor_id, 16, 1);
        jhex(out, "user_data", h->user_data, 20, 1);
        ds_buf_puts(out, "},\"report\":{");
        jhex(out, "tee_tcb_svn", t->tee_tcb_svn, 16, 0);
        jhex(out, "mr_seam", t->mr_seam, 48, 1);
        jhex(out, "mr_signer_seam", t->mr_signer_seam, 48, 1);
        jhex(out, "seam_attributes", t->seam_attributes, 8, 1);
        jhex(out, "td_attributes", t->td_attributes, 8, 1);
        jhex(out, "xfam", t->xfam, 8, 1);
        jhex(out, "mr_td", t->mr_td, 48, 1);
        jhex(out, "mr_config_id", t->mr_config_id, 48, 1);
        jhex(out, "mr_owner", t->mr_owner, 48, 1);
        jhex(out, "mr_owner_config", t->mr_owner_config, 48, 1);
        static const char *const RTMR[4] = {"rt_mr0", "rt_mr1", "rt_mr2", "rt_mr3"};
        for (int i = 0; i < 4; i++) jhex(out, RTMR[i], t->rt_mr[i], 48, 1);
        jhex(out, "report_data", t->report_data, 64, 1);
        ds_buf_putc(out, '}');
    }
    if (r->have_pck) {
        ds_buf_puts(out, ",\"pck\":{");
        jhex(out, "ppid", r->ppid, 16, 0);
        jhex(out, "fmspc", r->fmspc, 6, 1);
        jhex(out, "pce_id", r->pce_id, 2, 1);
        jhex(out, "cpu_svn", r->cpu_svn, 16, 1);
        ds_buf_printf(out, ",\"pce_svn\":%u}", r->pce_svn);
    }
    ds_buf_putc(out, '}');
    return out->oom ? DS_ERR_NOMEM : DS_OK;
}
