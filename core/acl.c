/*
 * acl.c - prefix lists as sorted, merged address ranges.
 *
 * IPv4 ranges are pairs of 32-bit numbers; IPv6 ranges pairs of 128-bit
 * numbers kept as two 64-bit halves.  acl_finish() sorts each family by the
 * first address and folds ranges that overlap or touch, so no two ranges
 * share an address and the one that could hold an address is found by
 * binary search on the first addresses alone.
 */
#include "acl.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct u128 {
	uint64_t hi, lo;
};

struct range4 {
	uint32_t first, last;
};

struct range6 {
	struct u128 first, last;
};

struct acl {
	struct range4 *v4;
	size_t n4, cap4;
	struct range6 *v6;
	size_t n6, cap6;
};

/* ---- addresses ------------------------------------------------------------------ */

static const uint8_t v4mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

static void set_v6(struct acl_addr *a, const uint8_t b[16])
{
	memset(a, 0, sizeof(*a));
	if (memcmp(b, v4mapped, sizeof(v4mapped)) == 0) {
		a->family = 4;
		memcpy(a->b, b + 12, 4);
		return;
	}
	a->family = 6;
	memcpy(a->b, b, 16);
}

/* A NUL-terminated address without brackets or port. */
static int parse_plain(const char *s, struct acl_addr *a)
{
	uint8_t b[16];

	if (strchr(s, ':')) {
		if (inet_pton(AF_INET6, s, b) != 1)
			return -1;
		set_v6(a, b);
		return 0;
	}
	if (inet_pton(AF_INET, s, b) != 1)
		return -1;
	memset(a, 0, sizeof(*a));
	a->family = 4;
	memcpy(a->b, b, 4);
	return 0;
}

static int all_digits(const char *s, size_t n)
{
	if (n == 0 || n > 5)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}

/*
 * Forwarding headers are written by other software: besides the bare forms
 * accept "[v6]", "[v6]:port" and "v4:port", as some proxies append a port.
 */
int acl_addr_parse(const char *s, size_t len, struct acl_addr *a)
{
	char tmp[ACL_ADDRSTRLEN + 8];
	const char *colon;

	if (len == 0 || len >= sizeof(tmp))
		return -1;
	if (s[0] == '[') {
		const char *close = memchr(s, ']', len);
		size_t rest;

		if (!close)
			return -1;
		rest = len - (size_t)(close - s) - 1;
		if (rest && (close[1] != ':' || !all_digits(close + 2, rest - 1)))
			return -1;
		len = (size_t)(close - s) - 1;
		s++;
		if (len == 0 || !memchr(s, ':', len))
			return -1;
	} else if ((colon = memchr(s, ':', len)) &&
	           !memchr(colon + 1, ':', len - (size_t)(colon - s) - 1)) {
		/* exactly one colon: "v4:port" */
		if (!all_digits(colon + 1, len - (size_t)(colon - s) - 1))
			return -1;
		len = (size_t)(colon - s);
	}
	memcpy(tmp, s, len);
	tmp[len] = '\0';
	return parse_plain(tmp, a);
}

int acl_addr_from_sockaddr(const struct sockaddr *sa, struct acl_addr *a)
{
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const void *)sa;

		memset(a, 0, sizeof(*a));
		a->family = 4;
		memcpy(a->b, &in->sin_addr, 4);
		return 0;
	}
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const void *)sa;

		set_v6(a, in6->sin6_addr.s6_addr);
		return 0;
	}
	memset(a, 0, sizeof(*a));
	return -1;
}

char *acl_addr_format(const struct acl_addr *a, char *buf, size_t len)
{
	if (len == 0)
		return buf;
	buf[0] = '\0';
	if (a->family == 4)
		inet_ntop(AF_INET, a->b, buf, (socklen_t)len);
	else if (a->family == 6)
		inet_ntop(AF_INET6, a->b, buf, (socklen_t)len);
	else
		snprintf(buf, len, "-");
	return buf;
}

void acl_addr_client_key(const struct acl_addr *a, struct acl_addr *key)
{
	*key = *a;
	if (key->family == 6)
		memset(key->b + 8, 0, 8);
}

/* ---- ranges ------------------------------------------------------------------------ */

static uint32_t load4(const uint8_t *b)
{
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

static struct u128 load6(const uint8_t *b)
{
	struct u128 v = {0, 0};

	for (int i = 0; i < 8; i++) {
		v.hi = v.hi << 8 | b[i];
		v.lo = v.lo << 8 | b[8 + i];
	}
	return v;
}

static int cmp128(struct u128 a, struct u128 b)
{
	if (a.hi != b.hi)
		return a.hi < b.hi ? -1 : 1;
	if (a.lo != b.lo)
		return a.lo < b.lo ? -1 : 1;
	return 0;
}

/* The host-part mask of a prefix: bits that are 1 past the first `bits` ones. */
static struct u128 hostmask6(int bits)
{
	struct u128 m;

	if (bits <= 0)
		m.hi = m.lo = UINT64_MAX;
	else if (bits < 64)
		m.hi = UINT64_MAX >> bits, m.lo = UINT64_MAX;
	else if (bits == 64)
		m.hi = 0, m.lo = UINT64_MAX;
	else if (bits < 128)
		m.hi = 0, m.lo = UINT64_MAX >> (bits - 64);
	else
		m.hi = m.lo = 0;
	return m;
}

struct acl *acl_new(void)
{
	return calloc(1, sizeof(struct acl));
}

static int grow(void **v, size_t *cap, size_t n, size_t size)
{
	void *p;
	size_t ncap;

	if (n < *cap)
		return 0;
	ncap = *cap ? *cap * 2 : 8;
	p = realloc(*v, ncap * size);
	if (!p)
		return -1;
	*v = p;
	*cap = ncap;
	return 0;
}

int acl_add(struct acl *acl, const char *cidr, char *err, size_t errlen)
{
	char host[ACL_ADDRSTRLEN + 1];
	const char *slash = strchr(cidr, '/');
	size_t hl = slash ? (size_t)(slash - cidr) : strlen(cidr);
	struct acl_addr a;
	long bits = -1;
	int trimmed = 0;

	if (hl == 0 || hl >= sizeof(host))
		goto bad;
	memcpy(host, cidr, hl);
	host[hl] = '\0';
	/* the bare-form parser: no brackets or ports in a CIDR */
	if (strchr(host, '[') || parse_plain(host, &a) != 0)
		goto bad;
	/* "::ffff:10.0.0.0/104" is an IPv4 prefix written the IPv6 way */
	if (a.family == 4 && strchr(host, ':'))
		goto bad;
	if (slash) {
		const char *d = slash + 1;

		if (!*d || strlen(d) > 3)
			goto badlen;
		bits = 0;
		for (; *d; d++) {
			if (*d < '0' || *d > '9')
				goto badlen;
			bits = bits * 10 + (*d - '0');
		}
		if (bits > (a.family == 4 ? 32 : 128))
			goto badlen;
	} else {
		bits = a.family == 4 ? 32 : 128;
	}
	if (a.family == 4) {
		uint32_t v = load4(a.b);
		uint32_t host_bits = bits == 0 ? UINT32_MAX : (bits == 32 ? 0 : UINT32_MAX >> bits);

		if (grow((void **)&acl->v4, &acl->cap4, acl->n4, sizeof(*acl->v4)) < 0)
			goto oom;
		trimmed = (v & host_bits) != 0;
		acl->v4[acl->n4].first = v & ~host_bits;
		acl->v4[acl->n4].last = v | host_bits;
		acl->n4++;
	} else {
		struct u128 v = load6(a.b), m = hostmask6((int)bits);

		if (grow((void **)&acl->v6, &acl->cap6, acl->n6, sizeof(*acl->v6)) < 0)
			goto oom;
		trimmed = (v.hi & m.hi) || (v.lo & m.lo);
		acl->v6[acl->n6].first.hi = v.hi & ~m.hi;
		acl->v6[acl->n6].first.lo = v.lo & ~m.lo;
		acl->v6[acl->n6].last.hi = v.hi | m.hi;
		acl->v6[acl->n6].last.lo = v.lo | m.lo;
		acl->n6++;
	}
	return trimmed;
bad:
	snprintf(err, errlen,
	         "expected an IPv4 or IPv6 address or CIDR (\"192.0.2.0/24\", "
	         "\"2001:db8::/32\"), got \"%s\"",
	         cidr);
	return -1;
badlen:
	snprintf(err, errlen, "bad prefix length in \"%s\" (0-%d for %s)", cidr,
	         a.family == 4 ? 32 : 128, a.family == 4 ? "IPv4" : "IPv6");
	return -1;
oom:
	snprintf(err, errlen, "out of memory");
	return -1;
}

static int by_first4(const void *x, const void *y)
{
	const struct range4 *a = x, *b = y;

	return a->first < b->first ? -1 : a->first > b->first;
}

static int by_first6(const void *x, const void *y)
{
	const struct range6 *a = x, *b = y;

	return cmp128(a->first, b->first);
}

static struct u128 inc128(struct u128 v)
{
	if (++v.lo == 0)
		v.hi++;
	return v;
}

int acl_finish(struct acl *acl)
{
	size_t o;

	if (acl->n4) {
		qsort(acl->v4, acl->n4, sizeof(*acl->v4), by_first4);
		o = 0;
		for (size_t i = 1; i < acl->n4; i++) {
			struct range4 *cur = &acl->v4[o], *r = &acl->v4[i];

			/* overlapping or touching (cur->last + 1 == r->first, without wrapping) */
			if (r->first <= cur->last ||
			    (cur->last != UINT32_MAX && r->first == cur->last + 1)) {
				if (r->last > cur->last)
					cur->last = r->last;
			} else {
				acl->v4[++o] = *r;
			}
		}
		acl->n4 = o + 1;
	}
	if (acl->n6) {
		qsort(acl->v6, acl->n6, sizeof(*acl->v6), by_first6);
		o = 0;
		for (size_t i = 1; i < acl->n6; i++) {
			struct range6 *cur = &acl->v6[o], *r = &acl->v6[i];
			int all_ones = cur->last.hi == UINT64_MAX && cur->last.lo == UINT64_MAX;

			if (cmp128(r->first, cur->last) <= 0 ||
			    (!all_ones && cmp128(r->first, inc128(cur->last)) == 0)) {
				if (cmp128(r->last, cur->last) > 0)
					cur->last = r->last;
			} else {
				acl->v6[++o] = *r;
			}
		}
		acl->n6 = o + 1;
	}
	return 0;
}

int acl_match(const struct acl *acl, const struct acl_addr *a)
{
	size_t lo = 0, hi;

	if (!acl)
		return 0;
	if (a->family == 4) {
		uint32_t v = load4(a->b);

		/* the last range whose first address is <= v */
		hi = acl->n4;
		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;

			if (acl->v4[mid].first <= v)
				lo = mid + 1;
			else
				hi = mid;
		}
		return lo > 0 && v <= acl->v4[lo - 1].last;
	}
	if (a->family == 6) {
		struct u128 v = load6(a->b);

		hi = acl->n6;
		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;

			if (cmp128(acl->v6[mid].first, v) <= 0)
				lo = mid + 1;
			else
				hi = mid;
		}
		return lo > 0 && cmp128(v, acl->v6[lo - 1].last) <= 0;
	}
	return 0;
}

size_t acl_ranges(const struct acl *acl, int family)
{
	return family == 4 ? acl->n4 : family == 6 ? acl->n6 : 0;
}

void acl_free(struct acl *acl)
{
	if (!acl)
		return;
	free(acl->v4);
	free(acl->v6);
	free(acl);
}
