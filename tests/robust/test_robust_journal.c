/* test_robust_journal.c — runtime events survive restarts (--journal), and a damaged
 * journal is reported, never silently replayed.
 *
 *   restart: the event log and RTMR3 are identical after SIGTERM + restart
 *   kill -9 mid-stream: after a restart the runtime events are exactly the acknowledged
 *     ones (plus, at most, the one in flight), and RTMR3 is the replay of boot events +
 *     those, computed independently here
 *   torn tail: dropped with a warning; corrupted record: start-up fails (exit 2) naming
 *     it, --journal-recover keeps the intact prefix; another app's journal, a symlink, a
 *     journal in use: refused
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "../sim/sim_testutil.h"
#include "ds_eventlog.h"
#include "ds_hex.h"
#include "ds_json.h"
#include "robust_util.h"

typedef struct {
    char dir[128], dsock[160], log[160], journal[160];
} env;

static void env_init(env *e) {
    rb_tmpdir(e->dir);
    snprintf(e->dsock, sizeof e->dsock, "%s/d.sock", e->dir);
    snprintf(e->log, sizeof e->log, "%s/sim.log", e->dir);
    snprintf(e->journal, sizeof e->journal, "%s/events.journal", e->dir);
}

/* Starts a simulator on e with the journal and extra flags; returns -1 and the exit
 * status when it refuses to start. */
static int start(env *e, rb_proc *p, const char *extra, int *status) {
    const char *args[16] = {"--config", "appkeys.json", "--dstack-sock", e->dsock,
                            "--tappd-sock", "", "--journal", e->journal, "--no-stats"};
    int n = 9;
    if (extra) args[n++] = extra;
    args[n] = NULL;
    return rb_start(p, e->log, e->dsock, args, status);
}

/* Info's event log (parsed) and RTMR3 (hex). */
static void info_log(const char *sock, ds_eventlog *log, char rtmr3[97]) {
    cJSON *info = tu_ok(sock, "/Info", "{}");
    cJSON *tcb = cJSON_Parse(tu_str(info, "tcb_info"));
    assert_non_null(tcb);
    snprintf(rtmr3, 97, "%s", tu_str(tcb, "rtmr3"));
    char err[128];
    assert_int_equal(ds_eventlog_from_cjson(cJSON_GetObjectItemCaseSensitive(tcb, "event_log"), log,
                                            err, sizeof err), DS_OK);
    /* the quote's RTMR3 is the replay of this log */
    uint8_t r[4][48];
    char hex[97];
    ds_eventlog_replay(log, r);
    assert_string_equal(ds_hex_encode(r[3], 48, hex), rtmr3);
    cJSON_Delete(tcb);
    cJSON_Delete(info);
}

/* Index just past "system-ready": where EmitEvent events start. */
static size_t emitted_from(const ds_eventlog *log) {
    for (size_t i = 0; i < log->n; i++)
        if (log->ev[i].event_len == 12 && !memcmp(log->ev[i].event, "system-ready", 12)) return i + 1;
    fail_msg("no system-ready event");
    return 0;
}

static void emit(const char *sock, const char *name, const char *payload_hex) {
    char body[512];
    snprintf(body, sizeof body, "{\"event\":\"%s\",\"payload\":\"%s\"}", name, payload_hex);
    cJSON_Delete(tu_ok(sock, "/EmitEvent", body));
}

static void assert_same_log(const ds_eventlog *a, const ds_eventlog *b) {
    assert_int_equal(a->n, b->n);
    for (size_t i = 0; i < a->n; i++) {
        assert_int_equal(a->ev[i].event_len, b->ev[i].event_len);
        assert_memory_equal(a->ev[i].event, b->ev[i].event, a->ev[i].event_len);
        assert_int_equal(a->ev[i].payload_len, b->ev[i].payload_len);
        if (a->ev[i].payload_len)
            assert_memory_equal(a->ev[i].payload, b->ev[i].payload, a->ev[i].payload_len);
        assert_memory_equal(a->ev[i].digest, b->ev[i].digest, 48);
    }
}

static char *log_text(env *e) {
    size_t n;
    return tu_read(e->log, &n);
}

static void test_restart_keeps_rtmr3(void **state) {
    (void)state;
    env e;
    env_init(&e);
    rb_proc p;
    assert_int_equal(start(&e, &p, NULL, NULL), 0);
    emit(e.dsock, "app-started", "01");
    emit(e.dsock, "empty", "");
    emit(e.dsock, "caf\xc3\xa9 \\\"quoted\\\"", "00ff00ff");
    emit(e.dsock, "tab\\tnewline\\n", "deadbeef");
    ds_eventlog a, b;
    char ra[97], rb[97];
    info_log(e.dsock, &a, ra);
    assert_int_equal(a.n - emitted_from(&a), 4);
    assert_int_equal(rb_term(&p), 0);
    struct stat sb;
    assert_int_equal(stat(e.journal, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0600);
    for (int round = 0; round < 2; round++) {
        assert_int_equal(start(&e, &p, NULL, NULL), 0);
        info_log(e.dsock, &b, rb);
        assert_string_equal(ra, rb);
        assert_same_log(&a, &b);
        ds_eventlog_free(&b);
        assert_int_equal(rb_term(&p), 0);
    }
    /* and it keeps growing across restarts */
    assert_int_equal(start(&e, &p, NULL, NULL), 0);
    emit(e.dsock, "after-restart", "02");
    info_log(e.dsock, &b, rb);
    assert_int_equal(b.n, a.n + 1);
    assert_string_not_equal(ra, rb);
    ds_eventlog_free(&b);
    assert_int_equal(rb_term(&p), 0);
    char *log = log_text(&e);
    assert_non_null(strstr(log, "(4 events replayed)"));
    free(log);
    ds_eventlog_free(&a);
    rb_fault(3);
    rb_rmdir(e.dir);
}

typedef struct {
    const char *sock;
    atomic_int acked;
    atomic_int stop;
} writer;

static void *write_events(void *arg) {
    writer *w = arg;
    for (int i = 0; !atomic_load(&w->stop); i++) {
        char req[256], body[128];
        snprintf(body, sizeof body, "{\"event\":\"e%d\",\"payload\":\"%08x\"}", i, (unsigned)i * 2654435761u);
        int n = snprintf(req, sizeof req, "POST /EmitEvent HTTP/1.1\r\nContent-Length: %zu\r\n"
                         "Connection: close\r\n\r\n%s", strlen(body), body);
        int fd = rb_connect(w->sock);
        if (fd < 0) break;
        rb_resp r;
        rb_send_all(fd, req, (size_t)n);
        rb_outcome o = rb_read_response(fd, 10000, &r);
        close(fd);
        int ok = o == RB_OK && r.status == 200;
        rb_resp_free(&r);
        if (!ok) break;
        atomic_store(&w->acked, i + 1);
    }
    return NULL;
}

static void test_kill9_mid_stream(void **state) {
    (void)state;
    env e;
    env_init(&e);
    /* the boot log of this config, from a simulator without a journal */
    ds_eventlog boot;
    char r0[97];
    {
        const char *args[] = {"--config", "appkeys.json", "--quiet", "--no-stats", NULL};
        ds_testsim *s = tu_start(args);
        assert_non_null(s);
        info_log(s->dstack_sock, &boot, r0);
        assert_int_equal(tu_stop(s), 0);
    }
    for (int round = 0; round < 3; round++) {
        rb_proc p;
        assert_int_equal(start(&e, &p, NULL, NULL), 0);
        writer w = {e.dsock, 0, 0};
        int already = 0;
        if (round > 0) { /* the events of the earlier rounds are there */
            ds_eventlog l;
            char r[97];
            info_log(e.dsock, &l, r);
            already = (int)(l.n - emitted_from(&l));
            ds_eventlog_free(&l);
        }
        /* each round restarts the names at e0: the journal just appends */
        pthread_t t;
        assert_int_equal(pthread_create(&t, NULL, write_events, &w), 0);
        while (atomic_load(&w.acked) < 25 + 10 * round) rb_sleep_ms(1);
        rb_kill9(&p); /* mid-stream: a request is usually in flight */
        atomic_store(&w.stop, 1);
        pthread_join(t, NULL);
        int acked = atomic_load(&w.acked);

        assert_int_equal(start(&e, &p, NULL, NULL), 0);
        ds_eventlog l;
        char r[97];
        info_log(e.dsock, &l, r);
        int got = (int)(l.n - emitted_from(&l)) - already;
        printf("round %d: %d acknowledged, %d replayed after kill -9\n", round, acked, got);
        assert_true(got == acked || got == acked + 1); /* + the one in flight, if journaled */
        /* expected: boot events + every round's events, in order, recomputed here */
        ds_eventlog want;
        assert_int_equal(ds_eventlog_copy(&want, &boot), DS_OK);
        for (size_t i = emitted_from(&boot); i < l.n && i < emitted_from(&l) + (size_t)already; i++)
            ds_eventlog_add_runtime(&want, l.ev[i].event, l.ev[i].event_len, l.ev[i].payload,
                                    l.ev[i].payload_len);
        for (int i = 0; i < got; i++) {
            char name[16];
            uint8_t pl[4];
            unsigned v = (unsigned)i * 2654435761u;
            snprintf(name, sizeof name, "e%d", i);
            pl[0] = (uint8_t)(v >> 24), pl[1] = (uint8_t)(v >> 16), pl[2] = (uint8_t)(v >> 8), pl[3] = (uint8_t)v;
            ds_eventlog_add_runtime(&want, name, strlen(name), pl, 4);
        }
        assert_same_log(&want, &l);
        uint8_t rr[4][48];
        char hex[97];
        ds_eventlog_replay(&want, rr);
        assert_string_equal(ds_hex_encode(rr[3], 48, hex), r);
        ds_eventlog_free(&want);
        ds_eventlog_free(&l);
        assert_int_equal(rb_term(&p), 0);
        rb_fault(1);
    }
    ds_eventlog_free(&boot);
    rb_rmdir(e.dir);
}

static void append_file(const char *path, const char *s) {
    int fd = open(path, O_WRONLY | O_APPEND);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, s, strlen(s)), (ssize_t)strlen(s));
    close(fd);
}

static void test_torn_and_corrupt(void **state) {
    (void)state;
    env e;
    env_init(&e);
    rb_proc p;
    assert_int_equal(start(&e, &p, NULL, NULL), 0);
    for (int i = 0; i < 4; i++) {
        char name[16];
        snprintf(name, sizeof name, "ev%d", i);
        emit(e.dsock, name, "0102030405");
    }
    ds_eventlog a, b;
    char ra[97], rb[97];
    info_log(e.dsock, &a, ra);
    assert_int_equal(rb_term(&p), 0);
    struct stat sb;
    assert_int_equal(stat(e.journal, &sb), 0);
    off_t good = sb.st_size;

    /* torn tail: a record cut short by a crash */
    append_file(e.journal, "{\"event\":\"torn\",\"payload\":\"AQ");
    assert_int_equal(start(&e, &p, NULL, NULL), 0);
    info_log(e.dsock, &b, rb);
    assert_string_equal(ra, rb);
    assert_same_log(&a, &b);
    ds_eventlog_free(&b);
    assert_int_equal(rb_term(&p), 0);
    assert_int_equal(stat(e.journal, &sb), 0);
    assert_int_equal(sb.st_size, good);
    char *log = log_text(&e);
    assert_non_null(strstr(log, "dropped a torn final record"));
    free(log);

    /* corruption: one payload byte of record 3 (line 4) changed, JSON still valid */
    size_t n;
    char *j = tu_read(e.journal, &n);
    char *line = j;
    for (int i = 0; i < 3; i++) line = strchr(line, '\n') + 1;
    char *pl = strstr(line, "\"payload\":\"") + 11;
    *pl = *pl == 'A' ? 'B' : 'A';
    FILE *f = fopen(e.journal, "w");
    fwrite(j, 1, n, f);
    fclose(f);
    free(j);
    int st = -1;
    assert_int_equal(start(&e, &p, NULL, &st), -1);
    assert_int_equal(st, 2);
    log = log_text(&e);
    assert_non_null(strstr(log, "line 4 (byte offset"));
    assert_non_null(strstr(log, "digest does not match"));
    assert_non_null(strstr(log, "--journal-recover"));
    free(log);
    /* --journal-recover: the 2 intact events */
    assert_int_equal(start(&e, &p, "--journal-recover", NULL), 0);
    info_log(e.dsock, &b, rb);
    assert_int_equal(b.n, a.n - 2);
    assert_int_equal(b.n - emitted_from(&b), 2);
    ds_eventlog_free(&b);
    assert_int_equal(rb_term(&p), 0);
    log = log_text(&e);
    assert_non_null(strstr(log, "--journal-recover: kept 2 events"));
    free(log);
    /* and the journal is whole again */
    assert_int_equal(start(&e, &p, NULL, NULL), 0);
    assert_int_equal(rb_term(&p), 0);

    /* not JSON at all, in the middle */
    append_file(e.journal, "garbage\n{\"event\":\"x\",\"payload\":\"\",\"digest\":\"00\"}\n");
    assert_int_equal(start(&e, &p, NULL, &st), -1);
    assert_int_equal(st, 2);
    ds_eventlog_free(&a);
    rb_fault(3);
    rb_rmdir(e.dir);
}

static void test_refusals(void **state) {
    (void)state;
    env e;
    env_init(&e);
    rb_proc p, q;
    int st = -1;
    assert_int_equal(start(&e, &p, NULL, NULL), 0);
    emit(e.dsock, "x", "");
    /* in use by another simulator */
    char d2[200];
    snprintf(d2, sizeof d2, "%s/d2.sock", e.dir);
    const char *args2[] = {"--config", "appkeys.json", "--dstack-sock", d2, "--tappd-sock", "",
                           "--journal", e.journal, NULL};
    assert_int_equal(rb_start(&q, e.log, d2, args2, &st), -1);
    assert_int_equal(st, 2);
    assert_int_equal(rb_term(&p), 0);
    /* another app's journal */
    const char *args3[] = {"--config", "appkeys.json", "--dstack-sock", d2, "--tappd-sock", "",
                           "--journal", e.journal, "--app-id",
                           "1111111111111111111111111111111111111111", NULL};
    assert_int_equal(rb_start(&q, e.log, d2, args3, &st), -1);
    assert_int_equal(st, 2);
    /* a symlink at the journal path is not followed */
    char link[200];
    snprintf(link, sizeof link, "%s/link.journal", e.dir);
    assert_int_equal(symlink(e.journal, link), 0);
    const char *args4[] = {"--config", "appkeys.json", "--dstack-sock", d2, "--tappd-sock", "",
                           "--journal", link, NULL};
    assert_int_equal(rb_start(&q, e.log, d2, args4, &st), -1);
    assert_int_equal(st, 2);
    char *log = log_text(&e);
    assert_non_null(strstr(log, "is in use by another simulator"));
    assert_non_null(strstr(log, "names another app"));
    assert_non_null(strstr(log, "is a symbolic link"));
    free(log);
    rb_fault(3);
    rb_rmdir(e.dir);
}

static int report(void **state) {
    (void)state;
    rb_faults_report("journal");
    return 0;
}

int main(void) {
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_restart_keeps_rtmr3),
        cmocka_unit_test(test_kill9_mid_stream),
        cmocka_unit_test(test_torn_and_corrupt),
        cmocka_unit_test(test_refusals),
    };
    return cmocka_run_group_tests(tests, NULL, report);
}
