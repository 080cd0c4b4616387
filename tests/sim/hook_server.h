/* hook_server.h — a KMS auth-api webhook for tests (kms-governance.md §2), in-process on
 * 127.0.0.1 with a free port: GET / answers the auth api's info, POST /bootAuth/app
 * answers as the test sets it (allow, deny with a reason, slow, garbage, an oversize body,
 * a non-2xx status, a wrong shape). Every connection is served on its own thread, so a
 * slow answer never holds the others. It counts the calls and keeps the last BootInfo.
 */
#ifndef HOOK_SERVER_H
#define HOOK_SERVER_H

typedef enum {
    HOOK_ALLOW, /* {"isAllowed":true,"reason":"","gatewayAppId":"gw-test"} */
    HOOK_DENY,  /* {"isAllowed":false,"reason":<text>,"gatewayAppId":""} */
    HOOK_SLOW,  /* waits delay_ms, then allows */
    HOOK_RAW,   /* status `status`, body <text> verbatim */
    HOOK_HUGE,  /* 200 with a 1 MiB JSON body */
} hook_mode;

typedef struct hook_server hook_server;

/* Starts listening; asserts on failure. */
hook_server *hook_start(void);
int hook_port(const hook_server *h);
/* What POST /bootAuth/app answers from now on (text: the reason or the raw body). */
void hook_set(hook_server *h, hook_mode mode, int status, const char *text, int delay_ms);
/* POST /bootAuth/app and GET / requests so far. */
int hook_posts(hook_server *h);
int hook_gets(hook_server *h);
/* The body of the last POST /bootAuth/app (malloc'd; "" before any). */
char *hook_last_body(hook_server *h);
/* Stops listening and waits for every connection thread (a slow one is cut short). */
void hook_stop(hook_server *h);

#endif
