/*
 * rewrite.h - serialize an edited head once: the request as the backend will
 * see it, and the response as the client will see it.  Headers marked HF_DROP
 * are left out; the proxy's own headers are added.
 */
#ifndef PINFOLD_REWRITE_H
#define PINFOLD_REWRITE_H

#include <stddef.h>

#include "config.h"
#include "http.h"
#include "route.h"

struct rw_client {
	const char *addr; /* client address, no port */
	int https;        /* came in over TLS */
	int port;         /* the listener's port */
};

/*
 * Request head for the backend into out[0..cap).  Returns its length, or -1
 * when it does not fit.  Call policy_filter_request() first.
 */
int rewrite_request(const struct cfg_listener *l, const struct cfg_service *svc,
		    const struct route_req *rq, struct http_msg *m, const struct rw_client *cl,
		    char *out, size_t cap);

/*
 * Response head for the client.  keep_alive: the client connection stays
 * open after this response; client_minor: the client's HTTP/1.x minor.
 */
int rewrite_response(const char *buf, struct http_msg *m, int keep_alive, int client_minor,
		     char *out, size_t cap);

/*
 * The same, with the Rewrite response edits of a service and a listener
 * (either may be NULL), in Pound's order: the service's, then the listener's.
 * DeleteHeader drops matching lines (never the framing ones); SetHeader
 * replaces a header of that name or adds it; when both set one name, the
 * listener's value is sent.  scratch: HTTP_MAX_HEAD + 1 bytes for regexec.
 */
int rewrite_response_edit(const char *buf, struct http_msg *m, int keep_alive, int client_minor,
			  const struct cfg_listener *l, const struct cfg_service *svc,
			  char *scratch, char *out, size_t cap);

#endif
