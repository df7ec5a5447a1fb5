# mips-linux-musl.cmake - CMake toolchain file: mips, musl libc, fully static:
# OpenWrt's mips_24kc (ath79 routers, big-endian).  See musl-static-common.cmake.
#   sh test/cross/build.sh mips-linux-musl
set(CMAKE_SYSTEM_PROCESSOR mips)
set(PINFOLD_CROSS_TRIPLE mips-linux-gnu)
set(PINFOLD_CROSS_QEMU qemu-mips)
include(${CMAKE_CURRENT_LIST_DIR}/musl-static-common.cmake)
