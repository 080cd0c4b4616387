/* fuzz_bootinfo.c — libFuzzer target: the BootInfo reader (lib/eth/ds_bootinfo.c), as the
 * harness runs it on a simulator's GetMeta, and what is made of what it accepts.
 *
 * The input is a JSON text. Invariants:
 *   - ds_bootinfo_from_json returns DS_OK or DS_ERR_PARSE, the latter with a message;
 *   - what it accepts writes (ds_bootinfo_json) as valid JSON that reads back; written
 *     again it gives the same bytes, and when every string is ASCII the BootInfo read back
 *     is the same struct;
 *   - its isAppAllowed calldata always encodes, and decodes as the AppBootInfo tuple with
 *     the same TCB status and number of advisory ids.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "ds_abi.h"
#include "ds_bootinfo.h"
#include "fuzz_util.h"

#define TUPLE "((address,bytes32,address,bytes32,bytes32,bytes32,bytes32,string,string[]))"

static int ascii(const char *s) {
    for (; *s; s++)
        if ((unsigned char)*s >= 0x80) return 0;
    return 1;
}

static int all_ascii(const ds_bootinfo *b) {
    int ok = ascii(b->attestation_mode) && ascii(b->tcb_status);
    for (size_t i = 0; ok && i < b->n_advisory_ids; i++)
        ok = ascii(b->advisory_ids[i]);
    return ok;
}

static void check_calldata(const ds_bootinfo *b) {
    uint8_t *data = NULL;
    size_t len = 0, need = 0, used = 0;
    FZ_CHECK(ds_bootinfo_calldata(b, &data, &len) == DS_OK && len > 4);
    ds_abi_types t;
    FZ_CHECK(ds_abi_parse(TUPLE, strlen(TUPLE), &t, NULL) == DS_OK);
    FZ_CHECK(ds_abi_decode(&t, data + 4, len - 4, NULL, 0, &need) == DS_OK);
    ds_abi_value *pool = calloc(need, sizeof *pool);
    FZ_CHECK(pool != NULL);
    FZ_CHECK(ds_abi_decode(&t, data + 4, len - 4, pool, need, &used) == DS_OK);
    const ds_abi_value *abi = &pool[0].items[0];
    FZ_CHECK(abi->n == 9);
    FZ_CHECK(abi->items[7].len == strlen(b->tcb_status) &&
             memcmp(abi->items[7].ptr, b->tcb_status, abi->items[7].len) == 0);
    FZ_CHECK(abi->items[8].n == b->n_advisory_ids);
    free(pool);
    free(data);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    cJSON *j = cJSON_ParseWithLength((const char *)data, size);
    if (j == NULL) return 0;
    static ds_bootinfo b1, b2;
    char err[160] = "";
    ds_err e = ds_bootinfo_from_json(j, &b1, err, sizeof err);
    cJSON_Delete(j);
    FZ_CHECK(e == DS_OK || (e == DS_ERR_PARSE && err[0] != '\0'));
    if (e != DS_OK) return 0;
    check_calldata(&b1);
    ds_buf t1, t2;
    ds_buf_init(&t1);
    ds_buf_init(&t2);
    ds_bootinfo_json(&b1, &t1);
    FZ_CHECK(!t1.oom);
    cJSON *back = cJSON_Parse(t1.data);
    FZ_CHECK(back != NULL);
    e = ds_bootinfo_from_json(back, &b2, err, sizeof err);
    cJSON_Delete(back);
    if (all_ascii(&b1)) FZ_CHECK(e == DS_OK && memcmp(&b1, &b2, sizeof b1) == 0);
    if (e == DS_OK) { /* a non-ASCII string may grow past its cap as U+FFFD */
        ds_bootinfo_json(&b2, &t2);
        FZ_CHECK(!t2.oom && t1.len == t2.len && memcmp(t1.data, t2.data, t1.len) == 0);
    }
    ds_buf_free(&t1);
    ds_buf_free(&t2);
    return 0;
}
