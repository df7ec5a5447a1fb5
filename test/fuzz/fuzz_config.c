/*
 * fuzz_config.c - libFuzzer harness for the configuration parser.
 *
 * Each input is written to a file in a private directory and loaded with
 * config_load(), as the daemon would.  Besides crashes and leaks (the
 * sanitizers' job) it checks what callers rely on: the return value is the
 * number of error diagnostics, every diagnostic is one located line, a
 * failed load hands back nothing, and a successful one is consistent
 * (backend ids, complete addresses, one kind of action per service).
 *
 * Inputs that would make the parser resolve a host name are skipped: DNS
 * lookups are slow and depend on the machine, not on the parser.
 */
#include <ctype.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char dir[64];
static char path[96];

struct seen {
	int errors;
	int warnings;
};

static void check(int ok)
{
	if (!ok)
		abort();
}

static void cleanup(void)
{
	unlink(path);
	rmdir(dir);
}

static void diag(void *ctx, int is_error, const char *msg)
{
	struct seen *s = ctx;

	check(msg != NULL);
	/* One message per call, on one line, starting with the (absolute) file name. */
	check(strchr(msg, '\n') == NULL);
	check(msg[0] == '/');
	if (is_error)
		s->errors++;
	else
		s->warnings++;
}

/* Would an "Address" line here send the parser to the resolver? */
static int needs_dns(const uint8_t *data, size_t size)
{
	size_t i = 0;

	while (i < size) {
		size_t end = i;

		while (end < size && data[end] != '\n')
			end++;
		while (i < end && (data[i] == ' ' || data[i] == '\t'))
			i++;
		if (end - i > 7 && strncasecmp((const char *)data + i, "address", 7) == 0) {
			int colon = 0, other = 0;

			for (size_t j = i + 7; j < end && data[j] != '#'; j++) {
				int c = data[j];

				if (c == ':')
					colon = 1;
				else if (!(isdigit(c) || c == '.' || c == ' ' || c == '\t' ||
				           c == '"' || c == '[' || c == ']' || c == '\r' ||
				           (isxdigit(c) && colon)))
					other = 1;
			}
			/* Numeric IPv4, or hex-and-colons IPv6; anything else may be a name. */
			if (other)
				return 1;
		}
		i = end + 1;
	}
	return 0;
}

static void check_services(const struct cfg_service *s)
{
	for (; s; s = s->next) {
		int kinds = (s->backends || s->emergency) + !!s->redirect_code + !!s->error_code;

		check(kinds == 1);
		check(!s->redirect_code || s->redirect_url);
		for (const struct cfg_backend *b = s->backends; b; b = b->next)
			check(b->priority >= 0 && b->priority <= CFG_MAX_PRIORITY &&
			      b->timeout > 0 && b->conn_to > 0 && b->ws_timeout > 0 &&
			      !b->emergency);
		check(!s->emergency || s->emergency->emergency);
	}
}

static void check_config(const struct config *cfg)
{
	for (unsigned i = 0; i < cfg->nbackends; i++)
		check(cfg->backend_by_id[i]->id == i && cfg->backend_by_id[i]->addr_text);
	check(cfg->nfiles >= 1);
	check(cfg->listeners != NULL);
	for (const struct cfg_listener *l = cfg->listeners; l; l = l->next) {
		int level = config_log_level(cfg, l);

		check(l->addr_text != NULL && level >= 0 && level <= 5);
		check(l->client_to > 0 && l->xhttp >= 0 && l->xhttp <= 4);
		check_services(l->services);
	}
	check_services(cfg->services);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config *cfg = (struct config *)&cfg; /* must be overwritten */
	struct seen seen = {0, 0};
	int fd, rc;

	if (!dir[0]) {
		snprintf(dir, sizeof(dir), "%s", "/tmp/pinfold-fuzz-config-XXXXXX");
		if (!mkdtemp(dir))
			abort();
		snprintf(path, sizeof(path), "%s/input.cfg", dir);
		atexit(cleanup);
	}
	if (needs_dns(data, size))
		return 0;
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0)
		abort();
	if (size && write(fd, data, size) != (ssize_t)size)
		abort();
	close(fd);

	rc = config_load(path, &cfg, diag, &seen);
	check(rc == seen.errors);
	if (rc) {
		check(cfg == NULL);
		return 0;
	}
	check(cfg != NULL);
	check_config(cfg);
	config_free(cfg);
	return 0;
}
