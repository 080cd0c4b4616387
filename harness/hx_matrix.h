/* hx_matrix.h — the options of `matrix --target` (and `diagnose --target`), shared by the
 * option parser in cmd_matrix.c and the runners.
 */
#ifndef HX_MATRIX_H
#define HX_MATRIX_H

typedef struct {
    const char *target, *call, *rpc, *from;
    const char *config, *root_hex, *app_id_hex;
    const char *purpose, *path, *domain;
    int max_changes;    /* deepest combination searched (default HX_MAX_DEVS) */
    double time_budget; /* seconds the search may take (default HX_TIME_BUDGET) */
} hx_target_opts;

#define HX_TIME_BUDGET 30.0 /* default --time-budget: the whole catalogue takes ~8 s */

/* `matrix --target`: exit status 0 when the contract accepts dstack's chains of every
 * claim version its call speaks and nothing unsound, 1 otherwise, 2 for bad usage. */
int hx_matrix_target(const hx_target_opts *o);

#endif
