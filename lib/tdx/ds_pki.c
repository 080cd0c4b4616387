/* ds_pki.c — the simulated Intel PKI: configuration, key derivation, lifecycle, getters
 * and the ds_quote_signer (see ds_pki.h). Certificates and CRLs are in ds_pki_certs.c,
 * TCB info / QE identity / PCS shapes in ds_pki_collateral.c.
 *
 * Quotes: the certification data (QE report over the attestation key, signed by the PCK
 * key, and the PCK chain) is the same for every quote of a PKI, so it is built once in
 * ds_pki_new; a quote costs one signature. Signing goes through one shared
 * ds_p256det_ctx. Both are read-only afterwards: one ds_pki may sign on several threads.
 *
 * Derivation from the 32-byte seed:
 *   key k    = ds_p256_scalar_from_seed(seed, "dstack-sim pki <name> key")
 *              name ∈ {root ca, pck ca, pck, tcb signing, attestation}
 *   serial i = HKDF-SHA256(salt "dstack-sim-pki", seed, "serial <cert name>")[0..16],
 *              top byte forced to 0b01xxxxxx (positive, always 16 bytes)
 *   ppid     = HKDF(…, "ppid")[0..16], platform instance id = HKDF(…, "platform instance id")
 */
#include "ds_pki_internal.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "ds_hash.h"
#include "ds_p256.h"
#include "ds_p256det.h"

static const char *const STATUS_NAMES[DS_TCB_STATUS_COUNT] = {
    "UpToDate",  "SWHardeningNeeded", "ConfigurationNeeded", "ConfigurationAndSWHardeningNeeded",
    "OutOfDate", "OutOfDateConfigurationNeeded", "Revoked"};
static const char *const STATUS_SNAKE[DS_TCB_STATUS_COUNT] = {
    "UP_TO_DATE",  "SW_HARDENING_NEEDED", "CONFIGURATION_NEEDED",
    "CONFIGURATION_AND_SW_HARDENING_NEEDED", "OUT_OF_DATE",
    "OUT_OF_DATE_CONFIGURATION_NEEDED", "REVOKED"};

const char *ds_tcb_status_name(ds_tcb_status s) {
    return (unsigned)s < DS_TCB_STATUS_COUNT ? STATUS_NAMES[s] : NULL;
}

ds_err ds_tcb_status_parse(const char *name, ds_tcb_status *out) {
    if (!name || !out) return DS_ERR_ARG;
    for (int i = 0; i < DS_TCB_STATUS_COUNT; i++) {
        if (strcasecmp(name, STATUS_NAMES[i]) == 0 || strcasecmp(name, STATUS_SNAKE[i]) == 0) {
            *out = (ds_tcb_status)i;
            return DS_OK;
        }
    }
    return DS_ERR_ARG;
}

void ds_pki_iso8601(int64_t t, char out[21]) {
    time_t tt = (time_t)t;
    struct tm tm;
    if (!gmtime_r(&tt, &tm) || strftime(out, 21, "%Y-%m-%dT%H:%M:%SZ", &tm) != 20)
        strcpy(out, "1970-01-01T00:00:00Z");
}

void ds_pki_config_default(ds_pki_config *cfg, const uint8_t seed[32]) {
    /* Intel's production TD_QE signer (public), so QE identities look like the real one. */
    static const uint8_t TD_QE_MRSIGNER[32] = {
        0xdc, 0x9e, 0x2a, 0x7c, 0x6f, 0x94, 0x8f, 0x17, 0x47, 0x4e, 0x34, 0xa7, 0xfc, 0x43, 0xed, 0x03,
        0x0f, 0x7c, 0x15, 0x63, 0xf1, 0xba, 0xbd, 0xdf, 0x63, 0x40, 0xc8, 0x2e, 0x0e, 0x54, 0xa8, 0xc5};
    static const uint8_t FMSPC[6] = {0x00, 0x80, 0x6f, 0x05, 0x00, 0x00};
    static const uint8_t CPU_SVN[16] = {2, 2, 2, 2, 3, 1, 0, 3, 0, 0, 0, 0, 0, 0, 0, 0};
    memset(cfg, 0, sizeof(*cfg));
    memcpy(cfg->seed, seed, 32);
    cfg->tcb_status = DS_TCB_UP_TO_DATE;
    cfg->qe_tcb_status = DS_TCB_UP_TO_DATE;
    cfg->not_before = cfg->issue_date = cfg->crl_this_update = DS_PKI_NOT_BEFORE;
    cfg->not_after = cfg->next_update = cfg->crl_next_update = DS_PKI_NOT_AFTER;
    memcpy(cfg->fmspc, FMSPC, 6);
    memcpy(cfg->cpu_svn, CPU_SVN, 16);
    cfg->pce_svn = 13;
    cfg->qe.attributes[0] = 0x11;
    memcpy(cfg->qe.mr_signer, TD_QE_MRSIGNER, 32);
    cfg->qe.isv_prod_id = 2;
    cfg->qe.isv_svn = 4;
    for (int i = 0; i < 32; i++) cfg->qe_auth[i] = (uint8_t)i;
}

static int config_ok(const ds_pki_config *c) {
    if ((unsigned)c->tcb_status >= DS_TCB_STATUS_COUNT ||
        (unsigned)c->qe_tcb_status >= DS_TCB_STATUS_COUNT)
        return 0;
    const int64_t lo[3] = {c->not_before, c->issue_date, c->crl_this_update};
    const int64_t hi[3] = {c->not_after, c->next_update, c->crl_next_update};
    for (int i = 0; i < 3; i++) /* ordered, and within 1970..9999 (ASN1_TIME, gmtime) */
        if (lo[i] < 0 || lo[i] >= hi[i] || hi[i] > 253402300799LL) return 0;
    if (c->pce_svn == UINT16_MAX || c->qe.isv_svn == UINT16_MAX) return 0;
    if (c->n_extra_revoked > DS_PKI_MAX_REVOKED) return 0;
    for (size_t i = 0; i < c->n_extra_revoked; i++)
        if (c->extra_revoked_len[i] < 1 || c->extra_revoked_len[i] > 20) return 0;
    if (c->revoke & ~(unsigned)(DS_PKI_REVOKE_PCK | DS_PKI_REVOKE_PCK_CA | DS_PKI_REVOKE_TCB_SIGNER))
        return 0;
    return 1;
}

static ds_err derive(const uint8_t seed[32], const char *label, uint8_t *out, size_t n) {
    static const uint8_t SALT[] = "dstack-sim-pki";
    return ds_hkdf_sha256(SALT, sizeof SALT - 1, seed, 32, (const uint8_t *)label, strlen(label),
                          out, n);
}

static ds_err derive_keys(ds_pki *p) {
    static const char *const KEY_INFO[DS_PKI_K_COUNT] = {
        "dstack-sim pki root ca key", "dstack-sim pki pck ca key", "dstack-sim pki pck key",
        "dstack-sim pki tcb signing key", "dstack-sim pki attestation key"};
    static const char *const SERIAL_INFO[DS_PKI_CERT_COUNT] = {
        "serial root ca", "serial pck ca", "serial pck", "serial tcb signing"};
    for (int i = 0; i < DS_PKI_K_COUNT; i++) {
        if (ds_p256_scalar_from_seed(p->cfg.seed, 32, KEY_INFO[i], p->key[i]) != DS_OK ||
            !(p->pkey[i] = ds_p256_from_scalar(p->key[i])) ||
            ds_p256_pub_xy(p->pkey[i], p->pub[i]) != DS_OK)
            return DS_ERR_CRYPTO;
    }
    for (int i = 0; i < DS_PKI_CERT_COUNT; i++) {
        if (derive(p->cfg.seed, SERIAL_INFO[i], p->serial[i], 16) != DS_OK) return DS_ERR_CRYPTO;
        p->serial[i][0] = (uint8_t)((p->serial[i][0] & 0x3f) | 0x40);
    }
    if (derive(p->cfg.seed, "ppid", p->ppid, 16) != DS_OK ||
        derive(p->cfg.seed, "platform instance id", p->platform_instance_id, 16) != DS_OK)
        return DS_ERR_CRYPTO;
    return DS_OK;
}

static ds_err build_quote_cert_data(ds_pki *p);

ds_err ds_pki_new(const ds_pki_config *cfg, ds_pki **out) {
    if (!out) return DS_ERR_ARG;
    *out = NULL;
    if (!cfg || !config_ok(cfg)) return DS_ERR_ARG;
    ds_pki *p = calloc(1, sizeof(*p));
    if (!p) return DS_ERR_NOMEM;
    p->cfg = *cfg;
    p->det = ds_p256det_ctx_new();
    ds_err rc = p->det ? derive_keys(p) : DS_ERR_CRYPTO;
    if (rc == DS_OK) rc = ds_pki_build_certs(p);
    if (rc == DS_OK) rc = ds_pki_build_crls(p);
    if (rc == DS_OK) rc = ds_pki_build_collateral(p);
    if (rc == DS_OK) rc = build_quote_cert_data(p);
    if (rc != DS_OK) {
        ds_pki_free(p);
        return rc;
    }
    *out = p;
    return DS_OK;
}

void ds_pki_free(ds_pki *p) {
    if (!p) return;
    for (int i = 0; i < DS_PKI_K_COUNT; i++) EVP_PKEY_free(p->pkey[i]);
    for (int i = 0; i < DS_PKI_CERT_COUNT; i++) {
        free(p->der[i]);
        free(p->pem[i]);
    }
    free(p->pck_chain_pem);
    ds_collateral_free(&p->col);
    ds_p256det_ctx_free(p->det);
    free(p->quote_cert_data);
    OPENSSL_cleanse(p, sizeof(*p));
    free(p);
}

const ds_pki_config *ds_pki_get_config(const ds_pki *p) {
    return &p->cfg;
}

const uint8_t *ds_pki_cert_der(const ds_pki *p, ds_pki_cert which, size_t *len) {
    if ((unsigned)which >= DS_PKI_CERT_COUNT) return NULL;
    if (len) *len = p->der_len[which];
    return p->der[which];
}

const char *ds_pki_cert_pem(const ds_pki *p, ds_pki_cert which) {
    return (unsigned)which < DS_PKI_CERT_COUNT ? p->pem[which] : NULL;
}

const uint8_t *ds_pki_cert_serial(const ds_pki *p, ds_pki_cert which) {
    return (unsigned)which < DS_PKI_CERT_COUNT ? p->serial[which] : NULL;
}

const uint8_t *ds_pki_root_der(const ds_pki *p, size_t *len) {
    return ds_pki_cert_der(p, DS_PKI_ROOT, len);
}

const char *ds_pki_root_pem(const ds_pki *p) {
    return p->pem[DS_PKI_ROOT];
}

const char *ds_pki_pck_chain_pem(const ds_pki *p) {
    return p->pck_chain_pem;
}

const ds_collateral *ds_pki_collateral(const ds_pki *p) {
    return &p->col;
}

ds_err ds_pki_collateral_json(const ds_pki *p, ds_buf *out) {
    return ds_collateral_to_json(&p->col, out);
}

void ds_pki_att_pub(const ds_pki *p, uint8_t xy[64]) {
    memcpy(xy, p->pub[DS_PKI_K_ATT], 64);
}

ds_err ds_pki_sign_tcb(const ds_pki *p, const uint8_t *msg, size_t len, uint8_t sig[64]) {
    return ds_p256det_sign_ctx(p->det, p->key[DS_PKI_K_TCB], msg, len, sig) == DS_OK
               ? DS_OK
               : DS_ERR_CRYPTO;
}

/* ---- quote signer ---- */

static void put16(uint8_t *b, uint16_t v) {
    b[0] = (uint8_t)v;
    b[1] = (uint8_t)(v >> 8);
}
static void put32(uint8_t *b, uint32_t v) {
    for (int i = 0; i < 4; i++) b[i] = (uint8_t)(v >> (8 * i));
}

static ds_err pki_sign(const ds_quote_signer *s, const uint8_t *msg, size_t len, uint8_t sig[64],
                       uint8_t att_pub[64]) {
    const ds_pki *p = s->ctx;
    memcpy(att_pub, p->pub[DS_PKI_K_ATT], 64);
    return ds_p256det_sign_ctx(p->det, p->key[DS_PKI_K_ATT], msg, len, sig) == DS_OK
               ? DS_OK
               : DS_ERR_CRYPTO;
}

static ds_err cert_data_for(const ds_pki *p, const uint8_t att_pub[64], ds_buf *out) {
    uint8_t qe_report[DS_QE_REPORT_LEN], qe_sig[64], hdr[6], u16[2];
    ds_qe_report_build(&p->cfg.qe, att_pub, p->cfg.qe_auth, sizeof p->cfg.qe_auth, qe_report);
    if (ds_p256det_sign_ctx(p->det, p->key[DS_PKI_K_PCK], qe_report, sizeof qe_report, qe_sig) !=
        DS_OK)
        return DS_ERR_CRYPTO;
    size_t chain_len = strlen(p->pck_chain_pem);
    size_t auth_len = sizeof p->cfg.qe_auth;
    size_t body = DS_QE_REPORT_LEN + 64 + 2 + auth_len + 6 + chain_len;
    put16(hdr, DS_CERT_TYPE_QE_REPORT);
    put32(hdr + 2, (uint32_t)body);
    ds_buf_append(out, hdr, 6);
    ds_buf_append(out, qe_report, sizeof qe_report);
    ds_buf_append(out, qe_sig, 64);
    put16(u16, (uint16_t)auth_len);
    ds_buf_append(out, u16, 2);
    ds_buf_append(out, p->cfg.qe_auth, auth_len);
    put16(hdr, DS_CERT_TYPE_PCK_CHAIN);
    put32(hdr + 2, (uint32_t)chain_len);
    ds_buf_append(out, hdr, 6);
    ds_buf_append(out, p->pck_chain_pem, chain_len);
    return out->oom ? DS_ERR_NOMEM : DS_OK;
}

static ds_err pki_cert_data(const ds_quote_signer *s, const uint8_t att_pub[64], ds_buf *out) {
    const ds_pki *p = s->ctx;
    if (p->quote_cert_data && !memcmp(att_pub, p->pub[DS_PKI_K_ATT], 64)) {
        ds_buf_append(out, p->quote_cert_data, p->quote_cert_data_len);
        return out->oom ? DS_ERR_NOMEM : DS_OK;
    }
    return cert_data_for(p, att_pub, out);
}

static ds_err build_quote_cert_data(ds_pki *p) {
    ds_buf b;
    ds_buf_init(&b);
    ds_err rc = cert_data_for(p, p->pub[DS_PKI_K_ATT], &b);
    if (rc == DS_OK) p->quote_cert_data = (uint8_t *)ds_buf_take(&b, &p->quote_cert_data_len);
    ds_buf_free(&b);
    return rc == DS_OK && !p->quote_cert_data ? DS_ERR_NOMEM : rc;
}

void ds_pki_quote_signer(ds_pki *p, ds_quote_signer *out) {
    out->sign = pki_sign;
    out->cert_data = pki_cert_data;
    out->ctx = p;
}

void ds_pki_quote_header(const ds_pki *p, ds_quote_header *h) {
    ds_quote_header_default(h);
    h->qe_svn = p->cfg.qe.isv_svn;
    h->pce_svn = p->cfg.pce_svn;
}

void ds_pki_td_report(const ds_pki *p, ds_td_report *r) {
    ds_td_report_default(r);
    memcpy(r->tee_tcb_svn, p->cfg.tee_tcb_svn, 16);
}

ds_err ds_pki_quote(ds_pki *p, const ds_td_report *report, ds_buf *out) {
    ds_quote_header h;
    ds_quote_signer s;
    if (!p || !report || !out) return DS_ERR_ARG;
    ds_pki_quote_header(p, &h);
    ds_pki_quote_signer(p, &s);
    return ds_quote_build(&h, report, &s, out);
}
