/* hx_chain.h — the harness's view of the chain: a JSON-RPC client, the compiled Foundry
 * artifacts (contracts/out; `forge build` is run when they are missing), deployment with
 * ABI-encoded constructor arguments, and calls/transactions by signature whose reverts
 * come back decoded (custom errors by name and arguments, Error(string), Panic).
 */
#ifndef HX_CHAIN_H
#define HX_CHAIN_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "ds_abi.h"
#include "ds_rpc.h"

/* HX_PROXY: OpenZeppelin's ERC1967Proxy, which DstackKms and every DstackApp sit behind. */
typedef enum { HX_NFT = 0, HX_KMS, HX_APP, HX_PROXY, HX_NART } hx_artifact_id;

typedef struct {
    ds_rpc rpc;
    char repo[PATH_MAX];
    cJSON *art[HX_NART];          /* parsed artifacts (NULL until loaded) */
    ds_abi_error_def defs[192];
    ds_abi_errors errs;           /* custom errors of every loaded artifact */
    uint8_t *ret;                 /* return data of the last hx_call (values point here) */
    size_t ret_len;
    char revert[2048];            /* decoded text of the last revert */
    char err[1024];               /* message of the last failure (not a revert) */
} hx_chain;

/* Contract name of an artifact id ("DstackMembershipNFT", "DstackKms", "DstackApp",
 * "ERC1967Proxy"). */
const char *hx_artifact_name(hx_artifact_id id);

/* Opens the RPC client for url and finds the repository (for artifacts). 0 or -1. */
int hx_chain_open(hx_chain *c, const char *url);
void hx_chain_close(hx_chain *c);

/* Loads the artifacts; when one is missing and build is set, runs `forge build`
 * in contracts/ first (output in build/harness/forge.log). 0 or -1 (c->err). */
int hx_chain_load_artifacts(hx_chain *c, int build);

/* Deploys an artifact from `from` with constructor arguments (checked against the
 * artifact's constructor). *addr gets the new address, *block its block. 0 or -1. */
int hx_deploy(hx_chain *c, hx_artifact_id id, const uint8_t from[20], const ds_abi_value *args,
              size_t nargs, uint8_t addr[20], uint64_t *block);

/* eth_call of sig(args) on `to` (from may be NULL), outputs decoded with out_types
 * ("(bool)", "(bytes,address)"; NULL: not decoded) into pool; pool[0] is the output
 * tuple, its values valid until the next hx_call. Returns 0, 1 when the call reverted
 * (c->revert has the decoded reason), -1 on error (c->err). */
int hx_call(hx_chain *c, const uint8_t *from, const uint8_t to[20], const char *sig,
            const ds_abi_value *args, size_t nargs, const char *out_types, ds_abi_value *pool,
            size_t pool_cap);

/* Transaction from an unlocked account: preflight eth_call, send, receipt (rc may be
 * NULL; free it with ds_rpc_receipt_free). Returns 0, 1 when it reverted (c->revert),
 * -1 on error (c->err). */
int hx_send(hx_chain *c, const uint8_t from[20], const uint8_t to[20], const char *sig,
            const ds_abi_value *args, size_t nargs, ds_rpc_receipt *rc);

/* hx_send, and on failure prints "<what>: <revert or error>" (hx_fail). Same returns. */
int hx_send_or_fail(hx_chain *c, const uint8_t from[20], const uint8_t to[20], const char *what,
                    const char *sig, const ds_abi_value *args, size_t nargs, ds_rpc_receipt *rc);

/* Describes a log against every loaded artifact's events (snprintf-like). */
size_t hx_describe_log(const hx_chain *c, const ds_rpc_log *log, int flags, char *out,
                       size_t cap);

/* The Anvil default accounts (eth_accounts): 0 or -1. */
int hx_accounts(hx_chain *c, uint8_t (*accts)[20], size_t cap, size_t *n);

#endif
