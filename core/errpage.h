/*
 * errpage.h - the listeners' own error pages (ErrorFile NNN "file", ErrNNN "file"),
 * read when a configuration is applied: at start before the chroot, by -c, and at
 * every reload from inside the jail.
 */
#ifndef PINFOLD_ERRPAGE_H
#define PINFOLD_ERRPAGE_H

#include <stddef.h>

#include "config.h"

#define ERRPAGE_MAX 8192 /* bytes of one page: it is sent from one 16 KiB buffer */

struct errpages;

/*
 * Read every page of cfg; paths under `jail` are read as seen inside it (NULL: as
 * written).  Each failure is logged as "file:line:col: ..." and counted; on any
 * failure *out is NULL.  Returns the number of failures.
 */
int errpages_load(const struct config *cfg, const char *jail, struct errpages **out);

/* The page listener l has for status, or NULL (the built-in page is used). */
const char *errpages_find(const struct errpages *ep, const struct cfg_listener *l, int status,
                          size_t *len);

void errpages_free(struct errpages *ep);

#endif
