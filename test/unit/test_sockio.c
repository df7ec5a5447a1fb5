/*
 * test_sockio.c - moving bytes socket -> pipe -> socket with splice (Linux),
 * over real loopback TCP connections: every byte arrives in order, an empty
 * socket says EAGAIN, a closed one end of stream, and nothing more than asked
 * for leaves the socket; the pool of kept pipes stays inside its fd budget, reuses an
 * empty pipe and closes one that still holds bytes.  Skipped where io_pipe_open() says
 * ENOSYS.
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
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "slow.h"
#include "sockio.h"

#define N 200000

/* A connected loopback TCP pair: fds[0] writes, fds[1] (non-blocking) reads. */
static void tcp_pair(int fds[2])
{
	struct sockaddr_in a;
	socklen_t len = sizeof(a);
	int l = socket(AF_INET, SOCK_STREAM, 0);

	assert_true(l >= 0);
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(l, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(l, 1), 0);
	assert_int_equal(getsockname(l, (struct sockaddr *)&a, &len), 0);
	fds[0] = socket(AF_INET, SOCK_STREAM, 0);
	assert_int_equal(connect(fds[0], (struct sockaddr *)&a, sizeof(a)), 0);
	fds[1] = accept(l, NULL, NULL);
	assert_true(fds[1] >= 0);
	close(l);
	assert_int_equal(fcntl(fds[0], F_SETFL, O_NONBLOCK), 0);
	assert_int_equal(fcntl(fds[1], F_SETFL, O_NONBLOCK), 0);
}

static int open_or_skip(struct io_pipe *p)
{
	if (io_pipe_open(p) < 0) {
		assert_int_equal(errno, ENOSYS);
		return -1;
	}
	assert_true(p->rd >= 0 && p->wr >= 0);
	assert_true(p->cap >= 4096);
	return 0;
}

static void test_bytes_arrive_in_order(void **state)
{
	static unsigned char src[N], dst[N];
	struct io_pipe p;
	int in[2], out[2];
	size_t sent = 0, got = 0, piped = 0, moved = 0;

	(void)state;
	if (open_or_skip(&p) < 0) {
		print_message("SKIP: io_pipe_open: ENOSYS (no splice(2) here)\n");
		skip();
		return;
	}
	for (size_t i = 0; i < N; i++)
		src[i] = (unsigned char)(i * 7 + i / 251);
	tcp_pair(in);
	tcp_pair(out);
	/* bounded: every turn moves bytes or waits at most 100 ms for them */
	for (int turn = 0; turn < 10000 && got < N; turn++) {
		struct pollfd pf[2] = {{.fd = in[1], .events = POLLIN}, {.fd = out[1], .events = POLLIN}};
		size_t before = sent + piped + moved + got;
		ssize_t n;

		if (sent < N) {
			n = write(in[0], src + sent, N - sent);
			if (n > 0)
				sent += (size_t)n;
		}
		if (piped < p.cap && moved + piped < N) {
			n = io_splice_in(in[1], &p, p.cap - piped);
			if (n > 0)
				piped += (size_t)n;
			else if (n < 0)
				assert_true(errno == EAGAIN || errno == EWOULDBLOCK);
			else
				fail_msg("end of stream before %d bytes", N);
		}
		if (piped) {
			n = io_splice_out(&p, out[0], piped);
			if (n > 0) {
				piped -= (size_t)n;
				moved += (size_t)n;
			} else {
				assert_true(n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK));
			}
		}
		n = read(out[1], dst + got, N - got);
		if (n > 0)
			got += (size_t)n;
		if (sent + piped + moved + got == before)
			(void)poll(pf, 2, 100); /* nothing moved: wait for bytes in flight */
	}
	assert_int_equal(got, N);
	assert_memory_equal(src, dst, N);
	io_pipe_close(&p);
	assert_int_equal(p.rd, -1);
	assert_int_equal(p.wr, -1);
	close(in[0]), close(in[1]), close(out[0]), close(out[1]);
}

static void test_asked_length_eagain_and_eof(void **state)
{
	struct io_pipe p;
	int s[2];
	char buf[64];

	(void)state;
	if (open_or_skip(&p) < 0) {
		print_message("SKIP: io_pipe_open: ENOSYS (no splice(2) here)\n");
		skip();
		return;
	}
	tcp_pair(s);
	errno = 0;
	assert_int_equal(io_splice_in(s[1], &p, 100), -1); /* nothing sent yet */
	assert_true(errno == EAGAIN || errno == EWOULDBLOCK);
	assert_int_equal(write(s[0], "0123456789", 10), 10);
	assert_int_equal(shutdown(s[0], SHUT_WR), 0);
	{
		struct pollfd pf = {.fd = s[1], .events = POLLIN};

		assert_int_equal(poll(&pf, 1, SLOW_MS(5000)), 1);
	}
	assert_int_equal(io_splice_in(s[1], &p, 4), 4); /* no more than asked */
	assert_int_equal(read(p.rd, buf, sizeof(buf)), 4);
	assert_memory_equal(buf, "0123", 4);
	assert_int_equal(io_splice_in(s[1], &p, 100), 6);
	assert_int_equal(io_splice_in(s[1], &p, 100), 0); /* end of stream */
	assert_int_equal(read(s[1], buf, sizeof(buf)), 0);
	io_pipe_close(&p);
	io_pipe_close(&p); /* twice is harmless */
	close(s[0]), close(s[1]);
}

/* Count this process's open fds (to see pipes really closed). */
static int open_fds(void)
{
	int n = 0;

	for (int fd = 0; fd < 1024; fd++)
		if (fcntl(fd, F_GETFD) >= 0)
			n++;
	return n;
}

static void test_pipe_pool(void **state)
{
	struct io_pipes pp;
	struct io_pipe p[IO_PIPES_KEPT + 1], probe;
	int base = open_fds();

	if (open_or_skip(&probe) < 0) {
		skip();
		return;
	}
	io_pipe_close(&probe);
	memset(&pp, 0, sizeof(pp));
	/* the budget: two fds per pipe, and no more than the caller can spare */
	assert_int_equal(io_pipes_take(&pp, &p[0], 3), 0);
	assert_int_equal(io_pipes_take(&pp, &p[1], 3), -1);
	assert_int_equal(pp.open, 1);
	/* an empty pipe is kept and handed out again, without a new one */
	io_pipes_give(&pp, &p[0], 1);
	assert_int_equal(p[0].rd, -1);
	assert_int_equal(pp.nkept, 1);
	assert_int_equal(io_pipes_take(&pp, &p[1], 0), 0); /* kept: no budget needed */
	assert_int_equal(pp.open, 1);
	/* one that may still hold bytes is closed, not kept */
	io_pipes_give(&pp, &p[1], 0);
	assert_int_equal(pp.nkept, 0);
	assert_int_equal(pp.open, 0);
	assert_int_equal(open_fds(), base);
	/* at most IO_PIPES_KEPT are kept; the rest close */
	for (int i = 0; i <= IO_PIPES_KEPT; i++)
		assert_int_equal(io_pipes_take(&pp, &p[i], 1000), 0);
	for (int i = 0; i <= IO_PIPES_KEPT; i++)
		io_pipes_give(&pp, &p[i], 1);
	assert_int_equal(pp.nkept, IO_PIPES_KEPT);
	assert_int_equal(pp.open, IO_PIPES_KEPT);
	assert_int_equal(open_fds(), base + 2 * IO_PIPES_KEPT);
	/* splicing refused here: no new pipe from now on, and exit closes the kept ones */
	io_pipes_disable(&pp);
	io_pipes_close(&pp);
	assert_int_equal(pp.nkept, 0);
	assert_int_equal(pp.open, 0);
	assert_int_equal(io_pipes_take(&pp, &p[0], 1000), -1);
	assert_int_equal(open_fds(), base);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_bytes_arrive_in_order),
	    cmocka_unit_test(test_asked_length_eagain_and_eof),
	    cmocka_unit_test(test_pipe_pool),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
