/*
 * priv.c - from root to an unprivileged user inside a chroot jail.
 *
 * Names are resolved first (priv_prepare), while /etc/passwd and /etc/group
 * are still reachable; the jail usually has neither.  priv_drop then gives
 * up everything in the one order that works: chroot needs root, setgroups
 * and setgid need root, so setuid comes last.  It finishes by proving that
 * root cannot be taken back, since a silently failed drop is the one error
 * that must never go unnoticed.
 */
#if defined(__linux__)
#ifndef _DEFAULT_SOURCE
#define _DEFAULT_SOURCE /* setgroups in <grp.h> (glibc and musl) */
#endif
#elif defined(__FreeBSD__)
#define __BSD_VISIBLE 1 /* setgroups in <unistd.h> under _POSIX_C_SOURCE */
#endif

#include "priv.h"

#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#if defined(__FreeBSD__)
#include <sys/param.h>
#include <sys/jail.h>
#endif

/* A plain decimal id ("65534"), as the User and Group directives allow. */
static int parse_id(const char *s, unsigned long *id)
{
	char *end;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	*id = strtoul(s, &end, 10);
	if (errno != 0 || *end != '\0' || *id > (unsigned long)INT_MAX)
		return -1;
	return 0;
}

static int resolve_user(struct priv *p, const char *user, int *have_gid, gid_t *gid, char *err,
                        size_t errlen)
{
	const struct passwd *pw;
	unsigned long id;

	/* A name wins over a number: a user may really be called "1000". */
	errno = 0;
	pw = getpwnam(user);
	if (!pw && parse_id(user, &id) == 0) {
		p->uid = (uid_t)id;
		errno = 0;
		pw = getpwuid(p->uid);
	} else if (pw) {
		p->uid = pw->pw_uid;
	} else {
		if (errno != 0 && errno != ENOENT && errno != ESRCH)
			snprintf(err, errlen, "cannot look up user \"%s\": %s", user,
			         strerror(errno));
		else
			snprintf(err, errlen, "no such user \"%s\"", user);
		return -1;
	}
	p->set_uid = 1;
	*have_gid = pw != NULL;
	if (pw)
		*gid = pw->pw_gid;
	return 0;
}

static int resolve_group(struct priv *p, const char *group, char *err, size_t errlen)
{
	const struct group *gr;
	unsigned long id;

	errno = 0;
	gr = getgrnam(group);
	if (gr) {
		p->gid = gr->gr_gid;
	} else if (parse_id(group, &id) == 0) {
		p->gid = (gid_t)id;
	} else {
		if (errno != 0 && errno != ENOENT && errno != ESRCH)
			snprintf(err, errlen, "cannot look up group \"%s\": %s", group,
			         strerror(errno));
		else
			snprintf(err, errlen, "no such group \"%s\"", group);
		return -1;
	}
	p->set_gid = 1;
	return 0;
}

int priv_prepare(struct priv *p, const char *user, const char *group, const char *jail, char *err,
                 size_t errlen)
{
	int have_primary = 0;
	gid_t primary = 0;

	memset(p, 0, sizeof(*p));
	if (user && !*user) {
		snprintf(err, errlen, "empty user name");
		return -1;
	}
	if (group && !*group) {
		snprintf(err, errlen, "empty group name");
		return -1;
	}
	if (jail && jail[0] != '/') {
		/* Relative to what? The daemon's cwd is "/" by then: say so early. */
		snprintf(err, errlen, "RootJail \"%s\" must be an absolute path", jail);
		return -1;
	}
	if (user && resolve_user(p, user, &have_primary, &primary, err, errlen) < 0)
		return -1;
	if (group) {
		if (resolve_group(p, group, err, errlen) < 0)
			return -1;
	} else if (user) {
		/* Never keep root's group under a new uid: a gid is required. */
		if (!have_primary) {
			snprintf(err, errlen,
			         "user id %s has no passwd entry to take a group from; set Group",
			         user);
			return -1;
		}
		p->gid = primary;
		p->set_gid = 1;
	}
	p->jail = jail;
	return 0;
}

static int enter_jail(const char *jail, char *err, size_t errlen)
{
	struct stat st;

	if (stat(jail, &st) < 0) {
		snprintf(err, errlen, "RootJail \"%s\": %s", jail, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "RootJail \"%s\" is not a directory", jail);
		return -1;
	}
	if (chroot(jail) < 0) {
		snprintf(err, errlen, "chroot \"%s\": %s", jail, strerror(errno));
		return -1;
	}
	/* Without this the cwd still points outside the jail: a way out. */
	if (chdir("/") < 0) {
		snprintf(err, errlen, "chdir / in \"%s\": %s", jail, strerror(errno));
		return -1;
	}
	return 0;
}

/*
 * FreeBSD: a jail(8) made by the rc script from RootJail (path, the addresses
 * we may use, no raw sockets, its securelevel) is more than a chroot: the
 * kernel keeps us to its addresses and rules even as root.
 */
static int enter_freebsd_jail(int jid, char *err, size_t errlen)
{
#if defined(__FreeBSD__)
	if (jail_attach(jid) < 0) {
		snprintf(err, errlen, "jail_attach(%d): %s", jid, strerror(errno));
		return -1;
	}
	if (chdir("/") < 0) {
		snprintf(err, errlen, "chdir / in jail %d: %s", jid, strerror(errno));
		return -1;
	}
	return 0;
#else
	snprintf(err, errlen, "jail %d: FreeBSD jails are not available on this system", jid);
	return -1;
#endif
}

/* The drop happened and cannot be undone, or an error naming what is wrong. */
static int verify_drop(const struct priv *p, char *err, size_t errlen)
{
	if (p->set_gid && (getgid() != p->gid || getegid() != p->gid)) {
		snprintf(err, errlen, "group ids are %ld/%ld after setgid(%ld)", (long)getgid(),
		         (long)getegid(), (long)p->gid);
		return -1;
	}
	if (!p->set_uid)
		return 0;
	if (getuid() != p->uid || geteuid() != p->uid) {
		snprintf(err, errlen, "user ids are %ld/%ld after setuid(%ld)", (long)getuid(),
		         (long)geteuid(), (long)p->uid);
		return -1;
	}
	if (p->uid != 0 && (setuid(0) == 0 || seteuid(0) == 0)) {
		snprintf(err, errlen, "root could be regained after setuid(%ld)", (long)p->uid);
		return -1;
	}
	if (p->uid != 0 && p->gid != 0 && (setgid(0) == 0 || setegid(0) == 0)) {
		snprintf(err, errlen, "group 0 could be regained after setgid(%ld)", (long)p->gid);
		return -1;
	}
	return 0;
}

int priv_drop(const struct priv *p, char *err, size_t errlen)
{
	gid_t gid;

	if (!p->set_uid && !p->set_gid && !p->jail && p->jail_id <= 0)
		return 0;
	if (geteuid() != 0) {
		snprintf(err, errlen, "must be started as root to change user/chroot");
		return -1;
	}
	if (p->jail_id > 0) {
		if (enter_freebsd_jail(p->jail_id, err, errlen) < 0)
			return -1;
	} else if (p->jail && enter_jail(p->jail, err, errlen) < 0) {
		return -1;
	}
	if (p->set_gid || p->set_uid) {
		/* root's supplementary groups (0, often more) must not survive. */
		gid = p->set_gid ? p->gid : getgid();
		if (setgroups(1, &gid) < 0) {
			snprintf(err, errlen, "setgroups(%ld): %s", (long)gid, strerror(errno));
			return -1;
		}
	}
	if (p->set_gid && setgid(p->gid) < 0) {
		snprintf(err, errlen, "setgid(%ld): %s", (long)p->gid, strerror(errno));
		return -1;
	}
	/* As root, setuid sets real, effective and saved ids alike (POSIX). */
	if (p->set_uid && setuid(p->uid) < 0) {
		snprintf(err, errlen, "setuid(%ld): %s", (long)p->uid, strerror(errno));
		return -1;
	}
	return verify_drop(p, err, errlen);
}
