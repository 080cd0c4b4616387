/* test_abi_errors.c — lib/eth/ds_abi's revert decoding against a contract's ABI JSON
 * (custom errors, Error(string), Panic(uint256)), artifacts and event logs.
 */
#include <stdio.h>
#include <stdlib.h>

#include <cjson/cJSON.h>

#include "abi_testutil.h"

#include "ds_abi.h"
#include "ds_keccak.h"

/* ---- reverts, artifacts, logs ----------------------------------------------------------- */

static const char *ABI_JSON =
    "[{\"type\":\"error\",\"name\":\"InvalidKmsSignature\",\"inputs\":["
    "{\"name\":\"recovered\",\"type\":\"address\"},{\"name\":\"expected\",\"type\":\"address\"}]},"
    "{\"type\":\"error\",\"name\":\"BadProof\",\"inputs\":[{\"name\":\"step\",\"type\":\"uint8\"},"
    "{\"name\":\"why\",\"type\":\"string\"}]},"
    "{\"type\":\"event\",\"name\":\"InstanceRegistered\",\"anonymous\":false,\"inputs\":["
    "{\"name\":\"instanceId\",\"type\":\"bytes32\",\"indexed\":true},"
    "{\"name\":\"tokenId\",\"type\":\"uint256\",\"indexed\":true},"
    "{\"name\":\"withProof\",\"type\":\"bool\",\"indexed\":false},"
    "{\"name\":\"url\",\"type\":\"string\",\"indexed\":false}]},"
    "{\"type\":\"function\",\"name\":\"f\",\"stateMutability\":\"view\",\"inputs\":["
    "{\"name\":\"p\",\"type\":\"tuple\",\"components\":[{\"name\":\"a\",\"type\":\"uint8\"},"
    "{\"name\":\"b\",\"type\":\"string[]\"}]},{\"name\":\"q\",\"type\":\"tuple[]\",\"components\":"
    "[{\"name\":\"x\",\"type\":\"bytes\"}]}],\"outputs\":[{\"name\":\"\",\"type\":\"bool\"}]},"
    "{\"type\":\"constructor\",\"inputs\":[{\"name\":\"root\",\"type\":\"address\"}]}]";

static char *describe(const char *hex, const ds_abi_errors *errs, int flags) {
    uint8_t *d;
    size_t n = unhex_alloc(hex, &d);
    size_t need = ds_abi_revert_describe(d, n, errs, flags, NULL, 0);
    char *out = malloc(need + 1);
    assert_int_equal(ds_abi_revert_describe(d, n, errs, flags, out, need + 1), need);
    free(d);
    return out;
}

static void reverts_and_artifacts(void **state) {
    (void)state;
    cJSON *abi = cJSON_Parse(ABI_JSON);
    assert_non_null(abi);
    ds_abi_error_def defs[4];
    ds_abi_errors errs = {defs, 0, 4};
    assert_int_equal(ds_abi_errors_add_abi(&errs, abi, "Test"), DS_OK);
    assert_int_equal(errs.n, 2);
    assert_string_equal(defs[0].sig, "InvalidKmsSignature(address,address)");
    assert_hex_equal(defs[0].selector, 4, "94bd7ced");
    assert_string_equal(defs[0].names, "recovered,expected");
    assert_int_equal(ds_abi_errors_add_abi(&errs, abi, "Again"), DS_OK); /* duplicates ignored */
    assert_int_equal(errs.n, 2);

    char sig[256], outs[64], names[64];
    const cJSON *f = ds_abi_find(abi, "function", "f");
    assert_non_null(f);
    assert_int_equal(ds_abi_item_sig(f, sig, sizeof sig, outs, sizeof outs, names, sizeof names),
                     DS_OK);
    assert_string_equal(sig, "f((uint8,string[]),(bytes)[])");
    assert_string_equal(outs, "(bool)");
    assert_string_equal(names, "p,q");
    assert_int_equal(
        ds_abi_item_sig(ds_abi_find(abi, "constructor", NULL), sig, sizeof sig, NULL, 0, NULL, 0),
        DS_OK);
    assert_string_equal(sig, "constructor(address)");
    assert_null(ds_abi_find(abi, "function", "nope"));

    char *s;
    /* cast calldata "Error(string)" "Ownable: caller is not the owner" */
    s = describe(
        "08c379a0000000000000000000000000000000000000000000000000000000000000002000000000000000"
        "000000000000000000000000000000000000000000000000204f776e61626c653a2063616c6c6572206973"
        "206e6f7420746865206f776e6572",
        &errs, 0);
    assert_string_equal(s, "Error(\"Ownable: caller is not the owner\")");
    free(s);
    /* cast calldata "Panic(uint256)" 17 */
    s = describe("4e487b71" W("11"), &errs, 0);
    assert_string_equal(s, "Panic(0x11: arithmetic overflow or underflow)");
    free(s);
    /* cast calldata "InvalidKmsSignature(address,address)" 0x11…11 0x8f2c…e7c5 */
    const char *custom = "94bd7ced0000000000000000000000001111111111111111111111111111111111111111"
                         "0000000000000000000000008f2cf602c9695b23130367ed78d8f557554de7c5";
    s = describe(custom, &errs, 0);
    assert_string_equal(
        s, "InvalidKmsSignature(recovered: 0x1111111111111111111111111111111111111111, "
           "expected: 0x8f2cF602C9695b23130367ed78d8F557554de7C5)");
    free(s);
    s = describe(custom, &errs, DS_ABI_FMT_JSON);
    cJSON *j = cJSON_Parse(s);
    assert_non_null(j);
    assert_string_equal(cJSON_GetObjectItem(j, "kind")->valuestring, "custom");
    assert_string_equal(cJSON_GetObjectItem(j, "signature")->valuestring,
                        "InvalidKmsSignature(address,address)");
    assert_string_equal(
        cJSON_GetObjectItem(cJSON_GetObjectItem(j, "args"), "expected")->valuestring,
        "0x8f2cF602C9695b23130367ed78d8F557554de7C5");
    cJSON_Delete(j);
    free(s);
    /* cast calldata "BadProof(uint8,string)" 2 "app link" */
    s = describe(
        "14aff7960000000000000000000000000000000000000000000000000000000000000002000000000000000000"
        "00000000000000000000000000000000000000000000400000000000000000000000000000000000000000"
        "000000000000000000000008617070206c696e6b000000000000000000000000000000000000000000000000",
        &errs, 0);
    assert_string_equal(s, "BadProof(step: 2, why: \"app link\")");
    free(s);
    s = describe("", &errs, 0);
    assert_string_equal(s, "reverted without a reason (no revert data)");
    free(s);
    s = describe("deadbeef" W0, &errs, 0);
    assert_string_equal(
        s, "unknown error 0xdeadbeef (+32 bytes of arguments; not an error in the loaded ABIs)");
    free(s);
    s = describe("94bd7ced00", &errs, 0); /* known selector, truncated arguments */
    assert_string_equal(
        s, "InvalidKmsSignature (arguments do not decode as InvalidKmsSignature(address,address))");
    free(s);
    s = describe("4e487b71", NULL, DS_ABI_FMT_JSON); /* Panic without its code: unknown */
    j = cJSON_Parse(s);
    assert_non_null(j);
    assert_string_equal(cJSON_GetObjectItem(j, "kind")->valuestring, "unknown");
    cJSON_Delete(j);
    free(s);
    assert_string_equal(ds_abi_panic_str(0x32), "array index out of bounds");

    /* a log of InstanceRegistered(bytes32 indexed, uint256 indexed, bool, string):
     * topic0 = cast keccak "InstanceRegistered(bytes32,uint256,bool,string)",
     * data = cast abi-encode "f(bool,string)" true "http://x" */
    uint8_t topics[3][32], *data;
    unhex("6826bb43fc61253f2a30cf5e434a34ecdfa480f39104d88b62bbc895643a0f51", topics[0], 32);
    memset(topics[1], 0xab, 32);
    memset(topics[2], 0, 32);
    topics[2][31] = 7;
    size_t dl = unhex_alloc(
        W("01") W("40") W("08") "687474703a2f2f78000000000000000000000000000000000000000000000000",
        &data);
    char out[512];
    ds_abi_log_describe(abi, (const uint8_t(*)[32])topics, 3, data, dl, 0, out, sizeof out);
    assert_string_equal(out, "InstanceRegistered(instanceId: "
                             "0xabababababababababababababababababababababababababababababababab, "
                             "tokenId: 7, withProof: true, url: \"http://x\")");
    ds_abi_log_describe(abi, (const uint8_t(*)[32])topics, 3, data, dl, DS_ABI_FMT_JSON, out,
                        sizeof out);
    j = cJSON_Parse(out);
    assert_non_null(j);
    assert_string_equal(cJSON_GetObjectItem(j, "event")->valuestring, "InstanceRegistered");
    assert_string_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "args"), "tokenId")->valuestring,
                        "7");
    cJSON_Delete(j);
    /* a missing indexed topic: the raw form */
    ds_abi_log_describe(abi, (const uint8_t(*)[32])topics, 2, data, dl, 0, out, sizeof out);
    assert_string_equal(
        out, "unknown event 0x6826bb43fc61253f2a30cf5e434a34ecdfa480f39104d88b62bbc895643a0f51");
    free(data);
    cJSON_Delete(abi);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(reverts_and_artifacts),
    };
    return cmocka_run_group_tests_name("ds_abi: reverts, artifacts, logs", tests, NULL, NULL);
}
