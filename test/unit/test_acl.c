/*
 * test_acl.c - address parsing and prefix lists: IPv4 and IPv6, the edge
 * prefixes (/0, /1, /31, /32, /64, /127, /128), merging of overlapping and
 * adjacent ranges (also at the very top of the address space), and a
 * randomized cross-check of the binary search against a plain linear scan.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acl.h"

static struct acl_addr A(const char *s) {
	struct acl_addr a;

	if (acl_addr_parse(s, strlen(s), &a) != 0)
		fail_msg("cannot parse \"%s\"", s);
	return a;
}

static int
in(const struct acl *acl, const char *s)
{
	struct acl_addr a = A(s);

	return acl_match(acl, &a);
}

/* A finished list of these CIDRs (each must be accepted). */
static struct acl *list(const char *const *cidrs)
{
	struct acl *acl = acl_new();
	char err[256];

	assert_non_null(acl);
	for (; *cidrs; cidrs++)
		if (acl_add(acl, *cidrs, err, sizeof(err)) < 0)
			fail_msg("acl_add(\"%s\"): %s", *cidrs, err);
	assert_int_equal(acl_finish(acl), 0);
	return acl;
}

static void test_parse_addresses(void **state)
{
	static const char *const bad[] = {
	    "",     "1.2.3",     "1.2.3.4.5", "256.1.1.1",      "::1::2",    "[::1",
	    "::1]", "[1.2.3.4]", "1.2.3.4:",  "1.2.3.4:123456", " 1.2.3.4",  "1.2.3.4 ",
	    "abc",  "[::1]x",    "[::1]:",    "fe80::1%eth0",   "1.2.3.4/8", "[]",
	};
	struct acl_addr a;
	char buf[ACL_ADDRSTRLEN];

	a = A("192.0.2.1");
	assert_int_equal(a.family, 4);
	assert_memory_equal(a.b, "\xc0\x00\x02\x01", 4);
	for (int i = 4; i < 16; i++)
		assert_int_equal(a.b[i], 0);
	assert_string_equal(acl_addr_format(&a, buf, sizeof(buf)), "192.0.2.1");

	a = A("2001:db8::1");
	assert_int_equal(a.family, 6);
	assert_string_equal(acl_addr_format(&a, buf, sizeof(buf)), "2001:db8::1");
	a = A("[2001:db8::1]");
	assert_string_equal(acl_addr_format(&a, buf, sizeof(buf)), "2001:db8::1");
	a = A("[2001:db8::1]:443");
	assert_string_equal(acl_addr_format(&a, buf, sizeof(buf)), "2001:db8::1");
	a = A("203.0.113.9:51234");
	assert_string_equal(acl_addr_format(&a, buf, sizeof(buf)), "203.0.113.9");
	/* IPv4-mapped IPv6 is IPv4 */
	a = A("::ffff:198.51.100.7");
	assert_int_equal(a.family, 4);
	assert_string_equal(acl_addr_format(&a, buf, sizeof(buf)), "198.51.100.7");
	/* a length, not a C string */
	assert_int_equal(acl_addr_parse("10.0.0.1,10.0.0.2", 8, &a), 0);
	assert_string_equal(acl_addr_format(&a, buf, sizeof(buf)), "10.0.0.1");

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (acl_addr_parse(bad[i], strlen(bad[i]), &a) == 0)
			fail_msg("\"%s\" was accepted", bad[i]);
}

static void test_client_key(void **state)
{
	struct acl_addr a = A("2001:db8:1:2:aaaa:bbbb:cccc:dddd"), k, k2;
	char buf[ACL_ADDRSTRLEN];

	acl_addr_client_key(&a, &k);
	assert_string_equal(acl_addr_format(&k, buf, sizeof(buf)), "2001:db8:1:2::");
	a = A("2001:db8:1:2::1");
	acl_addr_client_key(&a, &k2);
	assert_memory_equal(&k, &k2, sizeof(k));
	a = A("2001:db8:1:3::1");
	acl_addr_client_key(&a, &k2);
	assert_memory_not_equal(&k, &k2, sizeof(k));
	a = A("192.0.2.77");
	acl_addr_client_key(&a, &k);
	assert_memory_equal(&a, &k, sizeof(a));
}

static void test_add_errors(void **state)
{
	static const struct {
		const char *cidr;
		const char *frag;
	} bad[] = {
	    {"10.0.0.0/33", "bad prefix length in \"10.0.0.0/33\" (0-32 for IPv4)"},
	    {"::/129", "bad prefix length in \"::/129\" (0-128 for IPv6)"},
	    {"10.0.0.0/", "bad prefix length"},
	    {"10.0.0.0/-1", "bad prefix length"},
	    {"10.0.0.0/8x", "bad prefix length"},
	    {"10.0.0.0/0008", "bad prefix length"},
	    {"/8", "expected an IPv4 or IPv6 address or CIDR"},
	    {"10.0.0/8", "expected an IPv4 or IPv6 address or CIDR"},
	    {"[::1]/128", "expected an IPv4 or IPv6 address or CIDR"},
	    {"::ffff:10.0.0.0/104", "expected an IPv4 or IPv6 address or CIDR"},
	    {"host.example", "expected an IPv4 or IPv6 address or CIDR"},
	    {"", "expected an IPv4 or IPv6 address or CIDR"},
	};
	struct acl *acl = acl_new();
	char err[256];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		assert_int_equal(acl_add(acl, bad[i].cidr, err, sizeof(err)), -1);
		if (!strstr(err, bad[i].frag))
			fail_msg("\"%s\": got \"%s\", want \"%s\"", bad[i].cidr, err, bad[i].frag);
	}
	/* host bits past the prefix: accepted, and said so */
	assert_int_equal(acl_add(acl, "192.168.1.5/24", err, sizeof(err)), 1);
	assert_int_equal(acl_add(acl, "2001:db8::1/64", err, sizeof(err)), 1);
	assert_int_equal(acl_add(acl, "192.168.1.0/24", err, sizeof(err)), 0);
	assert_int_equal(acl_add(acl, "0.0.0.0/0", err, sizeof(err)), 0);
	assert_int_equal(acl_add(acl, "1.2.3.4/0", err, sizeof(err)), 1);
	acl_free(acl);
}

static void test_edge_prefixes_v4(void **state)
{
	const char *const all[] = {"0.0.0.0/0", NULL};
	const char *const one[] = {"192.0.2.1/32", NULL};
	const char *const bare[] = {"192.0.2.1", NULL};
	const char *const half[] = {"128.0.0.0/1", NULL};
	const char *const pair[] = {"192.0.2.4/31", NULL};
	struct acl *acl;

	acl = list(all);
	assert_true(in(acl, "0.0.0.0"));
	assert_true(in(acl, "255.255.255.255"));
	assert_true(in(acl, "10.1.2.3"));
	assert_false(in(acl, "::1"));
	assert_false(in(acl, "::"));
	acl_free(acl);

	acl = list(one);
	assert_true(in(acl, "192.0.2.1"));
	assert_false(in(acl, "192.0.2.0"));
	assert_false(in(acl, "192.0.2.2"));
	assert_false(in(acl, "::ffff:192.0.2.2"));
	assert_true(in(acl, "::ffff:192.0.2.1")); /* mapped is the same host */
	acl_free(acl);

	acl = list(bare);
	assert_true(in(acl, "192.0.2.1"));
	assert_false(in(acl, "192.0.2.2"));
	acl_free(acl);

	acl = list(half);
	assert_false(in(acl, "127.255.255.255"));
	assert_true(in(acl, "128.0.0.0"));
	assert_true(in(acl, "255.255.255.255"));
	acl_free(acl);

	acl = list(pair);
	assert_false(in(acl, "192.0.2.3"));
	assert_true(in(acl, "192.0.2.4"));
	assert_true(in(acl, "192.0.2.5"));
	assert_false(in(acl, "192.0.2.6"));
	acl_free(acl);
}

static void test_edge_prefixes_v6(void **state)
{
	const char *const all[] = {"::/0", NULL};
	const char *const one[] = {"2001:db8::7/128", NULL};
	const char *const net64[] = {"2001:db8:0:1::/64", NULL};
	const char *const net127[] = {"2001:db8::/127", NULL};
	const char *const net1[] = {"8000::/1", NULL};
	const char *const odd[] = {"2001:db8:0:1:8000::/65", NULL};
	struct acl *acl;

	acl = list(all);
	assert_true(in(acl, "::"));
	assert_true(in(acl, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"));
	assert_false(in(acl, "10.0.0.1"));
	acl_free(acl);

	acl = list(one);
	assert_true(in(acl, "2001:db8::7"));
	assert_false(in(acl, "2001:db8::6"));
	assert_false(in(acl, "2001:db8::8"));
	acl_free(acl);

	acl = list(net64);
	assert_true(in(acl, "2001:db8:0:1::"));
	assert_true(in(acl, "2001:db8:0:1:ffff:ffff:ffff:ffff"));
	assert_false(in(acl, "2001:db8:0:2::"));
	assert_false(in(acl, "2001:db8:0:0:ffff:ffff:ffff:ffff"));
	acl_free(acl);

	acl = list(net127);
	assert_true(in(acl, "2001:db8::"));
	assert_true(in(acl, "2001:db8::1"));
	assert_false(in(acl, "2001:db8::2"));
	acl_free(acl);

	acl = list(net1);
	assert_false(in(acl, "7fff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"));
	assert_true(in(acl, "8000::"));
	acl_free(acl);

	/* a prefix longer than 64: the mask crosses into the low half */
	acl = list(odd);
	assert_false(in(acl, "2001:db8:0:1:7fff:ffff:ffff:ffff"));
	assert_true(in(acl, "2001:db8:0:1:8000::"));
	assert_true(in(acl, "2001:db8:0:1:ffff:ffff:ffff:ffff"));
	assert_false(in(acl, "2001:db8:0:2::"));
	acl_free(acl);
}

static void test_merging(void **state)
{
	const char *const v4[] = {
	    "10.0.0.0/25",     "10.0.0.128/25",   /* adjacent: one range */
	    "10.0.1.0/24",     "10.0.1.64/26",    /* nested, and adjacent to the first */
	    "172.16.0.0/12",   "172.16.0.0/12",   /* duplicate */
	    "255.255.255.254", "255.255.255.255", /* at the top: no wrap-around */
	    "0.0.0.0",         NULL};
	const char *const v6[] = {"2001:db8::/65",
	                          "2001:db8:0:0:8000::/65", /* halves of a /64 */
	                          "ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe/127",
	                          "2001:db8:1::/48",
	                          "2001:db8:1:2::/64",
	                          NULL};
	const char *const big[] = {"::/0", "2001:db8::/32", "::1", NULL};
	struct acl *acl;

	acl = list(v4);
	assert_int_equal(acl_ranges(acl, 4), 4); /* 0.0.0.0, 10.0.0.0-10.0.1.255, 172.16/12, top */
	assert_true(in(acl, "10.0.0.0"));
	assert_true(in(acl, "10.0.0.200"));
	assert_true(in(acl, "10.0.1.255"));
	assert_false(in(acl, "10.0.2.0"));
	assert_true(in(acl, "172.31.255.255"));
	assert_false(in(acl, "172.32.0.0"));
	assert_true(in(acl, "255.255.255.255"));
	assert_false(in(acl, "255.255.255.253"));
	assert_true(in(acl, "0.0.0.0"));
	assert_false(in(acl, "0.0.0.1"));
	acl_free(acl);

	acl = list(v6);
	assert_int_equal(acl_ranges(acl, 6), 3);
	assert_true(in(acl, "2001:db8::ffff"));
	assert_true(in(acl, "2001:db8::ffff:ffff:ffff:ffff"));
	assert_false(in(acl, "2001:db8:0:1::"));
	assert_true(in(acl, "2001:db8:1:ffff::1"));
	assert_true(in(acl, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"));
	acl_free(acl);

	acl = list(big);
	assert_int_equal(acl_ranges(acl, 6), 1);
	assert_int_equal(acl_ranges(acl, 4), 0);
	acl_free(acl);
}

static void test_empty_and_null(void **state)
{
	const char *const none[] = {NULL};
	struct acl *acl = list(none);
	struct acl_addr zero;

	assert_false(in(acl, "10.0.0.1"));
	assert_false(in(acl, "::1"));
	memset(&zero, 0, sizeof(zero));
	assert_false(acl_match(acl, &zero));
	assert_false(acl_match(NULL, &zero));
	acl_free(acl);
	acl_free(NULL);
}

/* ---- randomized: binary search vs. a linear scan of the prefixes as written ------------- */

struct pfx {
	struct acl_addr a;
	int bits;
};

static uint32_t rng = 0x12345678u;

static uint32_t next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 17;
	rng ^= rng << 5;
	return rng;
}

static int naive_in(const struct pfx *p, const struct acl_addr *a)
{
	int nbytes = p->a.family == 4 ? 4 : 16;

	if (p->a.family != a->family)
		return 0;
	for (int bit = 0; bit < p->bits && bit < nbytes * 8; bit++) {
		int mask = 0x80 >> (bit % 8);

		if ((p->a.b[bit / 8] & mask) != (a->b[bit / 8] & mask))
			return 0;
	}
	return 1;
}

static void random_addr(struct acl_addr *a, int family)
{
	memset(a, 0, sizeof(*a));
	a->family = (uint8_t)family;
	for (int i = 0; i < (family == 4 ? 4 : 16); i++)
		a->b[i] = (uint8_t)next();
	/* cluster the values so that prefixes and probes meet often */
	a->b[0] = (uint8_t)(a->b[0] & 0x03);
	if (family == 6)
		a->b[0] = 0x20, a->b[1] = (uint8_t)(a->b[1] & 0x01);
}

static void test_random_against_linear_scan(void **state)
{
	enum { ROUNDS = 40, PFX = 60, PROBES = 2000 };

	for (int round = 0; round < ROUNDS; round++) {
		struct pfx p[PFX];
		struct acl *acl = acl_new();
		char text[ACL_ADDRSTRLEN + 8], err[256], host[ACL_ADDRSTRLEN];

		for (int i = 0; i < PFX; i++) {
			int fam = next() % 2 ? 4 : 6;

			random_addr(&p[i].a, fam);
			p[i].bits = (int)(next() % (fam == 4 ? 33 : 129));
			if (next() % 4 == 0) /* many short prefixes: lots of overlap */
				p[i].bits = (int)(next() % (fam == 4 ? 12 : 20));
			acl_addr_format(&p[i].a, host, sizeof(host));
			snprintf(text, sizeof(text), "%s/%d", host, p[i].bits);
			assert_true(acl_add(acl, text, err, sizeof(err)) >= 0);
		}
		assert_int_equal(acl_finish(acl), 0);
		for (int k = 0; k < PROBES; k++) {
			struct acl_addr a;
			int want = 0;

			random_addr(&a, next() % 2 ? 4 : 6);
			/* half the probes sit on a prefix boundary */
			if (k % 2) {
				const struct pfx *q = &p[next() % PFX];

				a = q->a;
			}
			for (int i = 0; i < PFX && !want; i++)
				want = naive_in(&p[i], &a);
			if (acl_match(acl, &a) != want) {
				acl_addr_format(&a, host, sizeof(host));
				fail_msg("round %d: %s: match %d, linear scan %d", round, host,
				         !want, want);
			}
		}
		acl_free(acl);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parse_addresses),
	    cmocka_unit_test(test_client_key),
	    cmocka_unit_test(test_add_errors),
	    cmocka_unit_test(test_edge_prefixes_v4),
	    cmocka_unit_test(test_edge_prefixes_v6),
	    cmocka_unit_test(test_merging),
	    cmocka_unit_test(test_empty_and_null),
	    cmocka_unit_test(test_random_against_linear_scan),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
