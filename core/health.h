/*
 * health.h - Pound's `Alive`: every Alive seconds each dead backend gets a
 * non-blocking TCP connect on the main loop; one that answers is alive again.
 * A backend with a HealthCheck gets an HTTP request instead (core/check_http.c),
 * alive or dead: a wrong status marks it dead, the right one revives it.
 *
 * The health-check state (the tick, the probes in flight) is this module's
 * alone; a verdict reaches the backend's state through backend_mark_up/down.
 */
#ifndef PINFOLD_HEALTH_H
#define PINFOLD_HEALTH_H

#include <stdint.h>

#include "loop.h"

struct backends;
struct hc_probe;
struct health;

/* Health-check state of one backend, by cfg_backend.id: written only by health.c. */
struct hc_state {
	struct health *h;
	unsigned id;
	uint8_t probing;     /* a probe is in flight */
	int fd;              /* the TCP probe's socket, or -1 */
	struct timer tm;     /* the TCP probe's ConnTO */
	struct hc_probe *hc; /* the HTTP check in flight (core/check_http.c), or NULL */
};

/* The checks of one (the current) generation's backends. */
struct health {
	struct loop *lp;
	struct backends *bk;
	struct timer tick;   /* the Alive tick */
	struct hc_state *st; /* bk->cfg->nbackends entries */
};

/*
 * Checks for the backends of bk (the current generation's) on lp, and the Alive
 * tick armed.  NULL on error (logged).
 */
struct health *health_start(struct loop *lp, struct backends *bk);
/* Cancel the tick and any probe in flight, and free h (NULL: nothing). */
void health_stop(struct health *h);
/* Probe every dead backend now (also called by the tick). */
void health_check_now(struct health *h);

enum health_probe { HEALTH_ALIVE, HEALTH_PROBING, HEALTH_DEAD };
/*
 * Probe one backend now, if it is dead and no probe is in flight (for
 * pinfoldctl's check).  Says where it stands right after: alive (already, or
 * the connect completed at once), probing, or still dead (refused at once).
 */
enum health_probe health_probe_now(struct health *h, unsigned id);

#endif
