/*
 * backend.h - choosing a backend for a service and keeping idle keep-alive
 * connections to backends for reuse.
 */
#ifndef PINFOLD_BACKEND_H
#define PINFOLD_BACKEND_H

#include "config.h"
#include "proxy.h"
#include "tls.h"

int backends_init(struct proxy *px);
void backends_free(struct proxy *px);

/*
 * Pick an alive, enabled backend of the service by its balancer (Priority is
 * the weight); when none is alive, the Emergency backend; else NULL.
 */
const struct cfg_backend *backend_pick(struct proxy *px, const struct cfg_service *svc);

/* A connect to it failed or timed out: mark it dead (logged once). */
void backend_failed(struct proxy *px, const struct cfg_backend *be, const char *why);
void backend_revived(struct proxy *px, unsigned id);

/*
 * An idle kept-alive connection to this backend, or -1.  Checks it is still
 * open.  *tls receives its TLS session (NULL for plain HTTP).
 */
int backend_pool_get(struct proxy *px, unsigned id, struct tls_conn **tls);
/* Keep fd (and its TLS session) for reuse, or close it when the pool is full or we stop. */
void backend_pool_put(struct proxy *px, unsigned id, int fd, struct tls_conn *tls);

#endif
