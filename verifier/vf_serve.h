/* vf_serve.h — `dstack-verify serve`: upstream dstack-verifier's HTTP API
 * (dstack-verifier-api.md §2-§8) over a local trust root.
 *
 *   vf_vreq    the POST /verify body: decoding with upstream's statuses (400 / 422), and
 *              the agent's V0 attestation (SCALE) as GetQuote-equivalent evidence
 *   vf_vcheck  the three stages (quote, OS image, app info) → the response document
 *   vf_serve   the HTTP service (libevent evhttp), its trust inputs and command line
 *   vf_pcapi   Phala Cloud's attestation API on the same port (vf_pcapi.h, vf_form.h,
 *              vf_pcstore.h, vf_pcjson.h)
 */
#ifndef VF_SERVE_H
#define VF_SERVE_H

#include <stddef.h>
#include <stdint.h>

#include "ds_eventlog.h"
#include "ds_imgcache.h"
#include "ds_json.h"
#include "ds_qverify.h"

#define VF_VERIFY_MAX_BODY (1u << 20) /* Rocket's default json limit: 1 MiB */
#define VF_JSON_MAX_DEPTH 128         /* serde_json's recursion limit */
#define VF_SERVE_MAX_CONNECTIONS 512  /* default --max-connections */

/* ---- vf_vreq.c ------------------------------------------------------------------------- */

/* Scans JSON text s[0..n) without parsing it. Returns the deepest nesting of arrays and
 * objects outside strings (0 for a scalar); sets *nul_escape to 1 when a string holds a
 * "\u0000" escape (C strings would silently cut it short: callers refuse it, as the
 * simulator does), else 0. An escaped backslash before "u0000" is text, not an escape.
 * Never fails. */
size_t vf_json_depth(const uint8_t *s, size_t n, int *nul_escape);

typedef struct {
    uint8_t *quote; /* NULL: absent or null */
    size_t quote_len;
    char *event_log; /* the string as given (a JSON array in text) */
    char *vm_config;
    uint8_t *attestation;
    size_t attestation_len;
    int debug;
} vf_vreq;

/* Decodes a POST /verify body. Returns 0, or the HTTP status upstream answers (400:
 * empty, malformed, truncated, not UTF-8, a NUL byte or "\u0000" escape, or nested deeper
 * than VF_JSON_MAX_DEPTH; 422:
 * valid JSON of the wrong shape: not an object, a field of the wrong type, bad hex, a
 * repeated known field) with a one-line reason in err. out is empty on error. */
int vf_vreq_decode(const uint8_t *body, size_t len, vf_vreq *out, char *err, size_t errcap);
void vf_vreq_free(vf_vreq *r);

/* Evidence in one shape, whichever way it came. */
typedef struct {
    uint8_t *quote; /* owned */
    size_t quote_len;
    ds_eventlog log;
    int have_report_data; /* the attestation's own report_data (V0) */
    uint8_t report_data[64];
    char *vm_config; /* the attestation's embedded vm_config, or NULL */
} vf_evidence;

/* Builds the evidence from a decoded request, as upstream selects it (attestation first,
 * else quote + event_log). Returns 0, or -1 with upstream's "Internal error: …" text in
 * why ("Quote is required", "Event log is required", "Failed to create attestation",
 * "Failed to decode attestaion" — upstream's spelling). */
int vf_evidence_from(const vf_vreq *r, vf_evidence *ev, char *why, size_t whycap);
void vf_evidence_free(vf_evidence *ev);

/* ---- vf_vcheck.c ------------------------------------------------------------------------ */

/* Expected measurements: an image-cache directory on disk and/or entries held in memory
 * (fetched from a simulator at startup). Never downloads anything. */
typedef struct {
    char *hash_hex, *key;
    ds_measurements m;
} vf_image_entry;

typedef struct {
    const char *dir; /* --image-cache DIR, or NULL */
    vf_image_entry *mem;
    size_t n_mem;
} vf_images_store;

/* Trust inputs and the reusable verification context. */
typedef struct {
    uint8_t *root_der;
    size_t root_len;
    ds_collateral col;
    ds_qverify_ctx *qctx;
    vf_images_store images;
    int64_t now; /* 0: the wall clock at each request */
} vf_verifier;

/* Verifies one decoded request and appends the §4 response document to out. Returns 0,
 * or -1 when out of memory. */
int vf_verify_request(vf_verifier *v, const vf_vreq *req, ds_buf *out);

/* Runs one whole POST /verify: decode, verify, answer. *status gets 200 or the decode
 * status; out the JSON body (the response, or {"error":{"code","reason","description"}}
 * in Rocket's catcher shape with "message" saying what was wrong). */
void vf_verify_body(vf_verifier *v, const uint8_t *body, size_t len, int *status, ds_buf *out);

/* Rocket's catcher document for status (400, 404, 405, 413, 422, 500, 503). */
void vf_catcher_json(int status, const char *message, ds_buf *out);

/* ---- vf_serve.c ------------------------------------------------------------------------- */

int vf_serve_main(int argc, char **argv);

#endif
