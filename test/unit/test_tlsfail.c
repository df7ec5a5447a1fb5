/*
 * test_tlsfail.c - the failed-handshake summary: counts, the top reasons and
 * addresses, a scanner that stands out among many passers-by, and the timer
 * that writes it without a new failure.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "tlsfail.h"

static void nothing_counted_nothing_said(void **state)
{
	struct timers ts = {0};
	struct tlsfail f;
	char line[512];

	(void)state;
	tlsfail_init(&f, &ts);
	assert_int_equal(tlsfail_format(&f, 1000, line, sizeof(line)), 0);
	assert_false(timer_armed(&f.tm));
	tlsfail_free(&f);
	timer_free(&ts);
}

static void summary_names_top_reasons_and_clients(void **state)
{
	struct timers ts = {0};
	struct tlsfail f;
	char line[512], addr[32];

	(void)state;
	tlsfail_init(&f, &ts);
	tlsfail_note(&f, 1000, 60, "203.0.113.7", "bad record");
	assert_true(timer_armed(&f.tm));
	assert_int_equal(f.tm.when, 61000); /* the first failure arms the summary */
	for (int i = 0; i < 99; i++)
		tlsfail_note(&f, 2000, 60, "203.0.113.7", "bad record");
	for (int i = 0; i < 40; i++)
		tlsfail_note(&f, 3000, 60, "198.51.100.1", "timed out");
	/* 30 passers-by, one failure each: the scanner must still stand out */
	for (int i = 0; i < 30; i++) {
		snprintf(addr, sizeof(addr), "192.0.2.%d", i + 1);
		tlsfail_note(&f, 4000, 60, addr, i % 2 ? "no shared cipher" : "");
	}
	assert_int_equal(f.tm.when, 61000); /* later failures do not push it back */
	assert_true(tlsfail_format(&f, 61000, line, sizeof(line)) > 0);
	assert_non_null(strstr(line, "170 TLS handshakes failed in 60 s"));
	assert_non_null(strstr(line, "reasons: bad record (100), timed out (40)"));
	assert_non_null(strstr(line, "clients: 203.0.113.7 (100), 198.51.100.1 (40)"));
	assert_non_null(strstr(line, "more"));
	tlsfail_flush(&f, 61000);
	assert_int_equal(f.count, 0);
	assert_false(timer_armed(&f.tm));
	tlsfail_free(&f);
	timer_free(&ts);
}

static void timer_writes_it(void **state)
{
	struct timers ts = {0};
	struct tlsfail f;

	(void)state;
	tlsfail_init(&f, &ts);
	tlsfail_note(&f, 0, 1, "127.0.0.5", "x");
	timer_run(&ts, 999);
	assert_int_equal(f.count, 1);
	timer_run(&ts, 1000); /* no new failure needed */
	assert_int_equal(f.count, 0);
	tlsfail_note(&f, 5000, 1, "127.0.0.5", "x"); /* a new window */
	assert_int_equal(f.tm.when, 6000);
	tlsfail_free(&f);
	timer_free(&ts);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(nothing_counted_nothing_said),
	    cmocka_unit_test(summary_names_top_reasons_and_clients),
	    cmocka_unit_test(timer_writes_it),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
