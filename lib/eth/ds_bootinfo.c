/* ds_bootinfo.c — the KMS's BootInfo: its measurements (mr_system, mr_aggregated), its
 * webhook JSON both ways, and its ABI encoding as the contracts' AppBootInfo (see
 * ds_bootinfo.h). */
#include "ds_bootinfo.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ds_hash.h"
#include "ds_hex.h"

static int all_zero(const uint8_t *p, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (p[i]) return 0;
    return 1;
}

void ds_bootinfo_mrs(const ds_bootinfo_tdmrs *m, const uint8_t *kp, size_t kp_len,
                     uint8_t mr_system[32], uint8_t mr_aggregated[32]) {
    uint8_t buf[48 * 8];
    memcpy(buf, m->mr_td, 48);
    memcpy(buf + 48, m->rtmr, 4 * 48);
    if (mr_aggregated) {
        size_t n = 5 * 48;
        if (!all_zero(m->mr_config_id, 48) || !all_zero(m->mr_owner, 48) ||
            !all_zero(m->mr_owner_config, 48)) {
            memcpy(buf + n, m->mr_config_id, 48);
            memcpy(buf + n + 48, m->mr_owner, 48);
            memcpy(buf + n + 96, m->mr_owner_config, 48);
            n += 3 * 48;
        }
        ds_sha256(buf, n, mr_aggregated);
    }
    if (mr_system) { /* mr_td ‖ rtmr0..2 stay in place; K replaces rtmr3 */
        if (kp && kp_len)
            ds_sha256(kp, kp_len, buf + 4 * 48);
        else
            memset(buf + 4 * 48, 0, 32);
        ds_sha256(buf, 4 * 48 + 32, mr_system);
    }
}

ds_err ds_bootinfo_set_key_provider(ds_bootinfo *bi, const uint8_t *kp, size_t len) {
    if (len > DS_BOOTINFO_MAX_KP) return DS_ERR_LEN;
    if (len) memcpy(bi->key_provider_info, kp, len);
    bi->key_provider_info_len = len;
    return DS_OK;
}

ds_err ds_bootinfo_set_tcb_status(ds_bootinfo *bi, const char *status) {
    size_t n = strlen(status);
    if (n >= sizeof bi->tcb_status) return DS_ERR_LEN;
    memcpy(bi->tcb_status, status, n + 1);
    return DS_OK;
}

ds_err ds_bootinfo_add_advisory(ds_bootinfo *bi, const char *id) {
    size_t n = strlen(id);
    if (bi->n_advisory_ids >= DS_BOOTINFO_MAX_ADVISORIES || n >= DS_BOOTINFO_ADVISORY_CAP)
        return DS_ERR_LEN;
    memcpy(bi->advisory_ids[bi->n_advisory_ids++], id, n + 1);
    return DS_OK;
}

/* ---- JSON ------------------------------------------------------------------------------ */

static void kv_hex(ds_buf *b, const char *k, const uint8_t *p, size_t n) {
    ds_buf_printf(b, ",\"%s\":", k);
    ds_buf_json_hex(b, p, n);
}

void ds_bootinfo_json(const ds_bootinfo *bi, ds_buf *out) {
    ds_buf_puts(out, "{\"attestationMode\":");
    ds_buf_json_str(out, bi->attestation_mode, strlen(bi->attestation_mode));
    kv_hex(out, "mrAggregated", bi->mr_aggregated, 32);
    kv_hex(out, "osImageHash", bi->os_image_hash, 32);
    kv_hex(out, "mrSystem", bi->mr_system, 32);
    kv_hex(out, "appId", bi->app_id, 20);
    kv_hex(out, "composeHash", bi->compose_hash, 32);
    kv_hex(out, "instanceId", bi->instance_id, bi->instance_id_len ? 20 : 0);
    kv_hex(out, "deviceId", bi->device_id, 32);
    kv_hex(out, "keyProviderInfo", bi->key_provider_info, bi->key_provider_info_len);
    ds_buf_puts(out, ",\"tcbStatus\":");
    ds_buf_json_str(out, bi->tcb_status, strlen(bi->tcb_status));
    ds_buf_puts(out, ",\"advisoryIds\":[");
    for (size_t i = 0; i < bi->n_advisory_ids; i++) {
        if (i) ds_buf_putc(out, ',');
        ds_buf_json_str(out, bi->advisory_ids[i], strlen(bi->advisory_ids[i]));
    }
    ds_buf_puts(out, "]}");
}

static ds_err fail(char *err, size_t cap, const char *fmt, ...) {
    if (err && cap) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, cap, fmt, ap);
        va_end(ap);
    }
    return DS_ERR_PARSE;
}

/* The string member k, or NULL after writing why into err. */
static const char *str_member(const cJSON *o, const char *k, int required, char *err, size_t cap) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    if (v == NULL && !required) return "";
    if (!cJSON_IsString(v)) {
        fail(err, cap, "%s: %s", k, v ? "not a string" : "missing");
        return NULL;
    }
    return v->valuestring;
}

/* A fixed-size member as auth-eth decodes it: optional "0x", left-padded to n bytes.
 * *given (may be NULL) is n, or 0 when the member is "". */
static ds_err hex_fixed(const cJSON *o, const char *k, uint8_t *out, size_t n, size_t *given,
                        char *err, size_t cap) {
    const char *h = str_member(o, k, 1, err, cap);
    if (h == NULL) return DS_ERR_PARSE;
    if (h[0] == '0' && h[1] == 'x') h += 2;
    size_t len = strlen(h);
    if (len > 2 * n) return fail(err, cap, "%s: %zu hex digits, more than %zu bytes", k, len, n);
    char padded[2 * 32];
    memset(padded, '0', 2 * n - len);
    memcpy(padded + 2 * n - len, h, len);
    if (ds_hex_decode_exact(padded, 2 * n, out, n) != DS_OK)
        return fail(err, cap, "%s: not hex", k);
    if (given) *given = len ? n : 0;
    return DS_OK;
}

static ds_err read_strings(const cJSON *o, ds_bootinfo *bi, char *err, size_t cap) {
    const char *mode = str_member(o, "attestationMode", 0, err, cap);
    if (mode == NULL) return DS_ERR_PARSE;
    if (strlen(mode) >= sizeof bi->attestation_mode)
        return fail(err, cap, "attestationMode: longer than %zu chars",
                    sizeof bi->attestation_mode - 1);
    memcpy(bi->attestation_mode, mode, strlen(mode) + 1);
    const char *tcb = str_member(o, "tcbStatus", 1, err, cap);
    if (tcb == NULL) return DS_ERR_PARSE;
    if (ds_bootinfo_set_tcb_status(bi, tcb) != DS_OK)
        return fail(err, cap, "tcbStatus: longer than %d chars", DS_BOOTINFO_TCB_CAP - 1);
    const cJSON *adv = cJSON_GetObjectItemCaseSensitive(o, "advisoryIds"), *e;
    if (!cJSON_IsArray(adv))
        return fail(err, cap, "advisoryIds: %s", adv ? "not an array" : "missing");
    size_t i = 0;
    cJSON_ArrayForEach(e, adv) {
        if (!cJSON_IsString(e)) return fail(err, cap, "advisoryIds[%zu]: not a string", i);
        if (i >= DS_BOOTINFO_MAX_ADVISORIES)
            return fail(err, cap, "advisoryIds: more than %d ids", DS_BOOTINFO_MAX_ADVISORIES);
        if (ds_bootinfo_add_advisory(bi, e->valuestring) != DS_OK)
            return fail(err, cap, "advisoryIds[%zu]: longer than %d chars", i,
                        DS_BOOTINFO_ADVISORY_CAP - 1);
        i++;
    }
    return DS_OK;
}

ds_err ds_bootinfo_from_json(const cJSON *obj, ds_bootinfo *bi, char *err, size_t errcap) {
    memset(bi, 0, sizeof *bi);
    if (!cJSON_IsObject(obj)) return fail(err, errcap, "BootInfo: not a JSON object");
    ds_err e;
    if ((e = hex_fixed(obj, "mrAggregated", bi->mr_aggregated, 32, NULL, err, errcap)) ||
        (e = hex_fixed(obj, "osImageHash", bi->os_image_hash, 32, NULL, err, errcap)) ||
        (e = hex_fixed(obj, "mrSystem", bi->mr_system, 32, NULL, err, errcap)) ||
        (e = hex_fixed(obj, "appId", bi->app_id, 20, NULL, err, errcap)) ||
        (e = hex_fixed(obj, "composeHash", bi->compose_hash, 32, NULL, err, errcap)) ||
        (e = hex_fixed(obj, "instanceId", bi->instance_id, 20, &bi->instance_id_len, err,
                       errcap)) ||
        (e = hex_fixed(obj, "deviceId", bi->device_id, 32, NULL, err, errcap)))
        return e;
    const char *kp = str_member(obj, "keyProviderInfo", 0, err, errcap);
    if (kp == NULL) return DS_ERR_PARSE;
    e = ds_hex_decode(kp, strlen(kp), bi->key_provider_info, sizeof bi->key_provider_info,
                      &bi->key_provider_info_len);
    if (e == DS_ERR_LEN)
        return fail(err, errcap, "keyProviderInfo: more than %d bytes", DS_BOOTINFO_MAX_KP);
    if (e != DS_OK) return fail(err, errcap, "keyProviderInfo: not hex");
    return read_strings(obj, bi, err, errcap);
}

/* ---- ABI ------------------------------------------------------------------------------- */

void ds_bootinfo_abi_init(const ds_bootinfo *bi, ds_bootinfo_abi *a) {
    static const uint8_t zero[20] = {0};
    for (size_t i = 0; i < bi->n_advisory_ids; i++)
        a->adv[i] = ds_abi_string(bi->advisory_ids[i]);
    a->field[0] = ds_abi_address(bi->app_id);
    a->field[1] = ds_abi_fbytes(bi->compose_hash, 32);
    a->field[2] = ds_abi_address(bi->instance_id_len ? bi->instance_id : zero);
    a->field[3] = ds_abi_fbytes(bi->device_id, 32);
    a->field[4] = ds_abi_fbytes(bi->mr_aggregated, 32);
    a->field[5] = ds_abi_fbytes(bi->mr_system, 32);
    a->field[6] = ds_abi_fbytes(bi->os_image_hash, 32);
    a->field[7] = ds_abi_string(bi->tcb_status);
    a->field[8] = ds_abi_array(a->adv, bi->n_advisory_ids);
    a->tuple = ds_abi_tuple(a->field, 9);
}

ds_err ds_bootinfo_calldata(const ds_bootinfo *bi, uint8_t **data, size_t *len) {
    ds_bootinfo_abi a;
    ds_bootinfo_abi_init(bi, &a);
    size_t n = 0;
    *data = NULL;
    *len = 0;
    ds_err e = ds_abi_encode_call(DS_BOOTINFO_IS_APP_ALLOWED, &a.tuple, 1, NULL, 0, &n);
    if (e != DS_OK) return DS_ERR_ARG;
    uint8_t *p = malloc(n);
    if (p == NULL) return DS_ERR_NOMEM;
    if (ds_abi_encode_call(DS_BOOTINFO_IS_APP_ALLOWED, &a.tuple, 1, p, n, &n) != DS_OK) {
        free(p);
        return DS_ERR_ARG;
    }
    *data = p;
    *len = n;
    return DS_OK;
}
