/* gen_seeds.c — writes the generated part of the fuzz seed corpora (make fuzz-seeds):
 * seeds that come from the real code paths rather than from files.
 *
 *   quote/, qverify/   a genuine quote under the fuzzers' PKI (fuzz_pki_common.h) and the
 *                      upstream v0.5.11 quote (fixtures/upstream/simulator-quote-v0.5.11.hex)
 *   collateral/        that PKI's collateral JSON (dcap-qvl shape)
 *   eventlog/          the simulator's own event log (appkeys.json), full and stripped,
 *                      plus one with runtime events
 *   abi/               "types\nencoding" pairs built with the encoder
 *   compose/           the docker_compose_file of app-compose.json and of the upstream
 *                      fixtures (the YAML the verifier's image-pinning parser reads)
 * Copies of fixtures (appkeys, app-compose, the upstream event log) are made by
 * fuzz/seeds.sh. Usage: gen_seeds OUTDIR (run from the repository root).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cjson/cJSON.h>

#include "ds_abi.h"
#include "ds_hex.h"
#include "fuzz_pki_common.h"
#include "sim_config.h"
#include "sim_state.h"

static const char *outdir;

static void put(const char *sub, const char *name, const void *p, size_t n) {
    char path[512];
    snprintf(path, sizeof path, "%s/%s", outdir, sub);
    if (mkdir(path, 0755) != 0 && errno != EEXIST) {
        perror(path);
        exit(1);
    }
    snprintf(path, sizeof path, "%s/%s/%s", outdir, sub, name);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(p, 1, n, f) != n || fclose(f) != 0) {
        perror(path);
        exit(1);
    }
}

static void upstream_quote(void) {
    char *hex;
    size_t len;
    if (sim_read_file("fixtures/upstream/simulator-quote-v0.5.11.hex", 1 << 20, &hex, &len)) {
        perror("fixtures/upstream/simulator-quote-v0.5.11.hex");
        exit(1);
    }
    while (len && (hex[len - 1] == '\n' || hex[len - 1] == '\r' || hex[len - 1] == ' ')) len--;
    uint8_t *q = malloc(len / 2 + 1);
    size_t n;
    if (!q || ds_hex_decode(hex, len, q, len / 2 + 1, &n) != DS_OK) exit(1);
    put("quote", "upstream-v0.5.11.bin", q, n);
    put("qverify", "upstream-v0.5.11.bin", q, n);
    free(q);
    free(hex);
}

static void pki_seeds(void) {
    fz_pki f;
    fz_pki_init(&f);
    put("quote", "pki.bin", f.quote.data, f.quote.len);
    put("qverify", "pki.bin", f.quote.data, f.quote.len);
    ds_buf j;
    ds_buf_init(&j);
    if (ds_pki_collateral_json(f.pki, &j) != DS_OK) exit(1);
    put("collateral", "collateral.json", j.data, j.len);
    /* Phala Cloud API bodies carrying the genuine quote: multipart file, JSON hex. */
    ds_buf_reset(&j);
    ds_buf_puts(&j, "multipart/form-data; boundary=fz\n--fz\r\nContent-Disposition: form-data; "
                    "name=\"file\"; filename=\"quote.bin\"\r\n"
                    "Content-Type: application/octet-stream\r\n\r\n");
    ds_buf_append(&j, f.quote.data, f.quote.len);
    ds_buf_puts(&j, "\r\n--fz--\r\n");
    put("multipart", "pki-file.txt", j.data, j.len);
    ds_buf_reset(&j);
    ds_buf_puts(&j, "application/json\n{\"hex\": \" 0X");
    ds_buf_hex(&j, (const uint8_t *)f.quote.data, f.quote.len);
    ds_buf_puts(&j, "\n\"}");
    put("multipart", "pki-json-hex.txt", j.data, j.len);
    ds_buf_free(&j);
    ds_buf_free(&f.quote);
    ds_pki_free(f.pki);
}

static void eventlog_seeds(void) {
    sim_config cfg;
    sim_state st;
    char err[512];
    char *args[] = {"dstack-simulator", "--config", "appkeys.json", "--quiet", NULL};
    sim_config_init(&cfg);
    if (sim_config_from_args(&cfg, 4, args) != 0 || sim_state_init(&st, &cfg, err, sizeof err)) {
        fprintf(stderr, "gen_seeds: cannot build the simulator state: %s\n", err);
        exit(1);
    }
    ds_buf b;
    ds_buf_init(&b);
    ds_eventlog_to_json(&st.log, DS_EVENTLOG_FULL, &b);
    put("eventlog", "sim-full.json", b.data, b.len);
    ds_buf_reset(&b);
    ds_eventlog_to_json(&st.log, DS_EVENTLOG_STRIPPED, &b);
    put("eventlog", "sim-stripped.json", b.data, b.len);
    sim_emit_event(&st, "app-started", 11, (const uint8_t *)"\x01\x02", 2, err, sizeof err);
    sim_emit_event(&st, "caf\xc3\xa9 \"q\"", 8, NULL, 0, err, sizeof err);
    ds_buf_reset(&b);
    ds_eventlog_to_json(&st.log, DS_EVENTLOG_STRIPPED, &b);
    put("eventlog", "sim-runtime.json", b.data, b.len);
    ds_buf_free(&b);
    sim_state_free(&st);
    sim_config_free(&cfg);
}

static void abi_seed(const char *name, const char *types, const ds_abi_value *v) {
    size_t n = ds_abi_encoded_size(v), w;
    size_t tl = strlen(types);
    uint8_t *buf = malloc(tl + 1 + n + 1);
    if (!buf) exit(1);
    memcpy(buf, types, tl);
    buf[tl] = '\n';
    if (ds_abi_encode(v, buf + tl + 1, n, &w) != DS_OK) exit(1);
    put("abi", name, buf, tl + 1 + w);
    free(buf);
}

static void abi_seeds(void) {
    uint8_t addr[20];
    memset(addr, 0xab, sizeof addr);
    ds_abi_value u16s[3] = {ds_abi_uint(16, 1), ds_abi_uint(16, 2), ds_abi_uint(16, 65535)};
    ds_abi_value pair[2] = {ds_abi_fbytes((const uint8_t *)"0123456789abcdef0123456789abcdef", 32),
                            ds_abi_string("hello")};
    ds_abi_value pair2[2] = {ds_abi_fbytes((const uint8_t *)"fedcba9876543210fedcba9876543210", 32),
                             ds_abi_string("")};
    ds_abi_value tuples[2] = {ds_abi_tuple(pair, 2), ds_abi_tuple(pair2, 2)};
    ds_abi_value inner[2] = {ds_abi_i64(-1), ds_abi_i64(5)};
    ds_abi_value outer[2] = {ds_abi_array(inner, 2), ds_abi_array(inner, 0)};
    ds_abi_value all[10] = {
        ds_abi_u64(1000), ds_abi_int(8, -5), ds_abi_address(addr), ds_abi_bool(1),
        ds_abi_fbytes((const uint8_t *)"\xde\xad\xbe\xef", 4),
        ds_abi_bytes((const uint8_t *)"\x01\x02\x03", 3), ds_abi_string("dstack"),
        ds_abi_array(u16s, 3), ds_abi_farray(tuples, 2), ds_abi_array(outer, 2)};
    ds_abi_value root = ds_abi_tuple(all, 10);
    abi_seed("rich.bin",
             "(uint256,int8,address,bool,bytes4,bytes,string,uint16[],(bytes32,string)[2],int256[][])",
             &root);
    ds_abi_value err1[1] = {ds_abi_string("Ownable: caller is not the owner")};
    ds_abi_value r1 = ds_abi_tuple(err1, 1);
    abi_seed("error-string.bin", "Error(string)", &r1);
    ds_abi_value two[2] = {ds_abi_address(addr), ds_abi_u64(7)};
    ds_abi_value r2 = ds_abi_tuple(two, 2);
    abi_seed("transfer.bin", "transfer(address,uint256)", &r2);
}

static void compose_seeds(void) {
    static const char *const FILES[] = {"app-compose.json",
                                        "fixtures/upstream/simulator-app-compose-v0.5.11.json",
                                        "fixtures/upstream/simulator-app-compose-v0.5.5.json"};
    for (size_t i = 0; i < sizeof FILES / sizeof FILES[0]; i++) {
        char *text;
        size_t len;
        if (sim_read_file(FILES[i], 1 << 20, &text, &len)) continue;
        cJSON *j = cJSON_ParseWithLength(text, len);
        const cJSON *y = cJSON_GetObjectItemCaseSensitive(j, "docker_compose_file");
        if (cJSON_IsString(y)) {
            char name[32];
            snprintf(name, sizeof name, "fixture-%zu.yaml", i);
            put("compose", name, y->valuestring, strlen(y->valuestring));
        }
        cJSON_Delete(j);
        free(text);
    }
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: gen_seeds OUTDIR\n");
        return 2;
    }
    outdir = argv[1];
    upstream_quote();
    pki_seeds();
    eventlog_seeds();
    abi_seeds();
    compose_seeds();
    return 0;
}
