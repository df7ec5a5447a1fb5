/*
 * proxy.h - the running proxy: start, reload, the main loop, stop.  Its state,
 * struct proxy (core/proxy_state.h), is one context passed to the modules that
 * need it instead of globals: the loop (core/loop.h), the current generation
 * (core/gen.h), the listening sockets and the client connections.
 */
#ifndef PINFOLD_PROXY_H
#define PINFOLD_PROXY_H

#include "config.h"
#include "proxy_state.h"

/*
 * Set up runtime state for cfg and open every listener (taking ownership of
 * cfg).  path is the config file, read again on SIGHUP.  0, or -1 (logged).
 */
int proxy_init(struct proxy *px, struct config *cfg, const char *path);
/* For -c: build (and free) every TLS context, so bad certificates show now.  Error count. */
int proxy_check_files(struct config *cfg);
/* Called once privileges are dropped: later reloads read files inside the jail. */
void proxy_jailed(struct proxy *px, const char *jail);
/* Re-read the config and certificates; on any error keep running the old ones. */
int proxy_reload(struct proxy *px);
/* Start watching listeners and signals; run until stopped.  Returns the exit code. */
int proxy_run(struct proxy *px);
void proxy_free(struct proxy *px);

#endif
