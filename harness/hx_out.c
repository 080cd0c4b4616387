/* hx_out.c — progress lines, failures, tables and JSON output (see hx_out.h). */
#include "hx_out.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "ds_hex.h"
#include "ds_secp.h"

hx_ui hx_ui_g;

void hx_progress(const char *fmt, ...) {
    va_list ap;
    if (hx_ui_g.quiet) return;
    va_start(ap, fmt);
    fputs("  · ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

void hx_fail(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fputs("dstack-harness: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

void hx_say(const char *fmt, ...) {
    va_list ap;
    if (hx_ui_g.json) return;
    va_start(ap, fmt);
    vfprintf(stdout, fmt, ap);
    va_end(ap);
}

void hx_table_init(hx_table *t, int ncols, const char *const *head) {
    memset(t, 0, sizeof *t);
    t->ncols = ncols > 10 ? 10 : ncols;
    for (int i = 0; i < t->ncols; i++) t->head[i] = head[i];
}

void hx_table_row(hx_table *t, const char *const *cells) {
    if (t->nrows == t->cap) {
        int cap = t->cap ? 2 * t->cap : 16;
        char **c = realloc(t->cells, (size_t)cap * (size_t)t->ncols * sizeof *c);
        if (c == NULL) return;
        t->cells = c;
        t->cap = cap;
    }
    for (int i = 0; i < t->ncols; i++)
        t->cells[t->nrows * t->ncols + i] = strdup(cells[i] ? cells[i] : "");
    t->nrows++;
}

/* Display width of UTF-8 text (code points; good enough for our ASCII and a few symbols). */
static int width(const char *s) {
    int w = 0;
    for (; *s; s++)
        if (((unsigned char)*s & 0xc0) != 0x80) w++;
    return w;
}

void hx_table_print(const hx_table *t, FILE *f) {
    int wd[10];
    for (int c = 0; c < t->ncols; c++) {
        wd[c] = width(t->head[c]);
        for (int r = 0; r < t->nrows; r++) {
            int w = width(t->cells[r * t->ncols + c]);
            if (w > wd[c]) wd[c] = w;
        }
    }
    for (int r = -1; r < t->nrows; r++) {
        for (int c = 0; c < t->ncols; c++) {
            const char *s = r < 0 ? t->head[c] : t->cells[r * t->ncols + c];
            fputs(s, f);
            if (c + 1 < t->ncols) fprintf(f, "%*s", wd[c] - width(s) + 2, "");
        }
        fputc('\n', f);
        if (r < 0) {
            for (int c = 0; c < t->ncols; c++) {
                for (int i = 0; i < wd[c]; i++) fputc('-', f);
                if (c + 1 < t->ncols) fputs("  ", f);
            }
            fputc('\n', f);
        }
    }
}

void hx_table_free(hx_table *t) {
    for (int i = 0; i < t->nrows * t->ncols; i++) free(t->cells[i]);
    free(t->cells);
    memset(t, 0, sizeof *t);
}

void hx_json_emit(cJSON *doc) {
    char *s = cJSON_Print(doc);
    if (s != NULL) {
        fputs(s, stdout);
        fputc('\n', stdout);
        free(s);
    }
    cJSON_Delete(doc);
}

char *hx_addr(const unsigned char addr[20], char out[43]) { return ds_eth_checksum(addr, out); }

const char *hx_hex(const unsigned char *p, size_t n) {
    static char bufs[8][300];
    static int slot;
    char *b = bufs[slot++ & 7];
    size_t max = (sizeof bufs[0] - 6) / 2;
    b[0] = '0';
    b[1] = 'x';
    ds_hex_encode(p, n > max ? max : n, b + 2);
    if (n > max) strcat(b, "…");
    return b;
}

int hx_setf(char *dst, size_t cap, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(dst, cap, fmt, ap);
    va_end(ap);
    return n >= 0 && (size_t)n < cap;
}

char *hx_read_file(const char *path, size_t max, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (f == NULL) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = (n >= 0 && (unsigned long)n <= max) ? malloc((size_t)n + 1) : NULL;
    if (buf != NULL && fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    if (buf != NULL) {
        buf[n] = '\0';
        if (len) *len = (size_t)n;
    }
    return buf;
}
