/* ds_qverify_internal.h — pieces of the quote verifier shared by ds_qverify.c (result),
 * ds_qverify_ctx.c (flow, reuse, PEM chains), ds_qverify_x509.c (path validation) and
 * ds_qverify_tcb.c (PCK extension, TCB info, QE identity). Not part of the public API. */
#ifndef DS_QVERIFY_INTERNAL_H
#define DS_QVERIFY_INTERNAL_H

#include <cjson/cJSON.h>
#include <openssl/x509.h>

#include "ds_qverify.h"

/* Records a failed step: appends "step: <formatted>" to r->reasons. */
void qv_fail(ds_qverify_result *r, const char *step, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Appends an advisory id unless already present. */
void qv_add_advisory(ds_qverify_result *r, const char *id);

/* ---- ds_qverify_x509.c ---- */

/* Verifies certs[0] up to the trusted root at time now, with the CRLs (entries may be
 * NULL), checking revocation of every certificate. leaf_must_be_ee: fail when certs[0] is
 * a CA (dcap-qvl's CaUsedAsEndEntity). On failure records a reason under `step` and
 * returns 0; returns 1 when the chain holds. */
int qv_verify_chain(ds_qverify_result *r, const char *step, STACK_OF(X509) *certs, X509 *root,
                    X509_CRL *const crls[2], int64_t now, int leaf_must_be_ee);

/* The P-256 public key x ‖ y of a certificate. Returns 1, or 0 (not a P-256 key). */
int qv_cert_pub(X509 *cert, uint8_t xy[64]);

/* ---- ds_qverify_tcb.c ---- */

/* Parses the SGX extension of the PCK leaf into r->ppid, fmspc, pce_id, cpu_svn,
 * sgx_components, pce_svn (sets r->have_pck). Returns 1, or 0 with a reason recorded. */
int qv_pck_extension(ds_qverify_result *r, X509 *leaf);

/* "YYYY-MM-DDTHH:MM:SS[.fff]Z" → Unix seconds. Returns 1, or 0 when malformed. */
int qv_parse_date(const char *s, int64_t *out);

/* Checks the TCB info JSON (id TDX, version >= 3, dates vs now); returns the parsed tree
 * (caller frees) or NULL with a reason recorded under "tcb_info". */
cJSON *qv_tcb_info_parse(ds_qverify_result *r, const char *json, int64_t now);
/* Same for the QE identity (id TD_QE, version 2 or 3) under "qe_identity". */
cJSON *qv_qe_identity_parse(ds_qverify_result *r, const char *json, int64_t now);

/* QE report (384 bytes) against the QE identity; sets r->qe_status on success.
 * Returns 1, or 0 with reasons recorded under "qe_identity_policy". */
int qv_qe_identity_policy(ds_qverify_result *r, const cJSON *qeid, const uint8_t *qe_report);

/* fmspc / pceId comparison, TCB level matching (sets r->platform_status and advisories)
 * and the tdxModule check, against the PCK values in r and the TD report. Returns 1 when
 * all held. */
int qv_tcb_match(ds_qverify_result *r, const cJSON *tcb, const ds_td_report *report);

#endif
