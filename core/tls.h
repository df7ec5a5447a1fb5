/*
 * tls.h - the TLS shim: the only TLS interface the core sees.
 *
 * One backend file per TLS library sits behind it (platform/tls_mbedtls.c,
 * platform/tls_none.c); the core never includes a library header.  Every
 * per-connection call is non-blocking: it does what it can on the fd and
 * answers with a byte count or one of the TLS_* codes below, so the poll()
 * loop knows what to wait for.  A write may want a read (and a read a write):
 * poll for what the code says, not for what the call was.
 *
 * Contexts hold what is shared by many connections (certificates, keys, CAs,
 * the suite list).  They are reference counted: a connection takes a
 * reference when it is made and drops it when freed, so a reload can swap a
 * listener's context while live connections keep the one they started with.
 */
#ifndef PINFOLD_TLS_H
#define PINFOLD_TLS_H

#include <stddef.h>
#include <sys/types.h>

/* Results besides a byte count; all negative so they never read as a length. */
#define TLS_OK         0  /* tls_handshake / tls_shutdown: done */
#define TLS_ERR        -1 /* fatal for this connection; see tls_strerror() */
#define TLS_WANT_READ  -2 /* call again (same arguments) when the fd is readable */
#define TLS_WANT_WRITE -3 /* call again (same arguments) when the fd is writable */
#define TLS_EOF        -4 /* the peer closed (close_notify, or the TCP stream ended) */

/* Protocol versions by their wire value; 0 in an option means "the default". */
#define TLS_V1_2 0x0303
#define TLS_V1_3 0x0304

/* How a server treats client certificates (Pound's ClientCert 0..3). */
enum tls_verify {
	TLS_VERIFY_NONE,     /* don't ask (ClientCert 0) */
	TLS_VERIFY_OPTIONAL, /* ask; a missing or bad cert still completes the handshake, and
	                      * tls_peer_cert() tells which (ClientCert 1 answers 403 on a bad
	                      * one, ClientCert 3 ignores the result) */
	TLS_VERIFY_REQUIRED, /* ask; no cert or a bad one fails the handshake (ClientCert 2) */
};

/* What tls_peer_cert() found. */
#define TLS_PEER_NONE 0  /* the peer sent no certificate */
#define TLS_PEER_OK   1  /* sent one and it verified against the context's CA file */
#define TLS_PEER_BAD  -1 /* sent one that did not verify (or nothing to verify against) */

struct tls_ctx;
struct tls_conn;

struct tls_server_opts {
	/*
	 * PEM files, each holding a private key and its certificate chain (leaf first), as
	 * Pound's Cert takes them.  certs[0] is the default; the others are picked by SNI
	 * against the names in each leaf (DNS SANs and CN, "*.example.com" wildcards), the
	 * first match in this order winning.  Several files for one name (an ECDSA and an RSA
	 * certificate) are all offered: ECDSA where the client can take it, else RSA.
	 */
	const char *const *certs;
	size_t ncerts;
	const char *client_ca;  /* PEM CAs for client certificates (VerifyList), or NULL */
	enum tls_verify verify; /* TLS_VERIFY_REQUIRED needs client_ca */
	int min_version;        /* TLS_V1_2 (the default; nothing lower is offered) or TLS_V1_3 */
	int max_version;        /* 0: the highest the library has; see tls_max_version() */
	const char *ciphers;    /* OpenSSL-style string (see tls_cipher_check), NULL = DEFAULT */
	/*
	 * Session resumption.  Tickets (TLS 1.2 and 1.3) are sealed with keys made from the
	 * random generator, kept in memory only and replaced every TLS_TICKET_ROTATE
	 * seconds, the previous key still opening tickets for as long again.
	 * session_cache: how many sessions the session-ID cache keeps (0: no cache).
	 * Tickets, cache and keys belong to contexts built from the same options and files
	 * (byte for byte): a new context for unchanged settings (a reload) takes over those
	 * of the live one, and a session never resumes under a context, or a certificate
	 * chosen by SNI, other than the one it was made with.
	 */
	int no_tickets;
	int session_cache;
};

#define TLS_SESSION_CACHE_DEFAULT 256 /* sessions (each ~1-2 KB when full) */
#define TLS_SESSION_CACHE_MAX     100000
#define TLS_TICKET_ROTATE         43200 /* seconds: 12 hours */

struct tls_client_opts {
	const char *ca_file; /* PEM CAs to verify the server against, or NULL */
	int verify;          /* 1: verify the server (needs ca_file), 0: don't */
	const char *cert;    /* PEM with key + chain to present as a client, or NULL */
	int min_version;     /* as for the server */
	int max_version;
	const char *ciphers; /* as for the server */
};

/* ---- process ---------------------------------------------------------------------- */

/*
 * Seed the random generator (and initialise PSA crypto where the library needs it).
 * Call once, after daemonizing (a forked copy of the generator would repeat its output)
 * and before chroot (seeding may open /dev/urandom); making a context calls it if nobody
 * did.  Returns 0, or -1 with a message in err.
 */
int tls_init(char *err, size_t errlen);
/* Free what tls_init() made; for tests and leak checkers. */
void tls_exit(void);

/* For `pinfold -V`: "mbedTLS" / "none", and e.g. "3.6.6". */
const char *tls_backend_name(void);
const char *tls_backend_version(void);
/* The highest version this build can offer: TLS_V1_3, TLS_V1_2, or 0 without TLS. */
int tls_max_version(void);

/*
 * Map an OpenSSL-style cipher string onto the library's TLS 1.2 suites.  Returns how
 * many it selects, with their names (':'-separated, cut to fit) in buf; or -1 with the
 * reason (the unknown token) in buf.  NULL or "" = DEFAULT.
 *
 * Only forward-secret AEAD suites (ECDHE/DHE with AES-GCM, ChaCha20-Poly1305, AES-CCM,
 * ARIA/Camellia-GCM) are ever offered, whatever the string says; so 0 means no TLS 1.2
 * client can connect: only TLS 1.3 ones, or, in a build without TLS 1.3, the context
 * cannot be made.  `pinfold -c` warns about it.  "!ECDH" / "!DH" exclude static and
 * anonymous (EC)DH only, never ECDHE/DHE.  TLS 1.3 suites are not affected by the string,
 * as in OpenSSL.
 */
int tls_cipher_check(const char *ciphers, char *buf, size_t buflen);

/* ---- contexts --------------------------------------------------------------------- */

/*
 * Build a context with one reference.  NULL on failure, with a message naming the
 * file and the library's reason in err ("/etc/x.pem: no private key in the file").
 * All files are read here (before chroot); nothing is read later.
 */
struct tls_ctx *tls_server_ctx_new(const struct tls_server_opts *o, char *err, size_t errlen);
struct tls_ctx *tls_client_ctx_new(const struct tls_client_opts *o, char *err, size_t errlen);
/* Take a reference; returns ctx.  Drop one; the last frees the context. NULL is ignored. */
struct tls_ctx *tls_ctx_ref(struct tls_ctx *ctx);
void tls_ctx_unref(struct tls_ctx *ctx);

/* ---- connections ------------------------------------------------------------------ */

/*
 * A TLS session over a connected non-blocking socket.  The connection takes a reference
 * on ctx and does its own I/O on fd (which it never closes).  servername (client side)
 * is sent as SNI and checked against the server's certificate when ctx verifies; NULL
 * sends no SNI and, when verifying, checks the chain only.  NULL when out of memory.
 */
struct tls_conn *tls_new_server(struct tls_ctx *ctx, int fd);
struct tls_conn *tls_new_client(struct tls_ctx *ctx, int fd, const char *servername);

/* Drive the handshake: TLS_OK when done, else TLS_WANT_* or TLS_ERR (a peer that leaves
 * half way is an error here, not an end). */
int tls_handshake(struct tls_conn *c);
/*
 * Decrypted bytes (> 0), or TLS_WANT_* / TLS_EOF / TLS_ERR.  After a TLS_WANT_* call
 * again with the same buffer and length: the library may have taken part of a write.
 */
ssize_t tls_read(struct tls_conn *c, void *buf, size_t len);
ssize_t tls_write(struct tls_conn *c, const void *buf, size_t len);
/*
 * Non-zero when the library holds received data (decrypted bytes, or a whole record
 * not yet decrypted) that poll() cannot see: the loop must tls_read() until this is 0
 * before it polls the fd for reading again.
 */
size_t tls_pending(const struct tls_conn *c);
/* Send close_notify: TLS_OK once sent, else TLS_WANT_* / TLS_ERR.  Does not wait for
 * the peer's. */
int tls_shutdown(struct tls_conn *c);
/* Free the session and drop its context reference (the fd stays open). NULL is ignored. */
void tls_free(struct tls_conn *c);

/* ---- what was negotiated (valid after the handshake; "" or NULL before) -------------- */

const char *tls_sni(const struct tls_conn *c);     /* server side: name asked for, or NULL */
const char *tls_version(const struct tls_conn *c); /* "TLSv1.2", "TLSv1.3" */
const char *tls_cipher(const struct tls_conn *c);  /* the library's suite name */
/* TLS_PEER_*; the peer certificate's subject ("CN=alice, O=home") into buf, or "". */
int tls_peer_cert(const struct tls_conn *c, char *buf, size_t buflen);
/* Why the last call failed, one line for the log ("certificate verification failed: The
 * certificate is not correctly signed by the trusted CA"); returns buf. */
const char *tls_strerror(const struct tls_conn *c, char *buf, size_t buflen);

#endif
