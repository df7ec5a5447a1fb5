/*
 * config_lex.h - the tokenizer under core/config.c, and the diagnostics
 * both of them report through.  Private to the config module: nothing else
 * includes this header.
 *
 * The lexer reads whole files into memory and hands out one token at a time:
 * bare words, quoted strings, and end-of-line markers.  It keeps a stack of
 * open files so that Include is transparent to the parser: when an included
 * file ends, reading simply continues in the file that included it.
 */
#ifndef PINFOLD_CONFIG_LEX_H
#define PINFOLD_CONFIG_LEX_H

#include <stddef.h>

/*
 * Where diagnostics go, and how many of each were emitted.  fn has the shape
 * of config.h's cfg_diag_fn; the lexer does not need the grammar's result.
 */
struct cfg_report {
	void (*fn)(void *ctx, int is_error, const char *msg); /* may be NULL: count only */
	void *ctx;
	int errors;
	int warnings;
};

/*
 * Emit "FILE:LINE:COL: msg" (or "FILE:LINE:COL: warning: msg").  A line of 0
 * means the message is about the file as a whole: "FILE: msg".
 */
void cfg_report_at(struct cfg_report *r, int is_error, const char *file, int line, int col,
                   const char *fmt, ...) __attribute__((format(printf, 6, 7)));

enum cfg_tok_type {
	CFG_TOK_WORD,   /* bare word or number */
	CFG_TOK_STRING, /* "quoted", escapes already removed */
	CFG_TOK_EOL,    /* end of a line (also produced when an included file ends) */
	CFG_TOK_EOF,    /* end of the main file */
};

struct cfg_tok {
	enum cfg_tok_type type;
	char *text;       /* NUL-terminated, owned by the token; NULL for EOL/EOF */
	size_t len;       /* strlen(text) */
	const char *file; /* one of the lexer's file names (outlives the token) */
	int line;         /* 1-based */
	int col;          /* 1-based, in bytes (a tab counts as one column) */
};

struct cfg_input;

struct cfg_lex {
	struct cfg_input *top; /* innermost open file */
	int depth;             /* number of open files */
	struct cfg_report *rep;
	char **files; /* every file name read, in order; handed over to the config */
	int nfiles;
	int oom; /* set once an allocation failed; the parse is abandoned */
};

#define CFG_MAX_INCLUDE_DEPTH 16
#define CFG_MAX_FILE_SIZE     (1024 * 1024)

void cfg_lex_init(struct cfg_lex *lx, struct cfg_report *rep);

/*
 * Open `path` and make it the current input.  `from` is the Include token's
 * argument (for relative paths and for the location of any error), or NULL
 * for the main file.  Returns 0, or -1 after reporting why not.
 */
int cfg_lex_open(struct cfg_lex *lx, const char *path, const struct cfg_tok *from);

/* Fill *t with the next token (the caller frees it with cfg_tok_clear). */
enum cfg_tok_type cfg_lex_next(struct cfg_lex *lx, struct cfg_tok *t);

void cfg_tok_clear(struct cfg_tok *t);

/* Close whatever is still open and free the file names not yet taken. */
void cfg_lex_done(struct cfg_lex *lx);

#endif
