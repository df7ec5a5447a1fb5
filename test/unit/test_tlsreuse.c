/*
 * test_tlsreuse.c - what decides that a rebuilt TLS context may keep its
 * predecessor's sessions: the identity of its options and files (equal only
 * when nothing changed, byte for byte), and the list that hands the state over
 * and frees it with its last user.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tlsreuse.h"

static char dir[64];
static char certpath[128], capath[128];

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/pinfold-tlsreuse.XXXXXX");
	if (mkdtemp(dir) == NULL)
		return -1;
	snprintf(certpath, sizeof(certpath), "%s/server.pem", dir);
	snprintf(capath, sizeof(capath), "%s/ca.pem", dir);
	write_file(certpath, "key and chain, version 1\n");
	write_file(capath, "client CA\n");
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	unlink(certpath);
	unlink(capath);
	rmdir(dir);
	return 0;
}

/* The identity of o, as a malloc'ed copy with its length. */
static unsigned char *ident(const struct tls_server_opts *o, size_t *len)
{
	char err[256] = "";
	unsigned char *id = tlsreuse_identity(o, len, err, sizeof(err));

	if (id == NULL)
		print_error("identity: %s\n", err);
	assert_non_null(id);
	return id;
}

static int same(const struct tls_server_opts *a, const struct tls_server_opts *b)
{
	size_t la = 0, lb = 0;
	unsigned char *ia = ident(a, &la), *ib = ident(b, &lb);
	int eq = la == lb && memcmp(ia, ib, la) == 0;

	free(ia);
	free(ib);
	return eq;
}

static void test_identity(void **state)
{
	const char *certs[] = {certpath};
	struct tls_server_opts a = {.certs = certs,
	                            .ncerts = 1,
	                            .client_ca = capath,
	                            .verify = TLS_VERIFY_OPTIONAL,
	                            .ciphers = "ECDHE+AESGCM",
	                            .session_cache = 256};
	struct tls_server_opts b = a;
	size_t len = 0;
	unsigned char *before;

	(void)state;
	assert_true(same(&a, &b)); /* unchanged: the sessions may stay */

	b.verify = TLS_VERIFY_REQUIRED;
	assert_false(same(&a, &b));
	b = a;
	b.ciphers = "ECDHE+AESGCM:!aRSA";
	assert_false(same(&a, &b));
	b.ciphers = NULL;
	assert_false(same(&a, &b));
	b = a;
	b.min_version = TLS_V1_3;
	assert_false(same(&a, &b));
	b = a;
	b.client_ca = NULL;
	assert_false(same(&a, &b));
	b = a;
	b.no_tickets = 1;
	assert_false(same(&a, &b));
	b = a;
	b.session_cache = 10;
	assert_false(same(&a, &b));

	/* a renewed certificate at the same path: new bytes, a new identity */
	before = ident(&a, &len);
	write_file(certpath, "key and chain, version 2\n");
	b = a;
	{
		size_t l2 = 0;
		unsigned char *after = ident(&b, &l2);

		assert_false(l2 == len && memcmp(before, after, len) == 0);
		free(after);
	}
	free(before);
	/* and the client CA file's bytes count too */
	before = ident(&a, &len);
	write_file(capath, "another client CA\n");
	{
		size_t l2 = 0;
		unsigned char *after = ident(&a, &l2);

		assert_false(l2 == len && memcmp(before, after, len) == 0);
		free(after);
	}
	free(before);
}

static void test_identity_missing_file(void **state)
{
	const char *certs[] = {"/nonexistent/pinfold/server.pem"};
	struct tls_server_opts o = {.certs = certs, .ncerts = 1};
	char err[256] = "";
	size_t len = 0;

	(void)state;
	assert_null(tlsreuse_identity(&o, &len, err, sizeof(err)));
	assert_non_null(strstr(err, "/nonexistent/pinfold/server.pem"));
}

static int freed;

static void free_state(void *s)
{
	freed++;
	free(s);
}

static void test_list(void **state)
{
	unsigned char id1[TLSREUSE_ID_LEN] = {1}, id2[TLSREUSE_ID_LEN] = {2};
	struct tlsreuse *a, *b, *again;

	(void)state;
	freed = 0;
	assert_null(tlsreuse_find(id1));
	a = tlsreuse_add(id1, malloc(8), free_state);
	b = tlsreuse_add(id2, malloc(8), free_state);
	assert_non_null(a);
	assert_non_null(b);

	/* a reload: the new context finds the live state and shares it */
	again = tlsreuse_find(id1);
	assert_ptr_equal(again, a);
	assert_int_equal(a->refs, 2);
	tlsreuse_unref(a); /* the old context goes */
	assert_int_equal(freed, 0);
	assert_ptr_equal(tlsreuse_find(id1), a);
	tlsreuse_unref(a);
	tlsreuse_unref(a); /* the last user: freed, and no longer found */
	assert_int_equal(freed, 1);
	assert_null(tlsreuse_find(id1));

	assert_ptr_equal(tlsreuse_find(id2), b);
	tlsreuse_unref(b);
	tlsreuse_unref(b);
	assert_int_equal(freed, 2);
	assert_null(tlsreuse_find(id2));
	tlsreuse_unref(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_identity),
	    cmocka_unit_test(test_identity_missing_file),
	    cmocka_unit_test(test_list),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
