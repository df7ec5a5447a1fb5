/* test_evloop.c - the poll loop: dispatch, interest changes, removal during dispatch. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "evloop.h"

static int fired[64];
static struct evloop *ev;
static int pipes[4][2];

static void on_read(void *arg, int fd, int revents)
{
	fired[fd]++;
	if (arg) /* remove every watched read end, including ones not yet dispatched */
		for (int i = 0; i < 4; i++)
			ev_del(ev, pipes[i][0]);
}

static void test_dispatch_and_remove(void **state)
{
	ev = ev_new(64);
	assert_non_null(ev);
	for (int i = 0; i < 4; i++) {
		assert_int_equal(pipe(pipes[i]), 0);
		assert_int_equal(ev_add(ev, pipes[i][0], POLLIN, on_read, NULL), 0);
		assert_int_equal(write(pipes[i][1], "x", 1), 1);
	}
	assert_int_equal(ev_count(ev), 4);
	assert_int_equal(ev_wait(ev, 100), 4);
	for (int i = 0; i < 4; i++)
		assert_int_equal(fired[pipes[i][0]], 1);

	ev_set(ev, pipes[1][0], 0); /* not interested: not dispatched */
	assert_int_equal(ev_wait(ev, 50), 3);
	assert_int_equal(fired[pipes[1][0]], 1);

	/* the first callback removes all four: no callback for a removed fd */
	ev_add(ev, pipes[0][0], POLLIN, on_read, (void *)1);
	ev_set(ev, pipes[1][0], POLLIN);
	assert_int_equal(ev_wait(ev, 50), 1);
	assert_int_equal(ev_count(ev), 0);
	assert_int_equal(ev_add(ev, 64, POLLIN, on_read, NULL), -1);
	for (int i = 0; i < 4; i++) {
		close(pipes[i][0]);
		close(pipes[i][1]);
	}
	ev_free(ev);
}

/*
 * An fd watched for nothing is not polled at all: not even the POLLHUP a pipe
 * reports once its writer is gone (that would spin the loop), and it comes
 * back with its own fd after entries around it moved.
 */
static void test_unwatched_not_polled(void **state)
{
	int p[2], q[2], r[2];

	memset(fired, 0, sizeof(fired));
	ev = ev_new(64);
	assert_non_null(ev);
	assert_int_equal(pipe(p), 0);
	assert_int_equal(pipe(q), 0);
	assert_int_equal(pipe(r), 0);
	assert_int_equal(ev_add(ev, p[0], 0, on_read, NULL), 0);
	assert_int_equal(ev_add(ev, q[0], POLLIN, on_read, NULL), 0);
	assert_int_equal(ev_add(ev, r[0], POLLIN, on_read, NULL), 0);
	close(p[1]); /* p[0] now reports POLLHUP to anyone who polls it */
	assert_int_equal(ev_wait(ev, 20), 0);
	assert_int_equal(fired[p[0]], 0);

	ev_del(ev, p[0]); /* r[0] moves into p[0]'s place */
	assert_int_equal(ev_add(ev, p[0], 0, on_read, NULL), 0);
	ev_set(ev, r[0], 0);
	assert_int_equal(write(r[1], "x", 1), 1);
	assert_int_equal(ev_wait(ev, 20), 0); /* r[0] is readable, but not watched */
	ev_set(ev, r[0], POLLIN);
	assert_int_equal(ev_wait(ev, 20), 1);
	assert_int_equal(fired[r[0]], 1);
	ev_set(ev, p[0], POLLIN);
	assert_int_equal(ev_wait(ev, 20), 2); /* r[0] (still readable) and p[0]: HUP */
	assert_int_equal(fired[p[0]], 1);
	assert_int_equal(fired[q[0]], 0);
	ev_free(ev);
	close(p[0]);
	close(q[0]);
	close(q[1]);
	close(r[0]);
	close(r[1]);
}

static void test_buf_pool(void **state)
{
	struct bufpool p;
	struct buf b = {0}, c = {0};
	char big[BUF_SIZE];

	pool_init(&p, 1);
	assert_int_equal(buf_take(&p, &b), 0);
	assert_int_equal(p.inuse, 1);
	memset(big, 'a', sizeof(big));
	assert_int_equal(buf_put(&b, big, 100), 100);
	buf_consume(&b, 40);
	assert_int_equal(buf_len(&b), 60);
	assert_int_equal(buf_put(&b, big, sizeof(big)), BUF_SIZE - 100);
	buf_consume(&b, 60);
	assert_int_equal(buf_room(&b), 100); /* compacted */
	buf_release_if_empty(&p, &b);
	assert_non_null(b.data);
	buf_consume(&b, buf_len(&b));
	buf_release_if_empty(&p, &b);
	assert_null(b.data);
	assert_int_equal(p.nfree, 1);
	assert_int_equal(buf_take(&p, &c), 0);
	assert_int_equal(p.nfree, 0); /* reused */
	buf_release(&p, &c);
	pool_drain(&p);
	assert_int_equal(p.inuse, 0);
}

/* What poll() said and dispatch has not run is still known, even for an entry a removal moved. */
static void test_pending_survives_a_move(void **state)
{
	int p[3][2];
	struct evloop *e = ev_new(64);

	(void)state;
	assert_non_null(e);
	assert_int_equal(ev_rounds(e), 0);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(pipe(p[i]), 0);
		assert_int_equal(ev_add(e, p[i][0], POLLIN, on_read, NULL), 0);
	}
	assert_int_equal(write(p[2][1], "x", 1), 1);
	assert_int_equal(ev_poll(e, 100), 1);
	assert_int_equal(ev_rounds(e), 1);
	assert_true(ev_pending(e, p[2][0]));
	assert_false(ev_pending(e, p[1][0]));
	ev_del(e, p[0][0]); /* the last entry, p[2], moves into its place */
	assert_true(ev_pending(e, p[2][0]));
	assert_false(ev_pending(e, p[0][0]));
	assert_int_equal(ev_poll(e, 100), 1); /* a new round: level-triggered, reported again */
	assert_true(ev_pending(e, p[2][0]));
	assert_int_equal(ev_dispatch(e, 1), 1);
	assert_false(ev_pending(e, p[2][0]));
	for (int i = 0; i < 3; i++) {
		close(p[i][0]);
		close(p[i][1]);
	}
	ev_free(e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dispatch_and_remove),
		cmocka_unit_test(test_unwatched_not_polled),
		cmocka_unit_test(test_pending_survives_a_move),
		cmocka_unit_test(test_buf_pool),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
