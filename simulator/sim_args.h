/* sim_args.h — a request's arguments (query string or JSON body) as a JSON object. */
#ifndef SIM_ARGS_H
#define SIM_ARGS_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "sim_http.h"

/* The arguments of req as a JSON object (never a non-object): the JSON body of a POST, or
 * the query string as an object of strings. Returns a new object (cJSON_Delete it), or
 * NULL with a message in err (malformed JSON or query, a non-JSON body, not an object). */
cJSON *sim_args_parse(const sim_http_request *req, char *err, size_t errcap);

#endif
