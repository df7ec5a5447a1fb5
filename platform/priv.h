/*
 * priv.h - giving up root: look up User/Group, chroot into RootJail, drop to
 * the unprivileged ids.  Done after binding and reading files, before the
 * first accept.
 */
#ifndef PINFOLD_PRIV_H
#define PINFOLD_PRIV_H

#include <stddef.h>
#include <sys/types.h>

struct priv {
	int set_uid, set_gid; /* which ids to change */
	uid_t uid;
	gid_t gid;
	const char *jail;     /* NULL = no chroot */
	int jail_id;          /* FreeBSD: > 0 = jail_attach(2) to it instead of chroot(jail) */
};

/*
 * Resolve names (or numeric ids) before chroot, while /etc/passwd is visible.
 * user/group/jail may be NULL.  With a user and no group, the user's primary
 * group is used.  0, or -1 with "no such user \"x\"" style message.
 */
int priv_prepare(struct priv *p, const char *user, const char *group, const char *jail,
		 char *err, size_t errlen);

/*
 * chroot + chdir("/") (or, with jail_id, enter that FreeBSD jail, whose path is
 * RootJail), setgroups(1, gid), setgid, setuid, then check that root cannot be
 * regained.  Running as non-root with ids to change is an error.  0, or -1
 * with a message.
 */
int priv_drop(const struct priv *p, char *err, size_t errlen);

#endif
