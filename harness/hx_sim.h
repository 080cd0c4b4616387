/* hx_sim.h — running dstack-simulator instances for the harness: on a socket in a given
 * or a fresh temporary directory, with extra flags (instance seed, mismatch mode, KMS
 * root key), ready when GetMeta answers; stopped with SIGTERM, reaped, socket and
 * temporary directory removed.
 */
#ifndef HX_SIM_H
#define HX_SIM_H

#include <limits.h>
#include <stddef.h>
#include <sys/types.h>

#include "ds_client.h"

typedef struct {
    pid_t pid;
    int own_dir;              /* dir is a mkdtemp directory we remove */
    char dir[PATH_MAX];
    char sock[PATH_MAX + 16];
    char log[PATH_MAX + 16];
    char bin[PATH_MAX];
    ds_meta_result meta;      /* GetMeta at start-up */
} hx_sim;

#define HX_SIM_MISSING                                                                 \
    "dstack-simulator not built: run `make` (or point $DSTACK_SIMULATOR_BIN at it)"

/* Default config: <repo>/appkeys.json. */
void hx_sim_default_config(char *out, size_t cap);

/* Starts the simulator with --config config --dstack-sock <dir>/dstack.sock
 * --tappd-sock "" --quiet plus extra (NULL-terminated, may be NULL). dir NULL → a fresh
 * /tmp/dstack-harness-XXXXXX. Waits up to 20 s for GetMeta. Returns 0, or -1 with a
 * message (including the simulator's log tail) in err. */
int hx_sim_start(hx_sim *s, const char *dir, const char *config, const char *const *extra,
                 char *err, size_t errcap);

/* Stops it: SIGTERM, wait, SIGKILL if needed, remove a socket it left, remove our temp
 * directory. Returns 0 when it exited by itself and removed its socket, 1 when something
 * had to be forced or cleaned up after it, -1 when it could not be stopped. */
int hx_sim_stop(hx_sim *s);

/* Stops a simulator recorded by pid and socket (from the deployment file): only when that
 * pid still runs dstack-simulator with that socket. Removes the socket if left behind.
 * Returns 0 when nothing of it is left. */
int hx_sim_stop_recorded(pid_t pid, const char *sock);

/* Copies the directory of a simulator socket path (everything before its last '/') into
 * out. Returns 0, or -1 when sock has no '/' (out then holds sock itself). */
int hx_sim_dir(const char *sock, char *out, size_t cap);

/* A client for a socket (ds_client_new, with a 10 s timeout). */
ds_client *hx_sim_client(const char *sock);

#endif
