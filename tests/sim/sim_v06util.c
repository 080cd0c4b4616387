/* sim_v06util.c — the 0.6.0 suites' shared simulator and assertions (see sim_v06util.h). */
#include "sim_v06util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ds_secp.h"

ds_testsim *sim;
const char *S, *X;
int port;

int v06_setup(void **state) {
    (void)state;
    port = tu_free_port();
    char listen[32];
    snprintf(listen, sizeof listen, "127.0.0.1:%d", port);
    const char *args[] = {
        "--config", "appkeys.json", "--agent-version", "0.6.0", "--listen", listen, NULL};
    sim = tu_start(args);
    if (!sim) return -1;
    S = sim->dstack_sock;
    X = sim->external_sock;
    return 0;
}

int v06_teardown(void **state) {
    (void)state;
    return tu_stop(sim);
}

void want_error(const char *sock, const char *target, const char *json, int status,
                const char *msg) {
    int st;
    char *body = tu_raw(sock, "POST", target, json ? json : "{}", &st, NULL);
    char want[1024];
    snprintf(want, sizeof want, "{\n  \"error\": \"%s\"\n}", msg);
    if (st != status || strcmp(body, want))
        fprintf(stderr, "%s %s -> %d %s\nwanted %d %s\n", target, json ? json : "", st, body,
                status, want);
    assert_int_equal(st, status);
    assert_string_equal(body, want);
    free(body);
}

void meta_root(const char *sock, uint8_t root_addr[20], uint8_t app_id[20]) {
    cJSON *m = tu_ok(sock, "/GetMeta", "{}");
    uint8_t pub[33];
    tu_hex(tu_str(m, "k256_pubkey"), pub, 33);
    assert_int_equal(ds_secp_address(pub, 33, root_addr), DS_OK);
    tu_hex(tu_str(m, "app_id"), app_id, 20);
    cJSON_Delete(m);
}
