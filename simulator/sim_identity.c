/* sim_identity.c — the default dev identity: finding the installed copy and recognising the
 * public test identity by its keys (see sim_identity.h). */
#include "sim_identity.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ds_hash.h"
#include "ds_hex.h"
#include "ds_secp.h"

/* Address of the KMS root key in the repository's appkeys.json ("kms_root_key"), printed by
 * every `make run` as "KMS root address" and published in README.md. */
static const char PUBLIC_ROOT_ADDRESS[] = "e33bd2ef806e9af81c6c3adaa227db54f780dea0";

/* SHA-256 of the repository's appkeys.json "key_provider"."None"."key" PEM text: the app
 * CA's P-256 key, public like the rest of that file. */
static const char PUBLIC_CA_KEY_SHA256[] =
    "acdaf738d02311da3817d59f43d6e0ffcb7cd9739b4213879c80dbc0acea8ef9";

static int is_file(const char *path) {
    struct stat sb;
    return stat(path, &sb) == 0 && S_ISREG(sb.st_mode);
}

const char *sim_identity_default_config(char *out, size_t cap) {
    char exe[4096];
    snprintf(out, cap, "appkeys.json");
    if (is_file("appkeys.json")) return out;
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0) return out;
    exe[n] = '\0';
    char *slash = strrchr(exe, '/');
    if (!slash) return out;
    *slash = '\0';
    char cand[4096 + 64], real[PATH_MAX];
    int w = snprintf(cand, sizeof cand, "%s/" SIM_IDENTITY_SHARE_REL "/appkeys.json", exe);
    if (w <= 0 || (size_t)w >= sizeof cand || !is_file(cand)) return out;
    const char *found = realpath(cand, real) ? real : cand; /* without the bin/.. */
    if (strlen(found) < cap) snprintf(out, cap, "%s", found);
    return out;
}

static int hex_equals(const uint8_t *bytes, size_t len, const char *hex) {
    char buf[65];
    if (len * 2 + 1 > sizeof buf) return 0;
    return strcmp(ds_hex_encode(bytes, len, buf), hex) == 0;
}

int sim_identity_is_public(const sim_config *c) {
    uint8_t addr[20];
    if (!c->have_root || c->have_k256) return 0;
    if (ds_secp_priv_address(c->kms_root_key, addr) != DS_OK ||
        !hex_equals(addr, sizeof addr, PUBLIC_ROOT_ADDRESS))
        return 0;
    if (c->ca_key_pem) {
        uint8_t digest[32];
        ds_sha256((const uint8_t *)c->ca_key_pem, strlen(c->ca_key_pem), digest);
        if (!hex_equals(digest, sizeof digest, PUBLIC_CA_KEY_SHA256)) return 0;
    }
    return 1;
}
