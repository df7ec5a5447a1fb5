/*
 * sockio.c - socket writes.  SIGPIPE is ignored process-wide (platform/sig.c),
 * so a peer that went away shows up as EPIPE here.
 */
#include "sockio.h"

#include <errno.h>

ssize_t io_writev(int fd, const struct iovec *iov, int n)
{
	ssize_t w;

	do
		w = writev(fd, iov, n);
	while (w < 0 && errno == EINTR);
	return w;
}
