/*
 * route.h - which service answers a request: the listener's own services in
 * order, then the global ones; the first whose conditions all hold wins.
 */
#ifndef PINFOLD_ROUTE_H
#define PINFOLD_ROUTE_H

#include "config.h"
#include "http.h"

/* The parts of a parsed request a condition can look at. */
struct route_req {
	const char *buf;            /* the buffer the head was parsed from */
	const struct http_msg *msg;
	const char *url;            /* origin-form target (absolute-form reduced to its path) */
	size_t url_len;
	size_t path_len;            /* bytes of url before '?' */
	char *scratch;              /* at least HTTP_MAX_HEAD + 1 bytes for regexec copies */
	/* Hook for the access controls: conditions on the client and method
	 * (ACL, BasicAuth, Method) are answered by ext_cond (core/policy.c) when set, else
	 * false.  route_req_init() clears both. */
	int (*ext_cond)(const struct cfg_cond *c, const struct route_req *rq);
	void *ext;
};

/* Fill url/path from msg (absolute-form "http://h/p?q" -> "/p?q", "*" stays). */
void route_req_init(struct route_req *rq, const char *buf, const struct http_msg *msg,
		    char *scratch);

const struct cfg_service *route_find(const struct config *cfg, const struct cfg_listener *l,
				     const struct route_req *rq);

/* Does a single condition hold?  Exposed for tests and for header removal. */
int route_cond_holds(const struct cfg_cond *c, const struct route_req *rq);

/* Does the pattern match this text (by the condition's match type)? */
int route_text_matches(const struct cfg_cond *c, const char *text, size_t len, char *scratch);

#endif
