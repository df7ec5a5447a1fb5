/*
 * fuzz_response.c - libFuzzer harness for http_parse_response().
 *
 * The first input byte picks the method of the request being answered (HEAD
 * and CONNECT change the framing); the rest is the response.  Besides memory
 * errors it checks that every error is -502, that a complete head lies within
 * the input with its offsets inside it, that framing is consistent with the
 * status, and that shorter prefixes of a complete head are incomplete.
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

static void check_msg(const char *buf, const struct http_msg *m, size_t head, int method)
{
	int i;

	check(m->head_len == head && memcmp(buf + head - 4, "\r\n\r\n", 4) == 0);
	check(m->status >= 100 && m->status <= 599 && m->version_minor <= 1);
	check(m->reason_off + m->reason_len <= head);
	check(m->nhdr <= HTTP_MAX_HEADERS);
	check(m->body <= BODY_CLOSE);
	check(m->body != BODY_LENGTH || m->content_length > 0);
	check(m->body != BODY_CLOSE || !m->keep_alive);
	if (method == M_HEAD || m->status < 200 || m->status == 204 || m->status == 304)
		check(m->body == BODY_NONE);
	for (i = 0; i < m->nhdr; i++) {
		const struct http_hdr *h = &m->hdr[i];

		check(h->line_off + h->line_len <= head);
		check(h->value_off + h->value_len <= h->line_off + h->line_len);
		check(h->name_off + h->name_len < h->line_off + h->line_len);
		check(h->id < HDR__COUNT);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct http_msg m, again;
	const char *buf = (const char *)data + 1;
	int method, r;

	if (size == 0)
		return 0;
	method = data[0] % (M__COUNT + 1); /* one past the end: an out-of-range method */
	size--;
	r = http_parse_response(buf, size, method, &m);
	if (r <= 0) {
		check(r == 0 || r == -502);
		return 0;
	}
	check((size_t)r <= size && r <= HTTP_MAX_HEAD);
	check_msg(buf, &m, (size_t)r, method);
	check(http_parse_response(buf, (size_t)r, method, &again) == r);
	check(memcmp(&m, &again, offsetof(struct http_msg, hdr)) == 0);
	check(http_parse_response(buf, (size_t)r - 1, method, &again) == 0);
	return 0;
}
