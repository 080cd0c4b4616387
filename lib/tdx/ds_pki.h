/* ds_pki.h — a simulated Intel SGX/TDX DCAP PKI, deterministic from a 32-byte seed, so
 * that simulator quotes verify with real verifiers (dcap-qvl, ds_qverify) given its root.
 *
 * From the seed (HKDF, see docs/pki-and-quotes.md) come five P-256 keys — root CA, PCK
 * Platform CA, PCK leaf, TCB signer, quote attestation key — the certificate serial
 * numbers, the PPID and the platform instance id. Everything is signed with RFC 6979
 * deterministic ECDSA (ds_p256det), so one seed and one configuration always give the
 * same bytes: certificates, CRLs, collateral JSON and signatures, and quotes.
 *
 *   root CA  "Intel SGX Root CA"          O=dstack-simulator fake Intel, self-signed
 *   ├── PCK CA  "Intel SGX PCK Platform CA"
 *   │    └── PCK leaf "Intel SGX PCK Certificate" (SGX extension: PPID, TCB, PCE-ID,
 *   │         FMSPC, SGX type, platform instance id, configuration) — signs QE reports
 *   └── TCB signer "Intel SGX TCB Signing" — signs TCB info and QE identity
 *   CRLs: root CA CRL (by the root), PCK CRL (by the PCK CA)
 *
 * Validity (defaults, fixed so tests never rot): certificates notBefore
 * 2025-01-01T00:00:00Z, notAfter 2049-12-31T23:59:59Z; CRLs thisUpdate / nextUpdate and
 * TCB info / QE identity issueDate / nextUpdate the same two instants. Each window is
 * configurable on its own (to test expiry of one piece).
 *
 * Usage (simulator):
 *   ds_pki_config cfg; ds_pki_config_default(&cfg, seed);  cfg.tcb_status = ...;
 *   ds_pki *pki; ds_pki_new(&cfg, &pki);
 *   ds_quote_signer s; ds_pki_quote_signer(pki, &s);  ds_quote_build(&h, &r, &s, &out);
 *   ds_pki_http resp; ds_pki_pcs_handle(pki, "/tdx/certification/v4/tcb?fmspc=...", &resp);
 *   ds_pki_free(pki);
 * A ds_pki is immutable after ds_pki_new and may be shared between threads.
 */
#ifndef DS_PKI_H
#define DS_PKI_H

#include <stddef.h>
#include <stdint.h>

#include "ds_err.h"
#include "ds_json.h"
#include "ds_qverify.h"
#include "ds_quote.h"

#define DS_PKI_NOT_BEFORE 1735689600LL  /* 2025-01-01T00:00:00Z */
#define DS_PKI_NOT_AFTER 2524607999LL   /* 2049-12-31T23:59:59Z */
#define DS_PKI_MAX_REVOKED 8

/* TCB status values of Intel's TCB info / QE identity, in dcap-qvl's severity order. */
typedef enum {
    DS_TCB_UP_TO_DATE,
    DS_TCB_SW_HARDENING_NEEDED,
    DS_TCB_CONFIGURATION_NEEDED,
    DS_TCB_CONFIGURATION_AND_SW_HARDENING_NEEDED,
    DS_TCB_OUT_OF_DATE,
    DS_TCB_OUT_OF_DATE_CONFIGURATION_NEEDED,
    DS_TCB_REVOKED,
    DS_TCB_STATUS_COUNT
} ds_tcb_status;

/* Intel's name ("UpToDate", "SWHardeningNeeded", ...); NULL for an invalid value. */
const char *ds_tcb_status_name(ds_tcb_status s);
/* Parses Intel's name or the UPPER_SNAKE form ("OUT_OF_DATE", "SW_HARDENING_NEEDED"),
 * case-insensitively. Returns DS_OK or DS_ERR_ARG. */
ds_err ds_tcb_status_parse(const char *name, ds_tcb_status *out);

/* Certificates of the PKI. */
typedef enum {
    DS_PKI_ROOT,
    DS_PKI_PCK_CA,
    DS_PKI_PCK,
    DS_PKI_TCB_SIGNER,
    DS_PKI_CERT_COUNT
} ds_pki_cert;

/* Bits of ds_pki_config.revoke. */
#define DS_PKI_REVOKE_PCK (1u << 0)        /* PCK leaf serial in the PCK CRL */
#define DS_PKI_REVOKE_PCK_CA (1u << 1)     /* PCK CA serial in the root CA CRL */
#define DS_PKI_REVOKE_TCB_SIGNER (1u << 2) /* TCB signer serial in the root CA CRL */

typedef struct {
    uint8_t seed[32];
    ds_tcb_status tcb_status;      /* status of the platform's TCB level (UpToDate) */
    ds_tcb_status qe_tcb_status;   /* status of the QE's identity level (UpToDate) */
    int64_t not_before, not_after; /* certificates (DS_PKI_NOT_BEFORE/AFTER) */
    int64_t crl_this_update, crl_next_update; /* both CRLs (same defaults) */
    int64_t issue_date, next_update; /* TCB info and QE identity (same defaults) */
    unsigned revoke;               /* DS_PKI_REVOKE_* bits (0) */
    /* Extra serial numbers (big-endian, 1..20 bytes) listed in the PCK CRL. */
    uint8_t extra_revoked[DS_PKI_MAX_REVOKED][20];
    size_t extra_revoked_len[DS_PKI_MAX_REVOKED];
    size_t n_extra_revoked;
    /* Platform TCB, carried by the PCK certificate and matched by the TCB info. */
    uint8_t fmspc[6];              /* 00806F050000 */
    uint8_t pce_id[2];             /* 0000 */
    uint8_t cpu_svn[16];           /* = SGX TCB components 1..16: 02 02 02 02 03 01 00 03 0.. */
    uint16_t pce_svn;              /* 13 */
    uint8_t tee_tcb_svn[16];       /* TDX components the TCB info requires (all 0, as the
                                      simulator's TD report carries) */
    /* QE report fields; the QE identity JSON is derived from them. Defaults: attributes
     * byte 0 = 0x11, mrsigner DC9E2A7C… (Intel's TD_QE signer), isvprodid 2, isvsvn 4. */
    ds_qe_identity_fields qe;
    uint8_t qe_auth[32];           /* QE auth data: bytes 0..31 */
} ds_pki_config;

/* Fills cfg with the defaults above for seed. */
void ds_pki_config_default(ds_pki_config *cfg, const uint8_t seed[32]);

typedef struct ds_pki ds_pki;

/* Builds the whole PKI and its collateral from cfg (copied). Returns DS_OK, DS_ERR_ARG
 * (NULL or invalid configuration), DS_ERR_CRYPTO, or DS_ERR_NOMEM; *out is NULL on error. */
ds_err ds_pki_new(const ds_pki_config *cfg, ds_pki **out);
void ds_pki_free(ds_pki *p);

const ds_pki_config *ds_pki_get_config(const ds_pki *p);

/* DER / PEM of a certificate (owned by p). NULL for an invalid `which` (*len untouched). */
const uint8_t *ds_pki_cert_der(const ds_pki *p, ds_pki_cert which, size_t *len);
const char *ds_pki_cert_pem(const ds_pki *p, ds_pki_cert which);
/* 16-byte serial number of a certificate (owned by p); NULL for an invalid `which`. */
const uint8_t *ds_pki_cert_serial(const ds_pki *p, ds_pki_cert which);
/* The root CA, the usual trust anchor: DER and PEM (owned by p). */
const uint8_t *ds_pki_root_der(const ds_pki *p, size_t *len);
const char *ds_pki_root_pem(const ds_pki *p);
/* PEM chain carried in quotes: PCK leaf, PCK CA, root (owned by p). */
const char *ds_pki_pck_chain_pem(const ds_pki *p);
/* The collateral for this PKI's quotes (owned by p). */
const ds_collateral *ds_pki_collateral(const ds_pki *p);
/* The collateral as dcap-qvl JSON (appended). Returns DS_OK or DS_ERR_NOMEM. */
ds_err ds_pki_collateral_json(const ds_pki *p, ds_buf *out);
/* The quote attestation public key x ‖ y. */
void ds_pki_att_pub(const ds_pki *p, uint8_t xy[64]);

/* Signs arbitrary bytes with the TCB signing key (deterministic ECDSA over SHA-256, raw
 * r ‖ s): for custom TCB info / QE identity JSON in tests. Returns DS_OK or
 * DS_ERR_CRYPTO. */
ds_err ds_pki_sign_tcb(const ds_pki *p, const uint8_t *msg, size_t len, uint8_t sig[64]);

/* A ds_quote_signer backed by p (p must outlive it): quotes signed by the attestation key,
 * certification data type 6 with a QE report (cfg.qe fields, report_data bound to the
 * attestation key given to cert_data) signed by the PCK key, cfg.qe_auth as auth data,
 * and the type-5 PEM chain of ds_pki_pck_chain_pem. */
void ds_pki_quote_signer(ds_pki *p, ds_quote_signer *out);

/* Header and TD report defaults consistent with the PKI: ds_quote_header_default with
 * qe_svn = qe.isv_svn and pce_svn = cfg.pce_svn; ds_td_report_default with tee_tcb_svn =
 * cfg.tee_tcb_svn. */
void ds_pki_quote_header(const ds_pki *p, ds_quote_header *h);
void ds_pki_td_report(const ds_pki *p, ds_td_report *r);

/* Builds and signs a quote for report (header from ds_pki_quote_header), appended to out.
 * Returns DS_OK, DS_ERR_ARG (NULL argument), DS_ERR_CRYPTO or DS_ERR_NOMEM. */
ds_err ds_pki_quote(ds_pki *p, const ds_td_report *report, ds_buf *out);

/* ---- Intel PCS / PCCS v4 endpoint shapes ----
 * ds_pki_pcs_handle answers a request target (path and query) the way a PCCS does:
 *   /sgx/certification/v4/rootcacrl           200, hex of the root CA CRL DER (as PCCS)
 *   /sgx/certification/v4/pckcrl?ca=platform|processor[&encoding=pem|der]
 *        200, the PCK CRL (PEM unless encoding=der, as Intel's PCS), header
 *        SGX-PCK-CRL-Issuer-Chain. The PKI has one PCK CA (a Platform CA); both ca values
 *        return its CRL, because dcap-qvl 0.3.9's getCollateral always asks for processor.
 *   /tdx/certification/v4/tcb?fmspc=<hex>     200, {"tcbInfo":…,"signature":"<hex>"},
 *        header TCB-Info-Issuer-Chain
 *   /tdx/certification/v4/qe/identity[?…]     200, {"enclaveIdentity":…,"signature":…},
 *        header SGX-Enclave-Identity-Issuer-Chain
 * Unknown FMSPC or CA → 404; missing/invalid parameters → 400; anything else → 404.
 * Header values are percent-encoded PEM chains, as Intel sends them. */
typedef struct {
    int status;               /* HTTP status */
    const char *content_type; /* static string */
    char *body;               /* malloc'd (NUL-terminated for text bodies) */
    size_t body_len;
    const char *header_name;  /* static string, or NULL when no extra header */
    char *header_value;       /* malloc'd, or NULL */
} ds_pki_http;

/* Returns DS_OK (resp filled, any HTTP status; free with ds_pki_http_free), DS_ERR_ARG
 * (NULL argument; resp zeroed when not NULL), or DS_ERR_NOMEM (resp zeroed). */
ds_err ds_pki_pcs_handle(const ds_pki *p, const char *target, ds_pki_http *resp);
void ds_pki_http_free(ds_pki_http *r);

/* The pieces, for callers that route themselves. Each appends the body to `body` and, when
 * issuer_chain is not NULL, the (not percent-encoded) PEM issuer chain to issuer_chain.
 * Return DS_OK or DS_ERR_NOMEM. */
ds_err ds_pki_pcs_tcb(const ds_pki *p, ds_buf *body, ds_buf *issuer_chain);
ds_err ds_pki_pcs_qe_identity(const ds_pki *p, ds_buf *body, ds_buf *issuer_chain);
ds_err ds_pki_pcs_pckcrl(const ds_pki *p, int der, ds_buf *body, ds_buf *issuer_chain);
ds_err ds_pki_pcs_rootcacrl(const ds_pki *p, ds_buf *body_hex);

/* Percent-encodes s like JavaScript's encodeURIComponent (appended). */
void ds_pki_percent_encode(const char *s, ds_buf *out);

#endif
