/*
 * connlimit.c - per-address connection counts in a uthash table.
 */
#include "connlimit.h"

#include <stdlib.h>
#include <string.h>

#define HASH_NONFATAL_OOM 1
#include <uthash.h>

struct cl_entry {
	struct acl_addr key; /* a client key (acl_addr_client_key), zero-padded */
	uint32_t n;
	UT_hash_handle hh;
};

struct connlimit {
	struct cl_entry *hash;
	uint32_t entries;
};

struct connlimit *connlimit_new(void)
{
	return calloc(1, sizeof(struct connlimit));
}

void connlimit_free(struct connlimit *t)
{
	struct cl_entry *e, *tmp;

	if (!t)
		return;
	HASH_ITER(hh, t->hash, e, tmp)
	{
		HASH_DEL(t->hash, e);
		free(e);
	}
	free(t);
}

static struct cl_entry *find(const struct connlimit *t, const struct acl_addr *a)
{
	struct acl_addr k;
	struct cl_entry *e;

	acl_addr_client_key(a, &k);
	HASH_FIND(hh, t->hash, &k, sizeof(k), e);
	return e;
}

int connlimit_acquire(struct connlimit *t, const struct acl_addr *a, uint32_t max)
{
	struct cl_entry *e = find(t, a);

	if (e) {
		if (max && e->n >= max)
			return -1;
		e->n++;
		return 0;
	}
	e = calloc(1, sizeof(*e));
	if (!e)
		return -2;
	acl_addr_client_key(a, &e->key);
	e->n = 1;
	HASH_ADD(hh, t->hash, key, sizeof(e->key), e);
	if (!e->hh.tbl) {
		free(e);
		return -2;
	}
	t->entries++;
	return 0;
}

void connlimit_release(struct connlimit *t, const struct acl_addr *a)
{
	struct cl_entry *e = find(t, a);

	if (!e)
		return;
	if (--e->n == 0) {
		HASH_DEL(t->hash, e);
		free(e);
		t->entries--;
	}
}

uint32_t connlimit_count(const struct connlimit *t, const struct acl_addr *a)
{
	const struct cl_entry *e = find(t, a);

	return e ? e->n : 0;
}

uint32_t connlimit_entries(const struct connlimit *t)
{
	return t->entries;
}
