/*
 * fuzz_chunked.c - libFuzzer harness for the chunked-body scanner.
 *
 * The same input is fed whole, a byte at a time, and in uneven pieces; the
 * verdict and the end of the body must not depend on how the bytes arrive,
 * `used` never exceeds what was fed, and an incomplete body uses all of it.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

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
	return 0;
}
