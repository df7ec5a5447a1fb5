/*
 * test_backend.c - backend choice: Priority as weight, dead and disabled skipped, Emergency,
 * per-backend MaxConnections, session pins (re-pinned when the pinned backend dies); the
 * state behind the mutators: request counters, an operator's Disabled and liveness carried
 * over a reload to the backend at the same address.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>

#include "backend.h"
#include "buildopts.h"
#include "cfgutil.h"
#include "loop.h"

#define CFG \
	"ListenHTTP\n Address 127.0.0.1\n Port 7080\nEnd\n" \
	"Service\n" \
	"  %s\n" \
	"  BackEnd\n Address 127.0.0.2\n Port 1\n Priority 1\n End\n" \
	"  BackEnd\n Address 127.0.0.2\n Port 2\n Priority 3\n End\n" \
	"  BackEnd\n Address 127.0.0.2\n Port 3\n Priority 0\n End\n" \
	"  Emergency\n Address 127.0.0.9\n Port 9\n End\n" \
	"End\n"

static struct loop lp; /* the main loop the pool's timers would run on */
static struct backends bk;
static struct config *loaded; /* bk.cfg, to free */

static const struct cfg_service *setup_text(const char *text);

static const struct cfg_service *setup_px(const char *balancer)
{
	char text[1024];

	snprintf(text, sizeof(text), CFG, balancer);
	return setup_text(text);
}

static void teardown_px(void)
{
	struct config *cfg = loaded;

	backends_free(&bk);
	timer_free(&lp.timers);
	ev_free(lp.ev);
	config_free(cfg);
}

static int port_of(const struct cfg_backend *b)
{
	const struct sockaddr_in *sin = (const struct sockaddr_in *)&b->addr;

	return ntohs(sin->sin_port);
}

static void count_picks(const struct cfg_service *svc, int *hits, int n)
{
	memset(hits, 0, sizeof(int) * 10);
	int full;

	for (int i = 0; i < n; i++) {
		const struct cfg_backend *b = backend_pick(&bk, svc, NULL, 0, &full);

		assert_non_null(b);
		hits[port_of(b)]++;
	}
}

static void test_random_weights(void **state)
{
	const struct cfg_service *svc = setup_px("");
	int hits[10];

	count_picks(svc, hits, 4000);
	assert_int_equal(hits[3], 0); /* priority 0 is never chosen while others live */
	assert_int_equal(hits[9], 0);
	/* 1:3 split, loosely */
	assert_true(hits[1] > 700 && hits[1] < 1300);
	assert_true(hits[2] > 2700 && hits[2] < 3300);
	teardown_px();
}

static void test_iwrr_exact_shares(void **state)
{
	const struct cfg_service *svc = setup_px("Balancer iwrr");
	int hits[10];

	count_picks(svc, hits, 400);
	assert_int_equal(hits[1], 100);
	assert_int_equal(hits[2], 300);
	assert_int_equal(hits[3], 0);
	teardown_px();
}

static void test_dead_then_emergency(void **state)
{
	const struct cfg_service *svc = setup_px("");
	const struct cfg_backend *b1 = svc->backends, *b2 = b1->next, *b3 = b2->next;
	int hits[10], full;

	backend_mark_down(&bk, b2, "test");
	count_picks(svc, hits, 100);
	assert_int_equal(hits[1], 100);
	backend_mark_down(&bk, b1, "test");
	count_picks(svc, hits, 10);
	assert_int_equal(hits[3], 10); /* only priority 0 left: it is used */
	backend_mark_down(&bk, b3, "test");
	count_picks(svc, hits, 10);
	assert_int_equal(hits[9], 10); /* none alive: Emergency */
	backend_mark_up(&bk, b2->id);
	count_picks(svc, hits, 10);
	assert_int_equal(hits[2], 10);
	backend_set_disabled(&bk, b2->id, 1);
	backend_mark_down(&bk, svc->emergency, "test");
	assert_null(backend_pick(&bk, svc, NULL, 0, &full));
	teardown_px();
}

#define CFG_LIMITS \
	"ListenHTTP\n Address 127.0.0.1\n Port 7080\nEnd\n" \
	"Service\n" \
	"  BackEnd\n Address 127.0.0.2\n Port 1\n MaxConnections 1\n End\n" \
	"  BackEnd\n Address 127.0.0.2\n Port 2\n MaxConnections 2\n End\n" \
	"  Emergency\n Address 127.0.0.9\n Port 9\n End\n" \
	"End\n"

static const struct cfg_service *setup_text(const char *text)
{
	struct config *cfg = cfgutil_load(text);

	assert_non_null(cfg);
	memset(&lp, 0, sizeof(lp));
	loaded = cfg;
	lp.ev = ev_new(64);
	assert_non_null(lp.ev);
	assert_int_equal(backends_init(&bk, cfg, &lp, NULL), 0);
	bk.rng = 12345; /* the same picks every run */
	return cfg->services;
}

static void test_max_connections(void **state)
{
	const struct cfg_service *svc = setup_text(CFG_LIMITS);
	const struct cfg_backend *b1 = svc->backends, *b2 = b1->next, *b;
	int full;

	assert_int_equal(b1->max_conns, 1);
	bk.be[b1->id].active = 1; /* b1 is full: every pick is b2 */
	for (int i = 0; i < 50; i++) {
		b = backend_pick(&bk, svc, NULL, 0, &full);
		assert_ptr_equal(b, b2);
	}
	bk.be[b1->id].nidle = 5; /* idle pooled connections do not count */
	bk.be[b2->id].active = 2;
	assert_null(backend_pick(&bk, svc, NULL, 0, &full));
	assert_int_equal(full, 1); /* alive but full: no Emergency, a 503 with Retry-After */
	bk.be[b2->id].active = 1;
	assert_ptr_equal(backend_pick(&bk, svc, NULL, 0, &full), b2);
	assert_int_equal(full, 0);
	backend_mark_down(&bk, b1, "test");
	backend_mark_down(&bk, b2, "test");
	assert_ptr_equal(backend_pick(&bk, svc, NULL, 0, &full), svc->emergency);
	bk.be[b1->id].nidle = 0;
	teardown_px();
}

#if PINFOLD_SESSION
static void test_session_pins(void **state)
{
	const struct cfg_service *svc;
	const struct cfg_backend *first, *b, *other;
	int full;

	svc = setup_px("Session\n Type IP\n TTL 60\n End");
	assert_non_null(svc->session);
	assert_non_null(bk.sessions);
	first = backend_pick(&bk, svc, "10.0.0.1", 8, &full);
	assert_non_null(first);
	for (int i = 0; i < 100; i++)
		assert_ptr_equal(backend_pick(&bk, svc, "10.0.0.1", 8, &full), first);
	/* the pinned backend dies: another is chosen and the key re-pinned to it */
	backend_mark_down(&bk, first, "test");
	other = backend_pick(&bk, svc, "10.0.0.1", 8, &full);
	assert_non_null(other);
	assert_ptr_not_equal(other, first);
	backend_mark_up(&bk, first->id);
	for (int i = 0; i < 50; i++)
		assert_ptr_equal(backend_pick(&bk, svc, "10.0.0.1", 8, &full), other);
	/* a response can pin a key (COOKIE, HEADER) */
	backend_pin(&bk, svc, "k", 1, svc->backends);
	assert_ptr_equal(backend_pick(&bk, svc, "k", 1, &full), svc->backends);
	/* the TTL runs out: the pin is gone, the balancer decides (and pins anew) */
	lp.now += 61 * 1000;
	b = backend_pick(&bk, svc, "k", 1, &full);
	assert_non_null(b);
	/* the Emergency backend is never pinned */
	backend_pin(&bk, svc, "e", 1, svc->emergency);
	assert_ptr_not_equal(backend_pick(&bk, svc, "e", 1, &full), svc->emergency);
	teardown_px();
}
#endif

/* The counters pinfoldctl shows move only through backend_conn_begin/end. */
static void test_counters(void **state)
{
	const struct cfg_service *svc = setup_px("");
	const struct cfg_backend *b1 = svc->backends;

	backend_conn_begin(&bk, b1);
	backend_conn_begin(&bk, b1);
	backend_conn_end(&bk, b1);
	assert_int_equal(bk.be[b1->id].active, 1);
	assert_int_equal(bk.be[b1->id].requests, 2);
	teardown_px();
}

/* A reload: what we knew of a backend follows its address, an operator's Disabled too. */
static void test_carry(void **state)
{
	const struct cfg_service *svc = setup_px("");
	const struct cfg_backend *b1 = svc->backends, *b2 = b1->next;
	char text[1024];
	struct config *tocfg;
	struct backends to;

	backend_mark_down(&bk, b1, "test");
	backend_set_disabled(&bk, b2->id, 1);
	/* the new config lists them in another order: ids differ, addresses match */
	snprintf(text, sizeof(text), "%s",
	         "ListenHTTP\n Address 127.0.0.1\n Port 7080\nEnd\n"
	         "Service\n"
	         "  BackEnd\n Address 127.0.0.2\n Port 3\n End\n"
	         "  BackEnd\n Address 127.0.0.2\n Port 2\n End\n"
	         "  BackEnd\n Address 127.0.0.2\n Port 1\n End\n"
	         "End\n");
	tocfg = cfgutil_load(text);
	assert_non_null(tocfg);
	assert_int_equal(backends_init(&to, tocfg, &lp, NULL), 0);
	backends_carry(&to, &bk);
	{
		const struct cfg_backend *n3 = to.cfg->services->backends, *n2 = n3->next,
		                         *n1 = n2->next;

		assert_int_equal(to.be[n1->id].alive, 0);    /* was dead */
		assert_int_equal(to.be[n2->id].disabled, 1); /* pinfoldctl disable outlives it */
		assert_int_equal(to.be[n2->id].ctl_set, 1);
		assert_int_equal(to.be[n3->id].alive, 1);
		assert_int_equal(to.be[n3->id].disabled, 0);
	}
	backends_free(&to);
	config_free(tocfg);
	teardown_px();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_random_weights),
		cmocka_unit_test(test_iwrr_exact_shares),
		cmocka_unit_test(test_max_connections),
#if PINFOLD_SESSION
		cmocka_unit_test(test_session_pins),
#endif
		cmocka_unit_test(test_dead_then_emergency),
		cmocka_unit_test(test_counters),
		cmocka_unit_test(test_carry),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
