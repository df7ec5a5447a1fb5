/*
 * session.h - session affinity (Pound's Session block): which backend a
 * client's session is pinned to, in one bounded table per configuration
 * generation, and where a request or response carries its session key.
 *
 * An entry is found by (slot, key): the slot is the Service's Session, so
 * one table and one memory bound serve every service.  A pin lasts TTL
 * seconds after its last use; expired pins are dropped when they are looked
 * up or when the table needs room, and at the entry cap the least recently
 * used pin is reused, so memory stays fixed however many sessions show up.
 * Keys longer than SESS_KEY_MAX are not pinned (that request is balanced).
 */
#ifndef PINFOLD_SESSION_H
#define PINFOLD_SESSION_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "buildopts.h"
#include "http.h"

#define SESS_KEY_MAX         128
#define SESS_DEFAULT_ENTRIES 4096

struct sess_table;

#if PINFOLD_SESSION
/* A table of at most max_entries pins (>= 1); NULL when out of memory. */
struct sess_table *sess_new(uint32_t max_entries);
void sess_free(struct sess_table *t);

/* The backend id pinned for (slot, key) at `now` (ms), or -1; a hit refreshes its TTL. */
int sess_find(struct sess_table *t, uint32_t slot, const char *key, size_t len, uint64_t now);

/* Pin (slot, key) to backend `be` for ttl_ms from now.  0, or -1 (key too long, no memory). */
int sess_pin(struct sess_table *t, uint32_t slot, const char *key, size_t len, unsigned be,
             uint64_t now, uint64_t ttl_ms);

/* Counters, for tests. */
uint32_t sess_entries(const struct sess_table *t);
uint64_t sess_evictions(const struct sess_table *t);

/*
 * The session key a request carries for `se` (a slice of buf, or `client`,
 * the client address, for Type IP); NULL when it carries none.
 */
const char *sess_request_key(const struct cfg_session *se, const char *buf,
                             const struct http_msg *m, const char *client, size_t *len);

/* The key a response pins (COOKIE: its Set-Cookie; HEADER: that header), or NULL. */
const char *sess_response_key(const struct cfg_session *se, const char *buf,
                              const struct http_msg *m, size_t *len);
#else
/*
 * Built without it (PINFOLD_SESSION=OFF): the parser refuses Session, so no service
 * has one and no table is made; these keep the callers free of #if.
 */
static inline struct sess_table *sess_new(uint32_t max_entries)
{
	return NULL;
}
static inline void sess_free(struct sess_table *t)
{
}
static inline int sess_find(struct sess_table *t, uint32_t slot, const char *key, size_t len,
                            uint64_t now)
{
	return -1;
}
static inline int sess_pin(struct sess_table *t, uint32_t slot, const char *key, size_t len,
                           unsigned be, uint64_t now, uint64_t ttl_ms)
{
	return -1;
}
static inline const char *sess_request_key(const struct cfg_session *se, const char *buf,
                                           const struct http_msg *m, const char *client,
                                           size_t *len)
{
	return NULL;
}
static inline const char *sess_response_key(const struct cfg_session *se, const char *buf,
                                            const struct http_msg *m, size_t *len)
{
	return NULL;
}
#endif

#endif
