/*
 * backend.c - backend choice (Pound's weighted random, or interleaved
 * weighted round robin) and the pool of idle keep-alive connections to
 * backends.  Liveness is decided here and in core/health.c; the proxy path
 * only reports failures.
 */
#include "backend.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "log.h"

#define POOL_MAX_PER_BACKEND 32
#define POOL_IDLE_MS         10000 /* shorter than common backend keep-alive timeouts */

struct upconn {
	int fd;
	struct tls_conn *tls;
	unsigned id;
	struct proxy *px;
	struct timer tm;
	struct upconn *next;
};

int backends_init(struct proxy *px)
{
	const struct config *cfg = px->cfg;

	px->be = calloc(cfg->nbackends ? cfg->nbackends : 1, sizeof(*px->be));
	if (!px->be)
		return -1;
	for (unsigned i = 0; i < cfg->nbackends; i++) {
		struct be_state *st = &px->be[i];

		st->alive = 1;
		st->disabled = (uint8_t)cfg->backend_by_id[i]->disabled;
		st->probe_fd = -1;
		timer_init(&st->probe_timer, NULL, st); /* core/health.c sets the callback */
		st->px = px;
		st->id = i;
	}
	return 0;
}

static void upconn_close(struct proxy *px, struct upconn *u)
{
	struct be_state *st = &px->be[u->id];
	struct upconn **pp;

	for (pp = &st->idle; *pp; pp = &(*pp)->next)
		if (*pp == u) {
			*pp = u->next;
			st->nidle--;
			break;
		}
	timer_cancel(&px->timers, &u->tm);
	ev_del(px->ev, u->fd);
	tls_free(u->tls);
	close(u->fd);
	free(u);
}

void backends_free(struct proxy *px)
{
	if (!px->be)
		return;
	for (unsigned i = 0; i < px->cfg->nbackends; i++) {
		struct be_state *st = &px->be[i];

		while (st->idle)
			upconn_close(px, st->idle);
		timer_cancel(&px->timers, &st->probe_timer);
		tls_ctx_unref(st->tls);
		if (st->probe_fd >= 0) {
			ev_del(px->ev, st->probe_fd);
			close(st->probe_fd);
		}
	}
	free(px->be);
	px->be = NULL;
}

static int usable(const struct proxy *px, const struct cfg_backend *b)
{
	const struct be_state *st = &px->be[b->id];

	return st->alive && !st->disabled;
}

static const struct cfg_backend *pick_random(struct proxy *px, const struct cfg_service *svc)
{
	const struct cfg_backend *b, *first = NULL;
	unsigned total = 0, r;

	for (b = svc->backends; b; b = b->next)
		if (usable(px, b)) {
			total += (unsigned)b->priority;
			if (!first)
				first = b;
		}
	if (total == 0)
		return first; /* only priority-0 backends are left */
	r = proxy_random(px) % total;
	for (b = svc->backends; b; b = b->next) {
		if (!usable(px, b))
			continue;
		if (r < (unsigned)b->priority)
			return b;
		r -= (unsigned)b->priority;
	}
	return first;
}

/* Smooth weighted round robin: spreads each backend's share evenly over time. */
static const struct cfg_backend *pick_iwrr(struct proxy *px, const struct cfg_service *svc)
{
	const struct cfg_backend *b, *best = NULL, *first = NULL;
	int total = 0;

	for (b = svc->backends; b; b = b->next) {
		struct be_state *st = &px->be[b->id];

		if (!usable(px, b))
			continue;
		if (!first)
			first = b;
		st->iwrr_cw += b->priority;
		total += b->priority;
		if (b->priority > 0 && (!best || st->iwrr_cw > px->be[best->id].iwrr_cw))
			best = b;
	}
	if (!best)
		return first;
	px->be[best->id].iwrr_cw -= total;
	return best;
}

const struct cfg_backend *backend_pick(struct proxy *px, const struct cfg_service *svc)
{
	const struct cfg_backend *b;

	b = svc->balancer == BAL_IWRR ? pick_iwrr(px, svc) : pick_random(px, svc);
	if (b)
		return b;
	if (svc->emergency && usable(px, svc->emergency))
		return svc->emergency;
	return NULL;
}

void backend_failed(struct proxy *px, const struct cfg_backend *be, const char *why)
{
	struct be_state *st = &px->be[be->id];

	if (!st->alive)
		return;
	st->alive = 0;
	log_msg(LOG_NOTICE, "backend %s is dead (%s)", be->addr_text, why);
	while (st->idle)
		upconn_close(px, st->idle);
}

void backend_revived(struct proxy *px, unsigned id)
{
	struct be_state *st = &px->be[id];

	if (st->alive)
		return;
	st->alive = 1;
	log_msg(LOG_NOTICE, "backend %s is alive again", px->cfg->backend_by_id[id]->addr_text);
}

/* An idle pooled connection became readable: the backend closed it (or sent junk). */
static void upconn_event(void *arg, int fd, int revents)
{
	struct upconn *u = arg;

	upconn_close(u->px, u);
}

static void upconn_expire(struct timer *t, void *arg)
{
	struct upconn *u = arg;

	upconn_close(u->px, u);
}

int backend_pool_get(struct proxy *px, unsigned id, struct tls_conn **tls)
{
	struct be_state *st = &px->be[id];

	*tls = NULL;
	while (st->idle) {
		struct upconn *u = st->idle;
		char c;
		ssize_t n = recv(u->fd, &c, 1, MSG_PEEK);
		int fd = u->fd;

		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			/* still open and quiet: take it out of the pool */
			st->idle = u->next;
			st->nidle--;
			timer_cancel(&px->timers, &u->tm);
			ev_del(px->ev, fd);
			*tls = u->tls;
			free(u);
			return fd;
		}
		upconn_close(px, u);
	}
	return -1;
}

void backend_pool_put(struct proxy *px, unsigned id, int fd, struct tls_conn *tls)
{
	struct be_state *st = &px->be[id];
	struct upconn *u;

	if (px->stopping || st->nidle >= POOL_MAX_PER_BACKEND || !st->alive)
		goto drop;
	u = calloc(1, sizeof(*u));
	if (!u)
		goto drop;
	u->fd = fd;
	u->tls = tls;
	u->id = id;
	u->px = px;
	timer_init(&u->tm, upconn_expire, u);
	if (ev_add(px->ev, fd, POLLIN, upconn_event, u) < 0 ||
	    timer_set(&px->timers, &u->tm, px->now + POOL_IDLE_MS) < 0) {
		ev_del(px->ev, fd);
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
