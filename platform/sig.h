/*
 * sig.h - signals through a self-pipe, so the poll loop sees them as an fd.
 * SIGPIPE is ignored: a peer closing is handled by write() returning EPIPE.
 */
#ifndef PINFOLD_SIG_H
#define PINFOLD_SIG_H

#define SIGF_TERM 0x01 /* SIGTERM or SIGINT: graceful stop */
#define SIGF_HUP  0x02 /* SIGHUP: reload */
#define SIGF_CHLD 0x04 /* SIGCHLD */

/* Install handlers; returns the read end of the self-pipe (non-blocking) or -1.
 * A second call returns the same fd: main installs them before binding, the loop
 * asks for the fd. */
int sig_init(void);

/* Drain the pipe and return the SIGF_* bits seen since the last call. */
int sig_take(void);

#endif
