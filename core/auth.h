/*
 * auth.h - HTTP Basic authentication against an htpasswd file (Pound's
 * BasicAuth condition).
 *
 * Only slow, salted hashes are accepted: bcrypt ($2y$, $2b$, $2a$), SHA-crypt
 * ($5$, $6$) and yescrypt ($y$), all checked through the system's crypt(3).
 * Plain text, DES crypt, MD5 ($1$, Apache $apr1$) and {SHA} are refused when
 * the file is loaded, with the line and the htpasswd option that makes a good
 * hash instead, and so is any hash this system's crypt(3) cannot check.
 *
 * A slow hash costs tens of milliseconds in a single-threaded proxy, and a
 * browser sends the same credentials with every request, so a successful
 * check is remembered for a few minutes under a keyed hash of user and
 * password (SipHash with a random key): the password itself is never kept.
 */
#ifndef PINFOLD_AUTH_H
#define PINFOLD_AUTH_H

#include <stddef.h>
#include <stdint.h>

#include "buildopts.h"

#define AUTH_MAX_USER     64  /* longer names are refused in the file and never match */
#define AUTH_MAX_CRED     512 /* decoded "user:password" longer than this never matches */
#define AUTH_CACHE_SLOTS  32
#define AUTH_CACHE_TTL_MS (300 * 1000)

struct auth_users;

/* One diagnostic line ("FILE:LINE: what is wrong"); the loader goes on to the next line. */
typedef void (*auth_diag_fn)(void *ctx, const char *msg);

#if PINFOLD_BASICAUTH
/*
 * Read an htpasswd file.  NULL when it cannot be read or any line is refused;
 * each problem is reported through diag.  `key` (random, 32 bytes) keys the
 * cache of successful checks.
 */
struct auth_users *auth_load(const char *path, const uint8_t key[32], auth_diag_fn diag, void *ctx);
void auth_free(struct auth_users *u);
size_t auth_count(const struct auth_users *u);

/*
 * An Authorization header value "Basic <base64>": decode into buf (cap bytes)
 * and point *user and *pass into it.  0, or -1 when it is another scheme or
 * malformed (bad base64, no colon, too long, control characters).
 */
int auth_parse_basic(const char *value, size_t len, char *buf, size_t cap, const char **user,
                     const char **pass);

/*
 * Is this the user's password?  1 yes, 0 no (unknown users cost a hash check
 * too, so timing does not tell which names exist).  `now` is monotonic ms,
 * for the cache of recent successes.
 */
int auth_verify(struct auth_users *u, const char *user, const char *pass, uint64_t now);

/* SipHash-2-4 of data under a 16-byte key (exposed for its test vectors). */
uint64_t auth_siphash24(const uint8_t key[16], const void *data, size_t len);

/* Times crypt(3) ran, for tests of the cache. */
uint64_t auth_crypt_calls(const struct auth_users *u);
#else
/*
 * Built without it (PINFOLD_BASICAUTH=OFF, no crypt(3)): the parser refuses BasicAuth,
 * so there is no password file to load and no credentials to check.
 */
static inline struct auth_users *auth_load(const char *path, const uint8_t key[32],
                                           auth_diag_fn diag, void *ctx)
{
	return NULL;
}
static inline void auth_free(struct auth_users *u)
{
}
static inline int auth_parse_basic(const char *value, size_t len, char *buf, size_t cap,
                                   const char **user, const char **pass)
{
	return -1;
}
static inline int auth_verify(struct auth_users *u, const char *user, const char *pass,
                              uint64_t now)
{
	return 0;
}
#endif

#endif
