/*
 * route.c - service selection.  Conditions are compiled by core/config.c;
 * here they are only evaluated.  regexec() wants NUL-terminated text, so the
 * part being matched is copied into a scratch buffer first (bounded by the
 * head size limit).
 */
#include "route.h"

#include <string.h>
#include <strings.h>

void route_req_init(struct route_req *rq, const char *buf, const struct http_msg *msg,
		    char *scratch)
{
	const char *t = buf + msg->target_off;
	size_t len = msg->target_len;
	const char *q;

	rq->buf = buf;
	rq->msg = msg;
	rq->scratch = scratch;
	rq->ext_cond = NULL; /* set by policy_route_ctx() */
	rq->ext = NULL;
	rq->url = t;
	rq->url_len = len;
	if (len > 0 && t[0] != '/' && t[0] != '*') {
		/* absolute-form: skip "scheme://authority" */
		const char *p = memchr(t, ':', len);

		if (p && (size_t)(t + len - p) > 3 && p[1] == '/' && p[2] == '/') {
			const char *auth = p + 3;
			const char *slash = memchr(auth, '/', (size_t)(t + len - auth));
			const char *qm = memchr(auth, '?', (size_t)(t + len - auth));

			if (qm && (!slash || qm < slash))
				slash = qm;
			if (slash) {
				rq->url = slash;
				rq->url_len = (size_t)(t + len - slash);
			} else {
				rq->url = "/";
				rq->url_len = 1;
			}
		}
	}
	q = memchr(rq->url, '?', rq->url_len);
	rq->path_len = q ? (size_t)(q - rq->url) : rq->url_len;
}

static int ci_eq(const char *a, const char *b, size_t n, int icase)
{
	return icase ? strncasecmp(a, b, n) == 0 : memcmp(a, b, n) == 0;
}

int route_text_matches(const struct cfg_cond *c, const char *text, size_t len, char *scratch)
{
	switch (c->type) {
	case MT_REGEX:
		if (len > HTTP_MAX_HEAD)
			len = HTTP_MAX_HEAD;
		memcpy(scratch, text, len);
		scratch[len] = '\0';
		return regexec(&c->re, scratch, 0, NULL, 0) == 0;
	case MT_EXACT:
		return len == c->len && ci_eq(text, c->str, len, c->icase);
	case MT_PREFIX:
		return len >= c->len && ci_eq(text, c->str, c->len, c->icase);
	case MT_SUFFIX:
		return len >= c->len && ci_eq(text + len - c->len, c->str, c->len, c->icase);
	case MT_CONTAIN:
		for (size_t i = 0; i + c->len <= len; i++)
			if (ci_eq(text + i, c->str, c->len, c->icase))
				return 1;
		return 0;
	}
	return 0;
}

/* Host header value without its port ("[::1]:80" -> "[::1]", "a.b:8" -> "a.b"). */
static size_t host_without_port(const char *h, size_t len)
{
	size_t i = len;

	while (i > 0 && h[i - 1] >= '0' && h[i - 1] <= '9')
		i--;
	/* h[i-1] must be the port's ':'; in a bracketed IPv6 literal only after ']' */
	if (i == 0 || h[i - 1] != ':')
		return len;
	if (h[0] == '[' && (i < 2 || h[i - 2] != ']'))
		return len;
	return i - 1;
}

/* HeadRequire "Host: ..." and HeadDeny see the one normalized Host, not its spelling. */
static int host_line_matches(const struct cfg_cond *c, const struct http_msg *m, char *scratch)
{
	char line[HTTP_HOST_MAX + 6];

	memcpy(line, "Host: ", 6);
	memcpy(line + 6, m->host, m->host_len);
	return route_text_matches(c, line, (size_t)m->host_len + 6, scratch);
}

static int holds(const struct cfg_cond *c, const struct route_req *rq)
{
	const struct http_msg *m = rq->msg;

	switch (c->kind) {
	case COND_URL:
		return route_text_matches(c, rq->url, rq->url_len, rq->scratch);
	case COND_PATH:
		return route_text_matches(c, rq->url, rq->path_len, rq->scratch);
	case COND_HOST: {
		const struct http_hdr *h;

		if (m->host_idx < 0)
			return 0;
		if (m->host_len) /* normalized (http_msg_host_normalize) */
			return route_text_matches(c, m->host, m->hostname_len, rq->scratch);
		h = &m->hdr[m->host_idx];
		return route_text_matches(c, rq->buf + h->value_off,
					  host_without_port(rq->buf + h->value_off, h->value_len),
					  rq->scratch);
	}
	case COND_HEADER:
		for (int i = 0; i < m->nhdr; i++) {
			const struct http_hdr *h = &m->hdr[i];

			if (i == m->host_idx && m->host_len) {
				if (host_line_matches(c, m, rq->scratch))
					return 1;
				continue;
			}
			if (route_text_matches(c, rq->buf + h->line_off, h->line_len, rq->scratch))
				return 1;
		}
		return 0;
	case COND_ACL: /* client and method conditions: answered by core/policy.c */
	case COND_BASICAUTH:
	case COND_METHOD:
		return rq->ext_cond ? rq->ext_cond(c, rq) : 0;
	}
	return 0;
}

int route_cond_holds(const struct cfg_cond *c, const struct route_req *rq)
{
	return holds(c, rq) != c->negate;
}

static const struct cfg_service *first_match(const struct cfg_service *s,
					     const struct route_req *rq)
{
	for (; s; s = s->next) {
		const struct cfg_cond *c;

		for (c = s->conds; c; c = c->next)
			if (!route_cond_holds(c, rq))
				break;
		if (!c)
			return s;
	}
	return NULL;
}

const struct cfg_service *route_find(const struct config *cfg, const struct cfg_listener *l,
				     const struct route_req *rq)
{
	const struct cfg_service *s = first_match(l->services, rq);

	return s ? s : first_match(cfg->services, rq);
}
