/*
 * sandbox_arch.h - the one place that says for which targets the seccomp filter
 * is written: the AUDIT_ARCH value the kernel reports for this ABI.  Anything
 * else fails to compile, which CMake's check turns into PINFOLD_SANDBOX=OFF.
 * Only ABIs the project builds and runs (natively or under qemu-user) are
 * listed: a filter for an ABI never run is a filter never tested.
 */
#ifndef PINFOLD_SANDBOX_ARCH_H
#define PINFOLD_SANDBOX_ARCH_H

#if !defined(__linux__)
#error "seccomp is Linux's: build with -DPINFOLD_SANDBOX=OFF"
#else
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>

#if defined(__x86_64__) && !defined(__ILP32__)
#define SANDBOX_AUDIT_ARCH AUDIT_ARCH_X86_64
#define SANDBOX_ARCH_NAME  "x86_64"
#elif defined(__aarch64__) && defined(__AARCH64EL__)
#define SANDBOX_AUDIT_ARCH AUDIT_ARCH_AARCH64
#define SANDBOX_ARCH_NAME  "aarch64"
#elif defined(__arm__) && defined(__ARMEL__) && defined(__ARM_EABI__)
#define SANDBOX_AUDIT_ARCH AUDIT_ARCH_ARM
#define SANDBOX_ARCH_NAME  "arm"
#elif defined(__mips__) && defined(_MIPS_SIM) && _MIPS_SIM == _ABIO32 && defined(__MIPSEL__)
#define SANDBOX_AUDIT_ARCH AUDIT_ARCH_MIPSEL
#define SANDBOX_ARCH_NAME  "mipsel"
#elif defined(__mips__) && defined(_MIPS_SIM) && _MIPS_SIM == _ABIO32 && defined(__MIPSEB__)
#define SANDBOX_AUDIT_ARCH AUDIT_ARCH_MIPS
#define SANDBOX_ARCH_NAME  "mips"
#else
#error "no seccomp filter for this architecture: build with -DPINFOLD_SANDBOX=OFF"
#endif
#endif /* __linux__ */

#endif
