/* ds_testsim.h — start a dstack-simulator on temporary sockets for a test, stop it after.
 *
 *   ds_testsim sim;
 *   const char *args[] = {"--config", "appkeys.json", NULL};
 *   if (ds_testsim_start(&sim, NULL, args) != DS_OK) abort();
 *   ... ds_client_new(sim.dstack_sock) ...
 *   int status = ds_testsim_stop(&sim);   // 0: exited cleanly and removed its sockets
 *
 * The binary is `binary`, else $DSTACK_SIMULATOR_BIN, else build/bin/dstack-simulator
 * (relative to the working directory: a source tree) when it exists, else
 * dstack-simulator from PATH (an installed one). A `binary` without a '/' is looked up
 * in PATH too. The simulator gets --dstack-sock and --tappd-sock in a fresh mkdtemp
 * directory plus the extra arguments (its external.sock lands beside them); its output
 * goes to a log file
 * there (printed to stderr when start-up fails). Ready = its dstack socket accepts a
 * connection (polled for up to 20 s, which covers sanitizer builds). The simulator gets
 * SIGTERM if the test process dies first (Linux PR_SET_PDEATHSIG), so a failing test never
 * leaves one running.
 */
#ifndef DS_TESTSIM_H
#define DS_TESTSIM_H

#include <sys/types.h>

#include "ds_err.h"

#define DS_TESTSIM_TREE_BIN "build/bin/dstack-simulator"

typedef struct {
    pid_t pid;
    char dir[256];
    char dstack_sock[300];
    char tappd_sock[300];
    char external_sock[300];  /* where the simulator's default puts its Worker API socket */
    char log_path[300];
} ds_testsim;

/* Returns DS_OK, or DS_ERR_IO when the simulator could not be started or never became
 * ready (it is then stopped and the directory removed). */
ds_err ds_testsim_start(ds_testsim *ts, const char *binary, const char *const *extra_args);

/* SIGTERM, wait (SIGKILL after 10 s), check the socket files are gone, remove the
 * directory. Returns 0 when the simulator exited with status 0 and removed its sockets,
 * its exit status (> 0) or 128+signal otherwise, -1 when it was not running. Prints the
 * simulator's log to stderr when the result is not 0. */
int ds_testsim_stop(ds_testsim *ts);

/* Prints the simulator's log so far to stderr (for failing tests). */
void ds_testsim_dump_log(const ds_testsim *ts);

#endif
