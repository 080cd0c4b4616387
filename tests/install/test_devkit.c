/* test_devkit.c — a cmocka suite as a user's CI writes it against an installed dstack-devkit:
 * built with nothing but pkg-config,
 *
 *   cc test_devkit.c $(pkg-config --cflags --libs dstack-devkit) \
 *      $(pkg-config --cflags --libs cmocka) -o test_devkit
 *
 * it starts a simulator for the group (ds_testsim: dstack-simulator from PATH, with its
 * installed default identity), asks GetKey through the C client (ds_client) and verifies
 * the key signature chain (ds_chain_verify) to the KMS root address the simulator printed
 * when it started. tests/install/run.sh builds and runs it outside the source tree against
 * a temporary install, and make install copies it to share/dstack-devkit/examples/.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <ds_chain.h>
#include <ds_client.h>
#include <ds_hex.h>
#include <ds_secp.h>
#include <ds_testsim.h>

typedef struct {
    ds_testsim sim;
    ds_client *client;
    uint8_t root[20];   /* "KMS root address" of the start-up block */
    uint8_t app_id[20]; /* "app id" of the start-up block */
} fixture;

/* Finds the start-up line "  <label>  <hex>" in the simulator's log and decodes the hex
 * (an optional 0x, exactly n bytes). Returns 0, or -1 when the line is missing or malformed. */
static int banner_hex(const char *log_path, const char *label, uint8_t *out, size_t n) {
    FILE *f = fopen(log_path, "r");
    if (f == NULL) return -1;
    char line[512];
    int rc = -1;
    size_t label_len = strlen(label);
    while (rc != 0 && fgets(line, sizeof line, f) != NULL) {
        const char *p = line;
        while (*p == ' ')
            p++;
        if (strncmp(p, label, label_len) != 0 || p[label_len] != ' ') continue;
        p += label_len;
        while (*p == ' ')
            p++;
        if (p[0] == '0' && p[1] == 'x') p += 2;
        if (ds_hex_decode_exact(p, 2 * n, out, n) == DS_OK) rc = 0;
    }
    fclose(f);
    return rc;
}

static int group_setup(void **state) {
    fixture *f = calloc(1, sizeof *f);
    if (f == NULL) return -1;
    /* No arguments: the simulator reads ./appkeys.json, or else its installed identity. */
    if (ds_testsim_start(&f->sim, NULL, NULL) != DS_OK) {
        free(f);
        return -1;
    }
    if (banner_hex(f->sim.log_path, "KMS root address", f->root, sizeof f->root) != 0 ||
        banner_hex(f->sim.log_path, "app id", f->app_id, sizeof f->app_id) != 0) {
        fprintf(stderr, "no KMS root address / app id in the simulator's start-up block\n");
        ds_testsim_dump_log(&f->sim);
        ds_testsim_stop(&f->sim);
        free(f);
        return -1;
    }
    f->client = ds_client_new(f->sim.dstack_sock);
    *state = f;
    return f->client != NULL ? 0 : -1;
}

static int group_teardown(void **state) {
    fixture *f = *state;
    if (f == NULL) return 0; /* the setup failed and said why */
    ds_client_free(f->client);
    int status = ds_testsim_stop(&f->sim); /* 0: a clean exit, its sockets removed */
    free(f);
    return status == 0 ? 0 : -1;
}

/* GetKey's chain, verified in dstack's canonical format, reaches the printed root. */
static void test_getkey_chain_verifies_to_printed_root(void **state) {
    fixture *f = *state;
    static const char *const PATHS[][2] = {
        {"wallet/eth", "mainnet"}, {"test", "signing"}, {"", ""}};
    for (size_t i = 0; i < sizeof PATHS / sizeof PATHS[0]; i++) {
        ds_getkey_result k;
        assert_int_equal(ds_client_get_key(f->client, PATHS[i][0], PATHS[i][1], "secp256k1", &k),
                         DS_OK);
        uint8_t pub[33];
        assert_int_equal(ds_secp_pubkey(k.key, pub, sizeof pub), DS_OK);
        ds_chain_result res;
        const char *purpose = PATHS[i][1];
        assert_int_equal(ds_chain_verify(pub, sizeof pub, purpose, strlen(purpose), k.chain[0],
                                         k.chain[1], f->app_id, f->root, &res),
                         DS_OK);
        assert_int_equal(res.status, DS_CHAIN_VALID);
        assert_memory_equal(res.kms_addr, f->root, sizeof f->root);
    }
}

/* The root the simulator printed is the one it publishes over the socket (GetMeta). */
static void test_printed_root_is_published(void **state) {
    fixture *f = *state;
    ds_meta_result m;
    assert_int_equal(ds_client_get_meta(f->client, &m), DS_OK);
    assert_true(m.have_root);
    assert_string_equal(m.mode, "root");
    assert_memory_equal(m.k256_address, f->root, sizeof f->root);
    assert_memory_equal(m.app_id, f->app_id, sizeof f->app_id);
}

/* The same chain does not verify to another root, nor for another purpose or app id. */
static void test_chain_refused_otherwise(void **state) {
    fixture *f = *state;
    ds_getkey_result k;
    assert_int_equal(ds_client_get_key(f->client, "wallet/eth", "mainnet", "secp256k1", &k), DS_OK);
    uint8_t pub[33], other[20];
    assert_int_equal(ds_secp_pubkey(k.key, pub, sizeof pub), DS_OK);
    ds_chain_result res;

    memcpy(other, f->root, sizeof other);
    other[19] ^= 1;
    assert_int_equal(ds_chain_verify(pub, sizeof pub, "mainnet", 7, k.chain[0], k.chain[1],
                                     f->app_id, other, &res),
                     DS_ERR_VERIFY);
    assert_int_equal(res.status, DS_CHAIN_ROOT_MISMATCH);

    assert_int_equal(ds_chain_verify(pub, sizeof pub, "testnet", 7, k.chain[0], k.chain[1],
                                     f->app_id, f->root, &res),
                     DS_ERR_VERIFY);
    assert_int_equal(res.status, DS_CHAIN_ROOT_MISMATCH);

    memcpy(other, f->app_id, sizeof other);
    other[0] ^= 1;
    assert_int_equal(ds_chain_verify(pub, sizeof pub, "mainnet", 7, k.chain[0], k.chain[1], other,
                                     f->root, &res),
                     DS_ERR_VERIFY);
    assert_int_equal(res.status, DS_CHAIN_ROOT_MISMATCH);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_getkey_chain_verifies_to_printed_root),
        cmocka_unit_test(test_printed_root_is_published),
        cmocka_unit_test(test_chain_refused_otherwise),
    };
    return cmocka_run_group_tests_name("dstack-devkit installed", tests, group_setup,
                                       group_teardown);
}
