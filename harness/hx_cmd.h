/* hx_cmd.h — what every subcommand shares: the common options (--state, --json,
 * --quiet, --help), opening the deployment (state file + chain + artifacts, with plain
 * messages when any is missing), and the subcommand entry points.
 */
#ifndef HX_CMD_H
#define HX_CMD_H

#include <getopt.h>
#include <limits.h>

#include "hx_chain.h"
#include "hx_state.h"

extern char hx_state_path[PATH_MAX];

/* Long options every subcommand accepts; append after its own (terminate with {0}). */
#define HX_COMMON_LONGOPTS                                                                 \
    {"state", required_argument, 0, 'S'}, {"json", no_argument, 0, 'J'},                   \
        {"quiet", no_argument, 0, 'Q'}, {"help", no_argument, 0, 'h'}

/* Handles a common option returned by getopt_long. Returns 1 when handled. */
int hx_common_opt(int c, const char *arg);

/* Reports an unknown option / stray argument: prints the usage hint, returns 2. */
int hx_usage_error(const char *cmd, const char *what);

typedef struct {
    hx_state st;
    hx_chain ch;
    int chain_open;
} hx_ctx;

/* Loads the deployment file, connects to its chain (checking it answers and still holds
 * the contracts) and loads the artifacts. Returns 0, or -1 after printing the reason. */
int hx_ctx_open(hx_ctx *x);
void hx_ctx_close(hx_ctx *x);

/* bytes32 holding a 20-byte value right-padded (the contracts' app id convention). */
void hx_pad32(const uint8_t in20[20], uint8_t out[32]);

/* The deployment as a table on stdout under title / as JSON (the deployment file plus
 * "ok" and "state_file"). */
void hx_state_print(const hx_state *s, const char *title);
void hx_state_emit_json(const hx_state *s, int ok);

int hx_cmd_up(int argc, char **argv);
int hx_cmd_down(int argc, char **argv);
int hx_cmd_status(int argc, char **argv);
int hx_cmd_cluster(int argc, char **argv);
int hx_cmd_matrix(int argc, char **argv);
int hx_cmd_diagnose(int argc, char **argv);
int hx_cmd_reboot(int argc, char **argv);
int hx_cmd_boot_check(int argc, char **argv);

#endif
