/*
 * connlimit.h - live client connections per address (MaxConnsPerIP).
 *
 * An entry exists only while its address has connections open, so the table
 * never holds more entries than there are connections: its size is bounded
 * by the global connection cap and needs no eviction.  IPv6 clients are
 * counted by their /64, as the rate limits do (see acl_addr_client_key).
 */
#ifndef PINFOLD_CONNLIMIT_H
#define PINFOLD_CONNLIMIT_H

#include <stdint.h>

#include "acl.h"

struct connlimit;

struct connlimit *connlimit_new(void);
void connlimit_free(struct connlimit *t);

/*
 * Count one more connection from `a` if it has fewer than `max` (0: no cap).
 * 0 when counted, -1 when the address is at its cap (nothing counted), -2 out
 * of memory (nothing counted: the caller lets the connection in uncounted).
 */
int connlimit_acquire(struct connlimit *t, const struct acl_addr *a, uint32_t max);
/* One connection from `a` ended (only for an acquire that returned 0). */
void connlimit_release(struct connlimit *t, const struct acl_addr *a);
/* Connections counted for `a` now; entries in the table.  For tests. */
uint32_t connlimit_count(const struct connlimit *t, const struct acl_addr *a);
uint32_t connlimit_entries(const struct connlimit *t);

#endif
