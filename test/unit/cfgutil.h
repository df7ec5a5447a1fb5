/*
 * cfgutil.h - test helper: load a config from a string through the real
 * parser (written to a temporary file), collecting diagnostics.
 */
#ifndef PINFOLD_TEST_CFGUTIL_H
#define PINFOLD_TEST_CFGUTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"

static char cfgutil_diag[4096];

static void cfgutil_collect(void *ctx, int is_error, const char *msg)
{
	size_t l = strlen(cfgutil_diag);

	snprintf(cfgutil_diag + l, sizeof(cfgutil_diag) - l, "%s\n", msg);
}

/* Returns the config or NULL (diagnostics in cfgutil_diag). */
static struct config *cfgutil_load(const char *text)
{
	char path[] = "/tmp/pinfold-test-XXXXXX";
	struct config *cfg = NULL;
	int fd = mkstemp(path);
	size_t len = strlen(text);

	cfgutil_diag[0] = '\0';
	if (fd < 0 || write(fd, text, len) != (ssize_t)len) {
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	close(fd);
	if (config_load(path, &cfg, cfgutil_collect, NULL) != 0)
		cfg = NULL;
	unlink(path);
	return cfg;
}

#endif
