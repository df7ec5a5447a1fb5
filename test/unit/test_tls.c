/*
 * test_tls.c - the TLS shim (core/tls.h) with real handshakes.
 *
 * Keys and certificates are made at test time with the openssl tool, in a
 * temporary directory that is removed afterwards: nothing secret-looking sits
 * in the tree.  Our server and client contexts talk to each other over
 * non-blocking socketpair()s, driven by a bounded loop that alternates the
 * two sides the way the poll loop will; then each side talks to a real
 * external peer (openssl s_server / s_client on 127.0.0.1).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include "slow.h"
#include "tls.h"

extern char **environ;

#define HA_CIPHERS "ALL:!RC4:!ECDH:!DH" /* the Home Assistant docs' string */

/* The suite names differ by library ("TLS-ECDHE-RSA-WITH-AES-128-GCM-SHA256" in mbedTLS,
 * "ECDHE-RSA-AES128-GCM-SHA256" in OpenSSL); the properties tested do not. */
static int openssl(void)
{
	return strcmp(tls_backend_name(), "OpenSSL") == 0;
}
#define NAME(mbed, ossl) (openssl() ? (ossl) : (mbed))

/* Every suite in a ':'-list is forward secret (ECDHE/DHE) and an AEAD with a full tag. */
static void assert_all_floor(const char *list)
{
	char copy[4096], *save = NULL, *n;

	snprintf(copy, sizeof(copy), "%s", list);
	for (n = strtok_r(copy, ":", &save); n != NULL; n = strtok_r(NULL, ":", &save)) {
		if (openssl())
			assert_true(strncmp(n, "ECDHE-", 6) == 0 || strncmp(n, "DHE-", 4) == 0);
		else
			assert_true(strncmp(n, "TLS-ECDHE-", 10) == 0 ||
			            strncmp(n, "TLS-DHE-", 8) == 0);
		assert_true(strstr(n, "GCM") || strstr(n, "CHACHA20") || strstr(n, "CCM"));
		assert_null(strstr(n, "CCM8"));
		assert_null(strstr(n, "CCM-8"));
		assert_null(strstr(n, "CBC"));
		assert_null(strstr(n, "NULL"));
	}
}

static char dir[64];

/* A path in the temporary directory; the same name gives the same, lasting pointer. */
static const char *P(const char *name)
{
	static char paths[64][256];
	static size_t used;
	size_t i, dlen = strlen(dir);

	for (i = 0; i < used; i++)
		if (strcmp(paths[i] + dlen + 1, name) == 0)
			return paths[i];
	assert_true(used < 64);
	snprintf(paths[used], sizeof(paths[0]), "%s/%s", dir, name);
	return paths[used++];
}

/* ---- fixtures -------------------------------------------------------------------- */

static const char gen_script[] =
    "set -e\n"
    "cd \"$1\"\n"
    "o() { openssl \"$@\" >>gen.log 2>&1; }\n"
    "ca() { o ecparam -name prime256v1 -genkey -noout -out $1.key\n"
    "       o req -x509 -new -key $1.key -subj \"/CN=$2\" -days 2 -out $1.crt; }\n"
    /* leaf NAME KEY CA SAN */
    "leaf() { o req -new -key $2 -subj \"/CN=$1\" -addext \"subjectAltName=$4\" -out $1.csr\n"
    "         o x509 -req -in $1.csr -CA $3.crt -CAkey $3.key -CAcreateserial -days 2 \\\n"
    "           -copy_extensions copy -out $1.crt; }\n"
    "ca ca 'pinfold test CA'\n"
    "ca wrongca 'pinfold wrong CA'\n"
    "ca clientca 'pinfold client CA'\n"
    /* SEC1 EC key (openssl ecparam), the default certificate */
    "o ecparam -name prime256v1 -genkey -noout -out ha.key\n"
    "leaf ha.test ha.key ca DNS:ha.test\n"
    "cat ha.key ha.test.crt ca.crt >ecdsa.pem\n"
    /* PKCS#8 EC key, a second name and a wildcard */
    "o genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out other.key\n"
    "leaf other.test other.key ca 'DNS:other.test,DNS:*.wild.test,DNS:both.test'\n"
    "cat other.test.crt ca.crt other.key >other.pem\n"
    /* RSA-2048 */
    "o genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out rsa.key\n"
    "leaf rsa.test rsa.key ca 'DNS:rsa.test,DNS:both.test'\n"
    "cat rsa.key rsa.test.crt >rsa.pem\n"
    /* client certificates: a good one and one from a CA the server does not trust */
    "o ecparam -name prime256v1 -genkey -noout -out alice.key\n"
    "leaf alice alice.key clientca email:alice@home.test\n"
    "cat alice.key alice.crt >alice.pem\n"
    "o ecparam -name prime256v1 -genkey -noout -out mallory.key\n"
    "leaf mallory mallory.key wrongca email:mallory@evil.test\n"
    "cat mallory.key mallory.crt >mallory.pem\n"
    /* broken ones */
    "printf -- '-----BEGIN CERTIFICATE-----\\nbm90IGEgY2VydA==\\n-----END CERTIFICATE-----\\n'"
    " >broken.pem\n"
    "cat ha.key >>broken.pem\n"
    "cp ha.test.crt nokey.pem\n"
    "cat other.key ha.test.crt >mismatch.pem\n";

static int group_setup(void **state)
{
	char cmd[512];
	FILE *f;

	(void)state;
	signal(SIGPIPE, SIG_IGN);
	snprintf(dir, sizeof(dir), "/tmp/pinfold-tls.XXXXXX");
	if (mkdtemp(dir) == NULL)
		return -1;
	f = fopen(P("gen.sh"), "w");
	if (f == NULL)
		return -1;
	fputs(gen_script, f);
	fclose(f);
	snprintf(cmd, sizeof(cmd), "sh %.255s %.63s", P("gen.sh"), dir);
	if (system(cmd) != 0) {
		fprintf(stderr, "making test certificates failed (is openssl installed?); see %s\n",
		        P("gen.log"));
		return -1;
	}
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	tls_exit();
	if (dir[0] != '\0' && getenv("PINFOLD_KEEP_TMP") == NULL) {
		char cmd[512];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		if (system(cmd) != 0)
			return -1;
	}
	return 0;
}

/* ---- contexts for the tests --------------------------------------------------------- */

static struct tls_ctx *server(const char *const *certs, size_t n, const char *ciphers, int max)
{
	struct tls_server_opts o = {
	    .certs = certs, .ncerts = n, .ciphers = ciphers, .max_version = max};
	char err[256];
	struct tls_ctx *ctx = tls_server_ctx_new(&o, err, sizeof(err));

	if (ctx == NULL)
		print_error("server ctx: %s\n", err);
	assert_non_null(ctx);
	return ctx;
}

static struct tls_ctx *server_mtls(enum tls_verify v)
{
	const char *certs[] = {P("ecdsa.pem")};
	struct tls_server_opts o = {
	    .certs = certs, .ncerts = 1, .client_ca = P("clientca.crt"), .verify = v};
	char err[256];
	struct tls_ctx *ctx = tls_server_ctx_new(&o, err, sizeof(err));

	if (ctx == NULL)
		print_error("server ctx: %s\n", err);
	assert_non_null(ctx);
	return ctx;
}

static struct tls_ctx *client(const char *ca, const char *cert, const char *ciphers, int max)
{
	struct tls_client_opts o = {.ca_file = ca,
	                            .verify = ca != NULL,
	                            .cert = cert,
	                            .ciphers = ciphers,
	                            .max_version = max};
	char err[256];
	struct tls_ctx *ctx = tls_client_ctx_new(&o, err, sizeof(err));

	if (ctx == NULL)
		print_error("client ctx: %s\n", err);
	assert_non_null(ctx);
	return ctx;
}

/* ---- a server and a client over a socketpair ------------------------------------------ */

struct pair {
	int fd[2]; /* [0] server, [1] client */
	struct tls_conn *s, *c;
	int rs, rc; /* how each side's handshake ended */
};

static void nonblock(int fd)
{
	assert_int_equal(fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK), 0);
}

static void pair_open(struct pair *p, struct tls_ctx *sctx, struct tls_ctx *cctx, const char *name)
{
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, p->fd), 0);
	nonblock(p->fd[0]);
	nonblock(p->fd[1]);
	p->s = tls_new_server(sctx, p->fd[0]);
	p->c = tls_new_client(cctx, p->fd[1], name);
	assert_non_null(p->s);
	assert_non_null(p->c);
}

static int finished(int r)
{
	return r == TLS_OK || r == TLS_ERR || r == TLS_EOF;
}

/*
 * Alternate the two sides until both have finished.  A side that fails stops writing,
 * so the other sees its alert or the end of the stream rather than waiting forever.
 * Returns 0 when both completed.
 */
static int pair_handshake(struct pair *p)
{
	int i;

	p->rs = p->rc = TLS_WANT_READ;
	for (i = 0; i < 1000 && !(finished(p->rs) && finished(p->rc)); i++) {
		if (!finished(p->rc)) {
			p->rc = tls_handshake(p->c);
			if (p->rc == TLS_ERR || p->rc == TLS_EOF)
				shutdown(p->fd[1], SHUT_WR);
		}
		if (!finished(p->rs)) {
			p->rs = tls_handshake(p->s);
			if (p->rs == TLS_ERR || p->rs == TLS_EOF)
				shutdown(p->fd[0], SHUT_WR);
		}
	}
	return p->rs == TLS_OK && p->rc == TLS_OK ? 0 : -1;
}

static void pair_close(struct pair *p)
{
	tls_free(p->s);
	tls_free(p->c);
	close(p->fd[0]);
	close(p->fd[1]);
}

/* Send len bytes from one side and receive them on the other, both non-blocking. */
static void pair_send(struct tls_conn *from, struct tls_conn *to, const char *msg, size_t len)
{
	char *got = malloc(len + 1);
	size_t sent = 0, recvd = 0;
	int i;

	assert_non_null(got);
	for (i = 0; i < 100000 && recvd < len; i++) {
		if (sent < len) {
			ssize_t w = tls_write(from, msg + sent, len - sent);

			if (w > 0)
				sent += (size_t)w;
			else
				assert_true(w == TLS_WANT_WRITE || w == TLS_WANT_READ);
		}
		ssize_t r = tls_read(to, got + recvd, len - recvd);
		if (r > 0)
			recvd += (size_t)r;
		else
			assert_true(r == TLS_WANT_READ || r == TLS_WANT_WRITE);
	}
	assert_int_equal(recvd, len);
	assert_memory_equal(got, msg, len);
	free(got);
}

static void expect_handshake_ok(struct pair *p)
{
	if (pair_handshake(p) != 0) {
		char e1[200], e2[200];

		print_error("handshake: server %d (%s), client %d (%s)\n", p->rs,
		            tls_strerror(p->s, e1, sizeof(e1)), p->rc,
		            tls_strerror(p->c, e2, sizeof(e2)));
	}
	assert_int_equal(p->rs, TLS_OK);
	assert_int_equal(p->rc, TLS_OK);
}

/*
 * The handshake must fail on the server.  In TLS 1.3 the client may already count
 * itself done when the server rejects its certificate; then its first read fails.
 */
static void expect_server_rejects(struct pair *p, char *why, size_t whylen)
{
	assert_int_not_equal(pair_handshake(p), 0);
	assert_int_not_equal(p->rs, TLS_OK);
	tls_strerror(p->s, why, whylen);
	if (p->rc == TLS_OK) {
		char buf[16];
		ssize_t r = TLS_WANT_READ;
		int i;

		for (i = 0; i < 100 && (r == TLS_WANT_READ || r == TLS_WANT_WRITE); i++)
			r = tls_read(p->c, buf, sizeof(buf));
		assert_true(r == TLS_ERR || r == TLS_EOF);
	}
}

/* ---- tests ---------------------------------------------------------------------- */

static void test_backend(void **state)
{
	char err[128];

	(void)state;
	if (openssl())
		assert_true(tls_backend_version()[0] == '1' || tls_backend_version()[0] == '3');
	else
		assert_true(tls_backend_version()[0] == '2' || tls_backend_version()[0] == '3');
	assert_true(tls_max_version() == TLS_V1_2 || tls_max_version() == TLS_V1_3);
	assert_int_equal(tls_init(err, sizeof(err)), 0);
	assert_int_equal(tls_init(err, sizeof(err)), 0); /* twice is fine */
	print_message("backend: %s %s, up to TLS 1.%d\n", tls_backend_name(), tls_backend_version(),
	              (tls_max_version() & 0xff) - 1);
}

static int cipher_count(const char *s, char *buf, size_t len)
{
	return tls_cipher_check(s, buf, len);
}

static void test_cipher_strings(void **state)
{
	char buf[4096];
	int all, def, n;

	(void)state;
	all = cipher_count("ALL", buf, sizeof(buf));
	assert_true(all > 0);
	assert_all_floor(buf); /* no static RSA, no CBC, no NULL, no short tags */

	/* The Home Assistant string keeps every ECDHE suite, ECDSA ones included. */
	n = cipher_count(HA_CIPHERS, buf, sizeof(buf));
	assert_int_equal(n, all);
	assert_non_null(strstr(
	    buf, NAME("TLS-ECDHE-ECDSA-WITH-AES-128-GCM-SHA256", "ECDHE-ECDSA-AES128-GCM-SHA256")));
	print_message("\"%s\" -> %d suites: %s\n", HA_CIPHERS, n, buf);

	/* No string means DEFAULT; OpenSSL's DEFAULT leaves out ARIA and CCM, ours doesn't. */
	def = cipher_count(NULL, buf, sizeof(buf));
	assert_true(def > 0 && def <= all);
	assert_all_floor(buf);
	if (!openssl())
		assert_int_equal(def, all);
	assert_int_equal(cipher_count("DEFAULT", buf, sizeof(buf)), def);
	assert_int_equal(cipher_count("", buf, sizeof(buf)), def);
	assert_int_equal(cipher_count(" : ", buf, sizeof(buf)), def);
	assert_int_equal(cipher_count("HIGH:!aNULL:!MD5:!3DES:!CBC:!SHA1:!RC4", buf, sizeof(buf)),
	                 all);

	/* Only ECDHE + AES-GCM. */
	n = cipher_count("ECDHE+AESGCM", buf, sizeof(buf));
	assert_true(n >= 4);
	assert_null(strstr(buf, NAME("TLS-DHE-RSA", ":DHE-RSA")));
	assert_false(strncmp(buf, "DHE-", 4) == 0);
	assert_null(strstr(buf, "CHACHA"));
	/* Positive ECDH / DH mean the ephemeral ones, as in OpenSSL. */
	assert_true(cipher_count("ECDH+AESGCM:DH+AESGCM", buf, sizeof(buf)) > n);
	/* "ECDHE+RSA" means RSA authentication. */
	n = cipher_count("ECDHE+RSA", buf, sizeof(buf));
	assert_true(n > 0);
	assert_null(strstr(buf, "ECDSA"));
	/* but "RSA" alone is OpenSSL's kRSA, which we never offer */
	assert_int_equal(cipher_count("RSA", buf, sizeof(buf)), 0);
	assert_int_equal(cipher_count("HIGH:!RSA", buf, sizeof(buf)), all);
	n = cipher_count("ALL:!aRSA", buf, sizeof(buf));
	assert_true(n > 0 && n < all);
	assert_null(strstr(buf, "-RSA-"));

	/* Nothing forward secret left: a count of 0, which the config check warns about. */
	assert_int_equal(cipher_count("kRSA:AES128-SHA:RC4-SHA", buf, sizeof(buf)), 0);
	assert_int_equal(cipher_count("ALL:!ECDHE:!DHE", buf, sizeof(buf)), 0);
	assert_int_equal(
	    cipher_count("ALL:!AESGCM:!CHACHA20:!AESCCM:!CAMELLIA:!ARIA", buf, sizeof(buf)), 0);
	assert_int_equal(cipher_count("TLS_AES_128_GCM_SHA256", buf, sizeof(buf)), 0);

	/* Single suites by OpenSSL, mbedTLS and IANA name. */
	assert_int_equal(cipher_count("ECDHE-RSA-AES128-GCM-SHA256", buf, sizeof(buf)), 1);
	assert_string_equal(
	    buf, NAME("TLS-ECDHE-RSA-WITH-AES-128-GCM-SHA256", "ECDHE-RSA-AES128-GCM-SHA256"));
	/* the library's own name for a suite (mbedTLS's dashes are not OpenSSL's) */
	assert_int_equal(cipher_count(NAME("TLS-ECDHE-ECDSA-WITH-AES-256-GCM-SHA384",
	                                   "ECDHE-ECDSA-AES256-GCM-SHA384"),
	                              buf, sizeof(buf)),
	                 1);
	assert_int_equal(
	    cipher_count("TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256", buf, sizeof(buf)), 1);
	assert_int_equal(cipher_count("EDH-RSA-DES-CBC3-SHA", buf, sizeof(buf)), 0);

	/* Order: '+' moves to the end, '-' removes for now, @STRENGTH sorts. */
	n = cipher_count("ECDHE+AES128+AESGCM:ECDHE+AES256+AESGCM:@STRENGTH", buf, sizeof(buf));
	assert_true(n >= 4);
	assert_non_null(strstr(buf, NAME("AES-256", "AES256")));
	assert_true(strstr(buf, NAME("AES-256", "AES256")) <
	            strstr(buf, NAME("AES-128", "AES128")));
	n = cipher_count("ECDHE+AESGCM:+AES128", buf, sizeof(buf));
	assert_true(strstr(buf, NAME("AES-256", "AES256")) <
	            strstr(buf, NAME("AES-128", "AES128")));
	assert_int_equal(cipher_count("ECDHE:-ECDHE", buf, sizeof(buf)), 0);
	assert_true(cipher_count("-ECDHE:ECDHE", buf, sizeof(buf)) > 0);
	assert_int_equal(cipher_count("!ECDHE:ECDHE", buf, sizeof(buf)), 0);
	assert_true(cipher_count("ALL:@SECLEVEL=2", buf, sizeof(buf)) > 0);
	assert_true(cipher_count("ecdhe+aesgcm, chacha20", buf, sizeof(buf)) > 0);

	/* Unknown words are errors that name the word. */
	assert_int_equal(cipher_count("ALL:!FOO", buf, sizeof(buf)), -1);
	assert_non_null(strstr(buf, "FOO"));
	assert_int_equal(cipher_count("ECDHE-RSA-AES128-GMC-SHA256", buf, sizeof(buf)), -1);
	assert_non_null(strstr(buf, "GMC"));
	assert_int_equal(cipher_count("ECDHE+BOGUS", buf, sizeof(buf)), -1);
	assert_int_equal(cipher_count("@FAST", buf, sizeof(buf)), -1);
	assert_int_equal(cipher_count("!", buf, sizeof(buf)), -1);

	/* A short buffer is cut, not overrun. */
	assert_int_equal(cipher_count("ALL", buf, 40), all);
	assert_true(strlen(buf) < 40);
}

/* The seed config: ECDSA certificate, the docs' Ciphers, a TLS 1.2 client. */
static void test_ha_tls12_ecdsa(void **state)
{
	const char *certs[] = {P("ecdsa.pem")};
	struct tls_ctx *sctx = server(certs, 1, HA_CIPHERS, 0);
	struct tls_ctx *cctx = client(P("ca.crt"), NULL, NULL, TLS_V1_2);
	struct pair p;
	char big[4000], buf[256], subj[256];
	size_t i, got = 0;
	ssize_t r;

	(void)state;
	pair_open(&p, sctx, cctx, "ha.test");
	expect_handshake_ok(&p);
	assert_string_equal(tls_version(p.s), "TLSv1.2");
	assert_string_equal(tls_version(p.c), "TLSv1.2");
	assert_non_null(strstr(tls_cipher(p.s), "ECDHE-ECDSA"));
	assert_string_equal(tls_cipher(p.s), tls_cipher(p.c));
	assert_string_equal(tls_sni(p.s), "ha.test");
	assert_int_equal(tls_peer_cert(p.c, subj, sizeof(subj)), TLS_PEER_OK);
	assert_string_equal(subj, "CN=ha.test");
	assert_int_equal(tls_peer_cert(p.s, subj, sizeof(subj)), TLS_PEER_NONE);

	pair_send(p.c, p.s, "GET / HTTP/1.1\r\nHost: ha.test\r\n\r\n", 33);
	pair_send(p.s, p.c, "HTTP/1.1 200 OK\r\n\r\n", 19);

	/* One record, read in small pieces: the rest waits inside the library. */
	for (i = 0; i < sizeof(big); i++)
		big[i] = (char)('a' + i % 26);
	assert_int_equal(tls_write(p.s, big, sizeof(big)), sizeof(big));
	for (i = 0; i < 100; i++) {
		r = tls_read(p.c, buf, 100);
		if (r != TLS_WANT_READ)
			break;
	}
	assert_int_equal(r, 100);
	assert_int_equal(tls_pending(p.c), sizeof(big) - 100);
	got = 100;
	while (tls_pending(p.c) > 0) { /* drained without polling, as the loop must */
		r = tls_read(p.c, buf, sizeof(buf));
		assert_true(r > 0);
		assert_memory_equal(buf, big + got, (size_t)r);
		got += (size_t)r;
	}
	assert_int_equal(got, sizeof(big));
	assert_int_equal(tls_read(p.c, buf, sizeof(buf)), TLS_WANT_READ);

	/* close_notify reaches the client as TLS_EOF. */
	assert_int_equal(tls_shutdown(p.s), TLS_OK);
	assert_int_equal(tls_read(p.c, buf, sizeof(buf)), TLS_EOF);
	pair_close(&p);
	tls_ctx_unref(sctx);
	tls_ctx_unref(cctx);
}

static void test_rsa_tls12(void **state)
{
	const char *certs[] = {P("rsa.pem")};
	struct tls_ctx *sctx = server(certs, 1, HA_CIPHERS, TLS_V1_2);
	struct tls_ctx *cctx = client(P("ca.crt"), NULL, NULL, 0);
	struct pair p;

	(void)state;
	pair_open(&p, sctx, cctx, "rsa.test");
	expect_handshake_ok(&p);
	assert_string_equal(tls_version(p.c), "TLSv1.2");
	assert_non_null(strstr(tls_cipher(p.c), "ECDHE-RSA"));
	pair_send(p.c, p.s, "ping", 4);
	pair_send(p.s, p.c, "pong", 4);
	pair_close(&p);
	tls_ctx_unref(sctx);
	tls_ctx_unref(cctx);
}

static void test_tls13(void **state)
{
	const char *certs[] = {P("ecdsa.pem"), P("rsa.pem")};
	struct tls_ctx *sctx, *cctx;
	struct pair p;
	char buf[64];

	(void)state;
	if (tls_max_version() < TLS_V1_3) {
		/* what the TLS library is, not what the machine lacks: no skip */
		print_message("not in this build: its TLS library has no TLS 1.3\n");
		return;
	}
	sctx = server(certs, 2, HA_CIPHERS, 0);
	cctx = client(P("ca.crt"), NULL, NULL, 0);
	pair_open(&p, sctx, cctx, "ha.test");
	expect_handshake_ok(&p);
	assert_string_equal(tls_version(p.s), "TLSv1.3");
	assert_string_equal(tls_version(p.c), "TLSv1.3");
	assert_non_null(strstr(tls_cipher(p.s), NAME("TLS1-3", "TLS_")));
	pair_send(p.c, p.s, "GET / HTTP/1.1\r\n\r\n", 18);
	pair_send(p.s, p.c, "HTTP/1.1 101 Switching Protocols\r\n\r\n", 36);
	assert_int_equal(tls_shutdown(p.c), TLS_OK);
	assert_int_equal(tls_read(p.s, buf, sizeof(buf)), TLS_EOF);
	pair_close(&p);

	/* RSA over TLS 1.3 (RSA-PSS signatures) via SNI. */
	pair_open(&p, sctx, cctx, "rsa.test");
	expect_handshake_ok(&p);
	assert_string_equal(tls_version(p.c), "TLSv1.3");
	pair_send(p.s, p.c, "hello", 5);
	pair_close(&p);

	/* A string that leaves TLS 1.2 nothing still serves TLS 1.3 ... */
	tls_ctx_unref(sctx);
	sctx = server(certs, 1, "kRSA", 0);
	pair_open(&p, sctx, cctx, "ha.test");
	expect_handshake_ok(&p);
	assert_string_equal(tls_version(p.c), "TLSv1.3");
	pair_close(&p);
	tls_ctx_unref(cctx);
	/* ... but no TLS 1.2 client. */
	cctx = client(P("ca.crt"), NULL, NULL, TLS_V1_2);
	pair_open(&p, sctx, cctx, "ha.test");
	assert_int_not_equal(pair_handshake(&p), 0);
	pair_close(&p);
	tls_ctx_unref(sctx);
	tls_ctx_unref(cctx);
}

/* Which certificate a name gets, seen from an unverifying client. */
static void sni_expect(struct tls_ctx *sctx, const char *ciphers, int max, const char *name,
                       const char *subject)
{
	struct tls_ctx *cctx = client(NULL, NULL, ciphers, max);
	struct pair p;
	char subj[256];

	pair_open(&p, sctx, cctx, name);
	expect_handshake_ok(&p);
	assert_int_equal(tls_peer_cert(p.c, subj, sizeof(subj)), TLS_PEER_BAD); /* unverified */
	assert_string_equal(subj, subject);
	if (name != NULL)
		assert_string_equal(tls_sni(p.s), name);
	else
		assert_null(tls_sni(p.s));
	pair_close(&p);
	tls_ctx_unref(cctx);
}

static void test_sni(void **state)
{
	const char *certs[] = {P("ecdsa.pem"), P("other.pem"), P("rsa.pem")};
	struct tls_ctx *sctx = server(certs, 3, HA_CIPHERS, 0);
	struct tls_ctx *cctx;
	struct pair p;

	(void)state;
	sni_expect(sctx, NULL, 0, "ha.test", "CN=ha.test");
	sni_expect(sctx, NULL, 0, "other.test", "CN=other.test");
	sni_expect(sctx, NULL, 0, "OTHER.Test", "CN=other.test");
	sni_expect(sctx, NULL, 0, "x.wild.test", "CN=other.test");
	sni_expect(sctx, NULL, 0, "a.b.wild.test", "CN=ha.test"); /* one label only */
	sni_expect(sctx, NULL, 0, "wild.test", "CN=ha.test");
	sni_expect(sctx, NULL, 0, "rsa.test", "CN=rsa.test");
	sni_expect(sctx, NULL, 0, "unknown.test", "CN=ha.test"); /* the default */
	sni_expect(sctx, NULL, 0, NULL, "CN=ha.test");
	/* Two certificates for one name: the first one the client can use. */
	sni_expect(sctx, NULL, 0, "both.test", "CN=other.test");
	/* The string rules TLS 1.2 only; TLS 1.3 would pick ECDSA again. */
	sni_expect(sctx, "ECDHE+aRSA", TLS_V1_2, "both.test", "CN=rsa.test");

	/* With verification, the name must match the certificate the server picked. */
	cctx = client(P("ca.crt"), NULL, NULL, 0);
	pair_open(&p, sctx, cctx, "x.wild.test");
	expect_handshake_ok(&p);
	pair_close(&p);
	pair_open(&p, sctx, cctx, "unknown.test");
	assert_int_not_equal(pair_handshake(&p), 0);
	assert_int_not_equal(p.rc, TLS_OK);
	pair_close(&p);
	tls_ctx_unref(cctx);
	tls_ctx_unref(sctx);
}

static void test_client_cert_required(void **state)
{
	struct tls_ctx *sctx = server_mtls(TLS_VERIFY_REQUIRED);
	struct tls_ctx *none = client(P("ca.crt"), NULL, NULL, 0);
	struct tls_ctx *alice = client(P("ca.crt"), P("alice.pem"), NULL, 0);
	struct tls_ctx *mallory = client(P("ca.crt"), P("mallory.pem"), NULL, 0);
	struct pair p;
	char why[256], subj[256];

	(void)state;
	pair_open(&p, sctx, none, "ha.test");
	expect_server_rejects(&p, why, sizeof(why));
	print_message("no client cert: %s\n", why);
	pair_close(&p);

	pair_open(&p, sctx, mallory, "ha.test");
	expect_server_rejects(&p, why, sizeof(why));
	print_message("untrusted client cert: %s\n", why);
	assert_non_null(strstr(why, "verification failed"));
	pair_close(&p);

	pair_open(&p, sctx, alice, "ha.test");
	expect_handshake_ok(&p);
	assert_int_equal(tls_peer_cert(p.s, subj, sizeof(subj)), TLS_PEER_OK);
	assert_string_equal(subj, "CN=alice");
	pair_send(p.c, p.s, "hi", 2);
	pair_close(&p);

	tls_ctx_unref(sctx);
	tls_ctx_unref(none);
	tls_ctx_unref(alice);
	tls_ctx_unref(mallory);
}

static void test_client_cert_optional(void **state)
{
	struct tls_ctx *sctx = server_mtls(TLS_VERIFY_OPTIONAL);
	struct tls_ctx *none = client(P("ca.crt"), NULL, NULL, 0);
	struct tls_ctx *alice = client(P("ca.crt"), P("alice.pem"), NULL, 0);
	struct tls_ctx *mallory = client(P("ca.crt"), P("mallory.pem"), NULL, 0);
	struct pair p;
	char subj[256];

	(void)state;
	pair_open(&p, sctx, none, "ha.test");
	expect_handshake_ok(&p);
	assert_int_equal(tls_peer_cert(p.s, subj, sizeof(subj)), TLS_PEER_NONE);
	assert_string_equal(subj, "");
	pair_close(&p);

	pair_open(&p, sctx, alice, "ha.test");
	expect_handshake_ok(&p);
	assert_int_equal(tls_peer_cert(p.s, subj, sizeof(subj)), TLS_PEER_OK);
	assert_string_equal(subj, "CN=alice");
	pair_close(&p);

	/* Completes, and the core answers 403 (ClientCert 1) or ignores it (ClientCert 3). */
	pair_open(&p, sctx, mallory, "ha.test");
	expect_handshake_ok(&p);
	assert_int_equal(tls_peer_cert(p.s, subj, sizeof(subj)), TLS_PEER_BAD);
	assert_string_equal(subj, "CN=mallory");
	pair_close(&p);

	tls_ctx_unref(sctx);
	tls_ctx_unref(none);
	tls_ctx_unref(alice);
	tls_ctx_unref(mallory);
}

static void test_wrong_ca(void **state)
{
	const char *certs[] = {P("ecdsa.pem")};
	struct tls_ctx *sctx = server(certs, 1, NULL, 0);
	struct tls_ctx *cctx = client(P("wrongca.crt"), NULL, NULL, 0);
	struct pair p;
	char why[256];

	(void)state;
	pair_open(&p, sctx, cctx, "ha.test");
	assert_int_not_equal(pair_handshake(&p), 0);
	assert_int_equal(p.rc, TLS_ERR);
	assert_int_not_equal(p.rs, TLS_OK);
	tls_strerror(p.c, why, sizeof(why));
	print_message("wrong CA: %s\n", why);
	assert_non_null(strstr(why, "verification failed"));
	pair_close(&p);
	tls_ctx_unref(sctx);
	tls_ctx_unref(cctx);
}

/* Context creation must fail with a message holding each of the needles. */
static void server_fails(const char *cert, const char *ciphers, int min, const char *n1,
                         const char *n2)
{
	const char *certs[] = {cert};
	struct tls_server_opts o = {
	    .certs = certs, .ncerts = 1, .ciphers = ciphers, .min_version = min};
	char err[256] = "";

	assert_null(tls_server_ctx_new(&o, err, sizeof(err)));
	print_message("  %s\n", err);
	assert_non_null(strstr(err, n1));
	if (n2 != NULL)
		assert_non_null(strstr(err, n2));
}

static void test_ctx_errors(void **state)
{
	struct tls_server_opts so = {0};
	struct tls_client_opts co = {0};
	const char *certs[] = {P("ecdsa.pem")};
	char err[256];

	(void)state;
	server_fails(P("broken.pem"), NULL, 0, "broken.pem", "bad certificate");
	server_fails(P("missing.pem"), NULL, 0, "missing.pem", "No such file");
	server_fails(P("nokey.pem"), NULL, 0, "nokey.pem", "no private key");
	server_fails(P("mismatch.pem"), NULL, 0, "mismatch.pem", "does not match");
	server_fails(P("ha.key"), NULL, 0, "ha.key", "no certificate");
	server_fails(P("ecdsa.pem"), "ALL:!FOO", 0, "FOO", "unknown cipher");
	server_fails(P("ecdsa.pem"), NULL, 0x0301, "below 1.2", NULL);
	if (tls_max_version() < TLS_V1_3) {
		server_fails(P("ecdsa.pem"), NULL, TLS_V1_3, "no TLS 1.3", NULL);
		server_fails(P("ecdsa.pem"), "kRSA", 0, "no forward-secret", NULL);
	}

	assert_null(tls_server_ctx_new(&so, err, sizeof(err)));
	assert_non_null(strstr(err, "certificate"));
	so.certs = certs;
	so.ncerts = 1;
	so.verify = TLS_VERIFY_REQUIRED;
	assert_null(tls_server_ctx_new(&so, err, sizeof(err)));
	assert_non_null(strstr(err, "CA"));
	so.client_ca = P("nothere.crt");
	assert_null(tls_server_ctx_new(&so, err, sizeof(err)));
	assert_non_null(strstr(err, "nothere.crt"));
	so.client_ca = P("ha.key");
	assert_null(tls_server_ctx_new(&so, err, sizeof(err)));
	assert_non_null(strstr(err, "no certificate"));

	co.verify = 1;
	assert_null(tls_client_ctx_new(&co, err, sizeof(err)));
	assert_non_null(strstr(err, "CA file"));
	co.ca_file = P("ca.crt");
	co.cert = P("nokey.pem");
	assert_null(tls_client_ctx_new(&co, err, sizeof(err)));
	assert_non_null(strstr(err, "no private key"));
}

/* A connection keeps its context alive after the owner let go (a reload). */
static void test_refcount(void **state)
{
	const char *certs[] = {P("ecdsa.pem")};
	struct tls_ctx *sctx = server(certs, 1, NULL, 0);
	struct tls_ctx *cctx = client(P("ca.crt"), NULL, NULL, 0);
	struct pair p;

	(void)state;
	assert_ptr_equal(tls_ctx_ref(sctx), sctx);
	tls_ctx_unref(sctx);
	pair_open(&p, sctx, cctx, "ha.test");
	tls_ctx_unref(sctx); /* the listener swapped in a new one */
	tls_ctx_unref(cctx);
	expect_handshake_ok(&p);
	pair_send(p.c, p.s, "still here", 10);
	pair_close(&p); /* the last references go here; the leak checker sees the rest */
	tls_ctx_unref(NULL);
	tls_free(NULL);
}

/* Heap held by an established connection (glibc's counters; not under a sanitizer). */
static void test_conn_memory(void **state)
{
#if defined(__GLIBC__) && !defined(__SANITIZE_ADDRESS__) && !defined(PINFOLD_NO_MALLINFO)
	enum { N = 16 };
	const char *certs[] = {P("ecdsa.pem")};
	struct tls_ctx *sctx = server(certs, 1, HA_CIPHERS, 0);
	struct tls_ctx *cctx12 = client(P("ca.crt"), NULL, NULL, TLS_V1_2);
	struct tls_ctx *cctx = client(P("ca.crt"), NULL, NULL, 0);
	struct pair p[N];
	int round, i;

	(void)state;
	for (round = 0; round < 2; round++) {
		struct tls_ctx *cc = round == 0 ? cctx12 : cctx;
		struct mallinfo2 before, after;
		long delta;

		before = mallinfo2();
		for (i = 0; i < N; i++) {
			pair_open(&p[i], sctx, cc, "ha.test");
			expect_handshake_ok(&p[i]);
		}
		for (i = 0; i < N; i++) { /* keep only the server sides */
			tls_free(p[i].c);
			p[i].c = NULL;
		}
		after = mallinfo2();
		delta = (long)after.uordblks - (long)before.uordblks;
		if (delta > 0) {
			print_message("heap per established server connection (%s): %ld bytes\n",
			              tls_version(p[0].s), delta / N);
			assert_true(delta / N < 64 * 1024);
		}
		for (i = 0; i < N; i++)
			pair_close(&p[i]);
	}
	tls_ctx_unref(sctx);
	tls_ctx_unref(cctx12);
	tls_ctx_unref(cctx);
#else
	(void)state;
	print_message("not in this build: the heap is measured with glibc's mallinfo2, "
	              "not under ASan or another libc\n");
#endif
}

/* ---- against openssl s_server / s_client ---------------------------------------------- */

static void nap(void)
{
	struct timespec ts = {0, 10 * 1000 * 1000};

	nanosleep(&ts, NULL);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int free_port(void)
{
	struct sockaddr_in sa = {.sin_family = AF_INET};
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM, 0), port;

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
	port = ntohs(sa.sin_port);
	close(fd);
	return port;
}

/* Start openssl with stdin from in_fd (or /dev/null) and output to files. */
static pid_t spawn_openssl(char *const argv[], int in_fd, const char *out, const char *errf)
{
	posix_spawn_file_actions_t fa;
	pid_t pid;

	posix_spawn_file_actions_init(&fa);
	if (in_fd >= 0)
		posix_spawn_file_actions_adddup2(&fa, in_fd, 0);
	else
		posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 1, out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	posix_spawn_file_actions_addopen(&fa, 2, errf, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_int_equal(posix_spawnp(&pid, "openssl", &fa, NULL, argv, environ), 0);
	posix_spawn_file_actions_destroy(&fa);
	return pid;
}

/* Wait for our own child; after the deadline, kill it.  Returns its exit status or -1. */
static int reap(pid_t pid, double deadline, int term_first)
{
	int status;

	if (term_first)
		kill(pid, SIGTERM);
	while (waitpid(pid, &status, WNOHANG) == 0) {
		if (now() > deadline) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			return -1;
		}
		nap();
	}
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static int connect_to(int port, double deadline)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	while (now() < deadline) {
		int fd = socket(AF_INET, SOCK_STREAM, 0);

		assert_true(fd >= 0);
		if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
			nonblock(fd);
			return fd;
		}
		close(fd);
		nap();
	}
	return -1;
}

/* Wait (bounded) for what the last call asked for. */
static void wait_for(int fd, int r, double deadline)
{
	struct pollfd pfd = {.fd = fd, .events = r == TLS_WANT_WRITE ? POLLOUT : POLLIN};

	assert_true(now() < deadline);
	poll(&pfd, 1, 100);
}

static void file_text(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");
	size_t n = 0;

	if (f != NULL) {
		n = fread(buf, 1, len - 1, f);
		fclose(f);
	}
	buf[n] = '\0';
}

/* Our client against openssl s_server -www. */
static void s_server_run(const char *vflag, const char *want_version)
{
	struct tls_ctx *cctx = client(P("ca.crt"), NULL, NULL, 0);
	char port[16], accept_arg[32], text[8192];
	char *argv[] = {"openssl",     "s_server",
	                "-accept",     accept_arg,
	                "-cert",       (char *)P("ha.test.crt"),
	                "-key",        (char *)P("ha.key"),
	                (char *)vflag, "-www",
	                "-naccept",    "1",
	                NULL};
	static const char req[] = "GET / HTTP/1.0\r\n\r\n";
	double deadline = now() + SLOW_S(15);
	struct tls_conn *c;
	size_t got = 0, sent = 0;
	pid_t pid;
	int fd, r;

	snprintf(port, sizeof(port), "%d", free_port());
	snprintf(accept_arg, sizeof(accept_arg), "127.0.0.1:%s", port);
	pid = spawn_openssl(argv, -1, P("s_server.out"), P("s_server.err"));
	fd = connect_to(atoi(port), deadline);
	if (fd < 0) {
		reap(pid, now() + SLOW_S(2), 1);
		file_text(P("s_server.err"), text, sizeof(text));
		fail_msg("s_server did not come up: %s", text);
	}
	c = tls_new_client(cctx, fd, "ha.test");
	assert_non_null(c);
	while ((r = tls_handshake(c)) == TLS_WANT_READ || r == TLS_WANT_WRITE)
		wait_for(fd, r, deadline);
	if (r != TLS_OK) {
		tls_strerror(c, text, sizeof(text));
		fail_msg("handshake with s_server: %s", text);
	}
	assert_string_equal(tls_version(c), want_version);
	while (sent < sizeof(req) - 1) {
		ssize_t w = tls_write(c, req + sent, sizeof(req) - 1 - sent);

		if (w > 0)
			sent += (size_t)w;
		else
			wait_for(fd, (int)w, deadline);
	}
	for (;;) {
		ssize_t n = tls_read(c, text + got, sizeof(text) - 1 - got);

		if (n > 0)
			got += (size_t)n;
		else if (n == TLS_WANT_READ || n == TLS_WANT_WRITE)
			wait_for(fd, (int)n, deadline);
		else
			break; /* s_server -www closes after the page */
		if (got == sizeof(text) - 1)
			break;
	}
	text[got] = '\0';
	assert_non_null(strstr(text, "HTTP/1.0 200 ok"));
	assert_non_null(strstr(text, want_version));
	tls_free(c);
	close(fd);
	reap(pid, now() + SLOW_S(5), 1);
	tls_ctx_unref(cctx);
}

static void test_interop_s_server(void **state)
{
	(void)state;
	s_server_run("-tls1_2", "TLSv1.2");
	if (tls_max_version() >= TLS_V1_3)
		s_server_run("-tls1_3", "TLSv1.3");
}

/* openssl s_client against our server: it sends "ping", we answer "pong" and close. */
static void s_client_run(struct tls_ctx *sctx, const char *vflag, const char *name,
                         const char *cert, const char *key, const char *want_version)
{
	struct sockaddr_in sa = {.sin_family = AF_INET};
	socklen_t salen = sizeof(sa);
	char connect_arg[32], text[4096];
	char *argv[] = {"openssl",
	                "s_client",
	                "-connect",
	                connect_arg,
	                "-servername",
	                (char *)name,
	                "-verify_hostname",
	                (char *)name,
	                "-CAfile",
	                (char *)P("ca.crt"),
	                "-verify_return_error",
	                "-brief",
	                (char *)vflag,
	                cert ? "-cert" : NULL,
	                (char *)cert,
	                "-key",
	                (char *)key,
	                NULL};
	double deadline = now() + SLOW_S(15);
	struct pollfd pfd;
	struct tls_conn *c;
	size_t got = 0, sent = 0;
	int lfd, fd, in[2], r, status;
	pid_t pid;

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	lfd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(lfd >= 0);
	assert_int_equal(bind(lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(lfd, 4), 0);
	assert_int_equal(getsockname(lfd, (struct sockaddr *)&sa, &salen), 0);
	snprintf(connect_arg, sizeof(connect_arg), "127.0.0.1:%d", ntohs(sa.sin_port));

	assert_int_equal(pipe(in), 0);
	pid = spawn_openssl(argv, in[0], P("s_client.out"), P("s_client.err"));
	close(in[0]);
	assert_int_equal(write(in[1], "ping\n", 5), 5);
	close(in[1]);

	pfd.fd = lfd;
	pfd.events = POLLIN;
	assert_int_equal(poll(&pfd, 1, SLOW_MS(10000)), 1);
	fd = accept(lfd, NULL, NULL);
	assert_true(fd >= 0);
	close(lfd);
	nonblock(fd);
	c = tls_new_server(sctx, fd);
	assert_non_null(c);
	while ((r = tls_handshake(c)) == TLS_WANT_READ || r == TLS_WANT_WRITE)
		wait_for(fd, r, deadline);
	if (r != TLS_OK) {
		tls_strerror(c, text, sizeof(text));
		reap(pid, now() + SLOW_S(2), 1);
		fail_msg("handshake with s_client: %s", text);
	}
	assert_string_equal(tls_version(c), want_version);
	assert_string_equal(tls_sni(c), name);
	if (cert != NULL) {
		char subj[256];

		assert_int_equal(tls_peer_cert(c, subj, sizeof(subj)), TLS_PEER_OK);
		assert_string_equal(subj, "CN=alice");
	}
	while (got < 5) {
		ssize_t n = tls_read(c, text + got, sizeof(text) - got);

		if (n > 0)
			got += (size_t)n;
		else if (n == TLS_WANT_READ || n == TLS_WANT_WRITE)
			wait_for(fd, (int)n, deadline);
		else
			fail_msg("reading from s_client: %zd", n);
	}
	assert_memory_equal(text, "ping\n", 5);
	while (sent < 5) {
		ssize_t w = tls_write(c, &"pong\n"[sent], 5 - sent);

		if (w > 0)
			sent += (size_t)w;
		else
			wait_for(fd, (int)w, deadline);
	}
	while ((r = tls_shutdown(c)) == TLS_WANT_WRITE || r == TLS_WANT_READ)
		wait_for(fd, r, deadline);
	assert_int_equal(r, TLS_OK);
	tls_free(c);
	close(fd);

	status = reap(pid, now() + SLOW_S(10), 0);
	file_text(P("s_client.err"), text, sizeof(text));
	if (status != 0)
		fail_msg("s_client exited %d: %s", status, text);
	assert_non_null(strstr(text, "Verification: OK"));
	file_text(P("s_client.out"), text, sizeof(text));
	assert_non_null(strstr(text, "pong"));
}

static void test_interop_s_client(void **state)
{
	const char *certs[] = {P("ecdsa.pem"), P("other.pem"), P("rsa.pem")};
	struct tls_ctx *sctx = server(certs, 3, HA_CIPHERS, 0);
	struct tls_ctx *mtls = server_mtls(TLS_VERIFY_REQUIRED);
	int v13 = tls_max_version() >= TLS_V1_3;

	(void)state;
	s_client_run(sctx, "-tls1_2", "ha.test", NULL, NULL, "TLSv1.2");
	s_client_run(sctx, "-tls1_2", "other.test", NULL, NULL, "TLSv1.2");
	s_client_run(sctx, "-tls1_2", "rsa.test", NULL, NULL, "TLSv1.2");
	s_client_run(mtls, "-tls1_2", "ha.test", P("alice.crt"), P("alice.key"), "TLSv1.2");
	if (v13) {
		s_client_run(sctx, "-tls1_3", "x.wild.test", NULL, NULL, "TLSv1.3");
		s_client_run(sctx, "-tls1_3", "rsa.test", NULL, NULL, "TLSv1.3");
		s_client_run(mtls, "-tls1_3", "ha.test", P("alice.crt"), P("alice.key"), "TLSv1.3");
	}
	tls_ctx_unref(sctx);
	tls_ctx_unref(mtls);
}

/* ---- a build without TLS ------------------------------------------------------------ */

static void test_none(void **state)
{
	const char *certs[] = {"/nonexistent.pem"};
	struct tls_server_opts so = {.certs = certs, .ncerts = 1};
	struct tls_client_opts co = {0};
	char err[128];

	(void)state;
	assert_string_equal(tls_backend_name(), "none");
	assert_int_equal(tls_max_version(), 0);
	assert_null(tls_server_ctx_new(&so, err, sizeof(err)));
	assert_string_equal(err, "this pinfold was built without TLS");
	assert_null(tls_client_ctx_new(&co, err, sizeof(err)));
	assert_string_equal(err, "this pinfold was built without TLS");
	assert_int_equal(tls_init(err, sizeof(err)), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_backend),
	    cmocka_unit_test(test_cipher_strings),
	    cmocka_unit_test(test_ha_tls12_ecdsa),
	    cmocka_unit_test(test_rsa_tls12),
	    cmocka_unit_test(test_tls13),
	    cmocka_unit_test(test_sni),
	    cmocka_unit_test(test_client_cert_required),
	    cmocka_unit_test(test_client_cert_optional),
	    cmocka_unit_test(test_wrong_ca),
	    cmocka_unit_test(test_ctx_errors),
	    cmocka_unit_test(test_refcount),
	    cmocka_unit_test(test_conn_memory),
	    cmocka_unit_test(test_interop_s_server),
	    cmocka_unit_test(test_interop_s_client),
	};
	const struct CMUnitTest none_tests[] = {
	    cmocka_unit_test(test_none),
	};

	if (strcmp(tls_backend_name(), "none") == 0)
		return cmocka_run_group_tests(none_tests, NULL, NULL);
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
