/* test_abi.c — lib/eth/ds_abi against Foundry's cast (an independent Rust ABI
 * implementation), fixed cases: outputs of `cast abi-encode`, `cast calldata`, `cast sig`
 * and `cast abi-decode` (v1.7.1) captured once and written here — selectors and canonical
 * signatures, parse errors, a big encoding and its decoding, word decimals at the extremes.
 * Hostile input is in test_abi_hostile.c, reverts/artifacts/logs in test_abi_errors.c, the
 * live comparisons with the pinned cast in test_abi_cast.c (all run by `make test-abi`).
 */
#include <stdio.h>
#include <stdlib.h>

#include <cjson/cJSON.h>

#include "abi_testutil.h"

#include "ds_abi.h"

/* Encodes v and compares with want (0x-prefixed hex). */
static void assert_encodes(const ds_abi_value *v, const char *want) {
    size_t n = ds_abi_encoded_size(v), got_n = 0;
    uint8_t *buf = malloc(n + 1);
    assert_int_equal(ds_abi_encode(v, buf, n, &got_n), DS_OK);
    assert_int_equal(got_n, n);
    char *hex = hex0x_alloc(buf, n);
    assert_string_equal(hex, want);
    free(buf);
    free(hex);
}

/* ---- fixed cases ---------------------------------------------------------------------- */

static void selectors_and_canonical(void **state) {
    (void)state;
    uint8_t sel[4];
    char canon[256];
    assert_int_equal(ds_abi_selector("transfer(address,uint256)", sel), DS_OK);
    assert_hex_equal(sel, 4, "a9059cbb");
    assert_int_equal(ds_abi_selector("f((uint8,string[]),(bytes)[])", sel), DS_OK);
    assert_hex_equal(sel, 4, "d5c05395");
    assert_int_equal(ds_abi_selector("f(tuple(uint8, string[]), tuple(bytes)[])", sel), DS_OK);
    assert_hex_equal(sel, 4, "d5c05395");
    assert_int_equal(
        ds_abi_canonical("f(uint,int, bytes32[2][] ,(address,bool))", canon, sizeof canon), DS_OK);
    assert_string_equal(canon, "f(uint256,int256,bytes32[2][],(address,bool))");
    assert_int_equal(ds_abi_canonical("f(uint256)", canon, 5), DS_ERR_LEN);
    /* Error(string) and Panic(uint256) selectors everyone knows */
    assert_int_equal(ds_abi_selector("Error(string)", sel), DS_OK);
    assert_hex_equal(sel, 4, "08c379a0");
    assert_int_equal(ds_abi_selector("Panic(uint256)", sel), DS_OK);
    assert_hex_equal(sel, 4, "4e487b71");
}

static void parse_rejects(void **state) {
    (void)state;
    ds_abi_types t;
    const char *bad[] = {"f(uint7)",      "f(uint264)",
                         "f(uint0)",      "f(bytes0)",
                         "f(bytes33)",    "f(uint08)",
                         "f(int)x",       "f(",
                         "f(uint256",     "f(,)",
                         "f(uint256,)",   "f(foo)",
                         "f(uint256[0])", "f(uint256[01])",
                         "f(uint256[)",   "f(((((((((((((((((((uint8)))))))))))))))))))",
                         "uint256",       ""};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(ds_abi_parse(bad[i], strlen(bad[i]), &t, NULL), DS_ERR_PARSE);
    /* two-step parse of cast's "f(in)(out)" form */
    size_t used;
    const char *s = "f(uint256)(bool,string)";
    assert_int_equal(ds_abi_parse(s, strlen(s), &t, &used), DS_OK);
    assert_int_equal(used, 10);
    assert_int_equal(ds_abi_parse(s + used, strlen(s + used), &t, NULL), DS_OK);
    assert_int_equal(t.node[t.root].ncomp, 2);
    char ty[64];
    assert_int_equal(ds_abi_type_str(&t, t.root, ty, sizeof ty), strlen("(bool,string)"));
    assert_string_equal(ty, "(bool,string)");
}

static void encode_fixed_matches_cast(void **state) {
    (void)state;
    uint8_t aa[20] = {0};
    aa[19] = 0xaa;
    const uint8_t b3[3] = {1, 2, 3}, dead[4] = {0xde, 0xad, 0xbe, 0xef};
    ds_abi_value u16s[3] = {ds_abi_uint(16, 1), ds_abi_uint(16, 2), ds_abi_uint(16, 3)};
    ds_abi_value p1[2] = {ds_abi_uint(8, 1), ds_abi_string("a")};
    ds_abi_value p2[2] = {ds_abi_uint(8, 2), ds_abi_string("b")};
    ds_abi_value pairs[2] = {ds_abi_tuple(p1, 2), ds_abi_tuple(p2, 2)};
    ds_abi_value args[9] = {ds_abi_u64(0x1234),
                            ds_abi_int(8, -5),
                            ds_abi_address(aa),
                            ds_abi_bool(1),
                            ds_abi_fbytes(b3, 3),
                            ds_abi_bytes(dead, 4),
                            ds_abi_string("h\xc3\xa9\"llo"),
                            ds_abi_array(u16s, 3),
                            ds_abi_farray(pairs, 2)};
    ds_abi_value all = ds_abi_tuple(args, 9);
    assert_encodes(&all, BIG_HEX);

    /* the same through encode_call: selector + checked args */
    uint8_t sel[4];
    size_t need = 0, got = 0;
    assert_int_equal(ds_abi_encode_call(BIG_SIG, args, 9, NULL, 0, &need), DS_OK);
    assert_int_equal(need, 4 + (strlen(BIG_HEX) - 2) / 2);
    uint8_t *cd = malloc(need);
    assert_int_equal(ds_abi_encode_call(BIG_SIG, args, 9, cd, need - 1, &got), DS_ERR_LEN);
    assert_int_equal(ds_abi_encode_call(BIG_SIG, args, 9, cd, need, &got), DS_OK);
    assert_int_equal(ds_abi_selector(BIG_SIG, sel), DS_OK);
    assert_memory_equal(cd, sel, 4);
    free(cd);

    /* cast calldata "f(uint256)" 5 */
    ds_abi_value five = ds_abi_u64(5);
    uint8_t small[36];
    assert_int_equal(ds_abi_encode_call("f(uint256)", &five, 1, small, sizeof small, &got), DS_OK);
    assert_hex_equal(small, 36,
                     "b3de648b0000000000000000000000000000000000000000000000000000000000000005");

    /* argument/type mismatches are DS_ERR_ARG */
    ds_abi_value wrong = ds_abi_string("x");
    assert_int_equal(ds_abi_encode_call("f(uint256)", &wrong, 1, small, sizeof small, &got),
                     DS_ERR_ARG);
    ds_abi_value big = ds_abi_u64(256);
    assert_int_equal(ds_abi_encode_call("f(uint8)", &big, 1, small, sizeof small, &got),
                     DS_ERR_ARG);
    assert_int_equal(ds_abi_encode_call("f(uint8,uint8)", &five, 1, small, sizeof small, &got),
                     DS_ERR_ARG);
    ds_abi_value neg = ds_abi_int(8, -129); /* does not fit int8: constructor marks invalid */
    assert_int_equal(ds_abi_encode(&neg, small, sizeof small, &got), DS_ERR_ARG);
    ds_abi_value mixed_items[2] = {ds_abi_u64(1), ds_abi_bool(1)};
    ds_abi_value mixed = ds_abi_array(mixed_items, 2);
    assert_int_equal(ds_abi_encode(&mixed, small, sizeof small, &got), DS_ERR_ARG);
}

/* cast abi-decode "f()(<BIG_SIG types>)" BIG_HEX prints these lines (minus cast's
 * " [1e6]"-style annotations, which only appear for numbers ≥ 1e6). */
static void decode_fixed_matches_cast(void **state) {
    (void)state;
    static const char *want[] = {"4660",
                                 "-5",
                                 "0x00000000000000000000000000000000000000AA",
                                 "true",
                                 "0x010203",
                                 "0xdeadbeef",
                                 "\"h\xc3\xa9\\\"llo\"",
                                 "[1, 2, 3]",
                                 "[(1, \"a\"), (2, \"b\")]"};
    ds_abi_types t;
    uint8_t *data;
    size_t len = unhex_alloc(BIG_HEX, &data), need = 0, used = 0;
    assert_int_equal(ds_abi_parse(BIG_SIG, strlen(BIG_SIG), &t, NULL), DS_OK);
    assert_int_equal(ds_abi_decode(&t, data, len, NULL, 0, &need), DS_OK);
    assert_int_equal(need, 1 + 9 + 3 + 2 + 4);
    ds_abi_value pool[32];
    assert_int_equal(ds_abi_decode(&t, data, len, pool, need - 1, &used), DS_ERR_LEN);
    assert_int_equal(used, need);
    assert_int_equal(ds_abi_decode(&t, data, len, pool, need, &used), DS_OK);
    for (size_t i = 0; i < 9; i++) {
        char out[256];
        size_t n = ds_abi_format(&pool[0].items[i], 0, out, sizeof out);
        assert_int_equal(n, strlen(want[i]));
        assert_string_equal(out, want[i]);
    }
    char json[512];
    ds_abi_format(&pool[0], DS_ABI_FMT_JSON, json, sizeof json);
    assert_string_equal(json,
                        "[\"4660\",\"-5\",\"0x00000000000000000000000000000000000000AA\",true,"
                        "\"0x010203\",\"0xdeadbeef\",\"h\xc3\xa9\\\"llo\",[\"1\",\"2\",\"3\"],"
                        "[[\"1\",\"a\"],[\"2\",\"b\"]]]");
    cJSON *parsed = cJSON_Parse(json);
    assert_non_null(parsed); /* the JSON form is valid JSON */
    cJSON_Delete(parsed);
    /* truncated output: full length returned, NUL-terminated prefix written */
    char tiny[6];
    assert_int_equal(ds_abi_format(&pool[0].items[2], 0, tiny, sizeof tiny), 42);
    assert_string_equal(tiny, "0x000");
    /* the one-call form */
    char one[512];
    size_t full = 0;
    assert_int_equal(ds_abi_decode_to_text(BIG_SIG, data, len, 0, one, sizeof one, &full), DS_OK);
    assert_int_equal(full, strlen(one));
    assert_string_equal(
        one, "(4660, -5, 0x00000000000000000000000000000000000000AA, true, 0x010203, 0xdeadbeef, "
             "\"h\xc3\xa9\\\"llo\", [1, 2, 3], [(1, \"a\"), (2, \"b\")])");
    assert_int_equal(ds_abi_decode_to_text("(uint256)", data, 31, 0, one, sizeof one, NULL),
                     DS_ERR_PARSE);
    assert_int_equal(ds_abi_decode_to_text("(uint7)", data, len, 0, one, sizeof one, NULL),
                     DS_ERR_PARSE);
    uint64_t u;
    assert_int_equal(ds_abi_get_u64(&pool[0].items[0], &u), DS_OK);
    assert_int_equal(u, 0x1234);
    assert_non_null(ds_abi_get_address(&pool[0].items[2]));
    assert_null(ds_abi_get_address(&pool[0].items[0]));
    free(data);
}

static void word_decimal_extremes(void **state) {
    (void)state;
    uint8_t w[32];
    char dec[80];
    memset(w, 0xff, 32);
    assert_string_equal(
        ds_abi_word_dec(w, 0, dec),
        "115792089237316195423570985008687907853269984665640564039457584007913129639935");
    assert_string_equal(ds_abi_word_dec(w, 1, dec), "-1");
    memset(w, 0, 32);
    w[0] = 0x80;
    assert_string_equal(
        ds_abi_word_dec(w, 1, dec),
        "-57896044618658097711785492504343953926634992332820282019728792003956564819968");
    memset(w, 0, 32);
    assert_string_equal(ds_abi_word_dec(w, 1, dec), "0");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(selectors_and_canonical),   cmocka_unit_test(parse_rejects),
        cmocka_unit_test(encode_fixed_matches_cast), cmocka_unit_test(decode_fixed_matches_cast),
        cmocka_unit_test(word_decimal_extremes),
    };
    return cmocka_run_group_tests_name("ds_abi: fixed cases from cast", tests, NULL, NULL);
}
