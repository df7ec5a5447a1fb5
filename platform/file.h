/*
 * file.h - reading a small file whole, safely: the error pages at load time and
 * the ACME challenge files at request time.
 */
#ifndef PINFOLD_FILE_H
#define PINFOLD_FILE_H

#include <stddef.h>

#define FILE_NOFOLLOW 0x1 /* refuse a symbolic link as the last component */

/*
 * Read the regular file at `path` into buf (at most cap bytes) and set *len.
 * Never blocks on a FIFO or a device: those are refused, like directories
 * (EISDIR for a directory, EINVAL for anything else that is not a regular
 * file), and a file over cap bytes is refused with EFBIG rather than cut.
 * With FILE_NOFOLLOW a symbolic link is refused (ELOOP on Linux, EMLINK on
 * FreeBSD).  Returns 0, or -1 with errno set.
 */
int file_read_small(const char *path, unsigned flags, char *buf, size_t cap, size_t *len);

/*
 * A configured path as seen after chroot(jail): with jail "/var/jail/p",
 * "/var/jail/p/run/s" is "/run/s".  file_jail_rel() gives NULL for a path outside
 * the jail, file_in_jail() the path unchanged; both give path when jail is NULL.
 */
const char *file_jail_rel(const char *jail, const char *path);
const char *file_in_jail(const char *jail, const char *path);

#endif
