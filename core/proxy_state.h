/*
 * proxy_state.h - struct proxy: the process-wide run-time state (the loop, the
 * current generation, listening sockets, the list of client connections, the
 * splice pipes, the per-address connection table), shared by the main loop
 * (core/proxy.c), the connections (core/conn.c) and the Control socket
 * (core/control.c).  Definitions only: proxy.c's functions are in proxy.h, so a
 * module that needs the state does not depend on the module that starts it.
 */
#ifndef PINFOLD_PROXY_STATE_H
#define PINFOLD_PROXY_STATE_H

#include <stdint.h>

#include "http.h"
#include "loop.h"
#include "sockio.h"
#include "tlsfail.h"

struct cfg_listener;
struct conn;
struct connlimit;
struct control;
struct gen;
struct health;
struct tls_ctx;

#define PROXY_FD_RESERVE 16 /* fds kept for listeners, probes, logging */

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

/* Fds the proxy can spend on other things (splice pipes) without starving connections. */
static inline int proxy_spare_fds(const struct proxy *px)
{
	/* every connection may hold two fds */
	return px->maxfds - PROXY_FD_RESERVE - 2 * px->nconns;
}

#endif
