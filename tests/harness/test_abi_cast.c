/* test_abi_cast.c — lib/eth/ds_abi against the pinned Foundry cast, live: random type
 * strings and random values encoded by ds_abi and by cast (spawned without a shell),
 * compared byte for byte, then decoded by both and compared as text.
 *
 * CAST (environment) overrides the cast binary; without it the pinned one under
 * node_modules is used. If it is missing the test is skipped with a message.
 */
#include <errno.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "abi_testutil.h"

#include "ds_abi.h"

extern char **environ;

#define CAST_DEFAULT "node_modules/@foundry-rs/cast-linux-amd64/bin/cast"

/* ---- live comparisons with cast ------------------------------------------------------------ */

static const char *cast_path(void) {
    const char *c = getenv("CAST");
    return c && *c ? c : CAST_DEFAULT;
}

/* Runs argv (argv[0] = cast) and captures stdout. Returns the exit status. */
static int run_cast(char **argv, char *out, size_t cap) {
    int fd[2];
    pid_t pid;
    posix_spawn_file_actions_t fa;
    assert_int_equal(pipe(fd), 0);
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, fd[1], 1);
    posix_spawn_file_actions_addclose(&fa, fd[0]);
    assert_int_equal(posix_spawn(&pid, argv[0], &fa, NULL, argv, environ), 0);
    posix_spawn_file_actions_destroy(&fa);
    close(fd[1]);
    size_t n = 0;
    ssize_t r;
    while ((r = read(fd[0], out + n, cap - 1 - n)) > 0 || (r < 0 && errno == EINTR))
        if (r > 0) n += (size_t)r;
    close(fd[0]);
    out[n] = '\0';
    while (n && (out[n - 1] == '\n' || out[n - 1] == '\r'))
        out[--n] = '\0';
    int st;
    waitpid(pid, &st, 0);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

typedef struct {
    ds_abi_value vals[1024];
    size_t nv;
    uint8_t mem[16384];
    size_t nm;
} rstore;

static void rbytes(uint8_t *p, size_t n) {
    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t)rand();
}

static void rand_type(char *out, size_t cap, int depth) {
    static const char *scal[] = {"address", "bool", "bytes", "string"};
    int choice = rand() % (depth >= 2 ? 7 : 10);
    size_t len = strlen(out);
    char *p = out + len;
    size_t room = cap - len;
    switch (choice) {
    case 0: snprintf(p, room, "uint%d", 8 * (1 + rand() % 32)); break;
    case 1: snprintf(p, room, "int%d", 8 * (1 + rand() % 32)); break;
    case 2: snprintf(p, room, "bytes%d", 1 + rand() % 32); break;
    case 3:
    case 4:
    case 5:
    case 6: snprintf(p, room, "%s", scal[choice - 3]); break;
    case 7:
        rand_type(out, cap, depth + 1);
        strcat(out, "[]");
        break;
    case 8:
        rand_type(out, cap, depth + 1);
        snprintf(out + strlen(out), cap - strlen(out), "[%d]", 1 + rand() % 3);
        break;
    default: {
        int n = 1 + rand() % 3;
        strcat(out, "(");
        for (int i = 0; i < n; i++) {
            if (i) strcat(out, ",");
            rand_type(out, cap, depth + 1);
        }
        strcat(out, ")");
    }
    }
}

static void sput(char *arg, size_t cap, const char *s) {
    assert_true(strlen(arg) + strlen(s) < cap);
    strcat(arg, s);
}

/* Fills *v with a random value of type idx and appends cast's argument syntax to arg. */
static void rand_value(const ds_abi_types *t, int idx, rstore *st, ds_abi_value *v, int nested,
                       char *arg, size_t cap) {
    const ds_abi_type *n = &t->node[idx];
    char buf[160];
    memset(v, 0, sizeof *v);
    v->kind = n->kind;
    v->size = n->size;
    switch (n->kind) {
    case DS_ABI_UINT:
    case DS_ABI_INT: {
        int k = n->size / 8;
        rbytes(v->word + 32 - k, (size_t)k);
        if (rand() % 3 == 0) memset(v->word + 32 - k, 0, (size_t)(k - 1)); /* small values too */
        if (n->kind == DS_ABI_INT && (v->word[32 - k] & 0x80))
            memset(v->word, 0xff, (size_t)(32 - k));
        sput(arg, cap, ds_abi_word_dec(v->word, n->kind == DS_ABI_INT, buf));
        return;
    }
    case DS_ABI_ADDRESS:
        rbytes(v->word + 12, 20);
        sput(arg, cap, "0x");
        sput(arg, cap, ds_hex_encode(v->word + 12, 20, buf));
        return;
    case DS_ABI_BOOL:
        v->word[31] = (uint8_t)(rand() & 1);
        sput(arg, cap, v->word[31] ? "true" : "false");
        return;
    case DS_ABI_FBYTES:
        rbytes(v->word, n->size);
        sput(arg, cap, "0x");
        sput(arg, cap, ds_hex_encode(v->word, n->size, buf));
        return;
    case DS_ABI_BYTES:
    case DS_ABI_STRING: {
        size_t len = (size_t)(rand() % 70);
        if (n->kind == DS_ABI_STRING && nested && len == 0) len = 1;
        assert_true(st->nm + len <= sizeof st->mem);
        uint8_t *p = st->mem + st->nm;
        st->nm += len;
        if (n->kind == DS_ABI_BYTES) {
            rbytes(p, len);
            sput(arg, cap, "0x");
            sput(arg, cap, ds_hex_encode(p, len, buf));
        } else {
            static const char al[] =
                "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
            for (size_t i = 0; i < len; i++)
                p[i] = (uint8_t)al[rand() % (sizeof al - 1)];
            memcpy(buf, p, len);
            buf[len] = '\0';
            sput(arg, cap, buf);
        }
        v->ptr = p;
        v->len = len;
        return;
    }
    default: {
        size_t count = n->kind == DS_ABI_ARRAY    ? (size_t)(rand() % 4)
                       : n->kind == DS_ABI_FARRAY ? n->count
                                                  : n->ncomp;
        assert_true(st->nv + count <= 1024);
        ds_abi_value *items = st->vals + st->nv;
        st->nv += count;
        sput(arg, cap, n->kind == DS_ABI_TUPLE ? "(" : "[");
        int c = n->child;
        for (size_t i = 0; i < count; i++) {
            if (i) sput(arg, cap, ",");
            rand_value(t, c, st, &items[i], 1, arg, cap);
            if (n->kind == DS_ABI_TUPLE) c = t->node[c].next;
        }
        sput(arg, cap, n->kind == DS_ABI_TUPLE ? ")" : "]");
        v->items = items;
        v->n = count;
    }
    }
}

/* Removes cast's " [1.2e6]" annotations so its text can be compared with ours. */
static void strip_annotations(char *s) {
    char *w = s;
    for (char *r = s; *r;) {
        if (r[0] == ' ' && r[1] == '[') {
            char *e = r + 2;
            int has_e = 0;
            while (*e && strchr("0123456789.e-", *e))
                has_e |= *e++ == 'e';
            if (*e == ']' && has_e && e > r + 2) {
                r = e + 1;
                continue;
            }
        }
        *w++ = *r++;
    }
    *w = '\0';
}

static void live_cast_roundtrips(void **state) {
    (void)state;
    const char *cast = cast_path();
    if (access(cast, X_OK) != 0) {
        fprintf(stderr, "SKIP live cast comparison: %s not found (run scripts/setup.sh)\n", cast);
        skip();
    }
    static rstore st;
    static char out[1 << 16], args[8][4096], sig[1024], osig[1100];
    static uint8_t enc[1 << 15];
    static ds_abi_value pool[4096];
    const char *seed_env = getenv("ABI_SEED");
    unsigned seed = seed_env ? (unsigned)strtoul(seed_env, NULL, 10) : 20240607u;
    int rounds = getenv("ABI_ROUNDS") ? atoi(getenv("ABI_ROUNDS")) : 60;
    srand(seed);
    for (int r = 0; r < rounds; r++) {
        ds_abi_types t;
        int nparams = 1 + rand() % 4;
        strcpy(sig, "f(");
        for (int i = 0; i < nparams; i++) {
            if (i) strcat(sig, ",");
            rand_type(sig, sizeof sig, 0);
        }
        strcat(sig, ")");
        assert_int_equal(ds_abi_parse(sig, strlen(sig), &t, NULL), DS_OK);
        st.nv = st.nm = 0;
        ds_abi_value params[4];
        char *argv[16];
        int ac = 0;
        argv[ac++] = (char *)cast;
        argv[ac++] = "abi-encode";
        argv[ac++] = "--";
        argv[ac++] = sig;
        int c = t.node[t.root].child;
        for (int i = 0; i < nparams; i++, c = t.node[c].next) {
            args[i][0] = '\0';
            rand_value(&t, c, &st, &params[i], 0, args[i], sizeof args[i]);
            argv[ac++] = args[i];
        }
        argv[ac] = NULL;
        ds_abi_value all = ds_abi_tuple(params, (size_t)nparams);
        assert_int_equal(ds_abi_check(&t, t.root, &all), DS_OK);
        size_t n = 0;
        assert_int_equal(ds_abi_encode(&all, enc, sizeof enc, &n), DS_OK);
        if (run_cast(argv, out, sizeof out) != 0) fail_msg("cast abi-encode failed for %s", sig);
        char *ours = hex0x_alloc(enc, n);
        if (strcmp(ours, out) != 0) {
            fprintf(stderr, "encoding differs for %s (seed %u round %d)\n ours %s\n cast %s\n", sig,
                    seed, r, ours, out);
            fail();
        }

        /* calldata: selector + encoding */
        argv[1] = "calldata";
        if (run_cast(argv, out, sizeof out) != 0) fail_msg("cast calldata failed for %s", sig);
        uint8_t *cd = malloc(n + 4);
        size_t cdn = 0;
        assert_int_equal(ds_abi_encode_call(sig, params, (size_t)nparams, cd, n + 4, &cdn), DS_OK);
        char *cdhex = hex0x_alloc(cd, cdn);
        assert_string_equal(cdhex, out);
        free(cd);
        free(cdhex);

        /* decode: ours must give back the same encoding and print what cast prints */
        size_t used = 0;
        assert_int_equal(ds_abi_decode(&t, enc, n, pool, 4096, &used), DS_OK);
        size_t n2 = 0;
        static uint8_t enc2[1 << 15];
        assert_int_equal(ds_abi_encode(&pool[0], enc2, sizeof enc2, &n2), DS_OK);
        assert_int_equal(n2, n);
        assert_memory_equal(enc2, enc, n);
        snprintf(osig, sizeof osig, "f()%s", sig + 1);
        char *dargv[] = {(char *)cast, "abi-decode", osig, ours, NULL};
        if (run_cast(dargv, out, sizeof out) != 0) fail_msg("cast abi-decode failed for %s", sig);
        strip_annotations(out);
        char *line = out;
        for (int i = 0; i < nparams; i++) {
            char *nl = strchr(line, '\n');
            if (nl) *nl = '\0';
            char mine[8192];
            ds_abi_format(&pool[0].items[i], 0, mine, sizeof mine);
            if (strcmp(mine, line) != 0) {
                fprintf(stderr,
                        "text differs for %s param %d (seed %u round %d)\n ours %s\n cast %s\n",
                        sig, i, seed, r, mine, line);
                fail();
            }
            line = nl ? nl + 1 : line + strlen(line);
        }
        free(ours);
    }
    fprintf(stderr,
            "live cast comparison: %d random signatures (seed %u) encode, calldata and decode "
            "identically\n",
            rounds, seed);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(live_cast_roundtrips),
    };
    return cmocka_run_group_tests_name("ds_abi: live comparisons with cast", tests, NULL, NULL);
}
