/*
 * test_ratelimit.c - the token-bucket table: a new address starts full,
 * refill is exact (no drift over many periods), Retry-After waits are right,
 * slots, addresses and IPv6 /64s are kept apart, time jumps neither overflow
 * nor go backwards, and the entry cap holds (least recently used goes first).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "ratelimit.h"

static struct acl_addr A(const char *s) {
	struct acl_addr a;

	assert_int_equal(acl_addr_parse(s, strlen(s), &a), 0);
	return a;
}

static void
test_new_address_starts_full(void **state)
{
	struct rl_table *t = rl_new(16);
	struct rl_rate r = {10, 1000, 10}; /* 10 per second */
	struct acl_addr a = A("192.0.2.1");

	for (int i = 0; i < 10; i++)
		assert_int_equal(rl_take(t, 0, &a, &r, 5000), 0);
	/* empty: the next token is 100 ms away */
	assert_int_equal(rl_take(t, 0, &a, &r, 5000), 100);
	assert_int_equal(rl_take(t, 0, &a, &r, 5050), 50);
	assert_int_equal(rl_take(t, 0, &a, &r, 5099), 1);
	assert_int_equal(rl_take(t, 0, &a, &r, 5100), 0);
	assert_int_equal(rl_take(t, 0, &a, &r, 5100), 100);
	assert_int_equal(rl_entries(t), 1);
	rl_free(t);
}

static void test_login_limit_five_per_minute(void **state)
{
	struct rl_table *t = rl_new(16);
	struct rl_rate r = {5, 60000, 5};
	struct acl_addr a = A("203.0.113.50");
	uint64_t now = 1000;

	for (int i = 0; i < 5; i++)
		assert_int_equal(rl_take(t, 3, &a, &r, now), 0);
	assert_int_equal(rl_take(t, 3, &a, &r, now), 12000); /* one every 12 s */
	now += 11999;
	assert_int_equal(rl_take(t, 3, &a, &r, now), 1);
	now += 1;
	assert_int_equal(rl_take(t, 3, &a, &r, now), 0);
	assert_true(rl_take(t, 3, &a, &r, now) > 0);
	/* a long pause refills to the burst, not beyond */
	now += 3600 * 1000;
	for (int i = 0; i < 5; i++)
		assert_int_equal(rl_take(t, 3, &a, &r, now), 0);
	assert_int_equal(rl_take(t, 3, &a, &r, now), 12000);
	rl_free(t);
}

static void test_burst_smaller_than_count(void **state)
{
	struct rl_table *t = rl_new(16);
	struct rl_rate r = {10, 1000, 2}; /* 10/s on average, 2 at once */
	struct acl_addr a = A("2001:db8::1");

	assert_int_equal(rl_take(t, 0, &a, &r, 0), 0);
	assert_int_equal(rl_take(t, 0, &a, &r, 0), 0);
	assert_int_equal(rl_take(t, 0, &a, &r, 0), 100);
	/* after a second only 2 are there, not 10 */
	assert_int_equal(rl_take(t, 0, &a, &r, 1000), 0);
	assert_int_equal(rl_take(t, 0, &a, &r, 1000), 0);
	assert_int_equal(rl_take(t, 0, &a, &r, 1000), 100);
	rl_free(t);
}

/* Over many periods the allowed count is exactly burst + rate * time. */
static void test_no_drift(void **state)
{
	struct rl_table *t = rl_new(4);
	struct rl_rate r = {7, 3000, 7}; /* 7 per 3 s: a rate with no exact ms step */
	struct acl_addr a = A("198.51.100.1");
	unsigned allowed = 0;

	for (uint64_t now = 0; now <= 300000; now += 16)
		while (rl_take(t, 0, &a, &r, now) == 0)
			allowed++;
	/* 7 at first, then 7 every 3 s for 300 s */
	assert_int_equal(allowed, 7 + 700);
	rl_free(t);
}

static void test_peek_does_not_spend(void **state)
{
	struct rl_table *t = rl_new(4);
	struct rl_rate r = {1, 1000, 1};
	struct acl_addr a = A("192.0.2.9");

	for (int i = 0; i < 5; i++)
		assert_int_equal(rl_peek(t, 0, &a, &r, 0), 0);
	assert_int_equal(rl_take(t, 0, &a, &r, 0), 0);
	assert_int_equal(rl_peek(t, 0, &a, &r, 0), 1000);
	assert_int_equal(rl_peek(t, 0, &a, &r, 400), 600);
	rl_free(t);
}

static void test_keys_are_separate(void **state)
{
	struct rl_table *t = rl_new(64);
	struct rl_rate r = {1, 60000, 1};
	struct acl_addr a = A("192.0.2.1"), b = A("192.0.2.2");
	struct acl_addr v6a = A("2001:db8:0:1::1"), v6b = A("2001:db8:0:1:ffff::2"),
	                v6c = A("2001:db8:0:2::1");

	assert_int_equal(rl_take(t, 0, &a, &r, 0), 0);
	assert_true(rl_take(t, 0, &a, &r, 0) > 0);
	assert_int_equal(rl_take(t, 0, &b, &r, 0), 0); /* another address */
	assert_int_equal(rl_take(t, 1, &a, &r, 0), 0); /* another slot (limit) */
	/* one IPv6 /64 is one client */
	assert_int_equal(rl_take(t, 0, &v6a, &r, 0), 0);
	assert_true(rl_take(t, 0, &v6b, &r, 0) > 0);
	assert_int_equal(rl_take(t, 0, &v6c, &r, 0), 0);
	assert_int_equal(rl_entries(t), 5);
	rl_free(t);
}

static void test_time_jumps(void **state)
{
	struct rl_table *t = rl_new(4);
	struct rl_rate r = {1000000, 86400000, 1000000}; /* the largest rate config allows */
	struct rl_rate slow = {1, 86400000, 1};
	struct acl_addr a = A("192.0.2.1");
	uint64_t far = (uint64_t)1 << 62;

	assert_int_equal(rl_take(t, 0, &a, &r, 0), 0);
	/* a huge jump: full again, no overflow */
	assert_int_equal(rl_take(t, 0, &a, &r, far), 0);
	/* the clock going back refills nothing and breaks nothing */
	assert_int_equal(rl_take(t, 1, &a, &slow, far), 0);
	assert_int_equal(rl_take(t, 1, &a, &slow, far - 5000), 86400000);
	assert_int_equal(rl_take(t, 1, &a, &slow, far), 86400000);
	rl_free(t);
}

static void test_disabled_rate_allows(void **state)
{
	struct rl_table *t = rl_new(4);
	struct rl_rate none = {0, 0, 0};
	struct acl_addr a = A("192.0.2.1");

	for (int i = 0; i < 100; i++)
		assert_int_equal(rl_take(t, 0, &a, &none, 0), 0);
	assert_int_equal(rl_entries(t), 0);
	rl_free(t);
}

/* The cap holds whatever the number of addresses; recently used buckets survive. */
static void test_eviction_bound(void **state)
{
	enum { CAP = 100, ADDRS = 20000 };
	struct rl_table *t = rl_new(CAP);
	struct rl_rate r = {1, 60000, 1};
	struct acl_addr keep = A("203.0.113.1");
	char s[32];

	assert_int_equal(rl_take(t, 0, &keep, &r, 0), 0); /* now empty for a minute */
	for (int i = 0; i < ADDRS; i++) {
		struct acl_addr a;

		snprintf(s, sizeof(s), "10.%d.%d.%d", (i >> 16) & 255, (i >> 8) & 255, i & 255);
		a = A(s);
		assert_int_equal(rl_take(t, 0, &a, &r, 1), 0);
		assert_true(rl_entries(t) <= CAP);
		/* touched every round, `keep` is never the oldest: it stays empty */
		if (i % 10 == 0)
			assert_true(rl_peek(t, 0, &keep, &r, 1) > 0);
	}
	assert_int_equal(rl_entries(t), CAP);
	assert_int_equal(rl_evictions(t), ADDRS + 1 - CAP);
	assert_true(rl_peek(t, 0, &keep, &r, 1) > 0);
	/* an evicted address comes back with a full bucket */
	{
		struct acl_addr first = A("10.0.0.0");

		assert_int_equal(rl_take(t, 0, &first, &r, 2), 0);
	}
	rl_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_new_address_starts_full),
	    cmocka_unit_test(test_login_limit_five_per_minute),
	    cmocka_unit_test(test_burst_smaller_than_count),
	    cmocka_unit_test(test_no_drift),
	    cmocka_unit_test(test_peek_does_not_spend),
	    cmocka_unit_test(test_keys_are_separate),
	    cmocka_unit_test(test_time_jumps),
	    cmocka_unit_test(test_disabled_rate_allows),
	    cmocka_unit_test(test_eviction_bound),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
