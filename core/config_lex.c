/*
 * config_lex.c - tokenizer for Pound's configuration language, and the
 * file stack that makes Include work.
 *
 * The language is line-oriented: a directive is a keyword followed by
 * arguments up to the end of the line.  `#` starts a comment anywhere outside
 * quotes.  Quoted strings take `\"` and `\\` as escapes; any other backslash
 * is kept as written, because configs copied from Pound 2 put regex escapes
 * such as "\.jpg" in strings unescaped and they must keep working.  CR is
 * treated as blank so CRLF files read like LF ones.
 */
#include "config_lex.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct cfg_input {
	struct cfg_input *prev;
	char *buf;
	size_t len;
	size_t pos;
	int line;
	int col;
	const char *name; /* points into lx->files */
	dev_t dev;
	ino_t ino;
};

void cfg_report_at(struct cfg_report *r, int is_error, const char *file, int line, int col,
                   const char *fmt, ...)
{
	char msg[1024];
	char where[512];
	va_list ap;

	if (is_error)
		r->errors++;
	else
		r->warnings++;
	if (!r->fn)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (line > 0)
		snprintf(where, sizeof(where), "%s:%d:%d", file ? file : "?", line, col);
	else
		snprintf(where, sizeof(where), "%s", file ? file : "?");
	{
		char full[1600];

		snprintf(full, sizeof(full), "%s: %s%s", where, is_error ? "" : "warning: ", msg);
		r->fn(r->ctx, is_error, full);
	}
}

void cfg_lex_init(struct cfg_lex *lx, struct cfg_report *rep)
{
	memset(lx, 0, sizeof(*lx));
	lx->rep = rep;
}

void cfg_tok_clear(struct cfg_tok *t)
{
	free(t->text);
	t->text = NULL;
	t->len = 0;
}

/* Keep one copy of each file name; tokens and config structs point at it. */
static const char *remember_name(struct cfg_lex *lx, const char *name)
{
	char **grown;
	char *copy;

	for (int i = 0; i < lx->nfiles; i++)
		if (strcmp(lx->files[i], name) == 0)
			return lx->files[i];
	copy = strdup(name);
	grown = realloc(lx->files, (size_t)(lx->nfiles + 1) * sizeof(*grown));
	if (!copy || !grown) {
		free(copy);
		if (grown)
			lx->files = grown;
		lx->oom = 1;
		return NULL;
	}
	lx->files = grown;
	lx->files[lx->nfiles++] = copy;
	return copy;
}

/* An Include path is relative to the directory of the file that names it. */
static char *resolve_path(const char *path, const struct cfg_tok *from)
{
	const char *slash;
	size_t dirlen;
	char *out;

	if (!from || path[0] == '/' || !(slash = strrchr(from->file, '/')))
		return strdup(path);
	dirlen = (size_t)(slash - from->file);
	out = malloc(dirlen + 1 + strlen(path) + 1);
	if (!out)
		return NULL;
	memcpy(out, from->file, dirlen);
	out[dirlen] = '/';
	strcpy(out + dirlen + 1, path);
	return out;
}

/* Read a regular file of bounded size; returns 0 or an errno-style code. */
static int slurp(int fd, const struct stat *st, char **out, size_t *outlen)
{
	size_t want = (size_t)st->st_size, got = 0;
	char *buf = malloc(want + 1);

	if (!buf)
		return ENOMEM;
	while (got < want) {
		ssize_t n = read(fd, buf + got, want - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int e = errno;

			free(buf);
			return e;
		}
		if (n == 0)
			break; /* the file shrank under us: take what is there */
		got += (size_t)n;
	}
	buf[got] = '\0';
	*out = buf;
	*outlen = got;
	return 0;
}

int cfg_lex_open(struct cfg_lex *lx, const char *path, const struct cfg_tok *from)
{
	/* Where to blame a failure: the Include argument, or the file itself. */
	const char *efile = from ? from->file : path;
	int eline = from ? from->line : 0, ecol = from ? from->col : 0;
	struct cfg_input *in = NULL;
	char *full = NULL;
	struct stat st;
	int fd = -1, rc = -1, e;

	full = resolve_path(path, from);
	if (!full) {
		lx->oom = 1;
		goto out;
	}
	if (lx->depth >= CFG_MAX_INCLUDE_DEPTH) {
		cfg_report_at(lx->rep, 1, efile, eline, ecol,
		              "Include nested too deeply (more than %d files open)",
		              CFG_MAX_INCLUDE_DEPTH);
		goto out;
	}
	/* O_NONBLOCK so that naming a FIFO cannot hang the daemon at startup. */
	fd = open(full, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0 && !from) {
		cfg_report_at(lx->rep, 1, efile, 0, 0, "cannot open: %s", strerror(errno));
		goto out;
	}
	if (fd < 0) {
		cfg_report_at(lx->rep, 1, efile, eline, ecol, "cannot open \"%s\": %s", full,
		              strerror(errno));
		goto out;
	}
	if (fstat(fd, &st) != 0) {
		cfg_report_at(lx->rep, 1, efile, eline, ecol, "cannot stat \"%s\": %s", full,
		              strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		cfg_report_at(lx->rep, 1, efile, eline, ecol, "\"%s\" is not a regular file", full);
		goto out;
	}
	for (struct cfg_input *o = lx->top; o; o = o->prev) {
		if (o->dev == st.st_dev && o->ino == st.st_ino) {
			cfg_report_at(lx->rep, 1, efile, eline, ecol,
			              "Include cycle: \"%s\" is already being read", full);
			goto out;
		}
	}
	if (st.st_size > CFG_MAX_FILE_SIZE) {
		cfg_report_at(lx->rep, 1, efile, eline, ecol,
		              "\"%s\" is too large for a configuration file (limit %d bytes)", full,
		              CFG_MAX_FILE_SIZE);
		goto out;
	}
	in = calloc(1, sizeof(*in));
	if (!in) {
		lx->oom = 1;
		goto out;
	}
	e = slurp(fd, &st, &in->buf, &in->len);
	if (e) {
		if (e == ENOMEM)
			lx->oom = 1;
		else
			cfg_report_at(lx->rep, 1, efile, eline, ecol, "cannot read \"%s\": %s",
			              full, strerror(e));
		goto out;
	}
	in->name = remember_name(lx, full);
	if (!in->name)
		goto out;
	in->line = 1;
	in->col = 1;
	in->dev = st.st_dev;
	in->ino = st.st_ino;
	in->prev = lx->top;
	lx->top = in;
	lx->depth++;
	in = NULL;
	rc = 0;
out:
	if (in)
		free(in->buf);
	free(in);
	if (fd >= 0)
		close(fd);
	free(full);
	return rc;
}

static void pop_input(struct cfg_lex *lx)
{
	struct cfg_input *in = lx->top;

	lx->top = in->prev;
	lx->depth--;
	free(in->buf);
	free(in);
}

void cfg_lex_done(struct cfg_lex *lx)
{
	while (lx->top)
		pop_input(lx);
	for (int i = 0; i < lx->nfiles; i++)
		free(lx->files[i]);
	free(lx->files);
	lx->files = NULL;
	lx->nfiles = 0;
}

static int peek(const struct cfg_input *in)
{
	return in->pos < in->len ? (unsigned char)in->buf[in->pos] : -1;
}

static void advance(struct cfg_input *in)
{
	if (in->buf[in->pos] == '\n') {
		in->line++;
		in->col = 1;
	} else {
		in->col++;
	}
	in->pos++;
}

static int is_blank(int c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}

/* Control bytes other than layout have no business in a config file. */
static int is_bad_control(int c)
{
	return (c < 0x20 && c != '\t' && c != '\n' && c != '\r' && c != '\f' && c != '\v') ||
	       c == 0x7f;
}

static void start_token(struct cfg_tok *t, const struct cfg_input *in, enum cfg_tok_type type)
{
	t->type = type;
	t->text = NULL;
	t->len = 0;
	t->file = in->name;
	t->line = in->line;
	t->col = in->col;
}

static void lex_word(struct cfg_lex *lx, struct cfg_input *in, struct cfg_tok *t)
{
	size_t start = in->pos;
	int c;

	start_token(t, in, CFG_TOK_WORD);
	while ((c = peek(in)) >= 0 && c != '\n' && !is_blank(c) && c != '"' && c != '#' &&
	       !is_bad_control(c))
		advance(in);
	t->len = in->pos - start;
	t->text = malloc(t->len + 1);
	if (!t->text) {
		lx->oom = 1;
		t->len = 0;
		return;
	}
	memcpy(t->text, in->buf + start, t->len);
	t->text[t->len] = '\0';
}

static void lex_string(struct cfg_lex *lx, struct cfg_input *in, struct cfg_tok *t)
{
	size_t o = 0;
	char *out;
	int c;

	start_token(t, in, CFG_TOK_STRING);
	advance(in); /* the opening quote */
	/* The decoded text is never longer than what is left of the file. */
	out = malloc(in->len - in->pos + 1);
	if (!out) {
		lx->oom = 1;
		return;
	}
	for (;;) {
		c = peek(in);
		if (c < 0 || c == '\n') {
			cfg_report_at(lx->rep, 1, t->file, t->line, t->col,
			              "unterminated quoted string (no closing \" on this line)");
			break;
		}
		if (c == '"') {
			advance(in);
			break;
		}
		if (c == '\\') {
			int next = in->pos + 1 < in->len ? (unsigned char)in->buf[in->pos + 1] : -1;

			if (next == '"' || next == '\\') {
				advance(in);
				out[o++] = (char)next;
				advance(in);
				continue;
			}
			/* Any other escape stays as written (regex "\." etc.). */
			out[o++] = '\\';
			advance(in);
			continue;
		}
		if (is_bad_control(c)) {
			cfg_report_at(lx->rep, 1, in->name, in->line, in->col,
			              "invalid control character 0x%02x in quoted string", c);
			advance(in);
			continue;
		}
		out[o++] = (char)c;
		advance(in);
	}
	out[o] = '\0';
	t->text = out;
	t->len = o;
}

enum cfg_tok_type cfg_lex_next(struct cfg_lex *lx, struct cfg_tok *t)
{
	struct cfg_input *in;
	int c;

	for (;;) {
		in = lx->top;
		if (!in) {
			memset(t, 0, sizeof(*t));
			t->type = CFG_TOK_EOF;
			return t->type;
		}
		c = peek(in);
		if (c < 0) {
			start_token(t, in, CFG_TOK_EOF);
			if (lx->depth > 1) {
				/* End of an included file ends its last line too. */
				t->type = CFG_TOK_EOL;
				pop_input(lx);
			}
			return t->type;
		}
		if (is_blank(c)) {
			advance(in);
			continue;
		}
		if (c == '#') {
			while ((c = peek(in)) >= 0 && c != '\n')
				advance(in);
			continue;
		}
		if (c == '\n') {
			start_token(t, in, CFG_TOK_EOL);
			advance(in);
			return t->type;
		}
		if (is_bad_control(c)) {
			cfg_report_at(lx->rep, 1, in->name, in->line, in->col,
			              "invalid control character 0x%02x", c);
			advance(in);
			continue;
		}
		if (c == '"')
			lex_string(lx, in, t);
		else
			lex_word(lx, in, t);
		return t->type;
	}
}
