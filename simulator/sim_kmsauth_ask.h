/* sim_kmsauth_ask.h — the two ways the simulator asks whether its boot is allowed, each
 * one bounded call: the KMS's auth-api webhook (POST <url>/bootAuth/app, GET <url>/) and
 * an eth_call of DstackKms.isAppAllowed (kms-governance.md §2, §3). Thread-safe: every
 * call uses its own curl handle. Call curl_global_init once before the first.
 */
#ifndef SIM_KMSAUTH_ASK_H
#define SIM_KMSAUTH_ASK_H

#include <stddef.h>
#include <stdint.h>

#include "ds_json.h"

#define SIM_KMSAUTH_MAX_BODY (64u * 1024) /* largest auth api answer read */
#define SIM_KMSAUTH_SHORT_BODY 512        /* body bytes quoted in an error, as upstream */

typedef struct {
    int failed;        /* 1: no decision (the api is down, slow, or answered badly) */
    int allowed;       /* the decision (failed = 0) */
    char reason[1024]; /* the denial's reason, or the failure's message */
    char gateway_app_id[128];
} sim_kmsauth_answer;

/* POST <base>/bootAuth/app with boot_json; waits at most timeout_ms in all. Failures, in
 * upstream's words where it has them: "auth api <url> returned <status>: <body ≤512>",
 * "failed to decode response from <url>, status=…, body=…", and "auth api <url>: …" for a
 * refused connection, a timeout or an answer over SIM_KMSAUTH_MAX_BODY. */
void sim_kmsauth_ask_webhook(const char *base, const char *boot_json, long timeout_ms,
                             sim_kmsauth_answer *ans);

/* GET <base>/: the auth api's info object, appended to out as compact JSON. Returns 0, or
 * -1 with a message in err (same wording as sim_kmsauth_ask_webhook). */
int sim_kmsauth_get_info(const char *base, long timeout_ms, ds_buf *out, char *err, size_t errcap);

/* eth_call at "latest" of calldata (isAppAllowed(AppBootInfo)) to the DstackKms at kms on
 * the chain at rpc; decodes (bool, string). Failures name the chain or the contract. */
void sim_kmsauth_ask_contract(const char *rpc, const uint8_t kms[20], const uint8_t *calldata,
                              size_t len, long timeout_ms, sim_kmsauth_answer *ans);

#endif
