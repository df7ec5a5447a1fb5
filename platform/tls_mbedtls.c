/*
 * tls_mbedtls.c - the TLS shim (core/tls.h) on mbedTLS 2.28 and 3.6.
 *
 * Every difference between the two lines stays in this file, behind
 * MBEDTLS_VERSION_NUMBER and the library's feature macros: PSA init, RNG
 * arguments of the key functions, private struct fields, how versions are
 * set, TLS 1.3, and the host name a verifying client must set since 3.6.3.
 * We never define an MBEDTLS_* configuration macro: that would change the
 * layout of the library's structs under its feet.
 *
 * I/O is ours: each connection calls recv()/send() on its non-blocking fd and
 * turns EAGAIN into WANT_READ / WANT_WRITE, so the poll loop stays in charge.
 *
 * The library has no cipher strings: cipherstr.c reads them over a universe
 * this file builds from the forward-secret AEAD TLS 1.2 suites alone, so no
 * string can make pinfold offer anything weaker.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include <mbedtls/ssl.h>
#include <mbedtls/ctr_drbg.h>
#include <mbedtls/md.h>
#include <mbedtls/entropy.h>
#include <mbedtls/error.h>
#include <mbedtls/net_sockets.h>
#include <mbedtls/oid.h>
#include <mbedtls/pk.h>
#include <mbedtls/platform_util.h>
#include <mbedtls/ssl_cache.h>
#include <mbedtls/ssl_ciphersuites.h>
#include <mbedtls/ssl_ticket.h>
#include <mbedtls/version.h>
#include <mbedtls/x509_crt.h>
#if MBEDTLS_VERSION_NUMBER >= 0x03000000
#include <psa/crypto.h>
#endif

#include "cipherstr.h"
#include "tls.h"
#include "tlsopts.h"
#include "tlsreuse.h"

#if defined(MBEDTLS_VERSION_NUMBER) && MBEDTLS_VERSION_NUMBER < 0x021C0000
#error "pinfold needs mbedTLS 2.28 or later"
#endif

/* ---- what differs between 2.28 and 3.x ----------------------------------------------- */

#if MBEDTLS_VERSION_NUMBER >= 0x03000000
/* 3.x made the suite table's fields private; reading them is still the only way to
 * learn a suite's key exchange and cipher. */
#define SUITE_FIELD(info, f)    ((info)->MBEDTLS_PRIVATE(f))
#define SUITE_IS_TLS13(info)    (SUITE_FIELD(info, min_tls_version) >= 0x0304)
#define PK_PARSE(pk, buf, len)  mbedtls_pk_parse_key(pk, buf, len, NULL, 0, rng_fn, &rng.drbg)
#define PK_CHECK_PAIR(pub, prv) mbedtls_pk_check_pair(pub, prv, rng_fn, &rng.drbg)
#else
#define SUITE_FIELD(info, f)    ((info)->f)
#define SUITE_IS_TLS13(info)    ((info)->min_minor_ver >= 4)
#define PK_PARSE(pk, buf, len)  mbedtls_pk_parse_key(pk, buf, len, NULL, 0)
#define PK_CHECK_PAIR(pub, prv) mbedtls_pk_check_pair(pub, prv)
#endif

/*
 * Server-side TLS 1.3 first became complete in the 3.6 LTS; the 3.1..3.5 code had
 * gaps (and 2.28's is an experimental client), so only 3.6+ offers it.
 */
#if MBEDTLS_VERSION_NUMBER >= 0x03060000 && defined(MBEDTLS_SSL_PROTO_TLS1_3) &&                   \
    defined(MBEDTLS_SSL_SRV_C) && defined(MBEDTLS_SSL_CLI_C)
#define HAVE_TLS13 1
#else
#define HAVE_TLS13 0
#endif

#ifndef MSG_NOSIGNAL
#define MSG_NOSIGNAL 0 /* the platform has none: main() ignores SIGPIPE instead */
#endif

#define PEM_MAX_SIZE (1024 * 1024) /* a cert bundle larger than this is a mistake */
#define SNI_MAX      255           /* RFC 6066 host_name */

/* ---- process state ------------------------------------------------------------------- */

/*
 * The random generator is process-wide by nature: every context points at it, and
 * seeding it per context would only cost entropy.  It is the one piece of mutable
 * state in this file, set up once by tls_init().
 */
static struct {
	int ready;
	mbedtls_entropy_context entropy;
	mbedtls_ctr_drbg_context drbg;
} rng;

static int rng_fn(void *arg, unsigned char *out, size_t len)
{
	return mbedtls_ctr_drbg_random(arg, out, len);
}

/* The library's text for an error code, or the code where it was built without texts. */
static void mbed_strerror(int ret, char *buf, size_t len)
{
#if defined(MBEDTLS_ERROR_C)
	mbedtls_strerror(ret, buf, len);
#else
	snprintf(buf, len, "mbedTLS error -0x%04x", (unsigned)-ret);
#endif
}

int tls_init(char *err, size_t errlen)
{
	int ret;
	char why[128];

	if (rng.ready)
		return 0;
#if MBEDTLS_VERSION_NUMBER >= 0x03000000 && defined(MBEDTLS_PSA_CRYPTO_C)
	/* 3.x runs TLS 1.3 and parts of X.509 through PSA, which must be up first. */
	psa_status_t st = psa_crypto_init();
	if (st != PSA_SUCCESS) {
		snprintf(err, errlen, "TLS: psa_crypto_init failed (%d)", (int)st);
		return -1;
	}
#endif
	mbedtls_entropy_init(&rng.entropy);
	mbedtls_ctr_drbg_init(&rng.drbg);
	ret = mbedtls_ctr_drbg_seed(&rng.drbg, mbedtls_entropy_func, &rng.entropy,
	                            (const unsigned char *)"pinfold", 7);
	if (ret != 0) {
		mbed_strerror(ret, why, sizeof(why));
		snprintf(err, errlen, "TLS: seeding the random generator failed: %s", why);
		mbedtls_ctr_drbg_free(&rng.drbg);
		mbedtls_entropy_free(&rng.entropy);
		return -1;
	}
	rng.ready = 1;
	return 0;
}

void tls_exit(void)
{
	if (!rng.ready)
		return;
	mbedtls_ctr_drbg_free(&rng.drbg);
	mbedtls_entropy_free(&rng.entropy);
#if MBEDTLS_VERSION_NUMBER >= 0x03000000 && defined(MBEDTLS_PSA_CRYPTO_C)
	mbedtls_psa_crypto_free();
#endif
	rng.ready = 0;
}

const char *tls_backend_name(void)
{
	return "mbedTLS";
}

const char *tls_backend_version(void)
{
#if defined(MBEDTLS_VERSION_C)
	/* The library we run with, which may be newer than the headers we built with. */
	static char v[18];

	mbedtls_version_get_string(v);
	return v;
#else
	return MBEDTLS_VERSION_STRING;
#endif
}

int tls_max_version(void)
{
	return HAVE_TLS13 ? TLS_V1_3 : TLS_V1_2;
}

/* ---- cipher strings (read by cipherstr.c) ------------------------------------------- */

/* A suite's CS_* attributes, from the library's table. */
static uint64_t suite_attrs(const mbedtls_ssl_ciphersuite_t *info, int *bits)
{
	uint64_t at = 0;

	switch ((int)SUITE_FIELD(info, key_exchange)) {
	case MBEDTLS_KEY_EXCHANGE_ECDHE_ECDSA:
		at |= CS_KECDHE | CS_AECDSA;
		break;
	case MBEDTLS_KEY_EXCHANGE_ECDHE_RSA:
		at |= CS_KECDHE | CS_ARSA;
		break;
	case MBEDTLS_KEY_EXCHANGE_DHE_RSA:
		at |= CS_KDHE | CS_ARSA;
		break;
	case MBEDTLS_KEY_EXCHANGE_ECDH_ECDSA:
		at |= CS_KECDH | CS_AECDSA;
		break;
	case MBEDTLS_KEY_EXCHANGE_ECDH_RSA:
		at |= CS_KECDH | CS_ARSA;
		break;
	case MBEDTLS_KEY_EXCHANGE_RSA:
		at |= CS_KRSA | CS_ARSA;
		break;
	case MBEDTLS_KEY_EXCHANGE_PSK:
	case MBEDTLS_KEY_EXCHANGE_DHE_PSK:
	case MBEDTLS_KEY_EXCHANGE_ECDHE_PSK:
	case MBEDTLS_KEY_EXCHANGE_RSA_PSK:
		at |= CS_KPSK | CS_APSK;
		break;
	default:
		at |= CS_KOTHER | CS_AOTHER;
		break;
	}

	*bits = 0;
	switch ((int)SUITE_FIELD(info, cipher)) {
	case MBEDTLS_CIPHER_AES_128_GCM:
		at |= CS_AES | CS_B128 | CS_GCM;
		break;
	case MBEDTLS_CIPHER_AES_256_GCM:
		at |= CS_AES | CS_B256 | CS_GCM;
		break;
	case MBEDTLS_CIPHER_AES_128_CCM:
		at |= CS_AES | CS_B128 | CS_CCM;
		break;
	case MBEDTLS_CIPHER_AES_256_CCM:
		at |= CS_AES | CS_B256 | CS_CCM;
		break;
	case MBEDTLS_CIPHER_AES_128_CBC:
		at |= CS_AES | CS_B128 | CS_CBC;
		break;
	case MBEDTLS_CIPHER_AES_256_CBC:
		at |= CS_AES | CS_B256 | CS_CBC;
		break;
	case MBEDTLS_CIPHER_CHACHA20_POLY1305:
		at |= CS_CHACHA20 | CS_B256 | CS_POLY1305;
		break;
	case MBEDTLS_CIPHER_CAMELLIA_128_GCM:
		at |= CS_CAMELLIA | CS_B128 | CS_GCM;
		break;
	case MBEDTLS_CIPHER_CAMELLIA_256_GCM:
		at |= CS_CAMELLIA | CS_B256 | CS_GCM;
		break;
	case MBEDTLS_CIPHER_CAMELLIA_128_CBC:
		at |= CS_CAMELLIA | CS_B128 | CS_CBC;
		break;
	case MBEDTLS_CIPHER_CAMELLIA_256_CBC:
		at |= CS_CAMELLIA | CS_B256 | CS_CBC;
		break;
	case MBEDTLS_CIPHER_ARIA_128_GCM:
		at |= CS_ARIA | CS_B128 | CS_GCM;
		break;
	case MBEDTLS_CIPHER_ARIA_256_GCM:
		at |= CS_ARIA | CS_B256 | CS_GCM;
		break;
	case MBEDTLS_CIPHER_ARIA_128_CBC:
		at |= CS_ARIA | CS_B128 | CS_CBC;
		break;
	case MBEDTLS_CIPHER_ARIA_256_CBC:
		at |= CS_ARIA | CS_B256 | CS_CBC;
		break;
	case MBEDTLS_CIPHER_DES_EDE3_CBC:
		at |= CS_3DES | CS_CBC;
		*bits = 112;
		break;
#if MBEDTLS_VERSION_NUMBER < 0x03000000
	case MBEDTLS_CIPHER_ARC4_128:
		at |= CS_RC4;
		*bits = 128;
		break;
#endif
	case MBEDTLS_CIPHER_NULL:
		at |= CS_ENULL;
		break;
	default:
		at |= CS_EOTHER;
		break;
	}
	if (at & CS_B128)
		*bits = 128;
	if (at & CS_B256)
		*bits = 256;
	if ((at & CS_CCM) && (SUITE_FIELD(info, flags) & MBEDTLS_CIPHERSUITE_SHORT_TAG))
		at = (at & ~CS_CCM) | CS_CCM8;

	switch ((int)SUITE_FIELD(info, mac)) {
	case MBEDTLS_MD_SHA1:
		at |= CS_SHA1;
		break;
	case MBEDTLS_MD_SHA256:
		at |= CS_SHA256;
		break;
	case MBEDTLS_MD_SHA384:
		at |= CS_SHA384;
		break;
	case MBEDTLS_MD_MD5:
		at |= CS_MD5;
		break;
	default:
		break;
	}
	return at;
}

/* The floor (cipherstr_acceptable), less what the library itself calls weak. */
static int suite_acceptable(const mbedtls_ssl_ciphersuite_t *info, uint64_t at)
{
	if (SUITE_FIELD(info, flags) & MBEDTLS_CIPHERSUITE_WEAK)
		return 0;
	return cipherstr_acceptable(at);
}

/*
 * The library's acceptable TLS 1.2 suites: ECDHE-ECDSA first, then ECDHE-RSA, then
 * DHE-RSA, each group in the library's own order (ChaCha20 first, which suits routers
 * without AES instructions).  mbedTLS picks the suite before the certificate, so this
 * order is what makes a server holding an ECDSA and an RSA certificate for one name
 * answer with the ECDSA one: 2.3x cheaper per handshake on a router.  Caller frees.
 */
static struct cipherstr_suite *suite_universe(size_t *n)
{
	static const uint64_t groups[] = {CS_KECDHE | CS_AECDSA, CS_KECDHE | CS_ARSA,
	                                  CS_KDHE | CS_ARSA};
	const int *ids = mbedtls_ssl_list_ciphersuites();
	size_t total = 0, i, g;
	struct cipherstr_suite *u;

	while (ids[total] != 0)
		total++;
	u = calloc(total + 1, sizeof(*u));
	if (u == NULL)
		return NULL;
	*n = 0;
	for (g = 0; g < sizeof(groups) / sizeof(groups[0]); g++) {
		for (i = 0; i < total; i++) {
			const mbedtls_ssl_ciphersuite_t *info =
			    mbedtls_ssl_ciphersuite_from_id(ids[i]);
			uint64_t at;
			int bits;

			if (info == NULL || SUITE_IS_TLS13(info))
				continue;
			at = suite_attrs(info, &bits);
			if (!suite_acceptable(info, at) || (at & groups[g]) != groups[g])
				continue;
			u[*n].id = ids[i];
			u[*n].at = at;
			u[*n].bits = bits;
			(*n)++;
		}
	}
	return u;
}

/* "TLS-ECDHE-..." (mbedTLS) or "TLS_ECDHE_..." (IANA): the same text but for '_'. */
static int name_is_library_suite(const char *s, size_t len)
{
	char name[128];
	size_t i;

	if (len >= sizeof(name))
		return 0;
	for (i = 0; i < len; i++)
		name[i] = s[i] == '_' ? '-' : s[i];
	name[len] = '\0';
	return mbedtls_ssl_get_ciphersuite_id(name);
}

/*
 * The suite list for mbedtls_ssl_conf_ciphersuites(): what the string selects for
 * TLS 1.2, then (when TLS 1.3 may be used) the library's TLS 1.3 suites.
 * Zero-terminated; *n12 gets the TLS 1.2 count.
 */
static int *cipher_list(const char *str, int want13, size_t *n12, char *err, size_t errlen)
{
	struct cipherstr_suite *u = NULL;
	size_t nu = 0, i, n = 0, total = 0;
	int *pick = NULL, *ids = NULL;
	const int *all = mbedtls_ssl_list_ciphersuites();
	int k;

	u = suite_universe(&nu);
	if (u == NULL) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	k = cipherstr_select(str, u, nu, name_is_library_suite, &pick, err, errlen);
	if (k < 0)
		goto fail;
	while (all[total] != 0)
		total++;
	ids = calloc((size_t)k + total + 1, sizeof(*ids));
	if (ids == NULL) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	for (i = 0; i < (size_t)k; i++)
		ids[n++] = u[pick[i]].id;
	*n12 = n;
	for (i = 0; want13 && i < total; i++) {
		const mbedtls_ssl_ciphersuite_t *info = mbedtls_ssl_ciphersuite_from_id(all[i]);

		if (info != NULL && SUITE_IS_TLS13(info))
			ids[n++] = all[i];
	}
	ids[n] = 0;
fail:
	free(pick);
	free(u);
	return ids;
}

int tls_cipher_check(const char *ciphers, char *buf, size_t buflen)
{
	size_t n12 = 0, i, used = 0;
	int *ids = cipher_list(ciphers, 0, &n12, buf, buflen);

	if (ids == NULL)
		return -1;
	if (buflen > 0)
		buf[0] = '\0';
	for (i = 0; i < n12 && buflen > 0; i++) {
		const char *name = mbedtls_ssl_get_ciphersuite_name(ids[i]);
		int w = snprintf(buf + used, buflen - used, "%s%s", i ? ":" : "", name);

		if (w < 0 || (size_t)w >= buflen - used) {
			/* Cut, and say so: the count is what matters. */
			if (buflen > 4)
				memcpy(buf + buflen - 4, "...", 4);
			break;
		}
		used += (size_t)w;
	}
	free(ids);
	return (int)n12;
}

/* ---- certificates -------------------------------------------------------------------- */

struct tls_cert {
	mbedtls_x509_crt chain; /* leaf first */
	mbedtls_pk_context key;
	char **names; /* DNS SANs and CN of the leaf, for SNI */
	size_t nnames;
};

struct tls_ctx {
	int refs;
	int is_server;
	int verifies; /* peer certificates are checked against ca */
	mbedtls_ssl_config conf;
	struct tls_cert *certs; /* server: the Cert files; client: at most one */
	size_t ncerts;
	mbedtls_x509_crt ca;
	int *suites;            /* the config points into this */
	struct tlsreuse *reuse; /* server: tickets and session cache (struct resume) */
	/*
	 * The connection inside a library call right now.  The ticket and cache callbacks
	 * are handed only ctx, and need to know which certificates that connection's SNI
	 * chose; one thread, so this is always the caller.
	 */
	struct tls_conn *active;
};

/* The whole file, NUL-terminated: the PEM parsers want the NUL counted in the length. */
static unsigned char *pem_read(const char *path, size_t *len, char *err, size_t errlen)
{
	FILE *f = fopen(path, "rb");
	unsigned char *buf = NULL;
	size_t cap = 0, n = 0;

	if (f == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	/* unbuffered: the bytes (a private key, maybe) land only in buf, which is wiped */
	setvbuf(f, NULL, _IONBF, 0);
	for (;;) {
		size_t got;

		if (n + 4096 + 1 > cap) {
			unsigned char *nb;

			if (cap >= PEM_MAX_SIZE) {
				snprintf(err, errlen, "%s: larger than %d bytes, not a PEM file?",
				         path, PEM_MAX_SIZE);
				goto fail;
			}
			/* not realloc: the old block may hold key bytes and must be wiped */
			nb = malloc(cap ? cap * 2 : 8192);
			if (nb == NULL) {
				snprintf(err, errlen, "%s: out of memory", path);
				goto fail;
			}
			if (buf != NULL) {
				memcpy(nb, buf, n);
				mbedtls_platform_zeroize(buf, cap);
				free(buf);
			}
			buf = nb;
			cap = cap ? cap * 2 : 8192;
		}
		got = fread(buf + n, 1, cap - n - 1, f);
		n += got;
		if (got == 0)
			break;
	}
	if (ferror(f)) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto fail;
	}
	fclose(f);
	buf[n] = '\0';
	*len = n + 1;
	return buf;
fail:
	fclose(f);
	if (buf != NULL)
		mbedtls_platform_zeroize(buf, cap);
	free(buf);
	return NULL;
}

static int cert_add_name(struct tls_cert *tc, const unsigned char *p, size_t len)
{
	char **nn;
	char *s;

	if (len == 0 || len > SNI_MAX || memchr(p, '\0', len) != NULL)
		return 0; /* not a host name: nothing to match SNI against */
	nn = realloc(tc->names, (tc->nnames + 1) * sizeof(*nn));
	if (nn == NULL)
		return -1;
	tc->names = nn;
	s = malloc(len + 1);
	if (s == NULL)
		return -1;
	memcpy(s, p, len);
	s[len] = '\0';
	tc->names[tc->nnames++] = s;
	return 0;
}

/* The names SNI is matched against: the leaf's DNS SANs, then its CN. */
static int cert_collect_names(struct tls_cert *tc)
{
	const mbedtls_x509_sequence *san;
	const mbedtls_x509_name *dn;

	for (san = &tc->chain.subject_alt_names; san != NULL; san = san->next) {
		if (san->buf.p == NULL ||
		    san->buf.tag != (MBEDTLS_ASN1_CONTEXT_SPECIFIC | MBEDTLS_X509_SAN_DNS_NAME))
			continue;
		if (cert_add_name(tc, san->buf.p, san->buf.len) != 0)
			return -1;
	}
	for (dn = &tc->chain.subject; dn != NULL; dn = dn->next) {
		if (dn->oid.p != NULL && MBEDTLS_OID_CMP(MBEDTLS_OID_AT_CN, &dn->oid) == 0 &&
		    cert_add_name(tc, dn->val.p, dn->val.len) != 0)
			return -1;
	}
	return 0;
}

static void cert_free(struct tls_cert *tc)
{
	size_t i;

	mbedtls_x509_crt_free(&tc->chain);
	mbedtls_pk_free(&tc->key);
	for (i = 0; i < tc->nnames; i++)
		free(tc->names[i]);
	free(tc->names);
	tc->names = NULL;
	tc->nnames = 0;
}

/* One PEM file holding a private key and its chain, leaf first (Pound's Cert). */
static int cert_load(struct tls_cert *tc, const char *path, char *err, size_t errlen)
{
	unsigned char *buf;
	size_t len = 0;
	char why[160];
	int ret, rc = -1;

	mbedtls_x509_crt_init(&tc->chain);
	mbedtls_pk_init(&tc->key);
	buf = pem_read(path, &len, err, errlen);
	if (buf == NULL)
		return -1;
	if (strstr((char *)buf, "-----BEGIN CERTIFICATE-----") == NULL) {
		snprintf(err, errlen, "%s: no certificate in the file (PEM expected)", path);
		goto fail;
	}
	ret = mbedtls_x509_crt_parse(&tc->chain, buf, len);
	if (ret != 0) {
		if (ret > 0)
			snprintf(why, sizeof(why), "%d of its certificates could not be parsed",
			         ret);
		else
			mbed_strerror(ret, why, sizeof(why));
		snprintf(err, errlen, "%s: bad certificate: %s", path, why);
		goto fail;
	}
	if (strstr((char *)buf, "PRIVATE KEY-----") == NULL) {
		snprintf(err, errlen,
		         "%s: no private key in the file (it must hold the key and the "
		         "certificate chain)",
		         path);
		goto fail;
	}
	ret = PK_PARSE(&tc->key, buf, len);
	if (ret == MBEDTLS_ERR_PK_PASSWORD_REQUIRED) {
		snprintf(err, errlen, "%s: the private key is encrypted; it must not be", path);
		goto fail;
	}
	if (ret != 0) {
		mbed_strerror(ret, why, sizeof(why));
		snprintf(err, errlen, "%s: bad private key: %s", path, why);
		goto fail;
	}
	if (PK_CHECK_PAIR(&tc->chain.pk, &tc->key) != 0) {
		snprintf(err, errlen,
		         "%s: the private key does not match the first certificate (the "
		         "server's own certificate must come first)",
		         path);
		goto fail;
	}
	if (cert_collect_names(tc) != 0) {
		snprintf(err, errlen, "%s: out of memory", path);
		goto fail;
	}
	rc = 0;
fail:
	mbedtls_platform_zeroize(buf, len); /* it held the private key */
	free(buf);
	if (rc != 0)
		cert_free(tc);
	return rc;
}

static int ca_load(mbedtls_x509_crt *ca, const char *path, char *err, size_t errlen)
{
	unsigned char *buf;
	size_t len = 0;
	char why[160];
	int ret, rc = -1;

	buf = pem_read(path, &len, err, errlen);
	if (buf == NULL)
		return -1;
	if (strstr((char *)buf, "-----BEGIN CERTIFICATE-----") == NULL) {
		snprintf(err, errlen, "%s: no certificate in the file (PEM expected)", path);
		goto fail;
	}
	/* A bundle may hold a few certificates this library cannot read; fine as long as
	 * some remain. */
	ret = mbedtls_x509_crt_parse(ca, buf, len);
	if (ret < 0 || ca->raw.p == NULL) {
		mbed_strerror(ret < 0 ? ret : MBEDTLS_ERR_X509_INVALID_FORMAT, why, sizeof(why));
		snprintf(err, errlen, "%s: bad CA certificate: %s", path, why);
		goto fail;
	}
	rc = 0;
fail:
	free(buf);
	return rc;
}

/* ---- contexts ------------------------------------------------------------------------ */

/* Whether a SNI name (no NUL, no trailing dot) is one of a certificate's names. */
static int cert_matches(const struct tls_cert *tc, const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < tc->nnames; i++) {
		const char *pat = tc->names[i];
		size_t plen = strlen(pat);

		if (plen > 2 && pat[0] == '*' && pat[1] == '.') {
			/* "*.example.com" stands for exactly one label. */
			const char *dot = memchr(name, '.', len);

			if (dot != NULL && dot != name && (size_t)(name + len - dot) == plen - 1 &&
			    strncasecmp(dot, pat + 1, plen - 1) == 0)
				return 1;
		} else if (plen == len && strncasecmp(pat, name, len) == 0) {
			return 1;
		}
	}
	return 0;
}

struct tls_conn {
	mbedtls_ssl_context ssl; /* first: the SNI callback is handed only this */
	struct tls_ctx *ctx;
	int fd;
	int err;          /* the library's code for the last failure, or 0 */
	int sys_err;      /* errno of the last failed send/recv, or 0 */
	char *sni;        /* server side: the name the client asked for */
	int sni_seen;     /* server side: the SNI callback ran */
	uint64_t certset; /* server side: bit i = Cert i offered (the default: bit 0) */
};

/*
 * Pick certificates by the name the client asked for.  Every Cert whose names match is
 * offered, in config order, so the library takes the first one the client can use (an
 * ECDSA cert, else the RSA one for the same name).  No match: the default stays.
 */
static int sni_pick(void *arg, mbedtls_ssl_context *ssl, const unsigned char *name, size_t len)
{
	struct tls_ctx *ctx = arg;
	struct tls_conn *c = (struct tls_conn *)(void *)ssl;
	size_t i;
	int matched = 0;

	c->sni_seen = 1;
	free(c->sni);
	c->sni = NULL;
	if (!tlsopts_sni(name, &len, &c->sni))
		return 0; /* not a usable host name: the default certificate answers */
	for (i = 0; i < ctx->ncerts; i++) {
		struct tls_cert *tc = &ctx->certs[i];

		if (!cert_matches(tc, (const char *)name, len))
			continue;
		if (mbedtls_ssl_set_hs_own_cert(ssl, &tc->chain, &tc->key) != 0)
			return -1;
		if (!matched)
			c->certset = 0;
		matched = 1;
		c->certset |= 1ull << (i % 64);
	}
	return 0;
}

#if defined(MBEDTLS_SSL_ALPN)
static const char *alpn_protos[] = {"http/1.1", NULL};
#endif

/* ---- session resumption ------------------------------------------------------------- */

#if defined(MBEDTLS_SSL_SESSION_TICKETS) && defined(MBEDTLS_SSL_TICKET_C) &&                       \
    defined(MBEDTLS_HAVE_TIME)
#define HAVE_TICKETS 1
#else
#define HAVE_TICKETS 0
#endif
#if defined(MBEDTLS_SSL_CACHE_C)
#define HAVE_CACHE 1
#else
#define HAVE_CACHE 0
#endif

/* Which certificates a cached session was made under, by session ID. */
struct certset_of {
	unsigned char id[32];
	size_t idlen;
	uint64_t certset;
};

/* What contexts of unchanged settings share (through tlsreuse). */
struct resume {
#if HAVE_TICKETS
	mbedtls_ssl_ticket_context ticket; /* keys from the RNG, rotated by the library */
#endif
#if HAVE_CACHE
	mbedtls_ssl_cache_context cache;
#endif
	struct certset_of *sets; /* as many as the cache holds, oldest overwritten */
	size_t nsets, next;
};

static void resume_free(void *arg)
{
	struct resume *r = arg;

#if HAVE_TICKETS
	mbedtls_ssl_ticket_free(&r->ticket);
#endif
#if HAVE_CACHE
	mbedtls_ssl_cache_free(&r->cache);
#endif
	free(r->sets);
	mbedtls_platform_zeroize(r, sizeof(*r));
	free(r);
}

/*
 * mbedTLS has no session-ID context, so sessions are bound to the certificates the
 * SNI choice offered here: a ticket carries that set in 8 bytes before the library's
 * sealed part, and a cached session has it beside its ID.  A session made under
 * another set falls back to a full handshake.  Where a ticket is read before the SNI
 * callback has run (extension order is the client's), a listener with several Cert
 * lines cannot tell yet which set applies, and does a full handshake too.
 */
#if HAVE_TICKETS
static int ticket_write(void *arg, const mbedtls_ssl_session *session, unsigned char *start,
                        const unsigned char *end, size_t *tlen, uint32_t *lifetime)
{
	struct tls_ctx *ctx = arg;
	struct resume *r = ctx->reuse->state;
	int ret;

	if (ctx->active == NULL || end - start < 8)
		return MBEDTLS_ERR_SSL_BUFFER_TOO_SMALL;
	memcpy(start, &ctx->active->certset, 8);
	ret = mbedtls_ssl_ticket_write(&r->ticket, session, start + 8, end, tlen, lifetime);
	if (ret == 0)
		*tlen += 8;
	return ret;
}

static int ticket_parse(void *arg, mbedtls_ssl_session *session, unsigned char *buf, size_t len)
{
	struct tls_ctx *ctx = arg;
	struct resume *r = ctx->reuse->state;
	uint64_t set;

	if (ctx->active == NULL || len < 8)
		return MBEDTLS_ERR_SSL_INVALID_MAC;
	memcpy(&set, buf, 8);
	if (ctx->ncerts > 1 && !ctx->active->sni_seen)
		return MBEDTLS_ERR_SSL_INVALID_MAC; /* cannot tell yet: a full handshake */
	if (set != ctx->active->certset)
		return MBEDTLS_ERR_SSL_INVALID_MAC;
	return mbedtls_ssl_ticket_parse(&r->ticket, session, buf + 8, len - 8);
}
#endif

#if HAVE_CACHE
static struct certset_of *certset_find(struct resume *r, const unsigned char *id, size_t idlen)
{
	size_t i;

	for (i = 0; i < r->nsets; i++)
		if (r->sets[i].idlen == idlen && idlen > 0 && memcmp(r->sets[i].id, id, idlen) == 0)
			return &r->sets[i];
	return NULL;
}

static int cache_get_as(struct tls_ctx *ctx, const unsigned char *id, size_t idlen)
{
	struct certset_of *e = certset_find(ctx->reuse->state, id, idlen);

	return ctx->active != NULL && e != NULL && e->certset == ctx->active->certset;
}

static void cache_set_as(struct tls_ctx *ctx, const unsigned char *id, size_t idlen)
{
	struct resume *r = ctx->reuse->state;
	struct certset_of *e;

	if (ctx->active == NULL || idlen > sizeof(e->id) || r->nsets == 0)
		return;
	e = certset_find(r, id, idlen);
	if (e == NULL) {
		e = &r->sets[r->next];
		r->next = (r->next + 1) % r->nsets;
	}
	memcpy(e->id, id, idlen);
	e->idlen = idlen;
	e->certset = ctx->active->certset;
}

#if MBEDTLS_VERSION_NUMBER >= 0x03000000
static int cache_get(void *arg, const unsigned char *id, size_t idlen, mbedtls_ssl_session *s)
{
	struct tls_ctx *ctx = arg;
	struct resume *r = ctx->reuse->state;

	if (!cache_get_as(ctx, id, idlen))
		return MBEDTLS_ERR_SSL_CACHE_ENTRY_NOT_FOUND;
	return mbedtls_ssl_cache_get(&r->cache, id, idlen, s);
}

static int cache_set(void *arg, const unsigned char *id, size_t idlen, const mbedtls_ssl_session *s)
{
	struct tls_ctx *ctx = arg;
	struct resume *r = ctx->reuse->state;
	int ret = mbedtls_ssl_cache_set(&r->cache, id, idlen, s);

	if (ret == 0)
		cache_set_as(ctx, id, idlen);
	return ret;
}
#else
static int cache_get(void *arg, mbedtls_ssl_session *s)
{
	struct tls_ctx *ctx = arg;
	struct resume *r = ctx->reuse->state;

	if (!cache_get_as(ctx, s->id, s->id_len))
		return 1;
	return mbedtls_ssl_cache_get(&r->cache, s);
}

static int cache_set(void *arg, const mbedtls_ssl_session *s)
{
	struct tls_ctx *ctx = arg;
	struct resume *r = ctx->reuse->state;
	int ret = mbedtls_ssl_cache_set(&r->cache, s);

	if (ret == 0)
		cache_set_as(ctx, s->id, s->id_len);
	return ret;
}
#endif
#endif

/*
 * Sessions for a server context: the state of a live context with the same settings
 * and files when there is one (a reload), else a new one.
 */
static int resume_setup(struct tls_ctx *ctx, const struct tls_server_opts *o, char *err,
                        size_t errlen)
{
	const mbedtls_md_info_t *sha256 = mbedtls_md_info_from_type(MBEDTLS_MD_SHA256);
	unsigned char md[TLSREUSE_ID_LEN];
	size_t len = 0;
	unsigned char *id;
	struct resume *r;
	int ret;

	if (o->no_tickets && o->session_cache <= 0)
		return 0; /* nothing to resume with */
	if (sha256 == NULL) {
		snprintf(err, errlen, "TLS setup: this mbedTLS has no SHA-256");
		return -1;
	}
	id = tlsreuse_identity(o, &len, err, errlen);
	if (id == NULL)
		return -1;
	ret = mbedtls_md(sha256, id, len, md);
	mbedtls_platform_zeroize(id, len);
	free(id);
	if (ret != 0) {
		snprintf(err, errlen, "TLS setup: SHA-256 failed");
		return -1;
	}
	ctx->reuse = tlsreuse_find(md);
	if (ctx->reuse == NULL) {
		r = calloc(1, sizeof(*r));
		if (r == NULL) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
#if HAVE_TICKETS
		mbedtls_ssl_ticket_init(&r->ticket);
#endif
#if HAVE_CACHE
		mbedtls_ssl_cache_init(&r->cache);
		if (o->session_cache > 0) {
			mbedtls_ssl_cache_set_max_entries(&r->cache, o->session_cache);
#if defined(MBEDTLS_HAVE_TIME)
			mbedtls_ssl_cache_set_timeout(&r->cache, TLS_TICKET_ROTATE);
#endif
			r->nsets = (size_t)o->session_cache;
			r->sets = calloc(r->nsets, sizeof(*r->sets));
		}
#endif
		ret = 0;
#if HAVE_TICKETS
		if (!o->no_tickets)
			ret =
			    mbedtls_ssl_ticket_setup(&r->ticket, rng_fn, &rng.drbg,
			                             MBEDTLS_CIPHER_AES_256_GCM, TLS_TICKET_ROTATE);
#endif
		if (ret != 0 || (r->nsets > 0 && r->sets == NULL) ||
		    (ctx->reuse = tlsreuse_add(md, r, resume_free)) == NULL) {
			resume_free(r);
			snprintf(err, errlen, "TLS setup: session tickets: out of memory");
			return -1;
		}
	}
#if HAVE_TICKETS
	if (!o->no_tickets)
		mbedtls_ssl_conf_session_tickets_cb(&ctx->conf, ticket_write, ticket_parse, ctx);
#endif
#if HAVE_CACHE
	if (o->session_cache > 0)
		mbedtls_ssl_conf_session_cache(&ctx->conf, ctx, cache_get, cache_set);
#endif
	return 0;
}

static void versions_set(mbedtls_ssl_config *conf, int vmin, int vmax)
{
#if MBEDTLS_VERSION_NUMBER >= 0x03020000
	mbedtls_ssl_conf_min_tls_version(conf, (mbedtls_ssl_protocol_version)vmin);
	mbedtls_ssl_conf_max_tls_version(conf, (mbedtls_ssl_protocol_version)vmax);
#else
	mbedtls_ssl_conf_min_version(conf, MBEDTLS_SSL_MAJOR_VERSION_3, vmin & 0xff);
	mbedtls_ssl_conf_max_version(conf, MBEDTLS_SSL_MAJOR_VERSION_3, vmax & 0xff);
#endif
}

static void ctx_free(struct tls_ctx *ctx)
{
	size_t i;

	mbedtls_ssl_config_free(&ctx->conf);
	tlsreuse_unref(ctx->reuse);
	for (i = 0; i < ctx->ncerts; i++)
		cert_free(&ctx->certs[i]);
	free(ctx->certs);
	mbedtls_x509_crt_free(&ctx->ca);
	free(ctx->suites);
	free(ctx);
}

/* What servers and clients share: defaults, RNG, versions, suites. */
/*
 * Key exchange groups, cheapest first.  The library's own default puts the
 * largest curve first (secp521r1 on 2.28), which a router CPU pays for on
 * every handshake; X25519 and P-256 are as safe for this use and far faster.
 */
#if MBEDTLS_VERSION_NUMBER >= 0x03010000
static const uint16_t groups_pref[] = {
    MBEDTLS_SSL_IANA_TLS_GROUP_X25519,
    MBEDTLS_SSL_IANA_TLS_GROUP_SECP256R1,
    MBEDTLS_SSL_IANA_TLS_GROUP_SECP384R1,
    MBEDTLS_SSL_IANA_TLS_GROUP_NONE,
};

static void groups_set(mbedtls_ssl_config *conf)
{
	mbedtls_ssl_conf_groups(conf, groups_pref);
}
#elif defined(MBEDTLS_ECP_C)
static const mbedtls_ecp_group_id groups_pref[] = {
#if defined(MBEDTLS_ECP_DP_CURVE25519_ENABLED)
    MBEDTLS_ECP_DP_CURVE25519,
#endif
#if defined(MBEDTLS_ECP_DP_SECP256R1_ENABLED)
    MBEDTLS_ECP_DP_SECP256R1,
#endif
#if defined(MBEDTLS_ECP_DP_SECP384R1_ENABLED)
    MBEDTLS_ECP_DP_SECP384R1,
#endif
    MBEDTLS_ECP_DP_NONE,
};

static void groups_set(mbedtls_ssl_config *conf)
{
	mbedtls_ssl_conf_curves(conf, groups_pref);
}
#else
static void groups_set(mbedtls_ssl_config *conf)
{
	(void)conf;
}
#endif

static struct tls_ctx *ctx_new(int endpoint, int min, int max, const char *ciphers, char *err,
                               size_t errlen)
{
	struct tls_ctx *ctx;
	int vmin, vmax, ret;
	size_t n12 = 0;
	char why[128];

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
	ctx->is_server = endpoint == MBEDTLS_SSL_IS_SERVER;
	mbedtls_ssl_config_init(&ctx->conf);
	mbedtls_x509_crt_init(&ctx->ca);

	ctx->suites = cipher_list(ciphers, vmax >= TLS_V1_3, &n12, why, sizeof(why));
	if (ctx->suites == NULL) {
		snprintf(err, errlen, "Ciphers \"%s\": %s", ciphers ? ciphers : "", why);
		goto fail;
	}
	if (n12 == 0 && vmax < TLS_V1_3) {
		snprintf(err, errlen,
		         "Ciphers \"%s\" leaves no forward-secret TLS 1.2 suite, and TLS 1.3 is "
		         "not available",
		         ciphers ? ciphers : "");
		goto fail;
	}
	if (n12 == 0 && vmin < TLS_V1_3)
		vmin = TLS_V1_3; /* nothing to offer a TLS 1.2 peer */

	ret = mbedtls_ssl_config_defaults(&ctx->conf, endpoint, MBEDTLS_SSL_TRANSPORT_STREAM,
	                                  MBEDTLS_SSL_PRESET_DEFAULT);
	if (ret != 0) {
		mbed_strerror(ret, why, sizeof(why));
		snprintf(err, errlen, "TLS setup: %s", why);
		goto fail;
	}
	mbedtls_ssl_conf_rng(&ctx->conf, rng_fn, &rng.drbg);
	versions_set(&ctx->conf, vmin, vmax);
	mbedtls_ssl_conf_ciphersuites(&ctx->conf, ctx->suites);
	groups_set(&ctx->conf);
	return ctx;
fail:
	ctx_free(ctx);
	return NULL;
}

struct tls_ctx *tls_server_ctx_new(const struct tls_server_opts *o, char *err, size_t errlen)
{
	struct tls_ctx *ctx;
	size_t i;
	int authmode;

	if (tlsopts_server_check(o, err, errlen) != 0)
		return NULL;
	ctx =
	    ctx_new(MBEDTLS_SSL_IS_SERVER, o->min_version, o->max_version, o->ciphers, err, errlen);
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
	if (mbedtls_ssl_conf_own_cert(&ctx->conf, &ctx->certs[0].chain, &ctx->certs[0].key) != 0) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	/* Always: even with one certificate, the name asked for is worth logging. */
	mbedtls_ssl_conf_sni(&ctx->conf, sni_pick, ctx);
#if defined(MBEDTLS_SSL_ALPN)
	/* HTTP/1.1 is all we speak: a client offering only others (h2 alone) gets the
	 * no_application_protocol alert, never a protocol we lack (RFC 7301 3.2). */
	if (mbedtls_ssl_conf_alpn_protocols(&ctx->conf, alpn_protos) != 0) {
		snprintf(err, errlen, "TLS setup: ALPN refused");
		goto fail;
	}
#endif

	if (o->client_ca != NULL) {
		if (ca_load(&ctx->ca, o->client_ca, err, errlen) != 0)
			goto fail;
		mbedtls_ssl_conf_ca_chain(&ctx->conf, &ctx->ca, NULL);
	}
	switch (o->verify) {
	case TLS_VERIFY_OPTIONAL:
		authmode = MBEDTLS_SSL_VERIFY_OPTIONAL;
		break;
	case TLS_VERIFY_REQUIRED:
		authmode = MBEDTLS_SSL_VERIFY_REQUIRED;
		break;
	default:
		authmode = MBEDTLS_SSL_VERIFY_NONE;
		break;
	}
	mbedtls_ssl_conf_authmode(&ctx->conf, authmode);
	ctx->verifies = authmode != MBEDTLS_SSL_VERIFY_NONE;
	if (resume_setup(ctx, o, err, errlen) != 0)
		goto fail;
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
	ctx =
	    ctx_new(MBEDTLS_SSL_IS_CLIENT, o->min_version, o->max_version, o->ciphers, err, errlen);
	if (ctx == NULL)
		return NULL;
	if (o->ca_file != NULL) {
		if (ca_load(&ctx->ca, o->ca_file, err, errlen) != 0)
			goto fail;
		mbedtls_ssl_conf_ca_chain(&ctx->conf, &ctx->ca, NULL);
	}
	mbedtls_ssl_conf_authmode(&ctx->conf, o->verify ? MBEDTLS_SSL_VERIFY_REQUIRED
	                                                : MBEDTLS_SSL_VERIFY_NONE);
	ctx->verifies = o->verify != 0;
	if (o->cert != NULL) {
		ctx->certs = calloc(1, sizeof(*ctx->certs));
		if (ctx->certs == NULL) {
			snprintf(err, errlen, "out of memory");
			goto fail;
		}
		if (cert_load(&ctx->certs[0], o->cert, err, errlen) != 0)
			goto fail;
		ctx->ncerts = 1;
		if (mbedtls_ssl_conf_own_cert(&ctx->conf, &ctx->certs[0].chain,
		                              &ctx->certs[0].key) != 0) {
			snprintf(err, errlen, "out of memory");
			goto fail;
		}
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

/* ---- connections ----------------------------------------------------------------------- */

static int bio_send(void *arg, const unsigned char *buf, size_t len)
{
	struct tls_conn *c = arg;
	ssize_t n;

	do
		n = send(c->fd, buf, len, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n >= 0)
		return (int)n;
	if (errno == EAGAIN || errno == EWOULDBLOCK)
		return MBEDTLS_ERR_SSL_WANT_WRITE;
	c->sys_err = errno;
	return errno == EPIPE || errno == ECONNRESET ? MBEDTLS_ERR_NET_CONN_RESET
	                                             : MBEDTLS_ERR_NET_SEND_FAILED;
}

static int bio_recv(void *arg, unsigned char *buf, size_t len)
{
	struct tls_conn *c = arg;
	ssize_t n;

	do
		n = recv(c->fd, buf, len, 0);
	while (n < 0 && errno == EINTR);
	if (n >= 0)
		return (int)n; /* 0: the peer closed the stream */
	if (errno == EAGAIN || errno == EWOULDBLOCK)
		return MBEDTLS_ERR_SSL_WANT_READ;
	c->sys_err = errno;
	return errno == ECONNRESET ? MBEDTLS_ERR_NET_CONN_RESET : MBEDTLS_ERR_NET_RECV_FAILED;
}

static struct tls_conn *conn_new(struct tls_ctx *ctx, int fd)
{
	struct tls_conn *c = calloc(1, sizeof(*c));

	if (c == NULL)
		return NULL;
	mbedtls_ssl_init(&c->ssl);
	if (mbedtls_ssl_setup(&c->ssl, &ctx->conf) != 0) {
		mbedtls_ssl_free(&c->ssl);
		free(c);
		return NULL;
	}
	c->fd = fd;
	c->ctx = tls_ctx_ref(ctx);
	c->certset = 1; /* the default certificate, until SNI says otherwise */
	mbedtls_ssl_set_bio(&c->ssl, c, bio_send, bio_recv, NULL);
	return c;
}

struct tls_conn *tls_new_server(struct tls_ctx *ctx, int fd)
{
	if (ctx == NULL || !ctx->is_server)
		return NULL;
	return conn_new(ctx, fd);
}

struct tls_conn *tls_new_client(struct tls_ctx *ctx, int fd, const char *servername)
{
	struct tls_conn *c;

	if (ctx == NULL || ctx->is_server)
		return NULL;
	c = conn_new(ctx, fd);
	if (c == NULL)
		return NULL;
	/*
	 * A name is both the SNI and what the certificate must match.  Without one we still
	 * say so explicitly: since 3.6.3 a verifying client that never called this fails
	 * every handshake, and NULL asks for "chain only, no name check".
	 */
	if (mbedtls_ssl_set_hostname(&c->ssl, servername) != 0) {
		tls_free(c);
		return NULL;
	}
	return c;
}

/* The library's answer in our terms; remembers what failed for tls_strerror(). */
static int map_ret(struct tls_conn *c, int ret)
{
	switch (ret) {
	case MBEDTLS_ERR_SSL_WANT_READ:
		return TLS_WANT_READ;
	case MBEDTLS_ERR_SSL_WANT_WRITE:
		return TLS_WANT_WRITE;
	case 0:
	case MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY:
	case MBEDTLS_ERR_SSL_CONN_EOF:
		c->err = ret ? ret : MBEDTLS_ERR_SSL_CONN_EOF;
		return TLS_EOF;
	default:
		c->err = ret;
		return TLS_ERR;
	}
}

/* Mark c as the connection the library works for (see tls_ctx.active); returns its ssl. */
static mbedtls_ssl_context *active(struct tls_conn *c)
{
	c->ctx->active = c;
	return &c->ssl;
}

int tls_handshake(struct tls_conn *c)
{
	int ret = mbedtls_ssl_handshake(active(c));

	if (ret == 0)
		return TLS_OK;
	if (ret == MBEDTLS_ERR_SSL_CONN_EOF) {
		/* A peer gone in the middle of a handshake is a failure, not an end. */
		c->err = ret;
		return TLS_ERR;
	}
	return map_ret(c, ret);
}

ssize_t tls_read(struct tls_conn *c, void *buf, size_t len)
{
	int ret;

	if (len == 0)
		return 0;
	for (;;) {
		ret = mbedtls_ssl_read(active(c), buf, len);
		if (ret > 0)
			return ret;
#if defined(MBEDTLS_ERR_SSL_RECEIVED_NEW_SESSION_TICKET)
		/* TLS 1.3 tickets arrive after the handshake; we keep no session cache. */
		if (ret == MBEDTLS_ERR_SSL_RECEIVED_NEW_SESSION_TICKET)
			continue;
#endif
		return map_ret(c, ret);
	}
}

ssize_t tls_write(struct tls_conn *c, const void *buf, size_t len)
{
	int ret;

	if (len == 0)
		return 0;
	ret = mbedtls_ssl_write(active(c), buf, len);
	if (ret > 0)
		return ret;
	if (ret == 0)
		return TLS_WANT_WRITE; /* nothing taken; cannot happen with len > 0 */
	return map_ret(c, ret);
}

size_t tls_pending(const struct tls_conn *c)
{
	size_t n = mbedtls_ssl_get_bytes_avail(&c->ssl);

	/* A whole record may sit undecrypted in the input buffer too; poll() can't see it. */
	if (n == 0 && mbedtls_ssl_check_pending(&c->ssl))
		n = 1;
	return n;
}

int tls_shutdown(struct tls_conn *c)
{
	int ret = mbedtls_ssl_close_notify(active(c));

	return ret == 0 ? TLS_OK : map_ret(c, ret);
}

void tls_free(struct tls_conn *c)
{
	if (c == NULL)
		return;
	if (c->ctx->active == c)
		c->ctx->active = NULL;
	mbedtls_ssl_free(&c->ssl);
	free(c->sni);
	tls_ctx_unref(c->ctx);
	free(c);
}

/* ---- what was negotiated --------------------------------------------------------------- */

const char *tls_sni(const struct tls_conn *c)
{
	return c->sni;
}

const char *tls_version(const struct tls_conn *c)
{
	const char *v = mbedtls_ssl_get_version(&c->ssl);

	return v ? v : "";
}

const char *tls_cipher(const struct tls_conn *c)
{
	const char *s = mbedtls_ssl_get_ciphersuite(&c->ssl);

	return s ? s : "";
}

int tls_peer_cert(const struct tls_conn *c, char *buf, size_t buflen)
{
	uint32_t flags = mbedtls_ssl_get_verify_result(&c->ssl);
	const mbedtls_x509_crt *crt = NULL;

	if (buflen > 0)
		buf[0] = '\0';
#if defined(MBEDTLS_SSL_KEEP_PEER_CERTIFICATE)
	crt = mbedtls_ssl_get_peer_cert(&c->ssl);
	if (crt == NULL)
		return TLS_PEER_NONE;
	if (buflen > 0 && mbedtls_x509_dn_gets(buf, buflen, &crt->subject) < 0)
		buf[0] = '\0';
#else
	/* Built without keeping the peer's certificate: the verdict is all we have. */
	(void)crt;
	if (flags == (uint32_t)-1 || (flags & MBEDTLS_X509_BADCERT_MISSING))
		return TLS_PEER_NONE;
#endif
	/* With verification off the library leaves the result at 0 ("no problem found"),
	 * which must not read as "verified". */
	return flags == 0 && c->ctx->verifies ? TLS_PEER_OK : TLS_PEER_BAD;
}

const char *tls_strerror(const struct tls_conn *c, char *buf, size_t buflen)
{
	char why[200];

	if (buflen == 0)
		return buf;
	if (c->sys_err != 0) {
		snprintf(buf, buflen, "%s", strerror(c->sys_err));
	} else if (c->err == MBEDTLS_ERR_X509_CERT_VERIFY_FAILED) {
		uint32_t flags = mbedtls_ssl_get_verify_result(&c->ssl);
		char *nl;
		int n = mbedtls_x509_crt_verify_info(why, sizeof(why), "", flags);

		if (n < 0)
			why[0] = '\0';
		while ((nl = strchr(why, '\n')) != NULL) /* one line for the log */
			*nl = nl[1] ? ';' : '\0';
		snprintf(buf, buflen, "certificate verification failed: %s", why);
	} else if (c->err == MBEDTLS_ERR_SSL_NO_CLIENT_CERTIFICATE) {
		snprintf(buf, buflen, "the client sent no certificate, but one is required");
	} else if (c->err == MBEDTLS_ERR_SSL_CONN_EOF) {
		snprintf(buf, buflen, "the peer closed the connection");
	} else if (c->err == MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY) {
		snprintf(buf, buflen, "the peer closed the TLS session");
	} else if (c->err != 0) {
		mbed_strerror(c->err, why, sizeof(why));
		snprintf(buf, buflen, "%s", why);
	} else {
		snprintf(buf, buflen, "no error");
	}
	return buf;
}
