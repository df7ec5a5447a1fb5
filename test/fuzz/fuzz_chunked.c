/*
 * fuzz_chunked.c - libFuzzer harness for the chunked-body scanner.
 *
 * The same input is fed whole, a byte at a time, and in uneven pieces; the
 * verdict and the end of the body must not depend on how the bytes arrive,
 * `used` never exceeds what was fed, and an incomplete body uses all of it.
 * The trailer-dropping variant gives the same verdict, whole or in pieces,
 * leaves a body that still ends in CRLF CRLF, and moves what follows the
 * body down intact.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int ok)
{
	if (!ok)
		abort();
}

/* Feed buf in pieces of the lengths `next` yields; returns the verdict and bytes used. */
static int feed_pieces(const char *buf, size_t size, unsigned seed, size_t *total)
{
	struct http_chunked c;
	size_t off = 0, used;
	int r = 0;

	http_chunked_init(&c);
	*total = 0;
	while (off < size) {
		size_t n = seed ? 1 + (seed % 13) : 1;

		seed = seed * 1103515245u + 12345u;
		if (n > size - off)
			n = size - off;
		r = http_chunked_feed(&c, buf + off, n, &used);
		check(used <= n);
		*total += used;
		if (r != 0)
			return r;
		check(used == n);
		off += n;
	}
	return r;
}

/* The dropping feed, whole (seed 0) or in pieces that arrive after what is left. */
static int feed_drop(const char *in, size_t size, unsigned seed, char *buf, size_t *body,
		     size_t *len)
{
	struct http_chunked c;
	size_t off = 0, used, cut;
	int r = 0;

	http_chunked_init(&c);
	*body = *len = 0;
	while (off < size) {
		size_t n = seed ? 1 + (seed % 13) : size;

		seed = seed * 1103515245u + 12345u;
		if (n > size - off)
			n = size - off;
		memcpy(buf + *len, in + off, n);
		*len += n;
		off += n;
		r = http_chunked_feed_drop(&c, buf + *body, *len - *body, &used, &cut);
		check(*body + used + cut <= *len);
		*body += used;
		*len -= cut;
		if (r != 0)
			break;
		check(*body == *len);
	}
	if (r == 0 || off == size)
		return r;
	memcpy(buf + *len, in + off, size - off); /* the rest, after the body */
	*len += size - off;
	return r;
}

static void check_drop(const char *in, size_t size, int r, size_t used)
{
	static char a[1 << 16], b[1 << 16];
	size_t body, len, body2, len2;

	if (size > sizeof(a))
		return;
	check(feed_drop(in, size, 0, a, &body, &len) == r);
	check(feed_drop(in, size, (unsigned)size | 1u, b, &body2, &len2) == r);
	if (r != 1)
		return;
	check(body == body2 && len == len2 && memcmp(a, b, len) == 0);
	check(body >= 5 && memcmp(a + body - 4, "\r\n\r\n", 4) == 0);
	check(len - body == size - used && memcmp(a + body, in + used, size - used) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *buf = (const char *)data;
	struct http_chunked c;
	size_t used, total;
	int r;

	http_chunked_init(&c);
	r = http_chunked_feed(&c, buf, size, &used);
	check(r >= -1 && r <= 1 && used <= size);
	check(r != 0 || used == size);
	check(feed_pieces(buf, size, 0, &total) == r);
	check(r != 1 || total == used);
	check(feed_pieces(buf, size, (unsigned)size | 1u, &total) == r);
	check(r != 1 || total == used);
	check_drop(buf, size, r, used);
	return 0;
}
