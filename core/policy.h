/*
 * policy.h - what a request may do before it is routed or forwarded.
 *
 * Header filtering: the listener's method class (xHTTP), and which request
 * headers are dropped (hop-by-hop, spoofable client-identity headers unless
 * the peer is a TrustedIP proxy, HeadRemove/DeleteHeader, the Authorization
 * the proxy consumed).  Decisions only: core/rewrite.c writes the result.
 *
 * Access controls: the real client address (TrustedIP and
 * X-Forwarded-For), listener ACL gates, rate limits, BasicAuth, size limits,
 * connection caps; the proxy's own error replies with the headers they need
 * (WWW-Authenticate, Retry-After, Rewrite response); and the "refused" log
 * line for fail2ban.  core/conn.c calls in at fixed points along a request's
 * path; the state a connection needs lives in its struct policy_conn.
 */
#ifndef PINFOLD_POLICY_H
#define PINFOLD_POLICY_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "acl.h"
#include "auth.h"
#include "config.h"
#include "http.h"
#include "route.h"

struct connlimit;
struct policy_state;
struct policy_state;

/* Where a BasicAuth check of the current request ended. */
enum policy_auth {
	PA_NONE,    /* no Basic credentials were sent (or another scheme) */
	PA_OK,      /* valid: `user` is set */
	PA_FAILED,  /* wrong user or password, or malformed Basic credentials */
	PA_LIMITED, /* too many failures from this address: not even checked */
};

#define POLICY_REQLINE 160 /* request line kept for the refused line (cut with "...") */

/* Per client connection; embedded in struct conn. */
struct policy_conn {
	struct policy_state *ps; /* the generation's runtime state */
	struct acl_addr peer;    /* the TCP peer */
	struct acl_addr client;  /* the real client: the peer, or from X-Forwarded-For */
	char peer_text[ACL_ADDRSTRLEN];
	char client_text[ACL_ADDRSTRLEN];
	const char *why;              /* reason word for the refused line of the next reply */
	uint64_t now;                 /* ms, at the start of the request */
	uint64_t retry_ms;            /* a 429's Retry-After */
	uint64_t body_bytes;          /* request body bytes framed so far */
	char user[AUTH_MAX_USER + 1]; /* BasicAuth user of this request, "" if none */
	char reqline[POLICY_REQLINE];
	int8_t strip;          /* forwarding headers: 1 strip, 0 keep, -1 the listener's rule */
	int8_t auth_memo;      /* result of the last BasicAuth check, -1 none */
	uint8_t auth_state;    /* enum policy_auth */
	uint8_t auth_consumed; /* the proxy checked the Authorization header: drop it */
	uint8_t counted;       /* counted in the per-address connection table */
	unsigned auth_memo_id;
};

/* ---- header filtering ------------------------------------------------------------ */

/* 0 when the method is allowed on this listener, else the status to answer (501). */
int policy_method(const struct cfg_listener *l, const struct http_msg *m);

/* Mark hop-by-hop headers and those named by Connection with HF_DROP. */
void policy_drop_hop_by_hop(const char *buf, struct http_msg *m);

/*
 * Mark every request header that must not reach the backend: hop-by-hop,
 * the spoofable X-Forwarded-* family (unless the peer is trusted, or the
 * listener says StripForwarded 0), the listener's and the service's
 * HeadRemove patterns, headers replaced by SetHeader/AddHeader, and an
 * Authorization header the proxy consumed (BasicAuth).  Upgrade is kept for
 * an upgrade request.  rq->ext, when set, is the request's policy_conn.
 */
void policy_filter_request(const struct cfg_listener *l, const struct cfg_service *svc,
                           struct route_req *rq, struct http_msg *m);

/* Is this one of the headers a client can use to claim another identity? */
int policy_is_spoofable(int hdr_id);

/* ---- runtime state ------------------------------------------------------------------ */

/*
 * Build a generation's state into *out: the rate-limit table and the BasicAuth
 * password files, read now (through `jail` once chrooted, as the TLS files
 * are).  `old` is the state of the generation being replaced, or NULL.  0, or
 * -1 (logged at the config line that names the file; *out is freed with
 * policy_state_free() either way).
 */
int policy_state_new(struct policy_state **out, const struct config *cfg,
                     const struct policy_state *old, const char *jail);
void policy_state_free(struct policy_state *ps);
/* For -c: read every password file; returns the number that failed (each logged). */
int policy_check_files(const struct config *cfg);
/* The proxy-wide per-address connection table (at exit); *table is NULL after. */
void policy_conns_free(struct connlimit **table);

/* ---- per connection and per request -------------------------------------------------- */

/*
 * A new client connection: note its address, count it against MaxConnsPerIP.
 * 0, or -1 when the address is at its cap (logged as refused; close the socket).
 */
int policy_conn_open(struct policy_conn *pc, struct connlimit **table, const struct config *cfg,
                     const struct cfg_listener *l, const struct sockaddr_storage *peer);
void policy_conn_close(struct policy_conn *pc, struct connlimit *table);

/*
 * Every parse attempt of a request head: forget the previous request, then
 * apply the listener's MaxURI, MaxHeaderSize and MaxHeaders to what the parser
 * said (rc: head length, 0 incomplete, or -status).  Returns rc, or -414/-431.
 */
int policy_request_head(struct policy_conn *pc, const struct cfg_listener *l, const char *buf,
                        size_t len, int rc, const struct http_msg *m);

/*
 * A complete head, before routing: the real client address (TrustedIP), the
 * listener's ACL gate (403), RateLimit (429) and MaxRequest by Content-Length
 * (413).  0, or the status to answer.
 */
int policy_admit(struct policy_conn *pc, struct policy_state *ps, const struct cfg_listener *l,
                 const char *buf, const struct http_msg *m, uint64_t now);

/* Let route_find() ask about ACL, BasicAuth and Method conditions. */
void policy_route_ctx(struct policy_conn *pc, struct route_req *rq);

/* After routing: the service's RateLimit, the failed-login limit (429).  0 or a status. */
int policy_service(struct policy_conn *pc, const struct cfg_service *svc);

/* `added` more request body bytes were framed: 413 once past MaxRequest, else 0. */
int policy_body(struct policy_conn *pc, const struct cfg_listener *l, uint64_t added);

/*
 * The proxy's own error page for `status` into out (cap bytes), with
 * WWW-Authenticate for 401, Retry-After for 429 and the Rewrite response
 * SetHeaders of svc and l (either may be NULL); logs the refused line when the
 * status refuses the client's request.  `reqline` (len bytes) is the request
 * line for that line, or NULL for the one policy_request_head() kept (the
 * first POLICY_REQLINE bytes of the head).  `page` (page_len bytes) is the
 * listener's ErrorFile body for status, or NULL for the built-in one.  Returns
 * the length, or -1 when it does not fit.
 */
int policy_reply(struct policy_conn *pc, const struct cfg_listener *l,
                 const struct cfg_service *svc, int status, int keep_alive, const char *reqline,
                 size_t reqline_len, const char *page, size_t page_len, char *out, size_t cap);

/* For the request's log line: the real client address, and the BasicAuth user or NULL. */
const char *policy_client(const struct policy_conn *pc);
const char *policy_user(const struct policy_conn *pc);

#endif
