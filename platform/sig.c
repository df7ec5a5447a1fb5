/*
 * sig.c - signals delivered to the poll loop through a self-pipe.
 *
 * A handler may only touch async-signal-safe things, so it sets a flag and
 * writes one byte to wake poll(); the loop then calls sig_take() and acts
 * outside signal context.  The flags and the pipe are file-scope because a
 * handler has no other way to reach them; nothing else here is global.
 */
#include "sig.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

/* One flag per kind, each only ever set to 1: no read-modify-write race. */
static volatile sig_atomic_t got_term, got_hup, got_chld;
static int sig_pipe[2] = {-1, -1};

static void sig_handler(int signo)
{
	int saved = errno;
	char c = 0;
	ssize_t r;

	switch (signo) {
	case SIGTERM:
	case SIGINT:
		got_term = 1;
		break;
	case SIGHUP:
		got_hup = 1;
		break;
	case SIGCHLD:
		got_chld = 1;
		break;
	default:
		break;
	}
	/* A full pipe (EAGAIN) already holds a wake-up, so a failure is fine. */
	r = write(sig_pipe[1], &c, 1);
	(void)r;
	errno = saved;
}

static int set_nonblock_cloexec(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
		return -1;
	fl = fcntl(fd, F_GETFD);
	if (fl < 0 || fcntl(fd, F_SETFD, fl | FD_CLOEXEC) < 0)
		return -1;
	return 0;
}

int sig_init(void)
{
	static const int caught[] = {SIGTERM, SIGINT, SIGHUP, SIGCHLD};
	struct sigaction sa;
	size_t i;
	int saved;

	if (sig_pipe[0] >= 0)
		return sig_pipe[0];
	/* Set up once at startup, before any thread or fork: pipe2 buys nothing. */
	if (pipe(sig_pipe) < 0)
		return -1;
	if (set_nonblock_cloexec(sig_pipe[0]) < 0 || set_nonblock_cloexec(sig_pipe[1]) < 0)
		goto fail;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = sig_handler;
	if (sigemptyset(&sa.sa_mask) < 0)
		goto fail;
	/* Restart slow calls: the pipe, not EINTR, is how the loop learns. */
	for (i = 0; i < sizeof(caught) / sizeof(caught[0]); i++) {
		sa.sa_flags = SA_RESTART | (caught[i] == SIGCHLD ? SA_NOCLDSTOP : 0);
		if (sigaction(caught[i], &sa, NULL) < 0)
			goto fail;
	}

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_IGN;
	if (sigemptyset(&sa.sa_mask) < 0 || sigaction(SIGPIPE, &sa, NULL) < 0)
		goto fail;
	return sig_pipe[0];
fail:
	saved = errno;
	close(sig_pipe[0]);
	close(sig_pipe[1]);
	sig_pipe[0] = sig_pipe[1] = -1;
	errno = saved;
	return -1;
}

int sig_take(void)
{
	int bits = 0;

	/*
	 * Drain first, then read the flags: a signal landing in between leaves
	 * a byte behind, so the worst case is one empty wake-up, never a lost
	 * signal.
	 */
	if (sig_pipe[0] >= 0) {
		char buf[64];

		while (read(sig_pipe[0], buf, sizeof(buf)) > 0)
			;
	}
	if (got_term) {
		got_term = 0;
		bits |= SIGF_TERM;
	}
	if (got_hup) {
		got_hup = 0;
		bits |= SIGF_HUP;
	}
	if (got_chld) {
		got_chld = 0;
		bits |= SIGF_CHLD;
	}
	return bits;
}
