/*
 * check_http.h - the HTTP health check (HealthCheck "GET /path" 200): one
 * request per Alive tick on a non-blocking connection of the main loop,
 * through the TLS shim for an HTTPS backend, judged by its status line.
 * core/health.c decides when to run it and what the result means.
 */
#ifndef PINFOLD_CHECK_HTTP_H
#define PINFOLD_CHECK_HTTP_H

#include "buildopts.h"
#include "proxy.h"

#if PINFOLD_HEALTHCHECK
/*
 * Start the check of st's backend (it has a HealthCheck).  The result comes
 * through health_result(), possibly before this returns.
 */
void check_http_start(struct loop *lp, struct be_state *st);

/* Abandon a check in flight (no result).  Harmless when none is. */
void check_http_stop(struct be_state *st);

/* Build the request for the backend into out; its length, or -1 when it does not fit. */
int check_http_request(const struct cfg_backend *b, char *out, size_t cap);

/*
 * Judge the bytes received so far (len of them): 1 passed, 0 failed (why
 * says how, e.g. "health check got 500"), -1 need more.
 */
int check_http_verdict(const struct cfg_backend *b, const char *data, size_t len, char *why,
                       size_t whylen);
#else
/* Built without it (PINFOLD_HEALTHCHECK=OFF): the parser refuses HealthCheck. */
static inline void check_http_start(struct loop *lp, struct be_state *st)
{
}
static inline void check_http_stop(struct be_state *st)
{
}
#endif

#endif
