/*
 * test_health.c - the health checks on a real loop against real loopback sockets: a dead
 * backend that accepts is revived by the TCP probe; an HTTP HealthCheck marks a backend that
 * answers 500 dead and one that answers 200 alive again; the probing state is health.c's
 * (struct hc_state) while a check is in flight; health_stop() ends a check in flight
 * (ASan's leak check covers what it frees).  Every wait is bounded.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "backend.h"
#include "buildopts.h"
#include "cfgutil.h"
#include "clock.h"
#include "health.h"
#include "loop.h"

static struct loop lp;
static struct backends bk;
static struct config *cfg;
static int lfd = -1;            /* the backend's listening socket */
static const char *answer;      /* what the backend says to each connection, NULL: nothing */
static int accepted[16];        /* kept open until teardown: closing one with the request
                                 * unread would reset it before the answer is read */
static int naccepted;

/* A listening loopback socket; its port. */
static int listen_any(void)
{
	struct sockaddr_in a;
	socklen_t len = sizeof(a);

	lfd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(lfd >= 0);
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(lfd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(lfd, 8), 0);
	assert_int_equal(getsockname(lfd, (struct sockaddr *)&a, &len), 0);
	return ntohs(a.sin_port);
}

/* The backend, on the same loop: accept, answer at once, end its side of the stream. */
static void backend_event(void *arg, int fd, int revents)
{
	int c = accept(fd, NULL, NULL);

	if (c < 0)
		return;
	assert_true(naccepted < 16);
	accepted[naccepted++] = c;
	if (answer) {
		assert_int_equal(write(c, answer, strlen(answer)), (ssize_t)strlen(answer));
		shutdown(c, SHUT_WR);
	}
}

static void setup(const char *extra)
{
	char text[1024];
	int port = listen_any();

	/* Alive 3600: the tick never fires here; the test starts every check itself */
	snprintf(text, sizeof(text),
	         "Alive 3600\nListenHTTP\n Address 127.0.0.1\n Port 7080\nEnd\n"
	         "Service\n  BackEnd\n Address 127.0.0.1\n Port %d\n%s End\nEnd\n",
	         port, extra);
	cfg = cfgutil_load(text);
	if (!cfg)
		fail_msg("config: %s", cfgutil_diag);
	memset(&lp, 0, sizeof(lp));
	lp.ev = ev_new(64);
	assert_non_null(lp.ev);
	lp.now = clock_ms();
	assert_int_equal(backends_init(&bk, cfg, &lp, NULL), 0);
	assert_int_equal(ev_add(lp.ev, lfd, POLLIN, backend_event, NULL), 0);
}

static void teardown(void)
{
	ev_del(lp.ev, lfd);
	close(lfd);
	while (naccepted)
		close(accepted[--naccepted]);
	backends_free(&bk);
	timer_free(&lp.timers);
	pool_drain(&lp.pool);
	ev_free(lp.ev);
	config_free(cfg);
}

/* Run the loop until backend 0's health-check state says no probe is in flight (3 s at most). */
static void run_until_idle(struct health *h)
{
	uint64_t end = clock_ms() + 3000;

	while (h->st[0].probing && clock_ms() < end) {
		int t = timer_next(&lp.timers, lp.now);
		int ready = ev_poll(lp.ev, t < 0 || t > 100 ? 100 : t);

		lp.now = clock_ms();
		if (ready > 0)
			ev_dispatch(lp.ev, ready);
		timer_run(&lp.timers, lp.now);
	}
	assert_int_equal(h->st[0].probing, 0);
}

static void test_tcp_probe_revives(void **state)
{
	struct health *h;
	enum health_probe p;

	setup("");
	answer = NULL;
	backend_mark_down(&bk, cfg->backend_by_id[0], "test");
	h = health_start(&lp, &bk);
	assert_non_null(h);
	p = health_probe_now(h, 0);
	assert_true(p == HEALTH_ALIVE || p == HEALTH_PROBING);
	run_until_idle(h);
	assert_int_equal(bk.be[0].alive, 1);
	/* alive: nothing to probe, and no probe starts */
	assert_int_equal(health_probe_now(h, 0), HEALTH_ALIVE);
	assert_int_equal(h->st[0].probing, 0);
	health_stop(h);
	teardown();
}

#if PINFOLD_HEALTHCHECK
static void test_http_check_verdicts(void **state)
{
	struct health *h;

	setup(" HealthCheck \"GET /health\" 200\n");
	h = health_start(&lp, &bk);
	assert_non_null(h);
	/* 500: alive until now, dead after the check */
	answer = "HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\n\r\n";
	health_check_now(h);
	run_until_idle(h);
	assert_int_equal(bk.be[0].alive, 0);
	/* 200: alive again */
	answer = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
	health_check_now(h);
	run_until_idle(h);
	assert_int_equal(bk.be[0].alive, 1);
	/* a check in flight is abandoned by health_stop (no verdict, nothing left open) */
	answer = NULL;
	health_check_now(h);
	assert_int_equal(h->st[0].probing, 1);
	assert_non_null(h->st[0].hc);
	health_stop(h);
	assert_int_equal(bk.be[0].alive, 1);
	teardown();
}
#endif

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tcp_probe_revives),
#if PINFOLD_HEALTHCHECK
		cmocka_unit_test(test_http_check_verdicts),
#endif
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
