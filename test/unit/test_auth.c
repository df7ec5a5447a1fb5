/*
 * test_auth.c - BasicAuth: SipHash test vectors, Basic header decoding,
 * htpasswd loading (every accepted scheme checked through the real crypt(3),
 * every refused one reported at its line with the fix), and the cache of
 * recent successes (hits skip crypt, misses and expiry do not).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <crypt.h>

#include "auth.h"

/* "secret" under each accepted scheme (low costs, so the test runs fast). */
#define H_BCRYPT_2Y "$2y$05$abcdefghijklmnopqrstuuOQiyCxlgf/oeuTqixKmWdcYUh4Hjl0a"
#define H_BCRYPT_2B "$2b$05$abcdefghijklmnopqrstuuOQiyCxlgf/oeuTqixKmWdcYUh4Hjl0a"
#define H_SHA256    "$5$rounds=1000$saltsalt$eKLZU9t9OoPWrqOQsoTIKG0aYkZ5rGOoOQhiIvoSWX2"
#define H_SHA512                                                                                   \
	"$6$rounds=1000$saltsalt$LAV5VE5Y7w1d73x1mFNspYWUpazfmwv2SoepNXNKJ/otop/"                  \
	"Zok96Hr8Q13LEv0DRY/"                                                                      \
	"x8v0/crpIjl8NJSAqXV/"
#define H_YESCRYPT "$y$j9T$Q6AuptdcS.0NMpT8TcdSN/$K9sURIDgmsZX5wEHYapEj0hFIf16aSqt3WwDliWkNK0"

static const uint8_t key[32] = {1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 12, 13, 14, 15, 16,
                                17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32};
static char dir[64];
static char diags[8192];
static int ndiags;

static void collect(void *ctx, const char *msg)
{
	size_t l = strlen(diags);

	snprintf(diags + l, sizeof(diags) - l, "%s\n", msg);
	ndiags++;
}

static const char *write_htpasswd(const char *name, const char *text)
{
	static char path[PATH_MAX];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	return path;
}

static struct auth_users *load(const char *name, const char *text)
{
	diags[0] = '\0';
	ndiags = 0;
	return auth_load(write_htpasswd(name, text), key, collect, NULL);
}

/* Loading fails with exactly one diagnostic "PATH:LINE: ...frag...". */
static void refused(const char *text, int line, const char *frag)
{
	char want[PATH_MAX + 32];
	struct auth_users *u = load("bad", text);

	assert_null(u);
	snprintf(want, sizeof(want), "%s/bad:%d: ", dir, line);
	if (ndiags != 1 || strncmp(diags, want, strlen(want)) != 0 || !strstr(diags, frag))
		fail_msg("want one \"%s...%s\", got %d:\n%s", want, frag, ndiags, diags);
}

static void test_siphash_vectors(void **state)
{
	/* the reference vectors: key 00..0f, message 00..(n-1) */
	static const struct {
		size_t n;
		uint64_t want;
	} v[] = {{0, 0x726fdb47dd0e0e31ULL},  {1, 0x74f839c593dc67fdULL},
	         {7, 0xab0200f58b01d137ULL},  {8, 0x93f5f5799a932462ULL},
	         {15, 0xa129ca6149be45e5ULL}, {63, 0x958a324ceb064572ULL}};
	uint8_t k[16], msg[64];

	for (int i = 0; i < 16; i++)
		k[i] = (uint8_t)i;
	for (int i = 0; i < 64; i++)
		msg[i] = (uint8_t)i;
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		assert_true(auth_siphash24(k, msg, v[i].n) == v[i].want);
}

static void test_parse_basic(void **state)
{
	char buf[AUTH_MAX_CRED + 1];
	const char *u, *p;
	static const char *const bad[] = {
	    "Bearer abc.def.ghi",
	    "Basic",
	    "Basic ",
	    "Basicdm9vOmJhcg==",
	    "Basic dm9vOmJhcg",
	    "Basic dm9v$mJhcg==",
	    "Basic Zm9v",     /* "foo": no colon */
	    "Basic OmJhcg==", /* ":bar": no user */
	    "Basic dQp4OnA=", /* "u\nx:p": a control character */
	    "Basic dm9vOmJhcg===",
	    "Basic =m9vOmJhcg=",
	    "Digest username=\"x\"",
	};

	assert_int_equal(auth_parse_basic("Basic dm9vOmJhcg==", 18, buf, sizeof(buf), &u, &p), 0);
	assert_string_equal(u, "voo");
	assert_string_equal(p, "bar");
	/* scheme case-insensitive, several spaces, colons in the password */
	assert_int_equal(auth_parse_basic("bASIC   dTpwOmE6Yg==", 20, buf, sizeof(buf), &u, &p), 0);
	assert_string_equal(u, "u");
	assert_string_equal(p, "p:a:b");
	/* an empty password is a password */
	assert_int_equal(auth_parse_basic("Basic dTo=", 10, buf, sizeof(buf), &u, &p), 0);
	assert_string_equal(p, "");
	/* UTF-8 is fine */
	assert_int_equal(auth_parse_basic("Basic w6Q6w7Y=", 14, buf, sizeof(buf), &u, &p), 0);
	assert_string_equal(u, "\xc3\xa4");
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (auth_parse_basic(bad[i], strlen(bad[i]), buf, sizeof(buf), &u, &p) == 0)
			fail_msg("\"%s\" was accepted", bad[i]);
	/* does not fit */
	assert_int_equal(auth_parse_basic("Basic dm9vOmJhcg==", 18, buf, 4, &u, &p), -1);
}

/* Does this system's crypt(3) check this hash (of "secret")? */
static int supported(const char *hash)
{
	const char *r = crypt("secret", hash);

	return r && strcmp(r, hash) == 0;
}

static void test_every_accepted_scheme(void **state)
{
	static const struct {
		const char *user, *hash;
	} all[] = {{"alice", H_BCRYPT_2Y}, {"bob", H_BCRYPT_2B}, {"carol", H_SHA256},
		   {"dave", H_SHA512},     {"erin", H_YESCRYPT}};
	char text[2048] = "# pinfold users\n\n";
	struct auth_users *u;
	size_t n = 0;

	/* Debian's libxcrypt checks them all; another libc (musl, a trimmed libxcrypt) may not */
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		size_t l = strlen(text);

		if (supported(all[i].hash)) {
			snprintf(text + l, sizeof(text) - l, "%s%s:%s%s\n", n % 2 ? "  " : "",
				 all[i].user, all[i].hash, n % 2 ? "\r" : "");
			n++;
			continue;
		}
		/* a scheme this crypt(3) lacks is refused when the file is loaded */
		{
			char line[256];

			snprintf(line, sizeof(line), "%s:%s\n", all[i].user, all[i].hash);
			refused(line, 1, "this system's crypt(3) cannot check");
			print_message("crypt(3) here cannot check %.4s hashes: refused, as it should\n",
				      all[i].hash);
		}
	}
	assert_true(n >= 2); /* SHA-crypt is everywhere */
	u = load("good", text);
	if (!u)
		fail_msg("%s", diags);
	assert_int_equal(auth_count(u), n);
	assert_int_equal(ndiags, 0);
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		if (supported(all[i].hash))
			assert_true(auth_verify(u, all[i].user, "secret", 0));
	assert_false(auth_verify(u, "carol", "Secret", 0));
	assert_false(auth_verify(u, "carol", "", 0));
	assert_false(auth_verify(u, "mallory", "secret", 0));
	assert_false(auth_verify(u, "Carol", "secret", 0));
	auth_free(u);
}

static void test_cache(void **state)
{
	struct auth_users *u = load("cache", "alice:" H_SHA512 "\nbob:" H_SHA256 "\n");
	uint64_t calls;

	assert_non_null(u);
	calls = auth_crypt_calls(u);
	assert_true(auth_verify(u, "alice", "secret", 1000));
	assert_int_equal(auth_crypt_calls(u), calls + 1);
	/* the same credentials again: no crypt */
	for (int i = 0; i < 50; i++)
		assert_true(auth_verify(u, "alice", "secret", 1000 + (uint64_t)i));
	assert_int_equal(auth_crypt_calls(u), calls + 1);
	/* a wrong password is never served from the cache */
	assert_false(auth_verify(u, "alice", "secret2", 2000));
	assert_false(auth_verify(u, "alice", "secret2", 2000));
	assert_int_equal(auth_crypt_calls(u), calls + 3);
	/* another user's right password is not alice's */
	assert_true(auth_verify(u, "alice", "secret", 1000));
	assert_true(auth_verify(u, "bob", "secret", 3000));
	assert_int_equal(auth_crypt_calls(u), calls + 4);
	/* after the TTL it is checked again */
	assert_true(auth_verify(u, "alice", "secret", 1000 + AUTH_CACHE_TTL_MS + 1));
	assert_int_equal(auth_crypt_calls(u), calls + 5);
	/* more users than slots: still correct, the cache just forgets */
	for (int i = 0; i < AUTH_CACHE_SLOTS * 3; i++)
		assert_false(auth_verify(u, "nobody", "x", 5000));
	assert_true(auth_verify(u, "bob", "secret", 6000));
	auth_free(u);
}

static void test_refused_hashes(void **state)
{
	refused("a:secret\n", 1,
	        "user \"a\": this looks like a plain-text password, which is "
	        "refused: create the entry with \"htpasswd -B\" (bcrypt)");
	refused("# c\na:abJnggxhB/yWI\n", 2, "user \"a\": DES crypt hashes are refused");
	refused("a:$1$saltsalt$qjXMvbEw8oaL.CzflDugX/\n", 1,
	        "MD5-crypt ($1$) hashes are refused (fast to crack): recreate the entry with "
	        "\"htpasswd -B\" (bcrypt)");
	refused("a:$apr1$MV9lCWTH$ymWjppnWbKE7YeeG5yIqv1\n", 1,
	        "Apache MD5 ($apr1$) hashes are refused (fast to crack)");
	refused("a:{SHA}5en6G6MezRroT3XKqkdPOmY/BfQ=\n", 1,
	        "{SHA} hashes are refused (unsalted SHA-1)");
	refused("a:$argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$abc\n", 1,
	        "unsupported hash scheme \"$argon2id$\"");
	refused("a:$2y$05$abcdefghijklmnopqrstuuOQiyCxlgf/oeuTqixKmWdcYU\n", 1,
	        "malformed bcrypt hash");
	refused("a:$5$saltsalt$eKLZU9t9OoPWrqOQ\n", 1, "malformed SHA-256 hash");
	refused("a:$6$" H_SHA256 "\n", 1, "malformed SHA-512 hash");
	refused("a:$y$j9T$Q6AuptdcS.0NMpT8TcdSN/$K9sURIDg\n", 1, "malformed yescrypt hash");
	refused("no colon here\n", 1, "expected \"user:hash\", got no colon");
	refused(":" H_BCRYPT_2Y "\n", 1, "the user name must be 1-64 bytes");
	refused("a b:" H_BCRYPT_2Y "\n", 1,
	        "the user name must not contain spaces or control characters");
	refused("a:" H_SHA256 "\nb:" H_SHA256 "\na:" H_SHA512 "\n", 3,
	        "user \"a\" is already defined at line 1");
}

static void test_file_problems(void **state)
{
	struct auth_users *u;
	char want[PATH_MAX + 64];

	/* every bad line is reported, not only the first */
	u = load("many", "a:plain\nb:" H_SHA256 "\nc:$1$x$y\nd:{SHA}x\n");
	assert_null(u);
	assert_int_equal(ndiags, 3);
	snprintf(want, sizeof(want), "%s/many:3: user \"c\"", dir);
	assert_non_null(strstr(diags, want));

	u = load("empty", "# nobody here yet\n\n");
	assert_null(u);
	assert_non_null(strstr(diags, "no users in the password file"));

	diags[0] = '\0';
	ndiags = 0;
	u = auth_load("/nonexistent/pinfold-users", key, collect, NULL);
	assert_null(u);
	assert_non_null(
	    strstr(diags, "/nonexistent/pinfold-users: cannot read the password file: "));

	{
		const char *p = write_htpasswd("nul", "a:");
		FILE *f = fopen(p, "ab");

		fwrite("\0x\n", 1, 3, f);
		fclose(f);
		diags[0] = '\0';
		u = auth_load(p, key, collect, NULL);
		assert_null(u);
		assert_non_null(strstr(diags, "contains NUL bytes"));
	}
	/* a NULL diag callback is allowed */
	assert_null(auth_load("/nonexistent/x", key, NULL, NULL));
}

static void test_long_inputs(void **state)
{
	struct auth_users *u = load("long", "alice:" H_SHA256 "\n");
	char big[AUTH_MAX_CRED + 100];

	assert_non_null(u);
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_false(auth_verify(u, big, "secret", 0));
	assert_false(auth_verify(u, "alice", big, 0));
	auth_free(u);
}

static int setup(void **state)
{
	snprintf(dir, sizeof(dir), "/tmp/pinfold_test_auth_XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	static const char *const names[] = {"good", "cache", "bad", "many", "empty", "nul", "long"};
	char p[PATH_MAX];

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(p, sizeof(p), "%s/%s", dir, names[i]);
		unlink(p);
	}
	return rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_siphash_vectors),       cmocka_unit_test(test_parse_basic),
	    cmocka_unit_test(test_every_accepted_scheme), cmocka_unit_test(test_cache),
	    cmocka_unit_test(test_refused_hashes),        cmocka_unit_test(test_file_problems),
	    cmocka_unit_test(test_long_inputs),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
