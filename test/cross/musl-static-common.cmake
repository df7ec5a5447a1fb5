# musl-static-common.cmake - the shared part of the static musl toolchain files for
# routers (mipsel-linux-musl, mips-linux-musl, aarch64-linux-musl, arm-linux-musleabihf).
#
# The per-target file sets CMAKE_SYSTEM_PROCESSOR, PINFOLD_CROSS_TRIPLE (Debian's cross
# gcc and binutils for the CPU) and PINFOLD_CROSS_QEMU, then includes this file.  The
# compiler is that cross gcc behind the musl-gcc wrapper test/cross/sysroot.sh builds from
# Debian's musl source into PINFOLD_CROSS_PREFIX; everything is linked statically, so the
# binary needs no libc on the router and runs under qemu-user with no sysroot (nothing to
# load, hence no PINFOLD_CROSS_LOADER).
set(PINFOLD_CROSS_SYSROOT "")
set(PINFOLD_CROSS_LOADER "")
# The compiler lives in the prefix: try_compile() projects (check_ipo_supported) get no
# cache variables, so the prefix also travels in the environment of this cmake process.
if(PINFOLD_CROSS_PREFIX)
  set(ENV{PINFOLD_CROSS_PREFIX} "${PINFOLD_CROSS_PREFIX}")
else()
  set(PINFOLD_CROSS_PREFIX "$ENV{PINFOLD_CROSS_PREFIX}")
endif()
if(NOT PINFOLD_CROSS_PREFIX)
  message(FATAL_ERROR "${CMAKE_CURRENT_LIST_FILE}: -DPINFOLD_CROSS_PREFIX=DIR (test/cross/sysroot.sh) is needed")
endif()
set(CMAKE_C_COMPILER ${PINFOLD_CROSS_PREFIX}/bin/musl-gcc)
set(CMAKE_EXE_LINKER_FLAGS_INIT -static)
# musl-gcc sees no kernel headers: the cross compiler's (Linux-only code, e.g. <linux/*.h>),
# searched after musl's own.
set(CMAKE_C_FLAGS_INIT "-idirafter ${PINFOLD_CROSS_PREFIX}/kernel-include")
include(${CMAKE_CURRENT_LIST_DIR}/toolchain-common.cmake)
