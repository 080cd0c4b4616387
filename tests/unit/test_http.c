/* test_http.c — HTTP reason phrases: the canonical wording, NULL outside the table. */
#include "unit_util.h"

#include "ds_http.h"

static void canonical_phrases(void **state) {
    (void)state;
    static const struct {
        int status;
        const char *want;
    } CASES[] = {{200, "OK"},
                 {304, "Not Modified"},
                 {400, "Bad Request"},
                 {404, "Not Found"},
                 {405, "Method Not Allowed"},
                 {408, "Request Timeout"},
                 {411, "Length Required"},
                 {413, "Payload Too Large"},
                 {422, "Unprocessable Entity"},
                 {429, "Too Many Requests"},
                 {431, "Request Header Fields Too Large"},
                 {500, "Internal Server Error"},
                 {501, "Not Implemented"},
                 {503, "Service Unavailable"},
                 {504, "Gateway Timeout"}};
    for (size_t i = 0; i < sizeof CASES / sizeof CASES[0]; i++)
        assert_string_equal(ds_http_reason(CASES[i].status), CASES[i].want);
}

static void unknown_codes_are_null(void **state) {
    (void)state;
    static const int UNKNOWN[] = {0, -1, 100, 199, 299, 418, 599, 600, 1000};
    for (size_t i = 0; i < sizeof UNKNOWN / sizeof UNKNOWN[0]; i++)
        assert_null(ds_http_reason(UNKNOWN[i]));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(canonical_phrases),
        cmocka_unit_test(unknown_codes_are_null),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
