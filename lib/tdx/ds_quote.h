/* ds_quote.h — Intel TDX quote v4: build and parse, with pluggable signing.
 *
 * Layout (attestation.md §1), all integers little-endian:
 *   0    header (48): version 4, att key type 2, tee type 0x81, qe_svn, pce_svn,
 *                     qe_vendor_id[16], user_data[20]
 *   48   TD report 1.0 (584): tee_tcb_svn, mr_seam, mr_signer_seam, seam_attributes,
 *                     td_attributes, xfam, mr_td, mr_config_id, mr_owner, mr_owner_config,
 *                     rt_mr0..3, report_data (568..632)
 *   632  u32 signature data length, then: ECDSA r‖s (64) over SHA-256(quote[0..632]),
 *        attestation public key x‖y (64), certification data: u16 type, u32 size, body.
 *   For type 6 the body is: QE report (384), QE report signature (64), u16 auth data len,
 *   auth data, then inner certification data (u16 type = 5, u32 size, PEM chain).
 *
 * Signing is a ds_quote_signer: a callback that signs the first 632 bytes and a callback
 * that appends the certification data. ds_quote_dev_signer is the built-in development
 * signer (keys from a seed, QE report signed by a placeholder "PCK" key, a PCK chain PEM
 * given by the caller, empty by default); a later fake Intel PKI supplies its own.
 */
#ifndef DS_QUOTE_H
#define DS_QUOTE_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "ds_err.h"
#include "ds_json.h"

#define DS_QUOTE_HEADER_LEN 48
#define DS_TD_REPORT_LEN 584
#define DS_QUOTE_SIGNED_LEN 632        /* header + TD report: what the signature covers */
#define DS_QUOTE_REPORT_DATA_OFF 568
#define DS_QUOTE_MIN_LEN 1226          /* smallest quote dcap-qvl's parser accepts */
#define DS_QE_REPORT_LEN 384
#define DS_CERT_TYPE_PCK_CHAIN 5
#define DS_CERT_TYPE_QE_REPORT 6

typedef struct {
    uint16_t version;        /* 4 */
    uint16_t att_key_type;   /* 2: ECDSA-256 with P-256 */
    uint32_t tee_type;       /* 0x81: TDX */
    uint16_t qe_svn, pce_svn;
    uint8_t qe_vendor_id[16];
    uint8_t user_data[20];
} ds_quote_header;

typedef struct {
    uint8_t tee_tcb_svn[16];
    uint8_t mr_seam[48];
    uint8_t mr_signer_seam[48];
    uint8_t seam_attributes[8];
    uint8_t td_attributes[8];
    uint8_t xfam[8];
    uint8_t mr_td[48];
    uint8_t mr_config_id[48];
    uint8_t mr_owner[48];
    uint8_t mr_owner_config[48];
    uint8_t rt_mr[4][48];
    uint8_t report_data[64];
} ds_td_report;

/* A parsed quote. The pointers point into the buffer given to ds_quote_parse. */
typedef struct {
    ds_quote_header header;
    ds_td_report report;
    uint8_t signature[64];          /* r ‖ s */
    uint8_t att_pub[64];            /* x ‖ y */
    uint16_t cert_type;             /* outer certification data type (6 for dstack) */
    const uint8_t *cert_data;       /* outer certification data body */
    size_t cert_data_len;
    /* Set when cert_type is 6: */
    const uint8_t *qe_report;       /* 384 bytes */
    const uint8_t *qe_report_sig;   /* 64 bytes */
    const uint8_t *qe_auth_data;
    size_t qe_auth_len;
    uint16_t inner_cert_type;       /* 5: PEM PCK certificate chain */
    const uint8_t *inner_cert;
    size_t inner_cert_len;
} ds_quote;

/* Header defaults of a TDX v4 quote (Intel vendor id, zero svns, zero user data). */
void ds_quote_header_default(ds_quote_header *h);
/* TD report defaults: td_attributes byte 3 = 0x10 (debug bit clear), xfam 0xe702060000000000,
 * everything else zero. */
void ds_td_report_default(ds_td_report *r);
/* mr_config_id in dstack's v1 layout: 0x01 ‖ compose_hash(32) ‖ 15 zero bytes. */
void ds_mr_config_id_from_compose(const uint8_t compose_hash[32], uint8_t out[48]);

/* Serialises header + TD report (the 632 signed bytes). */
void ds_quote_serialize_signed(const ds_quote_header *h, const ds_td_report *r,
                               uint8_t out[DS_QUOTE_SIGNED_LEN]);

typedef struct ds_quote_signer ds_quote_signer;
struct ds_quote_signer {
    /* Signs msg (the first 632 bytes): raw r ‖ s over SHA-256(msg), and reports the
     * attestation public key x ‖ y. */
    ds_err (*sign)(const ds_quote_signer *s, const uint8_t *msg, size_t len, uint8_t sig[64],
                   uint8_t att_pub[64]);
    /* Appends the certification data (u16 type, u32 size, body) bound to att_pub. */
    ds_err (*cert_data)(const ds_quote_signer *s, const uint8_t att_pub[64], ds_buf *out);
    void *ctx;
};

/* Builds a complete quote into out (appended). Returns DS_OK, the signer's error, or
 * DS_ERR_NOMEM. */
ds_err ds_quote_build(const ds_quote_header *h, const ds_td_report *r,
                      const ds_quote_signer *signer, ds_buf *out);

/* Appends the header's fields as JSON members, without braces: "version":4,…,
 * "qe_vendor_id":"<hex>","user_data":"<hex>" (integers as numbers, bytes as hex). */
void ds_quote_header_json(ds_buf *out, const ds_quote_header *h);

/* Appends the TD report's fields tee_tcb_svn … rt_mr3 as JSON members of hex, in wire
 * order, without braces and without report_data (callers place it themselves). */
void ds_td_report_json(ds_buf *out, const ds_td_report *r);

/* Parses a v4 TDX quote (also checks the certification data framing). Returns DS_OK or
 * DS_ERR_PARSE. */
ds_err ds_quote_parse(const uint8_t *buf, size_t len, ds_quote *q);

/* Checks the quote signature over buf[0..632] with the embedded attestation key.
 * Returns DS_OK, DS_ERR_VERIFY or DS_ERR_PARSE. (Only the quote-level signature: the QE
 * report and PCK chain are the business of a full verifier.) */
ds_err ds_quote_verify_att_sig(const uint8_t *buf, size_t len);

/* QE report (SGX REPORT body, 384 bytes) fields that a QE identity checks. */
typedef struct {
    uint8_t cpu_svn[16];
    uint32_t misc_select;
    uint8_t attributes[16];  /* byte 0 = 0x11 by default */
    uint8_t mr_enclave[32];
    uint8_t mr_signer[32];
    uint16_t isv_prod_id;
    uint16_t isv_svn;
} ds_qe_identity_fields;

/* Serialises a QE report with report_data = SHA-256(att_pub ‖ auth) ‖ 32 zero bytes. */
void ds_qe_report_build(const ds_qe_identity_fields *f, const uint8_t att_pub[64],
                        const uint8_t *auth, size_t auth_len, uint8_t out[DS_QE_REPORT_LEN]);

/* The built-in development signer. */
typedef struct {
    EVP_PKEY *att_key;           /* quote attestation key */
    uint8_t att_pub[64];
    EVP_PKEY *pck_key;           /* signs the QE report (placeholder PCK key) */
    ds_qe_identity_fields qe;    /* QE report fields */
    uint8_t qe_auth[32];         /* QE auth data (bytes 0..31, like real quotes) */
    size_t qe_auth_len;
    char *pck_chain_pem;         /* inner type-5 body; "" by default (malloc'd) */
} ds_quote_dev_signer;

/* Keys: attestation = P-256 from HKDF(seed, "dstack-sim quote attestation key"),
 * PCK = from HKDF(seed, "dstack-sim quote pck key"). Returns DS_OK or DS_ERR_CRYPTO. */
ds_err ds_quote_dev_signer_init(ds_quote_dev_signer *d, const uint8_t seed[32]);
/* Replaces the PEM chain carried in the type-5 section (copied). */
ds_err ds_quote_dev_signer_set_chain(ds_quote_dev_signer *d, const char *pem);
void ds_quote_dev_signer_free(ds_quote_dev_signer *d);
/* A ds_quote_signer view of d (d must outlive it). */
void ds_quote_dev_signer_bind(ds_quote_dev_signer *d, ds_quote_signer *out);

#endif
