/* sockio.h - gathered writes to a socket without SIGPIPE. */
#ifndef PINFOLD_SOCKIO_H
#define PINFOLD_SOCKIO_H

#include <sys/types.h>
#include <sys/uio.h>

/* writev() retried on EINTR; -1 with errno (EAGAIN when the socket is full). */
ssize_t io_writev(int fd, const struct iovec *iov, int n);

#endif
