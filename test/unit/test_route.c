/* test_route.c - service selection: listener services first, then global ones. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "cfgutil.h"
#include "http.h"
#include "route.h"

static char scratch[HTTP_MAX_HEAD + 1];

static const char *CFG =
	"IgnoreCase 0\n"
	"ListenHTTP\n"
	"  Address 127.0.0.1\n"
	"  Port 7080\n"
	"  Service \"redir\"\n"
	"    HeadRequire \"Host: ha\\.example\\.com\"\n"
	"    Redirect \"https://ha.example.com\"\n"
	"  End\n"
	"End\n"
	"Service \"api\"\n"
	"  Url \"^/api/\"\n"
	"  HeadDeny \"User-Agent: .*curl\"\n"
	"  BackEnd\n Address 127.0.0.2\n Port 8123\n End\n"
	"End\n"
	"Service \"files\"\n"
	"  Host \"files.example.com\"\n"
	"  BackEnd\n Address 127.0.0.3\n Port 8080\n End\n"
	"End\n";

/* Route `req` and return the chosen service's name, or NULL. */
static const char *route(const struct config *cfg, const char *req)
{
	static struct http_msg m;
	struct route_req rq;
	const struct cfg_service *s;
	int rc = http_parse_request(req, strlen(req), &m);

	assert_true(rc > 0);
	route_req_init(&rq, req, &m, scratch);
	s = route_find(cfg, cfg->listeners, &rq);
	return s ? s->name : NULL;
}

static void test_listener_service_wins(void **state)
{
	struct config *cfg = cfgutil_load(CFG);

	assert_non_null(cfg);
	assert_string_equal(route(cfg, "GET /api/x HTTP/1.1\r\nHost: ha.example.com\r\n\r\n"),
			    "redir");
	config_free(cfg);
}

static void test_url_and_headdeny(void **state)
{
	struct config *cfg = cfgutil_load(CFG);

	assert_non_null(cfg);
	assert_string_equal(route(cfg, "GET /api/states HTTP/1.1\r\nHost: x\r\n\r\n"), "api");
	assert_null(route(cfg, "GET /api/states HTTP/1.1\r\nHost: x\r\n"
			       "User-Agent: curl/7.88\r\n\r\n"));
	assert_null(route(cfg, "GET /other HTTP/1.1\r\nHost: x\r\n\r\n"));
	config_free(cfg);
}

static void test_host_ignores_port_and_case(void **state)
{
	struct config *cfg = cfgutil_load(CFG);

	assert_non_null(cfg);
	assert_string_equal(route(cfg, "GET / HTTP/1.1\r\nHost: files.example.com:8443\r\n\r\n"),
			    "files");
	assert_string_equal(route(cfg, "GET / HTTP/1.1\r\nHost: FILES.example.COM\r\n\r\n"),
			    "files");
	assert_null(route(cfg, "GET / HTTP/1.1\r\nHost: files.example.com.evil\r\n\r\n"));
	config_free(cfg);
}

static void test_absolute_form_routes_by_path(void **state)
{
	struct config *cfg = cfgutil_load(CFG);
	static struct http_msg m;
	struct route_req rq;
	const char *req = "GET http://x/api/a?b=1 HTTP/1.1\r\nHost: x\r\n\r\n";

	assert_non_null(cfg);
	assert_true(http_parse_request(req, strlen(req), &m) > 0);
	route_req_init(&rq, req, &m, scratch);
	assert_int_equal(rq.url_len, strlen("/api/a?b=1"));
	assert_memory_equal(rq.url, "/api/a?b=1", rq.url_len);
	assert_int_equal(rq.path_len, strlen("/api/a"));
	assert_string_equal(route(cfg, req), "api");
	config_free(cfg);
}

static void test_match_types(void **state)
{
	struct cfg_cond c = {0};

	c.type = MT_PREFIX;
	c.str = "/api";
	c.len = 4;
	assert_true(route_text_matches(&c, "/api/x", 6, scratch));
	assert_false(route_text_matches(&c, "/ap", 3, scratch));
	c.type = MT_SUFFIX;
	c.str = ".png";
	c.len = 4;
	assert_true(route_text_matches(&c, "/a.png", 6, scratch));
	assert_false(route_text_matches(&c, "/a.PNG", 6, scratch));
	c.icase = 1;
	assert_true(route_text_matches(&c, "/a.PNG", 6, scratch));
	c.type = MT_CONTAIN;
	c.str = "adm";
	c.len = 3;
	assert_true(route_text_matches(&c, "/xADMy", 6, scratch));
	c.type = MT_EXACT;
	assert_false(route_text_matches(&c, "admin", 5, scratch));
	assert_true(route_text_matches(&c, "ADM", 3, scratch));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_listener_service_wins),
		cmocka_unit_test(test_url_and_headdeny),
		cmocka_unit_test(test_host_ignores_port_and_case),
		cmocka_unit_test(test_absolute_form_routes_by_path),
		cmocka_unit_test(test_match_types),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
