/* ds_pki_collateral.c — TCB info (TDX, v3) and QE identity (TD_QE, v2) JSON, signed by
 * the TCB signer over their exact bytes, and the Intel PCS / PCCS v4 endpoint shapes.
 *
 * The JSON is compact, keys in Intel's order, hex in upper case (signatures in lower
 * case, as Intel sends them), so JSON.stringify(JSON.parse(x)) === x: clients that
 * re-serialise the tcbInfo / enclaveIdentity member (dcap-qvl's getCollateral does)
 * still verify the signature.
 *
 * TCB levels for a configured status S (platform values P = cpu_svn, pce_svn, tee_tcb_svn):
 *   S == UpToDate:  [P UpToDate, P with pcesvn-1 OutOfDate (when pce_svn > 0)]
 *   otherwise:      [P with pcesvn+1 UpToDate, P S]
 * so the platform always matches the level carrying S. QE identity levels likewise with
 * isvsvn. Non-UpToDate levels carry advisoryIDs ["DSTACK-SIM-SA-00001"].
 */
#include "ds_pki_internal.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/bio.h>
#include <openssl/pem.h>

#include "ds_hex.h"
#include "ds_p256det.h"

#define TCB_EVAL_NUMBER 17
#define SIM_ADVISORY "DSTACK-SIM-SA-00001"

static void hex_upper(ds_buf *b, const uint8_t *p, size_t n) {
    static const char D[] = "0123456789ABCDEF";
    for (size_t i = 0; i < n; i++) {
        char two[2] = {D[p[i] >> 4], D[p[i] & 15]};
        ds_buf_append(b, two, 2);
    }
}

static void json_hex_upper(ds_buf *b, const char *key, const uint8_t *p, size_t n) {
    ds_buf_printf(b, "\"%s\":\"", key);
    hex_upper(b, p, n);
    ds_buf_putc(b, '"');
}

static void svn_array(ds_buf *b, const char *key, const uint8_t svn[16]) {
    ds_buf_printf(b, "\"%s\":[", key);
    for (int i = 0; i < 16; i++) ds_buf_printf(b, "%s{\"svn\":%u}", i ? "," : "", svn[i]);
    ds_buf_putc(b, ']');
}

static void level_tail(ds_buf *b, const char *date, ds_tcb_status s) {
    ds_buf_printf(b, ",\"tcbDate\":\"%s\",\"tcbStatus\":\"%s\"", date, ds_tcb_status_name(s));
    if (s != DS_TCB_UP_TO_DATE) ds_buf_puts(b, ",\"advisoryIDs\":[\"" SIM_ADVISORY "\"]");
    ds_buf_putc(b, '}');
}

static void tcb_level(ds_buf *b, const ds_pki_config *c, unsigned pcesvn, const char *date,
                      ds_tcb_status s) {
    ds_buf_puts(b, "{\"tcb\":{");
    svn_array(b, "sgxtcbcomponents", c->cpu_svn);
    ds_buf_printf(b, ",\"pcesvn\":%u,", pcesvn);
    svn_array(b, "tdxtcbcomponents", c->tee_tcb_svn);
    ds_buf_putc(b, '}');
    level_tail(b, date, s);
}

static void dates(ds_buf *b, const ds_pki_config *c) {
    char a[21], z[21];
    ds_pki_iso8601(c->issue_date, a);
    ds_pki_iso8601(c->next_update, z);
    ds_buf_printf(b, "\"issueDate\":\"%s\",\"nextUpdate\":\"%s\",", a, z);
}

static void tcb_info_json(const ds_pki_config *c, ds_buf *b) {
    static const uint8_t ZERO48[48] = {0};
    static const uint8_t ZERO8[8] = {0};
    static const uint8_t FF8[8] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    ds_buf_puts(b, "{\"id\":\"TDX\",\"version\":3,");
    dates(b, c);
    json_hex_upper(b, "fmspc", c->fmspc, 6);
    ds_buf_putc(b, ',');
    json_hex_upper(b, "pceId", c->pce_id, 2);
    ds_buf_printf(b, ",\"tcbType\":0,\"tcbEvaluationDataNumber\":%d,\"tdxModule\":{",
                  TCB_EVAL_NUMBER);
    json_hex_upper(b, "mrsigner", ZERO48, 48);
    ds_buf_putc(b, ',');
    json_hex_upper(b, "attributes", ZERO8, 8);
    ds_buf_putc(b, ',');
    json_hex_upper(b, "attributesMask", FF8, 8);
    ds_buf_puts(b, "},\"tcbLevels\":[");
    if (c->tcb_status == DS_TCB_UP_TO_DATE) {
        tcb_level(b, c, c->pce_svn, "2024-11-13T00:00:00Z", DS_TCB_UP_TO_DATE);
        if (c->pce_svn > 0) {
            ds_buf_putc(b, ',');
            tcb_level(b, c, c->pce_svn - 1u, "2024-03-13T00:00:00Z", DS_TCB_OUT_OF_DATE);
        }
    } else {
        tcb_level(b, c, c->pce_svn + 1u, "2025-01-01T00:00:00Z", DS_TCB_UP_TO_DATE);
        ds_buf_putc(b, ',');
        tcb_level(b, c, c->pce_svn, "2024-11-13T00:00:00Z", c->tcb_status);
    }
    ds_buf_puts(b, "]}");
}

static void qe_level(ds_buf *b, unsigned isvsvn, const char *date, ds_tcb_status s) {
    ds_buf_printf(b, "{\"tcb\":{\"isvsvn\":%u}", isvsvn);
    level_tail(b, date, s);
}

static void qe_identity_json(const ds_pki_config *c, ds_buf *b) {
    static const uint8_t MISC_MASK[4] = {0xff, 0xff, 0xff, 0xff};
    static const uint8_t ATTR_MASK[16] = {0xfb, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    uint8_t misc[4];
    for (int i = 0; i < 4; i++) misc[i] = (uint8_t)(c->qe.misc_select >> (8 * i));
    ds_buf_puts(b, "{\"id\":\"TD_QE\",\"version\":2,");
    dates(b, c);
    ds_buf_printf(b, "\"tcbEvaluationDataNumber\":%d,", TCB_EVAL_NUMBER);
    json_hex_upper(b, "miscselect", misc, 4);
    ds_buf_putc(b, ',');
    json_hex_upper(b, "miscselectMask", MISC_MASK, 4);
    ds_buf_putc(b, ',');
    json_hex_upper(b, "attributes", c->qe.attributes, 16);
    ds_buf_putc(b, ',');
    json_hex_upper(b, "attributesMask", ATTR_MASK, 16);
    ds_buf_putc(b, ',');
    json_hex_upper(b, "mrsigner", c->qe.mr_signer, 32);
    ds_buf_printf(b, ",\"isvprodid\":%u,\"tcbLevels\":[", c->qe.isv_prod_id);
    if (c->qe_tcb_status == DS_TCB_UP_TO_DATE) {
        qe_level(b, c->qe.isv_svn, "2024-11-13T00:00:00Z", DS_TCB_UP_TO_DATE);
        if (c->qe.isv_svn > 0) {
            ds_buf_putc(b, ',');
            qe_level(b, c->qe.isv_svn - 1u, "2024-03-13T00:00:00Z", DS_TCB_OUT_OF_DATE);
        }
    } else {
        qe_level(b, c->qe.isv_svn + 1u, "2025-01-01T00:00:00Z", DS_TCB_UP_TO_DATE);
        ds_buf_putc(b, ',');
        qe_level(b, c->qe.isv_svn, "2024-11-13T00:00:00Z", c->qe_tcb_status);
    }
    ds_buf_puts(b, "]}");
}

static char *concat2(const char *a, const char *b) {
    size_t la = strlen(a), lb = strlen(b);
    char *s = malloc(la + lb + 1);
    if (s) {
        memcpy(s, a, la);
        memcpy(s + la, b, lb + 1);
    }
    return s;
}

ds_err ds_pki_build_collateral(ds_pki *p) {
    ds_collateral *col = &p->col;
    ds_buf b;
    ds_buf_init(&b);
    tcb_info_json(&p->cfg, &b);
    col->tcb_info = b.oom ? NULL : ds_buf_take(&b, NULL);
    ds_buf_free(&b);
    qe_identity_json(&p->cfg, &b);
    col->qe_identity = b.oom ? NULL : ds_buf_take(&b, NULL);
    ds_buf_free(&b);
    col->tcb_info_issuer_chain = concat2(p->pem[DS_PKI_TCB_SIGNER], p->pem[DS_PKI_ROOT]);
    col->qe_identity_issuer_chain = concat2(p->pem[DS_PKI_TCB_SIGNER], p->pem[DS_PKI_ROOT]);
    col->pck_crl_issuer_chain = concat2(p->pem[DS_PKI_PCK_CA], p->pem[DS_PKI_ROOT]);
    if (!col->tcb_info || !col->qe_identity || !col->tcb_info_issuer_chain ||
        !col->qe_identity_issuer_chain || !col->pck_crl_issuer_chain)
        return DS_ERR_NOMEM;
    if (ds_pki_sign_tcb(p, (const uint8_t *)col->tcb_info, strlen(col->tcb_info),
                        col->tcb_info_signature) != DS_OK ||
        ds_pki_sign_tcb(p, (const uint8_t *)col->qe_identity, strlen(col->qe_identity),
                        col->qe_identity_signature) != DS_OK)
        return DS_ERR_CRYPTO;
    return DS_OK;
}

/* ---- PCS shapes ---- */

void ds_pki_percent_encode(const char *s, ds_buf *out) {
    static const char D[] = "0123456789ABCDEF";
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
            strchr("-_.!~*'()", c)) {
            ds_buf_putc(out, (char)c);
        } else {
            char e[3] = {'%', D[c >> 4], D[c & 15]};
            ds_buf_append(out, e, 3);
        }
    }
}

static ds_err signed_body(ds_buf *body, const char *member, const char *json,
                          const uint8_t sig[64]) {
    ds_buf_printf(body, "{\"%s\":%s,\"signature\":\"", member, json);
    ds_buf_hex(body, sig, 64);
    ds_buf_puts(body, "\"}");
    return body->oom ? DS_ERR_NOMEM : DS_OK;
}

ds_err ds_pki_pcs_tcb(const ds_pki *p, ds_buf *body, ds_buf *issuer_chain) {
    if (issuer_chain) ds_buf_puts(issuer_chain, p->col.tcb_info_issuer_chain);
    if (issuer_chain && issuer_chain->oom) return DS_ERR_NOMEM;
    return signed_body(body, "tcbInfo", p->col.tcb_info, p->col.tcb_info_signature);
}

ds_err ds_pki_pcs_qe_identity(const ds_pki *p, ds_buf *body, ds_buf *issuer_chain) {
    if (issuer_chain) ds_buf_puts(issuer_chain, p->col.qe_identity_issuer_chain);
    if (issuer_chain && issuer_chain->oom) return DS_ERR_NOMEM;
    return signed_body(body, "enclaveIdentity", p->col.qe_identity, p->col.qe_identity_signature);
}

ds_err ds_pki_pcs_pckcrl(const ds_pki *p, int der, ds_buf *body, ds_buf *issuer_chain) {
    if (issuer_chain) ds_buf_puts(issuer_chain, p->col.pck_crl_issuer_chain);
    if (issuer_chain && issuer_chain->oom) return DS_ERR_NOMEM;
    if (der) {
        ds_buf_append(body, p->col.pck_crl, p->col.pck_crl_len);
        return body->oom ? DS_ERR_NOMEM : DS_OK;
    }
    BIO *bio = BIO_new(BIO_s_mem());
    char *data = NULL;
    long n;
    if (!bio || PEM_write_bio(bio, "X509 CRL", "", p->col.pck_crl, (long)p->col.pck_crl_len) <= 0 ||
        (n = BIO_get_mem_data(bio, &data)) <= 0) {
        BIO_free(bio);
        return DS_ERR_NOMEM;
    }
    ds_buf_append(body, data, (size_t)n);
    BIO_free(bio);
    return body->oom ? DS_ERR_NOMEM : DS_OK;
}

ds_err ds_pki_pcs_rootcacrl(const ds_pki *p, ds_buf *body_hex) {
    ds_buf_hex(body_hex, p->col.root_ca_crl, p->col.root_ca_crl_len);
    return body_hex->oom ? DS_ERR_NOMEM : DS_OK;
}

void ds_pki_http_free(ds_pki_http *r) {
    if (!r) return;
    free(r->body);
    free(r->header_value);
    memset(r, 0, sizeof(*r));
}

/* The value of query parameter `name` (not decoded) into out (capacity cap): 1 when
 * present and it fits, 0 otherwise. */
static int query_param(const char *query, const char *name, char *out, size_t cap) {
    size_t nl = strlen(name);
    for (const char *q = query; q && *q;) {
        const char *amp = strchr(q, '&');
        size_t len = amp ? (size_t)(amp - q) : strlen(q);
        if (len > nl && strncmp(q, name, nl) == 0 && q[nl] == '=') {
            size_t vl = len - nl - 1;
            if (vl >= cap) return 0;
            memcpy(out, q + nl + 1, vl);
            out[vl] = '\0';
            return 1;
        }
        q = amp ? amp + 1 : NULL;
    }
    return 0;
}

static ds_err set_text(ds_pki_http *r, int status, const char *msg) {
    r->status = status;
    r->content_type = "text/plain";
    r->body = strdup(msg);
    r->body_len = r->body ? strlen(r->body) : 0;
    return r->body ? DS_OK : DS_ERR_NOMEM;
}

static ds_err finish(ds_pki_http *r, const char *ctype, ds_buf *body, const char *hname,
                     ds_buf *chain) {
    ds_buf enc;
    ds_buf_init(&enc);
    if (hname) ds_pki_percent_encode(chain->data ? chain->data : "", &enc);
    if (body->oom || enc.oom) {
        ds_buf_free(&enc);
        return DS_ERR_NOMEM;
    }
    r->status = 200;
    r->content_type = ctype;
    r->body_len = body->len;
    r->body = body->data ? ds_buf_take(body, NULL) : strdup("");
    r->header_name = hname;
    r->header_value = hname ? ds_buf_take(&enc, NULL) : NULL;
    ds_buf_free(&enc);
    if (!r->body || (hname && !r->header_value)) return DS_ERR_NOMEM;
    return DS_OK;
}

ds_err ds_pki_pcs_handle(const ds_pki *p, const char *target, ds_pki_http *resp) {
    if (!resp) return DS_ERR_ARG;
    memset(resp, 0, sizeof(*resp));
    if (!p || !target) return DS_ERR_ARG;
    const char *qm = strchr(target, '?');
    size_t plen = qm ? (size_t)(qm - target) : strlen(target);
    const char *query = qm ? qm + 1 : "";
    char val[64];
    ds_buf body, chain;
    ds_buf_init(&body);
    ds_buf_init(&chain);
    ds_err rc;
#define PATH_IS(s) (plen == sizeof(s) - 1 && strncmp(target, s, plen) == 0)
    if (PATH_IS("/sgx/certification/v4/rootcacrl")) {
        rc = ds_pki_pcs_rootcacrl(p, &body);
        if (rc == DS_OK) rc = finish(resp, "text/plain", &body, NULL, NULL);
    } else if (PATH_IS("/sgx/certification/v4/pckcrl")) {
        char enc[16];
        int have_enc = query_param(query, "encoding", enc, sizeof enc);
        int der = have_enc && strcasecmp(enc, "der") == 0;
        if (have_enc && !der && strcasecmp(enc, "pem") != 0) {
            rc = set_text(resp, 400, "encoding must be pem or der");
        } else if (!query_param(query, "ca", val, sizeof val) ||
                   (strcasecmp(val, "platform") && strcasecmp(val, "processor"))) {
            rc = set_text(resp, 400, "ca must be platform or processor");
        } else {
            rc = ds_pki_pcs_pckcrl(p, der, &body, &chain);
            if (rc == DS_OK)
                rc = finish(resp, der ? "application/pkix-crl" : "application/x-pem-file", &body,
                            "SGX-PCK-CRL-Issuer-Chain", &chain);
        }
    } else if (PATH_IS("/tdx/certification/v4/tcb")) {
        uint8_t fmspc[6];
        if (!query_param(query, "fmspc", val, sizeof val) ||
            ds_hex_decode_exact(val, strlen(val), fmspc, 6) != DS_OK) {
            rc = set_text(resp, 400, "fmspc must be 12 hex digits");
        } else if (memcmp(fmspc, p->cfg.fmspc, 6) != 0) {
            rc = set_text(resp, 404, "no TCB info for this fmspc");
        } else {
            rc = ds_pki_pcs_tcb(p, &body, &chain);
            if (rc == DS_OK)
                rc = finish(resp, "application/json", &body, "TCB-Info-Issuer-Chain", &chain);
        }
    } else if (PATH_IS("/tdx/certification/v4/qe/identity")) {
        rc = ds_pki_pcs_qe_identity(p, &body, &chain);
        if (rc == DS_OK)
            rc = finish(resp, "application/json", &body, "SGX-Enclave-Identity-Issuer-Chain",
                        &chain);
    } else {
        rc = set_text(resp, 404, "not found");
    }
#undef PATH_IS
    ds_buf_free(&body);
    ds_buf_free(&chain);
    if (rc != DS_OK) ds_pki_http_free(resp);
    return rc;
}
