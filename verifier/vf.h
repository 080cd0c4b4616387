/* vf.h — dstack-verify: remote-attestation verification of a dstack CVM (or the
 * simulator) in six steps, after the seed verifier (spec/verifier.md):
 *
 *   1 compose-hash   sha256(Info tcb_info.app_compose) == the attested compose-hash event
 *   2 quote          the TDX quote verifies to a trusted root (ds_qverify), TCB status in
 *                    the accepted set
 *   3 report_data    a fresh random nonce (raw, or sha512("app-data:" ‖ nonce) for the
 *                    legacy Tappd TdxQuote) is the quote's report_data
 *   4 RTMR replay    the quote's event log replays to RTMR3 (and RTMR0-2 when every
 *                    digest is known); runtime digests are recomputed from the payloads
 *   5 image pinning  every service image of docker_compose_file is name@sha256:<64 hex>
 *   6 governance     DstackApp.allowedComposeHashes(hash) and isAppAllowed(bootInfo)
 *
 * and a `quote` mode for apps that attest their own payloads (seed 003's tracker): one
 * quote or a batch, an expected payload, a freshness window for timestamped payloads and
 * refusal of nonces already seen.
 *
 * Modules: vf_http (socket / http:// transport), vf_fetch (evidence and trust inputs),
 * vf_steps (steps 1-4), vf_images (step 5, libyaml), vf_chain (step 6), vf_payload
 * (payload checks, nonce sets), vf_report (text and JSON output), vf_quote (the quote
 * command), main.c (command line). Every step fills one vf_step; no step stops another.
 */
#ifndef VF_H
#define VF_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "ds_err.h"
#include "ds_eventlog.h"
#include "ds_json.h"
#include "ds_qverify.h"
#include "ds_quote.h"

#define VF_VERSION "0.1.0"

/* Exit statuses (docs/verifier.md). */
#define VF_EXIT_OK 0      /* every step held */
#define VF_EXIT_FAIL 1    /* a step failed */
#define VF_EXIT_USAGE 2   /* bad command line or input, or the evidence could not be fetched */
#define VF_EXIT_PARTIAL 3 /* steps 1-5 held, step 6 skipped because no --app was given */

/* ---- one check ------------------------------------------------------------------------- */

typedef enum { VF_PENDING = 0, VF_OK, VF_FAIL, VF_SKIP } vf_status;

typedef struct {
    int num;          /* 1..6, or 0 for a named check (quote mode) */
    const char *name; /* "compose-hash", "quote", ... */
    vf_status status;
    char detail[1024];  /* what follows "Step N: " */
    char expected[200]; /* compared values when a comparison failed ("" otherwise) */
    char got[200];
    char **items; /* a list (image offenders, verifier reasons), malloc'd */
    size_t n_items;
} vf_step;

void vf_step_init(vf_step *s, int num, const char *name);
void vf_step_free(vf_step *s);
void vf_step_ok(vf_step *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void vf_step_fail(vf_step *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void vf_step_skip(vf_step *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Records the compared values of a failed comparison (hex or text). */
void vf_step_cmp(vf_step *s, const char *expected, const char *got);
/* Appends one list item (copied). Returns 0 or -1 when out of memory. */
int vf_step_item(vf_step *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* ---- transport --------------------------------------------------------------------------- */

typedef struct {
    void *curl;         /* CURL * */
    char *socket_path;  /* NULL for an http:// endpoint */
    char base[512];     /* "http://localhost" or the URL without a trailing '/' */
    char endpoint[512]; /* as given, for messages */
    long timeout_ms;
    char err[512];
} vf_http;

/* endpoint: a Unix socket path or an http://host[:port] URL. Returns DS_OK, DS_ERR_ARG
 * (empty or unusable endpoint: message in h->err) or DS_ERR_NOMEM. */
ds_err vf_http_open(vf_http *h, const char *endpoint);
void vf_http_close(vf_http *h);
/* method "GET" or "POST" (body NULL: none). On DS_OK *status is the HTTP status and *resp
 * the body (malloc'd, NUL-terminated, *len bytes). DS_ERR_IO: transport failure (h->err). */
ds_err vf_http_request(vf_http *h, const char *method, const char *path, const char *body,
                       long *status, uint8_t **resp, size_t *len);
/* POSTs a JSON body and parses a JSON reply; an HTTP error or {"error":…} reply is
 * DS_ERR_VERIFY, an unparsable one DS_ERR_PARSE (message in h->err). */
ds_err vf_http_json(vf_http *h, const char *path, const char *body, cJSON **out);

/* ---- options and the state of one run ------------------------------------------------------ */

typedef struct {
    const char *endpoint; /* dstack endpoint (default $DSTACK_SIMULATOR_ENDPOINT) */
    const char *tappd;    /* tappd endpoint for --legacy-tdxquote */
    const char *rpc;      /* chain JSON-RPC URL */
    const char *app_text; /* --app as given */
    uint8_t app[20];
    int have_app;
    int no_chain;                /* --no-chain: skip step 6 on purpose */
    int strict_app_id;           /* step 6 fails when the attested app id is not --app */
    const char *root_file;       /* NULL: the endpoint's published root */
    const char *collateral_file; /* NULL: the endpoint's published collateral */
    unsigned accept_tcb;         /* bit (1 << ds_tcb_status) per accepted status */
    int legacy;                  /* step 3 via Tappd.TdxQuote */
    int json;
    int64_t now; /* Unix seconds used for collateral validity */
    long timeout_ms;
} vf_opts;

/* Trust inputs of step 2. */
typedef struct {
    uint8_t *root_der;
    size_t root_len;
    char root_label[600]; /* "the simulator's published root (…)" or "root FILE" */
    char root_sha256[65];
    int root_from_endpoint; /* 1: trusting the endpoint's own root */
    ds_collateral col;
    char col_label[600];
    ds_qverify_ctx *qctx; /* every quote verified under this trust goes through it */
} vf_trust;

typedef struct {
    vf_opts opt;
    vf_trust trust;
    uint8_t nonce[32];
    uint8_t expected_rd[64]; /* what step 3 wants in report_data */
    uint8_t *quote;          /* raw quote (NULL when the reply carried none) */
    size_t quote_len;
    char quote_err[256];  /* why there is no quote */
    char *event_log_json; /* the quote's event_log text (malloc'd) */
    cJSON *info;          /* Info reply */
    cJSON *tcb_info;      /* Info tcb_info, parsed */
    char info_err[256];
    vf_step step[6];
} vf_run;

/* Checks the accept mask against a status name. */
int vf_tcb_accepted(unsigned mask, const char *status);
/* Parses "UpToDate,SWHardeningNeeded,…" (Intel names or UPPER_SNAKE, "any" = every
 * status except Revoked). Returns DS_OK or DS_ERR_ARG with the bad name in err. */
ds_err vf_tcb_parse_list(const char *list, unsigned *mask, char *err, size_t errcap);
/* The accepted statuses as "UpToDate,OutOfDate" into out. */
void vf_tcb_list(unsigned mask, char *out, size_t cap);

/* ---- vf_fetch.c ----------------------------------------------------------------------------- */

/* Reads a whole file (at most 64 MiB; "-" = stdin). Returns DS_OK or DS_ERR_IO with a
 * message. *data is malloc'd and NUL-terminated. */
ds_err vf_read_file(const char *path, uint8_t **data, size_t *len, char *err, size_t errcap);
/* Loads the root and collateral (files, else GET /sim/pki/… on h). h may be NULL when
 * both files are given. Returns DS_OK or DS_ERR_IO/DS_ERR_PARSE with a one-line message. */
ds_err vf_trust_load(vf_trust *t, vf_http *h, const char *root_file, const char *col_file,
                     char *err, size_t errcap);
void vf_trust_free(vf_trust *t);
/* Fetches quote (+ event log) for a fresh nonce and Info. DS_OK, or an error with a
 * one-line message when the endpoint cannot be used at all. */
ds_err vf_fetch_evidence(vf_run *r, vf_http *dstack, vf_http *tappd, char *err, size_t errcap);
/* A quote in a reply: hex text (optional 0x) → malloc'd bytes. */
ds_err vf_quote_from_hex(const char *hex, uint8_t **q, size_t *len);

/* ---- vf_steps.c: steps 1-4 ------------------------------------------------------------------ */

void vf_step_compose(vf_run *r, vf_step *s);
/* Step 2 over any quote: qres is filled (free it). */
void vf_step_quote(const uint8_t *quote, size_t len, const vf_trust *t, unsigned accept,
                   int64_t now, vf_step *s, ds_qverify_result *qres);
/* report_data of quote vs want (64 bytes); what names the expectation in messages. */
void vf_step_report_data(const uint8_t *quote, size_t len, const uint8_t want[64], const char *what,
                         vf_step *s);
/* Replay of an event log (JSON text) against the quote's RTMRs. */
void vf_step_replay(const uint8_t *quote, size_t len, const char *event_log_json, vf_step *s);

/* ---- vf_images.c: step 5 -------------------------------------------------------------------- */

typedef struct {
    char *service;
    char *image; /* NULL when the service has none */
    int pinned;
    char why[96]; /* for offenders: "mutable tag", "no image:" … */
} vf_image;

typedef struct {
    vf_image *v;
    size_t n, cap;
    size_t n_pinned;
    char err[256]; /* parse error */
} vf_images;

void vf_images_init(vf_images *im);
void vf_images_free(vf_images *im);
/* Whether ref is pinned: [name[:tag]]@sha256:<64 lowercase hex>, no whitespace. If not,
 * why gets the reason. */
int vf_image_pinned(const char *ref, char *why, size_t whycap);
/* Scans a docker compose YAML text: every services.<name>.image (merge keys and anchors
 * resolved). Returns 0, or -1 with im->err (YAML error, no services mapping, duplicate
 * keys, not a mapping). */
int vf_images_scan(const char *yaml, size_t len, vf_images *im);
/* Step 5 over an app-compose JSON text. */
void vf_step_images(const char *app_compose, vf_step *s);

/* ---- vf_chain.c: step 6 --------------------------------------------------------------------- */

void vf_step_chain(vf_run *r, const ds_qverify_result *qres, vf_step *s);
/* mr_system and mr_aggregated of a TD report and its key-provider event (NULL: none), as
 * dstack-attest computes them (ds_bootinfo_mrs; the report's RTMR3). Cannot fail. */
void vf_report_mrs(const ds_td_report *t, const ds_event *kp, uint8_t mr_system[32],
                   uint8_t mr_aggregated[32]);

/* ---- vf_report.c ---------------------------------------------------------------------------- */

/* Prints "[OK] Step 1: …" lines (or "[OK] name: …" for num 0). */
void vf_print_step(const vf_step *s, const char *prefix);
/* Appends {"step","name","status","detail",["expected","got"],["items"]} to b. */
void vf_step_json(const vf_step *s, ds_buf *b);
/* Prints the whole run and returns the exit status. */
int vf_report_run(const vf_run *r, const ds_qverify_result *qres);
/* A one-line error (stderr; with json also {"ok":false,"error":…} on stdout). */
int vf_report_error(int json, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* ---- vf_quote.c: the quote command ---------------------------------------------------------- */

int vf_quote_main(int argc, char **argv);

#endif
