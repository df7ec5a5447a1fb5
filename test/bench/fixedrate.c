/*
 * fixedrate.c - a bounded fixed-rate HTTP/1.1 load client for latency figures.
 *
 * wrk measures how fast a server answers when pushed to its limit; latency under a load a
 * server can carry needs the opposite: requests sent on a fixed schedule whatever the
 * server does.  Debian has no wrk2, hence this file (test/bench/run.sh builds it with cc).
 *
 * Request i is due at start + i / RATE.  It goes out on a free keep-alive connection
 * (one request in flight per connection, no pipelining); when none is free it waits for
 * one.  Its latency is counted from when it was DUE, not from when it could be sent, so a
 * server that stalls is charged for every request the stall delayed (no "coordinated
 * omission").  The run is bounded: RATE * SECONDS requests, and at most SECONDS + 10 s.
 *
 *   fixedrate -a 127.0.0.1 -p PORT -u /1k.bin -r RATE -c CONNS -d SECONDS
 *
 * Prints one line of key=value figures (microseconds) on stdout:
 *   sent=N done=N failed=N p50_us=.. p90_us=.. p99_us=.. p999_us=.. max_us=.. rate=..
 * Exit 0 when every request got a complete 2xx answer, 1 otherwise, 2 on bad usage.
 * Responses must carry Content-Length (static files do); "Connection: close" or an early
 * EOF is an error and the connection is opened again.  Loopback use only.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_CONNS    4096
#define MAX_REQUESTS 20000000LL
#define BUF_SIZE     65536

struct conn {
	int fd;
	int busy;        /* a request is in flight */
	long long req;   /* its index: due time and latency slot */
	size_t have;     /* bytes of the current response read so far */
	long long need;  /* head + body length, -1 while the head is incomplete */
	char head[4096]; /* the response head, as far as it has come */
	size_t head_len;
	int closing; /* the server said "Connection: close" */
};

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int open_conn(const struct sockaddr_in *sa)
{
	int one = 1;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	if (connect(fd, (const struct sockaddr *)sa, sizeof(*sa)) != 0)
		goto fail;
	if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) != 0)
		goto fail;
	if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) != 0)
		goto fail;
	return fd;
fail:
	close(fd);
	return -1;
}

/*
 * The head (HEAD_END bytes) is complete: head + body length for a 2xx answer with a
 * Content-Length, else -1.  *CLOSE tells whether the server will close afterwards.
 */
static long long parse_head(const char *head, size_t head_end, int *close)
{
	const char *p = head, *end = head + head_end;
	long long len = -1;

	*close = 0;
	if (head_end < 12 || memcmp(head, "HTTP/1.", 7) != 0 || head[9] != '2')
		return -1;
	while ((p = strstr(p, "\r\n")) != NULL && p + 2 < end) {
		const char *eol;

		p += 2;
		eol = strstr(p, "\r\n");
		if (strncasecmp(p, "Content-Length:", 15) == 0)
			len = atoll(p + 15);
		else if (strncasecmp(p, "Connection:", 11) == 0 && eol &&
		         memmem(p, (size_t)(eol - p), "close", 5))
			*close = 1;
	}
	if (len < 0)
		return -1;
	return (long long)head_end + len;
}

/* Read what is there; 1 when the response is complete, 0 for more, -1 on error. */
static int read_response(struct conn *c)
{
	static char buf[BUF_SIZE];

	for (;;) {
		ssize_t n = read(c->fd, buf, sizeof(buf));

		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return 0;
		if (n <= 0)
			return -1;
		if (c->need < 0) {
			size_t take = sizeof(c->head) - 1 - c->head_len;
			char *end;

			if ((size_t)n < take)
				take = (size_t)n;
			memcpy(c->head + c->head_len, buf, take);
			c->head_len += take;
			c->head[c->head_len] = 0;
			end = strstr(c->head, "\r\n\r\n");
			if (!end) {
				if (c->head_len >= sizeof(c->head) - 1)
					return -1;
				c->have += (size_t)n;
				continue;
			}
			c->need = parse_head(c->head, (size_t)(end - c->head) + 4, &c->closing);
			if (c->need < 0)
				return -1;
		}
		c->have += (size_t)n;
		if ((long long)c->have > c->need)
			return -1; /* bytes nobody asked for */
		if ((long long)c->have == c->need)
			return 1;
	}
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

static double pct(const int64_t *v, long long n, double q)
{
	long long i;

	if (n == 0)
		return 0;
	i = (long long)(q * (double)n);
	if (i >= n)
		i = n - 1;
	return (double)v[i] / 1000.0;
}

int main(int argc, char **argv)
{
	const char *addr = "127.0.0.1", *path = "/";
	int port = 0, nconns = 10, opt, i, nidle = 0, ret = 1;
	double rate = 0, secs = 0;
	long long total, next = 0, done = 0, errors = 0, sent = 0;
	struct sockaddr_in sa;
	struct conn *conns = NULL;
	struct pollfd *pfd = NULL;
	int *idle = NULL, *map = NULL;
	int64_t *lat = NULL, start, deadline, period_ns;
	char req[512];
	int req_len;

	while ((opt = getopt(argc, argv, "a:p:u:r:c:d:")) != -1) {
		switch (opt) {
		case 'a':
			addr = optarg;
			break;
		case 'p':
			port = atoi(optarg);
			break;
		case 'u':
			path = optarg;
			break;
		case 'r':
			rate = atof(optarg);
			break;
		case 'c':
			nconns = atoi(optarg);
			break;
		case 'd':
			secs = atof(optarg);
			break;
		default:
			goto usage;
		}
	}
	if (port <= 0 || port > 65535 || rate <= 0 || secs <= 0 || nconns < 1 || nconns > MAX_CONNS)
		goto usage;
	total = (long long)(rate * secs);
	if (total < 1 || total > MAX_REQUESTS) {
		fprintf(stderr, "fixedrate: RATE * SECONDS must be 1..%lld\n", MAX_REQUESTS);
		return 2;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	if (inet_pton(AF_INET, addr, &sa.sin_addr) != 1)
		goto usage;
	req_len =
	    snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: %s:%d\r\n\r\n", path, addr, port);
	if (req_len <= 0 || (size_t)req_len >= sizeof(req))
		goto usage;
	signal(SIGPIPE, SIG_IGN);
	/* The default 50 us timer slack would be charged to every request as latency. */
	prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);

	conns = calloc((size_t)nconns, sizeof(*conns));
	pfd = calloc((size_t)nconns, sizeof(*pfd));
	map = calloc((size_t)nconns, sizeof(*map));
	idle = calloc((size_t)nconns, sizeof(*idle));
	lat = calloc((size_t)total, sizeof(*lat));
	if (!conns || !pfd || !map || !idle || !lat) {
		fprintf(stderr, "fixedrate: out of memory\n");
		goto out;
	}
	for (i = 0; i < nconns; i++)
		conns[i].fd = -1;
	for (i = 0; i < nconns; i++) {
		conns[i].fd = open_conn(&sa);
		if (conns[i].fd < 0) {
			fprintf(stderr, "fixedrate: connect %s:%d: %s\n", addr, port,
			        strerror(errno));
			goto out;
		}
		idle[nidle++] = i;
	}

	period_ns = (int64_t)(1e9 / rate);
	start = now_ns();
	deadline = start + (int64_t)(secs * 1e9) + 10000000000LL;
	while (done + errors < total) {
		int64_t t = now_ns(), wait_ns;
		struct timespec ts;
		int n = 0;

		if (t > deadline)
			break;
		/* send everything that is due, as far as connections are free */
		while (next < total && nidle > 0 && start + next * period_ns <= t) {
			struct conn *c = &conns[idle[--nidle]];

			c->busy = 1;
			c->req = next++;
			c->have = 0;
			c->need = -1;
			c->head_len = 0;
			if (write(c->fd, req, (size_t)req_len) != req_len) {
				/* a fresh keep-alive socket takes 100 bytes at once, or is broken
				 */
				errors++;
				c->busy = 0;
				close(c->fd);
				c->fd = open_conn(&sa);
				if (c->fd < 0)
					goto out;
				idle[nidle++] = (int)(c - conns);
				continue;
			}
			sent++;
		}
		for (i = 0; i < nconns; i++) {
			if (!conns[i].busy)
				continue;
			pfd[n].fd = conns[i].fd;
			pfd[n].events = POLLIN;
			map[n++] = i;
		}
		wait_ns = deadline - t;
		if (next < total && nidle > 0) {
			wait_ns = start + next * period_ns - t;
			if (wait_ns < 0)
				wait_ns = 0;
		}
		ts.tv_sec = wait_ns / 1000000000;
		ts.tv_nsec = wait_ns % 1000000000;
		if (ppoll(pfd, (nfds_t)n, &ts, NULL) < 0 && errno != EINTR) {
			perror("fixedrate: ppoll");
			goto out;
		}
		for (i = 0; i < n; i++) {
			struct conn *c = &conns[map[i]];
			int r;

			if (!pfd[i].revents)
				continue;
			r = read_response(c);
			if (r == 0)
				continue;
			c->busy = 0;
			if (r > 0)
				lat[done++] = now_ns() - (start + c->req * period_ns);
			else
				errors++;
			if (r < 0 || c->closing) {
				close(c->fd);
				c->fd = open_conn(&sa);
				if (c->fd < 0) {
					fprintf(stderr, "fixedrate: reconnect: %s\n",
					        strerror(errno));
					goto out;
				}
			}
			idle[nidle++] = map[i];
		}
	}
	qsort(lat, (size_t)done, sizeof(*lat), cmp_i64);
	printf("sent=%lld done=%lld failed=%lld p50_us=%.1f p90_us=%.1f p99_us=%.1f "
	       "p999_us=%.1f max_us=%.1f rate=%.0f\n",
	       sent, done, total - done, pct(lat, done, 0.50), pct(lat, done, 0.90),
	       pct(lat, done, 0.99), pct(lat, done, 0.999),
	       done ? (double)lat[done - 1] / 1000.0 : 0.0,
	       (double)done / ((double)(now_ns() - start) / 1e9));
	ret = (done == total) ? 0 : 1;
out:
	if (conns)
		for (i = 0; i < nconns; i++)
			if (conns[i].fd >= 0)
				close(conns[i].fd);
	free(conns);
	free(pfd);
	free(map);
	free(idle);
	free(lat);
	return ret;
usage:
	fprintf(stderr, "usage: %s -a ADDR -p PORT -u PATH -r RATE -c CONNS -d SECONDS\n", argv[0]);
	return 2;
}
