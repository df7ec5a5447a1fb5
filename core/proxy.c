/*
 * proxy.c - the running proxy: listening sockets, the accept path, signals
 * and the main loop.  Every timeout comes from core/timer; poll() sleeps
 * exactly until the earliest one.
 */
#include "proxy.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "backend.h"
#include "clock.h"
#include "conn.h"
#include "health.h"
#include "log.h"
#include "net.h"
#include "sig.h"
#include "tls.h"

#define ACCEPT_BURST 64   /* accepts per readiness event, so one listener cannot starve the rest */
#define FD_RESERVE   16   /* fds kept for listeners, probes, logging */

uint32_t proxy_random(struct proxy *px)
{
	uint32_t x = px->rng;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	return px->rng = x;
}

/* Raise the fd limit to its hard maximum: every client costs two fds. */
static int fd_budget(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return 1024;
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (rl.rlim_cur > 65536)
			rl.rlim_cur = 65536;
		setrlimit(RLIMIT_NOFILE, &rl);
		getrlimit(RLIMIT_NOFILE, &rl);
	}
	return rl.rlim_cur > 65536 ? 65536 : (int)rl.rlim_cur;
}

/* Build the TLS contexts a config needs; every file is read here, before chroot. */
static int tls_contexts(struct proxy *px)
{
	char err[512];
	int i = 0;

	for (const struct cfg_listener *l = px->cfg->listeners; l; l = l->next, i++) {
		struct tls_server_opts o = {0};

		if (!l->https)
			continue;
		o.certs = (const char *const *)l->certs;
		o.ncerts = (size_t)l->ncerts;
		o.client_ca = l->ca_list;
		o.verify = l->client_cert == 2   ? TLS_VERIFY_REQUIRED
			   : l->client_cert == 0 ? TLS_VERIFY_NONE
						 : TLS_VERIFY_OPTIONAL;
		o.min_version = l->min_version;
		o.ciphers = l->ciphers;
		px->lsocks[i].tls = tls_server_ctx_new(&o, err, sizeof(err));
		if (!px->lsocks[i].tls) {
			log_msg(LOG_ERR, "%s:%d: %s", l->file, l->line, err);
			return -1;
		}
	}
	for (unsigned id = 0; id < px->cfg->nbackends; id++) {
		const struct cfg_backend *b = px->cfg->backend_by_id[id];
		struct tls_client_opts o = {0};

		if (!b->https)
			continue;
		o.ca_file = b->tls_ca;
		o.verify = b->tls_ca != NULL;
		o.cert = b->tls_cert;
		o.min_version = b->tls_min_version;
		o.ciphers = b->tls_ciphers;
		px->be[id].tls = tls_client_ctx_new(&o, err, sizeof(err));
		if (!px->be[id].tls) {
			log_msg(LOG_ERR, "%s:%d: %s", b->file, b->line, err);
			return -1;
		}
	}
	return 0;
}

int proxy_init(struct proxy *px, struct config *cfg)
{
	int maxfds = fd_budget();
	int i = 0;

	memset(px, 0, sizeof(*px));
	px->cfg = cfg;
	px->sigfd = -1;
	px->now = clock_ms();
	px->rng = (uint32_t)(px->now ^ ((uint64_t)getpid() << 16)) | 1;
	px->maxconns = (maxfds - FD_RESERVE) / 2;
	pool_init(&px->pool, 64);
	px->ev = ev_new(maxfds);
	if (!px->ev || backends_init(px) < 0) {
		log_msg(LOG_ERR, "out of memory");
		return -1;
	}
	for (const struct cfg_listener *l = cfg->listeners; l; l = l->next)
		px->nlsocks++;
	px->lsocks = calloc((size_t)px->nlsocks + 1, sizeof(*px->lsocks));
	if (!px->lsocks)
		return -1;
	for (int k = 0; k < px->nlsocks; k++)
		px->lsocks[k].fd = -1;
	for (const struct cfg_listener *l = cfg->listeners; l; l = l->next, i++) {
		struct lsock *ls = &px->lsocks[i];

		ls->lis = l;
		ls->px = px;
		ls->fd = net_listen((const struct sockaddr *)&l->addr, l->addrlen, 511);
		if (ls->fd < 0) {
			log_msg(LOG_ERR, "%s:%d: cannot listen on %s: %s", l->file, l->line,
				l->addr_text, strerror(errno));
			return -1;
		}
		log_msg(LOG_DEBUG, "listening on %s", l->addr_text);
	}
	return tls_contexts(px);
}

static void accept_event(void *arg, int fd, int revents)
{
	struct lsock *ls = arg;
	struct proxy *px = ls->px;

	for (int i = 0; i < ACCEPT_BURST; i++) {
		struct sockaddr_storage peer;
		socklen_t plen = sizeof(peer);
		int cfd = net_accept(fd, &peer, &plen);

		if (cfd < 0) {
			if (errno == EMFILE || errno == ENFILE)
				log_msg(LOG_ERR, "accept on %s: %s", ls->lis->addr_text,
					strerror(errno));
			return;
		}
		if (px->nconns >= px->maxconns) {
			close(cfd); /* shed load rather than run out of fds mid-request */
			continue;
		}
		conn_accept(px, ls, cfd, &peer);
	}
}

static void close_listeners(struct proxy *px)
{
	for (int i = 0; i < px->nlsocks; i++) {
		if (px->lsocks[i].fd >= 0) {
			ev_del(px->ev, px->lsocks[i].fd);
			close(px->lsocks[i].fd);
			px->lsocks[i].fd = -1;
		}
		tls_ctx_unref(px->lsocks[i].tls); /* live connections keep their own reference */
		px->lsocks[i].tls = NULL;
	}
}

static void begin_stop(struct proxy *px)
{
	if (px->stopping)
		return;
	px->stopping = 1;
	px->stop_deadline = px->now + (uint64_t)px->cfg->grace * 1000;
	log_msg(LOG_NOTICE, "stopping: finishing %d connection(s), at most %d s", px->nconns,
		px->cfg->grace);
	close_listeners(px);
	health_stop(px);
	conn_shutdown_idle(px);
}

static void signal_event(void *arg, int fd, int revents)
{
	struct proxy *px = arg;
	int s = sig_take();

	if (s & SIGF_TERM)
		begin_stop(px);
	if (s & SIGF_HUP)
		log_msg(LOG_WARNING, "SIGHUP: configuration reload is not available yet; "
				     "restart pinfold to apply changes");
}

int proxy_run(struct proxy *px)
{
	px->sigfd = sig_init();
	if (px->sigfd < 0 || ev_add(px->ev, px->sigfd, POLLIN, signal_event, px) < 0) {
		log_msg(LOG_ERR, "cannot set up signal handling: %s", strerror(errno));
		return 1;
	}
	for (int i = 0; i < px->nlsocks; i++)
		if (ev_add(px->ev, px->lsocks[i].fd, POLLIN, accept_event, &px->lsocks[i]) < 0) {
			log_msg(LOG_ERR, "cannot watch %s", px->lsocks[i].lis->addr_text);
			return 1;
		}
	px->now = clock_ms();
	if (health_start(px) < 0)
		return 1;
	log_msg(LOG_NOTICE, "pinfold started, %d listener(s)", px->nlsocks);
	for (;;) {
		int timeout;

		if (px->stopping && (px->nconns == 0 || px->now >= px->stop_deadline))
			break;
		timeout = timer_next(&px->timers, px->now);
		if (px->stopping) {
			uint64_t left = px->stop_deadline - px->now;

			if (timeout < 0 || (uint64_t)timeout > left)
				timeout = (int)left;
		}
		if (ev_wait(px->ev, timeout) < 0) {
			log_msg(LOG_ERR, "poll: %s", strerror(errno));
			return 1;
		}
		px->now = clock_ms();
		timer_run(&px->timers, px->now);
	}
	if (px->nconns)
		log_msg(LOG_WARNING, "grace period over: closing %d connection(s)", px->nconns);
	conn_close_all(px);
	log_msg(LOG_NOTICE, "pinfold stopped");
	return 0;
}

void proxy_free(struct proxy *px)
{
	conn_close_all(px);
	close_listeners(px);
	if (px->ev && px->be) {
		health_stop(px);
		backends_free(px);
	}
	timer_free(&px->timers);
	pool_drain(&px->pool);
	free(px->lsocks);
	ev_free(px->ev);
	if (px->sigfd >= 0)
		close(px->sigfd);
	memset(px, 0, sizeof(*px));
}
