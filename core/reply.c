/*
 * reply.c - the proxy's own responses.
 */
#include "reply.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "http.h"

int reply_error(int status, int keep_alive, char *out, size_t cap)
{
	return reply_error_extra(status, keep_alive, "", out, cap);
}

/* Does the header block `lines` have a line named `name`? */
static int sets(const char *lines, const char *name)
{
	size_t n = strlen(name);

	for (const char *l = lines; *l;) {
		if (strncasecmp(l, name, n) == 0 && l[n] == ':')
			return 1;
		l = strchr(l, '\n');
		if (!l)
			break;
		l++;
	}
	return 0;
}

int reply_error_extra(int status, int keep_alive, const char *extra, char *out, size_t cap)
{
	return reply_error_page(status, keep_alive, extra, NULL, 0, out, cap);
}

int reply_error_page(int status, int keep_alive, const char *extra, const char *page,
		     size_t page_len, char *out, size_t cap)
{
	char body[256];
	const char *reason = http_reason(status);
	int blen, n;

	/* The default page: status and reason only, never the software or its version. */
	if (!page) {
		blen = snprintf(body, sizeof(body),
				"<!DOCTYPE html><html><head><title>%d %s</title></head>"
				"<body><h1>%d %s</h1></body></html>\n",
				status, reason, status, reason);
		if (blen < 0 || (size_t)blen >= sizeof(body))
			return -1;
		page = body;
		page_len = (size_t)blen;
	}
	n = snprintf(out, cap,
		     "HTTP/1.1 %d %s\r\n"
		     "%s"
		     "Content-Length: %zu\r\n"
		     "%s"
		     "%s"
		     "%s"
		     "\r\n",
		     status, reason, sets(extra, "Content-Type") ? "" : "Content-Type: text/html\r\n",
		     page_len, sets(extra, "Cache-Control") ? "" : "Cache-Control: no-store\r\n", extra,
		     keep_alive ? "" : "Connection: close\r\n");
	if (n < 0 || (size_t)n >= cap || cap - (size_t)n <= page_len)
		return -1;
	memcpy(out + n, page, page_len);
	out[n + page_len] = '\0';
	return n + (int)page_len;
}

int reply_content(int keep_alive, const char *ctype, const char *body, size_t len, char *out,
		  size_t cap)
{
	int n = snprintf(out, cap,
			 "HTTP/1.1 200 OK\r\n"
			 "Content-Type: %s\r\n"
			 "Content-Length: %zu\r\n"
			 "Cache-Control: no-store\r\n"
			 "%s"
			 "\r\n",
			 ctype, len, keep_alive ? "" : "Connection: close\r\n");

	if (n < 0 || (size_t)n >= cap || cap - (size_t)n <= len)
		return -1;
	memcpy(out + n, body, len);
	out[n + len] = '\0';
	return n + (int)len;
}

/* Copy s into the HTML body with the characters that matter in an attribute escaped. */
static size_t html_escape(char *dst, size_t cap, const char *s, size_t len)
{
	size_t o = 0;

	for (size_t i = 0; i < len; i++) {
		const char *rep = NULL;
		size_t rl;

		switch (s[i]) {
		case '<': rep = "&lt;"; break;
		case '>': rep = "&gt;"; break;
		case '&': rep = "&amp;"; break;
		case '"': rep = "&quot;"; break;
		case '\'': rep = "&#39;"; break;
		}
		rl = rep ? strlen(rep) : 1;
		if (o + rl >= cap)
			break;
		if (rep)
			memcpy(dst + o, rep, rl);
		else
			dst[o] = s[i];
		o += rl;
	}
	return o;
}

int reply_redirect(int code, const char *url, size_t url_len, const char *append,
		   size_t append_len, int keep_alive, char *out, size_t cap)
{
	char esc[HTTP_MAX_HEAD], body[HTTP_MAX_HEAD + 128];
	size_t elen;
	int blen, n;

	/* "https://host/" + "/path" must not become "https://host//path" */
	if (append_len && url_len && url[url_len - 1] == '/' && append[0] == '/')
		url_len--;
	elen = html_escape(esc, sizeof(esc) / 2, url, url_len);
	elen += html_escape(esc + elen, sizeof(esc) - elen, append, append_len);
	blen = snprintf(body, sizeof(body),
			"<!DOCTYPE html><html><head><title>Redirect</title></head>"
			"<body><a href=\"%.*s\">Moved here</a></body></html>\n",
			(int)elen, esc);
	if (blen < 0 || (size_t)blen >= sizeof(body))
		return -1;
	n = snprintf(out, cap,
		     "HTTP/1.1 %d %s\r\n"
		     "Location: %.*s%.*s\r\n"
		     "Content-Type: text/html\r\n"
		     "Content-Length: %d\r\n"
		     "%s"
		     "\r\n%s",
		     code, http_reason(code), (int)url_len, url, (int)append_len, append, blen,
		     keep_alive ? "" : "Connection: close\r\n", body);
	return n < 0 || (size_t)n >= cap ? -1 : n;
}
