/*
 * test_log.c - the request log line at every LogLevel for one fixed request,
 * escaping of hostile bytes, field and buffer truncation, and daemon
 * messages as they reach stderr.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "syslogsink.h"

#define LINE 4096

static const char REQLINE[] = "GET /index.html?q=1 HTTP/1.1";
static const char HOST[] = "ha.home.lan";
static const char REFERER[] = "http://ha.home.lan/";
static const char AGENT[] = "curl/8.5.0";

static struct log_req fixed_req(void)
{
	struct log_req r;

	memset(&r, 0, sizeof(r));
	r.client = "127.0.0.1";
	r.reqline = REQLINE;
	r.reqline_len = strlen(REQLINE);
	r.host = HOST;
	r.host_len = strlen(HOST);
	r.referer = REFERER;
	r.referer_len = strlen(REFERER);
	r.user_agent = AGENT;
	r.user_agent_len = strlen(AGENT);
	r.user = "alice";
	r.listener = "127.0.0.1:7080";
	r.service = "hass";
	r.backend = "127.0.0.2:8123";
	r.status = 200;
	r.bytes = 5120;
	r.usec = 12345;
	return r;
}

static uint64_t realtime_us(void)
{
	struct timespec ts;

	assert_int_equal(clock_gettime(CLOCK_REALTIME, &ts), 0);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/*
 * Format at `level` and compare with `want`, where "[DATE]" stands for the
 * CLF time the request arrived (now - usec, in UTC for the test); any second
 * between the clock readings before and after the call is accepted.
 */
static void check_line(int level, const struct log_req *r, const char *want)
{
	char got[LINE], exp[LINE], date[64];
	const char *mark = strstr(want, "[DATE]");
	uint64_t before, after, t;
	size_t n;
	int ok = 0;

	before = realtime_us();
	n = log_format_request(level, r, got, sizeof(got));
	after = realtime_us();
	assert_int_equal(n, strlen(got));
	if (!mark) {
		assert_string_equal(got, want);
		return;
	}
	for (t = (before - r->usec) / 1000000u; t <= (after - r->usec) / 1000000u; t++) {
		time_t tt = (time_t)t;
		struct tm tm;

		assert_non_null(gmtime_r(&tt, &tm));
		assert_true(strftime(date, sizeof(date), "[%d/%b/%Y:%H:%M:%S +0000]", &tm) > 0);
		snprintf(exp, sizeof(exp), "%.*s%s%s", (int)(mark - want), want, date, mark + 6);
		if (strcmp(got, exp) == 0)
			ok = 1;
	}
	if (!ok)
		fail_msg("level %d:\n got  %s\n want %s", level, got, exp);
}

static int setup_utc(void **state)
{
	assert_int_equal(setenv("TZ", "UTC", 1), 0);
	tzset();
	return 0;
}

static void test_level0(void **state)
{
	struct log_req r = fixed_req();
	char buf[64] = "untouched";

	assert_int_equal(log_format_request(0, &r, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "");
	/* Out of range is no logging either, not a crash. */
	assert_int_equal(log_format_request(6, &r, buf, sizeof(buf)), 0);
	assert_int_equal(log_format_request(-1, &r, buf, sizeof(buf)), 0);
}

static void test_level1_regular(void **state)
{
	struct log_req r = fixed_req();

	check_line(1, &r, "127.0.0.1 GET /index.html?q=1 HTTP/1.1 - HTTP/1.1 200 OK");
	r.status = 503;
	check_line(1, &r,
	           "127.0.0.1 GET /index.html?q=1 HTTP/1.1 - HTTP/1.1 503 Service Unavailable");
}

static void test_level2_extended(void **state)
{
	struct log_req r = fixed_req();

	check_line(2, &r,
	           "127.0.0.1 GET /index.html?q=1 HTTP/1.1 - HTTP/1.1 200 OK "
	           "(ha.home.lan/hass -> 127.0.0.2:8123) 0.012 sec");
	r.usec = 61234567;
	r.backend = "(redirect)";
	check_line(2, &r,
	           "127.0.0.1 GET /index.html?q=1 HTTP/1.1 - HTTP/1.1 200 OK "
	           "(ha.home.lan/hass -> (redirect)) 61.234 sec");
}

static void test_level3_vhost_combined(void **state)
{
	struct log_req r = fixed_req();

	check_line(3, &r,
	           "ha.home.lan 127.0.0.1 - alice [DATE] \"GET /index.html?q=1 HTTP/1.1\" 200 5120 "
	           "\"http://ha.home.lan/\" \"curl/8.5.0\"");
}

static void test_level4_combined(void **state)
{
	struct log_req r = fixed_req();

	check_line(4, &r,
	           "127.0.0.1 - alice [DATE] \"GET /index.html?q=1 HTTP/1.1\" 200 5120 "
	           "\"http://ha.home.lan/\" \"curl/8.5.0\"");
}

static void test_level5_detailed(void **state)
{
	struct log_req r = fixed_req();

	check_line(5, &r,
	           "ha.home.lan 127.0.0.1 - alice [DATE] \"GET /index.html?q=1 HTTP/1.1\" 200 5120 "
	           "\"http://ha.home.lan/\" \"curl/8.5.0\" (hass -> 127.0.0.2:8123) 0.012 sec");
}

static void test_missing_fields(void **state)
{
	struct log_req r;
	static const char req[] = "GET / HTTP/1.1";

	memset(&r, 0, sizeof(r));
	r.client = "::1";
	r.reqline = req;
	r.reqline_len = strlen(req);
	r.status = 404;
	check_line(1, &r, "::1 GET / HTTP/1.1 - HTTP/1.1 404 Not Found");
	check_line(2, &r, "::1 GET / HTTP/1.1 - HTTP/1.1 404 Not Found (-/- -> -) 0.000 sec");
	check_line(3, &r, "- ::1 - - [DATE] \"GET / HTTP/1.1\" 404 - \"-\" \"-\"");
	check_line(4, &r, "::1 - - [DATE] \"GET / HTTP/1.1\" 404 - \"-\" \"-\"");
	check_line(5, &r,
	           "- ::1 - - [DATE] \"GET / HTTP/1.1\" 404 - \"-\" \"-\" (- -> -) 0.000 sec");

	/* Present but empty is shown the same way: never an empty column. */
	r.host = "";
	r.user = "";
	r.status = 0; /* no response was sent */
	check_line(1, &r, "::1 GET / HTTP/1.1 - -");
	check_line(4, &r, "::1 - - [DATE] \"GET / HTTP/1.1\" - - \"-\" \"-\"");

	/* A status code without a known reason phrase. */
	r.status = 299;
	check_line(1, &r, "::1 GET / HTTP/1.1 - HTTP/1.1 299");
}

static void test_escaping(void **state)
{
	static const char req[] = "GET /a\r\n127.0.0.9 \"x\"\\\x01\x7f\xff HTTP/1.1";
	static const char host[] = "evil host\n";
	static const char agent[] = "Mozilla\" \"injected";
	struct log_req r = fixed_req();
	char buf[LINE];

	r.reqline = req;
	r.reqline_len = sizeof(req) - 1;
	r.host = host;
	r.host_len = sizeof(host) - 1;
	r.user_agent = agent;
	r.user_agent_len = sizeof(agent) - 1;
	r.user = "bob smith";
	r.service = "my svc";

	check_line(1, &r,
	           "127.0.0.1 GET /a\\x0d\\x0a127.0.0.9 \\x22x\\x22\\x5c\\x01\\x7f\\xff HTTP/1.1 - "
	           "HTTP/1.1 200 OK");
	/* Unquoted fields escape spaces too, so columns cannot shift. */
	check_line(2, &r,
	           "127.0.0.1 GET /a\\x0d\\x0a127.0.0.9 \\x22x\\x22\\x5c\\x01\\x7f\\xff HTTP/1.1 - "
	           "HTTP/1.1 200 OK (evil\\x20host\\x0a/my\\x20svc -> 127.0.0.2:8123) 0.012 sec");
	check_line(
	    3, &r,
	    "evil\\x20host\\x0a 127.0.0.1 - bob\\x20smith [DATE] "
	    "\"GET /a\\x0d\\x0a127.0.0.9 \\x22x\\x22\\x5c\\x01\\x7f\\xff HTTP/1.1\" 200 5120 "
	    "\"http://ha.home.lan/\" \"Mozilla\\x22 \\x22injected\"");

	/* Whatever the level: one line, printable ASCII, exactly the format's quotes. */
	for (int level = 1; level <= 5; level++) {
		size_t i, n = log_format_request(level, &r, buf, sizeof(buf)), quotes = 0;

		for (i = 0; i < n; i++) {
			unsigned char c = (unsigned char)buf[i];

			assert_true(c >= 0x20 && c < 0x7f);
			quotes += c == '"';
		}
		assert_int_equal(quotes, level >= 3 ? 6 : 0);
	}
}

static void test_truncation(void **state)
{
	struct log_req r = fixed_req();
	char *big = malloc(5000);
	char buf[LINE], full[LINE], want[LINE];
	size_t n;

	assert_non_null(big);
	memset(big, 'A', 5000);
	r.reqline = big;
	r.reqline_len = 5000;
	n = log_format_request(1, &r, buf, sizeof(buf));
	/* The request line is cut at 1024 bytes and marked; the rest survives. */
	snprintf(want, sizeof(want), "127.0.0.1 %.1024s... - HTTP/1.1 200 OK", big);
	assert_string_equal(buf, want);
	assert_int_equal(n, strlen(want));

	/* Escapes are never split: 256 bytes of output is 64 escapes. */
	memset(big, '\x01', 300);
	r.reqline = REQLINE;
	r.reqline_len = strlen(REQLINE);
	r.host = big;
	r.host_len = 300;
	log_format_request(3, &r, buf, sizeof(buf));
	assert_int_equal(strncmp(buf, "\\x01", 4), 0);
	assert_int_equal(strncmp(buf + 64 * 4, "... 127.0.0.1 ", 14), 0);

	/* Every field at its worst still fits the line buffer, cut and marked. */
	r.reqline = big;
	r.reqline_len = 5000;
	r.referer = big;
	r.referer_len = 5000;
	r.user_agent = big;
	r.user_agent_len = 5000;
	r.user = "u";
	n = log_format_request(5, &r, buf, sizeof(buf));
	assert_true(n < sizeof(buf) - 1);
	assert_non_null(strstr(buf, " (hass -> 127.0.0.2:8123) 0.012 sec"));

	/* A small buffer holds a terminated prefix of the full line. */
	r = fixed_req();
	log_format_request(4, &r, full, sizeof(full));
	n = log_format_request(4, &r, buf, 16);
	assert_int_equal(n, 15);
	assert_int_equal(strlen(buf), 15);
	assert_int_equal(strncmp(buf, full, 15), 0);
	n = log_format_request(1, &r, buf, 1);
	assert_int_equal(n, 0);
	assert_string_equal(buf, "");
	assert_int_equal(log_format_request(1, &r, NULL, 0), 0);
	free(big);
}

static void test_facility(void **state)
{
	assert_int_equal(sink_facility("daemon"), LOG_DAEMON);
	assert_int_equal(sink_facility("auth"), LOG_AUTH);
	assert_int_equal(sink_facility("authpriv"), LOG_AUTHPRIV);
	assert_int_equal(sink_facility("syslog"), LOG_SYSLOG);
	assert_int_equal(sink_facility("user"), LOG_USER);
	assert_int_equal(sink_facility("local0"), LOG_LOCAL0);
	assert_int_equal(sink_facility("local7"), LOG_LOCAL7);
	assert_int_equal(sink_facility("local8"), -1);
	assert_int_equal(sink_facility("Daemon"), -1);
	assert_int_equal(sink_facility(""), -1);
	assert_int_equal(sink_facility(NULL), -1);
}

/* Run fn with stderr sent to a file; return what it wrote. */
static void capture_stderr(void (*fn)(void), char *out, size_t outlen)
{
	char path[] = "/tmp/pinfold-test-log-XXXXXX";
	int fd = mkstemp(path);
	int saved;
	ssize_t n;

	assert_true(fd >= 0);
	assert_int_equal(unlink(path), 0);
	fflush(stderr);
	saved = dup(STDERR_FILENO);
	assert_true(saved >= 0);
	assert_true(dup2(fd, STDERR_FILENO) >= 0);
	fn();
	assert_true(dup2(saved, STDERR_FILENO) >= 0);
	close(saved);
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	n = read(fd, out, outlen - 1);
	assert_true(n >= 0);
	out[n] = '\0';
	close(fd);
}

static void emit_messages(void)
{
	log_init(1, LOG_DAEMON, 0);
	errno = EAGAIN;
	log_msg(LOG_NOTICE, "listening on %s", "127.0.0.1:7080");
	assert_int_equal(errno, EAGAIN); /* logging must not clobber errno */
	log_msg(LOG_DEBUG, "hidden without -v");
	log_msg(LOG_WARNING, "bad header from %s: %s", "127.0.0.1", "X\r\nInjected: 1");
	log_init(1, LOG_DAEMON, 1);
	log_msg(LOG_DEBUG, "shown with -v");
}

static void test_log_msg(void **state)
{
	char out[LINE];

	capture_stderr(emit_messages, out, sizeof(out));
	assert_string_equal(out, "pinfold: listening on 127.0.0.1:7080\n"
	                         "pinfold: bad header from 127.0.0.1: X\\x0d\\x0aInjected: 1\n"
	                         "pinfold: shown with -v\n");
}

static void emit_requests(void)
{
	struct log_req r = fixed_req();

	log_init(1, LOG_DAEMON, 0);
	log_request(0, &r);
	log_request(1, &r);
}

static void test_log_request_sink(void **state)
{
	char out[LINE];

	capture_stderr(emit_requests, out, sizeof(out));
	assert_string_equal(out,
	                    "pinfold: 127.0.0.1 GET /index.html?q=1 HTTP/1.1 - HTTP/1.1 200 OK\n");
}

/* ---- the refused line (fail2ban) -------------------------------------------------------- */

static void test_refused_line(void **state)
{
	char buf[2048], big[3000];
	const char *evil = "GET /\" 403 acl\nrefused 10.9.9.9 \"x HTTP/1.1";

	log_format_refused("203.0.113.9", "POST /auth/login_flow HTTP/1.1", 30, 429, "ratelimit",
			   buf, sizeof(buf));
	assert_string_equal(buf, "refused 203.0.113.9 \"POST /auth/login_flow HTTP/1.1\" 429 ratelimit");
	log_format_refused("2001:db8::1", NULL, 0, 0, "connlimit", buf, sizeof(buf));
	assert_string_equal(buf, "refused 2001:db8::1 \"-\" - connlimit");
	log_format_refused(NULL, "", 0, 408, "timeout", buf, sizeof(buf));
	assert_string_equal(buf, "refused - \"-\" 408 timeout");
	/* the request line cannot end the quoted field or start a line */
	log_format_refused("198.51.100.8", evil, strlen(evil), 400, "badrequest", buf, sizeof(buf));
	assert_string_equal(buf, "refused 198.51.100.8 \"GET /\\x22 403 acl\\x0arefused 10.9.9.9 "
				 "\\x22x HTTP/1.1\" 400 badrequest");
	assert_null(strchr(buf, '\n'));
	/* long request lines are cut, the fields after them stay */
	memset(big, 'a', sizeof(big));
	log_format_refused("192.0.2.1", big, sizeof(big), 414, "limit", buf, sizeof(buf));
	assert_non_null(strstr(buf, "...\" 414 limit"));
	assert_true(strlen(buf) < 1200);
	/* a tiny buffer stays terminated */
	assert_true(log_format_refused("192.0.2.1", "GET / HTTP/1.1", 14, 200, "x", buf, 8) <= 7);
	assert_int_equal(strlen(buf), 7);
}

static void test_cut_line(void **state)
{
	char buf[2048];
	struct log_req r = {0};
	const char *evil = "GET /\" TimeOut\ncut 10.9.9.9 \"x HTTP/1.1";

	r.client = "203.0.113.9";
	r.reqline = "GET /api/stream HTTP/1.1";
	r.reqline_len = strlen(r.reqline);
	r.backend = "192.168.1.2:8123";
	r.status = 200;
	r.bytes = 4096;
	r.usec = 120345678;
	log_format_cut(&r, "StreamTimeOut", 17, buf, sizeof(buf));
	assert_string_equal(buf, "cut 203.0.113.9 \"GET /api/stream HTTP/1.1\" StreamTimeOut "
				 "status=200 backend=192.168.1.2:8123 to_client=4096 "
				 "from_client=17 secs=120.3");
	/* nothing answered, no backend chosen */
	memset(&r, 0, sizeof(r));
	r.client = "2001:db8::1";
	log_format_cut(&r, "ConnTO", 0, buf, sizeof(buf));
	assert_string_equal(buf, "cut 2001:db8::1 \"-\" ConnTO status=- backend=- to_client=0 "
				 "from_client=0 secs=0.0");
	/* the request line can neither end its field nor start a line */
	r.reqline = evil;
	r.reqline_len = strlen(evil);
	log_format_cut(&r, "shutdown", 0, buf, sizeof(buf));
	assert_null(strchr(buf, '\n'));
	assert_non_null(strstr(buf, "\"GET /\\x22 TimeOut\\x0acut 10.9.9.9 \\x22x HTTP/1.1\" shutdown"));
	assert_true(log_format_cut(&r, "x", 0, buf, 8) <= 7);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_level0),          cmocka_unit_test(test_level1_regular),
	    cmocka_unit_test(test_level2_extended), cmocka_unit_test(test_level3_vhost_combined),
	    cmocka_unit_test(test_level4_combined), cmocka_unit_test(test_level5_detailed),
	    cmocka_unit_test(test_missing_fields),  cmocka_unit_test(test_escaping),
	    cmocka_unit_test(test_truncation),      cmocka_unit_test(test_facility),
	    cmocka_unit_test(test_log_msg),         cmocka_unit_test(test_log_request_sink),
	    cmocka_unit_test(test_refused_line),    cmocka_unit_test(test_cut_line),
	};

	return cmocka_run_group_tests(tests, setup_utc, NULL);
}
