/*
 * net.c - TCP sockets for listeners and backends, and address text.
 *
 * Every socket is non-blocking and close-on-exec from birth where the
 * system allows it (SOCK_NONBLOCK/SOCK_CLOEXEC, accept4 on Linux and
 * FreeBSD), with an fcntl fallback elsewhere.  Errors return -1 with errno
 * intact, so callers can tell EAGAIN from a real failure.
 */
#if defined(__linux__)
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* accept4, SOCK_NONBLOCK, SOCK_CLOEXEC (glibc and musl) */
#endif
#elif defined(__FreeBSD__)
#define __BSD_VISIBLE 1 /* accept4, SOCK_NONBLOCK under _POSIX_C_SOURCE */
#endif

#include "net.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#if (defined(__linux__) || defined(__FreeBSD__)) && defined(SOCK_NONBLOCK) && defined(SOCK_CLOEXEC)
#define NET_HAVE_SOCK_FLAGS 1
#endif

/* Close fd without letting close() overwrite the errno being reported. */
static void close_keep_errno(int fd)
{
	int saved = errno;

	close(fd);
	errno = saved;
}

static int set_nonblock_cloexec(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
		return -1;
	fl = fcntl(fd, F_GETFD);
	if (fl < 0 || fcntl(fd, F_SETFD, fl | FD_CLOEXEC) < 0)
		return -1;
	return 0;
}

static int new_socket(int family)
{
	int fd;

#ifdef NET_HAVE_SOCK_FLAGS
	/* EINVAL is a kernel older than its headers: then do it the slow way. */
	fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd >= 0 || errno != EINVAL)
		return fd;
#endif
	fd = socket(family, SOCK_STREAM, 0);
	if (fd < 0)
		return -1;
	if (set_nonblock_cloexec(fd) < 0) {
		close_keep_errno(fd);
		return -1;
	}
	return fd;
}

static int set_int_opt(int fd, int level, int name, int val)
{
	return setsockopt(fd, level, name, &val, sizeof(val));
}

/* Is fd a listening TCP socket (IPv4 or IPv6)?  0, or -1 with the reason in err. */
static int check_listener(int fd, char *err, size_t errlen)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	int v = 0;
	socklen_t vl = sizeof(v);

	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &v, &vl) < 0) {
		snprintf(err, errlen, "the descriptor received is not a socket (%s)", strerror(errno));
		return -1;
	}
	if (v != SOCK_STREAM) {
		snprintf(err, errlen, "the socket received is not a stream (TCP) socket");
		return -1;
	}
#ifdef SO_ACCEPTCONN
	vl = sizeof(v);
	if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &v, &vl) == 0 && !v) {
		snprintf(err, errlen, "the socket received is not listening (listen() was not called)");
		return -1;
	}
#endif
	if (getsockname(fd, (struct sockaddr *)&ss, &sl) < 0 ||
	    (ss.ss_family != AF_INET && ss.ss_family != AF_INET6)) {
		snprintf(err, errlen, "the socket received is not an IPv4 or IPv6 socket");
		return -1;
	}
	return 0;
}

int net_receive_listener(const char *path, int timeout_ms, char *err, size_t errlen)
{
	struct sockaddr_un ua;
	struct timeval tv;
	struct msghdr mh;
	struct iovec iov;
	struct cmsghdr *cm;
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(4 * sizeof(int))]; /* room for a few, so extras can be closed */
	} ctl;
	char byte;
	ssize_t n;
	int us, fd = -1, flags = 0;

	if (strlen(path) >= sizeof(ua.sun_path)) {
		snprintf(err, errlen, "%s: the path is too long for a UNIX socket", path);
		return -1;
	}
	us = socket(AF_UNIX, SOCK_STREAM, 0);
	if (us < 0) {
		snprintf(err, errlen, "cannot make a UNIX socket: %s", strerror(errno));
		return -1;
	}
	memset(&ua, 0, sizeof(ua));
	ua.sun_family = AF_UNIX;
	memcpy(ua.sun_path, path, strlen(path) + 1);
	tv.tv_sec = timeout_ms / 1000;
	tv.tv_usec = (timeout_ms % 1000) * 1000;
	if (setsockopt(us, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0 ||
	    connect(us, (struct sockaddr *)&ua, sizeof(ua)) < 0) {
		snprintf(err, errlen, "cannot connect to %s: %s", path, strerror(errno));
		goto fail;
	}
	memset(&mh, 0, sizeof(mh));
	memset(&ctl, 0, sizeof(ctl));
	iov.iov_base = &byte;
	iov.iov_len = 1;
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = ctl.buf;
	mh.msg_controllen = sizeof(ctl.buf);
#ifdef MSG_CMSG_CLOEXEC
	flags |= MSG_CMSG_CLOEXEC; /* no window in which the fd could leak into a child */
#endif
	do
		n = recvmsg(us, &mh, flags);
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		snprintf(err, errlen, "%s: no socket received: %s", path,
			 errno == EAGAIN || errno == EWOULDBLOCK ? "timed out" : strerror(errno));
		goto fail;
	}
	for (cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm)) {
		const unsigned char *data = CMSG_DATA(cm);
		size_t nfd;

		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
			continue;
		nfd = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < nfd; i++) {
			int got;

			memcpy(&got, data + i * sizeof(int), sizeof(int));
			if (fd < 0)
				fd = got;
			else
				close(got); /* one listener per SocketFrom */
		}
	}
	if (mh.msg_flags & MSG_CTRUNC) {
		snprintf(err, errlen, "%s: more descriptors were sent than expected", path);
		goto fail;
	}
	if (fd < 0) {
		snprintf(err, errlen, "%s: the peer %s without sending a socket (SCM_RIGHTS)", path,
			 n == 0 ? "closed the connection" : "sent data");
		goto fail;
	}
	if (check_listener(fd, err, errlen) < 0)
		goto fail;
	if (set_nonblock_cloexec(fd) < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto fail;
	}
	close(us);
	return fd;
fail:
	if (fd >= 0)
		close(fd);
	close(us);
	return -1;
}

int net_listen(const struct sockaddr *sa, socklen_t len, int backlog)
{
	int fd = new_socket(sa->sa_family);

	if (fd < 0)
		return -1;
	/* Restart without waiting out TIME_WAIT from the previous run. */
	if (set_int_opt(fd, SOL_SOCKET, SO_REUSEADDR, 1) < 0)
		goto fail;
	/* Separate v4 and v6 listeners on one port must not collide. */
	if (sa->sa_family == AF_INET6 && set_int_opt(fd, IPPROTO_IPV6, IPV6_V6ONLY, 1) < 0)
		goto fail;
	if (bind(fd, sa, len) < 0)
		goto fail;
	if (listen(fd, backlog) < 0)
		goto fail;
	return fd;
fail:
	close_keep_errno(fd);
	return -1;
}

int net_accept(int lfd, struct sockaddr_storage *peer, socklen_t *peerlen)
{
	struct sockaddr_storage ss;
	socklen_t sslen = sizeof(ss);
	int fd;

	ss.ss_family = AF_UNSPEC; /* some systems fill nothing in for a peer already gone */
	for (;;) {
#ifdef NET_HAVE_SOCK_FLAGS
		fd = accept4(lfd, (struct sockaddr *)&ss, &sslen, SOCK_NONBLOCK | SOCK_CLOEXEC);
#else
		fd = accept(lfd, (struct sockaddr *)&ss, &sslen);
#endif
		if (fd >= 0 || errno != EINTR)
			break;
		sslen = sizeof(ss);
	}
	if (fd < 0)
		return -1;
#ifndef NET_HAVE_SOCK_FLAGS
	/* An accepted socket does not reliably inherit O_NONBLOCK (Linux). */
	if (set_nonblock_cloexec(fd) < 0)
		goto fail;
#endif
	/*
	 * Heads and small bodies go out in one writev(); Nagle would only hold
	 * the last segment back waiting for an ACK.  On a connection the peer
	 * already reset this can fail (FreeBSD: ECONNRESET), which the caller
	 * treats like any other failed accept.
	 */
	if (ss.ss_family != AF_UNIX && set_int_opt(fd, IPPROTO_TCP, TCP_NODELAY, 1) < 0)
		goto fail;
	if (peer)
		memcpy(peer, &ss, sizeof(ss));
	if (peerlen)
		*peerlen = sslen;
	return fd;
fail:
	close_keep_errno(fd);
	return -1;
}

int net_connect(const struct sockaddr *sa, socklen_t len, int *in_progress)
{
	int fd = new_socket(sa->sa_family);
	int r;

	if (in_progress)
		*in_progress = 0;
	if (fd < 0)
		return -1;
	if (set_int_opt(fd, IPPROTO_TCP, TCP_NODELAY, 1) < 0)
		goto fail;
	r = connect(fd, sa, len);
	if (r == 0)
		return fd;
	/* Interrupted, a non-blocking connect carries on in the background. */
	if (errno == EINPROGRESS || errno == EINTR) {
		if (in_progress)
			*in_progress = 1;
		return fd;
	}
fail:
	close_keep_errno(fd);
	return -1;
}

int net_connect_result(int fd)
{
	int err = 0;
	socklen_t len = sizeof(err);

	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
		return -1;
	if (err != 0) {
		errno = err;
		return -1;
	}
	return 0;
}

/* Writes s into buf, cut to fit; buf is always terminated when len > 0. */
static char *copy_str(char *buf, size_t len, const char *s)
{
	if (len == 0)
		return buf;
	snprintf(buf, len, "%s", s);
	return buf;
}

char *net_addr_host(const struct sockaddr *sa, char *buf, size_t len)
{
	char tmp[INET6_ADDRSTRLEN];
	const void *a = NULL;
	int family = sa->sa_family;

	if (family == AF_INET) {
		a = &((const struct sockaddr_in *)(const void *)sa)->sin_addr;
	} else if (family == AF_INET6) {
		const struct in6_addr *a6 =
		    &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr;

		/* A dual-stack peer ::ffff:a.b.c.d is an IPv4 client: log it as one. */
		if (IN6_IS_ADDR_V4MAPPED(a6)) {
			family = AF_INET;
			a = &a6->s6_addr[12];
		} else {
			a = a6;
		}
	} else if (family == AF_UNIX) {
		return copy_str(buf, len, "unix");
	}
	if (!a || !inet_ntop(family, a, tmp, sizeof(tmp)))
		return copy_str(buf, len, "?");
	return copy_str(buf, len, tmp);
}

char *net_addr_str(const struct sockaddr *sa, char *buf, size_t len)
{
	char host[INET6_ADDRSTRLEN];
	int v6 = 0;

	if (sa->sa_family == AF_INET6) {
		const struct in6_addr *a6 =
		    &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr;

		v6 = !IN6_IS_ADDR_V4MAPPED(a6);
	} else if (sa->sa_family != AF_INET) {
		return net_addr_host(sa, buf, len);
	}
	net_addr_host(sa, host, sizeof(host));
	if (len > 0)
		snprintf(buf, len, v6 ? "[%s]:%d" : "%s:%d", host, net_addr_port(sa));
	return buf;
}

int net_addr_port(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET)
		return ntohs(((const struct sockaddr_in *)(const void *)sa)->sin_port);
	if (sa->sa_family == AF_INET6)
		return ntohs(((const struct sockaddr_in6 *)(const void *)sa)->sin6_port);
	return -1;
}

int net_resolve(const char *host, int port, struct sockaddr_storage *ss, socklen_t *len, char *err,
                size_t errlen)
{
	struct addrinfo hints, *res = NULL, *ai;
	char name[256], service[8];
	size_t n;
	int r;

	if (!host || !*host) {
		snprintf(err, errlen, "empty host name");
		return -1;
	}
	if (port < 0 || port > 65535) {
		snprintf(err, errlen, "port %d out of range (0-65535)", port);
		return -1;
	}
	/* Accept "[::1]" too, as people write it next to a port. */
	n = strlen(host);
	if (host[0] == '[' && n >= 2 && host[n - 1] == ']') {
		host++;
		n -= 2;
	}
	if (n >= sizeof(name)) {
		snprintf(err, errlen, "host name too long (%zu bytes)", n);
		return -1;
	}
	memcpy(name, host, n);
	name[n] = '\0';
	snprintf(service, sizeof(service), "%d", port);

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	/*
	 * No AI_ADDRCONFIG: it hides ::1 and 127.0.0.1 on a router whose only
	 * configured addresses are loopback, exactly where pinfold lives.
	 */
	hints.ai_flags = AI_NUMERICSERV;
	r = getaddrinfo(name, service, &hints, &res);
	if (r != 0) {
		snprintf(err, errlen, "cannot resolve \"%s\": %s", name,
		         r == EAI_SYSTEM ? strerror(errno) : gai_strerror(r));
		return -1;
	}
	/* The first answer is the one the resolver prefers (RFC 6724 order). */
	for (ai = res; ai; ai = ai->ai_next)
		if ((ai->ai_family == AF_INET || ai->ai_family == AF_INET6) &&
		    ai->ai_addrlen <= sizeof(*ss))
			break;
	if (!ai) {
		snprintf(err, errlen, "cannot resolve \"%s\": no IPv4 or IPv6 address", name);
		goto fail;
	}
	memset(ss, 0, sizeof(*ss));
	memcpy(ss, ai->ai_addr, ai->ai_addrlen);
	*len = (socklen_t)ai->ai_addrlen;
	freeaddrinfo(res);
	return 0;
fail:
	freeaddrinfo(res);
	return -1;
}
