/* ds_rpc_internal.h — what ds_rpc.c shares with ds_rpc_batch.c (not a public API). */
#ifndef DS_RPC_INTERNAL_H
#define DS_RPC_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "ds_rpc.h"

/* POSTs text and returns the reply body (malloc'd) or NULL with r->err set and *rc the
 * error (DS_ERR_IO, DS_ERR_NOMEM). */
char *ds_rpc_post(ds_rpc *r, const char *text, ds_err *rc);

/* Whether a JSON-RPC error object is a revert (code 3, or "revert" in its message); its
 * revert data (error.data or error.data.data, when hex) into a malloc'd *data (NULL when
 * there is none). */
int ds_rpc_revert_of(const cJSON *err, uint8_t **data, size_t *len);

/* {"from", "to", "data", "value", "gas"} of a call or transaction (NULL / 0 are left out). */
cJSON *ds_rpc_tx_object(const uint8_t *from, const uint8_t *to, const uint8_t *data, size_t len,
                        uint64_t value, uint64_t gas);

#endif
