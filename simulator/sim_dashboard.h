/* sim_dashboard.h — the simulator's dashboard on its TCP listener (--listen): one
 * self-contained page and the small JSON document it polls.
 *
 *   GET /                      the page (simulator/dashboard.html, compiled in: no external
 *                              assets, works offline)
 *   GET /sim/dashboard.json    identity, the event log from an index on, the RTMR replay,
 *       ?events_from=N         the last quote decoded field by field and the key requests
 *       &keys_after=S          recorded after sequence number S (sim_recent.h)
 *
 * Neither ever holds key material: public keys, addresses, digests, signatures and the
 * quote only. Other methods get a JSON 405, malformed parameters a JSON 400.
 */
#ifndef SIM_DASHBOARD_H
#define SIM_DASHBOARD_H

#include <stddef.h>

#include "ds_json.h"
#include "sim_http.h"
#include "sim_state.h"

#define SIM_DASH_EVENTS_MAX 256 /* events per JSON answer; the page asks again for more */
#define SIM_DASH_KEYS_MAX 64    /* key requests per JSON answer */

/* The page (generated from simulator/dashboard.html by simulator/simulator.mk). */
extern const char SIM_DASHBOARD_HTML[];
extern const size_t SIM_DASHBOARD_HTML_LEN;

/* Answers the dashboard's paths. Returns 1 when req->path is one of them (status, body
 * and reply metadata filled), 0 otherwise (nothing touched). */
int sim_dashboard_route(sim_state *st, const sim_http_request *req, int *status, ds_buf *body);

/* Appends the JSON document for the given starting points (the body of
 * /sim/dashboard.json). Returns 0, or -1 on allocation failure. */
int sim_dashboard_json(sim_state *st, size_t events_from, uint64_t keys_after, ds_buf *out);

#endif
