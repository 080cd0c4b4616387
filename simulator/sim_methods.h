/* sim_methods.h — the RPC methods of the dstack and tappd sockets, and the router that
 * maps an HTTP request to one of them.
 *
 * A method reads its arguments from `args` (a JSON object: the POST body, or the GET
 * query string converted to one; never NULL), appends its JSON result to `out` and
 * returns 0; or writes a message to `err` and returns -1 (answered as 400
 * {"error": err}).
 */
#ifndef SIM_METHODS_H
#define SIM_METHODS_H

#include <cjson/cJSON.h>

#include "ds_json.h"
#include "sim_http.h"
#include "sim_state.h"
#include "sim_tls.h"

typedef struct {
    sim_state *st;
    const cJSON *args;
    ds_buf *out;
    int worker;                  /* the serving worker (sim_http_request.worker) */
    char err[512];
} sim_call;

typedef int (*sim_method_fn)(sim_call *c);

typedef struct {
    const char *name;
    sim_method_fn fn;
    int metric;                  /* sim_mx_method */
} sim_method;

/* dstack socket (sim_methods_dstack.c) */
int sim_m_get_key(sim_call *c);
/* Reads the certificate request fields GetTlsKey and Tappd.DeriveKey share (subject,
 * alt_names, usage_ra_tls/server_auth/client_auth) into req. 0, or -1 with c->err set;
 * req->alt_names is malloc'd either way (free it). */
int sim_cert_req_parse(sim_call *c, sim_cert_req *req);
/* GetKey(path, purpose, alg) under the app key (and the configured --mismatch variant),
 * from the worker's memo when it holds it (sim_keymemo.h). 0, or -1 with c->err set. */
int sim_derive_key(sim_call *c, const char *path, size_t path_len, const char *purpose,
                   size_t purpose_len, ds_key_alg alg, ds_derived_key *dk);
/* The GetKey reply {key_field: hex, chain_field: [link0, link1]} (shared with Tappd). */
int sim_getkey_reply(sim_call *c, const char *key_field, const char *chain_field);
int sim_m_get_quote(sim_call *c);
int sim_m_attest(sim_call *c);
int sim_m_info(sim_call *c);
int sim_m_emit_event(sim_call *c);
int sim_m_get_tls_key(sim_call *c);
int sim_m_version(sim_call *c);
int sim_m_get_meta(sim_call *c);

/* Sign / Verify (sim_methods_sign.c) */
int sim_m_sign(sim_call *c);
int sim_m_verify(sim_call *c);

/* tappd socket (sim_methods_tappd.c) */
int sim_m_tappd_derive_key(sim_call *c);
int sim_m_tappd_derive_k256_key(sim_call *c);
int sim_m_tappd_tdx_quote(sim_call *c);
int sim_m_tappd_raw_quote(sim_call *c);

/* Shared helpers */
/* Reads "report_data" hex (≤ 64 bytes) into rd, zero-padded. */
int sim_arg_report_data(sim_call *c, uint8_t rd[64]);
/* Appends the Info object (attestation.md §5). */
int sim_info_json(sim_state *st, ds_buf *out);
/* Appends {"version":…,"rev":…}. */
void sim_version_json(sim_state *st, ds_buf *out);
/* Appends {"quote":…,"event_log":…} members (no braces) for report_data; used by GetQuote
 * and TdxQuote. */
int sim_quote_members(sim_call *c, const uint8_t rd[64]);

/* Router: sim_http_handler for each socket; ctx is the sim_state. The TCP listener also
 * answers GET /metrics (Prometheus text; st->metrics). */
void sim_route_dstack(void *ctx, const sim_http_request *req, int *status, ds_buf *body);
void sim_route_tappd(void *ctx, const sim_http_request *req, int *status, ds_buf *body);
void sim_route_tcp(void *ctx, const sim_http_request *req, int *status, ds_buf *body);

#endif
