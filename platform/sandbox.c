/*
 * sandbox.c - what the running proxy gives up (see sandbox.h).
 *
 * Everywhere: RLIMIT_CORE 0 and no tracing, so a crash or a debugger cannot
 * take the TLS keys out of memory (Linux: PR_SET_DUMPABLE 0; FreeBSD:
 * procctl PROC_TRACE_CTL, which also stops core dumps, and PROC_NO_NEW_PRIVS_CTL).
 *
 * Linux with PINFOLD_SANDBOX: a seccomp filter written here as a short BPF
 * program rather than through libseccomp.  The allow-list is one table of
 * __NR_ numbers taken from the target's own headers at compile time; the
 * program checks the audit architecture first (a call made through another
 * ABI, such as x32 on x86_64, is killed) and a few arguments (socket families,
 * no executable mappings, no file opened for writing, no SIGSYS handler
 * change, signals only to ourselves).  That is the same shape OpenSSH's
 * seccomp sandbox has, needs no library built for each cross target, and adds
 * about 5 KiB to the binary instead of libseccomp's size (README "Sandbox").
 * A call outside the list traps: the SIGSYS handler writes one line naming the
 * call, with write()/send() only, to stderr and to the log socket, then ends
 * the process.  A few calls get an errno instead, where a clean failure is the
 * safer answer (a library probing a call, a refused socket family).
 *
 * Landlock, where the kernel has it: the whole file system becomes read-only
 * (inside the jail that is the jail itself, which holds what a reload reads),
 * with removal allowed only in the directories of the pid file and the Control
 * socket, which are removed at exit; from ABI 6 on, no signals to processes
 * outside and no abstract UNIX sockets.
 */
#if defined(__linux__)
#define _GNU_SOURCE /* O_PATH, si_syscall, syscall() */
#elif defined(__FreeBSD__)
#define __BSD_VISIBLE 1 /* procctl */
#endif

#include "sandbox.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <syslog.h>
#include <unistd.h>

#include "buildopts.h"
#include "log.h"

#if defined(__linux__)
#include <sys/prctl.h>
#include <sys/syscall.h>
#elif defined(__FreeBSD__)
#include <sys/procctl.h>
#endif

#if defined(__linux__) && PINFOLD_SANDBOX
#include <stddef.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sched.h> /* CLONE_VM */
#include <sys/mman.h>
#include <termios.h>
#include <time.h>

#include "sandbox_arch.h"
#if defined(__has_include)
#if __has_include(<linux/landlock.h>)
#include <linux/landlock.h>
#endif
#endif
#endif

#define SANDBOX_EXIT 70 /* EX_SOFTWARE: the process broke its own rules */

static int trap_log_fd = -1;  /* datagram socket connected to /dev/log, or -1 */
static int trap_log_any = -1; /* unconnected, for a syslogd (re)started since */
static struct sockaddr_un trap_log_addr;
static int trap_log_prio = LOG_DAEMON | LOG_CRIT;
static int trap_to_stderr = 1;

void sandbox_prepare(int to_stderr, int facility)
{
	int fd;

	trap_to_stderr = to_stderr;
	trap_log_prio = (facility & LOG_FACMASK) | LOG_CRIT;
	if (to_stderr || trap_log_any >= 0)
		return;
	/*
	 * Our own sockets, not syslog(3)'s: the trap handler must not take the C
	 * library's syslog lock, which the trapped call itself may be holding.  One
	 * connected now, before the chroot (the jail may have no /dev/log), one to
	 * send to /dev/log by name if that fails (syslogd restarted, or the jail
	 * has its /dev/log, as jail/mkjail.sh -l makes it), as syslog(3) does.
	 */
	memset(&trap_log_addr, 0, sizeof(trap_log_addr));
	trap_log_addr.sun_family = AF_UNIX;
	memcpy(trap_log_addr.sun_path, "/dev/log", sizeof("/dev/log"));
	trap_log_any = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd >= 0 && connect(fd, (struct sockaddr *)&trap_log_addr, sizeof(trap_log_addr)) < 0) {
		close(fd);
		fd = -1;
	}
	trap_log_fd = fd;
}

/* ---- no core files, no tracing ------------------------------------------------------------ */

static int no_dumps(char *err, size_t errlen)
{
	struct rlimit rl = {0, 0};

	if (setrlimit(RLIMIT_CORE, &rl) < 0) {
		snprintf(err, errlen, "setrlimit(RLIMIT_CORE, 0): %s", strerror(errno));
		return -1;
	}
#if defined(__linux__)
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0) {
		snprintf(err, errlen, "prctl(PR_SET_DUMPABLE, 0): %s", strerror(errno));
		return -1;
	}
	/* Required before an unprivileged seccomp filter or Landlock; and exec gains nothing. */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
		snprintf(err, errlen, "prctl(PR_SET_NO_NEW_PRIVS, 1): %s", strerror(errno));
		return -1;
	}
#elif defined(__FreeBSD__)
	{
		int v = PROC_TRACE_CTL_DISABLE;

		/* not traceable, and (procctl(2)) no core dumps either */
		if (procctl(P_PID, getpid(), PROC_TRACE_CTL, &v) < 0) {
			snprintf(err, errlen, "procctl(PROC_TRACE_CTL): %s", strerror(errno));
			return -1;
		}
#ifdef PROC_NO_NEW_PRIVS_CTL /* FreeBSD 14 */
		v = PROC_NO_NEW_PRIVS_ENABLE;
		if (procctl(P_PID, getpid(), PROC_NO_NEW_PRIVS_CTL, &v) < 0) {
			snprintf(err, errlen, "procctl(PROC_NO_NEW_PRIVS_CTL): %s",
			         strerror(errno));
			return -1;
		}
#endif
	}
#endif
	return 0;
}

#if defined(__linux__) && PINFOLD_SANDBOX

/* ---- the seccomp filter ------------------------------------------------------------------ */

/* Everything the loop, a reload, health checks, the Control socket and the libraries need. */
/* clang-format off */
static const int allowed[] = {
	/* moving bytes: the loop, splice through pipes, writev of heads */
	__NR_read, __NR_write, __NR_readv, __NR_writev, __NR_close,
#ifdef __NR_pread64
	__NR_pread64,
#endif
	__NR_splice, __NR_pipe2,
#ifdef __NR_pipe
	__NR_pipe,
#endif
	/* waiting */
#ifdef __NR_poll
	__NR_poll,
#endif
	__NR_ppoll,
#ifdef __NR_ppoll_time64
	__NR_ppoll_time64,
#endif
	/* sockets: accept, backends, health checks, Control, SocketFrom, syslog, DNS on reload */
	__NR_accept4,
#ifdef __NR_accept
	__NR_accept,
#endif
	__NR_connect, __NR_bind, __NR_listen, __NR_shutdown, __NR_getsockname,
	__NR_getpeername, __NR_getsockopt, __NR_setsockopt, __NR_sendto, __NR_recvfrom,
	__NR_sendmsg, __NR_recvmsg,
#ifdef __NR_sendmmsg
	__NR_sendmmsg,
#endif
#ifdef __NR_send
	__NR_send,
#endif
#ifdef __NR_recv
	__NR_recv,
#endif
	/* file descriptors */
	__NR_fcntl,
#ifdef __NR_fcntl64
	__NR_fcntl64,
#endif
	__NR_dup3,
	/* reading files (reload, certificates, error pages, ACME challenges): open is checked */
#ifdef __NR_stat
	__NR_stat,
#endif
#ifdef __NR_lstat
	__NR_lstat,
#endif
#ifdef __NR_fstat
	__NR_fstat,
#endif
#ifdef __NR_newfstatat
	__NR_newfstatat,
#endif
#ifdef __NR_fstatat64
	__NR_fstatat64,
#endif
#ifdef __NR_stat64
	__NR_stat64,
#endif
#ifdef __NR_lstat64
	__NR_lstat64,
#endif
#ifdef __NR_fstat64
	__NR_fstat64,
#endif
#ifdef __NR_statx
	__NR_statx,
#endif
	__NR_lseek,
#ifdef __NR__llseek
	__NR__llseek,
#endif
	__NR_getdents64,
#ifdef __NR_readlink
	__NR_readlink,
#endif
	__NR_readlinkat,
#ifdef __NR_access
	__NR_access,
#endif
	__NR_faccessat,
	/* the pid file and the Control socket go at exit */
#ifdef __NR_unlink
	__NR_unlink,
#endif
	__NR_unlinkat,
	/* memory (malloc, mbedTLS); executable mappings are refused below */
	__NR_brk, __NR_munmap, __NR_mremap, __NR_madvise,
#ifdef PINFOLD_TLS_OPENSSL
	/* OpenSSL takes its locks through futex (one thread: never a wait on another) */
	__NR_futex,
#ifdef __NR_futex_time64
	__NR_futex_time64,
#endif
#endif
	/* time */
#ifdef __NR_clock_gettime
	__NR_clock_gettime,
#endif
#ifdef __NR_gettimeofday
	__NR_gettimeofday,
#endif
#ifdef __NR_clock_gettime64
	__NR_clock_gettime64,
#endif
#ifdef __NR_time
	__NR_time,
#endif
	/* signals: the self-pipe handlers, returning from them */
	__NR_rt_sigprocmask, __NR_rt_sigreturn,
#ifdef __NR_sigreturn
	__NR_sigreturn,
#endif
	/* who we are; limits (the fd budget); randomness (mbedTLS, health jitter) */
	__NR_getpid, __NR_gettid, __NR_getuid, __NR_getgid,
#ifdef __NR_getuid32
	__NR_getuid32, __NR_getgid32,
#endif
#ifdef __NR_getrlimit
	__NR_getrlimit,
#endif
#ifdef __NR_ugetrlimit
	__NR_ugetrlimit,
#endif
	__NR_prlimit64, __NR_getrandom,
	/* a poll() interrupted by a signal resumes through it; the end */
	__NR_restart_syscall, __NR_exit, __NR_exit_group,
};
/* clang-format on */

/*
 * Sanitizer builds only (never a release): the sanitizer runtime's own calls,
 * so that the suite runs under ASan with the filter on and still catches a
 * call pinfold itself makes.  LeakSanitizer stops the world at exit with a
 * tracer cloned into our memory (clone with CLONE_VM, ptrace, wait4, prctl,
 * getdents, futex, sched_yield) and reports through sigaltstack.
 */
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_UNDEFINED__)
#define SANDBOX_SANITIZER 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(undefined_behavior_sanitizer)
#define SANDBOX_SANITIZER 1
#endif
#endif
#ifdef SANDBOX_SANITIZER
/* clang-format off */
static const int sanitizer_allowed[] = {
	__NR_ptrace, __NR_wait4, __NR_prctl, __NR_sigaltstack, __NR_sched_getaffinity,
	__NR_mmap, __NR_mprotect, __NR_kill, __NR_tgkill, __NR_getppid, __NR_futex,
	__NR_sched_yield,
#ifdef __NR_getdents
	__NR_getdents,
#endif
};
/* clang-format on */
#endif

/* Names for the last log line of a trapped call: the ones an exploit reaches for. */
/* clang-format off */
static const struct { int nr; const char *name; } trap_names[] = {
#ifdef __NR_fork
	{__NR_fork, "fork"},
#endif
#ifdef __NR_vfork
	{__NR_vfork, "vfork"},
#endif
	{__NR_clone, "clone"},
#ifdef __NR_clone3
	{__NR_clone3, "clone3"},
#endif
	{__NR_execve, "execve"},
#ifdef __NR_execveat
	{__NR_execveat, "execveat"},
#endif
	{__NR_ptrace, "ptrace"},
	{__NR_mount, "mount"},
	{__NR_umount2, "umount2"},
	{__NR_chroot, "chroot"},
	{__NR_pivot_root, "pivot_root"},
	{__NR_unshare, "unshare"},
	{__NR_setns, "setns"},
	{__NR_setuid, "setuid"},
	{__NR_setgid, "setgid"},
	{__NR_kill, "kill"},
	{__NR_prctl, "prctl"},
	{__NR_process_vm_readv, "process_vm_readv"},
	{__NR_process_vm_writev, "process_vm_writev"},
	{__NR_init_module, "init_module"},
	{__NR_finit_module, "finit_module"},
#ifdef __NR_bpf
	{__NR_bpf, "bpf"},
#endif
	{__NR_perf_event_open, "perf_event_open"},
	{__NR_memfd_create, "memfd_create"},
	{__NR_socketpair, "socketpair"},
	{__NR_mkdirat, "mkdirat"},
#ifdef __NR_renameat
	{__NR_renameat, "renameat"},
#endif
	{__NR_symlinkat, "symlinkat"},
	{__NR_linkat, "linkat"},
	{__NR_fchmodat, "fchmodat"},
	{__NR_fchownat, "fchownat"},
	{__NR_sigaltstack, "sigaltstack"},
	{__NR_wait4, "wait4"},
	{__NR_reboot, "reboot"},
};
/* clang-format on */

struct bpf_prog {
	struct sock_filter f[320];
	unsigned n;
};

#define RET_ERRNO(e) (SECCOMP_RET_ERRNO | ((uint32_t)(e)&SECCOMP_RET_DATA))
/* The low 32 bits of argument i: what an int argument is, on either byte order. */
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define ARG_LO(i) ((uint32_t)(offsetof(struct seccomp_data, args) + 8 * (i)))
#else
#define ARG_LO(i) ((uint32_t)(offsetof(struct seccomp_data, args) + 8 * (i) + 4))
#endif
#define NR_OFF ((uint32_t)offsetof(struct seccomp_data, nr))

static void emit(struct bpf_prog *p, uint16_t code, uint8_t jt, uint8_t jf, uint32_t k)
{
	if (p->n < sizeof(p->f) / sizeof(p->f[0]))
		p->f[p->n] = (struct sock_filter){code, jt, jf, k};
	p->n++; /* counted past the end: checked once, after the program is built */
}

/* nr: allow.  A holds the call number before and after. */
static void allow(struct bpf_prog *p, int nr)
{
	emit(p, BPF_JMP | BPF_JEQ | BPF_K, 0, 1, (uint32_t)nr);
	emit(p, BPF_RET | BPF_K, 0, 0, SECCOMP_RET_ALLOW);
}

/* nr: allowed when the low word of argument `arg` is one of vals, else `other`. */
static void allow_arg_in(struct bpf_prog *p, int nr, int arg, const uint32_t *vals, unsigned nv,
                         uint32_t other)
{
	emit(p, BPF_JMP | BPF_JEQ | BPF_K, 0, (uint8_t)(2 + 2 * nv), (uint32_t)nr);
	emit(p, BPF_LD | BPF_W | BPF_ABS, 0, 0, ARG_LO(arg));
	for (unsigned i = 0; i < nv; i++) {
		emit(p, BPF_JMP | BPF_JEQ | BPF_K, 0, 1, vals[i]);
		emit(p, BPF_RET | BPF_K, 0, 0, SECCOMP_RET_ALLOW);
	}
	emit(p, BPF_RET | BPF_K, 0, 0, other);
}

/* nr: `if_set` when argument `arg` has any bit of mask set, else `if_clear`. */
static void arg_bits(struct bpf_prog *p, int nr, int arg, uint32_t mask, uint32_t if_set,
                     uint32_t if_clear)
{
	emit(p, BPF_JMP | BPF_JEQ | BPF_K, 0, 4, (uint32_t)nr);
	emit(p, BPF_LD | BPF_W | BPF_ABS, 0, 0, ARG_LO(arg));
	emit(p, BPF_JMP | BPF_JSET | BPF_K, 0, 1, mask);
	emit(p, BPF_RET | BPF_K, 0, 0, if_set);
	emit(p, BPF_RET | BPF_K, 0, 0, if_clear);
}

static void refuse_arg_bits(struct bpf_prog *p, int nr, int arg, uint32_t mask, uint32_t ret)
{
	arg_bits(p, nr, arg, mask, ret, SECCOMP_RET_ALLOW);
}

/* nr: the process is killed when argument `arg` is v, else the call is allowed. */
static void kill_arg_eq(struct bpf_prog *p, int nr, int arg, uint32_t v)
{
	emit(p, BPF_JMP | BPF_JEQ | BPF_K, 0, 4, (uint32_t)nr);
	emit(p, BPF_LD | BPF_W | BPF_ABS, 0, 0, ARG_LO(arg));
	emit(p, BPF_JMP | BPF_JEQ | BPF_K, 0, 1, v);
	emit(p, BPF_RET | BPF_K, 0, 0, SECCOMP_RET_KILL_PROCESS);
	emit(p, BPF_RET | BPF_K, 0, 0, SECCOMP_RET_ALLOW);
}

static unsigned build_filter(struct bpf_prog *p)
{
	static const uint32_t families[] = {AF_UNIX, AF_INET, AF_INET6};
	static const uint32_t ioctls[] = {FIONREAD, FIONBIO, TCGETS};
	/* none of these opens a file for anything but reading */
	const uint32_t writing = O_WRONLY | O_RDWR | O_CREAT | O_TRUNC | O_APPEND;
	uint32_t self = (uint32_t)getpid();

	p->n = 0;
	emit(p, BPF_LD | BPF_W | BPF_ABS, 0, 0, (uint32_t)offsetof(struct seccomp_data, arch));
	emit(p, BPF_JMP | BPF_JEQ | BPF_K, 1, 0, SANDBOX_AUDIT_ARCH);
	emit(p, BPF_RET | BPF_K, 0, 0, SECCOMP_RET_KILL_PROCESS);
	emit(p, BPF_LD | BPF_W | BPF_ABS, 0, 0, NR_OFF);
#if defined(__x86_64__)
	/* the x32 ABI shares the arch value: its numbers have this bit */
	emit(p, BPF_JMP | BPF_JGE | BPF_K, 0, 1, 0x40000000u);
	emit(p, BPF_RET | BPF_K, 0, 0, SECCOMP_RET_KILL_PROCESS);
#endif
#ifdef SANDBOX_SANITIZER
	for (size_t i = 0; i < sizeof(sanitizer_allowed) / sizeof(sanitizer_allowed[0]); i++)
		allow(p, sanitizer_allowed[i]);
	/* the tracer shares our memory (CLONE_VM); a fork does not, and still traps */
	arg_bits(p, __NR_clone, 0, CLONE_VM, SECCOMP_RET_ALLOW, SECCOMP_RET_TRAP);
#endif
	for (size_t i = 0; i < sizeof(allowed) / sizeof(allowed[0]); i++)
		allow(p, allowed[i]);
#ifdef __NR_clone3
	/* The C library probes it and falls back on ENOSYS. */
	allow_arg_in(p, __NR_clone3, 0, NULL, 0, RET_ERRNO(ENOSYS));
#endif
	allow_arg_in(p, __NR_socket, 0, families, 3, RET_ERRNO(EAFNOSUPPORT));
	allow_arg_in(p, __NR_ioctl, 1, ioctls, 3, RET_ERRNO(ENOTTY));
	/* abort() and raise() signal only this process; the handler of SIGSYS stays ours */
	allow_arg_in(p, __NR_tgkill, 0, &self, 1, RET_ERRNO(EPERM));
	allow_arg_in(p, __NR_tkill, 0, &self, 1, RET_ERRNO(EPERM));
	kill_arg_eq(p, __NR_rt_sigaction, 0, SIGSYS);
	/* no new code: a mapping that is executable is refused (no JIT, no dlopen) */
#ifdef __NR_mmap
	refuse_arg_bits(p, __NR_mmap, 2, PROT_EXEC, RET_ERRNO(EPERM));
#endif
#ifdef __NR_mmap2
	refuse_arg_bits(p, __NR_mmap2, 2, PROT_EXEC, RET_ERRNO(EPERM));
#endif
	refuse_arg_bits(p, __NR_mprotect, 2, PROT_EXEC, RET_ERRNO(EPERM));
	/* files are read, never written (the log goes to fds opened before) */
	refuse_arg_bits(p, __NR_openat, 2, writing, RET_ERRNO(EACCES));
#ifdef __NR_open
	refuse_arg_bits(p, __NR_open, 1, writing, RET_ERRNO(EACCES));
#endif
	emit(p, BPF_RET | BPF_K, 0, 0, SECCOMP_RET_TRAP);
	return p->n;
}

/* Async-signal-safe: decimal digits of v at the end of buf, returns where they start. */
static char *utoa(unsigned long v, char *end)
{
	*--end = '\0';
	do
		*--end = (char)('0' + v % 10);
	while ((v /= 10) != 0);
	return end;
}

static size_t put(char *buf, size_t at, size_t cap, const char *s)
{
	while (*s && at < cap)
		buf[at++] = *s++;
	return at;
}

static void trap_handler(int sig, siginfo_t *si, void *uc)
{
	char line[200], num[24];
	const char *name = NULL;
	size_t n = 0, body;
	int nr = si->si_syscall;

	(void)sig;
	(void)uc;
	for (size_t i = 0; i < sizeof(trap_names) / sizeof(trap_names[0]); i++)
		if (trap_names[i].nr == nr)
			name = trap_names[i].name;
	/* syslog's "<PRI>TAG[PID]: " first, so the same bytes serve both sinks */
	n = put(line, n, sizeof(line), "<");
	n = put(line, n, sizeof(line), utoa((unsigned long)trap_log_prio, num + sizeof(num)));
	n = put(line, n, sizeof(line), ">pinfold[");
	n = put(line, n, sizeof(line), utoa((unsigned long)getpid(), num + sizeof(num)));
	n = put(line, n, sizeof(line), "]: ");
	body = n;
	n = put(line, n, sizeof(line), "sandbox: forbidden system call ");
	n = put(line, n, sizeof(line), name ? name : "#");
	n = put(line, n, sizeof(line), " (");
	n = put(line, n, sizeof(line), SANDBOX_ARCH_NAME " ");
	n = put(line, n, sizeof(line), utoa((unsigned long)(unsigned)nr, num + sizeof(num)));
	n = put(line, n, sizeof(line), "), stopping\n");
	if ((trap_log_fd < 0 || send(trap_log_fd, line, n - 1, MSG_DONTWAIT | MSG_NOSIGNAL) < 0) &&
	    trap_log_any >= 0)
		(void)sendto(trap_log_any, line, n - 1, MSG_DONTWAIT | MSG_NOSIGNAL,
		             (const struct sockaddr *)&trap_log_addr, sizeof(trap_log_addr));
	if (trap_to_stderr) {
		(void)!write(2, "pinfold: ", 9);
		(void)!write(2, line + body, n - body);
	}
	_exit(SANDBOX_EXIT);
}

/* 1: installed; 0: this kernel (or emulator) has no seccomp filters; -1: error in err. */
static int seccomp_install(unsigned *ncalls, char *err, size_t errlen)
{
	static struct bpf_prog prog; /* static: 2.5 KiB off the stack */
	struct sock_fprog fp;
	struct sigaction sa;
	unsigned n = build_filter(&prog);

	if (n > sizeof(prog.f) / sizeof(prog.f[0])) {
		snprintf(err, errlen, "seccomp filter too long (%u instructions)", n);
		return -1;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = trap_handler;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGSYS, &sa, NULL) < 0) {
		snprintf(err, errlen, "sigaction(SIGSYS): %s", strerror(errno));
		return -1;
	}
	fp.len = (unsigned short)n;
	fp.filter = prog.f;
	/*
	 * seccomp(2) with FLAG_LOG also leaves the refusal in the kernel log (dmesg,
	 * logread), should our own line be lost; kernels before 4.14 lack the flag and
	 * qemu-user lacks the call: prctl then, which qemu-user refuses.
	 */
	if (syscall(__NR_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_LOG, &fp) == 0)
		goto on;
	if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &fp, 0, 0) < 0) {
		/* EINVAL: no CONFIG_SECCOMP_FILTER, or qemu-user, which refuses it on purpose */
		if (errno == EINVAL || errno == ENOSYS)
			return 0;
		snprintf(err, errlen, "prctl(PR_SET_SECCOMP): %s", strerror(errno));
		return -1;
	}
on:
	*ncalls = (unsigned)(sizeof(allowed) / sizeof(allowed[0]));
	return 1;
}

/* ---- Landlock ------------------------------------------------------------------------------ */

#if defined(__NR_landlock_create_ruleset) && defined(__NR_landlock_add_rule) &&                    \
    defined(__NR_landlock_restrict_self)
#define SANDBOX_LANDLOCK 1
/* The ABI, for headers older than the kernel (values from the kernel's uapi landlock.h). */
#ifndef LANDLOCK_CREATE_RULESET_VERSION
#define LANDLOCK_CREATE_RULESET_VERSION (1U << 0)
#endif
#define LL_FS_EXECUTE          (1ULL << 0)
#define LL_FS_WRITE_FILE       (1ULL << 1)
#define LL_FS_READ_FILE        (1ULL << 2)
#define LL_FS_READ_DIR         (1ULL << 3)
#define LL_FS_REMOVE_DIR       (1ULL << 4)
#define LL_FS_REMOVE_FILE      (1ULL << 5)
#define LL_FS_ABI1             ((1ULL << 13) - 1) /* execute .. make_sym */
#define LL_FS_REFER            (1ULL << 13)       /* ABI 2 */
#define LL_FS_TRUNCATE         (1ULL << 14)       /* ABI 3 */
#define LL_SCOPE_ABSTRACT_UNIX (1ULL << 0)        /* ABI 6 */
#define LL_SCOPE_SIGNAL        (1ULL << 1)        /* ABI 6 */
#define LL_RULE_PATH_BENEATH   1

struct ll_ruleset_attr {
	uint64_t handled_access_fs;
	uint64_t handled_access_net;
	uint64_t scoped;
};

struct ll_path_beneath {
	uint64_t allowed_access;
	int32_t parent_fd;
} __attribute__((packed));

static int ll_rule(int rfd, const char *dir, uint64_t access)
{
	struct ll_path_beneath pb;
	int fd = open(dir, O_PATH | O_CLOEXEC | O_DIRECTORY);
	int rc;

	if (fd < 0)
		return -1;
	pb.allowed_access = access;
	pb.parent_fd = fd;
	rc = (int)syscall(__NR_landlock_add_rule, rfd, LL_RULE_PATH_BENEATH, &pb, 0);
	close(fd);
	return rc;
}

/* The directory part of a path ("/run/pinfold.pid" -> "/run"), or NULL. */
static const char *dir_of(const char *path, char *buf, size_t len)
{
	const char *slash = path ? strrchr(path, '/') : NULL;
	size_t n;

	if (!slash)
		return NULL;
	n = slash == path ? 1 : (size_t)(slash - path);
	if (n >= len)
		return NULL;
	memcpy(buf, path, n);
	buf[n] = '\0';
	return buf;
}

/* >0: the ABI in force; 0: the kernel has no Landlock; -1: error in err. */
static int landlock_install(const struct sandbox_paths *paths, char *err, size_t errlen)
{
	struct ll_ruleset_attr attr;
	char dir[512];
	int abi, rfd;

	abi = (int)syscall(__NR_landlock_create_ruleset, NULL, 0, LANDLOCK_CREATE_RULESET_VERSION);
	if (abi < 0 && (errno == ENOSYS || errno == EOPNOTSUPP))
		return 0; /* not built into this kernel, or turned off at boot */
	if (abi < 0) {
		snprintf(err, errlen, "landlock: %s", strerror(errno));
		return -1;
	}
	memset(&attr, 0, sizeof(attr));
	attr.handled_access_fs = LL_FS_ABI1;
	if (abi >= 2)
		attr.handled_access_fs |= LL_FS_REFER;
	if (abi >= 3)
		attr.handled_access_fs |= LL_FS_TRUNCATE;
	if (abi >= 6)
		attr.scoped = LL_SCOPE_ABSTRACT_UNIX | LL_SCOPE_SIGNAL;
	rfd = (int)syscall(__NR_landlock_create_ruleset, &attr,
	                   abi >= 6 ? sizeof(attr) : sizeof(attr.handled_access_fs), 0);
	if (rfd < 0) {
		snprintf(err, errlen, "landlock_create_ruleset: %s", strerror(errno));
		return -1;
	}
	if (ll_rule(rfd, "/", LL_FS_READ_FILE | LL_FS_READ_DIR) < 0) {
		snprintf(err, errlen, "landlock_add_rule /: %s", strerror(errno));
		goto fail;
	}
	/* a directory outside the jail does not open: nothing to allow there */
	if (paths && dir_of(paths->pidfile, dir, sizeof(dir)))
		(void)ll_rule(rfd, dir, LL_FS_REMOVE_FILE);
	if (paths && dir_of(paths->control, dir, sizeof(dir)))
		(void)ll_rule(rfd, dir, LL_FS_REMOVE_FILE);
	if (syscall(__NR_landlock_restrict_self, rfd, 0) < 0) {
		snprintf(err, errlen, "landlock_restrict_self: %s", strerror(errno));
		goto fail;
	}
	close(rfd);
	return abi;
fail:
	close(rfd);
	return -1;
}
#endif /* landlock numbers */

/* Valgrind runs our calls through its own and cannot live under our filter. */
static int under_valgrind(void)
{
	const char *p = getenv("LD_PRELOAD");

	return p && strstr(p, "vgpreload") != NULL;
}
#endif /* __linux__ && PINFOLD_SANDBOX */

int sandbox_enter(const struct sandbox_paths *paths, char *err, size_t errlen)
{
	if (no_dumps(err, errlen) < 0)
		return -1;
#if defined(__linux__) && PINFOLD_SANDBOX
	{
		unsigned ncalls = 0;
		int ll = 0, sc;
		struct timespec t0, t1;

		clock_gettime(CLOCK_MONOTONIC, &t0);
		if (under_valgrind()) {
			log_msg(LOG_WARNING, "sandbox: running under valgrind, no seccomp filter "
			                     "and no Landlock");
			return 0;
		}
#ifdef SANDBOX_LANDLOCK
		ll = landlock_install(paths, err, errlen);
		if (ll < 0)
			return -1;
#endif
		sc = seccomp_install(&ncalls, err, errlen);
		if (sc < 0)
			return -1;
		clock_gettime(CLOCK_MONOTONIC, &t1);
		if (sc == 0)
			log_msg(LOG_WARNING, "sandbox: this kernel (or emulator) refuses seccomp "
			                     "filters: running without the system call filter");
		if (ll > 0)
			log_msg(LOG_DEBUG, "sandbox: Landlock ABI %d: files read-only", ll);
		else
			log_msg(LOG_DEBUG, "sandbox: no Landlock in this kernel");
		if (sc > 0)
			log_msg(LOG_DEBUG,
			        "sandbox: seccomp filter on (%u calls allowed); set up in %ld us",
			        ncalls,
			        (long)((t1.tv_sec - t0.tv_sec) * 1000000L +
			               (t1.tv_nsec - t0.tv_nsec) / 1000));
	}
#else
	(void)paths;
#endif
	return 0;
}

void sandbox_test_hook(void)
{
#if PINFOLD_TEST_HOOKS
	const char *what = getenv("PINFOLD_TEST_FORBIDDEN");
	int rc;

	if (!what)
		return;
	log_msg(LOG_NOTICE, "test hook: calling %s", what);
	if (strcmp(what, "fork") == 0) {
		/*
		 * The raw call, as injected code would make it: musl's fork() blocks every
		 * signal around the call, and a trap while SIGSYS is blocked is a plain
		 * kill (README, Sandbox), which is not what this hook is here to show.
		 */
#if defined(__linux__) && defined(SYS_fork)
		pid_t pid = (pid_t)syscall(SYS_fork);
#elif defined(__linux__)
		pid_t pid = (pid_t)syscall(SYS_clone, SIGCHLD, 0, 0, 0, 0);
#else
		pid_t pid = fork();
#endif

		if (pid == 0)
			_exit(0);
		rc = pid < 0 ? -1 : 0;
	} else if (strcmp(what, "execve") == 0) {
		char *const argv[] = {(char *)"/bin/true", NULL};

		rc = execve(argv[0], argv, argv + 1);
	} else if (strcmp(what, "socket-packet") == 0) {
		rc = socket(17 /* AF_PACKET */, SOCK_RAW, 0);
		if (rc >= 0)
			close(rc);
	} else if (strcmp(what, "open-write") == 0) {
		rc = open("/pinfold-test-hook", O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
		if (rc >= 0)
			close(rc);
	} else if (strncmp(what, "unlink:", 7) == 0) {
		rc = unlink(what + 7);
	} else {
		log_msg(LOG_ERR, "test hook: unknown call %s", what);
		return;
	}
	log_msg(LOG_NOTICE, "test hook: %s returned %d (%s)", what, rc,
	        rc < 0 ? strerror(errno) : "allowed");
#endif
}
