/* ds_unix.h — connecting to a Unix stream socket (the simulator's sockets), shared by the
 * test helpers, the benchmark and ds_testsim.
 */
#ifndef DS_UNIX_H
#define DS_UNIX_H

/* A blocking, close-on-exec stream socket connected to the Unix socket at path. Returns
 * the fd (the caller closes it), or -1 with errno set: ENAMETOOLONG when path does not fit
 * sockaddr_un, EINVAL for NULL, else what socket() or connect() set. */
int ds_unix_connect(const char *path);

#endif
