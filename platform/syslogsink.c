/*
 * syslogsink.c - the one place log lines leave the process.
 *
 * syslog mode opens the log socket at once (LOG_NDELAY) so it is already
 * connected when the process chroots into a jail that may lack /dev/log.
 * stderr mode writes each line with a single write(2): no stdio buffer to
 * lose on a crash, and lines from a forked helper never interleave mid-line.
 * The mode is file-scope state, like syslog's own: one log per process.
 */
#include "syslogsink.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#define SINK_LINE_MAX 8192

static int sink_to_stderr = 1; /* until sink_open, say it on stderr */
static const char *sink_ident = "pinfold";

/*
 * POSIX leaves out authpriv, ftp and syslog, but glibc, musl and FreeBSD
 * all have them, and Pound's LogFacility accepts them.
 */
static const struct {
	const char *name;
	int facility;
} facilities[] = {
    {"auth", LOG_AUTH},     {"authpriv", LOG_AUTHPRIV}, {"cron", LOG_CRON},
    {"daemon", LOG_DAEMON}, {"ftp", LOG_FTP},           {"kern", LOG_KERN},
    {"lpr", LOG_LPR},       {"mail", LOG_MAIL},         {"news", LOG_NEWS},
    {"syslog", LOG_SYSLOG}, {"user", LOG_USER},         {"uucp", LOG_UUCP},
    {"local0", LOG_LOCAL0}, {"local1", LOG_LOCAL1},     {"local2", LOG_LOCAL2},
    {"local3", LOG_LOCAL3}, {"local4", LOG_LOCAL4},     {"local5", LOG_LOCAL5},
    {"local6", LOG_LOCAL6}, {"local7", LOG_LOCAL7},
};

int sink_facility(const char *name)
{
	size_t i;

	if (!name)
		return -1;
	for (i = 0; i < sizeof(facilities) / sizeof(facilities[0]); i++)
		if (strcmp(name, facilities[i].name) == 0)
			return facilities[i].facility;
	return -1;
}

void sink_open(const char *ident, int to_stderr, int facility)
{
	/* openlog keeps the pointer, so it must outlive us: callers pass a literal. */
	if (ident && *ident)
		sink_ident = ident;
	if (!sink_to_stderr)
		closelog();
	sink_to_stderr = to_stderr;
	if (!to_stderr)
		openlog(sink_ident, LOG_PID | LOG_NDELAY, facility);
}

static void write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return; /* nowhere left to report a failing stderr */
		}
		p += w;
		n -= (size_t)w;
	}
}

void sink_write(int prio, const char *line)
{
	char buf[SINK_LINE_MAX];
	int saved = errno; /* callers log, then return -1 with errno */
	int n;

	if (!sink_to_stderr) {
		syslog(prio, "%s", line);
		goto out;
	}
	n = snprintf(buf, sizeof(buf), "%s: %s\n", sink_ident, line);
	if (n < 0)
		goto out;
	if ((size_t)n >= sizeof(buf)) {
		/* Cut, but still end the line so the next one starts clean. */
		n = (int)sizeof(buf) - 1;
		buf[n - 1] = '\n';
	}
	write_all(STDERR_FILENO, buf, (size_t)n);
out:
	errno = saved;
}
