/*
 * test_config.c - the Pound-syntax parser: the Home Assistant guide's config,
 * Pound 4 spellings, Include, defaults, and every diagnostic config.c can
 * emit, each checked for its exact FILE:LINE:COL and wording.
 *
 * Fixtures live in test/unit/data (found through PINFOLD_TESTDATA); configs
 * made up on the spot are written with mkstemp into a private directory.
 *
 * ListenHTTPS and HTTPS backends parse only in a TLS build (PINFOLD_HAVE_TLS);
 * the plaintext build's tests check that it refuses them clearly instead.  The
 * parser never opens certificate files, so most TLS tests name files that do
 * not exist; one uses placeholders to show their contents do not matter either.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <limits.h>
#include <netinet/in.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include "buildopts.h"
#include "config.h"
#include "tls.h"

#define MAXDIAG 256

static char tmpdir[64]; /* short, so the paths built from it always fit */

struct run {
	char path[PATH_MAX];
	struct config *cfg;
	int rc;
	int n;
	int is_err[MAXDIAG];
	char *msg[MAXDIAG];
};

static void collect(void *ctx, int is_error, const char *msg)
{
	struct run *r = ctx;

	assert_non_null(msg);
	if (r->n < MAXDIAG) {
		r->is_err[r->n] = is_error;
		r->msg[r->n] = strdup(msg);
		r->n++;
	}
}

static const char *datadir(void)
{
	const char *d = getenv("PINFOLD_TESTDATA");

	return d && *d ? d : "test/unit/data";
}

static void load_path(struct run *r, const char *path)
{
	snprintf(r->path, sizeof(r->path), "%s", path);
	r->rc = config_load(r->path, &r->cfg, collect, r);
	if (r->rc == 0)
		assert_non_null(r->cfg);
	else
		assert_null(r->cfg);
}

static void load_fixture(struct run *r, const char *name)
{
	char path[PATH_MAX];

	memset(r, 0, sizeof(*r));
	snprintf(path, sizeof(path), "%s/%s", datadir(), name);
	load_path(r, path);
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
}

/* A generated config, under a mkstemp name in the private directory. */
static void load_text(struct run *r, const char *text)
{
	char path[PATH_MAX];
	int fd;

	memset(r, 0, sizeof(*r));
	snprintf(path, sizeof(path), "%s/cfgXXXXXX", tmpdir);
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	load_path(r, path);
}

/* A generated config with a fixed name, for Include tests. */
static void load_named(struct run *r, const char *name, const char *text)
{
	char path[PATH_MAX];

	memset(r, 0, sizeof(*r));
	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	write_file(path, text);
	load_path(r, path);
}

static void run_free(struct run *r)
{
	config_free(r->cfg);
	r->cfg = NULL;
	for (int i = 0; i < r->n; i++)
		free(r->msg[i]);
	r->n = 0;
	if (strncmp(r->path, tmpdir, strlen(tmpdir)) == 0)
		unlink(r->path);
}

static void dump(const struct run *r)
{
	for (int i = 0; i < r->n; i++)
		print_message("  diag[%d] %s: %s\n", i, r->is_err[i] ? "error" : "warning",
		              r->msg[i]);
}

/* Is there a diagnostic "FILE:LINE:COL: [warning: ]...frag..."? */
static void expect_at(const struct run *r, int is_err, const char *file, int line, int col,
                      const char *frag)
{
	char prefix[PATH_MAX + 64];

	snprintf(prefix, sizeof(prefix), "%s:%d:%d: %s", file, line, col,
	         is_err ? "" : "warning: ");
	for (int i = 0; i < r->n; i++) {
		if (r->is_err[i] != is_err || strncmp(r->msg[i], prefix, strlen(prefix)) != 0)
			continue;
		if (strstr(r->msg[i] + strlen(prefix), frag))
			return;
	}
	dump(r);
	fail_msg("no %s \"%s...%s\"", is_err ? "error" : "warning", prefix, frag);
}

static void expect_err(const struct run *r, int line, int col, const char *frag)
{
	expect_at(r, 1, r->path, line, col, frag);
}

static void expect_warn(const struct run *r, int line, int col, const char *frag)
{
	expect_at(r, 0, r->path, line, col, frag);
}

static void expect_counts(const struct run *r, int errors, int warnings)
{
	int e = 0, w = 0;

	for (int i = 0; i < r->n; i++)
		r->is_err[i] ? e++ : w++;
	if (e != errors || w != warnings || r->rc != errors) {
		dump(r);
		fail_msg("expected %d errors / %d warnings, got %d / %d (rc %d)", errors, warnings,
		         e, w, r->rc);
	}
}

/* One error at LINE:COL containing FRAG, and nothing else. */
static void only_error(const char *text, int line, int col, const char *frag)
{
	struct run r;

	load_text(&r, text);
	expect_err(&r, line, col, frag);
	expect_counts(&r, 1, 0);
	run_free(&r);
}

/* Must parse cleanly; the caller inspects r->cfg and frees. */
static void clean(struct run *r, const char *text)
{
	load_text(r, text);
	expect_counts(r, 0, 0);
}

#define LISTENER "ListenHTTP\n\tAddress 127.0.0.1\n\tPort 8080\nEnd\n"

static int count_conds(const struct cfg_cond *c)
{
	int n = 0;

	for (; c; c = c->next)
		n++;
	return n;
}

static int regex_matches(const struct cfg_cond *c, const char *s)
{
	assert_int_equal(c->type, MT_REGEX);
	return regexec(&c->re, s, 0, NULL, 0) == 0;
}

/* ---- the Home Assistant guide (seeds/003) ------------------------------------------ */

#ifndef PINFOLD_HAVE_TLS
static void test_seed003_verbatim(void **state)
{
	struct run r;

	load_fixture(&r, "ha_seed003.cfg");
	/* The deamon typo only warns; ListenHTTPS cannot run in this (TLS-less) build. */
	expect_warn(&r, 7, 13, "unknown LogFacility \"deamon\", using \"daemon\"");
	expect_err(&r, 27, 1,
	           "ListenHTTPS needs a TLS-enabled build (this pinfold was built with "
	           "PINFOLD_TLS=none)");
	/* Its Cert, Disable SSLv3 and Ciphers lines are skipped, not reported one by one. */
	expect_counts(&r, 1, 1);
	run_free(&r);
}
#else
static void test_seed003_verbatim(void **state)
{
	struct run r;
	struct cfg_listener *l;

	load_fixture(&r, "ha_seed003.cfg");
	/* Only the deamon typo; the docs' Ciphers string is accepted without a word. */
	expect_warn(&r, 7, 13, "unknown LogFacility \"deamon\", using \"daemon\"");
	expect_counts(&r, 0, 1);
	l = r.cfg->listeners;
	assert_int_equal(l->https, 0);
	assert_string_equal(l->addr_text, "127.0.0.1:7080");
	assert_int_equal(l->ncerts, 0);
	assert_null(l->certs);
	l = l->next;
	assert_non_null(l);
	assert_null(l->next);
	assert_int_equal(l->https, 1);
	assert_int_equal(l->line, 27);
	assert_string_equal(l->addr_text, "127.0.0.1:7443");
	assert_int_equal(l->log_level, 0);
	assert_int_equal(l->xhttp, 2);
	assert_int_equal(count_conds(l->head_remove), 1);
	assert_string_equal(l->head_remove->str, "X-Forwarded-For");
	assert_int_equal(l->ncerts, 1);
	/* Only the path: the parser opens no certificate (this one does not exist here). */
	assert_string_equal(l->certs[0], "/var/jail/pound/myhomeassistant.mydomain.com.all.pem");
	assert_string_equal(l->ciphers, "ALL:!RC4:!ECDH:!DH");
	assert_int_equal(l->min_version, 0); /* Disable SSLv3: off anyway */
	assert_int_equal(l->client_cert, 0);
	assert_null(l->ca_list);
	assert_int_equal(l->no_https11, 0);
	assert_null(l->services);
	assert_non_null(r.cfg->services);
	assert_int_equal(r.cfg->nbackends, 1);
	assert_int_equal(r.cfg->backend_by_id[0]->https, 0);
	run_free(&r);
}
#endif

static void test_seed003_structure(void **state)
{
	struct run r;
	struct config *c;
	struct cfg_listener *l;
	struct cfg_service *s;
	struct cfg_backend *b;

	load_fixture(&r, "ha_seed003_http_only.cfg");
	expect_warn(&r, 9, 13, "unknown LogFacility \"deamon\"");
	expect_counts(&r, 0, 1);
	c = r.cfg;
	assert_string_equal(c->user, "nobody");
	assert_string_equal(c->group, "nobody");
	assert_string_equal(c->root_jail, "/var/jail/pound/");
	assert_ptr_equal(c->user_file, c->files[0]);
	assert_int_equal(c->user_line, 4);
	assert_ptr_equal(c->group_file, c->files[0]);
	assert_int_equal(c->group_line, 5);
	assert_null(c->pidfile);
	assert_int_equal(c->log_level, 0);
	assert_int_equal(c->log_facility, LOG_DAEMON);
	assert_int_equal(c->log_stderr, 0);
	assert_int_equal(c->ignore_case, 1);
	assert_int_equal(c->alive, 15);
	assert_int_equal(c->daemon, 1);
	assert_int_equal(c->client_to, CFG_DEFAULT_CLIENT);
	assert_int_equal(c->timeout, CFG_DEFAULT_TIMEOUT);
	/* no TimeOut in the file: pinfold's long head wait does not lengthen the connect */
	assert_int_equal(c->conn_to, CFG_DEFAULT_CONNTO);
	assert_int_equal(c->ws_timeout, CFG_DEFAULT_WSTIMEOUT);
	assert_int_equal(c->grace, CFG_DEFAULT_GRACE);
	assert_int_equal(c->nfiles, 1);

	l = c->listeners;
	assert_non_null(l);
	assert_null(l->next);
	assert_int_equal(l->https, 0);
	assert_null(l->name);
	assert_string_equal(l->addr_text, "127.0.0.1:7080");
	assert_int_equal(l->addr.ss_family, AF_INET);
	assert_int_equal(ntohs(((struct sockaddr_in *)&l->addr)->sin_port), 7080);
	assert_int_equal(l->addrlen, sizeof(struct sockaddr_in));
	assert_int_equal(l->log_level, 0);
	assert_int_equal(config_log_level(c, l), 0);
	assert_int_equal(l->xhttp, 2);
	assert_int_equal(l->client_to, CFG_DEFAULT_CLIENT);
	assert_int_equal(l->strip_forwarded, 1);
	assert_ptr_equal(l->file, c->files[0]);
	assert_int_equal(l->line, 16);
	assert_int_equal(count_conds(l->head_remove), 1);
	assert_int_equal(l->head_remove->kind, COND_HEADER);
	assert_string_equal(l->head_remove->str, "X-Forwarded-For");
	assert_true(l->head_remove->icase);
	assert_true(regex_matches(l->head_remove, "x-forwarded-for: 1.2.3.4"));
	assert_null(l->head_add);

	s = l->services;
	assert_non_null(s);
	assert_null(s->next);
	assert_string_equal(s->name, "");
	assert_int_equal(count_conds(s->conds), 1);
	assert_int_equal(s->conds->kind, COND_HEADER);
	assert_int_equal(s->conds->negate, 0);
	assert_string_equal(s->conds->str, "Host: myhomeassistant.mydomain.com");
	assert_int_equal(s->conds->line, 23);
	assert_true(regex_matches(s->conds, "host: MyHomeAssistant.MyDomain.com"));
	assert_false(regex_matches(s->conds, "Host: other.example"));
	assert_int_equal(s->redirect_code, 302);
	assert_string_equal(s->redirect_url, "https://myhomeassistant.mydomain.com");
	assert_int_equal(s->redirect_append, 1);
	assert_int_equal(s->error_code, 0);
	assert_null(s->backends);
	assert_null(s->emergency);

	s = c->services;
	assert_non_null(s);
	assert_null(s->next);
	assert_int_equal(count_conds(s->conds), 1);
	assert_int_equal(s->redirect_code, 0);
	assert_int_equal(s->balancer, BAL_RANDOM);
	b = s->backends;
	assert_non_null(b);
	assert_null(b->next);
	assert_string_equal(b->addr_text, "192.168.1.2:8123");
	assert_int_equal(b->id, 0);
	assert_int_equal(b->priority, CFG_DEFAULT_PRIORITY);
	assert_int_equal(b->timeout, CFG_DEFAULT_TIMEOUT);
	assert_int_equal(b->conn_to, CFG_DEFAULT_CONNTO);
	assert_int_equal(b->ws_timeout, CFG_DEFAULT_WSTIMEOUT);
	assert_int_equal(b->stream_to, CFG_DEFAULT_STREAMTO);
	assert_int_equal(b->disabled, 0);
	assert_int_equal(b->emergency, 0);
	assert_int_equal(b->line, 31);
	assert_int_equal(c->nbackends, 1);
	assert_ptr_equal(c->backend_by_id[0], b);
	run_free(&r);
}

/* ---- the lexer ---------------------------------------------------------------------- */

static void test_lexer_quotes_and_comments(void **state)
{
	struct run r;
	struct cfg_service *s;

	clean(&r, "listenhttp # keywords are case-insensitive\n"
	          "\taddress 127.0.0.1\n"
	          "\tPORT 8080#comment right after a word\n"
	          "\tSERVICE\n"
	          "\t\turl \"^/a#b\" # '#' inside quotes is not a comment\n"
	          "\t\tHeader \"X-Q: say \\\"hi\\\" \\\\ back\"\n"
	          "\t\tPath \"\\.jpg$\"\n"
	          "\t\tredirect \"https://x.example\"\n"
	          "\teNd\n"
	          "END\n");
	s = r.cfg->listeners->services;
	assert_string_equal(s->conds->str, "^/a#b");
	assert_string_equal(s->conds->next->str, "X-Q: say \"hi\" \\ back");
	/* Unknown escapes stay as written: Pound 2 configs put "\." in regexes. */
	assert_string_equal(s->conds->next->next->str, "\\.jpg$");
	assert_int_equal(s->conds->next->next->len, 6);
	assert_true(regex_matches(s->conds->next->next, "/a/b.jpg"));
	assert_false(regex_matches(s->conds->next->next, "/a/bxjpg"));
	run_free(&r);
}

static void test_lexer_crlf(void **state)
{
	struct run r;

	load_fixture(&r, "crlf.cfg");
	expect_counts(&r, 0, 0);
	assert_int_equal(r.cfg->alive, 12);
	assert_string_equal(r.cfg->listeners->addr_text, "127.0.0.1:8081");
	assert_string_equal(r.cfg->listeners->services->conds->str, "crlf.example");
	assert_string_equal(r.cfg->listeners->services->redirect_url, "https://crlf.example");
	run_free(&r);
}

static void test_lexer_unterminated_string(void **state)
{
	struct run r;

	/* The error points at the opening quote; parsing goes on to the next line. */
	load_text(&r, "User \"nobody\n"
	              "Alive 0\n" LISTENER);
	expect_err(&r, 1, 6, "unterminated quoted string");
	expect_err(&r, 2, 7, "expected a number of seconds 1-86400, got \"0\"");
	expect_counts(&r, 2, 0);
	run_free(&r);
}

static void test_lexer_control_character(void **state)
{
	struct run r;

	load_text(&r, "Alive 1\001\n"
	              "User \"a\002b\"\n" LISTENER);
	expect_err(&r, 1, 8, "invalid control character 0x01");
	expect_err(&r, 2, 8, "invalid control character 0x02 in quoted string");
	expect_counts(&r, 2, 0);
	run_free(&r);
}

static void test_lexer_tab_columns(void **state)
{
	/* A tab is one column: "\t\tPort" puts the value at column 8. */
	only_error("ListenHTTP\n\tAddress 127.0.0.1\n\t\tPort 0\nEnd\n", 3, 8,
	           "expected a port number 1-65535, got \"0\"");
}

static void test_lexer_quoted_keyword(void **state)
{
	only_error("\"Alive\" 5\n" LISTENER, 1, 1,
	           "expected a directive name at the start of the line, got the quoted string "
	           "\"Alive\"");
}

static void test_lexer_too_many_words(void **state)
{
	char text[512] = "SetHeader";

	for (int i = 0; i < 30; i++)
		strcat(text, " w");
	strcat(text, "\n" LISTENER);
	/* The 25th word is where the limit is crossed: w number 24, at 11 + 23 * 2. */
	only_error(text, 1, 57, "too many words on one line (limit 24)");
}

/* ---- Include -------------------------------------------------------------------------- */

static void test_include_relative_nested(void **state)
{
	struct run r;
	struct config *c;
	char want[PATH_MAX];

	load_fixture(&r, "include_main.cfg");
	expect_counts(&r, 0, 0);
	c = r.cfg;
	assert_int_equal(c->alive, 20);
	assert_int_equal(c->timeout, 33);
	assert_int_equal(c->conn_to, 33);
	assert_int_equal(c->listeners->xhttp, 1);
	assert_int_equal(c->nfiles, 5);
	snprintf(want, sizeof(want), "%s/include/more/timeouts.cfg", datadir());
	assert_string_equal(c->files[2], want);
	snprintf(want, sizeof(want), "%s/include/services.cfg", datadir());
	assert_string_equal(c->services->file, want);
	assert_ptr_equal(c->services->file, c->files[4]);
	assert_int_equal(c->services->line, 1);
	assert_int_equal(c->services->backends->line, 2);
	assert_int_equal(c->services->backends->timeout, 33);
	run_free(&r);
}

static void test_include_cycle(void **state)
{
	struct run r;
	char b[PATH_MAX];

	load_fixture(&r, "include_cycle_a.cfg");
	snprintf(b, sizeof(b), "%s/include_cycle_b.cfg", datadir());
	expect_at(&r, 1, b, 2, 9, "Include cycle: ");
	expect_at(&r, 1, b, 2, 9, "include_cycle_a.cfg\" is already being read");
	expect_counts(&r, 1, 0);
	run_free(&r);
}

static void test_include_self(void **state)
{
	struct run r;

	load_named(&r, "self.cfg", LISTENER "Include \"self.cfg\"\n");
	expect_err(&r, 5, 9, "Include cycle: ");
	expect_counts(&r, 1, 0);
	run_free(&r);
}

static void test_include_same_file_twice_is_fine(void **state)
{
	struct run r;
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/twice_inc.cfg", tmpdir);
	write_file(path, "Alive 7\n");
	load_named(&r, "twice.cfg", "Include \"twice_inc.cfg\"\n" LISTENER);
	expect_counts(&r, 0, 0);
	run_free(&r);
	/* A second Include of it is a duplicate Alive, not a cycle. */
	load_named(&r, "twice.cfg",
	           "Include \"twice_inc.cfg\"\nInclude \"twice_inc.cfg\"\n" LISTENER);
	expect_at(&r, 1, path, 1, 1, "duplicate \"Alive\" in top level (first given at line 1)");
	expect_counts(&r, 1, 0);
	run_free(&r);
	unlink(path);
}

static void test_include_missing(void **state)
{
	struct run r;

	load_text(&r, LISTENER "Include \"no/such/file.cfg\"\n");
	expect_err(&r, 5, 9, "/no/such/file.cfg\": No such file or directory");
	expect_err(&r, 5, 9, "cannot open \"");
	expect_counts(&r, 1, 0);
	run_free(&r);
}

static void test_include_not_regular(void **state)
{
	struct run r;

	load_text(&r, LISTENER "Include \"/\"\n");
	expect_err(&r, 5, 9, "\"/\" is not a regular file");
	expect_counts(&r, 1, 0);
	run_free(&r);
}

static void test_include_empty_name(void **state)
{
	only_error(LISTENER "Include \"\"\n", 5, 9,
	           "expected a file name after Include, got an empty string");
}

static void test_include_depth_limit(void **state)
{
	struct run r;
	char name[PATH_MAX], text[128];

	/* deep_top, deep0 ... deep14 make 16 open files: deep14's Include is refused. */
	for (int i = 0; i < 20; i++) {
		char path[PATH_MAX];

		snprintf(path, sizeof(path), "%s/deep%d.cfg", tmpdir, i);
		snprintf(text, sizeof(text), "Include \"deep%d.cfg\"\n", i + 1);
		write_file(path, text);
	}
	snprintf(name, sizeof(name), "%s/deep14.cfg", tmpdir);
	load_named(&r, "deep_top.cfg", LISTENER "Include \"deep0.cfg\"\n");
	expect_at(&r, 1, name, 1, 9, "Include nested too deeply (more than 16 files open)");
	expect_counts(&r, 1, 0);
	run_free(&r);
	for (int i = 0; i < 20; i++) {
		snprintf(name, sizeof(name), "%s/deep%d.cfg", tmpdir, i);
		unlink(name);
	}
}

static void test_include_block_across_files(void **state)
{
	struct run r;
	char path[PATH_MAX];

	/* Include works inside blocks, as in Pound. */
	snprintf(path, sizeof(path), "%s/backend_body.cfg", tmpdir);
	write_file(path, "Address 127.0.0.9\nPort 9000\n");
	load_named(&r, "across.cfg",
	           LISTENER "Service\n\tBackEnd\n\t\tInclude "
	                    "\"backend_body.cfg\"\n\tEnd\nEnd\n");
	expect_counts(&r, 0, 0);
	assert_string_equal(r.cfg->services->backends->addr_text, "127.0.0.9:9000");
	run_free(&r);
	unlink(path);
}

static void test_main_file_missing(void **state)
{
	struct run r;
	char path[PATH_MAX];

	memset(&r, 0, sizeof(r));
	snprintf(path, sizeof(path), "%s/does-not-exist.cfg", tmpdir);
	load_path(&r, path);
	assert_int_equal(r.rc, 1);
	assert_int_equal(r.n, 1);
	assert_true(strncmp(r.msg[0], path, strlen(path)) == 0);
	assert_string_equal(r.msg[0] + strlen(path), ": cannot open: No such file or directory");
	run_free(&r);
}

static void test_null_diag_callback(void **state)
{
	struct config *cfg = (struct config *)1;
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/nodiag.cfg", tmpdir);
	write_file(path, "Foo\nBar\n");
	/* Without a callback the errors are only counted. */
	assert_int_equal(config_load(path, &cfg, NULL, NULL), 3);
	assert_null(cfg);
	unlink(path);
	config_free(NULL);
}

/* ---- global directives and defaults --------------------------------------------------- */

static void test_defaults(void **state)
{
	struct run r;
	struct config *c;
	struct cfg_listener *l;

	clean(&r, LISTENER);
	c = r.cfg;
	assert_null(c->user);
	assert_null(c->group);
	assert_null(c->user_file);
	assert_int_equal(c->user_line, 0);
	assert_null(c->group_file);
	assert_null(c->root_jail);
	assert_null(c->pidfile);
	assert_int_equal(c->daemon, 1);
	assert_int_equal(c->log_level, CFG_DEFAULT_LOGLEVEL);
	assert_int_equal(c->log_facility, LOG_DAEMON);
	assert_int_equal(c->ignore_case, 0);
	assert_int_equal(c->alive, CFG_DEFAULT_ALIVE);
	assert_int_equal(c->client_to, CFG_DEFAULT_CLIENT);
	assert_int_equal(c->timeout, CFG_DEFAULT_TIMEOUT);
	assert_int_equal(c->conn_to, CFG_DEFAULT_CONNTO);
	assert_int_equal(c->ws_timeout, CFG_DEFAULT_WSTIMEOUT);
	assert_int_equal(c->grace, CFG_DEFAULT_GRACE);
	assert_null(c->services);
	assert_int_equal(c->nbackends, 0);
	l = c->listeners;
	assert_int_equal(l->xhttp, 0);
	assert_int_equal(l->log_level, -1);
	assert_int_equal(config_log_level(c, l), CFG_DEFAULT_LOGLEVEL);
	assert_int_equal(config_log_level(c, NULL), CFG_DEFAULT_LOGLEVEL);
	assert_int_equal(l->strip_forwarded, 1);
	assert_int_equal(l->client_to, CFG_DEFAULT_CLIENT);
	assert_null(l->services);
	run_free(&r);
}

static void test_global_values(void **state)
{
	struct run r;
	struct config *c;

	clean(&r, "User nobody\nGroup \"nogroup\"\nRootJail /var/empty\nPIDFile "
	          "\"/run/pinfold.pid\"\nDaemon off\nLogLevel 3\nAlive 5\nClient 7\nTimeOut 40\n"
	          "WSTimeOut 900\nGrace 0\n" LISTENER);
	c = r.cfg;
	assert_string_equal(c->user, "nobody");
	assert_string_equal(c->group, "nogroup");
	assert_string_equal(c->root_jail, "/var/empty");
	assert_string_equal(c->pidfile, "/run/pinfold.pid");
	assert_int_equal(c->daemon, 0);
	assert_int_equal(c->log_level, 3);
	assert_int_equal(config_log_level(c, c->listeners), 3);
	assert_int_equal(c->alive, 5);
	assert_int_equal(c->client_to, 7);
	assert_int_equal(c->listeners->client_to, 7);
	assert_int_equal(c->timeout, 40);
	/* Pound: ConnTO defaults to the TimeOut value. */
	assert_int_equal(c->conn_to, 40);
	assert_int_equal(c->ws_timeout, 900);
	assert_int_equal(c->grace, 0);
	run_free(&r);
}

static void test_booleans(void **state)
{
	static const char *const yes[] = {"1", "yes", "TRUE", "On"};
	static const char *const no[] = {"0", "No", "false", "OFF"};
	char text[256];
	struct run r;

	for (int i = 0; i < 4; i++) {
		snprintf(text, sizeof(text), "Daemon %s\nIgnoreCase %s\n" LISTENER, no[i], yes[i]);
		clean(&r, text);
		assert_int_equal(r.cfg->daemon, 0);
		assert_int_equal(r.cfg->ignore_case, 1);
		run_free(&r);
	}
	only_error("Daemon 2\n" LISTENER, 1, 8, "expected a boolean (0 or 1), got \"2\"");
	only_error("IgnoreCase maybe\n" LISTENER, 1, 12,
	           "expected a boolean (0 or 1), got \"maybe\"");
}

static void test_log_facility(void **state)
{
	struct run r;

	clean(&r, "LogFacility LOCAL3\n" LISTENER);
	assert_int_equal(r.cfg->log_facility, LOG_LOCAL3);
	assert_int_equal(r.cfg->log_stderr, 0);
	run_free(&r);
	clean(&r, "LogFacility user\n" LISTENER);
	assert_int_equal(r.cfg->log_facility, LOG_USER);
	run_free(&r);
	clean(&r, "LogFacility -\n" LISTENER);
	assert_int_equal(r.cfg->log_stderr, 1);
	run_free(&r);
	/* Unknown names warn and fall back to daemon; the config still loads. */
	load_text(&r, "LogFacility local9\n" LISTENER);
	expect_warn(&r, 1, 13, "unknown LogFacility \"local9\", using \"daemon\" (known: auth,");
	expect_counts(&r, 0, 1);
	assert_non_null(r.cfg);
	assert_int_equal(r.cfg->log_facility, LOG_DAEMON);
	run_free(&r);
}

static void test_log_level(void **state)
{
	struct run r;
	struct cfg_listener *l;

	clean(&r, "LogLevel \"detailed\"\n"
	          "ListenHTTP\n\tAddress 127.0.0.1\n\tPort 1\n\tLogLevel \"null\"\nEnd\n"
	          "ListenHTTP\n\tAddress 127.0.0.1\n\tPort 2\n\tLogLevel 2\nEnd\n"
	          "ListenHTTP\n\tAddress 127.0.0.1\n\tPort 3\nEnd\n");
	assert_int_equal(r.cfg->log_level, 5);
	l = r.cfg->listeners;
	assert_int_equal(config_log_level(r.cfg, l), 0);
	assert_int_equal(config_log_level(r.cfg, l->next), 2);
	assert_int_equal(config_log_level(r.cfg, l->next->next), 5);
	run_free(&r);
	only_error("LogLevel 6\n" LISTENER, 1, 10, "expected a log level 0-5, got \"6\"");
	only_error("LogLevel -1\n" LISTENER, 1, 10, "expected a log level 0-5, got \"-1\"");
	only_error("LogLevel \"fancy\"\n" LISTENER, 1, 10,
	           "unknown log format \"fancy\" (built-in: null, regular, extended");
}

static void test_seconds_ranges(void **state)
{
	only_error("Alive 0\n" LISTENER, 1, 7, "expected a number of seconds 1-86400, got \"0\"");
	only_error("TimeOut 86401\n" LISTENER, 1, 9,
	           "expected a number of seconds 1-86400, got \"86401\"");
	only_error("Client abc\n" LISTENER, 1, 8,
	           "expected a number of seconds 1-86400, got \"abc\"");
	only_error("ConnTO 99999999999999\n" LISTENER, 1, 8,
	           "expected a number of seconds 1-86400, got \"99999999999999\"");
	only_error("Grace -1\n" LISTENER, 1, 7, "expected a number of seconds 0-86400, got \"-1\"");
	only_error("WSTimeOut +5\n" LISTENER, 1, 11, "expected a number of seconds 1-86400");
}

static void test_strings(void **state)
{
	only_error("User \"\"\n" LISTENER, 1, 6,
	           "expected a user name after User, got an empty string");
	only_error("RootJail \"var/jail\"\n" LISTENER, 1, 10,
	           "expected an absolute directory path after RootJail, got \"var/jail\"");
	only_error("PIDFile\n" LISTENER, 1, 1,
	           "missing argument for \"PIDFile\": expected a file name");
	only_error("Group a b\n" LISTENER, 1, 9, "too many arguments for \"Group\" (it takes 1)");
}

static void test_duplicate_directive(void **state)
{
	only_error("Alive 5\n\nalive 6\n" LISTENER, 3, 1,
	           "duplicate \"alive\" in top level (first given at line 1)");
	only_error("ListenHTTP\n\tAddress 127.0.0.1\n\tPort 80\n\txHTTP 1\n\txHTTP 2\nEnd\n", 5, 2,
	           "duplicate \"xHTTP\" in ListenHTTP (first given at line 4)");
}

static void test_connto_default_and_order(void **state)
{
	struct run r;
	struct cfg_backend *b1, *b2, *b3;

	/* Globals apply wherever they are written, even after the backends. */
	clean(&r,
	      LISTENER "Service\n"
	               "\tBackEnd\n\t\tAddress 127.0.0.2\n\t\tPort 1\n\tEnd\n"
	               "\tBackEnd\n\t\tAddress 127.0.0.2\n\t\tPort 2\n\t\tTimeOut 50\n\tEnd\n"
	               "\tBackEnd\n\t\tAddress 127.0.0.2\n\t\tPort 3\n\t\tConnTO 3\n\t\tWSTimeOut "
	               "4\n\tEnd\nEnd\n"
	               "TimeOut 25\nWSTimeOut 30\n");
	b1 = r.cfg->services->backends;
	b2 = b1->next;
	b3 = b2->next;
	assert_int_equal(r.cfg->conn_to, 25);
	assert_int_equal(b1->timeout, 25);
	assert_int_equal(b1->conn_to, 25);
	assert_int_equal(b1->ws_timeout, 30);
	/* A backend's own TimeOut does not move its ConnTO: that follows the global one. */
	assert_int_equal(b2->timeout, 50);
	assert_int_equal(b2->conn_to, 25);
	assert_int_equal(b3->timeout, 25);
	assert_int_equal(b3->conn_to, 3);
	assert_int_equal(b3->ws_timeout, 4);
	run_free(&r);

	/* StreamTimeOut: at least 120 s, never shorter than the backend's TimeOut, unless set */
	clean(&r,
	      LISTENER "Service\n"
	               "\tBackEnd\n\t\tAddress 127.0.0.2\n\t\tPort 1\n\tEnd\n"
	               "\tBackEnd\n\t\tAddress 127.0.0.2\n\t\tPort 2\n\t\tTimeOut 300\n\tEnd\n"
	               "\tBackEnd\n\t\tAddress 127.0.0.2\n\t\tPort 3\n\t\tStreamTimeOut 7\n\tEnd\n"
	               "End\nTimeOut 5\n");
	b1 = r.cfg->services->backends;
	b2 = b1->next;
	b3 = b2->next;
	assert_int_equal(b1->timeout, 5);
	assert_int_equal(b1->stream_to, CFG_DEFAULT_STREAMTO);
	assert_int_equal(b2->stream_to, 300);
	assert_int_equal(b3->stream_to, 7);
	run_free(&r);
	clean(&r, LISTENER "Service\n"
	                   "\tBackEnd\n\t\tAddress 127.0.0.2\n\t\tPort 1\n\tEnd\n"
	                   "\tBackEnd\n\t\tAddress 127.0.0.2\n\t\tPort 2\n\t\tTimeOut 300\n\tEnd\n"
	                   "End\nStreamTimeOut 45\n");
	b1 = r.cfg->services->backends;
	assert_int_equal(b1->stream_to, 45);
	assert_int_equal(b1->next->stream_to, 45);
	run_free(&r);

	clean(&r, "TimeOut 25\nConnTO 6\n" LISTENER
	          "Service\n\tBackEnd\n\t\tAddress 127.0.0.2\n\t\tPort 1\n\tEnd\nEnd\n");
	assert_int_equal(r.cfg->conn_to, 6);
	assert_int_equal(r.cfg->services->backends->conn_to, 6);
	run_free(&r);
}

static void test_balancer(void **state)
{
	struct run r;

	clean(&r, LISTENER "Service \"a\"\n\tError 404\nEnd\n"
	                   "Service \"b\"\n\tBalancer random\n\tError 404\nEnd\n"
	                   "Balancer IWRR\n");
	assert_int_equal(r.cfg->services->balancer, BAL_IWRR);
	assert_int_equal(r.cfg->services->next->balancer, BAL_RANDOM);
	run_free(&r);
	only_error("Balancer roundrobin\n" LISTENER, 1, 10,
	           "expected random or iwrr after Balancer, got \"roundrobin\"");
}

/* ---- listeners -------------------------------------------------------------------------- */

static void test_listener_addresses(void **state)
{
	struct run r;
	struct cfg_listener *l;

	clean(&r, "ListenHTTP \"v6\"\n\tAddress ::1\n\tPort 8080\nEnd\n"
	          "ListenHTTP\n\tAddress \"[::1]\"\n\tPort 8081\nEnd\n"
	          "ListenHTTP\n\tPort 8082\n\tAddress localhost\nEnd\n"
	          "ListenHTTP\n\tAddress 0.0.0.0\n\tPort 65535\nEnd\n");
	l = r.cfg->listeners;
	assert_string_equal(l->name, "v6");
	assert_string_equal(l->addr_text, "[::1]:8080");
	assert_int_equal(l->addr.ss_family, AF_INET6);
	assert_int_equal(ntohs(((struct sockaddr_in6 *)&l->addr)->sin6_port), 8080);
	assert_int_equal(l->addrlen, sizeof(struct sockaddr_in6));
	assert_string_equal(l->next->addr_text, "[::1]:8081");
	/* "localhost" is resolved at load time (v4 or v6, whichever comes first). */
	assert_true(strcmp(l->next->next->addr_text, "127.0.0.1:8082") == 0 ||
	            strcmp(l->next->next->addr_text, "[::1]:8082") == 0);
	assert_string_equal(l->next->next->next->addr_text, "0.0.0.0:65535");
	run_free(&r);
}

static void test_listener_bad_addresses(void **state)
{
	struct run r;

	/* A rejected Address is not then also reported as missing at End. */
	only_error("ListenHTTP\n\tAddress 1.2.3\n\tPort 80\nEnd\n", 2, 10,
	           "expected an IPv4 address, an IPv6 address or a host name, got \"1.2.3\"");
	only_error("ListenHTTP\n\tAddress 999.1.1.1\n\tPort 80\nEnd\n", 2, 10, "got \"999.1.1.1\"");
	only_error("ListenHTTP\n\tAddress \"bad host\"\n\tPort 80\nEnd\n", 2, 10,
	           "got \"bad host\"");
	only_error("ListenHTTP\n\tAddress \"\"\n\tPort 80\nEnd\n", 2, 10, "got \"\"");
	only_error("ListenHTTP\n\tAddress /run/pinfold.sock\n\tPort 80\nEnd\n", 2, 10,
	           "UNIX socket addresses (\"/run/pinfold.sock\") are a Pound feature pinfold does "
	           "not implement yet");
	load_text(&r, "ListenHTTP\n\tAddress no-such-host.invalid\n\tPort 80\nEnd\n");
	expect_err(&r, 2, 10, "cannot resolve host name \"no-such-host.invalid\": ");
	expect_counts(&r, 1, 0);
	run_free(&r);
}

static void test_listener_port(void **state)
{
	only_error("ListenHTTP\n\tAddress 127.0.0.1\n\tPort 99999\nEnd\n", 3, 7,
	           "expected a port number 1-65535, got \"99999\"");
	only_error("ListenHTTP\n\tAddress 127.0.0.1\n\tPort 0\nEnd\n", 3, 7,
	           "expected a port number 1-65535, got \"0\"");
	only_error("ListenHTTP\n\tAddress 127.0.0.1\n\tPort http\nEnd\n", 3, 7,
	           "expected a port number 1-65535, got \"http\"");
	only_error("ListenHTTP\n\tAddress 127.0.0.1\n\tPort\nEnd\n", 3, 2,
	           "missing argument for \"Port\": expected a port number 1-65535");
	only_error("ListenHTTP\n\tAddress 127.0.0.1\n\tPort 80 81\nEnd\n", 3, 10,
	           "too many arguments for \"Port\" (it takes 1)");
}

static void test_listener_missing_address_or_port(void **state)
{
	only_error("\nListenHTTP\n\tPort 80\nEnd\n", 2, 1,
	           "ListenHTTP has no Address (both Address and Port are required)");
	only_error("ListenHTTP\n\tAddress 127.0.0.1\nEnd\n", 1, 1,
	           "ListenHTTP has no Port (both Address and Port are required)");
}

static void test_listener_duplicate(void **state)
{
	only_error(LISTENER "ListenHTTP\n\tAddress 127.0.0.1\n\tPort 8080\nEnd\n", 5, 1,
	           "another listener already uses 127.0.0.1:8080 (line 1)");
	only_error("ListenHTTP \"a\"\n\tAddress 127.0.0.1\n\tPort 1\nEnd\n"
	           "ListenHTTP \"a\"\n\tAddress 127.0.0.1\n\tPort 2\nEnd\n",
	           5, 12, "a listener named \"a\" already exists (line 1)");
}

static void test_listener_settings(void **state)
{
	struct run r;
	struct cfg_listener *l;

	clean(&r, "ListenHTTP\n\tAddress 127.0.0.1\n\tPort 80\n\txHTTP 4\n\tClient 3\n"
	          "\tStripForwarded 0\nEnd\n");
	l = r.cfg->listeners;
	assert_int_equal(l->xhttp, 4);
	assert_int_equal(l->client_to, 3);
	assert_int_equal(l->strip_forwarded, 0);
	run_free(&r);
	only_error("ListenHTTP\n\tAddress 127.0.0.1\n\tPort 80\n\txHTTP 5\nEnd\n", 4, 8,
	           "expected an xHTTP level 0-4, got \"5\"");
	only_error("ListenHTTP\n\tAddress 127.0.0.1\n\tPort 80\n\tStripForwarded yes please\nEnd\n",
	           4, 21, "too many arguments for \"StripForwarded\"");
}

static void test_listener_header_removal(void **state)
{
	struct run r;
	struct cfg_cond *c;

	clean(&r, "ListenHTTP\n\tAddress 127.0.0.1\n\tPort 80\n"
	          "\tHeadRemove \"^X-Forwarded\"\n"
	          "\tHeaderRemove -exact \"Via: 1.1 x\"\n"
	          "\tDeleteHeader -beg -case \"X-Secret\"\n"
	          "End\n");
	c = r.cfg->listeners->head_remove;
	assert_int_equal(count_conds(c), 3);
	assert_int_equal(c->kind, COND_HEADER);
	assert_int_equal(c->icase, 1);
	assert_true(regex_matches(c, "x-forwarded-proto: http"));
	assert_int_equal(c->next->type, MT_EXACT);
	assert_int_equal(c->next->icase, 1);
	assert_int_equal(c->next->next->type, MT_PREFIX);
	assert_int_equal(c->next->next->icase, 0);
	assert_string_equal(c->next->next->str, "X-Secret");
	assert_int_equal(c->next->next->len, 8);
	run_free(&r);
}

static void test_set_header(void **state)
{
	struct run r;
	struct cfg_hdr *h;

	clean(&r, "ListenHTTP\n\tAddress 127.0.0.1\n\tPort 80\n"
	          "\tSetHeader \"X-Proxy: pinfold\"\n"
	          "\tAddHeader \"X-Empty:\"\n"
	          "\tHeaderAdd \"Host: internal.lan\"\n"
	          "End\n");
	h = r.cfg->listeners->head_add;
	assert_string_equal(h->line, "X-Proxy: pinfold");
	assert_int_equal(h->len, 16);
	assert_int_equal(h->name_len, 7);
	assert_string_equal(h->next->line, "X-Empty:");
	assert_int_equal(h->next->name_len, 7);
	assert_string_equal(h->next->next->line, "Host: internal.lan");
	assert_null(h->next->next->next);
	run_free(&r);

#define L3 "ListenHTTP\n\tAddress 127.0.0.1\n\tPort 80\n"
	only_error(L3 "\tSetHeader \"no colon here\"\nEnd\n", 4, 12,
	           "expected a header line \"Name: value\", got \"no colon here\"");
	only_error(L3 "\tSetHeader \": value\"\nEnd\n", 4, 12,
	           "expected a header line \"Name: value\", got \": value\"");
	only_error(L3 "\tSetHeader \"Bad Name: x\"\nEnd\n", 4, 12,
	           "invalid header name \"Bad Name\" in \"Bad Name: x\"");
	only_error(L3 "\tAddHeader \"Transfer-Encoding: chunked\"\nEnd\n", 4, 12,
	           "AddHeader cannot set \"Transfer-Encoding\": it controls message framing");
	only_error(L3 "\tSetHeader \"content-length: 0\"\nEnd\n", 4, 12,
	           "cannot set \"content-length\"");
	only_error(L3 "\tSetHeader \"X-Host: %[host]\"\nEnd\n", 4, 12,
	           "$N and %[...] expansion in SetHeader is a Pound feature pinfold does not "
	           "implement yet");
	only_error(L3 "\tSetHeader X-A:b\nEnd\n", 4, 12,
	           "expected a quoted header line \"Name: value\" after SetHeader, got \"X-A:b\"");
}

/* A tab is allowed inside a header value (it is not a line break). */
static void test_set_header_tab_ok(void **state)
{
	struct run r;

	clean(&r, L3 "\tSetHeader \"X-A: b\tc\"\nEnd\n");
	assert_string_equal(r.cfg->listeners->head_add->line, "X-A: b\tc");
	run_free(&r);
}

static void test_wrong_place(void **state)
{
	only_error("ListenHTTP\n\tAddress 127.0.0.1\n\tPort 80\n\tUrl \"/x\"\nEnd\n", 4, 2,
	           "\"Url\" is not valid in ListenHTTP (it belongs in Service)");
	only_error("Port 80\n" LISTENER, 1, 1,
	           "\"Port\" is not valid at top level (it belongs in ListenHTTP, in ListenHTTPS, "
	           "in BackEnd or in Emergency)");
	only_error(
	    LISTENER "Service\n\tError 404\n\tLogLevel 1\nEnd\n", 7, 2,
	    "\"LogLevel\" is not valid in Service (it belongs at top level, in ListenHTTP or "
	    "in ListenHTTPS)");
	only_error(LISTENER "Service\n\tBackEnd\n\t\tAddress 127.0.0.2\n\t\tPort 1\n\t\txHTTP 1\n"
	                    "\tEnd\nEnd\n",
	           9, 3, "\"xHTTP\" is not valid in BackEnd");
	only_error(LISTENER "Service\n\tEmergency\n\t\tAddress 127.0.0.2\n\t\tPort 1\n\t\tPriority "
	                    "1\n\tEnd\nEnd\n",
	           9, 3, "\"Priority\" is not valid in Emergency (it belongs in BackEnd)");
	/* A misplaced block is skipped whole: its End does not close the wrong block. */
	only_error(LISTENER "Service\n\tBackEnd\n\t\tAddress 127.0.0.2\n\t\tPort 1\n\t\tService\n"
	                    "\t\t\tUrl \"x\"\n\t\tEnd\n\tEnd\nEnd\n",
	           9, 3,
	           "\"Service\" is not valid in BackEnd (it belongs at top level, in ListenHTTP "
	           "or in ListenHTTPS)");
}

/* ---- services ----------------------------------------------------------------------------- */

static void test_pound4_fixture(void **state)
{
	struct run r;
	struct config *c;
	struct cfg_listener *l;
	struct cfg_service *s;
	struct cfg_cond *k;
	struct cfg_backend *b;

	load_fixture(&r, "pound4.cfg");
	expect_counts(&r, 0, 0);
	c = r.cfg;
	assert_int_equal(c->log_facility, LOG_LOCAL3);
	assert_int_equal(c->log_level, 5);
	l = c->listeners;
	assert_string_equal(l->name, "plain");
	assert_int_equal(l->client_to, 20);
	assert_int_equal(l->strip_forwarded, 0);
	assert_int_equal(l->head_remove->type, MT_PREFIX);
	assert_int_equal(l->head_remove->icase, 0);
	assert_string_equal(l->head_add->line, "X-Proxy: pinfold");

	s = l->services;
	assert_string_equal(s->name, "www");
	assert_int_equal(s->conds->kind, COND_HOST);
	assert_int_equal(s->conds->type, MT_PREFIX);
	assert_int_equal(s->conds->icase, 1);
	assert_int_equal(s->redirect_code, 301);
	assert_int_equal(s->redirect_append, 1);
	assert_int_equal(s->balancer, BAL_IWRR);

	s = c->services;
	assert_string_equal(s->name, "api");
	k = s->conds;
	assert_int_equal(count_conds(k), 3);
	/* Host with no option: Pound's case-insensitive exact comparison. */
	assert_int_equal(k->kind, COND_HOST);
	assert_int_equal(k->type, MT_EXACT);
	assert_int_equal(k->icase, 1);
	assert_string_equal(k->str, "api.example.org");
	assert_int_equal(k->len, 15);
	assert_int_equal(k->next->kind, COND_PATH);
	assert_int_equal(k->next->type, MT_PREFIX);
	assert_int_equal(k->next->icase, 0);
	assert_int_equal(k->next->next->kind, COND_HEADER);
	assert_int_equal(k->next->next->negate, 1);
	assert_true(regex_matches(k->next->next, "x-debug: 1"));
	assert_int_equal(s->balancer, BAL_RANDOM);
	b = s->backends;
	assert_int_equal(b->priority, 9);
	assert_string_equal(b->next->addr_text, "[::1]:8001");
	assert_int_equal(b->next->priority, 1);
	assert_int_equal(b->next->timeout, 60);
	assert_non_null(s->emergency);
	assert_int_equal(s->emergency->emergency, 1);
	assert_string_equal(s->emergency->addr_text, "127.0.0.3:8002");

	s = s->next;
	assert_string_equal(s->name, "static");
	assert_int_equal(s->conds->kind, COND_URL);
	assert_int_equal(s->conds->icase, 1);
	assert_true(regex_matches(s->conds, "/IMG/A.JPG"));
	assert_int_equal(s->conds->next->negate, 1);
	assert_int_equal(s->backends->disabled, 1);

	s = s->next;
	assert_string_equal(s->name, "fallback");
	assert_int_equal(s->error_code, 404);
	assert_null(s->backends);
	assert_null(s->next);

	assert_int_equal(c->nbackends, 4);
	for (unsigned i = 0; i < c->nbackends; i++)
		assert_int_equal(c->backend_by_id[i]->id, i);
	run_free(&r);
}

static void test_match_defaults_and_options(void **state)
{
	struct run r;
	struct cfg_cond *k;

	clean(&r, LISTENER "Service\n"
	                   "\tUrl \"^/API\"\n"
	                   "\tPath -exact \"/x\"\n"
	                   "\tUrl -icase \"^/q\"\n"
	                   "\tHost -re \"^(www\\.)?example\\.org$\"\n"
	                   "\tHost -case -end \".Example.org\"\n"
	                   "\tHeader -contain \"gzip\"\n"
	                   "\tHeadDeny \"^X-Evil:\"\n"
	                   "\tNot HeadDeny \"^X-Good:\"\n"
	                   "\tNot Url -posix \"^/private\"\n"
	                   "\tError 403\n"
	                   "End\n");
	k = r.cfg->services->conds;
	assert_int_equal(count_conds(k), 9);
	/* Url is case-sensitive unless IgnoreCase or -icase. */
	assert_int_equal(k->kind, COND_URL);
	assert_int_equal(k->icase, 0);
	assert_true(regex_matches(k, "/API/x"));
	assert_false(regex_matches(k, "/api/x"));
	k = k->next;
	assert_int_equal(k->kind, COND_PATH);
	assert_int_equal(k->type, MT_EXACT);
	assert_int_equal(k->icase, 0);
	k = k->next;
	assert_int_equal(k->icase, 1);
	assert_true(regex_matches(k, "/Q"));
	k = k->next;
	assert_int_equal(k->kind, COND_HOST);
	assert_int_equal(k->icase, 1);
	assert_true(regex_matches(k, "WWW.example.org"));
	assert_false(regex_matches(k, "wwwxexample.org"));
	k = k->next;
	assert_int_equal(k->type, MT_SUFFIX);
	assert_int_equal(k->icase, 0);
	k = k->next;
	assert_int_equal(k->kind, COND_HEADER);
	assert_int_equal(k->type, MT_CONTAIN);
	assert_int_equal(k->icase, 1);
	k = k->next;
	assert_int_equal(k->negate, 1);
	k = k->next;
	/* Not HeadDeny: two negations */
	assert_int_equal(k->negate, 0);
	k = k->next;
	assert_int_equal(k->kind, COND_URL);
	assert_int_equal(k->negate, 1);
	assert_int_equal(k->type, MT_REGEX);
	run_free(&r);
}

static void test_ignorecase_scopes(void **state)
{
	struct run r;
	struct cfg_service *s;

	/* The global IgnoreCase counts even when written after the service... */
	clean(&r, LISTENER "Service \"a\"\n\tUrl \"^/a\"\n\tPath -exact \"/b\"\n\tUrl -case "
	                   "\"^/c\"\n\tError 404\nEnd\n"
	                   "Service \"b\"\n\tUrl \"^/d\"\n\tIgnoreCase 0\n\tError 404\nEnd\n"
	                   "IgnoreCase 1\n");
	s = r.cfg->services;
	assert_int_equal(s->conds->icase, 1);
	assert_true(regex_matches(s->conds, "/A"));
	assert_int_equal(s->conds->next->icase, 1);
	assert_int_equal(s->conds->next->next->icase, 0);
	/* ...and a service's own IgnoreCase wins, wherever in the service it is. */
	assert_int_equal(s->next->conds->icase, 0);
	assert_false(regex_matches(s->next->conds, "/D"));
	run_free(&r);
}

static void test_bad_regex(void **state)
{
	struct run r;

	load_text(&r, LISTENER "Service\n\tHeader \"((\"\n\tUrl -re \"a[\"\n\tError 404\nEnd\n");
	expect_err(&r, 6, 9, "invalid regular expression \"((\": ");
	/* Url waits for IgnoreCase, so its error comes at the end, still at its own line. */
	expect_err(&r, 7, 10, "invalid regular expression \"a[\": ");
	expect_counts(&r, 2, 0);
	run_free(&r);
}

/* fuzz_config found it: regcomp spells out stacked '+' and took over 2 GB for this. */
static const char regex_bomb_cfg[] =
    "Li 8080ess 1Host -re \"^(mmmmmm\n"
    "\tSetHeader \"X-A: \\\"q\\\" \\\\ x\"\r\n"
    "End\r\n"
    "Service\r\n"
    "\tHost -re \"^(mmmmmmmmmm++++++++++++++++++++++++++++++++++++++++++++++mmmmmmmmple\"\r\n"
    "End\r\n"
    "TimeOes\r\n"
    "Balancer iwrr\r\n";

static void test_regex_too_complex(void **state)
{
	struct run r;

	load_text(&r, regex_bomb_cfg);
	expect_err(&r, 5, 11, "regular expression \"^(mmmmmmmmmm++++");
	expect_err(&r, 5, 11, "is too complex");
	run_free(&r);
	/* nested counts multiply as well */
	only_error(LISTENER "Service\n\tUrl \"^((a{99}){99}){99}$\"\n\tError 404\nEnd\n", 6, 6,
	           "is too complex");
	only_error(LISTENER "Service\n\tHeader \"^X-A: ((((((((((((((((x+)+)+)+)+)+)+)+)+)+)+)+)+)+)+)+)+$\"\n"
	           "\tError 404\nEnd\n",
	           6, 9, "is too complex");
	/* what configs really hold stays well inside the budget */
	clean(&r, LISTENER "Service\n\tUrl \"^/api/[a-z0-9_-]{1,64}(/.*)?$\"\n"
	                   "\tHost \"^(www\\.)?example\\.(com|org|net)$\"\n"
	                   "\tHeader \"^User-Agent: .*[[:alpha:]]+[]x]{2,3}(Mozilla|curl)/[0-9.]+\"\n"
	                   "\tUrl \"^/(lovelace|config|api/websocket|auth/(token|authorize|login_flow))\"\n"
	                   "\tError 404\nEnd\n");
	run_free(&r);
}

static void test_match_option_errors(void **state)
{
#define SV     LISTENER "Service\n"
#define SV_END "\tError 404\nEnd\n"
	only_error(SV "\tUrl -regex \"x\"\n" SV_END, 6, 6,
	           "unknown match option \"-regex\" (expected -re, -exact, -beg, -end, -contain, "
	           "-icase or -case)");
	only_error(SV "\tHost -file \"hosts.txt\"\n" SV_END, 6, 7,
	           "match option \"-file\" is a Pound feature pinfold does not implement yet");
	only_error(SV "\tPath -pcre \"x\"\n" SV_END, 6, 7, "match option \"-pcre\"");
	only_error(SV "\tUrl -beg\n" SV_END, 6, 6, "missing the quoted pattern after \"-beg\"");
	only_error(SV "\tUrl /x\n" SV_END, 6, 6, "expected a quoted pattern, got \"/x\"");
	only_error(SV "\tUrl \"a\" \"b\"\n" SV_END, 6, 6,
	           "expected a match option (-re, -exact, -beg, -end, -contain, -icase, -case) or "
	           "the pattern, got \"a\"");
	only_error(SV "\tHeader\n" SV_END, 6, 2,
	           "missing argument for \"Header\": expected a quoted "
	           "pattern");
}

static void test_not_errors(void **state)
{
	only_error(SV "\tNot Redirect \"https://x\"\n" SV_END, 6, 6,
	           "\"Redirect\" cannot follow Not: expected a matching directive");
	only_error(SV "\tNot Foo \"x\"\n" SV_END, 6, 6,
	           "expected a matching directive after Not (Url, Path, Header, Host, HeadRequire, "
	           "HeadDeny, ACL, BasicAuth, Method), got \"Foo\"");
	only_error(SV "\tNot\n" SV_END, 6, 2,
	           "missing argument for \"Not\": expected a matching directive");
	only_error(SV "\tNot Host\n" SV_END, 6, 6,
	           "missing argument for \"Host\": expected a quoted host name");
	/* Not of a Pound block directive: reported once, the block skipped to its End. */
	only_error(SV "\tNot Match OR\n\t\tHost \"a\"\n\t\tHost \"b\"\n\tEnd\n" SV_END, 6, 6,
	           "\"Match\" is a Pound directive pinfold does not implement yet");
	/* Not of a block that is implemented: the block is parsed, its End closes it. */
	only_error(SV "\tNot ACL\n\t\t\"10.0.0.0/33\"\n\tEnd\n" SV_END, 7, 3,
	           "bad prefix length in \"10.0.0.0/33\" (0-32 for IPv4)");
}

static void test_redirect(void **state)
{
	static const struct {
		const char *line;
		int code, append;
		const char *url;
	} ok[] = {
	    {"Redirect \"https://h.example\"", 302, 1, "https://h.example"},
	    {"Redirect \"http://h.example:8443\"", 302, 1, "http://h.example:8443"},
	    {"Redirect 301 \"HTTPS://h.example\"", 301, 1, "HTTPS://h.example"},
	    {"Redirect 303 \"https://h.example/\"", 303, 0, "https://h.example/"},
	    {"Redirect 307 \"https://h.example/index.html\"", 307, 0,
	     "https://h.example/index.html"},
	    {"Redirect 308 \"https://h.example?from=old\"", 308, 0, "https://h.example?from=old"},
	};
	char text[512];
	struct run r;

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		snprintf(text, sizeof(text), SV "\t%s\nEnd\n", ok[i].line);
		clean(&r, text);
		assert_int_equal(r.cfg->services->redirect_code, ok[i].code);
		assert_int_equal(r.cfg->services->redirect_append, ok[i].append);
		assert_string_equal(r.cfg->services->redirect_url, ok[i].url);
		run_free(&r);
	}
	only_error(SV "\tRedirect 300 \"https://x\"\nEnd\n", 6, 11,
	           "expected a redirect status 301, 302, 303, 307 or 308, got \"300\"");
	only_error(SV "\tRedirect \"ftp://x\"\nEnd\n", 6, 11,
	           "expected an absolute http:// or https:// URL, got \"ftp://x\"");
	only_error(SV "\tRedirect \"https://\"\nEnd\n", 6, 11,
	           "expected an absolute http:// or https:// URL, got \"https://\"");
	only_error(SV "\tRedirect \"/relative\"\nEnd\n", 6, 11, "got \"/relative\"");
	only_error(SV "\tRedirect https://x\nEnd\n", 6, 11,
	           "expected the URL in quotes after Redirect, got \"https://x\"");
	only_error(SV "\tRedirect \"https://x/a b\"\nEnd\n", 6, 11,
	           "the Redirect URL must not contain spaces or control characters");
	only_error(SV "\tUrl \".*\"\n\tRedirect \"https://x$0\"\nEnd\n", 7, 11,
	           "$N and %[...] expansion in Redirect is a Pound feature pinfold does not "
	           "implement yet");
	only_error(SV "\tRedirect \"https://%[host]/\"\nEnd\n", 6, 11, "expansion in Redirect");
	only_error(SV "\tRedirect 301 \"https://x\" extra\nEnd\n", 6, 27,
	           "too many arguments for \"Redirect\" (it takes at most 2)");
}

static void test_error_action(void **state)
{
	struct run r;

	clean(&r, SV "\tError 503\nEnd\n");
	assert_int_equal(r.cfg->services->error_code, 503);
	run_free(&r);
	only_error(SV "\tError 200\nEnd\n", 6, 8,
	           "expected an error status (400, 401, 403, 404, 405, 413, 414, 429, 500, 501 or "
	           "503), got \"200\"");
	only_error(SV "\tError x\nEnd\n", 6, 8, "expected an error status");
	only_error(SV "\tError 404 \"/var/www/404.html\"\nEnd\n", 6, 12,
	           "\"Error\" with a page file is a Pound feature pinfold does not implement yet");
}

static void test_service_actions_exclusive(void **state)
{
#define BE1 "\tBackEnd\n\t\tAddress 127.0.0.2\n\t\tPort 1\n\tEnd\n"
	only_error(
	    SV BE1 "\tRedirect \"https://x\"\nEnd\n", 10, 2,
	    "Redirect conflicts with the BackEnd at line 6: a Service has exactly one kind of "
	    "action (BackEnds, a Redirect or an Error)");
	only_error(SV "\tRedirect \"https://x\"\n" BE1 "End\n", 7, 2,
	           "BackEnd conflicts with the Redirect at line 6");
	only_error(SV "\tError 404\n\tRedirect \"https://x\"\nEnd\n", 7, 2,
	           "Redirect conflicts with the Error at line 6");
	only_error(SV "\tRedirect \"https://x\"\n\tError 404\nEnd\n", 7, 2,
	           "Error conflicts with the Redirect at line 6");
	only_error(SV "\tRedirect \"https://x\"\n\tRedirect \"https://y\"\nEnd\n", 7, 2,
	           "second Redirect in this Service (the first is at line 6)");
	only_error(SV "\tError 404\n\tError 500\nEnd\n", 7, 2,
	           "second Error in this Service (the first is at line 6)");
	only_error(SV "\tError 404\n\tEmergency\n\t\tAddress 127.0.0.2\n\t\tPort 1\n\tEnd\nEnd\n",
	           7, 2, "Emergency conflicts with the Error at line 6");
	only_error(SV "\tEmergency\n\t\tAddress 127.0.0.2\n\t\tPort 1\n\tEnd\n"
	              "\tEmergency\n\t\tAddress 127.0.0.3\n\t\tPort 1\n\tEnd\nEnd\n",
	           10, 2,
	           "second Emergency in this Service (the first is at line 6; only one is "
	           "allowed)");
	only_error(LISTENER "\nService \"idle\"\n\tUrl \"/\"\nEnd\n", 6, 1,
	           "Service has no BackEnd, Emergency, Redirect or Error: it would answer nothing");
}

static void test_service_names(void **state)
{
	struct run r;

	/* Same name in different lists is fine; twice in one list is not. */
	clean(&r, "ListenHTTP\n\tAddress 127.0.0.1\n\tPort 1\n\tService \"x\"\n\t\tError 404\n"
	          "\tEnd\nEnd\nService \"x\"\n\tError 404\nEnd\n");
	assert_string_equal(r.cfg->listeners->services->name, "x");
	assert_string_equal(r.cfg->services->name, "x");
	run_free(&r);
	only_error(LISTENER "Service \"x\"\n\tError 404\nEnd\nService \"x\"\n\tError 404\nEnd\n", 8,
	           9, "a Service named \"x\" already exists here (line 5)");
}

static void test_service_header_edits(void **state)
{
	struct run r;
	struct cfg_service *s;

	clean(&r, SV "\tDeleteHeader \"^Cookie:\"\n\tSetHeader \"X-Svc: 1\"\n\tError 404\nEnd\n");
	s = r.cfg->services;
	assert_int_equal(count_conds(s->head_remove), 1);
	assert_true(regex_matches(s->head_remove, "cookie: a=b"));
	assert_string_equal(s->head_add->line, "X-Svc: 1");
	assert_null(r.cfg->listeners->head_add);
	run_free(&r);
}

/* ---- backends ------------------------------------------------------------------------------ */

static void test_backend_ids_and_priorities(void **state)
{
	struct run r;
	struct config *c;
	struct cfg_service *s;

	clean(&r, "ListenHTTP\n\tAddress 127.0.0.1\n\tPort 1\n"
	          "\tService\n"
	          "\t\tBackEnd\n\t\t\tAddress 10.0.0.1\n\t\t\tPort 80\n\t\t\tPriority 0\n\t\tEnd\n"
	          "\t\tEmergency\n\t\t\tAddress 10.0.0.2\n\t\t\tPort 80\n\t\tEnd\n"
	          "\tEnd\n"
	          "End\n"
	          "Service\n"
	          "\tBackEnd\n\t\tAddress 10.0.0.3\n\t\tPort 80\n\t\tPriority 9\n\tEnd\n"
	          "\tBackEnd\n\t\tAddress 10.0.0.4\n\t\tPort 80\n\t\tDisabled 1\n\tEnd\n"
	          "End\n");
	c = r.cfg;
	assert_int_equal(c->nbackends, 4);
	s = c->listeners->services;
	/* Ids follow the file, emergency backends included. */
	assert_ptr_equal(c->backend_by_id[0], s->backends);
	assert_ptr_equal(c->backend_by_id[1], s->emergency);
	assert_ptr_equal(c->backend_by_id[2], c->services->backends);
	assert_ptr_equal(c->backend_by_id[3], c->services->backends->next);
	for (unsigned i = 0; i < 4; i++)
		assert_int_equal(c->backend_by_id[i]->id, i);
	assert_int_equal(s->backends->priority, 0);
	assert_int_equal(s->emergency->priority, CFG_DEFAULT_PRIORITY);
	assert_int_equal(s->emergency->emergency, 1);
	assert_int_equal(s->backends->emergency, 0);
	assert_int_equal(c->backend_by_id[2]->priority, 9);
	assert_int_equal(c->backend_by_id[3]->priority, CFG_DEFAULT_PRIORITY);
	assert_int_equal(c->backend_by_id[3]->disabled, 1);
	assert_string_equal(c->backend_by_id[1]->addr_text, "10.0.0.2:80");
	run_free(&r);
}

static void test_backend_errors(void **state)
{
	only_error(SV "\tBackEnd\n\t\tAddress 127.0.0.2\n\t\tPort 1\n\t\tPriority 10\n\tEnd\nEnd\n",
	           9, 12, "expected a priority 0-9, got \"10\"");
	only_error(SV "\tBackEnd\n\t\tPort 1\n\tEnd\nEnd\n", 6, 2,
	           "BackEnd has no Address (both Address and Port are required)");
	only_error(SV "\tEmergency\n\t\tAddress 127.0.0.2\n\tEnd\nEnd\n", 6, 2,
	           "Emergency has no Port (both Address and Port are required)");
	only_error(SV "\tBackEnd\n\t\tAddress 127.0.0.2\n\t\tPort 1\n\t\tDisabled 3\n\tEnd\nEnd\n",
	           9, 12, "expected a boolean (0 or 1), got \"3\"");
	only_error(SV "\tBackEnd\n\t\tAddress 127.0.0.2\n\t\tPort 1\n\t\tAddress 127.0.0.3\n\tEnd\n"
	              "End\n",
	           9, 3, "duplicate \"Address\" in BackEnd (first given at line 7)");
	only_error(SV "\tBackEnd \"shared\"\n\t\tPriority 3\n\tEnd\n\tError 404\nEnd\n", 6, 10,
	           "named backends (BackEnd \"shared\") are a Pound feature pinfold does not "
	           "implement yet");
	only_error(
	    LISTENER "Backend \"shared\"\n\tAddress 127.0.0.2\n\tPort 1\nEnd\n", 5, 1,
	    "\"BackEnd\" at top level (a named backend) is a Pound directive pinfold does not "
	    "implement yet");
	only_error(SV "\tDisabled 1\n\tError 404\nEnd\n", 6, 2,
	           "\"Disabled\" in a Service is a Pound directive pinfold does not implement yet");
	only_error(SV "\tEmergency extra\n\t\tAddress 127.0.0.2\n\t\tPort 1\n\tEnd\nEnd\n", 6, 12,
	           "too many arguments for \"Emergency\" (it takes 0)");
}

#ifndef PINFOLD_HAVE_TLS
static void test_backend_tls_needs_build(void **state)
{
	struct run r;

	/* HTTPS is reported once; the Cert and Ciphers that go with it add nothing. */
	load_text(&r, SV "\tBackEnd\n\t\tAddress 127.0.0.2\n\t\tPort 443\n\t\tHTTPS\n\t\tCert "
	                 "\"/c.pem\"\n\t\tCiphers \"HIGH\"\n\tEnd\nEnd\n");
	expect_err(&r, 9, 3,
	           "HTTPS backends need a TLS-enabled build (this pinfold was built with "
	           "PINFOLD_TLS=none)");
	expect_counts(&r, 1, 0);
	run_free(&r);
	only_error(SV
	           "\tBackEnd\n\t\tAddress 127.0.0.2\n\t\tPort 443\n\t\tServerName \"x\"\n\tEnd\n"
	           "End\n",
	           9, 3, "\"ServerName\" needs a TLS-enabled build");
	/* Even with a wrong argument count: the build is what to fix first. */
	only_error(SV "\tEmergency\n\t\tAddress 127.0.0.2\n\t\tPort 443\n\t\tCAFile\n"
	              "\t\tDisable TLSv1_2 extra\n\tEnd\nEnd\n",
	           9, 3,
	           "\"CAFile\" needs a TLS-enabled build (this pinfold was built with "
	           "PINFOLD_TLS=none)");
}
#endif

static void test_backend_tls_in_listener(void **state)
{
	only_error(
	    "ListenHTTP\n\tAddress 127.0.0.1\n\tPort 80\n\tCert \"/x.pem\"\nEnd\n", 4, 2,
	    "\"Cert\" is not valid in ListenHTTP (it belongs in ListenHTTPS, in BackEnd or in "
	    "Emergency)");
}

/* ---- structure and recovery ------------------------------------------------------------------ */

static void test_missing_end(void **state)
{
	struct run r;

	load_text(&r, LISTENER "\nService\n\tBackEnd\n\t\tAddress 127.0.0.2\n\t\tPort 1\n\tEnd\n");
	expect_err(&r, 11, 1, "missing End for Service opened at line 6");
	expect_counts(&r, 1, 0);
	run_free(&r);
	/* Without a final newline the end of file is on the last line. */
	load_text(&r, "ListenHTTP\n\tAddress 127.0.0.1\n\tPort 1");
	expect_err(&r, 3, 8, "missing End for ListenHTTP opened at line 1");
	expect_counts(&r, 1, 0);
	run_free(&r);
	load_text(&r, LISTENER "Session\n\tType IP\n");
	expect_err(&r, 5, 1, "\"Session\" is not valid at top level (it belongs in Service)");
	expect_err(&r, 7, 1, "missing End for Session opened at line 5");
	expect_counts(&r, 2, 0);
	run_free(&r);
}

static void test_end_errors(void **state)
{
	only_error(LISTENER "End\n", 5, 1, "\"End\" without an open block");
	only_error("ListenHTTP\n\tAddress 127.0.0.1\n\tPort 1\nEnd ListenHTTP\n", 4, 5,
	           "\"End\" takes no arguments, got \"ListenHTTP\"");
}

static void test_unknown_directive_contexts(void **state)
{
	only_error("Frobnicate 1\n" LISTENER, 1, 1,
	           "unknown directive \"Frobnicate\" at top level");
	only_error("ListenHTTP\n\tAddress 127.0.0.1\n\tPort 1\n\tFoo\nEnd\n", 4, 2,
	           "unknown directive \"Foo\" in ListenHTTP");
	only_error(SV "\tFoo\n\tError 404\nEnd\n", 6, 2, "unknown directive \"Foo\" in Service");
	only_error(SV "\tBackEnd\n\t\tFoo\n\t\tAddress 127.0.0.2\n\t\tPort 1\n\tEnd\nEnd\n", 7, 3,
	           "unknown directive \"Foo\" in BackEnd");
	only_error(SV "\tEmergency\n\t\tFoo\n\t\tAddress 127.0.0.2\n\t\tPort 1\n\tEnd\nEnd\n", 7, 3,
	           "unknown directive \"Foo\" in Emergency");
}

#if PINFOLD_CONTROL
/* Control "/path" for pinfoldctl; Pound's block form is refused and skipped whole. */
static void test_control(void **state)
{
	char long_path[200];
	char text[400];

	struct run r;

	clean(&r, "Control \"/var/jail/pinfold/run/ctl.sock\"\n" LISTENER
	          "Service\n\tError 404\nEnd\nService \"b\"\n\tError 404\nEnd\n");
	assert_string_equal(r.cfg->control, "/var/jail/pinfold/run/ctl.sock");
	assert_int_equal(r.cfg->nlisteners, 1);
	assert_int_equal(r.cfg->nservices, 2);
	assert_int_equal(r.cfg->services->next->id, 1);
	run_free(&r);
	clean(&r, LISTENER);
	assert_null(r.cfg->control);
	run_free(&r);
	only_error(LISTENER "Control \"run/ctl.sock\"\n", 5, 9,
	           "expected an absolute path for the control socket after Control, got "
	           "\"run/ctl.sock\"");
	only_error(LISTENER "Control \"\"\n", 5, 9, "expected an absolute path");
	only_error(LISTENER "Control\n\tSocket \"/run/pound.sock\"\n\tMode 600\nEnd\n", 5, 1,
	           "the block form of Control (Socket, Mode, ChangeOwner ... End) is a Pound "
	           "feature pinfold does not implement yet");
	only_error(LISTENER "Control \"/a\"\nControl \"/b\"\n", 6, 1,
	           "duplicate \"Control\" in top level (first given at line 5)");
	only_error(LISTENER "Control \"/a\" \"/b\"\n", 5, 14, "too many arguments for \"Control\"");
	only_error("ListenHTTP\n\tAddress 127.0.0.1\n\tPort 8080\n\tControl \"/a\"\nEnd\n", 4, 2,
	           "\"Control\" is not valid in ListenHTTP (it belongs at top level)");
	memset(long_path, 'a', sizeof(long_path) - 1);
	long_path[0] = '/';
	long_path[sizeof(long_path) - 1] = '\0';
	snprintf(text, sizeof(text), LISTENER "Control \"%s\"\n", long_path);
	only_error(text, 5, 9, "the Control socket path is too long (199 bytes, at most");
}
#endif

static void test_not_yet_directives(void **state)
{
	static const struct {
		const char *text;
		int line, col;
	} cases[] = {
	    {"ListenHTTP\n\tAddress 127.0.0.1\n\tPort 1\n\tRewriteLocation 1\nEnd\n", 4, 2},
	    {"ListenHTTP\n\tAddress 127.0.0.1\n\tPort 1\n\tRewriteDestination 1\nEnd\n", 4, 2},
	    {"ListenHTTP\n\tAddress 127.0.0.1\n\tPort 1\n\tCheckURL \".*\"\nEnd\n", 4, 2},
	    {"ListenHTTP\n\tAddress 127.0.0.1\n\tPort 1\n\tHeaderOption no-ssl\nEnd\n", 4, 2},
	    {"ListenHTTP\n\tAddress 127.0.0.1\n\tPort 1\n\tRewrite\n\t\tPath \"x\"\n\t\tSetPath "
	     "\"y\"\n\tElse\n\t\tSetPath \"z\"\n\tEnd\nEnd\n",
	     4, 2},
	    {LISTENER "LogFormat \"mine\" \"%a %r\"\n", 5, 1},
	    {LISTENER "WorkerMaxCount 8\n", 5, 1},
	    {LISTENER "CombineHeaders\n\t\"Accept\"\nEnd\n", 5, 1},
	    {LISTENER "ForwardedHeader \"X-Real-IP\"\n", 5, 1},
	    {SV "\tRewrite request\n\t\tSetPath \"/x\"\n\tEnd\n\tError 401\nEnd\n", 6, 2},
	    {SV "\tUseBackend \"shared\"\n\tError 401\nEnd\n", 6, 2},
	    {SV "\tMatch OR\n\t\tHost \"a\"\n\t\tNot Match AND\n\t\t\tPath \"/b\"\n\t\tEnd\n\tEnd\n"
	        "\tError 401\nEnd\n",
	     6, 2},
	    {SV "\tBackEnd\n\t\tAddress 127.0.0.2\n\t\tPort 1\n\t\tResolve first\n\tEnd\nEnd\n", 9,
	     3},
	};
	struct run r;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		load_text(&r, cases[i].text);
		/* Reported once; any block it opens is skipped whole, End included. */
		expect_err(&r, cases[i].line, cases[i].col,
		           "is a Pound directive pinfold does not implement yet");
		expect_counts(&r, 1, 0);
		run_free(&r);
	}
}

#ifndef PINFOLD_HAVE_TLS
static void test_listenhttps_skipped(void **state)
{
	struct run r;

	load_text(&r, "ListenHTTPS \"tls\"\n"
	              "\tAddress 127.0.0.1\n"
	              "\tPort 443\n"
	              "\tCert \"/etc/x.pem\"\n"
	              "\tService\n"
	              "\t\tBackEnd\n\t\t\tAddress 127.0.0.2\n\t\t\tPort 1\n\t\tEnd\n"
	              "\t\tSession\n\t\t\tType IP\n\t\tEnd\n"
	              "\tEnd\n"
	              "\tNonsense here is not looked at\n"
	              "End\n" LISTENER);
	expect_err(&r, 1, 1, "ListenHTTPS needs a TLS-enabled build");
	expect_counts(&r, 1, 0);
	run_free(&r);
	/* A config with only a (skipped) ListenHTTPS is not also told it has no listener. */
	load_text(&r, "ListenHTTPS\nEnd\n");
	expect_counts(&r, 1, 0);
	run_free(&r);
}
#endif

#ifdef PINFOLD_HAVE_TLS
/* ---- HTTPS listeners and backends (TLS builds) ------------------------------------------- */

/* How the messages name the library: "mbedTLS 2.28.3". */
static const char *tls_lib(void)
{
	static char buf[96];

	snprintf(buf, sizeof(buf), "%s %s", tls_backend_name(), tls_backend_version());
	return buf;
}

static int have_tls13(void)
{
	return tls_max_version() >= TLS_V1_3;
}

/* Lines 1-4 of an HTTPS listener; what is tested starts at line 5.  The file does not
 * exist: the parser must not open it. */
#define LS "ListenHTTPS\n\tAddress 127.0.0.1\n\tPort 8443\n\tCert \"/nonexistent/pinfold.pem\"\n"
/* Lines 1-9 of a service with an HTTPS backend; what is tested starts at line 10. */
#define HB SV "\tBackEnd\n\t\tAddress 127.0.0.2\n\t\tPort 443\n\t\tHTTPS\n"
#define HB_END "\tEnd\nEnd\n"

static void test_https_listener_full(void **state)
{
	struct run r;
	struct cfg_listener *l;

	clean(&r, "ListenHTTPS \"secure\"\n"
	          "\tAddress 127.0.0.1\n"
	          "\tPort 8443\n"
	          "\tCert \"/etc/pinfold/host.pem\"\n"
	          "\tCert \"/etc/pinfold/other.pem\"\n"
	          "\tCert /etc/pinfold/wild.pem\n"
	          "\tCiphers \"ECDHE+AESGCM:!aNULL\"\n"
	          "\tDisable SSLv2\n"
	          "\tDisable SSLv3\n"
	          "\tDisable TLSv1\n"
	          "\tdisable tlsv1_1\n"
	          "\tClientCert 2 9\n"
	          "\tCAlist \"/etc/pinfold/clients.pem\"\n"
	          "\tVerifyList \"/etc/pinfold/clients.pem\"\n"
	          "\tNoHTTPS11 1\n"
	          "\tSSLHonorCipherOrder 1\n"
	          "\tSSLAllowClientRenegotiation 0\n"
	          "\txHTTP 1\n"
	          "\tClient 30\n"
	          "\tLogLevel 2\n"
	          "\tHeadRemove \"X-Forwarded-Proto\"\n"
	          "\tSetHeader \"X-TLS: yes\"\n"
	          "\tService\n"
	          "\t\tBackEnd\n\t\t\tAddress 127.0.0.2\n\t\t\tPort 8123\n\t\tEnd\n"
	          "\tEnd\n"
	          "End\n" LISTENER);
	l = r.cfg->listeners;
	assert_int_equal(l->https, 1);
	assert_string_equal(l->name, "secure");
	assert_int_equal(l->line, 1);
	assert_string_equal(l->addr_text, "127.0.0.1:8443");
	assert_int_equal(l->ncerts, 3);
	assert_string_equal(l->certs[0], "/etc/pinfold/host.pem"); /* the default */
	assert_string_equal(l->certs[1], "/etc/pinfold/other.pem");
	assert_string_equal(l->certs[2], "/etc/pinfold/wild.pem");
	assert_string_equal(l->ciphers, "ECDHE+AESGCM:!aNULL");
	assert_int_equal(l->min_version, 0); /* below TLS 1.2 is off anyway */
	assert_int_equal(l->client_cert, 2);
	assert_string_equal(l->ca_list, "/etc/pinfold/clients.pem");
	assert_int_equal(l->no_https11, 1);
	assert_int_equal(l->xhttp, 1);
	assert_int_equal(l->client_to, 30);
	assert_int_equal(l->log_level, 2);
	assert_int_equal(count_conds(l->head_remove), 1);
	assert_string_equal(l->head_add->line, "X-TLS: yes");
	assert_string_equal(l->services->backends->addr_text, "127.0.0.2:8123");
	assert_int_equal(l->services->backends->https, 0);
	l = l->next;
	assert_int_equal(l->https, 0);
	assert_int_equal(l->ncerts, 0);
	assert_null(l->ciphers);
	assert_null(l->next);
	run_free(&r);
}

/* Whatever the files hold (or whether they are files at all) is for the TLS setup. */
static void test_https_placeholder_certs(void **state)
{
	char cert[PATH_MAX], empty[PATH_MAX], ca[PATH_MAX], text[4 * PATH_MAX];
	struct run r;
	struct cfg_listener *l;

	snprintf(cert, sizeof(cert), "%s/placeholder.pem", tmpdir);
	snprintf(empty, sizeof(empty), "%s/empty.pem", tmpdir);
	snprintf(ca, sizeof(ca), "%s/ca.pem", tmpdir);
	write_file(cert, "not a certificate\n");
	write_file(empty, "");
	write_file(ca, "-----BEGIN CERTIFICATE-----\ngarbage\n");
	snprintf(text, sizeof(text),
	         "ListenHTTPS\n\tAddress 127.0.0.1\n\tPort 8443\n\tCert \"%s\"\n\tCert \"%s\"\n"
	         "\tCert \"%s\"\n\tClientCert 1\n\tVerifyList \"%s\"\nEnd\n",
	         cert, empty, tmpdir, ca);
	clean(&r, text);
	l = r.cfg->listeners;
	assert_int_equal(l->ncerts, 3);
	assert_string_equal(l->certs[0], cert);
	assert_string_equal(l->certs[1], empty);
	assert_string_equal(l->certs[2], tmpdir); /* Pound takes a directory too */
	assert_string_equal(l->ca_list, ca);
	run_free(&r);
	unlink(cert);
	unlink(empty);
	unlink(ca);
}

static void test_https_only_https_listener(void **state)
{
	struct run r;

	/* An HTTPS listener alone is something to listen on. */
	clean(&r, LS "End\n");
	assert_int_equal(r.cfg->listeners->https, 1);
	assert_null(r.cfg->listeners->next);
	run_free(&r);
	/* HTTP and HTTPS listeners share one address space and one name space. */
	only_error(LISTENER "ListenHTTPS\n\tAddress 127.0.0.1\n\tPort 8080\n\tCert \"/c.pem\"\nEnd\n",
	           5, 1, "another listener already uses 127.0.0.1:8080 (line 1)");
	only_error("ListenHTTP \"web\"\n\tAddress 127.0.0.1\n\tPort 80\nEnd\n"
	           "ListenHTTPS \"web\"\n\tAddress 127.0.0.1\n\tPort 443\n\tCert \"/c.pem\"\nEnd\n",
	           5, 13, "a listener named \"web\" already exists (line 1)");
}

static void test_https_cert_errors(void **state)
{
	struct run r;

	only_error("ListenHTTPS\n\tAddress 127.0.0.1\n\tPort 8443\nEnd\n", 1, 1,
	           "ListenHTTPS has no Cert (at least one certificate is required)");
	/* A Cert written but rejected is not also called missing. */
	only_error("ListenHTTPS\n\tAddress 127.0.0.1\n\tPort 8443\n\tCert \"\"\nEnd\n", 4, 7,
	           "expected a certificate file name after Cert, got an empty string");
	only_error("ListenHTTPS\n\tAddress 127.0.0.1\n\tPort 8443\n\tCert\nEnd\n", 4, 2,
	           "missing argument for \"Cert\": expected a certificate file name");
	only_error(LS "\tCert \"/a.pem\" \"/b.pem\"\nEnd\n", 5, 16,
	           "too many arguments for \"Cert\" (it takes 1)");
	load_text(&r, "ListenHTTPS\n\tPort 8443\nEnd\n");
	expect_err(&r, 1, 1, "ListenHTTPS has no Address (both Address and Port are required)");
	expect_err(&r, 1, 1, "ListenHTTPS has no Cert (at least one certificate is required)");
	expect_counts(&r, 2, 0);
	run_free(&r);
}

static void test_https_ciphers(void **state)
{
	struct run r;
	char msg[256];

	only_error(LS "\tCiphers \"ALL:FOO\"\nEnd\n", 5, 10,
	           "Ciphers \"ALL:FOO\": unknown cipher token \"FOO\"");
	only_error(LS "\tCiphers \"!\"\nEnd\n", 5, 10, "Ciphers \"!\": empty cipher token after '!'");
	only_error(LS "\tCiphers\nEnd\n", 5, 2,
	           "missing argument for \"Ciphers\": expected an OpenSSL-style cipher string");
	only_error(LS "\tCiphers \"HIGH\"\n\tCiphers \"DEFAULT\"\nEnd\n", 6, 2,
	           "duplicate \"Ciphers\" in ListenHTTPS (first given at line 5)");
	/* "" is the library's default, as in OpenSSL. */
	clean(&r, LS "\tCiphers \"\"\nEnd\n");
	assert_string_equal(r.cfg->listeners->ciphers, "");
	run_free(&r);

	/* A string that leaves TLS 1.2 nothing (only CBC suites, never offered). */
	load_text(&r, LS "\tCiphers \"AES128-SHA\"\nEnd\n");
	if (have_tls13()) {
		expect_warn(&r, 5, 10,
		            "Ciphers \"AES128-SHA\" leaves no forward-secret TLS 1.2 suite: only "
		            "TLS 1.3 clients can connect");
		expect_counts(&r, 0, 1);
		assert_string_equal(r.cfg->listeners->ciphers, "AES128-SHA");
	} else {
		snprintf(msg, sizeof(msg),
		         "Ciphers \"AES128-SHA\" leaves no forward-secret TLS 1.2 suite, and this %s "
		         "has no TLS 1.3: nobody could connect",
		         tls_lib());
		expect_err(&r, 5, 10, msg);
		expect_counts(&r, 1, 0);
	}
	run_free(&r);
}

static void test_https_disable(void **state)
{
	struct run r;
	char msg[256];

	only_error(LS "\tDisable SSLv4\nEnd\n", 5, 10,
	           "expected SSLv2, SSLv3, TLSv1, TLSv1_1 or TLSv1_2 after Disable, got \"SSLv4\"");
	only_error(LS "\tDisable TLSv1_3\nEnd\n", 5, 10,
	           "expected SSLv2, SSLv3, TLSv1, TLSv1_1 or TLSv1_2 after Disable, got \"TLSv1_3\"");
	only_error(LS "\tDisable\nEnd\n", 5, 2,
	           "missing argument for \"Disable\": expected a protocol name (SSLv2, SSLv3, TLSv1, "
	           "TLSv1_1 or TLSv1_2)");
	snprintf(msg, sizeof(msg), "Disable TLSv1_2 leaves no TLS version: this %s has no TLS 1.3",
	         tls_lib());
	load_text(&r, LS "\tDisable TLSv1_2\nEnd\n");
	if (have_tls13()) {
		expect_counts(&r, 0, 0);
		assert_int_equal(r.cfg->listeners->min_version, TLS_V1_3);
	} else {
		expect_err(&r, 5, 10, msg);
		expect_counts(&r, 1, 0);
	}
	run_free(&r);
	/* With TLS 1.2 off, a string that leaves it nothing costs nothing. */
	load_text(&r, LS "\tDisable TLSv1_2\n\tCiphers \"AES128-SHA\"\nEnd\n");
	if (have_tls13()) {
		expect_counts(&r, 0, 0);
	} else {
		expect_err(&r, 5, 10, msg);
		expect_err(&r, 6, 10, "nobody could connect");
		expect_counts(&r, 2, 0);
	}
	run_free(&r);
}

static void test_https_client_cert(void **state)
{
	struct run r;

	only_error(LS "\tClientCert 4\nEnd\n", 5, 13, "expected a ClientCert mode 0-3, got \"4\"");
	only_error(LS "\tClientCert 1 x\nEnd\n", 5, 15,
	           "expected a verification depth (a number), got \"x\"");
	only_error(LS "\tClientCert 1 2 3\nEnd\n", 5, 17,
	           "too many arguments for \"ClientCert\" (it takes at most 2)");
	only_error(LS "\tClientCert 0\n\tClientCert 1\nEnd\n", 6, 2,
	           "duplicate \"ClientCert\" in ListenHTTPS (first given at line 5)");
	/* Verifying needs the CAs to verify against; asking without verifying does not. */
	only_error(LS "\tClientCert 1\nEnd\n", 5, 13,
	           "ClientCert 1 verifies client certificates, but there is no CAlist or VerifyList "
	           "to verify them against");
	only_error(LS "\tClientCert 2 5\nEnd\n", 5, 13,
	           "ClientCert 2 verifies client certificates, but there is no CAlist or VerifyList "
	           "to verify them against");
	clean(&r, LS "\tClientCert 3\nEnd\n");
	assert_int_equal(r.cfg->listeners->client_cert, 3);
	assert_null(r.cfg->listeners->ca_list);
	run_free(&r);
	clean(&r, LS "\tClientCert 0\nEnd\n");
	assert_int_equal(r.cfg->listeners->client_cert, 0);
	run_free(&r);
	/* The CA file may come before or after, under either name. */
	clean(&r, LS "\tClientCert 2\n\tVerifyList \"/ca.pem\"\nEnd\n");
	assert_int_equal(r.cfg->listeners->client_cert, 2);
	assert_string_equal(r.cfg->listeners->ca_list, "/ca.pem");
	run_free(&r);
	clean(&r, LS "\tCAlist \"/ca.pem\"\n\tClientCert 1 9\nEnd\n");
	assert_int_equal(r.cfg->listeners->client_cert, 1);
	assert_string_equal(r.cfg->listeners->ca_list, "/ca.pem");
	run_free(&r);
	/* A CA file written but rejected is reported once, not also as missing. */
	only_error(LS "\tClientCert 1\n\tCAlist \"\"\nEnd\n", 6, 9,
	           "expected a CA file name after CAlist, got an empty string");
}

static void test_https_ca_lists(void **state)
{
	struct run r;

	only_error(LS "\tCAlist \"/a.pem\"\n\tVerifyList \"/b.pem\"\nEnd\n", 6, 13,
	           "VerifyList \"/b.pem\" differs from CAlist \"/a.pem\" at line 5: pinfold uses one "
	           "CA file both to ask for client certificates and to verify them");
	only_error(LS "\tVerifyList \"/b.pem\"\n\tCAlist \"/a.pem\"\nEnd\n", 6, 9,
	           "CAlist \"/a.pem\" differs from VerifyList \"/b.pem\" at line 5: pinfold uses one "
	           "CA file both to ask for client certificates and to verify them");
	only_error(LS "\tVerifyList \"/b.pem\"\n\tVerifyList \"/b.pem\"\nEnd\n", 6, 2,
	           "duplicate \"VerifyList\" in ListenHTTPS (first given at line 5)");
	only_error(LS "\tVerifyList \"\"\nEnd\n", 5, 13,
	           "expected a CA file name after VerifyList, got an empty string");
	clean(&r, LS "\tVerifyList \"/ca.pem\"\n\tCAlist \"/ca.pem\"\nEnd\n");
	assert_string_equal(r.cfg->listeners->ca_list, "/ca.pem");
	assert_int_equal(r.cfg->listeners->client_cert, 0);
	run_free(&r);
}

static void test_https_misc_errors(void **state)
{
	struct run r;

	only_error(LS "\tNoHTTPS11 3\nEnd\n", 5, 12, "expected a NoHTTPS11 mode 0-2, got \"3\"");
	clean(&r, LS "\tNoHTTPS11 2\nEnd\n");
	assert_int_equal(r.cfg->listeners->no_https11, 2);
	run_free(&r);
	only_error(LS "\tSSLHonorCipherOrder 2\nEnd\n", 5, 22,
	           "expected a boolean (0 or 1), got \"2\"");
	clean(&r, LS "\tSSLHonorCipherOrder off\nEnd\n");
	run_free(&r);
	only_error(LS "\tSSLAllowClientRenegotiation 1\nEnd\n", 5, 30,
	           "SSLAllowClientRenegotiation 1 is not supported: pinfold never allows "
	           "client-initiated renegotiation (only 0 is accepted)");
	only_error(LS "\tSSLAllowClientRenegotiation 2\nEnd\n", 5, 30,
	           "SSLAllowClientRenegotiation 2 is not supported");
	only_error(LS "\tSSLAllowClientRenegotiation 3\nEnd\n", 5, 30,
	           "expected a renegotiation mode 0-2, got \"3\"");
	only_error(LS "\tCRLlist \"/crl.pem\"\nEnd\n", 5, 2,
	           "\"CRLlist\" is a Pound directive pinfold does not implement yet");
	only_error(LS "\tECDHCurve \"prime256v1\"\nEnd\n", 5, 2,
	           "\"ECDHCurve\" is a Pound directive pinfold does not implement yet");
	only_error(L3 "\tClientCert 1\nEnd\n", 4, 2,
	           "\"ClientCert\" is not valid in ListenHTTP (it belongs in ListenHTTPS)");
	only_error(L3 "\tCiphers \"HIGH\"\nEnd\n", 4, 2,
	           "\"Ciphers\" is not valid in ListenHTTP (it belongs in ListenHTTPS, in BackEnd or "
	           "in Emergency)");
	only_error(LS "\tServerName \"x.example\"\nEnd\n", 5, 2,
	           "\"ServerName\" is not valid in ListenHTTPS (it belongs in BackEnd or in "
	           "Emergency)");
	only_error(LS "\tCAFile \"/ca.pem\"\nEnd\n", 5, 2,
	           "\"CAFile\" is not valid in ListenHTTPS (it belongs in BackEnd or in Emergency)");
	only_error(LS "\tHTTPS\nEnd\n", 5, 2,
	           "\"HTTPS\" is not valid in ListenHTTPS (it belongs in BackEnd or in Emergency)");
	only_error("Cert \"/c.pem\"\n" LISTENER, 1, 1,
	           "\"Cert\" is not valid at top level (it belongs in ListenHTTPS, in BackEnd or in "
	           "Emergency)");
}

static void test_backend_https(void **state)
{
	struct run r;
	struct cfg_service *s;
	struct cfg_backend *b;

	clean(&r, HB "\t\tCert \"/etc/pinfold/client.pem\"\n"
	             "\t\tCiphers \"ECDHE+CHACHA20\"\n"
	             "\t\tDisable TLSv1_1\n"
	             "\t\tServerName \"ha.example.org\"\n"
	             "\t\tCAFile \"/etc/pinfold/ca.pem\"\n"
	             "\tEnd\n"
	             "\tBackEnd\n\t\tAddress 127.0.0.3\n\t\tPort 8123\n\tEnd\n"
	             "\tEmergency\n\t\tAddress 127.0.0.4\n\t\tPort 8443\n\t\tHTTPS\n"
	             "\t\tDisable SSLv3\n\t\tCert \"/etc/pinfold/client.pem\"\n\tEnd\n"
	             "End\n");
	s = r.cfg->services;
	b = s->backends;
	assert_int_equal(b->https, 1);
	assert_string_equal(b->addr_text, "127.0.0.2:443");
	assert_string_equal(b->tls_cert, "/etc/pinfold/client.pem");
	assert_string_equal(b->tls_ciphers, "ECDHE+CHACHA20");
	assert_string_equal(b->tls_servername, "ha.example.org");
	assert_string_equal(b->tls_ca, "/etc/pinfold/ca.pem");
	assert_int_equal(b->tls_min_version, 0);
	b = b->next;
	assert_int_equal(b->https, 0);
	assert_null(b->tls_cert);
	assert_null(b->tls_ciphers);
	assert_null(b->tls_servername);
	assert_null(b->tls_ca);
	b = s->emergency;
	assert_int_equal(b->https, 1);
	assert_string_equal(b->tls_cert, "/etc/pinfold/client.pem");
	assert_null(b->tls_ciphers);
	assert_null(b->tls_servername);
	assert_null(b->tls_ca);
	assert_int_equal(b->tls_min_version, 0);
	run_free(&r);
}

/* The name a backend's certificate is checked against: ServerName, else a host name
 * Address, else none (the chain only). */
static void test_backend_https_verify_name(void **state)
{
	struct run r;
	struct cfg_backend *b;

	clean(&r, SV "\tBackEnd\n\t\tHTTPS\n\t\tCAFile \"/ca.pem\"\n\t\tAddress localhost\n"
	             "\t\tPort 443\n" HB_END);
	b = r.cfg->services->backends;
	assert_string_equal(b->tls_servername, "localhost");
	assert_string_equal(b->tls_ca, "/ca.pem");
	run_free(&r);
	clean(&r, SV "\tBackEnd\n\t\tAddress localhost\n\t\tPort 443\n\t\tHTTPS\n"
	             "\t\tServerName \"ha.example.org\"\n\t\tCAFile \"/ca.pem\"\n" HB_END);
	assert_string_equal(r.cfg->services->backends->tls_servername, "ha.example.org");
	run_free(&r);
	clean(&r, HB "\t\tCAFile \"/ca.pem\"\n" HB_END);
	assert_null(r.cfg->services->backends->tls_servername);
	assert_string_equal(r.cfg->services->backends->tls_ca, "/ca.pem");
	run_free(&r);
	/* Without CAFile nothing is verified and, as in Pound, no SNI is sent. */
	clean(&r, SV "\tBackEnd\n\t\tAddress localhost\n\t\tPort 443\n\t\tHTTPS\n" HB_END);
	assert_int_equal(r.cfg->services->backends->https, 1);
	assert_null(r.cfg->services->backends->tls_servername);
	assert_null(r.cfg->services->backends->tls_ca);
	run_free(&r);
	/* A plain backend keeps nothing of it. */
	clean(&r, SV "\tBackEnd\n\t\tAddress localhost\n\t\tPort 80\n" HB_END);
	assert_null(r.cfg->services->backends->tls_servername);
	run_free(&r);
}

static void test_backend_https_errors(void **state)
{
	static const struct {
		const char *line;
		const char *name;
	} before[] = {
	    {"\t\tCert \"/c.pem\"\n", "Cert"},
	    {"\t\tCiphers \"HIGH\"\n", "Ciphers"},
	    {"\t\tDisable TLSv1\n", "Disable"},
	    {"\t\tServerName \"x.example\"\n", "ServerName"},
	    {"\t\tCAFile \"/ca.pem\"\n", "CAFile"},
	};
	char text[512], msg[128];

	for (size_t i = 0; i < sizeof(before) / sizeof(before[0]); i++) {
		snprintf(text, sizeof(text),
		         SV "\tBackEnd\n\t\tAddress 127.0.0.2\n\t\tPort 443\n%s\t\tHTTPS\n" HB_END,
		         before[i].line);
		snprintf(msg, sizeof(msg),
		         "\"%s\" needs HTTPS first: write HTTPS above it in this BackEnd",
		         before[i].name);
		only_error(text, 9, 3, msg);
	}
	only_error(SV "\tEmergency\n\t\tAddress 127.0.0.2\n\t\tPort 443\n\t\tCiphers \"HIGH\"\n"
	              "\tEnd\nEnd\n",
	           9, 3, "\"Ciphers\" needs HTTPS first: write HTTPS above it in this Emergency");
	only_error(HB "\t\tCert \"/a.pem\"\n\t\tCert \"/b.pem\"\n" HB_END, 11, 3,
	           "second Cert in this BackEnd (the first is at line 10): a backend presents one "
	           "client certificate");
	only_error(HB "\t\tHTTPS\n" HB_END, 10, 3,
	           "duplicate \"HTTPS\" in BackEnd (first given at line 9)");
	only_error(SV "\tBackEnd\n\t\tAddress 127.0.0.2\n\t\tPort 443\n\t\tHTTPS 1\n" HB_END, 9, 9,
	           "too many arguments for \"HTTPS\" (it takes 0)");
	only_error(HB "\t\tServerName \"192.168.1.2\"\n" HB_END, 10, 14,
	           "expected a host name after ServerName, got \"192.168.1.2\"");
	only_error(HB "\t\tServerName \"\"\n" HB_END, 10, 14,
	           "expected a host name after ServerName, got \"\"");
	only_error(HB "\t\tServerName \"a.example\"\n\t\tServerName \"b.example\"\n" HB_END, 11, 3,
	           "duplicate \"ServerName\" in BackEnd (first given at line 10)");
	only_error(HB "\t\tCAFile \"\"\n" HB_END, 10, 10,
	           "expected a CA file name after CAFile, got an empty string");
	only_error(HB "\t\tCert \"\"\n" HB_END, 10, 8,
	           "expected a certificate file name after Cert, got an empty string");
	only_error(HB "\t\tClientCert 1\n" HB_END, 10, 3,
	           "\"ClientCert\" is not valid in BackEnd (it belongs in ListenHTTPS)");
}

static void test_backend_https_ciphers_and_disable(void **state)
{
	struct run r;
	char msg[256];

	only_error(HB "\t\tCiphers \"ALL:BOGUS\"\n" HB_END, 10, 11,
	           "Ciphers \"ALL:BOGUS\": unknown cipher token \"BOGUS\"");
	only_error(HB "\t\tDisable TLS\n" HB_END, 10, 11,
	           "expected SSLv2, SSLv3, TLSv1, TLSv1_1 or TLSv1_2 after Disable, got \"TLS\"");
	load_text(&r, HB "\t\tCiphers \"AES128-SHA\"\n" HB_END);
	if (have_tls13()) {
		expect_warn(&r, 10, 11,
		            "Ciphers \"AES128-SHA\" leaves no forward-secret TLS 1.2 suite: only a "
		            "TLS 1.3 backend can be reached");
		expect_counts(&r, 0, 1);
	} else {
		snprintf(msg, sizeof(msg),
		         "Ciphers \"AES128-SHA\" leaves no forward-secret TLS 1.2 suite, and this %s "
		         "has no TLS 1.3: the backend could never be reached",
		         tls_lib());
		expect_err(&r, 10, 11, msg);
		expect_counts(&r, 1, 0);
	}
	run_free(&r);
	load_text(&r, HB "\t\tDisable TLSv1_2\n" HB_END);
	if (have_tls13()) {
		expect_counts(&r, 0, 0);
		assert_int_equal(r.cfg->services->backends->tls_min_version, TLS_V1_3);
	} else {
		snprintf(msg, sizeof(msg),
		         "Disable TLSv1_2 leaves no TLS version: this %s has no TLS 1.3", tls_lib());
		expect_err(&r, 10, 11, msg);
		expect_counts(&r, 1, 0);
	}
	run_free(&r);
}
#endif

static void test_no_listener(void **state)
{
	only_error("Alive 5\n", 2, 1,
	           "no ListenHTTP block: pinfold would have nothing to listen on");
}

static void test_several_errors_one_run(void **state)
{
	struct run r;

	load_text(&r, "Alive 0\n"
	              "Foo\n"
	              "ListenHTTP\n\tAddress 127.0.0.1\n\tPort 99999\n\txHTTP 9\nEnd\n"
	              "Service\n\tUrl \"(\"\n\tRedirect \"nope\"\nEnd\n");
	expect_err(&r, 1, 7, "expected a number of seconds");
	expect_err(&r, 2, 1, "unknown directive \"Foo\" at top level");
	expect_err(&r, 5, 7, "expected a port number 1-65535, got \"99999\"");
	expect_err(&r, 6, 8, "expected an xHTTP level 0-4, got \"9\"");
	expect_err(&r, 10, 11, "expected an absolute http:// or https:// URL, got \"nope\"");
	expect_err(&r, 9, 6, "invalid regular expression \"(\"");
	/* ...and no "Service has no action": its Redirect was there, only wrong. */
	expect_counts(&r, 6, 0);
	run_free(&r);
}

static void test_error_cap(void **state)
{
	struct run r;
	char *text = malloc(200 * 8 + 1);

	assert_non_null(text);
	text[0] = '\0';
	for (int i = 0; i < 200; i++)
		strcat(text, "Bogus 1\n");
	load_text(&r, text);
	free(text);
	assert_int_equal(r.rc, 101);
	assert_true(strstr(r.msg[r.n - 1], ": too many errors (100), giving up") != NULL);
	run_free(&r);
}

static int setup(void **state)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/pinfold_test_config_XXXXXX");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
	char path[PATH_MAX];
	static const char *const left[] = {"self.cfg", "twice.cfg", "deep_top.cfg", "across.cfg"};

	for (size_t i = 0; i < sizeof(left) / sizeof(left[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", tmpdir, left[i]);
		unlink(path);
	}
	return rmdir(tmpdir);
}

/* ---- access controls and limits ------------------------------------------------------- */

#include "acl.h"

static struct acl_addr addr_of(const char *s)
{
	struct acl_addr a;

	assert_int_equal(acl_addr_parse(s, strlen(s), &a), 0);
	return a;
}

static void test_acl_named_and_inline(void **state)
{
	struct run r;
	struct cfg_service *s;
	struct cfg_cond *c;
	struct acl_addr a;

	clean(&r, "ACL \"lan\"\n\t\"192.168.0.0/16\"\n\t\"10.0.0.0/8\"\n\t\"2001:db8::/32\"\nEnd\n"
	          "ListenHTTP\n\tAddress 127.0.0.1\n\tPort 8080\n"
	          "\tService \"inside\"\n\t\tACL \"lan\"\n\t\tError 404\n\tEnd\n"
	          "\tService \"outside\"\n\t\tNot ACL \"lan\"\n\t\tError 403\n\tEnd\n"
	          "\tService \"inline\"\n\t\tACL\n\t\t\t\"203.0.113.7\"\n\t\t\t\"::1\"\n\t\tEnd\n"
	          "\t\tError 404\n\tEnd\n"
	          "End\n");
	assert_non_null(r.cfg->acls);
	assert_string_equal(r.cfg->acls->name, "lan");
	assert_int_equal(acl_ranges(r.cfg->acls->acl, 4), 2);
	assert_int_equal(acl_ranges(r.cfg->acls->acl, 6), 1);
	s = r.cfg->listeners->services;
	c = s->conds;
	assert_int_equal(c->kind, COND_ACL);
	assert_int_equal(c->negate, 0);
	assert_ptr_equal(c->acl, r.cfg->acls->acl);
	assert_string_equal(c->str, "lan");
	c = s->next->conds;
	assert_int_equal(c->kind, COND_ACL);
	assert_int_equal(c->negate, 1);
	c = s->next->next->conds;
	assert_int_equal(c->kind, COND_ACL);
	assert_non_null(r.cfg->acls->next);
	assert_null(r.cfg->acls->next->name);
	assert_ptr_equal(c->acl, r.cfg->acls->next->acl);
	a = addr_of("203.0.113.7");
	assert_true(acl_match(c->acl, &a));
	a = addr_of("::1");
	assert_true(acl_match(c->acl, &a));
	a = addr_of("10.200.1.1");
	assert_true(acl_match(r.cfg->acls->acl, &a));
	a = addr_of("172.16.0.1");
	assert_false(acl_match(r.cfg->acls->acl, &a));
	run_free(&r);

	/* Include inside a list */
	{
		char inc[PATH_MAX], text[PATH_MAX + 200];

		snprintf(inc, sizeof(inc), "%s/acl-inc.cfg", tmpdir);
		write_file(inc, "\"198.51.100.0/24\"\n\"2001:db8:1::/48\"\n");
		snprintf(text, sizeof(text), "ACL \"x\"\n\tInclude \"%s\"\nEnd\n" LISTENER, inc);
		clean(&r, text);
		assert_int_equal(acl_ranges(r.cfg->acls->acl, 4), 1);
		assert_int_equal(acl_ranges(r.cfg->acls->acl, 6), 1);
		run_free(&r);
		unlink(inc);
	}
}

static void test_acl_errors(void **state)
{
	struct run r;

	only_error("ACL\n\t\"10.0.0.0/8\"\nEnd\n" LISTENER, 1, 1,
	           "an ACL at top level needs a name: ACL \"name\"");
	only_error("ACL \"a\"\n\t\"10.0.0.0/8\"\nEnd\nACL \"a\"\n\t\"10.0.0.0/8\"\nEnd\n" LISTENER, 4,
	           5, "an ACL named \"a\" already exists (line 1)");
	only_error("ACL \"a\"\n\t\"10.0.0.0/33\"\nEnd\n" LISTENER, 2, 2,
	           "bad prefix length in \"10.0.0.0/33\" (0-32 for IPv4)");
	only_error("ACL \"a\"\n\t\"2001:db8::/129\"\nEnd\n" LISTENER, 2, 2,
	           "bad prefix length in \"2001:db8::/129\" (0-128 for IPv6)");
	only_error("ACL \"a\"\n\t\"10.0.0.0/\"\nEnd\n" LISTENER, 2, 2, "bad prefix length");
	only_error("ACL \"a\"\n\t\"10.0.0.300/8\"\nEnd\n" LISTENER, 2, 2,
	           "expected an IPv4 or IPv6 address or CIDR (\"192.0.2.0/24\", \"2001:db8::/32\"), "
	           "got \"10.0.0.300/8\"");
	only_error("ACL \"a\"\n\t\"lan.example\"\nEnd\n" LISTENER, 2, 2,
	           "expected an IPv4 or IPv6 address or CIDR");
	only_error("ACL \"a\"\n\t\"::ffff:10.0.0.0/104\"\nEnd\n" LISTENER, 2, 2,
	           "expected an IPv4 or IPv6 address or CIDR");
	only_error("ACL \"a\"\n\t10.0.0.0/8\nEnd\n" LISTENER, 2, 2,
	           "expected a quoted address or CIDR (\"192.0.2.0/24\", \"2001:db8::/32\") or End "
	           "in ACL, got \"10.0.0.0/8\"");
	only_error("ACL \"a\"\n\t\"10.0.0.0/8\" \"10.1.0.0/16\"\nEnd\n" LISTENER, 2, 15,
	           "one address or CIDR per line, got \"10.1.0.0/16\" after \"10.0.0.0/8\"");
	only_error("ACL \"a\"\nEnd\n" LISTENER, 1, 1, "ACL \"a\" lists no addresses");
	only_error(LISTENER "ACL \"a\"\n\t\"10.0.0.0/8\"\n", 7, 1,
	           "missing End for ACL opened at line 5");
	only_error(SV "\tACL \"nope\"\n" SV_END, 6, 6,
	           "no ACL named \"nope\" is defined above this line");
	only_error(SV "\tACL lan\n" SV_END, 6, 6,
	           "expected the ACL name in quotes after ACL, got \"lan\"");
	only_error(SV "\tACL\n\tEnd\n" SV_END, 6, 2,
	           "ACL lists no addresses (one quoted CIDR per line before End)");
	/* used before it is defined (Pound: defined earlier) */
	only_error(SV "\tACL \"late\"\n" SV_END "ACL \"late\"\n\t\"10.0.0.0/8\"\nEnd\n", 6, 6,
	           "no ACL named \"late\" is defined above this line");
	/* a prefix with host bits: the whole prefix, with a warning */
	load_text(&r, "ACL \"a\"\n\t\"192.168.1.5/24\"\nEnd\n" LISTENER);
	expect_warn(&r, 2, 2, "\"192.168.1.5/24\" has address bits set past its prefix length");
	expect_counts(&r, 0, 1);
	{
		struct acl_addr a = addr_of("192.168.1.200");

		assert_true(acl_match(r.cfg->acls->acl, &a));
	}
	run_free(&r);
}

static void test_listener_acl_gate(void **state)
{
	struct run r;
	struct cfg_cond *c;
	struct acl_addr a;

	clean(&r, "ACL \"lan\"\n\t\"192.168.0.0/16\"\nEnd\n"
	          "ListenHTTP\n\tAddress 127.0.0.1\n\tPort 8080\n\tACL \"lan\"\n"
	          "\tNot ACL\n\t\t\"192.168.1.66\"\n\tEnd\nEnd\n");
	c = r.cfg->listeners->acl_gate;
	assert_int_equal(count_conds(c), 2);
	assert_int_equal(c->negate, 0);
	assert_ptr_equal(c->acl, r.cfg->acls->acl);
	assert_int_equal(c->next->negate, 1);
	a = addr_of("192.168.1.66");
	assert_true(acl_match(c->next->acl, &a));
	a = addr_of("192.168.1.67");
	assert_false(acl_match(c->next->acl, &a));
	run_free(&r);
	only_error("ListenHTTP\n\tAddress 127.0.0.1\n\tPort 80\n\tNot Url \"/x\"\nEnd\n", 4, 6,
	           "in a ListenHTTP, Not can only precede ACL (\"Url\" belongs in a Service)");
	only_error("ListenHTTP\n\tAddress 127.0.0.1\n\tPort 80\n\tBasicAuth \"/u\"\nEnd\n", 4, 2,
	           "\"BasicAuth\" is not valid in ListenHTTP (it belongs in Service)");
}

static void test_trusted_ip(void **state)
{
	struct run r;
	struct cfg_listener *l;

	clean(&r, "ACL \"cf\"\n\t\"173.245.48.0/20\"\n\t\"2400:cb00::/32\"\nEnd\n"
	          "TrustedIP \"cf\"\n"
	          "ListenHTTP\n\tAddress 127.0.0.1\n\tPort 1\nEnd\n"
	          "ListenHTTP\n\tAddress 127.0.0.1\n\tPort 2\n\tTrustedIP\n\t\t\"127.0.0.1\"\n\tEnd\nEnd\n"
	          "ListenHTTP\n\tAddress 127.0.0.1\n\tPort 3\n\tStripForwarded 0\nEnd\n"
	          "ListenHTTP\n\tAddress 127.0.0.1\n\tPort 4\n\tStripForwarded 1\nEnd\n");
	assert_ptr_equal(r.cfg->trusted, r.cfg->acls->acl);
	l = r.cfg->listeners;
	assert_ptr_equal(l->trusted, r.cfg->trusted); /* inherited */
	l = l->next;
	assert_non_null(l->trusted);
	assert_ptr_not_equal(l->trusted, r.cfg->trusted); /* its own */
	l = l->next;
	assert_null(l->trusted); /* StripForwarded 0 decides here */
	assert_int_equal(l->strip_forwarded, 0);
	l = l->next;
	assert_null(l->trusted);
	assert_int_equal(l->strip_forwarded, 1);
	run_free(&r);

	only_error(SV "\tTrustedIP \"x\"\n" SV_END, 6, 2,
	           "TrustedIP in a Service is not supported: pinfold settles the client address "
	           "before it chooses a service");
	only_error(SV "\tTrustedIP\n\t\t\"10.0.0.0/8\"\n\tEnd\n" SV_END, 6, 2,
	           "TrustedIP in a Service is not supported");
	only_error("ListenHTTP\n\tAddress 127.0.0.1\n\tPort 80\n\tStripForwarded 0\n"
	           "\tTrustedIP\n\t\t\"10.0.0.0/8\"\n\tEnd\nEnd\n",
	           5, 2, "TrustedIP conflicts with the StripForwarded at line 4");
	only_error("ACL \"p\"\n\t\"10.0.0.0/8\"\nEnd\n"
	           "ListenHTTP\n\tAddress 127.0.0.1\n\tPort 80\n\tTrustedIP \"p\"\n"
	           "\tStripForwarded 1\nEnd\n",
	           8, 2, "StripForwarded conflicts with the TrustedIP at line 7");
	only_error("TrustedIP \"nope\"\n" LISTENER, 1, 11, "no ACL named \"nope\"");
	only_error("TrustedIP\nEnd\n" LISTENER, 1, 1, "TrustedIP lists no addresses");
	only_error("ACL \"p\"\n\t\"10.0.0.0/8\"\nEnd\nTrustedIP \"p\"\nTrustedIP \"p\"\n" LISTENER, 5,
	           1, "duplicate \"TrustedIP\" in top level");
}

#if PINFOLD_BASICAUTH
static void test_basic_auth_and_method(void **state)
{
	struct run r;
	struct cfg_service *s;

	struct cfg_cond *c;

	clean(&r, LISTENER "Service \"guard\"\n\tNot Path -beg \"/api/google_assistant\"\n"
	                   "\tNot BasicAuth \"/etc/pinfold/users\"\n\tError 401\nEnd\n"
	                   "Service \"admin\"\n\tBasicAuth \"/etc/pinfold/admins\"\n"
	                   "\tNot Method -re \"^(GET|HEAD)$\"\n\tError 405\nEnd\n"
	                   "Service \"again\"\n\tBasicAuth \"/etc/pinfold/users\"\n\tError 404\nEnd\n");
	assert_int_equal(r.cfg->nauth, 2);
	assert_string_equal(r.cfg->auth[0].path, "/etc/pinfold/users");
	assert_int_equal(r.cfg->auth[0].line, 7);
	assert_int_equal(r.cfg->auth[0].col, 16);
	assert_string_equal(r.cfg->auth[1].path, "/etc/pinfold/admins");
	s = r.cfg->services;
	c = s->conds->next;
	assert_int_equal(c->kind, COND_BASICAUTH);
	assert_int_equal(c->negate, 1);
	assert_int_equal(c->auth_id, 0);
	c = s->next->conds;
	assert_int_equal(c->kind, COND_BASICAUTH);
	assert_int_equal(c->auth_id, 1);
	c = c->next;
	assert_int_equal(c->kind, COND_METHOD);
	assert_int_equal(c->negate, 1);
	assert_int_equal(c->icase, 0);
	assert_true(regex_matches(c, "HEAD"));
	assert_false(regex_matches(c, "head"));
	assert_false(regex_matches(c, "POST"));
	assert_int_equal(s->next->next->conds->auth_id, 0);
	run_free(&r);

	/* a relative file name is relative to the configuration file, as with Include */
	clean(&r, LISTENER "Service\n\tNot BasicAuth \"users\"\n\tError 401\nEnd\n"
	                   "Service\n\tBasicAuth \"sub/../users\"\n\tError 404\nEnd\n");
	{
		char want[PATH_MAX];

		snprintf(want, sizeof(want), "%s/users", tmpdir);
		assert_string_equal(r.cfg->auth[0].path, want);
		snprintf(want, sizeof(want), "%s/sub/../users", tmpdir);
		assert_string_equal(r.cfg->auth[1].path, want);
	}
	run_free(&r);

	only_error(SV "\tBasicAuth /etc/users\n" SV_END, 6, 12,
	           "expected the password file name in quotes after BasicAuth, got \"/etc/users\"");
	only_error(SV "\tBasicAuth \"\"\n" SV_END, 6, 12,
	           "expected the password file name in quotes after BasicAuth");
	only_error(SV "\tBasicAuth \"/a\" \"/b\"\n" SV_END, 6, 17,
	           "too many arguments for \"BasicAuth\"");
	only_error(SV "\tMethod \"(\"\n" SV_END, 6, 9, "invalid regular expression \"(\"");
	only_error(SV "\tMethod GET\n" SV_END, 6, 9, "expected a quoted pattern, got \"GET\"");
}
#endif

static void test_rewrite_response(void **state)
{
	struct run r;
	struct cfg_listener *l;
	struct cfg_service *s;

	clean(&r, "ListenHTTP\n\tAddress 127.0.0.1\n\tPort 8080\n"
	          "\tRewrite response\n"
	          "\t\tSetHeader \"Strict-Transport-Security: max-age=31536000\"\n"
	          "\t\tDeleteHeader \"^(Server|X-Powered-By):\"\n"
	          "\tEnd\n"
	          "\tService\n"
	          "\t\tRewrite response\n\t\t\tSetHeader \"X-Frame-Options: DENY\"\n\t\tEnd\n"
	          "\t\tRewrite Response\n\t\t\tHeaderRemove -beg \"Via:\"\n\t\tEnd\n"
	          "\t\tError 404\n"
	          "\tEnd\n"
	          "End\n");
	l = r.cfg->listeners;
	s = l->services;
	assert_non_null(l->resp_add);
	assert_string_equal(l->resp_add->line, "Strict-Transport-Security: max-age=31536000");
	assert_int_equal(count_conds(l->resp_remove), 1);
	assert_true(regex_matches(l->resp_remove, "server: x"));
	assert_null(l->head_add);
	assert_null(l->head_remove);
	assert_string_equal(s->resp_add->line, "X-Frame-Options: DENY");
	assert_int_equal(s->resp_remove->type, MT_PREFIX);
	assert_null(s->head_add);
	run_free(&r);

	only_error(SV "\tRewrite sideways\n\tEnd\n" SV_END, 6, 10,
	           "expected request or response after Rewrite, got \"sideways\"");
	only_error(SV "\tRewrite response\n\t\tHeader \"^Server:\"\n\t\tDeleteHeader \"x\"\n\tEnd\n"
	              SV_END,
	           7, 3,
	           "conditions in Rewrite response (\"Header\") are a Pound feature pinfold does not "
	           "implement yet");
	only_error(SV "\tRewrite response\n\t\tNot Header \"^Server:\"\n\tEnd\n" SV_END, 7, 3,
	           "conditions in Rewrite response (\"Not\")");
	only_error(SV "\tRewrite response\n\t\tSetHeader \"Content-Length: 1\"\n\tEnd\n" SV_END, 7,
	           13, "SetHeader cannot set \"Content-Length\"");
	only_error(SV "\tRewrite response\n\t\tBackEnd\n\t\tEnd\n\tEnd\n" SV_END, 7, 3,
	           "\"BackEnd\" is not valid in Rewrite response");
	only_error("Rewrite response\nEnd\n" LISTENER, 1, 1,
	           "\"Rewrite\" is not valid at top level");
}

static void test_rate_limits(void **state)
{
	struct run r;
	struct cfg_listener *l;
	char text[400];

	/* AuthFailLimit goes with BasicAuth: built out, test_built_out checks it is refused */
	snprintf(text, sizeof(text),
	         "RateLimitEntries 100\n%sMaxConnections 500\nMaxConnsPerIP 20\n"
	         "ListenHTTP\n\tAddress 127.0.0.1\n\tPort 8080\n\tRateLimit 10 1\n"
	         "\tService\n\t\tUrl -beg \"/auth/login_flow\"\n\t\tRateLimit 5 60 2\n"
	         "\t\tError 404\n\tEnd\nEnd\n",
	         PINFOLD_BASICAUTH ? "AuthFailLimit 3 600\n" : "");
	clean(&r, text);
	l = r.cfg->listeners;
	assert_int_equal(r.cfg->rate_entries, 100);
	if (PINFOLD_BASICAUTH) {
		assert_int_equal(r.cfg->auth_fail.count, 3);
		assert_int_equal(r.cfg->auth_fail.period_ms, 600000);
	}
	assert_int_equal(r.cfg->max_conns, 500);
	assert_int_equal(r.cfg->max_conns_ip, 20);
	assert_int_equal(r.cfg->nrates, 2);
	assert_int_equal(l->rate->count, 10);
	assert_int_equal(l->rate->period_ms, 1000);
	assert_int_equal(l->rate->burst, 10);
	assert_int_equal(l->rate->slot, 0);
	assert_int_equal(l->services->rate->count, 5);
	assert_int_equal(l->services->rate->period_ms, 60000);
	assert_int_equal(l->services->rate->burst, 2);
	assert_int_equal(l->services->rate->slot, 1);
	run_free(&r);

	/* defaults */
	clean(&r, LISTENER);
	assert_int_equal(r.cfg->rate_entries, CFG_DEFAULT_RATE_ENTRIES);
	assert_int_equal(r.cfg->auth_fail.count, CFG_DEFAULT_AUTHFAIL);
	assert_int_equal(r.cfg->auth_fail.period_ms, CFG_DEFAULT_AUTHFAIL_PERIOD * 1000);
	assert_int_equal(r.cfg->max_conns, 0);
	assert_int_equal(r.cfg->max_conns_ip, 0);
	assert_null(r.cfg->listeners->rate);
	assert_null(r.cfg->trusted);
	assert_null(r.cfg->acls);
	assert_int_equal(r.cfg->nauth, 0);
	run_free(&r);

	only_error(SV "\tRateLimit 0 1\n" SV_END, 6, 12,
	           "expected a number of requests 1-1000000, got \"0\"");
	only_error(SV "\tRateLimit 5 0\n" SV_END, 6, 14,
	           "expected a number of seconds 1-86400, got \"0\"");
	only_error(SV "\tRateLimit 5 60 0\n" SV_END, 6, 17, "expected a burst size 1-1000000");
	only_error(SV "\tRateLimit 5\n" SV_END, 6, 2,
	           "missing argument for \"RateLimit\": expected a number of requests and of "
	           "seconds");
	only_error(SV "\tRateLimit 5 1 1 1\n" SV_END, 6, 18, "too many arguments for \"RateLimit\"");
	only_error(SV "\tRateLimit 5 1\n\tRateLimit 5 1\n" SV_END, 7, 2,
	           "duplicate \"RateLimit\" in Service (first given at line 6)");
	only_error("RateLimit 5 1\n" LISTENER, 1, 1, "\"RateLimit\" is not valid at top level");
	only_error("RateLimitEntries 8\n" LISTENER, 1, 18,
	           "expected a number of entries 16-16777216, got \"8\"");
	if (PINFOLD_BASICAUTH)
		only_error("AuthFailLimit 5\n" LISTENER, 1, 1,
		           "missing argument for \"AuthFailLimit\": expected a number of failed logins "
		           "and of seconds");
	only_error("MaxConnsPerIP -1\n" LISTENER, 1, 15,
	           "expected a number of connections (0: no cap) 0-1000000, got \"-1\"");
	only_error("MaxConnections 0\n" LISTENER, 1, 16,
	           "expected a number of connections 1-1000000, got \"0\"");
	only_error(LISTENER "MaxConnsPerIP 1\nMaxConnsPerIP 2\n", 6, 1, "duplicate \"MaxConnsPerIP\"");
}

#if PINFOLD_SESSION && PINFOLD_HEALTHCHECK
/* Backend controls: Session, per-backend MaxConnections, HealthCheck. */
static void test_backend_controls(void **state)
{
	struct run r;
	const struct cfg_service *s;

	const struct cfg_backend *b1, *b2;

	clean(&r, LISTENER "Service\n\tHealthCheck \"GET /health?full=1\"\n"
	                   "\tSession\n\t\tType cookie\n\t\tTTL 300\n\t\tID \"sid\"\n\tEnd\n"
	                   "\tBackEnd\n\t\tAddress 127.0.0.2\n\t\tPort 1\n\t\tMaxConnections 4\n\tEnd\n"
	                   "\tBackEnd\n\t\tAddress 127.0.0.2\n\t\tPort 2\n"
	                   "\t\tHealthCheck \"HEAD /ok\" 2xx\n\tEnd\n"
	                   "\tEmergency\n\t\tAddress 127.0.0.2\n\t\tPort 3\n\tEnd\nEnd\n"
	                   "Service\n\tSession\n\t\tType IP\n\t\tTTL 60\n\tEnd\n"
	                   "\tBackEnd\n\t\tAddress 127.0.0.2\n\t\tPort 4\n\tEnd\nEnd\n");
	s = r.cfg->services;
	b1 = s->backends;
	b2 = b1->next;
	assert_int_equal(r.cfg->nsessions, 2);
	assert_int_equal(s->session->type, SESS_COOKIE);
	assert_int_equal(s->session->ttl, 300);
	assert_string_equal(s->session->id, "sid");
	assert_int_equal(s->session->id_len, 3);
	assert_int_equal(s->session->slot, 0);
	assert_int_equal(s->next->session->type, SESS_IP);
	assert_null(s->next->session->id);
	assert_int_equal(s->next->session->slot, 1);
	assert_int_equal(b1->max_conns, 4);
	assert_int_equal(b2->max_conns, 0);
	assert_string_equal(b1->hc->method, "GET");
	assert_string_equal(b1->hc->path, "/health?full=1");
	assert_int_equal(b1->hc->status_lo, 200);
	assert_int_equal(b1->hc->status_hi, 200);
	assert_ptr_equal(s->emergency->hc, b1->hc); /* the Service's, inherited */
	assert_string_equal(b2->hc->method, "HEAD");
	assert_int_equal(b2->hc->status_lo, 200);
	assert_int_equal(b2->hc->status_hi, 299);
	assert_null(s->next->backends->hc);
	assert_int_equal(r.cfg->max_conns, 0); /* a backend's MaxConnections is its own */
	run_free(&r);

	/* Session */
	only_error(SV "\tSession\n\t\tTTL 5\n\tEnd\n" SV_END, 6, 2,
	           "Session has no Type (expected one of IP, BASIC, URL, PARM, COOKIE or HEADER)");
	only_error(SV "\tSession\n\t\tType IP\n\tEnd\n" SV_END, 6, 2, "Session has no TTL");
	only_error(SV "\tSession\n\t\tType IP\n\t\tTTL 0\n\tEnd\n" SV_END, 8, 7,
	           "expected a TTL in seconds 1-86400, got \"0\"");
	only_error(SV "\tSession\n\t\tType IP\n\t\tTTL -5\n\tEnd\n" SV_END, 8, 7,
	           "expected a TTL in seconds 1-86400, got \"-5\"");
	only_error(SV "\tSession\n\t\tType COOKIE\n\t\tTTL 5\n\tEnd\n" SV_END, 6, 2,
	           "Session Type COOKIE needs an ID (the cookie name)");
	only_error(SV "\tSession\n\t\tType HEADER\n\t\tTTL 5\n\tEnd\n" SV_END, 6, 2,
	           "Session Type HEADER needs an ID (the header name)");
	only_error(SV "\tSession\n\t\tType URL\n\t\tTTL 5\n\tEnd\n" SV_END, 6, 2,
	           "Session Type URL needs an ID (the query parameter name)");
	only_error(SV "\tSession\n\t\tType IP\n\t\tTTL 5\n\t\tID \"x\"\n\tEnd\n" SV_END, 9, 3,
	           "Session Type IP takes no ID (only URL, COOKIE and HEADER do)");
	only_error(SV "\tSession\n\t\tType RANDOM\n\t\tTTL 5\n\tEnd\n" SV_END, 7, 8,
	           "expected a session type (IP, BASIC, URL, PARM, COOKIE or HEADER) after Type, "
	           "got \"RANDOM\"");
	only_error(SV "\tSession\n\t\tType COOKIE\n\t\tTTL 5\n\t\tID \"a b\"\n\tEnd\n" SV_END, 9, 6,
	           "expected a cookie, parameter or header name");
	only_error(SV "\tSession\n\t\tType IP\n\t\tTTL 5\n\t\tType IP\n\tEnd\n" SV_END, 9, 3,
	           "duplicate \"Type\" in Session (first given at line 7)");
	only_error(SV "\tSession\n\t\tType IP\n\t\tTTL 5\n\tEnd\n"
	              "\tSession\n\t\tType IP\n\t\tTTL 5\n\tEnd\n" SV_END,
	           10, 2, "second Session in this Service (the first is at line 6)");
	only_error(SV "\tSession\n\t\tType IP\n\t\tTTL 1\n\t\tPort 5\n\tEnd\n" SV_END, 9, 3,
	           "\"Port\" is not valid in Session");
	only_error(SV "\tType IP\n" SV_END, 6, 2,
	           "\"Type\" is not valid in Service (it belongs in Session)");

	/* MaxConnections in a backend */
	only_error(SV "\tBackEnd\n\t\tAddress 127.0.0.2\n\t\tPort 1\n\t\tMaxConnections 0\n\tEnd\nEnd\n",
	           9, 18, "expected a number of connections 1-1000000, got \"0\"");
	only_error(SV "\tMaxConnections 3\n" SV_END, 6, 2,
	           "\"MaxConnections\" is not valid in Service");

	/* HealthCheck */
	only_error(SV "\tHealthCheck \"GET health\"\n" SV_END, 6, 14,
	           "expected a quoted \"METHOD /path\" after HealthCheck");
	only_error(SV "\tHealthCheck \"GET\"\n" SV_END, 6, 14,
	           "expected a quoted \"METHOD /path\" after HealthCheck");
	only_error(SV "\tHealthCheck \"GET /a b\"\n" SV_END, 6, 14,
	           "expected a quoted \"METHOD /path\" after HealthCheck");
	only_error(SV "\tHealthCheck \"POST /x\"\n" SV_END, 6, 14,
	           "HealthCheck method must be GET, HEAD or OPTIONS, got \"POST\"");
	only_error(SV "\tHealthCheck \"GET /x\" 600\n" SV_END, 6, 23,
	           "expected a status (100-599, or a class like 2xx) after the HealthCheck request, "
	           "got \"600\"");
	only_error(SV "\tHealthCheck \"GET /x\" 2yy\n" SV_END, 6, 23, "got \"2yy\"");
	only_error(SV "\tHealthCheck \"GET /x\" 200 300\n" SV_END, 6, 27,
	           "too many arguments for \"HealthCheck\"");
	only_error("HealthCheck \"GET /x\"\n" LISTENER, 1, 1,
	           "\"HealthCheck\" is not valid at top level");
}
#endif

static void test_size_limits(void **state)
{
	struct run r;
	struct cfg_listener *l;

	clean(&r, "ListenHTTP\n\tAddress 127.0.0.1\n\tPort 8080\n\tMaxRequest 10485760\n"
	          "\tMaxURI 2048\n\tMaxHeaderSize 8192\n\tMaxHeaders 40\nEnd\n"
	          "ListenHTTP\n\tAddress 127.0.0.1\n\tPort 8081\n\tMaxRequest 99999999999\nEnd\n");
	l = r.cfg->listeners;
	assert_int_equal(l->max_request, 10485760);
	assert_int_equal(l->max_uri, 2048);
	assert_int_equal(l->max_head, 8192);
	assert_int_equal(l->max_headers, 40);
	assert_true(l->next->max_request == 99999999999ULL);
	assert_int_equal(l->next->max_uri, 0);
	assert_int_equal(l->next->max_head, 0);
	assert_int_equal(l->next->max_headers, 0);
	run_free(&r);

#define LH "ListenHTTP\n\tAddress 127.0.0.1\n\tPort 80\n"
	only_error(LH "\tMaxRequest 0\nEnd\n", 4, 13,
	           "expected a size in bytes (1 or more) after MaxRequest, got \"0\"");
	only_error(LH "\tMaxRequest 10M\nEnd\n", 4, 13,
	           "expected a size in bytes (1 or more) after MaxRequest, got \"10M\"");
	only_error(LH "\tMaxRequest 9999999999999999999\nEnd\n", 4, 13, "after MaxRequest");
	only_error(LH "\tMaxURI 0\nEnd\n", 4, 9, "expected a length in bytes 1-8192, got \"0\"");
	only_error(LH "\tMaxURI 9000\nEnd\n", 4, 9, "expected a length in bytes 1-8192, got \"9000\"");
	only_error(LH "\tMaxHeaderSize 20000\nEnd\n", 4, 16,
	           "expected a size in bytes 64-16384, got \"20000\"");
	only_error(LH "\tMaxHeaders 101\nEnd\n", 4, 13,
	           "expected a number of header fields 1-100, got \"101\"");
	only_error(LH "\tMaxURI 10\n\tMaxURI 20\nEnd\n", 5, 2,
	           "duplicate \"MaxURI\" in ListenHTTP (first given at line 4)");
	only_error("MaxRequest 10\n" LISTENER, 1, 1, "\"MaxRequest\" is not valid at top level");
	only_error(SV "\tMaxURI 10\n" SV_END, 6, 2, "\"MaxURI\" is not valid in Service");
#undef LH
}

/* Edge features: ACME, ErrorFile / ErrNNN, SocketFrom. */
static void test_edge_directives(void **state)
{
	struct run r;
	struct cfg_listener *l;
	const struct cfg_errfile *e;

	clean(&r, "ListenHTTP\n\tAddress 127.0.0.1\n\tPort 8080\n\tACME \"/var/acme\"\n"
	          "\tErrorFile 404 \"/p/404.html\"\n\tErr503 \"503.html\"\nEnd\n"
	          "ListenHTTP\n\tSocketFrom \"/run/pinfold.sock\"\nEnd\n");
	l = r.cfg->listeners;
	assert_string_equal(l->acme_dir, "/var/acme");
	e = l->err_files;
	assert_int_equal(e->status, 404);
	assert_string_equal(e->path, "/p/404.html");
	assert_int_equal(e->next->status, 503);
	/* relative to the file that names it */
	assert_non_null(strstr(e->next->path, "/503.html"));
	assert_true(e->next->path[0] == '/');
	assert_null(l->socket_from);
	assert_string_equal(l->next->socket_from, "/run/pinfold.sock");
	assert_null(l->next->acme_dir);
	run_free(&r);

#define LH "ListenHTTP\n\tAddress 127.0.0.1\n\tPort 80\n"
	only_error(LH "\tACME \"acme\"\nEnd\n", 4, 7,
	           "expected an absolute directory name in quotes after ACME, got \"acme\"");
	only_error("RootJail \"/jail\"\n" LH "\tACME \"/var/acme\"\nEnd\n", 5, 0,
	           "the ACME directory \"/var/acme\" is outside RootJail \"/jail\"");
	only_error(LH "\tErrorFile 418 \"/x\"\nEnd\n", 4, 12,
	           "expected a status pinfold answers with (400, 401");
	only_error(LH "\tErrorFile abc \"/x\"\nEnd\n", 4, 12, "after ErrorFile, got \"abc\"");
	only_error(LH "\tErr404 \"\"\nEnd\n", 4, 9,
	           "expected the page file name in quotes after Err404");
	only_error(LH "\tErr404 \"/a\"\n\tErrorFile 404 \"/b\"\nEnd\n", 5, 2,
	           "a page for 404 was already given in this listener (line 4)");
	only_error("Err404 \"/a\"\n" LISTENER, 1, 1, "\"Err404\" is not valid at top level");
	only_error("ListenHTTP\n\tSocketFrom \"/s\"\n\tPort 80\nEnd\n", 3, 2,
	           "SocketFrom (line 2) replaces Address and Port");
	only_error(LH "\tSocketFrom \"\"\nEnd\n", 4, 13,
	           "expected the quoted path of a UNIX socket after SocketFrom");
#undef LH
}

#if !PINFOLD_CONTROL || !PINFOLD_SESSION || !PINFOLD_BASICAUTH || !PINFOLD_HEALTHCHECK
/*
 * Build options: a directive of a feature left out (PINFOLD_<NAME>=OFF) is one error
 * at its file:line:col naming the option, and a block of one is skipped whole.  Only in
 * a build that leaves one out: with every feature in there is nothing to refuse.
 */
static void test_built_out(void **state)
{
	int out = 0;

	if (!PINFOLD_CONTROL) {
		only_error(LISTENER "Control \"/run/pinfold.sock\"\n", 5, 1,
		           "Control: this pinfold was built without it (PINFOLD_CONTROL=OFF)");
		out++;
	}
	if (!PINFOLD_SESSION) {
		only_error(SV "\tSession\n\t\tType IP\n\t\tTTL 60\n\tEnd\n" SV_END, 6, 2,
		           "Session: this pinfold was built without it (PINFOLD_SESSION=OFF)");
		out++;
	}
	if (!PINFOLD_BASICAUTH) {
		only_error(SV "\tBasicAuth \"/etc/users\"\n" SV_END, 6, 2,
		           "BasicAuth: this pinfold was built without it (PINFOLD_BASICAUTH=OFF)");
		only_error(SV "\tNot BasicAuth \"/etc/users\"\n" SV_END, 6, 6,
		           "BasicAuth: this pinfold was built without it (PINFOLD_BASICAUTH=OFF)");
		only_error(
		    "AuthFailLimit 3 60\n" LISTENER, 1, 1,
		    "AuthFailLimit: this pinfold was built without it (PINFOLD_BASICAUTH=OFF)");
		out++;
	}
	if (!PINFOLD_HEALTHCHECK) {
		only_error(
		    SV "\tHealthCheck \"GET /\" 200\n" SV_END, 6, 2,
		    "HealthCheck: this pinfold was built without it (PINFOLD_HEALTHCHECK=OFF)");
		out++;
	}
	assert_true(out > 0);
}
#endif

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_seed003_verbatim),
	    cmocka_unit_test(test_seed003_structure),
	    cmocka_unit_test(test_lexer_quotes_and_comments),
	    cmocka_unit_test(test_lexer_crlf),
	    cmocka_unit_test(test_lexer_unterminated_string),
	    cmocka_unit_test(test_lexer_control_character),
	    cmocka_unit_test(test_lexer_tab_columns),
	    cmocka_unit_test(test_lexer_quoted_keyword),
	    cmocka_unit_test(test_lexer_too_many_words),
	    cmocka_unit_test(test_include_relative_nested),
	    cmocka_unit_test(test_include_cycle),
	    cmocka_unit_test(test_include_self),
	    cmocka_unit_test(test_include_same_file_twice_is_fine),
	    cmocka_unit_test(test_include_missing),
	    cmocka_unit_test(test_include_not_regular),
	    cmocka_unit_test(test_include_empty_name),
	    cmocka_unit_test(test_include_depth_limit),
	    cmocka_unit_test(test_include_block_across_files),
	    cmocka_unit_test(test_main_file_missing),
	    cmocka_unit_test(test_null_diag_callback),
	    cmocka_unit_test(test_defaults),
	    cmocka_unit_test(test_global_values),
	    cmocka_unit_test(test_booleans),
	    cmocka_unit_test(test_log_facility),
	    cmocka_unit_test(test_log_level),
	    cmocka_unit_test(test_seconds_ranges),
	    cmocka_unit_test(test_strings),
	    cmocka_unit_test(test_duplicate_directive),
	    cmocka_unit_test(test_connto_default_and_order),
	    cmocka_unit_test(test_balancer),
	    cmocka_unit_test(test_listener_addresses),
	    cmocka_unit_test(test_listener_bad_addresses),
	    cmocka_unit_test(test_listener_port),
	    cmocka_unit_test(test_listener_missing_address_or_port),
	    cmocka_unit_test(test_listener_duplicate),
	    cmocka_unit_test(test_listener_settings),
	    cmocka_unit_test(test_listener_header_removal),
	    cmocka_unit_test(test_set_header),
	    cmocka_unit_test(test_set_header_tab_ok),
	    cmocka_unit_test(test_wrong_place),
	    cmocka_unit_test(test_pound4_fixture),
	    cmocka_unit_test(test_match_defaults_and_options),
	    cmocka_unit_test(test_ignorecase_scopes),
	    cmocka_unit_test(test_bad_regex),
	    cmocka_unit_test(test_regex_too_complex),
	    cmocka_unit_test(test_match_option_errors),
	    cmocka_unit_test(test_not_errors),
	    cmocka_unit_test(test_redirect),
	    cmocka_unit_test(test_error_action),
	    cmocka_unit_test(test_service_actions_exclusive),
	    cmocka_unit_test(test_service_names),
	    cmocka_unit_test(test_service_header_edits),
	    cmocka_unit_test(test_backend_ids_and_priorities),
	    cmocka_unit_test(test_backend_errors),
#ifndef PINFOLD_HAVE_TLS
	    cmocka_unit_test(test_backend_tls_needs_build),
#endif
	    cmocka_unit_test(test_backend_tls_in_listener),
	    cmocka_unit_test(test_missing_end),
	    cmocka_unit_test(test_end_errors),
	    cmocka_unit_test(test_unknown_directive_contexts),
#if PINFOLD_CONTROL
	    cmocka_unit_test(test_control),
#endif
	    cmocka_unit_test(test_not_yet_directives),
	    cmocka_unit_test(test_acl_named_and_inline),
	    cmocka_unit_test(test_acl_errors),
	    cmocka_unit_test(test_listener_acl_gate),
	    cmocka_unit_test(test_trusted_ip),
#if PINFOLD_BASICAUTH
	    cmocka_unit_test(test_basic_auth_and_method),
#endif
	    cmocka_unit_test(test_rewrite_response),
	    cmocka_unit_test(test_rate_limits),
	    cmocka_unit_test(test_size_limits),
#if PINFOLD_SESSION && PINFOLD_HEALTHCHECK
	    cmocka_unit_test(test_backend_controls),
#endif
	    cmocka_unit_test(test_edge_directives),
#if !PINFOLD_CONTROL || !PINFOLD_SESSION || !PINFOLD_BASICAUTH || !PINFOLD_HEALTHCHECK
	    cmocka_unit_test(test_built_out),
#endif
#ifndef PINFOLD_HAVE_TLS
	    cmocka_unit_test(test_listenhttps_skipped),
#else
	    cmocka_unit_test(test_https_listener_full),
	    cmocka_unit_test(test_https_placeholder_certs),
	    cmocka_unit_test(test_https_only_https_listener),
	    cmocka_unit_test(test_https_cert_errors),
	    cmocka_unit_test(test_https_ciphers),
	    cmocka_unit_test(test_https_disable),
	    cmocka_unit_test(test_https_client_cert),
	    cmocka_unit_test(test_https_ca_lists),
	    cmocka_unit_test(test_https_misc_errors),
	    cmocka_unit_test(test_backend_https),
	    cmocka_unit_test(test_backend_https_verify_name),
	    cmocka_unit_test(test_backend_https_errors),
	    cmocka_unit_test(test_backend_https_ciphers_and_disable),
#endif
	    cmocka_unit_test(test_no_listener),
	    cmocka_unit_test(test_several_errors_one_run),
	    cmocka_unit_test(test_error_cap),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
