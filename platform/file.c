/*
 * file.c - small files read whole, without ever blocking the loop or following
 * a path somewhere it should not go.  open() with O_NONBLOCK so a FIFO planted
 * where a file was expected cannot stall the one thread; fstat() on the opened
 * descriptor (not the name) decides whether it is a regular file.
 */
#include "file.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int file_read_small(const char *path, unsigned flags, char *buf, size_t cap, size_t *len)
{
	int oflags = O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY;
	struct stat st;
	size_t got = 0;
	int fd, saved;

	if (flags & FILE_NOFOLLOW)
		oflags |= O_NOFOLLOW;
	fd = open(path, oflags);
	if (fd < 0)
		return -1;
	if (fstat(fd, &st) < 0)
		goto fail;
	if (!S_ISREG(st.st_mode)) {
		errno = S_ISDIR(st.st_mode) ? EISDIR : EINVAL;
		goto fail;
	}
	if (st.st_size < 0 || (unsigned long long)st.st_size > cap) {
		errno = EFBIG;
		goto fail;
	}
	/* The size may change under us: read until EOF, but never past cap. */
	for (;;) {
		ssize_t n = read(fd, buf + got, cap - got);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			goto fail;
		}
		if (n == 0)
			break;
		got += (size_t)n;
		if (got == cap) {
			char extra;

			n = read(fd, &extra, 1);
			if (n > 0) {
				errno = EFBIG;
				goto fail;
			}
			break;
		}
	}
	close(fd);
	*len = got;
	return 0;
fail:
	saved = errno;
	close(fd);
	errno = saved;
	return -1;
}

const char *file_jail_rel(const char *jail, const char *path)
{
	size_t jl;

	if (!jail || !path)
		return path;
	jl = strlen(jail);
	while (jl > 1 && jail[jl - 1] == '/')
		jl--;
	if (strncmp(path, jail, jl) == 0 && path[jl] == '/')
		return path + jl;
	return NULL;
}

const char *file_in_jail(const char *jail, const char *path)
{
	const char *rel = file_jail_rel(jail, path);

	return rel ? rel : path;
}
