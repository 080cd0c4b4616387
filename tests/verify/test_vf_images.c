/* test_vf_images.c — step 5's image-pinning parser (verifier/vf_images.c): reference
 * rules, the YAML walk (anchors, merge keys, flow style, services without images) and the
 * refusals (duplicate keys, several documents, malformed YAML, wrong shapes).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "vf.h"

#define D64 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static int pinned(const char *ref) {
    char why[96];
    return vf_image_pinned(ref, why, sizeof why);
}

static void assert_reason(const char *ref, const char *want) {
    char why[96] = "";
    assert_int_equal(vf_image_pinned(ref, why, sizeof why), 0);
    if (!strstr(why, want)) fail_msg("%s: reason \"%s\" lacks \"%s\"", ref, why, want);
}

static void test_reference_rules(void **state) {
    (void)state;
    assert_true(pinned("nginx@sha256:" D64));
    assert_true(pinned("nginx:1.27@sha256:" D64));
    assert_true(pinned("ghcr.io/org/app@sha256:" D64));
    assert_true(pinned("localhost:5000/app:v1@sha256:" D64));
    assert_reason("nginx:latest", "mutable tag :latest");
    assert_reason("nginx", "no tag or digest");
    assert_reason("localhost:5000/app", "no tag or digest");
    assert_reason("localhost:5000/app:v2", "mutable tag :v2");
    assert_reason("nginx@sha256:"
                  "0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef",
                  "lowercase");
    assert_reason("nginx@sha256:0123", "lowercase hex");
    assert_reason("nginx@sha256:" D64 "00", "lowercase hex");
    assert_reason("nginx@sha512:" D64 D64, "not sha256");
    assert_reason("@sha256:" D64, "malformed");
    assert_reason("a@b@sha256:" D64, "malformed");
    assert_reason("nginx @sha256:" D64, "whitespace");
    assert_reason("${IMAGE}", "interpolation");
    assert_reason("nginx@sha256:${DIGEST}", "interpolation");
    assert_reason("", "empty");
}

static vf_images scan_ok(const char *yaml) {
    vf_images im;
    vf_images_init(&im);
    if (vf_images_scan(yaml, strlen(yaml), &im) != 0) fail_msg("scan failed: %s", im.err);
    return im;
}

static void scan_err(const char *yaml, const char *want) {
    vf_images im;
    vf_images_init(&im);
    assert_int_equal(vf_images_scan(yaml, strlen(yaml), &im), -1);
    if (!strstr(im.err, want)) fail_msg("error \"%s\" lacks \"%s\"", im.err, want);
    vf_images_free(&im);
}

static void test_scan_basic(void **state) {
    (void)state;
    vf_images im = scan_ok("services:\n  app:\n    image: nginx@sha256:" D64 "\n"
                           "  db:\n    image: \"postgres:16\"\n    environment: [A=1]\n");
    assert_int_equal(im.n, 2);
    assert_int_equal(im.n_pinned, 1);
    assert_string_equal(im.v[0].service, "app");
    assert_true(im.v[0].pinned);
    assert_string_equal(im.v[1].service, "db");
    assert_string_equal(im.v[1].image, "postgres:16");
    assert_false(im.v[1].pinned);
    assert_non_null(strstr(im.v[1].why, "mutable tag :16"));
    vf_images_free(&im);
}

static void test_scan_flow_and_other_keys(void **state) {
    (void)state;
    vf_images im = scan_ok("version: '3'\nvolumes: {data: {}}\n"
                           "services: {app: {image: 'nginx@sha256:" D64 "', ports: ['80:80']}}\n");
    assert_int_equal(im.n, 1);
    assert_int_equal(im.n_pinned, 1);
    vf_images_free(&im);
}

static void test_scan_anchor_alias_merge(void **state) {
    (void)state;
    vf_images im = scan_ok("x-base: &base\n  image: nginx@sha256:" D64 "\n  restart: always\n"
                           "x-bad: &bad\n  image: evil:latest\n"
                           "services:\n"
                           "  a:\n    <<: *base\n"
                           "  b:\n    <<: [*bad, *base]\n"
                           "  c:\n    <<: *bad\n    image: nginx@sha256:" D64 "\n"
                           "  d:\n    image: &img nginx@sha256:" D64 "\n"
                           "  e:\n    image: *img\n");
    assert_int_equal(im.n, 5);
    assert_true(im.v[0].pinned);  /* merged from base */
    assert_false(im.v[1].pinned); /* first merged mapping wins: bad */
    assert_string_equal(im.v[1].image, "evil:latest");
    assert_true(im.v[2].pinned); /* own key wins over a merge */
    assert_true(im.v[3].pinned);
    assert_true(im.v[4].pinned); /* alias of a scalar */
    vf_images_free(&im);
}

static void test_scan_services_without_image(void **state) {
    (void)state;
    vf_images im = scan_ok("services:\n  built:\n    build: .\n  empty:\n  nullimg:\n    image:\n");
    assert_int_equal(im.n, 3);
    assert_int_equal(im.n_pinned, 0);
    for (size_t i = 0; i < 3; i++) {
        assert_null(im.v[i].image);
        assert_non_null(strstr(im.v[i].why, "no image:"));
    }
    vf_images_free(&im);
    im = scan_ok("services:\n  quoted:\n    image: \"\"\n");
    assert_string_equal(im.v[0].image, "");
    assert_non_null(strstr(im.v[0].why, "empty image"));
    vf_images_free(&im);
}

static void test_scan_refusals(void **state) {
    (void)state;
    scan_err("services:\n  app:\n    image: nginx@sha256:" D64 "\n    image: evil:latest\n",
             "duplicate key \"image\"");
    scan_err("services:\n  app:\n    image: a@sha256:" D64 "\n  app:\n    image: evil\n",
             "duplicate key \"app\"");
    scan_err("services: {}\nservices:\n  app:\n    image: evil\n", "duplicate key \"services\"");
    scan_err("services:\n  app:\n    image: a@sha256:" D64
             "\n---\nservices:\n  app:\n    image: evil\n",
             "more than one YAML document");
    scan_err("services:\n  app:\n    image: [a, b]\n", "image is not a string");
    scan_err("services:\n  app: nginx\n", "not a mapping");
    scan_err("services: [app]\n", "no services mapping");
    scan_err("volumes: {}\n", "no services mapping");
    scan_err("services: {}\n", "defines no services");
    scan_err("- a\n- b\n", "not a mapping");
    scan_err("", "empty");
    scan_err("services:\n  app:\n    image: \"unterminated\n", "YAML error");
    scan_err("services:\n  app:\n    <<: 5\n", "merge key");
    scan_err("services:\n  ? [a, b]\n  : {image: x}\n", "not a string");
}

static void test_scan_alias_bomb_is_cheap(void **state) {
    (void)state;
    /* Aliases are references in libyaml's document model: nothing is expanded. */
    char yaml[4096];
    size_t n = (size_t)snprintf(yaml, sizeof yaml, "a0: &a0 [x, x, x, x, x, x, x, x, x]\n");
    for (int i = 1; i < 30; i++)
        n += (size_t)snprintf(yaml + n, sizeof yaml - n,
                              "a%d: &a%d [*a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d]\n",
                              i, i, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1);
    snprintf(yaml + n, sizeof yaml - n, "services:\n  app:\n    image: nginx@sha256:" D64 "\n");
    vf_images im = scan_ok(yaml);
    assert_int_equal(im.n_pinned, 1);
    vf_images_free(&im);
}

static void run_step(const char *app_compose, vf_step *s) {
    vf_step_init(s, 5, "image-pinning");
    vf_step_images(app_compose, s);
}

static void test_step_over_app_compose(void **state) {
    (void)state;
    vf_step s;
    run_step("{\"docker_compose_file\":\"services:\\n  app:\\n    image: nginx@sha256:" D64
             "\\n\"}",
             &s);
    assert_int_equal(s.status, VF_OK);
    assert_string_equal(s.detail, "all 1 image pinned by sha256 digest");
    vf_step_free(&s);

    run_step("{\"docker_compose_file\":\"services:\\n  app:\\n    image: nginx:latest\\n  web:\\n  "
             "  build: .\\n"
             "  ok:\\n    image: a@sha256:" D64 "\\n\"}",
             &s);
    assert_int_equal(s.status, VF_FAIL);
    assert_non_null(
        strstr(s.detail, "2 of 3 images not pinned by digest: app=nginx:latest, web=(no image)"));
    assert_int_equal(s.n_items, 2);
    assert_string_equal(s.got, "nginx:latest");
    vf_step_free(&s);

    run_step("{\"runner\":\"bash\",\"bash_script\":\"echo hi\"}", &s);
    assert_int_equal(s.status, VF_FAIL);
    assert_non_null(strstr(s.detail, "no docker_compose_file (runner bash)"));
    vf_step_free(&s);

    run_step("not json", &s);
    assert_int_equal(s.status, VF_FAIL);
    vf_step_free(&s);

    run_step(NULL, &s);
    assert_int_equal(s.status, VF_FAIL);
    vf_step_free(&s);

    run_step("{\"docker_compose_file\":\"services:\\n  a:\\n    image: x\\n    image: y\\n\"}", &s);
    assert_int_equal(s.status, VF_FAIL);
    assert_non_null(strstr(s.detail, "docker_compose_file: a: duplicate key"));
    vf_step_free(&s);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reference_rules),
        cmocka_unit_test(test_scan_basic),
        cmocka_unit_test(test_scan_flow_and_other_keys),
        cmocka_unit_test(test_scan_anchor_alias_merge),
        cmocka_unit_test(test_scan_services_without_image),
        cmocka_unit_test(test_scan_refusals),
        cmocka_unit_test(test_scan_alias_bomb_is_cheap),
        cmocka_unit_test(test_step_over_app_compose),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
