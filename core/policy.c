/*
 * policy.c - request filtering decisions and the access controls.
 *
 * The access controls keep two kinds of state.  Per configuration generation
 * (struct policy_state, hung on struct gen by core/gen.c): one token-bucket table for every
 * RateLimit and the failed-login limit, and the BasicAuth password files.  A
 * reload starts them afresh, and a connection keeps using the generation it
 * started with, as it does for everything else.  Per process (on struct
 * proxy): the live connection count of every client address, which must
 * outlive reloads because the connections do.
 *
 * The client address every decision uses is the TCP peer, unless the peer is
 * in the listener's TrustedIP list: then it is the last address in
 * X-Forwarded-For that is not itself trusted (read right to left), so a chain
 * of trusted proxies is seen through and nothing the client wrote in front
 * of them is believed.
 */
#include "policy.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "clock.h"
#include "connlimit.h"
#include "entropy.h"
#include "file.h"
#include "log.h"
#include "ratelimit.h"
#include "reply.h"
#include "timer.h"

#define AUTH_SLOT   0xffffffffu /* the failed-login buckets, apart from every RateLimit */
#define REPLY_EXTRA 2048        /* headers added to the proxy's own pages */
/* A 401 must carry a challenge; Pound's example realm, unless Rewrite response sets one. */
#define DEFAULT_CHALLENGE "WWW-Authenticate: Basic realm=\"Restricted access\""

struct policy_state {
	struct rl_table *rl;       /* NULL when the config has no limit that needs it */
	struct auth_users **users; /* by cfg_cond.auth_id */
	unsigned nusers;
	const struct config *cfg;
	uint8_t key[32]; /* keys the BasicAuth success caches */
};

/* ---- header filtering ------------------------------------------------------------ */

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
	case HDR_SPOOF_OTHER:
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

/* Only called by route_find() on behalf of policy_route_ctx(). */
static int policy_cond(const struct cfg_cond *c, const struct route_req *rq);

/*
 * "Transfer_Encoding", "X_Forwarded_For": CGI and WSGI backends turn '-' into
 * '_', so such a name reads there as the real field.  A client has no reason
 * to send one of the fields the proxy decides on under that spelling.
 */
static int underscore_alias(const char *name, size_t len)
{
	static const char *const guarded[] = {
		"content-length", "transfer-encoding", "host", "connection", "upgrade",
		"x-forwarded-for", "x-forwarded-proto", "x-forwarded-host", "x-forwarded-port",
		"x-real-ip", "forwarded", "x-client-ip", "true-client-ip", "authorization",
		"proxy", "x-originating-ip", "cf-connecting-ip", "x-cluster-client-ip", "client-ip",
		"front-end-https", "x-original-url", "x-rewrite-url", "x-host", "x-url-scheme",
	};
	char norm[32];

	if (len >= sizeof(norm) || !memchr(name, '_', len))
		return 0;
	for (size_t i = 0; i < len; i++) {
		char ch = name[i] == '_' ? '-' : name[i];

		norm[i] = (char)(ch >= 'A' && ch <= 'Z' ? ch - 'A' + 'a' : ch);
	}
	norm[len] = '\0';
	if (len > 12 && memcmp(norm, "x-forwarded-", 12) == 0)
		return 1;
	for (size_t i = 0; i < sizeof(guarded) / sizeof(guarded[0]); i++)
		if (strcmp(norm, guarded[i]) == 0)
			return 1;
	return 0;
}

void policy_filter_request(const struct cfg_listener *l, const struct cfg_service *svc,
                           struct route_req *rq, struct http_msg *m)
{
	const struct policy_conn *pc = rq->ext_cond == policy_cond ? rq->ext : NULL;
	int strip = pc && pc->strip >= 0 ? pc->strip : l->strip_forwarded;

	policy_drop_hop_by_hop(rq->buf, m);
	if (m->upgrade)
		for (int i = 0; i < m->nhdr; i++)
			if (m->hdr[i].id == HDR_UPGRADE)
				m->hdr[i].flags &= (uint8_t)~HF_DROP;
	if (strip)
		for (int i = 0; i < m->nhdr; i++)
			if (policy_is_spoofable(m->hdr[i].id))
				m->hdr[i].flags |= HF_DROP;
	for (int i = 0; i < m->nhdr; i++)
		if (underscore_alias(rq->buf + m->hdr[i].name_off, m->hdr[i].name_len))
			m->hdr[i].flags |= HF_DROP;
	/*
	 * Credentials the proxy checked were for the proxy: the backend has its own
	 * logins (Home Assistant's are bearer tokens), and must not see or log ours.
	 */
	if (pc && pc->auth_consumed)
		drop_named(rq->buf, m, "Authorization", 13);
	drop_matching(l->head_remove, rq, m);
	drop_replaced(l->head_add, rq->buf, m);
	if (svc) {
		drop_matching(svc->head_remove, rq, m);
		drop_replaced(svc->head_add, rq->buf, m);
	}
}

/* ---- runtime state ------------------------------------------------------------------ */

struct diag_at {
	const struct cfg_auth *a;
	int errors;
};

static void auth_diag(void *ctx, const char *msg)
{
	struct diag_at *d = ctx;

	log_msg(LOG_ERR, "%s:%d:%d: %s", d->a->file, d->a->line, d->a->col, msg);
	d->errors++;
}

/* A key nobody can guess; kept from the last generation if the jail offers no entropy. */
static void make_key(uint8_t key[32], const struct policy_state *old)
{
	if (entropy_fill(key, 32) == 0)
		return;
	if (old) {
		memcpy(key, old->key, 32);
		return;
	}
	/* Last resort: time, pid and where the heap and stack were put (ASLR); weak, and said so.
	 */
	{
		uint64_t mix[4] = {clock_ms(), (uint64_t)getpid(), (uint64_t)(uintptr_t)key,
		                   (uint64_t)(uintptr_t)&mix};

		memcpy(key, mix, 32);
		log_msg(LOG_WARNING, "no source of random bytes: the BasicAuth cache key is weak");
	}
}

static int needs_table(const struct config *cfg)
{
	return cfg->nrates > 0 || cfg->nauth > 0;
}

int policy_state_new(struct policy_state **out, const struct config *cfg,
                     const struct policy_state *old, const char *jail)
{
	struct policy_state *ps = calloc(1, sizeof(*ps));
	int errors = 0;

	*out = ps;
	if (!ps)
		goto oom;
	ps->cfg = cfg;
	if (needs_table(cfg) && !(ps->rl = rl_new(cfg->rate_entries)))
		goto oom;
	if (cfg->nauth) {
		make_key(ps->key, old);
		ps->users = calloc(cfg->nauth, sizeof(*ps->users));
		if (!ps->users)
			goto oom;
		ps->nusers = cfg->nauth;
		for (unsigned i = 0; i < cfg->nauth; i++) {
			struct diag_at d = {&cfg->auth[i], 0};

			ps->users[i] =
			    auth_load(file_in_jail(jail, cfg->auth[i].path), ps->key, auth_diag, &d);
			if (!ps->users[i])
				errors++;
		}
	}
	return errors ? -1 : 0;
oom:
	log_msg(LOG_ERR, "out of memory");
	return -1;
}

void policy_state_free(struct policy_state *ps)
{
	if (!ps)
		return;
	rl_free(ps->rl);
	for (unsigned i = 0; i < ps->nusers; i++)
		auth_free(ps->users[i]);
	free(ps->users);
	free(ps);
}

int policy_check_files(const struct config *cfg)
{
	uint8_t key[32] = {0};
	int failed = 0;

	for (unsigned i = 0; i < cfg->nauth; i++) {
		struct diag_at d = {&cfg->auth[i], 0};
		struct auth_users *u = auth_load(cfg->auth[i].path, key, auth_diag, &d);

		if (!u)
			failed++;
		auth_free(u);
	}
	return failed;
}

void policy_conns_free(struct connlimit **table)
{
	connlimit_free(*table);
	*table = NULL;
}

/* ---- per connection -------------------------------------------------------------------- */

int policy_conn_open(struct policy_conn *pc, struct connlimit **table, const struct config *cfg,
                     const struct cfg_listener *l, const struct sockaddr_storage *peer)
{
	unsigned cap = cfg->max_conns_ip;
	int rc;

	memset(pc, 0, sizeof(*pc));
	acl_addr_from_sockaddr((const struct sockaddr *)peer, &pc->peer);
	acl_addr_format(&pc->peer, pc->peer_text, sizeof(pc->peer_text));
	pc->client = pc->peer;
	memcpy(pc->client_text, pc->peer_text, sizeof(pc->client_text));
	pc->auth_memo = -1;
	pc->strip = -1;
	/* a trusted proxy carries many clients: it is not capped as one */
	if (!cap || (l->trusted && acl_match(l->trusted, &pc->peer)))
		return 0;
	if (!*table && !(*table = connlimit_new()))
		return 0;
	rc = connlimit_acquire(*table, &pc->peer, cap);
	if (rc == 0)
		pc->counted = 1;
	if (rc != -1)
		return 0; /* counted, or out of memory: let it in uncounted */
	log_refused(pc->peer_text, NULL, 0, 0, "connlimit");
	return -1;
}

void policy_conn_close(struct policy_conn *pc, struct connlimit *table)
{
	if (pc->counted && table)
		connlimit_release(table, &pc->peer);
	pc->counted = 0;
}

/* ---- per request ------------------------------------------------------------------------ */

/* The first line of the request (or as much as arrived), for the refused line. */
static void keep_reqline(struct policy_conn *pc, const char *buf, size_t len)
{
	size_t n, cap = sizeof(pc->reqline) - 4;
	const char *cr, *lf;

	n = len > cap + 1 ? cap + 1 : len; /* one more than fits tells "cut" */
	cr = memchr(buf, '\r', n);
	if (cr)
		n = (size_t)(cr - buf);
	lf = memchr(buf, '\n', n);
	if (lf)
		n = (size_t)(lf - buf);
	if (n > cap) {
		memcpy(pc->reqline, buf, cap);
		memcpy(pc->reqline + cap, "...", 4);
		return;
	}
	memcpy(pc->reqline, buf, n);
	pc->reqline[n] = '\0';
}

int policy_request_head(struct policy_conn *pc, const struct cfg_listener *l, const char *buf,
                        size_t len, int rc, const struct http_msg *m)
{
	pc->why = NULL;
	pc->user[0] = '\0';
	pc->reqline[0] = '\0';
	pc->auth_state = PA_NONE;
	pc->auth_consumed = 0;
	pc->auth_memo = -1;
	pc->retry_ms = 0;
	pc->body_bytes = 0;
	pc->strip = -1;
	pc->client = pc->peer;
	memcpy(pc->client_text, pc->peer_text, sizeof(pc->client_text));
	if (rc == 0) {
		/* incomplete: already past a limit? then waiting for more is pointless */
		const char *sp = memchr(buf, ' ', len);
		const char *lf = memchr(buf, '\n', len);

		if (l->max_head && len > l->max_head)
			rc = -431;
		else if (l->max_uri && sp && !lf && len - (size_t)(sp + 1 - buf) > l->max_uri + 1)
			rc = -414;
	} else if (rc > 0) {
		if (l->max_uri && m->target_len > l->max_uri)
			rc = -414;
		else if ((l->max_head && (unsigned)rc > l->max_head) ||
		         (l->max_headers && m->nhdr > l->max_headers))
			rc = -431;
	}
	if (len)
		keep_reqline(pc, buf, len); /* even incomplete: a 408 shows what arrived */
	if (rc == -414 || rc == -431)
		pc->why = "limit";
	return rc;
}

/*
 * The client behind a trusted peer: X-Forwarded-For read from its last
 * element back, skipping trusted proxies.  Every X-Forwarded-For line counts,
 * in order, as one list (RFC 9110 5.3).  An element that is not an address
 * stops the walk: the last good one (or the peer) is the client then, since
 * whoever wrote the garbage is not to be believed about what is left of it.
 */
static void client_from_xff(struct policy_conn *pc, const struct acl *trusted, const char *buf,
                            const struct http_msg *m)
{
	struct acl_addr found = pc->peer;

	for (int i = m->nhdr - 1; i >= 0; i--) {
		const struct http_hdr *h = &m->hdr[i];
		const char *v = buf + h->value_off;
		size_t end = h->value_len;

		if (h->id != HDR_X_FORWARDED_FOR)
			continue;
		for (;;) {
			size_t start = end, a, b;
			struct acl_addr x;

			while (start > 0 && v[start - 1] != ',')
				start--;
			a = start;
			b = end;
			while (a < b && (v[a] == ' ' || v[a] == '\t'))
				a++;
			while (b > a && (v[b - 1] == ' ' || v[b - 1] == '\t'))
				b--;
			/* an empty element ("a,,b") says nothing; skip it */
			if (a < b) {
				if (acl_addr_parse(v + a, b - a, &x) != 0)
					goto done;
				found = x;
				if (!acl_match(trusted, &x))
					goto done;
			}
			if (start == 0)
				break;
			end = start - 1;
		}
	}
done:
	pc->client = found;
	acl_addr_format(&pc->client, pc->client_text, sizeof(pc->client_text));
}

int policy_admit(struct policy_conn *pc, struct policy_state *ps, const struct cfg_listener *l,
                 const char *buf, const struct http_msg *m, uint64_t now)
{
	pc->ps = ps;
	pc->now = now;
	keep_reqline(pc, buf + m->method_off, (size_t)m->head_len - m->method_off);
	if (l->trusted) {
		int trusted = acl_match(l->trusted, &pc->peer);

		pc->strip = !trusted;
		if (trusted)
			client_from_xff(pc, l->trusted, buf, m);
	}
	for (const struct cfg_cond *c = l->acl_gate; c; c = c->next) {
		if (acl_match(c->acl, &pc->client) == c->negate) {
			pc->why = "acl";
			return 403;
		}
	}
	if (l->rate && ps && ps->rl) {
		uint64_t wait = rl_take(
		    ps->rl, l->rate->slot, &pc->client,
		    &(struct rl_rate){l->rate->count, l->rate->period_ms, l->rate->burst}, now);

		if (wait) {
			pc->why = "ratelimit";
			pc->retry_ms = wait;
			return 429;
		}
	}
	if (l->max_request && m->body == BODY_LENGTH && m->content_length > l->max_request) {
		pc->why = "limit";
		return 413;
	}
	return 0;
}

static struct rl_rate auth_rate(const struct config *cfg)
{
	struct rl_rate r = {cfg->auth_fail.count, cfg->auth_fail.period_ms, cfg->auth_fail.burst};

	return r;
}

/* BasicAuth: check the request's credentials against file `id`, once per request. */
static int check_basic(struct policy_conn *pc, unsigned id, const struct route_req *rq)
{
	struct policy_state *ps = pc->ps;
	const struct http_hdr *h;
	char cred[AUTH_MAX_CRED + 1];
	const char *user, *pass;
	struct rl_rate fail;
	uint64_t wait;
	int ok;

	if (pc->auth_memo >= 0 && pc->auth_memo_id == id)
		return pc->auth_memo;
	pc->auth_memo_id = id;
	pc->auth_memo = 0;
	if (!ps || id >= ps->nusers || !ps->users[id])
		return 0;
	h = http_hdr_find(rq->buf, rq->msg, "Authorization");
	if (!h) {
		pc->auth_state = PA_NONE;
		return 0;
	}
	fail = auth_rate(ps->cfg);
	if (auth_parse_basic(rq->buf + h->value_off, h->value_len, cred, sizeof(cred), &user,
	                     &pass) != 0) {
		/* another scheme (a bearer token) is no attempt at our login; broken Basic is */
		if (h->value_len < 6 || strncasecmp(rq->buf + h->value_off, "Basic", 5) != 0) {
			pc->auth_state = PA_NONE;
			return 0;
		}
		user = NULL;
	}
	wait = ps->rl ? rl_peek(ps->rl, AUTH_SLOT, &pc->client, &fail, pc->now) : 0;
	if (wait) {
		pc->auth_state = PA_LIMITED;
		pc->retry_ms = wait;
		ok = 0;
	} else {
		ok = user && auth_verify(ps->users[id], user, pass, pc->now);
		pc->auth_state = ok ? PA_OK : PA_FAILED;
		if (!ok && ps->rl)
			rl_take(ps->rl, AUTH_SLOT, &pc->client, &fail, pc->now);
	}
	if (ok) {
		snprintf(pc->user, sizeof(pc->user), "%s", user);
		pc->auth_consumed = 1;
	}
	memset(cred, 0, sizeof(cred));
	pc->auth_memo = (int8_t)ok;
	return ok;
}

static int policy_cond(const struct cfg_cond *c, const struct route_req *rq)
{
	struct policy_conn *pc = rq->ext;
	const struct http_msg *m = rq->msg;

	switch (c->kind) {
	case COND_ACL:
		return acl_match(c->acl, &pc->client);
	case COND_METHOD:
		return route_text_matches(c, rq->buf + m->method_off, m->method_len, rq->scratch);
	case COND_BASICAUTH:
		return check_basic(pc, c->auth_id, rq);
	default:
		return 0;
	}
}

void policy_route_ctx(struct policy_conn *pc, struct route_req *rq)
{
	rq->ext_cond = policy_cond;
	rq->ext = pc;
}

int policy_service(struct policy_conn *pc, const struct cfg_service *svc)
{
	struct policy_state *ps = pc->ps;

	if (!svc)
		return 0;
	/* the login guard answers 429 while this address may not even try */
	if (svc->error_code == 401 && pc->auth_state == PA_LIMITED) {
		pc->why = "authlimit";
		return 429;
	}
	if (svc->rate && ps && ps->rl) {
		uint64_t wait = rl_take(
		    ps->rl, svc->rate->slot, &pc->client,
		    &(struct rl_rate){svc->rate->count, svc->rate->period_ms, svc->rate->burst},
		    pc->now);

		if (wait) {
			pc->why = "ratelimit";
			pc->retry_ms = wait;
			return 429;
		}
	}
	return 0;
}

int policy_body(struct policy_conn *pc, const struct cfg_listener *l, uint64_t added)
{
	pc->body_bytes += added;
	if (l->max_request && pc->body_bytes > l->max_request) {
		pc->why = "limit";
		return 413;
	}
	return 0;
}

/* ---- the proxy's own replies --------------------------------------------------------------- */

static int has_header(const struct cfg_hdr *h, const char *name)
{
	size_t n = strlen(name);

	for (; h; h = h->next)
		if (h->name_len == n && strncasecmp(h->line, name, n) == 0)
			return 1;
	return 0;
}

/* Appends what fits; a header that does not fit whole is left out. */
static void extra_put(char *x, size_t cap, size_t *len, const char *line, size_t n)
{
	if (*len + n + 2 >= cap)
		return;
	memcpy(x + *len, line, n);
	memcpy(x + *len + n, "\r\n", 2);
	*len += n + 2;
	x[*len] = '\0';
}

/* The service's SetHeaders not overridden by the listener's, then the listener's. */
static void extra_resp_add(char *x, size_t cap, size_t *len, const struct cfg_listener *l,
                           const struct cfg_service *svc)
{
	for (const struct cfg_hdr *h = svc ? svc->resp_add : NULL; h; h = h->next) {
		char name[128];

		if (h->name_len >= sizeof(name))
			continue;
		memcpy(name, h->line, h->name_len);
		name[h->name_len] = '\0';
		if (!l || !has_header(l->resp_add, name))
			extra_put(x, cap, len, h->line, h->len);
	}
	for (const struct cfg_hdr *h = l ? l->resp_add : NULL; h; h = h->next)
		extra_put(x, cap, len, h->line, h->len);
}

/* The reason word for a refusal nobody named: by status and what produced it. */
static const char *default_reason(const struct policy_conn *pc, const struct cfg_service *svc,
                                  int status)
{
	if (status == 401)
		return pc->auth_state == PA_NONE ? "noauth" : "auth";
	if (svc && svc->error_code == status)
		return "filter";
	switch (status) {
	case 400:
	case 505:
		return "badrequest";
	case 403:
		return "forbidden";
	case 408:
		return "timeout";
	case 413:
	case 414:
	case 431:
		return "limit";
	case 429:
		return "ratelimit";
	case 501:
		return "method";
	default:
		return "refused";
	}
}

static int is_refusal(int status)
{
	return (status >= 400 && status < 500) || status == 501 || status == 505;
}

int policy_reply(struct policy_conn *pc, const struct cfg_listener *l,
                 const struct cfg_service *svc, int status, int keep_alive, const char *reqline,
                 size_t reqline_len, const char *page, size_t page_len, char *out, size_t cap)
{
	char extra[REPLY_EXTRA], line[64];
	size_t xl = 0;
	int n;

	extra[0] = '\0';
	if (status == 401 && !has_header(svc ? svc->resp_add : NULL, "WWW-Authenticate") &&
	    !has_header(l ? l->resp_add : NULL, "WWW-Authenticate"))
		extra_put(extra, sizeof(extra), &xl, DEFAULT_CHALLENGE, strlen(DEFAULT_CHALLENGE));
	if (status == 429 || (status == 503 && pc->retry_ms)) {
		uint64_t secs = pc->retry_ms ? (pc->retry_ms + 999) / 1000 : 1;

		n = snprintf(line, sizeof(line), "Retry-After: %llu", (unsigned long long)secs);
		extra_put(extra, sizeof(extra), &xl, line, (size_t)n);
	}
	extra_resp_add(extra, sizeof(extra), &xl, l, svc);
	n = reply_error_page(status, keep_alive, extra, page, page_len, out, cap);
	if (is_refusal(status)) {
		if (!reqline && pc->reqline[0]) {
			reqline = pc->reqline;
			reqline_len = strlen(pc->reqline);
		}
		log_refused(pc->client_text[0] ? pc->client_text : "-", reqline, reqline_len,
		            status, pc->why ? pc->why : default_reason(pc, svc, status));
	}
	pc->why = NULL;
	return n;
}

const char *policy_client(const struct policy_conn *pc)
{
	return pc->client_text;
}

const char *policy_user(const struct policy_conn *pc)
{
	return pc->user[0] ? pc->user : NULL;
}
