/* tests/dropin/test_identity.c — the built-in identity (simulator/sim_identity.h) is the
 * repository's appkeys.json and app-compose.json exactly: loaded in-process, every field
 * sim_identity_load_builtin sets equals what sim_config_load_file reads from the files
 * (keys, seeds, measurements, CA PEMs, compose bytes), and it is recognised as the public
 * test identity. Run from the repository root (tests/dropin.mk).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sim_config.h"
#include "sim_identity.h"

static void load_both(sim_config *file, sim_config *builtin) {
    char err[512] = "";
    sim_config_init(file);
    sim_config_init(builtin);
    int rc = sim_config_load_file(file, "appkeys.json", err, sizeof err);
    if (rc) print_error("%s\n", err);
    assert_int_equal(rc, 0);
    rc = sim_identity_load_builtin(builtin, err, sizeof err);
    if (rc) print_error("%s\n", err);
    assert_int_equal(rc, 0);
}

static void test_builtin_equals_files(void **state) {
    (void)state;
    sim_config f, b;
    load_both(&f, &b);
    assert_true(f.have_root && b.have_root);
    assert_memory_equal(f.kms_root_key, b.kms_root_key, 32);
    assert_int_equal(f.have_k256, b.have_k256);
    assert_int_equal(f.have_app_id, b.have_app_id);
    assert_memory_equal(f.instance_seed, b.instance_seed, 20);
    assert_memory_equal(f.os_image_hash, b.os_image_hash, 32);
    assert_int_equal(f.have_mrtd, b.have_mrtd);
    assert_memory_equal(f.quote_seed, b.quote_seed, 32);
    assert_non_null(f.ca_cert_pem);
    assert_non_null(f.ca_key_pem);
    assert_string_equal(f.ca_cert_pem, b.ca_cert_pem);
    assert_string_equal(f.ca_key_pem, b.ca_key_pem);
    assert_int_equal(f.tcb_status, b.tcb_status);
    assert_int_equal(f.quote_upstream, b.quote_upstream);
    assert_int_equal(f.log_style, b.log_style);
    /* the compose: app-compose.json byte for byte (its SHA-256 is the compose hash) */
    char *compose;
    size_t len;
    assert_int_equal(sim_read_file("app-compose.json", 1u << 20, &compose, &len), 0);
    assert_int_equal(b.compose_len, len);
    assert_memory_equal(b.compose, compose, len);
    assert_int_equal(f.compose_len, len);
    assert_memory_equal(f.compose, compose, len);
    free(compose);
    /* where it came from */
    assert_string_equal(b.config_path, SIM_IDENTITY_BUILTIN);
    assert_null(b.config_dir);
    assert_int_equal(b.config_builtin, 1);
    assert_int_equal(f.config_builtin, 0);
    assert_string_equal(b.compose_source, "built-in app-compose.json");
    /* both are the public test identity (no key-file warning) */
    assert_int_equal(f.config_public, 1);
    assert_int_equal(b.config_public, 1);
    sim_config_free(&f);
    sim_config_free(&b);
}

static void test_builtin_files(void **state) {
    (void)state;
    size_t len = 0;
    assert_non_null(sim_identity_builtin_file("app-compose.json", &len));
    assert_true(len > 0);
    assert_null(sim_identity_builtin_file("./app-compose.json", &len));
    assert_null(sim_identity_builtin_file("/etc/passwd", &len));
    assert_null(sim_identity_builtin_file("appkeys.json", &len));
}

/* Text loaded as built-in may only name built-in files: anything else is an error. */
static void test_builtin_names_unknown_file(void **state) {
    (void)state;
    static const char text[] = "{\"kms_root_key\":\"" /* private key 1 */
                               "0000000000000000000000000000000000000000000000000000000000000001"
                               "\",\"app_compose\":\"other.json\"}";
    sim_config c;
    char err[512] = "";
    sim_config_init(&c);
    assert_int_equal(
        sim_config_load_text(&c, text, sizeof text - 1, "built-in", 1, err, sizeof err), -1);
    assert_string_equal(err, "app_compose: other.json is not built in");
    sim_config_free(&c);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_builtin_equals_files),
        cmocka_unit_test(test_builtin_files),
        cmocka_unit_test(test_builtin_names_unknown_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
