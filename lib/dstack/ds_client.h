/* ds_client.h — a small C client for a dstack guest agent (dstack.sock) or the simulator.
 *
 *   ds_client *c = ds_client_new("/var/run/dstack.sock");     // or "http://127.0.0.1:8090"
 *   ds_getkey_result k;
 *   if (ds_client_get_key(c, "wallet/eth", "mainnet", "secp256k1", &k) != DS_OK)
 *       fprintf(stderr, "GetKey: %s\n", ds_client_last_error(c));
 *   ds_client_free(c);
 *
 * Transport: HTTP/1.1 POST with a JSON body over libcurl (CURLOPT_UNIX_SOCKET_PATH for a
 * socket path), one keep-alive connection per client. A ds_client is not thread-safe:
 * use one per thread.
 *
 * Errors: DS_ERR_IO (cannot connect, timeout, transport failure), DS_ERR_PARSE (the reply
 * is not the JSON expected), DS_ERR_VERIFY (the server answered {"error": …}: the request
 * was rejected), DS_ERR_ARG / DS_ERR_NOMEM. ds_client_last_error() has the message
 * (the server's own text for DS_ERR_VERIFY).
 */
#ifndef DS_CLIENT_H
#define DS_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "ds_err.h"

typedef struct ds_client ds_client;

/* endpoint: a Unix socket path, or an "http://host:port" URL. NULL → the
 * DSTACK_SIMULATOR_ENDPOINT environment variable, else /var/run/dstack.sock.
 * Returns NULL only when out of memory. */
ds_client *ds_client_new(const char *endpoint);
void ds_client_free(ds_client *c);
/* Per-request timeout (default 30 000 ms). */
void ds_client_set_timeout_ms(ds_client *c, long ms);
/* The message of the last failure ("" after a success). Valid until the next call. */
const char *ds_client_last_error(const ds_client *c);

/* POSTs json_body (NULL = "{}") to path (e.g. "/GetKey", "/prpc/Tappd.Info"). On DS_OK
 * *status is the HTTP status and *resp the body (malloc'd, NUL-terminated; free it). */
ds_err ds_client_post(ds_client *c, const char *path, const char *json_body, long *status,
                      char **resp, size_t *resp_len);

/* POSTs args (NULL = {}) to /<method> and parses the reply. On DS_OK *result is the
 * parsed JSON (cJSON_Delete it); a {"error"} reply gives DS_ERR_VERIFY. */
ds_err ds_client_call(ds_client *c, const char *method, const cJSON *args, cJSON **result);

typedef struct {
    uint8_t key[32];      /* derived private key (secp256k1 scalar or ed25519 seed) */
    uint8_t chain[2][65]; /* [app link, KMS link] */
} ds_getkey_result;

ds_err ds_client_get_key(ds_client *c, const char *path, const char *purpose, const char *algorithm,
                         ds_getkey_result *out);

typedef struct {
    uint8_t *quote; /* raw TDX quote (malloc'd) */
    size_t quote_len;
    char *event_log; /* the event_log JSON text (malloc'd) */
    uint8_t report_data[64];
    char *vm_config; /* malloc'd */
} ds_quote_result;

/* report_data: at most 64 bytes (len may be 0). */
ds_err ds_client_get_quote(ds_client *c, const uint8_t *report_data, size_t len,
                           ds_quote_result *out);
void ds_quote_result_free(ds_quote_result *r);

typedef struct {
    uint8_t app_id[20];
    int has_instance_id;
    uint8_t instance_id[20];
    uint8_t compose_hash[32];
    char *app_name;  /* malloc'd */
    cJSON *tcb_info; /* tcb_info parsed from its JSON string */
    cJSON *raw;      /* the whole reply (tcb_info still a string there) */
} ds_info_result;

ds_err ds_client_info(ds_client *c, ds_info_result *out);
void ds_info_result_free(ds_info_result *r);

/* EmitEvent: appends (event, payload) to the runtime log and extends RTMR3. */
ds_err ds_client_emit_event(ds_client *c, const char *event, const uint8_t *payload, size_t len);

typedef struct {
    uint8_t signature[64];
    uint8_t chain_app[65];  /* signature_chain[1]: GetKey("vms","signing") app link */
    uint8_t chain_kms[65];  /* signature_chain[2]: KMS link */
    uint8_t public_key[33]; /* 33 (secp256k1) or 32 (ed25519) bytes */
    size_t public_key_len;
} ds_sign_result;

/* algorithm: "secp256k1", "secp256k1_prehashed" (data = 32-byte digest) or "ed25519". */
ds_err ds_client_sign(ds_client *c, const char *algorithm, const uint8_t *data, size_t len,
                      ds_sign_result *out);

typedef struct {
    int have_root;           /* k256_pubkey known */
    uint8_t k256_pubkey[33]; /* KMS root public key (compressed) */
    uint8_t k256_address[20];
    char k256_address_text[43]; /* EIP-55 "0x…" */
    uint8_t app_id[20];
    uint8_t app_pubkey[33];
    char mode[16];     /* "root" or "static" */
    char mismatch[32]; /* "none" or a ds_variant name */
} ds_meta_result;

/* The simulator's GetMeta: the published KMS root (no private key involved). */
ds_err ds_client_get_meta(ds_client *c, ds_meta_result *out);

/* ---- dstack 0.6, the v1 API (/v1/…; a simulator at --agent-version 0.6.0) ---- */

typedef struct {
    uint8_t key[32];        /* derived private key (secp256k1 scalar or ed25519 seed) */
    uint8_t public_key[33]; /* 33 (secp256k1, compressed) or 32 (ed25519) bytes */
    size_t public_key_len;
    uint8_t chain[2][65]; /* [app link over the v1 claim, KMS link] (ds_chain_v1_verify) */
} ds_v1_getkey_result;

/* /v1/GetKey: the v1 key for domain (any string) under algorithm "secp256k1" or
 * "ed25519" (required: v1 has no default). Returns DS_OK, DS_ERR_VERIFY with the agent's
 * message (e.g. an unsupported algorithm), or a transport/parse error. */
ds_err ds_client_v1_get_key(ds_client *c, const char *domain, const char *algorithm,
                            ds_v1_getkey_result *out);

/* /v1/Attest: the versioned attestation for report_data (at most 64 bytes). On DS_OK
 * *attestation is malloc'd (free it), *att_len its size. */
ds_err ds_client_v1_attest(ds_client *c, const uint8_t *report_data, size_t len,
                           uint8_t **attestation, size_t *att_len);

/* /v1/Version: the agent's version text ("0.6.0") into version (cap bytes, NUL-terminated;
 * DS_ERR_LEN when it does not fit). */
ds_err ds_client_v1_version(ds_client *c, char *version, size_t cap);

#endif
