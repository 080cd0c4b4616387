/* vf_cli.h — command-line helpers shared by dstack-verify's two modes. */
#ifndef VF_CLI_H
#define VF_CLI_H

#include <stddef.h>
#include <stdint.h>

#include "vf.h"

/* Matches argv[*i] against "--name VALUE" or "--name=VALUE". Returns 1 (matched, *val
 * set, *i advanced past a separate value), 0 (not this option), -1 (value missing: err). */
int vf_arg(int argc, char **argv, int *i, const char *name, const char **val, char *err,
           size_t errcap);
int vf_flag(const char *arg, const char *name);
/* "0x" + 40 hex, or 40 hex. Returns 0 or -1. */
int vf_parse_address(const char *s, uint8_t out[20]);
/* A decimal integer ≥ min. Returns 0 or -1. */
int vf_parse_i64(const char *s, int64_t min, int64_t *out);
/* Options both modes take: --json, --endpoint, --root, --collateral, --accept-tcb, --now,
 * --timeout. Returns 1 (consumed), 0 (not one of them), -1 (bad value: err). */
int vf_common_opt(int argc, char **argv, int *i, vf_opts *o, char *err, size_t errcap);

#endif
