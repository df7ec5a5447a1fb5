/*
 * sandbox.h - what the process gives up after start-up, beyond chroot and the
 * unprivileged user: core files and tracing (no keys on disk or in a debugger),
 * and on Linux most of the kernel (a seccomp allow-list and a Landlock rule set
 * that leaves the jail read-only).
 */
#ifndef PINFOLD_SANDBOX_H
#define PINFOLD_SANDBOX_H

#include <stddef.h>

/* Paths the running proxy may still remove at exit, as seen from inside the jail; may be NULL. */
struct sandbox_paths {
	const char *pidfile;
	const char *control;
};

/*
 * While the outside is still visible (before chroot): remember where the last
 * words of a process stopped by the filter go.  to_stderr: the log is stderr;
 * else a datagram socket to /dev/log is opened now, at `facility`.
 */
void sandbox_prepare(int to_stderr, int facility);

/*
 * After chroot and the privilege drop, before the first accept: no core files,
 * not traceable, no new privileges, then Landlock and the seccomp filter where
 * the build and the kernel have them.  A kernel that offers no seccomp (or
 * qemu-user, which refuses it) leaves a warning in the log and the proxy runs;
 * any other failure is an error.  0, or -1 with a message.
 */
int sandbox_enter(const struct sandbox_paths *paths, char *err, size_t errlen);

/*
 * Test builds only (PINFOLD_TESTS): when the environment variable
 * PINFOLD_TEST_FORBIDDEN names a call (fork, execve, socket-packet,
 * open-write, unlink:PATH), make
 * it now, so a test can watch the filter refuse it in a running proxy.  A no-op
 * in builds without tests and when the variable is unset.
 */
void sandbox_test_hook(void);

#endif
