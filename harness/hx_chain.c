/* hx_chain.c — artifacts, deployment, calls and transactions with decoded reverts (see
 * hx_chain.h).
 */
#include "hx_chain.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ds_hex.h"
#include "hx_out.h"
#include "hx_proc.h"

static const char *NAMES[HX_NART] = {"DstackMembershipNFT", "DstackKms", "DstackApp", "ERC1967Proxy"};

const char *hx_artifact_name(hx_artifact_id id) { return id < HX_NART ? NAMES[id] : "?"; }

int hx_chain_open(hx_chain *c, const char *url) {
    memset(c, 0, sizeof *c);
    c->errs.defs = c->defs;
    c->errs.cap = sizeof c->defs / sizeof c->defs[0];
    if (hx_repo_root(c->repo, sizeof c->repo) != 0) HX_SET(c->repo, ".");
    if (ds_rpc_open(&c->rpc, url) != DS_OK) {
        HX_SET(c->err, "%s", ds_rpc_error(&c->rpc));
        return -1;
    }
    return 0;
}

void hx_chain_close(hx_chain *c) {
    ds_rpc_close(&c->rpc);
    for (int i = 0; i < HX_NART; i++) cJSON_Delete(c->art[i]);
    free(c->ret);
    memset(c->art, 0, sizeof c->art);
    c->ret = NULL;
}

static void artifact_path(const hx_chain *c, int i, char *out, size_t cap) {
    hx_setf(out, cap, "%s/contracts/out/%s.sol/%s.json", c->repo, NAMES[i], NAMES[i]);
}

/* Runs `forge build` in contracts/; 0 on success. */
static int forge_build(hx_chain *c) {
    char forge[PATH_MAX], dir[PATH_MAX + 16], log[PATH_MAX + 32], tail[800];
    if (hx_find_tool("forge", "FORGE", forge, sizeof forge) != 0) {
        snprintf(c->err, sizeof c->err,
                 "the contracts are not compiled and forge is not installed: run scripts/setup.sh");
        return -1;
    }
    HX_SET(dir, "%s/contracts", c->repo);
    HX_SET(log, "%s/build/harness", c->repo);
    mkdir(log, 0755);
    HX_SET(log, "%s/build/harness/forge.log", c->repo);
    hx_progress("compiling the contracts (forge build in %s)", dir);
    pid_t pid = fork();
    if (pid == 0) {
        if (chdir(dir) != 0) _exit(126);
        FILE *lf = freopen(log, "w", stdout);
        if (lf == NULL || dup2(fileno(stdout), 2) < 0) _exit(126);
        execl(forge, forge, "build", (char *)NULL);
        _exit(127);
    }
    int st = 0;
    if (pid < 0 || waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
        HX_SET(c->err, "forge build failed (see %s): %s", log,
                 hx_log_tail(log, tail, sizeof tail));
        return -1;
    }
    return 0;
}

int hx_chain_load_artifacts(hx_chain *c, int build) {
    char path[PATH_MAX * 2];
    struct stat st;
    for (int i = 0; i < HX_NART && build; i++) {
        artifact_path(c, i, path, sizeof path);
        if (stat(path, &st) != 0) {
            if (forge_build(c) != 0) return -1;
            break;
        }
    }
    for (int i = 0; i < HX_NART; i++) {
        artifact_path(c, i, path, sizeof path);
        char *text = hx_read_file(path, (size_t)LONG_MAX, NULL);
        if (text == NULL) {
            HX_SET(c->err, "cannot read %s: %s (run `forge build` in contracts/)", path,
                     strerror(errno));
            return -1;
        }
        c->art[i] = cJSON_Parse(text);
        free(text);
        const cJSON *abi = cJSON_GetObjectItemCaseSensitive(c->art[i], "abi");
        if (!cJSON_IsArray(abi) || ds_abi_errors_add_abi(&c->errs, abi, NAMES[i]) != DS_OK) {
            HX_SET(c->err, "%s is not a Foundry artifact with an ABI", path);
            return -1;
        }
    }
    return 0;
}

/* Sets c->revert from the last revert data kept by the RPC client (or given). */
static void take_revert(hx_chain *c, const uint8_t *data, size_t len) {
    ds_abi_revert_describe(data, len, &c->errs, 0, c->revert, sizeof c->revert);
}

int hx_deploy(hx_chain *c, hx_artifact_id id, const uint8_t from[20], const ds_abi_value *args,
              size_t nargs, uint8_t addr[20], uint64_t *block) {
    const cJSON *bc = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(c->art[id], "bytecode"), "object");
    const cJSON *ctor = ds_abi_find(cJSON_GetObjectItemCaseSensitive(c->art[id], "abi"), "constructor", NULL);
    char sig[DS_ABI_SIG_MAX] = "constructor()";
    ds_abi_types t;
    if (!cJSON_IsString(bc)) {
        HX_SET(c->err, "%s artifact has no bytecode", NAMES[id]);
        return -1;
    }
    if (ctor != NULL && ds_abi_item_sig(ctor, sig, sizeof sig, NULL, 0, NULL, 0) != DS_OK) {
        HX_SET(c->err, "%s: unreadable constructor ABI", NAMES[id]);
        return -1;
    }
    ds_abi_value tuple = ds_abi_tuple(args, nargs);
    if (ds_abi_parse(sig, strlen(sig), &t, NULL) != DS_OK || ds_abi_check(&t, t.root, &tuple) != DS_OK) {
        HX_SET(c->err, "%s: constructor arguments do not match %s", NAMES[id], sig);
        return -1;
    }
    size_t hexlen = strlen(bc->valuestring);
    long code_len = ds_hex_decoded_len(bc->valuestring, hexlen);
    size_t args_len = ds_abi_encoded_size(&tuple), n = 0;
    if (code_len <= 0) {
        HX_SET(c->err, "%s: bytecode is empty or not hex (unlinked library?)", NAMES[id]);
        return -1;
    }
    uint8_t *init = malloc((size_t)code_len + args_len);
    if (init == NULL) return -1;
    ds_hex_decode(bc->valuestring, hexlen, init, (size_t)code_len, &n);
    ds_abi_encode(&tuple, init + code_len, args_len, &n);
    ds_rpc_tx tx = {.from = from, .to = NULL, .data = init, .len = (size_t)code_len + args_len};
    ds_rpc_receipt rc;
    ds_err e = ds_rpc_transact(&c->rpc, &tx, &rc);
    free(init);
    if (e != DS_OK || !rc.has_contract) {
        HX_SET(c->err, "deploying %s: %s", NAMES[id],
                 e != DS_OK ? ds_rpc_error(&c->rpc) : "no contract address in the receipt");
        if (e == DS_OK) ds_rpc_receipt_free(&rc);
        return -1;
    }
    memcpy(addr, rc.contract, 20);
    if (block) *block = rc.block;
    ds_rpc_receipt_free(&rc);
    return 0;
}

/* selector ‖ args into a fresh buffer. */
static uint8_t *calldata(hx_chain *c, const char *sig, const ds_abi_value *args, size_t nargs,
                         size_t *len) {
    ds_err e = ds_abi_encode_call(sig, args, nargs, NULL, 0, len);
    if (e != DS_OK) {
        HX_SET(c->err, "%s: %s", sig,
                 e == DS_ERR_PARSE ? "not a valid signature" : "arguments do not match the signature");
        return NULL;
    }
    uint8_t *buf = malloc(*len);
    if (buf != NULL) ds_abi_encode_call(sig, args, nargs, buf, *len, len);
    return buf;
}

int hx_call(hx_chain *c, const uint8_t *from, const uint8_t to[20], const char *sig,
            const ds_abi_value *args, size_t nargs, const char *out_types, ds_abi_value *pool,
            size_t pool_cap) {
    size_t len, used;
    ds_rpc_call_result r;
    c->revert[0] = c->err[0] = '\0';
    uint8_t *cd = calldata(c, sig, args, nargs, &len);
    if (cd == NULL) return -1;
    ds_err e = ds_rpc_eth_call(&c->rpc, from, to, cd, len, &r);
    free(cd);
    if (e != DS_OK) {
        HX_SET(c->err, "%s", ds_rpc_error(&c->rpc));
        return -1;
    }
    free(c->ret);
    c->ret = r.data;
    c->ret_len = r.len;
    if (r.reverted) {
        take_revert(c, r.data, r.len);
        return 1;
    }
    if (out_types == NULL) return 0;
    ds_abi_types t;
    if (ds_abi_parse(out_types, strlen(out_types), &t, NULL) != DS_OK ||
        ds_abi_decode(&t, c->ret, c->ret_len, pool, pool_cap, &used) != DS_OK) {
        HX_SET(c->err, "%s returned %zu bytes that do not decode as %s%s", sig,
                 c->ret_len, out_types, c->ret_len == 0 ? " (is there a contract at that address?)" : "");
        return -1;
    }
    return 0;
}

int hx_send(hx_chain *c, const uint8_t from[20], const uint8_t to[20], const char *sig,
            const ds_abi_value *args, size_t nargs, ds_rpc_receipt *rc) {
    size_t len;
    ds_rpc_receipt local;
    c->revert[0] = c->err[0] = '\0';
    uint8_t *cd = calldata(c, sig, args, nargs, &len);
    if (cd == NULL) return -1;
    ds_rpc_tx tx = {.from = from, .to = to, .data = cd, .len = len};
    ds_err e = ds_rpc_transact(&c->rpc, &tx, rc ? rc : &local);
    free(cd);
    if (e == DS_ERR_VERIFY && c->rpc.have_revert) {
        take_revert(c, c->rpc.revert, c->rpc.revert_len);
        if (c->rpc.revert == NULL && strstr(ds_rpc_error(&c->rpc), "status 0") != NULL)
            HX_SET(c->revert, "%s", ds_rpc_error(&c->rpc));
        return 1;
    }
    if (e != DS_OK) {
        HX_SET(c->err, "%s: %s", sig, ds_rpc_error(&c->rpc));
        return -1;
    }
    if (rc == NULL) ds_rpc_receipt_free(&local);
    return 0;
}

int hx_send_or_fail(hx_chain *c, const uint8_t from[20], const uint8_t to[20], const char *what,
                    const char *sig, const ds_abi_value *args, size_t nargs, ds_rpc_receipt *rc) {
    int r = hx_send(c, from, to, sig, args, nargs, rc);
    if (r != 0) hx_fail("%s: %s", what, r == 1 ? c->revert : c->err);
    return r;
}

size_t hx_describe_log(const hx_chain *c, const ds_rpc_log *log, int flags, char *out,
                       size_t cap) {
    for (int i = 0; i < HX_NART; i++) {
        const cJSON *abi = cJSON_GetObjectItemCaseSensitive(c->art[i], "abi");
        size_t n = ds_abi_log_describe(abi, (const uint8_t(*)[32])log->topics, log->ntopics,
                                       log->data, log->len, flags, out, cap);
        if (cap == 0 || strncmp(out, "unknown event", 13) != 0) {
            if (!(flags & DS_ABI_FMT_JSON) || strncmp(out, "{\"event\":null", 13) != 0) return n;
        }
    }
    return ds_abi_log_describe(NULL, (const uint8_t(*)[32])log->topics, log->ntopics, log->data,
                               log->len, flags, out, cap);
}

int hx_accounts(hx_chain *c, uint8_t (*accts)[20], size_t cap, size_t *n) {
    if (ds_rpc_accounts(&c->rpc, accts, cap, n) != DS_OK) {
        HX_SET(c->err, "%s", ds_rpc_error(&c->rpc));
        return -1;
    }
    return 0;
}
