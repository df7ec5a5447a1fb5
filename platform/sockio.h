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

/*
 * Empty pipes kept for the next spliced body (opening one is two syscalls and
 * two fds), and what the process learnt about splicing.  Zeroed is empty.
 */
#define IO_PIPES_KEPT 8

struct io_pipes {
	struct io_pipe kept[IO_PIPES_KEPT];
	int nkept;
	int open;          /* pipes open, kept or in use: two fds each */
	uint8_t no_splice; /* splice() is missing or refused here: always copy */
};

/*
 * A pipe for splicing a body: a kept one, else a new one when `spare_fds`
 * (the fds the caller can give up without starving connections) has room for
 * two more.  0, or -1: copy through buffers instead.
 */
int io_pipes_take(struct io_pipes *pp, struct io_pipe *p, int spare_fds);
/* Give it back (kept when empty and there is room, else closed); p->rd is -1 after. */
void io_pipes_give(struct io_pipes *pp, struct io_pipe *p, int empty);
/* These sockets cannot be spliced here: never try again. */
void io_pipes_disable(struct io_pipes *pp);
/* Close every kept pipe (at exit). */
void io_pipes_close(struct io_pipes *pp);

#endif
