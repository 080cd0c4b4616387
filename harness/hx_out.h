/* hx_out.h — how the harness talks: progress lines (stderr), one-line failures, readable
 * tables (stdout) and the --json document (stdout).
 *
 * Every subcommand prints progress while it works ("  · deploying DstackMembershipNFT"),
 * then either a table (default) or a single JSON document (--json), and exits 0 only
 * when everything it expected held.
 */
#ifndef HX_OUT_H
#define HX_OUT_H

#include <stdio.h>

#include <cjson/cJSON.h>

typedef struct {
    int json;   /* --json: stdout carries one JSON document */
    int quiet;  /* --quiet: no progress lines */
} hx_ui;

extern hx_ui hx_ui_g;

/* "  · message" on stderr, unless quiet. */
void hx_progress(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* "dstack-harness: message" on stderr (always). */
void hx_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Plain text to stdout unless --json. */
void hx_say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A table of strings, printed with aligned columns. */
typedef struct {
    int ncols;
    const char *head[10];
    int nrows, cap;
    char **cells; /* nrows * ncols, malloc'd strings */
} hx_table;

void hx_table_init(hx_table *t, int ncols, const char *const *head);
/* Appends a row of ncols cells (copied; NULL prints as ""). */
void hx_table_row(hx_table *t, const char *const *cells);
void hx_table_print(const hx_table *t, FILE *f);
void hx_table_free(hx_table *t);

/* Prints doc as formatted JSON to stdout and deletes it. */
void hx_json_emit(cJSON *doc);

/* "0x" + EIP-55 address into out (43 bytes). Returns out. */
char *hx_addr(const unsigned char addr[20], char out[43]);
/* "0x" + lowercase hex of n bytes into a static rotating buffer (8 slots of 300 chars;
 * longer inputs are cut with "…"). For messages only. */
const char *hx_hex(const unsigned char *p, size_t n);

/* snprintf into a char array, truncating silently (paths and labels that fit in practice;
 * using the return value keeps -Wformat-truncation quiet). Returns 1 when it fit. */
#define HX_SET(arr, ...) hx_setf((arr), sizeof(arr), __VA_ARGS__)
int hx_setf(char *dst, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Reads a whole file of at most max bytes into a malloc'd NUL-terminated buffer, its
 * length in *len (len may be NULL). Returns NULL when the file cannot be opened or read,
 * is larger than max, or memory runs out. */
char *hx_read_file(const char *path, size_t max, size_t *len);

#endif
