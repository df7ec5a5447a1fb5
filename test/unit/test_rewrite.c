/*
 * test_rewrite.c - what the backend and the client see: hop-by-hop and
 * spoofable headers dropped, the proxy's own X-Forwarded-* added,
 * HeadRemove/SetHeader applied, response persistence headers right.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "cfgutil.h"
#include "http.h"
#include "policy.h"
#include "rewrite.h"
#include "route.h"

static char scratch[HTTP_MAX_HEAD + 1];
static char out[16384];

#define LISTENER \
	"ListenHTTP\n Address 127.0.0.1\n Port 7080\n xHTTP 1\n%s\n" \
	" Service\n  BackEnd\n   Address 127.0.0.2\n   Port 8123\n  End\n End\nEnd\n"

static struct config *load_with(const char *extra)
{
	char text[2048];

	snprintf(text, sizeof(text), LISTENER, extra);
	return cfgutil_load(text);
}

/* Forward `req` through the config's first listener; returns the head as the backend sees it. */
static const char *forward(const struct config *cfg, const char *req)
{
	static struct http_msg m;
	struct route_req rq;
	struct rw_client cl = {"192.0.2.10", 0, 7080};
	const struct cfg_service *svc;
	int n;

	assert_true(http_parse_request(req, strlen(req), &m) > 0);
	route_req_init(&rq, req, &m, scratch);
	svc = route_find(cfg, cfg->listeners, &rq);
	assert_non_null(svc);
	policy_filter_request(cfg->listeners, svc, &rq, &m);
	n = rewrite_request(cfg->listeners, svc, &rq, &m, &cl, out, sizeof(out));
	assert_true(n > 0);
	out[n] = '\0';
	return out;
}

static void test_spoofable_headers_dropped(void **state)
{
	struct config *cfg = load_with("");
	const char *h;

	assert_non_null(cfg);
	h = forward(cfg, "GET /x HTTP/1.1\r\nHost: a\r\n"
			 "X-Forwarded-For: 6.6.6.6\r\nX-Forwarded-Proto: https\r\n"
			 "X-Forwarded-Host: evil\r\nX-Forwarded-Port: 1\r\nX-Real-IP: 6.6.6.6\r\n"
			 "Forwarded: for=6.6.6.6\r\nX-Client-IP: 6.6.6.6\r\n"
			 "True-Client-IP: 6.6.6.6\r\nAccept: */*\r\n\r\n");
	assert_null(strstr(h, "6.6.6.6"));
	assert_null(strstr(h, "evil"));
	assert_non_null(strstr(h, "\r\nX-Forwarded-For: 192.0.2.10\r\n"));
	assert_non_null(strstr(h, "\r\nX-Forwarded-Proto: http\r\n"));
	assert_non_null(strstr(h, "\r\nX-Forwarded-Port: 7080\r\n"));
	assert_non_null(strstr(h, "\r\nAccept: */*\r\n"));
	assert_true(strncmp(h, "GET /x HTTP/1.1\r\n", 17) == 0);
	assert_non_null(strstr(h, "\r\nHost: a\r\n"));
	assert_string_equal(h + strlen(h) - 4, "\r\n\r\n");
	config_free(cfg);
}

static void test_trusted_upstream_keeps_and_extends(void **state)
{
	struct config *cfg = load_with(" StripForwarded 0\n");
	const char *h;

	assert_non_null(cfg);
	h = forward(cfg, "GET / HTTP/1.1\r\nHost: a\r\nX-Forwarded-For: 203.0.113.5\r\n"
			 "X-Forwarded-Proto: https\r\n\r\n");
	assert_non_null(strstr(h, "\r\nX-Forwarded-For: 203.0.113.5, 192.0.2.10\r\n"));
	assert_non_null(strstr(h, "\r\nX-Forwarded-Proto: https\r\n"));
	assert_null(strstr(h, "X-Forwarded-Proto: http\r\n"));
	config_free(cfg);
}

static void test_hop_by_hop_dropped(void **state)
{
	struct config *cfg = load_with("");
	const char *h;

	assert_non_null(cfg);
	h = forward(cfg, "GET / HTTP/1.1\r\nHost: a\r\nConnection: keep-alive, X-Secret, "
			 "X-Forwarded-For\r\nKeep-Alive: 5\r\nX-Secret: s\r\nTE: trailers\r\n"
			 "Proxy-Authorization: Basic eA==\r\nProxy-Connection: x\r\n"
			 "Trailer: x\r\nUpgrade: h2c\r\n\r\n");
	assert_null(strstr(h, "Connection"));
	assert_null(strstr(h, "Keep-Alive"));
	assert_null(strstr(h, "X-Secret"));
	assert_null(strstr(h, "TE:"));
	assert_null(strstr(h, "Proxy-"));
	assert_null(strstr(h, "Trailer"));
	assert_null(strstr(h, "Upgrade"));
	/* naming X-Forwarded-For in Connection must not remove what the proxy adds */
	assert_non_null(strstr(h, "\r\nX-Forwarded-For: 192.0.2.10\r\n"));
	config_free(cfg);
}

static void test_connection_cannot_remove_framing(void **state)
{
	struct config *cfg = load_with("");
	const char *h;

	assert_non_null(cfg);
	h = forward(cfg, "POST / HTTP/1.1\r\nHost: a\r\nConnection: Content-Length, Host\r\n"
			 "Content-Length: 3\r\n\r\nabc");
	assert_non_null(strstr(h, "\r\nContent-Length: 3\r\n"));
	assert_non_null(strstr(h, "\r\nHost: a\r\n"));
	config_free(cfg);
}

static void test_websocket_upgrade_kept(void **state)
{
	struct config *cfg = load_with("");
	const char *h;

	assert_non_null(cfg);
	h = forward(cfg, "GET /api/websocket HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\n"
			 "Upgrade: websocket\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
			 "Sec-WebSocket-Version: 13\r\n\r\n");
	assert_non_null(strstr(h, "\r\nUpgrade: websocket\r\n"));
	assert_non_null(strstr(h, "\r\nConnection: upgrade\r\n"));
	assert_non_null(strstr(h, "\r\nSec-WebSocket-Key: "));
	config_free(cfg);
}

static void test_headremove_and_setheader(void **state)
{
	struct config *cfg =
		load_with(" HeadRemove \"^X-Debug\"\n AddHeader \"X-Via: pinfold\"\n");
	const char *h;

	assert_non_null(cfg);
	h = forward(cfg, "GET / HTTP/1.1\r\nHost: a\r\nX-Debug-Token: 1\r\nx-debug: 2\r\n"
			 "X-Via: client\r\n\r\n");
	assert_null(strstr(h, "X-Debug"));
	assert_null(strstr(h, "x-debug"));
	assert_null(strstr(h, "X-Via: client"));
	assert_non_null(strstr(h, "\r\nX-Via: pinfold\r\n"));
	config_free(cfg);
}

static void test_headremove_cannot_remove_framing(void **state)
{
	struct config *cfg = load_with(" HeadRemove \"^Content-Length\"\n");
	const char *h;

	assert_non_null(cfg);
	h = forward(cfg, "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabc");
	assert_non_null(strstr(h, "\r\nContent-Length: 3\r\n"));
	config_free(cfg);
}

static void test_underscore_aliases_dropped(void **state)
{
	struct config *cfg = load_with("");
	const char *h;

	assert_non_null(cfg);
	h = forward(cfg, "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n"
			 "Transfer_Encoding: chunked\r\nContent_Length: 9\r\n"
			 "X_Forwarded_For: 6.6.6.6\r\nX-Custom_Name: kept\r\n\r\nabc");
	assert_null(strstr(h, "Transfer_Encoding"));
	assert_null(strstr(h, "Content_Length"));
	assert_null(strstr(h, "6.6.6.6"));
	assert_non_null(strstr(h, "\r\nX-Custom_Name: kept\r\n"));
	assert_non_null(strstr(h, "\r\nContent-Length: 3\r\n"));
	config_free(cfg);
}

static void test_absolute_form_sent_as_origin_form(void **state)
{
	struct config *cfg = load_with("");
	const char *h;

	assert_non_null(cfg);
	h = forward(cfg, "GET http://a/p?q=1 HTTP/1.1\r\nHost: a\r\n\r\n");
	assert_true(strncmp(h, "GET /p?q=1 HTTP/1.1\r\n", 21) == 0);
	config_free(cfg);
}

static const char *respond(const char *resp, int method, int keep, int minor)
{
	static struct http_msg m;
	int n;

	assert_true(http_parse_response(resp, strlen(resp), method, &m) > 0);
	n = rewrite_response(resp, &m, keep, minor, out, sizeof(out));
	assert_true(n > 0);
	out[n] = '\0';
	return out;
}

static void test_response_persistence(void **state)
{
	const char *r;

	r = respond("HTTP/1.1 200 OK\r\nContent-Length: 0\r\nKeep-Alive: timeout=5\r\n"
		    "Connection: keep-alive, X-Internal\r\nX-Internal: 1\r\n\r\n",
		    M_GET, 1, 1);
	assert_true(strncmp(r, "HTTP/1.1 200 OK\r\n", 17) == 0);
	assert_null(strstr(r, "Keep-Alive"));
	assert_null(strstr(r, "X-Internal"));
	assert_null(strstr(r, "Connection"));
	assert_non_null(strstr(r, "Content-Length: 0\r\n"));
	r = respond("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", M_GET, 0, 1);
	assert_non_null(strstr(r, "\r\nConnection: close\r\n"));
	r = respond("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", M_GET, 1, 0);
	assert_non_null(strstr(r, "\r\nConnection: keep-alive\r\n"));
	r = respond("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
		    "Connection: Upgrade\r\nSec-WebSocket-Accept: x\r\n\r\n",
		    M_GET, 1, 1);
	assert_non_null(strstr(r, "\r\nUpgrade: websocket\r\n"));
	assert_non_null(strstr(r, "\r\nConnection: upgrade\r\n"));
}

static void test_method_classes(void **state)
{
	struct config *cfg = load_with("");
	static struct http_msg m;
	const char *del = "DELETE / HTTP/1.1\r\nHost: a\r\n\r\n";
	const char *prop = "PROPFIND / HTTP/1.1\r\nHost: a\r\n\r\n";
	const char *odd = "BREW / HTTP/1.1\r\nHost: a\r\n\r\n";

	assert_non_null(cfg); /* xHTTP 1 */
	assert_true(http_parse_request(del, strlen(del), &m) > 0);
	assert_int_equal(policy_method(cfg->listeners, &m), 0);
	assert_true(http_parse_request(prop, strlen(prop), &m) > 0);
	assert_int_equal(policy_method(cfg->listeners, &m), 501);
	assert_true(http_parse_request(odd, strlen(odd), &m) > 0);
	assert_int_equal(policy_method(cfg->listeners, &m), 501);
	config_free(cfg);
}

/* ---- Rewrite response --------------------------------------------------------------- */

#define RESP_CFG                                                                                   \
	"ListenHTTP\n Address 127.0.0.1\n Port 7080\n"                                             \
	" Rewrite response\n"                                                                       \
	"  DeleteHeader \"^(Server|X-Powered-By):\"\n"                                              \
	"  DeleteHeader \"^Content-Length:\"\n"                                                     \
	"  SetHeader \"Strict-Transport-Security: max-age=31536000\"\n"                             \
	"  SetHeader \"X-Frame-Options: SAMEORIGIN\"\n"                                             \
	" End\n"                                                                                    \
	" Service\n"                                                                                \
	"  Rewrite response\n"                                                                      \
	"   SetHeader \"X-Frame-Options: DENY\"\n"                                                  \
	"   SetHeader \"Referrer-Policy: no-referrer\"\n"                                           \
	"   SetHeader \"X-Content-Type-Options: nosniff\"\n"                                        \
	"   DeleteHeader -beg \"X-Debug\"\n"                                                        \
	"  End\n"                                                                                   \
	"  BackEnd\n   Address 127.0.0.2\n   Port 8123\n  End\n"                                    \
	" End\n"                                                                                    \
	"End\n"

static const char *respond_edit(const struct config *cfg, const char *resp, int keep)
{
	static struct http_msg m;
	const struct cfg_listener *l = cfg->listeners;
	int n;

	assert_true(http_parse_response(resp, strlen(resp), M_GET, &m) > 0);
	n = rewrite_response_edit(resp, &m, keep, 1, l, l->services, scratch, out, sizeof(out));
	assert_true(n > 0);
	out[n] = '\0';
	return out;
}

static int count_of(const char *h, const char *s)
{
	int n = 0;

	for (const char *p = h; (p = strstr(p, s)); p += strlen(s))
		n++;
	return n;
}

static void test_response_headers_edited(void **state)
{
	struct config *cfg = cfgutil_load(RESP_CFG);
	const char *r;

	assert_non_null(cfg);
	r = respond_edit(cfg,
			 "HTTP/1.1 200 OK\r\nServer: Python/3.11 aiohttp/3.9\r\n"
			 "X-Powered-By: HomeAssistant 2024.1\r\nContent-Length: 2\r\n"
			 "x-frame-options: ALLOW-FROM evil\r\nX-Debug-Token: 1\r\n"
			 "Content-Type: text/plain\r\n\r\n",
			 1);
	assert_null(strstr(r, "Server:"));
	assert_null(strstr(r, "X-Powered-By"));
	assert_null(strstr(r, "aiohttp"));
	assert_null(strstr(r, "X-Debug"));
	assert_null(strstr(r, "ALLOW-FROM"));
	/* framing is never deleted, whatever the pattern says */
	assert_non_null(strstr(r, "\r\nContent-Length: 2\r\n"));
	assert_non_null(strstr(r, "\r\nContent-Type: text/plain\r\n"));
	assert_non_null(strstr(r, "\r\nStrict-Transport-Security: max-age=31536000\r\n"));
	assert_non_null(strstr(r, "\r\nReferrer-Policy: no-referrer\r\n"));
	assert_non_null(strstr(r, "\r\nX-Content-Type-Options: nosniff\r\n"));
	/* set by both: the listener's comes last in Pound's order, and is the one sent */
	assert_int_equal(count_of(r, "X-Frame-Options"), 1);
	assert_non_null(strstr(r, "\r\nX-Frame-Options: SAMEORIGIN\r\n"));
	assert_string_equal(r + strlen(r) - 4, "\r\n\r\n");
	/* persistence headers still come after the edits */
	r = respond_edit(cfg, "HTTP/1.1 204 No Content\r\n\r\n", 0);
	assert_non_null(strstr(r, "\r\nConnection: close\r\n\r\n"));
	assert_non_null(strstr(r, "Strict-Transport-Security"));
	/* a 101 head is passed through as it came */
	{
		static struct http_msg m;
		const char *up = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
				 "Connection: Upgrade\r\nServer: x\r\n\r\n";
		int n;

		assert_true(http_parse_response(up, strlen(up), M_GET, &m) > 0);
		n = rewrite_response_edit(up, &m, 1, 1, cfg->listeners, cfg->listeners->services,
					  scratch, out, sizeof(out));
		out[n] = '\0';
		assert_non_null(strstr(out, "\r\nServer: x\r\n"));
		assert_null(strstr(out, "Strict-Transport-Security"));
	}
	config_free(cfg);
}

static void test_response_without_edits_unchanged(void **state)
{
	struct config *cfg = load_with("");
	const char *resp = "HTTP/1.1 200 OK\r\nServer: x\r\nContent-Length: 0\r\n\r\n";
	static struct http_msg m;
	char plain[1024];
	int n;

	assert_non_null(cfg);
	assert_true(http_parse_response(resp, strlen(resp), M_GET, &m) > 0);
	n = rewrite_response(resp, &m, 1, 1, plain, sizeof(plain));
	plain[n] = '\0';
	assert_true(http_parse_response(resp, strlen(resp), M_GET, &m) > 0);
	n = rewrite_response_edit(resp, &m, 1, 1, cfg->listeners, cfg->listeners->services, scratch,
				  out, sizeof(out));
	out[n] = '\0';
	assert_string_equal(out, plain);
	assert_non_null(strstr(out, "\r\nServer: x\r\n"));
	config_free(cfg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_spoofable_headers_dropped),
		cmocka_unit_test(test_trusted_upstream_keeps_and_extends),
		cmocka_unit_test(test_hop_by_hop_dropped),
		cmocka_unit_test(test_connection_cannot_remove_framing),
		cmocka_unit_test(test_websocket_upgrade_kept),
		cmocka_unit_test(test_headremove_and_setheader),
		cmocka_unit_test(test_headremove_cannot_remove_framing),
		cmocka_unit_test(test_underscore_aliases_dropped),
		cmocka_unit_test(test_absolute_form_sent_as_origin_form),
		cmocka_unit_test(test_response_persistence),
		cmocka_unit_test(test_method_classes),
		cmocka_unit_test(test_response_headers_edited),
		cmocka_unit_test(test_response_without_edits_unchanged),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
