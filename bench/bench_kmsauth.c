/* bench_kmsauth.c — GetKey/new with `--kms-auth contract:` against dev mode: the boot
 * decision is taken once (then cached), so a key request should cost what it costs without
 * governance. A local Anvil gets the compiled DstackKms and DstackApp (contracts/out) behind
 * UUPS proxies as upstream deploys them, the app allowed for the simulator's compose hash
 * and OS image; then the same closed-loop load
 * (GetKey/new, 64 clients, keep-alive, all workers) alternates between a dev simulator and
 * a contract-mode one, three rounds each (the order swapped every round), and the best of
 * each is compared.
 */
#include "bench.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "ds_abi.h"
#include "ds_hex.h"
#include "ds_rpc.h"

#define ANVIL "node_modules/@foundry-rs/anvil-linux-amd64/bin/anvil"

/* Starts Anvil on a free loopback port; its pid, or -1 (note says why). */
static pid_t start_anvil(int *port, char *note, size_t cap) {
    if (access(ANVIL, X_OK) != 0) {
        snprintf(note, cap, "%s missing (scripts/setup.sh installs it)", ANVIL);
        return -1;
    }
    char logp[] = "build/bench/anvil.log";
    unlink(logp); /* a previous run's port must not be read */
    pid_t pid = fork();
    if (pid == 0) {
        if (!freopen(logp, "w", stdout) || !freopen(logp, "a", stderr)) _exit(126);
        execl(ANVIL, ANVIL, "--host", "127.0.0.1", "--port", "0", (char *)NULL);
        _exit(127);
    }
    for (int i = 0; pid > 0 && i < 400; i++) {
        FILE *f = fopen(logp, "r");
        char line[256];
        while (f && fgets(line, sizeof line, f)) {
            const char *at = strstr(line, "Listening on 127.0.0.1:");
            if (at && (*port = atoi(at + 23)) > 0) {
                fclose(f);
                return pid;
            }
        }
        if (f) fclose(f);
        usleep(25000);
    }
    if (pid > 0) {
        kill(pid, SIGTERM);
        waitpid(pid, NULL, 0);
    }
    snprintf(note, cap, "anvil did not start (see %s)", logp);
    return -1;
}

/* The creation bytecode of contracts/out/NAME.sol/NAME.json (malloc'd), or NULL. */
static uint8_t *bytecode(const char *name, size_t *len) {
    char path[256];
    snprintf(path, sizeof path, "contracts/out/%s.sol/%s.json", name, name);
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    ds_buf b;
    ds_buf_init(&b);
    char chunk[65536];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        ds_buf_append(&b, chunk, n);
    fclose(f);
    cJSON *j = b.oom ? NULL : cJSON_ParseWithLength(b.data, b.len);
    ds_buf_free(&b);
    const cJSON *bc = cJSON_GetObjectItemCaseSensitive(j, "bytecode");
    const cJSON *obj = cJSON_GetObjectItemCaseSensitive(bc, "object");
    uint8_t *out = NULL;
    if (cJSON_IsString(obj) && ds_rpc_data_alloc(obj, &out, len) != DS_OK) out = NULL;
    cJSON_Delete(j);
    return out;
}

/* Creates NAME (constructor arguments: the encoded tuple args, or none when NULL); 0 with
 * its address, or -1. */
static int create(ds_rpc *rpc, const uint8_t from[20], const char *name, const ds_abi_value *args,
                  uint8_t addr[20]) {
    size_t code_len, alen = args ? ds_abi_encoded_size(args) : 0, used = 0;
    uint8_t *code = bytecode(name, &code_len);
    if (!code) return -1;
    uint8_t *data = malloc(code_len + alen + 1);
    int rc = -1;
    if (data) {
        memcpy(data, code, code_len);
        if (!args || ds_abi_encode(args, data + code_len, alen, &used) == DS_OK) {
            ds_rpc_tx tx = {.from = from, .data = data, .len = code_len + used};
            ds_rpc_receipt r;
            if (ds_rpc_transact(rpc, &tx, &r) == DS_OK) {
                if (r.has_contract) {
                    memcpy(addr, r.contract, 20);
                    rc = 0;
                }
                ds_rpc_receipt_free(&r);
            }
        }
    }
    free(data);
    free(code);
    return rc;
}

/* An ERC1967 (UUPS) proxy of impl, initialised by init(args), as upstream deploys. */
static int proxy(ds_rpc *rpc, const uint8_t from[20], const uint8_t impl[20], const char *init,
                 const ds_abi_value *args, size_t nargs, uint8_t addr[20]) {
    uint8_t call[512];
    size_t len = 0;
    if (ds_abi_encode_call(init, args, nargs, call, sizeof call, &len) != DS_OK) return -1;
    ds_abi_value pa[2] = {ds_abi_address(impl), ds_abi_bytes(call, len)};
    ds_abi_value t = ds_abi_tuple(pa, 2);
    return create(rpc, from, "ERC1967Proxy", &t, addr);
}

static int send_call(ds_rpc *rpc, const uint8_t from[20], const uint8_t to[20], const char *sig,
                     ds_abi_value arg) {
    uint8_t data[128];
    size_t len = 0;
    if (ds_abi_encode_call(sig, &arg, 1, data, sizeof data, &len) != DS_OK) return -1;
    ds_rpc_tx tx = {.from = from, .to = to, .data = data, .len = len};
    ds_rpc_receipt r;
    if (ds_rpc_transact(rpc, &tx, &r) != DS_OK) return -1;
    ds_rpc_receipt_free(&r);
    return 0;
}

/* A 32-byte hex member of GetMeta's kms_auth.boot_info. */
static int boot_field(const char *meta, const char *name, uint8_t out[32]) {
    cJSON *j = cJSON_Parse(meta ? meta : "");
    const cJSON *bi = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(j, "kms_auth"), "boot_info");
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(bi, name);
    int rc = cJSON_IsString(v) &&
                     ds_hex_decode_exact(v->valuestring, strlen(v->valuestring), out, 32) == DS_OK
                 ? 0
                 : -1;
    cJSON_Delete(j);
    return rc;
}

/* One load; *rps = req/s, *per_core = requests per second of the simulator's own CPU time
 * (which holds up when other jobs share the machine). 0, or -1. */
static int load(const bench_sim *s, double seconds, double *rps, double *per_core) {
    bench_load_cfg lc = {.sock = s->sock,
                         .path = "/GetKey",
                         .body = "{\"path\":\"bench/%N\",\"purpose\":\"signing\","
                                 "\"algorithm\":\"secp256k1\"}",
                         .clients = 64,
                         .keepalive = 1,
                         .seconds = seconds,
                         .warm_seconds = 0.3,
                         .server_pid = s->pid};
    bench_load_result res;
    if (bench_load_run(&lc, &res) != 0 || res.failed || res.server_cpu_sec <= 0) return -1;
    *rps = res.req_per_sec;
    *per_core = (double)res.ok / res.server_cpu_sec;
    return 0;
}

static void keep_best(double rps, double per_core, double *best_rps, double *best_core) {
    if (rps > *best_rps) *best_rps = rps;
    if (per_core > *best_core) *best_core = per_core;
}

void bench_kmsauth_run(bench_kmsauth *k, const char *sim_bin, const char *config, int workers,
                       double seconds) {
    memset(k, 0, sizeof *k);
    int port = 0;
    pid_t anvil = start_anvil(&port, k->note, sizeof k->note);
    if (anvil < 0) return;
    char url[64], w[16], kms_arg[64], app_hex[41], err[512];
    snprintf(url, sizeof url, "http://127.0.0.1:%d", port);
    snprintf(w, sizeof w, "%d", workers);
    ds_rpc rpc;
    uint8_t acct[1][20] = {{0}}, kms[20], app[20], zero[32] = {0}, os[32], ch[32];
    size_t n = 0;
    bench_sim dev, gov;
    memset(&dev, 0, sizeof dev);
    memset(&gov, 0, sizeof gov);
    int ok = ds_rpc_open(&rpc, url) == DS_OK;
    for (int i = 0; ok && i < 100 && ds_rpc_accounts(&rpc, acct, 1, &n) != DS_OK; i++)
        usleep(50000);
    ds_abi_value owner = ds_abi_address(acct[0]);
    uint8_t kms_impl[20], app_impl[20];
    int deployed = ok && n > 0 && create(&rpc, acct[0], "DstackApp", NULL, app_impl) == 0 &&
                   create(&rpc, acct[0], "DstackKms", NULL, kms_impl) == 0;
    if (deployed) { /* the proxies, once the implementations' addresses are known */
        ds_abi_value kms_init[2] = {owner, ds_abi_address(app_impl)};
        ds_abi_value app_init[6] = {
            owner,          ds_abi_bool(0),          ds_abi_bool(0),
            ds_abi_bool(1), ds_abi_fbytes(zero, 32), ds_abi_fbytes(zero, 32)};
        deployed =
            proxy(&rpc, acct[0], kms_impl, "initialize(address,address)", kms_init, 2, kms) == 0 &&
            proxy(&rpc, acct[0], app_impl, "initialize(address,bool,bool,bool,bytes32,bytes32)",
                  app_init, 6, app) == 0;
    }
    if (!deployed) {
        snprintf(k->note, sizeof k->note,
                 "deploying DstackKms and DstackApp failed (%s; are contracts/out built? make "
                 "contracts)",
                 ds_rpc_error(&rpc));
        goto out;
    }
    snprintf(kms_arg, sizeof kms_arg, "contract:0x%s", ds_hex_encode(kms, 20, app_hex));
    ds_hex_encode(app, 20, app_hex);
    const char *gov_args[] = {"--workers", w,          "--kms-auth", kms_arg, "--rpc",
                              url,         "--app-id", app_hex,      NULL};
    const char *dev_args[] = {"--workers", w, NULL};
    if (bench_sim_start(&gov, sim_bin, config, gov_args, err, sizeof err) != 0) {
        snprintf(k->note, sizeof k->note, "%.250s", err);
        goto out;
    }
    int st = 0;
    size_t bl;
    char *meta = bench_request(gov.sock, "POST", "/GetMeta", "{}", &st, &bl);
    int fields =
        boot_field(meta, "osImageHash", os) == 0 && boot_field(meta, "composeHash", ch) == 0;
    free(meta);
    if (!fields || send_call(&rpc, acct[0], kms, "registerApp(address)", ds_abi_address(app)) ||
        send_call(&rpc, acct[0], kms, "addOsImageHash(bytes32)", ds_abi_fbytes(os, 32)) ||
        send_call(&rpc, acct[0], app, "addComposeHash(bytes32)", ds_abi_fbytes(ch, 32))) {
        snprintf(k->note, sizeof k->note, "allowing the app on chain failed: %s",
                 ds_rpc_error(&rpc));
        goto out;
    }
    usleep(1100 * 1000); /* the denied boot is asked again after a second */
    char *key = bench_request(gov.sock, "POST", "/GetKey", "{\"path\":\"x\"}", &st, &bl);
    free(key);
    if (st != 200) {
        snprintf(k->note, sizeof k->note,
                 "the contract-mode simulator was not allowed (GetKey "
                 "HTTP %d)",
                 st);
        goto out;
    }
    if (bench_sim_start(&dev, sim_bin, config, dev_args, err, sizeof err) != 0) {
        snprintf(k->note, sizeof k->note, "%.250s", err);
        goto out;
    }
    int failed = 0;
    for (int round = 0; round < 3; round++) { /* alternate (order too), best of each */
        for (int turn = 0; turn < 2; turn++) {
            int contract = (round + turn) % 2;
            double rps = 0, core = 0;
            if (load(contract ? &gov : &dev, seconds, &rps, &core))
                failed = 1;
            else if (contract)
                keep_best(rps, core, &k->contract_rps, &k->contract_core);
            else
                keep_best(rps, core, &k->dev_rps, &k->dev_core);
        }
    }
    if (!failed && k->dev_core > 0 && k->contract_core > 0) {
        k->measured = 1;
        k->ratio = k->contract_core / k->dev_core;
        k->workers = workers;
        snprintf(k->note, sizeof k->note,
                 "GetKey/new, 64 clients, keep-alive, --workers %d; "
                 "Anvil at %s, the app allowed (decision cached after one check)",
                 workers, url);
    } else {
        snprintf(k->note, sizeof k->note, "a load run failed");
    }
out:
    if (dev.pid) bench_sim_stop(&dev);
    if (gov.pid) bench_sim_stop(&gov);
    free(dev.log);
    free(gov.log);
    ds_rpc_close(&rpc);
    kill(anvil, SIGTERM);
    waitpid(anvil, NULL, 0);
}
