/* hx_state.h — the deployment file that `up` writes and every other subcommand reads
 * (default build/harness/deployment.json, or --state FILE / $DSTACK_HARNESS_STATE):
 * where the chain is, which processes `up` started (pid, port, socket, log), the KMS root
 * the contracts trust, the contract addresses and the minted tokens, and how the simulator
 * was started (its app id, --kms-auth, app-compose) so that `reboot` can start it again.
 */
#ifndef HX_STATE_H
#define HX_STATE_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define HX_MAX_TOKENS 128
#define HX_MAX_NODES 100        /* cluster N and up --nodes N: at most this many nodes */
#define HX_ANVIL_ACCOUNTS 110   /* unlocked accounts the harness starts Anvil with */

typedef struct {
    uint64_t id;
    uint8_t owner[20];
} hx_token;

typedef struct {
    char path[PATH_MAX];       /* the file itself (not stored in it) */
    char rpc_url[128];
    uint64_t chain_id;
    pid_t anvil_pid;           /* 0 when `up` attached to an existing chain */
    int anvil_port;
    char anvil_log[PATH_MAX];
    pid_t sim_pid;             /* 0 when `up` used an existing simulator */
    char sim_sock[PATH_MAX];
    char sim_log[PATH_MAX];
    char sim_config[PATH_MAX];
    char sim_compose[PATH_MAX]; /* --compose given to the simulator ("" = its config's) */
    char sim_kms_auth[96];     /* --kms-auth it runs with ("" = dev) */
    int sim_app_id;            /* started with --app-id <app_id> */
    char fork_url[256];        /* up --fork: the chain Anvil forked ("" = none) */
    int64_t fork_block;        /* up --fork-block N, or -1: the latest block */
    uint8_t kms_root[20];      /* as published by the simulator (GetMeta) */
    uint8_t kms_root_pub[33];
    uint8_t app_id[20];
    uint8_t compose_hash[32];
    uint8_t owner[20];         /* deployer: Anvil account 0 */
    uint8_t nft[20], kms[20], app[20]; /* kms, app: the proxies (app = the app id) */
    uint8_t kms_impl[20], app_impl[20]; /* their implementations (zero on a fork) */
    uint64_t deploy_block;
    int ntokens;
    hx_token tokens[HX_MAX_TOKENS];
} hx_state;

/* Default path: $DSTACK_HARNESS_STATE, else <repo>/build/harness/deployment.json, else
 * ./build/harness/deployment.json. */
void hx_state_default_path(char *out, size_t cap);

/* Reads path into s. Returns 0, 1 when the file does not exist (message says "no
 * deployment: run `dstack-harness up` first"), -1 when it is unreadable or malformed. */
int hx_state_load(const char *path, hx_state *s, char *err, size_t errcap);

/* Writes s to s->path (atomically: temp file + rename), creating its directory. */
int hx_state_save(const hx_state *s, char *err, size_t errcap);

#endif
