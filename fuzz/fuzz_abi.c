/* fuzz_abi.c — libFuzzer target: the Ethereum ABI type parser and strict decoder
 * (lib/eth/ds_abi.c, ds_abi_dec.c, ds_abi_text.c), as the harness uses them on RPC results,
 * reverts and logs.
 *
 * Input: "<type list>\n<encoded data>" (without a newline, the whole input is data for a
 * fixed rich type list). Invariants: decoding with a counting pass then a pool of exactly
 * that size succeeds; a decoded value re-encodes to bytes that decode to the same text
 * (decode ∘ encode is the identity on decoded values); rendering is snprintf-exact;
 * revert-data description never overruns.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ds_abi.h"
#include "fuzz_util.h"

#define DEFAULT_TYPES "(uint256,int8,address,bool,bytes4,bytes,string,uint16[],(bytes32,string)[2],int256[][])"

static char *render(const ds_abi_value *v, int flags, size_t *len) {
    size_t n = ds_abi_format(v, flags, NULL, 0);
    char *s = malloc(n + 1);
    FZ_CHECK(s != NULL);
    FZ_CHECK(ds_abi_format(v, flags, s, n + 1) == n && strlen(s) == n);
    if (n > 2) { /* truncated rendering: NUL-terminated prefix, same full length */
        char *t = malloc(n / 2);
        FZ_CHECK(t != NULL);
        FZ_CHECK(ds_abi_format(v, flags, t, n / 2) == n && strlen(t) == n / 2 - 1);
        FZ_CHECK(!memcmp(t, s, n / 2 - 1));
        free(t);
    }
    *len = n;
    return s;
}

static void decode_roundtrip(const ds_abi_types *t, const uint8_t *data, size_t len) {
    size_t need = 0;
    ds_err e = ds_abi_decode(t, data, len, NULL, 0, &need);
    FZ_CHECK(e == DS_OK || e == DS_ERR_PARSE);
    if (e != DS_OK) return;
    FZ_CHECK(need >= 1 && need <= DS_ABI_MAX_VALUES);
    ds_abi_value *pool = malloc(need * sizeof *pool);
    FZ_CHECK(pool != NULL);
    size_t used = 0;
    if (need > 1) FZ_CHECK(ds_abi_decode(t, data, len, pool, need - 1, &used) == DS_ERR_LEN);
    FZ_CHECK(ds_abi_decode(t, data, len, pool, need, &used) == DS_OK && used == need);
    FZ_CHECK(ds_abi_check(t, t->root, &pool[0]) == DS_OK);
    size_t tl, jl;
    char *text = render(&pool[0], 0, &tl);
    char *json = render(&pool[0], DS_ABI_FMT_JSON, &jl);

    size_t elen = ds_abi_encoded_size(&pool[0]);
    uint8_t *enc = malloc(elen ? elen : 1);
    FZ_CHECK(enc != NULL);
    size_t wrote = 0;
    FZ_CHECK(ds_abi_encode(&pool[0], enc, elen, &wrote) == DS_OK && wrote == elen);
    ds_abi_value *pool2 = malloc(need * sizeof *pool2);
    FZ_CHECK(pool2 != NULL);
    FZ_CHECK(ds_abi_decode(t, enc, elen, pool2, need, &used) == DS_OK && used == need);
    size_t tl2;
    char *text2 = render(&pool2[0], 0, &tl2);
    FZ_CHECK(tl2 == tl && !memcmp(text, text2, tl));
    free(text2);
    free(pool2);
    free(enc);
    free(text);
    free(json);
    free(pool);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const uint8_t *nl = memchr(data, '\n', size < 600 ? size : 600);
    char types[601];
    const uint8_t *d = data;
    size_t dl = size;
    if (nl) {
        size_t tl = (size_t)(nl - data);
        memcpy(types, data, tl);
        types[tl] = '\0';
        d = nl + 1;
        dl = size - tl - 1;
    } else {
        strcpy(types, DEFAULT_TYPES);
    }
    /* Exact-size copy of the data, so ASan catches any read past its end. */
    uint8_t *buf = malloc(dl ? dl : 1);
    FZ_CHECK(buf != NULL);
    if (dl) memcpy(buf, d, dl);

    ds_abi_types t;
    if (ds_abi_parse(types, strlen(types), &t, NULL) == DS_OK) {
        FZ_CHECK(t.n >= 1 && t.n <= DS_ABI_MAX_TYPES && t.root >= 0 && t.root < t.n);
        char canon[DS_ABI_SIG_MAX];
        size_t cl = ds_abi_type_str(&t, t.root, canon, sizeof canon);
        if (cl < sizeof canon) { /* the canonical form parses to the same canonical form */
            ds_abi_types t2;
            char canon2[DS_ABI_SIG_MAX];
            FZ_CHECK(ds_abi_parse(canon, cl, &t2, NULL) == DS_OK);
            FZ_CHECK(ds_abi_type_str(&t2, t2.root, canon2, sizeof canon2) == cl);
            FZ_CHECK(!strcmp(canon, canon2));
        }
        decode_roundtrip(&t, buf, dl);
        uint8_t sel[4];
        (void)ds_abi_selector(types, sel);
    }
    char out[512];
    size_t full = ds_abi_revert_describe(buf, dl, NULL, 0, out, sizeof out);
    FZ_CHECK(strlen(out) == (full < sizeof out ? full : sizeof out - 1));
    full = ds_abi_revert_describe(buf, dl, NULL, DS_ABI_FMT_JSON, out, sizeof out);
    FZ_CHECK(strlen(out) == (full < sizeof out ? full : sizeof out - 1));
    free(buf);
    return 0;
}
