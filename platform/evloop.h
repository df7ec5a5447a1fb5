/*
 * evloop.h - a small poll() event loop: file descriptors with callbacks,
 * nothing else.  It knows nothing of HTTP or timers; the caller passes the
 * poll timeout (from core/timer) to ev_wait().
 */
#ifndef PINFOLD_EVLOOP_H
#define PINFOLD_EVLOOP_H

#include <poll.h>
#include <stdint.h>

typedef void (*ev_fn)(void *arg, int fd, int revents);

struct evloop;

/* A loop for fds below `maxfds` (the RLIMIT_NOFILE soft limit is a good value). */
struct evloop *ev_new(int maxfds);
void ev_free(struct evloop *ev);

/* Watch fd for `events` (POLLIN/POLLOUT; 0: kept, but not polled, not even for
 * POLLHUP/POLLERR); 0, or -1 (fd too big, ENOMEM). */
int ev_add(struct evloop *ev, int fd, short events, ev_fn fn, void *arg);
/* Change what fd is watched for; cheap when unchanged. */
void ev_set(struct evloop *ev, int fd, short events);
/* Stop watching fd (call before close()). */
void ev_del(struct evloop *ev, int fd);
/* Number of fds watched. */
int ev_count(const struct evloop *ev);
/* Did the last poll() report events for fd that ev_dispatch() has not run yet? */
int ev_pending(const struct evloop *ev, int fd);
/* poll() calls so far: an fd watched since round r has been looked at when this is > r. */
uint64_t ev_rounds(const struct evloop *ev);

/*
 * poll() once; returns the number of ready fds (0 on timeout or EINTR), -1 on
 * error.  Then ev_dispatch() runs their callbacks: between the two the caller
 * refreshes its clock, so callbacks never see the time from before the wait.
 */
int ev_poll(struct evloop *ev, int timeout_ms);
int ev_dispatch(struct evloop *ev, int ready);

/*
 * poll() once and run the callbacks of ready fds.  An fd removed or added by
 * a callback is safe: it is simply not dispatched in this round.  Returns the
 * number of callbacks run, or -1 on a poll() error other than EINTR.
 */
int ev_wait(struct evloop *ev, int timeout_ms);

#endif
