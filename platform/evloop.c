/*
 * evloop.c - poll() backend of the event loop.
 *
 * The pollfd array is kept dense (removal swaps the last entry in), and
 * slot[fd] maps an fd to its index, so add/set/del are O(1) and poll() gets
 * exactly the watched fds.  slot[] holds index + 1 so that a zeroed (untouched,
 * hence not resident) table means "not watched".  Level-triggered: an fd skipped in one round is
 * reported again by the next poll().
 *
 * An fd watched for nothing (events 0: a client whose answer is still on its
 * way, say) stays in the array with a negative fd, which poll() skips: the
 * kernel visits every fd it is given on every call, and under load that visit
 * is a large part of what a request costs.  Such an fd no longer reports
 * POLLHUP/POLLERR; its owner finds out on its next read or write.
 */
#include "evloop.h"

#include <errno.h>
#include <stdlib.h>

struct ev_entry {
	ev_fn fn;
	void *arg;
	int fd; /* the fd, also while pfd[].fd is -1 (watched for nothing) */
	uint64_t dropped; /* the round whose events for it ev_del() dropped, see there */
};

struct evloop {
	struct pollfd *pfd;
	struct ev_entry *ent;
	int *slot; /* fd -> index in pfd + 1, 0 if not watched */
	int n;
	int maxfds;
	uint64_t rounds; /* poll() calls that returned */
};

struct evloop *ev_new(int maxfds)
{
	struct evloop *ev = calloc(1, sizeof(*ev));

	if (!ev)
		return NULL;
	ev->maxfds = maxfds;
	ev->pfd = calloc((size_t)maxfds, sizeof(*ev->pfd));
	ev->ent = calloc((size_t)maxfds, sizeof(*ev->ent));
	ev->slot = calloc((size_t)maxfds, sizeof(*ev->slot));
	if (!ev->pfd || !ev->ent || !ev->slot) {
		ev_free(ev);
		return NULL;
	}
	return ev;
}

void ev_free(struct evloop *ev)
{
	if (!ev)
		return;
	free(ev->pfd);
	free(ev->ent);
	free(ev->slot);
	free(ev);
}

int ev_add(struct evloop *ev, int fd, short events, ev_fn fn, void *arg)
{
	int i;

	if (fd < 0 || fd >= ev->maxfds) {
		errno = EMFILE;
		return -1;
	}
	i = ev->slot[fd] - 1;
	if (i < 0) {
		i = ev->n++;
		ev->slot[fd] = i + 1;
	}
	ev->pfd[i].fd = events ? fd : -1;
	ev->pfd[i].events = events;
	ev->pfd[i].revents = 0;
	ev->ent[i].fn = fn;
	ev->ent[i].arg = arg;
	ev->ent[i].fd = fd;
	ev->ent[i].dropped = 0;
	return 0;
}

void ev_set(struct evloop *ev, int fd, short events)
{
	if (fd >= 0 && fd < ev->maxfds && ev->slot[fd] > 0) {
		struct pollfd *p = &ev->pfd[ev->slot[fd] - 1];

		p->events = events;
		p->fd = events ? fd : -1;
	}
}

void ev_del(struct evloop *ev, int fd)
{
	int i, last;

	if (fd < 0 || fd >= ev->maxfds || ev->slot[fd] == 0)
		return;
	i = ev->slot[fd] - 1;
	last = --ev->n;
	if (i != last) {
		ev->pfd[i] = ev->pfd[last];
		ev->ent[i] = ev->ent[last];
		/* The moved entry may not have been dispatched yet: skip it this round,
		 * but ev_pending() still owns up to what poll() said about it. */
		if (ev->pfd[i].revents)
			ev->ent[i].dropped = ev->rounds;
		ev->pfd[i].revents = 0;
		ev->slot[ev->ent[i].fd] = i + 1;
	}
	ev->slot[fd] = 0;
}

int ev_count(const struct evloop *ev)
{
	return ev->n;
}

int ev_pending(const struct evloop *ev, int fd)
{
	int i;

	if (fd < 0 || fd >= ev->maxfds || ev->slot[fd] == 0)
		return 0;
	i = ev->slot[fd] - 1;
	return ev->pfd[i].revents || (ev->rounds && ev->ent[i].dropped == ev->rounds);
}

uint64_t ev_rounds(const struct evloop *ev)
{
	return ev->rounds;
}

int ev_poll(struct evloop *ev, int timeout_ms)
{
	int rc = poll(ev->pfd, (nfds_t)ev->n, timeout_ms);

	ev->rounds++;

	if (rc < 0)
		return errno == EINTR ? 0 : -1;
	return rc;
}

int ev_dispatch(struct evloop *ev, int ready)
{
	int ran = 0;

	for (int i = 0; i < ev->n && ready > 0; i++) {
		short re = ev->pfd[i].revents;

		if (!re)
			continue;
		ev->pfd[i].revents = 0;
		ready--;
		ran++;
		ev->ent[i].fn(ev->ent[i].arg, ev->ent[i].fd, re);
	}
	return ran;
}

int ev_wait(struct evloop *ev, int timeout_ms)
{
	int rc = ev_poll(ev, timeout_ms);

	return rc < 0 ? rc : ev_dispatch(ev, rc);
}
