/* fuzz_config.c — libFuzzer target: the simulator's config loader (appkeys.json:
 * simulator/sim_config.c) and everything start-up derives from a config
 * (sim_state_init: compose parsing, keys, the app CA from PEM, the simulated PKI).
 *
 * Each input is written as <tmp>/appkeys.json and loaded exactly as the command line
 * `dstack-simulator --config <tmp>/appkeys.json` would; when it loads, the state is built
 * and freed. A config may name an app-compose file: only plain file names inside the
 * temporary directory are let through (the harness must not read /dev/stdin or a FIFO),
 * and the directory holds one compose file, "compose.json", for them to find.
 * Invariant: a config either loads with a complete state or is refused with a message;
 * nothing crashes, leaks or reads out of bounds.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "fuzz_util.h"
#include "sim_config.h"
#include "sim_state.h"

static char dir[64];
static char path[128];

static void cleanup(void) {
    char p[160];
    unlink(path);
    snprintf(p, sizeof p, "%s/compose.json", dir);
    unlink(p);
    rmdir(dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc;
    (void)argv;
    strcpy(dir, "/tmp/fuzz_config.XXXXXX");
    if (!mkdtemp(dir)) abort();
    atexit(cleanup);
    snprintf(path, sizeof path, "%s/appkeys.json", dir);
    char cp[128];
    snprintf(cp, sizeof cp, "%s/compose.json", dir);
    FILE *f = fopen(cp, "w");
    if (!f) abort();
    fputs("{\"manifest_version\":2,\"name\":\"fuzz\",\"runner\":\"docker-compose\","
          "\"docker_compose_file\":\"services: {}\\n\",\"kms_enabled\":true}", f);
    fclose(f);
    return 0;
}

/* Lets through only app_compose values that stay inside the temporary directory. */
static int compose_ok(const uint8_t *data, size_t size) {
    cJSON *root = cJSON_ParseWithLength((const char *)data, size);
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(root, "app_compose");
    int ok = 1;
    if (cJSON_IsString(it)) {
        const char *s = it->valuestring;
        while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r') s++;
        if (*s != '{') {
            size_t n = strlen(it->valuestring);
            ok = n > 0 && n < 64 && strcmp(it->valuestring, ".") && strcmp(it->valuestring, "..");
            for (const char *p = it->valuestring; ok && *p; p++)
                ok = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
                     (*p >= '0' && *p <= '9') || *p == '.' || *p == '_' || *p == '-';
        }
    }
    cJSON_Delete(root);
    return ok;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (!compose_ok(data, size)) return -1;
    FILE *f = fopen(path, "wb");
    FZ_CHECK(f != NULL);
    FZ_CHECK(fwrite(data, 1, size, f) == size);
    FZ_CHECK(fclose(f) == 0);

    char *argv[] = {"dstack-simulator", "--config", path, "--quiet", NULL};
    sim_config cfg;
    sim_config_init(&cfg);
    int rc = sim_config_from_args(&cfg, 4, argv);
    FZ_CHECK(rc == 0 || rc == -1);
    if (rc == 0) {
        FZ_CHECK(cfg.dstack_sock && cfg.compose && cfg.version && cfg.config_path);
        FZ_CHECK(cfg.have_root || cfg.have_k256);
        sim_state st;
        char err[512] = "";
        if (sim_state_init(&st, &cfg, err, sizeof err) != 0) FZ_CHECK(err[0] != '\0');
        else FZ_CHECK(st.log.n > 0 && st.app_cert != NULL);
        sim_state_free(&st);
    }
    sim_config_free(&cfg);
    return 0;
}
