/*
 * stream.h - a byte stream over a non-blocking socket, plain or TLS (through
 * the core/tls.h shim).  Each operation also says which poll event it waits
 * for next, because a TLS read may need the socket writable and a TLS write
 * may need it readable.
 */
#ifndef PINFOLD_STREAM_H
#define PINFOLD_STREAM_H

#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>

#include "buf.h"
#include "tls.h"

struct stream {
	int fd;               /* -1 when closed */
	struct tls_conn *tls; /* NULL for plain TCP */
	uint8_t ready;        /* handshake done (plain streams are ready at once) */
	short hs_ev;          /* poll event the handshake waits for */
	short rd_ev;          /* poll event the next read waits for (POLLIN, or POLLOUT for TLS) */
	short wr_ev;          /* poll event the next write waits for (POLLOUT, or POLLIN for TLS) */
	uint32_t wpend;       /* TLS: length of a write the library has begun; retry with it */
	uint8_t more;         /* the last read filled all the room it had: more may be waiting
	                       * (a 64 KiB answer is four 16 KiB reads, not four polls) */
};

void stream_init(struct stream *s, int fd, struct tls_conn *tls);

/* Drive the TLS handshake: 1 done, 0 call again on hs_ev, -1 failed. */
int stream_handshake(struct stream *s);

/* Read into b's tail: >0 bytes, 0 end of stream, -1 errno (EAGAIN: wait for rd_ev), -2 full. */
ssize_t stream_read(struct stream *s, struct buf *b);

/* Gathered write: bytes written (>= 0... > 0), or -1 errno (EAGAIN: wait for wr_ev). */
ssize_t stream_writev(struct stream *s, const struct iovec *iov, int n);

/* Bytes already decrypted inside the TLS library, which poll() cannot report. */
size_t stream_pending(const struct stream *s);

/* Best-effort close_notify, free the TLS session, close the fd. */
void stream_close(struct stream *s);

/* Give up the fd without closing it (the TLS session goes with the caller). */
int stream_release(struct stream *s, struct tls_conn **tls);

#endif
