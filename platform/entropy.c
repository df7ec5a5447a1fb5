/*
 * entropy.c - getentropy() where the C library declares it for us (glibc and
 * musl behind _DEFAULT_SOURCE; FreeBSD only without _POSIX_C_SOURCE, which
 * would hide its BSD interfaces), else /dev/urandom.  getentropy is a system
 * call, so it works inside the chroot jail, where /dev/urandom usually is not.
 */
#if defined(__linux__)
#define _DEFAULT_SOURCE
#define HAVE_GETENTROPY 1
#elif defined(__FreeBSD__)
#undef _POSIX_C_SOURCE
#define HAVE_GETENTROPY 1
#endif

#include "entropy.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

static int from_urandom(void *buf, size_t len)
{
	unsigned char *p = buf;
	size_t got = 0;
	int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	while (got < len) {
		ssize_t n = read(fd, p + got, len - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			close(fd);
			return -1;
		}
		got += (size_t)n;
	}
	close(fd);
	return 0;
}

int entropy_fill(void *buf, size_t len)
{
	if (len > 256)
		return -1;
#ifdef HAVE_GETENTROPY
	if (getentropy(buf, len) == 0)
		return 0;
#endif
	return from_urandom(buf, len);
}
