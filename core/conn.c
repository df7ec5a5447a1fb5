/*
 * conn.c - the proxy path: a client connection and its backend connection.
 *
 * One request is handled at a time per client connection; pipelined requests
 * wait in the client buffer and are parsed when the previous exchange ends,
 * which keeps responses in order without queueing.  Heads are parsed once,
 * edited as a header list (core/policy.c) and serialized once
 * (core/rewrite.c); bodies are never parsed into memory, only framed
 * (Content-Length, chunked, close-delimited) and forwarded as they came.
 *
 * Callbacks never free the connection directly: they mark it dead and the
 * event handler frees it on the way out, so no code runs on freed memory.
 */
#include "conn.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/uio.h>
#include <unistd.h>

#include "acme.h"
#include "backend.h"
#include "clock.h"
#include "errpage.h"
#include "file.h"
#include "gen.h"
#include "log.h"
#include "net.h"
#include "stream.h"
#include "tls.h"
#include "policy.h"
#include "reply.h"
#include "rewrite.h"
#include "route.h"
#include "session.h"

enum rq_state { RQ_IDLE, RQ_HEAD, RQ_BODY, RQ_DONE };
/* Which timeout the one timer is armed with: the cut line names its directive. */
enum tm_kind { TM_CLIENT, TM_CONNECT, TM_HEAD, TM_STREAM, TM_SEND, TM_TUNNEL };
enum rs_state { RS_NONE, RS_CONNECT, RS_HEAD, RS_BODY, RS_DONE, RS_LOCAL, RS_TUNNEL };

/* Framing of one body in one direction. */
struct body {
	uint8_t kind;     /* enum http_body */
	uint8_t done;     /* every byte of it has been framed */
	uint32_t ready;   /* framed bytes at the head of the input buffer, not yet sent */
	uint64_t left;    /* BODY_LENGTH: bytes not yet framed */
	struct http_chunked ch;
};

struct conn {
	struct proxy *px;
	struct gen *gen; /* the configuration this connection started with */
	const struct cfg_listener *lis;
	int lport; /* the listening socket's port, for X-Forwarded-Port */
	struct conn *prev, *next;
	struct stream cs;    /* the client side */
	struct stream us;    /* the backend side; fd -1 when none */
	char peer[NET_ADDRSTRLEN];

	struct buf cin;  /* bytes from the client */
	struct buf uin;  /* bytes from the backend */
	struct buf cout; /* heads and pages the proxy writes to the client */
	struct buf uout; /* the request head for the backend (kept until answered, for a retry) */

	uint8_t rq, rs;
	uint8_t dead;        /* free me when the handler returns */
	uint8_t closing;     /* close the client after the current response */
	uint8_t client_eof;  /* client half-closed after its request */
	uint8_t up_reused;   /* backend connection came from the pool */
	uint8_t up_stale;    /* this request met a pooled connection the backend had closed */
	uint8_t up_got;      /* any byte received from the backend for this request */
	uint8_t attempts;    /* backend connects tried for this request */
	uint8_t req_method, req_minor, req_keep, req_upgrade;
	uint8_t resp_keep;
	uint8_t resp_endless; /* an event stream or MJPEG: a body with no end to wait for */
	uint8_t acme;        /* answered from the listener's ACME directory */
	int8_t peer_cert;    /* TLS_PEER_* of the client's certificate */
	short cev, uev;      /* poll interest currently registered */
	struct body reqb, respb;
	struct io_pipe pipe; /* a response body spliced from backend to client; rd -1: none */
	uint32_t piped;      /* bytes in it */
	const struct cfg_service *svc;
	const struct cfg_backend *be;
	struct timer tm;
	uint8_t tm_kind;        /* enum tm_kind of the armed timer */
	uint64_t deadline_head; /* hard end of the client's wait (client_deadline_set()) */
	uint8_t later_req;      /* an exchange has ended: the next head gets its own HeadTO */
	uint64_t t_start;       /* first byte of this request, ms */
	int status;
	uint64_t resp_bytes;
	uint64_t req_bytes;     /* request body (tunnel: client) bytes passed to the backend */
	char *logtext;          /* copies of the request line etc. for the log line */
	struct log_req lr;
	struct policy_conn pol; /* real client address, BasicAuth user, limits */
	char *skey;             /* the request's session key (SESS_KEY_MAX bytes, made on first use) */
	uint16_t skey_len;      /* 0: the request has none */
};

static void client_event(void *arg, int fd, int revents);
static void up_event(void *arg, int fd, int revents);
static void progress(struct conn *c);
static void up_start(struct conn *c);
static void up_connected(struct conn *c);

/* ---- small helpers ------------------------------------------------------ */

static int log_level(const struct conn *c)
{
	return config_log_level(c->gen->cfg, c->lis);
}

static void body_init(struct body *b, int kind, uint64_t len)
{
	memset(b, 0, sizeof(*b));
	b->kind = (uint8_t)kind;
	b->left = len;
	if (kind == BODY_CHUNKED)
		http_chunked_init(&b->ch);
	if (kind == BODY_NONE || (kind == BODY_LENGTH && len == 0)) {
		b->kind = BODY_NONE;
		b->done = 1;
	}
}

/*
 * Frame the bytes that arrived since last time.  0, or -1 on bad framing.
 * A request's chunked trailer fields are cut out of `in` (drop_trailers).
 */
static int body_frame(struct body *b, struct buf *in, int drop_trailers)
{
	uint32_t avail;
	size_t used = 0;
	int rc;

	if (b->done || !in->data)
		return 0;
	avail = buf_len(in) - b->ready;
	if (avail == 0)
		return 0;
	switch (b->kind) {
	case BODY_LENGTH:
		used = avail < b->left ? avail : (size_t)b->left;
		b->left -= used;
		b->done = b->left == 0;
		break;
	case BODY_CHUNKED:
		if (drop_trailers) {
			size_t cut = 0;

			rc = http_chunked_feed_drop(&b->ch, buf_head(in) + b->ready, avail, &used,
						    &cut);
			in->end -= (uint32_t)cut;
		} else {
			rc = http_chunked_feed(&b->ch, buf_head(in) + b->ready, avail, &used);
		}
		if (rc < 0)
			return -1;
		b->done = rc == 1;
		break;
	case BODY_CLOSE:
		used = avail;
		break;
	}
	b->ready += (uint32_t)used;
	return 0;
}

static void mark_dead(struct conn *c)
{
	c->dead = 1;
}

/*
 * The client's waits have hard ends that no byte moves, or a trickle of
 * them would hold a slot for ever: the TLS handshake (HandshakeTO from the
 * accept); the first request head (HeadTO from the handshake's end, or the
 * accept, the idle wait before its first byte included); a keep-alive wait
 * (Client from the end of the last exchange, TLS record fragments that
 * decrypt to nothing included); a later head (HeadTO from its first byte).
 */
static void client_deadline_set(struct conn *c, uint64_t from, int secs)
{
	c->deadline_head = from + (uint64_t)secs * 1000;
}

/* ---- the log line ----------------------------------------------------------- */

static void log_keep_request(struct conn *c, const char *buf, const struct http_msg *m)
{
	size_t rl = (size_t)(m->target_off + m->target_len - m->method_off) + 9;
	const char *host = NULL, *ref = NULL, *ua = NULL;
	size_t hl = 0, fl = 0, ul = 0, total;
	char *p;

	free(c->logtext);
	c->logtext = NULL;
	memset(&c->lr, 0, sizeof(c->lr));
	/* LogLevel 0 still keeps the request line: a cut is logged at every level */
	for (int i = 0; i < m->nhdr && log_level(c) > 0; i++) {
		const struct http_hdr *h = &m->hdr[i];

		if (h->id == HDR_HOST) {
			host = m->host; /* the normalized form, as routing saw it */
			hl = m->host_len;
		} else if (http_hdr_name_is(buf, h, "Referer")) {
			ref = buf + h->value_off;
			fl = h->value_len;
		} else if (http_hdr_name_is(buf, h, "User-Agent")) {
			ua = buf + h->value_off;
			ul = h->value_len;
		}
	}
	total = rl + hl + fl + ul;
	p = c->logtext = malloc(total ? total : 1);
	if (!p)
		return;
	/* "METHOD target HTTP/1.x" exactly as the request line was */
	memcpy(p, buf + m->method_off, rl);
	c->lr.reqline = p;
	c->lr.reqline_len = rl;
	p += rl;
	if (host) {
		memcpy(p, host, hl);
		c->lr.host = p;
		c->lr.host_len = hl;
		p += hl;
	}
	if (ref) {
		memcpy(p, ref, fl);
		c->lr.referer = p;
		c->lr.referer_len = fl;
		p += fl;
	}
	if (ua) {
		memcpy(p, ua, ul);
		c->lr.user_agent = p;
		c->lr.user_agent_len = ul;
	}
}

static void log_exchange(struct conn *c)
{
	int level = log_level(c);

	if (level <= 0 || !c->logtext)
		return;
	c->lr.client = policy_client(&c->pol); /* the TrustedIP-resolved client */
	c->lr.user = policy_user(&c->pol);
	c->lr.listener = c->lis->addr_text;
	c->lr.service = c->svc && c->svc->name && c->svc->name[0] ? c->svc->name : NULL;
	if (c->be)
		c->lr.backend = c->be->addr_text;
	else if (c->acme)
		c->lr.backend = "(acme)";
	else if (c->svc && c->svc->redirect_code)
		c->lr.backend = "(redirect)";
	else
		c->lr.backend = "(error)";
	c->lr.status = c->status;
	c->lr.bytes = c->resp_bytes;
	c->lr.usec = (c->px->loop.now - c->t_start) * 1000;
	log_request(level, &c->lr);
}

static const char *const tm_names[] = {
    [TM_CLIENT] = "Client",        [TM_CONNECT] = "ConnTO", [TM_HEAD] = "TimeOut",
    [TM_STREAM] = "StreamTimeOut", [TM_SEND] = "TimeOut",   [TM_TUNNEL] = "WSTimeOut",
};

/*
 * An exchange pinfold ends before its natural end: one line whatever the
 * LogLevel (it silences the access log, not failures), then the connection
 * is closed.  A connection between requests has nothing to report.
 */
static void conn_log_cut(struct conn *c, const char *why)
{
	struct log_req r = {0};

	if (c->rq == RQ_IDLE && c->rs == RS_NONE)
		return;
	r.client = policy_client(&c->pol);
	if (!r.client || !r.client[0])
		r.client = c->peer;
	r.reqline = c->lr.reqline;
	r.reqline_len = c->lr.reqline_len;
	r.backend = c->be ? c->be->addr_text : NULL;
	r.status = c->rs == RS_BODY || c->rs == RS_TUNNEL || c->rs == RS_LOCAL ? c->status : 0;
	r.bytes = c->resp_bytes;
	r.usec = (clock_ms() - c->t_start) * 1000;
	log_cut(&r, why, c->req_bytes);
}

static void conn_cut(struct conn *c, const char *why)
{
	conn_log_cut(c, why);
	mark_dead(c);
}

/* ---- poll interest and the one timer -------------------------------------- */

static int wants_client_read(const struct conn *c)
{
	int room = !c->cin.data || buf_len(&c->cin) < BUF_SIZE;

	if (!room || c->client_eof)
		return 0;
	if (c->rs == RS_TUNNEL || c->rq == RQ_BODY)
		return 1;
	/* While an answer is awaited or streams (a long service call, an event stream), a
	 * client that goes away is noticed at once, not after TimeOut or StreamTimeOut; what
	 * it sends meanwhile waits in cin as any pipelined request does. */
	if (c->rq == RQ_DONE && (c->rs == RS_CONNECT || c->rs == RS_HEAD || c->rs == RS_BODY))
		return 1;
	return (c->rq == RQ_IDLE || c->rq == RQ_HEAD) && c->rs == RS_NONE;
}

static int wants_up_read(const struct conn *c)
{
	int room = !c->uin.data || buf_len(&c->uin) < BUF_SIZE;

	if (c->pipe.rd >= 0)
		return c->rs == RS_BODY && !c->respb.done && c->piped < c->pipe.cap;

	return room && (c->rs == RS_HEAD || c->rs == RS_BODY || c->rs == RS_TUNNEL);
}

static int has_client_output(const struct conn *c)
{
	return buf_len(&c->cout) || c->respb.ready || c->piped ||
	       (c->rs == RS_TUNNEL && buf_len(&c->uin));
}

static int has_up_output(const struct conn *c)
{
	return (c->uout.data && c->uout.start < c->uout.end) || c->reqb.ready ||
	       (c->rs == RS_TUNNEL && buf_len(&c->cin));
}

static void update_events(struct conn *c)
{
	struct proxy *px = c->px;
	short ce = 0, ue = 0;

	if (!c->cs.ready) {
		ce = c->cs.hs_ev;
	} else {
		if (wants_client_read(c))
			ce |= c->cs.rd_ev;
		if (has_client_output(c))
			ce |= c->cs.wr_ev;
	}
	if (c->us.fd >= 0) {
		if (c->rs == RS_CONNECT)
			ue = POLLOUT;
		else if (!c->us.ready)
			ue = c->us.hs_ev;
		else {
			if (wants_up_read(c))
				ue |= c->us.rd_ev;
			if (has_up_output(c))
				ue |= c->us.wr_ev;
		}
	}
	if (ce != c->cev) {
		ev_set(px->loop.ev, c->cs.fd, ce);
		c->cev = ce;
	}
	if (c->us.fd >= 0 && ue != c->uev) {
		ev_set(px->loop.ev, c->us.fd, ue);
		c->uev = ue;
	}
}

static void arm_timer(struct conn *c)
{
	struct proxy *px = c->px;
	uint64_t when;
	int secs;

	switch (c->rs) {
	case RS_CONNECT:
		secs = c->be->conn_to;
		c->tm_kind = TM_CONNECT;
		break;
	case RS_HEAD:
		secs = c->be->timeout;
		c->tm_kind = TM_HEAD;
		break;
	case RS_BODY:
		/* a body that has begun may pause long (event streams, MJPEG, long-poll);
		 * a client that does not take what is ready gets TimeOut, as before */
		if (has_client_output(c)) {
			secs = c->be->timeout;
			c->tm_kind = TM_SEND;
		} else {
			secs = c->be->stream_to;
			c->tm_kind = TM_STREAM;
		}
		break;
	case RS_TUNNEL:
		secs = c->be->ws_timeout;
		c->tm_kind = TM_TUNNEL;
		break;
	default:
		secs = c->lis->client_to;
		c->tm_kind = TM_CLIENT;
		break;
	}
	when = px->loop.now + (uint64_t)secs * 1000;
	if ((c->rq == RQ_HEAD || c->rq == RQ_IDLE) && c->rs == RS_NONE && c->deadline_head < when)
		when = c->deadline_head;
	timer_set(&px->loop.timers, &c->tm, when);
}

/* ---- closing ------------------------------------------------------------------ */

static void up_close(struct conn *c)
{
	if (c->us.fd < 0)
		return;
	ev_del(c->px->loop.ev, c->us.fd);
	stream_close(&c->us);
	c->uev = 0;
	if (c->be)
		backend_conn_end(&c->gen->bk, c->be);
}

static void conn_free(struct conn *c)
{
	struct proxy *px = c->px;

	up_close(c);
	ev_del(px->loop.ev, c->cs.fd);
	stream_close(&c->cs);
	timer_cancel(&px->loop.timers, &c->tm);
	buf_release(&px->loop.pool, &c->cin);
	buf_release(&px->loop.pool, &c->uin);
	buf_release(&px->loop.pool, &c->cout);
	buf_release(&px->loop.pool, &c->uout);
	io_pipes_give(&px->pipes, &c->pipe, c->piped == 0);
	free(c->logtext);
	free(c->skey);
	policy_conn_close(&c->pol, px->connlimit); /* MaxConnsPerIP count */
	c->gen->lis[c->lis->id].conns--;
	gen_unref(c->gen);
	if (c->prev)
		c->prev->next = c->next;
	else
		px->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	px->nconns--;
	free(c);
}

/* ---- replies written by the proxy ------------------------------------------- */

/* Answer the current request ourselves; the request body (if any) is not read. */
static void local_reply_bytes(struct conn *c, int status, int len)
{
	if (len < 0) {
		mark_dead(c);
		return;
	}
	/* A HEAD gets the head only: the body's length stays in Content-Length. */
	if (c->req_method == M_HEAD) {
		for (int i = 0; i + 4 <= len; i++) {
			if (memcmp(c->cout.data + i, "\r\n\r\n", 4) == 0) {
				len = i + 4;
				break;
			}
		}
	}
	c->cout.end = (uint32_t)len;
	c->status = status;
	c->resp_bytes = 0;
	c->rs = RS_LOCAL;
	if (c->rq == RQ_BODY || c->rq == RQ_HEAD)
		c->closing = 1; /* unread body or unparsable head: cannot find the next request */
	c->rq = RQ_DONE;
}

static void local_reply(struct conn *c, int status)
{
	const char *page;
	size_t page_len = 0;
	int keep;

	if (buf_take(&c->px->loop.pool, &c->cout) < 0) {
		mark_dead(c);
		return;
	}
	keep = c->req_keep && !c->closing && c->rq != RQ_BODY && c->rq != RQ_HEAD &&
	       !c->px->stopping;
	if (c->rs != RS_NONE && c->rs != RS_CONNECT)
		keep = 0;
	if (!keep)
		c->closing = 1;
	c->cout.start = 0;
	/* policy adds WWW-Authenticate, Retry-After, Rewrite response; logs the refused line */
	page = errpages_find(c->gen->errpages, c->lis, status, &page_len);
	local_reply_bytes(c, status,
			  policy_reply(&c->pol, c->lis, c->svc, status, keep, NULL, 0, page, page_len,
				       c->cout.data, BUF_SIZE));
	if (c->lr.reqline == NULL && log_level(c) > 0 && status >= 400)
		log_msg(LOG_INFO, "%s: request refused with %d", c->peer, status);
}

/* ---- the request side ---------------------------------------------------------- */

/* Pound's NoHTTPS11: 1 = one request per TLS connection, 2 = only for MSIE. */
static int no_keepalive_over_tls(const struct cfg_listener *l, const char *buf,
				 const struct http_msg *m)
{
	if (l->no_https11 == 1)
		return 1;
	if (l->no_https11 != 2)
		return 0;
	for (int i = 0; i < m->nhdr; i++) {
		const struct http_hdr *h = &m->hdr[i];

		if (!http_hdr_name_is(buf, h, "User-Agent"))
			continue;
		for (size_t k = 0; k + 4 <= h->value_len; k++)
			if (memcmp(buf + h->value_off + k, "MSIE", 4) == 0)
				return 1;
	}
	return 0;
}

/*
 * SNIHost: the certificate was chosen for the name the handshake asked for;
 * a request for another host on that connection (domain fronting, or a
 * name the certificate does not cover) is misdirected.  Without SNI only an
 * address literal can match (clients send no SNI for those).
 */
static int sni_mismatch(const struct conn *c, const struct http_msg *m)
{
	const char *sni = c->cs.tls ? tls_sni(c->cs.tls) : NULL;
	char name[HTTP_HOST_MAX];
	size_t len, nl = 0;

	if (!m->host_len)
		return 0; /* HTTP/1.0 without Host: nothing to compare */
	if (!sni || !sni[0]) {
		for (size_t i = 0; i < m->hostname_len; i++)
			if (!(m->host[i] == '[' || m->host[i] == '.' || m->host[i] == ':' ||
			      (m->host[i] >= '0' && m->host[i] <= '9')))
				return 1; /* a name, without SNI: a fronting attempt or a broken client */
		return 0;
	}
	len = strlen(sni);
	if (len >= HTTP_HOST_MAX)
		return 1;
	http_host_normalize(sni, len, 0, name, &nl);
	return nl != m->hostname_len || memcmp(name, m->host, nl) != 0;
}

/* Serve a file from the listener's ACME directory (read inside the jail, small). */
static void acme_answer(struct conn *c, const struct route_req *rq)
{
	char body[ACME_FILE_MAX];
	size_t len = 0;
	int keep = c->req_keep && c->rq == RQ_DONE && !c->px->stopping, status, n;

	status = acme_lookup(file_in_jail(c->px->jail, c->lis->acme_dir), rq->url, rq->path_len,
			     c->req_method == M_GET || c->req_method == M_HEAD, body, &len);
	if (buf_take(&c->px->loop.pool, &c->cout) < 0) {
		mark_dead(c);
		return;
	}
	if (!keep)
		c->closing = 1;
	c->acme = 1;
	c->cout.start = 0;
	if (status == 200)
		n = reply_content(keep, "text/plain", body, len, c->cout.data, BUF_SIZE);
	else
		n = reply_error_extra(status, keep, status == 405 ? "Allow: GET, HEAD\r\n" : "",
				      c->cout.data, BUF_SIZE);
	local_reply_bytes(c, status, n);
}

static void start_request(struct conn *c)
{
	struct proxy *px = c->px;
	struct http_msg *m = &px->msg;
	struct route_req rq;
	struct rw_client cl;
	const struct cfg_service *svc;
	const char *buf = buf_head(&c->cin);
	int rc, status, n;

	rc = http_parse_request(buf, buf_len(&c->cin), m);
	if (rc == 0 && buf_len(&c->cin) >= BUF_SIZE)
		rc = -431; /* a full buffer and still no end of head */
	/* MaxURI, MaxHeaderSize, MaxHeaders; resets per-request policy state */
	rc = policy_request_head(&c->pol, c->lis, buf, buf_len(&c->cin), rc, m);
	if (rc == 0)
		return;
	c->gen->lis[c->lis->id].requests++;
	if (rc < 0) {
		c->req_keep = 0;
		c->req_method = M_UNKNOWN; /* not known to be a HEAD: the page is sent whole */
		c->rq = RQ_HEAD;
		local_reply(c, -rc);
		return;
	}
	http_msg_host_normalize(m, buf, c->lis->https ? 443 : 80);
	c->req_method = m->method;
	c->req_minor = m->version_minor;
	c->req_keep = m->keep_alive && !px->stopping;
	c->req_upgrade = m->upgrade;
	c->svc = NULL;
	c->be = NULL;
	c->acme = 0;
	c->attempts = 0;
	c->up_stale = 0;
	c->req_bytes = 0;
	body_init(&c->reqb, m->body, m->content_length);
	log_keep_request(c, buf, m);

	/* from here on the head is decided: its bytes leave cin below */
	c->rq = c->reqb.done ? RQ_DONE : RQ_BODY;
	if (c->lis->https && no_keepalive_over_tls(c->lis, buf, m))
		c->req_keep = 0;
	status = policy_method(c->lis, m);
	if (!status && c->lis->client_cert == 1 && c->peer_cert == TLS_PEER_BAD)
		status = 403; /* ClientCert 1: a certificate was offered and did not verify */
	if (!status && c->lis->sni_host && sni_mismatch(c, m))
		status = 421;
	/* TrustedIP client, listener ACL, RateLimit, MaxRequest.  The clock is
	 * read afresh: px->loop.now is from before the last poll() and lags after an idle spell. */
	if (!status)
		status = policy_admit(&c->pol, c->gen->pstate, c->lis, buf, m, clock_ms());
	if (status) {
		buf_consume(&c->cin, (size_t)rc);
		local_reply(c, status);
		return;
	}
	route_req_init(&rq, buf, m, px->scratch);
	/* ACME challenges come before every service: the usual HTTP listener only redirects */
	if (c->lis->acme_dir && acme_wanted(rq.url, rq.path_len)) {
		buf_consume(&c->cin, (size_t)rc);
		acme_answer(c, &rq);
		return;
	}
	policy_route_ctx(&c->pol, &rq); /* answers ACL, BasicAuth, Method conditions */
	svc = route_find(c->gen->cfg, c->lis, &rq);
	c->svc = svc;
	if (!svc) {
		buf_consume(&c->cin, (size_t)rc);
		local_reply(c, 503);
		return;
	}
	c->gen->svc_requests[svc->id]++;
	status = policy_service(&c->pol, svc); /* service RateLimit, login limit */
	if (status) {
		buf_consume(&c->cin, (size_t)rc);
		local_reply(c, status);
		return;
	}
	if (svc->redirect_code) {
		int keep = c->req_keep && c->rq == RQ_DONE;

		if (buf_take(&px->loop.pool, &c->cout) < 0) {
			mark_dead(c);
			return;
		}
		if (!keep)
			c->closing = 1;
		n = reply_redirect(svc->redirect_code, svc->redirect_url, strlen(svc->redirect_url),
				   rq.url, svc->redirect_append ? rq.url_len : 0, keep,
				   c->cout.data, BUF_SIZE);
		buf_consume(&c->cin, (size_t)rc);
		local_reply_bytes(c, svc->redirect_code, n);
		return;
	}
	if (svc->error_code) {
		buf_consume(&c->cin, (size_t)rc);
		local_reply(c, svc->error_code);
		return;
	}
	c->skey_len = 0;
	if (svc->session) {
		size_t klen = 0;
		const char *k = sess_request_key(svc->session, buf, m, policy_client(&c->pol), &klen);

		/* a longer key is not pinned: that request is balanced */
		if (k && klen <= SESS_KEY_MAX && (c->skey || (c->skey = malloc(SESS_KEY_MAX)))) {
			memcpy(c->skey, k, klen);
			c->skey_len = (uint16_t)klen;
		}
	}
	policy_filter_request(c->lis, svc, &rq, m);
	if (buf_take(&px->loop.pool, &c->uout) < 0) {
		mark_dead(c);
		return;
	}
	cl.addr = c->peer;
	cl.https = c->lis->https;
	cl.port = c->lport;
	n = rewrite_request(c->lis, svc, &rq, m, &cl, c->uout.data, BUF_SIZE);
	buf_consume(&c->cin, (size_t)rc);
	if (n < 0) {
		buf_release(&px->loop.pool, &c->uout);
		local_reply(c, 431);
		return;
	}
	c->uout.start = 0;
	c->uout.end = (uint32_t)n;
	up_start(c);
}

/* ---- the backend side ---------------------------------------------------------- */

/* A method that does nothing but read: sending it twice cannot act twice. */
static int method_retryable(int method)
{
	return method == M_GET || method == M_HEAD || method == M_OPTIONS || method == M_TRACE;
}

static void up_failed(struct conn *c, const char *why, int mark)
{
	if (mark && c->be && !c->be->emergency)
		backend_mark_down(&c->gen->bk, c->be, why);
	up_close(c);
	c->up_reused = 0;
	c->rs = RS_NONE;
	up_start(c);
}

/*
 * A reused backend connection closed before a byte of the answer came: the
 * classic race with the backend's keep-alive timeout, and the backend may or
 * may not have acted on the request.  Sent again on a fresh connection only
 * when doing it twice is harmless: a reading method, no body, the whole
 * request already read from the client.  Anything else is a 502 that says why.
 */
static void up_reused_closed(struct conn *c)
{
	if (method_retryable(c->req_method) && c->reqb.kind == BODY_NONE && c->rq == RQ_DONE) {
		c->up_stale = 1;
		up_failed(c, "reused connection closed", 0);
		return;
	}
	log_msg(LOG_WARNING,
		"%s: backend %s closed a reused connection before answering; %s not sent again "
		"(%s)",
		policy_client(&c->pol), c->be->addr_text,
		c->req_method != M_UNKNOWN ? http_method_name(c->req_method) : "the request",
		c->reqb.kind != BODY_NONE ? "it has a body" : "not idempotent");
	up_close(c);
	local_reply(c, 502);
}

static void up_start(struct conn *c)
{
	struct proxy *px = c->px;
	const struct cfg_backend *be;
	struct tls_conn *tls = NULL;
	int fd, inprog = 0, full;

	for (;;) {
		if (c->attempts++ > c->gen->cfg->nbackends + 1) {
			local_reply(c, 503);
			return;
		}
		be = backend_pick(&c->gen->bk, c->svc, c->skey_len ? c->skey : NULL, c->skey_len, &full);
		if (!be) {
			if (full) {
				/* busy, not broken: tell the client to come back soon */
				log_msg(LOG_WARNING,
					"%s: every backend of service \"%s\" is at its MaxConnections",
					policy_client(&c->pol), c->svc->name);
				c->pol.retry_ms = 1000;
			}
			local_reply(c, 503);
			return;
		}
		c->be = be;
		/* a request that cannot be sent again is worth a look at the connection */
		fd = backend_pool_get(&c->gen->bk, be->id, &tls,
				      c->reqb.kind != BODY_NONE || c->up_stale ||
					      !method_retryable(c->req_method));
		c->up_reused = fd >= 0;
		if (fd < 0)
			fd = net_connect((const struct sockaddr *)&be->addr, be->addrlen, &inprog);
		if (fd >= 0)
			break;
		if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
			log_msg(LOG_ERR, "cannot open a socket to %s: %s", be->addr_text,
				strerror(errno));
			local_reply(c, 503);
			return;
		}
		backend_mark_down(&c->gen->bk, be, strerror(errno));
	}
	if (ev_add(px->loop.ev, fd, 0, up_event, c) < 0) {
		tls_free(tls);
		close(fd);
		local_reply(c, 503);
		return;
	}
	stream_init(&c->us, fd, tls);
	c->us.ready = 1; /* a pooled TLS session has done its handshake; a new one starts later */
	c->uev = 0;
	c->up_got = 0;
	c->uout.start = 0; /* (re)send the whole head */
	backend_conn_begin(&c->gen->bk, be);
	c->rs = c->up_reused ? RS_HEAD : RS_CONNECT;
	if (!inprog && !c->up_reused)
		up_connected(c); /* connected at once (loopback): no POLLOUT will come for it */
}

/* Write the request head and framed body bytes to the backend. */
static void up_write(struct conn *c)
{
	struct iovec iov[2];
	int n = 0;
	ssize_t w;
	size_t head = c->uout.data ? c->uout.end - c->uout.start : 0;

	if (c->rs == RS_TUNNEL) {
		if (!buf_len(&c->cin))
			return;
		iov[n].iov_base = buf_head(&c->cin);
		iov[n++].iov_len = buf_len(&c->cin);
	} else {
		if (head) {
			iov[n].iov_base = c->uout.data + c->uout.start;
			iov[n++].iov_len = head;
		}
		if (c->reqb.ready) {
			iov[n].iov_base = buf_head(&c->cin);
			iov[n++].iov_len = c->reqb.ready;
		}
	}
	if (!n)
		return;
	w = stream_writev(&c->us, iov, n);
	if (w < 0) {
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
			return;
		if (!c->up_got && c->up_reused && c->rs == RS_HEAD) {
			up_reused_closed(c);
			return;
		}
		if (c->rs == RS_TUNNEL || c->rs == RS_BODY) {
			conn_cut(c, "backend-error");
			return;
		}
		up_close(c);
		local_reply(c, 502);
		conn_log_cut(c, "backend-error");
		return;
	}
	if (c->rs == RS_TUNNEL) {
		buf_consume(&c->cin, (size_t)w);
		c->req_bytes += (uint64_t)w;
		return;
	}
	if ((size_t)w < head) {
		c->uout.start += (uint32_t)w;
		return;
	}
	w -= (ssize_t)head;
	c->uout.start = c->uout.end; /* head sent; kept for a retry until answered */
	buf_consume(&c->cin, (size_t)w);
	c->req_bytes += (uint64_t)w;
	c->reqb.ready -= (uint32_t)w;
	if (c->reqb.done && !c->reqb.ready && c->rq == RQ_BODY)
		c->rq = RQ_DONE;
}

/* Drive the TLS handshake with an HTTPS backend; a failure says why and tries another. */
static int up_handshake(struct conn *c)
{
	char why[128];

	if (stream_handshake(&c->us) >= 0)
		return 0;
	log_msg(LOG_WARNING, "backend %s: TLS handshake failed: %s", c->be->addr_text,
		tls_strerror(c->us.tls, why, sizeof(why)));
	up_failed(c, "TLS handshake failed", 1);
	return -1;
}

static void up_connected(struct conn *c)
{
	const struct cfg_backend *be = c->be;
	struct tls_ctx *ctx = c->gen->bk.be[be->id].tls;

	if (net_connect_result(c->us.fd) < 0) {
		up_failed(c, strerror(errno), 1);
		return;
	}
	c->rs = RS_HEAD;
	if (be->https && ctx) {
		c->us.tls = tls_new_client(ctx, c->us.fd, be->tls_servername);
		if (!c->us.tls) {
			up_close(c);
			local_reply(c, 503);
			return;
		}
		c->us.ready = 0;
	}
}

/*
 * A response whose body never ends by design: a Server-Sent Events stream (Home
 * Assistant's /api/stream) or a camera's multipart MJPEG.  Waiting for one to finish
 * only holds a restart for the whole Grace; its client reconnects by itself.
 */
static int response_is_endless(const char *buf, const struct http_msg *m)
{
	static const char *const types[] = {"text/event-stream", "multipart/x-mixed-replace"};
	size_t i, k;

	for (i = 0; i < m->nhdr; i++) {
		const struct http_hdr *h = &m->hdr[i];

		if (!http_hdr_name_is(buf, h, "Content-Type"))
			continue;
		for (k = 0; k < sizeof(types) / sizeof(types[0]); k++) {
			size_t n = strlen(types[k]);

			if (h->value_len >= n && strncasecmp(buf + h->value_off, types[k], n) == 0)
				return 1;
		}
	}
	return 0;
}

/* Parse the response head in uin and queue it for the client. */
static void response_head(struct conn *c)
{
	struct proxy *px = c->px;
	struct http_msg *m = &px->msg;
	int rc, n, keep;

	if (buf_len(&c->cout))
		return; /* a 1xx head is still being written */
	rc = http_parse_response(buf_head(&c->uin), buf_len(&c->uin), c->req_method, m);
	if (rc == 0) {
		if (buf_len(&c->uin) >= HTTP_MAX_HEAD)
			rc = -502;
		else
			return;
	}
	if (rc < 0) {
		log_msg(LOG_WARNING, "backend %s sent an invalid response head", c->be->addr_text);
		up_close(c);
		local_reply(c, 502);
		conn_log_cut(c, "bad-framing");
		return;
	}
	buf_release(&px->loop.pool, &c->uout); /* answered: no retry any more */
	if (buf_take(&px->loop.pool, &c->cout) < 0) {
		mark_dead(c);
		return;
	}
	if (m->status >= 100 && m->status < 200 && m->status != 101) {
		/* interim (100 Continue, 103): pass on, then wait for the final head */
		n = rewrite_response(buf_head(&c->uin), m, 1, c->req_minor, c->cout.data, BUF_SIZE);
		if (n < 0 || c->req_minor == 0) {
			buf_consume(&c->uin, (size_t)rc);
			return; /* HTTP/1.0 clients get no interim responses */
		}
		c->cout.start = 0;
		c->cout.end = (uint32_t)n;
		buf_consume(&c->uin, (size_t)rc);
		return;
	}
	c->status = m->status;
	c->resp_bytes = 0;
	if ((m->status == 101 && c->req_upgrade) ||
	    (c->req_method == M_CONNECT && m->status >= 200 && m->status < 300)) {
		n = rewrite_response(buf_head(&c->uin), m, 1, c->req_minor, c->cout.data, BUF_SIZE);
		if (n < 0)
			goto toobig;
		c->cout.start = 0;
		c->cout.end = (uint32_t)n;
		buf_consume(&c->uin, (size_t)rc);
		c->rs = RS_TUNNEL;
		c->rq = RQ_DONE;
		c->closing = 1;
		return;
	}
	if (m->status == 101) {
		/* switching protocols we did not ask for: refuse it */
		up_close(c);
		local_reply(c, 502);
		return;
	}
	if (c->svc->session) {
		size_t klen = 0;
		const char *k = sess_response_key(c->svc->session, buf_head(&c->uin), m, &klen);

		if (k)
			backend_pin(&c->gen->bk, c->svc, k, klen, c->be);
	}
	c->resp_keep = m->keep_alive;
	c->resp_endless = (uint8_t)response_is_endless(buf_head(&c->uin), m);
	body_init(&c->respb, m->body, m->content_length);
	keep = c->req_keep && m->body != BODY_CLOSE && !c->closing && !px->stopping;
	if (!keep)
		c->closing = 1;
	/* Rewrite response (SetHeader / DeleteHeader) of the listener and service */
	n = rewrite_response_edit(buf_head(&c->uin), m, keep, c->req_minor, c->lis, c->svc,
				  px->scratch, c->cout.data, BUF_SIZE);
	if (n < 0)
		goto toobig;
	c->cout.start = 0;
	c->cout.end = (uint32_t)n;
	buf_consume(&c->uin, (size_t)rc);
	c->rs = RS_BODY;
	return;
toobig:
	up_close(c);
	local_reply(c, 502);
}

/* ---- a response body spliced through a kernel pipe --------------------------------- */

/*
 * A long Content-Length body between two plain TCP sockets goes through a
 * pipe (platform/sockio.c: splice() on Linux) instead of a user-space
 * buffer: once the head and whatever came with it have been written, no
 * byte of it is copied through pinfold, and uin goes back to the pool.
 */
#define SPLICE_MIN BUF_SIZE /* a shorter rest is one read and one write anyway */

static int splice_wanted(const struct conn *c)
{
	return c->rs == RS_BODY && c->respb.kind == BODY_LENGTH && c->respb.left >= SPLICE_MIN &&
	       c->pipe.rd < 0 && !buf_len(&c->uin) && !buf_len(&c->cout) && !c->cs.tls &&
	       !c->us.tls;
}

/* Backend to pipe: never more than the body's rest, never more than fits. */
static void splice_in(struct conn *c)
{
	size_t room = c->pipe.cap - c->piped;
	size_t want = c->respb.left < room ? (size_t)c->respb.left : room;
	ssize_t n;

	c->us.more = 0;
	if (!want)
		return;
	n = io_splice_in(c->us.fd, &c->pipe, want);
	if (n > 0) {
		c->up_got = 1;
		c->piped += (uint32_t)n;
		c->respb.left -= (uint64_t)n;
		c->respb.done = c->respb.left == 0;
		c->us.more = (size_t)n == want;
		return;
	}
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return;
	if (n < 0 && !c->piped && (errno == EINVAL || errno == ENOSYS)) {
		/* this system cannot splice these sockets: copy, as before */
		io_pipes_give(&c->px->pipes, &c->pipe, 0);
		io_pipes_disable(&c->px->pipes);
		return;
	}
	/* end of stream or error inside the body: the client sees the cut */
	conn_cut(c, n == 0 ? "backend-closed" : "backend-error");
}

/* Pipe to client. */
static void splice_out(struct conn *c)
{
	ssize_t n = io_splice_out(&c->pipe, c->cs.fd, c->piped);

	if (n > 0) {
		c->piped -= (uint32_t)n;
		c->resp_bytes += (uint64_t)n;
		return;
	}
	if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK))
		mark_dead(c); /* 0: the pipe is emptier than counted; cutting beats spinning */
}

static void up_read(struct conn *c)
{
	ssize_t n;

	if (c->pipe.rd >= 0) {
		splice_in(c);
		return;
	}
	if (buf_take(&c->px->loop.pool, &c->uin) < 0) {
		mark_dead(c);
		return;
	}
	n = stream_read(&c->us, &c->uin);
	if (n > 0) {
		c->up_got = 1;
		return;
	}
	if (n == -2 || (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)))
		return;
	/* EOF or error from the backend */
	switch (c->rs) {
	case RS_HEAD:
		if (!c->up_got && c->up_reused) {
			up_reused_closed(c);
			return;
		}
		up_close(c);
		local_reply(c, 502);
		conn_log_cut(c, n == 0 ? "backend-closed" : "backend-error");
		return;
	case RS_BODY:
		if (c->respb.kind == BODY_CLOSE) {
			c->respb.done = 1;
			up_close(c);
			return;
		}
		/* truncated body: the client must see the connection drop */
		conn_cut(c, n == 0 ? "backend-closed" : "backend-error");
		return;
	case RS_TUNNEL:
		up_close(c);
		if (!buf_len(&c->uin))
			mark_dead(c);
		return;
	default:
		up_close(c);
		return;
	}
}

/* ---- the client side ---------------------------------------------------------- */

static void client_read(struct conn *c)
{
	struct proxy *px = c->px;
	ssize_t n;

	if (buf_take(&px->loop.pool, &c->cin) < 0) {
		mark_dead(c);
		return;
	}
	n = stream_read(&c->cs, &c->cin);
	if (n > 0) {
		if (c->rq == RQ_IDLE) {
			c->rq = RQ_HEAD;
			c->t_start = px->loop.now;
			if (c->later_req)
				client_deadline_set(c, px->loop.now, c->lis->head_to);
		}
		return;
	}
	if (n == -2 || (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)))
		return;
	/* EOF or error from the client */
	if (n < 0 || c->rq == RQ_IDLE || c->rq == RQ_HEAD || c->rq == RQ_BODY ||
	    c->rs == RS_TUNNEL) {
		if (c->rs == RS_TUNNEL && n == 0 && c->us.fd >= 0) {
			c->client_eof = 1;
			if (!buf_len(&c->cin))
				mark_dead(c);
			return;
		}
		mark_dead(c);
		return;
	}
	c->client_eof = 1; /* half-close after a complete request: still answer it */
	c->closing = 1;
}

static void client_write(struct conn *c)
{
	struct iovec iov[2];
	int n = 0;
	ssize_t w;
	size_t head = buf_len(&c->cout);
	uint32_t body = c->rs == RS_TUNNEL ? buf_len(&c->uin) : c->respb.ready;

	if (c->piped && !head) {
		splice_out(c);
		return;
	}
	if (head) {
		iov[n].iov_base = buf_head(&c->cout);
		iov[n++].iov_len = head;
	}
	if (body && c->rs != RS_LOCAL) {
		iov[n].iov_base = buf_head(&c->uin);
		iov[n++].iov_len = body;
	}
	if (!n)
		return;
	w = stream_writev(&c->cs, iov, n);
	if (w < 0) {
		if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
			mark_dead(c);
		return;
	}
	if ((size_t)w < head) {
		buf_consume(&c->cout, (size_t)w);
		return;
	}
	buf_consume(&c->cout, head);
	w -= (ssize_t)head;
	if (w > 0) {
		buf_consume(&c->uin, (size_t)w);
		if (c->rs != RS_TUNNEL)
			c->respb.ready -= (uint32_t)w;
		c->resp_bytes += (uint64_t)w;
	}
}

/* ---- end of one exchange --------------------------------------------------------- */

static void exchange_done(struct conn *c)
{
	struct proxy *px = c->px;

	log_exchange(c);
	if (c->us.fd >= 0) {
		if (c->resp_keep && c->rq == RQ_DONE && c->respb.done && !buf_len(&c->uin) &&
		    c->be) {
			struct tls_conn *tls;
			int fd;

			ev_del(px->loop.ev, c->us.fd);
			fd = stream_release(&c->us, &tls);
			c->uev = 0;
			backend_conn_end(&c->gen->bk, c->be);
			backend_pool_put(&c->gen->bk, c->be->id, fd, tls);
		} else {
			up_close(c);
		}
	}
	buf_release(&px->loop.pool, &c->uout);
	buf_release(&px->loop.pool, &c->uin);
	buf_release(&px->loop.pool, &c->cout);
	io_pipes_give(&px->pipes, &c->pipe, c->piped == 0);
	c->piped = 0;
	free(c->logtext);
	c->logtext = NULL;
	memset(&c->lr, 0, sizeof(c->lr)); /* it pointed into logtext */
	if (c->closing || c->rq != RQ_DONE || px->stopping) {
		mark_dead(c);
		return;
	}
	c->rq = RQ_IDLE;
	c->rs = RS_NONE;
	c->req_method = M_UNKNOWN; /* a 408 for the next head must not pass for a HEAD's */
	c->svc = NULL;
	c->be = NULL;
	memset(&c->reqb, 0, sizeof(c->reqb));
	memset(&c->respb, 0, sizeof(c->respb));
	buf_release_if_empty(&px->loop.pool, &c->cin);
	c->later_req = 1;
	client_deadline_set(c, px->loop.now, c->lis->client_to);
	if (buf_len(&c->cin)) {
		/* a pipelined request is already here */
		c->rq = RQ_HEAD;
		c->t_start = px->loop.now;
		client_deadline_set(c, px->loop.now, c->lis->head_to);
	}
}

/* ---- driving it ------------------------------------------------------------------ */

/* Run every step that can make progress without waiting, until none can. */
static void progress(struct conn *c)
{
	for (int guard = 0; guard < 64 && !c->dead; guard++) {
		uint8_t rq = c->rq, rs = c->rs;
		uint32_t cin = buf_len(&c->cin), uin = buf_len(&c->uin), cout = buf_len(&c->cout);
		uint32_t uo = c->uout.data ? c->uout.end - c->uout.start : 0;
		uint32_t piped = c->piped;
		uint64_t sent = c->resp_bytes;

		if (c->rq == RQ_HEAD && c->rs == RS_NONE && cin)
			start_request(c);
		if (c->dead)
			break;
		uint32_t framed = c->reqb.ready; /* MaxRequest counts framed bytes */

		if (c->rq == RQ_BODY && c->rs != RS_LOCAL && body_frame(&c->reqb, &c->cin, !c->lis->keep_trailers) < 0) {
			c->req_keep = 0;
			if (c->rs == RS_BODY || c->rs == RS_TUNNEL) {
				/* the answer has begun: only a cut can refuse */
				conn_cut(c, "bad-framing");
				break;
			}
			up_close(c);
			local_reply(c, 400);
		} else if (c->rq == RQ_BODY && c->rs != RS_LOCAL && c->reqb.ready > framed &&
			   policy_body(&c->pol, c->lis, c->reqb.ready - framed)) {
			c->req_keep = 0;
			if (c->rs == RS_BODY || c->rs == RS_TUNNEL) {
				/* the answer has begun: only a cut can refuse */
				conn_cut(c, "limit");
				break;
			}
			up_close(c);
			local_reply(c, 413);
		}
		if (c->reqb.done && !c->reqb.ready && c->rq == RQ_BODY)
			c->rq = RQ_DONE;
		/*
		 * Read again without a poll() when the TLS library holds bytes (poll()
		 * cannot tell), or, in the first rounds only, when the last read filled
		 * its buffer: the last rounds must frame and send what was read, since
		 * no poll() event may come for bytes already here.
		 */
		int eager = guard < 48;

		if (c->cs.ready && (stream_pending(&c->cs) || (eager && c->cs.more)) &&
		    wants_client_read(c))
			client_read(c);
		if (c->dead)
			break;
		if (c->us.fd >= 0 && c->rs != RS_CONNECT && !c->us.ready && up_handshake(c) < 0)
			continue;
		if (c->us.fd >= 0 && c->rs != RS_CONNECT && c->us.ready)
			up_write(c);
		if (c->dead)
			break;
		if (c->us.fd >= 0 && c->us.ready && (stream_pending(&c->us) || (eager && c->us.more)) &&
		    wants_up_read(c))
			up_read(c);
		if (c->dead)
			break;
		if (c->rs == RS_HEAD && buf_len(&c->uin))
			response_head(c);
		if (c->dead)
			break;
		if (c->rs == RS_BODY && body_frame(&c->respb, &c->uin, 0) < 0) {
			log_msg(LOG_WARNING, "backend %s sent a badly framed body",
				c->be ? c->be->addr_text : "?");
			if (c->cout.start == 0 && buf_len(&c->cout) && c->resp_bytes == 0) {
				/* nothing of the answer has left yet: it can still be a 502 */
				up_close(c);
				c->respb.ready = 0;
				local_reply(c, 502);
				conn_log_cut(c, "bad-framing");
				continue;
			}
			conn_cut(c, "bad-framing");
			break;
		}
		client_write(c);
		if (c->dead)
			break;
		if (splice_wanted(c) &&
		    io_pipes_take(&c->px->pipes, &c->pipe, proxy_spare_fds(c->px)) == 0)
			continue; /* the next round reads into it */
		if (c->rs == RS_TUNNEL && c->us.fd < 0 && !buf_len(&c->uin) && !buf_len(&c->cout)) {
			mark_dead(c);
			break;
		}
		if (c->rs == RS_TUNNEL && c->client_eof && !buf_len(&c->cin)) {
			mark_dead(c);
			break;
		}
		if (((c->rs == RS_BODY && c->respb.done && !c->respb.ready && !c->piped) ||
		     c->rs == RS_LOCAL) &&
		    !buf_len(&c->cout)) {
			if (c->rq != RQ_DONE || !c->reqb.done || c->reqb.ready) {
				/* answered before the request finished: the backend may still
				 * be waiting for body bytes, so neither side can be reused */
				c->closing = 1;
				c->resp_keep = 0;
				c->rq = RQ_DONE;
			}
			c->rs = RS_DONE;
			exchange_done(c);
			continue;
		}
		if (rq == c->rq && rs == c->rs && cin == buf_len(&c->cin) &&
		    uin == buf_len(&c->uin) && cout == buf_len(&c->cout) &&
		    uo == (c->uout.data ? c->uout.end - c->uout.start : 0) && piped == c->piped &&
		    sent == c->resp_bytes)
			break;
	}
	if (c->dead)
		return;
	if (c->rq == RQ_IDLE && c->rs == RS_NONE && c->px->stopping) {
		mark_dead(c);
		return;
	}
	buf_release_if_empty(&c->px->loop.pool, &c->cin);
	if ((c->rs != RS_HEAD && c->rs != RS_BODY && c->rs != RS_TUNNEL) || c->pipe.rd >= 0)
		buf_release_if_empty(&c->px->loop.pool, &c->uin);
	buf_release_if_empty(&c->px->loop.pool, &c->cout);
	update_events(c);
	arm_timer(c);
}

/*
 * A client handshake that failed or timed out: counted for the periodic
 * summary (core/tlsfail.c); one line each only when asked for.
 */
static void client_tls_failed(struct conn *c, const char *why)
{
	tlsfail_note(&c->px->tlsfail, c->px->loop.now, c->gen->cfg->hs_summary, c->peer, why);
	if (c->gen->cfg->log_handshakes && log_level(c) >= 2)
		log_msg(LOG_INFO, "%s: TLS handshake failed: %s", c->peer, why);
}

/* A finished client handshake: note what the client's certificate proved. */
static void client_tls_ready(struct conn *c)
{
	char subject[256];

	c->peer_cert = (int8_t)tls_peer_cert(c->cs.tls, subject, sizeof(subject));
	log_msg(LOG_DEBUG, "%s: %s %s%s%s", c->peer, tls_version(c->cs.tls), tls_cipher(c->cs.tls),
		subject[0] ? ", client certificate " : "", subject);
}

static void client_event(void *arg, int fd, int revents)
{
	struct conn *c = arg;

	if (!c->cs.ready) {
		int rc = stream_handshake(&c->cs);

		if (rc < 0) {
			char why[128];

			client_tls_failed(c, tls_strerror(c->cs.tls, why, sizeof(why)));
			mark_dead(c);
		} else if (rc > 0) {
			client_tls_ready(c);
			/* the handshake's last step may have taken a while (a slow CPU):
			 * the head's time starts when it ended, not with this loop turn */
			client_deadline_set(c, clock_ms(), c->lis->head_to);
			revents |= c->cs.rd_ev; /* application data may have come with it */
		}
	}
	if (!c->dead && c->cs.ready) {
		if (revents & (c->cs.rd_ev | POLLHUP | POLLERR))
			client_read(c);
		if (!c->dead && (revents & c->cs.wr_ev))
			client_write(c);
	}
	if (!c->dead)
		progress(c);
	if (c->dead)
		conn_free(c);
}

static void up_event(void *arg, int fd, int revents)
{
	struct conn *c = arg;

	if (c->rs == RS_CONNECT) {
		up_connected(c);
	} else if (!c->us.ready) {
		up_handshake(c);
	} else {
		if (revents & (c->us.rd_ev | POLLHUP | POLLERR))
			up_read(c);
		if (!c->dead && c->us.fd >= 0 && (revents & c->us.wr_ev))
			up_write(c);
	}
	if (!c->dead)
		progress(c);
	if (c->dead)
		conn_free(c);
}

static void conn_timeout(struct timer *t, void *arg)
{
	struct conn *c = arg;

	switch (c->rs) {
	case RS_CONNECT:
		up_failed(c, "connect timed out", 1);
		if (c->rs == RS_LOCAL)
			conn_log_cut(c, "ConnTO"); /* no backend left to try */
		break;
	case RS_HEAD:
		log_msg(LOG_WARNING, "backend %s did not answer in time", c->be->addr_text);
		up_close(c);
		c->req_keep = 0;
		local_reply(c, 504);
		conn_log_cut(c, "TimeOut");
		break;
	case RS_NONE:
		if (!c->cs.ready)
			client_tls_failed(c, "timed out");
		if (c->rq == RQ_HEAD) {
			c->req_keep = 0;
			local_reply(c, 408);
			break;
		}
		mark_dead(c);
		break;
	default:
		conn_cut(c, tm_names[c->tm_kind]);
		break;
	}
	if (!c->dead)
		progress(c);
	if (c->dead)
		conn_free(c);
}

/* ---- accept and shutdown -------------------------------------------------------------- */

int conn_accept(struct proxy *px, const struct lsock *ls, int fd,
		const struct sockaddr_storage *peer)
{
	struct conn *c = calloc(1, sizeof(*c));

	if (!c) {
		close(fd);
		return -1;
	}
	c->px = px;
	c->gen = px->gen;
	gen_ref(c->gen);
	c->lis = ls->lis;
	c->lport = ls->port;
	/* MaxConnsPerIP; a refused connection is logged there */
	if (policy_conn_open(&c->pol, &px->connlimit, c->gen->cfg, c->lis, peer) < 0) {
		close(fd);
		gen_unref(c->gen);
		free(c);
		return -1;
	}
	stream_init(&c->cs, fd, NULL);
	stream_init(&c->us, -1, NULL);
	c->pipe.rd = c->pipe.wr = -1;
	if (ls->tls) {
		c->cs.tls = tls_new_server(ls->tls, fd);
		if (!c->cs.tls) {
			close(fd);
			policy_conn_close(&c->pol, px->connlimit);
			gen_unref(c->gen);
			free(c);
			return -1;
		}
		c->cs.ready = 0;
	}
	net_addr_host((const struct sockaddr *)peer, c->peer, sizeof(c->peer));
	timer_init(&c->tm, conn_timeout, c);
	client_deadline_set(c, px->loop.now, ls->tls ? c->lis->hs_to : c->lis->head_to);
	if (ev_add(px->loop.ev, fd, POLLIN, client_event, c) < 0) {
		stream_close(&c->cs);
		policy_conn_close(&c->pol, px->connlimit);
		gen_unref(c->gen);
		free(c);
		return -1;
	}
	c->cev = POLLIN;
	c->gen->lis[c->lis->id].conns++;
	c->next = px->conns;
	if (px->conns)
		px->conns->prev = c;
	px->conns = c;
	px->nconns++;
	arm_timer(c);
	return 0;
}

void conn_shutdown_idle(struct proxy *px)
{
	struct conn *c = px->conns, *next;

	for (; c; c = next) {
		next = c->next;
		if (c->rq == RQ_IDLE && c->rs == RS_NONE) {
			conn_free(c);
		} else if (c->rs == RS_TUNNEL || (c->rs == RS_BODY && c->resp_endless)) {
			/*
			 * A WebSocket, an event stream or an MJPEG stream has no end to
			 * wait for, and its client reconnects (Home Assistant's frontend
			 * does at once): holding it for the whole Grace only delays the
			 * restart.  No close frame (1001) is sent: the proxy does not
			 * parse the tunnel, so it cannot know whether the backend is in
			 * the middle of a frame.
			 */
			conn_cut(c, "shutdown");
			conn_free(c);
		} else {
			c->closing = 1;
		}
	}
}

void conn_close_all(struct proxy *px)
{
	while (px->conns) {
		conn_log_cut(px->conns, "Grace");
		conn_free(px->conns);
	}
}
