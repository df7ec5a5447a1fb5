/*
 * backend.c - backend choice (session pins, Pound's weighted random or
 * interleaved weighted round robin, per-backend MaxConnections) and the pool
 * of idle keep-alive connections to backends.  Liveness is decided here and
 * in core/health.c; the proxy path only reports failures.  Everything is per
 * configuration generation (struct backends, in struct gen): a reload starts
 * with empty session pins, since
 * backend ids (what a pin names) may mean other backends after it.
 */
#include "backend.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "file.h"
#include "log.h"
#include "loop.h"
#include "session.h"

#define POOL_MAX_PER_BACKEND 256 /* above the usual client concurrency: no churn */
#define POOL_IDLE_MS         10000 /* shorter than common backend keep-alive timeouts */
/*
 * An idle pooled connection must say nothing: bytes on it are a backend
 * that wrote more than its response (the next client would take them for
 * its answer), and EOF is a backend that closed it.  So each one sits in
 * the poll set for reading and is closed the moment poll() reports it.
 * One that no poll() has looked at since it went idle (taken in the same
 * loop turn), or whose report is not dispatched yet, is peeked at (a
 * non-blocking one-byte MSG_PEEK) before it is handed out.  What is left
 * is the race with a backend closing it as the request leaves, which
 * core/conn.c retries only for requests that are safe to send twice.
 */
struct upconn {
	int fd;
	struct tls_conn *tls;
	unsigned id;
	struct backends *bk;
	struct timer tm;
	uint64_t since;   /* pooled at (ms) */
	uint64_t polls;   /* ev_rounds() when it was pooled */
	struct upconn *next;
};

/* Backend contexts for HTTPS backends; files are read now. */
static int backends_tls(struct backends *bk, const char *jail)
{
	char err[512];

	for (unsigned id = 0; id < bk->cfg->nbackends; id++) {
		const struct cfg_backend *b = bk->cfg->backend_by_id[id];
		struct tls_client_opts o = {0};

		if (!b->https)
			continue;
		o.ca_file = file_in_jail(jail, b->tls_ca);
		o.verify = b->tls_ca != NULL;
		o.cert = file_in_jail(jail, b->tls_cert);
		o.min_version = b->tls_min_version;
		o.ciphers = b->tls_ciphers;
		bk->be[id].tls = tls_client_ctx_new(&o, err, sizeof(err));
		if (!bk->be[id].tls) {
			log_msg(LOG_ERR, "%s:%d: %s", b->file, b->line, err);
			return -1;
		}
	}
	return 0;
}

int backends_init(struct backends *bk, const struct config *cfg, struct loop *loop,
                  const char *jail)
{
	memset(bk, 0, sizeof(*bk));
	bk->cfg = cfg;
	bk->loop = loop;
	bk->be = calloc(cfg->nbackends ? cfg->nbackends : 1, sizeof(*bk->be));
	if (!bk->be)
		return -1;
	for (unsigned i = 0; i < cfg->nbackends; i++) {
		struct be_state *st = &bk->be[i];

		st->alive = 1;
		st->disabled = (uint8_t)cfg->backend_by_id[i]->disabled;
	}
	bk->rng = (uint32_t)(bk->loop->now ^ ((uint64_t)getpid() << 16)) | 1;
	if (cfg->nsessions) {
		bk->sessions = sess_new(SESS_DEFAULT_ENTRIES);
		if (!bk->sessions)
			return -1;
	}
	return backends_tls(bk, jail);
}

static void upconn_close(struct upconn *u)
{
	struct loop *lp = u->bk->loop;
	struct be_state *st = &u->bk->be[u->id];
	struct upconn **pp;

	for (pp = &st->idle; *pp; pp = &(*pp)->next)
		if (*pp == u) {
			*pp = u->next;
			st->nidle--;
			break;
		}
	timer_cancel(&lp->timers, &u->tm);
	ev_del(lp->ev, u->fd);
	tls_free(u->tls);
	close(u->fd);
	free(u);
}

void backends_retire(struct backends *bk)
{
	bk->retired = 1;
	if (!bk->be)
		return;
	for (unsigned i = 0; i < bk->cfg->nbackends; i++) {
		struct be_state *st = &bk->be[i];

		while (st->idle)
			upconn_close(st->idle);
	}
}

void backends_free(struct backends *bk)
{
	if (!bk->be)
		return;
	backends_retire(bk);
	for (unsigned i = 0; i < bk->cfg->nbackends; i++)
		tls_ctx_unref(bk->be[i].tls);
	free(bk->be);
	bk->be = NULL;
	sess_free(bk->sessions);
	bk->sessions = NULL;
}

/* A small xorshift PRNG for the random balancer, one per generation. */
static uint32_t be_random(struct backends *bk)
{
	uint32_t x = bk->rng;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	return bk->rng = x;
}

static int alive(const struct backends *bk, const struct cfg_backend *b)
{
	const struct be_state *st = &bk->be[b->id];

	return st->alive && !st->disabled;
}

/* Alive, and below its MaxConnections (idle pooled connections do not count). */
static int usable(const struct backends *bk, const struct cfg_backend *b)
{
	return alive(bk, b) && (!b->max_conns || bk->be[b->id].active < b->max_conns);
}

static const struct cfg_backend *pick_random(struct backends *bk, const struct cfg_service *svc)
{
	const struct cfg_backend *b, *first = NULL;
	unsigned total = 0, r;

	for (b = svc->backends; b; b = b->next)
		if (usable(bk, b)) {
			total += (unsigned)b->priority;
			if (!first)
				first = b;
		}
	if (total == 0)
		return first; /* only priority-0 backends are left */
	r = be_random(bk) % total;
	for (b = svc->backends; b; b = b->next) {
		if (!usable(bk, b))
			continue;
		if (r < (unsigned)b->priority)
			return b;
		r -= (unsigned)b->priority;
	}
	return first;
}

/* Smooth weighted round robin: spreads each backend's share evenly over time. */
static const struct cfg_backend *pick_iwrr(struct backends *bk, const struct cfg_service *svc)
{
	const struct cfg_backend *b, *best = NULL, *first = NULL;
	int total = 0;

	for (b = svc->backends; b; b = b->next) {
		struct be_state *st = &bk->be[b->id];

		if (!usable(bk, b))
			continue;
		if (!first)
			first = b;
		st->iwrr_cw += b->priority;
		total += b->priority;
		if (b->priority > 0 && (!best || st->iwrr_cw > bk->be[best->id].iwrr_cw))
			best = b;
	}
	if (!best)
		return first;
	bk->be[best->id].iwrr_cw -= total;
	return best;
}

const struct cfg_backend *backend_pick(struct backends *bk, const struct cfg_service *svc,
                                       const char *key, size_t len, int *full)
{
	const struct cfg_session *se = key ? svc->session : NULL;
	const struct cfg_backend *b;
	int pinned = -1;

	*full = 0;
	if (se && bk->sessions) {
		pinned = sess_find(bk->sessions, se->slot, key, len, bk->loop->now);
		if (pinned >= 0 && (unsigned)pinned < bk->cfg->nbackends) {
			b = bk->cfg->backend_by_id[pinned];
			if (usable(bk, b))
				return b;
			if (alive(bk, b))
				se = NULL; /* only full: keep the pin for the next request */
		}
	}
	b = svc->balancer == BAL_IWRR ? pick_iwrr(bk, svc) : pick_random(bk, svc);
	if (b) {
		if (se)
			backend_pin(bk, svc, key, len, b);
		return b;
	}
	for (b = svc->backends; b; b = b->next)
		if (alive(bk, b)) {
			*full = 1; /* alive backends, all at their MaxConnections */
			return NULL;
		}
	if (svc->emergency && usable(bk, svc->emergency))
		return svc->emergency;
	if (svc->emergency && alive(bk, svc->emergency))
		*full = 1;
	return NULL;
}

void backend_pin(struct backends *bk, const struct cfg_service *svc, const char *key, size_t len,
                 const struct cfg_backend *be)
{
	const struct cfg_session *se = svc->session;

	if (se && bk->sessions && key && !be->emergency)
		sess_pin(bk->sessions, se->slot, key, len, be->id, bk->loop->now,
		         (uint64_t)se->ttl * 1000);
}

void backend_mark_down(struct backends *bk, const struct cfg_backend *be, const char *why)
{
	struct be_state *st = &bk->be[be->id];

	if (!st->alive)
		return;
	st->alive = 0;
	log_msg(LOG_NOTICE, "backend %s is dead (%s)", be->addr_text, why);
	while (st->idle)
		upconn_close(st->idle);
}

void backend_mark_up(struct backends *bk, unsigned id)
{
	struct be_state *st = &bk->be[id];

	if (st->alive)
		return;
	st->alive = 1;
	log_msg(LOG_NOTICE, "backend %s is alive again", bk->cfg->backend_by_id[id]->addr_text);
}

void backend_set_disabled(struct backends *bk, unsigned id, int disabled)
{
	bk->be[id].disabled = (uint8_t)(disabled != 0);
	bk->be[id].ctl_set = 1;
}

void backend_conn_begin(struct backends *bk, const struct cfg_backend *be)
{
	bk->be[be->id].active++;
	bk->be[be->id].requests++;
}

void backend_conn_end(struct backends *bk, const struct cfg_backend *be)
{
	bk->be[be->id].active--;
}

void backends_carry(struct backends *to, const struct backends *from)
{
	for (unsigned i = 0; i < to->cfg->nbackends; i++) {
		const struct cfg_backend *nb = to->cfg->backend_by_id[i];

		for (unsigned j = 0; j < from->cfg->nbackends; j++) {
			const struct cfg_backend *ob = from->cfg->backend_by_id[j];

			if (nb->addrlen == ob->addrlen && memcmp(&nb->addr, &ob->addr, nb->addrlen) == 0) {
				to->be[i].alive = from->be[j].alive;
				if (from->be[j].ctl_set) { /* an operator's choice outlives a reload */
					to->be[i].disabled = from->be[j].disabled;
					to->be[i].ctl_set = 1;
				}
				break;
			}
		}
	}
}

/*
 * Is an idle pooled connection unusable?  Readable means the backend closed
 * it, reset it, or sent bytes nobody asked for; only "would block" is good.
 */
static int upconn_dead(const struct upconn *u)
{
	char c;
	ssize_t n = recv(u->fd, &c, 1, MSG_PEEK | MSG_DONTWAIT);

	return n >= 0 || (errno != EAGAIN && errno != EWOULDBLOCK);
}

/* Idle too long: closed before the backend's own keep-alive timeout does it. */
static void upconn_expired(struct timer *t, void *arg)
{
	(void)t;
	upconn_close(arg);
}

/* poll() saw bytes, EOF or an error on an idle connection: it talked out of turn. */
static void upconn_event(void *arg, int fd, int revents)
{
	struct upconn *u = arg;

	(void)fd;
	(void)revents;
	log_msg(LOG_DEBUG, "backend %s: idle pooled connection closed or sent bytes; dropped",
		u->bk->cfg->backend_by_id[u->id]->addr_text);
	upconn_close(u);
}

/*
 * Hand out an idle connection that poll() has watched since it went idle
 * without a word from it; any other is peeked at first.  `check` (a
 * request that cannot be sent twice, or one that already met a closed
 * connection) peeks at every one.
 */
int backend_pool_get(struct backends *bk, unsigned id, struct tls_conn **tls, int check)
{
	struct loop *lp = bk->loop;
	struct be_state *st = &bk->be[id];

	*tls = NULL;
	while (st->idle) {
		struct upconn *u = st->idle;
		int fd = u->fd;

		if (ev_pending(lp->ev, fd) ||
		    ((check || ev_rounds(lp->ev) == u->polls) && upconn_dead(u))) {
			upconn_close(u);
			continue;
		}
		st->idle = u->next;
		st->nidle--;
		timer_cancel(&lp->timers, &u->tm);
		ev_del(lp->ev, fd);
		*tls = u->tls;
		free(u);
		return fd;
	}
	return -1;
}

void backend_pool_put(struct backends *bk, unsigned id, int fd, struct tls_conn *tls)
{
	struct loop *lp = bk->loop;
	struct be_state *st = &bk->be[id];
	struct upconn *u;

	if (bk->retired || st->nidle >= POOL_MAX_PER_BACKEND || !st->alive)
		goto drop;
	u = calloc(1, sizeof(*u));
	if (!u)
		goto drop;
	u->fd = fd;
	u->tls = tls;
	u->id = id;
	u->bk = bk;
	u->since = lp->now;
	u->polls = ev_rounds(lp->ev);
	timer_init(&u->tm, upconn_expired, u);
	if (timer_set(&lp->timers, &u->tm, lp->now + POOL_IDLE_MS) < 0) {
		free(u);
		goto drop;
	}
	if (ev_add(lp->ev, fd, POLLIN, upconn_event, u) < 0) {
		timer_cancel(&lp->timers, &u->tm);
		free(u);
		goto drop;
	}
	u->next = st->idle;
	st->idle = u;
	st->nidle++;
	return;
drop:
	tls_free(tls);
	close(fd);
}
