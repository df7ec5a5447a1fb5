/*
 * test_priv.c - looking up User/Group and dropping privileges.
 *
 * The lookups and refusals run anywhere.  A real drop (chroot + setuid) runs
 * only as root and only in a forked child, so the test process keeps its
 * ids and its root; the child reports through its exit status, which the
 * parent asserts.
 */
#if defined(__linux__)
#ifndef _DEFAULT_SOURCE
#define _DEFAULT_SOURCE /* setgroups */
#endif
#elif defined(__FreeBSD__)
#define __BSD_VISIBLE 1
#endif

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "priv.h"

#define ERRLEN 256

static void test_nothing_to_do(void **state)
{
	struct priv p;
	char err[ERRLEN] = "";

	assert_int_equal(priv_prepare(&p, NULL, NULL, NULL, err, sizeof(err)), 0);
	assert_int_equal(p.set_uid, 0);
	assert_int_equal(p.set_gid, 0);
	assert_null(p.jail);
	/* Nothing to change is fine for anyone, root or not. */
	assert_int_equal(priv_drop(&p, err, sizeof(err)), 0);
	assert_string_equal(err, "");
}

static void test_unknown_user(void **state)
{
	struct priv p;
	char err[ERRLEN] = "";

	assert_int_equal(priv_prepare(&p, "pinfold-no-such-user", NULL, NULL, err, sizeof(err)),
	                 -1);
	assert_string_equal(err, "no such user \"pinfold-no-such-user\"");
}

static void test_unknown_group(void **state)
{
	struct priv p;
	char err[ERRLEN] = "";

	assert_int_equal(priv_prepare(&p, NULL, "pinfold-no-such-group", NULL, err, sizeof(err)),
	                 -1);
	assert_string_equal(err, "no such group \"pinfold-no-such-group\"");
	assert_int_equal(priv_prepare(&p, "root", "pinfold-no-such-group", NULL, err, sizeof(err)),
	                 -1);
	assert_string_equal(err, "no such group \"pinfold-no-such-group\"");
}

static void test_bad_arguments(void **state)
{
	struct priv p;
	char err[ERRLEN] = "";

	assert_int_equal(priv_prepare(&p, "", NULL, NULL, err, sizeof(err)), -1);
	assert_string_equal(err, "empty user name");
	assert_int_equal(priv_prepare(&p, NULL, "", NULL, err, sizeof(err)), -1);
	assert_string_equal(err, "empty group name");
	assert_int_equal(priv_prepare(&p, NULL, NULL, "jail", err, sizeof(err)), -1);
	assert_string_equal(err, "RootJail \"jail\" must be an absolute path");
	/* Not a number either: a sign or trailing junk is a name, and unknown. */
	assert_int_equal(priv_prepare(&p, "-1", NULL, NULL, err, sizeof(err)), -1);
	assert_string_equal(err, "no such user \"-1\"");
	assert_int_equal(priv_prepare(&p, NULL, "12x", NULL, err, sizeof(err)), -1);
	assert_string_equal(err, "no such group \"12x\"");
}

static void test_numeric_ids(void **state)
{
	struct priv p;
	char err[ERRLEN] = "";

	/* Ids with no passwd/group entry are taken as they are... */
	assert_int_equal(priv_prepare(&p, "54321", "54322", "/var/empty", err, sizeof(err)), 0);
	assert_int_equal(p.set_uid, 1);
	assert_int_equal(p.set_gid, 1);
	assert_int_equal(p.uid, 54321);
	assert_int_equal(p.gid, 54322);
	assert_string_equal(p.jail, "/var/empty");

	assert_int_equal(priv_prepare(&p, NULL, "54322", NULL, err, sizeof(err)), 0);
	assert_int_equal(p.set_uid, 0);
	assert_int_equal(p.set_gid, 1);
	assert_int_equal(p.gid, 54322);

	/* ...but without a passwd entry there is no primary group to fall back to. */
	assert_int_equal(priv_prepare(&p, "54321", NULL, NULL, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "54321"));
	assert_non_null(strstr(err, "Group"));

	/* A numeric id with an entry gets that entry's primary group. */
	assert_int_equal(priv_prepare(&p, "0", NULL, NULL, err, sizeof(err)), 0);
	assert_int_equal(p.uid, 0);
	assert_int_equal(p.set_gid, 1);
	assert_int_equal(p.gid, getpwuid(0)->pw_gid);
}

static void test_primary_group(void **state)
{
	const struct passwd *pw = getpwnam("nobody");
	struct priv p;
	char err[ERRLEN] = "";
	uid_t uid;
	gid_t gid;

	if (!pw) {
		print_message("SKIP: no user nobody on this machine\n");
		skip();
	}
	uid = pw->pw_uid;
	gid = pw->pw_gid;
	assert_int_equal(priv_prepare(&p, "nobody", NULL, NULL, err, sizeof(err)), 0);
	assert_int_equal(p.set_uid, 1);
	assert_int_equal(p.uid, uid);
	assert_int_equal(p.set_gid, 1);
	assert_int_equal(p.gid, gid);

	/* An explicit group wins over the primary one. */
	assert_int_equal(priv_prepare(&p, "nobody", "0", NULL, err, sizeof(err)), 0);
	assert_int_equal(p.uid, uid);
	assert_int_equal(p.gid, 0);
}

/* The unprivileged ids to drop to: nobody, and nogroup if there is one. */
static int target_ids(uid_t *uid, gid_t *gid, const char **group)
{
	const struct passwd *pw = getpwnam("nobody");
	const struct group *gr = getgrnam("nogroup");

	if (!pw)
		return -1;
	*uid = pw->pw_uid;
	*group = gr ? "nogroup" : NULL;
	*gid = gr ? gr->gr_gid : pw->pw_gid;
	return 0;
}

static void make_jail(char *dir)
{
	char path[256];
	int fd;

	assert_non_null(mkdtemp(dir));
	/* Reachable for nobody, with one known file to look for from inside. */
	assert_int_equal(chmod(dir, 0755), 0);
	snprintf(path, sizeof(path), "%s/inside-the-jail", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0644);
	assert_true(fd >= 0);
	close(fd);
}

static void remove_jail(const char *dir)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/inside-the-jail", dir);
	unlink(path);
	rmdir(dir);
}

/* Run fn in a child; return its exit status (or 100 + signal). */
static int run_child(int (*fn)(void *), void *arg)
{
	int status;
	pid_t pid;

	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(fn(arg));
	assert_int_equal(waitpid(pid, &status, 0), pid);
	if (WIFSIGNALED(status))
		return 100 + WTERMSIG(status);
	assert_true(WIFEXITED(status));
	return WEXITSTATUS(status);
}

struct drop_args {
	const char *jail;
	const char *user;
	const char *group;
	uid_t uid;
	gid_t gid;
	char err[ERRLEN];
};

/*
 * In the child: drop, then check every claim of priv_drop from inside.
 * Each failure has its own exit code so the parent can say which it was.
 */
static int child_drop(void *arg)
{
	struct drop_args *a = arg;
	struct priv p;
	char err[ERRLEN] = "";
	struct dirent *de;
	DIR *d;
	int seen = 0, other = 0;
	gid_t groups[8];
	int ng;

	/* Start with extra groups, as root often has, to see them go. */
	groups[0] = 0;
	groups[1] = 1;
	groups[2] = 2;
	if (setgroups(3, groups) < 0)
		return 10;
	if (priv_prepare(&p, a->user, a->group, a->jail, err, sizeof(err)) < 0)
		return 1;
	if (priv_drop(&p, err, sizeof(err)) < 0) {
		fprintf(stderr, "priv_drop: %s\n", err);
		return 2;
	}
	if (getuid() != a->uid || geteuid() != a->uid)
		return 3;
	if (getgid() != a->gid || getegid() != a->gid)
		return 4;
	if (setuid(0) == 0 || seteuid(0) == 0)
		return 5;
	/* The supplementary groups are exactly the one target group. */
	ng = getgroups(8, groups);
	if (ng < 0 || ng > 1 || (ng == 1 && groups[0] != a->gid))
		return 6;
	/* "/" is the jail now: its one file, and nothing of the real root. */
	d = opendir("/");
	if (!d)
		return 7;
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, "inside-the-jail") == 0)
			seen = 1;
		else if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
			other = 1;
	}
	closedir(d);
	if (!seen || other)
		return 8;
	if (access("/etc/passwd", F_OK) == 0)
		return 9;
	return 0;
}

static void test_real_drop(void **state)
{
	char dir[] = "/tmp/pinfold-jail-XXXXXX";
	struct drop_args a;
	int rc;

	memset(&a, 0, sizeof(a));
	if (geteuid() != 0 || target_ids(&a.uid, &a.gid, &a.group) < 0) {
		print_message("SKIP: needs root and a user nobody with a group\n");
		skip();
	}
	make_jail(dir);
	a.jail = dir;
	a.user = "nobody";
	rc = run_child(child_drop, &a);
	remove_jail(dir);
	if (rc != 0)
		fail_msg("child failed with code %d (see child_drop)", rc);
}

/* In the child: priv_drop's own error for a bad jail, with nothing changed. */
static int child_bad_jail(void *arg)
{
	struct drop_args *a = arg;
	struct priv p;
	char err[ERRLEN] = "";
	uid_t uid = getuid();

	if (priv_prepare(&p, a->user, a->group, a->jail, err, sizeof(err)) < 0)
		return 1;
	if (priv_drop(&p, err, sizeof(err)) != -1)
		return 2;
	if (strcmp(err, a->err) != 0) {
		fprintf(stderr, "got \"%s\", want \"%s\"\n", err, a->err);
		return 3;
	}
	if (getuid() != uid || access("/etc/passwd", F_OK) != 0)
		return 4;
	return 0;
}

static void test_bad_jail(void **state)
{
	char dir[] = "/tmp/pinfold-jail-XXXXXX";
	char file[128];
	struct drop_args a;

	memset(&a, 0, sizeof(a));
	if (geteuid() != 0 || target_ids(&a.uid, &a.gid, &a.group) < 0) {
		print_message("SKIP: needs root and a user nobody with a group\n");
		skip();
	}
	a.user = "nobody";

	a.jail = "/nonexistent/pinfold-jail";
	snprintf(a.err, sizeof(a.err), "RootJail \"%s\": %s", a.jail, strerror(ENOENT));
	assert_int_equal(run_child(child_bad_jail, &a), 0);

	make_jail(dir);
	snprintf(file, sizeof(file), "%s/inside-the-jail", dir);
	a.jail = file;
	snprintf(a.err, sizeof(a.err), "RootJail \"%s\" is not a directory", file);
	assert_int_equal(run_child(child_bad_jail, &a), 0);
	remove_jail(dir);
}

/* As a non-root user, any change at all is refused with the same message. */
static int child_not_root(void *arg)
{
	struct drop_args *a = arg;
	struct priv p;
	char err[ERRLEN] = "";

	if (geteuid() == 0) {
		/* Become nobody first, by hand, so priv_drop sees a non-root caller. */
		if (setgroups(1, &a->gid) < 0 || setgid(a->gid) < 0 || setuid(a->uid) < 0)
			return 1;
	}
	if (priv_prepare(&p, NULL, NULL, "/", err, sizeof(err)) < 0)
		return 2;
	if (priv_drop(&p, err, sizeof(err)) != -1)
		return 3;
	if (strcmp(err, "must be started as root to change user/chroot") != 0)
		return 4;
	if (priv_prepare(&p, "nobody", NULL, NULL, err, sizeof(err)) < 0)
		return 5;
	if (priv_drop(&p, err, sizeof(err)) != -1)
		return 6;
	if (strcmp(err, "must be started as root to change user/chroot") != 0)
		return 7;
	return 0;
}

static void test_not_root(void **state)
{
	struct drop_args a;
	int rc;

	memset(&a, 0, sizeof(a));
	if (target_ids(&a.uid, &a.gid, &a.group) < 0) {
		print_message("SKIP: no user nobody with a group on this machine\n");
		skip();
	}
	rc = run_child(child_not_root, &a);
	if (rc != 0)
		fail_msg("child failed with code %d (see child_not_root)", rc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_nothing_to_do), cmocka_unit_test(test_unknown_user),
	    cmocka_unit_test(test_unknown_group), cmocka_unit_test(test_bad_arguments),
	    cmocka_unit_test(test_numeric_ids),   cmocka_unit_test(test_primary_group),
	    cmocka_unit_test(test_real_drop),     cmocka_unit_test(test_bad_jail),
	    cmocka_unit_test(test_not_root),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
