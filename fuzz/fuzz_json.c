/* fuzz_json.c — libFuzzer target: JSON argument decoding (lib/core/ds_json.c on cJSON) and the
 * JSON string writer.
 *
 * The input is a request body. It goes through the simulator's strict text check
 * (sim_json_text_check: UTF-8, no NUL, bounded nesting) and is parsed as the router does;
 * when it is
 * an object every typed getter runs on every argument name the methods use (a field of
 * the wrong type must be an error with a message, never a crash). Invariants:
 *   - ds_json_get_hex succeeds exactly when the field is missing or valid hex, with the
 *     decoded length;
 *   - the text check accepts only strict UTF-8 without NUL, and what it accepts and cJSON
 *     parses nests at most SIM_MAX_JSON_DEPTH deep;
 *   - ds_buf_json_str of the raw input bytes is always valid JSON, and for input that is
 *     valid UTF-8 without NUL it decodes back to the same bytes (it never lies).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "ds_hex.h"
#include "ds_json.h"
#include "fuzz_util.h"
#include "sim_limits.h"

static const char *const FIELDS[] = {
    "path", "purpose", "algorithm", "report_data", "payload", "event", "subject",
    "alt_names", "usage_ra_tls", "usage_server_auth", "usage_client_auth", "not_before",
    "not_after", "with_app_info", "data", "signature", "public_key", "hash_algorithm",
    "prefix", "random_seed", "", NULL};

/* Strict UTF-8 (RFC 3629: no overlongs, no surrogates, at most U+10FFFF), no NUL. */
static int utf8_clean(const uint8_t *s, size_t n) {
    size_t i = 0;
    while (i < n) {
        uint8_t c = s[i];
        if (c == 0) return 0;
        if (c < 0x80) { i++; continue; }
        size_t len = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 0;
        if (!len || c > 0xf4 || c == 0xc0 || c == 0xc1 || i + len > n) return 0;
        for (size_t k = 1; k < len; k++)
            if ((s[i + k] & 0xc0) != 0x80) return 0;
        if (c == 0xe0 && s[i + 1] < 0xa0) return 0;
        if (c == 0xed && s[i + 1] >= 0xa0) return 0;
        if (c == 0xf0 && s[i + 1] < 0x90) return 0;
        if (c == 0xf4 && s[i + 1] >= 0x90) return 0;
        i += len;
    }
    return 1;
}

static void getters(const cJSON *o) {
    char err[256];
    for (const char *const *f = FIELDS; *f; f++) {
        const char *s;
        int b;
        uint64_t u;
        int present;
        uint8_t *hex;
        size_t n;
        const char **arr;
        size_t na;
        const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, *f);
        ds_err e = ds_json_get_str(o, *f, &s, err, sizeof err);
        FZ_CHECK(e == DS_OK || e == DS_ERR_PARSE);
        if (e == DS_OK) FZ_CHECK(s != NULL);
        e = ds_json_get_bool(o, *f, &b, err, sizeof err);
        FZ_CHECK(e == DS_OK || e == DS_ERR_PARSE);
        e = ds_json_get_u64(o, *f, &u, &present, err, sizeof err);
        FZ_CHECK(e == DS_OK || e == DS_ERR_PARSE);
        /* JSON numbers: exact integers below 2^53; digit strings (protobuf's uint64 JSON
         * form) may use the full 64 bits. */
        if (e == DS_OK && present && cJSON_IsNumber(it)) FZ_CHECK(u < (1ull << 53));
        e = ds_json_get_hex(o, *f, &hex, &n, err, sizeof err);
        FZ_CHECK(e == DS_OK || e == DS_ERR_PARSE);
        if (cJSON_IsString(it)) {
            long want = ds_hex_decoded_len(it->valuestring, strlen(it->valuestring));
            FZ_CHECK((e == DS_OK) == (want >= 0));
            if (e == DS_OK) FZ_CHECK(n == (size_t)want && (n == 0) == (hex == NULL));
        }
        free(hex);
        e = ds_json_get_str_array(o, *f, &arr, &na, err, sizeof err);
        FZ_CHECK(e == DS_OK || e == DS_ERR_PARSE);
        for (size_t i = 0; e == DS_OK && i < na; i++) FZ_CHECK(arr[i] != NULL);
        free(arr);
    }
}

static int depth(const cJSON *j) {
    int d = 0;
    for (const cJSON *c = j ? j->child : NULL; c; c = c->next) {
        int k = depth(c);
        if (k > d) d = k;
    }
    return j && (cJSON_IsArray(j) || cJSON_IsObject(j)) ? d + 1 : d;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char err[256];
    int checked = sim_json_text_check(data, size, err, sizeof err) == 0;
    if (checked) FZ_CHECK(utf8_clean(data, size));
    else FZ_CHECK(err[0] != '\0');
    FZ_CHECK((sim_utf8_check(data, size, 1) < 0) == utf8_clean(data, size));
    cJSON *o = cJSON_ParseWithLength((const char *)data, size);
    if (checked && o) FZ_CHECK(depth(o) <= SIM_MAX_JSON_DEPTH);
    if (cJSON_IsObject(o)) getters(o);
    cJSON_Delete(o);

    ds_buf b;
    ds_buf_init(&b);
    ds_buf_json_str(&b, (const char *)data, size);
    FZ_CHECK(!b.oom && b.data != NULL);
    cJSON *s = cJSON_ParseWithLength(b.data, b.len);
    FZ_CHECK(cJSON_IsString(s));
    if (utf8_clean(data, size))
        FZ_CHECK(strlen(s->valuestring) == size && !memcmp(s->valuestring, data, size));
    cJSON_Delete(s);
    ds_buf_free(&b);
    return 0;
}
