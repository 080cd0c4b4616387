/* ds_quote.c — TDX v4 quote serialisation, parsing, and the development signer.
 *
 * The byte layout is the single source of truth here: ds_quote_serialize_signed writes
 * the 632 signed bytes field by field, ds_quote_parse reads them back, and ds_quote_build
 * appends the signature section produced by a ds_quote_signer.
 */
#include "ds_quote.h"

#include <stdlib.h>
#include <string.h>

#include "ds_hash.h"
#include "ds_p256.h"

static const uint8_t INTEL_QE_VENDOR_ID[16] = {0x93, 0x9a, 0x72, 0x33, 0xf7, 0x9c, 0x4c, 0xa9,
                                               0x94, 0x0a, 0x0d, 0xb3, 0x95, 0x7f, 0x06, 0x07};

static void put16(uint8_t *p, uint16_t v) {
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}
static void put32(uint8_t *p, uint32_t v) {
    for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i));
}
static uint16_t get16(const uint8_t *p) {
    return (uint16_t)(p[0] | (p[1] << 8));
}
static uint32_t get32(const uint8_t *p) {
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

void ds_quote_header_default(ds_quote_header *h) {
    memset(h, 0, sizeof(*h));
    h->version = 4;
    h->att_key_type = 2;
    h->tee_type = 0x81;
    memcpy(h->qe_vendor_id, INTEL_QE_VENDOR_ID, 16);
}

void ds_td_report_default(ds_td_report *r) {
    memset(r, 0, sizeof(*r));
    r->td_attributes[3] = 0x10;
    static const uint8_t xfam[8] = {0xe7, 0x02, 0x06, 0x00, 0x00, 0x00, 0x00, 0x00};
    memcpy(r->xfam, xfam, 8);
}

void ds_mr_config_id_from_compose(const uint8_t compose_hash[32], uint8_t out[48]) {
    memset(out, 0, 48);
    out[0] = 0x01;
    memcpy(out + 1, compose_hash, 32);
}

/* The TD report fields in wire order, for a table-driven (de)serialiser. */
#define TD_FIELDS(X)                                                                          \
    X(tee_tcb_svn) X(mr_seam) X(mr_signer_seam) X(seam_attributes) X(td_attributes) X(xfam)  \
    X(mr_td) X(mr_config_id) X(mr_owner) X(mr_owner_config) X(rt_mr) X(report_data)

void ds_quote_serialize_signed(const ds_quote_header *h, const ds_td_report *r,
                               uint8_t out[DS_QUOTE_SIGNED_LEN]) {
    put16(out, h->version);
    put16(out + 2, h->att_key_type);
    put32(out + 4, h->tee_type);
    put16(out + 8, h->qe_svn);
    put16(out + 10, h->pce_svn);
    memcpy(out + 12, h->qe_vendor_id, 16);
    memcpy(out + 28, h->user_data, 20);
    uint8_t *p = out + DS_QUOTE_HEADER_LEN;
#define W(f) memcpy(p, r->f, sizeof(r->f)); p += sizeof(r->f);
    TD_FIELDS(W)
#undef W
}

static void json_hex_member(ds_buf *b, const char *k, const uint8_t *p, size_t n, int comma) {
    ds_buf_printf(b, "%s\"%s\":", comma ? "," : "", k);
    ds_buf_json_hex(b, p, n);
}

void ds_quote_header_json(ds_buf *out, const ds_quote_header *h) {
    ds_buf_printf(out,
                  "\"version\":%u,\"att_key_type\":%u,\"tee_type\":%u,\"qe_svn\":%u,"
                  "\"pce_svn\":%u",
                  h->version, h->att_key_type, (unsigned)h->tee_type, h->qe_svn, h->pce_svn);
    json_hex_member(out, "qe_vendor_id", h->qe_vendor_id, 16, 1);
    json_hex_member(out, "user_data", h->user_data, 20, 1);
}

void ds_td_report_json(ds_buf *out, const ds_td_report *r) {
    json_hex_member(out, "tee_tcb_svn", r->tee_tcb_svn, 16, 0);
    json_hex_member(out, "mr_seam", r->mr_seam, 48, 1);
    json_hex_member(out, "mr_signer_seam", r->mr_signer_seam, 48, 1);
    json_hex_member(out, "seam_attributes", r->seam_attributes, 8, 1);
    json_hex_member(out, "td_attributes", r->td_attributes, 8, 1);
    json_hex_member(out, "xfam", r->xfam, 8, 1);
    json_hex_member(out, "mr_td", r->mr_td, 48, 1);
    json_hex_member(out, "mr_config_id", r->mr_config_id, 48, 1);
    json_hex_member(out, "mr_owner", r->mr_owner, 48, 1);
    json_hex_member(out, "mr_owner_config", r->mr_owner_config, 48, 1);
    static const char *const RTMR[4] = {"rt_mr0", "rt_mr1", "rt_mr2", "rt_mr3"};
    for (int i = 0; i < 4; i++)
        json_hex_member(out, RTMR[i], r->rt_mr[i], 48, 1);
}

static void parse_signed(const uint8_t *in, ds_quote_header *h, ds_td_report *r) {
    h->version = get16(in);
    h->att_key_type = get16(in + 2);
    h->tee_type = get32(in + 4);
    h->qe_svn = get16(in + 8);
    h->pce_svn = get16(in + 10);
    memcpy(h->qe_vendor_id, in + 12, 16);
    memcpy(h->user_data, in + 28, 20);
    const uint8_t *p = in + DS_QUOTE_HEADER_LEN;
#define R(f) memcpy(r->f, p, sizeof(r->f)); p += sizeof(r->f);
    TD_FIELDS(R)
#undef R
}

ds_err ds_quote_build(const ds_quote_header *h, const ds_td_report *r,
                      const ds_quote_signer *signer, ds_buf *out) {
    uint8_t signed_part[DS_QUOTE_SIGNED_LEN];
    uint8_t sig[64], att_pub[64];
    ds_quote_serialize_signed(h, r, signed_part);
    ds_err rc = signer->sign(signer, signed_part, sizeof signed_part, sig, att_pub);
    if (rc) return rc;
    ds_buf cert;
    ds_buf_init(&cert);
    rc = signer->cert_data(signer, att_pub, &cert);
    if (rc == DS_OK && cert.oom) rc = DS_ERR_NOMEM;
    if (rc) {
        ds_buf_free(&cert);
        return rc;
    }
    uint8_t len4[4];
    put32(len4, (uint32_t)(128 + cert.len));
    ds_buf_reserve(out, DS_QUOTE_SIGNED_LEN + 4 + 128 + cert.len);
    ds_buf_append(out, signed_part, sizeof signed_part);
    ds_buf_append(out, len4, 4);
    ds_buf_append(out, sig, 64);
    ds_buf_append(out, att_pub, 64);
    ds_buf_append(out, cert.data, cert.len);
    ds_buf_free(&cert);
    return out->oom ? DS_ERR_NOMEM : DS_OK;
}

ds_err ds_quote_parse(const uint8_t *buf, size_t len, ds_quote *q) {
    memset(q, 0, sizeof(*q));
    if (!buf || len < DS_QUOTE_SIGNED_LEN + 4) return DS_ERR_PARSE;
    parse_signed(buf, &q->header, &q->report);
    if (q->header.version != 4 || q->header.tee_type != 0x81) return DS_ERR_PARSE;
    uint32_t auth_len = get32(buf + DS_QUOTE_SIGNED_LEN);
    const uint8_t *a = buf + DS_QUOTE_SIGNED_LEN + 4;
    if (auth_len > len - DS_QUOTE_SIGNED_LEN - 4 || auth_len < 64 + 64 + 6) return DS_ERR_PARSE;
    const uint8_t *end = a + auth_len;
    memcpy(q->signature, a, 64);
    memcpy(q->att_pub, a + 64, 64);
    a += 128;
    q->cert_type = get16(a);
    uint32_t cl = get32(a + 2);
    a += 6;
    if (cl > (size_t)(end - a)) return DS_ERR_PARSE;
    q->cert_data = a;
    q->cert_data_len = cl;
    if (q->cert_type == DS_CERT_TYPE_QE_REPORT) {
        const uint8_t *c = a, *cend = a + cl;
        if ((size_t)(cend - c) < DS_QE_REPORT_LEN + 64 + 2) return DS_ERR_PARSE;
        q->qe_report = c;
        q->qe_report_sig = c + DS_QE_REPORT_LEN;
        c += DS_QE_REPORT_LEN + 64;
        q->qe_auth_len = get16(c);
        c += 2;
        if (q->qe_auth_len > (size_t)(cend - c)) return DS_ERR_PARSE;
        q->qe_auth_data = c;
        c += q->qe_auth_len;
        if ((size_t)(cend - c) < 6) return DS_ERR_PARSE;
        q->inner_cert_type = get16(c);
        uint32_t il = get32(c + 2);
        c += 6;
        if (il > (size_t)(cend - c)) return DS_ERR_PARSE;
        q->inner_cert = c;
        q->inner_cert_len = il;
    }
    return DS_OK;
}

ds_err ds_quote_verify_att_sig(const uint8_t *buf, size_t len) {
    ds_quote q;
    if (ds_quote_parse(buf, len, &q) != DS_OK) return DS_ERR_PARSE;
    ds_err rc = ds_p256_verify(q.att_pub, buf, DS_QUOTE_SIGNED_LEN, q.signature);
    return rc == DS_OK ? DS_OK : DS_ERR_VERIFY;
}

void ds_qe_report_build(const ds_qe_identity_fields *f, const uint8_t att_pub[64],
                        const uint8_t *auth, size_t auth_len, uint8_t out[DS_QE_REPORT_LEN]) {
    memset(out, 0, DS_QE_REPORT_LEN);
    memcpy(out, f->cpu_svn, 16);
    put32(out + 16, f->misc_select);
    memcpy(out + 48, f->attributes, 16);
    memcpy(out + 64, f->mr_enclave, 32);
    memcpy(out + 128, f->mr_signer, 32);
    put16(out + 256, f->isv_prod_id);
    put16(out + 258, f->isv_svn);
    uint8_t *buf = malloc(64 + auth_len);
    if (buf) {
        memcpy(buf, att_pub, 64);
        if (auth_len) memcpy(buf + 64, auth, auth_len);
        ds_sha256(buf, 64 + auth_len, out + 320);
        free(buf);
    }
}

/* ---- development signer ---- */

static ds_err dev_sign(const ds_quote_signer *s, const uint8_t *msg, size_t len, uint8_t sig[64],
                       uint8_t att_pub[64]) {
    const ds_quote_dev_signer *d = s->ctx;
    memcpy(att_pub, d->att_pub, 64);
    return ds_p256_sign(d->att_key, msg, len, sig);
}

static ds_err dev_cert_data(const ds_quote_signer *s, const uint8_t att_pub[64], ds_buf *out) {
    const ds_quote_dev_signer *d = s->ctx;
    uint8_t qe_report[DS_QE_REPORT_LEN], qe_sig[64], hdr[6], u16[2];
    ds_qe_report_build(&d->qe, att_pub, d->qe_auth, d->qe_auth_len, qe_report);
    ds_err rc = ds_p256_sign(d->pck_key, qe_report, sizeof qe_report, qe_sig);
    if (rc) return rc;
    size_t chain_len = d->pck_chain_pem ? strlen(d->pck_chain_pem) : 0;
    size_t body = DS_QE_REPORT_LEN + 64 + 2 + d->qe_auth_len + 6 + chain_len;
    put16(hdr, DS_CERT_TYPE_QE_REPORT);
    put32(hdr + 2, (uint32_t)body);
    ds_buf_append(out, hdr, 6);
    ds_buf_append(out, qe_report, sizeof qe_report);
    ds_buf_append(out, qe_sig, 64);
    put16(u16, (uint16_t)d->qe_auth_len);
    ds_buf_append(out, u16, 2);
    ds_buf_append(out, d->qe_auth, d->qe_auth_len);
    put16(hdr, DS_CERT_TYPE_PCK_CHAIN);
    put32(hdr + 2, (uint32_t)chain_len);
    ds_buf_append(out, hdr, 6);
    if (chain_len) ds_buf_append(out, d->pck_chain_pem, chain_len);
    return out->oom ? DS_ERR_NOMEM : DS_OK;
}

ds_err ds_quote_dev_signer_init(ds_quote_dev_signer *d, const uint8_t seed[32]) {
    /* Intel's production QE identity values (public), so a later fake PKI can reuse them. */
    static const uint8_t QE_MRSIGNER[32] = {
        0x8c, 0x4f, 0x57, 0x75, 0xd7, 0x96, 0x50, 0x3e, 0x96, 0x13, 0x7f, 0x77, 0xc6, 0x8a, 0x82, 0x9a,
        0x00, 0x56, 0xac, 0x8d, 0xed, 0x70, 0x14, 0x0b, 0x08, 0x1b, 0x09, 0x44, 0x90, 0xc5, 0x7b, 0xff};
    uint8_t k[32];
    memset(d, 0, sizeof(*d));
    if (ds_p256_scalar_from_seed(seed, 32, "dstack-sim quote attestation key", k) != DS_OK ||
        !(d->att_key = ds_p256_from_scalar(k)) || ds_p256_pub_xy(d->att_key, d->att_pub) != DS_OK)
        goto fail;
    if (ds_p256_scalar_from_seed(seed, 32, "dstack-sim quote pck key", k) != DS_OK ||
        !(d->pck_key = ds_p256_from_scalar(k)))
        goto fail;
    memset(k, 0, sizeof k);
    d->qe.attributes[0] = 0x11;
    memcpy(d->qe.mr_signer, QE_MRSIGNER, 32);
    d->qe.isv_prod_id = 2; /* TD_QE */
    d->qe.isv_svn = 8;
    for (int i = 0; i < 32; i++) d->qe_auth[i] = (uint8_t)i;
    d->qe_auth_len = 32;
    d->pck_chain_pem = calloc(1, 1);
    if (!d->pck_chain_pem) goto fail;
    return DS_OK;
fail:
    memset(k, 0, sizeof k);
    ds_quote_dev_signer_free(d);
    return DS_ERR_CRYPTO;
}

ds_err ds_quote_dev_signer_set_chain(ds_quote_dev_signer *d, const char *pem) {
    char *p = strdup(pem ? pem : "");
    if (!p) return DS_ERR_NOMEM;
    free(d->pck_chain_pem);
    d->pck_chain_pem = p;
    return DS_OK;
}

void ds_quote_dev_signer_free(ds_quote_dev_signer *d) {
    EVP_PKEY_free(d->att_key);
    EVP_PKEY_free(d->pck_key);
    free(d->pck_chain_pem);
    memset(d, 0, sizeof(*d));
}

void ds_quote_dev_signer_bind(ds_quote_dev_signer *d, ds_quote_signer *out) {
    out->sign = dev_sign;
    out->cert_data = dev_cert_data;
    out->ctx = d;
}
