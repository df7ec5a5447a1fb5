/*
 * auth.c - htpasswd files, Basic credentials, and a small cache of recent
 * successful checks.
 *
 * The file is read once per configuration generation (at start, before the
 * chroot, and at every reload); users are kept sorted by name.  Each hash is
 * judged by its form first, so a truncated or foreign hash is reported at
 * its line, and each scheme is tried once through crypt(3), so a C library
 * that lacks bcrypt (say) is found at load time rather than at the first
 * login.
 */
#define _XOPEN_SOURCE 700 /* crypt() in <unistd.h> where there is no <crypt.h> */

#include "auth.h"

#if defined(__has_include)
#if __has_include(<crypt.h>)
#include <crypt.h>
#define HAVE_CRYPT_H 1
#endif
#endif
#ifndef HAVE_CRYPT_H
#include <unistd.h>
#endif
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAX_FILE (1 << 20) /* an htpasswd file larger than this is refused */

struct user {
	char *name;
	char *hash;
	int line;
};

struct cache_slot {
	uint64_t tag[2];  /* keyed hash of "user\0password" */
	uint64_t expires; /* ms; 0 = empty */
};

struct auth_users {
	struct user *users;
	size_t n;
	uint8_t key[32]; /* two SipHash keys */
	struct cache_slot cache[AUTH_CACHE_SLOTS];
	uint64_t crypt_calls;
};

/* ---- SipHash-2-4 (Aumasson and Bernstein) -------------------------------------- */

static uint64_t rotl(uint64_t x, int b)
{
	return (x << b) | (x >> (64 - b));
}

static uint64_t le64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

#define SIPROUND                                                                                   \
	do {                                                                                       \
		v0 += v1;                                                                          \
		v1 = rotl(v1, 13);                                                                 \
		v1 ^= v0;                                                                          \
		v0 = rotl(v0, 32);                                                                 \
		v2 += v3;                                                                          \
		v3 = rotl(v3, 16);                                                                 \
		v3 ^= v2;                                                                          \
		v0 += v3;                                                                          \
		v3 = rotl(v3, 21);                                                                 \
		v3 ^= v0;                                                                          \
		v2 += v1;                                                                          \
		v1 = rotl(v1, 17);                                                                 \
		v1 ^= v2;                                                                          \
		v2 = rotl(v2, 32);                                                                 \
	} while (0)

uint64_t auth_siphash24(const uint8_t key[16], const void *data, size_t len)
{
	const uint8_t *p = data;
	uint64_t k0 = le64(key), k1 = le64(key + 8);
	uint64_t v0 = k0 ^ 0x736f6d6570736575ULL, v1 = k1 ^ 0x646f72616e646f6dULL;
	uint64_t v2 = k0 ^ 0x6c7967656e657261ULL, v3 = k1 ^ 0x7465646279746573ULL;
	uint64_t b = (uint64_t)len << 56;
	size_t i;

	for (i = 0; i + 8 <= len; i += 8) {
		uint64_t m = le64(p + i);

		v3 ^= m;
		SIPROUND;
		SIPROUND;
		v0 ^= m;
	}
	for (size_t k = 0; i + k < len; k++)
		b |= (uint64_t)p[i + k] << (8 * k);
	v3 ^= b;
	SIPROUND;
	SIPROUND;
	v0 ^= b;
	v2 ^= 0xff;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	return v0 ^ v1 ^ v2 ^ v3;
}

/* ---- hashes ------------------------------------------------------------------------ */

enum scheme { SC_BCRYPT, SC_SHA256, SC_SHA512, SC_YESCRYPT, SC__COUNT };

static const char *const scheme_name[] = {"bcrypt", "SHA-256 crypt", "SHA-512 crypt", "yescrypt"};

static int is_b64c(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '.' || c == '/';
}

static int all_b64c(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!is_b64c(s[i]))
			return 0;
	return 1;
}

/* The part after the last '$' is the hash proper: its length tells a truncated line. */
static int last_field_is(const char *h, size_t want)
{
	const char *d = strrchr(h, '$');

	return d && strlen(d + 1) == want && all_b64c(d + 1, want);
}

/*
 * Which accepted scheme a hash uses, or -1 with why it is refused.  Only the
 * form is checked here; crypt(3) has the last word in probe().
 */
static int classify(const char *h, char *why, size_t wl)
{
	size_t n = strlen(h);

	if (!strncmp(h, "$2y$", 4) || !strncmp(h, "$2b$", 4) || !strncmp(h, "$2a$", 4)) {
		if (n != 60 || h[4] < '0' || h[4] > '3' || h[5] < '0' || h[5] > '9' ||
		    h[6] != '$' || !all_b64c(h + 7, 53)) {
			snprintf(why, wl, "malformed bcrypt hash (want $2y$NN$ and 53 characters)");
			return -1;
		}
		return SC_BCRYPT;
	}
	if (!strncmp(h, "$5$", 3) || !strncmp(h, "$6$", 3)) {
		int sha512 = h[1] == '6';

		/* "$6$" ["rounds=N$"] salt "$" hash: a salt field must be there */
		if (!last_field_is(h, sha512 ? 86 : 43) || strrchr(h, '$') == h + 2) {
			snprintf(why, wl, "malformed %s hash", sha512 ? "SHA-512" : "SHA-256");
			return -1;
		}
		return sha512 ? SC_SHA512 : SC_SHA256;
	}
	if (!strncmp(h, "$y$", 3)) {
		if (!last_field_is(h, 43)) {
			snprintf(why, wl, "malformed yescrypt hash");
			return -1;
		}
		return SC_YESCRYPT;
	}
	if (!strncmp(h, "$apr1$", 6)) {
		snprintf(why, wl,
		         "Apache MD5 ($apr1$) hashes are refused (fast to crack): "
		         "recreate the entry with \"htpasswd -B\" (bcrypt)");
		return -1;
	}
	if (!strncmp(h, "$1$", 3)) {
		snprintf(why, wl,
		         "MD5-crypt ($1$) hashes are refused (fast to crack): "
		         "recreate the entry with \"htpasswd -B\" (bcrypt)");
		return -1;
	}
	if (!strncasecmp(h, "{SHA}", 5)) {
		snprintf(why, wl,
		         "{SHA} hashes are refused (unsalted SHA-1): recreate the entry "
		         "with \"htpasswd -B\" (bcrypt)");
		return -1;
	}
	if (h[0] == '$') {
		snprintf(why, wl,
		         "unsupported hash scheme \"%.*s\" (accepted: bcrypt $2y$/$2b$, "
		         "SHA-crypt $5$/$6$, yescrypt $y$)",
		         (int)(strchr(h + 1, '$') ? (size_t)(strchr(h + 1, '$') - h) + 1
		               : n > 8            ? 8
		                                  : n),
		         h);
		return -1;
	}
	if (n == 13 && all_b64c(h, 13)) {
		snprintf(why, wl,
		         "DES crypt hashes are refused (8-character passwords, fast to "
		         "crack): recreate the entry with \"htpasswd -B\" (bcrypt)");
		return -1;
	}
	snprintf(why, wl,
	         "this looks like a plain-text password, which is refused: "
	         "create the entry with \"htpasswd -B\" (bcrypt)");
	return -1;
}

/* Can this system's crypt(3) check a hash of this scheme?  Tried on a real one. */
static int probe(struct auth_users *u, const char *hash)
{
	const char *r;

	u->crypt_calls++;
	errno = 0;
	r = crypt("pinfold-probe", hash);
	return r && r[0] == '$' && strncmp(r, hash, 3) == 0;
}

static int ct_equal(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	unsigned char d = 0;

	if (la != lb)
		return 0;
	for (size_t i = 0; i < la; i++)
		d |= (unsigned char)(a[i] ^ b[i]);
	return d == 0;
}

/* ---- the file ---------------------------------------------------------------------- */

static void report(auth_diag_fn diag, void *ctx, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void report(auth_diag_fn diag, void *ctx, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	if (!diag)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	diag(ctx, msg);
}

static char *read_file(const char *path, size_t *len, auth_diag_fn diag, void *ctx)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	size_t n;

	if (!f) {
		report(diag, ctx, "%s: cannot read the password file: %s", path, strerror(errno));
		return NULL;
	}
	buf = malloc(MAX_FILE + 1);
	if (!buf) {
		fclose(f);
		report(diag, ctx, "%s: out of memory", path);
		return NULL;
	}
	n = fread(buf, 1, MAX_FILE + 1, f);
	if (ferror(f) || n > MAX_FILE) {
		report(diag, ctx, "%s: %s", path,
		       n > MAX_FILE ? "larger than 1 MiB: not a password file?" : strerror(errno));
		fclose(f);
		free(buf);
		return NULL;
	}
	fclose(f);
	buf[n] = '\0';
	*len = n;
	return buf;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(((const struct user *)a)->name, ((const struct user *)b)->name);
}

static int add_user(struct auth_users *u, size_t *cap, const char *name, size_t nl,
                    const char *hash, int line)
{
	struct user *e;

	if (u->n == *cap) {
		size_t nc = *cap ? *cap * 2 : 16;
		struct user *g = realloc(u->users, nc * sizeof(*g));

		if (!g)
			return -1;
		u->users = g;
		*cap = nc;
	}
	e = &u->users[u->n];
	e->name = strndup(name, nl);
	e->hash = strdup(hash);
	e->line = line;
	if (!e->name || !e->hash) {
		free(e->name);
		free(e->hash);
		return -1;
	}
	u->n++;
	return 0;
}

/* One "user:hash" line (NUL-terminated, no line end).  0, or -1 after reporting. */
static int parse_line(struct auth_users *u, size_t *cap, const char *path, int line, char *s,
                      int probed[SC__COUNT], auth_diag_fn diag, void *ctx)
{
	char *colon = strchr(s, ':'), why[256];
	size_t nl;
	int sc;

	if (!colon) {
		report(diag, ctx, "%s:%d: expected \"user:hash\", got no colon", path, line);
		return -1;
	}
	nl = (size_t)(colon - s);
	if (nl == 0 || nl > AUTH_MAX_USER) {
		report(diag, ctx, "%s:%d: the user name must be 1-%d bytes", path, line,
		       AUTH_MAX_USER);
		return -1;
	}
	for (size_t i = 0; i < nl; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c <= 0x20 || c == 0x7f) {
			report(diag, ctx,
			       "%s:%d: the user name must not contain spaces or control "
			       "characters",
			       path, line);
			return -1;
		}
	}
	sc = classify(colon + 1, why, sizeof(why));
	if (sc < 0) {
		report(diag, ctx, "%s:%d: user \"%.*s\": %s", path, line, (int)nl, s, why);
		return -1;
	}
	if (!probed[sc]) {
		if (!probe(u, colon + 1)) {
			report(
			    diag, ctx,
			    "%s:%d: user \"%.*s\": this system's crypt(3) cannot check %s hashes "
			    "(or the hash is damaged); use a scheme it supports",
			    path, line, (int)nl, s, scheme_name[sc]);
			return -1;
		}
		probed[sc] = 1;
	}
	if (add_user(u, cap, s, nl, colon + 1, line) < 0) {
		report(diag, ctx, "%s: out of memory", path);
		return -1;
	}
	return 0;
}

struct auth_users *auth_load(const char *path, const uint8_t key[32], auth_diag_fn diag, void *ctx)
{
	struct auth_users *u = calloc(1, sizeof(*u));
	int probed[SC__COUNT] = {0}, errors = 0, line = 0;
	size_t len = 0, cap = 0;
	char *buf = NULL, *s, *next;

	if (!u) {
		report(diag, ctx, "%s: out of memory", path);
		return NULL;
	}
	memcpy(u->key, key, sizeof(u->key));
	buf = read_file(path, &len, diag, ctx);
	if (!buf)
		goto fail;
	if (memchr(buf, '\0', len)) {
		report(diag, ctx, "%s: contains NUL bytes: not a password file", path);
		goto fail;
	}
	for (s = buf; s && *s; s = next) {
		char *end;

		line++;
		next = strchr(s, '\n');
		if (next)
			*next++ = '\0';
		end = s + strlen(s);
		while (end > s && (end[-1] == '\r' || end[-1] == ' ' || end[-1] == '\t'))
			*--end = '\0';
		while (*s == ' ' || *s == '\t')
			s++;
		if (*s == '\0' || *s == '#')
			continue;
		if (parse_line(u, &cap, path, line, s, probed, diag, ctx) < 0)
			errors++;
	}
	if (!errors && u->n == 0) {
		report(diag, ctx, "%s: no users in the password file", path);
		errors++;
	}
	if (!errors && u->n > 1) {
		qsort(u->users, u->n, sizeof(*u->users), by_name);
		for (size_t i = 1; i < u->n; i++)
			if (strcmp(u->users[i - 1].name, u->users[i].name) == 0) {
				int a = u->users[i - 1].line, b = u->users[i].line;

				report(diag, ctx,
				       "%s:%d: user \"%s\" is already defined at line %d", path,
				       a > b ? a : b, u->users[i].name, a < b ? a : b);
				errors++;
			}
	}
	if (errors)
		goto fail;
	free(buf);
	return u;
fail:
	free(buf);
	auth_free(u);
	return NULL;
}

void auth_free(struct auth_users *u)
{
	if (!u)
		return;
	for (size_t i = 0; i < u->n; i++) {
		free(u->users[i].name);
		/* a hash is not a password, but there is no reason to leave it lying around */
		memset(u->users[i].hash, 0, strlen(u->users[i].hash));
		free(u->users[i].hash);
	}
	free(u->users);
	free(u);
}

size_t auth_count(const struct auth_users *u)
{
	return u->n;
}

uint64_t auth_crypt_calls(const struct auth_users *u)
{
	return u->crypt_calls;
}

/* ---- requests ---------------------------------------------------------------------- */

static int b64val(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/* Strict RFC 4648 base64 (padding required); returns the decoded length or -1. */
static long b64decode(const char *s, size_t n, char *out, size_t cap)
{
	size_t o = 0;

	if (n == 0 || n % 4)
		return -1;
	for (size_t i = 0; i < n; i += 4) {
		int v[4], pad = 0;

		for (int k = 0; k < 4; k++) {
			unsigned char c = (unsigned char)s[i + k];

			if (c == '=' && i + 4 == n && k >= 2) {
				v[k] = 0;
				pad++;
				continue;
			}
			if (pad || (v[k] = b64val(c)) < 0)
				return -1;
		}
		if (o + 3 - (size_t)pad > cap)
			return -1;
		out[o++] = (char)(v[0] << 2 | v[1] >> 4);
		if (pad < 2)
			out[o++] = (char)((v[1] & 0xf) << 4 | v[2] >> 2);
		if (pad < 1)
			out[o++] = (char)((v[2] & 0x3) << 6 | v[3]);
	}
	return (long)o;
}

int auth_parse_basic(const char *value, size_t len, char *buf, size_t cap, const char **user,
                     const char **pass)
{
	size_t i = 5;
	long n;
	char *colon;

	if (len < 6 || strncasecmp(value, "Basic", 5) != 0 || (value[5] != ' ' && value[5] != '\t'))
		return -1;
	while (i < len && (value[i] == ' ' || value[i] == '\t'))
		i++;
	if (cap < 2)
		return -1;
	n = b64decode(value + i, len - i, buf, cap - 1);
	if (n < 0)
		return -1;
	buf[n] = '\0';
	for (long k = 0; k < n; k++) {
		unsigned char c = (unsigned char)buf[k];

		if (c < 0x20 || c == 0x7f)
			return -1;
	}
	colon = strchr(buf, ':');
	if (!colon || colon == buf)
		return -1;
	*colon = '\0';
	*user = buf;
	*pass = colon + 1;
	return 0;
}

static void tag_of(const struct auth_users *u, const char *user, const char *pass, uint64_t tag[2])
{
	char cred[AUTH_MAX_USER + 1 + AUTH_MAX_CRED];
	size_t ul = strlen(user), pl = strlen(pass);

	if (ul > AUTH_MAX_USER)
		ul = AUTH_MAX_USER;
	if (pl > AUTH_MAX_CRED)
		pl = AUTH_MAX_CRED;
	memcpy(cred, user, ul);
	cred[ul] = '\0';
	memcpy(cred + ul + 1, pass, pl);
	tag[0] = auth_siphash24(u->key, cred, ul + 1 + pl);
	tag[1] = auth_siphash24(u->key + 16, cred, ul + 1 + pl);
	memset(cred, 0, sizeof(cred));
}

static const struct user *find_user(const struct auth_users *u, const char *name)
{
	struct user k;

	k.name = (char *)name;
	return bsearch(&k, u->users, u->n, sizeof(*u->users), by_name);
}

int auth_verify(struct auth_users *u, const char *user, const char *pass, uint64_t now)
{
	const struct user *e;
	struct cache_slot *slot = &u->cache[0];
	uint64_t tag[2];
	const char *r;
	int ok;

	if (strlen(user) > AUTH_MAX_USER || strlen(pass) > AUTH_MAX_CRED)
		return 0;
	tag_of(u, user, pass, tag);
	for (int i = 0; i < AUTH_CACHE_SLOTS; i++) {
		struct cache_slot *c = &u->cache[i];

		if (c->expires > now && c->tag[0] == tag[0] && c->tag[1] == tag[1])
			return 1;
		/* the slot to fill if this one is a miss: empty or expiring first */
		if (c->expires < slot->expires)
			slot = c;
	}
	e = find_user(u, user);
	u->crypt_calls++;
	/* an unknown user still pays for one hash, against the first user's */
	r = crypt(pass, e ? e->hash : u->users[0].hash);
	ok = e && r && ct_equal(r, e->hash);
	if (ok) {
		slot->tag[0] = tag[0];
		slot->tag[1] = tag[1];
		slot->expires = now + AUTH_CACHE_TTL_MS;
	}
	return ok;
}
