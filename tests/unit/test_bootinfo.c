/* test_bootinfo.c — the KMS's BootInfo (lib/eth/ds_bootinfo.h): mr_system and
 * mr_aggregated against independently computed values, the webhook JSON byte for byte,
 * the reader's round trip and errors, and isAppAllowed calldata against Foundry's cast. */
#include <stdio.h>
#include <stdlib.h>

#include "ds_bootinfo.h"
#include "unit_util.h"

/* The TD report of the quote in upstream's verifier/fixtures/quote-report.json
 * (Dstack-TEE/dstack 40eaf35e): mr_td and rtmr0..3 read from the quote at byte 184 on
 * (48-byte header, then TEE_TCB_SVN, MRSEAM, MRSIGNERSEAM, SEAMATTRIBUTES, TDATTRIBUTES,
 * XFAM); its mr_config_id, mr_owner and mr_owner_config are zero. Its event log's
 * key-provider payload is KP. */
static const char *const MR_TD = "b24d3b24e9e3c16012376b52362ca09856c4adecb709d5fac33addf1c47e193da"
                                 "075b125b6c364115771390a5461e217";
static const char *const RTMR[4] = {
    "2e3843265f8ecdd4e2282694747f6f2f111605c33f2a8882f5734ee6f3a6ce63d8f34aeef06093dcda76fa5f9d33d8"
    "d6",
    "a1b79d76021970f57c45c4a7c395f780bab37011a4df27fe44e8559bd1abb4d6e52f12f866d1d08405448eb797a597"
    "0f",
    "1e31b59d605df7ee8160cf7966be9bafa6d0e1905de7e09695a24cd9748e71a603a51fae1297619fa0c30517addbcd"
    "07",
    "0f787c3877f3e95095d5a4d13dd0fe0233803b30120d8469866719dc28f519ce021fe1e53459121e7a5a4443147185"
    "a8",
};
static const char KP[] = "{\"name\":\"local-sgx\",\"id\":"
                         "\"1b7a49378403249b6986a907844cab0921eca32dd47e657f3c10311ccaeccf8b\"}";

/* Expected values, computed with Python's hashlib from the values above:
 *   base = mr_td + rtmr0 + rtmr1 + rtmr2
 *   sha256(base + sha256(KP))        e1ae776a… (also upstream's app_info.mr_system for this
 *                                    fixture: dstack-verifier-api.md §11 B)
 *   sha256(base + bytes(32))         3d124836…  (no key provider)
 *   sha256(base + rtmr3)             233c659f…  (mr_aggregated, config/owner zero)
 *   sha256(base + rtmr3 + b'\x11'*48 + bytes(96))               88966d7a…
 *   sha256(base + rtmr3 + bytes(96) + bytes(47) + b'\x01')      48b5b551… */
#define MR_SYSTEM_KP "e1ae776a1492d4f87937b7e563d265c16300be4aba5d748207587023bb7dbb75"
#define MR_SYSTEM_NOKP "3d124836c59609fdfdb93185f7d251268d7da9b3f95e9a43cee5c4edc10a5b5f"
#define MR_AGG "233c659f83048505bb1ef7f105245aa80f5d04e3d096c329da272d7ee13fbf38"
#define MR_AGG_CONFIG_ID "88966d7a7e0485b164ada5b48c8cf47a4b5dc8bfe42573243a2e708cdad8b2ae"
#define MR_AGG_OWNER_CONFIG "48b5b5518ce008133dcee98edaa90f9df69e24793e26174e5e2750b7e384781e"

#define APP_ID "3763bc34552cf3a27ff71ad5f7a90471562a1a2d"
#define COMPOSE "3763bc34552cf3a27ff71ad5f7a90471562a1a2df552dfc1998cba2d60da27e7"
#define INSTANCE "c3714eb66990eace777b4e664c16e09375dec4c9"
#define DEVICE "ea0ba482106a22ecb76b59b95fed32b5cc3a81534b27ee01a25a10a87cca7d03"
#define OS_IMAGE "14ad42d0270b444eaeb53918a5a94d9b17eec7a817cd336173b17c5327541c67"

static void fixture_mrs(ds_bootinfo_tdmrs *m) {
    memset(m, 0, sizeof *m);
    unhex(MR_TD, m->mr_td, 48);
    for (int i = 0; i < 4; i++)
        unhex(RTMR[i], m->rtmr[i], 48);
}

/* The fixture's BootInfo, with the given TCB status and advisory ids. */
static void fixture_bootinfo(ds_bootinfo *bi, const char *tcb, const char *const *adv, size_t n) {
    memset(bi, 0, sizeof *bi);
    strcpy(bi->attestation_mode, "dstack-tdx");
    unhex(MR_AGG, bi->mr_aggregated, 32);
    unhex(OS_IMAGE, bi->os_image_hash, 32);
    unhex(MR_SYSTEM_KP, bi->mr_system, 32);
    unhex(APP_ID, bi->app_id, 20);
    unhex(COMPOSE, bi->compose_hash, 32);
    bi->instance_id_len = unhex(INSTANCE, bi->instance_id, 20);
    unhex(DEVICE, bi->device_id, 32);
    assert_int_equal(ds_bootinfo_set_key_provider(bi, (const uint8_t *)KP, strlen(KP)), DS_OK);
    assert_int_equal(ds_bootinfo_set_tcb_status(bi, tcb), DS_OK);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(ds_bootinfo_add_advisory(bi, adv[i]), DS_OK);
}

static void mrs_of_the_upstream_fixture(void **state) {
    (void)state;
    ds_bootinfo_tdmrs m;
    fixture_mrs(&m);
    uint8_t sys[32], agg[32];
    ds_bootinfo_mrs(&m, (const uint8_t *)KP, strlen(KP), sys, agg);
    assert_hex_equal(sys, 32, MR_SYSTEM_KP);
    assert_hex_equal(agg, 32, MR_AGG);
}

static void mr_system_without_key_provider_hashes_32_zero_bytes(void **state) {
    (void)state;
    ds_bootinfo_tdmrs m;
    fixture_mrs(&m);
    uint8_t sys[32], agg[32];
    ds_bootinfo_mrs(&m, NULL, 0, sys, agg);
    assert_hex_equal(sys, 32, MR_SYSTEM_NOKP);
    assert_hex_equal(agg, 32, MR_AGG); /* mr_aggregated does not depend on it */
    memset(sys, 0xaa, 32);             /* an empty payload is no key provider (upstream) */
    ds_bootinfo_mrs(&m, (const uint8_t *)KP, 0, sys, NULL);
    assert_hex_equal(sys, 32, MR_SYSTEM_NOKP);
}

static void mr_aggregated_takes_config_and_owner_when_any_is_set(void **state) {
    (void)state;
    ds_bootinfo_tdmrs m;
    fixture_mrs(&m);
    uint8_t sys[32], agg[32];
    memset(m.mr_config_id, 0x11, 48);
    ds_bootinfo_mrs(&m, (const uint8_t *)KP, strlen(KP), sys, agg);
    assert_hex_equal(agg, 32, MR_AGG_CONFIG_ID);
    assert_hex_equal(sys, 32, MR_SYSTEM_KP); /* mr_system never includes them */
    memset(m.mr_config_id, 0, 48);
    m.mr_owner_config[47] = 1;
    ds_bootinfo_mrs(&m, NULL, 0, NULL, agg);
    assert_hex_equal(agg, 32, MR_AGG_OWNER_CONFIG);
}

static void json_is_the_kms_body_byte_for_byte(void **state) {
    (void)state;
    const char *adv[] = {"INTEL-SA-00837", "INTEL-SA-01036"};
    ds_bootinfo bi;
    fixture_bootinfo(&bi, "OutOfDate", adv, 2);
    ds_buf b;
    ds_buf_init(&b);
    ds_bootinfo_json(&bi, &b);
    assert_false(b.oom);
    assert_string_equal(
        b.data,
        "{\"attestationMode\":\"dstack-tdx\",\"mrAggregated\":\"" MR_AGG
        "\",\"osImageHash\":\"" OS_IMAGE "\",\"mrSystem\":\"" MR_SYSTEM_KP "\",\"appId\":\"" APP_ID
        "\",\"composeHash\":\"" COMPOSE "\",\"instanceId\":\"" INSTANCE "\",\"deviceId\":\"" DEVICE
        "\",\"keyProviderInfo\":"
        "\"7b226e616d65223a226c6f63616c2d736778222c226964223a223162376134393337383"
        "430333234396236393836613930373834346361623039323165636133326464343765363537663363313033313"
        "16363"
        "61656363663862227d\",\"tcbStatus\":\"OutOfDate\",\"advisoryIds\":[\"INTEL-SA-00837\","
        "\"INTEL-SA-01036\"]}");
    /* no instance id, no key provider, no advisories; strings are JSON-escaped */
    bi.instance_id_len = 0;
    bi.key_provider_info_len = 0;
    bi.n_advisory_ids = 0;
    strcpy(bi.tcb_status, "a\"b");
    ds_buf_reset(&b);
    ds_bootinfo_json(&bi, &b);
    assert_non_null(strstr(b.data, ",\"instanceId\":\"\",\"deviceId\":"));
    assert_non_null(
        strstr(b.data, ",\"keyProviderInfo\":\"\",\"tcbStatus\":\"a\\\"b\",\"advisoryIds\":[]}"));
    ds_buf_free(&b);
}

static cJSON *parse(const char *s) {
    cJSON *j = cJSON_Parse(s);
    assert_non_null(j);
    return j;
}

static void reader_round_trips_the_writer(void **state) {
    (void)state;
    const char *adv[] = {"INTEL-SA-00837", "INTEL-SA-01036"};
    ds_bootinfo bi, back;
    char err[128] = "";
    for (int variant = 0; variant < 2; variant++) {
        fixture_bootinfo(&bi, variant ? "" : "UpToDate", adv, variant ? 0 : 2);
        if (variant) {
            bi.instance_id_len = 0;
            memset(bi.instance_id, 0, 20);
            bi.key_provider_info_len = 0;
            memset(bi.key_provider_info, 0, sizeof bi.key_provider_info);
        }
        ds_buf b;
        ds_buf_init(&b);
        ds_bootinfo_json(&bi, &b);
        cJSON *j = parse(b.data);
        assert_int_equal(ds_bootinfo_from_json(j, &back, err, sizeof err), DS_OK);
        assert_memory_equal(&bi, &back, sizeof bi);
        cJSON_Delete(j);
        ds_buf_free(&b);
    }
}

/* The fixture's BootInfo as auth-eth requires it (no optional member), for the reader's
 * tests to alter. */
static cJSON *doc(void) {
    return parse("{\"mrAggregated\":\"" MR_AGG "\",\"osImageHash\":\"" OS_IMAGE
                 "\",\"mrSystem\":\"" MR_SYSTEM_KP "\",\"appId\":\"" APP_ID
                 "\",\"composeHash\":\"" COMPOSE "\",\"instanceId\":\"" INSTANCE
                 "\",\"deviceId\":\"" DEVICE "\",\"tcbStatus\":\"UpToDate\",\"advisoryIds\":[]}");
}

static void reader_accepts_0x_and_left_pads_as_auth_eth(void **state) {
    (void)state;
    ds_bootinfo bi;
    char err[128] = "";
    cJSON *j = doc();
    cJSON_ReplaceItemInObjectCaseSensitive(j, "appId", cJSON_CreateString("0x1234"));
    cJSON_ReplaceItemInObjectCaseSensitive(j, "composeHash", cJSON_CreateString("abc"));
    cJSON_ReplaceItemInObjectCaseSensitive(j, "instanceId", cJSON_CreateString(""));
    cJSON_ReplaceItemInObjectCaseSensitive(j, "deviceId", cJSON_CreateString("0x" DEVICE));
    cJSON_AddStringToObject(j, "keyProviderInfo", "0x00ff");
    cJSON_AddStringToObject(j, "attestationMode", "dstack-tdx");
    assert_int_equal(ds_bootinfo_from_json(j, &bi, err, sizeof err), DS_OK);
    assert_hex_equal(bi.app_id, 20, "0000000000000000000000000000000000001234");
    assert_hex_equal(bi.compose_hash, 32,
                     "0000000000000000000000000000000000000000000000000000000000000abc");
    assert_int_equal(bi.instance_id_len, 0);
    assert_hex_equal(bi.instance_id, 20, "0000000000000000000000000000000000000000");
    assert_hex_equal(bi.device_id, 32, DEVICE);
    assert_int_equal(bi.key_provider_info_len, 2);
    assert_hex_equal(bi.key_provider_info, 2, "00ff");
    assert_string_equal(bi.attestation_mode, "dstack-tdx");
    assert_string_equal(bi.tcb_status, "UpToDate");
    cJSON_Delete(j);
}

static void reader_names_the_bad_member(void **state) {
    (void)state;
    static const struct {
        const char *member; /* replaced by value (NULL: removed) */
        const char *value;  /* JSON */
        const char *err;
    } cases[] = {
        {"appId", NULL, "appId: missing"},
        {"instanceId", NULL, "instanceId: missing"},
        {"mrSystem", "7", "mrSystem: not a string"},
        {"osImageHash", "\"0xzz\"", "osImageHash: not hex"},
        {"appId", "\"0X1234\"", "appId: not hex"},
        {"appId", "\"" APP_ID "00\"", "appId: 42 hex digits, more than 20 bytes"},
        {"deviceId", "\"" DEVICE "0\"", "deviceId: 65 hex digits, more than 32 bytes"},
        {"tcbStatus", NULL, "tcbStatus: missing"},
        {"tcbStatus",
         "\""
         "0123456789012345678901234567890123456789012345678"
         "\"",
         "tcbStatus: longer than 47 chars"},
        {"advisoryIds", NULL, "advisoryIds: missing"},
        {"advisoryIds", "\"INTEL-SA-00837\"", "advisoryIds: not an array"},
        {"advisoryIds", "[\"INTEL-SA-00837\",3]", "advisoryIds[1]: not a string"},
        {"advisoryIds", "[\"0123456789012345678901234567890123\"]",
         "advisoryIds[0]: longer than 31 chars"},
        {"keyProviderInfo", "\"abc\"", "keyProviderInfo: not hex"},
        {"keyProviderInfo", "null", "keyProviderInfo: not a string"},
        {"attestationMode", "1", "attestationMode: not a string"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        cJSON *j = doc();
        cJSON_DeleteItemFromObjectCaseSensitive(j, cases[i].member);
        if (cases[i].value) cJSON_AddItemToObject(j, cases[i].member, parse(cases[i].value));
        ds_bootinfo bi;
        char err[128] = "";
        assert_int_equal(ds_bootinfo_from_json(j, &bi, err, sizeof err), DS_ERR_PARSE);
        if (strcmp(err, cases[i].err)) fprintf(stderr, "case %zu: got \"%s\"\n", i, err);
        assert_string_equal(err, cases[i].err);
        cJSON_Delete(j);
    }
    /* caps: 65 advisory ids, 1025 bytes of key-provider info, a non-object */
    cJSON *j = doc();
    cJSON *adv = cJSON_GetObjectItemCaseSensitive(j, "advisoryIds");
    for (int k = 0; k <= DS_BOOTINFO_MAX_ADVISORIES; k++)
        cJSON_AddItemToArray(adv, cJSON_CreateString("INTEL-SA-00837"));
    ds_bootinfo bi;
    char err[128] = "";
    assert_int_equal(ds_bootinfo_from_json(j, &bi, err, sizeof err), DS_ERR_PARSE);
    assert_string_equal(err, "advisoryIds: more than 64 ids");
    cJSON_Delete(j);
    j = doc();
    char big[2 * DS_BOOTINFO_MAX_KP + 3];
    memset(big, 'a', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    cJSON_AddStringToObject(j, "keyProviderInfo", big);
    assert_int_equal(ds_bootinfo_from_json(j, &bi, err, sizeof err), DS_ERR_PARSE);
    assert_string_equal(err, "keyProviderInfo: more than 1024 bytes");
    big[2 * DS_BOOTINFO_MAX_KP] = '\0'; /* exactly 1024 bytes fits */
    cJSON_ReplaceItemInObjectCaseSensitive(j, "keyProviderInfo", cJSON_CreateString(big));
    assert_int_equal(ds_bootinfo_from_json(j, &bi, err, sizeof err), DS_OK);
    assert_int_equal(bi.key_provider_info_len, DS_BOOTINFO_MAX_KP);
    cJSON_Delete(j);
    j = parse("[]");
    assert_int_equal(ds_bootinfo_from_json(j, &bi, NULL, 0), DS_ERR_PARSE);
    assert_int_equal(ds_bootinfo_from_json(NULL, &bi, err, sizeof err), DS_ERR_PARSE);
    assert_string_equal(err, "BootInfo: not a JSON object");
    cJSON_Delete(j);
}

static void setters_refuse_what_does_not_fit(void **state) {
    (void)state;
    ds_bootinfo bi;
    memset(&bi, 0, sizeof bi);
    static uint8_t kp[DS_BOOTINFO_MAX_KP + 1];
    assert_int_equal(ds_bootinfo_set_key_provider(&bi, kp, sizeof kp), DS_ERR_LEN);
    assert_int_equal(bi.key_provider_info_len, 0);
    assert_int_equal(ds_bootinfo_set_key_provider(&bi, kp, DS_BOOTINFO_MAX_KP), DS_OK);
    assert_int_equal(bi.key_provider_info_len, DS_BOOTINFO_MAX_KP);
    char s[DS_BOOTINFO_TCB_CAP + 1];
    memset(s, 'x', sizeof s - 1);
    s[sizeof s - 1] = '\0';
    assert_int_equal(ds_bootinfo_set_tcb_status(&bi, s), DS_ERR_LEN);
    assert_string_equal(bi.tcb_status, "");
    s[DS_BOOTINFO_ADVISORY_CAP - 1] = '\0';
    assert_int_equal(ds_bootinfo_add_advisory(&bi, s), DS_OK);
    s[DS_BOOTINFO_ADVISORY_CAP - 1] = 'x';
    s[DS_BOOTINFO_ADVISORY_CAP] = '\0';
    assert_int_equal(ds_bootinfo_add_advisory(&bi, s), DS_ERR_LEN);
    for (int k = 1; k < DS_BOOTINFO_MAX_ADVISORIES; k++)
        assert_int_equal(ds_bootinfo_add_advisory(&bi, "INTEL-SA-00837"), DS_OK);
    assert_int_equal(ds_bootinfo_add_advisory(&bi, "INTEL-SA-00837"), DS_ERR_LEN);
    assert_int_equal(bi.n_advisory_ids, DS_BOOTINFO_MAX_ADVISORIES);
}

static void check_calldata(const ds_bootinfo *bi, const char *want) {
    uint8_t *data = NULL;
    size_t len = 0;
    assert_int_equal(ds_bootinfo_calldata(bi, &data, &len), DS_OK);
    char *hex = malloc(2 * len + 1);
    assert_non_null(hex);
    assert_string_equal(ds_hex_encode(data, len, hex), want);
    free(hex);
    free(data);
}

/* Expected calldata from Foundry's cast 1.7.1:
 *   cast calldata \
 *     "isAppAllowed((address,bytes32,address,bytes32,bytes32,bytes32,bytes32,string,string[]))" \
 *     "(0x<APP_ID>,0x<COMPOSE>,0x<INSTANCE>,0x<DEVICE>,0x<MR_AGG>,0x<MR_SYSTEM_KP>,0x<OS_IMAGE>,\
 *       OutOfDate,[INTEL-SA-00837,INTEL-SA-01036])"
 * and the same with instance 0x0000000000000000000000000000000000000000, mrSystem
 * 0x<MR_SYSTEM_NOKP>, UpToDate and [] (the selector 1e079198 is IAppAuth's interface id). */
static void calldata_matches_cast(void **state) {
    (void)state;
    const char *adv[] = {"INTEL-SA-00837", "INTEL-SA-01036"};
    ds_bootinfo bi;
    fixture_bootinfo(&bi, "OutOfDate", adv, 2);
    check_calldata(&bi, "1e079198"
                        "0000000000000000000000000000000000000000000000000000000000000020"
                        "000000000000000000000000" APP_ID COMPOSE
                        "000000000000000000000000" INSTANCE DEVICE MR_AGG MR_SYSTEM_KP OS_IMAGE
                        "0000000000000000000000000000000000000000000000000000000000000120"
                        "0000000000000000000000000000000000000000000000000000000000000160"
                        "0000000000000000000000000000000000000000000000000000000000000009"
                        "4f75744f66446174650000000000000000000000000000000000000000000000"
                        "0000000000000000000000000000000000000000000000000000000000000002"
                        "0000000000000000000000000000000000000000000000000000000000000040"
                        "0000000000000000000000000000000000000000000000000000000000000080"
                        "000000000000000000000000000000000000000000000000000000000000000e"
                        "494e54454c2d53412d3030383337000000000000000000000000000000000000"
                        "000000000000000000000000000000000000000000000000000000000000000e"
                        "494e54454c2d53412d3031303336000000000000000000000000000000000000");
    fixture_bootinfo(&bi, "UpToDate", NULL, 0);
    bi.instance_id_len = 0; /* the bytes behind it must not leak into the address */
    unhex(MR_SYSTEM_NOKP, bi.mr_system, 32);
    check_calldata(&bi,
                   "1e079198"
                   "0000000000000000000000000000000000000000000000000000000000000020"
                   "000000000000000000000000" APP_ID COMPOSE
                   "0000000000000000000000000000000000000000000000000000000000000000" DEVICE MR_AGG
                       MR_SYSTEM_NOKP OS_IMAGE
                   "0000000000000000000000000000000000000000000000000000000000000120"
                   "0000000000000000000000000000000000000000000000000000000000000160"
                   "0000000000000000000000000000000000000000000000000000000000000008"
                   "5570546f44617465000000000000000000000000000000000000000000000000"
                   "0000000000000000000000000000000000000000000000000000000000000000");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(mrs_of_the_upstream_fixture),
        cmocka_unit_test(mr_system_without_key_provider_hashes_32_zero_bytes),
        cmocka_unit_test(mr_aggregated_takes_config_and_owner_when_any_is_set),
        cmocka_unit_test(json_is_the_kms_body_byte_for_byte),
        cmocka_unit_test(reader_round_trips_the_writer),
        cmocka_unit_test(reader_accepts_0x_and_left_pads_as_auth_eth),
        cmocka_unit_test(reader_names_the_bad_member),
        cmocka_unit_test(setters_refuse_what_does_not_fit),
        cmocka_unit_test(calldata_matches_cast),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
