/*
 * tlsfail.h - failed TLS handshakes of clients, counted instead of logged
 * one by one: a scanner on port 443 would otherwise fill a router's small
 * syslog ring in minutes and push out what matters.  The first failure of a
 * quiet spell arms a timer; when it fires, one summary line says how many
 * failed, the commonest reasons and the busiest client addresses.
 */
#ifndef PINFOLD_TLSFAIL_H
#define PINFOLD_TLSFAIL_H

#include <stddef.h>
#include <stdint.h>

#include "net.h"
#include "timer.h"

#define TLSFAIL_SLOTS 16 /* distinct reasons / addresses tracked (heavy hitters) */
#define TLSFAIL_TOP   3  /* of each named in the summary */
#define TLSFAIL_WHY   64

struct tlsfail_slot {
	uint64_t n;
	uint64_t err; /* of n, inherited from the key it replaced: n - err is certain */
	char key[NET_ADDRSTRLEN > TLSFAIL_WHY ? NET_ADDRSTRLEN : TLSFAIL_WHY];
};

struct tlsfail {
	uint64_t count; /* failures since the last summary */
	uint64_t since; /* when the first of them came (ms) */
	struct tlsfail_slot why[TLSFAIL_SLOTS], addr[TLSFAIL_SLOTS];
	unsigned naddr_seen; /* distinct addresses, as far as the table could tell */
	struct timer tm;
	struct timers *timers;
};

void tlsfail_init(struct tlsfail *f, struct timers *timers);
/* Count one failure at `now`; the summary follows within `interval_s` seconds. */
void tlsfail_note(struct tlsfail *f, uint64_t now, int interval_s, const char *peer,
                  const char *why);
/* The summary of what was counted (no newline); its length, 0 when nothing was. */
size_t tlsfail_format(const struct tlsfail *f, uint64_t now, char *buf, size_t len);
/* Log the summary now (if any) and start counting afresh; the timer calls it too. */
void tlsfail_flush(struct tlsfail *f, uint64_t now);
void tlsfail_free(struct tlsfail *f);

#endif
