/* hx_search.h — finding the chain format a deployed contract actually implements: dstack's
 * canonical chains first, then every single variant of the catalogue, then (when neither
 * passes) combinations across the axes, deepening 2, 3, … changes until something passes,
 * max_changes is reached or the time budget runs out; then soundness probes in the format
 * the contract accepts; then a verdict in words that says how deep the search went.
 */
#ifndef HX_SEARCH_H
#define HX_SEARCH_H

#include <stddef.h>
#include <stdint.h>

#include "hx_target.h"
#include "hx_variant.h"

#define HX_MAX_DEVS 6  /* deviations in one format, at most */
#define HX_MAX_SETS 16 /* accepted sets remembered */
#define HX_MAX_UNSOUND 8

typedef enum { HX_ROW_CANONICAL, HX_ROW_SINGLE, HX_ROW_COMBO, HX_ROW_PROBE } hx_row_kind;

typedef struct {
    int version;
    int n;
    const hx_variant *dev[HX_MAX_DEVS];
} hx_set;

typedef struct {
    hx_row_kind kind;
    hx_set set;       /* the format tried (probes: the format they ran in) */
    int detail_shape; /* the encoding the detail comes from */
    int version;      /* the claim version the row's table is for */
    char name[160];   /* "canonical", "eip191-app", "v1:v27", "appid32-right+claim-0x+v27",
                         "other-root" */
    char axis[24];
    char what[200];
    int expect; /* 1: should be accepted (dstack's own format) */
    int accepted;
    char detail[600]; /* the contract's answer, for the first (or the accepting) encoding */
    char shape[160];  /* the argument encoding that was accepted */
} hx_row;

typedef struct {
    hx_target *t;
    uint8_t root_key[32], root_addr[20], app_id[20];
    hx_strings s;
    int max_changes;    /* deepest combination to search (1 … HX_MAX_DEVS) */
    double time_budget; /* seconds for the whole search (> 0); checked between batches */
    int pref_shape;     /* the encoding tried first and reported for rejections */
    /* results */
    hx_row *rows;
    int nrows, cap;
    int canonical[2];         /* per version: -1 not spoken, 0 rejected, 1 accepted */
    hx_set sets[HX_MAX_SETS]; /* accepted formats (canonical as an empty set) */
    int nsets;
    int searched_to[2];    /* deepest combination size searched in full, per version (0: none) */
    int budget_out[2];     /* per version: the size being searched when the budget ran out (0: it
                              did not) */
    long deadline_ms;      /* hx_now_ms() at which the budget runs out (set by hx_search_run) */
    unsigned long formats; /* chains tried */
    const char *unsound[HX_MAX_UNSOUND];
    int nunsound;
    char verdict[4096];
} hx_search;

/* Name of a set: "canonical"/"v1-canonical" when empty, else its deviations joined by "+"
 * (generic deviations of the v1 table prefixed "v1:"). */
const char *hx_set_name(const hx_set *s, char *out, size_t cap);
/* The name of one deviation in a version's table. */
const char *hx_dev_name(const hx_variant *v, int version, char *out, size_t cap);

/* What a verifier that expects deviation v does, against what dstack does: "it hashes
 * both messages as EIP-191 personal messages where dstack signs their plain keccak256". */
const char *hx_dev_words(const hx_variant *v, char *out, size_t cap);

/* Runs everything against s->t (its spec parsed, the chain open). Returns 0, or -1 on an
 * RPC failure (message printed). */
int hx_search_run(hx_search *s);
void hx_search_free(hx_search *s);

#endif
