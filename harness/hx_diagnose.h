/* hx_diagnose.h — what `diagnose --target` is given (the chain diagnose has read, and
 * what its offline recovery found) and what it answers.
 */
#ifndef HX_DIAGNOSE_H
#define HX_DIAGNOSE_H

#include <stdint.h>

#include "hx_target.h"
#include "hx_variant.h"

typedef struct {
    const char *target, *call, *rpc, *from;
    const uint8_t *app_id, *app_pub, *derived, *link0, *link1;
    hx_strings s;
    int version;              /* the claim version the chain was asked in */
    const hx_variant *format; /* the format diagnose identified (NULL: none) */
    const uint8_t *root;      /* the root that format recovers (NULL: none) */
} hx_diag_target;

typedef struct {
    int accepted;
    char call[512];
    char detail[600];
    char shape[160];
    char verdict[2048];
} hx_diag_answer;

/* Runs the chain through the contract and words the answer. Returns 0, 1 on a failure
 * (message printed), 2 for bad usage. */
int hx_diagnose_target(const hx_diag_target *in, hx_diag_answer *out);

#endif
