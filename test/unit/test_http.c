/*
 * test_http.c - unit tests for core/http.c, the request/response head parser
 * and the chunked-body scanner.
 *
 * Most rules are one-line cases in the tables below (a message and the exact
 * status it must get); every one of them is also replayed a byte at a time,
 * because the proxy feeds the parser as bytes arrive and a prefix must never
 * get a different verdict than the whole.  Longer cases (limits, framing
 * outcomes, field offsets, chunked bodies) have their own functions.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "http.h"

#define H11 " HTTP/1.1\r\nHost: ex.org\r\n"

/* ---- helpers ------------------------------------------------------------------- */

static int parse_req(const char *s, size_t n, struct http_msg *m)
{
	memset(m, 0xa5, sizeof(*m)); /* stale data must not leak into a result */
	return http_parse_request(s, n, m);
}

static int parse_resp(const char *s, size_t n, int method, struct http_msg *m)
{
	memset(m, 0xa5, sizeof(*m));
	return http_parse_response(s, n, method, m);
}

static int req(const char *s, struct http_msg *m)
{
	return parse_req(s, strlen(s), m);
}

static int resp(const char *s, int method, struct http_msg *m)
{
	return parse_resp(s, strlen(s), method, m);
}

static void assert_slice(const char *buf, size_t off, size_t len, const char *want)
{
	assert_int_equal(len, strlen(want));
	assert_memory_equal(buf + off, want, len);
}

static void assert_same_msg(const struct http_msg *a, const struct http_msg *b)
{
	assert_memory_equal(a, b, offsetof(struct http_msg, hdr));
	assert_memory_equal(a->hdr, b->hdr, a->nhdr * sizeof(a->hdr[0]));
}

/*
 * Grow the buffer a byte at a time: every prefix must say "incomplete" until
 * the first one that gets a verdict, and that verdict must be the one the
 * whole message gets (a success exactly at the head's last byte).
 */
static void assert_incremental(const char *s, size_t n, int is_resp, int method)
{
	static struct http_msg whole, part;
	int w, r = 0;
	size_t k;

	w = is_resp ? parse_resp(s, n, method, &whole) : parse_req(s, n, &whole);
	for (k = 0; k <= n; k++) {
		r = is_resp ? parse_resp(s, k, method, &part) : parse_req(s, k, &part);
		if (r != 0)
			break;
	}
	assert_int_equal(r, w);
	if (w > 0) {
		assert_int_equal(k, (size_t)w);
		assert_same_msg(&whole, &part);
	}
}

/* n rather than strlen(): some cases carry a NUL. */
static void assert_req_status(const char *s, size_t n, int want)
{
	struct http_msg m;

	assert_int_equal(parse_req(s, n, &m), want);
	assert_incremental(s, n, 0, 0);
}

static void assert_resp_status(const char *s, size_t n, int method, int want)
{
	struct http_msg m;

	assert_int_equal(parse_resp(s, n, method, &m), want);
	assert_incremental(s, n, 1, method);
}

/* Parse a request that must succeed and consume all of s. */
static void req_ok(const char *s, struct http_msg *m)
{
	assert_int_equal(req(s, m), (int)strlen(s));
	assert_incremental(s, strlen(s), 0, 0);
}

static void resp_ok(const char *s, int method, struct http_msg *m)
{
	assert_int_equal(resp(s, method, m), (int)strlen(s));
	assert_incremental(s, strlen(s), 1, method);
}

/* ---- one-line request cases: message, exact result ------------------------------ */

/* clang-format off */
#define OK 1 /* stands for "the whole string is the head" */

#define REQUEST_CASES(X)                                                                   \
	/* request line */                                                                 \
	X(req_simple_get, "GET /" H11 "\r\n", OK)                                          \
	X(req_unknown_method_parses, "BREW /pot" H11 "\r\n", OK)                          \
	X(req_method_with_tchars, "X-M!#$%&'*+.^_`|~ /" H11 "\r\n", OK)                   \
	X(rej_method_bad_char, "GE(T /" H11 "\r\n", -400)                                 \
	X(rej_method_empty, " /" H11 "\r\n", -400)                                        \
	X(rej_sp_double_after_method, "GET  /" H11 "\r\n", -400)                          \
	X(rej_sp_double_after_target, "GET /  HTTP/1.1\r\nHost: ex.org\r\n\r\n", -400)    \
	X(rej_sp_trailing_after_version, "GET / HTTP/1.1 \r\nHost: ex.org\r\n\r\n", -400) \
	X(rej_tab_as_separator, "GET\t/" H11 "\r\n", -400)                                \
	X(rej_no_version_http09, "GET /\r\nHost: ex.org\r\n\r\n", -400)                   \
	X(rej_request_line_only_method, "GET\r\n\r\n", -400)                              \
	X(rej_version_2_0, "GET / HTTP/2.0\r\nHost: ex.org\r\n\r\n", -505)                \
	X(rej_version_1_2, "GET / HTTP/1.2\r\nHost: ex.org\r\n\r\n", -505)                \
	X(rej_version_0_9, "GET / HTTP/0.9\r\n\r\n", -505)                                \
	X(rej_version_lowercase, "GET / http/1.1\r\nHost: ex.org\r\n\r\n", -400)          \
	X(rej_version_no_dot, "GET / HTTP/11\r\nHost: ex.org\r\n\r\n", -400)              \
	X(rej_version_two_digits, "GET / HTTP/1.10\r\nHost: ex.org\r\n\r\n", -400)        \
	X(rej_version_garbage, "GET / FOO\r\nHost: ex.org\r\n\r\n", -400)                 \
	X(rej_version_bare_http2, "GET / HTTP/2\r\nHost: ex.org\r\n\r\n", -400)           \
	/* request-target */                                                               \
	X(rej_target_ctl, "GET /a\x01" H11 "\r\n", -400)                                  \
	X(rej_target_del, "GET /a\x7f" H11 "\r\n", -400)                                  \
	X(rej_target_high_byte, "GET /\xc3\xa9" H11 "\r\n", -400)                         \
	X(rej_target_tab, "GET /a\tb" H11 "\r\n", -400)                                   \
	X(rej_target_fragment, "GET /a#b" H11 "\r\n", -400)                               \
	X(rej_target_relative, "GET a/b" H11 "\r\n", -400)                                \
	X(req_options_star, "OPTIONS *" H11 "\r\n", OK)                                   \
	X(rej_star_with_get, "GET *" H11 "\r\n", -400)                                    \
	X(rej_star_prefix, "OPTIONS *x" H11 "\r\n", -400)                                 \
	X(req_absolute_form, "GET http://ex.org/a?b" H11 "\r\n", OK)                      \
	X(req_absolute_https_upper, "GET HTTPS://EX.org/" H11 "\r\n", OK)                 \
	X(req_absolute_no_path, "GET http://ex.org" H11 "\r\n", OK)                       \
	X(rej_absolute_host_mismatch, "GET http://other.org/" H11 "\r\n", -400)           \
	X(rej_absolute_port_mismatch, "GET http://ex.org:8080/" H11 "\r\n", -400)         \
	X(req_absolute_default_port, "GET http://ex.org:80/" H11 "\r\n", OK)              \
	X(req_absolute_spelling, "GET http://EX.org./" H11 "\r\n", OK)                    \
	X(rej_absolute_https_port, "GET https://ex.org:80/" H11 "\r\n", -400)             \
	X(rej_absolute_bad_authority, "GET http://ex..org/" H11 "\r\n", -400)             \
	X(rej_absolute_empty_authority, "GET http:///a" H11 "\r\n", -400)                 \
	X(rej_absolute_userinfo, "GET http://u@ex.org/" H11 "\r\n", -400)                 \
	X(rej_absolute_other_scheme, "GET ftp://ex.org/" H11 "\r\n", -400)                \
	X(rej_absolute_no_host_http10, "GET http://ex.org/ HTTP/1.0\r\n\r\n", -400)       \
	X(req_connect_authority, "CONNECT ex.org:443 HTTP/1.1\r\nHost: ex.org:443\r\n\r\n", \
	  OK)                                                                              \
	X(rej_connect_no_port, "CONNECT ex.org HTTP/1.1\r\nHost: ex.org\r\n\r\n", -400)   \
	X(rej_connect_origin_form, "CONNECT /" H11 "\r\n", -400)                          \
	X(rej_authority_form_with_get, "GET ex.org:443" H11 "\r\n", -400)                 \
	/* line endings */                                                                 \
	X(req_leading_crlf, "\r\n\r\nGET /" H11 "\r\n", OK)                               \
	X(req_leading_crlf_8, "\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\nGET /" H11 "\r\n", OK)     \
	X(rej_leading_crlf_9, "\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\nGET /" H11 "\r\n",   \
	  -400)                                                                            \
	X(rej_leading_bare_lf, "\nGET /" H11 "\r\n", -400)                                \
	X(rej_bare_lf_request_line, "GET / HTTP/1.1\nHost: ex.org\r\n\r\n", -400)         \
	X(rej_bare_lf_header, "GET /" H11 "X: y\n\r\n", -400)                             \
	X(rej_bare_lf_end, "GET /" H11 "\n", -400)                                        \
	X(rej_lf_only_head, "GET / HTTP/1.1\nHost: ex.org\n\n", -400)                     \
	X(rej_bare_cr_request_line, "GET /\r HTTP/1.1\r\nHost: ex.org\r\n\r\n", -400)     \
	X(rej_bare_cr_header, "GET /" H11 "X: a\rb\r\n\r\n", -400)                        \
	X(rej_bare_cr_end, "GET /" H11 "\r\r\n", -400)                                    \
	/* field lines */                                                                  \
	X(rej_space_before_colon, "GET /" H11 "X-A : b\r\n\r\n", -400)                    \
	X(rej_tab_before_colon, "GET /" H11 "X-A\t: b\r\n\r\n", -400)                     \
	X(rej_host_space_before_colon, "GET / HTTP/1.1\r\nHost : ex.org\r\n\r\n", -400)   \
	X(rej_obs_fold_space, "GET /" H11 "X-A: b\r\n c\r\n\r\n", -400)                   \
	X(rej_obs_fold_tab, "GET /" H11 "X-A: b\r\n\tc\r\n\r\n", -400)                    \
	X(rej_first_field_folded, "GET / HTTP/1.1\r\n Host: ex.org\r\n\r\n", -400)        \
	X(rej_field_no_colon, "GET /" H11 "X-A b\r\n\r\n", -400)                          \
	X(rej_field_empty_name, "GET /" H11 ": b\r\n\r\n", -400)                          \
	X(rej_field_name_bad_char, "GET /" H11 "X(A): b\r\n\r\n", -400)                   \
	X(rej_field_value_nul, "GET /" H11 "X-A: a\0b\r\n\r\n", -400)                     \
	X(rej_field_value_ctl, "GET /" H11 "X-A: a\x1b b\r\n\r\n", -400)                  \
	X(rej_field_value_del, "GET /" H11 "X-A: a\x7f\r\n\r\n", -400)                    \
	X(req_field_value_obs_text, "GET /" H11 "X-A: caf\xc3\xa9\r\n\r\n", OK)           \
	X(req_field_value_tabs, "GET /" H11 "X-A:\ta\tb\t\r\n\r\n", OK)                   \
	X(req_field_value_empty, "GET /" H11 "X-A:\r\n\r\n", OK)                          \
	/* Content-Length */                                                               \
	X(rej_cl_plus, "POST /" H11 "Content-Length: +5\r\n\r\n", -400)                   \
	X(rej_cl_minus, "POST /" H11 "Content-Length: -5\r\n\r\n", -400)                  \
	X(rej_cl_inner_space, "POST /" H11 "Content-Length: 1 2\r\n\r\n", -400)           \
	X(rej_cl_list, "POST /" H11 "Content-Length: 5, 5\r\n\r\n", -400)                 \
	X(rej_cl_list_no_space, "POST /" H11 "Content-Length: 5,5\r\n\r\n", -400)         \
	X(rej_cl_empty, "POST /" H11 "Content-Length:\r\n\r\n", -400)                     \
	X(rej_cl_hex, "POST /" H11 "Content-Length: 0x10\r\n\r\n", -400)                  \
	X(rej_cl_overflow, "POST /" H11 "Content-Length: 18446744073709551616\r\n\r\n",   \
	  -400)                                                                            \
	X(rej_cl_overflow_long, "POST /" H11                                             \
	  "Content-Length: 99999999999999999999999999\r\n\r\n", -400)                      \
	X(rej_cl_twice_same, "POST /" H11 "Content-Length: 5\r\nContent-Length: 5\r\n\r\n", \
	  -400)                                                                            \
	X(rej_cl_twice_differ, "POST /" H11                                              \
	  "Content-Length: 5\r\ncontent-length: 6\r\n\r\n", -400)                          \
	/* Transfer-Encoding */                                                            \
	X(rej_te_gzip_chunked, "POST /" H11 "Transfer-Encoding: gzip, chunked\r\n\r\n", -501) \
	X(rej_te_chunked_gzip, "POST /" H11 "Transfer-Encoding: chunked, gzip\r\n\r\n", -501) \
	X(rej_te_gzip, "POST /" H11 "Transfer-Encoding: gzip\r\n\r\n", -501)              \
	X(rej_te_identity, "POST /" H11 "Transfer-Encoding: identity\r\n\r\n", -501)      \
	X(rej_te_chunked_param, "POST /" H11 "Transfer-Encoding: chunked;q=1\r\n\r\n", -501) \
	X(rej_te_split_gzip_then_chunked, "POST /" H11                                   \
	  "Transfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n", -501)           \
	X(rej_te_chunked_twice, "POST /" H11 "Transfer-Encoding: chunked, chunked\r\n\r\n", \
	  -400)                                                                            \
	X(rej_te_chunked_twice_apart, "POST /" H11                                       \
	  "Transfer-Encoding: chunked, gzip, chunked\r\n\r\n", -400)                       \
	X(rej_te_chunked_two_fields, "POST /" H11                                        \
	  "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n", -400)        \
	X(rej_te_empty_element_lead, "POST /" H11 "Transfer-Encoding: , chunked\r\n\r\n", -400) \
	X(rej_te_empty_element_tail, "POST /" H11 "Transfer-Encoding: chunked,\r\n\r\n", -400) \
	X(rej_te_empty_value, "POST /" H11 "Transfer-Encoding:\r\n\r\n", -400)            \
	X(rej_te_with_cl, "POST /" H11                                                   \
	  "Transfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n", -400)                 \
	X(rej_cl_with_te, "POST /" H11                                                   \
	  "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n", -400)                 \
	X(rej_te_http10, "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", -400)   \
	X(rej_te_space_before_colon, "POST /" H11                                        \
	  "Transfer-Encoding : chunked\r\n\r\n", -400)                                     \
	/* Host */                                                                         \
	X(rej_host_missing_11, "GET / HTTP/1.1\r\n\r\n", -400)                            \
	X(rej_host_twice, "GET /" H11 "Host: ex.org\r\n\r\n", -400)                       \
	X(rej_host_twice_http10, "GET / HTTP/1.0\r\nHost: a\r\nHost: b\r\n\r\n", -400)    \
	X(rej_host_empty, "GET / HTTP/1.1\r\nHost:\r\n\r\n", -400)                        \
	X(rej_host_empty_http10, "GET / HTTP/1.0\r\nHost: \r\n\r\n", -400)                \
	X(req_host_missing_10, "GET / HTTP/1.0\r\n\r\n", OK)                              \
	X(req_host_port, "GET / HTTP/1.1\r\nHost: ex.org:8123\r\n\r\n", OK)               \
	X(req_host_ipv4, "GET / HTTP/1.1\r\nHost: 192.168.1.10:8123\r\n\r\n", OK)         \
	X(req_host_ipv6, "GET / HTTP/1.1\r\nHost: [::1]:8123\r\n\r\n", OK)                \
	X(req_host_ipv6_full, "GET / HTTP/1.1\r\nHost: [2001:db8:0:0:0:0:2:1]\r\n\r\n", OK) \
	X(req_host_ipv6_v4tail, "GET / HTTP/1.1\r\nHost: [::ffff:10.0.0.1]\r\n\r\n", OK)  \
	X(req_host_trailing_dot, "GET / HTTP/1.1\r\nHost: ex.org.\r\n\r\n", OK)           \
	X(req_host_underscore, "GET / HTTP/1.1\r\nHost: my_host.lan\r\n\r\n", OK)         \
	X(rej_host_space_inside, "GET / HTTP/1.1\r\nHost: ex .org\r\n\r\n", -400)         \
	X(rej_host_userinfo, "GET / HTTP/1.1\r\nHost: u@ex.org\r\n\r\n", -400)            \
	X(rej_host_percent, "GET / HTTP/1.1\r\nHost: ex%2eorg\r\n\r\n", -400)             \
	X(rej_host_slash, "GET / HTTP/1.1\r\nHost: ex.org/a\r\n\r\n", -400)               \
	X(rej_host_empty_label, "GET / HTTP/1.1\r\nHost: ex..org\r\n\r\n", -400)          \
	X(rej_host_leading_dot, "GET / HTTP/1.1\r\nHost: .ex.org\r\n\r\n", -400)          \
	X(rej_host_empty_port, "GET / HTTP/1.1\r\nHost: ex.org:\r\n\r\n", -400)           \
	X(rej_host_port_alpha, "GET / HTTP/1.1\r\nHost: ex.org:http\r\n\r\n", -400)       \
	X(rej_host_port_big, "GET / HTTP/1.1\r\nHost: ex.org:65536\r\n\r\n", -400)        \
	X(rej_host_port_long, "GET / HTTP/1.1\r\nHost: ex.org:000080\r\n\r\n", -400)      \
	X(rej_host_two_ports, "GET / HTTP/1.1\r\nHost: ex.org:1:2\r\n\r\n", -400)         \
	X(rej_host_ipv4_octet, "GET / HTTP/1.1\r\nHost: 1.2.3.256\r\n\r\n", -400)         \
	X(rej_host_ipv4_octal, "GET / HTTP/1.1\r\nHost: 010.0.0.1\r\n\r\n", -400)         \
	X(rej_host_ipv4_short, "GET / HTTP/1.1\r\nHost: 127.1\r\n\r\n", -400)             \
	X(rej_host_ipv4_number, "GET / HTTP/1.1\r\nHost: 2130706433\r\n\r\n", -400)       \
	X(rej_host_ipv6_unclosed, "GET / HTTP/1.1\r\nHost: [::1\r\n\r\n", -400)           \
	X(rej_host_ipv6_bad_hex, "GET / HTTP/1.1\r\nHost: [fz::1]\r\n\r\n", -400)         \
	X(rej_host_ipv6_two_gaps, "GET / HTTP/1.1\r\nHost: [1::2::3]\r\n\r\n", -400)      \
	X(rej_host_ipv6_short, "GET / HTTP/1.1\r\nHost: [1:2:3]\r\n\r\n", -400)           \
	X(rej_host_ipv6_zone, "GET / HTTP/1.1\r\nHost: [fe80::1%25eth0]\r\n\r\n", -400)   \
	X(rej_host_ipv6_junk_after, "GET / HTTP/1.1\r\nHost: [::1]x\r\n\r\n", -400)       \
	X(rej_host_label_too_long, "GET / HTTP/1.1\r\nHost: "                            \
	  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.org\r\n\r\n", -400)

/* ---- one-line response cases: message, the request's method, exact result --------- */

#define RESPONSE_CASES(X)                                                                  \
	X(resp_ok_length, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n", M_GET, OK)      \
	X(resp_empty_reason_sp, "HTTP/1.1 200 \r\nContent-Length: 0\r\n\r\n", M_GET, OK)  \
	X(resp_empty_reason_no_sp, "HTTP/1.1 200\r\nContent-Length: 0\r\n\r\n", M_GET, OK) \
	X(resp_reason_obs_text, "HTTP/1.1 200 D\xfcrfen\r\n\r\n", M_GET, OK)              \
	X(rej_resp_status_99, "HTTP/1.1 099 X\r\n\r\n", M_GET, -502)                      \
	X(rej_resp_status_600, "HTTP/1.1 600 X\r\n\r\n", M_GET, -502)                     \
	X(rej_resp_status_two_digits, "HTTP/1.1 20 OK\r\n\r\n", M_GET, -502)              \
	X(rej_resp_status_four_digits, "HTTP/1.1 2000 OK\r\n\r\n", M_GET, -502)           \
	X(rej_resp_status_alpha, "HTTP/1.1 2x0 OK\r\n\r\n", M_GET, -502)                  \
	X(rej_resp_version_2, "HTTP/2.0 200 OK\r\n\r\n", M_GET, -502)                     \
	X(rej_resp_version_garbage, "HTTX/1.1 200 OK\r\n\r\n", M_GET, -502)               \
	X(rej_resp_double_sp, "HTTP/1.1  200 OK\r\n\r\n", M_GET, -502)                    \
	X(rej_resp_reason_ctl, "HTTP/1.1 200 O\x01K\r\n\r\n", M_GET, -502)                \
	X(rej_resp_bare_lf, "HTTP/1.1 200 OK\nContent-Length: 0\r\n\r\n", M_GET, -502)    \
	X(rej_resp_bare_cr, "HTTP/1.1 200 OK\r\nX: a\rb\r\n\r\n", M_GET, -502)            \
	X(rej_resp_leading_crlf, "\r\nHTTP/1.1 200 OK\r\n\r\n", M_GET, -502)              \
	X(rej_resp_obs_fold, "HTTP/1.1 200 OK\r\nX: a\r\n b\r\n\r\n", M_GET, -502)        \
	X(rej_resp_space_before_colon, "HTTP/1.1 200 OK\r\nX : a\r\n\r\n", M_GET, -502)   \
	X(rej_resp_cl_twice, "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n"                   \
	  "Content-Length: 1\r\n\r\n", M_GET, -502)                                        \
	X(rej_resp_cl_bad, "HTTP/1.1 200 OK\r\nContent-Length: 1a\r\n\r\n", M_GET, -502)  \
	X(rej_resp_cl_and_te, "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n"                  \
	  "Transfer-Encoding: chunked\r\n\r\n", M_GET, -502)                               \
	X(rej_resp_te_chunked_twice, "HTTP/1.1 200 OK\r\n"                                \
	  "Transfer-Encoding: chunked, chunked\r\n\r\n", M_GET, -502)                      \
	X(rej_resp_te_empty_element, "HTTP/1.1 200 OK\r\n"                                \
	  "Transfer-Encoding: gzip,,chunked\r\n\r\n", M_GET, -502)                         \
	X(rej_resp_te_http10, "HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",    \
	  M_GET, -502)                                                                     \
	X(rej_resp_bad_cl_even_for_head, "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", \
	  M_HEAD, -502)                                                                    \
	X(rej_resp_no_status, "HTTP/1.1\r\n\r\n", M_GET, -502)

#define DEFINE_REQUEST_CASE(name, text, want)                                              \
	static void name(void **state)                                                     \
	{                                                                                  \
		(void)state;                                                               \
		assert_req_status(text, sizeof(text) - 1,                                  \
				  (want) == OK ? (int)sizeof(text) - 1 : (want));          \
	}
REQUEST_CASES(DEFINE_REQUEST_CASE)

#define DEFINE_RESPONSE_CASE(name, text, method, want)                                     \
	static void name(void **state)                                                     \
	{                                                                                  \
		(void)state;                                                               \
		assert_resp_status(text, sizeof(text) - 1, method,                         \
				   (want) == OK ? (int)sizeof(text) - 1 : (want));         \
	}
RESPONSE_CASES(DEFINE_RESPONSE_CASE)
/* clang-format on */

/* ---- requests: what a successful parse reports ----------------------------------- */

static void req_fields_and_offsets(void **state)
{
	const char *s = "GET /api/states?x=1 HTTP/1.1\r\nHost: ha.lan:8123\r\n"
	                "User-Agent:   curl/8 \t\r\nAccept:*/*\r\n\r\n";
	struct http_msg m;

	(void)state;
	req_ok(s, &m);
	assert_int_equal(m.method, M_GET);
	assert_slice(s, m.method_off, m.method_len, "GET");
	assert_slice(s, m.target_off, m.target_len, "/api/states?x=1");
	assert_int_equal(m.path_len, strlen("/api/states"));
	assert_int_equal(m.version_minor, 1);
	assert_int_equal(m.head_len, strlen(s));
	assert_int_equal(m.nhdr, 3);
	assert_int_equal(m.host_idx, 0);
	assert_int_equal(m.hdr[0].id, HDR_HOST);
	assert_slice(s, m.hdr[0].value_off, m.hdr[0].value_len, "ha.lan:8123");
	assert_slice(s, m.hdr[1].name_off, m.hdr[1].name_len, "User-Agent");
	assert_slice(s, m.hdr[1].value_off, m.hdr[1].value_len, "curl/8");
	assert_slice(s, m.hdr[1].line_off, m.hdr[1].line_len, "User-Agent:   curl/8 \t");
	assert_slice(s, m.hdr[2].value_off, m.hdr[2].value_len, "*/*");
	assert_int_equal(m.hdr[2].flags, 0);
	assert_int_equal(m.body, BODY_NONE);
	assert_true(m.keep_alive);
	assert_false(m.upgrade);
	assert_false(m.expect_continue);
}

static void req_every_known_method(void **state)
{
	char buf[128];
	struct http_msg m;
	int i;

	(void)state;
	for (i = 1; i < M__COUNT; i++) {
		const char *t = i == M_CONNECT ? "ex.org:443" : i == M_OPTIONS ? "*" : "/";

		snprintf(buf, sizeof(buf), "%s %s HTTP/1.1\r\nHost: ex.org:443\r\n\r\n",
		         http_method_name(i), t);
		assert_int_equal(req(buf, &m), (int)strlen(buf));
		assert_int_equal(m.method, i);
	}
}

static void req_methods_case_sensitive(void **state)
{
	struct http_msg m;

	(void)state;
	req_ok("get /" H11 "\r\n", &m);
	assert_int_equal(m.method, M_UNKNOWN);
	req_ok("Post /" H11 "\r\n", &m);
	assert_int_equal(m.method, M_UNKNOWN);
	req_ok("GETX /" H11 "\r\n", &m);
	assert_int_equal(m.method, M_UNKNOWN);
	assert_int_equal(m.method_len, 4);
}

/* Every byte as the second letter of a method: accepted exactly when it is a tchar. */
static void req_method_tchar_set(void **state)
{
	const char *tchars = "!#$%&'*+-.^_`|~";
	char buf[64];
	struct http_msg m;
	int c;

	(void)state;
	for (c = 1; c < 256; c++) {
		int is_tchar = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
		               (c >= 'A' && c <= 'Z') || strchr(tchars, c) != NULL;
		size_t n = (size_t)snprintf(buf, sizeof(buf), "G%cT /" H11 "\r\n", c);
		int r = parse_req(buf, n, &m);

		if (c == ' ' || c == '\r' || c == '\n')
			continue; /* those change the line structure; covered elsewhere */
		assert_int_equal(r, is_tchar ? (int)n : -400);
	}
}

static void req_path_len(void **state)
{
	struct http_msg m;

	(void)state;
	req_ok("GET /a/b?c=d?e" H11 "\r\n", &m);
	assert_int_equal(m.path_len, 4);
	assert_int_equal(m.target_len, 10);
	req_ok("GET /?" H11 "\r\n", &m);
	assert_int_equal(m.path_len, 1);
	req_ok("GET http://ex.org/p?q" H11 "\r\n", &m);
	assert_int_equal(m.path_len, strlen("http://ex.org/p"));
}

static void req_absolute_form_host_case(void **state)
{
	struct http_msg m;

	(void)state;
	req_ok("GET http://EX.ORG:8123/x HTTP/1.1\r\nHost: ex.org:8123\r\n\r\n", &m);
	assert_slice("GET http://EX.ORG:8123/x", m.target_off, m.target_len,
	             "http://EX.ORG:8123/x");
	assert_int_equal(m.host_idx, 0);
}

static void req_leading_crlf_counted(void **state)
{
	const char *s = "\r\n\r\nGET / HTTP/1.0\r\n\r\n";
	struct http_msg m;

	(void)state;
	req_ok(s, &m);
	assert_int_equal(m.method_off, 4);
	assert_int_equal(m.head_len, strlen(s));
	assert_int_equal(m.version_minor, 0);
	assert_int_equal(m.host_idx, -1);
}

static void req_header_ids(void **state)
{
	static const struct {
		const char *name;
		int id;
	} ids[] = {
	    {"Content-Length", HDR_CONTENT_LENGTH},
	    {"connection", HDR_CONNECTION},
	    {"KEEP-ALIVE", HDR_KEEP_ALIVE},
	    {"te", HDR_TE},
	    {"Trailer", HDR_TRAILER},
	    {"upgrade", HDR_UPGRADE},
	    {"Expect", HDR_EXPECT},
	    {"Proxy-Connection", HDR_PROXY_OTHER},
	    {"proxy-authorization", HDR_PROXY_OTHER},
	    {"Proxy-X", HDR_PROXY_OTHER},
	    {"x-forwarded-for", HDR_X_FORWARDED_FOR},
	    {"X-Forwarded-Proto", HDR_X_FORWARDED_PROTO},
	    {"X-Forwarded-Host", HDR_X_FORWARDED_HOST},
	    {"X-Forwarded-Port", HDR_X_FORWARDED_PORT},
	    {"X-Real-Ip", HDR_X_REAL_IP},
	    {"Forwarded", HDR_FORWARDED},
	    {"X-Client-IP", HDR_X_CLIENT_IP},
	    {"True-Client-IP", HDR_TRUE_CLIENT_IP},
	    {"X-Forwarded", HDR_SPOOF_OTHER},
	    {"Proxy", HDR_PROXY_OTHER},
	    {"X-Forwarded-Ssl", HDR_SPOOF_OTHER},
	    {"x-forwarded-prefix", HDR_SPOOF_OTHER},
	    {"X-Forwarded-", HDR_OTHER},
	    {"Front-End-Https", HDR_SPOOF_OTHER},
	    {"X-Originating-IP", HDR_SPOOF_OTHER},
	    {"cf-connecting-ip", HDR_SPOOF_OTHER},
	    {"X-Cluster-Client-IP", HDR_SPOOF_OTHER},
	    {"Client-IP", HDR_SPOOF_OTHER},
	    {"X-Url-Scheme", HDR_SPOOF_OTHER},
	    {"X-Host", HDR_SPOOF_OTHER},
	    {"X-Original-URL", HDR_SPOOF_OTHER},
	    {"X-Rewrite-URL", HDR_SPOOF_OTHER},
	    {"X-Original-Forwarded-For", HDR_SPOOF_OTHER},
	    {"Client-IPs", HDR_OTHER},
	    {"Hostx", HDR_OTHER},
	    {"Transfer-Encodin", HDR_OTHER},
	};
	char buf[256];
	struct http_msg m;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		int n;

		if (ids[i].id == HDR_CONTENT_LENGTH || ids[i].id == HDR_UPGRADE)
			n = snprintf(buf, sizeof(buf), "GET /" H11 "%s: 0\r\n\r\n", ids[i].name);
		else
			n = snprintf(buf, sizeof(buf), "GET /" H11 "%s: v\r\n\r\n", ids[i].name);
		assert_int_equal(req(buf, &m), n);
		assert_int_equal(m.nhdr, 2);
		assert_int_equal(m.hdr[1].id, ids[i].id);
	}
	req_ok("GET / HTTP/1.1\r\nhOsT: ex.org\r\n\r\n", &m);
	assert_int_equal(m.hdr[0].id, HDR_HOST);
}

static void req_content_length(void **state)
{
	struct http_msg m;

	(void)state;
	req_ok("POST /" H11 "Content-Length: 42\r\n\r\n", &m);
	assert_int_equal(m.body, BODY_LENGTH);
	assert_int_equal(m.content_length, 42);
	req_ok("POST /" H11 "Content-Length:  007 \r\n\r\n", &m);
	assert_int_equal(m.body, BODY_LENGTH);
	assert_int_equal(m.content_length, 7);
	req_ok("POST /" H11 "Content-Length: 18446744073709551615\r\n\r\n", &m);
	assert_int_equal(m.body, BODY_LENGTH);
	assert_true(m.content_length == UINT64_MAX);
}

static void req_content_length_zero_is_none(void **state)
{
	struct http_msg m;

	(void)state;
	req_ok("POST /" H11 "Content-Length: 0\r\n\r\n", &m);
	assert_int_equal(m.body, BODY_NONE);
	assert_int_equal(m.content_length, 0);
}

static void req_chunked(void **state)
{
	struct http_msg m;

	(void)state;
	req_ok("POST /" H11 "Transfer-Encoding: chunked\r\n\r\n", &m);
	assert_int_equal(m.body, BODY_CHUNKED);
	req_ok("POST /" H11 "Transfer-Encoding:  CHUNKED \r\n\r\n", &m);
	assert_int_equal(m.body, BODY_CHUNKED);
}

static void req_keep_alive_rules(void **state)
{
	struct http_msg m;

	(void)state;
	req_ok("GET /" H11 "\r\n", &m);
	assert_true(m.keep_alive);
	req_ok("GET /" H11 "Connection: close\r\n\r\n", &m);
	assert_false(m.keep_alive);
	req_ok("GET /" H11 "Connection: keep-alive, CLOSE\r\n\r\n", &m);
	assert_false(m.keep_alive);
	req_ok("GET /" H11 "Connection: x\r\nConnection: close\r\n\r\n", &m);
	assert_false(m.keep_alive);
	req_ok("GET /" H11 "Connection: closed\r\n\r\n", &m);
	assert_true(m.keep_alive);
	req_ok("GET / HTTP/1.0\r\n\r\n", &m);
	assert_false(m.keep_alive);
	req_ok("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", &m);
	assert_true(m.keep_alive);
	req_ok("GET / HTTP/1.0\r\nConnection: keep-alive, close\r\n\r\n", &m);
	assert_false(m.keep_alive);
}

static void req_upgrade_rules(void **state)
{
	struct http_msg m;

	(void)state;
	req_ok("GET /api/websocket" H11 "Connection: Upgrade\r\nUpgrade: websocket\r\n\r\n", &m);
	assert_true(m.upgrade);
	req_ok("GET /" H11 "Connection: keep-alive, upgrade\r\nUpgrade: websocket\r\n\r\n", &m);
	assert_true(m.upgrade);
	req_ok("GET /" H11 "Connection: Upgrade\r\n\r\n", &m);
	assert_false(m.upgrade);
	req_ok("GET /" H11 "Upgrade: websocket\r\n\r\n", &m);
	assert_false(m.upgrade);
	req_ok("GET / HTTP/1.0\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n", &m);
	assert_false(m.upgrade);
}

static void req_expect_rules(void **state)
{
	struct http_msg m;

	(void)state;
	req_ok("PUT /" H11 "Expect: 100-continue\r\nContent-Length: 1\r\n\r\n", &m);
	assert_true(m.expect_continue);
	req_ok("PUT /" H11 "Expect: 100-Continue\r\n\r\n", &m);
	assert_true(m.expect_continue);
	req_ok("PUT /" H11 "Expect: 200-ok\r\n\r\n", &m);
	assert_false(m.expect_continue);
	req_ok("PUT / HTTP/1.0\r\nExpect: 100-continue\r\n\r\n", &m);
	assert_false(m.expect_continue);
}

/* Two heads in one buffer: each parse takes exactly its own. */
static void req_pipelined(void **state)
{
	const char *a = "GET /a HTTP/1.1\r\nHost: ex.org\r\n\r\n";
	const char *b = "POST /b HTTP/1.1\r\nHost: ex.org\r\nContent-Length: 0\r\n\r\n";
	char buf[256];
	struct http_msg m;
	int r;

	(void)state;
	snprintf(buf, sizeof(buf), "%s%s", a, b);
	r = req(buf, &m);
	assert_int_equal(r, strlen(a));
	assert_slice(buf, m.target_off, m.target_len, "/a");
	assert_int_equal(req(buf + r, &m), strlen(b));
	assert_int_equal(m.method, M_POST);
}

/* Garbage right after a complete head belongs to the next message, not this one. */
static void req_pipelined_garbage_after(void **state)
{
	const char *s = "GET / HTTP/1.1\r\nHost: ex.org\r\n\r\n\n\x01garbage\r";
	struct http_msg m;

	(void)state;
	assert_int_equal(req(s, &m), strlen("GET / HTTP/1.1\r\nHost: ex.org\r\n\r\n"));
}

static void req_incomplete_prefixes(void **state)
{
	const char *s = "\r\nPOST /x?y HTTP/1.1\r\nHost: ex.org\r\nContent-Length: 3\r\n\r\nabc";
	size_t head = strlen(s) - 3, k;
	struct http_msg m;

	(void)state;
	for (k = 0; k < head; k++)
		assert_int_equal(parse_req(s, k, &m), 0);
	assert_int_equal(parse_req(s, head, &m), (int)head);
	assert_incremental(s, strlen(s), 0, 0);
}

/* ---- limits --------------------------------------------------------------------- */

static char big[HTTP_MAX_HEAD + 4096];

/* A request whose line is exactly `line` bytes (without CRLF). */
static size_t make_long_line(size_t line)
{
	const char *tail = " HTTP/1.1\r\nHost: ex.org\r\n\r\n";
	size_t n = line - strlen("GET /") - strlen(" HTTP/1.1");

	memcpy(big, "GET /", 5);
	memset(big + 5, 'a', n);
	memcpy(big + 5 + n, tail, strlen(tail));
	return 5 + n + strlen(tail);
}

static void limit_line_at_max(void **state)
{
	struct http_msg m;
	size_t n = make_long_line(HTTP_MAX_LINE);

	(void)state;
	assert_int_equal(parse_req(big, n, &m), (int)n);
	assert_int_equal(m.target_len, HTTP_MAX_LINE - 4 - 9);
}

static void limit_line_over_max(void **state)
{
	struct http_msg m;
	size_t n = make_long_line(HTTP_MAX_LINE + 1);

	(void)state;
	assert_int_equal(parse_req(big, n, &m), -414);
}

/* 414 already while the line is incomplete, as soon as it is too long. */
static void limit_line_incomplete(void **state)
{
	struct http_msg m;

	(void)state;
	make_long_line(HTTP_MAX_LINE + 1);
	assert_int_equal(parse_req(big, HTTP_MAX_LINE, &m), 0);
	assert_int_equal(parse_req(big, HTTP_MAX_LINE + 1, &m), -414);
	make_long_line(HTTP_MAX_LINE);
	/* a line of exactly the limit, waiting for its LF: still fine */
	assert_int_equal(parse_req(big, HTTP_MAX_LINE + 1, &m), 0);
}

/* The line limit does not apply to field lines: one long header is fine within the head. */
static void limit_long_field_line_ok(void **state)
{
	const char *s = "GET / HTTP/1.1\r\nHost: ex.org\r\nX: ";
	size_t n = strlen(s), v = HTTP_MAX_LINE + 100;
	struct http_msg m;

	(void)state;
	memcpy(big, s, n);
	memset(big + n, 'v', v);
	memcpy(big + n + v, "\r\n\r\n", 4);
	assert_int_equal(parse_req(big, n + v + 4, &m), (int)(n + v + 4));
	assert_int_equal(m.hdr[1].value_len, v);
}

/* A complete head of exactly `total` bytes, padded in one field. */
static size_t make_head(size_t total)
{
	const char *s = "GET / HTTP/1.1\r\nHost: ex.org\r\nX: ";
	size_t n = strlen(s), v = total - n - 4;

	memcpy(big, s, n);
	memset(big + n, 'v', v);
	memcpy(big + n + v, "\r\n\r\n", 4);
	return total;
}

static void limit_head_at_max(void **state)
{
	struct http_msg m;
	size_t n = make_head(HTTP_MAX_HEAD);

	(void)state;
	assert_int_equal(parse_req(big, n, &m), HTTP_MAX_HEAD);
	assert_int_equal(m.head_len, HTTP_MAX_HEAD);
}

static void limit_head_over_max(void **state)
{
	struct http_msg m;
	size_t n = make_head(HTTP_MAX_HEAD + 1);

	(void)state;
	assert_int_equal(parse_req(big, n, &m), -431);
	n = make_head(HTTP_MAX_HEAD + 2);
	assert_int_equal(parse_req(big, n, &m), -431);
}

static void limit_head_incomplete(void **state)
{
	struct http_msg m;

	(void)state;
	make_head(HTTP_MAX_HEAD + 100);
	assert_int_equal(parse_req(big, HTTP_MAX_HEAD - 1, &m), 0);
	assert_int_equal(parse_req(big, HTTP_MAX_HEAD, &m), -431);
	assert_int_equal(parse_req(big, HTTP_MAX_HEAD + 50, &m), -431);
}

/* A head of `nfields` fields (Host included). */
static size_t make_fields(int nfields)
{
	size_t n = (size_t)sprintf(big, "GET / HTTP/1.1\r\nHost: ex.org\r\n");
	int i;

	for (i = 1; i < nfields; i++)
		n += (size_t)sprintf(big + n, "X-%d: %d\r\n", i, i);
	n += (size_t)sprintf(big + n, "\r\n");
	return n;
}

static void limit_fields_at_max(void **state)
{
	struct http_msg m;
	size_t n = make_fields(HTTP_MAX_HEADERS);

	(void)state;
	assert_int_equal(parse_req(big, n, &m), (int)n);
	assert_int_equal(m.nhdr, HTTP_MAX_HEADERS);
	assert_slice(big, m.hdr[HTTP_MAX_HEADERS - 1].name_off,
	             m.hdr[HTTP_MAX_HEADERS - 1].name_len, "X-99");
}

static void limit_fields_over_max(void **state)
{
	struct http_msg m;
	size_t n = make_fields(HTTP_MAX_HEADERS + 1);

	(void)state;
	assert_int_equal(parse_req(big, n, &m), -431);
	/* and already before the head is complete */
	assert_int_equal(parse_req(big, n - 2, &m), -431);
}

static void limit_response_head(void **state)
{
	const char *s = "HTTP/1.1 200 OK\r\nX: ";
	size_t n = strlen(s), v = HTTP_MAX_HEAD + 10;
	struct http_msg m;

	(void)state;
	memcpy(big, s, n);
	memset(big + n, 'v', v);
	memcpy(big + n + v, "\r\n\r\n", 4);
	assert_int_equal(parse_resp(big, n + v + 4, M_GET, &m), -502);
	assert_int_equal(parse_resp(big, HTTP_MAX_HEAD, M_GET, &m), -502);
	assert_int_equal(parse_resp(big, HTTP_MAX_HEAD - 1, M_GET, &m), 0);
}

/* ---- responses: framing outcomes ---------------------------------------------------- */

static void resp_fields(void **state)
{
	const char *s = "HTTP/1.1 404 Not Found\r\nContent-Length: 9\r\nServer: ha\r\n\r\n";
	struct http_msg m;

	(void)state;
	resp_ok(s, M_GET, &m);
	assert_int_equal(m.status, 404);
	assert_slice(s, m.reason_off, m.reason_len, "Not Found");
	assert_int_equal(m.version_minor, 1);
	assert_int_equal(m.nhdr, 2);
	assert_int_equal(m.body, BODY_LENGTH);
	assert_int_equal(m.content_length, 9);
	assert_true(m.keep_alive);
	assert_int_equal(m.head_len, strlen(s));
}

static void resp_empty_reason_offsets(void **state)
{
	const char *s = "HTTP/1.1 204\r\n\r\n";
	struct http_msg m;

	(void)state;
	resp_ok(s, M_GET, &m);
	assert_int_equal(m.status, 204);
	assert_int_equal(m.reason_len, 0);
	assert_true(m.reason_off <= strlen(s));
}

static void resp_head_has_no_body(void **state)
{
	struct http_msg m;

	(void)state;
	resp_ok("HTTP/1.1 200 OK\r\nContent-Length: 1234\r\n\r\n", M_HEAD, &m);
	assert_int_equal(m.body, BODY_NONE);
	assert_true(m.keep_alive);
	resp_ok("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", M_HEAD, &m);
	assert_int_equal(m.body, BODY_NONE);
	resp_ok("HTTP/1.1 200 OK\r\n\r\n", M_HEAD, &m);
	assert_int_equal(m.body, BODY_NONE);
	assert_true(m.keep_alive);
}

static void resp_204_304_1xx_no_body(void **state)
{
	static const char *const heads[] = {
	    "HTTP/1.1 204 No Content\r\n\r\n",
	    "HTTP/1.1 304 Not Modified\r\nContent-Length: 77\r\n\r\n",
	    "HTTP/1.1 100 Continue\r\n\r\n",
	    "HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n",
	};
	struct http_msg m;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(heads) / sizeof(heads[0]); i++) {
		resp_ok(heads[i], M_GET, &m);
		assert_int_equal(m.body, BODY_NONE);
		assert_true(m.keep_alive);
	}
}

static void resp_101_upgrade(void **state)
{
	struct http_msg m;

	(void)state;
	resp_ok("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
	        "Connection: Upgrade\r\n\r\n",
	        M_GET, &m);
	assert_int_equal(m.status, 101);
	assert_int_equal(m.body, BODY_NONE);
	assert_true(m.upgrade);
}

static void resp_chunked(void **state)
{
	struct http_msg m;

	(void)state;
	resp_ok("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", M_GET, &m);
	assert_int_equal(m.body, BODY_CHUNKED);
	assert_true(m.keep_alive);
	resp_ok("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", M_GET, &m);
	assert_int_equal(m.body, BODY_CHUNKED);
	resp_ok("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n",
	        M_POST, &m);
	assert_int_equal(m.body, BODY_CHUNKED);
}

static void resp_te_not_chunked_is_close(void **state)
{
	struct http_msg m;

	(void)state;
	resp_ok("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n", M_GET, &m);
	assert_int_equal(m.body, BODY_CLOSE);
	assert_false(m.keep_alive);
	resp_ok("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip\r\n\r\n", M_GET, &m);
	assert_int_equal(m.body, BODY_CLOSE);
	assert_false(m.keep_alive);
}

static void resp_length_zero_is_none(void **state)
{
	struct http_msg m;

	(void)state;
	resp_ok("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", M_GET, &m);
	assert_int_equal(m.body, BODY_NONE);
	assert_true(m.keep_alive);
}

static void resp_close_delimited(void **state)
{
	struct http_msg m;

	(void)state;
	resp_ok("HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n", M_GET, &m);
	assert_int_equal(m.body, BODY_CLOSE);
	assert_false(m.keep_alive);
	resp_ok("HTTP/1.0 200 OK\r\nConnection: keep-alive\r\n\r\n", M_GET, &m);
	assert_int_equal(m.body, BODY_CLOSE);
	assert_false(m.keep_alive);
}

static void resp_keep_alive_rules(void **state)
{
	struct http_msg m;

	(void)state;
	resp_ok("HTTP/1.1 200 OK\r\nContent-Length: 1\r\nConnection: close\r\n\r\n", M_GET, &m);
	assert_false(m.keep_alive);
	resp_ok("HTTP/1.0 200 OK\r\nContent-Length: 1\r\n\r\n", M_GET, &m);
	assert_false(m.keep_alive);
	assert_int_equal(m.version_minor, 0);
	resp_ok("HTTP/1.0 200 OK\r\nContent-Length: 1\r\nConnection: keep-alive\r\n\r\n", M_GET,
	        &m);
	assert_true(m.keep_alive);
}

static void resp_connect_tunnel(void **state)
{
	struct http_msg m;

	(void)state;
	resp_ok("HTTP/1.1 200 Connection established\r\n\r\n", M_CONNECT, &m);
	assert_int_equal(m.body, BODY_NONE);
	resp_ok("HTTP/1.1 407 Auth\r\nContent-Length: 2\r\n\r\n", M_CONNECT, &m);
	assert_int_equal(m.body, BODY_LENGTH);
}

static void resp_pipelined_body_not_consumed(void **state)
{
	const char *s = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi";
	struct http_msg m;

	(void)state;
	assert_int_equal(resp(s, M_GET, &m), (int)strlen(s) - 2);
}

/* ---- chunked bodies ---------------------------------------------------------------- */

/* Whole buffer at once: result and used bytes. */
static int chunked_whole(const char *s, size_t n, size_t *used)
{
	struct http_chunked c;

	http_chunked_init(&c);
	return http_chunked_feed(&c, s, n, used);
}

/*
 * The same body a byte at a time, and split in two at every offset: the
 * verdict and the end position must not depend on how the bytes arrive.
 */
static void assert_chunked_splits(const char *s, size_t n)
{
	struct http_chunked c;
	size_t wused, used, total, k;
	int w = chunked_whole(s, n, &wused), r = 0;

	http_chunked_init(&c);
	for (total = 0; total < n; total++) {
		r = http_chunked_feed(&c, s + total, 1, &used);
		if (r != 0) {
			total += used;
			break;
		}
		assert_int_equal(used, 1);
	}
	assert_int_equal(r, w);
	if (w == 1)
		assert_int_equal(total, wused);
	for (k = 0; k <= n; k++) {
		http_chunked_init(&c);
		r = http_chunked_feed(&c, s, k, &used);
		total = used;
		if (r == 0) {
			assert_int_equal(used, k);
			r = http_chunked_feed(&c, s + k, n - k, &used);
			total += used;
		}
		assert_int_equal(r, w);
		if (w == 1)
			assert_int_equal(total, wused);
	}
}

static void assert_chunked(const char *s, size_t n, int want, size_t want_used)
{
	size_t used;

	assert_int_equal(chunked_whole(s, n, &used), want);
	if (want >= 0)
		assert_int_equal(used, want_used);
	assert_chunked_splits(s, n);
}

#define CHUNKED_OK(s)  assert_chunked(s, sizeof(s) - 1, 1, sizeof(s) - 1)
#define CHUNKED_BAD(s) assert_chunked(s, sizeof(s) - 1, -1, 0)

static void chunked_simple(void **state)
{
	(void)state;
	CHUNKED_OK("5\r\nhello\r\n0\r\n\r\n");
	CHUNKED_OK("1\r\na\r\n2\r\nbc\r\n3\r\ndef\r\n0\r\n\r\n");
	CHUNKED_OK("0\r\n\r\n");
}

static void chunked_hex_sizes(void **state)
{
	(void)state;
	CHUNKED_OK("A\r\n0123456789\r\n0\r\n\r\n");
	CHUNKED_OK("a\r\n0123456789\r\n00\r\n\r\n");
	CHUNKED_OK("0010\r\n0123456789abcdef\r\n0\r\n\r\n");
	CHUNKED_OK("0000000000000000\r\n\r\n"); /* 16 digits are fine */
}

static void chunked_data_may_contain_anything(void **state)
{
	(void)state;
	CHUNKED_OK("6\r\n\r\n0\r\n\n\r\n0\r\n\r\n");
	CHUNKED_OK("3\r\n\0\0\0\r\n0\r\n\r\n");
}

static void chunked_stops_at_end(void **state)
{
	const char *s = "3\r\nabc\r\n0\r\n\r\nGET / HTTP/1.1\r\n";
	size_t used;

	(void)state;
	assert_int_equal(chunked_whole(s, strlen(s), &used), 1);
	assert_int_equal(used, strlen("3\r\nabc\r\n0\r\n\r\n"));
	assert_chunked_splits(s, strlen(s));
}

static void chunked_incomplete(void **state)
{
	struct http_chunked c;
	size_t used;

	(void)state;
	http_chunked_init(&c);
	assert_int_equal(http_chunked_feed(&c, "5\r\nhel", 6, &used), 0);
	assert_int_equal(used, 6);
	assert_int_equal(http_chunked_feed(&c, "lo\r\n0\r\n", 7, &used), 0);
	assert_int_equal(used, 7);
	assert_int_equal(http_chunked_feed(&c, "", 0, &used), 0);
	assert_int_equal(used, 0);
	assert_int_equal(http_chunked_feed(&c, "\r\nNEXT", 6, &used), 1);
	assert_int_equal(used, 2);
}

static void chunked_done_is_sticky(void **state)
{
	struct http_chunked c;
	size_t used;

	(void)state;
	http_chunked_init(&c);
	assert_int_equal(http_chunked_feed(&c, "0\r\n\r\n", 5, &used), 1);
	assert_int_equal(http_chunked_feed(&c, "1\r\na\r\n", 6, &used), 1);
	assert_int_equal(used, 0);
}

static void chunked_error_is_sticky(void **state)
{
	struct http_chunked c;
	size_t used;

	(void)state;
	http_chunked_init(&c);
	assert_int_equal(http_chunked_feed(&c, "x", 1, &used), -1);
	assert_int_equal(http_chunked_feed(&c, "0\r\n\r\n", 5, &used), -1);
	assert_int_equal(http_chunked_feed(&c, "", 0, &used), -1);
}

/* Trailer fields are cut out, wherever the reads split them; the body stays. */
static void chunked_trailers_dropped(void **state)
{
	static const char in[] = "5\r\nhello\r\n0\r\nX-Forwarded-For: 6.6.6.6\r\nHost: evil\r\n\r\n"
				 "GET /next";
	static const char want[] = "5\r\nhello\r\n0\r\n\r\nGET /next";
	size_t n = sizeof(in) - 1;

	(void)state;
	/* the first `split` bytes arrive, then the rest, appended to what is left */
	for (size_t split = 0; split <= n; split++) {
		struct http_chunked c;
		char buf[128];
		size_t used = 0, cut = 0, len;
		int rc;

		memcpy(buf, in, split);
		http_chunked_init(&c);
		rc = http_chunked_feed_drop(&c, buf, split, &used, &cut);
		len = split - cut;
		memcpy(buf + len, in + split, n - split);
		len += n - split;
		if (rc != 1) {
			size_t body = used;

			rc = http_chunked_feed_drop(&c, buf + body, len - body, &used, &cut);
			used += body;
			len -= cut;
		}
		assert_int_equal(rc, 1);
		assert_int_equal(used, sizeof("5\r\nhello\r\n0\r\n\r\n") - 1);
		assert_int_equal(len, sizeof(want) - 1);
		assert_memory_equal(buf, want, len);
	}
}

/* One meaning for Host: case, the final dot and the scheme's default port. */
static void host_normalize(void **state)
{
	static const struct {
		const char *in;
		unsigned port;
		const char *out;
		size_t name;
	} cases[] = {
	    {"admin.example", 80, "admin.example", 13},
	    {"ADMIN.example.", 80, "admin.example", 13},
	    {"admin.example.:80", 80, "admin.example", 13},
	    {"Admin.Example:443", 443, "admin.example", 13},
	    {"admin.example:443", 80, "admin.example:443", 13},
	    {"admin.example:0080", 80, "admin.example", 13},
	    {"admin.example:8123", 443, "admin.example:8123", 13},
	    {"[::1]:80", 80, "[::1]", 5},
	    {"[::A]:8080", 80, "[::a]:8080", 5},
	    {"10.0.0.1", 80, "10.0.0.1", 8},
	};
	char out[HTTP_HOST_MAX];
	size_t name;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t n = http_host_normalize(cases[i].in, strlen(cases[i].in), cases[i].port, out,
					       &name);

		assert_string_equal(out, cases[i].out);
		assert_int_equal(n, strlen(cases[i].out));
		assert_int_equal(name, cases[i].name);
	}
}

static void chunked_extensions(void **state)
{
	(void)state;
	CHUNKED_OK("5;a\r\nhello\r\n0\r\n\r\n");
	CHUNKED_OK("5;a=b\r\nhello\r\n0;last\r\n\r\n");
	CHUNKED_OK("5;a=b;c;d=e\r\nhello\r\n0\r\n\r\n");
	CHUNKED_OK("5;a=\"q s;\\\"x\\\\\"\r\nhello\r\n0\r\n\r\n");
	CHUNKED_OK("5;a=\"\"\r\nhello\r\n0\r\n\r\n");
	CHUNKED_OK("5;a=\"\xe9\"\r\nhello\r\n0\r\n\r\n");
}

static void chunked_bad_extensions(void **state)
{
	(void)state;
	CHUNKED_BAD("5;\r\nhello\r\n0\r\n\r\n");
	CHUNKED_BAD("5;=b\r\nhello\r\n0\r\n\r\n");
	CHUNKED_BAD("5;a=\r\nhello\r\n0\r\n\r\n");
	CHUNKED_BAD("5;a b\r\nhello\r\n0\r\n\r\n");
	CHUNKED_BAD("5 ;a\r\nhello\r\n0\r\n\r\n");
	CHUNKED_BAD("5; a\r\nhello\r\n0\r\n\r\n");
	CHUNKED_BAD("5;a=\"open\r\nhello\r\n0\r\n\r\n");
	CHUNKED_BAD("5;a=\"x\"y\r\nhello\r\n0\r\n\r\n");
	CHUNKED_BAD("5;a=\"\x01\"\r\nhello\r\n0\r\n\r\n");
	CHUNKED_BAD("5;a=b=c\r\nhello\r\n0\r\n\r\n");
	CHUNKED_BAD("5;a\nhello\r\n0\r\n\r\n");
}

/* The size line is bounded (4096 bytes with its CR) so extensions cannot stream forever. */
static void chunked_extension_line_limit(void **state)
{
	static char s[8192];
	size_t n;

	(void)state;
	n = (size_t)sprintf(s, "1;x=");
	memset(s + n, 'v', 4092);
	n += 4092;
	n += (size_t)sprintf(s + n, "\r\na\r\n0\r\n\r\n");
	assert_chunked(s, n, -1, 0);
	n = (size_t)sprintf(s, "1;x=");
	memset(s + n, 'v', 4091);
	n += 4091;
	n += (size_t)sprintf(s + n, "\r\na\r\n0\r\n\r\n");
	assert_chunked(s, n, 1, n);
}

static void chunked_bad_sizes(void **state)
{
	(void)state;
	CHUNKED_BAD("\r\n\r\n");
	CHUNKED_BAD("-5\r\nhello\r\n0\r\n\r\n");
	CHUNKED_BAD("+5\r\nhello\r\n0\r\n\r\n");
	CHUNKED_BAD("0x5\r\nhello\r\n0\r\n\r\n");
	CHUNKED_BAD(" 5\r\nhello\r\n0\r\n\r\n");
	CHUNKED_BAD("5 \r\nhello\r\n0\r\n\r\n");
	CHUNKED_BAD("g\r\n");
	CHUNKED_BAD("5\nhello\r\n0\r\n\r\n");
	CHUNKED_BAD("5\rhello\r\n0\r\n\r\n");
}

static void chunked_size_overflow(void **state)
{
	struct http_chunked c;
	size_t used;

	(void)state;
	CHUNKED_BAD("00000000000000000\r\n\r\n"); /* 17 digits */
	CHUNKED_BAD("10000000000000000\r\n");     /* 2^64 */
	CHUNKED_BAD("fffffffffffffffff\r\n");
	/* 16 digits is the largest size and is accepted as a size */
	http_chunked_init(&c);
	assert_int_equal(http_chunked_feed(&c, "ffffffffffffffff\r\nabc", 21, &used), 0);
	assert_int_equal(used, 21);
	assert_true(c.remaining == UINT64_MAX - 3);
}

static void chunked_bad_data_end(void **state)
{
	(void)state;
	CHUNKED_BAD("5\r\nhelloX\r\n0\r\n\r\n");
	CHUNKED_BAD("5\r\nhelloX\n0\r\n\r\n");
	CHUNKED_BAD("5\r\nhello\r\r\n0\r\n\r\n");
	CHUNKED_BAD("5\r\nhello\n0\r\n\r\n");
	CHUNKED_BAD("5\r\nhello\r0\r\n\r\n");
	CHUNKED_BAD("5\r\nhello\r\n0\r\n\n");
	CHUNKED_BAD("5\r\nhello\r\n0\r\n\rX");
}

static void chunked_trailers(void **state)
{
	(void)state;
	CHUNKED_OK("0\r\nX-Sum: abc\r\n\r\n");
	CHUNKED_OK("1\r\na\r\n0\r\nA: 1\r\nB:\r\nC:  x y\t\r\n\r\n");
	CHUNKED_OK("0\r\nX-Obs: \xe9t\xe9\r\n\r\n");
}

static void chunked_bad_trailers(void **state)
{
	(void)state;
	CHUNKED_BAD("0\r\n folded\r\n\r\n");
	CHUNKED_BAD("0\r\nX-A: 1\r\n\tfold\r\n\r\n");
	CHUNKED_BAD("0\r\nNoColon\r\n\r\n");
	CHUNKED_BAD("0\r\nX A: 1\r\n\r\n");
	CHUNKED_BAD("0\r\nX-A : 1\r\n\r\n");
	CHUNKED_BAD("0\r\n: 1\r\n\r\n");
	CHUNKED_BAD("0\r\nX-A: a\0b\r\n\r\n");
	CHUNKED_BAD("0\r\nX-A: a\x7f\r\n\r\n");
	CHUNKED_BAD("0\r\nX-A: 1\n\r\n");
	CHUNKED_BAD("0\r\nX-A: 1\r\n\n");
}

static void chunked_trailer_section_limit(void **state)
{
	static char s[HTTP_MAX_HEAD + 256];
	struct http_chunked c;
	size_t n, used;
	int i;

	(void)state;
	n = (size_t)sprintf(s, "0\r\n");
	for (i = 0; n < HTTP_MAX_HEAD + 100; i++)
		n += (size_t)sprintf(s + n, "T%d: v\r\n", i);
	http_chunked_init(&c);
	assert_int_equal(http_chunked_feed(&c, s, n, &used), -1);
}

/* ---- helpers of the interface ----------------------------------------------------- */

static void hdr_has_token(void **state)
{
	const char *s = "GET / HTTP/1.1\r\nHost: ex.org\r\n"
	                "Connection:  keep-alive ,\tUpgrade,, x-y \r\n\r\n";
	struct http_msg m;
	const struct http_hdr *h;

	(void)state;
	req_ok(s, &m);
	h = &m.hdr[1];
	assert_true(http_hdr_has_token(s, h, "keep-alive"));
	assert_true(http_hdr_has_token(s, h, "upgrade"));
	assert_true(http_hdr_has_token(s, h, "UPGRADE"));
	assert_true(http_hdr_has_token(s, h, "x-y"));
	assert_false(http_hdr_has_token(s, h, "keep"));
	assert_false(http_hdr_has_token(s, h, "x"));
	assert_false(http_hdr_has_token(s, h, "close"));
	assert_false(http_hdr_has_token(s, h, ""));
}

static void hdr_name_is(void **state)
{
	const char *s = "GET / HTTP/1.1\r\nhost: ex.org\r\nX-Forwarded-For: 1.2.3.4\r\n\r\n";
	struct http_msg m;

	(void)state;
	req_ok(s, &m);
	assert_true(http_hdr_name_is(s, &m.hdr[0], "Host"));
	assert_true(http_hdr_name_is(s, &m.hdr[1], "x-forwarded-for"));
	assert_false(http_hdr_name_is(s, &m.hdr[1], "x-forwarded"));
	assert_false(http_hdr_name_is(s, &m.hdr[0], "Hosts"));
}

static void reasons(void **state)
{
	static const int codes[] = {100, 101, 200, 201, 204, 206, 301, 302, 303, 304, 307,
	                            308, 400, 401, 403, 404, 405, 408, 411, 413, 414, 415,
	                            417, 421, 429, 431, 500, 501, 502, 503, 504, 505};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(codes) / sizeof(codes[0]); i++)
		assert_true(http_reason(codes[i])[0] != '\0');
	assert_string_equal(http_reason(404), "Not Found");
	assert_string_equal(http_reason(502), "Bad Gateway");
	assert_string_equal(http_reason(431), "Request Header Fields Too Large");
	assert_string_equal(http_reason(299), "");
	assert_string_equal(http_reason(-1), "");
}

static void method_classes(void **state)
{
	(void)state;
	assert_int_equal(http_method_class(M_GET), 0);
	assert_int_equal(http_method_class(M_HEAD), 0);
	assert_int_equal(http_method_class(M_POST), 0);
	assert_int_equal(http_method_class(M_PUT), 1);
	assert_int_equal(http_method_class(M_DELETE), 1);
	assert_int_equal(http_method_class(M_PATCH), 1);
	assert_int_equal(http_method_class(M_OPTIONS), 2);
	assert_int_equal(http_method_class(M_REPORT), 2);
	assert_int_equal(http_method_class(M_SUBSCRIBE), 3);
	assert_int_equal(http_method_class(M_CONNECT), 3);
	assert_int_equal(http_method_class(M_RPC_IN_DATA), 4);
	assert_int_equal(http_method_class(M_RPC_OUT_DATA), 4);
	/* no xHTTP level allows an unknown method */
	assert_true(http_method_class(M_UNKNOWN) > 4);
	assert_true(http_method_class(M__COUNT) > 4);
	assert_true(http_method_class(-3) > 4);
}

static void method_names(void **state)
{
	(void)state;
	assert_string_equal(http_method_name(M_GET), "GET");
	assert_string_equal(http_method_name(M_RPC_OUT_DATA), "RPC_OUT_DATA");
	assert_string_equal(http_method_name(M_BPROPPATCH), "BPROPPATCH");
	assert_string_equal(http_method_name(M_UNKNOWN), "");
	assert_string_equal(http_method_name(M__COUNT), "");
	assert_string_equal(http_method_name(-1), "");
}

int main(void)
{
/* clang-format off */
#define LIST_REQUEST_CASE(name, text, want) cmocka_unit_test(name),
#define LIST_RESPONSE_CASE(name, text, method, want) cmocka_unit_test(name),
	const struct CMUnitTest tests[] = {
		REQUEST_CASES(LIST_REQUEST_CASE)
		RESPONSE_CASES(LIST_RESPONSE_CASE)
		cmocka_unit_test(req_fields_and_offsets),
		cmocka_unit_test(req_every_known_method),
		cmocka_unit_test(req_methods_case_sensitive),
		cmocka_unit_test(req_method_tchar_set),
		cmocka_unit_test(req_path_len),
		cmocka_unit_test(req_absolute_form_host_case),
		cmocka_unit_test(req_leading_crlf_counted),
		cmocka_unit_test(req_header_ids),
		cmocka_unit_test(req_content_length),
		cmocka_unit_test(req_content_length_zero_is_none),
		cmocka_unit_test(req_chunked),
		cmocka_unit_test(req_keep_alive_rules),
		cmocka_unit_test(req_upgrade_rules),
		cmocka_unit_test(req_expect_rules),
		cmocka_unit_test(req_pipelined),
		cmocka_unit_test(req_pipelined_garbage_after),
		cmocka_unit_test(req_incomplete_prefixes),
		cmocka_unit_test(limit_line_at_max),
		cmocka_unit_test(limit_line_over_max),
		cmocka_unit_test(limit_line_incomplete),
		cmocka_unit_test(limit_long_field_line_ok),
		cmocka_unit_test(limit_head_at_max),
		cmocka_unit_test(limit_head_over_max),
		cmocka_unit_test(limit_head_incomplete),
		cmocka_unit_test(limit_fields_at_max),
		cmocka_unit_test(limit_fields_over_max),
		cmocka_unit_test(limit_response_head),
		cmocka_unit_test(resp_fields),
		cmocka_unit_test(resp_empty_reason_offsets),
		cmocka_unit_test(resp_head_has_no_body),
		cmocka_unit_test(resp_204_304_1xx_no_body),
		cmocka_unit_test(resp_101_upgrade),
		cmocka_unit_test(resp_chunked),
		cmocka_unit_test(resp_te_not_chunked_is_close),
		cmocka_unit_test(resp_length_zero_is_none),
		cmocka_unit_test(resp_close_delimited),
		cmocka_unit_test(resp_keep_alive_rules),
		cmocka_unit_test(resp_connect_tunnel),
		cmocka_unit_test(resp_pipelined_body_not_consumed),
		cmocka_unit_test(chunked_simple),
		cmocka_unit_test(chunked_hex_sizes),
		cmocka_unit_test(chunked_data_may_contain_anything),
		cmocka_unit_test(chunked_stops_at_end),
		cmocka_unit_test(chunked_incomplete),
		cmocka_unit_test(chunked_done_is_sticky),
		cmocka_unit_test(chunked_error_is_sticky),
		cmocka_unit_test(chunked_trailers_dropped),
		cmocka_unit_test(host_normalize),
		cmocka_unit_test(chunked_extensions),
		cmocka_unit_test(chunked_bad_extensions),
		cmocka_unit_test(chunked_extension_line_limit),
		cmocka_unit_test(chunked_bad_sizes),
		cmocka_unit_test(chunked_size_overflow),
		cmocka_unit_test(chunked_bad_data_end),
		cmocka_unit_test(chunked_trailers),
		cmocka_unit_test(chunked_bad_trailers),
		cmocka_unit_test(chunked_trailer_section_limit),
		cmocka_unit_test(hdr_has_token),
		cmocka_unit_test(hdr_name_is),
		cmocka_unit_test(reasons),
		cmocka_unit_test(method_classes),
		cmocka_unit_test(method_names),
	};
	/* clang-format on */

	return cmocka_run_group_tests_name("http", tests, NULL, NULL);
}
