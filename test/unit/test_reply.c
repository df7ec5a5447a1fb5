/* test_reply.c - the proxy's own responses: well-framed, escaped, no version leaked. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"
#include "reply.h"

static char out[20000];

/* The response parses, and its Content-Length matches the body. */
static void assert_well_framed(int n)
{
	static struct http_msg m;
	int head;

	assert_true(n > 0);
	head = http_parse_response(out, (size_t)n, M_GET, &m);
	assert_true(head > 0);
	assert_int_equal(m.body, BODY_LENGTH);
	assert_int_equal(m.content_length, (uint64_t)(n - head));
}

static void test_error_page(void **state)
{
	int n = reply_error(503, 1, out, sizeof(out));

	assert_well_framed(n);
	assert_true(strncmp(out, "HTTP/1.1 503 Service Unavailable\r\n", 34) == 0);
	assert_null(strstr(out, "Connection: close"));
	assert_null(strstr(out, "pinfold"));
	n = reply_error(400, 0, out, sizeof(out));
	assert_well_framed(n);
	assert_non_null(strstr(out, "\r\nConnection: close\r\n"));
}

static void test_redirect_appends_path(void **state)
{
	const char *url = "https://myhomeassistant.mydomain.com";
	int n = reply_redirect(302, url, strlen(url), "/lovelace/0?x=1", 15, 1, out, sizeof(out));

	assert_well_framed(n);
	assert_true(strncmp(out, "HTTP/1.1 302 Found\r\n", 20) == 0);
	assert_non_null(strstr(out, "\r\nLocation: https://myhomeassistant.mydomain.com"
				    "/lovelace/0?x=1\r\n"));
}

static void test_redirect_no_double_slash(void **state)
{
	const char *url = "https://h/";
	int n = reply_redirect(301, url, strlen(url), "/a", 2, 1, out, sizeof(out));

	assert_well_framed(n);
	assert_non_null(strstr(out, "\r\nLocation: https://h/a\r\n"));
}

static void test_redirect_body_escaped(void **state)
{
	const char *url = "https://h";
	const char *path = "/\"><script>";
	int n = reply_redirect(302, url, strlen(url), path, strlen(path), 0, out, sizeof(out));
	const char *body;

	assert_well_framed(n);
	body = strstr(out, "\r\n\r\n");
	assert_non_null(body);
	assert_null(strstr(body, "<script>"));
	assert_non_null(strstr(body, "&quot;&gt;&lt;script&gt;"));
}

static void test_too_small(void **state)
{
	assert_int_equal(reply_error(503, 1, out, 20), -1);
}

/* Extra headers (WWW-Authenticate, Retry-After, Rewrite response) go before the body. */
static void test_error_page_extra(void **state)
{
	const char *body;
	int n;

	n = reply_error_extra(429, 1, "Retry-After: 12\r\nX-Frame-Options: DENY\r\n", out,
			      sizeof(out));
	assert_true(n > 0);
	assert_int_equal(strncmp(out, "HTTP/1.1 429 Too Many Requests\r\n", 32), 0);
	assert_non_null(strstr(out, "\r\nRetry-After: 12\r\nX-Frame-Options: DENY\r\n"));
	assert_non_null(strstr(out, "\r\nContent-Type: text/html\r\n"));
	assert_non_null(strstr(out, "\r\nCache-Control: no-store\r\n"));
	body = strstr(out, "\r\n\r\n") + 4;
	assert_int_equal(atoi(strstr(out, "Content-Length: ") + 16), (int)strlen(body));
	/* a header the extra lines set replaces the page's own */
	n = reply_error_extra(401, 0, "cache-control: private\r\nContent-Type: text/plain\r\n", out,
			      sizeof(out));
	assert_true(n > 0);
	assert_null(strstr(out, "no-store"));
	assert_null(strstr(out, "text/html"));
	assert_non_null(strstr(out, "\r\nConnection: close\r\n"));
	assert_int_equal(reply_error_extra(401, 0, "", out, 40), -1);
}

/* ErrorFile pages: the file's bytes exactly, framed, never cut. */
static void test_error_page_file(void **state)
{
	static const char page[] = "<p>down for \0maintenance</p>\n"; /* a NUL is just a byte */
	int n = reply_error_page(503, 1, "", page, sizeof(page) - 1, out, sizeof(out));

	assert_well_framed(n);
	assert_int_equal(memcmp(out + n - (int)(sizeof(page) - 1), page, sizeof(page) - 1), 0);
	assert_non_null(strstr(out, "\r\nContent-Length: 29\r\n"));
	n = reply_error_page(404, 0, "", "", 0, out, sizeof(out));
	assert_true(n > 0 && strcmp(out + n - 4, "\r\n\r\n") == 0);
	assert_non_null(strstr(out, "\r\nContent-Length: 0\r\n"));
	/* a page that does not fit is refused, not truncated */
	assert_int_equal(reply_error_page(503, 1, "", page, sizeof(page) - 1, out, 120), -1);
}

/* An ACME challenge answer: 200, text/plain, the file's bytes. */
static void test_content(void **state)
{
	int n = reply_content(1, "text/plain", "tok.thumb", 9, out, sizeof(out));

	assert_well_framed(n);
	assert_int_equal(strncmp(out, "HTTP/1.1 200 OK\r\n", 17), 0);
	assert_non_null(strstr(out, "\r\nContent-Type: text/plain\r\n"));
	assert_string_equal(out + n - 9, "tok.thumb");
	n = reply_content(0, "text/plain", "x", 1, out, sizeof(out));
	assert_non_null(strstr(out, "\r\nConnection: close\r\n"));
	assert_int_equal(reply_content(1, "text/plain", "tok.thumb", 9, out, 90), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_error_page),
		cmocka_unit_test(test_redirect_appends_path),
		cmocka_unit_test(test_redirect_no_double_slash),
		cmocka_unit_test(test_redirect_body_escaped),
		cmocka_unit_test(test_too_small),
		cmocka_unit_test(test_error_page_extra),
		cmocka_unit_test(test_error_page_file),
		cmocka_unit_test(test_content),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
