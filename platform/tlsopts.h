/*
 * tlsopts.h - what every TLS backend checks the same way before it asks its
 * library for anything: the version range, and options that cannot work.
 */
#ifndef PINFOLD_TLSOPTS_H
#define PINFOLD_TLSOPTS_H

#include <stddef.h>

#include "tls.h"

/*
 * The versions to set from an option's min/max (0 = default) and the highest the
 * library has (tls_max_version()): 0 with vmin and vmax set, or -1 with the reason.
 */
int tlsopts_versions(int min, int max, int *vmin, int *vmax, char *err, size_t errlen);
/* 0 when the options can make a context, else -1 with the reason. */
int tlsopts_server_check(const struct tls_server_opts *o, char *err, size_t errlen);
int tlsopts_client_check(const struct tls_client_opts *o, char *err, size_t errlen);

/*
 * The host name a client asked for by SNI, as the log and the certificate choice take it:
 * without a trailing dot; *len is cut to match.  A malloc'ed copy in *out (NULL when out
 * of memory); returns 0 for a name that can be no host name (empty, longer than 255,
 * holding a NUL), which leaves the default certificate answering.
 */
int tlsopts_sni(const unsigned char *name, size_t *len, char **out);

#endif
