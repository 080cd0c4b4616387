/* bench_request.c — one request at a time, outside any timed window: connect to the
 * simulator's Unix socket (or its loopback TCP listener for /metrics), send one request
 * with "Connection: close", read the whole response. Used to emit events, read response
 * sizes, compare replies and scrape /metrics.
 */
#include "bench.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <unistd.h>

#include "ds_unix.h"


/* One request/response on a connected stream socket; the body or NULL. */
static char *exchange(int fd, const char *method, const char *path, const char *body, int *status,
                      size_t *body_len) {
    char head[512];
    size_t blen = body ? strlen(body) : 0;
    int hl = snprintf(head, sizeof head,
                      "%s %s HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                      "Content-Length: %zu\r\nConnection: close\r\n\r\n",
                      method, path, blen);
    if (send(fd, head, (size_t)hl, MSG_NOSIGNAL) != hl ||
        (blen && send(fd, body, blen, MSG_NOSIGNAL) != (ssize_t)blen))
        return NULL;
    size_t len = 0, cap = 65536;
    char *buf = malloc(cap);
    for (;;) {
        if (!buf) return NULL;
        if (cap - len < 4096) {
            char *nb = realloc(buf, cap *= 2);
            if (!nb) {
                free(buf);
                return NULL;
            }
            buf = nb;
        }
        ssize_t n = recv(fd, buf + len, cap - len - 1, 0);
        if (n <= 0) break;
        len += (size_t)n;
    }
    buf[len] = '\0';
    char *end = strstr(buf, "\r\n\r\n");
    if (!end || sscanf(buf, "HTTP/1.1 %d", status) != 1) {
        free(buf);
        return NULL;
    }
    size_t off = (size_t)(end + 4 - buf);
    memmove(buf, end + 4, len - off + 1);
    *body_len = len - off;
    return buf;
}

char *bench_request(const char *sock, const char *method, const char *path, const char *body,
                    int *status, size_t *body_len) {
    int fd = ds_unix_connect(sock);
    if (fd < 0) return NULL;
    char *r = exchange(fd, method, path, body, status, body_len);
    close(fd);
    return r;
}

int bench_tcp_connect(int port) {
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
        close(fd);
        fd = -1;
    }
    return fd;
}

char *bench_request_tcp(int port, const char *path, int *status, size_t *body_len) {
    int fd = bench_tcp_connect(port);
    if (fd < 0) return NULL;
    char *r = exchange(fd, "GET", path, NULL, status, body_len);
    close(fd);
    return r;
}
