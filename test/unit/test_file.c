/* test_file.c - small files read whole: regular files only, size-capped, links refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "acme.h"
#include "file.h"

static char dir[] = "/tmp/pinfold_test_file_XXXXXX";
static char path[512];

static const char *at(const char *name)
{
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return path;
}

static void put(const char *name, const char *data, size_t len)
{
	FILE *f = fopen(at(name), "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	fclose(f);
}

static int setup(void **state)
{
	if (!mkdtemp(dir))
		return -1;
	put("small", "a\0b\r\n", 5);
	put("empty", "", 0);
	put("exact", "0123456789", 10);
	if (symlink("small", at("link")) < 0 || mkdir(at("sub"), 0755) < 0 ||
	    mkfifo(at("fifo"), 0644) < 0)
		return -1;
	return 0;
}

static int teardown(void **state)
{
	static const char *names[] = {"small", "empty", "exact", "link", "sub", "fifo", "tok_-9"};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (unlink(at(names[i])) < 0)
			rmdir(at(names[i]));
	return rmdir(dir);
}

static void test_read(void **state)
{
	char buf[16];
	size_t len = 99;

	assert_int_equal(file_read_small(at("small"), 0, buf, sizeof(buf), &len), 0);
	assert_int_equal(len, 5);
	assert_memory_equal(buf, "a\0b\r\n", 5);
	assert_int_equal(file_read_small(at("empty"), 0, buf, sizeof(buf), &len), 0);
	assert_int_equal(len, 0);
	/* exactly cap bytes is fine; one more is refused, not cut */
	assert_int_equal(file_read_small(at("exact"), 0, buf, 10, &len), 0);
	assert_int_equal(len, 10);
	assert_int_equal(file_read_small(at("exact"), 0, buf, 9, &len), -1);
	assert_int_equal(errno, EFBIG);
}

static void test_refused(void **state)
{
	char buf[16];
	size_t len;

	assert_int_equal(file_read_small(at("missing"), 0, buf, sizeof(buf), &len), -1);
	assert_int_equal(errno, ENOENT);
	assert_int_equal(file_read_small(at("sub"), 0, buf, sizeof(buf), &len), -1);
	assert_int_equal(errno, EISDIR);
	/* a FIFO neither blocks nor is read */
	assert_int_equal(file_read_small(at("fifo"), 0, buf, sizeof(buf), &len), -1);
	assert_int_equal(errno, EINVAL);
	/* a link is followed only when allowed */
	assert_int_equal(file_read_small(at("link"), 0, buf, sizeof(buf), &len), 0);
	assert_int_equal(file_read_small(at("link"), FILE_NOFOLLOW, buf, sizeof(buf), &len), -1);
}

static void test_in_jail(void **state)
{
	assert_string_equal(file_in_jail("/var/jail", "/var/jail/x.pem"), "/x.pem");
	assert_string_equal(file_in_jail("/var/jail/", "/var/jail/a/b"), "/a/b");
	assert_string_equal(file_in_jail("/var/jail", "/var/jailx/y"), "/var/jailx/y");
	assert_string_equal(file_in_jail("/var/jail", "/etc/z"), "/etc/z");
	assert_string_equal(file_in_jail(NULL, "/etc/z"), "/etc/z");
	assert_string_equal(file_jail_rel("/var/jail", "/var/jail/run/s"), "/run/s");
	assert_null(file_jail_rel("/var/jail", "/var/jailx/y"));
	assert_null(file_jail_rel("/var/jail", "/etc/z"));
	assert_string_equal(file_jail_rel(NULL, "/etc/z"), "/etc/z");
}

/* core/acme.c's token rules, on the same files */
static void test_acme_lookup(void **state)
{
	static const char *bad[] = {"../small", "..%2fsmall", "%2e%2e", "small/", "a.b",   "",
	                            "link",     "sub",        "fifo",   "a b",    "tok%00"};
	char body[ACME_FILE_MAX], target[600];
	size_t len;

	put("tok_-9", "keyauth", 7);
	snprintf(target, sizeof(target), ACME_PREFIX "tok_-9");
	assert_true(acme_wanted(target, strlen(target)));
	assert_false(acme_wanted("/.well-known/acme-challeng", 26));
	assert_int_equal(acme_lookup(dir, target, strlen(target), 1, body, &len), 200);
	assert_int_equal(len, 7);
	assert_memory_equal(body, "keyauth", 7);
	assert_int_equal(acme_lookup(dir, target, strlen(target), 0, body, &len), 405);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(target, sizeof(target), ACME_PREFIX "%s", bad[i]);
		assert_int_equal(acme_lookup(dir, target, strlen(target), 1, body, &len), 404);
	}
	memset(target, 'A', sizeof(target) - 1);
	target[sizeof(target) - 1] = '\0';
	memcpy(target, ACME_PREFIX, strlen(ACME_PREFIX));
	assert_int_equal(acme_lookup(dir, target, strlen(target), 1, body, &len), 404);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_read),
	    cmocka_unit_test(test_refused),
	    cmocka_unit_test(test_in_jail),
	    cmocka_unit_test(test_acme_lookup),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
