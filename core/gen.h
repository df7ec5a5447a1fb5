/*
 * gen.h - a configuration generation: one parsed config, the run-time state
 * indexed by its ids (backends, access-control tables, session pins, error
 * pages, counters), and its lifecycle.  Connections hold a reference to the
 * generation they started with, so a reload never changes anything under a
 * request in flight; the last one to leave a retired generation frees it.
 */
#ifndef PINFOLD_GEN_H
#define PINFOLD_GEN_H

#include <stdint.h>

#include "backend.h"

struct config;
struct loop;
struct policy_state;
struct errpages;

/* Counters of one listener, in the generation its connections started with. */
struct lis_stats {
	uint64_t requests; /* request heads read */
	uint32_t conns;    /* client connections open */
};

struct gen {
	struct config *cfg;
	struct backends bk;  /* its backends' run-time state (core/backend.c) */
	int refs;            /* connections using it, plus one while it is current */
	struct policy_state *pstate; /* access controls: rate-limit table, BasicAuth files */
	struct errpages *errpages;   /* ErrorFile pages, read when the generation is made */
	struct lis_stats *lis;   /* by cfg_listener.id: counters pinfoldctl shows */
	uint64_t *svc_requests;  /* by cfg_service.id: requests routed to it */
};

/*
 * A generation for cfg (taken over: freed on failure too), its files read now
 * through `jail` once chrooted.  `old` is the one it replaces, or NULL.  It
 * starts with one reference, the "current" one.  NULL on any error (logged).
 */
struct gen *gen_new(struct loop *loop, struct config *cfg, const struct gen *old,
                    const char *jail);
/* A connection starts using g. */
void gen_ref(struct gen *g);
/* Drop a reference; the last one frees g. */
void gen_unref(struct gen *g);
/*
 * g is no longer current (a reload replaced it, or we stop): pooled backend
 * connections close and none is kept from now on.  Its references stay.
 */
void gen_retire(struct gen *g);

#endif
