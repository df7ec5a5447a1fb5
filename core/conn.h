/*
 * conn.h - one client connection and, while a request is in flight, its
 * backend connection: a state machine with two sides driven by the event
 * loop.
 */
#ifndef PINFOLD_CONN_H
#define PINFOLD_CONN_H

#include <sys/socket.h>

#include "proxy_state.h"

/* Take ownership of an accepted client socket.  0, or -1 (fd closed). */
int conn_accept(struct proxy *px, const struct lsock *ls, int fd,
		const struct sockaddr_storage *peer);

/* Stop: close connections that are idle now, let busy ones finish their request. */
void conn_shutdown_idle(struct proxy *px);

/* Close everything (end of grace period, or exit). */
void conn_close_all(struct proxy *px);

#endif
