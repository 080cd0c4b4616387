/* test_hex.c — strict hex decoding and lowercase encoding. */
#include "unit_util.h"

static void decodes_plain_prefixed_and_mixed_case(void **state) {
    (void)state;
    uint8_t out[8];
    size_t n;
    assert_int_equal(ds_hex_decode("00ff10", 6, out, sizeof out, &n), DS_OK);
    assert_int_equal(n, 3);
    assert_int_equal(out[0], 0x00);
    assert_int_equal(out[1], 0xff);
    assert_int_equal(out[2], 0x10);
    assert_int_equal(ds_hex_decode("0xDeadBEEF", 10, out, sizeof out, &n), DS_OK);
    assert_int_equal(n, 4);
    assert_hex_equal(out, n, "deadbeef");
    assert_int_equal(ds_hex_decode("0XAB", 4, out, sizeof out, &n), DS_OK);
    assert_int_equal(n, 1);
    assert_int_equal(out[0], 0xab);
}

static void empty_and_bare_prefix_are_zero_bytes(void **state) {
    (void)state;
    uint8_t out[1];
    size_t n = 99;
    assert_int_equal(ds_hex_decode("", 0, out, sizeof out, &n), DS_OK);
    assert_int_equal(n, 0);
    assert_int_equal(ds_hex_decode("0x", 2, out, sizeof out, &n), DS_OK);
    assert_int_equal(n, 0);
    assert_int_equal(ds_hex_decoded_len("0x", 2), 0);
}

static void rejects_odd_length_and_bad_digits(void **state) {
    (void)state;
    uint8_t out[8];
    size_t n;
    const char *bad[] = {"a", "0xabc", "zz", "0g", "12 4", "0x0x00", "-1", "ab\n", "x0", "+a"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        assert_int_equal(ds_hex_decode(bad[i], strlen(bad[i]), out, sizeof out, &n), DS_ERR_HEX);
        assert_int_equal(ds_hex_decoded_len(bad[i], strlen(bad[i])), -1);
    }
    /* An embedded NUL is a bad digit, not the end of the string. */
    assert_int_equal(ds_hex_decode("ab\0c", 4, out, sizeof out, &n), DS_ERR_HEX);
}

static void reports_small_buffer_and_exact_length(void **state) {
    (void)state;
    uint8_t out[2];
    size_t n;
    assert_int_equal(ds_hex_decode("aabbcc", 6, out, sizeof out, &n), DS_ERR_LEN);
    assert_int_equal(ds_hex_decode("aabbzz", 6, out, sizeof out, &n), DS_ERR_HEX);
    assert_int_equal(ds_hex_decode_exact("aabb", 4, out, 2), DS_OK);
    assert_int_equal(ds_hex_decode_exact("aa", 2, out, 2), DS_ERR_LEN);
    assert_int_equal(ds_hex_decode_exact("0xaabbcc", 8, out, 2), DS_ERR_LEN);
    assert_int_equal(ds_hex_decode_exact("aab", 3, out, 2), DS_ERR_HEX);
    assert_int_equal(ds_hex_decode(NULL, 2, out, 2, &n), DS_ERR_ARG);
    assert_int_equal(ds_hex_decode("aa", 2, out, 2, NULL), DS_ERR_ARG);
}

static void encodes_lowercase_and_round_trips_all_bytes(void **state) {
    (void)state;
    uint8_t all[256], back[256];
    char hex[513];
    for (int i = 0; i < 256; i++) all[i] = (uint8_t)i;
    ds_hex_encode(all, sizeof all, hex);
    assert_int_equal(strlen(hex), 512);
    assert_memory_equal(hex, "000102", 6);
    assert_string_equal(hex + 500, "fafbfcfdfeff");
    size_t n;
    assert_int_equal(ds_hex_decode(hex, 512, back, sizeof back, &n), DS_OK);
    assert_int_equal(n, 256);
    assert_memory_equal(all, back, 256);
    char empty[1] = {'x'};
    assert_string_equal(ds_hex_encode(all, 0, empty), "");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(decodes_plain_prefixed_and_mixed_case),
        cmocka_unit_test(empty_and_bare_prefix_are_zero_bytes),
        cmocka_unit_test(rejects_odd_length_and_bad_digits),
        cmocka_unit_test(reports_small_buffer_and_exact_length),
        cmocka_unit_test(encodes_lowercase_and_round_trips_all_bytes),
    };
    return cmocka_run_group_tests_name("hex", tests, NULL, NULL);
}
