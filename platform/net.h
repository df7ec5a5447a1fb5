/*
 * net.h - sockets: listen, accept, connect, addresses.  Every socket made
 * here is non-blocking and close-on-exec.  Errors come back as -1 with errno.
 */
#ifndef PINFOLD_NET_H
#define PINFOLD_NET_H

#include <stddef.h>
#include <sys/socket.h>

#define NET_ADDRSTRLEN 64 /* "[ffff:...:ffff]:65535" and NUL */

/* Bind and listen (SO_REUSEADDR; IPV6_V6ONLY on v6 so v4 and v6 can coexist). */
int net_listen(const struct sockaddr *sa, socklen_t len, int backlog);

/*
 * SocketFrom: connect to the UNIX socket at `path` and receive one already bound,
 * listening socket over it (SCM_RIGHTS), waiting at most timeout_ms for it.  The
 * socket must be a listening SOCK_STREAM IPv4 or IPv6 socket; it is made
 * non-blocking and close-on-exec.  Returns its fd, or -1 with a message in err.
 */
int net_receive_listener(const char *path, int timeout_ms, char *err, size_t errlen);

/* Accept one connection; -1 with EAGAIN when none is waiting.  Sets TCP_NODELAY. */
int net_accept(int lfd, struct sockaddr_storage *peer, socklen_t *peerlen);

/*
 * Start a non-blocking connect.  Returns the fd; *in_progress is 1 when the
 * connect has not completed yet (wait for POLLOUT, then net_connect_result()).
 */
int net_connect(const struct sockaddr *sa, socklen_t len, int *in_progress);

/* 0 when the pending connect succeeded, else -1 with errno set to its error. */
int net_connect_result(int fd);

/* "1.2.3.4" / "::1" (no port) into buf; returns buf. */
char *net_addr_host(const struct sockaddr *sa, char *buf, size_t len);
/* "1.2.3.4:80" / "[::1]:80" into buf; returns buf. */
char *net_addr_str(const struct sockaddr *sa, char *buf, size_t len);
/* Port of an AF_INET/AF_INET6 address in host order. */
int net_addr_port(const struct sockaddr *sa);

/*
 * Resolve host (IPv4/IPv6 literal or name, first result) and port into *ss.
 * Returns 0, or -1 with a message in err.
 */
int net_resolve(const char *host, int port, struct sockaddr_storage *ss, socklen_t *len,
		char *err, size_t errlen);

#endif
