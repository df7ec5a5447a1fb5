# mipsel-linux-musl.cmake - CMake toolchain file: mipsel, musl libc, fully static:
# OpenWrt's mipsel_24kc (ramips mt7621/mt76x8 routers).  See musl-static-common.cmake.
#   sh test/cross/build.sh mipsel-linux-musl
set(CMAKE_SYSTEM_PROCESSOR mipsel)
set(PINFOLD_CROSS_TRIPLE mipsel-linux-gnu)
set(PINFOLD_CROSS_QEMU qemu-mipsel)
include(${CMAKE_CURRENT_LIST_DIR}/musl-static-common.cmake)
