/*
 * test_cipherstr.c - OpenSSL-style cipher strings over a universe of suites
 * described here by their attributes (no TLS library involved): which suites
 * a string selects, in which order, and which strings are errors.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cipherstr.h"

#define ECDSA_ (CS_KECDHE | CS_AECDSA)
#define ERSA_  (CS_KECDHE | CS_ARSA)
#define DRSA_  (CS_KDHE | CS_ARSA)
#define G128   (CS_AES | CS_B128 | CS_GCM | CS_SHA256)
#define G256   (CS_AES | CS_B256 | CS_GCM | CS_SHA384)
#define CC20   (CS_CHACHA20 | CS_B256 | CS_POLY1305 | CS_SHA256)

/* The shape of a backend's universe: ECDHE-ECDSA, ECDHE-RSA, DHE-RSA, ChaCha20 first. */
static const struct cipherstr_suite u[] = {
    {0xCCA9, ECDSA_ | CC20, 256}, /* 0 ECDHE-ECDSA-CHACHA20-POLY1305 */
    {0xC02C, ECDSA_ | G256, 256}, /* 1 ECDHE-ECDSA-AES256-GCM-SHA384 */
    {0xC02B, ECDSA_ | G128, 128}, /* 2 ECDHE-ECDSA-AES128-GCM-SHA256 */
    {0xCCA8, ERSA_ | CC20, 256},  /* 3 ECDHE-RSA-CHACHA20-POLY1305 */
    {0xC030, ERSA_ | G256, 256},  /* 4 ECDHE-RSA-AES256-GCM-SHA384 */
    {0xC02F, ERSA_ | G128, 128},  /* 5 ECDHE-RSA-AES128-GCM-SHA256 */
    {0x009F, DRSA_ | G256, 256},  /* 6 DHE-RSA-AES256-GCM-SHA384 */
    {0x009E, DRSA_ | G128, 128},  /* 7 DHE-RSA-AES128-GCM-SHA256 */
};
#define NU (sizeof(u) / sizeof(u[0]))

/* A library that knows one suite by a name of its own. */
static int lookup(const char *s, size_t len)
{
	return len == 8 && strncasecmp(s, "LIB-C02F", 8) == 0 ? 0xC02F : 0;
}

static char err[256];
static char got[128]; /* the selection as indices into u, "0,1,2" */

/* The count selected (-1 on error), with the indices in got. */
static int sel(const char *s)
{
	int *out = NULL;
	int n = cipherstr_select(s, u, NU, lookup, &out, err, sizeof(err));
	size_t used = 0;
	int i;

	got[0] = '\0';
	for (i = 0; i < n; i++)
		used +=
		    (size_t)snprintf(got + used, sizeof(got) - used, "%s%d", i ? "," : "", out[i]);
	free(out);
	return n;
}

static void test_floor(void **state)
{
	(void)state;
	assert_true(cipherstr_acceptable(ECDSA_ | G128));
	assert_true(cipherstr_acceptable(DRSA_ | CC20));
	assert_true(cipherstr_acceptable(ERSA_ | CS_AES | CS_B128 | CS_CCM));
	/* no forward secrecy, no authentication, no AEAD, a short tag: never */
	assert_false(cipherstr_acceptable(CS_KRSA | CS_ARSA | G128));
	assert_false(cipherstr_acceptable(CS_KECDH | CS_AECDSA | G128));
	assert_false(cipherstr_acceptable(CS_KECDHE | CS_APSK | G128));
	assert_false(cipherstr_acceptable(ERSA_ | CS_AES | CS_B128 | CS_CBC | CS_SHA1));
	assert_false(cipherstr_acceptable(ERSA_ | CS_AES | CS_B128 | CS_CCM8));
	assert_false(cipherstr_acceptable(ERSA_ | CS_ENULL));
}

static void test_defaults_and_ha_string(void **state)
{
	(void)state;
	assert_int_equal(sel(NULL), 8);
	assert_string_equal(got, "0,1,2,3,4,5,6,7"); /* the universe's own order */
	assert_int_equal(sel(""), 8);
	assert_int_equal(sel(" : "), 8);
	assert_int_equal(sel("DEFAULT"), 8);
	assert_int_equal(sel("HIGH:!aNULL:!MD5:!3DES:!CBC:!SHA1:!RC4"), 8);
	/* "!ECDH" and "!DH" leave the ephemeral exchanges alone */
	assert_int_equal(sel("ALL:!RC4:!ECDH:!DH"), 8);
	assert_string_equal(got, "0,1,2,3,4,5,6,7");
}

static void test_words(void **state)
{
	(void)state;
	assert_int_equal(sel("ECDHE+AESGCM"), 4);
	assert_string_equal(got, "1,2,4,5");
	/* positive ECDH / DH mean the ephemeral ones, as in OpenSSL */
	assert_int_equal(sel("ECDH+AESGCM:DH+AESGCM"), 6);
	assert_string_equal(got, "1,2,4,5,6,7");
	/* "ECDHE+RSA" means RSA authentication, "RSA" alone OpenSSL's kRSA */
	assert_int_equal(sel("ECDHE+RSA"), 3);
	assert_string_equal(got, "3,4,5");
	assert_int_equal(sel("RSA"), 0);
	assert_int_equal(sel("HIGH:!RSA"), 8);
	assert_int_equal(sel("ALL:!aRSA"), 3);
	assert_string_equal(got, "0,1,2");
	assert_int_equal(sel("CHACHA20"), 2);
	assert_string_equal(got, "0,3");
	assert_int_equal(sel("AES256"), 3);
	assert_string_equal(got, "1,4,6");
	assert_int_equal(sel("ecdhe+aesgcm, chacha20"), 6); /* case and separators */
	assert_string_equal(got, "1,2,4,5,0,3");
	/* words for what no universe holds select nothing */
	assert_int_equal(sel("kRSA:AES128-SHA:RC4-SHA"), 0);
	assert_int_equal(sel("ALL:!ECDHE:!DHE"), 0);
	assert_int_equal(sel("EXPORT:LOW:MEDIUM:eNULL"), 0);
	assert_int_equal(sel("TLS_AES_128_GCM_SHA256"), 0); /* TLS 1.3: not set here */
	assert_int_equal(sel("ALL:@SECLEVEL=2"), 8);
}

static void test_names(void **state)
{
	(void)state;
	assert_int_equal(sel("ECDHE-RSA-AES128-GCM-SHA256"), 1); /* OpenSSL's name */
	assert_string_equal(got, "5");
	assert_int_equal(sel("LIB-C02F"), 1); /* the library's own */
	assert_string_equal(got, "5");
	assert_int_equal(sel("EDH-RSA-DES-CBC3-SHA"), 0); /* real, never offered */
	assert_int_equal(sel("ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-AES256-GCM-SHA384"), 2);
	assert_string_equal(got, "0,4");
}

static void test_order(void **state)
{
	(void)state;
	assert_int_equal(sel("ECDHE+AES128+AESGCM:ECDHE+AES256+AESGCM:@STRENGTH"), 4);
	assert_string_equal(got, "1,4,2,5");
	assert_int_equal(sel("ECDHE+AESGCM:+AES128"), 4);
	assert_string_equal(got, "1,4,2,5");
	assert_int_equal(sel("ECDHE:-ECDHE"), 0);
	assert_int_equal(sel("-ECDHE:ECDHE"), 6);
	assert_int_equal(sel("!ECDHE:ECDHE"), 0);
	assert_int_equal(sel("ECDHE:-aRSA:ALL"), 8); /* '-' may be added back */
	assert_string_equal(got, "0,1,2,3,4,5,6,7");
	assert_int_equal(sel("ECDHE:!DHE:ALL"), 6); /* '!' may not */
	assert_string_equal(got, "0,1,2,3,4,5");
}

static void test_errors(void **state)
{
	(void)state;
	assert_int_equal(sel("ALL:!FOO"), -1);
	assert_non_null(strstr(err, "FOO"));
	assert_int_equal(sel("ECDHE-RSA-AES128-GMC-SHA256"), -1);
	assert_non_null(strstr(err, "GMC"));
	assert_int_equal(sel("ECDHE+BOGUS"), -1);
	assert_non_null(strstr(err, "BOGUS"));
	assert_int_equal(sel("@FAST"), -1);
	assert_int_equal(sel("@SECLEVEL=9"), -1);
	assert_int_equal(sel("!"), -1);
	assert_int_equal(sel("LIB-C02F!"), -1);
}

/* With an empty universe the words are checked and nothing else (the OpenSSL backend). */
static void test_check_only(void **state)
{
	int *out = NULL;

	(void)state;
	assert_int_equal(
	    cipherstr_select("ALL:!RC4:!ECDH:!DH", NULL, 0, NULL, &out, err, sizeof(err)), 0);
	free(out);
	out = NULL;
	assert_int_equal(cipherstr_select("ECDHE-RSA-AES128-GCM-SHA256:kRSA", NULL, 0, NULL, &out,
	                                  err, sizeof(err)),
	                 0);
	free(out);
	out = NULL;
	assert_int_equal(cipherstr_select("ALL:!TYPO", NULL, 0, NULL, &out, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "TYPO"));
	assert_null(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_floor),      cmocka_unit_test(test_defaults_and_ha_string),
	    cmocka_unit_test(test_words),      cmocka_unit_test(test_names),
	    cmocka_unit_test(test_order),      cmocka_unit_test(test_errors),
	    cmocka_unit_test(test_check_only),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
