/*
 * test_policy.c - the access-control decisions on parsed requests, through
 * the same calls core/conn.c makes: the real client behind TrustedIP proxies
 * (and what the backend is sent), listener ACL gates, RateLimit and the
 * login limit with Retry-After, BasicAuth with exemptions (Authorization
 * consumed and dropped), Method, the size limits, and the proxy's own replies.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include "buildopts.h"
#include "cfgutil.h"
#include "http.h"
#include "policy.h"
#include "rewrite.h"
#include "route.h"

#define H_SECRET "$5$rounds=1000$saltsalt$eKLZU9t9OoPWrqOQsoTIKG0aYkZ5rGOoOQhiIvoSWX2"
/* base64("alice:secret"), base64("alice:wrong") */
#define CRED_OK  "Authorization: Basic YWxpY2U6c2VjcmV0\r\n"
#define CRED_BAD "Authorization: Basic YWxpY2U6d3Jvbmc=\r\n"

static char scratch[HTTP_MAX_HEAD + 1];
static char out[16384];
static char htpasswd[64];

/* A running configuration: its policy state, as core/gen.c makes it, and the proxy-wide
 * per-address connection table. */
struct env {
	struct config *cfg;
	struct policy_state *ps;
	struct connlimit *conns;
};

/* The result of one request through the policy calls. */
struct res {
	int status; /* 0: forwarded */
	const struct cfg_service *svc;
	struct policy_conn pc;
	const char *head; /* what the backend is sent, when forwarded */
};

/* Load `tmpl` with @HTPASSWD@ replaced by the test's password file. */
static void env_load(struct env *e, const char *tmpl)
{
	char text[4096];
	const char *at = strstr(tmpl, "@HTPASSWD@");

	if (at)
		snprintf(text, sizeof(text), "%.*s%s%s", (int)(at - tmpl), tmpl, htpasswd, at + 10);
	else
		snprintf(text, sizeof(text), "%s", tmpl);
	memset(e, 0, sizeof(*e));
	e->cfg = cfgutil_load(text);
	if (!e->cfg)
		fail_msg("config: %s", cfgutil_diag);
	assert_int_equal(policy_state_new(&e->ps, e->cfg, NULL, NULL), 0);
}

static void env_free(struct env *e)
{
	policy_state_free(e->ps);
	policy_conns_free(&e->conns);
	config_free(e->cfg);
}

static void peer_of(const char *ip, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (strchr(ip, ':')) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

		s6->sin6_family = AF_INET6;
		assert_int_equal(inet_pton(AF_INET6, ip, &s6->sin6_addr), 1);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)ss;

		s4->sin_family = AF_INET;
		assert_int_equal(inet_pton(AF_INET, ip, &s4->sin_addr), 1);
	}
}

/* One request from `peer` at time `now`, through the listener `lis` (0-based). */
static void run(struct env *e, int lis, const char *peer, const char *req, uint64_t now,
                struct res *r)
{
	static struct http_msg m;
	const struct cfg_listener *l = e->cfg->listeners;
	struct sockaddr_storage ss;
	struct route_req rq;
	struct rw_client cl;
	int rc, n;

	while (lis-- > 0)
		l = l->next;
	memset(r, 0, sizeof(*r));
	peer_of(peer, &ss);
	assert_int_equal(policy_conn_open(&r->pc, &e->conns, e->cfg, l, &ss), 0);
	rc = http_parse_request(req, strlen(req), &m);
	rc = policy_request_head(&r->pc, l, req, strlen(req), rc, &m);
	if (rc < 0) {
		r->status = -rc;
		goto done;
	}
	assert_true(rc > 0);
	r->status = policy_admit(&r->pc, e->ps, l, req, &m, now);
	if (r->status)
		goto done;
	route_req_init(&rq, req, &m, scratch);
	policy_route_ctx(&r->pc, &rq);
	r->svc = route_find(e->cfg, l, &rq);
	assert_non_null(r->svc);
	r->status = policy_service(&r->pc, r->svc);
	if (r->status)
		goto done;
	if (r->svc->error_code) {
		r->status = r->svc->error_code;
		goto done;
	}
	policy_filter_request(l, r->svc, &rq, &m);
	cl.addr = r->pc.peer_text;
	cl.https = 0;
	cl.port = 7080;
	n = rewrite_request(l, r->svc, &rq, &m, &cl, out, sizeof(out));
	assert_true(n > 0);
	out[n] = '\0';
	r->head = out;
done:
	policy_conn_close(&r->pc, e->conns);
}

/* ---- TrustedIP ------------------------------------------------------------------------ */

#define TRUSTED_CFG                                                                                \
	"ACL \"proxies\"\n \"127.0.0.1\"\n \"10.0.0.0/8\"\n \"2001:db8:ffff::/48\"\nEnd\n"         \
	"TrustedIP \"proxies\"\n"                                                                  \
	"ListenHTTP\n Address 127.0.0.1\n Port 7080\n"                                             \
	" Service\n  BackEnd\n   Address 127.0.0.2\n   Port 8123\n  End\n End\nEnd\n"              \
	"ListenHTTP\n Address 127.0.0.1\n Port 7081\n StripForwarded 0\n"                          \
	" Service\n  BackEnd\n   Address 127.0.0.2\n   Port 8123\n  End\n End\nEnd\n"

static void expect_client(struct env *e, const char *peer, const char *xff, const char *client)
{
	char req[1024];
	struct res r;

	snprintf(req, sizeof(req), "GET / HTTP/1.1\r\nHost: a\r\n%s\r\n\r\n", xff);
	run(e, 0, peer, req, 0, &r);
	assert_int_equal(r.status, 0);
	if (strcmp(policy_client(&r.pc), client) != 0)
		fail_msg("peer %s, \"%s\": client %s, want %s", peer, xff, policy_client(&r.pc),
		         client);
}

static void test_trusted_client_address(void **state)
{
	struct env e;

	env_load(&e, TRUSTED_CFG);
	/* the last untrusted address, read from the right */
	expect_client(&e, "127.0.0.1", "X-Forwarded-For: 198.51.100.7, 10.1.1.1", "198.51.100.7");
	expect_client(&e, "127.0.0.1", "X-Forwarded-For: 6.6.6.6, 198.51.100.7", "198.51.100.7");
	/* all trusted: the leftmost */
	expect_client(&e, "10.9.9.9", "X-Forwarded-For: 10.0.0.1, 10.0.0.2", "10.0.0.1");
	/* several header lines are one list, in order */
	expect_client(&e, "127.0.0.1", "X-Forwarded-For: 203.0.113.9\r\nX-Forwarded-For: 10.0.0.3",
	              "203.0.113.9");
	/* garbage stops the walk at the last good hop */
	expect_client(&e, "127.0.0.1", "X-Forwarded-For: 198.51.100.7, unknown, 10.0.0.2",
	              "10.0.0.2");
	expect_client(&e, "127.0.0.1", "X-Forwarded-For: garbage", "127.0.0.1");
	/* empty elements and spaces */
	expect_client(&e, "127.0.0.1", "X-Forwarded-For: ,198.51.100.8 ,, 10.0.0.1,",
	              "198.51.100.8");
	/* IPv6, bracketed, with ports */
	expect_client(&e, "2001:db8:ffff::1", "X-Forwarded-For: [2001:db8::42]:1234",
	              "2001:db8::42");
	expect_client(&e, "127.0.0.1", "X-Forwarded-For: 198.51.100.9:4444", "198.51.100.9");
	/* no header: the trusted peer itself */
	expect_client(&e, "127.0.0.1", "Accept: */*", "127.0.0.1");
	/* an untrusted peer is never believed */
	expect_client(&e, "203.0.113.5", "X-Forwarded-For: 198.51.100.7", "203.0.113.5");
	env_free(&e);
}

static void test_trusted_forwarding_headers(void **state)
{
	struct env e;
	struct res r;

	env_load(&e, TRUSTED_CFG);
	/* trusted: kept and extended with the peer */
	run(&e, 0, "127.0.0.1",
	    "GET / HTTP/1.1\r\nHost: a\r\nX-Forwarded-For: 198.51.100.7\r\n"
	    "X-Forwarded-Proto: https\r\n\r\n",
	    0, &r);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.head, "\r\nX-Forwarded-For: 198.51.100.7, 127.0.0.1\r\n"));
	assert_non_null(strstr(r.head, "\r\nX-Forwarded-Proto: https\r\n"));
	/* untrusted: stripped, the peer only */
	run(&e, 0, "203.0.113.5",
	    "GET / HTTP/1.1\r\nHost: a\r\nX-Forwarded-For: 198.51.100.7\r\n"
	    "X-Forwarded-Proto: https\r\nX-Real-IP: 1.1.1.1\r\n\r\n",
	    0, &r);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.head, "\r\nX-Forwarded-For: 203.0.113.5\r\n"));
	assert_null(strstr(r.head, "198.51.100.7"));
	assert_null(strstr(r.head, "1.1.1.1"));
	assert_non_null(strstr(r.head, "\r\nX-Forwarded-Proto: http\r\n"));
	/* StripForwarded 0 on the second listener: kept from anyone, but not believed */
	run(&e, 1, "203.0.113.5",
	    "GET / HTTP/1.1\r\nHost: a\r\nX-Forwarded-For: 198.51.100.7\r\n\r\n", 0, &r);
	assert_non_null(strstr(r.head, "\r\nX-Forwarded-For: 198.51.100.7, 203.0.113.5\r\n"));
	assert_string_equal(policy_client(&r.pc), "203.0.113.5");
	env_free(&e);
}

/* ---- listener ACL gates ---------------------------------------------------------------- */

static void test_listener_gate(void **state)
{
	struct env e;
	struct res r;

	env_load(&e,
	         "ACL \"home\"\n \"198.51.100.0/24\"\n \"2001:db8:1::/48\"\nEnd\n"
	         "ListenHTTP\n Address 127.0.0.1\n Port 7080\n TrustedIP\n  \"127.0.0.1\"\n End\n"
	         " ACL \"home\"\n Not ACL\n  \"198.51.100.66\"\n End\n"
	         " Service\n  BackEnd\n   Address 127.0.0.2\n   Port 8123\n  End\n End\nEnd\n");
	run(&e, 0, "198.51.100.5", "GET / HTTP/1.1\r\nHost: a\r\n\r\n", 0, &r);
	assert_int_equal(r.status, 0);
	run(&e, 0, "2001:db8:1:5::9", "GET / HTTP/1.1\r\nHost: a\r\n\r\n", 0, &r);
	assert_int_equal(r.status, 0);
	run(&e, 0, "192.0.2.1", "GET / HTTP/1.1\r\nHost: a\r\n\r\n", 0, &r);
	assert_int_equal(r.status, 403);
	assert_string_equal(r.pc.why, "acl");
	run(&e, 0, "198.51.100.66", "GET / HTTP/1.1\r\nHost: a\r\n\r\n", 0, &r);
	assert_int_equal(r.status, 403);
	/* through the trusted proxy, the client's address decides */
	run(&e, 0, "127.0.0.1",
	    "GET / HTTP/1.1\r\nHost: a\r\nX-Forwarded-For: 198.51.100.5\r\n\r\n", 0, &r);
	assert_int_equal(r.status, 0);
	run(&e, 0, "127.0.0.1", "GET / HTTP/1.1\r\nHost: a\r\nX-Forwarded-For: 192.0.2.1\r\n\r\n",
	    0, &r);
	assert_int_equal(r.status, 403);
	env_free(&e);
}

/* ---- rate limits -------------------------------------------------------------------------- */

static void test_rate_limits(void **state)
{
	struct env e;
	struct res r;
	const char *get = "GET / HTTP/1.1\r\nHost: a\r\n\r\n";
	const char *login =
	    "POST /auth/login_flow/abc HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n";
	int ok = 0;

	env_load(&e, "ListenHTTP\n Address 127.0.0.1\n Port 7080\n RateLimit 10 1\n"
	             " Service\n  URL -beg \"/auth/login_flow\"\n  RateLimit 5 60\n"
	             "  BackEnd\n   Address 127.0.0.2\n   Port 8123\n  End\n End\n"
	             " Service\n  BackEnd\n   Address 127.0.0.2\n   Port 8123\n  End\n End\nEnd\n");
	/* 10 per second overall */
	for (int i = 0; i < 15; i++) {
		run(&e, 0, "198.51.100.1", get, 1000, &r);
		ok += r.status == 0;
	}
	assert_int_equal(ok, 10);
	assert_int_equal(r.status, 429);
	assert_string_equal(r.pc.why, "ratelimit");
	assert_int_equal(r.pc.retry_ms, 100);
	run(&e, 0, "198.51.100.2", get, 1000, &r); /* another client */
	assert_int_equal(r.status, 0);
	/* 5 per minute on the login flow, each also counted by the listener */
	ok = 0;
	for (int i = 0; i < 8; i++) {
		run(&e, 0, "198.51.100.3", login, 5000 + (uint64_t)i * 200, &r);
		ok += r.status == 0;
	}
	assert_int_equal(ok, 5);
	assert_int_equal(r.status, 429);
	assert_true(r.pc.retry_ms > 10000 && r.pc.retry_ms <= 12000);
	/* other paths are still fine for that client */
	run(&e, 0, "198.51.100.3", get, 7000, &r);
	assert_int_equal(r.status, 0);
	env_free(&e);
}

/* ---- BasicAuth ---------------------------------------------------------------------------- */

#define AUTH_CFG                                                                                   \
	"AuthFailLimit 3 60\n"                                                                     \
	"ACL \"google\"\n \"66.249.64.0/19\"\nEnd\n"                                               \
	"ListenHTTP\n Address 127.0.0.1\n Port 7080\n"                                             \
	" Service \"login-guard\"\n"                                                               \
	"  Not ACL \"google\"\n"                                                                   \
	"  Not Path -beg \"/api/google_assistant\"\n"                                              \
	"  Not BasicAuth \"@HTPASSWD@\"\n"                                                         \
	"  Error 401\n"                                                                            \
	" End\n"                                                                                   \
	" Service \"ha\"\n  BackEnd\n   Address 127.0.0.2\n   Port 8123\n  End\n End\n"            \
	"End\n"

#if PINFOLD_BASICAUTH
static void test_basic_auth(void **state)
{
	struct env e;
	struct res r;

	env_load(&e, AUTH_CFG);
	/* right credentials: forwarded, the user known, our Authorization not passed on */
	run(&e, 0, "203.0.113.5", "GET / HTTP/1.1\r\nHost: a\r\n" CRED_OK "Accept: x\r\n\r\n", 0,
	    &r);
	assert_int_equal(r.status, 0);
	assert_string_equal(r.svc->name, "ha");
	assert_string_equal(policy_user(&r.pc), "alice");
	assert_int_equal(r.pc.auth_state, PA_OK);
	assert_null(strstr(r.head, "Authorization"));
	assert_non_null(strstr(r.head, "\r\nAccept: x\r\n"));
	/* none: 401, not a failure */
	run(&e, 0, "203.0.113.5", "GET / HTTP/1.1\r\nHost: a\r\n\r\n", 0, &r);
	assert_int_equal(r.status, 401);
	assert_int_equal(r.pc.auth_state, PA_NONE);
	assert_null(policy_user(&r.pc));
	/* a bearer token (Home Assistant's own) is not an attempt at our login */
	run(&e, 0, "203.0.113.5",
	    "GET /api/states HTTP/1.1\r\nHost: a\r\nAuthorization: Bearer abc.def\r\n\r\n", 0, &r);
	assert_int_equal(r.status, 401);
	assert_int_equal(r.pc.auth_state, PA_NONE);
	/* exemptions: by path and by address, with the header untouched */
	run(&e, 0, "203.0.113.5",
	    "POST /api/google_assistant HTTP/1.1\r\nHost: a\r\nAuthorization: Bearer g\r\n"
	    "Content-Length: 0\r\n\r\n",
	    0, &r);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.head, "\r\nAuthorization: Bearer g\r\n"));
	run(&e, 0, "66.249.70.1", "GET / HTTP/1.1\r\nHost: a\r\n\r\n", 0, &r);
	assert_int_equal(r.status, 0);
	assert_null(policy_user(&r.pc));
	env_free(&e);
}
#endif

#if PINFOLD_BASICAUTH
static void test_failed_logins_limited(void **state)
{
	struct env e;
	struct res r;
	const char *bad = "GET / HTTP/1.1\r\nHost: a\r\n" CRED_BAD "\r\n";
	const char *good = "GET / HTTP/1.1\r\nHost: a\r\n" CRED_OK "\r\n";
	const char *broken = "GET / HTTP/1.1\r\nHost: a\r\nAuthorization: Basic !!!\r\n\r\n";

	env_load(&e, AUTH_CFG);
	run(&e, 0, "203.0.113.9", bad, 0, &r);
	assert_int_equal(r.status, 401);
	assert_int_equal(r.pc.auth_state, PA_FAILED);
	run(&e, 0, "203.0.113.9", broken, 0, &r); /* malformed Basic counts as a failure */
	assert_int_equal(r.status, 401);
	assert_int_equal(r.pc.auth_state, PA_FAILED);
	run(&e, 0, "203.0.113.9", bad, 0, &r);
	assert_int_equal(r.status, 401);
	/* 3 failures: now not even the right password is checked */
	run(&e, 0, "203.0.113.9", good, 1000, &r);
	assert_int_equal(r.status, 429);
	assert_int_equal(r.pc.auth_state, PA_LIMITED);
	assert_string_equal(r.pc.why, "authlimit");
	assert_int_equal(r.pc.retry_ms, 19000);
	/* other addresses are not affected; successes do not count */
	for (int i = 0; i < 10; i++) {
		run(&e, 0, "203.0.113.10", good, 1000, &r);
		assert_int_equal(r.status, 0);
	}
	/* one attempt per 20 s comes back */
	run(&e, 0, "203.0.113.9", good, 20000, &r);
	assert_int_equal(r.status, 0);
	assert_string_equal(policy_user(&r.pc), "alice");
	env_free(&e);
}
#endif

/* ---- Method, limits --------------------------------------------------------------------- */

static void test_method_condition(void **state)
{
	struct env e;
	struct res r;

	env_load(&e, "ListenHTTP\n Address 127.0.0.1\n Port 7080\n xHTTP 1\n"
	             " Service\n  Path -beg \"/api/\"\n  Not Method -re \"^(GET|POST)$\"\n"
	             "  Error 405\n End\n"
	             " Service\n  Not Path -beg \"/api/\"\n  Error 404\n End\n"
	             " Service\n  BackEnd\n   Address 127.0.0.2\n   Port 8123\n  End\n End\nEnd\n");
	run(&e, 0, "192.0.2.1", "GET /api/x HTTP/1.1\r\nHost: a\r\n\r\n", 0, &r);
	assert_int_equal(r.status, 0);
	run(&e, 0, "192.0.2.1", "DELETE /api/x HTTP/1.1\r\nHost: a\r\n\r\n", 0, &r);
	assert_int_equal(r.status, 405);
	run(&e, 0, "192.0.2.1", "GET /admin HTTP/1.1\r\nHost: a\r\n\r\n", 0, &r);
	assert_int_equal(r.status, 404);
	env_free(&e);
}

static void test_size_limits(void **state)
{
	struct env e;
	struct res r;
	char req[4096];

	env_load(&e, "ListenHTTP\n Address 127.0.0.1\n Port 7080\n MaxRequest 1000\n MaxURI 100\n"
	             " MaxHeaderSize 512\n MaxHeaders 5\n"
	             " Service\n  BackEnd\n   Address 127.0.0.2\n   Port 8123\n  End\n End\nEnd\n");
	run(&e, 0, "192.0.2.1", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1000\r\n\r\n", 0,
	    &r);
	assert_int_equal(r.status, 0);
	run(&e, 0, "192.0.2.1", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1001\r\n\r\n", 0,
	    &r);
	assert_int_equal(r.status, 413);
	assert_string_equal(r.pc.why, "limit");
	snprintf(req, sizeof(req), "GET /%0100d HTTP/1.1\r\nHost: a\r\n\r\n", 0);
	run(&e, 0, "192.0.2.1", req, 0, &r);
	assert_int_equal(r.status, 414);
	snprintf(req, sizeof(req), "GET /%099d HTTP/1.1\r\nHost: a\r\n\r\n", 0);
	run(&e, 0, "192.0.2.1", req, 0, &r);
	assert_int_equal(r.status, 0);
	run(&e, 0, "192.0.2.1", "GET / HTTP/1.1\r\nHost: a\r\nA: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\n\r\n",
	    0, &r);
	assert_int_equal(r.status, 0);
	run(&e, 0, "192.0.2.1",
	    "GET / HTTP/1.1\r\nHost: a\r\nA: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\nE: 5\r\n\r\n", 0, &r);
	assert_int_equal(r.status, 431);
	snprintf(req, sizeof(req), "GET / HTTP/1.1\r\nHost: a\r\nX: %0500d\r\n\r\n", 0);
	run(&e, 0, "192.0.2.1", req, 0, &r);
	assert_int_equal(r.status, 431);

	/* incomplete heads are refused as soon as they are past a limit */
	{
		const struct cfg_listener *l = e.cfg->listeners;
		struct http_msg m;
		char part[1024];

		memset(&m, 0, sizeof(m));
		snprintf(part, sizeof(part), "GET /%0150d", 0);
		assert_int_equal(policy_request_head(&r.pc, l, part, strlen(part), 0, &m), -414);
		snprintf(part, sizeof(part), "GET /%050d", 0);
		assert_int_equal(policy_request_head(&r.pc, l, part, strlen(part), 0, &m), 0);
		snprintf(part, sizeof(part), "GET / HTTP/1.1\r\nX: %0600d", 0);
		assert_int_equal(policy_request_head(&r.pc, l, part, strlen(part), 0, &m), -431);
		/* MaxRequest for bodies of unknown length */
		assert_int_equal(policy_body(&r.pc, l, 600), 0);
		assert_int_equal(policy_body(&r.pc, l, 400), 0);
		assert_int_equal(policy_body(&r.pc, l, 1), 413);
	}
	env_free(&e);
}

/* ---- the proxy's own replies ---------------------------------------------------------------- */

static void test_replies(void **state)
{
	struct env e;
	struct policy_conn pc;
	struct sockaddr_storage ss;
	const struct cfg_listener *l;
	int n;

	env_load(
	    &e,
	    "ListenHTTP\n Address 127.0.0.1\n Port 7080\n"
	    " Rewrite response\n  SetHeader \"Strict-Transport-Security: max-age=60\"\n End\n"
	    " Service\n  Rewrite response\n"
	    "   SetHeader \"WWW-Authenticate: Basic realm=\\\"Home\\\", charset=\\\"UTF-8\\\"\"\n"
	    "  End\n  Error 401\n End\nEnd\n");
	l = e.cfg->listeners;
	peer_of("192.0.2.1", &ss);
	assert_int_equal(policy_conn_open(&pc, &e.conns, e.cfg, l, &ss), 0);

	/* the default challenge, and the listener's SetHeader */
	n = policy_reply(&pc, l, NULL, 401, 1, "GET / HTTP/1.1", 14, NULL, 0, out, sizeof(out));
	assert_true(n > 0);
	assert_non_null(strstr(out, "HTTP/1.1 401 Unauthorized\r\n"));
	assert_non_null(strstr(out, "\r\nWWW-Authenticate: Basic realm=\"Restricted access\"\r\n"));
	assert_non_null(strstr(out, "\r\nStrict-Transport-Security: max-age=60\r\n"));
	/* the service sets its own realm: only that one */
	n = policy_reply(&pc, l, l->services, 401, 1, NULL, 0, NULL, 0, out, sizeof(out));
	assert_true(n > 0);
	assert_non_null(
	    strstr(out, "\r\nWWW-Authenticate: Basic realm=\"Home\", charset=\"UTF-8\"\r\n"));
	assert_null(strstr(out, "Restricted access"));
	/* 429: Retry-After in whole seconds, rounded up */
	pc.retry_ms = 1001;
	n = policy_reply(&pc, l, NULL, 429, 0, NULL, 0, NULL, 0, out, sizeof(out));
	assert_true(n > 0);
	assert_non_null(strstr(out, "\r\nRetry-After: 2\r\n"));
	assert_non_null(strstr(out, "\r\nConnection: close\r\n"));
	/* the body is what Content-Length says */
	{
		const char *body = strstr(out, "\r\n\r\n") + 4;
		const char *cl = strstr(out, "Content-Length: ");

		assert_int_equal(atoi(cl + 16), (int)strlen(body));
	}
	env_free(&e);
}

static int setup(void **state)
{
	FILE *f;

	snprintf(htpasswd, sizeof(htpasswd), "/tmp/pinfold_test_policy_XXXXXX");
	{
		int fd = mkstemp(htpasswd);

		if (fd < 0)
			return -1;
		close(fd);
	}
	f = fopen(htpasswd, "w");
	if (!f)
		return -1;
	fputs("alice:" H_SECRET "\n", f);
	fclose(f);
	return 0;
}

static int teardown(void **state)
{
	return unlink(htpasswd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_trusted_client_address),
	    cmocka_unit_test(test_trusted_forwarding_headers),
	    cmocka_unit_test(test_listener_gate),
	    cmocka_unit_test(test_rate_limits),
#if PINFOLD_BASICAUTH
	    cmocka_unit_test(test_basic_auth),
#endif
#if PINFOLD_BASICAUTH
	    cmocka_unit_test(test_failed_logins_limited),
#endif
	    cmocka_unit_test(test_method_condition),
	    cmocka_unit_test(test_size_limits),
	    cmocka_unit_test(test_replies),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
