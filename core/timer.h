/*
 * timer.h - every timeout in the process hangs off one min-heap of deadlines;
 * its earliest entry sets the poll() timeout.  Timers are embedded in their
 * owners, so arming one never allocates once the heap has grown.
 */
#ifndef PINFOLD_TIMER_H
#define PINFOLD_TIMER_H

#include <stdint.h>

struct timer;
typedef void (*timer_fn)(struct timer *t, void *arg);

struct timer {
	uint64_t when; /* monotonic ms */
	int idx;       /* position in the heap, -1 when not armed */
	timer_fn fn;
	void *arg;
};

struct timers {
	struct timer **heap;
	int n, cap;
};

void timer_init(struct timer *t, timer_fn fn, void *arg);
static inline int timer_armed(const struct timer *t)
{
	return t->idx >= 0;
}
/* Arm or re-arm t for `when`; 0, or -1 if the heap cannot grow. */
int timer_set(struct timers *ts, struct timer *t, uint64_t when);
void timer_cancel(struct timers *ts, struct timer *t);
/* Milliseconds until the earliest deadline (0 if due), -1 if none. */
int timer_next(const struct timers *ts, uint64_t now);
/* Fire every timer due at `now`; each is disarmed before its callback runs. */
void timer_run(struct timers *ts, uint64_t now);
void timer_free(struct timers *ts);

#endif
