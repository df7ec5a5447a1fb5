/*
 * stream.c - plain or TLS reads and writes with one calling convention.
 *
 * The TLS library wants a write that returned WANT_* retried with the same
 * length (it has already framed those bytes into a record), so the stream
 * remembers that length; the caller only ever appends behind the bytes
 * being written, so the same bytes are still at the front.
 */
#include "stream.h"

#include <errno.h>
#include <poll.h>
#include <unistd.h>

#include "sockio.h"

void stream_init(struct stream *s, int fd, struct tls_conn *tls)
{
	s->fd = fd;
	s->tls = tls;
	s->ready = tls == NULL;
	s->hs_ev = POLLIN;
	s->rd_ev = POLLIN;
	s->wr_ev = POLLOUT;
	s->wpend = 0;
	s->more = 0;
}

static short want_event(int rc)
{
	return rc == TLS_WANT_WRITE ? POLLOUT : POLLIN;
}

int stream_handshake(struct stream *s)
{
	int rc;

	if (s->ready)
		return 1;
	rc = tls_handshake(s->tls);
	if (rc == TLS_OK) {
		s->ready = 1;
		return 1;
	}
	if (rc == TLS_WANT_READ || rc == TLS_WANT_WRITE) {
		s->hs_ev = want_event(rc);
		return 0;
	}
	return -1;
}

ssize_t stream_read(struct stream *s, struct buf *b)
{
	size_t room = buf_room(b);
	ssize_t n;

	s->more = 0;
	if (!s->tls) {
		n = buf_read_fd(b, s->fd);
		s->more = n > 0 && (size_t)n == room;
		return n;
	}
	if (room == 0)
		return -2;
	n = tls_read(s->tls, b->data + b->end, room);
	if (n > 0) {
		b->end += (uint32_t)n;
		s->rd_ev = POLLIN;
		s->more = (size_t)n == room;
		return n;
	}
	switch (n) {
	case TLS_WANT_READ:
	case TLS_WANT_WRITE:
		s->rd_ev = want_event((int)n);
		errno = EAGAIN;
		return -1;
	case TLS_EOF:
		return 0;
	default:
		errno = ECONNRESET;
		return -1;
	}
}

static ssize_t tls_writev(struct stream *s, const struct iovec *iov, int n)
{
	ssize_t total = 0;

	for (int i = 0; i < n; i++) {
		const char *p = iov[i].iov_base;
		size_t left = iov[i].iov_len;

		while (left) {
			size_t len = s->wpend ? s->wpend : left;
			ssize_t w;

			if (len > left)
				len = left; /* cannot happen: the caller never shrinks the front */
			w = tls_write(s->tls, p, len);
			if (w > 0) {
				s->wpend = 0;
				s->wr_ev = POLLOUT;
				p += w;
				left -= (size_t)w;
				total += w;
				continue;
			}
			if (w == TLS_WANT_READ || w == TLS_WANT_WRITE) {
				s->wpend = (uint32_t)len;
				s->wr_ev = want_event((int)w);
				if (total)
					return total;
				errno = EAGAIN;
				return -1;
			}
			if (total)
				return total;
			errno = EPIPE;
			return -1;
		}
	}
	return total;
}

ssize_t stream_writev(struct stream *s, const struct iovec *iov, int n)
{
	if (!s->tls)
		return io_writev(s->fd, iov, n);
	return tls_writev(s, iov, n);
}

size_t stream_pending(const struct stream *s)
{
	return s->tls && s->ready ? tls_pending(s->tls) : 0;
}

void stream_close(struct stream *s)
{
	if (s->tls) {
		if (s->ready)
			tls_shutdown(s->tls); /* one try: never wait for a peer that is going */
		tls_free(s->tls);
		s->tls = NULL;
	}
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
}

int stream_release(struct stream *s, struct tls_conn **tls)
{
	int fd = s->fd;

	if (tls)
		*tls = s->tls;
	s->tls = NULL;
	s->fd = -1;
	return fd;
}
