/*
 * log.c - daemon messages and the one-line-per-request access log.
 *
 * Request lines follow Pound's built-in LogLevel formats (1 regular,
 * 2 extended, 3 vhost_combined, 4 combined, 5 detailed), so existing log
 * parsers and fail2ban filters keep working.  Every client-controlled byte
 * passes through one escaper: control bytes, quotes, backslashes and
 * non-ASCII become \xHH, and fields that are not quoted escape spaces too,
 * so a hostile Host or User-Agent can neither start a new line nor shift the
 * fields a filter keys on (the client address).  Each field is capped, so a
 * line always fits its buffer.
 */
#include "log.h"

#include "http.h"
#include "syslogsink.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define LOG_LINE_MAX 4096 /* a request line: the caps below keep it under */
#define LOG_MSG_MAX  2048 /* a daemon message */

/* Output caps per field, in bytes after escaping (plus "..." when cut). */
#define CAP_ADDR    64
#define CAP_HOST    256
#define CAP_USER    64
#define CAP_REQLINE 1024
#define CAP_REFERER 512
#define CAP_AGENT   512
#define CAP_NAME    128

/* Escape flags. */
#define ESC_SPACE 0x01 /* the field is not quoted: a space would split it */
#define ESC_TEXT  0x02 /* a daemon message: only control bytes matter */

static int log_verbose;

/* A bounded writer: appends what fits, always leaves buf terminated. */
struct out {
	char *buf;
	size_t len; /* size of buf */
	size_t pos; /* bytes written, < len when len > 0 */
};

static void out_mem(struct out *o, const char *s, size_t n)
{
	size_t room;

	if (o->len == 0)
		return;
	room = o->len - 1 - o->pos;
	if (n > room)
		n = room;
	memcpy(o->buf + o->pos, s, n);
	o->pos += n;
	o->buf[o->pos] = '\0';
}

static void out_str(struct out *o, const char *s)
{
	out_mem(o, s, strlen(s));
}

static void out_fmt(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void out_fmt(struct out *o, const char *fmt, ...)
{
	char tmp[128];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	out_mem(o, tmp, (size_t)n < sizeof(tmp) ? (size_t)n : sizeof(tmp) - 1);
}

static int must_escape(unsigned char c, int flags)
{
	if (c < 0x20 || c == 0x7f)
		return 1;
	if (flags & ESC_TEXT)
		return 0;
	return c >= 0x80 || c == '"' || c == '\\' || (c == ' ' && (flags & ESC_SPACE));
}

/*
 * One field: NULL or empty prints "-" (never an empty column), otherwise the
 * escaped bytes, cut at `cap` output bytes with "..." to show it was cut.
 */
static void out_field(struct out *o, const char *s, size_t n, size_t cap, int flags)
{
	static const char hex[] = "0123456789abcdef";
	size_t used = 0, i;

	if (!s || n == 0) {
		out_mem(o, "-", 1);
		return;
	}
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (must_escape(c, flags)) {
			char esc[4] = {'\\', 'x', hex[c >> 4], hex[c & 0xf]};

			if (used + 4 > cap)
				break;
			out_mem(o, esc, 4);
			used += 4;
		} else {
			if (used + 1 > cap)
				break;
			out_mem(o, (const char *)&c, 1);
			used++;
		}
	}
	if (i < n)
		out_mem(o, "...", 3);
}

static void out_cstr_field(struct out *o, const char *s, size_t cap, int flags)
{
	out_field(o, s, s ? strlen(s) : 0, cap, flags);
}

/* %>s: the status line the client got.  The proxy answers in HTTP/1.1. */
static void out_status_line(struct out *o, int status)
{
	const char *reason;

	if (status < 100 || status > 999) {
		out_mem(o, "-", 1);
		return;
	}
	reason = http_reason(status);
	if (reason && *reason)
		out_fmt(o, "HTTP/1.1 %d %s", status, reason);
	else
		out_fmt(o, "HTTP/1.1 %d", status);
}

/* %s */
static void out_status(struct out *o, int status)
{
	if (status < 100 || status > 999)
		out_mem(o, "-", 1);
	else
		out_fmt(o, "%d", status);
}

/* %b: body bytes, CLF style ("-" for none). */
static void out_bytes(struct out *o, uint64_t bytes)
{
	if (bytes == 0)
		out_mem(o, "-", 1);
	else
		out_fmt(o, "%" PRIu64, bytes);
}

/* %{f}T: seconds with milliseconds. */
static void out_seconds(struct out *o, uint64_t usec)
{
	out_fmt(o, "%" PRIu64 ".%03" PRIu64, usec / 1000000u, usec % 1000000u / 1000u);
}

/*
 * %t: when the request arrived, "[18/Sep/2011:19:18:28 -0400]" in local
 * time; the wall clock now, less how long the request took.
 */
static void out_clf_time(struct out *o, uint64_t usec)
{
	struct timespec now;
	struct tm tm;
	char tmp[64];
	time_t t;

	if (clock_gettime(CLOCK_REALTIME, &now) != 0) {
		out_mem(o, "[-]", 3);
		return;
	}
	t = now.tv_sec - (time_t)(usec / 1000000u);
	if ((uint64_t)now.tv_nsec / 1000u < usec % 1000000u)
		t--;
	if (!localtime_r(&t, &tm) ||
	    strftime(tmp, sizeof(tmp), "[%d/%b/%Y:%H:%M:%S %z]", &tm) == 0) {
		out_mem(o, "[-]", 3);
		return;
	}
	out_str(o, tmp);
}

/*
 * " (service -> backend) 0.012 sec" for detailed; extended puts the Host in
 * front: " (host/service -> backend) 0.012 sec".
 */
static void out_route_time(struct out *o, const struct log_req *r, int with_host)
{
	out_mem(o, " (", 2);
	if (with_host) {
		out_field(o, r->host, r->host_len, CAP_HOST, ESC_SPACE);
		out_mem(o, "/", 1);
	}
	out_cstr_field(o, r->service, CAP_NAME, ESC_SPACE);
	out_mem(o, " -> ", 4);
	out_cstr_field(o, r->backend, CAP_NAME, ESC_SPACE);
	out_mem(o, ") ", 2);
	out_seconds(o, r->usec);
	out_mem(o, " sec", 4);
}

/* "%a %r - %>s", and for extended the routing and time after it. */
static void format_regular(struct out *o, const struct log_req *r, int extended)
{
	out_cstr_field(o, r->client, CAP_ADDR, ESC_SPACE);
	out_mem(o, " ", 1);
	out_field(o, r->reqline, r->reqline_len, CAP_REQLINE, 0);
	out_mem(o, " - ", 3);
	out_status_line(o, r->status);
	if (extended)
		out_route_time(o, r, 1);
}

/* Combined Log Format, optionally led by the virtual host. */
static void format_combined(struct out *o, const struct log_req *r, int vhost, int detailed)
{
	if (vhost) {
		out_field(o, r->host, r->host_len, CAP_HOST, ESC_SPACE);
		out_mem(o, " ", 1);
	}
	out_cstr_field(o, r->client, CAP_ADDR, ESC_SPACE);
	out_mem(o, " - ", 3);
	out_cstr_field(o, r->user, CAP_USER, ESC_SPACE);
	out_mem(o, " ", 1);
	out_clf_time(o, r->usec);
	out_mem(o, " \"", 2);
	out_field(o, r->reqline, r->reqline_len, CAP_REQLINE, 0);
	out_mem(o, "\" ", 2);
	out_status(o, r->status);
	out_mem(o, " ", 1);
	out_bytes(o, r->bytes);
	out_mem(o, " \"", 2);
	out_field(o, r->referer, r->referer_len, CAP_REFERER, 0);
	out_mem(o, "\" \"", 3);
	out_field(o, r->user_agent, r->user_agent_len, CAP_AGENT, 0);
	out_mem(o, "\"", 1);
	if (detailed)
		out_route_time(o, r, 0);
}

size_t log_format_request(int level, const struct log_req *r, char *buf, size_t len)
{
	struct out o = {buf, len, 0};

	if (len > 0)
		buf[0] = '\0';
	switch (level) {
	case 1:
		format_regular(&o, r, 0);
		break;
	case 2:
		format_regular(&o, r, 1);
		break;
	case 3:
		format_combined(&o, r, 1, 0);
		break;
	case 4:
		format_combined(&o, r, 0, 0);
		break;
	case 5:
		format_combined(&o, r, 1, 1);
		break;
	default: /* 0, or anything the config check should have refused */
		break;
	}
	return o.pos;
}

void log_request(int level, const struct log_req *r)
{
	char line[LOG_LINE_MAX];

	if (log_format_request(level, r, line, sizeof(line)) > 0)
		sink_write(LOG_INFO, line);
}

size_t log_format_refused(const char *client, const char *reqline, size_t reqline_len, int status,
			  const char *reason, char *buf, size_t len)
{
	struct out o = {buf, len, 0};

	if (len > 0)
		buf[0] = '\0';
	out_str(&o, "refused ");
	out_cstr_field(&o, client, CAP_ADDR, ESC_SPACE);
	out_mem(&o, " \"", 2);
	out_field(&o, reqline, reqline ? reqline_len : 0, CAP_REQLINE, 0);
	out_mem(&o, "\" ", 2);
	if (status >= 100 && status <= 999)
		out_fmt(&o, "%d", status);
	else
		out_mem(&o, "-", 1);
	out_mem(&o, " ", 1);
	out_cstr_field(&o, reason, CAP_NAME, ESC_SPACE);
	return o.pos;
}

void log_refused(const char *client, const char *reqline, size_t reqline_len, int status,
		 const char *reason)
{
	char line[LOG_LINE_MAX];

	if (log_format_refused(client, reqline, reqline_len, status, reason, line, sizeof(line)) > 0)
		sink_write(LOG_NOTICE, line);
}

size_t log_format_cut(const struct log_req *r, const char *why, uint64_t from_client, char *buf,
		      size_t len)
{
	struct out o = {buf, len, 0};

	if (len > 0)
		buf[0] = '\0';
	out_str(&o, "cut ");
	out_cstr_field(&o, r->client, CAP_ADDR, ESC_SPACE);
	out_mem(&o, " \"", 2);
	out_field(&o, r->reqline, r->reqline ? r->reqline_len : 0, CAP_REQLINE, 0);
	out_mem(&o, "\" ", 2);
	out_cstr_field(&o, why, CAP_NAME, ESC_SPACE);
	if (r->status >= 100 && r->status <= 999)
		out_fmt(&o, " status=%d", r->status);
	else
		out_str(&o, " status=-");
	out_str(&o, " backend=");
	out_cstr_field(&o, r->backend, CAP_ADDR, ESC_SPACE);
	out_fmt(&o, " to_client=%" PRIu64 " from_client=%" PRIu64 " secs=%" PRIu64 ".%01" PRIu64,
		r->bytes, from_client, r->usec / 1000000, r->usec / 100000 % 10);
	return o.pos;
}

void log_cut(const struct log_req *r, const char *why, uint64_t from_client)
{
	char line[LOG_LINE_MAX];

	if (log_format_cut(r, why, from_client, line, sizeof(line)) > 0)
		sink_write(LOG_WARNING, line);
}

void log_init(int to_stderr, int facility, int verbose)
{
	log_verbose = verbose;
	/* Load the time zone now: after chroot /etc/localtime is out of reach. */
	tzset();
	sink_open("pinfold", to_stderr, facility);
}

void log_msg(int prio, const char *fmt, ...)
{
	char raw[LOG_MSG_MAX], line[LOG_MSG_MAX];
	struct out o = {line, sizeof(line), 0};
	int saved = errno; /* "log, then return -1 with errno" must still work */
	va_list ap;
	int n;

	if (prio >= LOG_DEBUG && !log_verbose)
		return;
	va_start(ap, fmt);
	n = vsnprintf(raw, sizeof(raw), fmt, ap);
	va_end(ap);
	if (n < 0)
		goto out;
	if ((size_t)n >= sizeof(raw))
		n = (int)sizeof(raw) - 1;
	/* Messages quote requests and config text: keep them on one line. */
	out_field(&o, raw, (size_t)n, sizeof(line) - 4, ESC_TEXT);
	sink_write(prio, line);
out:
	errno = saved;
}
