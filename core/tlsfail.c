/*
 * tlsfail.c - the handshake failure summary (see tlsfail.h).
 *
 * Reasons and addresses are counted with the space-saving scheme: a fixed
 * table of slots, and a key that finds no slot takes over the smallest
 * one, inheriting its count.  A scanner's address or a common reason
 * therefore reaches the top however many others pass by, in constant
 * memory.  The count shown is the part certain to be its own.
 */
#include "tlsfail.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "log.h"

static void tick(struct timer *t, void *arg)
{
	tlsfail_flush(arg, t->when);
}

void tlsfail_init(struct tlsfail *f, struct timers *timers)
{
	memset(f, 0, sizeof(*f));
	f->timers = timers;
	timer_init(&f->tm, tick, f);
}

/* Count key in the table; 1 when it took a new slot. */
static int count_key(struct tlsfail_slot *t, const char *key)
{
	struct tlsfail_slot *min = &t[0];

	for (int i = 0; i < TLSFAIL_SLOTS; i++) {
		if (t[i].n && strcmp(t[i].key, key) == 0) {
			t[i].n++;
			return 0;
		}
		if (t[i].n < min->n)
			min = &t[i];
	}
	snprintf(min->key, sizeof(min->key), "%s", key);
	min->err = min->n;
	min->n++;
	return 1;
}

void tlsfail_note(struct tlsfail *f, uint64_t now, int interval_s, const char *peer,
                  const char *why)
{
	if (f->count == 0) {
		f->since = now;
		/* no room in the heap: the next failure tries again, the count goes on */
		timer_set(f->timers, &f->tm, now + (uint64_t)interval_s * 1000);
	}
	f->count++;
	count_key(f->why, why && why[0] ? why : "unknown");
	f->naddr_seen += (unsigned)count_key(f->addr, peer);
}

/* Indices of the TLSFAIL_TOP largest counts, largest first; how many there are. */
static int top(const struct tlsfail_slot *t, int *idx)
{
	int n = 0;

	for (int i = 0; i < TLSFAIL_SLOTS; i++) {
		int k = n;

		if (!t[i].n)
			continue;
		if (k == TLSFAIL_TOP) {
			if (t[idx[k - 1]].n >= t[i].n)
				continue;
			k--; /* the smallest of the top drops out */
		} else {
			n++;
		}
		for (; k > 0 && t[idx[k - 1]].n < t[i].n; k--)
			idx[k] = idx[k - 1];
		idx[k] = i;
	}
	return n;
}

static size_t put(char *buf, size_t len, size_t pos, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static size_t put(char *buf, size_t len, size_t pos, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (pos >= len)
		return pos;
	va_start(ap, fmt);
	n = vsnprintf(buf + pos, len - pos, fmt, ap);
	va_end(ap);
	if (n < 0)
		return pos;
	return pos + (size_t)n < len ? pos + (size_t)n : len - 1;
}

size_t tlsfail_format(const struct tlsfail *f, uint64_t now, char *buf, size_t len)
{
	int idx[TLSFAIL_TOP], n;
	size_t pos = 0;
	uint64_t secs = now > f->since ? (now - f->since + 500) / 1000 : 0;

	if (!f->count || !len)
		return 0;
	pos = put(buf, len, pos,
	          "%" PRIu64 " TLS handshake%s failed in %" PRIu64 " s; reasons:", f->count,
	          f->count == 1 ? "" : "s", secs);
	n = top(f->why, idx);
	for (int i = 0; i < n; i++)
		pos = put(buf, len, pos, "%s %s (%" PRIu64 ")", i ? "," : "", f->why[idx[i]].key,
		          f->why[idx[i]].n - f->why[idx[i]].err);
	pos = put(buf, len, pos, "; clients:");
	n = top(f->addr, idx);
	for (int i = 0; i < n; i++)
		pos = put(buf, len, pos, "%s %s (%" PRIu64 ")", i ? "," : "", f->addr[idx[i]].key,
		          f->addr[idx[i]].n - f->addr[idx[i]].err);
	if (f->naddr_seen > (unsigned)n)
		pos = put(buf, len, pos, ", %u more", f->naddr_seen - (unsigned)n);
	return pos;
}

void tlsfail_flush(struct tlsfail *f, uint64_t now)
{
	char line[512];

	if (tlsfail_format(f, now, line, sizeof(line)))
		log_msg(LOG_NOTICE, "%s", line);
	timer_cancel(f->timers, &f->tm);
	f->count = 0;
	f->naddr_seen = 0;
	memset(f->why, 0, sizeof(f->why));
	memset(f->addr, 0, sizeof(f->addr));
}

void tlsfail_free(struct tlsfail *f)
{
	timer_cancel(f->timers, &f->tm);
}
