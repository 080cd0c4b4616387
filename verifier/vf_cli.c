/* vf_cli.c — command-line helpers shared by both modes: "--name VALUE" / "--name=VALUE"
 * matching, and parsing of addresses, times and the common trust options.
 */
#include "vf_cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ds_hex.h"

int vf_arg(int argc, char **argv, int *i, const char *name, const char **val, char *err,
           size_t errcap) {
    const char *a = argv[*i];
    size_t n = strlen(name);
    if (strncmp(a, name, n) != 0) return 0;
    if (a[n] == '=') {
        *val = a + n + 1;
        return 1;
    }
    if (a[n] != '\0') return 0;
    if (*i + 1 >= argc) {
        snprintf(err, errcap, "%s needs a value", name);
        return -1;
    }
    *val = argv[++*i];
    return 1;
}

int vf_flag(const char *arg, const char *name) { return !strcmp(arg, name); }

int vf_parse_address(const char *s, uint8_t out[20]) {
    if (!s) return -1;
    size_t n = strlen(s);
    if (n == 42 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        s += 2;
        n -= 2;
    }
    if (n != 40) return -1;
    return ds_hex_decode_exact(s, n, out, 20) == DS_OK ? 0 : -1;
}

int vf_parse_i64(const char *s, int64_t min, int64_t *out) {
    if (!s || !*s) return -1;
    char *end;
    long long v = strtoll(s, &end, 10);
    if (*end || v < min) return -1;
    *out = (int64_t)v;
    return 0;
}

int vf_common_opt(int argc, char **argv, int *i, vf_opts *o, char *err, size_t errcap) {
    const char *v = NULL;
    int m;
    const char *a = argv[*i];
    if (vf_flag(a, "--json")) return o->json = 1;
    if ((m = vf_arg(argc, argv, i, "--endpoint", &v, err, errcap)) != 0) {
        if (m > 0) o->endpoint = v;
        return m;
    }
    if ((m = vf_arg(argc, argv, i, "--root", &v, err, errcap)) != 0) {
        if (m > 0) o->root_file = v;
        return m;
    }
    if ((m = vf_arg(argc, argv, i, "--collateral", &v, err, errcap)) != 0) {
        if (m > 0) o->collateral_file = v;
        return m;
    }
    if ((m = vf_arg(argc, argv, i, "--accept-tcb", &v, err, errcap)) != 0) {
        if (m > 0 && vf_tcb_parse_list(v, &o->accept_tcb, err, errcap) != DS_OK) return -1;
        return m;
    }
    if ((m = vf_arg(argc, argv, i, "--now", &v, err, errcap)) != 0) {
        if (m > 0 && vf_parse_i64(v, 0, &o->now) != 0) {
            snprintf(err, errcap, "--now: not a Unix time in seconds: %s", v);
            return -1;
        }
        return m;
    }
    if ((m = vf_arg(argc, argv, i, "--timeout", &v, err, errcap)) != 0) {
        int64_t t;
        if (m > 0 && (vf_parse_i64(v, 1, &t) != 0 || t > 3600)) {
            snprintf(err, errcap, "--timeout: not a number of seconds (1..3600): %s", v);
            return -1;
        }
        if (m > 0) o->timeout_ms = (long)t * 1000;
        return m;
    }
    return 0;
}
