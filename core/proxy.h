/*
 * proxy.h - the running proxy: one context passed to every module instead
 * of globals.  It owns the loop (core/loop.h: poll set, timers, buffer pool), the
 * listening sockets, backend runtime state and the current generation (core/gen.h).
 */
#ifndef PINFOLD_PROXY_H
#define PINFOLD_PROXY_H

#include <stdint.h>

#include "config.h"
#include "gen.h"
#include "http.h"
#include "loop.h"
#include "sockio.h"
#include "tlsfail.h"

#define PROXY_FD_RESERVE 16 /* fds kept for listeners, probes, logging */

struct conn;
struct upconn;
struct tls_ctx;
struct policy_state;
struct connlimit;
struct sess_table;
struct health;
struct errpages;
struct control;

struct lsock {
	int fd;
	struct tls_ctx *tls; /* server context of a ListenHTTPS, else NULL */
	const struct cfg_listener *lis;
	struct proxy *px;
	int port; /* its local port (X-Forwarded-Port); a SocketFrom socket's as received */
};

struct proxy {
	struct gen *gen;          /* the current generation */
	const char *cfg_path;     /* the file to read again on SIGHUP */
	char *jail;               /* RootJail we are chrooted into (our copy), or NULL */
	struct loop loop;         /* poll set, timers, buffer pool, clock */
	struct lsock *lsocks;
	int nlsocks;
	struct conn *conns;       /* every client connection, for shutdown */
	int nconns;
	int maxconns;             /* stop accepting above this (fd budget) */
	int maxfds;               /* the fd budget: RLIMIT_NOFILE, raised to its hard limit */
	struct io_pipes pipes;    /* splice pipes: kept, open, and whether splice() works */
	struct connlimit *connlimit; /* MaxConnsPerIP: live connections per client address */
	int stopping;             /* SIGTERM seen: finish in-flight work, then exit */
	uint64_t stop_deadline;
	struct health *health;    /* the current generation's health checks, or NULL */
	struct control *ctl;      /* the Control socket and its clients, or NULL */
	uint64_t started;         /* monotonic ms at start, for the uptime pinfoldctl shows */
	int sigfd;
	struct tlsfail tlsfail;   /* failed client handshakes, summarized by a timer */
	struct http_msg msg;      /* the head being parsed now: parsing never spans turns */
	char scratch[HTTP_MAX_HEAD + 1];
};

/*
 * Set up runtime state for cfg and open every listener (taking ownership of
 * cfg).  path is the config file, read again on SIGHUP.  0, or -1 (logged).
 */
int proxy_init(struct proxy *px, struct config *cfg, const char *path);
/* For -c: build (and free) every TLS context, so bad certificates show now.  Error count. */
int proxy_check_files(struct config *cfg);
/* Called once privileges are dropped: later reloads read files inside the jail. */
void proxy_jailed(struct proxy *px, const char *jail);
/* Re-read the config and certificates; on any error keep running the old ones. */
int proxy_reload(struct proxy *px);
/* Start watching listeners and signals; run until stopped.  Returns the exit code. */
int proxy_run(struct proxy *px);
void proxy_free(struct proxy *px);

/* Fds the proxy can spend on other things (splice pipes) without starving connections. */
static inline int proxy_spare_fds(const struct proxy *px)
{
	/* every connection may hold two fds */
	return px->maxfds - PROXY_FD_RESERVE - 2 * px->nconns;
}

#endif
