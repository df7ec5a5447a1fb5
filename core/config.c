/*
 * config.c - Pound's configuration language, parsed into one immutable
 * `struct config` (see config.h for the result, config_lex.c for tokens).
 *
 * A statement is one line: a keyword and its arguments.  Every keyword has
 * one entry in `directives[]` naming its handler and the blocks it may appear
 * in.  Blocks (ListenHTTP, Service, BackEnd, ...) live on a small stack; End
 * closes the innermost one and checks it is complete.  Because the reader
 * always consumes a whole line before acting on it, an error never leaves the
 * parser mid-line: it reports, drops that line, and carries on, so one run
 * shows every mistake.  Blocks we cannot parse (ListenHTTPS without TLS,
 * Pound features not written yet) are skipped to their matching End.  Two
 * blocks hold no directives: an address list (ACL, TrustedIP) holds one
 * quoted CIDR per line, parsed into struct acl at once and sorted at its End;
 * Rewrite response holds only SetHeader and DeleteHeader; Session holds only
 * Type, TTL and ID, checked against each other at its End.
 *
 * TLS settings are only checked for form here (the cipher string through the
 * shim's tls_cipher_check()); no certificate or CA file is opened.  The TLS
 * contexts are built from the stored paths later, before the chroot, so that
 * parsing stays pure and `pinfold -c` can run where the files are not.
 *
 * Settings that other settings default to (TimeOut, ConnTO, Client,
 * IgnoreCase, Balancer) are resolved after the whole file is read, so a
 * global directive means the same wherever in the file it is written.
 */
#include "config.h"
#include "acl.h"
#include "config_lex.h"
#include "buildopts.h"
#include "http.h"
#include "tls.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>
#include <sys/un.h>

#ifdef PINFOLD_HAVE_TLS
#define HAVE_TLS 1
#else
#define HAVE_TLS 0
#endif

#define NO_TLS_BUILD     "this pinfold was built with PINFOLD_TLS=none"
#define MAX_ERRORS       100 /* stop after this many: the rest is likely noise */
#define MAX_TOKS         24  /* keyword + arguments on one line */
#define MAX_FRAMES       8   /* top, listener, service, backend, one skipped block */
#define MAX_DIRECTIVES   160
#define MAX_SECONDS      86400
#define DEFAULT_BALANCER BAL_RANDOM

/* The block a statement appears in. */
enum ctx {
	CTX_GLOBAL,
	CTX_HTTP,
	CTX_HTTPS,
	CTX_SERVICE,
	CTX_BACKEND,
	CTX_EMERGENCY,
	CTX_ACL,  /* the CIDR lines of an ACL or TrustedIP list */
	CTX_RESP, /* Rewrite response: header edits for responses */
	CTX_SESSION, /* Session: Type, TTL, ID */
	CTX_SKIP, /* inside a block we are not parsing */
};

#define X_G   (1u << CTX_GLOBAL)
#define X_LH  (1u << CTX_HTTP)
#define X_LS  (1u << CTX_HTTPS)
#define X_SV  (1u << CTX_SERVICE)
#define X_BK  (1u << CTX_BACKEND)
#define X_EM  (1u << CTX_EMERGENCY)
#define X_RS  (1u << CTX_RESP)
#define X_SE  (1u << CTX_SESSION)
#define X_LI  (X_LH | X_LS)
#define X_BE  (X_BK | X_EM)
#define X_ANY (X_G | X_LI | X_SV | X_BE)

static const char *const ctx_name[] = {
    "top level", "ListenHTTP",       "ListenHTTPS",  "Service",
    "BackEnd",   "Emergency",        "address list", "Rewrite response",
    "Session",   "skipped block",
};

/* Directive flags */
#define F_ONCE   0x01 /* a second one in the same block is an error */
#define F_COND   0x02 /* a matching directive: may follow Not */
#define F_NOTYET 0x04 /* Pound has it, pinfold does not (yet) */
#define F_END    0x08
#define F_TLS    0x10 /* needs a TLS build; without one, one error per block says so */
#define F_OUT    0x20 /* its feature was built out (PINFOLD_<NAME>=OFF, in `want`) */

/* Whether a directive opens a block that needs an End. */
enum blk {
	BLK_NO,
	BLK_YES,
	BLK_NOARGS,        /* only when written without arguments (TrustedIP, Control) */
	BLK_TOP_OR_NOARGS, /* ACL: a definition at top level, else only the inline form */
	BLK_NOT,           /* Not: whatever the negated directive does */
};

struct parser;
struct stmt;
struct directive;

typedef void (*dir_fn)(struct parser *p, const struct stmt *st, const struct directive *d);

struct directive {
	const char *name;
	dir_fn fn;
	unsigned ctx; /* X_* mask of blocks it is valid in */
	signed char min, max;
	unsigned char flags;
	unsigned char block;
	int arg;          /* handler parameter */
	const char *want; /* what the argument should be, for messages */
};

/* One line: tok[0] is the keyword. */
struct stmt {
	const struct cfg_tok *tok;
	int n;
};

/* Parse-time facts about a service that settle only at its End or at EOF. */
struct svc_state {
	struct cfg_service *svc;
	int ignore_case; /* -1: inherit the global IgnoreCase */
	int balancer;    /* -1: inherit the global Balancer */
	int backend_line, emerg_line, redirect_line, error_line; /* 0: none */
	const struct cfg_hcheck *hc; /* the Service's HealthCheck, for its backends */
	struct svc_state *next;
};

/* A regex whose case sensitivity waits for IgnoreCase, which may come later. */
struct pending {
	struct cfg_cond *c;
	struct svc_state *ss;
	int col;
	struct pending *next;
};

/* Where something was written (line 0: nowhere). */
struct seen {
	const char *file;
	int line, col;
};

struct frame {
	enum ctx ctx;
	const struct directive *d; /* what opened it */
	const char *file;
	int line, col;
	int skip_depth; /* CTX_SKIP: blocks opened inside the skipped one */
	struct cfg_listener *l;
	struct cfg_service *s;
	struct svc_state *ss;
	struct cfg_backend *b;
	int have_addr;
	int port;                         /* 0: no valid Port yet */
	int tls_said;                     /* a TLS complaint was already made for this backend */
	struct seen no_tls12;             /* a Ciphers string selecting no TLS 1.2 suite */
	struct seen client_cert;          /* the ClientCert mode */
	char host[256];                   /* BackEnd Address when it is a host name, else "" */
	struct cfg_acl *cacl;             /* CTX_ACL: the list being filled */
	int acl_lines;                    /* CTX_ACL: address lines written, good or bad */
	struct seen seen[MAX_DIRECTIVES]; /* first use of each directive in this block */
};

struct parser {
	struct cfg_report rep;
	struct cfg_lex lx;
	struct config *cfg;
	struct frame fr[MAX_FRAMES];
	int nfr;
	struct cfg_tok toks[MAX_TOKS];
	struct cfg_tok eof; /* where the main file ended */
	struct pending *pend;
	struct svc_state *svcs;
	struct cfg_backend **bes; /* every backend, by id */
	unsigned nbes, capbes;
	int negate;      /* inside Not */
	int conn_to_set; /* a global ConnTO was given */
	int timeout_set; /* a global TimeOut was given */
	int balancer;    /* global Balancer */
	int https_seen;  /* a ListenHTTPS was skipped for lack of TLS */
	int stop;        /* out of memory, or too many errors */
	int oom_said;
};

static const struct directive *find_directive(const char *name);

/* ---- diagnostics ---------------------------------------------------------------- */

static void vreport(struct parser *p, int is_error, const struct cfg_tok *t, const char *fmt,
                    va_list ap) __attribute__((format(printf, 4, 0)));

static void vreport(struct parser *p, int is_error, const struct cfg_tok *t, const char *fmt,
                    va_list ap)
{
	char msg[768];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	cfg_report_at(&p->rep, is_error, t->file, t->line, t->col, "%s", msg);
}

static void err_at(struct parser *p, const struct cfg_tok *t, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void err_at(struct parser *p, const struct cfg_tok *t, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport(p, 1, t, fmt, ap);
	va_end(ap);
}

static void warn_at(struct parser *p, const struct cfg_tok *t, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void warn_at(struct parser *p, const struct cfg_tok *t, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport(p, 0, t, fmt, ap);
	va_end(ap);
}

/* A location that is not a token: a block opener, a stored condition. */
static struct cfg_tok where(const char *file, int line, int col)
{
	struct cfg_tok t;

	memset(&t, 0, sizeof(t));
	t.file = file;
	t.line = line;
	t.col = col;
	return t;
}

static const char *main_file(const struct parser *p)
{
	return p->lx.nfiles ? p->lx.files[0] : "configuration";
}

static void out_of_memory(struct parser *p)
{
	if (!p->oom_said)
		cfg_report_at(&p->rep, 1, main_file(p), 0, 0,
		              "out of memory while reading the configuration");
	p->oom_said = 1;
	p->stop = 1;
}

static void *zalloc(struct parser *p, size_t n)
{
	void *v = calloc(1, n);

	if (!v) {
		p->lx.oom = 1;
		p->stop = 1;
	}
	return v;
}

static char *dupstr(struct parser *p, const char *s)
{
	char *d = strdup(s);

	if (!d) {
		p->lx.oom = 1;
		p->stop = 1;
	}
	return d;
}

/* ---- small helpers --------------------------------------------------------------- */

static struct frame *top(struct parser *p)
{
	return &p->fr[p->nfr - 1];
}

/* "the first is at line 7", or at another file's line when it is elsewhere */
static void describe_line(char *buf, size_t len, const char *here, const char *file, int line)
{
	if (file && here && strcmp(file, here) != 0)
		snprintf(buf, len, "%s:%d", file, line);
	else
		snprintf(buf, len, "line %d", line);
}

static int is_digits(const char *s)
{
	if (!*s)
		return 0;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return 0;
	return 1;
}

/* A decimal number in [min, max], or an error naming what was expected. */
static int arg_number(struct parser *p, const struct cfg_tok *t, long min, long max,
                      const char *what, long *out)
{
	long v = 0;

	if (!is_digits(t->text) || t->len > 9)
		goto bad;
	for (const char *s = t->text; *s; s++)
		v = v * 10 + (*s - '0');
	if (v < min || v > max)
		goto bad;
	*out = v;
	return 0;
bad:
	err_at(p, t, "expected %s %ld-%ld, got \"%s\"", what, min, max, t->text);
	return -1;
}

static int arg_bool(struct parser *p, const struct cfg_tok *t, int *out)
{
	static const char *const yes[] = {"1", "yes", "true", "on"};
	static const char *const no[] = {"0", "no", "false", "off"};

	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (strcasecmp(t->text, yes[i]) == 0) {
			*out = 1;
			return 0;
		}
		if (strcasecmp(t->text, no[i]) == 0) {
			*out = 0;
			return 0;
		}
	}
	err_at(p, t, "expected a boolean (0 or 1), got \"%s\"", t->text);
	return -1;
}

static struct frame *push_frame(struct parser *p, enum ctx ctx, const struct directive *d,
                                const struct cfg_tok *kw)
{
	struct frame *f;

	if (p->nfr == MAX_FRAMES) {
		/* Cannot happen with the block structure below; refuse rather than overflow. */
		err_at(p, kw, "blocks nested too deeply");
		p->stop = 1;
		return NULL;
	}
	f = &p->fr[p->nfr++];
	memset(f, 0, sizeof(*f));
	f->ctx = ctx;
	f->d = d;
	f->file = kw->file;
	f->line = kw->line;
	f->col = kw->col;
	return f;
}

static void push_skip(struct parser *p, const struct directive *d, const struct cfg_tok *kw)
{
	push_frame(p, CTX_SKIP, d, kw);
}

/* Does this statement open a block that will be closed by an End? */
static int opens_block(const struct directive *d, const struct stmt *st, enum ctx ctx)
{
	switch (d->block) {
	case BLK_YES:
		return 1;
	case BLK_NOARGS:
		return st->n == 1;
	case BLK_TOP_OR_NOARGS:
		return ctx == CTX_GLOBAL || st->n == 1;
	case BLK_NOT:
		if (st->n > 1 && st->tok[1].type == CFG_TOK_WORD) {
			const struct directive *inner = find_directive(st->tok[1].text);
			struct stmt rest = {st->tok + 1, st->n - 1};

			return inner && opens_block(inner, &rest, ctx);
		}
		return 0;
	default:
		return 0;
	}
}

static void not_yet(struct parser *p, const struct directive *d, const struct stmt *st,
                    enum ctx ctx)
{
	err_at(p, &st->tok[0], "\"%s\" is a Pound directive pinfold does not implement yet",
	       st->tok[0].text);
	if (opens_block(d, st, ctx))
		push_skip(p, d, &st->tok[0]);
}

/* Never silently ignored: a directive of a feature built out names the option. */
static void built_out(struct parser *p, const struct directive *d, const struct stmt *st,
                      enum ctx ctx)
{
	err_at(p, &st->tok[0], "%s: this pinfold was built without it (%s=OFF)", d->name, d->want);
	if (opens_block(d, st, ctx))
		push_skip(p, d, &st->tok[0]);
}

static void wrong_place(struct parser *p, const struct directive *d, const struct stmt *st,
                        enum ctx ctx)
{
	char list[200] = "";
	int n = 0, total = 0;

	for (int c = CTX_GLOBAL; c < CTX_SKIP; c++)
		total += (d->ctx >> c) & 1;
	for (int c = CTX_GLOBAL; c < CTX_SKIP; c++) {
		size_t used = strlen(list);

		if (!((d->ctx >> c) & 1))
			continue;
		n++;
		snprintf(list + used, sizeof(list) - used, "%s%s%s",
		         n == 1 ? "" : (n == total ? " or " : ", "),
		         c == CTX_GLOBAL ? "at " : "in ", ctx_name[c]);
	}
	err_at(p, &st->tok[0], "\"%s\" is not valid %s%s (it belongs %s)", st->tok[0].text,
	       ctx == CTX_GLOBAL ? "at " : "in ", ctx_name[ctx], list);
	if (opens_block(d, st, ctx))
		push_skip(p, d, &st->tok[0]);
}

static void append_cond(struct cfg_cond **list, struct cfg_cond *c)
{
	while (*list)
		list = &(*list)->next;
	*list = c;
}

static void append_hdr(struct cfg_hdr **list, struct cfg_hdr *h)
{
	while (*list)
		list = &(*list)->next;
	*list = h;
}

/* ---- addresses ------------------------------------------------------------------- */

static int looks_like_hostname(const char *s)
{
	size_t label = 0, n = 0;
	int letters = 0;

	for (; *s; s++, n++) {
		char c = *s;

		if (c == '.') {
			if (label == 0)
				return 0;
			label = 0;
			continue;
		}
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '_'))
			return 0;
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
			letters = 1;
		if (++label > 63)
			return 0;
	}
	/* All digits and dots would be a mistyped IPv4 address, not a name. */
	return n > 0 && n <= 253 && letters;
}

/* IPv4, IPv6 (bare or in brackets), or a host name resolved right now. */
static int resolve_address(struct parser *p, const struct cfg_tok *t, struct sockaddr_storage *ss,
                           socklen_t *sslen)
{
	struct addrinfo hints, *res = NULL;
	const char *s = t->text;
	size_t n = t->len;
	char host[256];
	int rc;

	if (n > 0 && s[0] == '/') {
		err_at(p, t,
		       "UNIX socket addresses (\"%s\") are a Pound feature pinfold does not "
		       "implement yet",
		       s);
		return -1;
	}
	if (n >= 2 && s[0] == '[' && s[n - 1] == ']') {
		s++;
		n -= 2;
	}
	if (n == 0 || n >= sizeof(host))
		goto bad;
	memcpy(host, s, n);
	host[n] = '\0';
	/* getaddrinfo takes "1.2.3" as 1.2.0.3; only a full dotted quad is an address. */
	if (strspn(host, "0123456789.") == n) {
		struct in_addr a4;

		if (inet_pton(AF_INET, host, &a4) != 1)
			goto bad;
	}

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICHOST;
	rc = getaddrinfo(host, NULL, &hints, &res);
	if (rc != 0) {
		if (!looks_like_hostname(host))
			goto bad;
		hints.ai_flags = 0;
		rc = getaddrinfo(host, NULL, &hints, &res);
		if (rc != 0) {
			err_at(p, t, "cannot resolve host name \"%s\": %s", host, gai_strerror(rc));
			return -1;
		}
	}
	for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
		if ((ai->ai_family == AF_INET || ai->ai_family == AF_INET6) &&
		    ai->ai_addrlen <= sizeof(*ss)) {
			memset(ss, 0, sizeof(*ss));
			memcpy(ss, ai->ai_addr, ai->ai_addrlen);
			*sslen = ai->ai_addrlen;
			freeaddrinfo(res);
			return 0;
		}
	}
	freeaddrinfo(res);
	err_at(p, t, "\"%s\" has no IPv4 or IPv6 address", host);
	return -1;
bad:
	err_at(p, t, "expected an IPv4 address, an IPv6 address or a host name, got \"%s\"",
	       t->text);
	return -1;
}

static void set_port(struct sockaddr_storage *ss, int port)
{
	if (ss->ss_family == AF_INET)
		((struct sockaddr_in *)ss)->sin_port = htons((uint16_t)port);
	else if (ss->ss_family == AF_INET6)
		((struct sockaddr_in6 *)ss)->sin6_port = htons((uint16_t)port);
}

/* "127.0.0.2:8123" or "[::1]:80" */
static char *format_address(struct parser *p, const struct sockaddr_storage *ss, int port)
{
	char ip[INET6_ADDRSTRLEN], out[INET6_ADDRSTRLEN + 16];

	if (ss->ss_family == AF_INET6) {
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)ss)->sin6_addr, ip, sizeof(ip));
		snprintf(out, sizeof(out), "[%s]:%d", ip, port);
	} else {
		inet_ntop(AF_INET, &((const struct sockaddr_in *)ss)->sin_addr, ip, sizeof(ip));
		snprintf(out, sizeof(out), "%s:%d", ip, port);
	}
	return dupstr(p, out);
}

static int same_address(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	if (a->ss_family != b->ss_family)
		return 0;
	if (a->ss_family == AF_INET) {
		const struct sockaddr_in *x = (const void *)a, *y = (const void *)b;

		return x->sin_port == y->sin_port &&
		       memcmp(&x->sin_addr, &y->sin_addr, sizeof(x->sin_addr)) == 0;
	}
	if (a->ss_family == AF_INET6) {
		const struct sockaddr_in6 *x = (const void *)a, *y = (const void *)b;

		return x->sin6_port == y->sin6_port &&
		       memcmp(&x->sin6_addr, &y->sin6_addr, sizeof(x->sin6_addr)) == 0;
	}
	return 0;
}

/* ---- conditions and header patterns ---------------------------------------------- */

/*
 * regcomp() spells repetitions out: glibc builds x+ as x x*, and x{2,5} as five
 * copies of x, so stacked or nested counts multiply ("(a+++++++)" or
 * "((a{99}){99}){99}") and a short pattern can take gigabytes to compile.  A
 * bound on the nodes it would build, checked first, turns that into a config
 * error.  Sums and products saturate just above the budget.
 */
#define RE_NODES_MAX 20000UL

static unsigned long re_add(unsigned long a, unsigned long b)
{
	return a + b > RE_NODES_MAX ? RE_NODES_MAX + 1 : a + b;
}

static unsigned long re_mul(unsigned long a, unsigned long b)
{
	return b && a > RE_NODES_MAX / b ? RE_NODES_MAX + 1 : a * b;
}

/* Skip a bracket expression at *s == '['; classes like [:alpha:] may hold ']'. */
static const char *re_skip_bracket(const char *s)
{
	s++;
	if (*s == '^')
		s++;
	if (*s == ']')
		s++;
	while (*s && *s != ']') {
		if (s[0] == '[' && (s[1] == ':' || s[1] == '.' || s[1] == '=')) {
			char kind = s[1];

			for (s += 2; *s && !(s[0] == kind && s[1] == ']'); s++)
				;
			if (*s)
				s += 2;
		} else {
			s++;
		}
	}
	return *s ? s + 1 : s;
}

/* Nodes for the alternatives from *sp up to an unmatched ')' or the end. */
static unsigned long re_nodes(const char **sp, int depth)
{
	const char *s = *sp;
	unsigned long total = 0, piece;

	while (*s && *s != ')') {
		if (*s == '|') {
			s++;
			total = re_add(total, 1);
			continue;
		}
		if (*s == '(') {
			s++;
			piece = depth < 64 ? re_add(re_nodes(&s, depth + 1), 1) : RE_NODES_MAX + 1;
			if (*s == ')')
				s++;
		} else if (*s == '[') {
			s = re_skip_bracket(s);
			piece = 1;
		} else {
			s += s[0] == '\\' && s[1] ? 2 : 1;
			piece = 1;
		}
		for (;;) { /* the quantifiers that follow, each over all before it */
			if (*s == '*' || *s == '?') {
				s++;
				piece = re_add(piece, 1);
			} else if (*s == '+') {
				s++;
				piece = re_add(re_mul(piece, 2), 1);
			} else if (*s == '{' && s[1] >= '0' && s[1] <= '9') {
				char *end;
				unsigned long m = strtoul(s + 1, &end, 10), n = m;

				if (*end == ',' && end[1] >= '0' && end[1] <= '9')
					n = strtoul(end + 1, &end, 10);
				else if (*end == ',')
					end++;
				if (*end != '}')
					break; /* not a bound: regcomp judges it */
				s = end + 1;
				piece = re_mul(piece, (n > m ? n : m) + 1);
			} else {
				break;
			}
		}
		total = re_add(total, piece);
	}
	*sp = s;
	return total;
}

/* Nodes regcomp would build for the whole pattern, at most RE_NODES_MAX + 1. */
static unsigned long re_cost(const char *pattern)
{
	unsigned long total = 0;

	while (*pattern) {
		total = re_add(total, re_nodes(&pattern, 0));
		if (*pattern == ')') /* unbalanced: regcomp reports it */
			pattern++;
	}
	return total;
}

static int compile_cond(struct parser *p, struct cfg_cond *c, int col)
{
	int flags = REG_EXTENDED | REG_NOSUB | (c->icase ? REG_ICASE : 0);
	int rc;

	if (re_cost(c->str) > RE_NODES_MAX) {
		struct cfg_tok at = where(c->file, c->line, col);

		err_at(p, &at, "regular expression \"%s\" is too complex: its repetitions ('+', "
		       "{n}) nest or stack so that compiling it would take more than %lu steps; "
		       "write it more simply", c->str, RE_NODES_MAX);
		return -1;
	}
	rc = regcomp(&c->re, c->str, flags);
	if (rc != 0) {
		char msg[256];
		struct cfg_tok at = where(c->file, c->line, col);

		/* On failure regcomp leaves nothing to free. */
		regerror(rc, &c->re, msg, sizeof(msg));
		err_at(p, &at, "invalid regular expression \"%s\": %s", c->str, msg);
		return -1;
	}
	c->type = MT_REGEX; /* only now is `re` something config_free must release */
	return 0;
}

/*
 * Parse "[options] "pattern"" from tok[1..].  `icase` is the default case
 * rule: 0 or 1, or -1 to follow IgnoreCase (URL and Path).  Returns the new
 * condition, not yet linked anywhere, or NULL after reporting why.
 */
static struct cfg_cond *parse_pattern(struct parser *p, const struct stmt *st,
                                      enum cfg_cond_kind kind, enum cfg_match_type type, int icase,
                                      int negate)
{
	const struct cfg_tok *pat = &st->tok[st->n - 1];
	struct cfg_cond *c;
	int explicit_case = -1;

	for (int i = 1; i < st->n - 1; i++) {
		const struct cfg_tok *o = &st->tok[i];

		if (o->type != CFG_TOK_WORD || o->text[0] != '-') {
			err_at(p, o,
			       "expected a match option (-re, -exact, -beg, -end, -contain, "
			       "-icase, -case) or the pattern, got \"%s\"",
			       o->text);
			return NULL;
		}
		if (!strcasecmp(o->text, "-re") || !strcasecmp(o->text, "-posix"))
			type = MT_REGEX;
		else if (!strcasecmp(o->text, "-exact"))
			type = MT_EXACT;
		else if (!strcasecmp(o->text, "-beg"))
			type = MT_PREFIX;
		else if (!strcasecmp(o->text, "-end"))
			type = MT_SUFFIX;
		else if (!strcasecmp(o->text, "-contain"))
			type = MT_CONTAIN;
		else if (!strcasecmp(o->text, "-icase"))
			explicit_case = 1;
		else if (!strcasecmp(o->text, "-case"))
			explicit_case = 0;
		else if (!strcasecmp(o->text, "-file") || !strcasecmp(o->text, "-pcre") ||
		         !strcasecmp(o->text, "-perl")) {
			err_at(p, o,
			       "match option \"%s\" is a Pound feature pinfold does not "
			       "implement yet",
			       o->text);
			return NULL;
		} else {
			err_at(p, o,
			       "unknown match option \"%s\" (expected -re, -exact, -beg, -end, "
			       "-contain, -icase or -case)",
			       o->text);
			return NULL;
		}
	}
	if (pat->type != CFG_TOK_STRING) {
		if (pat->text[0] == '-')
			err_at(p, pat, "missing the quoted pattern after \"%s\"", pat->text);
		else
			err_at(p, pat, "expected a quoted pattern, got \"%s\"", pat->text);
		return NULL;
	}

	c = zalloc(p, sizeof(*c));
	if (!c)
		return NULL;
	c->kind = kind;
	/* MT_REGEX is set by compile_cond once `re` holds something to free. */
	c->type = type == MT_REGEX ? MT_EXACT : type;
	c->negate = negate;
	c->file = pat->file;
	c->line = pat->line;
	c->len = pat->len;
	c->str = dupstr(p, pat->text);
	if (!c->str) {
		free(c);
		return NULL;
	}
	if (explicit_case >= 0)
		icase = explicit_case;
	if (icase >= 0) {
		c->icase = icase;
		/* A bad regex is reported; the condition stays, inert, so nothing cascades. */
		if (type == MT_REGEX)
			compile_cond(p, c, pat->col);
		return c;
	}
	/* Case depends on IgnoreCase, known only at the end: compile then. */
	{
		struct pending *pd = zalloc(p, sizeof(*pd));

		if (!pd) {
			free(c->str);
			free(c);
			return NULL;
		}
		pd->c = c;
		pd->ss = top(p)->ss;
		pd->col = type == MT_REGEX ? pat->col : -1;
		pd->next = p->pend;
		p->pend = pd;
	}
	return c;
}

/* ---- handlers: global ------------------------------------------------------------ */

static void h_include(struct parser *p, const struct stmt *st, const struct directive *d)
{
	const struct cfg_tok *t = &st->tok[1];

	if (t->len == 0) {
		err_at(p, t, "expected a file name after Include, got an empty string");
		return;
	}
	cfg_lex_open(&p->lx, t->text, t);
}

enum { S_USER, S_GROUP, S_JAIL, S_PIDFILE };

static void h_string(struct parser *p, const struct stmt *st, const struct directive *d)
{
	const struct cfg_tok *t = &st->tok[1];
	struct config *cfg = p->cfg;
	char **dst = d->arg == S_USER    ? &cfg->user
	             : d->arg == S_GROUP ? &cfg->group
	             : d->arg == S_JAIL  ? &cfg->root_jail
	                                 : &cfg->pidfile;

	if (t->len == 0) {
		err_at(p, t, "expected %s after %s, got an empty string", d->want, d->name);
		return;
	}
	if (d->arg == S_JAIL && t->text[0] != '/') {
		err_at(p, t, "expected %s after %s, got \"%s\"", d->want, d->name, t->text);
		return;
	}
	*dst = dupstr(p, t->text);
	if (d->arg == S_USER) {
		cfg->user_file = t->file;
		cfg->user_line = t->line;
	} else if (d->arg == S_GROUP) {
		cfg->group_file = t->file;
		cfg->group_line = t->line;
	}
}

#if PINFOLD_CONTROL
/*
 * Control "/path": the UNIX socket pinfoldctl talks to (core/control.c).  Pound's
 * block form (Socket, Mode, ChangeOwner) is not implemented: the mode is always 0600
 * and the owner always User/Group.
 */
static void h_control(struct parser *p, const struct stmt *st, const struct directive *d)
{
	const struct cfg_tok *t = &st->tok[1];

	if (st->n == 1) {
		err_at(p, &st->tok[0],
		       "the block form of Control (Socket, Mode, ChangeOwner ... End) is a Pound "
		       "feature pinfold does not implement yet; write Control \"/path/to/socket\"");
		push_skip(p, d, &st->tok[0]);
		return;
	}
	if (t->len == 0 || t->text[0] != '/') {
		err_at(p, t, "expected %s after Control, got \"%s\"", d->want, t->text);
		return;
	}
	if (t->len >= sizeof(((struct sockaddr_un *)0)->sun_path)) {
		err_at(p, t, "the Control socket path is too long (%zu bytes, at most %zu)",
		       t->len, sizeof(((struct sockaddr_un *)0)->sun_path) - 1);
		return;
	}
	p->cfg->control = dupstr(p, t->text);
}
#endif

enum { B_DAEMON, B_STRIP, B_LOGHS, B_SNIHOST, B_TRAILERS };

static int was_given(const struct frame *f, const char *name);
static const struct seen *seen_of(const struct frame *f, const char *name);

static void h_bool(struct parser *p, const struct stmt *st, const struct directive *d)
{
	int v;

	if (arg_bool(p, &st->tok[1], &v) != 0)
		return;
	if (d->arg == B_DAEMON) {
		p->cfg->daemon = v;
		return;
	}
	if (d->arg == B_LOGHS) {
		p->cfg->log_handshakes = v;
		return;
	}
	if (d->arg == B_SNIHOST) {
		top(p)->l->sni_host = v;
		return;
	}
	if (d->arg == B_TRAILERS) {
		top(p)->l->keep_trailers = v;
		return;
	}
	if (was_given(top(p), "TrustedIP")) {
		const struct seen *o = seen_of(top(p), "TrustedIP");

		err_at(p, &st->tok[0],
		       "StripForwarded conflicts with the TrustedIP at line %d: both decide whose "
		       "forwarding headers are kept; use one of them",
		       o->line);
		return;
	}
	top(p)->l->strip_forwarded = v;
	top(p)->l->strip_set = 1;
}

static void h_ignorecase(struct parser *p, const struct stmt *st, const struct directive *d)
{
	int v;

	if (arg_bool(p, &st->tok[1], &v) != 0)
		return;
	if (top(p)->ctx == CTX_SERVICE)
		top(p)->ss->ignore_case = v;
	else
		p->cfg->ignore_case = v;
}

/* LogLevel takes Pound's numbers or the names of its built-in formats. */
static void h_loglevel(struct parser *p, const struct stmt *st, const struct directive *d)
{
	static const char *const names[] = {"null",           "regular",  "extended",
	                                    "vhost_combined", "combined", "detailed"};
	const struct cfg_tok *t = &st->tok[1];
	long v = -1;

	if (t->type == CFG_TOK_STRING && !is_digits(t->text)) {
		for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
			if (strcasecmp(t->text, names[i]) == 0)
				v = (long)i;
		if (v < 0) {
			err_at(p, t,
			       "unknown log format \"%s\" (built-in: null, regular, extended, "
			       "vhost_combined, combined, detailed; LogFormat is not implemented "
			       "yet)",
			       t->text);
			return;
		}
	} else if (arg_number(p, t, 0, 5, "a log level", &v) != 0) {
		return;
	}
	if (top(p)->ctx == CTX_GLOBAL)
		p->cfg->log_level = (int)v;
	else
		top(p)->l->log_level = (int)v;
}

static const struct {
	const char *name;
	int value;
} facilities[] = {
    {"auth", LOG_AUTH},
#ifdef LOG_AUTHPRIV
    {"authpriv", LOG_AUTHPRIV},
#endif
    {"cron", LOG_CRON},         {"daemon", LOG_DAEMON},
#ifdef LOG_FTP
    {"ftp", LOG_FTP},
#endif
    {"kern", LOG_KERN},         {"lpr", LOG_LPR},       {"mail", LOG_MAIL},
    {"news", LOG_NEWS},         {"syslog", LOG_SYSLOG}, {"user", LOG_USER},
    {"uucp", LOG_UUCP},         {"local0", LOG_LOCAL0}, {"local1", LOG_LOCAL1},
    {"local2", LOG_LOCAL2},     {"local3", LOG_LOCAL3}, {"local4", LOG_LOCAL4},
    {"local5", LOG_LOCAL5},     {"local6", LOG_LOCAL6}, {"local7", LOG_LOCAL7},
};

/*
 * An unknown facility only warns: the Home Assistant guide says "deamon", and
 * a typo in where logs go should not keep the proxy from starting.
 */
static void h_logfacility(struct parser *p, const struct stmt *st, const struct directive *d)
{
	const struct cfg_tok *t = &st->tok[1];

	if (strcmp(t->text, "-") == 0) {
		p->cfg->log_stderr = 1;
		return;
	}
	for (size_t i = 0; i < sizeof(facilities) / sizeof(facilities[0]); i++) {
		if (strcasecmp(t->text, facilities[i].name) == 0) {
			p->cfg->log_facility = facilities[i].value;
			return;
		}
	}
	warn_at(p, t,
	        "unknown LogFacility \"%s\", using \"daemon\" (known: auth, authpriv, cron, "
	        "daemon, ftp, kern, lpr, mail, news, syslog, user, uucp, local0-local7, or - "
	        "for stderr)",
	        t->text);
	p->cfg->log_facility = LOG_DAEMON;
}

enum {
	SEC_ALIVE,
	SEC_CLIENT,
	SEC_TIMEOUT,
	SEC_CONNTO,
	SEC_WSTIMEOUT,
	SEC_GRACE,
	SEC_HANDSHAKE,
	SEC_HEAD,
	SEC_HSSUMMARY,
	SEC_STREAMTO
};

static void h_seconds(struct parser *p, const struct stmt *st, const struct directive *d)
{
	struct frame *f = top(p);
	struct config *cfg = p->cfg;
	long v;

	/* Grace 0 is meaningful (stop at once); a zero timeout is not. */
	if (arg_number(p, &st->tok[1], d->arg == SEC_GRACE ? 0 : 1, MAX_SECONDS,
	               "a number of seconds", &v) != 0)
		return;
	switch (d->arg) {
	case SEC_ALIVE:
		cfg->alive = (int)v;
		break;
	case SEC_GRACE:
		cfg->grace = (int)v;
		break;
	case SEC_CLIENT:
		if (f->ctx == CTX_GLOBAL)
			cfg->client_to = (int)v;
		else
			f->l->client_to = (int)v;
		break;
	case SEC_HANDSHAKE:
		if (f->ctx == CTX_GLOBAL)
			cfg->hs_to = (int)v;
		else
			f->l->hs_to = (int)v;
		break;
	case SEC_HEAD:
		if (f->ctx == CTX_GLOBAL)
			cfg->head_to = (int)v;
		else
			f->l->head_to = (int)v;
		break;
	case SEC_HSSUMMARY:
		cfg->hs_summary = (int)v;
		break;
	case SEC_TIMEOUT:
		if (f->ctx == CTX_GLOBAL) {
			cfg->timeout = (int)v;
			p->timeout_set = 1;
		} else {
			f->b->timeout = (int)v;
		}
		break;
	case SEC_CONNTO:
		if (f->ctx == CTX_GLOBAL) {
			cfg->conn_to = (int)v;
			p->conn_to_set = 1;
		} else {
			f->b->conn_to = (int)v;
		}
		break;
	case SEC_WSTIMEOUT:
		if (f->ctx == CTX_GLOBAL)
			cfg->ws_timeout = (int)v;
		else
			f->b->ws_timeout = (int)v;
		break;
	case SEC_STREAMTO:
		if (f->ctx == CTX_GLOBAL)
			cfg->stream_to = (int)v;
		else
			f->b->stream_to = (int)v;
		break;
	}
}

static void h_balancer(struct parser *p, const struct stmt *st, const struct directive *d)
{
	const struct cfg_tok *t = &st->tok[1];
	int v;

	if (strcasecmp(t->text, "random") == 0) {
		v = BAL_RANDOM;
	} else if (strcasecmp(t->text, "iwrr") == 0) {
		v = BAL_IWRR;
	} else {
		err_at(p, t, "expected random or iwrr after Balancer, got \"%s\"", t->text);
		return;
	}
	if (top(p)->ctx == CTX_SERVICE)
		top(p)->ss->balancer = v;
	else
		p->balancer = v;
}

/* ---- handlers: blocks ------------------------------------------------------------ */

/* ListenHTTP and ListenHTTPS (d->arg = 1); the latter needs a TLS build. */
static void h_listen(struct parser *p, const struct stmt *st, const struct directive *d)
{
	struct cfg_listener *l, **tail;
	struct frame *f;

	if (d->arg && !HAVE_TLS) {
		err_at(p, &st->tok[0], "ListenHTTPS needs a TLS-enabled build (" NO_TLS_BUILD ")");
		p->https_seen = 1;
		push_skip(p, d, &st->tok[0]);
		return;
	}
	l = zalloc(p, sizeof(*l));
	if (!l)
		return;
	l->https = d->arg;
	l->log_level = -1;
	l->client_to = -1; /* the global Client, resolved at the end */
	l->hs_to = -1;     /* HandshakeTO, HeadTO: the global ones, else Client */
	l->head_to = -1;
	l->strip_forwarded = 1;
	l->id = p->cfg->nlisteners++;
	l->file = st->tok[0].file;
	l->line = st->tok[0].line;
	for (tail = &p->cfg->listeners; *tail; tail = &(*tail)->next)
		;
	*tail = l;
	if (st->n > 1) {
		for (struct cfg_listener *o = p->cfg->listeners; o != l; o = o->next) {
			if (o->name && strcmp(o->name, st->tok[1].text) == 0) {
				err_at(p, &st->tok[1],
				       "a listener named \"%s\" already exists (line %d)", o->name,
				       o->line);
				break;
			}
		}
		l->name = dupstr(p, st->tok[1].text);
	}
	f = push_frame(p, d->arg ? CTX_HTTPS : CTX_HTTP, d, &st->tok[0]);
	if (f)
		f->l = l;
}

static void h_service(struct parser *p, const struct stmt *st, const struct directive *d)
{
	struct frame *outer = top(p), *f;
	struct cfg_service *s, **list, **tail;
	struct svc_state *ss;

	list = outer->ctx == CTX_GLOBAL ? &p->cfg->services : &outer->l->services;
	s = zalloc(p, sizeof(*s));
	ss = zalloc(p, sizeof(*ss));
	if (!s || !ss) {
		free(s);
		free(ss);
		return;
	}
	s->file = st->tok[0].file;
	s->line = st->tok[0].line;
	s->id = p->cfg->nservices++;
	s->name = dupstr(p, st->n > 1 ? st->tok[1].text : "");
	for (tail = list; *tail; tail = &(*tail)->next) {
		if (st->n > 1 && st->tok[1].len && strcmp((*tail)->name, st->tok[1].text) == 0)
			err_at(p, &st->tok[1],
			       "a Service named \"%s\" already exists here (line %d)",
			       st->tok[1].text, (*tail)->line);
	}
	*tail = s;
	ss->svc = s;
	ss->ignore_case = -1;
	ss->balancer = -1;
	ss->next = p->svcs;
	p->svcs = ss;
	f = push_frame(p, CTX_SERVICE, d, &st->tok[0]);
	if (f) {
		f->s = s;
		f->ss = ss;
	}
}

static struct cfg_backend *new_backend(struct parser *p, const struct cfg_tok *kw, int emergency)
{
	struct cfg_backend *b;

	if (p->nbes == p->capbes) {
		unsigned cap = p->capbes ? p->capbes * 2 : 8;
		struct cfg_backend **grown = realloc(p->bes, cap * sizeof(*grown));

		if (!grown) {
			p->lx.oom = 1;
			p->stop = 1;
			return NULL;
		}
		p->bes = grown;
		p->capbes = cap;
	}
	b = zalloc(p, sizeof(*b));
	if (!b)
		return NULL;
	b->id = p->nbes;
	p->bes[p->nbes++] = b;
	b->priority = CFG_DEFAULT_PRIORITY;
	b->timeout = b->conn_to = b->ws_timeout = b->stream_to = -1; /* the globals, at the end */
	b->emergency = emergency;
	b->file = kw->file;
	b->line = kw->line;
	return b;
}

/* A Service does one thing; say which earlier line this one collides with. */
static int action_conflicts(struct parser *p, const struct cfg_tok *kw, const char *what,
                            const struct svc_state *ss, int allow_backends)
{
	const char *other = NULL;
	int line = 0;

	if (!allow_backends && ss->backend_line) {
		other = "BackEnd";
		line = ss->backend_line;
	} else if (!allow_backends && ss->emerg_line) {
		other = "Emergency";
		line = ss->emerg_line;
	} else if (ss->redirect_line) {
		other = "Redirect";
		line = ss->redirect_line;
	} else if (ss->error_line) {
		other = "Error";
		line = ss->error_line;
	}
	if (!other)
		return 0;
	if (strcmp(other, what) == 0)
		err_at(p, kw, "second %s in this Service (the first is at line %d)", what, line);
	else
		err_at(p, kw,
		       "%s conflicts with the %s at line %d: a Service has exactly one kind of "
		       "action (BackEnds, a Redirect or an Error)",
		       what, other, line);
	return 1;
}

static void h_backend(struct parser *p, const struct stmt *st, const struct directive *d)
{
	struct frame *outer = top(p), *f;
	struct cfg_backend *b, **tail;

	if (outer->ctx == CTX_GLOBAL) {
		err_at(p, &st->tok[0],
		       "\"BackEnd\" at top level (a named backend) is a Pound "
		       "directive pinfold does not implement yet");
		push_skip(p, d, &st->tok[0]);
		return;
	}
	if (st->n > 1) {
		err_at(p, &st->tok[1],
		       "named backends (BackEnd \"%s\") are a Pound feature "
		       "pinfold does not implement yet",
		       st->tok[1].text);
		push_skip(p, d, &st->tok[0]);
		return;
	}
	action_conflicts(p, &st->tok[0], "BackEnd", outer->ss, 1);
	if (!outer->ss->backend_line)
		outer->ss->backend_line = st->tok[0].line;
	b = new_backend(p, &st->tok[0], 0);
	if (!b)
		return;
	for (tail = &outer->s->backends; *tail; tail = &(*tail)->next)
		;
	*tail = b;
	f = push_frame(p, CTX_BACKEND, d, &st->tok[0]);
	if (f)
		f->b = b;
}

static void h_emergency(struct parser *p, const struct stmt *st, const struct directive *d)
{
	struct frame *outer = top(p), *f;
	struct cfg_backend *b;

	if (outer->ss->emerg_line) {
		err_at(p, &st->tok[0],
		       "second Emergency in this Service (the first is at line %d; "
		       "only one is allowed)",
		       outer->ss->emerg_line);
		push_skip(p, d, &st->tok[0]);
		return;
	}
	action_conflicts(p, &st->tok[0], "Emergency", outer->ss, 1);
	outer->ss->emerg_line = st->tok[0].line;
	b = new_backend(p, &st->tok[0], 1);
	if (!b)
		return;
	outer->s->emergency = b;
	f = push_frame(p, CTX_EMERGENCY, d, &st->tok[0]);
	if (f)
		f->b = b;
}

static void finish_https(struct parser *p, struct frame *f);
static void finish_backend_tls(struct parser *p, struct frame *f);

/* Both Address and Port present?  One written but rejected was reported already. */
static int address_complete(struct parser *p, const struct frame *f)
{
	struct cfg_tok at = where(f->file, f->line, f->col);
	const char *missing = NULL;

	if (!was_given(f, "Address"))
		missing = "Address";
	else if (!was_given(f, "Port"))
		missing = "Port";
	if (missing)
		err_at(p, &at, "%s has no %s (both Address and Port are required)", f->d->name,
		       missing);
	return f->have_addr && f->port;
}

/* End of ListenHTTP(S): the address is complete and must be unique. */
static void finish_listener(struct parser *p, struct frame *f)
{
	struct cfg_listener *l = f->l;
	struct cfg_tok at = where(f->file, f->line, f->col);

	if (l->socket_from) {
		/* Pound's rule: the socket arrives bound, so there is nothing to bind. */
		if (was_given(f, "Address") || was_given(f, "Port")) {
			const struct seen *a = seen_of(f, was_given(f, "Address") ? "Address" : "Port");
			struct cfg_tok at2 = where(a->file, a->line, a->col);

			err_at(p, &at2,
			       "SocketFrom (line %d) replaces Address and Port: the socket arrives "
			       "already bound; remove them",
			       l->socket_line);
			return;
		}
		l->addr_text = malloc(strlen(l->socket_from) + 12);
		if (!l->addr_text) {
			p->lx.oom = 1;
			p->stop = 1;
			return;
		}
		sprintf(l->addr_text, "socketfrom:%s", l->socket_from);
		return;
	}
	if (!address_complete(p, f))
		return;
	set_port(&l->addr, f->port);
	for (struct cfg_listener *o = p->cfg->listeners; o && o != l; o = o->next) {
		if (o->addr_text && !o->socket_from && same_address(&o->addr, &l->addr)) {
			err_at(p, &at, "another listener already uses %s (line %d)", o->addr_text,
			       o->line);
			return;
		}
	}
	l->addr_text = format_address(p, &l->addr, f->port);
}

static void finish_backend(struct parser *p, struct frame *f)
{
	struct cfg_backend *b = f->b;

	if (!address_complete(p, f))
		return;
	set_port(&b->addr, f->port);
	b->addr_text = format_address(p, &b->addr, f->port);
}

static void finish_service(struct parser *p, struct frame *f)
{
	const struct svc_state *ss = f->ss;
	struct cfg_tok at = where(f->file, f->line, f->col);

	/* A Redirect or Error that was written but rejected was reported already. */
	if (!ss->backend_line && !ss->emerg_line && !ss->redirect_line && !ss->error_line &&
	    !was_given(f, "Redirect") && !was_given(f, "Error"))
		err_at(p, &at,
		       "Service has no BackEnd, Emergency, Redirect or Error: it would "
		       "answer nothing");
}

static void finish_acl(struct parser *p, struct frame *f);
static void finish_session(struct parser *p, struct frame *f);

static void close_block(struct parser *p, const struct stmt *st)
{
	struct frame *f = top(p);

	if (p->nfr == 1) {
		err_at(p, &st->tok[0], "\"End\" without an open block");
		return;
	}
	if (st->n > 1)
		err_at(p, &st->tok[1], "\"End\" takes no arguments, got \"%s\"", st->tok[1].text);
	switch (f->ctx) {
	case CTX_HTTPS:
		finish_https(p, f);
		/* fall through */
	case CTX_HTTP:
		finish_listener(p, f);
		break;
	case CTX_SERVICE:
		finish_service(p, f);
		break;
	case CTX_BACKEND:
	case CTX_EMERGENCY:
		finish_backend_tls(p, f);
		finish_backend(p, f);
		break;
	case CTX_ACL:
		finish_acl(p, f);
		break;
	case CTX_SESSION:
		finish_session(p, f);
		break;
	default:
		break;
	}
	p->nfr--;
}

/* ---- handlers: listener and backend ---------------------------------------------- */

static void h_address(struct parser *p, const struct stmt *st, const struct directive *d)
{
	struct frame *f = top(p);
	int rc;

	if (f->ctx == CTX_HTTP || f->ctx == CTX_HTTPS)
		rc = resolve_address(p, &st->tok[1], &f->l->addr, &f->l->addrlen);
	else
		rc = resolve_address(p, &st->tok[1], &f->b->addr, &f->b->addrlen);
	if (rc != 0)
		return;
	f->have_addr = 1;
	/* The name an HTTPS backend with CAFile is verified against (no ServerName). */
	if (looks_like_hostname(st->tok[1].text) && st->tok[1].len < sizeof(f->host))
		memcpy(f->host, st->tok[1].text, st->tok[1].len + 1);
}

static void h_port(struct parser *p, const struct stmt *st, const struct directive *d)
{
	long v;

	if (arg_number(p, &st->tok[1], 1, 65535, "a port number", &v) == 0)
		top(p)->port = (int)v;
}

static void h_xhttp(struct parser *p, const struct stmt *st, const struct directive *d)
{
	long v;

	if (arg_number(p, &st->tok[1], 0, 4, "an xHTTP level", &v) == 0)
		top(p)->l->xhttp = (int)v;
}

/* HeadRemove, HeaderRemove, DeleteHeader: header lines to drop, by pattern. */
static void h_delete_header(struct parser *p, const struct stmt *st, const struct directive *d)
{
	struct frame *f = top(p);
	/* Header names are case-insensitive, so the patterns are too unless -case. */
	struct cfg_cond *c = parse_pattern(p, st, COND_HEADER, MT_REGEX, 1, 0);

	if (!c)
		return;
	if (f->ctx == CTX_RESP)
		append_cond(f->s ? &f->s->resp_remove : &f->l->resp_remove, c);
	else
		append_cond(f->ctx == CTX_SERVICE ? &f->s->head_remove : &f->l->head_remove, c);
}

/* Headers that decide how a message is framed or the connection is kept. */
static int is_framing_header(const char *name, size_t len)
{
	static const char *const names[] = {
	    "Content-Length", "Transfer-Encoding", "Connection",      "Keep-Alive", "TE",
	    "Trailer",        "Upgrade",           "Proxy-Connection"};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strlen(names[i]) == len && strncasecmp(names[i], name, len) == 0)
			return 1;
	return 0;
}

/* Pound expands $N and %[...] in some strings; pinfold cannot (yet). */
static int has_expansion(const char *s)
{
	for (; *s; s++) {
		if (s[0] == '%' && s[1] == '[')
			return 1;
		if (s[0] == '$' && ((s[1] >= '0' && s[1] <= '9') || s[1] == '{'))
			return 1;
	}
	return 0;
}

/* SetHeader, AddHeader, HeaderAdd: "Name: value", checked now so it is safe to send. */
static void h_set_header(struct parser *p, const struct stmt *st, const struct directive *d)
{
	const struct cfg_tok *t = &st->tok[1];
	struct frame *f = top(p);
	const char *colon;
	struct cfg_hdr *h;
	size_t nlen;

	if (t->type != CFG_TOK_STRING) {
		err_at(p, t, "expected a quoted header line \"Name: value\" after %s, got \"%s\"",
		       d->name, t->text);
		return;
	}
	colon = strchr(t->text, ':');
	if (!colon || colon == t->text) {
		err_at(p, t, "expected a header line \"Name: value\", got \"%s\"", t->text);
		return;
	}
	nlen = (size_t)(colon - t->text);
	for (size_t i = 0; i < nlen; i++) {
		if (!http_is_tchar((unsigned char)t->text[i])) {
			err_at(p, t,
			       "invalid header name \"%.*s\" in \"%s\" (letters, digits and "
			       "!#$%%&'*+-.^_`|~ only)",
			       (int)nlen, t->text, t->text);
			return;
		}
	}
	for (const char *v = colon + 1; *v; v++) {
		unsigned char c = (unsigned char)*v;

		if ((c < 0x20 && c != '\t') || c == 0x7f) {
			err_at(p, t, "header value must not contain control characters");
			return;
		}
	}
	if (is_framing_header(t->text, nlen)) {
		err_at(p, t,
		       "%s cannot set \"%.*s\": it controls message framing or the "
		       "connection",
		       d->name, (int)nlen, t->text);
		return;
	}
	if (has_expansion(colon + 1)) {
		err_at(p, t,
		       "$N and %%[...] expansion in %s is a Pound feature pinfold does not "
		       "implement yet",
		       d->name);
		return;
	}
	h = zalloc(p, sizeof(*h));
	if (!h)
		return;
	h->line = dupstr(p, t->text);
	if (!h->line) {
		free(h);
		return;
	}
	h->len = t->len;
	h->name_len = nlen;
	if (f->ctx == CTX_RESP)
		append_hdr(f->s ? &f->s->resp_add : &f->l->resp_add, h);
	else
		append_hdr(f->ctx == CTX_SERVICE ? &f->s->head_add : &f->l->head_add, h);
}

static void h_priority(struct parser *p, const struct stmt *st, const struct directive *d)
{
	long v;

	if (arg_number(p, &st->tok[1], 0, CFG_MAX_PRIORITY, "a priority", &v) == 0)
		top(p)->b->priority = (int)v;
}

static void h_disabled(struct parser *p, const struct stmt *st, const struct directive *d)
{
	int v;

	if (top(p)->ctx == CTX_SERVICE) {
		err_at(p, &st->tok[0],
		       "\"Disabled\" in a Service is a Pound directive pinfold does "
		       "not implement yet");
		return;
	}
	if (arg_bool(p, &st->tok[1], &v) == 0)
		top(p)->b->disabled = v;
}

/* ---- handlers: TLS (ListenHTTPS and HTTPS backends) -------------------------------- */

static void h_https_backend(struct parser *p, const struct stmt *st, const struct directive *d)
{
	top(p)->b->https = 1;
}

/*
 * A build without TLS: say so once per block rather than once per line, since
 * the Cert, Ciphers, ... that follow an HTTPS add nothing the reader needs.
 */
static void tls_unavailable(struct parser *p, const struct stmt *st, const struct directive *d)
{
	struct frame *f = top(p);

	if (d->fn == h_https_backend) {
		err_at(p, &st->tok[0],
		       "HTTPS backends need a TLS-enabled build (" NO_TLS_BUILD ")");
	} else if (!f->tls_said) {
		err_at(p, &st->tok[0], "\"%s\" needs a TLS-enabled build (" NO_TLS_BUILD ")",
		       d->name);
	}
	f->tls_said = 1;
}

/* Pound: in a backend, the TLS settings come after HTTPS. */
static int needs_https(struct parser *p, const struct stmt *st, const struct directive *d)
{
	struct frame *f = top(p);

	if (f->ctx != CTX_BACKEND && f->ctx != CTX_EMERGENCY)
		return 0;
	if (f->b->https)
		return 0;
	err_at(p, &st->tok[0], "\"%s\" needs HTTPS first: write HTTPS above it in this %s",
	       d->name, ctx_name[f->ctx]);
	return 1;
}

/* A file name (Cert, CAlist, VerifyList, CAFile): only its form; it is read later. */
static int file_arg(struct parser *p, const struct cfg_tok *t, const struct directive *d)
{
	if (t->len == 0) {
		err_at(p, t, "expected %s after %s, got an empty string", d->want, d->name);
		return -1;
	}
	return 0;
}

/* "mbedTLS 2.28.3", for what this build's library lacks: the fix is another library. */
static const char *tls_library(char *buf, size_t len)
{
	snprintf(buf, len, "%s %s", tls_backend_name(), tls_backend_version());
	return buf;
}

/*
 * Cert: a listener takes several (the first is the default, the others are chosen by
 * SNI); a backend presents one client certificate.  Pound wants Cert before the other
 * TLS lines because it builds an OpenSSL context per Cert as it reads; pinfold builds
 * its contexts after the whole block is read, so the order does not matter.
 */
static void h_cert(struct parser *p, const struct stmt *st, const struct directive *d)
{
	const struct cfg_tok *t = &st->tok[1];
	struct frame *f = top(p);
	struct cfg_listener *l = f->l;
	char **grown, *copy;

	if (needs_https(p, st, d) || file_arg(p, t, d) != 0)
		return;
	if (f->ctx != CTX_HTTPS) {
		if (f->b->tls_cert) {
			const struct seen *first = seen_of(f, "Cert");
			char at[300];

			describe_line(at, sizeof(at), st->tok[0].file, first->file, first->line);
			err_at(p, &st->tok[0],
			       "second Cert in this %s (the first is at %s): a backend presents "
			       "one client certificate",
			       ctx_name[f->ctx], at);
			return;
		}
		f->b->tls_cert = dupstr(p, t->text);
		return;
	}
	copy = dupstr(p, t->text);
	grown = realloc(l->certs, (size_t)(l->ncerts + 1) * sizeof(*grown));
	if (!copy || !grown) {
		free(copy);
		if (grown)
			l->certs = grown;
		p->lx.oom = 1;
		p->stop = 1;
		return;
	}
	l->certs = grown;
	l->certs[l->ncerts++] = copy;
}

/*
 * Ciphers: the shim says what the OpenSSL-style string selects.  An unknown token is
 * an error now; a string that leaves TLS 1.2 nothing is judged at End, once a
 * Disable TLSv1_2 in the same block may have made TLS 1.2 moot.
 */
static void h_ciphers(struct parser *p, const struct stmt *st, const struct directive *d)
{
	const struct cfg_tok *t = &st->tok[1];
	struct frame *f = top(p);
	char why[256];
	int n;

	if (needs_https(p, st, d))
		return;
	n = tls_cipher_check(t->text, why, sizeof(why));
	if (n < 0) {
		err_at(p, t, "Ciphers \"%s\": %s", t->text, why);
		return;
	}
	if (n == 0) {
		f->no_tls12.file = t->file;
		f->no_tls12.line = t->line;
		f->no_tls12.col = t->col;
	}
	if (f->ctx == CTX_HTTPS)
		f->l->ciphers = dupstr(p, t->text);
	else
		f->b->tls_ciphers = dupstr(p, t->text);
}

/* End of a TLS block: a Ciphers string that selects no TLS 1.2 suite. */
static void check_no_tls12(struct parser *p, const struct frame *f, const char *ciphers,
                           int min_version)
{
	int listener = f->ctx == CTX_HTTPS;
	struct cfg_tok at = where(f->no_tls12.file, f->no_tls12.line, f->no_tls12.col);
	char lib[96];

	/* Only TLS 1.3 was wanted anyway (Disable TLSv1_2). */
	if (!f->no_tls12.line || min_version >= TLS_V1_3)
		return;
	if (tls_max_version() < TLS_V1_3)
		err_at(p, &at,
		       "Ciphers \"%s\" leaves no forward-secret TLS 1.2 suite, and this %s has "
		       "no TLS 1.3: %s",
		       ciphers, tls_library(lib, sizeof(lib)),
		       listener ? "nobody could connect" : "the backend could never be reached");
	else
		warn_at(p, &at, "Ciphers \"%s\" leaves no forward-secret TLS 1.2 suite: %s", ciphers,
		        listener ? "only TLS 1.3 clients can connect"
		                 : "only a TLS 1.3 backend can be reached");
}

/*
 * Disable X turns off X and everything below it (Pound's, that is OpenSSL's, meaning).
 * Nothing below TLS 1.2 is ever offered, so only Disable TLSv1_2 changes anything.
 */
static void h_disable(struct parser *p, const struct stmt *st, const struct directive *d)
{
	static const char *const below12[] = {"SSLv2", "SSLv3", "TLSv1", "TLSv1_1"};
	const struct cfg_tok *t = &st->tok[1];
	struct frame *f = top(p);
	char lib[96];

	if (needs_https(p, st, d))
		return;
	for (size_t i = 0; i < sizeof(below12) / sizeof(below12[0]); i++)
		if (strcasecmp(t->text, below12[i]) == 0)
			return;
	if (strcasecmp(t->text, "TLSv1_2") != 0) {
		err_at(p, t,
		       "expected SSLv2, SSLv3, TLSv1, TLSv1_1 or TLSv1_2 after Disable, got \"%s\"",
		       t->text);
		return;
	}
	if (tls_max_version() < TLS_V1_3) {
		err_at(p, t, "Disable TLSv1_2 leaves no TLS version: this %s has no TLS 1.3",
		       tls_library(lib, sizeof(lib)));
		return;
	}
	if (f->ctx == CTX_HTTPS)
		f->l->min_version = TLS_V1_3;
	else
		f->b->tls_min_version = TLS_V1_3;
}

/* ServerName: sent as SNI and verified (with CAFile); SNI carries host names only. */
static void h_servername(struct parser *p, const struct stmt *st, const struct directive *d)
{
	const struct cfg_tok *t = &st->tok[1];

	if (needs_https(p, st, d))
		return;
	if (!looks_like_hostname(t->text)) {
		err_at(p, t, "expected a host name after ServerName, got \"%s\"", t->text);
		return;
	}
	top(p)->b->tls_servername = dupstr(p, t->text);
}

/*
 * CAFile (pinfold's own; Pound never verifies a backend): verify the backend's chain
 * against these CAs, and its name against ServerName, else against the Address when
 * that is a host name (filled in at End).  An IP Address without ServerName gets the
 * chain checked only: with a private CA that is what such a setup wants.
 */
static void h_cafile(struct parser *p, const struct stmt *st, const struct directive *d)
{
	const struct cfg_tok *t = &st->tok[1];

	if (needs_https(p, st, d) || file_arg(p, t, d) != 0)
		return;
	top(p)->b->tls_ca = dupstr(p, t->text);
}

/*
 * ClientCert MODE [DEPTH]: Pound's 0..3.  The depth is taken and not used: the library
 * verifies whole chains (up to its own limit), and a shorter limit only ever turns a
 * valid client away.  Whether a CA file is there is known at End.
 */
static void h_client_cert(struct parser *p, const struct stmt *st, const struct directive *d)
{
	struct frame *f = top(p);
	long mode;

	if (arg_number(p, &st->tok[1], 0, 3, "a ClientCert mode", &mode) != 0)
		return;
	if (st->n > 2 && !is_digits(st->tok[2].text)) {
		err_at(p, &st->tok[2], "expected a verification depth (a number), got \"%s\"",
		       st->tok[2].text);
		return;
	}
	f->l->client_cert = (int)mode;
	f->client_cert.file = st->tok[1].file;
	f->client_cert.line = st->tok[1].line;
	f->client_cert.col = st->tok[1].col;
}

enum { CA_CALIST, CA_VERIFYLIST };

/*
 * CAlist (the CAs named to the client) and VerifyList (the CAs that verify its
 * certificate) are two files in Pound; the TLS shim takes one file for both, so
 * either fills ca_list, and two different files cannot be honoured.
 */
static void h_ca_list(struct parser *p, const struct stmt *st, const struct directive *d)
{
	const struct cfg_tok *t = &st->tok[1];
	struct frame *f = top(p);
	struct cfg_listener *l = f->l;

	if (file_arg(p, t, d) != 0)
		return;
	if (l->ca_list && strcmp(l->ca_list, t->text) != 0) {
		const char *other = d->arg == CA_CALIST ? "VerifyList" : "CAlist";
		const struct seen *o = seen_of(f, other);
		char at[300];

		describe_line(at, sizeof(at), t->file, o->file, o->line);
		err_at(p, t,
		       "%s \"%s\" differs from %s \"%s\" at %s: pinfold uses one CA file both to "
		       "ask for client certificates and to verify them",
		       d->name, t->text, other, l->ca_list, at);
		return;
	}
	if (!l->ca_list)
		l->ca_list = dupstr(p, t->text);
}

static void h_nohttps11(struct parser *p, const struct stmt *st, const struct directive *d)
{
	long v;

	if (arg_number(p, &st->tok[1], 0, 2, "a NoHTTPS11 mode", &v) == 0)
		top(p)->l->no_https11 = (int)v;
}

/* SSLSessionTickets 0|1: TLS session tickets (keys in memory only), on by default. */
static void h_session_tickets(struct parser *p, const struct stmt *st, const struct directive *d)
{
	int v;

	if (arg_bool(p, &st->tok[1], &v) == 0)
		top(p)->l->no_tickets = !v;
}

/* SSLSessionCache N: how many sessions the listener keeps for session-ID resumption. */
static void h_session_cache(struct parser *p, const struct stmt *st, const struct directive *d)
{
	long v;

	if (arg_number(p, &st->tok[1], 0, TLS_SESSION_CACHE_MAX, "a number of sessions", &v) == 0)
		top(p)->l->session_cache = (int)v + 1;
}

/*
 * SSLHonorCipherOrder: checked for Pound's sake and not stored, because pinfold always
 * uses the server's order (mbedTLS's server walks its own suite list, which is the
 * Ciphers order); letting the client choose could only ever pick a weaker suite.
 */
static void h_honor_order(struct parser *p, const struct stmt *st, const struct directive *d)
{
	int v;

	arg_bool(p, &st->tok[1], &v);
}

/*
 * SSLAllowClientRenegotiation: 0 is what pinfold does anyway; renegotiation is a
 * CPU-exhaustion lever (and 2 was a man-in-the-middle hole), so it is never turned on.
 */
static void h_renegotiation(struct parser *p, const struct stmt *st, const struct directive *d)
{
	long v;

	if (arg_number(p, &st->tok[1], 0, 2, "a renegotiation mode", &v) != 0)
		return;
	if (v != 0)
		err_at(p, &st->tok[1],
		       "SSLAllowClientRenegotiation %ld is not supported: pinfold never allows "
		       "client-initiated renegotiation (only 0 is accepted)",
		       v);
}

static void h_crl_list(struct parser *p, const struct stmt *st, const struct directive *d)
{
	err_at(p, &st->tok[0], "\"%s\" is a Pound directive pinfold does not implement yet",
	       d->name);
}

/* End of ListenHTTPS: what only the whole block can tell. */
static void finish_https(struct parser *p, struct frame *f)
{
	struct cfg_listener *l = f->l;
	struct cfg_tok at = where(f->file, f->line, f->col);

	/* A Cert written but rejected was reported already. */
	if (!was_given(f, "Cert"))
		err_at(p, &at, "ListenHTTPS has no Cert (at least one certificate is required)");
	if ((l->client_cert == 1 || l->client_cert == 2) && !was_given(f, "CAlist") &&
	    !was_given(f, "VerifyList")) {
		at = where(f->client_cert.file, f->client_cert.line, f->client_cert.col);
		err_at(p, &at,
		       "ClientCert %d verifies client certificates, but there is no CAlist or "
		       "VerifyList to verify them against",
		       l->client_cert);
	}
	check_no_tls12(p, f, l->ciphers, l->min_version);
}

/* End of an HTTPS backend. */
static void finish_backend_tls(struct parser *p, struct frame *f)
{
	struct cfg_backend *b = f->b;

	if (!b->https)
		return;
	if (b->tls_ca && !b->tls_servername && f->host[0])
		b->tls_servername = dupstr(p, f->host);
	check_no_tls12(p, f, b->tls_ciphers, b->tls_min_version);
}

/* ---- handlers: service ------------------------------------------------------------- */

enum { M_URL, M_PATH, M_HEADER, M_HEADDENY, M_HOST };

/* Url, Path, Header, HeadRequire, HeadDeny, Host: Pound's defaults for each. */
static void h_match(struct parser *p, const struct stmt *st, const struct directive *d)
{
	struct frame *f = top(p);
	struct cfg_cond *c = NULL;

	switch (d->arg) {
	case M_URL:
		c = parse_pattern(p, st, COND_URL, MT_REGEX, -1, p->negate);
		break;
	case M_PATH:
		c = parse_pattern(p, st, COND_PATH, MT_REGEX, -1, p->negate);
		break;
	case M_HEADER:
		c = parse_pattern(p, st, COND_HEADER, MT_REGEX, 1, p->negate);
		break;
	case M_HEADDENY:
		c = parse_pattern(p, st, COND_HEADER, MT_REGEX, 1, !p->negate);
		break;
	case M_HOST:
		/* Pound: a bare Host is a case-insensitive exact comparison. */
		c = parse_pattern(p, st, COND_HOST, MT_EXACT, 1, p->negate);
		break;
	}
	if (c)
		append_cond(&f->s->conds, c);
}

static void h_acl(struct parser *p, const struct stmt *st, const struct directive *d);

static void h_not(struct parser *p, const struct stmt *st, const struct directive *d)
{
	const struct cfg_tok *kw = &st->tok[1];
	struct stmt rest = {st->tok + 1, st->n - 1};
	const struct directive *inner;

	if (kw->type != CFG_TOK_WORD || !(inner = find_directive(kw->text))) {
		err_at(p, kw,
		       "expected a matching directive after Not (Url, Path, Header, Host, "
		       "HeadRequire, HeadDeny, ACL, BasicAuth, Method), got \"%s\"",
		       kw->text);
		return;
	}
	if (inner->flags & F_NOTYET) {
		not_yet(p, inner, &rest, top(p)->ctx);
		return;
	}
	if (inner->flags & F_OUT) {
		built_out(p, inner, &rest, top(p)->ctx);
		return;
	}
	if (!(inner->flags & F_COND)) {
		err_at(p, kw,
		       "\"%s\" cannot follow Not: expected a matching directive (Url, Path, "
		       "Header, Host, HeadRequire, HeadDeny, ACL, BasicAuth, Method)",
		       kw->text);
		return;
	}
	/* A listener has one kind of condition: on the client address. */
	if (top(p)->ctx != CTX_SERVICE && inner->fn != h_acl) {
		err_at(p, kw, "in a %s, Not can only precede ACL (\"%s\" belongs in a Service)",
		       ctx_name[top(p)->ctx], kw->text);
		if (opens_block(inner, &rest, top(p)->ctx))
			push_skip(p, inner, kw);
		return;
	}
	if (rest.n - 1 < inner->min) {
		err_at(p, kw, "missing argument for \"%s\": expected %s", kw->text, inner->want);
		return;
	}
	if (rest.n - 1 > inner->max) {
		err_at(p, &rest.tok[inner->max + 1], "too many arguments for \"%s\"", kw->text);
		return;
	}
	p->negate = !p->negate;
	inner->fn(p, &rest, inner);
	p->negate = !p->negate;
}

static int redirect_url_ok(struct parser *p, const struct cfg_tok *t, int *append)
{
	const char *s = t->text, *host;
	size_t hostlen;

	if (strncasecmp(s, "http://", 7) == 0)
		host = s + 7;
	else if (strncasecmp(s, "https://", 8) == 0)
		host = s + 8;
	else
		goto bad;
	hostlen = strcspn(host, "/?#");
	if (hostlen == 0)
		goto bad;
	for (const char *c = s; *c; c++) {
		if ((unsigned char)*c <= 0x20 || *c == 0x7f) {
			err_at(p, t,
			       "the Redirect URL must not contain spaces or control characters");
			return -1;
		}
	}
	if (has_expansion(s)) {
		err_at(p, t,
		       "$N and %%[...] expansion in Redirect is a Pound feature pinfold does not "
		       "implement yet");
		return -1;
	}
	/* Pound: a URL that is only scheme://host gets the request's path+query appended. */
	*append = host[hostlen] == '\0';
	return 0;
bad:
	err_at(p, t, "expected an absolute http:// or https:// URL, got \"%s\"", t->text);
	return -1;
}

static void h_redirect(struct parser *p, const struct stmt *st, const struct directive *d)
{
	struct frame *f = top(p);
	const struct cfg_tok *url = &st->tok[st->n - 1];
	long code = 302; /* Pound's default */
	int append = 0;

	if (st->n == 3) {
		const struct cfg_tok *c = &st->tok[1];

		if (!is_digits(c->text) || c->len != 3 ||
		    !(strcmp(c->text, "301") == 0 || strcmp(c->text, "302") == 0 ||
		      strcmp(c->text, "303") == 0 || strcmp(c->text, "307") == 0 ||
		      strcmp(c->text, "308") == 0)) {
			err_at(p, c,
			       "expected a redirect status 301, 302, 303, 307 or 308, got \"%s\"",
			       c->text);
			return;
		}
		code = strtol(c->text, NULL, 10);
	}
	if (url->type != CFG_TOK_STRING) {
		err_at(p, url, "expected the URL in quotes after Redirect, got \"%s\"", url->text);
		return;
	}
	if (redirect_url_ok(p, url, &append) != 0)
		return;
	if (action_conflicts(p, &st->tok[0], "Redirect", f->ss, 0))
		return;
	f->ss->redirect_line = st->tok[0].line;
	f->s->redirect_code = (int)code;
	f->s->redirect_append = append;
	f->s->redirect_url = dupstr(p, url->text);
}

/* The statuses Pound 4 can answer an Error service with. */
static const int error_codes[] = {400, 401, 403, 404, 405, 413, 414, 429, 500, 501, 503};

static void h_error(struct parser *p, const struct stmt *st, const struct directive *d)
{
	struct frame *f = top(p);
	const struct cfg_tok *t = &st->tok[1];
	long code = 0;

	if (is_digits(t->text) && t->len == 3)
		code = strtol(t->text, NULL, 10);
	for (size_t i = 0; i < sizeof(error_codes) / sizeof(error_codes[0]); i++)
		if (code == error_codes[i])
			goto ok;
	err_at(p, t,
	       "expected an error status (400, 401, 403, 404, 405, 413, 414, 429, 500, 501 "
	       "or 503), got \"%s\"",
	       t->text);
	return;
ok:
	if (st->n > 2) {
		err_at(p, &st->tok[2],
		       "\"Error\" with a page file is a Pound feature pinfold does not "
		       "implement yet");
		return;
	}
	if (action_conflicts(p, &st->tok[0], "Error", f->ss, 0))
		return;
	f->ss->error_line = st->tok[0].line;
	f->s->error_code = (int)code;
}

/* ---- handlers: access controls and limits ------------------------------------------ */

static struct cfg_acl *find_acl(struct parser *p, const char *name)
{
	for (struct cfg_acl *a = p->cfg->acls; a; a = a->next)
		if (a->name && strcmp(a->name, name) == 0)
			return a;
	return NULL;
}

/* A new, empty list; the config owns it from now on, used or not. */
static struct cfg_acl *new_acl(struct parser *p, const char *name, const struct cfg_tok *at)
{
	struct cfg_acl *a = zalloc(p, sizeof(*a)), **tail;

	if (!a)
		return NULL;
	a->acl = acl_new();
	if (!a->acl || (name && !(a->name = dupstr(p, name)))) {
		acl_free(a->acl);
		free(a);
		p->lx.oom = 1;
		p->stop = 1;
		return NULL;
	}
	a->file = at->file;
	a->line = at->line;
	for (tail = &p->cfg->acls; *tail; tail = &(*tail)->next)
		;
	*tail = a;
	return a;
}

/* The quoted CIDR lines of `a` follow, up to End. */
static void push_acl(struct parser *p, const struct directive *d, const struct cfg_tok *kw,
                     struct cfg_acl *a)
{
	struct frame *f = push_frame(p, CTX_ACL, d, kw);

	if (f)
		f->cacl = a;
}

/* Pound: a named list must be defined (at top level) before it is used. */
static struct cfg_acl *named_acl(struct parser *p, const struct cfg_tok *t, const char *what)
{
	struct cfg_acl *a;

	if (t->type != CFG_TOK_STRING) {
		err_at(p, t, "expected the ACL name in quotes after %s, got \"%s\"", what, t->text);
		return NULL;
	}
	a = find_acl(p, t->text);
	if (!a)
		err_at(p, t,
		       "no ACL named \"%s\" is defined above this line (define it at top level: "
		       "ACL \"%s\", one quoted CIDR per line, End)",
		       t->text, t->text);
	return a;
}

/*
 * ACL: at top level, a named list; in a Service, a condition on the client
 * address (Pound's); in a listener, a gate every request must pass before
 * routing, else 403 (pinfold's).  Either refers to a named list or opens an
 * inline one; Not (through h_not) reverses it.
 */
static void h_acl(struct parser *p, const struct stmt *st, const struct directive *d)
{
	struct frame *f = top(p);
	const struct cfg_tok *kw = &st->tok[0];
	struct cfg_acl *a;
	struct cfg_cond *c;

	if (f->ctx == CTX_GLOBAL) {
		const struct cfg_tok *t = &st->tok[st->n > 1 ? 1 : 0];

		if (st->n < 2 || t->type != CFG_TOK_STRING || t->len == 0) {
			err_at(p, t,
			       "an ACL at top level needs a name: ACL \"name\", then one quoted "
			       "CIDR per line, then End");
			push_skip(p, d, kw);
			return;
		}
		a = find_acl(p, t->text);
		if (a) {
			char at[300];

			describe_line(at, sizeof(at), t->file, a->file, a->line);
			err_at(p, t, "an ACL named \"%s\" already exists (%s)", t->text, at);
			push_skip(p, d, kw);
			return;
		}
		a = new_acl(p, t->text, kw);
		if (a)
			push_acl(p, d, kw, a);
		return;
	}
	a = st->n > 1 ? named_acl(p, &st->tok[1], "ACL") : new_acl(p, NULL, kw);
	if (!a)
		return;
	c = zalloc(p, sizeof(*c));
	if (c) {
		c->kind = COND_ACL;
		c->type = MT_EXACT;
		c->negate = p->negate;
		c->acl = a->acl;
		c->file = kw->file;
		c->line = kw->line;
		c->str = dupstr(p, a->name ? a->name : "");
		c->len = c->str ? strlen(c->str) : 0;
		append_cond(f->ctx == CTX_SERVICE ? &f->s->conds : &f->l->acl_gate, c);
	}
	if (st->n == 1)
		push_acl(p, d, kw, a);
}

/*
 * TrustedIP (Pound's): the proxies whose X-Forwarded-For is believed.  Named or
 * inline, at top level or in a listener (the listener's wins).
 */
static void h_trusted(struct parser *p, const struct stmt *st, const struct directive *d)
{
	struct frame *f = top(p);
	const struct cfg_tok *kw = &st->tok[0];
	const struct acl **dst;
	struct cfg_acl *a;

	if (f->ctx == CTX_SERVICE) {
		err_at(p, kw,
		       "TrustedIP in a Service is not supported: pinfold settles the client "
		       "address before it chooses a service (ACLs and rate limits use it); write "
		       "TrustedIP in the listener or at top level");
		if (st->n == 1)
			push_skip(p, d, kw);
		return;
	}
	if (f->ctx != CTX_GLOBAL && was_given(f, "StripForwarded")) {
		err_at(p, kw,
		       "TrustedIP conflicts with the StripForwarded at line %d: both decide whose "
		       "forwarding headers are kept; use one of them",
		       seen_of(f, "StripForwarded")->line);
		if (st->n == 1)
			push_skip(p, d, kw);
		return;
	}
	dst = f->ctx == CTX_GLOBAL ? &p->cfg->trusted : &f->l->trusted;
	if (st->n > 1) {
		a = named_acl(p, &st->tok[1], "TrustedIP");
		if (a)
			*dst = a->acl;
		return;
	}
	a = new_acl(p, NULL, kw);
	if (!a)
		return;
	*dst = a->acl;
	push_acl(p, d, kw, a);
}

/* One line inside an ACL or TrustedIP list: a quoted CIDR, Include, or End. */
static void acl_line(struct parser *p, const struct stmt *st)
{
	struct frame *f = top(p);
	const struct cfg_tok *t = &st->tok[0];
	char why[256];
	int rc;

	if (t->type == CFG_TOK_WORD) {
		const struct directive *d = find_directive(t->text);

		if (d && (d->flags & F_END)) {
			close_block(p, st);
		} else if (d && d->fn == h_include) {
			if (st->n == 2)
				h_include(p, st, d);
			else
				err_at(p, t, "Include takes exactly one file name");
		} else {
			f->acl_lines++;
			err_at(p, t,
			       "expected a quoted address or CIDR (\"192.0.2.0/24\", \"2001:db8::/32\") "
			       "or End in %s, got \"%s\"",
			       f->d->name, t->text);
		}
		return;
	}
	f->acl_lines++;
	if (st->n > 1) {
		err_at(p, &st->tok[1], "one address or CIDR per line, got \"%s\" after \"%s\"",
		       st->tok[1].text, t->text);
		return;
	}
	rc = acl_add(f->cacl->acl, t->text, why, sizeof(why));
	if (rc < 0 && strcmp(why, "out of memory") == 0) {
		p->lx.oom = 1;
		p->stop = 1;
	} else if (rc < 0) {
		err_at(p, t, "%s", why);
	} else if (rc > 0) {
		warn_at(p, t,
		        "\"%s\" has address bits set past its prefix length: the whole prefix is "
		        "meant",
		        t->text);
	}
}

/* End of an address list: sort and merge it for lookups. */
static void finish_acl(struct parser *p, struct frame *f)
{
	struct cfg_tok at = where(f->file, f->line, f->col);

	if (f->acl_lines == 0) {
		if (f->cacl->name)
			err_at(p, &at, "ACL \"%s\" lists no addresses", f->cacl->name);
		else
			err_at(p, &at, "%s lists no addresses (one quoted CIDR per line before End)",
			       f->d->name);
		return;
	}
	if (acl_finish(f->cacl->acl) < 0) {
		p->lx.oom = 1;
		p->stop = 1;
	}
}

/* BasicAuth "file" (Pound's condition): valid Basic credentials for a user in the file. */
/* A file name as written: a relative one is relative to the file that names it, as with
 * Include.  NULL when out of memory. */
static char *relative_path(struct parser *p, const struct cfg_tok *t)
{
	const char *slash = strrchr(t->file, '/');
	size_t dl = t->text[0] != '/' && slash ? (size_t)(slash - t->file) + 1 : 0;
	char *path = malloc(dl + t->len + 1);

	if (!path) {
		p->lx.oom = 1;
		p->stop = 1;
		return NULL;
	}
	memcpy(path, t->file, dl);
	memcpy(path + dl, t->text, t->len + 1);
	return path;
}

#if PINFOLD_BASICAUTH
static void h_basicauth(struct parser *p, const struct stmt *st, const struct directive *d)
{
	const struct cfg_tok *t = &st->tok[1];
	struct config *cfg = p->cfg;
	struct cfg_cond *c;
	char *path;
	unsigned id;

	if (t->type != CFG_TOK_STRING || t->len == 0) {
		err_at(p, t, "expected the password file name in quotes after BasicAuth, got \"%s\"",
		       t->text);
		return;
	}
	path = relative_path(p, t);
	if (!path)
		return;
	for (id = 0; id < cfg->nauth; id++)
		if (strcmp(cfg->auth[id].path, path) == 0)
			break;
	if (id == cfg->nauth) {
		struct cfg_auth *grown = realloc(cfg->auth, (cfg->nauth + 1) * sizeof(*grown));

		if (!grown) {
			free(path);
			p->lx.oom = 1;
			p->stop = 1;
			return;
		}
		cfg->auth = grown;
		memset(&cfg->auth[id], 0, sizeof(cfg->auth[id]));
		cfg->auth[id].path = path;
		cfg->auth[id].file = t->file;
		cfg->auth[id].line = t->line;
		cfg->auth[id].col = t->col;
		cfg->nauth++;
	} else {
		free(path);
	}
	c = zalloc(p, sizeof(*c));
	if (!c)
		return;
	c->kind = COND_BASICAUTH;
	c->type = MT_EXACT;
	c->negate = p->negate;
	c->auth_id = id;
	c->file = t->file;
	c->line = t->line;
	c->str = dupstr(p, cfg->auth[id].path);
	c->len = c->str ? strlen(c->str) : 0;
	append_cond(&top(p)->s->conds, c);
}
#endif

/* Method [options] "pattern" (pinfold's): the request method, case-sensitive regex. */
static void h_method(struct parser *p, const struct stmt *st, const struct directive *d)
{
	struct cfg_cond *c = parse_pattern(p, st, COND_METHOD, MT_REGEX, 0, p->negate);

	if (c)
		append_cond(&top(p)->s->conds, c);
}

/*
 * Rewrite response ... End (Pound's): SetHeader and DeleteHeader for the
 * responses of this listener or service.  Conditions inside it, and Rewrite
 * of requests, are not implemented.
 */
static void h_rewrite(struct parser *p, const struct stmt *st, const struct directive *d)
{
	struct frame *outer = top(p), *f;
	const struct cfg_tok *kw = &st->tok[0];

	if (st->n > 1 && strcasecmp(st->tok[1].text, "response") == 0) {
		f = push_frame(p, CTX_RESP, d, kw);
		if (f) {
			f->s = outer->ctx == CTX_SERVICE ? outer->s : NULL;
			f->l = outer->ctx == CTX_SERVICE ? NULL : outer->l;
		}
		return;
	}
	if (st->n > 1 && strcasecmp(st->tok[1].text, "request") != 0)
		err_at(p, &st->tok[1], "expected request or response after Rewrite, got \"%s\"",
		       st->tok[1].text);
	else
		err_at(p, kw,
		       "\"Rewrite\" of requests is a Pound directive pinfold does not implement "
		       "yet (Rewrite response is supported)");
	push_skip(p, d, kw);
}

/* RateLimit COUNT SECONDS [BURST] (pinfold's), per client address. */
static void h_ratelimit(struct parser *p, const struct stmt *st, const struct directive *d)
{
	struct frame *f = top(p);
	long count, secs, burst;
	struct cfg_rate *r;

	if (arg_number(p, &st->tok[1], 1, 1000000, "a number of requests", &count) != 0 ||
	    arg_number(p, &st->tok[2], 1, MAX_SECONDS, "a number of seconds", &secs) != 0)
		return;
	burst = count;
	if (st->n > 3 && arg_number(p, &st->tok[3], 1, 1000000, "a burst size", &burst) != 0)
		return;
	r = zalloc(p, sizeof(*r));
	if (!r)
		return;
	r->count = (unsigned)count;
	r->period_ms = (unsigned)secs * 1000;
	r->burst = (unsigned)burst;
	r->slot = p->cfg->nrates++;
	r->file = st->tok[0].file;
	r->line = st->tok[0].line;
	if (f->ctx == CTX_SERVICE)
		f->s->rate = r;
	else
		f->l->rate = r;
}

#if PINFOLD_BASICAUTH
/* AuthFailLimit COUNT SECONDS (pinfold's): failed BasicAuth checks per client address. */
static void h_authfail(struct parser *p, const struct stmt *st, const struct directive *d)
{
	long count, secs;

	if (arg_number(p, &st->tok[1], 1, 100000, "a number of failed logins", &count) != 0 ||
	    arg_number(p, &st->tok[2], 1, MAX_SECONDS, "a number of seconds", &secs) != 0)
		return;
	p->cfg->auth_fail.count = (unsigned)count;
	p->cfg->auth_fail.period_ms = (unsigned)secs * 1000;
	p->cfg->auth_fail.burst = (unsigned)count;
	p->cfg->auth_fail.file = st->tok[0].file;
	p->cfg->auth_fail.line = st->tok[0].line;
}
#endif

enum { N_ENTRIES, N_MAXCONNS, N_MAXCONNS_IP, N_MAXURI, N_MAXHEAD, N_MAXHEADERS };

/* Counts and sizes: the range of each is in the table below, through `want`. */
static void h_count(struct parser *p, const struct stmt *st, const struct directive *d)
{
	static const struct {
		long min, max;
		const char *what;
	} range[] = {
	    [N_ENTRIES] = {16, 1 << 24, "a number of entries"},
	    [N_MAXCONNS] = {1, 1000000, "a number of connections"},
	    [N_MAXCONNS_IP] = {0, 1000000, "a number of connections (0: no cap)"},
	    [N_MAXURI] = {1, HTTP_MAX_LINE, "a length in bytes"},
	    [N_MAXHEAD] = {64, HTTP_MAX_HEAD, "a size in bytes"},
	    [N_MAXHEADERS] = {1, HTTP_MAX_HEADERS, "a number of header fields"},
	};
	struct frame *f = top(p);
	long v;

	if (arg_number(p, &st->tok[1], range[d->arg].min, range[d->arg].max, range[d->arg].what,
	               &v) != 0)
		return;
	switch (d->arg) {
	case N_ENTRIES:
		p->cfg->rate_entries = (unsigned)v;
		break;
	case N_MAXCONNS:
		if (f->ctx == CTX_GLOBAL)
			p->cfg->max_conns = (unsigned)v;
		else
			f->b->max_conns = (unsigned)v; /* requests in flight to this backend */
		break;
	case N_MAXCONNS_IP:
		p->cfg->max_conns_ip = (unsigned)v;
		break;
	case N_MAXURI:
		f->l->max_uri = (unsigned)v;
		break;
	case N_MAXHEAD:
		f->l->max_head = (unsigned)v;
		break;
	case N_MAXHEADERS:
		f->l->max_headers = (unsigned)v;
		break;
	}
}

/* MaxRequest BYTES (Pound's): request bodies larger than this are answered 413. */
static void h_maxrequest(struct parser *p, const struct stmt *st, const struct directive *d)
{
	const struct cfg_tok *t = &st->tok[1];
	unsigned long long v = 0;

	if (!is_digits(t->text) || t->len > 18)
		goto bad;
	for (const char *c = t->text; *c; c++)
		v = v * 10 + (unsigned)(*c - '0');
	if (v == 0)
		goto bad;
	top(p)->l->max_request = v;
	return;
bad:
	err_at(p, t, "expected a size in bytes (1 or more) after MaxRequest, got \"%s\"", t->text);
}

/* ---- backend controls: Session, HealthCheck -------------------------------------- */

#define SESS_ID_MAX 64  /* longer cookie or header names are surely a mistake */
#define HC_PATH_MAX 1024

#if PINFOLD_SESSION
static const struct {
	const char *name;
	enum cfg_sess_type type;
	const char *id; /* what ID names for this type, or NULL: no ID */
} sess_types[] = {
    {"IP", SESS_IP, NULL},         {"BASIC", SESS_BASIC, NULL},
    {"URL", SESS_URL, "the query parameter name"},
    {"PARM", SESS_PARM, NULL},     {"COOKIE", SESS_COOKIE, "the cookie name"},
    {"HEADER", SESS_HEADER, "the header name"},
};

#define SESS_TYPES "IP, BASIC, URL, PARM, COOKIE or HEADER"

static size_t sess_type_index(enum cfg_sess_type type)
{
	for (size_t i = 0; i < sizeof(sess_types) / sizeof(sess_types[0]); i++)
		if (sess_types[i].type == type)
			return i;
	return 0;
}

/* Session ... End (Pound's): one per Service, checked at its End. */
static void h_session(struct parser *p, const struct stmt *st, const struct directive *d)
{
	struct frame *outer = top(p), *f;
	struct cfg_session *se;

	if (outer->s->session) {
		err_at(p, &st->tok[0], "second Session in this Service (the first is at line %d)",
		       outer->s->session->line);
		push_skip(p, d, &st->tok[0]);
		return;
	}
	se = zalloc(p, sizeof(*se));
	if (!se)
		return;
	se->file = st->tok[0].file;
	se->line = st->tok[0].line;
	se->slot = p->cfg->nsessions++;
	outer->s->session = se;
	f = push_frame(p, CTX_SESSION, d, &st->tok[0]);
	if (f)
		f->s = outer->s;
}

static void h_sess_type(struct parser *p, const struct stmt *st, const struct directive *d)
{
	const struct cfg_tok *t = &st->tok[1];

	for (size_t i = 0; i < sizeof(sess_types) / sizeof(sess_types[0]); i++) {
		if (strcasecmp(t->text, sess_types[i].name) == 0) {
			top(p)->s->session->type = sess_types[i].type;
			return;
		}
	}
	err_at(p, t, "expected a session type (" SESS_TYPES ") after Type, got \"%s\"", t->text);
}

static void h_sess_ttl(struct parser *p, const struct stmt *st, const struct directive *d)
{
	long v;

	if (arg_number(p, &st->tok[1], 1, MAX_SECONDS, "a TTL in seconds", &v) == 0)
		top(p)->s->session->ttl = (int)v;
}

static void h_sess_id(struct parser *p, const struct stmt *st, const struct directive *d)
{
	const struct cfg_tok *t = &st->tok[1];
	struct cfg_session *se = top(p)->s->session;

	if (t->len == 0 || t->len > SESS_ID_MAX)
		goto bad;
	for (size_t i = 0; i < t->len; i++)
		if (!http_is_tchar((unsigned char)t->text[i]))
			goto bad;
	free(se->id);
	se->id = dupstr(p, t->text);
	se->id_len = t->len;
	return;
bad:
	err_at(p, t, "expected a cookie, parameter or header name (1-%d token characters) after ID, "
	       "got \"%s\"", SESS_ID_MAX, t->text);
}

static void finish_session(struct parser *p, struct frame *f)
{
	const struct cfg_session *se = f->s->session;
	struct cfg_tok at = where(f->file, f->line, f->col);
	size_t i;

	if (!was_given(f, "Type")) {
		err_at(p, &at, "Session has no Type (expected one of " SESS_TYPES ")");
		return;
	}
	if (!was_given(f, "TTL"))
		err_at(p, &at, "Session has no TTL (seconds a client stays with its backend)");
	if (se->type == SESS_NONE)
		return; /* the bad Type was reported */
	i = sess_type_index(se->type);
	if (sess_types[i].id && !was_given(f, "ID"))
		err_at(p, &at, "Session Type %s needs an ID (%s)", sess_types[i].name,
		       sess_types[i].id);
	if (!sess_types[i].id && was_given(f, "ID")) {
		const struct seen *w = seen_of(f, "ID");
		struct cfg_tok idt = where(w->file, w->line, w->col);

		err_at(p, &idt, "Session Type %s takes no ID (only URL, COOKIE and HEADER do)",
		       sess_types[i].name);
	}
}
#else
/* Never called: no Session block opens in this build. */
static void finish_session(struct parser *p, struct frame *f)
{
}
#endif

#if PINFOLD_HEALTHCHECK
/* "200" -> 200..200, "2xx" -> 200..299 */
static int hc_status(struct parser *p, const struct cfg_tok *t, int *lo, int *hi)
{
	if (t->len == 3 && t->text[0] >= '1' && t->text[0] <= '5' &&
	    strcasecmp(t->text + 1, "xx") == 0) {
		*lo = (t->text[0] - '0') * 100;
		*hi = *lo + 99;
		return 0;
	}
	if (t->len == 3 && is_digits(t->text)) {
		*lo = *hi = atoi(t->text);
		if (*lo >= 100 && *lo <= 599)
			return 0;
	}
	err_at(p, t, "expected a status (100-599, or a class like 2xx) after the HealthCheck "
	       "request, got \"%s\"", t->text);
	return -1;
}

/* HealthCheck "METHOD /path" [STATUS] (pinfold's): in a Service for all its backends,
 * in a BackEnd or Emergency for that one. */
static void h_healthcheck(struct parser *p, const struct stmt *st, const struct directive *d)
{
	static const char *const methods[] = {"GET", "HEAD", "OPTIONS"};
	const struct cfg_tok *t = &st->tok[1];
	struct frame *f = top(p);
	const char *sp = strchr(t->text, ' ');
	const char *path;
	struct cfg_hcheck *hc, **tail;
	size_t mlen, i;
	int lo = 200, hi = 200;

	if (!sp)
		goto bad;
	mlen = (size_t)(sp - t->text);
	for (i = 0; i < sizeof(methods) / sizeof(methods[0]); i++)
		if (strlen(methods[i]) == mlen && memcmp(methods[i], t->text, mlen) == 0)
			break;
	if (i == sizeof(methods) / sizeof(methods[0])) {
		err_at(p, t, "HealthCheck method must be GET, HEAD or OPTIONS, got \"%.*s\"",
		       (int)mlen, t->text);
		return;
	}
	path = sp + 1;
	if (path[0] != '/' || strlen(path) > HC_PATH_MAX)
		goto bad;
	for (const char *c = path; *c; c++)
		if ((unsigned char)*c <= 0x20 || (unsigned char)*c >= 0x7f)
			goto bad;
	if (st->n > 2 && hc_status(p, &st->tok[2], &lo, &hi) != 0)
		return;
	hc = zalloc(p, sizeof(*hc));
	if (!hc)
		return;
	for (tail = &p->cfg->hchecks; *tail; tail = &(*tail)->next)
		;
	*tail = hc;
	hc->method = dupstr(p, methods[i]);
	hc->path = dupstr(p, path);
	hc->status_lo = lo;
	hc->status_hi = hi;
	hc->file = t->file;
	hc->line = t->line;
	if (f->ctx == CTX_SERVICE)
		f->ss->hc = hc;
	else
		f->b->hc = hc;
	return;
bad:
	err_at(p, t, "expected a quoted \"METHOD /path\" after HealthCheck (one space, a path "
	       "starting with / of at most %d visible characters), got \"%s\"", HC_PATH_MAX,
	       t->text);
}
#endif

/* ---- handlers: edge features: ACME, ErrorFile, SocketFrom ------------------------ */

/*
 * ACME "/dir": answer /.well-known/acme-challenge/TOKEN from dir/TOKEN (core/acme.c).
 * The files are read at request time, after the chroot, so with a RootJail the
 * directory must lie inside it (checked in finish(), once RootJail is known).
 */
static void h_acme(struct parser *p, const struct stmt *st, const struct directive *d)
{
	const struct cfg_tok *t = &st->tok[1];
	struct cfg_listener *l = top(p)->l;

	if (t->type != CFG_TOK_STRING || t->text[0] != '/') {
		err_at(p, t, "expected %s after ACME, got \"%s\"", d->want, t->text);
		return;
	}
	l->acme_dir = dupstr(p, t->text);
	l->acme_file = t->file;
	l->acme_line = t->line;
}

static const int errfile_statuses[] = {400, 401, 403, 404, 405, 408, 413, 414, 421,
                                       429, 431, 500, 501, 502, 503, 504, 505};

/* ErrorFile NNN "file" (Pound 4) and Err400 ... Err503 "file" (d->arg = the status). */
static void h_errfile(struct parser *p, const struct stmt *st, const struct directive *d)
{
	const struct cfg_tok *code = &st->tok[1], *t = &st->tok[st->n - 1];
	struct cfg_listener *l = top(p)->l;
	struct cfg_errfile *e, **tail;
	long status = d->arg;

	if (!status) {
		if (is_digits(code->text) && code->len == 3)
			status = strtol(code->text, NULL, 10);
		for (size_t i = 0; i < sizeof(errfile_statuses) / sizeof(errfile_statuses[0]); i++)
			if (status == errfile_statuses[i])
				goto known;
		err_at(p, code, "expected a status pinfold answers with (" CFG_ERRFILE_STATUSES
		       ") after ErrorFile, got \"%s\"", code->text);
		return;
	}
known:
	if (t->type != CFG_TOK_STRING || t->len == 0) {
		err_at(p, t, "expected the page file name in quotes after %s, got \"%s\"", d->name,
		       t->text);
		return;
	}
	for (tail = &l->err_files; *tail; tail = &(*tail)->next) {
		if ((*tail)->status == status) {
			char at[300];

			describe_line(at, sizeof(at), t->file, (*tail)->file, (*tail)->line);
			err_at(p, &st->tok[0], "a page for %ld was already given in this listener (%s)",
			       status, at);
			return;
		}
	}
	e = zalloc(p, sizeof(*e));
	if (!e)
		return;
	e->path = relative_path(p, t);
	if (!e->path) {
		free(e);
		return;
	}
	e->status = (int)status;
	e->file = t->file;
	e->line = t->line;
	e->col = t->col;
	*tail = e;
}

/* SocketFrom "/path" (Pound 4): the listening socket comes over a UNIX socket (proxy.c). */
static void h_socketfrom(struct parser *p, const struct stmt *st, const struct directive *d)
{
	const struct cfg_tok *t = &st->tok[1];
	struct cfg_listener *l = top(p)->l;

	if (t->type != CFG_TOK_STRING || t->len == 0) {
		err_at(p, t, "expected %s after SocketFrom, got \"%s\"", d->want, t->text);
		return;
	}
	l->socket_from = relative_path(p, t);
	l->socket_line = t->line;
}

/* ---- the directive table ---------------------------------------------------------- */

#define ANYN 0, MAX_TOKS /* any number of arguments: not parsed, only reported */
#define NOTYET(name, ctxmask, blk)                                                                 \
	{                                                                                          \
		name, NULL, ctxmask, ANYN, F_NOTYET, blk, 0, NULL                                  \
	}
/* A directive of a feature this build left out: still known, so it is refused by name. */
#define BUILTOUT(name, ctxmask, flags, blk, option)                                                \
	{                                                                                          \
		name, NULL, ctxmask, ANYN, F_OUT | (flags), blk, 0, option                         \
	}

static const struct directive directives[] = {
    /* Everywhere */
    {"Include", h_include, X_ANY, 1, 1, 0, BLK_NO, 0, "a file name"},
    {"End", NULL, X_ANY, 0, 1, F_END, BLK_NO, 0, NULL},

    /* Global */
    {"User", h_string, X_G, 1, 1, F_ONCE, BLK_NO, S_USER, "a user name"},
    {"Group", h_string, X_G, 1, 1, F_ONCE, BLK_NO, S_GROUP, "a group name"},
    {"RootJail", h_string, X_G, 1, 1, F_ONCE, BLK_NO, S_JAIL, "an absolute directory path"},
    {"PIDFile", h_string, X_G, 1, 1, F_ONCE, BLK_NO, S_PIDFILE, "a file name"},
#if PINFOLD_CONTROL
    {"Control", h_control, X_G, 0, 1, F_ONCE, BLK_NOARGS, 0,
     "an absolute path for the control socket"},
#else
    BUILTOUT("Control", X_G, 0, BLK_NOARGS, "PINFOLD_CONTROL"),
#endif
    {"Daemon", h_bool, X_G, 1, 1, F_ONCE, BLK_NO, B_DAEMON, "a boolean (0 or 1)"},
    {"LogFacility", h_logfacility, X_G, 1, 1, F_ONCE, BLK_NO, 0, "a syslog facility name"},
    {"LogHandshakes", h_bool, X_G, 1, 1, F_ONCE, BLK_NO, B_LOGHS, "a boolean (0 or 1)"},
    {"HandshakeSummary", h_seconds, X_G, 1, 1, F_ONCE, BLK_NO, SEC_HSSUMMARY,
     "a number of seconds"},
    {"Alive", h_seconds, X_G, 1, 1, F_ONCE, BLK_NO, SEC_ALIVE, "a number of seconds"},
    {"Grace", h_seconds, X_G, 1, 1, F_ONCE, BLK_NO, SEC_GRACE, "a number of seconds"},
    {"ListenHTTP", h_listen, X_G, 0, 1, 0, BLK_YES, 0, NULL},
    {"ListenHTTPS", h_listen, X_G, 0, 1, 0, BLK_YES, 1, NULL},

    /* Shared by several blocks; the handler picks the target by block */
    {"LogLevel", h_loglevel, X_G | X_LI, 1, 1, F_ONCE, BLK_NO, 0, "a log level 0-5"},
    {"IgnoreCase", h_ignorecase, X_G | X_SV, 1, 1, F_ONCE, BLK_NO, 0, "a boolean (0 or 1)"},
    {"Client", h_seconds, X_G | X_LI, 1, 1, F_ONCE, BLK_NO, SEC_CLIENT, "a number of seconds"},
    {"HandshakeTO", h_seconds, X_G | X_LI, 1, 1, F_ONCE, BLK_NO, SEC_HANDSHAKE,
     "a number of seconds"},
    {"HeadTO", h_seconds, X_G | X_LI, 1, 1, F_ONCE, BLK_NO, SEC_HEAD, "a number of seconds"},
    {"TimeOut", h_seconds, X_G | X_BE, 1, 1, F_ONCE, BLK_NO, SEC_TIMEOUT, "a number of seconds"},
    {"ConnTO", h_seconds, X_G | X_BE, 1, 1, F_ONCE, BLK_NO, SEC_CONNTO, "a number of seconds"},
    {"WSTimeOut", h_seconds, X_G | X_BE, 1, 1, F_ONCE, BLK_NO, SEC_WSTIMEOUT,
     "a number of seconds"},
    {"StreamTimeOut", h_seconds, X_G | X_BE, 1, 1, F_ONCE, BLK_NO, SEC_STREAMTO,
     "a number of seconds"},
    {"Balancer", h_balancer, X_G | X_SV, 1, 1, F_ONCE, BLK_NO, 0, "random or iwrr"},
    {"Service", h_service, X_G | X_LI, 0, 1, 0, BLK_YES, 0, NULL},

    /* Listeners */
    {"Address", h_address, X_LI | X_BE, 1, 1, F_ONCE, BLK_NO, 0, "an IP address or host name"},
    {"Port", h_port, X_LI | X_BE, 1, 1, F_ONCE, BLK_NO, 0, "a port number 1-65535"},
    {"xHTTP", h_xhttp, X_LI, 1, 1, F_ONCE, BLK_NO, 0, "an xHTTP level 0-4"},
    {"StripForwarded", h_bool, X_LI, 1, 1, F_ONCE, BLK_NO, B_STRIP, "a boolean (0 or 1)"},
    {"KeepTrailers", h_bool, X_LI, 1, 1, F_ONCE, BLK_NO, B_TRAILERS, "a boolean (0 or 1)"},
    {"HeadRemove", h_delete_header, X_LI | X_SV | X_RS, 1, 8, 0, BLK_NO, 0, "a quoted pattern"},
    {"HeaderRemove", h_delete_header, X_LI | X_SV | X_RS, 1, 8, 0, BLK_NO, 0,
     "a quoted pattern"},
    {"DeleteHeader", h_delete_header, X_LI | X_SV | X_RS, 1, 8, 0, BLK_NO, 0,
     "a quoted pattern"},
    {"SetHeader", h_set_header, X_LI | X_SV | X_RS, 1, 1, 0, BLK_NO, 0,
     "a quoted header line \"Name: value\""},
    {"AddHeader", h_set_header, X_LI | X_SV | X_RS, 1, 1, 0, BLK_NO, 0,
     "a quoted header line \"Name: value\""},
    {"HeaderAdd", h_set_header, X_LI | X_SV | X_RS, 1, 1, 0, BLK_NO, 0,
     "a quoted header line \"Name: value\""},
    {"Rewrite", h_rewrite, X_LI | X_SV, 0, 1, 0, BLK_YES, 0, "request or response"},

    /* Access controls and limits (Pound's names where Pound has the feature) */
    {"ACL", h_acl, X_G | X_LI | X_SV, 0, 1, F_COND, BLK_TOP_OR_NOARGS, 0,
     "a quoted ACL name"},
    {"TrustedIP", h_trusted, X_G | X_LI | X_SV, 0, 1, F_ONCE, BLK_NOARGS, 0,
     "a quoted ACL name"},
    {"MaxRequest", h_maxrequest, X_LI, 1, 1, F_ONCE, BLK_NO, 0, "a size in bytes"},
    {"MaxURI", h_count, X_LI, 1, 1, F_ONCE, BLK_NO, N_MAXURI, "a length in bytes"},
    {"MaxHeaderSize", h_count, X_LI, 1, 1, F_ONCE, BLK_NO, N_MAXHEAD, "a size in bytes"},
    {"MaxHeaders", h_count, X_LI, 1, 1, F_ONCE, BLK_NO, N_MAXHEADERS,
     "a number of header fields"},
    {"RateLimit", h_ratelimit, X_LI | X_SV, 2, 3, F_ONCE, BLK_NO, 0,
     "a number of requests and of seconds"},
    {"RateLimitEntries", h_count, X_G, 1, 1, F_ONCE, BLK_NO, N_ENTRIES, "a number of entries"},
#if PINFOLD_BASICAUTH
    {"AuthFailLimit", h_authfail, X_G, 2, 2, F_ONCE, BLK_NO, 0,
     "a number of failed logins and of seconds"},
#else
    BUILTOUT("AuthFailLimit", X_G, 0, BLK_NO, "PINFOLD_BASICAUTH"),
#endif
    {"MaxConnections", h_count, X_G | X_BE, 1, 1, F_ONCE, BLK_NO, N_MAXCONNS,
     "a number of connections"},
    {"MaxConnsPerIP", h_count, X_G, 1, 1, F_ONCE, BLK_NO, N_MAXCONNS_IP,
     "a number of connections"},

    /* Services */
    {"URL", h_match, X_SV, 1, 8, F_COND, BLK_NO, M_URL, "a quoted pattern"},
    {"Path", h_match, X_SV, 1, 8, F_COND, BLK_NO, M_PATH, "a quoted pattern"},
    {"Header", h_match, X_SV, 1, 8, F_COND, BLK_NO, M_HEADER, "a quoted pattern"},
    {"HeadRequire", h_match, X_SV, 1, 8, F_COND, BLK_NO, M_HEADER, "a quoted pattern"},
    {"HeadDeny", h_match, X_SV, 1, 8, F_COND, BLK_NO, M_HEADDENY, "a quoted pattern"},
    {"Host", h_match, X_SV, 1, 8, F_COND, BLK_NO, M_HOST, "a quoted host name"},
    {"Not", h_not, X_SV | X_LI, 1, MAX_TOKS, 0, BLK_NOT, 0, "a matching directive"},
#if PINFOLD_BASICAUTH
    {"BasicAuth", h_basicauth, X_SV, 1, 1, F_COND, BLK_NO, 0, "a quoted password file name"},
#else
    BUILTOUT("BasicAuth", X_SV, F_COND, BLK_NO, "PINFOLD_BASICAUTH"),
#endif
    {"Method", h_method, X_SV, 1, 8, F_COND, BLK_NO, 0, "a quoted pattern"},
    {"Redirect", h_redirect, X_SV, 1, 2, 0, BLK_NO, 0, "a quoted URL"},
    {"Error", h_error, X_SV, 1, 2, 0, BLK_NO, 0, "an HTTP status code"},
    {"BackEnd", h_backend, X_G | X_SV, 0, 1, 0, BLK_YES, 0, NULL},
    {"Emergency", h_emergency, X_SV, 0, 0, 0, BLK_YES, 0, NULL},
#if PINFOLD_SESSION
    {"Session", h_session, X_SV, 0, 0, 0, BLK_YES, 0, NULL},
    {"Type", h_sess_type, X_SE, 1, 1, F_ONCE, BLK_NO, 0,
     "a session type (IP, BASIC, URL, PARM, COOKIE or HEADER)"},
    {"TTL", h_sess_ttl, X_SE, 1, 1, F_ONCE, BLK_NO, 0, "a number of seconds"},
    {"ID", h_sess_id, X_SE, 1, 1, F_ONCE, BLK_NO, 0, "a quoted cookie, parameter or header name"},
#else
    BUILTOUT("Session", X_SV, 0, BLK_YES, "PINFOLD_SESSION"),
    BUILTOUT("Type", X_SE, 0, BLK_NO, "PINFOLD_SESSION"),
    BUILTOUT("TTL", X_SE, 0, BLK_NO, "PINFOLD_SESSION"),
    BUILTOUT("ID", X_SE, 0, BLK_NO, "PINFOLD_SESSION"),
#endif
#if PINFOLD_HEALTHCHECK
    {"HealthCheck", h_healthcheck, X_SV | X_BE, 1, 2, F_ONCE, BLK_NO, 0,
     "a quoted \"METHOD /path\" and an optional status (200, 2xx)"},
#else
    BUILTOUT("HealthCheck", X_SV | X_BE, 0, BLK_NO, "PINFOLD_HEALTHCHECK"),
#endif

    /* Backends */
    {"Priority", h_priority, X_BK, 1, 1, F_ONCE, BLK_NO, 0, "a priority 0-9"},
    {"Disabled", h_disabled, X_BK | X_SV, 1, 1, F_ONCE, BLK_NO, 0, "a boolean (0 or 1)"},
    {"HTTPS", h_https_backend, X_BE, 0, 0, F_ONCE | F_TLS, BLK_NO, 0, NULL},

    /* TLS: ListenHTTPS and HTTPS backends */
    {"Cert", h_cert, X_LS | X_BE, 1, 1, F_TLS, BLK_NO, 0, "a certificate file name"},
    {"Ciphers", h_ciphers, X_LS | X_BE, 1, 1, F_ONCE | F_TLS, BLK_NO, 0,
     "an OpenSSL-style cipher string"},
    {"Disable", h_disable, X_LS | X_BE, 1, 1, F_TLS, BLK_NO, 0,
     "a protocol name (SSLv2, SSLv3, TLSv1, TLSv1_1 or TLSv1_2)"},
    {"ServerName", h_servername, X_BE, 1, 1, F_ONCE | F_TLS, BLK_NO, 0, "a host name"},
    {"CAFile", h_cafile, X_BE, 1, 1, F_ONCE | F_TLS, BLK_NO, 0, "a CA file name"},
    {"ClientCert", h_client_cert, X_LS, 1, 2, F_ONCE | F_TLS, BLK_NO, 0,
     "a ClientCert mode 0-3"},
    {"SSLHonorCipherOrder", h_honor_order, X_LS, 1, 1, F_ONCE | F_TLS, BLK_NO, 0,
     "a boolean (0 or 1)"},
    {"SSLAllowClientRenegotiation", h_renegotiation, X_LS, 1, 1, F_ONCE | F_TLS, BLK_NO, 0,
     "a renegotiation mode (only 0 is supported)"},
    {"CAlist", h_ca_list, X_LS, 1, 1, F_ONCE | F_TLS, BLK_NO, CA_CALIST, "a CA file name"},
    {"VerifyList", h_ca_list, X_LS, 1, 1, F_ONCE | F_TLS, BLK_NO, CA_VERIFYLIST,
     "a CA file name"},
    {"CRLlist", h_crl_list, X_LS, ANYN, F_TLS, BLK_NO, 0, NULL},
    {"NoHTTPS11", h_nohttps11, X_LS, 1, 1, F_ONCE | F_TLS, BLK_NO, 0, "a NoHTTPS11 mode 0-2"},
    {"SNIHost", h_bool, X_LS, 1, 1, F_ONCE | F_TLS, BLK_NO, B_SNIHOST, "a boolean (0 or 1)"},
    {"SSLSessionTickets", h_session_tickets, X_LS, 1, 1, F_ONCE | F_TLS, BLK_NO, 0,
     "a boolean (0 or 1)"},
    {"SSLSessionCache", h_session_cache, X_LS, 1, 1, F_ONCE | F_TLS, BLK_NO, 0,
     "a number of sessions (0 turns the cache off)"},

    /* Edge features: ACME, ErrorFile / ErrNNN, SocketFrom */
    {"ACME", h_acme, X_LI, 1, 1, F_ONCE, BLK_NO, 0, "an absolute directory name in quotes"},
    {"ErrorFile", h_errfile, X_LI, 2, 2, 0, BLK_NO, 0, "a status and a quoted file name"},
    {"Err400", h_errfile, X_LI, 1, 1, F_ONCE, BLK_NO, 400, "a quoted file name"},
    {"Err401", h_errfile, X_LI, 1, 1, F_ONCE, BLK_NO, 401, "a quoted file name"},
    {"Err403", h_errfile, X_LI, 1, 1, F_ONCE, BLK_NO, 403, "a quoted file name"},
    {"Err404", h_errfile, X_LI, 1, 1, F_ONCE, BLK_NO, 404, "a quoted file name"},
    {"Err405", h_errfile, X_LI, 1, 1, F_ONCE, BLK_NO, 405, "a quoted file name"},
    {"Err413", h_errfile, X_LI, 1, 1, F_ONCE, BLK_NO, 413, "a quoted file name"},
    {"Err414", h_errfile, X_LI, 1, 1, F_ONCE, BLK_NO, 414, "a quoted file name"},
    {"Err500", h_errfile, X_LI, 1, 1, F_ONCE, BLK_NO, 500, "a quoted file name"},
    {"Err501", h_errfile, X_LI, 1, 1, F_ONCE, BLK_NO, 501, "a quoted file name"},
    {"Err503", h_errfile, X_LI, 1, 1, F_ONCE, BLK_NO, 503, "a quoted file name"},
    {"SocketFrom", h_socketfrom, X_LI, 1, 1, F_ONCE, BLK_NO, 0,
     "the quoted path of a UNIX socket"},

    /* Pound 4 (and a few Pound 2) directives pinfold does not have yet */
    NOTYET("IncludeDir", X_G, BLK_NO),
    NOTYET("Supervisor", X_G, BLK_NO),
    NOTYET("WorkerMinCount", X_G, BLK_NO),
    NOTYET("WorkerMaxCount", X_G, BLK_NO),
    NOTYET("WorkerIdleTimeout", X_G, BLK_NO),
    NOTYET("Threads", X_G, BLK_NO),
    NOTYET("LogFormat", X_G, BLK_NO),
    NOTYET("LogTag", X_G, BLK_NO),
    NOTYET("HeaderOption", X_G | X_LI, BLK_NO),
    NOTYET("ECDHCurve", X_G, BLK_NO),
    NOTYET("SSLEngine", X_G, BLK_NO),
    NOTYET("Anonymise", X_G, BLK_NO),
    NOTYET("Anonymize", X_G, BLK_NO),
    NOTYET("BackendStats", X_G, BLK_NO),
    NOTYET("ForwardedHeader", X_G | X_LI | X_SV, BLK_NO),
    NOTYET("CombineHeaders", X_G, BLK_YES),
    NOTYET("RegexType", X_G, BLK_NO),
    NOTYET("Resolver", X_G, BLK_YES),
    NOTYET("CheckURL", X_LI, BLK_NO),
    NOTYET("RewriteLocation", X_LI, BLK_NO),
    NOTYET("RewriteDestination", X_LI, BLK_NO),
    NOTYET("Else", X_LI | X_SV, BLK_NO),
    NOTYET("SetURL", X_LI | X_SV, BLK_NO),
    NOTYET("SetPath", X_LI | X_SV, BLK_NO),
    NOTYET("SetQuery", X_LI | X_SV, BLK_NO),
    NOTYET("SetQueryParam", X_LI | X_SV, BLK_NO),
    NOTYET("Query", X_SV, BLK_NO),
    NOTYET("QueryParam", X_SV, BLK_NO),
    NOTYET("StringMatch", X_SV, BLK_NO),
    NOTYET("Match", X_SV, BLK_YES),
    NOTYET("UseBackend", X_SV, BLK_NO),
    NOTYET("Metrics", X_SV, BLK_NO),
    NOTYET("LogSuppress", X_SV, BLK_NO),
    NOTYET("Family", X_BE, BLK_NO),
    NOTYET("Resolve", X_BE, BLK_NO),
    NOTYET("RetryInterval", X_BE, BLK_NO),
    NOTYET("HAport", X_BE, BLK_NO),
    NOTYET("DynScale", X_G | X_SV, BLK_NO),
};

#define NDIRECTIVES (sizeof(directives) / sizeof(directives[0]))

_Static_assert(NDIRECTIVES <= MAX_DIRECTIVES,
               "raise MAX_DIRECTIVES: struct frame tracks each directive once");

static const struct directive *find_directive(const char *name)
{
	for (size_t i = 0; i < NDIRECTIVES; i++)
		if (strcasecmp(directives[i].name, name) == 0)
			return &directives[i];
	return NULL;
}

/* Where a directive was first written in the block, valid or not (line 0: never). */
static const struct seen *seen_of(const struct frame *f, const char *name)
{
	return &f->seen[find_directive(name) - directives];
}

static int was_given(const struct frame *f, const char *name)
{
	return seen_of(f, name)->line != 0;
}

/* ---- statements ------------------------------------------------------------------- */

/* Inside a block we are not parsing: follow Include, count nested blocks. */
static void skip_statement(struct parser *p, const struct stmt *st)
{
	struct frame *f = top(p);
	const struct cfg_tok *kw = &st->tok[0];
	const struct directive *d;

	if (kw->type != CFG_TOK_WORD)
		return;
	if (strcasecmp(kw->text, "End") == 0) {
		if (f->skip_depth > 0)
			f->skip_depth--;
		else
			p->nfr--;
		return;
	}
	d = find_directive(kw->text);
	if (!d)
		return;
	if (d->fn == h_include) {
		if (st->n == 2)
			h_include(p, st, d);
		else
			err_at(p, kw, "Include takes exactly one file name");
		return;
	}
	if (opens_block(d, st, CTX_SKIP))
		f->skip_depth++;
}

static void dispatch(struct parser *p, const struct stmt *st)
{
	struct frame *f = top(p);
	const struct cfg_tok *kw = &st->tok[0];
	const struct directive *d;
	struct stmt use = *st;
	size_t idx;

	if (f->ctx == CTX_SKIP) {
		skip_statement(p, st);
		return;
	}
	if (f->ctx == CTX_ACL) {
		acl_line(p, st);
		return;
	}
	if (kw->type != CFG_TOK_WORD) {
		err_at(p, kw,
		       "expected a directive name at the start of the line, got the quoted "
		       "string \"%s\"",
		       kw->text);
		return;
	}
	d = find_directive(kw->text);
	if (!d) {
		err_at(p, kw, "unknown directive \"%s\" %s%s", kw->text,
		       f->ctx == CTX_GLOBAL ? "at " : "in ", ctx_name[f->ctx]);
		return;
	}
	if (d->flags & F_END) {
		close_block(p, st);
		return;
	}
	if (d->flags & F_NOTYET) {
		not_yet(p, d, st, f->ctx);
		return;
	}
	if (f->ctx == CTX_RESP && ((d->flags & F_COND) || d->fn == h_not)) {
		err_at(p, kw,
		       "conditions in Rewrite response (\"%s\") are a Pound feature pinfold does "
		       "not implement yet: its header edits apply to every response",
		       kw->text);
		if (opens_block(d, st, f->ctx))
			push_skip(p, d, kw);
		return;
	}
	if (!(d->ctx & (1u << f->ctx))) {
		wrong_place(p, d, st, f->ctx);
		return;
	}
	if ((d->flags & F_TLS) && !HAVE_TLS) {
		tls_unavailable(p, st, d);
		return;
	}
	if (d->flags & F_OUT) {
		built_out(p, d, st, f->ctx);
		return;
	}
	/* Counted as written even if its arguments are wrong, so End does not call it
	 * missing too. */
	idx = (size_t)(d - directives);
	if (f->seen[idx].line && (d->flags & F_ONCE)) {
		char first[300];

		describe_line(first, sizeof(first), kw->file, f->seen[idx].file, f->seen[idx].line);
		err_at(p, kw, "duplicate \"%s\" in %s (first given at %s)", kw->text,
		       ctx_name[f->ctx], first);
		return;
	}
	if (!f->seen[idx].line) {
		f->seen[idx].file = kw->file;
		f->seen[idx].line = kw->line;
		f->seen[idx].col = kw->col;
	}
	if (st->n - 1 < d->min) {
		err_at(p, kw, "missing argument for \"%s\": expected %s", kw->text, d->want);
		if (opens_block(d, st, f->ctx))
			push_skip(p, d, kw);
		return;
	}
	if (st->n - 1 > d->max) {
		err_at(p, &st->tok[d->max + 1], "too many arguments for \"%s\" (it takes %s%d)",
		       kw->text, d->min == d->max ? "" : "at most ", d->max);
		/* A block still needs its frame, or its End would close the wrong one. */
		if (!opens_block(d, st, f->ctx))
			return;
		use.n = d->max + 1;
	}
	d->fn(p, &use, d);
}

/* Read one line's tokens; returns 0 at the end of the main file. */
static int read_statement(struct parser *p, struct stmt *st)
{
	struct cfg_tok t;
	int n = 0, more = 1, said = 0;

	for (;;) {
		enum cfg_tok_type type = cfg_lex_next(&p->lx, &t);

		if (p->lx.oom) {
			cfg_tok_clear(&t);
			more = 0;
			break;
		}
		if (type == CFG_TOK_EOF) {
			p->eof = t;
			more = 0;
			break;
		}
		if (type == CFG_TOK_EOL)
			break;
		if (n == MAX_TOKS) {
			if (!said)
				err_at(p, &t, "too many words on one line (limit %d)", MAX_TOKS);
			said = 1;
			cfg_tok_clear(&t);
			continue;
		}
		p->toks[n++] = t;
	}
	st->tok = p->toks;
	st->n = said ? 0 : n; /* an overlong line is dropped whole */
	if (said)
		for (int i = 0; i < n; i++)
			cfg_tok_clear(&p->toks[i]);
	return more;
}

static void parse_all(struct parser *p)
{
	struct stmt st;
	int more;

	do {
		more = read_statement(p, &st);
		if (st.n > 0 && !p->stop && !p->lx.oom)
			dispatch(p, &st);
		for (int i = 0; i < st.n; i++)
			cfg_tok_clear(&p->toks[i]);
		if (p->lx.oom)
			p->stop = 1;
		if (!p->stop && p->rep.errors >= MAX_ERRORS) {
			cfg_report_at(&p->rep, 1, main_file(p), 0, 0,
			              "too many errors (%d), giving up", p->rep.errors);
			p->stop = 1;
		}
	} while (more && !p->stop);
}

/* ---- after the last line ---------------------------------------------------------- */

static void report_unclosed(struct parser *p)
{
	for (int i = p->nfr - 1; i > 0; i--) {
		struct frame *f = &p->fr[i];
		char opened[300];

		describe_line(opened, sizeof(opened), p->eof.file, f->file, f->line);
		err_at(p, &p->eof, "missing End for %s opened at %s", f->d->name, opened);
	}
}

static void resolve_defaults(struct parser *p)
{
	struct config *cfg = p->cfg;

	/* Pound: ConnTO defaults to the TimeOut value -- one the config gives; pinfold's own
	 * TimeOut default is long for slow answers, which a dead host's connect should not be. */
	if (!p->conn_to_set && p->timeout_set)
		cfg->conn_to = cfg->timeout;
	for (struct cfg_listener *l = cfg->listeners; l; l = l->next) {
		if (l->client_to < 0)
			l->client_to = cfg->client_to;
		/* the hard deadlines default to the listener's Client (see pinfold.cfg.5) */
		if (l->hs_to < 0)
			l->hs_to = cfg->hs_to > 0 ? cfg->hs_to : l->client_to;
		if (l->head_to < 0)
			l->head_to = cfg->head_to > 0 ? cfg->head_to : l->client_to;
		/* a listener's own TrustedIP or StripForwarded beats the global TrustedIP */
		if (!l->trusted && !l->strip_set)
			l->trusted = cfg->trusted;
	}
	for (unsigned i = 0; i < p->nbes; i++) {
		struct cfg_backend *b = p->bes[i];

		if (b->timeout < 0)
			b->timeout = cfg->timeout;
		if (b->conn_to < 0)
			b->conn_to = cfg->conn_to;
		if (b->ws_timeout < 0)
			b->ws_timeout = cfg->ws_timeout;
		/* a response that has begun never gets less patience than its head did */
		if (b->stream_to < 0)
			b->stream_to = cfg->stream_to ? cfg->stream_to
			                              : (b->timeout > CFG_DEFAULT_STREAMTO
			                                     ? b->timeout
			                                     : CFG_DEFAULT_STREAMTO);
	}
	for (struct svc_state *ss = p->svcs; ss; ss = ss->next) {
		ss->svc->balancer = ss->balancer >= 0 ? (enum cfg_balancer)ss->balancer
		                                      : (enum cfg_balancer)p->balancer;
		/* a Service's HealthCheck is every one of its backends' that has none */
		for (struct cfg_backend *b = ss->svc->backends; b; b = b->next)
			if (!b->hc)
				b->hc = ss->hc;
		if (ss->svc->emergency && !ss->svc->emergency->hc)
			ss->svc->emergency->hc = ss->hc;
	}
}

/* Url/Path patterns wait for IgnoreCase; compile them in the order they were read. */
static void compile_pending(struct parser *p)
{
	struct pending *rev = NULL;

	while (p->pend) {
		struct pending *n = p->pend->next;

		p->pend->next = rev;
		rev = p->pend;
		p->pend = n;
	}
	p->pend = rev;
	for (struct pending *pd = p->pend; pd; pd = pd->next) {
		pd->c->icase =
		    pd->ss && pd->ss->ignore_case >= 0 ? pd->ss->ignore_case : p->cfg->ignore_case;
		if (pd->col > 0)
			compile_cond(p, pd->c, pd->col);
	}
}

/* ACME files are read after the chroot: their directory must be inside RootJail. */
static void check_acme_jail(struct parser *p)
{
	const char *jail = p->cfg->root_jail;
	size_t jl;

	if (!jail)
		return;
	jl = strlen(jail);
	while (jl > 1 && jail[jl - 1] == '/')
		jl--;
	for (const struct cfg_listener *l = p->cfg->listeners; l; l = l->next) {
		struct cfg_tok at = where(l->acme_file, l->acme_line, 0);

		if (!l->acme_dir || (strncmp(l->acme_dir, jail, jl) == 0 && l->acme_dir[jl] == '/'))
			continue;
		err_at(p, &at,
		       "the ACME directory \"%s\" is outside RootJail \"%s\": pinfold reads the "
		       "challenge files after the chroot, so put them inside it",
		       l->acme_dir, jail);
	}
}

static void finish(struct parser *p)
{
	struct config *cfg = p->cfg;

	if (!p->stop) {
		report_unclosed(p);
		if (!cfg->listeners && !p->https_seen)
			err_at(p, &p->eof,
			       "no ListenHTTP block: pinfold would have nothing to "
			       "listen on");
	}
	resolve_defaults(p);
	if (!p->stop)
		check_acme_jail(p);
	if (!p->stop)
		compile_pending(p);
	cfg->nbackends = p->nbes;
	cfg->backend_by_id = p->bes;
	p->bes = NULL;
}

/* ---- freeing ----------------------------------------------------------------------- */

static void free_conds(struct cfg_cond *c)
{
	while (c) {
		struct cfg_cond *next = c->next;

		if (c->type == MT_REGEX)
			regfree(&c->re);
		free(c->str);
		free(c);
		c = next;
	}
}

static void free_hdrs(struct cfg_hdr *h)
{
	while (h) {
		struct cfg_hdr *next = h->next;

		free(h->line);
		free(h);
		h = next;
	}
}

static void free_backend(struct cfg_backend *b)
{
	if (b) {
		free(b->addr_text);
		free(b->tls_cert);
		free(b->tls_ciphers);
		free(b->tls_servername);
		free(b->tls_ca);
		free(b);
	}
}

static void free_services(struct cfg_service *s)
{
	while (s) {
		struct cfg_service *next = s->next;

		for (struct cfg_backend *b = s->backends; b;) {
			struct cfg_backend *bn = b->next;

			free_backend(b);
			b = bn;
		}
		free_backend(s->emergency);
		free_conds(s->conds);
		free_conds(s->head_remove);
		free_hdrs(s->head_add);
		free_conds(s->resp_remove);
		free_hdrs(s->resp_add);
		free(s->rate);
		if (s->session)
			free(s->session->id);
		free(s->session);
		free(s->redirect_url);
		free(s->name);
		free(s);
		s = next;
	}
}

void config_free(struct config *cfg)
{
	if (!cfg)
		return;
	for (struct cfg_listener *l = cfg->listeners; l;) {
		struct cfg_listener *next = l->next;

		free_services(l->services);
		free_conds(l->head_remove);
		free_hdrs(l->head_add);
		free_conds(l->acl_gate);
		free_conds(l->resp_remove);
		free_hdrs(l->resp_add);
		free(l->rate);
		free(l->addr_text);
		free(l->name);
		for (int i = 0; i < l->ncerts; i++)
			free(l->certs[i]);
		free(l->certs);
		free(l->ciphers);
		free(l->ca_list);
		free(l->acme_dir);
		free(l->socket_from);
		while (l->err_files) {
			struct cfg_errfile *e = l->err_files->next;

			free(l->err_files->path);
			free(l->err_files);
			l->err_files = e;
		}
		free(l);
		l = next;
	}
	free_services(cfg->services);
	while (cfg->acls) {
		struct cfg_acl *next = cfg->acls->next;

		acl_free(cfg->acls->acl);
		free(cfg->acls->name);
		free(cfg->acls);
		cfg->acls = next;
	}
	for (unsigned i = 0; i < cfg->nauth; i++)
		free(cfg->auth[i].path);
	free(cfg->auth);
	while (cfg->hchecks) {
		struct cfg_hcheck *next = cfg->hchecks->next;

		free(cfg->hchecks->method);
		free(cfg->hchecks->path);
		free(cfg->hchecks);
		cfg->hchecks = next;
	}
	free(cfg->backend_by_id);
	free(cfg->user);
	free(cfg->group);
	free(cfg->root_jail);
	free(cfg->pidfile);
	free(cfg->control);
	for (int i = 0; i < cfg->nfiles; i++)
		free(cfg->files[i]);
	free(cfg->files);
	free(cfg);
}

/* ---- entry points ------------------------------------------------------------------ */

static struct config *config_defaults(void)
{
	struct config *cfg = calloc(1, sizeof(*cfg));

	if (!cfg)
		return NULL;
	cfg->daemon = 1;
	cfg->log_level = CFG_DEFAULT_LOGLEVEL;
	cfg->log_facility = LOG_DAEMON;
	cfg->alive = CFG_DEFAULT_ALIVE;
	cfg->client_to = CFG_DEFAULT_CLIENT;
	cfg->timeout = CFG_DEFAULT_TIMEOUT;
	cfg->conn_to = CFG_DEFAULT_CONNTO;
	cfg->ws_timeout = CFG_DEFAULT_WSTIMEOUT;
	cfg->grace = CFG_DEFAULT_GRACE;
	cfg->hs_summary = CFG_DEFAULT_HSSUMMARY;
	cfg->auth_fail.count = cfg->auth_fail.burst = CFG_DEFAULT_AUTHFAIL;
	cfg->auth_fail.period_ms = CFG_DEFAULT_AUTHFAIL_PERIOD * 1000;
	cfg->rate_entries = CFG_DEFAULT_RATE_ENTRIES;
	return cfg;
}

int config_load(const char *path, struct config **out, cfg_diag_fn diag, void *ctx)
{
	struct parser *p = calloc(1, sizeof(*p));
	int errors;

	*out = NULL;
	if (!p) {
		if (diag)
			diag(ctx, 1, "out of memory while reading the configuration");
		return 1;
	}
	p->rep.fn = diag;
	p->rep.ctx = ctx;
	cfg_lex_init(&p->lx, &p->rep);
	p->balancer = DEFAULT_BALANCER;
	p->cfg = config_defaults();
	if (!p->cfg) {
		out_of_memory(p);
		goto done;
	}
	p->nfr = 1;
	p->fr[0].ctx = CTX_GLOBAL;
	if (cfg_lex_open(&p->lx, path, NULL) != 0) {
		if (p->lx.oom)
			out_of_memory(p);
		goto done;
	}
	parse_all(p);
	finish(p);
	if (p->lx.oom)
		out_of_memory(p);
done:
	errors = p->rep.errors;
	if (p->cfg) {
		p->cfg->files = p->lx.files;
		p->cfg->nfiles = p->lx.nfiles;
		p->lx.files = NULL;
		p->lx.nfiles = 0;
	}
	cfg_lex_done(&p->lx);
	for (int i = 0; i < MAX_TOKS; i++)
		cfg_tok_clear(&p->toks[i]);
	while (p->pend) {
		struct pending *n = p->pend->next;

		free(p->pend);
		p->pend = n;
	}
	while (p->svcs) {
		struct svc_state *n = p->svcs->next;

		free(p->svcs);
		p->svcs = n;
	}
	free(p->bes);
	if (errors == 0 && p->cfg) {
		*out = p->cfg;
	} else {
		config_free(p->cfg);
		if (errors == 0)
			errors = 1;
	}
	free(p);
	return errors;
}

int config_log_level(const struct config *cfg, const struct cfg_listener *l)
{
	return l && l->log_level >= 0 ? l->log_level : cfg->log_level;
}
