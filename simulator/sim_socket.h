/* sim_socket.h — creating the listening sockets safely.
 */
#ifndef SIM_SOCKET_H
#define SIM_SOCKET_H

#include <stddef.h>
#include <sys/types.h>

/* A Unix socket file this process created (so that only it is removed at exit). */
typedef struct {
    char *path;   /* as given */
    dev_t dev;
    ino_t ino;
} sim_sockfile;

/* Binds and listens on a Unix socket at path with permissions mode.
 *  - a symlink at path is refused (never followed);
 *  - an existing non-socket file is refused;
 *  - an existing socket with a live server behind it (connect() succeeds) is refused;
 *  - a stale socket (connection refused) is replaced.
 * Returns the fd, or -1 with a message in err. On success fills *sf. */
int sim_unix_listen(const char *path, mode_t mode, sim_sockfile *sf, char *err, size_t errcap);

/* Removes the socket file if it is still the one we created. Frees sf->path. */
void sim_sockfile_remove(sim_sockfile *sf);

/* Listens on loopback TCP "HOST:PORT" (HOST: 127.x.y.z, localhost, [::1] or ::1).
 * Non-loopback addresses are refused unless allow_non_loopback (--allow-non-loopback:
 * then a warning is printed, since anyone who can connect gets keys). Port 0 picks a
 * free port; the bound port is stored in *bound_port. Returns the fd or -1 with a
 * message in err. */
int sim_tcp_listen(const char *addr, int allow_non_loopback, int *bound_port, char *err,
                   size_t errcap);

#endif
