/* sim_config.h — the simulator's configuration: command-line flags over a JSON config
 * file (appkeys.json, a superset of upstream's format). Field reference: docs/simulator.md.
 */
#ifndef SIM_CONFIG_H
#define SIM_CONFIG_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "ds_eventlog.h"
#include "ds_pki.h"
#include "ds_variant.h"

#define SIM_API_VERSION "0.5.11" /* the default --agent-version: the last dstack release */

/* The guest agent a simulator plays (--agent-version). Bits, so a route can name the set of
 * versions that serve it (sim_router.c). */
typedef enum {
    SIM_AGENT_0_5_11 = 1,    /* the released agent: one unversioned API at / */
    SIM_AGENT_0_6_0 = 2,     /* 0.6.0: that API frozen at / and /v0, plus /v1 */
} sim_agent_version;
#define SIM_AGENT_ALL (SIM_AGENT_0_5_11 | SIM_AGENT_0_6_0)

/* "0.5.11" / "0.6.0". */
const char *sim_agent_name(sim_agent_version v);
#define SIM_VERSION "0.1.0"

typedef struct {
    /* Serving */
    char *config_path;       /* --config (default ./appkeys.json, else the installed copy,
                                else "built-in": sim_identity.h) */
    char *config_dir;        /* directory of config_path, for relative paths in it */
    int config_public;       /* it holds only the public test keys (sim_identity.h) */
    int config_builtin;      /* config_path is the built-in identity, not a file */
    char *dstack_sock;       /* --dstack-sock (default ./dstack.sock) */
    char *tappd_sock;        /* --tappd-sock (default ./tappd.sock; "" disables) */
    char *external_sock;     /* --external-sock (the Worker API; default external.sock beside
                                the dstack socket; "" disables) */
    sim_agent_version agent; /* --agent-version / "agent_version" (0.5.11) */
    int emit_refuse;         /* --emit-event refuse / "emit_event": EmitEvent answers 400 as
                                the upstream 0.5.9–0.5.11 simulator does (0.5.11 only) */
    char *listen_addr;       /* --listen 127.0.0.1:PORT (loopback only), or NULL */
    mode_t sock_mode;        /* --socket-mode (default 0600) */
    size_t max_body;         /* request body cap (10 MiB) */
    int quiet;               /* --quiet: no banner */
    int workers;             /* --workers N (0: one per CPU) */
    int no_stats;            /* --no-stats: no request summary on shutdown */
    int key_cache;           /* --key-cache N: GetKey memo entries per worker (0: off) */
    /* Robustness and least privilege (sim_limits.h, sim_journal.h; docs/reliability.md) */
    int max_conns;           /* --max-connections N: served at once, then JSON 503 (1024) */
    int idle_timeout_sec;    /* --idle-timeout SEC: idle connections close (60) */
    int request_timeout_sec; /* --request-timeout SEC: first to last byte of a request (30) */
    int drain_timeout_sec;   /* --drain-timeout SEC: SIGTERM waits this long for in-flight
                                requests (10) */
    int allow_non_loopback;  /* --allow-non-loopback: --listen may bind any address */
    char *journal_path;      /* --journal FILE: runtime events survive restarts */
    int journal_recover;     /* --journal-recover: keep a damaged journal's intact prefix */

    /* Keys */
    int have_root;
    uint8_t kms_root_key[32];    /* "kms_root_key": default ("root") mode */
    int have_k256;
    uint8_t k256_key[32];        /* "k256_key": compat ("static") mode app key */
    int have_k256_sig;
    uint8_t k256_signature[65];  /* "k256_signature": static KMS link */
    char *ca_cert_pem;           /* "ca_cert" */
    char *ca_key_pem;            /* "key_provider": {"None": {"key": PEM}} */
    ds_variant mismatch;         /* "mismatch" / --mismatch */

    /* Identity */
    int have_app_id;
    uint8_t app_id[20];          /* "app_id" / --app-id */
    uint8_t instance_seed[20];   /* "instance_seed" / --instance-seed (default zeros) */
    char *compose;               /* app-compose.json bytes */
    size_t compose_len;
    char *compose_source;        /* path it came from, or "inline" / "built-in" */

    /* Measurements and reporting */
    uint8_t os_image_hash[32];   /* "os_image_hash" */
    int have_mrtd;
    uint8_t mrtd[48];            /* "mrtd" (default derived from os_image_hash) */
    char *vm_config;             /* "vm_config" (JSON text) */
    uint8_t quote_seed[32];      /* "quote_key_seed": seed of the simulated Intel PKI */
    ds_tcb_status tcb_status;    /* "tcb_status" / --tcb-status (UpToDate) */
    int quote_upstream;          /* "quote_mode": "upstream" / --quote-mode upstream */
    char *write_pki_dir;         /* --write-pki DIR: write root CA + collateral, exit */
    ds_eventlog_style log_style; /* "event_log_format" / --event-log: full|stripped */
    char *cloud_vendor, *cloud_product;
    char *version;               /* "version" reported by /Version (default: the agent's) */

    /* KMS boot authorization (sim_kmsauth.h; docs/simulator.md, "Governance") */
    int kms_auth;                /* sim_kms_auth_mode: --kms-auth / "kms_auth" (dev) */
    char *kms_auth_url;          /* webhook: the auth api's base URL */
    uint8_t kms_contract[20];    /* contract: the DstackKms address */
    char *rpc_url;               /* --rpc / "rpc_url": the chain for contract mode */
    int kms_auth_timeout_sec;    /* --kms-auth-timeout / "kms_auth_timeout" (5) */
} sim_config;

/* --kms-auth modes. */
typedef enum {
    SIM_KMS_AUTH_DEV = 0,  /* allow every boot (the default) */
    SIM_KMS_AUTH_WEBHOOK,  /* POST <url>/bootAuth/app, the KMS's auth-api protocol */
    SIM_KMS_AUTH_CONTRACT, /* eth_call DstackKms.isAppAllowed on --rpc */
} sim_kms_auth_mode;

void sim_config_init(sim_config *c);
/* Prints --help to f. */
void sim_config_usage(FILE *f);
void sim_config_free(sim_config *c);

/* Parses argv into c: reads the config file (the --config one, or the default that
 * sim_identity_default_config finds) and then applies the flags over it. Returns 0 on
 * success, 1 when the program should exit successfully (--help, --version), -1 on error
 * (message already printed to stderr). */
int sim_config_from_args(sim_config *c, int argc, char **argv);

/* Loads a JSON config file into c (fields not in the file keep their values).
 * Returns 0, or -1 with a message in err. */
int sim_config_load_file(sim_config *c, const char *path, char *err, size_t errcap);

/* Loads config JSON text (len bytes) into c as sim_config_load_file does; name is the file it
 * came from (relative paths in it resolve against its directory), or, when builtin is 1,
 * the name of the built-in identity (sim_identity.h), whose relative paths name built-in
 * files. Returns 0, or -1 with a message in err. */
int sim_config_load_text(sim_config *c, const char *text, size_t len, const char *name,
                         int builtin, char *err, size_t errcap);

/* Reads an app-compose file (--compose, or the config's "app_compose" path) into c->compose,
 * verbatim. Returns 0, or -1 with a message in err. */
int sim_config_load_compose(sim_config *c, const char *path, char *err, size_t errcap);

/* Reads a whole file (at most max bytes) into a malloc'd NUL-terminated buffer.
 * Returns 0 or -1 (errno set). */
int sim_read_file(const char *path, size_t max, char **out, size_t *out_len);

/* Shared by the flag parser (sim_config.c) and the file loader (sim_config_file.c).
 * The sim_parse_* return 0, or -1 for an unknown name (the output is left unchanged):
 * quote mode "pki" (0) or "upstream" (1); agent "0.5.11" or "0.6.0"; EmitEvent policy
 * "extend" (0) or "refuse" (1). */
int sim_parse_quote_mode(const char *name, int *upstream);
int sim_parse_agent(const char *s, sim_agent_version *v);
int sim_parse_emit(const char *s, int *refuse);
/* --kms-auth / "kms_auth": "dev", "webhook:URL" (http:// or https://) or
 * "contract:ADDRESS" (20 bytes of hex, 0x optional) into c->kms_auth, c->kms_auth_url,
 * c->kms_contract. Returns 0, or -1 with a message in err (c unchanged). */
int sim_parse_kms_auth(const char *s, sim_config *c, char *err, size_t errcap);

/* Replaces *dst with a copy of s (the old value is freed); exits with a message when out
 * of memory. */
void sim_set_str(char **dst, const char *s);

#endif
