/* ds_qverify.h — a C verifier for Intel TDX v4 quotes (ECDSA P-256, QE report
 * certification data with an embedded PEM PCK chain), against a trusted root CA and
 * collateral in the shape of @phala/dcap-qvl.
 *
 * Steps (each failure adds one "step: why" reason; independent steps still run, so one
 * result lists every problem):
 *   quote              parses as v4 TDX, ECDSA-256 key, certification data type 6 / inner 5
 *   root, crl          the trusted root and both CRLs parse as DER
 *   tcb_info           JSON: id "TDX", version >= 3, issueDate <= now <= nextUpdate
 *   qe_identity        JSON: id "TD_QE", version 2 or 3, issueDate <= now <= nextUpdate
 *   tcb_info_chain     issuer chain verifies to the root at `now`, with both CRLs
 *   tcb_info_signature ECDSA by the chain's leaf over the exact tcb_info bytes
 *   qe_identity_chain, qe_identity_signature   likewise
 *   pck_crl_chain      the PCK CRL issuer chain (when given) verifies to the root
 *   pck_chain          the quote's PCK chain verifies to the root (validity, revocation)
 *   pck_extension      the SGX extension (OID 1.2.840.113741.1.13.1) parses
 *   qe_report_signature  QE report signed by the PCK leaf key
 *   qe_report_binding  QE report_data = SHA-256(attestation key ‖ QE auth data) ‖ 0^32
 *   qe_identity_policy mrsigner, isvprodid, miscselect/attributes under masks, no debug,
 *                      isvsvn → QE TCB status
 *   quote_signature    ECDSA by the attestation key over quote[0..632]
 *   fmspc, pce_id      PCK extension values equal the TCB info's
 *   tcb_level          first TCB level with sgx components, pcesvn and tdx components
 *                      (vs tee_tcb_svn) all <= the platform's → platform TCB status
 *   tdx_module         TD report mr_signer_seam / seam_attributes vs TCB info tdxModule
 *                      (when present)
 *   td_attributes      debug TD rejected, reserved bits clear, SEPT_VE_DISABLE set
 *   tcb_status         merged status (worse of platform and QE) is not Revoked/unknown
 *
 * Differences from dcap-qvl 0.3.9 (none of them reachable with the simulated PKI's own
 * quotes and collateral): CRL signatures and validity are checked (dcap-qvl only matches
 * serial numbers), certificate key usage / CA flags are checked by OpenSSL, pceId and
 * tdxModule are compared (as Intel's QVL does), and the QE report binding hashes the QE
 * auth data at its real length (dcap-qvl pads/truncates it to 32 bytes).
 */
#ifndef DS_QVERIFY_H
#define DS_QVERIFY_H

#include <stddef.h>
#include <stdint.h>

#include "ds_err.h"
#include "ds_json.h"
#include "ds_quote.h"

/* Collateral for one quote, as dcap-qvl's QuoteVerifier.verify takes it. All strings are
 * malloc'd and NUL-terminated; free with ds_collateral_free. */
typedef struct {
    char *pck_crl_issuer_chain;      /* PEM: PCK CA, root ("" allowed) */
    uint8_t *root_ca_crl;            /* DER */
    size_t root_ca_crl_len;
    uint8_t *pck_crl;                /* DER */
    size_t pck_crl_len;
    char *tcb_info_issuer_chain;     /* PEM: TCB signer, root */
    char *tcb_info;                  /* the exact JSON text that was signed */
    uint8_t tcb_info_signature[64];  /* raw r ‖ s */
    char *qe_identity_issuer_chain;  /* PEM: TCB signer, root */
    char *qe_identity;               /* the exact JSON text that was signed */
    uint8_t qe_identity_signature[64];
} ds_collateral;

void ds_collateral_free(ds_collateral *c);

/* Deep copy. Returns DS_OK or DS_ERR_NOMEM (dst is then empty). */
ds_err ds_collateral_copy(ds_collateral *dst, const ds_collateral *src);

/* Serialises c as the JSON object dcap-qvl takes (CRLs and signatures as hex strings,
 * tcb_info / qe_identity as JSON-escaped strings), appended to out. Returns DS_OK,
 * DS_ERR_ARG (NULL argument) or DS_ERR_NOMEM. */
ds_err ds_collateral_to_json(const ds_collateral *c, ds_buf *out);

/* Parses that JSON object. CRLs and signatures may be hex strings (optional 0x) or arrays
 * of byte values (as JSON.stringify writes dcap-qvl's getCollateral result). Returns
 * DS_OK, DS_ERR_ARG (NULL json/out), DS_ERR_NOMEM, or DS_ERR_PARSE with a one-line
 * message in err (capacity errcap, may be NULL); out is empty on error. */
ds_err ds_collateral_from_json(const char *json, size_t len, ds_collateral *out, char *err,
                               size_t errcap);

/* A root CA certificate given as DER or PEM (the first CERTIFICATE block) → malloc'd DER.
 * Returns DS_OK, DS_ERR_ARG (NULL argument), DS_ERR_PARSE (neither form) or
 * DS_ERR_NOMEM. */
ds_err ds_qverify_root_der(const uint8_t *in, size_t len, uint8_t **der, size_t *der_len);

#define DS_QV_STATUS_MAX 48

typedef struct {
    int ok;                              /* 1 only when every step held */
    char status[DS_QV_STATUS_MAX];       /* merged TCB status, "" when not determined */
    char platform_status[DS_QV_STATUS_MAX];
    char qe_status[DS_QV_STATUS_MAX];
    char **advisory_ids;                 /* of the matched levels, deduplicated */
    size_t n_advisory_ids;
    char **reasons;                      /* "step: why", in check order */
    size_t n_reasons;
    int have_quote;                      /* header/report below are valid */
    ds_quote_header header;
    ds_td_report report;
    int have_pck;                        /* PCK values below are valid */
    uint8_t ppid[16], fmspc[6], pce_id[2], cpu_svn[16];
    uint8_t sgx_components[16];
    uint16_t pce_svn;
    int oom;                             /* an allocation failed while recording */
} ds_qverify_result;

void ds_qverify_result_free(ds_qverify_result *r);

/* Verifies quote[0..quote_len) against the trusted root (DER) and collateral at time
 * `now` (Unix seconds). res is always filled (free it with ds_qverify_result_free).
 * Returns DS_OK when verified (res->ok == 1), DS_ERR_VERIFY when a step failed (see
 * res->reasons), DS_ERR_ARG for NULL arguments, DS_ERR_NOMEM on allocation failure. */
ds_err ds_qverify(const uint8_t *quote, size_t quote_len, const uint8_t *root_der,
                  size_t root_der_len, const ds_collateral *col, int64_t now,
                  ds_qverify_result *res);

/* ---- a reusable verification context ---------------------------------------------------
 *
 * ds_qverify checks the trusted root and the whole collateral (CRLs, TCB info, QE identity,
 * their issuer chains and signatures) on every call. A context remembers that work: the
 * first verification under a (root, collateral) pair checks the collateral once; while the
 * same bytes are given again and `now` stays strictly inside the interval where every
 * time-bound input of that check is valid (certificate validity, CRL thisUpdate/nextUpdate,
 * TCB info and QE identity issueDate/nextUpdate), later quotes reuse it and pay only their
 * own checks. A PCK certificate chain that verified is remembered the same way (keyed by
 * its exact bytes, a few chains at most). Outside that interval, or when the collateral did
 * not verify, every call does the full check again, so a context gives exactly the result
 * (ok, statuses, advisories, reasons in order) ds_qverify gives for the same inputs.
 *
 * A context is not thread-safe: use one per thread. */
typedef struct ds_qverify_ctx ds_qverify_ctx;

/* A new, empty context. Returns it, or NULL when out of memory. */
ds_qverify_ctx *ds_qverify_ctx_new(void);
void ds_qverify_ctx_free(ds_qverify_ctx *ctx);

/* ds_qverify through ctx: same arguments, same result and return values. The context
 * keeps its own copies of root_der and col. */
ds_err ds_qverify_ctx_verify(ds_qverify_ctx *ctx, const uint8_t *quote, size_t quote_len,
                             const uint8_t *root_der, size_t root_der_len,
                             const ds_collateral *col, int64_t now, ds_qverify_result *res);

/* What the context holds (for tests and metrics): whether its collateral check is
 * reusable, the open interval (from, until) in Unix seconds where it is, and how many
 * collateral checks and PCK chain checks it has run so far. */
typedef struct {
    int prepared;
    int64_t valid_from, valid_until;
    unsigned long collateral_checks, chain_checks;
} ds_qverify_ctx_stats;

void ds_qverify_ctx_get_stats(const ds_qverify_ctx *ctx, ds_qverify_ctx_stats *out);

/* The result as JSON: {"ok","status","platform_status","qe_status","advisory_ids",
 * "reasons", "header":{...}, "report":{...hex fields...}, "pck":{...}} (header/report/pck
 * only when known), appended to out. Returns DS_OK, DS_ERR_ARG or DS_ERR_NOMEM. */
ds_err ds_qverify_result_json(const ds_qverify_result *r, ds_buf *out);

/* Severity of a TCB status name as dcap-qvl orders them (UpToDate 0 ... Revoked 6),
 * 100 for anything else. */
int ds_tcb_status_severity(const char *status);

#endif
