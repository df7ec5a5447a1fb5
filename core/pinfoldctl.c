/*
 * pinfoldctl.c - the command-line client of pinfold's Control socket (Pound's
 * poundctl): sends one request line, prints the reply.  Deliberately small
 * and on its own: no TLS, no config parser; with -f it only looks for the
 * Control line in the main configuration file.  Protocol: core/control.h.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "config.h" /* CFG_DEFAULT_FILE only */
#include "version.h"

#define CTL_TIMEOUT_MS 10000
#define CTL_MAX_REPLY  (8u << 20)
#define EXIT_REFUSED   1 /* pinfold answered with an error */
#define EXIT_USAGE     2
#define EXIT_UNREACHED 3 /* no socket, nobody answering, no permission, no reply */

static void usage(FILE *f)
{
	fprintf(f,
	        "usage: pinfoldctl [-j] [-s SOCKET | -f CONFIG] COMMAND [BACKEND]\n"
	        "  list              listeners, services and backends with their counters\n"
	        "  disable BACKEND   stop sending requests to a backend\n"
	        "  enable BACKEND    use it again\n"
	        "  check [BACKEND]   probe a dead backend (or every dead one) now\n"
	        "  BACKEND           LISTENER/SERVICE/BACKEND (from 0, \"-\" for global services)\n"
	        "                    or ADDRESS:PORT\n"
	        "  -j                JSON output\n"
	        "  -s SOCKET         the Control socket\n"
	        "  -f CONFIG         read the socket from Control in CONFIG (default %s)\n"
	        "  -V                version\n",
	        CFG_DEFAULT_FILE);
}

/*
 * The argument of the first `Control "path"` line of a config file.  Control
 * is valid only at top level, so the first one with an argument is the one;
 * a socket named in an Included file needs -s.
 */
static int control_from_config(const char *file, char *out, size_t len)
{
	FILE *f = fopen(file, "r");
	char line[4096];
	int found = 0;

	if (!f) {
		fprintf(stderr, "pinfoldctl: cannot read %s: %s\n", file, strerror(errno));
		return -1;
	}
	while (!found && fgets(line, sizeof(line), f)) {
		char *p = line + strspn(line, " \t");
		size_t n = 0;

		if (strncasecmp(p, "Control", 7) != 0 || (p[7] != ' ' && p[7] != '\t'))
			continue;
		p += 7 + strspn(p + 7, " \t");
		if (*p == '"') {
			for (p++; *p && *p != '"' && n + 1 < len; p++) {
				if (*p == '\\' && p[1])
					p++;
				out[n++] = *p;
			}
			found = *p == '"';
		} else {
			while (*p && !strchr(" \t\r\n#", *p) && n + 1 < len)
				out[n++] = *p++;
			found = n > 0;
		}
		out[n] = '\0';
	}
	fclose(f);
	if (!found) {
		fprintf(stderr, "pinfoldctl: %s has no Control \"/path/to/socket\" line (use -s)\n",
		        file);
		return -1;
	}
	return 0;
}

static int connect_socket(const char *path)
{
	struct sockaddr_un sa;
	int fd;

	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "pinfoldctl: socket path too long: %s\n", path);
		return -1;
	}
	memcpy(sa.sun_path, path, strlen(path));
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (fd < 0) {
		fprintf(stderr, "pinfoldctl: socket: %s\n", strerror(errno));
		return -1;
	}
	if (connect(fd, (const struct sockaddr *)&sa, sizeof(sa)) == 0)
		return fd;
	if (errno == ENOENT)
		fprintf(stderr,
		        "pinfoldctl: no control socket at %s (is pinfold running, with Control "
		        "\"%s\"?)\n",
		        path, path);
	else if (errno == ECONNREFUSED)
		fprintf(stderr, "pinfoldctl: nothing answers on %s (pinfold is not running?)\n",
		        path);
	else if (errno == EACCES || errno == EPERM)
		fprintf(stderr,
		        "pinfoldctl: no permission to use %s (run as root or as pinfold's User)\n",
		        path);
	else
		fprintf(stderr, "pinfoldctl: cannot connect to %s: %s\n", path, strerror(errno));
	close(fd);
	return -1;
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Send the request, read the reply to the end (bounded in size and time).  Length or -1. */
static long exchange(int fd, const char *req, char **reply)
{
	long long deadline = now_ms() + CTL_TIMEOUT_MS;
	size_t len = 0, cap = 4096, off = 0, rl = strlen(req);
	char *buf = malloc(cap);

	if (!buf)
		goto oom;
	while (off < rl) {
		ssize_t n = write(fd, req + off, rl - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			fprintf(stderr, "pinfoldctl: sending the request: %s\n", strerror(errno));
			goto fail;
		}
		off += (size_t)n;
	}
	for (;;) {
		struct pollfd pfd = {fd, POLLIN, 0};
		long long left = deadline - now_ms();
		ssize_t n;

		if (left <= 0 || poll(&pfd, 1, (int)left) == 0) {
			fprintf(stderr, "pinfoldctl: no reply within %d s\n",
			        CTL_TIMEOUT_MS / 1000);
			goto fail;
		}
		if (len + 1 >= cap) {
			char *b;

			if (cap >= CTL_MAX_REPLY) {
				fprintf(stderr, "pinfoldctl: reply too large\n");
				goto fail;
			}
			if (!(b = realloc(buf, cap * 2)))
				goto oom;
			buf = b;
			cap *= 2;
		}
		n = read(fd, buf + len, cap - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			fprintf(stderr, "pinfoldctl: reading the reply: %s\n", strerror(errno));
			goto fail;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	buf[len] = '\0';
	*reply = buf;
	return (long)len;
oom:
	fprintf(stderr, "pinfoldctl: out of memory\n");
fail:
	free(buf);
	return -1;
}

int main(int argc, char **argv)
{
	static const char *const cmds[] = {"list", "disable", "enable", "check"};
	const char *sock = NULL, *file = NULL;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)], req[600];
	char *reply = NULL;
	int ch, json = 0, fd, known = 0, rc;
	long len;

	while ((ch = getopt(argc, argv, "s:f:jhV")) != -1) {
		switch (ch) {
		case 's':
			sock = optarg;
			break;
		case 'f':
			file = optarg;
			break;
		case 'j':
			json = 1;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("pinfoldctl %s\n", PINFOLD_VERSION);
			return 0;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind >= argc || argc - optind > 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		known |= strcmp(argv[optind], cmds[i]) == 0;
	if (!known) {
		fprintf(stderr, "pinfoldctl: unknown command \"%s\"\n", argv[optind]);
		usage(stderr);
		return EXIT_USAGE;
	}
	if (sock && file) {
		fprintf(stderr, "pinfoldctl: -s and -f exclude each other\n");
		return EXIT_USAGE;
	}
	if (!sock) {
		if (control_from_config(file ? file : CFG_DEFAULT_FILE, path, sizeof(path)) < 0)
			return EXIT_UNREACHED;
		sock = path;
	}
	if ((size_t)snprintf(req, sizeof(req), "%s%s%s%s\n", json ? "json " : "", argv[optind],
	                     argc - optind == 2 ? " " : "",
	                     argc - optind == 2 ? argv[optind + 1] : "") >= sizeof(req)) {
		fprintf(stderr, "pinfoldctl: argument too long\n");
		return EXIT_USAGE;
	}
	signal(SIGPIPE, SIG_IGN); /* a closed socket is an error to report, not a death */
	fd = connect_socket(sock);
	if (fd < 0)
		return EXIT_UNREACHED;
	len = exchange(fd, req, &reply);
	close(fd);
	if (len < 0)
		return EXIT_UNREACHED;
	if (strncmp(reply, "OK\n", 3) == 0) {
		fwrite(reply + 3, 1, (size_t)len - 3, stdout);
		rc = fflush(stdout) == 0 ? 0 : EXIT_REFUSED;
	} else if (strncmp(reply, "ERR ", 4) == 0) {
		fprintf(stderr, "pinfoldctl: %s%s", reply + 4,
		        len && reply[len - 1] == '\n' ? "" : "\n");
		rc = EXIT_REFUSED;
	} else {
		fprintf(stderr, "pinfoldctl: unexpected reply from %s\n", sock);
		rc = EXIT_UNREACHED;
	}
	free(reply);
	return rc;
}
