/*
 * test_connlimit.c - live connections per client address: the cap, release,
 * IPv6 counted per /64, and entries that disappear with their last connection.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "connlimit.h"

static struct acl_addr A(const char *s) {
	struct acl_addr a;

	assert_int_equal(acl_addr_parse(s, strlen(s), &a), 0);
	return a;
}

static void
test_cap_and_release(void **state)
{
	struct connlimit *t = connlimit_new();
	struct acl_addr a = A("192.0.2.1"), b = A("192.0.2.2");

	for (int i = 0; i < 3; i++)
		assert_int_equal(connlimit_acquire(t, &a, 3), 0);
	assert_int_equal(connlimit_acquire(t, &a, 3), -1);
	assert_int_equal(connlimit_count(t, &a), 3);
	assert_int_equal(connlimit_acquire(t, &b, 3), 0); /* others are not affected */
	connlimit_release(t, &a);
	assert_int_equal(connlimit_acquire(t, &a, 3), 0);
	assert_int_equal(connlimit_entries(t), 2);
	for (int i = 0; i < 3; i++)
		connlimit_release(t, &a);
	connlimit_release(t, &b);
	assert_int_equal(connlimit_entries(t), 0);
	assert_int_equal(connlimit_count(t, &a), 0);
	connlimit_release(t, &a); /* nothing counted: harmless */
	/* no cap: counted all the same */
	for (int i = 0; i < 1000; i++)
		assert_int_equal(connlimit_acquire(t, &a, 0), 0);
	assert_int_equal(connlimit_count(t, &a), 1000);
	connlimit_free(t);
}

static void test_ipv6_per_64(void **state)
{
	struct connlimit *t = connlimit_new();
	struct acl_addr a = A("2001:db8:0:1::1"), b = A("2001:db8:0:1:dead:beef::2"),
	                c = A("2001:db8:0:2::1");

	assert_int_equal(connlimit_acquire(t, &a, 2), 0);
	assert_int_equal(connlimit_acquire(t, &b, 2), 0);
	assert_int_equal(connlimit_acquire(t, &a, 2), -1);
	assert_int_equal(connlimit_acquire(t, &c, 2), 0);
	connlimit_release(t, &b);
	assert_int_equal(connlimit_acquire(t, &a, 2), 0);
	connlimit_free(t);
}

static void test_many_addresses(void **state)
{
	struct connlimit *t = connlimit_new();
	char s[32];

	for (int i = 0; i < 5000; i++) {
		struct acl_addr a;

		snprintf(s, sizeof(s), "10.0.%d.%d", i / 256, i % 256);
		a = A(s);
		assert_int_equal(connlimit_acquire(t, &a, 1), 0);
	}
	assert_int_equal(connlimit_entries(t), 5000);
	for (int i = 0; i < 5000; i++) {
		struct acl_addr a;

		snprintf(s, sizeof(s), "10.0.%d.%d", i / 256, i % 256);
		a = A(s);
		connlimit_release(t, &a);
	}
	assert_int_equal(connlimit_entries(t), 0);
	connlimit_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_cap_and_release),
	    cmocka_unit_test(test_ipv6_per_64),
	    cmocka_unit_test(test_many_addresses),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
