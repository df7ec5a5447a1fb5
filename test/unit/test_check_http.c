/*
 * test_check_http.c - the HTTP health check's request and its verdict
 * (core/check_http.c): what is sent for a HealthCheck read by the real config
 * parser, and how the bytes a backend answers are judged: passed only for a
 * well-formed status line with a code in the HealthCheck's range, failed for
 * another code, junk or a status line too long to be one, and "need more"
 * while the line is incomplete.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "cfgutil.h"
#include "check_http.h"

#define CFG_HEAD                                                                                   \
	"ListenHTTP\n Address 127.0.0.1\n Port 8080\n Service\n  BackEnd\n   Address 127.0.0.2\n"  \
	"   Port 8123\n"
#define CFG_TAIL "  End\n End\nEnd\n"

static struct config *cfg;

/* The only backend of a config whose backend block has `extra` lines. */
static const struct cfg_backend *backend(const char *extra)
{
	char text[1024];

	if (cfg)
		config_free(cfg);
	snprintf(text, sizeof(text), CFG_HEAD "%s" CFG_TAIL, extra);
	cfg = cfgutil_load(text);
	if (!cfg)
		fail_msg("config refused:\n%s\n%s", text, cfgutil_diag);
	assert_non_null(cfg->listeners->services->backends->hc);
	return cfg->listeners->services->backends;
}

/* check_http_verdict on a string; why is checked to name the failure when it fails. */
static int verdict(const struct cfg_backend *b, const char *data, char *why, size_t whylen)
{
	int rc;

	why[0] = '\0';
	rc = check_http_verdict(b, data, strlen(data), why, whylen);
	if (rc == 0)
		assert_true(strlen(why) > 0);
	return rc;
}

static void test_request(void **state)
{
	const struct cfg_backend *b = backend("   HealthCheck \"HEAD /health?full=1\" 204\n");
	char out[2048];
	int n;

	(void)state;
	n = check_http_request(b, out, sizeof(out));
	assert_int_equal(n, (int)strlen(out));
	assert_string_equal(out, "HEAD /health?full=1 HTTP/1.1\r\nHost: 127.0.0.2:8123\r\n"
	                         "Connection: close\r\nUser-Agent: pinfold\r\nAccept: */*\r\n\r\n");
	/* one byte short of room: refused, not cut */
	assert_int_equal(check_http_request(b, out, (size_t)n), -1);
	assert_int_equal(check_http_request(b, out, (size_t)n + 1), n);
}

static void test_default_status_200(void **state)
{
	const struct cfg_backend *b = backend("   HealthCheck \"GET /\"\n");
	char why[128];

	(void)state;
	assert_int_equal(verdict(b, "HTTP/1.1 200 OK\r\n", why, sizeof(why)), 1);
	assert_int_equal(
	    verdict(b, "HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n", why, sizeof(why)), 1);
	/* only the status line is judged: a bare LF ends it too, no reason phrase is fine */
	assert_int_equal(verdict(b, "HTTP/1.1 200\n", why, sizeof(why)), 1);
	assert_int_equal(verdict(b, "HTTP/1.1 201 Created\r\n", why, sizeof(why)), 0);
	assert_string_equal(why, "health check got 201");
	assert_int_equal(verdict(b, "HTTP/1.1 500 Internal Server Error\r\n", why, sizeof(why)), 0);
	assert_string_equal(why, "health check got 500");
	assert_int_equal(
	    verdict(b, "HTTP/1.1 302 Found\r\nLocation: /login\r\n\r\n", why, sizeof(why)), 0);
	assert_string_equal(why, "health check got 302");
}

static void test_status_class(void **state)
{
	const struct cfg_backend *b = backend("   HealthCheck \"GET /\" 2xx\n");
	char why[128];

	(void)state;
	assert_int_equal(verdict(b, "HTTP/1.1 200 OK\r\n", why, sizeof(why)), 1);
	assert_int_equal(verdict(b, "HTTP/1.1 204 No Content\r\n", why, sizeof(why)), 1);
	assert_int_equal(verdict(b, "HTTP/1.1 299 Whatever\r\n", why, sizeof(why)), 1);
	assert_int_equal(verdict(b, "HTTP/1.1 199 Early\r\n", why, sizeof(why)), 0);
	assert_string_equal(why, "health check got 199");
	assert_int_equal(verdict(b, "HTTP/1.1 300 Multiple\r\n", why, sizeof(why)), 0);
	assert_int_equal(verdict(b, "HTTP/1.1 404 Not Found\r\n", why, sizeof(why)), 0);
}

static void test_exact_code(void **state)
{
	const struct cfg_backend *b = backend("   HealthCheck \"OPTIONS /ping\" 204\n");
	char why[128];

	(void)state;
	assert_int_equal(verdict(b, "HTTP/1.1 204 No Content\r\n", why, sizeof(why)), 1);
	assert_int_equal(verdict(b, "HTTP/1.1 200 OK\r\n", why, sizeof(why)), 0);
	assert_string_equal(why, "health check got 200");
}

static void test_incomplete_needs_more(void **state)
{
	const struct cfg_backend *b = backend("   HealthCheck \"GET /\"\n");
	const char *line = "HTTP/1.1 200 OK\r\n";
	char why[128];

	(void)state;
	assert_int_equal(check_http_verdict(b, line, 0, why, sizeof(why)), -1);
	/* every prefix short of the line's LF: not judged yet */
	for (size_t n = 1; n < strlen(line); n++)
		assert_int_equal(check_http_verdict(b, line, n, why, sizeof(why)), -1);
	assert_int_equal(check_http_verdict(b, line, strlen(line), why, sizeof(why)), 1);
}

static void test_junk_fails(void **state)
{
	const struct cfg_backend *b = backend("   HealthCheck \"GET /\"\n");
	static const char *junk[] = {
	    "SSH-2.0-OpenSSH_9.2\r\n", /* something else on the port */
	    "\r\n",
	    "HTTP/1.1 2000 OK\r\n",
	    "HTTP/1.1 20 OK\r\n",
	    "HTTP/1.1 abc OK\r\n",
	    "HTTP/1.1  200 OK\r\n",
	    "http/1.1 200 OK\r\n",
	    "HTTP/2 200\r\n",
	    "HTTP/1.1 200 OK\x01\r\n",
	    "<html>200 OK</html>\n",
	};
	char why[128];

	(void)state;
	for (size_t i = 0; i < sizeof(junk) / sizeof(junk[0]); i++) {
		int rc = verdict(b, junk[i], why, sizeof(why));

		if (rc != 0)
			fail_msg("%zu: %s judged %d, want failed", i, junk[i], rc);
		assert_string_equal(why, "health check got an invalid status line");
	}
}

static void test_overlong_status_line_fails(void **state)
{
	const struct cfg_backend *b = backend("   HealthCheck \"GET /\"\n");
	static char data[2048];
	char why[128];

	(void)state;
	/* no LF in the first 512 bytes: no status line we accept, and no waiting for more */
	memcpy(data, "HTTP/1.1 200 ", 13);
	memset(data + 13, 'x', sizeof(data) - 13);
	assert_int_equal(check_http_verdict(b, data, 511, why, sizeof(why)), -1);
	assert_int_equal(check_http_verdict(b, data, 512, why, sizeof(why)), 0);
	assert_string_equal(why, "health check got no status line");
	assert_int_equal(check_http_verdict(b, data, sizeof(data), why, sizeof(why)), 0);
	/* a reason phrase that fits is fine */
	memcpy(data + 300, "\r\n", 2);
	assert_int_equal(check_http_verdict(b, data, 302, why, sizeof(why)), 1);
}

static int teardown(void **state)
{
	(void)state;
	if (cfg)
		config_free(cfg);
	cfg = NULL;
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_request),
	    cmocka_unit_test(test_default_status_200),
	    cmocka_unit_test(test_status_class),
	    cmocka_unit_test(test_exact_code),
	    cmocka_unit_test(test_incomplete_needs_more),
	    cmocka_unit_test(test_junk_fails),
	    cmocka_unit_test(test_overlong_status_line_fails),
	};
	return cmocka_run_group_tests(tests, NULL, teardown);
}
