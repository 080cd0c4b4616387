/* test_robust_priv.c — least privilege, checked from the outside.
 *
 *   socket files are 0600 by default (--socket-mode changes it); a symlink at a socket
 *   path is refused and its target untouched; a non-loopback --listen is refused unless
 *   --allow-non-loopback (which warns); a config holding private keys that group/others
 *   can read draws a warning (the repository's public test identity does not); private keys never
 * appear in the simulator's output, even when a config is rejected or requests fail.
 */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "../sim/sim_testutil.h"
#include "ds_chain.h"
#include "ds_hex.h"
#include "ds_variant.h"
#include "robust_util.h"

static void test_socket_modes(void **state) {
    (void)state;
    const char *a1[] = {"--config", "appkeys.json", "--quiet", "--no-stats", NULL};
    ds_testsim *s = tu_start(a1);
    struct stat sb;
    assert_int_equal(lstat(s->dstack_sock, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0600);
    assert_int_equal(lstat(s->tappd_sock, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0600);
    assert_int_equal(tu_stop(s), 0);
    const char *a2[] = {"--config",      "appkeys.json", "--quiet", "--no-stats",
                        "--socket-mode", "0660",         NULL};
    s = tu_start(a2);
    assert_int_equal(lstat(s->dstack_sock, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0660);
    assert_int_equal(tu_stop(s), 0);
}

static void test_symlink_refused(void **state) {
    (void)state;
    char dir[128], sock[200], target[200], log[200];
    rb_tmpdir(dir);
    snprintf(sock, sizeof sock, "%s/d.sock", dir);
    snprintf(target, sizeof target, "%s/target", dir);
    snprintf(log, sizeof log, "%s/sim.log", dir);
    assert_int_equal(symlink(target, sock), 0); /* dangling: would be created by a bind */
    const char *args[] = {"--config", "appkeys.json", "--dstack-sock", sock, "--tappd-sock", "",
                          NULL};
    rb_proc p;
    int st = -1;
    assert_int_equal(rb_start(&p, log, sock, args, &st), -1);
    assert_int_equal(st, 1);
    struct stat sb;
    assert_true(lstat(target, &sb) != 0 && errno == ENOENT);
    assert_int_equal(lstat(sock, &sb), 0);
    assert_true(S_ISLNK(sb.st_mode));
    size_t n;
    char *l = tu_read(log, &n);
    assert_non_null(strstr(l, "is a symbolic link; refusing"));
    free(l);
    rb_fault(1);
    rb_rmdir(dir);
}

static void test_non_loopback(void **state) {
    (void)state;
    char dir[128], sock[200], log[200];
    rb_tmpdir(dir);
    snprintf(sock, sizeof sock, "%s/d.sock", dir);
    snprintf(log, sizeof log, "%s/sim.log", dir);
    const char *args[] = {"--config", "appkeys.json", "--dstack-sock", sock,         "--tappd-sock",
                          "",         "--listen",     "0.0.0.0:0",     "--no-stats", NULL};
    rb_proc p;
    int st = -1;
    assert_int_equal(rb_start(&p, log, sock, args, &st), -1);
    assert_int_equal(st, 1);
    size_t n;
    char *l = tu_read(log, &n);
    assert_non_null(strstr(l, "only loopback addresses"));
    free(l);
    /* the explicit opt-in starts, with a warning */
    const char *args2[] = {
        "--config",  "appkeys.json",         "--dstack-sock", sock, "--tappd-sock", "", "--listen",
        "0.0.0.0:0", "--allow-non-loopback", "--no-stats",    NULL};
    assert_int_equal(rb_start(&p, log, sock, args2, NULL), 0);
    assert_int_equal(rb_term(&p), 0);
    l = tu_read(log, &n);
    assert_non_null(strstr(l, "is not a loopback address (--allow-non-loopback)"));
    free(l);
    rb_fault(1);
    rb_rmdir(dir);
}

/* Copies from to to with mode, replacing the first occurrence of `find` (which must be
 * there) by `repl` when find is not NULL. */
static void copy_file_edit(const char *from, const char *to, mode_t mode, const char *find,
                           const char *repl) {
    size_t n;
    char *b = tu_read(from, &n);
    const char *at = find ? strstr(b, find) : NULL;
    if (find) assert_non_null(at);
    FILE *f = fopen(to, "w");
    assert_non_null(f);
    size_t head = at ? (size_t)(at - b) : n;
    assert_int_equal(fwrite(b, 1, head, f), head);
    if (at) {
        assert_int_equal(fputs(repl, f) >= 0, 1);
        size_t tail = n - head - strlen(find);
        assert_int_equal(fwrite(at + strlen(find), 1, tail, f), tail);
    }
    fclose(f);
    assert_int_equal(chmod(to, mode), 0);
    free(b);
}

static void copy_file(const char *from, const char *to, mode_t mode) {
    copy_file_edit(from, to, mode, NULL, NULL);
}

/* Starts a simulator on cfg and returns whether it warned about the file's mode. */
static int warns_about_mode(const char *cfg, const char *sock, const char *log) {
    const char *args[] = {"--config", cfg,       "--dstack-sock", sock, "--tappd-sock",
                          "",         "--quiet", "--no-stats",    NULL};
    unlink(log);
    rb_proc p;
    assert_int_equal(rb_start(&p, log, sock, args, NULL), 0);
    assert_int_equal(rb_term(&p), 0);
    size_t n;
    char *l = tu_read(log, &n);
    int warned = strstr(l, "holds private keys") && strstr(l, "chmod 600");
    free(l);
    return warned;
}

/* A key file that group/others can read draws a warning — except the repository's own
 * appkeys.json, whose keys are public (recognised by its keys, not its name or path). */
static void test_key_file_permissions(void **state) {
    (void)state;
    char dir[128], sock[200], log[200], cfg[200], compose[200];
    rb_tmpdir(dir);
    snprintf(sock, sizeof sock, "%s/d.sock", dir);
    snprintf(log, sizeof log, "%s/sim.log", dir);
    snprintf(cfg, sizeof cfg, "%s/appkeys.json", dir);
    snprintf(compose, sizeof compose, "%s/app-compose.json", dir);
    copy_file("app-compose.json", compose, 0644);
    /* the shipped file with another KMS root key, and with another CA key */
    static const char *const ROOT = "\"kms_root_key\": \"025cb134";
    static const char *const CA = "BG0wawIBAQQgfgAqQXFSzLDVzXJ7";
    static const mode_t MODES[] = {0644, 0640, 0606, 0600, 0400};
    for (size_t i = 0; i < sizeof MODES / sizeof MODES[0]; i++) {
        int open_mode = (MODES[i] & 077) != 0;
        unlink(cfg);
        copy_file_edit("appkeys.json", cfg, MODES[i], ROOT, "\"kms_root_key\": \"125cb134");
        assert_int_equal(warns_about_mode(cfg, sock, log), open_mode);
        unlink(cfg);
        copy_file_edit("appkeys.json", cfg, MODES[i], CA, "BG0wawIBAQQgfgAqQXFSzLDVzXJ8");
        assert_int_equal(warns_about_mode(cfg, sock, log), open_mode);
        unlink(cfg);
        copy_file("appkeys.json", cfg, MODES[i]);
        assert_int_equal(warns_about_mode(cfg, sock, log), 0);
    }
    /* upstream's public keys are not ours: a static-mode file still warns */
    unlink(cfg);
    copy_file("fixtures/upstream/simulator-appkeys-v0.5.11.json", cfg, 0644);
    assert_int_equal(warns_about_mode(cfg, sock, log), 1);
    rb_fault(3);
    rb_rmdir(dir);
}

/* Fails if any of the secret strings (or its uppercase form) occurs in text. */
static void assert_absent(const char *text, const char *const *secrets, size_t n) {
    for (size_t i = 0; i < n; i++) {
        char up[256];
        size_t k;
        for (k = 0; secrets[i][k] && k < sizeof up - 1; k++)
            up[k] = (char)(secrets[i][k] >= 'a' && secrets[i][k] <= 'f' ? secrets[i][k] - 32
                                                                        : secrets[i][k]);
        up[k] = '\0';
        if (strstr(text, secrets[i]) || strstr(text, up))
            fail_msg("a private key appears in the simulator's output: %.16s…", secrets[i]);
    }
}

static void test_private_keys_never_logged(void **state) {
    (void)state;
    /* the secrets: the KMS root key, the app key derived from it, the CA key's PEM body */
    size_t n;
    char *cfg = tu_read("appkeys.json", &n);
    cJSON *j = cJSON_Parse(cfg);
    assert_non_null(j);
    char root_hex[65];
    snprintf(root_hex, sizeof root_hex, "%s", tu_str(j, "kms_root_key"));
    const char *pem =
        tu_str(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "key_provider"), "None"), "key");
    char pem_lines[8][80];
    size_t npem = 0;
    for (const char *p = strchr(pem, '\n'); p && npem < 8; p = strchr(p + 1, '\n')) {
        const char *e = strchr(p + 1, '\n');
        if (!e || e - p - 1 < 40 || p[1] == '-') continue;
        snprintf(pem_lines[npem++], 80, "%.*s", (int)(e - p - 1), p + 1);
    }
    assert_true(npem >= 2);

    char dir[128], sock[200], tsock[200], log[200];
    rb_tmpdir(dir);
    snprintf(sock, sizeof sock, "%s/d.sock", dir);
    snprintf(tsock, sizeof tsock, "%s/t.sock", dir);
    snprintf(log, sizeof log, "%s/sim.log", dir);
    const char *args[] = {"--config", "appkeys.json", "--dstack-sock", sock, "--tappd-sock",
                          tsock,      "--listen",     "127.0.0.1:0",   NULL};
    rb_proc p;
    assert_int_equal(rb_start(&p, log, sock, args, NULL), 0);
    cJSON *meta = tu_ok(sock, "/GetMeta", "{}");
    uint8_t root[32], app_id[20], app_key[32], app_pub[33], link[65];
    tu_hex(root_hex, root, 32);
    tu_hex(tu_str(meta, "app_id"), app_id, 20);
    assert_int_equal(
        ds_variant_kms_issue(DS_VARIANT_CANONICAL, root, app_id, app_key, app_pub, link), DS_OK);
    char app_hex[65];
    ds_hex_encode(app_key, 32, app_hex);
    cJSON_Delete(meta);
    /* traffic: successes and failures of every kind */
    cJSON_Delete(tu_ok(sock, "/GetKey", "{\"path\":\"a\"}"));
    cJSON_Delete(tu_ok(sock, "/Sign", "{\"algorithm\":\"secp256k1\",\"data\":\"00\"}"));
    cJSON_Delete(tu_ok(sock, "/GetTlsKey", "{\"subject\":\"x\"}"));
    cJSON_Delete(tu_ok(tsock, "/prpc/Tappd.DeriveKey", "{\"path\":\"p\"}"));
    tu_err(sock, "/Sign", "{\"algorithm\":\"nope\",\"data\":\"00\"}", "");
    tu_err(sock, "/GetKey", "{\"path\":", "Invalid JSON");
    rb_resp r;
    const char *bad = "BAD\r\n\r\n";
    rb_exchange(sock, bad, strlen(bad), 5000, &r);
    rb_resp_free(&r);
    assert_int_equal(rb_term(&p), 0); /* the shutdown summary is in the log too */
    char *out = tu_read(log, &n);
    const char *secrets[12] = {root_hex, app_hex};
    size_t ns = 2;
    for (size_t i = 0; i < npem; i++)
        secrets[ns++] = pem_lines[i];
    assert_absent(out, secrets, ns);
    free(out);

    /* rejected configs do not echo their keys either */
    char bad_cfg[200];
    snprintf(bad_cfg, sizeof bad_cfg, "%s/bad.json", dir);
    static const char *const BAD_KEYS[] = {
        "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff", /* >= n */
        "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcd",   /* 31 bytes */
        "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdeg", /* not hex */
    };
    for (size_t i = 0; i < 3; i++) {
        FILE *f = fopen(bad_cfg, "w");
        fprintf(f, "{\"kms_root_key\":\"%s\"}", BAD_KEYS[i]);
        fclose(f);
        chmod(bad_cfg, 0600);
        const char *a[] = {"--config", bad_cfg, "--dstack-sock", sock, "--tappd-sock", "", NULL};
        int st = -1;
        unlink(log);
        assert_int_equal(rb_start(&p, log, sock, a, &st), -1);
        assert_int_equal(st, 2);
        char *l = tu_read(log, &n);
        char frag[17];
        snprintf(frag, sizeof frag, "%.16s", BAD_KEYS[i] + 8);
        assert_null(strstr(l, frag));
        free(l);
        /* and on the command line */
        const char *a2[] = {"--config",
                            "appkeys.json",
                            "--kms-root-key",
                            BAD_KEYS[i],
                            "--dstack-sock",
                            sock,
                            "--tappd-sock",
                            "",
                            NULL};
        unlink(log);
        assert_int_equal(rb_start(&p, log, sock, a2, &st), -1);
        l = tu_read(log, &n);
        assert_null(strstr(l, frag));
        free(l);
    }
    rb_rmdir(dir);
    cJSON_Delete(j);
    free(cfg);
    rb_fault(9);
}

static int report(void **state) {
    (void)state;
    rb_faults_report("privilege");
    return 0;
}

int main(void) {
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_socket_modes),
        cmocka_unit_test(test_symlink_refused),
        cmocka_unit_test(test_non_loopback),
        cmocka_unit_test(test_key_file_permissions),
        cmocka_unit_test(test_private_keys_never_logged),
    };
    return cmocka_run_group_tests(tests, NULL, report);
}
