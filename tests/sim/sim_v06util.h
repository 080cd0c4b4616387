/* sim_v06util.h — what the --agent-version 0.6.0 suites share (test_sim_v06.c,
 * test_sim_v06_v1.c, test_sim_v06_worker.c): one 0.6.0 simulator per suite, started by the
 * cmocka group setup and stopped by its teardown, and two assertions.
 */
#ifndef SIM_V06UTIL_H
#define SIM_V06UTIL_H

#include <stdint.h>

#include "sim_testutil.h"

/* The suite's simulator: 0.6.0, appkeys.json (KMS root mode), --listen on a free port.
 * Valid between v06_setup and v06_teardown. */
extern ds_testsim *sim;
extern const char *S, *X; /* its dstack and external sockets */
extern int port;          /* its TCP listener */

/* cmocka group setup / teardown: start and stop the simulator above. Return 0, or -1
 * when it did not start or did not exit cleanly. */
int v06_setup(void **state);
int v06_teardown(void **state);

/* Asserts the status and the exact pretty-printed error body upstream sends. */
void want_error(const char *sock, const char *target, const char *json, int status,
                const char *msg);

/* The KMS root address GetMeta publishes, and the app id. */
void meta_root(const char *sock, uint8_t root_addr[20], uint8_t app_id[20]);

#endif
