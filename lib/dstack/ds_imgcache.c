/* ds_imgcache.c — VmConfig parsing and re-serialisation, the measurement cache documents
 * and writing the image-cache layout (see ds_imgcache.h). */
#include "ds_imgcache.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cjson/cJSON.h>

#include "ds_hash.h"
#include "ds_hex.h"

static ds_err bad(char *err, size_t cap, const char *field, const char *why) {
    if (err && cap) snprintf(err, cap, "%s: %s", field, why);
    return DS_ERR_PARSE;
}

static ds_err get_uint(const cJSON *o, const char *k, uint64_t max, uint64_t *out, char *err,
                       size_t cap) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    *out = 0;
    if (!v) return DS_OK;
    if (!cJSON_IsNumber(v) || v->valuedouble < 0 || v->valuedouble != floor(v->valuedouble) ||
        v->valuedouble > (double)max)
        return bad(err, cap, k, "expected an unsigned integer");
    *out = (uint64_t)v->valuedouble;
    return DS_OK;
}

/* bool field; opt: null/absent → -1, else absent → 0. */
static ds_err get_flag(const cJSON *o, const char *k, int opt, int *out, char *err, size_t cap) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    *out = opt ? -1 : 0;
    if (!v || (opt && cJSON_IsNull(v))) return DS_OK;
    if (!cJSON_IsBool(v)) return bad(err, cap, k, "expected a boolean");
    *out = cJSON_IsTrue(v);
    return DS_OK;
}

/* string field; opt: null/absent → NULL, else absent → "". */
static ds_err get_text(const cJSON *o, const char *k, int opt, char **out, char *err, size_t cap) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    *out = NULL;
    if (!v || (opt && cJSON_IsNull(v))) return opt || (*out = strdup("")) ? DS_OK : DS_ERR_NOMEM;
    if (!cJSON_IsString(v)) return bad(err, cap, k, "expected a string");
    return (*out = strdup(v->valuestring)) ? DS_OK : DS_ERR_NOMEM;
}

ds_err ds_vmconfig_parse(const char *json, size_t len, ds_vmconfig *c, char *err, size_t errcap) {
    if (err && errcap) err[0] = '\0';
    if (!c) return DS_ERR_ARG;
    memset(c, 0, sizeof *c);
    c->single_pass = c->pic = -1;
    cJSON *o = json ? cJSON_ParseWithLength(json, len) : NULL;
    if (!o || !cJSON_IsObject(o)) {
        cJSON_Delete(o);
        return bad(err, errcap, "vm_config", "not a JSON object");
    }
    uint64_t u;
    ds_err e = DS_OK;
    const cJSON *h = cJSON_GetObjectItemCaseSensitive(o, "os_image_hash");
    if (h && !cJSON_IsString(h)) {
        e = bad(err, errcap, "os_image_hash", "expected a hex string");
    } else if (h && h->valuestring[0]) {
        size_t n = strlen(h->valuestring);
        c->os_image_hash = malloc(n / 2 + 1);
        if (!c->os_image_hash)
            e = DS_ERR_NOMEM;
        else if ((h->valuestring[1] | 0x20) == 'x' || n % 2 ||
                 ds_hex_decode(h->valuestring, n, c->os_image_hash, n / 2 + 1,
                               &c->os_image_hash_len) != DS_OK)
            e = bad(err, errcap, "os_image_hash", "not hex");
    }
    if (!e && !(e = get_uint(o, "cpu_count", UINT32_MAX, &u, err, errcap)))
        c->cpu_count = (uint32_t)u;
    if (!e) e = get_uint(o, "memory_size", UINT64_MAX, &c->memory_size, err, errcap);
    if (!e) e = get_flag(o, "qemu_single_pass_add_pages", 1, &c->single_pass, err, errcap);
    if (!e) e = get_flag(o, "pic", 1, &c->pic, err, errcap);
    if (!e) e = get_text(o, "qemu_version", 1, &c->qemu_version, err, errcap);
    if (!e) e = get_uint(o, "pci_hole64_size", UINT64_MAX, &c->pci_hole64_size, err, errcap);
    if (!e) e = get_flag(o, "hugepages", 0, &c->hugepages, err, errcap);
    if (!e && !(e = get_uint(o, "num_gpus", UINT32_MAX, &u, err, errcap)))
        c->num_gpus = (uint32_t)u;
    if (!e && !(e = get_uint(o, "num_nvswitches", UINT32_MAX, &u, err, errcap)))
        c->num_nvswitches = (uint32_t)u;
    if (!e) e = get_flag(o, "hotplug_off", 0, &c->hotplug_off, err, errcap);
    if (!e) e = get_text(o, "image", 1, &c->image, err, errcap);
    if (!e) e = get_text(o, "host_share_mode", 0, &c->host_share_mode, err, errcap);
    if (!e) e = get_text(o, "ovmf_variant", 1, &c->ovmf_variant, err, errcap);
    if (!e && c->ovmf_variant && strcmp(c->ovmf_variant, "pre202505") &&
        strcmp(c->ovmf_variant, "stable202505"))
        e = bad(err, errcap, "ovmf_variant", "expected \"pre202505\" or \"stable202505\"");
    cJSON_Delete(o);
    if (e) {
        if (e == DS_ERR_NOMEM && err && errcap) snprintf(err, errcap, "out of memory");
        ds_vmconfig_free(c);
    }
    return e;
}

void ds_vmconfig_free(ds_vmconfig *c) {
    if (!c) return;
    free(c->os_image_hash);
    free(c->qemu_version);
    free(c->image);
    free(c->host_share_mode);
    free(c->ovmf_variant);
    memset(c, 0, sizeof *c);
}

static void put_text(ds_buf *b, const char *k, const char *v) {
    ds_buf_printf(b, ",\"%s\":", k);
    ds_buf_json_str(b, v, strlen(v));
}

ds_err ds_vmconfig_serialize(const ds_vmconfig *c, ds_buf *b) {
    ds_buf_puts(b, "{\"os_image_hash\":");
    ds_buf_json_hex(b, c->os_image_hash, c->os_image_hash_len);
    ds_buf_printf(b, ",\"cpu_count\":%u,\"memory_size\":%llu", c->cpu_count,
                  (unsigned long long)c->memory_size);
    if (c->single_pass >= 0)
        ds_buf_printf(b, ",\"qemu_single_pass_add_pages\":%s", c->single_pass ? "true" : "false");
    if (c->pic >= 0) ds_buf_printf(b, ",\"pic\":%s", c->pic ? "true" : "false");
    if (c->qemu_version) put_text(b, "qemu_version", c->qemu_version);
    ds_buf_printf(b,
                  ",\"pci_hole64_size\":%llu,\"hugepages\":%s,\"num_gpus\":%u,"
                  "\"num_nvswitches\":%u,\"hotplug_off\":%s",
                  (unsigned long long)c->pci_hole64_size, c->hugepages ? "true" : "false",
                  c->num_gpus, c->num_nvswitches, c->hotplug_off ? "true" : "false");
    if (c->image) put_text(b, "image", c->image);
    put_text(b, "host_share_mode", c->host_share_mode ? c->host_share_mode : "");
    if (c->ovmf_variant) put_text(b, "ovmf_variant", c->ovmf_variant);
    ds_buf_putc(b, '}');
    return b->oom ? DS_ERR_NOMEM : DS_OK;
}

ds_err ds_vmconfig_cache_key(const ds_vmconfig *c, char key[65]) {
    ds_buf b;
    ds_buf_init(&b);
    ds_err e = ds_vmconfig_serialize(c, &b);
    if (!e) {
        uint8_t h[32];
        ds_sha256((const uint8_t *)b.data, b.len, h);
        ds_hex_encode(h, 32, key);
    }
    ds_buf_free(&b);
    return e;
}

static const char *const MR_NAMES[4] = {"mrtd", "rtmr0", "rtmr1", "rtmr2"};

static uint8_t *mr_at(ds_measurements *m, int i) {
    return i == 0 ? m->mrtd : i == 1 ? m->rtmr0 : i == 2 ? m->rtmr1 : m->rtmr2;
}

ds_err ds_measurements_to_json(const ds_measurements *m, ds_buf *out) {
    ds_buf_printf(out, "{\"version\":%d,\"measurements\":{", DS_MEASUREMENT_CACHE_VERSION);
    for (int i = 0; i < 4; i++) {
        ds_buf_printf(out, "%s\"%s\":", i ? "," : "", MR_NAMES[i]);
        ds_buf_json_hex(out, mr_at((ds_measurements *)m, i), 48);
    }
    ds_buf_puts(out, "}}");
    return out->oom ? DS_ERR_NOMEM : DS_OK;
}

ds_err ds_measurements_parse(const char *json, size_t len, ds_measurements *out, char *err,
                             size_t errcap) {
    cJSON *o = json ? cJSON_ParseWithLength(json, len) : NULL;
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, "version");
    const cJSON *ms = cJSON_GetObjectItemCaseSensitive(o, "measurements");
    ds_err e = DS_OK;
    if (!cJSON_IsObject(o) || !cJSON_IsObject(ms)) {
        e = bad(err, errcap, "measurements", "not a {\"version\",\"measurements\"} object");
    } else if (!cJSON_IsNumber(v) || v->valuedouble != DS_MEASUREMENT_CACHE_VERSION) {
        e = bad(err, errcap, "version",
                "not "
                "2"
                " (an older measurement layout)");
    } else {
        for (int i = 0; i < 4 && !e; i++) {
            const cJSON *h = cJSON_GetObjectItemCaseSensitive(ms, MR_NAMES[i]);
            if (!cJSON_IsString(h) ||
                ds_hex_decode_exact(h->valuestring, strlen(h->valuestring), mr_at(out, i), 48))
                e = bad(err, errcap, MR_NAMES[i], "not 48 bytes of hex");
        }
    }
    cJSON_Delete(o);
    return e;
}

ds_err ds_image_metadata_json(const char *version, ds_buf *out) {
    ds_buf_puts(out, "{\"cmdline\":\"console=ttyS0 dstack.simulated=1\",\"kernel\":\"bzImage\","
                     "\"initrd\":\"initramfs.cpio.gz\",\"bios\":\"ovmf.fd\",\"version\":");
    const char *v = version ? version : "";
    ds_buf_json_str(out, v, strlen(v));
    ds_buf_putc(out, '}');
    return out->oom ? DS_ERR_NOMEM : DS_OK;
}

ds_err ds_image_metadata_check(const char *json, size_t len, char *err, size_t errcap) {
    static const char *const KEYS[4] = {"cmdline", "kernel", "initrd", "bios"};
    cJSON *o = json ? cJSON_ParseWithLength(json, len) : NULL;
    ds_err e = cJSON_IsObject(o) ? DS_OK : bad(err, errcap, "metadata.json", "not a JSON object");
    for (int i = 0; i < 4 && !e; i++)
        if (!cJSON_IsString(cJSON_GetObjectItemCaseSensitive(o, KEYS[i])))
            e = bad(err, errcap, KEYS[i], "missing or not a string");
    cJSON_Delete(o);
    return e;
}

static ds_err mkdir_p(const char *path, char *err, size_t errcap) {
    char tmp[4096];
    size_t n = strlen(path);
    if (n == 0 || n >= sizeof tmp) return bad(err, errcap, path, "path too long or empty");
    memcpy(tmp, path, n + 1);
    for (size_t i = 1; i <= n; i++) {
        if (tmp[i] != '/' && tmp[i] != '\0') continue;
        char c = tmp[i];
        tmp[i] = '\0';
        if (mkdir(tmp, 0755) != 0 && errno != EEXIST) {
            if (err && errcap) snprintf(err, errcap, "cannot create %s: %s", tmp, strerror(errno));
            return DS_ERR_IO;
        }
        tmp[i] = c;
    }
    return DS_OK;
}

static ds_err write_doc(const char *path, const ds_buf *b, char *err, size_t errcap) {
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(b->data, 1, b->len, f) != b->len || fclose(f) != 0) {
        if (err && errcap) snprintf(err, errcap, "cannot write %s: %s", path, strerror(errno));
        if (f) fclose(f);
        return DS_ERR_IO;
    }
    return DS_OK;
}

ds_err ds_imgcache_write(const char *dir, const char *vm_config_json, const ds_measurements *m,
                         const char *version, char *err, size_t errcap) {
    ds_vmconfig c;
    char key[65], hash[2 * 64 + 1], path[4096];
    ds_err e = ds_vmconfig_parse(vm_config_json, strlen(vm_config_json), &c, err, errcap);
    if (e) return e;
    if (c.os_image_hash_len == 0 || c.os_image_hash_len > 64) {
        ds_vmconfig_free(&c);
        return bad(err, errcap, "os_image_hash", "missing or longer than 64 bytes");
    }
    ds_hex_encode(c.os_image_hash, c.os_image_hash_len, hash);
    e = ds_vmconfig_cache_key(&c, key);
    ds_vmconfig_free(&c);
    ds_buf meta, meas;
    ds_buf_init(&meta);
    ds_buf_init(&meas);
    if (!e) e = ds_image_metadata_json(version, &meta);
    if (!e) e = ds_measurements_to_json(m, &meas);
    if (e == DS_ERR_NOMEM && err && errcap) snprintf(err, errcap, "out of memory");
    if (!e) {
        snprintf(path, sizeof path, "%s/images/%s", dir, hash);
        e = mkdir_p(path, err, errcap);
    }
    if (!e) {
        snprintf(path, sizeof path, "%s/images/%s/metadata.json", dir, hash);
        e = write_doc(path, &meta, err, errcap);
    }
    if (!e) {
        snprintf(path, sizeof path, "%s/measurements", dir);
        e = mkdir_p(path, err, errcap);
    }
    if (!e) {
        snprintf(path, sizeof path, "%s/measurements/%s.json", dir, key);
        e = write_doc(path, &meas, err, errcap);
    }
    ds_buf_free(&meta);
    ds_buf_free(&meas);
    return e;
}
