/*
 * proxy.c - the running proxy: reload (core/gen.c makes the generations),
 * listening sockets, the accept path, signals and the main loop.  Every
 * timeout comes from core/timer; poll() sleeps exactly until the earliest.
 *
 * Reload (SIGHUP) builds a complete new generation - config, backend state,
 * TLS contexts, listening sockets - before touching the running one; any
 * failure leaves the old one running.  Listening sockets whose address did
 * not change are handed over, so no connection is refused during a reload.
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
#include "errpage.h"
#include "file.h"
#include "gen.h"
#include "control.h"
#include "health.h"
#include "log.h"
#include "net.h"
#include "policy.h"
#include "sandbox.h"
#include "sig.h"
#include "tls.h"

#define ACCEPT_BURST 64   /* accepts per readiness event, so one listener cannot starve the rest */
#define SOCKETFROM_WAIT_MS 5000 /* how long a SocketFrom helper may take to send the socket */

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

/*
 * A file named in the config, as seen from where we are now: once chrooted,
 * "/var/jail/pound/x.pem" with RootJail "/var/jail/pound" is "/x.pem".
 * That lets a config written for the first start be reloaded as it is.
 */
static const char *jail_path(const struct proxy *px, const char *path)
{
	return file_in_jail(px->jail, path);
}

/* ---- listeners ---------------------------------------------------------------------- */

static struct tls_ctx *listener_tls(struct proxy *px, const struct cfg_listener *l)
{
	struct tls_server_opts o = {0};
	const char *certs[64];
	struct tls_ctx *ctx;
	char err[512];

	if (!l->https)
		return NULL;
	if (l->ncerts > 64) {
		log_msg(LOG_ERR, "%s:%d: too many Cert lines (64 at most)", l->file, l->line);
		return NULL;
	}
	for (int i = 0; i < l->ncerts; i++)
		certs[i] = jail_path(px, l->certs[i]);
	o.certs = certs;
	o.ncerts = (size_t)l->ncerts;
	o.client_ca = jail_path(px, l->ca_list);
	o.verify = l->client_cert == 2   ? TLS_VERIFY_REQUIRED
		   : l->client_cert == 0 ? TLS_VERIFY_NONE
					 : TLS_VERIFY_OPTIONAL;
	o.min_version = l->min_version;
	o.ciphers = l->ciphers;
	o.no_tickets = l->no_tickets;
	o.session_cache = l->session_cache ? l->session_cache - 1 : TLS_SESSION_CACHE_DEFAULT;
	ctx = tls_server_ctx_new(&o, err, sizeof(err));
	if (!ctx)
		log_msg(LOG_ERR, "%s:%d: %s", l->file, l->line, err);
	return ctx;
}

static void lsocks_free(struct proxy *px, struct lsock *ls, int n, int close_fds)
{
	for (int i = 0; i < n; i++) {
		if (close_fds && ls[i].fd >= 0) {
			ev_del(px->loop.ev, ls[i].fd);
			close(ls[i].fd);
		}
		tls_ctx_unref(ls[i].tls); /* live connections keep their own reference */
	}
	free(ls);
}

/* Do two listeners get the same socket?  Same address, or the same SocketFrom path. */
static int same_socket(const struct cfg_listener *a, const struct cfg_listener *b)
{
	if (a->socket_from || b->socket_from)
		return a->socket_from && b->socket_from && strcmp(a->socket_from, b->socket_from) == 0;
	return a->addrlen == b->addrlen && memcmp(&a->addr, &b->addr, a->addrlen) == 0;
}

/* SocketFrom: the socket comes over a UNIX socket, already bound (by root or init). */
static int lsock_receive(struct proxy *px, const struct cfg_listener *l)
{
	char err[512];
	int fd = net_receive_listener(jail_path(px, l->socket_from), SOCKETFROM_WAIT_MS, err,
				      sizeof(err));

	if (fd < 0)
		log_msg(LOG_ERR, "%s:%d: SocketFrom: %s", l->file, l->socket_line, err);
	return fd;
}

/*
 * Listening sockets for cfg: reuse the fd of an old socket with the same
 * address or SocketFrom path (marking it taken with fd = -1 in old), open the rest.
 */
static struct lsock *lsocks_open(struct proxy *px, const struct config *cfg, struct lsock *old,
				 int nold, int *n)
{
	struct lsock *ls;
	int i = 0, count = 0;

	for (const struct cfg_listener *l = cfg->listeners; l; l = l->next)
		count++;
	ls = calloc((size_t)count + 1, sizeof(*ls));
	if (!ls)
		return NULL;
	for (const struct cfg_listener *l = cfg->listeners; l; l = l->next, i++) {
		ls[i].lis = l;
		ls[i].px = px;
		ls[i].fd = -1;
		ls[i].port = net_addr_port((const struct sockaddr *)&l->addr);
		for (int k = 0; k < nold; k++)
			if (old[k].fd >= 0 && same_socket(old[k].lis, l)) {
				ls[i].fd = old[k].fd;
				ls[i].port = old[k].port;
				old[k].fd = -1;
				break;
			}
		if (ls[i].fd < 0 && l->socket_from) {
			struct sockaddr_storage ss;
			socklen_t sl = sizeof(ss);

			ls[i].fd = lsock_receive(px, l);
			if (ls[i].fd < 0)
				goto fail;
			if (getsockname(ls[i].fd, (struct sockaddr *)&ss, &sl) == 0) {
				char text[NET_ADDRSTRLEN];

				ls[i].port = net_addr_port((struct sockaddr *)&ss);
				log_msg(LOG_DEBUG, "%s:%d: SocketFrom %s: listening on %s", l->file,
					l->socket_line, l->socket_from,
					net_addr_str((struct sockaddr *)&ss, text, sizeof(text)));
			}
		} else if (ls[i].fd < 0) {
			ls[i].fd = net_listen((const struct sockaddr *)&l->addr, l->addrlen, 511);
			if (ls[i].fd < 0) {
				log_msg(LOG_ERR, "%s:%d: cannot listen on %s: %s", l->file, l->line,
					l->addr_text, strerror(errno));
				goto fail;
			}
		}
		if (l->https && !(ls[i].tls = listener_tls(px, l)))
			goto fail;
	}
	*n = count;
	return ls;
fail:
	/* give handed-over sockets back to the old set, close the new ones */
	for (int j = 0; j <= i && j < count; j++) {
		int given = 0;

		for (int k = 0; k < nold && ls[j].fd >= 0; k++)
			if (old[k].fd < 0 && same_socket(old[k].lis, ls[j].lis)) {
				old[k].fd = ls[j].fd;
				given = 1;
				break;
			}
		if (!given && ls[j].fd >= 0)
			close(ls[j].fd);
		ls[j].fd = -1;
	}
	lsocks_free(px, ls, count, 0);
	return NULL;
}

static void accept_event(void *arg, int fd, int revents);

static int lsocks_watch(struct proxy *px)
{
	for (int i = 0; i < px->nlsocks; i++)
		if (ev_add(px->loop.ev, px->lsocks[i].fd, POLLIN, accept_event, &px->lsocks[i]) < 0) {
			log_msg(LOG_ERR, "cannot watch %s", px->lsocks[i].lis->addr_text);
			return -1;
		}
	return 0;
}

/* ---- start, reload ----------------------------------------------------------------------- */

int proxy_check_files(struct config *cfg)
{
	struct proxy px;
	struct backends bk;
	int errors = 0;

	memset(&px, 0, sizeof(px));
	for (const struct cfg_listener *l = cfg->listeners; l; l = l->next) {
		struct tls_ctx *ctx;

		if (!l->https)
			continue;
		ctx = listener_tls(&px, l);
		if (!ctx)
			errors++;
		tls_ctx_unref(ctx);
	}
	/* backend contexts, through the same code a start uses */
	if (backends_init(&bk, cfg, &px.loop, NULL) < 0)
		errors++;
	backends_free(&bk);
	errors += policy_check_files(cfg); /* BasicAuth password files */
	{
		struct errpages *ep;

		errors += errpages_load(cfg, NULL, &ep);
		errpages_free(ep);
	}
	return errors;
}

int proxy_init(struct proxy *px, struct config *cfg, const char *path)
{
	int maxfds = fd_budget();

	memset(px, 0, sizeof(*px));
	px->cfg_path = path;
	px->sigfd = -1;
	px->loop.now = clock_ms();
	px->started = px->loop.now;
	px->maxfds = maxfds;
	px->maxconns = (maxfds - PROXY_FD_RESERVE) / 2;
	tlsfail_init(&px->tlsfail, &px->loop.timers);
	pool_init(&px->loop.pool, 64);
	px->loop.ev = ev_new(maxfds);
	if (!px->loop.ev) {
		config_free(cfg);
		log_msg(LOG_ERR, "out of memory");
		return -1;
	}
	px->gen = gen_new(&px->loop, cfg, NULL, px->jail);
	if (!px->gen)
		return -1;
	px->lsocks = lsocks_open(px, cfg, NULL, 0, &px->nlsocks);
	if (!px->lsocks)
		return -1;
	for (int i = 0; i < px->nlsocks; i++)
		log_msg(LOG_DEBUG, "listening on %s%s", px->lsocks[i].lis->addr_text,
			px->lsocks[i].tls ? " (TLS)" : "");
	if (cfg->control && control_open(px, cfg->control) < 0)
		return -1;
	return 0;
}

void proxy_jailed(struct proxy *px, const char *jail)
{
	/* a copy: the config holding `jail` is freed by the first reload */
	free(px->jail);
	px->jail = jail ? strdup(jail) : NULL;
	if (jail && !px->jail)
		log_msg(LOG_ERR, "out of memory: reloads will look for files outside the jail");
}

static void diag_log(void *ctx, int is_error, const char *msg)
{
	log_msg(is_error ? LOG_ERR : LOG_WARNING, "%s", msg);
}

int proxy_reload(struct proxy *px)
{
	struct config *cfg = NULL;
	const struct config *old = px->gen->cfg;
	struct gen *g;
	struct lsock *ls;
	int n, nerr;

	sandbox_test_hook(); /* test builds: a forbidden call in a running proxy, on demand */
	nerr = config_load(jail_path(px, px->cfg_path), &cfg, diag_log, NULL);
	if (nerr) {
		log_msg(LOG_ERR, "reload: %d error(s) in %s; still running the previous configuration",
			nerr, px->cfg_path);
		return -1;
	}
	if ((cfg->root_jail == NULL) != (old->root_jail == NULL) ||
	    (cfg->root_jail && strcmp(cfg->root_jail, old->root_jail) != 0) ||
	    (cfg->user == NULL) != (old->user == NULL) ||
	    (cfg->user && strcmp(cfg->user, old->user) != 0) ||
	    (cfg->group == NULL) != (old->group == NULL) ||
	    (cfg->group && strcmp(cfg->group, old->group) != 0))
		log_msg(LOG_WARNING, "reload: User, Group and RootJail changes need a restart");
	if (!control_same_path(px->ctl, cfg->control))
		log_msg(LOG_WARNING, "reload: a Control change needs a restart; the socket in use "
				     "stays as it is");
	g = gen_new(&px->loop, cfg, px->gen, px->jail);
	if (!g) {
		log_msg(LOG_ERR, "reload failed; still running the previous configuration");
		return -1;
	}
	backends_carry(&g->bk, &px->gen->bk);
	ls = lsocks_open(px, cfg, px->lsocks, px->nlsocks, &n);
	if (!ls) {
		gen_unref(g);
		log_msg(LOG_ERR, "reload failed; still running the previous configuration");
		return -1;
	}
	/* commit: nothing below can fail half-way */
	health_stop(px->health);
	px->health = NULL;
	gen_retire(px->gen);
	lsocks_free(px, px->lsocks, px->nlsocks, 1); /* closes only sockets not handed over */
	px->lsocks = ls;
	px->nlsocks = n;
	gen_unref(px->gen);
	px->gen = g;
	if (lsocks_watch(px) < 0)
		log_msg(LOG_ERR, "reload: cannot watch every listener");
	px->health = health_start(&px->loop, &g->bk);
	if (!px->health)
		log_msg(LOG_ERR, "reload: cannot start the health checks");
	log_msg(LOG_NOTICE, "configuration reloaded from %s (%d listener(s))", px->cfg_path, n);
	return 0;
}

/* ---- running -------------------------------------------------------------------------- */

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
		/* MaxConnections lowers the fd-budget cap */
		if (px->nconns >= px->maxconns ||
		    (px->gen->cfg->max_conns && px->nconns >= (int)px->gen->cfg->max_conns)) {
			close(cfd); /* shed load rather than run out of fds mid-request */
			continue;
		}
		conn_accept(px, ls, cfd, &peer);
	}
}

static void close_listeners(struct proxy *px)
{
	lsocks_free(px, px->lsocks, px->nlsocks, 1);
	px->lsocks = NULL;
	px->nlsocks = 0;
}

static void begin_stop(struct proxy *px)
{
	if (px->stopping)
		return;
	px->stopping = 1;
	px->stop_deadline = px->loop.now + (uint64_t)px->gen->cfg->grace * 1000;
	log_msg(LOG_NOTICE, "stopping: finishing %d connection(s), at most %d s", px->nconns,
		px->gen->cfg->grace);
	close_listeners(px);
	health_stop(px->health);
	px->health = NULL;
	gen_retire(px->gen);
	conn_shutdown_idle(px);
}

static void signal_event(void *arg, int fd, int revents)
{
	struct proxy *px = arg;
	int s = sig_take();

	if (s & SIGF_TERM)
		begin_stop(px);
	else if (s & SIGF_HUP)
		proxy_reload(px);
}

int proxy_run(struct proxy *px)
{
	px->sigfd = sig_init();
	if (px->sigfd < 0 || ev_add(px->loop.ev, px->sigfd, POLLIN, signal_event, px) < 0) {
		log_msg(LOG_ERR, "cannot set up signal handling: %s", strerror(errno));
		return 1;
	}
	if (lsocks_watch(px) < 0 || control_start(px) < 0)
		return 1;
	px->loop.now = clock_ms();
	px->health = health_start(&px->loop, &px->gen->bk);
	if (!px->health)
		return 1;
	log_msg(LOG_NOTICE, "pinfold started, %d listener(s)", px->nlsocks);
	for (;;) {
		int timeout, ready;

		if (px->stopping && (px->nconns == 0 || px->loop.now >= px->stop_deadline))
			break;
		timeout = timer_next(&px->loop.timers, px->loop.now);
		if (px->stopping) {
			uint64_t left = px->stop_deadline - px->loop.now;

			if (timeout < 0 || (uint64_t)timeout > left)
				timeout = (int)left;
		}
		ready = ev_poll(px->loop.ev, timeout);
		if (ready < 0) {
			log_msg(LOG_ERR, "poll: %s", strerror(errno));
			return 1;
		}
		/* before any callback: a deadline set now must count from now, not from
		 * before a long idle wait */
		px->loop.now = clock_ms();
		ev_dispatch(px->loop.ev, ready);
		timer_run(&px->loop.timers, px->loop.now);
	}
	if (px->nconns)
		log_msg(LOG_WARNING, "grace period over: closing %d connection(s)", px->nconns);
	conn_close_all(px);
	tlsfail_flush(&px->tlsfail, clock_ms()); /* what was counted is not lost at exit */
	log_msg(LOG_NOTICE, "pinfold stopped");
	return 0;
}

void proxy_free(struct proxy *px)
{
	conn_close_all(px);
	control_close(px);
	policy_conns_free(&px->connlimit);
	if (px->loop.ev)
		close_listeners(px);
	if (px->gen) {
		health_stop(px->health);
		px->health = NULL;
		gen_unref(px->gen);
	}
	tlsfail_free(&px->tlsfail);
	timer_free(&px->loop.timers);
	pool_drain(&px->loop.pool);
	io_pipes_close(&px->pipes);
	ev_free(px->loop.ev);
	if (px->sigfd >= 0)
		close(px->sigfd);
	free(px->jail);
	memset(px, 0, sizeof(*px));
}
