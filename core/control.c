/*
 * control.c - the Control socket (Pound's `Control`), served on the main loop
 * like any other fd: a handful of short-lived clients, each bounded in request
 * size and time, so a stuck or hostile client never holds the proxy up.  The
 * state shown is the current generation's; counters start at zero with each
 * start or reload.  Protocol and backend names: control.h.
 */
#include "control.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "backend.h"
#include "file.h"
#include "gen.h"
#include "health.h"
#include "log.h"
#include "net.h"

#define CTL_MAX_CLIENTS 8          /* at once; more are turned away */
#define CTL_TIMEOUT_MS  5000       /* a whole exchange, from accept to the last byte */
#define CTL_MAX_REPLY   (4u << 20) /* a list of thousands of backends still fits */
#define CTL_MAX_IDS     1024       /* backends one address may name */

struct ctl_client {
	struct control *ctl;
	int fd;
	int writing;
	size_t inlen, sent;
	char in[CTL_MAX_REQUEST];
	struct ctl_out out;
	struct timer tm;
	struct ctl_client *prev, *next;
};

struct control {
	struct proxy *px;
	int fd;
	char *path; /* as written in the config: outside the jail */
	struct ctl_client *clients;
	int nclients;
};

/* ---- output -------------------------------------------------------------------------- */

void ctl_out_free(struct ctl_out *o)
{
	free(o->p);
	memset(o, 0, sizeof(*o));
}

static int out_grow(struct ctl_out *o, size_t need)
{
	size_t cap = o->cap ? o->cap : 1024;
	char *p;

	if (o->oom)
		return -1;
	if (o->len + need + 1 <= o->cap)
		return 0;
	while (cap < o->len + need + 1)
		cap *= 2;
	if (cap > CTL_MAX_REPLY || !(p = realloc(o->p, cap))) {
		o->oom = 1;
		return -1;
	}
	o->p = p;
	o->cap = cap;
	return 0;
}

static void out_printf(struct ctl_out *o, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void out_printf(struct ctl_out *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || out_grow(o, (size_t)n) < 0)
		return;
	va_start(ap, fmt);
	vsnprintf(o->p + o->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	o->len += (size_t)n;
}

/* A JSON string, or null for NULL. */
static void out_json_str(struct ctl_out *o, const char *s)
{
	if (!s) {
		out_printf(o, "null");
		return;
	}
	out_printf(o, "\"");
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			out_printf(o, "\\%c", c);
		else if (c < 0x20 || c == 0x7f)
			out_printf(o, "\\u%04x", c);
		else
			out_printf(o, "%c", c);
	}
	out_printf(o, "\"");
}

/* ---- aligned tables ---------------------------------------------------------------- */

struct table {
	unsigned ncols;
	char **cells; /* row-major, the header row first */
	size_t n, cap;
	int oom;
};

static void tbl_cell(struct table *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void tbl_cell(struct table *t, const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	if (t->oom)
		return;
	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 64;
		char **c = realloc(t->cells, cap * sizeof(*c));

		if (!c) {
			t->oom = 1;
			return;
		}
		t->cells = c;
		t->cap = cap;
	}
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (!(t->cells[t->n] = strdup(buf))) {
		t->oom = 1;
		return;
	}
	t->n++;
}

static void tbl_free(struct table *t)
{
	for (size_t i = 0; i < t->n; i++)
		free(t->cells[i]);
	free(t->cells);
	memset(t, 0, sizeof(*t));
}

/* Every column as wide as its widest cell, two spaces apart; no trailing blanks. */
static void tbl_render(struct table *t, struct ctl_out *o)
{
	size_t w[16] = {0};

	if (t->oom)
		o->oom = 1;
	for (size_t i = 0; i < t->n && t->ncols <= 16; i++) {
		size_t l = strlen(t->cells[i]);

		if (l > w[i % t->ncols])
			w[i % t->ncols] = l;
	}
	for (size_t i = 0; i + t->ncols <= t->n && !t->oom && t->ncols <= 16; i += t->ncols) {
		unsigned last = t->ncols - 1;

		while (last > 0 && !t->cells[i + last][0])
			last--;
		for (unsigned c = 0; c < last; c++)
			out_printf(o, "%-*s  ", (int)w[c], t->cells[i + c]);
		out_printf(o, "%s\n", t->cells[i + last]);
	}
	tbl_free(t);
}

/* ---- naming backends ------------------------------------------------------------------ */

static const struct cfg_listener *nth_listener(const struct config *cfg, unsigned n)
{
	const struct cfg_listener *l = cfg->listeners;

	while (l && n--)
		l = l->next;
	return l;
}

/* The services a path's first part names: a listener's own, or the global ones ("-"). */
static void svc_prefix(const struct config *cfg, const struct cfg_service *list, char *buf,
                       size_t len)
{
	unsigned li = 0;

	for (const struct cfg_listener *l = cfg->listeners; l; l = l->next, li++)
		if (l->services == list) {
			snprintf(buf, len, "%u", li);
			return;
		}
	snprintf(buf, len, "-");
}

char *control_backend_path(const struct config *cfg, unsigned id, char *buf, size_t len)
{
	const struct cfg_listener *l = cfg->listeners;
	const struct cfg_service *list = l ? l->services : cfg->services;
	char pre[16];

	snprintf(buf, len, "?");
	for (;;) {
		unsigned si = 0;

		for (const struct cfg_service *s = list; s; s = s->next, si++) {
			unsigned bi = 0;
			const struct cfg_backend *b;

			for (b = s->backends; b && b->id != id; b = b->next)
				bi++;
			if (!b && !(s->emergency && s->emergency->id == id))
				continue;
			svc_prefix(cfg, list, pre, sizeof(pre));
			snprintf(buf, len, "%s/%u/%u", pre, si, bi);
			return buf;
		}
		if (list == cfg->services)
			return buf;
		l = l ? l->next : NULL;
		list = l ? l->services : cfg->services;
	}
}

/* A decimal index (no sign, at most 6 digits); -1 if s is not one. */
static long parse_index(const char *s, size_t len)
{
	long v = 0;

	if (len == 0 || len > 6)
		return -1;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

static int find_by_path(const struct config *cfg, const char *spec, unsigned *ids, char *err,
                        size_t errlen)
{
	const char *s1 = strchr(spec, '/'), *s2 = s1 ? strchr(s1 + 1, '/') : NULL;
	const struct cfg_service *s;
	const struct cfg_backend *b;
	long li, si, bi, n;

	if (!s1 || !s2 || strchr(s2 + 1, '/'))
		goto bad;
	si = parse_index(s1 + 1, (size_t)(s2 - s1 - 1));
	bi = parse_index(s2 + 1, strlen(s2 + 1));
	li = s1 - spec == 1 && spec[0] == '-' ? -2 : parse_index(spec, (size_t)(s1 - spec));
	if (li == -1 || si < 0 || bi < 0)
		goto bad;
	if (li == -2) {
		s = cfg->services;
	} else {
		const struct cfg_listener *l = nth_listener(cfg, (unsigned)li);

		if (!l) {
			snprintf(err, errlen, "no listener %ld (there are %u)", li,
			         cfg->nlisteners);
			return -1;
		}
		s = l->services;
	}
	for (n = si; s && n > 0; n--)
		s = s->next;
	if (!s) {
		snprintf(err, errlen, "no service %ld in %s", si,
		         li == -2 ? "the global services" : "that listener");
		return -1;
	}
	for (b = s->backends, n = bi; b && n > 0; n--)
		b = b->next;
	if (!b && n == 0)
		b = s->emergency;
	if (!b) {
		snprintf(err, errlen, "no backend %ld in service %.40s/%ld", bi, spec, si);
		return -1;
	}
	ids[0] = b->id;
	return 1;
bad:
	snprintf(err, errlen,
	         "expected a backend as LISTENER/SERVICE/BACKEND (numbers from 0, \"-\" for the "
	         "global services) or ADDRESS:PORT, got \"%.100s\"",
	         spec);
	return -1;
}

int control_find_backends(const struct config *cfg, const char *spec, unsigned *ids, unsigned max,
                          char *err, size_t errlen)
{
	unsigned n = 0;

	if (!spec[0]) {
		snprintf(err, errlen, "which backend? (LISTENER/SERVICE/BACKEND or ADDRESS:PORT)");
		return -1;
	}
	if (strchr(spec, '/'))
		return max ? find_by_path(cfg, spec, ids, err, errlen) : 0;
	for (unsigned id = 0; id < cfg->nbackends && n < max; id++)
		if (strcmp(cfg->backend_by_id[id]->addr_text, spec) == 0)
			ids[n++] = id;
	if (n == 0) {
		snprintf(err, errlen, "no backend has the address \"%.100s\"%s", spec,
		         strchr(spec, ':')
		             ? ""
		             : " (write it as ADDRESS:PORT, or LISTENER/SERVICE/BACKEND)");
		return -1;
	}
	return (int)n;
}

/* ---- requests ---------------------------------------------------------------------------- */

int control_parse_request(const char *line, size_t len, struct ctl_req *rq, char *err,
                          size_t errlen)
{
	static const struct {
		const char *name;
		enum ctl_cmd cmd;
		int args; /* 0: none, 1: one, 2: optional */
	} cmds[] = {
	    {"list", CTL_LIST, 0},
	    {"disable", CTL_DISABLE, 1},
	    {"enable", CTL_ENABLE, 1},
	    {"check", CTL_CHECK, 2},
	};
	const char *w[4];
	size_t wl[4];
	int nw = 0, first = 0;
	size_t i = 0;

	memset(rq, 0, sizeof(*rq));
	if (len && line[len - 1] == '\r')
		len--;
	if (len >= CTL_MAX_REQUEST) {
		snprintf(err, errlen, "request too long (at most %d bytes)", CTL_MAX_REQUEST - 1);
		return -1;
	}
	for (size_t k = 0; k < len; k++) {
		unsigned char c = (unsigned char)line[k];

		if ((c < 0x20 && c != '\t') || c >= 0x7f) {
			snprintf(err, errlen, "the request is not a line of printable text");
			return -1;
		}
	}
	while (i < len) {
		while (i < len && (line[i] == ' ' || line[i] == '\t'))
			i++;
		if (i == len)
			break;
		if (nw == 4) {
			snprintf(err, errlen, "too many words in the request");
			return -1;
		}
		w[nw] = line + i;
		while (i < len && line[i] != ' ' && line[i] != '\t')
			i++;
		wl[nw] = (size_t)(line + i - w[nw]);
		nw++;
	}
	if (nw > 0 && wl[0] == 4 && memcmp(w[0], "json", 4) == 0) {
		rq->json = 1;
		first = 1;
	}
	if (nw == first) {
		snprintf(err, errlen, "empty request: expected list, disable, enable or check");
		return -1;
	}
	for (size_t c = 0; c < sizeof(cmds) / sizeof(cmds[0]); c++) {
		int nargs = nw - first - 1;

		if (strlen(cmds[c].name) != wl[first] ||
		    memcmp(cmds[c].name, w[first], wl[first]) != 0)
			continue;
		if ((cmds[c].args == 0 && nargs != 0) || (cmds[c].args == 1 && nargs != 1) ||
		    nargs > 1) {
			snprintf(err, errlen, "%s takes %s", cmds[c].name,
			         cmds[c].args == 0   ? "no argument"
			         : cmds[c].args == 1 ? "one backend"
			                             : "at most one backend");
			return -1;
		}
		rq->cmd = cmds[c].cmd;
		if (nargs == 1) {
			memcpy(rq->arg, w[first + 1], wl[first + 1]);
			rq->arg[wl[first + 1]] = '\0';
		}
		return 0;
	}
	snprintf(err, errlen, "unknown command \"%.*s\": expected list, disable, enable or check",
	         (int)(wl[first] > 40 ? 40 : wl[first]), w[first]);
	return -1;
}

/* ---- list -------------------------------------------------------------------------------- */

struct lister {
	const struct gen *g;
	const struct hc_state *hs; /* health-check state by backend id, or NULL */
	struct ctl_out *o;
	struct table svc, be;
	int json;
};

static void list_backend(struct lister *ls, const char *spath, unsigned bi,
                         const struct cfg_backend *b)
{
	const struct be_state *st = &ls->g->bk.be[b->id];
	int probing = ls->hs && ls->hs[b->id].probing;

	if (ls->json) {
		struct ctl_out *o = ls->o;

		out_printf(o, "%s{\"path\":\"%s/%u\",\"index\":%u,\"id\":%u,\"address\":",
		           bi ? "," : "", spath, bi, bi, b->id);
		out_json_str(o, b->addr_text);
		out_printf(
		    o,
		    ",\"alive\":%s,\"enabled\":%s,\"probing\":%s,\"emergency\":%s,\"https\":%s,"
		    "\"priority\":%d,\"active\":%" PRIu32 ",\"requests\":%" PRIu64 "}",
		    st->alive ? "true" : "false", st->disabled ? "false" : "true",
		    probing ? "true" : "false", b->emergency ? "true" : "false",
		    b->https ? "true" : "false", b->priority, st->active, st->requests);
		return;
	}
	tbl_cell(&ls->be, "%s/%u", spath, bi);
	tbl_cell(&ls->be, "%s", b->addr_text);
	tbl_cell(&ls->be, "%s", st->alive ? "alive" : "dead");
	tbl_cell(&ls->be, "%s", st->disabled ? "no" : "yes");
	tbl_cell(&ls->be, "%d", b->priority);
	tbl_cell(&ls->be, "%" PRIu32, st->active);
	tbl_cell(&ls->be, "%" PRIu64, st->requests);
	tbl_cell(&ls->be, "%s%s%s", b->emergency ? "emergency" : "",
	         b->emergency && probing ? "," : "", probing ? "probing" : "");
}

static const char *svc_kind(const struct cfg_service *s)
{
	return s->redirect_code ? "redirect" : s->error_code ? "error" : "backends";
}

static void list_services(struct lister *ls, const char *pre, const struct cfg_service *list)
{
	unsigned si = 0;

	for (const struct cfg_service *s = list; s; s = s->next, si++) {
		char spath[32];
		unsigned bi = 0;

		snprintf(spath, sizeof(spath), "%s/%u", pre, si);
		if (ls->json) {
			out_printf(ls->o,
			           "%s{\"path\":\"%s\",\"index\":%u,\"name\":", si ? "," : "",
			           spath, si);
			out_json_str(ls->o, s->name);
			out_printf(ls->o,
			           ",\"kind\":\"%s\",\"requests\":%" PRIu64 ",\"backends\":[",
			           svc_kind(s), ls->g->svc_requests[s->id]);
		} else {
			tbl_cell(&ls->svc, "%s", spath);
			tbl_cell(&ls->svc, "%s", s->name[0] ? s->name : "-");
			tbl_cell(&ls->svc, "%s", svc_kind(s));
			tbl_cell(&ls->svc, "%" PRIu64, ls->g->svc_requests[s->id]);
		}
		for (const struct cfg_backend *b = s->backends; b; b = b->next)
			list_backend(ls, spath, bi++, b);
		if (s->emergency)
			list_backend(ls, spath, bi, s->emergency);
		if (ls->json)
			out_printf(ls->o, "]}");
	}
}

void control_list(const struct gen *g, const struct hc_state *hs, long pid, uint64_t uptime_s, int conns, int json,
                  struct ctl_out *o)
{
	const struct config *cfg = g->cfg;
	struct lister ls;
	struct table lt = {6, NULL, 0, 0, 0};
	unsigned li = 0;

	memset(&ls, 0, sizeof(ls));
	ls.g = g;
	ls.hs = hs;
	ls.o = o;
	ls.json = json;
	if (json)
		out_printf(o,
		           "{\"pid\":%ld,\"uptime\":%" PRIu64 ",\"connections\":%d,\"listeners\":[",
		           pid, uptime_s, conns);
	else
		out_printf(o, "pid %ld, up %" PRIu64 " s, %d client connection(s)\n\n", pid,
		           uptime_s, conns);
	ls.svc.ncols = 4;
	ls.be.ncols = 8;
	tbl_cell(&lt, "LISTENER");
	tbl_cell(&lt, "NAME");
	tbl_cell(&lt, "ADDRESS");
	tbl_cell(&lt, "PROTO");
	tbl_cell(&lt, "CONNS");
	tbl_cell(&lt, "REQUESTS");
	tbl_cell(&ls.svc, "SERVICE");
	tbl_cell(&ls.svc, "NAME");
	tbl_cell(&ls.svc, "KIND");
	tbl_cell(&ls.svc, "REQUESTS");
	tbl_cell(&ls.be, "BACKEND");
	tbl_cell(&ls.be, "ADDRESS");
	tbl_cell(&ls.be, "STATE");
	tbl_cell(&ls.be, "ENABLED");
	tbl_cell(&ls.be, "PRIO");
	tbl_cell(&ls.be, "ACTIVE");
	tbl_cell(&ls.be, "REQUESTS");
	tbl_cell(&ls.be, "NOTE");
	for (const struct cfg_listener *l = cfg->listeners; l; l = l->next, li++) {
		const struct lis_stats *s = &g->lis[l->id];
		char pre[16];

		snprintf(pre, sizeof(pre), "%u", li);
		if (json) {
			out_printf(o, "%s{\"path\":\"%u\",\"index\":%u,\"name\":", li ? "," : "",
			           li, li);
			out_json_str(o, l->name);
			out_printf(o, ",\"address\":");
			out_json_str(o, l->addr_text);
			out_printf(o,
			           ",\"protocol\":\"%s\",\"connections\":%" PRIu32
			           ",\"requests\":%" PRIu64 ",\"services\":[",
			           l->https ? "https" : "http", s->conns, s->requests);
		} else {
			tbl_cell(&lt, "%s", pre);
			tbl_cell(&lt, "%s", l->name && l->name[0] ? l->name : "-");
			tbl_cell(&lt, "%s", l->addr_text);
			tbl_cell(&lt, "%s", l->https ? "https" : "http");
			tbl_cell(&lt, "%" PRIu32, s->conns);
			tbl_cell(&lt, "%" PRIu64, s->requests);
		}
		list_services(&ls, pre, l->services);
		if (json)
			out_printf(o, "]}");
	}
	if (json)
		out_printf(o, "],\"services\":[");
	list_services(&ls, "-", cfg->services);
	if (json) {
		out_printf(o, "]}\n");
		tbl_free(&lt);
		tbl_free(&ls.svc);
		tbl_free(&ls.be);
		return;
	}
	tbl_render(&lt, o);
	out_printf(o, "\n");
	tbl_render(&ls.svc, o);
	out_printf(o, "\n");
	tbl_render(&ls.be, o);
}

/* ---- actions ----------------------------------------------------------------------------- */

static const char *probe_word(enum health_probe h)
{
	return h == HEALTH_ALIVE ? "alive" : h == HEALTH_PROBING ? "probing" : "dead";
}

/* One line (or JSON element) about a backend after an action. */
static void report_backend(struct ctl_out *o, const struct config *cfg, unsigned id, int json,
                           int first, const char *key, const char *value)
{
	char path[32];

	control_backend_path(cfg, id, path, sizeof(path));
	if (json) {
		out_printf(o, "%s{\"path\":\"%s\",\"id\":%u,\"address\":", first ? "" : ",", path,
		           id);
		out_json_str(o, cfg->backend_by_id[id]->addr_text);
		out_printf(o, ",\"%s\":%s}", key, value);
	} else {
		out_printf(o, "%s %s %s\n", path, cfg->backend_by_id[id]->addr_text, value);
	}
}

/* pinfoldctl's check; while stopping there are no checks, only what is known. */
static enum health_probe probe_now(struct proxy *px, unsigned id)
{
	if (px->health)
		return health_probe_now(px->health, id);
	return px->gen->bk.be[id].alive ? HEALTH_ALIVE : HEALTH_DEAD;
}

static void do_request(struct proxy *px, const struct ctl_req *rq, struct ctl_out *o)
{
	struct gen *g = px->gen;
	const struct config *cfg = g->cfg;
	unsigned ids[CTL_MAX_IDS];
	int n = 0, shown = 0;

	if (rq->cmd == CTL_LIST) {
		out_printf(o, "OK\n");
		control_list(g, px->health ? px->health->st : NULL, (long)getpid(), (px->loop.now - px->started) / 1000, px->nconns,
		             rq->json, o);
		return;
	}
	if (rq->arg[0] || rq->cmd != CTL_CHECK) {
		char err[256];

		n = control_find_backends(cfg, rq->arg, ids, CTL_MAX_IDS, err, sizeof(err));
		if (n < 0) {
			out_printf(o, "ERR %s\n", err);
			return;
		}
	} else {
		for (unsigned id = 0; id < cfg->nbackends && n < CTL_MAX_IDS; id++)
			if (!g->bk.be[id].alive)
				ids[n++] = (unsigned)id;
	}
	out_printf(o, "OK\n%s", rq->json ? "{\"backends\":[" : "");
	for (int i = 0; i < n; i++) {
		const struct be_state *st = &g->bk.be[ids[i]];
		const char *addr = cfg->backend_by_id[ids[i]]->addr_text;
		char path[32];

		control_backend_path(cfg, ids[i], path, sizeof(path));
		if (rq->cmd == CTL_CHECK) {
			const char *w = probe_word(probe_now(px, ids[i]));
			char q[16];

			snprintf(q, sizeof(q), "\"%s\"", w);
			report_backend(o, cfg, ids[i], rq->json, !shown++, "state",
			               rq->json ? q : w);
			log_msg(LOG_INFO, "control: health check of backend %s (%s): %s", addr,
			        path, w);
			continue;
		}
		backend_set_disabled(&g->bk, ids[i], rq->cmd == CTL_DISABLE);
		report_backend(o, cfg, ids[i], rq->json, !shown++, "enabled",
		               rq->json ? (st->disabled ? "false" : "true")
		                        : (st->disabled ? "disabled" : "enabled"));
		log_msg(LOG_NOTICE, "control: backend %s (%s) %s", addr, path,
		        st->disabled ? "disabled" : "enabled");
	}
	if (rq->json)
		out_printf(o, "]}\n");
	else if (!shown)
		out_printf(o, "no dead backend to check\n");
}

/* ---- clients ----------------------------------------------------------------------------- */

static void client_close(struct ctl_client *cl)
{
	struct control *ctl = cl->ctl;
	struct proxy *px = ctl->px;

	timer_cancel(&px->loop.timers, &cl->tm);
	ev_del(px->loop.ev, cl->fd);
	close(cl->fd);
	ctl_out_free(&cl->out);
	if (cl->prev)
		cl->prev->next = cl->next;
	else
		ctl->clients = cl->next;
	if (cl->next)
		cl->next->prev = cl->prev;
	ctl->nclients--;
	free(cl);
}

/* Write what is left of the reply; close when done or broken.  Else wait for POLLOUT. */
static void client_write(struct ctl_client *cl)
{
	while (cl->sent < cl->out.len) {
		ssize_t n = write(cl->fd, cl->out.p + cl->sent, cl->out.len - cl->sent);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n <= 0)
			break;
		cl->sent += (size_t)n;
	}
	client_close(cl);
}

static void client_reply(struct ctl_client *cl, const char *line, size_t len)
{
	struct ctl_req rq;
	char err[256];

	if (control_parse_request(line, len, &rq, err, sizeof(err)) < 0)
		out_printf(&cl->out, "ERR %s\n", err);
	else
		do_request(cl->ctl->px, &rq, &cl->out);
	if (cl->out.oom) {
		ctl_out_free(&cl->out);
		cl->out.p = strdup("ERR out of memory (the reply is too large)\n");
		cl->out.len = cl->out.p ? strlen(cl->out.p) : 0;
	}
	cl->writing = 1;
	ev_set(cl->ctl->px->loop.ev, cl->fd, POLLOUT);
	client_write(cl);
}

static void client_event(void *arg, int fd, int revents)
{
	struct ctl_client *cl = arg;
	char *nl;
	ssize_t n;

	if (cl->writing) {
		client_write(cl);
		return;
	}
	n = read(fd, cl->in + cl->inlen, sizeof(cl->in) - cl->inlen);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
		return;
	if (n < 0 || (n == 0 && cl->inlen == 0)) {
		client_close(cl);
		return;
	}
	if (n == 0) { /* no newline before the end: the request is what came */
		client_reply(cl, cl->in, cl->inlen);
		return;
	}
	nl = memchr(cl->in + cl->inlen, '\n', (size_t)n);
	cl->inlen += (size_t)n;
	if (nl)
		client_reply(cl, cl->in, (size_t)(nl - cl->in));
	else if (cl->inlen == sizeof(cl->in))
		client_reply(cl, cl->in, cl->inlen); /* too long: answered with an error */
}

static void client_timeout(struct timer *t, void *arg)
{
	struct ctl_client *cl = arg;
	static const char msg[] = "ERR timed out waiting for a request\n";

	if (!cl->writing && write(cl->fd, msg, sizeof(msg) - 1) < 0) {
		/* the client is gone or stuck: closing is all that is left */
	}
	client_close(cl);
}

static void accept_event(void *arg, int fd, int revents)
{
	struct control *ctl = arg;
	struct proxy *px = ctl->px;

	for (int i = 0; i < CTL_MAX_CLIENTS; i++) {
		static const char busy[] = "ERR too many control connections, try again\n";
		struct sockaddr_storage peer;
		socklen_t plen = sizeof(peer);
		struct ctl_client *cl;
		int cfd = net_accept(fd, &peer, &plen);

		if (cfd < 0)
			return;
		if (ctl->nclients >= CTL_MAX_CLIENTS || !(cl = calloc(1, sizeof(*cl)))) {
			if (write(cfd, busy, sizeof(busy) - 1) < 0) {
				/* best effort only */
			}
			close(cfd);
			continue;
		}
		cl->ctl = ctl;
		cl->fd = cfd;
		timer_init(&cl->tm, client_timeout, cl);
		if (ev_add(px->loop.ev, cfd, POLLIN, client_event, cl) < 0 ||
		    timer_set(&px->loop.timers, &cl->tm, px->loop.now + CTL_TIMEOUT_MS) < 0) {
			ev_del(px->loop.ev, cfd);
			close(cfd);
			free(cl);
			continue;
		}
		cl->next = ctl->clients;
		if (ctl->clients)
			ctl->clients->prev = cl;
		ctl->clients = cl;
		ctl->nclients++;
	}
}

/* ---- the socket ------------------------------------------------------------------------------ */

/*
 * Make room for the socket: a socket file nothing answers on is left from an
 * earlier run and removed; one that answers, or anything else, is not ours.
 */
static int clear_stale(const char *path, const struct sockaddr_un *sa)
{
	struct stat sb;
	int fd, rc;

	if (lstat(path, &sb) < 0) {
		if (errno == ENOENT)
			return 0;
		log_msg(LOG_ERR, "Control %s: %s", path, strerror(errno));
		return -1;
	}
	if (!S_ISSOCK(sb.st_mode)) {
		log_msg(LOG_ERR, "Control %s: the file exists and is not a socket; not touching it",
		        path);
		return -1;
	}
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	/* non-blocking: a live server with a full backlog must not hang the start */
	if (fd < 0 || fcntl(fd, F_SETFL, O_NONBLOCK) < 0) {
		log_msg(LOG_ERR, "Control %s: cannot test the socket: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	rc = connect(fd, (const struct sockaddr *)sa, sizeof(*sa));
	if (rc == 0 || errno != ECONNREFUSED) {
		close(fd);
		log_msg(LOG_ERR,
		        "Control %s: another process answers on this socket (is pinfold "
		        "already running?)",
		        path);
		return -1;
	}
	close(fd);
	log_msg(LOG_NOTICE, "Control %s: removing the stale socket of an earlier run", path);
	if (unlink(path) < 0) {
		log_msg(LOG_ERR, "Control %s: cannot remove the stale socket: %s", path,
		        strerror(errno));
		return -1;
	}
	return 0;
}

int control_open(struct proxy *px, const char *path)
{
	struct control *ctl = calloc(1, sizeof(*ctl));
	struct sockaddr_un sa;
	struct stat sb;
	mode_t old;
	int rc;

	if (!ctl || !(ctl->path = strdup(path))) {
		free(ctl);
		log_msg(LOG_ERR, "out of memory");
		return -1;
	}
	ctl->px = px;
	ctl->fd = -1;
	px->ctl = ctl;
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa.sun_path)) { /* the config parser refuses these */
		errno = ENAMETOOLONG;
		goto fail;
	}
	memcpy(sa.sun_path, path, strlen(path));
	if (clear_stale(path, &sa) < 0)
		goto fail_quiet;
	ctl->fd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (ctl->fd < 0 || fcntl(ctl->fd, F_SETFL, O_NONBLOCK) < 0 ||
	    fcntl(ctl->fd, F_SETFD, FD_CLOEXEC) < 0)
		goto fail;
	old = umask(0177); /* born 0600: no window in which others could connect */
	rc = bind(ctl->fd, (const struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (rc < 0)
		goto fail;
	/* umask should have done it; where sockets ignore it, chmod the file */
	if (listen(ctl->fd, CTL_MAX_CLIENTS) < 0 || lstat(path, &sb) < 0 ||
	    ((sb.st_mode & 077) && chmod(path, 0600) < 0)) {
		unlink(path);
		goto fail;
	}
	if (px->gen->cfg->root_jail && !file_jail_rel(px->gen->cfg->root_jail, path))
		log_msg(LOG_WARNING,
		        "Control %s lies outside RootJail %s: it keeps working, but cannot be "
		        "removed at exit",
		        path, px->gen->cfg->root_jail);
	log_msg(LOG_DEBUG, "control socket %s", path);
	return 0;
fail:
	log_msg(LOG_ERR, "cannot create the Control socket %s: %s", path, strerror(errno));
fail_quiet:
	if (ctl->fd >= 0)
		close(ctl->fd);
	free(ctl->path);
	free(ctl);
	px->ctl = NULL;
	return -1;
}

int control_chown(struct proxy *px, uid_t uid, gid_t gid)
{
	/* lchown: never follow a link someone could have put in the socket's place */
	if (px->ctl && lchown(px->ctl->path, uid, gid) < 0) {
		log_msg(LOG_ERR, "Control %s: cannot hand the socket to uid %ld gid %ld: %s",
		        px->ctl->path, (long)uid, (long)gid, strerror(errno));
		return -1;
	}
	return 0;
}

int control_start(struct proxy *px)
{
	if (px->ctl && ev_add(px->loop.ev, px->ctl->fd, POLLIN, accept_event, px->ctl) < 0) {
		log_msg(LOG_ERR, "cannot watch the Control socket %s", px->ctl->path);
		return -1;
	}
	return 0;
}

int control_same_path(const struct control *ctl, const char *path)
{
	if (!ctl || !path)
		return !ctl && !path;
	return strcmp(ctl->path, path) == 0;
}

void control_close(struct proxy *px)
{
	struct control *ctl = px->ctl;
	const char *here;

	if (!ctl)
		return;
	for (struct ctl_client *cl = ctl->clients, *next; cl; cl = next) {
		next = cl->next;
		client_close(cl);
	}
	ev_del(px->loop.ev, ctl->fd);
	close(ctl->fd);
	/* chrooted, the file is reachable only from inside the jail */
	here = file_jail_rel(px->jail, ctl->path);
	if (here && unlink(here) < 0 && errno != ENOENT)
		log_msg(LOG_WARNING, "Control %s: cannot remove the socket: %s", ctl->path,
		        strerror(errno));
	free(ctl->path);
	free(ctl);
	px->ctl = NULL;
}
