/*
 * buf.c - the buffer pool and the few operations connections need on a
 * buffer: consume from the front, read into the tail, compact when full.
 */
#include "buf.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void pool_init(struct bufpool *p, int maxfree)
{
	p->free = NULL;
	p->nfree = 0;
	p->maxfree = maxfree;
	p->inuse = 0;
}

void pool_drain(struct bufpool *p)
{
	while (p->free) {
		void *next = *(void **)p->free;

		free(p->free);
		p->free = next;
	}
	p->nfree = 0;
}

int buf_take(struct bufpool *p, struct buf *b)
{
	if (b->data)
		return 0;
	if (p->free) {
		b->data = p->free;
		p->free = *(void **)p->free;
		p->nfree--;
	} else {
		b->data = malloc(BUF_SIZE);
		if (!b->data)
			return -1;
	}
	p->inuse++;
	b->start = b->end = 0;
	return 0;
}

void buf_release(struct bufpool *p, struct buf *b)
{
	if (!b->data)
		return;
	p->inuse--;
	if (p->nfree < p->maxfree) {
		*(void **)b->data = p->free;
		p->free = b->data;
		p->nfree++;
	} else {
		free(b->data);
	}
	b->data = NULL;
	b->start = b->end = 0;
}

void buf_release_if_empty(struct bufpool *p, struct buf *b)
{
	if (b->data && b->start == b->end)
		buf_release(p, b);
}

void buf_consume(struct buf *b, size_t n)
{
	b->start += (uint32_t)n;
	if (b->start >= b->end)
		b->start = b->end = 0;
}

size_t buf_room(struct buf *b)
{
	if (b->end == BUF_SIZE && b->start > 0) {
		memmove(b->data, b->data + b->start, b->end - b->start);
		b->end -= b->start;
		b->start = 0;
	}
	return BUF_SIZE - b->end;
}

size_t buf_put(struct buf *b, const void *src, size_t n)
{
	size_t room = buf_room(b);

	if (n > room)
		n = room;
	memcpy(b->data + b->end, src, n);
	b->end += (uint32_t)n;
	return n;
}

ssize_t buf_read_fd(struct buf *b, int fd)
{
	size_t room = buf_room(b);
	ssize_t n;

	if (room == 0)
		return -2;
	do
		n = read(fd, b->data + b->end, room);
	while (n < 0 && errno == EINTR);
	if (n > 0)
		b->end += (uint32_t)n;
	return n;
}
