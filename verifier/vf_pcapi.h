/* vf_pcapi.h — Phala Cloud's attestation API (attestations.mdx) in `dstack-verify serve`,
 * as a plain function of a request so tests and benchmarks call it without a socket:
 *
 *   POST     /api/v1/attestations/verify              the quote (vf_form.h) → verify, store,
 *                                                      VerificationResponse; 400 / 422
 *   GET      /api/v1/attestations/view/{checksum}     the Quote + metadata; 404
 *   GET      /api/v1/attestations/collateral/{checksum}  QuoteCollateralV3 + Cache-Control,
 *                                                      ETag (If-None-Match → 304); 404
 *   GET|HEAD /api/v1/attestations/raw/{checksum}      the quote bytes; 404
 *   GET      /api/v1/attestations/recent?skip=&limit= newest first; 422 out of range
 *
 * `verified` / `success` are ds_qverify's verdict under the service's root and collateral
 * (dcap-qvl's rules: Revoked fails, OutOfDate verifies); proof_of_cloud is always false. */
#ifndef VF_PCAPI_H
#define VF_PCAPI_H

#include <stddef.h>
#include <stdint.h>

#include "ds_json.h"
#include "vf_pcstore.h"
#include "vf_serve.h"

#define VF_PC_PREFIX "/api/v1/attestations/"
#define VF_PC_MAX_HEADERS 6

typedef enum { VF_PC_GET, VF_PC_HEAD, VF_PC_POST, VF_PC_OTHER } vf_pc_method;

typedef struct {
    vf_verifier *v; /* trust and the warm context (borrowed; its collateral fixed for the
                       api's life) */
    vf_pc_store store;
    ds_buf col_json; /* v->col as QuoteCollateralV3 JSON, written once (zeroed: not yet) */
} vf_pc_api;

/* Frees the store and the cached collateral JSON (not v). */
void vf_pc_api_free(vf_pc_api *api);

typedef struct {
    int status;
    const char *content_type;              /* NULL: no Content-Type (304) */
    const char *hdr[VF_PC_MAX_HEADERS][2]; /* extra headers: static names, values in hval */
    char hval[VF_PC_MAX_HEADERS][128];
    size_t n_hdr;
    ds_buf body;         /* the body to send (empty for HEAD / 304) */
    long content_length; /* >= 0: Content-Length to announce without a body
                            (every HEAD reply but a 304); -1: the body's length */
} vf_pc_reply;

void vf_pc_reply_init(vf_pc_reply *r);
void vf_pc_reply_free(vf_pc_reply *r);

/* Whether path (without query) is one of this API's. */
int vf_pc_is_api_path(const char *path, size_t len);

/* Handles one request. path is the URI path (len bytes, no query; what follows them is
 * not read), query the text after '?' or NULL; content_type and if_none_match the
 * request headers or NULL. Fills reply
 * (always: errors are {"detail": …} with the reference page's statuses, 405 for a method
 * the path does not take, 500 {"detail"} when out of memory). */
void vf_pc_handle(vf_pc_api *api, vf_pc_method m, const char *path, size_t len, const char *query,
                  const char *content_type, const char *if_none_match, const uint8_t *body,
                  size_t body_len, vf_pc_reply *reply);

#endif
