/* ds_qverify_ctx.c — the quote verifier's flow (steps in ds_qverify.h), run through a
 * reusable context that remembers a verified collateral and verified PCK chains.
 *
 * Every step runs when its inputs are available, so a result lists all failed steps, not
 * only the first; a step whose input is already broken (e.g. the QE identity policy when
 * the QE identity JSON did not parse) is skipped, its cause being recorded.
 *
 * Reuse is exact: the collateral check is remembered only when it held without a single
 * reason, and only for `now` strictly inside the intersection of every validity interval
 * it depended on, so a reused check could not have come out differently; the reasons a
 * quote gets are produced by the same code in the same order either way.
 */
#include "ds_qverify_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <limits.h>

#include <openssl/err.h>
#include <openssl/pem.h>

#include "ds_hash.h"
#include "ds_p256.h"

#define QV_CHAIN_SLOTS 4
#define QV_CERT_SLOTS 16

/* A parsed certificate, kept by the exact DER bytes it came from: the root, the TCB
 * signer and the PCK CA appear in several chains, and OpenSSL's parse (with its public
 * key decoding) costs more than a signature check. */
typedef struct {
    uint8_t *der;
    size_t len;
    int exact; /* d2i consumed all len bytes */
    X509 *x;
} qv_cert;

/* The parsed trust inputs of one verification. */
typedef struct {
    X509 *root;
    X509_CRL *crls[2];
    cJSON *tcb, *qeid;
    int64_t from, until; /* where every time-bound input is valid (open interval) */
} qv_trust;

/* A PCK chain that verified, with what the quote checks need from it. */
typedef struct {
    uint8_t *pem;
    size_t pem_len;
    X509 *leaf; /* its key verifies QE reports */
    uint8_t ppid[16], fmspc[6], pce_id[2], cpu_svn[16], sgx_components[16];
    uint16_t pce_svn;
    int64_t from, until;
    /* The last QE report (with its signature) the leaf's key verified, and the last
     * attestation key seen with this chain, as a ready key: a platform's QE signs every
     * quote with the same attestation key and certifies it with the same QE report. */
    int qe_verified;
    uint8_t qe_report[DS_QE_REPORT_LEN], qe_report_sig[64];
    EVP_PKEY *att_key;
    uint8_t att_pub[64];
} qv_chain;

struct ds_qverify_ctx {
    uint8_t *root_der;
    size_t root_len;
    ds_collateral col;
    int have_inputs;
    int prepared;
    qv_trust trust;
    qv_chain chain[QV_CHAIN_SLOTS];
    unsigned next_slot;
    qv_cert cert[QV_CERT_SLOTS];
    unsigned next_cert;
    unsigned long collateral_checks, chain_checks;
};

/* ---- validity intervals ---------------------------------------------------------------- */

static void window_init(int64_t *from, int64_t *until) {
    *from = INT64_MIN;
    *until = INT64_MAX;
}

static void window_time(const ASN1_TIME *t, int is_start, int64_t *from, int64_t *until) {
    struct tm tm;
    if (!t) return;                 /* absent (a CRL without nextUpdate): no bound */
    if (!ASN1_TIME_to_tm(t, &tm)) { /* unreadable: never reuse */
        *from = INT64_MAX;
        return;
    }
    int64_t v = (int64_t)timegm(&tm);
    if (is_start && v > *from) *from = v;
    if (!is_start && v < *until) *until = v;
}

static void window_cert(X509 *x, int64_t *from, int64_t *until) {
    window_time(X509_get0_notBefore(x), 1, from, until);
    window_time(X509_get0_notAfter(x), 0, from, until);
}

static void window_certs(STACK_OF(X509) * certs, int64_t *from, int64_t *until) {
    for (int i = 0; certs && i < sk_X509_num(certs); i++)
        window_cert(sk_X509_value(certs, i), from, until);
}

static void window_json(const cJSON *o, int64_t *from, int64_t *until) {
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(o, "issueDate");
    const cJSON *z = cJSON_GetObjectItemCaseSensitive(o, "nextUpdate");
    int64_t ta, tz;
    if (!cJSON_IsString(a) || !cJSON_IsString(z) || !qv_parse_date(a->valuestring, &ta) ||
        !qv_parse_date(z->valuestring, &tz)) {
        *from = INT64_MAX;
        return;
    }
    if (ta > *from) *from = ta;
    if (tz < *until) *until = tz;
}

static int in_window(int64_t now, int64_t from, int64_t until) { return now > from && now < until; }

/* ---- parsed certificates ---------------------------------------------------------------- */

/* The certificate of der[0..len) (a new reference), parsed once per context. exact: the
 * bytes must be one whole certificate. NULL when they are not a certificate. */
static X509 *cert_get(ds_qverify_ctx *ctx, const uint8_t *der, size_t len, int exact) {
    for (int i = 0; i < QV_CERT_SLOTS; i++) {
        qv_cert *c = &ctx->cert[i];
        if (c->x && c->len == len && !memcmp(c->der, der, len) && (c->exact || !exact)) {
            X509_up_ref(c->x);
            return c->x;
        }
    }
    const unsigned char *p = der;
    X509 *x = len <= (size_t)LONG_MAX ? d2i_X509(NULL, &p, (long)len) : NULL;
    int whole = x && p == der + len;
    if (!x || (exact && !whole)) {
        X509_free(x);
        ERR_clear_error();
        return NULL;
    }
    qv_cert *c = &ctx->cert[ctx->next_cert++ % QV_CERT_SLOTS];
    X509_free(c->x);
    free(c->der);
    memset(c, 0, sizeof *c);
    if ((c->der = malloc(len ? len : 1))) {
        memcpy(c->der, der, len);
        c->len = len;
        c->exact = whole;
        c->x = x;
        X509_up_ref(x);
    }
    return x;
}

/* Every CERTIFICATE in a PEM text, in order, as PEM_read_bio_X509 reads them (other PEM
 * blocks skipped, reading stops at the first block that is not a certificate); NULL when
 * there is none. */
static STACK_OF(X509) * pem_certs(ds_qverify_ctx *ctx, const char *pem, size_t len) {
    if (!pem || len == 0 || len > (size_t)INT32_MAX) return NULL;
    STACK_OF(X509) *sk = sk_X509_new_null();
    BIO *bio = BIO_new_mem_buf(pem, (int)len);
    char *name = NULL, *header = NULL;
    unsigned char *data = NULL;
    long n = 0;
    while (sk && bio && PEM_read_bio(bio, &name, &header, &data, &n) > 0) {
        int is_cert = !strcmp(name, PEM_STRING_X509) || !strcmp(name, PEM_STRING_X509_OLD);
        X509 *x = is_cert && !header[0] && n > 0 ? cert_get(ctx, data, (size_t)n, 0) : NULL;
        OPENSSL_free(name);
        OPENSSL_free(header);
        OPENSSL_free(data);
        if (!is_cert) continue;
        if (!x || !sk_X509_push(sk, x)) {
            X509_free(x);
            break;
        }
    }
    BIO_free(bio);
    ERR_clear_error();
    if (sk && sk_X509_num(sk) == 0) {
        sk_X509_free(sk);
        sk = NULL;
    }
    return sk;
}

static void certs_clear(ds_qverify_ctx *ctx) {
    for (int i = 0; i < QV_CERT_SLOTS; i++) {
        X509_free(ctx->cert[i].x);
        free(ctx->cert[i].der);
        memset(&ctx->cert[i], 0, sizeof ctx->cert[i]);
    }
}

/* ---- the collateral ---------------------------------------------------------------------- */

/* Chain + signature over the exact JSON bytes, for TCB info and QE identity. */
static void check_signed(ds_qverify_ctx *ctx, ds_qverify_result *r, const char *chain_step,
                         const char *sig_step, const char *chain_pem, const char *json,
                         const uint8_t sig[64], qv_trust *t, int64_t now) {
    STACK_OF(X509) *certs = chain_pem ? pem_certs(ctx, chain_pem, strlen(chain_pem)) : NULL;
    uint8_t xy[64];
    if (!certs || sk_X509_num(certs) < 2) {
        qv_fail(r, chain_step, "issuer chain needs at least 2 PEM certificates");
    } else if (qv_verify_chain(r, chain_step, certs, t->root, t->crls, now, 1)) {
        window_certs(certs, &t->from, &t->until);
        if (!qv_cert_pub(sk_X509_value(certs, 0), xy))
            qv_fail(r, sig_step, "signer key is not P-256");
        else if (!json || ds_p256_verify(xy, (const uint8_t *)json, strlen(json), sig) != DS_OK)
            qv_fail(r, sig_step, "signature does not verify");
    }
    sk_X509_pop_free(certs, X509_free);
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

static void trust_free(qv_trust *t) {
    X509_free(t->root);
    X509_CRL_free(t->crls[0]);
    X509_CRL_free(t->crls[1]);
    cJSON_Delete(t->tcb);
    cJSON_Delete(t->qeid);
    memset(t, 0, sizeof *t);
}

/* Every step that depends on the root and collateral only (reasons into r). */
static void trust_load(ds_qverify_ctx *ctx, ds_qverify_result *r, int64_t now, qv_trust *t) {
    const ds_collateral *col = &ctx->col;
    memset(t, 0, sizeof *t);
    window_init(&t->from, &t->until);
    t->root = cert_get(ctx, ctx->root_der, ctx->root_len, 1);
    if (!t->root) {
        qv_fail(r, "root", "trusted root is not a DER certificate");
    } else {
        window_cert(t->root, &t->from, &t->until);
    }
    t->crls[0] = load_crl(r, col->root_ca_crl, col->root_ca_crl_len, "root_ca_crl");
    t->crls[1] = load_crl(r, col->pck_crl, col->pck_crl_len, "pck_crl");
    for (int i = 0; i < 2; i++) {
        if (!t->crls[i]) continue;
        window_time(X509_CRL_get0_lastUpdate(t->crls[i]), 1, &t->from, &t->until);
        window_time(X509_CRL_get0_nextUpdate(t->crls[i]), 0, &t->from, &t->until);
    }
    t->tcb = qv_tcb_info_parse(r, col->tcb_info, now);
    t->qeid = qv_qe_identity_parse(r, col->qe_identity, now);
    if (t->tcb) window_json(t->tcb, &t->from, &t->until);
    if (t->qeid) window_json(t->qeid, &t->from, &t->until);
    check_signed(ctx, r, "tcb_info_chain", "tcb_info_signature", col->tcb_info_issuer_chain,
                 col->tcb_info, col->tcb_info_signature, t, now);
    check_signed(ctx, r, "qe_identity_chain", "qe_identity_signature",
                 col->qe_identity_issuer_chain, col->qe_identity, col->qe_identity_signature, t,
                 now);
    if (col->pck_crl_issuer_chain && col->pck_crl_issuer_chain[0]) {
        STACK_OF(X509) *cc =
            pem_certs(ctx, col->pck_crl_issuer_chain, strlen(col->pck_crl_issuer_chain));
        if (!cc)
            qv_fail(r, "pck_crl_chain", "no PEM certificate");
        else if (qv_verify_chain(r, "pck_crl_chain", cc, t->root, t->crls, now, 0))
            window_certs(cc, &t->from, &t->until);
        sk_X509_pop_free(cc, X509_free);
    }
}

/* ---- the quote --------------------------------------------------------------------------- */

static void check_td_attributes(ds_qverify_result *r, const uint8_t a[8]) {
    uint32_t reserved_lower = (uint32_t)(a[3] & 0x0f) << 16 | (uint32_t)a[2] << 8 | a[1];
    uint32_t reserved_other =
        (uint32_t)(a[7] & 0x7f) << 24 | (uint32_t)a[6] << 16 | (uint32_t)a[5] << 8 | a[4];
    if (a[0] != 0) qv_fail(r, "td_attributes", "debug TD (TUD byte 0 = 0x%02x)", a[0]);
    if (reserved_lower || (a[3] & 0x20) || reserved_other)
        qv_fail(r, "td_attributes", "reserved bits are set");
    if (!(a[3] & 0x10)) qv_fail(r, "td_attributes", "SEPT_VE_DISABLE is not set");
}

static qv_chain *chain_find(ds_qverify_ctx *ctx, const ds_quote *q, int64_t now) {
    for (int i = 0; i < QV_CHAIN_SLOTS; i++) {
        qv_chain *c = &ctx->chain[i];
        if (c->pem && c->pem_len == q->inner_cert_len &&
            memcmp(c->pem, q->inner_cert, c->pem_len) == 0 && in_window(now, c->from, c->until))
            return c;
    }
    return NULL;
}

static void chain_clear(qv_chain *c) {
    free(c->pem);
    X509_free(c->leaf);
    EVP_PKEY_free(c->att_key);
    memset(c, 0, sizeof *c);
}

static void chain_store(ds_qverify_ctx *ctx, const ds_quote *q, STACK_OF(X509) * certs,
                        const ds_qverify_result *r) {
    qv_chain *c = &ctx->chain[ctx->next_slot++ % QV_CHAIN_SLOTS];
    chain_clear(c);
    if (!(c->pem = malloc(q->inner_cert_len))) return;
    memcpy(c->pem, q->inner_cert, q->inner_cert_len);
    c->pem_len = q->inner_cert_len;
    c->leaf = sk_X509_value(certs, 0);
    X509_up_ref(c->leaf);
    memcpy(c->ppid, r->ppid, 16);
    memcpy(c->fmspc, r->fmspc, 6);
    memcpy(c->pce_id, r->pce_id, 2);
    memcpy(c->cpu_svn, r->cpu_svn, 16);
    memcpy(c->sgx_components, r->sgx_components, 16);
    c->pce_svn = r->pce_svn;
    c->from = ctx->trust.from;
    c->until = ctx->trust.until;
    window_certs(certs, &c->from, &c->until);
}

static void chain_use(const qv_chain *c, ds_qverify_result *r) {
    memcpy(r->ppid, c->ppid, 16);
    memcpy(r->fmspc, c->fmspc, 6);
    memcpy(r->pce_id, c->pce_id, 2);
    memcpy(r->cpu_svn, c->cpu_svn, 16);
    memcpy(r->sgx_components, c->sgx_components, 16);
    r->pce_svn = c->pce_svn;
    r->have_pck = 1;
}

/* Steps that need the parsed quote. reuse: remember / reuse PCK chains (only under a
 * collateral check that held). */
static void check_quote(ds_qverify_ctx *ctx, ds_qverify_result *r, const uint8_t *buf,
                        const ds_quote *q, const qv_trust *t, int64_t now, int reuse) {
    STACK_OF(X509) *certs = NULL;
    uint8_t pck_xy[64], h[32];
    int pck_ok = 0, qe_sig_ok = 0;
    qv_chain *hit = reuse ? chain_find(ctx, q, now) : NULL;
    if (hit) {
        chain_use(hit, r);
        pck_ok = 1;
        qe_sig_ok = hit->qe_verified && !memcmp(hit->qe_report, q->qe_report, DS_QE_REPORT_LEN) &&
                    !memcmp(hit->qe_report_sig, q->qe_report_sig, 64);
        if (!qe_sig_ok && ds_p256_verify_key(X509_get0_pubkey(hit->leaf), q->qe_report,
                                             DS_QE_REPORT_LEN, q->qe_report_sig) == DS_OK) {
            qe_sig_ok = hit->qe_verified = 1;
            memcpy(hit->qe_report, q->qe_report, DS_QE_REPORT_LEN);
            memcpy(hit->qe_report_sig, q->qe_report_sig, 64);
        }
    } else {
        size_t before = r->n_reasons;
        ctx->chain_checks++;
        certs = pem_certs(ctx, (const char *)q->inner_cert, q->inner_cert_len);
        if (!certs || sk_X509_num(certs) < 2) {
            qv_fail(r, "pck_chain", "the quote carries fewer than 2 PEM certificates");
        } else if (qv_verify_chain(r, "pck_chain", certs, t->root, (X509_CRL *const *)t->crls, now,
                                   1)) {
            X509 *leaf = sk_X509_value(certs, 0);
            if (!qv_cert_pub(leaf, pck_xy))
                qv_fail(r, "pck_chain", "PCK key is not P-256");
            else
                pck_ok = 1;
            qv_pck_extension(r, leaf);
            if (reuse && pck_ok && r->have_pck && r->n_reasons == before)
                chain_store(ctx, q, certs, r);
        }
        qe_sig_ok = pck_ok && ds_p256_verify(pck_xy, q->qe_report, DS_QE_REPORT_LEN,
                                             q->qe_report_sig) == DS_OK;
    }
    if (pck_ok && !qe_sig_ok)
        qv_fail(r, "qe_report_signature", "QE report is not signed by the PCK key");
    /* report_data = SHA-256(attestation key ‖ QE auth data) ‖ 32 zero bytes */
    static const uint8_t ZERO32[32] = {0};
    uint8_t small[64 + 256];
    uint8_t *hd = 64 + q->qe_auth_len <= sizeof small ? small : malloc(64 + q->qe_auth_len);
    if (!hd) {
        r->oom = 1;
    } else {
        memcpy(hd, q->att_pub, 64);
        if (q->qe_auth_len) memcpy(hd + 64, q->qe_auth_data, q->qe_auth_len);
        ds_sha256(hd, 64 + q->qe_auth_len, h);
        if (hd != small) free(hd);
        if (memcmp(q->qe_report + 320, h, 32) != 0 || memcmp(q->qe_report + 352, ZERO32, 32) != 0)
            qv_fail(r, "qe_report_binding", "QE report does not bind the attestation key");
    }
    if (t->qeid) qv_qe_identity_policy(r, t->qeid, q->qe_report);
    if (hit && (!hit->att_key || memcmp(hit->att_pub, q->att_pub, 64))) {
        EVP_PKEY_free(hit->att_key);
        hit->att_key = ds_p256_from_xy(q->att_pub);
        memcpy(hit->att_pub, q->att_pub, 64);
    }
    ds_err qs = hit && hit->att_key
                    ? ds_p256_verify_key(hit->att_key, buf, DS_QUOTE_SIGNED_LEN, q->signature)
                    : ds_p256_verify(q->att_pub, buf, DS_QUOTE_SIGNED_LEN, q->signature);
    if (qs != DS_OK) qv_fail(r, "quote_signature", "quote is not signed by its attestation key");
    if (t->tcb && r->have_pck) qv_tcb_match(r, t->tcb, &q->report);
    check_td_attributes(r, q->report.td_attributes);
    sk_X509_pop_free(certs, X509_free);
}

/* ---- the context ------------------------------------------------------------------------- */

ds_qverify_ctx *ds_qverify_ctx_new(void) { return calloc(1, sizeof(ds_qverify_ctx)); }

static void ctx_forget(ds_qverify_ctx *ctx) {
    trust_free(&ctx->trust);
    ctx->prepared = 0;
    for (int i = 0; i < QV_CHAIN_SLOTS; i++)
        chain_clear(&ctx->chain[i]);
}

void ds_qverify_ctx_free(ds_qverify_ctx *ctx) {
    if (!ctx) return;
    ctx_forget(ctx);
    certs_clear(ctx);
    free(ctx->root_der);
    ds_collateral_free(&ctx->col);
    free(ctx);
}

static int same_str(const char *a, const char *b) { return strcmp(a ? a : "", b ? b : "") == 0; }

static int same_bytes(const uint8_t *a, size_t an, const uint8_t *b, size_t bn) {
    return an == bn && (an == 0 || memcmp(a, b, an) == 0);
}

/* Whether the context already holds exactly these trust inputs. */
static int same_inputs(const ds_qverify_ctx *ctx, const uint8_t *root, size_t root_len,
                       const ds_collateral *c) {
    const ds_collateral *k = &ctx->col;
    return ctx->have_inputs && same_bytes(ctx->root_der, ctx->root_len, root, root_len) &&
           same_bytes(k->root_ca_crl, k->root_ca_crl_len, c->root_ca_crl, c->root_ca_crl_len) &&
           same_bytes(k->pck_crl, k->pck_crl_len, c->pck_crl, c->pck_crl_len) &&
           memcmp(k->tcb_info_signature, c->tcb_info_signature, 64) == 0 &&
           memcmp(k->qe_identity_signature, c->qe_identity_signature, 64) == 0 &&
           same_str(k->tcb_info, c->tcb_info) && same_str(k->qe_identity, c->qe_identity) &&
           same_str(k->tcb_info_issuer_chain, c->tcb_info_issuer_chain) &&
           same_str(k->qe_identity_issuer_chain, c->qe_identity_issuer_chain) &&
           same_str(k->pck_crl_issuer_chain, c->pck_crl_issuer_chain);
}

static ds_err take_inputs(ds_qverify_ctx *ctx, const uint8_t *root, size_t root_len,
                          const ds_collateral *c) {
    ctx_forget(ctx);
    free(ctx->root_der);
    ds_collateral_free(&ctx->col);
    ctx->have_inputs = 0;
    ctx->root_len = 0;
    if (!(ctx->root_der = malloc(root_len ? root_len : 1))) return DS_ERR_NOMEM;
    if (root_len) memcpy(ctx->root_der, root, root_len);
    ctx->root_len = root_len;
    if (ds_collateral_copy(&ctx->col, c) != DS_OK) return DS_ERR_NOMEM;
    ctx->have_inputs = 1;
    return DS_OK;
}

/* Runs the collateral check at now and keeps it when it held. */
static ds_err prepare(ds_qverify_ctx *ctx, int64_t now) {
    ds_qverify_result scratch;
    memset(&scratch, 0, sizeof scratch);
    ctx_forget(ctx);
    ctx->collateral_checks++;
    trust_load(ctx, &scratch, now, &ctx->trust);
    ds_err e = scratch.oom ? DS_ERR_NOMEM : DS_OK;
    if (scratch.n_reasons == 0 && !scratch.oom && in_window(now, ctx->trust.from, ctx->trust.until))
        ctx->prepared = 1;
    else
        trust_free(&ctx->trust);
    ds_qverify_result_free(&scratch);
    return e;
}

ds_err ds_qverify_ctx_verify(ds_qverify_ctx *ctx, const uint8_t *quote, size_t quote_len,
                             const uint8_t *root_der, size_t root_der_len, const ds_collateral *col,
                             int64_t now, ds_qverify_result *res) {
    if (!res) return DS_ERR_ARG;
    memset(res, 0, sizeof(*res));
    if (!ctx || !quote || !root_der || !col) return DS_ERR_ARG;
    if (!same_inputs(ctx, root_der, root_der_len, col) &&
        take_inputs(ctx, root_der, root_der_len, col) != DS_OK)
        return DS_ERR_NOMEM;
    if (!ctx->prepared || !in_window(now, ctx->trust.from, ctx->trust.until)) {
        if (prepare(ctx, now) != DS_OK) return DS_ERR_NOMEM;
    }
    ds_quote q;
    int quote_ok = 0;
    if (ds_quote_parse(quote, quote_len, &q) != DS_OK) {
        qv_fail(res, "quote", "not a well-formed v4 TDX quote");
    } else {
        res->have_quote = 1;
        res->header = q.header;
        res->report = q.report;
        if (q.header.att_key_type != 2)
            qv_fail(res, "quote", "attestation key type is not 2 (P-256)");
        else if (q.cert_type != DS_CERT_TYPE_QE_REPORT)
            qv_fail(res, "quote", "certification data type %u is not 6", q.cert_type);
        else if (q.inner_cert_type != DS_CERT_TYPE_PCK_CHAIN)
            qv_fail(res, "quote", "inner certification data type %u is not 5", q.inner_cert_type);
        else
            quote_ok = 1;
    }
    qv_trust fresh;
    const qv_trust *t = &ctx->trust;
    if (!ctx->prepared) { /* the collateral did not hold at now: every step again, in order */
        trust_load(ctx, res, now, &fresh);
        t = &fresh;
    }
    if (quote_ok) check_quote(ctx, res, quote, &q, t, now, ctx->prepared);
    if (!ctx->prepared) trust_free(&fresh);
    if (res->platform_status[0] && res->qe_status[0]) {
        int a = ds_tcb_status_severity(res->platform_status);
        int b = ds_tcb_status_severity(res->qe_status);
        snprintf(res->status, sizeof res->status, "%s",
                 b > a ? res->qe_status : res->platform_status);
        if (ds_tcb_status_severity(res->status) > 5)
            qv_fail(res, "tcb_status", "TCB status %s is not acceptable", res->status);
    }
    ERR_clear_error();
    if (res->oom) return DS_ERR_NOMEM;
    res->ok = res->n_reasons == 0 && res->status[0] != '\0';
    return res->ok ? DS_OK : DS_ERR_VERIFY;
}

void ds_qverify_ctx_get_stats(const ds_qverify_ctx *ctx, ds_qverify_ctx_stats *out) {
    memset(out, 0, sizeof *out);
    if (!ctx) return;
    out->prepared = ctx->prepared;
    out->valid_from = ctx->trust.from;
    out->valid_until = ctx->trust.until;
    out->collateral_checks = ctx->collateral_checks;
    out->chain_checks = ctx->chain_checks;
}
