/*
 * log.h - daemon messages and one line per request, in Pound's LogLevel
 * formats.  Lines go to platform/syslogsink (syslog or stderr).
 */
#ifndef PINFOLD_LOG_H
#define PINFOLD_LOG_H

#include <stddef.h>
#include <stdint.h>
#include <syslog.h>

/* Open the sink.  to_stderr: -e; verbose: -v also shows LOG_DEBUG messages. */
void log_init(int to_stderr, int facility, int verbose);

/* A daemon message ("listening on 127.0.0.1:7080", "backend 127.0.0.2:8123 is dead"). */
void log_msg(int prio, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Text of one request for its log line; lengths because nothing is NUL-terminated. */
struct log_req {
	const char *client;           /* peer address, no port */
	const char *reqline;          /* "GET /x HTTP/1.1" */
	size_t reqline_len;
	const char *host;             /* Host header value or NULL */
	size_t host_len;
	const char *referer;          /* or NULL */
	size_t referer_len;
	const char *user_agent;       /* or NULL */
	size_t user_agent_len;
	const char *user;             /* authenticated user or NULL */
	const char *listener;         /* "127.0.0.1:7443" */
	const char *service;          /* service name or NULL */
	const char *backend;          /* backend address text, "(redirect)", "(error)" or NULL */
	int status;                   /* status sent to the client */
	uint64_t bytes;               /* response body bytes sent to the client */
	uint64_t usec;                /* from first byte of the request to end of response */
};

/*
 * Pound's levels: 0 none, 1 regular, 2 extended (+ service, backend, time),
 * 3 vhost_combined, 4 combined, 5 detailed (vhost_combined + service, backend, time).
 */
void log_request(int level, const struct log_req *r);

/* Format the line into buf (no newline) without emitting it; returns its length. For tests. */
size_t log_format_request(int level, const struct log_req *r, char *buf, size_t len);

/*
 * The line fail2ban reads, one per request the proxy refused (whatever the
 * LogLevel), at LOG_NOTICE:
 *     refused CLIENT "REQUEST LINE" STATUS REASON
 * CLIENT is the address decisions were made on (see TrustedIP); REQUEST LINE
 * is escaped like the access log's ("-" if none arrived); STATUS is the status
 * answered, or "-" when the connection was closed without an answer; REASON
 * is one word: acl auth noauth authlimit ratelimit connlimit filter method
 * limit timeout badrequest forbidden refused.  configs/fail2ban/ matches it.
 */
void log_refused(const char *client, const char *reqline, size_t reqline_len, int status,
		 const char *reason);
size_t log_format_refused(const char *client, const char *reqline, size_t reqline_len, int status,
			  const char *reason, char *buf, size_t len);

/*
 * The line for an exchange pinfold ended before its natural end (a timeout,
 * a limit, an error, a shutdown), whatever the LogLevel, at LOG_WARNING:
 *     cut CLIENT "REQUEST LINE" WHY status=S backend=B to_client=N from_client=N secs=T
 * WHY names the timeout directive that fired (TimeOut StreamTimeOut WSTimeOut
 * Client ConnTO Grace) or one word (backend-closed backend-error bad-framing
 * limit client-error shutdown).  to_client counts response bytes sent to the
 * client (tunnel: backend to client), from_client body bytes passed on from it;
 * secs counts from the request's first byte.  Fields come from r: client,
 * reqline, backend, status (0: none answered), bytes, usec.
 */
void log_cut(const struct log_req *r, const char *why, uint64_t from_client);
size_t log_format_cut(const struct log_req *r, const char *why, uint64_t from_client, char *buf,
		      size_t len);

#endif
