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
 * /proc/self/exe) when it exists. Writes the path into out (cap bytes) and returns out;
 * returns NULL when there is neither (the caller then uses the built-in identity). */
const char *sim_identity_default_config(char *out, size_t cap);

/* The name the banner shows as the config of the built-in identity. */
#define SIM_IDENTITY_BUILTIN "built-in"

/* Loads the built-in identity into c: the repository's appkeys.json and app-compose.json as
 * they were at build time (compiled in by simulator/simulator.mk), read exactly as those
 * files would be. c->config_path becomes SIM_IDENTITY_BUILTIN and c->config_dir NULL.
 * Returns 0, or -1 with a message in err. */
int sim_identity_load_builtin(sim_config *c, char *err, size_t errcap);

/* The bytes of a file the built-in identity names by a relative path (its "app_compose":
 * "app-compose.json"): sets *len and returns the NUL-terminated text, or returns NULL when
 * no such file is built in. */
const char *sim_identity_builtin_file(const char *name, size_t *len);

/* 1 when the keys c holds are exactly those of the repository's public test identity
 * (appkeys.json as shipped and installed): the KMS root key whose address is the published
 * test root, no static k256_key, and the shipped CA key or none. 0 for anything else. Call it
 * on the keys read from the config file, before command-line flags override them. */
int sim_identity_is_public(const sim_config *c);

#endif
