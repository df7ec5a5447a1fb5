/*
 * policy.c - request filtering decisions.
 */
#include "policy.h"

#include <string.h>
#include <strings.h>

int policy_method(const struct cfg_listener *l, const struct http_msg *m)
{
	if (m->method == M_UNKNOWN || http_method_class(m->method) > l->xhttp)
		return 501;
	return 0;
}

int policy_is_spoofable(int id)
{
	switch (id) {
	case HDR_X_FORWARDED_FOR:
	case HDR_X_FORWARDED_PROTO:
	case HDR_X_FORWARDED_HOST:
	case HDR_X_FORWARDED_PORT:
	case HDR_X_REAL_IP:
	case HDR_FORWARDED:
	case HDR_X_CLIENT_IP:
	case HDR_TRUE_CLIENT_IP:
		return 1;
	}
	return 0;
}

static int is_hop_by_hop(int id)
{
	switch (id) {
	case HDR_CONNECTION:
	case HDR_KEEP_ALIVE:
	case HDR_TE:
	case HDR_TRAILER:
	case HDR_UPGRADE:
	case HDR_PROXY_OTHER:
		return 1;
	}
	return 0;
}

/* Mark headers named `name` (len bytes) dropped, except the ones framing depends on. */
static void drop_named(const char *buf, struct http_msg *m, const char *name, size_t len)
{
	for (int i = 0; i < m->nhdr; i++) {
		struct http_hdr *h = &m->hdr[i];

		if (h->id == HDR_HOST || h->id == HDR_CONTENT_LENGTH ||
		    h->id == HDR_TRANSFER_ENCODING)
			continue;
		if (h->name_len == len && strncasecmp(buf + h->name_off, name, len) == 0)
			h->flags |= HF_DROP;
	}
}

void policy_drop_hop_by_hop(const char *buf, struct http_msg *m)
{
	for (int i = 0; i < m->nhdr; i++) {
		struct http_hdr *h = &m->hdr[i];
		const char *v, *end;

		if (is_hop_by_hop(h->id))
			h->flags |= HF_DROP;
		if (h->id != HDR_CONNECTION)
			continue;
		/* RFC 9110 7.6.1: the options it lists are hop-by-hop too */
		v = buf + h->value_off;
		end = v + h->value_len;
		while (v < end) {
			const char *tok;

			while (v < end && (*v == ',' || *v == ' ' || *v == '\t'))
				v++;
			tok = v;
			while (v < end && *v != ',' && *v != ' ' && *v != '\t')
				v++;
			if (v > tok)
				drop_named(buf, m, tok, (size_t)(v - tok));
		}
	}
}

static void drop_matching(const struct cfg_cond *c, struct route_req *rq, struct http_msg *m)
{
	for (; c; c = c->next)
		for (int i = 0; i < m->nhdr; i++) {
			struct http_hdr *h = &m->hdr[i];

			/* framing is forwarded as parsed: removing it would desync */
			if (h->id == HDR_CONTENT_LENGTH || h->id == HDR_TRANSFER_ENCODING)
				continue;
			if (!(h->flags & HF_DROP) &&
			    route_text_matches(c, rq->buf + h->line_off, h->line_len, rq->scratch))
				h->flags |= HF_DROP;
		}
}

static void drop_replaced(const struct cfg_hdr *a, const char *buf, struct http_msg *m)
{
	for (; a; a = a->next)
		drop_named(buf, m, a->line, a->name_len);
}

void policy_filter_request(const struct cfg_listener *l, const struct cfg_service *svc,
			   struct route_req *rq, struct http_msg *m)
{
	policy_drop_hop_by_hop(rq->buf, m);
	if (m->upgrade)
		for (int i = 0; i < m->nhdr; i++)
			if (m->hdr[i].id == HDR_UPGRADE)
				m->hdr[i].flags &= (uint8_t)~HF_DROP;
	if (l->strip_forwarded)
		for (int i = 0; i < m->nhdr; i++)
			if (policy_is_spoofable(m->hdr[i].id))
				m->hdr[i].flags |= HF_DROP;
	drop_matching(l->head_remove, rq, m);
	drop_replaced(l->head_add, rq->buf, m);
	if (svc) {
		drop_matching(svc->head_remove, rq, m);
		drop_replaced(svc->head_add, rq->buf, m);
	}
}
