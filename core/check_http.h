/*
 * check_http.h - the HTTP health check (HealthCheck "GET /path" 200): one
 * request per Alive tick on a non-blocking connection of the main loop,
 * through the TLS shim for an HTTPS backend, judged by its status line.
 * core/health.c decides when to run it and what the result means; this module
 * knows nothing of its state.
 */
#ifndef PINFOLD_CHECK_HTTP_H
#define PINFOLD_CHECK_HTTP_H

#include <stddef.h>

#include "buildopts.h"
#include "config.h"
#include "loop.h"
#include "tls.h"

struct hc_probe;

/* How a check ended: ok, or why it failed ("health check got 500"). */
typedef void (*check_http_done)(void *arg, int ok, const char *why);

#if PINFOLD_HEALTHCHECK
/*
 * Start the check of backend b (it has a HealthCheck; tls is its client
 * context for HTTPS, else NULL) on loop lp.  *hp holds the check while it is
 * in flight and is NULL again when it ends; `done` gets the result, possibly
 * before this returns, after *hp was cleared.
 */
void check_http_start(struct hc_probe **hp, struct loop *lp, const struct cfg_backend *b,
                      struct tls_ctx *tls, check_http_done done, void *arg);

/* Abandon the check in *hp (no result).  Harmless when none is. */
void check_http_stop(struct hc_probe **hp);

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
static inline void check_http_start(struct hc_probe **hp, struct loop *lp,
                                    const struct cfg_backend *b, struct tls_ctx *tls,
                                    check_http_done done, void *arg)
{
}
static inline void check_http_stop(struct hc_probe **hp)
{
}
#endif

#endif
