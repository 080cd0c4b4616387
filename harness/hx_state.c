/* hx_state.c — reading and writing the deployment file (see hx_state.h). The file is
 * JSON meant to be read by people and CI too; hex fields are 0x-prefixed, addresses
 * EIP-55.
 */
#include "hx_state.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "ds_hex.h"
#include "hx_out.h"
#include "hx_proc.h"

void hx_state_default_path(char *out, size_t cap) {
    char root[PATH_MAX];
    const char *env = getenv("DSTACK_HARNESS_STATE");
    if (env != NULL && *env)
        hx_setf(out, cap, "%s", env);
    else if (hx_repo_root(root, sizeof root) == 0)
        hx_setf(out, cap, "%s/build/harness/deployment.json", root);
    else
        hx_setf(out, cap, "build/harness/deployment.json");
}

static void put_hex(cJSON *o, const char *k, const uint8_t *p, size_t n) {
    char buf[2 * 64 + 3];
    buf[0] = '0';
    buf[1] = 'x';
    ds_hex_encode(p, n, buf + 2);
    cJSON_AddStringToObject(o, k, buf);
}

static void put_addr(cJSON *o, const char *k, const uint8_t a[20]) {
    char buf[43];
    cJSON_AddStringToObject(o, k, hx_addr(a, buf));
}

static int mkdirs(const char *dir) {
    char tmp[PATH_MAX];
    HX_SET(tmp, "%s", dir);
    for (char *p = tmp + 1; *p; p++) {
        if (*p != '/') continue;
        *p = '\0';
        if (mkdir(tmp, 0755) != 0 && errno != EEXIST) return -1;
        *p = '/';
    }
    return (mkdir(tmp, 0755) == 0 || errno == EEXIST) ? 0 : -1;
}

int hx_state_save(const hx_state *s, char *err, size_t errcap) {
    char dir[PATH_MAX], tmp[PATH_MAX + 8];
    HX_SET(dir, "%s", s->path);
    char *slash = strrchr(dir, '/');
    if (slash != NULL) {
        *slash = '\0';
        if (dir[0] && mkdirs(dir) != 0) {
            hx_setf(err, errcap, "cannot create %s: %s", dir, strerror(errno));
            return -1;
        }
    }
    cJSON *o = cJSON_CreateObject(), *a, *p, *c, *t;
    cJSON_AddNumberToObject(o, "version", 1);
    cJSON_AddStringToObject(o, "rpc_url", s->rpc_url);
    cJSON_AddNumberToObject(o, "chain_id", (double)s->chain_id);
    cJSON_AddItemToObject(o, "anvil", a = cJSON_CreateObject());
    cJSON_AddNumberToObject(a, "pid", s->anvil_pid);
    cJSON_AddNumberToObject(a, "port", s->anvil_port);
    cJSON_AddStringToObject(a, "log", s->anvil_log);
    cJSON_AddItemToObject(o, "simulator", p = cJSON_CreateObject());
    cJSON_AddNumberToObject(p, "pid", s->sim_pid);
    cJSON_AddStringToObject(p, "socket", s->sim_sock);
    cJSON_AddStringToObject(p, "log", s->sim_log);
    cJSON_AddStringToObject(p, "config", s->sim_config);
    cJSON_AddStringToObject(p, "compose", s->sim_compose);
    cJSON_AddStringToObject(p, "kms_auth", s->sim_kms_auth);
    cJSON_AddBoolToObject(p, "app_id_flag", s->sim_app_id);
    if (s->fork_url[0]) {
        cJSON *fk;
        cJSON_AddItemToObject(o, "fork", fk = cJSON_CreateObject());
        cJSON_AddStringToObject(fk, "url", s->fork_url);
        if (s->fork_block >= 0)
            cJSON_AddNumberToObject(fk, "block", (double)s->fork_block);
        else
            cJSON_AddNullToObject(fk, "block"); /* the latest block */
    }
    cJSON_AddItemToObject(o, "kms_root", p = cJSON_CreateObject());
    put_addr(p, "address", s->kms_root);
    put_hex(p, "pubkey", s->kms_root_pub, 33);
    put_hex(o, "app_id", s->app_id, 20);
    put_hex(o, "compose_hash", s->compose_hash, 32);
    put_addr(o, "owner", s->owner);
    cJSON_AddItemToObject(o, "contracts", c = cJSON_CreateObject());
    put_addr(c, "DstackMembershipNFT", s->nft);
    put_addr(c, "DstackKms", s->kms);
    put_addr(c, "DstackApp", s->app);
    put_addr(c, "DstackKmsImplementation", s->kms_impl);
    put_addr(c, "DstackAppImplementation", s->app_impl);
    cJSON_AddNumberToObject(o, "deploy_block", (double)s->deploy_block);
    cJSON_AddItemToObject(o, "tokens", t = cJSON_CreateArray());
    for (int i = 0; i < s->ntokens; i++) {
        cJSON *e = cJSON_CreateObject();
        cJSON_AddNumberToObject(e, "id", (double)s->tokens[i].id);
        put_addr(e, "owner", s->tokens[i].owner);
        cJSON_AddItemToArray(t, e);
    }
    char *text = cJSON_Print(o);
    cJSON_Delete(o);
    if (text == NULL) {
        hx_setf(err, errcap, "out of memory");
        return -1;
    }
    HX_SET(tmp, "%s.tmp", s->path);
    FILE *f = fopen(tmp, "w");
    int ok = f != NULL && fputs(text, f) >= 0 && fputc('\n', f) != EOF;
    if (f != NULL && fclose(f) != 0) ok = 0;
    free(text);
    if (!ok || rename(tmp, s->path) != 0) {
        hx_setf(err, errcap, "cannot write %s: %s", s->path, strerror(errno));
        unlink(tmp);
        return -1;
    }
    return 0;
}

static int get_hex(const cJSON *o, const char *k, uint8_t *out, size_t n) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsString(v) && ds_hex_decode_exact(v->valuestring, strlen(v->valuestring), out, n) == DS_OK
               ? 0 : -1;
}

static void get_str(const cJSON *o, const char *k, char *out, size_t cap) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    hx_setf(out, cap, "%s", cJSON_IsString(v) ? v->valuestring : "");
}

static double get_num(const cJSON *o, const char *k) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsNumber(v) ? v->valuedouble : 0;
}

int hx_state_load(const char *path, hx_state *s, char *err, size_t errcap) {
    memset(s, 0, sizeof *s);
    HX_SET(s->path, "%s", path);
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        if (errno == ENOENT) {
            hx_setf(err, errcap, "no deployment at %s: run `dstack-harness up` first", path);
            return 1;
        }
        hx_setf(err, errcap, "cannot read %s: %s", path, strerror(errno));
        return -1;
    }
    char buf[65536];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    cJSON *o = cJSON_Parse(buf);
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(o, "anvil");
    const cJSON *p = cJSON_GetObjectItemCaseSensitive(o, "simulator");
    const cJSON *k = cJSON_GetObjectItemCaseSensitive(o, "kms_root");
    const cJSON *c = cJSON_GetObjectItemCaseSensitive(o, "contracts");
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(o, "tokens"), *e;
    if (!cJSON_IsObject(o) || get_num(o, "version") != 1 || !cJSON_IsObject(a) ||
        !cJSON_IsObject(p) || get_hex(k, "address", s->kms_root, 20) ||
        get_hex(k, "pubkey", s->kms_root_pub, 33) || get_hex(o, "app_id", s->app_id, 20) ||
        get_hex(o, "compose_hash", s->compose_hash, 32) || get_hex(o, "owner", s->owner, 20) ||
        get_hex(c, "DstackMembershipNFT", s->nft, 20) || get_hex(c, "DstackKms", s->kms, 20) ||
        get_hex(c, "DstackApp", s->app, 20) || !cJSON_IsArray(t)) {
        hx_setf(err, errcap, "%s is not a dstack-harness deployment file (delete it, then run `dstack-harness up`)",
                 path);
        cJSON_Delete(o);
        return -1;
    }
    get_str(o, "rpc_url", s->rpc_url, sizeof s->rpc_url);
    s->chain_id = (uint64_t)get_num(o, "chain_id");
    s->anvil_pid = (pid_t)get_num(a, "pid");
    s->anvil_port = (int)get_num(a, "port");
    get_str(a, "log", s->anvil_log, sizeof s->anvil_log);
    s->sim_pid = (pid_t)get_num(p, "pid");
    get_str(p, "socket", s->sim_sock, sizeof s->sim_sock);
    get_str(p, "log", s->sim_log, sizeof s->sim_log);
    get_str(p, "config", s->sim_config, sizeof s->sim_config);
    get_str(p, "compose", s->sim_compose, sizeof s->sim_compose);
    get_str(p, "kms_auth", s->sim_kms_auth, sizeof s->sim_kms_auth);
    s->sim_app_id = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(p, "app_id_flag"));
    const cJSON *fk = cJSON_GetObjectItemCaseSensitive(o, "fork");
    get_str(fk, "url", s->fork_url, sizeof s->fork_url);
    const cJSON *fb = cJSON_GetObjectItemCaseSensitive(fk, "block");
    s->fork_block = cJSON_IsNumber(fb) ? (int64_t)fb->valuedouble : -1;
    get_hex(c, "DstackKmsImplementation", s->kms_impl, 20);
    get_hex(c, "DstackAppImplementation", s->app_impl, 20);
    s->deploy_block = (uint64_t)get_num(o, "deploy_block");
    cJSON_ArrayForEach(e, t) {
        if (s->ntokens >= HX_MAX_TOKENS) break;
        s->tokens[s->ntokens].id = (uint64_t)get_num(e, "id");
        if (get_hex(e, "owner", s->tokens[s->ntokens].owner, 20) == 0) s->ntokens++;
    }
    cJSON_Delete(o);
    return 0;
}
