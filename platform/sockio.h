/*
 * sockio.h - socket writes without SIGPIPE, and moving bytes from one socket
 * to another through a kernel pipe (Linux splice(2)) without copying them
 * through user space.
 */
#ifndef PINFOLD_SOCKIO_H
#define PINFOLD_SOCKIO_H

#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>

/* writev() retried on EINTR; -1 with errno (EAGAIN when the socket is full). */
ssize_t io_writev(int fd, const struct iovec *iov, int n);

/*
 * A non-blocking pipe that holds bytes on their way from one socket to
 * another.  Where there is no splice(), io_pipe_open() fails with ENOSYS and
 * the caller copies through its own buffers instead.
 */
struct io_pipe {
	int rd, wr;   /* -1 when closed */
	uint32_t cap; /* bytes it can hold */
};

/* 0, or -1 with errno (ENOSYS: no splice() on this system). */
int io_pipe_open(struct io_pipe *p);
void io_pipe_close(struct io_pipe *p);

/* Socket to pipe, at most len bytes: >0 moved, 0 end of stream, -1 errno. */
ssize_t io_splice_in(int sock, const struct io_pipe *p, size_t len);

/* Pipe to socket, at most len bytes: >0 moved, -1 errno (EAGAIN: the socket is full). */
ssize_t io_splice_out(const struct io_pipe *p, int sock, size_t len);

#endif
