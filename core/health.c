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

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "backend.h"
#include "check_http.h"
#include "log.h"
#include "net.h"

static void probe_end(struct be_state *st, int ok)
{
	struct loop *lp = st->gen->loop;

	timer_cancel(&lp->timers, &st->probe_timer);
	if (st->probe_fd >= 0) {
		ev_del(lp->ev, st->probe_fd);
		close(st->probe_fd);
		st->probe_fd = -1;
	}
	st->probing = 0;
	if (ok)
		backend_revived(st->gen, st->id);
}

static void probe_event(void *arg, int fd, int revents)
{
	struct be_state *st = arg;

	probe_end(st, net_connect_result(fd) == 0);
}

static void probe_timeout(struct timer *t, void *arg)
{
	struct be_state *st = arg;

	probe_end(st, 0);
}

static void probe_start(struct proxy *px, struct be_state *st)
{
	const struct cfg_backend *b = st->gen->cfg->backend_by_id[st->id];
	int inprog = 0;
	int fd = net_connect((const struct sockaddr *)&b->addr, b->addrlen, &inprog);

	if (fd < 0)
		return; /* refused at once: still dead */
	if (!inprog) {
		close(fd);
		backend_revived(st->gen, st->id);
		return;
	}
	st->probe_timer.fn = probe_timeout;
	if (ev_add(px->loop.ev, fd, POLLOUT, probe_event, st) < 0 ||
	    timer_set(&px->loop.timers, &st->probe_timer, px->loop.now + (uint64_t)b->conn_to * 1000) < 0) {
		ev_del(px->loop.ev, fd);
		close(fd);
		return;
	}
	st->probe_fd = fd;
	st->probing = 1;
}

void health_result(struct be_state *st, int ok, const char *why)
{
	const struct cfg_backend *b = st->gen->cfg->backend_by_id[st->id];

	if (ok)
		backend_revived(st->gen, st->id);
	else
		backend_failed(st->gen, b, why);
}

void health_check_now(struct proxy *px)
{
	struct gen *g = px->gen;

	for (unsigned i = 0; i < g->cfg->nbackends; i++) {
		struct be_state *st = &g->be[i];

		if (st->probing)
			continue;
		if (g->cfg->backend_by_id[i]->hc && !st->disabled)
			check_http_start(&px->loop, st);
		else if (!st->alive)
			probe_start(px, st);
	}
}

enum health_probe health_probe_now(struct proxy *px, unsigned id)
{
	struct be_state *st = &px->gen->be[id];

	if (!st->alive && !st->probing)
		probe_start(px, st);
	return st->alive ? HEALTH_ALIVE : st->probing ? HEALTH_PROBING : HEALTH_DEAD;
}

static void alive_tick(struct timer *t, void *arg)
{
	struct proxy *px = arg;

	health_check_now(px);
	timer_set(&px->loop.timers, &px->alive_timer, px->loop.now + (uint64_t)px->gen->cfg->alive * 1000);
}

int health_start(struct proxy *px)
{
	px->alive_timer.fn = alive_tick; /* initialised by proxy_init */
	px->alive_timer.arg = px;
	if (px->gen->cfg->alive <= 0)
		return 0;
	return timer_set(&px->loop.timers, &px->alive_timer,
			 px->loop.now + (uint64_t)px->gen->cfg->alive * 1000);
}

void health_stop(struct proxy *px)
{
	timer_cancel(&px->loop.timers, &px->alive_timer);
	for (unsigned i = 0; i < px->gen->cfg->nbackends; i++) {
		struct be_state *st = &px->gen->be[i];

		if (st->hc)
			check_http_stop(st);
		else if (st->probing)
			probe_end(st, 0);
	}
}
