/* daemon.h - detach from the terminal, write the pid file. */
#ifndef PINFOLD_DAEMON_H
#define PINFOLD_DAEMON_H

#include <stddef.h>

/*
 * Double fork + setsid, chdir("/"), stdin/out/err to /dev/null.  Returns 0 in
 * the surviving child; the parents exit(0).  -1 with a message on failure.
 */
int daemon_detach(char *err, size_t errlen);

/* Write our pid to path (mode 0644).  0 or -1 with a message. */
int pidfile_write(const char *path, char *err, size_t errlen);

#endif
