/*
 * ratelimit.c - bounded token-bucket table (uthash keyed by slot + address,
 * with a recency list for eviction).
 *
 * Integer arithmetic only: a bucket holds `credit` in units where one token
 * is period_ms units and every millisecond adds `count` units, so N tokens
 * per P ms refill exactly, with no rounding drift, at any rate.
 */
#include "ratelimit.h"
#include "lru.h"

#include <stdlib.h>
#include <string.h>

/* A failed allocation must not exit the process: the table just does not grow. */
#define HASH_NONFATAL_OOM 1
#include <uthash.h>

struct rl_key {
	uint32_t slot;
	struct acl_addr addr;
};

struct rl_bucket {
	struct rl_key key; /* memset before filling: padding is part of the hashed bytes */
	uint64_t credit;
	uint64_t last; /* ms of the last refill */
	struct lru_link lru;
	UT_hash_handle hh;
};

struct rl_table {
	struct rl_bucket *hash;
	struct lru lru; /* newest first: eviction takes the oldest */
	uint32_t n, max;
	uint64_t evictions;
};

struct rl_table *rl_new(uint32_t max_entries)
{
	struct rl_table *t = calloc(1, sizeof(*t));

	if (t)
		t->max = max_entries ? max_entries : 1;
	return t;
}

void rl_free(struct rl_table *t)
{
	struct rl_bucket *b, *tmp;

	if (!t)
		return;
	HASH_ITER(hh, t->hash, b, tmp)
	{
		HASH_DEL(t->hash, b);
		free(b);
	}
	free(t);
}

static uint64_t capacity(const struct rl_rate *r)
{
	return (uint64_t)(r->burst ? r->burst : 1) * r->period_ms;
}

/* The bucket for key, made (full) if new; NULL only when none can be made. */
static struct rl_bucket *lookup(struct rl_table *t, const struct rl_key *k, const struct rl_rate *r,
                                uint64_t now)
{
	struct rl_bucket *b;

	HASH_FIND(hh, t->hash, k, sizeof(*k), b);
	if (b) {
		lru_touch(&t->lru, &b->lru);
		return b;
	}
	if (t->n >= t->max && t->lru.oldest) {
		b = LRU_ENTRY(t->lru.oldest, struct rl_bucket, lru);
		lru_unlink(&t->lru, &b->lru);
		HASH_DEL(t->hash, b);
		t->n--;
		t->evictions++;
	} else {
		b = malloc(sizeof(*b));
		if (!b)
			return NULL;
	}
	memset(b, 0, sizeof(*b));
	b->key = *k;
	b->credit = capacity(r);
	b->last = now;
	HASH_ADD(hh, t->hash, key, sizeof(b->key), b);
	if (!b->hh.tbl) { /* uthash could not grow its buckets */
		free(b);
		return NULL;
	}
	lru_push_newest(&t->lru, &b->lru);
	t->n++;
	return b;
}

static void refill(struct rl_bucket *b, const struct rl_rate *r, uint64_t now)
{
	uint64_t cap = capacity(r), elapsed, room;

	if (now <= b->last)
		return;
	elapsed = now - b->last;
	b->last = now;
	if (b->credit >= cap) {
		b->credit = cap;
		return;
	}
	room = cap - b->credit;
	/* elapsed * count could overflow; compare with what fills the bucket first */
	if (elapsed >= (room + r->count - 1) / r->count)
		b->credit = cap;
	else
		b->credit += elapsed * r->count;
}

static uint64_t spend(struct rl_table *t, uint32_t slot, const struct acl_addr *a,
                      const struct rl_rate *r, uint64_t now, int take)
{
	struct rl_key k;
	struct rl_bucket *b;

	if (!r->count || !r->period_ms)
		return 0;
	memset(&k, 0, sizeof(k));
	k.slot = slot;
	acl_addr_client_key(a, &k.addr);
	b = lookup(t, &k, r, now);
	if (!b)
		return 0;
	refill(b, r, now);
	if (b->credit >= r->period_ms) {
		if (take)
			b->credit -= r->period_ms;
		return 0;
	}
	/* ceil((one token - credit) / units per ms) */
	return (r->period_ms - b->credit + r->count - 1) / r->count;
}

uint64_t rl_take(struct rl_table *t, uint32_t slot, const struct acl_addr *a,
                 const struct rl_rate *r, uint64_t now)
{
	return spend(t, slot, a, r, now, 1);
}

uint64_t rl_peek(struct rl_table *t, uint32_t slot, const struct acl_addr *a,
                 const struct rl_rate *r, uint64_t now)
{
	return spend(t, slot, a, r, now, 0);
}

uint32_t rl_entries(const struct rl_table *t)
{
	return t->n;
}

uint64_t rl_evictions(const struct rl_table *t)
{
	return t->evictions;
}
