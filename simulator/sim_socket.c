/* sim_socket.c — Unix and loopback-TCP listeners.
 *
 * The Unix socket dance: lstat the path (refuse symlinks and non-sockets), probe an
 * existing socket with connect() (refuse a live one, unlink a stale one), bind under a
 * umask that yields the requested mode, listen, and remember (dev, ino) so that at exit
 * we remove the file only if it is still ours.
 */
#include "sim_socket.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

int sim_unix_listen(const char *path, mode_t mode, sim_sockfile *sf, char *err, size_t errcap) {
    struct sockaddr_un sa;
    memset(&sa, 0, sizeof sa);
    sa.sun_family = AF_UNIX;
    if (!*path || strlen(path) >= sizeof sa.sun_path) {
        snprintf(err, errcap, "%s: socket path is empty or too long (max %zu bytes)", path,
                 sizeof sa.sun_path - 1);
        return -1;
    }
    memcpy(sa.sun_path, path, strlen(path));
    struct stat sb;
    if (lstat(path, &sb) == 0) {
        if (S_ISLNK(sb.st_mode)) {
            snprintf(err, errcap, "%s is a symbolic link; refusing to use it as the socket", path);
            return -1;
        }
        if (!S_ISSOCK(sb.st_mode)) {
            snprintf(err, errcap, "%s exists and is not a socket; refusing to replace it", path);
            return -1;
        }
        int probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (probe < 0) {
            snprintf(err, errcap, "socket: %s", strerror(errno));
            return -1;
        }
        int live = connect(probe, (struct sockaddr *)&sa, sizeof sa) == 0;
        int cerr = errno;
        close(probe);
        if (live) {
            snprintf(err, errcap,
                     "%s: another server (a running simulator?) is listening on it; stop it "
                     "or choose another path",
                     path);
            return -1;
        }
        if (cerr != ECONNREFUSED && cerr != ENOENT) {
            snprintf(err, errcap, "%s: cannot probe the existing socket: %s", path,
                     strerror(cerr));
            return -1;
        }
        if (unlink(path) != 0 && errno != ENOENT) {
            snprintf(err, errcap, "%s: cannot remove the stale socket: %s", path, strerror(errno));
            return -1;
        }
    } else if (errno != ENOENT) {
        snprintf(err, errcap, "%s: %s", path, strerror(errno));
        return -1;
    }
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        snprintf(err, errcap, "socket: %s", strerror(errno));
        return -1;
    }
    mode_t old = umask((mode_t)(~mode & 0777));
    int rc = bind(fd, (struct sockaddr *)&sa, sizeof sa);
    int berr = errno;
    umask(old);
    if (rc != 0) {
        snprintf(err, errcap, "%s: bind: %s", path, strerror(berr));
        close(fd);
        return -1;
    }
    if (lstat(path, &sb) != 0 || !S_ISSOCK(sb.st_mode) || listen(fd, 1024) != 0) {
        snprintf(err, errcap, "%s: listen: %s", path, strerror(errno));
        close(fd);
        unlink(path);
        return -1;
    }
    sf->path = strdup(path);
    sf->dev = sb.st_dev;
    sf->ino = sb.st_ino;
    return fd;
}

void sim_sockfile_remove(sim_sockfile *sf) {
    struct stat sb;
    if (sf->path && lstat(sf->path, &sb) == 0 && S_ISSOCK(sb.st_mode) && sb.st_dev == sf->dev &&
        sb.st_ino == sf->ino)
        unlink(sf->path);
    free(sf->path);
    sf->path = NULL;
}

static int is_loopback(const struct sockaddr *sa) {
    if (sa->sa_family == AF_INET) {
        uint32_t a = ntohl(((const struct sockaddr_in *)sa)->sin_addr.s_addr);
        return (a >> 24) == 127;
    }
    if (sa->sa_family == AF_INET6) {
        const struct in6_addr *a = &((const struct sockaddr_in6 *)sa)->sin6_addr;
        return IN6_IS_ADDR_LOOPBACK(a);
    }
    return 0;
}

int sim_tcp_listen(const char *addr, int allow_non_loopback, int *bound_port, char *err,
                   size_t errcap) {
    char host[256];
    const char *colon = strrchr(addr, ':');
    if (!colon || colon == addr || (size_t)(colon - addr) >= sizeof host || !colon[1]) {
        snprintf(err, errcap, "--listen %s: expected HOST:PORT, e.g. 127.0.0.1:8090", addr);
        return -1;
    }
    memcpy(host, addr, (size_t)(colon - addr));
    host[colon - addr] = '\0';
    if (host[0] == '[' && host[strlen(host) - 1] == ']') {
        memmove(host, host + 1, strlen(host));
        host[strlen(host) - 1] = '\0';
    }
    struct addrinfo hints, *ai = NULL;
    memset(&hints, 0, sizeof hints);
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICSERV;
    int g = getaddrinfo(host, colon + 1, &hints, &ai);
    if (g != 0 || !ai) {
        snprintf(err, errcap, "--listen %s: %s", addr, gai_strerror(g));
        return -1;
    }
    int fd = -1;
    if (!is_loopback(ai->ai_addr) && !allow_non_loopback) {
        snprintf(err, errcap,
                 "--listen %s: only loopback addresses (127.0.0.0/8, ::1) are allowed: the "
                 "simulator hands out keys to anyone who can connect (--allow-non-loopback "
                 "overrides this)",
                 addr);
        goto out;
    }
    if (!is_loopback(ai->ai_addr))
        fprintf(stderr, "dstack-simulator: warning: --listen %s is not a loopback address "
                        "(--allow-non-loopback): anyone who can reach it gets keys and quotes\n",
                addr);
    fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
        bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 || listen(fd, 1024) != 0) {
        snprintf(err, errcap, "--listen %s: %s", addr, strerror(errno));
        if (fd >= 0) close(fd);
        fd = -1;
        goto out;
    }
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    if (getsockname(fd, (struct sockaddr *)&ss, &sl) == 0)
        *bound_port = ntohs(ss.ss_family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port
                                                    : ((struct sockaddr_in6 *)&ss)->sin6_port);
out:
    freeaddrinfo(ai);
    return fd;
}
