/*
 * tlsreuse.c - resumption state shared by TLS contexts of unchanged settings
 * (see tlsreuse.h for why it is a process-wide list).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tlsreuse.h"

static struct tlsreuse *live; /* the entries in use, newest first */

/* Through a volatile pointer, so the compiler cannot drop it as a dead store. */
static void wipe(void *p, size_t n)
{
	volatile unsigned char *v = p;

	while (n-- > 0)
		*v++ = 0;
}

struct idbuf {
	unsigned char *p;
	size_t len, cap;
};

static int idbuf_put(struct idbuf *b, const void *data, size_t n)
{
	if (b->len + n > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;
		unsigned char *np;

		while (cap < b->len + n)
			cap *= 2;
		np = malloc(cap); /* not realloc: the old copy may hold a key, and is wiped */
		if (np == NULL)
			return -1;
		if (b->p != NULL) {
			memcpy(np, b->p, b->len);
			wipe(b->p, b->cap);
			free(b->p);
		}
		b->p = np;
		b->cap = cap;
	}
	memcpy(b->p + b->len, data, n);
	b->len += n;
	return 0;
}

static int idbuf_int(struct idbuf *b, long v)
{
	return idbuf_put(b, &v, sizeof(v));
}

/* A string with its length (so "ab"+"c" never reads as "a"+"bc"); NULL differs from "". */
static int idbuf_str(struct idbuf *b, const char *s)
{
	if (s == NULL)
		return idbuf_int(b, -1);
	return idbuf_int(b, (long)strlen(s)) || idbuf_put(b, s, strlen(s));
}

/* The file's name and bytes; a file that cannot be read makes no identity. */
static int idbuf_file(struct idbuf *b, const char *path, char *err, size_t errlen)
{
	FILE *f;
	unsigned char chunk[4096];
	size_t n, total = 0;
	int rc = 0;

	if (idbuf_str(b, path) != 0)
		return -1;
	if (path == NULL)
		return 0;
	f = fopen(path, "rb");
	if (f == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	while (rc == 0 && (n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		rc = idbuf_put(b, chunk, n);
		total += n;
	}
	if (rc == 0 && ferror(f)) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		rc = -1;
	}
	fclose(f);
	wipe(chunk, sizeof(chunk));
	return rc || idbuf_int(b, (long)total);
}

unsigned char *tlsreuse_identity(const struct tls_server_opts *o, size_t *len, char *err,
                                 size_t errlen)
{
	struct idbuf b = {0};
	size_t i;
	int bad = 0;

	snprintf(err, errlen, "out of memory");
	bad |= idbuf_int(&b, (long)o->ncerts);
	for (i = 0; i < o->ncerts && !bad; i++)
		bad |= idbuf_file(&b, o->certs[i], err, errlen);
	if (!bad)
		bad |= idbuf_file(&b, o->client_ca, err, errlen);
	bad |= idbuf_int(&b, o->verify);
	bad |= idbuf_int(&b, o->min_version);
	bad |= idbuf_int(&b, o->max_version);
	bad |= idbuf_str(&b, o->ciphers);
	bad |= idbuf_int(&b, o->no_tickets);
	bad |= idbuf_int(&b, o->session_cache);
	if (bad) {
		if (b.p != NULL)
			wipe(b.p, b.cap);
		free(b.p);
		return NULL;
	}
	*len = b.len;
	return b.p;
}

struct tlsreuse *tlsreuse_find(const unsigned char *id)
{
	struct tlsreuse *r;

	for (r = live; r != NULL; r = r->next)
		if (memcmp(r->id, id, TLSREUSE_ID_LEN) == 0) {
			r->refs++;
			return r;
		}
	return NULL;
}

struct tlsreuse *tlsreuse_add(const unsigned char *id, void *state, void (*free_state)(void *))
{
	struct tlsreuse *r = calloc(1, sizeof(*r));

	if (r == NULL)
		return NULL;
	memcpy(r->id, id, TLSREUSE_ID_LEN);
	r->refs = 1;
	r->state = state;
	r->free_state = free_state;
	r->next = live;
	live = r;
	return r;
}

void tlsreuse_unref(struct tlsreuse *r)
{
	struct tlsreuse **pp;

	if (r == NULL || --r->refs > 0)
		return;
	for (pp = &live; *pp != NULL; pp = &(*pp)->next)
		if (*pp == r) {
			*pp = r->next;
			break;
		}
	r->free_state(r->state);
	free(r);
}
