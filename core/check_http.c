/*
 * check_http.c - the HTTP health check: connect (ConnTO), TLS handshake for
 * an HTTPS backend, send a small HTTP/1.1 request with Connection: close,
 * read until the status line is complete (TimeOut), judge its code against
 * the HealthCheck's.  Only the status line is read; core/http.c's response
 * parser checks its form, so a backend answering junk fails as surely as
 * one answering 500.
 */
#include "check_http.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "http.h"
#include "net.h"
#include "stream.h"

#define HC_REQ_MAX    1600 /* HealthCheck path (1024) + Host + fixed lines */
#define HC_STATUS_MAX 512  /* a status line longer than this is not one we accept */

enum hc_phase { HC_CONNECT, HC_HANDSHAKE, HC_SEND, HC_RECV };

struct hc_probe {
	struct hc_probe **owner; /* the caller's pointer to it, cleared when it ends */
	struct loop *lp;
	const struct cfg_backend *b;
	struct tls_ctx *tls;
	check_http_done done;
	void *arg;
	struct timer tm; /* ConnTO, then TimeOut */
	struct stream s;
	struct buf in;
	enum hc_phase phase;
	size_t sent, reqlen;
	char req[HC_REQ_MAX];
};

static const char *host_of(const struct cfg_backend *b)
{
	return b->tls_servername ? b->tls_servername : b->addr_text;
}

int check_http_request(const struct cfg_backend *b, char *out, size_t cap)
{
	int n = snprintf(out, cap,
	                 "%s %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n"
	                 "User-Agent: pinfold\r\nAccept: */*\r\n\r\n",
	                 b->hc->method, b->hc->path, host_of(b));

	return n < 0 || (size_t)n >= cap ? -1 : n;
}

int check_http_verdict(const struct cfg_backend *b, const char *data, size_t len, char *why,
                       size_t whylen)
{
	char line[HC_STATUS_MAX + 4];
	struct http_msg m;
	const char *eol = memchr(data, '\n', len < HC_STATUS_MAX ? len : HC_STATUS_MAX);
	size_t ll;
	int rc;

	if (!eol) {
		if (len < HC_STATUS_MAX)
			return -1;
		snprintf(why, whylen, "health check got no status line");
		return 0;
	}
	/* the status line alone, as a head without fields, through the real parser */
	ll = (size_t)(eol - data);
	if (ll && data[ll - 1] == '\r')
		ll--;
	memcpy(line, data, ll);
	memcpy(line + ll, "\r\n\r\n", 4);
	rc = http_parse_response(line, ll + 4, strcmp(b->hc->method, "HEAD") == 0 ? M_HEAD : M_GET,
	                         &m);
	if (rc <= 0) {
		snprintf(why, whylen, "health check got an invalid status line");
		return 0;
	}
	if (m.status < b->hc->status_lo || m.status > b->hc->status_hi) {
		snprintf(why, whylen, "health check got %d", m.status);
		return 0;
	}
	return 1;
}

void check_http_stop(struct hc_probe **hp)
{
	struct hc_probe *h = *hp;

	if (!h)
		return;
	timer_cancel(&h->lp->timers, &h->tm);
	if (h->s.fd >= 0) {
		ev_del(h->lp->ev, h->s.fd);
		stream_close(&h->s);
	}
	buf_release(&h->lp->pool, &h->in);
	*hp = NULL;
	free(h);
}

static void finish(struct hc_probe *h, int ok, const char *why)
{
	check_http_done done = h->done;
	void *arg = h->arg;

	check_http_stop(h->owner);
	done(arg, ok, why);
}

static void fail_errno(struct hc_probe *h, const char *what)
{
	char why[160];

	snprintf(why, sizeof(why), "health check %s: %s", what, strerror(errno));
	finish(h, 0, why);
}

static void hc_timeout(struct timer *t, void *arg)
{
	finish(arg, 0, "health check timed out");
}

/* Run the probe as far as it goes without waiting. */
static void hc_step(struct hc_probe *h)
{
	const struct cfg_backend *b = h->b;
	struct loop *lp = h->lp;
	char why[160];
	int rc;

	for (;;) {
		switch (h->phase) {
		case HC_CONNECT:
			if (net_connect_result(h->s.fd) < 0) {
				fail_errno(h, "could not connect");
				return;
			}
			if (b->https) {
				h->s.tls = tls_new_client(h->tls, h->s.fd, b->tls_servername);
				if (!h->s.tls) {
					finish(h, 0, "health check could not start TLS");
					return;
				}
				h->s.ready = 0;
				h->phase = HC_HANDSHAKE;
			} else {
				h->phase = HC_SEND;
			}
			/* the connect is done: the rest is bounded by the response timeout */
			timer_set(&lp->timers, &h->tm, lp->now + (uint64_t)b->timeout * 1000);
			break;
		case HC_HANDSHAKE:
			rc = stream_handshake(&h->s);
			if (rc < 0) {
				finish(h, 0, "health check TLS handshake failed");
				return;
			}
			if (rc == 0) {
				ev_set(lp->ev, h->s.fd, h->s.hs_ev);
				return;
			}
			h->phase = HC_SEND;
			break;
		case HC_SEND: {
			struct iovec iov = {h->req + h->sent, h->reqlen - h->sent};
			ssize_t w = stream_writev(&h->s, &iov, 1);

			if (w < 0) {
				if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
					ev_set(lp->ev, h->s.fd, h->s.wr_ev);
					return;
				}
				fail_errno(h, "could not send");
				return;
			}
			h->sent += (size_t)w;
			if (h->sent == h->reqlen)
				h->phase = HC_RECV;
			break;
		}
		case HC_RECV: {
			ssize_t n = stream_read(&h->s, &h->in);

			if (n > 0 || n == -2) {
				rc = check_http_verdict(b, buf_head(&h->in), buf_len(&h->in), why,
				                        sizeof(why));
				if (rc >= 0) {
					finish(h, rc, why);
					return;
				}
				break; /* read on: TLS may hold more than poll() shows */
			}
			if (n == 0) {
				finish(h, 0, "health check: connection closed before a status line");
				return;
			}
			if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
				ev_set(lp->ev, h->s.fd, h->s.rd_ev);
				return;
			}
			fail_errno(h, "could not read");
			return;
		}
		}
	}
}

static void hc_event(void *arg, int fd, int revents)
{
	hc_step(arg);
}

void check_http_start(struct hc_probe **hp, struct loop *lp, const struct cfg_backend *b,
                      struct tls_ctx *tls, check_http_done done, void *arg)
{
	struct hc_probe *h;
	int inprog = 0, fd, n;

	h = calloc(1, sizeof(*h));
	if (!h)
		return; /* try again next tick */
	n = check_http_request(b, h->req, sizeof(h->req));
	if (n < 0 || buf_take(&lp->pool, &h->in) < 0) {
		free(h);
		return;
	}
	h->owner = hp;
	h->lp = lp;
	h->b = b;
	h->tls = tls;
	h->done = done;
	h->arg = arg;
	h->reqlen = (size_t)n;
	timer_init(&h->tm, hc_timeout, h);
	stream_init(&h->s, -1, NULL);
	*hp = h;
	fd = net_connect((const struct sockaddr *)&b->addr, b->addrlen, &inprog);
	if (fd < 0) {
		fail_errno(h, "could not connect");
		return;
	}
	h->phase = HC_CONNECT;
	if (ev_add(lp->ev, fd, POLLOUT, hc_event, h) < 0) {
		close(fd); /* not watched: check_http_stop must not ev_del it */
		check_http_stop(hp);
		return;
	}
	h->s.fd = fd;
	if (timer_set(&lp->timers, &h->tm, lp->now + (uint64_t)b->conn_to * 1000) < 0) {
		check_http_stop(hp);
		return;
	}
	if (!inprog)
		hc_step(h); /* connected at once (loopback) */
}
