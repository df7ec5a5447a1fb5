/*
 * ratelimit.h - token buckets per client address, in one bounded table.
 *
 * A bucket is found by (slot, address): the slot says which limit it belongs
 * to (a listener's RateLimit, a service's, the failed-login limit), so one
 * table and one memory bound serve them all.  Buckets refill lazily from the
 * time of their last use: nothing runs between requests and no timer is set.
 * At the entry cap the least recently used bucket is reused, so memory stays
 * fixed however many addresses show up; a bucket that has not been used for
 * a while is full again anyway, so evicting it loses little.
 */
#ifndef PINFOLD_RATELIMIT_H
#define PINFOLD_RATELIMIT_H

#include <stdint.h>

#include "acl.h"

#define RL_DEFAULT_ENTRIES 4096

/* `count` requests per `period_ms`, at most `burst` at once (burst >= 1). */
struct rl_rate {
	uint32_t count;
	uint32_t period_ms;
	uint32_t burst;
};

struct rl_table;

/* A table of at most max_entries buckets (>= 1); NULL when out of memory. */
struct rl_table *rl_new(uint32_t max_entries);
void rl_free(struct rl_table *t);

/*
 * Spend one token from the bucket (slot, address) at time `now` (ms).
 * Returns 0 when it was there; otherwise nothing is spent and the result is
 * how many ms until a token will be there (>= 1).  A new address starts with
 * a full bucket.  When the table cannot grow (out of memory) the request is
 * allowed: a limiter must not turn a memory shortage into an outage.
 */
uint64_t rl_take(struct rl_table *t, uint32_t slot, const struct acl_addr *a,
                 const struct rl_rate *r, uint64_t now);

/* As rl_take, without spending: would a token be there now? */
uint64_t rl_peek(struct rl_table *t, uint32_t slot, const struct acl_addr *a,
                 const struct rl_rate *r, uint64_t now);

/* Counters, for tests and the log. */
uint32_t rl_entries(const struct rl_table *t);
uint64_t rl_evictions(const struct rl_table *t);

#endif
