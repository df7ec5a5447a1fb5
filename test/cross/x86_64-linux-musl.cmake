# x86_64-linux-musl.cmake - CMake toolchain file: x86_64, musl libc, fully static.
# The closest this machine gets to OpenWrt's userland (musl) while still running natively,
# so no emulator.  Debian: musl-tools (musl-gcc).
#   test/cross/build.sh x86_64-linux-musl
set(CMAKE_SYSTEM_PROCESSOR x86_64)
set(PINFOLD_CROSS_TRIPLE x86_64-linux-gnu)     # binutils: the host's
set(PINFOLD_CROSS_SYSROOT "")                  # musl-gcc's specs find musl itself
set(PINFOLD_CROSS_QEMU "")
set(CMAKE_C_COMPILER musl-gcc)
set(CMAKE_EXE_LINKER_FLAGS_INIT -static)
# musl-gcc sees no kernel headers: the host's, which test/cross/sysroot.sh links into the
# prefix, searched after musl's own.  Without them the sandbox (<linux/seccomp.h>) would
# turn itself off here, and this build is the one place the filter runs natively on musl,
# the C library the routers have.
if(PINFOLD_CROSS_PREFIX)
  set(CMAKE_C_FLAGS_INIT "-idirafter ${PINFOLD_CROSS_PREFIX}/kernel-include")
endif()
include(${CMAKE_CURRENT_LIST_DIR}/toolchain-common.cmake)
