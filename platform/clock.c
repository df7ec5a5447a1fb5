/*
 * clock.c - monotonic milliseconds for every timeout.  CLOCK_MONOTONIC does
 * not jump when NTP first sets the wall clock on a router that booted
 * thinking it was 1970, which would otherwise fire or stall every timer.
 */
#include "clock.h"

#include <stdlib.h>
#include <time.h>

uint64_t clock_ms(void)
{
	struct timespec ts;

	/*
	 * It can only fail with EINVAL for an unsupported clock, and every
	 * target (Linux, FreeBSD) has this one: a failure means the process
	 * cannot keep time at all, so stop rather than run with bogus deadlines.
	 */
	if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0)
		abort();
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}
