/*
 * control.h - the Control socket: a UNIX stream socket on the main loop where
 * pinfoldctl reads the runtime state (listeners, services, backends and their
 * counters) and disables, enables or probes backends.  One request line per
 * connection, one reply, then the connection is closed:
 *
 *   request:  [json] list | disable BACKEND | enable BACKEND | check [BACKEND]
 *   reply:    "OK\n" and the body, or "ERR message\n"
 *
 * BACKEND is a path "L/S/B" (listener, service in it, backend in it, all from 0
 * in config order; "-" for L names the global services; the Emergency backend
 * comes after the regular ones) or an address "127.0.0.2:8080" / "[::1]:80",
 * which names every backend with that address.
 */
#ifndef PINFOLD_CONTROL_H
#define PINFOLD_CONTROL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "config.h"
#include "buildopts.h"
#include "gen.h"
#include "health.h"
#include "proxy_state.h"

#define CTL_MAX_REQUEST 512 /* bytes of a request line, newline included */

enum ctl_cmd { CTL_LIST, CTL_DISABLE, CTL_ENABLE, CTL_CHECK };

struct ctl_req {
	enum ctl_cmd cmd;
	int json;
	char arg[CTL_MAX_REQUEST]; /* the BACKEND, or "" */
};

/* A reply being built: grows as needed up to a cap; oom set when it could not. */
struct ctl_out {
	char *p;
	size_t len, cap;
	int oom;
};

#if PINFOLD_CONTROL
/*
 * Bind the socket at path (replacing a stale one nothing answers on), mode
 * 0600.  Called while still root, before chroot.  0, or -1 (logged).
 */
int control_open(struct proxy *px, const char *path);
/* Hand the socket file to the ids pinfold drops to ((uid_t)-1: keep).  0 or -1 (logged). */
int control_chown(struct proxy *px, uid_t uid, gid_t gid);
/* Start accepting on the main loop.  0, or -1 (logged). */
int control_start(struct proxy *px);
/* Close every control connection and the socket, and remove the socket file. */
void control_close(struct proxy *px);
/* Whether a reloaded config's Control (NULL: none) is the socket in use. */
int control_same_path(const struct control *ctl, const char *path);
#else
/* Built without it (PINFOLD_CONTROL=OFF): the parser refuses Control, so there is none. */
static inline int control_open(struct proxy *px, const char *path)
{
	return -1;
}
static inline int control_chown(struct proxy *px, uid_t uid, gid_t gid)
{
	return 0;
}
static inline int control_start(struct proxy *px)
{
	return 0;
}
static inline void control_close(struct proxy *px)
{
}
static inline int control_same_path(const struct control *ctl, const char *path)
{
	return path == NULL;
}
#endif

/* ---- the pure parts, exported for the unit test ---- */

/* Parse one request line (without its newline).  0, or -1 with a message in err. */
int control_parse_request(const char *line, size_t len, struct ctl_req *rq, char *err,
                          size_t errlen);
/*
 * The backend ids a BACKEND names (see above), at most max of them, in id
 * order.  Their number (>= 1), or -1 with a message in err.
 */
int control_find_backends(const struct config *cfg, const char *spec, unsigned *ids, unsigned max,
                          char *err, size_t errlen);
/* "L/S/B" of backend id into buf (size >= 32); returns buf. */
char *control_backend_path(const struct config *cfg, unsigned id, char *buf, size_t len);
/*
 * The state of generation g as aligned tables or as one JSON object; hs is its
 * health-check state by backend id (NULL: no probe in flight).
 */
void control_list(const struct gen *g, const struct hc_state *hs, long pid, uint64_t uptime_s, int conns, int json,
                  struct ctl_out *o);
void ctl_out_free(struct ctl_out *o);

#endif
