/*
 * acl.h - access control lists: sets of IPv4 and IPv6 prefixes (Pound's ACL,
 * TrustedIP), and the binary client address everything that decides by
 * address (ACLs, rate limits, connection caps) works on.
 *
 * A list is built from CIDRs, then finished once: every prefix becomes a
 * [first, last] range, ranges are sorted and overlapping or adjacent ones
 * merged, so a lookup is one binary search whatever the list's size.
 */
#ifndef PINFOLD_ACL_H
#define PINFOLD_ACL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define ACL_ADDRSTRLEN 48 /* "ffff:...:255.255.255.255" and NUL */

/* An IPv4 or IPv6 address; IPv4-mapped IPv6 addresses are stored as IPv4. */
struct acl_addr {
	uint8_t family; /* 4, 6, or 0 for none */
	uint8_t b[16];  /* network byte order; IPv4 in b[0..3], the rest zero */
};

/* "192.0.2.1", "2001:db8::1" or "[2001:db8::1]" (len bytes, no NUL needed).  0 or -1. */
int acl_addr_parse(const char *s, size_t len, struct acl_addr *a);
/* From an accepted peer (AF_INET / AF_INET6).  0 or -1. */
int acl_addr_from_sockaddr(const struct sockaddr *sa, struct acl_addr *a);
/* Text form ("192.0.2.1", "2001:db8::1") into buf; returns buf. */
char *acl_addr_format(const struct acl_addr *a, char *buf, size_t len);
/*
 * The key a per-client table files an address under: IPv4 as it is, IPv6 cut to
 * its /64, because one IPv6 host is normally given a whole /64 to pick from.
 */
void acl_addr_client_key(const struct acl_addr *a, struct acl_addr *key);

struct acl;

struct acl *acl_new(void);
/*
 * Add "192.0.2.0/24", "2001:db8::/32", or a bare address (a /32 or /128).
 * Returns 0, 1 when the address had bits set past the prefix (they are
 * ignored, and the caller may warn), or -1 with the reason in err.
 */
int acl_add(struct acl *acl, const char *cidr, char *err, size_t errlen);
/* Sort and merge; call once after the last acl_add.  0, or -1 out of memory. */
int acl_finish(struct acl *acl);
/* Is the address inside one of the prefixes?  (A finished list only.) */
int acl_match(const struct acl *acl, const struct acl_addr *a);
/* Number of merged ranges of one family (4 or 6), for tests and diagnostics. */
size_t acl_ranges(const struct acl *acl, int family);
void acl_free(struct acl *acl);

#endif
