/*
 * tls_openssl.c - the TLS shim (core/tls.h) on OpenSSL 3.x.
 *
 * The same promises as the mbedTLS backend, kept with OpenSSL's own means:
 * - the cipher string goes to the library as written, after three things: its
 *   words are checked by cipherstr.c (OpenSSL skips an unknown word in
 *   silence; we call it an error), "!ECDH" / "!DH" are read as static and
 *   anonymous (EC)DH only (OpenSSL would drop every ECDHE/DHE suite), and what
 *   the library selects is cut down to the forward-secret AEAD floor;
 * - SNI picks every Cert whose names match, in config order, in the
 *   ClientHello callback (before the library looks for a session to resume);
 *   OpenSSL then answers with the ECDSA one when the client can take it;
 * - idle connections give their read/write buffers back (RELEASE_BUFFERS):
 *   that is most of what a keep-alive connection costs.
 * The library reads and writes the fd itself (a socket BIO); SIGPIPE is
 * ignored process-wide.  OpenSSL's error queue is per thread, so each call
 * starts with it empty and a failure's reason is copied into the connection.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <time.h>
#include <uthash.h>

#include "cipherstr.h"
#include "tls.h"
#include "tlsopts.h"
#include "tlsreuse.h"

#if OPENSSL_VERSION_NUMBER < 0x30000000L
#error "pinfold needs OpenSSL 3.0 or later"
#endif

/* ---- process ------------------------------------------------------------------------ */

static int inited;

int tls_init(char *err, size_t errlen)
{
	if (inited)
		return 0;
	/* Loads the error strings now, while files can still be opened (before chroot). */
	if (OPENSSL_init_ssl(OPENSSL_INIT_LOAD_SSL_STRINGS | OPENSSL_INIT_LOAD_CRYPTO_STRINGS,
	                     NULL) != 1) {
		snprintf(err, errlen, "TLS: OpenSSL failed to initialise");
		return -1;
	}
	inited = 1;
	return 0;
}

void tls_exit(void)
{
	inited = 0; /* OpenSSL frees its own state at exit */
}

const char *tls_backend_name(void)
{
	return "OpenSSL";
}

const char *tls_backend_version(void)
{
	/* The library we run with: "3.0.19". */
	return OpenSSL_version(OPENSSL_VERSION_STRING);
}

int tls_max_version(void)
{
	return TLS_V1_3;
}

/* ---- cipher strings ----------------------------------------------------------------- */

/*
 * The OpenSSL name of a suite given by its OpenSSL or IANA name ("TLS_ECDHE_..."),
 * or NULL.  Everything the library has counts, weak or not: a real name is never a
 * typo.  Copied into out (OpenSSL names are short).
 */
static const char *suite_find(const char *s, size_t len, char *out, size_t outlen)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_method());
	STACK_OF(SSL_CIPHER) * sk;
	const char *found = NULL;
	int i;

	if (ctx == NULL)
		return NULL;
	if (SSL_CTX_set_cipher_list(ctx, "ALL:COMPLEMENTOFALL:@SECLEVEL=0") == 1) {
		sk = SSL_CTX_get_ciphers(ctx);
		for (i = 0; sk != NULL && i < sk_SSL_CIPHER_num(sk) && found == NULL; i++) {
			const SSL_CIPHER *ci = sk_SSL_CIPHER_value(sk, i);
			const char *n = SSL_CIPHER_get_name(ci),
			           *std = SSL_CIPHER_standard_name(ci);

			if ((strlen(n) == len && strncasecmp(n, s, len) == 0) ||
			    (std != NULL && strlen(std) == len && strncasecmp(std, s, len) == 0)) {
				snprintf(out, outlen, "%s", n);
				found = out;
			}
		}
	}
	ERR_clear_error();
	SSL_CTX_free(ctx);
	return found;
}

static int suite_name_known(const char *s, size_t len)
{
	char name[64];

	return suite_find(s, len, name, sizeof(name)) != NULL; /* the check only asks "known?" */
}

/* The floor of cipherstr_acceptable(), asked of OpenSSL's description of a suite. */
static int suite_acceptable(const SSL_CIPHER *ci)
{
	int kx = SSL_CIPHER_get_kx_nid(ci), au = SSL_CIPHER_get_auth_nid(ci);
	int cn = SSL_CIPHER_get_cipher_nid(ci);

	/* TLS 1.3 suites (kx "any") are not set by the string */
	if (kx != NID_kx_ecdhe && kx != NID_kx_dhe)
		return 0;
	if (au != NID_auth_rsa && au != NID_auth_ecdsa)
		return 0;
	if (!SSL_CIPHER_is_aead(ci) || strstr(SSL_CIPHER_get_name(ci), "CCM8") != NULL)
		return 0; /* CCM-8's tag is short */
	/* AEAD with a full tag: GCM, ChaCha20-Poly1305, CCM (not CCM-8) */
	return cn == NID_aes_128_gcm || cn == NID_aes_256_gcm || cn == NID_chacha20_poly1305 ||
	       cn == NID_aes_128_ccm || cn == NID_aes_256_ccm || cn == NID_aria_128_gcm ||
	       cn == NID_aria_256_gcm || cn == NID_camellia_128_gcm || cn == NID_camellia_256_gcm;
}

static int word_is(const char *s, size_t len, const char *w)
{
	return strlen(w) == len && strncasecmp(s, w, len) == 0;
}

/* A key exchange word: next to one, "RSA" means RSA authentication ("ECDHE+RSA"). */
static int word_is_kx(const char *s, size_t len)
{
	static const char *const kx[] = {"ECDHE", "EECDH", "kECDHE", "kEECDH", "DHE",
	                                 "EDH",   "kDHE",  "kEDH",   "ECDH",   "DH"};
	size_t i;

	for (i = 0; i < sizeof(kx) / sizeof(kx[0]); i++)
		if (word_is(s, len, kx[i]))
			return 1;
	return 0;
}

/*
 * The string as OpenSSL should read it, meaning what cipherstr.c (and so the mbedTLS
 * backend) means: "!ECDH"/"-ECDH" become "!AECDH" and "!DH"/"-DH" become "!ADH"
 * (OpenSSL 1.1+ has no static (EC)DH suites left, so the anonymous ones are all these
 * words can still mean); "RSA" joined to a key exchange ("ECDHE+RSA") becomes "aRSA";
 * words and suite names take OpenSSL's spelling (it reads them with regard to case, we
 * don't), an IANA name OpenSSL's (which is shorter).  Caller frees.
 */
static char *cipher_rewrite(const char *s)
{
	char *out = malloc(2 * strlen(s) + 1);
	size_t o = 0;

	if (out == NULL)
		return NULL;
	while (*s != '\0') {
		size_t elen = strcspn(s, ":, "), i, skip;
		int has_kx = 0;

		skip = elen > 0 && strchr("!-+", s[0]) != NULL;
		for (i = skip; i < elen;) { /* is any '+'-joined word a key exchange? */
			size_t alen = strcspn(s + i, "+:, ");

			has_kx |= word_is_kx(s + i, alen);
			i += alen + 1;
		}
		if (skip && (word_is(s + 1, elen - 1, "ECDH") || word_is(s + 1, elen - 1, "DH"))) {
			out[o++] = s[0];
			out[o++] = 'A';
			memcpy(out + o, s + 1, elen - 1);
			o += elen - 1;
		} else {
			memcpy(out + o, s, skip);
			o += skip;
			for (i = skip; i < elen;) {
				size_t alen = strcspn(s + i, "+:, ");
				char name[64];
				const char *n = NULL;

				/* OpenSSL's spelling: it reads words with regard to case */
				n = cipherstr_word(s + i, alen);
				if (n == NULL && alen > 0 && s[i] != '@')
					n = suite_find(s + i, alen, name, sizeof(name));
				if (has_kx && word_is(s + i, alen, "RSA"))
					n = "aRSA";
				if (n != NULL && strlen(n) > alen + 1)
					n = NULL; /* never: all are as short or "aRSA" */
				memcpy(out + o, n ? n : s + i, n ? strlen(n) : alen);
				o += n ? strlen(n) : alen;
				i += alen;
				if (i < elen)
					out[o++] = s[i++]; /* the '+' */
			}
		}
		s += elen;
		if (*s != '\0') {
			out[o++] = ':';
			s++;
		}
	}
	out[o] = '\0';
	return out;
}

/*
 * Set ctx's TLS 1.2 suites from an OpenSSL-style string, cut to the floor.  Returns
 * how many remain (0: TLS 1.3 only), with their names (':'-separated, cut to fit) in
 * names; or -1 with the reason in err.
 */
static int ciphers_apply(SSL_CTX *ctx, const char *str, char *names, size_t nlen, char *err,
                         size_t errlen)
{
	STACK_OF(SSL_CIPHER) * sk;
	char *rw = NULL, *keep = NULL;
	size_t used = 0, klen = 0;
	int *unused = NULL, n = 0, i;

	if (str == NULL || str[strspn(str, ":, ")] == '\0')
		str = "DEFAULT";
	if (cipherstr_select(str, NULL, 0, suite_name_known, &unused, err, errlen) < 0)
		return -1;
	free(unused);
	rw = cipher_rewrite(str);
	if (rw == NULL)
		goto oom;
	if (names != NULL && nlen > 0)
		names[0] = '\0';
	/* A string that selects nothing at all is no error: it leaves TLS 1.3 only. */
	if (SSL_CTX_set_cipher_list(ctx, rw) != 1) {
		ERR_clear_error();
		free(rw);
		return 0;
	}
	sk = SSL_CTX_get_ciphers(ctx);
	for (i = 0; sk != NULL && i < sk_SSL_CIPHER_num(sk); i++) {
		const SSL_CIPHER *ci = sk_SSL_CIPHER_value(sk, i);
		const char *name = SSL_CIPHER_get_name(ci);
		size_t len = strlen(name);
		char *nk;

		if (!suite_acceptable(ci))
			continue;
		nk = realloc(keep, klen + len + 2);
		if (nk == NULL)
			goto oom;
		keep = nk;
		if (klen > 0)
			keep[klen++] = ':';
		memcpy(keep + klen, name, len + 1);
		klen += len;
		if (names != NULL && used < nlen) {
			int w = snprintf(names + used, nlen - used, "%s%s", n ? ":" : "", name);

			if (w < 0 || (size_t)w >= nlen - used) {
				/* Cut, and say so: the count is what matters. */
				if (nlen > 4)
					memcpy(names + nlen - 4, "...", 4);
				used = nlen;
			} else {
				used += (size_t)w;
			}
		}
		n++;
	}
	if (n > 0 && SSL_CTX_set_cipher_list(ctx, keep) != 1) {
		snprintf(err, errlen, "OpenSSL refused its own suite list");
		n = -1;
	}
	free(keep);
	free(rw);
	return n;
oom:
	free(keep);
	free(rw);
	snprintf(err, errlen, "out of memory");
	return -1;
}

int tls_cipher_check(const char *ciphers, char *buf, size_t buflen)
{
	SSL_CTX *ctx;
	int n;

	if (tls_init(buf, buflen) != 0)
		return -1;
	ctx = SSL_CTX_new(TLS_server_method());
	if (ctx == NULL) {
		snprintf(buf, buflen, "out of memory");
		return -1;
	}
	n = ciphers_apply(ctx, ciphers, buf, buflen, buf, buflen);
	SSL_CTX_free(ctx);
	return n;
}

/* ---- certificates ------------------------------------------------------------------- */

struct tls_cert {
	X509 *leaf;
	EVP_PKEY *key;
	STACK_OF(X509) * chain; /* what follows the leaf */
};

struct tls_ctx {
	int refs;
	int is_server;
	int verifies; /* peer certificates are checked against the CA file */
	SSL_CTX *ssl;
	struct tls_cert *certs; /* server: the Cert files; client: at most one */
	size_t ncerts;
	unsigned char sid[16];  /* session-ID context: sessions never cross contexts */
	struct tlsreuse *reuse; /* server: ticket keys and session cache (struct resume) */
};

struct tls_conn {
	SSL *ssl;
	struct tls_ctx *ctx;
	unsigned long err; /* the library's first error of the last failure, or 0 */
	int sys_err;       /* errno of the last failed send/recv, or 0 */
	int eof;           /* the peer closed: 1 the TCP stream, 2 with close_notify */
	char *sni;         /* server side: the name the client asked for */
};

static void cert_free(struct tls_cert *tc)
{
	X509_free(tc->leaf);
	EVP_PKEY_free(tc->key);
	sk_X509_pop_free(tc->chain, X509_free);
	memset(tc, 0, sizeof(*tc));
}

/* The library's reason for the error at the top of its queue; empties the queue. */
static void ossl_reason(char *buf, size_t len)
{
	unsigned long e = ERR_peek_error();
	const char *r = e ? ERR_reason_error_string(e) : NULL;

	if (r != NULL)
		snprintf(buf, len, "%s", r);
	else if (e != 0)
		ERR_error_string_n(e, buf, len);
	else
		snprintf(buf, len, "unknown error");
	ERR_clear_error();
}

/* Never asked: an encrypted key is refused before the library would ask. */
static int no_password(char *buf, int size, int rwflag, void *u)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	(void)u;
	return -1;
}

/* The whole file in a memory BIO that wipes itself when freed (it may hold a key). */
static BIO *file_read(const char *path, char *err, size_t errlen)
{
	BIO *f, *mem;
	char chunk[4096];
	int n;

	errno = 0;
	f = BIO_new_file(path, "rb");
	if (f == NULL) {
		snprintf(err, errlen, "%s: %s", path, errno ? strerror(errno) : "cannot be opened");
		ERR_clear_error();
		return NULL;
	}
	mem = BIO_new(BIO_s_secmem());
	while (mem != NULL && (n = BIO_read(f, chunk, sizeof(chunk))) > 0) {
		if (BIO_write(mem, chunk, n) != n) {
			BIO_free(mem);
			mem = NULL;
		}
	}
	OPENSSL_cleanse(chunk, sizeof(chunk));
	BIO_free(f);
	if (mem == NULL)
		snprintf(err, errlen, "%s: out of memory", path);
	return mem;
}

static int bio_contains(BIO *b, const char *needle)
{
	char *p;
	long len = BIO_get_mem_data(b, &p);
	size_t nl = strlen(needle);
	long i;

	for (i = 0; i + (long)nl <= len; i++)
		if (memcmp(p + i, needle, nl) == 0)
			return 1;
	return 0;
}

/* One PEM file holding a private key and its chain, leaf first (Pound's Cert). */
static int cert_load(struct tls_cert *tc, const char *path, char *err, size_t errlen)
{
	BIO *b = file_read(path, err, errlen), *view = NULL;
	X509 *x;
	char why[160], *data;
	long len;
	int rc = -1;

	memset(tc, 0, sizeof(*tc));
	if (b == NULL)
		return -1;
	if (!bio_contains(b, "-----BEGIN CERTIFICATE-----")) {
		snprintf(err, errlen, "%s: no certificate in the file (PEM expected)", path);
		goto fail;
	}
	if (!bio_contains(b, "PRIVATE KEY-----")) {
		snprintf(err, errlen,
		         "%s: no private key in the file (it must hold the key and the "
		         "certificate chain)",
		         path);
		goto fail;
	}
	if (bio_contains(b, "ENCRYPTED")) {
		snprintf(err, errlen, "%s: the private key is encrypted; it must not be", path);
		goto fail;
	}
	/* Two passes (certificates, then the key) over read-only views of the bytes. */
	len = BIO_get_mem_data(b, &data);
	view = BIO_new_mem_buf(data, (int)len);
	tc->leaf = view ? PEM_read_bio_X509(view, NULL, no_password, NULL) : NULL;
	tc->chain = sk_X509_new_null();
	if (tc->leaf == NULL || tc->chain == NULL) {
		ossl_reason(why, sizeof(why));
		snprintf(err, errlen, "%s: bad certificate: %s", path, why);
		goto fail;
	}
	while ((x = PEM_read_bio_X509(view, NULL, no_password, NULL)) != NULL) {
		if (!sk_X509_push(tc->chain, x)) {
			X509_free(x);
			snprintf(err, errlen, "%s: out of memory", path);
			goto fail;
		}
	}
	ERR_clear_error(); /* the end of the file */
	BIO_free(view);
	view = BIO_new_mem_buf(data, (int)len);
	tc->key = view ? PEM_read_bio_PrivateKey(view, NULL, no_password, NULL) : NULL;
	if (tc->key == NULL) {
		ossl_reason(why, sizeof(why));
		snprintf(err, errlen, "%s: bad private key: %s", path, why);
		goto fail;
	}
	if (X509_check_private_key(tc->leaf, tc->key) != 1) {
		ERR_clear_error();
		snprintf(err, errlen,
		         "%s: the private key does not match the first certificate (the "
		         "server's own certificate must come first)",
		         path);
		goto fail;
	}
	rc = 0;
fail:
	BIO_free(view);
	BIO_free(b);
	if (rc != 0)
		cert_free(tc);
	return rc;
}

/* Trust the CAs in path for verifying peers; a server also names them to clients. */
static int ca_load(SSL_CTX *ssl, const char *path, int is_server, char *err, size_t errlen)
{
	BIO *b = file_read(path, err, errlen);
	char why[160];
	int ok;

	if (b == NULL)
		return -1;
	ok = bio_contains(b, "-----BEGIN CERTIFICATE-----");
	BIO_free(b);
	if (!ok) {
		snprintf(err, errlen, "%s: no certificate in the file (PEM expected)", path);
		return -1;
	}
	if (SSL_CTX_load_verify_locations(ssl, path, NULL) != 1) {
		ossl_reason(why, sizeof(why));
		snprintf(err, errlen, "%s: bad CA certificate: %s", path, why);
		return -1;
	}
	if (is_server) {
		STACK_OF(X509_NAME) *names = SSL_load_client_CA_file(path);

		if (names == NULL) {
			ossl_reason(why, sizeof(why));
			snprintf(err, errlen, "%s: bad CA certificate: %s", path, why);
			return -1;
		}
		SSL_CTX_set_client_CA_list(ssl, names);
	}
	return 0;
}

/* ---- session resumption ------------------------------------------------------------- */

/* One ticket key: OpenSSL's ticket format seals with AES-256-CBC and HMAC-SHA256. */
struct tkey {
	unsigned char name[16];
	unsigned char aes[32];
	unsigned char hmac[32];
	time_t made; /* 0: no key */
};

/* A cached session, by its ID. */
struct centry {
	unsigned char id[SSL_MAX_SSL_SESSION_ID_LENGTH];
	unsigned int idlen;
	SSL_SESSION *sess;
	UT_hash_handle hh;
};

/* What contexts of unchanged settings share (through tlsreuse). */
struct resume {
	struct tkey cur, prev;
	struct centry *cache; /* uthash by id */
	struct centry **ring; /* insertion order, to evict the oldest */
	size_t size, next;
};

static time_t now_mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + 1; /* never 0, which reads as "no key" */
}

static int tkey_make(struct tkey *k)
{
	if (RAND_bytes(k->name, sizeof(k->name)) != 1 || RAND_bytes(k->aes, sizeof(k->aes)) != 1 ||
	    RAND_bytes(k->hmac, sizeof(k->hmac)) != 1)
		return -1;
	k->made = now_mono();
	return 0;
}

/* Every TLS_TICKET_ROTATE seconds a new key seals; the previous one still opens for as
 * long again, then it is gone. */
static void tkeys_rotate(struct resume *r)
{
	time_t now = now_mono();

	if (r->prev.made != 0 && now - r->prev.made >= 2 * TLS_TICKET_ROTATE)
		OPENSSL_cleanse(&r->prev, sizeof(r->prev));
	if (now - r->cur.made >= TLS_TICKET_ROTATE) {
		struct tkey k;

		if (tkey_make(&k) != 0)
			return; /* keep the old key a little longer rather than none */
		r->prev = r->cur;
		r->cur = k;
		OPENSSL_cleanse(&k, sizeof(k));
	}
}

static int tkey_use(const struct tkey *k, unsigned char *iv, EVP_CIPHER_CTX *ectx,
                    EVP_MAC_CTX *hctx, int enc)
{
	OSSL_PARAM params[] = {
	    OSSL_PARAM_construct_octet_string(OSSL_MAC_PARAM_KEY, (void *)k->hmac, sizeof(k->hmac)),
	    OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)"SHA256", 0),
	    OSSL_PARAM_construct_end()};

	if (EVP_MAC_CTX_set_params(hctx, params) != 1)
		return -1;
	if (enc)
		return EVP_EncryptInit_ex(ectx, EVP_aes_256_cbc(), NULL, k->aes, iv) == 1 ? 0 : -1;
	return EVP_DecryptInit_ex(ectx, EVP_aes_256_cbc(), NULL, k->aes, iv) == 1 ? 0 : -1;
}

static int ticket_cb(SSL *ssl, unsigned char *name, unsigned char *iv, EVP_CIPHER_CTX *ectx,
                     EVP_MAC_CTX *hctx, int enc)
{
	struct resume *r = SSL_CTX_get_app_data(SSL_get_SSL_CTX(ssl));
	const struct tkey *k;

	tkeys_rotate(r);
	if (enc) {
		if (RAND_bytes(iv, EVP_CIPHER_get_iv_length(EVP_aes_256_cbc())) != 1)
			return -1;
		memcpy(name, r->cur.name, sizeof(r->cur.name));
		return tkey_use(&r->cur, iv, ectx, hctx, 1) == 0 ? 1 : -1;
	}
	if (memcmp(name, r->cur.name, sizeof(r->cur.name)) == 0)
		k = &r->cur;
	else if (r->prev.made != 0 && memcmp(name, r->prev.name, sizeof(r->prev.name)) == 0)
		k = &r->prev;
	else
		return 0; /* unknown or expired key: a full handshake */
	if (tkey_use(k, iv, ectx, hctx, 0) != 0)
		return -1;
	return k == &r->prev ? 2 : 1; /* 2: a fresh ticket under the current key */
}

static void centry_drop(struct resume *r, struct centry *e)
{
	HASH_DEL(r->cache, e);
	SSL_SESSION_free(e->sess);
	free(e);
}

/* The session-ID cache: ours, not OpenSSL's, so that it outlives one SSL_CTX. */
static int cache_new(SSL *ssl, SSL_SESSION *sess)
{
	struct resume *r = SSL_CTX_get_app_data(SSL_get_SSL_CTX(ssl));
	struct centry *e, *old = NULL;
	const unsigned char *id;
	unsigned int idlen;

	if (r->size == 0)
		return 0;
	id = SSL_SESSION_get_id(sess, &idlen);
	if (idlen == 0 || idlen > sizeof(e->id))
		return 0;
	HASH_FIND(hh, r->cache, id, idlen, old);
	if (old != NULL)
		return 0;
	e = calloc(1, sizeof(*e));
	if (e == NULL)
		return 0;
	memcpy(e->id, id, idlen);
	e->idlen = idlen;
	e->sess = sess; /* returning 1 keeps OpenSSL's reference for us */
	if (r->ring[r->next] != NULL)
		centry_drop(r, r->ring[r->next]); /* full: the oldest goes */
	r->ring[r->next] = e;
	r->next = (r->next + 1) % r->size;
	HASH_ADD(hh, r->cache, id, e->idlen, e);
	return 1;
}

static SSL_SESSION *cache_get(SSL *ssl, const unsigned char *id, int idlen, int *copy)
{
	struct resume *r = SSL_CTX_get_app_data(SSL_get_SSL_CTX(ssl));
	struct centry *e = NULL;

	*copy = 1; /* OpenSSL takes its own reference */
	if (idlen > 0)
		HASH_FIND(hh, r->cache, id, (unsigned)idlen, e);
	return e ? e->sess : NULL;
}

static void cache_remove(SSL_CTX *sctx, SSL_SESSION *sess)
{
	struct resume *r = SSL_CTX_get_app_data(sctx);
	struct centry *e = NULL;
	const unsigned char *id;
	unsigned int idlen;
	size_t i;

	if (r == NULL)
		return;
	id = SSL_SESSION_get_id(sess, &idlen);
	HASH_FIND(hh, r->cache, id, idlen, e);
	if (e == NULL)
		return;
	for (i = 0; i < r->size; i++)
		if (r->ring[i] == e)
			r->ring[i] = NULL;
	centry_drop(r, e);
}

static void resume_free(void *arg)
{
	struct resume *r = arg;
	struct centry *e, *tmp;

	HASH_ITER(hh, r->cache, e, tmp)
	centry_drop(r, e);
	free(r->ring);
	OPENSSL_cleanse(r, sizeof(*r));
	free(r);
}

/*
 * Sessions for a server context: the state of a live context with the same settings
 * and files when there is one (a reload), else a new one.  The session-ID context is
 * derived from the same digest, so sessions resume across the two and nowhere else.
 */
static int resume_setup(struct tls_ctx *ctx, const struct tls_server_opts *o, char *err,
                        size_t errlen)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	size_t len = 0;
	unsigned char *id = tlsreuse_identity(o, &len, err, errlen);
	struct resume *r;
	int ok;

	if (id == NULL)
		return -1;
	ok = EVP_Digest(id, len, md, &mdlen, EVP_sha256(), NULL) == 1 && mdlen >= TLSREUSE_ID_LEN;
	OPENSSL_clear_free(id, len);
	if (!ok) {
		snprintf(err, errlen, "TLS setup: SHA-256 failed");
		return -1;
	}
	memcpy(ctx->sid, md, sizeof(ctx->sid));
	ctx->reuse = tlsreuse_find(md);
	if (ctx->reuse == NULL) {
		r = calloc(1, sizeof(*r));
		if (r != NULL && o->session_cache > 0) {
			r->size = (size_t)o->session_cache;
			r->ring = calloc(r->size, sizeof(*r->ring));
		}
		if (r == NULL || (r->size > 0 && r->ring == NULL) || tkey_make(&r->cur) != 0 ||
		    (ctx->reuse = tlsreuse_add(md, r, resume_free)) == NULL) {
			if (r != NULL)
				resume_free(r);
			snprintf(err, errlen, "out of memory");
			return -1;
		}
	}
	r = ctx->reuse->state;
	SSL_CTX_set_app_data(ctx->ssl, r);
	SSL_CTX_set_timeout(ctx->ssl, TLS_TICKET_ROTATE);
	if (o->no_tickets) {
		/* (TLS 1.3 then hands out stateful tickets: IDs into the cache) */
		SSL_CTX_set_options(ctx->ssl, SSL_OP_NO_TICKET);
		if (r->size == 0)
			SSL_CTX_set_num_tickets(ctx->ssl, 0);
	} else {
		SSL_CTX_set_tlsext_ticket_key_evp_cb(ctx->ssl, ticket_cb);
	}
	if (r->size > 0) {
		SSL_CTX_set_session_cache_mode(ctx->ssl,
		                               SSL_SESS_CACHE_SERVER | SSL_SESS_CACHE_NO_INTERNAL);
		SSL_CTX_sess_set_new_cb(ctx->ssl, cache_new);
		SSL_CTX_sess_set_get_cb(ctx->ssl, cache_get);
		SSL_CTX_sess_set_remove_cb(ctx->ssl, cache_remove);
	} else {
		SSL_CTX_set_session_cache_mode(ctx->ssl, SSL_SESS_CACHE_OFF);
	}
	if (SSL_CTX_set_session_id_context(ctx->ssl, ctx->sid, sizeof(ctx->sid)) != 1) {
		snprintf(err, errlen, "TLS setup: session context refused");
		return -1;
	}
	return 0;
}

/* ---- contexts ----------------------------------------------------------------------- */

/* Whether a SNI name (no NUL, no trailing dot) is one of a certificate's names: DNS
 * SANs and CN both, "*.example.com" standing for exactly one label. */
static int cert_matches(const struct tls_cert *tc, const char *name, size_t len)
{
	return X509_check_host(tc->leaf, name, len,
	                       X509_CHECK_FLAG_ALWAYS_CHECK_SUBJECT |
	                           X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS,
	                       NULL) == 1;
}

/* The server_name extension's host name, or NULL/0 (RFC 6066 3). */
static const unsigned char *hello_sni(SSL *ssl, size_t *len)
{
	const unsigned char *p;
	size_t n, list;

	if (!SSL_client_hello_get0_ext(ssl, TLSEXT_TYPE_server_name, &p, &n) || n < 2)
		return NULL;
	list = (size_t)p[0] << 8 | p[1];
	p += 2;
	n -= 2;
	if (list > n)
		return NULL;
	while (list >= 3) {
		size_t nlen = (size_t)p[1] << 8 | p[2];

		if (nlen + 3 > list)
			return NULL;
		if (p[0] == TLSEXT_NAMETYPE_host_name) {
			*len = nlen;
			return p + 3;
		}
		p += 3 + nlen;
		list -= 3 + nlen;
	}
	return NULL;
}

/*
 * Before anything else of the ClientHello: remember the name asked for, offer every
 * Cert that matches it (config order wins within a key type), and bind sessions to
 * that choice so one made for another certificate never resumes here.
 */
static int hello_cb(SSL *ssl, int *alert, void *arg)
{
	struct tls_ctx *ctx = arg;
	struct tls_conn *c = SSL_get_app_data(ssl);
	const unsigned char *name;
	unsigned char sid[sizeof(ctx->sid) + 8];
	unsigned long long mask = 0;
	size_t len = 0, i;

	(void)alert;
	name = hello_sni(ssl, &len);
	free(c->sni);
	c->sni = NULL;
	if (name != NULL && tlsopts_sni(name, &len, &c->sni)) {
		for (i = 0; i < ctx->ncerts; i++)
			if (cert_matches(&ctx->certs[i], (const char *)name, len))
				mask |= 1ull << (i % 64);
	}
	if (mask != 0) {
		SSL_certs_clear(ssl);
		for (i = ctx->ncerts; i-- > 0;) {
			struct tls_cert *tc = &ctx->certs[i];

			if ((mask & (1ull << (i % 64))) &&
			    SSL_use_cert_and_key(ssl, tc->leaf, tc->key, tc->chain, 1) != 1)
				return SSL_CLIENT_HELLO_ERROR;
		}
	}
	memcpy(sid, ctx->sid, sizeof(ctx->sid));
	for (i = 0; i < 8; i++)
		sid[sizeof(ctx->sid) + i] = (unsigned char)(mask >> (8 * i));
	if (SSL_set_session_id_context(ssl, sid, sizeof(sid)) != 1)
		return SSL_CLIENT_HELLO_ERROR;
	return SSL_CLIENT_HELLO_SUCCESS;
}

/* ALPN: HTTP/1.1 is all pinfold speaks; a client that offers only others is refused
 * with no_application_protocol (RFC 7301 3.2), never answered with a protocol we lack. */
static int alpn_cb(SSL *ssl, const unsigned char **out, unsigned char *outlen,
                   const unsigned char *in, unsigned int inlen, void *arg)
{
	static const unsigned char h11[] = "\x08http/1.1";
	unsigned char *sel = NULL;

	(void)ssl;
	(void)arg;
	if (SSL_select_next_proto(&sel, outlen, h11, sizeof(h11) - 1, in, inlen) !=
	    OPENSSL_NPN_NEGOTIATED)
		return SSL_TLSEXT_ERR_ALERT_FATAL;
	*out = sel;
	return SSL_TLSEXT_ERR_OK;
}

/* ClientCert 1 and 3: ask, record the verdict, finish the handshake whatever it is. */
static int verify_keep_going(int ok, X509_STORE_CTX *st)
{
	(void)ok;
	(void)st;
	return 1;
}

static void ctx_free(struct tls_ctx *ctx)
{
	size_t i;

	SSL_CTX_free(ctx->ssl); /* first: it may still hand sessions to the cache */
	tlsreuse_unref(ctx->reuse);
	for (i = 0; i < ctx->ncerts; i++)
		cert_free(&ctx->certs[i]);
	free(ctx->certs);
	free(ctx);
}

/* What servers and clients share: versions, suites, groups, buffer and EOF habits. */
static struct tls_ctx *ctx_new(int server, int min, int max, const char *ciphers, char *err,
                               size_t errlen)
{
	struct tls_ctx *ctx;
	int vmin, vmax, n12;
	char why[200];
	uint64_t opts = SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION;

	if (tls_init(err, errlen) != 0)
		return NULL;
	if (tlsopts_versions(min, max, &vmin, &vmax, err, errlen) != 0)
		return NULL;
	ctx = calloc(1, sizeof(*ctx));
	if (ctx == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	ctx->refs = 1;
	ctx->is_server = server;
	ctx->ssl = SSL_CTX_new(server ? TLS_server_method() : TLS_client_method());
	if (ctx->ssl == NULL) {
		ossl_reason(why, sizeof(why));
		snprintf(err, errlen, "TLS setup: %s", why);
		goto fail;
	}
	n12 = ciphers_apply(ctx->ssl, ciphers, NULL, 0, why, sizeof(why));
	if (n12 < 0) {
		snprintf(err, errlen, "Ciphers \"%s\": %s", ciphers ? ciphers : "", why);
		goto fail;
	}
	if (n12 == 0 && vmin < TLS_V1_3)
		vmin = TLS_V1_3; /* nothing to offer a TLS 1.2 peer */
	if (vmin > vmax) {
		snprintf(err, errlen,
		         "Ciphers \"%s\" leaves no forward-secret TLS 1.2 suite, and TLS 1.3 is "
		         "not allowed",
		         ciphers ? ciphers : "");
		goto fail;
	}
	SSL_CTX_set_min_proto_version(ctx->ssl, vmin);
	SSL_CTX_set_max_proto_version(ctx->ssl, vmax);
	if (server)
		opts |= SSL_OP_CIPHER_SERVER_PREFERENCE;
#ifdef SSL_OP_IGNORE_UNEXPECTED_EOF
	/* A TCP close without close_notify is an end, as it is with mbedTLS (and as
	 * HTTP framing already tells a cut body from a whole one). */
	opts |= SSL_OP_IGNORE_UNEXPECTED_EOF;
#endif
	SSL_CTX_set_options(ctx->ssl, opts);
	/* RELEASE_BUFFERS: an idle keep-alive connection holds no record buffers. */
	SSL_CTX_set_mode(ctx->ssl, SSL_MODE_RELEASE_BUFFERS | SSL_MODE_ENABLE_PARTIAL_WRITE |
	                               SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	/* Cheapest first, as with mbedTLS: a router pays for every handshake. */
	if (SSL_CTX_set1_groups_list(ctx->ssl, "X25519:P-256:P-384") != 1)
		ERR_clear_error(); /* a build without X25519: the library's default */
	return ctx;
fail:
	ctx_free(ctx);
	return NULL;
}

/* The first certificate loaded: what the context presents unless SNI picks others. */
static int ctx_use_cert(struct tls_ctx *ctx, const char *path, char *err, size_t errlen)
{
	char why[160];

	if (SSL_CTX_use_cert_and_key(ctx->ssl, ctx->certs[0].leaf, ctx->certs[0].key,
	                             ctx->certs[0].chain, 1) == 1)
		return 0;
	ossl_reason(why, sizeof(why));
	snprintf(err, errlen, "%s: %s", path, why);
	return -1;
}

struct tls_ctx *tls_server_ctx_new(const struct tls_server_opts *o, char *err, size_t errlen)
{
	struct tls_ctx *ctx;
	size_t i;
	int mode = SSL_VERIFY_NONE;

	if (tlsopts_server_check(o, err, errlen) != 0)
		return NULL;
	ctx = ctx_new(1, o->min_version, o->max_version, o->ciphers, err, errlen);
	if (ctx == NULL)
		return NULL;
	ctx->certs = calloc(o->ncerts, sizeof(*ctx->certs));
	if (ctx->certs == NULL) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	for (i = 0; i < o->ncerts; i++) {
		if (cert_load(&ctx->certs[i], o->certs[i], err, errlen) != 0)
			goto fail;
		ctx->ncerts++;
	}
	if (ctx_use_cert(ctx, o->certs[0], err, errlen) != 0)
		goto fail;
	SSL_CTX_set_client_hello_cb(ctx->ssl, hello_cb, ctx);
	SSL_CTX_set_alpn_select_cb(ctx->ssl, alpn_cb, NULL);
	if (resume_setup(ctx, o, err, errlen) != 0)
		goto fail;
	if (o->client_ca != NULL && ca_load(ctx->ssl, o->client_ca, 1, err, errlen) != 0)
		goto fail;
	if (o->verify == TLS_VERIFY_OPTIONAL)
		mode = SSL_VERIFY_PEER;
	else if (o->verify == TLS_VERIFY_REQUIRED)
		mode = SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT;
	SSL_CTX_set_verify(ctx->ssl, mode,
	                   o->verify == TLS_VERIFY_OPTIONAL ? verify_keep_going : NULL);
	ctx->verifies = mode != SSL_VERIFY_NONE;
	return ctx;
fail:
	ctx_free(ctx);
	return NULL;
}

struct tls_ctx *tls_client_ctx_new(const struct tls_client_opts *o, char *err, size_t errlen)
{
	struct tls_ctx *ctx;

	if (tlsopts_client_check(o, err, errlen) != 0)
		return NULL;
	ctx = ctx_new(0, o->min_version, o->max_version, o->ciphers, err, errlen);
	if (ctx == NULL)
		return NULL;
	if (o->ca_file != NULL && ca_load(ctx->ssl, o->ca_file, 0, err, errlen) != 0)
		goto fail;
	SSL_CTX_set_verify(ctx->ssl, o->verify ? SSL_VERIFY_PEER : SSL_VERIFY_NONE, NULL);
	ctx->verifies = o->verify != 0;
	/* A backend connection resumes nothing: no session kept to offer back. */
	SSL_CTX_set_session_cache_mode(ctx->ssl, SSL_SESS_CACHE_OFF);
	if (o->cert != NULL) {
		ctx->certs = calloc(1, sizeof(*ctx->certs));
		if (ctx->certs == NULL) {
			snprintf(err, errlen, "out of memory");
			goto fail;
		}
		if (cert_load(&ctx->certs[0], o->cert, err, errlen) != 0)
			goto fail;
		ctx->ncerts = 1;
		if (ctx_use_cert(ctx, o->cert, err, errlen) != 0)
			goto fail;
	}
	return ctx;
fail:
	ctx_free(ctx);
	return NULL;
}

struct tls_ctx *tls_ctx_ref(struct tls_ctx *ctx)
{
	if (ctx != NULL)
		ctx->refs++;
	return ctx;
}

void tls_ctx_unref(struct tls_ctx *ctx)
{
	if (ctx != NULL && --ctx->refs == 0)
		ctx_free(ctx);
}

/* ---- connections -------------------------------------------------------------------- */

static struct tls_conn *conn_new(struct tls_ctx *ctx, int fd)
{
	struct tls_conn *c = calloc(1, sizeof(*c));

	if (c == NULL)
		return NULL;
	c->ssl = SSL_new(ctx->ssl);
	if (c->ssl == NULL || SSL_set_fd(c->ssl, fd) != 1) {
		SSL_free(c->ssl);
		free(c);
		ERR_clear_error();
		return NULL;
	}
	SSL_set_app_data(c->ssl, c);
	c->ctx = tls_ctx_ref(ctx);
	return c;
}

struct tls_conn *tls_new_server(struct tls_ctx *ctx, int fd)
{
	struct tls_conn *c;

	if (ctx == NULL || !ctx->is_server)
		return NULL;
	c = conn_new(ctx, fd);
	if (c != NULL)
		SSL_set_accept_state(c->ssl);
	return c;
}

static int is_ip_literal(const char *s)
{
	return strspn(s, "0123456789.") == strlen(s) || strchr(s, ':') != NULL;
}

struct tls_conn *tls_new_client(struct tls_ctx *ctx, int fd, const char *servername)
{
	struct tls_conn *c;
	int ok = 1;

	if (ctx == NULL || ctx->is_server)
		return NULL;
	c = conn_new(ctx, fd);
	if (c == NULL)
		return NULL;
	SSL_set_connect_state(c->ssl);
	if (servername != NULL && is_ip_literal(servername)) {
		/* No SNI for an address (RFC 6066 3); the certificate must name it (IP SAN). */
		if (ctx->verifies)
			ok = X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(c->ssl), servername) == 1;
	} else if (servername != NULL) {
		ok = SSL_set_tlsext_host_name(c->ssl, servername) == 1 &&
		     (!ctx->verifies || SSL_set1_host(c->ssl, servername) == 1);
	}
	if (!ok) {
		ERR_clear_error();
		tls_free(c);
		return NULL;
	}
	return c;
}

/* The library's answer in our terms; remembers what failed for tls_strerror(). */
static int map_ret(struct tls_conn *c, int ret)
{
	int saved = errno;

	switch (SSL_get_error(c->ssl, ret)) {
	case SSL_ERROR_WANT_READ:
		return TLS_WANT_READ;
	case SSL_ERROR_WANT_WRITE:
		return TLS_WANT_WRITE;
	case SSL_ERROR_ZERO_RETURN:
		c->eof = (SSL_get_shutdown(c->ssl) & SSL_RECEIVED_SHUTDOWN) ? 2 : 1;
		return TLS_EOF;
	case SSL_ERROR_SYSCALL:
		if (ERR_peek_error() == 0) {
			/* (the _ex calls return 0 for every failure: only errno tells an end of
			 * the stream from a reset, which must cut the exchange as with mbedTLS) */
			if (saved == 0) {
				c->eof = 1;
				return TLS_EOF;
			}
			c->sys_err = saved;
			return TLS_ERR;
		}
		/* fall through */
	default:
		c->err = ERR_peek_error();
		ERR_clear_error();
		return TLS_ERR;
	}
}

int tls_handshake(struct tls_conn *c)
{
	int ret, r;

	ERR_clear_error();
	errno = 0;
	ret = SSL_do_handshake(c->ssl);
	if (ret == 1)
		return TLS_OK;
	r = map_ret(c, ret);
	/* A peer gone in the middle of a handshake is a failure, not an end. */
	return r == TLS_EOF ? TLS_ERR : r;
}

ssize_t tls_read(struct tls_conn *c, void *buf, size_t len)
{
	size_t got = 0;
	int ret;

	if (len == 0)
		return 0;
	ERR_clear_error();
	errno = 0;
	ret = SSL_read_ex(c->ssl, buf, len, &got);
	if (ret == 1)
		return (ssize_t)got;
	return map_ret(c, ret);
}

ssize_t tls_write(struct tls_conn *c, const void *buf, size_t len)
{
	size_t put = 0;
	int ret;

	if (len == 0)
		return 0;
	ERR_clear_error();
	errno = 0;
	ret = SSL_write_ex(c->ssl, buf, len, &put);
	if (ret == 1)
		return put > 0 ? (ssize_t)put : TLS_WANT_WRITE;
	return map_ret(c, ret);
}

size_t tls_pending(const struct tls_conn *c)
{
	/* Decrypted bytes only: without read-ahead OpenSSL takes one record at a time off
	 * the socket, so what it holds undecrypted is never a whole record poll() hides. */
	int n = SSL_pending(c->ssl);

	return n > 0 ? (size_t)n : 0;
}

int tls_shutdown(struct tls_conn *c)
{
	int ret;

	ERR_clear_error();
	errno = 0;
	ret = SSL_shutdown(c->ssl);
	/* 0: ours is sent, theirs not yet read, which we never wait for */
	return ret >= 0 ? TLS_OK : map_ret(c, ret);
}

void tls_free(struct tls_conn *c)
{
	if (c == NULL)
		return;
	SSL_free(c->ssl);
	free(c->sni);
	tls_ctx_unref(c->ctx);
	free(c);
}

/* ---- what was negotiated ------------------------------------------------------------ */

const char *tls_sni(const struct tls_conn *c)
{
	return c->sni;
}

const char *tls_version(const struct tls_conn *c)
{
	const char *v = SSL_get_version(c->ssl);

	return v ? v : "";
}

const char *tls_cipher(const struct tls_conn *c)
{
	const SSL_CIPHER *ci = SSL_get_current_cipher(c->ssl);

	return ci ? SSL_CIPHER_get_name(ci) : "";
}

int tls_peer_cert(const struct tls_conn *c, char *buf, size_t buflen)
{
	X509 *crt = SSL_get_peer_certificate(c->ssl);
	long v = SSL_get_verify_result(c->ssl);

	if (buflen > 0)
		buf[0] = '\0';
	if (crt == NULL)
		return TLS_PEER_NONE;
	if (buflen > 0) {
		/* "C=DE, O=home, CN=alice": the certificate's order, short names, UTF-8 */
		BIO *m = BIO_new(BIO_s_mem());
		char *p;
		long n;

		if (m != NULL &&
		    X509_NAME_print_ex(m, X509_get_subject_name(crt), 0,
		                       XN_FLAG_SEP_CPLUS_SPC | XN_FLAG_FN_SN |
		                           (ASN1_STRFLGS_RFC2253 & ~ASN1_STRFLGS_ESC_MSB)) >= 0) {
			n = BIO_get_mem_data(m, &p);
			if (n >= (long)buflen)
				n = (long)buflen - 1;
			if (n > 0)
				memcpy(buf, p, (size_t)n);
			buf[n > 0 ? n : 0] = '\0';
		}
		BIO_free(m);
	}
	X509_free(crt);
	/* With verification off the result reads X509_V_OK too, which must not mean
	 * "verified". */
	return v == X509_V_OK && c->ctx->verifies ? TLS_PEER_OK : TLS_PEER_BAD;
}

const char *tls_strerror(const struct tls_conn *c, char *buf, size_t buflen)
{
	int reason = c->err ? ERR_GET_REASON(c->err) : 0;

	if (buflen == 0)
		return buf;
	if (c->sys_err != 0) {
		snprintf(buf, buflen, "%s", strerror(c->sys_err));
	} else if (reason == SSL_R_CERTIFICATE_VERIFY_FAILED) {
		snprintf(buf, buflen, "certificate verification failed: %s",
		         X509_verify_cert_error_string(SSL_get_verify_result(c->ssl)));
	} else if (reason == SSL_R_PEER_DID_NOT_RETURN_A_CERTIFICATE) {
		snprintf(buf, buflen, "the client sent no certificate, but one is required");
	} else if (c->err != 0) {
		const char *r = ERR_reason_error_string(c->err);

		if (r != NULL)
			snprintf(buf, buflen, "%s", r);
		else
			ERR_error_string_n(c->err, buf, buflen);
	} else if (c->eof == 2) {
		snprintf(buf, buflen, "the peer closed the TLS session");
	} else if (c->eof == 1) {
		snprintf(buf, buflen, "the peer closed the connection");
	} else {
		snprintf(buf, buflen, "no error");
	}
	return buf;
}
