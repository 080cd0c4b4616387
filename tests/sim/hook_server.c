/* hook_server.c — the test webhook (see hook_server.h). */
#include "hook_server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

struct hook_server {
    int fd, port;
    pthread_t acceptor;
    pthread_mutex_t mu;
    pthread_cond_t idle;
    int stopping, active;
    hook_mode mode;
    int status, delay_ms;
    char text[4096];
    int posts, gets;
    char *last;
};

typedef struct {
    hook_server *h;
    int fd;
} conn_arg;

static void send_all(int fd, const char *p, size_t n) {
    while (n) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w <= 0) return;
        p += w;
        n -= (size_t)w;
    }
}

static void reply(int fd, int status, const char *body, size_t n) {
    char head[256];
    int hn = snprintf(head, sizeof head,
                      "HTTP/1.1 %d X\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n"
                      "Connection: close\r\n\r\n",
                      status, n);
    send_all(fd, head, (size_t)hn);
    send_all(fd, body, n);
}

/* Reads one request (headers + Content-Length body) into buf; returns its length or -1. */
static int read_request(int fd, char *buf, size_t cap, char **body) {
    size_t n = 0;
    for (;;) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (poll(&p, 1, 5000) <= 0) return -1;
        ssize_t r = recv(fd, buf + n, cap - 1 - n, 0);
        if (r <= 0) return -1;
        n += (size_t)r;
        buf[n] = '\0';
        char *end = strstr(buf, "\r\n\r\n");
        if (!end) {
            if (n + 1 >= cap) return -1;
            continue;
        }
        const char *cl = strstr(buf, "Content-Length:");
        size_t want = cl && cl < end ? (size_t)strtoul(cl + 15, NULL, 10) : 0;
        *body = end + 4;
        if ((size_t)(buf + n - *body) >= want) return (int)n;
        if (n + 1 >= cap) return -1;
    }
}

static void *serve(void *arg) {
    conn_arg *c = arg;
    hook_server *h = c->h;
    int fd = c->fd;
    free(c);
    char *buf = malloc(65536);
    char *body = NULL;
    if (buf && read_request(fd, buf, 65536, &body) > 0) {
        pthread_mutex_lock(&h->mu);
        int post = !strncmp(buf, "POST /bootAuth/app ", 19);
        int get = !strncmp(buf, "GET / ", 6);
        if (post) {
            h->posts++;
            free(h->last);
            h->last = strdup(body);
        }
        if (get) h->gets++;
        hook_mode mode = h->mode;
        int status = h->status, delay = h->delay_ms;
        char text[4096];
        snprintf(text, sizeof text, "%s", h->text);
        pthread_mutex_unlock(&h->mu);
        char out[8192];
        if (get) {
            snprintf(out, sizeof out,
                     "{\"status\":\"ok\",\"kmsContractAddr\":\"0x5fbdb2315678afecb367f032d93f642f"
                     "64180aa3\",\"ethRpcUrl\":\"http://127.0.0.1:8545\",\"gatewayAppId\":"
                     "\"gw-test\",\"chainId\":31337,\"appAuthImplementation\":\"0xe7f1725e7734ce"
                     "288f8367e1bb143e90bb3f0512\",\"appImplementation\":\"0xe7f1725e7734ce288f83"
                     "67e1bb143e90bb3f0512\"}");
            reply(fd, 200, out, strlen(out));
        } else if (!post) {
            reply(fd, 404, "{\"error\":\"not found\"}", 21);
        } else if (mode == HOOK_ALLOW || mode == HOOK_SLOW) {
            for (int waited = 0; mode == HOOK_SLOW && waited < delay; waited += 20) {
                pthread_mutex_lock(&h->mu);
                int stop = h->stopping;
                pthread_mutex_unlock(&h->mu);
                if (stop) break;
                usleep(20000);
            }
            snprintf(out, sizeof out,
                     "{\"isAllowed\":true,\"reason\":\"\",\"gatewayAppId\":\"gw-test\"}");
            reply(fd, 200, out, strlen(out));
        } else if (mode == HOOK_DENY) {
            snprintf(out, sizeof out,
                     "{\"isAllowed\":false,\"reason\":\"%s\",\"gatewayAppId\":\"\"}", text);
            reply(fd, 200, out, strlen(out));
        } else if (mode == HOOK_RAW) {
            reply(fd, status, text, strlen(text));
        } else { /* HOOK_HUGE */
            size_t n = 1u << 20;
            char *big = malloc(n);
            if (big) {
                memset(big, ' ', n);
                big[0] = '[';
                big[n - 1] = ']';
                reply(fd, 200, big, n);
                free(big);
            }
        }
    }
    free(buf);
    close(fd);
    pthread_mutex_lock(&h->mu);
    h->active--;
    pthread_cond_broadcast(&h->idle);
    pthread_mutex_unlock(&h->mu);
    return NULL;
}

static void *acceptor(void *arg) {
    hook_server *h = arg;
    for (;;) {
        struct pollfd p = {.fd = h->fd, .events = POLLIN};
        int pr = poll(&p, 1, 50);
        pthread_mutex_lock(&h->mu);
        int stop = h->stopping;
        pthread_mutex_unlock(&h->mu);
        if (stop) return NULL;
        if (pr <= 0) continue;
        int fd = accept(h->fd, NULL, NULL);
        if (fd < 0) continue;
        conn_arg *c = malloc(sizeof *c);
        pthread_t t;
        pthread_mutex_lock(&h->mu);
        h->active++;
        pthread_mutex_unlock(&h->mu);
        c->h = h;
        c->fd = fd;
        if (pthread_create(&t, NULL, serve, c) == 0) {
            pthread_detach(t);
        } else {
            free(c);
            close(fd);
            pthread_mutex_lock(&h->mu);
            h->active--;
            pthread_mutex_unlock(&h->mu);
        }
    }
}

hook_server *hook_start(void) {
    hook_server *h = calloc(1, sizeof *h);
    assert_non_null(h);
    pthread_mutex_init(&h->mu, NULL);
    pthread_cond_init(&h->idle, NULL);
    h->fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(h->fd >= 0);
    struct sockaddr_in sin;
    memset(&sin, 0, sizeof sin);
    sin.sin_family = AF_INET;
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(h->fd, (struct sockaddr *)&sin, sizeof sin), 0);
    assert_int_equal(listen(h->fd, 64), 0);
    socklen_t sl = sizeof sin;
    assert_int_equal(getsockname(h->fd, (struct sockaddr *)&sin, &sl), 0);
    h->port = ntohs(sin.sin_port);
    h->mode = HOOK_ALLOW;
    assert_int_equal(pthread_create(&h->acceptor, NULL, acceptor, h), 0);
    return h;
}

int hook_port(const hook_server *h) { return h->port; }

void hook_set(hook_server *h, hook_mode mode, int status, const char *text, int delay_ms) {
    pthread_mutex_lock(&h->mu);
    h->mode = mode;
    h->status = status;
    h->delay_ms = delay_ms;
    snprintf(h->text, sizeof h->text, "%s", text ? text : "");
    pthread_mutex_unlock(&h->mu);
}

int hook_posts(hook_server *h) {
    pthread_mutex_lock(&h->mu);
    int n = h->posts;
    pthread_mutex_unlock(&h->mu);
    return n;
}

int hook_gets(hook_server *h) {
    pthread_mutex_lock(&h->mu);
    int n = h->gets;
    pthread_mutex_unlock(&h->mu);
    return n;
}

char *hook_last_body(hook_server *h) {
    pthread_mutex_lock(&h->mu);
    char *s = strdup(h->last ? h->last : "");
    pthread_mutex_unlock(&h->mu);
    return s;
}

void hook_stop(hook_server *h) {
    pthread_mutex_lock(&h->mu);
    h->stopping = 1;
    pthread_mutex_unlock(&h->mu);
    pthread_join(h->acceptor, NULL);
    close(h->fd);
    pthread_mutex_lock(&h->mu);
    while (h->active > 0)
        pthread_cond_wait(&h->idle, &h->mu);
    pthread_mutex_unlock(&h->mu);
    free(h->last);
    free(h);
}
