/*
 * daemon.c - detaching from the terminal and writing the pid file.
 *
 * The classic double fork: the first child calls setsid() to leave the
 * terminal's session, and the second child, not a session leader, can never
 * acquire a controlling terminal again by opening one.  daemon(3) would do
 * most of this but is not in POSIX and differs between libcs.
 */
#include "daemon.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

/*
 * Fork; the parent leaves at once.  _exit, not exit: the parent must not
 * flush stdio buffers the child also holds, nor run atexit handlers that
 * clean up what the child goes on using.
 */
static int fork_and_leave(char *err, size_t errlen)
{
	pid_t pid = fork();

	if (pid < 0) {
		snprintf(err, errlen, "fork: %s", strerror(errno));
		return -1;
	}
	if (pid > 0)
		_exit(0);
	return 0;
}

static int stdio_to_null(char *err, size_t errlen)
{
	int fd = open("/dev/null", O_RDWR);
	int i;

	if (fd < 0) {
		snprintf(err, errlen, "/dev/null: %s", strerror(errno));
		return -1;
	}
	for (i = 0; i <= 2; i++) {
		if (fd != i && dup2(fd, i) < 0) {
			snprintf(err, errlen, "dup2 /dev/null: %s", strerror(errno));
			goto fail;
		}
	}
	if (fd > 2)
		close(fd);
	return 0;
fail:
	if (fd > 2)
		close(fd);
	return -1;
}

int daemon_detach(char *err, size_t errlen)
{
	/* Pending output would otherwise be written once per process. */
	fflush(NULL);
	if (fork_and_leave(err, errlen) < 0)
		return -1;
	if (setsid() < 0) {
		snprintf(err, errlen, "setsid: %s", strerror(errno));
		return -1;
	}
	if (fork_and_leave(err, errlen) < 0)
		return -1;
	/* Keep no mount point busy, and create nothing world-readable by default. */
	if (chdir("/") < 0) {
		snprintf(err, errlen, "chdir /: %s", strerror(errno));
		return -1;
	}
	umask(027);
	return stdio_to_null(err, errlen);
}

int pidfile_write(const char *path, char *err, size_t errlen)
{
	char buf[32];
	int fd, n, off = 0;

	/* O_NOFOLLOW: a planted symlink must not make root truncate its target. */
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0) {
		snprintf(err, errlen, "pid file %s: %s", path, strerror(errno));
		return -1;
	}
	/* The umask (027 once detached) must not hide the pid from init scripts. */
	if (fchmod(fd, 0644) < 0) {
		snprintf(err, errlen, "pid file %s: chmod: %s", path, strerror(errno));
		goto fail;
	}
	n = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
	while (off < n) {
		ssize_t w = write(fd, buf + off, (size_t)(n - off));

		if (w < 0) {
			if (errno == EINTR)
				continue;
			snprintf(err, errlen, "pid file %s: %s", path, strerror(errno));
			goto fail;
		}
		off += (int)w;
	}
	if (close(fd) < 0) {
		snprintf(err, errlen, "pid file %s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
fail:
	close(fd);
	return -1;
}
