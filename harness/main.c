/* main.c — dstack-harness: the local test harness for dstack signature chains and the
 * contracts that check them. One subcommand per job; see `dstack-harness --help` and
 * docs/harness.md.
 */
#include <stdio.h>
#include <string.h>

#include <curl/curl.h>

#include "hx_cmd.h"
#include "hx_out.h"
#include "hx_proc.h"

static const char USAGE[] =
    "usage: dstack-harness [--state FILE] [--json] [--quiet] <command> [options]\n"
    "\n"
    "Local harness for dstack key signature chains: a chain (Anvil), simulators, the\n"
    "contracts, and the checks that turn \"my signature doesn't verify on chain\" into\n"
    "one command.\n"
    "\n"
    "commands:\n"
    "  up         start Anvil and a simulator, deploy the contracts, mint NFTs\n"
    "  down       stop everything `up` started\n"
    "  reboot     restart the simulated CVM with its current app-compose.json\n"
    "  boot-check would this CVM boot: the KMS's checks on chain, the verdict, the fix\n"
    "  status     show the deployment and whether it is running\n"
    "  cluster N  N simulated nodes register on chain with proofs; one mismatched node\n"
    "             falls back to basic registration\n"
    "  matrix     every variant of the mismatch catalogue through the C verifier and the\n"
    "             contract, side by side\n"
    "  diagnose   which format and root a foreign chain (or an appkeys.json) really has\n"
    "\n"
    "common options (before or after the command):\n"
    "  --state FILE   deployment file (default build/harness/deployment.json,\n"
    "                 or $DSTACK_HARNESS_STATE)\n"
    "  --json         one JSON document on stdout instead of tables (for CI)\n"
    "  --quiet        no progress lines on stderr\n"
    "\n"
    "Each command has --help. Exit status: 0 when everything expected held, 1 when a check\n"
    "failed or something could not be done, 2 for bad usage.\n";

int main(int argc, char **argv) {
    int i = 1;
    setvbuf(stdout, NULL, _IOLBF, 0); /* tables and progress lines interleave in order */
    curl_global_init(CURL_GLOBAL_DEFAULT);
    hx_proc_cleanup_on_signal();
    for (; i < argc && strncmp(argv[i], "--", 2) == 0; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            fputs(USAGE, stdout);
            return 0;
        }
        if (strcmp(argv[i], "--json") == 0)
            hx_common_opt('J', NULL);
        else if (strcmp(argv[i], "--quiet") == 0)
            hx_common_opt('Q', NULL);
        else if (strcmp(argv[i], "--state") == 0 && i + 1 < argc)
            hx_common_opt('S', argv[++i]);
        else if (strncmp(argv[i], "--state=", 8) == 0)
            hx_common_opt('S', argv[i] + 8);
        else {
            fprintf(stderr, "dstack-harness: unknown option %s (see dstack-harness --help)\n", argv[i]);
            return 2;
        }
    }
    if (i >= argc) {
        fputs(USAGE, stderr);
        return 2;
    }
    static const struct {
        const char *name;
        int (*fn)(int, char **);
    } cmds[] = {{"up", hx_cmd_up},           {"down", hx_cmd_down},       {"status", hx_cmd_status},
                {"cluster", hx_cmd_cluster}, {"matrix", hx_cmd_matrix}, {"diagnose", hx_cmd_diagnose},
                {"reboot", hx_cmd_reboot},   {"boot-check", hx_cmd_boot_check}};
    for (size_t k = 0; k < sizeof cmds / sizeof cmds[0]; k++) {
        if (strcmp(argv[i], cmds[k].name) == 0) {
            int rc = cmds[k].fn(argc - i, argv + i);
            curl_global_cleanup();
            return rc;
        }
    }
    if (strcmp(argv[i], "help") == 0) {
        fputs(USAGE, stdout);
        return 0;
    }
    fprintf(stderr, "dstack-harness: unknown command \"%s\" (see dstack-harness --help)\n", argv[i]);
    return 2;
}
