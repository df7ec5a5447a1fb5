/*
 * fuzz_control.c - libFuzzer harness for what a Control socket client sends:
 * the request line parser and the backend names it carries, resolved against
 * a fixed configuration.  A parsed request has a bounded argument; a name
 * resolves to -1 or to 1..max valid backend ids, and every id's path names
 * that backend again.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "control.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CFG                                                                                        \
	"ListenHTTP\n Address 127.0.0.1\n Port 7080\n"                                             \
	" Service \"a\"\n  BackEnd\n   Address 127.0.0.2\n   Port 9001\n  End\n"                   \
	"  Emergency\n   Address 127.0.0.9\n   Port 9009\n  End\n End\n"                           \
	"End\n"                                                                                    \
	"Service\n  BackEnd\n   Address 127.0.0.2\n   Port 9001\n  End\n"                          \
	"  BackEnd\n   Address [::1]\n   Port 80\n  End\nEnd\n"

static void check(int ok)
{
	if (!ok)
		abort();
}

static struct config *load_once(void)
{
	static struct config *cfg;
	char path[] = "/tmp/pinfold-fuzz-control-XXXXXX";
	int fd;

	if (cfg)
		return cfg;
	fd = mkstemp(path);
	check(fd >= 0);
	check(write(fd, CFG, strlen(CFG)) == (ssize_t)strlen(CFG));
	close(fd);
	check(config_load(path, &cfg, NULL, NULL) == 0);
	unlink(path);
	return cfg;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct config *cfg = load_once();
	struct ctl_req rq;
	unsigned ids[4];
	char err[256], path[32];
	int n;

	if (control_parse_request((const char *)data, size, &rq, err, sizeof(err)) < 0) {
		check(err[0] != '\0');
		return 0;
	}
	check(strlen(rq.arg) < CTL_MAX_REQUEST && rq.cmd <= CTL_CHECK);
	check(rq.cmd == CTL_LIST ? rq.arg[0] == '\0' : 1);
	n = control_find_backends(cfg, rq.arg, ids, 4, err, sizeof(err));
	check(n == -1 || (n >= 1 && n <= 4));
	for (int i = 0; i < n; i++) {
		unsigned again[4];

		check(ids[i] < cfg->nbackends);
		control_backend_path(cfg, ids[i], path, sizeof(path));
		check(control_find_backends(cfg, path, again, 4, err, sizeof(err)) == 1);
		check(again[0] == ids[i]);
	}
	return 0;
}
