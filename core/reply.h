/*
 * reply.h - responses the proxy writes itself: error pages and redirects.
 * Small, fixed, and they never name the software or its version.
 */
#ifndef PINFOLD_REPLY_H
#define PINFOLD_REPLY_H

#include <stddef.h>

/* An error page for `status`.  Returns the length written, or -1 if cap is too small. */
int reply_error(int status, int keep_alive, char *out, size_t cap);

/*
 * The same with more header lines: `extra` is "Name: value\r\n" lines (or "").
 * When extra sets Content-Type or Cache-Control, the page's own is left out.
 */
int reply_error_extra(int status, int keep_alive, const char *extra, char *out, size_t cap);

/* The same with a body of its own (an ErrorFile page, sent as text/html); NULL: the default. */
int reply_error_page(int status, int keep_alive, const char *extra, const char *page,
		     size_t page_len, char *out, size_t cap);

/* 200 with `body` (len bytes) of type ctype, not to be cached (an ACME challenge file). */
int reply_content(int keep_alive, const char *ctype, const char *body, size_t len, char *out,
		  size_t cap);

/*
 * A redirect to url + append (append is the request's path and query when
 * the configured URL had none; may be empty).
 */
int reply_redirect(int code, const char *url, size_t url_len, const char *append,
		   size_t append_len, int keep_alive, char *out, size_t cap);

#endif
