/* test_buf_sink.c — ds_buf_sink, the capped body buffer behind every libcurl client
 * (ds_client, ds_rpc, dstack-verify): exact cap boundary, refusal, ownership hand-off. */
#include "unit_util.h"

#include <stdlib.h>

#include "ds_json.h"

static void appends_up_to_the_cap_exactly(void **state) {
    (void)state;
    ds_buf_sink s = {.max = 10};
    ds_buf_init(&s.buf);
    assert_int_equal(ds_buf_sink_write("abcd", 1, 4, &s), 4);
    assert_int_equal(ds_buf_sink_write("ef", 2, 1, &s), 2);     /* size * n bytes */
    assert_int_equal(ds_buf_sink_write("ghij", 1, 4, &s), 4);   /* exactly max: accepted */
    assert_false(s.too_big);
    assert_int_equal(ds_buf_sink_write("k", 1, 1, &s), 0);      /* max + 1: refused */
    assert_true(s.too_big);
    size_t n = 0;
    char *text = ds_buf_take(&s.buf, &n);
    assert_int_equal(n, 10);
    assert_string_equal(text, "abcdefghij");                    /* nothing of the refused write */
    free(text);
}

static void refuses_a_single_write_past_the_cap(void **state) {
    (void)state;
    ds_buf_sink s = {.max = 3};
    ds_buf_init(&s.buf);
    assert_int_equal(ds_buf_sink_write("abcd", 1, 4, &s), 0);
    assert_true(s.too_big);
    assert_int_equal(s.buf.len, 0);
    ds_buf_free(&s.buf);
}

static void empty_body_takes_as_empty_string(void **state) {
    (void)state;
    ds_buf_sink s = {.max = 0};
    ds_buf_init(&s.buf);
    assert_int_equal(ds_buf_sink_write("", 1, 0, &s), 0);       /* zero bytes: nothing to refuse */
    assert_false(s.too_big);
    size_t n = 99;
    char *text = ds_buf_take(&s.buf, &n);
    assert_non_null(text);
    assert_int_equal(n, 0);
    assert_string_equal(text, "");
    free(text);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(appends_up_to_the_cap_exactly),
        cmocka_unit_test(refuses_a_single_write_past_the_cap),
        cmocka_unit_test(empty_body_takes_as_empty_string),
    };
    return cmocka_run_group_tests_name("buf_sink", tests, NULL, NULL);
}
