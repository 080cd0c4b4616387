/* sim_config.c — the command line, defaults, and the checks on the result.
 *
 * Order of precedence: built-in defaults < config file < command-line flags. The config
 * file is upstream's appkeys.json format plus our own fields (docs/simulator.md): an
 * upstream file works verbatim (compat "static" mode), ours adds a KMS root key.
 */
#include "sim_config.h"

#include <errno.h>
#include <getopt.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cjson/cJSON.h>

#include "ds_hex.h"
#include "sim_identity.h"
#include "sim_keymemo.h"
#include "sim_limits.h"

/* Used when neither the config nor --compose names an app-compose. */
static const char BUILTIN_COMPOSE[] =
    "{\"manifest_version\":2,\"name\":\"dstack-simulator-app\",\"runner\":\"docker-compose\","
    "\"docker_compose_file\":\"services: {}\\n\",\"kms_enabled\":true,\"gateway_enabled\":false,"
    "\"public_logs\":true,\"public_sysinfo\":true,\"public_tcbinfo\":true,"
    "\"key_provider\":\"kms\",\"key_provider_id\":\"\",\"allowed_envs\":[],"
    "\"no_instance_id\":false,\"secure_time\":false,\"storage_fs\":\"zfs\"}";

void sim_config_init(sim_config *c) {
    memset(c, 0, sizeof(*c));
    c->sock_mode = 0600;
    c->max_body = 10u * 1024 * 1024;
    c->max_conns = SIM_DEFAULT_MAX_CONNECTIONS;
    c->idle_timeout_sec = 60;
    c->key_cache = SIM_KEYMEMO_DEFAULT;
    c->request_timeout_sec = 30;
    c->drain_timeout_sec = 10;
    c->log_style = DS_EVENTLOG_FULL;
    c->tcb_status = DS_TCB_UP_TO_DATE;
    c->mismatch = DS_VARIANT_CANONICAL;
    c->kms_auth = SIM_KMS_AUTH_DEV;
    c->kms_auth_timeout_sec = 5;
    /* Default os_image_hash: the upstream v0.5.11 simulator's vm_config value. */
    ds_hex_decode_exact("64f0d1545cd510a8dfed7ad609d105b5d41f0cb2afcfdda8867ede00c88add7a", 64,
                        c->os_image_hash, 32);
}

void sim_config_free(sim_config *c) {
    free(c->config_path);
    free(c->config_dir);
    free(c->dstack_sock);
    free(c->tappd_sock);
    free(c->external_sock);
    free(c->listen_addr);
    free(c->ca_cert_pem);
    sim_wipe_free_str(c->ca_key_pem);
    free(c->journal_path);
    free(c->compose);
    free(c->compose_source);
    free(c->vm_config);
    free(c->cloud_vendor);
    free(c->cloud_product);
    free(c->version);
    free(c->write_pki_dir);
    free(c->kms_auth_url);
    free(c->rpc_url);
    sim_wipe(c->kms_root_key, sizeof c->kms_root_key);
    sim_wipe(c->k256_key, sizeof c->k256_key);
    sim_wipe(c->quote_seed, sizeof c->quote_seed);
    memset(c, 0, sizeof(*c));
}

const char *sim_agent_name(sim_agent_version v) {
    return v == SIM_AGENT_0_6_0 ? "0.6.0" : "0.5.11";
}

int sim_parse_quote_mode(const char *name, int *upstream) {
    if (!strcmp(name, "pki")) *upstream = 0;
    else if (!strcmp(name, "upstream")) *upstream = 1;
    else return -1;
    return 0;
}

int sim_parse_agent(const char *s, sim_agent_version *v) {
    if (!strcmp(s, "0.5.11")) *v = SIM_AGENT_0_5_11;
    else if (!strcmp(s, "0.6.0")) *v = SIM_AGENT_0_6_0;
    else return -1;
    return 0;
}

int sim_parse_emit(const char *s, int *refuse) {
    if (!strcmp(s, "extend")) *refuse = 0;
    else if (!strcmp(s, "refuse")) *refuse = 1;
    else return -1;
    return 0;
}

int sim_parse_kms_auth(const char *s, sim_config *c, char *err, size_t errcap) {
    if (!strcmp(s, "dev")) {
        c->kms_auth = SIM_KMS_AUTH_DEV;
        return 0;
    }
    if (!strncmp(s, "webhook:", 8)) {
        const char *url = s + 8;
        size_t n = strlen(url);
        if ((strncmp(url, "http://", 7) && strncmp(url, "https://", 8)) || n > 400 ||
            strcspn(url, " \t\r\n\"") != n || n <= 8) {
            snprintf(err, errcap,
                     "webhook:URL: expected an http:// or https:// URL of at most 400 "
                     "characters (got \"%.80s\")",
                     url);
            return -1;
        }
        sim_set_str(&c->kms_auth_url, url);
        c->kms_auth = SIM_KMS_AUTH_WEBHOOK;
        return 0;
    }
    if (!strncmp(s, "contract:", 9)) {
        const char *a = s + 9;
        if (!strncmp(a, "0x", 2) || !strncmp(a, "0X", 2)) a += 2;
        if (ds_hex_decode_exact(a, strlen(a), c->kms_contract, 20) != DS_OK) {
            snprintf(err, errcap,
                     "contract:ADDRESS: expected the DstackKms address, 20 bytes of "
                     "hex (got \"%.80s\")",
                     s + 9);
            return -1;
        }
        c->kms_auth = SIM_KMS_AUTH_CONTRACT;
        return 0;
    }
    snprintf(err, errcap, "expected dev, webhook:URL or contract:ADDRESS (got \"%.80s\")", s);
    return -1;
}

void sim_set_str(char **dst, const char *s) {
    char *p = strdup(s);
    if (!p) {
        fprintf(stderr, "dstack-simulator: out of memory\n");
        exit(2);
    }
    free(*dst);
    *dst = p;
}

static int parse_hex_arg(const char *flag, const char *v, uint8_t *out, size_t n) {
    if (ds_hex_decode_exact(v, strlen(v), out, n) != DS_OK) {
        fprintf(stderr, "dstack-simulator: %s: expected %zu bytes of hex (%zu hex digits)\n", flag,
                n, 2 * n);
        return -1;
    }
    return 0;
}

static int parse_int_arg(const char *flag, const char *v, long lo, long hi, int *out) {
    char *end;
    long n = strtol(v, &end, 10);
    if (*v == '\0' || *end || n < lo || n > hi) {
        fprintf(stderr, "dstack-simulator: %s: expected an integer from %ld to %ld\n", flag, lo, hi);
        return -1;
    }
    *out = (int)n;
    return 0;
}

/* Upstream's simulator binds ./external.sock beside ./dstack.sock: the default is that
 * file next to the dstack socket ("…/dstack.sock" → "…/external.sock"; any other name
 * "…/NAME.sock" → "…/NAME-external.sock", so two simulators in one folder never collide). */
static void default_external_sock(sim_config *c) {
    const char *d = c->dstack_sock;
    size_t n = strlen(d);
    const char *base = strrchr(d, '/');
    base = base ? base + 1 : d;
    char *p = malloc(n + sizeof "-external.sock");
    if (!p) return;
    if (!strcmp(base, "dstack.sock")) {
        sprintf(p, "%.*sexternal.sock", (int)(base - d), d);
    } else {
        size_t keep = n >= 5 && !strcmp(d + n - 5, ".sock") ? n - 5 : n;
        sprintf(p, "%.*s-external.sock", (int)keep, d);
    }
    c->external_sock = p;
}

int sim_config_from_args(sim_config *c, int argc, char **argv) {
    enum { O_CONFIG = 1000, O_DSOCK, O_TSOCK, O_LISTEN, O_MODE, O_COMPOSE, O_APPID, O_SEED,
           O_ROOT, O_MISMATCH, O_LOG, O_QUIET, O_HELP, O_VERSION, O_TCB, O_QMODE, O_WRITE_PKI, O_QSEED,
           O_WORKERS, O_NO_STATS, O_MAX_CONNS, O_IDLE_TO, O_REQ_TO, O_DRAIN_TO, O_ANY_ADDR,
           O_JOURNAL, O_JOURNAL_RECOVER, O_KEY_CACHE, O_XSOCK, O_AGENT, O_EMIT, O_KMS_AUTH, O_RPC,
           O_KMS_AUTH_TO };
    static const struct option opts[] = {
        {"config", required_argument, 0, O_CONFIG},
        {"dstack-sock", required_argument, 0, O_DSOCK},
        {"tappd-sock", required_argument, 0, O_TSOCK},
        {"external-sock", required_argument, 0, O_XSOCK},
        {"agent-version", required_argument, 0, O_AGENT},
        {"emit-event", required_argument, 0, O_EMIT},
        {"listen", required_argument, 0, O_LISTEN},
        {"socket-mode", required_argument, 0, O_MODE},
        {"compose", required_argument, 0, O_COMPOSE},
        {"app-id", required_argument, 0, O_APPID},
        {"instance-seed", required_argument, 0, O_SEED},
        {"kms-root-key", required_argument, 0, O_ROOT},
        {"mismatch", required_argument, 0, O_MISMATCH},
        {"event-log", required_argument, 0, O_LOG},
        {"tcb-status", required_argument, 0, O_TCB},
        {"quote-mode", required_argument, 0, O_QMODE},
        {"write-pki", required_argument, 0, O_WRITE_PKI},
        {"quote-key-seed", required_argument, 0, O_QSEED},
        {"quiet", no_argument, 0, O_QUIET},
        {"workers", required_argument, 0, O_WORKERS},
        {"no-stats", no_argument, 0, O_NO_STATS},
        {"max-connections", required_argument, 0, O_MAX_CONNS},
        {"idle-timeout", required_argument, 0, O_IDLE_TO},
        {"request-timeout", required_argument, 0, O_REQ_TO},
        {"drain-timeout", required_argument, 0, O_DRAIN_TO},
        {"allow-non-loopback", no_argument, 0, O_ANY_ADDR},
        {"journal", required_argument, 0, O_JOURNAL},
        {"journal-recover", no_argument, 0, O_JOURNAL_RECOVER},
        {"key-cache", required_argument, 0, O_KEY_CACHE},
        {"kms-auth", required_argument, 0, O_KMS_AUTH},
        {"rpc", required_argument, 0, O_RPC},
        {"kms-auth-timeout", required_argument, 0, O_KMS_AUTH_TO},
        {"help", no_argument, 0, O_HELP},
        {"version", no_argument, 0, O_VERSION},
        {0, 0, 0, 0}};
    /* Pass 1: find --config (flags must override the file, so read it first). */
    const char *config = NULL;
    optind = 1;
    opterr = 0;
    int o;
    while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (o == O_CONFIG) {
            config = optarg;
        } else if (o == O_HELP) {
            sim_config_usage(stdout);
            return 1;
        } else if (o == O_VERSION) {
            printf("dstack-simulator %s (dstack guest agent API %s)\n", SIM_VERSION,
                   SIM_API_VERSION);
            return 1;
        } else if (o == '?') {
            fprintf(stderr, "dstack-simulator: unknown or incomplete option: %s\n",
                    argv[optind - 1]);
            sim_config_usage(stderr);
            return -1;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "dstack-simulator: unexpected argument: %s\n", argv[optind]);
        return -1;
    }
    /* Where the identity comes from: --config, ./appkeys.json, the installed copy, else the
     * copy built into the binary (sim_identity.h). */
    char default_config[4200];
    if (!config) config = sim_identity_default_config(default_config, sizeof default_config);
    char err[512];
    if (config ? sim_config_load_file(c, config, err, sizeof err)
               : sim_identity_load_builtin(c, err, sizeof err)) {
        fprintf(stderr, "dstack-simulator: %s\n", err);
        return -1;
    }
    /* Pass 2: every other flag. */
    optind = 1;
    while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (o) {
        case O_DSOCK: sim_set_str(&c->dstack_sock, optarg); break;
        case O_TSOCK: sim_set_str(&c->tappd_sock, optarg); break;
        case O_XSOCK: sim_set_str(&c->external_sock, optarg); break;
        case O_AGENT:
            if (sim_parse_agent(optarg, &c->agent)) {
                fprintf(stderr, "dstack-simulator: --agent-version: expected 0.5.11 or 0.6.0\n");
                return -1;
            }
            break;
        case O_EMIT:
            if (sim_parse_emit(optarg, &c->emit_refuse)) {
                fprintf(stderr, "dstack-simulator: --emit-event: expected extend or refuse\n");
                return -1;
            }
            break;
        case O_LISTEN: sim_set_str(&c->listen_addr, optarg); break;
        case O_MODE: {
            char *end;
            long m = strtol(optarg, &end, 8);
            if (*optarg == '\0' || *end || m < 0 || m > 0777) {
                fprintf(stderr, "dstack-simulator: --socket-mode: expected octal such as 0600\n");
                return -1;
            }
            c->sock_mode = (mode_t)m;
            break;
        }
        case O_COMPOSE:
            if (sim_config_load_compose(c, optarg, err, sizeof err) != 0) {
                fprintf(stderr, "dstack-simulator: %s\n", err);
                return -1;
            }
            break;
        case O_APPID:
            if (parse_hex_arg("--app-id", optarg, c->app_id, 20)) return -1;
            c->have_app_id = 1;
            break;
        case O_SEED:
            if (parse_hex_arg("--instance-seed", optarg, c->instance_seed, 20)) return -1;
            break;
        case O_ROOT:
            if (parse_hex_arg("--kms-root-key", optarg, c->kms_root_key, 32)) return -1;
            c->have_root = 1;
            break;
        case O_MISMATCH:
            if (ds_variant_parse(optarg, &c->mismatch) != DS_OK) {
                fprintf(stderr, "dstack-simulator: --mismatch: unknown variant \"%s\" (one of: "
                                "eip191 v27 appid32 uncompressed wrong-root legacy-v055 none)\n",
                        optarg);
                return -1;
            }
            break;
        case O_LOG:
            if (!strcmp(optarg, "full")) c->log_style = DS_EVENTLOG_FULL;
            else if (!strcmp(optarg, "stripped")) c->log_style = DS_EVENTLOG_STRIPPED;
            else {
                fprintf(stderr, "dstack-simulator: --event-log: expected full or stripped\n");
                return -1;
            }
            break;
        case O_TCB:
            if (ds_tcb_status_parse(optarg, &c->tcb_status) != DS_OK) {
                fprintf(stderr, "dstack-simulator: --tcb-status: unknown status \"%s\" (one of: "
                                "UpToDate SWHardeningNeeded ConfigurationNeeded "
                                "ConfigurationAndSWHardeningNeeded OutOfDate "
                                "OutOfDateConfigurationNeeded Revoked)\n", optarg);
                return -1;
            }
            break;
        case O_QMODE:
            if (sim_parse_quote_mode(optarg, &c->quote_upstream)) {
                fprintf(stderr, "dstack-simulator: --quote-mode: expected pki or upstream\n");
                return -1;
            }
            break;
        case O_WRITE_PKI: sim_set_str(&c->write_pki_dir, optarg); break;
        case O_QSEED:
            if (parse_hex_arg("--quote-key-seed", optarg, c->quote_seed, 32)) return -1;
            break;
        case O_QUIET: c->quiet = 1; break;
        case O_NO_STATS: c->no_stats = 1; break;
        case O_MAX_CONNS:
            if (parse_int_arg("--max-connections", optarg, 1, 1000000, &c->max_conns)) return -1;
            break;
        case O_IDLE_TO:
            if (parse_int_arg("--idle-timeout", optarg, 1, 86400, &c->idle_timeout_sec)) return -1;
            break;
        case O_REQ_TO:
            if (parse_int_arg("--request-timeout", optarg, 1, 86400, &c->request_timeout_sec))
                return -1;
            break;
        case O_DRAIN_TO:
            if (parse_int_arg("--drain-timeout", optarg, 0, 3600, &c->drain_timeout_sec)) return -1;
            break;
        case O_ANY_ADDR: c->allow_non_loopback = 1; break;
        case O_JOURNAL: sim_set_str(&c->journal_path, optarg); break;
        case O_JOURNAL_RECOVER: c->journal_recover = 1; break;
        case O_KEY_CACHE:
            if (parse_int_arg("--key-cache", optarg, 0, SIM_KEYMEMO_MAX, &c->key_cache)) return -1;
            break;
        case O_KMS_AUTH:
            if (sim_parse_kms_auth(optarg, c, err, sizeof err)) {
                fprintf(stderr, "dstack-simulator: --kms-auth: %s\n", err);
                return -1;
            }
            break;
        case O_RPC: sim_set_str(&c->rpc_url, optarg); break;
        case O_KMS_AUTH_TO:
            if (parse_int_arg("--kms-auth-timeout", optarg, 1, 300, &c->kms_auth_timeout_sec))
                return -1;
            break;
        case O_WORKERS: {
            char *end;
            long w = strtol(optarg, &end, 10);
            if (*optarg == '\0' || *end || w < 1 || w > 64) {
                fprintf(stderr, "dstack-simulator: --workers: expected 1 … 64\n");
                return -1;
            }
            c->workers = (int)w;
            break;
        }
        default: break;
        }
    }
    if (!c->dstack_sock) sim_set_str(&c->dstack_sock, "dstack.sock");
    if (!c->tappd_sock) sim_set_str(&c->tappd_sock, "tappd.sock");
    if (!c->agent) c->agent = SIM_AGENT_0_5_11;
    if (!c->version) sim_set_str(&c->version, sim_agent_name(c->agent));
    if (!c->external_sock) default_external_sock(c);
    if (c->emit_refuse && c->agent != SIM_AGENT_0_5_11) {
        fprintf(stderr, "dstack-simulator: --emit-event refuse is a 0.5.11 policy: at 0.6.0 "
                        "EmitEvent is always refused (0.6's own 400)\n");
        return -1;
    }
    if (c->kms_auth == SIM_KMS_AUTH_CONTRACT &&
        (!c->rpc_url || strncmp(c->rpc_url, "http://", 7) || strlen(c->rpc_url) > 250)) {
        fprintf(stderr,
                "dstack-simulator: --kms-auth contract: needs --rpc http://HOST:PORT, the "
                "chain that holds the DstackKms (e.g. a local Anvil or a fork of it)%s\n",
                c->rpc_url ? "" : "; no --rpc given");
        return -1;
    }
    if (!c->cloud_vendor) sim_set_str(&c->cloud_vendor, "");
    if (!c->cloud_product) sim_set_str(&c->cloud_product, "");
    if (!c->compose) {
        sim_set_str(&c->compose, BUILTIN_COMPOSE);
        c->compose_len = strlen(BUILTIN_COMPOSE);
        sim_set_str(&c->compose_source, "built-in default");
    }
    if (!c->have_root && !c->have_k256) {
        fprintf(stderr,
                "dstack-simulator: no keys: %s needs \"kms_root_key\" (or upstream's \"k256_key\" "
                "+ \"k256_signature\"); try --config appkeys.json from the repository\n",
                c->config_path);
        return -1;
    }
    if (!c->have_root && c->have_k256 && !c->have_k256_sig) {
        fprintf(stderr, "dstack-simulator: k256_key without k256_signature and no kms_root_key\n");
        return -1;
    }
    if (!c->have_root && ds_variant_needs_root(c->mismatch)) {
        fprintf(stderr, "dstack-simulator: --mismatch %s needs a kms_root_key (this config has "
                        "only a static k256_signature)\n", ds_variant_name(c->mismatch));
        return -1;
    }
    return 0;
}
