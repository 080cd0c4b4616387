/* sim_methods.h — the RPC methods of every surface (dstack v0 and v1, tappd, Worker), and
 * the router that maps an HTTP request to one of them (sim_router.c: the table).
 *
 * A method reads its arguments from `args` (a JSON object: the POST body, or the GET
 * query string converted to one; never NULL), appends its JSON result to `out` and
 * returns 0; or writes a message to `err` and returns -1, answered as {"error": err} with
 * status `status` (400 when the method leaves it 0).
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
    int worker; /* the serving worker (sim_http_request.worker) */
    int status; /* a failure's HTTP status (0: 400) */
    char err[512];
} sim_call;

typedef int (*sim_method_fn)(sim_call *c);

typedef struct {
    const char *name;
    sim_method_fn fn;
    int metric; /* sim_mx_method */
    int keys;   /* SIM_KEYS: hands out or uses the app's keys, so only once the boot is
                   allowed (--kms-auth, sim_kmsauth.h) */
} sim_method;
#define SIM_KEYS 1

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
/* Appends the Info object (attestation.md §5). external: as the Worker API shows it (no
 * tcb_info or vm_config unless app-compose's public_tcbinfo). Returns 0 or -1 (memory). */
int sim_info_json(sim_state *st, int external, ds_buf *out);
/* Appends ,"k":"<hex of p>" (comma: a leading comma) / ,"k":"<JSON string s>". */
void sim_kv_hex(ds_buf *b, const char *k, const uint8_t *p, size_t n, int comma);
void sim_kv_str(ds_buf *b, const char *k, const char *s, int comma);
/* SHA-256("") in hex: the agent's constant device_id. */
extern const char SIM_DEVICE_ID[];
/* Appends {"version":…,"rev":…}. */
void sim_version_json(sim_state *st, ds_buf *out);
/* Appends {"quote":…,"event_log":…} members (no braces) for report_data; used by GetQuote
 * and TdxQuote. */
int sim_quote_members(sim_call *c, const uint8_t rd[64]);
/* Appends the "attestation" member (no braces) for report_data; Attest and v1 Attest. */
int sim_attest_members(sim_call *c, const uint8_t rd[64]);

/* dstack v1 (sim_methods_v1.c; guest-api-0.6.md §2.4) */
int sim_m_v1_get_key(sim_call *c);
int sim_m_v1_attest(sim_call *c);
int sim_m_v1_attest_gpu(sim_call *c);
int sim_m_v1_info(sim_call *c);
int sim_m_v1_issue_cert(sim_call *c);

/* Worker, the external API (sim_methods_worker.c; guest-agent-external.md §2, §5) */
int sim_m_worker_info(sim_call *c);
int sim_m_worker_attest_app_key(sim_call *c);
int sim_m_worker_v1_info(sim_call *c);
int sim_m_worker_v1_health(sim_call *c);
/* Appends the v1 InfoResponse; external hides what app-compose's public_tcbinfo keeps
 * private. Returns 0 or -1 (out of memory). */
int sim_v1_info_json(sim_state *st, int external, ds_buf *out);

/* Router: the sim_http_handler of each listener; ctx is the sim_state. Which paths each
 * listener serves, at which --agent-version, is the table in sim_router.c. */
void sim_route_dstack(void *ctx, const sim_http_request *req, int *status, ds_buf *body);
void sim_route_tappd(void *ctx, const sim_http_request *req, int *status, ds_buf *body);
void sim_route_external(void *ctx, const sim_http_request *req, int *status, ds_buf *body);
void sim_route_tcp(void *ctx, const sim_http_request *req, int *status, ds_buf *body);

#endif
