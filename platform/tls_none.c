/*
 * tls_none.c - the TLS shim (core/tls.h) for a plaintext-only build
 * (-DPINFOLD_TLS=none).
 *
 * Making a context fails with a message the config check shows for every
 * ListenHTTPS or HTTPS backend; without a context no connection can exist, so
 * the per-connection calls are never reached.  They still exist, and answer
 * TLS_ERR, so the core links and behaves the same with either backend.
 */
#include <stdio.h>

#include "tls.h"

#define NO_TLS "this pinfold was built without TLS"

int tls_init(char *err, size_t errlen)
{
	(void)err;
	(void)errlen;
	return 0; /* nothing to set up; a plaintext proxy must still start */
}

void tls_exit(void)
{
}

const char *tls_backend_name(void)
{
	return "none";
}

const char *tls_backend_version(void)
{
	return "";
}

int tls_max_version(void)
{
	return 0;
}

int tls_cipher_check(const char *ciphers, char *buf, size_t buflen)
{
	(void)ciphers;
	snprintf(buf, buflen, NO_TLS);
	return -1;
}

struct tls_ctx *tls_server_ctx_new(const struct tls_server_opts *o, char *err, size_t errlen)
{
	(void)o;
	snprintf(err, errlen, NO_TLS);
	return NULL;
}

struct tls_ctx *tls_client_ctx_new(const struct tls_client_opts *o, char *err, size_t errlen)
{
	(void)o;
	snprintf(err, errlen, NO_TLS);
	return NULL;
}

struct tls_ctx *tls_ctx_ref(struct tls_ctx *ctx)
{
	return ctx;
}

void tls_ctx_unref(struct tls_ctx *ctx)
{
	(void)ctx;
}

struct tls_conn *tls_new_server(struct tls_ctx *ctx, int fd)
{
	(void)ctx;
	(void)fd;
	return NULL;
}

struct tls_conn *tls_new_client(struct tls_ctx *ctx, int fd, const char *servername)
{
	(void)ctx;
	(void)fd;
	(void)servername;
	return NULL;
}

int tls_handshake(struct tls_conn *c)
{
	(void)c;
	return TLS_ERR;
}

ssize_t tls_read(struct tls_conn *c, void *buf, size_t len)
{
	(void)c;
	(void)buf;
	(void)len;
	return TLS_ERR;
}

ssize_t tls_write(struct tls_conn *c, const void *buf, size_t len)
{
	(void)c;
	(void)buf;
	(void)len;
	return TLS_ERR;
}

size_t tls_pending(const struct tls_conn *c)
{
	(void)c;
	return 0;
}

int tls_shutdown(struct tls_conn *c)
{
	(void)c;
	return TLS_ERR;
}

void tls_free(struct tls_conn *c)
{
	(void)c;
}

const char *tls_sni(const struct tls_conn *c)
{
	(void)c;
	return NULL;
}

const char *tls_version(const struct tls_conn *c)
{
	(void)c;
	return "";
}

const char *tls_cipher(const struct tls_conn *c)
{
	(void)c;
	return "";
}

int tls_peer_cert(const struct tls_conn *c, char *buf, size_t buflen)
{
	(void)c;
	if (buflen > 0)
		buf[0] = '\0';
	return TLS_PEER_NONE;
}

const char *tls_strerror(const struct tls_conn *c, char *buf, size_t buflen)
{
	(void)c;
	snprintf(buf, buflen, NO_TLS);
	return buf;
}
