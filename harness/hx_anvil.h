/* hx_anvil.h — the local chain: start the pinned Anvil on a free loopback port, wait
 * until it answers JSON-RPC, stop it.
 */
#ifndef HX_ANVIL_H
#define HX_ANVIL_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

typedef struct {
    pid_t pid;
    int port;
    char url[64];          /* http://127.0.0.1:<port> */
    char bin[PATH_MAX];
    char log[PATH_MAX];
    uint64_t chain_id;
} hx_anvil;

/* The message for a missing Anvil (includes the fix). */
#define HX_ANVIL_MISSING                                                                   \
    "anvil not installed: run scripts/setup.sh (it installs the pinned Foundry tools from " \
    "npm into node_modules/), or point $ANVIL at an anvil binary"

/* Starts Anvil on 127.0.0.1:port (0: a free port; retried on another port if the chosen
 * one is taken meanwhile), output to log_path (NULL: discard), and waits up to 20 s for
 * eth_chainId. Returns 0, or -1 with a one-line message in err (not installed, exited
 * early with its log's last lines, never answered). */
int hx_anvil_start(hx_anvil *a, int port, const char *log_path, char *err, size_t errcap);

/* hx_anvil_start with extra Anvil arguments (NULL-terminated, at most 8; e.g.
 * "--fork-url", URL, "--fork-block-number", N). Same returns. */
int hx_anvil_start_args(hx_anvil *a, int port, const char *log_path, const char *const *extra, char *err,
                        size_t errcap);

/* Stops it (SIGTERM, wait, SIGKILL) if a->pid is set and is still that Anvil.
 * Returns 0 when no Anvil of ours is left running. */
int hx_anvil_stop(hx_anvil *a);

/* Whether url answers eth_chainId (chain id into *id, may be NULL). On failure err gets
 * ds_rpc's plain message. Returns 0 or -1. */
int hx_chain_ping(const char *url, uint64_t *id, char *err, size_t errcap);

#endif
