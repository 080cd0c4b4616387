/* test_abi.c — lib/eth/ds_abi against Foundry's cast (an independent Rust ABI implementation).
 *
 * Fixed cases: outputs of `cast abi-encode`, `cast calldata`, `cast sig` and
 * `cast abi-decode` (v1.7.1) captured once and written here. Live cases: random type
 * strings and random values encoded by ds_abi and by the pinned cast (spawned without a
 * shell), compared byte for byte, then decoded by both and compared as text. Hostile
 * cases: truncations, bad offsets and lengths, dirty words, aliasing bombs, random
 * mutation (run under ASan by `make test-abi`).
 *
 * CAST (environment) overrides the cast binary; without it the pinned one under
 * node_modules is used. If it is missing the live test is skipped with a message.
 */
#include <errno.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "unit_util.h"

#include "ds_abi.h"
#include "ds_keccak.h"

extern char **environ;

#define CAST_DEFAULT "node_modules/@foundry-rs/cast-linux-amd64/bin/cast"

static size_t unhex_alloc(const char *hex, uint8_t **out) {
    size_t cap = strlen(hex) / 2 + 1, n = 0;
    *out = malloc(cap);
    assert_non_null(*out);
    assert_int_equal(ds_hex_decode(hex, strlen(hex), *out, cap, &n), DS_OK);
    return n;
}

/* Encodes v and compares with want (0x-prefixed hex). */
static void assert_encodes(const ds_abi_value *v, const char *want) {
    size_t n = ds_abi_encoded_size(v), got_n = 0;
    uint8_t *buf = malloc(n + 1);
    char *hex = malloc(2 * n + 3);
    assert_int_equal(ds_abi_encode(v, buf, n, &got_n), DS_OK);
    assert_int_equal(got_n, n);
    hex[0] = '0';
    hex[1] = 'x';
    ds_hex_encode(buf, n, hex + 2);
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
    assert_int_equal(ds_abi_canonical("f(uint,int, bytes32[2][] ,(address,bool))", canon, sizeof canon), DS_OK);
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
    const char *bad[] = {"f(uint7)", "f(uint264)", "f(uint0)", "f(bytes0)", "f(bytes33)",
                         "f(uint08)", "f(int)x", "f(", "f(uint256", "f(,)", "f(uint256,)",
                         "f(foo)", "f(uint256[0])", "f(uint256[01])", "f(uint256[)",
                         "f(((((((((((((((((((uint8)))))))))))))))))))", "uint256", ""};
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

/* cast abi-encode "f(uint256,int8,address,bool,bytes3,bytes,string,uint16[],(uint8,string)[2])"
 *   0x1234 -5 0x…aa true 0x010203 0xdeadbeef 'hé"llo' "[1,2,3]" "[(1,a),(2,b)]" */
static const char *BIG_SIG =
    "f(uint256,int8,address,bool,bytes3,bytes,string,uint16[],(uint8,string)[2])";
static const char *BIG_HEX =
    "0x0000000000000000000000000000000000000000000000000000000000001234ffffffffffffffffffffff"
    "fffffffffffffffffffffffffffffffffffffffffb0000000000000000000000000000000000000000000000"
    "0000000000000000aa0000000000000000000000000000000000000000000000000000000000000001010203"
    "0000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
    "0000000000000000000000000000000120000000000000000000000000000000000000000000000000000000"
    "000000016000000000000000000000000000000000000000000000000000000000000001a000000000000000"
    "0000000000000000000000000000000000000000000000022000000000000000000000000000000000000000"
    "00000000000000000000000004deadbeef000000000000000000000000000000000000000000000000000000"
    "00000000000000000000000000000000000000000000000000000000000000000768c3a9226c6c6f00000000"
    "0000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
    "0000000000000000030000000000000000000000000000000000000000000000000000000000000001000000"
    "0000000000000000000000000000000000000000000000000000000002000000000000000000000000000000"
    "0000000000000000000000000000000003000000000000000000000000000000000000000000000000000000"
    "000000004000000000000000000000000000000000000000000000000000000000000000c000000000000000"
    "0000000000000000000000000000000000000000000000000100000000000000000000000000000000000000"
    "0000000000000000000000004000000000000000000000000000000000000000000000000000000000000000"
    "0161000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
    "0000000000000000000000000000000000000000020000000000000000000000000000000000000000000000"
    "0000000000000000400000000000000000000000000000000000000000000000000000000000000001620000"
    "0000000000000000000000000000000000000000000000000000000000";

static void encode_fixed_matches_cast(void **state) {
    (void)state;
    uint8_t aa[20] = {0};
    aa[19] = 0xaa;
    const uint8_t b3[3] = {1, 2, 3}, dead[4] = {0xde, 0xad, 0xbe, 0xef};
    ds_abi_value u16s[3] = {ds_abi_uint(16, 1), ds_abi_uint(16, 2), ds_abi_uint(16, 3)};
    ds_abi_value p1[2] = {ds_abi_uint(8, 1), ds_abi_string("a")};
    ds_abi_value p2[2] = {ds_abi_uint(8, 2), ds_abi_string("b")};
    ds_abi_value pairs[2] = {ds_abi_tuple(p1, 2), ds_abi_tuple(p2, 2)};
    ds_abi_value args[9] = {ds_abi_u64(0x1234),          ds_abi_int(8, -5),
                            ds_abi_address(aa),          ds_abi_bool(1),
                            ds_abi_fbytes(b3, 3),        ds_abi_bytes(dead, 4),
                            ds_abi_string("h\xc3\xa9\"llo"), ds_abi_array(u16s, 3),
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
    assert_hex_equal(small, 36, "b3de648b0000000000000000000000000000000000000000000000000000000000000005");

    /* argument/type mismatches are DS_ERR_ARG */
    ds_abi_value wrong = ds_abi_string("x");
    assert_int_equal(ds_abi_encode_call("f(uint256)", &wrong, 1, small, sizeof small, &got), DS_ERR_ARG);
    ds_abi_value big = ds_abi_u64(256);
    assert_int_equal(ds_abi_encode_call("f(uint8)", &big, 1, small, sizeof small, &got), DS_ERR_ARG);
    assert_int_equal(ds_abi_encode_call("f(uint8,uint8)", &five, 1, small, sizeof small, &got), DS_ERR_ARG);
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
    static const char *want[] = {"4660", "-5", "0x00000000000000000000000000000000000000AA",
                                 "true", "0x010203", "0xdeadbeef", "\"h\xc3\xa9\\\"llo\"",
                                 "[1, 2, 3]", "[(1, \"a\"), (2, \"b\")]"};
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
    assert_string_equal(json, "[\"4660\",\"-5\",\"0x00000000000000000000000000000000000000AA\",true,"
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
    assert_string_equal(one, "(4660, -5, 0x00000000000000000000000000000000000000AA, true, 0x010203, 0xdeadbeef, "
                             "\"h\xc3\xa9\\\"llo\", [1, 2, 3], [(1, \"a\"), (2, \"b\")])");
    assert_int_equal(ds_abi_decode_to_text("(uint256)", data, 31, 0, one, sizeof one, NULL), DS_ERR_PARSE);
    assert_int_equal(ds_abi_decode_to_text("(uint7)", data, len, 0, one, sizeof one, NULL), DS_ERR_PARSE);
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
    assert_string_equal(ds_abi_word_dec(w, 0, dec),
                        "115792089237316195423570985008687907853269984665640564039457584007913129639935");
    assert_string_equal(ds_abi_word_dec(w, 1, dec), "-1");
    memset(w, 0, 32);
    w[0] = 0x80;
    assert_string_equal(ds_abi_word_dec(w, 1, dec),
                        "-57896044618658097711785492504343953926634992332820282019728792003956564819968");
    memset(w, 0, 32);
    assert_string_equal(ds_abi_word_dec(w, 1, dec), "0");
}

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

#define W0 "0000000000000000000000000000000000000000000000000000000000000000"
#define W(x) "00000000000000000000000000000000000000000000000000000000000000" x

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
    assert_int_equal(decode_hex("f(uint8)", "0000000000000000000000000000000000000000000000000000000000000100", pool, 64), DS_ERR_PARSE);
    assert_int_equal(decode_hex("f(uint8)", "00000000000000000000000000000000000000000000000000000000000001ff", pool, 64), DS_ERR_PARSE);
    assert_int_equal(decode_hex("f(bool)", W("02"), pool, 64), DS_ERR_PARSE);
    assert_int_equal(decode_hex("f(address)", "000000000000000000000001" "1111111111111111111111111111111111111111", pool, 64), DS_ERR_PARSE);
    assert_int_equal(decode_hex("f(int8)", "00000000000000000000000000000000000000000000000000000000000000ff", pool, 64), DS_ERR_PARSE);
    assert_int_equal(decode_hex("f(int8)", "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff80", pool, 64), DS_OK);
    assert_int_equal(decode_hex("f(bytes1)", "0101000000000000000000000000000000000000000000000000000000000000", pool, 64), DS_ERR_PARSE);
    /* offsets and lengths out of range, or absurdly large */
    assert_int_equal(decode_hex("f(bytes)", W("40") W("01") "ff", pool, 64), DS_ERR_PARSE);
    assert_int_equal(decode_hex("f(bytes)", W("20") W("21") W0, pool, 64), DS_ERR_PARSE);
    assert_int_equal(decode_hex("f(bytes)", W("20") "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff", pool, 64), DS_ERR_PARSE);
    assert_int_equal(decode_hex("f(bytes)", "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffe0" W0, pool, 64), DS_ERR_PARSE);
    assert_int_equal(decode_hex("f(uint256[])", W("20") "00000000000000000000000000000000000000000000000000000000ffffffff" W0, pool, 64), DS_ERR_PARSE);
    assert_int_equal(decode_hex("f(uint256[4294967295])", W0, pool, 64), DS_ERR_PARSE);
    /* a valid tiny one for contrast */
    {
        uint8_t *ok;
        size_t okn = unhex_alloc(W("20") W("01") "ff00000000000000000000000000000000000000000000000000000000000000", &ok);
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
    for (int k = 0; k < 4; k++) bd[32 + (size_t)k * lvl + 31] = 2;
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
        for (size_t i = 0; i < v->n; i++) check_inside(&v->items[i], data, len);
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
        for (int f = 0; f < flips; f++) m[rand() % len] = (uint8_t)rand();
        if (ds_abi_decode(&t, m, len, pool, DS_ABI_MAX_VALUES, &used) == DS_OK) {
            ok++;
            check_inside(&pool[0], m, len);
        }
        free(m);
    }
    assert_true(ok > 0); /* some mutations land in content and still decode */
    free(data);
}

/* ---- reverts, artifacts, logs ----------------------------------------------------------- */

static const char *ABI_JSON =
    "[{\"type\":\"error\",\"name\":\"InvalidKmsSignature\",\"inputs\":["
    "{\"name\":\"recovered\",\"type\":\"address\"},{\"name\":\"expected\",\"type\":\"address\"}]},"
    "{\"type\":\"error\",\"name\":\"BadProof\",\"inputs\":[{\"name\":\"step\",\"type\":\"uint8\"},"
    "{\"name\":\"why\",\"type\":\"string\"}]},"
    "{\"type\":\"event\",\"name\":\"InstanceRegistered\",\"anonymous\":false,\"inputs\":["
    "{\"name\":\"instanceId\",\"type\":\"bytes32\",\"indexed\":true},"
    "{\"name\":\"tokenId\",\"type\":\"uint256\",\"indexed\":true},"
    "{\"name\":\"withProof\",\"type\":\"bool\",\"indexed\":false},"
    "{\"name\":\"url\",\"type\":\"string\",\"indexed\":false}]},"
    "{\"type\":\"function\",\"name\":\"f\",\"stateMutability\":\"view\",\"inputs\":["
    "{\"name\":\"p\",\"type\":\"tuple\",\"components\":[{\"name\":\"a\",\"type\":\"uint8\"},"
    "{\"name\":\"b\",\"type\":\"string[]\"}]},{\"name\":\"q\",\"type\":\"tuple[]\",\"components\":"
    "[{\"name\":\"x\",\"type\":\"bytes\"}]}],\"outputs\":[{\"name\":\"\",\"type\":\"bool\"}]},"
    "{\"type\":\"constructor\",\"inputs\":[{\"name\":\"root\",\"type\":\"address\"}]}]";

static char *describe(const char *hex, const ds_abi_errors *errs, int flags) {
    uint8_t *d;
    size_t n = unhex_alloc(hex, &d);
    size_t need = ds_abi_revert_describe(d, n, errs, flags, NULL, 0);
    char *out = malloc(need + 1);
    assert_int_equal(ds_abi_revert_describe(d, n, errs, flags, out, need + 1), need);
    free(d);
    return out;
}

static void reverts_and_artifacts(void **state) {
    (void)state;
    cJSON *abi = cJSON_Parse(ABI_JSON);
    assert_non_null(abi);
    ds_abi_error_def defs[4];
    ds_abi_errors errs = {defs, 0, 4};
    assert_int_equal(ds_abi_errors_add_abi(&errs, abi, "Test"), DS_OK);
    assert_int_equal(errs.n, 2);
    assert_string_equal(defs[0].sig, "InvalidKmsSignature(address,address)");
    assert_hex_equal(defs[0].selector, 4, "94bd7ced");
    assert_string_equal(defs[0].names, "recovered,expected");
    assert_int_equal(ds_abi_errors_add_abi(&errs, abi, "Again"), DS_OK); /* duplicates ignored */
    assert_int_equal(errs.n, 2);

    char sig[256], outs[64], names[64];
    const cJSON *f = ds_abi_find(abi, "function", "f");
    assert_non_null(f);
    assert_int_equal(ds_abi_item_sig(f, sig, sizeof sig, outs, sizeof outs, names, sizeof names), DS_OK);
    assert_string_equal(sig, "f((uint8,string[]),(bytes)[])");
    assert_string_equal(outs, "(bool)");
    assert_string_equal(names, "p,q");
    assert_int_equal(ds_abi_item_sig(ds_abi_find(abi, "constructor", NULL), sig, sizeof sig, NULL, 0, NULL, 0), DS_OK);
    assert_string_equal(sig, "constructor(address)");
    assert_null(ds_abi_find(abi, "function", "nope"));

    char *s;
    /* cast calldata "Error(string)" "Ownable: caller is not the owner" */
    s = describe("08c379a0000000000000000000000000000000000000000000000000000000000000002000000000000000"
                 "000000000000000000000000000000000000000000000000204f776e61626c653a2063616c6c6572206973"
                 "206e6f7420746865206f776e6572", &errs, 0);
    assert_string_equal(s, "Error(\"Ownable: caller is not the owner\")");
    free(s);
    /* cast calldata "Panic(uint256)" 17 */
    s = describe("4e487b71" W("11"), &errs, 0);
    assert_string_equal(s, "Panic(0x11: arithmetic overflow or underflow)");
    free(s);
    /* cast calldata "InvalidKmsSignature(address,address)" 0x11…11 0x8f2c…e7c5 */
    const char *custom = "94bd7ced0000000000000000000000001111111111111111111111111111111111111111"
                         "0000000000000000000000008f2cf602c9695b23130367ed78d8f557554de7c5";
    s = describe(custom, &errs, 0);
    assert_string_equal(s, "InvalidKmsSignature(recovered: 0x1111111111111111111111111111111111111111, "
                           "expected: 0x8f2cF602C9695b23130367ed78d8F557554de7C5)");
    free(s);
    s = describe(custom, &errs, DS_ABI_FMT_JSON);
    cJSON *j = cJSON_Parse(s);
    assert_non_null(j);
    assert_string_equal(cJSON_GetObjectItem(j, "kind")->valuestring, "custom");
    assert_string_equal(cJSON_GetObjectItem(j, "signature")->valuestring, "InvalidKmsSignature(address,address)");
    assert_string_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "args"), "expected")->valuestring,
                        "0x8f2cF602C9695b23130367ed78d8F557554de7C5");
    cJSON_Delete(j);
    free(s);
    /* cast calldata "BadProof(uint8,string)" 2 "app link" */
    s = describe("14aff7960000000000000000000000000000000000000000000000000000000000000002000000000000000000"
                 "00000000000000000000000000000000000000000000400000000000000000000000000000000000000000"
                 "000000000000000000000008617070206c696e6b000000000000000000000000000000000000000000000000", &errs, 0);
    assert_string_equal(s, "BadProof(step: 2, why: \"app link\")");
    free(s);
    s = describe("", &errs, 0);
    assert_string_equal(s, "reverted without a reason (no revert data)");
    free(s);
    s = describe("deadbeef" W0, &errs, 0);
    assert_string_equal(s, "unknown error 0xdeadbeef (+32 bytes of arguments; not an error in the loaded ABIs)");
    free(s);
    s = describe("94bd7ced00", &errs, 0); /* known selector, truncated arguments */
    assert_string_equal(s, "InvalidKmsSignature (arguments do not decode as InvalidKmsSignature(address,address))");
    free(s);
    s = describe("4e487b71", NULL, DS_ABI_FMT_JSON); /* Panic without its code: unknown */
    j = cJSON_Parse(s);
    assert_non_null(j);
    assert_string_equal(cJSON_GetObjectItem(j, "kind")->valuestring, "unknown");
    cJSON_Delete(j);
    free(s);
    assert_string_equal(ds_abi_panic_str(0x32), "array index out of bounds");

    /* a log of InstanceRegistered(bytes32 indexed, uint256 indexed, bool, string):
     * topic0 = cast keccak "InstanceRegistered(bytes32,uint256,bool,string)",
     * data = cast abi-encode "f(bool,string)" true "http://x" */
    uint8_t topics[3][32], *data;
    unhex("6826bb43fc61253f2a30cf5e434a34ecdfa480f39104d88b62bbc895643a0f51", topics[0], 32);
    memset(topics[1], 0xab, 32);
    memset(topics[2], 0, 32);
    topics[2][31] = 7;
    size_t dl = unhex_alloc(W("01") W("40") W("08") "687474703a2f2f78000000000000000000000000000000000000000000000000", &data);
    char out[512];
    ds_abi_log_describe(abi, (const uint8_t(*)[32])topics, 3, data, dl, 0, out, sizeof out);
    assert_string_equal(out, "InstanceRegistered(instanceId: 0xabababababababababababababababababababababababababababababababab, "
                             "tokenId: 7, withProof: true, url: \"http://x\")");
    ds_abi_log_describe(abi, (const uint8_t(*)[32])topics, 3, data, dl, DS_ABI_FMT_JSON, out, sizeof out);
    j = cJSON_Parse(out);
    assert_non_null(j);
    assert_string_equal(cJSON_GetObjectItem(j, "event")->valuestring, "InstanceRegistered");
    assert_string_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "args"), "tokenId")->valuestring, "7");
    cJSON_Delete(j);
    /* a missing indexed topic: the raw form */
    ds_abi_log_describe(abi, (const uint8_t(*)[32])topics, 2, data, dl, 0, out, sizeof out);
    assert_string_equal(out, "unknown event 0x6826bb43fc61253f2a30cf5e434a34ecdfa480f39104d88b62bbc895643a0f51");
    free(data);
    cJSON_Delete(abi);
}

/* ---- live comparisons with cast ------------------------------------------------------------ */

static const char *cast_path(void) {
    const char *c = getenv("CAST");
    return c && *c ? c : CAST_DEFAULT;
}

/* Runs argv (argv[0] = cast) and captures stdout. Returns the exit status. */
static int run_cast(char **argv, char *out, size_t cap) {
    int fd[2];
    pid_t pid;
    posix_spawn_file_actions_t fa;
    assert_int_equal(pipe(fd), 0);
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, fd[1], 1);
    posix_spawn_file_actions_addclose(&fa, fd[0]);
    assert_int_equal(posix_spawn(&pid, argv[0], &fa, NULL, argv, environ), 0);
    posix_spawn_file_actions_destroy(&fa);
    close(fd[1]);
    size_t n = 0;
    ssize_t r;
    while ((r = read(fd[0], out + n, cap - 1 - n)) > 0 || (r < 0 && errno == EINTR))
        if (r > 0) n += (size_t)r;
    close(fd[0]);
    out[n] = '\0';
    while (n && (out[n - 1] == '\n' || out[n - 1] == '\r')) out[--n] = '\0';
    int st;
    waitpid(pid, &st, 0);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

typedef struct {
    ds_abi_value vals[1024];
    size_t nv;
    uint8_t mem[16384];
    size_t nm;
} rstore;

static void rbytes(uint8_t *p, size_t n) {
    for (size_t i = 0; i < n; i++) p[i] = (uint8_t)rand();
}

static void rand_type(char *out, size_t cap, int depth) {
    static const char *scal[] = {"address", "bool", "bytes", "string"};
    int choice = rand() % (depth >= 2 ? 7 : 10);
    size_t len = strlen(out);
    char *p = out + len;
    size_t room = cap - len;
    switch (choice) {
    case 0: snprintf(p, room, "uint%d", 8 * (1 + rand() % 32)); break;
    case 1: snprintf(p, room, "int%d", 8 * (1 + rand() % 32)); break;
    case 2: snprintf(p, room, "bytes%d", 1 + rand() % 32); break;
    case 3: case 4: case 5: case 6: snprintf(p, room, "%s", scal[choice - 3]); break;
    case 7: rand_type(out, cap, depth + 1); strcat(out, "[]"); break;
    case 8:
        rand_type(out, cap, depth + 1);
        snprintf(out + strlen(out), cap - strlen(out), "[%d]", 1 + rand() % 3);
        break;
    default: {
        int n = 1 + rand() % 3;
        strcat(out, "(");
        for (int i = 0; i < n; i++) {
            if (i) strcat(out, ",");
            rand_type(out, cap, depth + 1);
        }
        strcat(out, ")");
    }
    }
}

static void sput(char *arg, size_t cap, const char *s) {
    assert_true(strlen(arg) + strlen(s) < cap);
    strcat(arg, s);
}

/* Fills *v with a random value of type idx and appends cast's argument syntax to arg. */
static void rand_value(const ds_abi_types *t, int idx, rstore *st, ds_abi_value *v, int nested,
                       char *arg, size_t cap) {
    const ds_abi_type *n = &t->node[idx];
    char buf[160];
    memset(v, 0, sizeof *v);
    v->kind = n->kind;
    v->size = n->size;
    switch (n->kind) {
    case DS_ABI_UINT:
    case DS_ABI_INT: {
        int k = n->size / 8;
        rbytes(v->word + 32 - k, (size_t)k);
        if (rand() % 3 == 0) memset(v->word + 32 - k, 0, (size_t)(k - 1)); /* small values too */
        if (n->kind == DS_ABI_INT && (v->word[32 - k] & 0x80)) memset(v->word, 0xff, (size_t)(32 - k));
        sput(arg, cap, ds_abi_word_dec(v->word, n->kind == DS_ABI_INT, buf));
        return;
    }
    case DS_ABI_ADDRESS:
        rbytes(v->word + 12, 20);
        sput(arg, cap, "0x");
        sput(arg, cap, ds_hex_encode(v->word + 12, 20, buf));
        return;
    case DS_ABI_BOOL:
        v->word[31] = (uint8_t)(rand() & 1);
        sput(arg, cap, v->word[31] ? "true" : "false");
        return;
    case DS_ABI_FBYTES:
        rbytes(v->word, n->size);
        sput(arg, cap, "0x");
        sput(arg, cap, ds_hex_encode(v->word, n->size, buf));
        return;
    case DS_ABI_BYTES:
    case DS_ABI_STRING: {
        size_t len = (size_t)(rand() % 70);
        if (n->kind == DS_ABI_STRING && nested && len == 0) len = 1;
        assert_true(st->nm + len <= sizeof st->mem);
        uint8_t *p = st->mem + st->nm;
        st->nm += len;
        if (n->kind == DS_ABI_BYTES) {
            rbytes(p, len);
            sput(arg, cap, "0x");
            sput(arg, cap, ds_hex_encode(p, len, buf));
        } else {
            static const char al[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
            for (size_t i = 0; i < len; i++) p[i] = (uint8_t)al[rand() % (sizeof al - 1)];
            memcpy(buf, p, len);
            buf[len] = '\0';
            sput(arg, cap, buf);
        }
        v->ptr = p;
        v->len = len;
        return;
    }
    default: {
        size_t count = n->kind == DS_ABI_ARRAY ? (size_t)(rand() % 4)
                       : n->kind == DS_ABI_FARRAY ? n->count : n->ncomp;
        assert_true(st->nv + count <= 1024);
        ds_abi_value *items = st->vals + st->nv;
        st->nv += count;
        sput(arg, cap, n->kind == DS_ABI_TUPLE ? "(" : "[");
        int c = n->child;
        for (size_t i = 0; i < count; i++) {
            if (i) sput(arg, cap, ",");
            rand_value(t, c, st, &items[i], 1, arg, cap);
            if (n->kind == DS_ABI_TUPLE) c = t->node[c].next;
        }
        sput(arg, cap, n->kind == DS_ABI_TUPLE ? ")" : "]");
        v->items = items;
        v->n = count;
    }
    }
}

/* Removes cast's " [1.2e6]" annotations so its text can be compared with ours. */
static void strip_annotations(char *s) {
    char *w = s;
    for (char *r = s; *r;) {
        if (r[0] == ' ' && r[1] == '[') {
            char *e = r + 2;
            int has_e = 0;
            while (*e && strchr("0123456789.e-", *e)) has_e |= *e++ == 'e';
            if (*e == ']' && has_e && e > r + 2) {
                r = e + 1;
                continue;
            }
        }
        *w++ = *r++;
    }
    *w = '\0';
}

static void live_cast_roundtrips(void **state) {
    (void)state;
    const char *cast = cast_path();
    if (access(cast, X_OK) != 0) {
        fprintf(stderr, "SKIP live cast comparison: %s not found (run scripts/setup.sh)\n", cast);
        skip();
    }
    static rstore st;
    static char out[1 << 16], args[8][4096], sig[1024], osig[1100];
    static uint8_t enc[1 << 15];
    static ds_abi_value pool[4096];
    const char *seed_env = getenv("ABI_SEED");
    unsigned seed = seed_env ? (unsigned)strtoul(seed_env, NULL, 10) : 20240607u;
    int rounds = getenv("ABI_ROUNDS") ? atoi(getenv("ABI_ROUNDS")) : 60;
    srand(seed);
    for (int r = 0; r < rounds; r++) {
        ds_abi_types t;
        int nparams = 1 + rand() % 4;
        strcpy(sig, "f(");
        for (int i = 0; i < nparams; i++) {
            if (i) strcat(sig, ",");
            rand_type(sig, sizeof sig, 0);
        }
        strcat(sig, ")");
        assert_int_equal(ds_abi_parse(sig, strlen(sig), &t, NULL), DS_OK);
        st.nv = st.nm = 0;
        ds_abi_value params[4];
        char *argv[16];
        int ac = 0;
        argv[ac++] = (char *)cast;
        argv[ac++] = "abi-encode";
        argv[ac++] = "--";
        argv[ac++] = sig;
        int c = t.node[t.root].child;
        for (int i = 0; i < nparams; i++, c = t.node[c].next) {
            args[i][0] = '\0';
            rand_value(&t, c, &st, &params[i], 0, args[i], sizeof args[i]);
            argv[ac++] = args[i];
        }
        argv[ac] = NULL;
        ds_abi_value all = ds_abi_tuple(params, (size_t)nparams);
        assert_int_equal(ds_abi_check(&t, t.root, &all), DS_OK);
        size_t n = 0;
        assert_int_equal(ds_abi_encode(&all, enc, sizeof enc, &n), DS_OK);
        if (run_cast(argv, out, sizeof out) != 0) fail_msg("cast abi-encode failed for %s", sig);
        char *ours = malloc(2 * n + 3);
        ours[0] = '0';
        ours[1] = 'x';
        ds_hex_encode(enc, n, ours + 2);
        if (strcmp(ours, out) != 0) {
            fprintf(stderr, "encoding differs for %s (seed %u round %d)\n ours %s\n cast %s\n", sig, seed, r, ours, out);
            fail();
        }

        /* calldata: selector + encoding */
        argv[1] = "calldata";
        if (run_cast(argv, out, sizeof out) != 0) fail_msg("cast calldata failed for %s", sig);
        uint8_t *cd = malloc(n + 4);
        size_t cdn = 0;
        assert_int_equal(ds_abi_encode_call(sig, params, (size_t)nparams, cd, n + 4, &cdn), DS_OK);
        char *cdhex = malloc(2 * cdn + 3);
        cdhex[0] = '0';
        cdhex[1] = 'x';
        ds_hex_encode(cd, cdn, cdhex + 2);
        assert_string_equal(cdhex, out);
        free(cd);
        free(cdhex);

        /* decode: ours must give back the same encoding and print what cast prints */
        size_t used = 0;
        assert_int_equal(ds_abi_decode(&t, enc, n, pool, 4096, &used), DS_OK);
        size_t n2 = 0;
        static uint8_t enc2[1 << 15];
        assert_int_equal(ds_abi_encode(&pool[0], enc2, sizeof enc2, &n2), DS_OK);
        assert_int_equal(n2, n);
        assert_memory_equal(enc2, enc, n);
        snprintf(osig, sizeof osig, "f()%s", sig + 1);
        char *dargv[] = {(char *)cast, "abi-decode", osig, ours, NULL};
        if (run_cast(dargv, out, sizeof out) != 0) fail_msg("cast abi-decode failed for %s", sig);
        strip_annotations(out);
        char *line = out;
        for (int i = 0; i < nparams; i++) {
            char *nl = strchr(line, '\n');
            if (nl) *nl = '\0';
            char mine[8192];
            ds_abi_format(&pool[0].items[i], 0, mine, sizeof mine);
            if (strcmp(mine, line) != 0) {
                fprintf(stderr, "text differs for %s param %d (seed %u round %d)\n ours %s\n cast %s\n", sig, i, seed, r, mine, line);
                fail();
            }
            line = nl ? nl + 1 : line + strlen(line);
        }
        free(ours);
    }
    fprintf(stderr, "live cast comparison: %d random signatures (seed %u) encode, calldata and decode identically\n", rounds, seed);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(selectors_and_canonical),
        cmocka_unit_test(parse_rejects),
        cmocka_unit_test(encode_fixed_matches_cast),
        cmocka_unit_test(decode_fixed_matches_cast),
        cmocka_unit_test(word_decimal_extremes),
        cmocka_unit_test(decode_rejects_hostile),
        cmocka_unit_test(decode_mutations),
        cmocka_unit_test(reverts_and_artifacts),
        cmocka_unit_test(live_cast_roundtrips),
    };
    return cmocka_run_group_tests_name("ds_abi", tests, NULL, NULL);
}
