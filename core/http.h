/*
 * http.h - strict HTTP/1.1 message-head parser and chunked-body scanner
 * (RFC 9112), working on the caller's buffer without allocating.
 *
 * The head parser hands back offsets into the caller's buffer, so a parsed
 * head stays valid as long as those bytes do not move.  Bodies are never
 * parsed into memory: the chunked scanner only validates framing and says
 * where the message ends, so the proxy forwards the bytes as they came.
 */
#ifndef PINFOLD_HTTP_H
#define PINFOLD_HTTP_H

#include <stddef.h>
#include <stdint.h>

#define HTTP_MAX_HEADERS 100    /* more -> 431 */
#define HTTP_MAX_HEAD    16384  /* whole head incl. request line; more -> 431 */
#define HTTP_MAX_LINE    8192   /* request line; longer -> 414 */

/* Header fields the proxy itself reasons about.  Everything else is HDR_OTHER. */
enum http_hdr_id {
	HDR_OTHER = 0,
	HDR_HOST,
	HDR_CONTENT_LENGTH,
	HDR_TRANSFER_ENCODING,
	HDR_CONNECTION,
	HDR_KEEP_ALIVE,
	HDR_TE,
	HDR_TRAILER,
	HDR_UPGRADE,
	HDR_EXPECT,
	HDR_PROXY_OTHER, /* Proxy-* (Proxy-Connection, Proxy-Authorization, ...) */
	HDR_X_FORWARDED_FOR,
	HDR_X_FORWARDED_PROTO,
	HDR_X_FORWARDED_HOST,
	HDR_X_FORWARDED_PORT,
	HDR_X_REAL_IP,
	HDR_FORWARDED,
	HDR_X_CLIENT_IP,
	HDR_TRUE_CLIENT_IP,
	HDR_SPOOF_OTHER, /* other X-Forwarded-* and client-address fields of other proxies */
	HDR__COUNT
};

/* flags on a header */
#define HF_DROP 0x01 /* do not forward (set by the proxy's edits) */

/* One header field; offsets/lengths are into the parsed buffer. */
struct http_hdr {
	uint16_t name_off, name_len;
	uint16_t value_off, value_len; /* value with leading/trailing OWS trimmed */
	uint16_t line_off, line_len;   /* the whole line without CRLF */
	uint8_t id;                    /* enum http_hdr_id */
	uint8_t flags;
};

enum http_body {
	BODY_NONE,    /* no body (or Content-Length: 0) */
	BODY_LENGTH,  /* content_length bytes */
	BODY_CHUNKED, /* chunked, ends with the last chunk + trailers */
	BODY_CLOSE,   /* response only: until the server closes */
};

/* Request methods by Pound's xHTTP classes; the class a method needs is http_method_class(). */
enum http_method {
	M_UNKNOWN = 0,
	M_GET, M_POST, M_HEAD,                                   /* xHTTP 0 */
	M_PUT, M_PATCH, M_DELETE,                                /* xHTTP 1 */
	M_LOCK, M_UNLOCK, M_PROPFIND, M_PROPPATCH, M_SEARCH,     /* xHTTP 2 */
	M_MKCOL, M_MOVE, M_COPY, M_OPTIONS, M_TRACE, M_MKACTIVITY,
	M_CHECKOUT, M_MERGE, M_REPORT,
	M_SUBSCRIBE, M_UNSUBSCRIBE, M_NOTIFY, M_BPROPFIND,       /* xHTTP 3 */
	M_BPROPPATCH, M_POLL, M_BMOVE, M_BCOPY, M_BDELETE, M_CONNECT,
	M_RPC_IN_DATA, M_RPC_OUT_DATA,                           /* xHTTP 4 */
	M__COUNT
};

/* A valid host[:port] normalized: a 255-byte name, ':', 5 digits. */
#define HTTP_HOST_MAX 264

struct http_msg {
	/* request line (requests) */
	uint8_t method;              /* enum http_method */
	uint16_t method_off, method_len;
	uint16_t target_off, target_len;   /* origin-form or absolute-form as sent */
	uint16_t path_len;                 /* bytes of target before '?' */
	/* status line (responses) */
	uint16_t status;
	uint16_t reason_off, reason_len;
	/* both */
	uint8_t version_minor;       /* HTTP/1.<minor>: 0 or 1 */
	uint16_t head_len;           /* bytes of the whole head incl. the final CRLF CRLF */
	uint16_t nhdr;
	int16_t host_idx;            /* index of the Host header or -1 */
	uint16_t host_len;           /* host[]: http_msg_host_normalize(), 0 = no Host */
	uint16_t hostname_len;       /* of host[], the part before ":port" */
	char host[HTTP_HOST_MAX];
	enum http_body body;
	uint64_t content_length;     /* for BODY_LENGTH */
	unsigned keep_alive : 1;     /* the sender allows the connection to persist */
	unsigned expect_continue : 1;/* request: Expect: 100-continue */
	unsigned upgrade : 1;        /* Connection: upgrade + Upgrade present */
	struct http_hdr hdr[HTTP_MAX_HEADERS];
};

/*
 * Parse a request head at the start of buf[0..len).
 * Returns the head length (> 0) when complete and valid, 0 when more bytes
 * are needed, or a negative HTTP status to answer with when it is invalid:
 * -400 malformed or ambiguous framing, -414 request line too long,
 * -431 head too large or too many fields, -501 unknown transfer coding,
 * -505 unsupported version.
 * Framing rules (RFC 9112 section 6): Transfer-Encoding must end in chunked
 * and may not appear with Content-Length; duplicate differing Content-Length
 * is an error; HTTP/1.1 needs exactly one Host.
 */
int http_parse_request(const char *buf, size_t len, struct http_msg *m);

/*
 * Parse a response head.  `req_method` is the method of the request it
 * answers (HEAD and CONNECT change the framing); 1xx, 204 and 304 carry no
 * body; no length and no chunked means BODY_CLOSE.
 * Returns as http_parse_request(); any error is -502 for the caller.
 */
int http_parse_response(const char *buf, size_t len, int req_method, struct http_msg *m);

/*
 * One meaning for Host: fill m->host from the parsed request's Host field,
 * lower case, one final dot of the name dropped, the port dropped when it is
 * `default_port` (the listener's scheme).  Everything that looks at the host
 * (Host and HeadRequire "Host:" conditions, sessions, logs, the forwarded
 * Host field) sees this form.  The field was validated by the parser.
 */
void http_msg_host_normalize(struct http_msg *m, const char *buf, unsigned default_port);
/* The same for one host[:port] text; the normalized length (< HTTP_HOST_MAX). */
size_t http_host_normalize(const char *s, size_t n, unsigned default_port, char *out,
			   size_t *name_len);

/* Streaming validator for a chunked body (and its trailer section). */
struct http_chunked {
	uint8_t state;
	uint8_t digits;       /* hex digits seen in the size */
	uint64_t remaining;   /* data bytes left in the current chunk */
	uint32_t line_len;    /* length of the current size/trailer line, bounded */
};

void http_chunked_init(struct http_chunked *c);

/*
 * Feed buf[0..len).  Sets *used to the bytes that belong to this body
 * (they are forwarded as they are).  Returns 1 when the body ended within
 * those bytes, 0 when more is needed (then *used == len), -1 on a framing
 * error (bad size, overflow, missing CRLF, bad trailer).
 */
int http_chunked_feed(struct http_chunked *c, const char *buf, size_t len, size_t *used);

/*
 * The same, but the trailer fields are cut out of buf on the way (the body
 * itself and the CRLF ending the trailer section stay): *used bytes of
 * body are left at buf[0], followed by the rest of buf moved down by
 * *dropped bytes.  A backend that merges trailers into the header fields
 * would otherwise take an X-Forwarded-For or a Host from there.
 */
int http_chunked_feed_drop(struct http_chunked *c, char *buf, size_t len, size_t *used,
			   size_t *dropped);

/* Method helpers. */
int http_method_class(int method);          /* minimal xHTTP level that allows it */
const char *http_method_name(int method);

/* Case-insensitive compare of a header's name / value (buf is the parsed buffer). */
int http_hdr_name_is(const char *buf, const struct http_hdr *h, const char *name);

/* The first header of m named `name` (a NUL-terminated token), or NULL. */
const struct http_hdr *http_hdr_find(const char *buf, const struct http_msg *m, const char *name);

/*
 * Does the comma-separated list in the value contain `token` (case-insensitive)?
 * Used for Connection: close / upgrade and Transfer-Encoding.
 */
int http_hdr_has_token(const char *buf, const struct http_hdr *h, const char *token);

/* tchar (RFC 9110 section 5.6.2): a byte a method, field name or token may hold. */
int http_is_tchar(unsigned char c);

/* Reason phrase for a status code ("Not Found"), "" if unknown. */
const char *http_reason(int status);

#endif
