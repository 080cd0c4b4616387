/* sim_config_file.c — the config file: upstream's appkeys.json format plus our own fields.
 *
 * An upstream file works verbatim (compat "static" mode); ours adds a KMS root key and the
 * fields docs/simulator.md lists. Flags parsed in sim_config.c override what is read here.
 */
#include "sim_config.h"

#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "ds_hex.h"
#include "sim_identity.h"
#include "sim_limits.h"

int sim_read_file(const char *path, size_t max, char **out, size_t *out_len) {
    FILE *f = fopen(path, "rb");
    if (!f) return -1;
    setvbuf(f, NULL, _IONBF, 0); /* no stdio buffer: configs hold keys, and only buf is wiped */
    size_t cap = 4096, len = 0;
    char *buf = malloc(cap);
    while (buf) {
        if (len + 1 >= cap) {
            if (cap > max) {
                errno = EFBIG;
                free(buf);
                buf = NULL;
                break;
            }
            char *nb = realloc(buf, cap * 2);
            if (!nb) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = nb;
            cap *= 2;
        }
        size_t n = fread(buf + len, 1, cap - 1 - len, f);
        len += n;
        if (n == 0) break;
    }
    int rderr = ferror(f);
    fclose(f);
    if (!buf) return -1;
    if (rderr) {
        free(buf);
        errno = EIO;
        return -1;
    }
    buf[len] = '\0';
    *out = buf;
    *out_len = len;
    return 0;
}

static int hex_field(const cJSON *root, const char *name, uint8_t *out, size_t n, int *have,
                     char *err, size_t errcap) {
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(root, name);
    if (!it || cJSON_IsNull(it)) return 0;
    if (!cJSON_IsString(it)) {
        snprintf(err, errcap, "%s: expected a hex string", name);
        return -1;
    }
    if (it->valuestring[0] == '\0') return 0; /* "" = not set */
    if (ds_hex_decode_exact(it->valuestring, strlen(it->valuestring), out, n) != DS_OK) {
        snprintf(err, errcap, "%s: expected %zu bytes of hex", name, n);
        return -1;
    }
    if (have) *have = 1;
    return 0;
}

static int str_field(const cJSON *root, const char *name, char **dst, char *err, size_t errcap) {
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(root, name);
    if (!it || cJSON_IsNull(it)) return 0;
    if (!cJSON_IsString(it)) {
        snprintf(err, errcap, "%s: expected a string", name);
        return -1;
    }
    sim_set_str(dst, it->valuestring);
    return 0;
}

/* Resolves a path from the config file against the config file's directory. */
static char *resolve(const sim_config *c, const char *p) {
    char *out;
    if (p[0] == '/' || !c->config_dir) {
        out = strdup(p);
    } else {
        size_t n = strlen(c->config_dir) + 1 + strlen(p) + 1;
        out = malloc(n);
        if (out) snprintf(out, n, "%s/%s", c->config_dir, p);
    }
    return out;
}

int sim_config_load_compose(sim_config *c, const char *path, char *err, size_t errcap) {
    char *buf;
    size_t len;
    if (sim_read_file(path, 16u << 20, &buf, &len) != 0) {
        snprintf(err, errcap, "app_compose: cannot read %s: %s", path, strerror(errno));
        return -1;
    }
    cJSON *j = cJSON_ParseWithLength(buf, len);
    if (!cJSON_IsObject(j)) {
        cJSON_Delete(j);
        free(buf);
        snprintf(err, errcap, "app_compose: %s is not a JSON object", path);
        return -1;
    }
    cJSON_Delete(j);
    free(c->compose);
    c->compose = buf;
    c->compose_len = len;
    sim_set_str(&c->compose_source, path);
    return 0;
}

static int compose_field(sim_config *c, const cJSON *root, char *err, size_t errcap) {
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(root, "app_compose");
    if (!it || cJSON_IsNull(it)) return 0;
    if (cJSON_IsObject(it)) {
        char *txt = cJSON_PrintUnformatted(it);
        if (!txt) {
            snprintf(err, errcap, "out of memory");
            return -1;
        }
        free(c->compose);
        c->compose = txt;
        c->compose_len = strlen(txt);
        sim_set_str(&c->compose_source, "inline (config object, compact)");
        return 0;
    }
    if (!cJSON_IsString(it)) {
        snprintf(err, errcap, "app_compose: expected a path, JSON text or an object");
        return -1;
    }
    const char *s = it->valuestring;
    while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r') s++;
    if (*s == '{') { /* raw JSON text, used byte for byte */
        cJSON *j = cJSON_Parse(it->valuestring);
        int ok = cJSON_IsObject(j);
        cJSON_Delete(j);
        if (!ok) {
            snprintf(err, errcap, "app_compose: inline text is not a JSON object");
            return -1;
        }
        sim_set_str(&c->compose, it->valuestring);
        c->compose_len = strlen(c->compose);
        sim_set_str(&c->compose_source, "inline (config text)");
        return 0;
    }
    if (c->config_builtin) { /* the built-in identity names its built-in compose */
        size_t n;
        const char *text = sim_identity_builtin_file(it->valuestring, &n);
        if (!text) {
            snprintf(err, errcap, "app_compose: %s is not built in", it->valuestring);
            return -1;
        }
        free(c->compose);
        c->compose = malloc(n + 1);
        if (!c->compose) {
            snprintf(err, errcap, "out of memory");
            return -1;
        }
        memcpy(c->compose, text, n + 1);
        c->compose_len = n;
        sim_set_str(&c->compose_source, SIM_IDENTITY_BUILTIN " app-compose.json");
        return 0;
    }
    char *path = resolve(c, it->valuestring);
    if (!path) {
        snprintf(err, errcap, "out of memory");
        return -1;
    }
    int rc = sim_config_load_compose(c, path, err, errcap);
    free(path);
    return rc;
}

int sim_config_load_file(sim_config *c, const char *path, char *err, size_t errcap) {
    char *buf;
    size_t len;
    if (sim_read_file(path, 16u << 20, &buf, &len) != 0) {
        snprintf(err, errcap, "cannot read config %s: %s", path, strerror(errno));
        return -1;
    }
    int rc = sim_config_load_text(c, buf, len, path, 0, err, errcap);
    sim_wipe(buf, len); /* it holds private keys */
    free(buf);
    return rc;
}

int sim_config_load_text(sim_config *c, const char *text, size_t len, const char *name, int builtin,
                         char *err, size_t errcap) {
    cJSON *root = cJSON_ParseWithLength(text, len);
    if (!cJSON_IsObject(root)) {
        sim_cjson_wipe_delete(root);
        snprintf(err, errcap, "config %s: not a JSON object", name);
        return -1;
    }
    sim_set_str(&c->config_path, name);
    free(c->config_dir);
    c->config_dir = NULL;
    c->config_builtin = builtin;
    if (!builtin) {
        char *tmp = strdup(name);
        if (tmp) sim_set_str(&c->config_dir, dirname(tmp));
        free(tmp);
    }
    int rc = -1;
    const cJSON *it;
    if (hex_field(root, "kms_root_key", c->kms_root_key, 32, &c->have_root, err, errcap) ||
        hex_field(root, "k256_key", c->k256_key, 32, &c->have_k256, err, errcap) ||
        hex_field(root, "k256_signature", c->k256_signature, 65, &c->have_k256_sig, err, errcap) ||
        hex_field(root, "app_id", c->app_id, 20, &c->have_app_id, err, errcap) ||
        hex_field(root, "instance_seed", c->instance_seed, 20, NULL, err, errcap) ||
        hex_field(root, "os_image_hash", c->os_image_hash, 32, NULL, err, errcap) ||
        hex_field(root, "mrtd", c->mrtd, 48, &c->have_mrtd, err, errcap) ||
        hex_field(root, "quote_key_seed", c->quote_seed, 32, NULL, err, errcap) ||
        str_field(root, "ca_cert", &c->ca_cert_pem, err, errcap) ||
        str_field(root, "cloud_vendor", &c->cloud_vendor, err, errcap) ||
        str_field(root, "cloud_product", &c->cloud_product, err, errcap) ||
        str_field(root, "version", &c->version, err, errcap) || compose_field(c, root, err, errcap))
        goto out;
    const cJSON *kp = cJSON_GetObjectItemCaseSensitive(root, "key_provider");
    const cJSON *none = cJSON_GetObjectItemCaseSensitive(kp, "None");
    if (kp && str_field(none, "key", &c->ca_key_pem, err, errcap)) goto out;
    it = cJSON_GetObjectItemCaseSensitive(root, "vm_config");
    if (cJSON_IsString(it)) {
        sim_set_str(&c->vm_config, it->valuestring);
    } else if (cJSON_IsObject(it)) {
        char *t = cJSON_PrintUnformatted(it);
        if (t) sim_set_str(&c->vm_config, t);
        free(t);
    } else if (it && !cJSON_IsNull(it)) {
        snprintf(err, errcap, "vm_config: expected an object or JSON text");
        goto out;
    }
    it = cJSON_GetObjectItemCaseSensitive(root, "event_log_format");
    if (cJSON_IsString(it)) {
        if (!strcmp(it->valuestring, "stripped")) c->log_style = DS_EVENTLOG_STRIPPED;
        else if (!strcmp(it->valuestring, "full")) c->log_style = DS_EVENTLOG_FULL;
        else {
            snprintf(err, errcap, "event_log_format: expected \"full\" or \"stripped\"");
            goto out;
        }
    }
    it = cJSON_GetObjectItemCaseSensitive(root, "tcb_status");
    if (it && (!cJSON_IsString(it) || ds_tcb_status_parse(it->valuestring, &c->tcb_status) != DS_OK)) {
        snprintf(err, errcap, "tcb_status: expected one of UpToDate, SWHardeningNeeded, "
                              "ConfigurationNeeded, ConfigurationAndSWHardeningNeeded, OutOfDate, "
                              "OutOfDateConfigurationNeeded, Revoked");
        goto out;
    }
    it = cJSON_GetObjectItemCaseSensitive(root, "quote_mode");
    if (it && sim_parse_quote_mode(cJSON_IsString(it) ? it->valuestring : "", &c->quote_upstream)) {
        snprintf(err, errcap, "quote_mode: expected \"pki\" or \"upstream\"");
        goto out;
    }
    it = cJSON_GetObjectItemCaseSensitive(root, "agent_version");
    if (it && sim_parse_agent(cJSON_IsString(it) ? it->valuestring : "", &c->agent)) {
        snprintf(err, errcap, "agent_version: expected \"0.5.11\" or \"0.6.0\"");
        goto out;
    }
    it = cJSON_GetObjectItemCaseSensitive(root, "emit_event");
    if (it && sim_parse_emit(cJSON_IsString(it) ? it->valuestring : "", &c->emit_refuse)) {
        snprintf(err, errcap, "emit_event: expected \"extend\" or \"refuse\"");
        goto out;
    }
    it = cJSON_GetObjectItemCaseSensitive(root, "mismatch");
    if (cJSON_IsString(it) && ds_variant_parse(it->valuestring, &c->mismatch) != DS_OK) {
        snprintf(err, errcap, "mismatch: unknown variant \"%s\"", it->valuestring);
        goto out;
    }
    it = cJSON_GetObjectItemCaseSensitive(root, "kms_auth");
    if (it) {
        char why[300] = "expected a string: \"dev\", \"webhook:URL\" or \"contract:ADDRESS\"";
        if (!cJSON_IsString(it) || sim_parse_kms_auth(it->valuestring, c, why, sizeof why)) {
            snprintf(err, errcap, "kms_auth: %s", why);
            goto out;
        }
    }
    it = cJSON_GetObjectItemCaseSensitive(root, "rpc_url");
    if (it) {
        if (!cJSON_IsString(it)) {
            snprintf(err, errcap, "rpc_url: expected a string such as \"http://127.0.0.1:8545\"");
            goto out;
        }
        sim_set_str(&c->rpc_url, it->valuestring);
    }
    it = cJSON_GetObjectItemCaseSensitive(root, "kms_auth_timeout");
    if (it && (!cJSON_IsNumber(it) || it->valuedouble < 1 || it->valuedouble > 300 ||
               it->valuedouble != (int)it->valuedouble)) {
        snprintf(err, errcap, "kms_auth_timeout: expected whole seconds from 1 to 300");
        goto out;
    }
    if (it) c->kms_auth_timeout_sec = it->valueint;
    c->config_public = sim_identity_is_public(c); /* before flags override the keys */
    rc = 0;
out:
    sim_cjson_wipe_delete(root);
    return rc;
}
