/*
 * http.c - strict HTTP/1.1 head parser and chunked-body scanner (RFC 9112).
 *
 * A head is read in two passes.  head_scan() walks the bytes once to find
 * the blank line that ends the head, and enforces on the way everything
 * that can be judged from a prefix: CRLF-only line endings, the request-line
 * and head size limits, the field count.  Because each verdict depends only
 * on the bytes already seen, a caller that retries with a longer buffer gets
 * the same answer as one that had all the bytes at once, and an incomplete
 * head costs one linear scan.  Only a complete head gets the detailed parse
 * (request/status line, fields, framing), which can therefore walk lines
 * knowing that every CR is followed by LF.
 *
 * This file is the smuggling boundary: when a message could be framed two
 * ways, it is refused rather than guessed at.
 */
#include "http.h"

#include <stdio.h>
#include <string.h>

#define LEADING_CRLF_MAX 8    /* empty lines tolerated before a request line */
#define CHUNK_LINE_MAX   4096 /* chunk-size line including extensions */
#define HOST_MAX         255  /* a DNS name, RFC 1035 */
#define LABEL_MAX        63
#define CLASS_NONE       5 /* http_method_class() of a method no xHTTP level allows */

/* ---- character classes (ASCII only, independent of the locale) ---------- */

/*
 * One table lookup per byte: the head parser looks at every byte of every
 * head, so these are on the hot path.  The table is computed by the compiler
 * from the definitions in the macros.
 */
#define CL_TCHAR 0x01 /* tchar (RFC 9110 section 5.6.2): methods, field names, tokens */
#define CL_FIELD 0x02 /* field-content, reason-phrase, trailers: VCHAR, obs-text, SP, HTAB */
#define CL_DIGIT 0x04
#define CL_ALPHA 0x08

#define DIGIT_(c) ((c) >= '0' && (c) <= '9')
#define ALPHA_(c) (((c) >= 'a' && (c) <= 'z') || ((c) >= 'A' && (c) <= 'Z'))
#define TCHAR_(c)                                                                                  \
	(DIGIT_(c) || ALPHA_(c) || (c) == '!' || (c) == '#' || (c) == '$' || (c) == '%' ||         \
	 (c) == '&' || (c) == '\'' || (c) == '*' || (c) == '+' || (c) == '-' || (c) == '.' ||      \
	 (c) == '^' || (c) == '_' || (c) == '`' || (c) == '|' || (c) == '~')
#define FIELD_(c) ((c) == ' ' || (c) == '\t' || ((c) > 0x20 && (c) != 0x7f))
#define CL_(c)                                                                                     \
	((TCHAR_(c) ? CL_TCHAR : 0) | (FIELD_(c) ? CL_FIELD : 0) | (DIGIT_(c) ? CL_DIGIT : 0) |    \
	 (ALPHA_(c) ? CL_ALPHA : 0))
#define CL4_(c)  CL_(c), CL_((c) + 1), CL_((c) + 2), CL_((c) + 3)
#define CL16_(c) CL4_(c), CL4_((c) + 4), CL4_((c) + 8), CL4_((c) + 12)
#define CL64_(c) CL16_(c), CL16_((c) + 16), CL16_((c) + 32), CL16_((c) + 48)

static const unsigned char char_class[256] = {CL64_(0), CL64_(64), CL64_(128), CL64_(192)};

static inline int is_digit(unsigned char c)
{
	return char_class[c] & CL_DIGIT;
}

static inline int is_alpha(unsigned char c)
{
	return char_class[c] & CL_ALPHA;
}

static int hex_value(unsigned char c)
{
	if (is_digit(c))
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static inline int is_tchar(unsigned char c)
{
	return char_class[c] & CL_TCHAR;
}

int http_is_tchar(unsigned char c)
{
	return is_tchar(c);
}

static inline int is_ows(unsigned char c)
{
	return c == ' ' || c == '\t';
}

static inline int is_field_char(unsigned char c)
{
	return char_class[c] & CL_FIELD;
}

static unsigned char to_lower(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') ? (unsigned char)(c + ('a' - 'A')) : c;
}

static int ci_equal(const char *a, const char *b, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (to_lower((unsigned char)a[i]) != to_lower((unsigned char)b[i]))
			return 0;
	return 1;
}

/* Does buf[0..n) equal the NUL-terminated s, ignoring ASCII case? */
static int ci_equal_str(const char *buf, size_t n, const char *s)
{
	return strlen(s) == n && ci_equal(buf, s, n);
}

/* ---- tables ----------------------------------------------------------------- */

/* clang-format off */
static const char *const method_names[M__COUNT] = {
	[M_UNKNOWN] = "",
	[M_GET] = "GET", [M_POST] = "POST", [M_HEAD] = "HEAD",
	[M_PUT] = "PUT", [M_PATCH] = "PATCH", [M_DELETE] = "DELETE",
	[M_LOCK] = "LOCK", [M_UNLOCK] = "UNLOCK", [M_PROPFIND] = "PROPFIND",
	[M_PROPPATCH] = "PROPPATCH", [M_SEARCH] = "SEARCH", [M_MKCOL] = "MKCOL",
	[M_MOVE] = "MOVE", [M_COPY] = "COPY", [M_OPTIONS] = "OPTIONS",
	[M_TRACE] = "TRACE", [M_MKACTIVITY] = "MKACTIVITY", [M_CHECKOUT] = "CHECKOUT",
	[M_MERGE] = "MERGE", [M_REPORT] = "REPORT",
	[M_SUBSCRIBE] = "SUBSCRIBE", [M_UNSUBSCRIBE] = "UNSUBSCRIBE", [M_NOTIFY] = "NOTIFY",
	[M_BPROPFIND] = "BPROPFIND", [M_BPROPPATCH] = "BPROPPATCH", [M_POLL] = "POLL",
	[M_BMOVE] = "BMOVE", [M_BCOPY] = "BCOPY", [M_BDELETE] = "BDELETE",
	[M_CONNECT] = "CONNECT",
	[M_RPC_IN_DATA] = "RPC_IN_DATA", [M_RPC_OUT_DATA] = "RPC_OUT_DATA",
};
/* clang-format on */

/* Pound's xHTTP levels: the lowest level at which each method is allowed. */
/* clang-format off */
static const unsigned char method_classes[M__COUNT] = {
	[M_UNKNOWN] = CLASS_NONE,
	[M_GET] = 0, [M_POST] = 0, [M_HEAD] = 0,
	[M_PUT] = 1, [M_PATCH] = 1, [M_DELETE] = 1,
	[M_LOCK] = 2, [M_UNLOCK] = 2, [M_PROPFIND] = 2, [M_PROPPATCH] = 2, [M_SEARCH] = 2,
	[M_MKCOL] = 2, [M_MOVE] = 2, [M_COPY] = 2, [M_OPTIONS] = 2, [M_TRACE] = 2,
	[M_MKACTIVITY] = 2, [M_CHECKOUT] = 2, [M_MERGE] = 2, [M_REPORT] = 2,
	[M_SUBSCRIBE] = 3, [M_UNSUBSCRIBE] = 3, [M_NOTIFY] = 3, [M_BPROPFIND] = 3,
	[M_BPROPPATCH] = 3, [M_POLL] = 3, [M_BMOVE] = 3, [M_BCOPY] = 3, [M_BDELETE] = 3,
	[M_CONNECT] = 3,
	[M_RPC_IN_DATA] = 4, [M_RPC_OUT_DATA] = 4,
};
/* clang-format on */

struct hdr_name {
	const char *name;
	uint8_t len;
	uint8_t id;
};

#define HN_(s, id) {s, sizeof(s) - 1, id}
/* clang-format off */
static const struct hdr_name hdr_names[] = {
	HN_("Host", HDR_HOST),
	HN_("Content-Length", HDR_CONTENT_LENGTH),
	HN_("Transfer-Encoding", HDR_TRANSFER_ENCODING),
	HN_("Connection", HDR_CONNECTION),
	HN_("Keep-Alive", HDR_KEEP_ALIVE),
	HN_("TE", HDR_TE),
	HN_("Trailer", HDR_TRAILER),
	HN_("Upgrade", HDR_UPGRADE),
	HN_("Expect", HDR_EXPECT),
	HN_("X-Forwarded-For", HDR_X_FORWARDED_FOR),
	HN_("X-Forwarded-Proto", HDR_X_FORWARDED_PROTO),
	HN_("X-Forwarded-Host", HDR_X_FORWARDED_HOST),
	HN_("X-Forwarded-Port", HDR_X_FORWARDED_PORT),
	HN_("X-Real-IP", HDR_X_REAL_IP),
	HN_("Forwarded", HDR_FORWARDED),
	HN_("X-Client-IP", HDR_X_CLIENT_IP),
	HN_("True-Client-IP", HDR_TRUE_CLIENT_IP),
	/* httpoxy: CGI turns it into HTTP_PROXY, the outgoing proxy of the backend */
	HN_("Proxy", HDR_PROXY_OTHER),
	/* what other proxies and CDNs say about the client or the original request */
	HN_("X-Forwarded", HDR_SPOOF_OTHER),
	HN_("Forwarded-For", HDR_SPOOF_OTHER),
	HN_("Front-End-Https", HDR_SPOOF_OTHER),
	HN_("X-Url-Scheme", HDR_SPOOF_OTHER),
	HN_("X-Host", HDR_SPOOF_OTHER),
	HN_("X-Original-Host", HDR_SPOOF_OTHER),
	HN_("X-Original-URL", HDR_SPOOF_OTHER),
	HN_("X-Rewrite-URL", HDR_SPOOF_OTHER),
	HN_("X-Originating-IP", HDR_SPOOF_OTHER),
	HN_("X-Remote-IP", HDR_SPOOF_OTHER),
	HN_("X-Remote-Addr", HDR_SPOOF_OTHER),
	HN_("X-ProxyUser-Ip", HDR_SPOOF_OTHER),
	HN_("X-Cluster-Client-IP", HDR_SPOOF_OTHER),
	HN_("Client-IP", HDR_SPOOF_OTHER),
	HN_("CF-Connecting-IP", HDR_SPOOF_OTHER),
	HN_("Fastly-Client-IP", HDR_SPOOF_OTHER),
	HN_("X-Original-Forwarded-For", HDR_SPOOF_OTHER),
};
/* clang-format on */

/* The lengths of the names above, one bit each (test_http.c req_header_ids tries every name). */
#define HDR_NAME_LENGTHS                                                                           \
	((1u << 2) | (1u << 4) | (1u << 5) | (1u << 6) | (1u << 7) | (1u << 9) | (1u << 10) |    \
	 (1u << 11) | (1u << 12) | (1u << 13) | (1u << 14) | (1u << 15) | (1u << 16) |            \
	 (1u << 17) | (1u << 19) | (1u << 24))

/* Every field of every head passes here: compare lengths before bytes. */
static uint8_t hdr_id_of(const char *name, size_t n)
{
	size_t i;

	/* Proxy-* fields are hop-by-hop credentials and hints meant for us. */
	if (n >= 6 && ci_equal(name, "Proxy-", 6))
		return HDR_PROXY_OTHER;
	if (n < 32 && (HDR_NAME_LENGTHS & (1u << n)))
		for (i = 0; i < sizeof(hdr_names) / sizeof(hdr_names[0]); i++)
			if (hdr_names[i].len == n && ci_equal(name, hdr_names[i].name, n))
				return hdr_names[i].id;
	/* X-Forwarded-Ssl, -Prefix, -Scheme, -Server, -Uri ...: whoever sends one claims
	 * to be a proxy in front of us */
	if (n > 12 && ci_equal(name, "X-Forwarded-", 12))
		return HDR_SPOOF_OTHER;
	return HDR_OTHER;
}

static uint8_t method_of(const char *s, size_t n)
{
	int i;

	for (i = 1; i < M__COUNT; i++)
		if (strlen(method_names[i]) == n && memcmp(method_names[i], s, n) == 0)
			return (uint8_t)i;
	return M_UNKNOWN;
}

/* ---- word-at-a-time scanning ------------------------------------------------- */

#define ONES  0x0101010101010101u
#define HIGHS 0x8080808080808080u

/* Does any byte of x lie below n (n <= 128)?  Exact: no false answers either way. */
static inline int any_below(uint64_t x, unsigned n)
{
	return ((x - ONES * n) & ~x & HIGHS) != 0;
}

/* Does any byte of x equal v? */
static inline int any_equal(uint64_t x, unsigned v)
{
	return any_below(x ^ (ONES * v), 1);
}

/*
 * The first index from i on, below stop, whose byte is CR or below (LF, the
 * other controls); stop if none.  Eight bytes at a time: every head byte is
 * looked at here, and most are plain text.
 */
static size_t skip_above_cr(const char *buf, size_t i, size_t stop)
{
	for (; i + 8 <= stop; i += 8) {
		uint64_t x;

		memcpy(&x, buf + i, 8);
		if (any_below(x, '\r' + 1))
			break;
	}
	while (i < stop && (unsigned char)buf[i] > '\r')
		i++;
	return i;
}

/* The first index from i on, below stop, that is no field-content byte; stop if none. */
static size_t skip_field_chars(const char *buf, size_t i, size_t stop)
{
	for (; i + 8 <= stop; i += 8) {
		uint64_t x;

		memcpy(&x, buf + i, 8);
		if (any_below(x, 0x20) || any_equal(x, 0x7f))
			break; /* a control or DEL in here (maybe only a HTAB): byte by byte */
	}
	while (i < stop && is_field_char((unsigned char)buf[i]))
		i++;
	return i;
}

/* ---- pass 1: find the end of the head --------------------------------------- */

/*
 * Returns the head length (leading empty lines included) when the head is
 * complete, 0 when more bytes are needed, or a negative status.  Every
 * check is made at the byte that decides it, so a prefix of a message
 * never gets a verdict the whole message would not get.
 */
static int head_scan(const char *buf, size_t len, unsigned max_skip, size_t *start)
{
	size_t i, line_start = 0;
	unsigned skipped = 0, lines = 0;
	size_t lim = len < HTTP_MAX_HEAD ? len : HTTP_MAX_HEAD;

	/* Bytes past HTTP_MAX_HEAD are never looked at: the head is too big either way. */
	for (i = 0; i < lim; i++) {
		unsigned char c;
		/* Fast path: bytes above CR are neither CR nor LF, and on the request line
		 * only the length limit could refuse them (checked at the byte that hits it). */
		size_t stop = lines == 0 && line_start + HTTP_MAX_LINE < lim ? line_start + HTTP_MAX_LINE : lim;

		i = skip_above_cr(buf, i, stop);
		if (i == lim)
			break;
		c = (unsigned char)buf[i];
		if (c == '\n')
			return -400; /* a LF not paired with the CR before it */
		if (c != '\r') {
			if (lines == 0 && i - line_start >= HTTP_MAX_LINE)
				return -414;
			continue;
		}
		if (i + 2 > HTTP_MAX_HEAD)
			return -431;
		if (i + 1 == len)
			break; /* the LF has not arrived yet */
		if (buf[i + 1] != '\n')
			return -400;
		if (i == line_start && lines == 0) {
			if (++skipped > max_skip)
				return -400;
		} else if (i == line_start) {
			*start = (size_t)skipped * 2;
			return (int)(i + 2);
		} else if (++lines > HTTP_MAX_HEADERS + 1) {
			return -431;
		}
		i++;
		line_start = i + 1;
	}
	return len >= HTTP_MAX_HEAD ? -431 : 0;
}

/* End of the line starting at pos: the offset of its CR.  Pass 1 made sure there is one. */
static size_t line_end(const char *buf, size_t pos, size_t end)
{
	const char *cr = memchr(buf + pos, '\r', end - pos);

	return cr ? (size_t)(cr - buf) : end;
}

/* ---- pass 2: lines and fields ----------------------------------------------- */

static void msg_reset(struct http_msg *m)
{
	memset(m, 0, offsetof(struct http_msg, hdr));
	m->host_idx = -1;
	m->host_len = m->hostname_len = 0;
}

/* HTTP-version: 0 for HTTP/1.0 or 1.1, -505 for another well-formed version, else -400. */
static int parse_version(const char *s, size_t n, uint8_t *minor)
{
	if (n != 8 || memcmp(s, "HTTP/", 5) != 0 || !is_digit((unsigned char)s[5]) || s[6] != '.' ||
	    !is_digit((unsigned char)s[7]))
		return -400;
	if (s[5] != '1' || (s[7] != '0' && s[7] != '1'))
		return -505;
	*minor = (uint8_t)(s[7] - '0');
	return 0;
}

/* field-line = field-name ":" OWS field-value OWS, with no folding. */
static int parse_field(const char *buf, size_t s, size_t e, struct http_hdr *h)
{
	size_t p = s, vs, ve;

	while (p < e && is_tchar((unsigned char)buf[p]))
		p++;
	/* An empty name also catches obs-fold, whose line starts with SP/HTAB. */
	if (p == s || p == e || buf[p] != ':')
		return -400;
	h->name_off = (uint16_t)s;
	h->name_len = (uint16_t)(p - s);
	if (skip_field_chars(buf, p + 1, e) != e)
		return -400;
	vs = p + 1;
	while (vs < e && is_ows((unsigned char)buf[vs]))
		vs++;
	ve = e;
	while (ve > vs && is_ows((unsigned char)buf[ve - 1]))
		ve--;
	h->value_off = (uint16_t)vs;
	h->value_len = (uint16_t)(ve - vs);
	h->line_off = (uint16_t)s;
	h->line_len = (uint16_t)(e - s);
	h->id = hdr_id_of(buf + s, p - s);
	h->flags = 0;
	return 0;
}

/* All field lines from pos up to the blank line that ends the head at `end`. */
static int parse_fields(const char *buf, size_t pos, size_t end, struct http_msg *m)
{
	while (pos + 2 < end) {
		size_t eol = line_end(buf, pos, end);

		if (m->nhdr >= HTTP_MAX_HEADERS)
			return -431;
		if (parse_field(buf, pos, eol, &m->hdr[m->nhdr]) < 0)
			return -400;
		m->nhdr++;
		pos = eol + 2;
	}
	return 0;
}

/* ---- hosts ---------------------------------------------------------------- */

/* Dotted-quad IPv4 without leading zeros, which some resolvers read as octal. */
static int ipv4_valid(const char *s, size_t n)
{
	size_t i = 0;
	int part;

	for (part = 0; part < 4; part++) {
		size_t st = i;
		unsigned v = 0;

		while (i < n && is_digit((unsigned char)s[i]) && i - st < 3)
			v = v * 10 + (unsigned)(s[i++] - '0');
		if (i == st || v > 255 || (s[st] == '0' && i - st > 1))
			return 0;
		if (part < 3 && (i == n || s[i++] != '.'))
			return 0;
	}
	return i == n;
}

/* RFC 4291 text form, "::" at most once, optional IPv4 tail; no zone id. */
static int ipv6_valid(const char *s, size_t n)
{
	size_t i = 0, groups = 0;
	int gap = 0;

	if (n < 2 || n > 45)
		return 0;
	if (s[0] == ':') {
		if (s[1] != ':')
			return 0;
		gap = 1;
		i = 2;
	}
	while (i < n) {
		size_t st = i;

		while (i < n && hex_value((unsigned char)s[i]) >= 0 && i - st < 5)
			i++;
		if (i < n && s[i] == '.') {
			if (!ipv4_valid(s + st, n - st))
				return 0;
			groups += 2;
			break;
		}
		if (i == st || i - st > 4)
			return 0;
		groups++;
		if (i == n)
			break;
		if (s[i++] != ':' || i == n)
			return 0;
		if (s[i] == ':') {
			if (gap)
				return 0;
			gap = 1;
			i++;
		}
	}
	return gap ? groups <= 7 : groups == 8;
}

/*
 * A DNS name: dot-separated labels of letters, digits, '-' and '_', with an
 * optional final dot.  Narrower than RFC 3986 reg-name on purpose: routing
 * and ACLs match on it, so percent-encoding and sub-delims are refused.  A
 * name made only of digits and dots must be a proper dotted quad.
 */
static int name_valid(const char *s, size_t n)
{
	size_t i, label = 0;
	int numeric = 1;

	if (n == 0 || n > HOST_MAX || s[0] == '.')
		return 0;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '.') {
			if (label == 0)
				return 0;
			label = 0;
			continue;
		}
		if (!is_digit(c) && !is_alpha(c) && c != '-' && c != '_')
			return 0;
		if (!is_digit(c))
			numeric = 0;
		if (++label > LABEL_MAX)
			return 0;
	}
	return !numeric || ipv4_valid(s, n);
}

static int port_valid(const char *s, size_t n)
{
	size_t i;
	unsigned long v = 0;

	if (n == 0 || n > 5)
		return 0;
	for (i = 0; i < n; i++) {
		if (!is_digit((unsigned char)s[i]))
			return 0;
		v = v * 10 + (unsigned long)(s[i] - '0');
	}
	return v <= 65535;
}

/* host [":" port] as in Host, an absolute-form authority or CONNECT's target. */
static int host_valid(const char *s, size_t n, int need_port)
{
	size_t hlen;

	if (n == 0)
		return 0;
	if (s[0] == '[') {
		const char *rb = memchr(s, ']', n);

		if (!rb)
			return 0;
		hlen = (size_t)(rb - s) + 1;
		if (!ipv6_valid(s + 1, hlen - 2))
			return 0;
	} else {
		const char *colon = memchr(s, ':', n);

		hlen = colon ? (size_t)(colon - s) : n;
		if (!name_valid(s, hlen))
			return 0;
	}
	if (hlen == n)
		return !need_port;
	return s[hlen] == ':' && port_valid(s + hlen + 1, n - hlen - 1);
}

size_t http_host_normalize(const char *s, size_t n, unsigned default_port, char *out,
			   size_t *name_len)
{
	size_t hlen = n, o = 0;
	unsigned long port = 0;

	if (n >= HTTP_HOST_MAX)
		n = HTTP_HOST_MAX - 1; /* not valid anyway; keeps the copy in bounds */
	if (n && s[0] == '[') {
		const char *rb = memchr(s, ']', n);

		hlen = rb ? (size_t)(rb - s) + 1 : n;
	} else {
		const char *colon = memchr(s, ':', n);

		hlen = colon ? (size_t)(colon - s) : n;
	}
	for (size_t i = 0; i < hlen; i++)
		out[o++] = (char)to_lower((unsigned char)s[i]);
	if (o > 1 && out[o - 1] == '.' && out[0] != '[')
		o--;
	*name_len = o;
	if (hlen + 1 < n && s[hlen] == ':') {
		for (size_t i = hlen + 1; i < n && i < hlen + 7; i++)
			port = port * 10 + (unsigned long)(s[i] - '0');
		if (port != default_port) {
			out[o++] = ':';
			o += (size_t)snprintf(out + o, HTTP_HOST_MAX - o, "%lu", port);
		}
	}
	out[o] = '\0';
	return o;
}

void http_msg_host_normalize(struct http_msg *m, const char *buf, unsigned default_port)
{
	size_t nl = 0;

	m->host_len = m->hostname_len = 0;
	m->host[0] = '\0';
	if (m->host_idx < 0)
		return;
	m->host_len = (uint16_t)http_host_normalize(buf + m->hdr[m->host_idx].value_off,
						    m->hdr[m->host_idx].value_len, default_port,
						    m->host, &nl);
	m->hostname_len = (uint16_t)nl;
}

/* ---- request line ------------------------------------------------------------ */

/* The authority of an absolute-form target, remembered until Host is known. */
struct authority {
	size_t off, len;
	unsigned port; /* the scheme's default port */
};

static int parse_absolute(const char *buf, size_t s, size_t n, struct authority *a)
{
	size_t skip, i;

	if (n >= 7 && ci_equal(buf + s, "http://", 7)) {
		skip = 7;
		a->port = 80;
	} else if (n >= 8 && ci_equal(buf + s, "https://", 8)) {
		skip = 8;
		a->port = 443;
	} else {
		return -400;
	}
	for (i = skip; i < n && buf[s + i] != '/' && buf[s + i] != '?'; i++)
		;
	a->off = s + skip;
	a->len = i - skip;
	return a->len ? 0 : -400;
}

/*
 * request-target in the form the method allows.  '#' is refused with the
 * controls: a fragment is never sent, and a path the proxy routes on must
 * not mean something else to the backend.
 */
static int parse_target(const char *buf, size_t s, size_t n, struct http_msg *m,
                        struct authority *a)
{
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)buf[s + i];

		if (c <= 0x20 || c >= 0x7f || c == '#')
			return -400;
	}
	for (i = 0; i < n && buf[s + i] != '?'; i++)
		;
	m->target_off = (uint16_t)s;
	m->target_len = (uint16_t)n;
	m->path_len = (uint16_t)i;
	if (m->method == M_CONNECT)
		return host_valid(buf + s, n, 1) ? 0 : -400;
	if (buf[s] == '/')
		return 0;
	if (n == 1 && buf[s] == '*')
		return m->method == M_OPTIONS ? 0 : -400;
	return parse_absolute(buf, s, n, a);
}

/* method SP request-target SP HTTP-version, exactly one SP between them. */
static int parse_request_line(const char *buf, size_t s, size_t e, struct http_msg *m,
                              struct authority *a)
{
	const char *sp1, *sp2;
	size_t t, v, i;
	int rc;

	sp1 = memchr(buf + s, ' ', e - s);
	if (!sp1)
		return -400;
	t = (size_t)(sp1 - buf) + 1;
	sp2 = memchr(buf + t, ' ', e - t);
	if (!sp2)
		return -400; /* HTTP/0.9 style, no version */
	v = (size_t)(sp2 - buf) + 1;
	rc = parse_version(buf + v, e - v, &m->version_minor);
	if (rc < 0)
		return rc;
	if (t - 1 == s)
		return -400;
	for (i = s; i < t - 1; i++)
		if (!is_tchar((unsigned char)buf[i]))
			return -400;
	m->method_off = (uint16_t)s;
	m->method_len = (uint16_t)(t - 1 - s);
	m->method = method_of(buf + s, t - 1 - s);
	if (v - 1 == t)
		return -400;
	return parse_target(buf, t, v - 1 - t, m, a);
}

/* ---- framing ---------------------------------------------------------------- */

/* What the fields say about framing and the connection, gathered in one walk. */
struct framing {
	unsigned ncl, nte, nhost;
	int cl_bad;
	uint64_t cl;
	int te_bad;     /* empty list element or chunked twice */
	int te_other;   /* a coding other than chunked */
	int te_chunked; /* chunked seen anywhere in the list */
	int te_chunked_last;
	int conn_close, conn_keep_alive, conn_upgrade;
	int has_upgrade, expect_100;
};

/* Content-Length = 1*DIGIT, no sign, no list, no overflow. */
static int parse_length(const char *s, size_t n, uint64_t *out)
{
	uint64_t v = 0;
	size_t i;

	if (n == 0)
		return -1;
	for (i = 0; i < n; i++) {
		unsigned d = (unsigned char)s[i] - '0';

		if (d > 9 || v > (UINT64_MAX - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

/*
 * The next element of a comma-separated list starting at *i: its bounds,
 * OWS trimmed, in [*s, *e) (empty for ",,").  *i ends on the comma or at n.
 */
static void list_element(const char *v, size_t n, size_t *i, size_t *s, size_t *e)
{
	*s = *i;
	while (*i < n && v[*i] != ',')
		(*i)++;
	*e = *i;
	while (*s < *e && is_ows((unsigned char)v[*s]))
		(*s)++;
	while (*e > *s && is_ows((unsigned char)v[*e - 1]))
		(*e)--;
}

/* One Transfer-Encoding value, as a continuation of the list before it. */
static void scan_codings(const char *v, size_t n, struct framing *f)
{
	size_t i = 0;

	for (;;) {
		size_t s, e;

		list_element(v, n, &i, &s, &e);
		if (s == e) {
			f->te_bad = 1;
		} else if (ci_equal_str(v + s, e - s, "chunked")) {
			if (f->te_chunked)
				f->te_bad = 1; /* chunked may be applied only once */
			f->te_chunked = 1;
			f->te_chunked_last = 1;
		} else {
			f->te_chunked_last = 0;
			f->te_other = 1;
		}
		if (i++ >= n)
			break;
	}
}

static void scan_field(const char *buf, const struct http_hdr *h, int idx, struct framing *f,
                       struct http_msg *m)
{
	const char *v = buf + h->value_off;

	switch (h->id) {
	case HDR_HOST:
		f->nhost++;
		m->host_idx = (int16_t)idx;
		break;
	case HDR_CONTENT_LENGTH:
		f->ncl++;
		if (parse_length(v, h->value_len, &f->cl) < 0)
			f->cl_bad = 1;
		break;
	case HDR_TRANSFER_ENCODING:
		f->nte++;
		scan_codings(v, h->value_len, f);
		break;
	case HDR_CONNECTION:
		f->conn_close |= http_hdr_has_token(buf, h, "close");
		f->conn_keep_alive |= http_hdr_has_token(buf, h, "keep-alive");
		f->conn_upgrade |= http_hdr_has_token(buf, h, "upgrade");
		break;
	case HDR_UPGRADE:
		f->has_upgrade = 1;
		break;
	case HDR_EXPECT:
		f->expect_100 |= ci_equal_str(v, h->value_len, "100-continue");
		break;
	default:
		break;
	}
}

static void scan_framing(const char *buf, struct http_msg *m, struct framing *f)
{
	int i;

	*f = (struct framing){0};
	for (i = 0; i < m->nhdr; i++)
		scan_field(buf, &m->hdr[i], i, f, m);
}

/* Connection persistence as the sender asked for it (RFC 9112 section 9.3). */
static unsigned wants_keep_alive(const struct http_msg *m, const struct framing *f)
{
	if (f->conn_close)
		return 0;
	return m->version_minor == 1 || f->conn_keep_alive;
}

/* Length fields common to both directions: one well-formed Content-Length, never with TE. */
static int check_lengths(const struct http_msg *m, const struct framing *f)
{
	if (f->ncl > 1 || f->cl_bad)
		return -400;
	if (f->nte > 0 && (f->ncl > 0 || m->version_minor == 0))
		return -400;
	if (f->nte > 0 && f->te_bad)
		return -400;
	return 0;
}

static int check_host(const char *buf, const struct http_msg *m, const struct framing *f,
                      const struct authority *a)
{
	const struct http_hdr *h;

	if (f->nhost > 1 || (f->nhost == 0 && m->version_minor == 1))
		return -400;
	if (f->nhost == 0)
		return a->len ? -400 : 0;
	h = &m->hdr[m->host_idx];
	if (!host_valid(buf + h->value_off, h->value_len, 0))
		return -400;
	if (a->len) {
		/* the same host, however spelled ("A.example.:80" is "a.example") */
		char x[HTTP_HOST_MAX], y[HTTP_HOST_MAX];
		size_t xl, yl, nl;

		if (!host_valid(buf + a->off, a->len, 0))
			return -400;
		xl = http_host_normalize(buf + a->off, a->len, a->port, x, &nl);
		yl = http_host_normalize(buf + h->value_off, h->value_len, a->port, y, &nl);
		if (xl != yl || memcmp(x, y, xl) != 0)
			return -400;
	}
	return 0;
}

static int request_framing(const char *buf, struct http_msg *m, const struct authority *a)
{
	struct framing f;
	int rc;

	scan_framing(buf, m, &f);
	rc = check_lengths(m, &f);
	if (rc == 0)
		rc = check_host(buf, m, &f, a);
	if (rc < 0)
		return rc;
	if (f.nte > 0) {
		if (f.te_other)
			return -501;
		m->body = BODY_CHUNKED;
	} else if (f.ncl > 0 && f.cl > 0) {
		m->body = BODY_LENGTH;
		m->content_length = f.cl;
	} else {
		m->body = BODY_NONE;
	}
	m->keep_alive = wants_keep_alive(m, &f);
	m->upgrade = m->version_minor == 1 && f.conn_upgrade && f.has_upgrade;
	m->expect_continue = m->version_minor == 1 && f.expect_100;
	return 0;
}

/* RFC 9112 section 6.3, in its order. */
static enum http_body response_body(const struct http_msg *m, const struct framing *f,
                                    int req_method)
{
	if (req_method == M_HEAD || m->status < 200 || m->status == 204 || m->status == 304)
		return BODY_NONE;
	if (req_method == M_CONNECT && m->status < 300)
		return BODY_NONE; /* the connection is a tunnel from here on */
	if (f->nte > 0)
		return f->te_chunked_last ? BODY_CHUNKED : BODY_CLOSE;
	if (f->ncl > 0)
		return f->cl > 0 ? BODY_LENGTH : BODY_NONE;
	return BODY_CLOSE;
}

static int response_framing(const char *buf, struct http_msg *m, int req_method)
{
	struct framing f;

	scan_framing(buf, m, &f);
	if (check_lengths(m, &f) < 0)
		return -502;
	m->body = response_body(m, &f, req_method);
	if (m->body == BODY_LENGTH)
		m->content_length = f.cl;
	m->keep_alive = m->body != BODY_CLOSE && wants_keep_alive(m, &f);
	m->upgrade = m->version_minor == 1 && f.conn_upgrade && f.has_upgrade;
	return 0;
}

/* ---- the two head parsers ---------------------------------------------------- */

int http_parse_request(const char *buf, size_t len, struct http_msg *m)
{
	struct authority a = {0, 0, 0};
	size_t start = 0, eol;
	int end, rc;

	msg_reset(m);
	end = head_scan(buf, len, LEADING_CRLF_MAX, &start);
	if (end <= 0)
		return end;
	eol = line_end(buf, start, (size_t)end);
	rc = parse_request_line(buf, start, eol, m, &a);
	if (rc == 0)
		rc = parse_fields(buf, eol + 2, (size_t)end, m);
	if (rc == 0)
		rc = request_framing(buf, m, &a);
	if (rc < 0)
		return rc;
	m->head_len = (uint16_t)end;
	return end;
}

/* HTTP-version SP 3DIGIT [SP reason-phrase]; the SP may go with an empty reason. */
static int parse_status_line(const char *buf, size_t s, size_t e, struct http_msg *m)
{
	const char *p = buf + s;
	size_t n = e - s, i;

	if (n < 12 || parse_version(p, 8, &m->version_minor) < 0 || p[8] != ' ')
		return -502;
	if (!is_digit((unsigned char)p[9]) || !is_digit((unsigned char)p[10]) ||
	    !is_digit((unsigned char)p[11]))
		return -502;
	m->status = (uint16_t)((p[9] - '0') * 100 + (p[10] - '0') * 10 + (p[11] - '0'));
	if (m->status < 100 || m->status > 599)
		return -502;
	if (n > 12 && p[12] != ' ')
		return -502;
	for (i = 13; i < n; i++)
		if (!is_field_char((unsigned char)p[i]))
			return -502;
	m->reason_off = (uint16_t)(n > 12 ? s + 13 : e);
	m->reason_len = (uint16_t)(n > 12 ? n - 13 : 0);
	return 0;
}

int http_parse_response(const char *buf, size_t len, int req_method, struct http_msg *m)
{
	size_t start = 0, eol;
	int end;

	msg_reset(m);
	end = head_scan(buf, len, 0, &start);
	if (end == 0)
		return 0;
	if (end < 0)
		return -502;
	eol = line_end(buf, start, (size_t)end);
	if (parse_status_line(buf, start, eol, m) < 0 ||
	    parse_fields(buf, eol + 2, (size_t)end, m) < 0 ||
	    response_framing(buf, m, req_method) < 0)
		return -502;
	m->head_len = (uint16_t)end;
	return end;
}

/* ---- chunked bodies ------------------------------------------------------------ */

enum chunk_state {
	CH_SIZE_FIRST = 0, /* zero so a zeroed struct is a fresh scanner */
	CH_SIZE,
	CH_EXT_NAME_FIRST,
	CH_EXT_NAME,
	CH_EXT_VALUE_FIRST,
	CH_EXT_TOKEN,
	CH_EXT_QUOTED,
	CH_EXT_QPAIR,
	CH_EXT_QEND,
	CH_SIZE_LF,
	CH_DATA,
	CH_DATA_CR,
	CH_DATA_LF,
	CH_TRAILER_START,
	CH_TRAILER_NAME,
	CH_TRAILER_VALUE,
	CH_TRAILER_LF,
	CH_END_LF,
	CH_DONE,
	CH_ERROR,
};

void http_chunked_init(struct http_chunked *c)
{
	*c = (struct http_chunked){.state = CH_SIZE_FIRST};
}

/* After the size or an extension: another extension, or the end of the line. */
static int chunk_ext_next(struct http_chunked *c, unsigned char ch)
{
	if (ch == ';')
		c->state = CH_EXT_NAME_FIRST;
	else if (ch == '\r')
		c->state = CH_SIZE_LF;
	else
		return -1;
	return 0;
}

/* chunk-size [ chunk-ext ] CRLF, with chunk-ext = *( ";" name [ "=" token / quoted-string ] ). */
static int chunk_size_line(struct http_chunked *c, unsigned char ch)
{
	if (++c->line_len > CHUNK_LINE_MAX)
		return -1;
	switch (c->state) {
	case CH_SIZE_FIRST:
	case CH_SIZE:
		if (hex_value(ch) >= 0) {
			if (++c->digits > 16)
				return -1;
			c->remaining = c->remaining * 16 + (uint64_t)hex_value(ch);
			c->state = CH_SIZE;
			return 0;
		}
		return c->state == CH_SIZE ? chunk_ext_next(c, ch) : -1;
	case CH_EXT_NAME_FIRST:
	case CH_EXT_NAME:
		if (is_tchar(ch)) {
			c->state = CH_EXT_NAME;
			return 0;
		}
		if (c->state == CH_EXT_NAME_FIRST)
			return -1;
		if (ch == '=') {
			c->state = CH_EXT_VALUE_FIRST;
			return 0;
		}
		return chunk_ext_next(c, ch);
	default:
		return -1;
	}
}

/* chunk-ext-val = token / quoted-string */
static int chunk_ext_value(struct http_chunked *c, unsigned char ch)
{
	if (++c->line_len > CHUNK_LINE_MAX)
		return -1;
	switch (c->state) {
	case CH_EXT_VALUE_FIRST:
		if (ch == '"')
			c->state = CH_EXT_QUOTED;
		else if (is_tchar(ch))
			c->state = CH_EXT_TOKEN;
		else
			return -1;
		return 0;
	case CH_EXT_TOKEN:
		return is_tchar(ch) ? 0 : chunk_ext_next(c, ch);
	case CH_EXT_QUOTED:
		if (ch == '"')
			c->state = CH_EXT_QEND;
		else if (ch == '\\')
			c->state = CH_EXT_QPAIR;
		else if (!is_field_char(ch))
			return -1;
		return 0;
	case CH_EXT_QPAIR:
		if (!is_field_char(ch))
			return -1;
		c->state = CH_EXT_QUOTED;
		return 0;
	case CH_EXT_QEND:
		return chunk_ext_next(c, ch);
	default:
		return -1;
	}
}

/* The LF of a size line, and the CRLF after chunk data. */
static int chunk_line_ends(struct http_chunked *c, unsigned char ch)
{
	switch (c->state) {
	case CH_SIZE_LF:
		if (ch != '\n')
			return -1;
		c->state = c->remaining ? CH_DATA : CH_TRAILER_START;
		c->line_len = 0;
		return 0;
	case CH_DATA_CR:
		if (ch != '\r')
			return -1;
		c->state = CH_DATA_LF;
		return 0;
	case CH_DATA_LF:
		if (ch != '\n')
			return -1;
		c->state = CH_SIZE_FIRST;
		c->digits = 0;
		c->line_len = 0;
		return 0;
	default:
		return -1;
	}
}

/*
 * trailer-section = *( field-line CRLF ) CRLF.  `remaining` is free once the
 * last chunk is seen, so it counts trailer bytes against HTTP_MAX_HEAD.
 */
static int chunk_trailer(struct http_chunked *c, unsigned char ch)
{
	if (++c->remaining > HTTP_MAX_HEAD || ++c->line_len > HTTP_MAX_LINE)
		return -1;
	switch (c->state) {
	case CH_TRAILER_START:
		if (ch == '\r')
			c->state = CH_END_LF;
		else if (is_tchar(ch))
			c->state = CH_TRAILER_NAME;
		else
			return -1; /* obs-fold or garbage */
		return 0;
	case CH_TRAILER_NAME:
		if (ch == ':')
			c->state = CH_TRAILER_VALUE;
		else if (!is_tchar(ch))
			return -1;
		return 0;
	case CH_TRAILER_VALUE:
		if (ch == '\r')
			c->state = CH_TRAILER_LF;
		else if (!is_field_char(ch))
			return -1;
		return 0;
	case CH_TRAILER_LF:
	case CH_END_LF:
		if (ch != '\n')
			return -1;
		c->state = c->state == CH_END_LF ? CH_DONE : CH_TRAILER_START;
		c->line_len = 0;
		return 0;
	default:
		return -1;
	}
}

static int chunk_step(struct http_chunked *c, unsigned char ch)
{
	switch (c->state) {
	case CH_SIZE_FIRST:
	case CH_SIZE:
	case CH_EXT_NAME_FIRST:
	case CH_EXT_NAME:
		return chunk_size_line(c, ch);
	case CH_EXT_VALUE_FIRST:
	case CH_EXT_TOKEN:
	case CH_EXT_QUOTED:
	case CH_EXT_QPAIR:
	case CH_EXT_QEND:
		return chunk_ext_value(c, ch);
	case CH_SIZE_LF:
	case CH_DATA_CR:
	case CH_DATA_LF:
		return chunk_line_ends(c, ch);
	case CH_TRAILER_START:
	case CH_TRAILER_NAME:
	case CH_TRAILER_VALUE:
	case CH_TRAILER_LF:
	case CH_END_LF:
		return chunk_trailer(c, ch);
	default:
		return -1;
	}
}

int http_chunked_feed(struct http_chunked *c, const char *buf, size_t len, size_t *used)
{
	size_t i = 0;

	while (i < len && c->state != CH_DONE) {
		if (c->state == CH_DATA) {
			/* chunk data is opaque: skip it in one step */
			size_t n = len - i;

			if (n > c->remaining)
				n = (size_t)c->remaining;
			i += n;
			c->remaining -= n;
			if (c->remaining == 0)
				c->state = CH_DATA_CR;
			continue;
		}
		if (chunk_step(c, (unsigned char)buf[i]) < 0) {
			c->state = CH_ERROR;
			*used = i;
			return -1;
		}
		i++;
	}
	*used = i;
	if (c->state == CH_ERROR)
		return -1;
	return c->state == CH_DONE ? 1 : 0;
}

/* A byte of a trailer field (its CRLF included), not the CRLF that ends the section. */
static int in_trailer_field(const struct http_chunked *c, unsigned char ch)
{
	return c->state == CH_TRAILER_NAME || c->state == CH_TRAILER_VALUE ||
	       c->state == CH_TRAILER_LF || (c->state == CH_TRAILER_START && ch != '\r');
}

int http_chunked_feed_drop(struct http_chunked *c, char *buf, size_t len, size_t *used,
			   size_t *dropped)
{
	size_t i = 0, o = 0;
	int rc = 0;

	while (i < len && c->state != CH_DONE) {
		unsigned char ch = (unsigned char)buf[i];
		int field;

		if (c->state == CH_DATA) {
			size_t n = len - i;

			if (n > c->remaining)
				n = (size_t)c->remaining;
			if (o != i)
				memmove(buf + o, buf + i, n);
			i += n;
			o += n;
			c->remaining -= n;
			if (c->remaining == 0)
				c->state = CH_DATA_CR;
			continue;
		}
		field = in_trailer_field(c, ch);
		if (chunk_step(c, ch) < 0) {
			c->state = CH_ERROR;
			rc = -1;
			break;
		}
		if (!field)
			buf[o++] = (char)ch;
		i++;
	}
	/* what follows the body (a pipelined request) closes the gap */
	if (o != i)
		memmove(buf + o, buf + i, len - i);
	*used = o;
	*dropped = i - o;
	if (rc < 0 || c->state == CH_ERROR)
		return -1;
	return c->state == CH_DONE ? 1 : 0;
}

/* ---- helpers ---------------------------------------------------------------- */

int http_method_class(int method)
{
	if (method <= M_UNKNOWN || method >= M__COUNT)
		return CLASS_NONE;
	return method_classes[method];
}

const char *http_method_name(int method)
{
	if (method < 0 || method >= M__COUNT)
		return "";
	return method_names[method];
}

int http_hdr_name_is(const char *buf, const struct http_hdr *h, const char *name)
{
	return ci_equal_str(buf + h->name_off, h->name_len, name);
}

const struct http_hdr *http_hdr_find(const char *buf, const struct http_msg *m, const char *name)
{
	for (int i = 0; i < m->nhdr; i++)
		if (http_hdr_name_is(buf, &m->hdr[i], name))
			return &m->hdr[i];
	return NULL;
}

int http_hdr_has_token(const char *buf, const struct http_hdr *h, const char *token)
{
	const char *v = buf + h->value_off;
	size_t n = h->value_len, i = 0;

	for (;;) {
		size_t s, e;

		list_element(v, n, &i, &s, &e);
		if (e > s && ci_equal_str(v + s, e - s, token))
			return 1;
		if (i++ >= n)
			return 0;
	}
}

/* clang-format off */
const char *http_reason(int status)
{
	switch (status) {
	case 100: return "Continue";
	case 101: return "Switching Protocols";
	case 200: return "OK";
	case 201: return "Created";
	case 204: return "No Content";
	case 206: return "Partial Content";
	case 301: return "Moved Permanently";
	case 302: return "Found";
	case 303: return "See Other";
	case 304: return "Not Modified";
	case 307: return "Temporary Redirect";
	case 308: return "Permanent Redirect";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 408: return "Request Timeout";
	case 411: return "Length Required";
	case 413: return "Content Too Large";
	case 414: return "URI Too Long";
	case 415: return "Unsupported Media Type";
	case 417: return "Expectation Failed";
	case 421: return "Misdirected Request";
	case 429: return "Too Many Requests";
	case 431: return "Request Header Fields Too Large";
	case 500: return "Internal Server Error";
	case 501: return "Not Implemented";
	case 502: return "Bad Gateway";
	case 503: return "Service Unavailable";
	case 504: return "Gateway Timeout";
	case 505: return "HTTP Version Not Supported";
	default: return "";
	}
}
/* clang-format on */
