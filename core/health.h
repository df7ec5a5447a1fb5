/*
 * health.h - Pound's `Alive`: every Alive seconds each dead backend gets a
 * non-blocking TCP connect on the main loop; one that answers is alive again.
 * A backend with a HealthCheck gets an HTTP request instead (core/check_http.c),
 * alive or dead: a wrong status marks it dead, the right one revives it.
 */
#ifndef PINFOLD_HEALTH_H
#define PINFOLD_HEALTH_H

#include "proxy.h"

/* Arm the Alive tick. 0 or -1. */
int health_start(struct proxy *px);
/* Cancel the tick and any probe in flight. */
void health_stop(struct proxy *px);
/* Probe every dead backend now (also called by the tick). */
void health_check_now(struct proxy *px);

/* A probe of st's backend ended (ok, or why it failed): revive or mark it dead. */
void health_result(struct be_state *st, int ok, const char *why);
enum health_probe { HEALTH_ALIVE, HEALTH_PROBING, HEALTH_DEAD };
/*
 * Probe one backend of the current generation now, if it is dead and no probe
 * is in flight (for pinfoldctl's check).  Says where it stands right after:
 * alive (already, or the connect completed at once), probing, or still dead
 * (refused at once).
 */
enum health_probe health_probe_now(struct proxy *px, unsigned id);

#endif
