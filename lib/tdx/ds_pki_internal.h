/* ds_pki_internal.h — the ds_pki structure shared by ds_pki.c (keys, lifecycle, quote
 * signer), ds_pki_certs.c (X.509 certificates and CRLs) and ds_pki_collateral.c (TCB
 * info, QE identity, PCS endpoint shapes). Not part of the public API. */
#ifndef DS_PKI_INTERNAL_H
#define DS_PKI_INTERNAL_H

#include <openssl/evp.h>

#include "ds_p256det.h"
#include "ds_pki.h"

/* Keys: the first four are the keys of the certificates of the same ds_pki_cert index. */
enum { DS_PKI_K_ROOT, DS_PKI_K_PCK_CA, DS_PKI_K_PCK, DS_PKI_K_TCB, DS_PKI_K_ATT, DS_PKI_K_COUNT };

struct ds_pki {
    ds_pki_config cfg;
    uint8_t key[DS_PKI_K_COUNT][32];      /* private scalars */
    EVP_PKEY *pkey[DS_PKI_K_COUNT];
    uint8_t pub[DS_PKI_K_COUNT][64];      /* x ‖ y */
    uint8_t serial[DS_PKI_CERT_COUNT][16];
    uint8_t ppid[16];
    uint8_t platform_instance_id[16];
    uint8_t *der[DS_PKI_CERT_COUNT];
    size_t der_len[DS_PKI_CERT_COUNT];
    char *pem[DS_PKI_CERT_COUNT];
    char *pck_chain_pem;                  /* PCK, PCK CA, root */
    ds_collateral col;
    ds_p256det_ctx *det;                  /* shared signing context (read-only) */
    uint8_t *quote_cert_data;             /* the quote certification data: constant, since */
    size_t quote_cert_data_len;           /* the QE report binds only the attestation key */
};

/* Format of TCB info / QE identity dates: "YYYY-MM-DDTHH:MM:SSZ". */
void ds_pki_iso8601(int64_t t, char out[21]);

/* ds_pki_certs.c: fills der/pem for every certificate and pck_chain_pem, then the two
 * CRLs in col. Return DS_OK, DS_ERR_CRYPTO or DS_ERR_NOMEM. */
ds_err ds_pki_build_certs(ds_pki *p);
ds_err ds_pki_build_crls(ds_pki *p);

/* ds_pki_collateral.c: fills the JSON, chains and signatures in col. Returns DS_OK,
 * DS_ERR_CRYPTO or DS_ERR_NOMEM. */
ds_err ds_pki_build_collateral(ds_pki *p);

#endif
