/*
 * timer.c - a binary min-heap of deadlines.
 *
 * The heap holds pointers to timers embedded in their owners; each timer
 * remembers its own slot (idx) so cancel and re-arm are O(log n) without a
 * search.  Callbacks run with their timer already out of the heap and may
 * re-arm it, arm or cancel any other timer, or free the owner: timer_run
 * never touches a timer after calling it.
 */
#include "timer.h"

#include <assert.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>

#define TIMER_MIN_CAP 16

static void heap_put(struct timers *ts, int i, struct timer *t)
{
	ts->heap[i] = t;
	t->idx = i;
}

static void sift_up(struct timers *ts, int i)
{
	struct timer *t = ts->heap[i];

	while (i > 0) {
		int parent = (i - 1) / 2;

		if (ts->heap[parent]->when <= t->when)
			break;
		heap_put(ts, i, ts->heap[parent]);
		i = parent;
	}
	heap_put(ts, i, t);
}

static void sift_down(struct timers *ts, int i)
{
	struct timer *t = ts->heap[i];

	for (;;) {
		int child = 2 * i + 1;

		if (child >= ts->n)
			break;
		if (child + 1 < ts->n && ts->heap[child + 1]->when < ts->heap[child]->when)
			child++;
		if (t->when <= ts->heap[child]->when)
			break;
		heap_put(ts, i, ts->heap[child]);
		i = child;
	}
	heap_put(ts, i, t);
}

/* Restore order at i after its entry changed in either direction. */
static void heap_fix(struct timers *ts, int i)
{
	if (i > 0 && ts->heap[(i - 1) / 2]->when > ts->heap[i]->when)
		sift_up(ts, i);
	else
		sift_down(ts, i);
}

static int heap_grow(struct timers *ts)
{
	struct timer **heap;
	int cap;

	if (ts->cap >= INT_MAX / 2) {
		errno = ENOMEM;
		return -1;
	}
	cap = ts->cap ? ts->cap * 2 : TIMER_MIN_CAP;
	heap = realloc(ts->heap, (size_t)cap * sizeof(*heap));
	if (!heap) {
		errno = ENOMEM;
		return -1;
	}
	ts->heap = heap;
	ts->cap = cap;
	return 0;
}

void timer_init(struct timer *t, timer_fn fn, void *arg)
{
	t->when = 0;
	t->idx = -1;
	t->fn = fn;
	t->arg = arg;
}

int timer_set(struct timers *ts, struct timer *t, uint64_t when)
{
	if (timer_armed(t)) {
		assert(t->idx < ts->n && ts->heap[t->idx] == t);
		t->when = when;
		heap_fix(ts, t->idx);
		return 0;
	}
	if (ts->n == ts->cap && heap_grow(ts) < 0)
		return -1;
	t->when = when;
	heap_put(ts, ts->n++, t);
	sift_up(ts, t->idx);
	return 0;
}

void timer_cancel(struct timers *ts, struct timer *t)
{
	int i = t->idx;
	struct timer *last;

	if (i < 0)
		return;
	assert(i < ts->n && ts->heap[i] == t);
	t->idx = -1;
	last = ts->heap[--ts->n];
	if (last == t)
		return;
	heap_put(ts, i, last);
	heap_fix(ts, i);
}

int timer_next(const struct timers *ts, uint64_t now)
{
	uint64_t when;

	if (ts->n == 0)
		return -1;
	when = ts->heap[0]->when;
	if (when <= now)
		return 0;
	if (when - now > INT_MAX)
		return INT_MAX;
	return (int)(when - now);
}

void timer_run(struct timers *ts, uint64_t now)
{
	/*
	 * At most as many firings as timers were armed on entry: a callback
	 * that re-arms for a deadline already past then runs again on the
	 * next call, after a trip through poll(), instead of spinning here.
	 */
	int budget = ts->n;

	while (budget-- > 0 && ts->n > 0 && ts->heap[0]->when <= now) {
		struct timer *t = ts->heap[0];

		timer_cancel(ts, t);
		/* Owners may arm before their callback is set (backend probes). */
		if (t->fn)
			t->fn(t, t->arg);
	}
}

void timer_free(struct timers *ts)
{
	int i;

	/* Owners may outlive the heap; leave their timers reading as disarmed. */
	for (i = 0; i < ts->n; i++)
		ts->heap[i]->idx = -1;
	free(ts->heap);
	ts->heap = NULL;
	ts->n = 0;
	ts->cap = 0;
}
