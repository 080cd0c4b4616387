/* sim_identity.h — the default dev identity (appkeys.json + app-compose.json): where the
 * simulator finds it when no --config is given, and how it recognises the repository's
 * public test identity, whose keys are published and so need no file-mode warning.
 */
#ifndef SIM_IDENTITY_H
#define SIM_IDENTITY_H

#include <stddef.h>

#include "sim_config.h"

/* Directory of the installed default identity, relative to the directory of the running
 * executable: <prefix>/bin/dstack-simulator finds <prefix>/share/dstack-devkit/. */
#define SIM_IDENTITY_SHARE_REL "../share/dstack-devkit"

/* The config to read when no --config is given: "appkeys.json" when the working directory
 * has one, else the installed copy (<prefix>/share/dstack-devkit/appkeys.json, found from
 * /proc/self/exe) when it exists, else "appkeys.json" (so the "not found" message names the
 * usual place). Writes the path into out (cap bytes) and returns out. */
const char *sim_identity_default_config(char *out, size_t cap);

/* 1 when the keys c holds are exactly those of the repository's public test identity
 * (appkeys.json as shipped and installed): the KMS root key whose address is the published
 * test root, no static k256_key, and the shipped CA key or none. 0 for anything else. Call it
 * on the keys read from the config file, before command-line flags override them. */
int sim_identity_is_public(const sim_config *c);

#endif
