/* sim_limits.c — connection limit, strict request text, key-file permissions, open-file
 * limit, wiping (see sim_limits.h).
 */
#include "sim_limits.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>

void sim_connlimit_init(sim_connlimit *l, int max) {
    l->max = max > 0 ? max : SIM_DEFAULT_MAX_CONNECTIONS;
    l->max_refusing = l->max / 4 + 16;
    atomic_init(&l->active, 0);
    atomic_init(&l->refusing, 0);
    atomic_init(&l->refused, 0);
    atomic_init(&l->dropped, 0);
}

sim_conn_verdict sim_connlimit_admit(sim_connlimit *l) {
    if (atomic_fetch_add(&l->active, 1) < l->max) return SIM_CONN_SERVE;
    atomic_fetch_sub(&l->active, 1);
    if (atomic_fetch_add(&l->refusing, 1) < l->max_refusing) {
        atomic_fetch_add(&l->refused, 1);
        return SIM_CONN_REFUSE;
    }
    atomic_fetch_sub(&l->refusing, 1);
    atomic_fetch_add(&l->dropped, 1);
    return SIM_CONN_DROP;
}

void sim_connlimit_release(sim_connlimit *l, sim_conn_verdict v) {
    if (v == SIM_CONN_SERVE) atomic_fetch_sub(&l->active, 1);
    else if (v == SIM_CONN_REFUSE) atomic_fetch_sub(&l->refusing, 1);
}

int sim_connlimit_open(sim_connlimit *l) {
    return atomic_load(&l->active) + atomic_load(&l->refusing);
}

long sim_raise_nofile(long want) {
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0) return 1024;
    if (rl.rlim_cur != RLIM_INFINITY && (long)rl.rlim_cur < want) {
        rlim_t n = (rlim_t)want;
        if (rl.rlim_max != RLIM_INFINITY && n > rl.rlim_max) n = rl.rlim_max;
        struct rlimit nr = {n, rl.rlim_max};
        if (setrlimit(RLIMIT_NOFILE, &nr) == 0) rl.rlim_cur = n;
    }
    return rl.rlim_cur == RLIM_INFINITY ? want : (long)rl.rlim_cur;
}

long sim_utf8_check(const uint8_t *s, size_t n, int forbid_nul) {
    size_t i = 0;
    while (i < n) {
        uint8_t c = s[i];
        if (c < 0x80) {
            if (c == 0 && forbid_nul) return (long)i;
            i++;
            continue;
        }
        size_t len = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc2 ? 2 : 0;
        if (!len || c > 0xf4 || len > n - i) return (long)i;
        for (size_t k = 1; k < len; k++)
            if ((s[i + k] & 0xc0) != 0x80) return (long)i;
        if ((c == 0xe0 && s[i + 1] < 0xa0) ||  /* overlong 3-byte */
            (c == 0xed && s[i + 1] >= 0xa0) || /* UTF-16 surrogates */
            (c == 0xf0 && s[i + 1] < 0x90) ||  /* overlong 4-byte */
            (c == 0xf4 && s[i + 1] >= 0x90))   /* above U+10FFFF */
            return (long)i;
        i += len;
    }
    return -1;
}

int sim_json_text_check(const uint8_t *s, size_t n, char *err, size_t errcap) {
    long bad = sim_utf8_check(s, n, 0);
    if (bad >= 0) {
        snprintf(err, errcap, "Invalid request body: not valid UTF-8 (byte %ld)", bad);
        return -1;
    }
    int depth = 0, in_str = 0;
    for (size_t i = 0; i < n; i++) {
        uint8_t c = s[i];
        if (in_str) {
            if (c == '\\' && i + 1 < n && s[i + 1] < 0x20) {
                c = s[++i]; /* an escaped raw control character is still a raw one */
            } else if (c == '\\') {
                if (n - i >= 6 && !memcmp(s + i + 1, "u0000", 5)) {
                    snprintf(err, errcap, "Invalid request body: NUL characters (\\u0000) in "
                                          "strings are not supported (byte %zu)", i);
                    return -1;
                }
                i++; /* the escaped character, whatever it is */
                continue;
            }
            if (c == '"') {
                in_str = 0;
            } else if (c < 0x20) {
                snprintf(err, errcap, "Invalid JSON in the request body: %s in a string "
                                      "(byte %zu)", c ? "unescaped control character" : "NUL byte", i);
                return -1;
            }
            continue;
        }
        if (c == '"') {
            in_str = 1;
        } else if (c == '[' || c == '{') {
            if (++depth > SIM_MAX_JSON_DEPTH) {
                snprintf(err, errcap, "Invalid JSON in the request body: nested deeper than %d "
                                      "levels (byte %zu)", SIM_MAX_JSON_DEPTH, i);
                return -1;
            }
        } else if (c == ']' || c == '}') {
            if (depth > 0) depth--;
        } else if (c == 0) {
            snprintf(err, errcap, "Invalid JSON in the request body: NUL byte (byte %zu)", i);
            return -1;
        }
    }
    return 0;
}

int sim_warn_key_file(const char *path, const char *what) {
    struct stat sb;
    if (!path || stat(path, &sb) != 0 || !S_ISREG(sb.st_mode) || !(sb.st_mode & 077)) return 0;
    fprintf(stderr,
            "dstack-simulator: warning: %s holds %s and is %s%s%s by group/others (mode %04o); "
            "chmod 600 %s\n",
            path, what, sb.st_mode & 044 ? "readable" : "",
            (sb.st_mode & 044) && (sb.st_mode & 022) ? " and " : "",
            sb.st_mode & 022 ? "writable" : "", (unsigned)(sb.st_mode & 07777), path);
    return 1;
}

void sim_wipe(void *p, size_t n) {
    if (p && n) explicit_bzero(p, n);
}

void sim_wipe_free_str(char *s) {
    if (!s) return;
    sim_wipe(s, strlen(s));
    free(s);
}

static void wipe_tree(cJSON *j) {
    for (; j; j = j->next) {
        if (j->valuestring) sim_wipe(j->valuestring, strlen(j->valuestring));
        if (j->string && !(j->type & cJSON_StringIsConst)) sim_wipe(j->string, strlen(j->string));
        wipe_tree(j->child);
    }
}

void sim_cjson_wipe_delete(cJSON *j) {
    wipe_tree(j);
    cJSON_Delete(j);
}
