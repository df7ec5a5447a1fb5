/*
 * health.c - the Alive tick and its probes.  Each probe is non-blocking,
 * watched by the event loop and bounded by the backend's timeouts; it never
 * blocks the proxy path.  Two kinds, relayd style: a TCP connect (here) for
 * dead backends without a HealthCheck, which are declared dead by the proxy
 * path when a real connect fails (core/backend.c) and only revived here; and
 * the HTTP check (core/check_http.c) for every backend with a HealthCheck,
 * which also declares an alive backend dead when it answers wrongly.
 */
#include "health.h"

#include <stdlib.h>
#include <unistd.h>

#include "backend.h"
#include "check_http.h"
#include "log.h"
#include "net.h"

static const struct cfg_backend *backend_of(const struct hc_state *st)
{
	return st->h->bk->cfg->backend_by_id[st->id];
}

static void probe_end(struct hc_state *st, int ok)
{
	struct loop *lp = st->h->lp;

	timer_cancel(&lp->timers, &st->tm);
	if (st->fd >= 0) {
		ev_del(lp->ev, st->fd);
		close(st->fd);
		st->fd = -1;
	}
	st->probing = 0;
	if (ok)
		backend_mark_up(st->h->bk, st->id);
}

static void probe_event(void *arg, int fd, int revents)
{
	probe_end(arg, net_connect_result(fd) == 0);
}

static void probe_timeout(struct timer *t, void *arg)
{
	probe_end(arg, 0);
}

static void probe_start(struct hc_state *st)
{
	const struct cfg_backend *b = backend_of(st);
	struct loop *lp = st->h->lp;
	int inprog = 0;
	int fd = net_connect((const struct sockaddr *)&b->addr, b->addrlen, &inprog);

	if (fd < 0)
		return; /* refused at once: still dead */
	if (!inprog) {
		close(fd);
		backend_mark_up(st->h->bk, st->id);
		return;
	}
	if (ev_add(lp->ev, fd, POLLOUT, probe_event, st) < 0 ||
	    timer_set(&lp->timers, &st->tm, lp->now + (uint64_t)b->conn_to * 1000) < 0) {
		ev_del(lp->ev, fd);
		close(fd);
		return;
	}
	st->fd = fd;
	st->probing = 1;
}

/* The HTTP check of st's backend ended: revive it or mark it dead. */
static void check_done(void *arg, int ok, const char *why)
{
	struct hc_state *st = arg;

	st->probing = 0;
	if (ok)
		backend_mark_up(st->h->bk, st->id);
	else
		backend_mark_down(st->h->bk, backend_of(st), why);
}

static void check_start(struct hc_state *st)
{
	st->probing = 1;
	check_http_start(&st->hc, st->h->lp, backend_of(st), st->h->bk->be[st->id].tls, check_done,
	                 st);
	if (!st->hc)
		st->probing = 0; /* ended already (check_done ran) or never started */
}

void health_check_now(struct health *h)
{
	const struct backends *bk = h->bk;

	for (unsigned i = 0; i < bk->cfg->nbackends; i++) {
		struct hc_state *st = &h->st[i];

		if (st->probing)
			continue;
		if (bk->cfg->backend_by_id[i]->hc && !bk->be[i].disabled)
			check_start(st);
		else if (!bk->be[i].alive)
			probe_start(st);
	}
}

enum health_probe health_probe_now(struct health *h, unsigned id)
{
	struct hc_state *st = &h->st[id];
	const struct be_state *be = &h->bk->be[id];

	if (!be->alive && !st->probing)
		probe_start(st);
	return be->alive ? HEALTH_ALIVE : st->probing ? HEALTH_PROBING : HEALTH_DEAD;
}

static void alive_tick(struct timer *t, void *arg)
{
	struct health *h = arg;

	health_check_now(h);
	timer_set(&h->lp->timers, &h->tick, h->lp->now + (uint64_t)h->bk->cfg->alive * 1000);
}

struct health *health_start(struct loop *lp, struct backends *bk)
{
	struct health *h = calloc(1, sizeof(*h));
	unsigned n = bk->cfg->nbackends;

	if (!h || !(h->st = calloc(n ? n : 1, sizeof(*h->st)))) {
		free(h);
		log_msg(LOG_ERR, "out of memory");
		return NULL;
	}
	h->lp = lp;
	h->bk = bk;
	timer_init(&h->tick, alive_tick, h);
	for (unsigned i = 0; i < n; i++) {
		h->st[i].h = h;
		h->st[i].id = i;
		h->st[i].fd = -1;
		timer_init(&h->st[i].tm, probe_timeout, &h->st[i]);
	}
	if (bk->cfg->alive > 0 &&
	    timer_set(&lp->timers, &h->tick, lp->now + (uint64_t)bk->cfg->alive * 1000) < 0) {
		health_stop(h);
		return NULL;
	}
	return h;
}

void health_stop(struct health *h)
{
	if (!h)
		return;
	timer_cancel(&h->lp->timers, &h->tick);
	for (unsigned i = 0; i < h->bk->cfg->nbackends; i++) {
		struct hc_state *st = &h->st[i];

		if (st->hc)
			check_http_stop(&st->hc);
		else if (st->probing)
			probe_end(st, 0);
	}
	free(h->st);
	free(h);
}
