/* sim_kmsauth.h — --kms-auth: the simulator asks, as dstack's KMS does before GetAppKey,
 * whether this boot may have the app's keys (kms-governance.md §1–§3).
 *
 *   dev            every boot is allowed (the default; no BootInfo is sent anywhere)
 *   webhook:URL    POST URL/bootAuth/app with the BootInfo (sim_bootinfo.h); GET URL/ once
 *                  at start for the auth api's info
 *   contract:ADDR  eth_call DstackKms.isAppAllowed(AppBootInfo) at ADDR on --rpc
 *
 * The decision is taken at start (before the sockets open). While it is "denied" (or the
 * auth api could not be asked), every method that hands out or uses the app's keys asks
 * again — at most once a second, one check in flight shared by every worker — so fixing
 * the chain recovers without a restart; once allowed the decision holds until the
 * simulator restarts, as in a running CVM.
 *
 * Threads: sim_kmsauth_gate runs on worker threads. An allowed boot costs one atomic load.
 * Otherwise the worker whose request is due for a re-check asks itself, without holding
 * any lock during the call; key requests arriving meanwhile wait for that one answer on a
 * condition variable, never longer than the --kms-auth-timeout. Methods that do not touch
 * the keys never wait.
 */
#ifndef SIM_KMSAUTH_H
#define SIM_KMSAUTH_H

#include <stddef.h>

#include "ds_json.h"
#include "sim_state.h"

typedef struct sim_kmsauth sim_kmsauth;

/* Builds the BootInfo from st's boot event log and prepares the mode cfg names (call it
 * before runtime events are emitted or replayed). Returns NULL with a message in err. */
sim_kmsauth *sim_kmsauth_new(sim_state *st, const sim_config *cfg, char *err, size_t errcap);
void sim_kmsauth_free(sim_kmsauth *a);

/* Takes the decision of this boot (blocking, at most the timeout, plus the info request
 * of webhook mode) and reports it on stderr when keys will be refused. */
void sim_kmsauth_start(sim_kmsauth *a);

/* For a method that hands out or uses the app's keys. Returns 0 when the boot is
 * allowed; else -1 with the message the method must answer in err: "Boot denied:
 * <reason>" when the auth api said no, "App not allowed: <why>" when it could not be
 * asked (down, slow, garbage; the message names the api and the cause). */
int sim_kmsauth_gate(sim_kmsauth *a, char *err, size_t errcap);

/* Appends the state as a JSON object: {"mode","target","rpc","allowed","decided",
 * "reason","decided_at","checks","gateway_app_id","info","boot_info"} (sim_kmsauth.c). */
void sim_kmsauth_json(sim_kmsauth *a, ds_buf *out);

/* Appends the dstack_sim_kms_auth_* Prometheus series. */
void sim_kmsauth_prometheus(sim_kmsauth *a, ds_buf *out);

/* One line for the banner: "dev (every boot allowed)", or the mode, what it asks and the
 * decision ("contract 0x… on http://…: allowed", "webhook URL: Boot denied: …"). */
void sim_kmsauth_describe(sim_kmsauth *a, char *out, size_t cap);

/* "dev", "webhook" or "contract". */
const char *sim_kmsauth_mode_name(int mode);

#endif
