/*
 * qemu-sockerr.c - preloaded into cross-built programs run under qemu-user (tests only;
 * never part of pinfold).
 *
 * qemu-user 7.2 (Debian bookworm) passes the value of getsockopt(SO_ERROR) from the host
 * kernel to the guest untranslated.  x86_64 and MIPS number the socket errors differently
 * (ECONNREFUSED is 111 on one and 146 on the other), so under qemu a refused non-blocking
 * connect reads as an unknown error on MIPS, as it never does on a router.  This maps the
 * host's numbers back.  The host numbers mapped (100..115) mean nothing on MIPS, so with a
 * qemu that does translate, every value passes through untouched.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stddef.h>
#include <sys/socket.h>

typedef int getsockopt_fn(int, int, int, void *, socklen_t *);
int getsockopt(int fd, int level, int name, void *val, socklen_t *len);
int __getsockopt64(int fd, int level, int name, void *val, socklen_t *len);

/* asm-generic/errno.h numbers (x86_64, aarch64 hosts) -> this target's. */
static const struct {
	int host, target;
} sockerr_map[] = {
    {100, ENETDOWN},  {101, ENETUNREACH},  {102, ENETRESET}, {103, ECONNABORTED},
    {104, ECONNRESET}, {105, ENOBUFS},     {106, EISCONN},   {107, ENOTCONN},
    {108, ESHUTDOWN}, {109, ETOOMANYREFS}, {110, ETIMEDOUT}, {111, ECONNREFUSED},
    {112, EHOSTDOWN}, {113, EHOSTUNREACH}, {114, EALREADY},  {115, EINPROGRESS},
};

static int sockerr_fixed(getsockopt_fn **real, const char *sym, int fd, int level, int name,
			 void *val, socklen_t *len)
{
	size_t i;
	int rc;

	if (!*real) {
		*(void **)real = dlsym(RTLD_NEXT, sym);
		if (!*real) {
			errno = ENOSYS;
			return -1;
		}
	}
	rc = (*real)(fd, level, name, val, len);
	if (rc == 0 && level == SOL_SOCKET && name == SO_ERROR && val && len &&
	    *len >= (socklen_t)sizeof(int)) {
		for (i = 0; i < sizeof(sockerr_map) / sizeof(sockerr_map[0]); i++) {
			if (*(int *)val == sockerr_map[i].host) {
				*(int *)val = sockerr_map[i].target;
				break;
			}
		}
	}
	return rc;
}

int getsockopt(int fd, int level, int name, void *val, socklen_t *len)
{
	static getsockopt_fn *real;

	return sockerr_fixed(&real, "getsockopt", fd, level, name, val, len);
}

/* What glibc calls it in a program built with -D_TIME_BITS=64 (as ours are). */
int __getsockopt64(int fd, int level, int name, void *val, socklen_t *len)
{
	static getsockopt_fn *real;

	return sockerr_fixed(&real, "__getsockopt64", fd, level, name, val, len);
}
