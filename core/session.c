/*
 * session.c - the session pin table (uthash keyed by slot + key bytes, with
 * a recency list for eviction) and the session keys of requests and
 * responses for each Session Type.
 */
#include "session.h"
#include "lru.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* A failed allocation must not exit the process: the table just does not grow. */
#define HASH_NONFATAL_OOM 1
#include <uthash.h>

#define SWEEP_MAX 8 /* expired pins dropped per insert, so an insert stays cheap */

struct sess_entry {
	uint64_t expires; /* ms */
	uint64_t ttl_ms;
	unsigned be;
	struct lru_link lru;
	UT_hash_handle hh;
	size_t klen;
	unsigned char key[]; /* 4 bytes of slot, then the key */
};

struct sess_table {
	struct sess_entry *hash;
	struct lru lru; /* newest first: eviction takes the oldest */
	uint32_t n, max;
	uint64_t evictions;
};

struct sess_table *sess_new(uint32_t max_entries)
{
	struct sess_table *t = calloc(1, sizeof(*t));

	if (t)
		t->max = max_entries ? max_entries : 1;
	return t;
}

void sess_free(struct sess_table *t)
{
	struct sess_entry *e, *tmp;

	if (!t)
		return;
	HASH_ITER(hh, t->hash, e, tmp)
	{
		HASH_DEL(t->hash, e);
		free(e);
	}
	free(t);
}

static struct sess_entry *oldest(const struct sess_table *t)
{
	return LRU_ENTRY(t->lru.oldest, struct sess_entry, lru);
}

static void remove_entry(struct sess_table *t, struct sess_entry *e)
{
	lru_unlink(&t->lru, &e->lru);
	HASH_DEL(t->hash, e);
	t->n--;
	free(e);
}

/* slot + key as one byte string; 0 when the key is too long to pin */
static size_t make_key(unsigned char *out, uint32_t slot, const char *key, size_t len)
{
	if (len > SESS_KEY_MAX)
		return 0;
	memcpy(out, &slot, sizeof(slot));
	memcpy(out + sizeof(slot), key, len);
	return sizeof(slot) + len;
}

/* The entry for (slot, key), or NULL; k receives the table key, *klen its length (0: none). */
static struct sess_entry *find(struct sess_table *t, uint32_t slot, const char *key, size_t len,
                               unsigned char *k, size_t *klen)
{
	struct sess_entry *e = NULL;

	*klen = t ? make_key(k, slot, key, len) : 0;
	if (*klen)
		HASH_FIND(hh, t->hash, k, *klen, e);
	return e;
}

int sess_find(struct sess_table *t, uint32_t slot, const char *key, size_t len, uint64_t now)
{
	unsigned char k[sizeof(uint32_t) + SESS_KEY_MAX];
	size_t klen;
	struct sess_entry *e = find(t, slot, key, len, k, &klen);

	if (!e)
		return -1;
	if (e->expires <= now) {
		remove_entry(t, e);
		return -1;
	}
	e->expires = now + e->ttl_ms;
	lru_touch(&t->lru, &e->lru);
	return (int)e->be;
}

int sess_pin(struct sess_table *t, uint32_t slot, const char *key, size_t len, unsigned be,
             uint64_t now, uint64_t ttl_ms)
{
	unsigned char k[sizeof(uint32_t) + SESS_KEY_MAX];
	size_t klen;
	struct sess_entry *e = find(t, slot, key, len, k, &klen);

	if (!klen)
		return -1;
	if (e) {
		lru_unlink(&t->lru, &e->lru);
	} else {
		/* the least recently used are the likeliest to have expired */
		for (int i = 0; i < SWEEP_MAX && oldest(t) && oldest(t)->expires <= now; i++)
			remove_entry(t, oldest(t));
		if (t->n >= t->max && oldest(t)) {
			remove_entry(t, oldest(t));
			t->evictions++;
		}
		e = calloc(1, sizeof(*e) + klen);
		if (!e)
			return -1;
		memcpy(e->key, k, klen);
		e->klen = klen;
		HASH_ADD_KEYPTR(hh, t->hash, e->key, e->klen, e);
		if (!e->hh.tbl) { /* uthash could not grow its buckets */
			free(e);
			return -1;
		}
		t->n++;
	}
	e->be = be;
	e->ttl_ms = ttl_ms;
	e->expires = now + ttl_ms;
	lru_push_newest(&t->lru, &e->lru);
	return 0;
}

uint32_t sess_entries(const struct sess_table *t)
{
	return t->n;
}

uint64_t sess_evictions(const struct sess_table *t)
{
	return t->evictions;
}

/* ---- keys ------------------------------------------------------------------------ */

/* In "a=1; b=2" (sep ';') or "a=1&b=2" (sep '&'), the value of `name`, or NULL. */
static const char *pair_value(const char *s, size_t len, char sep, const char *name, size_t nlen,
                              size_t *vlen)
{
	size_t i = 0;

	while (i < len) {
		size_t start, end, eq;

		while (i < len && (s[i] == ' ' || s[i] == '\t'))
			i++;
		start = i;
		while (i < len && s[i] != sep)
			i++;
		end = i;
		if (i < len)
			i++; /* the separator */
		for (eq = start; eq < end && s[eq] != '='; eq++)
			;
		if (eq < end && eq - start == nlen && memcmp(s + start, name, nlen) == 0) {
			while (end > eq + 1 && (s[end - 1] == ' ' || s[end - 1] == '\t'))
				end--;
			if (end == eq + 1)
				return NULL; /* "name=" carries no session */
			*vlen = end - eq - 1;
			return s + eq + 1;
		}
	}
	return NULL;
}

static const char *header_value(const char *buf, const struct http_msg *m, const char *name,
                                size_t *len)
{
	const struct http_hdr *h = http_hdr_find(buf, m, name);

	if (!h || !h->value_len)
		return NULL;
	*len = h->value_len;
	return buf + h->value_off;
}

/*
 * The value of cookie se->id in the `field` headers: every pair of a Cookie
 * line, only the first pair of a Set-Cookie line (the rest are attributes).
 */
static const char *cookie_value(const struct cfg_session *se, const char *buf,
                                const struct http_msg *m, const char *field, size_t *len)
{
	int set = strcasecmp(field, "Set-Cookie") == 0;

	for (int i = 0; i < m->nhdr; i++) {
		const struct http_hdr *h = &m->hdr[i];
		const char *v = buf + h->value_off, *semi;
		size_t vlen = h->value_len;

		if (!http_hdr_name_is(buf, h, field))
			continue;
		semi = set ? memchr(v, ';', vlen) : NULL;
		if (semi)
			vlen = (size_t)(semi - v);
		v = pair_value(v, vlen, ';', se->id, se->id_len, len);
		if (v)
			return v;
	}
	return NULL;
}

const char *sess_request_key(const struct cfg_session *se, const char *buf,
                             const struct http_msg *m, const char *client, size_t *len)
{
	const char *target = buf + m->target_off, *v, *semi;
	size_t vlen;

	switch (se->type) {
	case SESS_IP:
		if (!client || !client[0])
			return NULL;
		*len = strlen(client);
		return client;
	case SESS_BASIC:
		v = header_value(buf, m, "Authorization", &vlen);
		if (!v || vlen <= 6 || strncasecmp(v, "Basic ", 6) != 0)
			return NULL;
		*len = vlen - 6;
		return v + 6;
	case SESS_URL:
		if (m->path_len >= m->target_len)
			return NULL;
		return pair_value(target + m->path_len + 1, m->target_len - m->path_len - 1, '&',
		                  se->id, se->id_len, len);
	case SESS_PARM:
		semi = memchr(target, ';', m->path_len);
		if (!semi || (size_t)(target + m->path_len - semi) <= 1)
			return NULL;
		*len = (size_t)(target + m->path_len - semi) - 1;
		return semi + 1;
	case SESS_COOKIE:
		return cookie_value(se, buf, m, "Cookie", len);
	case SESS_HEADER:
		if (m->host_len && strcasecmp(se->id, "Host") == 0) {
			*len = m->host_len; /* one host, one key, however it was spelled */
			return m->host;
		}
		return header_value(buf, m, se->id, len);
	default:
		return NULL;
	}
}

const char *sess_response_key(const struct cfg_session *se, const char *buf,
                              const struct http_msg *m, size_t *len)
{
	switch (se->type) {
	case SESS_COOKIE:
		return cookie_value(se, buf, m, "Set-Cookie", len);
	case SESS_HEADER:
		return header_value(buf, m, se->id, len);
	default:
		return NULL;
	}
}
