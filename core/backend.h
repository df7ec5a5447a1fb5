/*
 * backend.h - choosing a backend for a service and keeping idle keep-alive
 * connections to backends for reuse.  The run-time state of every backend
 * (alive, disabled, counters, pooled connections) is this module's: others
 * read it and change it only through the functions below.
 */
#ifndef PINFOLD_BACKEND_H
#define PINFOLD_BACKEND_H

#include <stdint.h>

#include "config.h"
#include "loop.h"
#include "tls.h"

struct upconn;
struct sess_table;

/* Runtime state of one backend, bk->be[cfg_backend.id]: written only by backend.c. */
struct be_state {
	uint8_t alive;
	uint8_t disabled;   /* by config or at runtime */
	uint8_t ctl_set;    /* `disabled` was set by pinfoldctl: a reload keeps it */
	int iwrr_cw;        /* interleaved weighted round robin: current weight */
	uint32_t active;    /* requests in flight */
	uint64_t requests;  /* requests sent */
	struct upconn *idle;/* keep-alive connections to it, ready for reuse */
	struct tls_ctx *tls;/* client context for an HTTPS backend */
	int nidle;
};

/* The backends of one configuration generation (embedded in struct gen). */
struct backends {
	const struct config *cfg;
	struct loop *loop;            /* the pool's timers and clock */
	struct be_state *be;          /* cfg->nbackends entries */
	struct sess_table *sessions;  /* Session pins of every service; a reload starts empty */
	uint32_t rng;                 /* the random balancer's xorshift state */
	uint8_t retired;              /* no longer current: no connection is kept for reuse */
};

/*
 * Runtime state for cfg's backends (all alive at first) on loop, and the client
 * TLS contexts of HTTPS backends, their files read now through `jail`.  0 or -1
 * (logged); backends_free() cleans up either way.
 */
int backends_init(struct backends *bk, const struct config *cfg, struct loop *loop,
                  const char *jail);
/* Close pooled connections: the generation is no longer current (probes: health_stop). */
void backends_retire(struct backends *bk);
void backends_free(struct backends *bk);
/* A reload: a backend of `to` at the address of one in `from` keeps what we knew of it. */
void backends_carry(struct backends *to, const struct backends *from);

/*
 * Pick an alive, enabled backend of the service that is below its
 * MaxConnections: the one the session `key` (len bytes, NULL for none) is
 * pinned to when it qualifies, else one by the balancer (Priority is the
 * weight), pinning the key to it; when no backend is alive, the Emergency
 * backend (never pinned).  NULL when there is none; *full is then 1 if alive
 * backends exist but all are at their MaxConnections.
 */
const struct cfg_backend *backend_pick(struct backends *bk, const struct cfg_service *svc,
                                       const char *key, size_t len, int *full);

/* A response named the session key (Set-Cookie, the ID header): pin it to be. */
void backend_pin(struct backends *bk, const struct cfg_service *svc, const char *key, size_t len,
                 const struct cfg_backend *be);

/* A connect to it failed or timed out, or a health check failed: mark it dead (logged once). */
void backend_mark_down(struct backends *bk, const struct cfg_backend *be, const char *why);
/* A probe answered: alive again (logged once). */
void backend_mark_up(struct backends *bk, unsigned id);
/* pinfoldctl disabled or enabled it: an operator's choice, kept across reloads. */
void backend_set_disabled(struct backends *bk, unsigned id, int disabled);
/* A request to it begins (a connection is opened or taken from the pool), or ends. */
void backend_conn_begin(struct backends *bk, const struct cfg_backend *be);
void backend_conn_end(struct backends *bk, const struct cfg_backend *be);

/*
 * An idle kept-alive connection to this backend, or -1.  *tls receives its
 * TLS session (NULL for plain HTTP).  check: make sure it is still open (for
 * requests that could not be sent again, or that met a closed one already);
 * without it only connections idle for a while are checked.
 */
int backend_pool_get(struct backends *bk, unsigned id, struct tls_conn **tls, int check);
/* Keep fd (and its TLS session) for reuse, or close it when the pool is full or we stop. */
void backend_pool_put(struct backends *bk, unsigned id, int fd, struct tls_conn *tls);

#endif
