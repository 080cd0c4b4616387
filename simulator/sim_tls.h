/* sim_tls.h — the app CA and the X.509 certificates of GetTlsKey / Tappd.DeriveKey.
 */
#ifndef SIM_TLS_H
#define SIM_TLS_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "ds_json.h"
#include "sim_state.h"

/* dstack's private-enterprise OIDs (ra-tls). Values are DER OCTET STRINGs. */
#define SIM_OID_RATLS_QUOTE "1.3.6.1.4.1.62397.1.1"       /* TDX quote */
#define SIM_OID_RATLS_EVENT_LOG "1.3.6.1.4.1.62397.1.2"   /* event log JSON */
#define SIM_OID_RATLS_APP_ID "1.3.6.1.4.1.62397.1.3"      /* app id (with_app_info) */
#define SIM_OID_RATLS_USAGE "1.3.6.1.4.1.62397.1.4"       /* "app:custom" */
#define SIM_OID_RATLS_ATTESTATION "1.3.6.1.4.1.62397.1.8" /* versioned attestation */

typedef struct {
    const char *subject;
    const char **alt_names;
    size_t n_alt;
    int usage_ra_tls;
    int usage_server_auth;
    int usage_client_auth;
    int have_not_before, have_not_after;
    uint64_t not_before, not_after;   /* seconds since the epoch */
    int with_app_info;
} sim_cert_req;

/* Loads the CA from the config (ca_cert + key_provider.None.key) or, when absent, derives
 * a self-signed one deterministically from the app key. Also fills st->ca_pem and
 * st->key_provider_info. Returns 0, or -1 with a message in err. */
int sim_tls_setup_ca(sim_state *st, char *err, size_t errcap);

/* Issues a leaf for key under the CA and appends the response JSON
 * {"key":"<PKCS#8 PEM>","certificate_chain":["<leaf PEM>","<CA PEM>"]} to out.
 * Returns 0, or -1 with a message in err (e.g. not_before >= not_after). */
int sim_tls_issue_json(sim_state *st, EVP_PKEY *key, const sim_cert_req *req, ds_buf *out,
                       char *err, size_t errcap);

/* Leaf PEM + CA PEM for key, as one string (Info's app_cert). NULL on failure. */
char *sim_tls_issue_chain_pem(sim_state *st, EVP_PKEY *key, const sim_cert_req *req);

#endif
