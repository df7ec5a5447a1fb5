/*
 * lru.h - an intrusive recency list for the bounded tables (rate-limit buckets,
 * session pins): an entry embeds a struct lru_link, its table a struct lru, and
 * the table evicts from the oldest end when full.  Nothing is allocated here.
 */
#ifndef PINFOLD_LRU_H
#define PINFOLD_LRU_H

#include <stddef.h>

struct lru_link {
	struct lru_link *newer, *older;
};

struct lru {
	struct lru_link *newest, *oldest;
};

/* The entry of type `type` whose member `member` is the link `l` (l may be NULL). */
#define LRU_ENTRY(l, type, member)                                                                 \
	((l) ? (type *)(void *)((char *)(l)-offsetof(type, member)) : (type *)NULL)

static inline void lru_unlink(struct lru *t, struct lru_link *e)
{
	if (e->newer)
		e->newer->older = e->older;
	else
		t->newest = e->older;
	if (e->older)
		e->older->newer = e->newer;
	else
		t->oldest = e->newer;
	e->newer = e->older = NULL;
}

static inline void lru_push_newest(struct lru *t, struct lru_link *e)
{
	e->older = t->newest;
	e->newer = NULL;
	if (t->newest)
		t->newest->newer = e;
	t->newest = e;
	if (!t->oldest)
		t->oldest = e;
}

/* Used again: move to the newest end. */
static inline void lru_touch(struct lru *t, struct lru_link *e)
{
	lru_unlink(t, e);
	lru_push_newest(t, e);
}

#endif
