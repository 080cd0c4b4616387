/* test_target.c — harness/hx_target's reading of --call signatures: the roles found by
 * name, the canonical signature and selector (checked against the pinned cast's
 * `cast sig`), the claim versions a call speaks, the argument encodings it is tried
 * with, every refusal with its message, and which RPC URLs count as loopback.
 */
#include <stdio.h>
#include <stdlib.h>

#include "unit_util.h"

#include "ds_abi.h"
#include "hx_target.h"

static void reads_roles_types_and_versions(void **state) {
    (void)state;
    hx_call_spec c;
    char err[512];
    uint8_t sel[4];
    assert_int_equal(
        hx_call_parse("verifySignatureChain(bytes32 appId, bytes memory derivedPublicKey, "
                      "bytes calldata appSignature, bytes kmsSignature, string purpose) "
                      "external view returns (bool ok)",
                      &c, err, sizeof err),
        0);
    assert_string_equal(c.sig, "verifySignatureChain(bytes32,bytes,bytes,bytes,string)");
    /* cast sig "verifySignatureChain(bytes32,bytes,bytes,bytes,string)" = 0x871c2baf */
    assert_int_equal(ds_abi_selector(c.sig, sel), DS_OK);
    assert_hex_equal(sel, 4, "871c2baf");
    assert_int_equal(c.np, 5);
    assert_int_equal(c.p[0].role, HX_ROLE_APP_ID);
    assert_int_equal(c.p[1].role, HX_ROLE_DERIVED_PUB);
    assert_int_equal(c.p[2].role, HX_ROLE_APP_SIG);
    assert_int_equal(c.p[3].role, HX_ROLE_KMS_SIG);
    assert_int_equal(c.p[4].role, HX_ROLE_PURPOSE);
    assert_int_equal(c.returns, 1);
    assert_true(c.speaks[0] && !c.speaks[1]);
    assert_int_equal(c.nshapes, 2); /* bytes32 app id: right- and left-padded */

    assert_int_equal(
        hx_call_parse("v(bytes20 app_id, bytes derived_pub, bytes app_sig, bytes kms_sig, "
                      "string domain, string algorithm, bytes app_pub)",
                      &c, err, sizeof err),
        0);
    assert_string_equal(c.sig, "v(bytes20,bytes,bytes,bytes,string,string,bytes)");
    assert_int_equal(c.returns, -1);
    assert_true(!c.speaks[0] && c.speaks[1]);
    assert_int_equal(c.nshapes, 3); /* the app key as 33, 64 and 65 bytes */

    assert_int_equal(
        hx_call_parse("v(address app_id, address derived_pub, bytes app_sig, bytes kms_sig, "
                      "string purpose, string domain, uint8 version) returns ()",
                      &c, err, sizeof err),
        0);
    assert_string_equal(c.sig, "v(address,address,bytes,bytes,string,string,uint8)");
    assert_int_equal(c.returns, 0);
    assert_true(c.speaks[0] && c.speaks[1]);
    assert_int_equal(c.nshapes, 1);
    char shape[160];
    assert_string_equal(hx_shape_str(&c, 0, shape, sizeof shape), "the only encoding");

    /* no purpose or domain: a v0 verifier with its purpose built in */
    assert_int_equal(hx_call_parse("g(bytes32 app_id,bytes app_pub,bytes app_sig,bytes kms_sig)",
                                   &c, err, sizeof err),
                     0);
    assert_true(c.speaks[0] && !c.speaks[1]);
    assert_int_equal(c.nshapes, 6);
    assert_string_equal(hx_shape_str(&c, 5, shape, sizeof shape),
                        "app id left-padded in bytes32, app key as 65-byte uncompressed bytes");
}

static void refuses_what_it_cannot_fill(void **state) {
    (void)state;
    hx_call_spec c;
    char err[512];
    struct {
        const char *call, *says;
    } bad[] = {
        {"verify", "write it as name(type arg, …)"},
        {"verify(bytes32, bytes app_sig, bytes kms_sig)", "argument \"bytes32\" has no name"},
        {"verify(bytes32 app_id, bytes sig, bytes kms_sig)", "argument \"sig\" has no known role"},
        {"verify(uint256 app_id, bytes app_sig, bytes kms_sig)", "app_id is a uint256 here"},
        {"verify(bytes app_sig, bytes kms_sig, bytes32 purpose)", "purpose is a bytes32 here"},
        {"verify(bytes app_sig, bytes kms_sig, bytes appSig)", "two arguments are app_sig"},
        {"verify(bytes app_sig, string purpose)", "must take the chain"},
        {"verify(bytes app_sig, bytes kms_sig) returns (uint256)", "reads a bool or nothing"},
        {"verify(bytes app_sig, bytes kms_sig) frobs", "cannot read \"frobs\""},
        {"verify(bytes33 app_sig, bytes kms_sig)", "\"bytes33\" is not a Solidity type"},
        {"verify((bytes,bytes) chain)", "tuple and array arguments are not supported"},
        {"two words(bytes app_sig, bytes kms_sig)", "is not a function name"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        err[0] = '\0';
        assert_int_equal(hx_call_parse(bad[i].call, &c, err, sizeof err), -1);
        if (strstr(err, bad[i].says) == NULL) fail_msg("%s: got \"%s\"", bad[i].call, err);
    }
}

static void loopback_only(void **state) {
    (void)state;
    assert_true(hx_url_is_loopback("http://127.0.0.1:8545"));
    assert_true(hx_url_is_loopback("http://127.1.2.3"));
    assert_true(hx_url_is_loopback("http://localhost:8545/"));
    assert_true(hx_url_is_loopback("https://[::1]:8545"));
    assert_false(hx_url_is_loopback("http://192.0.2.1:8545"));
    assert_false(hx_url_is_loopback("http://127.0.0.1.example.com:8545"));
    assert_false(hx_url_is_loopback("http://localhost.example.com"));
    assert_false(hx_url_is_loopback("http://[::2]:8545"));
    assert_false(hx_url_is_loopback("ws://127.0.0.1:8545"));
    assert_false(hx_url_is_loopback("127.0.0.1:8545"));
    assert_false(hx_url_is_loopback("http://128.0.0.1"));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(reads_roles_types_and_versions),
        cmocka_unit_test(refuses_what_it_cannot_fill),
        cmocka_unit_test(loopback_only),
    };
    return cmocka_run_group_tests_name("hx_target", tests, NULL, NULL);
}
