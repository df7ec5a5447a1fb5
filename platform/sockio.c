/*
 * sockio.c - socket I/O.  SIGPIPE is ignored process-wide (platform/sig.c),
 * so a peer that went away shows up as EPIPE here.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* splice(), pipe2(), F_GETPIPE_SZ (glibc and musl) */
#endif
#include "sockio.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

ssize_t io_writev(int fd, const struct iovec *iov, int n)
{
	ssize_t w;

	do
		w = writev(fd, iov, n);
	while (w < 0 && errno == EINTR);
	return w;
}

#if defined(__linux__) && defined(SPLICE_F_NONBLOCK)

int io_pipe_open(struct io_pipe *p)
{
	int fds[2], cap;

	if (pipe2(fds, O_NONBLOCK | O_CLOEXEC) < 0)
		return -1;
	/* 64 KiB, unless the user is past fs.pipe-user-pages-soft (then one page) */
	cap = fcntl(fds[1], F_GETPIPE_SZ);
	p->rd = fds[0];
	p->wr = fds[1];
	p->cap = cap > 0 ? (uint32_t)cap : 4096;
	return 0;
}

ssize_t io_splice_in(int sock, const struct io_pipe *p, size_t len)
{
	ssize_t n;

	do
		n = splice(sock, NULL, p->wr, NULL, len, SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
	while (n < 0 && errno == EINTR);
	return n;
}

ssize_t io_splice_out(const struct io_pipe *p, int sock, size_t len)
{
	ssize_t n;

	do
		n = splice(p->rd, NULL, sock, NULL, len, SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
	while (n < 0 && errno == EINTR);
	return n;
}

#else /* no splice(): callers copy */

int io_pipe_open(struct io_pipe *p)
{
	p->rd = p->wr = -1;
	p->cap = 0;
	errno = ENOSYS;
	return -1;
}

ssize_t io_splice_in(int sock, const struct io_pipe *p, size_t len)
{
	(void)sock, (void)p, (void)len;
	errno = ENOSYS;
	return -1;
}

ssize_t io_splice_out(const struct io_pipe *p, int sock, size_t len)
{
	(void)p, (void)sock, (void)len;
	errno = ENOSYS;
	return -1;
}

#endif

void io_pipe_close(struct io_pipe *p)
{
	if (p->rd >= 0)
		close(p->rd);
	if (p->wr >= 0)
		close(p->wr);
	p->rd = p->wr = -1;
}

int io_pipes_take(struct io_pipes *pp, struct io_pipe *p, int spare_fds)
{
	if (pp->nkept) {
		*p = pp->kept[--pp->nkept];
		return 0;
	}
	if (pp->no_splice || 2 * (pp->open + 1) > spare_fds)
		return -1;
	if (io_pipe_open(p) < 0) {
		if (errno == ENOSYS)
			pp->no_splice = 1;
		return -1;
	}
	pp->open++;
	return 0;
}

void io_pipes_give(struct io_pipes *pp, struct io_pipe *p, int empty)
{
	if (p->rd < 0)
		return;
	if (empty && pp->nkept < IO_PIPES_KEPT) {
		pp->kept[pp->nkept++] = *p;
	} else {
		io_pipe_close(p);
		pp->open--;
	}
	p->rd = p->wr = -1;
}

void io_pipes_disable(struct io_pipes *pp)
{
	pp->no_splice = 1;
}

void io_pipes_close(struct io_pipes *pp)
{
	while (pp->nkept)
		io_pipes_give(pp, &pp->kept[--pp->nkept], 0);
}
