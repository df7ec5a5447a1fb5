/*
 * buf.h - fixed-size I/O buffers from a pool.
 *
 * A connection takes a buffer when it has bytes to hold and gives it back as
 * soon as it is empty, so an idle keep-alive connection holds none.  The pool
 * keeps a bounded number of free buffers to avoid malloc churn.
 */
#ifndef PINFOLD_BUF_H
#define PINFOLD_BUF_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define BUF_SIZE 16384 /* holds the largest head we accept (HTTP_MAX_HEAD) */

struct buf {
	char *data;     /* NULL when no buffer is held */
	uint32_t start; /* first unconsumed byte */
	uint32_t end;   /* one past the last byte */
};

struct bufpool {
	void *free;     /* singly-linked list through the buffers themselves */
	int nfree;
	int maxfree;    /* cache at most this many free buffers */
	long inuse;     /* buffers handed out, for status and leak checks */
};

void pool_init(struct bufpool *p, int maxfree);
void pool_drain(struct bufpool *p);

/* Make sure b holds a buffer; 0, or -1 on ENOMEM. */
int buf_take(struct bufpool *p, struct buf *b);
/* Give b's buffer back (whatever it holds). */
void buf_release(struct bufpool *p, struct buf *b);
/* Give it back only when it holds no bytes. */
void buf_release_if_empty(struct bufpool *p, struct buf *b);

static inline uint32_t buf_len(const struct buf *b)
{
	return b->end - b->start;
}
static inline char *buf_head(const struct buf *b)
{
	return b->data + b->start;
}
/* Bytes consumed from the front. */
void buf_consume(struct buf *b, size_t n);
/* Room at the tail, moving the bytes to the front first when that makes room. */
size_t buf_room(struct buf *b);
/* Append; returns bytes copied (less than n when full). */
size_t buf_put(struct buf *b, const void *src, size_t n);

/* read() into the tail: >0 bytes, 0 EOF, -1 error/EAGAIN (errno), -2 buffer full. */
ssize_t buf_read_fd(struct buf *b, int fd);

#endif
