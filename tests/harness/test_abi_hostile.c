/* test_abi_hostile.c — lib/eth/ds_abi's decoder on hostile input: every truncation of a
 * valid encoding, bad offsets and lengths, dirty words, aliasing bombs, and random
 * single-byte mutations (run under ASan by `make test-abi`: no crash, no over-read).
 */
#include <stdio.h>
#include <stdlib.h>

#include "abi_testutil.h"

#include "ds_abi.h"

/* ---- hostile input ---------------------------------------------------------------------- */

static ds_err decode_hex(const char *sig, const char *hex, ds_abi_value *pool, size_t cap) {
    ds_abi_types t;
    uint8_t *data;
    size_t len = unhex_alloc(hex, &data), used;
    assert_int_equal(ds_abi_parse(sig, strlen(sig), &t, NULL), DS_OK);
    ds_err rc = ds_abi_decode(&t, data, len, pool, cap, &used);
    free(data);
    return rc;
}

static void decode_rejects_hostile(void **state) {
    (void)state;
    ds_abi_value pool[64];
    /* every truncation of a valid encoding fails cleanly (ASan checks no over-read) */
    ds_abi_types t;
    uint8_t *data;
    size_t len = unhex_alloc(BIG_HEX, &data), used;
    assert_int_equal(ds_abi_parse(BIG_SIG, strlen(BIG_SIG), &t, NULL), DS_OK);
    for (size_t cut = 0; cut < len; cut++) {
        uint8_t *copy = malloc(cut ? cut : 1);
        memcpy(copy, data, cut);
        ds_err rc = ds_abi_decode(&t, copy, cut, pool, 64, &used);
        /* the last string ("b") may lose its 31 padding bytes without losing content */
        assert_int_equal(rc, cut < len - 31 ? DS_ERR_PARSE : DS_OK);
        free(copy);
    }
    free(data);
    /* dirty scalar words */
    assert_int_equal(decode_hex("f(uint8)",
                                "0000000000000000000000000000000000000000000000000000000000000100",
                                pool, 64),
                     DS_ERR_PARSE);
    assert_int_equal(decode_hex("f(uint8)",
                                "00000000000000000000000000000000000000000000000000000000000001ff",
                                pool, 64),
                     DS_ERR_PARSE);
    assert_int_equal(decode_hex("f(bool)", W("02"), pool, 64), DS_ERR_PARSE);
    assert_int_equal(decode_hex("f(address)",
                                "000000000000000000000001"
                                "1111111111111111111111111111111111111111",
                                pool, 64),
                     DS_ERR_PARSE);
    assert_int_equal(decode_hex("f(int8)",
                                "00000000000000000000000000000000000000000000000000000000000000ff",
                                pool, 64),
                     DS_ERR_PARSE);
    assert_int_equal(decode_hex("f(int8)",
                                "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff80",
                                pool, 64),
                     DS_OK);
    assert_int_equal(decode_hex("f(bytes1)",
                                "0101000000000000000000000000000000000000000000000000000000000000",
                                pool, 64),
                     DS_ERR_PARSE);
    /* offsets and lengths out of range, or absurdly large */
    assert_int_equal(decode_hex("f(bytes)", W("40") W("01") "ff", pool, 64), DS_ERR_PARSE);
    assert_int_equal(decode_hex("f(bytes)", W("20") W("21") W0, pool, 64), DS_ERR_PARSE);
    assert_int_equal(
        decode_hex("f(bytes)",
                   W("20") "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff", pool,
                   64),
        DS_ERR_PARSE);
    assert_int_equal(
        decode_hex("f(bytes)",
                   "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffe0" W0, pool, 64),
        DS_ERR_PARSE);
    assert_int_equal(
        decode_hex("f(uint256[])",
                   W("20") "00000000000000000000000000000000000000000000000000000000ffffffff" W0,
                   pool, 64),
        DS_ERR_PARSE);
    assert_int_equal(decode_hex("f(uint256[4294967295])", W0, pool, 64), DS_ERR_PARSE);
    /* a valid tiny one for contrast */
    {
        uint8_t *ok;
        size_t okn = unhex_alloc(
            W("20") W("01") "ff00000000000000000000000000000000000000000000000000000000000000",
            &ok);
        assert_int_equal(ds_abi_parse("f(bytes)", 8, &t, NULL), DS_OK);
        assert_int_equal(ds_abi_decode(&t, ok, okn, pool, 64, &used), DS_OK);
        assert_int_equal(pool[0].items[0].len, 1);
        assert_ptr_equal(pool[0].items[0].ptr, ok + 64);
        free(ok);
    }

    /* aliasing bomb: every element of each level of a uint256[][][][] points at the
     * same next-level array, so ~12 KiB claim 96^4 values: rejected by the value cap */
    enum { L = 96 };
    size_t lvl = 32 * (L + 1), blen = 32 + 4 * lvl;
    uint8_t *bd = calloc(1, blen);
    bd[31] = 0x20;
    for (int k = 0; k < 4; k++) {
        size_t a = 32 + (size_t)k * lvl;
        bd[a + 31] = L;
        for (int i = 0; k < 3 && i < L; i++) { /* offset of the next level from a+32 */
            size_t rel = lvl - 32;
            bd[a + 32 + 32 * (size_t)i + 30] = (uint8_t)(rel >> 8);
            bd[a + 32 + 32 * (size_t)i + 31] = (uint8_t)rel;
        }
    }
    ds_abi_types tb;
    size_t need = 0;
    assert_int_equal(ds_abi_parse("f(uint256[][][][])", 18, &tb, NULL), DS_OK);
    assert_int_equal(ds_abi_decode(&tb, bd, blen, NULL, 0, &need), DS_ERR_PARSE);
    /* the same structure with 2 elements per level is fine: 1 + 2 + 4 + 8 + 16 values */
    for (int k = 0; k < 4; k++)
        bd[32 + (size_t)k * lvl + 31] = 2;
    assert_int_equal(ds_abi_decode(&tb, bd, blen, NULL, 0, &need), DS_OK);
    assert_int_equal(need, 1 + 1 + 2 + 4 + 8 + 16);
    free(bd);
}

/* Random single-byte mutations of valid encodings must never crash or over-read; when
 * the decode succeeds, every BYTES/STRING value must lie inside the buffer. */
static void check_inside(const ds_abi_value *v, const uint8_t *data, size_t len) {
    if (v->kind == DS_ABI_BYTES || v->kind == DS_ABI_STRING) {
        assert_true(v->ptr >= data && v->ptr + v->len <= data + len);
    }
    if (v->kind == DS_ABI_ARRAY || v->kind == DS_ABI_FARRAY || v->kind == DS_ABI_TUPLE)
        for (size_t i = 0; i < v->n; i++)
            check_inside(&v->items[i], data, len);
}

static void decode_mutations(void **state) {
    (void)state;
    ds_abi_types t;
    uint8_t *data;
    size_t len = unhex_alloc(BIG_HEX, &data), used;
    static ds_abi_value pool[DS_ABI_MAX_VALUES];
    assert_int_equal(ds_abi_parse(BIG_SIG, strlen(BIG_SIG), &t, NULL), DS_OK);
    srand(12345);
    int ok = 0;
    for (int round = 0; round < 20000; round++) {
        uint8_t *m = malloc(len);
        memcpy(m, data, len);
        int flips = 1 + rand() % 3;
        for (int f = 0; f < flips; f++)
            m[rand() % len] = (uint8_t)rand();
        if (ds_abi_decode(&t, m, len, pool, DS_ABI_MAX_VALUES, &used) == DS_OK) {
            ok++;
            check_inside(&pool[0], m, len);
        }
        free(m);
    }
    assert_true(ok > 0); /* some mutations land in content and still decode */
    free(data);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(decode_rejects_hostile),
        cmocka_unit_test(decode_mutations),
    };
    return cmocka_run_group_tests_name("ds_abi: hostile input", tests, NULL, NULL);
}
