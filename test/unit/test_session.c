/*
 * test_session.c - the session pin table (insert, lookup, TTL refresh and
 * expiry, eviction of the least recently used at the cap, key length bound,
 * slots kept apart) and the session keys of requests and responses.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "http.h"
#include "session.h"

static void test_pin_and_find(void **state)
{
	struct sess_table *t = sess_new(16);

	assert_non_null(t);
	assert_int_equal(sess_find(t, 0, "abc", 3, 1000), -1);
	assert_int_equal(sess_pin(t, 0, "abc", 3, 2, 1000, 5000), 0);
	assert_int_equal(sess_find(t, 0, "abc", 3, 1001), 2);
	/* same key, another slot (service): separate */
	assert_int_equal(sess_find(t, 1, "abc", 3, 1001), -1);
	assert_int_equal(sess_pin(t, 1, "abc", 3, 7, 1001, 5000), 0);
	assert_int_equal(sess_find(t, 1, "abc", 3, 1002), 7);
	assert_int_equal(sess_find(t, 0, "abc", 3, 1002), 2);
	/* a prefix is another key */
	assert_int_equal(sess_find(t, 0, "ab", 2, 1002), -1);
	/* re-pin moves it */
	assert_int_equal(sess_pin(t, 0, "abc", 3, 4, 1003, 5000), 0);
	assert_int_equal(sess_find(t, 0, "abc", 3, 1004), 4);
	assert_int_equal(sess_entries(t), 2);
	sess_free(t);
}

static void test_ttl_expiry_and_refresh(void **state)
{
	struct sess_table *t = sess_new(16);

	assert_int_equal(sess_pin(t, 0, "k", 1, 1, 0, 1000), 0);
	/* each hit starts the TTL again */
	assert_int_equal(sess_find(t, 0, "k", 1, 900), 1);
	assert_int_equal(sess_find(t, 0, "k", 1, 1800), 1);
	assert_int_equal(sess_find(t, 0, "k", 1, 2700), 1);
	/* unused for a whole TTL: gone, and the entry freed */
	assert_int_equal(sess_find(t, 0, "k", 1, 3700), -1);
	assert_int_equal(sess_entries(t), 0);
	sess_free(t);
}

static void test_expired_swept_on_insert(void **state)
{
	struct sess_table *t = sess_new(100);
	char key[8];

	for (int i = 0; i < 5; i++) {
		snprintf(key, sizeof(key), "e%d", i);
		assert_int_equal(sess_pin(t, 0, key, strlen(key), 1, 0, 10), 0);
	}
	assert_int_equal(sess_entries(t), 5);
	assert_int_equal(sess_pin(t, 0, "new", 3, 1, 1000, 10), 0);
	assert_int_equal(sess_entries(t), 1); /* the expired ones went first */
	assert_int_equal(sess_evictions(t), 0);
	sess_free(t);
}

static void test_eviction_at_cap(void **state)
{
	struct sess_table *t = sess_new(4);
	char key[16];

	for (int i = 0; i < 4; i++) {
		snprintf(key, sizeof(key), "key%d", i);
		assert_int_equal(sess_pin(t, 0, key, strlen(key), (unsigned)i, 0, 60000), 0);
	}
	/* key0 used again: key1 is now the least recently used */
	assert_int_equal(sess_find(t, 0, "key0", 4, 10), 0);
	assert_int_equal(sess_pin(t, 0, "key4", 4, 4, 20, 60000), 0);
	assert_int_equal(sess_entries(t), 4);
	assert_int_equal(sess_evictions(t), 1);
	assert_int_equal(sess_find(t, 0, "key1", 4, 30), -1);
	assert_int_equal(sess_find(t, 0, "key0", 4, 30), 0);
	assert_int_equal(sess_find(t, 0, "key4", 4, 30), 4);
	/* many more: the count never passes the cap */
	for (int i = 0; i < 1000; i++) {
		snprintf(key, sizeof(key), "many%d", i);
		assert_int_equal(sess_pin(t, 0, key, strlen(key), 1, 40, 60000), 0);
		assert_true(sess_entries(t) <= 4);
	}
	assert_int_equal(sess_find(t, 0, "many999", 7, 50), 1);
	sess_free(t);
}

static void test_key_bounds(void **state)
{
	struct sess_table *t = sess_new(8);
	char big[SESS_KEY_MAX + 2];

	memset(big, 'x', sizeof(big));
	assert_int_equal(sess_pin(t, 0, big, SESS_KEY_MAX, 3, 0, 1000), 0);
	assert_int_equal(sess_find(t, 0, big, SESS_KEY_MAX, 1), 3);
	/* longer keys are not pinned at all, never cut (two would share a pin) */
	assert_int_equal(sess_pin(t, 0, big, SESS_KEY_MAX + 1, 3, 0, 1000), -1);
	assert_int_equal(sess_find(t, 0, big, SESS_KEY_MAX + 1, 1), -1);
	/* empty keys work as keys (callers never pass one), binary bytes too */
	assert_int_equal(sess_pin(t, 0, "a\0b", 3, 5, 0, 1000), 0);
	assert_int_equal(sess_find(t, 0, "a\0c", 3, 1), -1);
	assert_int_equal(sess_find(t, 0, "a\0b", 3, 1), 5);
	assert_int_equal(sess_find(NULL, 0, "a", 1, 1), -1);
	sess_free(t);
	sess_free(NULL);
}

/* ---- keys ---- */

static struct http_msg msg;

static const char *req_key(enum cfg_sess_type type, const char *id, const char *head, size_t *len)
{
	struct cfg_session se = {0};

	se.type = type;
	se.id = (char *)id;
	se.id_len = id ? strlen(id) : 0;
	assert_true(http_parse_request(head, strlen(head), &msg) > 0);
	return sess_request_key(&se, head, &msg, "192.0.2.7", len);
}

static void expect_key(const char *got, size_t len, const char *want)
{
	if (!want) {
		assert_null(got);
		return;
	}
	assert_non_null(got);
	assert_int_equal(len, strlen(want));
	assert_memory_equal(got, want, len);
}

static void test_request_keys(void **state)
{
	size_t len = 0;
	const char *k;

	k = req_key(SESS_IP, NULL, "GET / HTTP/1.1\r\nHost: a\r\n\r\n", &len);
	expect_key(k, len, "192.0.2.7");
	k = req_key(SESS_COOKIE, "sid",
	            "GET / HTTP/1.1\r\nHost: a\r\nCookie: a=1; sid=XYZ; b=2\r\n\r\n", &len);
	expect_key(k, len, "XYZ");
	k = req_key(SESS_COOKIE, "sid",
	            "GET / HTTP/1.1\r\nHost: a\r\nCookie: xsid=1; sidx=2\r\n\r\n", &len);
	expect_key(k, len, NULL);
	k = req_key(SESS_COOKIE, "sid",
	            "GET / HTTP/1.1\r\nHost: a\r\nCookie: a=1\r\nCookie: sid=Q\r\n\r\n", &len);
	expect_key(k, len, "Q");
	k = req_key(SESS_COOKIE, "sid", "GET / HTTP/1.1\r\nHost: a\r\nCookie: sid=\r\n\r\n", &len);
	expect_key(k, len, NULL);
	k = req_key(SESS_URL, "s", "GET /p?a=1&s=42&z HTTP/1.1\r\nHost: a\r\n\r\n", &len);
	expect_key(k, len, "42");
	k = req_key(SESS_URL, "s", "GET /p?as=1 HTTP/1.1\r\nHost: a\r\n\r\n", &len);
	expect_key(k, len, NULL);
	k = req_key(SESS_URL, "s", "GET /p HTTP/1.1\r\nHost: a\r\n\r\n", &len);
	expect_key(k, len, NULL);
	k = req_key(SESS_PARM, NULL, "GET /p;jsess=9?x=1 HTTP/1.1\r\nHost: a\r\n\r\n", &len);
	expect_key(k, len, "jsess=9");
	k = req_key(SESS_PARM, NULL, "GET /p?x=;1 HTTP/1.1\r\nHost: a\r\n\r\n", &len);
	expect_key(k, len, NULL);
	k = req_key(SESS_HEADER, "X-Session", "GET / HTTP/1.1\r\nHost: a\r\nx-session: s1\r\n\r\n",
	            &len);
	expect_key(k, len, "s1");
	/* a Host session keys on the one normalized host, however it was spelled */
	static const char *const spellings[] = {"Admin.Example.", "admin.example:80",
	                                        "ADMIN.EXAMPLE.:80"};
	for (size_t i = 0; i < sizeof(spellings) / sizeof(spellings[0]); i++) {
		char head[128];

		snprintf(head, sizeof(head), "GET / HTTP/1.1\r\nHost: %s\r\n\r\n", spellings[i]);
		assert_true(http_parse_request(head, strlen(head), &msg) > 0);
		http_msg_host_normalize(&msg, head, 80);
		{
			struct cfg_session se = {0};

			se.type = SESS_HEADER;
			se.id = (char *)"Host";
			se.id_len = 4;
			k = sess_request_key(&se, head, &msg, "192.0.2.7", &len);
			expect_key(k, len, "admin.example");
		}
	}
	k = req_key(SESS_BASIC, NULL,
	            "GET / HTTP/1.1\r\nHost: a\r\nAuthorization: Basic dTpw\r\n\r\n", &len);
	expect_key(k, len, "dTpw");
	k = req_key(SESS_BASIC, NULL,
	            "GET / HTTP/1.1\r\nHost: a\r\nAuthorization: Bearer x\r\n\r\n", &len);
	expect_key(k, len, NULL);
}

static void test_response_keys(void **state)
{
	struct cfg_session se = {0};
	const char *r = "HTTP/1.1 200 OK\r\nSet-Cookie: other=1\r\n"
	                "Set-Cookie: sid=ABC; Path=/; HttpOnly\r\nX-Session: h9\r\n"
	                "Content-Length: 0\r\n\r\n";
	size_t len = 0;
	const char *k;

	assert_true(http_parse_response(r, strlen(r), M_GET, &msg) > 0);
	se.type = SESS_COOKIE;
	se.id = "sid";
	se.id_len = 3;
	k = sess_response_key(&se, r, &msg, &len);
	expect_key(k, len, "ABC");
	se.id = "Path"; /* an attribute is not a cookie */
	se.id_len = 4;
	assert_null(sess_response_key(&se, r, &msg, &len));
	se.type = SESS_HEADER;
	se.id = "X-Session";
	se.id_len = 9;
	k = sess_response_key(&se, r, &msg, &len);
	expect_key(k, len, "h9");
	se.type = SESS_IP;
	assert_null(sess_response_key(&se, r, &msg, &len));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_pin_and_find),
	    cmocka_unit_test(test_ttl_expiry_and_refresh),
	    cmocka_unit_test(test_expired_swept_on_insert),
	    cmocka_unit_test(test_eviction_at_cap),
	    cmocka_unit_test(test_key_bounds),
	    cmocka_unit_test(test_request_keys),
	    cmocka_unit_test(test_response_keys),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
