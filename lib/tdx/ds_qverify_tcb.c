/* ds_qverify_tcb.c — the Intel-specific parts of quote verification: the SGX PCK
 * certificate extension, TCB info (TDX v3) and QE identity (TD_QE) parsing, QE identity
 * policy, and TCB level matching. Matching follows dcap-qvl 0.3.9: the first TCB level
 * (in JSON order) whose SGX components, PCE SVN and TDX components (vs the TD report's
 * tee_tcb_svn, all 16) are all <= the platform's gives the platform status; the first QE
 * level with isvsvn <= the QE's gives the QE status. */
#include "ds_qverify_internal.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "ds_der.h"
#include "ds_hex.h"

/* 1.2.840.113741.1.13.1 content octets. */
static const uint8_t SGX_OID[] = {0x2a, 0x86, 0x48, 0x86, 0xf8, 0x4d, 0x01, 0x0d, 0x01};

/* Matches an OID TLV against SGX_OID.<a>[.<b>] (b < 0: one arc). */
static int oid_is(const ds_der_tlv *t, int a, int b) {
    size_t n = sizeof SGX_OID + (b >= 0 ? 2 : 1);
    return t->tag == DS_DER_OID && t->len == n && memcmp(t->p, SGX_OID, sizeof SGX_OID) == 0 &&
           t->p[sizeof SGX_OID] == a && (b < 0 || t->p[sizeof SGX_OID + 1] == b);
}

/* Reads SEQUENCE { OID, value } at *pos. */
static int next_item(const uint8_t **pos, const uint8_t *end, ds_der_tlv *oid, ds_der_tlv *val) {
    ds_der_tlv seq;
    if (ds_der_next(pos, end, &seq) != DS_OK || seq.tag != DS_DER_SEQUENCE) return 0;
    const uint8_t *p = seq.p, *e = seq.p + seq.len;
    return ds_der_next(&p, e, oid) == DS_OK && oid->tag == DS_DER_OID &&
           ds_der_next(&p, e, val) == DS_OK && p == e;
}

static int octets(const ds_der_tlv *v, uint8_t *out, size_t n) {
    if (v->tag != DS_DER_OCTET_STRING || v->len != n) return 0;
    memcpy(out, v->p, n);
    return 1;
}

static int parse_tcb(ds_qverify_result *r, const ds_der_tlv *v) {
    unsigned seen = 0; /* bits 1..18 */
    if (v->tag != DS_DER_SEQUENCE) return 0;
    const uint8_t *p = v->p, *end = v->p + v->len;
    while (p < end) {
        ds_der_tlv oid, val;
        uint64_t u;
        if (!next_item(&p, end, &oid, &val)) return 0;
        for (int i = 1; i <= 18; i++) {
            if (!oid_is(&oid, 2, i)) continue;
            if (i <= 16) {
                if (val.tag != DS_DER_INTEGER || ds_der_get_uint(&val, &u) || u > 255) return 0;
                r->sgx_components[i - 1] = (uint8_t)u;
            } else if (i == 17) {
                if (val.tag != DS_DER_INTEGER || ds_der_get_uint(&val, &u) || u > 65535) return 0;
                r->pce_svn = (uint16_t)u;
            } else if (!octets(&val, r->cpu_svn, 16)) {
                return 0;
            }
            seen |= 1u << i;
        }
    }
    return seen == 0x7fffeu; /* all of 1..18 */
}

int qv_pck_extension(ds_qverify_result *r, X509 *leaf) {
    ASN1_OBJECT *obj = OBJ_txt2obj("1.2.840.113741.1.13.1", 1);
    int idx = obj ? X509_get_ext_by_OBJ(leaf, obj, -1) : -1;
    int dup = idx >= 0 ? X509_get_ext_by_OBJ(leaf, obj, idx) : -1;
    ASN1_OBJECT_free(obj);
    if (idx < 0 || dup >= 0) {
        qv_fail(r, "pck_extension", idx < 0 ? "SGX extension missing" : "SGX extension repeated");
        return 0;
    }
    ASN1_OCTET_STRING *os = X509_EXTENSION_get_data(X509_get_ext(leaf, idx));
    const uint8_t *data = ASN1_STRING_get0_data(os);
    ds_der_tlv top;
    unsigned seen = 0;
    int ok = ds_der_single(data, (size_t)ASN1_STRING_length(os), DS_DER_SEQUENCE, &top) == DS_OK;
    const uint8_t *p = top.p, *end = ok ? top.p + top.len : top.p;
    while (ok && p < end) {
        ds_der_tlv oid, val;
        if (!next_item(&p, end, &oid, &val)) ok = 0;
        else if (oid_is(&oid, 1, -1)) ok = octets(&val, r->ppid, 16), seen |= 1;
        else if (oid_is(&oid, 2, -1)) ok = parse_tcb(r, &val), seen |= 2;
        else if (oid_is(&oid, 3, -1)) ok = octets(&val, r->pce_id, 2), seen |= 4;
        else if (oid_is(&oid, 4, -1)) ok = octets(&val, r->fmspc, 6), seen |= 8;
    }
    if (!ok || seen != 15) {
        qv_fail(r, "pck_extension", "SGX extension malformed or missing PPID/TCB/PCE-ID/FMSPC");
        return 0;
    }
    r->have_pck = 1;
    return 1;
}

int qv_parse_date(const char *s, int64_t *out) {
    struct tm tm;
    int y, mo, d, h, mi, se, n = 0;
    memset(&tm, 0, sizeof tm);
    if (!s || sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &se, &n) != 6 || n != 19)
        return 0;
    const char *t = s + 19;
    if (*t == '.') {
        t++;
        while (*t >= '0' && *t <= '9') t++;
    }
    if (strcmp(t, "Z") != 0 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 60)
        return 0;
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = se;
    *out = (int64_t)timegm(&tm);
    return 1;
}

static const char *str_of(const cJSON *o, const char *k) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static int num_of(const cJSON *o, const char *k, double *out) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    if (!cJSON_IsNumber(v)) return 0;
    *out = v->valuedouble;
    return 1;
}

/* Common part of TCB info / QE identity: id, version, validity window. */
static cJSON *parse_signed_json(ds_qverify_result *r, const char *step, const char *json,
                                int64_t now, const char *want_id, int min_ver, int max_ver) {
    cJSON *o = json ? cJSON_Parse(json) : NULL;
    const char *id, *a, *z;
    double ver;
    int64_t ta, tz;
    if (!o || !cJSON_IsObject(o)) {
        qv_fail(r, step, "not a JSON object");
    } else if (!(id = str_of(o, "id")) || strcmp(id, want_id) != 0) {
        qv_fail(r, step, "id is not \"%s\"", want_id);
    } else if (!num_of(o, "version", &ver) || ver < min_ver || ver > max_ver) {
        qv_fail(r, step, "unsupported version");
    } else if (!(a = str_of(o, "issueDate")) || !qv_parse_date(a, &ta) ||
               !(z = str_of(o, "nextUpdate")) || !qv_parse_date(z, &tz)) {
        qv_fail(r, step, "issueDate/nextUpdate missing or malformed");
    } else if (!cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(o, "tcbLevels"))) {
        qv_fail(r, step, "tcbLevels missing");
    } else if (now < ta) {
        qv_fail(r, step, "issue date %s is in the future", a);
    } else if (now > tz) {
        qv_fail(r, step, "expired (nextUpdate %s)", z);
    } else {
        return o;
    }
    cJSON_Delete(o);
    return NULL;
}

cJSON *qv_tcb_info_parse(ds_qverify_result *r, const char *json, int64_t now) {
    return parse_signed_json(r, "tcb_info", json, now, "TDX", 3, 1000);
}

cJSON *qv_qe_identity_parse(ds_qverify_result *r, const char *json, int64_t now) {
    return parse_signed_json(r, "qe_identity", json, now, "TD_QE", 2, 3);
}

/* A hex string member of exactly n bytes. */
static int hex_of(const cJSON *o, const char *k, uint8_t *out, size_t n) {
    const char *s = str_of(o, k);
    return s && ds_hex_decode_exact(s, strlen(s), out, n) == DS_OK;
}

static void set_status(char dst[DS_QV_STATUS_MAX], const char *s) {
    snprintf(dst, DS_QV_STATUS_MAX, "%s", s ? s : "");
}

static void add_advisories(ds_qverify_result *r, const cJSON *level) {
    const cJSON *ids = cJSON_GetObjectItemCaseSensitive(level, "advisoryIDs"), *e;
    cJSON_ArrayForEach(e, ids) {
        if (cJSON_IsString(e)) qv_add_advisory(r, e->valuestring);
    }
}

int qv_qe_identity_policy(ds_qverify_result *r, const cJSON *qeid, const uint8_t *rep) {
    uint8_t mrsigner[32], misc[4], misc_mask[4], attr[16], attr_mask[16];
    double prod;
    int ok = 1;
    if (!hex_of(qeid, "mrsigner", mrsigner, 32) || !num_of(qeid, "isvprodid", &prod) ||
        !hex_of(qeid, "miscselect", misc, 4) || !hex_of(qeid, "miscselectMask", misc_mask, 4) ||
        !hex_of(qeid, "attributes", attr, 16) || !hex_of(qeid, "attributesMask", attr_mask, 16)) {
        qv_fail(r, "qe_identity_policy", "QE identity fields missing or malformed");
        return 0;
    }
    uint16_t isv_prod = (uint16_t)(rep[256] | rep[257] << 8);
    uint16_t isv_svn = (uint16_t)(rep[258] | rep[259] << 8);
    if (memcmp(rep + 128, mrsigner, 32) != 0)
        ok = 0, qv_fail(r, "qe_identity_policy", "QE MRSIGNER does not match the QE identity");
    if (prod != (double)isv_prod)
        ok = 0, qv_fail(r, "qe_identity_policy", "QE ISVPRODID %u does not match", isv_prod);
    if (rep[48] & 0x02) ok = 0, qv_fail(r, "qe_identity_policy", "QE is a debug enclave");
    for (int i = 0; i < 4; i++)
        if ((rep[16 + i] & misc_mask[i]) != (misc[i] & misc_mask[i])) {
            ok = 0;
            qv_fail(r, "qe_identity_policy", "QE MISCSELECT does not match under the mask");
            break;
        }
    for (int i = 0; i < 16; i++)
        if ((rep[48 + i] & attr_mask[i]) != (attr[i] & attr_mask[i])) {
            ok = 0;
            qv_fail(r, "qe_identity_policy", "QE ATTRIBUTES do not match under the mask");
            break;
        }
    const cJSON *levels = cJSON_GetObjectItemCaseSensitive(qeid, "tcbLevels"), *lv;
    cJSON_ArrayForEach(lv, levels) {
        double svn;
        if (!num_of(cJSON_GetObjectItemCaseSensitive(lv, "tcb"), "isvsvn", &svn)) continue;
        if ((double)isv_svn >= svn) {
            set_status(r->qe_status, str_of(lv, "tcbStatus"));
            add_advisories(r, lv);
            return ok;
        }
    }
    qv_fail(r, "qe_identity_policy", "QE ISVSVN %u is below every QE identity TCB level", isv_svn);
    return 0;
}

/* Components array (each {"svn": n}) ≤ actual[16]? -1 when the array is empty/absent. */
static int svns_le(const cJSON *arr, const uint8_t actual[16]) {
    int n = cJSON_GetArraySize(arr), i = 0;
    const cJSON *c;
    if (!cJSON_IsArray(arr) || n == 0) return -1;
    if (n != 16) return 0;
    cJSON_ArrayForEach(c, arr) {
        double svn;
        if (!num_of(c, "svn", &svn) || (double)actual[i] < svn) return 0;
        i++;
    }
    return 1;
}

int qv_tcb_match(ds_qverify_result *r, const cJSON *tcb, const ds_td_report *report) {
    uint8_t fmspc[6], pce_id[2];
    int ok = 1;
    if (!hex_of(tcb, "fmspc", fmspc, 6) || memcmp(fmspc, r->fmspc, 6) != 0)
        ok = 0, qv_fail(r, "fmspc", "PCK certificate FMSPC does not match the TCB info");
    if (!hex_of(tcb, "pceId", pce_id, 2) || memcmp(pce_id, r->pce_id, 2) != 0)
        ok = 0, qv_fail(r, "pce_id", "PCK certificate PCE-ID does not match the TCB info");
    const cJSON *mod = cJSON_GetObjectItemCaseSensitive(tcb, "tdxModule");
    if (mod) {
        uint8_t mrs[48], at[8], mask[8];
        if (!hex_of(mod, "mrsigner", mrs, 48) || !hex_of(mod, "attributes", at, 8) ||
            !hex_of(mod, "attributesMask", mask, 8)) {
            ok = 0, qv_fail(r, "tdx_module", "tdxModule fields malformed");
        } else {
            if (memcmp(mrs, report->mr_signer_seam, 48) != 0)
                ok = 0, qv_fail(r, "tdx_module", "mr_signer_seam does not match tdxModule");
            for (int i = 0; i < 8; i++)
                if ((report->seam_attributes[i] & mask[i]) != (at[i] & mask[i])) {
                    ok = 0, qv_fail(r, "tdx_module", "seam_attributes do not match tdxModule");
                    break;
                }
        }
    }
    const cJSON *levels = cJSON_GetObjectItemCaseSensitive(tcb, "tcbLevels"), *lv;
    cJSON_ArrayForEach(lv, levels) {
        const cJSON *t = cJSON_GetObjectItemCaseSensitive(lv, "tcb");
        double pcesvn;
        if (!num_of(t, "pcesvn", &pcesvn)) continue;
        if ((double)r->pce_svn < pcesvn) continue;
        int s = svns_le(cJSON_GetObjectItemCaseSensitive(t, "sgxtcbcomponents"), r->sgx_components);
        if (s < 0) {
            qv_fail(r, "tcb_level", "a TCB level has no sgxtcbcomponents");
            return 0;
        }
        if (!s) continue;
        s = svns_le(cJSON_GetObjectItemCaseSensitive(t, "tdxtcbcomponents"), report->tee_tcb_svn);
        if (s < 0) {
            qv_fail(r, "tcb_level", "a TCB level has no tdxtcbcomponents");
            return 0;
        }
        if (!s) continue;
        set_status(r->platform_status, str_of(lv, "tcbStatus"));
        add_advisories(r, lv);
        return ok;
    }
    qv_fail(r, "tcb_level", "no TCB level matches the platform");
    return 0;
}
