/*
 * rewrite.c - head serialization.  Lines are copied as the peer sent them
 * (they were validated by the parser), so nothing is re-encoded.
 */
#include "rewrite.h"

#include <string.h>
#include <strings.h>

#include "policy.h"

struct out {
	char *p;
	size_t len, cap;
	int overflow;
};

static void put(struct out *o, const char *s, size_t n)
{
	if (o->overflow || n > o->cap - o->len) {
		o->overflow = 1;
		return;
	}
	memcpy(o->p + o->len, s, n);
	o->len += n;
}

static void puts_(struct out *o, const char *s)
{
	put(o, s, strlen(s));
}

/* A string literal, its length known to the compiler. */
#define PUTL(o, lit) put(o, lit, sizeof(lit) - 1)

/* v in decimal, at least `width` digits (zero-padded). */
static void put_uint(struct out *o, unsigned v, size_t width)
{
	char d[10];
	size_t n = sizeof(d);

	do {
		d[--n] = (char)('0' + v % 10);
		v /= 10;
	} while (v || sizeof(d) - n < width);
	put(o, d + n, sizeof(d) - n);
}

static void put_kept_headers(struct out *o, const char *buf, const struct http_msg *m)
{
	for (int i = 0; i < m->nhdr; i++) {
		const struct http_hdr *h = &m->hdr[i];

		if (h->flags & HF_DROP)
			continue;
		if (i == m->host_idx && m->host_len) {
			/* the backend gets the host routing and the logs saw */
			PUTL(o, "Host: ");
			put(o, m->host, m->host_len);
			PUTL(o, "\r\n");
			continue;
		}
		put(o, buf + h->line_off, h->line_len);
		put(o, "\r\n", 2);
	}
}

static void put_added(struct out *o, const struct cfg_hdr *a)
{
	for (; a; a = a->next) {
		put(o, a->line, a->len);
		put(o, "\r\n", 2);
	}
}

/* The client's X-Forwarded-For values (trusted upstream only), to extend. */
static void put_xff(struct out *o, const char *buf, struct http_msg *m, const char *addr)
{
	PUTL(o, "X-Forwarded-For: ");
	for (int i = 0; i < m->nhdr; i++) {
		struct http_hdr *h = &m->hdr[i];

		if (h->id != HDR_X_FORWARDED_FOR || (h->flags & HF_DROP))
			continue;
		h->flags |= HF_DROP; /* folded into ours */
		if (h->value_len) {
			put(o, buf + h->value_off, h->value_len);
			PUTL(o, ", ");
		}
	}
	puts_(o, addr);
	PUTL(o, "\r\n");
}

static int kept(const struct http_msg *m, int id)
{
	for (int i = 0; i < m->nhdr; i++)
		if (m->hdr[i].id == id && !(m->hdr[i].flags & HF_DROP))
			return 1;
	return 0;
}

int rewrite_request(const struct cfg_listener *l, const struct cfg_service *svc,
		    const struct route_req *rq, struct http_msg *m, const struct rw_client *cl,
		    char *out, size_t cap)
{
	struct out o = {out, 0, cap, 0};
	const char *buf = rq->buf;

	put(&o, buf + m->method_off, m->method_len);
	put(&o, " ", 1);
	put(&o, rq->url, rq->url_len);
	if (m->version_minor)
		PUTL(&o, " HTTP/1.1\r\n");
	else
		PUTL(&o, " HTTP/1.0\r\n");
	put_xff(&o, buf, m, cl->addr); /* before the others so it drops the ones it folds */
	put_kept_headers(&o, buf, m);
	if (!kept(m, HDR_X_FORWARDED_PROTO)) {
		if (cl->https)
			PUTL(&o, "X-Forwarded-Proto: https\r\n");
		else
			PUTL(&o, "X-Forwarded-Proto: http\r\n");
	}
	if (!kept(m, HDR_X_FORWARDED_PORT)) {
		PUTL(&o, "X-Forwarded-Port: ");
		put_uint(&o, (unsigned)cl->port, 1);
		PUTL(&o, "\r\n");
	}
	if (m->upgrade)
		PUTL(&o, "Connection: upgrade\r\n");
	put_added(&o, l->head_add);
	if (svc)
		put_added(&o, svc->head_add);
	put(&o, "\r\n", 2);
	return o.overflow ? -1 : (int)o.len;
}

/* Drop response lines matching DeleteHeader patterns or named by SetHeader. */
static void drop_for_edits(const char *buf, struct http_msg *m, const struct cfg_cond *del,
			   const struct cfg_hdr *set, char *scratch)
{
	if (!del && !set)
		return;
	for (int i = 0; i < m->nhdr; i++) {
		struct http_hdr *h = &m->hdr[i];

		if (h->id == HDR_CONTENT_LENGTH || h->id == HDR_TRANSFER_ENCODING)
			continue; /* framing stays as parsed */
		for (const struct cfg_cond *c = del; c && !(h->flags & HF_DROP); c = c->next)
			if (route_text_matches(c, buf + h->line_off, h->line_len, scratch))
				h->flags |= HF_DROP;
		for (const struct cfg_hdr *a = set; a && !(h->flags & HF_DROP); a = a->next)
			if (h->name_len == a->name_len &&
			    strncasecmp(buf + h->name_off, a->line, a->name_len) == 0)
				h->flags |= HF_DROP;
	}
}

/* Is a header of this name among the lines `set`? */
static int named_in(const struct cfg_hdr *set, const char *name, size_t len)
{
	for (; set; set = set->next)
		if (set->name_len == len && strncasecmp(set->line, name, len) == 0)
			return 1;
	return 0;
}

static int response_head(const char *buf, struct http_msg *m, int keep_alive, int client_minor,
			 const struct cfg_listener *l, const struct cfg_service *svc,
			 char *scratch, char *out, size_t cap);

int rewrite_response(const char *buf, struct http_msg *m, int keep_alive, int client_minor,
		     char *out, size_t cap)
{
	return response_head(buf, m, keep_alive, client_minor, NULL, NULL, NULL, out, cap);
}

int rewrite_response_edit(const char *buf, struct http_msg *m, int keep_alive, int client_minor,
			  const struct cfg_listener *l, const struct cfg_service *svc,
			  char *scratch, char *out, size_t cap)
{
	return response_head(buf, m, keep_alive, client_minor, l, svc, scratch, out, cap);
}

static int response_head(const char *buf, struct http_msg *m, int keep_alive, int client_minor,
			 const struct cfg_listener *l, const struct cfg_service *svc,
			 char *scratch, char *out, size_t cap)
{
	struct out o = {out, 0, cap, 0};
	const struct cfg_hdr *ladd = l ? l->resp_add : NULL;

	policy_drop_hop_by_hop(buf, m);
	if (m->status == 101 || !scratch)
		l = NULL, svc = NULL, ladd = NULL; /* a tunnel's head is passed as it is */
	if (svc)
		drop_for_edits(buf, m, svc->resp_remove, svc->resp_add, scratch);
	if (l)
		drop_for_edits(buf, m, l->resp_remove, l->resp_add, scratch);
	PUTL(&o, "HTTP/1.1 ");
	put_uint(&o, m->status, 3);
	PUTL(&o, " ");
	put(&o, buf + m->reason_off, m->reason_len);
	put(&o, "\r\n", 2);
	if (m->status == 101) {
		for (int i = 0; i < m->nhdr; i++)
			if (m->hdr[i].id == HDR_UPGRADE)
				m->hdr[i].flags &= (uint8_t)~HF_DROP;
		put_kept_headers(&o, buf, m);
		PUTL(&o, "Connection: upgrade\r\n");
	} else {
		put_kept_headers(&o, buf, m);
		for (const struct cfg_hdr *a = svc ? svc->resp_add : NULL; a; a = a->next)
			if (!named_in(ladd, a->line, a->name_len)) {
				put(&o, a->line, a->len);
				put(&o, "\r\n", 2);
			}
		put_added(&o, ladd);
		if (!keep_alive)
			PUTL(&o, "Connection: close\r\n");
		else if (client_minor == 0)
			PUTL(&o, "Connection: keep-alive\r\n");
	}
	put(&o, "\r\n", 2);
	return o.overflow ? -1 : (int)o.len;
}
