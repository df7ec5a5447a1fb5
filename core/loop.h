/*
 * loop.h - what a module on the main loop needs and nothing more: the poll
 * set, the timers, the buffer pool and the clock of this loop turn.  Passed to
 * modules that only watch fds and set timers (health checks, the backend pool,
 * the Control socket), so they need not know the whole proxy.
 */
#ifndef PINFOLD_LOOP_H
#define PINFOLD_LOOP_H

#include <stdint.h>

#include "buf.h"
#include "evloop.h"
#include "timer.h"

struct loop {
	struct evloop *ev;
	struct timers timers;
	struct bufpool pool;
	uint64_t now; /* monotonic ms, refreshed every loop turn before any callback */
};

#endif
