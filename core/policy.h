/*
 * policy.h - what a request may do before it is routed or forwarded: the
 * listener's method class (xHTTP), and which request headers are dropped
 * (hop-by-hop, spoofable client-identity headers, HeadRemove/DeleteHeader).
 * Decisions only: core/rewrite.c writes the result.
 */
#ifndef PINFOLD_POLICY_H
#define PINFOLD_POLICY_H

#include "config.h"
#include "http.h"
#include "route.h"

/* 0 when the method is allowed on this listener, else the status to answer (501). */
int policy_method(const struct cfg_listener *l, const struct http_msg *m);

/* Mark hop-by-hop headers and those named by Connection with HF_DROP. */
void policy_drop_hop_by_hop(const char *buf, struct http_msg *m);

/*
 * Mark every request header that must not reach the backend: hop-by-hop,
 * the spoofable X-Forwarded-* family (unless the listener trusts them), the
 * listener's and the service's HeadRemove patterns, and headers replaced by
 * SetHeader/AddHeader.  Upgrade is kept for an upgrade request.
 */
void policy_filter_request(const struct cfg_listener *l, const struct cfg_service *svc,
			   struct route_req *rq, struct http_msg *m);

/* Is this one of the headers a client can use to claim another identity? */
int policy_is_spoofable(int hdr_id);

#endif
