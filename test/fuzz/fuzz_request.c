/*
 * fuzz_request.c - libFuzzer harness for http_parse_request().
 *
 * Beyond memory errors (ASan/UBSan), it aborts when the parser breaks a
 * promise the proxy relies on: the result is 0, one of the documented
 * statuses, or a head length within the input that ends in CRLF CRLF;
 * every offset lies inside the head; and the head parses the same when it
 * is all the buffer holds, while any shorter prefix is merely incomplete.
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

static void check_hdr(const char *buf, const struct http_hdr *h, size_t head)
{
	check(h->line_off + h->line_len <= head);
	check(h->name_off == h->line_off && h->name_len > 0 && h->name_len < h->line_len);
	check(buf[h->name_off + h->name_len] == ':');
	check(h->value_off >= h->name_off + h->name_len + 1);
	check(h->value_off + h->value_len <= h->line_off + h->line_len);
	check(h->id < HDR__COUNT && h->flags == 0);
	check(memcmp(buf + h->line_off + h->line_len, "\r\n", 2) == 0);
}

/* An accepted head has only CRLF line ends and no NUL anywhere: no smuggling room. */
static void check_bytes(const char *buf, size_t head)
{
	size_t i;

	for (i = 0; i < head; i++) {
		check(buf[i] != '\0');
		check(buf[i] != '\n' || (i > 0 && buf[i - 1] == '\r'));
		check(buf[i] != '\r' || (i + 1 < head && buf[i + 1] == '\n'));
	}
}

static void check_msg(const char *buf, const struct http_msg *m, size_t head)
{
	int i;

	check(m->head_len == head && head >= 4);
	check(memcmp(buf + head - 4, "\r\n\r\n", 4) == 0);
	check(m->method < M__COUNT && m->method_len > 0);
	check(m->method_off + m->method_len <= head);
	check(m->target_len > 0 && m->target_off + m->target_len <= head);
	check(m->path_len <= m->target_len);
	check(m->version_minor <= 1);
	check(m->nhdr <= HTTP_MAX_HEADERS);
	check(m->host_idx >= -1 && m->host_idx < (int)m->nhdr);
	check(m->host_idx >= 0 || m->version_minor == 0);
	if (m->host_idx >= 0)
		check(m->hdr[m->host_idx].id == HDR_HOST);
	check(m->body == BODY_NONE || m->body == BODY_LENGTH || m->body == BODY_CHUNKED);
	check(m->body != BODY_LENGTH || m->content_length > 0);
	check(!m->upgrade || m->version_minor == 1);
	for (i = 0; i < m->nhdr; i++) {
		check_hdr(buf, &m->hdr[i], head);
		http_hdr_has_token(buf, &m->hdr[i], "close");
	}
}

/* The normalized Host: bounded, lower case, and normalizing it again changes nothing. */
static void check_host(const char *buf, const struct http_msg *parsed)
{
	static struct http_msg m;
	char again[HTTP_HOST_MAX];
	size_t nl;

	memcpy(&m, parsed, sizeof(m));
	http_msg_host_normalize(&m, buf, 80);
	check((m.host_len > 0) == (m.host_idx >= 0));
	check(m.host_len < HTTP_HOST_MAX && m.hostname_len <= m.host_len);
	check(m.host[m.host_len] == '\0');
	for (size_t i = 0; i < m.host_len; i++)
		check(!(m.host[i] >= 'A' && m.host[i] <= 'Z'));
	check(http_host_normalize(m.host, m.host_len, 80, again, &nl) == m.host_len);
	check(memcmp(again, m.host, m.host_len) == 0 && nl == m.hostname_len);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct http_msg m, again;
	const char *buf = (const char *)data;
	int r = http_parse_request(buf, size, &m);

	if (r <= 0) {
		check(r == 0 || r == -400 || r == -414 || r == -431 || r == -501 || r == -505);
		check(r != 0 || size < HTTP_MAX_HEAD);
		return 0;
	}
	check((size_t)r <= size && r <= HTTP_MAX_HEAD);
	check_msg(buf, &m, (size_t)r);
	check_bytes(buf, (size_t)r);
	check(http_parse_request(buf, (size_t)r, &again) == r);
	check(memcmp(&m, &again, offsetof(struct http_msg, hdr)) == 0);
	check(memcmp(m.hdr, again.hdr, m.nhdr * sizeof(m.hdr[0])) == 0);
	check(http_parse_request(buf, (size_t)r - 1, &again) == 0);
	check(http_parse_request(buf, (size_t)r / 2, &again) == 0);
	check_host(buf, &m);
	return 0;
}
