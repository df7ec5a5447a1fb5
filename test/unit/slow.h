/*
 * slow.h - test helper: PFTEST_SLOW, the one factor every timing bound of the
 * tests is stretched by on a slow or loaded machine (test/all.sh sets it from
 * the load, .ci/valgrind.sh for valgrind; pftest.py reads the same variable).
 * Bounds on how long something may take go through it; nothing here decides
 * a result by time alone.
 */
#ifndef PINFOLD_TEST_SLOW_H
#define PINFOLD_TEST_SLOW_H

#include <stdlib.h>

static double test_slow(void)
{
	const char *s = getenv("PFTEST_SLOW");
	double f = s && *s ? strtod(s, NULL) : 1.0;

	return f >= 1.0 ? f : 1.0;
}

/* seconds (double) or milliseconds (int, for poll()) of an upper bound, stretched */
#define SLOW_S(s)   ((s) * test_slow())
#define SLOW_MS(ms) ((int)((ms) * test_slow()))

#endif
