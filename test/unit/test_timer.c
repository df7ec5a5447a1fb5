/*
 * test_timer.c - the deadline heap: firing order, re-arming, cancelling,
 * callbacks that change the heap while it runs, and a large random run
 * checked against the heap's invariants.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "timer.h"

#define MAXLOG 64

/* What fired, in order; shared by the simple callbacks below. */
struct firelog {
	int ids[MAXLOG];
	int n;
};

struct item {
	struct timer t;
	int id;
	struct firelog *log;
	struct timers *ts;
	struct item *other; /* for callbacks that act on another timer */
	uint64_t rearm_at;  /* for callbacks that re-arm */
	int fired;
};

static void record(struct item *it)
{
	it->fired++;
	if (it->log && it->log->n < MAXLOG)
		it->log->ids[it->log->n++] = it->id;
}

static void cb_record(struct timer *t, void *arg)
{
	struct item *it = arg;

	assert_false(timer_armed(t));
	record(it);
}

static void item_init(struct item *it, int id, struct firelog *log, struct timers *ts, timer_fn fn)
{
	memset(it, 0, sizeof(*it));
	it->id = id;
	it->log = log;
	it->ts = ts;
	timer_init(&it->t, fn, it);
}

/* Every parent is due no later than its children, and every idx is right. */
static void check_heap(const struct timers *ts)
{
	int i;

	for (i = 0; i < ts->n; i++) {
		assert_int_equal(ts->heap[i]->idx, i);
		if (i > 0)
			assert_true(ts->heap[(i - 1) / 2]->when <= ts->heap[i]->when);
	}
}

static void test_empty(void **state)
{
	struct timers ts = {0};

	assert_int_equal(timer_next(&ts, 0), -1);
	timer_run(&ts, 1000);
	timer_free(&ts);
	assert_null(ts.heap);
}

static void test_order(void **state)
{
	struct timers ts = {0};
	struct firelog log = {{0}, 0};
	struct item it[5];
	static const uint64_t when[5] = {50, 10, 40, 20, 30};
	int i;

	for (i = 0; i < 5; i++) {
		item_init(&it[i], i, &log, &ts, cb_record);
		assert_false(timer_armed(&it[i].t));
		assert_int_equal(timer_set(&ts, &it[i].t, when[i]), 0);
		assert_true(timer_armed(&it[i].t));
		check_heap(&ts);
	}
	assert_int_equal(timer_next(&ts, 0), 10);
	assert_int_equal(timer_next(&ts, 9), 1);
	assert_int_equal(timer_next(&ts, 10), 0);
	assert_int_equal(timer_next(&ts, 500), 0);

	timer_run(&ts, 9);
	assert_int_equal(log.n, 0);
	timer_run(&ts, 25);
	assert_int_equal(log.n, 2);
	assert_int_equal(timer_next(&ts, 25), 5);
	timer_run(&ts, 100);
	assert_int_equal(log.n, 5);
	assert_int_equal(log.ids[0], 1);
	assert_int_equal(log.ids[1], 3);
	assert_int_equal(log.ids[2], 4);
	assert_int_equal(log.ids[3], 2);
	assert_int_equal(log.ids[4], 0);
	for (i = 0; i < 5; i++) {
		assert_false(timer_armed(&it[i].t));
		assert_int_equal(it[i].fired, 1);
	}
	assert_int_equal(timer_next(&ts, 100), -1);
	timer_free(&ts);
}

static void test_next_far(void **state)
{
	struct timers ts = {0};
	struct item it;

	item_init(&it, 0, NULL, &ts, cb_record);
	assert_int_equal(timer_set(&ts, &it.t, UINT64_MAX), 0);
	assert_int_equal(timer_next(&ts, 0), INT_MAX);
	timer_free(&ts);
	assert_false(timer_armed(&it.t));
}

static void test_rearm_moves(void **state)
{
	struct timers ts = {0};
	struct firelog log = {{0}, 0};
	struct item a, b;

	item_init(&a, 1, &log, &ts, cb_record);
	item_init(&b, 2, &log, &ts, cb_record);
	assert_int_equal(timer_set(&ts, &a.t, 100), 0);
	assert_int_equal(timer_set(&ts, &b.t, 50), 0);

	/* Earlier: a now comes first, and is in the heap only once. */
	assert_int_equal(timer_set(&ts, &a.t, 10), 0);
	assert_int_equal(ts.n, 2);
	check_heap(&ts);
	assert_int_equal(timer_next(&ts, 0), 10);

	/* Later: b moves past where a was. */
	assert_int_equal(timer_set(&ts, &b.t, 200), 0);
	assert_int_equal(timer_set(&ts, &a.t, 150), 0);
	check_heap(&ts);
	timer_run(&ts, 120);
	assert_int_equal(log.n, 0);
	timer_run(&ts, 1000);
	assert_int_equal(log.n, 2);
	assert_int_equal(log.ids[0], 1);
	assert_int_equal(log.ids[1], 2);
	assert_int_equal(a.fired, 1);
	assert_int_equal(b.fired, 1);
	timer_free(&ts);
}

static void test_cancel(void **state)
{
	struct timers ts = {0};
	struct firelog log = {{0}, 0};
	struct item it[6];
	int i;

	for (i = 0; i < 6; i++) {
		item_init(&it[i], i, &log, &ts, cb_record);
		assert_int_equal(timer_set(&ts, &it[i].t, (uint64_t)(10 * (i + 1))), 0);
	}
	timer_cancel(&ts, &it[0].t); /* the root */
	check_heap(&ts);
	timer_cancel(&ts, &it[5].t); /* the last slot */
	check_heap(&ts);
	timer_cancel(&ts, &it[2].t); /* one in the middle */
	check_heap(&ts);
	timer_cancel(&ts, &it[2].t); /* twice is harmless */
	assert_int_equal(ts.n, 3);
	assert_false(timer_armed(&it[2].t));

	timer_run(&ts, 1000);
	assert_int_equal(log.n, 3);
	assert_int_equal(log.ids[0], 1);
	assert_int_equal(log.ids[1], 3);
	assert_int_equal(log.ids[2], 4);

	/* A cancelled timer can be armed again. */
	assert_int_equal(timer_set(&ts, &it[0].t, 5), 0);
	timer_run(&ts, 5);
	assert_int_equal(it[0].fired, 1);
	timer_free(&ts);
}

static void cb_rearm_self(struct timer *t, void *arg)
{
	struct item *it = arg;

	record(it);
	assert_int_equal(timer_set(it->ts, t, it->rearm_at), 0);
}

static void test_periodic(void **state)
{
	struct timers ts = {0};
	struct item it;
	uint64_t now;

	item_init(&it, 7, NULL, &ts, cb_rearm_self);
	assert_int_equal(timer_set(&ts, &it.t, 100), 0);
	for (now = 100; now <= 1000; now += 100) {
		it.rearm_at = now + 100;
		timer_run(&ts, now);
		assert_int_equal(it.fired, (int)(now / 100));
		assert_true(timer_armed(&it.t));
		assert_int_equal(timer_next(&ts, now), 100);
	}
	timer_free(&ts);
}

static void test_rearm_in_past_terminates(void **state)
{
	struct timers ts = {0};
	struct item it;

	/* A callback that keeps asking for "now" must not hang timer_run. */
	item_init(&it, 1, NULL, &ts, cb_rearm_self);
	it.rearm_at = 0;
	assert_int_equal(timer_set(&ts, &it.t, 0), 0);
	timer_run(&ts, 10);
	assert_int_equal(it.fired, 1);
	assert_int_equal(timer_next(&ts, 10), 0);
	timer_run(&ts, 10);
	assert_int_equal(it.fired, 2);
	timer_free(&ts);
}

static void cb_cancel_other(struct timer *t, void *arg)
{
	struct item *it = arg;

	record(it);
	timer_cancel(it->ts, &it->other->t);
}

static void test_callback_cancels_other(void **state)
{
	struct timers ts = {0};
	struct firelog log = {{0}, 0};
	struct item a, b, c;

	/* a and b are both due; a fires first and cancels b. */
	item_init(&a, 1, &log, &ts, cb_cancel_other);
	item_init(&b, 2, &log, &ts, cb_record);
	item_init(&c, 3, &log, &ts, cb_record);
	a.other = &b;
	assert_int_equal(timer_set(&ts, &a.t, 10), 0);
	assert_int_equal(timer_set(&ts, &b.t, 20), 0);
	assert_int_equal(timer_set(&ts, &c.t, 30), 0);
	timer_run(&ts, 100);
	assert_int_equal(log.n, 2);
	assert_int_equal(log.ids[0], 1);
	assert_int_equal(log.ids[1], 3);
	assert_int_equal(b.fired, 0);
	assert_false(timer_armed(&b.t));
	assert_int_equal(ts.n, 0);
	timer_free(&ts);
}

static void cb_arm_other(struct timer *t, void *arg)
{
	struct item *it = arg;

	record(it);
	assert_int_equal(timer_set(it->ts, &it->other->t, it->rearm_at), 0);
}

static void test_callback_arms_other(void **state)
{
	struct timers ts = {0};
	struct firelog log = {{0}, 0};
	struct item a, b, c;

	/* a moves c (due later) to the future and arms b for the past. */
	item_init(&a, 1, &log, &ts, cb_arm_other);
	item_init(&b, 2, &log, &ts, cb_record);
	item_init(&c, 3, &log, &ts, cb_arm_other);
	a.other = &b;
	a.rearm_at = 5;
	c.other = &c; /* c re-arms itself through the "other" path */
	c.rearm_at = 500;
	assert_int_equal(timer_set(&ts, &a.t, 10), 0);
	assert_int_equal(timer_set(&ts, &c.t, 20), 0);

	timer_run(&ts, 100);
	/* Two were armed on entry, so two fire now: a, then b (due at 5). */
	assert_int_equal(a.fired, 1);
	assert_int_equal(b.fired, 1);
	assert_int_equal(c.fired, 0);
	timer_run(&ts, 100);
	assert_int_equal(c.fired, 1);
	assert_true(timer_armed(&c.t));
	assert_int_equal(timer_next(&ts, 100), 400);
	timer_free(&ts);
}

struct owned {
	struct timer t;
	int *freed;
};

static void cb_free_owner(struct timer *t, void *arg)
{
	struct owned *o = arg;

	(*o->freed)++;
	free(o);
}

static void test_callback_frees_owner(void **state)
{
	struct timers ts = {0};
	int freed = 0;
	int i;

	/* ASan turns any touch of a timer after its callback into a failure. */
	for (i = 0; i < 8; i++) {
		struct owned *o = malloc(sizeof(*o));

		assert_non_null(o);
		o->freed = &freed;
		timer_init(&o->t, cb_free_owner, o);
		assert_int_equal(timer_set(&ts, &o->t, (uint64_t)(i % 3)), 0);
	}
	timer_run(&ts, 10);
	assert_int_equal(freed, 8);
	assert_int_equal(ts.n, 0);
	timer_free(&ts);
}

#define NRANDOM 10000

struct rnd {
	struct timer t;
	uint64_t deadline; /* the last deadline it was armed for */
	int fired;
	int cancelled;
};

static uint64_t fired_order_last, run_now;
static int fired_total;

static void cb_random(struct timer *t, void *arg)
{
	struct rnd *r = arg;

	/* Deadlines come out in non-decreasing order across the whole run. */
	assert_true(t->when >= fired_order_last);
	assert_true(t->when <= run_now);
	assert_true(t->when == r->deadline);
	fired_order_last = t->when;
	r->fired++;
	fired_total++;
}

static void test_random_10k(void **state)
{
	struct timers ts = {0};
	struct rnd *r = calloc(NRANDOM, sizeof(*r));
	uint64_t now;
	int i, expect = 0;

	assert_non_null(r);
	srand(12345);
	for (i = 0; i < NRANDOM; i++) {
		timer_init(&r[i].t, cb_random, &r[i]);
		r[i].deadline = (uint64_t)(rand() % 100000);
		assert_int_equal(timer_set(&ts, &r[i].t, r[i].deadline), 0);
	}
	check_heap(&ts);
	assert_true(ts.cap >= NRANDOM);
	/* Move a third somewhere else, cancel a tenth. */
	for (i = 0; i < NRANDOM; i += 3) {
		r[i].deadline = (uint64_t)(rand() % 100000);
		assert_int_equal(timer_set(&ts, &r[i].t, r[i].deadline), 0);
	}
	for (i = 0; i < NRANDOM; i += 10) {
		timer_cancel(&ts, &r[i].t);
		r[i].cancelled = 1;
	}
	check_heap(&ts);
	for (i = 0; i < NRANDOM; i++)
		expect += !r[i].cancelled;
	assert_int_equal(ts.n, expect);

	fired_order_last = 0;
	fired_total = 0;
	for (now = 0; now <= 100000; now += 997) {
		run_now = now;
		timer_run(&ts, now);
		/* Nothing due is left behind. */
		if (ts.n > 0) {
			assert_true(ts.heap[0]->when > now);
			assert_int_equal(timer_next(&ts, now), (int)(ts.heap[0]->when - now));
		}
	}
	run_now = 100000;
	timer_run(&ts, 100000);
	assert_int_equal(fired_total, expect);
	assert_int_equal(ts.n, 0);
	for (i = 0; i < NRANDOM; i++) {
		assert_int_equal(r[i].fired, r[i].cancelled ? 0 : 1);
		assert_false(timer_armed(&r[i].t));
	}
	timer_free(&ts);
	free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_empty),
	    cmocka_unit_test(test_order),
	    cmocka_unit_test(test_next_far),
	    cmocka_unit_test(test_rearm_moves),
	    cmocka_unit_test(test_cancel),
	    cmocka_unit_test(test_periodic),
	    cmocka_unit_test(test_rearm_in_past_terminates),
	    cmocka_unit_test(test_callback_cancels_other),
	    cmocka_unit_test(test_callback_arms_other),
	    cmocka_unit_test(test_callback_frees_owner),
	    cmocka_unit_test(test_random_10k),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
