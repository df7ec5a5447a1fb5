/* test_control.c - the Control protocol's pure parts: request lines, backend names, the list. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "cfgutil.h"
#include "control.h"
#include "backend.h"
#include "health.h"

/* Two listeners (the second with no services), global services, an Emergency, a shared address. */
#define CFG                                                                                        \
	"ListenHTTP \"web\"\n Address 127.0.0.1\n Port 7080\n"                                     \
	" Service \"api\"\n  URL \"^/api\"\n"                                                      \
	"  BackEnd\n   Address 127.0.0.2\n   Port 9001\n  End\n"                                   \
	"  BackEnd\n   Address 127.0.0.2\n   Port 9002\n   Priority 2\n  End\n"                    \
	"  Emergency\n   Address 127.0.0.9\n   Port 9009\n  End\n"                                 \
	" End\n"                                                                                   \
	" Service\n  Redirect \"https://example.invalid/\"\n End\n"                                \
	"End\n"                                                                                    \
	"ListenHTTP\n Address 127.0.0.1\n Port 7081\nEnd\n"                                        \
	"Service \"q\\\"uote\"\n"                                                                  \
	"  BackEnd\n   Address 127.0.0.2\n   Port 9001\n  End\n"                                   \
	"End\n"

static void parse_ok(const char *line, enum ctl_cmd cmd, int json, const char *arg)
{
	struct ctl_req rq;
	char err[256] = "";

	assert_int_equal(control_parse_request(line, strlen(line), &rq, err, sizeof(err)), 0);
	assert_int_equal(rq.cmd, cmd);
	assert_int_equal(rq.json, json);
	assert_string_equal(rq.arg, arg);
}

static void parse_bad(const char *line, size_t len, const char *want)
{
	struct ctl_req rq;
	char err[256] = "";

	assert_int_equal(control_parse_request(line, len, &rq, err, sizeof(err)), -1);
	if (!strstr(err, want))
		fail_msg("\"%s\" not in \"%s\"", want, err);
}

static void test_parse_request(void **state)
{
	char big[CTL_MAX_REQUEST + 10];

	parse_ok("list", CTL_LIST, 0, "");
	parse_ok("json list", CTL_LIST, 1, "");
	parse_ok("  list\r", CTL_LIST, 0, "");
	parse_ok("disable 0/0/1", CTL_DISABLE, 0, "0/0/1");
	parse_ok("json\tenable   127.0.0.2:9001", CTL_ENABLE, 1, "127.0.0.2:9001");
	parse_ok("check", CTL_CHECK, 0, "");
	parse_ok("check -/0/0", CTL_CHECK, 0, "-/0/0");
	parse_bad("", 0, "empty request");
	parse_bad("json", 4, "empty request");
	parse_bad("frob", 4, "unknown command \"frob\"");
	parse_bad("list 1", 6, "list takes no argument");
	parse_bad("disable", 7, "disable takes one backend");
	parse_bad("enable a b", 10, "enable takes one backend");
	parse_bad("check a b", 9, "check takes at most one backend");
	parse_bad("a b c d e", 9, "too many words");
	parse_bad("li\0st", 5, "not a line of printable text");
	parse_bad("list\x1b[2J", 8, "not a line of printable text");
	parse_bad("list \xc3\xa9", 7, "not a line of printable text");
	memset(big, 'a', sizeof(big));
	parse_bad(big, sizeof(big), "request too long");
}

static void find_ok(const struct config *cfg, const char *spec, int n, unsigned id0)
{
	unsigned ids[8];
	char err[256] = "";
	int got = control_find_backends(cfg, spec, ids, 8, err, sizeof(err));

	if (got != n)
		fail_msg("%s: %d backends, want %d (%s)", spec, got, n, err);
	assert_int_equal(ids[0], id0);
}

static void find_bad(const struct config *cfg, const char *spec, const char *want)
{
	unsigned ids[8];
	char err[256] = "";

	assert_int_equal(control_find_backends(cfg, spec, ids, 8, err, sizeof(err)), -1);
	if (!strstr(err, want))
		fail_msg("%s: \"%s\" not in \"%s\"", spec, want, err);
}

static void test_find_backends(void **state)
{
	struct config *cfg = cfgutil_load(CFG);
	unsigned ids[8];
	char err[256], path[32];

	assert_non_null(cfg);
	find_ok(cfg, "0/0/0", 1, 0);
	find_ok(cfg, "0/0/1", 1, 1);
	find_ok(cfg, "0/0/2", 1, 2); /* the Emergency comes after the regular ones */
	assert_true(cfg->backend_by_id[2]->emergency);
	find_ok(cfg, "-/0/0", 1, 3);
	find_ok(cfg, "127.0.0.2:9002", 1, 1);
	find_ok(cfg, "127.0.0.2:9001", 2, 0); /* every backend at that address */
	assert_int_equal(control_find_backends(cfg, "127.0.0.2:9001", ids, 8, err, sizeof(err)), 2);
	assert_int_equal(ids[1], 3);
	find_bad(cfg, "0/0/3", "no backend 3");
	find_bad(cfg, "0/1/0", "no backend 0"); /* a Redirect service has none */
	find_bad(cfg, "0/2/0", "no service 2");
	find_bad(cfg, "1/0/0", "no service 0");
	find_bad(cfg, "2/0/0", "no listener 2 (there are 2)");
	find_bad(cfg, "-/1/0", "no service 1 in the global services");
	find_bad(cfg, "0/0", "expected a backend as LISTENER/SERVICE/BACKEND");
	find_bad(cfg, "0/0/0/0", "expected a backend");
	find_bad(cfg, "a/0/0", "expected a backend");
	find_bad(cfg, "0/+1/0", "expected a backend");
	find_bad(cfg, "0//0", "expected a backend");
	find_bad(cfg, "--/0/0", "expected a backend");
	find_bad(cfg, "127.0.0.2:1", "no backend has the address \"127.0.0.2:1\"");
	find_bad(cfg, "web", "write it as ADDRESS:PORT");
	find_bad(cfg, "", "which backend?");
	/* the names list shows are the names find takes */
	for (unsigned id = 0; id < cfg->nbackends; id++)
		find_ok(cfg, control_backend_path(cfg, id, path, sizeof(path)), 1, id);
	assert_string_equal(control_backend_path(cfg, 3, path, sizeof(path)), "-/0/0");
	config_free(cfg);
}

/* Column of `word` in the first line of `text` that starts with `line_start`. */
static long column_of(const char *text, const char *line_start, const char *word)
{
	const char *l = strstr(text, line_start), *w, *eol;

	assert_non_null(l);
	eol = strchr(l, '\n');
	w = strstr(l, word);
	assert_non_null(w);
	assert_true(w < eol);
	return w - l;
}

static void test_list(void **state)
{
	struct config *cfg = cfgutil_load(CFG);
	struct gen g;
	struct hc_state *hs;
	struct ctl_out o = {0};

	assert_non_null(cfg);
	memset(&g, 0, sizeof(g));
	g.cfg = cfg;
	g.bk.be = calloc(cfg->nbackends, sizeof(*g.bk.be));
	g.lis = calloc(cfg->nlisteners, sizeof(*g.lis));
	g.svc_requests = calloc(cfg->nservices, sizeof(*g.svc_requests));
	assert_non_null(g.bk.be);
	for (unsigned i = 0; i < cfg->nbackends; i++)
		g.bk.be[i].alive = 1;
	g.bk.be[1].alive = 0;
	g.bk.be[1].disabled = 1;
	g.bk.be[1].requests = 12345678901ull;
	g.bk.be[0].active = 7;
	hs = calloc(cfg->nbackends, sizeof(*hs));
	assert_non_null(hs);
	hs[2].probing = 1; /* health.c's state: a probe of backend 2 is in flight */
	g.lis[0].requests = 42;
	g.lis[0].conns = 3;
	g.svc_requests[cfg->listeners->services->id] = 40;

	control_list(&g, hs, 99, 61, 3, 0, &o);
	assert_false(o.oom);
	assert_non_null(strstr(o.p, "pid 99, up 61 s, 3 client connection(s)\n"));
	/* columns line up: each value starts where its header does */
	assert_int_equal(column_of(o.p, "BACKEND ", "STATE"), column_of(o.p, "0/0/1 ", "dead"));
	assert_int_equal(column_of(o.p, "BACKEND ", "REQUESTS"),
	                 column_of(o.p, "0/0/1 ", "12345678901"));
	assert_int_equal(column_of(o.p, "BACKEND ", "ENABLED"), column_of(o.p, "0/0/1 ", "no"));
	assert_int_equal(column_of(o.p, "BACKEND ", "NOTE"),
	                 column_of(o.p, "0/0/2 ", "emergency,probing"));
	assert_int_equal(column_of(o.p, "LISTENER ", "REQUESTS"), column_of(o.p, "0 ", "42"));
	assert_int_equal(column_of(o.p, "SERVICE ", "KIND"), column_of(o.p, "0/1 ", "redirect"));
	assert_non_null(strstr(o.p, "-/0      q\"uote  backends  0\n"));
	assert_null(strstr(o.p, " \n")); /* no trailing blanks */
	ctl_out_free(&o);

	control_list(&g, hs, 99, 61, 3, 1, &o);
	assert_false(o.oom);
	assert_non_null(
	    strstr(o.p, "{\"pid\":99,\"uptime\":61,\"connections\":3,\"listeners\":[{"));
	assert_non_null(strstr(o.p, "\"name\":\"web\",\"address\":\"127.0.0.1:7080\","
	                            "\"protocol\":\"http\",\"connections\":3,\"requests\":42,"));
	assert_non_null(strstr(o.p, "{\"path\":\"0/0/1\",\"index\":1,\"id\":1,\"address\":"
	                            "\"127.0.0.2:9002\",\"alive\":false,\"enabled\":false,"
	                            "\"probing\":false,\"emergency\":false,\"https\":false,"
	                            "\"priority\":2,\"active\":0,\"requests\":12345678901}"));
	assert_non_null(strstr(o.p, "\"path\":\"0/0/2\",\"index\":2,\"id\":2,\"address\":"
	                            "\"127.0.0.9:9009\",\"alive\":true,\"enabled\":true,"
	                            "\"probing\":true,\"emergency\":true"));
	assert_non_null(strstr(o.p, "{\"path\":\"1\",\"index\":1,\"name\":null,"));
	assert_non_null(strstr(o.p, "\"services\":[]}]"));
	assert_non_null(strstr(o.p, "],\"services\":[{\"path\":\"-/0\",\"index\":0,"
	                            "\"name\":\"q\\\"uote\",\"kind\":\"backends\""));
	assert_string_equal(o.p + o.len - 3, "]}\n");
	ctl_out_free(&o);

	free(hs);
	free(g.bk.be);
	free(g.lis);
	free(g.svc_requests);
	config_free(cfg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parse_request),
	    cmocka_unit_test(test_find_backends),
	    cmocka_unit_test(test_list),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
