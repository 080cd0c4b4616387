/* ds_rpc.h — Ethereum JSON-RPC over HTTP (libcurl + cJSON), enough for a local Anvil:
 * raw calls, chain id, eth_call with revert data, transactions from unlocked accounts
 * with receipts, logs, and Anvil's snapshot/revert.
 *
 *   ds_rpc r;
 *   if (ds_rpc_open(&r, "http://127.0.0.1:8545") != DS_OK) ...
 *   uint64_t id;
 *   if (ds_rpc_chain_id(&r, &id) != DS_OK) fprintf(stderr, "%s\n", ds_rpc_error(&r));
 *   ds_rpc_close(&r);
 *
 * Errors are reported plainly through ds_rpc_error():
 *   DS_ERR_IO     the endpoint cannot be reached ("cannot reach the chain at URL: is Anvil
 *                 running? `dstack-harness up` starts one"), timed out, or answered with
 *                 an HTTP error status;
 *   DS_ERR_PARSE  the answer is not the JSON-RPC response expected;
 *   DS_ERR_VERIFY a JSON-RPC error object ("JSON-RPC error -32601: Method not found"), a
 *                 reverted call or transaction: the revert data, when the node returned
 *                 any, is kept in r->revert / r->revert_len until the next call;
 *   DS_ERR_ARG / DS_ERR_NOMEM.
 * A reverted eth_call is not an error for ds_rpc_eth_call: it reports it in its result.
 *
 * A ds_rpc holds one curl handle (keep-alive) and is not thread-safe. Results that have
 * variable size (return data, logs) are malloc'd; free them with the matching _free.
 */
#ifndef DS_RPC_H
#define DS_RPC_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "ds_err.h"

typedef struct {
    char url[256];
    void *curl;            /* CURL * */
    long timeout_ms;       /* per request (default 30 000) */
    unsigned long next_id;
    char err[1024];        /* message of the last failure, "" after a success */
    long rpc_code;         /* JSON-RPC error code of the last failure (0 if none) */
    uint8_t *revert;       /* revert data of the last failure (malloc'd, may be NULL) */
    size_t revert_len;
    int have_revert;       /* the last failure was a revert (data may still be empty) */
} ds_rpc;

/* Prepares a client for url (http://host:port). Does not connect yet.
 * Returns DS_OK, DS_ERR_ARG (NULL or too long url) or DS_ERR_NOMEM. */
ds_err ds_rpc_open(ds_rpc *r, const char *url);
void ds_rpc_close(ds_rpc *r);
/* The last failure's message ("" after a success). */
const char *ds_rpc_error(const ds_rpc *r);

/* Calls method with params (a JSON array or NULL for []; the tree is only read).
 * On DS_OK *result is the "result" member, detached (cJSON_Delete it).
 * Returns DS_OK, DS_ERR_IO, DS_ERR_PARSE, DS_ERR_VERIFY (JSON-RPC error object). */
ds_err ds_rpc_call(ds_rpc *r, const char *method, const cJSON *params, cJSON **result);

/* Like ds_rpc_call, params given as JSON text (e.g. "[\"latest\", false]"). */
ds_err ds_rpc_call_text(ds_rpc *r, const char *method, const char *params_json,
                        cJSON **result);

/* A "0x…" quantity into a u64. Returns DS_OK or DS_ERR_PARSE (not a string, not hex,
 * more than 64 bits). */
ds_err ds_rpc_quantity(const cJSON *v, uint64_t *out);
/* A "0x…" data string into exactly n bytes (n = 20 for addresses, 32 for hashes). */
ds_err ds_rpc_data_exact(const cJSON *v, uint8_t *out, size_t n);
/* A "0x…" data string into a fresh malloc'd buffer (*out NULL when empty). */
ds_err ds_rpc_data_alloc(const cJSON *v, uint8_t **out, size_t *len);

ds_err ds_rpc_chain_id(ds_rpc *r, uint64_t *id);
ds_err ds_rpc_block_number(ds_rpc *r, uint64_t *n);
/* eth_accounts: up to cap addresses into accts, count in *n. */
ds_err ds_rpc_accounts(ds_rpc *r, uint8_t (*accts)[20], size_t cap, size_t *n);
/* eth_getCode at "latest": the code length (0 = no contract there). */
ds_err ds_rpc_code_size(ds_rpc *r, const uint8_t addr[20], size_t *len);

typedef struct {
    int reverted;   /* the call reverted: data is the revert data */
    uint8_t *data;  /* return or revert data (malloc'd, NULL when empty) */
    size_t len;
} ds_rpc_call_result;

/* eth_call at "latest". from may be NULL. DS_OK also for a revert (out->reverted).
 * Returns DS_OK, DS_ERR_IO, DS_ERR_PARSE, DS_ERR_VERIFY (another JSON-RPC error). */
ds_err ds_rpc_eth_call(ds_rpc *r, const uint8_t *from, const uint8_t to[20],
                       const uint8_t *data, size_t len, ds_rpc_call_result *out);
void ds_rpc_call_result_free(ds_rpc_call_result *c);

typedef struct {
    const uint8_t *data; /* calldata */
    size_t len;
} ds_rpc_call_data;

/* n eth_calls to the same contract in one JSON-RPC batch (one HTTP round trip); out[i]
 * answers calls[i] (a revert is not an error, as for ds_rpc_eth_call; free each with
 * ds_rpc_call_result_free). All or nothing: on an error every out[i] is left empty.
 * Returns DS_OK, DS_ERR_IO, DS_ERR_PARSE (not an array, an id missing or repeated),
 * DS_ERR_VERIFY (a JSON-RPC error that is not a revert), DS_ERR_NOMEM, DS_ERR_ARG. */
ds_err ds_rpc_eth_call_batch(ds_rpc *r, const uint8_t *from, const uint8_t to[20],
                             const ds_rpc_call_data *calls, size_t n, ds_rpc_call_result *out);

typedef struct {
    uint8_t address[20];
    uint8_t topics[4][32];
    size_t ntopics;
    uint8_t *data;  /* malloc'd, NULL when empty */
    size_t len;
    uint64_t block;
    uint8_t tx_hash[32];
} ds_rpc_log;

typedef struct {
    ds_rpc_log *v;
    size_t n;
} ds_rpc_logs;

void ds_rpc_logs_free(ds_rpc_logs *l);

typedef struct {
    uint8_t tx_hash[32];
    int status;             /* 1 success, 0 reverted */
    uint64_t block;
    uint64_t gas_used;
    int has_contract;       /* a creation: contract is the new address */
    uint8_t contract[20];
    ds_rpc_logs logs;
} ds_rpc_receipt;

void ds_rpc_receipt_free(ds_rpc_receipt *rc);

typedef struct {
    const uint8_t *from;    /* 20 bytes, an unlocked account (required) */
    const uint8_t *to;      /* 20 bytes, or NULL to create a contract */
    const uint8_t *data;
    size_t len;
    uint64_t value;         /* wei */
    uint64_t gas;           /* 0: let the node estimate */
} ds_rpc_tx;

/* eth_sendTransaction; *hash receives the transaction hash. */
ds_err ds_rpc_send(ds_rpc *r, const ds_rpc_tx *tx, uint8_t hash[32]);

/* Polls eth_getTransactionReceipt until it appears (every 20 ms, up to timeout_ms).
 * Returns DS_OK, DS_ERR_IO (timeout: message says so), DS_ERR_PARSE. */
ds_err ds_rpc_wait_receipt(ds_rpc *r, const uint8_t hash[32], long timeout_ms,
                           ds_rpc_receipt *rc);

/* The usual way to transact: eth_call the same transaction first (from, to, data,
 * value) so that a revert is reported with its revert data and nothing is mined; then
 * send and wait for the receipt. Returns DS_OK when the transaction succeeded,
 * DS_ERR_VERIFY when the preflight reverted (r->revert holds the data; rc is untouched)
 * or the mined transaction has status 0 (rc is filled), other errors as ds_rpc_call. */
ds_err ds_rpc_transact(ds_rpc *r, const ds_rpc_tx *tx, ds_rpc_receipt *rc);

/* eth_getLogs for address over [from_block, to_block] (to_block UINT64_MAX = "latest"),
 * optionally only logs whose topics[0] is topic0. */
ds_err ds_rpc_get_logs(ds_rpc *r, const uint8_t address[20], uint64_t from_block,
                       uint64_t to_block, const uint8_t *topic0, ds_rpc_logs *out);

/* Anvil/Hardhat evm_snapshot / evm_revert. ds_rpc_revert returns DS_ERR_VERIFY when the
 * node reports the snapshot as unknown. */
ds_err ds_rpc_snapshot(ds_rpc *r, uint64_t *id);
ds_err ds_rpc_revert_to(ds_rpc *r, uint64_t id);

#endif
