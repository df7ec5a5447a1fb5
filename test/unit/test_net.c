/*
 * test_net.c - sockets on loopback only: listen on 127.0.0.1 and ::1,
 * non-blocking connect and accept, a refused connect reported through
 * net_connect_result, the socket options every fd must carry, address
 * text, and name resolution.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "slow.h"
#include "net.h"

#define WAIT_MS 5000

static socklen_t make_v4(struct sockaddr_storage *ss, const char *ip, int port)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;

	memset(ss, 0, sizeof(*ss));
	sin->sin_family = AF_INET;
	sin->sin_port = htons((uint16_t)port);
	assert_int_equal(inet_pton(AF_INET, ip, &sin->sin_addr), 1);
	return sizeof(*sin);
}

static socklen_t make_v6(struct sockaddr_storage *ss, const char *ip, int port)
{
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	sin6->sin6_family = AF_INET6;
	sin6->sin6_port = htons((uint16_t)port);
	assert_int_equal(inet_pton(AF_INET6, ip, &sin6->sin6_addr), 1);
	return sizeof(*sin6);
}

static int int_opt(int fd, int level, int name)
{
	int v = -1;
	socklen_t len = sizeof(v);

	assert_int_equal(getsockopt(fd, level, name, &v, &len), 0);
	return v;
}

/* What net.h promises for every socket it hands out. */
static void assert_nonblock_cloexec(int fd)
{
	int fl = fcntl(fd, F_GETFL);
	int fdfl = fcntl(fd, F_GETFD);

	assert_true(fl >= 0 && (fl & O_NONBLOCK));
	assert_true(fdfl >= 0 && (fdfl & FD_CLOEXEC));
}

static int wait_for(int fd, short events)
{
	struct pollfd p = {fd, events, 0};
	int r;

	do
		r = poll(&p, 1, SLOW_MS(WAIT_MS));
	while (r < 0 && errno == EINTR);
	assert_int_equal(r, 1);
	return p.revents;
}

static int bound_port(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	assert_int_equal(getsockname(fd, (struct sockaddr *)&ss, &len), 0);
	return net_addr_port((struct sockaddr *)&ss);
}

/* Listen on ip:0 (the kernel picks a port); -1 when the family is missing. */
static int listen_any(int v6, const char *ip, struct sockaddr_storage *ss, socklen_t *len)
{
	int fd;

	*len = v6 ? make_v6(ss, ip, 0) : make_v4(ss, ip, 0);
	fd = net_listen((struct sockaddr *)ss, *len, 16);
	if (fd < 0 && v6 && (errno == EAFNOSUPPORT || errno == EADDRNOTAVAIL))
		return -1;
	assert_true(fd >= 0);
	if (v6)
		((struct sockaddr_in6 *)ss)->sin6_port = htons((uint16_t)bound_port(fd));
	else
		((struct sockaddr_in *)ss)->sin_port = htons((uint16_t)bound_port(fd));
	return fd;
}

static void test_listen_v4(void **state)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd = listen_any(0, "127.0.0.1", &ss, &len);

	assert_nonblock_cloexec(fd);
	assert_int_not_equal(int_opt(fd, SOL_SOCKET, SO_REUSEADDR), 0);
	assert_true(net_addr_port((struct sockaddr *)&ss) > 0);
	close(fd);
}

static void test_listen_v6(void **state)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd = listen_any(1, "::1", &ss, &len);

	if (fd < 0) {
		print_message("SKIP: no IPv6 loopback (::1) on this machine\n");
		skip();
	}
	assert_nonblock_cloexec(fd);
	assert_int_not_equal(int_opt(fd, SOL_SOCKET, SO_REUSEADDR), 0);
	assert_int_not_equal(int_opt(fd, IPPROTO_IPV6, IPV6_V6ONLY), 0);
	close(fd);
}

static void test_listen_in_use(void **state)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd = listen_any(0, "127.0.0.1", &ss, &len);

	/* Two listeners on one port is a configuration error, not a success. */
	assert_int_equal(net_listen((struct sockaddr *)&ss, len, 16), -1);
	assert_int_equal(errno, EADDRINUSE);
	close(fd);
}

static void connect_accept(int v6, const char *ip)
{
	struct sockaddr_storage ss, peer, local;
	socklen_t len, peerlen = 0, locallen = sizeof(local);
	char text[NET_ADDRSTRLEN];
	int lfd, cfd, afd, in_progress = -1;
	char c = 'x';

	lfd = listen_any(v6, ip, &ss, &len);
	if (lfd < 0) {
		print_message("SKIP: cannot listen on %s here\n", ip);
		skip();
	}

	/* Nothing waiting yet: EAGAIN, not a block. */
	assert_int_equal(net_accept(lfd, &peer, &peerlen), -1);
	assert_true(errno == EAGAIN || errno == EWOULDBLOCK);

	cfd = net_connect((struct sockaddr *)&ss, len, &in_progress);
	assert_true(cfd >= 0);
	assert_true(in_progress == 0 || in_progress == 1);
	assert_nonblock_cloexec(cfd);
	assert_int_not_equal(int_opt(cfd, IPPROTO_TCP, TCP_NODELAY), 0);
	if (in_progress)
		assert_true(wait_for(cfd, POLLOUT) & POLLOUT);
	assert_int_equal(net_connect_result(cfd), 0);

	assert_true(wait_for(lfd, POLLIN) & POLLIN);
	afd = net_accept(lfd, &peer, &peerlen);
	assert_true(afd >= 0);
	assert_nonblock_cloexec(afd);
	assert_int_not_equal(int_opt(afd, IPPROTO_TCP, TCP_NODELAY), 0);

	/* The peer is the connecting socket, family and port alike. */
	assert_int_equal(getsockname(cfd, (struct sockaddr *)&local, &locallen), 0);
	assert_int_equal(peer.ss_family, v6 ? AF_INET6 : AF_INET);
	assert_int_equal(peerlen, locallen);
	assert_int_equal(net_addr_port((struct sockaddr *)&peer),
	                 net_addr_port((struct sockaddr *)&local));
	assert_string_equal(net_addr_host((struct sockaddr *)&peer, text, sizeof(text)), ip);

	/* Bytes flow both ways. */
	assert_int_equal(write(cfd, &c, 1), 1);
	assert_true(wait_for(afd, POLLIN) & POLLIN);
	c = 0;
	assert_int_equal(read(afd, &c, 1), 1);
	assert_int_equal(c, 'x');
	assert_int_equal(write(afd, "y", 1), 1);
	assert_true(wait_for(cfd, POLLIN) & POLLIN);
	assert_int_equal(read(cfd, &c, 1), 1);
	assert_int_equal(c, 'y');

	/* Accept tolerates NULL outputs. */
	close(afd);
	close(cfd);
	cfd = net_connect((struct sockaddr *)&ss, len, &in_progress);
	assert_true(cfd >= 0);
	assert_true(wait_for(lfd, POLLIN) & POLLIN);
	afd = net_accept(lfd, NULL, NULL);
	assert_true(afd >= 0);
	close(afd);
	close(cfd);
	close(lfd);
}

static void test_connect_accept_v4(void **state)
{
	connect_accept(0, "127.0.0.1");
}

static void test_connect_accept_v6(void **state)
{
	connect_accept(1, "::1");
}

static void test_connect_refused(void **state)
{
	struct sockaddr_storage ss;
	socklen_t len = make_v4(&ss, "127.0.0.1", 0);
	int hold, fd, in_progress = -1;

	/* A bound, never-listening socket keeps the port ours and closed. */
	hold = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(hold >= 0);
	assert_int_equal(bind(hold, (struct sockaddr *)&ss, len), 0);
	((struct sockaddr_in *)&ss)->sin_port = htons((uint16_t)bound_port(hold));

	fd = net_connect((struct sockaddr *)&ss, len, &in_progress);
	if (fd < 0) {
		/* Some kernels refuse on loopback right away. */
		assert_int_equal(errno, ECONNREFUSED);
	} else {
		assert_int_equal(in_progress, 1);
		assert_true(wait_for(fd, POLLOUT) & (POLLOUT | POLLERR | POLLHUP));
		errno = 0;
		assert_int_equal(net_connect_result(fd), -1);
		assert_int_equal(errno, ECONNREFUSED);
		close(fd);
	}
	close(hold);
}

static void test_formats(void **state)
{
	struct sockaddr_storage ss;
	struct sockaddr *sa = (struct sockaddr *)&ss;
	char buf[NET_ADDRSTRLEN], small[6];

	make_v4(&ss, "127.0.0.1", 80);
	assert_string_equal(net_addr_host(sa, buf, sizeof(buf)), "127.0.0.1");
	assert_string_equal(net_addr_str(sa, buf, sizeof(buf)), "127.0.0.1:80");
	assert_int_equal(net_addr_port(sa), 80);

	make_v4(&ss, "127.255.255.254", 65535);
	assert_string_equal(net_addr_str(sa, buf, sizeof(buf)), "127.255.255.254:65535");

	make_v6(&ss, "::1", 8080);
	assert_string_equal(net_addr_host(sa, buf, sizeof(buf)), "::1");
	assert_string_equal(net_addr_str(sa, buf, sizeof(buf)), "[::1]:8080");
	assert_int_equal(net_addr_port(sa), 8080);

	/* A v4 client seen through a dual-stack socket reads as plain v4. */
	make_v6(&ss, "::ffff:127.0.0.2", 443);
	assert_string_equal(net_addr_host(sa, buf, sizeof(buf)), "127.0.0.2");
	assert_string_equal(net_addr_str(sa, buf, sizeof(buf)), "127.0.0.2:443");

	/* Too small: cut, but terminated, and the same buffer comes back. */
	make_v4(&ss, "127.0.0.1", 7080);
	assert_ptr_equal(net_addr_str(sa, small, sizeof(small)), small);
	assert_string_equal(small, "127.0");
	assert_string_equal(net_addr_host(sa, small, sizeof(small)), "127.0");

	/* Not an IP address: no port, and text that says so. */
	memset(&ss, 0, sizeof(ss));
	ss.ss_family = AF_UNIX;
	assert_int_equal(net_addr_port(sa), -1);
	assert_string_equal(net_addr_str(sa, buf, sizeof(buf)), "unix");
}

static void resolve_ok(const char *host, int port, const char *want)
{
	struct sockaddr_storage ss;
	socklen_t len = 0;
	char err[256] = "", buf[NET_ADDRSTRLEN];

	assert_int_equal(net_resolve(host, port, &ss, &len, err, sizeof(err)), 0);
	assert_string_equal(err, "");
	assert_int_equal(len, ss.ss_family == AF_INET ? sizeof(struct sockaddr_in)
	                                              : sizeof(struct sockaddr_in6));
	assert_string_equal(net_addr_str((struct sockaddr *)&ss, buf, sizeof(buf)), want);
}

static void resolve_err(const char *host, int port, const char *want)
{
	struct sockaddr_storage ss;
	socklen_t len = 0;
	char err[256] = "";

	assert_int_equal(net_resolve(host, port, &ss, &len, err, sizeof(err)), -1);
	if (strncmp(err, want, strlen(want)) != 0)
		fail_msg("error \"%s\" does not start with \"%s\"", err, want);
}

static void test_resolve(void **state)
{
	struct sockaddr_storage ss;
	socklen_t len = 0;
	char err[256] = "", buf[NET_ADDRSTRLEN];

	resolve_ok("127.0.0.2", 8123, "127.0.0.2:8123");
	resolve_ok("::1", 80, "[::1]:80");
	resolve_ok("[::1]", 7443, "[::1]:7443");
	resolve_ok("127.0.0.1", 0, "127.0.0.1:0");

	/* localhost is loopback in either family, depending on the hosts file. */
	assert_int_equal(net_resolve("localhost", 7080, &ss, &len, err, sizeof(err)), 0);
	net_addr_str((struct sockaddr *)&ss, buf, sizeof(buf));
	if (strncmp(buf, "127.", 4) != 0 && strcmp(buf, "[::1]:7080") != 0)
		fail_msg("localhost resolved to %s", buf);
	assert_int_equal(net_addr_port((struct sockaddr *)&ss), 7080);

	resolve_err("", 80, "empty host name");
	resolve_err(NULL, 80, "empty host name");
	resolve_err("127.0.0.1", 65536, "port 65536 out of range");
	resolve_err("127.0.0.1", -1, "port -1 out of range");
	/* .invalid never resolves (RFC 6761). */
	resolve_err("nonexistent.invalid", 80, "cannot resolve \"nonexistent.invalid\": ");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_listen_v4),         cmocka_unit_test(test_listen_v6),
	    cmocka_unit_test(test_listen_in_use),     cmocka_unit_test(test_connect_accept_v4),
	    cmocka_unit_test(test_connect_accept_v6), cmocka_unit_test(test_connect_refused),
	    cmocka_unit_test(test_formats),           cmocka_unit_test(test_resolve),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
