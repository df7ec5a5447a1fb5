/*
 * mbedtls_hs_server.c - the TLS library driven directly, as a yardstick for pinfold.
 *
 * A one-thread, blocking TLS server on mbedTLS (2.28 or 3.x, whichever it is compiled
 * against), doing per connection what a server must: a fresh ssl context (setup), the
 * full handshake, then either close at once (handshake-only mode) or read one request
 * head and answer it with BYTES bytes (-b), then close_notify and free.  No HTTP parsing
 * beyond the end of the head, no proxying: the library's own cost.  Debian ships no
 * mbedTLS programs package, hence this file.  Used by test/bench/tls.sh.
 *
 *   mbedtls_hs_server -a 127.0.0.1 -p PORT -c FILE.pem [-b BYTES] [-g modern|default]
 *
 * FILE.pem holds the certificate chain and the private key (as pinfold's Cert takes it).
 * -g modern (default): ECDHE groups X25519, P-256, P-384 in that order (what a server
 * should prefer); -g default: the library's own default list and order.
 * Prints "ready" on stdout when listening.  Runs until killed.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <mbedtls/error.h>
#include <mbedtls/net_sockets.h>
#include <mbedtls/pk.h>
#include <mbedtls/ssl.h>
#include <mbedtls/version.h>
#include <mbedtls/x509_crt.h>
#if MBEDTLS_VERSION_NUMBER >= 0x03000000
#include <psa/crypto.h>
#endif

static void die(const char *what, int ret)
{
	char buf[200];

	mbedtls_strerror(ret, buf, sizeof(buf));
	fprintf(stderr, "mbedtls_hs_server: %s: %s (-0x%04x)\n", what, buf, (unsigned)-ret);
	exit(1);
}

#if MBEDTLS_VERSION_NUMBER >= 0x03010000
static const uint16_t modern_groups[] = {MBEDTLS_SSL_IANA_TLS_GROUP_X25519,
					 MBEDTLS_SSL_IANA_TLS_GROUP_SECP256R1,
					 MBEDTLS_SSL_IANA_TLS_GROUP_SECP384R1,
					 MBEDTLS_SSL_IANA_TLS_GROUP_NONE};
#else
static const mbedtls_ecp_group_id modern_groups[] = {MBEDTLS_ECP_DP_CURVE25519,
						     MBEDTLS_ECP_DP_SECP256R1,
						     MBEDTLS_ECP_DP_SECP384R1, MBEDTLS_ECP_DP_NONE};
#endif

static int write_all(mbedtls_ssl_context *ssl, const unsigned char *p, size_t n)
{
	while (n > 0) {
		int r = mbedtls_ssl_write(ssl, p, n);

		if (r == MBEDTLS_ERR_SSL_WANT_READ || r == MBEDTLS_ERR_SSL_WANT_WRITE)
			continue;
		if (r < 0)
			return r;
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

/* Read until the end of a request head (or EOF); 0 when a head came. */
static int read_head(mbedtls_ssl_context *ssl)
{
	unsigned char buf[4096];
	size_t have = 0;

	for (;;) {
		int r = mbedtls_ssl_read(ssl, buf + have, sizeof(buf) - 1 - have);

		if (r == MBEDTLS_ERR_SSL_WANT_READ || r == MBEDTLS_ERR_SSL_WANT_WRITE)
			continue;
#ifdef MBEDTLS_ERR_SSL_RECEIVED_NEW_SESSION_TICKET
		if (r == MBEDTLS_ERR_SSL_RECEIVED_NEW_SESSION_TICKET)
			continue;
#endif
		if (r <= 0)
			return -1;
		have += (size_t)r;
		buf[have] = 0;
		if (strstr((char *)buf, "\r\n\r\n"))
			return 0;
		if (have >= sizeof(buf) - 1)
			have = 0; /* a huge head: keep looking for its end */
	}
}

int main(int argc, char **argv)
{
	const char *addr = "127.0.0.1", *port = NULL, *pem = NULL, *groups = "modern";
	long long bytes = -1;
	int opt, ret;
	mbedtls_net_context listen_fd, client_fd;
	mbedtls_entropy_context entropy;
	mbedtls_ctr_drbg_context drbg;
	mbedtls_x509_crt crt;
	mbedtls_pk_context pk;
	mbedtls_ssl_config conf;
	static unsigned char block[16384];

	while ((opt = getopt(argc, argv, "a:p:c:b:g:")) != -1) {
		switch (opt) {
		case 'a': addr = optarg; break;
		case 'p': port = optarg; break;
		case 'c': pem = optarg; break;
		case 'b': bytes = atoll(optarg); break;
		case 'g': groups = optarg; break;
		default:
			fprintf(stderr, "usage: %s -a ADDR -p PORT -c PEM [-b BYTES] "
					"[-g modern|default]\n", argv[0]);
			return 2;
		}
	}
	if (!port || !pem) {
		fprintf(stderr, "mbedtls_hs_server: -p PORT and -c PEM are required\n");
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	memset(block, 'x', sizeof(block));

#if MBEDTLS_VERSION_NUMBER >= 0x03000000
	if (psa_crypto_init() != PSA_SUCCESS) {
		fprintf(stderr, "mbedtls_hs_server: psa_crypto_init failed\n");
		return 1;
	}
#endif
	mbedtls_entropy_init(&entropy);
	mbedtls_ctr_drbg_init(&drbg);
	if ((ret = mbedtls_ctr_drbg_seed(&drbg, mbedtls_entropy_func, &entropy,
					 (const unsigned char *)"hs", 2)) != 0)
		die("ctr_drbg_seed", ret);
	mbedtls_x509_crt_init(&crt);
	mbedtls_pk_init(&pk);
	if ((ret = mbedtls_x509_crt_parse_file(&crt, pem)) != 0)
		die("x509_crt_parse_file", ret);
#if MBEDTLS_VERSION_NUMBER >= 0x03000000
	ret = mbedtls_pk_parse_keyfile(&pk, pem, NULL, mbedtls_ctr_drbg_random, &drbg);
#else
	ret = mbedtls_pk_parse_keyfile(&pk, pem, NULL);
#endif
	if (ret != 0)
		die("pk_parse_keyfile", ret);

	mbedtls_ssl_config_init(&conf);
	if ((ret = mbedtls_ssl_config_defaults(&conf, MBEDTLS_SSL_IS_SERVER,
					       MBEDTLS_SSL_TRANSPORT_STREAM,
					       MBEDTLS_SSL_PRESET_DEFAULT)) != 0)
		die("ssl_config_defaults", ret);
	mbedtls_ssl_conf_rng(&conf, mbedtls_ctr_drbg_random, &drbg);
	if ((ret = mbedtls_ssl_conf_own_cert(&conf, &crt, &pk)) != 0)
		die("ssl_conf_own_cert", ret);
	if (strcmp(groups, "modern") == 0) {
#if MBEDTLS_VERSION_NUMBER >= 0x03010000
		mbedtls_ssl_conf_groups(&conf, modern_groups);
#else
		mbedtls_ssl_conf_curves(&conf, modern_groups);
#endif
	}
#if MBEDTLS_VERSION_NUMBER >= 0x03000000 && defined(MBEDTLS_SSL_SESSION_TICKETS)
	/* no tickets: every handshake is a full one, as with pinfold */
	mbedtls_ssl_conf_session_tickets(&conf, MBEDTLS_SSL_SESSION_TICKETS_DISABLED);
#endif

	mbedtls_net_init(&listen_fd);
	if ((ret = mbedtls_net_bind(&listen_fd, addr, port, MBEDTLS_NET_PROTO_TCP)) != 0)
		die("net_bind", ret);
	printf("ready\n");
	fflush(stdout);

	for (;;) {
		mbedtls_ssl_context ssl;
		struct timeval tv = {5, 0};

		mbedtls_net_init(&client_fd);
		if (mbedtls_net_accept(&listen_fd, &client_fd, NULL, 0, NULL) != 0)
			continue;
		setsockopt(client_fd.fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		setsockopt(client_fd.fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
		/* the handshake flight goes out in several writes: no Nagle delay between them */
		setsockopt(client_fd.fd, IPPROTO_TCP, TCP_NODELAY, &(int){1}, sizeof(int));
		mbedtls_ssl_init(&ssl);
		if (mbedtls_ssl_setup(&ssl, &conf) != 0)
			goto next;
		mbedtls_ssl_set_bio(&ssl, &client_fd, mbedtls_net_send, mbedtls_net_recv, NULL);
		do
			ret = mbedtls_ssl_handshake(&ssl);
		while (ret == MBEDTLS_ERR_SSL_WANT_READ || ret == MBEDTLS_ERR_SSL_WANT_WRITE);
		if (ret != 0)
			goto next;
		if (bytes >= 0 && read_head(&ssl) == 0) {
			char head[128];
			long long left = bytes;
			int n = snprintf(head, sizeof(head),
					 "HTTP/1.1 200 OK\r\nContent-Length: %lld\r\n"
					 "Connection: close\r\n\r\n", bytes);

			if (write_all(&ssl, (unsigned char *)head, (size_t)n) != 0)
				goto next;
			while (left > 0) {
				size_t k = left < (long long)sizeof(block) ? (size_t)left : sizeof(block);

				if (write_all(&ssl, block, k) != 0)
					goto next;
				left -= (long long)k;
			}
		}
		mbedtls_ssl_close_notify(&ssl);
next:
		mbedtls_ssl_free(&ssl);
		mbedtls_net_free(&client_fd);
	}
}
