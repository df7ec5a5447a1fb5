# mips-linux-musl.cmake - CMake toolchain file: mips, musl libc, fully static: OpenWrt's
# mips_24kc (ath79 routers, big-endian).  The binary needs no libc on the router, so one
# .ipk runs whatever musl the release has.  The compiler is Debian's mips-linux-gnu-gcc
# behind the musl-gcc wrapper that test/cross/sysroot.sh builds from Debian's musl source
# into PINFOLD_CROSS_PREFIX. Under qemu-user without any sysroot: a static binary loads
# nothing.
#   sh test/cross/build.sh mips-linux-musl
set(CMAKE_SYSTEM_PROCESSOR mips)
set(PINFOLD_CROSS_TRIPLE mips-linux-gnu)
set(PINFOLD_CROSS_SYSROOT "")
set(PINFOLD_CROSS_QEMU qemu-mips)
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
