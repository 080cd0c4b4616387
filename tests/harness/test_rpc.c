/* test_rpc.c — lib/eth/ds_rpc and harness/hx_anvil against a real Anvil (the pinned one),
 * plus a fake HTTP server for the failure paths.
 *
 * The chain-side fixture is a 36-byte hand-assembled contract (ECHO_RUNTIME below): it
 * returns its calldata and logs it under topic 0x2a, except that calldata starting with
 * 0xff makes it revert with the rest of the calldata as revert data. That exercises
 * return data, revert data (here: a real Error(string) payload, decoded with ds_abi),
 * receipts, logs and eth_getLogs without depending on the project's contracts.
 */
#define _GNU_SOURCE /* strcasestr */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "unit_util.h"

#include "ds_abi.h"
#include "hx_state.h"
#include "ds_rpc.h"
#include "hx_anvil.h"
#include "hx_proc.h"

/* CALLDATACOPY(0,0,cds); if (byte0 == 0xff) revert(1, cds-1);
 * LOG1(0, cds, 0x2a); return(0, cds) */
static const char *ECHO_RUNTIME = "366000600037600035" "60f81c60ff14601c57602a366000a1366000f35b6001360360" "01fd";
/* init code: CODECOPY(0, 12, 36); RETURN(0, 36) followed by the runtime */
static const char *ECHO_INIT = "6024600c60003960246000f3";

/* Anvil's first default account (public, well-known test account). */
static const char *ACCT0 = "f39fd6e51aad88f6f4ce6ab8827279cfffb92266";

typedef struct {
    hx_anvil anvil;
    char log[256];
    ds_rpc rpc;
    uint8_t echo[20];
} fixture;

static int setup(void **state) {
    static fixture f;
    char err[1024];
    memset(&f, 0, sizeof f);
    snprintf(f.log, sizeof f.log, "/tmp/test_rpc_anvil_%d.log", (int)getpid());
    if (hx_anvil_start(&f.anvil, 0, f.log, err, sizeof err) != 0) {
        fprintf(stderr, "cannot start anvil: %s\n", err);
        return -1;
    }
    if (ds_rpc_open(&f.rpc, f.anvil.url) != DS_OK) return -1;
    *state = &f;
    return 0;
}

static int teardown(void **state) {
    fixture *f = *state;
    ds_rpc_close(&f->rpc);
    pid_t pid = f->anvil.pid;
    int rc = hx_anvil_stop(&f->anvil);
    unlink(f->log);
    /* stopped means: reaped (no zombie of ours) and the port closed */
    if (rc != 0 || hx_proc_alive(pid) || hx_port_open_after(f->anvil.port, 2000)) {
        fprintf(stderr, "anvil was not stopped cleanly\n");
        return -1;
    }
    return 0;
}

static void chain_basics(void **state) {
    fixture *f = *state;
    uint64_t id = 0, bn = 99;
    assert_int_equal(f->anvil.chain_id, 31337);
    assert_int_equal(ds_rpc_chain_id(&f->rpc, &id), DS_OK);
    assert_int_equal(id, 31337);
    assert_string_equal(ds_rpc_error(&f->rpc), "");
    assert_int_equal(ds_rpc_block_number(&f->rpc, &bn), DS_OK);
    assert_int_equal(bn, 0);
    uint8_t accts[HX_ANVIL_ACCOUNTS + 8][20], a0[20];
    size_t n = 0;
    /* The harness starts Anvil with HX_ANVIL_ACCOUNTS unlocked accounts (cluster up to 100). */
    assert_int_equal(ds_rpc_accounts(&f->rpc, accts, HX_ANVIL_ACCOUNTS + 8, &n), DS_OK);
    assert_int_equal(n, HX_ANVIL_ACCOUNTS);
    /* A smaller buffer takes the first cap addresses. */
    assert_int_equal(ds_rpc_accounts(&f->rpc, accts, 3, &n), DS_OK);
    assert_int_equal(n, 3);
    unhex(ACCT0, a0, 20);
    assert_memory_equal(accts[0], a0, 20);
    /* raw call with text params */
    cJSON *res = NULL;
    assert_int_equal(ds_rpc_call_text(&f->rpc, "eth_getBalance", "[\"0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266\", \"latest\"]", &res), DS_OK);
    assert_string_equal(res->valuestring, "0x21e19e0c9bab2400000"); /* 10000 ETH */
    cJSON_Delete(res);
    /* JSON-RPC errors are plain */
    assert_int_equal(ds_rpc_call_text(&f->rpc, "eth_noSuchMethod", "[]", &res), DS_ERR_VERIFY);
    assert_null(res);
    assert_int_equal(f->rpc.rpc_code, -32601);
    assert_string_equal(ds_rpc_error(&f->rpc), "eth_noSuchMethod: JSON-RPC error -32601: Method not found");
    assert_int_equal(ds_rpc_call_text(&f->rpc, "eth_chainId", "{}", &res), DS_ERR_ARG);
}

static void deploy_call_revert_logs(void **state) {
    fixture *f = *state;
    uint8_t from[20], init[12 + 36];
    unhex(ACCT0, from, 20);
    unhex(ECHO_INIT, init, 12);
    unhex(ECHO_RUNTIME, init + 12, 36);
    ds_rpc_tx tx = {.from = from, .to = NULL, .data = init, .len = sizeof init};
    ds_rpc_receipt rc;
    assert_int_equal(ds_rpc_transact(&f->rpc, &tx, &rc), DS_OK);
    assert_int_equal(rc.status, 1);
    assert_true(rc.has_contract);
    assert_true(rc.gas_used > 21000);
    assert_int_equal(rc.block, 1);
    /* the first contract account 0 creates: keccak(rlp(sender, 0))[12:] */
    assert_hex_equal(rc.contract, 20, "5fbdb2315678afecb367f032d93f642f64180aa3");
    memcpy(f->echo, rc.contract, 20);
    ds_rpc_receipt_free(&rc);
    size_t code = 0;
    assert_int_equal(ds_rpc_code_size(&f->rpc, f->echo, &code), DS_OK);
    assert_int_equal(code, 36);

    /* eth_call returns data */
    ds_rpc_call_result cr;
    const uint8_t hello[5] = {'h', 'e', 'l', 'l', 'o'};
    assert_int_equal(ds_rpc_eth_call(&f->rpc, NULL, f->echo, hello, 5, &cr), DS_OK);
    assert_false(cr.reverted);
    assert_int_equal(cr.len, 5);
    assert_memory_equal(cr.data, hello, 5);
    ds_rpc_call_result_free(&cr);

    /* a revert carries its data: 0xff ‖ abi Error("nope") */
    ds_abi_value msg = ds_abi_string("nope");
    uint8_t rev[1 + 4 + 96];
    size_t rn = 0;
    rev[0] = 0xff;
    assert_int_equal(ds_abi_encode_call("Error(string)", &msg, 1, rev + 1, sizeof rev - 1, &rn), DS_OK);
    assert_int_equal(ds_rpc_eth_call(&f->rpc, from, f->echo, rev, 1 + rn, &cr), DS_OK);
    assert_true(cr.reverted);
    assert_int_equal(cr.len, rn);
    char text[128];
    ds_abi_revert_describe(cr.data, cr.len, NULL, 0, text, sizeof text);
    assert_string_equal(text, "Error(\"nope\")");
    ds_rpc_call_result_free(&cr);
    /* an empty revert is a revert with no data */
    uint8_t ff = 0xff;
    assert_int_equal(ds_rpc_eth_call(&f->rpc, NULL, f->echo, &ff, 1, &cr), DS_OK);
    assert_true(cr.reverted);
    assert_int_equal(cr.len, 0);
    ds_rpc_call_result_free(&cr);

    /* the same three, and 20 more, in one batch: every answer in its own slot */
    enum { NB = 23 };
    static ds_rpc_call_data calls[NB];
    static ds_rpc_call_result res[NB];
    static uint8_t words[NB][4];
    calls[0] = (ds_rpc_call_data){hello, 5};
    calls[1] = (ds_rpc_call_data){rev, 1 + rn};
    calls[2] = (ds_rpc_call_data){&ff, 1};
    for (int i = 3; i < NB; i++) {
        words[i][0] = 0x01, words[i][1] = (uint8_t)(i >> 8), words[i][2] = (uint8_t)i,
        words[i][3] = 0x5a;
        calls[i] = (ds_rpc_call_data){words[i], 4};
    }
    assert_int_equal(ds_rpc_eth_call_batch(&f->rpc, from, f->echo, calls, NB, res), DS_OK);
    assert_false(res[0].reverted);
    assert_int_equal(res[0].len, 5);
    assert_memory_equal(res[0].data, hello, 5);
    assert_true(res[1].reverted);
    assert_int_equal(res[1].len, rn);
    assert_memory_equal(res[1].data, rev + 1, rn);
    assert_true(res[2].reverted);
    assert_int_equal(res[2].len, 0);
    for (int i = 3; i < NB; i++) {
        assert_false(res[i].reverted);
        assert_int_equal(res[i].len, 4);
        assert_memory_equal(res[i].data, words[i], 4);
    }
    for (int i = 0; i < NB; i++)
        ds_rpc_call_result_free(&res[i]);
    assert_int_equal(ds_rpc_eth_call_batch(&f->rpc, from, f->echo, calls, 0, res), DS_OK);

    /* transact: the preflight reports the revert and nothing is mined */
    uint64_t before = 0, after = 0;
    assert_int_equal(ds_rpc_block_number(&f->rpc, &before), DS_OK);
    ds_rpc_tx bad = {.from = from, .to = f->echo, .data = rev, .len = 1 + rn};
    assert_int_equal(ds_rpc_transact(&f->rpc, &bad, &rc), DS_ERR_VERIFY);
    assert_true(f->rpc.have_revert);
    assert_int_equal(f->rpc.revert_len, rn);
    assert_memory_equal(f->rpc.revert, rev + 1, rn);
    assert_int_equal(ds_rpc_block_number(&f->rpc, &after), DS_OK);
    assert_int_equal(after, before);
    /* sent anyway with a fixed gas limit, it is mined with status 0 */
    uint8_t hash[32];
    bad.gas = 100000;
    assert_int_equal(ds_rpc_send(&f->rpc, &bad, hash), DS_OK);
    assert_int_equal(ds_rpc_wait_receipt(&f->rpc, hash, 5000, &rc), DS_OK);
    assert_int_equal(rc.status, 0);
    assert_int_equal(rc.logs.n, 0);
    ds_rpc_receipt_free(&rc);

    /* a successful transaction's log, in its receipt and through eth_getLogs */
    ds_rpc_tx good = {.from = from, .to = f->echo, .data = hello, .len = 5};
    assert_int_equal(ds_rpc_transact(&f->rpc, &good, &rc), DS_OK);
    assert_int_equal(rc.logs.n, 1);
    assert_memory_equal(rc.logs.v[0].address, f->echo, 20);
    assert_int_equal(rc.logs.v[0].ntopics, 1);
    assert_int_equal(rc.logs.v[0].topics[0][31], 0x2a);
    assert_int_equal(rc.logs.v[0].len, 5);
    assert_memory_equal(rc.logs.v[0].data, hello, 5);
    uint64_t block = rc.block;
    ds_rpc_receipt_free(&rc);
    ds_rpc_logs logs;
    uint8_t topic[32] = {0};
    topic[31] = 0x2a;
    assert_int_equal(ds_rpc_get_logs(&f->rpc, f->echo, 0, UINT64_MAX, topic, &logs), DS_OK);
    assert_int_equal(logs.n, 1);
    assert_int_equal(logs.v[0].block, block);
    ds_rpc_logs_free(&logs);
    topic[31] = 0x2b;
    assert_int_equal(ds_rpc_get_logs(&f->rpc, f->echo, 0, UINT64_MAX, topic, &logs), DS_OK);
    assert_int_equal(logs.n, 0);
    ds_rpc_logs_free(&logs);
}

static void snapshot_and_revert(void **state) {
    fixture *f = *state;
    uint64_t snap = 0, b0 = 0, b1 = 0, b2 = 0;
    uint8_t from[20];
    unhex(ACCT0, from, 20);
    assert_int_equal(ds_rpc_block_number(&f->rpc, &b0), DS_OK);
    assert_int_equal(ds_rpc_snapshot(&f->rpc, &snap), DS_OK);
    ds_rpc_tx tx = {.from = from, .to = from, .data = NULL, .len = 0, .value = 1};
    ds_rpc_receipt rc;
    assert_int_equal(ds_rpc_transact(&f->rpc, &tx, &rc), DS_OK);
    ds_rpc_receipt_free(&rc);
    assert_int_equal(ds_rpc_block_number(&f->rpc, &b1), DS_OK);
    assert_int_equal(b1, b0 + 1);
    assert_int_equal(ds_rpc_revert_to(&f->rpc, snap), DS_OK);
    assert_int_equal(ds_rpc_block_number(&f->rpc, &b2), DS_OK);
    assert_int_equal(b2, b0);
    assert_int_equal(ds_rpc_revert_to(&f->rpc, snap), DS_ERR_VERIFY); /* consumed */
}

/* A one-shot HTTP server on a free port answering every connection with `reply`. */
typedef struct {
    int fd;
    const char *reply;
    pthread_t th;
} fake_server;

static void *serve(void *arg) {
    fake_server *s = arg;
    for (;;) {
        int c = accept(s->fd, NULL, NULL);
        if (c < 0) return NULL;
        char buf[8192];
        size_t got = 0;
        ssize_t n;
        /* read the whole request (headers, then Content-Length bytes) before answering, so
         * that closing never resets the connection under curl */
        while (got < sizeof buf - 1 && (n = read(c, buf + got, sizeof buf - 1 - got)) > 0) {
            got += (size_t)n;
            buf[got] = '\0';
            char *end = strstr(buf, "\r\n\r\n");
            char *cl = strcasestr(buf, "content-length:");
            if (end != NULL && cl != NULL && got >= (size_t)(end + 4 - buf) + (size_t)atol(cl + 15)) break;
        }
        ssize_t w = write(c, s->reply, strlen(s->reply));
        (void)w;
        close(c);
    }
}

static int fake_listen(int *port) {
    struct sockaddr_in a;
    socklen_t len = sizeof a;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(listen(fd, 4), 0);
    getsockname(fd, (struct sockaddr *)&a, &len);
    *port = ntohs(a.sin_port);
    return fd;
}

/* A fake server answering every request with `reply`; its URL into url. */
static void fake_start(fake_server *s, const char *reply, char *url, size_t cap) {
    int port;
    s->fd = fake_listen(&port);
    s->reply = reply;
    pthread_create(&s->th, NULL, serve, s);
    snprintf(url, cap, "http://127.0.0.1:%d", port);
}

static void fake_stop(fake_server *s) {
    shutdown(s->fd, SHUT_RDWR);
    close(s->fd);
    pthread_join(s->th, NULL);
}

static void plain_errors(void **state) {
    (void)state;
    ds_rpc r;
    char url[64];
    uint64_t id;
    /* nothing listening */
    int port = hx_free_port();
    snprintf(url, sizeof url, "http://127.0.0.1:%d", port);
    assert_int_equal(ds_rpc_open(&r, url), DS_OK);
    assert_int_equal(ds_rpc_chain_id(&r, &id), DS_ERR_IO);
    char want[256];
    snprintf(want, sizeof want, "cannot reach the chain at %s: is Anvil running? `dstack-harness up` starts one", url);
    assert_string_equal(ds_rpc_error(&r), want);
    char err[512];
    assert_int_equal(hx_chain_ping(url, &id, err, sizeof err), -1);
    assert_string_equal(err, want);
    ds_rpc_close(&r);
    /* not http */
    assert_int_equal(ds_rpc_open(&r, "ftp://127.0.0.1:1"), DS_ERR_ARG);
    assert_string_equal(ds_rpc_error(&r), "chain URL must be http://host:port (got ftp://127.0.0.1:1)");
    ds_rpc_close(&r);

    /* a batch answered with one object, or with an id that was never asked */
    const char *batch_replies[] = {
        "HTTP/1.1 200 OK\r\nContent-Length: 38\r\nConnection: "
        "close\r\n\r\n{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":\"0x\"}",
        "HTTP/1.1 200 OK\r\nContent-Length: 41\r\nConnection: "
        "close\r\n\r\n[{\"jsonrpc\":\"2.0\",\"id\":99,\"result\":\"0x\"}]",
    };
    const char *batch_wants[] = {"the chain at %s answered a batch with something else: {",
                                 "the chain at %s answered a batch with an unknown or repeated id"};
    for (int i = 0; i < 2; i++) {
        fake_server s;
        uint8_t to[20] = {0}, one = 1;
        ds_rpc_call_data cd = {&one, 1};
        ds_rpc_call_result out;
        fake_start(&s, batch_replies[i], url, sizeof url);
        assert_int_equal(ds_rpc_open(&r, url), DS_OK);
        assert_int_equal(ds_rpc_eth_call_batch(&r, NULL, to, &cd, 1, &out), DS_ERR_PARSE);
        snprintf(want, sizeof want, batch_wants[i], url);
        if (strncmp(ds_rpc_error(&r), want, strlen(want)) != 0)
            fail_msg("got: %s", ds_rpc_error(&r));
        assert_null(out.data);
        ds_rpc_close(&r);
        fake_stop(&s);
    }

    const char *replies[] = {
        "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello",
        "HTTP/1.1 500 Internal Server Error\r\nContent-Length: 4\r\nConnection: close\r\n\r\noops",
        "HTTP/1.1 200 OK\r\nContent-Length: 26\r\nConnection: close\r\n\r\n{\"jsonrpc\":\"2.0\",\"id\":1}  ",
    };
    const char *wants[] = {
        "the chain at %s sent a reply that is not JSON-RPC: hello",
        "the chain at %s answered HTTP 500: oops",
        "eth_chainId: the reply has neither result nor error",
    };
    const ds_err codes[] = {DS_ERR_PARSE, DS_ERR_IO, DS_ERR_PARSE};
    for (int i = 0; i < 3; i++) {
        fake_server s;
        fake_start(&s, replies[i], url, sizeof url);
        assert_int_equal(ds_rpc_open(&r, url), DS_OK);
        ds_err got = ds_rpc_chain_id(&r, &id);
        if (got != codes[i]) fprintf(stderr, "case %d: %s\n", i, ds_rpc_error(&r));
        assert_int_equal(got, codes[i]);
        snprintf(want, sizeof want, wants[i], url);
        assert_string_equal(ds_rpc_error(&r), want);
        ds_rpc_close(&r);
        fake_stop(&s);
    }
}

static void anvil_missing_is_reported_with_the_fix(void **state) {
    (void)state;
    hx_anvil a;
    char err[512];
    setenv("ANVIL", "/nonexistent/anvil", 1);
    assert_int_equal(hx_anvil_start(&a, 0, NULL, err, sizeof err), -1);
    unsetenv("ANVIL");
    assert_string_equal(err, HX_ANVIL_MISSING);
    assert_non_null(strstr(err, "scripts/setup.sh"));
}

int main(void) {
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest chain[] = {
        cmocka_unit_test(chain_basics),
        cmocka_unit_test(deploy_call_revert_logs),
        cmocka_unit_test(snapshot_and_revert),
    };
    const struct CMUnitTest offline[] = {
        cmocka_unit_test(plain_errors),
        cmocka_unit_test(anvil_missing_is_reported_with_the_fix),
    };
    int failed = cmocka_run_group_tests_name("ds_rpc against anvil", chain, setup, teardown);
    failed += cmocka_run_group_tests_name("ds_rpc failures", offline, NULL, NULL);
    return failed;
}
